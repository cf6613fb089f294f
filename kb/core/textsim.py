"""Similarity of short texts by character bigrams (robust to small wording
changes, spaces from PDF line breaks and a missing particle). Callers clean the
text their own way first (which punctuation counts is theirs to say)."""
from __future__ import annotations


def char_bigrams(text: str) -> set[str]:
    """Every pair of neighbouring characters; a one-character text is its own gram."""
    return {text[i:i + 2] for i in range(len(text) - 1)} or ({text} if text else set())


def dice(a: set[str], b: set[str]) -> float:
    """Dice coefficient of two gram sets, 0.0 when either is empty."""
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))
