"""Bad files given to `pfkb ingest`: each gets a clear message naming the file and
the reason, a non-zero exit code, no traceback, and the knowledge base stays
exactly as it was. A PDF that is not one of these reports is ingested as context."""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CORPUS_TEXT, ROOT
from tests.pdf_render import Layout, RPara, render_blocks, render_corpus, variant


def pfkb(*args: str) -> subprocess.CompletedProcess:
    """The CLI as a user runs it (a separate process: tracebacks would show)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", "from api.cli.main import main; main()", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=300)


def snapshot(data_dir: Path) -> dict:
    """Everything a user could notice: the files, every table's rows, `pfkb records --json`."""
    files = {str(p.relative_to(data_dir)): hashlib.sha256(p.read_bytes()).hexdigest()
             for p in sorted(data_dir.rglob("*")) if p.is_file() and not p.name.endswith(("-wal", "-shm"))}
    con = sqlite3.connect(data_dir / "pfkb.sqlite3")
    try:
        dump = list(con.iterdump())
    finally:
        con.close()
    records = pfkb("records", "--json", "--data-dir", str(data_dir))
    assert records.returncode == 0, records.stderr
    return {"files": files, "dump": dump, "records": json.loads(records.stdout)}


@pytest.fixture(scope="module")
def kb_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("kb")
    r = pfkb("ingest", str(CORPUS_TEXT), "--data-dir", str(d))
    assert r.returncode == 0, r.stderr
    return d


@pytest.fixture(scope="module")
def report_pdf(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("pdf") / "report.pdf"
    render_corpus(path, variant("mincho-cid"))
    return path


# --- the bad files ---------------------------------------------------------------------


def encrypted(tmp: Path, report_pdf: Path) -> Path:
    import pikepdf
    out = tmp / "password.pdf"
    with pikepdf.open(report_pdf) as pdf:
        pdf.save(out, encryption=pikepdf.Encryption(user="secret", owner="owner", R=6))
    return out


def truncated(tmp: Path, report_pdf: Path) -> Path:
    out = tmp / "truncated.pdf"
    data = report_pdf.read_bytes()
    out.write_bytes(data[: len(data) * 2 // 3])
    return out


def garbage_after_header(tmp: Path, report_pdf: Path) -> Path:
    out = tmp / "garbage.pdf"
    out.write_bytes(b"%PDF-1.7\n" + hashlib.sha512(b"x").digest() * 200)
    return out


def image_only(tmp: Path, report_pdf: Path) -> Path:
    """A scan: pages that hold a picture and no text."""
    from PIL import Image, ImageDraw
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas
    img = Image.new("RGB", (600, 850), "white")
    draw = ImageDraw.Draw(img)
    for y in range(60, 800, 24):
        draw.rectangle([50, y, 550 - (y * 7) % 200, y + 10], fill="black")  # lines of "text"
    out = tmp / "scan.pdf"
    c = canvas.Canvas(str(out), pagesize=A4)
    for _ in range(2):
        c.drawImage(ImageReader(img), 0, 0, width=A4[0], height=A4[1])
        c.showPage()
    c.save()
    return out


def text_named_pdf(tmp: Path, report_pdf: Path) -> Path:
    out = tmp / "notes.pdf"
    out.write_text("これは PDF ではなくテキストです。\n", encoding="utf-8")
    return out


def binary_file(tmp: Path, report_pdf: Path) -> Path:
    out = tmp / "data.bin"
    out.write_bytes(bytes((i * 151 + 17) % 256 for i in range(5000)))
    return out


BAD = [
    pytest.param(encrypted, ("パスワード", "encrypted PDF"), id="encrypted"),
    pytest.param(truncated, ("壊れている", "corrupt or truncated PDF"), id="truncated"),
    pytest.param(garbage_after_header, ("corrupt or truncated PDF",), id="garbage-after-header"),
    pytest.param(image_only, ("文字情報がありません", "page 1 of scan.pdf has no text layer", "OCR"), id="image-only"),
    pytest.param(text_named_pdf, ("PDF ではありません", "not a PDF"), id="text-named-pdf"),
    pytest.param(binary_file, ("neither a PDF nor UTF-8 text",), id="binary"),
]


@pytest.mark.parametrize("make, reasons", BAD)
def test_bad_file_leaves_knowledge_base_unchanged(make, reasons, kb_dir, report_pdf, tmp_path):
    before = snapshot(kb_dir)
    bad = make(tmp_path, report_pdf)
    r = pfkb("ingest", str(bad), "--data-dir", str(kb_dir))
    out = r.stdout + r.stderr
    assert r.returncode != 0
    assert "Traceback" not in out
    assert out.startswith("エラー:") or "エラー:" in r.stderr
    assert bad.name in out, out
    for reason in reasons:
        assert reason in out, out
    assert "nothing was written" in out
    assert snapshot(kb_dir) == before


def test_one_bad_file_stops_the_good_ones_too(kb_dir, report_pdf, tmp_path):
    """Files are parsed before anything is written: a good PDF next to a bad one is not added."""
    before = snapshot(kb_dir)
    r = pfkb("ingest", str(report_pdf), str(truncated(tmp_path, report_pdf)), "--data-dir", str(kb_dir))
    assert r.returncode != 0 and "truncated.pdf" in r.stderr and "Traceback" not in r.stderr
    assert snapshot(kb_dir) == before


def test_owner_password_only_pdf_is_read(report_pdf, tmp_path):
    """Encrypted with an empty user password (printing/copy restrictions only): readable."""
    import pikepdf
    from ingest.readers.pdf import pdf_to_blocks
    path = tmp_path / "restricted.pdf"
    with pikepdf.open(report_pdf) as pdf:
        pdf.save(path, encryption=pikepdf.Encryption(user="", owner="owner", R=4))
    blocks, pages = pdf_to_blocks(path)
    assert pages > 40 and len(blocks) > 300


def test_generic_pdf_ingested_as_context_with_warning(tmp_path):
    pdf = tmp_path / "minutes.pdf"
    body = [RPara("第3回 地域づくり懇談会 議事メモ", "h2", bold=True)]
    body += [RPara(f"議題{i}について意見交換を行い、次回までに論点を整理することとした。" * 3) for i in range(1, 30)]
    render_blocks(body, pdf, Layout("memo", header="地域づくり懇談会", footer="{page}"))
    d = tmp_path / "data"
    r = pfkb("ingest", str(pdf), "--data-dir", str(d))
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    assert "警告" in r.stderr and "minutes.pdf" in r.stderr and "structure not recognised" in r.stderr
    records = json.loads(pfkb("records", "--json", "--data-dir", str(d)).stdout)
    assert records and {x["kind"] for x in records} == {"context"}
    text = "".join(x["text"] for x in records)
    assert "議題29について意見交換を行い" in text
    assert "地域づくり懇談会" not in text.replace("第3回地域づくり懇談会議事メモ", "")  # the running header is gone
    pages = {x["source"]["page"] for x in records}
    assert pages and all(isinstance(p, int) and p >= 1 for p in pages) and max(pages) >= 2
