"""Which kind of activity a trial project is, and which steps it belongs to.

The report files trial projects in two places that do not share keys: the
city chapter's list (事業名称) and the chapter 1 map, whose R / P / D columns
use shorter names (「エプロン製作」 for 「地域食堂向けエプロン製作」). So:

Category (R: Research, P: Plan, D:支援提供, D:広報・周知), first that applies:
  1. the trial's own `category` field, when ingest found one;
  2. the city's chapter 1 map row: the cell that contains the trial's bracketed
     alias (「(リソース調査)」), else its whole name, else a cell item contained in
     its name (「エプロン製作」), else the cell sharing most two-character pieces
     with its name (at least half of them);
  3. words in the name: 調査 → R; 議論・検討・会議・作業部会 → P;
     広告・リーフレット・広報・周知・チラシ → D:広報・周知; otherwise D:支援提供.

Steps, all that apply:
  a. words in the name: 地域協議会 → ⑧; PF会議・作業部会・要領 → ⑦;
     広告・リーフレット・広報・周知・チラシ → ⑥; 調査 → ③; 声掛け・リストアップ → ⑤;
  b. steps whose lesson (same city) names the trial — its name, detail-page
     name or bracketed alias appears in the ■ headline or bullets;
  c. only when a and b give nothing, the category's step: R → ③地域の現状把握,
     P → ④-2連携PFの企画・設計, D:広報・周知 → ⑥域内住民・団体への情報発信,
     D:支援提供 → ⑦連携PFの運営.
Every link carries the reason, shown in packs so a trainer can check it.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable

from kb.core.textsim import char_bigrams
from kb.core.records import STEP_CODES, STEP_MARKS, Record
from kb.core.vocab import load_json

# The R/P/D activity categories, their labels and the words that place a trial: kb/core/vocab/trials.json.
_TRIALS = load_json("trials")
CATEGORIES: tuple[str, ...] = tuple(_TRIALS["trial_categories"])
CATEGORY_LABELS: dict[str, str] = _TRIALS["category_labels"]
ACTIVITY_LABELS: dict[str, str] = _TRIALS["activity_labels"]
_OVERVIEW_CELLS = tuple((col, _TRIALS["field_category"][col]) for col in _TRIALS["overview_columns"])
_CATEGORY_STEP: dict[str, str] = _TRIALS["category_step"]
_NAME_STEP_WORDS = tuple((word, step) for word, step in _TRIALS["name_step_words"])
_NAME_CATEGORY_WORDS = tuple((tuple(words), cat) for words, cat in _TRIALS["name_category_words"])
_BRACKETED = re.compile(r"[(（「]([^()（）「」]{3,})[)）」]")
_FIELD_CATEGORY: dict[str, str] = _TRIALS["field_category"]


@dataclass(frozen=True)
class TrialSteps:
    category: str
    category_reason: str
    steps: tuple[str, ...]
    reason: str


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def trial_names(trial: Record) -> list[str]:
    """The names a trial goes by: its list name, detail-page name and bracketed aliases."""
    names = [trial.title, str(trial.fields.get("detail_title") or "")]
    names += _BRACKETED.findall(_norm(trial.title))
    out = []
    for n in names:
        n = _norm(n)
        if len(n) >= 4 and n not in out:
            out.append(n)
    return out


def trial_category(trial: Record, overview: Record | None) -> tuple[str, str]:
    """(category, reason) — see the module docstring for the order of rules."""
    given = str(trial.fields.get("category") or "").strip().lower()
    if given in _FIELD_CATEGORY:
        return _FIELD_CATEGORY[given], "報告書の区分"
    title = _norm(trial.title)
    if overview is not None:
        cells = [(code, _norm("・".join(overview.fields.get(key) or []))) for key, code in _OVERVIEW_CELLS]
        cells = [(code, text) for code, text in cells if text]
        for alias in _BRACKETED.findall(title):
            for code, text in cells:
                if alias in text:
                    return code, f"第1章の整理マップ（{CATEGORY_LABELS[code]}）"
        for code, text in cells:
            if title in text:
                return code, f"第1章の整理マップ（{CATEGORY_LABELS[code]}）"
        for code, text in cells:  # the map's short name inside ours: 「エプロン製作」 in 「地域食堂向けエプロン製作」
            if any(len(piece) >= 4 and piece in title for piece in re.split(r"[・+＋、]", text)):
                return code, f"第1章の整理マップ（{CATEGORY_LABELS[code]}）"
        grams = char_bigrams(title)
        if grams:
            code, share = max(((c, len(grams & char_bigrams(t)) / len(grams)) for c, t in cells),
                              key=lambda x: x[1], default=("", 0.0))
            if share >= 0.5:
                return code, f"第1章の整理マップ（{CATEGORY_LABELS[code]}）"
    for words, code in _NAME_CATEGORY_WORDS:
        if any(w in title for w in words):
            return code, f"事業名の語から（{CATEGORY_LABELS[code]}）"
    return "D:支援提供", f"事業名から判別できず、{CATEGORY_LABELS['D:支援提供']}とした"


def trial_steps(trial: Record, overview: Record | None, lessons: Iterable[Record]) -> TrialSteps:
    category, category_reason = trial_category(trial, overview)
    title = _norm(trial.title)
    steps: dict[str, str] = {}
    for word, step in _NAME_STEP_WORDS:
        if word in title and step not in steps:
            steps[step] = f"事業名の語「{word}」"
    names = trial_names(trial)
    for lesson in lessons:
        if lesson.city != trial.city or not lesson.step or lesson.step in steps:
            continue
        body = _norm(lesson.title + lesson.text)
        if any(n in body for n in names):
            steps[lesson.step] = f"{trial.city}の{STEP_MARKS[lesson.step]}の留意点が言及"
    if not steps:
        step = _CATEGORY_STEP[category]
        steps[step] = f"区分 {CATEGORY_LABELS[category]} の段階"
    ordered = tuple(s for s in STEP_CODES if s in steps)
    reason = "、".join(f"{STEP_MARKS[s]}: {steps[s]}" for s in ordered)
    return TrialSteps(category=category, category_reason=category_reason, steps=ordered, reason=reason)


def overview_by_city(overviews: Iterable[Record]) -> dict[str, Record]:
    """The chapter 1 map row of each city (the first one, when several reports list a city)."""
    out: dict[str, Record] = {}
    for r in overviews:
        if r.city and r.city not in out:
            out[r.city] = r
    return out
