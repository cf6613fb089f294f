// 質問する: the ask box and the answer, rendered from its blocks (headings by
// phase/step, statements with their citation chips, tables, notes).
import { api, chip, el, errorBox, KIND_LABELS, loading, stepTitle, meta } from "./ui.js";

const TYPE_LABELS = {
  setup: "立ち上げの進め方", step: "ステップについて", city: "自治体について", fact: "事実の確認",
  compare: "比較", partner: "連携先・団体", trial: "試行的事業", out_of_scope: "資料の範囲外", general: "一般",
};

export function initAsk() {
  const form = document.getElementById("ask-form");
  const box = document.getElementById("question");
  form.addEventListener("submit", (ev) => { ev.preventDefault(); ask(box.value); });
  box.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); ask(box.value); }
  });
  for (const b of form.querySelectorAll("button.example")) {
    b.addEventListener("click", () => { box.value = b.textContent; ask(box.value); });
  }
}

// the no-evidence sentence is the server's (GET /api/meta), never a copy of our own
let NO_EVIDENCE = "";
const wordsLoaded = api("/api/meta").then((m) => { NO_EVIDENCE = m.no_evidence_text || ""; }).catch(() => {});

let pending = 0;

export async function ask(question) {
  const out = document.getElementById("answer");
  const submit = document.getElementById("ask-submit");
  const q = (question || "").trim();
  if (!q) {
    out.replaceChildren(el("div", { class: "error", role: "alert" }, el("p", {}, "質問を入力してください。")));
    document.getElementById("question").focus();
    return;
  }
  const ticket = ++pending;
  out.setAttribute("aria-busy", "true");
  submit.disabled = true;
  out.replaceChildren(loading("回答を作成しています…"));
  try {
    const data = await api("/api/ask", { json: { question: q } });
    await wordsLoaded;
    if (ticket === pending) out.replaceChildren(renderAnswer(data));
  } catch (e) {
    if (ticket === pending) out.replaceChildren(errorBox(e));
  } finally {
    if (ticket === pending) { out.removeAttribute("aria-busy"); submit.disabled = false; }
  }
}

function labelsOf(data) {
  const labels = {};
  for (const c of [...(data.citations || []), ...(data.related || [])]) labels[c.id] = c.label || c.title;
  return labels;
}

export function renderAnswer(data) {
  const labels = labelsOf(data);
  const chips = (ids) => (ids && ids.length
    ? el("span", { class: "chips" }, ids.map((id) => chip(labels[id] || "出典", id))) : null);
  const parts = [];
  parts.push(el("div", { class: "answer-head" },
    el("p", { class: "asked" }, el("span", { class: "asked-label" }, "質問"), el("span", { class: "asked-text" }, data.question || "")),
    data.question_type ? el("span", { class: "badge" }, TYPE_LABELS[data.question_type] || data.question_type) : null));

  let blocks = data.blocks || [];
  if (data.no_evidence) {
    // the box says it once; the composer's notes that follow say why
    blocks = blocks.map((b) => (b.type === "note" && NO_EVIDENCE && (b.text || "").startsWith(NO_EVIDENCE)
      ? { ...b, text: b.text.slice(NO_EVIDENCE.length).replace(/^[。.\s]+/, "") } : b)).filter((b) => b.type !== "note" || b.text);
    parts.push(el("div", { class: "no-evidence", role: "note" },
      NO_EVIDENCE ? el("p", { class: "no-evidence-title" }, NO_EVIDENCE) : null,
      el("p", {}, "取り込んだ報告書の中に、この質問に答える記載は見つかりませんでした。言い回しを変えるか、下の関連する記録を確認してください。"),
      el("p", {}, el("a", { href: "#about", class: "about-link" }, "収録している資料と自治体（資料について）"))));
  }

  const body = el("div", { class: "answer-body" });
  for (const b of withoutRepeats(blocks)) body.appendChild(renderBlock(b, chips));
  const phases = [...body.querySelectorAll("h3.block-phase")];
  if (phases.length >= 3) parts.push(contents(phases));
  if (!(data.blocks || []).length && data.answer && !data.no_evidence) {
    body.appendChild(el("div", { class: "plain-answer" }, data.answer));
  }
  if (body.childNodes.length) parts.push(body);

  if ((data.conflicts || []).length) {
    parts.push(el("section", { class: "conflicts", "aria-label": "資料により記載が異なる点" },
      el("h3", {}, "資料により記載が異なる点"),
      el("ul", {}, data.conflicts.map((c) => el("li", {},
        el("strong", {}, `${c.city} ${factLabel(c.name)}: `),
        (c.values || []).map((v, i) => el("span", { class: "conflict-value" },
          i ? "／" : "", `${v.raw}（${v.where}）`, v.record_id ? chip(labels[v.record_id] || v.where, v.record_id, { short: true }) : null)))))));
  }

  const related = data.related || [];
  if (related.length) {
    parts.push(el("section", { class: "related", "aria-label": "関連する記録" },
      el("h3", {}, "関連する記録"),
      el("ul", { class: "record-list" }, related.map(recordItem))));
  }

  const cites = data.citations || [];
  if (cites.length) {
    parts.push(el("details", { class: "citations" },
      el("summary", {}, `出典一覧（${cites.length} 件）`),
      el("ol", {}, cites.map((c) => el("li", {}, chip(c.label || c.title, c.id))))));
  }
  return el("article", { class: "answer-card" }, parts);
}

