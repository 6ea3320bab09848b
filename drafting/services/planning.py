"""The plan backwards from the remiss deadline: the one home of that rule.

Each participant decides in its chosen body (kommunstyrelsen, its arbetsutskott, kommunfullmäktige,
or the director on delegation) at a meeting whose papers are due some days before. The rule, as
pure functions over small frozen dataclasses (`plan`), with a thin loader beside it
(`response_plan`) and the sentences people read (`describe`, `milestone_label`):

- a participant decides at its chosen body's latest meeting on or before the deadline whose
  papers are not yet past due; the director on delegation (where the municipality allows it)
  decides by the deadline, papers due DELEGATION_LEAD_DAYS before;
- the consensus version must exist by the earliest of those papers' due dates;
- positions are due then, comments COMMENTS_BEFORE_POSITIONS days earlier, and the home round
  ends HOME_ROUND_BEFORE_COMMENTS days before the comments; the coordinator may set each of
  these three dates (stored on the response), and a date set later than the plan is warned of;
- a participant whose body cannot decide in time is warned of, with the other bodies that can
  (and delegation), and counts among those an extension (anstånd) would name.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from functools import cache, lru_cache

from babel.lists import format_list
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import MeetingDate, Stage, local_today
from ..models.deciding_bodies import DecidingBody
from .decision_basis import chosen_bodies
from .queries import joined_participations
from .signatures import signoffs_in_signing_order

DEFAULT_BODY = DecidingBody.MUNICIPAL_EXECUTIVE_BOARD.value
DELEGATION = DecidingBody.DIRECTOR_ON_DELEGATION.value
DEFAULT_DOCUMENT_DEADLINE_DAYS = 10
DELEGATION_LEAD_DAYS = 3  # the director's decision on delegation is prepared three days ahead
COMMENTS_BEFORE_POSITIONS = 7  # a week for the coordinator to publish the version to decide on
HOME_ROUND_BEFORE_COMMENTS = 3  # the official needs a few days to bring the home round together
REMIND_DAYS_BEFORE = (2,)  # reminders before the plan's internal dates


@dataclass(frozen=True)
class Meeting:
    """A meeting of a deciding body, and how many days before it its papers are due."""

    body: str
    on: date
    document_deadline_days: int = DEFAULT_DOCUMENT_DEADLINE_DAYS

    @property
    def papers_due(self) -> date:
        return self.on - timedelta(days=self.document_deadline_days)


@dataclass(frozen=True)
class Calendar:
    """One participant: its chosen body, its bodies' coming meetings and its delegation order."""

    municipality: str
    body: str = DEFAULT_BODY
    meetings: tuple[Meeting, ...] = ()
    director_may_decide: bool = False
    decided_on: date | None = None  # its body has decided (the director signed the consensus text)


@dataclass(frozen=True)
class ParticipantPlan:
    municipality: str
    body: str
    meeting: Meeting | None  # when the chosen body decides in time; None if it cannot
    # The chosen body's first meeting that it could still reach, when that is after the deadline.
    next_possible: Meeting | None = None
    alternatives: tuple[Meeting, ...] = ()  # other bodies that can decide in time

    @property
    def in_time(self) -> bool:
        return self.meeting is not None

    @property
    def papers_due(self) -> date | None:
        return self.meeting.papers_due if self.meeting else None


class Problem(StrEnum):
    MEETS_AFTER_DEADLINE = "meets_after_deadline"
    NO_MEETING = "no_meeting"
    DELEGATION_NOT_ALLOWED = "delegation_not_allowed"
    DATE_AFTER_PLAN = "date_after_plan"


class MilestoneKind(StrEnum):
    HOME_ROUND = "home_round"
    COMMENTS = "comments"
    POSITIONS = "positions"
    CONSENSUS = "consensus"
    PAPERS_DUE = "papers_due"
    MEETING = "meeting"
    DEADLINE = "deadline"


ADJUSTABLE = (MilestoneKind.HOME_ROUND, MilestoneKind.COMMENTS, MilestoneKind.POSITIONS)


@dataclass(frozen=True)
class PlanWarning:
    problem: Problem
    municipality: str = ""
    body: str = ""
    on: date | None = None  # the meeting, the adjusted date, or the consensus date
    latest: date | None = None  # the deadline, or the plan's latest date
    alternatives: tuple[Meeting, ...] = ()
    milestone: MilestoneKind | None = None


@dataclass(frozen=True)
class Milestone:
    on: date
    kind: MilestoneKind
    municipality: str = ""
    body: str = ""
    adjusted: bool = False  # the coordinator set this date
    passed: bool = False


