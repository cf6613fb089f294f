"""`pfkb serve --workers 2` on one data directory (issue 14, item 10): one writer
runs the upload job while both processes keep answering searches without an
error, and after the job every process answers from the new index version."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest

from kb.core.settings import Settings
from tests.reliability_helpers import ROOT, free_port, make_pdf, wait_http, write_docs

pytestmark = pytest.mark.slow
TOKEN = "workers-token"


def test_two_workers_serve_under_load_while_an_upload_is_indexed(tmp_path):
    from ingest.pipeline import rebuild
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=tmp_path / "corpus")
    write_docs(settings.corpus_dir)
    rebuild(settings)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PFKB_ADMIN_TOKEN": TOKEN}
    server = subprocess.Popen([sys.executable, "-m", "api.cli.main", "serve", "--workers", "2", "--port", str(port),
                               "--data-dir", str(settings.data_dir)],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_http(f"{base}/healthz", timeout=300)
        statuses, stop = [], threading.Event()

        def load() -> None:
            with httpx.Client(timeout=120) as c:
                while not stop.is_set():
                    for q in ("見守り 商店街", "子ども食堂", "ボランティア"):
                        statuses.append(c.post(f"{base}/api/search", json={"query": q, "k": 3}).status_code)
                    statuses.append(c.get(f"{base}/api/roadmap").status_code)

        threads = [threading.Thread(target=load) for _ in range(4)]
        for t in threads:
            t.start()
        pdf = make_pdf(tmp_path / "sakura.pdf").read_bytes()
        r = httpx.post(f"{base}/api/documents", files={"file": ("sakura.pdf", pdf, "application/pdf")},
                       headers={"Authorization": f"Bearer {TOKEN}"}, timeout=120)
        assert r.status_code == 202, r.text
        end, job = time.time() + 300, {}
        while time.time() < end:  # the job is visible from whichever process answers
            job = httpx.get(f"{base}{r.json()['url']}", timeout=120).json()
            if job["status"] in ("done", "error"):
                break
            time.sleep(0.3)
        time.sleep(1)
        stop.set()
        for t in threads:
            t.join()
        assert job.get("status") == "done", job
        assert statuses and set(statuses) == {200}, sorted(set(statuses))
        # every later request, whichever process answers it, searches the new version
        for _ in range(12):
            hits = httpx.post(f"{base}/api/search", json={"query": "さくら通り商店会 居場所", "k": 5},
                              timeout=120).json()["results"]
            assert any(h["source"]["document"] == job["result"]["document"] for h in hits)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
