"""Scoring `pfkb ask`, per question file: gold citation rate (a gold record among the citations),
key-point coverage (the `must` groups a question carries, found in `summary`), answer and summary
length, refusal precision and recall, follow-up success (questions with a `history`), and a grounding
check (every statement's content words and numbers appear in the records it cites).

A follow-up's earlier turns are asked first, as the web page asks them, and go with it as the page sends
them: each with its answer, an unanswered (refused) turn left out (``answers=False``: questions only, as
a --history file of questions gives them)."""
from __future__ import annotations

import statistics
import time
from typing import Any

from eval.metrics import any_gold, evidence_match, squash_nfkc
from eval.questions import Question
from kb.core.settings import Settings

TARGETS = {"citation_hit_rate": 0.95, "no_evidence_recall": 1.0, "false_refusals": 0, "grounded": 1.0}


def must_coverage(summary_text: str, must: list[list[str]]) -> float:
    """Share of the `must` groups of which the summary states one alternative (after NFKC, no spaces)."""
    if not must:
        return 1.0
    text = squash_nfkc(summary_text)
    return sum(1 for group in must if any(squash_nfkc(alt) in text for alt in group if alt)) / len(must)


def cites_gold(d: dict[str, Any], q: Question) -> bool:
    cites = d["citations"]
    if q.gold:
        return any(any_gold(c, q.gold) for c in cites)
    return any(evidence_match(c["title"] + "\n" + c["text"], q.evidence) for c in cites)


def documents_held(q: Question, documents: set[str]) -> bool:
    """False when the question's gold names (``document~``) only documents the knowledge base lacks."""
    wanted = [g["document~"] for g in q.gold if "document~" in g]
    return not wanted or any(w in d for w in wanted for d in documents)


def with_answers(settings: Settings, history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The earlier turns as the page sends them: each asked in turn, with the thread before it; a turn
    that carries its own answer keeps it; a refused turn does not join the thread (api/static/ask.js)."""
    from kb.answer.pipeline import ask
    thread: list[dict[str, Any]] = []
    for t in history:
        if t.get("answer"):
            thread.append(t)
            continue
        a = ask(settings, t["question"], use_llm=False, history=thread[-5:] or None)
        if not a.no_evidence:
            thread.append({"question": t["question"], "answer": a.answer})
    return thread


def run_ask_eval(settings: Settings, questions: list[Question], answers: bool = True) -> dict[str, Any]:
    from kb.answer.grounding import GroundingChecker
    from kb.answer.pipeline import ask
    from kb.search.searcher import get_searcher
    searcher = get_searcher(settings)
    checker = GroundingChecker(searcher.tokenizer)
    documents = {r.source.document for r in searcher.corpus.records}
    held = [q for q in questions if documents_held(q, documents)]
    skipped = len(questions) - len(held)  # their gold names a document this knowledge base lacks
    questions = held
    answerable = hit = refused = 0
    ne_true = ne_pred = ne_correct = 0
    statements = grounded = 0
    must_scores: list[float] = []
    lengths: list[int] = []
    summary_lengths: list[int] = []
    followups = followups_ok = 0
    misses: list[dict[str, Any]] = []
    ungrounded: list[dict[str, Any]] = []
    times = []
    for q in questions:
        history = q.extra.get("history") or None
        is_followup = bool(history)
        if history and answers:
            history = with_answers(settings, history) or None
        t0 = time.perf_counter()
        a = ask(settings, q.question, use_llm=False, history=history)
        times.append((time.perf_counter() - t0) * 1000)
        d = a.to_dict()
        summary_text = "\n".join(k["text"] for k in d["summary"])
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
            ok = False
            if a.no_evidence:
                refused += 1
                misses.append({"id": q.id, "question": q.question, "why": "refused an answerable question"})
            else:
                lengths.append(len(d["answer"]))
                summary_lengths.append(len(summary_text))
                ok = cites_gold(d, q)
                hit += ok
                if not ok:
                    misses.append({"id": q.id, "question": q.question, "why": "no gold record among the citations"})
            if q.extra.get("must"):
                score = must_coverage(summary_text, q.extra["must"]) if not a.no_evidence else 0.0
                must_scores.append(score)
                if score < 1.0 and not a.no_evidence:
                    misses.append({"id": q.id, "question": q.question, "why": f"key points {score:.2f} in summary"})
            if is_followup:
                followups += 1
                followups_ok += bool(ok and (not q.extra.get("must") or must_scores[-1] > 0))
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
        "skipped_missing_document": skipped,
        "answerable": answerable,
        "citation_hit_rate": hit / answerable if answerable else 0.0,
        "false_refusals": refused,
        "false_refusal_rate": refused / answerable if answerable else 0.0,
        "unanswerable": ne_true,
        "no_evidence_recall": ne_correct / ne_true if ne_true else 1.0,
        "no_evidence_precision": ne_correct / ne_pred if ne_pred else 1.0,
        "must_questions": len(must_scores),
        "must_coverage": statistics.fmean(must_scores) if must_scores else 1.0,
        "answer_chars_median": statistics.median(lengths) if lengths else 0,
        "summary_chars_median": statistics.median(summary_lengths) if summary_lengths else 0,
        "summary_chars_max": max(summary_lengths) if summary_lengths else 0,
        "followups": followups,
        "followup_success": followups_ok / followups if followups else 1.0,
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
        f"| gold citation rate (answerable, gold record cited) | {r['citation_hit_rate']:.3f} ({r['answerable']} q) | ≥ 0.9 |",
        f"| key points (`must`) in summary | {r['must_coverage']:.3f} ({r['must_questions']} q) | ≥ 0.8 |",
        f"| answerable questions refused | {r['false_refusals']} ({r['false_refusal_rate']:.3f}) | ≤ 3% |",
        f"| refusal recall (unanswerable refused) | {r['no_evidence_recall']:.3f} ({r['unanswerable']} q) | ≥ 0.95 |",
        f"| refusal precision | {r['no_evidence_precision']:.3f} | — |",
        f"| follow-ups answered with gold | {r['followup_success']:.3f} ({r['followups']} q) | — |",
        f"| answer length, median chars (summary median / max) | {r['answer_chars_median']:.0f} "
        f"({r['summary_chars_median']:.0f} / {r['summary_chars_max']}) | summary ≤ ~400 |",
        f"| grounded statements | {r['grounded']:.3f} ({r['statements']} statements) | 1.0 |",
        f"| latency p50 / p95 (ms, in-process, cold per question) | {r['p50_ms']:.1f} / {r['p95_ms']:.1f} | — |",
    ] + ([f"| questions skipped (their document is not in the knowledge base) | {r['skipped_missing_document']} | — |"]
         if r.get("skipped_missing_document") else []))


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
