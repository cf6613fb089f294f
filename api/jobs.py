"""Background ingestion of uploaded PDFs: one worker thread takes jobs in
order, parses the file (nothing is written if it is bad), rebuilds the index
and drops the cached index so that searches see the new records.

A job is visible while it runs: status queued → parsing → indexing → done, or
error with the message that says what was wrong with the file."""
from __future__ import annotations

import logging
import queue
import shutil
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from kb.core.errors import NotFoundError, PfkbError
from kb.core.settings import Settings

log = logging.getLogger("pfkb.api.jobs")
KEEP_JOBS = 200


@dataclass
class Job:
    id: str
    file_name: str
    path: Path
    status: str = "queued"  # queued | parsing | indexing | done | error
    progress: float = 0.0
    message: str = "順番待ちです"
    message_en: str = "queued"
    result: dict[str, Any] | None = None
    created: float = field(default_factory=time.time)
    finished: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"job_id": self.id, "file": self.file_name, "status": self.status,
                "progress": round(self.progress, 3), "message": self.message, "message_en": self.message_en,
                "result": self.result}


class IngestJobs:
    """Jobs by id plus the worker that runs them one at a time."""

    def __init__(self, settings: Settings, after_index: Callable[[], None] | None = None):
        self.settings = settings
        self.after_index = after_index
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._queue: "queue.Queue[Job]" = queue.Queue()
        self._worker: threading.Thread | None = None

    @property
    def upload_dir(self) -> Path:
        return self.settings.data_dir / "uploads"

    def new_job(self, file_name: str) -> Job:
        job_id = uuid.uuid4().hex
        folder = self.upload_dir / job_id
        folder.mkdir(parents=True, exist_ok=True)
        job = Job(id=job_id, file_name=file_name, path=folder / file_name)
        with self._lock:
            self._jobs[job_id] = job
            for old in sorted(self._jobs.values(), key=lambda j: j.created)[:-KEEP_JOBS]:
                if old.status in ("done", "error"):
                    del self._jobs[old.id]
        return job

    def submit(self, job: Job) -> None:
        self._queue.put(job)
        with self._lock:
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._run, name="pfkb-ingest", daemon=True)
                self._worker.start()

    def discard(self, job: Job) -> None:
        with self._lock:
            self._jobs.pop(job.id, None)
        shutil.rmtree(job.path.parent, ignore_errors=True)

    def get(self, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise NotFoundError(f"取り込みジョブ {job_id[:40]!r} はありません", "unknown job id")
        return job

    def _update(self, job: Job, **changes: Any) -> None:
        with self._lock:
            for k, v in changes.items():
                setattr(job, k, v)

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            try:
                self.process(job)
            except Exception:  # the worker must survive any one job
                log.exception("ingest job %s failed", job.id)
                self._update(job, status="error", message="取り込み中に予期しないエラーが発生しました",
                             message_en="unexpected error while ingesting", finished=time.time())
            finally:
                shutil.rmtree(job.path.parent, ignore_errors=True)
                self._queue.task_done()

    def process(self, job: Job) -> None:
        from ingest.pipeline import rebuild
        stage = {"now": "ingest"}

        def progress(step: str, msg: str, done: int, total: int) -> None:
            stage["now"] = step
            if step == "ingest":
                self._update(job, status="parsing", progress=0.5 * done / max(total, 1), message=msg,
                             message_en=f"parsing {done}/{total}")
            else:
                self._update(job, status="indexing", progress=0.5 + 0.45 * done / max(total, 1), message=msg,
                             message_en=f"indexing {done}/{total}")

        self._update(job, status="parsing", progress=0.0, message=f"{job.file_name} を解析しています",
                     message_en=f"parsing {job.file_name}")
        try:
            done = rebuild(self.settings, [job.path], origin="upload", progress=progress)
            if self.after_index:  # searches switch to the new index version
                self.after_index()
        except PfkbError as e:
            if stage["now"] == "ingest":
                folder = str(job.path.parent) + "/"  # the user knows the file by its name, not our folder
                self._update(job, status="error", message=e.message_ja.replace(folder, ""),
                             message_en=e.message_en.replace(folder, "") or "the file could not be ingested",
                             finished=time.time())
            else:
                self._update(job, status="error", message=f"記録は取り込みましたが、索引を更新できませんでした: {e.message_ja}",
                             message_en=f"records stored but the index could not be rebuilt: {e.message_en}",
                             finished=time.time())
            return
        r = done.ingested[0]
        result = {"document": r.document, "status": r.status, "records": r.records, "recognized": r.recognized,
                  "warnings": r.warnings}
        note = "" if r.recognized else "（報告書の構成を認識できなかったため、本文を context 記録として取り込みました）"
        done_msg = {"unchanged": f"同じ内容の文書 {r.document} が既にあります。変更はありません",
                    "replaced": f"文書 {r.document} を更新しました（記録 {r.records} 件）",
                    "added": f"文書 {r.document} を追加しました（記録 {r.records} 件）"}[r.status] + note
        self._update(job, status="done", progress=1.0, message=done_msg,
                     message_en=f"{r.status}: {r.document} ({r.records} records)", result=result,
                     finished=time.time())
