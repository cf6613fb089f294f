"""Blocks of one document → records. Recognises the model-project report
structure (第1章 / 2-N. city sections); anything else becomes ``context``."""
from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.model import Block, Paragraph
from ingest.report.chapter1 import chapter1_units_to_records
from ingest.report.city import city_units_to_records
from ingest.report.context import ParseContext, Unit, add_context, blocks_to_units
from kb.core.normalize import squash
from kb.core.records import Document, ParsedDocument

_CHAPTER = re.compile(r"^第(\d)章(.*\D)?$")
_SECTION = re.compile(r"^(\d)-(\d{1,2})\.(.*[^\d.…])$")
_CITY = re.compile(r"^(\S{1,8}?[都道府県市区町村])$")


@dataclass
class Section:
    code: str  # "front", "1", "1-4", "2-1"
    title: str
    units: list[Unit]


def units_to_sections(units: list[Unit]) -> list[Section]:
    """Cut at chapter and section headings (paragraphs only: the table of contents
    is made of rows that end with page numbers)."""
    sections = [Section("front", "表紙・目次", [])]
    for u in units:
        if isinstance(u, Paragraph):
            key = squash(u.text)
            m = _CHAPTER.match(key)
            if m and len(key) < 40:
                sections.append(Section(m.group(1), u.text, [u]))
                continue
            m = _SECTION.match(key)
            if m and len(key) < 40 and sections[-1].code != "front":
                sections.append(Section(f"{m.group(1)}-{m.group(2)}", m.group(3).strip(), [u]))
                continue
        sections[-1].units.append(u)
    return sections


def is_report(sections: list[Section]) -> bool:
    codes = {s.code for s in sections}
    return "1" in codes and any(c.startswith("2-") for c in codes)


def blocks_to_parsed(blocks: list[Block], document: Document) -> ParsedDocument:
    ctx = ParseContext(document.id)
    units = blocks_to_units(blocks)
    sections = units_to_sections(units)
    recognized = is_report(sections)
    if not recognized:
        ctx.note("warning", "", "報告書の構成（第1章・2-N 事例集）を認識できませんでした。全文を context として取り込みます")
        add_context(ctx, units, city=None, section=document.title or document.id)
    else:
        for s in sections:
            if s.code == "front":
                continue  # title page and table of contents
            label = f"{s.code}. {s.title}" if "-" in s.code else s.title
            if s.code == "1-4":
                chapter1_units_to_records(ctx, s.units, section=label)
            elif s.code.startswith("2-") and _CITY.match(squash(s.title)):
                city_units_to_records(ctx, s.units[1:], city=squash(s.title), code=s.code)
            else:
                add_context(ctx, s.units, city=None, section=label)
    doc = Document(**{**document.__dict__, "recognized": recognized})
    return ParsedDocument(doc, tuple(ctx.records), tuple(ctx.facts), tuple(ctx.notes))
