"""One city section of chapter 2 → profile, trials, lessons, breakthrough,
columns and context. The section is cut into parts by its headings (which a
reader may give as paragraphs or as one-cell table rows)."""
from __future__ import annotations

import re

from ingest.model import Item, Paragraph, Row, cell_to_items, items_to_text, join_lines
from ingest.report.context import (ParseContext, Unit, add_context, span, unit_marker_text, unit_text)
from ingest.report.lessons import breakthrough_units_to_record, lesson_units_to_records, schedule_rows_to_entries
from kb.core.vocab import load_json, unify_spellings
from kb.core.normalize import squash
from ingest.report.trials import detail_units_to_details, trial_list_units_to_rows, trials_to_records
from ingest.report.values import fiscal_year, parse_population

_MARKERS: tuple[tuple[str, str, str], ...] = (
    # (mode, pattern on the squashed heading, part title)
    ("profile", r"^1\.取組の全体像$", "1. 取組の全体像"),
    ("image", r"^2\.連携PF(イメージ)?$", "2. 連携PFイメージ"),
    ("trial_list", r"^3\.試行的事業一覧$", "3. 試行的事業一覧"),
    ("process", r"^4\.連携PFの行程", "4. 連携PFの行程および実務上の留意点"),
    ("schedule", r"^【.*行程】$", "4. 連携PFの行程および実務上の留意点 / 【行程】"),
    ("lessons", r"^【それぞれの段階での留意(点)?】$", "4. 連携PFの行程および実務上の留意点 / 【それぞれの段階での留意点】"),
    ("breakthrough", r"^ブレイクスルー要因$", "4. 連携PFの行程および実務上の留意点 / ブレイクスルー要因"),
    ("column", r"^コラム", "コラム"),
    ("meetings", r"^5\.自治体等との打合せ記録一覧$", "5. 自治体等との打合せ記録一覧"),
    ("prior", r"^(6\.)?自治体による従前からの取組$", "自治体による従前からの取組"),
    ("trial_details", r"^(7\.)?試行的事業$", "試行的事業（詳細）"),
    ("next", r"^7\.次年度以降", "3. 試行的事業一覧 / 7. 次年度以降に向けた事業等の案"),
    ("reaction", r"^8\.孤独・孤立対策を公表した際の反響", "3. 試行的事業一覧 / 8. 孤独・孤立対策を公表した際の反響"),
)
_MARKER_RES = tuple((m, re.compile(p), t) for m, p, t in _MARKERS)


def _marker(u: Unit) -> tuple[str, str] | None:
    t = unit_marker_text(u)
    if not t:
        return None
    key = unify_spellings(squash(t))
    key = re.sub(r"※.*$", "", key)
    for mode, rx, title in _MARKER_RES:
        if rx.match(key):
            return mode, title
    return None


def part_mode(u: Unit) -> str | None:
    """Which of the report's parts a unit opens (「1. 取組の全体像」 → "profile"), or None."""
    m = _marker(u)
    return m[0] if m else None


def has_report_parts(units: list[Unit]) -> bool:
    """Whether the section is cut into the model-project report's numbered parts (at least two of
    取組の全体像, 試行的事業一覧, 行程, 留意点 …); otherwise the general recognisers read it."""
    modes = {m[0] for u in units if (m := _marker(u))}
    return len(modes - {"image", "column"}) >= 2


def split_parts(units: list[Unit]) -> list[tuple[str, str, list[Unit]]]:
    parts: list[tuple[str, str, list[Unit]]] = [("profile", "1. 取組の全体像", [])]
    for u in units:
        m = _marker(u)
        if m:
            parts.append((m[0], m[1], [u]))
        else:
            parts[-1][2].append(u)
    return parts


def city_units_to_records(ctx: ParseContext, units: list[Unit], *, city: str, code: str) -> None:
    head = f"{code}. {city}"
    parts = split_parts(units)
    by_mode: dict[str, list[tuple[str, list[Unit]]]] = {}
    for mode, title, us in parts:
        by_mode.setdefault(mode, []).append((title, us))

    def section(title: str) -> str:
        return f"{head} / {title}"

    def units_of(mode: str) -> list[Unit]:
        return [u for _, us in by_mode.get(mode, []) for u in us]

    # profile
    profile_units = units_of("profile")
    profile_to_record(ctx, profile_units, city=city, section=section("1. 取組の全体像"))

    # schedule and lessons
    sched_rows = [u for u in units_of("schedule") if isinstance(u, Row)]
    entries, starts = schedule_rows_to_entries(ctx, sched_rows, city=city,
                                               section=section("4. 連携PFの行程および実務上の留意点 / 【行程】"))
    lesson_section = section("4. 連携PFの行程および実務上の留意点 / 【それぞれの段階での留意点】")
    leftovers = lesson_units_to_records(ctx, units_of("lessons"), entries, city=city, section=lesson_section)
    add_context(ctx, leftovers, city=city, section=lesson_section, title="留意点（注記）")
    if starts:
        raw, year, row = starts[0]
        sched_rec = ctx.add("context", city=city, section=section("4. 連携PFの行程および実務上の留意点 / 【行程】"),
                            loc=span(sched_rows), title="連携PFの行程（行程表）",
                            text="\n".join(unit_text(u) for u in sched_rows))
        ctx.fact(city, "pf_start", year, raw, sched_rec, "行程表")
    if not entries:
        ctx.note("warning", section("4."), "行程表が見つかりません")

    breakthrough_units_to_record(ctx, units_of("breakthrough"), city=city,
                                 section=section("4. 連携PFの行程および実務上の留意点 / ブレイクスルー要因"))

    # trials
    list_section = section("3. 試行的事業一覧")
    rows, list_left = trial_list_units_to_rows(ctx, units_of("trial_list"), section=list_section)
    details, detail_left = detail_units_to_details(units_of("trial_details"))
    if not rows:
        ctx.note("warning", list_section, "試行的事業一覧の表が見つかりません")
    left = trials_to_records(ctx, rows, details, city=city, list_section=list_section,
                             detail_section=section("試行的事業（詳細）"))
    add_context(ctx, list_left, city=city, section=list_section, title="試行的事業のポイント・工夫")
    add_context(ctx, detail_left + left, city=city, section=section("試行的事業（詳細）"))

    # columns
    for title, us in by_mode.get("column", []):
        column_units_to_records(ctx, us, city=city, section=section("コラム"))

    # everything else is narrative
    for mode in ("image", "process", "meetings", "prior", "next", "reaction"):
        for title, us in by_mode.get(mode, []):
            add_context(ctx, us, city=city, section=section(title))


