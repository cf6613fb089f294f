"""Workshop packs and comparisons: what a trainer opens in Word, PowerPoint or a
text editor — steps, cities, citations, costs, prompts — and the errors they see."""
from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.core.errors import BadQueryError, NotFoundError
from kb.export import build_comparison, build_pack, render_comparison, render_pack
from kb.export.errors import OutputPathError
from kb.export.items import text_to_bullets, yen_to_label
from kb.export.prompts import headline
from kb.export.output import write_bytes_atomic
from kb.export.trial_steps import overview_by_city, trial_steps
from kb.core.records import STEP_CODES, STEP_NAMES, step_label
from tests.export_helpers import export_settings, export_store  # noqa: F401  (fixtures)

CITIES = ("福岡市", "熊本市", "市原市")
PREPARATION = ("3", "4-1", "4-2", "5")


@pytest.fixture()
def preparation_pack(export_store):
    return build_pack(export_store, phase="preparation")


# --- the pack ----------------------------------------------------------------------


def test_trainers_preparation_pack_covers_steps_3_to_5_for_all_three_cities(preparation_pack):
    assert [s.step for s in preparation_pack.steps] == list(PREPARATION)
    assert preparation_pack.cities == CITIES
    for section in preparation_pack.steps:
        assert {p.city for p in section.practices} == set(CITIES), section.step
        assert section.aim and section.label == step_label(section.step)
        for p in section.practices:
            assert p.citation.startswith("2-") and f" {p.city} › " in p.citation and "行目）" in p.citation


def test_pack_shows_the_reports_headlines_timing_and_first_bullets(preparation_pack):
    step5 = next(s for s in preparation_pack.steps if s.step == "5")
    kumamoto = [p for p in step5.practices if p.city == "熊本市"]
    assert any(p.title.startswith("まずは火の国会議のコアメンバーに声掛け") for p in kumamoto)
    core = next(p for p in kumamoto if p.title.startswith("まずは火の国会議"))
    assert core.timing == "R4年度3月~" and core.when == "2023年3月"  # 令和4年度の3月 is March 2023
    assert core.details and "4団体" in core.details[0]


def test_trial_projects_carry_vendor_cost_in_yen_and_results(preparation_pack):
    step3 = next(s for s in preparation_pack.steps if s.step == "3")
    by_title = {t.title: t for t in step3.trials}
    survey = by_title["NPO等支援団体向け活動実態調査(リソース調査)"]
    assert survey.cost == "約120万円" and survey.vendor == "株式会社九州みらい研究所"
    assert any("18団体" in r for r in survey.results)
    assert by_title["実態把握調査"].cost == "290万円"


@pytest.mark.parametrize("yen, approx, note, label", [
    (2_900_000, False, None, "290万円"), (1_200_000, True, None, "約120万円"), (13_000, True, None, "約1.3万円"),
    (130_000, False, None, "13万円"), (5_000, False, None, "5,000円"), (None, False, "発注なし", "発注なし")])
def test_costs_are_written_the_way_the_report_writes_them(yen, approx, note, label):
    assert yen_to_label(yen, approx=approx, note=note) == label


def test_trials_are_linked_to_steps_by_the_map_their_name_and_the_lessons(export_store):
    lessons = export_store.records(kind="lesson")
    overviews = overview_by_city(export_store.records(kind="overview"))
    links = {t.title: trial_steps(t, overviews.get(t.city), lessons) for t in export_store.records(kind="trial")}
    survey = links["NPO等支援団体向け活動実態調査(リソース調査)"]
    assert survey.category == "R" and survey.steps == ("3", "5")  # 熊本市's ⑤ names the リソース調査
    assert links["地域協議会に係る検討"].steps == ("8",)
    apron = links["地域食堂向けエプロン製作"]  # the map calls it 「エプロン製作」 under D:広報・周知
    assert apron.category == "D:広報・周知" and apron.steps == ("6",)
    assert all(link.steps and link.reason for link in links.values())


def test_discussion_prompts_contrast_two_cities_from_the_records(preparation_pack):
    assert 2 <= len(preparation_pack.prompts) <= 4
    from kb.export.items import shorten
    practices = [p for s in preparation_pack.steps for p in s.practices]
    for prompt in preparation_pack.prompts:
        named = [c for c in CITIES if c in prompt.text]
        assert len(named) == 2, prompt.text
        assert prompt.text.endswith("？") and len(prompt.citations) == 2
        for citation in prompt.citations:  # each side quotes the cited practice's headline or timing
            cited = [p for p in practices if p.citation == citation]
            assert any(f"「{headline(p.title)}」" in prompt.text or f"「{p.timing_label}」" in prompt.text
                       for p in cited), (citation, prompt.text)


