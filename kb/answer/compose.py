"""Answer blocks built from records, one builder per question type. Every
statement quotes its records (headline, a sentence of the text, a field value)
and carries their ids; framing words are kept to a few labels."""
from __future__ import annotations

import re
from typing import Iterable

from kb.answer.blocks import Blocks
from kb.core.records import PHASES, STEP_MARKS, STEP_NAMES, STEP_PHASE, Fact, Record, STEP_CODES
from kb.core.vocab.answer import answer_vocab

V = answer_vocab()

MAX_DETAIL = 110


# --- quoting helpers --------------------------------------------------------------

_SENT_END = re.compile(r"(?<=[。!?！？])")


def first_point(r: Record, limit: int = MAX_DETAIL) -> str:
    """The key detail of a record: its first bullet's first sentence (verbatim, cut at a sentence end)."""
    for line in r.text.split("\n"):
        line = line.strip().lstrip("・■").strip()
        if not line or line == r.title:
            continue
        sent = next((s for s in _SENT_END.split(line) if s.strip()), line)
        return sent if len(sent) <= limit else cut(sent, limit)
    return ""


def lesson_statement(r: Record, with_step: bool = False) -> str:
    parts = [f"{r.city}: {r.title}"]
    detail = first_point(r)
    if detail:
        parts.append(f" — {detail}")
    timing = r.fields.get("timing")
    if timing:
        parts.append(f"（時期: {timing}）")
    text = "".join(parts)
    return f"{step_heading(r.step)} {text}" if with_step and r.step else text


def step_heading(step: str | None) -> str:
    return f"{STEP_MARKS[step]} {STEP_NAMES[step]}" if step else ""


def phase_heading(phase: str) -> str:
    return dict(PHASES)[phase]


def ordered(records: Iterable[Record], rank: dict[str, int]) -> list[Record]:
    big = 10 ** 6
    return sorted(records, key=lambda r: (rank.get(r.id, big), bool(r.fields.get("schedule_only"))))


def pick_practices(lessons: list[Record], rank: dict[str, int], per_step: int = 3, per_city: int = 1) -> list[Record]:
    """Up to ``per_step`` practices from different cities, most relevant first."""
    out: list[Record] = []
    count: dict[str, int] = {}
    for r in ordered([l for l in lessons if not l.fields.get("schedule_only")], rank) + \
            ordered([l for l in lessons if l.fields.get("schedule_only")], rank):
        if count.get(r.city or "", 0) >= per_city:
            continue
        out.append(r)
        count[r.city or ""] = count.get(r.city or "", 0) + 1
        if len(out) >= per_step:
            break
    return out


# --- builders ---------------------------------------------------------------------


def build_roadmap(b: Blocks, records: list[Record], rank: dict[str, int], cities: tuple[str, ...] = (),
                  phases: tuple[str, ...] = ()) -> None:
    """Setup questions: the four phases in order, the steps of each, 1-3 contrasting city practices
    and the cross-city summary."""
    lessons = [r for r in records if r.kind == "lesson" and (not cities or r.city in cities)]
    summary = [r for r in records if r.kind == "summary"]
    for phase, label in PHASES:
        b.heading(label, 2, phase=phase)
        for step in (s for s in STEP_CODES if STEP_PHASE[s] == phase):
            b.heading(step_heading(step), 3, phase=phase, step=step)
            for r in pick_practices([l for l in lessons if l.step == step], rank,
                                    per_step=3 if not phases or phase in phases else 2):
                b.statement(lesson_statement(r), [r])
            common = ordered([s for s in summary if s.step == step], rank)[:1]
            for s in common:
                b.statement(f"各自治体の共通の示唆: {s.title}", [s])


def build_steps(b: Blocks, records: list[Record], rank: dict[str, int], steps: tuple[str, ...],
                cities: tuple[str, ...] = ()) -> None:
    """Step questions: that step's lessons across cities plus the cross-city summary."""
    for step in steps:
        b.heading(step_heading(step), 2, phase=STEP_PHASE[step], step=step)
        lessons = [r for r in records if r.kind == "lesson" and r.step == step and (not cities or r.city in cities)]
        for r in pick_practices(lessons, rank, per_step=5 if not cities else 4, per_city=2 if cities else 1):
            b.statement(lesson_statement(r), [r])
        common = ordered([r for r in records if r.kind == "summary" and r.step == step], rank)[:3]
        if common:
            b.heading("各自治体の取組から得られた示唆", 3, phase=STEP_PHASE[step], step=step)
            for s in common:
                b.statement(s.title, [s])


