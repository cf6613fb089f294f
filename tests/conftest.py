from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
CORPUS_TEXT = CORPUS / "000_4d4ef3ddf692a859.txt"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def corpus_parsed():
    """The text export parsed once per session (no store, no index)."""
    from ingest.read import read_document
    from ingest.pipeline import load_manifest
    meta = load_manifest(CORPUS).get(CORPUS_TEXT.name)
    return read_document(CORPUS_TEXT, meta)


@pytest.fixture(scope="session")
def built_data_dir(tmp_path_factory):
    """A data dir with the corpus ingested and indexed (built once per session)."""
    from kb.core.settings import Settings
    from ingest.pipeline import ingest_corpus
    d = tmp_path_factory.mktemp("data")
    settings = Settings(data_dir=d, corpus_dir=CORPUS)
    ingest_corpus(settings)
    try:
        from kb.search.index import build_index
    except ImportError:  # before the search issue lands
        return d
    build_index(settings)
    return d


@pytest.fixture(scope="session")
def built_settings(built_data_dir):
    from kb.core.settings import Settings
    return Settings(data_dir=built_data_dir, corpus_dir=CORPUS)
