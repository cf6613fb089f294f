"""A search page's result list as CSV (for Excel) and as Markdown with citations.

The CSV is UTF-8 with a byte-order mark and CRLF line ends, which Excel needs to open Japanese
text without asking; one row per record with its passage, citation label and source."""
from __future__ import annotations

import csv
import io
from typing import Any, Mapping

from kb.core.records import PHASE_LABELS, step_label
from kb.core.vocab import load_json
from kb.search.backend import SearchResult
from kb.search.facets import FACET_LABELS, KIND_NAMES, value_label

CSV_COLUMNS: tuple[str, ...] = tuple(load_json("export")["csv_columns"])  # kb/core/vocab/export.json
BOM = "\ufeff"


def _years(years: tuple[int, ...]) -> str:
    return "、".join(f"{y}年度" for y in years)


def conditions_text(query: str, filters: Mapping[str, str], documents: Mapping[str, Mapping[str, Any]]) -> str:
    """「検索語「研修」、自治体 = 熊本市」 — what produced the list, in words."""
    parts = [f"検索語「{query}」"] if query else ["検索語なし（絞り込みのみ）"]
    for key, value in filters.items():
        parts.append(f"{FACET_LABELS.get(key, key)} = {value_label(key, value, documents)}")
    return "、".join(parts)


def result_to_csv(result: SearchResult) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    for i, h in enumerate(result.hits, 1):
        r = h.record
        lines = f"{r.source.lines[0]}-{r.source.lines[1]}" if r.source.lines else ""
        w.writerow([i, KIND_NAMES.get(r.kind, r.kind), r.city or "", PHASE_LABELS.get(r.phase or "", ""),
                    step_label(r.step), _years(h.fiscal_years), r.title, h.passage.text if h.passage else "",
                    r.text, r.citation_label(), r.source.document, r.source.section,
                    r.source.page if r.source.page is not None else "", lines, r.id,
                    "" if h.score is None else f"{h.score:.6f}"])
    return (BOM + buf.getvalue()).encode("utf-8")


def _quote(text: str) -> str:
    return " ".join(text.split())


def result_to_markdown(result: SearchResult, query: str, filters: Mapping[str, str],
                       documents: Mapping[str, Mapping[str, Any]], *, url: str = "", when: str = "") -> str:
    """Numbered results, each with its passage quoted and a citation [n] into a 出典 list."""
    out = [f"# 検索結果: {query}" if query else "# 記録の一覧", "",
           f"- 条件: {conditions_text(query, filters, documents)}",
           f"- 件数: {result.total} 件" + ("（関連度の高い順）" if query else "（報告書の順）")
           + (f"、うち {len(result.hits)} 件を掲載" if len(result.hits) < result.total else "")]
    if url:
        out.append(f"- 検索の URL: {url}")
    if when:
        out.append(f"- 出力: {when}（索引 {result.version}）")
    out.append("")
    if not result.hits:
        out += ["該当する記録はありません。", ""]
    for i, h in enumerate(result.hits, 1):
        r = h.record
        meta = "・".join(x for x in (r.city or "全体", KIND_NAMES.get(r.kind, r.kind),
                                     step_label(r.step) or PHASE_LABELS.get(r.phase or "", ""),
                                     _years(h.fiscal_years)) if x)
        out.append(f"{i}. **{_quote(r.title) or KIND_NAMES.get(r.kind, r.kind)}**（{meta}）[{i}]")
        if h.passage:
            out.append(f"   > {_quote(h.passage.text)}")
    out += ["", "## 出典", ""]
    for i, h in enumerate(result.hits, 1):
        r = h.record
        doc = documents.get(r.source.document, {}).get("title") or r.source.document
        out.append(f"[{i}] {r.citation_label()} — {doc}、{r.source.section}（記録 {r.id}）")
    out.append("")
    return "\n".join(out)
