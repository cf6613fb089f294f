"""Validates the held-out question sets in eval/sets/ against the documents themselves.

  python eval/sets/check.py                 # all *_tune.jsonl / *_test.jsonl here
  python eval/sets/check.py --db PATH       # also count the records each gold constraint admits

Checks, per line: valid JSON object; id unique across every set here and the older eval/ files;
"split" equal to the file's suffix; known fields; gold / evidence / must well-formed; every
evidence substring occurs in the cited text after NFKC and whitespace removal (report: within the
chapter of the gold's city, or chapter 1 for city-less / overview gold; national plan: on the
cited PDF page, text extracted with pdfplumber); every title~ occurs in that chapter; every must
group has an alternative in the document (questions that compute a figure, types total/count/
superlative/compare, may state a figure not printed); out-of-scope lines have gold [] and no
evidence; follow-ups carry a non-empty history. With --db (a pfkb.sqlite3 built from the corpus),
each report gold constraint must admit 1..3 records and each evidence should lie in a record
the gold admits (reported; no search code is used).
Exit status 1 when any error is found.
"""
from __future__ import annotations

import argparse
import json
import logging
import re
import sqlite3
import sys
import unicodedata
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
REPORT_TXT = ROOT / "corpus" / "000_4d4ef3ddf692a859.txt"
PLAN_PDF_CANDIDATES = [ROOT / "corpus" / "juten_keikaku_r7_gaiyou_kihonhoushin.pdf",
                       Path("/work/shared/corpus-extra/juten_keikaku_r7_gaiyou_kihonhoushin.pdf")]
OLD_FILES = [ROOT / "eval" / "dev_questions.jsonl", ROOT / "eval" / "own_questions.jsonl"]

GOLD_KEYS = {"kind", "city", "phase", "step", "scope", "title~", "document~", "page", "pdf_page"}
KINDS = {"lesson", "breakthrough", "trial", "profile", "column", "summary", "overview", "context", "measure"}
STEPS = {"1", "2", "3", "4-1", "4-2", "5", "6", "7", "8", "9"}
PHASES = {"initial", "preparation", "launch", "self_sustaining"}
COMPUTED_TYPES = {"total", "count", "superlative", "compare"}
FIELDS = {"id", "split", "type", "question", "gold", "evidence", "must", "history",
          "expect_no_evidence", "note", "lang"}


def norm(s: str) -> str:
    s = unicodedata.normalize("NFKC", s)
    s = re.sub(r"<[^>]+>", "", s)          # HTML fragments in table cells
    return re.sub(r"\s+", "", s)


# ---------- the documents ----------
def report_regions() -> dict[str | None, str]:
    """Chapter text per city (None: chapter 1 incl. the 14-city map)."""
    lines = REPORT_TXT.read_text(encoding="utf-8").splitlines()
    idx = {}
    for n, line in enumerate(lines):
        for key, head in (("ch1", "第1章 調査研究事業の概要"), ("福岡市", "2-1. 福岡市"),
                          ("熊本市", "2-2. 熊本市"), ("市原市", "2-3. 市原市")):
            if line.strip() == head:
                idx[key] = n            # last occurrence wins (the first is the table of contents)
    bounds = [("ch1", idx["ch1"], idx["福岡市"]), ("福岡市", idx["福岡市"], idx["熊本市"]),
              ("熊本市", idx["熊本市"], idx["市原市"]), ("市原市", idx["市原市"], len(lines))]
    out: dict[str | None, str] = {}
    for key, a, b in bounds:
        out[None if key == "ch1" else key] = norm("\n".join(lines[a:b]))
    out["__all__"] = norm("\n".join(lines))
    return out


def plan_pages() -> dict[int, str]:
    import pdfplumber
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    path = next((p for p in PLAN_PDF_CANDIDATES if p.exists()), None)
    if path is None:
        raise SystemExit("国の重点計画の PDF が見つかりません: " + ", ".join(map(str, PLAN_PDF_CANDIDATES)))
    with pdfplumber.open(path) as pdf:
        return {i: norm(p.extract_text() or "") for i, p in enumerate(pdf.pages, start=1)}


