"""Showing a cited source: the lines of a text export around a record, or a PDF
page rendered as a PNG with the record's region highlighted.

The stored copy of every document lives under ``settings.sources_dir``; a
document is looked up by id in the store and its file must resolve inside that
folder, so no request can read any other file."""
from __future__ import annotations

import io
import re
import threading
from pathlib import Path
from typing import Any

from kb.core.cache import LRU
from kb.core.normalize import map_chars
from kb.core.errors import BadQueryError, NotFoundError
from kb.core.records import Record
from kb.core.settings import Settings
from kb.store import Store

DOCUMENT_ID = re.compile(r"[0-9A-Za-z_\-\u3040-\u30ff\u4e00-\u9fff]{1,120}")
RECORD_ID = re.compile(r"[0-9A-Za-z_\-]{1,64}")
CONTEXT_LINES = 3
MAX_LINES = 400
PAGE_RESOLUTION = 110  # dpi: an A4 page becomes about 910 × 1290 px
HIGHLIGHT = (255, 196, 0)


def _document(store: Store, settings: Settings, document: str, fmt: str) -> tuple[dict[str, Any], Path]:
    if not DOCUMENT_ID.fullmatch(document or ""):
        raise BadQueryError(f"文書名 {document[:60]!r} は不正です", "invalid document id: letters, digits, - and _ only")
    doc = store.document(document)
    if doc["format"] != fmt:
        other = "pages/{n}" if doc["format"] == "pdf" else "lines?start=&end="
        raise BadQueryError(f"文書 {document} は {doc['format']} 形式です。/api/sources/{document}/{other} を使ってください",
                            f"document is {doc['format']}, not {fmt}")
    if not doc.get("stored_file"):
        raise NotFoundError(f"文書 {document} の原本が保存されていません", f"no stored source file for {document}")
    root = settings.sources_dir.resolve()
    path = (root / doc["stored_file"]).resolve()
    if root not in path.parents or not path.is_file():
        raise NotFoundError(f"文書 {document} の原本ファイルがありません", "stored source file missing")
    return doc, path


def _record_in(store: Store, document: str, record_id: str | None) -> Record | None:
    if not record_id:
        return None
    if not RECORD_ID.fullmatch(record_id):
        raise NotFoundError(f"記録 {record_id[:64]!r} はありません", "unknown record id")
    r = store.record(record_id)
    if r.source.document != document:
        raise BadQueryError(f"記録 {record_id} は文書 {document} のものではありません",
                            f"record {record_id} belongs to document {r.source.document}")
    return r


# --- text exports --------------------------------------------------------------

_lines_cache = LRU(8)  # (path, sha256) → the file's lines


def _file_lines(path: Path, sha: str) -> list[str]:
    key = (str(path), sha)
    lines = _lines_cache.get(key)
    if lines is None:
        lines = path.read_text(encoding="utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n").split("\n")
        _lines_cache.put(key, lines)
    return lines


def source_lines(settings: Settings, store: Store, document: str, *, start: int | None = None,
                 end: int | None = None, record: str | None = None,
                 context: int = CONTEXT_LINES) -> dict[str, Any]:
    """The cited lines of a text export (from the record, or start..end) with a
    few lines of context; each line says whether it is cited."""
    doc, path = _document(store, settings, document, "text")
    rec = _record_in(store, document, record)
    if rec is not None:
        if not rec.source.lines:
            raise NotFoundError(f"記録 {rec.id} には行番号がありません", "record has no line range")
        start, end = rec.source.lines
    if start is None:
        raise BadQueryError("start（行番号）か record を指定してください", "give start and end line numbers, or record")
    end = start if end is None else end
    lines = _file_lines(path, doc["sha256"])
    if start < 1 or end < start:
        raise BadQueryError(f"行の範囲 {start}–{end} は不正です", "bad line range: 1 <= start <= end")
    if start > len(lines):
        raise NotFoundError(f"{start} 行目はありません。文書 {document} は {len(lines)} 行です",
                            f"line {start} out of range: {len(lines)} lines")
    if end - start + 1 > MAX_LINES:
        raise BadQueryError(f"一度に表示できるのは {MAX_LINES} 行までです", f"at most {MAX_LINES} lines at once")
    end = min(end, len(lines))
    context = max(0, min(context, 20))
    first, last = max(1, start - context), min(len(lines), end + context)
    return {"document": document, "title": doc["title"], "start": start, "end": end,
            "record": rec.id if rec else None, "total_lines": len(lines),
            "lines": [{"n": n, "text": lines[n - 1], "cited": start <= n <= end} for n in range(first, last + 1)]}


# --- PDF pages -----------------------------------------------------------------

_png_cache = LRU(32)  # (sha256, page, record, resolution) → PNG bytes
_pdf_lock = threading.Lock()  # pdfplumber/pdfium rendering is not thread-safe


