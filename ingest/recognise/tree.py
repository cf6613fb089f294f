"""Blocks → a section tree. Headings are the reader's ``Heading`` blocks where it gives them;
otherwise paragraphs that start with a numbering (``numbering_of``), their levels ranked by the
order in which each numbering style first appears below the current one (the first style met is
level 1, a style first met under a level-2 heading is level 3 …), never by a list of titles.

Pipeline: ``blocks_to_candidates`` (which blocks can be headings, wrapped headings joined,
enumerations demoted) → ``candidates_to_levels`` → ``blocks_to_tree``."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterator

from ingest.model import Block, Heading, Loc, Paragraph, Table, block_loc, block_text
from ingest.recognise.numbering import Numbered, is_toc_line, numbering_of


@dataclass(frozen=True)
class TreeSettings:
    """Tolerances of heading finding (defaults tabled in docs/recognise.md)."""
    max_heading_chars: int = 60  # a numbered paragraph longer than this is body text
    wrapped_heading_chars: int = 28  # a heading this long may have wrapped onto the next line …
    max_continuation_chars: int = 30  # … if that line is this short and holds no 。
    min_headings_from_reader: int = 3  # trust the reader's Heading blocks when it gives this many

    def __post_init__(self) -> None:
        for name in ("max_heading_chars", "wrapped_heading_chars", "max_continuation_chars"):
            if getattr(self, name) < 1:
                raise ValueError(f"TreeSettings.{name} must be ≥ 1, got {getattr(self, name)}")


DEFAULT_TREE = TreeSettings()


@dataclass
class Section:
    title: str  # the heading's title without its numbering ("福岡市"), "" for the root
    heading: Block | None = None  # the heading block as read
    numbering: str = ""  # "2-1.", "(1)", "①", "" for typographic headings
    style: str = ""  # numbering style ("dash", "paren" …) or "reader" for a reader's heading
    level: int = 0  # 0 = the document (root)
    blocks: list[Block] = field(default_factory=list)  # own body, before the first child
    children: list["Section"] = field(default_factory=list)
    parent: "Section | None" = field(default=None, repr=False)

    @property
    def heading_text(self) -> str:
        return block_text(self.heading).strip() if self.heading is not None else ""

    @property
    def path(self) -> list[str]:
        """Heading texts from the top of the document down to this section."""
        out, s = [], self
        while s is not None and s.heading is not None:
            out.append(s.heading_text)
            s = s.parent
        return out[::-1]

    def walk(self) -> Iterator["Section"]:
        yield self
        for c in self.children:
            yield from c.walk()

    def body_blocks(self) -> list[Block]:
        """Every block of the subtree in reading order, headings as paragraphs (for recognisers
        that read a section as a flat sequence), this section's own heading excluded."""
        out = list(self.blocks)
        for c in self.children:
            if c.heading is not None:
                out.append(as_paragraph(c.heading))
            out.extend(c.body_blocks())
        return out

    @property
    def loc(self) -> Loc:
        return block_loc(self.heading) if self.heading is not None else (block_loc(self.blocks[0]) if self.blocks else Loc())


def as_paragraph(block: Block) -> Block:
    if isinstance(block, Heading):
        return Paragraph(block.text, block.loc)
    return block


@dataclass(frozen=True)
class Candidate:
    index: int  # position in the (joined) block list
    numbered: Numbered | None
    level: int | None = None  # a reader's own level


def _joined(a: Paragraph, b: Paragraph) -> Paragraph:
    end = b.loc.end_line or b.loc.line
    last, last_printed = (b.loc.end_page, b.loc.end_printed_page) if b.loc.end_page is not None else (b.loc.page, b.loc.printed_page)
    onto = last is not None and a.loc.page is not None and last != a.loc.page  # a heading run onto the next page
    return Paragraph(a.text + b.text, Loc(a.loc.page, a.loc.line, end, a.loc.printed_page,
                                          end_page=last if onto else None, end_printed_page=last_printed if onto else None))


def _unbalanced(text: str) -> bool:
    return any(text.count(o) > text.count(c) for o, c in ("()", "（）", "「」", "【】"))


def toc_span(blocks: list[Block]) -> tuple[int, int] | None:
    """First and last index of the contents list (paragraphs with dot leaders or page numbers)."""
    hits = [i for i, b in enumerate(blocks) if isinstance(b, Paragraph) and is_toc_line(b.text)
            and numbering_of(b.text) is not None or isinstance(b, Paragraph) and "...." in b.text]
    if len(hits) < 2:
        return None
    return hits[0], hits[-1]