def test_partner_voices_come_from_the_cities_columns(preparation_pack):
    assert {v.city for v in preparation_pack.voices} == set(CITIES)
    assert all(v.citation.endswith("）") and "コラム" in v.citation for v in preparation_pack.voices)


def test_a_question_about_approaching_groups_makes_a_pack_of_step_5(export_store, export_settings):
    pack = build_pack(export_store, question="関係団体への声掛けはどうすればよい？", settings=export_settings)
    assert [s.step for s in pack.steps] == ["5"]
    assert "質問" in pack.note


def test_a_question_without_step_words_uses_the_steps_of_the_search_hits(export_store, export_settings,
                                                                          monkeypatch):
    pytest.importorskip("kb.search.searcher")
    import kb.search.searcher
    from kb.core.records import SearchHit
    lessons = {(r.city, r.step): r for r in export_store.records(kind="lesson")}
    ranked = [SearchHit(lessons[("熊本市", "7")], 0.05), SearchHit(lessons[("市原市", "7")], 0.04),
              SearchHit(lessons[("福岡市", "6")], 0.05), SearchHit(lessons[("市原市", "1")], 0.005)]

    def fake_search(settings, query, k=10, filters=None, mode="hybrid"):
        if "晩ご飯" in query:
            return []  # no word in common with the reports
        return ranked[:k]
    monkeypatch.setattr(kb.search.searcher, "search", fake_search)
    pack = build_pack(export_store, question="どのくらいの頻度で集まればよい？", settings=export_settings)
    # ⑦ weighs 0.09, ⑥ 0.05 (at least half of the best), ① 0.005 (left out)
    assert [s.step for s in pack.steps] == ["6", "7"] and "検索" in pack.note
    with pytest.raises(BadQueryError, match="段階を特定できません"):
        build_pack(export_store, question="今日の晩ご飯は？", settings=export_settings)


def test_a_city_pack_has_every_step_with_only_that_city(export_store):
    pack = build_pack(export_store, city="熊本市")
    assert len(pack.steps) == 10 and pack.cities == ("熊本市",)
    assert {p.city for s in pack.steps for p in s.practices} == {"熊本市"}
    assert pack.prompts  # the city's choice against another way the report lists


def test_unknown_city_names_the_known_ones(export_store):
    with pytest.raises(NotFoundError) as e:
        build_pack(export_store, city="大阪市")
    assert "福岡市, 熊本市, 市原市" in str(e.value) and "大阪市" in str(e.value)
    with pytest.raises(NotFoundError, match="第1章の整理マップのみ"):
        build_pack(export_store, city="中野区")  # only a row of the chapter 1 map


def test_bad_phase_and_empty_knowledge_base_are_explained(export_store):
    from kb.store import Store
    with pytest.raises(BadQueryError, match="phase"):
        build_pack(export_store, phase="planning")
    with pytest.raises(NotFoundError, match="pfkb build"):
        build_pack(Store(":memory:"), step="5")


def test_unwritable_output_paths_are_refused_before_writing(tmp_path):
    with pytest.raises(OutputPathError, match="フォルダがありません"):
        write_bytes_atomic(tmp_path / "missing" / "pack.docx", b"x")
    with pytest.raises(OutputPathError, match="フォルダです"):
        write_bytes_atomic(tmp_path, b"x")
    write_bytes_atomic(tmp_path / "ok.md", b"x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.md"]  # no temporary file left


def test_bullets_split_at_bullet_marks_not_inside_kodoku_koritsu():
    assert text_to_bullets("・孤独・孤立の実態を把握した。・次に声掛けした") == ["孤独・孤立の実態を把握した。", "次に声掛けした"]


# --- the files -----------------------------------------------------------------------


def test_markdown_pack_has_a_heading_and_citations_for_every_practice(preparation_pack):
    md = render_pack(preparation_pack, "md").data.decode()
    for s in PREPARATION:
        assert f"## {step_label(s)}" in md
    blocks = md.split("\n- **")[1:]
    practice_blocks = [b for b in blocks if "■" in b.split("\n")[0]]
    assert len(practice_blocks) == sum(len(s.practices) for s in preparation_pack.steps)
    assert all("出典: " in b for b in practice_blocks)


def _docx(pack):
    from docx import Document
    return Document(io.BytesIO(render_pack(pack, "docx").data))


