"""Each municipality's own decision, through the pages: meeting calendars (iCalendar in and out),
the plan and its warnings, the decision basis with the text fingerprint, and the extension."""

from __future__ import annotations

import io
from datetime import date, timedelta

import icalendar
from docx import Document
from sqlalchemy import select

from drafting.models import (
    AuditEvent,
    DecisionBasisRevision,
    MeetingDate,
    SignOff,
    Version,
    local_today,
)
from drafting.services import calendars, review
from drafting.services.fingerprint import short_fingerprint, version_fingerprint
from drafting.services.planning import response_plan
from tests.conftest import coordinator, director, login, municipality, official, sign_data


def meeting_system_export(today: date) -> bytes:
    """A calendar as a municipality's meeting system exports it: a time zone, meetings as local
    times, a UTC time, a whole-day event, other bodies' meetings, a cancelled one, folded lines."""
    def at(days: int) -> str:
        return (today + timedelta(days=days)).strftime("%Y%m%d")

    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Formpipe Software AB//Meetings Plus 6.4//SV",
        "CALSCALE:GREGORIAN", "METHOD:PUBLISH", "X-WR-CALNAME:Eslövs kommun – sammanträden",
        "X-WR-TIMEZONE:Europe/Stockholm",
        "BEGIN:VTIMEZONE", "TZID:Europe/Stockholm",
        "BEGIN:DAYLIGHT", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "TZNAME:CEST",
        "DTSTART:19700329T020000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT",
        "BEGIN:STANDARD", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "TZNAME:CET",
        "DTSTART:19701025T030000", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD",
        "END:VTIMEZONE",
        "BEGIN:VEVENT", f"UID:mp-ksau-{at(20)}@eslov.meetingsplus.se", f"DTSTAMP:{at(0)}T080000Z",
        f"DTSTART;TZID=Europe/Stockholm:{at(20)}T083000", f"DTEND;TZID=Europe/Stockholm:{at(20)}T120000",
        "SUMMARY:Kommunstyrelsens arbetsutskott", "LOCATION:Stadshuset\\, sammanträdesrum Trollsjön",
        "DESCRIPTION:Handlingar publiceras senast en vecka före sammanträdet. Se kallelse",
        " n i Meetings Plus.", "END:VEVENT",
        "BEGIN:VEVENT", f"UID:mp-ks-{at(40)}@eslov.meetingsplus.se", f"DTSTAMP:{at(0)}T080000Z",
        f"DTSTART;TZID=Europe/Stockholm:{at(40)}T130000", "SUMMARY:Kommunstyrelsen",
        "LOCATION:Stadshuset\\, Kommunfullmäktiges sal", "END:VEVENT",
        "BEGIN:VEVENT", f"UID:mp-ks-{at(25)}@eslov.meetingsplus.se", f"DTSTAMP:{at(0)}T080000Z",
        f"DTSTART;TZID=Europe/Stockholm:{at(25)}T130000", "SUMMARY:Kommunstyrelsen (inställt)",
        "STATUS:CANCELLED", "END:VEVENT",
        "BEGIN:VEVENT", f"UID:mp-bn-{at(15)}@eslov.meetingsplus.se", f"DTSTAMP:{at(0)}T080000Z",
        f"DTSTART;TZID=Europe/Stockholm:{at(15)}T090000", "SUMMARY:Byggnadsnämnden", "END:VEVENT",
        "BEGIN:VEVENT", f"UID:mp-kf-{at(44)}@eslov.meetingsplus.se", f"DTSTAMP:{at(0)}T080000Z",
        # 23:30 UTC is the next morning's day in Sweden.
        f"DTSTART:{at(44)}T233000Z", "SUMMARY:Kommunfullmäktige", "END:VEVENT",
        "BEGIN:VEVENT", "UID:mp-old@eslov.meetingsplus.se", f"DTSTAMP:{at(0)}T080000Z",
        f"DTSTART;VALUE=DATE:{at(-3)}", "SUMMARY:Kommunstyrelsen", "END:VEVENT",
        "END:VCALENDAR",
    ]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def calendar_url(response, name: str) -> str:
    return f"/cooperations/{response.cooperation_id}/municipalities/{municipality(name).id}/calendar"


