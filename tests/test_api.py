"""The integration API: personal tokens, every endpoint, the permission layer, hostile input."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from drafting.extensions import db as _db
from drafting.models import (
    ApiToken,
    AuditEvent,
    Comment,
    Cooperation,
    Position,
    Role,
    SignOff,
    Stage,
    local_today,
)
from drafting.models.deciding_bodies import DecidingBody
from drafting.services import drafting, people, responses
from drafting.services.errors import InvalidInput, NotAllowed, NotFound
from drafting.services.tokens import (
    MAX_ACTIVE_TOKENS,
    TOKEN_PREFIX,
    authenticate_token,
    create_token,
    revoke_token,
)
from drafting.views.api_spec import openapi_document
from tests.conftest import coordinator, director, login, municipality, official

TRIO = ["Malmö", "Lund", "Eslöv"]
API = "/api/v1"


def bearer(user) -> dict[str, str]:
    _token, plaintext = create_token(user, "test")
    _db.session.commit()
    return {"Authorization": f"Bearer {plaintext}"}


def error_of(response, status: int) -> dict:
    """The stable error shape, with the status in the body matching the HTTP status."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"status", "code", "message"}
    assert body["error"]["status"] == status and body["error"]["message"]
    return body["error"]


def invite_and_join(response, names=TRIO) -> None:
    responses.invite(response, coordinator(), [municipality(n).id for n in names])
    for name in names:
        responses.answer_invitation(response, official(name), join=True)


@pytest.fixture
def in_review(db, demo):
    """The demo response with Malmö, Lund and Eslöv joined and version 1 up for positions."""
    invite_and_join(demo)
    drafting.publish_version(demo, coordinator(), "")
    db.session.commit()
    return demo


@pytest.fixture
def outsider(db):
    """A coordinator of another cooperation: sees none of MalmöLundregionen's responses."""
    other = Cooperation(name="Skåne Nordost")
    db.session.add(other)
    db.session.flush()
    user = people.create_user(email="ute@example.se", name="Ute", password="losenord-123",
                              cooperation=other, role=Role.COORDINATOR)
    db.session.commit()
    return user


# --- tokens: the service ----------------------------------------------------------------------


def test_token_is_shown_once_and_stored_only_as_its_hash(db, demo):
    token, plaintext = create_token(official("Lund"), "  Diariet  ")
    db.session.commit()
    assert plaintext.startswith(TOKEN_PREFIX) and len(plaintext) > 40
    assert token.name == "Diariet"
    assert token.token_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    row = db.session.execute(select(ApiToken.__table__)).one()
    assert not any(plaintext in str(value) for value in row)  # no column holds the secret
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "api_token_created")).one()
    assert plaintext not in json.dumps(event.details) + event.summary


def test_authenticate_token(db, demo):
    lund = official("Lund")
    token, plaintext = create_token(lund, "Diariet")
    assert authenticate_token(plaintext) is lund
    assert token.last_used_at is not None
    for wrong in ["", None, plaintext[:-1], plaintext + "x", plaintext.removeprefix(TOKEN_PREFIX),
                  TOKEN_PREFIX + "x" * 500, token.token_hash]:
        assert authenticate_token(wrong) is None
    lund.is_active_account = False
    assert authenticate_token(plaintext) is None
    lund.is_active_account = True
    revoke_token(lund, token.id)
    assert authenticate_token(plaintext) is None


def test_revoke_only_own_tokens(db, demo):
    token, _plaintext = create_token(official("Lund"), "Diariet")
    with pytest.raises(NotAllowed):
        revoke_token(official("Malmö"), token.id)
    with pytest.raises(NotFound):
        revoke_token(official("Lund"), token.id + 1000)
    assert token.revoked_at is None
    revoke_token(official("Lund"), token.id)
    revoked_at = token.revoked_at
    revoke_token(official("Lund"), token.id)  # twice: nothing changes
    assert token.revoked_at == revoked_at
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "api_token_revoked")) == 1


def test_token_names_are_checked(db, demo):
    with pytest.raises(InvalidInput):
        create_token(official("Lund"), "   ")
    with pytest.raises(InvalidInput):
        create_token(official("Lund"), "x" * 121)
    for number in range(MAX_ACTIVE_TOKENS):
        create_token(official("Lund"), f"Nyckel {number}")
    with pytest.raises(InvalidInput):
        create_token(official("Lund"), "En för mycket")


# --- tokens: the profile page -----------------------------------------------------------------


