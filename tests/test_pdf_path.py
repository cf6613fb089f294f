"""The PDF path: report PDFs rendered from the text export (three layouts) read
into the same records as the text export; and the reader's steps on small PDFs
made here (running headers and footers, tables and paragraphs broken across pages)."""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from kb.core.normalize import map_chars, squash
from tests.pdf_render import VARIANTS, Layout, RPara, RTable, render_blocks, render_corpus, variant

LAYOUTS = [pytest.param(v.name, id=v.name) for v in VARIANTS]


@pytest.fixture(scope="session")
def rendered(tmp_path_factory) -> dict[str, tuple[Path, int]]:
    """Every available layout rendered once per session: name → (pdf, pages)."""
    out = {}
    d = tmp_path_factory.mktemp("pdfs")
    for v in VARIANTS:
        if v.unavailable():
            print(f"skipping layout {v.name}: {v.unavailable()}")
            continue
        path = d / f"{v.name}.pdf"
        out[v.name] = (path, render_corpus(path, v))
    return out


_PARSED: dict[str, object] = {}


@pytest.fixture
def pdf_parsed(request, rendered):
    """The PDF of one layout through ``read_document`` (parsed once per session)."""
    name = request.param
    if name not in rendered:
        pytest.skip(f"layout {name}: {variant(name).unavailable()}")
    if name not in _PARSED:
        from ingest.read import read_document
        from ingest.pipeline import load_manifest
        from tests.conftest import CORPUS, CORPUS_TEXT
        meta = load_manifest(CORPUS).get(CORPUS_TEXT.name)
        _PARSED[name] = read_document(rendered[name][0], meta)
    return _PARSED[name]


def of(parsed, kind):
    return [r for r in parsed.records if r.kind == kind]


def lesson_keys(parsed):
    return sorted((r.city, r.step, r.scope, squash(r.title), squash(r.text), r.fields["schedule_only"],
                   r.fields["timing"], r.fields["year"]) for r in of(parsed, "lesson"))


@pytest.mark.slow
@pytest.mark.parametrize("pdf_parsed", LAYOUTS, indirect=True)
def test_same_lessons_as_text_export(pdf_parsed, corpus_parsed):
    assert pdf_parsed.document.recognized and pdf_parsed.document.format == "pdf"
    assert lesson_keys(pdf_parsed) == lesson_keys(corpus_parsed)


@pytest.mark.slow
@pytest.mark.parametrize("pdf_parsed", LAYOUTS, indirect=True)
def test_same_trials_and_profiles(pdf_parsed, corpus_parsed):
    def trials(p):
        return sorted((r.city, r.title, r.fields["vendor"], r.fields["cost_yen"], squash(r.fields["period"]))
                      for r in of(p, "trial"))

    def profiles(p):
        keys = ("population", "population_date", "department", "pf_start", "council_start", "pf_start_raw",
                "council_start_raw", "members")
        return sorted((r.city, *(r.fields[k] for k in keys)) for r in of(p, "profile"))

    assert trials(pdf_parsed) == trials(corpus_parsed)
    assert profiles(pdf_parsed) == profiles(corpus_parsed)


@pytest.mark.slow
@pytest.mark.parametrize("pdf_parsed", LAYOUTS, indirect=True)
def test_same_counts_and_no_new_problems(pdf_parsed, corpus_parsed):
    for kind in ("summary", "overview", "breakthrough", "column"):
        assert Counter(r.city for r in of(pdf_parsed, kind)) == Counter(r.city for r in of(corpus_parsed, kind)), kind
    assert [n for n in pdf_parsed.notes if n.severity in ("unparsed", "warning")] == []


@pytest.mark.slow
@pytest.mark.parametrize("pdf_parsed", LAYOUTS, indirect=True)
def test_trial_list_rows_broken_across_pages_are_whole(pdf_parsed, corpus_parsed):
    """A trial row that a page break cuts keeps its whole content (not a stray context)."""
    def contents(p):
        return sorted((r.city, squash(r.fields["content"]), squash(r.fields["kpi"])) for r in of(p, "trial"))
    assert contents(pdf_parsed) == contents(corpus_parsed)


def _page_texts(pdf_path: Path) -> dict[int, str]:
    """Each page's text and its table cells (a wrapped cell read as one), squashed."""
    import pdfplumber
    out = {}
    with pdfplumber.open(pdf_path) as pdf:
        for page in pdf.pages:
            cells = [c or "" for t in page.extract_tables() for row in t for c in row]
            out[page.page_number] = squash(page.extract_text() + "".join(cells))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("pdf_parsed", LAYOUTS, indirect=True)
