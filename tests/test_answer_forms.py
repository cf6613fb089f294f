"""Answer forms that read the question and the text (why / definition / count), key points chosen
with the passage index's sentence scores, records of a national plan as first-class evidence, the
optional LLM prompt built from the selected sentences (a real local HTTP server records it), and
AnswerTuning as a setting. Records are held in memory (tests/memory_searcher.py: real BM25 over
Sudachi, the bundled e5 for records and their passages)."""
from __future__ import annotations

import json
import threading
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kb.answer.forms import count_asked, defined_term, definitions, figures
from kb.answer.keypoints import score_sentences
from kb.answer.pipeline import answer_question as _answer_question, ask
from kb.core.errors import SettingsError
from kb.core.records import Record, Source
from kb.core.settings import Settings
from kb.core.tuning import AnswerTuning
from tests.memory_searcher import MemorySearcher

answer_question = partial(_answer_question, model=None)  # the coverage rule (the fitted model has its own tests)

REPORT = Source(document="report-1", section="2-1. 甲市", lines=(1, 3))
PLAN = Source(document="plan-juten-1", section="II. 基本的考え方", lines=(10, 12), printed_page="12")


def rec(id, kind, city, title, text, source=REPORT, step=None, phase=None, **fields):
    return Record(id=id, kind=kind, city=city, phase=phase, step=step, scope=None, title=title, text=text,
                  source=source, fields=fields)


RECORDS = [
    rec("b1", "breakthrough", "甲市", "定量データの獲得が庁内を動かすきっかけに",
        "■定量データの獲得が庁内を動かすきっかけに\n・庁内部局を巻き込もうにも、説得材料がないために関係課へ声を掛けにくかった。"
        "\n・市民アンケートの結果を示したことで、各課が協力に動いた。"),
    rec("l1", "lesson", "甲市", "庁内の関係課に声を掛けた", "■庁内の関係課に声を掛けた\n・福祉部局から関係課へ順に声を掛けた。",
        step="2", phase="initial"),
    rec("l2", "lesson", "乙市", "市内の団体に声を掛けた",
        "■市内の団体に声を掛けた\n・市内の12団体に声を掛け、そのうち9団体が連携PFに参加した。", step="5", phase="preparation"),
    rec("c2", "context", "甲市", "甲市の地域協議会", "甲市では地域協議会を令和6年度に設けた。協議会は年2回開く。"),
    rec("c1", "context", None, "II.孤独・孤立対策の基本的考え方 / 地域協議会",
        "地域協議会とは、支援に関係する機関が情報を交換し、支援の内容を協議する場である。\n"
        "地方公共団体は、地域協議会を置くよう努めるものとされている。", source=PLAN),
    rec("c3", "context", None, "IV.地方における取組 / 国の支援",
        "国は、連携PFを立ち上げる段階の地方公共団体に対して、アドバイザーの派遣による伴走支援を行う。", source=PLAN),
    rec("t1", "trial", "乙市", "作業部会の開催", "作業部会を開いた。\n参加者は18名で、会場は3か所に分けた。", vendor="乙会館",
        cost_yen=50000),
]


@pytest.fixture(scope="module")
def searcher():
    return MemorySearcher(RECORDS)


@pytest.fixture(autouse=True)
def coverage_rule(monkeypatch):
    """``ask`` reads the fitted refusal model; six records give other scales than the corpus it was fitted on."""
    monkeypatch.setattr("kb.answer.pipeline.load_model", lambda: None)


# --- why ------------------------------------------------------------------------------------------


def test_a_why_question_answers_with_the_breakthrough_and_the_reason_it_gives(searcher):
    a = answer_question(searcher, "甲市で庁内の関係課に声を掛けにくかったのはなぜ？")
    assert a.question_type == "why" and not a.no_evidence
    statements = [b for b in a.blocks if getattr(b, "text", None) and getattr(b, "citations", None)]
    assert statements[0].citations == ("b1",)  # the breakthrough first
    # the key points hold the sentence that gives the reason (「…ために…」), cited to its record
    reason = next(k for k in a.summary if "説得材料がないために" in k.text)
    assert reason.citations == ("b1",)


