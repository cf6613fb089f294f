"""Reader for web pages saved from a browser (lxml): h1–h6 → ``Heading``,
p → ``Paragraph``, ul/ol/li → ``ListItem``, table (th / thead → header rows;
colspan / rowspan → "" at the covered positions) → ``Table``, dl → a two-column
table (term, description). Scripts, styles, forms and hidden elements are
dropped; navigation, banners, footers and asides are page furniture. Each block
cites its source line in the HTML file (``Loc.line``).
"""
from __future__ import annotations

import re

from ingest.model import Block, DocumentModel, Furniture, Heading, ListItem, Loc, Paragraph, Row, Table
from ingest.readers.headings import (headings_to_levels, levels_under_markup, looks_like_heading, numbering_of,
                                     table_or_toc)
from ingest.readers.settings import DEFAULT_SETTINGS, ReaderSettings
from kb.core.normalize import normalize_text

_DROP = {"script", "style", "noscript", "template", "iframe", "svg", "canvas", "form", "button", "select",
         "input", "textarea", "object", "embed", "map", "link", "meta", "head"}
_FURNITURE = {"nav", "footer", "aside", "header"}
_FURNITURE_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search"}
_BLOCK = {"p", "div", "section", "article", "main", "body", "blockquote", "figure", "figcaption", "center",
          "address", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd", "table",
          "caption", "thead", "tbody", "tfoot", "tr", "td", "th", "hr", "details", "summary", "fieldset", "legend"}
_OWN_MARK = re.compile(r"^([・•●◆◇○■□▪➢✓\-–])\s*")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


def _tag(el) -> str:
    return el.tag.lower() if isinstance(el.tag, str) else ""


def _hidden(el) -> bool:
    return el.get("hidden") is not None or el.get("aria-hidden") == "true" or \
        bool(_HIDDEN_STYLE.search(el.get("style", "")))


def _is_furniture(el) -> bool:
    tag = _tag(el)
    if el.get("role", "").lower() in _FURNITURE_ROLES:
        return True
    if tag == "header":  # a page banner, not an article's own header
        return el.getparent() is not None and _tag(el.getparent()) in ("body", "html")
    return tag in _FURNITURE


def _text(el) -> str:
    """The element's text with <br> as a line break, normalised."""
    parts: list[str] = []

    def walk(e) -> None:
        tag = _tag(e)
        if tag in _DROP or (tag and _hidden(e)):
            if e.tail:
                parts.append(e.tail)
            return
        if tag == "br":
            parts.append("\n")
        elif tag in ("p", "div", "li", "tr", "dt", "dd") and e is not el:
            parts.append("\n")
        if e.text and tag:
            parts.append(e.text)
        for child in e:
            walk(child)
        if e.tail and e is not el:
            parts.append(e.tail)

    walk(el)
    text = re.sub(r"[ \t\r\f\v]+", " ", "".join(parts))
    return normalize_text("\n".join(line.strip() for line in text.split("\n") if line.strip())).strip()


def _loc(el) -> Loc:
    line = getattr(el, "sourceline", None)
    return Loc(line=line, end_line=line)


def table_to_rows(table) -> tuple[tuple[Row, ...], int]:
    """Rows of cells with colspan / rowspan laid out on a grid ("" where a merged
    cell covers a position), and how many leading rows are headings."""
    rows = [tr for tr in table.iter("tr") if _nearest_table(tr) is table]
    grid: list[list[str | None]] = []
    header = 0
    header_done = False
    pending: dict[tuple[int, int], str] = {}
    for r, tr in enumerate(rows):
        cells = [c for c in tr if _tag(c) in ("td", "th")]
        out: list[str | None] = []
        col = 0
        for c in cells:
            while (r, col) in pending:
                out.append(pending.pop((r, col)))
                col += 1
            span = _int(c.get("colspan"))
            down = _int(c.get("rowspan"))
            out.append(_text(c))
            for k in range(1, span):
                out.append("")
            for d in range(1, down):
                for k in range(span):
                    pending[(r + d, col + k)] = ""
            col += span
        while (r, col) in pending:
            out.append(pending.pop((r, col)))
            col += 1
        grid.append(out)
        in_head = tr.getparent() is not None and _tag(tr.getparent()) == "thead"
        if not header_done and cells and (in_head or all(_tag(c) == "th" for c in cells)):
            header += 1
        else:
            header_done = True
    out_rows = []
    for tr, cells in zip(rows, grid):
        cells = [c or "" for c in cells]
        while len(cells) > 1 and not cells[-1]:
            cells.pop()
        if any(cells):
            out_rows.append(Row(tuple(cells), _loc(tr)))
    return tuple(out_rows), min(header, len(out_rows))


def _int(v) -> int:
    try:
        return max(1, min(int(v), 100))
    except (TypeError, ValueError):
        return 1


