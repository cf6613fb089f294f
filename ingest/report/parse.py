"""Blocks of one document → records, by independent recognisers over the section tree.

``blocks_to_tree`` (ingest.recognise.tree) gives the sections; then each section is offered to the
recognisers in turn, and each succeeds or fails alone:
- a section whose heading names a municipality (「2-1. 福岡市」, 「福岡県福岡市」) → that city's
  records (``city_units_to_records`` for the model-project report's numbered parts, the general
  recognisers of ``ingest.report.generic`` where those parts are not found);
- a section holding the phase headings and the municipality map (chapter 1 of the report) →
  ``summary`` and ``overview`` records;
- numbered items with labelled fields (「施策No.12」 …) → ``measure`` records;
- everything else → ``context`` passages titled by their heading path.
A missing heading costs at most its own section: nothing depends on a chapter being found."""
from __future__ import annotations

import re

from ingest.model import Block, Heading, Paragraph, Row, Table, Toc
from ingest.recognise.labels import canonical_label, label_of
from ingest.recognise.municipality import municipality_of
from ingest.recognise.numbering import numbering_of
from ingest.recognise.tree import Section, as_paragraph, blocks_to_tree, toc_span
from ingest.report.chapter1 import chapter1_units_to_records, is_overview_row
from ingest.report.city import city_units_to_records, has_report_parts
from ingest.report.context import ParseContext, Unit, blocks_to_units, span, unit_text
from kb.core.normalize import squash
from ingest.recognise.phases import is_phase_title, phases_of_titles
from ingest.report.generic import GenericContext, generic_city_to_records, phase_section_to_summaries
from ingest.report.measures import section_to_measures
from ingest.report.phases import phase_from_line
from ingest.report.understood import UNDERSTOOD_SECTION, understanding_note, understanding_of
from kb.core.records import Document, ParsedDocument

from ingest.recognise.steps import StepClassifier

StepScorer = StepClassifier  # anything with ``predict(text, phase) -> StepGuess | None``


def section_label(s: Section) -> str:
    """「2-1. 福岡市」 for numbered sections, the heading as printed otherwise."""
    if s.style in ("dash", "dash3", "dot", "roman_dash") and s.numbering:
        return f"{s.numbering.rstrip('.')}. {s.title}"
    return s.heading_text


def section_path(s: Section) -> str:
    out, cur = [], s
    while cur is not None and cur.heading is not None:
        out.append(section_label(cur))
        cur = cur.parent
    return " / ".join(out[::-1])


def _units(blocks: list[Block]) -> list[Unit]:
    return blocks_to_units([as_paragraph(b) for b in blocks])


def _is_phase_heading(s: Section) -> bool:
    return s.heading is not None and phase_from_line(s.heading_text) is not None


def _has_overview_rows(s: Section) -> bool:
    return any(isinstance(b, Table) and sum(is_overview_row(r) for r in b.rows) >= 2 for b in s.blocks)


def _cross_city_section(root: Section) -> Section | None:
    """The lowest section holding every phase heading and the municipality map outside any city
    section (chapter 1 of the report): its bullets are the cross-city summary."""
    marks = [s for s in root.walk() if s is not root and (_is_phase_heading(s) or _has_overview_rows(s))
             and not any(municipality_of(a.title) for a in _ancestors(s))]
    phases = [s for s in marks if _is_phase_heading(s)]
    if len(phases) < 2:
        return None
    paths = [_ancestors(s)[::-1] for s in marks]
    common = None
    for level in zip(*paths):
        if all(x is level[0] for x in level):
            common = level[0]
        else:
            break
    return common if common is not None and common is not root else None


def _ancestors(s: Section) -> list[Section]:
    out, cur = [], s
    while cur is not None:
        out.append(cur)
        cur = cur.parent
    return out


PASSAGE_CHARS = 700  # a context passage ends at the paragraph that reaches this size


def section_to_passages(ctx: ParseContext, units: list[Unit], *, city: str | None, section: str, title: str,
                        max_chars: int = PASSAGE_CHARS, **fields) -> None:
    """A section's own text as ``context`` passages cut at paragraph boundaries, each titled by the
    section's heading path (numbered 「（2/3）」 when the section needs more than one)."""
    chunks: list[list[Unit]] = [[]]
    size = 0
    for u in units:
        t = unit_text(u).strip()
        if not t:
            continue
        if chunks[-1] and size + len(t) > max_chars:
            chunks.append([])
            size = 0
        chunks[-1].append(u)
        size += len(t)
    chunks = [c for c in chunks if c and len(squash("".join(unit_text(u) for u in c))) >= 8]
    for i, chunk in enumerate(chunks, start=1):
        suffix = f"（{i}/{len(chunks)}）" if len(chunks) > 1 else ""
        ctx.add("context", city=city, section=section, loc=span(chunk), title=title + suffix,
                text="\n".join(unit_text(u) for u in chunk), **fields)


def _front_blocks(blocks: list[Block]) -> list[Block]:
    """The root's own blocks without its contents list (rows or lines that end with a page number)."""
    toc = toc_span(blocks)
    if toc is not None:
        blocks = blocks[:toc[0]] + blocks[toc[1] + 1:]
    out = []
    for b in blocks:
        if isinstance(b, Toc):
            continue  # a contents list names headings; it is not text of its own
        if isinstance(b, Table) and sum(numbering_of(r.cells[0]) is not None for r in b.rows if r.cells) >= len(b.rows) / 2:
            continue
        if isinstance(b, Paragraph) and ("...." in b.text or "…" * 3 in b.text):
            continue
        out.append(b)
    return out


