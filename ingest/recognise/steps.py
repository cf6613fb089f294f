"""The step of a lesson inferred from its own text when a document gives none: BM25 over examples
(the step names and the labelled lessons and cross-city bullets of the corpus), aggregated per step
(the sum of each step's best matches), restricted to the steps of the lesson's phase when it has one.

Fit / predict: ``scripts/fit_steps.py`` writes the examples to ``fitted/step_examples.json`` (with what
they were built from); the runtime only reads that file. The tokenizer is any ``str -> list[str]``
(character bigrams by default, so that this layer needs no morphological analyser)."""
from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable

from kb.core.normalize import squash
from kb.core.records import STEP_NAMES, STEP_PHASE

EXAMPLES_FILE = Path(__file__).resolve().parent / "fitted" / "step_examples.json"
Tokenizer = Callable[[str], list[str]]
_PUNCT = re.compile(r"[\s、。・「」『』()（）【】■○●◆◇□※:：,.!?！？~\-－/]")


def char_bigrams(text: str) -> list[str]:
    s = _PUNCT.sub("", squash(text))
    return [s[i:i + 2] for i in range(len(s) - 1)]


@dataclass(frozen=True)
class StepGuess:
    step: str
    confidence: float  # the winning step's share of the scores of the candidate steps (0–1)


class StepClassifier:
    """BM25 (k1, b) over (step, text) examples; ``predict`` returns the best step and a confidence."""

    def __init__(self, examples: Iterable[tuple[str, str]], tokenize: Tokenizer = char_bigrams,
                 k1: float = 1.2, b: float = 0.75, top: int = 3):
        self.tokenize, self.k1, self.b, self.top = tokenize, k1, b, top
        self.steps: list[str] = []
        self.docs: list[Counter] = []
        for step, text in examples:
            if step in STEP_PHASE and text.strip():
                self.steps.append(step)
                self.docs.append(Counter(tokenize(text)))
        if not self.docs:
            raise ValueError("StepClassifier needs at least one example with a canonical step code")
        self.avgdl = sum(sum(d.values()) for d in self.docs) / len(self.docs)
        df = Counter(t for d in self.docs for t in d)
        n = len(self.docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}

    def _score(self, q: Counter, d: Counter) -> float:
        dl = sum(d.values())
        s = 0.0
        for t in q:
            f = d.get(t)
            if f:
                s += self.idf[t] * f * (self.k1 + 1) / (f + self.k1 * (1 - self.b + self.b * dl / self.avgdl))
        return s

    def scores(self, text: str, phase: str | None = None) -> list[tuple[str, float]]:
        q = Counter(self.tokenize(text))
        per: dict[str, list[float]] = {}
        for step, d in zip(self.steps, self.docs):
            if phase and STEP_PHASE[step] != phase:
                continue
            per.setdefault(step, []).append(self._score(q, d))
        agg = {s: sum(sorted(v, reverse=True)[:self.top]) for s, v in per.items()}
        return sorted(agg.items(), key=lambda kv: (-kv[1], kv[0]))

    def predict(self, text: str, phase: str | None = None) -> StepGuess | None:
        ranked = self.scores(text, phase)
        if not ranked or ranked[0][1] <= 0:
            return None
        total = sum(max(0.0, s) for _, s in ranked) or 1.0
        return StepGuess(ranked[0][0], round(ranked[0][1] / total, 3))


def step_name_examples() -> list[tuple[str, str]]:
    return [(code, name) for code, name in STEP_NAMES.items()]


def read_examples(path: Path = EXAMPLES_FILE) -> list[tuple[str, str]]:
    """The fitted examples (``scripts/fit_steps.py``); the step names alone when none were fitted."""
    if not path.exists():
        return step_name_examples()
    data = json.loads(path.read_text(encoding="utf-8"))
    return step_name_examples() + [(e["step"], e["text"]) for e in data["examples"]]


@lru_cache(maxsize=1)
def default_classifier() -> StepClassifier:
    return StepClassifier(read_examples())
