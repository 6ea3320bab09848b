"""The generated OpenAPI document: valid, complete for the URL map, and stating the code's rules."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate
from werkzeug.routing import Map, Rule

from drafting import api_schemas
from drafting.forms import SignOffForm
from drafting.limits import (
    DEFAULT_PAGE_SIZE,
    MAX_ANCHOR_CONTEXT_CHARS,
    MAX_COMMENT_CHARS,
    MAX_ID,
    MAX_MINUTES_CHARS,
    MAX_PAGE_SIZE,
    MAX_QUOTE_CHARS,
    MAX_SIGNATORY_CHARS,
)
from drafting.models import (
    AnchorState,
    Comment,
    Decision,
    FocusArea,
    ParticipationStatus,
    Role,
    SignOff,
    Stage,
    SuggestionState,
)
from drafting.models.deciding_bodies import DecidingBody
from drafting.models.drafting import ThreadState
from drafting.services.review import MAX_REASON_CHARS
from drafting.views.api_spec import build_document, openapi_document

VARIABLE = re.compile(r"<(?:[^:<>]+:)?(\w+)>")


def test_the_served_document_passes_the_openapi_validator(client, db):
    served = client.get("/api/v1/openapi.json").get_json()
    validate(served)  # raises on the first error
    assert served["openapi"].startswith("3.1")


def test_every_api_route_has_an_operation_with_all_its_path_parameters(app):
    paths = openapi_document(app)["paths"]
    routes = 0
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or rule.endpoint == "api.openapi":
            continue
        path = VARIABLE.sub(r"{\1}", rule.rule).removeprefix("/api/v1")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes += 1
            described = paths[path][method.lower()]
            declared = {p["name"] for p in described.get("parameters", []) if p["in"] == "path"}
            assert declared == set(rule.arguments), (method, path)
            assert described["summary"] and described["operationId"], (method, path)
    documented = sum(len(item) for item in paths.values())
    assert routes == documented > 10


def test_a_route_without_a_description_fails_the_document(app):
    # A rule of the api blueprint, as a new view in views/api.py without @operation would add.
    rules = Map([Rule("/api/v1/undescribed/<int:response_id>", endpoint="api.undescribed",
                      methods=["GET"])])
    views = dict(app.view_functions) | {"api.undescribed": lambda response_id: {}}
    build_document(app.url_map.iter_rules(), views)  # the app's own routes are all described
    with pytest.raises(LookupError, match="undescribed"):
        build_document([*app.url_map.iter_rules(), *rules.iter_rules()], views)


def _schema(document: dict, name: str) -> dict:
    return document["components"]["schemas"][name]


def _enum_of(document: dict, field: dict) -> list[str]:
    (option,) = [o for o in field.get("anyOf", [field]) if o != {"type": "null"}]
    if "$ref" in option:
        option = _schema(document, option["$ref"].rsplit("/", 1)[1])
    return option["enum"]


def test_enum_values_in_the_document_are_the_python_enums(app):
    document = openapi_document(app)
    expected = {
        ("NewPosition", "decision"): Decision,
        ("NewSignOff", "deciding_body"): DecidingBody,
        ("ResponseSummary", "stage"): Stage,
        ("ResponseSummary", "focus_area"): FocusArea,
        ("ResponseDetail", "stage"): Stage,
        ("Participant", "status"): ParticipationStatus,
        ("Participant", "position"): Decision,
        ("Cooperation", "role"): Role,
        ("RoleInCooperation", "role"): Role,
        ("Anchor", "state"): AnchorState,
        ("Suggestion", "state"): SuggestionState,
        ("CommentThread", "state"): ThreadState,
        ("Position", "decision"): Decision,
        ("ResponseRef", "stage"): Stage,
    }
    for (model, field), enum in expected.items():
        properties = _schema(document, model)["properties"]
        assert _enum_of(document, properties[field]) == [m.value for m in enum], (model, field)
    parameters = {(path, p["name"]): p["schema"] for path, item in document["paths"].items()
                  for p in item["get"].get("parameters", []) if "get" in item}
    assert _enum_of(document, parameters[("/responses", "stage")]) == [s.value for s in Stage]
    assert _enum_of(document, parameters[("/responses/{response_id}/comments", "state")]) == [
        s.value for s in ThreadState]


def test_limits_in_the_document_are_the_python_constants(app):
    document = openapi_document(app)

    def prop(model: str, field: str) -> dict:
        schema = _schema(document, model)["properties"][field]
        (option,) = [o for o in schema.get("anyOf", [schema]) if o != {"type": "null"}]
        return option

    assert prop("NewComment", "body")["maxLength"] == MAX_COMMENT_CHARS
    assert prop("NewComment", "suggested_text")["maxLength"] == MAX_COMMENT_CHARS
    assert prop("NewComment", "exact")["maxLength"] == MAX_QUOTE_CHARS
    assert prop("NewComment", "prefix")["maxLength"] == MAX_ANCHOR_CONTEXT_CHARS
    assert prop("NewComment", "suffix")["maxLength"] == MAX_ANCHOR_CONTEXT_CHARS
    assert prop("NewPosition", "note")["maxLength"] == MAX_REASON_CHARS
    assert prop("NewSignOff", "signatory_name")["maxLength"] == MAX_SIGNATORY_CHARS
    assert prop("NewSignOff", "signatory_title")["maxLength"] == MAX_SIGNATORY_CHARS
    assert prop("NewSignOff", "minutes_paragraph")["maxLength"] == MAX_MINUTES_CHARS
    for model in ("NewComment", "NewPosition", "NewSignOff"):
        schema = _schema(document, model)
        assert schema["additionalProperties"] is False
        for name, field in schema["properties"].items():
            if field.get("type") == "integer":
                assert (field["minimum"], field["maximum"]) == (1, MAX_ID), (model, name)
    for path, item in document["paths"].items():
        for method, described in item.items():
            for parameter in described.get("parameters", []):
                if parameter["in"] == "path":
                    assert parameter["schema"]["maximum"] == MAX_ID, (method, path)
                if parameter["name"] == "limit":
                    assert parameter["schema"]["maximum"] == MAX_PAGE_SIZE
                    assert parameter["schema"]["default"] == DEFAULT_PAGE_SIZE
    assert _schema(document, "CommentPage")["properties"]["limit"]["maximum"] == MAX_PAGE_SIZE


def test_the_forms_and_columns_hold_the_same_limits(app):
    assert SignOff.__table__.c.signatory_name.type.length == MAX_SIGNATORY_CHARS
    assert SignOff.__table__.c.minutes_paragraph.type.length == MAX_MINUTES_CHARS
    assert Comment.__table__.c.anchor_prefix.type.length == MAX_ANCHOR_CONTEXT_CHARS
    with app.test_request_context():
        form = SignOffForm(meta={"csrf": False})
        lengths = {name: max(v.max for v in getattr(form, name).validators if hasattr(v, "max"))
                   for name in ("signatory_name", "signatory_title", "minutes_paragraph")}
    assert lengths == {"signatory_name": MAX_SIGNATORY_CHARS,
                       "signatory_title": MAX_SIGNATORY_CHARS,
                       "minutes_paragraph": MAX_MINUTES_CHARS}


def test_error_messages_state_the_documented_rule():
    rules = api_schemas.field_rules(api_schemas.NewSignOff)
    assert list(rules) == list(api_schemas.NewSignOff.model_fields)
    assert rules["version_number"].maximum == MAX_ID
    assert rules["deciding_body"].choices == tuple(body.value for body in DecidingBody)
    assert rules["decision_date"].kind == "date"
    assert rules["minutes_paragraph"].max_length == MAX_MINUTES_CHARS
