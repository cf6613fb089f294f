"""Renditions of the corpus report read into the document model: the same headings
(with levels), paragraphs and table cells as the text export, printed page numbers
detected, and no page furniture in the body. Renditions: a web page saved from a
browser (HTML), that page printed by Chromium (bands with white text, 「N / M」 top
right, narrow wrapping columns, header rows not repeated), a Word document (DOCX) and
that document converted by LibreOffice. Each is rendered once per session."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest.model import Heading, ListItem, Paragraph, Table, Toc, block_loc
from kb.core.normalize import squash
from tests.html_render import (chromium_unavailable, docx_to_pdf, export_to_docx, export_to_html, print_html,
                               soffice_unavailable)


@pytest.fixture(scope="session")
def reference():
    from ingest.readers.text import text_to_document
    from tests.conftest import CORPUS_TEXT
    return text_to_document(CORPUS_TEXT.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def rendition_dir(tmp_path_factory) -> Path:
    from tests.conftest import CORPUS_TEXT
    d = tmp_path_factory.mktemp("renditions")
    text = CORPUS_TEXT.read_text(encoding="utf-8")
    (d / "report.html").write_text(export_to_html(text), encoding="utf-8")
    export_to_docx(text, d / "report.docx")
    return d


_MODELS: dict[str, object] = {}


def _model(name: str, d: Path):
    """The model of one rendition (read once per session); skips when its tool is missing."""
    if name in _MODELS:
        return _MODELS[name]
    from ingest.read import read_model
    if name == "html":
        path = d / "report.html"
    elif name == "docx":
        path = d / "report.docx"
    elif name == "chromium":
        if chromium_unavailable():
            pytest.skip(chromium_unavailable())
        path = d / "chromium.pdf"
        print_html((d / "report.html").read_text(encoding="utf-8"), path)
    elif name == "libreoffice":
        if soffice_unavailable():
            pytest.skip(soffice_unavailable())
        path = docx_to_pdf(d / "report.docx", d)
    else:
        raise ValueError(name)
    _MODELS[name] = read_model(path)
    return _MODELS[name]


@pytest.fixture
def model(request, rendition_dir):
    return _model(request.param, rendition_dir)


RENDITIONS = [pytest.param("html", id="html"), pytest.param("docx", id="docx"),
              pytest.param("chromium", id="chromium", marks=pytest.mark.slow),
              pytest.param("libreoffice", id="libreoffice", marks=pytest.mark.slow)]
PRINTED = [p for p in RENDITIONS if p.id in ("chromium", "libreoffice")]


def headings_found(ref, doc) -> tuple[float, float]:
    """Share of the text export's headings the rendition has, and share of those with the same level."""
    got = {}
    for h in doc.headings:
        got.setdefault(squash(h.text), h.level)
    want = [(squash(h.text), h.level) for h in ref.headings]
    found = [(t, lv) for t, lv in want if t in got]
    same = [1 for t, lv in found if got[t] == lv]
    return len(found) / len(want), len(same) / max(1, len(found))


def body_of(doc) -> str:
    return "".join(squash(b.text) for b in doc.blocks if isinstance(b, (Paragraph, Heading, ListItem)))


def paragraphs_found(ref, doc) -> float:
    body = body_of(doc) + "".join(squash(c) for b in doc.blocks if isinstance(b, Table) for r in b.rows for c in r.cells)
    want = [squash(b.text).lstrip("-・") for b in ref.blocks if isinstance(b, Paragraph) and len(squash(b.text)) >= 10]
    return sum(1 for t in want if t in body) / len(want)


def cells_found(ref, doc) -> float:
    def cells(m):
        out = set()
        for b in m.blocks:
            rows = b.rows if isinstance(b, Table) else b.table.rows if isinstance(b, Toc) and b.table else ()
            out |= {squash(c) for r in rows for c in r.cells if squash(c)}
        return out
    want, got = cells(ref), cells(doc)
    return len(want & got) / len(want)


@pytest.mark.parametrize("model", RENDITIONS, indirect=True)
def test_same_headings_as_the_text_export(model, reference):
    found, same_level = headings_found(reference, model)
    assert found >= 0.95, f"only {found:.0%} of the text export's headings found"
    if model.format == "pdf":
        # numbering and typography give the text export's levels again (HTML and DOCX keep their markup's)
        assert same_level >= 0.9, f"only {same_level:.0%} of the headings at the same level"
    chapters = [h for h in model.headings if re.match(r"^第\d章", h.text)]
    assert chapters and all(h.level == 1 for h in chapters)
    assert all(h.level == 2 for h in model.headings if re.match(r"^2-\d\.", h.text))


@pytest.mark.parametrize("model", RENDITIONS, indirect=True)
def test_same_paragraphs_and_cells(model, reference):
    assert paragraphs_found(reference, model) >= 0.95
    assert cells_found(reference, model) >= 0.9


@pytest.mark.parametrize("model", RENDITIONS, indirect=True)
def test_contents_recognised_not_taken_for_headings(model):
    tocs = [t for t in model.tocs if len(t.entries) >= 20]
    assert tocs, "the table of contents was not recognised"
    entries = {squash(e.text) for e in tocs[0].entries}
    toc_where = block_loc(tocs[0])
    before = [h for h in model.headings if squash(h.text) in entries
              and (block_loc(h).page or 0, block_loc(h).line or 0) < (toc_where.page or 0, toc_where.line or 0)]
    assert not before
    # each chapter heading once in the body, not once more from the contents
    assert sum(squash(h.text) == "第1章調査研究事業の概要" for h in model.headings) == 1


@pytest.mark.parametrize("model", PRINTED, indirect=True)
def test_printed_pages_and_no_furniture_in_the_body(model):
    pages = {}
    for b in model.blocks:
        loc = block_loc(b)
        if loc.page:
            pages[loc.page] = loc.printed_page
    numbered = [p for p, label in pages.items() if label == str(p)]
    assert len(numbered) >= 0.9 * len(pages)
    paras = [squash(b.text) for b in model.blocks if isinstance(b, (Paragraph, Heading))]
    assert not any(re.fullmatch(r"[―\-]?\d{1,3}(/\d{1,3})?[―\-]?", t) for t in paras)
    title = squash("孤独・孤立対策に関する地域連携推進モデル調査研究業務（関東、中国・四国1、九州地域）報告書")
    assert sum(t == title for t in paras) <= 1  # the cover's title, not a running header on every page
    # the page number (alone, or in the running header beside the title) is furniture on every page
    assert len({f.loc.page for f in model.furniture if f.kind in ("page_number", "header", "footer")}) >= 0.9 * model.pages


@pytest.mark.parametrize("model", [p for p in RENDITIONS if p.id == "chromium"], indirect=True)
def test_browser_bands_read_as_chapter_headings(model):
    chapters = [h for h in model.headings if re.match(r"^第\d章", h.text)]
    assert [squash(h.text) for h in chapters] == ["第1章調査研究事業の概要", "第2章事例集"]
