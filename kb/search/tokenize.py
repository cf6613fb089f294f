"""Japanese tokenisation for BM25: SudachiPy normalised forms of content words,
a light stem (trailing okurigana) so that 取組/取り組み/取り組む meet, and the
domain synonym map of the vocabulary (kb/core/vocab/synonyms.json).

A Sudachi tokenizer is not thread-safe: one per thread."""
from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any, Iterable, Mapping

from kb.core.normalize import map_chars
from kb.core.vocab import load_json, load_lines

TOKENIZER_VERSION = "sudachi-normalized+stem+synonyms+subwords+no-aux+place/5"


def default_phrase_synonyms() -> tuple[tuple[str, str], ...]:
    """Phrase rewrites applied before tokenising: the shared spellings, then the BM25 phrases."""
    syn = load_json("synonyms")
    return tuple((a, b) for a, b in (*syn["spellings"], *syn["phrases"]))


def default_token_synonyms() -> dict[str, str]:
    return dict(load_json("synonyms")["tokens"])


def default_stop_words() -> frozenset[str]:
    return frozenset(load_lines("stopwords"))


POS = load_json("sudachi_pos")
CONTENT_POS = frozenset(POS["content"])
NOUN, NUMERAL, PLACE, PLACE_SUFFIXES = POS["noun"], POS["numeral"], POS["place"], POS["place_suffixes"]
PLACE_GENERAL = POS["place_general"]
AUXILIARY = tuple(POS["auxiliary"])  # (level 1, level 2) of a verb in auxiliary use
_KANJI = re.compile(r"[\u3400-\u9fff]")
_TRAILING_KANA = re.compile(r"(?<=[\u3400-\u9fff])[\u3041-\u309f]+$")
_MAX_CHUNK = 16_000  # characters per Sudachi call (it takes at most ~49 KB of UTF-8)


def dictionary_version() -> str:
    import importlib.metadata as md
    try:
        return f"sudachidict-core {md.version('sudachidict-core')}"
    except md.PackageNotFoundError:  # pragma: no cover
        return "unknown"


def stem(form: str) -> str:
    """Drop trailing okurigana after a kanji: 取り組み/取り組む → 取り組, 立ち上げる → 立ち上げ… keep kana words."""
    if not _KANJI.search(form):
        return form
    out = _TRAILING_KANA.sub("", form)
    return out or form


