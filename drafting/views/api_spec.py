"""The OpenAPI 3.1 document of /api/v1, generated: paths from the app's URL map, schemas from
drafting/api_schemas.py, and each operation's summary from the `operation` decorator on its view.

A route of the api blueprint without a description cannot be documented and makes the
document fail to build (tests/test_api_spec.py builds it); every path parameter is declared.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask
from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import GenerateJsonSchema, models_json_schema
from werkzeug.routing import IntegerConverter, Rule

from ..api_schemas import Error, Id
from ..limits import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

OPENAPI_VERSION = "3.1.0"
PREFIX = "/api/v1"
UNDOCUMENTED = {"api.openapi"}  # the document itself

View = TypeVar("View", bound=Callable[..., Any])


@dataclass(frozen=True)
class Operation:
    """What the document says about one view beyond its models."""

    operation_id: str
    tag: str
    summary: str
    result: type[BaseModel] | None  # None: a file, see media_type
    result_description: str
    description: str = ""
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    errors: tuple[str, ...] = ("401", "404")
    media_type: str = "application/json"

    @property
    def status(self) -> str:
        return "201" if self.body is not None else "200"


OPERATIONS: dict[Callable[..., Any], Operation] = {}

WRITE_ERRORS = ("400", "401", "403", "404", "409", "413", "415", "422")


def operation(**fields: Any) -> Callable[[View], View]:
    """Describe a view of the api blueprint for the document (put it under the route decorator)."""

    def register(view: View) -> View:
        OPERATIONS[view] = Operation(**fields)
        return view

    return register


PATH_PARAMETERS = {
    "response_id": "The joint response.",
    "cooperation_id": "The cooperation.",
    "number": "The version number.",
    "municipality_id": "A member municipality of the cooperation.",
}

ERROR_DESCRIPTIONS = {
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

TAGS = ("people", "cooperations", "responses", "versions", "comments", "home-round", "review", "audit",
        "export", "planning")

DESCRIPTION = (
    "Joint consultation responses (remissvar) of municipalities in a regional "
    "cooperation: read the responses, their versions, comments, positions, sign-offs "
    "and audit trail; comment, record your municipality's position, sign off; "
    "download the Word document.\n\n"
    "Authenticate with a personal API token from your profile page: "
    "`Authorization: Bearer ytt_…`. The token acts as you, with exactly your "
    "permissions. Responses you may not see answer 404.\n\n"
    "Every error has the shape `{\"error\": {\"status\", \"code\", \"message\"}}`; "
    f"`message` is in Swedish. Lists take `limit` (1–{MAX_PAGE_SIZE}, default "
    f"{DEFAULT_PAGE_SIZE}) and `offset`, and return `{{\"items\", \"total\", \"limit\", "
    "\"offset\"}`. In text fields, control characters other than tab and line breaks are "
    "removed, as in the web forms, before their length is checked; a body that names a "
    "field twice is refused."
)

REF_TEMPLATE = "#/components/schemas/{model}"


class _Schema(GenerateJsonSchema):
    # Field titles ("Version Number") repeat the names; models keep theirs.
    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF_TEMPLATE.format(model=model.__name__)}


def _json(model: type[BaseModel], description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": _ref(model)}}}


# <converter(args):name> or <name> in a Werkzeug rule.
_VARIABLE = re.compile(r"<(?:[^:<>]+:)?(\w+)>")


def _path(rule: Rule) -> str:
    return _VARIABLE.sub(r"{\1}", rule.rule.removeprefix(PREFIX))


def _path_parameter(rule: Rule, name: str) -> dict[str, Any]:
    if name not in PATH_PARAMETERS:
        raise LookupError(f"{rule.rule}: path parameter {name!r} has no description "
                          "in api_spec.PATH_PARAMETERS")
    if not isinstance(rule._converters[name], IntegerConverter):  # noqa: SLF001
        raise LookupError(f"{rule.rule}: path parameter {name!r} is not an integer")
    return {"name": name, "in": "path", "required": True,
            "description": PATH_PARAMETERS[name], "schema": TypeAdapter(Id).json_schema()}


def _query_parameters(model: type[BaseModel] | None) -> list[dict[str, Any]]:
    if model is None:
        return []
    schema = model.model_json_schema(schema_generator=_Schema)
    definitions = schema.get("$defs", {})
    parameters = []
    for name, field in schema["properties"].items():
        field = dict(field)
        description = field.pop("description", None)
        # A query parameter is absent or a value; "null" is not something it can be.
        options = [option for option in field.pop("anyOf", []) if option != {"type": "null"}]
        if len(options) == 1:
            field |= options[0]
        # Inline, so the parameter needs no component that only a body might bring.
        if "$ref" in field:
            field |= definitions[field.pop("$ref").rsplit("/", 1)[1]]
            field.pop("description", None)
            field.pop("title", None)
        if field.get("default", "") is None:
            del field["default"]
        parameter = {"name": name, "in": "query", "required": False, "schema": field}
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def _operation(rule: Rule, op: Operation) -> dict[str, Any]:
    described: dict[str, Any] = {"tags": [op.tag], "summary": op.summary,
                                 "operationId": op.operation_id}
    if op.description:
        described["description"] = op.description
    parameters = [_path_parameter(rule, name) for name in _VARIABLE.findall(rule.rule)]
    parameters += _query_parameters(op.query)
    if parameters:
        described["parameters"] = parameters
    if op.body is not None:
        described["requestBody"] = {"required": True,
                                    "content": {"application/json": {"schema": _ref(op.body)}}}
    if op.result is None:
        success = {"description": op.result_description, "content": {
            op.media_type: {"schema": {"type": "string", "format": "binary"}}}}
    else:
        success = _json(op.result, op.result_description)
    described["responses"] = {
        op.status: success,
        **{code: {"$ref": f"#/components/responses/E{code}"} for code in op.errors},
    }
    return described


def _components(operations: list[Operation]) -> dict[str, Any]:
    models: dict[type[BaseModel], str] = {Error: "serialization"}
    for op in operations:
        if op.body is not None:
            models[op.body] = "validation"
        if op.result is not None:
            models[op.result] = "serialization"
    _keys, schemas = models_json_schema(
        [(model, mode) for model, mode in models.items()],  # type: ignore[misc]
        ref_template=REF_TEMPLATE, schema_generator=_Schema)
    return schemas["$defs"]


def build_document(rules: Iterable[Rule],
                   view_functions: Mapping[str, Callable[..., Any]]) -> dict[str, Any]:
    """The OpenAPI document of every route of the api blueprint among `rules` (a URL map's)."""
    paths: dict[str, dict[str, Any]] = {}
    used: list[Operation] = []
    for rule in sorted(rules, key=lambda r: r.rule):
        if not rule.endpoint.startswith("api.") or rule.endpoint in UNDOCUMENTED:
            continue
        view = view_functions[rule.endpoint]
        op = OPERATIONS.get(view)
        if op is None:
            raise LookupError(f"{rule.rule} ({rule.endpoint}) has no @operation description")
        used.append(op)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(_path(rule), {})[method.lower()] = _operation(rule, op)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": "Yttrande API", "version": "1.0.0", "description": DESCRIPTION},
        "servers": [{"url": PREFIX}],
        "security": [{"bearerAuth": []}],
        "tags": [{"name": name} for name in TAGS],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearerAuth": {
                "type": "http", "scheme": "bearer",
                "description": "A personal API token (ytt_…) from your profile page.",
            }},
            "schemas": _components(used),
            "responses": {
                f"E{code}": {"description": description,
                             "content": {"application/json": {"schema": _ref(Error)}}}
                for code, description in ERROR_DESCRIPTIONS.items()
            },
        },
    }


def openapi_document(app: Flask) -> dict[str, Any]:
    """The document, built once per app (its URL map no longer changes once it serves)."""
    if "openapi_document" not in app.extensions:
        app.extensions["openapi_document"] = build_document(app.url_map.iter_rules(),
                                                            app.view_functions)
    return app.extensions["openapi_document"]
