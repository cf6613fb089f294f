"""Chapter 1: the cross-city lessons (``summary``, by phase and step) and the
map of trial projects across municipalities (``overview``, one per row)."""
from __future__ import annotations

import re

from ingest.model import Paragraph, Row, cell_to_items, join_lines, continue_row
from ingest.recognise.numbering import numbering_of
from ingest.report.context import ParseContext, Unit, add_context, unit_marker_text
from kb.core.normalize import squash
from kb.core.vocab import load_json
from ingest.report.phases import phase_from_line, step_from_name, step_mark, strip_step_mark
from ingest.report.values import fiscal_year

_OVERVIEW_ROW = re.compile(r"^(\d{1,2})\s*(\S{1,8}?[市区町村])$")
_REGION = re.compile(r"^[(（]([^)）]*地域)[)）]$")
# The map's columns and their headings (the R/P/D categories): kb/core/vocab/trials.json.
_TRIALS = load_json("trials")
_OVERVIEW_COLS: tuple[str, ...] = tuple(_TRIALS["overview_columns"])
_OVERVIEW_LABELS = {col: _TRIALS["category_labels"][_TRIALS["field_category"][col]] for col in _OVERVIEW_COLS}


def is_overview_row(row: Row) -> bool:
    """A row of the municipality map: its first cell is a number and a municipality (「3 熊本市」)."""
    return bool(row.cells) and bool(_OVERVIEW_ROW.match(squash(row.cells[0])))


def _summary_start(units: list[Unit]) -> int | None:
    """Where the cross-city lessons start: the heading before the first phase line."""
    first = next((i for i, u in enumerate(units)
                  if (t := unit_marker_text(u)) and phase_from_line(re.sub(r"^-\s*", "", t.strip()))), None)
    if first is None:
        return None
    for i in range(first - 1, max(-1, first - 6), -1):
        u = units[i]
        if isinstance(u, Paragraph) and numbering_of(u.text) is not None:
            return i
    return first


def chapter1_units_to_records(ctx: ParseContext, units: list[Unit], *, section: str) -> None:
    start = _summary_start(units)
    before = units if start is None else units[:start]
    after = [] if start is None else units[start:]
    rest = overview_units_to_records(ctx, before, section=section)
    add_context(ctx, rest, city=None, section=section)
    if start is None:
        ctx.note("warning", section, "第1章の留意点・示唆集（3)）が見つかりません")
        return
    rest = summary_units_to_records(ctx, after, section=section + " / 3) 留意点・示唆集")
    add_context(ctx, rest, city=None, section=section + " / 3) 留意点・示唆集")


def overview_units_to_records(ctx: ParseContext, units: list[Unit], *, section: str) -> list[Unit]:
    leftovers: list[Unit] = []
    region = None
    reference = False
    for u in _join_continued_map_rows(units):
        if isinstance(u, Paragraph):
            m = _REGION.match(squash(u.text))
            if m:
                region = m.group(1)
            if "参考" in u.text and "整理マップ" in u.text:
                reference = True
            leftovers.append(u)
            continue
        m = _OVERVIEW_ROW.match(squash(u.cells[0])) if u.cells else None
        if not m:
            if u.filled and not any(k in squash(" ".join(u.filled)) for k in ("自治体", "Research", "Plan", "Do")):
                leftovers.append(u)
            continue
        cells = [join_lines(c) if i < 3 else c for i, c in enumerate(u.cells)] + [""] * (7 - len(u.cells))
        city = m.group(2)
        lists = {k: [it.text for it in cell_to_items(c)] for k, c in zip(_OVERVIEW_COLS, cells[3:7])}
        lines = [f"連携PF: {cells[1] or '—'}", f"地域協議会: {cells[2] or '—'}"]
        for k in _OVERVIEW_COLS:
            if lists[k]:
                lines.append(f"{_OVERVIEW_LABELS[k]}: " + "、".join(lists[k]))
        rec = ctx.add("overview", city=city, section=section + " / 2) 試行的事業の実施", loc=u.loc,
                      title=f"{city}（試行的事業の整理マップ）", text="\n".join(lines),
                      number=int(m.group(1)), pf_start=fiscal_year(cells[1]) if "未" not in cells[1] else None,
                      pf_start_raw=cells[1] or None,
                      council_start=fiscal_year(cells[2]) if "未" not in cells[2] else None,
                      council_start_raw=cells[2] or None, region=region, reference=reference, **lists)
        ctx.fact(city, "pf_start", rec.fields["pf_start"], cells[1], rec, "第1章 試行的事業の整理マップ")
        ctx.fact(city, "council_start", rec.fields["council_start"], cells[2], rec, "第1章 試行的事業の整理マップ")
    return leftovers


def _join_continued_map_rows(units: list[Unit]) -> list[Unit]:
    """A map row broken across a page (PDF) continues in a row whose number cell
    is empty: join it back so that the municipality keeps all its entries."""
    out: list[Unit] = []
    for u in units:
        prev = out[-1] if out else None
        if isinstance(u, Row) and isinstance(prev, Row) and u.cells and not u.cells[0].strip() and u.filled \
                and prev.cells and _OVERVIEW_ROW.match(squash(prev.cells[0])):
            out[-1] = continue_row(prev, u)
            continue
        out.append(u)
    return out


def summary_units_to_records(ctx: ParseContext, units: list[Unit], *, section: str) -> list[Unit]:
    """Bullets under (ア)…(エ) / ①…⑨ / optional group lines (体制, 庁内の巻き込み…)."""
    leftovers: list[Unit] = []
    phase = step = group = None
    seen_phase = False
    for u in units:
        text = unit_marker_text(u) if isinstance(u, Row) else u.text
        if text is None:
            leftovers.append(u)
            continue
        line = re.sub(r"^-\s*", "", text.strip())
        ph = phase_from_line(line)
        if ph:
            phase, step, group, seen_phase = ph, None, None, True
            continue
        if not seen_phase:
            leftovers.append(u)
            continue
        if step_mark(line):
            code = step_from_name(strip_step_mark(line))
            if code:
                step, group = code, None
                continue
        items = cell_to_items(line)
        if items and items[0].kind == "bullet" and line.lstrip().startswith(("・", "•")):
            for it in items:
                scope = "庁内" if group and "庁内" in group else "庁外" if group and "庁外" in group else None
                ctx.add("summary", city=None, section=section, loc=u.loc, step=step,
                        phase=phase, scope=scope, title=it.text, text=it.text, group=group)
            continue
        if len(line) <= 30:
            group = line
            continue
        leftovers.append(u)
    return leftovers
