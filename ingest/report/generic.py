"""General recognisers of a municipality section in any layout (not the model-project report's own
numbered parts): each reads the section's blocks and takes what it recognises, and what none takes
becomes ``context``.

- profile: key/value rows or 「label：value」 lines whose labels the synonym table knows
  (所管部署 → department, 総人口 → population in 万/千 notation, PF設置年度 → pf_start …);
- trials: labelled blocks opened by a title label (事業名/事業名称 …) and filled by the labels that
  follow (委託先, 事業費, 実施時期, 目的, 成果 …), or table rows under a header row of such labels;
- lessons: a headline (the first of ■ ○ ● ◆ … met in the section) with the bullets that follow
  (・ － - …), or a heading whose body is bullets; phase from the phase headings above
  (``ingest.recognise.phases``), step from a step heading, else inferred from the text;
- breakthroughs and partner voices: the same under a heading with their cue words."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ingest.model import Heading, ListItem, Loc, Paragraph, Row, Table, block_loc
from ingest.recognise.labels import canonical_label, label_of
from ingest.recognise.phases import is_phase_title
from ingest.recognise.steps import StepClassifier, default_classifier
from ingest.recognise.tree import Section
from ingest.report.context import ParseContext, span
from ingest.report.phases import step_from_name
from ingest.report.values import fiscal_year, parse_order, parse_population, parse_yen
from kb.core.normalize import squash
from kb.core.records import STEP_PHASE
from kb.core.vocab import load_json

HEADLINE_MARKS = "■□○●◆◇▼◎★▶"
BULLET_MARKS = "・－-‐–−―ー•✓▪"
_TRIAL_FIELDS = ("vendor", "cost", "period", "kpi", "content", "outcome")
_PROFILE_FIELDS = ("department", "population", "pf_start", "council_start", "members", "name")


@dataclass
class Line:
    text: str
    loc: Loc
    label: tuple[str, str] | None = None  # (label as printed, value)


@dataclass
class GenericContext:
    """What the document says about the sections above: canonical phase per phase title, classifier."""
    phase_of_title: dict[str, str] = field(default_factory=dict)
    classifier: StepClassifier | None = None


def _cues(name: str) -> tuple[str, ...]:
    return tuple(squash(w) for w in load_json("recognise")[name])


def _path_has(s: Section, cues: tuple[str, ...]) -> bool:
    cur = s
    while cur is not None and cur.heading is not None:
        if any(c in squash(cur.title) for c in cues):
            return True
        cur = cur.parent
    return False


def phase_of_section(s: Section, g: GenericContext) -> tuple[str | None, str | None]:
    """(canonical phase, the document's own phase title) from the nearest phase heading above."""
    cur = s
    while cur is not None and cur.heading is not None:
        key = squash(cur.title)
        if key in g.phase_of_title:
            return g.phase_of_title[key], cur.title
        cur = cur.parent
    return None, None


def _lines(s: Section) -> list[Line]:
    out: list[Line] = []
    for b in s.blocks:
        if isinstance(b, Table):
            for r in b.rows:
                f = r.filled
                if len(f) == 2 and canonical_label(f[0]):
                    out.append(Line(f"{f[0]}：{f[1]}", r.loc, (f[0], f[1])))
                elif f:
                    out.append(Line(" | ".join(f), r.loc))
        elif isinstance(b, (Paragraph, ListItem, Heading)):
            text = b.text.strip()
            if isinstance(b, ListItem) and b.marker and not text.startswith(b.marker):
                text = b.marker + text
            for part in text.split("\n"):
                if part.strip():
                    out.append(Line(part.strip(), b.loc, label_of(part)))
    return out


def _mark(text: str) -> str | None:
    return text[0] if text and (text[0] in HEADLINE_MARKS or text[0] in BULLET_MARKS) else None


def generic_city_to_records(ctx: ParseContext, s: Section, *, city: str, label: str,
                            step_scorer: Any = None, g: GenericContext | None = None) -> dict[str, int]:
    g = g or GenericContext()
    fired: dict[str, int] = {}
    profile: dict[str, str] = {}
    profile_lines: list[Line] = []
    for sec in s.walk():
        got = _section_to_records(ctx, sec, city=city, root=s, label=label, g=g, profile=profile,
                                  profile_lines=profile_lines)
        for k, v in got.items():
            fired[k] = fired.get(k, 0) + v
    if profile:
        _profile_record(ctx, city, label, profile, profile_lines)
        fired["profile"] = 1
    return fired


def _section_label(sec: Section, root: Section, label: str) -> str:
    parts, cur = [], sec
    while cur is not None and cur is not root and cur.heading is not None:
        parts.append(cur.heading_text)
        cur = cur.parent
    return " / ".join([label] + parts[::-1])


def _section_to_records(ctx: ParseContext, sec: Section, *, city: str, root: Section, label: str,
                        g: GenericContext, profile: dict[str, str], profile_lines: list[Line]) -> dict[str, int]:
    fired: dict[str, int] = {}
    where = _section_label(sec, root, label)
    lines = _lines(sec)
    if not lines:
        return fired
    if _path_has(sec, _cues("voice_cues")):
        ctx.add("column", city=city, section=where, loc=span_lines(lines), title=sec.title or lines[0].text[:40],
                text="\n".join(l.text for l in lines), organization=None, series=sec.title)
        return {"column": 1}
    # labelled fields: trials and the profile
    rest: list[Line] = []
    trials: list[dict[str, Any]] = []
    for ln in lines:
        canon = canonical_label(ln.label[0]) if ln.label else None
        if canon == "title" and ln.label[1]:
            trials.append({"title": ln.label[1], "lines": [ln]})
            continue
        if canon in _TRIAL_FIELDS and trials and canon not in trials[-1]:
            trials[-1][canon] = ln.label[1]
            trials[-1]["lines"].append(ln)
            continue
        if canon in _PROFILE_FIELDS and canon not in profile:
            profile[canon] = ln.label[1]
            profile_lines.append(ln)
            continue
        rest.append(ln)
    for t in trials:
        _trial_record(ctx, city, where, t)
    if trials:
        fired["trial"] = len(trials)
    rest = _table_trials(ctx, city, where, sec, rest, fired)
    # headlines with their bullets
    breakthrough = _path_has(sec, _cues("breakthrough_cues"))
    phase, phase_title = phase_of_section(sec, g)
    step_label = sec.title if sec.heading is not None and len(sec.title) <= 30 and step_from_name(sec.title) else None
    groups, leftover = _headline_groups(rest)
    if not groups and sec.heading is not None and rest and sum(1 for l in rest if _mark(l.text) in tuple(BULLET_MARKS)) >= max(1, len(rest) // 2) \
            and (phase or breakthrough) and not is_phase_title(sec.title):
        groups, leftover = [(Line(sec.title, sec.loc), rest)], []  # a heading whose body is bullets
    for head, body in groups:
        title = head.text.lstrip(HEADLINE_MARKS).strip()
        text = "\n".join("・" + b.text.lstrip(BULLET_MARKS + HEADLINE_MARKS).strip() for b in body)
        loc = span_lines([head] + body)
        if breakthrough:
            ctx.add("breakthrough", city=city, section=where, loc=loc, title=title, text=text)
            fired["breakthrough"] = fired.get("breakthrough", 0) + 1
            continue
        _lesson_record(ctx, city, where, loc, title, text, phase, phase_title, step_label, g)
        fired["lesson"] = fired.get("lesson", 0) + 1
    if leftover:
        ctx.add("context", city=city, section=where, loc=span_lines(leftover), title=where,
                text="\n".join(l.text for l in leftover))
    return fired


def span_lines(lines: list[Line]) -> Loc:
    return span([Paragraph(l.text, l.loc) for l in lines])


def _headline_groups(lines: list[Line]) -> tuple[list[tuple[Line, list[Line]]], list[Line]]:
    """Headlines (the first headline mark met in the section) each with the bullets that follow."""
    head_mark = next((l.text[0] for l in lines if l.text and l.text[0] in HEADLINE_MARKS), None)
    groups: list[tuple[Line, list[Line]]] = []
    leftover: list[Line] = []
    for ln in lines:
        if head_mark and ln.text.startswith(head_mark):
            groups.append((ln, []))
        elif groups and (_mark(ln.text) or not ln.label):
            head, body = groups[-1]
            if _mark(ln.text):
                body.append(ln)
            elif not body:  # a wrapped headline continues
                groups[-1] = (Line(head.text + ln.text, head.loc), body)
            else:  # a wrapped bullet continues
                body[-1] = Line(body[-1].text + ln.text, body[-1].loc)
        else:
            leftover.append(ln)
    return groups, leftover


def phase_section_to_summaries(ctx: ParseContext, s: Section, *, label: str, g: GenericContext) -> bool:
    """Under a phase heading but outside any municipality: cross-city lessons (``summary``, city
    null) — one per headline with its bullets, or one per bullet where there are no headlines.
    False when the section holds none (its text then becomes context)."""
    phase, phase_title = phase_of_section(s, g)
    if phase is None:
        return False
    lines = _lines(s)
    groups, leftover = _headline_groups(lines)
    if not groups:
        bullets = [l for l in lines if _mark(l.text) and l.text[0] in BULLET_MARKS]
        if not bullets:
            return False
        groups = [(b, []) for b in bullets]
        leftover = [l for l in lines if l not in bullets]
    step_label = s.title if s.heading is not None and len(s.title) <= 30 and step_from_name(s.title) else None
    for head, body in groups:
        title = head.text.lstrip(HEADLINE_MARKS + BULLET_MARKS).strip()
        text = "\n".join("・" + b.text.lstrip(BULLET_MARKS + HEADLINE_MARKS).strip() for b in body) or title
        _lesson_record(ctx, None, label, span_lines([head] + body), title, text, phase, phase_title, step_label, g,
                       kind="summary")
    if leftover:
        ctx.add("context", city=None, section=label, loc=span_lines(leftover), title=label,
                text="\n".join(l.text for l in leftover))
    return True


def _lesson_record(ctx: ParseContext, city: str | None, where: str, loc: Loc, title: str, text: str,
                   phase: str | None, phase_title: str | None, step_label: str | None, g: GenericContext,
                   kind: str = "lesson") -> None:
    step = step_from_name(step_label) if step_label else None
    source, confidence = ("label", 1.0) if step else (None, None)
    if step is not None and phase is not None and STEP_PHASE[step] != phase:
        step, source = None, None  # a step heading of another phase: trust the phase, infer the step
    if step is None:
        clf = g.classifier or default_classifier()
        guess = clf.predict(f"{title}\n{text}", phase)
        if guess is not None:
            step, source, confidence = guess.step, "inferred", guess.confidence
    ctx.add(kind, city=city, section=where, loc=loc, step=step, phase=phase or (STEP_PHASE.get(step) if step else None),
            title=title, text=text, timing=None, timing_period=None, year=None, printed_step=None,
            schedule_only=False, step_source=source, step_confidence=confidence,
            phase_label=phase_title, step_label=step_label)


def _trial_record(ctx: ParseContext, city: str, where: str, t: dict[str, Any]) -> None:
    vendor_raw = t.get("vendor") or ""
    cost_raw = t.get("cost") or ""
    no_order = any(squash(w) in squash(vendor_raw + cost_raw) for w in load_json("recognise")["no_order"])
    orders = [parse_order(x) for x in re.split(r"[、/]|\n", vendor_raw) if x.strip()] if vendor_raw and not no_order else []
    vendors = [o.vendor for o in orders if o.vendor]
    cost, approx = parse_yen(cost_raw) if cost_raw else (None, False)
    if cost is None:
        costs = [o.cost_yen for o in orders if o.cost_yen is not None]
        cost = sum(costs) if costs else None
        approx = any(o.approx for o in orders)
    lines = [f"{l.label[0]}: {l.label[1]}" for l in t["lines"] if l.label]
    ctx.add("trial", city=city, section=where, loc=span_lines(t["lines"]), title=t["title"], text="\n".join(lines),
            key=("trial", t["title"]), number=None, detail_number=None, detail_title=None, detail_page=None,
            detail_lines=None, content=t.get("content", ""), kpi=t.get("kpi", ""), period=t.get("period", ""),
            vendor="、".join(vendors) if vendors else None, vendors=vendors, cost_yen=cost, cost_approx=approx,
            cost_note="発注なし" if no_order else None, ordered=bool(vendors), results=[t["outcome"]] if t.get("outcome") else [],
            outcome=t.get("outcome"))


def _table_trials(ctx: ParseContext, city: str, where: str, sec: Section, rest: list[Line], fired: dict[str, int]) -> list[Line]:
    """A table whose header row names a title column and a vendor or cost column: one trial a row."""
    used: set[int] = set()
    for b in sec.blocks:
        if not isinstance(b, Table) or len(b.rows) < 2:
            continue
        header = [canonical_label(c) if c.strip() else None for c in b.rows[0].cells]
        if "title" not in header or not ({"vendor", "cost"} & set(header)):
            continue
        for r in b.rows[1:]:
            t: dict[str, Any] = {"lines": []}
            for name, raw, cell in zip(header, b.rows[0].cells, r.cells):
                if name and cell.strip() and name not in t:
                    t[name] = cell.strip()
                    t["lines"].append(Line(f"{raw}：{cell}", r.loc, (raw, cell.strip())))
            if t.get("title"):
                _trial_record(ctx, city, where, t)
                fired["trial"] = fired.get("trial", 0) + 1
        used |= {id(r.loc) for r in b.rows}
    return [l for l in rest if id(l.loc) not in used]


def _profile_record(ctx: ParseContext, city: str, label: str, values: dict[str, str], lines: list[Line]) -> None:
    pop = parse_population(values.get("population", ""))
    rec = ctx.add("profile", city=city, section=label, loc=span_lines(lines), title=f"{city} 自治体の概要",
                  text="\n".join(l.text for l in lines), department=values.get("department"),
                  population=pop.value if pop else None, population_date=pop.date if pop else None,
                  population_raw=values.get("population"), pf_start=fiscal_year(values.get("pf_start", "")),
                  pf_start_raw=values.get("pf_start"), council_start=fiscal_year(values.get("council_start", "")),
                  council_start_raw=values.get("council_start"), council_planned="予定" in values.get("council_start", ""),
                  members=values.get("members"), council_members=None)
    if rec.fields["pf_start"]:
        ctx.fact(city, "pf_start", rec.fields["pf_start"], values.get("pf_start", ""), rec, "自治体の概要")