def test_profile_creates_token_shows_it_once_and_revokes(app, db, demo):
    client = app.test_client()
    login(client, "tjansteman.lund@example.se")
    assert "API-nycklar" in client.get("/profile").get_data(as_text=True)
    created = client.post("/profile/tokens", data={"name": "Diariet"})
    assert created.status_code == 200
    assert created.headers["Cache-Control"] == "no-store"
    page = created.get_data(as_text=True)
    token = db.session.scalars(select(ApiToken)).one()
    plaintext = page.split('id="new-api-token" type="text" value="', 1)[1].split('"', 1)[0]
    assert hashlib.sha256(plaintext.encode()).hexdigest() == token.token_hash
    assert plaintext not in created.headers.get("Set-Cookie", "")  # never through a cookie
    assert plaintext not in client.get("/profile").get_data(as_text=True)  # once only
    auth = {"Authorization": f"Bearer {plaintext}"}
    assert client.get(f"{API}/me", headers=auth).status_code == 200

    revoked = client.post(f"/profile/tokens/{token.id}/revoke")
    assert revoked.status_code == 302
    db.session.expire_all()
    assert token.revoked_at is not None
    assert "Återkallad" in client.get("/profile").get_data(as_text=True)
    error_of(client.get(f"{API}/me", headers=auth), 401)


def test_profile_token_errors(app, db, demo):
    client = app.test_client()
    login(client, "tjansteman.lund@example.se")
    response = client.post("/profile/tokens", data={"name": " "})
    assert response.status_code == 400
    assert "Ge nyckeln ett namn" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(ApiToken.id))) == 0
    token, _plaintext = create_token(official("Malmö"), "Malmös")
    db.session.commit()
    assert client.post(f"/profile/tokens/{token.id}/revoke").status_code == 403
    assert client.post("/profile/tokens/99999999999999999999/revoke").status_code == 404
    db.session.expire_all()
    assert token.revoked_at is None


def test_token_forms_need_csrf_but_the_api_does_not(app, db, in_review, monkeypatch):
    headers = bearer(official("Lund"))
    client = app.test_client()
    login(client, "tjansteman.lund@example.se")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert client.post("/profile/tokens", data={"name": "Utan CSRF"}).status_code == 400
    response = client.post(f"{API}/responses/{in_review.id}/positions", headers=headers,
                           json={"version_number": 1, "decision": "approve"})
    assert response.status_code == 201


# --- authentication ---------------------------------------------------------------------------


def test_the_api_needs_a_valid_bearer_token(app, client, db, demo):
    lund = official("Lund")
    token, plaintext = create_token(lund, "Diariet")
    db.session.commit()
    for headers in [{}, {"Authorization": plaintext}, {"Authorization": f"Basic {plaintext}"},
                    {"Authorization": "Bearer"}, {"Authorization": "Bearer ytt_fel"},
                    {"Authorization": f"Bearer {token.token_hash}"}]:
        response = client.get(f"{API}/me", headers=headers)
        assert error_of(response, 401)["code"] == "Unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    good = {"Authorization": f"Bearer {plaintext}"}
    assert client.get(f"{API}/me", headers=good).status_code == 200
    lund.is_active_account = False
    db.session.commit()
    error_of(client.get(f"{API}/me", headers=good), 401)


def test_a_session_cookie_does_not_open_the_api(app, db, demo):
    client = app.test_client()
    login(client, "koordinator@example.se")
    assert client.get("/").status_code == 200
    error_of(client.get(f"{API}/me"), 401)
    error_of(client.post(f"{API}/responses/{demo.id}/comments", json={}), 401)


def test_api_use_is_recorded_on_the_token_and_never_cached(client, db, demo):
    token, plaintext = create_token(official("Lund"), "Diariet")
    db.session.commit()
    response = client.get(f"{API}/me", headers={"Authorization": f"Bearer {plaintext}"})
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    db.session.expire_all()
    assert token.last_used_at is not None


def test_openapi_document_is_public(client, db):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"] == "3.1.0"
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert "/responses/{response_id}/export.docx" in spec["paths"]


# --- every endpoint ---------------------------------------------------------------------------


def test_me_cooperations_and_consultations(client, db, demo):
    headers = bearer(official("Lund"))
    me = client.get(f"{API}/me", headers=headers).get_json()
    assert me["municipality"]["name"] == "Lund"
    assert me["roles"] == [{"cooperation": {"id": demo.cooperation_id, "name": "MalmöLundregionen"},
                            "role": "official"}]
    cooperations = client.get(f"{API}/cooperations", headers=headers).get_json()
    assert cooperations["total"] == 1
    cooperation = cooperations["items"][0]
    assert cooperation["chair_municipality"]["name"] == "Malmö"
    assert cooperation["municipalities"][0]["name"] == "Malmö"  # the chair first
    assert len(cooperation["municipalities"]) == 11
    consultations = client.get(f"{API}/cooperations/{demo.cooperation_id}/consultations",
                               headers=headers).get_json()
    assert consultations["total"] == 1
    assert consultations["items"][0]["reference_number"] == "I2026/01234"
    assert consultations["items"][0]["responses"] == [
        {"id": demo.id, "title": demo.title, "stage": "draft"}]


