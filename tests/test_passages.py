"""Passages: a record's text cut into the sentences and bullets a reader sees, with offsets that
point back into the text (for highlighting)."""
from __future__ import annotations

from hypothesis import given, settings as hsettings, strategies as st

from kb.search.passages import MAX_CHARS, text_to_spans


def pieces(text: str) -> list[str]:
    return [text[s:e] for s, e in text_to_spans(text)]


def test_bullets_and_sentences_become_passages_without_their_marks():
    text = "■ 庁内調整の進め方\n・福祉部局が担当した。関係課にも声を掛けた。\n・会議は年3回。\n① 議事録を公開した"
    assert pieces(text) == ["庁内調整の進め方", "福祉部局が担当した。", "関係課にも声を掛けた。", "会議は年3回。", "議事録を公開した"]


def test_numbers_that_begin_a_sentence_are_kept():
    assert pieces("3,000名に送った。\n(2) 2023年に始めた。\n1. 声を掛けた団体") == [
        "3,000名に送った。", "2023年に始めた。", "声を掛けた団体"]


def test_a_label_too_short_to_stand_alone_joins_the_next_piece():
    assert pieces("概要:\n市内の団体を調べた。") == ["概要:\n市内の団体を調べた。"]


def test_a_long_sentence_is_cut_at_its_commas():
    sentence = "、".join(["地域の団体と話し合いを重ねた"] * 30) + "。"
    got = pieces(sentence)
    assert len(got) > 1 and "".join(got) == sentence and all(len(p) <= MAX_CHARS for p in got)


@hsettings(max_examples=80, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("連携PF会議・■①。、！？\n 　」「ab12")), max_size=200))
def test_spans_point_into_the_text_in_order_without_overlap(text):
    spans = text_to_spans(text)
    last = 0
    for s, e in spans:
        assert last <= s < e <= len(text)
        assert text[s:e].strip()
        last = e
