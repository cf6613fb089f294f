"""The BM25 tokenizer: words a user types meet the report's words."""
from __future__ import annotations

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from kb.search.tokenize import Tokenizer, stem


@pytest.fixture(scope="module")
def tok():
    return Tokenizer("B")


def shared(tok, a: str, b: str) -> set[str]:
    return set(tok(a)) & set(tok(b))


@pytest.mark.parametrize("a,b", [
    ("取組", "取り組み"),
    ("取組", "取り組む"),
    ("取り組み", "取り組む"),
])
def test_okurigana_variants_of_torikumi_meet(tok, a, b):
    assert shared(tok, a, b), (tok(a), tok(b))


@pytest.mark.parametrize("a,b", [
    ("PF", "プラットフォーム"),
    ("連携PF", "プラットフォーム"),
    ("連携PF", "PF"),
    ("官民連携プラットフォーム", "連携PF"),
    ("社協", "社会福祉協議会"),
    ("立ち上げ", "設立"),
    ("立ち上げ", "組成"),
    ("設立", "組成"),
    ("PFを立ち上げる", "プラットフォームの設立"),
])
def test_synonyms_meet_through_the_tokenizer(tok, a, b):
    assert shared(tok, a, b), (tok(a), tok(b))


def test_kanmin_renkei_is_found_inside_the_long_name(tok):
    """「官民連携」 inside 「孤独・孤立対策官民連携プラットフォーム」 (one compound for Sudachi)."""
    inside = set(tok("地方版孤独・孤立対策官民連携プラットフォーム（以下、「連携PF」という。）"))
    assert set(tok("官民連携")) <= inside


def test_compound_words_also_index_their_parts(tok):
    tokens = tok("民生児童委員の参加")
    assert {"民生", "委員"} <= set(tokens)


def test_function_words_are_dropped(tok):
    tokens = tok("それはどうすればよいですか？")
    assert tokens == [] or all(t not in ("です", "ます", "か", "は") for t in tokens)


def test_full_width_and_half_width_meet(tok):
    assert shared(tok, "ＰＦの運営", "PFの運営")


def test_stem_drops_trailing_okurigana_only_after_kanji():
    assert stem("取り組む") == stem("取り組み") == "取り組"
    assert stem("ゆるやか") == "ゆるやか"  # a kana word is kept whole


def test_modes_a_and_c_also_tokenize():
    for mode in ("A", "C"):
        assert Tokenizer(mode)("連携PFの立ち上げ")


@hsettings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("孤独立PFプラットフォーム連携 の・、。ａ１\n\t<>取り組む")), max_size=60))
def test_tokens_are_clean_lowercase_strings(text):
    for t in Tokenizer("B")(text):
        assert isinstance(t, str) and t and t == t.lower() and not any(c.isspace() for c in t)


def test_auxiliary_verbs_do_not_become_content_tokens(tok):
    assert "呉" not in tok("他の課が協力してくれません")
    assert "遣" not in tok("どうやって集めたのですか")


def test_synonym_and_stop_tables_are_arguments():
    """A deployment for other documents passes its own tables, as bm25s takes any splitter."""
    plain = Tokenizer("B", phrase_synonyms=(), token_synonyms={})
    assert not shared(plain, "社協", "社会福祉協議会")  # without the table the two forms do not meet
    custom = Tokenizer("B", phrase_synonyms=[("地域福祉推進会議", "推進会議")], token_synonyms={"会合": "会議"})
    assert shared(custom, "地域福祉推進会議", "推進会議の議事")
    assert "会議" in custom("月例の会合")
    assert "運営" in Tokenizer("B")("PFの運営")
    assert "運営" not in Tokenizer("B", stop_words={"運営"})("PFの運営")


def test_default_tables_come_from_the_vocabulary():
    from kb.core.vocab import load_json, load_lines
    tok = Tokenizer("B")
    assert set(load_lines("stopwords")) == tok.stop_words
    assert ("プラットフォーム", "PF") in tok.phrase_synonyms
    assert tok.token_synonyms == load_json("synonyms")["tokens"]
