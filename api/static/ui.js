// Shared helpers of the page. Every piece of user or record text goes into the
// page through el()/textContent — never through innerHTML — so that a question
// like <script>…</script> or a record with markup shows as text.

// How each record kind is named: the server's one table (GET /api/meta → kind_labels, from
// kb/core/vocab/labels.json), filled in by app.js before the first view is shown.
export const KIND_LABELS = {};

export const meta = { phases: [], stepLabels: {}, phaseLabels: {}, cities: [] };

/** el("p", {class: "x"}, "text", child) — attributes set as properties or attributes, children as text nodes. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    // through CSSOM: the page's CSP allows no inline style attributes
    else if (key === "style") for (const [prop, v] of Object.entries(value)) node.style.setProperty(prop, String(v));
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else if (child instanceof Node) node.appendChild(child);
    // 「~」 as 「〜」 in everything shown: the Japanese fonts draw the ASCII tilde raised (「6月˜」)
    else node.appendChild(document.createTextNode(String(child).replace(/[~\uFF5E]/g, "〜")));
  }
}

export class ApiError extends Error {
  constructor(status, body) {
    const err = (body && body.error) || {};
    super(err.message_ja || `エラーが発生しました（HTTP ${status}）`);
    this.status = status;
    this.code = err.code || "";
    this.messageEn = err.message_en || "";
  }
}

export async function api(path, options = {}) {
  const init = { headers: { Accept: "application/json" }, ...options };
  if (options.json !== undefined) {
    init.method = init.method || "POST";
    init.body = JSON.stringify(options.json);
    init.headers["Content-Type"] = "application/json";
    delete init.json;
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, { error: { message_ja: "サーバーに接続できません。ネットワークかサーバーの状態を確認してください",
                                     message_en: String(e) } });
  }
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

/** A box that says what went wrong, in Japanese with the English detail. */
export function errorBox(error) {
  return el("div", { class: "error", role: "alert" },
    el("p", { class: "error-ja" }, error.message || "エラーが発生しました"),
    error.messageEn ? el("p", { class: "error-en", lang: "en" }, error.messageEn) : null);
}

export function loading(text = "読み込んでいます…") {
  return el("p", { class: "loading", role: "status" }, text);
}

export function setStatus(text) {
  document.getElementById("status").textContent = text || "";
}

/** Citation chip: a button that opens the record and its source. `short` shows
 * only the place 「テキスト版 645〜649 行目」 / 「p.26」 where the section is already on screen. */
export function chip(label, id, { short = false } = {}) {
  const full = label || "出典";
  let text = full;
  if (short) {
    const m = full.match(/（([^（）]*)）$/);
    text = m ? m[1] : full;
  }
  return el("button", { type: "button", class: short ? "chip short" : "chip", "data-record": id, title: full,
                        "aria-label": `出典を開く: ${full}`, onclick: (ev) => openRecord(id, ev.currentTarget) },
            el("span", { class: "chip-mark", "aria-hidden": "true" }, "出典"), text);
}

/** 「11月-:調査12月-:分析」 → one line per dated part (the source runs them together). */
export function periodLines(text) {
  const parts = (text || "").split(/(?<=[^\d~〜\-/\s:：.])(?=\d{1,2}(?:月|\/\d))/).map((s) => s.trim()).filter(Boolean);
  if (!parts.length) return "—";
  return parts.flatMap((p, i) => (i ? [el("br"), p] : [p]));
}

export function yen(cost, approx) {
  if (cost === null || cost === undefined) return "—";
  const man = cost / 10000;
  const text = cost >= 10000 ? `${Number.isInteger(man) ? man.toLocaleString("ja-JP") : man.toFixed(1)}万円`
                             : `${cost.toLocaleString("ja-JP")}円`;
  return (approx ? "約" : "") + text;
}

/** 「・a。・b」 → a list; other text → paragraphs. */
export function textBlock(text) {
  const t = (text || "").trim();
  if (!t) return null;
  const parts = t.split(/(?:^|(?<=[。\n）)」]))\s*・\s*/).map((s) => s.trim()).filter(Boolean);
  if (t.startsWith("・") && parts.length) return el("ul", { class: "bullets" }, parts.map((p) => el("li", {}, p)));
  return el("div", { class: "prose" }, t.split(/\n+/).map((p) => el("p", {}, p)));
}

export function lineRange(a, b) {
  return a === b ? `${a} 行目` : `${a}〜${b} 行目`;
}

/** Where to find the record in the report: the printed page (with the PDF page index when it
 * differs) or the line of the text export. */
export function sourceText(r) {
  const s = r.source || {};
  const range = (a, b) => (b != null && String(b) !== String(a) ? `${a}〜${b}` : `${a}`);  // a passage over two pages
  if (s.printed_page && s.page && String(s.printed_page) !== String(s.page)) {
    return `p.${range(s.printed_page, s.end_printed_page)}（PDF の ${range(s.page, s.end_page)} ページ目）`;
  }
  if (s.printed_page || s.page) return `p.${range(s.printed_page || s.page, s.end_printed_page || s.end_page)}`;
  if (s.lines) return `テキスト版 ${lineRange(s.lines[0], s.lines[1])}`;
  return "";
}

