"""The intermediate form both readers produce: paragraphs and table rows with
their location (page for PDFs, line for text exports).

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
    page: int | None = None
    line: int | None = None
    end_line: int | None = None


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


Block = Union[Paragraph, Table]

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
    if isinstance(block, Paragraph):
        return block.text
    return "\n".join("\t".join(r.cells) for r in block.rows)


def block_loc(block: Block) -> Loc:
    if isinstance(block, Paragraph):
        return block.loc
    return block.rows[0].loc if block.rows else Loc()


def join_lines(text: str) -> str:
    """A short value wrapped inside a PDF cell ("R4年度以\n前") read as one line (Japanese: no space)."""
    return re.sub(r"\s*\n\s*", "", text).strip()