def build_hits(b: Blocks, hits: list[Record], limit: int = 5, heading: str | None = None) -> None:
    if heading:
        b.heading(heading, 2)
    for r in hits[:limit]:
        b.statement(describe(r), [r])


def describe(r: Record) -> str:
    """One-line description of any record, quoting it."""
    if r.kind == "lesson":
        return lesson_statement(r, with_step=True)
    if r.kind == "trial":
        return trial_line(r)
    if r.kind == "profile":
        return profile_line(r)
    if r.kind == "summary":
        return f"各自治体の共通の示唆（{step_heading(r.step)}）: {r.title}" if r.step else r.title
    if r.kind == "column":
        detail = first_point(r)
        return f"{r.fields.get('organization') or r.city}: {r.title}" + (f" — {detail}" if detail else "")
    if r.kind == "breakthrough":
        detail = first_point(r)
        return f"{r.city} ブレイクスルー要因: {r.title}" + (f" — {detail}" if detail else "")
    if r.kind == "overview":
        return f"{r.city}: " + r.text.replace("\n", " / ")
    detail = first_point(r) or r.text[:MAX_DETAIL]
    return f"{r.title}: {detail}" if r.title and r.title not in detail else detail


def yen(r: Record) -> str:
    cost = r.fields.get("cost_yen")
    if cost is None:
        return "発注なし" if r.fields.get("cost_note") == "発注なし" or not r.fields.get("ordered") else "不明"
    man = cost / 10_000
    text = f"{man:g}万円" if cost % 1000 == 0 else f"{cost:,}円"
    return ("約" if r.fields.get("cost_approx") else "") + text


def trial_line(r: Record) -> str:
    vendor = r.fields.get("vendor") or "—"
    return f"{r.city}「{r.title}」: 発注先 {vendor}（{yen(r)}）"


def build_trial(b: Blocks, r: Record) -> None:
    """Trial questions: vendor, cost, period, KPI and results of one trial."""
    b.heading(f"{r.city}「{r.title}」", 2)
    f = r.fields
    if f.get("content"):
        b.statement(f"事業内容: {cut(f['content'], 160)}", [r])
    b.statement(f"発注先: {f.get('vendor') or '—'}（費用: {yen(r)}）", [r])
    if f.get("period"):
        b.statement(f"実施時期: {f['period']}", [r])
    if f.get("kpi"):
        b.statement(f"目的/期待効果・KPI: {cut(f['kpi'], 160)}", [r])
    if f.get("results"):
        b.statement("成果検証結果: " + " / ".join(f["results"][:3]), [r])
    if f.get("outcome"):
        b.statement(f"結果: {cut(f['outcome'], 160)}", [r])


def cut(text: str, limit: int) -> str:
    """Shorten at a sentence or clause end where possible, never inside a word of Latin letters or digits."""
    text = text.replace("\n", " ")
    if len(text) <= limit:
        return text
    head = text[:limit]
    for mark in ("。", "、", " "):
        i = head.rfind(mark)
        if i >= limit * 0.6:
            return head[:i + 1].rstrip("、 ") + "…"
    while head and head[-1].isascii() and head[-1].isalnum():
        head = head[:-1]
    return head + "…"


def profile_line(r: Record) -> str:
    f = r.fields
    parts = [f"{r.city}"]
    if f.get("department"):
        parts.append(f"担当部局 {f['department']}")
    if f.get("population_raw"):
        parts.append(f"人口 {f['population_raw']}")
    if f.get("pf_start_raw"):
        parts.append(f"連携PF立ち上げ年度 {f['pf_start_raw']}")
    if f.get("council_start_raw"):
        parts.append(f"地域協議会 {f['council_start_raw']}")
    return "、".join(parts)


def build_profile(b: Blocks, r: Record, wants: set[str]) -> None:
    f = r.fields
    b.heading(f"{r.city}の概要", 2)
    lines = []
    if not wants or "population" in wants:
        if f.get("population_raw"):
            lines.append(f"人口: {f['population_raw']}")
    if not wants or "department" in wants:
        if f.get("department"):
            lines.append(f"担当部局: {f['department']}")
    if not wants or "members" in wants:
        if f.get("members"):
            lines.append(f"連携PFの参画メンバー: {cut(f['members'], 140)}")
    if not wants or "start" in wants:
        if f.get("pf_start_raw"):
            lines.append(f"連携PFの立ち上げ年度: {f['pf_start_raw']}")
        if f.get("council_start_raw"):
            lines.append(f"地域協議会の立ち上げ年度: {f['council_start_raw']}")
    for line in lines:
        b.statement(line, [r])


