"""Issue 14: nothing lost, nobody overwritten, no secret shown. Each test is a
defect found by attacking the service; all run on documents of a few lines."""
from __future__ import annotations

import json
import logging
import shutil
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from ingest.pipeline import ingest_paths
from kb.core.errors import NotAPDFError, NotFoundError, PfkbError
from kb.core.settings import Settings
from kb.store import open_store
from tests.reliability_helpers import DOCS, ROOT, make_pdf, pfkb, write_docs

TOKEN = "rel-token-123"


@pytest.fixture
def settings(tmp_path):
    return Settings(data_dir=tmp_path / "data", corpus_dir=tmp_path / "corpus")


def docs_of(settings):
    store = open_store(settings)
    try:
        return {d["id"]: d for d in store.documents()}
    finally:
        store.close()


# --- 1. identity from content; replacing is explicit ------------------------------------

def test_a_file_whose_name_is_taken_gets_a_new_id_and_says_so(settings, tmp_path):
    first = write_docs(tmp_path / "one", {"report.txt": DOCS["himawari.txt"]})[0]
    other = write_docs(tmp_path / "two", {"report.txt": DOCS["aozora.txt"]})[0]
    ingest_paths(settings, [first])
    r = ingest_paths(settings, [other])[0]
    assert r.status == "added" and r.document != "report" and r.document.startswith("report-")
    assert r.renamed_from == "report" and "--replace report" in r.note_ja
    docs = docs_of(settings)
    assert set(docs) == {"report", r.document}  # the first document is still there, whole
    store = open_store(settings)
    assert [x.title for x in store.records(document="report")] == ["ひまわり見守りネットワーク活動報告"]


def test_replacing_a_document_is_asked_for_by_id(settings, tmp_path):
    first = write_docs(tmp_path / "one", {"report.txt": DOCS["himawari.txt"]})[0]
    other = write_docs(tmp_path / "two", {"new.txt": DOCS["aozora.txt"]})[0]
    ingest_paths(settings, [first])
    r = ingest_paths(settings, [other], replace="report")[0]
    assert (r.document, r.status) == ("report", "replaced")
    assert set(docs_of(settings)) == {"report"}
    store = open_store(settings)
    assert [x.title for x in store.records(document="report")] == ["あおぞら子ども食堂の記録"]
    with pytest.raises(NotFoundError):
        ingest_paths(settings, [other], replace="no-such-doc")


def test_a_bom_or_crlf_copy_is_the_same_document(settings, tmp_path):
    original = write_docs(tmp_path / "one", {"report.txt": DOCS["himawari.txt"]})[0]
    copy = tmp_path / "copy-with-bom.txt"
    copy.write_bytes(b"\xef\xbb\xbf" + DOCS["himawari.txt"].replace("\n", "\r\n").encode())
    ingest_paths(settings, [original])
    r = ingest_paths(settings, [copy])[0]
    assert (r.document, r.status) == ("report", "unchanged")
    assert set(docs_of(settings)) == {"report"}


def test_names_that_clean_to_nothing_do_not_replace_each_other(settings, tmp_path):
    a = write_docs(tmp_path / "a", {"보고서.txt": DOCS["himawari.txt"]})[0]
    b = write_docs(tmp_path / "b", {"🙂.txt": DOCS["aozora.txt"]})[0]
    ids = [ingest_paths(settings, [p])[0].document for p in (a, b)]
    assert len(set(ids)) == 2 and set(docs_of(settings)) == set(ids)


def test_cli_ingest_replace_and_collision_message(settings, tmp_path):
    from api.cli.main import cli
    first = write_docs(tmp_path / "one", {"report.txt": DOCS["himawari.txt"]})[0]
    other = write_docs(tmp_path / "two", {"report.txt": DOCS["aozora.txt"]})[0]
    runner = CliRunner()
    args = ["ingest", "--data-dir", str(settings.data_dir)]
    assert runner.invoke(cli, args + [str(first)]).exit_code == 0
    r = runner.invoke(cli, args + [str(other)])
    assert r.exit_code == 0 and "別の内容で既にある" in r.output and len(docs_of(settings)) == 2
    r = runner.invoke(cli, args + ["--replace", "report", str(other)])
    assert r.exit_code == 0 and "replaced" in r.output


