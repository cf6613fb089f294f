"""The web page in a real browser (Debian's chromium, headless) against the app
served by uvicorn on a free localhost port: what a city official sees and does."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser_fixtures import CHROMIUM, CHROMIUM_ARGS, base_url, browser, free_port  # noqa: F401 (fixtures)

pytestmark = pytest.mark.slow

PHASE_WORDS = ["初期段階", "準備段階", "設立段階", "自走段階"]


@pytest.fixture
def page(browser, base_url):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="ja-JP")
    pg = context.new_page()
    pg.alerts = []
    pg.outside = []
    pg.errors = []
    pg.on("dialog", lambda d: (pg.alerts.append(d.message), d.dismiss()))
    pg.on("request", lambda r: None if r.url.startswith(base_url) else pg.outside.append(r.url))
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.goto(base_url + "/")
    pg.wait_for_selector("body[data-ready]")
    yield pg
    assert not pg.outside, f"the page fetched from outside: {pg.outside}"
    assert not pg.errors, f"script errors: {pg.errors}"
    context.close()


def ask(page, question: str) -> None:
    page.fill("#question", question)
    page.click("#ask-submit")
    page.wait_for_selector("#answer .answer-card", timeout=60_000)


def test_setup_question_shows_the_four_phases_in_order_with_citations(page):
    ask(page, "PFの立ち上げ方は？")
    headings = page.locator("#answer .block-phase").all_text_contents()
    found = [w for h in headings for w in PHASE_WORDS if w in h]
    assert found == PHASE_WORDS, headings
    chips = page.locator("#answer .statement button.chip")
    assert chips.count() >= 4
    assert re.search(r"（(テキスト版 \d+(〜\d+)? 行目|p\.\d+)）$", chips.first.get_attribute("title"))


def test_a_citation_opens_its_record_and_source_then_escape_returns(page):
    ask(page, "PFの立ち上げ方は？")
    chip = page.locator("#answer .statement button.chip").first
    chip.click()
    dialog = page.locator("#record-dialog")
    assert dialog.is_visible()
    page.wait_for_selector("#record-body ol.lines li.cited, #record-body img.page-image", timeout=15_000)
    title = page.locator("#record-title").text_content()
    assert title and title != "出典"
    cited = " ".join(page.locator("#record-body ol.lines li.cited").all_text_contents())
    assert re.sub(r"\s", "", title)[:8] in re.sub(r"\s", "", cited), (title, cited[:200])
    assert "記録の本文" in page.locator("#record-body").text_content()
    page.keyboard.press("Escape")
    assert not dialog.is_visible()
    assert page.evaluate("document.activeElement.classList.contains('chip')"), "focus returns to the chip"


def test_browse_a_city(page):
    page.click("nav.tabs a[data-view=cities]")
    page.click("a.city-card:has-text('熊本市')")
    page.wait_for_selector("#city .section-title")
    assert page.locator("#city-title").text_content() == "熊本市"
    body = page.locator("#city").text_content()
    assert "健康福祉局健康福祉部健康福祉政策課" in body
    assert "火の国会議" in body  # a lesson of step ⑤
    sections = page.locator("#city .section-title").all_text_contents()
    assert {"概要", "段階・ステップごとの留意点", "試行的事業", "ブレイクスルー要因", "連携先の声（コラム）"} <= set(sections)
    assert page.locator("#city table.trials-table tbody tr").count() == 6
    assert "#city/" in page.url


def row_costs(page) -> list[int | None]:
    raw = page.locator("#trials table tbody tr").evaluate_all("rows => rows.map(r => r.dataset.cost)")
    return [int(c) if c else None for c in raw]


def test_trials_sort_by_cost_with_mouse_and_keyboard(page):
    page.click("nav.tabs a[data-view=trials]")
    page.wait_for_selector("#trials table tbody tr")
    page.click("#trials button.sort[data-sort=cost]")
    page.wait_for_selector("#trials th[aria-sort=ascending] button[data-sort=cost]")
    up = row_costs(page)
    known = [c for c in up if c is not None]
    assert len(known) >= 10 and known == sorted(known) and up[:len(known)] == known
    # the keyboard: the header button keeps the focus; Enter sorts the other way
    assert page.evaluate("document.activeElement.dataset.sort") == "cost"
    page.keyboard.press("Enter")
    page.wait_for_selector("#trials th[aria-sort=descending] button[data-sort=cost]")
    down = [c for c in row_costs(page) if c is not None]
    assert down == sorted(known, reverse=True)
    assert page.locator("#trials tbody tr").first.locator("td.cost").text_content() == "290万円"


def test_markup_in_a_question_is_shown_as_text(page):
    question = "<script>alert(1)</script><img src=x onerror=alert(2)>PFの立ち上げ方は？"
    ask(page, question)
    assert page.locator("#answer .asked-text").text_content() == question
    assert page.locator("#answer img").count() == 0
    assert page.locator("#answer script").count() == 0
    page.wait_for_timeout(300)
    assert page.alerts == []


def test_question_with_no_answer_in_the_reports_says_so(page):
    ask(page, "火星探査機の燃料は何ですか？")
    assert page.locator("#answer .no-evidence-title").text_content() == "資料には該当する記載がありません"
    related = page.locator("#answer section.related")
    assert related.locator("h3").text_content() == "関連する記録"
    assert related.locator("button.chip").count() >= 1


def test_roadmap_filtered_by_city(page):
    page.click("nav.tabs a[data-view=roadmap]")
    page.wait_for_selector("#roadmap .phase")
    assert page.locator("#roadmap .phase-title").all_text_contents()[0].endswith("初期段階")
    page.select_option("#roadmap-city", "市原市")
    page.wait_for_function("""() => {
        const names = [...document.querySelectorAll('#roadmap .city-name')];
        return names.length > 0 && names.every(e => e.textContent === '市原市');
    }""")
    assert page.locator("#roadmap .city-name").count() >= 8


SCREENS = Path(__file__).resolve().parent.parent / "test-output" / "screens"
# every tab, with what shows that its content is there
TABS = [("ask", "#answer .answer-card"), ("search/q=研修", "#search-summary .count"), ("roadmap", "#roadmap .phase"), ("cities", "#cities .city-card"),
        ("city/熊本市", "#city .section-title"), ("city/中野区", "#city .section-title"),
        ("trials", "#trials tbody tr"), ("compare", "#compare .compare-step"), ("charts", "#charts .chart img"),
        ("about", "#about .doc-card")]
# the controls a person uses; those inside a box that scrolls on its own (cited lines) are exempt
CONTROLS_OUT_OF_VIEW = """() => {
  const w = window.innerWidth;
  const bad = [];
  for (const e of document.querySelectorAll('main a, main button, main select, main input, main textarea, nav.tabs a')) {
    const r = e.getBoundingClientRect();
    if (!r.width || !r.height || e.closest('[hidden]')) continue;
    if (e.closest('.table-wrap, ol.lines, .chart-dialog-body')) continue;
    if (r.left < -1 || r.right > w + 1) bad.push(`${e.tagName} ${(e.textContent || e.id || '').trim().slice(0, 30)} ${Math.round(r.left)}..${Math.round(r.right)}`);
  }
  return bad;
}"""


@pytest.fixture(scope="module")
def phone(browser, base_url):
    """A 360 px touch phone (the narrowest common Android width)."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=1, is_mobile=True,
                                  has_touch=True, locale="ja-JP")
    pg = context.new_page()
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    yield pg
    context.close()


