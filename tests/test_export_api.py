"""The export routes on a minimal FastAPI app (independent of api/app.py):
JSON comparisons, downloads with Japanese file names, images, and bad
parameters answered with 4xx and a message in Japanese and English."""
from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import unquote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from kb.core.records import step_label
from kb.core.settings import Settings
from tests.export_helpers import export_settings  # noqa: F401  (fixture)


def _client(settings: Settings) -> TestClient:
    from api.errors import install_error_handlers
    from api.routes_export import router
    app = FastAPI()
    install_error_handlers(app)
    app.state.settings = settings
    app.include_router(router)
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture(scope="module")
def client(export_settings):
    return _client(export_settings)


def _error(r) -> dict:
    body = r.json()["error"]
    assert body["message_ja"] and body["message_en"] and body["message_ja"] != body["message_en"]
    return body


def test_compare_returns_cities_profiles_and_steps(client):
    r = client.get("/api/compare", params={"cities": "熊本市,市原市", "step": "5"})
    assert r.status_code == 200
    data = r.json()
    assert data["cities"] == ["熊本市", "市原市"]
    assert set(data["profiles"]) == {"熊本市", "市原市"}
    (step,) = data["steps"]
    assert step["step"] == "5" and step["label"] == step_label("5") and step["phase"] == "preparation"
    assert all(p["citation"] and p["title"] for city in ("熊本市", "市原市") for p in step["cells"][city])


def test_compare_gives_every_value_of_a_fact_the_reports_disagree_on(client):
    """The same facts, in the same shape, as the city page: 福岡市's PF start from three places."""
    data = client.get("/api/compare", params={"cities": "福岡市,熊本市"}).json()
    pf = next(f for f in data["facts"]["福岡市"] if f["name"] == "pf_start")
    assert pf["conflict"] and {v["raw"] for v in pf["values"]} == {"令和4年度", "令和5年", "令和5年度"}
    assert all(v["record_id"] and v["where"] for v in pf["values"])


def test_about_lists_the_reports_and_how_deeply_each_municipality_is_covered(export_settings):
    from api.routes_browse import router
    from api.state import app_state
    from kb.store import open_store
    app = FastAPI()
    app.include_router(router)
    store = open_store(export_settings)

    class _State:
        def store(self):
            return store
    app.dependency_overrides[app_state] = lambda: _State()
    data = TestClient(app).get("/api/about").json()
    assert data["documents"] and sum(d["records"] for d in data["documents"]) == data["records"]
    assert len(data["detailed"]) == 3 and len(data["map_only"]) == 11


def test_export_downloads_a_docx_with_a_japanese_file_name(client):
    from docx import Document
    r = client.get("/api/export", params={"format": "docx", "phase": "preparation"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    disposition = r.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="pfkb-pack.docx"')
    encoded = disposition.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded) == "研修パック_イ_準備段階.docx"
    doc = Document(io.BytesIO(r.content))
    assert step_label("4-2") in [p.text for p in doc.paragraphs]


def test_export_of_a_question_as_markdown_and_pptx(client):
    from pptx import Presentation
    r = client.get("/api/export", params={"format": "md", "question": "地域協議会の設置はどう進めた？"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/markdown")
    assert f"## {step_label('8')}" in r.text
    r = client.get("/api/export", params={"format": "pptx", "city": "市原市", "step": "8"})
    assert r.status_code == 200
    assert len(Presentation(io.BytesIO(r.content)).slides) >= 2


@pytest.mark.parametrize("fmt, media", [("svg", "image/svg+xml"), ("png", "image/png")])
def test_charts_are_served_as_images(client, fmt, media):
    r = client.get(f"/api/charts/timeline.{fmt}", params={"city": "熊本市"})
    assert r.status_code == 200 and r.headers["content-type"] == media
    if fmt == "svg":
        assert "熊本市" in r.text
    else:
        assert r.content.startswith(b"\x89PNG")


@pytest.mark.parametrize("path, params, status, words", [
    ("/api/compare", {"cities": "熊本市,大阪市"}, 404, "福岡市, 熊本市, 市原市"),
    ("/api/compare", {"cities": "熊本市"}, 422, "2〜3"),
    ("/api/compare", {"cities": "熊本市,市原市", "step": "11"}, 422, "step"),
    ("/api/export", {"format": "pdf", "phase": "preparation"}, 422, "md, docx, pptx"),
    ("/api/export", {"phase": "planning"}, 422, "phase"),
    ("/api/export", {"city": "中野区"}, 404, "中野区"),
    ("/api/export", {"question": "天気はどう？"}, 422, "段階を特定できません"),
    ("/api/charts/pie.svg", {}, 422, "matrix"),
    ("/api/charts/matrix.gif", {}, 422, "matrix"),
    ("/api/charts/spending.png", {"city": "札幌市"}, 404, "札幌市"),
])
def test_bad_parameters_get_4xx_in_japanese_and_english(client, path, params, status, words):
    r = client.get(path, params=params)
    assert r.status_code == status, r.text
    body = _error(r)
    assert words in body["message_ja"]


def test_without_a_knowledge_base_the_routes_say_how_to_build_it(tmp_path):
    r = _client(Settings(data_dir=Path(tmp_path) / "empty")).get("/api/charts/matrix.png")
    assert r.status_code == 503
    assert "pfkb build" in _error(r)["message_en"]
