"""Readers → the document model: heading numbering and levels, the table of
contents, page furniture and printed page numbers, reader settings; on strings
and on small PDFs drawn here (bands with white text, 「N / M」 top right,
「― N ―」 footers alternating left and right, a cover page that is not counted)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest.model import Heading, ListItem, Paragraph, Table, block_loc
from ingest.readers.headings import LevelStack, numbering_of, toc_line_parts
from ingest.readers.pdf_furniture import page_number_in, printed_page_numbers
from ingest.readers.settings import ReaderSettings, ReaderSettingsError
from ingest.readers.text import text_to_document
from kb.core.normalize import squash


@pytest.mark.parametrize("text,family", [
    ("第2章 事例集", "chapter"), ("第1部 総論", "part"), ("Ⅱ．基本的考え方", "roman"), ("Ⅱ-1 目的", "section"),
    ("2-1. 福岡市", "section"), ("1-2-3 細目", "section3"), ("1. 取組の全体像", "dot"), ("１．推進法の規定", "dot"),
    ("(1) 背景", "paren"), ("（２）重点計画の構成", "paren"), ("3) 留意点", "close_paren"), ("① 実態把握", "circled"),
    ("(ア) 初期段階", "kana_paren"), ("【行程】", "bracket"), ("1.2 範囲", "decimal2"),
])
def test_numbering_families(text, family):
    assert numbering_of(text)[1] == family


@pytest.mark.parametrize("text", ["1.5倍に増えた", "令和6年度", "2024年の調査", "■ 見出し", "・箇条書き", "39.7%"])
def test_not_numbering(text):
    assert numbering_of(text) is None


def test_levels_follow_the_nesting_of_numbering_styles():
    stack = LevelStack()
    seq = ["chapter", "section", "dot", "paren", "circled", "paren", "dot", "section", "paren", "chapter", "circled"]
    assert [stack.level(f) for f in seq] == [1, 2, 3, 4, 5, 4, 3, 2, 3, 1, 2]


def test_toc_lines():
    assert toc_line_parts("（１）重点計画に定める事項 ........................ 2") == ("(1)重点計画に定める事項", "2")
    assert toc_line_parts("はじめに ..................................... 1") == ("はじめに", "1")
    assert toc_line_parts("令和6年度の取組は 3") is None  # a sentence ending in a number is not an entry


EXPORT = """報告書の表紙

目次

第1章 概要\t1
1-1. 目的\t1
1-2. 体制\t2
第2章 事例\t3

第1章 概要

1-1. 目的

本業務は、地域の連携を進めるために行った。

(1) 背景

背景の本文です。

1-2. 体制

第2章 事例

