"""Locale selection: Swedish by default, English on request."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel import support
from flask import Flask, current_app, has_request_context, request, session
from flask_babel import get_locale, get_translations
from flask_login import current_user
from jinja2 import pass_context
from jinja2.runtime import Context
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


# The catalog a template reads its texts from, looked up once per rendering. Flask-Babel's own
# template callables look it up again for every _() (7 µs each, and a page has dozens: make
# bench). The locale cannot change inside one rendering, and render_template, which puts it in
# the context, runs inside any force_locale around it. A template rendered another way, or a
# macro imported without context, finds none and asks Flask-Babel.
CATALOG = "_catalog"


def _catalog(context: Context) -> support.NullTranslations:
    catalog = context.get(CATALOG)
    return catalog if catalog is not None else get_translations()


@pass_context
def _template_gettext(context: Context, string: str) -> str:
    return _catalog(context).ugettext(string)


@pass_context
def _template_ngettext(context: Context, singular: str, plural: str, number: int) -> str:
    return _catalog(context).ungettext(singular, plural, number)


@pass_context
def _template_pgettext(context: Context, message_context: str, string: str) -> str:
    return _catalog(context).upgettext(message_context, string)


@pass_context
def _template_npgettext(context: Context, message_context: str, singular: str, plural: str,
                        number: int) -> str:
    return _catalog(context).unpgettext(message_context, singular, plural, number)


def init_app(app: Flask) -> None:
    babel.init_app(
        app, locale_selector=select_locale, default_translation_directories=str(TRANSLATIONS)
    )
    app.context_processor(lambda: {CATALOG: get_translations()})
    app.jinja_env.install_gettext_callables(
        gettext=_template_gettext, ngettext=_template_ngettext, newstyle=True,
        pgettext=_template_pgettext, npgettext=_template_npgettext)

    @app.before_request
    def share_wtforms_catalog() -> None:
        # Flask-WTF reads WTForms' own messages from disk once per request (request.
        # wtforms_translations); they never change while the process runs: read once per locale.
        if request.endpoint not in (None, "static"):
            request.wtforms_translations = _wtforms_catalog(str(get_locale()))
