"""Browsing the knowledge base without a query: the phase model, cities and
their pages, the roadmap (phases → steps → what each city did) and the trial
projects with filters and sorting. Library functions behind the API and the
web page; each takes an open ``Store`` and returns plain dicts (JSON-ready)."""
from __future__ import annotations

import re
from collections import defaultdict
from typing import Any, Iterable

from kb.core.display import display_text, speaker_of
from kb.core.normalize import squash
from kb.export.timing import TIMING_WORD, timing_text
from kb.core.errors import BadQueryError, NotFoundError
from kb.core.vocab import load_json
from kb.core.vocab.answer import answer_vocab
from kb.core.records import PHASES, STEP_MARKS, STEP_NAMES, STEPS, Record, step_label
from kb.store import Store

TRIAL_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("research", "R 調査"),  # Research: 地域ニーズ・シーズ把握
    ("plan", "P 企画"),
    ("do_support", "D 支援提供"),
    ("do_pr", "D 広報・周知"),
)
CATEGORY_LABELS = dict(TRIAL_CATEGORIES)
# "do" in a filter means both kinds of D (do) activity
CATEGORY_FILTERS = {"research": {"research"}, "plan": {"plan"}, "do": {"do_support", "do_pr"},
                    "do_support": {"do_support"}, "do_pr": {"do_pr"}}
TRIAL_SORTS = ("cost", "-cost", "period", "-period", "title", "-title", "city", "-city")
FACT_LABELS = answer_vocab().fact_labels  # one table of fact labels shown to users (kb/core/vocab/answer.json)


def cited(record: Record) -> dict[str, Any]:
    """A record as a result item plus the citation label shown on its chip, its text as people
    read it (kb.core.display), the 行程表 timing in words with the Western date, and a column's
    quotes grouped under their speakers."""
    d = record.to_dict()
    d["label"] = record.citation_label()
    for key in ("title", "text", "timing", "period", "vendor"):
        if isinstance(d.get(key), str):
            d[key] = display_text(d[key])
    if record.fields.get("timing"):
        d["timing_label"] = f"{TIMING_WORD} {timing_text(record.fields.get('timing'), record.fields.get('year'))}"
    if record.kind == "column":
        d["quotes"] = quotes_of(d["text"])
    return d


def quotes_of(text: str) -> list[dict[str, Any]]:
    """A column's text as [{"speaker": 「…様」 or None, "lines": [...]}]: a bullet that only names
    a speaker heads the bullets that follow it instead of being one of them."""
    groups: list[dict[str, Any]] = [{"speaker": None, "lines": []}]
    for line in (text or "").split("\n"):
        if not line.strip():
            continue
        who = speaker_of(line)
        if who:
            groups.append({"speaker": who, "lines": []})
        else:
            groups[-1]["lines"].append(line.strip())
    return [g for g in groups if g["speaker"] or g["lines"]]


def phase_tree() -> list[dict[str, Any]]:
    """The phase model: phases with their steps, codes and labels."""
    return [{"phase": code, "label": label,
             "steps": [{"step": s, "mark": STEP_MARKS[s], "name": name, "label": step_label(s)}
                       for s, p, name in STEPS if p == code]}
            for code, label in PHASES]


# --- cities --------------------------------------------------------------------


def _cities_in_order(records: Iterable[Record]) -> list[str]:
    """Cities with a chapter 2 section first (report order), then the other
    municipalities of the chapter 1 map."""
    detailed, mapped = [], []
    for r in records:
        if not r.city:
            continue
        target = mapped if r.kind == "overview" else detailed
        if r.city not in target:
            target.append(r.city)
    return detailed + [c for c in mapped if c not in detailed]


def list_cities(store: Store) -> list[dict[str, Any]]:
    records = store.records()
    by_city: dict[str, list[Record]] = defaultdict(list)
    for r in records:
        if r.city:
            by_city[r.city].append(r)
    out = []
    for city in _cities_in_order(records):
        recs = by_city[city]
        kinds: dict[str, int] = defaultdict(int)
        for r in recs:
            kinds[r.kind] += 1
        profile = next((r for r in recs if r.kind == "profile"), None)
        out.append({"city": city, "detailed": profile is not None or kinds.get("lesson", 0) > 0,
                    "counts": dict(kinds),
                    "department": profile.fields.get("department") if profile else None,
                    "population": profile.fields.get("population") if profile else None})
    return out


