"""Background ingestion of uploaded files. Jobs live in SQLite
(kb/store/jobs.py), so they survive a restart and every worker process sees
them; one process at a time is the writer — the one holding the lock file
``data_dir/writer.lock`` — and runs the jobs in order: parse the file (in a
limited worker process; nothing is written if it is bad), store it, rebuild
the index. Searches in every process switch to the new index version when
its CURRENT pointer changes.

On taking the writer role the runner settles what a crash left: jobs cut off
while parsing or indexing run again from their saved file (or fail, saying
so, when the file is gone); upload folders of no job, temporary index
directories and source files no document cites are removed.

A job is visible while it runs: status queued → parsing → indexing → done, or
error with the message that says what was wrong with the file."""
from __future__ import annotations

import fcntl
import logging
import os
import shutil
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from kb.core.errors import NotFoundError, PfkbError
from kb.core.faults import fault_point
from kb.core.settings import Settings
from kb.store.jobs import ACTIVE, JobStore

log = logging.getLogger("pfkb.api.jobs")
POLL_S = 0.5  # how often a runner looks for jobs queued by another process
_IMPORT_LOCK = threading.Lock()


def import_search_stack() -> None:
    """Import the search libraries once, one thread at a time: llama-index fails
    when two threads import it at once (the warm-up search and the job runner)."""
    with _IMPORT_LOCK:
        import ingest.pipeline  # noqa: F401
        import kb.search.index  # noqa: F401
        import kb.search.searcher  # noqa: F401


@dataclass(frozen=True)
class Job:
    """A job being accepted: its id and where its file goes."""
    id: str
    file_name: str
    path: Path
    replace: str | None = None


def job_to_dict(row: dict[str, Any]) -> dict[str, Any]:
    return {"job_id": row["id"], "file": row["file"], "status": row["state"],
            "progress": round(row["progress"], 3), "message": row["message"], "message_en": row["message_en"],
            "result": row["result"]}


