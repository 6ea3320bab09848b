"""Locale selection: Swedish by default, English on request."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel import support
from flask import Flask, current_app, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user
from wtforms.i18n import messages_path

from .extensions import babel

TRANSLATIONS = Path(__file__).parent / "translations"


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.preferred_locale in languages:
        return current_user.preferred_locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


@cache
def _wtforms_catalog(locale: str) -> support.NullTranslations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


def init_app(app: Flask) -> None:
    babel.init_app(
        app, locale_selector=select_locale, default_translation_directories=str(TRANSLATIONS)
    )

    @app.before_request
    def share_wtforms_catalog() -> None:
        # Flask-WTF reads WTForms' own messages from disk once per request (request.
        # wtforms_translations); they never change while the process runs: read once per locale.
        if request.endpoint not in (None, "static"):
            request.wtforms_translations = _wtforms_catalog(str(get_locale()))