# --- definitions ----------------------------------------------------------------------------------


def test_the_term_a_definition_question_asks_about_is_read_typographically():
    assert defined_term("地域協議会とは何ですか") == "地域協議会"
    assert defined_term("法律でいう「孤独・孤立の状態」って、どういう状態のことを指すんですか") == "孤独・孤立の状態"
    assert defined_term("ゲートキーパーってどんな人のことですか") == "ゲートキーパー"
    assert defined_term("熊本市はどう声を掛けましたか") is None


def test_a_definition_is_the_sentence_of_the_document_that_defines_the_term(searcher):
    a = answer_question(searcher, "地域協議会とは何ですか？")
    assert a.question_type == "definition"
    first = a.summary[0]
    assert "地域協議会とは、支援に関係する機関が" in first.text and first.citations == ("c1",)
    # the defining document wins over a record that only uses the word, whatever their order
    found = definitions("地域協議会", [RECORDS[3], RECORDS[4]])
    assert found[0].record.id == "c1" and found[0].strength == 2
    # 「X」について、「…」と定義している: the verb after the term defines it too
    law = rec("c9", "context", None, "定義", "推進法においては、「孤独・孤立の状態」について、「心身に有害な影響を受けている状態」と定義している。",
              source=PLAN)
    assert definitions("孤独・孤立の状態", [law])[0].strength == 2


def test_a_process_question_the_plan_answers_best_is_answered_from_the_plan(searcher):
    a = answer_question(searcher, "連携PFを立ち上げる自治体に、国はどんな支援をしてくれるの？")
    assert a.question_type == "general"  # not the roadmap of the report's lessons, which would hide it
    assert a.summary[0].citations == ("c3",) and "伴走支援" in a.summary[0].text


def test_a_page_of_a_plan_is_cited_with_its_printed_page(searcher):
    a = answer_question(searcher, "地域協議会とは何ですか？")
    plan = next(r for r in a.citations if r.id == "c1")
    assert plan.citation_label().endswith("p.12）") or "p.12" in plan.citation_label()


# --- counts ---------------------------------------------------------------------------------------


def test_a_count_question_leads_with_the_figure_and_its_counter_word(searcher):
    assert count_asked("何団体が参加した？") == ("団体",) and count_asked("何人来た？") == ("人", "名")
    assert [f.value for f in figures([r for r in RECORDS if r.id == "t1"], count_asked("何か所"))] == ["3か所"]
    a = answer_question(searcher, "乙市で声を掛けた団体は何団体？")
    assert a.question_type == "count"
    assert a.summary[0].text.startswith("12団体 — 乙市: ") and a.summary[0].citations == ("l2",)
    a = answer_question(searcher, "作業部会の参加者は何人？")
    assert a.summary[0].text.startswith("18名") and a.summary[0].citations == ("t1",)


def test_a_count_written_as_a_labelled_value_beats_a_planned_capacity():
    """「対面約500名規模」 is what was planned; 「来場者数:約800人」 what happened: a count question leads
    with the figure a count's label states, within the record that answers best."""
    r = rec("t9", "trial", "丙市", "こども縁日", "【形式】対面約500名規模でこども縁日を実施する予定。\n"
            "来場者数:約800人となり、子どもの来場が多かった。", cost_yen=10000)
    found = figures([r], count_asked("何人"))
    assert [(f.value, f.labelled) for f in found] == [("約500名", False), ("約800人", True)]
    zero = rec("t8", "trial", "丙市", "講座", "回答人数0名の項目は表から削除した。")
    assert [(f.value, f.labelled) for f in figures([zero], count_asked("何人"))] == [("0名", False)]  # a count of none
    a = answer_question(MemorySearcher([r, *RECORDS]), "丙市のこども縁日には何人来た？")
    assert a.question_type == "count" and a.summary[0].text.startswith("約800人")


