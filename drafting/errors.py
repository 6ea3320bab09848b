"""Error pages in Swedish, and domain errors turned into messages with the right status."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from .extensions import db
from .services.errors import DomainError

log = logging.getLogger(__name__)


def wants_json() -> bool:
    return request.path.startswith("/api/")


def _json_error(status: int, code: str, message: str):
    return {"error": {"status": status, "code": code, "message": message}}, status


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        db.session.rollback()
        if wants_json():
            return _json_error(error.status, type(error).__name__, error.message)
        return render_template("errors/error.html", status=error.status, message=error.message), error.status

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        db.session.rollback()
        # Show what the user typed again, with a fresh token, instead of losing it.
        fields = [(key, value) for key, value in request.form.items(multi=True) if key != "csrf_token"]
        return render_template("errors/csrf.html", fields=fields, action=request.path), 400

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

    @app.errorhandler(OperationalError)
    def database_unavailable(error: OperationalError):
        log.exception("database error")
        db.session.rollback()
        message = _("Databasen svarar inte just nu. Inget sparades. Försök igen om en stund.")
        if wants_json():
            return _json_error(503, "DatabaseUnavailable", message)
        return render_template("errors/error.html", status=503, message=message), 503

    @app.errorhandler(500)
    def internal_error(error):
        db.session.rollback()
        message = _("Något gick fel hos oss. Inget av det du skrev har sparats halvvägs; försök igen.")
        if wants_json():
            return _json_error(500, "InternalError", message)
        return render_template("errors/error.html", status=500, message=message), 500
