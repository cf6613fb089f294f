"""Packs and comparisons as Word documents (python-docx).

Every run names a Japanese font for east-asian text (`w:eastAsia`) and the
styles lose their theme fonts, so Word and LibreOffice both use it; the
document language is ja-JP. One Heading 1 per step; every practice ends with
its 出典 line."""
from __future__ import annotations

import io
from typing import Iterable

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from kb.core.vocab import load_json
from kb.export.fonts import DOCUMENT_FONT, LATIN_FONT
from kb.export.items import CityFacts, Practice
from kb.export.pack import Pack
from kb.export.timing import TIMING_WORD
from kb.export.trial_steps import ACTIVITY_LABELS

GREY = RGBColor(0x55, 0x55, 0x55)
ACCENT = RGBColor(0x1F, 0x4E, 0x79)


def _set_fonts(rpr_parent) -> None:
    """Name the Japanese font on an element's w:rPr/w:rFonts, dropping theme fonts that would win."""
    rpr = rpr_parent.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    fonts.set(qn("w:ascii"), LATIN_FONT)
    fonts.set(qn("w:hAnsi"), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), DOCUMENT_FONT)


def _new_document() -> Document:
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Mm(297), Mm(210)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(20))
    for style in doc.styles:
        if getattr(style, "element", None) is not None and style.type == 1:  # paragraph styles
            _set_fonts(style.element)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(10.5)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "ja-JP")
    lang.set(qn("w:eastAsia"), "ja-JP")
    normal.element.get_or_add_rPr().append(lang)
    return doc


def _run(paragraph, text: str, *, bold: bool = False, italic: bool = False, size: float | None = None,
         color: RGBColor | None = None):
    run = paragraph.add_run(text)
    run.bold, run.italic = bold or None, italic or None
    if size:
        run.font.size = Pt(size)
    if color is not None:
        run.font.color.rgb = color
    _set_fonts(run._r)
    return run


def _para(doc_or_cell, text: str = "", style: str | None = None, **run_kw):
    p = doc_or_cell.add_paragraph(style=style)
    if text:
        _run(p, text, **run_kw)
    return p


def _heading(doc, text: str, level: int):
    h = doc.add_heading(level=level)
    _run(h, text)
    return h


def _citation(doc, text: str) -> None:
    _para(doc, f"出典: {text}", size=8.5, color=GREY)


def _table(doc, header: list[str], rows: Iterable[list[str]], widths_mm: list[float] | None = None):
    rows = list(rows)
    table = doc.add_table(rows=1 + len(rows), cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for i, text in enumerate(header):
        cell = table.rows[0].cells[i]
        cell.text = ""
        _run(cell.paragraphs[0], text, bold=True, size=9)
    for r, row in enumerate(rows, 1):
        for i, text in enumerate(row):
            cell = table.rows[r].cells[i]
            cell.text = ""
            lines = str(text).split("\n")
            _run(cell.paragraphs[0], lines[0], size=9)
            for extra in lines[1:]:
                _run(cell.add_paragraph(), extra, size=9)
    if widths_mm:
        _set_widths(table, widths_mm)
    return table


def _set_widths(table, widths_mm: list[float]) -> None:
    """Cell widths for Word, grid columns for LibreOffice (which reads only w:tblGrid)."""
    table.autofit = False
    for col, w in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths_mm):
        col.set(qn("w:w"), str(int(Mm(w).twips)))
    for row in table.rows:
        for cell, w in zip(row.cells, widths_mm):
            cell.width = Mm(w)


def _profiles(doc, profiles: tuple[CityFacts, ...]) -> None:
    if not profiles:
        return
    _heading(doc, "自治体の概要", 1)
    _table(doc, list(load_json("export")["docx_profile_columns"]),
           [[p.city, p.department, p.population, p.pf_start, p.council_start] for p in profiles],
           [20, 50, 40, 30, 30])
    _citation(doc, "　／　".join(p.citation for p in profiles))
    for p in profiles:
        for note in p.notes:
            _para(doc, f"{p.city}: 資料により記載が異なる — {note}", size=8.5, color=GREY)


def _practice(doc, p: Practice) -> None:
    para = _para(doc)
    _run(para, f"{p.city}　", bold=True, color=ACCENT)
    _run(para, f"■ {p.title}", bold=True)
    meta = [x for x in (p.scope, f"{TIMING_WORD}: {p.timing_label}" if p.timing else "") if x]
    if meta:
        _run(para, f"（{'、'.join(meta)}）", size=9, color=GREY)
    for d in p.details:
        _para(doc, d, style="List Bullet")
    _citation(doc, p.citation)


