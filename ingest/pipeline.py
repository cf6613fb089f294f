"""Library entry points behind the CLI and the HTTP API: build, ingest, stats."""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from ingest.read import DocumentMeta, default_document_id, read_document
from kb.core.errors import InputFileError, PfkbError, SettingsError
from kb.core.records import ParsedDocument
from kb.core.settings import Settings
from kb.store import Store, open_store

MANIFEST = "manifest.json"
CORPUS_SUFFIXES = {".txt", ".pdf", ".tsv", ".html", ".htm", ".docx"}

Progress = Callable[[str, int, int], None]  # (message, done, total)
StagedProgress = Callable[[str, str, int, int], None]  # (stage "ingest" | "index", message, done, total)


def load_manifest(corpus_dir: Path) -> dict[str, DocumentMeta]:
    """file name → metadata from corpus/manifest.json (optional)."""
    path = corpus_dir / MANIFEST
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise SettingsError(f"{path}: JSON として読めません（{e.lineno} 行 {e.colno} 列: {e.msg}）。書式を直してください") from None
    docs = data.get("documents") if isinstance(data, dict) else None
    if not isinstance(docs, list):
        raise SettingsError(f"{path}: \"documents\" 配列がありません", f"expected {{\"documents\": [...]}}")
    out = {}
    for i, d in enumerate(docs):
        if not isinstance(d, dict) or not d.get("file"):
            raise SettingsError(f"{path}: documents[{i}] に \"file\" がありません", "each document needs a \"file\"")
        out[d["file"]] = DocumentMeta.from_mapping(d)
    return out


def corpus_files(corpus_dir: Path) -> list[Path]:
    if not corpus_dir.is_dir():
        raise SettingsError(f"コーパスのディレクトリがありません: {corpus_dir}", "corpus directory not found; "
                            "use --corpus or PFKB_CORPUS_DIR")
    return sorted(p for p in corpus_dir.iterdir()
                  if p.is_file() and p.suffix.lower() in CORPUS_SUFFIXES and not p.name.startswith("."))


@dataclass(frozen=True)
class IngestResult:
    path: str
    document: str
    status: str  # added | replaced | unchanged
    records: int
    recognized: bool
    warnings: int


class IngestFailed(PfkbError):
    """One or more files could not be read; nothing was written."""
    exit_code = 2
    http_status = 422

    def __init__(self, errors: list[InputFileError]):
        self.errors = errors
        super().__init__(f"{len(errors)} 件のファイルを取り込めませんでした。知識ベースは変更していません:\n"
                         + "\n".join(f"  - {e.message_ja}" for e in errors),
                         "; ".join(["nothing was written"] + [e.message_en for e in errors if e.message_en]))

    def __str__(self) -> str:
        return (f"{len(self.errors)} 件のファイルを取り込めませんでした。知識ベースは変更していません "
                "(nothing was written):\n" + "\n".join(f"  - {e}" for e in self.errors))


def parse_files(paths: Iterable[Path], metas: dict[str, DocumentMeta] | None = None,
                progress: Progress | None = None) -> list[tuple[Path, ParsedDocument]]:
    """Parse every file before anything is written; collect all errors."""
    paths = list(paths)
    parsed, errors = [], []
    for i, p in enumerate(paths):
        if progress:
            progress(f"解析中 {p.name}", i, len(paths))
        try:
            parsed.append((p, read_document(p, (metas or {}).get(p.name))))
        except InputFileError as e:
            errors.append(e)
    if progress:
        progress("解析完了", len(paths), len(paths))
    if errors:
        raise IngestFailed(errors)
    return parsed


def _store_source(settings: Settings, path: Path, doc_id: str) -> str:
    settings.sources_dir.mkdir(parents=True, exist_ok=True)
    target = settings.sources_dir / f"{doc_id}{path.suffix.lower() or '.txt'}"
    if target.exists() and target.read_bytes() == path.read_bytes():
        return target.name
    fd, tmp = tempfile.mkstemp(dir=settings.sources_dir, prefix=".upload-")
    os.close(fd)
    shutil.copyfile(path, tmp)
    os.replace(tmp, target)
    return target.name


