"""The document model every reader produces (PDF, text export, HTML, DOCX): headings with
levels, paragraphs, list items and tables, each with its location (PDF page index and the page
number printed on it, or the line of a text export). Recognisers read this model only, never a
reader's own structures.

Blocks: ``Heading`` (a section title found by numbering, typography or the table of contents),
``Paragraph`` (body text), ``ListItem`` (a bulleted or numbered item), ``Table`` (rows;
``header_rows`` leading rows are column headings), ``Toc`` (a table of contents: its entries give
the heading hierarchy and are never headings themselves; recognisers skip it). Running headers,
footers, page numbers and footnotes are not blocks: readers keep them apart as ``Furniture`` in
the ``DocumentModel``.

Cell and paragraph text is normalised (``normalize_text``) and keeps its line
breaks; ``cell_to_items`` turns it into logical items (a ■ headline, a ・
bullet, a paragraph) so that a wrapped PDF line and an HTML ``<li>`` read the
same.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Union

from kb.core.normalize import CIRCLED, normalize_text


@dataclass(frozen=True)
class Loc:
    page: int | None = None  # PDF page index, 1-based
    line: int | None = None  # line of a text export, 1-based
    end_line: int | None = None
    printed_page: str | None = None  # the page number printed on that page ("26", "Ⅱ-3"), where there is one
    end_page: int | None = None  # the last PDF page of a span over several pages (None: one page)
    end_printed_page: str | None = None  # the number printed on that last page


@dataclass(frozen=True)
class Paragraph:
    text: str
    loc: Loc


@dataclass(frozen=True)
class Row:
    cells: tuple[str, ...]
    loc: Loc

    @property
    def filled(self) -> list[str]:
        return [c for c in self.cells if c.strip()]


def continue_row(row: Row, part: Row) -> Row:
    """``row`` with ``part`` — the rest of it, broken onto the next page — joined
    cell by cell on a new line (``cell_to_items`` then continues the last item)."""
    n = max(len(row.cells), len(part.cells))
    a = row.cells + ("",) * (n - len(row.cells))
    b = part.cells + ("",) * (n - len(part.cells))
    return Row(tuple(f"{x}\n{y}" if x and y else x or y for x, y in zip(a, b)), row.loc)


@dataclass(frozen=True)
class Table:
    rows: tuple[Row, ...]
    header_rows: int = 0  # how many leading rows are column headings


@dataclass(frozen=True)
class Heading:
    text: str  # as printed, e.g. "第2章 事例集", "(1) 背景"
    level: int  # 1 = chapter/part, 2 = section, 3 = subsection …
    loc: Loc
    numbering: str = ""  # the numbering as printed ("第2章", "2-1.", "(1)", "①", "Ⅱ"), "" for typographic headings
    source: str = ""  # how it was found: "numbering" | "typography" | "toc" | "markup"


@dataclass(frozen=True)
class ListItem:
    text: str
    loc: Loc
    marker: str = ""  # "・", "○", "■", "(1)", "①" …
    level: int = 1


@dataclass(frozen=True)
class TocEntry:
    """One line of a table of contents: it names a heading and the page it is on.
    It is never a heading itself; its ``level`` gives the heading hierarchy."""
    text: str  # the heading's text, without the dot leader and the page ("1-2. 目的")
    level: int
    loc: Loc
    numbering: str = ""
    page_label: str = ""  # the page it points to, as printed ("3", "Ⅱ-1"); "" when missing


@dataclass(frozen=True)
class Toc:
    """A table of contents, kept where it stands; recognisers skip it."""
    entries: tuple[TocEntry, ...]
    loc: Loc
    table: "Table | None" = None  # the table it was read from, where it was one (kept for older recognisers)


@dataclass(frozen=True)
class Furniture:
    """Text that belongs to the page, not to the body: a running header or footer,
    a page number, a footnote."""
    text: str
    loc: Loc
    kind: str  # "header" | "footer" | "page_number" | "footnote"


Block = Union[Heading, Paragraph, ListItem, Table, Toc]


@dataclass(frozen=True)
class DocumentModel:
    """What a reader produces: the body's blocks in reading order, the page
    furniture taken out of it, and the page count (None for a text export)."""
    blocks: tuple[Block, ...]
    furniture: tuple[Furniture, ...] = ()
    pages: int | None = None
    format: str = ""  # "pdf" | "text" | "html" | "docx"
    title: str = ""  # the document's own title where it states one (HTML <title>, DOCX core properties)

    @property
    def headings(self) -> list[Heading]:
        return [b for b in self.blocks if isinstance(b, Heading)]

    @property
    def tocs(self) -> list[Toc]:
        return [b for b in self.blocks if isinstance(b, Toc)]

# --- HTML fragments inside table cells (text export) --------------------------

_TAG = re.compile(r"</?(?:p|ul|ol|li|u|b|i|em|strong|span|div|br|sup|sub|font)\b[^>]*>", re.I)
_LI = re.compile(r"<li\b[^>]*>", re.I)
_UL_TEXT = re.compile(r"<ul\b[^>]*>(?=\s*[^<\s])", re.I)
_BREAKS = re.compile(r"</?(?:p|ul|ol|div|br)\b[^>]*>|</li>", re.I)


def html_to_text(cell: str) -> str:
    """``<p>■見出し</p><ul><li>本文</li></ul>`` → "■見出し\\n・本文".

    Only known tags are removed: 「<令和2年10月/国勢調査>」 is text, not a tag."""
    if "<" not in cell:
        return cell
    cell = re.sub(r"\s*✓", "\n✓", cell)  # several ✓ results in one list item
    cell = _UL_TEXT.sub("\n・", cell)  # text straight inside <ul> is a list item too
    cell = _LI.sub("\n・", cell)
    cell = _BREAKS.sub("\n", cell)
    cell = _TAG.sub("", cell)
    cell = cell.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&nbsp;", " ")
    return cell


# --- items -------------------------------------------------------------------

BULLET_MARKS = "・•●◆◇➢✓○▪-–"
_BULLET = re.compile(rf"^[{re.escape(BULLET_MARKS)}](?:\s*[{re.escape(BULLET_MARKS)}])*\s*")
_ENUM = re.compile(r"^(?:\(\d{1,2}\)|（\d{1,2}）|\d{1,2}\)|[" + CIRCLED + r"])")


@dataclass(frozen=True)
class Item:
    kind: str  # "headline" | "bullet" | "text" | "pin"
    text: str


def line_kind(line: str) -> str | None:
    if line.startswith("■"):
        return "headline"
    if line.startswith("📍"):
        return "pin"
    if _BULLET.match(line):
        return "bullet"
    if _ENUM.match(line):
        return "text"
    return None


def cell_to_items(text: str) -> list[Item]:
    """Logical items of a cell: a line that starts with a marker (■ ・ 📍 (1) …) or
    follows an empty line starts an item; any other line continues the previous
    item (a wrapped line, joined without a space)."""
    items: list[Item] = []
    gap = False
    for raw in normalize_text(text).split("\n"):
        line = raw.strip()
        if not line:
            gap = True  # an empty line (paragraph break) ends the item
            continue
        kind = line_kind(line)
        if kind is None and gap:
            kind = "text"
        gap = False
        if kind == "bullet":
            body = _BULLET.sub("", line).strip()
            if not body:
                continue
            items.append(Item("bullet", body))
        elif kind == "headline":
            items.append(Item("headline", line.lstrip("■").strip()))
        elif kind == "pin":
            items.append(Item("pin", line.lstrip("📍").strip().strip("*").strip()))
        elif kind == "text" or not items:
            items.append(Item("text", line))
        else:
            prev = items[-1]
            items[-1] = Item(prev.kind, prev.text + line)
    return items


def items_to_text(items: list[Item]) -> str:
    out = []
    for it in items:
        if it.kind == "headline":
            out.append("■" + it.text)
        elif it.kind == "bullet":
            out.append("・" + it.text)
        else:
            out.append(it.text)
    return "\n".join(out)


def block_text(block: Block) -> str:
    if isinstance(block, (Heading, Paragraph, ListItem)):
        return block.text
    if isinstance(block, Toc):
        return "\n".join(e.text for e in block.entries)
    return "\n".join("\t".join(r.cells) for r in block.rows)


def block_loc(block: Block) -> Loc:
    if isinstance(block, (Heading, Paragraph, ListItem, Toc)):
        return block.loc
    return block.rows[0].loc if block.rows else Loc()


def join_lines(text: str) -> str:
    """A short value wrapped inside a PDF cell ("R4年度以\n前") read as one line (Japanese: no space)."""
    return re.sub(r"\s*\n\s*", "", text).strip()
