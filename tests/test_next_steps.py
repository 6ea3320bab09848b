"""Each person's next step, in one sentence, at every point of the path; the coordinator's reminder."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from drafting.models import Decision, Notification, local_today
from drafting.services import notifications, responses, review
from drafting.services.next_steps import Target, next_step
from drafting.services.overview import overview
from tests.conftest import (
    coordinator,
    director,
    login,
    municipality,
    official,
    publish_change,
    sign_data,
)


def step(response, user, **kwargs):
    return next_step(overview(response), user, **kwargs)


def test_the_coordinator_is_told_to_invite_then_remind(db, demo):
    assert step(demo, coordinator()).target is Target.INVITE
    responses.invite(demo, coordinator(), [municipality(n).id for n in ("Lund", "Malmö", "Eslöv")])
    reminder = step(demo, coordinator())
    assert reminder.target is Target.REMIND
    assert reminder.text == "3 kommuner har inte svarat på inbjudan – påminn dem."
    assert step(demo, official("Lund")).target is Target.ANSWER_INVITATION


def test_an_official_who_approved_version_1_is_shown_what_changed(db, at_consensus):
    assert step(at_consensus, official("Lund")) is None  # approved the current version
    publish_change(at_consensus)
    lund = step(at_consensus, official("Lund"))
    assert lund.target is Target.COMPARE and (lund.compare_from, lund.compare_to) == (1, 2)
    assert lund.text == "Ta ställning till version 2 – ni godkände version 1, se vad som ändrats."


def test_an_objection_to_version_1_follows_to_version_2(db, in_review):
    review.record_position(in_review, official("Lund"), 1, Decision.OBJECT, "Stationerna saknas")
    assert "Lund invänder mot version 1" in step(in_review, coordinator()).text
    publish_change(in_review)
    lund = step(in_review, official("Lund"))
    assert lund.text.startswith("Ni invände mot version 1")
    assert overview(in_review).earlier_objections[official("Lund").municipality_id].reason == \
        "Stationerna saknas"


def test_directors_are_told_to_sign_and_the_coordinator_to_send(db, at_consensus):
    assert step(at_consensus, director("Lund")).text == \
        "Version 1 har samsyn – registrera kommunens beslut och skriv under."
    assert "Väntar på underskrift från Lund, Malmö" in step(at_consensus, coordinator()).text
    for name in ("Lund", "Malmö"):
        review.sign_off(at_consensus, director(name), 1, sign_data(name))
    assert step(at_consensus, director("Lund")) is None
    assert step(at_consensus, coordinator()).target is Target.RECORD_SENT


def test_a_reminder_reaches_whoever_the_response_waits_for_once_a_day(db, in_review):
    review.record_position(in_review, official("Lund"), 1, Decision.APPROVE)
    sent = notifications.remind_now(in_review, date(2026, 12, 1))
    assert sent == 1  # Malmö's official; Lund has answered
    assert notifications.remind_now(in_review, date(2026, 12, 1)) == 0
    assert notifications.remind_now(in_review, date(2026, 12, 2)) == 1
    users = db.session.scalars(select(Notification.user_id).where(Notification.kind == "reminder"))
    assert set(users) == {official("Malmö").id}


def test_the_page_and_the_overview_show_the_next_step(client, db, in_review):
    response_id = in_review.id
    db.session.commit()
    login(client, "tjansteman.lund@example.se")
    page = client.get(f"/responses/{response_id}").get_data(as_text=True)
    assert "Ta ställning till version 1 för Lund." in page and 'href="/responses/1#position-form"' in page.replace(str(response_id), "1")
    overview_page = client.get("/").get_data(as_text=True)
    assert "Att göra" in overview_page and "Ta ställning till version 1 för Lund." in overview_page


def test_the_coordinator_reminds_from_the_page(client, db, in_review):
    response_id = in_review.id
    db.session.commit()
    login(client, "koordinator@example.se")
    answer = client.post(f"/responses/{response_id}/remind")
    assert answer.status_code == 302
    page = client.get(f"/responses/{response_id}").get_data(as_text=True)
    assert "Påminnelsen är skickad till 2 personer." in page
    login(client, "tjansteman.lund@example.se")
    assert client.post(f"/responses/{response_id}/remind").status_code == 403


def test_replies_decisions_and_sending_are_notified(db, signed):
    from drafting.services import stages

    stages.record_sent(signed, coordinator(), local_today())
    kinds = {kind for kind, in db.session.execute(select(Notification.kind))}
    assert "sent" in kinds


def test_a_reply_and_a_decision_reach_the_author_and_new_comments_the_coordinator(db, in_review):
    from drafting.services import comments, drafting

    section = drafting.working_sections(in_review)[0]
    comment = comments.add_comment(in_review, official("Lund"), section, "Oklart stycke")
    assert db.session.scalar(select(Notification.kind).where(
        Notification.user_id == coordinator().id)) == "comment"
    comments.reply(comment, official("Malmö"), "Håller med")
    assert db.session.scalar(select(Notification.id).where(
        Notification.user_id == official("Lund").id, Notification.kind == "reply")) is not None
