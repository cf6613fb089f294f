"""The text export parsed into records: what a user of the knowledge base relies on."""
from __future__ import annotations

from collections import Counter

import pytest

from kb.core.normalize import squash
from kb.core.records import STEP_CODES

CITIES = ("福岡市", "熊本市", "市原市")


def of(parsed, kind, city=None):
    return [r for r in parsed.records if r.kind == kind and (city is None or r.city == city)]


@pytest.mark.parametrize("city", CITIES)
def test_every_step_has_a_lesson(corpus_parsed, city):
    steps = {r.step for r in of(corpus_parsed, "lesson", city) if not r.fields.get("schedule_only")}
    assert set(STEP_CODES) <= steps, f"{city} misses steps {set(STEP_CODES) - steps}"


def test_lessons_have_phase_consistent_with_step(corpus_parsed):
    from kb.core.records import STEP_PHASE
    for r in of(corpus_parsed, "lesson"):
        assert r.phase == STEP_PHASE[r.step]


def test_trial_counts_and_vendors(corpus_parsed):
    counts = Counter(r.city for r in of(corpus_parsed, "trial"))
    assert counts == {"福岡市": 3, "熊本市": 6, "市原市": 5}
    by_title = {(r.city, r.title): r for r in of(corpus_parsed, "trial")}
    t = by_title[("福岡市", "実態把握調査")]
    assert t.fields["vendor"] == "東京商工リサーチ" and t.fields["cost_yen"] == 2_900_000
    kuma = {r.title: r for r in of(corpus_parsed, "trial", "熊本市")}
    res = next(r for title, r in kuma.items() if "リソース調査" in title)
    assert res.fields["vendor"] == "株式会社九州みらい研究所"
    assert res.fields["cost_yen"] == 1_200_000 and res.fields["cost_approx"] is True
    assert "回収率は23.4%" in squash(res.text)  # the detail page is merged in
    pf = next(r for title, r in kuma.items() if "PF拡大" in title)
    assert pf.fields["cost_yen"] is None and pf.fields["vendor"] is None  # 発注なし
    paper = next(r for title, r in kuma.items() if "新聞広告" in title)
    assert paper.fields["cost_yen"] == 300_000
    meeting = next(r for title, r in kuma.items() if "つながりサポーター" in title)
    assert meeting.fields["cost_yen"] == 13_000  # 約1.3万円


def test_trials_matched_to_detail_pages_by_title(corpus_parsed):
    ichi = {r.fields["number"]: r for r in of(corpus_parsed, "trial", "市原市")}
    # list numbers ⑪-⑮, detail numbers differ; ⑮ has an empty (merged) title cell in the list
    assert ichi["⑭"].fields["detail_title"].endswith("(作業部会)")
    assert ichi["⑮"].fields["detail_title"].endswith("(こども未来キャラバン)")
    assert ichi["⑮"].title != ichi["⑭"].title
    assert ichi["⑪"].fields["detail_number"] == "⑦"
    for r in of(corpus_parsed, "trial"):
        assert r.fields["detail_title"], r.title


def test_profiles(corpus_parsed):
    prof = {r.city: r for r in of(corpus_parsed, "profile")}
    assert set(prof) == set(CITIES)
    f = prof["福岡市"].fields
    assert f["population"] == 1_612_392 and f["population_date"] == "2020-10"
    assert f["department"] == "福祉局生活福祉部生活支援課"
    assert f["pf_start"] == 2022 and f["council_start"] is None
    k = prof["熊本市"].fields
    assert k["population"] == 736_949 and k["population_date"] == "2025-02-01"
    assert k["council_start"] == 2025 and k["council_planned"]
    assert "全18団体" in k["members"]  # continued across a page break in the source
    i = prof["市原市"].fields
    assert i["population"] == 267_226 and i["pf_start"] == 2024 and i["council_start"] == 2024


@pytest.mark.parametrize("kind", ["breakthrough", "profile"])
def test_one_per_city(corpus_parsed, kind):
    assert Counter(r.city for r in of(corpus_parsed, kind)) == {c: 1 for c in CITIES}


def test_columns_per_city(corpus_parsed):
    counts = Counter(r.city for r in of(corpus_parsed, "column"))
    assert all(counts[c] >= 1 for c in CITIES)


def test_summary_for_every_step(corpus_parsed):
    summ = of(corpus_parsed, "summary")
    assert {r.step for r in summ} == set(STEP_CODES)
    assert all(r.city is None for r in summ)
    inner = [r for r in summ if r.scope == "庁内"]
    assert any("法整備や努力義務化" in r.text for r in inner)


def test_fourteen_overview_rows(corpus_parsed):
    rows = of(corpus_parsed, "overview")
    assert len(rows) == 14
    assert {r.fields["number"] for r in rows} == set(range(1, 15))
    kuma = next(r for r in rows if r.city == "熊本市")
    assert kuma.fields["pf_start"] == 2022 and kuma.fields["council_start"] == 2025


