"""Access control proven over every page route × role × own/other municipality × own/other cooperation.

The route list comes from the app's URL map, so a new route is covered (or fails loudly) by itself.
"""

from __future__ import annotations

import json

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms.fields.core import UnboundField
from wtforms.validators import Length

from drafting import forms
from drafting.models import AuditEvent, Comment, Cooperation, Role
from drafting.permissions import (
    Action,
    CooperationAction,
    can,
    can_in_cooperation,
    role_allows,
    stage_allows,
)
from drafting.services import comments, drafting, home, passwords, people, responses
from drafting.services.queries import get_response
from drafting.services.tokens import create_token
from tests.conftest import coordinator, municipality, official, user_by_email

# Which permission each state-changing page route needs (None: any logged-in user, own data only).
POST_ACTIONS: dict[str, Action | None] = {
    "drafting.add_section": Action.EDIT_DRAFT,
    "drafting.edit_section": Action.EDIT_DRAFT,
    "drafting.move_section": Action.EDIT_DRAFT,
    "drafting.remove_section": Action.EDIT_DRAFT,
    "drafting.restore_section": Action.EDIT_DRAFT,
    "drafting.publish": Action.PUBLISH_VERSION,
    "drafting.add_comment": Action.COMMENT,
    "drafting.reply": Action.COMMENT,
    "drafting.resolve": Action.COMMENT,
    "drafting.decide_suggestion": Action.DECIDE_SUGGESTION,
    "export.import_docx": Action.EDIT_DRAFT,
    "export.import_preview": Action.EDIT_DRAFT,
    "export.set_our_reference": Action.EDIT_DRAFT,
    "export.pdf_retry": Action.EXPORT,
    "responses.invite": Action.MANAGE_PARTICIPANTS,
    "responses.remind": Action.REMIND,
    "responses.answer_invitation": Action.ANSWER_INVITATION,
    "responses.step_aside": Action.STEP_ASIDE,
    "responses.withdraw": Action.WITHDRAW,
    "responses.record_sent": Action.RECORD_SENT,
    "review.record_position": Action.RECORD_POSITION,
    "review.sign_off": Action.SIGN_OFF,
    "home.invite": Action.MANAGE_HOME_ROUND,
    "home.set_deadline": Action.MANAGE_HOME_ROUND,
    "home.lift": Action.MANAGE_HOME_ROUND,
    "home.add_comment": Action.COMMENT_IN_HOME_ROUND,
    "planning.set_dates": Action.ADJUST_PLAN,
    "planning.save_basis": Action.EDIT_DECISION_BASIS,
}
# Which cooperation-wide permission the other state-changing page routes need.
COOPERATION_POST_ACTIONS: dict[str, CooperationAction] = {
    "responses.new_response": CooperationAction.OPEN_RESPONSE,
    "admin.add_municipality": CooperationAction.ADMINISTER,
    "admin.set_formal_name": CooperationAction.ADMINISTER,
    "admin.add_user": CooperationAction.ADMINISTER,
    "admin.edit_user": CooperationAction.ADMINISTER,
    "admin.deactivate_user": CooperationAction.ADMINISTER,
    "admin.reactivate_user": CooperationAction.ADMINISTER,
    "admin.resend_invitation": CooperationAction.ADMINISTER,
    "admin.upload_template": CooperationAction.ADMINISTER,
    "planning.add_meeting": CooperationAction.KEEP_CALENDAR,
    "planning.remove_meeting": CooperationAction.KEEP_CALENDAR,
    "planning.import_calendar": CooperationAction.KEEP_CALENDAR,
    "planning.set_delegation": CooperationAction.KEEP_CALENDAR,
    "admin.retry_job": CooperationAction.ADMINISTER,
}
# Logged in or not, these act only on the account whose e-mail or one-time link is given.
ACCOUNT_POSTS = {"auth.forgot_password", "auth.set_password"}
OWN_DATA_POSTS = {"auth.login", "auth.logout", "auth.profile", "auth.set_mail_preference", "auth.set_language", "reports.mark_read",
                  "tokens.create", "tokens.revoke", *ACCOUNT_POSTS}
