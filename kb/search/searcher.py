"""Hybrid search over the records through llama-index: a Sudachi BM25 retriever
(bm25s) and a FAISS dense retriever, fused by reciprocal rank fusion
(``QueryFusionRetriever``), then facet filters and a re-rank by what the
question names (city, step, phase, kind).

Thread-safe: retrievers hold no per-query state; the Sudachi tokenizer is per
thread and the embedder serialises its own calls."""
from __future__ import annotations

import dataclasses
import re
import threading
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np
from llama_index.core.retrievers import BaseRetriever, QueryFusionRetriever
from llama_index.core.schema import QueryBundle

from kb.core.errors import BadQueryError
from kb.search.corpus import Corpus
from kb.search.documents import DocumentInfo, DocumentNames, document_names
from kb.search.index import read_manifest, require_index, tokens_to_bm25, tuning_manifest, vectors_to_faiss
from kb.search.manifest import embedder_key
from kb.core.cache import LRU
from kb.search.nodes import record_search_text, record_to_node
from kb.search.fusion import RRF_K, FusionModel, Ranked, candidate_features, load_fusion, rrf
from kb.search.passages import PassageIndex, build_passage_index, records_to_passages
from kb.search.reading import ReadingLexicon, is_kana_only, reading_lexicon, share_lexicon
from kb.search.retrievers import BM25Scorer, FaissRetriever, SudachiBM25Retriever
from kb.search.terms import TermExpander, records_to_terms
from kb.search.query import QueryAnalysis, analyze, trial_names
from kb.search.filters import check_filters
from kb.core.records import PHASE_LABELS, Fact, Passage, Record, STEP_NAMES, SearchHit
from kb.core.settings import Settings
from kb.core.tuning import AnswerTuning, SearchTuning, tuning_from_dict
from kb.search.tokenize import BackoffTokenizer, Tokenizer

MODES = ("hybrid", "bm25", "dense")
DEFAULT_TUNING = SearchTuning()
MAX_QUERY_CHARS = 500
_NO_ROWS = np.zeros(0, dtype=np.int64)


def record_matches(rec: Record, filters: Mapping[str, str]) -> bool:
    for key, value in filters.items():
        if getattr(rec, key) != value:
            return False
    return True


def unstructured_documents(records: Iterable[Record]) -> frozenset[str]:
    """Documents none of whose records is structured (every one ``context``): a document read without
    recognised structure, e.g. a plan or a web page, whose passages are its whole content."""
    structured: set[str] = set()
    seen: set[str] = set()
    for r in records:
        seen.add(r.source.document)
        if r.kind != "context":
            structured.add(r.source.document)
    return frozenset(seen - structured)


def rerank(hits: list[SearchHit], a: QueryAnalysis, tuning: SearchTuning = DEFAULT_TUNING,
           unstructured: frozenset[str] = frozenset()) -> list[SearchHit]:
    """Multiply fused scores by what the question names (weights: ``tuning``); stable for ties.
    A kind prior weighs a record against the structured records of its own document, so it does not
    apply to the records of an ``unstructured`` document (its passages are all it has)."""
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
        if r.kind not in a.kinds and r.source.document not in unstructured:
            w *= t.kind_prior.get(r.kind, 1.0)
        if a.wants_case and r.kind == "summary":
            w *= t.case_summary_prior
        if r.fields.get("schedule_only"):
            w *= t.schedule_only_prior
        out.append(SearchHit(r, h.score * w))
    return sorted(out, key=lambda h: -h.score)


_CONTENT_RUN = re.compile(r"[一-龥々ァ-ヴーA-Za-z]{2,}")


