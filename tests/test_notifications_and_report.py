"""Notifications, deadline reminders (each sent once), the audit CSV and the follow-up report."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from sqlalchemy import func, select

from drafting.models import Decision, Notification, local_today
from drafting.services import drafting, responses, review, stages
from drafting.services.followup import build_report
from drafting.services.reminders import send_deadline_reminders
from tests.conftest import coordinator, director, login, municipality, official

TRIO = ["Malmö", "Lund", "Eslöv"]


def join_all(response, names=TRIO):
    responses.invite(response, coordinator(), [municipality(n).id for n in names])
    for name in names:
        responses.answer_invitation(response, official(name), join=True)


def test_reminders_go_once_and_only_to_those_who_have_not_answered(db, demo):
    join_all(demo)
    drafting.publish_version(demo, coordinator(), "")
    review.record_position(demo, official("Lund"), 1, Decision.APPROVE)
    seven_days_before = demo.deadline - timedelta(days=7)
    first = send_deadline_reminders(seven_days_before)
    again = send_deadline_reminders(seven_days_before)
    assert first == 2 and again == 0
    reminded = {n.user_id for n in db.session.scalars(select(Notification).where(Notification.kind == "deadline"))}
    assert reminded == {official("Malmö").id, official("Eslöv").id}
    assert send_deadline_reminders(demo.deadline - timedelta(days=5)) == 0
    assert send_deadline_reminders(demo.deadline - timedelta(days=2)) == 2


def test_version_published_notifies_participating_officials(db, demo):
    join_all(demo)
    drafting.publish_version(demo, coordinator(), "")
    users = set(db.session.scalars(select(Notification.user_id).where(Notification.kind == "version_published")))
    assert users == {official(n).id for n in TRIO}


def test_objection_notifies_coordinator(db, demo):
    join_all(demo)
    drafting.publish_version(demo, coordinator(), "")
    review.record_position(demo, official("Lund"), 1, Decision.OBJECT, "Saknar finansiering")
    notes = db.session.scalars(select(Notification).where(Notification.kind == "objection")).all()
    assert [n.user_id for n in notes] == [coordinator().id]
    assert "Lund" in notes[0].message


def test_notifications_page_lists_mine(app, db, demo):
    join_all(demo)
    drafting.publish_version(demo, coordinator(), "")
    db.session.commit()
    client = app.test_client()
    login(client, "tjansteman.lund@example.se")
    page = client.get("/notifications").get_data(as_text=True)
    assert "Version 1 av" in page
    client.post("/notifications/read")
    unread = db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == official("Lund").id, Notification.read_at.is_(None)))
    assert unread == 0


def test_audit_csv_lists_every_event(app, db, demo):
    join_all(demo)
    drafting.publish_version(demo, coordinator(), "")
    review.record_position(demo, official("Lund"), 1, Decision.APPROVE)
    db.session.commit()
    client = app.test_client()
    login(client, "direktor.lund@example.se")
    response = client.get(f"/responses/{demo.id}/audit.csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")),
                           delimiter=";"))
    assert rows[0][:4] == ["tid_utc", "person", "kommun", "handelse"]
    positions = [r for r in rows if r[3] == "position_recorded"]
    assert positions and positions[0][2] == "Lund" and positions[0][4] == "1"


def test_followup_report_counts_sent_responses_and_participation(app, db, demo):
    join_all(demo)
    responses.invite(demo, coordinator(), [municipality("Höör").id])
    responses.answer_invitation(demo, official("Höör"), join=False, reason="Inte berörda")
    drafting.publish_version(demo, coordinator(), "")
    for name in TRIO:
        review.record_position(demo, official(name), 1, Decision.APPROVE)
    for name in TRIO:
        review.sign_off(demo, director(name), 1, review.SignOffInput(
            "Kommunstyrelsen", local_today(), f"Direktör {name}", "Kommundirektör"))
    stages.record_sent(demo, coordinator(), local_today())
    report = build_report(demo.cooperation, local_today().year)
    assert report.sent == 1 and report.sent_by_focus_area["planning"] == 1
    by_name = {row.name: row for row in report.participation}
    assert by_name["Lund"].joined == 1 and by_name["Höör"].declined == 1 and by_name["Vellinge"].invited == 0
    assert report.median_days_to_consensus == 0 and report.median_days_to_sending == 0
    db.session.commit()
    client = app.test_client()
    login(client, "koordinator@example.se")
    page = client.get(f"/cooperations/{demo.cooperation_id}/report").get_data(as_text=True)
    assert "<svg" in page and "Fysisk planering och infrastruktur" in page
    assert client.get(f"/cooperations/{demo.cooperation_id}/report?year=99999").status_code == 400
    csv_text = client.get(f"/cooperations/{demo.cooperation_id}/report.csv").get_data(as_text=True)
    assert ["Höör", "1", "0", "1", "0"] in list(csv.reader(io.StringIO(csv_text.lstrip("\ufeff")),
                                                          delimiter=";"))


class FakeSMTP:
    sent: list = []

    def __init__(self, host, port, timeout=None):
        self.host, self.port = host, port

    def send_message(self, message):
        FakeSMTP.sent.append(message)

    def quit(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_send_reminders_cli_emails_through_smtp_once(app, db, demo, monkeypatch):
    import drafting.services.mailer as mailer

    join_all(demo)
    drafting.publish_version(demo, coordinator(), "")
    deadline = demo.deadline
    db.session.commit()
    monkeypatch.setattr(mailer.smtplib, "SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.example.se")
    FakeSMTP.sent = []
    runner = app.test_cli_runner()
    day = (deadline - timedelta(days=7)).isoformat()
    result = runner.invoke(args=["send-reminders", "--today", day])
    assert result.exit_code == 0, result.output
    recipients = sorted(m["To"] for m in FakeSMTP.sent)
    # Invitation, version up for review, and the 7-day reminder (nobody has answered yet).
    assert recipients.count("tjansteman.lund@example.se") == 3
    assert recipients.count("direktor.lund@example.se") == 1  # the invitation only
    assert any("7 dagar kvar" in m["Subject"] for m in FakeSMTP.sent)
    FakeSMTP.sent = []
    result = runner.invoke(args=["send-reminders", "--today", day])
    assert FakeSMTP.sent == []  # nothing twice