PUBLIC = {"auth.login", "auth.set_language", "static", *ACCOUNT_POSTS}
# Under /api/v1 but no API call: readable without a token, and HTML rather than JSON.
API_PUBLIC = {"api.openapi", "api_docs.docs"}
API_HTML = {"api_docs.docs"}

PEOPLE = {
    "coordinator": "koordinator@example.se",
    "admin": "admin@example.se",
    "official-joined": "tjansteman.lund@example.se",
    "official-not-invited": "tjansteman.vellinge@example.se",
    "director-joined": "direktor.lund@example.se",
    "director-invited": "direktor.malmo@example.se",
    "outsider": "ks@helsingborg.example.se",
    "official-other": "tjansteman.malmo@example.se",
    "reviewer": "planering@lund.example.se",
}
# Lund runs a home round in the world below: only these people may ever read what it said.
LUND_INSIDE = {"official-joined", "director-joined", "reviewer"}
INTERNAL_SENTENCE = "Planavdelningen i Lund saknar helt dagvattenfrågan i avsnittet."


def readable_text(result) -> str:
    """Everything a response carries, as text: a Word file's (zip's) every part unpacked."""
    import io
    import zipfile

    data = result.get_data()
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "".join(archive.read(name).decode("utf-8", "replace")
                           for name in archive.namelist())
    if result.is_json:  # as the text reads, not \u-escaped
        return json.dumps(result.get_json(), ensure_ascii=False)
    return data.decode("utf-8", "replace")


def assert_no_internal_text(who: str, where: str, result) -> None:
    if who not in LUND_INSIDE:
        text = readable_text(result)
        assert INTERNAL_SENTENCE not in text and "dagvattenfrågan" not in text, where


@pytest.fixture
def world(app, db, demo):
    responses.invite(demo, coordinator(), [municipality("Lund").id, municipality("Malmö").id])
    responses.answer_invitation(demo, official("Lund"), join=True)
    drafting.publish_version(demo, coordinator(), "")
    section = drafting.working_sections(demo)[0]
    comment = comments.add_comment(demo, official("Lund"), section, "En kommentar")
    # Lund's home round: a colleague invited, who comments; the text must stay inside Lund.
    reviewer, _created = home.invite_reviewer(demo, official("Lund"), PEOPLE["reviewer"],
                                              "Petra Plan", "Planavdelningen")
    passwords.set_password(reviewer.user, "demo-losenord")
    internal = home.add_internal_comment(demo, reviewer.user, section, INTERNAL_SENTENCE)
    other = Cooperation(name="Familjen Helsingborg")
    db.session.add(other)
    db.session.flush()
    people.add_municipality(other, None, "Helsingborg")
    people.create_user(email=PEOPLE["outsider"], name="Utomstående", password="losenord-123",
                       cooperation=other, role=Role.COORDINATOR)
    ids = {"response_id": demo.id, "section_id": section.id, "comment_id": comment.id, "number": 1,
           "cooperation_id": demo.cooperation_id, "token_id": 1, "job_id": 1,
           # Someone none of PEOPLE logs in as, so an administrator's deactivation spoils no login.
           "user_id": official("Lomma").id, "token": "not-a-real-link",
           "municipality_id": municipality("Lund").id, "internal_comment_id": internal.id}
    db.session.commit()
    return ids


def page_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.rule.startswith("/api/"):
            continue
        yield rule


def build(rule, ids) -> str:
    return rule.build({name: ids[name] for name in rule.arguments}, append_unknown=False)[1]


def login_as(app, who: str):
    client = app.test_client()
    if who != "anonymous":
        password = "losenord-123" if who == "outsider" else "demo-losenord"
        assert client.post("/login", data={"email": PEOPLE[who], "password": password}).status_code == 302
    return client


def invalid_form_body() -> dict[str, str]:
    """Every field of every form, each with a value its form refuses: too long, or no number,
    date or choice at all."""
    body: dict[str, str] = {}
    for form in vars(forms).values():
        if not (isinstance(form, type) and issubclass(form, FlaskForm)):
            continue
        for name, field in vars(form).items():
            if not isinstance(field, UnboundField):
                continue
            longest = max((v.max for v in field.kwargs.get("validators", ())
                           if isinstance(v, Length) and v.max > 0), default=None)
            if longest is None:
                body.setdefault(name, "ogiltigt")
            else:
                body[name] = "x" * max(longest + 1, len(body.get(name, "")))
    return body


