"""Terms the documents define themselves: abbreviations introduced in the text
(「孤独・孤立対策官民連携プラットフォーム（以下「連携PF」という。）」, 「…（以下、PFという）」) and
parenthesised expansions of acronyms (「NPO（特定非営利活動法人）」, 「福祉医療機構（WAM）」).

They are read from every record at build time, stored in the index directory (``terms.json``), and
used as synonyms both ways when a query is expanded: a question with the short form also looks for
the long one, and the other way round. A new document brings its own definitions; nothing here is
a word of this corpus. Pure functions on strings, typographic rules only."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

from kb.core.normalize import map_chars, squash
from kb.core.vocab import unify_spellings

TERMS_FILE = "terms.json"
TERMS_VERSION = 1  # bump when the rules below change: `pfkb build` then reads the definitions anew
MAX_SHORT = 20  # characters of a short form
MAX_LONG = 40  # characters of a long form read back from the definition
MIN_LONG = 3

_OPEN, _CLOSE = "(（", ")）"
# 「（以下「連携PF」という。）」「(以下、連携PFという)」「（以下「法」と略す。）」「（以下「本計画」）」
_DEFINED = re.compile(
    r"[(（]\s*以下\s*[、,]?\s*[「『\"]?(?P<short>[^」』\"()（）、。,]{1,%d}?)[」』\"]?\s*"
    r"(?:という|と言う|と称する|と呼ぶ|と略す|と略称する|とする|と表記する|と記す)?[。.]?\s*[)）]" % MAX_SHORT)
# an acronym in parentheses after its expansion, or its expansion after it
_ACRONYM = r"[A-Za-z][A-Za-z0-9&]{1,9}"
_PAREN = re.compile(r"[(（](?P<inside>[^()（）]{2,%d})[)）]" % MAX_LONG)
_IS_ACRONYM = re.compile(rf"^{_ACRONYM}$")
# characters a term written as one phrase is made of: kanji, katakana, Latin letters and digits,
# the middle dot and the iteration mark; 「の」 only inside (孤独・孤立の状態)
_HIRAGANA = re.compile(r"[\u3041-\u309f]")
_KANJI = re.compile(r"[\u3400-\u9fff々]")
# kana that end a phrase rather than sit inside a term: particles and demonstratives (typography of
# Japanese, not words of a domain)
_NOT_INSIDE = frozenset("に を は が で と も へ や か ね よ や その この あの から まで など より".split())
_TERM_CHAR = re.compile(r"[\u3400-\u9fff\u30a0-\u30ffー々〇・A-Za-z0-9&]")


@dataclass(frozen=True)
class Term:
    short: str  # the abbreviation or acronym as written (連携PF, NPO)
    long: str  # what it stands for (孤独・孤立対策官民連携プラットフォーム)

    def to_dict(self) -> dict[str, str]:
        return {"short": self.short, "long": self.long}


def _phrase_before(text: str, end: int) -> str:
    """The term written just before ``end``: the content of a 「…」 that closes there, else the run
    of term characters (kanji, katakana, Latin, 「・」, an inner 「の」) that ends there."""
    if end > 0 and text[end - 1] in "」』":
        opening = "「" if text[end - 1] == "」" else "『"
        start = text.rfind(opening, max(0, end - 1 - MAX_LONG * 2), end - 1)
        if start >= 0:
            return text[start + 1:end - 1].strip()
    i = end
    while i > 0 and end - i < MAX_LONG:
        if _TERM_CHAR.match(text[i - 1]):
            i -= 1
            continue
        j = i  # a short kana run inside the term: okurigana after a kanji (見守り, 取り組み) or 「の」
        while j > 0 and _HIRAGANA.match(text[j - 1]) and i - j < 2:
            j -= 1
        run = text[j:i]
        if i < end and run and j > 0 and _KANJI.match(text[j - 1]) and run not in _NOT_INSIDE \
                and not _HIRAGANA.match(text[j - 1]):
            i = j
            continue
        if run == "の" and i < end and j > 0 and _TERM_CHAR.match(text[j - 1]):
            i = j
            continue
        break
    return text[i:end].lstrip("・の")


def _good(short: str, long: str) -> bool:
    short, long = short.strip(), long.strip()
    if not short or not long or squash(short) == squash(long):
        return False
    if len(long) < MIN_LONG or len(long) > MAX_LONG or len(short) > MAX_SHORT or len(short) >= len(long):
        return False
    if len(short) < 2:  # 「法」「本」: one character would expand every question that holds it
        return False
    if any(ch in short for ch in "。、,") or any(ch in long for ch in "。"):
        return False
    return not short.isdigit()


def text_to_terms(text: str) -> list[Term]:
    """Definitions in one text, in order of appearance (pure; the text as the records hold it)."""
    text = map_chars(text)
    out: list[Term] = []
    for m in _DEFINED.finditer(text):
        short = m.group("short").strip()
        long = _phrase_before(text, m.start())
        if _good(short, long):
            out.append(Term(short, long))
    for m in _PAREN.finditer(text):
        inside = m.group("inside").strip()
        if inside.startswith("以下"):
            continue
        before = _phrase_before(text, m.start())
        tail = _tail_acronym(text[:m.start()])
        if _IS_ACRONYM.match(inside):  # 独立行政法人福祉医療機構（WAM）
            short, long = inside, before
        elif tail and _is_phrase(inside):  # NPO（特定非営利活動法人）; not a remark 「NPO（NPOを支援する…）」
            short, long = tail, inside
        else:
            continue
        if squash(short) in squash(long):  # 「PF（孤独・孤立PF）」 qualifies a word, it does not abbreviate one
            continue
        if _good(short, long):
            out.append(Term(short, long))
    return out


def _tail_acronym(text: str) -> str:
    """The acronym written just before the end of ``text`` (「…地域のNPO」 → NPO), or ""."""
    m = re.search(rf"(?<![A-Za-z0-9&]){_ACRONYM}$", text)
    return m.group(0) if m else ""


def _is_phrase(text: str) -> bool:
    """One term (no sentence, no particle but an inner 「の」)."""
    return all(_TERM_CHAR.match(ch) or ch == "の" for ch in text) and not text.startswith("の") \
        and bool(re.search(r"[\u3400-\u9fff\u30a0-\u30ff]", text))


def texts_to_terms(texts: Iterable[str]) -> list[Term]:
    """Definitions of a whole corpus, one per (short, long), in order of first appearance."""
    seen: dict[tuple[str, str], Term] = {}
    for text in texts:
        for t in text_to_terms(text):
            seen.setdefault((t.short, t.long), t)
    return list(seen.values())


def _key(text: str) -> str:
    """Comparison form: normalised, whitespace removed, spellings unified as the tokenizer unifies
    them (プラットフォーム → PF), so that a question meets a definition however either is spelt."""
    return unify_spellings(squash(text))


def records_to_terms(records: Iterable[Any]) -> list[Term]:
    """The definitions of a corpus's records, read from their titles and texts."""
    return texts_to_terms(f"{r.title}\n{r.text}" for r in records)


