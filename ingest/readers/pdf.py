"""Reader for report PDFs (pdfplumber): pages → text lines and ruled tables →
``Block``s with their page.

The chain: ``pdf_to_pages`` (the only step that touches the file: characters,
table cells and images of every page, errors mapped to ours) →
``page_to_tables`` / ``page_to_lines`` → ``strip_running_lines`` (running
headers, footers, page numbers) → ``lines_to_paragraphs`` → ``page_to_blocks``
→ ``join_pages`` (a table or paragraph broken across pages is one again).

Text is normalised with ``normalize_text``. Japanese wraps are joined without a
space; table cells keep their line breaks (``cell_to_items`` joins them), with
an empty line where a cell shows a paragraph gap; a merged cell is "" at its
position so that every row keeps its column positions.
"""
from __future__ import annotations

import logging
import re
import statistics
from dataclasses import dataclass, replace
from pathlib import Path

from ingest.model import Block, Loc, Paragraph, Row, Table, line_kind
from kb.core.normalize import normalize_text, squash
from kb.core.errors import CorruptPDFError, EncryptedPDFError, ImageOnlyPDFError

# pdfminer logs a warning per odd font or object; the user sees our errors instead
logging.getLogger("pdfminer").setLevel(logging.ERROR)

BBox = tuple[float, float, float, float]  # x0, top, x1, bottom

# pdfminer's Adobe-Japan1 table turns a few CIDs of non-embedded Japanese fonts
# into look-alikes that NFKC would mangle (˜ → " ̃") or that are not characters
_CID_LOOKALIKES = str.maketrans({"\u02dc": "~", "\u0336": "—", "\u2012": "–"})


@dataclass(frozen=True)
class Char:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float


@dataclass(frozen=True)
class RawTable:
    bbox: BBox
    rows: tuple[tuple[BBox | None, ...], ...]  # cell boxes; None where a merged cell covers the position


@dataclass(frozen=True)
class RawPage:
    number: int  # 1-based
    width: float
    height: float
    chars: tuple[Char, ...]
    tables: tuple[RawTable, ...]
    images: int


@dataclass(frozen=True)
class Line:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    lead: float = 0.0  # width of the line's first unbreakable word ("39.7%", or one kanji)


@dataclass(frozen=True)
class PageTable:
    rows: tuple[tuple[tuple[float, str], ...], ...]  # each row: (left x, text) of its cells
    columns: tuple[float, ...]  # left x of every column, then the table's right x
    top: float
    bottom: float


@dataclass(frozen=True)
class Para:
    text: str
    top: float
    first: Line
    last: Line
    indent: float  # x of the paragraph's wrapped lines (its first line's x when it has one line)


@dataclass(frozen=True)
class PageText:
    number: int
    height: float
    lines: tuple[Line, ...]  # outside tables
    tables: tuple[PageTable, ...]


# --- the file ------------------------------------------------------------------


def pdf_to_pages(path: Path) -> list[RawPage]:
    """Characters, ruled tables and image counts of every page. pdfminer's
    exceptions become ``EncryptedPDFError`` / ``CorruptPDFError``."""
    import pdfplumber
    try:
        with pdfplumber.open(path) as pdf:
            return [_raw_page(page, i) for i, page in enumerate(pdf.pages, start=1)]
    except Exception as e:  # pdfminer raises many unrelated types for broken files
        raise _pdf_error(path, e) from None


def _pdf_error(path: Path, exc: Exception) -> Exception:
    inner = exc.args[0] if type(exc).__name__ == "PdfminerException" and exc.args else exc
    name = type(inner).__name__
    if "Password" in name or "Encrypt" in name:
        return EncryptedPDFError(path, "パスワードで保護された PDF です", f"encrypted PDF: {name}",
                                 "パスワードを外した PDF を用意してください", "remove the password, e.g. qpdf --decrypt")
    detail = str(inner) or name
    return CorruptPDFError(path, "PDF が壊れているか途中で切れています", f"corrupt or truncated PDF: {name}: {detail[:120]}",
                           "元の PDF をもう一度ダウンロードするか書き出し直してください", "download or export it again")