# A person without the permission gets 403 (404 where the response is hidden from them)
# whatever they send: the permission is checked before the body is read.
PAGE_BODIES = {"empty": {}, "invalid": invalid_form_body()}


def expected_refusal(user, response, endpoint: str = "") -> int:
    # A home round's routes exist only for the people inside it: 404 for everyone else.
    if endpoint.startswith("home.") or endpoint in HOME_API:
        return 403 if can(user, Action.VIEW_HOME_ROUND, response) else 404
    return 403 if can(user, Action.VIEW, response) else 404


HOME_API = {"api.internal_comments", "api.add_internal_comment"}


def audit_count(db) -> int:
    db.session.expire_all()
    count = db.session.scalar(select(func.count()).select_from(AuditEvent))
    db.session.commit()
    return count


@pytest.mark.parametrize("who", ["anonymous", *PEOPLE])
def test_every_page_route(app, db, world, who):
    client = login_as(app, who)
    response_scoped_failures = []
    wrong_refusals: list[str] = []  # gathered, so one run names every route that answers wrongly
    for rule in page_rules(app):
        url = build(rule, world)
        scoped = "response_id" in rule.arguments or "cooperation_id" in rule.arguments
        for method in sorted(rule.methods & {"GET", "POST"}):
            if rule.endpoint == "auth.logout":
                continue  # would end this client's session mid-test; covered in test_http
            for kind, body in PAGE_BODIES.items() if method == "POST" else [("", {})]:
                before = audit_count(db) if method == "POST" else None
                result = client.open(url, method=method, data=body)
                status = result.status_code
                where = f"{who} {method} {url} {kind} body -> {status}"
                assert status < 500, where
                assert_no_internal_text(who, where, result)
                if who == "anonymous":
                    if rule.endpoint not in PUBLIC:
                        assert status == 302 and "/login" in result.headers["Location"], where
                    continue
                if who == "outsider" and scoped:
                    assert status in (403, 404), where
                    response_scoped_failures.append(where)
                if method != "POST" or rule.endpoint in OWN_DATA_POSTS:
                    continue
                db.session.expire_all()
                user = user_by_email(PEOPLE[who])
                response = get_response(world["response_id"])
                if rule.endpoint in COOPERATION_POST_ACTIONS:
                    # A municipality's own calendar: the URL names Lund.
                    allowed = can_in_cooperation(user, COOPERATION_POST_ACTIONS[rule.endpoint],
                                                 response.cooperation, world["municipality_id"])
                    refusal = 403
                else:
                    assert rule.endpoint in POST_ACTIONS, f"new POST route without a permission: {rule.endpoint}"
                    action = POST_ACTIONS[rule.endpoint]
                    allowed = can(user, action, response)
                    # The role is asked first (403, or 404 where the response is hidden); a role
                    # that may act, at a stage that does not allow it, is told why: 409.
                    refusal = (expected_refusal(user, response, rule.endpoint)
                               if not role_allows(user, action, response) else 409)
                db.session.commit()
                if not allowed:
                    if status != refusal:
                        wrong_refusals.append(f"{where}, expected {refusal}")
                    assert audit_count(db) == before, f"{where} changed something without permission"
    assert not wrong_refusals, "\n".join(wrong_refusals)
    if who == "outsider":
        assert response_scoped_failures  # the outsider really was tried on scoped routes


def test_guessing_ids_of_another_cooperation_reveals_nothing(app, db, world):
    client = login_as(app, "outsider")
    for response_id in range(1, 6):
        assert client.get(f"/responses/{response_id}").status_code == 404
        assert client.get(f"/responses/{response_id}/export/final.docx").status_code == 404
        assert client.get(f"/responses/{response_id}/audit.csv").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 1


DOCX_ENDPOINTS = {"api.export_docx", "api.decision_basis_docx"}
API_POST_ACTIONS = {
    "api.add_comment": Action.COMMENT,
    "api.record_position": Action.RECORD_POSITION,
    "api.sign_off": Action.SIGN_OFF,
    "api.add_internal_comment": Action.COMMENT_IN_HOME_ROUND,
}