def test_responses_list_and_stage_filter(client, db, in_review):
    headers = bearer(official("Lund"))
    listed = client.get(f"{API}/responses", headers=headers).get_json()
    assert listed["total"] == 1 and listed["limit"] == 50 and listed["offset"] == 0
    item = listed["items"][0]
    assert item["stage"] == "review" and item["stage_label"] == "Förankring"
    assert item["deadline"] == (local_today() + timedelta(days=30)).isoformat()
    assert item["days_left"] == 30
    assert client.get(f"{API}/responses?stage=review", headers=headers).get_json()["total"] == 1
    assert client.get(f"{API}/responses?stage=signed", headers=headers).get_json()["total"] == 0
    error_of(client.get(f"{API}/responses?stage=klar", headers=headers), 422)


def test_response_detail_says_what_is_missing(client, db, in_review):
    responses.invite(in_review, coordinator(), [municipality("Höör").id])
    db.session.commit()
    headers = bearer(official("Lund"))
    client.post(f"{API}/responses/{in_review.id}/positions", headers=headers,
                json={"version_number": 1, "decision": "approve"})
    detail = client.get(f"{API}/responses/{in_review.id}", headers=headers).get_json()
    assert detail["stage"] == "review" and detail["latest_version_number"] == 1
    assert detail["consultation"]["sender"] == "Infrastrukturdepartementet"
    by_name = {p["municipality"]["name"]: p for p in detail["participants"]}
    assert by_name["Lund"]["status"] == "joined" and by_name["Lund"]["position"] == "approve"
    assert by_name["Höör"]["status"] == "invited" and by_name["Höör"]["position"] is None
    assert detail["consensus"]["reached"] is False
    assert detail["consensus"]["approved"] == ["Lund"]
    assert detail["consensus"]["not_answered"] == ["Eslöv", "Malmö"]
    assert detail["missing"] == ("Version 1 saknar samsyn: 2 kommuner har inte tagit ställning "
                                 "(Eslöv, Malmö).")
    assert detail["missing_signatures"] == []


def test_versions_and_one_version(client, db, in_review):
    headers = bearer(official("Lund"))
    versions = client.get(f"{API}/responses/{in_review.id}/versions", headers=headers).get_json()
    assert versions["total"] == 1
    assert versions["items"][0]["number"] == 1
    assert versions["items"][0]["published_by"]["name"] == "Karin Koordinator"
    version = client.get(f"{API}/responses/{in_review.id}/versions/1", headers=headers).get_json()
    assert [s["heading"] for s in version["sections"]] == [
        "Sammanfattning", "Bakgrund", "Synpunkter på förslaget", "Avslutning"]
    assert "**tillstyrker**" in version["sections"][0]["body"]
    assert "<strong>tillstyrker</strong>" in version["sections"][0]["body_html"]
    error_of(client.get(f"{API}/responses/{in_review.id}/versions/2", headers=headers), 404)


def test_comments_post_list_and_filter(client, db, in_review):
    section = drafting.working_sections(in_review)[0]
    lund, malmo = bearer(official("Lund")), bearer(official("Malmö"))
    created = client.post(f"{API}/responses/{in_review.id}/comments", headers=lund, json={
        "section_id": section.id, "body": "Skriv *tydligare*.", "exact": "tillstyrker",
        "suggested_text": "stöder"})
    assert created.status_code == 201, created.get_data(as_text=True)
    thread = created.get_json()
    assert thread["anchor"]["state"] == "anchored" and thread["anchor"]["exact"] == "tillstyrker"
    assert thread["suggestion"] == {"text": "stöder", "state": "open"}
    assert thread["municipality"]["name"] == "Lund" and thread["version_number"] == 1
    assert thread["body_html"] == "<p>Skriv <em>tydligare</em>.</p>" and thread["replies"] == []
    client.post(f"{API}/responses/{in_review.id}/comments", headers=malmo,
                json={"section_id": section.id, "body": "Bra."})
    parent = db.session.get(Comment, thread["id"])
    from drafting.services.comments import reply, set_resolved

    reply(parent, official("Malmö"), "Håller med.")
    set_resolved(db.session.get(Comment, thread["id"] + 1), official("Malmö"), True)
    db.session.commit()

    url = f"{API}/responses/{in_review.id}/comments"
    listed = client.get(url, headers=lund).get_json()
    assert listed["total"] == 2
    assert [r["body"] for r in listed["items"][0]["replies"]] == ["Håller med."]
    assert client.get(f"{url}?state=open", headers=lund).get_json()["total"] == 1
    resolved = client.get(f"{url}?state=resolved", headers=lund).get_json()
    assert [t["municipality"]["name"] for t in resolved["items"]] == ["Malmö"]
    assert resolved["items"][0]["state"] == "resolved"
    lund_id = municipality("Lund").id
    by_lund = client.get(f"{url}?municipality_id={lund_id}", headers=lund).get_json()
    assert [t["id"] for t in by_lund["items"]] == [thread["id"]]
    error_of(client.get(f"{url}?state=closed", headers=lund), 422)
    error_of(client.get(f"{url}?municipality_id=abc", headers=lund), 422)


