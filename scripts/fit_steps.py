"""Fit the step classifier (ingest/recognise/steps.py) from the labelled lessons and cross-city
bullets of the corpus documents. Run after a labelled document is added:
    python scripts/fit_steps.py [--exclude-city 福岡市 ...] [--no-dense]

1. the examples → ingest/recognise/fitted/step_examples.json;
2. the weight of the dense part (e5 cosine to the examples) against BM25, by leave-one-city-out
   cross-validation: each city's labelled lessons are predicted (within their phase, as a document
   without step labels gives it) by a classifier fitted on the step names, the cross-city bullets and
   the OTHER cities' lessons; the weight with the best accuracy (the middle of a tie) is written with
   the accuracies of lexical only, dense only and combined → fitted/step_combination.json."""
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


WEIGHTS = tuple(round(0.1 * i, 1) for i in range(11))
TEMPERATURES = (0.01, 0.02, 0.05)


def cross_validate(examples: list[dict], embed, weights=WEIGHTS, temperatures=TEMPERATURES, top: int = 3) -> dict:
    """Accuracy per dense weight over leave-one-city-out folds (see the module's docstring)."""
    from ingest.recognise.steps import HybridStepClassifier, StepClassifier, step_name_examples
    from kb.core.records import STEP_PHASE
    names = step_name_examples()
    texts = sorted({t for _, t in names} | {e["text"] for e in examples})
    vectors = dict(zip(texts, embed(texts)))
    lookup = lambda ts: [vectors[t] for t in ts]  # noqa: E731 — every text was embedded once above
    cities = sorted({e["city"] for e in examples if e["kind"] == "lesson" and e["city"]})
    grid = [(w, t) for t in temperatures for w in weights]
    right = {g: 0 for g in grid}
    n = 0
    per_city: dict[str, dict[str, float]] = {}
    for city in cities:
        train = names + [(e["step"], e["text"]) for e in examples if e["city"] != city]
        test = [e for e in examples if e["city"] == city and e["kind"] == "lesson"]
        clf = HybridStepClassifier(train, lookup, top=top, lexical=StepClassifier(train))
        per_city[city] = {}
        for w, t in grid:
            hits = sum(clf.combined(e["text"], STEP_PHASE[e["step"]], weight=w, vector=vectors[e["text"]],
                                    temperature=t)[0][0] == e["step"] for e in test)
            right[(w, t)] += hits
            per_city[city][f"{w}@{t}"] = round(hits / len(test), 3)
        n += len(test)
    acc = {g: right[g] / n for g in grid}
    best = max(acc.values())
    tied = [g for g in grid if acc[g] == best]  # in grid order: by temperature, then weight
    w, t = tied[len(tied) // 2]
    lexical = acc[(0.0, temperatures[0])]
    dense = max(acc[(1.0, t_)] for t_ in temperatures)
    return {"dense_weight": w, "temperature": t, "top": top, "lessons": n, "folds": cities,
            "accuracy": {"lexical": round(lexical, 3), "dense": round(dense, 3), "combined": round(acc[(w, t)], 3)},
            "by_weight": {f"{w_}@{t_}": round(a, 3) for (w_, t_), a in acc.items()}, "by_city": per_city}


def main() -> None:
    from ingest.pipeline import corpus_files, load_manifest
    from ingest.read import read_document, sha256_file
    from ingest.recognise.steps import EXAMPLES_FILE
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    ap.add_argument("--exclude-city", action="append", default=[])
    ap.add_argument("--out", type=Path, default=EXAMPLES_FILE)
    ap.add_argument("--combination-out", type=Path, default=None)
    ap.add_argument("--no-dense", action="store_true", help="fit the examples only (no embedder)")
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
    if args.no_dense:
        return
    from ingest.pipeline import StepEmbedder
    from ingest.recognise.steps import COMBINATION_FILE
    from kb.core.settings import Settings
    from kb.search.manifest import embedder_key
    settings = Settings()
    fit = cross_validate(examples, StepEmbedder(settings))
    fit = {"version": 1, "embedder": embedder_key(settings), **fit}
    out = args.combination_out or COMBINATION_FILE
    out.write_text(json.dumps(fit, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    a = fit["accuracy"]
    print(f"{out}: dense_weight {fit['dense_weight']} at temperature {fit['temperature']} — leave-one-city-out accuracy over {fit['lessons']} lessons: "
          f"lexical {a['lexical']:.1%}, dense {a['dense']:.1%}, combined {a['combined']:.1%}")
    print("  by weight@temperature: " + ", ".join(f"{w}: {v:.1%}" for w, v in fit["by_weight"].items()))


if __name__ == "__main__":
    main()
