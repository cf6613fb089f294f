"""Run question sets against every search mode side by side.

Structured modes (bm25, dense, hybrid) return records: they are scored by the
gold field constraints AND by evidence strings. Naive modes return chunks
without metadata: evidence only. The same evidence scoring applies to every
mode, so the columns compare like with like."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from eval.metrics import any_gold, evidence_match, first_rank, summarize
from eval.questions import Question
from kb.core.settings import Settings

STRUCTURED = ("bm25", "dense", "hybrid")
NAIVE = ("naive", "naive-bm25", "naive-hybrid")
ALL_MODES = STRUCTURED + NAIVE
TARGETS = {"hybrid": {"hit@1": 0.85, "hit@5": 0.97, "mrr@10": 0.90}}


@dataclass
class ModeResult:
    mode: str
    gold: dict[str, float] | None
    evidence: dict[str, float]
    misses: list[dict[str, Any]] = field(default_factory=list)
    latency_ms: float = 0.0
    per_document: dict[str, dict[str, float]] = field(default_factory=dict)  # document → gold figures (record modes)
    per_document_evidence: dict[str, dict[str, float]] = field(default_factory=dict)  # document → evidence figures


def question_document(q: Question) -> str:
    """The document a question is about: its gold's ``document~``, else the model-project report."""
    docs = {g["document~"] for g in q.gold if g.get("document~")}
    return "/".join(sorted(docs)) if docs else "report"


def run_search_eval(settings: Settings, questions: list[Question], modes: tuple[str, ...] = ALL_MODES,
                    k: int = 10, progress: Callable[[str], None] | None = None) -> list[ModeResult]:
    answerable = [q for q in questions if q.answerable and (q.gold or q.evidence)]
    results = []
    naive = None
    for mode in modes:
        if progress:
            progress(f"mode {mode}")
        if mode in NAIVE:
            if naive is None:
                from eval.naive import NaivePipeline
                from ingest.pipeline import corpus_files
                naive = NaivePipeline(settings, corpus_files(settings.corpus_dir))
            search = lambda q, m=mode: [h.to_dict() for h in naive.search(q, k=k, mode=m)]  # noqa: E731
        elif mode in STRUCTURED:
            from kb.search.searcher import get_searcher
            searcher = get_searcher(settings)
            search = lambda q, m=mode: [h.to_dict() for h in searcher.search(q, k=k, mode=m)]  # noqa: E731
        else:
            raise ValueError(mode)
        gold_ranks, ev_ranks, misses = [], [], []
        by_doc: dict[str, list[int | None]] = {}
        ev_by_doc: dict[str, list[int | None]] = {}
        t0 = time.perf_counter()
        for q in answerable:
            hits = search(q.question)
            ev = first_rank([evidence_match(f"{h.get('title', '')}\n{h.get('text', '')}", q.evidence) for h in hits]) \
                if q.evidence else None
            ev_ranks.append(ev)
            g = None
            if mode in STRUCTURED and q.gold:
                g = first_rank([any_gold(h, q.gold) for h in hits])
                gold_ranks.append(g)
            rank = g if mode in STRUCTURED and q.gold else ev
            if mode in STRUCTURED and q.gold:
                by_doc.setdefault(question_document(q), []).append(g)
            if q.evidence:
                ev_by_doc.setdefault(question_document(q), []).append(ev)
            if rank != 0:
                misses.append({"id": q.id, "question": q.question, "rank": None if rank is None else rank + 1,
                               "top": [_describe(h) for h in hits[:3]]})
        elapsed = (time.perf_counter() - t0) * 1000 / max(1, len(answerable))
        results.append(ModeResult(mode, summarize(gold_ranks) if mode in STRUCTURED else None,
                                  summarize(ev_ranks), misses, elapsed,
                                  {doc: summarize(ranks) for doc, ranks in sorted(by_doc.items())},
                                  {doc: summarize(ranks) for doc, ranks in sorted(ev_by_doc.items())}))
    return results