class IngestJobs:
    """The job table plus the runner thread of this process."""

    def __init__(self, settings: Settings, after_index: Callable[[], None] | None = None):
        self.settings = settings
        self.after_index = after_index
        self._db: JobStore | None = None
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._runner: threading.Thread | None = None
        self._writer_fd: int | None = None
        self._stop = False

    @property
    def upload_dir(self) -> Path:
        return self.settings.data_dir / "uploads"

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            if self._db is None:
                self._db = JobStore(self.settings.data_dir / "jobs.sqlite3")
            return getattr(self._db, method)(*args, **kwargs)

    # --- accepting ---------------------------------------------------------------

    def new_job(self, file_name: str, replace: str | None = None) -> Job:
        job_id = uuid.uuid4().hex
        folder = self.upload_dir / job_id
        folder.mkdir(parents=True, exist_ok=True)
        return Job(job_id, file_name, folder / file_name, replace)

    def submit(self, job: Job) -> dict[str, Any]:
        self._call("add", job.id, job.file_name, job.path, job.replace)
        fault_point("job:accepted")
        self.start()
        self._wake.set()
        return self.get(job.id)

    def discard(self, job: Job) -> None:
        self._call("delete", job.id)
        shutil.rmtree(job.path.parent, ignore_errors=True)

    def get(self, job_id: str) -> dict[str, Any]:
        row = self._call("get", job_id)
        if row is None:
            raise NotFoundError(f"取り込みジョブ {job_id[:40]!r} はありません", "unknown job id")
        return job_to_dict(row)

    # --- running -----------------------------------------------------------------

    def start(self) -> None:
        """Start this process's runner (idempotent)."""
        with self._lock:
            if self._runner is None or not self._runner.is_alive():
                self._stop = False
                self._runner = threading.Thread(target=self._run, name="pfkb-ingest", daemon=True)
                self._runner.start()

    def stop(self) -> None:
        self._stop = True
        self._wake.set()
        if self._runner is not None:
            self._runner.join(10)
        if self._writer_fd is not None:
            os.close(self._writer_fd)
            self._writer_fd = None
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def _take_writer_role(self) -> bool:
        if self._writer_fd is not None:
            return True
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.settings.data_dir / "writer.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._writer_fd = fd
        return True

    def _run(self) -> None:
        while not self._stop:
            if not self._take_writer_role():  # another process runs the jobs
                self._wake.wait(POLL_S * 4)
                self._wake.clear()
                continue
            if not getattr(self, "_recovered", False):
                self._recovered = True
                try:
                    self.recover()
                except Exception:  # noqa: BLE001 — a failed clean-up must not stop the runner
                    log.exception("recovery after restart failed")
            row = self._call("next_queued")
            if row is not None:
                import_search_stack()
            if row is None:
                self._wake.wait(POLL_S)
                self._wake.clear()
                continue
            try:
                self.process(row)
            except Exception:  # the runner must survive any one job
                log.exception("ingest job %s failed", row["id"])
                self._call("update", row["id"], state="error", message="取り込み中に予期しないエラーが発生しました",
                           message_en="unexpected error while ingesting")
            finally:
                if self._call("get", row["id"])["state"] in ("done", "error"):
                    shutil.rmtree(Path(row["path"]).parent, ignore_errors=True)

    def recover(self) -> dict[str, list[str]]:
        """What a crash left, settled once by the writer (see the module docstring)."""
        from ingest.pipeline import remove_unreferenced_sources
        from kb.store import open_store
        done: dict[str, list[str]] = {"resumed": [], "failed": [], "removed": []}
        active = self._call("active")
        for row in active:
            if Path(row["path"]).is_file():
                self._call("update", row["id"], state="queued", progress=0.0,
                           message="再起動したため、もう一度取り込みます", message_en="resumed after a restart")
                done["resumed"].append(row["id"])
            else:
                self._call("update", row["id"], state="error",
                           message="再起動の際にアップロードされたファイルが見つかりませんでした。もう一度アップロードしてください",
                           message_en="the uploaded file was lost in a restart; upload it again")
                done["failed"].append(row["id"])
        keep = {Path(r["path"]).parent.name for r in active}
        if self.upload_dir.is_dir():
            for d in self.upload_dir.iterdir():
                if d.name not in keep:
                    shutil.rmtree(d, ignore_errors=True) if d.is_dir() else d.unlink(missing_ok=True)
                    done["removed"].append(f"uploads/{d.name}")
        root = self.settings.index_root
        if root.is_dir():
            for d in root.iterdir():
                if d.name.startswith(".building-") or d.name.startswith(".CURRENT."):
                    shutil.rmtree(d, ignore_errors=True) if d.is_dir() else d.unlink(missing_ok=True)
                    done["removed"].append(f"index/{d.name}")
        if self.settings.db_path.exists():
            store = open_store(self.settings)
            try:
                done["removed"] += [f"sources/{n}" for n in remove_unreferenced_sources(self.settings, store)]
            finally:
                store.close()
        if any(done.values()):
            log.warning("recovered after restart: %s", done)
        return done

    def process(self, row: dict[str, Any]) -> None:
        from ingest.pipeline import rebuild
        job_id, path, name = row["id"], Path(row["path"]), row["file"]
        stage = {"now": "ingest"}

        def progress(step: str, msg: str, done: int, total: int) -> None:
            if step == "index" and stage["now"] == "ingest":
                fault_point("job:ingested")
            stage["now"] = step
            if step == "ingest":
                self._call("update", job_id, state="parsing", progress=0.5 * done / max(total, 1), message=msg,
                           message_en=f"parsing {done}/{total}")
            else:
                self._call("update", job_id, state="indexing", progress=0.5 + 0.45 * done / max(total, 1),
                           message=msg, message_en=f"indexing {done}/{total}")

        self._call("update", job_id, state="parsing", progress=0.0, message=f"{name} を解析しています",
                   message_en=f"parsing {name}")
        try:
            done = rebuild(self.settings, [path], origin="upload", progress=progress, replace=row["replace"],
                           isolated=True)
            if self.after_index:  # searches of this process switch to the new index version now
                self.after_index()
        except PfkbError as e:
            if stage["now"] == "ingest":
                folder = str(path.parent) + "/"  # the user knows the file by its name, not our folder
                self._call("update", job_id, state="error", message=e.message_ja.replace(folder, ""),
                           message_en=e.message_en.replace(folder, "") or "the file could not be ingested")
            else:
                self._call("update", job_id, state="error",
                           message=f"記録は取り込みましたが、索引を更新できませんでした: {e.message_ja}",
                           message_en=f"records stored but the index could not be rebuilt: {e.message_en}")
            return
        r = done.ingested[0]
        result = {"document": r.document, "status": r.status, "records": r.records, "recognized": r.recognized,
                  "warnings": r.warnings, "renamed_from": r.renamed_from}
        note = "" if r.recognized else "（報告書の構成を認識できなかったため、本文を context 記録として取り込みました）"
        done_msg = {"unchanged": f"同じ内容の文書 {r.document} が既にあります。変更はありません",
                    "replaced": f"文書 {r.document} を置き換えました（記録 {r.records} 件）",
                    "added": f"文書 {r.document} を追加しました（記録 {r.records} 件）"}[r.status] + note
        if r.renamed_from:
            done_msg += f"。同じ名前の別の文書 {r.renamed_from} があるため、ID を {r.document} にしました" \
                        f"（置き換える場合は replace={r.renamed_from} を指定）"
        en = f"{r.status}: {r.document} ({r.records} records)" + \
            (f"; {r.renamed_from} exists with other content, so the id is {r.document}" if r.renamed_from else "")
        self._call("update", job_id, state="done", progress=1.0, message=done_msg, message_en=en, result=result)


__all__ = ["IngestJobs", "Job", "job_to_dict", "ACTIVE"]
