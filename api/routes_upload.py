"""Uploading a document — PDF, DOCX, HTML or UTF-8 text — (admin token required) and
following its ingestion. The stored file keeps its real type: the extension comes from the
content (``ingest.read.sniff_format``), never from the name alone."""
from __future__ import annotations

import dataclasses
import hmac
import re
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.errors import HTTPProblem
from api.jobs import IngestJobs
from api.state import AppState, app_state
from ingest.read import sniff_format
from kb.core.errors import InputFileError
from kb.store.sources import DOCUMENT_ID

router = APIRouter(prefix="/api/documents", tags=["documents"])

CHUNK = 1 << 20
FORM_OVERHEAD = 64 * 1024  # multipart boundaries and headers around the file

_UPLOAD_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"],
            "properties": {"file": {"type": "string", "format": "binary", "description": "報告書の PDF・Word (.docx)・HTML・UTF-8 テキスト"},
                           "replace": {"type": "string", "minLength": 1, "maxLength": 120,
                                       "description": "置き換える文書の ID（指定しなければ新しい文書として追加。同じ名前の文書があれば別の ID になる）"}}}}},
    }
}


def jobs_of(request: Request) -> IngestJobs:
    return request.app.state.jobs


def check_admin(request: Request, state: AppState) -> None:
    token = state.settings.admin_token
    if not token:
        raise HTTPProblem(403, "uploads_disabled",
                          "アップロードは無効です。管理者トークン (PFKB_ADMIN_TOKEN) を設定すると使えます",
                          "uploads are disabled: set PFKB_ADMIN_TOKEN to enable them")
    given = request.headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise HTTPProblem(401, "unauthorized", "管理者トークンが必要です（Authorization: Bearer <token>）",
                          "admin token required: Authorization: Bearer <token>",
                          headers={"WWW-Authenticate": "Bearer"})
    if not hmac.compare_digest(value.strip().encode(), token.encode()):
        raise HTTPProblem(403, "forbidden", "管理者トークンが違います", "wrong admin token")


def too_large(limit_mb: int) -> HTTPProblem:
    return HTTPProblem(413, "too_large", f"ファイルが大きすぎます（上限 {limit_mb} MB）",
                       f"file too large: the limit is {limit_mb} MB")


EXTENSIONS = {"pdf": ".pdf", "docx": ".docx", "html": ".html", "text": ".txt"}
ACCEPTED_JA = "PDF・Word 文書 (.docx)・HTML・UTF-8 のテキスト"
TEXT_NAMES = {".txt", ".md", ".tsv", ".csv", ".text"}


def safe_file_name(name: str | None, kind: str = "pdf") -> str:
    """The uploaded name reduced to letters, digits, kana/kanji, - and _ (it
    becomes the document id), ending in the extension of its real type ``kind``
    (pdf, docx, html, text; a text file keeps .md/.tsv/.csv when it had one)."""
    path = Path((name or "").replace("\\", "/"))
    stem = re.sub(r"[^0-9A-Za-z_\-\u3040-\u30ff\u4e00-\u9fff]+", "-", path.stem).strip("-")[:60]
    ext = EXTENSIONS[kind]
    if kind == "text" and path.suffix.lower() in TEXT_NAMES:
        ext = path.suffix.lower()
    return f"{stem or 'upload'}{ext}"


KNOWN_NAMES = {".pdf", ".docx", ".html", ".htm", ".xhtml"} | TEXT_NAMES


def provisional_name(name: str | None) -> str:
    """The name the upload is written under before its type is known: the clean stem with the
    original extension when it is one of the accepted ones (so that the content sniffer hears
    what the name claims), else no hint (``.upload``)."""
    suffix = Path((name or "").replace("\\", "/")).suffix.lower()
    return safe_file_name(name, "pdf")[:-4] + (suffix if suffix in KNOWN_NAMES else ".upload")


def unsupported(name: str, why_ja: str, why_en: str, claims_pdf: bool) -> HTTPProblem:
    shown = Path((name or "").replace("\\", "/")).name[:80] or "（名前なし）"
    return HTTPProblem(415, "not_a_pdf" if claims_pdf else "unsupported_type",
                       f"{shown} は取り込めない形式です（{why_ja}）。受け付けるのは {ACCEPTED_JA} です",
                       f"{shown}: unsupported file type ({why_en}); accepted: PDF, DOCX, HTML, UTF-8 text")


def kind_of(path: Path, name: str) -> str:
    """The real type of the file written at ``path`` (uploaded as ``name``), by its
    content and the name's extension together; 415 naming the file otherwise."""
    claims_pdf = Path(name or "").suffix.lower() == ".pdf"
    try:
        kind = sniff_format(path)
    except InputFileError as e:
        raise unsupported(name, e.reason_ja, e.reason_en, claims_pdf) from None
    if claims_pdf and kind != "pdf":
        raise unsupported(name, "拡張子は .pdf ですが先頭に %PDF がありません", "no %PDF header", True)
    return kind


@router.post("", status_code=202, summary="文書（PDF・DOCX・HTML・テキスト）を取り込む（管理者トークンが必要・バックグラウンド処理）",
             openapi_extra=_UPLOAD_SCHEMA)
async def upload(request: Request, state: AppState = Depends(app_state)) -> JSONResponse:
    check_admin(request, state)
    limit_mb = state.settings.max_upload_mb
    limit = limit_mb * 1024 * 1024
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit + FORM_OVERHEAD:
        raise too_large(limit_mb)
    try:
        form = await request.form(max_files=1, max_fields=5)
    except StarletteHTTPException as e:  # a form Starlette cannot parse: a bare 400 otherwise
        raise HTTPProblem(422, "invalid_request", "フォームを読めません。file（PDF ファイル）と、必要なら replace だけを "
                          "multipart/form-data で送ってください", f"unreadable form: {e.detail}") from None
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise HTTPProblem(422, "invalid_request", "file（PDF・DOCX・HTML・テキストのファイル）を multipart/form-data で送ってください",
                          "send the document as multipart/form-data field 'file'")
    replace = form.get("replace")
    if replace is not None and (not isinstance(replace, str) or not DOCUMENT_ID.fullmatch(replace)):
        raise HTTPProblem(422, "invalid_request", "replace には置き換える文書の ID を指定してください",
                          "replace must be the id of the document to replace")
    if replace:
        state.store().document(replace)  # 404 naming it
    jobs = jobs_of(request)
    job = jobs.new_job(provisional_name(upload.filename), replace or None)
    try:
        size = 0
        with open(job.path, "wb") as out:
            while chunk := await upload.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise too_large(limit_mb)
                out.write(chunk)
        if size == 0:
            raise unsupported(upload.filename or "", "空のファイルです", "empty file",
                              Path(upload.filename or "").suffix.lower() == ".pdf")
        kind = kind_of(job.path, upload.filename or "")
        named = safe_file_name(upload.filename, kind)
        if named != job.file_name:  # not yet submitted: only the file on disk knows the name
            job.path.rename(job.path.with_name(named))
            job = dataclasses.replace(job, file_name=named, path=job.path.with_name(named))
    except BaseException:
        jobs.discard(job)
        raise
    finally:
        await upload.close()
    body = jobs.submit(job)
    body["url"] = f"/api/documents/jobs/{job.id}"
    return JSONResponse(body, status_code=202, headers={"Location": body["url"]})


@router.get("/jobs/{job_id}", summary="取り込みジョブの進み具合")
def job_status(job_id: str, request: Request) -> dict[str, Any]:
    return jobs_of(request).get(job_id)
