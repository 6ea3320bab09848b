"""Web security: headers, session cookies and timeouts, login rate limits, proxies."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask, current_app, flash, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, logout_user
from limits import RateLimitItem, parse
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.exceptions import TooManyRequests
from werkzeug.middleware.proxy_fix import ProxyFix

from .extensions import limiter
from .ints import BoundedIntConverter
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


# How often the idle clock (the session's seen_at) moves: once a minute, not on every request.
# Moving it re-signs and re-sends the session cookie, a fifth of a millisecond of every page
# (make bench). A user is logged out after between SESSION_IDLE_MINUTES and one minute more
# without a request, never before.
SEEN_AT_RESOLUTION = 60


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
        # From the session cookie, not current_user: after a database failure the user
        # cannot be reloaded, and this runs on that error page too.
        if "_user_id" in session:
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
        if now - seen_at > idle + SEEN_AT_RESOLUTION or now - auth_at > absolute:
            logout_user()
            session.clear()
            flash(_("Du har loggats ut efter en tids inaktivitet. Logga in igen."), "info")
            return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
        if now - seen_at >= SEEN_AT_RESOLUTION:
            session["seen_at"] = now
        return None


def _password_buckets(email: str) -> list[tuple[RateLimitItem, str]]:
    """Wrong passwords are limited per account and address, per account, and per address.

    The per-address limit is high so that one attacker behind a municipality's shared
    address cannot lock out everyone else there; the tight limit is per account and address.
    """
    account, address = email.strip().lower()[:255], get_remote_address()
    config = current_app.config
    return [
        (parse(config["LOGIN_LIMIT_ACCOUNT_ADDRESS"]), f"password:acct-addr:{account}:{address}"),
        (parse(config["LOGIN_LIMIT_ACCOUNT"]), f"password:acct:{account}"),
        (parse(config["LOGIN_LIMIT_ADDRESS"]), f"password:addr:{address}"),
    ]


def _used_up(buckets: list[tuple[RateLimitItem, str]]) -> bool:
    return limiter.enabled and not all(limiter.limiter.test(item, key) for item, key in buckets)


def _count(buckets: list[tuple[RateLimitItem, str]]) -> None:
    if limiter.enabled:
        for item, key in buckets:
            limiter.limiter.hit(item, key)


def ensure_password_attempts_left(email: str) -> None:
    """429 once a bucket of this account or address is used up: then even the right password waits."""
    if _used_up(_password_buckets(email)):
        raise TooManyRequests()


def count_wrong_password(email: str) -> None:
    _count(_password_buckets(email))


def _link_buckets(email: str) -> list[tuple[RateLimitItem, str]]:
    """Requests for a password link, per account and per address: counted alike whether or
    not the account exists, so the limit tells nothing either."""
    account, address = email.strip().lower()[:255], get_remote_address()
    config = current_app.config
    return [
        (parse(config["PASSWORD_LINK_LIMIT_ACCOUNT"]), f"pwlink:acct:{account}"),
        (parse(config["PASSWORD_LINK_LIMIT_ADDRESS"]), f"pwlink:addr:{address}"),
    ]


def ensure_link_requests_left(email: str) -> None:
    """429 once this account's or address's requests for a password link are used up."""
    if _used_up(_link_buckets(email)):
        raise TooManyRequests()


def count_link_request(email: str) -> None:
    _count(_link_buckets(email))
