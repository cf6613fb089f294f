"""Reader for Word documents (python-docx): paragraphs with a heading style
(「Heading N」「見出し N」, Title) or an outline level → ``Heading``; numbered
or bulleted paragraphs (numPr, list styles) → ``ListItem``; tables (merged
cells "" at the positions they cover, rows marked to repeat as headings →
header rows) → ``Table``; other paragraphs → ``Paragraph`` or, short and
numbered, ``Heading``. Headers and footers of the sections are furniture.
Blocks cite their paragraph's ordinal (``Loc.line``) and, where Word recorded
its page breaks, the page."""
from __future__ import annotations

import re
from pathlib import Path

from ingest.model import Block, DocumentModel, Furniture, Heading, ListItem, Loc, Paragraph, Row, Table
from ingest.readers.headings import (headings_to_levels, levels_under_markup, looks_like_heading, numbering_of,
                                     table_or_toc)
from ingest.readers.settings import DEFAULT_SETTINGS, ReaderSettings
from kb.core.normalize import normalize_text

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_HEADING_STYLE = re.compile(r"^(?:heading|見出し)\s*(\d)$", re.I)
_LIST_STYLE = re.compile(r"list|リスト|箇条書|段落番号", re.I)


def _style_level(style) -> int | None:
    """Heading level of a paragraph style, following its base styles."""
    seen = 0
    while style is not None and seen < 10:
        name = (style.name or "").strip()
        m = _HEADING_STYLE.match(name)
        if m:
            return int(m.group(1))
        if name.lower() in ("title", "表題"):
            return 1
        lvl = style.element.find(f"{_W}pPr/{_W}outlineLvl")
        if lvl is not None and lvl.get(f"{_W}val", "9").isdigit() and int(lvl.get(f"{_W}val")) < 9:
            return int(lvl.get(f"{_W}val")) + 1
        style = style.base_style
        seen += 1
    return None


def _outline_level(p) -> int | None:
    lvl = p._p.find(f"{_W}pPr/{_W}outlineLvl")
    if lvl is not None and (lvl.get(f"{_W}val") or "").isdigit() and int(lvl.get(f"{_W}val")) < 9:
        return int(lvl.get(f"{_W}val")) + 1
    return None


def _list_level(p) -> int | None:
    num = p._p.find(f"{_W}pPr/{_W}numPr")
    if num is not None:
        ilvl = num.find(f"{_W}ilvl")
        return int(ilvl.get(f"{_W}val", "0")) + 1 if ilvl is not None else 1
    if p.style is not None and _LIST_STYLE.search(p.style.name or ""):
        return 1
    return None


def _bold(p) -> bool:
    runs = [r for r in p.runs if r.text.strip()]
    return bool(runs) and all(r.bold or (r.style is not None and r.style.font.bold) for r in runs)


def _page_breaks(p) -> int:
    """Page breaks Word rendered or that the author inserted, inside a paragraph."""
    n = len(p._p.findall(f".//{_W}lastRenderedPageBreak"))
    n += sum(1 for br in p._p.iter(f"{_W}br") if br.get(f"{_W}type") == "page")
    return n


def _table_rows(table) -> tuple[tuple[Row, ...], int]:
    rows, header = [], 0
    header_done = False
    above: list = []  # the cell elements of the previous row (vertical merges repeat them)
    for r, tr in enumerate(table.rows):
        cells, seen = [], []
        for cell in tr.cells:
            tc = cell._tc
            merged = tc in seen or (r and len(above) > len(seen) and above[len(seen)] is tc)
            seen.append(tc)
            cells.append("" if merged else normalize_text(cell.text).strip())
        above = seen
        while len(cells) > 1 and not cells[-1]:
            cells.pop()
        trpr = tr._tr.trPr
        marked = trpr is not None and trpr.find(f"{_W}tblHeader") is not None
        if not header_done and marked:
            header += 1
        else:
            header_done = True
        if any(cells):
            rows.append(Row(tuple(cells), Loc()))
    return tuple(rows), header


def docx_to_document(path: Path | str, settings: ReaderSettings = DEFAULT_SETTINGS) -> DocumentModel:
    """The document model of a .docx file (python-docx raises on a broken one:
    the caller maps that to an input error)."""
    import docx
    from docx.table import Table as DocxTable
    from docx.text.paragraph import Paragraph as DocxParagraph
    d = docx.Document(str(path))
    blocks: list[Block] = []
    families: dict[int, str] = {}
    page = 1
    has_pages = any(True for _ in d.element.body.iter(f"{_W}lastRenderedPageBreak"))
    ordinal = 0
    for child in d.element.body.iterchildren():
        ordinal += 1
        loc = Loc(page=page if has_pages else None, line=ordinal, end_line=ordinal)
        if child.tag == f"{_W}p":
            p = DocxParagraph(child, d)
            page += _page_breaks(p) if has_pages else 0
            text = normalize_text(p.text).strip()
            if not text:
                continue
            level = _style_level(p.style) or _outline_level(p)
            num = numbering_of(text)
            if level is not None:
                blocks.append(Heading(text, level, loc, num[0] if num else "", "markup"))
                families[len(blocks) - 1] = f"style:h{level}"
                continue
            lst = _list_level(p)
            if lst is not None:
                blocks.append(ListItem(text, loc, "・", lst))
            elif num and looks_like_heading(text, settings.heading_max_chars):
                blocks.append(Heading(text, 0, loc, num[0], "numbering"))
            elif _bold(p) and looks_like_heading(text, settings.heading_max_chars) and len(text) <= 30:
                blocks.append(Heading(text, 0, loc, "", "typography"))
                families[len(blocks) - 1] = "style:bold"
            else:
                blocks.append(Paragraph(text, loc))
        elif child.tag == f"{_W}tbl":
            rows, header = _table_rows(DocxTable(child, d))
            if rows:
                blocks.append(table_or_toc(Table(tuple(Row(r.cells, loc) for r in rows), header), settings))
    # styled headings keep their level; numbered ones nest by the shared stack
    if any(isinstance(b, Heading) and b.source == "markup" for b in blocks):
        blocks = levels_under_markup(blocks, settings.heading_max_chars)
    else:
        blocks = headings_to_levels(blocks, families)
    furniture = []
    for s in d.sections:
        for part, kind in ((s.header, "header"), (s.footer, "footer")):
            try:
                text = normalize_text("\n".join(p.text for p in part.paragraphs)).strip()
            except Exception:  # a section without its own header part
                text = ""
            if text:
                furniture.append(Furniture(text, Loc(), kind))
    title = normalize_text(d.core_properties.title or "").strip()
    return DocumentModel(tuple(blocks), tuple(furniture), None, "docx", title)