def test_a_meeting_system_export_is_read_as_the_deciding_bodies_meetings(db, demo):
    today = local_today()
    events = calendars.parse_calendar(meeting_system_export(today))
    assert len(events) == 6
    result = calendars.import_calendar(demo.cooperation, municipality("Eslöv"), official("Eslöv"),
                                       meeting_system_export(today), 7)
    got = sorted((m.body, m.meets_on) for m in result.added)
    assert got == sorted([
        ("Kommunstyrelsens arbetsutskott", today + timedelta(20)),
        ("Kommunstyrelsen", today + timedelta(40)),
        ("Kommunfullmäktige", today + timedelta(45)),
    ])
    assert {m.document_deadline_days for m in result.added} == {7}
    # The cancelled meeting, the nämnd and the past meeting are left out.
    assert (result.already_there, result.not_deciding) == (0, 3)
    again = calendars.import_calendar(demo.cooperation, municipality("Eslöv"), official("Eslöv"),
                                      meeting_system_export(today), 7)
    assert again.added == () and again.already_there == 3


def test_the_plan_warns_about_a_body_that_meets_after_the_deadline_and_goes_out_as_ics(
        client, db, demo, join):
    join(demo, "Lund", "Eslöv")
    today = local_today()
    calendars.import_calendar(demo.cooperation, municipality("Eslöv"), official("Eslöv"),
                              meeting_system_export(today), 7)
    lund_meeting = calendars.add_meeting(demo.cooperation, municipality("Lund"), official("Lund"),
                                         "Kommunstyrelsen", today + timedelta(21), 10)
    response_id = demo.id
    db.session.commit()

    login(client, "koordinator@example.se")
    page = client.get(f"/responses/{response_id}/plan").get_data(as_text=True)
    assert "Eslövs kommunstyrelse sammanträder" in page
    assert "efter sista svarsdag" in page and "välj arbetsutskottet" in page
    assert "Ta fram en begäran om anstånd (Word)" in page
    shown = client.get(f"/responses/{response_id}").get_data(as_text=True)
    assert "Planen fram till sista svarsdag" in shown and "Eslövs kommunstyrelse" in shown

    answer = client.get(f"/responses/{response_id}/plan.ics")
    assert answer.status_code == 200 and answer.mimetype == "text/calendar"
    exported = icalendar.Calendar.from_ical(answer.data)
    events = {str(e["UID"]): e for e in exported.walk("VEVENT")}
    assert len(events) == len(exported.walk("VEVENT"))  # every UID once
    plan = response_plan(demo, today)
    assert sorted(e.decoded("DTSTART") for e in events.values()) == [m.on for m in plan.milestones]
    deadline = next(e for uid, e in events.items() if "-deadline-" in uid)
    assert deadline.decoded("DTSTART") == demo.deadline
    lund = next(e for uid, e in events.items() if "-meeting-lund@" in uid)
    assert lund.decoded("DTSTART") == lund_meeting.meets_on

    letter = client.get(f"/responses/{response_id}/plan/extension.docx")
    assert letter.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(letter.data)).paragraphs)
    assert "Begäran om anstånd" in text and "Eslövs kommun: Kommunstyrelsen kan besluta" in text
    assert "Lunds kommun:" not in text  # Lund decides in time
    assert db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "extension_requested")).one()


def test_the_calendar_page_imports_adds_and_refuses(client, db, demo):
    url = calendar_url(demo, "Eslöv")
    db.session.commit()
    login(client, "tjansteman.eslov@example.se")
    answer = client.post(f"{url}/import", data={
        "import_deadline_days": "10",
        "calendar": (io.BytesIO(meeting_system_export(local_today())), "sammantraden.ics")},
        content_type="multipart/form-data")
    assert answer.status_code == 303
    page = client.get(url).get_data(as_text=True)
    assert "Kommunstyrelsens arbetsutskott" in page and "3 sammanträden är inlästa" in page
    bad = client.post(f"{url}/import", data={
        "import_deadline_days": "10", "calendar": (io.BytesIO(b"inte en kalender"), "x.ics")},
        content_type="multipart/form-data")
    assert bad.status_code == 400 and "iCalendar" in bad.get_data(as_text=True)
    past = client.post(f"{url}/meetings", data={
        "meeting_body": "Kommunstyrelsen", "meets_on": "2001-01-01", "document_deadline_days": "10"})
    assert past.status_code == 400 and "bakom oss" in past.get_data(as_text=True)
    days = client.post(f"{url}/meetings", data={
        "meeting_body": "Kommunstyrelsen", "meets_on": (local_today() + timedelta(9)).isoformat(),
        "document_deadline_days": "999"})
    assert days.status_code == 400 and "mellan 0 och" in days.get_data(as_text=True)
    assert client.post(f"{url}/delegation", data={"director_may_decide": "y"}).status_code == 303
    assert municipality("Eslöv").director_may_decide
    # Another municipality's official keeps no calendar but their own.
    client.post("/logout")
    login(client, "tjansteman.lund@example.se")
    assert client.post(f"{url}/meetings", data={
        "meeting_body": "Kommunstyrelsen", "meets_on": (local_today() + timedelta(9)).isoformat(),
        "document_deadline_days": "10"}).status_code == 403
    db.session.expire_all()
    assert db.session.scalar(select(MeetingDate.id).where(
        MeetingDate.meets_on == local_today() + timedelta(9))) is None


