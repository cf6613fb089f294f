"""The evaluation harness: scoring functions, question files, and the dev-set targets."""
from __future__ import annotations

from collections import Counter

import pytest

from eval.harness import TARGETS, results_table, run_search_eval, target_failures, write_report
from eval.metrics import any_gold, evidence_match, first_rank, gold_match, squash_nfkc, summarize
from eval.questions import DEV_QUESTIONS, OWN_QUESTIONS, read_questions
from kb.core.errors import SettingsError
from kb.core.records import KINDS, STEP_CODES


# ---------------------------------------------------------------- metrics

def test_gold_match_needs_every_field_and_title_substring():
    item = {"kind": "trial", "city": "熊本市", "step": None, "title": "相談先一 覧リーフレ ットの更新"}
    assert gold_match(item, {"kind": "trial", "city": "熊本市"})
    assert gold_match(item, {"kind": "trial", "title~": "一覧リーフレット"})  # spaces from PDF line breaks
    assert gold_match(item, {"title~": "ﾘｰﾌﾚｯﾄ"})  # NFKC: half-width katakana
    assert not gold_match(item, {"kind": "trial", "city": "福岡市"})
    assert not gold_match(item, {"kind": "lesson", "title~": "リーフレット"})
    assert not gold_match({"kind": "trial", "title": None}, {"title~": "x"})
    assert any_gold(item, [{"kind": "lesson"}, {"city": "熊本市"}])
    assert not any_gold(item, [])


def test_evidence_matches_after_nfkc_and_whitespace_removal():
    text = "回収結果　145 団体（回収率は２３．４％）\n"
    assert evidence_match(text, ["回収率は23.4%"])
    assert evidence_match(text, ["存在しない", "145団体"])
    assert not evidence_match(text, ["回収率は23.5%"])
    assert not evidence_match(text, ["", None])
    assert squash_nfkc(" Ｐ Ｆ\t会議\n") == "PF会議"


def test_first_rank_hit_at_k_and_mrr():
    assert first_rank([False, False, True, True]) == 2
    assert first_rank([False]) is None and first_rank([]) is None
    m = summarize([0, 1, 4, 5, None])
    assert m["n"] == 5
    assert m["hit@1"] == pytest.approx(1 / 5)
    assert m["hit@5"] == pytest.approx(3 / 5)
    assert m["mrr@10"] == pytest.approx((1 + 1 / 2 + 1 / 5 + 1 / 6) / 5)
    assert summarize([])["hit@1"] == 0.0
    assert summarize([10])["mrr@10"] == 0.0  # rank 11 is outside MRR@10


# ---------------------------------------------------------------- question files

def write(tmp_path, *lines: str):
    p = tmp_path / "q.jsonl"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def test_a_bad_line_is_named(tmp_path):
    good = '{"id": "a", "question": "PFとは？", "gold": [{"kind": "lesson"}], "evidence": ["PF"]}'
    with pytest.raises(SettingsError, match=r"q\.jsonl:3:.*line 3"):
        read_questions(write(tmp_path, good, "", "{not json"))
    with pytest.raises(SettingsError, match=r"q\.jsonl:2:"):
        read_questions(write(tmp_path, good, '{"id": "b"}'))
    with pytest.raises(SettingsError, match=r"q\.jsonl:1:.*colour"):
        read_questions(write(tmp_path, '{"id": "c", "question": "?", "gold": [{"colour": "red"}]}'))
    with pytest.raises(SettingsError, match="not found"):
        read_questions(tmp_path / "missing.jsonl")


def test_question_fields_are_read(tmp_path):
    (q,) = read_questions(write(tmp_path, '{"id": "n1", "type": "none", "question": "予算は？", "gold": [], '
                                          '"expect_no_evidence": true, "note": "x"}'))
    assert q.id == "n1" and not q.answerable and q.gold == () and q.extra == {"note": "x"}


@pytest.mark.parametrize("path", [DEV_QUESTIONS, OWN_QUESTIONS], ids=["dev", "own"])
def test_question_sets_are_well_formed(path):
    qs = read_questions(path)
    ids = [q.id for q in qs]
    assert len(ids) == len(set(ids))
    for q in qs:
        if q.answerable:
            assert q.gold and q.evidence, q.id
        else:
            assert not q.gold, q.id


