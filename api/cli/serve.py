"""`pfkb serve`: build the knowledge base if it is missing, then serve the API
and the web page with uvicorn."""
from __future__ import annotations

import gc
import logging
import threading
import time
from pathlib import Path

import click

from api.cli.common import StageBars, settings_from, data_dir_option, handle_errors
from kb.core.settings import Settings

log = logging.getLogger("pfkb.serve")


def index_missing(settings: Settings) -> bool:
    """No usable index: none yet, or one built with other settings (e.g. after an upgrade
    changed the index format). Checked with kb.search.manifest, which does not import
    llama-index (2+ s) and so does not hold up the start."""
    from kb.search.manifest import index_usable
    return not index_usable(settings)


def index_stale(settings: Settings) -> bool:
    """The index was built from other content than the store holds now (a crash
    between storing an upload's records and rebuilding the index)."""
    from kb.search.manifest import current_index_dir, read_manifest
    from kb.store import open_store
    d = current_index_dir(settings)
    if d is None or not settings.db_path.exists():
        return False
    store = open_store(settings)
    try:
        return read_manifest(d).get("corpus_hash") != store.content_hash()
    finally:
        store.close()


def ensure_built(settings: Settings) -> None:
    """Ingest corpus/ and build the index when the data dir lacks either, and
    rebuild an index that is older than the store."""
    from ingest.pipeline import rebuild
    missing_db = not settings.db_path.exists()
    missing_index = missing_db or index_missing(settings)
    stale = not missing_index and index_stale(settings)
    if not missing_index and not stale:
        return
    click.echo(f"知識ベースがないため作成します: {settings.data_dir}" if missing_db else
               "検索索引がない（または設定と合わない）ため作成します" if missing_index else
               "検索索引が知識ベースより古いため作り直します（前回の更新が途中で止まった可能性があります）", err=True)
    bars = StageBars()
    try:
        rebuild(settings, progress=bars, ingest=missing_db)
    finally:
        bars.close()


def warm_up(app, server) -> None:
    """Once the server answers, load the index, tokenizer and embedder in the
    background so that the first question is not the slow one; then freeze the
    loaded objects out of the garbage collector's full passes (a full pass over
    the ~220,000 long-lived objects of the index and libraries takes ~160 ms,
    a stall for every request in flight)."""
    def run() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.05)
        try:
            from api.jobs import import_search_stack
            import_search_stack()
            from kb.search.searcher import search
            search(app.state.settings, "連携PFの立ち上げ", k=1)
        except Exception as e:  # a failed warm-up is only a slower first request
            log.warning("warm-up search failed: %s", e)
        gc.collect()
        gc.freeze()
    threading.Thread(target=run, name="pfkb-warm-up", daemon=True).start()


def announce_when_ready(server, url: str) -> None:
    """Print the address once the server answers (not before: a click on it would fail)."""
    def run() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.05)
        if server.started:
            click.echo(f"\n準備ができました。ブラウザで開いてください: {url}\n"
                       f"（API の説明: {url}docs　終了: Ctrl+C）", err=True)
    threading.Thread(target=run, name="pfkb-announce", daemon=True).start()


@click.command()
@click.option("--host", default=None, help="待ち受けるアドレス (default: $PFKB_HOST or 127.0.0.1)")
@click.option("--port", type=int, default=None, help="ポート (default: $PFKB_PORT or 8000)")
@data_dir_option
@click.option("--no-build", is_flag=True, help="知識ベースがなくても作らない（/api は 503 を返す）")
@click.option("--workers", type=click.IntRange(1, 32), default=1, show_default=True,
              help="ワーカープロセスの数（取り込みジョブを実行するのはそのうち 1 つ）")
@click.pass_context
@handle_errors
def serve(ctx: click.Context, host: str | None, port: int | None, data_dir: Path | None, no_build: bool,
          workers: int) -> None:
    """API と画面を http://HOST:PORT/ で提供する（知識ベースがなければ先に作る）。"""
    import os

    import uvicorn

    from api.app import create_app

    settings = settings_from(ctx, host=host, port=port, data_dir=data_dir)
    if not no_build:
        ensure_built(settings)
    if workers > 1:  # uvicorn starts the processes; each builds its app from the same settings
        os.environ.update(settings.to_env())
        click.echo(f"pfkb: http://{settings.host}:{settings.port}/ （{workers} プロセス、API の説明: /docs）", err=True)
        uvicorn.run("api.app:create_app_from_env", factory=True, host=settings.host, port=settings.port,
                    workers=workers, log_level="warning", access_log=False)
        return
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning",
                                           access_log=False))
    if not no_build:
        warm_up(app, server)
    url = f"http://{settings.host}:{settings.port}/"
    click.echo(f"pfkb: {url} で起動しています…", err=True)
    announce_when_ready(server, url)
    server.run()
