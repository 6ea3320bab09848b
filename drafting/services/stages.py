"""The stages of a joint response as a guarded state machine.

draft -> review -> consensus -> signed -> sent, and withdrawn from any stage before sent.
A new version sends review/consensus back to review; signed and sent are frozen.
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import JointResponse, SignOff, Stage, User, utcnow
from . import consensus, notifications
from .audit import record_event
from .errors import Conflict, InvalidInput
from .queries import joined_participations, latest_version

EDITABLE_STAGES = {Stage.DRAFT, Stage.REVIEW, Stage.CONSENSUS}
def stage_of(response: JointResponse) -> Stage:
    return Stage(response.stage)


def ensure_editable(response: JointResponse) -> None:
    """Refuse changes to the text once it is signed, sent or withdrawn."""
    stage = stage_of(response)
    if stage in (Stage.SIGNED, Stage.SENT):
        raise Conflict(_("Yttrandet är undertecknat och texten kan inte längre ändras."))
    if stage is Stage.WITHDRAWN:
        raise Conflict(_("Yttrandet är återkallat och kan inte ändras."))


def ensure_stage(response: JointResponse, allowed: set[Stage], message: str) -> None:
    if stage_of(response) not in allowed:
        raise Conflict(message)


def _move(response: JointResponse, new_stage: Stage, user: User | None, summary: str) -> None:
    old = stage_of(response)
    response.stage = new_stage.value
    response.revision += 1
    version = latest_version(response)
    record_event(
        "stage_changed", user, response=response, summary=summary,
        version_number=version.number if version else None,
        details={"from": old.value, "to": new_stage.value},
    )


def on_version_published(response: JointResponse, user: User) -> None:
    """A new version sends the response to review; earlier approvals are now stale."""
    ensure_editable(response)
    if stage_of(response) is not Stage.REVIEW:
        response.consensus_version_id = None
        response.consensus_at = None
        _move(response, Stage.REVIEW, user, _("Ny version publicerad: förankring pågår."))
    reevaluate(response, user)


def reevaluate(response: JointResponse, user: User | None) -> consensus.ConsensusStatus:
    """Apply the consensus rule and the sign-off rule; move the stage when they say so."""
    status = consensus.current_status(response)
    stage = stage_of(response)
    if stage is Stage.REVIEW and status.reached:
        version = latest_version(response)
        response.consensus_version_id = version.id
        response.consensus_at = utcnow()
        _move(response, Stage.CONSENSUS, user,
              _("Samsyn nådd om version %(number)d.", number=version.number))
        notifications.consensus_reached(response, version)
        stage = Stage.CONSENSUS
    elif stage is Stage.CONSENSUS and not status.reached:
        response.consensus_version_id = None
        response.consensus_at = None
        _move(response, Stage.REVIEW, user, _("Samsynen bröts: förankring pågår igen."))
        stage = Stage.REVIEW
    if stage is Stage.CONSENSUS and _all_signed(response):
        response.signed_at = utcnow()
        _move(response, Stage.SIGNED, user, _("Alla deltagande kommuner har skrivit under."))
    return status


def missing_signatures(response: JointResponse) -> list[str]:
    """Names of co-signing municipalities that have not signed the consensus version."""
    if response.consensus_version_id is None:
        return []
    signed = set(db.session.scalars(
        select(SignOff.municipality_id).where(
            SignOff.response_id == response.id,
            SignOff.version_id == response.consensus_version_id,
        )
    ))
    return sorted(
        p.municipality.name for p in joined_participations(response)
        if p.municipality_id not in signed
    )


def _all_signed(response: JointResponse) -> bool:
    return response.consensus_version_id is not None and not missing_signatures(response)


def withdraw(response: JointResponse, user: User, reason: str) -> None:
    """Withdraw the response from any stage before it is sent."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput(_("Ange varför yttrandet återkallas."))
    ensure_stage(response, EDITABLE_STAGES | {Stage.SIGNED},
                 _("Ett skickat eller redan återkallat yttrande kan inte återkallas."))
    response.withdrawn_reason = reason
    _move(response, Stage.WITHDRAWN, user, _("Återkallat: %(reason)s", reason=reason))


def record_sent(response: JointResponse, user: User, sent_on: date) -> None:
    """Record the sending date of a signed response; it is then sent and frozen."""
    ensure_stage(response, {Stage.SIGNED},
                 _("Bara ett yttrande som alla har skrivit under kan markeras som skickat."))
    if sent_on < response.created_at.date():
        raise InvalidInput(_("Avsändningsdatumet kan inte ligga före att yttrandet öppnades."))
    response.sent_on = sent_on
    _move(response, Stage.SENT, user, _("Skickat %(date)s.", date=sent_on.isoformat()))
