"""Awkward input: questions typed in kana only (「ぷらっとふぉーむのたちあげかた」), very short ones
(「予算」), and questions in English. Kana is read on the corpus's own words by the search layer
(kb/search/reading.py), which search and the assistant share; this module keeps the assistant's
own tests of the input."""
from __future__ import annotations

import re

from kb.core.vocab.answer import answer_vocab
from kb.search.reading import ReadingLexicon, is_kana_only, letters, reading_lexicon, to_katakana  # noqa: F401

V = answer_vocab()
_LATIN = re.compile(r"[A-Za-z]")


def is_english(text: str) -> bool:
    core = letters(text)
    return len(core) >= 4 and sum(1 for ch in core if _LATIN.match(ch)) >= V.latin_share * len(core)


def is_short(text: str) -> bool:
    return 0 < len(letters(text)) <= V.short_chars
