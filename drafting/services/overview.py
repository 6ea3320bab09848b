"""One overview of a response: stage, consensus, what is missing, participants, positions, sign-offs.

The response page, the matrix, the dashboard and the API all read this, built in a fixed
number of queries (for one response, or for a whole list of them at once) from plain records
of its rows (services/records.py), which the response page keeps in the shared cache for all
its viewers. The dashboard's list (search, filters, archive, pages) is chosen here too, in SQL:
`list_responses`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..labels import STAGE_LABELS
from ..limits import MAX_SEARCH_CHARS, OVERVIEW_PAGE_SIZE
from ..models import (
    SOON_DAYS,
    Consultation,
    DeadlineWindow,
    FocusArea,
    JointResponse,
    Municipality,
    Participation,
    ParticipationStatus,
    Position,
    SignOff,
    Stage,
    User,
    Version,
)
from .consensus import ConsensusStatus, ParticipantState, PositionState, evaluate
from .errors import InvalidInput
from .records import (
    NamedMunicipality,
    NumberedVersion,
    Person,
    PublishedVersion,
    RecordedPosition,
    RecordedSignOff,
)
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
    version: PublishedVersion | None  # the latest published version
    status: ConsensusStatus
    # Current positions on the latest version, by municipality id.
    positions: dict[int, RecordedPosition]
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

    def missing_briefly(self) -> str:
        """What is missing, in a few words, for a row of the overview list.

        Says nothing about positions before there is a version to take a position on, and
        never counts zero municipalities.
        """
        stage, status = self.stage, self.status
        if stage.takes_signoffs:
            return ngettext("%(num)d underskrift saknas", "%(num)d underskrifter saknas",
                            len(self.missing_signatures))
        if stage.is_frozen:
            return _("Klart att skicka")
        if stage.is_closed:
            return ""
        parts = []
        if status.participant_count == 0:
            parts.append(_("Inga kommuner deltar än"))
        elif status.version_number is None:
            parts.append(_("Ingen version publicerad än"))
        else:
            if status.not_answered:
                parts.append(ngettext("%(num)d kommun har inte tagit ställning",
                                      "%(num)d kommuner har inte tagit ställning",
                                      len(status.not_answered)))
            if status.objections:
                parts.append(ngettext("%(num)d kommun invänder", "%(num)d kommuner invänder",
                                      len(status.objections)))
            if status.too_few_cosigners:
                parts.append(_("minst två kommuner måste stå bakom yttrandet"))
        if self.unanswered_invitations:
            parts.append(ngettext("%(num)d inbjudan obesvarad", "%(num)d inbjudningar obesvarade",
                                  len(self.unanswered_invitations)))
        return "; ".join(parts)


@dataclass(frozen=True)
class OverviewRows:
    """What an overview reads from the database for one response, as plain records: the latest
    version, the current positions (on any version), every sign-off oldest first. Plain, so
    that it can be kept in the shared page cache and read by every viewer."""

    version: PublishedVersion | None = None
    positions: tuple[RecordedPosition, ...] = ()
    signoffs: tuple[RecordedSignOff, ...] = ()


def overview(response: JointResponse, rows: OverviewRows | None = None) -> ResponseOverview:
    """The overview of one response (participations already loaded): three queries, or none
    when its rows were read before (views/response_page.shared_facts keeps them)."""
    return _build(response, rows if rows is not None else overview_rows([response.id])[response.id])


def overviews(responses: Sequence[JointResponse]) -> list[ResponseOverview]:
    """Overviews of many responses in three queries, whatever their number."""
    rows = overview_rows([r.id for r in responses])
    return [_build(r, rows[r.id]) for r in responses]


def overview_rows(ids: Sequence[int]) -> dict[int, OverviewRows]:
    """The rows of these responses' overviews, in three queries whatever their number."""
    if not ids:
        return {}
    versions = _latest_versions(ids)
    positions: dict[int, list[RecordedPosition]] = {}
    for row in db.session.execute(
        select(Position.__table__, Version.number.label("version_number"),
               User.name.label("user_name"), User.title.label("user_title"))
        .join(Version, Version.id == Position.version_id).join(User, User.id == Position.user_id)
        .where(Position.response_id.in_(ids), Position.is_current.is_(True)).order_by(Position.id)
    ).mappings():
        fields = dict(row)
        user = Person(row["user_id"], fields.pop("user_name"), fields.pop("user_title"))
        positions.setdefault(row["response_id"], []).append(RecordedPosition(**fields, user=user))
    signoffs: dict[int, list[RecordedSignOff]] = {}
    for row in db.session.execute(
        select(SignOff.__table__, Version.number.label("version_number"),
               Municipality.name.label("municipality_name"))
        .join(Version, Version.id == SignOff.version_id)
        .join(Municipality, Municipality.id == SignOff.municipality_id)
        .where(SignOff.response_id.in_(ids)).order_by(SignOff.created_at, SignOff.id)
    ).mappings():
        fields = dict(row)
        version = NumberedVersion(row["version_id"], fields.pop("version_number"))
        municipality = NamedMunicipality(row["municipality_id"], fields.pop("municipality_name"))
        signoffs.setdefault(row["response_id"], []).append(
            RecordedSignOff(**fields, version=version, municipality=municipality))
    return {i: OverviewRows(versions.get(i), tuple(positions.get(i, ())), tuple(signoffs.get(i, ())))
            for i in ids}