def known_city(store: Store, name: str) -> str:
    name = (name or "").strip()
    cities = _cities_in_order(store.records())
    if name not in cities:
        raise NotFoundError(f"自治体「{name}」の記録はありません。登録されている自治体: {'、'.join(cities)}",
                            f"unknown city {name!r}")
    return name


def _steps_of(records: list[Record]) -> list[dict[str, Any]]:
    """Records grouped by phase → step, in the order of the phase model; empty
    steps and phases are left out."""
    phases = []
    for code, label in PHASES:
        steps = []
        for s, p, name in STEPS:
            if p != code:
                continue
            here = [cited(r) for r in records if r.step == s]
            if here:
                steps.append({"step": s, "mark": STEP_MARKS[s], "name": name, "label": step_label(s),
                              "records": here})
        if steps:
            phases.append({"phase": code, "label": label, "steps": steps})
    return phases


def city_facts(store: Store, city: str) -> list[dict[str, Any]]:
    """Facts by name with every observed value and where it was found; a fact
    whose places disagree is marked as a conflict (all values are kept)."""
    grouped: dict[str, list] = defaultdict(list)
    for f in store.facts(city=city):
        grouped[f.name].append(f)
    out = []
    for name, facts in grouped.items():
        values = [{"value": f.value, "raw": f.raw, "where": f.where, "record_id": f.record_id} for f in facts]
        out.append({"name": name, "label": FACT_LABELS.get(name, name), "values": values,
                    "conflict": len({f.value for f in facts}) > 1})
    return out


def city_page(store: Store, name: str) -> dict[str, Any]:
    city = known_city(store, name)
    recs = store.records(city=city)
    trials = trial_items(store, [r for r in recs if r.kind == "trial"])
    profile = next((r for r in recs if r.kind == "profile"), None)
    overview = next((r for r in recs if r.kind == "overview"), None)
    return {
        "city": city,
        "profile": cited(profile) if profile else None,
        "overview": cited(overview) if overview else None,
        "facts": city_facts(store, city),
        "lessons": _steps_of([r for r in recs if r.kind == "lesson"]),
        "trials": trials,
        "breakthrough": [cited(r) for r in recs if r.kind == "breakthrough"],
        "voices": [cited(r) for r in recs if r.kind == "column"],
        "context": [{"id": r.id, "title": r.title, "label": r.citation_label()}
                    for r in recs if r.kind == "context"],
    }


# --- roadmap -------------------------------------------------------------------


def roadmap(store: Store, city: str | None = None) -> dict[str, Any]:
    """Phases → steps → per city the lessons (headline, timing, citation) and the
    cross-city summary bullets of chapter 1."""
    if city:
        city = known_city(store, city)
    lessons = store.records(kind="lesson", city=city)
    summaries = store.records(kind="summary")
    cities = [c for c in _cities_in_order(lessons)]
    phases = []
    for code, label in PHASES:
        steps = []
        for s, p, name in STEPS:
            if p != code:
                continue
            by_city = {c: [cited(r) for r in lessons if r.step == s and r.city == c] for c in cities}
            steps.append({"step": s, "mark": STEP_MARKS[s], "name": name, "label": step_label(s),
                          "cities": {c: v for c, v in by_city.items() if v},
                          "summary": [cited(r) for r in summaries if r.step == s]})
        phases.append({"phase": code, "label": label, "steps": steps})
    return {"city": city, "cities": cities, "phases": phases}


# --- trial projects ------------------------------------------------------------


# the export's category codes (kb.export.trial_steps) → the codes of the trials view's filter
_CATEGORY_CODES = {"R": "research", "P": "plan", "D:支援提供": "do_support", "D:広報・周知": "do_pr"}


