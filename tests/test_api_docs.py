"""The API documentation page: rendered on the server from whatever /api/v1/openapi.json returns."""

from __future__ import annotations

import re
from html import unescape

from drafting.views.api_docs import slug

METHODS = ("get", "put", "post", "delete", "patch")


def text_of(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", html))


def test_every_operation_and_schema_of_the_document_is_on_the_page(client, db):
    document = client.get("/api/v1/openapi.json").get_json()
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    text = text_of(html)
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                operation = item[method]
                assert f'id="op-{slug(operation["operationId"])}"' in html, (method, path)
                assert operation["summary"] in text, (method, path)
                for parameter in operation.get("parameters", []):
                    assert parameter["name"] in text
                for code in operation["responses"]:
                    assert f"<code>{code}</code>" in html, (method, path, code)
    for name, schema in document["components"]["schemas"].items():
        assert f'id="schema-{slug(name)}"' in html, name
        for field in schema.get("properties", {}):
            assert f"<code>{field}</code>" in html, (name, field)
    assert "vad som helst" not in text  # every type the document uses is named
    # Every link to a schema lands on one.
    for target in set(re.findall(r'href="#(schema-[^"]+)"', html)):
        assert f'id="{target}"' in html, target


def test_the_page_needs_nothing_from_elsewhere(client, db):
    html = client.get("/api/v1/docs").get_data(as_text=True)
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "<script>" not in html  # no inline script: the page works without JavaScript


def test_the_page_follows_the_document_whatever_it_becomes(app, client, db, monkeypatch):
    # A generated document may use OpenAPI 3.1 forms: anyOf with null, type lists, $ref'd
    # parameters and responses, and operations without tags.
    document = {
        "openapi": "3.1.0",
        "info": {"title": "Genererat API", "version": "2.0", "description": "Med **fetstil**."},
        "paths": {
            "/things/{thing_id}": {
                "parameters": [{"$ref": "#/components/parameters/ThingId"}],
                "get": {"operationId": "getThing", "summary": "One thing.",
                        "responses": {"200": {"description": "The thing.", "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
                            "404": {"$ref": "#/components/responses/NotFound"}}},
            },
        },
        "components": {
            "parameters": {"ThingId": {"name": "thing_id", "in": "path", "required": True,
                                       "schema": {"type": "integer"}}},
            "responses": {"NotFound": {"description": "No such thing here."}},
            "schemas": {"Thing": {"type": "object", "required": ["id"], "properties": {
                "id": {"type": "integer"},
                "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "description": "A note."},
                "parent": {"anyOf": [{"$ref": "#/components/schemas/Thing"}, {"type": "null"}]},
                "tags": {"type": ["array", "null"], "items": {"type": "string", "maxLength": 9}},
                "kind": {"enum": ["a", "b"]},
            }}},
        },
    }
    monkeypatch.setitem(app.view_functions, "api.openapi", lambda: document)
    html = client.get("/api/v1/docs").get_data(as_text=True)
    text = text_of(html)
    assert "Genererat API" in text and "<strong>fetstil</strong>" in html
    assert "thing_id" in text and "No such thing here." in text
    assert 'href="#schema-Thing"' in html and 'id="schema-Thing"' in html
    assert "string eller null" in text and "lista med string eller null" in text
    assert '"a"' in text and "A note." in text
    assert "Thing eller null" in text and "vad som helst" not in text