def test_the_coordinators_dates_are_kept_and_refused_after_the_deadline(client, db, in_review):
    response_id, deadline = in_review.id, in_review.deadline
    db.session.commit()
    login(client, "koordinator@example.se")
    early = (deadline - timedelta(20)).isoformat()
    assert client.post(f"/responses/{response_id}/plan/dates",
                       data={"comments_due": early}).status_code == 303
    page = client.get(f"/responses/{response_id}/plan").get_data(as_text=True)
    assert "ändrat av koordinatorn" in page
    late = client.post(f"/responses/{response_id}/plan/dates",
                       data={"positions_due": (deadline + timedelta(1)).isoformat()})
    assert late.status_code == 400 and "efter sista svarsdag" in late.get_data(as_text=True)
    login(client, "tjansteman.lund@example.se")
    assert client.post(f"/responses/{response_id}/plan/dates",
                       data={"comments_due": early}).status_code == 403


def _docx_text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for section in document.sections:
        for story in (section.first_page_header, section.header):
            parts += [p.text for p in story.paragraphs]
            parts += [c.text for t in story.tables for row in t.rows for c in row.cells]
    return "\n".join(parts)


def test_every_participant_downloads_a_decision_basis_with_the_same_fingerprint(
        client, db, at_consensus):
    response_id = at_consensus.id
    fingerprint = version_fingerprint(db.session.get(Version, at_consensus.consensus_version_id))
    db.session.commit()

    login(client, "tjansteman.lund@example.se")
    saved = client.post(f"/responses/{response_id}/decision-basis", data={
        "base_number": "0", "deciding_body": "Kommunstyrelsens arbetsutskott",
        "local_reference": "KS 2026/0123",
        "local_considerations": "Lunds **översiktsplan** pekar redan ut samma stråk."})
    assert saved.status_code == 303
    stale = client.post(f"/responses/{response_id}/decision-basis", data={
        "base_number": "0", "deciding_body": "Kommunstyrelsen", "local_reference": "KS 1",
        "local_considerations": "Min egen text som inte får försvinna."})
    assert stale.status_code == 409
    assert "Min egen text som inte får försvinna." in stale.get_data(as_text=True)
    lund = client.get(f"/responses/{response_id}/decision-basis.docx")
    assert lund.status_code == 200
    client.post("/logout")
    login(client, "direktor.malmo@example.se")
    malmo = client.get(f"/responses/{response_id}/decision-basis.docx")
    assert malmo.status_code == 200
    client.post("/logout")
    login(client, "koordinator@example.se")
    assert client.get(f"/responses/{response_id}/decision-basis.docx").status_code == 403

    line = f"Textens kontrollsumma (SHA-256): {short_fingerprint(fingerprint)}"
    lund_text, malmo_text = _docx_text(lund.data), _docx_text(malmo.data)
    for text in (lund_text, malmo_text):
        assert line in text and f"Hela kontrollsumman: {fingerprint}" in text
        assert "Förslag till beslut" in text and "TJÄNSTESKRIVELSE" in text
    assert ("Kommunstyrelsens arbetsutskott ställer sig bakom MalmöLundregionens gemensamma "
            "yttrande över") in lund_text
    assert "Lunds kommun" in lund_text and "KS 2026/0123" in lund_text
    assert "tillsammans med Malmö stad" in lund_text
    assert "Lunds översiktsplan pekar redan ut samma stråk." in lund_text
    assert "Kommunstyrelsen ställer sig bakom" in malmo_text and "tillsammans med Lunds kommun" in malmo_text
    assert "översiktsplan" not in malmo_text  # Lund's considerations stay in Lund's basis
    assert db.session.scalar(select(DecisionBasisRevision.number)) == 1

    # The sign-offs store the same fingerprint, and the final yttrande prints it.
    for name in ("Lund", "Malmö"):
        review.sign_off(at_consensus, director(name), 1, sign_data(name))
    db.session.commit()
    assert set(db.session.scalars(select(SignOff.text_fingerprint))) == {fingerprint}
    final = client.get(f"/responses/{response_id}/export/final.docx")
    assert line in _docx_text(final.data)


def test_the_decision_basis_waits_for_consensus(client, db, in_review):
    response_id = in_review.id
    db.session.commit()
    login(client, "tjansteman.lund@example.se")
    assert client.get(f"/responses/{response_id}/decision-basis.docx").status_code == 409
    login(client, "tjansteman.vellinge@example.se")
    assert client.get(f"/responses/{response_id}/decision-basis.docx").status_code == 403