# --- profile -----------------------------------------------------------------

_LABELS = {k: v for k, v in load_json("recognise")["report_profile_labels"].items() if not k.startswith("_")}
_PROFILE_BREAKS = tuple(load_json("recognise")["report_profile_breaks"]["starts"])


def profile_to_record(ctx: ParseContext, units: list[Unit], *, city: str, section: str) -> None:
    values: dict[str, str] = {}
    council: dict[str, str] = {}
    target = values
    last_key: str | None = None
    starts_seen = 0
    lines: list[str] = []
    for u in units:
        if isinstance(u, Paragraph):
            lines.append(u.text)
            continue
        cells = [c.strip() for c in u.cells]
        lines.append(" / ".join(c for c in cells if c and not re.fullmatch(r"[①-⑳]", c)))
        pending: str | None = None
        assigned = False
        for idx, c in enumerate(cells):
            if not c or re.fullmatch(r"[①-⑳]", c):
                continue
            m = re.match(r"^[①-⑳]?\s*(担当部局名)\s*(.*)$", c.replace("\n", ""))  # a PDF cell wraps
            if m and m.group(2):
                target["department"] = m.group(2).strip()
                assigned = True
                continue
            key = _LABELS.get(squash(c))
            if key:
                if key == "start":
                    starts_seen += 1
                    if starts_seen == 2:
                        target = council
                pending = key
                continue
            if pending:
                target[pending] = join_lines(c) if pending != "members" else c.replace("\n", "")
                last_key, pending, assigned = pending, None, True
            elif last_key and not assigned and idx >= 2 and not cells[idx - 1] and not pending \
                    and not any(cells[idx + 1:]) \
                    and not squash(c).startswith(_PROFILE_BREAKS):
                # a value continued from the previous page (熊本市's member list)
                target_for_last = values if last_key in values and last_key not in council else council
                target_for_last[last_key] = target_for_last[last_key] + c.replace("\n", "")
    text = "\n".join(l for l in lines if l.strip())
    if not values:
        ctx.note("warning", section, "自治体の概要の表が見つかりません")
        return
    pop = parse_population(values.get("population", ""))
    pf_raw = values.get("start", "")
    council_raw = council.get("start", "")
    fields = {
        "department": values.get("department"),
        "population": pop.value if pop else None,
        "population_date": pop.date if pop else None,
        "population_raw": values.get("population"),
        "pf_start": fiscal_year(pf_raw),
        "pf_start_raw": pf_raw or None,
        "council_start": fiscal_year(council_raw),
        "council_start_raw": council_raw or None,
        "council_planned": "予定" in council_raw,
        "members": values.get("members"),
        "council_members": council.get("members"),
    }
    for k in ("department", "population", "start"):
        if k not in values:
            ctx.note("warning", section, f"自治体の概要に {k} がありません")
    rec = ctx.add("profile", city=city, section=section, loc=span(units), title=f"{city} 自治体の概要",
                  text=text, **fields)
    ctx.fact(city, "pf_start", fields["pf_start"], pf_raw, rec, "自治体の概要")
    ctx.fact(city, "council_start", fields["council_start"], council_raw, rec, "自治体の概要")


# --- columns -----------------------------------------------------------------


def column_units_to_records(ctx: ParseContext, units: list[Unit], *, city: str, section: str) -> None:
    """コラム: the organisation's description, one record per 📍 voice, and the closing message."""
    paras = [u for u in units if isinstance(u, Paragraph)]
    if not paras:
        return
    series = paras[0].text
    org_lines: list[str] = []
    groups: list[tuple[str, list[Item], list[Unit]]] = []
    mode = "org"
    for u in paras[1:]:
        items = cell_to_items(u.text)
        if not items:
            continue
        it = items[0]
        if it.kind == "pin":
            groups.append((it.text, [], [u]))
            mode = "pin"
            continue
        if mode == "org":
            if it.kind == "bullet" or groups:
                if not groups:
                    groups.append(("__about__", [], []))
                groups[-1][1].extend(items)
                groups[-1][2].append(u)
            else:
                org_lines.append(u.text)
            continue
        if mode == "pin" and it.kind != "bullet" and groups[-1][1]:
            groups.append(("__message__", [], []))
            mode = "message"
        groups[-1][1].extend(items)
        groups[-1][2].append(u)
    org = " ".join(org_lines).strip()
    for title, items, us in groups:
        if not items:
            continue
        if title == "__about__":
            title = f"団体紹介: {org}"
        elif title == "__message__":
            title = f"{org}からのメッセージ"
        ctx.add("column", city=city, section=section, loc=span(us), title=title,
                text=items_to_text(items), organization=org, series=series)
