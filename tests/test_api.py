"""The HTTP API as a client sees it: every endpoint, its answers on the corpus
and its refusals (status, and the same error shape in Japanese and English)."""
from __future__ import annotations

import re
import shutil
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import STATIC, create_app
from api.errors import error_code
from kb.core.errors import InputFileError, NotFoundError

PHASE_ORDER = ["initial", "preparation", "launch", "self_sustaining"]
PHASE_WORDS = ["初期段階", "準備段階", "設立段階", "自走段階"]
ITEM_KEYS = {"id", "kind", "city", "phase", "step", "title", "text", "source"}
TOKEN = "test-admin-token"


@pytest.fixture(scope="module")
def client(built_settings):
    with TestClient(create_app(built_settings)) as c:
        yield c


@pytest.fixture(scope="module")
def store(built_settings):
    from kb.store import open_store
    s = open_store(built_settings)
    yield s
    s.close()


def assert_error(response, status: int, code: str | None = None) -> dict:
    """Our error shape, with a Japanese and an English message."""
    assert response.status_code == status, response.text
    err = response.json()["error"]
    assert set(err) == {"code", "message_ja", "message_en"}
    assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", err["message_ja"]), err
    assert re.search(r"[A-Za-z]{3,}", err["message_en"]), err
    assert "Traceback" not in response.text
    if code:
        assert err["code"] == code
    return err


# --- the error shape -----------------------------------------------------------

def test_errors_carry_japanese_and_english_as_fields():
    e = NotFoundError("記録 'x' はありません", "unknown record id 'x'")
    assert (e.message_ja, e.message_en) == ("記録 'x' はありません", "unknown record id 'x'")
    assert str(e) == "記録 'x' はありません (unknown record id 'x')"  # as the CLI prints it
    assert str(NotFoundError("日本語だけ")) == "日本語だけ" and error_code(e) == "not_found"
    f = InputFileError("a.pdf", "PDF ではありません", "not a PDF", "元の PDF を用意してください")
    assert f.message_ja == "a.pdf: PDF ではありません — 元の PDF を用意してください" and f.message_en == "not a PDF"
    assert str(f) == "a.pdf: PDF ではありません (not a PDF) — 元の PDF を用意してください"


def test_record_error_has_no_english_inside_the_japanese(client):
    err = assert_error(client.get("/api/records/nope"), 404, "not_found")
    assert "unknown" not in err["message_ja"] and "unknown record id" in err["message_en"]


def test_unknown_path_and_method_answer_in_the_error_shape(client):
    assert_error(client.get("/api/no-such-thing"), 404, "not_found")
    assert_error(client.delete("/api/phases"), 405)


# --- service, docs, page -------------------------------------------------------

def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_the_page_reads_record_kind_names_from_the_server(client):
    """One table of kind names (kb/core/vocab/labels.json): /api/meta serves it and the page's
    scripts hold no copy of their own."""
    import json
    root = Path(__file__).resolve().parent.parent
    labels = json.loads((root / "kb/core/vocab/labels.json").read_text(encoding="utf-8"))["record_kinds"]
    assert client.get("/api/meta").json()["kind_labels"] == labels
    for script in (root / "api/static").glob("*.js"):
        text = script.read_text(encoding="utf-8")
        assert not re.search(r"\b(lesson|breakthrough|overview|context)\s*:\s*[\"']", text), script.name


def test_docs_work_offline(client):
    html = client.get("/docs").text
    assert "/api/ask" in html and "/api/trials" in html and "/api/sources/{document}/pages/{page}" in html
    assert not re.search(r"(src|href)=[\"']https?://", html), "the docs page must load nothing from the internet"
    spec = client.get("/openapi.json").json()
    assert "/api/search" in spec["paths"]


