"""Query analysis: which cities, phases, steps and record kinds a Japanese
question names. Pure functions on strings; the vocabulary is the report's."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from kb.core.normalize import squash

# words that point at a step (phrases of the report and of officials' questions); regular expressions
STEP_WORDS: dict[str, tuple[str, ...]] = {
    "1": ("主担当部署", "担当部署", "担当課", "所管課", "主担当", "(どこ|どの)の?(課|部署|部局)", "所管部署", "部署に持たせ",
          "所管を", "担当を(決|どこ)"),
    "2": ("初動", "最初に何", "最初は何", "まず何", "(はじめ|初め)に何", "何から", "担当にな(った|り)", "異動"),
    "3": ("現状把握", "実態把握", "実態調査", "(現状|実態|ニーズ)を(把握|つかむ|知る|調べ)", "ニーズ把握", "地域の(現状|実態)",
          "数字で(つかむ|把握)", "どれくらいいる"),
    "4-1": ("テーマ", "対象.{0,8}(絞|決|しぼ)", "誰を対象", "(誰|だれ)でも対象", "焦点"),
    "4-2": ("企画・?設計", "PFの設計", "体制の設計", "体制づくり", "体制を(組|作|つく)", "土台", "(既存|今ある)の?(協議会|会議|会議体)"),
    "5": ("声(掛け|がけ|をかけ|をかけ)", "巻き込", "リストアップ", "誘(う|え|い)", "初期メンバー", "参加団体を増や",
          "メンバー.{0,8}集", "仲間に", "協力してくれ", "連携を広げ", "他の課", "他課", "関係課"),
    "6": ("周知", "広報", "情報発信", "発信", "啓発", "PR", "知ってもらう"),
    "7": ("PFの運営", "PF会議の運営", "運営", "会議の進め方", "会合", "年に何回"),
    "8": ("地域協議会の設置", "地域協議会を(設置|作|つく)", "地域協議会は(どの|どう|新し)", "地域協議会をどう"),
    "9": ("拡大", "活性化", "形骸化", "形だけ", "名ばかり", "持続可能", "継続的", "(分野|テーマ).{0,6}広げ"),
}
STEP_RES = {code: tuple(re.compile(w) for w in words) for code, words in STEP_WORDS.items()}
SCOPE_WORDS = {"庁内": ("庁内", "役所の中", "役所内", "他の課", "他課", "関係課", "部署間", "課の間"),
               "庁外": ("庁外", "民間", "NPO", "地域の団体", "外部", "地元の団体", "支援団体に")}
PHASE_WORDS: dict[str, tuple[str, ...]] = {
    "initial": ("初期段階", "最初", "はじめ", "初めて", "初動"),
    "preparation": ("準備段階", "準備"),
    "launch": ("設立段階",),
    "self_sustaining": ("自走段階", "自走", "自立的"),
}
KIND_WORDS: dict[str, tuple[str, ...]] = {
    "trial": ("試行的事業", "事業の", "費用", "いくら", "発注", "委託", "予算", "円", "ハンドブック", "リーフレット",
              "研修", "講座", "調査の", "回収率", "アンケート", "広告", "エプロン", "フォーラム", "キャラバン", "外注"),
    "profile": ("人口", "担当部局", "部局", "何団体", "参加団体数", "参画メンバー", "立ち上げ年度", "いつ立ち上げ", "会員",
                "構成団体", "メンバーとして", "どんな組織"),
    "breakthrough": ("ブレイクスルー", "転機", "突破口", "うまくいった要因", "成功要因", "きっかけ", "決め手", "動き出した"),
    "column": ("NPOから見", "NPOは", "支援団体から見", "民間団体から見", "団体の声", "コラム", "現場の声", "意義",
               "現場の支援団体", "団体の側", "支援団体の側", "市民活動団体"),
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
    scopes: tuple[str, ...] = ()
    terms: tuple[str, ...] = field(default_factory=tuple)


def find_cities(query: str, known: set[str] | frozenset[str]) -> tuple[str, ...]:
    """Known city names in the question, also without the 市/区/町 suffix (「熊本では」)."""
    q = squash(query)
    found = []
    for city in sorted(known, key=len, reverse=True):
        short = re.sub(r"[市区町村]$", "", city)
        if city in q or (len(short) >= 2 and re.search(re.escape(short) + r"(?![県府])", q)) \
                or (len(short) == 1 and re.search(r"(?<![一-龥])" + re.escape(short) + r"(?=と|は|の|で|が|も|、)", q)):
            if city not in found:
                found.append(city)
    def position(city: str) -> int:
        short = re.sub(r"[市区町村]$", "", city)
        i = q.find(short)
        return i if i >= 0 else len(q)
    return tuple(sorted(found, key=position))


def analyze(query: str, known_cities: set[str] | frozenset[str] = frozenset()) -> QueryAnalysis:
    q = squash(query).replace("プラットフォーム", "PF").replace("プラットホーム", "PF")
    steps = tuple(code for code, rxs in STEP_RES.items() if any(rx.search(q) for rx in rxs))
    scopes = tuple(sc for sc, words in SCOPE_WORDS.items() if any(w in q for w in words))
    phases = tuple(code for code, words in PHASE_WORDS.items() if any(w in q for w in words))
    kinds = tuple(kind for kind, words in KIND_WORDS.items() if any(w in q for w in words))
    # 「地域協議会」 alone is step 8 unless the question is about something else in it
    if "地域協議会" in q and "8" not in steps and not kinds:
        steps = steps + ("8",)
    setup = any(w in q for w in SETUP_WORDS) and not steps
    return QueryAnalysis(query=query, cities=find_cities(query, known_cities), steps=steps, phases=phases,
                         kinds=kinds, setup=setup, wants_case=any(w in q for w in CASE_WORDS),
                         scopes=scopes if len(scopes) == 1 else ())
