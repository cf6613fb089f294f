"""Cited sources: a PDF page as an image with the record highlighted, or the
lines of a text export."""
from __future__ import annotations

from typing import Any, Optional

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api.state import AppState, app_state
from kb.store import sources

router = APIRouter(prefix="/api/sources", tags=["sources"])


@router.get("/{document}/pages/{page}", summary="PDF の 1 ページ（PNG、引用箇所を強調）",
            response_class=Response, responses={200: {"content": {"image/png": {}}}})
def page_image(document: str, page: int,
               record: Optional[str] = Query(None, description="強調する記録の id"),
               state: AppState = Depends(app_state)) -> Response:
    png = sources.source_page_png(state.settings, state.store(), document, page, record=record)
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})


@router.get("/{document}/lines", summary="テキスト出力の引用行（前後の文脈つき）")
def lines(document: str,
          start: Optional[int] = Query(None, ge=1, description="最初の行 (1 から)"),
          end: Optional[int] = Query(None, ge=1, description="最後の行"),
          record: Optional[str] = Query(None, description="この記録の行を表示"),
          context: int = Query(3, ge=0, le=20, description="前後に表示する行数"),
          state: AppState = Depends(app_state)) -> dict[str, Any]:
    return sources.source_lines(state.settings, state.store(), document, start=start, end=end, record=record,
                                context=context)