■ 見出しは段落のまま
"""


def test_text_export_headings_and_contents():
    doc = text_to_document(EXPORT)
    heads = [(h.text, h.level) for h in doc.headings]
    assert heads == [("第1章概要", 1), ("1-1.目的", 2), ("(1)背景", 3), ("1-2.体制", 2), ("第2章事例", 1)]
    (toc,) = doc.tocs
    assert [(e.text, e.level, e.page_label) for e in toc.entries][:3] == [("第1章概要", 1, "1"), ("1-1.目的", 2, "1"),
                                                                         ("1-2.体制", 2, "2")]
    # contents entries are never headings, and body text stays paragraphs
    assert not any(isinstance(b, Heading) and b.loc.line and b.loc.line < 9 for b in doc.blocks)
    paras = [b.text for b in doc.blocks if isinstance(b, Paragraph)]
    assert "■見出しは段落のまま" in [squash(p) for p in paras]


def test_markdown_headings_take_their_level():
    doc = text_to_document("# 表題\n\n本文。\n\n## 小見出し\n\n本文。\n")
    assert [(h.text, h.level, h.source) for h in doc.headings] == [("表題", 1, "markup"), ("小見出し", 2, "markup")]


def test_page_numbers_in_running_lines():
    assert [page_number_in(t) for t in ("12", "- 12 -", "― 12 ―", "12 / 58", "p.12", "12ページ",
                                        "ある報告書 12", "3 ある報告書")] == [12, 12, 12, 12, 12, 12, 12, 3]
    assert page_number_in("令和7年3月") is None


def test_printed_pages_follow_the_page_order():
    # a cover and a contents page without numbers, then 1..5; a stray number on page 4 (a year)
    seen = {3: [1], 4: [2, 2024], 5: [3], 6: [4], 7: [5]}
    assert printed_page_numbers(seen) == {3: 1, 4: 2, 5: 3, 6: 4, 7: 5}


def test_reader_settings_are_checked():
    with pytest.raises(ReaderSettingsError, match="edge_zone"):
        ReaderSettings(edge_zone=0.8)
    with pytest.raises(ReaderSettingsError, match="word_gap"):
        ReaderSettings(word_gap=-1)
    assert ReaderSettings().heading_size_ratio > 1


# --- small PDFs drawn with reportlab ---------------------------------------------------

BODY = "孤独・孤立対策の官民連携プラットフォームを立ち上げるための取組を、地域の団体とともに進めた。"


def _draw(path: Path, pages: int = 6) -> None:
    """A cover (not counted), then numbered pages: a running title and 「N / M」 top right,
    「― N ―」 at the foot alternating left and right, a chapter heading in a dark band with
    white text, numbered section headings in body type, body paragraphs."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas
    for f in ("HeiseiMin-W3", "HeiseiKakuGo-W5"):
        pdfmetrics.registerFont(UnicodeCIDFont(f))
    w, h = A4
    c = canvas.Canvas(str(path), pagesize=A4)
    c.setFont("HeiseiKakuGo-W5", 22)
    c.drawCentredString(w / 2, h / 2, "ある自治体の取組報告書")
    c.showPage()
    for n in range(1, pages):
        c.setFont("HeiseiMin-W3", 8)
        c.drawString(60, h - 40, "ある自治体の取組報告書")
        c.drawRightString(w - 60, h - 40, f"{n} / {pages - 1}")
        y = h - 100
        if n % 2 == 1:
            c.setFillColorRGB(0.1, 0.25, 0.5)
            c.rect(55, y - 8, w - 110, 30, stroke=0, fill=1)
            c.setFillColorRGB(1, 1, 1)
            c.setFont("HeiseiKakuGo-W5", 14)
            c.drawString(65, y, f"第{(n + 1) // 2}章 章の題{n}")
            c.setFillColorRGB(0, 0, 0)
            y -= 50
        c.setFont("HeiseiMin-W3", 10.5)
        c.drawString(60, y, f"{n}-1. 節の題{n}")
        y -= 30
        for k in range(8):
            c.drawString(60, y, f"{BODY}")
            y -= 16
        c.drawString(60, y - 10, f"({1}) 小見出し{n}")
        y -= 40
        for k in range(6):
            c.drawString(60, y, BODY)
            y -= 16
        foot = f"― {n} ―"
        if n % 2:
            c.drawRightString(w - 60, 40, foot)
        else:
            c.drawString(60, 40, foot)
        c.showPage()
    c.save()


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    from ingest.readers.pdf import pdf_to_document
    path = tmp_path_factory.mktemp("drawn") / "report.pdf"
    _draw(path)
    return pdf_to_document(path)


def test_band_headings_and_levels(drawn):
    heads = [(squash(h.text), h.level, h.loc.page) for h in drawn.headings if h.loc.page > 1]
    assert ("第1章章の題1", 1, 2) in heads
    assert ("1-1.節の題1", 2, 2) in heads
    assert ("(1)小見出し1", 3, 2) in heads
    assert ("2-1.節の題2", 2, 3) in heads
    assert ("第2章章の題3", 1, 4) in heads


def test_printed_pages_and_furniture(drawn):
    by_page = {block_loc(b).page: block_loc(b).printed_page for b in drawn.blocks if block_loc(b).page}
    assert by_page[2] == "1" and by_page[6] == "5"  # the cover is page 1 but not numbered
    assert by_page.get(1) is None
    body = " ".join(squash(b.text) for b in drawn.blocks if isinstance(b, (Paragraph, Heading)) and b.loc.page > 1)
    assert "/5" not in body and "―" not in body
    assert body.count("ある自治体の取組報告書") == 0
    kinds = {f.kind for f in drawn.furniture}
    assert {"page_number", "header"} <= kinds or "page_number" in kinds
    assert sum(f.kind == "page_number" for f in drawn.furniture) >= 5


