"""The OpenAPI 3.0.3 document of /api/v1, written by hand next to the views it describes.

tests/test_api_schemathesis.py checks every operation's responses against it, so a change
to a serializer in views/api.py that is not made here too fails the tests.
"""

from __future__ import annotations

from typing import Any

from ..limits import MAX_ID
from ..models.deciding_bodies import DecidingBody

STAGES = ["draft", "review", "consensus", "signed", "sent", "withdrawn"]
DECISIONS = ["approve", "approve_with_note", "object"]
DECIDING_BODIES = [body.value for body in DecidingBody]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, Any], *, nullable: bool = False,
            optional: tuple[str, ...] = ()) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
        "additionalProperties": False,
    }
    if nullable:
        schema["nullable"] = True
    return schema


def _string(*, nullable: bool = False, fmt: str | None = None, **extra: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", **extra}
    if fmt:
        schema["format"] = fmt
    if nullable:
        schema["nullable"] = True
    return schema


def _integer(*, nullable: bool = False, **extra: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "integer", **extra}
    if nullable:
        schema["nullable"] = True
    return schema


def _enum(values: list[str], *, nullable: bool = False) -> dict[str, Any]:
    if nullable:
        # OpenAPI 3.0.3: a nullable enum must list null among its values.
        return {"type": "string", "enum": [*values, None], "nullable": True}
    return {"type": "string", "enum": values}


def _array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


def _page(item: str, **extra: dict[str, Any]) -> dict[str, Any]:
    return _object({
        **extra,
        "items": _array(_ref(item)),
        "total": _integer(minimum=0, description="Number of items without limit and offset."),
        "limit": _integer(minimum=1, maximum=200),
        "offset": _integer(minimum=0),
    })


_REF = _object({"id": _integer(), "name": _string()})
_NULLABLE_REF = _object({"id": _integer(), "name": _string()}, nullable=True)

_CONSULTATION_PROPERTIES = {
    "id": _integer(),
    "sender": _string(description="Who sent the remiss, e.g. Infrastrukturdepartementet."),
    "reference_number": _string(description="The sender's diarienummer."),
    "title": _string(),
    "received_on": _string(fmt="date", nullable=True),
    "deadline": _string(fmt="date", description="Sista svarsdag."),
    "url": _string(),
}

_RESPONSE_SUMMARY_PROPERTIES = {
    "id": _integer(),
    "title": _string(),
    "stage": _enum(STAGES),
    "stage_label": _string(description="The stage in the user's language."),
    "focus_area": _enum(["planning", "labour", "business", "other"]),
    "cooperation": _ref("Ref"),
    "consultation": _ref("Consultation"),
    "deadline": _string(fmt="date"),
    "days_left": _integer(description="Days until the deadline; negative when it has passed."),
    "created_at": _string(fmt="date-time"),
}

_COMMENT_BASE_PROPERTIES = {
    "id": _integer(),
    "author": _ref("Ref"),
    "municipality": _ref("NullableRef"),
    "body": _string(description="Markdown as written."),
    "body_html": _string(description="Sanitized HTML."),
    "created_at": _string(fmt="date-time"),
}

_SCHEMAS: dict[str, Any] = {
    "Error": _object({"error": _object({
        "status": _integer(minimum=400, maximum=599),
        "code": _string(description="Stable machine-readable code, e.g. NotFound, Conflict, "
                                    "InvalidRequest, NotAllowed, Unauthorized."),
        "message": _string(description="What went wrong, for people, in Swedish."),
    })}),
    "Ref": _REF,
    "NullableRef": _NULLABLE_REF,
    "Me": _object({
        "id": _integer(),
        "name": _string(),
        "email": _string(),
        "title": _string(),
        "municipality": _ref("NullableRef"),
        "is_system_admin": {"type": "boolean"},
        "roles": _array(_object({
            "cooperation": _ref("Ref"),
            "role": _enum(["coordinator", "official", "director", "admin"]),
        })),
    }),
    "Cooperation": _object({
        "id": _integer(),
        "name": _string(),
        "role": _enum(["coordinator", "official", "director", "admin"], nullable=True),
        "chair_municipality": _ref("NullableRef"),
        "municipalities": _array(_ref("Ref")),
    }),
    "Consultation": _object(_CONSULTATION_PROPERTIES),
    "ConsultationWithResponses": _object({
        **_CONSULTATION_PROPERTIES,
        "responses": _array(_object({
            "id": _integer(), "title": _string(), "stage": _enum(STAGES),
        })),
    }),
    "ResponseSummary": _object(_RESPONSE_SUMMARY_PROPERTIES),
    "Participant": _object({
        "municipality": _ref("Ref"),
        "status": _enum(["invited", "joined", "declined", "stepped_aside"]),
        "reason": _string(),
        "answered_at": _string(fmt="date-time", nullable=True),
        "position": _enum(DECISIONS, nullable=True),
        "signed": {"type": "boolean"},
    }),
    "ConsensusStatus": _object({
        "reached": {"type": "boolean"},
        "version_number": _integer(nullable=True),
        "approved": _array(_string()),
        "not_answered": _array(_string()),
        "objections": _array(_object({
            "municipality": _string(), "municipality_id": _integer(), "reason": _string(),
        })),
        "stale_approvals": _array(_object({
            "municipality": _string(),
            "version_number": _integer(description="The older version it approved."),
        })),
        "too_few_cosigners": {"type": "boolean"},
    }),
    "ResponseDetail": _object({
        **_RESPONSE_SUMMARY_PROPERTIES,
        "latest_version_number": _integer(nullable=True),
        "consensus_version_number": _integer(nullable=True),
        "consensus_at": _string(fmt="date-time", nullable=True),
        "signed_at": _string(fmt="date-time", nullable=True),
        "sent_on": _string(fmt="date", nullable=True),
        "withdrawn_reason": _string(),
        "participants": _array(_ref("Participant")),
        "consensus": _ref("ConsensusStatus"),
        "missing_signatures": _array(_string()),
        "missing": _string(description="What is still missing, in one sentence."),
    }),
    "Version": _object({
        "number": _integer(),
        "change_note": _string(),
        "published_at": _string(fmt="date-time"),
        "published_by": _ref("Ref"),
    }),
    "VersionDetail": _object({
        "number": _integer(),
        "change_note": _string(),
        "published_at": _string(fmt="date-time"),
        "published_by": _ref("Ref"),
        "sections": _array(_object({
            "section_id": _integer(),
            "sort_order": _integer(),
            "heading": _string(),
            "body": _string(description="Markdown."),
            "body_html": _string(description="Sanitized HTML."),
        })),
    }),
    "Reply": _object(_COMMENT_BASE_PROPERTIES),
    "CommentThread": _object({
        **_COMMENT_BASE_PROPERTIES,
        "section_id": _integer(nullable=True),
        "version_number": _integer(nullable=True,
                                   description="The version that was shown when commenting."),
        "anchor": _object({
            "state": _enum(["section", "anchored", "detached"]),
            "exact": _string(),
            "prefix": _string(),
            "suffix": _string(),
        }),
        "suggestion": _object({
            "text": _string(),
            "state": _enum(["open", "accepted", "declined"]),
        }, nullable=True),
        "state": _enum(["open", "resolved"]),
        "resolved_at": _string(fmt="date-time", nullable=True),
        "replies": _array(_ref("Reply")),
    }),
    "Position": _object({
        "id": _integer(),
        "version_number": _integer(),
        "municipality": _ref("Ref"),
        "user": _ref("Ref"),
        "decision": _enum(DECISIONS),
        "note": _string(),
        "is_current": {"type": "boolean"},
        "created_at": _string(fmt="date-time"),
    }),
    "SignOff": _object({
        "id": _integer(),
        "version_number": _integer(),
        "municipality": _ref("Ref"),
        "user": _ref("Ref"),
        # Not an enum: sign-offs made through the API before the list was enforced may differ.
        "deciding_body": _string(description="The deciding body's Swedish name."),
        "decision_date": _string(fmt="date"),
        "minutes_paragraph": _string(),
        "signatory_name": _string(),
        "signatory_title": _string(),
        "created_at": _string(fmt="date-time"),
    }),
    "AuditEvent": _object({
        "id": _integer(),
        "action": _string(),
        "created_at": _string(fmt="date-time"),
        "user": _ref("NullableRef"),
        "municipality": _ref("NullableRef"),
        "version_number": _integer(nullable=True),
        "summary": _string(),
        "details": {"type": "object", "additionalProperties": True},
    }),
    "CooperationPage": _page("Cooperation"),
    "ConsultationPage": _page("ConsultationWithResponses"),
    "ResponsePage": _page("ResponseSummary"),
    "VersionPage": _page("Version"),
    "CommentPage": _page("CommentThread"),
    "PositionPage": _page("Position", current=_array(_ref("Position"))),
    "SignOffPage": _page("SignOff"),
    "AuditPage": _page("AuditEvent"),
    "NewComment": _object({
        "section_id": _integer(minimum=1, maximum=MAX_ID),
        "body": _string(minLength=1, maxLength=20_000, description="Markdown."),
        "exact": _string(maxLength=20_000, description="The quoted passage, as shown."),
        "prefix": _string(maxLength=200, description="Text just before the passage."),
        "suffix": _string(maxLength=200, description="Text just after the passage."),
        "suggested_text": _string(maxLength=20_000, nullable=True,
                                  description="Replacement text for the quoted passage."),
    }, optional=("exact", "prefix", "suffix", "suggested_text")),
    "NewPosition": _object({
        "version_number": _integer(minimum=1, maximum=MAX_ID,
                                   description="Must be the latest version."),
        "decision": _enum(DECISIONS),
        "note": _string(maxLength=5000,
                        description="Required for object and approve_with_note."),
    }, optional=("note",)),
    "NewSignOff": _object({
        "version_number": _integer(minimum=1, maximum=MAX_ID,
                                   description="Must be the consensus version."),
        "deciding_body": _enum(DECIDING_BODIES) | {
            "description": "The body that decided for your municipality."},
        "decision_date": _string(fmt="date", description="YYYY-MM-DD, not in the future."),
        "signatory_name": _string(minLength=1, maxLength=160),
        "signatory_title": _string(minLength=1, maxLength=160),
        "minutes_paragraph": _string(maxLength=100, description="E.g. KS § 12."),
    }, optional=("minutes_paragraph",)),
}

_ERROR_DESCRIPTIONS = {
    "400": "The body is not a JSON object, names a field twice, or the service refused the input.",
    "401": "No valid API token in `Authorization: Bearer <token>`.",
    "403": "Your role or your municipality's participation does not allow this (checked "
           "before the body is read).",
    "404": "Not found, or not visible to you: ids reveal nothing.",
    "409": "The response's stage or version no longer allows this; reload and retry.",
    "413": "The body is larger than 1 MB.",
    "415": "The body is not sent as application/json.",
    "422": "A field or parameter does not validate.",
}


def _errors(*codes: str) -> dict[str, Any]:
    return {code: {"$ref": f"#/components/responses/E{code}"} for code in codes}


def _json(schema: str, description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": _ref(schema)}}}


def _path_id(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}


_PAGING = [
    {"name": "limit", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}},
    {"name": "offset", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ID, "default": 0}},
]
_RESPONSE_ID = _path_id("response_id", "The joint response.")


