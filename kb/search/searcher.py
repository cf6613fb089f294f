"""Hybrid search over the records through llama-index: a Sudachi BM25 retriever
(bm25s) and a FAISS dense retriever, fused by reciprocal rank fusion
(``QueryFusionRetriever``), then facet filters and a re-rank by what the
question names (city, step, phase, kind).

Thread-safe: retrievers hold no per-query state; the Sudachi tokenizer is per
thread and the embedder serialises its own calls."""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Mapping

from llama_index.core.retrievers import BaseRetriever, QueryFusionRetriever
from llama_index.core.schema import QueryBundle

from kb.core.errors import BadQueryError
from kb.search.corpus import Corpus
from kb.search.index import read_manifest, require_index
from kb.core.cache import LRU
from kb.search.nodes import record_search_text, record_to_node
from kb.search.retrievers import FaissRetriever, SudachiBM25Retriever
from kb.search.query import QueryAnalysis, analyze
from kb.search.filters import check_filters
from kb.core.records import PHASE_LABELS, Record, STEP_NAMES, SearchHit
from kb.core.settings import Settings
from kb.search.tokenize import Tokenizer

MODES = ("hybrid", "bm25", "dense")
SHALLOW = 100  # retrieval depth of unfiltered queries
MAX_QUERY_CHARS = 500


def record_matches(rec: Record, filters: Mapping[str, str]) -> bool:
    for key, value in filters.items():
        if getattr(rec, key) != value:
            return False
    return True


# re-rank weights: how much a record gains when it matches what the question names
# (halved from a first setting that let the facets overrule both retrievers on held-out questions)
CITY_BOOST, OTHER_CITY = 0.4, 0.45
STEP_BOOST, PHASE_BOOST, KIND_BOOST, SCOPE_BOOST = 0.25, 0.125, 0.25, 0.125
KIND_PRIOR = {"context": 0.75, "overview": 0.85, "profile": 0.75}
CASE_SUMMARY_PRIOR = 0.5  # 「…した自治体は？」: the cross-city summary names no city
SCHEDULE_ONLY_PRIOR = 0.8


def rerank(hits: list[SearchHit], a: QueryAnalysis) -> list[SearchHit]:
    """Multiply fused scores by what the question names; stable for ties."""
    out = []
    for h in hits:
        r, w = h.record, 1.0
        if a.cities:
            if r.city in a.cities:
                w += CITY_BOOST
            elif r.city is not None:
                w *= OTHER_CITY
        if a.steps and r.step in a.steps:
            w += STEP_BOOST / 2 if a.kinds else STEP_BOOST
        if a.phases and r.phase in a.phases:
            w += PHASE_BOOST
        if a.scopes and r.scope in a.scopes:
            w += SCOPE_BOOST
        if a.kinds and r.kind in a.kinds:
            w += KIND_BOOST
        if r.kind not in a.kinds:
            w *= KIND_PRIOR.get(r.kind, 1.0)
        if a.wants_case and r.kind == "summary":
            w *= CASE_SUMMARY_PRIOR
        if r.fields.get("schedule_only"):
            w *= SCHEDULE_ONLY_PRIOR
        out.append(SearchHit(r, h.score * w))
    return sorted(out, key=lambda h: -h.score)


def expand_query(query: str, a: QueryAnalysis) -> str:
    """Add the canonical names of the steps and phases the question names, so
    that both retrievers meet the records' own labels (「最初に」 → 担当者の初動)."""
    if a.kinds:  # the question names what it wants (a trial, a profile…): keep its own words
        return query
    extra = [STEP_NAMES[s] for s in a.steps] + [PHASE_LABELS[p].split(" ")[-1] for p in a.phases]
    return query + ("\n" + " ".join(extra) if extra else "")


