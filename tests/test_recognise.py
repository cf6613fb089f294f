"""General recognisers: numbering grammar, section tree, municipality headings, label:value
grammar, numbered items with labelled fields, and the national plan (a real PDF) as a fixture."""
from __future__ import annotations

import json

import pytest

from ingest.model import Loc, Paragraph
from ingest.recognise.labels import canonical_label, split_labelled_fields
from ingest.recognise.municipality import municipality_of
from ingest.recognise.numbering import numbering_of
from ingest.recognise.tree import blocks_to_tree
from ingest.report.parse import blocks_to_parsed
from kb.core.records import Document
from tests.golden_records import DOCUMENTS, GOLDEN, parse, records_summary


def paras(text: str) -> list[Paragraph]:
    return [Paragraph(line, Loc(line=i, end_line=i)) for i, line in enumerate(text.strip().split("\n"), 1) if line.strip()]


def doc(id_="d") -> Document:
    return Document(id=id_, title="テスト文書", file="t.txt", sha256="0", format="text")


@pytest.mark.parametrize("line,style,num,title", [
    ("第2章 事例集", "chapter", "第2章", "事例集"),
    ("第三部 資料", "part", "第三部", "資料"),
    ("2-1. 福岡市", "dash", "2-1.", "福岡市"),
    ("II.孤独・孤立対策の基本的考え方等", "roman", "II.", "孤独・孤立対策の基本的考え方等"),
    ("(1)重点計画に定める事項", "paren", "(1)", "重点計画に定める事項"),
    ("① 主担当部署の設定", "circled", "①", "主担当部署の設定"),
    ("【それぞれの段階での留意点】", "bracket", "【それぞれの段階での留意点】", "それぞれの段階での留意点"),
    ("第1段階 構想期", "stage", "第1段階", "構想期"),
    ("施策No.12", "item_no", "施策No.12", ""),
])
def test_numbering_grammar(line, style, num, title):
    n = numbering_of(line)
    assert (n.style, n.numbering, n.title) == (style, num, title)


@pytest.mark.parametrize("line", ["1.5倍に増えた", "1-2月に実施", "令和6年度", "・箇条書き"])
def test_numbers_inside_text_are_not_numbering(line):
    assert numbering_of(line) is None


def test_levels_follow_first_appearance_not_titles():
    tree = blocks_to_tree(paras("""
Ⅰ はじめに
1. 背景
本文。
(1) 経緯
本文。
① 細目
本文。
(2) 課題
本文。
2. 目的
本文。
Ⅱ 方針
1. 基本
本文。
"""))
    outline = [(s.level, s.title) for s in tree.walk() if s.heading is not None]
    assert outline == [(1, "はじめに"), (2, "背景"), (3, "経緯"), (4, "細目"), (3, "課題"), (2, "目的"),
                       (1, "方針"), (2, "基本")]
    assert [s.title for s in tree.children[0].children[0].children] == ["経緯", "課題"]


def test_an_enumeration_inside_text_is_not_a_heading():
    tree = blocks_to_tree(paras("""
1. 定める事項
法律には次の事項を定める。
(1) 基本的な方針
(2) 講ずべき施策
(3) その他必要な事項
以上を定める。
"""))
    assert [s.title for s in tree.walk() if s.heading is not None] == ["定める事項"]


def test_a_list_opening_under_a_sibling_style_nests_below_it():
    """① first met beside (1) (same depth) and later opening a list right under a (1) heading."""
    tree = blocks_to_tree(paras("""
1. 基本理念
① 第一の理念について述べる
本文。
(1) 社会全体での対応
本文。
2. 基本方針
(1) 声を上げやすい社会
本文。
① 実態把握
本文。
② 情報発信
本文。
"""))
    second = tree.children[1]
    assert [c.title for c in second.children] == ["声を上げやすい社会"]
    assert [c.title for c in second.children[0].children] == ["実態把握", "情報発信"]


