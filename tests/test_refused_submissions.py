"""Every refused submission says why, in Swedish, where the person looks, and keeps what was typed."""

from __future__ import annotations

import pytest

from drafting.models import local_today
from drafting.services import drafting, responses
from tests.conftest import login, official, publish_change

TYPED = "Vi saknar en analys av kollektivtrafiken i sydvästra Skåne."


def first_section_id(response) -> int:
    return drafting.working_sections(response)[0].id


def post_comment(client, db, response, email):
    section_id = first_section_id(response)
    response_id = response.id
    db.session.commit()
    login(client, email)
    return client.post(f"/responses/{response_id}/sections/{section_id}/comments",
                       data={"body": TYPED})


def assert_refused_and_kept(answer, status: int, reason: str) -> None:
    assert answer.status_code == status
    page = answer.get_data(as_text=True)
    assert reason in page
    assert TYPED in page, "the typed comment was lost"
    assert "data-error-summary" in page, "no error summary to move focus to"


def test_comment_after_the_municipality_stepped_aside(client, db, in_review):
    responses.step_aside(in_review, official("Lund"), "Berör inte Lund")
    answer = post_comment(client, db, in_review, "tjansteman.lund@example.se")
    assert_refused_and_kept(answer, 403, "Du har inte behörighet")


def test_comment_after_the_response_was_signed(client, db, signed):
    answer = post_comment(client, db, signed, "tjansteman.lund@example.se")
    assert_refused_and_kept(answer, 409, "undertecknat")


def test_comment_from_a_municipality_never_invited(client, db, in_review):
    answer = post_comment(client, db, in_review, "tjansteman.vellinge@example.se")
    assert_refused_and_kept(answer, 403, "Du har inte behörighet")


def test_an_empty_comment_is_marked_on_its_field(client, db, in_review):
    section_id = first_section_id(in_review)
    response_id = in_review.id
    db.session.commit()
    login(client, "tjansteman.lund@example.se")
    answer = client.post(f"/responses/{response_id}/sections/{section_id}/comments",
                         data={"body": "", "suggested_text": TYPED, "is_suggestion": "y"})
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert f'href="#comment-body-{section_id}"' in page
    assert TYPED in page


def test_a_position_on_an_old_version_keeps_the_note(client, db, in_review):
    response_id = in_review.id
    publish_change(in_review)
    db.session.commit()
    login(client, "tjansteman.lund@example.se")
    answer = client.post(f"/responses/{response_id}/position", data={
        "version_number": "1", "decision": "object", "note": TYPED})
    assert answer.status_code == 409
    page = answer.get_data(as_text=True)
    assert "Version 1 är inte längre aktuell" in page and TYPED in page
    # The form offered again points at the current version, so sending it again works.
    assert 'name="version_number" type="hidden" value="2"' in page or 'value="2"' in page


@pytest.mark.parametrize(("url", "data", "field_id"), [
    ("step-aside", {"aside-reason": ""}, "aside-reason"),
    ("withdraw", {"withdraw-reason": ""}, "withdraw-reason"),
])
def test_a_reason_left_empty_is_shown_beside_its_field(client, db, in_review, url, data, field_id):
    response_id = in_review.id
    db.session.commit()
    login(client, "koordinator@example.se" if url == "withdraw" else "tjansteman.lund@example.se")
    answer = client.post(f"/responses/{response_id}/{url}", data=data)
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert f'href="#{field_id}"' in page and f'id="{field_id}-error"' in page


def test_a_future_decision_date_marks_the_date_field(client, db, at_consensus):
    from datetime import timedelta

    response_id = at_consensus.id
    db.session.commit()
    login(client, "direktor.lund@example.se")
    answer = client.post(f"/responses/{response_id}/sign-off", data={
        "version_number": "1", "deciding_body": "Kommunstyrelsen",
        "decision_date": (local_today() + timedelta(days=3)).isoformat(),
        "signatory_name": "Lena Direktör", "signatory_title": "Kommundirektör"})
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert 'id="decision_date-error"' in page and 'id="signatory_name-error"' not in page
    assert "Lena Direktör" in page


def test_domain_dates_are_checked_where_they_are_typed(client, db, demo):
    from datetime import timedelta

    cooperation_id = demo.cooperation_id
    db.session.commit()
    login(client, "koordinator@example.se")
    form = {"sender": "Finansdepartementet", "reference_number": "Fi2026/01234",
            "consultation_title": "Starkare kommuner", "focus_area": "other",
            "received_on": (local_today() - timedelta(days=10)).isoformat(),
            "deadline": (local_today() - timedelta(days=3)).isoformat()}
    answer = client.post(f"/cooperations/{cooperation_id}/responses/new", data=form)
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert "har redan passerat" in page and 'id="deadline-error"' in page
    assert "Starkare kommuner" in page
    form |= {"deadline": (local_today() + timedelta(days=30)).isoformat(),
             "received_on": (local_today() + timedelta(days=40)).isoformat()}
    page = client.post(f"/cooperations/{cooperation_id}/responses/new", data=form).get_data(as_text=True)
    assert "Sista svarsdag kan inte ligga före datumet då remissen kom in." in page
    assert 'id="deadline-error"' in page


def test_a_decision_before_the_version_was_published_is_refused(db, at_consensus):
    from datetime import timedelta

    from drafting.services import review
    from drafting.services.errors import InvalidInput
    from tests.conftest import director, sign_data

    data = sign_data("Lund")
    early = type(data)(**{**data.__dict__, "decision_date": local_today() - timedelta(days=5)})
    with pytest.raises(InvalidInput, match="publicerades") as refused:
        review.sign_off(at_consensus, director("Lund"), 1, early)
    assert refused.value.field == "decision_date"