def test_page_is_served_with_nothing_from_the_internet(client):
    r = client.get("/")
    assert r.status_code == 200 and "連携PF 知識ベース" in r.text
    assert "script-src 'self'" in r.headers["content-security-policy"]
    for f in STATIC.iterdir():
        text = f.read_text(encoding="utf-8")
        assert not re.search(r"(?<!xmlns=\")https?://", text), f"{f.name} refers to the internet"
        assert client.get(f"/static/{f.name}").status_code == 200
    js = "".join(f.read_text(encoding="utf-8") for f in STATIC.glob("*.js"))
    assert not re.search(r"\.(inner|outer)HTML\s*=|insertAdjacentHTML|document\.write|eval\(", js)


# --- ask and search ------------------------------------------------------------

def test_setup_question_is_answered_by_phase_with_citations(client):
    r = client.post("/api/ask", json={"question": "PFの立ち上げ方は？"})
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["question_type"] == "setup" and not data["no_evidence"]
    phases = [b["phase"] for b in data["blocks"] if b["type"] == "heading" and b.get("level") == 2]
    assert phases == PHASE_ORDER
    cited = {c["id"]: c for c in data["citations"]}
    statements = [b for b in data["blocks"] if b["type"] == "statement"]
    assert statements and all(b["citations"] for b in statements)
    for b in statements:
        for rid in b["citations"]:
            assert rid in cited and cited[rid]["label"]
    assert all(ITEM_KEYS <= set(c) for c in data["citations"])


@pytest.mark.parametrize("question,why", [("", "empty"), ("   ", "blank"), ("あ" * 2000, "2,000 characters")])
def test_bad_questions_are_refused(client, question, why):
    assert_error(client.post("/api/ask", json={"question": question}), 422)


def test_malformed_ask_bodies_are_refused(client):
    assert_error(client.post("/api/ask", json={"question": 3}), 422, "invalid_request")
    assert_error(client.post("/api/ask", json={}), 422, "invalid_request")
    assert_error(client.post("/api/ask", content=b"{not json", headers={"content-type": "application/json"}),
                 422, "invalid_request")


def test_markup_in_a_question_comes_back_as_plain_data(client):
    q = "<script>alert(1)</script>PFの立ち上げ方は？"
    r = client.post("/api/ask", json={"question": q})
    assert r.status_code == 200
    assert r.json()["question"] == q


def test_search_returns_result_items_and_applies_filters(client):
    r = client.post("/api/search", json={"query": "関係団体への声掛け", "k": 5, "filters": {"city": "熊本市"}})
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert 1 <= len(results) <= 5
    for item in results:
        assert ITEM_KEYS | {"score"} <= set(item)
        assert item["city"] == "熊本市"
        assert set(item["source"]) == {"document", "section", "page", "lines", "printed_page", "end_page",
                                       "end_printed_page"}  # domain.md: source.printed_page; a span over pages ends at end_*


@pytest.mark.parametrize("body,code", [
    ({"query": ""}, None),
    ({"query": "あ" * 2000}, None),
    ({"query": "声掛け", "filters": {"step": "99"}}, "bad_query"),
    ({"query": "声掛け", "filters": {"colour": "red"}}, "bad_query"),
    ({"query": "声掛け", "filters": {"phase": "launching"}}, "bad_query"),
    ({"query": "声掛け", "k": 0}, "invalid_request"),
    ({"query": "声掛け", "k": "many"}, "invalid_request"),
])
def test_bad_searches_are_refused(client, body, code):
    assert_error(client.post("/api/search", json=body), 422, code)


QUERIES = ["PFの立ち上げ", "関係団体への声掛け", "地域協議会の設置", "実態把握調査", "庁内連携", "広報・周知"]


def concurrent_mismatches(client, queries=QUERIES, threads=8) -> tuple[list, list]:
    """Each query once at a time, then all of them from ``threads`` threads at
    once: (answers that differ from the serial ones, errors)."""
    serial = {q: [h["id"] for h in client.post("/api/search", json={"query": q, "k": 5}).json()["results"]]
              for q in queries}
    seen, errors = [], []
    start = threading.Barrier(threads)

    def worker(i: int) -> None:
        start.wait()
        for q in queries[i % 3:] + queries[:i % 3]:
            r = client.post("/api/search", json={"query": q, "k": 5})
            if r.status_code != 200:
                errors.append(r.text)
            else:
                seen.append((q, [h["id"] for h in r.json()["results"]]))

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert len(seen) + len(errors) == threads * len(queries)
    return [(q, ids) for q, ids in seen if ids != serial[q]], errors