def _raw_page(page, number: int) -> RawPage:
    chars = tuple(
        Char(c["text"], float(c["x0"]), float(c["x1"]), float(c["top"]), float(c["bottom"]), float(c["size"]))
        for c in page.chars if c.get("upright", True))
    finder = page.debug_tablefinder({"explicit_horizontal_lines": open_table_edges(page.edges)})
    tables = [RawTable(tuple(t.bbox), tuple(tuple(r.cells) for r in t.rows)) for t in finder.tables]
    # pdfplumber drops one-cell tables; a boxed heading row is one, and holds text
    in_tables = {c for t in finder.tables for c in t.cells}
    tables += [RawTable(tuple(c), ((tuple(c),),)) for c in finder.cells if c not in in_tables]
    return RawPage(number, float(page.width), float(page.height), chars, tuple(tables), len(page.images))


def open_table_edges(edges: list[dict], tol: float = 2.0) -> list[float]:
    """y of the missing rule where a table is left open at a page break (its
    vertical rules end, or start, without a horizontal rule there), so that the
    broken row is still found as a cell."""
    verticals = [e for e in edges if e["orientation"] == "v"]
    horizontals = [e for e in edges if e["orientation"] == "h"]

    def closed(x: float, y: float) -> bool:
        return any(abs(h["top"] - y) <= tol and h["x0"] - tol <= x <= h["x1"] + tol for h in horizontals)

    ys: set[float] = set()
    for v in verticals:
        for y in (v["top"], v["bottom"]):
            if not closed(v["x0"], y):
                ys.add(round(y, 1))
    return sorted(ys)


# --- characters → lines ----------------------------------------------------------


def chars_to_lines(chars: list[Char] | tuple[Char, ...]) -> list[Line]:
    """Group characters into lines by their vertical centre, left to right; a
    visible gap between two characters becomes a space."""
    out: list[Line] = []
    groups: list[list[Char]] = []
    for c in sorted(chars, key=lambda c: ((c.top + c.bottom) / 2, c.x0)):
        mid = (c.top + c.bottom) / 2
        if groups:
            g = groups[-1]
            gmid = statistics.median((x.top + x.bottom) / 2 for x in g)
            if abs(mid - gmid) <= 0.45 * max(c.size, g[0].size):
                g.append(c)
                continue
        groups.append([c])
    for g in groups:
        g.sort(key=lambda c: c.x0)
        parts: list[str] = []
        prev: Char | None = None
        for c in g:
            if prev is not None and c.x0 - prev.x1 > 0.3 * c.size and c.text != " " and prev.text != " ":
                parts.append(" ")
            parts.append(c.text)
            prev = c
        text = "".join(parts).translate(_CID_LOOKALIKES).strip()
        if text:
            out.append(Line(text, g[0].x0, max(c.x1 for c in g), min(c.top for c in g), max(c.bottom for c in g),
                            statistics.median(c.size for c in g), _lead_width(g)))
    return out


def _lead_width(chars: list[Char]) -> float:
    """Width of the first word a line breaker could not split: a run of Latin
    letters, digits and their punctuation, else the first character."""
    chars = [c for c in chars if c.text != " "]
    if not chars:
        return 0.0
    end = chars[0]
    for c in chars:
        if not (c.text.isascii() and (c.text.isalnum() or c.text in ".,%:/-()+&")):
            break
        end = c
    return end.x1 - chars[0].x0


def _inside(c: Char, box: BBox) -> bool:
    """By the character's left edge: a character that may not start a line
    (ー 」 。) hangs past the right rule of its cell, but starts inside it."""
    x, y = c.x0 + min(1.0, (c.x1 - c.x0) / 4), (c.top + c.bottom) / 2
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def page_to_lines(page: RawPage) -> list[Line]:
    """Text lines outside the page's tables, top to bottom."""
    chars = [c for c in page.chars if not any(_inside(c, t.bbox) for t in page.tables)]
    return chars_to_lines(chars)