def _page_chars_to_text(chars: list[dict[str, Any]]) -> tuple[str, list[int]]:
    """The page's characters normalised as the readers normalise them, without
    whitespace, and for each output character the index of its source char."""
    out, owner = [], []
    for i, ch in enumerate(chars):
        for c in map_chars(ch.get("text", "")):
            if not c.isspace():
                out.append(c)
                owner.append(i)
    return "".join(out), owner


def _needle(text: str) -> str:
    return "".join(c for c in map_chars(text) if not c.isspace())


def _find(hay: str, text: str, *, min_len: int = 4, from_end: bool = False) -> tuple[int, int] | None:
    """Where the longest prefix (or suffix) of ``text`` occurs, shortening it
    until it is found; None below ``min_len`` characters."""
    needle = _needle(text)[:60] if not from_end else _needle(text)[-30:]
    while len(needle) >= min_len:
        at = hay.find(needle)
        if at >= 0:
            return at, at + len(needle)
        needle = needle[:-2] if not from_end else needle[2:]
    return None


def _line_boxes(chars: list[dict[str, Any]], idx: list[int]) -> list[tuple[float, float, float, float]]:
    """Bounding boxes of matched characters, one per text line."""
    boxes: list[list[float]] = []
    for i in sorted(set(idx)):
        c = chars[i]
        for b in boxes:
            if abs(b[1] - c["top"]) < 3:
                b[0], b[2], b[3] = min(b[0], c["x0"]), max(b[2], c["x1"]), max(b[3], c["bottom"])
                break
        else:
            boxes.append([c["x0"], c["top"], c["x1"], c["bottom"]])
    return [tuple(b) for b in boxes]


_FIELD_LABEL = re.compile(r"^[^:：\n]{1,14}[:：]\s*")


def _body_lines(record: Record) -> list[str]:
    """The record's text as the page shows it: line by line, without the
    headline and without the field labels ingest put in front (「事業内容: …」)."""
    text = record.text
    if record.title and text.startswith(record.title):
        text = text[len(record.title):]
    lines = [_FIELD_LABEL.sub("", ln).strip() for ln in text.split("\n")]
    return [ln for ln in lines if len(_needle(ln)) >= 6]


def record_regions(page: Any, record: Record) -> dict[str, list[tuple[float, float, float, float]]]:
    """Boxes to highlight on a pdfplumber page: the record's headline (strong)
    and the area from the headline to the end of its text (light)."""
    chars = [c for c in page.chars if c.get("text")]
    hay, owner = _page_chars_to_text(chars)
    head = _find(hay, record.title or record.text[:30])
    body = _body_lines(record)
    first = next((f for f in (_find(hay, ln, min_len=6) for ln in body[:4]) if f), None)
    last = next((f for f in (_find(hay, ln, min_len=6, from_end=True) for ln in reversed(body[-4:])) if f), None)
    strong = _line_boxes(chars, owner[head[0]:head[1]]) if head else []
    spans = [s for s in (head, first, last) if s]
    light = []
    if spans:
        lo = min(s[0] for s in spans)
        hi = max(s[1] for s in spans)
        if hi - lo < 3000:  # a region, not the whole page by accident
            boxes = _line_boxes(chars, owner[lo:hi])
            light = [(min(b[0] for b in boxes), min(b[1] for b in boxes),
                      max(b[2] for b in boxes), max(b[3] for b in boxes))]
    return {"strong": strong, "light": light}


def source_page_png(settings: Settings, store: Store, document: str, page: int, *,
                    record: str | None = None, resolution: int = PAGE_RESOLUTION) -> bytes:
    """Page ``page`` (1-based) of a PDF source as PNG bytes, with the cited
    record's region highlighted when ``record`` is given."""
    import pdfplumber

    doc, path = _document(store, settings, document, "pdf")
    rec = _record_in(store, document, record)
    key = (doc["sha256"], page, rec.id if rec else None, resolution)
    with _pdf_lock:
        cached = _png_cache.get(key)
        if cached is not None:
            return cached
        with pdfplumber.open(path) as pdf:
            if not 1 <= page <= len(pdf.pages):
                raise NotFoundError(f"{page} ページはありません。文書 {document} は {len(pdf.pages)} ページです",
                                    f"page {page} out of range: 1..{len(pdf.pages)}")
            p = pdf.pages[page - 1]
            img = p.to_image(resolution=resolution)
            if rec is not None:
                regions = record_regions(p, rec)
                pad = 2
                for x0, top, x1, bottom in regions["light"]:
                    img.draw_rect((x0 - 6, top - 4, x1 + 6, bottom + 4), fill=HIGHLIGHT + (40,),
                                  stroke=HIGHLIGHT + (255,), stroke_width=2)
                for x0, top, x1, bottom in regions["strong"]:
                    img.draw_rect((x0 - pad, top - pad, x1 + pad, bottom + pad), fill=HIGHLIGHT + (110,),
                                  stroke=(200, 120, 0), stroke_width=1)
            buf = io.BytesIO()
            img.save(buf, format="PNG")
        data = buf.getvalue()
        _png_cache.put(key, data)
        return data
