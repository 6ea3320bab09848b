"""The plan backwards from the deadline: table tests and properties of the pure rule."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drafting.services.planning import (
    COMMENTS_BEFORE_POSITIONS,
    DELEGATION,
    DELEGATION_LEAD_DAYS,
    HOME_ROUND_BEFORE_COMMENTS,
    Calendar,
    Meeting,
    MilestoneKind,
    Overrides,
    Problem,
    plan,
)

KS = "Kommunstyrelsen"
AU = "Kommunstyrelsens arbetsutskott"
TODAY = date(2026, 1, 12)
DEADLINE = date(2026, 3, 10)


def test_the_consensus_version_is_due_by_the_earliest_document_deadline():
    result = plan(DEADLINE, TODAY, [
        Calendar("Lund", KS, (Meeting(KS, date(2026, 2, 25), 10), Meeting(KS, date(2026, 3, 25)))),
        Calendar("Malmö", KS, (Meeting(KS, date(2026, 3, 4), 14),)),
    ])
    assert result.feasible
    assert [p.meeting.on for p in result.participants] == [date(2026, 2, 25), date(2026, 3, 4)]
    assert result.consensus_by == date(2026, 2, 15)  # Lund's papers, 10 days before 25 Feb
    assert result.due[MilestoneKind.POSITIONS] == date(2026, 2, 15)
    assert result.due[MilestoneKind.COMMENTS] == date(2026, 2, 15) - timedelta(COMMENTS_BEFORE_POSITIONS)
    assert result.due[MilestoneKind.HOME_ROUND] == (
        result.due[MilestoneKind.COMMENTS] - timedelta(HOME_ROUND_BEFORE_COMMENTS))
    assert result.warnings == ()


@pytest.mark.parametrize(("calendar", "problem", "alternatives", "in_time"), [
    # Only meeting after the deadline; the working committee meets before it.
    (Calendar("Eslöv", KS, (Meeting(KS, date(2026, 3, 12)), Meeting(AU, date(2026, 3, 3))), True),
     Problem.MEETS_AFTER_DEADLINE, [(AU, date(2026, 3, 3)), (DELEGATION, DEADLINE)], False),
    # The same without delegation.
    (Calendar("Eslöv", KS, (Meeting(KS, date(2026, 3, 12)), Meeting(AU, date(2026, 3, 3)))),
     Problem.MEETS_AFTER_DEADLINE, [(AU, date(2026, 3, 3))], False),
    # No meeting at all: nothing to choose but delegation.
    (Calendar("Höör", KS, (), True), Problem.NO_MEETING, [(DELEGATION, DEADLINE)], False),
    # Papers for the meeting before the deadline are already past due.
    (Calendar("Lomma", KS, (Meeting(KS, date(2026, 1, 20), 10), Meeting(KS, date(2026, 4, 1)))),
     Problem.MEETS_AFTER_DEADLINE, [], False),
    # Delegation chosen but not allowed.
    (Calendar("Burlöv", DELEGATION, (Meeting(KS, date(2026, 3, 2)),)),
     Problem.DELEGATION_NOT_ALLOWED, [(KS, date(2026, 3, 2))], False),
    # Delegation chosen and allowed: decides by the deadline.
    (Calendar("Vellinge", DELEGATION, (), True), None, [], True),
])
def test_warnings_for_a_body_that_cannot_decide_in_time(calendar, problem, alternatives, in_time):
    result = plan(DEADLINE, TODAY, [calendar])
    participant = result.participants[0]
    assert participant.in_time is in_time
    assert [w.problem for w in result.warnings] == ([problem] if problem else [])
    if problem:
        assert [(m.body, m.on) for m in result.warnings[0].alternatives] == alternatives
        assert result.late == (participant,)
    else:
        assert participant.papers_due == DEADLINE - timedelta(DELEGATION_LEAD_DAYS)


def test_the_extension_asks_for_the_date_the_last_body_can_decide():
    result = plan(DEADLINE, TODAY, [
        Calendar("Eslöv", KS, (Meeting(KS, date(2026, 3, 12)),)),
        Calendar("Höör", KS, (Meeting(KS, date(2026, 3, 24)),)),
        Calendar("Lund", KS, (Meeting(KS, date(2026, 3, 2)),)),
    ])
    assert not result.feasible
    assert [p.municipality for p in result.late] == ["Eslöv", "Höör"]
    assert result.extended_deadline == date(2026, 3, 24)


def test_the_coordinators_dates_replace_the_plans_and_are_warned_of_when_later():
    calendars = [Calendar("Lund", KS, (Meeting(KS, date(2026, 2, 25)),))]
    planned = plan(DEADLINE, TODAY, calendars)
    earlier = planned.planned[MilestoneKind.COMMENTS] - timedelta(days=2)
    later = planned.planned[MilestoneKind.POSITIONS] + timedelta(days=1)
    result = plan(DEADLINE, TODAY, calendars, Overrides(comments=earlier, positions=later))
    assert result.due[MilestoneKind.COMMENTS] == earlier
    assert result.due[MilestoneKind.POSITIONS] == later
    assert [(w.problem, w.milestone) for w in result.warnings] == [
        (Problem.DATE_AFTER_PLAN, MilestoneKind.POSITIONS)]
    adjusted = {m.kind for m in result.milestones if m.adjusted}
    assert adjusted == {MilestoneKind.COMMENTS, MilestoneKind.POSITIONS}


def test_papers_past_due_count_only_once_the_consensus_version_exists():
    calendars = [Calendar("Lund", KS, (Meeting(KS, date(2026, 1, 30), 10),))]
    on_time = plan(DEADLINE, date(2026, 1, 19), calendars)
    assert on_time.participants[0].in_time and on_time.warnings == ()
    # Papers were due 20 January: without a consensus version Lund can no longer decide then.
    assert not plan(DEADLINE, date(2026, 1, 21), calendars).participants[0].in_time
    # With one, the papers went in: the meeting still decides.
    assert plan(DEADLINE, date(2026, 1, 21), calendars, consensus_reached=True).feasible


def test_a_municipality_that_has_decided_is_done():
    done = Calendar("Lund", AU, (), decided_on=date(2026, 1, 10))
    result = plan(DEADLINE, TODAY, [done])
    assert result.feasible and result.participants[0].meeting.on == date(2026, 1, 10)


meetings = st.lists(st.builds(
    Meeting, st.sampled_from([KS, AU]),
    st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 6, 30)),
    st.integers(min_value=0, max_value=30)), max_size=6)


@given(st.lists(st.tuples(meetings, st.booleans()), min_size=1, max_size=5),
       st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 6, 30)))
def test_every_participant_in_time_can_decide_by_the_deadline_from_the_consensus_date(
        calendars, deadline):
    result = plan(deadline, TODAY, [Calendar(f"K{i}", KS, tuple(m), d)
                                    for i, (m, d) in enumerate(calendars)])
    for participant in result.participants:
        if participant.in_time:
            assert participant.meeting.on <= deadline
            assert TODAY <= participant.papers_due
            assert result.consensus_by <= participant.papers_due
        else:
            assert participant in result.late
            assert any(w.municipality == participant.municipality for w in result.warnings)
    dates = [m.on for m in result.milestones]
    assert dates == sorted(dates)
    assert (result.due[MilestoneKind.HOME_ROUND] <= result.due[MilestoneKind.COMMENTS]
            <= result.due[MilestoneKind.POSITIONS] == result.consensus_by)
