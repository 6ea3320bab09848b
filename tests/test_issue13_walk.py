"""Issue 13 walked end to end, on whichever database DATABASE_URL names (SQLite or PostgreSQL).

The coordinator opens a response; Lund's official runs a home round with two colleagues whose
comments Malmö's people never see; Lund lifts one point into the joint discussion; the home round
takes the plan's date as its default and warns of a later own date; the plan warns about Eslöv,
whose only meeting falls after the deadline; after consensus every participant downloads its
decision basis with the same fingerprint; the sign-offs store it; the final yttrande prints it.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from drafting import jobs
from drafting.extensions import db as _db
from drafting.models import (
    Comment,
    Decision,
    JointResponse,
    Notification,
    SignOff,
    Version,
    local_today,
)
from drafting.services import calendars, drafting, home, passwords, review
from drafting.services.fingerprint import short_fingerprint, version_fingerprint
from drafting.services.planning import MilestoneKind, response_plan
from drafting.services.reminders import send_deadline_reminders, send_plan_reminders
from drafting.services.tokens import create_token
from tests.conftest import coordinator, director, login, municipality, official, sign_data
from tests.test_decision_basis import _docx_text
from tests.test_home_round import ENVIRONMENT, LIFTED, PLANNING, SECRETS, _everything_seen_by

TITLE = "Yttrande över regional cykelstrategi"
PARTICIPANTS = ("Lund", "Malmö", "Eslöv")


def _notes(kinds: tuple[str, ...]) -> list[Notification]:
    return list(_db.session.scalars(select(Notification).where(Notification.kind.in_(kinds))))


def test_issue_13_walk(app, db, demo, join):
    today = local_today()
    deadline = today + timedelta(days=60)
    cooperation_id = demo.cooperation_id
    db.session.commit()

    # The coordinator opens the response and writes its draft.
    desk = app.test_client()
    login(desk, "koordinator@example.se")
    opened = desk.post(f"/cooperations/{cooperation_id}/responses/new", data={
        "sender": "Trafikverket", "reference_number": "TRV 2026/555",
        "consultation_title": "Regional cykelstrategi", "deadline": deadline.isoformat(),
        "focus_area": "planning", "title": TITLE})
    assert opened.status_code == 302
    response = db.session.scalars(select(JointResponse).where(JointResponse.title == TITLE)).one()
    for heading, body in (("Sammanfattning", "Kommunerna tillstyrker strategin."),
                          ("Synpunkter", "Cykelstråken bör knyta ihop tågstationerna.")):
        drafting.add_section(response, coordinator(), heading, body)
    join(response, *PARTICIPANTS)
    drafting.publish_version(response, coordinator(), "")
    # Meeting calendars: Lund and Malmö meet in time, Eslöv's only meeting is after the deadline.
    for name, days in (("Lund", 45), ("Malmö", 40), ("Eslöv", 65)):
        calendars.add_meeting(response.cooperation, municipality(name), official(name),
                              "Kommunstyrelsen", today + timedelta(days=days), 10)
    response_id = response.id
    db.session.commit()

    # The plan warns about Eslöv, on its page.
    plan = response_plan(response, today)
    assert [p.municipality for p in plan.late] == ["Eslöv"]
    home_due = plan.due[MilestoneKind.HOME_ROUND]
    assert today < home_due < deadline
    page = desk.get(f"/responses/{response_id}/plan").get_data(as_text=True)
    assert "Eslövs kommunstyrelse sammanträder" in page and "efter sista svarsdag" in page

    # Lund's official runs a home round with two colleagues.
    lund = official("Lund")
    planner, _ = home.invite_reviewer(response, lund, "petra.plan@lund.example.se", "Petra Plan",
                                      "Planavdelningen")
    ecologist, _ = home.invite_reviewer(response, lund, "mira.miljo@lund.example.se", "Mira Miljö",
                                        "Miljöförvaltningen")
    for reviewer in (planner, ecologist):
        passwords.set_password(reviewer.user, "demo-losenord")
    sections = drafting.working_sections(response)
    _db.session.commit()
    jobs.run_queued()
    petra = app.test_client()
    login(petra, "petra.plan@lund.example.se")
    assert petra.post(f"/responses/{response_id}/home/sections/{sections[0].id}/comments",
                      data={f"s{sections[0].id}-body": PLANNING}).status_code == 302
    _t, mira_token = create_token(ecologist.user, "api")
    db.session.commit()
    made = app.test_client().post(f"/api/v1/responses/{response_id}/home/comments",
                                  json={"section_id": sections[1].id, "body": ENVIRONMENT},
                                  headers={"Authorization": f"Bearer {mira_token}"})
    assert made.status_code == 201

    # Without an own internal deadline the home round shows and uses the plan's date.
    lund_desk = app.test_client()
    login(lund_desk, "tjansteman.lund@example.se")
    base = f"/responses/{response_id}/home"
    shown = lund_desk.get(base).get_data(as_text=True)
    assert 'id="deadline-from-plan"' in shown and 'id="deadline-after-plan"' not in shown
    assert home.internal_deadline(response, lund.municipality_id, today).day == home_due
    # Two days before, each person hears of that date once: the colleagues through the home
    # round, the officials through the plan.
    day = home_due - timedelta(days=2)
    assert send_deadline_reminders(day) == 2
    assert send_plan_reminders(day) == len(PARTICIPANTS) + 1  # the officials; the coordinator: Eslöv
    assert send_deadline_reminders(day) == 0 and send_plan_reminders(day) == 0
    reminded = [n.user_id for n in _notes(("home_deadline", "plan")) if home_due.isoformat()
                in n.message]
    assert len(reminded) == len(set(reminded)) == 2 + len(PARTICIPANTS)
    assert {n.user_id for n in _notes(("home_deadline",))} == {planner.user_id, ecologist.user_id}

    # An own internal deadline later than the plan's is warned of.
    own = home_due + timedelta(days=4)
    assert lund_desk.post(f"{base}/deadline", data={"deadline": own.isoformat()}).status_code == 302
    shown = lund_desk.get(base).get_data(as_text=True)
    assert 'id="deadline-after-plan"' in shown and 'id="deadline-from-plan"' not in shown
    assert send_deadline_reminders(own - timedelta(days=2)) == 2  # by the own date now

    # Lund lifts one point into the joint discussion, as the municipality's comment.
    internal = next(c for c in home.internal_comments(response, lund.municipality_id)
                    if c.body == ENVIRONMENT)
    assert lund_desk.post(f"{base}/comments/{internal.id}/lift",
                          data={f"lift{internal.id}-body": LIFTED}).status_code == 302
    lifted = db.session.scalars(select(Comment).where(Comment.body == LIFTED)).one()
    assert lifted.municipality.name == "Lund"
    jobs.run_queued()

    # Malmö's people never see the colleagues' comments: pages, API, exports, notifications.
    for person in (official("Malmö"), director("Malmö")):
        _t, token = create_token(person, "bevis")
        db.session.commit()
        client = app.test_client()
        login(client, person.email)
        seen = _everything_seen_by(client, response_id, cooperation_id, token)
        for where, text in seen.items():
            for secret in SECRETS:
                assert secret not in text, f"{person.email} sees {secret!r} in {where}"
        assert LIFTED in seen[f"/responses/{response_id}"]
        for note in db.session.scalars(select(Notification).where(
                Notification.user_id == person.id)):
            assert not note.kind.startswith("home_")
            assert not any(s in note.message for s in SECRETS)

    # Consensus; every participant downloads its decision basis with the same fingerprint.
    for name in PARTICIPANTS:
        review.record_position(response, official(name), 1, Decision.APPROVE)
    db.session.commit()
    fingerprint = version_fingerprint(db.session.get(Version, response.consensus_version_id))
    line = f"Textens kontrollsumma (SHA-256): {short_fingerprint(fingerprint)}"
    for name in PARTICIPANTS:
        client = app.test_client()
        login(client, official(name).email)
        basis = client.get(f"/responses/{response_id}/decision-basis.docx")
        assert basis.status_code == 200, name
        assert line in _docx_text(basis.data), name

    # The sign-offs store it; the final yttrande prints it.
    for name in PARTICIPANTS:
        review.sign_off(response, director(name), 1, sign_data(name))
    db.session.commit()
    stored = db.session.scalars(select(SignOff.text_fingerprint).where(
        SignOff.response_id == response_id)).all()
    assert len(stored) == len(PARTICIPANTS) and set(stored) == {fingerprint}
    final = desk.get(f"/responses/{response_id}/export/final.docx")
    assert final.status_code == 200 and line in _docx_text(final.data)
