"""Reader for the report text export: tab-separated rows (tables), other lines
(paragraphs), HTML fragments in cells. Produces ``Block``s."""
from __future__ import annotations

import re

from ingest.model import Block, Loc, Paragraph, Row, Table, html_to_text
from kb.core.normalize import normalize_text

_RULE_ROW = re.compile(r"^[\s\-|:\t]+$")


def text_to_blocks(text: str) -> list[Block]:
    """Lines with a tab are table rows (consecutive rows form a table, a blank
    line ends it); other non-blank lines are paragraphs."""
    blocks: list[Block] = []
    rows: list[Row] = []

    def flush() -> None:
        if rows:
            blocks.append(Table(tuple(rows)))
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
        blocks.append(Paragraph(line.replace("**", ""), Loc(line=n, end_line=n)))
    flush()
    return blocks