def show_tab(pg, base_url, view, ready):
    pg.goto(f"{base_url}/#{view}")
    pg.wait_for_selector("body[data-ready]")
    if view == "ask":
        pg.fill("#question", "熊本市の試行的事業にはどんなものがありますか？")
        pg.click("#ask-submit")
    if view == "compare":
        pg.click("#compare-form button[type=submit]")
    pg.wait_for_selector(ready, timeout=60_000)
    if view == "charts":  # the pictures load lazily: bring each into view, so the screenshot shows them
        for img in pg.locator("#charts .chart img").all():
            img.scroll_into_view_if_needed()
        pg.wait_for_function("() => [...document.querySelectorAll('#charts .chart img')].every(i => i.complete)",
                             timeout=60_000)
        pg.evaluate("window.scrollTo(0, 0)")
    pg.wait_for_timeout(250)


@pytest.mark.parametrize("width", [360, 1366])
def test_every_tab_fits_the_screen_and_every_control_is_in_reach(browser, base_url, phone, width):
    if width == 360:
        pg, context = phone, None
    else:
        context = browser.new_context(viewport={"width": width, "height": 800}, locale="ja-JP")
        pg = context.new_page()
        pg.errors = []
        pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    SCREENS.mkdir(parents=True, exist_ok=True)
    try:
        for view, ready in TABS:
            show_tab(pg, base_url, view, ready)
            pg.screenshot(path=str(SCREENS / f"{view.replace('/', '-')}-{width}.png"), full_page=True)
            assert pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), \
                (view, width, pg.evaluate("document.documentElement.scrollWidth"))
            assert pg.evaluate(CONTROLS_OUT_OF_VIEW) == [], (view, width)
        # the tab bar shows every tab: none is hidden off the edge
        for tab in pg.locator("nav.tabs a").all():
            box = tab.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= width + 1, tab.text_content()
        assert not pg.errors, pg.errors
    finally:
        if context is not None:
            context.close()


