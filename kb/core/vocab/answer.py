"""The assistant's vocabulary (answer.json beside this file) as typed, read-only tables: the
no-evidence sentence, question-form cues, words that say nothing about coverage, labels of facts
shown to users, the units a figure question asks for. Loaded once; kb/answer reads only these."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Mapping

from kb.core.vocab import load_json


@dataclass(frozen=True)
class AnswerVocab:
    no_evidence_text: str
    generic_terms: frozenset[str]
    form_cues: Mapping[str, tuple[str, ...]]
    anchors: tuple[str, ...]
    not_places: frozenset[str]
    not_place_suffixes: tuple[str, ...]
    place_pattern: re.Pattern
    compare_pattern: re.Pattern
    term_prefix_pattern: re.Pattern
    start_when: tuple[str, ...]
    start_words: tuple[str, ...]
    council_word: str
    profile_wants: Mapping[str, tuple[str, ...]]
    cost_words: tuple[str, ...]
    money_words: tuple[str, ...]
    vendor_words: tuple[str, ...]  # a question about who carried a trial out
    counter_units: tuple[str, ...]
    unit_cues: Mapping[str, tuple[str, ...]]
    unit_patterns: Mapping[str, re.Pattern]
    fact_labels: Mapping[str, str]
    frame_words: frozenset[str]
    compute_cues: Mapping[str, tuple[str, ...]]
    compute_measures: Mapping[str, tuple[str, ...]]
    compute_subjects: tuple[str, ...]
    compute_columns: tuple[str, ...]
    compute_labels: Mapping[str, str]
    labels: Mapping[str, str]
    followup_refer: tuple[str, ...]
    followup_refer_inside: tuple[str, ...]
    followup_note: str
    followup_pointers: tuple[str, ...]
    followup_more: tuple[str, ...]
    assistant_cues: Mapping[str, tuple[str, ...]]
    contact_types: Mapping[str, str]
    followup_note_plain: str
    followup_short: int
    followup_others: re.Pattern[str]  # 「他の2市は？」「ほかの自治体では？」: the cities the earlier turn did not name
    followup_others_max: int
    followup_others_share: float  # without a count, the others are the cities with this share of the records the earlier one has
    kana_share: float
    latin_share: float
    short_chars: int
    notes: Mapping[str, str]
    pointer_words: tuple[str, ...]
    reason_markers: tuple[str, ...]
    why_not: tuple[str, ...]
    definition_cues: tuple[str, ...]
    definition_patterns: Mapping[str, tuple[str, ...]]
    count_counters: tuple[tuple[str, ...], ...]
    answer_types: Mapping[str, tuple[tuple[str, ...], re.Pattern]]  # type → (question cues, value pattern)

    def fact_label(self, name: str) -> str:
        return self.fact_labels.get(name, name)


def _alt(words) -> str:
    return "|".join(re.escape(w) for w in words)


def _tuples(table: dict) -> Mapping[str, tuple[str, ...]]:
    return MappingProxyType({k: tuple(v) for k, v in table.items()})


@lru_cache(maxsize=None)
def answer_vocab() -> AnswerVocab:
    d = load_json("answer")
    place = re.compile(rf"([一-龥]{{1,4}}(?:{_alt(d['place_suffixes'])}))(?={_alt(d['place_followers'])}|$|\s)")
    start = d["start_question"]
    return AnswerVocab(
        no_evidence_text=d["no_evidence_text"],
        generic_terms=frozenset(d["generic_terms"]),
        form_cues=_tuples(d["form_cues"]),
        anchors=tuple(d["anchors"]),
        not_places=frozenset(d["not_places"]),
        not_place_suffixes=tuple(d["not_place_suffixes"]),
        place_pattern=place,
        compare_pattern=re.compile(rf"(.+?)と(.+?)の(?:{_alt(d['compare_pattern_words'])})"),
        term_prefix_pattern=re.compile(rf"^({_alt(d['term_prefixes'])})"),
        start_when=tuple(start["when"]),
        start_words=tuple(start["start"]),
        council_word=start["council"],
        profile_wants=_tuples(d["profile_wants"]),
        cost_words=tuple(d["cost_words"]),
        money_words=tuple(d["money_words"]),
        vendor_words=tuple(d.get("vendor_words", ())),
        counter_units=tuple(d["counter_units"]),
        unit_cues=_tuples(d["unit_cues"]),
        unit_patterns=MappingProxyType({k: re.compile(v) for k, v in d["unit_patterns"].items()}),
        fact_labels=MappingProxyType(dict(d["fact_labels"])),
        frame_words=frozenset(d["frame_words"]),
        compute_cues=_tuples(d["compute_cues"]),
        compute_measures=_tuples(d["compute_measures"]),
        compute_subjects=tuple(d["compute_subjects"]),
        compute_columns=tuple(d["compute_columns"]),
        compute_labels=MappingProxyType(dict(d["compute_labels"])),
        labels=MappingProxyType(dict(d["labels"])),
        followup_refer=tuple(d["followup_refer"]),
        followup_refer_inside=tuple(d["followup_refer_inside"]),
        followup_note=d["followup_note"],
        followup_pointers=tuple(d["followup_pointers"]),
        followup_more=tuple(d["followup_more"]),
        contact_types=MappingProxyType({k: v for k, v in d["contact_types"].items() if not k.startswith("_")}),
        assistant_cues=MappingProxyType({k: tuple(v) for k, v in d["assistant_cues"].items() if not k.startswith("_")}),
        followup_note_plain=d["followup_note_plain"],
        followup_short=int(d["followup_short"]),
        followup_others=re.compile(d["followup_others"]),
        followup_others_max=int(d["followup_others_max"]),
        followup_others_share=float(d["followup_others_share"]),
        kana_share=float(d["kana_share"]),
        latin_share=float(d["latin_share"]),
        short_chars=int(d["short_chars"]),
        notes=MappingProxyType(dict(d["notes"])),
        pointer_words=tuple(d["pointer_words"]),
        reason_markers=tuple(d["reason_markers"]),
        why_not=tuple(d["why_not"]),
        definition_cues=tuple(d["definition_cues"]),
        definition_patterns=_tuples(d["definition_patterns"]),
        count_counters=tuple(tuple(g) for g in d["count_counters"]),
        answer_types=MappingProxyType({k: (tuple(v["cues"]), re.compile(v["pattern"]))
                                       for k, v in d["answer_types"].items()}),
    )
