"""The `pfkb` command: thin. Every command builds Settings once, calls one
library function and prints; our exceptions become messages and exit codes
here, in one place."""
from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from api.cli.common import Progress, StageBars, check_argv, printable, settings_from, data_dir_option, echo_json, handle_errors  # noqa: F401
from kb.core.settings import Settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="pfkb", message="pfkb %(version)s")
@click.pass_context
@handle_errors
def cli(ctx: click.Context) -> None:
    """pfkb — 孤独・孤立対策 官民連携プラットフォームの知識ベース。"""
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    ctx.obj = {"settings": Settings.from_env()}


@cli.command()
@data_dir_option
@click.option("--corpus", "corpus_dir", type=click.Path(path_type=Path), default=None,
              help="報告書のディレクトリ (default: ./corpus)")
@click.option("--no-index", is_flag=True, help="索引を作らず、記録だけ作る")
@click.pass_context
@handle_errors
def build(ctx: click.Context, data_dir: Path | None, corpus_dir: Path | None, no_index: bool) -> None:
    """corpus/ の報告書をすべて取り込み、検索索引を作る。"""
    from ingest.pipeline import rebuild
    settings = settings_from(ctx, data_dir=data_dir, corpus_dir=corpus_dir)
    bars = StageBars()
    try:
        done = rebuild(settings, progress=bars, index=not no_index)
    finally:
        bars.close()
    for r in done.ingested:
        click.echo(f"{r.status:9} {r.document}  記録 {r.records} 件" + ("" if r.recognized else "  (構成を認識できず context として取り込み)"))
        if r.understood:
            click.echo(f"          {r.understood}")
    if done.index is not None:
        info = done.index
        click.echo(f"索引: {info['path']} (記録 {info['records']} 件, 新規埋め込み {info['embedded']} 件)")


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@data_dir_option
@click.option("--replace", "replace", metavar="ID", default=None,
              help="この ID の文書を置き換える（1 ファイルのみ）。指定しなければ追加し、同じ名前の別の文書があれば別の ID にする")
@click.pass_context
@handle_errors
def ingest(ctx: click.Context, paths: tuple[Path, ...], data_dir: Path | None, replace: str | None) -> None:
    """PDF またはテキスト出力を取り込む（問題があれば何も書き込まない）。"""
    from ingest.pipeline import ingest_paths
    settings = settings_from(ctx, data_dir=data_dir)
    bar = Progress("取り込み")
    try:
        results = ingest_paths(settings, paths, progress=bar, replace=replace)
    finally:
        bar.close()
    for r in results:
        click.echo(f"{r.status:9} {r.document}  記録 {r.records} 件 ({printable(r.path)})")
        if r.renamed_from:
            click.echo(f"注意: {r.note_ja}", err=True)
        if r.understood:
            click.echo(f"          {r.understood}")
        if not r.recognized:
            click.echo(f"警告: {printable(r.path)}: 報告書の構成を認識できませんでした。context 記録として取り込みました "
                       f"(structure not recognised; ingested as generic context records)", err=True)
        elif r.warnings:
            click.echo(f"注意: {printable(r.path)}: 警告 {r.warnings} 件 — `pfkb stats` で確認できます", err=True)
    if any(r.status != "unchanged" for r in results):
        click.echo("検索索引に反映するには `pfkb build` を実行してください", err=True)


@cli.command()
@data_dir_option
@click.option("--json", "as_json", is_flag=True, help="JSON で出力")
@click.pass_context
@handle_errors
def stats(ctx: click.Context, data_dir: Path | None, as_json: bool) -> None:
    """都市 × 種類 × 段階ごとの件数と、解析できなかった断片。"""
    from kb.store import open_store
    from ingest.pipeline import stats as compute
    store = open_store(settings_from(ctx, data_dir=data_dir))
    data = compute(store)
    if as_json:
        echo_json(data)
        return
    click.echo(f"文書 {len(data['documents'])} 件, 記録 {data['records']} 件")
    for d in data["documents"]:
        click.echo(f"  {d['id']} [{d['format']}] {d['title'][:50]}" + ("" if d["recognized"] else " (構成を認識できず)"))
        if d["id"] in data.get("understood", {}):
            click.echo(f"      {data['understood'][d['id']]['line']}")
    click.echo("種類別: " + ", ".join(f"{k} {v}" for k, v in sorted(data["by_kind"].items())))
    click.echo(f"{'都市':<10}{'種類':<14}{'段階':<16}件数")
    for row in data["by_city_kind_phase"]:
        click.echo(f"{row['city']:<10}{row['kind']:<14}{row['phase']:<16}{row['count']}")
    n = data["notes"]
    click.echo(f"解析できなかった断片: {len(n['unparsed'])} 件, 警告: {len(n['warning'])} 件, 情報: {len(n['info'])} 件")
    for note in n["unparsed"] + n["warning"]:
        where = f"p.{note['page']}" if note["page"] else f"l.{note['line']}" if note["line"] else ""
        click.echo(f"  [{note['severity']}] {note['section']} {where}: {note['message']} {note['fragment'][:60]}")


@cli.command()
@data_dir_option
@click.option("--json", "as_json", is_flag=True, help="JSON 配列で出力")
@click.option("--kind", type=click.Choice(["lesson", "breakthrough", "trial", "profile", "column", "summary",
                                           "overview", "context"]))
@click.option("--city")
@click.option("--step")
@click.option("--phase")
@click.pass_context
@handle_errors
def records(ctx: click.Context, data_dir: Path | None, as_json: bool, kind: str | None, city: str | None,
            step: str | None, phase: str | None) -> None:
    """記録の一覧（--json で domain.md の形の JSON 配列）。"""
    from kb.store import open_store
    from kb.search.filters import check_filters
    f = check_filters({"city": city, "step": step, "phase": phase, "kind": kind})
    store = open_store(settings_from(ctx, data_dir=data_dir))
    recs = store.records(kind=f.get("kind"), city=f.get("city"), step=f.get("step"), phase=f.get("phase"))
    if as_json:
        echo_json([r.to_dict() for r in recs])
        return
    for r in recs:
        click.echo(f"{r.id}  {r.kind:<12} {r.city or '-':<6} {r.step or '-':<4} {r.title[:60]}")


from api.cli.serve import serve  # noqa: E402
cli.add_command(serve)


from api.cli.search import ask, eval_cmd, search  # noqa: E402
cli.add_command(search)
cli.add_command(ask)
cli.add_command(eval_cmd)


from api.cli.export import chart, compare, export  # noqa: E402
cli.add_command(export); cli.add_command(compare); cli.add_command(chart)  # noqa: E702


def main() -> None:
    check_argv(sys.argv[1:])
    cli(prog_name="pfkb")


if __name__ == "__main__":
    main()