def test_docx_pack_has_one_heading_per_step_and_cites_every_practice(preparation_pack):
    from docx.oxml.ns import qn
    doc = _docx(preparation_pack)
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    for s in PREPARATION:
        assert step_label(s) in headings
    paras = [p.text for p in doc.paragraphs]
    practice_idx = [i for i, t in enumerate(paras) if any(t.startswith(f"{c}　■") for c in CITIES)]
    assert len(practice_idx) == sum(len(s.practices) for s in preparation_pack.steps)
    for i in practice_idx:  # the practice's bullets, then its 出典 line
        following = next(t for t in paras[i + 1:] if not t.startswith(("・",)) and t and
                         not any(t == d for s in preparation_pack.steps for p in s.practices for d in p.details))
        assert following.startswith("出典: "), paras[i]
    assert "このステップのねらい: " + preparation_pack.steps[0].aim in paras
    fonts = [r._r.rPr.find(qn("w:rFonts")) for p in doc.paragraphs for r in p.runs]
    assert fonts and all(f is not None and f.get(qn("w:eastAsia")) == "IPAexGothic" for f in fonts)


def _pptx(data: bytes):
    from pptx import Presentation
    return Presentation(io.BytesIO(data))


def _slide_text(slide) -> str:
    return "\n".join(sh.text_frame.text for sh in slide.shapes if sh.has_text_frame)


def _runs(slide):
    return [r for sh in slide.shapes if sh.has_text_frame for para in sh.text_frame.paragraphs for r in para.runs]


def _is_grey(run) -> bool:
    from pptx.enum.dml import MSO_COLOR_TYPE
    color = run.font.color
    return color.type == MSO_COLOR_TYPE.RGB and str(color.rgb) in ("595959",)


def test_pptx_pack_has_a_title_slide_then_the_steps_with_citations(preparation_pack):
    from pptx.oxml.ns import qn
    deck = _pptx(render_pack(preparation_pack, "pptx").data)
    slides = list(deck.slides)
    first = _slide_text(slides[0])
    assert "研修パック" in first and "対象: " in first and re.search(r"作成: 20\d\d年\d{1,2}月\d{1,2}日", first)
    assert "出典: 孤独・孤立対策に関する地域連携推進モデル調査研究業務" in first and "野村総合研究所、2025年3月" in first
    for s in preparation_pack.steps:
        own = "\n".join(_slide_text(sl) for sl in slides if _slide_text(sl).startswith(s.label))
        for p in s.practices:
            assert f"■ {p.title}" in own and f"出典: {p.citation}" in own
    runs = [r for sl in slides for r in _runs(sl)]
    assert all(r._r.rPr.find(qn("a:ea")).get("typeface") == "IPAexGothic" for r in runs)
    assert "話し合いの問い" in _slide_text(slides[-1])


def test_pptx_slides_are_a_handout_large_type_few_bullets_no_cuts_no_internal_notes(export_store):
    for pack in (build_pack(export_store, phase="preparation"), build_pack(export_store, city="熊本市")):
        deck = _pptx(render_pack(pack, "pptx").data)
        for i, slide in enumerate(deck.slides, 1):
            text = _slide_text(slide)
            for r in _runs(slide):
                size = r.font.size.pt
                assert size >= 10, (i, r.text, size)  # citations, timing, phase names
                if not _is_grey(r):
                    assert size >= 14, (i, r.text, size)  # what participants read
                    assert "…" not in r.text, (i, r.text)  # shortened by choosing, not cut
            assert text.count("■ ") <= 6, (i, text.count("■ "))
            for internal in ("このステップに入れた理由", "理由:", "行程表のみ", "留意点の記載なし"):
                assert internal not in text, (i, internal)
        notes = "\n".join(s.notes_slide.notes_text_frame.text for s in deck.slides)
        assert "このステップに入れた理由" in notes  # the trainer still has it


# --- comparison ----------------------------------------------------------------------


def test_comparison_puts_cities_side_by_side_with_profile_facts(export_store):
    c = build_comparison(export_store, "熊本市,市原市", "5")
    d = c.to_dict()
    assert d["cities"] == ["熊本市", "市原市"] and [s["step"] for s in d["steps"]] == ["5"]
    assert d["profiles"]["市原市"]["pf_start"].startswith("令和6年度")
    assert d["profiles"]["熊本市"]["population"].startswith("736,949人")
    cells = d["steps"][0]["cells"]
    assert len(cells["熊本市"]) == 3 and all(" 熊本市 › " in p["citation"] for p in cells["熊本市"])
    text = render_comparison(c, "text").data.decode()
    assert "[熊本市]" in text and "[市原市]" in text and text.count("出典: ") >= 5 + 2


def test_comparison_of_an_unknown_city_lists_the_known_ones(export_store):
    with pytest.raises(NotFoundError, match="福岡市, 熊本市, 市原市"):
        build_comparison(export_store, ["熊本市", "東京都"])
    with pytest.raises(BadQueryError, match="2〜3"):
        build_comparison(export_store, ["熊本市"])


