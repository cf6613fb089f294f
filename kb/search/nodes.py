"""The one adapter between our records and llama-index nodes. Node ids are our
record ids; FAISS row numbers and bm25s document numbers never leave kb/search/retrievers.py."""
from __future__ import annotations

from typing import Any

from llama_index.core.schema import MetadataMode, TextNode

from kb.core.records import PHASE_LABELS, Record, STEP_NAMES
from kb.core.vocab import load_json

KIND_LABELS: dict[str, str] = dict(load_json("kind_labels")["kinds"])  # kb/core/vocab/kind_labels.json
FIELD_LABELS: dict[str, str] = dict(load_json("kind_labels").get("fields", {}))
META_KEYS = ("kind", "city", "phase", "step", "scope", "year", "document", "section", "page")


def record_search_text(r: Record) -> str:
    """What BM25 and the embedder read: labels that a question may name (city,
    kind, step name, the labels of the structured fields it holds: 費用, 発注先), then the title and the text."""
    phase = PHASE_LABELS.get(r.phase or "", "").split(" ")[-1]
    fields = [label for key, label in FIELD_LABELS.items() if r.fields.get(key) not in (None, "", [])]
    head = " ".join(x for x in (r.city or "", KIND_LABELS.get(r.kind, ""), phase, STEP_NAMES.get(r.step or "", ""),
                                *fields) if x)
    body = r.text if r.title and r.title in r.text else f"{r.title}\n{r.text}"
    return f"{head}\n{body}".strip()


class RecordNode(TextNode):
    """A TextNode whose identity is our record id. llama-index's fusion de-duplicates by
    ``node.hash``, a SHA-256 over text and metadata computed on every access (~2.5 ms per
    query over two ranked lists); the record id is unique and already a content hash."""

    @property
    def hash(self) -> str:  # type: ignore[override]
        return self.id_


def record_to_node(r: Record) -> TextNode:
    meta: dict[str, Any] = {"kind": r.kind, "city": r.city or "", "phase": r.phase or "", "step": r.step or "",
                            "scope": r.scope or "", "year": r.fields.get("year") or r.fields.get("pf_start") or 0,
                            "document": r.source.document, "section": r.source.section,
                            "page": r.source.page or 0}
    return RecordNode(id_=r.id, text=record_search_text(r), metadata=meta,
                    excluded_embed_metadata_keys=list(META_KEYS), excluded_llm_metadata_keys=list(META_KEYS))


def node_text(node: TextNode) -> str:
    return node.get_content(metadata_mode=MetadataMode.NONE)
