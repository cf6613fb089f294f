"""The embedding cache: a text is embedded once per build even when it repeats (a corpus of many
reports repeats headings and boilerplate), and never again once cached."""
from kb.search.embed import EmbeddingCache, embed_passages


class CountingEmbedder:
    """Counts the texts it is asked to embed; vectors encode the text so rows can be checked."""

    def __init__(self):
        self.calls = 0

    def get_text_embedding_batch(self, texts):
        self.calls += len(texts)
        return [[float(len(t)), float(ord(t[0]))] for t in texts]


def test_repeated_texts_are_embedded_once(tmp_path):
    cache, emb = EmbeddingCache(tmp_path / "cache.sqlite3", "test"), CountingEmbedder()
    texts = ["連携PF", "地域協議会の設置", "連携PF", "研修", "地域協議会の設置"]
    mat, new = embed_passages(emb, cache, texts, batch=2)
    assert new == 3 and emb.calls == 3
    assert [row[0] for row in mat] == [len(t) for t in texts]  # every row is its own text's vector
    mat2, new2 = embed_passages(emb, cache, texts + ["新しい記録"])
    assert new2 == 1 and emb.calls == 4 and (mat2[:5] == mat).all()


def test_making_the_embedder_limits_numpys_blas_to_one_thread(tmp_path):
    """OpenBLAS's idle threads spin after each call and take the embedder's cores (dense search p95
    112 ms → 18 ms on 2 cores): making the embedder caps BLAS at PFKB_BLAS_THREADS (default 1).
    Run in a fresh process whose BLAS pool is set to 2 threads, so the cap is what brings it to 1."""
    import json
    import os
    import subprocess
    import sys
    code = ("import numpy, json\n"
            "from threadpoolctl import threadpool_info, threadpool_limits\n"
            "forced = threadpool_limits(limits=2, user_api='blas')\n"
            "blas = lambda: [i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas']\n"
            "before = blas()\n"
            "from kb.core.settings import Settings\n"
            "from kb.search.embed import make_embedder\n"
            f"make_embedder(Settings(data_dir={str(tmp_path)!r}))\n"
            "print(json.dumps([before, blas()]))\n")
    env = {k: v for k, v in os.environ.items() if k != "PFKB_BLAS_THREADS"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    before, after = json.loads(out.stdout.strip().splitlines()[-1])
    assert before and max(before) == 2
    assert after and max(after) == 1


def test_a_bad_blas_thread_count_is_a_clear_settings_error(monkeypatch):
    import pytest
    from kb.core.errors import SettingsError
    from kb.search import embed
    monkeypatch.setattr(embed, "_BLAS_LIMIT", None)
    monkeypatch.setenv("PFKB_BLAS_THREADS", "two")
    with pytest.raises(SettingsError, match="PFKB_BLAS_THREADS"):
        embed.quiet_blas()
    assert embed._BLAS_LIMIT is None  # nothing was set: a corrected value applies on the next try
