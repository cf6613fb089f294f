// 試行的事業 (sortable table), 比較 (cities side by side by step) and
// 図・資料出力 (charts, export downloads, the list of reports).
import { trialsTable } from "./browse.js";
import { api, chip, el, errorBox, factValues, loading, meta } from "./ui.js";

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
  const profiles = data.profiles || {};
  const facts = data.facts || {};
  if (Object.keys(profiles).length || Object.keys(facts).length) {
    // one card per city: the same facts, conflicts shown the same way as on the city page
    parts.push(el("h3", { class: "section-title" }, "概要"));
    parts.push(el("div", { class: "compare-cards" }, cities.map((c) => {
      const p = profiles[c] || {};
      return el("section", { class: "compare-card", "aria-label": c },
        el("h4", { class: "compare-city" }, el("a", { href: `#city/${encodeURIComponent(c)}` }, c)),
        el("dl", { class: "profile" },
          p.department ? [el("dt", {}, "担当部局"), el("dd", {}, p.department)] : null,
          p.population ? [el("dt", {}, "人口"), el("dd", {}, p.population)] : null,
          (facts[c] || []).map((f) => [el("dt", {}, f.label), el("dd", {}, factValues(f))])));
    })));
  }
  parts.push(el("h3", { class: "section-title" }, "ステップごとの取組"));
  parts.push(el("div", { class: "compare-steps" }, (data.steps || []).map((s) => el("section", { class: "compare-step", "aria-label": s.label || s.step },
    el("h4", { class: "step-title" }, s.label || s.step),
    el("div", { class: "city-grid", style: { "--cols": Math.max(1, cities.length) } },
      cities.map((c) => el("div", { class: "city-col" },
        el("h5", { class: "city-name" }, c),
        practiceList((s.cells || {})[c] || []))))))));
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
    p.timing ? el("span", { class: "timing" }, p.timing_label || p.timing) : null,
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
  initChartDialog();
}

export function showCharts() {
  const city = document.getElementById("charts-city").value;
  const q = city ? `?city=${encodeURIComponent(city)}` : "";
  document.getElementById("charts").replaceChildren(...CHARTS.map(([name, title]) => {
    const fig = el("figure", { class: "chart" });
    const src = `/api/charts/${name}.svg${q}`;
    const img = el("img", { src, alt: title, loading: "lazy" });
    const open = el("button", { type: "button", class: "chart-open", "aria-label": `${title}を大きく表示`,
                                onclick: (ev) => openChart(src, title, ev.currentTarget) }, img,
                    el("span", { class: "chart-open-hint", "aria-hidden": "true" }, "タップ・クリックで拡大"));
    img.addEventListener("error", () => open.replaceWith(el("p", { class: "muted" }, "この図は表示できません（まだ用意されていないか、データがありません）。")));
    fig.append(open, el("figcaption", {}, title, " ",
      el("a", { href: `/api/charts/${name}.svg${q}`, download: "" }, "SVG"), " ",
      el("a", { href: `/api/charts/${name}.png${q}`, download: "" }, "PNG")));
    return fig;
  }));
  exportLinks();
}

/** A chart full-screen: the picture at a readable size in its own scroll box (phones pan and zoom). */
function openChart(src, title, from) {
  const dialog = document.getElementById("chart-dialog");
  document.getElementById("chart-dialog-title").textContent = title;
  const img = el("img", { src, alt: title, class: "chart-full" });
  document.getElementById("chart-dialog-body").replaceChildren(img);
  dialog.returnFocusTo = from;
  dialog.showModal();
  document.getElementById("chart-close").focus();
}

function initChartDialog() {
  const dialog = document.getElementById("chart-dialog");
  document.getElementById("chart-close").addEventListener("click", () => dialog.close());
  dialog.addEventListener("click", (ev) => { if (ev.target === dialog) dialog.close(); });
  dialog.addEventListener("close", () => { if (dialog.returnFocusTo) dialog.returnFocusTo.focus(); });
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
