"""The domain rules through the service layer: participation, versions, positions, sign-off, stages."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from drafting.models import AuditEvent, Decision, Position, SignOff, Stage, Version, local_today
from drafting.services import drafting, responses, review, signatures, stages
from drafting.services.errors import Conflict, EditConflict, InvalidInput, NotAllowed
from tests.conftest import coordinator, director, municipality, official

TRIO = ["Malmö", "Lund", "Eslöv"]


def invite_and_join(response, names=TRIO):
    responses.invite(response, coordinator(), [municipality(n).id for n in names])
    for name in names:
        responses.answer_invitation(response, official(name), join=True)


def sign_data(name: str) -> review.SignOffInput:
    return review.SignOffInput(deciding_body="Kommunstyrelsen", decision_date=local_today(),
                               signatory_name=f"Direktör {name}", signatory_title="Kommundirektör",
                               minutes_paragraph="KS § 12")


def test_full_path_reaches_signed_and_sent(db, demo):
    invite_and_join(demo)
    version = drafting.publish_version(demo, coordinator(), "")
    assert demo.stage == Stage.REVIEW and version.number == 1
    for name in TRIO:
        review.record_position(demo, official(name), 1, Decision.APPROVE)
    assert demo.stage == Stage.CONSENSUS
    assert demo.consensus_version_id == version.id
    for name in TRIO:
        review.sign_off(demo, director(name), 1, sign_data(name))
    assert demo.stage == Stage.SIGNED
    ordered = [s.municipality.name for s in signatures.signoffs_in_signing_order(demo)]
    assert ordered == ["Malmö", "Eslöv", "Lund"]  # chair first, then alphabetical
    stages.record_sent(demo, coordinator(), local_today())
    assert demo.stage == Stage.SENT
    with pytest.raises(Conflict):
        drafting.add_section(demo, coordinator(), "Sent", "Text")


def test_new_version_makes_approvals_stale_and_returns_to_review(db, demo):
    invite_and_join(demo)
    drafting.publish_version(demo, coordinator(), "")
    for name in TRIO:
        review.record_position(demo, official(name), 1, Decision.APPROVE)
    assert demo.stage == Stage.CONSENSUS
    section = drafting.working_sections(demo)[0]
    drafting.save_section(section, coordinator(), section.heading, section.body + "\n\nTillägg.",
                          section.current_revision.number)
    drafting.publish_version(demo, coordinator(), "Tillägg i sammanfattningen")
    assert demo.stage == Stage.REVIEW
    status = stages.consensus.current_status(demo)
    assert status.version_number == 2
    assert set(status.stale_approvals) == set(TRIO)
    with pytest.raises(Conflict):
        review.record_position(demo, official("Lund"), 1, Decision.APPROVE)


def test_objection_blocks_until_the_municipality_steps_aside(db, demo):
    invite_and_join(demo)
    drafting.publish_version(demo, coordinator(), "")
    review.record_position(demo, official("Malmö"), 1, Decision.APPROVE)
    review.record_position(demo, official("Lund"), 1, Decision.APPROVE)
    review.record_position(demo, official("Eslöv"), 1, Decision.OBJECT, "Stationerna saknas")
    assert demo.stage == Stage.REVIEW
    responses.step_aside(demo, official("Eslöv"), "Frågan är inte aktuell för oss")
    assert demo.stage == Stage.CONSENSUS


def test_later_position_replaces_earlier_and_history_keeps_both(db, demo):
    invite_and_join(demo)
    drafting.publish_version(demo, coordinator(), "")
    review.record_position(demo, official("Lund"), 1, Decision.OBJECT, "Otydligt")
    review.record_position(demo, official("Lund"), 1, Decision.APPROVE)
    rows = db.session.scalars(select(Position).where(
        Position.municipality_id == municipality("Lund").id)).all()
    assert len(rows) == 2
    assert [r.is_current for r in sorted(rows, key=lambda r: r.id)] == [None, True]


def test_objection_requires_reason(db, demo):
    invite_and_join(demo)
    drafting.publish_version(demo, coordinator(), "")
    with pytest.raises(InvalidInput):
        review.record_position(demo, official("Lund"), 1, Decision.OBJECT, "  ")


def test_declining_requires_reason_and_is_kept(db, demo):
    responses.invite(demo, coordinator(), [municipality("Höör").id])
    with pytest.raises(InvalidInput):
        responses.answer_invitation(demo, official("Höör"), join=False)
    participation = responses.answer_invitation(demo, official("Höör"), join=False, reason="Ej berörda")
    assert participation.status == "declined" and participation.reason == "Ej berörda"


def test_only_own_municipality_director_signs(db, demo):
    invite_and_join(demo)
    drafting.publish_version(demo, coordinator(), "")
    for name in TRIO:
        review.record_position(demo, official(name), 1, Decision.APPROVE)
    with pytest.raises(NotAllowed):
        review.sign_off(demo, official("Lund"), 1, sign_data("Lund"))
    with pytest.raises(NotAllowed):
        review.sign_off(demo, director("Vellinge"), 1, sign_data("Vellinge"))
    review.sign_off(demo, director("Lund"), 1, sign_data("Lund"))
    with pytest.raises(Conflict):
        review.sign_off(demo, director("Lund"), 1, sign_data("Lund"))
    assert db.session.scalar(select(func.count()).select_from(SignOff)) == 1


def test_sign_off_before_consensus_is_refused(db, demo):
    invite_and_join(demo)
    drafting.publish_version(demo, coordinator(), "")
    with pytest.raises(Conflict):
        review.sign_off(demo, director("Lund"), 1, sign_data("Lund"))


def test_concurrent_edit_of_same_section_is_a_conflict(db, demo):
    section = drafting.working_sections(demo)[0]
    base = section.current_revision.number
    drafting.save_section(section, coordinator(), section.heading, "Första personens text", base)
    with pytest.raises(EditConflict) as error:
        drafting.save_section(section, coordinator(), section.heading, "Andra personens text", base)
    assert error.value.theirs.body == "Första personens text"


def test_version_numbers_are_sequential_and_snapshots_immutable(db, demo):
    drafting.publish_version(demo, coordinator(), "")
    section = drafting.working_sections(demo)[0]
    drafting.save_section(section, coordinator(), section.heading, "Ny text", section.current_revision.number)
    drafting.publish_version(demo, coordinator(), "Ny sammanfattning")
    versions = db.session.scalars(select(Version).order_by(Version.number)).all()
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].sections[0].body != "Ny text"
    assert versions[1].sections[0].body == "Ny text"


def test_withdraw_needs_reason_and_not_after_sent(db, demo):
    with pytest.raises(InvalidInput):
        stages.withdraw(demo, coordinator(), "")
    stages.withdraw(demo, coordinator(), "Remissen drogs tillbaka")
    assert demo.stage == Stage.WITHDRAWN
    with pytest.raises(Conflict):
        stages.withdraw(demo, coordinator(), "Igen")


def test_every_change_is_audited(db, demo):
    invite_and_join(demo)
    drafting.publish_version(demo, coordinator(), "")
    review.record_position(demo, official("Lund"), 1, Decision.APPROVE)
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"response_opened", "section_added", "municipality_invited", "participation_joined",
            "version_published", "stage_changed", "position_recorded"} <= actions
    lund_event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "position_recorded")).one()
    assert lund_event.municipality.name == "Lund" and lund_event.version_number == 1
