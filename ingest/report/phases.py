"""Phase and step recognition. The step *name* is the key, never the circled
number (the source labels 熊本市's step 6 as ⑩)."""
from __future__ import annotations

import re

from kb.core.vocab import unify_spellings
from kb.core.normalize import squash

# Order matters: the first pattern that matches wins.
_STEP_PATTERNS: tuple[tuple[str, str], ...] = (
    ("1", r"主担当部署|主担当者の設定|所管課の設定"),
    ("2", r"担当者の初動|初動"),
    ("3", r"現状把握"),
    ("4-1", r"テーマ(の)?(決定|設定)|取組テーマ|取り組みテーマ"),
    ("4-2", r"企画・?設計"),
    ("5", r"リストアップ|初期メンバー|声掛け|声がけ"),
    ("6", r"情報発信"),
    ("7", r"(PF|プラットフォーム)の運営|^運営$"),
    ("8", r"地域協議会の設置"),
    ("9", r"拡大・?活性化|活性化"),
)
_STEP_RES = tuple((code, re.compile(p)) for code, p in _STEP_PATTERNS)

_PHASES = (
    ("initial", "初期段階"),
    ("preparation", "準備段階"),
    ("launch", "設立段階"),
    ("self_sustaining", "自走段階"),
)
# (ア)…(エ); the source also prints (工) with the kanji 工 for the katakana エ
_PHASE_LINE = re.compile(r"^[(（]?\s*[アイウエ工]\s*[)）]?\s*(初期|準備|設立|自走)段階$")


def step_from_name(name: str) -> str | None:
    """Canonical step code from a step name, or None."""
    key = unify_spellings(squash(name).replace("取り組み", "取組"))
    for code, rx in _STEP_RES:
        if rx.search(key):
            return code
    return None


def phase_from_line(text: str) -> str | None:
    """"(工)自走段階" → "self_sustaining"; None when the text is not a phase line."""
    key = squash(text)
    if not _PHASE_LINE.match(key):
        return None
    for code, label in _PHASES:
        if label in key:
            return code
    return None


_STEP_MARK = re.compile(r"^([①-⑳])\s*(?:[-ー−‐―]\s*([12]))?")


def step_mark(text: str) -> str | None:
    """The step number as printed ("④ー1" → "4-1", "⑩" → "10"): informational only."""
    m = _STEP_MARK.match(text.strip())
    if not m:
        return None
    n = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳".index(m.group(1)) + 1
    return f"{n}-{m.group(2)}" if m.group(2) else str(n)


def strip_step_mark(text: str) -> str:
    return _STEP_MARK.sub("", text.strip()).strip()