# ---------- checks ----------
class Checker:
    def __init__(self, db: Path | None):
        self.errors: list[str] = []
        self.warnings: list[str] = []
        self.report = report_regions()
        self.plan = plan_pages()
        self.db = sqlite3.connect(db) if db else None
        self.admitted: list[int] = []

    def err(self, where, msg):
        self.errors.append(f"{where}: {msg}")

    def warn(self, where, msg):
        self.warnings.append(f"{where}: {msg}")

    def region_for(self, gold: list[dict]) -> tuple[str, str]:
        """The text an answer to this gold must come from, and its label."""
        if any("document~" in g for g in gold):
            pages = sorted({g["pdf_page"] for g in gold if "pdf_page" in g})
            return "".join(self.plan.get(p, "") for p in pages), f"plan PDF p{pages}"
        cities = {g.get("city") if g.get("kind") not in ("overview",) else None for g in gold}
        return "".join(self.report[c] for c in cities if c in self.report), f"report {sorted(map(str, cities))}"

    def check_gold(self, where, g):
        bad = set(g) - GOLD_KEYS
        if bad:
            self.err(where, f"unknown gold keys {sorted(bad)}")
        if "document~" in g:
            if not isinstance(g.get("page"), int) or not isinstance(g.get("pdf_page"), int):
                self.err(where, "plan gold needs integer page (printed) and pdf_page")
                return
            text = self.plan.get(g["pdf_page"], "")
            printed = re.search(r"(\d+)$", text)
            if not printed or int(printed.group(1)) != g["page"]:
                self.err(where, f"PDF page {g['pdf_page']} does not print page {g['page']}")
            return
        if g.get("kind") not in KINDS:
            self.err(where, f"gold kind {g.get('kind')!r} unknown")
        if "step" in g and g["step"] not in STEPS:
            self.err(where, f"step {g['step']!r} unknown")
        if "phase" in g and g["phase"] not in PHASES:
            self.err(where, f"phase {g['phase']!r} unknown")
        city = g.get("city")
        if city is not None and city not in self.report:
            if g.get("kind") != "overview" or norm(city) not in self.report[None]:
                self.err(where, f"city {city!r} has no chapter / map row")
        if "title~" in g:
            region = self.report[None] if g.get("kind") in ("summary", "overview") or city is None \
                else self.report.get(city, "")
            if norm(g["title~"]) not in region:
                self.err(where, f"title~ {g['title~']!r} not in the text of {city or '第1章'}")
        if not any(k in g for k in ("city", "step", "title~", "phase")):
            self.err(where, "gold constraint too loose (kind only)")
        if self.db is not None:
            n = self.count_records(g)
            self.admitted.append(n)
            if n == 0:
                self.err(where, f"gold {g} admits no record in the db")
            elif n > 3:
                self.warn(where, f"gold {g} admits {n} records")

    def all_texts(self) -> list[str]:
        if not hasattr(self, "_all"):
            self._all = [norm(t + x) for t, x in self.db.execute("select title, text from records")]
        return self._all

    def count_records(self, g) -> int:
        return len(self.admitted_texts(g))

    def admitted_texts(self, g) -> list[str]:
        sql, args = "select title, text from records where kind=?", [g["kind"]]
        for k in ("city", "phase", "step", "scope"):
            if k in g:
                sql += f" and {k}=?"
                args.append(g[k])
        rows = list(self.db.execute(sql, args))
        if "title~" in g:
            rows = [r for r in rows if norm(g["title~"]) in norm(r[0])]
        return [norm(r[0] + r[1]) for r in rows]

    def check_line(self, where, d, part, name):
        for k in ("id", "question", "type", "split"):
            if not d.get(k) or not isinstance(d.get(k), str):
                self.err(where, f"missing or empty {k!r}")
        if d.get("split") != part:
            self.err(where, f"split {d.get('split')!r} in a *_{part} file")
        extra = set(d) - FIELDS
        if extra:
            self.err(where, f"unknown fields {sorted(extra)}")
        gold, ev, must = d.get("gold", None), d.get("evidence", []), d.get("must", [])
        if not isinstance(gold, list) or not isinstance(ev, list) or not isinstance(must, list):
            self.err(where, "gold, evidence and must must be lists")
            return
        if name.startswith("followup"):
            h = d.get("history")
            if not isinstance(h, list) or not h or not all(isinstance(t, dict) and t.get("question") for t in h):
                self.err(where, "follow-up needs history: [{question}, ...]")
        if d["type"] == "out_of_scope":
            if gold or ev or must:
                self.err(where, "out_of_scope needs gold [], evidence [], must []")
            if d.get("expect_no_evidence") is not True:
                self.err(where, "out_of_scope needs expect_no_evidence: true")
            return
        if not gold:
            self.err(where, "answerable question without gold")
        if not ev:
            self.err(where, "answerable question without evidence")
        if name.startswith(("report", "plan")) and not must:
            self.err(where, "answerable question without must groups")
        for g in gold:
            if not isinstance(g, dict):
                self.err(where, "gold items are objects")
                return
            self.check_gold(where, g)
        region, label = self.region_for(gold)
        for e in ev:
            ne = norm(e)
            if not (8 <= len(ne) <= 30):
                self.warn(where, f"evidence length {len(ne)}: {e!r}")
            if ne not in region:
                elsewhere = ne in self.report["__all__"] or any(ne in t for t in self.plan.values())
                self.err(where, f"evidence {e!r} not in {label}" + (" (found elsewhere)" if elsewhere else ""))
        if self.db is not None and not any("document~" in g for g in gold):
            texts = [t for g in gold for t in self.admitted_texts(g)]
            for e in ev:
                if not any(norm(e) in t for t in texts):
                    self.warn(where, f"evidence {e!r} in no record the gold admits (db)")
                others = sum(1 for t in self.all_texts() if norm(e) in t and t not in texts)
                if others:
                    self.warn(where, f"evidence {e!r} also in {others} record(s) the gold does not admit (db)")
        for grp in must:
            if not isinstance(grp, list) or not grp or not all(isinstance(a, str) and a for a in grp):
                self.err(where, f"must group {grp!r} malformed")
                continue
            if not any(norm(a) in region for a in grp):
                (self.warn if d["type"] in COMPUTED_TYPES else self.err)(
                    where, f"no alternative of must group {grp} in {label}")

    def run(self, files: list[Path]) -> int:
        ids = Counter()
        for old in OLD_FILES:
            if old.exists():
                for line in old.read_text(encoding="utf-8").splitlines():
                    if line.strip():
                        ids[json.loads(line)["id"]] += 1
        counts = {}
        for f in files:
            m = re.match(r"(.+)_(tune|test\d*)\.jsonl$", f.name)
            if not m:
                continue
            name, part = m.groups()
            types = Counter()
            for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), start=1):
                where = f"{f.name}:{n}"
                if not line.strip():
                    continue
                try:
                    d = json.loads(line)
                except json.JSONDecodeError as e:
                    self.err(where, f"bad JSON ({e.msg})")
                    continue
                if not isinstance(d, dict):
                    self.err(where, "not an object")
                    continue
                where += f" [{d.get('id')}]"
                ids[d.get("id")] += 1
                types[d.get("type")] += 1
                self.check_line(where, d, part, name)
            counts[f.name] = (sum(types.values()), dict(types))
        for i, c in ids.items():
            if c > 1:
                self.err("ids", f"id {i!r} used {c} times")
        for fname, (n, types) in sorted(counts.items()):
            print(f"{fname:28s} {n:4d}  {types}")
        if self.admitted:
            s = sorted(self.admitted)
            print(f"records admitted per report gold constraint: median {s[len(s) // 2]}, max {s[-1]}, "
                  f"n={len(s)}")
        for w in self.warnings:
            print("WARN ", w)
        for e in self.errors:
            print("ERROR", e)
        print(f"{len(self.errors)} errors, {len(self.warnings)} warnings")
        return 1 if self.errors else 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--db", type=Path, help="pfkb.sqlite3 to count the records each gold admits")
    a = ap.parse_args(argv)
    files = a.files or sorted(HERE.glob("*_t*.jsonl"))
    return Checker(a.db).run(files)


if __name__ == "__main__":
    sys.exit(main())
