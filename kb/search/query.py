"""Query analysis: which cities, phases, steps and record kinds a Japanese
question names. Pure functions on strings; the words are the vocabulary's
(kb/core/vocab/steps.json and cues.json)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from kb.core.normalize import squash
from kb.core.vocab import load_json, unify_spellings

_STEPS, _CUES = load_json("steps"), load_json("cues")
STEP_RES = {code: tuple(re.compile(w) for w in words) for code, words in _STEPS["steps"].items()}
PHASE_WORDS: dict[str, tuple[str, ...]] = {code: tuple(ws) for code, ws in _STEPS["phases"].items()}
SCOPE_WORDS: dict[str, tuple[str, ...]] = {scope: tuple(ws) for scope, ws in _STEPS["scopes"].items()}
IMPLIED_STEPS: dict[str, str] = dict(_STEPS["implied_steps"])
KIND_WORDS: dict[str, tuple[str, ...]] = {kind: tuple(ws) for kind, ws in _CUES["kinds"].items()}
CASE_WORDS: tuple[str, ...] = tuple(_CUES["case"])
SETUP_WORDS: tuple[str, ...] = tuple(_CUES["setup"])
_CITY_SUFFIX = re.compile(f"[{_CUES['city']['suffixes']}]$")
_NOT_AFTER_SHORT = f"(?![{_CUES['city']['not_followed_by']}])"
_AFTER_ONE_CHAR = "(?=" + "|".join(re.escape(p) for p in _CUES["city"]["particles"]) + ")"


@dataclass(frozen=True)
class QueryAnalysis:
    query: str
    cities: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()
    phases: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    setup: bool = False
    wants_case: bool = False
    scopes: tuple[str, ...] = ()
    terms: tuple[str, ...] = field(default_factory=tuple)
    documents: tuple[str, ...] = ()  # the documents the question points at (「重点計画では」「国の計画では」)
    pointers: tuple[str, ...] = ()  # the title phrases it names them by (「重点計画」): a pointer, not the topic


def short_city(city: str) -> str:
    """The name without its 市/区/町 suffix (熊本市 → 熊本), as questions often write it."""
    return _CITY_SUFFIX.sub("", city)


def find_cities(query: str, known: set[str] | frozenset[str]) -> tuple[str, ...]:
    """Known city names in the question, also without the 市/区/町 suffix (「熊本では」)."""
    q = squash(query)
    found = []
    for city in sorted(known, key=len, reverse=True):
        short = _CITY_SUFFIX.sub("", city)
        if city in q or (len(short) >= 2 and re.search(re.escape(short) + _NOT_AFTER_SHORT, q)) \
                or (len(short) == 1 and re.search(r"(?<![一-龥])" + re.escape(short) + _AFTER_ONE_CHAR, q)):
            if city not in found:
                found.append(city)
    def position(city: str) -> int:
        short = _CITY_SUFFIX.sub("", city)
        i = q.find(short)
        return i if i >= 0 else len(q)
    return tuple(sorted(found, key=position))


_TITLE_WORDS = re.compile(r"[ァ-ヴー]{3,}|[一-龥々]{3,}")
TRIAL_NAME_OTHER_TITLES = 3


def trial_names(records) -> frozenset[str]:
    """The distinctive words of a corpus's trial titles (「エプロン」 of 「地域食堂向けエプロン製作」,
    「新聞広告」 of 「新聞広告の出稿」): runs of three or more katakana or kanji that name at most two
    trials and few titles of other kinds of record (the lessons that tell of it) — 「孤立対策」 or
    「地域協議会」 head dozens of other records. A question that names one asks about that trial: read
    from the documents, not from a list of one report's trials."""
    trials: dict[str, int] = {}
    other: dict[str, int] = {}
    for r in records:
        for w in set(_TITLE_WORDS.findall(r.title or "")):
            into = trials if r.kind == "trial" else other
            into[w] = into.get(w, 0) + 1
    return frozenset(w for w, n in trials.items() if n <= 2 and other.get(w, 0) <= TRIAL_NAME_OTHER_TITLES * n)


def analyze(query: str, known_cities: set[str] | frozenset[str] = frozenset(),
            trials: frozenset[str] = frozenset(), documents: Any = None) -> QueryAnalysis:
    """``trials``: the corpus's trial names (``trial_names``); a question naming one asks for a trial.
    ``documents``: the corpus's document names (kb/search/documents.py ``DocumentNames``)."""
    q = unify_spellings(squash(query))
    docs, pointers = documents.pointed(query) if documents is not None else ((), ())
    steps = tuple(code for code, rxs in STEP_RES.items() if any(rx.search(q) for rx in rxs))
    scopes = tuple(sc for sc, words in SCOPE_WORDS.items() if any(w in q for w in words))
    phases = tuple(code for code, words in PHASE_WORDS.items() if any(w in q for w in words))
    kinds = tuple(kind for kind, words in KIND_WORDS.items() if any(w in q for w in words))
    if "trial" not in kinds and any(w in q for w in trials):
        kinds = ("trial",) + kinds
    # a word that alone names a step (「地域協議会」: 8) unless the question is about something else in it
    for word, step in IMPLIED_STEPS.items():
        if word in q and step not in steps and not kinds:
            steps = steps + (step,)
    setup = any(w in q for w in SETUP_WORDS) and not steps
    return QueryAnalysis(query=query, cities=find_cities(query, known_cities), steps=steps, phases=phases,
                         kinds=kinds, setup=setup, wants_case=any(w in q for w in CASE_WORDS),
                         scopes=scopes if len(scopes) == 1 else (),
                         documents=docs, pointers=pointers)
