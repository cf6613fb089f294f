"""What people read: citation labels (one function for the page, the CLI, DOCX
and PPTX) and the display clean-up of stored text (kb.core.display)."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from kb.core.display import (display_text, single_bullets, speaker_of, tilde_to_wave, without_dangling_reference,
                             without_repeated_lines)
from kb.core.records import Record, Source, citation_label, place_label


def _lesson(section="2-2. 熊本市 / 4. 連携PFの行程および実務上の留意点 / 【それぞれの段階での留意点】",
            page=None, lines=(638, 638), **source) -> Record:
    src = Source(document="d", section=section, page=page, lines=lines)
    for k, v in source.items():
        object.__setattr__(src, k, v)
    return Record(id="x", kind="lesson", city="熊本市", phase="initial", step="1", scope=None,
                  title="■見出し", text="", source=src)


def test_label_gives_the_section_path_in_words_then_the_text_line():
    label = _lesson().citation_label()
    assert label.startswith("2-2 熊本市 › 4. 連携PFの行程")
    assert label.endswith(" › ①主担当部署の設定（テキスト版 638 行目）")
    assert "l." not in label and ", " not in label


def test_label_of_a_line_range_uses_the_japanese_range_sign():
    assert _lesson(lines=(645, 649)).citation_label().endswith("（テキスト版 645〜649 行目）")


def test_label_of_a_pdf_record_shows_the_printed_page_where_there_is_one():
    assert _lesson(page=28, lines=None).citation_label().endswith("（p.28）")
    assert _lesson(page=28, lines=None, printed_page="26").citation_label().endswith("（p.26）")


def test_one_label_for_records_of_one_section():
    a, b = _lesson(lines=(140, 142)), _lesson(lines=(146, 148))
    assert citation_label([a, b]).endswith("（テキスト版 140〜148 行目）")
    assert place_label([a.source, b.source]) == "テキスト版 140〜148 行目"


def test_trial_label_names_the_trial_once():
    src = Source(document="d", section="2-1. 福岡市 / 3. 試行的事業一覧", lines=(316, 317))
    r = Record(id="t", kind="trial", city="福岡市", phase=None, step=None, scope=None, title="実態把握調査",
               text="", source=src)
    assert r.citation_label() == "2-1 福岡市 › 3. 試行的事業一覧 › 試行的事業「実態把握調査」（テキスト版 316〜317 行目）"


@pytest.mark.parametrize("raw, shown", [
    ("R4年度6月~", "R4年度6月〜"), ("11月~12月", "11月〜12月"), ("R7年度4月～(予定)", "R7年度4月〜(予定)")])
def test_the_ascii_tilde_is_shown_as_the_wave_dash(raw, shown):
    assert tilde_to_wave(raw) == shown


def test_a_doubled_bullet_at_a_cell_start_is_shown_once():
    text = "(2)地域講座の実施\n\n・・地域関係者に対し、見守りを啓発\n今年度のゴール / ・・アンケート調査実施"
    out = single_bullets(text)
    assert "・・" not in out
    assert "\n・地域関係者に対し" in out and "/ ・アンケート調査実施" in out
    assert single_bullets("孤独・孤立対策") == "孤独・孤立対策"  # a middle dot inside words stays


def test_a_line_given_twice_is_shown_once():
    text = "発注先: 東京商工リサーチ (290 万円)\n成果: 回収率 23.4%\n発注先: 東京商工リサーチ (290 万円)"
    out = without_repeated_lines(text)
    assert out.count("東京商工リサーチ") == 1 and "回収率" in out


def test_a_speaker_named_again_is_not_taken_for_a_repeated_line():
    text = "・NPO法人でんでん虫の会吉松様\n・一つ目の発言です。\n・一般社団法人minori高木様\n・二つ目の発言です。\n・NPO法人でんでん虫の会吉松様\n・三つ目の発言です。"
    assert without_repeated_lines(text) == text


def test_a_quoted_bullet_loses_a_reference_to_text_the_reader_cannot_see():
    assert without_dangling_reference("・上述の通り、連携PFの設置に当たってシンポジウムを開催") == \
        "・連携PFの設置に当たってシンポジウムを開催"
    assert without_dangling_reference("前述のとおり庁内で共有した") == "庁内で共有した"
    assert without_dangling_reference("上述の若者対策に加え") == "上述の若者対策に加え"  # not an opener


def test_a_bullet_that_only_names_a_speaker_is_a_speaker():
    assert speaker_of("・NPO法人でんでん虫の会吉松様") == "NPO法人でんでん虫の会吉松様"
    assert speaker_of("・一般社団法人minori高木様") == "一般社団法人minori高木様"
    assert speaker_of("・支援の最初の入り口は、既存の公的な窓口で十分に機能する。") is None
    assert speaker_of("・様々な媒体を通して地域を形成") is None


def test_display_text_applies_all_clean_ups():
    assert display_text("・・R4年度6月~開始\n・・R4年度6月~開始") == "・R4年度6月〜開始"


def test_progress_tells_the_time_left_from_the_pace_so_far():
    from api.cli.common import remaining_text
    assert remaining_text(0.0, 10.0, 50, 233) == "（残り 約36秒）"
    assert remaining_text(0.0, 100.0, 50, 233) == "（残り 約6分6秒）"
    assert remaining_text(0.0, 10.0, 0, 233) == "" and remaining_text(0.0, 10.0, 233, 233) == ""


# --- the views, on the corpus (records only, no index) -------------------------------------

from tests.export_helpers import export_settings, export_store  # noqa: E402,F401  (fixtures)


def test_column_speakers_are_speakers_not_bullets(export_store):
    from kb.browse import city_page
    voices = city_page(export_store, "熊本市")["voices"]
    quotes = [q for v in voices for q in v["quotes"]]
    assert {"NPO法人でんでん虫の会吉松様", "一般社団法人minori高木様"} <= {q["speaker"] for q in quotes}
    assert not any(speaker_of(line) for q in quotes for line in q["lines"])


def test_views_show_no_doubled_bullets_and_no_ascii_tilde(export_store):
    from kb.browse import city_page, list_trials
    page = city_page(export_store, "福岡市")
    shown = [page["profile"]["text"], *(t["period"] or "" for t in list_trials(export_store)["trials"]),
             *(r.get("timing_label", "") for ph in page["lessons"] for s in ph["steps"] for r in s["records"])]
    assert not any("・・" in t for t in shown)
    assert not any("~" in t for t in shown)
    labels = [r["timing_label"] for ph in page["lessons"] for s in ph["steps"] for r in s["records"] if r.get("timing")]
    assert labels and all(t.startswith("行程表の時期 ") for t in labels) and sum("年" in t for t in labels) >= 5


def test_about_counts_the_scope_from_the_records(export_store):
    from kb.browse import about
    a = about(export_store)
    assert [c["city"] for c in a["detailed"]] == ["福岡市", "熊本市", "市原市"]
    assert len(a["map_only"]) == 11 and all(set(c["counts"]) == {"overview"} for c in a["map_only"])
    doc = next(d for d in a["documents"] if d["publisher"] == "株式会社野村総合研究所")
    assert doc["date_label"] == "2025年3月（令和7年3月）" and doc["records"] == sum(doc["kinds"].values())
    assert sum(d["records"] for d in a["documents"]) == a["records"]


def test_packs_quote_no_dangling_reference(export_store):
    from kb.export import build_pack
    pack = build_pack(export_store, city="福岡市")
    details = [d for s in pack.steps for p in s.practices for d in p.details]
    assert details and not any(d.lstrip("・").startswith(("上述の通り", "前述の通り")) for d in details)