# --- 8. the stored source file changes only after the commit ---------------------------------

def test_replacing_keeps_the_old_file_until_the_commit_then_removes_it(settings, tmp_path):
    first = write_docs(tmp_path / "one", {"report.txt": DOCS["himawari.txt"]})[0]
    other = write_docs(tmp_path / "two", {"x.txt": DOCS["aozora.txt"]})[0]
    ingest_paths(settings, [first])
    old = docs_of(settings)["report"]["stored_file"]
    ingest_paths(settings, [other], replace="report")
    new = docs_of(settings)["report"]["stored_file"]
    assert new != old  # a new name: the old file was never overwritten in place
    assert sorted(p.name for p in settings.sources_dir.iterdir()) == [new]


# --- 9. smaller: encodings, 0-page PDFs ----------------------------------------------------------

@pytest.mark.parametrize("encoding,name", [("utf-16", "UTF-16"), ("cp932", "Shift_JIS")])
def test_other_text_encodings_are_named_with_the_fix(tmp_path, encoding, name):
    from ingest.read import read_document
    p = tmp_path / "report.txt"
    p.write_bytes(DOCS["himawari.txt"].encode(encoding))
    with pytest.raises(NotAPDFError) as e:
        read_document(p)
    assert name in e.value.message_ja and "UTF-8" in e.value.message_ja + e.value.fix_ja


def test_a_pdf_with_no_pages_says_so(tmp_path):
    from ingest.read import read_document
    p = tmp_path / "empty.pdf"
    p.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
                  b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
                  b"trailer << /Root 1 0 R >>\n%%EOF\n")
    with pytest.raises(PfkbError) as e:
        read_document(p)
    assert "0 ページ" in e.value.message_ja and "1 ページ目" not in e.value.message_ja


# --- 4. parsing in a limited worker process -------------------------------------------------------

def test_parsing_that_takes_too_long_is_refused_clearly(tmp_path):
    from ingest.worker import TooBigToParseError, parse_in_worker
    pdf = make_pdf(tmp_path / "a.pdf")
    with pytest.raises(TooBigToParseError) as e:
        parse_in_worker(pdf, None, Settings(parse_timeout_s=0.01))
    assert "秒で終わりませんでした" in e.value.message_ja


def test_a_pdf_that_inflates_past_the_memory_limit_is_refused(tmp_path):
    import zlib
    from ingest.worker import TooBigToParseError, parse_in_worker
    # one page whose content stream inflates to 1.5 GB of spaces from ~1.5 MB on disk
    z = zlib.compressobj(9)
    chunk = b" " * (1 << 24)
    data = b"".join(z.compress(chunk) for _ in range(96)) + z.flush()
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"]
    out = b"%PDF-1.4\n" + b"".join(b"%d 0 obj\n" % (i + 1) + o + b"\nendobj\n" for i, o in enumerate(objs))
    out += b"trailer << /Root 1 0 R /Size 5 >>\n%%EOF\n"
    bomb = tmp_path / "bomb.pdf"
    bomb.write_bytes(out)
    assert bomb.stat().st_size < 3_000_000
    t0 = time.time()
    with pytest.raises(TooBigToParseError) as e:
        parse_in_worker(bomb, None, Settings(parse_memory_mb=700, parse_timeout_s=120))
    assert "メモリ" in e.value.message_ja or "解析できません" in e.value.message_ja
    assert time.time() - t0 < 120


# --- 2. LLM errors: a fixed message and a request id; the log has the rest, redacted ---------------

def test_redact_covers_every_credential_form():
    from kb.core.redact import redact
    text = ("Authorization: Basic dXNlcjpwYXNz; Bearer abcdef123456; http://user:pa55@host/v1?key=sk-live-123456789; "
            "api_key=s3cr%2Fet; token: tok-12345")
    out = redact(text, ["s3cr/et"])
    for secret in ("dXNlcjpwYXNz", "abcdef123456", "user:pa55", "sk-live-123456789", "s3cr%2Fet", "tok-12345"):
        assert secret not in out, (secret, out)


