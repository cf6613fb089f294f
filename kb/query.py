"""Query analysis: which cities, phases, steps and record kinds a Japanese
question names. Pure functions on strings; the vocabulary is the report's."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.normalize import squash

# words that point at a step (phrases of the report and of officials' questions)
STEP_WORDS: dict[str, tuple[str, ...]] = {
    "1": ("主担当部署", "担当部署", "担当課", "所管課", "主担当", "どこの課", "どの課", "所管部署"),
    "2": ("初動", "最初に", "最初は", "まず何", "はじめに何", "初めに何", "何から"),
    "3": ("現状把握", "実態把握", "実態調査", "現状を把握", "実態を把握", "ニーズ把握", "ニーズを把握", "地域の現状", "地域の実態"),
    "4-1": ("テーマ",),
    "4-2": ("企画・設計", "企画設計", "PFの設計", "体制の設計", "体制づくり", "体制を組"),
    "5": ("声掛け", "声がけ", "声をかけ", "巻き込", "リストアップ", "誘う", "誘え", "誘い", "初期メンバー", "参加団体を増や", "メンバー集め"),
    "6": ("周知", "広報", "情報発信", "発信", "啓発", "PR"),
    "7": ("PFの運営", "PF会議の運営", "運営", "会議の進め方"),
    "8": ("地域協議会の設置", "地域協議会を設置", "地域協議会はどのように", "地域協議会をどう"),
    "9": ("拡大", "活性化", "形骸化", "持続可能", "継続的"),
}
PHASE_WORDS: dict[str, tuple[str, ...]] = {
    "initial": ("初期段階", "最初", "はじめ", "初めて", "初動"),
    "preparation": ("準備段階", "準備"),
    "launch": ("設立段階",),
    "self_sustaining": ("自走段階", "自走", "自立的"),
}
KIND_WORDS: dict[str, tuple[str, ...]] = {
    "trial": ("試行的事業", "事業の", "費用", "いくら", "発注", "委託", "予算", "円", "ハンドブック", "リーフレット",
              "研修", "講座", "調査の", "回収率", "アンケート", "広告", "エプロン", "フォーラム", "キャラバン"),
    "profile": ("人口", "担当部局", "部局", "何団体", "参加団体数", "参画メンバー", "立ち上げ年度", "いつ立ち上げ"),
    "breakthrough": ("ブレイクスルー", "転機", "突破口", "うまくいった要因", "成功要因", "きっかけ"),
    "column": ("NPO", "支援団体から見", "民間団体から見", "団体の声", "コラム", "現場の声", "意義"),
}
# the question asks for a city's case, not the cross-city summary
CASE_WORDS = ("事例", "自治体は", "自治体はどこ", "どこの自治体", "どの自治体", "どこの市", "どの市", "実施した", "例はありますか",
              "ケース")
SETUP_WORDS = ("立ち上げ方", "立ち上げるには", "立ち上げるとき", "立ち上げの流れ", "立ち上げ手順", "進め方", "手順", "ロードマップ",
               "全体の流れ", "どう進め", "どのように進め", "始め方", "作り方", "つくり方", "設立するには", "何から始め")


@dataclass(frozen=True)
class QueryAnalysis:
    query: str
    cities: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()
    phases: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    setup: bool = False
    wants_case: bool = False
    terms: tuple[str, ...] = field(default_factory=tuple)


def find_cities(query: str, known: set[str] | frozenset[str]) -> tuple[str, ...]:
    """Known city names in the question, also without the 市/区/町 suffix (「熊本では」)."""
    q = squash(query)
    found = []
    for city in sorted(known, key=len, reverse=True):
        short = re.sub(r"[市区町村]$", "", city)
        if city in q or (len(short) >= 2 and re.search(re.escape(short) + r"(?![県府])", q)):
            if city not in found:
                found.append(city)
    return tuple(found)


def analyze(query: str, known_cities: set[str] | frozenset[str] = frozenset()) -> QueryAnalysis:
    q = squash(query).replace("プラットフォーム", "PF").replace("プラットホーム", "PF")
    steps = tuple(code for code, words in STEP_WORDS.items() if any(w in q for w in words))
    phases = tuple(code for code, words in PHASE_WORDS.items() if any(w in q for w in words))
    kinds = tuple(kind for kind, words in KIND_WORDS.items() if any(w in q for w in words))
    # 「地域協議会」 alone is step 8 unless the question is about something else in it
    if "地域協議会" in q and "8" not in steps and not kinds:
        steps = steps + ("8",)
    setup = any(w in q for w in SETUP_WORDS) and not steps
    return QueryAnalysis(query=query, cities=find_cities(query, known_cities), steps=steps, phases=phases,
                         kinds=kinds, setup=setup, wants_case=any(w in q for w in CASE_WORDS))
