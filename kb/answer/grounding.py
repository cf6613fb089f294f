"""Is a sentence supported by the records it cites? Its content words and its
numbers must appear in the cited records (title, text and field values).

Used to verify LLM answers and, in eval, to check the composer's answers."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

from kb.core.normalize import map_chars
from kb.core.records import Record
from kb.core.vocab.answer import answer_vocab
from kb.search.tokenize import Tokenizer

# words of the answer's own framing (labels, connectives), not claims about the reports
FRAME_WORDS = answer_vocab().frame_words
_NUM = re.compile(r"\d[\d,.]*")


@dataclass(frozen=True)
class SentenceCheck:
    sentence: str
    cited: tuple[str, ...]
    ok: bool
    missing_words: tuple[str, ...] = ()
    missing_numbers: tuple[str, ...] = ()
    reason: str = ""


def record_evidence_text(r: Record) -> str:
    """Everything a citation of ``r`` vouches for: its text, fields, and the labels of its place in
    the phase model (a lesson of step ⑦ supports 「⑦ 連携PFの運営」)."""
    from kb.search.nodes import record_search_text
    parts = [record_search_text(r), r.citation_label(), step_label_text(r.step)]
    for v in r.fields.values():
        if isinstance(v, (str, int, float)) and not isinstance(v, bool):
            parts.append(str(v))
        elif isinstance(v, (list, tuple)):
            parts += [str(x) for x in v if isinstance(x, (str, int, float))]
    return "\n".join(parts)


def step_label_text(step: str | None) -> str:
    from kb.core.records import STEP_MARKS, STEP_NAMES
    return f"{STEP_MARKS[step]} {STEP_NAMES[step]}" if step else ""


def numbers_in(text: str) -> set[str]:
    out = set()
    for m in _NUM.finditer(map_chars(text)):
        n = m.group(0).rstrip(".,").replace(",", "")
        if n:
            out.add(n)
    return out


@dataclass
class GroundingChecker:
    tokenizer: Tokenizer = field(default_factory=Tokenizer)
    min_word_coverage: float = 1.0

    def check(self, sentence: str, cited: Iterable[Record]) -> SentenceCheck:
        cited = list(cited)
        ids = tuple(r.id for r in cited)
        plain = re.sub(r"\[\d+\]|（[^）]*l\.\d[^）]*）|（[^）]*p\.\d[^）]*）|（テキスト版 [^）]*行目）", "", sentence)
        if not cited:
            words = [w for w in self.tokenizer(plain) if w not in FRAME_WORDS]
            if not words and not numbers_in(plain):
                return SentenceCheck(sentence, ids, True, reason="framing only")
            return SentenceCheck(sentence, ids, False, tuple(words), tuple(sorted(numbers_in(plain))),
                                 reason="no citation")
        evidence = "\n".join(record_evidence_text(r) for r in cited)
        ev_tokens = set(self.tokenizer(evidence))
        ev_numbers = numbers_in(evidence)
        words = [w for w in self.tokenizer(plain) if w not in FRAME_WORDS]
        flat = re.sub(r"\s+", "", map_chars(evidence))  # a word the cited text holds verbatim is supported,
        # however Sudachi cut it there (「KVOADホームページ」 splits otherwise beside other words)
        missing_w = tuple(sorted({w for w in words if w not in ev_tokens and map_chars(w) not in flat}))
        missing_n = tuple(sorted(n for n in numbers_in(plain) if n not in ev_numbers))
        coverage = 1 - len(missing_w) / len(set(words)) if words else 1.0
        ok = not missing_n and coverage >= self.min_word_coverage
        reason = "" if ok else ("numbers not in cited records" if missing_n else "words not in cited records")
        return SentenceCheck(sentence, ids, ok, missing_w, missing_n, reason)
