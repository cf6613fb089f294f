"""Packs, comparisons and charts as files: bytes, a media type and a file name.
The CLI writes them to disk, the HTTP routes send them; both call these."""
from __future__ import annotations

import json
from dataclasses import dataclass

from kb.core.errors import BadQueryError
from kb.export.compare import Comparison, comparison_to_markdown, comparison_to_text
from kb.export.pack import Pack

PACK_FORMATS = ("md", "docx", "pptx")
COMPARE_FORMATS = ("text", "md", "json", "docx", "pptx")
MEDIA_TYPES = {
    "md": "text/markdown; charset=utf-8",
    "text": "text/plain; charset=utf-8",
    "json": "application/json",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "png": "image/png",
    "svg": "image/svg+xml",
}
EXTENSIONS = {"text": "txt"}


@dataclass(frozen=True)
class Rendered:
    data: bytes
    format: str
    stem: str  # Japanese file name without extension

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]

    @property
    def filename(self) -> str:
        return f"{self.stem}.{EXTENSIONS.get(self.format, self.format)}"


def check_format(fmt: str, allowed: tuple[str, ...]) -> str:
    fmt = (fmt or "").strip().lower()
    if fmt not in allowed:
        raise BadQueryError(f"形式 {fmt!r} には対応していません。{', '.join(allowed)} のいずれか",
                            f"unsupported format {fmt!r}; use one of {', '.join(allowed)}")
    return fmt


def render_pack(pack: Pack, fmt: str) -> Rendered:
    fmt = check_format(fmt, PACK_FORMATS)
    if fmt == "md":
        from kb.export.markdown import pack_to_markdown
        data = pack_to_markdown(pack).encode("utf-8")
    elif fmt == "docx":
        from kb.export.docx_file import pack_to_docx
        data = pack_to_docx(pack)
    else:
        from kb.export.pptx_file import pack_to_pptx
        data = pack_to_pptx(pack)
    return Rendered(data, fmt, pack.filename_stem)


def render_comparison(comparison: Comparison, fmt: str) -> Rendered:
    fmt = check_format(fmt, COMPARE_FORMATS)
    if fmt == "text":
        data = comparison_to_text(comparison).encode("utf-8")
    elif fmt == "md":
        data = comparison_to_markdown(comparison).encode("utf-8")
    elif fmt == "json":
        data = json.dumps(comparison.to_dict(), ensure_ascii=False, indent=2).encode("utf-8")
    elif fmt == "docx":
        from kb.export.docx_file import comparison_to_docx
        data = comparison_to_docx(comparison)
    else:
        from kb.export.pptx_file import comparison_to_pptx
        data = comparison_to_pptx(comparison)
    return Rendered(data, fmt, comparison.filename_stem)