@dataclass(frozen=True)
class Overrides:
    """The coordinator's own dates for the internal deadlines; None: the plan's."""

    home_round: date | None = None
    comments: date | None = None
    positions: date | None = None

    def get(self, kind: MilestoneKind) -> date | None:
        return {MilestoneKind.HOME_ROUND: self.home_round, MilestoneKind.COMMENTS: self.comments,
                MilestoneKind.POSITIONS: self.positions}.get(kind)


@dataclass(frozen=True)
class Plan:
    deadline: date
    today: date
    participants: tuple[ParticipantPlan, ...]
    consensus_by: date
    # The internal deadlines in effect (the coordinator's where set) and the plan's own.
    due: dict[MilestoneKind, date]
    planned: dict[MilestoneKind, date]
    milestones: tuple[Milestone, ...]
    warnings: tuple[PlanWarning, ...] = field(default=())

    @property
    def late(self) -> tuple[ParticipantPlan, ...]:
        """Participants whose bodies cannot decide by the deadline: what an extension names."""
        return tuple(p for p in self.participants if not p.in_time)

    @property
    def feasible(self) -> bool:
        return not self.late

    @property
    def extended_deadline(self) -> date | None:
        """The earliest deadline by which every late participant's chosen body could decide."""
        dates = [p.next_possible.on for p in self.late if p.next_possible]
        return max(dates) if dates else None


def _delegation(deadline: date) -> Meeting:
    return Meeting(DELEGATION, deadline, DELEGATION_LEAD_DAYS)


def _latest_in_time(meetings: Iterable[Meeting], deadline: date, today: date,
                    papers_sent: bool = False) -> Meeting | None:
    # Once the consensus version exists the papers may be in already: only the meeting counts.
    reachable = [m for m in meetings
                 if m.on <= deadline and (m.papers_due >= today or (papers_sent and m.on >= today))]
    return max(reachable, key=lambda m: m.on) if reachable else None


def participant_plan(calendar: Calendar, deadline: date, today: date,
                     consensus_reached: bool = False) -> ParticipantPlan:
    """When one participant's chosen body decides, or why it cannot and what could instead."""
    if calendar.decided_on is not None:
        return ParticipantPlan(calendar.municipality, calendar.body,
                               Meeting(calendar.body, calendar.decided_on, 0))
    bodies = sorted({m.body for m in calendar.meetings if m.body != DELEGATION})
    by_body = {body: [m for m in calendar.meetings if m.body == body] for body in bodies}
    if calendar.director_may_decide:
        by_body[DELEGATION] = [_delegation(deadline)]
    chosen = by_body.get(calendar.body, [])
    meeting = _latest_in_time(chosen, deadline, today, consensus_reached)
    if meeting is not None:
        return ParticipantPlan(calendar.municipality, calendar.body, meeting)
    ahead = sorted((m for m in chosen if m.papers_due >= today), key=lambda m: m.on)
    alternatives = tuple(
        m for body in [*bodies, DELEGATION] if body != calendar.body
        for m in [_latest_in_time(by_body.get(body, []), deadline, today)] if m is not None
    )
    return ParticipantPlan(calendar.municipality, calendar.body, None,
                           next_possible=ahead[0] if ahead else None, alternatives=alternatives)


