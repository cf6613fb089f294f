// 検索: a query box, filters with counts, record cards with the matching passage marked and the
// citation, an address that holds the query and filters (#search/q=…&city=…: a link to share),
// and the result list as CSV (Excel) or Markdown with citations. Record text goes in as text only.
import { KIND_LABELS, api, chip, el, errorBox, loading, meta, stepTitle } from "./ui.js";

const PARAMS = ["q", "document", "city", "phase", "step", "kind", "fy"];
const PAGE = 50;
const SHOWN_VALUES = 8; // values of a facet shown before 「ほか N 件」
let built = false;
let lastKey = null;
let limit = PAGE;
const open = new Set(); // facets whose every value is shown

/** The search the address holds: {q, city, …} (read from the raw, still-encoded hash). */
export function stateFromAddress() {
  const raw = location.hash.replace(/^#search\/?/, "");
  const params = new URLSearchParams(raw);
  const state = {};
  for (const key of PARAMS) {
    const value = (params.get(key) || "").trim();
    if (value) state[key] = value;
  }
  return state;
}

function encode(state) {
  const params = new URLSearchParams();
  for (const key of PARAMS) if (state[key]) params.set(key, state[key]);
  return params.toString().replace(/\+/g, "%20");
}

function build() {
  const root = document.getElementById("search");
  const input = el("input", { id: "search-q", type: "search", name: "q", maxlength: "500", autocomplete: "off",
                              placeholder: "例: 研修、庁内の連携、相談先リーフレット", "aria-describedby": "search-help" });
  const form = el("form", { id: "search-form", class: "search-form", role: "search" },
    el("label", { for: "search-q", class: "label" }, "検索語"),
    el("div", { class: "search-row" }, input, el("button", { type: "submit", class: "primary", id: "search-submit" }, "検索")),
    el("p", { id: "search-help", class: "help" },
       "空欄のまま絞り込むと、条件に合う記録を報告書の順に一覧します。絞り込みと検索語はこのページのアドレスに入るので、そのまま共有できます。"));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    go({ ...stateFromAddress(), q: input.value.trim() });
  });
  const facets = el("details", { class: "search-facets", id: "search-facets-box" },
    el("summary", {}, "絞り込み"), el("div", { id: "search-facets" }));
  facets.open = window.matchMedia("(min-width: 901px)").matches;
  const main = el("div", { class: "search-main" },
    el("div", { id: "search-summary", class: "search-summary", role: "status", "aria-live": "polite" }),
    el("div", { id: "search-tools", class: "search-tools" }),
    el("ol", { id: "search-results", class: "search-results", "aria-label": "検索結果" }),
    el("div", { id: "search-more" }));
  root.replaceChildren(form, el("div", { class: "search-layout" }, facets, main));
  window.addEventListener("popstate", () => { if (location.hash.startsWith("#search")) showSearch(); });
  built = true;
}

/** Show the search the address holds (called by the page's router on every visit). */
export function showSearch() {
  if (!built) build();
  const state = stateFromAddress();
  const input = document.getElementById("search-q");
  if (document.activeElement !== input || !input.value) input.value = state.q || "";
  run(state);
}

function go(state) {
  limit = PAGE;
  const hash = "#search/" + encode(state);
  if (location.hash !== hash) history.pushState(null, "", hash);
  run(state);
}

async function run(state) {
  const query = encode(state);
  const key = `${query}|${limit}`;
  if (key === lastKey) return;
  lastKey = key;
  const results = document.getElementById("search-results");
  const summary = document.getElementById("search-summary");
  summary.replaceChildren(loading(state.q ? "検索しています…" : "読み込んでいます…"));
  let data;
  try {
    data = await api(`/api/search/results?${query}${query ? "&" : ""}limit=${limit}`);
  } catch (e) {
    if (key !== lastKey) return;
    lastKey = null;
    summary.replaceChildren(errorBox(e));
    results.replaceChildren();
    document.getElementById("search-facets").replaceChildren();
    document.getElementById("search-tools").replaceChildren();
    document.getElementById("search-more").replaceChildren();
    return;
  }
  if (key !== lastKey) return; // a newer search has started
  render(state, data);
}

function render(state, data) {
  const summary = document.getElementById("search-summary");
  const n = data.total;
  const words = data.query ? `「${data.query}」の検索結果 ${n} 件` : `記録 ${n} 件`;
  const order = data.query ? "関連度の高い順（上位 100 件まで）" : "報告書の順";
  summary.replaceChildren(
    el("p", { class: "count" }, el("strong", {}, words), `　${order}`),
    data.exact ? null : el("p", { class: "help" },
      "絞り込みは、検索語に関連の高い上位 100 件の中から選んでいます（件数はその内訳です）。"));
  renderTools(data);
  renderFacets(state, data);
  const list = document.getElementById("search-results");
  list.replaceChildren(...data.results.map((r) => card(r)));
  if (!data.results.length) {
    list.replaceChildren(el("li", { class: "search-empty" },
      "該当する記録はありません。検索語を短くするか、絞り込みを外してください。"));
  }
  const more = document.getElementById("search-more");
  more.replaceChildren();
  if (data.results.length < n && limit < 100) {
    more.appendChild(el("button", { type: "button", class: "search-more", onclick: () => { limit = 100; run(state); } },
      `さらに表示（あと ${Math.min(n, 100) - data.results.length} 件）`));
  }
}

