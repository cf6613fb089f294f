"""The one place where errors become HTTP responses.

Every error answers ``{"error": {"code", "message_ja", "message_en"}}`` with
the status of our exception class (``http_status``); FastAPI's validation
errors and unknown routes get the same shape; anything unexpected is a 500
without a traceback (the traceback goes to the server log)."""
from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from kb.core.errors import PfkbError
from kb.core.vocab import load_json

log = logging.getLogger("pfkb.api")

_GENERIC = {
    400: ("リクエストが正しくありません", "bad request"),
    401: ("認証が必要です", "authentication required"),
    403: ("この操作は許可されていません", "forbidden"),
    404: ("見つかりません", "not found"),
    405: ("この操作（HTTP メソッド）には対応していません", "method not allowed"),
    413: ("ファイルが大きすぎます", "payload too large"),
    415: ("対応していない形式です", "unsupported media type"),
    422: ("入力が正しくありません", "invalid input"),
    500: ("サーバー内部でエラーが発生しました", "internal server error"),
    502: ("外部サービスでエラーが発生しました", "upstream service failed"),
    503: ("準備ができていません", "service unavailable"),
}


def error_code(exc: BaseException) -> str:
    """NotFoundError → not_found, IngestFailed → ingest_failed (or the code the
    exception carries, as HTTPProblem does)."""
    if getattr(exc, "code", None):
        return exc.code  # type: ignore[attr-defined]
    name = type(exc).__name__
    name = name[:-5] if name.endswith("Error") and name != "Error" else name
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def error_body(status: int, code: str, ja: str, en: str) -> dict[str, Any]:
    g_ja, g_en = _GENERIC.get(status, _GENERIC[400] if status < 500 else _GENERIC[500])
    return {"error": {"code": code, "message_ja": ja or g_ja, "message_en": en or g_en}}


def error_response(status: int, code: str, ja: str, en: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(status, code, ja, en), status_code=status, headers=headers)


class HTTPProblem(PfkbError):
    """An HTTP-only refusal (auth, size, media type) raised by a route: its
    status and code are given where it is raised."""

    def __init__(self, status: int, code: str, ja: str, en: str, headers: dict[str, str] | None = None):
        super().__init__(ja, en)
        self.http_status, self.code, self.headers = status, code, headers


# What each pydantic error type means, in Japanese: kb/core/vocab/api_messages.json.
_MESSAGES = load_json("api_messages")
_VALIDATION_JA: dict[str, str] = _MESSAGES["validation"]


def _loc(loc: Any) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    return ".".join(parts) or "body"


def validation_messages(errors: list[dict[str, Any]]) -> tuple[str, str]:
    ja, en = [], []
    for e in errors[:5]:
        where = _loc(e.get("loc", ()))
        ctx = e.get("ctx") or {}
        limit = next((f"（{k}={v}）" for k, v in ctx.items() if k in ("ge", "le", "gt", "lt", "max_length", "min_length")), "")
        ja.append(f"{where}: {_VALIDATION_JA.get(e.get('type', ''), _MESSAGES['validation_default'])}{limit}")
        en.append(f"{where}: {e.get('msg', 'invalid value')}")
    return "入力が正しくありません — " + "、".join(ja), "invalid request — " + "; ".join(en)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(PfkbError)
    async def _pfkb(request: Request, exc: PfkbError) -> JSONResponse:
        return error_response(exc.http_status, error_code(exc), exc.message_ja, exc.message_en,
                              getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        ja, en = validation_messages(list(exc.errors()))
        return error_response(422, "invalid_request", ja, en)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        g_ja, g_en = _GENERIC.get(exc.status_code, ("エラー", "error"))
        if exc.status_code == 404:
            g_ja = f"{request.url.path} は見つかりません"
            g_en = f"no such path {request.url.path}"
        return error_response(exc.status_code, "not_found" if exc.status_code == 404 else f"http_{exc.status_code}",
                              g_ja, g_en, getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(500, "internal", "", "")
