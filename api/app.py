"""The FastAPI application: ``create_app(settings)``.

Routes live in one router module per area (ask, browse, sources, upload,
export); errors become HTTP responses in api/errors.py; the web page is the
static files in api/static, served at /."""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from api import routes_ask, routes_browse, routes_export, routes_search, routes_sources, routes_upload
from api.docs import install_docs
from api.errors import install_error_handlers
from api.guard import Guard
from api.openapi import install_openapi
from api.jobs import IngestJobs
from api.state import AppState
from kb.core.settings import Settings

STATIC = Path(__file__).resolve().parent / "static"

# The page loads nothing from elsewhere and runs no inline script.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

DESCRIPTION = ("孤独・孤立対策 官民連携プラットフォーム（連携PF）のモデル事業報告書から作った知識ベース。"
               "質問への出典つきの回答、検索、自治体・段階・試行的事業の閲覧、出典の表示、報告書 PDF の取り込み。")


def _reset_search_cache() -> None:
    from kb.search.searcher import reset_cache
    reset_cache()


def create_app(settings: Settings) -> FastAPI:
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    jobs = IngestJobs(settings, after_index=_reset_search_cache)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        jobs.start()  # the writer among the processes settles what a crash left, then runs jobs
        yield
        jobs.stop()

    app = FastAPI(title="pfkb 連携PF 知識ベース", version="0.1.0", description=DESCRIPTION,
                  docs_url=None, redoc_url=None, lifespan=lifespan)
    state = AppState(settings)
    app.state.settings = settings
    app.state.pfkb = state
    app.state.jobs = jobs
    app.add_middleware(Guard, settings=settings)

    install_error_handlers(app)
    for module in (routes_ask, routes_browse, routes_sources, routes_upload, routes_export, routes_search):
        app.include_router(module.router)
    install_openapi(app)
    install_docs(app)

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def create_app_from_env() -> FastAPI:
    """The app of one worker process of `pfkb serve --workers N` (uvicorn imports
    it by name; `serve` passes its settings down as PFKB_* variables)."""
    return create_app(Settings.from_env())
