#!/usr/bin/env python
"""Benchmark `ask` (no LLM): warm, in-process, over the dev questions, with the
search result and query-embedding caches OFF, against search alone measured in
the same run. Prints p50/p95/p99 in ms and ratios. Usage:

    python scripts/bench_ask.py [--data-dir DIR] [--rounds 5]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", default=str(ROOT / "data"))
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    from eval.questions import DEV_QUESTIONS, read_questions
    from kb.answer.pipeline import ask
    from kb.search.index import build_index, current_index_dir
    from ingest.pipeline import ingest_corpus
    from kb.search.searcher import Searcher
    from kb.core.settings import Settings
    settings = Settings(data_dir=Path(args.data_dir), corpus_dir=ROOT / "corpus")
    if current_index_dir(settings) is None:
        print("building the knowledge base first …", file=sys.stderr)
        ingest_corpus(settings)
        build_index(settings)
    searcher = Searcher(settings, cache=False)
    questions = [q.question for q in read_questions(DEV_QUESTIONS)]
    for q in questions[:3]:  # warm-up: model loaded, tokenizer dictionary mapped
        ask(settings, q, use_llm=False, searcher=searcher)

    def measure(fn) -> list[float]:
        out = []
        for _ in range(args.rounds):
            for q in questions:
                t0 = time.perf_counter()
                fn(q)
                out.append((time.perf_counter() - t0) * 1000)
        return out

    runs = {
        "dense search (k=10)": measure(lambda q: searcher.search(q, k=10, mode="dense")),
        "hybrid search (k=10)": measure(lambda q: searcher.search(q, k=10)),
        "ask (no LLM)": measure(lambda q: ask(settings, q, use_llm=False, searcher=searcher)),
    }
    print(f"{len(questions)} dev questions x {args.rounds} rounds, warm, caches off, in-process")
    print(f"{'':24}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'mean':>9}")
    for name, xs in runs.items():
        print(f"{name:24}{pct(xs, 50):9.1f}{pct(xs, 95):9.1f}{pct(xs, 99):9.1f}{statistics.mean(xs):9.1f}")
    a, h, d = runs["ask (no LLM)"], runs["hybrid search (k=10)"], runs["dense search (k=10)"]
    print(f"ask p95 / hybrid search p95 = {pct(a, 95) / pct(h, 95):.2f}x; ask p95 / dense search p95 = "
          f"{pct(a, 95) / pct(d, 95):.2f}x")
    target = 60.0
    print(f"target ask p95 <= {target:.0f} ms: {'met' if pct(a, 95) <= target else 'NOT met'} ({pct(a, 95):.1f} ms)")


if __name__ == "__main__":
    main()