def test_own_set_covers_every_step_kind_and_out_of_corpus_questions():
    qs = read_questions(OWN_QUESTIONS)
    answerable = [q for q in qs if q.answerable]
    assert len(answerable) >= 30
    assert sum(1 for q in qs if not q.answerable) >= 5
    steps = {g.get("step") for q in answerable for g in q.gold}
    kinds = {g.get("kind") for q in answerable for g in q.gold}
    assert set(STEP_CODES) <= steps, set(STEP_CODES) - steps
    # the own set is about the report; measures are records of other documents (the national plan's sets)
    assert set(KINDS) - {"context", "measure"} <= kinds, set(KINDS) - kinds
    types = Counter(q.type for q in qs)
    assert types["fact"] >= 8 and types["city"] >= 5


def test_evidence_strings_are_in_the_report(corpus_parsed):
    """Evidence was copied from the report: each string is in some record of the parsed export."""
    texts = [f"{r.title}\n{r.text}" for r in corpus_parsed.records]
    for path in (DEV_QUESTIONS, OWN_QUESTIONS):
        for q in read_questions(path):
            for e in q.evidence:
                assert any(evidence_match(t, [e]) for t in texts), (path.name, q.id, e)


# ---------------------------------------------------------------- the harness on the corpus

@pytest.fixture(scope="session")
def dev_results(built_settings):
    """hybrid and the naive baseline on the dev set, run once."""
    return {r.mode: r for r in run_search_eval(built_settings, read_questions(DEV_QUESTIONS),
                                               modes=("hybrid", "naive"))}


@pytest.mark.slow
def test_dev_set_targets(dev_results):
    g = dev_results["hybrid"].gold
    assert g["hit@1"] >= TARGETS["hybrid"]["hit@1"] == 0.85, dev_results["hybrid"].misses
    assert g["hit@5"] >= 0.97 and g["mrr@10"] >= 0.90, dev_results["hybrid"].misses
    assert target_failures(list(dev_results.values())) == []


@pytest.mark.slow
def test_hybrid_beats_the_naive_baseline_on_evidence(dev_results):
    h, n = dev_results["hybrid"].evidence, dev_results["naive"].evidence
    assert dev_results["naive"].gold is None  # chunks carry no record fields
    assert h["hit@1"] > n["hit@1"] and h["mrr@10"] > n["mrr@10"], (h, n)


