"""The SQLite store of documents, records and facts, and the stored source files."""
from kb.store.db import Store, open_store

__all__ = ["Store", "open_store"]
