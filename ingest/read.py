"""File → ParsedDocument: detect the format, read, parse. Pure with respect to
the knowledge base: nothing is written here, so a bad file cannot leave a
half-written store behind."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from ingest.report.parse import blocks_to_parsed
from ingest.model import DocumentModel
from ingest.readers.settings import DEFAULT_SETTINGS, ReaderSettings
from ingest.readers.text import text_to_document
from kb.core.errors import FileMissingError, NotAPDFError, TooMuchLossError, UnreadableDocumentError
from kb.core.records import Document, ParsedDocument

TEXT_SUFFIXES = {".txt", ".tsv", ".md"}
MAX_UNPARSED_SHARE = 0.2  # more unparsed fragments than this share of records is an error


@dataclass(frozen=True)
class DocumentMeta:
    id: str | None = None
    title: str | None = None
    publisher: str = ""
    date: str = ""
    region: str = ""

    @classmethod
    def from_mapping(cls, m: Mapping[str, Any]) -> "DocumentMeta":
        return cls(id=m.get("id"), title=m.get("title"), publisher=m.get("publisher", ""),
                   date=str(m.get("date", "")), region=m.get("region", ""))


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def default_document_id(path: Path) -> str:
    stem = re.sub(r"[^0-9A-Za-z_\-\u3040-\u30ff\u4e00-\u9fff]+", "-", path.stem).strip("-")
    return stem or "document"


_HTML_START = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title)\b",
                         re.I | re.S)


def _sniff_zip(path: Path) -> str:
    import zipfile
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
    except (zipfile.BadZipFile, OSError) as e:
        raise UnreadableDocumentError(path, "ZIP として壊れています", f"corrupt ZIP/DOCX: {e}",
                                      "Word で開いて .docx として保存し直してください") from None
    if "word/document.xml" in names:
        return "docx"
    raise NotAPDFError(path, "ZIP ファイルですが Word 文書 (.docx) ではありません", "a ZIP archive, not a DOCX",
                       "報告書の PDF・DOCX・HTML かテキスト出力を指定してください")


def other_text_encoding(head: bytes) -> str | None:
    """"UTF-16" or "Shift_JIS" when the first bytes are text in that encoding (a BOM,
    or NULs every other byte; or not UTF-8 but valid cp932 with Japanese in it)."""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "UTF-16"
    sample = head[:512]
    if len(sample) >= 8 and (sample[1::2].count(0) > len(sample) // 4 or sample[0::2].count(0) > len(sample) // 4):
        return "UTF-16"
    try:
        head.decode("utf-8")
        return None
    except UnicodeDecodeError as e:
        if e.start >= len(head) - 4:
            return None
    try:
        text = head.decode("cp932")
    except UnicodeDecodeError as e:
        if e.start < len(head) - 2:  # not merely a character cut at the 4 KB boundary
            return None
        text = head[:e.start].decode("cp932")
    return "Shift_JIS" if sum(1 for c in text if "\u3040" <= c <= "\u9fff") >= 2 else None


def sniff_format(path: Path) -> str:
    """'pdf', 'docx', 'html' or 'text', judged by content, not by the file name."""
    if not path.exists():
        raise FileMissingError(path, "ファイルがありません", "file not found", "パスを確認してください")
    if path.is_dir():
        raise NotAPDFError(path, "ディレクトリです", "a directory, not a file", "PDF かテキストファイルを指定してください")
    with open(path, "rb") as f:
        head = f.read(4096)
    if head.lstrip()[:5] == b"%PDF-":
        return "pdf"
    if path.suffix.lower() == ".pdf":
        raise NotAPDFError(path, "拡張子は .pdf ですが PDF ではありません", "not a PDF: no %PDF header",
                           "元の PDF を用意してください")
    if head[:4] == b"PK\x03\x04":
        return _sniff_zip(path)
    if head[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise NotAPDFError(path, "古い Word/Excel 形式 (.doc/.xls) です", "legacy binary Office file",
                           "Word で .docx として保存し直すか PDF に書き出してください")
    if path.suffix.lower() == ".docx":
        raise NotAPDFError(path, "拡張子は .docx ですが Word 文書ではありません", "not a DOCX: no ZIP header",
                           "Word で .docx として保存し直してください")
    if _HTML_START.match(head.lstrip(b"\xef\xbb\xbf")) or (
            path.suffix.lower() in (".html", ".htm", ".xhtml") and b"<" in head):
        return "html"  # its own charset (meta) decides how it is decoded
    encoding = other_text_encoding(head)
    if encoding:
        raise NotAPDFError(path, f"{encoding} のテキストです。UTF-8 で読める形にしてください", f"{encoding} text, not UTF-8",
                           "メモ帳などで開き「UTF-8」で保存し直してください", "save it as UTF-8")
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as e:
        if e.start < len(head) - 4:  # not merely a character cut at the 4 KB boundary
            raise NotAPDFError(path, "PDF でも UTF-8 のテキストでもありません", "neither a PDF nor UTF-8 text",
                               "報告書の PDF かテキスト出力を指定してください") from None
    if b"\x00" in head:
        raise NotAPDFError(path, "バイナリファイルです", "binary file, neither PDF nor text",
                           "報告書の PDF かテキスト出力を指定してください")
    return "text"


def read_model(path: Path | str, settings: ReaderSettings = DEFAULT_SETTINGS) -> DocumentModel:
    """The document model of one file, by the reader its content calls for;
    raises an ``InputFileError`` subclass on bad input."""
    path = Path(path)
    fmt = sniff_format(path)
    if fmt == "pdf":
        from ingest.readers.pdf import pdf_to_document
        return pdf_to_document(path, settings)
    if fmt == "docx":
        from ingest.readers.docx import docx_to_document
        try:
            return docx_to_document(path, settings)
        except Exception as e:  # python-docx / lxml raise many types for a broken package
            raise UnreadableDocumentError(path, "Word 文書として読めません",
                                          f"unreadable DOCX: {type(e).__name__}: {str(e)[:120]}", "Word で開いて保存し直してください") from None
    if fmt == "html":
        from ingest.readers.html import html_to_document
        try:
            return html_to_document(path.read_bytes(), settings)
        except Exception as e:  # lxml's parser errors (an empty or binary document)
            raise UnreadableDocumentError(path, "HTML として読めません",
                                          f"unreadable HTML: {type(e).__name__}: {str(e)[:120]}", "ブラウザで「名前を付けて保存」し直してください") from None
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise NotAPDFError(path, f"UTF-8 として読めません（{e.start} バイト目）", "not valid UTF-8",
                           "UTF-8 で保存し直してください") from None
    return text_to_document(text, settings)


def read_document(path: Path | str, meta: DocumentMeta | None = None,
                  settings: ReaderSettings = DEFAULT_SETTINGS, step_scorer=None) -> ParsedDocument:
    """Read and parse one file; raises an ``InputFileError`` subclass on bad input. ``step_scorer``
    (``predict(text, phase)``) infers the steps a document does not label (default: the fitted
    BM25 classifier of ingest.recognise.steps)."""
    path = Path(path)
    meta = meta or DocumentMeta()
    model = read_model(path, settings)
    fmt, pages, blocks = model.format, model.pages, list(model.blocks)
    if not blocks:
        raise NotAPDFError(path, "本文がありません", "no text found", "中身のあるファイルを指定してください")
    title = meta.title or model.title or _guess_title(blocks) or path.stem
    doc = Document(id=meta.id or default_document_id(path), title=title, file=path.name,
                   sha256=sha256_file(path), format=fmt, publisher=meta.publisher, date=meta.date,
                   region=meta.region, pages=pages)
    parsed = blocks_to_parsed(blocks, doc, step_scorer, model.furniture)
    unparsed = [n for n in parsed.notes if n.severity == "unparsed"]
    if parsed.records and len(unparsed) > MAX_UNPARSED_SHARE * len(parsed.records) + 5:
        raise TooMuchLossError(path, f"{len(unparsed)} 個の断片を解析できませんでした", "too many unparsed fragments",
                               "`pfkb stats` で内容を確認し、報告書の形式か確認してください")
    return parsed


def _guess_title(blocks) -> str | None:
    """The cover title: the first paragraphs up to the one naming the 報告書 (a PDF cover
    often breaks the title over several lines)."""
    from ingest.model import Heading, Paragraph
    head = [b.text for b in blocks[:10] if isinstance(b, (Paragraph, Heading))]
    for i, t in enumerate(head):
        if "報告書" in t:
            title = "".join(head[max(0, i - 3):i + 1]) if len(t) < 8 else t
            return title[:120]
    for b in blocks[:5]:
        if isinstance(b, (Paragraph, Heading)) and len(b.text) >= 4:
            return b.text[:80]
    return None