def _nearest_table(el):
    p = el.getparent()
    while p is not None and _tag(p) != "table":
        p = p.getparent()
    return p


def html_to_document(html: str | bytes, settings: ReaderSettings = DEFAULT_SETTINGS) -> DocumentModel:
    """The document model of an HTML page."""
    import lxml.html
    root = lxml.html.document_fromstring(html)
    title_el = root.find(".//title")
    title = normalize_text(title_el.text_content()).strip() if title_el is not None and title_el.text_content() else ""
    body = root.find(".//main") if root.find(".//main") is not None else root.find(".//article")
    if body is None:
        body = root.find(".//body") if root.find(".//body") is not None else root
    blocks: list[Block] = []
    furniture: list[Furniture] = []
    h_levels = sorted({int(_tag(h)[1]) for h in body.iter("h1", "h2", "h3", "h4", "h5", "h6")})

    def inline_run(texts: list[str], el) -> None:
        text = normalize_text(" ".join(t for t in texts if t.strip())).strip()
        if text:
            num = None if h_levels else numbering_of(text)
            if num and looks_like_heading(text, settings.heading_max_chars):  # a page without h1–h6
                blocks.append(Heading(text, 0, _loc(el), num[0], "numbering"))
            else:
                blocks.append(Paragraph(text, _loc(el)))

    def walk(el, list_depth: int = 0) -> None:
        tag = _tag(el)
        if not tag or tag in _DROP or _hidden(el):
            return
        if _is_furniture(el) and el is not body:
            text = _text(el)
            if text:
                furniture.append(Furniture(text[:500], _loc(el), "header" if tag == "header" else "footer"))
            return
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            text = _text(el).replace("\n", " ")
            if text:
                num = numbering_of(text)
                blocks.append(Heading(text, h_levels.index(int(tag[1])) + 1, _loc(el), num[0] if num else "", "markup"))
            return
        if tag == "table":
            rows, header = table_to_rows(el)
            if rows:
                blocks.append(table_or_toc(Table(rows, header), settings))
            return
        if tag == "dl":
            rows, term = [], None
            for c in el:
                if _tag(c) == "dt":
                    term = _text(c)
                elif _tag(c) == "dd":
                    rows.append(Row((term or "", _text(c)), _loc(c)))
                    term = None
            if rows:
                blocks.append(Table(tuple(rows)))
            return
        if tag in ("ul", "ol"):
            items = [c for c in el if _tag(c) == "li"]
            for c in el:
                if _tag(c) in ("ul", "ol"):  # a list nested straight in a list (not inside an li)
                    walk(c, list_depth + 1)
                    continue
                if _tag(c) != "li":
                    continue
                li = c
                marker = f"{items.index(li) + 1}." if tag == "ol" else "・"
                own = [li.text or ""] + [(k.tail or "") if _tag(k) in ("ul", "ol", "table") else _text_with_tail(k)
                                         for k in li]
                text = normalize_text(" ".join(t.strip() for t in own if t and t.strip())).strip()
                m = _OWN_MARK.match(text)
                if m:  # the item writes its own mark (・, ■, ○ …): that is its marker
                    marker, text = m.group(1), text[m.end():].strip()
                if text:
                    blocks.append(ListItem(text, _loc(li), marker, list_depth + 1))
                for k in li:
                    if _tag(k) in ("ul", "ol", "table"):
                        walk(k, list_depth + 1)
            return
        if tag == "pre":
            text = el.text_content().strip()
            if text:
                blocks.append(Paragraph(normalize_text(text), _loc(el)))
            return
        # a block with inline content and block children: each inline run is a paragraph
        texts: list[str] = [el.text or ""]
        for child in el:
            ctag = _tag(child)
            if ctag in _BLOCK or ctag in _FURNITURE:
                inline_run(texts, el)
                texts = []
                walk(child, list_depth)
                texts.append(child.tail or "")
            elif ctag == "br":
                inline_run(texts, el)
                texts = [child.tail or ""]
            elif ctag and ctag not in _DROP and not _hidden(child):
                texts.append(_text_with_tail(child))
            else:
                texts.append(child.tail or "")
        inline_run(texts, el)

    walk(body)
    inside = set(body.iter())
    for el in root.iter():  # banners, menus and footers outside the main content
        if isinstance(el.tag, str) and el not in inside and _is_furniture(el) and \
                not any(_is_furniture(a) for a in el.iterancestors()):
            text = _text(el)
            if text:
                furniture.append(Furniture(text[:500], _loc(el), "header" if _tag(el) in ("header", "nav") else "footer"))
    blocks = headings_to_levels(blocks, {}) if not h_levels else levels_under_markup(blocks, settings.heading_max_chars)
    return DocumentModel(tuple(blocks), tuple(furniture), None, "html", title)


def _text_with_tail(el) -> str:
    return el.text_content() + (el.tail or "") if _tag(el) not in _DROP else (el.tail or "")
