"""Web security: headers, session cookies and timeouts, login rate limits, proxies."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask, flash, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, logout_user
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from .extensions import limiter
from .rendering import strip_control_chars

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)


class SessionInterface(SecureCookieSessionInterface):
    """Mark the session cookie Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def _now() -> float:
    return datetime.now(UTC).timestamp()


def start_authenticated_session() -> None:
    """Called right after login: the clocks for idle and absolute timeouts start now."""
    session["auth_at"] = session["seen_at"] = _now()


def _cleaned(values: MultiDict) -> ImmutableMultiDict | None:
    """The fields without control characters, or None if they had none."""
    pairs = list(values.items(multi=True))
    cleaned = [(strip_control_chars(key), strip_control_chars(value)) for key, value in pairs]
    return ImmutableMultiDict(cleaned) if cleaned != pairs else None


def clean_submitted_text() -> None:
    """Drop control characters from every submitted field before anything reads it.

    PostgreSQL refuses NUL in text, Word cannot hold C0 controls, and no person types them.
    The API cleans its JSON text fields with the same function (views/api.py, _string).
    """
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
        "application/x-www-form-urlencoded", "multipart/form-data",
    ):
        form = _cleaned(request.form)
        if form is not None:
            request.form = form
    args = _cleaned(request.args)
    if args is not None:
        request.args = args


class BoundedIntConverter(IntegerConverter):
    """Integer URL parts that fit the database's INTEGER: larger ids are simply not found."""

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002 - werkzeug's signature
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(clean_submitted_text)
    app.session_interface = SessionInterface()
    hops = int(app.config.get("PROXY_FIX_X_FOR", 0) or 0)
    if hops:
        # Behind a reverse proxy: trust exactly that many X-Forwarded-* hops for address and scheme.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    limiter.init_app(app)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if current_user and current_user.is_authenticated:
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.before_request
    def enforce_session_timeouts():
        if request.endpoint in (None, "static") or not current_user.is_authenticated:
            return None
        if request.path.startswith("/api/"):
            return None
        now = _now()
        idle = app.config["SESSION_IDLE_MINUTES"] * 60
        absolute = app.config["SESSION_ABSOLUTE_HOURS"] * 3600
        seen_at = session.get("seen_at", 0)
        auth_at = session.get("auth_at", 0)
        if now - seen_at > idle or now - auth_at > absolute:
            logout_user()
            session.clear()
            flash(_("Du har loggats ut efter en tids inaktivitet. Logga in igen."), "info")
            return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
        session["seen_at"] = now
        return None


def _login_email() -> str:
    return (request.form.get("email") or "").strip().lower()[:255]


def failed_login(response) -> bool:
    return response.status_code == 401


def login_limits():
    """Failed logins limited per account and address, per account, and per address.

    The per-address limit is high so that one attacker behind a municipality's shared
    address cannot lock out everyone else there; the tight limit is per account and address.
    """
    address = get_remote_address
    return [
        limiter.limit(lambda: app_config("LOGIN_LIMIT_ACCOUNT_ADDRESS"),
                      key_func=lambda: f"login:acct-addr:{_login_email()}:{address()}",
                      deduct_when=failed_login, methods=["POST"]),
        limiter.limit(lambda: app_config("LOGIN_LIMIT_ACCOUNT"),
                      key_func=lambda: f"login:acct:{_login_email()}",
                      deduct_when=failed_login, methods=["POST"]),
        limiter.limit(lambda: app_config("LOGIN_LIMIT_ADDRESS"),
                      key_func=lambda: f"login:addr:{address()}",
                      deduct_when=failed_login, methods=["POST"]),
    ]


def _sent_link(response) -> bool:
    return response.status_code == 200 and request.method == "POST"


def password_link_limits():
    """Requests for a password link limited per account and per address.

    Counted whether or not the account exists, so the limit tells nothing either; refused
    forms are not counted, as they send nothing.
    """
    return [
        limiter.limit(lambda: app_config("PASSWORD_LINK_LIMIT_ACCOUNT"),
                      key_func=lambda: f"pwlink:acct:{_login_email()}",
                      deduct_when=_sent_link, methods=["POST"]),
        limiter.limit(lambda: app_config("PASSWORD_LINK_LIMIT_ADDRESS"),
                      key_func=lambda: f"pwlink:addr:{get_remote_address()}",
                      deduct_when=_sent_link, methods=["POST"]),
    ]


def app_config(key: str) -> str:
    from flask import current_app

    return current_app.config[key]
