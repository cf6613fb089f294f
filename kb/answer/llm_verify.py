"""Verify an LLM reply sentence by sentence against the records it cites.

A reply is Markdown: headings, bullets and prose whose sentences end with
``[n]`` markers pointing at the numbered records of the prompt. A sentence is
kept only if it cites at least one record, every cited number exists, its
numbers appear in the cited records and enough of its content words do.
Sentences that only frame the answer (「以下に整理します。」, the no-answer
phrase) need no citation. Headings need none either, but their numbers must
appear in one of the given records; a heading left without sentences is dropped.

Pure functions on strings and records: no network, no LLM."""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Sequence

from kb.answer.grounding import GroundingChecker, SentenceCheck
from kb.core.records import PHASE_LABELS, Record, step_label
from kb.core.vocab.answer import answer_vocab

NO_ANSWER = answer_vocab().no_evidence_text
MARK = "（要確認：出典で確認できません）"

_FULLWIDTH = str.maketrans("０１２３４５６７８９，", "0123456789,")
# a marker as models write it: [1] [1,3] [1、3] ［１］ (normalize_markers makes them ASCII)
_ANY_MARKER = re.compile(r"[\[［]\s*([0-9０-９]+(?:\s*[,，、]\s*[0-9０-９]+)*)\s*[\]］]")
_MARKER = re.compile(r"\[\s*(\d+(?:\s*[,、]\s*\d+)*)\s*\]")
# a sentence ends at 。！？!? and takes the markers that follow it: 「…した。[1][2]」
_SENTENCE_END = re.compile(r"[。！？!?]+(?:\s*\[\s*\d+(?:\s*[,、]\s*\d+)*\s*\])*")
_PREFIX = re.compile(r"^(\s*(?:#{1,6}\s+|[-*+]\s+|・\s*|\d+[.)．]\s+|>\s*)?)")
_BOLD_LINE = re.compile(r"^\s*\*\*[^*]+\*\*\s*[:：]?\s*$")


@dataclass(frozen=True)
class Sentence:
    """One checked unit of the reply: a sentence, a bullet or a heading."""
    line: int  # index of the reply line it sits on
    text: str  # as written, markers included
    cited: tuple[int, ...]  # the [n] numbers as written, in order, without repeats
    heading: bool = False


@dataclass(frozen=True)
class Verified:
    text: str  # the kept Markdown, markers renumbered to index ``citations``
    citations: tuple[str, ...]  # record ids, in order of first use in ``text``
    verification: dict[str, Any]
    no_evidence: bool


def normalize_markers(text: str) -> str:
    """［１，３］ → [1,3]; only the markers change, the prose keeps its own digits."""
    return _ANY_MARKER.sub(lambda m: "[" + m.group(1).translate(_FULLWIDTH) + "]", text)


def markers_in(sentence: str) -> tuple[int, ...]:
    """The cited numbers of a sentence, in order of appearance, without repeats."""
    seen: list[int] = []
    for m in _MARKER.finditer(normalize_markers(sentence)):
        for part in re.split(r"[,、]", m.group(1)):
            n = int(part)
            if n not in seen:
                seen.append(n)
    return tuple(seen)


def strip_markers(sentence: str) -> str:
    return _MARKER.sub("", normalize_markers(sentence)).replace("**", "").strip()


def line_prefix(line: str) -> tuple[str, str]:
    """Split a Markdown line into its structural prefix (heading hashes, bullet,
    list number) and its body."""
    m = _PREFIX.match(line)
    prefix = m.group(1) if m else ""
    return prefix, line[len(prefix):]


def is_heading(line: str) -> bool:
    return line.lstrip().startswith("#") or bool(_BOLD_LINE.match(line))


def heading_level(line: str) -> int:
    s = line.lstrip()
    return len(s) - len(s.lstrip("#")) if s.startswith("#") else 7


def split_sentences(body: str) -> list[str]:
    """「A。[1]B[2]。C」 → ["A。[1]", "B[2]。", "C"]; the citations after 。 stay with their sentence."""
    body = normalize_markers(body)
    out, start = [], 0
    for m in _SENTENCE_END.finditer(body):
        out.append(body[start:m.end()])
        start = m.end()
    out.append(body[start:])
    return [s for s in (x.strip() for x in out) if s]


def reply_to_sentences(reply: str) -> list[Sentence]:
    out: list[Sentence] = []
    for i, line in enumerate(normalize_markers(reply).splitlines()):
        if not line.strip() or set(line.strip()) <= set("-*_= |:"):  # blank, rules, table borders
            continue
        if is_heading(line):
            out.append(Sentence(i, line_prefix(line)[1].strip(), markers_in(line), heading=True))
            continue
        for s in split_sentences(line_prefix(line)[1]):
            out.append(Sentence(i, s, markers_in(s)))
    return out


