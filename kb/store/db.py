"""SQLite store: documents, records, facts and parse notes.

A document is written in one transaction; re-writing an unchanged file is a
no-op, a changed file replaces its old rows."""
from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from kb.core.errors import NotBuiltError, NotFoundError
from kb.core.records import Fact, ParsedDocument, ParseNote, Record, Source

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    file TEXT NOT NULL,          -- file name as given
    stored_file TEXT,            -- copy under data_dir/sources
    sha256 TEXT NOT NULL,
    format TEXT NOT NULL CHECK (format IN ('text', 'pdf', 'html', 'docx')),
    publisher TEXT, date TEXT, region TEXT,
    recognized INTEGER NOT NULL,
    pages INTEGER,
    origin TEXT NOT NULL DEFAULT 'ingest',   -- 'corpus' | 'ingest' | 'upload'
    ingested_at TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY,
    document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    kind TEXT NOT NULL,
    city TEXT, phase TEXT, step TEXT, scope TEXT,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    section TEXT NOT NULL,
    page INTEGER, line_start INTEGER, line_end INTEGER,
    fields TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS records_facets ON records(kind, city, phase, step);
CREATE INDEX IF NOT EXISTS records_doc ON records(document_id, ord);
CREATE TABLE IF NOT EXISTS facts (
    document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    city TEXT NOT NULL, name TEXT NOT NULL, value INTEGER, raw TEXT NOT NULL,
    record_id TEXT NOT NULL, place TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS notes (
    document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    severity TEXT NOT NULL, section TEXT, message TEXT NOT NULL, fragment TEXT,
    page INTEGER, line INTEGER
);
"""


if TYPE_CHECKING:
    from kb.core.settings import Settings


class Store:
    def __init__(self, path: Path | str, *, create: bool = True):
        self.path = Path(path)
        if not create and str(path) != ":memory:" and not self.path.exists():
            raise NotBuiltError(f"知識ベースがありません: {self.path}。`pfkb build` で作成してください",
                                f"no knowledge base at {self.path}; run `pfkb build`")
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(str(path), check_same_thread=False)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA foreign_keys = ON")
        if create:
            self._widen_formats()
            self.conn.executescript(SCHEMA)
            self.conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            self.conn.commit()

    def _widen_formats(self) -> None:
        """A store made before HTML and DOCX were read allowed only text and pdf documents:
        rebuild its documents table with the wider CHECK (SQLite cannot alter a constraint),
        keeping every row, with foreign keys off so that no record is cascaded away."""
        row = self.conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'documents'").fetchone()
        if row is None or "'html'" in row["sql"]:
            return
        create = SCHEMA[SCHEMA.index("CREATE TABLE IF NOT EXISTS documents"):SCHEMA.index("CREATE TABLE IF NOT EXISTS records")]
        create = create.replace("CREATE TABLE IF NOT EXISTS documents", "CREATE TABLE documents_widened")
        self.conn.execute("PRAGMA foreign_keys = OFF")
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute(create)
            cols = ", ".join(r["name"] for r in self.conn.execute("PRAGMA table_info(documents)"))
            self.conn.execute(f"INSERT INTO documents_widened ({cols}) SELECT {cols} FROM documents")
            self.conn.execute("DROP TABLE documents")
            self.conn.execute("ALTER TABLE documents_widened RENAME TO documents")
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        finally:
            self.conn.execute("PRAGMA foreign_keys = ON")

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            yield self.conn
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    # --- writing ---------------------------------------------------------------

    def document_sha(self, doc_id: str) -> str | None:
        row = self.conn.execute("SELECT sha256 FROM documents WHERE id = ?", (doc_id,)).fetchone()
        return row["sha256"] if row else None

    def document_by_sha(self, sha: str) -> str | None:
        row = self.conn.execute("SELECT id FROM documents WHERE sha256 = ?", (sha,)).fetchone()
        return row["id"] if row else None

    def write_document(self, parsed: ParsedDocument, *, stored_file: str | None = None,
                       origin: str = "ingest") -> str:
        """Write one parsed document in one transaction. Returns 'unchanged',
        'added' or 'replaced'."""
        doc = parsed.document
        old_sha = self.document_sha(doc.id)
        if old_sha == doc.sha256:
            return "unchanged"
        with self.transaction() as c:
            c.execute("DELETE FROM documents WHERE id = ?", (doc.id,))
            c.execute("INSERT INTO documents (id, title, file, stored_file, sha256, format, publisher, date, region,"
                      " recognized, pages, origin) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                      (doc.id, doc.title, doc.file, stored_file, doc.sha256, doc.format, doc.publisher, doc.date,
                       doc.region, int(doc.recognized), doc.pages, origin))
            c.executemany(
                "INSERT INTO records (id, document_id, ord, kind, city, phase, step, scope, title, text, section,"
                " page, line_start, line_end, fields) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [(r.id, doc.id, i, r.kind, r.city, r.phase, r.step, r.scope, r.title, r.text, r.source.section,
                  r.source.page, r.source.lines[0] if r.source.lines else None,
                  r.source.lines[1] if r.source.lines else None,
                  json.dumps(_fields_with_printed_page(r), ensure_ascii=False)) for i, r in enumerate(parsed.records)])
            c.executemany("INSERT INTO facts VALUES (?,?,?,?,?,?,?)",
                          [(doc.id, f.city, f.name, f.value, f.raw, f.record_id, f.where) for f in parsed.facts])
            c.executemany("INSERT INTO notes VALUES (?,?,?,?,?,?,?)",
                          [(doc.id, n.severity, n.section, n.message, n.fragment, n.page, n.line)
                           for n in parsed.notes])
        return "added" if old_sha is None else "replaced"

    def delete_document(self, doc_id: str) -> None:
        with self.transaction() as c:
            c.execute("DELETE FROM documents WHERE id = ?", (doc_id,))

    # --- reading ---------------------------------------------------------------

    def documents(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute("SELECT * FROM documents ORDER BY id")]

    def document(self, doc_id: str) -> dict[str, Any]:
        row = self.conn.execute("SELECT * FROM documents WHERE id = ?", (doc_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"文書 {doc_id!r} はありません", f"unknown document {doc_id!r}")
        return dict(row)

    def document_or_none(self, doc_id: str) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT * FROM documents WHERE id = ?", (doc_id,)).fetchone()
        return dict(row) if row else None

    def records(self, *, kind: str | None = None, city: str | None = None, step: str | None = None,
                phase: str | None = None, document: str | None = None) -> list[Record]:
        where, args = [], []
        for col, val in (("kind", kind), ("city", city), ("step", step), ("phase", phase),
                         ("document_id", document)):
            if val is not None:
                where.append(f"{col} = ?")
                args.append(val)
        sql = "SELECT * FROM records" + (" WHERE " + " AND ".join(where) if where else "") + \
              " ORDER BY document_id, ord"
        return [_row_to_record(r) for r in self.conn.execute(sql, args)]

    def record(self, record_id: str) -> Record:
        row = self.conn.execute("SELECT * FROM records WHERE id = ?", (record_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"記録 {record_id!r} はありません", f"unknown record id {record_id!r}")
        return _row_to_record(row)

    def facts(self, *, city: str | None = None, name: str | None = None) -> list[Fact]:
        where, args = [], []
        if city:
            where.append("city = ?"); args.append(city)
        if name:
            where.append("name = ?"); args.append(name)
        sql = "SELECT * FROM facts" + (" WHERE " + " AND ".join(where) if where else "")
        return [Fact(r["city"], r["name"], r["value"], r["raw"], r["record_id"], r["place"])
                for r in self.conn.execute(sql, args)]

    def notes(self, *, severity: str | None = None) -> list[ParseNote]:
        sql = "SELECT * FROM notes" + (" WHERE severity = ?" if severity else "")
        return [ParseNote(r["document_id"], r["severity"], r["section"], r["message"], r["fragment"] or "",
                          r["page"], r["line"]) for r in self.conn.execute(sql, (severity,) if severity else ())]

    def content_hash(self) -> str:
        """Hash of all documents' content: what an index was built from."""
        import hashlib
        h = hashlib.sha256()
        for r in self.conn.execute("SELECT id, sha256 FROM documents ORDER BY id"):
            h.update(f"{r['id']}:{r['sha256']};".encode())
        return h.hexdigest()[:16]


_PRINTED = "_printed_page"  # kept with the fields so that the table's columns stay as they are
_END_PAGE, _END_PRINTED = "_end_page", "_end_printed_page"  # the last page of a record over several


def _fields_with_printed_page(r: Record) -> dict:
    fields = dict(r.fields)
    if r.source.printed_page:
        fields[_PRINTED] = r.source.printed_page
    if r.source.end_page is not None:
        fields[_END_PAGE] = r.source.end_page
    if r.source.end_printed_page:
        fields[_END_PRINTED] = r.source.end_printed_page
    return fields


def _row_to_record(r: sqlite3.Row) -> Record:
    lines = (r["line_start"], r["line_end"]) if r["line_start"] is not None else None
    fields = json.loads(r["fields"])
    printed = fields.pop(_PRINTED, None)
    end_page, end_printed = fields.pop(_END_PAGE, None), fields.pop(_END_PRINTED, None)
    return Record(id=r["id"], kind=r["kind"], city=r["city"], phase=r["phase"], step=r["step"],
                  scope=r["scope"], title=r["title"], text=r["text"],
                  source=Source(r["document_id"], r["section"], page=r["page"], lines=lines,
                                printed_page=printed, end_page=end_page, end_printed_page=end_printed),
                  fields=fields)


def open_store(settings: "Settings", *, create: bool = False) -> Store:
    """The store of a data dir; ``create`` makes an empty one when none exists yet."""
    return Store(settings.db_path, create=create or settings.db_path.exists())
