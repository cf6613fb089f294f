"""The 検索 page: its API (facets over the result set, exact filters, passages, exports, bad input)
and the page in a real browser at 1366 px and 360 px (Debian's chromium, headless)."""
from __future__ import annotations

import csv
import io
from urllib.parse import parse_qsl, unquote

import pytest

from tests.browser_fixtures import CHROMIUM, CHROMIUM_ARGS, base_url, browser, free_port  # noqa: F401 (fixtures)

pytestmark = pytest.mark.slow



@pytest.fixture(scope="module")
def client(built_settings):
    from fastapi.testclient import TestClient

    from api.app import create_app
    return TestClient(create_app(built_settings))


@pytest.fixture(scope="module")
def records(built_settings):
    from kb.store import open_store
    store = open_store(built_settings)
    try:
        return store.records()
    finally:
        store.close()


def results(client, **params):
    r = client.get("/api/search/results", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def facet(data, name):
    return {v["value"]: v["count"] for v in next(f for f in data["facets"] if f["param"] == name)["values"]}


# --- the API ----------------------------------------------------------------------------------


def test_facet_counts_are_those_of_the_result_set(client):
    data = results(client, q="研修", limit=100)
    assert 0 < data["total"] <= 100 and len(data["results"]) == data["total"]
    assert [f["param"] for f in data["facets"]] == ["document", "city", "phase", "step", "kind", "fy"]
    for name, key in (("city", "city"), ("kind", "kind"), ("phase", "phase")):
        want: dict[str, int] = {}
        for r in data["results"]:
            want[r[key] or ""] = want.get(r[key] or "", 0) + 1
        assert facet(data, name) == want
    years = facet(data, "fy")
    assert years and all(v.isdigit() and len(v) == 4 for v in years if v)
    for r in data["results"]:
        for y in r["fiscal_years"]:
            assert years[str(y)] >= 1


def test_without_a_query_the_counts_are_over_the_corpus_and_filters_are_exact(client, records):
    data = results(client)
    assert data["total"] == len(records)
    assert facet(data, "kind") == {k: sum(r.kind == k for r in records) for k in {r.kind for r in records}}
    city = max({r.city for r in records if r.city}, key=lambda c: sum(r.city == c for r in records))
    own = {r.id for r in records if r.city == city and r.kind == "trial"}
    data = results(client, city=city, kind="trial", limit=100)
    assert {r["id"] for r in data["results"]} == own and data["total"] == len(own)
    assert data["exact"]


def test_a_filter_narrows_the_query_results_to_what_its_count_said(client):
    plain = results(client, q="研修", limit=100)
    for name, key in (("city", "city"), ("kind", "kind"), ("step", "step")):
        value, count = next((v, c) for v, c in facet(plain, name).items() if v)
        data = results(client, q="研修", limit=100, **{name: value})
        assert data["total"] == count and len(data["results"]) == count
        assert all(r[key] == value for r in data["results"])
        assert facet(data, name) == {value: count}
        assert [r["id"] for r in data["results"]] == [r["id"] for r in plain["results"] if r[key] == value]


def test_fiscal_year_filter_accepts_the_ways_people_write_it(client):
    a = results(client, fy="令和5年度", limit=100)
    b = results(client, fy="2023", limit=100)
    assert a["filters"] == b["filters"] == {"fiscal_year": "2023"}
    assert a["total"] == b["total"] > 0
    assert all(2023 in r["fiscal_years"] for r in a["results"])
    assert a["total"] < results(client)["total"]


def test_the_passage_is_the_sentence_that_matches(client):
    data = results(client, q="リーフレット", limit=5)
    top = data["results"][0]
    p = top["passage"]
    assert p and "リーフレット" in p["text"].replace(" ", "")
    assert top["text"][p["start"]:p["end"]] == p["text"]
    assert top["label"] and top["label"].endswith("）")


def test_the_marked_passage_is_the_one_the_passage_index_ranked_best(client, built_settings):
    """The page marks the passage search itself found (the index the assistant quotes from), by
    meaning as well as by words: a paraphrase that shares no word still gets its passage marked."""
    from kb.search.searcher import get_searcher
    for q in ("リーフレット", "会議に人が来てくれないときの工夫"):
        data = results(client, q=q, limit=5)
        hits = get_searcher(built_settings).search(q, k=100)
        by_id = {h.record.id: h.passage for h in hits}
        for r in data["results"]:
            p, want = r["passage"], by_id[r["id"]]
            assert p is not None and want is not None
            assert (p["start"], p["end"], p["text"]) == (want.start, want.end, want.text)


def test_csv_export_opens_in_excel(client):
    r = client.get("/api/search/export.csv", params={"q": "研修", "city": "熊本市"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads it as UTF-8
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    data = results(client, q="研修", city="熊本市", limit=100)
    assert rows[0][0] == "順位" and "出典" in rows[0] and "該当箇所" in rows[0]
    assert [row[rows[0].index("記録ID")] for row in rows[1:]] == [x["id"] for x in data["results"]]
    assert all(row[rows[0].index("自治体")] == "熊本市" for row in rows[1:])


def test_markdown_export_cites_every_result_and_links_back(client):
    r = client.get("/api/search/export.md", params={"q": "研修", "kind": "trial"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/markdown")
    md = r.text
    data = results(client, q="研修", kind="trial", limit=100)
    assert md.startswith("# 検索結果: 研修")
    assert "種類 = 試行的事業" in md
    for i, x in enumerate(data["results"], 1):
        assert f"[{i}] {x['label']}" in md
    assert "#search/q=%E7%A0%94%E4%BF%AE&kind=trial" in md


def test_the_address_encodes_query_and_filters(client):
    data = results(client, q="庁内 連携", city="熊本市", step="4.1")
    assert data["address"].startswith("#search/")
    params = dict(parse_qsl(data["address"].removeprefix("#search/")))
    assert params == {"q": "庁内 連携", "city": "熊本市", "step": "4-1"}
    assert unquote(data["export"]["csv"]).endswith("q=庁内 連携&city=熊本市&step=4-1")


@pytest.mark.parametrize("params, field", [
    ({"q": "研" * 501}, "検索語が長すぎます"),
    ({"q": "研修", "phase": "middle"}, "phase='middle'"),
    ({"q": "研修", "step": "12"}, "step='12'"),
    ({"kind": "memo"}, "kind='memo'"),
    ({"fy": "来年"}, "年度 fy='来年'"),
    ({"document": "no-such-report"}, "document='no-such-report'"),
    ({"limit": "0"}, "limit"),
    ({"limit": "many"}, "limit"),
])
def test_bad_input_is_a_422_in_japanese(client, params, field):
    for path in ("/api/search/results", "/api/search/export.csv", "/api/search/export.md"):
        r = client.get(path, params=params)
        assert r.status_code == 422, (path, r.text)
        err = r.json()["error"]
        assert field in err["message_ja"], err
        assert "Traceback" not in r.text


# --- the page in a browser --------------------------------------------------------------------


def open_page(browser, base_url, width: int, height: int, path: str = "/"):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="ja-JP")
    pg = context.new_page()
    pg.errors, pg.outside = [], []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.on("request", lambda r: None if r.url.startswith(base_url) else pg.outside.append(r.url))
    pg.goto(base_url + path)
    pg.wait_for_selector("body[data-ready]")
    return context, pg


def no_sideways_scroll(pg) -> bool:
    return pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def wait_results(pg):
    pg.wait_for_function("() => document.querySelector('#search-summary .count') !== null", timeout=90_000)


def test_search_at_1366_filters_by_a_count_and_the_address_follows(browser, base_url):
    context, pg = open_page(browser, base_url, 1366, 900)
    try:
        pg.click("nav.tabs a[data-view=search]")
        pg.fill("#search-q", "研修")
        pg.click("#search-submit")
        wait_results(pg)
        assert "研修" in pg.inner_text("#search-summary")
        assert pg.locator(".result-card").count() > 0
        assert pg.locator(".result-card mark.passage").count() > 0  # the matching passage is marked
        assert pg.locator(".result-card button.chip").count() == pg.locator(".result-card").count()
        assert pg.is_visible("#search-facets")  # the filters sit beside the results on a wide screen
        city = pg.locator("#search-facets [data-facet=city] button.facet-value").first
        name = city.get_attribute("data-value")
        count = int(city.locator(".facet-count").inner_text())
        city.click()
        pg.wait_for_function("(name) => location.hash.includes('city=' + encodeURIComponent(name))", arg=name)
        pg.wait_for_function("(n) => document.querySelectorAll('.result-card').length === n", arg=min(count, 50))
        metas = pg.locator(".result-card .result-meta").all_inner_texts()
        assert metas and all(name in m for m in metas)
        csv_href = pg.get_attribute("#search-export-csv", "href")
        assert "city=" in csv_href and "q=" in csv_href
        assert no_sideways_scroll(pg)
        pg.go_back()  # the browser's back button returns to the search without the filter
        pg.wait_for_function("() => !location.hash.includes('city=')")
        pg.wait_for_function("(n) => document.querySelectorAll('.result-card').length > n || "
                             "document.querySelectorAll('.result-card').length === 50", arg=min(count, 50))
        pg.locator(".result-card button.chip").first.click()  # the citation opens the record and its source
        pg.wait_for_selector("#record-dialog[open] .record-meta")
        assert not pg.errors and not pg.outside
    finally:
        context.close()


def test_a_shared_address_restores_the_search_on_a_phone(browser, base_url):
    path = "/#search/q=%E7%A0%94%E4%BF%AE&city=%E5%B8%82%E5%8E%9F%E5%B8%82&kind=trial"  # 研修, 市原市, trial
    context, pg = open_page(browser, base_url, 360, 740, path)
    try:
        wait_results(pg)
        assert pg.input_value("#search-q") == "研修"
        cards = pg.locator(".result-card")
        assert cards.count() > 0
        assert all("市原市" in m and "試行的事業" in m for m in pg.locator(".result-meta").all_inner_texts())
        assert no_sideways_scroll(pg)
        box = pg.locator("#search-facets-box")
        assert box.get_attribute("open") is None  # folded above the results on a phone
        pg.click("#search-facets-box summary")
        pressed = pg.locator("#search-facets button[aria-pressed=true]").all_inner_texts()
        assert any("市原市" in p for p in pressed) and any("試行的事業" in p for p in pressed)
        assert no_sideways_scroll(pg)
        width = pg.evaluate("document.querySelector('.result-card').getBoundingClientRect().right")
        assert width <= 360
        pg.click("#search-facets .facet-clear")  # clearing the filters keeps the query
        pg.wait_for_function("() => !location.hash.includes('city=') && location.hash.includes('q=')")
        wait_results(pg)
        assert no_sideways_scroll(pg)
        assert not pg.errors and not pg.outside
    finally:
        context.close()


def test_a_bad_address_shows_the_message_not_a_blank_page(browser, base_url):
    context, pg = open_page(browser, base_url, 1366, 800, "/#search/q=x&step=12")
    try:
        pg.wait_for_selector("#search-summary .error", timeout=60_000)
        assert "step='12'" in pg.inner_text("#search-summary .error")
        assert not pg.errors
    finally:
        context.close()