def test_lesson_pages_hold_their_headline(pdf_parsed, rendered, request):
    name = request.node.callspec.params["pdf_parsed"]
    texts = _page_texts(rendered[name][0])
    lessons = of(pdf_parsed, "lesson")
    assert lessons and all(r.source.page for r in lessons)
    for r in lessons:
        head = "■" + squash(r.title)[:12]
        assert head in texts[r.source.page], (r.city, r.step, r.title, r.source.page)


@pytest.mark.slow
def test_browser_text_layer_is_repaired(rendered):
    """The browser layout really carries Kangxi radicals, CJK Radicals Supplement
    forms and U+2027 in its text layer, and the records carry none of them."""
    name = "ipaex-browser"
    if name not in rendered:
        pytest.skip(f"layout {name}: {variant(name).unavailable()}")
    import pdfplumber
    with pdfplumber.open(rendered[name][0]) as pdf:
        raw = "".join(p.extract_text() for p in pdf.pages[10:14])
    assert re.search("[\u2f00-\u2fd5]", raw) and "⺠" in raw and "\u2027" in raw
    from ingest.read import read_document
    parsed = _PARSED.get(name) or read_document(rendered[name][0])
    text = "".join(r.title + r.text for r in parsed.records)
    assert not re.search("[\u2e80-\u2fdf\u2027]", text)
    assert "官民連携" in text and "立ち上げ" in text


@pytest.mark.slow
def test_rendered_report_looks_like_one(rendered):
    """Header on every page but the cover, a page number on every page, ~1 page per 1,000 characters."""
    import pdfplumber
    path, pages = rendered["mincho-cid"]
    assert pages >= 40
    with pdfplumber.open(path) as pdf:
        assert len(pdf.pages) == pages
        for page in pdf.pages[1:]:
            lines = page.extract_text().split("\n")
            assert squash(lines[0]) == squash(VARIANTS[0].header)
            assert lines[-1].strip() == f"- {page.page_number} -"
        assert len(pdf.pages[15].find_tables()) >= 1


# --- the reader's steps on small PDFs ------------------------------------------------

SMALL = Layout("small", font_size=10.5, header="ある報告書の見出し 令和7年3月", footer="{page} / {pages}")


def _read(path):
    from ingest.model import Paragraph, Table
    from ingest.readers.pdf import pdf_to_blocks
    blocks, pages = pdf_to_blocks(path)
    paras = [b.text for b in blocks if isinstance(b, Paragraph)]
    tables = [b for b in blocks if isinstance(b, Table)]
    return blocks, pages, paras, tables


def test_running_header_and_page_numbers_dropped(tmp_path):
    body = [RPara(f"第{i}節の本文。" + "孤独・孤立対策の官民連携を進めるための取組を説明する文章です。" * 3) for i in range(1, 40)]
    path = tmp_path / "h.pdf"
    n = render_blocks(body, path, SMALL)
    assert n >= 3
    _, pages, paras, _ = _read(path)
    assert pages == n
    assert not any("ある報告書の見出し" in p for p in paras)
    assert not any(re.fullmatch(r"\d+/\d+", squash(p)) for p in paras)
    # every paragraph comes back whole, once, in order — also the ones a page break cut
    assert [squash(p) for p in paras] == [squash(b.text) for b in body]


def test_page_number_styles_dropped_on_a_short_document(tmp_path):
    for footer in ("- {page} -", "{page}"):
        path = tmp_path / "n.pdf"
        body = [RPara("本文" + "あいうえお" * 30) for _ in range(12)]
        render_blocks(body, path, Layout("n", header="", footer=footer))
        _, _, paras, _ = _read(path)
        assert [squash(p) for p in paras] == [squash(b.text) for b in body], footer


def test_table_continued_across_pages_is_one_table(tmp_path):
    header = ("No.", "事業名称", "事業内容", "発注先")
    rows = [header] + [(str(i), f"事業{i}", "内容の説明です。" * (1 + i % 2), f"株式会社{i}" if i % 3 else "")
                       for i in range(1, 91)]
    layout = Layout("t", repeat_table_header=True)
    path = tmp_path / "t.pdf"
    n = render_blocks([RPara("一覧表"), RTable(tuple(rows)), RPara("表の後の段落。")], path, layout)
    assert n >= 3
    _, _, paras, tables = _read(path)
    assert len(tables) == 1
    got = [tuple(squash(c) for c in r.cells) for r in tables[0].rows]
    want = [tuple(squash(c) for c in r) for r in rows]
    want = [w[:-1] if not w[-1] else w for w in want]  # an empty last cell is dropped, as in the text reader
    assert got == want  # the repeated header row is dropped, the empty cells keep their position
    assert len({r.loc.page for r in tables[0].rows}) == n  # and each row knows its page
    assert paras == ["一覧表", "表の後の段落。"]


