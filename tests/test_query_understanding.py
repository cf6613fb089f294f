"""Query understanding from the corpus itself: abbreviations the documents define found both ways,
kana-only queries read on the corpus's words in search (not only in the assistant), and pseudo-
relevance feedback on the BM25 side. In-memory corpora: nothing here is a word of the real report."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from kb.core.records import Record, Source
from kb.core.settings import Settings
from kb.core.tuning import SearchTuning
from kb.search.searcher import Searcher
from kb.search.terms import Term, TermExpander, text_to_terms

ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------- definitions read from the text

@pytest.mark.parametrize("text,short,long", [
    ("関係者による地方版孤独・孤立対策官民連携プラットフォーム（以下、「連携PF」という。）の形成を前提として",
     "連携PF", "地方版孤独・孤立対策官民連携プラットフォーム"),
    ("「地域の見守りに関する基本方針」(以下「基本方針」という。)は、", "基本方針", "地域の見守りに関する基本方針"),
    ("見守りネットワーク推進会議（以下、推進会議という）を設けた。", "推進会議", "見守りネットワーク推進会議"),
    ("生活支援コーディネーター（以下「SC」と略す。）が訪問した。", "SC", "生活支援コーディネーター"),
    ("地域のNPO（特定非営利活動法人）と組んだ。", "NPO", "特定非営利活動法人"),
    ("独立行政法人福祉医療機構(WAM)が行う助成", "WAM", "独立行政法人福祉医療機構"),
])
def test_definitions_are_read_from_the_text(text, short, long):
    assert Term(short, long) in text_to_terms(text)


@pytest.mark.parametrize("text", [
    "推進法（以下「法」という。）に基づく",  # one character would expand every question that holds it
    "NPO(NPOを支援する中間支援組織を含む。)や企業",  # a remark in parentheses, not an expansion
    "令和6年度（2024年度）に開始した",
    "会議（年3回）を開いた",
    "PF（孤独・孤立PF）の会議",  # a qualifier, not an abbreviation
])
def test_what_is_not_a_definition_is_left_alone(text):
    assert text_to_terms(text) == []


def test_the_expander_works_both_ways_and_prefers_the_longest_form():
    e = TermExpander([Term("連携PF", "地方版孤独・孤立対策官民連携プラットフォーム"), Term("PF", "官民連携の場")])
    assert e.expansions("連携PFの作り方") == ["地方版孤独・孤立対策官民連携プラットフォーム"]  # not PF's too
    assert e.expansions("地方版孤独・孤立対策官民連携 プラットフォームとは") == ["連携PF"]  # whitespace ignored
    assert e.expansions("地方版孤独・孤立対策官民連携PFとは") == ["連携PF"]  # spelt as the tokenizer unifies it
    assert e.expansions("予算はいくら") == []


# ---------------------------------------------------------------- in-memory corpora

def _records(rows) -> list[Record]:
    return [Record(id=rid, kind="context", city=None, phase=None, step=None, scope=None, title=title, text=text,
                   source=Source(document="memo.txt", section="1. 概要", lines=(i + 1, i + 1)))
            for i, (rid, title, text) in enumerate(rows)]


DEFINED = _records([
    ("d1", "体制", "地域生活支援拠点ネットワーク（以下「CLSN」という。）を令和5年度に立ち上げた。"),
    ("d2", "会合", "CLSNの会合は毎月第二火曜日に公民館で開いている。"),
    ("d3", "事務局", "地域生活支援拠点ネットワークの事務局は社会福祉協議会が担った。"),
    ("d4", "広報", "市の広報紙で講座の参加者を募った。"),
    ("d5", "研修", "民生委員向けの研修を年二回開いた。"),
])


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    return Settings(data_dir=tmp_path_factory.mktemp("nothing-built"), corpus_dir=ROOT / "corpus")


@pytest.fixture(scope="module")
def defined(settings):
    return Searcher.from_records(settings, DEFINED)


def _bm25(s: Searcher, query: str) -> list[str]:
    return [h.record.id for h in s.search(query, k=5, mode="bm25", rerank_by_query=False)]


def test_the_corpus_brings_its_own_abbreviations(defined):
    assert Term("CLSN", "地域生活支援拠点ネットワーク") in defined.terms.terms


def test_an_abbreviation_finds_the_record_written_with_the_long_form(defined):
    query = "CLSNを支える団体は？"
    assert "d3" in _bm25(defined, query)
    assert "d3" not in _bm25(replace_terms(defined), query)  # no shared word without the definition


def test_the_long_form_finds_the_record_written_with_the_abbreviation(defined):
    query = "地域生活支援拠点ネットワークはいつ集まる？"
    assert "d2" in _bm25(defined, query)
    assert "d2" not in _bm25(replace_terms(defined), query)  # no shared word without the definition
    assert "d2" in [h.record.id for h in defined.search(query, k=3)]  # hybrid too


def replace_terms(s: Searcher) -> Searcher:
    """The same searcher without the corpus's definitions (to show what they add)."""
    other = Searcher.__new__(Searcher)
    other.__dict__.update(s.__dict__)
    other.terms = TermExpander(())
    from kb.core.cache import LRU
    other.result_cache = LRU(0)
    return other


