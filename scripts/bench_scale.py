#!/usr/bin/env python
"""Scale benchmark: synthetic corpora of 1×, 10×, 50× the records, built and searched.

    python scripts/bench_scale.py                          # 1, 10, 50 with reused embeddings
    python scripts/bench_scale.py --sizes 10 --embed cold  # a cold build at 10× (every text embedded)
    python scripts/bench_scale.py --json out.json

How a synthetic corpus is made: the records of the ingested corpus (``pfkb ingest`` into a fresh
data dir), then for every further copy the municipalities renamed (架空市001, …, in city, title and
text) and the sentences of each record shuffled, with new record ids. Filters, the city list and
the passage index grow with it.

Each size runs in its own subprocess (so that peak RSS is that size's) and reports:
build seconds, index size on disk, peak RSS, search p50/p95 over the dev questions
(``Searcher(cache=False)``: every query tokenised, embedded and fused), whether a filtered search
is still exact (a city's trials: all of them, nothing else), and incremental: one more copy added
to the index embeds only that copy's texts.

``--embed reuse`` (default) gives a synthetic text the vector of the text it was made from (the
embedding cache is seeded under the synthetic text's hash): build time is then BM25, passages,
FAISS and writing, not the embedder. ``--embed cold`` embeds every text (about a minute per 233
records on two free cores)."""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
QUERIES = ROOT / "eval" / "dev_questions.jsonl"
_SENT = re.compile(r"(?<=[。\n])")


def percentile(values: list[float], q: float) -> float:
    import numpy as np
    return float(np.percentile(values, q)) if values else float("nan")


def base_records(work: Path):
    from ingest.pipeline import ingest_corpus
    from kb.core.settings import Settings
    from kb.store import open_store
    settings = Settings(data_dir=work / "base", corpus_dir=ROOT / "corpus")
    ingest_corpus(settings)
    store = open_store(settings)
    try:
        return store.records(), store.facts()
    finally:
        store.close()


def synthetic_copy(records, copy: int, rng: random.Random):
    """One renamed, shuffled copy of the records (copy 0 is the corpus itself)."""
    from kb.core.records import stable_id
    if copy == 0:
        return list(records), {}
    cities = sorted({r.city for r in records if r.city}, key=len, reverse=True)
    names = {c: f"架空{copy:03d}{c[-1]}" for c in cities}
    out, origin = [], {}

    def rename(text: str) -> str:
        for c, n in names.items():
            text = text.replace(c, n).replace(c[:-1], n[:-1]) if len(c) > 2 else text.replace(c, n)
        return text

    for r in records:
        parts = [p for p in _SENT.split(r.text) if p]
        rng.shuffle(parts)
        new = replace(r, id=stable_id("synthetic", copy, r.id), city=names.get(r.city, r.city),
                      title=rename(r.title), text=rename("".join(parts)),
                      source=replace(r.source, document=f"{r.source.document}-x{copy:03d}"))
        out.append(new)
        origin[new.id] = r.id
    return out, origin


def corpus_of(records, size: int, seed: int = 20261201):
    rng = random.Random(seed)
    out, origin = [], {}
    for copy in range(size):
        recs, orig = synthetic_copy(records, copy, rng)
        out += recs
        origin.update(orig)
    return out, origin


