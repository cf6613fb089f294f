"""The two llama-index retrievers over our records: Sudachi BM25 (bm25s) and FAISS.
FAISS row numbers and bm25s positions are mapped to our nodes here and nowhere else.
Both also give their list as (record id, score) pairs, best first (``ranked``): what the learned
fusion reads.

BM25 scores come from bm25s's own term × document score matrix, so that a query can carry weighted
terms: the words of the question (weight 1) and, with pseudo-relevance feedback on
(``SearchTuning.prf_docs`` > 0), the terms that weigh most in its first best records (RM3-style:
each record's BM25 term scores, weighted by the record's share of the best score, the question's
own terms left out), added with a low weight. All of it is sparse arithmetic on the index: no
second retrieval, no model call."""
from __future__ import annotations

from collections import Counter
from typing import Any, Mapping, Sequence

import numpy as np
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from kb.core.cache import LRU
from kb.search.tokenize import Tokenizer


class BM25Scorer:
    """Weighted BM25 over a bm25s index: score(d) = Σ_t w_t · bm25(t, d), with the pseudo-relevance
    feedback of ``prf`` (docs, terms, weight; docs = 0 turns it off)."""

    def __init__(self, bm25: Any, prf: tuple[int, int, float] = (0, 0, 0.0)):
        from scipy.sparse import csc_matrix
        sc = bm25.scores
        self.vocab: dict[str, int] = bm25.vocab_dict
        self.by_term = csc_matrix((sc["data"], sc["indices"], sc["indptr"]), shape=(sc["num_docs"], len(sc["indptr"]) - 1))
        self.by_doc = self.by_term.tocsr()
        self.nonoccurrence = getattr(bm25, "nonoccurrence_array", None)
        self.prf = prf
        self._idf: np.ndarray | None = None
        self._groups: tuple | None = None  # (groups, names, group × term scores, group sizes), made once

    def scores(self, tokens: list[str]) -> np.ndarray:
        """One score per record for the question's tokens (a repeated token counts again, as in bm25s),
        plus the feedback terms when pseudo-relevance feedback is on."""
        ids = [self.vocab[t] for t in tokens if t in self.vocab]
        out = self._weighted(Counter(ids))
        docs, terms, weight = self.prf
        if docs > 0 and terms > 0 and weight > 0 and ids and out.max() > 0:
            feedback = self.feedback(out, set(ids), docs, terms)
            if feedback:
                mass = len(ids) / sum(feedback.values())  # the feedback query weighs as much as the question…
                out = out + self._weighted({t: w * mass * weight for t, w in feedback.items()})  # …times ``weight``
        return out

    def term_ids(self, tokens: list[str]) -> list[int]:
        return list(dict.fromkeys(self.vocab[t] for t in tokens if t in self.vocab))

    def coverage(self, rows: Sequence[int], tokens: list[str]) -> np.ndarray:
        """For each record (row), the share of the question's distinct terms it holds, each term weighted
        by its inverse document frequency (a rare word missing weighs more than a common one)."""
        ids = self.term_ids(tokens)
        if not ids or not len(rows):
            return np.zeros(len(rows), dtype=np.float64)
        idf = self.idf[ids]
        present = (self.by_doc[list(rows)][:, ids] > 0).astype(np.float64)
        return np.asarray(present @ idf).reshape(-1) / max(float(idf.sum()), 1e-9)

    @property
    def idf(self) -> np.ndarray:
        if self._idf is None:
            n = self.by_term.shape[0]
            df = np.diff(self.by_term.indptr).astype(np.float64)
            self._idf = np.log(1 + (n - df + 0.5) / (df + 0.5))
        return self._idf

    def group_affinity(self, groups: Sequence[str], tokens: list[str]) -> dict[str, float]:
        """How much each group of records (a document) is about the question: the mean BM25 score of its
        records for the question's terms, as a share of the best group's (1 for the best)."""
        ids = self.term_ids(tokens)
        if self._groups is None or self._groups[0] != tuple(groups):
            from scipy.sparse import csr_matrix
            names = sorted(set(groups))
            col = {g: i for i, g in enumerate(names)}
            G = csr_matrix((np.ones(len(groups)), ([col[g] for g in groups], np.arange(len(groups)))),
                           shape=(len(names), len(groups)))
            sizes = np.asarray(G.sum(axis=1)).reshape(-1)
            self._groups = (tuple(groups), names, (G @ self.by_doc).tocsc(), sizes)
        _, names, per_group, sizes = self._groups
        if not ids:
            return {g: 0.0 for g in names}
        score = np.asarray(per_group[:, ids].sum(axis=1)).reshape(-1) / sizes
        top = float(score.max())
        return {g: (float(sc) / top if top > 0 else 0.0) for g, sc in zip(names, score)}

    def _weighted(self, weights: Mapping[int, float]) -> np.ndarray:
        if not weights:
            return np.zeros(self.by_term.shape[0], dtype=np.float32)
        cols = list(weights)
        w = np.asarray([weights[c] for c in cols], dtype=np.float32)
        out = np.asarray(self.by_term[:, cols] @ w, dtype=np.float32).reshape(-1)
        if self.nonoccurrence is not None:
            out = out + float(np.asarray(self.nonoccurrence)[cols] @ w)
        return out

    def feedback(self, scores: np.ndarray, exclude: set[int], docs: int, terms: int) -> dict[int, float]:
        """The ``terms`` heaviest terms of the best ``docs`` records, each record weighted by its share of
        the best score (RM3's relevance model with BM25 term scores in place of probabilities)."""
        top = top_indices(scores, docs)
        top = top[scores[top] > 0]
        if not len(top):
            return {}
        shares = scores[top] / scores[top[0]]
        model = np.asarray(self.by_doc[top].multiply(shares.reshape(-1, 1)).sum(axis=0)).reshape(-1)
        if exclude:
            model[list(exclude)] = 0.0
        best = top_indices(model, terms)
        return {int(t): float(model[t]) for t in best if model[t] > 0}


