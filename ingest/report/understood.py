"""What was understood of one document: which recognisers fired, records per kind, the share of
the text in structured records vs ``context``, steps labelled vs inferred, pages not placed."""
from __future__ import annotations

from collections import Counter
from typing import Any, Iterable

from ingest.model import block_loc, block_text
from ingest.recognise.tree import Section
from kb.core.normalize import squash
from kb.core.records import Record
from kb.core.vocab import load_json


def understanding_of(records: Iterable[Record], tree: Section, fired: dict[str, int], classifier: bool) -> dict[str, Any]:
    records = list(records)
    kinds = Counter(r.kind for r in records)
    size = Counter()
    for r in records:
        size["context" if r.kind == "context" else "structured"] += len(squash(r.text))
    total = sum(size.values()) or 1
    lessons = [r for r in records if r.kind in ("lesson", "summary")]
    steps = Counter(r.fields.get("step_source") or ("label" if r.step else "none") for r in lessons)
    placed_pages, text_pages = _placed_pages(records, tree)
    structured = sorted(k for k in kinds if k != "context")
    why = ""
    if not structured:
        heads = sum(1 for s in tree.walk() if s.heading is not None)
        why = (f"自治体名の見出し・段階の見出し・番号付きの項目が見つかりません（見出し {heads} 件）; "
               f"context {kinds.get('context', 0)} 件")
    return {
        "recognisers": dict(sorted(fired.items())),
        "records_by_kind": dict(sorted(kinds.items())),
        "structured_kinds": structured,
        "structured_share": round(size["structured"] / total, 3),
        "context_share": round(size["context"] / total, 3),
        "steps": {"label": steps.get("label", 0), "inferred": steps.get("inferred", 0), "none": steps.get("none", 0)},
        "step_classifier": classifier,
        "unplaced_pages": sorted(text_pages - placed_pages),
        "why": why,
    }


def _placed_pages(records: list[Record], tree: Section) -> tuple[set[int], set[int]]:
    """Pages with text, and those of them whose text reached a record (a block is placed when the
    start of its text appears in some record's text or title)."""
    corpus = "\n".join(squash(r.title) + "\n" + squash(r.text) for r in records)
    text_pages: set[int] = set()
    placed: set[int] = set()
    for s in tree.walk():
        for b in ([s.heading] if s.heading is not None else []) + s.blocks:
            if type(b).__name__ in ("Toc", "Furniture"):
                continue  # a contents list or page furniture is not text to place
            page = block_loc(b).page
            key = squash(block_text(b)).replace("\t", "")
            if page is None or len(key) < 4:
                continue
            text_pages.add(page)
            if page in placed:
                continue
            if any(part[:12] and part[:12] in corpus for part in key.split("\n") if len(part) >= 4):
                placed.add(page)
    return placed, text_pages


# --- kept with the document's notes, read back by `pfkb stats` -------------------------------

UNDERSTOOD_SECTION = "(理解)"  # the note that carries what the recognisers found
# What each recogniser found, named for people: kb/core/vocab/labels.json.
_RECOGNISER_NAMES: dict[str, str] = load_json("labels")["recognisers"]


def understanding_note(u: dict[str, Any]) -> str:
    """The part of the understanding that records alone cannot give back (as a note's message)."""
    import json
    return json.dumps({k: u[k] for k in ("recognisers", "unplaced_pages", "why")}, ensure_ascii=False)


def stored_understanding(records: Iterable[Record], notes: Iterable[Any]) -> dict[str, Any]:
    """One stored document's understanding, from its records and its (理解) note."""
    import json
    records = list(records)
    kept: dict[str, Any] = {}
    for n in notes:
        if n.section == UNDERSTOOD_SECTION:
            try:
                kept = json.loads(n.message)
            except ValueError:
                kept = {}
    kinds = Counter(r.kind for r in records)
    size: Counter = Counter()
    for r in records:
        size["context" if r.kind == "context" else "structured"] += len(squash(r.text))
    total = sum(size.values()) or 1
    lessons = [r for r in records if r.kind in ("lesson", "summary")]
    steps = Counter(r.fields.get("step_source") or ("label" if r.step else "none") for r in lessons)
    return {
        "recognisers": kept.get("recognisers", {}),
        "records_by_kind": dict(sorted(kinds.items())),
        "structured_share": round(size["structured"] / total, 3),
        "context_share": round(size["context"] / total, 3),
        "steps": {"label": steps.get("label", 0), "inferred": steps.get("inferred", 0), "none": steps.get("none", 0)},
        "unplaced_pages": kept.get("unplaced_pages", []),
        "why": kept.get("why", ""),
    }


def understanding_line(u: dict[str, Any]) -> str:
    """「認識: 自治体（報告書形式） 3, … | 構造化 77% / context 23% | 段階: ラベル 130・推定 0 | 未配置ページ: なし」"""
    fired = ", ".join(f"{_RECOGNISER_NAMES.get(k, k)} {v}" for k, v in u["recognisers"].items()) or "なし"
    kinds = ", ".join(f"{k} {v}" for k, v in u["records_by_kind"].items())
    pages = ", ".join(f"p.{p}" for p in u["unplaced_pages"][:10]) or "なし"
    line = (f"認識: {fired} | {kinds} | 構造化 {u['structured_share']:.0%} / context {u['context_share']:.0%} | "
            f"段階: ラベル {u['steps']['label']}・推定 {u['steps']['inferred']} | 未配置ページ: {pages}")
    if u.get("why"):
        line += f" | {u['why']}"
    return line
