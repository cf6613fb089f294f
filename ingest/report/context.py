"""Shared helpers of the domain parsers: the parse context (document, section,
records and notes being collected), units, similarity and context chunks."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Union

from ingest.model import Block, Heading, ListItem, Loc, Paragraph, Row, Table, Toc
from kb.core.normalize import squash
from kb.core.textsim import char_bigrams, dice
from kb.core.records import Fact, ParseNote, Record, Source, phase_of_step, stable_id

Unit = Union[Paragraph, Row]


def blocks_to_units(blocks: Iterable[Block]) -> list[Unit]:
    """Compatibility with the document model (until the recognisers read it): a
    heading or list item is a paragraph of its text; a table of contents read
    from a table gives its rows as before, one read from leader lines is skipped."""
    out: list[Unit] = []
    for b in blocks:
        if isinstance(b, Table):
            out.extend(b.rows)
        elif isinstance(b, Toc):
            if b.table is not None:
                out.extend(b.table.rows)
        elif isinstance(b, Heading):
            out.append(Paragraph(b.text, b.loc))
        elif isinstance(b, ListItem):
            out.append(Paragraph(f"{b.marker}{b.text}" if b.marker else b.text, b.loc))
        else:
            out.append(b)
    return out


def unit_text(u: Unit) -> str:
    if isinstance(u, Paragraph):
        return u.text
    return " | ".join(c for c in u.cells if c.strip())


def unit_marker_text(u: Unit) -> str | None:
    """The text that can act as a heading: a paragraph, or a row with one filled cell."""
    if isinstance(u, Paragraph):
        return u.text
    filled = u.filled
    if len(filled) == 1:
        return filled[0]
    return None


def span(units: list[Unit]) -> Loc:
    locs = [u.loc for u in units]
    pages = [l.page for l in locs if l.page is not None]
    lines = [l.line for l in locs if l.line is not None]
    ends = [l.end_line or l.line for l in locs if l.line is not None]
    first = next((l for l in locs if l.page is not None and l.page == min(pages)), None) if pages else None
    last_page = max([*pages, *(l.end_page for l in locs if l.end_page is not None)]) if pages else None
    last = next((l for l in reversed(locs) if l.page is not None and l.page == last_page), None)
    last_printed = last.printed_page if last else next(
        (l.end_printed_page for l in reversed(locs) if l.end_page == last_page), None)
    spans = pages and last_page != min(pages)  # a chunk that runs onto the next page cites both
    return Loc(page=min(pages) if pages else None, line=min(lines) if lines else None,
               end_line=max(ends) if ends else None, printed_page=first.printed_page if first else None,
               end_page=last_page if spans else None, end_printed_page=last_printed if spans else None)


def bigrams(s: str) -> set[str]:
    return char_bigrams(re.sub(r"[■_「」『』()（）、。・:\-~]", "", squash(s)))


def similarity(a: str, b: str) -> float:
    """Dice coefficient of character bigrams (robust to small wording changes)."""
    return dice(bigrams(a), bigrams(b))


@dataclass
class ParseContext:
    document: str
    records: list[Record] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    notes: list[ParseNote] = field(default_factory=list)

    def source(self, section: str, loc: Loc) -> Source:
        lines = (loc.line, loc.end_line or loc.line) if loc.line is not None else None
        return Source(self.document, section, page=loc.page, lines=lines, printed_page=loc.printed_page,
                      end_page=loc.end_page, end_printed_page=loc.end_printed_page)

    def add(self, kind: str, *, city: str | None, section: str, loc: Loc, title: str, text: str,
            step: str | None = None, phase: str | None = None, scope: str | None = None,
            key: Any = None, **fields: Any) -> Record:
        phase = phase or phase_of_step(step)
        rid = stable_id(self.document, kind, city, step, scope, title, key if key is not None else text)
        # ids must be unique within a document even when two records read the same
        while any(r.id == rid for r in self.records):
            rid = stable_id(rid, "dup")
        rec = Record(id=rid, kind=kind, city=city, phase=phase, step=step, scope=scope,
                     title=title.strip(), text=text.strip(), source=self.source(section, loc),
                     fields=fields)
        self.records.append(rec)
        return rec

    def note(self, severity: str, section: str, message: str, fragment: str = "", loc: Loc | None = None) -> None:
        loc = loc or Loc()
        self.notes.append(ParseNote(self.document, severity, section, message, fragment[:200],
                                    page=loc.page, line=loc.line))

    def fact(self, city: str, name: str, value: int | None, raw: str, record: Record, where: str) -> None:
        self.facts.append(Fact(city, name, value, raw, record.id, where))


_HEADING = re.compile(r"^(?:\d+[.)]|\d+-\d+\.|[(（][^)）]{1,12}[)）]|■|【|図表|第\d章|[①-⑳])")
CONTEXT_CHUNK = 700


def add_context(ctx: ParseContext, units: list[Unit], *, city: str | None, section: str,
                title: str = "", **fields: Any) -> None:
    """Leftover narrative as ``context`` records, chunked at headings and ~700 characters."""
    chunk: list[Unit] = []
    chunk_title = title
    size = 0

    def flush() -> None:
        nonlocal chunk, size
        text = "\n".join(unit_text(u) for u in chunk).strip()
        if text and len(squash(text)) >= 8:
            ctx.add("context", city=city, section=section, loc=span(chunk),
                    title=chunk_title or text.split("\n")[0][:40], text=text, **fields)
        chunk, size = [], 0

    for u in units:
        t = unit_text(u)
        if not t.strip():
            continue
        is_heading = isinstance(u, Paragraph) and len(t) <= 40 and bool(_HEADING.match(t))
        if (is_heading and chunk) or size + len(t) > CONTEXT_CHUNK and chunk:
            flush()
        if is_heading and not chunk:
            chunk_title = t
        chunk.append(u)
        size += len(t)
    flush()