# --- a real government PDF ---------------------------------------------------------------

REAL = Path(__file__).parent / "pdfs" / "juten_keikaku_r7_gaiyou_kihonhoushin.pdf"


@pytest.fixture(scope="module")
def real():
    from ingest.readers.pdf import pdf_to_document
    return pdf_to_document(REAL)


def test_real_pdf_matches_its_golden_reading(real):
    import json
    from tests.golden_reader import golden_path, reduce
    golden = json.loads(golden_path(REAL).read_text(encoding="utf-8"))
    assert reduce(real) == golden, "reader output changed: if on purpose, run python -m tests.golden_reader"


def test_real_pdf_structure(real):
    heads = {squash(h.text): h for h in real.headings}
    one = heads["I.重点計画について"]
    assert (one.level, one.loc.page, one.loc.printed_page) == (1, 5, "2")
    assert heads["1.推進法の規定と重点計画の関係"].level == 2
    assert heads["(1)重点計画に定める事項"].level == 3
    assert heads["II.孤独・孤立対策の基本的考え方等"].level == 1
    # the contents page gives the hierarchy but none of its entries is a heading
    (toc,) = real.tocs
    assert len(toc.entries) >= 25 and toc.loc.page == 3
    assert not any(h.loc.page == 3 and h.text != "目次" for h in real.headings)
    # printed page numbers are furniture, never body text; footnotes too
    body = [b.text for b in real.blocks if isinstance(b, Paragraph)]
    assert not any(re.fullmatch(r"\d{1,3}", squash(t)) for t in body)
    assert sum(f.kind == "page_number" for f in real.furniture) == 23
    assert any(f.kind == "footnote" and "推進法において" in f.text for f in real.furniture)
    assert not any("推進法において、孤独・孤立の状態とは" in t for t in body)


# --- web pages and Word documents --------------------------------------------------------

PAGE = """<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8"><title>モデル自治体からのアドバイス</title>
<style>p { color: red }</style><script>var x = "本文ではない";</script></head>
<body><header><nav><a href="/">トップ</a> &gt; <a href="/a">施策</a></nav></header>
<main><h1>モデル自治体からのアドバイス</h1>
<p>孤独・孤立対策に取り組む自治体の担当者の声をまとめました。</p>
<h2>1. 取り組もうとした理由</h2>
<ul><li>・地域の<b>つながり</b>が弱まっていた</li><li>相談窓口が分散していた<ul><li>入れ子の項目</li></ul></li></ul>
<h3>(1) まず始めたこと</h3>
<table><thead><tr><th>自治体</th><th>まず始めたこと</th><th>良かったこと</th></tr></thead>
<tbody><tr><td rowspan="2">福岡市</td><td>庁内の会議</td><td>情報共有が進んだ</td></tr>
<tr><td colspan="2">関係団体への声掛け</td></tr></tbody></table>
<dl><dt>担当課</dt><dd>生活支援課</dd></dl>
<div hidden>隠れた文</div></main>
<footer>© 内閣府 〒100-8914</footer></body></html>"""


def test_html_page_into_the_model():
    from ingest.readers.html import html_to_document
    doc = html_to_document(PAGE.encode("utf-8"))
    assert doc.title == "モデル自治体からのアドバイス"
    assert [(h.text, h.level) for h in doc.headings] == [
        ("モデル自治体からのアドバイス", 1), ("1.取り組もうとした理由", 2), ("(1)まず始めたこと", 3)]
    items = [(b.text, b.marker, b.level) for b in doc.blocks if isinstance(b, ListItem)]
    assert items == [("地域のつながりが弱まっていた", "・", 1), ("相談窓口が分散していた", "・", 1), ("入れ子の項目", "・", 2)]
    table, dl = [b for b in doc.blocks if isinstance(b, Table)]
    assert table.header_rows == 1
    assert [r.cells for r in table.rows] == [("自治体", "まず始めたこと", "良かったこと"),
                                            ("福岡市", "庁内の会議", "情報共有が進んだ"), ("", "関係団体への声掛け")]
    assert [r.cells for r in dl.rows] == [("担当課", "生活支援課")]
    text = " ".join(b.text for b in doc.blocks if isinstance(b, (Paragraph, Heading, ListItem)))
    assert "本文ではない" not in text and "隠れた文" not in text and "トップ" not in text and "内閣府" not in text
    assert {f.kind for f in doc.furniture} == {"header", "footer"}
    assert all(b.loc.line for b in doc.blocks if isinstance(b, (Paragraph, Heading)))  # cites its source line


