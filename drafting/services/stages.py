"""The moves between the stages of a joint response.

draft -> review -> consensus -> signed -> sent, and withdrawn from any stage before sent.
A new version sends review/consensus back to review and makes earlier sign-offs stale;
signed and sent are frozen. What each stage allows is said by `Stage` itself
(models/responses.py) and asked through drafting/permissions.py.
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

from ..models import JointResponse, Stage, User, Version, local_date, utcnow
from ..permissions import Action, ensure
from . import consensus, notifications
from .audit import record_event
from .errors import InvalidInput
from .queries import latest_version
from .signatures import missing_signatures, signoffs_a_new_version_would_discard


def stage_of(response: JointResponse) -> Stage:
    return Stage(response.stage)


def _move(response: JointResponse, new_stage: Stage, user: User | None, summary: str) -> None:
    old = stage_of(response)
    response.stage = new_stage
    response.revision += 1
    version = latest_version(response)
    record_event(
        "stage_changed", user, response=response, summary=summary,
        version_number=version.number if version else None,
        details={"from": old.value, "to": new_stage.value},
    )


def on_version_published(response: JointResponse, user: User) -> None:
    """A new version sends the response to review; earlier approvals and sign-offs are now stale."""
    stale = signoffs_a_new_version_would_discard(response)
    if stale:
        record_event(
            "signoffs_discarded", user, response=response,
            summary=_("Underskrifterna av version %(number)d gäller inte längre: %(names)s.",
                      number=stale[0].version.number,
                      names=", ".join(s.municipality.name for s in stale)),
            details={"signoff_ids": [s.id for s in stale]},
        )
    if stage_of(response) is not Stage.REVIEW:
        response.consensus_version_id = None
        response.consensus_at = None
        _move(response, Stage.REVIEW, user, _("Ny version publicerad: förankring pågår."))
    reevaluate(response, user)


def reevaluate(response: JointResponse, user: User | None,
               latest: Version | None = None) -> consensus.ConsensusStatus:
    """Apply the consensus rule and the sign-off rule; move the stage when they say so.

    `latest`: the latest version, when the caller has just read it.
    """
    version = latest if latest is not None else latest_version(response)
    status = consensus.current_status(response, version)
    stage = stage_of(response)
    if stage is Stage.REVIEW and status.reached:
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


def _all_signed(response: JointResponse) -> bool:
    return response.consensus_version_id is not None and not missing_signatures(response)


def withdraw(response: JointResponse, user: User, reason: str) -> None:
    """Withdraw the response from any stage before it is sent."""
    ensure(user, Action.WITHDRAW, response)
    reason = reason.strip()
    if not reason:
        raise InvalidInput(_("Ange varför yttrandet återkallas."))
    response.withdrawn_reason = reason
    _move(response, Stage.WITHDRAWN, user, _("Återkallat: %(reason)s", reason=reason))


def record_sent(response: JointResponse, user: User, sent_on: date) -> None:
    """Record the sending date of a signed response; it is then sent and frozen."""
    ensure(user, Action.RECORD_SENT, response)
    if sent_on < local_date(response.created_at):
        raise InvalidInput(_("Avsändningsdatumet kan inte ligga före att yttrandet öppnades."))
    response.sent_on = sent_on
    _move(response, Stage.SENT, user, _("Skickat %(date)s.", date=sent_on.isoformat()))
    notifications.response_sent(response)
