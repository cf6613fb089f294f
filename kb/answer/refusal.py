"""Calibrated refusal: "the documents do not answer this" decided from the evidence itself.

Features of one question's evidence (both retrievers' best scores, how much of the question's
content the best record and the best sentence hold, whether the retrievers agree, how much of the
question the corpus has never seen), a logistic model over them and a threshold, fitted by
``python -m eval.fit_refusal`` on tuning splits only and saved as ``refusal_model.json`` beside this
module; the runtime only reads it (scikit-learn's fit / predict, without the dependency)."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np

from kb.core.logistic import fit_logistic, linear, read_model, save_model, sigmoid, standardise

MODEL_PATH = Path(__file__).resolve().parent / "refusal_model.json"
MODEL_VERSION = 1
FEATURES = ("coverage", "sentence_coverage", "unseen_terms", "bm25_top", "dense_top", "dense_gap", "passage_dense",
            "agreement", "named", "anchored", "terms")


@dataclass(frozen=True)
class EvidenceFeatures:
    coverage: float  # best share of the question's key terms one top record holds (hybrid and BM25 top)
    sentence_coverage: float  # best idf-weighted share one sentence of the top records holds
    unseen_terms: float  # share of the key terms that no record of the corpus holds
    bm25_top: float  # log(1 + BM25's best raw score)
    dense_top: float  # the dense retriever's best cosine
    dense_gap: float  # its best minus its tenth cosine (a clear match stands out)
    passage_dense: float  # the best cosine of one sentence (passage) of the corpus to the question
    agreement: float  # share of the top 5 both retrievers rank there
    named: float  # the question names a step, a city of the corpus or the setup
    anchored: float  # the question speaks of the PF / 孤独・孤立 world
    terms: float  # how many key terms the question has (capped at 6, over 6)

    def vector(self) -> np.ndarray:
        return np.array([getattr(self, f) for f in FEATURES], dtype=np.float64)

    def to_dict(self) -> dict[str, float]:
        return {k: round(v, 4) for k, v in asdict(self).items()}


def agreement(a: Sequence[str], b: Sequence[str], k: int = 5) -> float:
    return len(set(a[:k]) & set(b[:k])) / k if a and b else 0.0


@dataclass(frozen=True)
class RefusalModel:
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float  # refuse at or above this probability of "unanswerable"
    fitted_on: tuple[str, ...] = ()
    embedder: str = ""
    version: int = MODEL_VERSION

    def probability(self, f: EvidenceFeatures) -> float:
        return sigmoid(float(linear(f.vector(), self.mean, self.scale, self.weights, self.bias)))

    def refuses(self, f: EvidenceFeatures) -> bool:
        return self.probability(f) >= self.threshold

    def save(self, path: Path = MODEL_PATH) -> None:
        save_model(self, path)

    @classmethod
    def read(cls, path: Path = MODEL_PATH) -> "RefusalModel | None":
        return read_model(cls, path, MODEL_VERSION, FEATURES)  # None: refit (python -m eval.fit_refusal)


@lru_cache(maxsize=4)
def load_model(path: Path = MODEL_PATH) -> RefusalModel | None:
    return RefusalModel.read(path)


def choose_threshold(p: Iterable[float], unanswerable: Iterable[bool], max_false_refusal: float) -> float:
    """The lowest threshold whose share of answerable questions refused stays within the bound
    (so as many unanswerable ones as possible are refused), halfway between neighbouring scores."""
    pairs = sorted(zip(p, unanswerable))
    answerable = sum(1 for _, u in pairs if not u)
    allowed = int(math.floor(max_false_refusal * answerable))
    scores = sorted({s for s, _ in pairs})
    for i, t in enumerate(scores):
        refused_answerable = sum(1 for s, u in pairs if s >= t and not u)
        if refused_answerable <= allowed:
            below = scores[i - 1] if i else 0.0
            return (below + t) / 2
    return 1.0


def fit(rows: Sequence[tuple[EvidenceFeatures, bool]], *, max_false_refusal: float = 0.03, l2: float = 1.0,
        fitted_on: Sequence[str] = (), embedder: str = "", folds: int = 5, repeats: int = 3) -> RefusalModel:
    """The logistic model on every row; its threshold chosen on out-of-fold probabilities (``folds``-fold,
    ``repeats`` shuffles): a threshold chosen on the questions the model was fitted on refuses more
    answerable questions on new ones than the bound allows (seen on tuning CV: 4.8 % for a 3 % bound)."""
    X = np.array([f.vector() for f, _ in rows])
    y = np.array([1.0 if u else 0.0 for _, u in rows])
    w, b, mean, scale = _fit(X, y, l2)
    model = RefusalModel(tuple(FEATURES), tuple(mean.tolist()), tuple(scale.tolist()), tuple(w.tolist()), b, 0.5,
                         tuple(fitted_on), embedder)
    if folds >= 2 and min(y.sum(), len(y) - y.sum()) >= folds:
        probs, labels = [], []
        for seed in range(repeats):
            order = np.random.RandomState(seed).permutation(len(y))
            for k in range(folds):
                held = order[k::folds]
                rest = np.setdiff1d(order, held)
                fw, fb, fm, fs = _fit(X[rest], y[rest], l2)
                probs += [sigmoid(float(linear(x, fm, fs, fw, fb))) for x in X[held]]
                labels += [bool(v) for v in y[held]]
    else:  # too few questions to hold any out
        probs, labels = [model.probability(f) for f, _ in rows], [u for _, u in rows]
    t = choose_threshold(probs, labels, max_false_refusal)
    return RefusalModel(**{**asdict(model), "threshold": round(t, 6)})


def _fit(X: np.ndarray, y: np.ndarray, l2: float):
    mean, scale = standardise(X)
    w, b = fit_logistic((X - mean) / scale, y, l2=l2)
    return w, b, mean, scale