def seed_cache(settings, records, origin, base_by_id) -> None:
    """--embed reuse: give each synthetic text (record and passages) its source text's vector."""
    from kb.search.embed import EmbeddingCache, embed_passages, make_embedder
    from kb.search.manifest import embedder_key
    from kb.search.nodes import record_search_text
    from kb.search.passages import record_to_passages
    cache = EmbeddingCache(settings.data_dir / "cache" / "embeddings.sqlite3", embedder_key(settings))
    try:
        src_texts, syn_texts = [], []
        for r in records:
            src = base_by_id[origin.get(r.id, r.id)]
            src_texts.append(record_search_text(src))
            syn_texts.append(record_search_text(r))
            sp, rp = record_to_passages(src), record_to_passages(r)
            for i, p in enumerate(rp):  # shuffled: pair by position, the vector of a passage of the same record
                src_texts.append(sp[min(i, len(sp) - 1)].text if sp else src_texts[-1])
                syn_texts.append(p.text)
        unique = list(dict.fromkeys(src_texts))
        vecs, _ = embed_passages(make_embedder(settings), cache, unique)
        by_text = dict(zip(unique, vecs))
        cache.put_many({cache.hash(s): by_text[t] for t, s in zip(src_texts, syn_texts)})
    finally:
        cache.close()


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def run_size(size: int, embed: str, work: Path, shared_cache: Path | None, rounds: int) -> dict:
    """One size, in this (child) process."""
    import shutil

    from eval.questions import read_questions
    from kb.core.records import Record
    from kb.core.settings import Settings
    from kb.search.index import current_index_dir, write_index
    from kb.search.searcher import Searcher
    base, facts = base_records(work)
    base_by_id = {r.id: r for r in base}
    records, origin = corpus_of(base, size)
    settings = Settings(data_dir=work / f"x{size}", corpus_dir=ROOT / "corpus")
    (settings.data_dir / "cache").mkdir(parents=True, exist_ok=True)
    if shared_cache and shared_cache.exists():
        shutil.copy2(shared_cache, settings.data_dir / "cache" / "embeddings.sqlite3")  # the corpus' own texts
    if embed == "reuse":
        seed_cache(settings, records, origin, base_by_id)
    t0 = time.perf_counter()
    info = write_index(settings, records, facts, f"synthetic-{size}")
    build_s = time.perf_counter() - t0
    index_dir = current_index_dir(settings)

    searcher = Searcher(settings, cache=False)
    queries = [q.question for q in read_questions(QUERIES)]
    for q in queries:  # warm-up: model loaded, pages touched
        searcher.search(q, k=10)
    times = []
    for _ in range(rounds):
        for q in queries:
            t = time.perf_counter()
            searcher.search(q, k=10)
            times.append((time.perf_counter() - t) * 1000)
    # a filtered search is exact: every trial of one (renamed) city, nothing else
    trials = [r.city for r in records if r.city and r.kind == "trial"]
    city = max(sorted(set(trials)), key=trials.count)
    want = {r.id for r in records if r.city == city and r.kind == "trial"}
    got = {h.record.id for h in searcher.search("事業", k=100, filters={"city": city, "kind": "trial"})}
    exact = got == want
    # incremental: one more copy embeds only its own texts
    extra, extra_origin = synthetic_copy(base, size, random.Random(size))
    if embed == "reuse":
        seed_cache(settings, extra, extra_origin, base_by_id)
    t1 = time.perf_counter()
    inc = write_index(settings, records + extra, facts, f"synthetic-{size}+1")
    inc_s = time.perf_counter() - t1
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"size": size, "records": len(records), "passages": info.get("passages"), "embed": embed,
            "build_s": round(build_s, 2), "embedded": info.get("embedded", 0) + info.get("passages_embedded", 0),
            "index_mb": round(dir_size(index_dir) / 2**20, 1), "peak_rss_mb": round(rss_mb),
            "search_p50_ms": round(percentile(times, 50), 2), "search_p95_ms": round(percentile(times, 95), 2),
            "filtered_exact": exact, "filtered_n": len(want),
            "incremental_records": len(extra), "incremental_s": round(inc_s, 2),
            "incremental_embedded": inc.get("embedded", 0),
            "incremental_only_new": inc.get("embedded", 0) <= len(extra) if embed == "cold" else None}


def table(rows: list[dict]) -> str:
    base = rows[0]
    lines = ["| size | records | passages | build s | index MB | peak RSS MB | search p50 ms | search p95 ms | "
             "p95 × 1× | RSS × 1× | filtered exact | +1 copy: s / embedded |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['size']}× | {r['records']:,} | {r['passages']:,} | {r['build_s']} | {r['index_mb']} | "
                     f"{r['peak_rss_mb']} | {r['search_p50_ms']} | {r['search_p95_ms']} | "
                     f"{r['search_p95_ms'] / base['search_p95_ms']:.2f} | {r['peak_rss_mb'] / base['peak_rss_mb']:.2f} | "
                     f"{'yes' if r['filtered_exact'] else 'NO'} ({r['filtered_n']}) | "
                     f"{r['incremental_s']} / {r['incremental_embedded']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="1,10,50")
    p.add_argument("--embed", choices=("reuse", "cold"), default="reuse")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--cache", type=Path, help="an embedding cache to start from (e.g. data/cache/embeddings.sqlite3)")
    p.add_argument("--json", type=Path)
    p.add_argument("--child", type=int, help=argparse.SUPPRESS)
    p.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(run_size(args.child, args.embed, args.work, args.cache, args.rounds)))
        return 0
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            cmd = [sys.executable, __file__, "--child", str(size), "--embed", args.embed, "--rounds", str(args.rounds),
                   "--work", str(Path(tmp) / f"w{size}")]
            if args.cache:
                cmd += ["--cache", str(args.cache)]
            out = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
            if out.returncode != 0:
                print(out.stderr[-3000:], file=sys.stderr)
                return 1
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(json.dumps(rows[-1], ensure_ascii=False), file=sys.stderr)
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