def plan(deadline: date, today: date, calendars: Sequence[Calendar],
         overrides: Overrides = Overrides(), *, consensus_reached: bool = False) -> Plan:
    """The plan backwards from the deadline for these participants, with its warnings."""
    participants = tuple(participant_plan(c, deadline, today, consensus_reached) for c in calendars)
    warnings: list[PlanWarning] = []
    for calendar, p in zip(calendars, participants, strict=True):
        if p.in_time:
            continue
        if p.body == DELEGATION and not calendar.director_may_decide:
            warnings.append(PlanWarning(Problem.DELEGATION_NOT_ALLOWED, p.municipality, p.body,
                                        latest=deadline, alternatives=p.alternatives))
        elif p.next_possible is not None:
            warnings.append(PlanWarning(Problem.MEETS_AFTER_DEADLINE, p.municipality, p.body,
                                        on=p.next_possible.on, latest=deadline,
                                        alternatives=p.alternatives))
        else:
            warnings.append(PlanWarning(Problem.NO_MEETING, p.municipality, p.body, latest=deadline,
                                        alternatives=p.alternatives))
    in_time = [p.papers_due for p in participants if p.papers_due is not None]
    consensus_by = min(in_time) if in_time else deadline - timedelta(DEFAULT_DOCUMENT_DEADLINE_DAYS)
    planned = {MilestoneKind.POSITIONS: consensus_by}
    planned[MilestoneKind.COMMENTS] = consensus_by - timedelta(COMMENTS_BEFORE_POSITIONS)
    planned[MilestoneKind.HOME_ROUND] = (planned[MilestoneKind.COMMENTS]
                                         - timedelta(HOME_ROUND_BEFORE_COMMENTS))
    due = {kind: overrides.get(kind) or planned[kind] for kind in ADJUSTABLE}
    for kind in ADJUSTABLE:
        if due[kind] > planned[kind]:
            warnings.append(PlanWarning(Problem.DATE_AFTER_PLAN, on=due[kind], latest=planned[kind],
                                        milestone=kind))
    milestones = [
        *(Milestone(due[kind], kind, adjusted=overrides.get(kind) is not None) for kind in ADJUSTABLE),
        Milestone(consensus_by, MilestoneKind.CONSENSUS),
        Milestone(deadline, MilestoneKind.DEADLINE),
    ]
    for p in participants:
        if p.meeting is not None:
            milestones.append(Milestone(p.meeting.papers_due, MilestoneKind.PAPERS_DUE,
                                        p.municipality, p.body))
            milestones.append(Milestone(p.meeting.on, MilestoneKind.MEETING, p.municipality, p.body))
    order = list(MilestoneKind)
    milestones = sorted(
        (Milestone(m.on, m.kind, m.municipality, m.body, m.adjusted, m.on < today) for m in milestones),
        key=lambda m: (m.on, order.index(m.kind), m.municipality))
    return Plan(deadline, today, participants, consensus_by, due, planned, tuple(milestones),
                tuple(warnings))


# --------------------------------------------------------------------------------------------
# Loading a response's plan


def response_plan(response, today: date, *, signoffs: Iterable | None = None) -> Plan:
    """The plan of one response, from its joined participants' calendars and chosen bodies.

    `signoffs`: all the response's sign-offs when the caller has them already (one query less).
    """
    joined = joined_participations(response)
    ids = [p.municipality_id for p in joined]
    rows = db.session.scalars(select(MeetingDate).where(
        MeetingDate.municipality_id.in_(ids), MeetingDate.meets_on >= today)).all() if ids else []
    meetings: dict[int, list[Meeting]] = {}
    for row in rows:
        meetings.setdefault(row.municipality_id, []).append(
            Meeting(row.body, row.meets_on, row.document_deadline_days))
    bodies = chosen_bodies(response)
    decided = {s.municipality_id: s for s in signoffs_in_signing_order(response, signoffs)}
    calendars = [
        Calendar(p.municipality.name,
                 decided[p.municipality_id].deciding_body if p.municipality_id in decided
                 else bodies.get(p.municipality_id, DEFAULT_BODY),
                 tuple(sorted(meetings.get(p.municipality_id, []), key=lambda m: m.on)),
                 p.municipality.director_may_decide,
                 decided[p.municipality_id].decision_date if p.municipality_id in decided else None)
        for p in sorted(joined, key=lambda p: p.municipality.name)
    ]
    overrides = Overrides(response.plan_home_round_due, response.plan_comments_due,
                          response.plan_positions_due)
    return plan(response.deadline, today, calendars, overrides,
                consensus_reached=response.consensus_version_id is not None)


def home_round_due(response, today: date, *, known_plan: Plan | None = None) -> date | None:
    """The plan's home-round date for this response (the coordinator's where set), or None when
    the response is past planning. The home round (services/home.py) asks here, never recomputes.

    `known_plan`: the response's plan for `today` when the caller has computed it already.
    """
    if not Stage(response.stage).can_be_planned:
        return None
    return (known_plan or response_plan(response, today)).due[MilestoneKind.HOME_ROUND]


# --------------------------------------------------------------------------------------------
# What people read