def test_comment_errors_come_from_the_service(client, db, in_review):
    section = drafting.working_sections(in_review)[0]
    headers = bearer(official("Lund"))
    url = f"{API}/responses/{in_review.id}/comments"
    missing_quote = client.post(url, headers=headers, json={
        "section_id": section.id, "body": "Hm", "exact": "finns inte i texten"})
    assert error_of(missing_quote, 400)["code"] == "InvalidInput"
    blank = client.post(url, headers=headers, json={"section_id": section.id, "body": "  "})
    assert error_of(blank, 400)["message"] == "Skriv en kommentar."
    error_of(client.post(url, headers=headers, json={"section_id": 99999, "body": "Hej"}), 404)
    assert db.session.scalar(select(func.count(Comment.id))) == 0


def test_positions_signoffs_audit_and_export_through_the_whole_path(client, db, in_review):
    url = f"{API}/responses/{in_review.id}"
    for name in TRIO:
        recorded = client.post(f"{url}/positions", headers=bearer(official(name)),
                               json={"version_number": 1, "decision": "approve"})
        assert recorded.status_code == 201, recorded.get_data(as_text=True)
        assert recorded.get_json()["municipality"]["name"] == name
    headers = bearer(coordinator())
    detail = client.get(url, headers=headers).get_json()
    assert detail["stage"] == "consensus" and detail["consensus_version_number"] == 1
    assert detail["missing_signatures"] == sorted(TRIO)
    assert detail["missing"] == ("Samsyn om version 1. Underskrift saknas från: "
                                 "Eslöv, Lund, Malmö.")

    positions = client.get(f"{url}/positions", headers=headers).get_json()
    assert positions["total"] == 3 and len(positions["current"]) == 3
    assert all(p["is_current"] and p["version_number"] == 1 for p in positions["current"])

    for name in TRIO:
        signed = client.post(f"{url}/signoffs", headers=bearer(director(name)), json={
            "version_number": 1, "deciding_body": "Kommunstyrelsen",
            "decision_date": local_today().isoformat(), "signatory_name": f"Direktör {name}",
            "signatory_title": "Kommundirektör", "minutes_paragraph": "KS § 12"})
        assert signed.status_code == 201, signed.get_data(as_text=True)
        assert signed.get_json()["municipality"]["name"] == name
    detail = client.get(url, headers=headers).get_json()
    assert detail["stage"] == "signed" and detail["missing_signatures"] == []
    assert detail["missing"] == "Alla har skrivit under. Yttrandet är klart att skickas."
    assert all(p["signed"] for p in detail["participants"])
    signoffs = client.get(f"{url}/signoffs", headers=headers).get_json()
    assert signoffs["total"] == 3 and signoffs["items"][0]["minutes_paragraph"] == "KS § 12"

    download = client.get(f"{url}/export.docx", headers=headers)
    assert download.status_code == 200
    assert download.mimetype.startswith("application/vnd.openxmlformats")
    assert download.data[:2] == b"PK"
    assert "filename*=UTF-8''" in download.headers["Content-Disposition"]

    audit = client.get(f"{url}/audit?limit=200", headers=headers).get_json()
    actions = [e["action"] for e in audit["items"]]
    assert actions.count("position_recorded") == 3 and actions.count("signed_off") == 3
    assert actions[-1] == "exported" and audit["items"][-1]["details"] == {"via": "api"}
    page = client.get(f"{url}/audit?limit=2&offset=1", headers=headers).get_json()
    assert page["total"] == audit["total"] and [e["id"] for e in page["items"]] == [
        e["id"] for e in audit["items"][1:3]]



def test_service_errors_keep_their_status_and_code(client, db, in_review):
    url = f"{API}/responses/{in_review.id}"
    lund = bearer(official("Lund"))
    objection = client.post(f"{url}/positions", headers=lund,
                            json={"version_number": 1, "decision": "object", "note": "  "})
    assert error_of(objection, 400) == {"status": 400, "code": "InvalidInput",
                                        "message": "En invändning behöver ett skäl."}
    stale = client.post(f"{url}/positions", headers=lund,
                        json={"version_number": 2, "decision": "approve"})
    assert error_of(stale, 409)["code"] == "Conflict"
    early = client.post(f"{url}/signoffs", headers=bearer(director("Lund")), json={
        "version_number": 1, "deciding_body": "Kommunstyrelsen",
        "decision_date": local_today().isoformat(),
        "signatory_name": "D", "signatory_title": "Kommundirektör"})
    assert error_of(early, 409)["code"] == "Conflict"
    assert db.session.scalar(select(func.count(Position.id))) == 0
    assert db.session.scalar(select(func.count(SignOff.id))) == 0


