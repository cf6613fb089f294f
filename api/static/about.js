// 資料について: which reports the knowledge base holds and which municipalities
// they cover, how deeply (counted from the records by the server: kb.browse.about).
import { api, el, errorBox, loading } from "./ui.js";

const SHOWN_KINDS = ["lesson", "trial", "profile", "column", "breakthrough", "summary", "overview", "measure", "context"];

export async function showAbout() {
  const out = document.getElementById("about");
  out.replaceChildren(loading());
  try {
    const data = await api("/api/about");
    out.replaceChildren(...aboutView(data));
  } catch (e) {
    out.replaceChildren(errorBox(e));
  }
}

function kindCounts(kinds, labels) {
  return SHOWN_KINDS.filter((k) => kinds[k]).map((k) => `${labels[k] || k} ${kinds[k]}`).join("、");
}

function aboutView(data) {
  const labels = data.kind_labels || {};
  const parts = [];
  parts.push(el("h3", { class: "section-title" }, `収録している報告書（${data.documents.length} 件）`));
  if (!data.documents.length) {
    parts.push(el("p", { class: "muted" }, "まだ報告書が取り込まれていません。`pfkb build` で corpus/ の報告書を取り込んでください。"));
  }
  parts.push(el("ul", { class: "doc-cards" }, data.documents.map((d) => el("li", { class: "doc-card" },
    el("p", { class: "doc-title" }, d.title),
    el("dl", { class: "profile" },
      el("dt", {}, "発行"), el("dd", {}, d.publisher || "記載なし"),
      el("dt", {}, "発行時期"), el("dd", {}, d.date_label || d.date || "記載なし"),
      d.region ? [el("dt", {}, "対象地域"), el("dd", {}, d.region)] : null,
      el("dt", {}, "形式"), el("dd", {}, d.format === "pdf" ? `PDF（${d.pages ?? "?"} ページ）`
        : "テキスト版（PDF から書き出した文字データ。出典は行番号で示します）"),
      el("dt", {}, "記録"), el("dd", {}, `${d.records} 件（${kindCounts(d.kinds || {}, labels)}）`),
      d.recognized ? null : [el("dt", {}, "注意"), el("dd", {}, "報告書の構成を認識できず、本文を「その他の記載」として取り込みました。")])))));

  parts.push(el("h3", { class: "section-title" }, "対象の自治体"));
  parts.push(el("p", {}, `詳しく載っている自治体: ${data.detailed.length}　／　第1章の整理マップにだけ載っている自治体: ${data.map_only.length}`));
  if (data.detailed.length) {
    parts.push(el("h4", { class: "sub-title" }, "事例が詳しく載っている自治体（概要・留意点・試行的事業・団体の声）"));
    parts.push(el("ul", { class: "city-cards" }, data.detailed.map((c) => el("li", {},
      el("a", { class: "city-card", href: `#city/${encodeURIComponent(c.city)}` },
        el("span", { class: "city-card-name" }, c.city),
        el("span", { class: "city-card-counts" }, kindCounts(c.counts, labels)))))));
  }
  if (data.map_only.length) {
    parts.push(el("h4", { class: "sub-title" }, "第1章の整理マップにだけ載っている自治体"));
    parts.push(el("p", { class: "muted" }, "連携PF と地域協議会の開始年、試行的事業の種類（R / P / D）の一覧の 1 行だけです。取組の詳しい内容や留意点はありません。"));
    parts.push(el("ul", { class: "city-mini" }, data.map_only.map((c) =>
      el("li", {}, el("a", { href: `#city/${encodeURIComponent(c.city)}` }, c.city)))));
  }
  parts.push(el("p", { class: "muted" }, `記録は全部で ${data.records} 件です。回答と一覧は、これらの記録の記載だけに基づきます。`));
  return parts;
}