@cache  # lazy strings: translated when used, so one dict serves every locale
def _labels():
    return {
        "milestone": {
            MilestoneKind.HOME_ROUND: _l("Beredningen på hemmaplan klar"),
            MilestoneKind.COMMENTS: _l("Sista dag för synpunkter"),
            MilestoneKind.POSITIONS: _l("Sista dag för ställningstaganden"),
            MilestoneKind.CONSENSUS: _l("Senaste dag för samsyn om den version som beslutas"),
            MilestoneKind.PAPERS_DUE: _l("%(municipality)s: handlingarna till %(body)s senast"),
            MilestoneKind.MEETING: _l("%(municipality)s: %(body)s beslutar"),
            MilestoneKind.DEADLINE: _l("Sista svarsdag"),
        },
        "adjusted": {
            MilestoneKind.HOME_ROUND: _l("beredningen på hemmaplan"),
            MilestoneKind.COMMENTS: _l("synpunkterna"),
            MilestoneKind.POSITIONS: _l("ställningstagandena"),
        },
        # "Eslövs kommunstyrelse": the body of one municipality, in a sentence.
        "body_of": {
            DecidingBody.MUNICIPAL_EXECUTIVE_BOARD.value: _l("%(whose)s kommunstyrelse"),
            DecidingBody.BOARD_WORKING_COMMITTEE.value: _l("%(whose)s arbetsutskott"),
            DecidingBody.MUNICIPAL_COUNCIL.value: _l("%(whose)s kommunfullmäktige"),
            DecidingBody.DIRECTOR_ON_DELEGATION.value: _l("%(whose)s kommundirektör på delegation"),
        },
        # "arbetsutskottet 3 mars": a body to choose instead, with its meeting.
        "choose": {
            DecidingBody.MUNICIPAL_EXECUTIVE_BOARD.value: _l("kommunstyrelsen %(date)s"),
            DecidingBody.BOARD_WORKING_COMMITTEE.value: _l("arbetsutskottet %(date)s"),
            DecidingBody.MUNICIPAL_COUNCIL.value: _l("kommunfullmäktige %(date)s"),
            DecidingBody.DIRECTOR_ON_DELEGATION.value: _l("delegation"),
        },
    }


def short_date(day: date) -> str:
    """ "12 mars" (with the year when it is not this year's)."""
    return format_date(day, "d MMMM" if day.year == local_today().year else "d MMMM y")


def genitive(name: str) -> str:
    """ "Eslövs", "Höörs", "Vellinges"; "Eslöv's" in English."""
    if str(get_locale()).startswith("en"):
        return f"{name}'s"
    return name if name[-1:].lower() in ("s", "x", "z") else f"{name}s"


def body_of(municipality: str, body: str) -> str:
    template = _labels()["body_of"].get(body)
    return str(template) % {"whose": genitive(municipality)} if template else f"{municipality}: {body}"


def milestone_label(milestone: Milestone) -> str:
    return str(_labels()["milestone"][milestone.kind]) % {
        "municipality": milestone.municipality, "body": milestone.body}


def describe(warning: PlanWarning) -> str:
    """The warning as one sentence, e.g. "Eslövs kommunstyrelse sammanträder 12 mars, efter sista
    svarsdag 10 mars: välj arbetsutskottet 3 mars eller delegation."."""
    # The sentence follows from the warning, the language and this year (short_date leaves the
    # year out then): a response page shows the same few warnings on every request.
    return _described(warning, str(get_locale()), local_today().year)


@lru_cache(maxsize=1024)
def _described(warning: PlanWarning, locale: str, year: int) -> str:
    labels = _labels()
    choices = [str(labels["choose"][m.body]) % {"date": short_date(m.on)}
               for m in warning.alternatives if m.body in labels["choose"]]
    options = format_list(choices, style="or", locale=get_locale()) if choices else ""
    body = body_of(warning.municipality, warning.body)
    if warning.problem is Problem.MEETS_AFTER_DEADLINE:
        start = _("%(body)s sammanträder %(meeting)s, efter sista svarsdag %(deadline)s",
                  body=body, meeting=short_date(warning.on), deadline=short_date(warning.latest))
    elif warning.problem is Problem.NO_MEETING:
        start = _("%(body)s har inget sammanträde inlagt som hinner före sista svarsdag %(deadline)s",
                  body=body, deadline=short_date(warning.latest))
    elif warning.problem is Problem.DELEGATION_NOT_ALLOWED:
        start = _("%(municipality)s har valt delegation, men kommundirektören får inte besluta "
                  "på delegation enligt kommunens kalender", municipality=warning.municipality)
    else:
        return _("Det ändrade datumet för %(what)s, %(date)s, ligger efter planens senaste datum "
                 "%(latest)s.", what=labels["adjusted"][warning.milestone],
                 date=short_date(warning.on), latest=short_date(warning.latest))
    if options:
        return _("%(problem)s: välj %(options)s.", problem=start, options=options)
    return _("%(problem)s, och inget annat organ hinner: begär anstånd eller lägg in ett "
             "sammanträde.", problem=start)