# --- permissions: the same layer as the pages -------------------------------------------------


def test_a_position_is_always_for_the_token_owners_municipality(client, db, in_review):
    url = f"{API}/responses/{in_review.id}/positions"
    lund = bearer(official("Lund"))
    smuggled = client.post(url, headers=lund, json={
        "version_number": 1, "decision": "object", "note": "Nej", "municipality_id":
        municipality("Malmö").id})
    assert error_of(smuggled, 422)["code"] == "InvalidRequest"
    recorded = client.post(url, headers=lund, json={"version_number": 1, "decision": "approve"})
    assert recorded.get_json()["municipality"]["name"] == "Lund"
    assert db.session.scalars(select(Position)).one().municipality_id == municipality("Lund").id
    for user in (coordinator(), director("Malmö"), official("Höör")):  # Höör was never invited
        denied = client.post(url, headers=bearer(user), json={"version_number": 1,
                                                              "decision": "approve"})
        assert error_of(denied, 403)["code"] == "NotAllowed"


def test_directors_sign_only_for_their_own_municipality(client, db, in_review):
    url = f"{API}/responses/{in_review.id}"
    for name in TRIO:
        client.post(f"{url}/positions", headers=bearer(official(name)),
                    json={"version_number": 1, "decision": "approve"})
    body = {"version_number": 1, "deciding_body": "Kommunstyrelsen",
            "decision_date": local_today().isoformat(), "signatory_name": "Direktör",
            "signatory_title": "Kommundirektör"}
    smuggled = client.post(f"{url}/signoffs", headers=bearer(director("Lund")),
                           json=body | {"municipality_id": municipality("Malmö").id})
    error_of(smuggled, 422)
    for user in (official("Lund"), coordinator(), director("Höör")):
        error_of(client.post(f"{url}/signoffs", headers=bearer(user), json=body), 403)
    signed = client.post(f"{url}/signoffs", headers=bearer(director("Lund")), json=body)
    assert signed.get_json()["municipality"]["name"] == "Lund"
    again = client.post(f"{url}/signoffs", headers=bearer(director("Lund")), json=body)
    assert error_of(again, 409)["message"] == "Lund har redan skrivit under version 1."
    future = body | {"decision_date": (local_today() + timedelta(days=1)).isoformat()}
    error_of(client.post(f"{url}/signoffs", headers=bearer(director("Malmö")), json=future), 400)


Call = tuple[str, str, dict | None]


def every_response_endpoint(response_id: int, section_id: int) -> list[Call]:
    url = f"{API}/responses/{response_id}"
    return [
        ("GET", url, None), ("GET", f"{url}/versions", None), ("GET", f"{url}/versions/1", None),
        ("GET", f"{url}/comments", None), ("GET", f"{url}/positions", None),
        ("GET", f"{url}/signoffs", None), ("GET", f"{url}/audit", None),
        ("GET", f"{url}/export.docx", None),
        ("POST", f"{url}/comments", {"section_id": section_id, "body": "Hej"}),
        ("POST", f"{url}/positions", {"version_number": 1, "decision": "approve"}),
        ("POST", f"{url}/signoffs", {"version_number": 1, "deciding_body": "Kommunstyrelsen",
                                     "decision_date": "2024-01-02", "signatory_name": "N",
                                     "signatory_title": "T"}),
    ]


def test_an_outsider_gets_404_for_every_response_endpoint(client, db, in_review, outsider):
    headers = bearer(outsider)
    section = drafting.working_sections(in_review)[0]
    before = db.session.scalar(select(func.count(AuditEvent.id)))
    for method, url, body in every_response_endpoint(in_review.id, section.id):
        response = client.open(url, method=method, headers=headers, json=body)
        assert error_of(response, 404)["code"] == "NotFound", (method, url)
    error_of(client.get(f"{API}/cooperations/{in_review.cooperation_id}/consultations",
                        headers=headers), 404)
    assert client.get(f"{API}/responses", headers=headers).get_json()["total"] == 0
    assert [c["name"] for c in client.get(f"{API}/cooperations", headers=headers).get_json()[
        "items"]] == ["Skåne Nordost"]
    assert db.session.scalar(select(func.count(AuditEvent.id))) == before


