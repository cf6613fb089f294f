"""Which document of the knowledge base a question points at: 「重点計画では」「報告書には」 name one by
its own title, 「国の計画では」「国のほうでは」 by its level of government (a national plan, not a city's
report). Read from each document's title, publisher and region (as ingested), not from a list of one
corpus's document names; the level cues are data (kb/core/vocab/documents.json).

A title phrase names a document when it is distinctive: no other document's title or publisher holds it,
and the other documents' records rarely do (「地域連携」 is in one title and in every document's text)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from kb.core.normalize import squash
from kb.core.vocab import load_json, unify_spellings

_V = load_json("documents")
_RUN = re.compile(r"[一-龥々ァ-ヴーA-Za-z0-9]+")
_COMPANY = re.compile(r"株式会社|有限会社|(?:一般|公益)(?:社団|財団)法人|特定非営利活動法人|合同会社")
_DIGIT = re.compile(r"[0-9０-９]")


@dataclass(frozen=True)
class DocumentInfo:
    """What the knowledge base knows of a document beyond its records (the store's documents table)."""
    id: str
    title: str = ""
    publisher: str = ""
    region: str = ""

    @classmethod
    def of(cls, d: Mapping[str, Any]) -> "DocumentInfo":
        return cls(id=str(d["id"]), title=str(d.get("title") or ""), publisher=str(d.get("publisher") or ""),
                   region=str(d.get("region") or ""))

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "title": self.title, "publisher": self.publisher, "region": self.region}


def _morphemes(run: str) -> list[str]:
    """The run's Sudachi short units (surfaces), so that phrases start and end on word boundaries."""
    from kb.search.tokenize import _dictionary
    from sudachipy import SplitMode
    return [m.surface() for m in _dictionary().tokenizer(mode=SplitMode.A).tokenize(run)]


def name_phrases(text: str, min_chars: int) -> set[str]:
    """Every run of whole words in the text's kanji / katakana / Latin runs of at least ``min_chars``
    (「重点計画」「孤立対策重点計画」 of 「孤独・孤立対策重点計画」, 「報告書」, 「内閣府」)."""
    out: set[str] = set()
    for run in _RUN.findall(_COMPANY.sub(" ", unify_spellings(squash(text)))):
        if len(run) < min_chars:
            continue
        parts = _morphemes(run)
        for i in range(len(parts)):
            for j in range(i + 1, len(parts) + 1):
                phrase = "".join(parts[i:j])
                if len(phrase) >= min_chars and not _DIGIT.search(phrase):  # a date or number names no document
                    out.add(phrase)
    return out


class DocumentNames:
    """The documents a question names, by title phrase or by level of government."""

    def __init__(self, documents: Sequence[DocumentInfo], texts: Mapping[str, Sequence[str]] | None = None):
        """``texts``: each document's record texts (to drop phrases the other documents use too)."""
        self.documents = tuple(documents)
        min_chars = int(_V["name_min_chars"])
        share = float(_V["name_other_share"])
        phrases = {d.id: name_phrases(d.title, min_chars) | name_phrases(d.publisher, min_chars) for d in self.documents}
        self.names: dict[str, tuple[str, ...]] = {}
        texts = texts or {}
        for d in self.documents:
            others = set().union(*(p for i, p in phrases.items() if i != d.id)) if len(phrases) > 1 else set()
            other_texts = [t for i, ts in texts.items() if i != d.id for t in ts]
            keep = []
            for p in sorted(phrases[d.id] - others, key=len, reverse=True):
                held = sum(1 for t in other_texts if p in t)
                if other_texts and held > share * len(other_texts):
                    continue
                keep.append(p)
            self.names[d.id] = tuple(keep)
        self.levels: dict[str, tuple[re.Pattern[str], ...]] = {}
        self.level_of: dict[str, str] = {}
        for level, spec in _V["levels"].items():
            self.levels[level] = tuple(re.compile(c) for c in spec["cues"])
            pub = re.compile(spec["publisher"]) if spec.get("publisher") else None
            for d in self.documents:
                if d.region in spec.get("regions", ()) or (pub is not None and pub.search(d.publisher)):
                    self.level_of.setdefault(d.id, level)

    def named(self, query: str) -> tuple[str, ...]:
        """The ids of the documents the question points at (none when it names every document alike, or
        when the knowledge base holds one document only)."""
        return self.pointed(query)[0]

    def pointed(self, query: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The documents the question points at, and the title phrases it names them by (「重点計画」)."""
        if len(self.documents) < 2:
            return (), ()
        q = unify_spellings(squash(query))
        found, words = [], []
        for d in self.documents:
            hit = next((p for p in self.names.get(d.id, ()) if p in q), None)  # the longest first
            if hit:
                found.append(d.id)
                words.append(hit)
        for level, cues in self.levels.items():
            if any(c.search(q) for c in cues):
                found += [d.id for d in self.documents if self.level_of.get(d.id) == level]
        found = list(dict.fromkeys(found))
        return (tuple(found), tuple(words)) if len(found) < len(self.documents) else ((), ())


def document_names(documents: Iterable[DocumentInfo], records: Iterable[Any]) -> DocumentNames:
    """Names of these documents, with the records' texts as the check that a phrase is distinctive."""
    texts: dict[str, list[str]] = {}
    for r in records:
        texts.setdefault(r.source.document, []).append(unify_spellings(squash(f"{r.title} {r.text}")))
    return DocumentNames(list(documents), texts)
