"""The consensus rule, as one pure function.

A version reaches consensus when every remaining participant has approved that exact
version, none objects, and at least two co-signers remain.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from ..extensions import db
from ..models import JointResponse, Position, Version
from .queries import joined_participations, latest_version

MINIMUM_COSIGNERS = 2


@dataclass(frozen=True)
class ParticipantState:
    """What the rule needs to know about one participating municipality."""

    municipality_id: int
    name: str


@dataclass(frozen=True)
class PositionState:
    """A municipality's current position on one version."""

    municipality_id: int
    version_number: int
    approves: bool
    note: str = ""


@dataclass(frozen=True)
class Objection:
    municipality_id: int
    name: str
    reason: str


@dataclass(frozen=True)
class ConsensusStatus:
    version_number: int | None
    reached: bool
    approved: tuple[str, ...] = ()
    not_answered: tuple[str, ...] = ()
    objections: tuple[Objection, ...] = ()
    # Municipality name -> the older version it approved, for "approved 3, not yet 4".
    stale_approvals: dict[str, int] = field(default_factory=dict)
    too_few_cosigners: bool = False
    participant_count: int = 0

    @property
    def missing_count(self) -> int:
        return len(self.not_answered) + len(self.objections)

    def summary(self) -> str:
        """What is missing, in one sentence."""
        if self.version_number is None:
            return _("Ingen version är publicerad än.")
        if self.reached:
            return _("Samsyn: alla %(count)d deltagande kommuner har godkänt version %(version)d.",
                     count=self.participant_count, version=self.version_number)
        parts: list[str] = []
        if self.not_answered:
            parts.append(ngettext(
                "%(num)d kommun har inte tagit ställning (%(names)s)",
                "%(num)d kommuner har inte tagit ställning (%(names)s)",
                len(self.not_answered), names=", ".join(self.not_answered),
            ))
        if self.objections:
            parts.append(ngettext(
                "%(num)d kommun invänder (%(names)s)",
                "%(num)d kommuner invänder (%(names)s)",
                len(self.objections), names=", ".join(o.name for o in self.objections),
            ))
        if self.too_few_cosigners:
            parts.append(_("minst två kommuner måste stå bakom yttrandet"))
        return _("Version %(version)d saknar samsyn: %(parts)s.",
                 version=self.version_number, parts="; ".join(parts))


def evaluate(
    participants: Iterable[ParticipantState],
    positions: Iterable[PositionState],
    current_version_number: int | None,
) -> ConsensusStatus:
    """Decide whether the current version has consensus, and say exactly what is missing."""
    participants = sorted(participants, key=lambda p: p.name)
    if current_version_number is None:
        return ConsensusStatus(version_number=None, reached=False,
                               not_answered=tuple(p.name for p in participants),
                               participant_count=len(participants),
                               too_few_cosigners=len(participants) < MINIMUM_COSIGNERS)
    current: dict[int, PositionState] = {}
    latest_approved_older: dict[int, int] = {}
    for position in positions:
        if position.version_number == current_version_number:
            current[position.municipality_id] = position
        elif position.approves and position.version_number < current_version_number:
            previous = latest_approved_older.get(position.municipality_id, 0)
            latest_approved_older[position.municipality_id] = max(previous, position.version_number)

    approved, not_answered, objections = [], [], []
    stale: dict[str, int] = {}
    for participant in participants:
        position = current.get(participant.municipality_id)
        if position is None:
            not_answered.append(participant.name)
            if participant.municipality_id in latest_approved_older:
                stale[participant.name] = latest_approved_older[participant.municipality_id]
        elif position.approves:
            approved.append(participant.name)
        else:
            objections.append(Objection(participant.municipality_id, participant.name, position.note))
    too_few = len(participants) < MINIMUM_COSIGNERS
    return ConsensusStatus(
        version_number=current_version_number,
        reached=not not_answered and not objections and not too_few,
        approved=tuple(approved),
        not_answered=tuple(not_answered),
        objections=tuple(objections),
        stale_approvals=stale,
        too_few_cosigners=too_few,
        participant_count=len(participants),
    )


_UNKNOWN = object()


def current_status(response: JointResponse, version=_UNKNOWN) -> ConsensusStatus:
    """Evaluate the rule for a stored response (joined participants, current positions)."""
    if version is _UNKNOWN:
        version = latest_version(response)
    participants = [
        ParticipantState(p.municipality_id, p.municipality.name)
        for p in joined_participations(response)
    ]
    rows = db.session.execute(
        select(Position.municipality_id, Version.number, Position.decision, Position.note)
        .join(Version, Version.id == Position.version_id)
        .where(Position.response_id == response.id, Position.is_current.is_(True))
    ).all()
    positions = [
        PositionState(municipality_id, number, decision != "object", note)
        for municipality_id, number, decision, note in rows
    ]
    return evaluate(participants, positions, version.number if version else None)
