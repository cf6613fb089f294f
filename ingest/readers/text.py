"""Reader for the report text export: tab-separated rows (tables), other lines
(paragraphs), HTML fragments in cells → the document model. Numbered short lines
are headings (levels from the numbering, see ``ingest.readers.headings``); a table
whose rows end in page numbers is the table of contents."""
from __future__ import annotations

import re

from ingest.model import Block, DocumentModel, Heading, Loc, Paragraph, Row, Table, html_to_text
from ingest.readers.headings import (entries_to_toc, headings_to_levels, looks_like_heading, numbering_of, table_or_toc,
                                     toc_line_parts)
from ingest.readers.settings import DEFAULT_SETTINGS, ReaderSettings
from kb.core.normalize import normalize_text

_RULE_ROW = re.compile(r"^[\s\-|:\t]+$")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(\S.*)$")


def text_to_blocks(text: str) -> list[Block]:
    return list(text_to_document(text).blocks)


def text_to_document(text: str, settings: ReaderSettings = DEFAULT_SETTINGS) -> DocumentModel:
    """Lines with a tab are table rows (consecutive rows form a table, a blank
    line ends it); other non-blank lines are paragraphs or, numbered and short,
    headings."""
    blocks: list[Block] = []
    rows: list[Row] = []
    families: dict[int, str] = {}

    def flush() -> None:
        if rows:
            blocks.append(table_or_toc(Table(tuple(rows)), settings))
            rows.clear()

    for n, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        if "\t" in raw:
            if _RULE_ROW.match(raw):
                continue
            cells = tuple(normalize_text(html_to_text(c)).strip() for c in raw.split("\t"))
            # trailing empty cells carry no information
            while len(cells) > 1 and not cells[-1]:
                cells = cells[:-1]
            rows.append(Row(cells, Loc(line=n, end_line=n)))
            continue
        flush()
        line = normalize_text(html_to_text(raw)).strip()
        if not line or _RULE_ROW.match(raw) and "-" in raw and len(raw.strip()) > 3:
            continue
        loc = Loc(line=n, end_line=n)
        md = _MD_HEADING.match(raw.strip())
        if md:  # a Markdown heading: its level is its mark
            families[len(blocks)] = f"style:md{len(md.group(1))}"
            title = normalize_text(html_to_text(md.group(2))).replace("**", "").strip()
            blocks.append(Heading(title, len(md.group(1)), loc, "", "markup"))
            continue
        line = line.replace("**", "")
        num = numbering_of(line)
        if num and looks_like_heading(line, settings.heading_max_chars):
            blocks.append(Heading(line, 0, loc, num[0], "numbering"))
        else:
            blocks.append(Paragraph(line, loc))
    flush()
    blocks = lines_to_tocs(blocks, settings)
    return DocumentModel(tuple(headings_to_levels(blocks, families)), (), None, "text")


def lines_to_tocs(blocks: list[Block], settings: ReaderSettings) -> list[Block]:
    """Runs of paragraphs that end in a dot leader and a page label → one ``Toc``."""
    out: list[Block] = []
    run: list[tuple[tuple[str, str], Block]] = []

    def flush() -> None:
        if len(run) >= settings.toc_min_entries:
            out.append(entries_to_toc([(p[0], p[1], b.loc, 0.0) for p, b in run]))
        else:
            out.extend(b for _, b in run)
        run.clear()

    for b in blocks:
        parts = toc_line_parts(b.text) if isinstance(b, (Paragraph, Heading)) else None
        if parts and re.search(r"[.．・…‥_―─]{3,}", b.text):
            run.append((parts, b))
            continue
        flush()
        out.append(b)
    flush()
    return out