@pytest.mark.parametrize("title,city", [("福岡市", "福岡市"), ("福岡県福岡市", "福岡市"), ("東京都中野区", "中野区"),
                                        ("京都府京都市", "京都市"), ("呉市", "呉市"), ("千葉県 市原市", "市原市"),
                                        ("北海道札幌市", "札幌市"), ("市原市(千葉県)", "市原市")])
def test_municipality_headings_with_or_without_prefecture(title, city):
    assert municipality_of(title).city == city


@pytest.mark.parametrize("title", ["事例集", "本市", "都市", "福岡市の取組と課題について", "市区町村"])
def test_other_headings_name_no_municipality(title):
    assert municipality_of(title) is None


def test_label_synonyms():
    assert canonical_label("委託先") == canonical_label("発注先") == "vendor"
    assert canonical_label("事業費") == canonical_label("費用") == "cost"
    assert canonical_label("所管部署") == canonical_label("担当課") == "department"
    assert canonical_label("総人口") == "population"
    assert canonical_label("感想") is None


def test_label_value_grammar():
    fields, free = split_labelled_fields(["前書き", "＜現状＞ 相談が増えている", "続きの行", "【課題】", "人材不足",
                                          "委託先：株式会社A"])
    assert free == "前書き"
    assert fields == {"現状": "相談が増えている\n続きの行", "課題": "人材不足", "委託先": "株式会社A"}


PLAN_PART_III = """
III.具体的施策
1.声を上げやすい社会とする
(1)孤独・孤立の実態把握
施策No.1
● 孤独・孤立の実態把握に関する全国調査の実施【内閣府】
＜施策の概要＞
全国調査を毎年実施する。
＜現状＞
令和6年の調査では約4割が孤独感を感じている。
＜課題＞
若年層の回答率が低い。
【目標及び達成の期間】
毎年度調査を実施し結果を公表する。
施策No.2
● 地方公共団体による実態把握の支援【内閣府、総務省】
＜施策の概要＞
地方公共団体の調査を支援する。
＜今後の取組方針＞
調査の手引きを改定する。
"""


def test_numbered_items_with_labelled_fields_become_one_measure_each():
    parsed = blocks_to_parsed(paras(PLAN_PART_III), doc())
    measures = [r for r in parsed.records if r.kind == "measure"]
    assert [m.title for m in measures] == ["孤独・孤立の実態把握に関する全国調査の実施", "地方公共団体による実態把握の支援"]
    first, second = measures
    assert first.fields["owner"] == "内閣府" and second.fields["owner"] == "内閣府、総務省"
    assert first.fields["number"] == "施策No.1"
    assert set(first.fields["labelled_fields"]) == {"施策の概要", "現状", "課題", "目標及び達成の期間"}
    assert "若年層" in first.fields["labelled_fields"]["課題"]
    assert "III.具体的施策" in first.source.section and "(1)孤独・孤立の実態把握" in first.source.section
    assert parsed.understood["recognisers"] == {"measure": 2}


def test_a_document_without_structure_says_why():
    parsed = blocks_to_parsed(paras("ただの文章です。\n" * 3 + "もう一つの段落です。"), doc())
    assert {r.kind for r in parsed.records} == {"context"}
    assert "見つかりません" in parsed.understood["why"]
    assert any("構造化できる記録はありません" in n.message for n in parsed.notes)


# --- the national plan (a real government PDF) ---------------------------------------------


@pytest.fixture(scope="module")
def plan():
    return parse("juten_keikaku_r7_gaiyou_kihonhoushin.pdf")


def test_plan_matches_its_golden_records(plan):
    golden = json.loads((GOLDEN / DOCUMENTS["juten_keikaku_r7_gaiyou_kihonhoushin.pdf"]).read_text(encoding="utf-8"))
    assert records_summary(plan) == golden, "regenerate on purpose: python -m tests.golden_records"


