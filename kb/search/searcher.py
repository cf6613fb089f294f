"""Hybrid search over the records through llama-index: a Sudachi BM25 retriever
(bm25s) and a FAISS dense retriever, fused by reciprocal rank fusion
(``QueryFusionRetriever``), then facet filters and a re-rank by what the
question names (city, step, phase, kind).

Thread-safe: retrievers hold no per-query state; the Sudachi tokenizer is per
thread and the embedder serialises its own calls."""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Iterable, Mapping

from llama_index.core.retrievers import BaseRetriever, QueryFusionRetriever
from llama_index.core.schema import QueryBundle

from kb.core.errors import BadQueryError
from kb.search.corpus import Corpus
from kb.search.index import read_manifest, require_index, tokens_to_bm25, tuning_manifest, vectors_to_faiss
from kb.search.manifest import embedder_key
from kb.core.cache import LRU
from kb.search.nodes import record_search_text, record_to_node
from kb.search.retrievers import FaissRetriever, SudachiBM25Retriever
from kb.search.query import QueryAnalysis, analyze
from kb.search.filters import check_filters
from kb.core.records import PHASE_LABELS, Fact, Record, STEP_NAMES, SearchHit
from kb.core.settings import Settings
from kb.core.tuning import AnswerTuning, SearchTuning, tuning_from_dict
from kb.search.tokenize import Tokenizer

MODES = ("hybrid", "bm25", "dense")
DEFAULT_TUNING = SearchTuning()
MAX_QUERY_CHARS = 500


def record_matches(rec: Record, filters: Mapping[str, str]) -> bool:
    for key, value in filters.items():
        if getattr(rec, key) != value:
            return False
    return True


def rerank(hits: list[SearchHit], a: QueryAnalysis, tuning: SearchTuning = DEFAULT_TUNING) -> list[SearchHit]:
    """Multiply fused scores by what the question names (weights: ``tuning``); stable for ties."""
    t = tuning
    out = []
    for h in hits:
        r, w = h.record, 1.0
        if a.cities:
            if r.city in a.cities:
                w += t.city_boost
            elif r.city is not None:
                w *= t.other_city
        if a.steps and r.step in a.steps:
            w += t.step_boost / 2 if a.kinds else t.step_boost
        if a.phases and r.phase in a.phases:
            w += t.phase_boost
        if a.scopes and r.scope in a.scopes:
            w += t.scope_boost
        if a.kinds and r.kind in a.kinds:
            w += t.kind_boost
        if r.kind not in a.kinds:
            w *= t.kind_prior.get(r.kind, 1.0)
        if a.wants_case and r.kind == "summary":
            w *= t.case_summary_prior
        if r.fields.get("schedule_only"):
            w *= t.schedule_only_prior
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
    """Searches one corpus with its two retrievers. ``Searcher(settings)`` loads the current index
    version from disk (its manifest's tuning included); ``Searcher.from_records`` builds both
    retrievers in memory from a handful of records (tests). ``cache=False`` turns off the result and
    query-embedding caches (for benchmarks that measure the work itself)."""

    def __init__(self, settings: Settings, index_dir: Path | None = None, *, cache: bool = True):
        import bm25s
        import faiss
        index_dir = index_dir or require_index(settings)
        manifest = read_manifest(index_dir)
        self._assemble(settings, Corpus.load(index_dir), manifest,
                       bm25=bm25s.BM25.load(str(index_dir / "bm25")),
                       dense=faiss.read_index(str(index_dir / "dense.faiss")), embedder=None, cache=cache)
        self.index_dir: Path | None = index_dir

    @classmethod
    def from_records(cls, settings: Settings, records: Iterable[Record], facts: Iterable[Fact] = (), *,
                     embedder: Any = None, tuning: SearchTuning | None = None, cache: bool = True) -> "Searcher":
        """A Searcher over ``records`` built in memory (BM25 and FAISS, nothing written to disk);
        ``embedder`` defaults to the settings' one."""
        from kb.search.embed import EmbeddingCache, embed_passages, make_embedder
        corpus = Corpus.of(records, facts)
        tuning = tuning or SearchTuning()
        embedder = embedder or make_embedder(settings)
        texts = [record_search_text(r) for r in corpus.records]
        memory = EmbeddingCache(Path(":memory:"), embedder_key(settings))
        try:
            vectors, _ = embed_passages(embedder, memory, texts)
        finally:
            memory.close()
        self = cls.__new__(cls)
        tokenizer = Tokenizer(settings.sudachi_mode)
        self._assemble(settings, corpus, {"records": len(corpus.records), **tuning_manifest(tuning)},
                       bm25=tokens_to_bm25([tokenizer(t) for t in texts], tuning), dense=vectors_to_faiss(vectors),
                       embedder=embedder, cache=cache, tokenizer=tokenizer)
        self.index_dir = None
        return self

    def _assemble(self, settings: Settings, corpus: Corpus, manifest: dict[str, Any], *, bm25: Any, dense: Any,
                  embedder: Any, cache: bool, tokenizer: Tokenizer | None = None) -> None:
        from llama_index.core.llms import MockLLM

        from kb.search.embed import make_embedder
        self.settings, self.manifest, self.corpus = settings, manifest, corpus
        self.tuning = tuning_from_dict(SearchTuning, manifest.get("search_tuning"))
        self.answer_tuning = tuning_from_dict(AnswerTuning, manifest.get("answer_tuning"))
        self.records, self.by_id, self.facts = list(corpus.records), corpus.by_id, list(corpus.facts)
        self.nodes = [record_to_node(r) for r in self.records]
        self.cities = corpus.cities
        self.tokenizer = tokenizer or Tokenizer(settings.sudachi_mode)
        embedder = embedder or make_embedder(settings)
        self.query_cache = LRU() if cache else LRU(0)
        # two depths: the top ``shallow_depth`` of each retriever for plain queries (what a page of results
        # and the answer composer use), every record for filtered ones, so that a narrow filter applied
        # after fusion still finds its records
        self.legs: dict[bool, tuple[BaseRetriever, BaseRetriever, BaseRetriever]] = {}
        for deep in (False, True):
            depth = max(1, len(self.nodes) if deep else min(len(self.nodes), self.tuning.shallow_depth))
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
        deep = bool(f) or k > self.tuning.shallow_depth
        hits = [h for h in self._fused(query, a, mode, deep=deep) if record_matches(h.record, f)]
        if rerank_by_query:
            hits = rerank(hits, a, self.tuning)
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