def trial_category(trial: Record, overview: Record | None) -> str:
    """The R/P/D kind of a trial project — the one function the trials view, the spending chart
    and the packs share (kb.export.trial_steps.trial_category), so that their sums agree."""
    from kb.export.trial_steps import trial_category as category_of
    return _CATEGORY_CODES[category_of(trial, overview)[0]]


_MONTH = re.compile(r"(\d{1,2})\s*(?:月|/\d)")


def start_month(period: str | None) -> int | None:
    """The first month named in a period text such as 「11月-:調査12月-:分析」."""
    m = _MONTH.search(period or "")
    if not m or not 1 <= int(m.group(1)) <= 12:
        return None
    return int(m.group(1))


def _fiscal_order(month: int | None) -> int:
    """April first (the Japanese fiscal year); unknown last."""
    return 99 if month is None else (month - 4) % 12


def trial_items(store: Store, trials: list[Record]) -> list[dict[str, Any]]:
    from kb.export.trial_steps import overview_by_city
    overviews = overview_by_city(store.records(kind="overview"))
    out = []
    for r in trials:
        d = cited(r)
        cat = trial_category(r, overviews.get(r.city))
        d["category"] = cat
        d["category_label"] = CATEGORY_LABELS.get(cat) if cat else None
        d["start_month"] = start_month(r.fields.get("period"))
        out.append(d)
    return out


