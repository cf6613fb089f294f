// 試行的事業 (sortable table), 比較 (cities side by side by step) and
// 図・資料出力 (charts, export downloads, the list of reports).
import { trialsTable } from "./browse.js";
import { api, chip, el, errorBox, loading, meta } from "./ui.js";

// --- 試行的事業 ---------------------------------------------------------------

const trialState = { sort: "" };

export async function showTrials() {
  const out = document.getElementById("trials");
  const params = new URLSearchParams();
  const city = document.getElementById("trials-city").value;
  const category = document.getElementById("trials-category").value;
  const q = document.getElementById("trials-q").value.trim();
  if (city) params.set("city", city);
  if (category) params.set("category", category);
  if (q) params.set("q", q);
  if (trialState.sort) params.set("sort", trialState.sort);
  const focusedSort = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.sort : null;
  if (!out.childNodes.length) out.replaceChildren(loading());
  try {
    const data = await api(`/api/trials?${params}`);
    const table = trialsTable(data.trials, { sort: trialState.sort, onSort: (s) => { trialState.sort = s; showTrials(); } });
    out.replaceChildren(el("p", { class: "count", role: "status" }, `${data.total} 件`), table);
    // keep the keyboard where it was: on the header button just pressed
    if (focusedSort) {
      const again = out.querySelector(`button.sort[data-sort="${focusedSort}"]`);
      if (again) again.focus();
    }
  } catch (e) {
    out.replaceChildren(errorBox(e));
  }
}

export function initTrials() {
  for (const id of ["trials-city", "trials-category"]) document.getElementById(id).addEventListener("change", showTrials);
  let timer = null;
  document.getElementById("trials-q").addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(showTrials, 250);
  });
}

// --- 比較 ---------------------------------------------------------------------

export function initCompare() {
  const box = document.getElementById("compare-cities");
  box.replaceChildren(...meta.cities.filter((c) => c.detailed).map((c, i) => el("label", { class: "check" },
    el("input", { type: "checkbox", name: "city", value: c.city, checked: i < 2 }), c.city)));
  const step = document.getElementById("compare-step");
  for (const p of meta.phases) {
    step.appendChild(el("optgroup", { label: p.label }, p.steps.map((s) => el("option", { value: s.step }, s.label))));
  }
  document.getElementById("compare-form").addEventListener("submit", (ev) => { ev.preventDefault(); showCompare(); });
}

export async function showCompare() {
  const out = document.getElementById("compare");
  const cities = [...document.querySelectorAll("#compare-cities input:checked")].map((i) => i.value);
  const step = document.getElementById("compare-step").value;
  if (cities.length < 2 || cities.length > 3) {
    out.replaceChildren(el("div", { class: "error", role: "alert" }, el("p", {}, "自治体を 2〜3 選んでください。")));
    return;
  }
  const params = new URLSearchParams({ cities: cities.join(",") });
  if (step) params.set("step", step);
  out.replaceChildren(loading());
  try {
    const data = await api(`/api/compare?${params}`);
    out.replaceChildren(...compareView(data, step));
  } catch (e) {
    if (e.status === 404 && e.code === "not_found" && /\/api\/compare/.test(e.message)) {
      out.replaceChildren(el("p", { class: "muted" }, "比較の機能は、このサーバーではまだ使えません。"));
    } else {
      out.replaceChildren(errorBox(e));
    }
  }
}

function compareView(data, step) {
  const cities = data.cities || [];
  const parts = [];
  const profiles = Array.isArray(data.profiles) ? data.profiles : Object.values(data.profiles || {});
  if (profiles.length) {
    const rows = [["department", "担当部局"], ["population", "人口"], ["pf_start", "連携PF 立ち上げ"], ["council_start", "地域協議会"]];
    parts.push(el("h3", { class: "section-title" }, "概要"), el("div", { class: "table-wrap" }, el("table", { class: "data compare-table" },
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "項目"), profiles.map((p) => el("th", { scope: "col" }, p.city)))),
      el("tbody", {}, rows.map(([k, label]) => el("tr", {}, el("th", { scope: "row" }, label),
        profiles.map((p) => el("td", {}, p[k] || "—")))),
        el("tr", {}, el("th", { scope: "row" }, "出典"), profiles.map((p) => el("td", {}, p.citation || "")))))));
  }
  parts.push(el("h3", { class: "section-title" }, "ステップごとの取組"));
  parts.push(el("div", { class: "table-wrap" }, el("table", { class: "data compare-table" },
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "ステップ"), cities.map((c) => el("th", { scope: "col" }, c)))),
    el("tbody", {}, (data.steps || []).map((s) => el("tr", {},
      el("th", { scope: "row" }, s.label || s.step),
      cities.map((c) => el("td", {}, practiceList((s.cells || {})[c] || [])))))))));
  // the export reads the cities from the question (kb/export/question.py)
  const q = new URLSearchParams({ question: `${cities.join("と")}の比較` });
  if (step) q.set("step", step);
  const labels = { md: "Markdown", docx: "Word", pptx: "PowerPoint" };
  parts.push(el("div", { class: "export-links" }, el("span", {}, "この比較を資料にする:"),
    Object.entries(labels).map(([f, label]) => {
      const p = new URLSearchParams(q);
      p.set("format", f);
      return el("a", { class: "button", href: `/api/export?${p}`, download: "" }, label);
    })));
  return parts;
}

