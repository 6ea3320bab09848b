"""A sign-off belongs to a version: a re-opened consensus is signed again, on the new version."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from drafting.export.assemble import final_document
from drafting.models import AuditEvent, Decision, SignOff, Stage, local_today
from drafting.services import responses, review, signatures
from drafting.services.errors import ConfirmationNeeded, Conflict
from tests.conftest import (
    coordinator,
    csrf_token_from,
    director,
    login,
    official,
    publish_change,
    sign_data,
)


def approve_all(response, version_number, names=("Lund", "Malmö")):
    for name in names:
        review.record_position(response, official(name), version_number, Decision.APPROVE)


def test_reopened_consensus_is_signed_on_the_new_version(db, at_consensus):
    response = at_consensus
    review.sign_off(response, director("Lund"), 1, sign_data("Lund"))
    db.session.commit()
    with pytest.raises(ConfirmationNeeded) as asked:
        publish_change(response)
    assert asked.value.names == ["Lund"]
    db.session.rollback()  # as the view does: nothing of the refused publish remains

    publish_change(response, discard_signatures=True)
    assert response.stage == Stage.REVIEW
    states = signatures.signoff_states(response)
    lund = states[director("Lund").municipality_id]
    assert lund.current is None and lund.stale.version.number == 1
    approve_all(response, 2)
    assert response.stage == Stage.CONSENSUS

    review.sign_off(response, director("Lund"), 2, sign_data("Lund"))  # was 409 before
    assert response.stage == Stage.CONSENSUS
    review.sign_off(response, director("Malmö"), 2, sign_data("Malmö"))
    assert response.stage == Stage.SIGNED

    rows = db.session.scalars(select(SignOff).order_by(SignOff.id)).all()
    assert [(s.municipality.name, s.version.number) for s in rows] == [
        ("Lund", 1), ("Lund", 2), ("Malmö", 2)]  # the stale one is kept in the history
    signatories = final_document(response).signatories
    assert sorted(s.municipality for s in signatories) == ["Lunds kommun", "Malmö stad"]  # formal
    events = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert "signoffs_discarded" in events


def test_signing_the_same_version_twice_is_refused(db, at_consensus):
    review.sign_off(at_consensus, director("Lund"), 1, sign_data("Lund"))
    with pytest.raises(Conflict, match="redan skrivit under version 1"):
        review.sign_off(at_consensus, director("Lund"), 1, sign_data("Lund"))


def test_schema_allows_one_signoff_per_municipality_and_version(db, at_consensus):
    first = review.sign_off(at_consensus, director("Lund"), 1, sign_data("Lund"))
    db.session.add(SignOff(response_id=first.response_id, version_id=first.version_id,
                           municipality_id=first.municipality_id, user_id=first.user_id,
                           deciding_body="Kommunstyrelsen", decision_date=first.decision_date,
                           signatory_name="x", signatory_title="y"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_signing_a_version_that_is_no_longer_current_says_so(db, at_consensus):
    review.sign_off(at_consensus, director("Lund"), 1, sign_data("Lund"))
    publish_change(at_consensus, discard_signatures=True)
    with pytest.raises(Conflict, match="Version 2 har publicerats"):
        review.sign_off(at_consensus, director("Malmö"), 1, sign_data("Malmö"))


def test_a_municipality_that_signed_then_stepped_aside_is_not_a_cosigner(db, demo, join):
    from drafting.services import drafting

    join(demo, "Lund", "Malmö", "Eslöv")
    drafting.publish_version(demo, coordinator(), "")
    approve_all(demo, 1, ("Lund", "Malmö", "Eslöv"))
    review.sign_off(demo, director("Eslöv"), 1, sign_data("Eslöv"))
    responses.step_aside(demo, official("Eslöv"), "Frågan berör inte oss längre")
    for name in ("Lund", "Malmö"):
        review.sign_off(demo, director(name), 1, sign_data(name))
    assert demo.stage == Stage.SIGNED
    assert [s.municipality.name for s in signatures.signoffs_in_signing_order(demo)] == ["Malmö", "Lund"]


# Over HTTP: the director's page, the coordinator's confirmation page, refused sign-offs.

def sign_form(version_number: int, name: str = "Lena Direktör") -> dict:

    return {"version_number": str(version_number), "deciding_body": "Kommunstyrelsen",
            "decision_date": local_today().isoformat(), "minutes_paragraph": "KS § 77",
            "signatory_name": name, "signatory_title": "Kommundirektör", "confirmed": "1"}


def test_director_signs_the_new_consensus_version_over_http(client, db, at_consensus):
    response_id = at_consensus.id
    review.sign_off(at_consensus, director("Lund"), 1, sign_data("Lund"))
    publish_change(at_consensus, discard_signatures=True)
    approve_all(at_consensus, 2)
    db.session.commit()

    login(client, "direktor.lund@example.se")
    page = client.get(f"/responses/{response_id}").get_data(as_text=True)
    assert "Ni skrev under version 1" in page
    assert "Ni har skrivit under" not in page
    assert "Skriv under version 2 för Lund" in page
    answer = client.post(f"/responses/{response_id}/sign-off", data=sign_form(2))
    assert answer.status_code == 302
    page = client.get(f"/responses/{response_id}").get_data(as_text=True)
    assert "Ni har skrivit under version 2" in page


def test_a_signoff_after_a_new_version_keeps_what_was_typed(client, db, at_consensus):
    response_id = at_consensus.id
    publish_change(at_consensus)
    db.session.commit()
    login(client, "direktor.lund@example.se")
    answer = client.post(f"/responses/{response_id}/sign-off", data=sign_form(1, "Lena Direktör"))
    assert answer.status_code == 409
    page = answer.get_data(as_text=True)
    assert "Version 2 har publicerats sedan du öppnade sidan" in page
    assert "Lena Direktör" in page and "KS § 77" in page
    assert "data-error-summary" in page


def test_publishing_after_signoffs_asks_the_coordinator_first(client, db, at_consensus):
    from drafting.services import drafting

    response_id = at_consensus.id
    review.sign_off(at_consensus, director("Malmö"), 1, sign_data("Malmö"))
    section = drafting.working_sections(at_consensus)[0]
    drafting.save_section(section, coordinator(), section.heading, section.body + " Mer.",
                          section.current_revision.number)
    db.session.commit()
    login(client, "koordinator@example.se")
    asked = client.post(f"/responses/{response_id}/publish", data={"change_note": "Förtydligande"})
    assert asked.status_code == 200
    page = asked.get_data(as_text=True)
    assert "Malmö har redan skrivit under version 1" in page
    assert 'name="discard_signatures" value="1"' in page and "Förtydligande" in page
    assert db.session.scalar(select(SignOff.id)) is not None
    confirmed = client.post(f"/responses/{response_id}/publish", data={
        "change_note": "Förtydligande", "discard_signatures": "1",
        "csrf_token": csrf_token_from(page)})
    assert confirmed.status_code == 302
    page = client.get(f"/responses/{response_id}").get_data(as_text=True)
    assert "Version 2" in page and "skrev under version 1" in page
