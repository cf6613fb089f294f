"""Page furniture of a PDF: running headers and footers, page numbers and
footnotes, taken out of the body into ``Furniture``; and the page number
printed on each page (``Loc.printed_page``), which differs from the PDF page
index wherever a cover or a contents page is not counted.

Running lines are the first and last lines of a page, in the edge zones and
apart from the body, whose text (digits masked) repeats on many pages: a title
with its page number, 「N / M」, 「― N ―」, or the left/right alternation of
facing pages (each side repeats on every other page). A page number is a number
in such a line that advances with the page index: the most common offset
between the two across the document, or one a neighbouring page confirms.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from typing import Protocol

from ingest.model import Furniture, Loc
from ingest.readers.settings import DEFAULT_SETTINGS, ReaderSettings
from kb.core.normalize import map_chars, normalize_text, squash

_DASH = "-‐–—―－ー~〜"
# the number of the page inside a running line: alone, between dashes, "N / M", "p.N", "N ページ", "- N -"
_NUMBER_FORMS = (
    re.compile(rf"^[{_DASH}]?\s*(\d{{1,4}})\s*[{_DASH}]?$"),
    re.compile(r"^(\d{1,4})\s*/\s*\d{1,4}$"),
    re.compile(r"^(?:p|P|page|Page|PAGE)\.?\s*(\d{1,4})$"),
    re.compile(r"^(\d{1,4})\s*(?:ページ|頁)$"),
    re.compile(r"^[(（]\s*(\d{1,4})\s*[)）]$"),
)
_TRAILING = re.compile(rf"(?:^|\s)[{_DASH}]?\s*(\d{{1,4}})(?:\s*/\s*\d{{1,4}})?\s*[{_DASH}]?$")
_LEADING = re.compile(rf"^[{_DASH}]?\s*(\d{{1,4}})(?:\s*/\s*\d{{1,4}})?\s*[{_DASH}]?(?:\s|$)")


class _Line(Protocol):
    text: str
    top: float
    bottom: float
    size: float
    x0: float
    x1: float


class _Page(Protocol):
    number: int
    height: float
    lines: tuple
    tables: tuple


def page_number_in(text: str) -> int | None:
    """The page number a running line shows, alone or beside a title."""
    t = map_chars(text).strip()
    for rx in _NUMBER_FORMS:
        m = rx.match(squash(t)) or rx.match(t)
        if m:
            return int(m.group(1))
    for rx in (_TRAILING, _LEADING):
        m = rx.search(t)
        if m and len(squash(t)) > len(m.group(1)):
            return int(m.group(1))
    return None


def is_page_number(text: str) -> bool:
    t = squash(normalize_text(text))
    return any(rx.match(t) for rx in _NUMBER_FORMS)


def zone_lines(page: _Page, settings: ReaderSettings = DEFAULT_SETTINGS) -> list[tuple[str, _Line, bool]]:
    """The first and last two lines of a page that sit in the edge zones apart
    from the body: (where, line, apart). ``apart``: a gap of ``edge_gap`` line
    heights (or a table) between them and the body; otherwise a gap of at least
    ``edge_gap_repeated`` (such a line is furniture only where it repeats at the
    same place). Two lines of a running header set close together are apart as
    a pair."""
    out = []
    tops = [t.top for t in page.tables]
    bottoms = [t.bottom for t in page.tables]
    lines = list(page.lines)
    zone = settings.edge_zone * page.height

    def keep(where: str, group: list[tuple[_Line, float]]) -> None:
        for k, (line, _) in enumerate(group):
            gap = max(g for _, g in group[k:])
            if gap >= settings.edge_gap_repeated:
                out.append((where, line, gap > settings.edge_gap))

    head: list[tuple[_Line, float]] = []
    for i, line in enumerate(lines[:2]):
        below = lines[i + 1].top if i + 1 < len(lines) else min(tops, default=page.height)
        below = min([below] + [t for t in tops if t >= line.bottom])
        if line.bottom < zone and all(line.bottom <= t for t in tops) and below - line.bottom > -0.1 * line.size:
            head.append((line, (below - line.bottom) / line.size))
        else:
            break
    keep("top", head)
    foot: list[tuple[_Line, float]] = []
    for i in range(len(lines) - 1, max(-1, len(lines) - 3), -1):
        line = lines[i]
        above = lines[i - 1].bottom if i else max(bottoms, default=0.0)
        above = max([above] + [b for b in bottoms if b <= line.top])
        if line.top > page.height - zone and all(line.top >= b for b in bottoms) and line.top - above > -0.1 * line.size:
            foot.append((line, (line.top - above) / line.size))
        else:
            break
    keep("bottom", foot)
    return out


def running_key(text: str) -> str:
    return re.sub(r"\d+", "#", squash(text))


def printed_page_numbers(numbers: dict[int, list[int]]) -> dict[int, int]:
    """page index → printed number, from the numbers seen in each page's
    running lines: a number is the page's when its offset to the index is the
    document's most common one, or the offset of a neighbouring page's number."""
    offsets = Counter(n - page for page, ns in numbers.items() for n in set(ns))
    if not offsets:
        return {}
    common = {d for d, c in offsets.items() if c >= 2}
    out: dict[int, int] = {}
    for page, ns in numbers.items():
        near = {n - p for p in (page - 1, page + 1) for n in numbers.get(p, [])}
        fits = [n for n in ns if n - page in near]
        if not fits and len(numbers) <= 2:
            fits = [n for n in ns if n - page in common or len(numbers) == 1]
        if not fits:
            best = max(common, key=lambda d: offsets[d], default=None)
            fits = [n for n in ns if best is not None and n - page == best]
        if fits:
            out[page] = fits[0]
    return out


def pages_to_furniture(pages: list, settings: ReaderSettings = DEFAULT_SETTINGS):
    """Pages without their running lines, the furniture taken out, and the
    printed page number of each page (index → str)."""
    zoned = {p.number: zone_lines(p, settings) for p in pages}
    counts: Counter = Counter()
    placed: Counter = Counter()  # the same text at the same height
    for p in pages:
        for key in {(w, running_key(l.text)) for w, l, _ in zoned[p.number]}:
            counts[key] += 1
        for key in {(w, running_key(l.text), round(l.top / 2)) for w, l, _ in zoned[p.number]}:
            placed[key] += 1
    # facing pages: a side repeats on every other page, so half the share is enough
    need = max(2, int(len(pages) * settings.running_share / 2 + 0.5))
    running = {k for k, n in counts.items() if n >= need}
    fixed = {k for k, n in placed.items() if n >= max(2, int(len(pages) * settings.running_share + 0.5))}

    def furniture_kind(w: str, line, apart: bool) -> str | None:
        if not apart and (w, running_key(line.text), round(line.top / 2)) not in fixed:
            return None
        if is_page_number(line.text):
            return "page_number"
        if (w, running_key(line.text)) in running:
            return "header" if w == "top" else "footer"
        return None

    numbers: dict[int, list[int]] = {}
    for p in pages:
        for w, l, apart in zoned[p.number]:
            if furniture_kind(w, l, apart):
                n = page_number_in(l.text)
                if n is not None:
                    numbers.setdefault(p.number, []).append(n)
    printed = printed_page_numbers(numbers)
    furniture: list[Furniture] = []
    out = []
    for p in pages:
        label = str(printed[p.number]) if p.number in printed else None
        drop = set()
        for w, l, apart in zoned[p.number]:
            kind = furniture_kind(w, l, apart)
            if kind:
                drop.add(id(l))
                furniture.append(Furniture(normalize_text(l.text).strip(), Loc(page=p.number, printed_page=label), kind))
        out.append(replace(p, lines=tuple(l for l in p.lines if id(l) not in drop)))
    return out, furniture, {k: str(v) for k, v in printed.items()}


def footnotes_of(page, rules: tuple, body_size: float, settings: ReaderSettings = DEFAULT_SETTINGS):
    """Footnote lines of a page: below a short rule in the lower part of the page,
    smaller than the body text. Returns (lines kept, footnote lines)."""
    if not rules or not page.lines:
        return list(page.lines), []
    width = max(l.x1 for l in page.lines) - min(l.x0 for l in page.lines)
    short = [r for r in rules if r[2] - r[0] <= settings.footnote_rule_max_width * width and r[1] > page.height * 0.5]
    if not short:
        return list(page.lines), []
    y = min(r[1] for r in short)
    below = [l for l in page.lines if l.top >= y]
    if not below or not any(l.size <= body_size * settings.footnote_size_ratio for l in below) \
            or any(t.top >= y for t in page.tables):
        return list(page.lines), []
    return [l for l in page.lines if l.top < y], below
