"""The loaded corpus of one index version: records, facts and the municipalities they name.
Kept apart from the retrievers, so that answering, browsing and tests can hold the corpus
without loading FAISS or the embedder."""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable, Iterable, TypeVar

from kb.core.records import Fact, Record
from kb.search.documents import DocumentInfo

DOCUMENTS_FILE = "documents.json"
T = TypeVar("T")


def corpus_memo(corpus: object, key: str, make: Callable[[], T]) -> T:
    """A value computed once per loaded corpus and kept on it — not in a table keyed by ``id(corpus)``,
    where a corpus freed and another made at the same address would meet the first one's values."""
    store = corpus.__dict__.setdefault("_memo", {})
    if key not in store:
        store[key] = make()
    return store[key]


def corpus_remember(corpus: object, key: str, value: object) -> None:
    """Keep ``value`` as what ``corpus_memo(corpus, key, …)`` returns (one read from the index directory)."""
    corpus.__dict__.setdefault("_memo", {})[key] = value


@dataclass(frozen=True)
class Corpus:
    records: tuple[Record, ...]
    facts: tuple[Fact, ...] = ()
    by_id: dict[str, Record] = field(default_factory=dict, compare=False)
    cities: frozenset[str] = frozenset()
    # what is known of each document beyond its records (title, publisher, region), where the index has it
    documents: tuple[DocumentInfo, ...] = ()

    @classmethod
    def of(cls, records: Iterable[Record], facts: Iterable[Fact] = (),
           documents: Iterable[DocumentInfo] = ()) -> "Corpus":
        recs = tuple(records)
        return cls(records=recs, facts=tuple(facts), by_id={r.id: r for r in recs},
                   cities=frozenset(r.city for r in recs if r.city), documents=tuple(documents))

    @classmethod
    def load(cls, index_dir: Path) -> "Corpus":
        """The records.jsonl and facts.jsonl an index version was built from."""
        with open(index_dir / "records.jsonl", encoding="utf-8") as f:
            records = [Record.from_dict(json.loads(line)) for line in f if line.strip()]
        facts_path = index_dir / "facts.jsonl"
        facts = [Fact(**json.loads(line)) for line in open(facts_path, encoding="utf-8") if line.strip()] \
            if facts_path.exists() else []
        docs_path = index_dir / DOCUMENTS_FILE  # an index built before documents were written has none
        documents = [DocumentInfo.of(d) for d in json.loads(docs_path.read_text(encoding="utf-8"))] \
            if docs_path.exists() else []
        return cls.of(records, facts, documents)

    @cached_property
    def city_records(self) -> Counter[str]:
        """How many records each city has (computed once per loaded corpus)."""
        return Counter(r.city for r in self.records if r.city)

    @cached_property
    def text(self) -> str:
        """Every record's title and text, one string (what a name the question writes is looked up in;
        computed once per loaded corpus)."""
        return "\n".join(f"{r.title}\n{r.text}" for r in self.records)

    def cities_of(self, documents: Iterable[str]) -> frozenset[str]:
        """The cities the records of these documents are about."""
        docs = set(documents)
        return frozenset(r.city for r in self.records if r.city and r.source.document in docs)

    def profile(self, city: str) -> Record | None:
        return next((r for r in self.records if r.kind == "profile" and r.city == city), None)
