"""Packs and comparisons as slide decks (python-pptx), 16:9.

A title slide, then one slide per step: the step's aim, a column per city with
its ■ headlines, timing and citation, the linked trial projects, and the
step's discussion prompt. Packs end with the partners' voices and all prompts.
Bullets in full go to the speaker notes. Every run names the Japanese font
for Latin and east-asian text (a:latin / a:ea)."""
from __future__ import annotations

import io
from typing import Sequence

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.util import Inches, Pt

from kb.export.fonts import DOCUMENT_FONT, LATIN_FONT
from kb.export.items import Practice, shorten
from kb.export.pack import Pack
from kb.export.trial_steps import ACTIVITY_LABELS

WIDTH, HEIGHT = Inches(13.333), Inches(7.5)
MARGIN = Inches(0.45)
ACCENT = RGBColor(0x1F, 0x4E, 0x79)
GREY = RGBColor(0x59, 0x59, 0x59)
INK = RGBColor(0x22, 0x22, 0x22)
PALE = RGBColor(0xEA, 0xF1, 0xF8)
PROMPT_BG = RGBColor(0xFF, 0xF4, 0xD6)


def _font(run, size: float, *, bold: bool = False, color: RGBColor | None = None) -> None:
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.name = LATIN_FONT
    run.font.color.rgb = color if color is not None else INK  # shapes' theme text is white
    rpr = run._r.get_or_add_rPr()
    for tag, face in (("a:ea", DOCUMENT_FONT), ("a:cs", DOCUMENT_FONT)):
        el = rpr.find(qn(tag))
        if el is None:
            el = rpr.makeelement(qn(tag), {})
            rpr.append(el)
        el.set("typeface", face)
    rpr.set("lang", "ja-JP")
    rpr.set("altLang", "en-US")


def _box(slide, left, top, width, height, *, fill: RGBColor | None = None):
    shape = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, left, top, width, height) if fill is not None \
        else slide.shapes.add_textbox(left, top, width, height)
    if fill is not None:
        shape.fill.solid()
        shape.fill.fore_color.rgb = fill
        shape.line.fill.background()
        shape.shadow.inherit = False
    tf = shape.text_frame
    tf.word_wrap = True
    tf.vertical_anchor = MSO_ANCHOR.TOP
    tf.auto_size = MSO_AUTO_SIZE.NONE
    for side in ("margin_left", "margin_right", "margin_top", "margin_bottom"):
        setattr(tf, side, Inches(0.08))
    return tf


def _add(tf, text: str, size: float, *, bold: bool = False, color: RGBColor | None = None, first: bool = False,
         space_before: float = 0):
    para = tf.paragraphs[0] if first and not tf.paragraphs[0].runs else tf.add_paragraph()
    para.alignment = PP_ALIGN.LEFT
    if space_before:
        para.space_before = Pt(space_before)
    _font(para.add_run(), size, bold=bold, color=color)
    para.runs[-1].text = text
    return para


def _notes(slide, lines: Sequence[str]) -> None:
    tf = slide.notes_slide.notes_text_frame
    tf.text = ""
    for i, line in enumerate(lines):
        _add(tf, line, 11, first=i == 0)


def _title(slide, text: str, sub: str = "") -> None:
    tf = _box(slide, MARGIN, Inches(0.25), WIDTH - 2 * MARGIN, Inches(0.75))
    _add(tf, text, 26 if len(text) < 30 else 20, bold=True, color=ACCENT, first=True)
    if sub:
        _add(tf, sub, 11, color=GREY)


