"""The follow-up report: what the cooperation's plan measures itself on."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from sqlalchemy import extract, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import (
    Cooperation,
    FocusArea,
    JointResponse,
    Participation,
    ParticipationStatus,
    Stage,
    local_date,
    local_today,
)


@dataclass
class MunicipalityParticipation:
    name: str
    invited: int = 0
    joined: int = 0
    declined: int = 0
    stepped_aside: int = 0


@dataclass
class FollowUpReport:
    year: int
    cooperation: str
    opened: int
    sent: int
    withdrawn: int
    sent_by_focus_area: dict[str, int]
    participation: list[MunicipalityParticipation] = field(default_factory=list)
    median_days_to_consensus: float | None = None
    median_days_to_sending: float | None = None


def build_report(cooperation: Cooperation, year: int) -> FollowUpReport:
    """Count a year's joint responses: sent by focus area, participation, median lead times."""
    responses = list(db.session.scalars(
        select(JointResponse)
        .options(selectinload(JointResponse.participations).selectinload(Participation.municipality))
        .where(JointResponse.cooperation_id == cooperation.id,
               extract("year", JointResponse.created_at) == year)
    ))
    sent = [r for r in responses if r.stage == Stage.SENT.value]
    by_area = {area.value: 0 for area in FocusArea}
    for response in sent:
        by_area[response.focus_area] = by_area.get(response.focus_area, 0) + 1
    rows = {m.id: MunicipalityParticipation(m.name) for m in cooperation.municipalities}
    for response in responses:
        for participation in response.participations:
            row = rows.get(participation.municipality_id)
            if row is None:
                continue
            row.invited += 1
            status = ParticipationStatus(participation.status)
            if status is ParticipationStatus.JOINED:
                row.joined += 1
            elif status is ParticipationStatus.DECLINED:
                row.declined += 1
            elif status is ParticipationStatus.STEPPED_ASIDE:
                row.stepped_aside += 1
    to_consensus = [(r.consensus_at - r.created_at).days for r in responses if r.consensus_at]
    to_sending = [(r.sent_on - local_date(r.created_at)).days for r in sent if r.sent_on]
    return FollowUpReport(
        year=year, cooperation=cooperation.name, opened=len(responses), sent=len(sent),
        withdrawn=sum(1 for r in responses if r.stage == Stage.WITHDRAWN.value),
        sent_by_focus_area=by_area,
        participation=sorted(rows.values(), key=lambda r: r.name),
        median_days_to_consensus=statistics.median(to_consensus) if to_consensus else None,
        median_days_to_sending=statistics.median(to_sending) if to_sending else None,
    )


def current_year() -> int:
    return local_today().year