def test_merged_cells_keep_column_positions(tmp_path):
    rows = (("①", "実態把握調査", "アンケート調査を実施", "11月-:調査", "東京商工リサーチ (290 万円)"),
            ("", "", "成果検証結果", "✓ 孤独・孤立を感じている人の割合:約 35%"),
            ("1. 取組の全体像",))
    path = tmp_path / "m.pdf"
    render_blocks([RTable(rows)], path, SMALL)
    _, _, _, tables = _read(path)
    # cells keep their line breaks (a wrapped cell is several lines): compare squashed
    assert [tuple(squash(c) for c in r.cells) for r in tables[0].rows] == [tuple(squash(c) for c in r) for r in rows]
    assert tables[0].rows[1].cells[:3] == ("", "", "成果検証結果")


def test_cell_paragraph_gap_is_an_item_boundary(tmp_path):
    from ingest.model import cell_to_items
    cell = "<p>■見出しの文</p><p>続く段落の文章です。</p><ul><li>箇条書きの一つ目</li><li>二つ目</li></ul>"
    path = tmp_path / "c.pdf"
    render_blocks([RTable((("①", cell),))], path, SMALL)
    _, _, _, tables = _read(path)
    items = cell_to_items(tables[0].rows[0].cells[1])
    assert [(i.kind, i.text) for i in items] == [("headline", "見出しの文"), ("text", "続く段落の文章です。"),
                                                 ("bullet", "箇条書きの一つ目"), ("bullet", "二つ目")]


def test_generic_pdf_is_context(tmp_path):
    from ingest.read import read_document
    path = tmp_path / "memo.pdf"
    body = [RPara("会議メモ", "h2", bold=True)] + [RPara("議題についての意見交換を行った。" * 4) for _ in range(6)]
    render_blocks(body, path, Layout("memo", header="", footer="{page}"))
    parsed = read_document(path)
    assert parsed.document.recognized is False and parsed.document.pages == 1
    assert {r.kind for r in parsed.records} == {"context"}
    assert all(r.source.page == 1 for r in parsed.records)
    assert "議題についての意見交換を行った。" in parsed.records[0].text


# --- pure steps --------------------------------------------------------------------


def test_chars_to_lines_joins_japanese_and_spaces_latin():
    from ingest.readers.pdf import Char, chars_to_lines
    chars = [Char(ch, 10 + 10 * i, 20 + 10 * i, 100, 110, 10) for i, ch in enumerate("連携")]
    chars += [Char(ch, 60 + 5 * i, 65 + 5 * i, 100.5, 110.5, 10) for i, ch in enumerate("NPO")]
    chars += [Char("法", 90, 100, 100, 110, 10), Char("人", 10, 20, 115, 125, 10)]
    lines = chars_to_lines(chars)
    assert [l.text for l in lines] == ["連携 NPO 法", "人"]


def test_lines_to_paragraphs_wraps_and_breaks():
    from ingest.readers.pdf import Line, lines_to_paragraphs

    def line(text, top, x1=500.0, x0=50.0):
        return Line(text, x0, x1, top, top + 10, 10, 10)
    lines = [line("■見出し", 0, 120), line("本文の一行目が右端まで", 16), line("続いて終わる。", 30, 200),
             line("・箇条書き", 44), line("の続き", 58, 120, 62), line("次の段落", 90, 150)]
    paras = lines_to_paragraphs(lines, right=500)
    assert [p.text for p in paras] == ["■見出し", "本文の一行目が右端まで続いて終わる。", "・箇条書きの続き", "次の段落"]


def test_row_to_cells_puts_merged_cells_at_their_position():
    from ingest.readers.pdf import row_to_cells
    columns = (10.0, 50.0, 90.0, 200.0, 300.0)
    assert row_to_cells(((10.0, ""), (90.0, "成果検証結果"), (200.0, "✓35%")), columns) == ("", "", "成果検証結果", "✓35%")
    assert row_to_cells(((10.0, "見出し"),), columns) == ("見出し",)


def test_layout_is_checked():
    from tests.pdf_render import LayoutError
    with pytest.raises(LayoutError, match="wrong_code_points needs an embedded TTF"):
        Layout("x", font="HeiseiMin-W3", wrong_code_points=True)
    with pytest.raises(LayoutError, match="column_widths"):
        Layout("x", column_widths="auto")


def test_wrong_code_point_map_is_repaired_by_normalisation():
    from kb.core.normalize import normalize_text
    from tests.pdf_render import wrong_code_point_map
    m = wrong_code_point_map()
    assert m["立"] == "⽴" and m["民"] == "⺠" and m["・"] == "\u2027"
    assert all(normalize_text(v) == k for k, v in m.items())
    assert map_chars("⽴ち上げ ⺠間 孤独\u2027孤立") == "立ち上げ 民間 孤独・孤立"