def test_guessed_ids_are_404(client, db, in_review):
    headers = bearer(coordinator())
    for response_id in (in_review.id + 1, 99999, 2**31 - 1, 2**31, 2**63, 10**30):
        for method, url, body in every_response_endpoint(response_id, 1):
            error_of(client.open(url, method=method, headers=headers, json=body), 404)
    for url in [f"{API}/responses/-1", f"{API}/responses/0", f"{API}/responses/abc",
                f"{API}/responses/{in_review.id}/versions/0",
                f"{API}/responses/{in_review.id}/versions/{2**40}",
                f"{API}/cooperations/{2**40}/consultations", f"{API}/cooperations/0/consultations",
                f"{API}/nothing-here"]:
        error_of(client.get(url, headers=headers), 404)


# --- hostile input ----------------------------------------------------------------------------


def test_hostile_bodies_get_4xx_json_with_the_stable_shape(client, db, in_review):
    section = drafting.working_sections(in_review)[0]
    headers = bearer(official("Lund"))
    comments = f"{API}/responses/{in_review.id}/comments"
    positions = f"{API}/responses/{in_review.id}/positions"
    signoffs = f"{API}/responses/{in_review.id}/signoffs"

    def post(url, raw, content_type="application/json"):
        return client.post(url, headers=headers, data=raw, content_type=content_type)

    error_of(post(positions, "version_number=1&decision=approve",
                  "application/x-www-form-urlencoded"), 415)
    error_of(client.post(positions, headers=headers), 415)
    for raw in ["", "{", "[1, 2", "{'a': 1}", b"\xff\xfe\x00", "NaN", '{"version_number": NaN}',
                "[" * 100_000 + "]" * 100_000]:
        assert error_of(post(positions, raw), 400)["code"] == "MalformedBody", raw[:20]
    for raw in ["[]", '[{"version_number": 1, "decision": "approve"}]', "null", "1", '"text"',
                "true"]:
        message = error_of(post(positions, raw), 400)["message"]
        assert message == "Kroppen måste vara ett JSON-objekt."

    good_position = {"version_number": 1, "decision": "approve"}
    for bad in [{}, {"decision": "approve"}, {"version_number": 1},
                good_position | {"version_number": "1"}, good_position | {"version_number": 1.0},
                good_position | {"version_number": True}, good_position | {"version_number": None},
                good_position | {"version_number": -1}, good_position | {"version_number": 0},
                good_position | {"version_number": 2**31},
                good_position | {"version_number": 2**64},
                good_position | {"decision": "maybe"}, good_position | {"decision": ["approve"]},
                good_position | {"note": 5}, good_position | {"note": "x" * 5001},
                good_position | {"extra": 1}]:
        assert error_of(client.post(positions, headers=headers, json=bad), 422)["code"] == \
            "InvalidRequest", bad

    good_comment = {"section_id": section.id, "body": "Hej"}
    for bad in [good_comment | {"section_id": 10**20}, good_comment | {"section_id": "1"},
                good_comment | {"body": "x" * 20_001}, good_comment | {"body": None},
                good_comment | {"prefix": "x" * 201}, good_comment | {"suffix": ["a"]},
                good_comment | {"suggested_text": 1}, good_comment | {"exact": "x" * 20_001}]:
        error_of(client.post(comments, headers=headers, json=bad), 422)

    # Signing is the director's, once there is consensus: an official is refused before the
    # body is looked at; the director's malformed bodies are told what is wrong.
    from drafting.models import Decision
    from drafting.services import review

    for name in TRIO:
        review.record_position(in_review, official(name), 1, Decision.APPROVE)
    _db.session.commit()
    director_headers = bearer(director("Lund"))
    good_signoff = {"version_number": 1, "deciding_body": "Kommunstyrelsen",
                    "decision_date": "2024-01-02", "signatory_name": "N", "signatory_title": "T"}
    for bad_date in ["2024-13-01", "20240102", "2024-1-2", "2024-01-02T00:00", "02/01/2024",
                     "0000-01-01", "", 20240102, None]:
        response = client.post(signoffs, headers=director_headers,
                               json=good_signoff | {"decision_date": bad_date})
        assert "ÅÅÅÅ-MM-DD" in error_of(response, 422)["message"]
    for bad in [good_signoff | {"deciding_body": "x" * 201},
                good_signoff | {"signatory_name": "x" * 161},
                good_signoff | {"minutes_paragraph": "x" * 101},
                {k: v for k, v in good_signoff.items() if k != "signatory_title"}]:
        error_of(client.post(signoffs, headers=director_headers, json=bad), 422)
    for bad in [{}, good_signoff | {"signatory_name": "x" * 161}, "{"]:
        response = (client.post(signoffs, headers=headers, data=bad, content_type="application/json")
                    if isinstance(bad, str) else client.post(signoffs, headers=headers, json=bad))
        assert error_of(response, 403)["code"] == "NotAllowed"

    huge = b'{"note": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    assert error_of(post(positions, huge), 413)["code"] == "RequestEntityTooLarge"
    assert db.session.scalar(select(func.count(Position.id))) == len(TRIO)  # the approvals above
    assert db.session.scalar(select(func.count(SignOff.id))) == 0
    assert db.session.scalar(select(func.count(Comment.id))) == 0