def test_plan_has_a_record_for_every_numbered_section(plan):
    from ingest.recognise.tree import blocks_to_tree  # noqa: F401  (the tree is what the records follow)
    sections = {r.source.section for r in plan.records}
    for part in ("I.重点計画について / 1. 推進法の規定と重点計画の関係 / (1)重点計画に定める事項",
                 "II.孤独・孤立対策の基本的考え方等 / 4. 孤独・孤立対策の施策の推進体制等 / (3)重点計画の見直し"):
        assert part in sections
    nested = [s for s in sections if s.endswith("③連携の基盤となるプラットフォームの形成")]
    assert nested and "(4)孤独・孤立対策に取り組むNPO等の活動をきめ細かく支援し" in nested[0]
    assert all(r.city is None and r.source.page for r in plan.records)
    assert max(len(r.text) for r in plan.records) < 1600  # bounded passages
    assert plan.understood["unplaced_pages"] == []


def test_a_passage_running_onto_the_next_page_cites_both_pages(plan):
    """④地域における包括的支援体制等の推進 starts on printed page 18 and its 「小学校区や自治会等」 is on
    page 19: the record cites p.18〜19 (it had cited p.18 only, so a reader sent to page 18 did not
    find the sentence), and the span survives the store."""
    from kb.core.records import Source
    r = next(r for r in plan.records if "小学校区や自治会等" in r.text)
    assert (r.source.printed_page, r.source.end_printed_page) == ("18", "19")
    assert (r.source.page, r.source.end_page) == (21, 22)
    assert r.source.locator() == "p.18〜19"
    assert Source.from_dict(r.source.to_dict()) == r.source
    one_page = [x for x in plan.records if x.source.end_page is None and x.source.printed_page]
    assert one_page and all(x.source.locator() == f"p.{x.source.printed_page}" for x in one_page)


def test_plan_contents_list_is_not_taken_for_headings(plan):
    front = [r for r in plan.records if r.source.page == 3]
    assert not front, "the contents page (p.3) must not become records"


def test_stats_say_what_was_understood_per_document(tmp_path, corpus_parsed):
    from ingest.pipeline import ingest_paths, stats
    from kb.core.settings import Settings
    from kb.store import open_store
    from tests.reorganised_render import RENDITIONS, records_to_report
    reorg = tmp_path / "reorganised.txt"
    reorg.write_text(records_to_report(corpus_parsed.records, RENDITIONS[0]), encoding="utf-8")
    prose = tmp_path / "prose.txt"
    prose.write_text("はじめに\n地域のつながりについて述べる。\nさらに詳しく述べる。\n", encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=tmp_path)
    results = {r.document: r for r in ingest_paths(settings, [reorg, prose])}
    assert "自治体（一般形式） 15" in results["reorganised"].understood  # 3 city sections + 4 phases × 3 cities
    assert "推定 33" in results["reorganised"].understood
    store = open_store(settings)
    try:
        u = stats(store)["understood"]
    finally:
        store.close()
    assert u["reorganised"]["recognisers"]["lesson"] == 33 and u["reorganised"]["structured_share"] > 0.8
    assert u["reorganised"]["steps"] == {"label": 0, "inferred": 33, "none": 0}
    assert u["prose"]["records_by_kind"] == {"context": 1} and u["prose"]["structured_share"] == 0
    assert "見つかりません" in u["prose"]["why"] and "context 1 件" in u["prose"]["line"]


def test_bullets_under_phase_headings_outside_any_city_are_cross_city_summaries():
    parsed = blocks_to_parsed(paras("""
第3章 自治体への示唆
1. 構想期
○ 庁内で主担当部署を早めに決める
－ 福祉部局に限らず、外部と連携しやすい部署が担うとよい
2. 検討期
・ 地域の現状を調査で把握し、関係団体をリストアップする
3. 設立期
○ 情報発信で域内の団体に参加を呼びかける
4. 運営期
○ 地域協議会の設置を見据えて参加団体を広げる
"""), doc())
    summ = [r for r in parsed.records if r.kind == "summary"]
    assert [r.phase for r in summ] == ["initial", "preparation", "launch", "self_sustaining"]
    assert all(r.city is None and r.fields["step_source"] == "inferred" for r in summ)
    assert summ[0].step == "1" and summ[0].fields["phase_label"] == "構想期"
    assert "外部と連携しやすい" in summ[0].text


