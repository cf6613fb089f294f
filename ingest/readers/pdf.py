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

import bisect
import logging
import re
import statistics
from dataclasses import dataclass, replace
from pathlib import Path

from ingest.model import Block, DocumentModel, Furniture, Loc, Paragraph, Row, Table, Toc, line_kind
from ingest.readers.headings import LEADER, entries_to_toc, headings_to_levels, numbering_of, table_or_toc, toc_line_parts
from ingest.readers.pdf_furniture import footnotes_of, pages_to_furniture
from ingest.readers.pdf_headings import body_style, paragraphs_to_headings
from ingest.readers.settings import DEFAULT_SETTINGS, ReaderSettings
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
    font: str = ""  # font name without the subset prefix ("MS-Gothic", "IPAexGothic")
    light: bool = False  # filled in white or near white (text on a dark band)


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
    fills: tuple[BBox, ...] = ()  # filled, non-white rectangles (bands, shaded cells)
    rules: tuple[BBox, ...] = ()  # thin horizontal lines outside tables (a footnote rule)


@dataclass(frozen=True)
class Line:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    lead: float = 0.0  # width of the line's first unbreakable word ("39.7%", or one kanji)
    font: str = ""  # the font most of its characters use
    light: bool = False  # white (or near) text
    band: bool = False  # drawn on a filled band


@dataclass(frozen=True)
class PageTable:
    rows: tuple[tuple[tuple[float, str], ...], ...]  # each row: (left x, text) of its cells
    columns: tuple[float, ...]  # left x of every column, then the table's right x
    top: float
    bottom: float
    header_rows: int = 0


@dataclass(frozen=True)
class Para:
    text: str
    top: float
    first: Line
    last: Line
    indent: float  # x of the paragraph's wrapped lines (its first line's x when it has one line)
    lines: int = 1


@dataclass(frozen=True)
class PageText:
    number: int
    height: float
    lines: tuple[Line, ...]  # outside tables
    tables: tuple[PageTable, ...]


# --- the file ------------------------------------------------------------------


def pdf_to_pages(path: Path, settings: ReaderSettings = DEFAULT_SETTINGS) -> list[RawPage]:
    """Characters, ruled tables, fills and image counts of every page. pdfminer's
    exceptions become ``EncryptedPDFError`` / ``CorruptPDFError``."""
    import pdfplumber
    try:
        with pdfplumber.open(path) as pdf:
            out = []
            for i, page in enumerate(pdf.pages, start=1):
                out.append(_raw_page(page, i, settings))
                page.close()  # pdfplumber caches every page's objects otherwise
            return out
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


def _light(color) -> bool:
    """White or near white in gray, RGB or CMYK."""
    if not isinstance(color, (tuple, list)) or not color or not all(isinstance(v, (int, float)) for v in color):
        return False
    if len(color) == 4:  # CMYK: no ink
        return max(color) <= 0.15
    return min(color) >= 0.85


def _font_name(name: str) -> str:
    return name.split("+", 1)[1] if "+" in name[:8] else name


def _raw_page(page, number: int, settings: ReaderSettings = DEFAULT_SETTINGS) -> RawPage:
    chars = tuple(
        Char(c["text"], float(c["x0"]), float(c["x1"]), float(c["top"]), float(c["bottom"]), float(c["size"]),
             _font_name(c.get("fontname", "")), _light(c.get("non_stroking_color")))
        for c in page.chars if c.get("upright", True))
    fills, rules = [], []
    for r in page.rects:
        box = (float(r["x0"]), float(r["top"]), float(r["x1"]), float(r["bottom"]))
        if r.get("fill") and not _light(r.get("non_stroking_color")) and box[3] - box[1] > 4:
            fills.append(box)
        elif box[3] - box[1] <= 2 and box[2] - box[0] > 20:
            rules.append(box)
    fills += [(float(r["x0"]), float(r["top"]), float(r["x1"]), float(r["bottom"])) for r in page.curves
              if r.get("fill") and not _light(r.get("non_stroking_color")) and r["bottom"] - r["top"] > 4]
    finder = page.debug_tablefinder({"explicit_horizontal_lines": open_table_edges(page.edges, settings.rule_tolerance)})
    def band(box) -> bool:  # a filled rectangle's own edges make a one-cell "table": it is a band
        return any(abs(f[0] - box[0]) <= 2 and abs(f[1] - box[1]) <= 2 and abs(f[2] - box[2]) <= 2
                   and abs(f[3] - box[3]) <= 2 for f in fills)

    tables = [RawTable(tuple(t.bbox), tuple(tuple(r.cells) for r in t.rows)) for t in finder.tables
              if not (len(t.cells) == 1 and band(t.bbox))]
    # pdfplumber drops one-cell tables; a boxed heading row is one, and holds text
    in_tables = {c for t in finder.tables for c in t.cells}
    tables += [RawTable(tuple(c), ((tuple(c),),)) for c in finder.cells if c not in in_tables and not band(c)]
    return RawPage(number, float(page.width), float(page.height), chars, tuple(tables), len(page.images),
                   tuple(fills), tuple(rules))


