"""A knowledge base with the corpus's records and no search index, shared by the
export, chart and export-API tests (building the index is not needed there and
takes minutes)."""
from __future__ import annotations

import pytest

from tests.conftest import CORPUS


@pytest.fixture(scope="session")
def export_settings(tmp_path_factory):
    from ingest.pipeline import ingest_corpus
    from kb.core.settings import Settings
    settings = Settings(data_dir=tmp_path_factory.mktemp("export-data"), corpus_dir=CORPUS)
    ingest_corpus(settings)
    return settings


@pytest.fixture()
def export_store(export_settings):
    from kb.store import open_store
    store = open_store(export_settings)
    yield store
    store.close()