def expand_query(query: str, a: QueryAnalysis, terms: TermExpander | None = None) -> str:
    """Add the canonical names of the steps and phases the question names, so
    that both retrievers meet the records' own labels (「最初に」 → 担当者の初動), and the other form
    of every term the documents define that the question holds (連携PF ⇔ its long form)."""
    extra = [] if a.kinds else [STEP_NAMES[s] for s in a.steps] + [PHASE_LABELS[p].split(" ")[-1] for p in a.phases]
    # (a question that names what it wants — a trial, a profile… — keeps its own words)
    if terms:
        extra += terms.expansions(query)
    rest = query
    for p in a.pointers:  # 「重点計画の中に熊本地震って出てきますか」: the document is named, 熊本地震 is asked
        rest = rest.replace(p, " ")
    if _CONTENT_RUN.search(rest):  # 「重点計画とは？」 asks about the document itself: its name stays
        query = rest
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
        corpus = Corpus.load(index_dir)
        tokenizer = Tokenizer(settings.sudachi_mode)
        self._assemble(settings, corpus, manifest,
                       bm25=bm25s.BM25.load(str(index_dir / "bm25")),
                       dense=faiss.read_index(str(index_dir / "dense.faiss")), embedder=None, cache=cache,
                       tokenizer=tokenizer, passages=PassageIndex.load(index_dir, corpus.by_id, tokenizer),
                       terms=TermExpander.load(index_dir), readings=ReadingLexicon.load(index_dir))
        self.index_dir: Path | None = index_dir

    @classmethod
    def from_records(cls, settings: Settings, records: Iterable[Record], facts: Iterable[Fact] = (), *,
                     embedder: Any = None, tuning: SearchTuning | None = None,
                     fusion: FusionModel | None | str = "fitted", cache: bool = True,
                     documents: Iterable[DocumentInfo] = ()) -> "Searcher":
        """A Searcher over ``records`` built in memory (BM25 and FAISS, nothing written to disk);
        ``embedder`` defaults to the settings' one; ``fusion`` to the fitted model (kb/search/fusion.json)
        when there is one (``None``: the hand-set re-rank of ``tuning``); ``documents``: the documents'
        titles and publishers (what a question may name one by)."""
        from kb.search.embed import EmbeddingCache, embed_passages, make_embedder
        corpus = Corpus.of(records, facts, documents)
        tuning = tuning or SearchTuning()
        embedder = embedder or make_embedder(settings)
        texts = [record_search_text(r) for r in corpus.records]
        passages = records_to_passages(corpus.records)
        memory = EmbeddingCache(Path(":memory:"), embedder_key(settings))
        try:
            vectors, _ = embed_passages(embedder, memory, texts)
            passage_vectors, _ = embed_passages(embedder, memory, [p.text for p in passages])
        finally:
            memory.close()
        self = cls.__new__(cls)
        tokenizer = Tokenizer(settings.sudachi_mode)
        fusion = load_fusion() if fusion == "fitted" else fusion
        self._assemble(settings, corpus, {"records": len(corpus.records), "passages": len(passages),
                                          **tuning_manifest(tuning), **({"fusion": fusion.to_dict()} if fusion else {})},
                       bm25=tokens_to_bm25([tokenizer(t) for t in texts], tuning), dense=vectors_to_faiss(vectors),
                       embedder=embedder, cache=cache, tokenizer=tokenizer,
                       passages=build_passage_index(passages, passage_vectors, tokenizer, tuning),
                       terms=TermExpander(records_to_terms(corpus.records)), readings=None)
        self.index_dir = None
        return self

    def _assemble(self, settings: Settings, corpus: Corpus, manifest: dict[str, Any], *, bm25: Any, dense: Any,
                  embedder: Any, cache: bool, tokenizer: Tokenizer, passages: PassageIndex,
                  terms: TermExpander, readings: ReadingLexicon | None) -> None:
        from llama_index.core.llms import MockLLM

        from kb.search.embed import make_embedder
        self.settings, self.manifest, self.corpus = settings, manifest, corpus
        self.tuning = tuning_from_dict(SearchTuning, manifest.get("search_tuning"))
        self.fusion_model = FusionModel.from_dict(manifest["fusion"]) if manifest.get("fusion") else None
        self.answer_tuning = tuning_from_dict(AnswerTuning, manifest.get("answer_tuning"))
        self.records, self.by_id, self.facts = list(corpus.records), corpus.by_id, list(corpus.facts)
        self.nodes = [record_to_node(r) for r in self.records]
        self.cities = corpus.cities
        self.passage_index = passages
        self.terms = terms  # the abbreviations the documents define (kb/search/terms.py)
        if readings is not None:  # the kana lexicon stored with the index, shared with the assistant
            share_lexicon(corpus, readings)
        embedder = embedder or make_embedder(settings)
        self.query_cache = LRU() if cache else LRU(0)
        # two depths: the top ``shallow_depth`` of each retriever for plain queries (what a page of results
        # and the answer composer use), every record for filtered ones, so that a narrow filter applied
        # after fusion still finds its records
        self.legs: dict[bool, tuple[BaseRetriever, BaseRetriever, BaseRetriever]] = {}
        t = self.tuning
        self.bm25_scorer = BM25Scorer(bm25, prf=(t.prf_docs, t.prf_terms, t.prf_weight))
        # questions and lines are read against the index's words (a word it never holds: in its short units)
        self.tokenizer = BackoffTokenizer(tokenizer, self.bm25_scorer.vocab)
        self._row = {r.id: i for i, r in enumerate(self.records)}  # BM25 and FAISS rows are the records' order
        self._documents = [r.source.document for r in self.records]
        self._unstructured = unstructured_documents(self.records)
        for deep in (False, True):
            depth = max(1, len(self.nodes) if deep else min(len(self.nodes), self.tuning.shallow_depth))
            b = SudachiBM25Retriever(self.bm25_scorer, self.nodes, self.tokenizer, depth)
            d = FaissRetriever(dense, self.nodes, embedder, depth, self.query_cache)
            f = QueryFusionRetriever([d, b], mode="reciprocal_rerank", num_queries=1, similarity_top_k=depth,
                                     use_async=False, llm=MockLLM(), verbose=False)
            self.legs[deep] = (b, d, f)
        self.bm25, self.dense, self.fusion = self.legs[False]
        self.result_cache = LRU(1024) if cache else LRU(0)
        self._facet_tables: dict[str, dict[Any, np.ndarray]] = {}
        self._record_tokens: dict[str, frozenset[str]] = {}
        self._line_tokens = LRU(50_000)  # tokens of record lines are a property of the index, not of a query
        self._trials: frozenset[str] | None = None  # the corpus's trial names (query analysis), computed once
        self._document_names: DocumentNames | None = None  # what a question may name a document by, once

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

    def _fused(self, query: str, a: QueryAnalysis, mode: str, deep: bool = False,
               vector: Any = None) -> list[SearchHit]:
        # the step/phase names extend the words BM25 matches; the embedder reads the question as asked
        # (a shorter input embeds faster and e5 needs no help with paraphrase)
        bundle = QueryBundle(query_str=expand_query(query, a, self.terms), custom_embedding_strs=[query],
                             embedding=vector)
        bm25, dense, fusion = self.legs[deep]
        if mode == "bm25":
            nodes = bm25.retrieve(bundle)
        elif mode == "dense":
            nodes = dense.retrieve(bundle)
        else:
            nodes = fusion.retrieve(bundle)
        return [SearchHit(self.by_id[n.node.node_id], float(n.score or 0.0)) for n in nodes]

    def facet_rows(self, filters: Mapping[str, str]) -> np.ndarray | None:
        """Rows (positions in ``records``) of the records that pass ``filters``, from a table per
        filter key built once per loaded index (value → sorted rows); None when nothing filters."""
        rows = None
        for key, value in filters.items():
            table = self._facet_tables.get(key)
            if table is None:  # two threads may both build it: the same table, either wins
                lists: dict[Any, list[int]] = {}
                for i, r in enumerate(self.records):
                    lists.setdefault(getattr(r, key), []).append(i)
                table = {v: np.asarray(ix, dtype=np.int64) for v, ix in lists.items()}
                self._facet_tables[key] = table
            sel = table.get(value, _NO_ROWS)
            rows = sel if rows is None else np.intersect1d(rows, sel, assume_unique=True)
        return rows

    def _deep(self, query: str, a: QueryAnalysis, mode: str, filters: Mapping[str, str],
              vector: Any = None) -> list[SearchHit]:
        """Every record that passes ``filters`` and that either retriever finds, in the order and
        with the scores of the llama-index fusion of the two full lists, filtered afterwards
        (``_fused(deep=True)`` then ``record_matches``: tests/test_search.py checks that both give
        the same list). Computed on the retrievers' row arrays instead: llama-index builds a node
        object per record and list (~24,000 at 50× the corpus, ~3 s for a city filter) where this
        ranks with numpy and makes hits only for the filtered records."""
        bundle = QueryBundle(query_str=expand_query(query, a, self.terms), custom_embedding_strs=[query],
                             embedding=vector)
        bm25, dense, _ = self.legs[True]
        n = len(self.records)
        rows = self.facet_rows(filters)
        lists = {"bm25": (bm25,), "dense": (dense,), "hybrid": (dense, bm25)}[mode]  # the fusion's order
        ranks = []
        for retriever in lists:
            order, scores = retriever.order(bundle)
            if mode == "hybrid":  # reciprocal_rerank ranks each list after a stable sort by score
                resort = np.argsort(-scores.astype(np.float64), kind="stable")
                order, scores = order[resort], scores[resort]
            rank = np.full(n, -1, dtype=np.int64)
            rank[order] = np.arange(len(order))
            score = np.zeros(n, dtype=np.float64)
            score[order] = scores
            ranks.append((rank, score))
        found = np.zeros(n, dtype=bool)
        for rank, _ in ranks:
            found |= rank >= 0
        if rows is not None:
            passing = np.zeros(n, dtype=bool)
            passing[rows] = True
            found &= passing
        ids = np.flatnonzero(found)
        if mode != "hybrid":
            rank, score = ranks[0]
            ids = ids[np.argsort(rank[ids], kind="stable")]
            return [SearchHit(self.records[i], float(score[i])) for i in ids.tolist()]
        (rd, _), (rb, _) = ranks
        # 1/(60 + rank) summed over the lists that hold the record (fusion.rrf, the same floats);
        # ties keep the order the fusion read them in: the dense list, then records only BM25 found
        fused = []
        for i in ids.tolist():
            d, b = int(rd[i]), int(rb[i])
            fused.append((-rrf(b if b >= 0 else None, d if d >= 0 else None), d if d >= 0 else n + b, i))
        fused.sort()
        return [SearchHit(self.records[i], -neg) for neg, _, i in fused]

    def search(self, query: str, k: int = 10, filters: Mapping[str, Any] | None = None,
               mode: str = "hybrid", rerank_by_query: bool = True,
               analysis: QueryAnalysis | None = None, vector: Any = None) -> list[SearchHit]:
        """``analysis``: the question already analysed by the caller (the assistant analyses once);
        ``vector``: its embedding, computed once by the caller (``embed_query``) for several searches."""
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
        query = self.read_query(query)
        a = analysis or self.analyze(query)  # once: it both extends BM25's words and re-ranks
        deep = bool(f) or k > self.tuning.shallow_depth
        if mode == "bm25":
            vector = None
        elif vector is None:
            vector = self.dense.embed(query)  # once: records and passages
        parts = self.passage_index.parts(self.passage_tokens(query), vector)  # once: marks and features
        passage_scores = parts.combined
        if mode == "hybrid" and rerank_by_query and self.fusion_model is not None:
            records, X = self.candidates(query, a, f, deep=deep, vector=vector, parts=parts)
            scores = self.fusion_model.score(X)
            hits = sorted((SearchHit(r, float(sc)) for r, sc in zip(records, scores)), key=lambda h: -h.score)
        else:
            hits = self._deep(query, a, mode, f, vector) if deep else self._fused(query, a, mode, vector=vector)
            if rerank_by_query:
                hits = rerank(hits, a, self.tuning, self._unstructured)
        hits = hits[:k]
        if hits:
            best = self.passage_index.best([h.record.id for h in hits], passage_scores)
            hits = [SearchHit(h.record, h.score, best.get(h.record.id, (None,))[0]) for h in hits]
        self.result_cache.put(key, hits)
        return hits

    def candidates(self, query: str, a: QueryAnalysis, filters: Mapping[str, str] | None = None, *,
                   deep: bool = False, vector: Any = None, parts: Any = None) -> tuple[list[Record], Any]:
        """The records either retriever returns for a question (in reciprocal-rank order), with their
        fusion features (kb/search/fusion.py): what the learned model ranks, and what ``pfkb eval --fit``
        fits it on."""
        bundle = QueryBundle(query_str=expand_query(query, a, self.terms), custom_embedding_strs=[query],
                             embedding=vector if vector is not None else self.dense.embed(query))
        bm25, dense, _ = self.legs[deep]
        b, d = Ranked.of(bm25.ranked(bundle)), Ranked.of(dense.ranked(bundle))
        rank = lambda r, i: r.ranks[i][0] if i in r.ranks else None  # noqa: E731
        if parts is None:
            parts = self.passage_index.parts(self.passage_tokens(query), bundle.embedding)
        fused = self.passage_index.fused(parts, self.tuning.shallow_depth)
        # the records of the best passages join the pool: a long record whose one sentence answers
        # ranks low as a whole in both record lists
        by_passage = self.passage_index.top_records(fused, self.tuning.shallow_depth) if not deep else []
        pool = list(dict.fromkeys([*d.ranks, *b.ranks, *by_passage]))
        rows = self.facet_rows(filters or {})
        if rows is not None:  # the filter first: a stable sort keeps the same order as filtering after
            passing = {self.records[i].id for i in rows.tolist()}
            pool = [i for i in pool if i in passing]
        ids = sorted(pool, key=lambda i: -rrf(rank(b, i), rank(d, i)))  # stable
        records = [self.by_id[i] for i in ids]
        ids = [r.id for r in records]
        best = self.passage_index.best(ids, parts.combined)
        tokens = self.tokenizer(bundle.query_str)
        p_bm25 = self.passage_index.record_max(ids, parts.lexical)
        p_dense = self.passage_index.record_max(ids, parts.dense) if parts.dense is not None else {}
        affinity = self.bm25_scorer.group_affinity(self._documents, tokens)
        extra = {"passage_bm25": [p_bm25.get(i, 0.0) for i in ids], "passage_dense": [p_dense.get(i, 0.0) for i in ids],
                 "coverage": self.bm25_scorer.coverage([self._row[i] for i in ids], tokens),
                 "document": [affinity.get(r.source.document, 0.0) for r in records]}
        p_rrf = self.passage_index.record_max(ids, fused)
        extra["passage_rrf"] = [p_rrf.get(i, 0.0) * RRF_K / 2 for i in ids]
        extra["unstructured"] = [float(r.source.document in self._unstructured) for r in records]
        extra["unstructured_passage_rrf"] = [u * p for u, p in zip(extra["unstructured"], extra["passage_rrf"])]
        return records, candidate_features(records, b, d, {i: sc for i, (_, sc) in best.items()}, a, extra)

    def passages(self, query: str, record_ids: Iterable[str], mode: str = "hybrid",
                 vector: Any = None) -> dict[str, list[tuple[Passage, float]]]:
        """Every passage (sentence or bullet) of each record, best match to ``query`` first, with its
        score: the index that search marks passages with, for the assistant's sentence selection.
        ``vector``: the question's embedding when the caller already has it."""
        if mode not in MODES:
            raise BadQueryError(f"mode={mode!r} は不正です ({', '.join(MODES)})", "unknown mode")
        query = self.read_query(validate_query(query))
        if mode == "bm25":
            vector = None
        elif vector is None:
            vector = self.dense.embed(query)  # the question as asked
        return self.passage_index.ranked(record_ids, self.passage_index.scores(self.passage_tokens(query), vector))

    def passage_similarity(self, vector: Any) -> float:
        """The best cosine of any passage of the corpus to the question's embedding (the dense side of
        "the best sentence", which the refusal reads)."""
        vectors = self.passage_index.vectors
        if vector is None or not len(vectors):
            return 0.0
        return float((vectors @ np.asarray(vector, dtype=np.float32).reshape(-1)).max())

    def embed_query(self, query: str) -> np.ndarray:
        """The question's embedding as search computes it (kana-only questions read first): what a
        caller that searches several times for one question passes as ``vector=``."""
        return self.dense.embed(self.read_query(validate_query(query)))

    def passage_tokens(self, query: str) -> list[str]:
        """What the passages' BM25 reads of a question: its words and the other forms of the terms the
        documents define that it holds."""
        extra = self.terms.expansions(query) if self.terms else []
        return self.tokenizer("\n".join([query, *extra]))

    def read_query(self, query: str) -> str:
        """A kana-only query read on the corpus's own words (「たんとうか」 → 担当課), any other as it is."""
        if not is_kana_only(query):
            return query
        return reading_lexicon(self.corpus).rewrite(query)

    def analyze(self, query: str) -> QueryAnalysis:
        if self._trials is None:
            self._trials = trial_names(self.records)
        if self._document_names is None:
            self._document_names = document_names(self.corpus.documents, self.records)
        a = analyze(query, self.cities, self._trials, self._document_names)
        if a.documents and a.cities:
            # 「重点計画の中に熊本地震って出てきますか」: a city the named documents hold no record of is a
            # word of the topic there, not the city whose records are asked for
            held = self.corpus.cities_of(a.documents)
            if not any(c in held for c in a.cities):
                a = dataclasses.replace(a, cities=())
        return a


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
