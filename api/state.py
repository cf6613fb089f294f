"""What the routes share: the settings and one SQLite connection per worker
thread.

No lock around kb.search.searcher / kb.answer.pipeline: they are thread-safe (a Sudachi tokenizer
per thread, an embedder that serialises its own calls, no per-query state in
the retrievers, no mutable module state in the composer), so concurrent
requests run side by side; tests/test_api.py checks that concurrent searches
answer exactly as serial ones."""
from __future__ import annotations

import threading

from fastapi import Request

from kb.store import open_store
from kb.core.settings import Settings
from kb.store import Store


class AppState:
    def __init__(self, settings: Settings):
        self.settings = settings
        self._local = threading.local()

    def store(self) -> Store:
        """A connection for the calling thread (SQLite connections are not to be
        shared between threads while in use); opened once per thread."""
        st = getattr(self._local, "store", None)
        if st is None:
            st = open_store(self.settings)
            self._local.store = st
        return st


def app_state(request: Request) -> AppState:
    return request.app.state.pfkb