def fact_conflicts(facts: list[Fact], by_id: dict[str, Record], cities: Iterable[str], names: Iterable[str]) -> list[dict]:
    """Facts whose sources disagree (e.g. 福岡市's PF start), with every value and its source."""
    out = []
    for city in cities:
        for name in names:
            obs = [f for f in facts if f.city == city and f.name == name and f.raw and f.raw not in ("—", "-")]
            if len({f.value for f in obs}) > 1:
                out.append({"city": city, "name": name,
                            "values": [{"value": f.value, "raw": f.raw, "where": f.where, "record_id": f.record_id}
                                       for f in obs if f.record_id in by_id]})
    return out


def build_fact_values(b: Blocks, facts: list[Fact], by_id: dict[str, Record], city: str, name: str) -> None:
    obs = [f for f in facts if f.city == city and f.name == name and f.raw and f.record_id in by_id]
    if not obs:
        return
    b.heading(f"{city}の{V.fact_label(name)}", 2)
    for f in obs:
        b.statement(f"{f.where}: {f.raw}", [by_id[f.record_id]])
    if len({f.value for f in obs}) > 1:
        b.note("資料の中で記載が異なります。それぞれの出典を確認してください。")


def question_units(question: str) -> list[str]:
    """What kind of figure the question asks for: 何人 → persons, いくら → yen, 割合 → %, いつ → dates."""
    units = [u for u in V.counter_units if f"何{u}" in question]
    for unit, cues in V.unit_cues.items():
        if any(w in question for w in cues):
            units.append(unit)
    return units


def best_lines(records: list[Record], terms: set[str], tokenizer, need_digit: bool, limit: int = 3,
               units: list[str] | None = None) -> list[tuple[str, Record]]:
    """Lines of the records that share most key terms with the question (numbers first for fact
    questions, figures of the asked kind — persons, yen, % — before others)."""
    unit_res = [V.unit_patterns[u] for u in units or []]
    scored = []
    for rank, r in enumerate(records):
        for line in re.split(r"\n|(?<=。)", r.text):
            line = line.strip().lstrip("・-").strip()
            if len(line) < 4:
                continue
            toks = set(tokenizer(line))
            overlap = len(toks & terms)
            if not overlap and not (unit_res and rank == 0):
                continue
            digit = bool(re.search(r"\d", line))
            if need_digit and not digit:
                continue
            if any(u.search(line) for u in unit_res):
                overlap += 2
            # the best-ranked record is most likely the one asked about
            scored.append((overlap + (0.5 if digit else 0) - rank * 2.0, cut(line, 160), r))
    scored.sort(key=lambda x: -x[0])
    out, seen = [], set()
    for score, line, r in scored:
        if line in seen or score < scored[0][0] - 2.5:  # only lines nearly as good as the best
            continue
        seen.add(line)
        out.append((line, r))
        if len(out) >= limit:
            break
    return out


def build_compare_cities(b: Blocks, records: list[Record], cities: tuple[str, ...], steps: tuple[str, ...],
                         rank: dict[str, int]) -> None:
    steps = steps or STEP_CODES
    rows, cited = [], []
    for step in steps:
        row = [step_heading(step)]
        for city in cities:
            les = pick_practices([r for r in records if r.kind == "lesson" and r.step == step and r.city == city],
                                 rank, per_step=1)
            if les:
                row.append(les[0].title)
                cited.append(les[0])
            else:
                row.append("（記載なし）")
        rows.append(row)
    b.heading("比較: " + " / ".join(cities), 2)
    b.table(["段階"] + list(cities), rows, cited)


def build_compare_terms(b: Blocks, hits: list[Record], a: str, c: str) -> bool:
    """A table the report itself holds (rows "観点 | A側 | B側"), else False."""
    for r in hits[:5]:
        lines = [l for l in r.text.split("\n") if l.count(" | ") >= 1]
        header = next((i for i, l in enumerate(lines) if a in l and c in l and l.count(" | ") <= 3), None)
        if header is None:
            continue
        head = [x.strip() for x in lines[header].split(" | ")]
        rows = []
        for l in lines[header + 1:header + 8]:
            cells = [x.strip() for x in l.split(" | ")]
            if len(cells) == len(head) + 1 or len(cells) == len(head):
                rows.append([cut(x, 120) for x in cells])
        if rows:
            cols = (["観点"] + head) if len(rows[0]) == len(head) + 1 else head
            b.heading(f"{a}と{c}の違い（{r.city or '資料'}の整理）", 2)
            b.table(cols, rows, [r])
            return True
    return False
