"""Awkward input: questions typed in kana only (「ぷらっとふぉーむのたちあげかた」), very short ones
(「予算」), and questions in English. Kana is matched on Sudachi's reading forms of the corpus's own
words (and its municipalities' names), so that 「いちはらしのしこうてきじぎょう」 meets 市原市 and 試行的事業."""
from __future__ import annotations

import re
import threading
from collections import Counter
from typing import Iterable

from kb.core.vocab import load_json
from kb.core.vocab.answer import answer_vocab

V = answer_vocab()
_KANA = re.compile(r"[\u3041-\u309f\u30a0-\u30ffー]")
_LATIN = re.compile(r"[A-Za-z]")
_SIGN = re.compile(r"[\s、。，．,.！!？?「」『』（）()・〜~ー\-\u2600-\u27bf\U0001F000-\U0001FFFF]")


_POS = load_json("sudachi_pos")
_READ_POS = (*_POS["content"], _POS["suffix"])  # words whose readings a kana-only question may spell

def letters(text: str) -> str:
    return _SIGN.sub("", text)


def is_kana_only(text: str) -> bool:
    core = letters(text)
    return len(core) >= 4 and sum(1 for ch in core if _KANA.match(ch)) >= V.kana_share * len(core)


def is_english(text: str) -> bool:
    core = letters(text)
    return len(core) >= 4 and sum(1 for ch in core if _LATIN.match(ch)) >= V.latin_share * len(core)


def is_short(text: str) -> bool:
    return 0 < len(letters(text)) <= V.short_chars


def to_katakana(text: str) -> str:
    return "".join(chr(ord(ch) + 0x60) if "\u3041" <= ch <= "\u3096" else ch for ch in text)


class ReadingLexicon:
    """Katakana reading → the corpus's written form, from Sudachi's reading forms of the content words
    of every record (and each municipality's name read whole). Built once per corpus, lazily."""

    def __init__(self, texts: Iterable[str], names: Iterable[str] = ()):
        from sudachipy import Dictionary, SplitMode
        tok = Dictionary().tokenizer(mode=SplitMode.C)
        counts: dict[str, Counter] = {}

        def add(reading: str, surface: str) -> None:
            if len(reading) >= 2 and not all("\u3041" <= c <= "\u309f" for c in surface) \
                    and not any(c.isascii() or c.isdigit() for c in surface):  # 「いちばん」 is not 「1版」
                counts.setdefault(reading, Counter())[surface] += 1

        for text in texts:
            for chunk in re.split(r"\n+", text):
                ms = list(tok.tokenize(chunk[:4000]))
                for m in ms:
                    if m.part_of_speech()[0] in _READ_POS:
                        add(m.reading_form(), m.surface())
                for a, b in zip(ms, ms[1:]):  # compounds read as one (試行的 + 事業)
                    if a.part_of_speech()[0] == _POS["noun"] and b.part_of_speech()[0] in (_POS["noun"], _POS["suffix"]):
                        add(a.reading_form() + b.reading_form(), a.surface() + b.surface())
        for name in names:
            add("".join(m.reading_form() for m in tok.tokenize(name)), name)
        self.surface = {r: c.most_common(1)[0][0] for r, c in counts.items()}
        self.longest = max((len(r) for r in self.surface), default=0)

    def rewrite(self, text: str) -> str:
        """Kana runs replaced by the corpus's words they read as, longest reading first."""
        kata = to_katakana(text)
        out, i = [], 0
        while i < len(kata):
            for n in range(min(self.longest, len(kata) - i), 1, -1):
                word = self.surface.get(kata[i:i + n])
                if word:
                    out.append(word)
                    i += n
                    break
            else:
                out.append(text[i])
                i += 1
        return "".join(out)


_lock = threading.Lock()
_lexicons: dict[int, ReadingLexicon] = {}


def reading_lexicon(corpus) -> ReadingLexicon:
    with _lock:
        lex = _lexicons.get(id(corpus))
        if lex is None:
            texts = [f"{r.title}\n{r.text}" for r in corpus.records]
            lex = _lexicons[id(corpus)] = ReadingLexicon(texts, sorted(corpus.cities))
        return lex
