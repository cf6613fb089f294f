"""Which document a question points at (kb/search/documents.py): by a distinctive phrase of its own
title or publisher, or by its level of government (「国の計画では」), read from the documents'
metadata, never from a list of one corpus's document names."""
from __future__ import annotations

from kb.core.records import Record, Source
from kb.search.documents import DocumentInfo, DocumentNames, document_names, name_phrases
from kb.search.query import analyze

PLAN = DocumentInfo("plan-x", "市民協働推進重点計画（令和8年3月改定）", "内閣府（市民協働推進本部）", "全国")
REPORT = DocumentInfo("report-y", "市民協働に関する地域モデル調査研究業務報告書", "株式会社ミライ総合研究所", "九州地域")
GUIDE = DocumentInfo("guide-z", "市民協働の手引き", "甲県", "甲県")


def rec(doc: str, text: str) -> Record:
    return Record(id=f"{doc}-{abs(hash(text)) % 10**6}", kind="context", city=None, phase=None, step=None,
                  scope=None, title="", text=text, source=Source(document=doc, section="1."))


def test_phrases_are_whole_words_of_the_title_without_dates_or_company_forms():
    got = name_phrases(PLAN.title, 3)
    assert "重点計画" in got and "推進重点計画" in got
    assert not any(ch.isdigit() for p in got for ch in p)  # 「令和8年3月」 names no document
    pub = name_phrases(REPORT.publisher, 3)
    assert "ミライ総合研究所" in pub and not any("株式会社" in p for p in pub)


def test_a_question_names_a_document_by_its_title_or_publisher():
    names = DocumentNames([PLAN, REPORT])
    assert names.named("重点計画では担い手をどう位置づけていますか") == ("plan-x",)
    assert names.named("報告書に載っている調査の方法は？") == ("report-y",)
    assert names.named("内閣府は何を決めたの") == ("plan-x",)
    assert names.named("担い手の養成はどうすればいい？") == ()


def test_a_question_names_the_national_document_by_its_level():
    names = DocumentNames([PLAN, REPORT, GUIDE])
    for q in ("国のほうではどういう位置づけ？", "国の計画ではどう書かれてる？", "政府は何をしているの", "国は何か決めましたか"):
        assert names.named(q) == ("plan-x",), q
    # a country's name, a compound, a proper name with 国 in it: no level is named
    for q in ("韓国ではどうしている？", "中国・四国地域の事例は", "火の国会議とは何ですか", "全国各地の事例"):
        assert names.named(q) == (), q


def test_a_phrase_the_other_documents_use_names_no_document():
    """「地域モデル」 is in one title, but when the other document's records say it too it points nowhere."""
    records = [rec("plan-x", "地域モデルの普及を図る。")] + [rec("plan-x", f"施策その{i}を進める。") for i in range(10)]
    names = document_names([PLAN, REPORT], records)
    assert "地域モデル" not in names.names["report-y"]
    assert names.named("地域モデルの例は？") == ()
    assert names.named("報告書の地域モデルの例は？") == ("report-y",)


def test_one_document_or_all_of_them_is_no_pointer():
    assert DocumentNames([PLAN]).named("重点計画では") == ()
    assert DocumentNames([PLAN, REPORT]).named("重点計画と報告書の違いは") == ()  # names every document alike
    assert DocumentNames([]).named("国の計画では") == ()


def test_the_analysis_carries_the_named_documents():
    names = DocumentNames([PLAN, REPORT])
    assert analyze("国の計画ではどう書かれてる？", documents=names).documents == ("plan-x",)
    assert analyze("国の計画ではどう書かれてる？").documents == ()


def test_the_phrase_that_names_the_document_is_not_searched_for_as_the_topic():
    from kb.search.query import QueryAnalysis
    from kb.search.searcher import expand_query
    names = DocumentNames([PLAN, REPORT])
    a = analyze("重点計画の中に地震の話は出てきますか", documents=names)
    assert a.pointers == ("重点計画",)
    assert "重点計画" not in expand_query(a.query, a) and "地震" in expand_query(a.query, a)
    about = analyze("重点計画とは？", documents=names)  # asks about the document itself: its name is the topic
    assert "重点計画" in expand_query(about.query, about)
    assert "重点計画" in expand_query("重点計画の中に地震", QueryAnalysis("重点計画の中に地震"))
