"""Positions on versions and the directors' sign-offs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import (
    Decision,
    JointResponse,
    Position,
    SignOff,
    User,
    Version,
    local_date,
    local_today,
)
from ..permissions import Action, ensure, ensure_role, ensure_stage
from . import notifications
from .audit import record_event
from .errors import Conflict, InvalidInput
from .fingerprint import version_fingerprint
from .queries import latest_version
from .stages import reevaluate

MAX_REASON_CHARS = 5000


def record_position(response: JointResponse, user: User, version_number: int,
                    decision: Decision, note: str = "") -> Position:
    """Record the user's municipality's position on the current version; it supersedes any earlier one."""
    ensure(user, Action.RECORD_POSITION, response)
    version = latest_version(response)
    if version is None or version.number != version_number:
        raise Conflict(_("Version %(old)d är inte längre aktuell: version %(new)d har publicerats. "
                         "Läs ändringarna och ta ställning till den nya versionen.",
                         old=version_number, new=version.number if version else 0))
    note = note.strip()
    if decision is Decision.OBJECT and not note:
        raise InvalidInput(_("En invändning behöver ett skäl."), field="note")
    if decision is Decision.APPROVE_WITH_NOTE and not note:
        raise InvalidInput(_("Skriv den synpunkt som godkännandet gäller med."), field="note")
    if len(note) > MAX_REASON_CHARS:
        raise InvalidInput(_("Texten är för lång: högst %(max)d tecken.", max=MAX_REASON_CHARS),
                           field="note")
    previous = db.session.scalars(select(Position).where(
        Position.version_id == version.id, Position.municipality_id == user.municipality_id,
        Position.is_current.is_(True),
    )).first()
    if previous is not None:
        previous.is_current = None
        db.session.flush()
    position = Position(response_id=response.id, version_id=version.id,
                        municipality_id=user.municipality_id, user_id=user.id,
                        decision=decision.value, note=note, is_current=True)
    db.session.add(position)
    db.session.flush()
    record_event(
        "position_recorded", user, response=response, version_number=version.number,
        summary=position_sentence(user.municipality.name, decision, version.number, note),
        details={"decision": decision.value, "note": note,
                 "replaces": previous.id if previous else None},
    )
    if decision is Decision.OBJECT:
        notifications.objection_raised(response, user.municipality.name, version)
    reevaluate(response, user, version)
    return position


@dataclass(frozen=True)
class SignOffInput:
    deciding_body: str
    decision_date: date
    signatory_name: str
    signatory_title: str
    minutes_paragraph: str = ""


def ensure_signing_open(response: JointResponse, version_number: int) -> None:
    """Refuse, saying why, unless the version being signed is the one signing is open for."""
    latest = latest_version(response)
    if latest is not None and latest.number != version_number:
        # A stale tab: say what happened rather than only that signing is not possible now.
        raise Conflict(_("Version %(new)d har publicerats sedan du öppnade sidan, så underskriften "
                         "av version %(old)d sparades inte. Den nya versionen behöver samsyn innan "
                         "du kan skriva under den.", new=latest.number, old=version_number))
    ensure_stage(Action.SIGN_OFF, response)


def check_sign_off(response: JointResponse, user: User, version_number: int,
                   data: SignOffInput) -> Version:
    """Every rule a sign-off must meet, without recording it: the version it would sign."""
    ensure_role(user, Action.SIGN_OFF, response)
    ensure_signing_open(response, version_number)
    version = db.session.get(Version, response.consensus_version_id)
    if version is None or version.number != version_number:
        raise Conflict(_("Du skriver under version %(old)d, men samsynen gäller nu version %(new)d. "
                         "Läs ändringarna och skriv under den nya versionen.",
                         old=version_number, new=version.number if version else 0))
    for field, value, message in (
            ("deciding_body", data.deciding_body, _("Välj beslutande organ.")),
            ("signatory_name", data.signatory_name, _("Fyll i undertecknarens namn.")),
            ("signatory_title", data.signatory_title, _("Fyll i undertecknarens titel."))):
        if not value.strip():
            raise InvalidInput(message, field=field)
    if data.decision_date > local_today():
        raise InvalidInput(_("Beslutsdatumet kan inte ligga i framtiden."), field="decision_date")
    published_on = local_date(version.published_at)
    if data.decision_date < published_on:
        # The body decided on this exact text, so not before the text existed.
        raise InvalidInput(_("Beslutsdatumet %(date)s ligger före den %(published)s, då version "
                             "%(number)d publicerades. Kommunen kan bara ha beslutat om den här "
                             "texten efter det.", date=data.decision_date.isoformat(),
                             published=published_on.isoformat(), number=version.number),
                           field="decision_date")
    # A sign-off belongs to a version, as a position does: one per municipality and version.
    existing = db.session.scalars(select(SignOff).where(
        SignOff.version_id == version.id, SignOff.municipality_id == user.municipality_id,
    )).first()
    if existing is not None:
        raise Conflict(_("%(municipality)s har redan skrivit under version %(number)d.",
                         municipality=user.municipality.name, number=version.number))
    return version


def sign_off(response: JointResponse, user: User, version_number: int, data: SignOffInput) -> SignOff:
    """Record the municipality's decision on the consensus version and the director's sign-off."""
    version = check_sign_off(response, user, version_number, data)
    signoff = SignOff(
        response_id=response.id, version_id=version.id, municipality_id=user.municipality_id,
        user_id=user.id, deciding_body=data.deciding_body.strip(), decision_date=data.decision_date,
        minutes_paragraph=data.minutes_paragraph.strip(), signatory_name=data.signatory_name.strip(),
        signatory_title=data.signatory_title.strip(),
        # What the body decided on, so that every municipality can show it was the same text.
        text_fingerprint=version_fingerprint(version),
    )
    db.session.add(signoff)
    db.session.flush()
    record_event(
        "signed_off", user, response=response, version_number=version.number,
        summary=_("%(municipality)s skrev under version %(number)d (%(body)s %(date)s).",
                  municipality=user.municipality.name, number=version.number,
                  body=signoff.deciding_body, date=signoff.decision_date.isoformat()),
        details={"deciding_body": signoff.deciding_body,
                 "decision_date": signoff.decision_date.isoformat(),
                 "minutes_paragraph": signoff.minutes_paragraph,
                 "signatory_name": signoff.signatory_name,
                 "signatory_title": signoff.signatory_title,
                 "text_fingerprint": signoff.text_fingerprint},
    )
    reevaluate(response, user)
    return signoff


def position_sentence(municipality: str, decision: Decision, number: int, note: str = "") -> str:
    """"Malmö godkänner version 1 med synpunkter: …", as the log and its CSV say it."""
    values = {"municipality": municipality, "number": number, "note": note}
    if decision is Decision.OBJECT:
        return (_("%(municipality)s invänder mot version %(number)d: %(note)s", **values) if note
                else _("%(municipality)s invänder mot version %(number)d.", **values))
    if decision is Decision.APPROVE_WITH_NOTE:
        return (_("%(municipality)s godkänner version %(number)d med synpunkter: %(note)s", **values)
                if note else _("%(municipality)s godkänner version %(number)d med synpunkter.",
                               **values))
    return (_("%(municipality)s godkänner version %(number)d: %(note)s", **values) if note
            else _("%(municipality)s godkänner version %(number)d.", **values))


def positions_history(response: JointResponse) -> list[Position]:
    return list(db.session.scalars(
        select(Position).where(Position.response_id == response.id).order_by(Position.created_at)
    ))
