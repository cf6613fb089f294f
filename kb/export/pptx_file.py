"""Packs and comparisons as slide decks (python-pptx), 16:9, for a trainer to
use as they are.

A title slide with the scope, the date and the sources; then per step a slide
(more when needed) with the step's aim and a column per city with its ■
headlines, the first bullet, the 行程表 timing and the citation; the linked
trial projects; the step's discussion prompt. Packs end with the partners'
voices and all prompts.

Handout rules (issue 13): content text is at least 14 pt and citations at
least 10 pt; at most six headlines a slide (a step with more continues on the
next slide); texts are shortened by choosing whole sentences, never cut with
「…」; what the trainer needs to know about how the pack was made (why a trial
is linked to a step, which entries come from the 行程表 only) is in the speaker
notes, not on the slide. Every run names the Japanese font for Latin and
east-asian text (a:latin / a:ea)."""
from __future__ import annotations

import io
from typing import Callable, Sequence

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.util import Inches, Pt

from kb.export.fonts import DOCUMENT_FONT, LATIN_FONT
import datetime
from dataclasses import dataclass

from kb.export.items import Practice, choose_sentences
from kb.export.pack import Pack
from kb.export.trial_steps import ACTIVITY_LABELS

WIDTH, HEIGHT = Inches(13.333), Inches(7.5)
MARGIN = Inches(0.45)
ACCENT = RGBColor(0x1F, 0x4E, 0x79)
GREY = RGBColor(0x59, 0x59, 0x59)
INK = RGBColor(0x22, 0x22, 0x22)
PALE = RGBColor(0xEA, 0xF1, 0xF8)
PROMPT_BG = RGBColor(0xFF, 0xF4, 0xD6)
TITLE_PT = 26
CONTENT_PT = 14  # the smallest size of anything a participant reads on a slide
META_PT = 10.5  # citations, 行程表 timing, phase names (at least 10 pt)
MAX_ITEMS = 6  # headlines (or trials, voices, prompts) a slide
LINE = 1.25  # line height / font size, as LibreOffice and PowerPoint set Japanese text
BODY_TOP = Inches(1.3)
BODY_BOTTOM = HEIGHT - Inches(0.35)


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
    tf = _box(slide, MARGIN, Inches(0.25), WIDTH - 2 * MARGIN, Inches(0.95))
    _add(tf, text, TITLE_PT if len(text) < 34 else 20, bold=True, color=ACCENT, first=True)
    if sub:
        _add(tf, sub, META_PT, color=GREY)


# --- fitting text into boxes ------------------------------------------------------