class _Echo(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 — an upstream that echoes what it was sent in its error body
        body = json.dumps({"error": "boom", "auth": self.headers.get("Authorization"), "path": self.path}).encode()
        self.send_response(500)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


def test_llm_failures_never_show_upstream_bodies_or_credentials(caplog):
    import base64
    from kb.answer.llm import synthesize_or_error
    from kb.core.records import Record, Source
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        settings = Settings(llm_base_url=f"http://alice:pa%2Fss-word@127.0.0.1:{srv.server_address[1]}/v1",
                            llm_model="m", llm_api_key="sk-secret-key-123")
        rec = Record(id="r1", kind="context", city=None, phase=None, step=None, scope=None, title="t",
                     text="本文", source=Source("d", "s"))
        with caplog.at_level(logging.WARNING):
            a = synthesize_or_error(settings, "質問", [rec])
    finally:
        srv.shutdown()
    assert a.error and "参照番号" in a.error
    shown = a.error + json.dumps(a.verification, ensure_ascii=False)
    basic = base64.b64encode(b"alice:pa/ss-word").decode()
    for leak in ("boom", "sk-secret-key-123", "pa%2Fss-word", "pa/ss-word", basic, "Basic", "Bearer"):
        assert leak not in shown, leak
    logged = caplog.text
    assert "boom" in logged  # the detail is in the server log …
    for leak in ("sk-secret-key-123", "pa%2Fss-word", "pa/ss-word", basic):
        assert leak not in logged, leak  # … without any credential


# --- 7. a bad --data-dir --------------------------------------------------------------------------

@pytest.mark.parametrize("where", ["file", "proc"])
def test_a_bad_data_dir_is_a_clear_error(tmp_path, where):
    from api.cli.main import cli
    target = tmp_path / "a-file" if where == "file" else Path("/proc/pfkb-data")
    if where == "file":
        target.write_text("x")
    for args in (["stats"], ["ingest", str(ROOT / "README.md")], ["build", "--no-index"]):
        r = CliRunner().invoke(cli, args + ["--data-dir", str(target)])
        assert r.exit_code == 2, (args, r.output)
        assert "データディレクトリ" in r.output and "Traceback" not in r.output


# --- 6. text that is not text ------------------------------------------------------------------------

def test_undecodable_command_line_arguments_exit_2_with_a_message(tmp_path):
    r = pfkb("search", "\udcff研修", "--data-dir", str(tmp_path), env={"PYTHONIOENCODING": "utf-8"})
    err = r.stderr.decode("utf-8", "replace")
    assert r.returncode == 2 and "UTF-8" in err and "Traceback" not in err


def test_control_characters_in_file_names_are_escaped_in_cli_output(settings, tmp_path):
    from api.cli.main import cli
    bad = write_docs(tmp_path / "d", {"evil\x1b[2J\x07.txt": DOCS["himawari.txt"]})[0]
    r = CliRunner().invoke(cli, ["ingest", "--data-dir", str(settings.data_dir), str(bad)])
    assert r.exit_code == 0, r.output
    assert "\x1b" not in r.output and "\x07" not in r.output and "\\x1b" in r.output


# --- 3. jobs in SQLite, recovery on start ---------------------------------------------------------------

def test_jobs_survive_a_restart_and_leftovers_are_cleaned(settings, tmp_path):
    from api.jobs import IngestJobs
    ingest_paths(settings, write_docs(tmp_path / "c", {"keep.txt": DOCS["himawari.txt"]}))
    jobs = IngestJobs(settings)
    alive = jobs.new_job("alive.pdf")
    make_pdf(alive.path)
    jobs._call("add", alive.id, alive.file_name, alive.path)
    jobs._call("update", alive.id, state="indexing", progress=0.7)
    lost = jobs.new_job("lost.pdf")
    jobs._call("add", lost.id, lost.file_name, lost.path)
    jobs._call("update", lost.id, state="parsing")
    orphan = settings.data_dir / "uploads" / "0123orphan"
    orphan.mkdir(parents=True)
    (orphan / "x.pdf").write_bytes(b"%PDF-")
    (settings.index_root / ".building-dead").mkdir(parents=True)
    (settings.sources_dir / "stray-0000.txt").write_text("x")
    jobs.stop()

    again = IngestJobs(settings)  # a new process after kill -9
    done = again.recover()
    assert again.get(alive.id)["status"] == "queued" and done["resumed"] == [alive.id]
    failed = again.get(lost.id)
    assert failed["status"] == "error" and "もう一度アップロード" in failed["message"]
    assert not orphan.exists() and not (settings.index_root / ".building-dead").exists()
    assert sorted(p.name for p in settings.sources_dir.iterdir()) == [docs_of(settings)["keep"]["stored_file"]]
    again.stop()


# --- 5 / 6 / 9 at the HTTP edge --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_app(tmp_path_factory):
    """A tiny store with an index, uploads on (1 MB)."""
    from api.app import create_app
    from ingest.pipeline import rebuild
    root = tmp_path_factory.mktemp("tiny")
    settings = Settings(data_dir=root / "data", corpus_dir=root / "corpus", admin_token=TOKEN, max_upload_mb=1,
                        max_json_kb=8)
    write_docs(settings.corpus_dir)
    rebuild(settings)
    with TestClient(create_app(settings)) as c:
        yield c, settings


def _err(r, status, code=None):
    assert r.status_code == status, r.text
    e = r.json()["error"]
    assert code is None or e["code"] == code, e
    return e


def test_bodies_over_the_limit_are_refused_before_reading(tiny_app):
    c, _ = tiny_app
    big = json.dumps({"query": "研修" * 10000})
    _err(c.post("/api/search", content=big, headers={"content-type": "application/json"}), 413, "too_large")
    _err(c.post("/api/ask", content=(x for x in [big.encode()]), headers={"content-type": "application/json"}),
         413, "too_large")  # chunked: no Content-Length, cut off while streaming


def test_a_chunked_upload_is_stopped_at_the_limit_and_leaves_nothing(tiny_app):
    c, settings = tiny_app

    def body():
        yield (b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.pdf\"\r\n"
               b"Content-Type: application/pdf\r\n\r\n%PDF-1.4\n")
        for _ in range(40):  # 40 MB, the limit is 1 MB
            yield b"0" * (1 << 20)
        yield b"\r\n--b--\r\n"
    r = c.post("/api/documents", content=body(), headers={"Authorization": f"Bearer {TOKEN}",
                                                          "content-type": "multipart/form-data; boundary=b"})
    _err(r, 413, "too_large")
    uploads = settings.data_dir / "uploads"
    assert not uploads.exists() or not any(uploads.iterdir())


@pytest.mark.parametrize("path,field", [("/api/search", "query"), ("/api/ask", "question")])
def test_lone_surrogates_are_422_with_a_message(tiny_app, path, field):
    c, _ = tiny_app
    r = c.post(path, content='{"%s": "研修\\ud800"}' % field, headers={"content-type": "application/json"})
    e = _err(r, 422)
    assert "サロゲート" in e["message_ja"]


@pytest.mark.parametrize("body", [b"\xff\xfe{\"query\": 1}", "{\"query\": \"研修\"}".encode("cp932"),
                                  b"\x80\x81 not json"])
def test_a_json_body_that_is_not_utf8_is_422_with_a_message(tiny_app, body):
    """Found by schemathesis (tests/test_schemathesis.py): FastAPI answered such bodies with an
    undocumented bare 400."""
    c, _ = tiny_app
    r = c.post("/api/search", content=body, headers={"content-type": "application/json"})
    e = _err(r, 422)
    assert "UTF-8" in e["message_ja"]


def test_security_headers_on_json_and_docs(tiny_app):
    c, _ = tiny_app
    for url in ("/api/phases", "/docs", "/api/no-such"):
        r = c.get(url)
        assert r.headers["x-content-type-options"] == "nosniff", url
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"], url
        assert r.headers["referrer-policy"] == "no-referrer"


def test_openapi_declares_errors_media_types_and_lengths(tiny_app):
    c, _ = tiny_app
    spec = c.get("/openapi.json").json()
    upload = spec["paths"]["/api/documents"]["post"]["responses"]
    assert {"401", "403", "413", "415", "422"} <= set(upload)
    assert "404" in spec["paths"]["/api/records/{record_id}"]["get"]["responses"]
    assert "413" in spec["paths"]["/api/search"]["post"]["responses"]
    export = spec["paths"]["/api/export"]["get"]["responses"]["200"]["content"]
    assert "text/markdown" in export
    schemas = spec["components"]["schemas"]
    assert any(p.get("minLength", 0) >= 1 for s in schemas.values() for n, p in (s.get("properties") or {}).items()
               if n in ("query", "question"))


def test_roadmap_is_computed_once_per_version_of_the_knowledge_base(tiny_app, monkeypatch, tmp_path):
    from kb import browse
    c, settings = tiny_app
    calls = []
    real = browse.roadmap
    monkeypatch.setattr(browse, "roadmap", lambda *a, **k: calls.append(1) or real(*a, **k))
    first = c.get("/api/roadmap").json()
    assert c.get("/api/roadmap").json() == first and len(calls) <= 1
    ingest_paths(settings, write_docs(tmp_path / "more", {"more.txt": DOCS["aozora.txt"] + "追記\n"}))
    c.get("/api/roadmap")
    assert len(calls) == (2 if calls[:1] else 1)  # a new version is computed again


def test_an_upload_with_a_taken_name_gets_a_new_id_and_replace_needs_the_id(tiny_app, tmp_path):
    c, _ = tiny_app
    auth = {"Authorization": f"Bearer {TOKEN}"}
    pdf = make_pdf(tmp_path / "himawari.pdf").read_bytes()  # the name of a corpus document, other content
    r = c.post("/api/documents", files={"file": ("himawari.pdf", pdf, "application/pdf")}, headers=auth)
    assert r.status_code == 202, r.text
    job = _wait(c, r.json()["url"])
    assert job["status"] == "done" and job["result"]["document"] != "himawari", job
    assert job["result"]["renamed_from"] == "himawari" and "himawari" in job["message"]
    ids = [d["id"] for d in c.get("/api/documents").json()["documents"]]
    assert "himawari" in ids and job["result"]["document"] in ids
    _err(c.post("/api/documents", files={"file": ("x.pdf", pdf, "application/pdf")}, data={"replace": "nope"},
                headers=auth), 404)


def _docx_bytes(tmp_path, title, lines):
    import docx
    d = docx.Document()
    d.add_heading(title, level=1)
    for line in lines:
        d.add_paragraph(line)
    path = tmp_path / "upload.docx"
    d.save(str(path))
    return path.read_bytes()


@pytest.mark.parametrize("kind", ["html", "docx", "text"])
def test_html_docx_and_text_uploads_keep_their_type_and_become_searchable(tiny_app, tmp_path, kind):
    """An upload is stored under the extension of its real type (not always .pdf) and read
    by its own reader: its records are listed and found, whatever name it was sent under."""
    c, settings = tiny_app
    auth = {"Authorization": f"Bearer {TOKEN}"}
    marker = {"html": "はなみずき", "docx": "つばき", "text": "もくれん"}[kind]
    title = f"{marker}通り商店会の居場所づくり報告"
    lines = [f"{marker}通り商店会の空き店舗を使い、毎週水曜日に誰でも立ち寄れる居場所を開いています。",
             "令和6年度の来場者は延べ850人で、相談窓口への紹介は42件でした。"]
    if kind == "html":
        body = ("<!DOCTYPE html><html lang=\"ja\"><head><meta charset=\"utf-8\"><title>" + title +
                "</title></head><body><h1>" + title + "</h1>" + "".join(f"<p>{x}</p>" for x in lines) +
                "</body></html>").encode("utf-8")
        files = {"file": ("居場所報告.htm", body, "text/html")}
    elif kind == "docx":
        files = {"file": ("居場所報告.docx", _docx_bytes(tmp_path, title, lines), "application/octet-stream")}
    else:  # no extension at all: the content says it is UTF-8 text
        files = {"file": ("居場所報告", "\n\n".join([title] + lines).encode("utf-8"), "text/plain")}
    r = c.post("/api/documents", files=files, headers=auth)
    assert r.status_code == 202, r.text
    ext = {"html": ".html", "docx": ".docx", "text": ".txt"}[kind]
    assert r.json()["file"] == f"居場所報告{ext}"
    job = _wait(c, r.json()["url"])
    assert job["status"] == "done", job
    doc = job["result"]["document"]
    listed = {d["id"]: d for d in c.get("/api/documents").json()["documents"]}
    assert doc in listed and listed[doc]["format"] == kind, listed.get(doc)
    hits = c.post("/api/search", json={"query": f"{marker}通り商店会 居場所", "k": 10}).json()["results"]
    assert any(h["source"]["document"] == doc for h in hits), hits


@pytest.mark.parametrize("name,content,code", [
    ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "unsupported_type"),
    ("report.pdf", "PDF ではない本文".encode("utf-8"), "not_a_pdf"),
    ("archive.zip", b"PK\x03\x04" + b"\x00" * 60, "unsupported_type"),
    ("sjis.txt", "ひまわり見守りネットワークの報告です。".encode("cp932"), "unsupported_type"),
])
def test_an_upload_of_an_unknown_type_is_415_naming_the_file_and_the_accepted_types(tiny_app, name, content, code):
    c, settings = tiny_app
    before = c.get("/api/documents").json()["documents"]
    e = _err(c.post("/api/documents", files={"file": (name, content, "application/octet-stream")},
                    headers={"Authorization": f"Bearer {TOKEN}"}), 415, code)
    assert name in e["message_ja"] and "PDF" in e["message_ja"] and "HTML" in e["message_ja"], e
    assert c.get("/api/documents").json()["documents"] == before
    uploads = settings.data_dir / "uploads"
    assert not uploads.exists() or not any(p.is_file() for p in uploads.rglob("*"))