function practiceList(items) {
  if (!items.length) return el("span", { class: "muted" }, "記載なし");
  return el("ul", { class: "lessons" }, items.map((p) => el("li", { class: "lesson-line" },
    el("span", { class: "lesson-title" }, p.title || ""),
    (p.details || []).length ? el("span", { class: "detail" }, p.details[0]) : null,
    p.timing ? el("span", { class: "timing" }, p.timing) : null,
    p.scope ? el("span", { class: "scope" }, p.scope) : null,
    (p.id || p.record_id) ? chip(p.citation || p.label || "出典", p.id || p.record_id, { short: true }) : null)));
}

// --- 図・資料出力 --------------------------------------------------------------

const CHARTS = [
  ["matrix", "段階 × 自治体の取組マトリクス"],
  ["timeline", "立ち上げの時期（タイムライン）"],
  ["spending", "試行的事業の費用"],
];

export function initCharts() {
  const phase = document.getElementById("export-phase");
  const step = document.getElementById("export-step");
  for (const p of meta.phases) {
    phase.appendChild(el("option", { value: p.phase }, p.label));
    step.appendChild(el("optgroup", { label: p.label }, p.steps.map((s) => el("option", { value: s.step }, s.label))));
  }
  for (const id of ["export-phase", "export-step", "export-city"]) document.getElementById(id).addEventListener("change", exportLinks);
  document.getElementById("charts-city").addEventListener("change", showCharts);
}

export function showCharts() {
  const city = document.getElementById("charts-city").value;
  const q = city ? `?city=${encodeURIComponent(city)}` : "";
  document.getElementById("charts").replaceChildren(...CHARTS.map(([name, title]) => {
    const fig = el("figure", { class: "chart" });
    const img = el("img", { src: `/api/charts/${name}.svg${q}`, alt: title, loading: "lazy" });
    img.addEventListener("error", () => img.replaceWith(el("p", { class: "muted" }, "この図は表示できません（まだ用意されていないか、データがありません）。")));
    fig.append(img, el("figcaption", {}, title, " ",
      el("a", { href: `/api/charts/${name}.svg${q}`, download: "" }, "SVG"), " ",
      el("a", { href: `/api/charts/${name}.png${q}`, download: "" }, "PNG")));
    return fig;
  }));
  exportLinks();
  showDocuments();
}

function exportLinks() {
  const params = new URLSearchParams();
  for (const [id, key] of [["export-phase", "phase"], ["export-step", "step"], ["export-city", "city"]]) {
    const v = document.getElementById(id).value;
    if (v) params.set(key, v);
  }
  const labels = { md: "Markdown", docx: "Word（研修資料）", pptx: "PowerPoint（ワークショップ）" };
  document.getElementById("export-links").replaceChildren(...Object.entries(labels).map(([f, label]) => {
    const p = new URLSearchParams(params);
    p.set("format", f);
    return el("a", { class: "button", href: `/api/export?${p}`, download: "" }, label);
  }));
}

async function showDocuments() {
  const out = document.getElementById("documents");
  try {
    const { documents } = await api("/api/documents");
    out.replaceChildren(el("div", { class: "table-wrap" }, el("table", { class: "data" },
      el("thead", {}, el("tr", {}, ["報告書", "発行", "形式", "記録数", "取り込み"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, documents.map((d) => el("tr", {},
        el("td", {}, d.title), el("td", {}, [d.publisher, d.date].filter(Boolean).join(" ")),
        el("td", {}, d.format === "pdf" ? `PDF（${d.pages ?? "?"} ページ）` : "テキスト"),
        el("td", { class: "num" }, String(d.records)), el("td", {}, d.ingested_at || "")))))));
  } catch (e) {
    out.replaceChildren(errorBox(e));
  }
}
