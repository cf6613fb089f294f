"""The retriever interface: what the search page and the service ask of a search engine, so
that the engine can be swapped without touching them.

``Retriever`` is the protocol. ``InProcessBackend`` is its first implementation: today's
``Searcher`` (Sudachi BM25 + FAISS fused by llama-index, in this process, one read-only index
version) plus the facets and passages of the search page. An external engine (OpenSearch with a
Sudachi analyzer and its k-NN index, docs/scale.md) implements the same protocol: its filters are
term filters, its facets terms aggregations over a sampler of the best ``depth`` hits, its passage
the highlighter's best fragment.

The contract every implementation keeps (``tests/test_backend.py`` checks it on a fake engine and
``tests/test_search_page.py`` on the real index):
- a query's result set is its best ``depth`` matches over the whole corpus, and filters narrow that
  set; so the count beside a filter value is exactly what choosing it shows. (A ranking filtered
  first would rank every record of a city, relevant or not: the dense retriever has no cut-off.)
  With no query the result set is every record that passes the filters, in corpus order;
- ``exact`` is False when a filter narrowed a full list of ``depth`` hits (records ranked below it
  may also pass the filter); the searcher's own ``search(filters=…)`` remains the exact path;
- facet counts are over the result set, one count per record and value (a record that speaks of
  two fiscal years counts in both);
- a passage's ``start``/``end`` index the record's ``text``."""
from __future__ import annotations

import weakref
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol, runtime_checkable

from kb.core.errors import BadQueryError, NotFoundError
from kb.core.records import Record
from kb.search.facets import FACETS, document_fiscal_year, matches, count_facets, parse_fiscal_year, \
    record_facets, record_fiscal_years
from kb.search.filters import FILTER_KEYS, check_filters
from kb.search.highlight import Passage, best_passage, text_to_sentences, token_weights

OWN_FILTERS = ("document", "fiscal_year")  # filters of the page beyond the searcher's own
FILTERS = tuple(dict.fromkeys((*FILTER_KEYS, *OWN_FILTERS)))
MAX_DEPTH = 100  # the searcher ranks at most 100 hits per call
MAX_QUERY_CHARS = 500


@dataclass(frozen=True)
class SearchRequest:
    query: str = ""  # "" = no query: browse the records that pass the filters
    filters: Mapping[str, str] = field(default_factory=dict)
    k: int = 20  # hits returned (the first k of the result set)
    depth: int = MAX_DEPTH  # size of a query's result set, over which facets are counted
    passages: bool = True


@dataclass(frozen=True)
class Hit:
    record: Record
    score: float | None  # None when browsing without a query
    passage: Passage | None
    fiscal_years: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = self.record.to_dict()
        d["score"] = None if self.score is None else round(float(self.score), 6)
        d["passage"] = self.passage.to_dict() if self.passage else None
        d["label"] = self.record.citation_label()
        d["fiscal_years"] = list(self.fiscal_years)
        return d


@dataclass(frozen=True)
class SearchResult:
    hits: tuple[Hit, ...]
    total: int  # size of the result set
    facets: Mapping[str, Counter]  # facet -> value -> records of the result set
    exact: bool  # False: a filter narrowed the best ``depth`` hits of a wider set and may miss some
    version: str  # the index version that answered


@runtime_checkable
class Retriever(Protocol):
    """A search engine behind the page and the service (read side; writes go through
    ``pfkb build`` / the index writer)."""

    @property
    def version(self) -> str: ...

    def search(self, request: SearchRequest) -> SearchResult: ...

    def record(self, record_id: str) -> Record: ...


def check_request(request: SearchRequest) -> tuple[str, dict[str, str]]:
    """The query stripped and the filters canonicalised; BadQueryError names what is wrong."""
    query = request.query
    if not isinstance(query, str):
        raise BadQueryError("検索語は文字列で指定してください", "query must be a string")
    query = query.strip()
    if len(query) > MAX_QUERY_CHARS:
        raise BadQueryError(f"検索語が長すぎます（{len(query)} 文字、上限 {MAX_QUERY_CHARS} 文字）。短くしてください",
                            f"query too long: {len(query)} > {MAX_QUERY_CHARS} characters")
    if not isinstance(request.k, int) or not 1 <= request.k <= MAX_DEPTH:
        raise BadQueryError(f"件数 k={request.k!r}: 1〜{MAX_DEPTH} の整数を指定してください", f"k must be 1-{MAX_DEPTH}")
    if not isinstance(request.depth, int) or not 1 <= request.depth <= MAX_DEPTH:
        raise BadQueryError(f"depth={request.depth!r}: 1〜{MAX_DEPTH} の整数を指定してください", f"depth must be 1-{MAX_DEPTH}")
    raw = {k: v for k, v in (request.filters or {}).items() if v is not None and v != ""}
    unknown = [k for k in raw if k not in FILTERS]
    if unknown:
        raise BadQueryError(f"未知の絞り込み {unknown[0]!r}。使えるのは {', '.join(FILTERS)} です",
                            f"unknown filter {unknown[0]!r}; allowed: {', '.join(FILTERS)}")
    out = check_filters({k: v for k, v in raw.items() if k in FILTER_KEYS})
    if "document" in raw and "document" not in FILTER_KEYS:
        doc = raw["document"]
        if not isinstance(doc, str) or len(doc) > 200:
            raise BadQueryError("文書 document には 200 文字以内の文書 ID を指定してください", "document must be an id")
        out["document"] = doc.strip()
    if "fiscal_year" in raw and "fiscal_year" not in FILTER_KEYS:
        out["fiscal_year"] = parse_fiscal_year(raw["fiscal_year"])
    return query, out


