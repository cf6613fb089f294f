"""Pure scoring functions: gold constraints on records, evidence strings in
texts, hit@k and MRR."""
from __future__ import annotations

import re
import unicodedata
from typing import Any, Iterable, Mapping, Sequence


def squash_nfkc(text: str) -> str:
    """Compare after NFKC and whitespace removal."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def gold_match(item: Mapping[str, Any], gold: Mapping[str, str]) -> bool:
    """One gold constraint: every field equal; ``title~`` is a substring of the title."""
    for key, value in gold.items():
        if key == "title~":
            if squash_nfkc(value) not in squash_nfkc(item.get("title") or ""):
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