def test_a_repeated_key_is_refused_at_every_level(client, db, in_review):
    section = drafting.working_sections(in_review)[0]
    headers = bearer(official("Lund"))
    url = f"{API}/responses/{in_review.id}"
    bodies = [
        (f"{url}/positions", '{"version_number": 1, "decision": "approve", "decision": "object"}',
         "decision"),
        (f"{url}/positions", '{"version_number": 1, "version_number": 1, "decision": "approve"}',
         "version_number"),
        (f"{url}/comments", '{"section_id": SID, "body": "Hej", "exact": {"a": 1, "a": 2}}', "a"),
        (f"{url}/comments", '{"section_id": SID, "body": "Hej", "prefix": [{"b": 1, "b": 1}]}',
         "b"),
    ]
    for target, raw, key in bodies:
        raw = raw.replace("SID", str(section.id))
        response = client.post(target, headers=headers, data=raw, content_type="application/json")
        assert error_of(response, 400) == {
            "status": 400, "code": "MalformedBody",
            "message": f"Fältet ”{key}” förekommer mer än en gång."}, raw
    assert db.session.scalar(select(func.count(Position.id))) == 0
    assert db.session.scalar(select(func.count(Comment.id))) == 0


def test_control_characters_in_api_text_are_dropped_as_in_forms(client, db, in_review):
    section = drafting.working_sections(in_review)[0]
    url = f"{API}/responses/{in_review.id}"
    lund = bearer(official("Lund"))
    error_of(client.post(f"{url}/comments", headers=lund,
                         json={"section_id": section.id, "body": "\x00\x07"}), 400)
    quote = section.body.split()[0]
    suggestion = client.post(f"{url}/comments", headers=lund, json={
        "section_id": section.id, "body": "Byt\x1b ut", "exact": quote,
        "suggested_text": "Ny\x00 text\ud800\x0b"})
    assert suggestion.status_code == 201, suggestion.get_data(as_text=True)
    comment = db.session.scalars(select(Comment)).one()
    assert (comment.body, comment.suggested_text) == ("Byt ut", "Ny text")
    for name in TRIO:
        note = {"note": "Skäl\x00 med\x07 tecken\ud800"} if name == "Lund" else {}
        recorded = client.post(f"{url}/positions", headers=bearer(official(name)),
                               json={"version_number": 1, "decision": "approve_with_note"
                                     if note else "approve"} | note)
        assert recorded.status_code == 201, recorded.get_data(as_text=True)
    assert db.session.scalars(select(Position.note).where(Position.note != "")).one() == \
        "Skäl med tecken"
    signed = client.post(f"{url}/signoffs", headers=bearer(director("Lund")), json={
        "version_number": 1, "deciding_body": "Kommunstyrelsen",
        "decision_date": local_today().isoformat(), "signatory_name": "Anna\x1b Berg\x00",
        "signatory_title": "Kommun\x08direktör", "minutes_paragraph": "KS\x0c § 12"})
    assert signed.status_code == 201, signed.get_data(as_text=True)
    signoff = db.session.scalars(select(SignOff)).one()
    assert (signoff.signatory_name, signoff.signatory_title, signoff.minutes_paragraph) == \
        ("Anna Berg", "Kommundirektör", "KS § 12")
    # A name of nothing but control characters is empty: refused, not stored as "".
    nameless = client.post(f"{url}/signoffs", headers=bearer(director("Malmö")), json={
        "version_number": 1, "deciding_body": "Kommunstyrelsen",
        "decision_date": local_today().isoformat(), "signatory_name": "\x01\x02",
        "signatory_title": "Kommundirektör"})
    assert error_of(nameless, 400)["message"] == "Fyll i undertecknarens namn."


OPTION_RE = re.compile(r'<option[^>]*value="([^"]*)"')


