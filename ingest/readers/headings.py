"""Headings shared by every reader: the numbering a heading starts with, the
heading hierarchy (levels) from the order in which numbering styles nest, and
the table of contents (entries that end in a page label).

Levels come from a stack of numbering *families*, as a reader of the document
infers them: the first family seen is level 1, a family first seen under another
nests one deeper, a family seen before returns to its level (closing everything
opened under it). A few families are structural everywhere — 第N部 above 第N章
above 2-1 and Ⅱ-1 — and close the relative ones (1. (1) ① (ア) 【…】) when they
come back. Typographic headings without numbering take a family from their
style (size, weight), so that two such styles nest as they appear. A table of
contents, where there is one, overrides: its entries carry their own levels.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ingest.model import Block, Heading, Loc, Paragraph, Toc, TocEntry
from kb.core.normalize import CIRCLED, normalize_text, squash

_ROMAN = "ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩⅪⅫ"
_KANJI_NUM = "一二三四五六七八九十"
_ROMAN_ASCII = r"(?:X{0,3}(?:IX|IV|VI{0,3}|I{1,3})|X{1,3})"  # NFKC turns Ⅱ into II
_NUM = rf"(?:\d+|[{_ROMAN}]+|{_ROMAN_ASCII})"
# (family, pattern, structural rank or None for relative families)
_FAMILIES: tuple[tuple[str, re.Pattern, int | None], ...] = (
    ("part", re.compile(rf"^第[\d{_KANJI_NUM}]+[部編](?=\s|$|[^\d])"), 0),
    ("chapter", re.compile(rf"^第[\d{_KANJI_NUM}]+章"), 1),
    ("roman", re.compile(rf"^(?:[{_ROMAN}]+|{_ROMAN_ASCII})(?:[.．、]|\s)(?!\d)"), 1),
    ("section3", re.compile(rf"^{_NUM}[-‐]\d+[-‐]\d+\.?(?=\s|[^\d.\-])"), 3),
    ("section", re.compile(rf"^{_NUM}[-‐]\d+\.?(?=\s|[^\d.\-])"), 2),
    ("node", re.compile(r"^第[\d{_KANJI_NUM}]+節"), 2),
    ("decimal3", re.compile(r"^\d+\.\d+\.\d+\.?(?=\s|[^\d.])"), 3),
    ("decimal2", re.compile(r"^\d+\.\d+\.?(?=\s|[^\d.%])"), 2),
    ("dot", re.compile(r"^\d{1,2}[.．](?=\s*[^\d\s.])"), None),
    ("kanji_dot", re.compile(rf"^[{_KANJI_NUM}]+[、.．](?=\s*\S)"), None),
    ("close_paren", re.compile(r"^\d{1,2}\)(?=\s*\S)"), None),
    ("paren", re.compile(r"^[(（]\d{1,2}[)）](?=\s*\S)"), None),
    ("circled", re.compile(rf"^[{CIRCLED}](?=\s*\S)"), None),
    ("kana_paren", re.compile(r"^[(（][アイウエオカキクケコ工][)）](?=\s*\S)"), None),
    ("alpha_paren", re.compile(r"^[(（][a-zA-Z][)）](?=\s*\S)"), None),
    ("kana_dot", re.compile(r"^[アイウエオカキクケコ][.．](?=\s*\S)"), None),
    ("bracket", re.compile(r"^【[^】]{1,40}】$"), None),
)
_SENTENCE_END = re.compile(r"[。．]$|[ですますた]。?$")
_NOT_HEADINGS = "■□●○◆◇・•※*＊→⇒「『"  # headlines of lessons, bullets, notes and quotes are items, not sections


# "1.5倍", "2.5 万人": a number with its unit, not a heading. A unit follows the number's digits;
# after the numbering's own punctuation ("3." "1)") the title starts, whatever its first letter
# (「3. 千葉県市原市」「2. 日時」「1) 人材育成」). The numeral kanji 万億千百 also begin names
# (千葉, 八千代, 百合ヶ丘, 万博): they are a unit only before a digit, another unit or the end.
_UNIT_AFTER = re.compile(r"[倍%％円人件年月日歳点回時分秒ヶか箇カ個社名世校]|[kcm]?m\b"
                         r"|[万億千百](?=$|[\d\s万億千百円人件世戸台本個名点、。,.)）])")


def numbering_of(text: str) -> tuple[str, str] | None:
    """(numbering as printed, family) of a line that starts with a heading number."""
    t = normalize_text(text).strip()
    for family, rx, _ in _FAMILIES:
        m = rx.match(t)
        if m:
            if family in ("decimal2", "decimal3") and m.group(0)[-1].isdigit() \
                    and _UNIT_AFTER.match(t[m.end():].lstrip()):
                return None
            num = m.group(0).strip() if family != "bracket" else "【】"
            return num, family
    return None


def family_rank(family: str) -> int | None:
    for f, _, rank in _FAMILIES:
        if f == family:
            return rank
    return None


def looks_like_heading(text: str, max_chars: int = 60) -> bool:
    """Short, not a sentence, not a bullet or ■ headline."""
    t = normalize_text(text).strip()
    if not t or len(t) > max_chars or t[0] in _NOT_HEADINGS:
        return False
    return not _SENTENCE_END.search(t) or len(t) <= 12


@dataclass
class LevelStack:
    """Assigns levels to headings in document order (see the module's docstring)."""
    stack: list[tuple[str, int | None]]

    def __init__(self) -> None:
        self.stack = []

    def level(self, family: str) -> int:
        rank = family_rank(family) if not family.startswith("style:") else None
        names = [f for f, _ in self.stack]
        if family in names:
            del self.stack[names.index(family) + 1:]
            return len(self.stack)
        if rank is not None:
            while self.stack and (self.stack[-1][1] is None or self.stack[-1][1] >= rank):
                self.stack.pop()
        self.stack.append((family, rank))
        return len(self.stack)


def headings_to_levels(blocks: list[Block], families: dict[int, str] | None = None) -> list[Block]:
    """Blocks with every ``Heading``'s level set: from the table of contents
    where the heading is listed there, else from the numbering stack.
    ``families`` maps a block index to the family of an unnumbered heading
    (its style); numbered headings use their numbering's family."""
    toc_levels = {squash(e.text): e.level for b in blocks if isinstance(b, Toc) for e in b.entries}
    families = families or {}
    stack = LevelStack()
    out: list[Block] = []
    for i, b in enumerate(blocks):
        if isinstance(b, Paragraph) and squash(b.text) in toc_levels and looks_like_heading(b.text):
            b = Heading(b.text, 0, b.loc, "", "toc")  # listed in the contents: a heading in body type
        if not isinstance(b, Heading):
            out.append(b)
            continue
        num = numbering_of(b.text)
        family = num[1] if num else families.get(i, "style:plain")
        level = stack.level(family)
        key = squash(b.text)
        if key in toc_levels:
            level = toc_levels[key]
        out.append(replace(b, level=level))
    return out


# --- table of contents -------------------------------------------------------------

LEADER = re.compile(r"[.．・…‥_―─]{3,}")  # a dot leader between a contents title and its page
_LEADER = re.compile(r"\s*(?:[.．・…‥_\-―─]{3,}|\s{2,}|\t)\s*")
_PAGE_LABEL = re.compile(rf"^(?:\d{{1,4}}|[{_ROMAN}ivxlcdmIVXLCDM]+|[\d{_ROMAN}]+[-‐]\d{{1,4}})$")
_BROKEN_REF = re.compile(r"^エラー!?\s*ブックマーク")  # Word's broken page reference keeps the entry


def toc_line_parts(text: str) -> tuple[str, str] | None:
    """("1-2. 目的", "3") of a contents line ending in a page label after a dot
    leader, a tab or a wide gap; None for other lines."""
    t = normalize_text(text).strip()
    m = re.match(r"^(.*?\S)\s*(?:[.．・…‥_―─]{3,}|\s{2,}|\t|\s)\s*(\S+)$", t)
    if not m:
        return None
    title, label = m.group(1), m.group(2)
    title = _LEADER.sub(" ", title).rstrip(" .．・…‥")
    leader = re.search(r"[.．・…‥_―─]{3,}", t) is not None
    if _PAGE_LABEL.match(label) and (leader or numbering_of(title)) and len(title) >= 2:
        return title.strip(), label
    # a leader glued to the last words: "重点計画の推進 ....... 6" is handled above; "…推進6" is not a toc line
    return None


def toc_row_parts(cells: tuple[str, ...]) -> tuple[str, str] | None:
    """A contents row of a table: a title cell and a page-label cell."""
    filled = [c.strip() for c in cells if c.strip()]
    if len(filled) != 2:
        return None
    title, label = filled
    if _PAGE_LABEL.match(squash(label)) or _BROKEN_REF.match(label):
        title = _LEADER.sub(" ", title).rstrip(" .．・…‥")
        return title, squash(label) if _PAGE_LABEL.match(squash(label)) else ""
    return None


def entries_to_toc(parts: list[tuple[str, str, Loc, float]], table=None) -> Toc:
    """(title, page label, loc, indent) → a ``Toc`` with levels: from the
    numbering stack, refined by the indentation where the PDF gives one."""
    stack = LevelStack()
    indents = sorted({round(p[3]) for p in parts})
    entries = []
    for title, label, loc, indent in parts:
        num = numbering_of(title)
        if num:
            level = stack.level(num[1])
        elif len(indents) > 1:
            level = 1 + min(range(len(indents)), key=lambda k: abs(indents[k] - indent))
        else:
            level = 1
        entries.append(TocEntry(title, level, loc, num[0] if num else "", label))
    return Toc(tuple(entries), parts[0][2], table)


def table_or_toc(table, settings) -> Block:
    """A table whose rows are (title, page label) is a table of contents."""
    rows = table.rows
    parts = [toc_row_parts(r.cells) for r in rows]
    hits = [(p, r) for p, r in zip(parts, rows) if p]
    if len(hits) >= settings.toc_min_entries and len(hits) >= settings.toc_share * len(rows):
        return entries_to_toc([(p[0], p[1], r.loc, 0.0) for p, r in hits], table)
    return table


def levels_under_markup(blocks: list[Block], max_chars: int = 60) -> list[Block]:
    """A marked-up document (HTML h1–h6, Word heading styles) keeps its headings'
    levels; short numbered paragraphs between them are headings too, nested
    under the last marked-up heading by their numbering."""
    out: list[Block] = []
    base = 0
    stack = LevelStack()
    for b in blocks:
        if isinstance(b, Heading) and b.source == "markup":
            base, stack = b.level, LevelStack()
            out.append(b)
            continue
        if isinstance(b, (Paragraph, Heading)):
            num = numbering_of(b.text)
            if num and looks_like_heading(b.text, max_chars):
                out.append(Heading(b.text, base + stack.level(num[1]), b.loc, num[0], "numbering"))
                continue
        out.append(b)
    return out
