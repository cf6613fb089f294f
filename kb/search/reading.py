"""Questions typed in kana only (「ぷらっとふぉーむのたちあげかた」「たんとうか」), read on the corpus's
own words: Sudachi's reading forms of the content words of every record (and each municipality's
name read whole) map a katakana reading back to the written form the documents use, so that
「いちはらしのしこうてきじぎょう」 meets 市原市 and 試行的事業. Search (``pfkb search``, /api/search) and
the assistant both read a kana-only query this way before anything else.

The lexicon is built from the records at index time and stored beside them (``readings.json``);
an index without the file (or a Searcher built in memory) builds it on the first kana query."""
from __future__ import annotations

import json
import re
import threading
from collections import Counter
from pathlib import Path
from typing import Iterable, Mapping

from kb.core.vocab import load_json
from kb.core.vocab.answer import answer_vocab
from kb.search.corpus import corpus_memo, corpus_remember
from kb.search.tokenize import longest_split_tokenizer

READINGS_FILE = "readings.json"
_KANA = re.compile(r"[\u3041-\u309f\u30a0-\u30ffー]")
_KANJI = re.compile(r"[\u3400-\u9fff]")
_SIGN = re.compile(r"[\s、。，．,.！!？?「」『』（）()・〜~ー\-\u2600-\u27bf\U0001F000-\U0001FFFF]")
_POS = load_json("sudachi_pos")
_READ_POS = (*_POS["content"], _POS["suffix"])  # words whose readings a kana-only question may spell


def letters(text: str) -> str:
    """The text without spaces, punctuation, long-vowel marks and pictographs."""
    return _SIGN.sub("", text)


def is_kana_only(text: str) -> bool:
    """At least four letters, nearly all of them kana (the share: answer.json ``kana_share``)."""
    core = letters(text)
    return len(core) >= 4 and sum(1 for ch in core if _KANA.match(ch)) >= answer_vocab().kana_share * len(core)


def to_katakana(text: str) -> str:
    return "".join(chr(ord(ch) + 0x60) if "\u3041" <= ch <= "\u3096" else ch for ch in text)


def texts_to_readings(texts: Iterable[str], names: Iterable[str] = ()) -> dict[str, str]:
    """Katakana reading → the written form the texts use most for it (content words, noun compounds
    read as one, and every name read whole)."""
    tok = longest_split_tokenizer()
    counts: dict[str, Counter] = {}

    def add(reading: str, surface: str, n: int = 1) -> None:
        if len(reading) >= 2 and not all("\u3041" <= c <= "\u309f" for c in surface) \
                and not any(c.isascii() or c.isdigit() for c in surface):  # 「いちばん」 is not 「1版」
            counts.setdefault(reading, Counter())[surface] += n

    # each distinct line is read once (a large corpus repeats many), counted as often as it occurs
    lines = Counter(chunk[:4000] for text in texts for chunk in re.split(r"\n+", text))
    for chunk, n in lines.items():
        ms = list(tok.tokenize(chunk))
        for m in ms:
            if m.part_of_speech()[0] in _READ_POS:
                add(m.reading_form(), m.surface(), n)
        for a, b in zip(ms, ms[1:]):  # compounds read as one (試行的 + 事業)
            if a.part_of_speech()[0] == _POS["noun"] and b.part_of_speech()[0] in (_POS["noun"], _POS["suffix"]):
                add(a.reading_form() + b.reading_form(), a.surface() + b.surface(), n)
    for name in names:
        add("".join(m.reading_form() for m in tok.tokenize(name)), name)
    return {r: c.most_common(1)[0][0] for r, c in sorted(counts.items())}