@pytest.mark.parametrize("title,city", [("3. 千葉県市原市", "市原市"), ("2 千代田区", "千代田区"), ("1-3 八千代市", "八千代市"),
                                        ("(2) 百合ケ丘町", "百合ケ丘町"), ("四日市市", "四日市市")])
def test_municipality_names_that_begin_with_a_numeral_kanji(title, city):
    """千・百・万 begin names (千葉県, 千代田区, 八千代市): after a heading's number they are its title,
    not the number's unit; a number the reader left on the title is not part of the name."""
    from ingest.readers.headings import numbering_of as reader_numbering
    assert municipality_of(title).city == city
    if title[0].isdigit() and not title.startswith("2 "):
        assert reader_numbering(title) is not None, title  # a heading, not 「3 千」 as a number
    assert municipality_of("3千代田区") is None  # digits glued to a name: not a heading numbering


@pytest.mark.parametrize("line", ["1.5倍に増えた", "2.5万人が参加", "1.5 倍", "3.2千円"])
def test_reader_numbers_with_units_are_still_not_headings(line):
    from ingest.readers.headings import numbering_of as reader_numbering
    assert reader_numbering(line) is None


def test_a_city_heading_that_begins_with_a_numeral_kanji_keeps_its_lessons(tmp_path):
    """「3. 千葉県市原市」 read from a text export is a city section of its own: its lessons are
    市原市's, not the previous city's."""
    from ingest.read import read_document
    cities = [("1. 千葉県千葉市", "千葉市"), ("2. 千代田区", "千代田区"), ("3. 千葉県市原市", "市原市"),
              ("4. 百合ケ丘町", "百合ケ丘町")]
    lines = ["モデル調査研究報告書", "", "第2章 事例集", ""]
    for heading, city in cities:
        lines += [heading, "", "(1) 準備段階", "", f"■ {city}では庁内の関係課と早めに情報を共有した",
                  "・ 担当者が関係課を回り、取組の狙いを説明した", ""]
    path = tmp_path / "report.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    parsed = read_document(path)
    lessons = [r for r in parsed.records if r.kind == "lesson"]
    got = {r.city: r.title + r.text for r in lessons}
    assert [r.city for r in lessons] == [c for _, c in cities], [(r.city, r.title) for r in lessons]
    assert all(c in got[c] for _, c in cities)


def test_plan_footnotes_are_records_of_their_page(plan):
    """A footnote holds what the body only points at (a definition, a figure): taken out of the body
    as page furniture, it must still be a cited record of its own page, not lost."""
    notes = [r for r in plan.records if r.fields.get("footnote")]
    assert len(notes) >= 15
    uk = next(r for r in notes if "交友関係の欠如や喪失" in r.text)  # the UK's definition of loneliness
    assert uk.kind == "context" and uk.source.page == 14 and uk.source.printed_page == "11"
    assert uk.title.endswith("注（p.11）") and uk.source.section.startswith("II.")
    # body text never repeats as a footnote, and every footnote record sits on a page it came from
    body = "".join(r.text for r in plan.records if not r.fields.get("footnote"))
    assert "交友関係の欠如や喪失" not in body
    assert all(r.source.page is not None for r in notes)


def test_footnotes_without_body_records_still_kept():
    from ingest.model import Furniture, Loc
    from ingest.report.context import ParseContext
    from ingest.report.parse import footnotes_to_records
    ctx = ParseContext("doc")
    n = footnotes_to_records(ctx, [Furniture("脚注の本文はここにある。", Loc(page=3, printed_page="1"), "footnote"),
                                   Furniture("3", Loc(page=3), "page_number"),
                                   Furniture("短い", Loc(page=4), "footnote")])
    assert n == 1 and ctx.records[0].title == "注（p.1）" and ctx.records[0].source.page == 3
