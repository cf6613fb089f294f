"""Facets of a record for the search page: document, municipality, phase, step, kind and the
fiscal years it speaks of, and their counts over a set of records.

Fiscal years are read from the record's own words and fields, by the calendar rules alone
(no list of the corpus' years): 令和N年度 / RN年度 / 平成N年度 / 2024年度 name a fiscal year;
a date with a month (令和7年3月, R6 4月, 2025年1月) falls in the fiscal year that starts in April;
a bare 令和5年 / 2023年 is taken as that year. A record that names no year belongs to the
fiscal year of its document (a report dated 2025-03 covers FY2024), when the document is dated."""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from typing import Any, Iterable, Mapping

from kb.core.errors import BadQueryError
from kb.core.records import PHASE_LABELS, Record, step_label
from kb.core.vocab import load_json

FACETS = ("document", "city", "phase", "step", "kind", "fiscal_year")
# the names of the facets and of record kinds, as the browse pages show them (kb/core/vocab/labels.json)
FACET_LABELS: dict[str, str] = load_json("labels")["facets"]
KIND_NAMES: dict[str, str] = load_json("labels")["record_kinds"]
NO_VALUE = ""  # the facet bucket of records without a value (e.g. no city: chapter 1, national plan)

ERAS = {"令和": 2018, "R": 2018, "平成": 1988, "H": 1988}  # era year 1 = offset + 1
_ERA = r"(?P<era>令和|平成|R|H)\s*(?P<n>\d{1,2}|元)\s*"
_ERA_YEAR = re.compile(_ERA + r"(?:(?P<fy>年度)|年?\s*(?P<m>\d{1,2})\s*月|(?P<y>年))")
_WEST_YEAR = re.compile(r"(?<!\d)(?P<w>(?:19[89]|20[0-9])\d)\s*(?:(?P<fy>年度)|年\s*(?P<m>\d{1,2})\s*月|(?P<y>年))")
_FY_INPUT = re.compile(r"^(?:FY)?(?P<w>\d{4})(?:年度?)?$|^" + _ERA + r"(?:年度?)?$")


def fiscal_year_of(year: int, month: int | None) -> int:
    """The fiscal year (April to March) of a calendar year and month."""
    return year - 1 if month is not None and 1 <= month <= 3 else year


def fiscal_years_in(text: str) -> set[int]:
    """Every fiscal year a text names: 「令和6年度」→2024, 「R7 1月」→2024, 「2025年3月」→2024."""
    s = unicodedata.normalize("NFKC", text or "")
    out: set[int] = set()
    for m in _ERA_YEAR.finditer(s):
        n = 1 if m.group("n") == "元" else int(m.group("n"))
        if m.group("era") in ("R", "H") and not (m.group("fy") or m.group("m")):
            continue  # a bare 「R5年」 is rare; 「H2年」 is more often a part number than a year
        year = ERAS[m.group("era")] + n
        month = int(m.group("m")) if m.group("m") else None
        out.add(fiscal_year_of(year, month if month and 1 <= month <= 12 else None))
    for m in _WEST_YEAR.finditer(s):
        month = int(m.group("m")) if m.group("m") else None
        out.add(fiscal_year_of(int(m.group("w")), month if month and 1 <= month <= 12 else None))
    return out


def document_fiscal_year(date: str | None) -> int | None:
    """「2025-03」 → 2024 (a report dated March closes the fiscal year before)."""
    m = re.match(r"^(\d{4})(?:-(\d{1,2}))?", (date or "").strip())
    if not m:
        return None
    return fiscal_year_of(int(m.group(1)), int(m.group(2)) if m.group(2) else None)


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


def record_fiscal_years(record: Record, document_year: int | None = None) -> tuple[int, ...]:
    """The fiscal years a record speaks of (title, text, its fields), else its document's year."""
    years: set[int] = set()
    for s in (record.title, record.text, *_strings(dict(record.fields))):
        years |= fiscal_years_in(s)
    for key in ("year", "pf_start", "council_start"):  # years ingest already resolved
        v = record.fields.get(key)
        if isinstance(v, int) and 1989 <= v <= 2100:
            years.add(v)
    if not years and document_year is not None:
        years.add(document_year)
    return tuple(sorted(years))