def evidence_record(r: Record) -> Record:
    """The record with the labels the prompt showed (citation label, step and
    phase names), so that a sentence may repeat them without being flagged."""
    extra = {"_label": r.citation_label(), "_step": step_label(r.step), "_phase": PHASE_LABELS.get(r.phase or "", "")}
    return replace(r, fields={**r.fields, **extra})


def check_sentence(s: Sentence, records: Sequence[Record], checker: GroundingChecker) -> SentenceCheck:
    plain = strip_markers(s.text)
    if s.heading:
        # a heading names a part of the answer (「他の自治体からの示唆」), it makes no claim of its
        # own: only its numbers must appear in one of the records shown
        c = checker.check(plain, records)
        return replace(c, ok=not c.missing_numbers, missing_words=(), sentence=s.text,
                       reason="numbers not in any record" if c.missing_numbers else "")
    if not s.cited:
        # ok only when it frames the answer (「熊本市の進め方を整理します。」): no claim, no number
        for name in {r.city for r in records if r.city}:
            plain = plain.replace(name, "")
        return replace(checker.check(plain, []), sentence=s.text)
    unknown = [n for n in s.cited if not 1 <= n <= len(records)]
    if unknown:
        return SentenceCheck(s.text, (), False, reason="unknown citation " + "".join(f"[{n}]" for n in unknown))
    return checker.check(plain, [records[n - 1] for n in s.cited])


def verify_reply(reply: str, records: Sequence[Record], checker: GroundingChecker, *,
                 mark: bool = False, renumber: bool = True, model: str = "") -> Verified:
    """Check every sentence of ``reply``; drop (or, with ``mark``, flag) the unsupported ones.

    With ``renumber`` the kept markers become [1], [2] … in reading order and index
    ``citations``; without it they keep the records' numbers (``[n]`` is ``records[n-1]``)
    and ``citations`` lists the cited records in that order."""
    evidence = [evidence_record(r) for r in records]
    sentences = reply_to_sentences(reply)
    checks = [check_sentence(s, evidence, checker) for s in sentences]
    removed: list[dict[str, Any]] = []
    marked: list[dict[str, Any]] = []
    kept: dict[int, list[tuple[Sentence, bool]]] = {}  # line -> [(sentence, flagged)]
    for s, c in zip(sentences, checks):
        if c.ok:
            kept.setdefault(s.line, []).append((s, False))
            continue
        item = {"sentence": s.text, "reason": c.reason, "missing_words": list(c.missing_words),
                "missing_numbers": list(c.missing_numbers), "cited": list(s.cited)}
        if mark:
            marked.append(item)
            kept.setdefault(s.line, []).append((s, True))
        else:
            removed.append(item)
    numbering = _first_use_numbering(kept, len(records))
    if not renumber:
        numbering = {n: n for n in sorted(numbering)}
    text = _rebuild(reply, kept, numbering)
    supported = sum(c.ok for c in checks)
    no_evidence = NO_ANSWER in reply and not any(s.cited for line in kept.values() for s, _ in line)
    verification = {"checked": len(checks), "supported": supported, "removed": removed, "marked": marked,
                    "ok": bool(text) and supported == len(checks), "model": model}
    citations = tuple(records[n - 1].id for n in sorted(numbering, key=numbering.get))
    return Verified(text, citations, verification, no_evidence)


def _first_use_numbering(kept: dict[int, list[tuple[Sentence, bool]]], n_records: int) -> dict[int, int]:
    """Reply number → number in the verified text, in reading order (1, 2, 3 …)."""
    numbering: dict[int, int] = {}
    for line in sorted(kept):
        for s, _ in kept[line]:
            for n in s.cited:
                if 1 <= n <= n_records and n not in numbering:
                    numbering[n] = len(numbering) + 1
    return numbering


def _renumber(sentence: str, numbering: dict[int, int]) -> str:
    def sub(m: re.Match) -> str:
        ns = [int(p) for p in re.split(r"[,、]", m.group(1))]
        return "".join(f"[{numbering[n]}]" for n in ns if n in numbering)
    return _MARKER.sub(sub, sentence)


def _rebuild(reply: str, kept: dict[int, list[tuple[Sentence, bool]]], numbering: dict[int, int]) -> str:
    lines: list[str] = []
    for i, line in enumerate(normalize_markers(reply).splitlines()):
        if not line.strip():
            lines.append("")
        elif i in kept:
            prefix = line_prefix(line)[0]
            parts = [_renumber(s.text, numbering) + (MARK if flagged else "") for s, flagged in kept[i]]
            lines.append(prefix + "".join(parts))
    lines = _drop_empty_sections(lines)
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return text


def _drop_empty_sections(lines: list[str]) -> list[str]:
    """A heading whose section lost all its sentences goes too."""
    out = []
    for i, line in enumerate(lines):
        if line.strip() and is_heading(line):
            level = heading_level(line)
            has_content = False
            for later in lines[i + 1:]:
                if later.strip() and is_heading(later) and heading_level(later) <= level:
                    break
                if later.strip() and not is_heading(later):
                    has_content = True
                    break
            if not has_content:
                continue
        out.append(line)
    return out