def _lines(text: str, width_in: float, size_pt: float) -> int:
    """Lines a text takes in a box `width_in` wide: every character counted a full em (Japanese
    characters are; Latin ones are narrower, so this errs on the safe side)."""
    per_line = max(1, int((width_in - 0.25) * 72 / size_pt))
    return sum(max(1, -(-len(part) // per_line)) for part in text.split("\n"))


@dataclass(frozen=True)
class Para:
    text: str
    size: float
    bold: bool = False
    color: RGBColor | None = None
    space_before: float = 0

    def height(self, width_in: float) -> float:
        return _lines(self.text, width_in, self.size) * self.size * LINE / 72 + self.space_before / 72


def _height(paras: Sequence[Para], width_in: float) -> float:
    return sum(p.height(width_in) for p in paras) + 0.2  # the box's own margins


def _fill(tf, paras: Sequence[Para]) -> None:
    for i, p in enumerate(paras):
        _add(tf, p.text, p.size, bold=p.bold, color=p.color, first=i == 0, space_before=p.space_before)


def _practice_paras(p: Practice, *, with_city: bool, detail: bool, size: float = CONTENT_PT) -> list[Para]:
    head = f"{p.city}　■ {p.title}" if with_city else f"■ {p.title}"
    out = [Para(head, size, bold=True, space_before=8)]
    if detail and p.details:
        out.append(Para(choose_sentences(p.details[0], 90), size))
    meta = "　".join(x for x in (p.scope or "", f"行程表の時期 {p.timing_label}" if p.timing else "") if x)
    out.append(Para(f"{meta}　出典: {p.citation}" if meta else f"出典: {p.citation}", META_PT, color=GREY))
    return out


def _paginate(blocks: Sequence[list[Para]], width_in: float, height_in: float, max_items: int) -> list[list[list[Para]]]:
    """Blocks (one item each) into pages that fit the box and hold at most `max_items`."""
    pages: list[list[list[Para]]] = [[]]
    for block in blocks:
        page = pages[-1]
        if page and (len(page) >= max_items or _height([x for b in page + [block] for x in b], width_in) > height_in):
            pages.append([])
        pages[-1].append(block)
    return [p for p in pages if p]


def _columns_pages(columns: Sequence[tuple[str, Sequence[Practice]]], width_in: float, height_in: float,
                   detail: bool = True) -> list[dict[str, list[Practice]]]:
    """A step's practices, city by city in columns, into slides: each column fits its box and a
    slide holds at most MAX_ITEMS headlines. A practice whose first bullet does not fit even alone
    is shown without it (the bullet stays in the notes)."""
    queues = {city: list(ps) for city, ps in columns}
    pages: list[dict[str, list[Practice]]] = []
    while any(queues.values()) or not pages:
        page: dict[str, list[Practice]] = {city: [] for city, _ in columns}
        count, moved = 0, True
        while moved and count < MAX_ITEMS:
            moved = False
            for city, _ in columns:  # one from each city in turn, so that the columns stay level
                if not queues[city] or count >= MAX_ITEMS:
                    continue
                trial = page[city] + [queues[city][0]]
                paras = [x for p in trial for x in _practice_paras(p, with_city=False, detail=detail)]
                if page[city] and _height(paras, width_in) > height_in:
                    continue
                page[city].append(queues[city].pop(0))
                count, moved = count + 1, True
        pages.append(page)
        if not any(queues.values()):
            break
    return pages


def _column_paras(practices: Sequence[Practice], width_in: float, height_in: float) -> list[Para]:
    """The column's practices at the largest size (18 → 14 pt) that fits; without the bullets
    if even 14 pt does not."""
    for detail in (True, False):
        for size in (18, 16, CONTENT_PT):
            paras = [x for p in practices for x in _practice_paras(p, with_city=False, detail=detail, size=size)]
            if _height(paras, width_in) <= height_in:
                return paras
    return [x for p in practices for x in _practice_paras(p, with_city=False, detail=False)]


def _city_column(slide, left, top, width, height, city: str, practices: Sequence[Practice]) -> None:
    head = _box(slide, left, top, width, Inches(0.45), fill=ACCENT)
    _add(head, city, 16, bold=True, color=RGBColor(0xFF, 0xFF, 0xFF), first=True)
    tf = _box(slide, left, top + Inches(0.5), width, height - Inches(0.5), fill=PALE)
    if not practices:
        _add(tf, "（このステップの記載なし）", CONTENT_PT, color=GREY, first=True)
        return
    paras = _column_paras(practices, width / 914400, (height - Inches(0.5)) / 914400)
    paras[0] = Para(paras[0].text, paras[0].size, paras[0].bold, paras[0].color, 0)
    _fill(tf, paras)


def _practice_notes(practices: Sequence[Practice]) -> list[str]:
    notes = []
    for p in practices:
        notes += [f"{p.city} ■ {p.title}（{('行程表の時期 ' + p.timing_label) if p.timing else '時期の記載なし'}）",
                  *[f"・{d}" for d in p.details],
                  *(["（この見出しは行程表にだけあり、留意点の表には記載がありません）"] if p.schedule_only else []),
                  f"出典: {p.citation}", ""]
    return notes


def _columns_slides(prs, title: str, sub: str, lead: str, cities: Sequence[str],
                    practices: Sequence[Practice], notes_head: Sequence[str],
                    after: Callable | None = None, reserve_in: float = 0.0) -> list:
    """One or more slides of a step: `lead` (the aim) on top, a column per city. `after(slide,
    top, bottom)` draws the prompt under the columns of the last slide; `reserve_in` is its room."""
    width_in = (WIDTH - 2 * MARGIN) / 914400
    lead_h = _height([Para(lead, CONTENT_PT)], width_in) if lead else 0.0
    top = BODY_TOP + Inches(lead_h + 0.1 if lead else 0)
    gap = Inches(0.15)
    col_w = int((WIDTH - 2 * MARGIN - gap * (len(cities) - 1)) / len(cities))
    col_in = col_w / 914400
    height = BODY_BOTTOM - top
    pages = _columns_pages([(c, [p for p in practices if p.city == c]) for c in cities], col_in,
                           (height - Inches(0.5)) / 914400)
    # room for the prompt on the last slide, if its columns leave it
    last = pages[-1]
    last_h = max((_height(_column_paras(ps, col_in, 99), col_in) for ps in last.values() if ps), default=0.3)
    prompt_here = reserve_in and (height - Inches(0.5)) / 914400 - last_h >= reserve_in + 0.15
    slides = []
    for i, page in enumerate(pages):
        slide = prs.slides.add_slide(prs.slide_layouts[6])
        _title(slide, title + ("（続き）" if i else ""), sub)
        if lead:
            _fill(_box(slide, MARGIN, BODY_TOP, WIDTH - 2 * MARGIN, Inches(lead_h)), [Para(lead, CONTENT_PT)])
        bottom = BODY_BOTTOM - (Inches(reserve_in + 0.1) if prompt_here and i == len(pages) - 1 else 0)
        for j, city in enumerate(cities):
            _city_column(slide, MARGIN + j * (col_w + gap), top, col_w, bottom - top, city, page[city])
        _notes(slide, [*notes_head, *_practice_notes([p for ps in page.values() for p in ps])])
        slides.append(slide)
    if after is not None:
        if prompt_here:
            after(slides[-1], BODY_BOTTOM - Inches(reserve_in), BODY_BOTTOM)
        else:
            slide = prs.slides.add_slide(prs.slide_layouts[6])
            _title(slide, f"{title}　話し合い", sub)
            after(slide, BODY_TOP, BODY_TOP + Inches(reserve_in))
            _notes(slide, list(notes_head))
            slides.append(slide)
    return slides


def _list_slides(prs, title: str, blocks: Sequence[list[Para]], notes: Sequence[Sequence[str]] = ()) -> list:
    """Items (trials, voices, prompts) on as many slides as they need, MAX_ITEMS at most each."""
    width_in = (WIDTH - 2 * MARGIN) / 914400
    height_in = (BODY_BOTTOM - BODY_TOP) / 914400
    slides, start = [], 0
    for i, page in enumerate(_paginate(blocks, width_in, height_in, MAX_ITEMS)):
        slide = prs.slides.add_slide(prs.slide_layouts[6])
        _title(slide, title + ("（続き）" if i else ""))
        paras = [x for b in page for x in b]
        paras[0] = Para(paras[0].text, paras[0].size, paras[0].bold, paras[0].color, 0)
        _fill(_box(slide, MARGIN, BODY_TOP, WIDTH - 2 * MARGIN, BODY_BOTTOM - BODY_TOP), paras)
        _notes(slide, [line for n in list(notes)[start:start + len(page)] for line in n])
        start += len(page)
        slides.append(slide)
    return slides


# --- the slides --------------------------------------------------------------------


def _prompt_box(text: str):
    width_in = (WIDTH - 2 * MARGIN) / 914400
    paras = [Para(f"話し合い: {text}", CONTENT_PT + 2)]
    height = _height(paras, width_in)

    def draw(slide, top, bottom):
        _fill(_box(slide, MARGIN, top, WIDTH - 2 * MARGIN, Inches(height), fill=PROMPT_BG), paras)
    return draw, height


def _step_slides(prs, pack: Pack, section, prompt_text: str | None) -> None:
    cities = [c for c in pack.cities if any(p.city == c for p in section.practices)] or list(pack.cities)
    after, reserve = _prompt_box(prompt_text) if prompt_text else (None, 0.0)
    head = [section.label, f"ねらい: {section.aim}（{pack.aim_source}）", ""]
    _columns_slides(prs, section.label, section.phase_label, f"ねらい: {section.aim}", cities, section.practices,
                    head, after, reserve)
    if section.trials:
        blocks, notes = [], []
        for t in section.trials:
            block = [Para(f"{t.city}「{t.title}」　{t.cost}（{t.vendor}）", CONTENT_PT, bold=True, space_before=8)]
            if t.results:
                block.append(Para(f"成果: {choose_sentences(t.results[0], 80)}", CONTENT_PT))
            block.append(Para(f"{ACTIVITY_LABELS[t.category]}　出典: {t.citation}", META_PT, color=GREY))
            blocks.append(block)
            notes.append([f"試行的事業 {t.city}「{t.title}」 {t.vendor} {t.cost}（{ACTIVITY_LABELS[t.category]}）",
                          *[f"・成果: {r}" for r in t.results], f"出典: {t.citation}",
                          f"このステップに入れた理由: {t.reason}", ""])
        _list_slides(prs, f"関連する試行的事業 — {section.label}", blocks, notes)


def _new_deck() -> Presentation:
    prs = Presentation()
    prs.slide_width, prs.slide_height = WIDTH, HEIGHT
    return prs


def today_label(today: datetime.date | None = None) -> str:
    d = today or datetime.date.today()
    return f"{d.year}年{d.month}月{d.day}日"


def _title_slide(prs, title: str, lines: Sequence[str], profiles, notes: Sequence[str] = ()) -> None:
    """The title, what the deck covers (scope), when it was made and from which reports, and the
    cities' key facts — a fact the reports give differently is marked, with every value."""
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    width_in = (WIDTH - 2 * MARGIN) / 914400
    paras = [Para(title, 30 if len(title) < 26 else 24, bold=True, color=ACCENT),
             *[Para(line, CONTENT_PT + 2 if i < 2 else CONTENT_PT, color=GREY, space_before=4)
               for i, line in enumerate(lines)]]
    top = Inches(0.8)
    h = _height(paras, width_in)
    tf = _box(slide, MARGIN, top, WIDTH - 2 * MARGIN, Inches(h))
    _fill(tf, paras)
    if profiles:
        facts = [Para("自治体の概要", CONTENT_PT + 2, bold=True, color=ACCENT)]
        for p in profiles:
            facts.append(Para(f"{p.city}　人口 {p.population}　連携PF開始 {p.pf_start}　地域協議会 {p.council_start}",
                              CONTENT_PT, space_before=4))
            facts += [Para(f"※資料により記載が異なる — {note}", META_PT + 0.5, color=GREY) for note in p.notes]
            facts.append(Para(f"担当: {p.department}　出典: {p.citation}", META_PT, color=GREY))
        fh = _height(facts, width_in)
        _fill(_box(slide, MARGIN, top + Inches(h + 0.2), WIDTH - 2 * MARGIN, Inches(fh), fill=PALE), facts)
    _notes(slide, list(notes))


def _scope_lines(selection: str, cities: Sequence[str], documents: Sequence[str]) -> list[str]:
    return [f"対象: {selection}", f"自治体: {'、'.join(cities)}",
            f"作成: {today_label()}（知識ベースの記録から作成。記載はすべて報告書による）",
            *[f"出典: {d}" for d in documents]]


def pack_to_pptx(pack: Pack) -> bytes:
    prs = _new_deck()
    _title_slide(prs, pack.title, _scope_lines(pack.selection, pack.cities, pack.documents), pack.profiles,
                 [pack.note] if pack.note else [])
    prompt_by_step = {}
    for q in pack.prompts:
        prompt_by_step.setdefault(q.step, q.text)
    for section in pack.steps:
        _step_slides(prs, pack, section, prompt_by_step.get(section.step))
    if pack.voices:
        blocks = [[Para(f"{v.city}・{v.organization}「{v.title}」", CONTENT_PT, bold=True, space_before=8),
                   Para(choose_sentences(v.text, 110), CONTENT_PT),
                   Para(f"出典: {v.citation}", META_PT, color=GREY)] for v in pack.voices]
        _list_slides(prs, "連携団体の声", blocks, [[v.title, v.text, f"出典: {v.citation}", ""] for v in pack.voices])
    if pack.prompts:
        blocks = [[Para(f"{i}. {q.text}", CONTENT_PT + 2, space_before=10),
                   Para("出典: " + " ／ ".join(q.citations), META_PT, color=GREY)]
                  for i, q in enumerate(pack.prompts, 1)]
        _list_slides(prs, "話し合いの問い", blocks)
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def comparison_to_pptx(comparison) -> bytes:
    """A title slide with the cities' facts, then per step a slide (more when needed) with a
    column per city, its text as large as the column allows."""
    prs = _new_deck()
    _title_slide(prs, comparison.title, _scope_lines("自治体の比較（ステップごと）", comparison.cities,
                                                     comparison.documents), comparison.profiles)
    for row in comparison.steps:
        practices = [p for city in comparison.cities for p in row.cells.get(city, ())]
        _columns_slides(prs, row.label, row.phase_label, "", list(comparison.cities), practices, [row.label, ""])
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()
