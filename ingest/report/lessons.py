"""【行程】 table → schedule entries; 【それぞれの段階での留意点】 table → lessons;
ブレイクスルー要因 → one breakthrough record."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.model import Item, Loc, Paragraph, Row, cell_to_items, items_to_text, join_lines
from ingest.report.context import ParseContext, Unit, similarity, span
from kb.core.normalize import squash
from ingest.report.phases import phase_from_line, step_from_name, step_mark, strip_step_mark
from ingest.report.values import fiscal_year, timing_fiscal_year
from kb.core.records import STEP_MARKS


@dataclass(frozen=True)
class ScheduleEntry:
    step: str
    scope: str | None
    timing: str | None
    period: str  # 過年度 | 今年度
    headline: str
    loc: Loc


_DASH = {"", "-", "—", "―", "–", "ー"}


def _scope_in(text: str) -> str | None:
    s = squash(text)
    if "(庁内)" in s or s == "庁内":
        return "庁内"
    if "(庁外)" in s or s == "庁外":
        return "庁外"
    return None


def schedule_rows_to_entries(ctx: ParseContext, rows: list[Row], *, city: str, section: str) -> tuple[list[ScheduleEntry], list[tuple[str, int, Row]]]:
    """Rows of the 【行程】 table → entries, plus the PF start years its header names."""
    entries: list[ScheduleEntry] = []
    starts: list[tuple[str, int, Row]] = []
    last_timing: dict[str, str] = {}
    last_step: str | None = None
    for row in rows:
        filled = row.filled
        if not filled:
            continue
        joined = squash(" ".join(filled))
        if "過年度" in joined or "今年度" in joined:
            for m in re.finditer(r"令和(\d{1,2})年度:PFの立ち上げ(?!の準備)", joined):
                starts.append((f"令和{m.group(1)}年度", fiscal_year(f"令和{m.group(1)}年度"), row))
            continue
        if len(filled) == 1 and (phase_from_line(filled[0]) or "留意点" in filled[0]):
            continue
        name = row.cells[0]
        step = step_from_name(name) if name.strip() else last_step
        if step is None:
            if any("■" in c for c in row.cells):
                ctx.note("unparsed", section, "行程表の行の段階名を認識できません", " | ".join(filled), row.loc)
            continue
        last_step = step
        scope = _scope_in(name)
        for i, cell in enumerate(row.cells[1:], start=1):
            if "■" not in cell:
                continue
            before, _, after = cell.partition("■")
            period = "過年度" if i < 3 else "今年度"
            timing = join_lines(before) or (join_lines(row.cells[i - 1]) if i >= 2 and "■" not in row.cells[i - 1] else "")
            if timing in _DASH:
                timing = last_timing.get(period, "")  # a merged cell: the date above applies
            if timing:
                last_timing[period] = timing
            headline = after.strip().replace("_", "")
            entries.append(ScheduleEntry(step, scope, timing or None, period, headline, row.loc))
    return entries, starts


@dataclass
class _Lesson:
    step: str | None
    scope: str | None
    title: str
    printed: str | None
    units: list[Unit] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)


def _best_entry(entries: list[ScheduleEntry], title: str, step: str | None = None) -> tuple[ScheduleEntry | None, float]:
    best, score = None, 0.0
    for e in entries:
        if step is not None and e.step != step:
            continue
        s = similarity(e.headline, title)
        if s > score:
            best, score = e, s
    return best, score


def _scope_by_words(ctx: ParseContext, section: str, les: "_Lesson", label: str) -> str:
    """The 行程 table's (庁内)/(庁外) label, unless the headline's own words say the other
    (福岡市's labels are swapped in the source): then the words win and a note says so."""
    t = squash(les.title)
    says = "庁内" if "庁内" in t and not re.search(r"庁外|外部", t) else \
        "庁外" if re.search(r"庁外|外部", t) and "庁内" not in t else None
    if says and says != label:
        ctx.note("info", section, f"行程表の({label})は見出しの内容と合わないため {says} としました", les.title,
                 les.units[0].loc)
        return says
    return label


def _settled_step(ctx: ParseContext, entries: list[ScheduleEntry], title: str, step: str | None,
                  section: str, u: Unit) -> str | None:
    """The 行程 table settles a headline that the source put in the wrong cell (市原市 ①/②)."""
    own, own_score = _best_entry(entries, title, step)
    other, other_score = _best_entry(entries, title)
    if other is not None and other.step != step and other_score >= 0.9 and own_score < 0.9:
        ctx.note("info", section, f"見出しを行程表に従い段階 {step} から {other.step} に移動", title, u.loc)
        return other.step
    return step


def lesson_units_to_records(ctx: ParseContext, units: list[Unit], entries: list[ScheduleEntry], *,
                            city: str, section: str) -> list[Unit]:
    """Lesson table → one ``lesson`` per ■ headline. Returns units that were not lesson rows."""
    leftovers: list[Unit] = []
    lessons: list[_Lesson] = []
    step: str | None = None
    scope: str | None = None
    printed: str | None = None
    for u in units:
        if isinstance(u, Paragraph):
            if not phase_from_line(u.text):
                leftovers.append(u)
            continue
        filled = u.filled
        if not filled:
            continue
        if len(filled) == 1 and phase_from_line(filled[0]):
            continue
        content: list[str] = []
        for cell in u.cells:
            c = cell.strip()
            if not c:
                continue
            mark = step_mark(c)
            rest = strip_step_mark(c) if mark else c
            if mark and not rest:
                printed = mark
                continue
            if c in ("庁内", "庁外"):
                scope = c
                continue
            if "■" not in c and len(c) <= 40 and step_from_name(rest):
                new = step_from_name(rest)
                if new != step:
                    step, scope = new, None
                if mark:
                    printed = mark
                continue
            content.append(c)
        for cell in content:
            items = cell_to_items(cell)
            for i, it in enumerate(items):
                if it.kind == "headline":
                    lessons.append(_Lesson(_settled_step(ctx, entries, it.text, step, section, u),
                                           scope, it.text, printed, [u]))
                    continue
                if not lessons:
                    ctx.note("unparsed", section, "見出し(■)のない留意点", it.text, u.loc)
                    continue
                if i == 0 and it.kind == "text" and not lessons[-1].items and not any(
                        step_mark(c.strip()) or step_from_name(c.strip()) for c in u.cells[:2] if c.strip()):
                    # a headline broken across a page (PDF): the row's first text continues it
                    lessons[-1].title += it.text
                    if u not in lessons[-1].units:
                        lessons[-1].units.append(u)
                    continue
                if i == 0 and it.kind == "text" and lessons[-1].items:
                    # a row continued from the previous page: the text continues the last bullet
                    last = lessons[-1]
                    prev = last.items[-1]
                    last.items[-1] = Item(prev.kind, prev.text + it.text)
                    if u not in last.units:
                        last.units.append(u)
                    continue
                target = next((l for l in reversed(lessons) if l.step == step), None)
                if target is None:
                    target = lessons[-1]
                target.items.append(it)
                if u not in target.units:
                    target.units.append(u)

    matched: set[int] = set()
    for les in lessons:
        entry, score = _best_entry(entries, les.title, les.step)
        if entry is None or score < 0.45:
            entry, score = _best_entry(entries, les.title)
            if score < 0.6:
                entry = None
        if entry is not None:
            matched.add(id(entry))
        scope = les.scope
        if scope is None and les.step == "5" and entry is not None and entry.scope:
            scope = _scope_by_words(ctx, section, les, entry.scope)
        timing = entry.timing if entry else None
        ctx.add("lesson", city=city, section=section, loc=span(les.units), step=les.step, scope=scope,
                title=les.title, text=items_to_text(les.items),
                timing=timing, timing_period=entry.period if entry else None,
                year=timing_fiscal_year(timing) if timing else None,
                printed_step=les.printed, schedule_only=False)
    for e in entries:
        if id(e) in matched:
            continue
        ctx.note("info", section, "行程表にのみ記載の見出し（留意点の表にはない）", e.headline, e.loc)
        ctx.add("lesson", city=city, section=section, loc=e.loc, step=e.step, scope=e.scope,
                title=e.headline, text="", timing=e.timing, timing_period=e.period,
                year=timing_fiscal_year(e.timing) if e.timing else None,
                printed_step=None, schedule_only=True)
    steps = {l.step for l in lessons}
    for code in STEP_MARKS:
        if code not in steps:
            ctx.note("warning", section, f"段階 {code} の留意点が見つかりません")
    return leftovers


_BT_LABEL = re.compile(r"^(アクション/?)?ブレイクスルー要因$")


def breakthrough_units_to_record(ctx: ParseContext, units: list[Unit], *, city: str, section: str) -> None:
    items: list[Item] = []
    used: list[Unit] = []
    for u in units:
        cells = [u.text] if isinstance(u, Paragraph) else u.filled
        for c in cells:
            if _BT_LABEL.match(squash(c)):
                continue
            got = cell_to_items(c)
            if got:
                items.extend(got)
                used.append(u)
    heads = [i for i in items if i.kind == "headline"]
    if not heads:
        if items:
            ctx.note("unparsed", section, "ブレイクスルー要因の見出し(■)がありません", items[0].text)
        return
    title = heads[0].text
    body = [i for i in items if i is not heads[0]]
    ctx.add("breakthrough", city=city, section=section, loc=span(used), title=title,
            text=items_to_text(body))
