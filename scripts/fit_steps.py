"""Fit the step classifier's examples (ingest/recognise/fitted/step_examples.json) from the labelled
lessons and cross-city bullets of the corpus documents. Run after a labelled document is added:
    python scripts/fit_steps.py [--exclude-city 福岡市 ...]"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def labelled_examples(records, exclude_cities=()) -> list[dict]:
    out = []
    for r in records:
        if r.kind not in ("lesson", "summary") or not r.step or r.fields.get("schedule_only"):
            continue
        if r.fields.get("step_source") == "inferred" or r.city in exclude_cities:
            continue
        text = r.title if r.kind == "summary" else f"{r.title}\n{r.text}"
        out.append({"step": r.step, "text": text, "kind": r.kind, "city": r.city, "document": r.source.document})
    return out


def main() -> None:
    from ingest.pipeline import corpus_files, load_manifest
    from ingest.read import read_document, sha256_file
    from ingest.recognise.steps import EXAMPLES_FILE
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    ap.add_argument("--exclude-city", action="append", default=[])
    ap.add_argument("--out", type=Path, default=EXAMPLES_FILE)
    args = ap.parse_args()
    metas = load_manifest(args.corpus)
    examples, built = [], []
    for path in corpus_files(args.corpus):
        parsed = read_document(path, metas.get(path.name))
        got = labelled_examples(parsed.records, set(args.exclude_city))
        if got:
            examples += got
            built.append({"document": parsed.document.id, "sha256": sha256_file(path), "examples": len(got)})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"version": 1, "built_from": built, "examples": examples},
                                   ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{args.out}: {len(examples)} examples from {len(built)} documents")


if __name__ == "__main__":
    main()
