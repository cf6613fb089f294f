"""The retriever interface (kb/search/backend.py) on small fixtures: the in-process backend over a
fake searcher, the contract any backend keeps, fiscal years read from text, passages, exports."""
from __future__ import annotations

import csv
import io

import pytest

from kb.core.errors import BadQueryError
from kb.core.records import Record, SearchHit, Source
from kb.search.backend import InProcessBackend, Retriever, SearchRequest, check_request
from kb.search.corpus import Corpus
from kb.search.facets import fiscal_years_in, parse_fiscal_year, record_fiscal_years, document_fiscal_year
from kb.search.filters import check_filters
from kb.search.highlight import best_passage, text_to_sentences


def rec(i: int, city: str | None, kind: str, text: str, doc: str = "doc-a", step: str | None = None,
        phase: str | None = None, **fields) -> Record:
    return Record(id=f"r{i:02d}", kind=kind, city=city, phase=phase, step=step, scope=None, title=f"題{i}",
                  text=text, source=Source(doc, "2-1. 市 / 4.", lines=(i, i)), fields=fields)


RECORDS = [
    rec(1, "熊本市", "trial", "相談先リーフレットを作成した。令和6年度に配布した。", step="6", phase="launch"),
    rec(2, "熊本市", "lesson", "庁内の関係課に声を掛けた。研修を行った。", step="5", phase="preparation", timing="R5 10月"),
    rec(3, "市原市", "lesson", "研修で顔の見える関係をつくった。", step="7", phase="launch"),
    rec(4, "市原市", "trial", "実態調査を行った。", doc="doc-b"),
    rec(5, None, "summary", "研修は早い段階で行うとよい。"),
]


class FakeSearcher:
    """Ranks by shared characters; filters like the real Searcher (only its own keys)."""

    def __init__(self, records):
        self.corpus = Corpus.of(records)
        self.records = list(records)
        self.by_id = self.corpus.by_id
        self.index_dir = None
        self.calls = []

    def tokenizer(self, text):
        return [w for w in ("研修", "リーフレット", "調査", "声", "関係") if w in text]

    def text_tokens(self, text):
        return frozenset(self.tokenizer(text))

    def search(self, query, k=10, filters=None):
        f = check_filters(filters)
        self.calls.append((query, k, f))
        scored = [(sum(ch in r.text for ch in set(query)), r) for r in self.records
                  if all(getattr(r, key) == v for key, v in f.items())]
        scored = [x for x in scored if x[0] > 0]
        scored.sort(key=lambda x: -x[0])
        return [SearchHit(r, float(s)) for s, r in scored[:k]]


@pytest.fixture
def backend():
    return InProcessBackend(FakeSearcher(RECORDS), {"doc-a": 2024, "doc-b": 2023})


def test_the_in_process_backend_is_a_retriever(backend):
    assert isinstance(backend, Retriever)
    assert backend.version == "memory"
    assert backend.record("r03").city == "市原市"


def test_filters_narrow_the_query_result_set_so_counts_predict_the_click(backend):
    plain = backend.search(SearchRequest("研修"))
    res = backend.search(SearchRequest("研修", {"city": "市原市"}))
    assert res.hits and all(h.record.city == "市原市" for h in res.hits)
    assert res.total == plain.facets["city"]["市原市"]
    assert backend.searcher.calls[-1][2] == {}  # the searcher ranked the whole corpus
    assert res.exact  # the fake's list was not full


def test_document_and_fiscal_year_narrow_the_result_set(backend):
    res = backend.search(SearchRequest("調査 研修", {"document": "doc-b"}))
    assert [h.record.id for h in res.hits] == ["r04"]
    res = backend.search(SearchRequest("", {"fiscal_year": "令和5年度"}))
    # r02 names R5 10月 (FY2023), r04's document is dated in FY2023 and names no year
    assert sorted(h.record.id for h in res.hits) == ["r02", "r04"]
    assert res.exact


def test_a_full_result_list_narrowed_by_a_filter_is_not_called_exact(backend):
    res = backend.search(SearchRequest("研修をした", {"document": "doc-a"}, depth=2))
    assert not res.exact


def test_facets_count_the_result_set(backend):
    res = backend.search(SearchRequest(""))
    assert res.total == 5
    assert res.facets["city"] == {"熊本市": 2, "市原市": 2, "": 1}
    assert res.facets["document"] == {"doc-a": 4, "doc-b": 1}
    assert res.facets["fiscal_year"]["2024"] == 3  # r01 (令和6年度) + r03, r05 (no year: their document's)
    narrowed = backend.search(SearchRequest("", {"kind": "trial"}))
    assert narrowed.facets["city"] == {"熊本市": 1, "市原市": 1}
    assert sum(narrowed.facets["kind"].values()) == narrowed.total == 2


def test_passage_is_the_matching_sentence_with_offsets(backend):
    res = backend.search(SearchRequest("研修", {"city": "熊本市"}))
    hit = next(h for h in res.hits if h.record.id == "r02")
    p = hit.passage
    assert p.text == "研修を行った。"
    assert hit.record.text[p.start:p.end] == p.text
    d = hit.to_dict()
    assert d["passage"] == {"text": "研修を行った。", "start": p.start, "end": p.end}
    assert d["label"] == hit.record.citation_label()


