"""Opening a joint response and managing who takes part."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _

from ..extensions import db
from ..models import (
    Consultation,
    Cooperation,
    FocusArea,
    JointResponse,
    Participation,
    ParticipationStatus,
    Stage,
    User,
    local_today,
    utcnow,
)
from ..permissions import Action, CooperationAction, ensure, ensure_in_cooperation
from . import notifications
from .audit import record_event
from .errors import Conflict, InvalidInput
from .stages import reevaluate


@dataclass(frozen=True)
class ConsultationInput:
    sender: str
    reference_number: str
    title: str
    deadline: date
    received_on: date | None = None
    url: str = ""


def open_response(cooperation: Cooperation, user: User, consultation: ConsultationInput,
                  focus_area: FocusArea, title: str | None = None,
                  our_reference: str = "") -> JointResponse:
    """Open a joint response to a remiss; the coordinator then invites members."""
    ensure_in_cooperation(user, CooperationAction.OPEN_RESPONSE, cooperation)
    if consultation.received_on and consultation.deadline < consultation.received_on:
        raise InvalidInput(_("Sista svarsdag kan inte ligga före datumet då remissen kom in."),
                           field="deadline")
    if consultation.deadline < local_today():
        raise InvalidInput(_("Sista svarsdag %(date)s har redan passerat. Kontrollera datumet i "
                             "remissen.", date=consultation.deadline.isoformat()), field="deadline")
    if consultation.received_on and consultation.received_on > local_today():
        raise InvalidInput(_("Remissen kan inte ha kommit in ett datum som ännu inte har varit."),
                           field="received_on")
    remiss = Consultation(
        cooperation_id=cooperation.id, sender=consultation.sender.strip(),
        reference_number=consultation.reference_number.strip(), title=consultation.title.strip(),
        deadline=consultation.deadline, received_on=consultation.received_on,
        url=consultation.url.strip(),
    )
    db.session.add(remiss)
    response = JointResponse(
        cooperation_id=cooperation.id, consultation=remiss,
        title=(title or "").strip() or _("Yttrande över %(title)s", title=remiss.title),
        focus_area=focus_area.value, stage=Stage.DRAFT, created_by_id=user.id,
        created_at=utcnow(), revision=0, our_reference=_one_line(our_reference),
    )
    db.session.add(response)
    db.session.flush()
    record_event("response_opened", user, response=response,
                 summary=_("Öppnade yttrandet ”%(title)s” (%(ref)s).",
                           title=response.title, ref=remiss.reference_number))
    return response


def _one_line(text: str) -> str:
    return " ".join((text or "").split())


def set_document_fields(response: JointResponse, user: User, *, our_reference: str | None = None,
                        sender: str | None = None, reference_number: str | None = None,
                        consultation_title: str | None = None) -> None:
    """Set what the document's head says: our reference, and the remiss's sender, number, title.

    Empty values are ignored; nothing changes once the response is signed (the document is final).
    """
    ensure(user, Action.EDIT_DRAFT, response)
    changes = []
    remiss = response.consultation
    for value, owner, attribute, limit in (
        (our_reference, response, "our_reference", 80),
        (sender, remiss, "sender", 200),
        (reference_number, remiss, "reference_number", 80),
        (consultation_title, remiss, "title", 400),
    ):
        value = _one_line(value or "")
        if not value or value == getattr(owner, attribute):
            continue
        if len(value) > limit:
            raise InvalidInput(_("Texten är för lång: högst %(max)d tecken.", max=limit))
        setattr(owner, attribute, value)
        changes.append(value)
    if changes:
        db.session.flush()
        record_event("document_fields_changed", user, response=response,
                     summary=_("Ändrade dokumentets uppgifter: %(values)s.", values=", ".join(changes)))


def invite(response: JointResponse, user: User, municipality_ids: list[int]) -> list[Participation]:
    """Invite member municipalities; inviting one already invited does nothing."""
    ensure(user, Action.MANAGE_PARTICIPANTS, response)
    members = {m.id: m for m in response.cooperation.municipalities}
    existing = {p.municipality_id for p in response.participations}
    invited = []
    for municipality_id in municipality_ids:
        if municipality_id not in members:
            raise InvalidInput(_("Kommunen är inte medlem i samarbetet."))
        if municipality_id in existing:
            continue
        participation = Participation(municipality_id=municipality_id,
                                      status=ParticipationStatus.INVITED.value)
        response.participations.append(participation)
        invited.append(participation)
        record_event("municipality_invited", user, response=response,
                     summary=_("Bjöd in %(name)s.", name=members[municipality_id].name),
                     details={"municipality_id": municipality_id})
        notifications.invited(response, municipality_id)
    db.session.flush()
    return invited


def _own_participation(response: JointResponse, user: User) -> Participation:
    for participation in response.participations:
        if participation.municipality_id == user.municipality_id:
            return participation
    raise Conflict(_("Din kommun är inte inbjuden till detta yttrande."))


def answer_invitation(response: JointResponse, user: User, join: bool, reason: str = "") -> Participation:
    """Join, or decline with a reason, on behalf of the user's own municipality."""
    ensure(user, Action.ANSWER_INVITATION, response)
    participation = _own_participation(response, user)
    reason = reason.strip()
    if not join and not reason:
        raise InvalidInput(_("Ange ett skäl till att kommunen avböjer."))
    participation.status = (ParticipationStatus.JOINED if join else ParticipationStatus.DECLINED).value
    participation.reason = reason
    participation.answered_at = utcnow()
    name = participation.municipality.name
    record_event(
        "participation_joined" if join else "participation_declined", user, response=response,
        summary=(_("%(name)s deltar.", name=name) if join
                 else _("%(name)s avböjer: %(reason)s", name=name, reason=reason)),
        details={"municipality_id": participation.municipality_id, "reason": reason},
    )
    db.session.flush()
    reevaluate(response, user)
    return participation


def step_aside(response: JointResponse, user: User, reason: str) -> Participation:
    """Leave the co-signers (avstå), with a reason; the others can still reach consensus."""
    ensure(user, Action.STEP_ASIDE, response)
    reason = reason.strip()
    if not reason:
        raise InvalidInput(_("Ange ett skäl till att kommunen avstår."))
    participation = _own_participation(response, user)
    participation.status = ParticipationStatus.STEPPED_ASIDE.value
    participation.reason = reason
    participation.answered_at = utcnow()
    record_event("participation_stepped_aside", user, response=response,
                 summary=_("%(name)s avstår: %(reason)s", name=participation.municipality.name,
                           reason=reason),
                 details={"municipality_id": participation.municipality_id, "reason": reason})
    db.session.flush()
    reevaluate(response, user)
    return participation
