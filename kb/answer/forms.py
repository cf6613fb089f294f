"""Answer forms read off the question and the text, typographically: "why" questions (the reasons
the records give), definitions (the sentence of the document that defines the term) and counts (a
number with the counter word the question asks for). Their cue words are data
(kb/core/vocab/answer.json); the composers live in kb/answer/pipeline.py."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from kb.answer.keypoints import record_sentences
from kb.core.normalize import squash
from kb.core.records import Record
from kb.core.vocab.answer import answer_vocab

V = answer_vocab()

_HIRAGANA_RUN = re.compile(r"[^\sぁ-ゖ、。，,？?！!「」『』（）()]+$")
_QUOTED = re.compile(r"[「『]([^」』]{2,30})[」』]")


# --- expected answer types ---------------------------------------------------------------------


def answer_types(question: str) -> tuple[str, ...]:
    """The kinds of value the question asks for (「いつ」 → date, 「講師はどなた」 → person, 「何階」 →
    place…), by the cue words of answer.json's answer_types; () when it asks for none."""
    return tuple(t for t, (cues, _) in V.answer_types.items() if any(c in question for c in cues))


def holds_answer_type(sentence: str, types: Sequence[str]) -> bool:
    """The sentence holds a value of one of these types (a date, a time, yen, a count, a person's
    title, a place, an organisation's legal form), by its typography."""
    return any(V.answer_types[t][1].search(sentence) for t in types)


# --- why ----------------------------------------------------------------------------------------


def asks_why(question: str) -> bool:
    """「なぜ」「どうして」「理由は」; 「…なんですか」「…なんでしょう」 are not "why"."""
    for phrase in V.why_not:
        question = question.replace(phrase, "")
    return any(w in question for w in V.form_cues["why"])


def gives_reason(sentence: str) -> bool:
    """A sentence that says why (「…ため」「…ことから」「きっかけ」): its connectives, not its topic."""
    return any(w in sentence for w in V.reason_markers)


# --- definitions --------------------------------------------------------------------------------


def defined_term(question: str) -> str | None:
    """The term a definition question asks about: the quoted term (「社会的処方」って…), else the words
    right before the cue (「地域協議会とは」「ゲートキーパーってどんな人」); None when no cue."""
    cue = next((c for c in V.definition_cues if c in question), None)
    if cue is None:
        return None
    head = question[:question.index(cue)]
    quoted = _QUOTED.findall(head) or _QUOTED.findall(question)
    if quoted:
        return quoted[-1]
    m = _HIRAGANA_RUN.search(head.rstrip("、 "))
    term = m.group(0) if m else ""
    return term if len(term) >= 2 else None


@dataclass(frozen=True)
class Definition:
    sentence: str
    record: Record
    strength: int  # 2: 「Xとは」「…をXという」; 1: 「いわゆる「X」」「X（…）」「Xは、」


def definition_strength(sentence: str, term: str) -> int:
    s, t = squash(sentence), squash(term)
    if t not in s:
        return 0
    for level, patterns in ((2, V.definition_patterns["strong"]), (1, V.definition_patterns["weak"])):
        if any(squash(p.format(term=term)) in s for p in patterns):
            return level
    after = s[s.index(t) + len(t):]
    if any(squash(v) in after for v in V.definition_patterns["verbs"]):  # 「X」について、「…」と定義している
        return 2
    return 0


def around(sentence: str, term: str, width: int = 90) -> str:
    """A long sentence cut to the clauses around the term (at commas), marked with … where cut."""
    if len(sentence) <= 2 * width + 20:
        return sentence
    pos = sentence.find(term)
    pos = max(pos, 0)
    start = 0 if pos < width else sentence.rfind("、", 0, pos - width // 2) + 1
    end = sentence.find("、", pos + len(term) + width)
    end = len(sentence) if end < 0 else end + 1
    return ("…" if start else "") + sentence[start:end] + ("…" if end < len(sentence) else "")


def definitions(term: str, records: Iterable[Record]) -> list[Definition]:
    """Every sentence that defines the term, strongest first; among equals, the document that defines
    it most (the defining document, not one that only uses the word), then the records' order."""
    found: list[tuple[int, Definition]] = []
    t = squash(term)
    for i, r in enumerate(records):
        if t not in squash(r.text) and t not in squash(r.title):
            continue
        for sent in record_sentences(r, max_chars=600):
            level = definition_strength(sent, term)
            if level:
                found.append((i, Definition(around(sent, term), r, level)))
    per_doc: dict[str, int] = {}
    for _, d in found:
        per_doc[d.record.source.document] = per_doc.get(d.record.source.document, 0) + d.strength
    found.sort(key=lambda x: (-x[1].strength, -per_doc[x[1].record.source.document], x[0]))
    return [d for _, d in found]


# --- counts -------------------------------------------------------------------------------------


def count_asked(question: str) -> tuple[str, ...]:
    """The counter words a count question asks for (何団体 → 団体; 何人 / 何名 → 人, 名), or ()."""
    for group in V.count_counters:
        if any(f"何{c}" in question for c in group):
            return tuple(group)
    return ()


@dataclass(frozen=True)
class Figure:
    value: str  # as written: 「18名」「3か所」
    sentence: str
    record: Record
    labelled: bool = False  # written as the value of a count's label (「参加者数:18名」「来場人数 約800人」)


# a count's label right before its figure: a word ending in 数 (参加者数, 来場人数, 団体数), then a colon or space
_COUNT_LABEL = r"[一-龥ァ-ヶーA-Za-z]数\s*[:：]?\s*"


def _labelled(value: str, r: Record) -> bool:
    """The figure is written as the value of a count's label somewhere in the record (sentences drop
    a field's label, 「来場者数:」, so the record's own text is read); a count of none (「回答人数0名の
    項目は…」, a note under a chart) states nothing that happened."""
    if not re.search(r"[1-9１-９]", value):
        return False
    text = "\n".join([r.text, *(str(v) for v in r.fields.values() if isinstance(v, str))])
    return re.search(_COUNT_LABEL + re.escape(value), text) is not None


def figures(records: Sequence[Record], counters: Sequence[str]) -> list[Figure]:
    """Every figure of the records written as a number with one of these counter words, in the
    records' order, with the sentence that holds it."""
    alt = "|".join(re.escape(c) for c in sorted(counters, key=len, reverse=True))
    pattern = re.compile(rf"(?:約|計|合計|延べ)?\d[\d,，.]*\s*(?:{alt})")
    out = []
    for r in records:
        for sent in record_sentences(r, max_chars=240):
            for m in pattern.finditer(sent):
                value = m.group(0).strip()
                out.append(Figure(value, sent, r, _labelled(value, r)))
    return out
