"""The passage of a record that best matches a query, for highlighting on the search page.

The search page marks the passage the passage index ranked best for the query (kb/search/passages.py,
BM25 and cosine); this module is the fallback for a searcher without that index. A record's text is
cut into the same passages (sentence ends, line breaks, bullet marks left out); each sentence is scored by the query's BM25 tokens it holds, each token weighted by how rare it
is among the records being shown (a word every result shares says little), with the share of
the query's character bigrams as a tie-break and as the fallback when no token is shared (a
query in kana, a paraphrase the dense retriever found). Offsets index ``record.text``."""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from kb.core.records import Record
from kb.search.passages import text_to_spans

MAX_PASSAGE = 240  # characters: a table row kept as one line is cut around its best part


@dataclass(frozen=True)
class Passage:
    text: str
    start: int  # offset of the passage in the record's text
    end: int

    def to_dict(self) -> dict[str, object]:
        return {"text": self.text, "start": self.start, "end": self.end}


def text_to_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences of a text: the passage index's own cut
    (kb/search/passages.py), so that what is marked here is a passage the index holds."""
    return text_to_spans(text)


def _bigrams(s: str) -> set[str]:
    s = re.sub(r"\s+", "", unicodedata.normalize("NFKC", s))
    return {s[i:i + 2] for i in range(len(s) - 1)}


def token_weights(token_sets: Iterable[frozenset[str]]) -> Callable[[str], float]:
    """IDF over the given records' tokens (smoothed): rarer tokens weigh more."""
    sets = list(token_sets)
    n = len(sets)
    df: dict[str, int] = {}
    for toks in sets:
        for t in toks:
            df[t] = df.get(t, 0) + 1
    return lambda t: math.log(1 + (n + 1) / (df.get(t, 0) + 0.5))


def best_passage(record: Record, query: str, query_tokens: Sequence[str],
                 sentence_tokens: Callable[[str], frozenset[str]],
                 weight: Callable[[str], float] = lambda t: 1.0) -> Passage | None:
    """The best-matching sentence of ``record.text``; None for a record without text or when no
    sentence shares anything with the query (the match was in the title or by meaning alone)."""
    text = record.text or ""
    spans = text_to_sentences(text)
    if not spans:
        return None
    q_tokens = set(query_tokens)
    q_bigrams = _bigrams(query)
    best, best_key = spans[0], (-1.0, -1.0)
    for a, b in spans:
        sent = text[a:b]
        toks = sentence_tokens(sent)
        lexical = sum(weight(t) for t in q_tokens & toks)
        shape = len(q_bigrams & _bigrams(sent)) / len(q_bigrams) if q_bigrams else 0.0
        key = (lexical, shape)
        if key > best_key:  # earlier sentence wins ties
            best, best_key = (a, b), key
    if best_key <= (0.0, 0.0):
        return None  # no sentence shares a word or a character pair with the query: nothing to mark
    a, b = best
    if b - a > MAX_PASSAGE:
        a, b = _window(text, a, b, q_bigrams)
    return Passage(text[a:b], a, b)


def _window(text: str, a: int, b: int, q_bigrams: set[str]) -> tuple[int, int]:
    """The MAX_PASSAGE-character window of a long sentence that holds most of the query's bigrams."""
    best_a, best_n = a, -1
    for start in range(a, b - MAX_PASSAGE + 1, 20):
        n = len(q_bigrams & _bigrams(text[start:start + MAX_PASSAGE]))
        if n > best_n:
            best_a, best_n = start, n
    return best_a, min(b, best_a + MAX_PASSAGE)
