"""Headings of a PDF from typography and numbering: a short paragraph is a
heading when it starts with a heading number and stands alone, or when its
type sets it apart from the body text — larger than the body's modal size,
bold or another font and centred, on a filled band, or white on a dark fill.
Levels are assigned afterwards (``headings.headings_to_levels``): numbered
headings by their numbering, the others by their style."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from ingest.model import Block, Heading, Paragraph
from ingest.readers.headings import looks_like_heading, numbering_of
from ingest.readers.settings import DEFAULT_SETTINGS, ReaderSettings
from kb.core.normalize import normalize_text

_BOLD = re.compile(r"bold|black|heavy|demi|semibold|extrabold|[-_,]b$|w[6-9]|gothic|goth|sans|kaku|hei", re.I)


@dataclass(frozen=True)
class BodyStyle:
    size: float
    font: str

    def bolder(self, font: str) -> bool:
        """Whether ``font`` reads heavier than the body's font (bold, or a
        gothic/sans face beside a mincho/serif body)."""
        return font != self.font and bool(_BOLD.search(font)) and not _BOLD.search(self.font) \
            or bool(re.search(r"bold|black|heavy|w[6-9]", font, re.I)) and not re.search(r"bold|black|heavy|w[6-9]", self.font, re.I)


def body_style(pages) -> BodyStyle:
    """The modal size and font of the text, weighted by characters."""
    sizes: Counter = Counter()
    fonts: Counter = Counter()
    for p in pages:
        for ln in p.lines:
            sizes[round(ln.size, 1)] += len(ln.text)
            fonts[ln.font] += len(ln.text)
    size = sizes.most_common(1)[0][0] if sizes else 10.0
    return BodyStyle(size, fonts.most_common(1)[0][0] if fonts else "")


def style_family(para, body: BodyStyle) -> str:
    """The family of an unnumbered heading: its size step and weight."""
    line = para.first
    return f"style:{round(line.size / body.size * 4) / 4}:{int(body.bolder(line.font))}:{int(line.band or line.light)}"


def para_heading(para, body: BodyStyle, text_box: tuple[float, float],
                 settings: ReaderSettings = DEFAULT_SETTINGS) -> str | None:
    """How ``para`` reads as a heading ("numbering" | "typography"), or None."""
    text = para.text
    if para.lines > settings.heading_max_lines or not looks_like_heading(text, settings.heading_max_chars):
        return None
    line = para.first
    big = line.size >= body.size * settings.heading_size_ratio
    strong = body.bolder(line.font)
    band = line.band or line.light
    left, right = text_box
    width = max(1.0, right - left)
    centred = abs((line.x0 + para.last.x1) / 2 - (left + right) / 2) <= settings.centre_tolerance * width \
        and para.last.x1 - line.x0 < 0.7 * width and line.x0 - left > 0.1 * width
    if numbering_of(text):
        if para.lines == 1 or big or strong or band:
            return "numbering"
        return None
    if big or band or (strong and centred):
        return "typography"
    return None


def paragraphs_to_headings(blocks: list[Block], starts: dict, body: BodyStyle, text_box: tuple[float, float],
                           settings: ReaderSettings = DEFAULT_SETTINGS) -> tuple[list[Block], dict[int, str]]:
    """Paragraph blocks that read as headings → ``Heading`` (level 0 until the
    levels are assigned); the families of the unnumbered ones by block index."""
    out: list[Block] = []
    families: dict[int, str] = {}
    prev = None  # the Para of the heading just emitted
    for i, b in enumerate(blocks):
        para = starts.get(i)
        how = para_heading(para, body, text_box, settings) if para is not None and isinstance(b, Paragraph) \
            and b.text == para.text else None
        if how is None:
            out.append(b)
            prev = None
            continue
        num = numbering_of(b.text)
        family = style_family(para, body)
        last = out[-1] if out else None
        if how == "typography" and prev is not None and isinstance(last, Heading) and last.source == "typography" \
                and last.loc.page == b.loc.page and style_family(prev, body) == family \
                and 0 <= para.top - prev.last.bottom <= 0.8 * para.first.size \
                and len(last.text) + len(b.text) <= settings.heading_max_chars:
            # a large title set over two lines is one heading
            out[-1] = Heading(normalize_text(last.text + b.text), 0, last.loc, "", how)
            prev = para
            continue
        if not num:
            families[len(out)] = family
        out.append(Heading(b.text, 0, b.loc, num[0] if num else "", how))
        prev = para
    return out, families
