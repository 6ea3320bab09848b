"""Integers from outside (query string, form, JSON body, URL) are bounded: too large, negative or
not ASCII digits gives a 4xx, never a 500, on both databases.

Generated from what exists: every route of the URL map is asked once, and the request records
which query and form parameters the view reads. Each one is then sent hostile numbers, unless
it is declared text below. The API's JSON integers come from its OpenAPI document.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from flask import Request
from werkzeug.datastructures import ImmutableMultiDict

from drafting.services.tokens import create_token
from drafting.views.api_spec import openapi_document
from tests import test_route_matrix
from tests.conftest import user_by_email
from tests.test_route_matrix import PEOPLE, build, login_as

world = test_route_matrix.world  # the fixture: a response in review, a comment, another cooperation

HOSTILE = ["99999999999999999999", str(2**31), "-1", "-99999999999999999999", "١٢"]
HOSTILE_JSON = [10**20, 2**31, -1, -(10**20), 1.5, True, "12"]

# Parameters that are text, not numbers; any other parameter a view reads is taken for an integer.
TEXT_PARAMETERS = {
    "next", "layout", "comments", "state", "direction", "resolved", "accept", "preview", "save",
    "remove", "email", "password", "current_password", "new_password", "confirm", "name",
    "heading", "body", "exact", "prefix", "suffix", "suggested_text", "is_suggestion", "reply",
    "replaced_text", "text_id",
    "decision", "note", "reason", "answer", "change_note", "deciding_body", "decision_date",
    "minutes_paragraph", "signatory_name", "signatory_title", "sent_on", "sender",
    "reference_number", "consultation_title", "received_on", "deadline", "url", "focus_area",
    "title", "role", "locale", "document", "template", "csrf_token", "stage", "probe",
    "our_reference", "formal_name", "payload", "mode", "apply", "action", "q", "kind", "sep",
    "director_may_decide", "meeting_body", "meets_on", "home_round_due", "comments_due",
    "positions_due", "local_reference", "local_considerations",
}
# Makes each form valid apart from its integer, so the integer is what the view must refuse.
VALID_FIELDS = {
    "heading": "Rubrik", "body": "Text", "direction": "up", "decision": "approve",
    "deciding_body": "Kommunstyrelsen", "decision_date": "2026-01-15", "signatory_name": "Namn",
    "signatory_title": "Titel", "name": "Namn", "email": "ny@example.se", "role": "official",
    "password": "ett-langt-losenord",
}


class Recording(ImmutableMultiDict):
    """Query or form data that notes every name a view asks for, present or not."""

    source = "args"
    asked: set[tuple[str, str]] = set()

    def __getitem__(self, key):
        Recording.asked.add((self.source, key))
        return super().__getitem__(key)

    def get(self, key, default=None, type=None):  # noqa: A002 - werkzeug's signature
        Recording.asked.add((self.source, key))
        return super().get(key, default, type)

    def getlist(self, key, type=None):  # noqa: A002
        Recording.asked.add((self.source, key))
        return super().getlist(key, type)

    def __contains__(self, key):
        Recording.asked.add((self.source, key))
        return super().__contains__(key)


class FormRecording(Recording):
    source = "form"


class RecordingRequest(Request):
    parameter_storage_class = Recording

    def _load_form_data(self) -> None:
        super()._load_form_data()
        self.__dict__["form"] = FormRecording(self.__dict__["form"])


def asked_for(client, method: str, url: str, **kwargs) -> set[tuple[str, str]]:
    Recording.asked = set()
    # A form that is not empty, or Flask-WTF does not hand it to the form's fields at all.
    client.open(url, method=method, data={"probe": "1"} if method == "POST" else None, **kwargs)
    return {(source, name) for source, name in Recording.asked
            if name.rsplit("-", 1)[-1] not in TEXT_PARAMETERS}  # "new-heading": a form's prefix


def page_targets(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("static", "auth.logout"):  # logout would end the client's session
            continue
        for method in sorted(rule.methods & {"GET", "POST"}):
            yield rule, method


def refused(status: int) -> bool:
    return 400 <= status < 500


@pytest.mark.parametrize("who", ["coordinator", "official-joined", "director-joined"])
def test_hostile_integers_in_query_strings_and_forms_are_refused(app, db, world, monkeypatch, who):
    client = login_as(app, who)
    _, token = create_token(user_by_email(PEOPLE[who]), "heltal")
    db.session.commit()
    api = {"Authorization": f"Bearer {token}"}
    monkeypatch.setattr(app, "request_class", RecordingRequest)
    tried, problems = 0, []
    for rule, method in page_targets(app):
        url = build(rule, world)
        headers = api if rule.rule.startswith("/api/") else {}
        if method == "POST" and rule.rule.startswith("/api/"):
            continue  # JSON bodies: the next test
        for source, name in sorted(asked_for(client, method, url, headers=headers)):
            for value in HOSTILE:
                Recording.asked = set()
                if source == "args":
                    result = client.open(f"{url}?{urlencode({name: value})}", method=method,
                                         data=VALID_FIELDS if method == "POST" else None,
                                         headers=headers)
                else:
                    result = client.post(url, data={**VALID_FIELDS, name: value}, headers=headers)
                if result.status_code >= 500 or (
                        (source, name) in Recording.asked and not refused(result.status_code)):
                    problems.append(f"{method} {url} {source} {name}={value} -> {result.status_code}")
                tried += (source, name) in Recording.asked  # read this time, not skipped by an early exit
    assert tried, "no view reads an integer parameter: the recording does not work"
    assert not problems, "\n".join(problems)


def json_integer_fields(spec: dict, operation: dict) -> list[str]:
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return [name for name, field in schema["properties"].items() if field.get("type") == "integer"]


VALID_JSON = {"body": "Via API", "decision": "approve", "deciding_body": "Kommunstyrelsen",
              "decision_date": "2026-01-15", "signatory_name": "Namn", "signatory_title": "Titel"}


@pytest.mark.parametrize("who", ["coordinator", "official-joined"])
def test_hostile_integers_in_json_bodies_are_refused(app, db, world, who):
    _, token = create_token(user_by_email(PEOPLE[who]), "heltal")
    db.session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    tried, problems = 0, []
    spec = openapi_document(app)
    for path, item in spec["paths"].items():
        if "post" not in item:
            continue
        url = "/api/v1" + path.replace("{response_id}", str(world["response_id"]))
        for name in json_integer_fields(spec, item["post"]):
            for value in HOSTILE_JSON:
                body = {key: value for key, value in VALID_JSON.items()
                        if key in _properties(spec, item["post"])}
                result = client.post(url, json={**body, name: value}, headers=headers)
                tried += 1
                if not refused(result.status_code):
                    problems.append(f"POST {url} {name}={value!r} -> {result.status_code}")
    assert tried
    assert not problems, "\n".join(problems)


def _properties(spec: dict, operation: dict) -> dict:
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return spec["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]


@pytest.mark.parametrize("path", ["/responses/{big}", "/responses/{id}/versions/{big}",
                                  "/responses/{id}/export/versions/{big}/review-copy.docx",
                                  "/api/v1/responses/{big}", "/cooperations/{big}/report"])
@pytest.mark.parametrize("big", ["99999999999999999999", str(2**31), "-1"])
def test_hostile_integers_in_urls_are_not_found(app, db, world, path, big):
    client = login_as(app, "coordinator")
    _, token = create_token(user_by_email(PEOPLE["coordinator"]), "heltal")
    db.session.commit()
    url = path.format(id=world["response_id"], big=big)
    assert client.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 404, url


def test_compare_with_a_huge_version_number_is_a_swedish_400(app, db, world):
    client = login_as(app, "coordinator")
    response = client.get(f"/responses/{world['response_id']}/compare?from=99999999999999999999&to=1")
    assert response.status_code == 400
    assert "måste vara ett heltal från 1 till 2147483647" in response.get_data(as_text=True)
