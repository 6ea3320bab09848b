"""Helpers shared by the views."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import TypeVar
from urllib.parse import urlsplit

from flask import abort, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, SelectMultipleField
from wtforms.csrf.core import CSRFTokenField

from ..extensions import db
from ..ints import parse_int
from ..limits import MAX_ID
from ..models import JointResponse
from ..permissions import Action, can
from ..services.errors import DomainError, InvalidInput, NotFound
from ..services.queries import get_response

E = TypeVar("E", bound=Enum)


def load_response(response_id: int, *, for_update: bool = False,
                  with_last_event: bool = False) -> JointResponse:
    """Load a response the current user may see; 404 otherwise, so ids reveal nothing."""
    try:
        response = get_response(response_id, for_update=for_update,
                                with_last_event=with_last_event)
    except NotFound:
        abort(404)
    if not can(current_user, Action.VIEW, response):
        abort(404)
    return response


def safe_next_url(target: str | None) -> str | None:
    """Only same-site paths: no scheme, no host, no backslash or protocol-relative tricks."""
    if not target:
        return None
    target = target.strip()
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(ch) < 32 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def commit() -> None:
    """The view's one commit. What the request loaded and wrote stays loaded: the redirect
    or page that follows reads ids and names from it without loading it all again."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def end_read(*, keep_loaded: bool = False) -> None:
    """End the transaction the request's reads began, before slow work that needs no database
    (parsing an upload, rendering Markdown): on SQLite every transaction, reads included,
    holds the write lock for everyone. Objects loaded so far reload when next used, unless
    keep_loaded: then they stay as read (for a page that only shows them afterwards; the
    user, the response and its participants are not read again).
    """
    if db.session.new or db.session.dirty or db.session.deleted:
        raise RuntimeError("end_read() with unsaved changes: commit or roll back first")
    kept = list(db.session.identity_map.values()) if keep_loaded else []
    if kept:
        db.session.expunge_all()  # detached objects are not expired by the rollback
    db.session.rollback()
    for instance in kept:
        db.session.add(instance)  # attached again, as loaded; lazy loads start a new transaction


def form_int(name: str, *, minimum: int = 0, maximum: int = MAX_ID) -> int:
    """An integer form field, or InvalidNumber (400) with a clear message."""
    return parse_int(request.form.get(name, ""), name=name, minimum=minimum, maximum=maximum)


def query_choice(name: str, enum: type[E]) -> E | None:
    """A value of a filter's choice list from the query string; None when absent or empty."""
    raw = request.args.get(name, "")
    if not raw:
        return None
    try:
        return enum(raw)
    except ValueError:
        raise InvalidInput(_("Filtret har ett värde som inte finns i listan. Välj ett av alternativen."),
                           field=name) from None


def query_int(name: str, default: int | None, *, minimum: int = 1, maximum: int = MAX_ID) -> int | None:
    """An integer query parameter; `default` when absent or empty, else InvalidNumber (400)."""
    raw = request.args.get(name, "")
    if not raw:
        return default
    return parse_int(raw, name=name, minimum=minimum, maximum=maximum)


@dataclass(frozen=True)
class RefusedSubmission:
    """A submission the rules refused: why, and everything that was typed, to show again.

    The form it came from may no longer be offered (the stage moved on, the municipality
    stepped aside), so the page shows the typed text itself beside the reason.
    """

    message: str
    kept: tuple[tuple[str, str], ...]


def typed_fields(form: FlaskForm) -> tuple[tuple[str, str], ...]:
    """(label, value) of every field the person filled in, as they would read it."""
    kept = []
    for field in form:
        if isinstance(field, (CSRFTokenField, HiddenField, BooleanField)) or not field.data:
            continue
        if isinstance(field, SelectMultipleField):
            continue
        value = field.data
        if isinstance(field, (RadioField, SelectField)):
            value = next((str(label) for choice_value, label, *rest in field.iter_choices()
                          if str(choice_value) == str(field.data)), str(field.data))
        elif isinstance(value, date):
            value = value.isoformat()
        kept.append((str(field.label.text), str(value)))
    return tuple(kept)


def refuse(form: FlaskForm, error: DomainError, default_field: str) -> RefusedSubmission | None:
    """Place a refusal where the person will see it, keeping what they typed.

    Invalid input goes beside its field in the form, which is shown again with the typed text.
    Any other refusal (no longer allowed, out of date) is said at the top of the page, with the
    typed text, because the form may not be offered any more.
    """
    if isinstance(error, InvalidInput):
        field = getattr(form, error.field or default_field, None) or getattr(form, default_field)
        field.errors = [*field.errors, error.message]
        return None
    return RefusedSubmission(error.message, typed_fields(form))
