"""Tuning numbers of search and answering, as checked settings (defaults tabled in the README).
They are written into the index manifest, so that an index says what it was tuned with."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Mapping, TypeVar

from kb.core.errors import SettingsError


@dataclass(frozen=True)
class SearchTuning:
    shallow_depth: int = 100  # retrieval depth of each retriever for unfiltered queries
    bm25_k1: float = 1.2
    bm25_b: float = 0.5
    city_boost: float = 0.4  # re-rank: a record of a city the question names gains this share
    other_city: float = 0.45  # … a record of another city keeps this share of its score
    step_boost: float = 0.25
    phase_boost: float = 0.125
    kind_boost: float = 0.25
    scope_boost: float = 0.125
    kind_prior: dict[str, float] = field(default_factory=lambda: {"context": 0.75, "overview": 0.85, "profile": 0.75})
    case_summary_prior: float = 0.5  # 「…した自治体は？」: the cross-city summary names no city
    schedule_only_prior: float = 0.8
    # pseudo-relevance feedback on the BM25 side (kb/search/retrievers.py): the ``prf_terms`` heaviest
    # terms of the ``prf_docs`` best records join the query with ``prf_weight`` of its weight (0: off)
    prf_docs: int = 0
    prf_terms: int = 0
    prf_weight: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class AnswerTuning:
    search_depth: int = 100  # records ranked for one question
    evidence_depth: int = 30  # of which the answer composes from the top
    coverage_depth: int = 10  # records judged for the question's key-term coverage
    min_coverage: float = 0.5  # below (or at) this share of key terms: no evidence
    min_anchored_coverage: float = 0.34  # … for questions about the PF / 孤独・孤立 world
    form_yield_margin: float = 0.15  # a roadmap / step / trial form gives way to a general answer when the best
    # sentence is of another kind of record and beats theirs by this share of its score
    passage_fusion_k: int = 0  # records holding the best sentences join the evidence by RRF with this k (0: off)
    passage_fusion_weight: float = 1.0  # … their rank's weight against the fused search's
    # key points (summary): sentence score = lexical·w + passage·w + record dense·w + record rank·w, picked greedily
    # a question after an earlier turn that names no city, trial or step and whose every key term is in more
    # records than max(followup_common_records, followup_common_share × records) builds on the earlier question;
    # fitted between the follow-ups (rarest terms in ≥ 6 of 303 records) and the new questions (≤ 3) of
    # followup_tune and followup2_tune
    followup_common_share: float = 0.015
    followup_common_records: int = 3
    # a question after an earlier turn that the documents do not answer alone is read with it when that reading
    # has the evidence and its top records hold this share of the question's own key terms
    followup_own_share: float = 0.5
    key_records: int = 12  # evidence records whose sentences compete
    key_lexical: float = 0.6  # idf-weighted share of the question's key terms in the sentence
    key_passage: float = 0.3  # the sentence's passage score (its build-time vector and BM25), scaled over the candidates
    key_passage_records: int = 6  # records holding the corpus's best sentences for the question join the pool
    key_passage_outside: float = 0.5  # a headline or field sentence takes this share of its record's best passage
    key_dense: float = 0.25  # the record's dense similarity, scaled over the dense top
    key_rank: float = 0.15  # the record's place in the composer's answer
    key_reason_bonus: float = 0.5  # a "why" answer: a sentence that gives a reason (or a breakthrough's) gains this share
    key_long_clauses: bool = True  # a sentence over 160 characters competes as runs of its clauses (cut at commas)
    key_min: int = 2
    key_max: int = 5
    key_chars: int = 400  # budget of the summary, in characters
    key_min_share: float = 0.3  # a sentence scoring below this share of the best is left out (after key_min)
    key_model: bool = True  # score sentences by the fitted model (kb/answer/sentence_model.json) where there is one
    key_model_min_share: float = 0.08  # key_min_share for the model's probabilities
    key_per_record: int = 2  # sentences one record may give the summary (the lead's records: already full, unless open)
    key_repeat_record: float = 0.9  # a record's second sentence keeps this share of its score
    key_repeat_city: float = 0.85  # a second sentence of the same city keeps this share of its score
    key_repeat_doc: float = 0.9  # … of the same document
    key_repeat_phase: float = 0.8  # … of the same phase (a process answer spans its phases)
    key_setup_repeat_phase: float = 0.2  # a roadmap's key points: one phase each, in effect

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


T = TypeVar("T", SearchTuning, AnswerTuning)


def tuning_from_dict(cls: type[T], data: Mapping[str, Any] | None) -> T:
    """A tuning object from its ``to_dict()`` (e.g. an index manifest); missing keys take the defaults,
    an unknown key is an error naming it."""
    data = dict(data or {})
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise SettingsError(f"{cls.__name__} に未知の項目があります: {', '.join(unknown)}",
                            f"unknown tuning keys {unknown}; known: {sorted(names)}")
    return cls(**data)
