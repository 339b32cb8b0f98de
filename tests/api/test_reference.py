"""docs/api.md is the rendering of the app's OpenAPI schema, so the reference cannot drift from the routes."""

from __future__ import annotations

from pathlib import Path

from shopmind.api.reference import COMMAND, describe_type, openapi_schema, reference, render_markdown

DOCS_API = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def test_docs_api_md_is_the_rendered_schema() -> None:
    assert DOCS_API.read_text(encoding="utf-8") == reference(), (
        f"docs/api.md is stale: regenerate it with `{COMMAND}`")


def test_every_route_and_schema_is_in_the_reference() -> None:
    schema = openapi_schema()
    page = reference()
    for path, methods in schema["paths"].items():
        for method in methods:
            assert f"### `{method.upper()} {path}`" in page
    for name in schema["components"]["schemas"]:
        assert f"### {name}\n" in page
    for record in ("Item", "User", "Event"):
        assert f"### {record}\n" in page


def test_errors_common_to_every_route_are_listed_once() -> None:
    op = {"responses": {"200": {"description": "OK"}, "401": {"description": "Missing key"}}}
    other = {"responses": {"200": {"description": "OK"}, "401": {"description": "Missing key"},
                           "404": {"description": "Unknown id"}}}
    page = render_markdown({"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
                            "paths": {"/a": {"get": op}, "/b/{id}": {"get": other}}})
    assert page.count("Missing key") == 1
    assert "| `404` | Unknown id |" in page


def test_types_read_as_words_and_table_cells_escape_pipes() -> None:
    assert describe_type({"type": "array", "items": {"$ref": "#/components/schemas/PinIn"}}) == (
        "array of [`PinIn`](#pinin)")
    assert describe_type({"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]}) == (
        "string (date-time) or null")
    page = render_markdown({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {"/x": {"get": {
        "parameters": [{"name": "brand", "in": "query", "description": "'A|B'", "schema": {"type": "string"}}],
        "responses": {"200": {"description": "OK"}}}}}})
    assert "'A\\|B'" in page
