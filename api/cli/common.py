"""Helpers shared by the `pfkb` command modules (kept apart from kb/cli.py so
that the command modules and kb/cli.py do not import each other)."""
from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import Any, Callable

import click

from kb.core.errors import PfkbError
from kb.core.settings import Settings


def settings_from(ctx: click.Context, **overrides: Any) -> Settings:
    base: Settings = ctx.obj["settings"]
    return base.with_(**{k: v for k, v in overrides.items() if v is not None})


def handle_errors(fn: Callable) -> Callable:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except PfkbError as e:
            click.echo(f"エラー: {e}", err=True)
            sys.exit(e.exit_code)
        except KeyboardInterrupt:
            click.echo("中断しました (interrupted)", err=True)
            sys.exit(130)
    return wrapper


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


class Progress:
    """A tqdm progress bar on stderr (quiet when not a terminal unless forced)."""

    def __init__(self, desc: str):
        from tqdm import tqdm
        self.bar = tqdm(total=0, desc=desc, unit="file", file=sys.stderr, leave=True,
                        disable=None)

    def __call__(self, message: str, done: int, total: int) -> None:
        self.bar.total = total
        self.bar.set_description(message[:40])
        self.bar.n = done
        self.bar.refresh()

    def close(self) -> None:
        self.bar.close()


class StageBars:
    """One progress bar per stage of ``rebuild`` (取り込み, then 索引)."""
    LABELS = {"ingest": "取り込み", "index": "索引"}

    def __init__(self) -> None:
        self.stage, self.bar = "", None

    def __call__(self, stage: str, message: str, done: int, total: int) -> None:
        if stage != self.stage:
            self.close()
            self.stage, self.bar = stage, Progress(self.LABELS.get(stage, stage))
        self.bar(message, done, total)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


data_dir_option = click.option("--data-dir", type=click.Path(path_type=Path), default=None,
                               help="データディレクトリ (default: $PFKB_DATA_DIR or ./data)")


