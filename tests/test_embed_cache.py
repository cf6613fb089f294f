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
