"""HTTP routes for workshop packs, comparisons and charts.

    GET /api/compare?cities=熊本市,市原市&step=5          → JSON
    GET /api/export?format=md|docx|pptx&phase=&step=&city=&question=  → a download
    GET /api/charts/{matrix|timeline|spending}.{svg|png}?city=        → an image

Parameters are plain strings checked by the library, so a bad value gets the
library's message in Japanese and English (api/errors.py turns our exceptions
into `{"error": {"code", "message_ja", "message_en"}}`).
"""
from __future__ import annotations

from typing import Iterator
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request, Response

from kb.core.errors import BadQueryError
from kb.export import build_comparison, build_pack, render_chart, render_pack
from kb.export.charts import CHARTS, FORMATS as CHART_FORMATS, MEDIA_TYPES as CHART_MEDIA_TYPES
from kb.export.render import PACK_FORMATS, Rendered, check_format
from kb.store import open_store
from kb.core.settings import Settings
from kb.store import Store

router = APIRouter(prefix="/api", tags=["export"])


def app_settings(request: Request) -> Settings:
    return request.app.state.settings


def export_store(settings: Settings = Depends(app_settings)) -> Iterator[Store]:
    store = open_store(settings)
    try:
        yield store
    finally:
        store.close()


def content_disposition(filename: str, fallback: str, disposition: str = "attachment") -> str:
    """ASCII `filename` for old clients, the Japanese name as RFC 5987 `filename*`."""
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _download(rendered: Rendered, fallback_stem: str) -> Response:
    ext = rendered.filename.rsplit(".", 1)[-1]
    return Response(rendered.data, media_type=rendered.media_type, headers={
        "Content-Disposition": content_disposition(rendered.filename, f"{fallback_stem}.{ext}"),
        "Cache-Control": "no-store"})


@router.get("/compare")
def compare(cities: str = Query("", description="2〜3 の自治体をカンマ区切りで（例: 熊本市,市原市）"),
            step: str | None = Query(None, description="ステップ（例: 5, 4-1）"),
            store: Store = Depends(export_store)) -> dict:
    """自治体をステップごとに並べた比較（出典つき）。`facts` は自治体ページと同じ形（資料により記載が異なる値もすべて）。"""
    from kb.browse import city_facts
    comparison = build_comparison(store, cities, step or None)
    return {**comparison.to_dict(), "facts": {c: city_facts(store, c) for c in comparison.cities}}


@router.get("/export")
def export(format: str = Query("md", description="md | docx | pptx"),
           phase: str | None = None, step: str | None = None, city: str | None = None,
           question: str | None = None, store: Store = Depends(export_store),
           settings: Settings = Depends(app_settings)) -> Response:
    """研修パックのダウンロード。"""
    format = check_format(format, PACK_FORMATS)  # before the work
    pack = build_pack(store, phase=phase or None, step=step or None, city=city or None,
                      question=question or None, settings=settings)
    return _download(render_pack(pack, format), "pfkb-pack")


@router.get("/charts/{filename}")
def charts(filename: str, city: str | None = None, store: Store = Depends(export_store)) -> Response:
    """図: matrix.svg, timeline.png, spending.svg …"""
    name, _, fmt = filename.partition(".")
    if name not in CHARTS or fmt not in CHART_FORMATS:
        raise BadQueryError(f"図 {filename!r} はありません。{{{'|'.join(CHARTS)}}}.{{{'|'.join(CHART_FORMATS)}}} を指定してください",
                            f"unknown chart {filename!r}; use one of {', '.join(CHARTS)} with .svg or .png")
    picture = render_chart(store, name, fmt, city or None)
    return Response(picture.data, media_type=CHART_MEDIA_TYPES[fmt], headers={"Cache-Control": "no-cache"})
