"""A workshop pack: for each step of a phase, a step, a city or a question, the
aim of the step, each city's practices, the trial projects linked to it, the
partners' voices and discussion prompts — every item with its citation.

`build_pack` reads the store once and returns a frozen `Pack`; the writers
(markdown, docx_file, pptx_file) only lay it out."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from kb.core.display import display_text
from kb.core.errors import NotFoundError
from kb.export.aims import AIM_SOURCE, step_aim
from kb.export.items import (document_line, CityFacts, Practice, TrialItem, Voice, lesson_to_practice, profile_to_facts,
                             trial_to_item, voices_of)
from kb.export.prompts import Prompt, build_prompts
from kb.export.trial_steps import overview_by_city, trial_steps
from kb.search.filters import check_filters
from kb.core.records import PHASE_LABELS, STEP_CODES, STEP_PHASE, Record, citation_label, step_label
from kb.core.settings import Settings
from kb.store import Store

MAX_TENDENCIES = 4


@dataclass(frozen=True)
class StepSection:
    step: str
    label: str  # 「⑤関係団体のリストアップ…」
    phase: str
    phase_label: str
    aim: str
    tendencies: tuple[str, ...]  # chapter 1 summary bullets of the step (other cities' ways)
    tendencies_citation: str
    practices: tuple[Practice, ...]
    trials: tuple[TrialItem, ...]


@dataclass(frozen=True)
class Pack:
    title: str
    selection: str  # what the trainer asked for, in words
    cities: tuple[str, ...]
    profiles: tuple[CityFacts, ...]
    steps: tuple[StepSection, ...]
    voices: tuple[Voice, ...]
    prompts: tuple[Prompt, ...]
    documents: tuple[str, ...]
    note: str = ""  # e.g. how a question was turned into steps
    aim_source: str = AIM_SOURCE

    @property
    def filename_stem(self) -> str:
        """A file name without extension, Japanese allowed: 「研修パック_準備段階」."""
        stem = re.sub(r"[\\/:*?\"<>|「」（）()\s_：？?]+", "_", self.title).strip("_")
        return stem[:60] or "研修パック"

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title, "selection": self.selection, "cities": list(self.cities), "note": self.note,
            "profiles": [p.to_dict() for p in self.profiles],
            "steps": [{"step": s.step, "label": s.label, "phase": s.phase, "aim": s.aim,
                       "tendencies": list(s.tendencies), "practices": [p.to_dict() for p in s.practices],
                       "trials": [t.__dict__ | {"results": list(t.results)} for t in s.trials]}
                      for s in self.steps],
            "voices": [v.__dict__ for v in self.voices],
            "prompts": [{"step": p.step, "text": p.text, "citations": list(p.citations)} for p in self.prompts],
            "documents": list(self.documents),
        }


def lesson_cities(store: Store) -> list[str]:
    """Cities with practices (lessons), in report order."""
    seen: list[str] = []
    for r in store.records(kind="lesson"):
        if r.city and r.city not in seen:
            seen.append(r.city)
    return seen


def check_city(store: Store, city: str) -> str:
    """The city if the store has practices for it; else NotFoundError listing the known cities."""
    with_lessons = lesson_cities(store)
    if city in with_lessons:
        return city
    known = ", ".join(with_lessons) or "（なし）"
    if any(r.city == city for r in store.records(kind="overview")):
        raise NotFoundError(f"{city} の事例（留意点）は収録されていません（第1章の整理マップのみ）。"
                            f"事例がある自治体: {known}",
                            f"no practices for {city}, only a row of the chapter 1 map; cities with practices: {known}")
    raise NotFoundError(f"未知の自治体 {city!r}。事例がある自治体: {known}",
                        f"unknown city {city!r}; known cities: {known}")


def combined_citation(records: list[Record]) -> str:
    """One label for consecutive records of the same section (kb.core.records.citation_label):
    「1-4 調査研究事業の詳細… › 3) 留意点・示唆集 › ③地域の現状把握（テキスト版 140〜148 行目）」."""
    return citation_label(records) if records else ""


def _select_steps(phase: str | None, step: str | None, extra: tuple[str, ...]) -> list[str]:
    if step:
        return [step]
    if phase:
        return [s for s in STEP_CODES if STEP_PHASE[s] == phase]
    if extra:
        return list(extra)
    return list(STEP_CODES)


def _selection_words(phase: str | None, step: str | None, city: str | None, question: str | None) -> list[str]:
    words = []
    if question:
        words.append(f"「{question}」")
    if step:
        words.append(step_label(step))
    elif phase:
        words.append(PHASE_LABELS[phase])
    if city:
        words.append(city)
    return words or ["全段階"]


def build_pack(store: Store, *, phase: str | None = None, step: str | None = None, city: str | None = None,
               question: str | None = None, settings: Settings | None = None) -> Pack:
    f = check_filters({"phase": phase, "step": step, "city": city})
    phase, step, city = f.get("phase"), f.get("step"), f.get("city")
    if city:
        check_city(store, city)
    all_cities = lesson_cities(store)
    if not all_cities:
        raise NotFoundError("知識ベースに事例（留意点）がありません。`pfkb build` で報告書を取り込んでください",
                            "no practices in the knowledge base; run `pfkb build`")
    note, asked_steps, asked_cities = "", (), ()
    if question:
        from kb.export.question import question_to_scope
        scope = question_to_scope(settings or Settings(), question, set(all_cities))
        note = f"質問「{scope.question}」: {scope.how}"
        asked_steps, asked_cities = scope.steps, scope.cities
    steps = _select_steps(phase, step, asked_steps)
    cities = [city] if city else [c for c in all_cities if not asked_cities or c in asked_cities]

    lessons = [r for r in store.records(kind="lesson") if r.city in cities]
    summaries = store.records(kind="summary")
    overviews = overview_by_city(store.records(kind="overview"))
    trial_links = [(t, trial_steps(t, overviews.get(t.city or ""), lessons))
                   for t in store.records(kind="trial") if t.city in cities]

    sections = []
    practices_all: list[Practice] = []
    for s in steps:
        practices = [lesson_to_practice(r) for c in cities for r in lessons if r.city == c and r.step == s]
        practices_all += practices
        step_summaries = [r for r in summaries if r.step == s]
        trials = tuple(trial_to_item(t, link.category, link.reason) for t, link in trial_links if s in link.steps)
        sections.append(StepSection(
            step=s, label=step_label(s), phase=STEP_PHASE[s], phase_label=PHASE_LABELS[STEP_PHASE[s]],
            aim=step_aim(s), tendencies=tuple(display_text(r.title) for r in step_summaries[:MAX_TENDENCIES]),
            tendencies_citation=combined_citation(step_summaries[:MAX_TENDENCIES]),
            practices=tuple(practices), trials=trials))
    if not practices_all:
        what = " × ".join(_selection_words(phase, step, city, question))
        raise NotFoundError(f"{what} に該当する事例がありません。段階や自治体を変えてください",
                            "no practices for this selection")
    profiles = []
    for c in cities:
        prof = next(iter(store.records(kind="profile", city=c)), None)
        if prof is not None:
            profiles.append(profile_to_facts(prof, store.facts(city=c)))
    cities_in_pack = [c for c in cities if any(p.city == c for p in practices_all)]
    columns = [r for c in cities_in_pack for r in store.records(kind="column", city=c)]
    words = _selection_words(phase, step, city, question)
    return Pack(
        title="研修パック：" + " × ".join(words),
        selection=" × ".join(words),
        cities=tuple(cities_in_pack),
        profiles=tuple(p for p in profiles if p.city in cities_in_pack),
        steps=tuple(sections),
        voices=tuple(voices_of(columns)),
        prompts=build_prompts(steps, practices_all, cities_in_pack, summaries),
        # the reports the pack quotes, not every report in the knowledge base
        documents=tuple(document_line(d) for d in store.documents()
                        if d["id"] in {r.source.document for r in lessons if r.city in cities_in_pack}),
        note=note,
    )
