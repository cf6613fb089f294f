"""Learned fusion: one linear model over what both retrievers and the question analysis already
say about a candidate record, in place of hand-set boosts.

The weights are *fitted* (``pfkb eval --fit``, eval/fit.py) on the tuning split of the question sets
and saved as a small versioned file (kb/search/fusion.json) that the runtime only *reads*; a build
writes the model into the index manifest and a Searcher ranks with the manifest's model. Features
are general: ranks and scores of both retrievers and of the best passage, whether the record's
city / step / phase / kind / scope / document is the one the question names, the record's kind and length."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from kb.core.errors import SettingsError
from kb.core.records import KINDS, Record
from kb.search.query import QueryAnalysis

FUSION_FILE = Path(__file__).resolve().parent / "fusion.json"
FUSION_FORMAT = 1
RRF_K = 60  # llama-index's reciprocal_rerank constant

FEATURES: tuple[str, ...] = (
    "rrf", "bm25_rr", "dense_rr", "bm25_norm", "dense_cos", "dense_gap", "passage", "passage_gap",
    "city_match", "other_city", "step_match", "phase_match", "kind_match", "scope_match",
    "case_summary", "schedule_only", "length",
    *(f"kind_{k}" for k in KINDS),
    # the best passage's two scores apart, the question's terms the record holds, and how much the
    # record's document as a whole is about the question
    "passage_bm25", "passage_dense", "coverage", "document",
    # the best passage's reciprocal rank in the passages' two fused lists (the naive chunk pipeline's
    # signal, on sentences); whether the record's document was read without structure (a plan, a web
    # page: no facet can match it), alone and with its passage's rank
    "passage_rrf", "unstructured", "unstructured_passage_rrf",
    # the record's document is one the question names (「重点計画では」「国の計画では」), or another one
    "document_named", "other_document",
)


@dataclass(frozen=True)
class Ranked:
    """One retriever's ranked list for a question: record id → (0-based rank, raw score)."""
    ranks: Mapping[str, tuple[int, float]]

    @classmethod
    def of(cls, pairs: Sequence[tuple[str, float]]) -> "Ranked":
        return cls({rid: (i, s) for i, (rid, s) in enumerate(pairs)})

    def top(self) -> float:
        return max((s for _, s in self.ranks.values()), default=0.0)


def rrf(*ranks: int | None) -> float:
    """Reciprocal rank fusion as llama-index's ``reciprocal_rerank`` computes it (0-based ranks)."""
    return sum(1 / (RRF_K + r) for r in ranks if r is not None)


def candidate_features(records: Sequence[Record], bm25: Ranked, dense: Ranked, passage: Mapping[str, float],
                       a: QueryAnalysis, extra: Mapping[str, Sequence[float]] | None = None) -> np.ndarray:
    """The feature matrix of ``records`` (rows) for one question (columns: FEATURES); ``extra``: further
    columns by name, one value per record (the passage parts, coverage, document)."""
    b_top, d_top = bm25.top(), dense.top()
    p_top = max(passage.values(), default=0.0)
    d_floor = min((s for _, s in dense.ranks.values()), default=0.0)
    X = np.zeros((len(records), len(FEATURES)), dtype=np.float64)
    col = {name: i for i, name in enumerate(FEATURES)}
    for row, r in enumerate(records):
        b = bm25.ranks.get(r.id)
        d = dense.ranks.get(r.id)
        f = X[row]
        f[col["rrf"]] = rrf(b[0] if b else None, d[0] if d else None) * RRF_K / 2  # 1 when first in both
        f[col["bm25_rr"]] = 1 / (b[0] + 1) if b else 0.0
        f[col["dense_rr"]] = 1 / (d[0] + 1) if d else 0.0
        f[col["bm25_norm"]] = b[1] / b_top if b and b_top > 0 else 0.0
        cos = d[1] if d else d_floor
        f[col["dense_cos"]] = cos
        f[col["dense_gap"]] = cos - d_top
        ps = passage.get(r.id, 0.0)
        f[col["passage"]] = ps
        f[col["passage_gap"]] = ps - p_top
        if a.cities:
            f[col["city_match"]] = float(r.city in a.cities)
            f[col["other_city"]] = float(r.city is not None and r.city not in a.cities)
        f[col["step_match"]] = float(bool(a.steps) and r.step in a.steps)
        f[col["phase_match"]] = float(bool(a.phases) and r.phase in a.phases)
        f[col["kind_match"]] = float(bool(a.kinds) and r.kind in a.kinds)
        f[col["scope_match"]] = float(bool(a.scopes) and r.scope in a.scopes)
        if a.documents:
            f[col["document_named"]] = float(r.source.document in a.documents)
            f[col["other_document"]] = float(r.source.document not in a.documents)
        f[col["case_summary"]] = float(a.wants_case and r.kind == "summary")
        f[col["schedule_only"]] = float(bool(r.fields.get("schedule_only")))
        f[col["length"]] = math.log1p(len(r.text)) / math.log(1000)
        if f"kind_{r.kind}" in col:
            f[col[f"kind_{r.kind}"]] = 1.0
    for name, values in (extra or {}).items():
        X[:, col[name]] = np.asarray(values, dtype=np.float64)
    return X


@dataclass(frozen=True)
class FusionModel:
    """score = sigmoid(weights · features): monotone, so only the order matters; in (0, 1) for display."""
    weights: tuple[float, ...]
    features: tuple[str, ...] = FEATURES
    format: int = FUSION_FORMAT
    fitted: Mapping[str, Any] = field(default_factory=dict)  # on what, when, with which figures

    def __post_init__(self) -> None:
        if len(self.weights) != len(self.features):
            raise SettingsError(f"融合モデルの重みの数 ({len(self.weights)}) が特徴量の数 ({len(self.features)}) と"
                                f"合いません", "fusion model: weights and features differ in length")

    def score(self, X: np.ndarray) -> np.ndarray:
        z = X @ np.asarray(self._aligned(), dtype=np.float64)
        return 1 / (1 + np.exp(-np.clip(z, -30, 30)))

    def _aligned(self) -> list[float]:
        """The weights in the order of today's FEATURES (a feature the model lacks weighs 0)."""
        w = dict(zip(self.features, self.weights))
        return [w.get(name, 0.0) for name in FEATURES]

    def to_dict(self) -> dict[str, Any]:
        return {"format": self.format, "features": list(self.features),
                "weights": [round(float(w), 6) for w in self.weights], "fitted": dict(self.fitted)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "FusionModel":
        if d.get("format") != FUSION_FORMAT:
            raise SettingsError(f"融合モデルの形式 {d.get('format')!r} は読めません。`pfkb eval --fit` で作り直してください",
                                f"fusion model format {d.get('format')!r}, expected {FUSION_FORMAT}")
        return cls(weights=tuple(float(w) for w in d["weights"]), features=tuple(d["features"]),
                   format=int(d["format"]), fitted=dict(d.get("fitted") or {}))


def load_fusion(path: Path = FUSION_FILE) -> FusionModel | None:
    """The fitted model under version control, or None when none has been fitted."""
    if not path.exists():
        return None
    try:
        return FusionModel.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
        raise SettingsError(f"融合モデル {path} が読めません ({e})。`pfkb eval --fit` で作り直してください",
                            "bad fusion model file") from None


def save_fusion(model: FusionModel, path: Path = FUSION_FILE) -> Path:
    path.write_text(json.dumps(model.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path