/** A column's quotes under their speakers (the server found who speaks: kb.browse.quotes_of). */
export function quotesBlock(quotes) {
  return el("div", { class: "quotes" }, quotes.map((q) => el("div", { class: "quote" },
    q.speaker ? el("p", { class: "speaker" }, q.speaker) : null,
    textBlock(q.lines.join("\n")))));
}

/** One line per distinct value of a fact, each with chips for every place that gives it; places
 * that disagree are flagged (all values are kept, none is chosen). The city page and the comparison
 * both use it, so a conflict looks the same everywhere. */
export function factValues(f) {
  const groups = new Map();
  for (const v of f.values) {
    const key = v.value === null ? "null" : String(v.value);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(v);
  }
  return [
    f.conflict ? el("span", { class: "conflict-flag" }, "資料により記載が異なります") : null,
    [...groups.values()].map((vs) => el("span", { class: "fact-value" },
      el("span", {}, vs.map((v) => v.raw).filter((r, i, all) => all.indexOf(r) === i).join("／")),
      vs.map((v) => chip(v.where, v.record_id)))),
  ];
}

export function stepTitle(step) {
  return meta.stepLabels[step] || step || "";
}

// --- the record dialog -------------------------------------------------------

let opener = null;

export function initDialog() {
  const dialog = document.getElementById("record-dialog");
  document.getElementById("record-close").addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    if (opener && document.contains(opener)) opener.focus();
    opener = null;
  });
  // a click on the backdrop (outside the panel) closes it as well
  dialog.addEventListener("click", (ev) => { if (ev.target === dialog) dialog.close(); });
}

export async function openRecord(id, from) {
  const dialog = document.getElementById("record-dialog");
  const body = document.getElementById("record-body");
  const title = document.getElementById("record-title");
  opener = from || document.activeElement;
  title.textContent = "出典";
  body.replaceChildren(loading());
  if (!dialog.open) dialog.showModal();
  document.getElementById("record-close").focus();
  let r;
  try {
    r = await api(`/api/records/${encodeURIComponent(id)}`);
  } catch (e) {
    body.replaceChildren(errorBox(e));
    return;
  }
  title.textContent = r.title || KIND_LABELS[r.kind] || "記録";
  const facts = el("dl", { class: "record-meta" },
    el("dt", {}, "自治体"), el("dd", {}, r.city || "全体（自治体名なし）"),
    el("dt", {}, "種類"), el("dd", {}, KIND_LABELS[r.kind] || r.kind),
    r.step ? [el("dt", {}, "ステップ"), el("dd", {}, `${meta.phaseLabels[r.phase] || ""} ${stepTitle(r.step)}`)] : null,
    r.timing ? [el("dt", {}, "時期"), el("dd", {}, r.timing_label || r.timing)] : null,
    el("dt", {}, "出典"), el("dd", {}, r.label || ""),
    el("dt", {}, "報告書の箇所"), el("dd", {}, sourceText(r)),
    el("dt", {}, "報告書"), el("dd", {}, (r.document && r.document.title) || r.source.document));
  const source = el("div", { class: "source" }, loading("出典を読み込んでいます…"));
  const text = r.quotes && r.quotes.length ? quotesBlock(r.quotes) : textBlock(r.text);
  body.replaceChildren(facts, el("h3", { class: "dialog-sub" }, "記録の本文"), text || el("p", {}, "（本文なし）"),
                       el("h3", { class: "dialog-sub" }, "報告書の該当箇所"), source);
  showSource(r, source);
}

/** A line of the text export without the HTML tags the export left in table
 * cells (shown as text either way; the tags are conversion residue, not content). */
function cleanLine(text) {
  return text.replace(/<\/?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?\/?>/g, " ").replace(/\t/g, "　").replace(/ {2,}/g, " ").trim();
}

async function showSource(r, box) {
  const view = r.source_view;
  if (!view) {
    box.replaceChildren(el("p", { class: "muted" }, "この記録には表示できる出典の位置がありません。"));
    return;
  }
  if (view.type === "pdf_page") {
    const img = el("img", { class: "page-image", src: view.url,
                            alt: `${r.document.title} ${view.page} ページ（引用箇所を黄色で強調）` });
    img.addEventListener("error", () => box.replaceChildren(el("p", { class: "error" }, "ページの画像を表示できませんでした。")));
    box.replaceChildren(el("p", { class: "muted" }, `${sourceText(r)}。引用箇所を黄色で示しています。`), img);
    return;
  }
  try {
    const data = await api(view.url);
    const list = el("ol", { class: "lines", "aria-label": `${data.start}〜${data.end} 行（前後を含む）` },
      data.lines.map((line) => el("li", { class: line.cited ? "line cited" : "line", value: line.n },
        el("span", { class: "line-no", "aria-hidden": "true" }, String(line.n)),
        line.cited ? el("mark", {}, cleanLine(line.text)) : el("span", {}, cleanLine(line.text)))));
    box.replaceChildren(el("p", { class: "muted" }, `テキスト版 ${lineRange(data.start, data.end)}（黄色が引用箇所）`), list);
    // scroll the list (not the panel) so that the cited lines are in view
    const first = list.querySelector(".cited");
    if (first) list.scrollTop = Math.max(0, first.offsetTop - 60);
  } catch (e) {
    box.replaceChildren(errorBox(e));
  }
}
