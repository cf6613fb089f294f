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

import math
import re
from collections import Counter
from typing import Iterable

from ingest.model import Block, Furniture, Heading, Paragraph, Row, Table, Toc, block_text
from ingest.recognise.labels import canonical_label, label_of
from ingest.recognise.municipality import municipality_of
from ingest.recognise.numbering import numbering_of
from ingest.recognise.tree import Section, as_paragraph, blocks_to_tree, toc_span
from ingest.report.chapter1 import chapter1_units_to_records, is_overview_row
from ingest.report.city import city_units_to_records, has_report_parts, part_mode
from ingest.report.context import ParseContext, Unit, blocks_to_units, span, unit_text
from kb.core.normalize import squash
from ingest.recognise.phases import is_phase_title, phases_of_titles
from ingest.report.generic import HEADLINE_MARKS, GenericContext, generic_city_to_records, phase_section_to_summaries
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


def _numbering_value(s: Section) -> int | None:
    num = numbering_of(s.heading_text) if s.heading is not None else None
    return num.value if num else None


def missing_siblings(tree: Section) -> dict[int, tuple[int, str | None, bool]]:
    """Sections after which a numbered sibling heading seems missing: id(section) → (the missing
    number, the municipality the same number names in the parallel lists or None, whether the
    numbering itself skips it).

    Evidence is the numbering alone: 「(1) … (3)」 skips (2), so a heading lies lost inside (1)'s
    section. Parallel lists — sections of the same numbering style holding children of the same
    style (「1. 構想期」「2. 検討期」 each with 「(1) 福岡県福岡市」「(2) 熊本県熊本市」…) — say which
    municipality a number stands for, and that the last child of a shorter list may have lost its
    successor."""
    lists = [(p, [c for c in p.children if c.heading is not None]) for p in tree.walk()]
    by_number: dict[tuple[str, str, int], dict[int, str]] = {}  # (parent style, child style, n) → {id(parent): city}
    for p, kids in lists:
        for c in kids:
            v, m = _numbering_value(c), municipality_of(c.title)
            if v is not None and m is not None:
                by_number.setdefault((p.style, c.style, v), {})[id(p)] = m.city

    def parallel(p: Section, style: str, v: int) -> str | None:
        cities = [c for pid, c in by_number.get((p.style, style, v), {}).items() if pid != id(p)]
        return max(set(cities), key=cities.count) if cities else None

    out: dict[int, tuple[int, str | None, bool]] = {}
    for p, kids in lists:
        for a, b in zip(kids, kids[1:] + [None]):
            va = _numbering_value(a)
            if va is None or municipality_of(a.title) is None:
                continue
            if b is not None and b.style == a.style and (vb := _numbering_value(b)) is not None and vb > va + 1:
                out[id(a)] = (va + 1, parallel(p, a.style, va + 1), True)
            elif b is None and (city := parallel(p, a.style, va + 1)) is not None:
                out[id(a)] = (va + 1, city, False)  # the last of its list, where the other lists go on
    return out


def _names(text: str, cities: set[str]) -> set[str]:
    return {c for c in cities if c in text}


def city_texts(tree: Section) -> dict[str, list[tuple[int, str]]]:
    """The text of every municipality section by city: (id(section), its body text)."""
    out: dict[str, list[tuple[int, str]]] = {}
    for x in tree.walk():
        if x.heading is not None and (m := municipality_of(x.title)):
            out.setdefault(m.city, []).append((id(x), "\n".join(block_text(b) for b in x.body_blocks())))
    return out


def _bigram_counts(text: str) -> Counter:
    t = "".join(text.split())
    return Counter(t[i:i + 2] for i in range(len(t) - 1))


def _cosine(a: Counter, b: Counter) -> float:
    if not a or not b:
        return 0.0
    dot = sum(v * b.get(k, 0) for k, v in a.items())
    return dot / math.sqrt(sum(v * v for v in a.values()) * sum(v * v for v in b.values()))


def _split_by_likeness(groups: list[str], own: Counter, other: Counter) -> tuple[int, float] | None:
    """Where a run of records stops resembling one municipality's other text and starts resembling
    another's: the split j (≥ 1) maximising Σ_{i<j} (own − other) + Σ_{i≥j} (other − own), kept
    only when every side leans its own way on average."""
    d = [_cosine(_bigram_counts(g), other) - _cosine(_bigram_counts(g), own) for g in groups]
    best = max(range(1, len(d)), key=lambda j: sum(d[j:]) - sum(d[:j]), default=None)
    if best is None:
        return None
    before, after = sum(d[:best]) / best, sum(d[best:]) / (len(d) - best)
    return (best, after - before) if before < 0 < after else None


