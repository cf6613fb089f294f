"""Trial projects: the 試行的事業一覧 table merged, by title, with the detail
pages (概要 / ねらい / 工夫点 / 結果) that follow later in the city section."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.model import Loc, Paragraph, Row, cell_to_items, join_lines
from ingest.report.context import ParseContext, Unit, similarity, span, unit_marker_text, unit_text
from kb.core.normalize import CIRCLED, squash
from kb.core.vocab import load_json
from ingest.report.values import parse_order

# The headings of a trial's detail page and the field each fills: kb/core/vocab/trials.json.
DETAIL_FIELDS: dict[str, str] = load_json("trials")["detail_fields"]


@dataclass
class TrialRow:
    number: str
    title: str
    content: str
    kpi: str
    period: str
    order: str
    loc: Loc
    units: list[Unit] = field(default_factory=list)
    results: list[str] = field(default_factory=list)


@dataclass
class TrialDetail:
    number: str
    title: str
    loc: Loc
    fields: dict[str, str] = field(default_factory=dict)
    narrative: list[Unit] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)


def _lines(cell: str) -> list[str]:
    return [it.text for it in cell_to_items(cell)]


def trial_list_units_to_rows(ctx: ParseContext, units: list[Unit], *, section: str) -> tuple[list[TrialRow], list[Unit]]:
    rows: list[TrialRow] = []
    leftovers: list[Unit] = []
    last: str | None = None  # "trial" or "results": what a row broken across a page continues
    for u in units:
        if isinstance(u, Paragraph):
            leftovers.append(u)
            last = None
            continue
        cells = list(u.cells)
        filled = u.filled
        if not filled:
            continue
        if "事業名称" in squash(" ".join(filled)):
            continue
        res_idx = next((i for i, c in enumerate(cells) if squash(c).startswith("成果検証結果")), None)
        if res_idx is not None:
            rest = re.sub(r"^成果\s*検証\s*結果", "", cells[res_idx].strip()).strip()
            texts = [rest] + [c for c in cells[res_idx + 1:] if c.strip()]
            if rows:
                for t in texts:
                    rows[-1].results.extend(_lines(t))
                rows[-1].units.append(u)
                last = "results"
            else:
                ctx.note("unparsed", section, "成果検証結果の前に事業の行がありません", unit_text(u), u.loc)
            continue
        if cells and cells[0].strip() and cells[0].strip()[0] in CIRCLED and len(cells) >= 4:
            padded = cells + [""] * (6 - len(cells))
            title = join_lines(padded[1])
            if not title and rows:
                title = rows[-1].title  # a merged cell: the title above applies
            rows.append(TrialRow(cells[0].strip()[0], title, padded[2], padded[3], padded[4],
                                 " ".join(padded[5:]).strip(), u.loc, [u]))
            last = "trial"
            continue
        if rows and last and cells and not cells[0].strip():
            _continue_trial(rows[-1], u, last)  # a row broken across a page (PDF)
            continue
        leftovers.append(u)
        last = None
    return rows, leftovers


def _continue_trial(row: TrialRow, part: Row, last: str) -> None:
    """The rest of a trial (or of its 成果検証結果) row, broken onto the next page."""
    row.units.append(part)
    if last == "results":
        for c in part.cells:
            row.results.extend(_lines(c))
        return
    cells = list(part.cells) + [""] * (6 - len(part.cells))
    for attr, text in (("title", cells[1]), ("content", cells[2]), ("kpi", cells[3]), ("period", cells[4]),
                       ("order", " ".join(cells[5:]).strip())):
        if text.strip():
            old = getattr(row, attr)
            setattr(row, attr, f"{old}\n{text}" if old else text)


_HEADER = re.compile(rf"^([{CIRCLED}])\s*(.+)$")


def detail_units_to_details(units: list[Unit]) -> tuple[list[TrialDetail], list[Unit]]:
    """Detail pages: a "③ 題名" header, then 概要/ねらい/工夫点/結果 rows, then narrative."""
    details: list[TrialDetail] = []
    leftovers: list[Unit] = []

    def is_header(i: int) -> bool:
        t = unit_marker_text(units[i])
        if not t or not _HEADER.match(t.strip()):
            return False
        for u in units[i + 1:i + 4]:
            if isinstance(u, Row) and u.filled and squash(u.filled[0]) == "概要":
                return True
        return False

    for i, u in enumerate(units):
        if is_header(i):
            m = _HEADER.match(unit_marker_text(u).strip())
            details.append(TrialDetail(m.group(1), join_lines(m.group(2)), u.loc, units=[u]))
            continue
        if not details:
            leftovers.append(u)
            continue
        d = details[-1]
        if isinstance(u, Row) and len(u.filled) >= 2 and squash(u.filled[0]) in DETAIL_FIELDS \
                and DETAIL_FIELDS[squash(u.filled[0])] not in d.fields:
            d.fields[DETAIL_FIELDS[squash(u.filled[0])]] = "\n".join(" ".join(_lines(c)) if len(_lines(c)) == 1 else "\n".join("・" + x for x in _lines(c)) for c in u.filled[1:])
            d.units.append(u)
            continue
        d.narrative.append(u)
    return details, leftovers


def _match(rows: list[TrialRow], details: list[TrialDetail]) -> dict[int, int]:
    """Match list rows to detail pages by title (numbers differ between the two)."""
    pairs = []
    for i, r in enumerate(rows):
        for j, d in enumerate(details):
            s = similarity(r.title, d.title)
            if squash(r.title) and squash(r.title) in squash(d.title):
                s = max(s, 0.8)
            # 企画提案型研修委託事業(作業部会) vs (こども未来キャラバン): the parenthesis names the content
            paren = re.findall(r"\(([^)]+)\)", squash(d.title))
            if paren and any(p in squash(r.content) for p in paren):
                s += 0.3
            pairs.append((s, i, j))
    pairs.sort(reverse=True)
    out: dict[int, int] = {}
    used: set[int] = set()
    for s, i, j in pairs:
        if s < 0.35 or i in out or j in used:
            continue
        out[i] = j
        used.add(j)
    return out


def trials_to_records(ctx: ParseContext, rows: list[TrialRow], details: list[TrialDetail], *,
                      city: str, list_section: str, detail_section: str) -> list[Unit]:
    match = _match(rows, details)
    titles = [r.title for r in rows]
    leftovers: list[Unit] = []
    for i, r in enumerate(rows):
        d = details[match[i]] if i in match else None
        if d is None:
            ctx.note("warning", list_section, "試行的事業の詳細ページが見つかりません", r.title, r.loc)
        title = r.title
        if d is not None and (not title or titles.count(title) > 1):
            title = re.sub(r"の実施(?=\(|$)", "", d.title)
        orders = [parse_order(x) for x in (_lines(r.order) or [r.order])]
        vendors = [o.vendor for o in orders if o.vendor]
        costs = [o.cost_yen for o in orders if o.cost_yen is not None]
        notes = [o.note for o in orders if o.note]
        cost = sum(costs) if costs else None
        period = " / ".join(_lines(r.period)) or r.period.strip()
        kpi = " / ".join(_lines(r.kpi))
        content = " ".join(_lines(r.content))
        lines = [f"事業内容: {content}", f"目的/期待効果・KPI: {kpi}", f"実施時期: {period}",
                 f"発注先: {' / '.join(_lines(r.order)) or r.order}"]
        if r.results:
            lines.append("成果検証結果: " + " / ".join(r.results))
        fields = {}
        if d is not None:
            for key, label in (("overview", "概要"), ("aim", "ねらい"), ("ingenuity", "工夫点"), ("outcome", "結果")):
                if d.fields.get(key):
                    lines.append(f"{label}: {d.fields[key]}")
                    fields[key] = d.fields[key]
            narrative = "\n".join(unit_text(u) for u in d.narrative).strip()
            if narrative:
                lines.append(narrative)
        text = "\n".join(lines)
        units = r.units + (d.units + d.narrative if d else [])
        loc = span(r.units)
        ctx.add("trial", city=city, section=list_section, loc=loc, title=title, text=text,
                key=(r.number, r.title),
                number=r.number, detail_number=d.number if d else None,
                detail_title=d.title if d else None,
                detail_page=d.loc.page if d else None,
                detail_lines=[span(d.units + d.narrative).line, span(d.units + d.narrative).end_line] if d and d.loc.line else None,
                content=content, kpi=kpi, period=period,
                vendor="、".join(vendors) if vendors else None, vendors=vendors,
                cost_yen=cost, cost_approx=any(o.approx for o in orders),
                cost_note=" ".join(notes) or None, ordered=bool(vendors),
                results=r.results, **fields)
        del units
    for j, d in enumerate(details):
        if j not in match.values():
            ctx.note("warning", detail_section, "一覧にない試行的事業の詳細ページ", d.title, d.loc)
            leftovers.extend(d.units + d.narrative)
    return leftovers
