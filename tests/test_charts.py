"""Charts: PNG and SVG are produced, the SVG keeps the Japanese names as text,
and the font draws every Japanese character (no tofu)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.core.errors import BadQueryError, NotFoundError
from kb.export import render_chart
from kb.export.fonts import japanese_font_path, missing_glyphs
from kb.core.records import STEP_CODES, step_label
from tests.export_helpers import export_settings, export_store  # noqa: F401  (fixtures)

CITIES = ("福岡市", "熊本市", "市原市")
PNG = b"\x89PNG\r\n\x1a\n"


def _svg_text(svg: bytes) -> str:
    """The text of the SVG's <text> elements (what a reader can search and copy)."""
    doc = svg.decode("utf-8")
    return "\n".join(re.sub(r"<[^>]+>", "", t) for t in re.findall(r"<text\b.*?</text>", doc, flags=re.S))


def _short(step: str) -> str:
    label = step_label(step)
    return label if len(label) <= 18 else label[:17]


@pytest.mark.parametrize("name", ["matrix", "timeline", "spending"])
def test_each_chart_is_a_png_and_an_svg_with_japanese_text(export_store, name):
    png = render_chart(export_store, name, "png")
    assert png.data.startswith(PNG) and len(png.data) > 10_000 and png.media_type == "image/png"
    svg = render_chart(export_store, name, "svg")
    assert svg.media_type == "image/svg+xml"
    text = _svg_text(svg.data)
    for city in CITIES:
        assert city in text, f"{name}: {city} missing from the SVG text"
    assert "出典" in text
    if name in ("matrix", "timeline"):
        for step in STEP_CODES:
            assert _short(step) in text, f"{name}: step {step} label missing"
    assert "IPAexGothic" in svg.data.decode()  # real text in the Japanese font, not glyph outlines


def test_matrix_marks_schedule_only_and_planned_cells(export_store):
    text = _svg_text(render_chart(export_store, "matrix", "svg").data)
    assert "ほか予定表に1件" in text    # 福岡市 ④-1 has a 行程-only entry besides its practice
    # legends and cells in plain words, not the report's marks or our shorthand
    assert "予定表（行程表）にだけ書かれている" in text
    assert "行程のみ" not in text and "■" not in text and "+" not in text
    assert "1件（予定）" in text       # 熊本市 ⑧ 地域協議会: 「今後」
    assert "検討中" in text            # 福岡市 ⑧: 「(設置に向け検討中)」


def test_timeline_shows_fiscal_years_with_western_years_and_the_future(export_store):
    text = _svg_text(render_chart(export_store, "timeline", "svg", city="熊本市").data)
    assert "R4年度" in text and "(2022年度)" in text and "R6年度" in text and "(2024年度)" in text
    assert "今後" in text and "R6年度11月" in text
    assert "福岡市" not in text.split("出典")[0]  # one city only


def test_spending_for_one_city_lists_its_trials_with_costs(export_store):
    text = _svg_text(render_chart(export_store, "spending", "svg", city="熊本市").data)
    assert "新聞広告の出稿" in text and "約30万円" in text and "発注なし" in text
    assert "調査（R）" in text and "広報・周知（D）" in text


def test_the_chart_font_has_every_japanese_glyph_used(export_store):
    path = japanese_font_path()
    sample = "".join(CITIES) + "".join(step_label(s) for s in STEP_CODES) + "行程の時期令和年度試行的事業の費用万円今後出典"
    assert missing_glyphs(path, sample) == []
    assert missing_glyphs(path, "孤独") == [] and missing_glyphs(path, "\U0001F600") == ["\U0001F600"]


def test_missing_font_error_names_the_fix(monkeypatch):
    from kb.export import fonts
    from kb.export.errors import FontMissingError
    fonts.japanese_font_path.cache_clear()
    monkeypatch.setattr(fonts, "_from_font_manager", lambda: None)
    monkeypatch.setattr(fonts, "_from_package", lambda: None)
    monkeypatch.setattr(fonts, "_KNOWN_PATHS", ())
    try:
        with pytest.raises(FontMissingError, match="apt-get install fonts-ipaexfont"):
            fonts.japanese_font_path()
    finally:
        fonts.japanese_font_path.cache_clear()


def test_bad_chart_requests_are_explained(export_store):
    with pytest.raises(BadQueryError, match="matrix, timeline, spending"):
        render_chart(export_store, "pie", "png")
    with pytest.raises(BadQueryError, match="png か svg"):
        render_chart(export_store, "matrix", "gif")
    with pytest.raises(NotFoundError, match="福岡市, 熊本市, 市原市"):
        render_chart(export_store, "timeline", "png", city="札幌市")


def test_cli_chart_writes_the_picture(export_settings, tmp_path):
    from api.cli.main import cli
    out = tmp_path / "timeline.svg"
    r = CliRunner().invoke(cli, ["chart", "timeline", "--format", "svg", "-o", str(out), "--city", "市原市",
                                 "--data-dir", str(export_settings.data_dir)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "市原市" in _svg_text(out.read_bytes())
    r = CliRunner().invoke(cli, ["chart", "matrix", "-o", str(Path(tmp_path) / "none" / "m.png"),
                                 "--data-dir", str(export_settings.data_dir)])
    assert r.exit_code == 2 and "フォルダがありません" in r.output


def test_spending_chart_and_trials_view_file_each_trial_under_the_same_kind(export_store):
    """市原市's P bar and the trials view's P rows must add up to the same sum."""
    from kb.browse import list_trials
    from kb.export.charts import _trial_costs
    codes = {"R": "research", "P": "plan", "D:支援提供": "do_support", "D:広報・周知": "do_pr"}
    chart = {}
    for t, cat, man in _trial_costs(export_store, list(CITIES)):
        chart[(t.city, codes[cat])] = chart.get((t.city, codes[cat]), 0) + man * 10_000
    view = {}
    for t in list_trials(export_store)["trials"]:
        view[(t["city"], t["category"])] = view.get((t["city"], t["category"]), 0) + (t.get("cost_yen") or 0)
    assert chart == view
    assert view[("市原市", "plan")] == 900_000  # PF会議 80万円 + 作業部会 10万円 (the map files 作業部会 under P)
