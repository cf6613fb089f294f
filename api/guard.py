"""The edge every request passes first (a plain ASGI middleware):

- **Body limits before reading.** A declared ``Content-Length`` over the limit
  is refused at once; a body without one (chunked) is counted as it streams
  and cut off at the limit — nothing larger is read into memory or spooled
  to disk. Uploads may carry ``max_upload_mb`` (plus the multipart framing);
  every other request ``max_json_kb``.
- **Text that is not text.** A JSON body whose strings hold lone surrogates
  (``"\\ud800"``, which no UTF-8 encoder accepts) is answered 422 with a message
  instead of failing deep inside.
- **Security headers on every response** (JSON, /docs, files), the same the page has.
"""
from __future__ import annotations

import json
import re
from typing import Any, Awaitable, Callable

from api.errors import HTTPProblem, error_body
from kb.core.settings import Settings

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

FORM_OVERHEAD = 64 * 1024  # multipart boundaries and headers around an uploaded file
UPLOAD_PATH = "/api/documents"
SURROGATE = re.compile("[\ud800-\udfff]")

SECURITY_HEADERS = {
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"no-referrer",
    b"x-frame-options": b"DENY",
    b"cross-origin-opener-policy": b"same-origin",
}
# JSON and files need no script at all; /docs is a plain page with our own style only
API_CSP = b"default-src 'none'; frame-ancestors 'none'"
DOCS_CSP = b"default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"


class TooLarge(HTTPProblem):
    """Raised from ``receive`` when a streamed body passes the limit; the route
    reading it stops there and the error handlers answer 413."""


def has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return bool(SURROGATE.search(value))
    if isinstance(value, dict):
        return any(has_lone_surrogate(k) or has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_lone_surrogate(v) for v in value)
    return False


class Guard:
    def __init__(self, app: Callable, settings: Settings):
        self.app, self.settings = app, settings

    def limit_for(self, scope: Scope) -> int:
        if scope.get("method") == "POST" and scope.get("path", "").rstrip("/") == UPLOAD_PATH:
            return self.settings.max_upload_mb * 1024 * 1024 + FORM_OVERHEAD
        return self.settings.max_json_kb * 1024

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = self._with_headers(scope, send)
        limit = self.limit_for(scope)
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > limit:
            await self._refuse(send, 413, self._too_large(scope, limit))
            return
        is_json = headers.get(b"content-type", b"").split(b";")[0].strip().lower() == b"application/json"
        if is_json and scope.get("method") in ("POST", "PUT", "PATCH"):
            # small by the limit: read it whole, check it, hand it on
            body = b""
            while True:
                message = await receive()
                body += message.get("body", b"")
                if len(body) > limit:
                    await self._refuse(send, 413, self._too_large(scope, limit))
                    return
                if not message.get("more_body"):
                    break
            try:
                body.decode("utf-8")
            except UnicodeDecodeError:  # FastAPI would answer a bare 400
                await self._refuse(send, 422, ("invalid_text", "リクエスト本文が UTF-8 の JSON ではありません。"
                                               "文字コードを UTF-8 にして送ってください",
                                               "the request body is not UTF-8 encoded JSON; send UTF-8"))
                return
            try:
                data = json.loads(body) if body.strip() else None
            except ValueError:
                data = None  # FastAPI answers malformed JSON itself (422)
            if has_lone_surrogate(data):
                await self._refuse(send, 422, ("invalid_text", "文字列に不正な文字（対になっていないサロゲート）が含まれています。"
                                               "文字コードを確認し、UTF-8 の文字だけで送ってください",
                                               "a string holds a lone surrogate (not valid Unicode text); send UTF-8 text"))
                return
            sent = False

            async def replay() -> Message:
                nonlocal sent
                if sent:
                    return await receive()
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await self.app(scope, replay, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                code, ja, en = self._too_large(scope, limit)
                raise TooLarge(413, code, ja, en)
            return message
        try:
            await self.app(scope, counted, send)
        except TooLarge:
            await self._refuse(send, 413, self._too_large(scope, limit))

    def _too_large(self, scope: Scope, limit: int) -> tuple[str, str, str]:
        if limit > self.settings.max_json_kb * 1024:
            mb = self.settings.max_upload_mb
            return "too_large", f"ファイルが大きすぎます（上限 {mb} MB）", f"file too large: the limit is {mb} MB"
        kb = self.settings.max_json_kb
        return "too_large", f"リクエストが大きすぎます（上限 {kb} KB）", f"request body too large: the limit is {kb} KB"

    async def _refuse(self, send: Send, status: int, problem: tuple[str, str, str]) -> None:
        code, ja, en = problem
        body = json.dumps(error_body(status, code, ja, en), ensure_ascii=False).encode()
        try:
            await send({"type": "http.response.start", "status": status,
                        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                    (b"connection", b"close")]})
            await send({"type": "http.response.body", "body": body})
        except RuntimeError:  # the response had already started
            pass

    def _with_headers(self, scope: Scope, send: Send) -> Send:
        csp = DOCS_CSP if scope.get("path") in ("/docs", "/redoc") else API_CSP

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                have = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in SECURITY_HEADERS.items() if k not in have]
                if b"content-security-policy" not in have:
                    extra.append((b"content-security-policy", csp))
                message = {**message, "headers": list(message.get("headers", [])) + extra}
            await send(message)
        return wrapped