def split_at_missing_sibling(s: Section, city: str, missing: tuple[int, str | None, bool] | None,
                             cities: set[str], texts: dict[str, list[tuple[int, str]]], ctx: ParseContext,
                             label: str) -> list[tuple[str, Section]]:
    """A municipality section after which a sibling heading is missing (``missing_siblings``)
    holds that sibling's records at its end; where they start is read from the records' own text:
    the split where the headline groups (■ ○ ◆ … with their bullets) stop resembling this
    municipality's other sections and start resembling the other's (bigram cosine against the text
    of their other sections), else the first group that names the other municipality. The other municipality
    is the one the parallel lists give for the missing number, else the best-fitting one of the
    document. Without such evidence the records stay, with a warning when the numbering skips."""
    if missing is None:
        return [(city, s)]
    number, expected, seen = missing
    heads = [i for i, b in enumerate(s.blocks) if isinstance(b, Paragraph) and b.text.strip()
             and b.text.strip()[0] in HEADLINE_MARKS]
    groups = [" ".join(block_text(x) for x in s.blocks[i:j]) for i, j in zip(heads, heads[1:] + [len(s.blocks)])]
    candidates = [expected] if expected else sorted(cities - {city})
    cut: tuple[int, str, str] | None = None  # (group index, other city, how)
    if len(groups) >= 2:
        own = sum((_bigram_counts(t) for sid, t in texts.get(city, []) if sid != id(s)), Counter())
        fits = []
        for other in candidates:
            theirs = sum((_bigram_counts(t) for _, t in texts.get(other, [])), Counter())
            if (hit := _split_by_likeness(groups, own, theirs)) is not None:
                fits.append((hit[1], hit[0], other))
        if fits:
            _, k, other = max(fits)
            cut = (k, other, "文面の近さ")
    for k, g in enumerate(groups[1:] if cut is None else [], 1):
        named = _names(g, cities - {city})
        if len(named) == 1 and named <= set(candidates):
            cut = (k, named.pop(), "自治体名")
            break
    if cut is None:
        which = f"見出し ({number}){'（' + expected + '）' if expected else ''}"
        if seen:
            ctx.note("warning", label, f"{which} が欠けているようです（番号が飛んでいます）。"
                                       f"この節の記録の一部は別の自治体のものかもしれません", s.heading_text, s.loc)
        else:  # the other lists go on: perhaps only no records of that municipality here
            ctx.note("info", label, f"{which} が欠けている可能性があります（他の段階の同じ一覧にはあります）", s.heading_text, s.loc)
        return [(city, s)]
    k, other, how = cut
    i = heads[k]
    ctx.note("warning", label, f"見出し ({number}) が欠けているようです: 「{block_text(s.blocks[i])[:30]}」から先を"
                               f" {other} の記録として読みます（{how}による）", block_text(s.blocks[i])[:80], s.blocks[i].loc)
    return [(city, Section(s.title, s.heading, s.numbering, s.style, s.level, s.blocks[:i], [], s.parent)),
            (other, Section("", None, "", "", s.level, s.blocks[i:], list(s.children), s.parent))]


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


def _named_in_row(u: Unit) -> str | None:
    if not isinstance(u, Row):
        return None
    cells = [c.strip() for c in u.cells]
    for a, v in zip(cells, cells[1:]):
        if canonical_label(a) == "name" and (m := municipality_of(v)):
            return m.city
    return None


def split_at_other_municipality(units: list[Unit], city: str) -> list[tuple[str, list[Unit]]]:
    """A municipality section whose profile names another municipality (自治体名 熊本市 inside 福岡市)
    holds that municipality too, its heading missing: cut at the part heading before that profile."""
    parts: list[tuple[str, list[Unit]]] = [(city, [])]
    for u in units:
        other = _named_in_row(u)
        if other and other != parts[-1][0]:
            cur = parts[-1][1]
            # the cut goes back to the part heading that opens the profile (「1. 取組の全体像」)
            back = next((j for j in range(len(cur) - 1, max(-1, len(cur) - 6), -1) if part_mode(cur[j]) == "profile"), len(cur))
            parts.append((other, cur[back:]))
            del cur[back:]
        parts[-1][1].append(u)
    return [(c, us) for c, us in parts if us]


