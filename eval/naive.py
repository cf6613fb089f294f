"""The baseline a user would build with llama-index defaults: the raw report
text chunked by ``SentenceSplitter`` (~850 characters), the same embedder, no
structure. Hits are chunks with no record metadata, so they are scored by the
``evidence`` strings.

SentenceSplitter's defaults would load nltk punkt and tiktoken (which try to
download); we pass a Japanese sentence splitter and a character counter, which
gives the same ~850-character chunks the default 1,024 tokens give on
Japanese text."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from llama_index.core import Document as LIDocument
from llama_index.core.llms import MockLLM
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.retrievers import QueryFusionRetriever
from llama_index.core.schema import QueryBundle, TextNode

from kb.search.embed import EmbeddingCache, embed_passages, make_embedder
from kb.search.manifest import embedder_key
from kb.core.settings import Settings

CHUNK_CHARS = 850
OVERLAP_CHARS = 100
_SENT = re.compile(r"(?<=[。！？!?\n])")


def split_sentences_ja(text: str) -> list[str]:
    return [s for s in _SENT.split(text) if s]


def raw_text(path: Path) -> str:
    if path.suffix.lower() == ".pdf":
        import pdfplumber
        with pdfplumber.open(str(path)) as pdf:
            return "\n".join(p.extract_text() or "" for p in pdf.pages)
    return path.read_text(encoding="utf-8")


def chunk_corpus(files: list[Path]) -> list[TextNode]:
    splitter = SentenceSplitter(chunk_size=CHUNK_CHARS, chunk_overlap=OVERLAP_CHARS, tokenizer=list,
                                chunking_tokenizer_fn=split_sentences_ja)
    docs = [LIDocument(text=raw_text(p), metadata={"file": p.name}) for p in files]
    return [n for n in splitter.get_nodes_from_documents(docs) if isinstance(n, TextNode)]


@dataclass
class NaiveHit:
    text: str
    score: float

    def to_dict(self) -> dict:
        return {"title": "", "text": self.text, "score": self.score}


class NaivePipeline:
    def __init__(self, settings: Settings, files: list[Path]):
        import bm25s
        import faiss

        from kb.core.cache import LRU
        from kb.search.retrievers import FaissRetriever, SudachiBM25Retriever
        from kb.search.tokenize import Tokenizer
        self.nodes = chunk_corpus(files)
        texts = [n.get_content() for n in self.nodes]
        embedder = make_embedder(settings)
        cache = EmbeddingCache(settings.data_dir / "cache" / "embeddings.sqlite3", embedder_key(settings))
        try:
            vectors, _ = embed_passages(embedder, cache, texts)
        finally:
            cache.close()
        index = faiss.IndexFlatIP(vectors.shape[1])
        index.add(np.ascontiguousarray(vectors))
        tok = Tokenizer(settings.sudachi_mode)
        bm25 = bm25s.BM25()
        bm25.index([tok(t) or ["__empty__"] for t in texts], show_progress=False)
        depth = len(self.nodes)
        self.dense = FaissRetriever(index, self.nodes, embedder, depth, LRU())
        self.bm25 = SudachiBM25Retriever(bm25, self.nodes, tok, depth)
        self.fusion = QueryFusionRetriever([self.dense, self.bm25], mode="reciprocal_rerank", num_queries=1,
                                           similarity_top_k=depth, use_async=False, llm=MockLLM())

    def search(self, query: str, k: int = 10, mode: str = "naive") -> list[NaiveHit]:
        retriever = {"naive": self.dense, "naive-bm25": self.bm25, "naive-hybrid": self.fusion}[mode]
        nodes = retriever.retrieve(QueryBundle(query_str=query))[:k]
        return [NaiveHit(n.node.get_content(), float(n.score or 0)) for n in nodes]
