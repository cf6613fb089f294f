"""The search page's routes: results with facets and passages, and the result list as a download.

    GET /api/search/results?q=研修&city=熊本市&kind=trial&fy=2024&document=…&limit=50
    GET /api/search/export.csv?…   (UTF-8 with BOM, for Excel)
    GET /api/search/export.md?…    (Markdown with citations)

The parameters are those of the page's address (``#search/q=…&city=…``), so a shared link and
the API ask the same thing. The library call is ``kb.search.backend`` (the retriever interface);
a bad value is a 422 with the library's Japanese message."""
from __future__ import annotations

import time
from typing import Any, Optional
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from api.state import AppState, app_state
from kb.core.errors import BadQueryError
from kb.search.backend import SearchRequest, SearchResult, check_request, in_process_backend
from kb.search.facets import FACET_LABELS, FACETS, facet_lists

router = APIRouter(prefix="/api/search", tags=["search"])

# address parameter → filter of the retriever interface
PARAMS = {"document": "document", "city": "city", "phase": "phase", "step": "step", "kind": "kind",
          "fy": "fiscal_year"}


class SearchParams:
    def __init__(self,
                 q: str = Query("", description="検索語（空なら絞り込みだけで一覧）"),
                 document: Optional[str] = Query(None, description="文書 ID"),
                 city: Optional[str] = Query(None, description="自治体名。例: 熊本市"),
                 phase: Optional[str] = Query(None, description="initial / preparation / launch / self_sustaining"),
                 step: Optional[str] = Query(None, description="1, 2, 3, 4-1, 4-2, 5 … 9"),
                 kind: Optional[str] = Query(None, description="lesson / trial / profile …"),
                 fy: Optional[str] = Query(None, description="年度: 2024 / 2024年度 / 令和6年度 / R6")):
        self.q = q or ""
        self.filters = {PARAMS[k]: v for k, v in (("document", document), ("city", city), ("phase", phase),
                                                  ("step", step), ("kind", kind), ("fy", fy)) if v}


def _documents(state: AppState) -> dict[str, dict[str, Any]]:
    return {d["id"]: d for d in state.store().documents()}


def run(state: AppState, params: SearchParams, limit: int) -> tuple[SearchResult, dict, dict[str, str]]:
    """The canonical filters, checked (a bad value or unknown document is a BadQueryError), and the result."""
    query, canonical = check_request(SearchRequest(query=params.q, filters=params.filters, k=limit))
    documents = _documents(state)
    doc = canonical.get("document")
    if doc and doc not in documents:
        known = "、".join(list(documents)[:5])
        raise BadQueryError(f"文書 document={doc!r} は取り込まれていません。取り込み済みの文書: {known} "
                            f"(unknown document {doc!r})")
    backend = in_process_backend(state.settings, list(documents.values()))
    return backend.search(SearchRequest(query=query, filters=canonical, k=limit)), documents, canonical


def address(query: str, filters: dict[str, str]) -> str:
    """The page's own address for a search: ``#search/q=…&city=…``."""
    back = {v: k for k, v in PARAMS.items()}
    items = ([("q", query)] if query else []) + [(back[k], v) for k, v in filters.items() if k in back]
    return "#search/" + urlencode(items, quote_via=quote)


@router.get("/results", summary="検索結果（絞り込みの件数、該当箇所つき）")
def results(params: SearchParams = Depends(), limit: int = Query(50, ge=1, le=100, description="返す件数 (1–100)"),
            state: AppState = Depends(app_state)) -> dict[str, Any]:
    result, documents, canonical = run(state, params, limit)
    lists = facet_lists(result.facets, canonical, documents)
    query = params.q.strip()
    back = {v: k for k, v in PARAMS.items()}
    api_params = urlencode(([("q", query)] if query else []) + [(back[k], v) for k, v in canonical.items()],
                           quote_via=quote)
    return {"query": query, "filters": canonical, "total": result.total, "exact": result.exact,
            "version": result.version, "results": [h.to_dict() for h in result.hits],
            "facets": [{"facet": f, "param": back[f], "label": FACET_LABELS[f], "values": lists[f]} for f in FACETS],
            "address": address(query, canonical),
            "export": {"csv": f"/api/search/export.csv?{api_params}", "markdown": f"/api/search/export.md?{api_params}"}}


def _download(body: bytes, media_type: str, name: str, ext: str) -> Response:
    disposition = f"attachment; filename=\"pfkb-search.{ext}\"; filename*=UTF-8''{quote(name)}.{ext}"
    return Response(body, media_type=media_type, headers={"Content-Disposition": disposition})


def _file_name(query: str) -> str:
    safe = "".join(ch for ch in query if ch not in '\\/:*?"<>|\n\r\t')[:30]
    return f"検索結果_{safe}" if safe else "検索結果"


@router.get("/export.csv", summary="検索結果を CSV で（Excel 用、UTF-8 BOM つき）")
def export_csv(params: SearchParams = Depends(), limit: int = Query(100, ge=1, le=100),
               state: AppState = Depends(app_state)) -> Response:
    from kb.export.search_results import result_to_csv
    result, _, _ = run(state, params, limit)
    return _download(result_to_csv(result), "text/csv; charset=utf-8", _file_name(params.q.strip()), "csv")


@router.get("/export.md", summary="検索結果を Markdown で（出典つき）")
def export_markdown(request: Request, params: SearchParams = Depends(), limit: int = Query(100, ge=1, le=100),
                    state: AppState = Depends(app_state)) -> Response:
    from kb.export.search_results import result_to_markdown
    result, documents, canonical = run(state, params, limit)
    query = params.q.strip()
    url = str(request.base_url).rstrip("/") + "/" + address(query, canonical)
    text = result_to_markdown(result, query, canonical, documents, url=url,
                              when=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
    return _download(text.encode("utf-8"), "text/markdown; charset=utf-8", _file_name(query), "md")
