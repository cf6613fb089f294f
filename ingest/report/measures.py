"""Numbered items with labelled fields → one ``measure`` record each (the national plan's
「施策No.12」 with 「● 施策名【所管府省庁】」 and ＜現状＞ ＜課題＞ … fields). General: an item heading of
the ``item_no`` numbering style, its name line, an owner in 【】, and fields cut at labels."""
from __future__ import annotations

import re

from ingest.model import block_text
from ingest.recognise.labels import split_labelled_fields
from ingest.recognise.tree import Section
from ingest.report.context import ParseContext, span
from ingest.recognise.tree import as_paragraph
from ingest.report.context import blocks_to_units

_NAME_OWNER = re.compile(r"^[●○◆■・]?\s*(?P<name>.+?)\s*【(?P<owner>[^】]{1,40})】\s*$")


def section_to_measures(ctx: ParseContext, s: Section, *, label: str) -> bool:
    """Records for a section that is one numbered item (style ``item_no``); False when it is not."""
    if s.style != "item_no":
        return False
    blocks = s.body_blocks()
    lines = [block_text(b) for b in blocks]
    name, owner = s.title, None
    rest = lines
    for i, line in enumerate(lines[:3]):
        m = _NAME_OWNER.match(line.strip())
        if m:
            name, owner, rest = m.group("name"), m.group("owner"), lines[:i] + lines[i + 1:]
            break
    if not name and rest:
        name, rest = rest[0].lstrip("●○◆■・ "), rest[1:]
    fields, free = split_labelled_fields(rest)
    text = "\n".join([f"{k}: {v}" for k, v in fields.items()] + ([free] if free else []))
    units = blocks_to_units([as_paragraph(b) for b in [s.heading] + blocks])
    ctx.add("measure", city=None, section=label, loc=span(units), title=name.strip() or s.heading_text,
            text=text or s.heading_text, number=s.numbering, owner=owner, labelled_fields=fields)
    return True