@pytest.fixture
def uncached(built_settings, monkeypatch):
    """Searches without the result and query caches, so that concurrent requests
    really run the retrievers side by side instead of reading cached lists."""
    from kb.search.searcher import get_searcher
    s = get_searcher(built_settings)
    monkeypatch.setattr(s.result_cache, "size", 0)
    monkeypatch.setattr(s.query_cache, "size", 0)
    return s


def test_concurrent_searches_give_the_same_results_as_one_at_a_time(client, uncached):
    mismatches, errors = concurrent_mismatches(client)
    assert not errors and not mismatches


def test_the_concurrency_check_catches_an_injected_race(client, uncached, monkeypatch):
    """The test above can fail: with state shared between requests (a race put
    into search on purpose) the same check reports wrong answers."""
    import time as _time
    from kb.search.searcher import Searcher
    real = Searcher.search
    shared = {}

    def racy(self, query, *args, **kwargs):
        shared["query"] = query  # a per-request value kept where every thread writes
        _time.sleep(0.01)
        return real(self, shared["query"], *args, **kwargs)
    monkeypatch.setattr(Searcher, "search", racy)
    mismatches, errors = concurrent_mismatches(client)
    assert mismatches or errors


# --- browsing ------------------------------------------------------------------

def test_phases_list_the_ten_steps_in_order(client):
    phases = client.get("/api/phases").json()["phases"]
    assert [p["phase"] for p in phases] == PHASE_ORDER
    assert [p["label"][-4:] for p in phases] == PHASE_WORDS
    steps = [s["step"] for p in phases for s in p["steps"]]
    assert steps == ["1", "2", "3", "4-1", "4-2", "5", "6", "7", "8", "9"]


def test_record_by_id_with_label_and_source_view(client, store):
    rec = store.records(kind="lesson", city="熊本市")[0]
    data = client.get(f"/api/records/{rec.id}").json()
    assert data["id"] == rec.id and data["title"] == rec.title
    assert data["label"].startswith("2-2 熊本市 › ") and data["label"].endswith("行目）")
    assert data["source_view"]["type"] == "text_lines"
    lines = client.get(data["source_view"]["url"]).json()
    cited = [ln["n"] for ln in lines["lines"] if ln["cited"]]
    assert cited == list(range(rec.source.lines[0], rec.source.lines[1] + 1))
    assert any(not ln["cited"] for ln in lines["lines"]), "context lines around the citation"


@pytest.mark.parametrize("rid", ["0000000000000000", "nope", "..%2F..%2Fetc"])
def test_unknown_record_is_404(client, rid):
    assert_error(client.get(f"/api/records/{rid}"), 404)


def test_city_list_and_page(client):
    cities = {c["city"]: c for c in client.get("/api/cities").json()["cities"]}
    assert {"福岡市", "熊本市", "市原市"} <= {c for c, v in cities.items() if v["detailed"]}
    assert "中野区" in cities and not cities["中野区"]["detailed"]
    page = client.get("/api/cities/熊本市").json()
    assert page["profile"]["department"].startswith("健康福祉局")
    assert [p["phase"] for p in page["lessons"]] == [p for p in PHASE_ORDER if p in {x["phase"] for x in page["lessons"]}]
    step5 = [s for p in page["lessons"] for s in p["steps"] if s["step"] == "5"][0]
    assert any("火の国会議" in r["title"] for r in step5["records"])
    assert len(page["trials"]) == 6 and len(page["breakthrough"]) == 1 and len(page["voices"]) >= 1
    assert all(r["label"] for r in page["voices"])