@pytest.mark.slow
def test_report_has_the_side_by_side_table_and_a_chart(dev_results, tmp_path):
    table = results_table(list(dev_results.values()))
    assert table.splitlines()[0].startswith("| mode | hit@1 (gold)")
    assert "| naive | — |" in table
    out = write_report(tmp_path / "report.md", "dev", list(dev_results.values()))
    md = out.read_text(encoding="utf-8")
    assert md.startswith("# dev") and "| hybrid |" in md and "![metrics](report.png)" in md
    assert (tmp_path / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_pfkb_eval_command_prints_the_table(built_data_dir, tmp_path):
    from click.testing import CliRunner
    from api.cli.main import cli
    res = CliRunner().invoke(cli, ["eval", "--mode", "bm25", "--mode", "hybrid", "--no-misses",
                                   "--report", str(tmp_path / "r.md"), "--data-dir", str(built_data_dir)])
    assert res.exit_code == 0, res.output
    assert "| bm25 |" in res.stdout and "| hybrid |" in res.stdout and (tmp_path / "r.md").exists()


# ---------------------------------------------------------------- fitting the fusion

def test_fit_refuses_a_test_split(tmp_path):
    from eval.fit import check_tuning_files
    with pytest.raises(SettingsError) as e:
        check_tuning_files([tmp_path / "report_tune.jsonl", tmp_path / "report_test.jsonl"])
    assert "report_test.jsonl" in str(e.value)


def test_pairwise_fit_learns_the_feature_that_separates_gold():
    import numpy as np
    from eval.fit import Example, cross_validate, fit_weights, ranks_of
    from eval.questions import Question
    rng = np.random.default_rng(0)
    examples = []
    for i in range(40):
        X = rng.random((20, 3))  # feature 1 is noise, 2 is noise, 0 is higher for the gold record
        gold = np.zeros(20, dtype=bool)
        gold[i % 20] = True
        X[i % 20, 0] += 1.0
        examples.append(Example(Question(id=f"q{i}", type="t", question="q"), X, gold))
    w = fit_weights(examples)
    assert w[0] > 0 and w[0] > 3 * max(abs(w[1]), abs(w[2]))
    assert all(r == 0 for r in ranks_of(examples, w))
    assert cross_validate(examples)["hit@1"] >= 0.9  # held-out folds: nearly every gold first


# ---------------------------------------------------------------- the frozen test split in CI

FROZEN_TEST = ("report_test.jsonl", "awkward_test.jsonl")  # scored, never fitted on
# a little under the figures measured when the floor was set (README, Evaluation): a drop fails CI.
# stop 16: test split 1 measured 0.735 / 0.926 / 0.815, the fresh test2 split 0.740 / 0.980 / 0.831;
# stop 17 (footnote records, passage candidates, refitted fusion): 0.721 / 0.897 / 0.807 and
# 0.780 / 0.920 / 0.846 — test2's hit@5 fell by one question, its hit@1 and MRR rose (README, Figures);
# stop 19 (page spans, short-unit reading, fusion refitted on the third tuning split): 0.765 / 0.897 / 0.827
# and 0.800 / 0.980 / 0.862
TEST_FLOOR = {"hit@1": 0.74, "hit@5": 0.88, "mrr@10": 0.80}
FROZEN_TEST2 = ("report_test2.jsonl",)
TEST2_FLOOR = {"hit@1": 0.77, "hit@5": 0.94, "mrr@10": 0.83}
# the national plan's two test splits together (55 questions; gold = document and printed page):
# measured 0.636 / 0.818 / 0.724 in stop 17, when hybrid first beat the naive pipeline on them;
# stop 19: 0.673 / 0.927 / 0.794 (a passage over two pages now cites both)
FROZEN_PLAN = ("plan_test.jsonl", "plan_test2.jsonl")
PLAN_FLOOR = {"hit@1": 0.64, "hit@5": 0.89, "mrr@10": 0.76}


@pytest.mark.slow
@pytest.mark.parametrize("files,floors", [(FROZEN_TEST, TEST_FLOOR), (FROZEN_TEST2, TEST2_FLOOR),
                                          (FROZEN_PLAN, PLAN_FLOOR)], ids=["test", "test2", "plan"])
def test_the_frozen_test_split_stays_above_its_floor(built_settings, files, floors):
    from eval.questions import HERE
    questions = [q for name in files for q in read_questions(HERE / "sets" / name)]
    (hybrid,) = run_search_eval(built_settings, questions, modes=("hybrid",))
    for metric, floor in floors.items():
        assert hybrid.gold[metric] >= floor, (metric, hybrid.gold)


def test_the_per_document_table_gives_evidence_figures_for_every_mode_side_by_side():
    from eval.harness import ModeResult, per_document_table
    fig = lambda n, h1: {"n": n, "hit@1": h1, "hit@5": 1.0, "mrr@10": h1}  # noqa: E731
    hybrid = ModeResult("hybrid", fig(3, 1.0), fig(3, 0.5), per_document={"juten": fig(2, 1.0)},
                        per_document_evidence={"juten": fig(2, 0.5), "report": fig(1, 1.0)})
    naive = ModeResult("naive", None, fig(3, 0.25), per_document_evidence={"juten": fig(2, 0.25)})
    rows = per_document_table([hybrid, naive]).splitlines()
    assert "hit@1 (evidence)" in rows[0] and "hit@1 (gold)" in rows[0]
    assert "| juten | hybrid | 2 | 1.000 | 1.000 | 1.000 | 2 | 0.500 | 1.000 | 0.500 |" in rows
    assert "| juten | naive | — | — | — | — | 2 | 0.250 | 1.000 | 0.250 |" in rows  # the naive pipeline in the same table
    assert any(r.startswith("| report | hybrid | — |") for r in rows)