/** In-answer contents: one button per phase heading (the address hash is the
 * page's router, so these scroll instead of linking). */
function contents(headings) {
  return el("nav", { class: "answer-toc", "aria-label": "回答の目次" },
    el("span", { class: "toc-label" }, "目次:"),
    headings.map((h) => {
      h.setAttribute("tabindex", "-1");
      return el("button", { type: "button", class: "toc-item",
                            onclick: () => { h.scrollIntoView({ block: "start" }); h.focus({ preventScroll: true }); } },
                h.textContent);
    }));
}

/** A statement that says again what one before it under the same heading said (a trial's
 * 成果検証結果 and its detail page's 結果 quote the same sentence) is shown once. */
export function withoutRepeats(blocks) {
  let seen = new Set();
  const value = (t) => (t || "").replace(/^[^:：。]{1,24}[:：]\s*/, "").replace(/[\s。.]+$/g, "").replace(/\s+/g, "");
  return blocks.filter((b) => {
    if (b.type === "heading") { seen = new Set(); return true; }
    if (b.type !== "statement") return true;
    const v = value(b.text);
    if (v.length >= 8 && seen.has(v)) return false;
    seen.add(v);
    return true;
  });
}

/** A quoted bullet that opens with 「上述の通り、」 points at text the reader does not see: the opener
 * goes, the statement stays (as kb.core.display.without_dangling_reference does for the exports). */
export function withoutBackReference(text) {
  return text.replace(/(^|\s—\s|。)[・\s]*(?:上述|前述|先述|既述|上記)(?:の|した)?(?:通り|とおり|ように|様に)[、,，\s]*/g, "$1");
}

function factLabel(name) {
  return { pf_start: "連携PF 立ち上げ年度", council_start: "地域協議会 設置年度" }[name] || name;
}

function renderBlock(b, chips) {
  switch (b.type) {
    case "heading": {
      const tag = b.level === 3 ? "h4" : "h3";
      const text = b.text || (b.step ? stepTitle(b.step) : meta.phaseLabels[b.phase] || "");
      return el(tag, { class: b.level === 3 ? "block-step" : "block-phase", dataset: { phase: b.phase || "", step: b.step || "" } }, text);
    }
    case "statement":
      return el("p", { class: "statement" }, el("span", { class: "statement-text" }, withoutBackReference(b.text || "")), " ", chips(b.citations));
    case "table":
      return el("div", { class: "table-wrap" },
        el("table", { class: "data" },
          el("thead", {}, el("tr", {}, (b.columns || []).map((c) => el("th", { scope: "col" }, c)))),
          el("tbody", {}, (b.rows || []).map((row) => el("tr", {}, row.map((cell) => el("td", {}, cell)))))),
        chips(b.citations));
    case "note":
      return el("p", { class: "note" }, b.text || "");
    default:
      return el("p", {}, b.text || "");
  }
}

export function recordItem(r) {
  return el("li", { class: "record-item" },
    el("span", { class: "kind" }, KIND_LABELS[r.kind] || r.kind),
    el("span", { class: "record-title" }, r.title || ""),
    chip(r.label || r.title, r.id));
}
