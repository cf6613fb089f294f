"""The answer's named steps on a handful of records held in memory (a real BM25 index over the
Sudachi tokenizer; no FAISS, no embedder): what an official gets back, and each step's contract."""
from __future__ import annotations

import dataclasses

import pytest

from kb.answer.blocks import Heading, Note, Statement, Table
from kb.answer.pipeline import COMPOSERS, NO_EVIDENCE_TEXT, analyse, answer_question, choose_form
from kb.core.records import Fact, Record, Source
from kb.core.tuning import AnswerTuning
from tests.memory_searcher import MemorySearcher

SRC = Source(document="doc-1", section="2-1. 甲市", lines=(1, 3))


def rec(id, kind, city, title, text, step=None, phase=None, **fields):
    return Record(id=id, kind=kind, city=city, phase=phase, step=step, scope=None, title=title, text=text,
                  source=SRC, fields=fields)


RECORDS = [
    rec("l1", "lesson", "甲市", "既存の会議体を活用して声を掛けた",
        "■既存の会議体を活用して声を掛けた\n・地域の福祉団体が集まる会議で連携PFへの参加を呼び掛けた。", step="5", phase="preparation"),
    rec("l2", "lesson", "乙市", "関係団体のリストを庁内で共有した",
        "■関係団体のリストを庁内で共有した\n・各課が付き合いのある団体を一覧にし、声掛けの分担を決めた。", step="5", phase="preparation"),
    rec("l3", "lesson", "甲市", "主担当部署を早く決めた",
        "■主担当部署を早く決めた\n・福祉部局が主担当となり庁内の調整役を担った。", step="1", phase="initial"),
    rec("s1", "summary", None, "関係団体への声掛けは既存のつながりから始める",
        "関係団体への声掛けは既存のつながりから始める", step="5", phase="preparation"),
    rec("t1", "trial", "乙市", "支援団体向けリーフレットの作成",
        "相談先をまとめたリーフレットを作成し配布した。", vendor="乙印刷", cost_yen=500000),
    rec("p1", "profile", "甲市", "甲市の概要", "人口 12万人、担当部局 福祉部", population_raw="12万人", department="福祉部"),
]


@pytest.fixture(scope="module")
def searcher():
    facts = [Fact(city="甲市", name="pf_start", value=2023, raw="令和5年度", record_id="p1", where="自治体の概要")]
    return MemorySearcher(RECORDS, facts)


def test_a_step_question_is_answered_from_that_steps_lessons_of_both_cities(searcher):
    a = answer_question(searcher, "関係団体への声掛けのコツは？")
    assert not a.no_evidence and a.question_type == "step"
    heads = [b for b in a.blocks if isinstance(b, Heading)]
    assert heads[0].step == "5" and "関係団体のリストアップ" in heads[0].text
    cited = {r.id for r in a.citations}
    assert {"l1", "l2", "s1"} <= cited and "l3" not in cited  # step ① is not what was asked
    assert "甲市: 既存の会議体を活用して声を掛けた" in a.answer and "[1]" in a.answer and "出典:" in a.answer


def test_a_municipality_the_documents_do_not_cover_is_refused(searcher):
    # the reports cover 甲市 and 乙市: another city's PF is not answered from them
    a = answer_question(searcher, "札幌市ではPFの立ち上げをどう進めましたか")
    assert a.no_evidence and a.citations == ()
    assert a.answer.startswith(NO_EVIDENCE_TEXT) and "札幌市" in a.answer


def test_a_question_outside_the_records_is_refused(searcher):
    a = answer_question(searcher, "生活保護の申請に必要な書類は？")
    assert a.no_evidence and a.question_type == "out_of_scope"


def test_the_same_question_about_a_covered_city_is_answered(searcher):
    a = answer_question(searcher, "甲市ではPFの立ち上げをどう進めましたか")
    assert not a.no_evidence


def test_blocks_are_frozen_records_and_keep_the_json_shape(searcher):
    a = answer_question(searcher, "関係団体への声掛けのコツは？")
    blk = next(b for b in a.blocks if isinstance(b, Statement))
    with pytest.raises(dataclasses.FrozenInstanceError):
        blk.text = "x"  # type: ignore[misc]
    d = a.to_dict()["blocks"]
    assert d[0] == {"type": "heading", "level": 2, "text": a.blocks[0].text, "phase": "preparation", "step": "5"}
    assert {b["type"] for b in d} <= {"heading", "statement", "table", "note"}
    assert all(isinstance(b["citations"], list) for b in d if b["type"] == "statement")
    assert Table(("a",), (("x",),), ("l1",)).to_dict() == {"type": "table", "columns": ["a"], "rows": [["x"]],
                                                           "citations": ["l1"]}
    assert Note("n").to_dict() == {"type": "note", "text": "n"}


def test_every_form_has_a_composer(searcher):
    for q in ("甲市と乙市の違いは？", "PFの立ち上げ方は？", "リーフレットの費用はいくら？", "NPOから見た連携PFは？",
              "リーフレットの試行的事業とは何？", "声掛けのコツは？", "甲市の取組は？", "相談先の一覧は？"):
        assert choose_form(analyse(searcher, q, 500)) in COMPOSERS


def test_a_fact_question_quotes_the_figure_with_its_record(searcher):
    a = answer_question(searcher, "リーフレットの作成の費用はいくら？")
    assert a.question_type == "fact" and not a.no_evidence
    assert "50万円" in a.answer and any(r.id == "t1" for r in a.citations)


def test_the_evidence_depth_is_a_setting(searcher):
    shallow = answer_question(searcher, "関係団体への声掛けのコツは？", tuning=AnswerTuning(search_depth=1, evidence_depth=1))
    assert len(shallow.related) <= 1  # related hits come from the evidence depth


def test_one_no_evidence_sentence_reaches_the_page_through_the_api(tmp_path):
    from pathlib import Path

    from fastapi.testclient import TestClient

    from api.app import create_app
    from kb.core.settings import Settings
    root = Path(__file__).resolve().parent.parent
    for copy in ("api/static/ask.js", "kb/answer/pipeline.py", "kb/answer/llm_verify.py"):
        assert NO_EVIDENCE_TEXT not in (root / copy).read_text(encoding="utf-8"), copy
    meta = TestClient(create_app(Settings(data_dir=tmp_path))).get("/api/meta").json()
    assert meta["no_evidence_text"] == NO_EVIDENCE_TEXT


def test_fact_labels_are_one_table_for_answers_and_city_pages():
    from kb import browse
    from kb.core.vocab.answer import answer_vocab
    assert browse.FACT_LABELS is answer_vocab().fact_labels
    assert set(answer_vocab().fact_labels) == {"pf_start", "council_start"}