def _latest_versions(ids: Sequence[int]) -> dict[int, PublishedVersion]:
    latest = (select(Version.response_id, db.func.max(Version.number).label("number"))
              .where(Version.response_id.in_(ids)).group_by(Version.response_id).subquery())
    rows = db.session.execute(
        select(Version.__table__, User.name.label("publisher_name"),
               User.title.label("publisher_title"))
        .join(latest, (Version.response_id == latest.c.response_id)
              & (Version.number == latest.c.number))
        .join(User, User.id == Version.published_by_id)
    ).mappings()
    found = {}
    for row in rows:
        fields = dict(row)
        publisher = Person(row["published_by_id"], fields.pop("publisher_name"),
                           fields.pop("publisher_title"))
        found[row["response_id"]] = PublishedVersion(**fields, published_by=publisher)
    return found


def _build(response: JointResponse, rows: OverviewRows) -> ResponseOverview:
    stage, version, positions = Stage(response.stage), rows.version, rows.positions
    participations = tuple(sorted(response.participations, key=lambda p: p.municipality.name))
    joined = [p for p in participations if p.status == ParticipationStatus.JOINED]
    status = evaluate(
        [ParticipantState(p.municipality_id, p.municipality.name) for p in joined],
        [PositionState(p.municipality_id, p.version_number, p.decision != "object", p.note)
         for p in positions],
        version.number if version else None,
    )
    on_latest = {p.municipality_id: p for p in positions
                 if version is not None and p.version_id == version.id}
    earlier: dict[int, EarlierObjection] = {}
    for position in sorted(positions, key=lambda p: p.version_number):
        if (version is not None and position.version_number < version.number
                and position.municipality_id not in on_latest):
            if position.decision == "object":
                earlier[position.municipality_id] = EarlierObjection(position.version_number,
                                                                     position.note)
            else:
                earlier.pop(position.municipality_id, None)
    states = states_of(response, rows.signoffs)
    missing = tuple(unsigned(response, {mid for mid, state in states.items() if state.current}))
    return ResponseOverview(
        response=response, stage=stage, version=version, status=status, positions=on_latest,
        signoffs=states, missing_signatures=missing,
        unanswered_invitations=tuple(p.municipality.name for p in participations
                                     if p.status == ParticipationStatus.INVITED),
        participations=participations, earlier_objections=earlier,
    )


# --- the overview's list: search, filters, archive, pages ------------------------------------


@dataclass(frozen=True)
class ResponseFilter:
    """What the overview's list asks for. The archive lists sent and withdrawn responses."""

    search: str = ""
    stage: Stage | None = None
    focus_area: FocusArea | None = None
    deadline: DeadlineWindow | None = None
    archive: bool = False
    page: int = 1

    def __post_init__(self) -> None:
        if len(self.search) > MAX_SEARCH_CHARS:
            raise InvalidInput(_("Sökningen är för lång: högst %(max)d tecken.",
                                 max=MAX_SEARCH_CHARS), field="q")
        if self.stage is not None and self.stage.is_closed != self.archive:
            # A stage of the other list: the form never offers it, so say where it is.
            raise InvalidInput(_("Yttranden i skedet ”%(stage)s” finns i den andra listan.",
                                 stage=STAGE_LABELS[self.stage]), field="stage")

    @property
    def is_narrowed(self) -> bool:
        return bool(self.search.strip() or self.stage or self.focus_area or self.deadline)


@dataclass(frozen=True)
class ResponseList:
    """One page of the overview's list, and how many responses match in all."""

    overviews: list[ResponseOverview]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))


def list_responses(cooperation_ids: Sequence[int], wanted: ResponseFilter, today: date,
                   page_size: int = OVERVIEW_PAGE_SIZE) -> ResponseList:
    """The responses of these cooperations that match, one page of them, with their overviews.

    Filtered, counted and paged in SQL: seven queries whatever the number of responses.
    Active responses come by deadline, the most urgent first; the archive, the latest first.
    """
    conditions = [JointResponse.cooperation_id.in_(cooperation_ids),
                  JointResponse.stage.in_([s for s in Stage if s.is_closed == wanted.archive])]
    if wanted.stage is not None:
        conditions.append(JointResponse.stage == wanted.stage)
    if wanted.focus_area is not None:
        conditions.append(JointResponse.focus_area == wanted.focus_area.value)
    if wanted.deadline is DeadlineWindow.PASSED:
        conditions.append(Consultation.deadline < today)
    elif wanted.deadline is DeadlineWindow.SOON:
        conditions.append(Consultation.deadline.between(today, today + timedelta(days=SOON_DAYS)))
    elif wanted.deadline is DeadlineWindow.LATER:
        conditions.append(Consultation.deadline > today + timedelta(days=SOON_DAYS))
    for word in wanted.search.split():
        conditions.append(or_(*(column.icontains(word, autoescape=True) for column in (
            JointResponse.title, JointResponse.our_reference, Consultation.title,
            Consultation.reference_number, Consultation.sender))))
    matching = (select(JointResponse.id).join(Consultation,
                                              Consultation.id == JointResponse.consultation_id)
                .where(*conditions))
    total = db.session.scalar(select(func.count()).select_from(matching.subquery())) or 0
    pages = max(1, math.ceil(total / page_size))
    page = min(wanted.page, pages)
    order = ((JointResponse.id.desc(),) if wanted.archive
             else (Consultation.deadline, JointResponse.id.desc()))
    responses = list(db.session.scalars(
        select(JointResponse)
        .join(Consultation, Consultation.id == JointResponse.consultation_id)
        .options(selectinload(JointResponse.participations).joinedload(Participation.municipality),
                 joinedload(JointResponse.consultation))
        .where(*conditions).order_by(*order)
        .limit(page_size).offset((page - 1) * page_size)
    ))
    return ResponseList(overviews(responses), total, page, page_size)