def ingest_paths(settings: Settings, paths: Iterable[Path | str], *, origin: str = "ingest",
                 metas: dict[str, DocumentMeta] | None = None, progress: Progress | None = None,
                 store: Store | None = None) -> list[IngestResult]:
    parsed = parse_files([Path(p) for p in paths], metas, progress)
    own = store is None
    store = store or open_store(settings, create=True)
    try:
        results = []
        for path, doc in parsed:
            existing = store.document_by_sha(doc.document.sha256)
            if existing and existing != doc.document.id:
                results.append(IngestResult(str(path), existing, "unchanged", 0, True, 0))
                continue
            stored = _store_source(settings, path, doc.document.id)
            status = store.write_document(doc, stored_file=stored, origin=origin)
            warnings = sum(1 for n in doc.notes if n.severity in ("warning", "unparsed"))
            results.append(IngestResult(str(path), doc.document.id, status, len(doc.records),
                                        doc.document.recognized, warnings))
        return results
    finally:
        if own:
            store.close()


def ingest_corpus(settings: Settings, progress: Progress | None = None) -> list[IngestResult]:
    """Ingest everything in corpus/ and drop corpus documents whose file is gone."""
    metas = load_manifest(settings.corpus_dir)
    files = corpus_files(settings.corpus_dir)
    if not files:
        raise SettingsError(f"{settings.corpus_dir} に報告書ファイル (.txt/.pdf) がありません")
    store = open_store(settings, create=True)
    try:
        results = ingest_paths(settings, files, origin="corpus", metas=metas, progress=progress, store=store)
        keep = {r.document for r in results}
        for d in store.documents():
            if d["origin"] == "corpus" and d["id"] not in keep:
                store.delete_document(d["id"])
        return results
    finally:
        store.close()


@dataclass(frozen=True)
class RebuildResult:
    ingested: list[IngestResult]      # empty when only the index was built
    index: dict[str, Any] | None      # build_index's summary; None with index=False


def rebuild(settings: Settings, paths: Iterable[Path | str] | None = None, *,
            progress: StagedProgress | None = None, origin: str = "ingest",
            ingest: bool = True, index: bool = True) -> RebuildResult:
    """Ingest (corpus/, or the given ``paths``) and then build the search index:
    the one path behind `pfkb build`, `pfkb serve` and upload jobs. ``progress``
    hears the stage with each step; an error names the stage it came from by
    being raised from it (records are stored before the index is built)."""
    from kb.search.index import build_index

    def staged(stage: str) -> Progress | None:
        return (lambda message, done, total: progress(stage, message, done, total)) if progress else None

    ingested: list[IngestResult] = []
    if ingest:
        ingested = (ingest_corpus(settings, progress=staged("ingest")) if paths is None else
                    ingest_paths(settings, paths, origin=origin, progress=staged("ingest")))
    if index and progress:  # the stage starts before build_index reports (it may have nothing to do)
        progress("index", "検索索引を更新しています", 0, 0)
    info = build_index(settings, progress=staged("index")) if index else None
    return RebuildResult(ingested, info)


def stats(store: Store) -> dict[str, Any]:
    recs = store.records()
    by = Counter((r.city or "（全体）", r.kind, r.phase or "-") for r in recs)
    notes = store.notes()
    return {
        "documents": [{k: d[k] for k in ("id", "title", "format", "recognized", "pages", "origin")}
                      for d in store.documents()],
        "records": len(recs),
        "by_kind": dict(Counter(r.kind for r in recs)),
        "by_city_kind_phase": [{"city": c, "kind": k, "phase": p, "count": n} for (c, k, p), n in sorted(by.items())],
        "notes": {
            "unparsed": [n.__dict__ for n in notes if n.severity == "unparsed"],
            "warning": [n.__dict__ for n in notes if n.severity == "warning"],
            "info": [n.__dict__ for n in notes if n.severity == "info"],
        },
    }


__all__ = ["load_manifest", "corpus_files", "ingest_paths", "ingest_corpus", "rebuild", "RebuildResult", "stats",
           "IngestResult", "IngestFailed", "default_document_id"]