def test_the_plan_page_in_english(client, db, in_review):
    response_id = in_review.id
    db.session.commit()
    login(client, "koordinator@example.se")
    client.post("/language", data={"lang-locale": "en", "next": "/"})
    page = client.get(f"/responses/{response_id}/plan").get_data(as_text=True)
    assert "Plan up to the deadline" in page and "Change the plan" in page
    assert "Sista svarsdag" not in page.split("<main", 1)[1].split("</header>", 1)[1]


def _bearer(db, email: str) -> dict[str, str]:
    from drafting.services.tokens import create_token
    from tests.conftest import user_by_email

    _, plaintext = create_token(user_by_email(email), "test")
    db.session.commit()
    return {"Authorization": f"Bearer {plaintext}"}


def test_the_api_gives_the_plan_the_meetings_and_the_decision_basis(client, db, demo, join):
    from drafting.services import drafting
    from tests.test_signoff_versions import approve_all

    at_consensus = join(demo, "Lund", "Malmö", "Eslöv")
    drafting.publish_version(at_consensus, coordinator(), "")
    approve_all(at_consensus, 1, ("Lund", "Malmö", "Eslöv"))
    calendars.import_calendar(at_consensus.cooperation, municipality("Eslöv"), official("Eslöv"),
                              meeting_system_export(local_today()), 7)
    response_id, cooperation_id = at_consensus.id, at_consensus.cooperation_id
    eslov = municipality("Eslöv").id
    fingerprint = version_fingerprint(db.session.get(Version, at_consensus.consensus_version_id))
    headers = _bearer(db, "tjansteman.lund@example.se")

    plan = client.get(f"/api/v1/responses/{response_id}/plan", headers=headers).get_json()
    assert plan["feasible"] is False
    eslov_plan = next(p for p in plan["participants"] if p["municipality"] == "Eslöv")
    assert eslov_plan["in_time"] is False and eslov_plan["next_possible"]
    assert any("Eslövs kommunstyrelse" in w["text"] for w in plan["warnings"])
    assert plan["milestones"][-1]["kind"] in ("deadline", "meeting")

    listed = client.get(f"/api/v1/cooperations/{cooperation_id}/municipalities/{eslov}/meetings",
                        headers=headers).get_json()
    assert [m["body"] for m in listed["items"]][:1] == ["Kommunstyrelsens arbetsutskott"]

    answer = client.get(f"/api/v1/responses/{response_id}/decision-basis.docx", headers=headers)
    assert answer.status_code == 200
    assert short_fingerprint(fingerprint) in _docx_text(answer.data)
    refused = client.get(f"/api/v1/responses/{response_id}/decision-basis.docx",
                         headers=_bearer(db, "koordinator@example.se"))
    assert refused.status_code == 403 and refused.is_json


def test_reminders_go_out_before_the_plans_dates_once(db, in_review):
    from drafting.models import Notification
    from drafting.services.reminders import send_plan_reminders

    today = local_today()
    calendars.add_meeting(in_review.cooperation, municipality("Lund"), official("Lund"),
                          "Kommunstyrelsen", today + timedelta(21), 10)
    calendars.add_meeting(in_review.cooperation, municipality("Malmö"), official("Malmö"),
                          "Kommunstyrelsen", today + timedelta(28), 10)
    plan = response_plan(in_review, today)
    comments_due = plan.due[next(k for k in plan.due if k.value == "comments")]
    assert comments_due == today + timedelta(21 - 10 - 7)
    day = comments_due - timedelta(2)
    sent = send_plan_reminders(day)
    notes = db.session.scalars(select(Notification).where(Notification.kind == "plan")).all()
    assert sent == len(notes) == 2  # Lund's and Malmö's officials
    assert all("Sista dag för synpunkter" in n.message for n in notes)
    assert send_plan_reminders(day) == 0  # once


def test_the_coordinator_hears_when_a_body_cannot_decide_in_time(db, in_review):
    from drafting.models import Notification
    from drafting.services.reminders import send_plan_reminders

    calendars.add_meeting(in_review.cooperation, municipality("Lund"), official("Lund"),
                          "Kommunstyrelsen", in_review.deadline + timedelta(5), 10)
    calendars.add_meeting(in_review.cooperation, municipality("Malmö"), official("Malmö"),
                          "Kommunstyrelsen", local_today() + timedelta(20), 10)
    send_plan_reminders(local_today())
    note = db.session.scalars(select(Notification).where(Notification.kind == "plan")).one()
    assert note.user_id == coordinator().id and "Lund" in note.message and "Malmö" not in note.message
