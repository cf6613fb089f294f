"""General recognisers of a municipality section that is not in the model-project report's own
shape (placeholder: filled in below)."""
from __future__ import annotations

from ingest.recognise.tree import Section
from ingest.report.context import ParseContext, add_context, blocks_to_units
from ingest.recognise.tree import as_paragraph


def generic_city_to_records(ctx: ParseContext, s: Section, *, city: str, label: str, step_scorer=None) -> None:
    add_context(ctx, blocks_to_units([as_paragraph(b) for b in s.body_blocks()]), city=city, section=label, title=label)
