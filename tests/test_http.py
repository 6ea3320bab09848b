"""The pages through the HTTP client: login, the whole path, errors in Swedish, text never lost."""

from __future__ import annotations

import re

from sqlalchemy import select

from drafting.models import Comment, SignOff, Stage, User, local_today
from drafting.services import drafting, responses, stages
from tests.conftest import coordinator, csrf_token_from, login, municipality, official

TRIO = ["Malmö", "Lund", "Eslöv"]


def as_user(app, email):
    client = app.test_client()
    response = login(client, email)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def test_login_page_is_swedish(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="sv"' in page and "Logga in" in page


def test_wrong_password_and_unknown_user_get_the_same_message(client, demo):
    wrong = login(client, "koordinator@example.se", "fel-losenord")
    unknown = login(client, "ingen@example.se", "fel-losenord")
    assert wrong.status_code == unknown.status_code == 401
    assert "Fel e-postadress eller lösenord." in wrong.get_data(as_text=True)
    assert "Fel e-postadress eller lösenord." in unknown.get_data(as_text=True)


def test_login_required_redirects(client):
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_next_redirect_only_to_this_site(client, demo):
    for evil in ["https://evil.example", "//evil.example", "/\\evil.example", "https:/evil.example"]:
        response = client.post("/login", data={"email": "koordinator@example.se",
                                               "password": "demo-losenord", "next": evil})
        assert response.headers["Location"] == "/", evil
        client.post("/logout")


def test_404_page_is_swedish(client, demo):
    as_coord = client
    login(as_coord, "koordinator@example.se")
    response = as_coord.get("/responses/999999")
    assert response.status_code == 404
    assert "Sidan finns inte" in response.get_data(as_text=True)


def test_outsider_cannot_see_response(app, demo):
    from drafting.models import Cooperation, Role
    from drafting.services import people

    other = Cooperation(name="Skåne Nordost")
    from drafting.extensions import db
    db.session.add(other)
    db.session.flush()
    people.create_user(email="ute@example.se", name="Ute", password="losenord-123",
                       cooperation=other, role=Role.COORDINATOR)
    db.session.commit()
    client = app.test_client()
    login(client, "ute@example.se", "losenord-123")
    assert client.get(f"/responses/{demo.id}").status_code == 404
    assert client.get(f"/responses/{demo.id}/export/final.docx").status_code == 404


def test_whole_path_over_http(app, db, demo):
    coord = as_user(app, "koordinator@example.se")
    ids = [municipality(n).id for n in TRIO]
    assert coord.post(f"/responses/{demo.id}/invite", data={"municipalities": ids}).status_code == 302
    for name in TRIO:
        client = as_user(app, f"tjansteman.{name.lower().replace('ö', 'o')}@example.se")
        assert client.post(f"/responses/{demo.id}/participation", data={"answer": "join"}).status_code == 302
    r = coord.post(f"/responses/{demo.id}/publish", data={"change_note": ""})
    assert r.status_code == 302, re.findall(r"(?s)<ul class=\"errors\".*?</ul>", r.get_data(as_text=True))
    page = coord.get(f"/responses/{demo.id}").get_data(as_text=True)
    assert "Version 1" in page and "Sammanfattning" in page

    assert db.session.execute(select(Comment.id)).first() is None  # no comments yet
    lund = as_user(app, "tjansteman.lund@example.se")
    from drafting.services.drafting import working_sections
    first = working_sections(demo)[0]
    response = lund.post(f"/responses/{demo.id}/sections/{first.id}/comments",
                         data={"body": "Bra formulerat!", "exact": "tillstyrker"})
    assert response.status_code == 302
    comment = db.session.scalars(select(Comment)).one()
    assert comment.anchor_exact == "tillstyrker" and comment.anchor_state == "anchored"

    for name in TRIO:
        client = as_user(app, f"tjansteman.{name.lower().replace('ö', 'o')}@example.se")
        r = client.post(f"/responses/{demo.id}/position", data={"version_number": "1", "decision": "approve"})
        assert r.status_code == 302, r.get_data(as_text=True)
    db.session.expire_all()
    assert demo.stage == Stage.CONSENSUS
    for name in TRIO:
        client = as_user(app, f"direktor.{name.lower().replace('ö', 'o')}@example.se")
        typed = {"version_number": "1", "deciding_body": "Kommunstyrelsen",
                 "decision_date": local_today().isoformat(), "signatory_name": f"Direktör {name}",
                 "signatory_title": "Kommundirektör"}
        # First the page that shows exactly what is signed; nothing is recorded yet.
        before = db.session.query(SignOff).count()
        shown = client.post(f"/responses/{demo.id}/sign-off", data=typed)
        assert shown.status_code == 200 and f"Direktör {name}" in shown.get_data(as_text=True)
        assert db.session.query(SignOff).count() == before
        r = client.post(f"/responses/{demo.id}/sign-off", data=typed | {"confirmed": "1"})
        assert r.status_code == 302, r.get_data(as_text=True)
    db.session.expire_all()
    assert demo.stage == Stage.SIGNED
    assert db.session.query(SignOff).count() == 3
    download = coord.get(f"/responses/{demo.id}/export/final.docx")
    assert download.status_code == 200
    assert download.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''" in download.headers["Content-Disposition"]


def test_objection_without_reason_keeps_the_form_and_says_why(app, db, demo):
    coord = as_user(app, "koordinator@example.se")
    coord.post(f"/responses/{demo.id}/invite", data={"municipalities": [municipality("Lund").id]})
    lund = as_user(app, "tjansteman.lund@example.se")
    lund.post(f"/responses/{demo.id}/participation", data={"answer": "join"})
    coord.post(f"/responses/{demo.id}/publish", data={"change_note": ""})
    r = lund.post(f"/responses/{demo.id}/position", data={"version_number": "1", "decision": "object", "note": ""})
    assert r.status_code == 400
    assert "En invändning behöver ett skäl." in r.get_data(as_text=True)


def test_stale_version_position_is_a_conflict_with_message(app, db, demo):
    coord = as_user(app, "koordinator@example.se")
    coord.post(f"/responses/{demo.id}/invite", data={"municipalities": [municipality("Lund").id]})
    lund = as_user(app, "tjansteman.lund@example.se")
    lund.post(f"/responses/{demo.id}/participation", data={"answer": "join"})
    coord.post(f"/responses/{demo.id}/publish", data={"change_note": ""})
    from drafting.services.drafting import working_sections
    s = working_sections(demo)[0]
    coord.post(f"/responses/{demo.id}/sections/{s.id}/edit", data={
        "heading": s.heading, "body": "Ändrad", "base_revision": s.current_revision.number, "save": "1"})
    coord.post(f"/responses/{demo.id}/publish", data={"change_note": "Ändrad sammanfattning"})
    r = lund.post(f"/responses/{demo.id}/position", data={"version_number": "1", "decision": "object", "note": "Nej"})
    assert r.status_code == 409
    body = r.get_data(as_text=True)
    assert "version 2 har publicerats" in body and "Nej" in body  # the typed reason is kept


def test_edit_conflict_shows_both_texts(app, db, demo):
    from drafting.services.drafting import working_sections

    first, second = as_user(app, "koordinator@example.se"), as_user(app, "koordinator@example.se")
    s = working_sections(demo)[0]
    base = s.current_revision.number
    r1 = first.post(f"/responses/{demo.id}/sections/{s.id}/edit", data={
        "heading": s.heading, "body": "Text från första fliken", "base_revision": base, "save": "1"})
    assert r1.status_code == 302
    r2 = second.post(f"/responses/{demo.id}/sections/{s.id}/edit", data={
        "heading": s.heading, "body": "Text från andra fliken", "base_revision": base, "save": "1"})
    assert r2.status_code == 409
    page = r2.get_data(as_text=True)
    assert "Text från första fliken" in page and "Text från andra fliken" in page


def test_csrf_is_enforced_and_expired_token_keeps_text(app, db, demo):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = csrf_token_from(page)
        r = client.post("/login", data={"email": "koordinator@example.se", "password": "demo-losenord",
                                        "csrf_token": token})
        assert r.status_code == 302
        s = demo
        r = client.post(f"/responses/{s.id}/publish", data={"change_note": "Min viktiga text"})
        assert r.status_code == 400
        body = r.get_data(as_text=True)
        assert "Min viktiga text" in body and "Sidan hade gått ut" in body
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_english_is_available(app, db, demo):
    client = as_user(app, "koordinator@example.se")
    client.post("/language", data={"lang-locale": "en"})
    page = client.get("/").get_data(as_text=True)
    assert 'lang="en"' in page


def test_change_password_revokes_other_sessions(app, db, demo):
    first, second = as_user(app, "tjansteman.lund@example.se"), as_user(app, "tjansteman.lund@example.se")
    r = first.post("/profile", data={"current_password": "demo-losenord", "new_password": "nytt-losenord-1",
                                     "confirm": "nytt-losenord-1"})
    assert r.status_code == 302
    assert first.get("/").status_code == 200
    assert second.get("/").status_code == 302  # the other session is logged out
    user = db.session.scalars(select(User).where(User.email == "tjansteman.lund@example.se")).one()
    assert user.check_password("nytt-losenord-1")


def test_logout_revokes_copied_cookie(app, db, demo):
    client = as_user(app, "tjansteman.lund@example.se")
    cookie = client.get_cookie("session").value
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    assert thief.get("/").status_code == 302


def test_coordinator_opens_response(app, db, demo):
    coord = as_user(app, "koordinator@example.se")
    coop_id = demo.cooperation_id
    r = coord.post(f"/cooperations/{coop_id}/responses/new", data={
        "sender": "Finansdepartementet", "reference_number": "Fi2026/00042",
        "consultation_title": "Ny kommunallag", "deadline": "2027-01-31", "focus_area": "other"})
    assert r.status_code == 302
    r = coord.post(f"/cooperations/{coop_id}/responses/new", data={
        "sender": "Finansdepartementet", "reference_number": "Fi2026/00042",
        "consultation_title": "Ny kommunallag", "deadline": "inte ett datum", "focus_area": "other"})
    assert r.status_code == 400
    body = r.get_data(as_text=True)
    assert "Ny kommunallag" in body and "ÅÅÅÅ-MM-DD" in body


def test_official_cannot_open_response(app, db, demo):
    client = as_user(app, "tjansteman.lund@example.se")
    r = client.get(f"/cooperations/{demo.cooperation_id}/responses/new")
    assert r.status_code == 403
    assert coordinator() is not None


def test_a_refused_write_keeps_the_services_status_and_the_text(app, db, demo):
    responses.invite(demo, coordinator(), [municipality("Lund").id])
    responses.answer_invitation(demo, official("Lund"), join=True)
    drafting.publish_version(demo, coordinator(), "")
    section = drafting.working_sections(demo)[0]
    stages.withdraw(demo, coordinator(), "Remissen drogs tillbaka.")
    db.session.commit()
    lund = as_user(app, "tjansteman.lund@example.se")
    comment = lund.post(f"/responses/{demo.id}/sections/{section.id}/comments",
                        data={"body": "Min synpunkt som inte får försvinna"})
    assert comment.status_code == 409  # the stage refuses it: a conflict, not bad input
    coord = as_user(app, "koordinator@example.se")
    published = coord.post(f"/responses/{demo.id}/publish", data={"change_note": "Ny text"})
    assert published.status_code == 409
    assert "Ny text" in published.get_data(as_text=True)
    added = coord.post(f"/responses/{demo.id}/sections",
                       data={"new-heading": "Ny rubrik", "new-body": "Ny brödtext"})
    assert added.status_code == 409 and "Ny brödtext" in added.get_data(as_text=True)
