// ロードマップ (phases → steps → what each city did) and 自治体 (the list and a
// city's page).
import { api, chip, el, errorBox, factValues, KIND_LABELS, loading, meta, periodLines, quotesBlock, textBlock, yen } from "./ui.js";

// --- ロードマップ ------------------------------------------------------------

export async function showRoadmap() {
  const out = document.getElementById("roadmap");
  const city = document.getElementById("roadmap-city").value;
  const withSummary = document.getElementById("roadmap-summary").checked;
  out.replaceChildren(loading());
  try {
    const data = await api(`/api/roadmap${city ? `?city=${encodeURIComponent(city)}` : ""}`);
    out.replaceChildren(...data.phases.map((p) => roadmapPhase(p, data.cities, withSummary)));
  } catch (e) {
    out.replaceChildren(errorBox(e));
  }
}

function roadmapPhase(phase, cities, withSummary) {
  return el("section", { class: "phase", "aria-label": phase.label },
    el("h3", { class: "phase-title" }, phase.label),
    phase.steps.map((s) => el("div", { class: "step" },
      el("h4", { class: "step-title" }, s.label),
      el("div", { class: "city-grid", style: { "--cols": Math.max(1, cities.length) } },
        cities.map((c) => el("div", { class: "city-col" },
          el("h5", { class: "city-name" }, el("a", { href: `#city/${encodeURIComponent(c)}` }, c)),
          (s.cities[c] || []).length
            ? el("ul", { class: "lessons" }, s.cities[c].map(lessonLine))
            : el("p", { class: "muted" }, "記載なし")))),
      withSummary && s.summary.length
        ? el("details", { class: "summary" },
            el("summary", {}, `第1章の示唆（${s.summary.length} 件）`),
            el("ul", {}, s.summary.map((r) => el("li", {}, r.title, " ", chip(r.label, r.id, { short: true })))))
        : null)));
}

function lessonLine(r) {
  return el("li", { class: "lesson-line" },
    el("span", { class: "lesson-title" }, r.title),
    r.timing ? el("span", { class: "timing" }, r.timing_label || r.timing) : null,
    r.scope ? el("span", { class: "scope" }, r.scope) : null,
    chip(r.label, r.id, { short: true }));
}

// --- 自治体 -------------------------------------------------------------------

export async function showCities() {
  const out = document.getElementById("cities");
  out.replaceChildren(loading());
  try {
    const { cities } = await api("/api/cities");
    const detailed = cities.filter((c) => c.detailed);
    const mapped = cities.filter((c) => !c.detailed);
    out.replaceChildren(
      el("p", { class: "lead" }, "事例集（第2章）に取組が詳しく載っている自治体です。"),
      el("ul", { class: "city-cards" }, detailed.map((c) => el("li", {},
        el("a", { class: "city-card", href: `#city/${encodeURIComponent(c.city)}` },
          el("span", { class: "city-card-name" }, c.city),
          c.department ? el("span", { class: "city-card-dept" }, c.department) : null,
          c.population ? el("span", { class: "city-card-pop" }, `人口 ${c.population.toLocaleString("ja-JP")} 人`) : null,
          el("span", { class: "city-card-counts" },
            `留意点 ${c.counts.lesson || 0} ・ 試行的事業 ${c.counts.trial || 0} ・ 団体の声 ${c.counts.column || 0}`))))),
      mapped.length ? el("h3", { class: "section-title" }, "第1章の整理マップに載っている自治体") : null,
      mapped.length ? el("ul", { class: "city-mini" }, mapped.map((c) =>
        el("li", {}, el("a", { href: `#city/${encodeURIComponent(c.city)}` }, c.city)))) : null);
  } catch (e) {
    out.replaceChildren(errorBox(e));
  }
}

export async function showCity(name) {
  const out = document.getElementById("city");
  document.getElementById("city-title").textContent = name;
  out.replaceChildren(loading());
  try {
    const c = await api(`/api/cities/${encodeURIComponent(name)}`);
    out.replaceChildren(...cityPage(c));
  } catch (e) {
    out.replaceChildren(errorBox(e));
  }
}

function section(title, ...children) {
  return el("section", { class: "city-section", "aria-label": title }, el("h3", { class: "section-title" }, title), children);
}