class Tokenizer:
    """Callable ``str -> list[str]`` (one Sudachi tokenizer per thread). The synonym and stop
    tables are arguments (defaults: the vocabulary, kb/core/vocab), as bm25s takes any splitter."""

    def __init__(self, mode: str = "B", subwords: bool = True, *,
                 phrase_synonyms: Iterable[tuple[str, str]] | None = None,
                 token_synonyms: Mapping[str, str] | None = None,
                 stop_words: Iterable[str] | None = None):
        from sudachipy import SplitMode
        self.mode = mode
        self.phrase_synonyms = tuple(phrase_synonyms) if phrase_synonyms is not None else default_phrase_synonyms()
        self.token_synonyms = dict(token_synonyms) if token_synonyms is not None else default_token_synonyms()
        self.stop_words = frozenset(stop_words) if stop_words is not None else default_stop_words()
        self.subwords = subwords and mode != "A"
        self._mode_a = SplitMode.A
        self._local = threading.local()

    def _sudachi(self):
        tok = getattr(self._local, "tok", None)
        if tok is None:
            from sudachipy import SplitMode
            tok = _dictionary().tokenizer(mode=getattr(SplitMode, self.mode))
            self._local.tok = tok
        return tok

    def prepare(self, text: str) -> str:
        text = map_chars(text)
        for a, b in self.phrase_synonyms:
            text = text.replace(a, b)
        return text

    def __call__(self, text: str) -> list[str]:
        text = self.prepare(text)
        tok = self._sudachi()
        stop = self.stop_words
        out: list[str] = []
        for i in range(0, len(text), _MAX_CHUNK):
            for m in tok.tokenize(text[i:i + _MAX_CHUNK]):
                pos_full = m.part_of_speech()
                pos = pos_full[0]
                if pos not in CONTENT_POS:
                    continue
                if (pos, pos_full[1]) == AUXILIARY:
                    continue  # auxiliary use (…てくれる, どうやって): くれる would become 呉, the token of 呉市
                form = m.normalized_form()
                if form in stop or m.surface() in stop:
                    continue
                if pos == NOUN and pos_full[1] == NUMERAL:
                    form = m.surface()
                self._add(out, form)
                if pos == NOUN and pos_full[2] == PLACE and len(form) >= 2 and form[-1] in PLACE_SUFFIXES:
                    self._add(out, form[:-1])  # 熊本市 also meets 「熊本では」
                if self.subwords and pos == NOUN and len(m.surface()) >= 4:
                    # compounds also index their short units (民生児童委員 → 民生/児童/委員)
                    parts = m.split(self._mode_a)
                    if len(parts) > 1:
                        for p in parts:
                            if p.part_of_speech()[0] in CONTENT_POS and p.normalized_form() not in stop:
                                self._add(out, p.normalized_form())
        return out

    def place_names(self, text: str, bare: bool = False) -> list[str]:
        """Municipality names as Sudachi reads them (a place-name noun of the longest split ending in
        市・区・町・村): さいたま市 and つくば市 as well as 札幌市, as written. ``bare``: also a place name
        written without its suffix (「浜松では」), a country's name not among them."""
        out = []
        for m in longest_split_tokenizer().tokenize(map_chars(text)[:_MAX_CHUNK]):
            pos = m.part_of_speech()
            name = m.surface()
            if pos[0] != NOUN or pos[2] != PLACE or len(name) < 2:
                continue
            if name[-1] in PLACE_SUFFIXES or (bare and pos[3] == PLACE_GENERAL):
                out.append(name)
        return out

    def _add(self, out: list[str], form: str) -> None:
        s = stem(form)
        s = self.token_synonyms.get(s, s)
        if len(s) == 1 and not _KANJI.search(s) and not s.isalnum():
            return
        out.append(s.lower())


class BackoffTokenizer:
    """A tokenizer that reads a word the index never holds in its short units the index does hold
    (Sudachi's mode A): 「法律上」 → 法律, 「世界的」 → 世界. A question may write a derived form of a
    word the documents write only plainly; without this it would match nothing (BM25) and count as a
    topic the documents lack (coverage, refusal). The index's own words are always held, so the
    records' tokens are unchanged; one-character units are too weak to stand for the word."""

    def __init__(self, base: "Tokenizer", vocab: Any):
        self.base, self.vocab = base, vocab
        self._short = Tokenizer("A", subwords=False, phrase_synonyms=base.phrase_synonyms,
                                token_synonyms=base.token_synonyms, stop_words=base.stop_words)
        self._memo: dict[str, list[str]] = {}

    def __call__(self, text: str) -> list[str]:
        out: list[str] = []
        for t in self.base(text):
            if t in self.vocab:
                out.append(t)
                continue
            parts = self._memo.get(t)
            if parts is None:
                parts = [p for p in self._short(t) if len(p) >= 2 and p in self.vocab and p != t]
                if len(self._memo) < 100_000:
                    self._memo[t] = parts
            out.extend(parts or [t])
        return out

    def __getattr__(self, name: str) -> Any:  # mode, place_names, prepare…: the base tokenizer's
        return getattr(self.base, name)


_longest = threading.local()


def longest_split_tokenizer():
    """This thread's Sudachi tokenizer of the longest split (mode C: さいたま市, 試行的事業 whole), on the
    one loaded dictionary (a tokenizer is not thread-safe)."""
    tok = getattr(_longest, "tok", None)
    if tok is None:
        from sudachipy import SplitMode
        tok = _longest.tok = _dictionary().tokenizer(mode=SplitMode.C)
    return tok


@lru_cache(maxsize=1)
def _dictionary():
    from sudachipy import Dictionary
    return Dictionary()

