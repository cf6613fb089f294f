"""A searcher held in memory for answer tests: a real bm25s index over the project's Sudachi
tokenizer and a handful of records, behind the small interface the assistant needs
(kb.answer.pipeline.AssistantSearcher). No FAISS, no embedder, no files."""
from __future__ import annotations

from typing import Any, Mapping

import bm25s

from kb.core.records import Fact, Record, SearchHit
from kb.search.corpus import Corpus
from kb.search.nodes import record_search_text
from kb.search.query import QueryAnalysis, analyze
from kb.search.searcher import expand_query, rerank, validate_query
from kb.search.tokenize import Tokenizer


class MemorySearcher:
    def __init__(self, records: list[Record], facts: list[Fact] = (), tokenizer: Tokenizer | None = None):
        self.corpus = Corpus.of(records, facts)
        self.tokenizer = tokenizer or Tokenizer()
        self._tokens = {r.id: frozenset(self.tokenizer(record_search_text(r))) for r in records}
        self.bm25 = bm25s.BM25(k1=1.2, b=0.5)
        self.bm25.index([self.tokenizer(record_search_text(r)) for r in records], show_progress=False)

    def analyze(self, query: str) -> QueryAnalysis:
        return analyze(query, self.corpus.cities)

    def search(self, query: str, k: int = 10, filters: Mapping[str, Any] | None = None, mode: str = "hybrid",
               rerank_by_query: bool = True, analysis: QueryAnalysis | None = None) -> list[SearchHit]:
        query = validate_query(query)
        a = analysis or self.analyze(query)
        tokens = self.tokenizer(expand_query(query, a))
        recs = self.corpus.records
        if not tokens:
            return []
        idx, scores = self.bm25.retrieve([tokens], k=len(recs), show_progress=False, n_threads=0)
        hits = [SearchHit(recs[int(i)], float(s)) for i, s in zip(idx[0], scores[0]) if s > 0]
        if filters:
            hits = [h for h in hits if all(getattr(h.record, f) == v for f, v in filters.items())]
        return (rerank(hits, a) if rerank_by_query else hits)[:k]

    def record_tokens(self, record: Record) -> frozenset[str]:
        return self._tokens[record.id]

    def text_tokens(self, text: str) -> frozenset[str]:
        return frozenset(self.tokenizer(text))