def test_city_page_keeps_facts_that_disagree(client):
    facts = {f["name"]: f for f in client.get("/api/cities/福岡市").json()["facts"]}
    start = facts["pf_start"]
    assert start["conflict"]
    assert {"令和4年度", "令和5年"} <= {v["raw"] for v in start["values"]}
    assert all(v["record_id"] and v["where"] for v in start["values"])


def test_unknown_city_is_404_naming_it(client):
    err = assert_error(client.get("/api/cities/東京都"), 404, "not_found")
    assert "東京都" in err["message_ja"]


def test_roadmap_by_phase_and_step_with_city_filter(client):
    data = client.get("/api/roadmap").json()
    assert [p["phase"] for p in data["phases"]] == PHASE_ORDER
    step1 = data["phases"][0]["steps"][0]
    assert {"福岡市", "熊本市", "市原市"} <= set(step1["cities"])
    only = client.get("/api/roadmap", params={"city": "市原市"}).json()
    assert {c for p in only["phases"] for s in p["steps"] for c in s["cities"]} == {"市原市"}
    assert_error(client.get("/api/roadmap", params={"city": "どこか市"}), 404)


def costs(data):
    return [t["cost_yen"] for t in data["trials"]]


def test_trials_sort_by_cost_both_ways_with_unknown_costs_last(client):
    up = costs(client.get("/api/trials", params={"sort": "cost"}).json())
    known = [c for c in up if c is not None]
    assert known == sorted(known) and up[:len(known)] == known and len(known) >= 10
    assert all(c is None for c in up[len(known):])
    down = costs(client.get("/api/trials", params={"sort": "-cost"}).json())
    assert [c for c in down if c is not None] == sorted(known, reverse=True)
    assert down[0] == 2_900_000  # 福岡市 実態把握調査 (290 万円)


def test_trials_sort_by_period_in_fiscal_year_order(client):
    months = [t["start_month"] for t in client.get("/api/trials", params={"sort": "period"}).json()["trials"]]
    known = [m for m in months if m is not None]
    assert [(m - 4) % 12 for m in known] == sorted((m - 4) % 12 for m in known)
    assert known[0] >= 4 and known[-1] <= 3  # April … March


def test_trials_filters(client):
    kumamoto = client.get("/api/trials", params={"city": "熊本市"}).json()
    assert kumamoto["total"] == 6 and {t["city"] for t in kumamoto["trials"]} == {"熊本市"}
    research = client.get("/api/trials", params={"category": "research"}).json()["trials"]
    assert research and all("調査" in t["title"] for t in research)
    do = client.get("/api/trials", params={"category": "do"}).json()["trials"]
    assert do and {t["category"] for t in do} <= {"do_support", "do_pr"}
    ranged = costs(client.get("/api/trials", params={"min_cost": 100_000, "max_cost": 1_000_000}).json())
    assert ranged and all(100_000 <= c <= 1_000_000 for c in ranged)
    q = client.get("/api/trials", params={"q": "リーフレット"}).json()["trials"]
    assert "相談先一覧リーフレットの更新" in [t["title"] for t in q]
    assert all("リーフレット" in t["title"] + t["text"] for t in q) and len(q) < 14


@pytest.mark.parametrize("params,status", [
    ({"sort": "price"}, 422), ({"category": "fun"}, 422), ({"min_cost": "abc"}, 422), ({"min_cost": -5}, 422),
    ({"min_cost": 500, "max_cost": 100}, 422), ({"city": "東京都"}, 404), ({"q": "あ" * 101}, 422),
])
def test_bad_trial_queries_are_refused(client, params, status):
    assert_error(client.get("/api/trials", params=params), status)


def test_documents_list(client):
    docs = client.get("/api/documents").json()["documents"]
    corpus = {d["format"]: d for d in docs if d["origin"] == "corpus"}
    assert corpus["text"]["records"] > 100  # the report's text export
    assert corpus["pdf"]["records"] > 10  # the national plan


# --- sources -------------------------------------------------------------------

def text_document(store) -> str:
    """The report's text export (the corpus also holds the national plan as a PDF)."""
    return next(d["id"] for d in store.documents() if d["format"] == "text")


