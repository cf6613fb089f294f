#!/usr/bin/env python
"""Scale benchmark: synthetic corpora of 1×, 10× and 50× the current records, each built and
searched in its own process, with the growth against 1× measured in the same run.

    python scripts/bench_scale.py                              # 1×, 10×, 50×; embedding cache shared
    python scripts/bench_scale.py --cold                       # 10× starts from an empty embedding cache
    python scripts/bench_scale.py --sizes 1,10 --rounds 2 --work /tmp/pfkb-scale --json out.json

How the corpora are made (from the real corpus records, ``pfkb build`` of corpus/):
- copy 0 is the corpus itself; copy c ≥ 1 is variant ``c mod --unique`` of it (default 10): every
  municipality renamed to an invented one (「熊本市」→「梅浦市」, also without 市: 「熊本では」), the
  sentences of every record shuffled by a seeded generator, its own document id, record ids and
  facts. 50× therefore holds 50 documents and 50 × the records, whose texts repeat every
  ``--unique`` copies: the embedding cache (text hash → vector) serves the repeats, which is the
  "cached embeddings may be reused where texts repeat" of the issue. ``--cold`` measures the
  ``--cold-size`` corpus (default 10×, all of its texts distinct) with an empty cache.
- per size: store writes (ingest s), ``build_index`` (s; texts embedded), index size on disk, peak
  RSS of the process (build + searches), hybrid search (k=10), filtered search (a city, k=100) and
  ``ask`` (no LLM) p50/p95 over the dev questions with the searcher's caches off, and filter
  exactness: for three municipalities (the corpus' own and invented ones) a city filter returns
  only that city's records, and all of them up to k.
- incremental (largest size): one new report (a municipality's chapter as a variant never seen) is
  added to the store and ``build_index`` runs again; it must embed exactly that report's texts.

The machine is shared: absolute timings are noisy, so growth is given as ratios to 1× from the
same run; targets at 50×: search p95 ≤ 2× the 1× figure, peak RSS ≤ 1.5 GB."""
from __future__ import annotations

import argparse
import functools
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_P95_RATIO = 2.0
TARGET_RSS_MB = 1536
FIRST = "青赤白黒緑若桜梅松竹菊藤杉桐椿楓鶴亀鷲鷹鳩雁鹿熊猪兎星月雪霞"
SECOND = "山川田原野沢浜岡島崎谷森里浦津瀬丘江沼池坂峰泉関尾根"


def percentile(values: list[float], q: float) -> float:
    import numpy as np
    return float(np.percentile(values, q)) if values else float("nan")


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


# --- synthetic corpora --------------------------------------------------------------------