def test_the_built_index_stores_its_definitions_and_readings(tmp_path, settings):
    from kb.search.index import write_index
    from kb.search.reading import READINGS_FILE
    from kb.search.terms import TERMS_FILE
    local = settings.with_(data_dir=tmp_path / "data")
    info = write_index(local, DEFINED, [], "test-corpus")
    index_dir = Path(info["path"])
    assert (index_dir / TERMS_FILE).exists() and (index_dir / READINGS_FILE).exists()
    loaded = Searcher(local, index_dir)
    assert Term("CLSN", "地域生活支援拠点ネットワーク") in loaded.terms.terms
    assert loaded.manifest["terms"] == len(loaded.terms)
    assert "d3" in [h.record.id for h in loaded.search("CLSNを支える団体は？", k=3, mode="bm25")]


# ---------------------------------------------------------------- kana-only queries in search

KANA = _records([
    ("k1", "担当", "担当課は福祉政策課とし、庁内の調整を担った。"),
    ("k2", "試行的事業", "試行的事業として相談先リーフレットを作成した。"),
    ("k3", "会議", "プラットフォームの会議を年三回開いた。"),
    ("k4", "研修", "民生委員向けの研修を年二回開いた。"),
])


@pytest.fixture(scope="module")
def kana(settings):
    return Searcher.from_records(settings, KANA)


@pytest.mark.parametrize("query,expected", [("たんとうか", "k1"), ("しこうてきじぎょう", "k2"), ("ぷらっとふぉーむ", "k3")])
def test_a_kana_only_query_is_read_on_the_corpus_words(kana, query, expected):
    assert kana.read_query(query) != query
    for mode in ("bm25", "hybrid"):
        assert kana.search(query, k=1, mode=mode)[0].record.id == expected


def test_a_kana_query_gets_its_passage_marked_on_the_search_page(kana):
    from kb.search.backend import InProcessBackend, SearchRequest
    hit = InProcessBackend(kana).search(SearchRequest(query="たんとうか", k=1)).hits[0]
    assert hit.record.id == "k1" and hit.passage is not None and "担当課" in hit.passage.text


def test_a_kana_word_the_corpus_lacks_is_not_cut_into_corpus_words():
    """「いちばん」 read greedily on a corpus that has 位置 and 版 but not 一番 became 「位置版」; the reading
    in the fewest pieces keeps the word Sudachi reads (as typed), and still reads the corpus's own."""
    from kb.search.reading import ReadingLexicon
    lex = ReadingLexicon(surface={"イチ": "位置", "バン": "版", "イチハラシ": "市原市", "ジギョウ": "事業"})
    assert lex.rewrite("いちはらしのじぎょうでいちばんたかいのは") == "市原市の事業でいちばんたかいのは"
    assert lex.rewrite("いちのばん") == "位置の版"  # no longer word across them: the corpus's words


def test_a_query_with_kanji_is_not_rewritten(kana):
    assert kana.read_query("担当課はどこ") == "担当課はどこ"


# ---------------------------------------------------------------- pseudo-relevance feedback

FEEDBACK = _records([
    ("f1", "見守り", "見守り訪問ボランティアを募集し、高齢者の見守り訪問ボランティアを増やした。"),
    ("f2", "ボランティア", "訪問ボランティアの養成講座を開いた。"),
    ("f3", "予算", "事業費は百万円だった。"),
    ("f4", "研修", "民生委員向けの研修を年二回開いた。"),
])


