"""A bounded schemathesis run against the service's own OpenAPI schema (issue 14,
"How we will know"): every operation, valid and invalid inputs generated from
the schema, sent over HTTP to the app served on a free port (the upload
endpoint with the admin token, so it is exercised too). Each answer must not
be a server error, and must conform to the schema: a documented status code,
a documented content type, a body that validates against the documented
response schema, documented headers.

The run is bounded (``EXAMPLES`` per operation and generation mode, no
shrinking, a fixed seed), so it takes about a minute on 2 cores; set
PFKB_SCHEMATHESIS_EXAMPLES for a longer run."""
from __future__ import annotations

import os
import shutil

import pytest

pytestmark = pytest.mark.slow
schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, Phase, given, settings as hsettings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance, response_headers_conformance, response_schema_conformance, status_code_conformance)

from tests.browser_fixtures import serve  # noqa: E402

TOKEN = "schemathesis-token"
EXAMPLES = int(os.environ.get("PFKB_SCHEMATHESIS_EXAMPLES", "12"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]


@pytest.fixture(scope="module")
def served(built_settings, tmp_path_factory):
    """The app on its own copy of the built data dir (uploads may land there)."""
    data = tmp_path_factory.mktemp("schemathesis") / "data"
    shutil.copytree(built_settings.data_dir, data)
    settings = built_settings.with_(data_dir=data, admin_token=TOKEN, max_upload_mb=1)
    with serve(settings, log_level="critical", start_timeout=60, stop_timeout=30) as url:
        yield url


def run_operation(operation, base: str, mode: GenerationMode, failures: list[str]) -> int:
    sent = 0

    @hsettings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
               phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case) -> None:
        nonlocal sent
        sent += 1
        try:
            case.call_and_validate(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}, checks=CHECKS,
                                   timeout=120)
        except (Exception, BaseExceptionGroup) as exc:  # collect, so every operation is run and the report lists them all
            if len(failures) < 40:
                failures.append(f"{operation.label} [{mode.value}]: {str(exc)[:1500]}")
    try:
        check()
    except Unsatisfiable:  # no invalid input exists (an operation without parameters): nothing to send
        pass
    return sent


def real_cases(base: str, tmp_path) -> list[tuple[str, str, dict]]:
    """Requests with values that exist (a record, a city, a document, a page, a real PDF), which
    random generation seldom hits: their 200 answers are checked against the schema too."""
    import httpx

    from tests.reliability_helpers import make_pdf
    with httpx.Client(base_url=base, timeout=120) as c:
        documents = c.get("/api/documents").json()["documents"]
        cities = [x["city"] for x in c.get("/api/cities").json()["cities"]][:2]
        hits = c.post("/api/search", json={"query": "見守り", "k": 3}).json()["results"]
    pdf = next(d["id"] for d in documents if d["format"] == "pdf")
    text_hit = next(h for h in hits if h["source"].get("lines"))
    a, b = cities
    pdf_bytes = make_pdf(tmp_path / "schemathesis-upload.pdf").read_bytes()
    return [
        ("POST", "/api/ask", {"body": {"question": f"{a}ではPFをどう立ち上げた？"}}),
        ("POST", "/api/ask", {"body": {"question": "それはいつ頃？", "history": [{"question": "PFの立ち上げ方は？"}]}}),
        ("POST", "/api/search", {"body": {"query": "見守り", "k": 5, "filters": {"city": a, "step": "5"}}}),
        *(("GET", "/api/records/{record_id}", {"path_parameters": {"record_id": h["id"]}}) for h in hits),
        ("GET", "/api/roadmap", {"query": {"city": a}}),
        ("GET", "/api/cities/{name}", {"path_parameters": {"name": a}}),
        ("GET", "/api/trials", {"query": {"city": a, "sort": "-cost"}}),
        ("GET", "/api/sources/{document}/pages/{page}", {"path_parameters": {"document": pdf, "page": 1}}),
        ("GET", "/api/sources/{document}/lines", {"path_parameters": {"document": text_hit["source"]["document"]},
                                                  "query": {"record": text_hit["id"]}}),
        ("GET", "/api/compare", {"query": {"cities": f"{a},{b}", "step": "5"}}),
        *(("GET", "/api/export", {"query": {"format": f, "city": a}}) for f in ("md", "docx", "pptx")),
        *(("GET", "/api/charts/{filename}", {"path_parameters": {"filename": n}})
          for n in ("matrix.svg", "timeline.png", "spending.svg")),
        ("GET", "/api/search/results", {"query": {"q": "研修", "city": a}}),
        ("GET", "/api/search/results", {"query": {"kind": "trial"}}),
        ("GET", "/api/search/export.csv", {"query": {"q": "研修"}}),
        ("GET", "/api/search/export.md", {"query": {"q": "研修", "fy": "2024"}}),
        ("POST", "/api/documents", {"body": {"file": pdf_bytes}, "media_type": "multipart/form-data"}),
    ]


def test_no_server_error_and_every_answer_conforms_to_the_schema(served, tmp_path):
    schema = schemathesis.openapi.from_url(f"{served}/openapi.json")
    failures: list[str] = []
    counts: dict[str, int] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            counts[f"{operation.label} {mode.value}"] = run_operation(operation, served, mode, failures)
    assert len(counts) >= 2 * 20, f"too few operations in the schema: {sorted(counts)}"
    assert all(n >= 1 for name, n in counts.items() if name.endswith("positive")), counts  # really generated
    assert sum(counts.values()) >= 20 * min(EXAMPLES, 5), counts

    statuses = []
    for method, path, kwargs in real_cases(served, tmp_path):  # last: the upload's job runs in the background
        case = schema[path][method].Case(**kwargs)
        try:
            response = case.call_and_validate(base_url=served, headers={"Authorization": f"Bearer {TOKEN}"},
                                              checks=CHECKS, timeout=120)
            statuses.append((method, path, response.status_code))
            if path == "/api/documents" and response.status_code == 202:  # the job's status, as it runs
                job_case = schema["/api/documents/jobs/{job_id}"]["GET"].Case(
                    path_parameters={"job_id": response.json()["job_id"]})
                statuses.append(("GET", "/api/documents/jobs/{job_id}", job_case.call_and_validate(
                    base_url=served, checks=CHECKS, timeout=120).status_code))
        except (Exception, BaseExceptionGroup) as exc:
            failures.append(f"{method} {path} {kwargs.get('path_parameters') or kwargs.get('query') or ''}: "
                            f"{str(exc)[:1500]}")
    job = next((s for s in statuses if s[1] == "/api/documents"), None)
    assert not failures, f"{len(failures)} failing cases:\n\n" + "\n\n".join(failures)
    assert all(code == 200 for m, p, code in statuses if p != "/api/documents"), statuses
    assert job and job[2] == 202, statuses
