"""Passages beside records: each record's text cut into sentences and bullets, indexed by both
retrievers, so that the one sentence of a long record that answers a question can be found,
shown (``passage: {text, start, end}``) and used by the assistant's sentence selection.

Cutting is typographic (sentence ends, line breaks, bullet marks), not by words of the domain.
``start`` / ``end`` are character offsets into ``record.text``."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterable, Mapping, NamedTuple, Sequence

import numpy as np

from kb.core.records import Passage, Record

MIN_CHARS = 6  # a shorter piece (a label, a number) is joined to the next one
MAX_CHARS = 240  # a longer sentence is cut at its commas
# a sentence ends after 。！？ (and a closing bracket after them) or at a line break
_ENDS = re.compile(r"(?<=[。！？!?])[」』）)]*|\n+")
_LEAD = re.compile(r"^[\s・･●○◆◇■□▪▫\-－―‐*＊※✓✔→⇒①-⑳㉑-㉟]*(?:(?:[(（]\d{1,2}[)）]|\d{1,2}[.．](?=\s))\s*)?")
_COMMA = re.compile(r"(?<=[、，,])")


def text_to_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences and bullets of a text, leading bullet marks left out."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in _ENDS.finditer(text + "\n"):
        end = min(m.end(), len(text))
        piece_start, piece_end = pos, end
        pos = m.end()
        raw = text[piece_start:piece_end]
        lead = _LEAD.match(raw)
        s = piece_start + (lead.end() if lead else 0)
        e = piece_end
        while e > s and text[e - 1].isspace():
            e -= 1
        if e <= s:
            continue
        spans.extend(_cut_long(text, s, e))
    return _join_short(text, spans)


def _cut_long(text: str, s: int, e: int) -> list[tuple[int, int]]:
    if e - s <= MAX_CHARS:
        return [(s, e)]
    out, cur = [], s
    for m in _COMMA.finditer(text, s, e):
        if m.end() - cur >= MAX_CHARS // 2:
            out.append((cur, m.end()))
            cur = m.end()
    if cur < e:
        out.append((cur, e))
    return out


def _join_short(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    carry: int | None = None
    for s, e in spans:
        if carry is not None:
            s, carry = carry, None
        if e - s < MIN_CHARS:
            carry = s
            continue
        out.append((s, e))
    if carry is not None:
        if out:
            out[-1] = (out[-1][0], spans[-1][1])
        else:
            out.append((carry, spans[-1][1]))
    return out


def record_to_passages(r: Record) -> list[Passage]:
    return [Passage(r.id, r.text[s:e], s, e) for s, e in text_to_spans(r.text)]


def records_to_passages(records: Iterable[Record]) -> list[Passage]:
    return [p for r in records for p in record_to_passages(r)]


class PassageScores(NamedTuple):
    """A question's scores of every passage: BM25 scaled by the best, cosine (None without a query
    vector), and their mean."""
    lexical: np.ndarray
    dense: np.ndarray | None
    combined: np.ndarray


class PassageIndex:
    """Both retrievers over the passages of every record: a bm25s index of their tokens and their
    e5 vectors (one matrix, scored by a dot product). Scores are computed over all passages, so a
    caller can ask for the best passage of any record, filtered or not."""

    def __init__(self, passages: Sequence[Passage], bm25: Any, vectors: np.ndarray, tokenizer: Any):
        self.passages = list(passages)
        self.bm25, self.tokenizer = bm25, tokenizer
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.of_record: dict[str, list[int]] = {}
        for i, p in enumerate(self.passages):
            self.of_record.setdefault(p.record_id, []).append(i)
        # where each record's passages start, when they are stored record by record (as a build writes them)
        starts = [rows[0] for rows in self.of_record.values()]
        contiguous = all(rows == list(range(rows[0], rows[0] + len(rows))) for rows in self.of_record.values())
        self._runs = ({rid: j for j, rid in enumerate(self.of_record)}, np.asarray(starts, dtype=np.int64)) \
            if contiguous and starts == sorted(starts) else None

    FILES = ("passages.jsonl", "passages.npy", "bm25_passages")

    def save(self, index_dir: Path) -> None:
        """Offsets (texts are the records'), vectors and the BM25 index, beside the record index."""
        with open(index_dir / "passages.jsonl", "w", encoding="utf-8") as f:
            for p in self.passages:
                f.write(json.dumps({"record": p.record_id, "start": p.start, "end": p.end}) + "\n")
        np.save(index_dir / "passages.npy", self.vectors)
        self.bm25.save(str(index_dir / "bm25_passages"), show_progress=False)

    @classmethod
    def load(cls, index_dir: Path, by_id: Mapping[str, Record], tokenizer: Any) -> "PassageIndex":
        import bm25s
        passages = []
        with open(index_dir / "passages.jsonl", encoding="utf-8") as f:
            for line in f:
                d = json.loads(line)
                r = by_id[d["record"]]
                passages.append(Passage(r.id, r.text[d["start"]:d["end"]], d["start"], d["end"]))
        return cls(passages, bm25s.BM25.load(str(index_dir / "bm25_passages")),
                   np.load(index_dir / "passages.npy"), tokenizer)

    def lexical(self, query_tokens: list[str]) -> np.ndarray:
        """BM25 score of every passage, scaled by the best one (0 when no word meets)."""
        out = np.zeros(len(self.passages), dtype=np.float32)
        known = [t for t in query_tokens if t in self.bm25.vocab_dict]
        if known and len(out):
            out = np.asarray(self.bm25.get_scores(known), dtype=np.float32)
            top = float(out.max())
            if top > 0:
                out = out / top
        return out

    def scores(self, query_tokens: list[str], query_vector: np.ndarray | None) -> np.ndarray:
        """One score per passage: the mean of its scaled BM25 score and its cosine similarity to the
        question (BM25 alone when no query vector is given)."""
        return self.parts(query_tokens, query_vector).combined

    def parts(self, query_tokens: list[str], query_vector: np.ndarray | None) -> "PassageScores":
        """Both scores of every passage, and their mean (what ``scores`` gives)."""
        lexical = self.lexical(query_tokens)
        if query_vector is None or not len(self.vectors):
            return PassageScores(lexical, None, lexical)
        dense = self.vectors @ np.asarray(query_vector, dtype=np.float32).reshape(-1)
        return PassageScores(lexical, dense, (lexical + dense) / 2)

    def fused(self, parts: "PassageScores", depth: int = 100) -> np.ndarray:
        """Reciprocal rank fusion of the passages' two lists, as the records' two lists are fused
        (1/(60 + rank) summed; ranks from 0, only the top ``depth`` of each list counted; 0 elsewhere):
        a passage that both retrievers rank high wins, whatever the scale of their scores."""
        out = np.zeros(len(self.passages), dtype=np.float64)
        for scores in (parts.lexical, parts.dense):
            if scores is None:
                continue
            top = _best_first(scores, depth)
            top = top[scores[top] > 0] if scores is parts.lexical else top  # a passage BM25 did not match is unranked
            out[top] += 1.0 / (60 + np.arange(len(top)))
        return out

    def top_records(self, scores: np.ndarray, k: int) -> list[str]:
        """The records of the ``k`` best passages by ``scores`` (positive only), best first, each once."""
        top = _best_first(scores, k)
        return list(dict.fromkeys(self.passages[i].record_id for i in top.tolist() if scores[i] > 0))

    def record_max(self, record_ids: Iterable[str], scores: np.ndarray) -> dict[str, float]:
        """The best score among each record's passages (records with no passage are left out)."""
        if self._runs is not None and len(scores):  # passages stored record by record: one reduce for all
            best = np.maximum.reduceat(scores, self._runs[1])
            at = self._runs[0]
            return {rid: float(best[at[rid]]) for rid in record_ids if rid in at}
        out: dict[str, float] = {}
        for rid in record_ids:
            rows = self.of_record.get(rid)
            if rows:
                out[rid] = float(scores[rows].max())
        return out

    def best(self, record_ids: Iterable[str], scores: np.ndarray) -> dict[str, tuple[Passage, float]]:
        """The best passage of each record (records with no passage are left out)."""
        out: dict[str, tuple[Passage, float]] = {}
        for rid in record_ids:
            rows = self.of_record.get(rid)
            if rows:
                i = max(rows, key=lambda j: scores[j])
                out[rid] = (self.passages[i], float(scores[i]))
        return out

    def ranked(self, record_ids: Iterable[str], scores: np.ndarray) -> "RankedPassages":
        """Every passage of each record, best first (sorted when a record is read)."""
        return RankedPassages(self, record_ids, scores)


class RankedPassages(Mapping):
    """Record id → its passages with their scores, best first: a mapping that sorts a record's
    passages only when that record is read. The assistant asks for every record of the corpus (to
    order them by their best sentence) but reads the rows of a few dozen: sorting all of them was
    most of an ask at 50× the corpus (~380 of 550 ms). ``best()`` gives each record's best score in
    one array operation; ``rows`` maps a passage and its score to what a row holds."""

    def __init__(self, index: "PassageIndex", record_ids: Iterable[str], scores: np.ndarray, rows: Any = None):
        self._index, self._scores = index, scores
        self._ids = list(dict.fromkeys(record_ids))
        self._wanted = set(self._ids)
        self._row = rows or (lambda p, sc: (p, sc))
        self._done: dict[str, list] = {}

    def __getitem__(self, rid: str) -> list:
        if rid not in self._wanted:
            raise KeyError(rid)
        got = self._done.get(rid)
        if got is None:
            scores = self._scores
            rows = sorted(self._index.of_record.get(rid, ()), key=lambda j: -scores[j])
            got = self._done[rid] = [self._row(self._index.passages[i], float(scores[i])) for i in rows]
        return got

    def __iter__(self):
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def mapped(self, rows: Any) -> "RankedPassages":
        """The same ranking with each row made by ``rows(passage, score)``."""
        return RankedPassages(self._index, self._ids, self._scores, rows)

    def best(self) -> dict[str, float]:
        """Each record's best passage score, for the records that have passages, in the records' order."""
        return self._index.record_max(self._ids, self._scores)


def _best_first(scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` highest scores, best first (ties in position order)."""
    n = min(k, len(scores))
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    top = np.argpartition(-scores, n - 1)[:n] if n < len(scores) else np.arange(len(scores))
    return top[np.argsort(-scores[top], kind="stable")]


def build_passage_index(passages: Sequence[Passage], vectors: np.ndarray, tokenizer: Any, tuning: Any) -> PassageIndex:
    from kb.search.index import tokens_to_bm25
    return PassageIndex(passages, tokens_to_bm25([tokenizer(p.text) for p in passages], tuning), vectors, tokenizer)
