"""Fit the key-sentence model (kb/answer/sentence_model.json) on tuning splits:

    python -m eval.fit_keypoints [--data-dir DIR] [--l2 100] [--folds 5] [FILE ...]

Every answerable question that carries ``must`` (its key points: groups of acceptable strings) is
asked; the sentences that compete for its summary are labelled by whether they state one of them,
and a logistic model over their features (kb/answer/keypoints.py SENTENCE_FEATURES) is fitted. The
key-point coverage of the summaries the pick would make is printed for the hand-set weights and for
the model, in-sample and by cross-validation over questions. Default files: eval/ask_tune_own.jsonl
and every eval/sets/*_tune.jsonl (follow-ups with their history); a file whose name contains
``test`` is refused."""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

import numpy as np

from eval.ask_eval import must_coverage
from eval.fit_refusal import check_not_test, run
from eval.metrics import squash_nfkc
from eval.questions import HERE, Question, read_questions

DEFAULT_FILES = ["ask_tune_own.jsonl"]


def tune_files() -> list[Path]:
    return [HERE / f for f in DEFAULT_FILES if (HERE / f).exists()] + sorted((HERE / "sets").glob("*_tune.jsonl"))


@dataclass
class Example:
    question: Question
    cands: list  # kb.answer.keypoints.Candidate, best first by the hand-set weights
    lead: list
    tuning: object  # the AnswerTuning the pick applies
    labels: np.ndarray
    lead_open: bool = False  # the lead's records stay open to the pick

    @property
    def X(self) -> np.ndarray:
        return np.array([c.features for c in self.cands], dtype=np.float64)


def states(text: str, must: Sequence[Sequence[str]]) -> bool:
    t = squash_nfkc(text)
    return any(any(squash_nfkc(alt) in t for alt in group if alt) for group in must)


def examples(settings, questions: Sequence[Question]) -> list[Example]:
    from kb.answer.followup import read_history
    from kb.answer.pipeline import Composed, key_candidates, prepare
    from kb.answer.refusal import load_model
    from kb.search.searcher import get_searcher
    s = get_searcher(settings)
    tuning = replace(settings.answer_tuning, key_model=False)
    out = []
    for q in questions:
        if not q.extra.get("must") or q.expect_no_evidence:
            continue
        got = prepare(s, q.question, tuning, settings.max_question_chars, load_model(),
                      read_history(q.extra.get("history") or []))
        if not isinstance(got, Composed):
            continue  # refused: no summary to pick
        cands, lead, t, lead_open = key_candidates(s, got.question, got.retrieved, got.context, got.form, tuning)
        if cands:
            out.append(Example(q, cands, lead, t, np.array([1.0 if states(c.text, q.extra["must"]) else 0.0
                                                             for c in cands]), lead_open))
    return out


def coverage(ex: Sequence[Example], score=None, min_share: float | None = None) -> float:
    """Mean key-point coverage of the summaries the pick makes (``score``: a model's probabilities
    per example; None: the hand-set weights)."""
    from kb.answer.keypoints import city_label, pick_key_sentences
    total = 0.0
    for e in ex:
        cands = e.cands
        t = e.tuning
        if score is not None:
            p = score(e.X)
            cands = sorted((replace(c, score=float(v)) for c, v in zip(cands, p)), key=lambda c: -c.score)
            t = replace(t, key_min_share=min_share if min_share is not None else t.key_model_min_share)
        picked = pick_key_sentences(cands, t, lead=e.lead, label=city_label, lead_records_open=e.lead_open)
        total += must_coverage("\n".join(k.text for k in picked), e.question.extra["must"])
    return total / len(ex) if ex else 0.0


def fit(ex: Sequence[Example], l2: float, fitted_on: Sequence[str] = ()):
    from kb.answer.keypoints import SENTENCE_FEATURES, SentenceModel
    from kb.core.logistic import fit_logistic, standardise
    X = np.vstack([e.X for e in ex])
    y = np.concatenate([e.labels for e in ex])
    mean, scale = standardise(X)
    w, b = fit_logistic((X - mean) / scale, y, l2=l2)
    return SentenceModel(tuple(SENTENCE_FEATURES), tuple(mean.tolist()), tuple(scale.tolist()), tuple(w.tolist()),
                         b, tuple(fitted_on))


def scorer(model):
    return model.probabilities


def cross_validate(ex: Sequence[Example], l2: float, folds: int, seed: int = 0) -> float:
    order = np.random.RandomState(seed).permutation(len(ex))
    total = 0.0
    for k in range(folds):
        held = set(order[k::folds].tolist())
        model = fit([e for i, e in enumerate(ex) if i not in held], l2)
        part = [e for i, e in enumerate(ex) if i in held]
        total += coverage(part, scorer(model)) * len(part)
    return total / len(ex)


def main(argv: list[str] | None = None) -> int:
    from kb.answer.keypoints import SENTENCE_MODEL_PATH
    from kb.core.settings import Settings
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--data-dir", type=Path)
    ap.add_argument("--l2", type=float, default=100.0)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--out", type=Path, default=SENTENCE_MODEL_PATH)
    args = ap.parse_args(argv)
    files = args.files or tune_files()
    check_not_test(files)
    settings = Settings.from_env(**({"data_dir": args.data_dir} if args.data_dir else {}))
    questions = [q for p in files for q in read_questions(p)]
    ex = examples(settings, questions)
    if len(ex) < max(2, args.folds):
        print(f"key points: too few questions with must to fit ({len(ex)})", file=sys.stderr)
        return 1
    names = [str(p.relative_to(HERE.parent)) if p.is_relative_to(HERE.parent) else str(p) for p in files]
    model = fit(ex, args.l2, names)
    model.save(args.out)
    n = sum(len(e.cands) for e in ex)
    print(f"fitted on {len(ex)} questions ({n} sentences, {int(sum(e.labels.sum() for e in ex))} state a key point)"
          f" from {len(files)} files → {args.out}")
    print(f"key points in summary: hand-set {coverage(ex):.3f}, model in-sample {coverage(ex, scorer(model)):.3f}, "
          f"model {args.folds}-fold CV {cross_validate(ex, args.l2, args.folds):.3f}")
    for name, w in zip(model.features, model.weights):
        print(f"  {name:18s} {w:+.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
