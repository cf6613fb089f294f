"""Asking and searching: POST /api/ask, POST /api/search, GET /healthz."""
from __future__ import annotations

from typing import Any, Optional

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from api.state import AppState, app_state

router = APIRouter()


class Turn(BaseModel):
    question: str = Field(..., description="前の質問")
    answer: str = Field("", description="そのときの回答（Markdown、省略可）")


class AskBody(BaseModel):
    question: str = Field(..., description="質問（日本語）。例: 「PFの立ち上げ方は？」")
    history: list[Turn] = Field(default_factory=list, max_length=20,
                                description="それまでの質問と回答（古い順）。「それはいつ頃？」のような続きの質問に使う")


class SearchBody(BaseModel):
    query: str = Field(..., description="検索語")
    k: int = Field(10, ge=1, le=50, description="返す件数 (1–50)")
    filters: Optional[dict[str, Any]] = Field(
        None, description="city / phase / step / kind / scope で絞り込み。例: {\"city\": \"熊本市\", \"step\": \"5\"}")


@router.get("/healthz", tags=["service"], summary="稼働確認")
async def healthz() -> dict[str, str]:  # async: answered on the event loop, no worker thread
    return {"status": "ok"}


@router.get("/api/meta", tags=["ask"], summary="ページが使う文言（根拠なしの文、事実のラベル、記録の種類の名前）")
def meta() -> dict[str, Any]:
    from kb.browse import KIND_LABELS
    from kb.core.vocab.answer import answer_vocab
    v = answer_vocab()
    return {"no_evidence_text": v.no_evidence_text, "fact_labels": dict(v.fact_labels), "kind_labels": dict(KIND_LABELS)}


@router.post("/api/ask", tags=["ask"], summary="質問に、出典つきで答える")
def ask(body: AskBody, state: AppState = Depends(app_state)) -> dict[str, Any]:
    from kb.answer.pipeline import ask as compose
    history = [t.model_dump() for t in body.history]
    return compose(state.settings, body.question, history=history).to_dict()


@router.post("/api/search", tags=["ask"], summary="記録を検索する")
def search(body: SearchBody, state: AppState = Depends(app_state)) -> dict[str, Any]:
    from kb.search.searcher import search as run
    hits = run(state.settings, body.query, k=body.k, filters=body.filters)
    return {"results": [h.to_dict() for h in hits]}