def test_deciding_body_is_one_list_for_page_api_and_document(app, client, db, in_review):
    url = f"{API}/responses/{in_review.id}"
    for name in TRIO:
        client.post(f"{url}/positions", headers=bearer(official(name)),
                    json={"version_number": 1, "decision": "approve"})
    listed = [body.value for body in DecidingBody]
    page = app.test_client()
    assert login(page, director("Lund").email).status_code == 302
    html = page.get(f"/responses/{in_review.id}").get_data(as_text=True)
    select_html = re.search(r'<select[^>]*name="deciding_body".*?</select>', html, re.S).group(0)
    schemas = openapi_document(app)["components"]["schemas"]
    documented = schemas["NewSignOff"]["properties"]["deciding_body"]["$ref"].rsplit("/", 1)[1]
    assert OPTION_RE.findall(select_html) == schemas[documented]["enum"] == listed
    body = {"version_number": 1, "decision_date": local_today().isoformat(),
            "signatory_name": "Direktör", "signatory_title": "Kommundirektör"}
    for bad in ["KS", "kommunstyrelsen", "Kommunstyrelsen ", "", None, ["Kommunstyrelsen"]]:
        refused = client.post(f"{url}/signoffs", headers=bearer(director("Lund")),
                              json=body | {"deciding_body": bad})
        message = error_of(refused, 422)["message"]
        assert message == "Fältet ”deciding_body”: måste vara ett av " + ", ".join(listed) + ".", bad
    refused = page.post(f"/responses/{in_review.id}/sign-off",
                        data=body | {"deciding_body": "KS", "version_number": "1"})
    assert refused.status_code == 400
    assert db.session.scalar(select(func.count(SignOff.id))) == 0
    for name, deciding_body in zip(TRIO, listed, strict=False):
        signed = client.post(f"{url}/signoffs", headers=bearer(director(name)),
                             json=body | {"deciding_body": deciding_body})
        assert signed.get_json()["deciding_body"] == deciding_body


def test_paging_parameters_are_checked(client, db, in_review):
    headers = bearer(official("Lund"))
    url = f"{API}/responses/{in_review.id}/audit"
    total = client.get(url, headers=headers).get_json()["total"]
    assert total > 3
    assert len(client.get(f"{url}?limit=2", headers=headers).get_json()["items"]) == 2
    assert client.get(f"{url}?offset={total}", headers=headers).get_json()["items"] == []
    assert client.get(f"{url}?offset=2147483647", headers=headers).get_json()["items"] == []
    for query in ["limit=0", "limit=201", "limit=abc", "limit=-1", "limit=1.5", "limit=%20 5",
                  "limit=١", "offset=-1", "offset=2147483648", "offset=99999999999999999999"]:
        error = error_of(client.get(f"{url}?{query}", headers=headers), 422)
        assert error["code"] == "InvalidRequest" and "Parametern" in error["message"], query


def test_unknown_methods_and_paths_are_json(client, db, in_review):
    headers = bearer(official("Lund"))
    assert error_of(client.delete(f"{API}/responses/{in_review.id}", headers=headers),
                    405)["code"] == "MethodNotAllowed"
    assert error_of(client.get(f"{API}/v2", headers=headers), 404)["code"] == "NotFound"


def test_a_frozen_response_refuses_comments(client, db, in_review):
    for name in TRIO:
        client.post(f"{API}/responses/{in_review.id}/positions", headers=bearer(official(name)),
                    json={"version_number": 1, "decision": "approve"})
    db.session.expire_all()
    assert in_review.stage == Stage.CONSENSUS
    from drafting.services import stages

    stages.withdraw(in_review, coordinator(), "Remissen drogs tillbaka")
    db.session.commit()
    section = drafting.working_sections(in_review)[0]
    refused = client.post(f"{API}/responses/{in_review.id}/comments", headers=bearer(
        official("Lund")), json={"section_id": section.id, "body": "Hej"})
    assert error_of(refused, 409)["code"] == "Conflict"
    detail = client.get(f"{API}/responses/{in_review.id}", headers=bearer(official("Lund")))
    assert detail.get_json()["missing"] == "Yttrandet är återkallat: Remissen drogs tillbaka"


def test_a_response_carries_our_reference_and_municipalities_their_formal_names(client, db,
                                                                                in_review):
    in_review.our_reference = "MLR 2026/17"
    municipality("Lund").formal_name = "Lunds kommun"
    municipality("Malmö").formal_name = ""
    db.session.commit()
    headers = bearer(official("Lund"))
    listed = client.get(f"{API}/responses", headers=headers).get_json()
    assert listed["items"][0]["our_reference"] == "MLR 2026/17"
    detail = client.get(f"{API}/responses/{in_review.id}", headers=headers).get_json()
    assert detail["our_reference"] == "MLR 2026/17"
    by_name = {p["municipality"]["name"]: p["municipality"] for p in detail["participants"]}
    assert by_name["Lund"]["formal_name"] == "Lunds kommun"
    assert by_name["Malmö"]["formal_name"] == "Malmö"  # the short name until one is set
    me = client.get(f"{API}/me", headers=headers).get_json()
    assert me["municipality"]["formal_name"] == "Lunds kommun"
    cooperation = client.get(f"{API}/cooperations", headers=headers).get_json()["items"][0]
    assert {m["name"]: m["formal_name"] for m in cooperation["municipalities"]}["Lund"] == \
        "Lunds kommun"