def test_comparison_docx_and_pptx_have_a_column_per_city(export_store):
    from docx import Document
    c = build_comparison(export_store, ["福岡市", "熊本市", "市原市"])
    doc = Document(io.BytesIO(render_comparison(c, "docx").data))
    step_tables = [t for t in doc.tables if [cell.text for cell in t.rows[0].cells] == list(CITIES)]
    assert len(step_tables) == 10
    deck = _pptx(render_comparison(c, "pptx").data)
    slides = list(deck.slides)
    assert len(slides) >= 1 + 10
    for step in STEP_CODES:  # every step has its slide, a column (a heading box) per city
        own = [sl for sl in slides if _slide_text(sl).startswith(step_label(step))]
        assert own and all(all(city in _slide_text(sl) for city in CITIES) for sl in own), step
    # compare slides use their space: text in the columns is set larger than the minimum where it fits
    sizes = {r.font.size.pt for sl in slides[1:] for r in _runs(sl) if not _is_grey(r) and r.text.startswith("■")}
    assert max(sizes) >= 16


# --- CLI -----------------------------------------------------------------------------


def _cli(args, settings):
    from api.cli.main import cli
    return CliRunner().invoke(cli, [*args, "--data-dir", str(settings.data_dir)], catch_exceptions=False)


def test_cli_export_writes_the_file_and_explains_errors(export_settings, tmp_path):
    out = tmp_path / "準備段階.pptx"
    r = _cli(["export", "--phase", "preparation", "--format", "pptx", "-o", str(out)], export_settings)
    assert r.exit_code == 0, r.output
    assert len(_pptx(out.read_bytes()).slides) >= 5
    r = _cli(["export", "--city", "大阪市"], export_settings)
    assert r.exit_code == 4 and "福岡市, 熊本市, 市原市" in r.output
    r = _cli(["export", "--step", "5", "--format", "docx", "-o", str(tmp_path / "no" / "x.docx")], export_settings)
    assert r.exit_code == 2 and "フォルダがありません" in r.output


def test_cli_compare_prints_json(export_settings):
    r = _cli(["compare", "熊本市", "市原市", "--step", "4-1", "--format", "json"], export_settings)
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["steps"][0]["label"] == step_label("4-1") and STEP_NAMES["4-1"] in data["steps"][0]["label"]


# --- LibreOffice ----------------------------------------------------------------------


PACK_PNGS = Path(__file__).resolve().parent.parent / "test-output" / "packs"


def test_every_pack_renders_in_libreoffice_without_text_leaving_its_box(export_store, tmp_path):
    """Every kind of pack (a phase, a city, a step, a question's cities, a comparison) as LibreOffice
    draws it: one PNG per slide under test-output/packs/ for a reviewer, and no character drawn
    outside its text box or off the slide; the Word handout converts with its Japanese text."""
    from tests.slide_render import check_deck, render_pdf_pages, soffice, to_pdf
    if not soffice():
        pytest.skip("soffice (LibreOffice) がないため描画を確認できません: apt-get install libreoffice-writer-nogui "
                    "libreoffice-impress-nogui")
    decks = {
        "pack-preparation": render_pack(build_pack(export_store, phase="preparation"), "pptx").data,
        "pack-kumamoto": render_pack(build_pack(export_store, city="熊本市"), "pptx").data,
        "pack-step5": render_pack(build_pack(export_store, step="5"), "pptx").data,
        "compare-3": render_comparison(build_comparison(export_store, list(CITIES)), "pptx").data,
    }
    files = []
    for stem, data in decks.items():
        files.append(tmp_path / f"{stem}.pptx")
        files[-1].write_bytes(data)
    docx = tmp_path / "pack-preparation-docx.docx"
    docx.write_bytes(render_pack(build_pack(export_store, phase="preparation"), "docx").data)
    pdfs = to_pdf([*files, docx], tmp_path)
    shutil.rmtree(PACK_PNGS, ignore_errors=True)
    overflow = {}
    for pptx, pdf in zip(files, pdfs):
        for check in check_deck(pptx, pdf, PACK_PNGS):
            assert check.png and check.png.stat().st_size > 5_000
            if check.outside:
                overflow[f"{pptx.stem} slide {check.number}"] = "".join(c[0] for c in check.outside)[:60]
    assert not overflow, overflow
    from pypdf import PdfReader
    text = "".join(page.extract_text() or "" for page in PdfReader(str(pdfs[-1])).pages)
    assert "熊本市" in text and "出典" in text, "Japanese text lost in conversion"
    assert len(render_pdf_pages(pdfs[-1], PACK_PNGS)) >= 3


def test_exported_files_are_readable_by_the_group(tmp_path):
    """Written for a shared folder: 0644 (less only where the umask asks for it), not mkstemp's 0600."""
    old = os.umask(0o022)
    try:
        path = write_bytes_atomic(tmp_path / "研修パック.docx", b"data")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644
