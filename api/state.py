"""What the routes share: the settings, one SQLite connection per worker thread,
and the lock that serialises the search/answer library where it is not
thread-safe."""
from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator

from fastapi import Request

from kb.library import open_store
from kb.settings import Settings
from kb.store import Store


class AppState:
    def __init__(self, settings: Settings):
        self.settings = settings
        self._local = threading.local()
        # Sudachi tokenizers and the cached index are shared objects: one query
        # at a time through the search/answer library (see kb/search.py).
        self.search_lock = threading.Lock()

    def store(self) -> Store:
        """A connection for the calling thread (SQLite connections are not to be
        shared between threads while in use); opened once per thread."""
        st = getattr(self._local, "store", None)
        if st is None:
            st = open_store(self.settings)
            self._local.store = st
        return st

    @contextmanager
    def searching(self) -> Iterator[None]:
        with self.search_lock:
            yield


def app_state(request: Request) -> AppState:
    return request.app.state.pfkb


def settings_of(request: Request) -> Settings:
    return request.app.state.settings
