"""Pure scoring functions: gold constraints on records, evidence strings in
texts, hit@k and MRR."""
from __future__ import annotations

import re
import unicodedata
from typing import Any, Iterable, Mapping, Sequence


def squash_nfkc(text: str) -> str:
    """Compare after NFKC and whitespace removal."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def _pages(source: Mapping[str, Any], key: str, end_key: str) -> set[str]:
    """The pages a record spans, as strings (``page``..``end_page`` or one page)."""
    first, last = source.get(key), source.get(end_key)
    if first is None:
        return set()
    try:
        return {str(p) for p in range(int(first), int(last if last is not None else first) + 1)}
    except (TypeError, ValueError):  # a printed page such as "Ⅱ-3"
        return {str(first)} | ({str(last)} if last is not None else set())


def gold_match(item: Mapping[str, Any], gold: Mapping[str, Any]) -> bool:
    """One gold constraint: every field equal; ``title~`` is a substring of the title, ``document~`` of
    the source document id; ``page`` is the printed page and ``pdf_page`` the PDF page index of the
    record's source (a record spanning pages matches any of them)."""
    source = item.get("source") or {}
    for key, value in gold.items():
        if key == "title~":
            if squash_nfkc(value) not in squash_nfkc(item.get("title") or ""):
                return False
        elif key == "document~":
            if squash_nfkc(value) not in squash_nfkc(source.get("document") or ""):
                return False
        elif key == "page":
            if str(value) not in _pages(source, "printed_page", "end_printed_page"):
                return False
        elif key == "pdf_page":
            if str(value) not in _pages(source, "page", "end_page"):
                return False
        elif item.get(key) != value:
            return False
    return True


def any_gold(item: Mapping[str, Any], golds: Iterable[Mapping[str, str]]) -> bool:
    return any(gold_match(item, g) for g in golds)


def evidence_match(text: str, evidence: Iterable[str]) -> bool:
    t = squash_nfkc(text)
    return any(squash_nfkc(e) in t for e in evidence if e)


def first_rank(flags: Sequence[bool]) -> int | None:
    """0-based rank of the first correct hit, or None."""
    return next((i for i, ok in enumerate(flags) if ok), None)


def summarize(ranks: Sequence[int | None]) -> dict[str, float]:
    n = len(ranks)
    if n == 0:
        return {"n": 0, "hit@1": 0.0, "hit@5": 0.0, "mrr@10": 0.0}
    return {
        "n": n,
        "hit@1": sum(1 for r in ranks if r == 0) / n,
        "hit@5": sum(1 for r in ranks if r is not None and r < 5) / n,
        "mrr@10": sum(1 / (r + 1) for r in ranks if r is not None and r < 10) / n,
    }
