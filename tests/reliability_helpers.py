"""Tiny documents and data dirs for the reliability tests (issue 14): a few
records each, so that a store, an index and a server are built in seconds."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DOCS = {
    "himawari.txt": ("ひまわり見守りネットワーク活動報告\n\n"
                     "毎月の訪問活動で、孤立しがちな高齢者と地域の商店街をつないでいます。\n\n"
                     "令和6年度は延べ120世帯を訪問し、見守り協定を結んだ店舗は18店舗になりました。\n"),
    "aozora.txt": ("あおぞら子ども食堂の記録\n\n"
                   "週に一度、公民館で子ども食堂を開き、保護者の相談にも応じています。\n\n"
                   "ボランティアは大学生を中心に30人が登録しています。\n"),
}
UPLOAD_LINES = ["さくら通り商店会の居場所づくり報告",
                "商店会の空き店舗を使い、毎週水曜日に誰でも立ち寄れる居場所を開いています。",
                "令和6年度の来場者は延べ850人で、相談窓口への紹介は42件でした。"]


def write_docs(folder: Path, docs: dict[str, str] | None = None) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, text in (docs or DOCS).items():
        (folder / name).write_text(text, encoding="utf-8")
        out.append(folder / name)
    return out


def make_pdf(path: Path, lines: list[str] = UPLOAD_LINES) -> Path:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas
    font = "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf"
    pdfmetrics.registerFont(TTFont("IPAexGothic-rel", font))
    c = canvas.Canvas(str(path), pagesize=A4)
    c.setFont("IPAexGothic-rel", 16)
    c.drawString(72, 780, lines[0])
    c.setFont("IPAexGothic-rel", 11)
    for i, line in enumerate(lines[1:]):
        c.drawString(72, 740 - 20 * i, line)
    c.showPage()
    c.save()
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pfkb(*args: str, env: dict[str, str] | None = None, timeout: float = 300, check: bool = False
         ) -> subprocess.CompletedProcess:
    """`pfkb ARGS` in a subprocess of this checkout."""
    full = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    r = subprocess.run([sys.executable, "-m", "api.cli.main", *args], cwd=ROOT, env=full, capture_output=True,
                       timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError(r.stderr.decode(errors="replace")[-2000:])
    return r


def wait_http(url: str, timeout: float = 120) -> None:
    import httpx
    end = time.time() + timeout
    while time.time() < end:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer in {timeout}s")