class InProcessBackend:
    """``Retriever`` over a loaded ``Searcher`` (kb/search/searcher.py), without changing it: the
    searcher ranks the query's best ``depth`` records, the facets and filters are applied here."""

    def __init__(self, searcher: Any, document_years: Mapping[str, int | None] | None = None):
        self.searcher = searcher
        self.document_years = dict(document_years or {})
        self._values: dict[str, dict[str, tuple[str, ...]]] = {}
        self._years: dict[str, tuple[int, ...]] = {}

    @property
    def version(self) -> str:
        index_dir = getattr(self.searcher, "index_dir", None)
        return index_dir.name if index_dir is not None else "memory"

    def record(self, record_id: str) -> Record:
        rec = self.searcher.by_id.get(record_id)
        if rec is None:
            raise NotFoundError(f"記録 {record_id!r} はありません", f"unknown record id {record_id!r}")
        return rec

    def fiscal_years(self, record: Record) -> tuple[int, ...]:
        years = self._years.get(record.id)
        if years is None:
            years = record_fiscal_years(record, self.document_years.get(record.source.document))
            self._years[record.id] = years
        return years

    def facet_values(self, record: Record) -> dict[str, tuple[str, ...]]:
        v = self._values.get(record.id)
        if v is None:
            v = record_facets(record, self.fiscal_years(record))
            self._values[record.id] = v
        return v

    def search(self, request: SearchRequest) -> SearchResult:
        query, filters = check_request(request)
        marks: dict[str, Passage] = {}
        if query:
            hits = self.searcher.search(query, k=request.depth)
            pool: list[tuple[Record, float | None]] = [(h.record, h.score) for h in hits]
            cut = len(hits) >= request.depth
            # the passage the passage index ranked best (the one the assistant would quote) is the one marked
            marks = {h.record.id: Passage(h.passage.text, h.passage.start, h.passage.end)
                     for h in hits if getattr(h, "passage", None) is not None}
        else:
            pool = [(r, None) for r in self.searcher.corpus.records]
            cut = False
        kept, facets = narrow_and_count(pool, filters, self.facet_values)
        shown = kept[:request.k]
        passages: dict[str, Passage | None] = {}
        if query and request.passages:
            passages = {r.id: marks[r.id] for r, _ in shown if r.id in marks}
            rest = [r for r, _ in shown if r.id not in marks]
            if rest:  # a searcher without a passage index: the best sentence by the words it shares
                passages.update(self._passages(query, rest))
        out = tuple(Hit(r, s, passages.get(r.id), self.fiscal_years(r)) for r, s in shown)
        return SearchResult(out, len(kept), facets, exact=not (filters and cut), version=self.version)

    def _passages(self, query: str, records: list[Record]) -> dict[str, Passage | None]:
        tokens_of = self.searcher.text_tokens
        read = getattr(self.searcher, "read_query", None)  # a kana-only query, read as the searcher read it
        query = read(query) if read else query
        q_tokens = list(self.searcher.tokenizer(query))
        sets = []
        for r in records:
            text = r.text or ""
            sets.append(frozenset().union(*(tokens_of(text[a:b]) for a, b in text_to_sentences(text))))
        weight = token_weights(sets)
        return {r.id: best_passage(r, query, q_tokens, tokens_of, weight) for r in records}


def narrow_and_count(pool: list[tuple[Record, float | None]], filters: Mapping[str, str],
                     values_of: Any) -> tuple[list[tuple[Record, float | None]], dict[str, Counter]]:
    """The ranked pool narrowed by the filters, and the facet counts of what is left: the part of
    a search that any engine returning its best ``depth`` hits can share."""
    kept = [(r, s) for r, s in pool if matches(values_of(r), filters)]
    return kept, count_facets(values_of(r) for r, _ in kept)


def document_years(documents: Mapping[str, Mapping[str, Any]] | list[Mapping[str, Any]]) -> dict[str, int | None]:
    """Document id → the fiscal year of its date (the fallback year of its records)."""
    docs = documents.values() if isinstance(documents, Mapping) else documents
    return {d["id"]: document_fiscal_year(d.get("date")) for d in docs}


_backends: "weakref.WeakKeyDictionary[Any, InProcessBackend]" = weakref.WeakKeyDictionary()


def in_process_backend(settings: Any, documents: list[Mapping[str, Any]] | None = None) -> InProcessBackend:
    """The backend over the data dir's current index version, one per loaded Searcher."""
    from kb.search.searcher import get_searcher
    searcher = get_searcher(settings)
    backend = _backends.get(searcher)
    if backend is None:
        backend = InProcessBackend(searcher, document_years(documents or []))
        _backends[searcher] = backend
    return backend


__all__ = ["FACETS", "FILTERS", "Hit", "InProcessBackend", "Retriever", "SearchRequest", "SearchResult",
           "check_request", "document_years", "in_process_backend", "narrow_and_count"]