def blocks_to_candidates(blocks: list[Block], settings: TreeSettings = DEFAULT_TREE) -> tuple[list[Block], list[Candidate]]:
    """The blocks (wrapped headings joined into one paragraph) and which of them are headings."""
    readers = [b for b in blocks if isinstance(b, Heading)]
    trust_reader = len(readers) >= settings.min_headings_from_reader
    reader_levels: dict[str, Counter] = {}
    for b in readers:
        if (n := numbering_of(b.text)) is not None:
            reader_levels.setdefault(n.style, Counter())[b.level] += 1
    toc = toc_span(blocks)
    out: list[Block] = []
    cands: list[Candidate] = []
    i = 0
    while i < len(blocks):
        b = blocks[i]
        i += 1
        in_toc = toc is not None and toc[0] <= i - 1 <= toc[1]
        if isinstance(b, Heading) and trust_reader:
            num = numbering_of(b.text)
            # a numbered heading is ranked by its numbering like any other; a typographic one
            # (a band, a larger bold line) by the reader's level, as a style of its own
            cands.append(Candidate(len(out), num or Numbered(f"typo{b.level}", "", b.text.strip(), None), b.level))
            out.append(b)
            continue
        if not isinstance(b, (Paragraph, Heading)) or in_toc:
            out.append(b)
            continue
        text = b.text.strip()
        num = numbering_of(text)
        if num is None or is_toc_line(text):
            out.append(b)
            continue
        nxt = blocks[i] if i < len(blocks) else None
        if isinstance(nxt, Paragraph) and numbering_of(nxt.text) is None and "。" not in text \
                and (len(text) >= settings.wrapped_heading_chars or _unbalanced(text)):
            if len(nxt.text) <= settings.max_continuation_chars and "。" not in nxt.text:
                b = _joined(Paragraph(text, b.loc), nxt)  # a heading wrapped onto a second line
                text, num, i = b.text, numbering_of(b.text), i + 1
        if len(text) > settings.max_heading_chars + settings.max_continuation_chars \
                or len(num.title) > settings.max_heading_chars or "。" in text or text.endswith("、"):
            out.append(b)
            continue
        cands.append(Candidate(len(out), num))
        out.append(b)
    if not trust_reader:
        return out, _demote_enumerations(cands)
    # the reader's headings, and the paragraphs numbered like them (a heading the reader missed)
    reader_at = {c.index for c in cands if isinstance(out[c.index], Heading)}
    extra = {c.index for c in _demote_enumerations([c for c in cands if c.index not in reader_at])
             if c.numbered is not None and c.numbered.style in reader_levels}
    return out, [c for c in cands if c.index in reader_at or c.index in extra]


def _demote_enumerations(cands: list[Candidate]) -> list[Candidate]:
    """Numbered lines that follow each other with no body between them and count up by one
    ((1)(2)(3) listed in a paragraph) are an enumeration, not headings."""
    drop: set[int] = set()
    for a, b in zip(cands, cands[1:]):
        na, nb = a.numbered, b.numbered
        if b.index == a.index + 1 and na and nb and na.style == nb.style and na.value is not None \
                and nb.value == na.value + 1:
            drop |= {a.index, b.index}
    return [c for c in cands if c.index not in drop]


# The usual nesting of numbering styles in Japanese official documents, outermost first. It only
# breaks a tie: two styles that first appeared at the same depth, when one opens a list (its
# number 1) right under the other.
CONVENTIONAL_DEPTH = ("part", "chapter", "jsection", "roman", "roman_dash", "stage", "dash", "dash3", "dot",
                      "paren_r", "paren", "item_no", "circled", "kana_paren", "bracket")


_TYPO_DEPTH = {"typo1": "chapter", "typo2": "dash", "typo3": "dot"}  # a reader's typographic heading levels


def _depth(style: str) -> int:
    style = _TYPO_DEPTH.get(style, style)
    return CONVENTIONAL_DEPTH.index(style) if style in CONVENTIONAL_DEPTH else len(CONVENTIONAL_DEPTH)


def candidates_to_levels(cands: list[Candidate]) -> list[int]:
    """Level of each heading: the reader's where given, else by the first appearance of its style
    (one below the heading it first appears under)."""
    levels: dict[str, int] = {}
    out: list[int] = []
    current, prev = 0, None
    open_: list[tuple[str, int]] = []  # (style, level) of the headings above the current position
    for c in cands:
        style = c.numbered.style if c.numbered else "plain"
        if style not in levels:
            # one below the current heading (or where the reader put it), unless the usual nesting
            # puts it above an open heading (「第2部」 met first after 「1.」 sections): then it takes
            # that heading's level
            above = next((lv for st, lv in open_ if _depth(st) > _depth(style)), None)
            levels[style] = above if above is not None else c.level if c.level is not None else current + 1
        elif prev is not None and style != prev and levels[style] <= levels[prev] \
                and c.numbered is not None and c.numbered.value == 1 and _depth(style) > _depth(prev):
            levels[style] = levels[prev] + 1  # ① opening a list under (1): one level down from now on
        current, prev = levels[style], style
        open_ = [(st, lv) for st, lv in open_ if lv < current] + [(style, current)]
        out.append(current)
    return out


def blocks_to_tree(blocks: list[Block], settings: TreeSettings = DEFAULT_TREE) -> Section:
    blocks, cands = blocks_to_candidates(blocks, settings)
    levels = candidates_to_levels(cands)
    heading_at = {c.index: (c, lv) for c, lv in zip(cands, levels)}
    root = Section("")
    stack = [root]
    for i, b in enumerate(blocks):
        if i not in heading_at:
            stack[-1].blocks.append(b)
            continue
        c, lv = heading_at[i]
        while stack[-1].level >= lv:
            stack.pop()
        num = c.numbered
        title = num.title if num else block_text(b).strip()
        sec = Section(title, b, num.numbering if num else "", num.style if num else "reader", lv,
                      parent=stack[-1])
        stack[-1].children.append(sec)
        stack.append(sec)
    return root


def tree_outline(root: Section) -> str:
    """The tree as indented lines (for debugging and for `pfkb stats`)."""
    return "\n".join("  " * (s.level - 1) + s.heading_text for s in root.walk() if s.heading is not None)