def open_table_edges(edges: list[dict], tol: float = DEFAULT_SETTINGS.rule_tolerance) -> list[float]:
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


def chars_to_lines(chars: list[Char] | tuple[Char, ...], settings: ReaderSettings = DEFAULT_SETTINGS) -> list[Line]:
    """Group characters into lines by their vertical centre, left to right; a
    visible gap between two characters becomes a space."""
    out: list[Line] = []
    groups: list[list[Char]] = []
    mids: list[float] = []  # the current group's centres, sorted (for its median)
    for c in sorted(chars, key=lambda c: ((c.top + c.bottom) / 2, c.x0)):
        mid = (c.top + c.bottom) / 2
        if groups:
            g = groups[-1]
            n = len(mids)
            gmid = mids[n // 2] if n % 2 else (mids[n // 2 - 1] + mids[n // 2]) / 2
            if abs(mid - gmid) <= settings.line_overlap * max(c.size, g[0].size):
                g.append(c)
                bisect.insort(mids, mid)
                continue
        groups.append([c])
        mids = [mid]
    for g in groups:
        g.sort(key=lambda c: c.x0)
        g = _without_superscripts(g, settings)
        parts: list[str] = []
        prev: Char | None = None
        for c in g:
            if prev is not None and c.x0 - prev.x1 > settings.word_gap * c.size and c.text != " " and prev.text != " ":
                parts.append(" ")
            parts.append(c.text)
            prev = c
        text = "".join(parts).translate(_CID_LOOKALIKES).strip()
        if text:
            ink = [c for c in g if c.text.strip()] or g
            out.append(Line(text, g[0].x0, max(c.x1 for c in g), min(c.top for c in g), max(c.bottom for c in g),
                            statistics.median(c.size for c in g), _lead_width(g),
                            statistics.mode(c.font for c in ink), sum(c.light for c in ink) * 2 > len(ink)))
    return out


def _without_superscripts(g: list[Char], settings: ReaderSettings) -> list[Char]:
    """A line's characters without footnote marks: small digits raised above the
    line ("状態¹は" is read "状態は"; the footnote itself is furniture)."""
    if len(g) < 3:
        return g
    size = statistics.median(c.size for c in g)
    base = statistics.median(c.bottom for c in g)
    keep = [c for c in g if not (c.size <= settings.superscript_ratio * size and c.bottom < base - 0.2 * size
                                 and (c.text.isdigit() or c.text in "*※)）"))]
    return keep or g


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


def page_to_lines(page: RawPage, settings: ReaderSettings = DEFAULT_SETTINGS) -> list[Line]:
    """Text lines outside the page's tables, top to bottom; a line on a filled band is marked."""
    chars = [c for c in page.chars if not any(_inside(c, t.bbox) for t in page.tables)]
    lines = chars_to_lines(chars, settings)
    if page.fills:
        lines = [replace(ln, band=True) if any(_on_fill(ln, f) for f in page.fills) else ln for ln in lines]
    return lines


def _on_fill(line: Line, box: BBox) -> bool:
    mid = (line.top + line.bottom) / 2
    return box[1] - 1 <= mid <= box[3] + 1 and box[0] - 2 <= line.x0 and line.x1 <= box[2] + 2


def _gap_threshold(gaps: list[float], size: float, settings: ReaderSettings = DEFAULT_SETTINGS) -> float:
    """A vertical gap larger than this starts a new paragraph."""
    usual = sorted(g for g in gaps if -1 < g < 1.5 * size)
    # wrapped lines are the closest; a page whose cells are all one-line items has none
    base = min(usual[len(usual) // 4], settings.cell_gap_cap * size) if len(usual) >= 3 \
        else settings.default_wrap_gap * size
    return base + settings.paragraph_gap * size


def cell_lines_to_text(lines: list[Line], threshold: float) -> str:
    """Lines of one cell → text with line breaks, an empty line at a paragraph gap."""
    out: list[str] = []
    for i, line in enumerate(lines):
        if i and line.top - lines[i - 1].bottom > threshold:
            out.append("")
        out.append(line.text)
    return "\n".join(out)


def page_to_tables(page: RawPage, settings: ReaderSettings = DEFAULT_SETTINGS) -> list[PageTable]:
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
                lines = chars_to_lines([c for c in chars if _inside(c, box)], settings)
                cell_lines[ti, ri, ci] = lines
                gaps += [b.top - a.bottom for a, b in zip(lines, lines[1:])]
                sizes += [ln.size for ln in lines]
    size = statistics.median(sizes) if sizes else 10.0
    threshold = _gap_threshold(gaps, size, settings)
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
            header = 1 if _header_row(page, t, [cell_lines.get((ti, ri, ci), []) for ri, r in enumerate(t.rows)
                                                   for ci, _ in enumerate(r)]) else 0
            out.append(PageTable(tuple(rows), tuple(columns), t.bbox[1], t.bbox[3], header))
    return out


def _header_row(page: RawPage, table: RawTable, _lines) -> bool:
    """The first row is a heading row when it is shaded (a fill under all its
    cells) or set in another font than the rest of the table."""
    if len(table.rows) < 2 or not table.rows[0]:
        return False
    first = [b for b in table.rows[0] if b is not None]
    if len(first) < 2:
        return False
    if page.fills and all(any(f[0] - 1 <= b[0] and b[2] <= f[2] + 1 and f[1] - 1 <= b[1] and b[3] <= f[3] + 1
                              for f in page.fills) for b in first):
        return True
    head = [c.font for c in page.chars if any(_inside(c, b) for b in first) and c.text.strip()]
    rest_boxes = [b for r in table.rows[1:] for b in r if b is not None]
    rest = [c.font for c in page.chars if _inside(c, table.bbox) and c.text.strip()
            and any(_inside(c, b) for b in rest_boxes)]
    if not head or not rest:
        return False
    return statistics.mode(head) != statistics.mode(rest) and statistics.mode(rest) not in set(head)


def row_to_cells(row: tuple[tuple[float, str], ...], columns: tuple[float, ...],
                 tol: float = DEFAULT_SETTINGS.rule_tolerance) -> tuple[str, ...]:
    """Cells at their column positions ("" where a merged cell covers one);
    trailing empty cells dropped, as the text reader does."""
    cells = []
    for x in columns[:-1]:
        cells.append(next((text for cx, text in row if abs(cx - x) <= tol), ""))
    while len(cells) > 1 and not cells[-1]:
        cells.pop()
    return tuple(cells)


def pages_to_text(pages: list[RawPage], settings: ReaderSettings = DEFAULT_SETTINGS) -> list[PageText]:
    return [PageText(p.number, p.height, tuple(page_to_lines(p, settings)), tuple(page_to_tables(p, settings)))
            for p in pages]


# --- lines → paragraphs ------------------------------------------------------------

def starts_item(text: str) -> bool:
    """A line that begins a paragraph of its own: ■ headline, bullet, 📍, a heading number."""
    t = normalize_text(text)
    return line_kind(t) in ("headline", "bullet", "pin") or t.startswith("📍") or numbering_of(t) is not None


def text_right_edge(pages: list[PageText], settings: ReaderSettings = DEFAULT_SETTINGS) -> float:
    """Where full lines end: a high percentile of the lines' right ends."""
    ends = sorted(l.x1 for p in pages for l in p.lines if len(l.text) >= 8)
    if not ends:
        return max((l.x1 for p in pages for l in p.lines), default=0.0)
    return ends[min(len(ends) - 1, int(len(ends) * settings.full_line_percentile))]


def ended_full(prev: Line, nxt: Line, right: float, settings: ReaderSettings = DEFAULT_SETTINGS) -> bool:
    """Whether ``prev`` ended because the next word did not fit (a wrap), not
    because its paragraph ended. A line may end a character short (kinsoku:
    「 may not end a line, 。 may not start one)."""
    size = max(prev.size, nxt.size)
    return prev.x1 >= right - max(settings.wrap_slack * size, nxt.lead + settings.wrap_lead_slack * size)


def wrap_gap_ratio(pages: list[PageText], right: float, settings: ReaderSettings = DEFAULT_SETTINGS) -> float:
    """The usual gap between a line and its wrapped continuation, as a share of
    the font size, over the whole document (a page of one-line bullets alone
    would mistake the paragraph spacing for it)."""
    ratios = [(b.top - a.bottom) / a.size for p in pages for a, b in zip(p.lines, p.lines[1:])
              if abs(a.size - b.size) <= settings.size_tolerance and -1 <= b.top - a.bottom < 1.5 * a.size
              and ended_full(a, b, right, settings) and not starts_item(b.text)]
    return statistics.median(ratios) if len(ratios) >= 3 else settings.default_wrap_gap


def _continues(para: list[Line], line: Line, right: float, gap_ratio: float,
               settings: ReaderSettings = DEFAULT_SETTINGS) -> bool:
    prev = para[-1]
    size = max(prev.size, line.size)
    if abs(line.size - prev.size) > settings.size_tolerance or line.top < prev.top:
        return False
    if line.top - prev.bottom > (gap_ratio + settings.paragraph_gap) * size:  # paragraph spacing
        return False
    if prev.band != line.band or prev.light != line.light:  # a band's text is apart from the body
        return False
    if not ended_full(prev, line, right, settings):
        return False
    if starts_item(line.text):
        return False
    if len(para) == 1:  # first-line indent, or a hanging indent after a bullet
        hang = (settings.hang_indent if starts_item(prev.text) else settings.indent_tolerance) * size
        return prev.x0 - settings.outdent * size <= line.x0 <= prev.x0 + hang
    return abs(line.x0 - para[1].x0) <= settings.indent_tolerance * size


def lines_to_paragraphs(lines: list[Line] | tuple[Line, ...], right: float, gap_ratio: float = 0.35,
                        settings: ReaderSettings = DEFAULT_SETTINGS) -> list[Para]:
    """Lines → paragraphs. Wrapped lines are joined without a space (Japanese)."""
    groups: list[list[Line]] = []
    for line in lines:
        if groups and _continues(groups[-1], line, right, gap_ratio, settings):
            groups[-1].append(line)
        else:
            groups.append([line])
    out = []
    for g in groups:
        text = normalize_text("".join(l.text for l in g)).strip()
        if text:
            out.append(Para(text, g[0].top, g[0], g[-1], g[1].x0 if len(g) > 1 else g[0].x0, len(g)))
    return out


def continues_paragraph(para: Para, line: Line, right: float, settings: ReaderSettings = DEFAULT_SETTINGS) -> bool:
    """Whether ``line``, first on the next page, continues ``para``, last on this one."""
    size = max(para.last.size, line.size)
    return (abs(para.last.size - line.size) <= settings.size_tolerance and ended_full(para.last, line, right, settings)
            and not starts_item(line.text) and abs(line.x0 - para.indent) <= settings.indent_tolerance * size)


# --- blocks ----------------------------------------------------------------------


@dataclass(frozen=True)
class TocLines:
    """Lines of a table of contents on one page: (title, page label, line)."""
    entries: tuple[tuple[str, str, Line], ...]
    top: float


def lines_to_toc_runs(lines: list[Line] | tuple[Line, ...], settings: ReaderSettings = DEFAULT_SETTINGS
                      ) -> list[list[Line] | TocLines]:
    """Split a page's lines into runs of body lines and runs of contents lines
    (a title, a dot leader and a page label; a title wrapped before its leader
    joins the next line)."""
    out: list[list[Line] | TocLines] = []
    entries: list[tuple[str, str, Line]] = []
    body: list[Line] = []
    pending: Line | None = None
    label_right: float | None = None  # where the page labels of the entries so far end
    for line in lines:
        parts = None
        if pending is not None:  # the rest of a title wrapped before its leader …
            text = pending.text + line.text
            parts = toc_line_parts(text) if LEADER.search(text) else None
        if parts is None:  # … or a line of its own (a leader, or a numbered title and a label amid entries)
            if pending is not None:
                body.append(pending)
                pending = None
            parts = toc_line_parts(line.text) if LEADER.search(line.text) or entries else None
        if parts is None and entries and label_right is not None and abs(line.x1 - label_right) <= line.size:
            m = re.match(r"^(.*\D)(\d{1,4})$", normalize_text(line.text).strip())  # a label set without a gap
            if m and numbering_of(m.group(1)):
                parts = (m.group(1).strip(), m.group(2))
        if parts:
            label_right = line.x1
            if body:
                if len(body) > 1 or entries:
                    out.append(body)
                    body = []
            entries.append((parts[0], parts[1], pending or line))
            pending = None
            continue
        if entries and pending is None and len(line.text) <= settings.heading_max_chars and not LEADER.search(line.text):
            pending = line  # maybe a title wrapped before its leader
            continue
        if pending is not None:
            body.append(pending)
            pending = None
        if entries:
            out.append(TocLines(tuple(entries), entries[0][2].top))
            entries = []
        body.append(line)
    if pending is not None:
        body.append(pending)
    if entries:
        out.append(TocLines(tuple(entries), entries[0][2].top))
    if body:
        out.append(body)
    # a run too short to be a table of contents is body text
    merged: list[list[Line] | TocLines] = []
    for run in out:
        if isinstance(run, TocLines) and len(run.entries) < settings.toc_min_entries and \
                not (merged and isinstance(merged[-1], TocLines)):
            run = [e[2] for e in run.entries]
        if isinstance(run, list) and merged and isinstance(merged[-1], list):
            merged[-1] = merged[-1] + run
        else:
            merged.append(run)
    return merged


def page_to_blocks(page: PageText, right: float, gap_ratio: float = 0.35,
                   settings: ReaderSettings = DEFAULT_SETTINGS) -> list[Para | PageTable | TocLines]:
    """Paragraphs, tables and contents lines of one page in reading order (by their top)."""
    items: list[Para | PageTable | TocLines] = list(page.tables)
    for run in lines_to_toc_runs(page.lines, settings):
        if isinstance(run, TocLines):
            items.append(run)
        else:
            items.extend(lines_to_paragraphs(run, right, gap_ratio, settings))
    return sorted(items, key=lambda b: b.top)


def continues_table(columns: tuple[float, ...], b: PageTable, tol: float = DEFAULT_SETTINGS.rule_tolerance) -> bool:
    """Same outer rules, and every column of ``b`` is one of ``columns`` (a merged
    cell may hide a column rule on the new page)."""
    return (abs(columns[0] - b.columns[0]) <= tol and abs(columns[-1] - b.columns[-1]) <= tol
            and all(any(abs(x - y) <= tol for y in columns) for x in b.columns))


def join_pages(pages: list[tuple[int, list[Para | PageTable | TocLines]]], right: float,
               printed: dict[int, str] | None = None, settings: ReaderSettings = DEFAULT_SETTINGS,
               starts: dict[int, Para] | None = None) -> list[Block]:
    """Blocks of the whole document. A table that ends a page and one with the
    same columns that starts the next are one table (a header row repeated on
    the new page is dropped); a paragraph cut by the page break is one paragraph;
    contents lines on consecutive pages are one table of contents. ``starts``,
    when given, receives the ``Para`` each paragraph block starts with (its
    typography, for headings)."""
    printed = printed or {}
    tol = settings.rule_tolerance
    blocks: list[Block] = []
    toc_parts: list[tuple[str, str, Loc, float]] = []
    last: Para | PageTable | TocLines | None = None  # the last item of the previous page, while it may continue
    columns: tuple[float, ...] = ()
    for number, items in pages:
        loc = Loc(page=number, printed_page=printed.get(number))
        for i, item in enumerate(items):
            cont = i == 0 and last is not None
            if isinstance(item, TocLines):
                parts = [(t, lab, loc, ln.x0) for t, lab, ln in item.entries]
                if blocks and isinstance(blocks[-1], Toc) and (cont or i > 0 and isinstance(items[i - 1], TocLines)):
                    toc_parts.extend(parts)
                else:
                    toc_parts = parts
                    blocks.append(Toc((), loc))
                blocks[-1] = entries_to_toc(toc_parts)
                continue
            if isinstance(item, Para):
                if cont and isinstance(last, Para) and isinstance(blocks[-1], Paragraph) \
                        and continues_paragraph(last, item.first, right, settings):
                    prev = blocks[-1]
                    blocks[-1] = Paragraph(normalize_text(prev.text + item.text), prev.loc)
                else:
                    if starts is not None:
                        starts[len(blocks)] = item
                    blocks.append(Paragraph(item.text, loc))
                continue
            if cont and isinstance(last, PageTable) and isinstance(blocks[-1], Table) \
                    and continues_table(columns, item, tol):
                rows = [Row(row_to_cells(r, columns, tol), loc) for r in item.rows]
                joined = list(blocks[-1].rows)
                if rows and squash("".join(rows[0].cells)) == squash("".join(joined[0].cells)):
                    rows = rows[1:]  # the header row, repeated on the new page
                blocks[-1] = Table(tuple(joined + rows), blocks[-1].header_rows)
            else:
                columns = item.columns
                blocks.append(Table(tuple(Row(row_to_cells(r, columns, tol), loc) for r in item.rows),
                                    item.header_rows))
        last = items[-1] if items else None
    return [b for b in blocks if not isinstance(b, Table) or b.rows]


# --- the whole document ------------------------------------------------------------


def check_text_layer(path: Path, pages: list[RawPage]) -> None:
    """A scanned PDF has images but no characters: say which page, and to OCR it."""
    if not pages:
        raise CorruptPDFError(path, "PDF にページがありません（0 ページ）", f"the PDF has no pages: {Path(path).name}",
                              "元の PDF を書き出し直してください", "export it again")
    blank = [p for p in pages if not any(c.text.strip() for c in p.chars)]
    if not pages or len(blank) == len(pages) or \
            sum(1 for p in blank if p.images) * 2 > len(pages):
        first = next((p for p in blank if p.images), blank[0] if blank else None)
        where = f"{first.number} ページ目" if first else "どのページ"
        raise ImageOnlyPDFError(
            path, f"{where}に文字情報がありません",
            f"image-only PDF: page {first.number if first else 1} of {Path(path).name} has no text layer",
            "OCR をかけてテキスト付き PDF にしてください", "OCR it first, e.g. ocrmypdf")


def pdf_to_document(path: Path | str, settings: ReaderSettings = DEFAULT_SETTINGS) -> DocumentModel:
    """The document model of a PDF: blocks with their pages (index and printed
    number), headings with levels, the table of contents, and the furniture."""
    path = Path(path)
    raw = pdf_to_pages(path, settings)
    check_text_layer(path, raw)
    fills = {p.number: p for p in raw}
    pages, furniture, printed = pages_to_furniture(pages_to_text(raw, settings), settings)
    body = body_style(pages)
    kept = []
    for p in pages:
        lines, notes = footnotes_of(p, fills[p.number].rules, body.size, settings)
        furniture += [Furniture(normalize_text(l.text).strip(), Loc(page=p.number, printed_page=printed.get(p.number)),
                                "footnote") for l in notes]
        kept.append(replace(p, lines=tuple(lines)))
    pages = kept
    right = text_right_edge(pages, settings)
    ratio = wrap_gap_ratio(pages, right, settings)
    starts: dict[int, Para] = {}
    blocks = join_pages([(p.number, page_to_blocks(p, right, ratio, settings)) for p in pages], right,
                        printed, settings, starts)
    left = min((l.x0 for p in pages for l in p.lines), default=0.0)
    blocks, families = paragraphs_to_headings(blocks, starts, body, (left, right), settings)
    blocks = [table_or_toc(b, settings) if isinstance(b, Table) else b for b in blocks]
    blocks = headings_to_levels(blocks, families)
    furniture.sort(key=lambda f: f.loc.page or 0)
    return DocumentModel(tuple(blocks), tuple(furniture), len(raw), "pdf")


def pdf_to_blocks(path: Path | str, settings: ReaderSettings = DEFAULT_SETTINGS) -> tuple[list[Block], int]:
    """Blocks of a PDF with their pages (1-based), and the page count."""
    doc = pdf_to_document(path, settings)
    return list(doc.blocks), doc.pages or 0


__all__ = ["pdf_to_document", "pdf_to_blocks", "pdf_to_pages", "chars_to_lines", "page_to_lines", "page_to_tables",
           "lines_to_paragraphs", "join_pages", "row_to_cells", "open_table_edges",
           "check_text_layer", "Char", "Line", "RawPage", "RawTable", "PageText", "PageTable"]