def parse_fiscal_year(value: str) -> str:
    """A fiscal-year filter as people write it → 「2024」: 2024, FY2024, 2024年度, 令和6年度, R6."""
    s = unicodedata.normalize("NFKC", str(value)).strip().replace(" ", "")
    m = _FY_INPUT.match(s)
    if not m:
        raise BadQueryError(f"年度 fy={value!r} は読めません。2024 / 2024年度 / 令和6年度 / R6 のように指定してください",
                            f"unknown fiscal year {value!r}; use e.g. 2024 or 令和6年度")
    if m.group("w"):
        year = int(m.group("w"))
    else:
        n = 1 if m.group("n") == "元" else int(m.group("n"))
        year = ERAS[m.group("era")] + n
    if not 1989 <= year <= 2100:
        raise BadQueryError(f"年度 fy={value!r} は範囲外です", "fiscal year out of range")
    return str(year)


def fiscal_year_label(year: str) -> str:
    """「2024年度（令和6年度）」"""
    if not year:
        return "年度の記載なし"
    y = int(year)
    era = f"令和{y - 2018}年度" if y >= 2019 else f"平成{y - 1988}年度"
    return f"{y}年度（{era.replace('令和1年', '令和元年').replace('平成1年', '平成元年')}）"


def record_facets(record: Record, fiscal_years: tuple[int, ...]) -> dict[str, tuple[str, ...]]:
    """Facet values of one record; fiscal_year may hold several."""
    return {"document": (record.source.document,), "city": (record.city or NO_VALUE,),
            "phase": (record.phase or NO_VALUE,), "step": (record.step or NO_VALUE,), "kind": (record.kind,),
            "scope": (record.scope or NO_VALUE,),
            "fiscal_year": tuple(str(y) for y in fiscal_years) or (NO_VALUE,)}


def matches(values: Mapping[str, tuple[str, ...]], filters: Mapping[str, str]) -> bool:
    return all(want in values.get(key, ()) for key, want in filters.items())


def count_facets(values: Iterable[Mapping[str, tuple[str, ...]]]) -> dict[str, Counter]:
    counts = {f: Counter() for f in FACETS}
    for v in values:
        for f in FACETS:
            counts[f].update(set(v.get(f, ())))
    return counts


def value_label(facet: str, value: str, documents: Mapping[str, Mapping[str, Any]] | None = None) -> str:
    if facet == "document":
        doc = (documents or {}).get(value) or {}
        return doc.get("title") or value
    if facet == "fiscal_year":
        return fiscal_year_label(value)
    if not value:
        return {"city": "自治体名なし（全体）", "phase": "段階なし", "step": "ステップなし"}.get(facet, "なし")
    if facet == "phase":
        return PHASE_LABELS.get(value, value)
    if facet == "step":
        return step_label(value) if value else value
    if facet == "kind":
        return KIND_NAMES.get(value, value)
    return value


_ORDER = {"phase": list(PHASE_LABELS), "kind": list(KIND_NAMES)}


def facet_lists(counts: Mapping[str, Counter], selected: Mapping[str, str],
                documents: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, list[dict[str, Any]]]:
    """Counts as the page shows them: ``[{value, label, count, selected}]`` per facet, in the
    facet's natural order (phases and steps in the model's order, years descending, others by count)."""
    from kb.core.records import STEP_CODES
    out: dict[str, list[dict[str, Any]]] = {}
    for facet in FACETS:
        items = list(counts.get(facet, Counter()).items())
        if facet == "step":
            items.sort(key=lambda kv: (STEP_CODES.index(kv[0]) if kv[0] in STEP_CODES else 99))
        elif facet in _ORDER:
            items.sort(key=lambda kv: (_ORDER[facet].index(kv[0]) if kv[0] in _ORDER[facet] else 99))
        elif facet == "fiscal_year":
            items.sort(key=lambda kv: kv[0], reverse=True)  # newest first; "" (no year) last
        else:
            items.sort(key=lambda kv: (kv[0] == NO_VALUE, -kv[1], kv[0]))
        out[facet] = [{"value": v, "label": value_label(facet, v, documents), "count": c,
                       "selected": selected.get(facet) == v} for v, c in items]
    return out
