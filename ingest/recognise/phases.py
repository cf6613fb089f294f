"""Phase headings of any document mapped to the four canonical phases: by the phase words of
kb/core/vocab/recognise.json (構想期 → initial, 設立期 → launch …), and, when a document names as
many phases as the model has, by their order (第1段階 … 第4段階, フェーズ1 …)."""
from __future__ import annotations

import re

from kb.core.normalize import squash
from kb.core.records import PHASES
from kb.core.vocab import load_json

CANONICAL = tuple(code for code, _ in PHASES)
_CUE = re.compile(r"^(?:[(（]?[アイウエ工a-d][)）])?(?:第?[0-9一二三四]{1,2})?(?P<name>[^\s:：。、]{0,10}?)"
                  r"(?:段階|期|フェーズ|ステップ|ステージ|Phase|PHASE|Stage)\s?[0-9]{0,2}$")
_NOT_PHASE = re.compile(r"(時期|学期|任期|上期|下期|今期|長期|短期|中期|同期|定期|延期|周期|予期|期間|年度期|前期|後期)$")


def is_phase_title(title: str) -> bool:
    """「構想期」「第2段階」「フェーズ3」「(イ)準備段階」「準備期(R5年度)」: a heading that names a phase."""
    key = re.sub(r"[(（][^)）]*[)）]$", "", squash(title))
    key = re.sub(r"^[【〈<]|[】〉>]$", "", key)
    return bool(_CUE.match(key)) and not _NOT_PHASE.search(key) and len(key) <= 14


def phase_by_words(title: str) -> str | None:
    key = squash(title)
    words = load_json("recognise")["phase_words"]
    best = None
    for code in CANONICAL:
        for w in words[code]:
            pos = key.find(w)
            if pos >= 0 and (best is None or pos < best[0] or pos == best[0] and len(w) > best[2]):
                best = (pos, code, len(w))
    return best[1] if best else None


def _ordinal(title: str) -> int | None:
    m = re.search(r"(?:第|フェーズ|ステップ|ステージ|Phase|PHASE|Stage)\s?([0-9一二三四])", squash(title))
    if not m:
        return None
    d = m.group(1)
    return "一二三四".index(d) + 1 if d in "一二三四" else int(d)


def phases_of_titles(titles: list[str]) -> dict[str, str]:
    """Phase title → canonical phase for all phase titles of one document (in reading order).
    Four distinct phases: by their order. Otherwise by words, then by ordinal, then by position."""
    distinct: list[str] = []
    for t in titles:
        k = squash(t)
        if k not in distinct:
            distinct.append(k)
    out: dict[str, str] = {}
    if len(distinct) == len(CANONICAL):
        ordinals = [_ordinal(t) for t in distinct]
        if all(o is not None for o in ordinals) and sorted(ordinals) == list(range(1, 5)):
            return {t: CANONICAL[o - 1] for t, o in zip(distinct, ordinals)}
        return {t: CANONICAL[i] for i, t in enumerate(distinct)}
    for i, t in enumerate(distinct):
        code = phase_by_words(t)
        if code is None and (o := _ordinal(t)) is not None:
            code = CANONICAL[min(o, len(CANONICAL)) - 1]
        if code is None:
            code = CANONICAL[min(len(CANONICAL) - 1, i * len(CANONICAL) // max(1, len(distinct)))]
        out[t] = code
    return out
