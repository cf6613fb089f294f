"""Which steps (and cities) a trainer's question is about, for `--question`.

In order:
  1. the words of the question (kb.search.query.analyze: 「声掛け」 → ⑤, 「準備段階」 →
     ③④-1④-2⑤, city names); 「立ち上げ方」-style questions mean the whole road
     from ① to ⑦;
  2. if the question names no step, the search index (kb.search.searcher): the steps of
     the top hits, weighted by score, keeping those with at least half the best
     weight (at most three) — provided BM25 finds a word of the question in the
     reports at all;
  3. without an index, the step names of the phase model found in the question.
The pack states which of these decided (`QuestionScope.how`).
"""
from __future__ import annotations

import unicodedata
from collections import defaultdict
from dataclasses import dataclass

from kb.core.errors import BadQueryError, PfkbError
from kb.core.records import PHASE_LABELS, STEP_CODES, STEP_NAMES, STEP_PHASE
from kb.core.settings import Settings

SETUP_PHASES = ("initial", "preparation", "launch")
MAX_QUESTION_CHARS = 500


@dataclass(frozen=True)
class QuestionScope:
    question: str
    steps: tuple[str, ...]
    cities: tuple[str, ...]
    how: str  # shown in the pack: how the steps were chosen


def _steps_of_phases(phases: tuple[str, ...] | list[str]) -> list[str]:
    return [s for s in STEP_CODES if STEP_PHASE[s] in phases]


def _ordered(steps: set[str] | list[str]) -> tuple[str, ...]:
    return tuple(s for s in STEP_CODES if s in set(steps))


def _plain_words(question: str, known_cities: set[str]) -> tuple[list[str], list[str], list[str]]:
    """Fallback without kb.search.query: canonical step names, phase labels and city names."""
    q = unicodedata.normalize("NFKC", question)
    steps = [s for s, name in STEP_NAMES.items() if unicodedata.normalize("NFKC", name).split("(")[0] in q]
    phases = [p for p, label in PHASE_LABELS.items() if label.split(")")[-1].strip() in q]
    cities = [c for c in known_cities if c in q]
    return steps, phases, cities


def _named(question: str, known_cities: set[str]) -> tuple[list[str], list[str], list[str], bool]:
    try:
        from kb.search.query import analyze
    except ImportError:
        steps, phases, cities = _plain_words(question, known_cities)
        return steps, phases, cities, False
    a = analyze(question, frozenset(known_cities))
    return list(a.steps), list(a.phases), list(a.cities), bool(a.setup)


def _searched_steps(settings: Settings, question: str, cities: list[str]) -> tuple[str, ...] | None:
    """Steps of the top search hits, or None when there is no search index."""
    try:
        from kb.search.searcher import search
    except ImportError:
        return None
    try:
        # The dense half always returns something: ask BM25 first whether the reports share a word with
        # the question at all, so 「今日の晩ご飯」 is refused rather than answered with arbitrary steps.
        if not search(settings, question, k=1, mode="bm25"):
            return ()
        hits = search(settings, question, k=20)
    except PfkbError:  # no index yet, or built with other settings
        return None
    weight: dict[str, float] = defaultdict(float)
    for h in hits:
        if h.record.step and (not cities or h.record.city in (None, *cities)):
            weight[h.record.step] += float(h.score)
    if not weight:
        return ()
    best = max(weight.values())
    top = sorted((s for s, w in weight.items() if w >= best / 2), key=lambda s: -weight[s])[:3]
    return _ordered(top)


def question_to_scope(settings: Settings, question: str, known_cities: set[str]) -> QuestionScope:
    question = (question or "").strip()
    if not question:
        raise BadQueryError("質問が空です。--question に質問文を指定してください", "empty question")
    if len(question) > MAX_QUESTION_CHARS:
        raise BadQueryError(f"質問が長すぎます（{len(question)} 文字、上限 {MAX_QUESTION_CHARS}）",
                            f"question too long: {len(question)} > {MAX_QUESTION_CHARS} characters")
    steps, phases, cities, setup = _named(question, known_cities)
    named = set(steps) | set(_steps_of_phases(phases))
    if named:
        return QuestionScope(question, _ordered(named), tuple(cities), "質問の語（段階・ステップ名）から選んだ")
    if setup:
        return QuestionScope(question, _ordered(_steps_of_phases(SETUP_PHASES)), tuple(cities),
                             "立ち上げ全体を問う質問として ①〜⑦ を選んだ")
    searched = _searched_steps(settings, question, cities)
    if searched:
        return QuestionScope(question, searched, tuple(cities), "検索（kb.search.searcher）の上位結果の段階から選んだ")
    raise BadQueryError(
        f"質問「{question[:40]}」から段階を特定できませんでした。--step や --phase で指定するか、"
        "「声掛け」「広報」「地域協議会」など段階の語を含めてください",
        "could not tell which step the question is about; use --step/--phase or name a step")
