"""A readable page of the API, rendered on the server from the OpenAPI document the API serves.

It reads whatever /api/v1/openapi.json answers (by calling that view), so it keeps up when the
document changes or comes to be generated. No JavaScript and nothing from another site: the page
is HTML from a template walking paths, operations, parameters, bodies, responses and schemas.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, current_app, render_template
from markupsafe import Markup, escape

from ..rendering import MarkdownRejected, render_markdown

bp = Blueprint("api_docs", __name__, url_prefix="/api/v1")

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
UNTAGGED = ""


def openapi_document() -> dict[str, Any]:
    """The document exactly as GET /api/v1/openapi.json returns it."""
    response = current_app.make_response(current_app.view_functions["api.openapi"]())
    document = response.get_json(silent=True)
    return document if isinstance(document, dict) else {}


def _pointer(document: dict[str, Any], ref: str) -> Any:
    """The part of the document a local $ref such as #/components/responses/E401 points at."""
    if not ref.startswith("#/"):
        return None
    node: Any = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _resolved(document: dict[str, Any], item: Any, depth: int = 0) -> dict[str, Any]:
    """A parameter, body or response with its $ref followed (schemas keep theirs: they link)."""
    if isinstance(item, dict) and "$ref" in item and depth < 10:
        target = _pointer(document, str(item["$ref"]))
        return _resolved(document, target, depth + 1) if target is not None else {}
    return item if isinstance(item, dict) else {}


def _operations(document: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    """The operations grouped by their first tag, in the order the document lists its tags."""
    order = [tag.get("name", "") for tag in document.get("tags", []) if isinstance(tag, dict)]
    groups: dict[str, list[dict[str, Any]]] = {}
    for path, item in (document.get("paths") or {}).items():
        item = _resolved(document, item)
        shared = [_resolved(document, p) for p in item.get("parameters", [])]
        for method in METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            own = [_resolved(document, p) for p in operation.get("parameters", [])]
            names = {(p.get("name"), p.get("in")) for p in own}
            parameters = [p for p in shared if (p.get("name"), p.get("in")) not in names] + own
            responses = {str(code): _resolved(document, response)
                         for code, response in (operation.get("responses") or {}).items()}
            tags = operation.get("tags") or [UNTAGGED]
            groups.setdefault(tags[0], []).append({
                "method": method.upper(), "path": path, "operation": operation,
                "anchor": slug(operation.get("operationId") or f"{method}-{path}"),
                "parameters": parameters,
                "body": _resolved(document, operation.get("requestBody")),
                "responses": dict(sorted(responses.items())),
            })
    ordered = [tag for tag in order if tag in groups] + [tag for tag in groups if tag not in order]
    return [(tag, groups[tag]) for tag in ordered]


def slug(text: str) -> str:
    """An id for an anchor: letters, digits and dashes."""
    return re.sub(r"[^A-Za-z0-9]+", "-", str(text)).strip("-") or "x"


def ref_name(ref: str) -> str:
    return str(ref).rsplit("/", 1)[-1]


def description(text: Any) -> Markup:
    """A description as OpenAPI writes them (Markdown), sanitized like every text in the app."""
    if not text:
        return Markup("")
    try:
        return Markup(render_markdown(str(text)))
    except MarkdownRejected:
        return Markup("<p>") + escape(str(text)) + Markup("</p>")


@bp.get("/docs")
def docs():
    document = openapi_document()
    components = document.get("components") or {}
    return render_template(
        "api/docs.html", doc=document, info=document.get("info") or {},
        groups=_operations(document), schemas=components.get("schemas") or {},
        security_schemes=components.get("securitySchemes") or {},
        tag_descriptions={tag.get("name"): tag.get("description")
                          for tag in document.get("tags", []) if isinstance(tag, dict)},
        description=description, slug=slug, ref_name=ref_name,
    )
