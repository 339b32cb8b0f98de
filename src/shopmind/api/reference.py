"""The REST API reference as Markdown, rendered from the app's own OpenAPI schema (``docs/api.md``).

``python -m shopmind.api.reference > docs/api.md`` rewrites the page; ``tests/api/test_reference.py`` fails
when the page and the schema differ, so the reference cannot go stale.

>>> schema = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {"/ping": {"get": {
...     "tags": ["ops"], "summary": "Ping", "responses": {"200": {"description": "OK"}}}}}}
>>> print(render_markdown(schema).splitlines()[0])
# REST API reference
>>> describe_type({"anyOf": [{"type": "integer", "minimum": 1}, {"type": "null"}]})
'integer or null'
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from shopmind.api.app import create_app
from shopmind.pipeline.service import RecommendationService
from shopmind.schema import DEFAULT_EVENT_WEIGHTS, Event, EventType, Item, User
from shopmind.storage import open_store

COMMAND = "python -m shopmind.api.reference > docs/api.md"

#: Who may call what; the schema lists 401 / 403 on every route, so this is said once, in words.
SCOPES = """Keys and scopes (`shopmind keys create --scope read|write|admin`, stored hashed; or `shopmind serve
--api-keys` / `SHOPMIND_API_KEYS="k1:read,k2:write"`): `/health`, `/ready`, `/metrics`, `/docs` and
`/openapi.json` need no key; the other `GET` routes and the `POST`s that only read (`/recommendations`,
`/recommendations/session`, `/rerank`, `/audiences`, `/assist/answer`, `/assist/chat`, and the `/content/*`
routes, whose copy is kept only in the server's memory cache) need `read`, except the `GET`s that return what a
person wrote or did (`/users/{user_id}/export`, `/assist/questions` and its report) and the campaign delivery
list, which need `write`; every other `POST` and `DELETE` needs `write`, which includes `read` (`admin` includes
`write`). Each key has a rate limit (429 with `Retry-After`). With no key at all,
authentication is off and `shopmind serve` listens on loopback only (see docs/security.md)."""

#: Constraint keywords shown beside a type, with how each reads.
_CONSTRAINTS = (
    ("minimum", ">= {}"), ("exclusiveMinimum", "> {}"), ("maximum", "<= {}"), ("exclusiveMaximum", "< {}"),
    ("minLength", "length >= {}"), ("maxLength", "length <= {}"),
    ("minItems", "items >= {}"), ("maxItems", "items <= {}"), ("pattern", "matches `{}`"),
)


def openapi_schema() -> dict[str, Any]:
    """The OpenAPI schema of the app ``shopmind serve`` runs (built over an empty in-memory store: the
    routes and their schemas do not depend on the data or the model)."""
    store = open_store("sqlite:///:memory:")
    try:
        schema: dict[str, Any] = create_app(RecommendationService.open(store)).openapi()
    finally:
        store.close()
    return schema


def _number(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def describe_type(schema: Mapping[str, Any]) -> str:
    """A short reading of a JSON schema: ``integer``, ``array of string``, a link to a named schema, ..."""
    if "$ref" in schema:
        name = _ref_name(schema["$ref"])
        return f"[`{name}`](#{name.lower()})"
    if "anyOf" in schema:
        return " or ".join(describe_type(s) for s in schema["anyOf"])
    kind = schema.get("type", "any")
    if "format" in schema:
        kind = f"{kind} ({schema['format']})"
    if kind == "array":
        return f"array of {describe_type(schema.get('items', {}))}"
    if "enum" in schema:
        return f"{kind}: one of " + ", ".join(f"`{v}`" for v in schema["enum"])
    return str(kind)


def _constraints(schema: Mapping[str, Any]) -> list[str]:
    out = [template.format(_number(schema[key])) for key, template in _CONSTRAINTS if key in schema]
    for option in schema.get("anyOf", ()):
        out += _constraints(option)
    if schema.get("type") == "array":
        out += [f"each {c}" for c in _constraints(schema.get("items", {}))]
    return out


def _explain(description: str, schema: Mapping[str, Any]) -> str:
    """A description followed by the schema's constraints in brackets."""
    limits = _constraints(schema)
    return " ".join([description, f"({', '.join(limits)})" if limits else ""]).strip()


def _cell(text: Any) -> str:
    """One Markdown table cell: on one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _default(schema: Mapping[str, Any]) -> str:
    if "default" not in schema:
        return ""
    return f"`{json.dumps(schema['default'], ensure_ascii=False, separators=(', ', ': '))}`"


def _table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    yield "| " + " | ".join(header) + " |"
    yield "|" + "---|" * len(header)
    for row in rows:
        yield "| " + " | ".join(_cell(c) for c in row) + " |"


def _body_type(content: Mapping[str, Any]) -> str:
    parts = []
    for media, spec in content.items():
        schema = spec.get("schema", {})
        parts.append(f"{describe_type(schema) if schema else 'any'} ({media})")
    return "; ".join(parts)


def _operations(schema: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    for path, methods in schema.get("paths", {}).items():
        for method, op in methods.items():
            yield method.upper(), path, op


def _common_responses(schema: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Responses (status and description) that every operation documents alike."""
    ops = [op for _, _, op in _operations(schema)]
    if not ops:
        return {}
    first = ops[0].get("responses", {})
    return {code: spec for code, spec in first.items() if not code.startswith("2")
            and all(op.get("responses", {}).get(code, {}).get("description") == spec.get("description")
                    for op in ops)}


def _operation(method: str, path: str, op: Mapping[str, Any], common: Mapping[str, Any]) -> Iterator[str]:
    yield f"### `{method} {path}`"
    yield ""
    if op.get("summary"):
        yield f"**{op['summary']}.** " + " ".join(op.get("description", "").split())
        yield ""
    params = op.get("parameters", [])
    if params:
        rows = []
        for p in params:
            s = p.get("schema", {})
            rows.append((f"`{p['name']}`", p.get("in", ""), describe_type(s), "yes" if p.get("required") else "",
                         _default(s), _explain(p.get("description", ""), s)))
        yield from _table(("parameter", "in", "type", "required", "default", "description"), rows)
        yield ""
    body = op.get("requestBody")
    if body:
        required = " (required)" if body.get("required") else ""
        yield f"Request body{required}: {_body_type(body.get('content', {}))}."
        yield ""
    responses = [(f"`{code}`", spec.get("description", ""), _body_type(spec.get("content", {})))
                 for code, spec in op.get("responses", {}).items() if code not in common]
    yield from _table(("status", "meaning", "body"), responses)
    yield ""


def _component(name: str, schema: Mapping[str, Any], *, closed_note: bool = True) -> Iterator[str]:
    yield f"### {name}"
    yield ""
    if schema.get("description"):
        yield " ".join(schema["description"].replace("``", "`").split())
        yield ""
    props = schema.get("properties", {})
    if not props:
        yield f"Type: {describe_type(schema)}."
        yield ""
        return
    required = set(schema.get("required", ()))
    rows = [(f"`{field}`", describe_type(spec), "yes" if field in required else "", _default(spec),
             _explain(spec.get("description", ""), spec))
            for field, spec in props.items()]
    yield from _table(("field", "type", "required", "default", "description"), rows)
    if closed_note and schema.get("additionalProperties") is False:
        yield ""
        yield "Other fields are rejected (422)."
    yield ""


def record_schemas() -> dict[str, dict[str, Any]]:
    """JSON schemas of the records that ``POST /items``, ``/users`` and ``/events`` carry (and files import)."""
    return {model.__name__: model.model_json_schema() for model in (Item, User, Event)}


def _records(records: Mapping[str, Mapping[str, Any]]) -> Iterator[str]:
    yield "## Records"
    yield ""
    yield ("The rows of `POST /items`, `POST /users` and `POST /events` (and of imported files) are these "
           "records. Event `type` is one of " + ", ".join(f"`{t.value}`" for t in EventType)
           + " (common synonyms such as `pv`, `cart` and `buy` are mapped); the default weight of each type "
           "in training views, popularity and trending: "
           + ", ".join(f"{t} {_number(w)}" for t, w in DEFAULT_EVENT_WEIGHTS.items()) + ". Over the API an "
           "event's `timestamp` defaults to the time the batch arrives, and unknown fields of a row are ignored "
           "and listed in the answer's `ignored_fields`.")
    yield ""
    for name, spec in records.items():
        yield from _component(name, spec, closed_note=False)


def render_markdown(schema: Mapping[str, Any], records: Mapping[str, Mapping[str, Any]] | None = None) -> str:
    """The reference page: an index of the endpoints, each endpoint by tag, every named schema, then the
    ``records`` (name -> JSON schema) that the batch writes carry."""
    info = schema.get("info", {})
    common = _common_responses(schema)
    lines = [
        "# REST API reference",
        "",
        f"<!-- Generated from the OpenAPI schema by `{COMMAND}`; tests/api/test_reference.py fails when this "
        "page is stale. Do not edit by hand. -->",
        "",
        f"{info.get('title', '')} {info.get('version', '')}, OpenAPI {schema.get('openapi', '')}. A running "
        "server (`shopmind serve`) serves the same schema at `/openapi.json` and interactive docs at `/docs`.",
        "",
        *info.get("description", "").splitlines(),
        "",
        *SCOPES.splitlines(),
        "",
    ]
    if common:
        lines += ["Every endpoint may also answer:", ""]
        lines += _table(("status", "meaning", "body"), [(f"`{code}`", spec.get("description", ""),
                                                         _body_type(spec.get("content", {})))
                                                        for code, spec in common.items()])
        lines.append("")
    groups: dict[str, list[tuple[str, str, Mapping[str, Any]]]] = {}
    for method, path, op in _operations(schema):
        groups.setdefault((op.get("tags") or ["other"])[0], []).append((method, path, op))
    lines += ["## Endpoints", ""]
    lines += _table(("method", "path", "summary", "group"),
                    [(method, f"`{path}`", op.get("summary", ""), tag)
                     for tag, ops in groups.items() for method, path, op in ops])
    lines.append("")
    for tag, ops in groups.items():
        lines += [f"## {tag.capitalize()}", ""]
        for method, path, op in ops:
            lines += _operation(method, path, op, common)
    components = schema.get("components", {}).get("schemas", {})
    if components:
        lines += ["## Schemas", ""]
        for name, spec in components.items():
            lines += _component(name, spec)
    if records:
        lines += _records(records)
    return "\n".join(lines).rstrip("\n") + "\n"


def reference() -> str:
    """``docs/api.md`` as the code stands: the app's OpenAPI schema and the record schemas, rendered."""
    return render_markdown(openapi_schema(), record_schemas())


def main() -> None:
    """Print the reference (``python -m shopmind.api.reference > docs/api.md``)."""
    sys.stdout.write(reference())


if __name__ == "__main__":
    main()