def _int_or_none(value: Any, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise BadQueryError(f"{name}={value!r} は整数（円）で指定してください", f"{name} must be an integer in yen") from None
    if n < 0:
        raise BadQueryError(f"{name}={n} は 0 以上で指定してください", f"{name} must be >= 0")
    return n


def list_trials(store: Store, *, city: str | None = None, category: str | None = None,
                min_cost: Any = None, max_cost: Any = None, q: str | None = None,
                sort: str | None = None) -> dict[str, Any]:
    """Trial projects filtered by city, R/P/D category, cost range (yen) and a
    text; sorted by cost, period (fiscal-year order), title or city. A trial
    without a cost is left out of cost-range filters and sorts last."""
    if city:
        city = known_city(store, city)
    if category and category not in CATEGORY_FILTERS:
        raise BadQueryError(f"category={category!r} は不正です。{', '.join(CATEGORY_FILTERS)} のいずれか",
                            f"unknown category; use one of {', '.join(CATEGORY_FILTERS)}")
    lo, hi = _int_or_none(min_cost, "min_cost"), _int_or_none(max_cost, "max_cost")
    if lo is not None and hi is not None and lo > hi:
        raise BadQueryError(f"min_cost={lo} が max_cost={hi} より大きくなっています", "min_cost > max_cost")
    if sort and sort not in TRIAL_SORTS:
        raise BadQueryError(f"sort={sort!r} は不正です。{', '.join(TRIAL_SORTS)} のいずれか",
                            f"unknown sort; use one of {', '.join(TRIAL_SORTS)}")
    q = (q or "").strip()
    if len(q) > 100:
        raise BadQueryError(f"検索語が長すぎます（{len(q)} 文字、100 文字まで）", f"q too long: {len(q)} > 100 chars")
    items = trial_items(store, store.records(kind="trial", city=city))
    if category:
        items = [t for t in items if t["category"] in CATEGORY_FILTERS[category]]
    if lo is not None:
        items = [t for t in items if t.get("cost_yen") is not None and t["cost_yen"] >= lo]
    if hi is not None:
        items = [t for t in items if t.get("cost_yen") is not None and t["cost_yen"] <= hi]
    if q:
        key = squash(q).lower()
        items = [t for t in items if key in squash(" ".join(str(t.get(f) or "") for f in
                                                           ("title", "text", "vendor", "city"))).lower()]
    if sort:
        items = _sorted_trials(items, sort)
    return {"trials": items, "total": len(items),
            "categories": [{"code": c, "label": lbl} for c, lbl in TRIAL_CATEGORIES],
            "sorts": list(TRIAL_SORTS)}


def _sorted_trials(items: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    desc, field = sort.startswith("-"), sort.lstrip("-")
    if field == "cost":
        known = [t for t in items if t.get("cost_yen") is not None]
        unknown = [t for t in items if t.get("cost_yen") is None]
        return sorted(known, key=lambda t: t["cost_yen"], reverse=desc) + unknown
    if field == "period":
        known = [t for t in items if t["start_month"] is not None]
        unknown = [t for t in items if t["start_month"] is None]
        return sorted(known, key=lambda t: _fiscal_order(t["start_month"]), reverse=desc) + unknown
    return sorted(items, key=lambda t: t.get(field) or "", reverse=desc)


# --- documents and records -----------------------------------------------------

DOCUMENT_FIELDS = ("id", "title", "file", "format", "publisher", "date", "region", "recognized", "pages",
                   "origin", "ingested_at")


def list_documents(store: Store) -> list[dict[str, Any]]:
    counts: dict[str, int] = defaultdict(int)
    for r in store.records():
        counts[r.source.document] += 1
    return [{**{k: d.get(k) for k in DOCUMENT_FIELDS}, "recognized": bool(d["recognized"]),
             "records": counts[d["id"]]} for d in store.documents()]


def about(store: Store) -> dict[str, Any]:
    """The 資料について view: which reports are in the knowledge base (publisher, date, pages, records
    by kind) and which municipalities they cover, how deeply — all counted from the records: a
    municipality with its own section (profile, lessons, trials …) is covered in detail; one that
    appears only in a row of the chapter 1 map is covered by that row alone."""
    records = store.records()
    by_doc: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in records:
        by_doc[r.source.document][r.kind] += 1
    documents = []
    for d in store.documents():
        kinds = by_doc.get(d["id"], {})
        documents.append({**{k: d.get(k) for k in DOCUMENT_FIELDS}, "recognized": bool(d["recognized"]),
                          "date_label": date_label(d.get("date") or ""),
                          "records": sum(kinds.values()), "kinds": dict(kinds)})
    detailed, mapped = [], []
    for c in list_cities(store):
        docs = sorted({r.source.document for r in records if r.city == c["city"]})
        entry = {"city": c["city"], "counts": c["counts"], "documents": docs}
        (detailed if c["detailed"] else mapped).append(entry)
    return {"documents": documents, "detailed": detailed, "map_only": mapped,
            "kind_labels": dict(KIND_LABELS), "records": len(records)}


# How each record kind is named on the browse pages: kb/core/vocab/labels.json.
KIND_LABELS: dict[str, str] = load_json("labels")["record_kinds"]


def date_label(iso: str) -> str:
    """「2025-03」 → 「2025年3月（令和7年3月）」; other text unchanged."""
    m = re.fullmatch(r"(\d{4})-(\d{1,2})(?:-(\d{1,2}))?", iso.strip())
    if not m:
        return iso
    year, month = int(m.group(1)), int(m.group(2))
    era = f"令和{year - 2018}年" if year >= 2019 else f"平成{year - 1988}年"
    return f"{year}年{month}月（{era}{month}月）"


def record_view(store: Store, record_id: str) -> dict[str, Any]:
    """A record with its citation label, its document and where to see its source."""
    if not re.fullmatch(r"[0-9A-Za-z_\-]{1,64}", record_id or ""):
        raise NotFoundError(f"記録 {record_id[:64]!r} はありません", "unknown record id")
    r = store.record(record_id)
    doc = store.document(r.source.document)
    d = cited(r)
    d["step_name"] = STEP_NAMES.get(r.step) if r.step else None
    d["document"] = {"id": doc["id"], "title": doc["title"], "format": doc["format"]}
    d["source_view"] = source_view_of(r, doc["format"])
    return d


def source_view_of(r: Record, fmt: str) -> dict[str, Any] | None:
    """Where the web page finds the cited source: a PDF page image or text lines."""
    doc = r.source.document
    if fmt == "pdf" and r.source.page:
        return {"type": "pdf_page", "page": r.source.page,
                "url": f"/api/sources/{doc}/pages/{r.source.page}?record={r.id}"}
    if fmt == "text" and r.source.lines:
        return {"type": "text_lines", "lines": list(r.source.lines),
                "url": f"/api/sources/{doc}/lines?record={r.id}"}
    return None
