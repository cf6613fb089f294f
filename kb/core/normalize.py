"""Text normalisation shared by both readers and by the search tokenizer.

``normalize_text`` = ``map_chars`` (NFKC plus the repairs NFKC does not make)
followed by ``repair_spaces`` (which only ever removes or collapses whitespace).
Both are idempotent; the non-whitespace characters of the result are exactly
those of ``map_chars(text)``.
"""
from __future__ import annotations

import re
import unicodedata

from kb.core.vocab import load_json

CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
CIRCLED_VALUE = {c: i + 1 for i, c in enumerate(CIRCLED)}

# Code point repairs NFKC does not make (radicals supplement → kanji, dash and dot variants):
# kb/core/vocab/chars.json.
_CHARS = load_json("chars")
_RADICALS_SUPPLEMENT = _CHARS["radicals_supplement"]
_EXTRA = _CHARS["extra"]
_TABLE = str.maketrans({**_RADICALS_SUPPLEMENT, **_EXTRA})
_CIRCLED_SPLIT = re.compile(f"([{CIRCLED}])")


def map_chars(text: str) -> str:
    """NFKC (keeping circled numbers, which NFKC would turn into plain digits)
    plus the code point repairs NFKC does not make."""
    text = text.translate(_TABLE)
    parts = _CIRCLED_SPLIT.split(text)
    out = "".join(p if (len(p) == 1 and p in CIRCLED_VALUE) else unicodedata.normalize("NFKC", p)
                  for p in parts)
    return out.translate(_TABLE)


def _is_japanese(ch: str) -> bool:
    o = ord(ch)
    return (0x3000 <= o <= 0x30FF or 0x3400 <= o <= 0x4DBF or 0x4E00 <= o <= 0x9FFF
            or 0xF900 <= o <= 0xFAFF or 0xFF00 <= o <= 0xFFEF or 0x2460 <= o <= 0x24FF
            or 0x2E80 <= o <= 0x2FDF or 0x31F0 <= o <= 0x31FF or 0x20000 <= o <= 0x2FFFF
            or ch in "■□◆◇●○▼▲※「」『』【】（）・〜～–—―✓➢📍")


_SPACES = re.compile(r"[^\S\n]+")


def repair_spaces(text: str) -> str:
    """Collapse runs of spaces; drop spaces that a PDF line break left inside
    Japanese words (a space next to a Japanese character); keep line breaks,
    stripping spaces at both ends of every line."""
    out_lines = []
    for line in text.split("\n"):
        line = _SPACES.sub(" ", line).strip()
        if " " in line:
            chars = []
            n = len(line)
            for i, ch in enumerate(line):
                if ch == " " and 0 < i < n - 1 and (_is_japanese(line[i - 1]) or _is_japanese(line[i + 1])):
                    continue
                chars.append(ch)
            line = "".join(chars)
        out_lines.append(line)
    return "\n".join(out_lines)


def normalize_text(text: str) -> str:
    """NFKC + code point repairs + whitespace repair; keeps line breaks."""
    return repair_spaces(map_chars(text.replace("\r\n", "\n").replace("\r", "\n")))


def normalize_line(text: str) -> str:
    """``normalize_text`` with line breaks joined away (a wrapped line is one line)."""
    return normalize_text(text).replace("\n", "")


def squash(text: str) -> str:
    """Comparison key: normalised, with every whitespace character removed."""
    return re.sub(r"\s+", "", map_chars(text))
