"""Scoring `pfkb ask`: citation hit rate (a gold record among the citations),
no-evidence precision and recall, and a grounding check (every statement's
content words and numbers appear in the records it cites)."""
from __future__ import annotations

import time
from typing import Any

from eval.metrics import any_gold, evidence_match
from eval.questions import Question
from kb.core.settings import Settings

TARGETS = {"citation_hit_rate": 0.95, "no_evidence_recall": 1.0, "false_refusals": 0, "grounded": 1.0}


def run_ask_eval(settings: Settings, questions: list[Question]) -> dict[str, Any]:
    from kb.answer.pipeline import ask
    from kb.answer.grounding import GroundingChecker
    from kb.search.searcher import get_searcher
    checker = GroundingChecker(get_searcher(settings).tokenizer)
    answerable = hit = refused = 0
    ne_true = ne_pred = ne_correct = 0
    statements = grounded = 0
    misses: list[dict[str, Any]] = []
    ungrounded: list[dict[str, Any]] = []
    times = []
    for q in questions:
        t0 = time.perf_counter()
        a = ask(settings, q.question, use_llm=False)
        times.append((time.perf_counter() - t0) * 1000)
        d = a.to_dict()
        if q.expect_no_evidence:
            ne_true += 1
        if a.no_evidence:
            ne_pred += 1
            if q.expect_no_evidence:
                ne_correct += 1
        if q.expect_no_evidence and not a.no_evidence:
            misses.append({"id": q.id, "question": q.question, "why": "answered an out-of-corpus question"})
        if q.answerable:
            answerable += 1
            if a.no_evidence:
                refused += 1
                misses.append({"id": q.id, "question": q.question, "why": "refused an answerable question"})
            else:
                cites = d["citations"]
                ok = (
                    any(any_gold(c, q.gold) for c in cites) if q.gold else
                    any(evidence_match(c["title"] + "\n" + c["text"], q.evidence) for c in cites))
                hit += ok
                if not ok:
                    misses.append({"id": q.id, "question": q.question, "why": "no gold record among the citations"})
        by_id = {r.id: r for r in a.citations}
        for blk in d["blocks"]:
            if blk["type"] not in ("statement", "table"):
                continue
            text = blk.get("text") or " ".join(" ".join(row) for row in blk.get("rows", []))
            statements += 1
            res = checker.check(text, [by_id[c] for c in blk["citations"] if c in by_id])
            if res.ok:
                grounded += 1
            else:
                ungrounded.append({"id": q.id, "statement": text[:120], "missing_words": list(res.missing_words),
                                   "missing_numbers": list(res.missing_numbers)})
    times.sort()
    return {
        "questions": len(questions),
        "answerable": answerable,
        "citation_hit_rate": hit / answerable if answerable else 0.0,
        "false_refusals": refused,
        "no_evidence_recall": ne_correct / ne_true if ne_true else 1.0,
        "no_evidence_precision": ne_correct / ne_pred if ne_pred else 1.0,
        "statements": statements,
        "grounded": grounded / statements if statements else 1.0,
        "ungrounded": ungrounded,
        "misses": misses,
        "p50_ms": times[len(times) // 2] if times else 0.0,
        "p95_ms": times[min(len(times) - 1, int(len(times) * 0.95))] if times else 0.0,
    }


def ask_table(r: dict[str, Any]) -> str:
    return "\n".join([
        "| ask metric | value | target |",
        "|---|---|---|",
        f"| citation hit rate (answerable, gold record cited) | {r['citation_hit_rate']:.3f} ({r['answerable']} q) | ≥ 0.95 |",
        f"| answerable questions refused | {r['false_refusals']} | 0 |",
        f"| no-evidence recall (out-of-corpus answered no_evidence) | {r['no_evidence_recall']:.3f} | 1.0 |",
        f"| no-evidence precision | {r['no_evidence_precision']:.3f} | — |",
        f"| grounded statements | {r['grounded']:.3f} ({r['statements']} statements) | 1.0 |",
        f"| latency p50 / p95 (ms, in-process, cold per question) | {r['p50_ms']:.1f} / {r['p95_ms']:.1f} | — |",
    ])


def target_failures(r: dict[str, Any]) -> list[str]:
    out = []
    if r["citation_hit_rate"] + 1e-9 < TARGETS["citation_hit_rate"]:
        out.append(f"citation hit rate {r['citation_hit_rate']:.3f}")
    if r["no_evidence_recall"] < 1.0:
        out.append(f"no-evidence recall {r['no_evidence_recall']:.3f}")
    if r["false_refusals"]:
        out.append(f"{r['false_refusals']} answerable questions refused")
    if r["grounded"] < 1.0:
        out.append(f"grounding {r['grounded']:.3f}")
    return out
