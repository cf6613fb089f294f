"""Parsing an untrusted file in a worker process with a memory limit
(``resource.setrlimit(RLIMIT_AS)``) and a time limit, so that a small PDF that
inflates to gigabytes, or one that takes forever, is refused with a clear
message instead of taking the server with it. Used for uploads."""
from __future__ import annotations

import multiprocessing as mp
import resource
from pathlib import Path
from typing import Any

from ingest.read import DocumentMeta, read_document
from kb.core.errors import InputFileError, PfkbError
from kb.core.records import ParsedDocument
from kb.core.settings import Settings


class TooBigToParseError(InputFileError):
    """Parsing the file needed more memory or time than allowed."""


def _child(conn: Any, path: str, meta: DocumentMeta | None, memory_mb: int, step_scorer: Any = None) -> None:
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        conn.send(("ok", read_document(Path(path), meta, step_scorer=step_scorer)))
    except MemoryError:
        conn.send(("memory", None))
    except PfkbError as e:  # a reader that met the limit reports a broken file: say what it was
        cause = e.__context__
        short = isinstance(cause, MemoryError) or "MemoryError" in getattr(e, "message_en", "") or \
            (cause is not None and any(isinstance(a, MemoryError) for a in getattr(cause, "args", ())))
        conn.send(("memory", None) if short else ("error", e))
    except Exception as e:  # noqa: BLE001 — reported to the parent as a corrupt file
        conn.send(("crash", f"{type(e).__name__}: {str(e)[:200]}"))
    finally:
        conn.close()


def parse_in_worker(path: Path, meta: DocumentMeta | None, settings: Settings,
                    step_scorer: Any = None) -> ParsedDocument:
    """``read_document(path, meta, step_scorer=…)`` in a fresh process (spawned: the server's
    threads and loaded models are not copied; a step scorer goes pickled, its embedder unloaded,
    and loads in the child only if a step must be inferred) under ``settings.parse_memory_mb``
    and ``settings.parse_timeout_s``."""
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, str(path), meta, settings.parse_memory_mb, step_scorer), daemon=True)
    proc.start()
    child.close()
    try:
        ready = parent.poll(settings.parse_timeout_s)
        kind, value = parent.recv() if ready else ("timeout", None)
    except EOFError:  # the child died without a word: killed for its memory, or crashed
        kind, value = "memory", None
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(5)
        parent.close()
    if kind == "ok":
        return value
    if kind == "error":
        raise value
    if kind == "timeout":
        raise TooBigToParseError(path, f"解析が {settings.parse_timeout_s:g} 秒で終わりませんでした",
                                 f"parsing took longer than {settings.parse_timeout_s:g}s",
                                 "ページ数を減らすか、PDF を書き出し直してください", "split or re-export the PDF")
    if kind == "memory":
        raise TooBigToParseError(path, f"解析に {settings.parse_memory_mb} MB を超えるメモリが必要です（展開すると巨大になる PDF）",
                                 f"parsing needs more than {settings.parse_memory_mb} MB (a PDF that inflates)",
                                 "PDF を書き出し直すか、ページを分けてください", "re-export or split the PDF")
    raise TooBigToParseError(path, "PDF を解析できませんでした", f"the parser failed: {value}",
                             "元の PDF を書き出し直してください", "export it again")