def top_indices(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` highest scores, best first, ties in index order (deterministic)."""
    k = min(k, len(scores))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    idx = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    return idx[np.lexsort((idx, -scores[idx]))]


class _Ranked:
    def ranked(self, query_bundle: QueryBundle) -> list[tuple[str, float]]:
        rows, scores = self.order(query_bundle)  # type: ignore[attr-defined]
        nodes = self.nodes  # type: ignore[attr-defined]
        return [(nodes[int(i)].node_id, float(s)) for i, s in zip(rows, scores)]


class SudachiBM25Retriever(_Ranked, BaseRetriever):
    """llama-index's BM25Retriever tokenises with a regex that makes a whole
    Japanese phrase one token; this one scores bm25s on Sudachi tokens."""

    def __init__(self, scorer: "BM25Scorer | Any", nodes: list[TextNode], tokenizer: Tokenizer, top_k: int):
        """``scorer``: a BM25Scorer, or a bm25s index (scored without feedback, as the naive pipeline does)."""
        super().__init__()
        scorer = scorer if isinstance(scorer, BM25Scorer) else BM25Scorer(scorer)
        self.scorer, self.nodes, self.tokenizer, self.top_k = scorer, nodes, tokenizer, top_k

    def order(self, query_bundle: QueryBundle) -> tuple[np.ndarray, np.ndarray]:
        """The retriever's list as arrays: node rows best first, and their scores (no node objects:
        what the filtered and deep searches read, ~12,000 rows at 50× the corpus)."""
        tokens = self.tokenizer(query_bundle.query_str)
        if not tokens:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        scores = self.scorer.scores(tokens)
        idx = top_indices(scores, self.top_k)
        idx = idx[scores[idx] > 0]  # a zero score is no match
        return np.asarray(idx, dtype=np.int64), scores[idx]

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
