"""One overview of a response: stage, consensus, what is missing, participants, positions, sign-offs.

The response page, the matrix, the dashboard and the API all read this, built in a fixed
number of queries (for one response, or for a whole list of them at once).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import (
    JointResponse,
    Participation,
    ParticipationStatus,
    Position,
    SignOff,
    Stage,
    Version,
)
from .consensus import ConsensusStatus, ParticipantState, PositionState, evaluate
from .signatures import SignOffState, states_of, unsigned


@dataclass(frozen=True)
class EarlierObjection:
    """A municipality's objection to an older version, shown beside the current one."""

    version_number: int
    reason: str


@dataclass(frozen=True)
class ResponseOverview:
    """What anyone looking at a response needs to know about where it stands."""

    response: JointResponse
    stage: Stage
    version: Version | None  # the latest published version
    status: ConsensusStatus
    # Current positions on the latest version, by municipality id.
    positions: dict[int, Position]
    signoffs: dict[int, SignOffState]
    missing_signatures: tuple[str, ...]
    unanswered_invitations: tuple[str, ...]
    participations: tuple[Participation, ...]  # by municipality name
    # Municipalities with no position on the latest version whose latest word was an objection.
    earlier_objections: dict[int, EarlierObjection]

    def sentence(self) -> str:
        """Where the response stands and what is missing, in one sentence."""
        response, stage = self.response, self.stage
        if stage is Stage.CONSENSUS and self.missing_signatures:
            return _("Samsyn om version %(n)d. Underskrift saknas från: %(names)s.",
                     n=self.status.version_number or 0, names=", ".join(self.missing_signatures))
        if stage is Stage.SIGNED:
            return _("Alla har skrivit under. Yttrandet är klart att skickas.")
        if stage is Stage.SENT:
            return _("Yttrandet skickades %(date)s.",
                     date=response.sent_on.isoformat() if response.sent_on else "")
        if stage is Stage.WITHDRAWN:
            return _("Yttrandet är återkallat: %(reason)s", reason=response.withdrawn_reason)
        return self.status.summary()


def overview(response: JointResponse) -> ResponseOverview:
    """The overview of one response (participations already loaded: three queries)."""
    return overviews([response])[0]


def overviews(responses: Sequence[JointResponse]) -> list[ResponseOverview]:
    """Overviews of many responses in three queries, whatever their number."""
    ids = [r.id for r in responses]
    if not ids:
        return []
    versions = _latest_versions(ids)
    positions_by_response: dict[int, list[tuple[Position, int]]] = {}
    for position, number in db.session.execute(
        select(Position, Version.number)
        .join(Version, Version.id == Position.version_id)
        .options(joinedload(Position.user))
        .where(Position.response_id.in_(ids), Position.is_current.is_(True))
    ).all():
        positions_by_response.setdefault(position.response_id, []).append((position, number))
    signoffs_by_response: dict[int, list[SignOff]] = {}
    for signoff in db.session.scalars(
        select(SignOff).options(joinedload(SignOff.version))
        .where(SignOff.response_id.in_(ids)).order_by(SignOff.created_at, SignOff.id)
    ):
        signoffs_by_response.setdefault(signoff.response_id, []).append(signoff)
    return [_build(r, versions.get(r.id), positions_by_response.get(r.id, []),
                   signoffs_by_response.get(r.id, [])) for r in responses]


def _latest_versions(ids: list[int]) -> dict[int, Version]:
    latest = (select(Version.response_id, db.func.max(Version.number).label("number"))
              .where(Version.response_id.in_(ids)).group_by(Version.response_id).subquery())
    rows = db.session.scalars(
        select(Version).options(joinedload(Version.published_by))
        .join(latest, (Version.response_id == latest.c.response_id)
              & (Version.number == latest.c.number))
    )
    return {version.response_id: version for version in rows}


def _build(response: JointResponse, version: Version | None,
           positions: list[tuple[Position, int]], signoffs: list[SignOff]) -> ResponseOverview:
    stage = Stage(response.stage)
    participations = tuple(sorted(response.participations, key=lambda p: p.municipality.name))
    joined = [p for p in participations if p.status == ParticipationStatus.JOINED]
    status = evaluate(
        [ParticipantState(p.municipality_id, p.municipality.name) for p in joined],
        [PositionState(p.municipality_id, number, p.decision != "object", p.note)
         for p, number in positions],
        version.number if version else None,
    )
    on_latest = {p.municipality_id: p for p, number in positions
                 if version is not None and p.version_id == version.id}
    earlier: dict[int, EarlierObjection] = {}
    for position, number in sorted(positions, key=lambda pair: pair[1]):
        if version is not None and number < version.number and position.municipality_id not in on_latest:
            if position.decision == "object":
                earlier[position.municipality_id] = EarlierObjection(number, position.note)
            else:
                earlier.pop(position.municipality_id, None)
    states = states_of(response, signoffs)
    missing = tuple(unsigned(response, {mid for mid, state in states.items() if state.current}))
    return ResponseOverview(
        response=response, stage=stage, version=version, status=status, positions=on_latest,
        signoffs=states, missing_signatures=missing,
        unanswered_invitations=tuple(p.municipality.name for p in participations
                                     if p.status == ParticipationStatus.INVITED),
        participations=participations, earlier_objections=earlier,
    )
