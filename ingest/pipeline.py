"""Library entry points behind the CLI and the HTTP API: build, ingest, stats."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, replace as replace_field
from pathlib import Path
from typing import Any, Callable, Iterable

from ingest.read import DocumentMeta, default_document_id, read_document
from kb.core.errors import InputFileError, PfkbError, SettingsError
from ingest.report.understood import UNDERSTOOD_SECTION
from kb.core.faults import fault_point
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
    understood: str = ""  # one line: which recognisers fired, records per kind, shares (ingest.report.understood)
    renamed_from: str | None = None  # the file's name gave this id, which another document has

    @property
    def note_ja(self) -> str:
        """Said to the user when the id is not the one the name gave."""
        return (f"文書 {self.renamed_from} は別の内容で既にあるため、ID を {self.document} にしました"
                f"（置き換える場合は --replace {self.renamed_from}）") if self.renamed_from else ""


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


class StepEmbedder:
    """The index's embedder as the step classifier's ``embed`` (texts → L2-normalised rows), built
    on its first call only — a document whose steps are all labelled never loads the model — and
    sharing the index's embedding cache, so that a re-ingest embeds nothing twice."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._embedder = self._cache = None

    def __getstate__(self) -> dict:  # sent to a parse worker unloaded: it loads there if needed
        return {"settings": self.settings, "_embedder": None, "_cache": None}

    def __call__(self, texts: list[str]):
        from kb.search.embed import EmbeddingCache, embed_passages, make_embedder
        from kb.search.manifest import embedder_key
        if self._embedder is None:
            self._embedder = make_embedder(self.settings)
            self._cache = EmbeddingCache(self.settings.data_dir / "cache" / "embeddings.sqlite3",
                                         embedder_key(self.settings))
        return embed_passages(self._embedder, self._cache, list(texts))[0]


def step_scorer_for(settings: Settings):
    """The fitted step classifier with the dense part (``ingest.recognise.steps.hybrid_classifier``);
    lexical only when the fit chose no dense part or the embedder cannot be loaded."""
    from ingest.recognise.steps import hybrid_classifier
    return hybrid_classifier(StepEmbedder(settings))


def parse_files(paths: Iterable[Path], metas: dict[str, DocumentMeta] | None = None,
                progress: Progress | None = None, *, parse: Callable[..., ParsedDocument] = read_document,
                ) -> list[tuple[Path, ParsedDocument]]:
    """Parse every file before anything is written; collect all errors.
    ``parse`` is ``read_document`` or one that runs it in a limited worker
    process (ingest/worker.py)."""
    paths = list(paths)
    parsed, errors = [], []
    for i, p in enumerate(paths):
        if progress:
            progress(f"解析中 {p.name}", i, len(paths))
        try:
            parsed.append((p, parse(p, (metas or {}).get(p.name))))
        except InputFileError as e:
            errors.append(e)
    if progress:
        progress("解析完了", len(paths), len(paths))
    if errors:
        raise IngestFailed(errors)
    return parsed


def content_sha(path: Path) -> str:
    """A document's identity: the SHA-256 of its bytes, and for a text file of its
    text (a UTF-8 BOM and CRLF line ends do not make another document)."""
    data = path.read_bytes()
    if data.lstrip()[:5] != b"%PDF-" and not data.startswith(b"PK"):
        body = data.removeprefix(b"\xef\xbb\xbf")
        if b"\x00" not in body[:4096]:
            data = body.replace(b"\r\n", b"\n")
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Planned:
    """What ingest will do with one file, decided before parsing (record ids
    depend on the document id)."""
    path: Path
    sha: str
    document: str           # the id it will have
    action: str             # "unchanged" | "add" | "replace"
    renamed_from: str | None = None  # the wanted id was taken by another document


def plan_document(store: Store, path: Path, wanted: str, *, replace: str | None = None,
                  origin: str = "ingest") -> Planned:
    """Identity from content, ids unique and readable, replacing only on request:
    the same content is the same document (whatever its name); ``replace`` names
    the document to replace; an id taken by other content gets a new id
    (``wanted-<hash>``), except that corpus/ files replace their own earlier version."""
    sha = content_sha(path)
    same = store.document_by_sha(sha)
    if same and (replace is None or same == replace):
        return Planned(path, sha, same, "unchanged")
    if replace is not None:
        store.document(replace)  # NotFoundError names it
        return Planned(path, sha, replace, "replace")
    existing = store.document_or_none(wanted)
    if existing is None:
        return Planned(path, sha, wanted, "add")
    if origin == "corpus" and existing["origin"] == "corpus" and existing["file"] == path.name:
        return Planned(path, sha, wanted, "replace")
    new_id = f"{wanted}-{sha[:8]}"
    return Planned(path, sha, new_id, "add", renamed_from=wanted)


def _store_source(settings: Settings, path: Path, doc_id: str, sha: str) -> str:
    """Copy the file under a name of its own (id + content hash), so that a
    document's earlier file stays in place until the database has switched."""
    settings.sources_dir.mkdir(parents=True, exist_ok=True)
    target = settings.sources_dir / f"{doc_id}-{sha[:12]}{path.suffix.lower() or '.txt'}"
    if target.exists() and target.stat().st_size == path.stat().st_size:
        return target.name
    fd, tmp = tempfile.mkstemp(dir=settings.sources_dir, prefix=".upload-")
    os.close(fd)
    shutil.copyfile(path, tmp)
    os.replace(tmp, target)
    return target.name


