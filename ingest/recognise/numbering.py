"""The numbering grammar of Japanese official documents: which numbering a line starts with
(第N章, 第N部, 第N節, Ⅰ/Ⅱ, N-N., N., N), (N), ①, (ア), 【…】, 第N段階/フェーズN) and its title.

A *style* names the kind of numbering ("chapter", "dash", "paren" …); levels are not fixed per
style: ``ingest.recognise.tree`` ranks styles by the order in which they first appear."""
from __future__ import annotations

import re
from dataclasses import dataclass

from kb.core.normalize import CIRCLED

_ROMAN = r"(?:X{0,3}(?:IX|IV|V?I{1,3}|V)|[ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ])"
_KANJI_NUM = r"[0-9一二三四五六七八九十]{1,3}"

# (style, pattern): the pattern's group "num" is the numbering as printed, the rest is the title.
# Order matters: the first pattern that matches wins.
_STYLES: tuple[tuple[str, str], ...] = (
    ("part", rf"(?P<num>第{_KANJI_NUM}部)"),
    ("chapter", rf"(?P<num>第{_KANJI_NUM}章)"),
    ("jsection", rf"(?P<num>第{_KANJI_NUM}節)"),
    ("stage", rf"(?P<num>第{_KANJI_NUM}(?:段階|期|フェーズ|ステップ)|(?:フェーズ|ステップ|STEP|Step|Phase|PHASE)\s?\d{{1,2}})"),
    ("item_no", r"(?P<num>(?:[^\s\d]{0,6})No\.\s?\d{1,4})"),
    ("roman_dash", rf"(?P<num>{_ROMAN}-\d{{1,2}}\.?)"),
    ("roman", rf"(?P<num>{_ROMAN}[.．、]|{_ROMAN}(?=\s))"),
    ("dash3", r"(?P<num>\d{1,2}-\d{1,2}-\d{1,2}(?:\.|(?=\s)))"),
    ("dash", r"(?P<num>\d{1,2}-\d{1,2}(?:\.|(?=\s)))"),
    ("dot", r"(?P<num>\d{1,2}[.．])(?!\d)"),
    ("paren_r", r"(?P<num>\d{1,2}\))"),
    ("paren", r"(?P<num>[(（]\d{1,2}[)）])"),
    ("circled", rf"(?P<num>[{CIRCLED}])(?![-ー−‐―]\s*\d)"),
    ("kana_paren", r"(?P<num>[(（][アイウエオカキクケコ工a-e][)）])"),
    ("bracket", r"(?P<num>【[^】]{1,30}】)(?=\s*$)"),
)
_STYLE_RES = tuple((s, re.compile(r"^\s*" + p + r"\s*(?P<title>.*)$")) for s, p in _STYLES)
_LEADER = re.compile(r"(?:\.{4,}|…{2,}|・{4,}|‥{2,}|\s\d{1,3}\s*$)")


@dataclass(frozen=True)
class Numbered:
    style: str  # "chapter", "dash", "paren" …
    numbering: str  # as printed: "第2章", "2-1.", "(1)", "①"
    title: str  # the rest of the line ("" for 【…】, whose numbering is the title)
    value: int | None  # the ordinal (2 for "第2章", 3 for "③"), None where there is none


def numbering_of(line: str) -> Numbered | None:
    """The numbering a line starts with, or None. 「1.5倍に」 and 「1-2月」 are not numbering."""
    text = line.strip()
    for style, rx in _STYLE_RES:
        m = rx.match(text)
        if not m:
            continue
        title = m.group("title").strip()
        if style not in ("bracket", "item_no") and not title:
            continue
        if style == "bracket":
            title = m.group("num")[1:-1].strip()
        return Numbered(style, m.group("num").strip(), title, _value(m.group("num")))
    return None


_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10}
_FULL_ROMAN = "ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ"
_KANJI_DIGITS = "一二三四五六七八九"


def _value(num: str) -> int | None:
    if num[0] in CIRCLED:
        return CIRCLED.index(num[0]) + 1
    digits = re.findall(r"\d+", num)
    if digits:
        return int(digits[-1])
    k = re.search(r"[一二三四五六七八九十]+", num)
    if k:
        s = k.group(0)
        if s == "十":
            return 10
        if "十" in s:
            a, _, b = s.partition("十")
            return (_KANJI_DIGITS.index(a) + 1 if a else 1) * 10 + (_KANJI_DIGITS.index(b) + 1 if b else 0)
        return _KANJI_DIGITS.index(s[0]) + 1
    r = re.search(_ROMAN, num)
    if r:
        s = r.group(0)
        if s in _FULL_ROMAN:
            return _FULL_ROMAN.index(s) + 1
        total = 0
        for i, ch in enumerate(s):
            v = _ROMAN_VALUES[ch]
            total += -v if i + 1 < len(s) and _ROMAN_VALUES[s[i + 1]] > v else v
        return total
    return None


def is_toc_line(line: str) -> bool:
    """A contents entry: dot leaders, or a title followed by its page number."""
    return bool(_LEADER.search(line))