function cityPage(c) {
  const parts = [];
  const p = c.profile;
  if (p || c.facts.length) {
    parts.push(section("概要",
      el("dl", { class: "profile" },
        p && p.department ? [el("dt", {}, "担当部局"), el("dd", {}, p.department)] : null,
        p && p.population_raw ? [el("dt", {}, "人口"), el("dd", {}, p.population_raw)] : null,
        c.facts.map((f) => [el("dt", {}, f.label), el("dd", {}, factValues(f))]),
        p && p.members ? [el("dt", {}, "PF 参画メンバー"), el("dd", {}, p.members)] : null,
        p && p.council_members && p.council_members !== "—" ? [el("dt", {}, "地域協議会の構成"), el("dd", {}, p.council_members)] : null),
      p ? el("p", { class: "cite-line" }, chip(p.label, p.id)) : null));
  }
  if (c.overview) {
    const o = c.overview;
    const cols = [["research", "R 調査"], ["plan", "P 企画"], ["do_support", "D 支援提供"], ["do_pr", "D 広報・周知"]];
    parts.push(section("試行的事業の整理マップ（第1章）",
      el("dl", { class: "profile" }, cols.map(([k, label]) => [el("dt", {}, label), el("dd", {}, (o[k] || []).join("、") || "—")])),
      el("p", { class: "cite-line" }, chip(o.label, o.id))));
  }
  if (c.lessons.length) {
    parts.push(section("段階・ステップごとの留意点",
      c.lessons.map((ph) => el("div", { class: "phase" },
        el("h4", { class: "phase-title" }, ph.label),
        ph.steps.map((s) => el("div", { class: "step" },
          el("h5", { class: "step-title" }, s.label),
          s.records.map((r) => el("article", { class: "lesson" },
            el("h6", { class: "lesson-head" }, "■ ", r.title),
            el("p", { class: "lesson-meta" }, r.timing ? el("span", { class: "timing" }, r.timing_label || r.timing) : null,
              r.scope ? el("span", { class: "scope" }, r.scope) : null, chip(r.label, r.id, { short: true })),
            textBlock(r.text)))))))));
  }
  if (c.trials.length) parts.push(section("試行的事業", trialsTable(c.trials, { city: false })));
  if (c.breakthrough.length) {
    parts.push(section("ブレイクスルー要因", c.breakthrough.map((r) => el("article", { class: "lesson" },
      el("h4", { class: "lesson-head" }, "■ ", r.title), textBlock(r.text), el("p", { class: "cite-line" }, chip(r.label, r.id))))));
  }
  if (c.voices.length) {
    parts.push(section("連携先の声（コラム）", c.voices.map((r) => el("article", { class: "voice" },
      el("h4", { class: "voice-head" }, r.title), r.organization ? el("p", { class: "muted" }, r.organization) : null,
      r.quotes && r.quotes.length ? quotesBlock(r.quotes) : textBlock(r.text),
      el("p", { class: "cite-line" }, chip(r.label, r.id))))));
  }
  if (!p && !c.lessons.length && c.overview) {
    parts.unshift(el("p", { class: "note" }, "この自治体は、第1章の整理マップ（開始年と試行的事業の種類の一覧）にだけ載っています。取組の詳しい内容は収録されていません。",
      " ", el("a", { href: "#about" }, "収録している資料と自治体")));
  }
  if (!parts.length) parts.push(el("p", { class: "muted" }, "この自治体の記録はありません。"));
  return parts;
}

/** A cell that names its column (on phones each row is a card: style.css); its content in one
 * span, so that the card's label and value sit side by side. */
function cell(label, attrs, ...content) {
  return el("td", { ...attrs, "data-label": label }, el("span", { class: "cell" }, ...content));
}

/** The trials table; header buttons sort when `onSort` is given. */
export function trialsTable(trials, { city = true, sort = null, onSort = null } = {}) {
  const sortable = (key, label) => {
    if (!onSort) return el("th", { scope: "col" }, label);
    const state = sort === key ? "ascending" : sort === `-${key}` ? "descending" : "none";
    const arrow = state === "ascending" ? "▲" : state === "descending" ? "▼" : "↕";
    const next = state === "ascending" ? `-${key}` : key;
    return el("th", { scope: "col", "aria-sort": state },
      el("button", { type: "button", class: "sort", "data-sort": key, onclick: () => onSort(next),
                     "aria-label": `${label}で並べ替え（${state === "ascending" ? "現在 昇順" : state === "descending" ? "現在 降順" : "未選択"}）` },
        label, el("span", { class: "arrow", "aria-hidden": "true" }, arrow)));
  };
  return el("div", { class: "table-wrap" }, el("table", { class: "data trials-table cards-on-phone" },
    el("thead", {}, el("tr", {},
      city ? el("th", { scope: "col" }, "自治体") : null,
      el("th", { scope: "col" }, "事業名称"),
      el("th", { scope: "col" }, "活動の種類"),
      sortable("period", "実施時期"),
      el("th", { scope: "col" }, "発注先"),
      sortable("cost", "費用"),
      el("th", { scope: "col" }, "出典"))),
    // data-label: on phones each row is a card and the cell names its column (style.css)
    el("tbody", {}, trials.map((t) => el("tr", { dataset: { cost: t.cost_yen ?? "", id: t.id } },
      city ? cell("自治体", {}, t.city) : null,
      cell("事業名称", { class: "trial-title" }, t.title),
      cell("活動の種類", {}, t.category_label || "—"),
      cell("実施時期", { class: "period" }, periodLines(t.period)),
      cell("発注先", {}, t.vendor || "—"),
      cell("費用", { class: "num cost" }, yen(t.cost_yen, t.cost_approx)),
      cell("出典", {}, chip(t.label, t.id, { short: true })))))));
}

export { KIND_LABELS, meta };