def remove_unreferenced_sources(settings: Settings, store: Store) -> list[str]:
    """Delete files in sources/ that no document cites (an earlier version, a copy
    written by an ingest killed before its commit, a temporary file)."""
    if not settings.sources_dir.is_dir():
        return []
    cited = {d["stored_file"] for d in store.documents() if d.get("stored_file")}
    gone = []
    for f in settings.sources_dir.iterdir():
        if f.is_file() and f.name not in cited:
            f.unlink(missing_ok=True)
            gone.append(f.name)
    return gone


def ingest_paths(settings: Settings, paths: Iterable[Path | str], *, origin: str = "ingest",
                 metas: dict[str, DocumentMeta] | None = None, progress: Progress | None = None,
                 store: Store | None = None, replace: str | None = None, isolated: bool = False,
                 ) -> list[IngestResult]:
    """Ingest files: nothing is written unless every file parses. ``replace``
    (one file only) names the document the file replaces; ``isolated`` parses
    in a worker process with memory and time limits (uploads)."""
    paths = [Path(p) for p in paths]
    if replace is not None and len(paths) != 1:
        raise SettingsError("--replace は 1 つのファイルにだけ使えます", "--replace takes exactly one file")
    own = store is None
    store = store or open_store(settings, create=True)
    try:
        bad = [p for p in paths if not p.is_file()]
        if bad:  # read_document names each problem
            parse_files(bad, metas)
        plans = [plan_document(store, p, ((metas or {}).get(p.name) or DocumentMeta()).id or default_document_id(p),
                               replace=replace, origin=origin) for p in paths]
        todo = [pl for pl in plans if pl.action != "unchanged"]
        wanted = {pl.path.name: replace_meta((metas or {}).get(pl.path.name), id=pl.document) for pl in todo}
        scorer = step_scorer_for(settings)
        parse = lambda path, meta: read_document(path, meta, step_scorer=scorer)  # noqa: E731
        if isolated:
            from ingest.worker import parse_in_worker
            parse = lambda path, meta: parse_in_worker(path, meta, settings, scorer)  # noqa: E731
        parsed = dict(parse_files([pl.path for pl in todo], wanted, progress, parse=parse))
        fault_point("ingest:parsed")
        results = []
        for pl in plans:
            if pl.action == "unchanged":
                results.append(IngestResult(str(pl.path), pl.document, "unchanged", 0, True, 0))
                continue
            doc = parsed[pl.path]
            doc = replace_field(doc, document=replace_field(doc.document, sha256=pl.sha))
            old = store.document_or_none(pl.document)
            stored = _store_source(settings, pl.path, pl.document, pl.sha)
            fault_point("ingest:source-stored")
            status = store.write_document(doc, stored_file=stored, origin=origin)
            fault_point("ingest:committed")
            if old and old.get("stored_file") and old["stored_file"] != stored:
                (settings.sources_dir / old["stored_file"]).unlink(missing_ok=True)
            warnings = sum(1 for n in doc.notes if n.severity in ("warning", "unparsed"))
            results.append(IngestResult(str(pl.path), pl.document, status, len(doc.records),
                                        doc.document.recognized, warnings, _understood_line(doc), pl.renamed_from))
        return results
    finally:
        if own:
            store.close()


def replace_meta(meta: DocumentMeta | None, **changes: Any) -> DocumentMeta:
    return replace_field(meta or DocumentMeta(), **changes)


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
            ingest: bool = True, index: bool = True, replace: str | None = None,
            isolated: bool = False) -> RebuildResult:
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
                    ingest_paths(settings, paths, origin=origin, progress=staged("ingest"), replace=replace,
                                 isolated=isolated))
    if index and progress:  # the stage starts before build_index reports (it may have nothing to do)
        progress("index", "検索索引を更新しています", 0, 0)
    info = build_index(settings, progress=staged("index")) if index else None
    return RebuildResult(ingested, info)


def _understood_line(doc: ParsedDocument) -> str:
    from ingest.report.understood import stored_understanding, understanding_line
    return understanding_line(stored_understanding(doc.records, doc.notes))


def understood_by_document(store: Store) -> dict[str, Any]:
    """Per document: what the recognisers understood (see ingest.report.understood)."""
    from ingest.report.understood import stored_understanding, understanding_line
    notes = store.notes()
    out = {}
    for d in store.documents():
        u = stored_understanding(store.records(document=d["id"]), [n for n in notes if n.document == d["id"]])
        out[d["id"]] = {**u, "line": understanding_line(u)}
    return out


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
            "info": [n.__dict__ for n in notes if n.severity == "info" and n.section != UNDERSTOOD_SECTION],
        },
        "understood": understood_by_document(store),
    }


__all__ = ["load_manifest", "corpus_files", "ingest_paths", "ingest_corpus", "rebuild", "RebuildResult", "stats",
           "IngestResult", "IngestFailed", "default_document_id"]