def test_docx_into_the_model(tmp_path):
    import docx
    d = docx.Document()
    d.add_heading("第1章 概要", level=1)
    d.add_paragraph("本文の段落です。")
    d.add_heading("1-1. 目的", level=2)
    d.add_paragraph("箇条書きの項目", style="List Bullet")
    d.add_paragraph("(1) 背景")
    t = d.add_table(rows=3, cols=3)
    for i, row in enumerate([("自治体", "人口", "担当課"), ("熊本市", "73万人", "地域政策課"), ("", "", "")]):
        for j, v in enumerate(row):
            t.rows[i].cells[j].text = v
    t.rows[2].cells[0].merge(t.rows[2].cells[2]).text = "注記"
    path = tmp_path / "r.docx"
    d.save(str(path))
    from ingest.readers.docx import docx_to_document
    doc = docx_to_document(path)
    assert [(h.text, h.level, h.source) for h in doc.headings] == [
        ("第1章概要", 1, "markup"), ("1-1.目的", 2, "markup"), ("(1)背景", 3, "numbering")]
    assert [b.text for b in doc.blocks if isinstance(b, ListItem)] == ["箇条書きの項目"]
    (table,) = [b for b in doc.blocks if isinstance(b, Table)]
    assert [r.cells for r in table.rows] == [("自治体", "人口", "担当課"), ("熊本市", "73万人", "地域政策課"), ("注記",)]


def test_html_and_docx_that_are_not_reports_ingest_as_context(tmp_path):
    from ingest.read import read_document
    page = tmp_path / "advice.html"
    page.write_text(PAGE, encoding="utf-8")
    parsed = read_document(page)
    assert parsed.document.format == "html" and not parsed.document.recognized
    assert parsed.records and {r.kind for r in parsed.records} == {"context"}
    assert parsed.notes  # the parse says what it understood and why there is no structure
    assert any("情報共有が進んだ" in r.text for r in parsed.records)


@pytest.mark.parametrize("name,content,message", [
    ("broken.docx", b"PK\x03\x04" + b"\x00" * 40, "DOCX"),
    ("archive.zip", None, "Word"),
    ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".docx"),
    ("fake.docx", "ただのテキスト".encode("utf-8"), "DOCX"),
])
def test_bad_office_files_are_named_errors(tmp_path, name, content, message):
    import zipfile
    from ingest.read import read_document
    from kb.core.errors import InputFileError
    path = tmp_path / name
    if content is None:
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("readme.txt", "not a document")
    else:
        path.write_bytes(content)
    with pytest.raises(InputFileError) as e:
        read_document(path)
    assert name in str(e.value) and message in str(e.value)


def test_the_lean_character_path_gives_pdfplumbers_characters():
    """The reader's faster ``process_object`` for characters (ingest/readers/pdf_pages.py) yields,
    on a real government PDF and a browser-printed one, the same characters as pdfplumber's own."""
    import pdfplumber
    from ingest.readers.pdf_pages import _lean_process_object
    keys = ("text", "x0", "x1", "top", "bottom", "y0", "y1", "doctop", "size", "fontname", "upright", "matrix",
            "non_stroking_color", "stroking_color", "width", "height", "adv", "object_type", "page_number")
    pdfs = sorted(Path(__file__).resolve().parent.joinpath("pdfs").glob("*.pdf"))
    assert pdfs
    for path in pdfs:
        with pdfplumber.open(path) as pdf, pdfplumber.open(path) as other:
            for i in range(min(3, len(pdf.pages))):
                std = [{k: c.get(k) for k in keys} for c in pdf.pages[i].chars]
                page = other.pages[i]  # another open: pdfplumber caches a page's objects
                page.process_object = _lean_process_object.__get__(page)
                lean = [{k: c.get(k) for k in keys} for c in page.chars]
                assert lean == std and std, (path.name, i)
                assert page.rects == pdf.pages[i].rects and page.edges == pdf.pages[i].edges