# --- key points by the sentence's own score -------------------------------------------------------


def test_the_passage_index_score_chooses_between_sentences_of_equal_words():
    r = rec("x", "context", None, "見出し", "会議の日程を決めた。\n会議の会場を決めた。", source=PLAN)
    t = AnswerTuning(key_passage=0.5)
    tokens = lambda s: frozenset(["会議"])  # noqa: E731 — both sentences hold the one key term
    plain = score_sentences([r], frozenset({"会議"}), tokens, {}, {}, {}, t)
    assert plain[0].score == plain[1].score  # nothing tells them apart without the sentence scores
    scored = score_sentences([r], frozenset({"会議"}), tokens, {}, {}, {}, t,
                             passages={"x": [("会議の会場を決めた。", 0.9), ("会議の日程を決めた。", 0.2)]})
    assert scored[0].text == "会議の会場を決めた。" and scored[0].score > scored[1].score


def test_the_fitted_sentence_model_is_the_score_of_the_key_sentences():
    """With a model, a sentence's score is the model's probability of its features: here a model that
    reads only "holds a figure" puts the sentence with the figure first, where the hand-set weights put
    the longer one first."""
    import numpy as np
    from kb.answer.keypoints import SENTENCE_FEATURES, SentenceModel
    r = rec("x", "context", None, "見出し", "会議の日程を決めた。\n会議は3回開いた。", source=PLAN)
    tokens = lambda s: frozenset(["会議"])  # noqa: E731
    n = len(SENTENCE_FEATURES)
    weights = np.zeros(n)
    weights[SENTENCE_FEATURES.index("digits")] = 2.0
    model = SentenceModel(SENTENCE_FEATURES, (0.0,) * n, (1.0,) * n, tuple(weights), -1.0)
    t = AnswerTuning()
    plain = score_sentences([r], frozenset({"会議"}), tokens, {}, {}, {}, t)
    assert plain[0].text == "会議の日程を決めた。"
    scored = score_sentences([r], frozenset({"会議"}), tokens, {}, {}, {}, t, model=model)
    assert scored[0].text == "会議は3回開いた。" and scored[0].score == pytest.approx(1 / (1 + np.exp(-1.0)))
    assert scored[1].score == pytest.approx(1 / (1 + np.exp(1.0)))


def test_the_shipped_sentence_model_was_fitted_on_tuning_splits_only():
    from kb.answer.keypoints import SENTENCE_FEATURES, load_sentence_model
    model = load_sentence_model()
    assert model is not None and model.features == SENTENCE_FEATURES
    assert model.fitted_on and not any("test" in f.rsplit("/", 1)[-1] for f in model.fitted_on)
    # what the fit learnt: a sentence that matches the question in the passage index states a key point
    assert model.weights[SENTENCE_FEATURES.index("passage")] > 0


def test_fitting_the_sentence_model_learns_which_sentences_state_key_points():
    """eval.fit_keypoints: examples whose key point is the sentence of the high passage score; the fitted
    model's summaries state it, where the hand-set order (the other sentence first) does not."""
    import numpy as np
    from kb.answer.keypoints import Candidate, sentence_features
    from eval.fit_keypoints import Example, coverage, fit, scorer
    from eval.questions import Question
    t = AnswerTuning(key_min=1, key_max=1)
    ex = []
    for i in range(8):
        a = rec(f"a{i}", "lesson", "甲市", "一", f"甲市は会議を{i}回開いた。")
        b = rec(f"b{i}", "lesson", "乙市", "二", f"乙市は名簿を{i}冊作った。")
        ca = Candidate(a.text, a, 0.9, 0.5, 1.0, 1.0, 0.1, sentence_features(a.text, a, 0.9, 0.1, 0.5, 1.0, False))
        cb = Candidate(b.text, b, 0.2, 0.5, 0.5, 0.5, 0.9, sentence_features(b.text, b, 0.2, 0.9, 0.5, 0.5, False))
        q = Question(id=f"q{i}", type="fact", question="名簿は？", extra={"must": [["名簿"]]})
        ex.append(Example(q, [ca, cb], [], t, np.array([0.0, 1.0])))
    assert coverage(ex) == 0.0
    model = fit(ex, l2=1.0)
    assert coverage(ex, scorer(model)) == 1.0


