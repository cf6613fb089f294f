"""Helpers shared by the `pfkb` command modules (kept apart from kb/cli.py so
that the command modules and kb/cli.py do not import each other)."""
from __future__ import annotations

import functools
import json
import re
import sys
import time
from pathlib import Path
from typing import Any, Callable

import click

from kb.core.errors import PfkbError
from kb.core.settings import Settings, check_data_dir


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def printable(text: Any) -> str:
    """Text for the terminal: control characters (ESC, BEL, … from a file name)
    shown as \\xNN instead of acting on the terminal; undecodable bytes as \\xNN."""
    text = str(text)
    if _SURROGATE.search(text):
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def check_argv(argv: list[str]) -> None:
    """Arguments that are not valid text in the locale's encoding (``$'\\xff研修'``)
    arrive as lone surrogates: refuse them here, by position, with exit 2."""
    for i, arg in enumerate(argv, start=1):
        if _SURROGATE.search(arg):
            click.echo(f"エラー: {i} 番目の引数 {printable(arg)!s} に UTF-8 として読めないバイトがあります。"
                       "UTF-8 の文字で指定してください (argument is not valid UTF-8 text)", err=True)
            sys.exit(2)


def settings_from(ctx: click.Context, **overrides: Any) -> Settings:
    base: Settings = ctx.obj["settings"]
    settings = base.with_(**{k: v for k, v in overrides.items() if v is not None})
    check_data_dir(settings.data_dir)
    return settings


def handle_errors(fn: Callable) -> Callable:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except PfkbError as e:
            click.echo(f"エラー: {printable(e)}", err=True)
            sys.exit(e.exit_code)
        except OSError as e:  # a file system refusal not foreseen above: still a message, not a traceback
            where = f"{printable(e.filename)}: " if e.filename else ""
            click.echo(f"エラー: {where}{e.strerror or e} (file system error: {type(e).__name__})", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("中断しました (interrupted)", err=True)
            sys.exit(130)
    return wrapper


def remaining_text(started: float, now: float, done: int, total: int) -> str:
    """「（残り 約40秒）」 from the pace so far; "" until there is a pace or when done."""
    if done <= 0 or done >= total or now <= started:
        return ""
    left = (now - started) / done * (total - done)
    return f"（残り 約{int(left // 60)}分{int(left % 60)}秒）" if left >= 60 else f"（残り 約{max(1, int(left))}秒）"


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


class Progress:
    """Progress on stderr with the time left: a tqdm bar on a terminal, else a line every few
    seconds (「埋め込み 120/233 件（残り 約40秒）」). A new stage (the message's first word:
    解析中 → 埋め込み → BM25) starts a new bar, so the time left is that stage's."""

    def __init__(self, desc: str):
        self.desc, self.stage, self.bar = desc, "", None
        self.tty = sys.stderr.isatty()
        self.started = self.last_line = 0.0
        self.printed = False

    def _new_bar(self, stage: str, total: int) -> None:
        from tqdm import tqdm
        if self.bar is not None:
            self.bar.close()
        self.stage, self.started = stage, time.monotonic()
        self.last_line, self.printed = self.started, False  # quiet for a stage that takes under 5 s
        self.bar = tqdm(total=total, desc=f"{self.desc}: {stage}"[:40], unit="件", file=sys.stderr, leave=True,
                        disable=not self.tty, bar_format="{desc} {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} 件 "
                                                           "[経過 {elapsed}、残り {remaining}]")

    def __call__(self, message: str, done: int, total: int) -> None:
        stage = (message.split() or [""])[0]
        if self.bar is None or stage != self.stage:
            self._new_bar(stage, total)
        self.bar.total = total
        self.bar.n = done
        self.bar.refresh()
        if not self.tty:
            now = time.monotonic()
            if now - self.last_line >= 5 or (done >= total and self.printed):
                self.last_line, self.printed = now, True
                click.echo(f"{self.desc}: {stage} {done}/{total} 件{remaining_text(self.started, now, done, total)}",
                           err=True)

    def close(self) -> None:
        if self.bar is not None:
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