class Searcher:
    """Loads one index version. ``cache=False`` turns off the result and
    query-embedding caches (for benchmarks that measure the work itself)."""

    def __init__(self, settings: Settings, index_dir: Path | None = None, *, cache: bool = True):
        from kb.search.embed import make_embedder
        import bm25s
        import faiss
        self.settings = settings
        self.index_dir = index_dir or require_index(settings)
        self.manifest = read_manifest(self.index_dir)
        self.corpus = Corpus.load(self.index_dir)
        self.records, self.by_id, self.facts = list(self.corpus.records), self.corpus.by_id, list(self.corpus.facts)
        self.nodes = [record_to_node(r) for r in self.records]
        self.cities = self.corpus.cities
        self.tokenizer = Tokenizer(settings.sudachi_mode)
        from llama_index.core.llms import MockLLM
        bm25 = bm25s.BM25.load(str(self.index_dir / "bm25"))
        dense = faiss.read_index(str(self.index_dir / "dense.faiss"))
        embedder = make_embedder(settings)
        self.query_cache = LRU() if cache else LRU(0)
        # two depths: the top SHALLOW of each retriever for plain queries (what a page of results and
        # the answer composer use), every record for filtered ones, so that a narrow filter applied
        # after fusion still finds its records
        self.legs: dict[bool, tuple[BaseRetriever, BaseRetriever, BaseRetriever]] = {}
        for deep in (False, True):
            depth = max(1, len(self.nodes) if deep else min(len(self.nodes), SHALLOW))
            b = SudachiBM25Retriever(bm25, self.nodes, self.tokenizer, depth)
            d = FaissRetriever(dense, self.nodes, embedder, depth, self.query_cache)
            f = QueryFusionRetriever([d, b], mode="reciprocal_rerank", num_queries=1, similarity_top_k=depth,
                                     use_async=False, llm=MockLLM(), verbose=False)
            self.legs[deep] = (b, d, f)
        self.bm25, self.dense, self.fusion = self.legs[False]
        self.result_cache = LRU(1024) if cache else LRU(0)
        self._record_tokens: dict[str, frozenset[str]] = {}
        self._line_tokens = LRU(50_000)  # tokens of record lines are a property of the index, not of a query

    def record_tokens(self, record: Record) -> frozenset[str]:
        """The BM25 tokens of a record's search text, computed once per loaded index."""
        toks = self._record_tokens.get(record.id)
        if toks is None:
            toks = frozenset(self.tokenizer(record_search_text(record)))
            self._record_tokens[record.id] = toks
        return toks

    def text_tokens(self, text: str) -> frozenset[str]:
        """Tokens of a short text (a line of a record), cached."""
        toks = self._line_tokens.get(text)
        if toks is None:
            toks = frozenset(self.tokenizer(text))
            self._line_tokens.put(text, toks)
        return toks

    def _fused(self, query: str, a: QueryAnalysis, mode: str, deep: bool = False) -> list[SearchHit]:
        # the step/phase names extend the words BM25 matches; the embedder reads the question as asked
        # (a shorter input embeds faster and e5 needs no help with paraphrase)
        bundle = QueryBundle(query_str=expand_query(query, a), custom_embedding_strs=[query])
        bm25, dense, fusion = self.legs[deep]
        if mode == "bm25":
            nodes = bm25.retrieve(bundle)
        elif mode == "dense":
            nodes = dense.retrieve(bundle)
        else:
            nodes = fusion.retrieve(bundle)
        return [SearchHit(self.by_id[n.node.node_id], float(n.score or 0.0)) for n in nodes]

    def search(self, query: str, k: int = 10, filters: Mapping[str, Any] | None = None,
               mode: str = "hybrid", rerank_by_query: bool = True,
               analysis: QueryAnalysis | None = None) -> list[SearchHit]:
        """``analysis``: the question already analysed by the caller (the assistant analyses once)."""
        query = validate_query(query)
        if mode not in MODES:
            raise BadQueryError(f"mode={mode!r} は不正です ({', '.join(MODES)})", "unknown mode")
        if not isinstance(k, int) or not 1 <= k <= 100:
            raise BadQueryError(f"k={k!r}: 1〜100 の整数を指定してください", "k must be an integer 1-100")
        f = check_filters(filters)
        key = (query, k, tuple(sorted(f.items())), mode, rerank_by_query)
        cached = self.result_cache.get(key)
        if cached is not None:
            return cached
        a = analysis or analyze(query, self.cities)  # once: it both extends BM25's words and re-ranks
        hits = [h for h in self._fused(query, a, mode, deep=bool(f) or k > SHALLOW) if record_matches(h.record, f)]
        if rerank_by_query:
            hits = rerank(hits, a)
        hits = hits[:k]
        self.result_cache.put(key, hits)
        return hits

    def analyze(self, query: str) -> QueryAnalysis:
        return analyze(query, self.cities)


def validate_query(query: Any, limit: int = MAX_QUERY_CHARS) -> str:
    if not isinstance(query, str) or not query.strip():
        raise BadQueryError("質問が空です。調べたいことを入力してください", "the query is empty")
    query = query.strip()
    if len(query) > limit:
        raise BadQueryError(f"質問が長すぎます（{len(query)} 文字、上限 {limit} 文字）。短くしてください",
                            f"query too long: {len(query)} > {limit} characters")
    return query


_lock = threading.Lock()
_searchers: dict[tuple, Searcher] = {}
MAX_SEARCHERS = 4  # data dirs kept loaded at once (tests use several)


def get_searcher(settings: Settings) -> Searcher:
    """One Searcher per (data dir, settings, index version), loaded once."""
    index_dir = require_index(settings)
    key = (str(settings.data_dir.resolve()), settings.embedder, settings.embed_model, settings.sudachi_mode,
           index_dir.name)
    with _lock:
        s = _searchers.get(key)
        if s is None:
            s = Searcher(settings, index_dir)
            for old in [k for k in _searchers if k[0] == key[0]]:
                del _searchers[old]  # an older index version of this data dir is no longer needed
            while len(_searchers) >= MAX_SEARCHERS:
                del _searchers[next(iter(_searchers))]
            _searchers[key] = s
        return s


def reset_cache() -> None:
    with _lock:
        _searchers.clear()


def search(settings: Settings, query: str, k: int = 10, filters: Mapping[str, Any] | None = None,
           mode: str = "hybrid") -> list[SearchHit]:
    return get_searcher(settings).search(query, k=k, filters=filters, mode=mode)
