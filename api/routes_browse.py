"""Browsing: records, the phase model, the roadmap, cities, trial projects and
documents. Each route calls one function of kb.browse."""
from __future__ import annotations

import json
from typing import Any, Optional

from fastapi import APIRouter, Depends, Query, Response
from fastapi.encoders import jsonable_encoder

from api.state import AppState, app_state
from kb import browse
from kb.core.cache import LRU

router = APIRouter(prefix="/api", tags=["browse"])


@router.get("/records/{record_id}", summary="記録ひとつ（出典の表示先つき）")
def record(record_id: str, state: AppState = Depends(app_state)) -> dict[str, Any]:
    return browse.record_view(state.store(), record_id)


@router.get("/phases", summary="段階とステップ（コードと名称）")
def phases() -> dict[str, Any]:
    return {"phases": browse.phase_tree()}


_roadmaps = LRU(64)  # (store content hash, city) → the encoded answer


@router.get("/roadmap", summary="段階 → ステップ → 各自治体の取組", response_model=dict[str, Any])
def roadmap(city: Optional[str] = Query(None, description="自治体名で絞り込み"),
            state: AppState = Depends(app_state)) -> Response:
    """The slowest page to compute and the same for everyone: cached per version
    of the knowledge base (its content hash), so an upload shows at once."""
    store = state.store()
    key = (str(state.settings.data_dir), store.content_hash(), city or None)
    body = _roadmaps.get(key)
    if body is None:
        body = json.dumps(jsonable_encoder(browse.roadmap(store, city or None)), ensure_ascii=False,
                          separators=(",", ":")).encode()
        _roadmaps.put(key, body)
    return Response(body, media_type="application/json")


@router.get("/cities", summary="自治体の一覧")
def cities(state: AppState = Depends(app_state)) -> dict[str, Any]:
    return {"cities": browse.list_cities(state.store())}


@router.get("/cities/{name}", summary="自治体のページ（概要、段階別の留意点、試行的事業、ブレイクスルー、団体の声、事実）")
def city(name: str, state: AppState = Depends(app_state)) -> dict[str, Any]:
    return browse.city_page(state.store(), name)


@router.get("/trials", summary="試行的事業（絞り込みと並べ替え）")
def trials(city: Optional[str] = Query(None, description="自治体名"),
           category: Optional[str] = Query(None, description="research / plan / do / do_support / do_pr"),
           min_cost: Optional[int] = Query(None, ge=0, description="費用の下限（円）"),
           max_cost: Optional[int] = Query(None, ge=0, description="費用の上限（円）"),
           q: Optional[str] = Query(None, description="事業名・内容・発注先に含まれる語"),
           sort: Optional[str] = Query(None, description=", ".join(browse.TRIAL_SORTS)),
           state: AppState = Depends(app_state)) -> dict[str, Any]:
    return browse.list_trials(state.store(), city=city or None, category=category or None, min_cost=min_cost,
                              max_cost=max_cost, q=q, sort=sort or None)


@router.get("/documents", summary="取り込んだ報告書の一覧")
def documents(state: AppState = Depends(app_state)) -> dict[str, Any]:
    return {"documents": browse.list_documents(state.store())}


@router.get("/about", summary="資料について: 収録している報告書と、対象の自治体（詳しく載っているか、第1章の整理マップのみか）")
def about(state: AppState = Depends(app_state)) -> dict[str, Any]:
    return browse.about(state.store())