def city_section_to_records(ctx: ParseContext, s: Section, *, city: str | None, label: str, code: str,
                            fired: dict[str, int], generic: GenericContext) -> None:
    units = _units(s.body_blocks())
    if city is None:
        section_to_passages(ctx, units, city=None, section=label, title=label)
        return
    if has_report_parts(units):
        for i, (name, part) in enumerate(split_at_other_municipality(units, city)):
            if i:
                ctx.note("warning", label, f"自治体名 {name} の概要が {city} の節の中にあります（見出しの欠落）: {name} として読みます",
                         unit_text(part[0]), part[0].loc)
            city_units_to_records(ctx, part, city=name, code=code if i == 0 else "?")
            fired["municipality:report_parts"] = fired.get("municipality:report_parts", 0) + 1
        return
    got = generic_city_to_records(ctx, s, city=city, label=label, g=generic)
    fired["municipality:general"] = fired.get("municipality:general", 0) + 1
    for k, v in got.items():
        fired[k] = fired.get(k, 0) + v


def footnotes_to_records(ctx: ParseContext, furniture: Iterable[Furniture]) -> int:
    """The footnotes of each page as one ``context`` record of that page (a definition, a figure, the
    source of a statement often sits only there): titled by the section its page's body belongs to,
    of the city that page's records are about when they are about one. Returns the number added."""
    pages: dict[int, list[Furniture]] = {}
    for f in furniture:
        if f.kind == "footnote" and f.loc.page is not None and f.text.strip():
            pages.setdefault(f.loc.page, []).append(f)
    body = [r for r in ctx.records if r.source.page is not None]
    added = 0
    for page, notes in sorted(pages.items()):
        text = "".join(n.text.strip() + ("\n" if _ENDS_SENTENCE.search(n.text.strip()) else "") for n in notes).strip()
        if len(squash(text)) < 8:
            continue
        same = [r for r in body if r.source.page == page]
        before = [r for r in body if r.source.page <= page]
        anchor = (same or before or body or [None])[-1]
        section = anchor.source.section if anchor else ""
        cities = {r.city for r in same}
        city = next(iter(cities)) if len(cities) == 1 else None
        printed = notes[0].loc.printed_page or str(page)
        ctx.add("context", city=city, section=section, loc=notes[0].loc,
                title=f"{section} / 注（p.{printed}）" if section else f"注（p.{printed}）", text=text, footnote=True)
        added += 1
    return added


_ENDS_SENTENCE = re.compile(r"[。.)）」]$")


def blocks_to_parsed(blocks: list[Block], document: Document, step_scorer: StepScorer | None = None,
                     furniture: Iterable[Furniture] = ()) -> ParsedDocument:
    """``furniture``: what the reader took out of the body; its footnotes become records of their pages."""
    ctx = ParseContext(document.id)
    tree = blocks_to_tree(blocks)
    fired: dict[str, int] = {}
    cross = _cross_city_section(tree)
    phase_titles = [s.title for s in tree.walk() if s.heading is not None and is_phase_title(s.title)]
    generic = GenericContext(phases_of_titles(phase_titles), step_scorer)
    gaps = missing_siblings(tree)
    texts = city_texts(tree)
    cities = set(texts)

    def visit(s: Section) -> None:
        if s is tree:
            front = _front_blocks(s.blocks)
            section_to_passages(ctx, _units(front), city=None, section=document.title or document.id,
                                title=document.title or document.id)
        else:
            m = municipality_of(s.title)
            label = section_path(s)
            if m:
                pieces = split_at_missing_sibling(s, m.city, gaps.get(id(s)), cities, texts, ctx, label)
                if len(pieces) > 1:
                    for city, piece in pieces:
                        city_section_to_records(ctx, piece, city=city, label=label if piece is pieces[0][1] else f"{label} / ?",
                                                code=s.numbering.rstrip(".") or city, fired=fired, generic=generic)
                    return
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
    if footnotes_to_records(ctx, furniture):
        fired["footnotes"] = fired.get("footnotes", 0) + 1
    recognized = any(k.startswith("municipality") or k in ("cross_city", "phase_summary") for k in fired)
    understood = understanding_of(ctx.records, tree, fired, step_scorer is not None)
    if not understood["structured_kinds"]:
        heads = sum(1 for s in tree.walk() if s.heading is not None)
        ctx.note("warning" if heads == 0 else "info", "",
                 f"構造化できる記録はありません（{understood['why']}）。節ごとの context として取り込みます")
    ctx.note("info", UNDERSTOOD_SECTION, understanding_note(understood))
    doc = Document(**{**document.__dict__, "recognized": recognized})
    return ParsedDocument(doc, tuple(ctx.records), tuple(ctx.facts), tuple(ctx.notes), understood)