def invented_names(real: set[str], count: int) -> list[str]:
    """Two-kanji place names that no real municipality of the corpus uses, in a fixed order."""
    out = []
    for i in range(len(FIRST) * len(SECOND)):
        name = FIRST[i % len(FIRST)] + SECOND[(i * 7 + i // len(FIRST)) % len(SECOND)]
        if not any(name in r for r in real) and name not in out:
            out.append(name)
        if len(out) == count:
            return out
    raise ValueError(f"only {len(out)} invented names; asked for {count}")


def city_renames(cities: list[str], variant: int, pool: list[str]) -> list[tuple[str, str]]:
    """(old, new) pairs, longest first, the name with and without its 市/区/町/村."""
    pairs = []
    for i, city in enumerate(cities):
        new = pool[(variant - 1) * len(cities) + i]
        suffix = city[-1] if city[-1] in "市区町村" and len(city) > 2 else ""
        pairs.append((city, new + suffix))
        if suffix:
            pairs.append((city[:-1], new))
    return sorted(pairs, key=lambda p: -len(p[0]))


@functools.lru_cache(maxsize=64)
def _renamer(pairs: tuple[tuple[str, str], ...]):
    pattern, table = re.compile("|".join(re.escape(old) for old, _ in pairs)), dict(pairs)
    return lambda text: pattern.sub(lambda m: table[m.group(0)], text)


def rename(text: str, pairs: list[tuple[str, str]]) -> str:
    if not text or not pairs:
        return text
    return _renamer(tuple(pairs))(text)


def rename_value(value, pairs):
    if isinstance(value, str):
        return rename(value, pairs)
    if isinstance(value, list):
        return [rename_value(v, pairs) for v in value]
    if isinstance(value, dict):
        return {k: rename_value(v, pairs) for k, v in value.items()}
    return value


def shuffle_sentences(text: str, rng: random.Random) -> str:
    from kb.search.highlight import text_to_sentences
    parts = [text[a:b] for a, b in text_to_sentences(text)]
    if len(parts) < 2:
        return text
    rng.shuffle(parts)
    return "\n".join(parts)


def make_copy(base, copy: int, variant: int, pool: list[str]):
    """Copy ``copy`` of the base documents as variant ``variant`` (0 = unchanged)."""
    from dataclasses import replace

    from kb.core.records import Fact, ParsedDocument, Record, Source, stable_id
    out = []
    for doc, records, facts in base["documents"]:
        if variant == 0 and copy == 0:
            out.append(ParsedDocument(doc, tuple(records), tuple(facts), ()))
            continue
        pairs = city_renames(base["cities"], variant, pool) if variant else []
        doc_id = f"synth{copy:03d}-{doc.id}"[:80]
        ids = {r.id: stable_id(r.id, copy) for r in records}
        recs = []
        for r in records:
            rng = random.Random(f"{variant}:{r.id}")
            text = shuffle_sentences(rename(r.text, pairs), rng) if variant else r.text
            recs.append(Record(id=ids[r.id], kind=r.kind, city=rename(r.city, pairs) if r.city else None,
                               phase=r.phase, step=r.step, scope=r.scope, title=rename(r.title, pairs), text=text,
                               source=Source(doc_id, rename(r.source.section, pairs), r.source.page, r.source.lines),
                               fields=rename_value(dict(r.fields), pairs)))
        fs = [Fact(rename(f.city, pairs), f.name, f.value, rename(f.raw, pairs), ids.get(f.record_id, f.record_id),
                   f.where) for f in facts]
        d = replace(doc, id=doc_id, title=f"{doc.title}（合成 {copy}・変種 {variant}）", file=f"{doc_id}.txt",
                    sha256=stable_id(doc.sha256, copy, variant))
        out.append(ParsedDocument(d, tuple(recs), tuple(fs), ()))
    return out


def load_base(base_dir: Path) -> dict:
    """The real corpus records, ingested once into ``base_dir`` (store only)."""
    from ingest.pipeline import ingest_corpus
    from kb.core.records import Document
    from kb.core.settings import Settings
    from kb.store import open_store
    settings = Settings(data_dir=base_dir, corpus_dir=ROOT / "corpus")
    if not settings.db_path.exists():
        ingest_corpus(settings)
    store = open_store(settings)
    try:
        docs = []
        for d in store.documents():
            doc = Document(id=d["id"], title=d["title"], file=d["file"], sha256=d["sha256"], format=d["format"],
                           publisher=d["publisher"] or "", date=d["date"] or "", region=d["region"] or "",
                           recognized=bool(d["recognized"]), pages=d["pages"])
            docs.append((doc, store.records(document=d["id"]), [f for f in store.facts()
                                                                if f.record_id in {r.id for r in store.records(document=d["id"])}]))
    finally:
        store.close()
    cities = sorted({r.city for _, recs, _ in docs for r in recs if r.city})
    return {"documents": docs, "cities": cities}


# --- one size, in its own process -----------------------------------------------------------


def timed(fn, questions: list[str], rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        for q in questions:
            t0 = time.perf_counter()
            fn(q)
            out.append((time.perf_counter() - t0) * 1000)
    return out


def summary(xs: list[float]) -> dict:
    return {"n": len(xs), "p50": percentile(xs, 50), "p95": percentile(xs, 95), "mean": statistics.mean(xs)}


def run_one(args: argparse.Namespace) -> dict:
    import resource

    from eval.questions import DEV_QUESTIONS, read_questions
    from kb.answer.pipeline import ask
    from kb.core.settings import Settings
    from kb.search.index import build_index, current_index_dir
    from kb.search.searcher import Searcher
    from kb.store import Store

    size, data_dir = args.one, Path(args.data_dir)
    base = load_base(Path(args.base))
    pool = invented_names(set(base["cities"]), len(base["cities"]) * (args.unique + 1))
    settings = Settings(data_dir=data_dir, corpus_dir=ROOT / "corpus", embed_threads=args.embed_threads)
    out: dict = {"size": size, "embed_threads": args.embed_threads, "load_before": os.getloadavg()[0], "cold": bool(args.cold_cache)}

    t0 = time.perf_counter()
    store = Store(settings.db_path)
    records = 0
    try:
        for c in range(size):
            variant = c % args.unique
            for parsed in make_copy(base, c, variant, pool):
                store.write_document(parsed, origin="corpus")
                records += len(parsed.records)
    finally:
        store.close()
    out["ingest_s"] = time.perf_counter() - t0
    out["records"] = records
    t0 = time.perf_counter()
    info = build_index(settings)
    out["build_s"] = time.perf_counter() - t0
    out["embedded"] = info["embedded"]
    index_dir = current_index_dir(settings)
    out["index_mb"] = dir_size(index_dir) / 1e6

    searcher = Searcher(settings, cache=False)
    questions = [q.question for q in read_questions(DEV_QUESTIONS)][: args.questions]
    # the corpus' own municipality with most records, and the names two of them got in variant 1
    by_size = sorted(base["cities"], key=lambda c: -sum(r.city == c for _, recs, _ in base["documents"] for r in recs))
    renamed = dict(city_renames(base["cities"], 1, pool))
    check_cities = [by_size[0]] + ([renamed[c] for c in by_size[1:3]] if size > 1 and args.unique > 1 else by_size[1:3])
    for q in questions[:5]:  # warm-up: model loaded, dictionaries mapped
        searcher.search(q, k=10)
        ask(settings, q, use_llm=False, searcher=searcher)
    city = check_cities[-1]
    runs = {"search": [], "filtered": [], "ask": []}
    for r in range(args.rounds):  # interleaved, so that noise from other processes falls on all three
        runs["search"] += timed(lambda q: searcher.search(q, k=10), questions, 1)
        runs["filtered"] += timed(lambda q: searcher.search(q, k=100, filters={"city": city}), questions, 1)
        runs["ask"] += timed(lambda q: ask(settings, q, use_llm=False, searcher=searcher), questions, 1)
    out.update({k: summary(v) for k, v in runs.items()})

    exact = []
    for c in check_cities:
        own = [rec for rec in searcher.records if rec.city == c]
        hits = searcher.search("連携PFの立ち上げ", k=100, filters={"city": c})
        ok = all(h.record.city == c for h in hits) and len(hits) == min(100, len(own))
        exact.append({"city": c, "records": len(own), "hits": len(hits), "exact": ok})
    out["filter_exact"] = exact

    if args.incremental:
        from kb.search.embed import EmbeddingCache
        from kb.search.nodes import node_text, record_to_node
        # the new report: one municipality's chapter (the detailed one with fewest records) as variant
        # ``unique``, which no copy uses, so all its texts are new; small, so that the run stays bounded
        counts = {c: sum(r.city == c for _, recs, _ in base["documents"] for r in recs) for c in base["cities"]}
        chapter = min((c for c, n in counts.items() if n >= 10), key=lambda c: counts[c])
        one = {"documents": [(d, [r for r in recs if r.city == chapter], [f for f in fs if f.city == chapter])
                             for d, recs, fs in base["documents"]], "cities": base["cities"]}
        new = make_copy(one, size, args.unique, pool)
        texts = {node_text(record_to_node(r)) for p in new for r in p.records}
        cache = EmbeddingCache(data_dir / "cache" / "embeddings.sqlite3", searcher.manifest["embedder"])
        try:
            known = cache.get_many([EmbeddingCache.hash(t) for t in texts])
        finally:
            cache.close()
        store = Store(settings.db_path)
        try:
            for parsed in new:
                store.write_document(parsed, origin="ingest")
        finally:
            store.close()
        t0 = time.perf_counter()
        info = build_index(settings)
        out["incremental"] = {"report_records": sum(len(p.records) for p in new), "new_texts": len(texts) - len(known),
                              "report": f"{chapter} の章（変種 {args.unique}）",
                              "embedded": info["embedded"], "build_s": time.perf_counter() - t0,
                              "records_after": info["records"]}
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["load_after"] = os.getloadavg()[0]
    return out


# --- the run ----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="1,10,50", help="multiples of the corpus, comma-separated")
    p.add_argument("--cold", action="store_true", help="build --cold-size with an empty embedding cache")
    p.add_argument("--cold-size", type=int, default=10)
    p.add_argument("--unique", type=int, default=10, help="distinct variants; copies repeat them (text reuse)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--embed-threads", type=int, default=1,
                   help="OpenMP threads per embedder engine (1: the setting for a shared machine)")
    p.add_argument("--questions", type=int, default=30, help="dev questions used (first N)")
    p.add_argument("--work", type=Path, default=Path("/tmp/pfkb-bench-scale"))
    p.add_argument("--keep", action="store_true", help="keep the data dirs under --work")
    p.add_argument("--timeout", type=int, default=3600, help="seconds per size")
    p.add_argument("--no-incremental", action="store_true")
    p.add_argument("--seed-cache", type=Path, help="an embeddings.sqlite3 to start the shared cache from "
                   "(e.g. data/cache/embeddings.sqlite3 of a built data dir)")
    p.add_argument("--json", type=Path)
    # internal: one size in a child process
    p.add_argument("--one", type=int, help=argparse.SUPPRESS)
    p.add_argument("--data-dir", help=argparse.SUPPRESS)
    p.add_argument("--base", help=argparse.SUPPRESS)
    p.add_argument("--cold-cache", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--incremental", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.sizes = [int(s) for s in str(args.sizes).split(",") if s.strip()]
    if not args.sizes or min(args.sizes) < 1:
        p.error("--sizes: positive integers, e.g. 1,10,50")
    return args


def child(args: argparse.Namespace, size: int, cache: Path, cold: bool, incremental: bool) -> dict:
    data_dir = args.work / f"size{size}{'-cold' if cold else ''}"
    shutil.rmtree(data_dir, ignore_errors=True)
    (data_dir / "cache").mkdir(parents=True)
    if not cold and cache.exists():
        shutil.copy2(cache, data_dir / "cache" / "embeddings.sqlite3")
    cmd = [sys.executable, __file__, "--one", str(size), "--data-dir", str(data_dir), "--base",
           str(args.work / "base"), "--unique", str(args.unique), "--rounds", str(args.rounds),
           "--questions", str(args.questions),
           "--embed-threads", str(args.embed_threads)] + (["--cold-cache"] if cold else []) + \
          (["--incremental"] if incremental else [])
    print(f"… {size}× {'(cold embedding cache) ' if cold else ''}in {data_dir}", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"size {size}× failed (exit {proc.returncode})")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall_s"] = time.perf_counter() - t0
    built = data_dir / "cache" / "embeddings.sqlite3"
    if built.exists():  # what this size embedded serves the next ones
        shutil.copy2(built, cache)
    if not args.keep:
        shutil.rmtree(data_dir, ignore_errors=True)
    return result


def table(results: list[dict]) -> str:
    base = next((r for r in results if r["size"] == 1 and not r["cold"]), results[0])
    rows = ["| corpus | records | ingest s | build s | embedded | index MB | peak RSS MB | search p50 / p95 ms "
            "| ×1× p95 | filtered p50 / p95 ms | ask p50 / p95 ms | ×1× ask p95 | city filter exact |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        ex = all(e["exact"] for e in r["filter_exact"])
        counts = ", ".join(f"{e['hits']}/{e['records']}" for e in r["filter_exact"])
        rows.append(
            f"| {r['size']}×{' cold' if r['cold'] else ''} | {r['records']:,} | {r['ingest_s']:.1f} | {r['build_s']:.1f} "
            f"| {r['embedded']:,} | {r['index_mb']:.1f} | {r['peak_rss_mb']:.0f} "
            f"| {r['search']['p50']:.1f} / {r['search']['p95']:.1f} | ×{r['search']['p95'] / base['search']['p95']:.2f} "
            f"| {r['filtered']['p50']:.1f} / {r['filtered']['p95']:.1f} "
            f"| {r['ask']['p50']:.1f} / {r['ask']['p95']:.1f} | ×{r['ask']['p95'] / base['ask']['p95']:.2f} "
            f"| {'yes' if ex else 'NO'} ({counts}) |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.one:
        print(json.dumps(run_one(args), ensure_ascii=False, default=str))
        return 0
    args.work.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} (shared: timings are noisy)",
          flush=True)
    t0 = time.perf_counter()
    base = load_base(args.work / "base")
    n = sum(len(r) for _, r, _ in base["documents"])
    print(f"base: {len(base['documents'])} document(s), {n} records, {len(base['cities'])} municipalities "
          f"({time.perf_counter() - t0:.1f} s)", flush=True)
    cache = args.work / "embeddings.sqlite3"
    if args.seed_cache and not cache.exists():
        shutil.copy2(args.seed_cache, cache)
    plan = [(s, False) for s in sorted(set(args.sizes))]
    if args.cold:  # the cold size in place of its warm run, before the larger ones (they reuse its cache)
        plan = [(s, s == args.cold_size) for s, _ in plan] if args.cold_size in args.sizes else \
            sorted(plan + [(args.cold_size, True)])
    results = []
    largest = max(args.sizes)
    for size, cold in plan:
        r = child(args, size, cache, cold, incremental=not args.no_incremental and size == largest)
        results.append(r)
        print(f"  {size}×{' cold' if cold else ''}: {r['records']:,} records, build {r['build_s']:.1f} s "
              f"(embedded {r['embedded']:,}), search p95 {r['search']['p95']:.1f} ms, ask p95 {r['ask']['p95']:.1f} ms, "
              f"RSS {r['peak_rss_mb']:.0f} MB, load {r['load_before']:.1f}→{r['load_after']:.1f}", flush=True)
    print()
    print(table(results))
    first = next((r for r in results if r["size"] == 1 and not r["cold"]), None)
    top = max(results, key=lambda r: (r["size"], not r["cold"]))
    if first and top is not first:
        ratio = top["search"]["p95"] / first["search"]["p95"]
        print(f"\ntarget at {top['size']}×: search p95 ≤ {TARGET_P95_RATIO:.0f}× 1× — "
              f"{'met' if ratio <= TARGET_P95_RATIO else 'NOT met'} (×{ratio:.2f}); peak RSS ≤ {TARGET_RSS_MB} MB — "
              f"{'met' if top['peak_rss_mb'] <= TARGET_RSS_MB else 'NOT met'} ({top['peak_rss_mb']:.0f} MB); "
              f"city filter exact — {'yes' if all(e['exact'] for e in top['filter_exact']) else 'NO'}")
    if "incremental" in top:
        inc = top["incremental"]
        ok = inc["embedded"] == inc["new_texts"]
        print(f"incremental at {top['size']}×: one report of {inc['report_records']} records added → embedded "
              f"{inc['embedded']} texts (its new texts: {inc['new_texts']}) — {'only that report' if ok else 'MORE'}; "
              f"rebuild {inc['build_s']:.1f} s (BM25 and FAISS are rebuilt; embeddings come from the cache)")
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
