"""Fit the calibrated refusal (kb/answer/refusal_model.json) on tuning splits:

    python -m eval.fit_refusal [--data-dir DIR] [--max-false-refusal 0.03] [FILE ...]

Default files: eval/dev_questions.jsonl, eval/own_questions.jsonl, eval/ask_tune_own.jsonl and every
eval/sets/*_tune.jsonl (follow-ups judged as asked, with their history). A file whose name contains
``test`` is refused: test splits never touch the fit. The threshold is chosen on out-of-fold
probabilities (kb/answer/refusal.py ``fit``), so that the bound holds on questions not fitted on. Questions whose gold names a document the
knowledge base does not hold are left out (they would teach "answerable" for a missing document);
questions the unknown-municipality rule already refuses, questions that talk to the assistant or ask
a URL / phone number no top record states, and questions in English (answered by a request to ask in Japanese), are left to those rules."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable, Sequence

from eval.ask_eval import documents_held
from eval.questions import HERE, Question, read_questions
from kb.core.errors import SettingsError

DEFAULT_FILES = ["dev_questions.jsonl", "own_questions.jsonl", "ask_tune_own.jsonl"]


def tune_files() -> list[Path]:
    files = [HERE / f for f in DEFAULT_FILES if (HERE / f).exists()]
    files += sorted((HERE / "sets").glob("*_tune.jsonl"))
    return files


def check_not_test(paths: Sequence[Path]) -> None:
    for p in paths:
        if "test" in p.name:
            raise SettingsError(f"{p}: テスト用の質問ファイルでは当てはめできません。tune の分割を指定してください "
                                f"(a test split never touches fit; give a tuning split)")


def run(main: Callable[[], int]) -> int:
    """A fit command's exit status: a bad file or setting is said in one line (which file, what to do),
    not a traceback."""
    try:
        return main()
    except SettingsError as e:
        print(f"エラー: {e}", file=sys.stderr)
        return 2


def feature_rows(settings, questions: list[Question]):
    from kb.answer.followup import read_history
    from kb.answer.pipeline import analyse, evidence_features, is_english, key_terms, retrieve, rule_refusal
    from kb.core.tuning import AnswerTuning
    from kb.search.searcher import get_searcher
    s = get_searcher(settings)
    tuning = settings.answer_tuning
    documents = {r.source.document for r in s.corpus.records}
    rows, kept = [], []
    for q in questions:
        if not documents_held(q, documents):
            continue
        qq = analyse(s, q.question, settings.max_question_chars, read_history(q.extra.get("history") or []))
        if is_english(qq.shown):
            continue  # asked in English: the request to ask in Japanese answers it, whatever the evidence
        got = retrieve(s, qq, tuning)
        if rule_refusal(s, qq, got, tuning) is not None:
            continue  # an unknown municipality, talk to the assistant, no record, a URL no record states
        f, _ = evidence_features(s, qq, got, key_terms(s, qq), tuning)
        rows.append((f, q.expect_no_evidence))
        kept.append(q)
    return rows, kept


def main(argv: list[str] | None = None) -> int:
    from kb.answer.refusal import MODEL_PATH, fit
    from kb.core.settings import Settings
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--data-dir", type=Path)
    ap.add_argument("--max-false-refusal", type=float, default=0.03)
    ap.add_argument("--out", type=Path, default=MODEL_PATH)
    args = ap.parse_args(argv)
    files = args.files or tune_files()
    check_not_test(files)
    settings = Settings.from_env(**({"data_dir": args.data_dir} if args.data_dir else {}))
    questions = [q for p in files for q in read_questions(p)]
    rows, kept = feature_rows(settings, questions)
    model = fit(rows, max_false_refusal=args.max_false_refusal,
                fitted_on=[str(p.relative_to(HERE.parent)) if p.is_relative_to(HERE.parent) else str(p) for p in files],
                embedder=settings.embedder)
    model.save(args.out)
    probs = [model.probability(f) for f, _ in rows]
    ans = [p for p, (_, u) in zip(probs, rows) if not u]
    una = [p for p, (_, u) in zip(probs, rows) if u]
    print(f"fitted on {len(rows)} questions ({len(una)} unanswerable) from {len(files)} files → {args.out}")
    print(f"threshold {model.threshold:.4f} (out of fold); in-sample: tune refusals {sum(p >= model.threshold for p in una)}/{len(una)}, "
          f"answerable refused {sum(p >= model.threshold for p in ans)}/{len(ans)}")
    for name, w in zip(model.features, model.weights):
        print(f"  {name:18s} {w:+.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
