// The page: loads the phase model and the cities once, then shows one view at
// a time by the address hash (#ask, #roadmap, #cities, #city/熊本市, #trials,
// #compare, #charts), so the back button and links work.
import { showAbout } from "./about.js";
import { initAsk } from "./ask.js";
import { showCities, showCity, showRoadmap } from "./browse.js";
import { showSearch } from "./search.js";
import { initCharts, initCompare, initTrials, showCharts, showTrials } from "./tools.js";
import { api, el, errorBox, initDialog, KIND_LABELS, meta, setStatus } from "./ui.js";

const VIEWS = ["ask", "search", "roadmap", "cities", "city", "trials", "compare", "charts", "about"];
const shown = new Set();

function route() {
  const hash = decodeURIComponent(location.hash.replace(/^#/, "")) || "ask";
  const [view, ...rest] = hash.split("/");
  const name = VIEWS.includes(view) ? view : "ask";
  for (const v of VIEWS) document.getElementById(`view-${v}`).hidden = v !== name;
  const tab = name === "city" ? "cities" : name;
  for (const a of document.querySelectorAll("nav.tabs a")) {
    if (a.dataset.view === tab) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  const titles = { ask: "質問する", search: "検索", roadmap: "ロードマップ", cities: "自治体", city: rest.join("/"), trials: "試行的事業",
                   compare: "比較", charts: "図・資料出力", about: "資料について" };
  document.title = `${titles[name]} — 連携PF 知識ベース`;
  if (name === "city") showCity(rest.join("/"));
  else if (name === "search") showSearch();
  else if (!shown.has(name)) {
    shown.add(name);
    ({ roadmap: showRoadmap, cities: showCities, trials: showTrials, charts: showCharts, about: showAbout }[name] || (() => {}))();
  }
  return name;
}

function fillCitySelects() {
  for (const id of ["roadmap-city", "trials-city", "charts-city", "export-city"]) {
    const select = document.getElementById(id);
    // cities with a chapter 2 section: the others have no lessons or trials
    for (const c of meta.cities.filter((c) => c.detailed)) {
      select.appendChild(el("option", { value: c.city }, c.city));
    }
  }
}

/** Touch screens have no Ctrl+Enter: the hint is for keyboards only. */
function keyboardHints() {
  const touch = window.matchMedia("(pointer: coarse)").matches || navigator.maxTouchPoints > 0;
  for (const hint of document.querySelectorAll(".keyboard-only")) hint.hidden = touch;
}

async function start() {
  keyboardHints();
  initDialog();
  initAsk();
  try {
    const [{ phases }, { cities }, words] = await Promise.all([api("/api/phases"), api("/api/cities"), api("/api/meta")]);
    Object.assign(KIND_LABELS, words.kind_labels || {});
    meta.phases = phases;
    meta.cities = cities;
    for (const p of phases) {
      meta.phaseLabels[p.phase] = p.label;
      for (const s of p.steps) meta.stepLabels[s.step] = s.label;
    }
  } catch (e) {
    document.getElementById("status").replaceChildren(errorBox(e));
  }
  fillCitySelects();
  initTrials();
  initCompare();
  initCharts();
  document.getElementById("roadmap-city").addEventListener("change", showRoadmap);
  document.getElementById("roadmap-summary").addEventListener("change", showRoadmap);
  window.addEventListener("hashchange", () => {
    const name = route();
    setStatus("");
    const heading = document.querySelector(`#view-${name} .view-title`);
    if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus({ preventScroll: false }); }
  });
  route();
  document.body.dataset.ready = "true";
}

start();