def split_at_restart(s: Section) -> list[Section]:
    """A municipality section whose child numbering starts again (「(1) 基本情報 … (5)」 then 「(1) 基本情報」)
    holds a second municipality whose heading is missing: cut it there, so that a lost heading
    costs that section, not the neighbour's records."""
    if not s.children:
        return [s]
    style = s.children[0].style
    parts: list[Section] = [Section(s.title, s.heading, s.numbering, s.style, s.level, list(s.blocks), [], s.parent)]
    last = None
    for c in s.children:
        num = numbering_of(c.heading_text) if c.heading is not None else None
        value = num.value if num else None
        if c.style == style and value is not None and last is not None and value <= last and value == 1:
            parts.append(Section("", None, "", "", s.level, [], [], s.parent))
        if c.style == style and value is not None:
            last = value
        parts[-1].children.append(c)
    return parts


def named_municipality(s: Section) -> str | None:
    """The municipality a section names in a 自治体名 field (row or 「自治体名：…」 line), if any."""
    for b in s.body_blocks():
        rows = b.rows if isinstance(b, Table) else []
        for r in rows:
            cells = [c.strip() for c in r.cells]
            for a, v in zip(cells, cells[1:]):
                if canonical_label(a) == "name" and (m := municipality_of(v)):
                    return m.city
        if isinstance(b, Paragraph) and (lv := label_of(b.text)) and canonical_label(lv[0]) == "name":
            if m := municipality_of(lv[1]):
                return m.city
    return None


def city_section_to_records(ctx: ParseContext, s: Section, *, city: str | None, label: str, code: str,
                            fired: dict[str, int], generic: GenericContext) -> None:
    units = _units(s.body_blocks())
    if city is None:
        section_to_passages(ctx, units, city=None, section=label, title=label)
        return
    if has_report_parts(units):
        city_units_to_records(ctx, units, city=city, code=code)
        fired["municipality:report_parts"] = fired.get("municipality:report_parts", 0) + 1
        return
    got = generic_city_to_records(ctx, s, city=city, label=label, g=generic)
    fired["municipality:general"] = fired.get("municipality:general", 0) + 1
    for k, v in got.items():
        fired[k] = fired.get(k, 0) + v


def blocks_to_parsed(blocks: list[Block], document: Document, step_scorer: StepScorer | None = None) -> ParsedDocument:
    ctx = ParseContext(document.id)
    tree = blocks_to_tree(blocks)
    fired: dict[str, int] = {}
    cross = _cross_city_section(tree)
    phase_titles = [s.title for s in tree.walk() if s.heading is not None and is_phase_title(s.title)]
    generic = GenericContext(phases_of_titles(phase_titles), step_scorer)

    def visit(s: Section) -> None:
        if s is tree:
            front = _front_blocks(s.blocks)
            section_to_passages(ctx, _units(front), city=None, section=document.title or document.id,
                                title=document.title or document.id)
        else:
            m = municipality_of(s.title)
            label = section_path(s)
            if m:
                for i, part in enumerate(split_at_restart(s)):
                    city = m.city if i == 0 else named_municipality(part)
                    if i:
                        ctx.note("warning", label, f"節の番号が振り直されています（見出しの欠落）: 自治体 {city or '不明'} として読みます",
                                 part.children[0].heading_text if part.children else "", part.loc)
                    city_section_to_records(ctx, part, city=city, label=label if i == 0 else f"{label} / ?",
                                            code=s.numbering.rstrip(".") or m.city, fired=fired, generic=generic)
                return
            if s is cross:
                chapter1_units_to_records(ctx, _units(s.body_blocks()), section=label)
                fired["cross_city"] = fired.get("cross_city", 0) + 1
                return
            if section_to_measures(ctx, s, label=label):
                fired["measure"] = fired.get("measure", 0) + 1
                return
            if phase_section_to_summaries(ctx, s, label=label, g=generic):
                fired["phase_summary"] = fired.get("phase_summary", 0) + 1
                for c in s.children:
                    visit(c)
                return
            section_to_passages(ctx, _units([b for b in s.blocks if not isinstance(b, Toc)]), city=None,
                                section=label, title=label,
                                heading_path=s.path, numbering=s.numbering or None)
        for c in s.children:
            visit(c)

    visit(tree)
    recognized = any(k.startswith("municipality") or k in ("cross_city", "phase_summary") for k in fired)
    understood = understanding_of(ctx.records, tree, fired, step_scorer is not None)
    if not understood["structured_kinds"]:
        heads = sum(1 for s in tree.walk() if s.heading is not None)
        ctx.note("warning" if heads == 0 else "info", "",
                 f"構造化できる記録はありません（{understood['why']}）。節ごとの context として取り込みます")
    ctx.note("info", UNDERSTOOD_SECTION, understanding_note(understood))
    doc = Document(**{**document.__dict__, "recognized": recognized})
    return ParsedDocument(doc, tuple(ctx.records), tuple(ctx.facts), tuple(ctx.notes), understood)
