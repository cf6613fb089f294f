"""Shared helpers for writing the held-out question sets (eval/sets/*.jsonl).

The sets are written by hand from the documents (see README.md here); this module only
holds the gold-constraint shorthands and the fixed, stratified tune/test split.
"""
from __future__ import annotations

import json
import random
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20261201  # fixed: changing it re-splits every set (never do that once test files exist)

REPORT_DOC = "r6-kanto-chugoku1-kyushu"
PLAN_DOC = "juten"


# --- gold shorthands (fields of the search contract: kind, city, phase, step, scope, title~) ---
def L(city, step, scope=None, title=None):
    g = {"kind": "lesson", "city": city, "step": step}
    if scope:
        g["scope"] = scope
    if title:
        g["title~"] = title
    return g


def T(city, title):
    return {"kind": "trial", "city": city, "title~": title}


def P(city):
    return {"kind": "profile", "city": city}


def B(city):
    return {"kind": "breakthrough", "city": city}


def C(city, title):
    return {"kind": "column", "city": city, "title~": title}


def S(step, title):
    return {"kind": "summary", "step": step, "title~": title}


def O(city):
    return {"kind": "overview", "city": city}


def X(city, title):
    """A context record (narrative, 従前からの取組, chapter 1 prose); city may be None."""
    g = {"kind": "context", "title~": title}
    if city:
        g["city"] = city
    return g


def PG(printed, pdf):
    """A passage of the national plan (parts I–II) on printed page `printed` (PDF index `pdf`)."""
    return {"document~": PLAN_DOC, "page": printed, "pdf_page": pdf}


# --- split ---
def split(items: list[dict], key: str = "type", balance: bool = False) -> list[dict]:
    """Stratified half/half split with a fixed seed: within each type, shuffle and give the
    first ceil(n/2) to tune, the rest to test. With balance, odd strata alternate between
    ceil and floor (in sorted stratum order) so that many small strata still split evenly.
    Order in the output follows the input."""
    groups: dict[str, list[str]] = defaultdict(list)
    for it in items:
        groups[it.get(key, "")].append(it["id"])
    rng = random.Random(SEED)
    assign: dict[str, str] = {}
    odd = 0
    for t in sorted(groups):
        ids = sorted(groups[t])
        rng.shuffle(ids)
        half = (len(ids) + 1) // 2
        if balance and len(ids) % 2:
            half -= odd
            odd ^= 1
        for i, qid in enumerate(ids):
            assign[qid] = "tune" if i < half else "test"
    out = []
    for it in items:
        d = {"id": it["id"], "split": assign[it["id"]]}
        d.update({k: v for k, v in it.items() if k != "id"})
        out.append(d)
    return out


def check_ids(name: str, items: list[dict]) -> None:
    ids = [it["id"] for it in items]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise SystemExit(f"{name}: duplicate ids {sorted(dup)}")


def write_split(name: str, items: list[dict], part: str) -> int:
    """Every item into ``{name}_{part}.jsonl`` (a set with no other half), id and split first."""
    check_ids(name, items)
    with open(HERE / f"{name}_{part}.jsonl", "w", encoding="utf-8") as f:
        for it in items:
            d = {"id": it["id"], "split": part}
            d.update({k: v for k, v in it.items() if k not in ("id", "split")})
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    return len(items)


def write_sets(name: str, items: list[dict], key: str = "type", balance: bool = False) -> dict[str, int]:
    check_ids(name, items)
    rows = split(items, key, balance)
    counts = {}
    for part in ("tune", "test"):
        sel = [r for r in rows if r["split"] == part]
        counts[part] = len(sel)
        with open(HERE / f"{name}_{part}.jsonl", "w", encoding="utf-8") as f:
            for r in sel:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return counts


def q(qid, qtype, question, gold, evidence=(), must=(), **extra):
    d = {"id": qid, "type": qtype, "question": question, "gold": list(gold),
         "evidence": list(evidence), "must": [list(g) for g in must]}
    d.update(extra)
    return d


def out_of_scope(rows) -> list[dict]:
    """The question lines of refusal rows (id, category, question, probe terms): out of scope, nothing to
    cite, the category as ``note``."""
    return [{"id": i, "type": "out_of_scope", "question": qq, "gold": [], "evidence": [], "must": [],
             "expect_no_evidence": True, "note": cat} for i, cat, qq, _ in rows]


def probe(rows, every: bool = False) -> None:
    """Print where each probe term of the refusal rows (id, category, question, terms) occurs in the
    documents, to check by eye that none of them answers (``every``: also the rows with no hit)."""
    from check import norm, plan_pages, report_regions
    rep = report_regions()["__all__"]
    plan = "".join(plan_pages().values())
    for i, cat, qq, terms in rows:
        hits = []
        for t in terms:
            nt = norm(t)
            for name, text in (("report", rep), ("plan", plan)):
                k = text.find(nt)
                if k >= 0:
                    hits.append(f"{t}@{name}×{text.count(nt)}:…{text[max(0, k - 25):k + 35]}…")
        if hits or every:
            print(i, cat, qq, "" if hits else "— no hit")
            for h in hits:
                print("    ", h)
