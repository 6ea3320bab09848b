"""Error pages in Swedish, and domain errors turned into messages with the right status."""

from __future__ import annotations

import logging

from flask import Flask, current_app, render_template, request, session
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException

from .database import is_unavailable, rollback_safely
from .services.errors import DomainError

log = logging.getLogger(__name__)


def wants_json() -> bool:
    return request.path.startswith("/api/")


def _json_error(status: int, code: str, message: str):
    return {"error": {"status": status, "code": code, "message": message}}, status


def _kept_fields() -> list[tuple[str, str]]:
    """What the user submitted, to offer again instead of losing it (never a password)."""
    return [(key, value) for key, value in request.form.items(multi=True)
            if key != "csrf_token" and "password" not in key and key != "confirm"]


def _locale_without_database() -> str:
    # The usual choice may read the user's preference from the database, which may be gone.
    chosen = session.get("locale")
    return chosen if chosen in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]


def _answer_without_database(status: int, code: str, message: str):
    """An error page (or JSON) that needs no database, for when the database is what failed."""
    fields = _kept_fields() if request.method == "POST" and not wants_json() else []
    if wants_json():
        body, status = _json_error(status, code, message)
    else:
        body = render_template("errors/unavailable.html", status=status, message=message,
                               fields=fields, action=request.path)
    return body, status, {"Retry-After": "10", "Cache-Control": "no-store"} if status == 503 else {}


def database_unavailable():
    with force_locale(_locale_without_database()):
        return _answer_without_database(
            503, "DatabaseUnavailable",
            _("Databasen svarar inte just nu. Inget sparades. Försök igen om en stund."))


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        rollback_safely()
        if wants_json():
            return _json_error(error.status, type(error).__name__, error.message)
        return render_template("errors/error.html", status=error.status, message=error.message), error.status

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        rollback_safely()
        # Show what the user typed again, with a fresh token, instead of losing it.
        return render_template("errors/csrf.html", fields=_kept_fields(), action=request.path), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        messages = {
            400: _("Begäran kunde inte tolkas."),
            403: _("Du har inte behörighet att se den här sidan."),
            404: _("Sidan finns inte. Kontrollera adressen."),
            405: _("Den här åtgärden går inte att göra på det sättet."),
            413: _("Filen eller texten är för stor."),
            429: _("För många försök. Vänta en stund och försök igen."),
        }
        message = messages.get(error.code or 500, error.description or "")
        if wants_json():
            return _json_error(error.code or 500, error.name.replace(" ", ""), str(message))
        return render_template("errors/error.html", status=error.code, message=message), error.code

    @app.errorhandler(DBAPIError)
    @app.errorhandler(PoolTimeoutError)
    def database_error(error: SQLAlchemyError):
        rollback_safely()
        if is_unavailable(error):
            log.warning("database unavailable: %s", error)
            return database_unavailable()
        log.exception("database error")
        return internal_error(error)

    @app.errorhandler(500)
    def internal_error(error):
        rollback_safely()
        if is_unavailable(getattr(error, "original_exception", None) or error):
            return database_unavailable()
        try:
            if wants_json():
                return _json_error(500, "InternalError", _internal_message())
            return render_template("errors/error.html", status=500, message=_internal_message()), 500
        except SQLAlchemyError:  # the language and the page header may read the user from the database
            rollback_safely()
            with force_locale(_locale_without_database()):
                return _answer_without_database(500, "InternalError", _internal_message())


def _internal_message() -> str:
    return _("Något gick fel hos oss. Inget av det du skrev har sparats halvvägs; försök igen.")
