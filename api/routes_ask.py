"""Asking and searching: POST /api/ask, POST /api/search, GET /healthz."""
from __future__ import annotations

from typing import Any, Optional

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from api.state import AppState, app_state

router = APIRouter()


class AskBody(BaseModel):
    question: str = Field(..., description="質問（日本語）。例: 「PFの立ち上げ方は？」")


class SearchBody(BaseModel):
    query: str = Field(..., description="検索語")
    k: int = Field(10, ge=1, le=50, description="返す件数 (1–50)")
    filters: Optional[dict[str, Any]] = Field(
        None, description="city / phase / step / kind / scope で絞り込み。例: {\"city\": \"熊本市\", \"step\": \"5\"}")


@router.get("/healthz", tags=["service"], summary="稼働確認")
async def healthz() -> dict[str, str]:  # async: answered on the event loop, no worker thread
    return {"status": "ok"}


@router.get("/api/meta", tags=["ask"], summary="ページが使う文言（根拠なしの文、事実のラベル）")
def meta() -> dict[str, Any]:
    from kb.core.vocab.answer import answer_vocab
    v = answer_vocab()
    return {"no_evidence_text": v.no_evidence_text, "fact_labels": dict(v.fact_labels)}


@router.post("/api/ask", tags=["ask"], summary="質問に、出典つきで答える")
def ask(body: AskBody, state: AppState = Depends(app_state)) -> dict[str, Any]:
    from kb.answer.pipeline import ask as compose
    return compose(state.settings, body.question).to_dict()


@router.post("/api/search", tags=["ask"], summary="記録を検索する")
def search(body: SearchBody, state: AppState = Depends(app_state)) -> dict[str, Any]:
    from kb.search.searcher import search as run
    hits = run(state.settings, body.query, k=body.k, filters=body.filters)
    return {"results": [h.to_dict() for h in hits]}
