"""The OpenAPI schema says what the service really answers: the error
responses of every operation (with the one error shape), the media types of
downloads, and the minimum lengths the library enforces."""
from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from kb.core.vocab import load_json

ERROR_SCHEMA = {
    "type": "object", "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message_ja", "message_en"], "properties": {
        "code": {"type": "string"}, "message_ja": {"type": "string"}, "message_en": {"type": "string"}}}},
}
# The description of each error status: kb/core/vocab/api_messages.json.
_MESSAGES = load_json("api_messages")
REASONS: dict[int, str] = {int(k): v for k, v in _MESSAGES["http_reasons"].items()}
DOWNLOADS = {"/api/export": ["text/markdown",
                             "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                             "application/vnd.openxmlformats-officedocument.presentationml.presentation"],
             "/api/charts/{filename}": ["image/svg+xml", "image/png"],
             "/api/sources/{document}/pages/{page}": ["image/png"]}
MIN_LENGTH = {"query": 1, "question": 1, "cities": 1}


def statuses(path: str, method: str) -> list[int]:
    out = [422]
    if method in ("post", "put", "patch"):
        out.append(413)
    if "{" in path or path in ("/api/roadmap", "/api/compare", "/api/export", "/api/cities", "/api/trials"):
        out.append(404)
    if path.startswith("/api/") and path not in ("/api/phases",):
        out.append(503)
    if path == "/api/documents" and method == "post":
        out += [401, 403, 404, 415]  # 404: `replace` names no document
    return sorted(set(out))


def complete(schema: dict[str, Any]) -> dict[str, Any]:
    schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for path, ops in schema.get("paths", {}).items():
        for method, op in ops.items():
            responses = op.setdefault("responses", {})
            for status in statuses(path, method):
                responses.setdefault(str(status), {"description": REASONS.get(status, _MESSAGES["http_reason_default"]),
                                                   "content": {"application/json": {"schema": ref}}})
            if str(422) in responses:  # FastAPI's own 422 says HTTPValidationError; ours is the one shape
                responses["422"] = {"description": REASONS[422], "content": {"application/json": {"schema": ref}}}
            if path in DOWNLOADS and "200" in responses:
                responses["200"]["content"] = {m: {"schema": {"type": "string", "format": "binary"}}
                                               for m in DOWNLOADS[path]}
    for model in schema["components"]["schemas"].values():
        for name, prop in (model.get("properties") or {}).items():
            if name in MIN_LENGTH and prop.get("type") == "string":
                prop.setdefault("minLength", MIN_LENGTH[name])
    return schema


def install_openapi(app: FastAPI) -> None:
    base = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(base())
        return app.openapi_schema
    app.openapi = openapi  # type: ignore[method-assign]