class ReadingLexicon:
    """Katakana reading → the corpus's written form (``texts_to_readings``)."""

    def __init__(self, texts: Iterable[str] = (), names: Iterable[str] = (), *,
                 surface: Mapping[str, str] | None = None):
        self.surface = dict(surface) if surface is not None else texts_to_readings(texts, names)
        self.longest = max((len(r) for r in self.surface), default=0)

    def rewrite(self, text: str) -> str:
        """Kana runs replaced by the corpus's words they read as (their written forms), in the fewest
        pieces: a noun or adverb Sudachi reads in the kana is one piece, kept as typed, so that
        「いちばん」 stays a word instead of becoming 位置 + 版; a corpus word wins a tie."""
        kata = to_katakana(text)
        n = len(kata)
        edges: list[dict[int, tuple[str, bool]]] = [dict() for _ in range(n)]  # start → end → (word, of the corpus)
        for start, end, word in _sudachi_words(text):
            edges[start][end] = (word, False)
        for i in range(n):
            for j in range(i + 2, min(n, i + self.longest) + 1):
                word = self.surface.get(kata[i:j])
                if word:
                    edges[i][j] = (word, True)
        # best[i]: (pieces, -characters read as corpus words) of the best reading of kata[:i]
        best: list[tuple[int, int] | None] = [None] * (n + 1)
        back: list[tuple[int, str] | None] = [None] * (n + 1)
        best[0] = (0, 0)
        for i in range(n):
            if best[i] is None:
                continue
            pieces, corpus = best[i]
            steps = [(i + 1, text[i], False)] + [(j, w, c) for j, (w, c) in edges[i].items()]
            for j, word, of_corpus in steps:
                cand = (pieces + 1, corpus - ((j - i) if of_corpus else 0))
                if best[j] is None or cand < best[j]:
                    best[j], back[j] = cand, (i, word)
        out, j = [], n
        while j > 0:
            i, word = back[j]
            out.append(word)
            j = i
        return "".join(reversed(out))

    def save(self, index_dir: Path) -> None:
        (index_dir / READINGS_FILE).write_text(json.dumps(self.surface, ensure_ascii=False, indent=0) + "\n",
                                               encoding="utf-8")

    @classmethod
    def load(cls, index_dir: Path) -> "ReadingLexicon | None":
        path = index_dir / READINGS_FILE
        if not path.exists():
            return None
        return cls(surface=json.loads(path.read_text(encoding="utf-8")))


_SUDACHI_POS = tuple(_POS["kana_written"])  # words whose written form a kana question may take from Sudachi


def _sudachi_words(text: str) -> list[tuple[int, int, str]]:
    """(start, end, text) of the nouns and adverbs Sudachi reads in kana text that are words written in
    kanji (いちばん, 一番), kept as typed."""
    out = []
    for m in longest_split_tokenizer().tokenize(text[:4000]):
        form = m.normalized_form()
        if m.part_of_speech()[0] in _SUDACHI_POS and m.end() - m.begin() >= 2 and _KANJI.search(form) \
                and not _KANJI.search(m.surface()):
            out.append((m.begin(), m.end(), m.surface()))
    return out


def corpus_texts(corpus) -> tuple[list[str], list[str]]:
    """What the lexicon reads of a corpus: every record's title and text, and its municipalities."""
    return [f"{r.title}\n{r.text}" for r in corpus.records], sorted(corpus.cities)


_lock = threading.Lock()
_LEXICON = "reading_lexicon"


def reading_lexicon(corpus) -> ReadingLexicon:
    """The lexicon of a loaded corpus, built once (lazily) per corpus and kept on it."""
    with _lock:
        return corpus_memo(corpus, _LEXICON, lambda: ReadingLexicon(*corpus_texts(corpus)))


def share_lexicon(corpus, lexicon: ReadingLexicon) -> None:
    """Make ``lexicon`` (read from the index directory) the one ``reading_lexicon(corpus)`` returns."""
    with _lock:
        corpus_remember(corpus, _LEXICON, lexicon)


def read_kana(text: str, lexicon: ReadingLexicon) -> str:
    """A kana-only query read on the corpus's words; any other query as it is."""
    return lexicon.rewrite(text) if is_kana_only(text) else text