def test_kumamoto_step6_found_although_labelled_10(corpus_parsed):
    les = [r for r in of(corpus_parsed, "lesson", "熊本市") if r.step == "6" and not r.fields["schedule_only"]]
    assert les and les[0].fields["printed_step"] == "10"
    assert "体制が存在していることを発信" in les[0].title


def test_ichihara_headline_in_wrong_cell_is_settled_by_schedule(corpus_parsed):
    les = {r.step: r for r in of(corpus_parsed, "lesson", "市原市") if not r.fields["schedule_only"]}
    assert les["1"].title.endswith("が担当")
    assert "関係・つながりを整理" in les["2"].title
    assert "新規事業の負担感が生じないように配慮" in les["2"].text


def test_kumamoto_scope_and_page_break_continuation(corpus_parsed):
    step5 = [r for r in of(corpus_parsed, "lesson", "熊本市") if r.step == "5" and not r.fields["schedule_only"]]
    inner = [r for r in step5 if r.scope == "庁内"]
    outer = [r for r in step5 if r.scope == "庁外"]
    assert len(inner) == 1 and len(outer) == 2
    # the 庁内 bullet continues on the next page in a row labelled 庁外
    assert "庁内体制にとどまっていたところ" in squash(inner[0].text)


def test_lesson_timing_from_schedule(corpus_parsed):
    les = {(r.city, r.step): r for r in of(corpus_parsed, "lesson") if not r.fields["schedule_only"]}
    assert les[("福岡市", "1")].fields["timing"] == "R6 4月"
    assert les[("福岡市", "1")].fields["year"] == 2024
    assert les[("熊本市", "2")].fields["timing"] == "R4年度以前"  # merged cell above
    assert les[("市原市", "8")].fields["timing"].startswith("R6年度4月")


def test_conflicting_pf_start_kept_with_sources(corpus_parsed):
    facts = [f for f in corpus_parsed.facts if f.city == "福岡市" and f.name == "pf_start"]
    values = {(f.value, f.where) for f in facts}
    assert (2022, "自治体の概要") in values
    assert (2023, "第1章 試行的事業の整理マップ") in values
    assert (2023, "行程表") in values
    ids = {r.id for r in corpus_parsed.records}
    assert all(f.record_id in ids for f in facts)


def test_every_record_cites_lines(corpus_parsed):
    for r in corpus_parsed.records:
        assert r.source.lines and r.source.lines[0] <= r.source.lines[1], r
        assert r.source.document == "r6-kanto-chugoku1-kyushu"


def test_ids_are_stable_and_unique(corpus_parsed):
    from ingest.read import read_document
    from tests.conftest import CORPUS_TEXT
    from ingest.pipeline import load_manifest
    from tests.conftest import CORPUS
    again = read_document(CORPUS_TEXT, load_manifest(CORPUS).get(CORPUS_TEXT.name))
    assert [r.id for r in again.records] == [r.id for r in corpus_parsed.records]
    assert len({r.id for r in corpus_parsed.records}) == len(corpus_parsed.records)


def test_nothing_important_unparsed(corpus_parsed):
    assert [n for n in corpus_parsed.notes if n.severity == "unparsed"] == []
    assert [n for n in corpus_parsed.notes if n.severity == "warning"] == []


def test_a_missing_city_heading_costs_no_other_city(corpus_parsed):
    """Without 「2-2. 熊本市」, 熊本市's parts follow 福岡市's: its profile (自治体名 熊本市) shows where
    they start, so 福岡市 keeps exactly its own records and 熊本市 is still read."""
    from ingest.pipeline import load_manifest
    from ingest.read import read_document
    from tests.conftest import CORPUS, CORPUS_TEXT
    import tempfile, pathlib
    lines = CORPUS_TEXT.read_text(encoding="utf-8").split("\n")
    cut = [l for l in lines if l.strip() != "2-2. 熊本市"]
    assert len(cut) == len(lines) - 1
    with tempfile.TemporaryDirectory() as d:
        path = pathlib.Path(d) / CORPUS_TEXT.name
        path.write_text("\n".join(cut), encoding="utf-8")
        parsed = read_document(path, load_manifest(CORPUS).get(CORPUS_TEXT.name))

    def keys(p, city):
        return Counter((r.kind, r.title) for r in p.records if r.city == city and r.kind != "context")
    assert keys(parsed, "福岡市") == keys(corpus_parsed, "福岡市")
    assert keys(parsed, "市原市") == keys(corpus_parsed, "市原市")
    got, want = keys(parsed, "熊本市"), keys(corpus_parsed, "熊本市")
    assert sum((got & want).values()) >= 0.9 * sum(want.values())