def _gap_threshold(gaps: list[float], size: float) -> float:
    """A vertical gap larger than this starts a new paragraph."""
    usual = sorted(g for g in gaps if -1 < g < 1.5 * size)
    # wrapped lines are the closest; a page whose cells are all one-line items has none
    base = min(usual[len(usual) // 4], 0.5 * size) if len(usual) >= 3 else 0.35 * size
    return base + 0.25 * size


def cell_lines_to_text(lines: list[Line], threshold: float) -> str:
    """Lines of one cell → text with line breaks, an empty line at a paragraph gap."""
    out: list[str] = []
    for i, line in enumerate(lines):
        if i and line.top - lines[i - 1].bottom > threshold:
            out.append("")
        out.append(line.text)
    return "\n".join(out)


def page_to_tables(page: RawPage) -> list[PageTable]:
    """Ruled tables of the page, each cell as normalised text."""
    cell_lines: dict[tuple[int, int, int], list[Line]] = {}
    gaps: list[float] = []
    sizes: list[float] = []
    for ti, t in enumerate(page.tables):
        chars = [c for c in page.chars if _inside(c, t.bbox)]
        for ri, row in enumerate(t.rows):
            for ci, box in enumerate(row):
                if box is None:
                    continue
                lines = chars_to_lines([c for c in chars if _inside(c, box)])
                cell_lines[ti, ri, ci] = lines
                gaps += [b.top - a.bottom for a, b in zip(lines, lines[1:])]
                sizes += [ln.size for ln in lines]
    size = statistics.median(sizes) if sizes else 10.0
    threshold = _gap_threshold(gaps, size)
    out = []
    for ti, t in enumerate(page.tables):
        rows = []
        for ri, row in enumerate(t.rows):
            cells = tuple((round(box[0], 1), normalize_text(cell_lines_to_text(cell_lines[ti, ri, ci], threshold)).strip())
                          for ci, box in enumerate(row) if box is not None)
            if any(text for _, text in cells):
                rows.append(cells)
        columns = sorted({round(b[0], 1) for r in t.rows for b in r if b} | {round(t.bbox[2], 1)})
        if rows:
            out.append(PageTable(tuple(rows), tuple(columns), t.bbox[1], t.bbox[3]))
    return out


def row_to_cells(row: tuple[tuple[float, str], ...], columns: tuple[float, ...], tol: float = 2.0) -> tuple[str, ...]:
    """Cells at their column positions ("" where a merged cell covers one);
    trailing empty cells dropped, as the text reader does."""
    cells = []
    for x in columns[:-1]:
        cells.append(next((text for cx, text in row if abs(cx - x) <= tol), ""))
    while len(cells) > 1 and not cells[-1]:
        cells.pop()
    return tuple(cells)


def pages_to_text(pages: list[RawPage]) -> list[PageText]:
    return [PageText(p.number, p.height, tuple(page_to_lines(p)), tuple(page_to_tables(p))) for p in pages]


# --- running headers and footers -----------------------------------------------

_PAGE_NUMBER = re.compile(r"^(?:[-‐–—]\s*\d{1,4}\s*[-‐–—]|\d{1,4}|\d{1,4}\s*/\s*\d{1,4}|(?:p|P|page|Page)\.?\s*\d{1,4}|\d{1,4}\s*ページ)$")
EDGE_ZONE = 0.12  # share of the page height at the top and at the bottom where running lines live


def _zone_lines(page: PageText) -> list[tuple[str, Line]]:
    """The first and last lines of a page when they sit in the edge zones, apart
    from the body (a gap of more than one and a half lines): where running
    headers, footers and page numbers are."""
    out = []
    tops = [t.top for t in page.tables]
    bottoms = [t.bottom for t in page.tables]
    lines = list(page.lines)
    for i, line in enumerate(lines[:2]):
        below = lines[i + 1].top if i + 1 < len(lines) else min(tops, default=page.height)
        below = min([below] + [t for t in tops if t >= line.bottom])
        if line.bottom < page.height * EDGE_ZONE and all(line.bottom <= t for t in tops) \
                and below - line.bottom > 1.5 * line.size:
            out.append(("top", line))
    for i in range(max(0, len(lines) - 2), len(lines)):
        line = lines[i]
        above = lines[i - 1].bottom if i else max(bottoms, default=0.0)
        above = max([above] + [b for b in bottoms if b <= line.top])
        if line.top > page.height * (1 - EDGE_ZONE) and all(line.top >= b for b in bottoms) \
                and line.top - above > 1.5 * line.size:
            out.append(("bottom", line))
    return out


def running_key(text: str) -> str:
    return re.sub(r"\d+", "#", squash(text))


def strip_running_lines(pages: list[PageText]) -> list[PageText]:
    """Drop page numbers and the lines repeated (digits masked) at the top or the
    bottom of most pages: the running header and footer."""
    counts: dict[tuple[str, str], int] = {}
    for p in pages:
        for where, key in {(w, running_key(l.text)) for w, l in _zone_lines(p)}:
            counts[where, key] = counts.get((where, key), 0) + 1
    need = max(2, int(len(pages) * 0.4 + 0.5))
    running = {k for k, n in counts.items() if n >= need}
    out = []
    for p in pages:
        drop = {id(l) for w, l in _zone_lines(p)
                if (w, running_key(l.text)) in running or _PAGE_NUMBER.match(squash(l.text))}
        out.append(replace(p, lines=tuple(l for l in p.lines if id(l) not in drop)))
    return out


# --- lines → paragraphs ------------------------------------------------------------

_HEADING = re.compile(r"^(?:第\d+章|\d+-\d+\.|\d+\)|【|[(（][アイウエ工][)）]|📍)")


def starts_item(text: str) -> bool:
    """A line that begins a paragraph of its own: ■ headline, bullet, 📍, heading."""
    t = normalize_text(text)
    return line_kind(t) in ("headline", "bullet", "pin") or bool(_HEADING.match(t))


def text_right_edge(pages: list[PageText]) -> float:
    """Where full lines end: a high percentile of the lines' right ends."""
    ends = sorted(l.x1 for p in pages for l in p.lines if len(l.text) >= 8)
    if not ends:
        return max((l.x1 for p in pages for l in p.lines), default=0.0)
    return ends[int(len(ends) * 0.9)]


def ended_full(prev: Line, nxt: Line, right: float) -> bool:
    """Whether ``prev`` ended because the next word did not fit (a wrap), not
    because its paragraph ended. A line may end a character short (kinsoku:
    「 may not end a line, 。 may not start one)."""
    size = max(prev.size, nxt.size)
    return prev.x1 >= right - max(1.6 * size, nxt.lead + 1.1 * size)


def wrap_gap_ratio(pages: list[PageText], right: float) -> float:
    """The usual gap between a line and its wrapped continuation, as a share of
    the font size, over the whole document (a page of one-line bullets alone
    would mistake the paragraph spacing for it)."""
    ratios = [(b.top - a.bottom) / a.size for p in pages for a, b in zip(p.lines, p.lines[1:])
              if abs(a.size - b.size) <= 0.6 and -1 <= b.top - a.bottom < 1.5 * a.size
              and ended_full(a, b, right) and not starts_item(b.text)]
    return statistics.median(ratios) if len(ratios) >= 3 else 0.35


def _continues(para: list[Line], line: Line, right: float, gap_ratio: float) -> bool:
    prev = para[-1]
    size = max(prev.size, line.size)
    if abs(line.size - prev.size) > 0.6 or line.top < prev.top:
        return False
    if line.top - prev.bottom > (gap_ratio + 0.25) * size:  # paragraph spacing
        return False
    if not ended_full(prev, line, right):
        return False
    if starts_item(line.text):
        return False
    if len(para) == 1:  # first-line indent, or a hanging indent after a bullet
        hang = 3.0 * size if starts_item(prev.text) else 0.5 * size
        return prev.x0 - 2.2 * size <= line.x0 <= prev.x0 + hang
    return abs(line.x0 - para[1].x0) <= 0.5 * size


def lines_to_paragraphs(lines: list[Line] | tuple[Line, ...], right: float, gap_ratio: float = 0.35) -> list[Para]:
    """Lines → paragraphs. Wrapped lines are joined without a space (Japanese)."""
    groups: list[list[Line]] = []
    for line in lines:
        if groups and _continues(groups[-1], line, right, gap_ratio):
            groups[-1].append(line)
        else:
            groups.append([line])
    out = []
    for g in groups:
        text = normalize_text("".join(l.text for l in g)).strip()
        if text:
            out.append(Para(text, g[0].top, g[0], g[-1], g[1].x0 if len(g) > 1 else g[0].x0))
    return out


def continues_paragraph(para: Para, line: Line, right: float) -> bool:
    """Whether ``line``, first on the next page, continues ``para``, last on this one."""
    size = max(para.last.size, line.size)
    return (abs(para.last.size - line.size) <= 0.6 and ended_full(para.last, line, right)
            and not starts_item(line.text) and abs(line.x0 - para.indent) <= 0.5 * size)


# --- blocks ----------------------------------------------------------------------


def page_to_blocks(page: PageText, right: float, gap_ratio: float = 0.35) -> list[Para | PageTable]:
    """Paragraphs and tables of one page in reading order (by their top)."""
    items: list[Para | PageTable] = [*lines_to_paragraphs(page.lines, right, gap_ratio), *page.tables]
    return sorted(items, key=lambda b: b.top)


def continues_table(columns: tuple[float, ...], b: PageTable, tol: float = 2.0) -> bool:
    """Same outer rules, and every column of ``b`` is one of ``columns`` (a merged
    cell may hide a column rule on the new page)."""
    return (abs(columns[0] - b.columns[0]) <= tol and abs(columns[-1] - b.columns[-1]) <= tol
            and all(any(abs(x - y) <= tol for y in columns) for x in b.columns))


def join_pages(pages: list[tuple[int, list[Para | PageTable]]], right: float) -> list[Block]:
    """Blocks of the whole document. A table that ends a page and one with the
    same columns that starts the next are one table (a header row repeated on
    the new page is dropped); a paragraph cut by the page break is one paragraph."""
    blocks: list[Block] = []
    last: Para | PageTable | None = None  # the last item of the previous page, while it may continue
    columns: tuple[float, ...] = ()
    for number, items in pages:
        for i, item in enumerate(items):
            cont = i == 0 and last is not None
            if isinstance(item, Para):
                if cont and isinstance(last, Para) and continues_paragraph(last, item.first, right):
                    prev = blocks[-1]
                    blocks[-1] = Paragraph(normalize_text(prev.text + item.text), prev.loc)
                else:
                    blocks.append(Paragraph(item.text, Loc(page=number)))
                continue
            if cont and isinstance(last, PageTable) and continues_table(columns, item):
                rows = [Row(row_to_cells(r, columns), Loc(page=number)) for r in item.rows]
                joined = list(blocks[-1].rows)
                if rows and squash("".join(rows[0].cells)) == squash("".join(joined[0].cells)):
                    rows = rows[1:]  # the header row, repeated on the new page
                blocks[-1] = Table(tuple(joined + rows))
            else:
                columns = item.columns
                blocks.append(Table(tuple(Row(row_to_cells(r, columns), Loc(page=number)) for r in item.rows)))
        last = items[-1] if items else None
    return [b for b in blocks if not isinstance(b, Table) or b.rows]


# --- the whole document ------------------------------------------------------------


def check_text_layer(path: Path, pages: list[RawPage]) -> None:
    """A scanned PDF has images but no characters: say which page, and to OCR it."""
    blank = [p for p in pages if not any(c.text.strip() for c in p.chars)]
    if not pages or len(blank) == len(pages) or \
            sum(1 for p in blank if p.images) * 2 > len(pages):
        first = next((p for p in blank if p.images), blank[0] if blank else None)
        where = f"{first.number} ページ目" if first else "どのページ"
        raise ImageOnlyPDFError(
            path, f"{where}に文字情報がありません",
            f"image-only PDF: page {first.number if first else 1} of {Path(path).name} has no text layer",
            "OCR をかけてテキスト付き PDF にしてください", "OCR it first, e.g. ocrmypdf")


def pdf_to_blocks(path: Path | str) -> tuple[list[Block], int]:
    """Blocks of a PDF with their pages (1-based), and the page count."""
    path = Path(path)
    raw = pdf_to_pages(path)
    check_text_layer(path, raw)
    pages = strip_running_lines(pages_to_text(raw))
    right = text_right_edge(pages)
    ratio = wrap_gap_ratio(pages, right)
    blocks = join_pages([(p.number, page_to_blocks(p, right, ratio)) for p in pages], right)
    return blocks, len(raw)


__all__ = ["pdf_to_blocks", "pdf_to_pages", "chars_to_lines", "page_to_lines", "page_to_tables",
           "lines_to_paragraphs", "strip_running_lines", "join_pages", "row_to_cells", "open_table_edges",
           "check_text_layer", "Char", "Line", "RawPage", "RawTable", "PageText", "PageTable"]