def test_on_a_phone_trials_are_cards_with_their_cost_and_charts_open_full_screen(phone, base_url):
    show_tab(phone, base_url, "trials", "#trials tbody tr")
    first = phone.locator("#trials tbody tr").first
    cost = first.locator("td.cost")
    box = cost.bounding_box()
    assert box and box["x"] + box["width"] <= 361, "the cost is on screen"
    assert phone.evaluate("getComputedStyle(document.querySelector('#trials tbody tr')).display") == "block"
    assert phone.locator("#trials button.sort[data-sort=cost]").is_visible(), "sorting stays reachable"
    # no Ctrl+Enter hint on a touch screen
    show_tab(phone, base_url, "charts", "#charts .chart img")
    assert phone.locator("#question-help").is_hidden()
    phone.locator("#charts button.chart-open").first.click()
    dialog = phone.locator("#chart-dialog")
    assert dialog.is_visible()
    img = phone.locator("#chart-dialog img.chart-full")
    img.wait_for()
    assert img.bounding_box()["width"] >= 800, "the chart is drawn larger than the screen, to pan"
    phone.keyboard.press("Escape")
    assert not dialog.is_visible()


def test_the_ctrl_enter_hint_shows_with_a_keyboard(page):
    assert page.locator("#question-help").is_visible()


def test_a_refusal_links_to_what_the_knowledge_base_holds(page):
    ask(page, "火星探査機の燃料は何ですか？")
    page.click("#answer .no-evidence a[href='#about']")
    page.wait_for_selector("#about .doc-card")
    text = page.locator("#about").text_content()
    assert "株式会社野村総合研究所" in text and "2025年3月" in text
    detailed = page.locator("#about .city-cards .city-card-name").all_text_contents()
    assert detailed == ["福岡市", "熊本市", "市原市"]
    assert page.locator("#about .city-mini li").count() == 11
    assert page.locator("header a[href='#about']").count() >= 1


def test_the_comparison_shows_conflicting_facts_like_the_city_page(page):
    page.click("nav.tabs a[data-view=compare]")
    page.click("#compare-form button[type=submit]")  # 福岡市 and 熊本市 are ticked first
    page.wait_for_selector("#compare .compare-card")
    card = page.locator("#compare .compare-card", has_text="福岡市")
    assert card.locator(".conflict-flag").count() >= 1
    values = card.locator(".fact-value").all_text_contents()
    assert any("令和4年度" in v for v in values) and any("令和5年" in v for v in values), values
    timings = page.locator("#compare .timing").all_text_contents()
    assert timings and all(t.startswith("行程表の時期 ") for t in timings), timings[:3]
    assert not any("~" in t for t in timings)


def test_tablet_width_has_no_sideways_scroll(browser, base_url):
    context = browser.new_context(viewport={"width": 820, "height": 1180})
    pg = context.new_page()
    for view in ("ask", "roadmap", "cities", "trials", "compare"):
        pg.goto(f"{base_url}/#{view}")
        pg.wait_for_selector("body[data-ready]")
        pg.wait_for_timeout(300)
        assert pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), view
    context.close()


def test_an_answer_does_not_show_the_same_sentence_twice(page):
    ask(page, "熊本市の試行的事業にはどんなものがありますか？")
    values = [re.sub(r"^[^:：。]{1,24}[:：]\s*|[\s。.]+$", "", t).strip()
              for t in page.locator("#answer .statement-text").all_text_contents()]
    long = [v for v in values if len(v) >= 8]
    assert long and len(long) == len(set(long)), [v for v in long if long.count(v) > 1][:2]


def test_an_answer_does_not_quote_a_reference_to_text_not_shown(page):
    ask(page, "PFの立ち上げ方は？")
    text = " ".join(page.locator("#answer .statement-text").all_text_contents())
    assert "シンポジウム" in text  # the bullet is still quoted …
    assert "上述の通り" not in text  # … without 「上述の通り、」, which points at text the reader does not see