class TermExpander:
    """The definitions of one index as query synonyms, both ways: a query holding a short form gains
    its long form and the other way round (compared after normalisation, whitespace ignored)."""

    def __init__(self, terms: Sequence[Term]):
        self.terms = tuple(terms)
        self._pairs = [(_key(t.short), _key(t.long), t) for t in self.terms]

    def __len__(self) -> int:
        return len(self.terms)

    def expansions(self, query: str) -> list[str]:
        """The other forms of the defined terms the query holds (each once, longest match first)."""
        q = _key(query)
        out: list[str] = []
        covered = q
        for s, lg, t in sorted(self._pairs, key=lambda p: -len(p[1])):
            if lg in covered:  # the long form asked: the documents use the short one after defining it
                if t.short not in out:
                    out.append(t.short)
                covered = covered.replace(lg, "\x00")
        for s, lg, t in sorted(self._pairs, key=lambda p: -len(p[0])):
            if s in covered:  # the short form asked: the long one is what the definition's record says
                if t.long not in out:
                    out.append(t.long)
                covered = covered.replace(s, "\x00")
        return out

    def to_list(self) -> list[dict[str, str]]:
        return [t.to_dict() for t in self.terms]

    @classmethod
    def from_list(cls, rows: Iterable[dict[str, str]]) -> "TermExpander":
        return cls([Term(r["short"], r["long"]) for r in rows])

    def save(self, index_dir: Path) -> None:
        (index_dir / TERMS_FILE).write_text(json.dumps(self.to_list(), ensure_ascii=False, indent=0) + "\n",
                                            encoding="utf-8")

    @classmethod
    def load(cls, index_dir: Path) -> "TermExpander":
        path = index_dir / TERMS_FILE
        if not path.exists():
            return cls(())
        return cls.from_list(json.loads(path.read_text(encoding="utf-8")))