def test_one_question_costs_one_embedding(searcher):
    before = searcher.embeddings
    answer_question(searcher, "乙市の作業部会の会場はいくつに分けましたか")
    assert searcher.embeddings - before == 1  # search, the dense leg and the passages share it


# --- the LLM prompt from the selected sentences ---------------------------------------------------


class _Recorder(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.bodies: list[dict] = []


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.bodies.append(body)
        reply = "乙市は市内の12団体に声を掛け、9団体が連携PFに参加しました。[1]\n乙市は50団体に声を掛けました。[1]"
        data = json.dumps({"choices": [{"message": {"role": "assistant", "content": reply}}]}, ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def test_the_llm_prompt_is_the_selected_sentences_with_their_numbers_and_the_reply_is_verified(searcher, tmp_path):
    srv = _Recorder()
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        s = Settings(data_dir=tmp_path, llm_base_url=f"http://127.0.0.1:{srv.server_address[1]}/v1", llm_model="m",
                     llm_timeout=5)
        a = ask(s, "乙市で声を掛けた団体は何団体？", searcher=searcher)
    finally:
        srv.shutdown()
        srv.server_close()
    prompt = srv.bodies[0]["messages"][-1]["content"]
    assert "[1] " in prompt and "市内の12団体に声を掛け、そのうち9団体が連携PFに参加した。" in prompt
    assert "■市内の団体に声を掛けた" not in prompt  # the record's selected sentences, not its whole text
    assert a.llm_answer and "12団体" in a.llm_answer and "50団体" not in a.llm_answer  # verified: the bad number removed
    assert a.verification["removed"]


# --- AnswerTuning is a setting --------------------------------------------------------------------


def test_answer_tuning_is_a_setting_from_the_environment_and_reaches_the_answer(searcher, tmp_path):
    s = Settings.from_env({"PFKB_ANSWER_TUNING": '{"key_max": 1, "key_min": 1}'}, data_dir=tmp_path)
    assert s.answer_tuning.key_max == 1 and Settings.from_env(s.to_env()).answer_tuning == s.answer_tuning
    question = "市内の団体への声掛けはどう進めましたか？"
    assert len(ask(Settings(data_dir=tmp_path), question, searcher=searcher).summary) > 1
    assert len(ask(s, question, searcher=searcher).summary) == 1
    with pytest.raises(SettingsError, match="key_maxx"):
        Settings.from_env({"PFKB_ANSWER_TUNING": '{"key_maxx": 2}'})
    with pytest.raises(SettingsError, match="PFKB_ANSWER_TUNING"):
        Settings.from_env({"PFKB_ANSWER_TUNING": "key_max=2"})


def test_sentences_of_a_national_plan_are_not_diversified_by_city():
    from kb.answer.keypoints import Candidate, pick_key_sentences
    p1 = rec("p1", "context", None, "一", "国は伴走支援を行う。", source=PLAN)
    p2 = rec("p2", "context", None, "二", "国は交付金で支援する。", source=PLAN)
    city = rec("k1", "lesson", "甲市", "三", "甲市は庁内で共有した。")
    cands = [Candidate(r.text, r, 0, 0, 0, sc) for r, sc in ((p1, 1.0), (p2, 0.85), (city, 0.75))]
    t = AnswerTuning(key_repeat_city=0.7, key_repeat_doc=0.9, key_min_share=0.0, key_max=3)
    # the plan's second page competes as a second sentence of its document (×0.9), not of one "city"
    assert [k.citations[0] for k in pick_key_sentences(cands, t)] == ["p1", "p2", "k1"]


def test_a_long_sentence_of_a_plan_competes_by_its_clauses():
    from kb.answer.keypoints import record_sentences
    long = ("地方公共団体及びNPO等に対して、" + "、".join(["地域の実情に応じた取組を進めるための情報を提供し"] * 7)
            + "、「社会参加活躍支援等孤独・孤立対策推進交付金」等を活用して支援を行う。")
    r = rec("c8", "context", None, "見出し", long, source=PLAN)
    assert record_sentences(r) == []  # one sentence over the limit says nothing as a whole…
    parts = record_sentences(r, long_clauses=True)
    assert parts and all(len(p) <= 160 and p in long for p in parts)  # …its clauses, verbatim, do
    assert any("推進交付金" in p for p in parts)


def test_the_kind_of_value_a_question_asks_for_is_read_and_found_by_its_typography():
    """「講師はどなた」 asks for a person, 「何月何日の何時」 for a date and a time; a sentence holds one by
    its typography (a title, 月/日, 13:30), not by sharing the question's words."""
    from kb.answer.forms import answer_types, holds_answer_type
    assert "person" in answer_types("レクチャー会の講師はどなたがされたんでしょう")
    assert {"date", "time"} <= set(answer_types("研修って何月何日の何時からやったの？"))
    assert "place" in answer_types("会場はどこの建物の何階でした？")
    assert answer_types("研修の内容を教えてください") == ()
    assert holds_answer_type("令和7年2月19日(水)13:30-16:30", ("date",))
    assert holds_answer_type("令和7年2月19日(水)13:30-16:30", ("time",))
    assert holds_answer_type("認定NPO法人○○理事長 大西 連", ("person",))
    assert not holds_answer_type("地域のつながりづくりに係る研修を実施した。", ("date", "person"))
    assert answer_types("という意見はどこの自治体から出たものですか") == ("municipality",)
    assert holds_answer_type("埼玉県及び鳥取県からの意見", ("municipality",))
    assert not holds_answer_type("くまもと県民会館パレアで開いた", ("municipality",))  # 県民: no place name


def test_a_sentence_holding_the_asked_kind_of_value_scores_as_such():
    """The key-sentence features carry whether the sentence holds the kind of value asked and how well
    the sentence before it (a table's label) matches: a value cell that shares no word with the
    question is still told apart from one that holds no such value."""
    from kb.answer.keypoints import SENTENCE_FEATURES, score_sentences
    r = Record(id="t1", kind="trial", city="甲市", phase=None, step=None, scope=None, title="研修会",
               text="はじめに研修会の講師を紹介します\n大西 連 理事長\n会場は市民会館だった。", source=REPORT, fields={})
    tokens = lambda s: frozenset(t for t in ("研修会", "講師", "会場") if t in s)
    cands = score_sentences([r], frozenset({"研修会", "講師"}), tokens, {}, {"t1": 1.0}, {"t1": 0}, AnswerTuning(),
                            typed=lambda s: "理事長" in s)
    by_text = {c.text: dict(zip(SENTENCE_FEATURES, c.features)) for c in cands}
    value = next(v for t, v in by_text.items() if "大西" in t)
    other = next(v for t, v in by_text.items() if "会場" in t)
    assert value["answer_type"] == 1.0 and other["answer_type"] == 0.0
    assert value["lexical_before"] == 1.0 and value["typed_before"] == 1.0 and value["lexical"] == 0.0


def test_a_record_may_give_a_second_key_sentence_at_a_discount():
    """``key_per_record`` sentences a record may give; the second keeps ``key_repeat_record`` of its
    score, so a nearly as good sentence of another record comes before it."""
    from kb.answer.keypoints import Candidate, pick_key_sentences
    a = Record(id="a", kind="trial", city="甲市", phase=None, step=None, scope=None, title="A", text="", source=REPORT, fields={})
    b = Record(id="b", kind="trial", city="乙市", phase=None, step=None, scope=None, title="B", text="", source=REPORT, fields={})
    cands = [Candidate("甲市の一つ目の文です。", a, 0, 0, 0, 0.9), Candidate("甲市の二つ目の文です。", a, 0, 0, 0, 0.8),
             Candidate("乙市の文です。", b, 0, 0, 0, 0.75)]
    base = dict(key_min=1, key_model_min_share=0.0, key_min_share=0.0, key_repeat_city=1.0, key_repeat_doc=1.0)
    one = pick_key_sentences(cands, AnswerTuning(**base, key_per_record=1))
    assert [k.text for k in one] == ["甲市の一つ目の文です。", "乙市の文です。"]
    two = pick_key_sentences(cands, AnswerTuning(**base, key_per_record=2, key_repeat_record=0.9))
    assert [k.text for k in two] == ["甲市の一つ目の文です。", "乙市の文です。", "甲市の二つ目の文です。"]


def test_a_question_word_no_record_holds_is_read_in_its_short_units():
    """「法律上」 is one Sudachi word that no record writes; the records write 「法律」. The searcher reads
    it in its short units (kb/search/tokenize.py BackoffTokenizer), so the question matches those
    records and is not judged to name a topic the documents lack; the records' own words stay whole."""
    from kb.search.tokenize import Tokenizer
    from kb.answer.pipeline import analyse, key_terms
    recs = [Record(id="c1", kind="context", city=None, phase=None, step=None, scope=None, title="市町村の役割",
                   text="市町村は法律に基づき地域計画を定めるよう努める。", source=REPORT, fields={}),
            Record(id="c2", kind="context", city=None, phase=None, step=None, scope=None, title="国の役割",
                   text="国は施策を総合的に推進する。", source=REPORT, fields={})]
    s = MemorySearcher(recs, [])
    q = analyse(s, "市町村って法律上なにをしないといけないの？", 500)
    assert "法律上" in Tokenizer()(q.text) and "法律上" not in s.tokenizer(q.text)
    assert "法律" in key_terms(s, q) and "法律上" not in key_terms(s, q)
    assert s.tokenizer("市町村は法律に基づき地域計画を定める") == Tokenizer()("市町村は法律に基づき地域計画を定める")
    assert [h.record.id for h in s.search(q.text, k=1, mode="bm25")] == ["c1"]


def test_a_two_cell_table_row_is_one_sentence_with_its_label():
    """「講師 | …理事長 大西連」: the value alone does not say what it is and the label alone says nothing;
    a row of more cells, or a first cell that is a sentence, is cut as before."""
    from kb.answer.keypoints import sentence_passage_score, split_sentences
    got = split_sentences("講師(養成講座) | 認定NPO法人もやい理事長大西連\n調査対象 | 市内のNPO等619団体。回答は145団体。")
    assert got[:3] == ["講師(養成講座)：認定NPO法人もやい理事長大西連", "調査対象：市内のNPO等619団体。", "回答は145団体。"]
    assert split_sentences("日付 | 会場 | 人数") == ["日付", "会場", "人数"]
    assert [p for p in split_sentences("会議を開いた。 | 参加者は20名") if p] == ["会議を開いた。", "参加者は20名"]
    # the joined row is still found in its passage (the line as written)
    assert sentence_passage_score("講師(養成講座)：認定NPO法人もやい理事長大西連",
                                  [("講師(養成講座) | 認定NPO法人もやい理事長大西連", 0.7)]) == 0.7


def test_a_dated_row_is_a_sentence_and_a_row_of_figures_is_not():
    from kb.answer.keypoints import record_sentences
    from kb.core.records import Record, Source
    r = Record(id="r", kind="trial", city=None, phase=None, step=None, scope=None, title="",
               text="開催日時 | 令和7年2月14日(金) 14:00~15:30\n12,345 | 23.4% | (100)\n参加者 | 45名",
               source=Source(document="d", section="1."))
    got = record_sentences(r)
    assert "開催日時：令和7年2月14日(金) 14:00~15:30" in got
    assert not any("12,345" in s for s in got)


def test_the_key_points_give_the_field_the_question_asks_for():
    """「それっていつ？」 of a trial: the trial's 「開催日時：…」 line joins the key points after the trial's
    first one, though a picked sentence mentions another date (「令和4年度の立ち上げ後初の…」); an asked
    field already picked, a question asking for no kind of value and a field of a record the key
    points do not quote change nothing."""
    from kb.answer.keypoints import Candidate, KeySentence
    from kb.answer.pipeline import asks_field, with_asked_value
    t = rec("t1", "trial", "甲市", "PF会議", "")
    other = rec("t2", "trial", "乙市", "研修", "")
    when = Candidate("開催日時：令和7年2月14日(金) 14:00〜15:30", t, 0, 0, 0, 0.3)
    cands = [Candidate("事業内容: 令和4年度の立ち上げ後初の会議を開いた。", t, 0, 0, 0, 0.9), when,
             Candidate("実施時期: 3/1:開催", other, 0, 0, 0, 0.8)]
    picked = (KeySentence("甲市: 事業内容: 令和4年度の立ち上げ後初の会議を開いた。", ("t1",)),
              KeySentence("乙市: 研修を開いた。", ("t2",)))
    tuning = AnswerTuning(key_max=3, key_min=1, key_chars=400)
    assert asks_field(when.text, ("date",)) and not asks_field(cands[0].text, ("date",))
    assert asks_field("講師(つながりサポーター養成講座)：認定NPO法人もやい理事長大西連", ("person",))  # its aside left out
    assert asks_field("場所：県民交流会館パレア10階", ("place",))
    assert not asks_field("会場費用:県民会館パレア(約1.3万円)", ("place",))  # a cost: the label's head is 費用
    got = with_asked_value(picked, cands, ("date",), tuning, records=1)
    assert [k.text for k in got] == [picked[0].text, "甲市: " + when.text, picked[1].text]
    assert with_asked_value(got, cands, ("date",), tuning) == got  # already said
    assert with_asked_value(picked, cands, (), tuning) == picked  # no kind of value asked
    assert with_asked_value(picked[1:], cands[:2], ("date",), tuning) == picked[1:]  # not a quoted record's field
    full = with_asked_value(picked, cands, ("date",), AnswerTuning(key_max=2, key_min=1, key_chars=400), records=1)
    assert [k.text for k in full] == [picked[0].text, "甲市: " + when.text]  # the last point gives way


def test_a_follow_up_note_names_the_earlier_question_once():
    from kb.answer.followup import Resolved
    q = "甲市はPF会議と同じ日にレクチャー会もやったんですよね"
    assert Resolved(q + "。いつ？", (q,), q).note.count(q) == 1
    assert "乙市" in Resolved("乙市の" + q, ("乙市の" + q,), q).note


def test_a_key_point_cut_at_a_clause_goes_on_to_its_sentence_end_or_says_it_goes_on():
    from kb.answer.keypoints import KeySentence
    from kb.answer.pipeline import with_clauses_completed
    r = rec("c7", "context", None, "当事者", "当事者として、例えば、生活困窮状態の人、ひとり親、学生、独居高齢者などが挙げられる。次の文。",
            source=PLAN)
    clause = KeySentence("当事者として、例えば、生活困窮状態の人、", ("c7",))
    other = KeySentence("甲市: 別の要点。", ("l1",))
    roomy = with_clauses_completed((clause, other), {"c7": r}, AnswerTuning(key_chars=400))
    assert roomy[0].text == "当事者として、例えば、生活困窮状態の人、ひとり親、学生、独居高齢者などが挙げられる。"
    assert roomy[1] == other
    tight = with_clauses_completed((clause, other), {"c7": r}, AnswerTuning(key_chars=40))
    assert tight[0].text == "当事者として、例えば、生活困窮状態の人…" and tight[1] == other