function renderTools(data) {
  const link = location.origin + location.pathname + data.address;
  const field = el("input", { type: "text", readonly: true, value: link, class: "search-link", "aria-label": "この検索のアドレス" });
  const copy = el("button", { type: "button", onclick: async (ev) => {
    field.select();
    try { await navigator.clipboard.writeText(link); ev.currentTarget.textContent = "コピーしました"; }
    catch (e) { ev.currentTarget.textContent = "選択しました（Ctrl+C でコピー）"; }
  } }, "リンクをコピー");
  document.getElementById("search-tools").replaceChildren(
    el("div", { class: "search-share" }, field, copy),
    el("div", { class: "search-export" },
      el("span", { class: "muted" }, "結果を出力:"),
      el("a", { class: "button", href: data.export.csv, download: "", id: "search-export-csv" }, "CSV（Excel）"),
      el("a", { class: "button", href: data.export.markdown, download: "", id: "search-export-md" }, "Markdown（出典つき）")));
}

function renderFacets(state, data) {
  const box = document.getElementById("search-facets");
  const groups = [];
  for (const f of data.facets) {
    const values = f.values;
    if (!values.length) continue;
    const chosen = state[f.param];
    const shown = chosen || open.has(f.param) ? values : values.slice(0, SHOWN_VALUES);
    const items = shown.map((v) => {
      if (!v.value) {
        return el("li", {}, el("span", { class: "facet-value none" }, el("span", { class: "facet-label" }, v.label),
                                el("span", { class: "facet-count" }, String(v.count))));
      }
      const next = { ...state };
      if (v.selected) delete next[f.param];
      else next[f.param] = v.value;
      return el("li", {}, el("button", { type: "button", class: "facet-value", "aria-pressed": v.selected ? "true" : "false",
                                         dataset: { facet: f.param, value: v.value },
                                         title: v.selected ? "この絞り込みを外す" : `${f.label}: ${v.label} で絞り込む`,
                                         onclick: () => go(next) },
        el("span", { class: "facet-label" }, v.label), el("span", { class: "facet-count" }, String(v.count))));
    });
    const rest = values.length - shown.length;
    groups.push(el("section", { class: "facet", "aria-label": f.label, dataset: { facet: f.param } },
      el("h3", { class: "facet-title" }, f.label),
      el("ul", { class: "facet-values" }, items),
      rest > 0 ? el("button", { type: "button", class: "facet-rest",
                                onclick: () => { open.add(f.param); renderFacets(state, data); } }, `ほか ${rest} 件を表示`) : null));
  }
  const active = PARAMS.filter((k) => k !== "q" && state[k]);
  document.querySelector("#search-facets-box summary").textContent =
    active.length ? `絞り込み（${active.length} 件を選択中）` : "絞り込み";
  box.replaceChildren(
    active.length ? el("button", { type: "button", class: "facet-clear", onclick: () => go({ q: state.q }) },
                       "絞り込みをすべて外す") : null,
    ...groups);
}

function card(r) {
  const where = [r.city || "全体", KIND_LABELS[r.kind] || r.kind,
                 r.step ? stepTitle(r.step) : (meta.phaseLabels[r.phase] || ""),
                 r.fiscal_years && r.fiscal_years.length ? r.fiscal_years.map((y) => `${y}年度`).join("・") : ""]
    .filter(Boolean);
  return el("li", { class: "result-card", dataset: { record: r.id } },
    el("p", { class: "result-meta" }, where.map((w, i) => el("span", { class: i === 1 ? "kind" : "result-facet" }, w))),
    el("h3", { class: "result-title" }, r.title || KIND_LABELS[r.kind] || "記録"),
    snippet(r),
    el("p", { class: "result-cite" }, chip(r.label, r.id)));
}

/** The passage marked inside a little of its context; without a passage, the start of the text. */
function snippet(r) {
  const text = r.text || "";
  const p = r.passage;
  if (!p) {
    return el("p", { class: "result-text" }, text.length > 160 ? `${text.slice(0, 160)}…` : text);
  }
  const before = text.slice(Math.max(0, p.start - 60), p.start);
  const after = text.slice(p.end, p.end + 100);
  return el("p", { class: "result-text" },
    p.start > 60 ? "…" : "", before, el("mark", { class: "passage" }, text.slice(p.start, p.end)), after,
    p.end + 100 < text.length ? "…" : "");
}
