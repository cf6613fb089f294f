"""Properties of the text normalisation both readers rely on (Hypothesis)."""
from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from kb.core.normalize import CIRCLED, map_chars, normalize_text, squash

# what report text is made of, including what PDF text layers get wrong
_ALPHABET = (
    "あいうえおかがきぎっゃゅょをん" "アイウエオカガキギッャュョヲンー" "孤独立民長青食母一人口工"
    "⼀⼈⼝⼯⽴⾷⺠⻑⻘⻝⺟" "\u2027・･·•" "ＡＢＣａｂｃ０１２３（）％，．：" "ABCabc0123()%,.:-~"
    "～〜「」『』【】■□◆●✓➢📍※、。" + CIRCLED + " \u3000\t\n\r\xa0\u200b\ufeff"
)
texts = st.text(alphabet=st.sampled_from(_ALPHABET), max_size=60)


def visible(s: str) -> list[str]:
    return [c for c in s if not c.isspace()]


@settings(max_examples=400, deadline=None)
@given(texts)
@example("⽴ち上げ  ⺠間\u2027連携")
@example("NPO 法人 でんでん虫の会 \r\n R6 4月")
def test_normalize_text_is_idempotent(s):
    once = normalize_text(s)
    assert normalize_text(once) == once


@settings(max_examples=400, deadline=None)
@given(texts)
@example("相談先一 覧リーフレ ットの更新")
def test_normalize_text_keeps_every_visible_character_of_map_chars(s):
    """Whitespace repair only removes or collapses whitespace: nothing visible is lost or added."""
    assert visible(normalize_text(s)) == visible(map_chars(s))


@settings(max_examples=300, deadline=None)
@given(texts)
def test_map_chars_is_idempotent_and_repairs_code_points(s):
    once = map_chars(s)
    assert map_chars(once) == once
    assert not any(0x2F00 <= ord(c) <= 0x2FD5 for c in once)  # Kangxi radicals → kanji (NFKC)
    assert not set(once) & set("⺠⻑⻘⻝⺟\u2027")  # CJK Radicals Supplement and U+2027 → by map


@settings(max_examples=200, deadline=None)
@given(texts)
def test_squash_ignores_whitespace_and_wrong_code_points(s):
    assert squash(s) == squash(normalize_text(s))
    assert not any(c.isspace() for c in squash(s))


def test_known_repairs():
    assert normalize_text("⽴ち上げ ⺠間 孤独\u2027孤立") == "立ち上げ民間孤独・孤立"
    assert normalize_text("相談先一 覧リーフレ ットの更新") == "相談先一覧リーフレットの更新"
    assert normalize_text("NPO 法人 R6 4月") == "NPO法人R6 4月"
    assert normalize_text("①　主担当") == "①主担当"  # circled numbers survive NFKC