def _list(summary: str, page: str, *, tag: str, parameters: list[dict[str, Any]] | None = None,
          errors: tuple[str, ...] = ("401", "404", "422"), operation_id: str) -> dict[str, Any]:
    return {"get": {
        "tags": [tag], "summary": summary, "operationId": operation_id,
        "parameters": [*(parameters or []), *_PAGING],
        "responses": {"200": _json(page, "One page of items."), **_errors(*errors)},
    }}


def _create(summary: str, body: str, result: str, *, tag: str, operation_id: str,
            description: str = "") -> dict[str, Any]:
    return {
        "tags": [tag], "summary": summary, "description": description, "operationId": operation_id,
        "requestBody": {"required": True,
                        "content": {"application/json": {"schema": _ref(body)}}},
        "responses": {"201": _json(result, "Created."),
                      **_errors("400", "401", "403", "404", "409", "413", "415", "422")},
    }


OPENAPI_SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {
        "title": "Yttrande API",
        "version": "1.0.0",
        "description": (
            "Joint consultation responses (remissvar) of municipalities in a regional "
            "cooperation: read the responses, their versions, comments, positions, sign-offs "
            "and audit trail; comment, record your municipality's position, sign off; "
            "download the Word document.\n\n"
            "Authenticate with a personal API token from your profile page: "
            "`Authorization: Bearer ytt_…`. The token acts as you, with exactly your "
            "permissions. Responses you may not see answer 404.\n\n"
            "Every error has the shape `{\"error\": {\"status\", \"code\", \"message\"}}`; "
            "`message` is in Swedish. Lists take `limit` (1–200, default 50) and `offset`, "
            "and return `{\"items\", \"total\", \"limit\", \"offset\"}`. In text fields, "
            "control characters other than tab and line breaks are removed, as in the web forms; "
            "a body that names a field twice is refused."
        ),
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearerAuth": []}],
    "tags": [{"name": name} for name in
             ("people", "cooperations", "responses", "versions", "comments", "review", "audit",
              "export")],
    "paths": {
        "/me": {"get": {
            "tags": ["people"], "summary": "The token's owner and their roles.",
            "operationId": "getMe",
            "responses": {"200": _json("Me", "You."), **_errors("401")},
        }},
        "/cooperations": _list("Cooperations you belong to.", "CooperationPage",
                               tag="cooperations", errors=("401", "422"),
                               operation_id="listCooperations"),
        "/cooperations/{cooperation_id}/consultations": _list(
            "The remisser of a cooperation, by deadline.", "ConsultationPage",
            tag="cooperations", operation_id="listConsultations",
            parameters=[_path_id("cooperation_id", "The cooperation.")]),
        "/responses": _list(
            "Joint responses in your cooperations, newest first.", "ResponsePage",
            tag="responses", errors=("401", "422"), operation_id="listResponses",
            parameters=[{"name": "stage", "in": "query", "required": False,
                         "schema": _enum(STAGES)}]),
        "/responses/{response_id}": {"get": {
            "tags": ["responses"], "operationId": "getResponse",
            "summary": "A response: stage, deadline, participants, consensus and what is missing.",
            "parameters": [_RESPONSE_ID],
            "responses": {"200": _json("ResponseDetail", "The response."), **_errors("401", "404")},
        }},
        "/responses/{response_id}/versions": _list(
            "Published versions, oldest first.", "VersionPage", tag="versions",
            operation_id="listVersions", parameters=[_RESPONSE_ID]),
        "/responses/{response_id}/versions/{number}": {"get": {
            "tags": ["versions"], "operationId": "getVersion",
            "summary": "One published version with its sections.",
            "parameters": [_RESPONSE_ID, _path_id("number", "The version number.")],
            "responses": {"200": _json("VersionDetail", "The version."),
                          **_errors("401", "404")},
        }},
        "/responses/{response_id}/comments": {
            "get": _list(
                "Comment threads with their replies, oldest first.", "CommentPage",
                tag="comments", operation_id="listComments", parameters=[
                    _RESPONSE_ID,
                    {"name": "municipality_id", "in": "query", "required": False,
                     "description": "Only threads started by this municipality.",
                     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}},
                    {"name": "state", "in": "query", "required": False,
                     "schema": _enum(["open", "resolved"])},
                ])["get"],
            "post": _create(
                "Comment on a section, or on a quoted passage of it.", "NewComment",
                "CommentThread", tag="comments", operation_id="addComment",
                description="With `exact`, the passage must occur in the section's text as "
                            "shown (the latest version, else the draft). `suggested_text` "
                            "proposes a replacement for that passage."),
        },
        "/responses/{response_id}/positions": {
            "get": _list(
                "Positions: the current ones per version, and the whole history.",
                "PositionPage", tag="review", operation_id="listPositions",
                parameters=[_RESPONSE_ID])["get"],
            "post": _create(
                "Record your municipality's position on the latest version.", "NewPosition",
                "Position", tag="review", operation_id="recordPosition",
                description="Officials of a participating municipality, during review or "
                            "consensus. The position is always for your own municipality."),
        },
        "/responses/{response_id}/signoffs": {
            "get": _list("Sign-offs, in the order they were made.", "SignOffPage",
                         tag="review", operation_id="listSignOffs",
                         parameters=[_RESPONSE_ID])["get"],
            "post": _create(
                "Sign off the consensus version for your municipality.", "NewSignOff",
                "SignOff", tag="review", operation_id="signOff",
                description="Directors of a participating municipality, once consensus is "
                            "reached. Records the municipality's decision."),
        },
        "/responses/{response_id}/audit": _list(
            "The audit trail, oldest first.", "AuditPage", tag="audit",
            operation_id="listAuditEvents", parameters=[_RESPONSE_ID]),
        "/responses/{response_id}/export.docx": {"get": {
            "tags": ["export"], "operationId": "exportDocx",
            "summary": "The Word document: the signed text, or the latest version as a draft.",
            "parameters": [_RESPONSE_ID],
            "responses": {
                "200": {"description": "The .docx file.", "content": {
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {
                        "schema": {"type": "string", "format": "binary"}}}},
                **_errors("401", "403", "404"),
            },
        }},
    },
    "components": {
        "securitySchemes": {"bearerAuth": {
            "type": "http", "scheme": "bearer",
            "description": "A personal API token (ytt_…) from your profile page.",
        }},
        "schemas": _SCHEMAS,
        "responses": {
            f"E{code}": {"description": description,
                         "content": {"application/json": {"schema": _ref("Error")}}}
            for code, description in _ERROR_DESCRIPTIONS.items()
        },
    },
}