def _lines(text: str, width_in: float, size_pt: float) -> int:
    """Lines a Japanese text takes in a box: full-width characters are about 1 em wide."""
    per_line = max(1, int((width_in - 0.2) * 72 / size_pt))
    return max(1, -(-len(text) // per_line))


def _detail_budget(practices: Sequence[Practice], width_in: float, height_in: float, size: float) -> int:
    """How many characters of bullets fit under each headline, given what the headlines take."""
    used = 0.0
    for p in practices:
        used += _lines(f"■ {shorten(p.title, 70)}", width_in, size) * size * 1.25 / 72
        used += 9.5 * 1.25 / 72 + _lines(f"出典: {p.citation}", width_in, 8) * 8 * 1.25 / 72 + 6 / 72
    free_lines = int((height_in - 0.25 - used) / len(practices) / (10 * 1.3 / 72))
    per_line = max(1, int((width_in - 0.2) * 72 / 10))
    return max(0, min(300, free_lines * per_line - 4))


def _city_column(slide, left, top, width, height, city: str, practices: Sequence[Practice]):
    head = _box(slide, left, top, width, Inches(0.38), fill=ACCENT)
    _add(head, city, 14, bold=True, color=RGBColor(0xFF, 0xFF, 0xFF), first=True)
    tf = _box(slide, left, top + Inches(0.42), width, height - Inches(0.42), fill=PALE)
    if not practices:
        _add(tf, "（記載なし）", 11, color=GREY, first=True)
        return
    size = 12 if len(practices) <= 2 else 11
    budget = _detail_budget(practices, width / 914400, (height - Inches(0.42)) / 914400, size)
    for i, p in enumerate(practices):
        _add(tf, f"■ {shorten(p.title, 70)}", size, bold=True, first=i == 0, space_before=0 if i == 0 else 6)
        meta = [x for x in (p.scope, p.timing_label, "行程表のみ" if p.schedule_only else "") if x]
        if meta:
            _add(tf, " ／ ".join(meta), 9.5, color=GREY)
        if budget >= 20 and p.details:
            _add(tf, shorten(" ".join(p.details), budget), 10)
        _add(tf, f"出典: {p.citation}", 8, color=GREY)


def _step_slide(prs, pack: Pack, section, prompt_text: str | None) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    _title(slide, section.label, section.phase_label)
    aim = _box(slide, MARGIN, Inches(1.05), WIDTH - 2 * MARGIN, Inches(0.62))
    _add(aim, f"ねらい: {section.aim}", 11.5, first=True)
    bottom = HEIGHT - Inches(0.3)
    if prompt_text:
        bottom -= Inches(0.75)
    if section.trials:
        bottom -= Inches(0.3 + 0.3 * min(3, len(section.trials)))
    top = Inches(1.75)
    cities = [c for c in pack.cities if any(p.city == c for p in section.practices)] or list(pack.cities)
    gap = Inches(0.15)
    col_w = int((WIDTH - 2 * MARGIN - gap * (len(cities) - 1)) / len(cities))
    for i, city in enumerate(cities):
        own = [p for p in section.practices if p.city == city]
        _city_column(slide, MARGIN + i * (col_w + gap), top, col_w, bottom - top - Inches(0.08), city, own)
    y = bottom
    if section.trials:
        tf = _box(slide, MARGIN, y, WIDTH - 2 * MARGIN, Inches(0.3 + 0.3 * min(3, len(section.trials))))
        _add(tf, "関連する試行的事業", 11, bold=True, color=ACCENT, first=True)
        for t in section.trials[:3]:
            result = f" — 成果: {shorten(t.results[0], 60)}" if t.results else ""
            _add(tf, f"{t.city}「{shorten(t.title, 30)}」 {t.cost}（{shorten(t.vendor, 20)}）{result}", 9.5)
        if len(section.trials) > 3:
            _add(tf, f"ほか {len(section.trials) - 3} 件（ノート参照）", 9, color=GREY)
        y += Inches(0.3 + 0.3 * min(3, len(section.trials)))
    if prompt_text:
        tf = _box(slide, MARGIN, y + Inches(0.05), WIDTH - 2 * MARGIN, Inches(0.65), fill=PROMPT_BG)
        _add(tf, f"話し合い: {prompt_text}", 11, first=True)
    notes = [section.label, f"ねらい: {section.aim}（{pack.aim_source}）", ""]
    for p in section.practices:
        notes += [f"{p.city} ■ {p.title}（{p.timing_label or '時期の記載なし'}）", *[f"・{d}" for d in p.details],
                  f"出典: {p.citation}", ""]
    for t in section.trials:
        notes += [f"試行的事業 {t.city}「{t.title}」 {t.vendor} {t.cost}（{ACTIVITY_LABELS[t.category]}）",
                  *[f"・成果: {r}" for r in t.results], f"出典: {t.citation}（理由: {t.reason}）", ""]
    _notes(slide, notes)


def _new_deck() -> Presentation:
    prs = Presentation()
    prs.slide_width, prs.slide_height = WIDTH, HEIGHT
    return prs


def _title_slide(prs, title: str, lines: Sequence[str], profiles) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    tf = _box(slide, MARGIN, Inches(1.2), WIDTH - 2 * MARGIN, Inches(1.4))
    _add(tf, title, 32 if len(title) < 24 else 24, bold=True, color=ACCENT, first=True)
    for line in lines:
        _add(tf, line, 14, color=GREY)
    if profiles:
        lines = len(profiles) * 2 + sum(len(p.notes) for p in profiles)
        box = _box(slide, MARGIN, Inches(3.1), WIDTH - 2 * MARGIN, Inches(0.5 + 0.27 * lines), fill=PALE)
        _add(box, "自治体の概要", 13, bold=True, color=ACCENT, first=True)
        for p in profiles:
            _add(box, f"{p.city}　人口 {p.population}　連携PF開始 {p.pf_start}　地域協議会 {p.council_start}", 12,
                 space_before=4)
            _add(box, f"担当: {p.department}　出典: {p.citation}", 9, color=GREY)
            for note in p.notes:
                _add(box, f"資料により記載が異なる — {note}", 9, color=GREY)


def pack_to_pptx(pack: Pack) -> bytes:
    prs = _new_deck()
    _title_slide(prs, pack.title, [f"自治体: {'、'.join(pack.cities)}", *([pack.note] if pack.note else []),
                                   *[f"出典: {d}" for d in pack.documents]], pack.profiles)
    prompt_by_step = {}
    for q in pack.prompts:
        prompt_by_step.setdefault(q.step, q.text)
    for section in pack.steps:
        _step_slide(prs, pack, section, prompt_by_step.get(section.step))
    if pack.voices:
        slide = prs.slides.add_slide(prs.slide_layouts[6])
        _title(slide, "連携団体の声")
        tf = _box(slide, MARGIN, Inches(1.15), WIDTH - 2 * MARGIN, HEIGHT - Inches(1.45))
        for i, v in enumerate(pack.voices):
            _add(tf, f"{v.city}・{v.organization}「{shorten(v.title, 60)}」", 12, bold=True, first=i == 0,
                 space_before=0 if i == 0 else 6)
            _add(tf, shorten(v.text, 110), 10.5)
            _add(tf, f"出典: {v.citation}", 8, color=GREY)
    if pack.prompts:
        slide = prs.slides.add_slide(prs.slide_layouts[6])
        _title(slide, "話し合いの問い")
        tf = _box(slide, MARGIN, Inches(1.15), WIDTH - 2 * MARGIN, HEIGHT - Inches(1.45))
        for i, q in enumerate(pack.prompts, 1):
            _add(tf, f"{i}. {q.text}", 14, first=i == 1, space_before=0 if i == 1 else 10)
            _add(tf, "出典: " + " ／ ".join(q.citations), 8.5, color=GREY)
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def comparison_to_pptx(comparison) -> bytes:
    """A title slide with the cities' facts, then one slide per step with a column per city."""
    prs = _new_deck()
    _title_slide(prs, comparison.title, [*[f"出典: {d}" for d in comparison.documents]], comparison.profiles)
    for row in comparison.steps:
        slide = prs.slides.add_slide(prs.slide_layouts[6])
        _title(slide, row.label, row.phase_label)
        n = len(comparison.cities)
        gap = Inches(0.15)
        col_w = int((WIDTH - 2 * MARGIN - gap * (n - 1)) / n)
        top = Inches(1.2)
        for i, city in enumerate(comparison.cities):
            _city_column(slide, MARGIN + i * (col_w + gap), top, col_w, HEIGHT - top - Inches(0.35), city,
                         list(row.cells.get(city, ())))
        notes = [row.label]
        for city in comparison.cities:
            for p in row.cells.get(city, ()):
                notes += [f"{city} ■ {p.title}（{p.timing_label or '時期の記載なし'}）",
                          *[f"・{d}" for d in p.details], f"出典: {p.citation}", ""]
        _notes(slide, notes)
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()