def pack_to_docx(pack: Pack) -> bytes:
    doc = _new_document()
    doc.core_properties.title = pack.title
    doc.core_properties.language = "ja-JP"
    title = doc.add_heading(level=0)
    _run(title, pack.title)
    _para(doc, f"対象: {pack.selection}　／　自治体: {'、'.join(pack.cities)}")
    if pack.note:
        _para(doc, pack.note, size=9, color=GREY)
    _profiles(doc, pack.profiles)
    for s in pack.steps:
        _heading(doc, s.label, 1)
        _para(doc, s.phase_label, italic=True, color=GREY)
        aim = _para(doc)
        _run(aim, "このステップのねらい: ", bold=True)
        _run(aim, s.aim)
        _para(doc, f"（{pack.aim_source}）", size=8.5, color=GREY)
        if s.tendencies:
            _para(doc, "報告書の整理（各自治体の進め方の例）", bold=True, size=9.5)
            for t in s.tendencies:
                _para(doc, t, style="List Bullet")
            _citation(doc, s.tendencies_citation)
        _heading(doc, "各自治体の実践", 2)
        if not s.practices:
            _para(doc, "（このステップの記載はありません）", color=GREY)
        for p in s.practices:
            _practice(doc, p)
        if s.trials:
            _heading(doc, "関連する試行的事業", 2)
            _table(doc, list(load_json("export")["docx_trial_columns"]),
                   [[t.city, f"{t.title}\n（{ACTIVITY_LABELS[t.category]}）", f"{t.vendor}\n{t.cost}",
                     "\n".join(f"・{r}" for r in t.results) or "—"] for t in s.trials],
                   [20, 45, 40, 65])
            for t in s.trials:
                _citation(doc, t.citation)
    if pack.voices:
        _heading(doc, "連携団体の声", 1)
        for v in pack.voices:
            para = _para(doc)
            _run(para, f"{v.city}・{v.organization}　", bold=True, color=ACCENT)
            _run(para, f"「{v.title}」", bold=True)
            _para(doc, v.text)
            _citation(doc, v.citation)
    if pack.prompts:
        _heading(doc, "話し合いの問い", 1)
        for q in pack.prompts:
            _para(doc, q.text, style="List Number")
            _citation(doc, " ／ ".join(q.citations))
    _heading(doc, "出典文書", 1)
    for d in pack.documents:
        _para(doc, d, style="List Bullet")
    _appendix(doc, pack)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _appendix(doc, pack: Pack) -> None:
    """For the trainer, not the participants: how the pack was put together (why a trial project
    is shown under a step, which headlines come from the 行程表 only, how a question was read)."""
    lines = [pack.note] if pack.note else []
    lines.append(f"各ステップの「ねらい」は{pack.aim_source}。")
    for s in pack.steps:
        for p in s.practices:
            if p.schedule_only:
                lines.append(f"{s.label}: {p.city}「{p.title}」は行程表にだけある見出しで、留意点の表には記載がありません。")
        for t in s.trials:
            lines.append(f"{s.label}: {t.city}「{t.title}」をこのステップに入れた理由 — {t.reason}")
    _heading(doc, "付録：この資料の作り方（講師向け）", 1)
    for line in lines:
        _para(doc, line, size=9, color=GREY)


def comparison_to_docx(comparison) -> bytes:
    """Cities side by side: one table per step, one column per city."""
    doc = _new_document()
    section = doc.sections[0]
    section.page_height, section.page_width = Mm(210), Mm(297)  # landscape: room for three columns
    from docx.enum.section import WD_ORIENT
    section.orientation = WD_ORIENT.LANDSCAPE
    doc.core_properties.title = comparison.title
    title = doc.add_heading(level=0)
    _run(title, comparison.title)
    _profiles(doc, comparison.profiles)
    width = 257 / max(1, len(comparison.cities))
    for row in comparison.steps:
        _heading(doc, row.label, 1)
        _para(doc, row.phase_label, italic=True, color=GREY)
        table = doc.add_table(rows=2, cols=len(comparison.cities))
        table.style = "Table Grid"
        _set_widths(table, [width] * len(comparison.cities))
        for i, city in enumerate(comparison.cities):
            head = table.rows[0].cells[i]
            head.text = ""
            _run(head.paragraphs[0], city, bold=True)
            cell = table.rows[1].cells[i]
            cell.text = ""
            practices = row.cells.get(city, ())
            if not practices:
                _run(cell.paragraphs[0], "（記載なし）", size=9, color=GREY)
            first = True
            for p in practices:
                para = cell.paragraphs[0] if first else cell.add_paragraph()
                first = False
                _run(para, f"■ {p.title}", bold=True, size=9.5)
                if p.timing:
                    _run(cell.add_paragraph(), f"{TIMING_WORD}: {p.timing_label}" + (f"（{p.scope}）" if p.scope else ""),
                         size=8.5, color=GREY)
                for d in p.details:
                    _run(cell.add_paragraph(), f"・{d}", size=9)
                _run(cell.add_paragraph(), f"出典: {p.citation}", size=8, color=GREY)
    _heading(doc, "出典文書", 1)
    for d in comparison.documents:
        _para(doc, d, style="List Bullet")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
