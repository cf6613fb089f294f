"""Every tolerance of the readers' layout analysis in one checked object (as
pdfminer's ``LAParams`` and pdfplumber's ``TableSettings``): a new layout is a
settings change, not an edit deep inside a function. Defaults are tabled in the
README (section "Reading documents"). Ratios are shares of the font size unless
named otherwise."""
from __future__ import annotations

from dataclasses import dataclass, fields


class ReaderSettingsError(ValueError):
    """A reader setting outside its range; the message names it and the range."""


@dataclass(frozen=True)
class ReaderSettings:
    # reading
    workers: int = 2  # processes that read the pages of a long PDF (1: read in this process)
    pages_per_worker: int = 12  # a PDF shorter than twice this is read in this process
    # characters → lines
    line_overlap: float = 0.45  # two characters share a line when their centres differ by less (× size)
    word_gap: float = 0.3  # a horizontal gap wider than this (× size) is a space
    superscript_ratio: float = 0.75  # raised digits this much smaller than their line are footnote marks
    # tables
    rule_tolerance: float = 2.0  # pt: rules, columns and cell edges closer than this are the same
    # lines → paragraphs
    paragraph_gap: float = 0.25  # extra vertical gap over the usual wrap gap (× size) that starts a paragraph
    default_wrap_gap: float = 0.35  # wrap gap (× size) when a document has too few wrapped lines to measure it
    size_tolerance: float = 0.6  # pt: lines whose sizes differ more are not one paragraph
    full_line_percentile: float = 0.9  # where full lines end: this percentile of the lines' right ends
    wrap_slack: float = 1.6  # a line ending this close (× size) to the right edge was full (kinsoku)
    wrap_lead_slack: float = 1.1  # … or closer than the next line's first word plus this (× size)
    indent_tolerance: float = 0.5  # wrapped lines align within this (× size)
    hang_indent: float = 3.0  # a bullet's wrapped line may start this far right of the bullet (× size)
    outdent: float = 2.2  # a first-line indent: the next line may start this far left (× size)
    cell_gap_cap: float = 0.5  # in a table cell, the wrap gap is at most this (× size)
    # furniture
    edge_zone: float = 0.12  # share of the page height, top and bottom, where running lines live
    edge_gap: float = 1.5  # a running line stands this many line heights apart from the body
    edge_gap_repeated: float = 1.0  # … or this many, when it repeats at the same height on running_share of pages
    running_share: float = 0.4  # a line repeated (digits masked) on this share of pages is running
    footnote_rule_max_width: float = 0.45  # share of the text width: a short rule above footnotes
    footnote_size_ratio: float = 0.9  # footnote text is smaller than the body by this ratio
    # headings
    heading_max_chars: int = 60  # a heading is short
    heading_max_lines: int = 2  # … set on at most this many lines
    heading_size_ratio: float = 1.12  # larger than the body's modal size by this ratio
    centre_tolerance: float = 0.06  # share of the text width: a line centred within it
    # table of contents
    toc_min_entries: int = 3  # a table of contents has at least this many entries
    toc_share: float = 0.6  # share of a block's lines that must end in a page label

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0:
                raise ReaderSettingsError(f"ReaderSettings.{f.name} = {v!r}: must be a number ≥ 0")
        for name in ("superscript_ratio", "running_share", "full_line_percentile", "edge_zone", "toc_share",
                     "footnote_rule_max_width", "centre_tolerance"):
            v = getattr(self, name)
            if not 0 < v <= 1:
                raise ReaderSettingsError(f"ReaderSettings.{name} = {v!r}: must be in (0, 1]")
        if self.edge_zone > 0.4:
            raise ReaderSettingsError(f"ReaderSettings.edge_zone = {self.edge_zone!r}: must be ≤ 0.4 of the page")
        if self.heading_size_ratio < 1:
            raise ReaderSettingsError(f"ReaderSettings.heading_size_ratio = {self.heading_size_ratio!r}: must be ≥ 1")
        if self.heading_max_lines < 1 or self.heading_max_chars < 4 or self.toc_min_entries < 2:
            raise ReaderSettingsError("ReaderSettings: heading_max_lines ≥ 1, heading_max_chars ≥ 4, "
                                      "toc_min_entries ≥ 2")


DEFAULT_SETTINGS = ReaderSettings()


def settings_table() -> list[tuple[str, object]]:
    """(name, default) of every setting, for the README table."""
    return [(f.name, f.default) for f in fields(ReaderSettings)]