def _describe(h: dict[str, Any]) -> str:
    if h.get("kind"):
        return f"{h['kind']}/{h.get('city') or '-'}/{h.get('step') or '-'} {h.get('title', '')[:30]}"
    return (h.get("text") or "")[:40].replace("\n", " ")


def results_table(results: list[ModeResult]) -> str:
    lines = ["| mode | hit@1 (gold) | hit@5 (gold) | MRR@10 (gold) | hit@1 (evidence) | hit@5 (evidence) | MRR@10 (evidence) | ms/query |",
             "|---|---|---|---|---|---|---|---|"]
    for r in results:
        g = r.gold or {}
        fmt = lambda d, key: f"{d[key]:.3f}" if d else "—"  # noqa: E731
        lines.append(f"| {r.mode} | {fmt(g, 'hit@1')} | {fmt(g, 'hit@5')} | {fmt(g, 'mrr@10')} | "
                     f"{r.evidence['hit@1']:.3f} | {r.evidence['hit@5']:.3f} | {r.evidence['mrr@10']:.3f} | "
                     f"{r.latency_ms:.1f} |")
    return "\n".join(lines)


def per_document_table(results: list[ModeResult]) -> str:
    """hit@1 / hit@5 / MRR@10 per document and mode: on the gold constraints (record modes, questions
    with gold) and on the evidence strings (every mode, the naive pipeline included, so that the
    columns compare like with like), so that no document hides behind the mean."""
    lines = ["| document | mode | n (gold) | hit@1 (gold) | hit@5 (gold) | MRR@10 (gold) | n (evidence) | "
             "hit@1 (evidence) | hit@5 (evidence) | MRR@10 (evidence) |", "|---|---|---|---|---|---|---|---|---|---|"]
    docs = sorted({d for r in results for d in (*r.per_document, *r.per_document_evidence)})
    for doc in docs:
        for r in results:
            g = r.per_document.get(doc) if r.gold is not None else None
            e = r.per_document_evidence.get(doc)
            if not g and not e:
                continue
            cells = [f"{g['n']}", f"{g['hit@1']:.3f}", f"{g['hit@5']:.3f}", f"{g['mrr@10']:.3f}"] if g else ["—"] * 4
            cells += [f"{e['n']}", f"{e['hit@1']:.3f}", f"{e['hit@5']:.3f}", f"{e['mrr@10']:.3f}"] if e else ["—"] * 4
            lines.append(f"| {doc} | {r.mode} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def target_failures(results: list[ModeResult]) -> list[str]:
    out = []
    for r in results:
        for metric, want in TARGETS.get(r.mode, {}).items():
            got = (r.gold or r.evidence)[metric]
            if got + 1e-9 < want:
                out.append(f"{r.mode} {metric} {got:.3f} < {want}")
    return out


def write_report(path: Path, title: str, results: list[ModeResult], extra_sections: list[str] | None = None) -> Path:
    """Markdown report with a bar chart (PNG beside it)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    png = path.with_suffix(".png")
    metrics = ["hit@1", "hit@5", "mrr@10"]
    fig, ax = plt.subplots(figsize=(8, 3.6), dpi=120)
    width = 0.8 / max(1, len(results))
    for i, r in enumerate(results):
        vals = [(r.gold or r.evidence)[m] for m in metrics]
        ax.bar([x + i * width for x in range(len(metrics))], vals, width, label=r.mode)
    ax.set_xticks([x + width * (len(results) - 1) / 2 for x in range(len(metrics))], metrics)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("score (gold where available, else evidence)")
    ax.legend(fontsize=8, ncols=3)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(png)
    plt.close(fig)
    parts = [f"# {title}", "", results_table(results), "", f"![metrics]({png.name})", "",
             "## Per document", "", per_document_table(results), ""]
    for r in results:
        if r.misses:
            parts.append(f"## Misses: {r.mode}")
            parts += [f"- {m['id']} (rank {m['rank'] or '>10'}): {m['question']} — top: {'; '.join(m['top'])}"
                      for m in r.misses]
            parts.append("")
    parts += extra_sections or []
    path.write_text("\n".join(parts), encoding="utf-8")
    return path