def test_text_lines_by_range(client, store):
    doc = text_document(store)
    data = client.get(f"/api/sources/{doc}/lines", params={"start": 10, "end": 12, "context": 2}).json()
    assert [ln["n"] for ln in data["lines"]] == [8, 9, 10, 11, 12, 13, 14]
    assert [ln["n"] for ln in data["lines"] if ln["cited"]] == [10, 11, 12]


@pytest.mark.parametrize("path,status", [
    ("/api/sources/{doc}/lines?start=999999", 404),
    ("/api/sources/{doc}/lines?start=20&end=10", 422),
    ("/api/sources/{doc}/lines?start=1&end=5000", 422),
    ("/api/sources/{doc}/lines", 422),
    ("/api/sources/{doc}/lines?record=0000000000000000", 404),
    ("/api/sources/no-such-report/lines?start=1", 404),
    ("/api/sources/{doc}/pages/1", 422),  # a text export has no pages
    ("/api/sources/%2E%2E/lines?start=1", 422),
    ("/api/sources/..%2F..%2Fetc%2Fpasswd/lines?start=1", 404),
    ("/api/sources/%2Fetc%2Fpasswd/lines?start=1", 404),
    ("/api/sources/{doc}%00/lines?start=1", 422),
])
def test_bad_source_requests_are_refused(client, store, path, status):
    doc = text_document(store)
    r = client.get(path.replace("{doc}", doc))
    assert_error(r, status)
    assert "root:" not in r.text


# --- upload ----------------------------------------------------------------------

def make_pdf(path: Path, lines: list[str], title: str) -> Path:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    font = Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf")
    pdfmetrics.registerFont(TTFont("IPAexGothic-test", str(font)))
    c = canvas.Canvas(str(path), pagesize=A4)
    c.setFont("IPAexGothic-test", 16)
    c.drawString(72, 780, title)
    c.setFont("IPAexGothic-test", 11)
    for i, line in enumerate(lines):
        c.drawString(72, 740 - 20 * i, line)
    c.showPage()
    c.save()
    return path


@pytest.fixture(scope="module")
def upload_client(built_settings, tmp_path_factory):
    """A copy of the built data dir (uploads change it) with uploads on."""
    data = tmp_path_factory.mktemp("upload") / "data"
    shutil.copytree(built_settings.data_dir, data)
    settings = built_settings.with_(data_dir=data, admin_token=TOKEN, max_upload_mb=1)
    with TestClient(create_app(settings)) as c:
        yield c


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def wait_for(client, url: str, timeout: float = 300) -> dict:
    end = time.time() + timeout
    seen = []
    while time.time() < end:
        job = client.get(url).json()
        seen.append(job["status"])
        if job["status"] in ("done", "error"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job did not finish in {timeout}s: {seen[-5:]}")


def test_upload_is_off_without_a_configured_token(client, tmp_path):
    pdf = make_pdf(tmp_path / "a.pdf", ["本文"], "タイトル")
    r = client.post("/api/documents", files={"file": ("a.pdf", pdf.read_bytes(), "application/pdf")},
                    headers=auth())
    assert_error(r, 403, "uploads_disabled")


def test_upload_requires_the_right_token(upload_client, tmp_path):
    pdf = make_pdf(tmp_path / "a.pdf", ["本文"], "タイトル").read_bytes()
    files = {"file": ("a.pdf", pdf, "application/pdf")}
    r = upload_client.post("/api/documents", files=files)
    assert_error(r, 401, "unauthorized")
    assert r.headers["www-authenticate"] == "Bearer"
    assert_error(upload_client.post("/api/documents", files=files, headers=auth("wrong")), 403, "forbidden")
    assert_error(upload_client.post("/api/documents", files=files, headers={"Authorization": TOKEN}), 401)


def test_upload_refuses_too_big_and_not_pdf(upload_client):
    big = b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 100)
    assert_error(upload_client.post("/api/documents", files={"file": ("big.pdf", big, "application/pdf")},
                                    headers=auth()), 413, "too_large")
    text = "これはPDFではありません".encode()
    assert_error(upload_client.post("/api/documents", files={"file": ("fake.pdf", text, "application/pdf")},
                                    headers=auth()), 415, "not_a_pdf")
    assert_error(upload_client.post("/api/documents", data={"name": "x"}, headers=auth()), 422)


