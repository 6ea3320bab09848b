"""The consensus rule as a pure function, with properties checked by hypothesis."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from drafting.services.consensus import ParticipantState, PositionState, evaluate


def participants(n: int) -> list[ParticipantState]:
    return [ParticipantState(i, f"Kommun {i:02d}") for i in range(n)]


def test_all_approve_current_version_reaches_consensus():
    status = evaluate(participants(3), [PositionState(i, 2, True) for i in range(3)], 2)
    assert status.reached
    assert status.not_answered == () and status.objections == ()


def test_one_missing_answer_blocks_and_is_named():
    status = evaluate(participants(3), [PositionState(i, 1, True) for i in range(2)], 1)
    assert not status.reached
    assert status.not_answered == ("Kommun 02",)


def test_objection_blocks_with_reason():
    positions = [PositionState(0, 1, True), PositionState(1, 1, False, "Finansieringen saknas")]
    status = evaluate(participants(2), positions, 1)
    assert not status.reached
    assert [(o.name, o.reason) for o in status.objections] == [("Kommun 01", "Finansieringen saknas")]


def test_approval_of_older_version_is_stale():
    positions = [PositionState(0, 1, True), PositionState(1, 2, True)]
    status = evaluate(participants(2), positions, 2)
    assert not status.reached
    assert status.stale_approvals == {"Kommun 00": 1}
    assert status.not_answered == ("Kommun 00",)


def test_fewer_than_two_cosigners_never_reaches_consensus():
    status = evaluate(participants(1), [PositionState(0, 1, True)], 1)
    assert not status.reached and status.too_few_cosigners


def test_no_version_yet():
    status = evaluate(participants(3), [], None)
    assert not status.reached and status.version_number is None


position_strategy = st.builds(
    PositionState,
    municipality_id=st.integers(0, 5),
    version_number=st.integers(1, 4),
    approves=st.booleans(),
    note=st.just(""),
)


def expected(participant_ids: set[int], positions: list[PositionState], version: int) -> bool:
    # The rule as the domain states it, written independently of the implementation.
    latest = {}
    for position in positions:
        if position.version_number == version:
            latest[position.municipality_id] = position
    return (len(participant_ids) >= 2
            and all(pid in latest and latest[pid].approves for pid in participant_ids))


@given(
    ids=st.sets(st.integers(0, 5), max_size=6),
    positions=st.lists(position_strategy, max_size=20, unique_by=lambda p: (p.municipality_id, p.version_number)),
    version=st.integers(1, 4),
)
def test_consensus_iff_every_participant_approved_current_version(ids, positions, version):
    people = [ParticipantState(i, f"K{i}") for i in sorted(ids)]
    assert evaluate(people, positions, version).reached == expected(ids, positions, version)


@given(
    ids=st.sets(st.integers(0, 5), min_size=2, max_size=6),
    positions=st.lists(position_strategy, max_size=20, unique_by=lambda p: (p.municipality_id, p.version_number)),
    data=st.data(),
)
def test_order_of_positions_does_not_matter(ids, positions, data):
    people = [ParticipantState(i, f"K{i}") for i in sorted(ids)]
    shuffled = data.draw(st.permutations(positions))
    a, b = evaluate(people, positions, 3), evaluate(people, shuffled, 3)
    assert (a.reached, a.not_answered, a.objections, a.stale_approvals) == (
        b.reached, b.not_answered, b.objections, b.stale_approvals)


@given(ids=st.sets(st.integers(0, 5), min_size=2, max_size=6), version=st.integers(1, 4))
def test_new_version_always_breaks_consensus(ids, version):
    people = [ParticipantState(i, f"K{i}") for i in sorted(ids)]
    approvals = [PositionState(i, version, True) for i in ids]
    assert evaluate(people, approvals, version).reached
    assert not evaluate(people, approvals, version + 1).reached


@given(ids=st.sets(st.integers(0, 5), min_size=3, max_size=6), data=st.data())
def test_stepping_aside_lets_the_others_reach_consensus(ids, data):
    objector = data.draw(st.sampled_from(sorted(ids)))
    positions = [PositionState(i, 1, i != objector) for i in ids]
    everyone = [ParticipantState(i, f"K{i}") for i in sorted(ids)]
    remaining = [p for p in everyone if p.municipality_id != objector]
    assert not evaluate(everyone, positions, 1).reached
    assert evaluate(remaining, positions, 1).reached
