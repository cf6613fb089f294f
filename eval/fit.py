"""``pfkb eval --fit``: fit the learned fusion (kb/search/fusion.py) on a tuning split.

For every answerable question with gold constraints, the Searcher's candidates (both retrievers'
records with their features) are labelled by the gold — narrowed to the records that hold the
question's evidence strings where some do (a plan's gold is a page, which several records share); a pairwise logistic model learns to put a gold
record above the others (every gold × the top non-gold candidates, each question weighted alike).
The weights are saved to kb/search/fusion.json with what they were fitted on, and a k-fold
cross-validation on the same tuning questions says whether they beat the hand-set re-rank.

A file whose name contains ``test`` is refused: the frozen test split is never used for fitting."""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from eval.metrics import any_gold, evidence_match, first_rank, summarize
from eval.questions import DEV_QUESTIONS, HERE, OWN_QUESTIONS, Question, read_questions
from kb.core.errors import SettingsError
from kb.core.settings import Settings

TUNING_FILES = (DEV_QUESTIONS, OWN_QUESTIONS, *sorted((HERE / "sets").glob("*_tune.jsonl")))
NEGATIVES = 200  # non-gold candidates paired with each gold record (the highest by reciprocal rank; 200: in
# effect all of them — with only the top 30, cross-validation lost 5 points of hit@1: a gold record ranked
# deep by both retrievers, as in a long document, met none of the records it has to pass)
L2 = 0.3  # inverse regularisation strength of the logistic model (scikit-learn's C; chosen by 5-fold CV on the tuning files)
FOLDS = 5


def check_tuning_files(paths: Sequence[Path]) -> None:
    for p in paths:
        if "test" in Path(p).name:
            raise SettingsError(f"{p}: テスト用の質問ファイルは当てはめ (--fit) に使えません。*_tune.jsonl などを"
                                f"指定してください", "a test split is never used for fitting; pass tuning files")


@dataclass
class Example:
    question: Question
    X: np.ndarray  # candidates × features
    gold: np.ndarray  # bool per candidate: what the figures count
    target: np.ndarray | None = None  # what the model is fitted to put first (default: ``gold``)

    @property
    def positive(self) -> np.ndarray:
        return self.gold if self.target is None else self.target


def collect(searcher: Any, questions: Sequence[Question]) -> list[Example]:
    """Candidates and gold labels of every question that has gold among its candidates."""
    out = []
    for q in questions:
        if not q.answerable or not q.gold:
            continue
        text = searcher.read_query(q.question)  # a kana-only question read as search reads it
        records, X = searcher.candidates(text, searcher.analyze(text))
        gold = np.array([any_gold(r.to_dict(), q.gold) for r in records], dtype=bool)
        target = gold
        if q.evidence:  # of the records the gold admits (a whole page of a plan), the ones that hold the answer
            holds = gold & np.array([evidence_match(r.text, q.evidence) for r in records], dtype=bool)
            target = holds if holds.any() else gold
        if gold.any() and not gold.all():
            out.append(Example(q, X, gold, target))
    return out


def pairs(examples: Sequence[Example]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Differences gold − non-gold (label 1) and their negation (label 0), weighted 1 per question."""
    rows, weights = [], []
    for ex in examples:
        pos = np.flatnonzero(ex.positive)
        neg = np.flatnonzero(~ex.positive)[:NEGATIVES]
        diffs = (ex.X[pos][:, None, :] - ex.X[neg][None, :, :]).reshape(-1, ex.X.shape[1])
        rows.append(diffs)
        weights.append(np.full(len(diffs), 1.0 / len(diffs)))
    D = np.vstack(rows)
    W = np.concatenate(weights)
    X = np.vstack([D, -D])
    y = np.concatenate([np.ones(len(D)), np.zeros(len(D))])
    return X, y, np.concatenate([W, W])


def fit_weights(examples: Sequence[Example]) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression
    X, y, w = pairs(examples)
    model = LogisticRegression(C=L2, fit_intercept=False, max_iter=2000)
    model.fit(X, y, sample_weight=w * len(examples))
    return model.coef_[0]


def ranks_of(examples: Sequence[Example], weights: np.ndarray) -> list[int | None]:
    out = []
    for ex in examples:
        order = np.argsort(-(ex.X @ weights), kind="stable")
        out.append(first_rank(list(ex.gold[order])))
    return out


def cross_validate(examples: Sequence[Example], folds: int = FOLDS) -> dict[str, float]:
    """Figures of the learned model on held-out folds of the tuning questions (ordered by id)."""
    ranks: list[int | None] = []
    for k in range(folds):
        train = [e for i, e in enumerate(examples) if i % folds != k]
        held = [e for i, e in enumerate(examples) if i % folds == k]
        if train and held:
            ranks += ranks_of(held, fit_weights(train))
    return summarize(ranks)


def handset_figures(searcher: Any, examples: Sequence[Example]) -> dict[str, float]:
    """The hand-set re-rank on the same questions (gold rank among its top 100)."""
    ranks = []
    model, searcher.fusion_model = searcher.fusion_model, None
    try:
        for ex in examples:
            hits = searcher.search(ex.question.question, k=100)
            ranks.append(first_rank([any_gold(h.to_dict(), ex.question.gold) for h in hits]))
    finally:
        searcher.fusion_model = model
    return summarize(ranks)


def fit_fusion(settings: Settings, question_files: Sequence[Path], *, save: bool = True,
               progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    from kb.search.fusion import FEATURES, FusionModel, save_fusion
    from kb.search.searcher import Searcher
    check_tuning_files(question_files)
    questions = [q for f in question_files for q in read_questions(f)]
    searcher = Searcher(settings, cache=False)
    if progress:
        progress(f"候補と特徴量: {len(questions)} 問")
    examples = collect(searcher, questions)
    if len(examples) < 10:
        raise SettingsError(f"当てはめに使える質問が {len(examples)} 問しかありません (gold のある質問が 10 問以上"
                            f"必要です)", f"too few questions with gold to fit: {len(examples)}")
    cv = cross_validate(examples)
    hand = handset_figures(searcher, examples)
    weights = fit_weights(examples)
    model = FusionModel(weights=tuple(float(w) for w in weights), features=FEATURES, fitted={
        "on": [Path(f).name for f in question_files], "questions": len(examples),
        "date": time.strftime("%Y-%m-%d"), "cv_learned": cv, "handset_same_questions": hand,
        "negatives": NEGATIVES, "C": L2})
    path = save_fusion(model) if save else None
    return {"model": model, "path": path, "cv": cv, "handset": hand, "questions": len(examples)}


def fit_summary(out: Mapping[str, Any]) -> str:
    cv, hand = out["cv"], out["handset"]
    return "\n".join([
        f"融合モデルを当てはめました: 質問 {out['questions']} 問 → {out['path'] or '(保存せず)'}",
        "| ranking (tuning questions) | hit@1 | hit@5 | MRR@10 |", "|---|---|---|---|",
        f"| learned, {FOLDS}-fold cross-validation | {cv['hit@1']:.3f} | {cv['hit@5']:.3f} | {cv['mrr@10']:.3f} |",
        f"| hand-set re-rank | {hand['hit@1']:.3f} | {hand['hit@5']:.3f} | {hand['mrr@10']:.3f} |",
        "索引に入れるには `pfkb build` を実行してください (run `pfkb build` to write it into the index)"])
