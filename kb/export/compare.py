"""Cities side by side, step by step: each city's practices (■ headline, timing,
first bullets, citation) for every step, with the cities' key facts on top.
Written as text, Markdown, JSON (the HTTP shape), DOCX or PPTX."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from kb.core.errors import BadQueryError
from kb.export.items import document_line, CityFacts, Practice, lesson_to_practice, profile_to_facts
from kb.export.pack import check_city
from kb.export.timing import TIMING_WORD
from kb.search.filters import normalize_step
from kb.core.records import PHASE_LABELS, STEP_CODES, STEP_PHASE, step_label
from kb.store import Store

MIN_CITIES, MAX_CITIES = 2, 3


@dataclass(frozen=True)
class StepRow:
    step: str
    label: str
    phase: str
    phase_label: str
    cells: dict[str, tuple[Practice, ...]]  # city → its practices for the step


@dataclass(frozen=True)
class Comparison:
    title: str
    cities: tuple[str, ...]
    profiles: tuple[CityFacts, ...]
    steps: tuple[StepRow, ...]
    documents: tuple[str, ...]

    @property
    def filename_stem(self) -> str:
        return "比較_" + "_".join(self.cities)

    def to_dict(self) -> dict[str, Any]:
        """The JSON of `pfkb compare --format json` and `GET /api/compare`."""
        return {
            "cities": list(self.cities),
            "profiles": {p.city: p.to_dict() for p in self.profiles},
            "steps": [{"step": r.step, "label": r.label, "phase": r.phase,
                       "cells": {c: [p.to_dict() for p in r.cells.get(c, ())] for c in self.cities}}
                      for r in self.steps],
            "documents": list(self.documents),
        }


def parse_cities(cities: Sequence[str] | str) -> list[str]:
    """「熊本市,市原市」 or a list → distinct names, 2 or 3 of them."""
    if isinstance(cities, str):
        cities = cities.replace("、", ",").split(",")
    names = []
    for c in cities:
        c = c.strip()
        if c and c not in names:
            names.append(c)
    if not MIN_CITIES <= len(names) <= MAX_CITIES:
        raise BadQueryError(f"比較する自治体を {MIN_CITIES}〜{MAX_CITIES} つ指定してください（指定: {len(names)}）",
                            f"give {MIN_CITIES} to {MAX_CITIES} distinct cities to compare, got {len(names)}")
    return names


def build_comparison(store: Store, cities: Sequence[str] | str, step: str | None = None) -> Comparison:
    names = [check_city(store, c) for c in parse_cities(cities)]
    steps = list(STEP_CODES)
    if step:
        code = normalize_step(step)
        if code not in STEP_CODES:
            raise BadQueryError(f"step={step!r} は不正です。{', '.join(STEP_CODES)} のいずれか",
                                f"unknown step; use one of {', '.join(STEP_CODES)}")
        steps = [code]
    lessons = [r for r in store.records(kind="lesson") if r.city in names]
    rows = []
    for s in steps:
        cells = {c: tuple(lesson_to_practice(r) for r in lessons if r.city == c and r.step == s) for c in names}
        rows.append(StepRow(step=s, label=step_label(s), phase=STEP_PHASE[s],
                            phase_label=PHASE_LABELS[STEP_PHASE[s]], cells=cells))
    profiles = []
    for c in names:
        prof = next(iter(store.records(kind="profile", city=c)), None)
        if prof is not None:
            profiles.append(profile_to_facts(prof, store.facts(city=c)))
    title = "自治体の比較：" + " × ".join(names) + (f"（{step_label(steps[0])}）" if step else "")
    return Comparison(title=title, cities=tuple(names), profiles=tuple(profiles), steps=tuple(rows),
                      documents=tuple(document_line(d) for d in store.documents()
                                      if d["id"] in {r.source.document for r in lessons}))


def _practice_text(p: Practice, indent: str) -> list[str]:
    meta = "、".join(x for x in (p.scope, f"{TIMING_WORD} {p.timing_label}" if p.timing else "") if x)
    out = [f"{indent}■ {p.title}" + (f"（{meta}）" if meta else "")]
    out += [f"{indent}  ・{d}" for d in p.details]
    out.append(f"{indent}  出典: {p.citation}")
    return out


def comparison_to_text(c: Comparison) -> str:
    out = [c.title, ""]
    for p in c.profiles:
        out.append(f"{p.city}: 人口 {p.population} ／ 連携PF開始 {p.pf_start} ／ 地域協議会 {p.council_start} "
                   f"（出典: {p.citation}）")
        out += [f"  資料により記載が異なる — {n}" for n in p.notes]
    for row in c.steps:
        out += ["", f"== {row.label}  {row.phase_label} =="]
        for city in c.cities:
            practices = row.cells.get(city, ())
            out.append(f"[{city}]")
            out += [line for p in practices for line in _practice_text(p, "  ")] or ["  （記載なし）"]
    return "\n".join(out) + "\n"


def _md_cell(practices: Sequence[Practice]) -> str:
    if not practices:
        return "（記載なし）"
    parts = []
    for p in practices:
        meta = "、".join(x for x in (p.scope, f"{TIMING_WORD} {p.timing_label}" if p.timing else "") if x)
        parts.append(f"**■ {p.title}**" + (f"（{meta}）" if meta else "") +
                     "".join(f"<br>・{d}" for d in p.details) + f"<br>出典: {p.citation}")
    return "<br><br>".join(parts).replace("|", "｜").replace("\n", " ")


def comparison_to_markdown(c: Comparison) -> str:
    out = [f"# {c.title}", "", "| 自治体 | 人口 | 連携PF開始 | 地域協議会 | 出典 |", "|---|---|---|---|---|"]
    out += [f"| {p.city} | {p.population} | {p.pf_start} | {p.council_start} | {p.citation} |" for p in c.profiles]
    notes = [f"- {p.city} — {n}" for p in c.profiles for n in p.notes]
    if notes:
        out += ["", "資料により記載が異なる点:", *notes]
    out += ["", "| ステップ | " + " | ".join(c.cities) + " |", "|---|" + "---|" * len(c.cities)]
    for row in c.steps:
        out.append(f"| {row.label} | " + " | ".join(_md_cell(row.cells.get(city, ())) for city in c.cities) + " |")
    out += ["", "出典文書:", *[f"- {d}" for d in c.documents], ""]
    return "\n".join(out)