def valid_body(endpoint: str, ids: dict) -> dict:
    return {
        "api.add_comment": {"section_id": ids["section_id"], "body": "Via API"},
        "api.record_position": {"version_number": 1, "decision": "approve"},
        "api.add_internal_comment": {"section_id": ids["section_id"], "body": "Internt via API"},
        "api.sign_off": {"version_number": 1, "deciding_body": "Kommunstyrelsen",
                         "decision_date": "2026-01-15", "signatory_name": "N", "signatory_title": "T"},
    }[endpoint]


# Bodies that are never a valid write, as (content type, raw bytes).
API_BODIES = {
    "empty object": ("application/json", b"{}"),
    "invalid fields": ("application/json",
                       json.dumps({"version_number": "1", "section_id": -1, "unknown": 1}).encode()),
    "not JSON": ("application/json", b"{"),
    "repeated key": ("application/json", b'{"body": "a", "body": "b"}'),
    "no body": ("application/json", b""),
    "form encoded": ("application/x-www-form-urlencoded", b"body=x"),
}


@pytest.mark.parametrize("who", ["anonymous", *PEOPLE])
def test_every_api_route(app, db, world, who):
    headers = {}
    if who != "anonymous":
        _, plaintext = create_token(user_by_email(PEOPLE[who]), "matris")
        db.session.commit()
        headers = {"Authorization": f"Bearer {plaintext}"}
    client = app.test_client()
    wrong_refusals: list[str] = []
    rules = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1")]
    assert rules
    for rule in rules:
        url = build(rule, world)
        scoped = "response_id" in rule.arguments or "cooperation_id" in rule.arguments
        for method in sorted(rule.methods & {"GET", "POST"}):
            bodies = API_BODIES.items() if method == "POST" else [("", (None, None))]
            for kind, (content_type, raw) in bodies:
                before = audit_count(db) if method == "POST" else None
                result = client.open(url, method=method, data=raw, content_type=content_type,
                                     headers=headers)
                status = result.status_code
                where = f"{who} {method} {url} {kind} -> {status}"
                assert status < 500, where
                assert_no_internal_text(who, where, result)
                if rule.endpoint in API_HTML:
                    assert status == 200 and result.mimetype == "text/html", where
                    continue
                assert result.is_json or (rule.endpoint in DOCX_ENDPOINTS and status == 200), where
                if who == "anonymous":
                    if rule.endpoint not in API_PUBLIC:
                        assert status == 401, where
                    continue
                if who == "outsider" and scoped:
                    assert status in (403, 404), where
                if method != "POST":
                    continue
                assert rule.endpoint in API_POST_ACTIONS, f"new API POST without a permission: {rule.endpoint}"
                # None of these bodies is a valid write: nothing may change, whoever asks.
                assert 400 <= status < 500 and audit_count(db) == before, where
                user = user_by_email(PEOPLE[who])
                response = get_response(world["response_id"])
                action = API_POST_ACTIONS[rule.endpoint]
                if not can(user, action, response):
                    # Refused before the body is read: 403, not 400, 415 or 422 (409 when the
                    # role may act but the stage does not allow it now).
                    refusal = (expected_refusal(user, response, rule.endpoint)
                               if not role_allows(user, action, response) else 409)
                    if status != refusal:
                        wrong_refusals.append(f"{where}, expected {refusal}")
                    assert result.get_json()["error"]["status"] == status, where
                db.session.commit()
            if method == "POST" and who != "anonymous":
                # A valid body: only those the permission layer allows may change anything.

                response = get_response(world["response_id"])
                action = API_POST_ACTIONS[rule.endpoint]
                allowed = role_allows(user_by_email(PEOPLE[who]), action, response)
                stage_open = stage_allows(action, response)
                db.session.commit()
                before = audit_count(db)
                result = client.post(url, json=valid_body(rule.endpoint, world), headers=headers)
                where = f"{who} POST {url} (valid body) -> {result.status_code}"
                assert result.status_code < 500, where
                if not allowed:
                    assert result.status_code in (403, 404), where
                    assert audit_count(db) == before, where
                elif not stage_open:  # e.g. sign-off waits for consensus: 409, nothing changed
                    assert result.status_code == 409, where
                    assert audit_count(db) == before, where
                else:
                    assert result.status_code == 201, where
    assert not wrong_refusals, "\n".join(wrong_refusals)