def test_a_store_made_before_html_and_docx_takes_them_and_keeps_its_records(settings, tmp_path):
    """An old store's documents table allowed only text and pdf: opening it widens the check
    without losing a document or a record (no cascade), and an HTML page can then be ingested."""
    import sqlite3
    from kb.store.db import SCHEMA
    ingest_paths(settings, write_docs(tmp_path / "one", {"report.txt": DOCS["himawari.txt"]}))
    path = settings.db_path
    assert path.exists(), sorted(p.name for p in settings.data_dir.iterdir())
    conn = sqlite3.connect(path)
    old = SCHEMA[SCHEMA.index("CREATE TABLE IF NOT EXISTS documents"):SCHEMA.index("CREATE TABLE IF NOT EXISTS records")]
    old = old.replace("'text', 'pdf', 'html', 'docx'", "'text', 'pdf'").replace("IF NOT EXISTS documents", "documents")
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute(old.replace("CREATE TABLE documents", "CREATE TABLE d_old"))
    conn.execute("INSERT INTO d_old SELECT * FROM documents")
    conn.execute("DROP TABLE documents")
    conn.execute("ALTER TABLE d_old RENAME TO documents")
    conn.commit()
    n_records = conn.execute("SELECT count(*) FROM records").fetchone()[0]
    conn.close()
    assert n_records >= 1
    page = tmp_path / "page.html"
    page.write_text("<!DOCTYPE html><html><head><meta charset='utf-8'><title>見守り</title></head><body>"
                    "<h1>見守り活動の記録</h1><p>商店会と見守り協定を結びました。</p></body></html>", encoding="utf-8")
    assert ingest_paths(settings, [page])[0].status == "added"
    store = open_store(settings)
    try:
        assert len(store.records(document="report")) == n_records
        assert {d["id"]: d["format"] for d in store.documents()} == {"report": "text", "page": "html"}
    finally:
        store.close()


def _wait(c, url, timeout=180):
    end = time.time() + timeout
    while time.time() < end:
        job = c.get(url).json()
        if job["status"] in ("done", "error"):
            return job
        time.sleep(0.2)
    raise AssertionError("job did not finish")


def test_serve_rebuilds_an_index_older_than_the_store(tmp_path):
    from api.cli.serve import ensure_built, index_stale
    from ingest.pipeline import rebuild
    from kb.search.manifest import current_index_dir, read_manifest
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=tmp_path / "corpus")
    write_docs(settings.corpus_dir)
    rebuild(settings)
    ingest_paths(settings, write_docs(tmp_path / "up", {"late.txt": DOCS["aozora.txt"] + "追記\n"}))
    assert index_stale(settings)  # as after kill -9 between storing and indexing
    ensure_built(settings)
    store = open_store(settings)
    assert read_manifest(current_index_dir(settings))["corpus_hash"] == store.content_hash()
