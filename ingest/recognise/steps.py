"""The step of a lesson inferred from its own text when a document gives none: BM25 over examples
(the step names and the labelled lessons and cross-city bullets of the corpus), aggregated per step
(the sum of each step's best matches), restricted to the steps of the lesson's phase when it has one.

With an embedder (``HybridStepClassifier``), the lexical scores are combined with the cosine
similarity of the lesson's vector to the same examples' vectors (each step's best matches
averaged), both scaled to the candidate steps' best, weighted by ``dense_weight``, which
``scripts/fit_steps.py`` fits by leave-one-city-out cross-validation on the labelled lessons
(``fitted/step_combination.json``). The embedder is injected (any ``list[str] -> matrix`` of
L2-normalised rows, e.g. the index's e5 from ``ingest.pipeline``): this layer imports no model.
Without one, the lexical classifier alone decides.

Fit / predict: ``scripts/fit_steps.py`` writes the examples to ``fitted/step_examples.json`` (with what
they were built from); the runtime only reads that file. The tokenizer is any ``str -> list[str]``
(character bigrams by default, so that this layer needs no morphological analyser)."""
from __future__ import annotations

import json
import logging
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from kb.core.normalize import squash
from kb.core.records import STEP_NAMES, STEP_PHASE

log = logging.getLogger("pfkb.ingest.steps")
EXAMPLES_FILE = Path(__file__).resolve().parent / "fitted" / "step_examples.json"
COMBINATION_FILE = Path(__file__).resolve().parent / "fitted" / "step_combination.json"
Tokenizer = Callable[[str], list[str]]
Embed = Callable[[list[str]], "np.ndarray"]  # texts -> one L2-normalised row per text
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
        self.texts: list[str] = []
        self.docs: list[Counter] = []
        for step, text in examples:
            if step in STEP_PHASE and text.strip():
                self.steps.append(step)
                self.texts.append(text)
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


LEXICAL_T = 0.2  # BM25 scores scaled to the best candidate's, then a softmax at this temperature


def _softmax(x: dict[str, float]) -> dict[str, float]:
    m = max(x.values())
    e = {k: math.exp(v - m) for k, v in x.items()}
    z = sum(e.values())
    return {k: v / z for k, v in e.items()}


class HybridStepClassifier:
    """BM25 (``StepClassifier``) and dense similarity over the same examples, combined per
    candidate step (``combined``) with the fitted weight and temperature. ``embed`` is called once
    for the examples (lazily, on the first prediction) and once per predicted text."""

    def __init__(self, examples: Iterable[tuple[str, str]], embed: Embed, dense_weight: float = 0.5,
                 top: int = 3, lexical: StepClassifier | None = None, temperature: float = 0.02):
        examples = [(st, t) for st, t in examples if st in STEP_PHASE and t.strip()]
        self.lexical = lexical or StepClassifier(examples)
        self.examples = examples
        self.embed, self.dense_weight, self.top, self.temperature = embed, float(dense_weight), top, float(temperature)
        self._vectors: np.ndarray | None = None

    def _example_vectors(self) -> np.ndarray:
        if self._vectors is None:
            self._vectors = np.asarray(self.embed([t for _, t in self.examples]), dtype=np.float32)
        return self._vectors

    def dense_scores(self, text: str, phase: str | None = None, vector: np.ndarray | None = None) -> dict[str, float]:
        """Per candidate step: the mean of its ``top`` best cosines to the examples."""
        q = np.asarray(self.embed([text])[0] if vector is None else vector, dtype=np.float32)
        sims = self._example_vectors() @ q
        per: dict[str, list[float]] = {}
        for (step, _), sim in zip(self.examples, sims):
            if phase and STEP_PHASE[step] != phase:
                continue
            per.setdefault(step, []).append(float(sim))
        return {st: sum(sorted(v, reverse=True)[:self.top]) / min(self.top, len(v)) for st, v in per.items()}

    def combined(self, text: str, phase: str | None = None, weight: float | None = None,
                 vector: np.ndarray | None = None, temperature: float | None = None) -> list[tuple[str, float]]:
        """``(1 - w) · softmax(lexical / best / LEXICAL_T) + w · softmax(dense / T)`` over the
        candidate steps: both parts become distributions over the same steps, so the weight means
        the same whatever the scale of BM25 scores or of e5 cosines (which all lie near 0.8)."""
        w = self.dense_weight if weight is None else weight
        t = self.temperature if temperature is None else temperature
        lex = dict(self.lexical.scores(text, phase))
        dense = self.dense_scores(text, phase, vector) if w > 0 else {}
        steps = sorted(set(lex) | set(dense))
        if not steps:
            return []
        top_lex = max(lex.values(), default=0.0) or 1.0
        p_lex = _softmax({st: max(0.0, lex.get(st, 0.0)) / top_lex / LEXICAL_T for st in steps})
        if not dense:
            return self.lexical.scores(text, phase)
        lo = min(dense.values())
        p_dense = _softmax({st: dense.get(st, lo) / t for st in steps})
        out = {st: (1 - w) * p_lex[st] + w * p_dense[st] for st in steps}
        return sorted(out.items(), key=lambda kv: (-kv[1], kv[0]))

    def predict(self, text: str, phase: str | None = None) -> StepGuess | None:
        if self.dense_weight > 0:
            try:
                ranked = self.combined(text, phase)
            except Exception as e:  # noqa: BLE001 — no model, no cache dir …: the lexical part alone decides
                log.warning("step classifier: the embedder failed (%s: %s); lexical steps only", type(e).__name__, e)
                self.dense_weight = 0.0
                return self.lexical.predict(text, phase)
        else:
            return self.lexical.predict(text, phase)
        if not ranked or ranked[0][1] <= 0:
            return None
        total = sum(max(0.0, s) for _, s in ranked) or 1.0
        return StepGuess(ranked[0][0], round(ranked[0][1] / total, 3))


def read_combination(path: Path = COMBINATION_FILE) -> dict:
    """The fitted combination (``scripts/fit_steps.py``): ``dense_weight``, ``top`` and the
    cross-validated accuracies it was chosen by; lexical only when none was fitted."""
    if not path.exists():
        return {"dense_weight": 0.0, "top": 3}
    return json.loads(path.read_text(encoding="utf-8"))


def hybrid_classifier(embed: Embed | None) -> StepClassifier | HybridStepClassifier:
    """The fitted classifier for this embedder: lexical alone without one (or when the fit chose
    no dense part), else the fitted combination over the fitted examples."""
    fit = read_combination()
    if embed is None or not fit.get("dense_weight"):
        return default_classifier()
    return HybridStepClassifier(read_examples(), embed, fit["dense_weight"], int(fit.get("top", 3)),
                                lexical=default_classifier(), temperature=float(fit.get("temperature", 0.02)))


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