def test_bad_requests_name_the_field():
    with pytest.raises(BadQueryError, match="未知の絞り込み 'town'"):
        check_request(SearchRequest("x", {"town": "a"}))
    with pytest.raises(BadQueryError, match="年度 fy='来年'"):
        check_request(SearchRequest("x", {"fiscal_year": "来年"}))
    with pytest.raises(BadQueryError, match="step='12'"):
        check_request(SearchRequest("x", {"step": "12"}))
    with pytest.raises(BadQueryError, match="長すぎます"):
        check_request(SearchRequest("研" * 501))
    assert check_request(SearchRequest(" 研修 ", {"step": "4.1", "fiscal_year": "R6", "city": ""})) == \
        ("研修", {"step": "4-1", "fiscal_year": "2024"})


@pytest.mark.parametrize("text, years", [
    ("令和6年度の事業", {2024}),
    ("R7 1月に開始、R6年度 4月~", {2024}),
    ("令和7年3月 報告", {2024}),
    ("令和元年度から", {2019}),
    ("2023年度と2025年4月", {2023, 2025}),
    ("平成30年度", {2018}),
    ("人口 1,612,392人", set()),
    ("第2期（H2）計画", set()),
])
def test_fiscal_years_read_from_text(text, years):
    assert fiscal_years_in(text) == years


def test_fiscal_years_of_a_record_and_of_a_document():
    r = rec(9, "熊本市", "profile", "人口の記載のみ", pf_start=2022)
    assert record_fiscal_years(r) == (2022,)
    assert record_fiscal_years(rec(8, None, "summary", "年の記載なし"), 2024) == (2024,)
    assert document_fiscal_year("2025-03") == 2024 and document_fiscal_year("2025-04") == 2025
    assert document_fiscal_year("") is None
    assert parse_fiscal_year("２０２４年度") == parse_fiscal_year("FY2024") == parse_fiscal_year("令和６年度") == "2024"


def test_sentences_split_at_marks_and_bullets():
    # the passage index's cut: bullet marks left out, a piece too short to stand alone joined to the next
    text = "■見出しの一行目\n・一つ目の文。二つ目の文。\n・三つ目の項目\n■短い\n最後の文です。"
    assert [text[a:b] for a, b in text_to_sentences(text)] == ["見出しの一行目", "一つ目の文。", "二つ目の文。", "三つ目の項目",
                                                            "短い\n最後の文です。"]
    from kb.search.passages import text_to_spans
    assert text_to_sentences(text) == text_to_spans(text)


def test_passage_falls_back_to_shared_characters_when_no_token_matches():
    r = rec(7, None, "context", "はじめに背景を述べる。つながりづくりの拠点を設けた。")
    p = best_passage(r, "つながりの拠点", [], lambda s: frozenset())
    assert p.text == "つながりづくりの拠点を設けた。"


def test_no_passage_is_marked_when_no_sentence_shares_anything_with_the_query():
    r = rec(6, None, "context", "背景を述べる。拠点を設けた。")
    assert best_passage(r, "予算", ["予算"], lambda s: frozenset()) is None


def test_csv_export_opens_in_excel_and_markdown_cites(backend):
    from kb.export.search_results import result_to_csv, result_to_markdown
    res = backend.search(SearchRequest("研修"))
    body = result_to_csv(res)
    assert body.startswith("\ufeff".encode("utf-8"))
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["順位", "種類", "自治体"] and len(rows) == 1 + len(res.hits)
    assert b"\r\n" in body
    md = result_to_markdown(res, "研修", {}, {"doc-a": {"title": "報告書A"}})
    assert md.startswith("# 検索結果: 研修")
    for i, h in enumerate(res.hits, 1):
        assert f"[{i}] {h.record.citation_label()}" in md


def test_the_in_process_backend_over_a_real_searcher_keeps_the_contract(tmp_path):
    """Searcher.from_records: both retrievers in memory over the fixture records (no index on disk)."""
    from kb.core.settings import Settings
    from kb.search.searcher import Searcher
    searcher = Searcher.from_records(Settings(data_dir=tmp_path, embed_threads=1), RECORDS, cache=False)
    backend = InProcessBackend(searcher, {"doc-a": 2024, "doc-b": 2023})
    assert isinstance(backend, Retriever)
    plain = backend.search(SearchRequest("研修"))
    assert plain.total == len(RECORDS) and plain.exact  # every record ranks; the list was not full
    top = plain.hits[0]
    assert "研修" in top.record.text and "研修" in top.passage.text
    assert top.record.text[top.passage.start:top.passage.end] == top.passage.text
    narrowed = backend.search(SearchRequest("研修", {"city": "市原市"}))
    assert narrowed.total == plain.facets["city"]["市原市"] == 2
    assert [h.record.id for h in narrowed.hits] == [h.record.id for h in plain.hits if h.record.city == "市原市"]
