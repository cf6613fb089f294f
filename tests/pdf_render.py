"""Render the report's text export into report-like PDFs (test support).

The original PDF is not available offline, so the PDF path is tested on PDFs we
render ourselves from the raw export lines: Word-like A4 pages with a running
header and a page-number footer, ruled tables with merged cells that continue
(and break inside rows) across pages, wrapped paragraphs, HTML cells as separate
paragraphs and bullets. ``Layout`` varies the look (font, size, margins, column
widths, header/footer, and a text layer with the wrong code points as browsers
print it) so that the reader cannot depend on one layout.

Pipeline: ``export_to_render_blocks`` (pure: lines → paragraphs and tables) →
``render_blocks`` (reportlab).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path

from ingest.model import html_to_text, line_kind
from kb.core.normalize import repair_spaces

REPORT_TITLE = "孤独・孤立対策に関する地域連携推進モデル調査研究業務（関東、中国・四国1、九州地域）報告書"

IPAEX_MINCHO = Path("/usr/share/fonts/opentype/ipaexfont-mincho/ipaexm.ttf")
IPAEX_GOTHIC = Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf")
DEJAVU_SANS = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

CID_FONTS = {"HeiseiMin-W3": "HeiseiKakuGo-W5", "HeiseiKakuGo-W5": "HeiseiKakuGo-W5"}
TTF_FONTS = {"IPAexMincho": (IPAEX_MINCHO, "IPAexGothic"), "IPAexGothic": (IPAEX_GOTHIC, "IPAexGothic")}
FOOTERS = ("- {page} -", "{page} / {pages}", "{page}")


class LayoutError(ValueError):
    """A Layout with a value the renderer cannot honour."""


@dataclass(frozen=True)
class Layout:
    """How one rendered PDF looks. Checked on construction."""
    name: str
    font: str = "HeiseiMin-W3"  # a key of CID_FONTS or TTF_FONTS
    font_size: float = 10.5
    margins_mm: tuple[float, float, float, float] = (25.0, 22.0, 25.0, 22.0)  # top, right, bottom, left
    column_widths: str = "proportional"  # "proportional" to content | "equal"
    header: str = REPORT_TITLE  # running header ("" for none)
    footer: str = "- {page} -"  # one of FOOTERS
    wrong_code_points: bool = False  # browser-printed text layer (⽴ for 立, ⺠ for 民, ‧ for ・)
    hanging_bullets: bool = True  # wrapped bullet lines align with the text after ・
    first_line_indent: bool = False  # body paragraphs start one character in
    repeat_table_header: bool = False  # repeat a header row when a table continues
    page_break_sections: bool = True  # chapters and city sections start a new page

    def __post_init__(self) -> None:
        if self.font not in CID_FONTS and self.font not in TTF_FONTS:
            raise LayoutError(f"Layout {self.name}: unknown font {self.font!r}; use one of "
                              f"{sorted(CID_FONTS) + sorted(TTF_FONTS)}")
        if not 7 <= self.font_size <= 14:
            raise LayoutError(f"Layout {self.name}: font_size {self.font_size} outside 7–14 pt")
        if self.column_widths not in ("proportional", "equal"):
            raise LayoutError(f"Layout {self.name}: column_widths {self.column_widths!r}; use 'proportional' or 'equal'")
        if self.footer not in FOOTERS:
            raise LayoutError(f"Layout {self.name}: footer {self.footer!r}; use one of {FOOTERS}")
        if len(self.margins_mm) != 4 or not all(10 <= m <= 40 for m in self.margins_mm):
            raise LayoutError(f"Layout {self.name}: margins_mm {self.margins_mm} must be four values in 10–40 mm")
        if self.wrong_code_points and self.font not in TTF_FONTS:
            raise LayoutError(f"Layout {self.name}: wrong_code_points needs an embedded TTF font (a ToUnicode map); "
                              f"CID fonts map glyphs back to the right code points")

    def unavailable(self) -> str | None:
        """Why this layout cannot be rendered on this machine (a missing font file), or None."""
        if self.font in TTF_FONTS and not TTF_FONTS[self.font][0].exists():
            return f"{TTF_FONTS[self.font][0]} is missing (apt-get install fonts-ipaexfont; scripts/setup.sh --test does)"
        bold = TTF_FONTS[self.font][1] if self.font in TTF_FONTS else None
        if bold and not TTF_FONTS[bold][0].exists():
            return f"{TTF_FONTS[bold][0]} is missing (apt-get install fonts-ipaexfont)"
        return None


VARIANTS: tuple[Layout, ...] = (
    Layout("mincho-cid"),
    Layout("gothic-cid-narrow", font="HeiseiKakuGo-W5", font_size=9.0, margins_mm=(18.0, 15.0, 18.0, 15.0),
           column_widths="equal", header="地域連携推進モデル調査研究業務 報告書", footer="{page} / {pages}",
           hanging_bullets=False, first_line_indent=True, repeat_table_header=True),
    Layout("ipaex-browser", font="IPAexMincho", font_size=11.0, margins_mm=(30.0, 25.0, 28.0, 25.0),
           footer="{page}", wrong_code_points=True, page_break_sections=False),
)


# --- text export → render blocks (pure) ---------------------------------------

@dataclass(frozen=True)
class RPara:
    text: str
    style: str = "body"  # title | h1 | h2 | h3 | body | list | pin
    level: int = 0  # list nesting
    bold: bool = False
    page_break: bool = False


@dataclass(frozen=True)
class RTable:
    rows: tuple[tuple[str, ...], ...]


RBlock = RPara | RTable
CELL_PADDING = 4.0
FRAME_PADDING = 6.0  # reportlab's Frame default

_RULE_ROW = re.compile(r"^[\s\-|:\t]+$")
_LIST = re.compile(r"^(\s*)- (.*)$")
_H1 = re.compile(r"^第\d章")
_H2 = re.compile(r"^\d-\d{1,2}\.\s*\S")
_H3 = re.compile(r"^(?:\d\)|\d\.\s*\S|【.*】$|[(（][アイウエ工][)）]|コラム|自治体による従前からの取組$|試行的事業$)")


def export_to_render_blocks(text: str) -> list[RBlock]:
    """Export lines → paragraphs and tables, as the text reader sees them: lines
    with a tab are table rows (a blank line ends a table), others paragraphs."""
    blocks: list[RBlock] = []
    rows: list[tuple[str, ...]] = []
    seen_contents = False

    def flush() -> None:
        if rows:
            blocks.append(RTable(tuple(rows)))
            rows.clear()

    for raw in text.replace("\r\n", "\n").split("\n"):
        if "\t" in raw:
            if _RULE_ROW.match(raw):
                continue
            cells = [c.strip() for c in raw.split("\t")]
            while cells and not cells[-1]:
                cells.pop()
            if cells:
                rows.append(tuple(cells))
            continue
        flush()
        line = raw.rstrip()
        if not line.strip():
            continue
        if line.strip() in ("目次", "目 次"):
            seen_contents = True
        blocks.append(line_to_rpara(line, front=not seen_contents))
    flush()
    return blocks


def line_to_rpara(line: str, *, front: bool = False) -> RPara:
    bold = "**" in line
    m = _LIST.match(line)
    if m:
        level = 1 + len(m.group(1))
        body = m.group(2).replace("**", "").strip()
        if not line_kind(body):  # the export's "- " is the item's only bullet: draw it
            body = "- " + body
        return RPara(body, "list", level=level, bold=bold)
    text = line.replace("**", "").strip()
    if front:
        return RPara(text, "title")
    if text.startswith("📍"):
        return RPara(text, "pin", bold=True)
    if _H1.match(text):
        return RPara(text, "h1", bold=True, page_break=True)
    if _H2.match(text):
        return RPara(text, "h2", bold=True, page_break=text.startswith("2-"))
    if _H3.match(text) and len(text) <= 60:
        return RPara(text, "h3", bold=True)
    return RPara(text, "body", bold=bold)


_DOUBLE_BULLET = re.compile(r"^・\s*・\s*")  # html_to_text's bullet before the text's own ・


def cell_to_groups(cell: str) -> list[list[str]]:
    """A cell's text as paragraph groups (an empty line in ``html_to_text``'s
    output separates groups; each line of a group is its own line)."""
    groups: list[list[str]] = [[]]
    for line in html_to_text(cell).split("\n"):
        line = line.strip()
        if not line:
            if groups[-1]:
                groups.append([])
            continue
        groups[-1].append(_DOUBLE_BULLET.sub("・", line))
    return [g for g in groups if g]


def row_spans(cells: tuple[str, ...], ncols: int) -> list[tuple[int, int]]:
    """Merged cells of one row as (first, last) column pairs: a run of two or more
    empty cells left of a filled one (e.g. the 成果検証結果 rows), and the last
    filled cell stretched over the empty columns to its right."""
    padded = list(cells) + [""] * (ncols - len(cells))
    spans = []
    filled = [i for i, c in enumerate(padded) if c.strip()]
    if not filled:
        return []
    if filled[0] >= 2:
        spans.append((0, filled[0] - 1))
    if filled[-1] < ncols - 1:
        spans.append((filled[-1], ncols - 1))
    return spans


def column_weights(rows: tuple[tuple[str, ...], ...], ncols: int, strategy: str) -> list[float]:
    """Relative column widths: equal, or growing with the text a column holds."""
    if strategy == "equal":
        return [1.0] * ncols
    weights = []
    for j in range(ncols):
        lens = [len(html_to_text(r[j]).strip()) for r in rows
                if j < len(r) and r[j].strip() and not any(a <= j <= b and a != b for a, b in row_spans(r, ncols))]
        avg = sum(lens) / len(lens) if lens else 2
        weights.append(min(max(avg, 2.5), 90) ** 0.6)
    return weights


def wrong_code_point_map() -> dict[str, str]:
    """Ordinary character → the code point browser-printed PDFs put in the text
    layer instead: Kangxi radicals, a few CJK Radicals Supplement forms, U+2027."""
    out = {}
    for cp in range(0x2F00, 0x2FD6):
        target = unicodedata.normalize("NFKC", chr(cp))
        if len(target) == 1 and 0x4E00 <= ord(target) <= 0x9FFF:
            out.setdefault(target, chr(cp))
    out.update({"民": "⺠", "長": "⻑", "青": "⻘", "食": "⻝", "母": "⺟", "・": "\u2027"})
    return out


# --- reportlab ----------------------------------------------------------------

from tests import pdf_fonts as _fonts  # noqa: E402  (reportlab set-up lives beside this module)


@dataclass
class _Styles:
    layout: Layout
    body_font: str
    bold_font: str
    sheet: dict = field(default_factory=dict)


def _styles(layout: Layout) -> _Styles:
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.styles import ParagraphStyle
    body, bold = _fonts.register(layout)
    s = layout.font_size
    base = ParagraphStyle("body", fontName=body, fontSize=s, leading=s * 1.55, wordWrap="CJK",
                          spaceAfter=s * 0.7, firstLineIndent=s if layout.first_line_indent else 0)
    sheet = {
        "body": base,
        "title": ParagraphStyle("title", parent=base, fontName=bold, fontSize=s + 5, leading=(s + 5) * 1.5,
                                alignment=TA_CENTER, spaceAfter=s * 1.5, firstLineIndent=0),
        "h1": ParagraphStyle("h1", parent=base, fontName=bold, fontSize=s + 5, leading=(s + 5) * 1.4,
                             spaceBefore=s, spaceAfter=s, firstLineIndent=0),
        "h2": ParagraphStyle("h2", parent=base, fontName=bold, fontSize=s + 3, leading=(s + 3) * 1.4,
                             spaceBefore=s * 0.8, spaceAfter=s * 0.8, firstLineIndent=0),
        "h3": ParagraphStyle("h3", parent=base, fontName=bold, fontSize=s + 1, leading=(s + 1) * 1.45,
                             spaceBefore=s * 0.6, spaceAfter=s * 0.6, firstLineIndent=0),
        "pin": ParagraphStyle("pin", parent=base, fontName=bold, firstLineIndent=0, spaceBefore=s * 0.4),
        "cell": ParagraphStyle("cell", parent=base, fontSize=s * 0.86, leading=s * 0.86 * 1.4, spaceAfter=0,
                               firstLineIndent=0),
    }
    return _Styles(layout, body, bold, sheet)


def _list_style(st: _Styles, level: int):
    from reportlab.lib.styles import ParagraphStyle
    s = st.layout.font_size
    indent = s * 1.2 * level
    hang = s * 1.5 if st.layout.hanging_bullets else 0
    return ParagraphStyle(f"list{level}", parent=st.sheet["body"], leftIndent=indent + hang,
                          firstLineIndent=-hang, spaceAfter=s * 0.35)


def _para(text: str, style, st: _Styles, width: float, *, bold: bool = False):
    """One paragraph, its lines broken by ``break_lines`` (Japanese rules).
    Spaces next to Japanese characters are left out: in the export they are
    line-break artefacts of the original PDF (domain.md), and drawn they would
    be break opportunities the original never had."""
    from reportlab.platypus import Paragraph
    font = st.bold_font if bold else style.fontName
    text = repair_spaces(text)
    box = width - style.leftIndent - style.rightIndent - 1.0  # 1 pt slack: reportlab must not re-wrap
    lines = _fonts.break_lines(text, box - style.firstLineIndent, box, _fonts.width_function(font, style.fontSize))
    body = "<br/>".join(_fonts.markup(line, font) for line in lines)
    if font != style.fontName:
        body = f'<font name="{font}">{body}</font>'
    return Paragraph(body, style)


def _cell_flowables(cell: str, st: _Styles, width: float) -> list:
    from reportlab.lib.styles import ParagraphStyle
    style = st.sheet["cell"]
    gap = ParagraphStyle("cellgap", parent=style, spaceBefore=st.layout.font_size * 0.75)
    out = []
    for gi, group in enumerate(cell_to_groups(cell)):
        for li, line in enumerate(group):
            out.append(_para(line, gap if gi and not li else style, st, width - 2 * CELL_PADDING))
    return out


def _table(block: RTable, st: _Styles, avail_width: float):
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle
    ncols = max(len(r) for r in block.rows)
    weights = column_weights(block.rows, ncols, st.layout.column_widths)
    widths = [avail_width * w / sum(weights) for w in weights]
    data, cmds = [], [
        ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING), ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]
    for i, row in enumerate(block.rows):
        padded = list(row) + [""] * (ncols - len(row))
        spans = row_spans(row, ncols)
        cell_widths = list(widths)
        for a, b in spans:
            cell_widths[a] = sum(widths[a:b + 1])
            if a != b:
                cmds.append(("SPAN", (a, i), (b, i)))
        data.append([_cell_flowables(c, st, cell_widths[j]) if c.strip() else "" for j, c in enumerate(padded)])
        if len([c for c in row if c.strip()]) == 1 and not row[0].strip() == "":
            cmds.append(("BACKGROUND", (0, i), (-1, i), colors.Color(0.88, 0.92, 0.97)))
    header = 1 if st.layout.repeat_table_header and len(block.rows) > 3 and \
        sum(1 for c in block.rows[0] if c.strip()) >= max(2, ncols - 1) else 0
    return Table(data, colWidths=widths, style=TableStyle(cmds), repeatRows=header, splitByRow=1,
                 splitInRow=st.layout.font_size * 3, hAlign="LEFT", spaceBefore=4, spaceAfter=8)


def blocks_to_flowables(blocks: list[RBlock], st: _Styles, avail_width: float) -> list:
    from reportlab.platypus import CondPageBreak, PageBreak
    out: list = []
    for b in blocks:
        if isinstance(b, RTable):
            out.append(_table(b, st, avail_width))
            continue
        if b.page_break and st.layout.page_break_sections and out:
            out.append(PageBreak())
        if b.style in ("h1", "h2", "h3"):
            out.append(CondPageBreak(st.layout.font_size * 6))  # keep a heading with what follows
        if b.text in ("目次", "目 次") and out:
            out.append(PageBreak())
        style = _list_style(st, b.level) if b.style == "list" else st.sheet[b.style]
        out.append(_para(b.text, style, st, avail_width - 2 * FRAME_PADDING, bold=b.bold))
    return out


def render_blocks(blocks: list[RBlock], path: Path | str, layout: Layout) -> int:
    """Render blocks into ``path`` with ``layout``; returns the page count."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate
    reason = layout.unavailable()
    if reason:
        raise LayoutError(f"Layout {layout.name} cannot be rendered here: {reason}")
    st = _styles(layout)
    top, right, bottom, left = (m * mm for m in layout.margins_mm)
    doc = SimpleDocTemplate(str(path), pagesize=A4, topMargin=top, rightMargin=right, bottomMargin=bottom,
                            leftMargin=left, title=layout.header or "report", author="pfkb tests")
    flow = blocks_to_flowables(blocks, st, A4[0] - left - right)
    canvasmaker = _fonts.running_canvas(layout, st.body_font)
    with _fonts.text_layer(layout):
        doc.build(flow, canvasmaker=canvasmaker)
    return canvasmaker.pages_written


def render_text_export(text: str, path: Path | str, layout: Layout) -> int:
    return render_blocks(export_to_render_blocks(text), path, layout)


def render_corpus(path: Path | str, layout: Layout, corpus_text: Path | None = None) -> int:
    from tests.conftest import CORPUS_TEXT
    return render_text_export((corpus_text or CORPUS_TEXT).read_text(encoding="utf-8"), path, layout)


def variant(name: str) -> Layout:
    for v in VARIANTS:
        if v.name == name:
            return v
    raise LayoutError(f"no layout variant {name!r}; use one of {[v.name for v in VARIANTS]}")


__all__ = ["Layout", "LayoutError", "VARIANTS", "RPara", "RTable", "export_to_render_blocks", "cell_to_groups",
           "row_spans", "column_weights", "render_blocks", "render_text_export", "render_corpus", "variant",
           "wrong_code_point_map", "replace", "REPORT_TITLE"]