def test_a_broken_pdf_ends_in_error_and_changes_nothing(upload_client):
    before = upload_client.get("/api/documents").json()["documents"]
    broken = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer <<>>\n%%EOF"
    r = upload_client.post("/api/documents", files={"file": ("broken.pdf", broken, "application/pdf")},
                           headers=auth())
    assert r.status_code == 202
    job = wait_for(upload_client, r.json()["url"])
    assert job["status"] == "error"
    assert "broken" in job["message"] and job["message_en"]
    assert upload_client.get("/api/documents").json()["documents"] == before


def test_a_good_upload_is_processed_and_becomes_searchable(upload_client, tmp_path):
    pdf = make_pdf(tmp_path / "ひまわり報告.pdf", [
        "ひまわり見守りネットワークでは、毎月の訪問活動を通じて",
        "孤立しがちな高齢者と地域の商店街をつないでいます。",
        "令和6年度は延べ120世帯を訪問し、見守り協定を結んだ店舗は18店舗になりました。",
    ], "ひまわり見守りネットワーク活動報告")
    r = upload_client.post("/api/documents", files={"file": (pdf.name, pdf.read_bytes(), "application/pdf")},
                           headers=auth())
    assert r.status_code == 202, r.text
    started = r.json()
    assert started["status"] == "queued" and started["url"].endswith(started["job_id"])
    job = wait_for(upload_client, started["url"])
    assert job["status"] == "done", job
    assert job["progress"] == 1.0 and job["result"]["records"] >= 1
    doc = job["result"]["document"]
    assert doc == "ひまわり報告"
    assert doc in [d["id"] for d in upload_client.get("/api/documents").json()["documents"]]

    hits = upload_client.post("/api/search", json={"query": "ひまわり見守りネットワーク 商店街", "k": 10}).json()["results"]
    mine = [h for h in hits if h["source"]["document"] == doc]
    assert mine, hits

    rec = upload_client.get(f"/api/records/{mine[0]['id']}").json()
    assert rec["source_view"]["type"] == "pdf_page"
    png = upload_client.get(rec["source_view"]["url"])
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert_error(upload_client.get(f"/api/sources/{doc}/pages/7"), 404)
    assert_error(upload_client.get(f"/api/sources/{doc}/pages/0"), 404)
    assert_error(upload_client.get(f"/api/sources/{doc}/lines?start=1"), 422)


def test_uploaded_file_names_cannot_leave_the_upload_folder():
    from api.routes_upload import safe_file_name
    assert safe_file_name("../../etc/passwd") == "passwd.pdf"
    assert safe_file_name("C:\\Users\\x\\令和6年度 報告書.pdf") == "令和6年度-報告書.pdf"
    assert safe_file_name("") == "upload.pdf"
    assert safe_file_name("報告書.PDF", "html") == "報告書.html"  # the content's type wins over the name
    assert safe_file_name("../メモ.md", "text") == "メモ.md" and safe_file_name("メモ", "text") == "メモ.txt"
    assert safe_file_name("r.docx", "docx") == "r.docx"


def test_an_unbuilt_data_dir_answers_503_not_a_traceback(tmp_path, built_settings):
    settings = built_settings.with_(data_dir=tmp_path / "empty")
    with TestClient(create_app(settings)) as c:
        assert c.get("/healthz").status_code == 200
        assert_error(c.get("/api/cities"), 503, "not_built")
        assert_error(c.post("/api/search", json={"query": "声掛け"}), 503, "not_built")


def test_unknown_job_is_404(upload_client):
    assert_error(upload_client.get("/api/documents/jobs/0123456789abcdef"), 404)
