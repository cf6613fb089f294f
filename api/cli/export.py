"""`pfkb export`, `pfkb compare`, `pfkb chart`: workshop packs, city comparisons
and pictures. Thin: each command opens the store, calls one library function
and writes the result; errors are mapped by api.cli.main.handle_errors."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from api.cli.common import settings_from, data_dir_option, handle_errors

output_option = click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
                             help="出力ファイル（md/text/json は省略すると標準出力）")


def _emit(rendered, output: Path | None) -> None:
    from kb.export import write_bytes_atomic
    if output is None:
        sys.stdout.write(rendered.data.decode("utf-8"))
        if not rendered.data.endswith(b"\n"):
            sys.stdout.write("\n")
        return
    path = write_bytes_atomic(output, rendered.data)
    click.echo(f"書き出しました: {path} ({len(rendered.data):,} bytes)", err=True)


def _check_output(output: Path | None, fmt: str, binary: bool) -> None:
    """A missing or unwritable path fails before the work, not after it."""
    if output is None and binary:
        from kb.core.errors import BadQueryError
        raise BadQueryError(f"{fmt} は -o/--output でファイル名を指定してください", f"give -o FILE for {fmt} output")
    if output is not None:
        from kb.export.output import check_output_path
        check_output_path(output)


@click.command()
@click.option("--phase", help="段階: initial | preparation | launch | self_sustaining")
@click.option("--step", help="ステップ: 1, 2, 3, 4-1, 4-2, 5, 6, 7, 8, 9")
@click.option("--city", help="自治体（例: 熊本市）")
@click.option("--question", help="質問（例: 「関係団体への声掛けはどうすればよい？」）から段階を選ぶ")
@click.option("--format", "fmt", type=click.Choice(["md", "docx", "pptx"]), default="md", show_default=True)
@output_option
@data_dir_option
@click.pass_context
@handle_errors
def export(ctx: click.Context, phase: str | None, step: str | None, city: str | None, question: str | None,
           fmt: str, output: Path | None, data_dir: Path | None) -> None:
    """研修パック（ねらい・各自治体の実践・試行的事業・団体の声・話し合いの問い）を書き出す。"""
    from kb.export import build_pack, render_pack
    from kb.store import open_store
    _check_output(output, fmt, binary=fmt != "md")
    settings = settings_from(ctx, data_dir=data_dir)
    store = open_store(settings)
    try:
        pack = build_pack(store, phase=phase, step=step, city=city, question=question, settings=settings)
    finally:
        store.close()
    if pack.note:
        click.echo(pack.note, err=True)
    _emit(render_pack(pack, fmt), output)


@click.command()
@click.argument("cities", nargs=-1, required=True)
@click.option("--step", help="ステップを 1 つに絞る（例: 5, 4-1）")
@click.option("--format", "fmt", type=click.Choice(["text", "md", "json", "docx", "pptx"]), default="text",
              show_default=True)
@output_option
@data_dir_option
@click.pass_context
@handle_errors
def compare(ctx: click.Context, cities: tuple[str, ...], step: str | None, fmt: str, output: Path | None,
            data_dir: Path | None) -> None:
    """2〜3 の自治体をステップごとに並べて比較する（出典つき）。"""
    from kb.export import build_comparison, render_comparison
    from kb.store import open_store
    _check_output(output, fmt, binary=fmt in ("docx", "pptx"))
    store = open_store(settings_from(ctx, data_dir=data_dir))
    try:
        comparison = build_comparison(store, list(cities), step)
    finally:
        store.close()
    _emit(render_comparison(comparison, fmt), output)


@click.command()
@click.argument("name", type=click.Choice(["matrix", "timeline", "spending"]))
@click.option("--format", "fmt", type=click.Choice(["png", "svg"]), default="png", show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="出力ファイル")
@click.option("--city", help="1 つの自治体に絞る")
@data_dir_option
@click.pass_context
@handle_errors
def chart(ctx: click.Context, name: str, fmt: str, output: Path, city: str | None, data_dir: Path | None) -> None:
    """図: matrix（自治体 × ステップ）、timeline（行程の時期）、spending（試行的事業の費用）。"""
    from kb.export import render_chart, write_bytes_atomic
    from kb.store import open_store
    _check_output(output, fmt, binary=True)
    store = open_store(settings_from(ctx, data_dir=data_dir))
    try:
        picture = render_chart(store, name, fmt, city)
    finally:
        store.close()
    path = write_bytes_atomic(output, picture.data)
    click.echo(f"書き出しました: {path} ({len(picture.data):,} bytes)", err=True)