def test_feedback_brings_in_a_record_that_shares_the_best_records_words(settings):
    plain = Searcher.from_records(settings, FEEDBACK)
    prf = Searcher.from_records(settings, FEEDBACK, tuning=replace(SearchTuning(), prf_docs=1, prf_terms=5,
                                                                   prf_weight=0.5))
    query = "高齢者の見守り"
    assert "f2" not in _bm25(plain, query)  # f2 shares no word with the question…
    assert _bm25(prf, query)[:2] == ["f1", "f2"]  # …but the words of its best record
    assert prf.manifest["search_tuning"]["prf_docs"] == 1


def test_feedback_off_leaves_the_ranking_as_bm25_scores_it(settings):
    plain = Searcher.from_records(settings, FEEDBACK)
    scores = plain.bm25_scorer.scores(plain.tokenizer("見守り訪問"))
    assert scores[0] > scores[1] > 0 and scores[2] == scores[3] == 0


def test_the_bm25_retriever_also_takes_a_plain_bm25s_index(settings):
    """The naive pipeline of pfkb eval builds its own bm25s index over chunks."""
    import bm25s
    from llama_index.core.schema import QueryBundle, TextNode
    from kb.search.retrievers import SudachiBM25Retriever
    from kb.search.tokenize import Tokenizer
    tok = Tokenizer()
    texts = ["見守り訪問ボランティアを募集した。", "事業費は百万円だった。"]
    index = bm25s.BM25()
    index.index([tok(t) for t in texts], show_progress=False)
    nodes = [TextNode(id_=f"c{i}", text=t) for i, t in enumerate(texts)]
    hits = SudachiBM25Retriever(index, nodes, tok, 2).retrieve(QueryBundle("ボランティアの募集"))
    assert [h.node.node_id for h in hits] == ["c0"]


def test_the_best_passage_score_of_each_record_is_the_max_over_its_passages(defined):
    import numpy as np
    index = defined.passage_index
    scores = np.random.default_rng(0).random(len(index.passages)).astype(np.float32)
    ids = [r.id for r in DEFINED]
    assert index.record_max(ids, scores) == {rid: float(scores[index.of_record[rid]].max()) for rid in ids}


def test_a_trial_is_recognised_by_the_words_of_the_corpus_trial_titles():
    """The query analysis knows a corpus's trials from their titles, not from a list of one report's
    trials: 「カルタ」 names a trial only in a corpus that has one so titled."""
    from kb.core.records import Record, Source
    from kb.search.query import KIND_WORDS, analyze, trial_names
    assert not any("エプロン" in w or "キャラバン" in w for w in KIND_WORDS["trial"])
    src = Source("d", "s")
    records = [Record(id="t", kind="trial", city="甲市", phase=None, step=None, scope=None,
                      title="ご近所カルタ大会の開催", text="カルタ大会を開いた。", source=src, fields={})]
    records += [Record(id=f"l{i}", kind="lesson", city="甲市", phase=None, step=None, scope=None,
                       title=f"地域協議会の運営{i}", text="協議した。", source=src, fields={}) for i in range(5)]
    names = trial_names(records)
    assert "カルタ" in names and "地域協議会" not in names
    assert analyze("カルタの費用は？", frozenset(), names).kinds[:1] == ("trial",)
    assert "trial" not in analyze("カルタの感想は？").kinds


def test_what_is_computed_once_per_corpus_is_kept_with_that_corpus():
    """The reading lexicon (and the assistant's df / idf / trial names) are kept on the corpus, not in a
    table by id(corpus): a corpus freed and another made at the same address had met the first one's
    lexicon, so a kana query read nothing (seen in the full suite, order-dependent)."""
    import gc
    from kb.search.corpus import Corpus
    from kb.search.reading import reading_lexicon
    for i in range(30):
        words = ("担当", "担当課は福祉政策課とし、庁内の調整を担った。") if i % 2 else ("会議", "プラットフォームの会議を開いた。")
        c = Corpus.of(_records([(f"r{i}", *words)]))
        lex = reading_lexicon(c)
        kana = "たんとうか" if i % 2 else "ぷらっとふぉーむ"
        assert lex.rewrite(kana) != kana, i
        del c, lex
        gc.collect()
