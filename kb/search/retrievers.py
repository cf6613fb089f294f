"""The two llama-index retrievers over our records: Sudachi BM25 (bm25s) and FAISS.
FAISS row numbers and bm25s positions are mapped to our nodes here and nowhere else.
Both also give their list as (record id, score) pairs, best first (``ranked``): what the learned
fusion reads."""
from __future__ import annotations

from typing import Any

import numpy as np
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from kb.core.cache import LRU
from kb.search.tokenize import Tokenizer


class _Ranked:
    def ranked(self, query_bundle: QueryBundle) -> list[tuple[str, float]]:
        rows, scores = self.order(query_bundle)  # type: ignore[attr-defined]
        nodes = self.nodes  # type: ignore[attr-defined]
        return [(nodes[int(i)].node_id, float(s)) for i, s in zip(rows, scores)]


class SudachiBM25Retriever(_Ranked, BaseRetriever):
    """llama-index's BM25Retriever tokenises with a regex that makes a whole
    Japanese phrase one token; this one scores bm25s on Sudachi tokens."""

    def __init__(self, bm25: Any, nodes: list[TextNode], tokenizer: Tokenizer, top_k: int):
        super().__init__()
        self.bm25, self.nodes, self.tokenizer, self.top_k = bm25, nodes, tokenizer, top_k

    def order(self, query_bundle: QueryBundle) -> tuple[np.ndarray, np.ndarray]:
        """The retriever's list as arrays: node rows best first, and their scores (no node objects:
        what the filtered and deep searches read, ~12,000 rows at 50× the corpus)."""
        tokens = self.tokenizer(query_bundle.query_str)
        if not tokens:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        k = min(self.top_k, len(self.nodes))
        idx, scores = self.bm25.retrieve([tokens], k=k, show_progress=False, n_threads=0)
        keep = scores[0] > 0  # a zero score is no match
        return np.asarray(idx[0][keep], dtype=np.int64), scores[0][keep]

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        rows, scores = self.order(query_bundle)
        return [NodeWithScore(node=self.nodes[int(i)], score=float(s)) for i, s in zip(rows, scores)]


class FaissRetriever(_Ranked, BaseRetriever):
    """Dense retriever over a FAISS inner-product index of L2-normalised vectors.
    FAISS row numbers are mapped to our nodes here and nowhere else."""

    def __init__(self, index: Any, nodes: list[TextNode], embed_model: Any, top_k: int,
                 query_cache: LRU):
        super().__init__()
        self.index, self.nodes, self.embed_model, self.top_k = index, nodes, embed_model, top_k
        self.query_cache = query_cache

    def embed(self, query: str) -> np.ndarray:
        vec = self.query_cache.get(query)
        if vec is None:
            vec = np.asarray(self.embed_model.get_query_embedding(query), dtype=np.float32)
            self.query_cache.put(query, vec)
        return vec

    def order(self, query_bundle: QueryBundle) -> tuple[np.ndarray, np.ndarray]:
        """The retriever's list as arrays: node rows best first, and their cosine similarities."""
        if query_bundle.embedding is not None:  # embedded once by the caller
            vec = np.asarray(query_bundle.embedding, dtype=np.float32).reshape(1, -1)
        else:
            text = query_bundle.custom_embedding_strs[0] if query_bundle.custom_embedding_strs else query_bundle.query_str
            vec = self.embed(text).reshape(1, -1)
        k = min(self.top_k, len(self.nodes))
        if k < 1:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        scores, rows = self.index.search(vec, k)
        keep = rows[0] >= 0
        return np.asarray(rows[0][keep], dtype=np.int64), scores[0][keep]

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        rows, scores = self.order(query_bundle)
        return [NodeWithScore(node=self.nodes[int(r)], score=float(s)) for r, s in zip(rows, scores)]
