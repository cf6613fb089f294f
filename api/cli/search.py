"""`pfkb search` and `pfkb eval`."""
from __future__ import annotations

from pathlib import Path

import click

from api.cli.common import settings_from, data_dir_option, echo_json, handle_errors
from kb.core.display import tilde_to_wave


@click.command()
@click.argument("query")
@click.option("--k", default=10, show_default=True, type=int, help="件数")
@click.option("--city")
@click.option("--phase")
@click.option("--step")
@click.option("--kind")
@click.option("--mode", type=click.Choice(["hybrid", "bm25", "dense"]), default="hybrid", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="domain.md の JSON で出力")
@data_dir_option
@click.pass_context
@handle_errors
def search(ctx: click.Context, query: str, k: int, city: str | None, phase: str | None, step: str | None,
           kind: str | None, mode: str, as_json: bool, data_dir: Path | None) -> None:
    """記録を検索する（日本語の形態素解析 BM25 + 埋め込み、RRF で統合）。"""
    from kb.search.searcher import get_searcher
    settings = settings_from(ctx, data_dir=data_dir)
    hits = get_searcher(settings).search(query, k=k, mode=mode,
                                         filters={"city": city, "phase": phase, "step": step, "kind": kind})
    if as_json:
        echo_json({"results": [h.to_dict() for h in hits]})
        return
    if not hits:
        click.echo("該当する記録はありません")
    for i, h in enumerate(hits, 1):
        r = h.record
        click.echo(f"{i:2}. [{h.score:.4f}] {r.citation_label()}")
        click.echo(f"    {r.title[:80]}")


@click.command(name="eval")
@click.option("--questions", "question_files", multiple=True, type=click.Path(path_type=Path),
              help="質問ファイル (JSONL)。省略時は eval/dev_questions.jsonl")
@click.option("--mode", "modes", multiple=True,
              type=click.Choice(["bm25", "dense", "hybrid", "naive", "naive-bm25", "naive-hybrid", "ask", "all"]),
              help="評価するモード（複数可、省略時はすべて）")
@click.option("--report", type=click.Path(path_type=Path), help="Markdown レポート（図つき）の出力先")
@click.option("--show-misses/--no-misses", default=True)
@data_dir_option
@click.pass_context
@handle_errors
def eval_cmd(ctx: click.Context, question_files: tuple[Path, ...], modes: tuple[str, ...], report: Path | None,
             show_misses: bool, data_dir: Path | None) -> None:
    """検索（と回答）の評価: hit@1, hit@5, MRR@10、取りこぼし一覧。"""
    from eval.harness import ALL_MODES, results_table, run_search_eval, target_failures, write_report
    from eval.questions import DEV_QUESTIONS, read_questions
    settings = settings_from(ctx, data_dir=data_dir)
    questions = []
    for f in question_files or (DEV_QUESTIONS,):
        questions += read_questions(f)
    wanted = set(modes) if modes and "all" not in modes else set(ALL_MODES) | {"ask"}
    search_modes = tuple(m for m in ALL_MODES if m in wanted)
    results = run_search_eval(settings, questions, search_modes, progress=lambda m: click.echo(m, err=True))
    click.echo(f"質問 {len(questions)} 件 ({', '.join(str(f) for f in (question_files or (DEV_QUESTIONS,)))})")
    click.echo(results_table(results))
    extra = []
    if "ask" in wanted:
        from eval.ask_eval import ask_table, run_ask_eval
        ask = run_ask_eval(settings, questions)
        click.echo("")
        click.echo(ask_table(ask))
        extra.append("## ask\n\n" + ask_table(ask))
        if show_misses:
            for m in ask["misses"]:
                click.echo(f"  ask miss {m['id']}: {m['why']} — {m['question']}")
    if show_misses:
        for r in results:
            for m in r.misses:
                click.echo(f"  {r.mode} miss {m['id']} (rank {m['rank'] or '>10'}): {m['question']} | {m['top'][:1]}")
    fails = target_failures(results)
    if fails:
        click.echo("目標未達: " + "; ".join(fails))
    if report:
        path = write_report(report, "pfkb evaluation", results, extra)
        click.echo(f"レポート: {path}")


@click.command()
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="JSON で出力（answer, citations, no_evidence, question_type, conflicts…）")
@click.option("--no-llm", is_flag=True, help="LLM が設定されていても使わない")
@data_dir_option
@click.pass_context
@handle_errors
def ask(ctx: click.Context, question: str, as_json: bool, no_llm: bool, data_dir: Path | None) -> None:
    """質問に、段階・ステップ別に整理し出典つきで答える（LLM 不要）。"""
    from kb.answer.pipeline import ask as compose
    settings = settings_from(ctx, data_dir=data_dir)
    answer = compose(settings, question, use_llm=False if no_llm else None)
    if as_json:
        echo_json(answer.to_dict())
        return
    click.echo(tilde_to_wave(answer.llm_answer or answer.answer))  # 「〜」 as on the page
    if answer.related and answer.no_evidence:
        click.echo("関連する記録（回答ではありません）:")
        for h in answer.related:
            click.echo(f"  - {h.record.citation_label()} {h.record.title[:50]}")
    for c in answer.conflicts:
        vals = "、".join(f"{v['where']}: {v['raw']}" for v in c["values"])
        click.echo(f"注意: {c['city']}の{c['name']}は資料内で記載が異なります（{vals}）")
