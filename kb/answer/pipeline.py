"""The advisory assistant: grounded answers organised by phase and step, every
statement cited, no LLM needed. Says so plainly when the reports hold no answer.

ask(settings, question) → Answer. Question types: setup (roadmap), step, city,
fact, compare, partner, trial, general, out_of_scope."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from kb.core.normalize import squash
from kb.answer import compose as C
from kb.search.query import QueryAnalysis
from kb.core.records import Record, SearchHit
from kb.search.searcher import Searcher, get_searcher, validate_query
from kb.core.settings import Settings

NO_EVIDENCE_TEXT = "資料には該当する記載がありません"

# tokens that say nothing about whether the reports cover the question
GENERIC = {
    "孤独", "孤立", "対策", "pf", "連携", "官民", "自治体", "事業", "取り組", "市", "方法", "どう", "何", "場合", "必要", "具体",
    "例", "事例", "実施", "支援", "団体", "地域", "方", "いる", "ある", "行", "行う", "良", "よい", "教え", "知", "ほしい",
    "欲しい", "たい", "ます", "です", "はい", "いい", "どこ", "いつ", "誰", "なぜ", "どの", "どんな", "ください", "下さ", "聞",
    "関", "関係", "立ち上", "作", "つく", "始", "進", "考", "分か", "わか", "できる", "出来", "ため", "よう", "もの", "こと",
    "本", "国", "全国", "日本", "今", "現在", "最近", "一般", "的", "化", "性", "等", "際", "上", "中", "後", "前",
    "最初", "初め", "始め", "まず", "ポイント", "注意", "気をつけ", "工夫", "コツ", "こつ", "教え", "参考", "事例",
}
COMPARE_WORDS = ("違い", "比較", "比べ", "ちがい", "異なる", "差は", "どう違")
FACT_WORDS = ("いくら", "費用", "何団体", "何人", "何名", "何枚", "何件", "人口", "回収率", "いつ", "何年", "年度は",
              "割合", "件数", "何社", "金額", "予算", "参加者数", "どれくらい", "どのくらい", "何か所")
PARTNER_WORDS = ("NPO", "支援団体から見", "民間団体から見", "団体の声", "現場の声", "コラム", "団体側", "民間の立場")
TRIAL_WORDS = ("試行的事業", "とは何", "どんな事業", "実施した自治体", "行った自治体", "ハンドブック", "リーフレット",
               "研修", "講座", "新聞広告", "エプロン", "フォーラム", "キャラバン", "リソース調査", "実態把握調査")
_PLACE = re.compile(r"([一-龥]{1,4}(?:都|道|府|県|市|区|町|村))(?=の|で|は|が|に|と|へ|、|では|$|\s|における)")
NOT_PLACES = {"政令市", "市町村", "都市", "中核市", "各市", "本市", "当市", "同市", "全市", "他市", "特別区", "市区", "地区",
              "各区", "都道府", "道府県", "都道府県", "他県", "各県", "県", "市", "区", "町", "村", "近隣市", "隣接市",
              "指定都市", "地方都", "首都", "同区", "各町", "市区町村", "他の市", "中規模市"}


@dataclass(frozen=True)
class Answer:
    question: str
    question_type: str
    answer: str
    blocks: tuple[dict[str, Any], ...]
    citations: tuple[Record, ...]
    no_evidence: bool
    related: tuple[SearchHit, ...] = ()
    conflicts: tuple[dict[str, Any], ...] = ()
    verification: dict[str, Any] | None = None
    llm_answer: str | None = None

    def to_dict(self) -> dict[str, Any]:
        cites = []
        for r in self.citations:
            d = r.to_dict()
            d["label"] = r.citation_label()
            cites.append(d)
        return {"question": self.question, "question_type": self.question_type, "answer": self.answer,
                "blocks": list(self.blocks), "citations": cites, "no_evidence": self.no_evidence,
                "related": [h.to_dict() | {"label": h.record.citation_label()} for h in self.related],
                "conflicts": list(self.conflicts), "verification": self.verification,
                "llm_answer": self.llm_answer}


def classify(q: str, a: QueryAnalysis) -> str:
    if any(w in q for w in COMPARE_WORDS):
        return "compare"
    if a.setup:
        return "setup"
    if any(w in q for w in FACT_WORDS):
        return "fact"
    if any(w in q for w in PARTNER_WORDS) or "column" in a.kinds:
        return "partner"
    if any(w in q for w in TRIAL_WORDS):
        return "trial"
    if a.steps:
        return "step"
    if a.cities:
        return "city"
    if "立ち上げ" in q or "立ち上げる" in q:
        return "setup"
    return "general"


def unknown_places(q: str, known: frozenset[str]) -> list[str]:
    out = []
    for m in _PLACE.finditer(q):
        name = m.group(1)
        if name in NOT_PLACES or any(name.endswith(x) for x in ("市民", "区域")):
            continue
        if name in known or any(k.startswith(name) or name.endswith(k) for k in known):
            continue
        out.append(name)
    return out


@dataclass
class Evidence:
    no_evidence: bool
    reason: str = ""
    coverage: float = 1.0
    terms: set[str] = field(default_factory=set)


# calibrated on eval/dev_questions.jsonl and eval/own_questions.jsonl (see README): below this share of the
# question's own key terms found in the top records, the reports do not cover the question
# Unless the question names a step, a city or the setup, a record among the top hits must hold more than
# half of the question's key terms — or a third, when the question is about the PF / 孤独・孤立 world.
MIN_COVERAGE = 0.5
MIN_ANCHORED_COVERAGE = 0.34
ANCHORS = re.compile(r"PF|プラットフォーム|孤独|孤立|地域協議会|官民連携")
COVERAGE_DEPTH = 10


def assess_evidence(s: Searcher, q: str, a: QueryAnalysis, hits: list[SearchHit]) -> Evidence:
    places = unknown_places(q, s.cities)
    if places and not a.cities:
        return Evidence(True, f"資料が扱っていない自治体です: {'、'.join(places)}")
    terms = key_terms(s, q, a)
    if not hits:
        return Evidence(True, "一致する記録がありません", 0.0, terms)
    if not terms:
        return Evidence(False, "", 1.0, terms)
    best, best_have = 0.0, set()
    # judge lexical coverage on the hybrid hits and on the BM25 leg's own best matches
    lexical = s.search(q, k=COVERAGE_DEPTH, mode="bm25", rerank_by_query=False)
    for h in hits[:COVERAGE_DEPTH] + lexical:
        have = terms & s.record_tokens(h.record)
        if len(have) / len(terms) > best:
            best, best_have = len(have) / len(terms), have
    if a.steps or a.cities or a.setup:
        return Evidence(False, "", best, terms)  # the question names a step, a city or the setup
    anchored = bool(ANCHORS.search(squash(q)))
    if best < MIN_ANCHORED_COVERAGE if anchored else best <= MIN_COVERAGE:
        missing = "、".join(sorted(terms - best_have)[:5])
        return Evidence(True, f"質問の主な語（{missing}）をあわせて扱う記録が見当たりません", best, terms)
    return Evidence(False, "", best, terms)


_HIRAGANA_ONLY = re.compile(r"^[\u3041-\u309f]+$")


def key_terms(s: Searcher, q: str, a: QueryAnalysis) -> set[str]:
    """The question's own topic words: content tokens minus generic and question words, minus the
    named cities; one-character and hiragana-only tokens are too weak to judge coverage by."""
    terms = {t for t in s.tokenizer(q) if t not in GENERIC and len(t) >= 2 and not _HIRAGANA_ONLY.match(t)
             and not t.startswith("何")}
    for city in a.cities:
        terms -= set(s.tokenizer(city))
    return terms


def ask(settings: Settings, question: str, *, use_llm: bool | None = None,
        searcher: Searcher | None = None) -> Answer:
    s = searcher or get_searcher(settings)
    q = validate_query(question, settings.max_question_chars)
    a = s.analyze(q)
    ranked = s.search(q, k=100)
    hits = ranked[:30]
    ev = assess_evidence(s, q, a, hits)
    if ev.no_evidence:
        return _no_evidence(q, ev, hits)
    qtype = classify(q, a)
    rank = {h.record.id: i for i, h in enumerate(ranked)}
    b = C.Blocks()
    conflicts: list[dict] = []
    top = [h.record for h in hits]
    if a.cities:  # a question about named cities is answered from those cities (and the cross-city summary)
        top = [r for r in top if r.city in a.cities or r.city is None] or top
    records = s.records
    if qtype == "setup":
        b.note("連携PFの立ち上げを4つの段階と各ステップに沿って、各自治体の実践と共通の示唆で示します。")
        C.build_roadmap(b, records, rank, cities=a.cities, phases=a.phases)
    elif qtype == "step":
        C.build_steps(b, records, rank, a.steps, cities=a.cities)
        _related_trials(b, top)
    elif qtype == "compare":
        if len(a.cities) >= 2:
            C.build_compare_cities(b, records, a.cities, a.steps, rank)
        else:
            m = re.search(r"(.+?)と(.+?)の(?:違い|比較|ちがい)", q)
            done = bool(m) and C.build_compare_terms(b, top, _term(m.group(1)), _term(m.group(2)))
            if not done:
                C.build_hits(b, top, 5, heading="関連する記載")
    elif qtype == "fact":
        conflicts = _fact(b, s, q, a, top, ev)
    elif qtype == "trial":
        trials = [r for r in top[:8] if r.kind == "trial"]
        if trials:
            for r in trials[:1 if _strong(trials[0], q) else 3]:
                C.build_trial(b, r)
        else:
            C.build_hits(b, top, 5)
    elif qtype == "partner":
        cols = [r for r in top[:10] if r.kind == "column"]
        b.heading("支援団体から見た連携PF（コラム）", 2)
        for r in (cols or top)[:4]:
            b.statement(C.describe(r), [r])
    elif qtype == "city":
        city = a.cities[0]
        local = [r for r in top if r.city in a.cities]
        prof = next((r for r in records if r.kind == "profile" and r.city == city), None)
        if prof is not None:
            b.statement(C.profile_line(prof), [prof])
        C.build_hits(b, [r for r in local if r.kind != "profile"] or top, 5, heading=f"{'・'.join(a.cities)}の記載")
    else:
        C.build_hits(b, top, 5, heading="関連する記載")
    if a.cities:
        conflicts += [c for c in C.fact_conflicts(s.facts, s.by_id, a.cities, C.FACT_NAMES) if c not in conflicts]
    if not b.statements:
        return _no_evidence(q, Evidence(True, "回答に使える記録が見つかりません"), hits)
    answer = Answer(question=q, question_type=qtype, answer=render_markdown(b),
                    blocks=tuple(b.items), citations=tuple(b.cited.values()), no_evidence=False,
                    related=tuple(h for h in hits[:5] if h.record.id not in b.cited),
                    conflicts=tuple(conflicts))
    if settings.llm_enabled and use_llm is not False:
        answer = _with_llm(settings, answer)
    return answer


def _term(text: str) -> str:
    return re.sub(r"^(連携|その|この)", "", text.strip("「」 ")).replace("プラットフォーム", "PF")


def _strong(r: Record, q: str) -> bool:
    t = squash(r.title)
    return len(t) >= 4 and (t[:6] in squash(q) or squash(q)[:6] in t)


def _related_trials(b: C.Blocks, top: list[Record]) -> None:
    trials = [r for r in top[:6] if r.kind == "trial"]
    if trials:
        b.heading("関連する試行的事業", 3)
        for r in trials[:2]:
            b.statement(C.trial_line(r), [r])


def _fact(b: C.Blocks, s: Searcher, q: str, a: QueryAnalysis, top: list[Record], ev: Evidence) -> list[dict]:
    conflicts: list[dict] = []
    start_q = bool(re.search(r"いつ|何年|年度", q)) and bool(re.search(r"立ち上|設立|設置|開始|発足|始ま|でき", q))
    if start_q and a.cities:
        name = "council_start" if "地域協議会" in q else "pf_start"
        for city in a.cities:
            C.build_fact_values(b, s.facts, s.by_id, city, name)
        conflicts = C.fact_conflicts(s.facts, s.by_id, a.cities, [name])
        if b.statements:
            return conflicts
    wants = {k for k, words in (("population", ("人口",)), ("department", ("担当部局", "担当課", "部署", "部局")),
                                ("members", ("参画メンバー", "参加団体", "何団体が参加", "何団体が参画", "構成団体")),
                                ("start", ("立ち上げ年度",)))
             if any(w in q for w in words)}
    if wants and a.cities and not any(w in q for w in ("費用", "いくら")):
        for city in a.cities:
            prof = next((r for r in s.records if r.kind == "profile" and r.city == city), None)
            if prof is not None:
                C.build_profile(b, prof, wants)
    words = {t for t in s.tokenizer(q) if t not in GENERIC} - {t for c in a.cities for t in s.tokenizer(c)}
    lines = C.best_lines([r for r in top[:6]], words, s.text_tokens, need_digit=True, units=C.question_units(q))
    if lines:
        b.heading("資料の記載", 2)
        for line, r in lines:
            b.statement(f"{_who(r)}: {line}", [r])
    trials = [r for r in top[:3] if r.kind == "trial"]
    if trials and any(w in q for w in ("費用", "いくら", "金額", "予算")):
        b.statement(C.trial_line(trials[0]), [trials[0]])
    return conflicts


def _who(r: Record) -> str:
    if r.kind == "trial":
        return f"{r.city}「{r.title}」"
    if r.kind == "lesson":
        return f"{r.city} {C.step_heading(r.step)}"
    return f"{r.city or '全体'} {r.title[:30]}"


def _no_evidence(q: str, ev: Evidence, hits: list[SearchHit]) -> Answer:
    b = C.Blocks()
    b.note(NO_EVIDENCE_TEXT + "。" + (ev.reason + "。" if ev.reason else ""))
    if hits:
        b.note("近い記録を「関連する記録」として示します（回答ではありません）。")
    return Answer(question=q, question_type="out_of_scope", answer=render_markdown(b), blocks=tuple(b.items),
                  citations=(), no_evidence=True, related=tuple(hits[:5]))


def _with_llm(settings: Settings, answer: Answer) -> Answer:
    """Prose from the configured endpoint over the composer's citations, verified sentence by
    sentence; [n] keeps pointing at ``answer.citations``. On failure the composed answer stands."""
    from kb.answer.llm import synthesize_or_error
    result = synthesize_or_error(settings, answer.question, list(answer.citations), renumber=False)
    if result.error:
        return Answer(**{**answer.__dict__, "verification": result.verification})
    return Answer(**{**answer.__dict__, "llm_answer": result.text, "verification": result.verification})


def render_markdown(b: C.Blocks) -> str:
    """Markdown with numbered citations [n] and a source list."""
    order = list(b.cited)
    num = {rid: i + 1 for i, rid in enumerate(order)}
    out: list[str] = []
    for blk in b.items:
        t = blk["type"]
        if t == "heading":
            out.append(f"\n{'#' * (blk['level'] + 0)} {blk['text']}")
        elif t == "statement":
            marks = "".join(f"[{num[c]}]" for c in blk["citations"])
            out.append(f"- {blk['text']} {marks}".rstrip())
        elif t == "table":
            cols = blk["columns"]
            out.append("")
            out.append("| " + " | ".join(cols) + " |")
            out.append("|" + "---|" * len(cols))
            for row in blk["rows"]:
                out.append("| " + " | ".join(c.replace("|", "/") for c in row) + " |")
            out.append("".join(f"[{num[c]}]" for c in blk["citations"]))
        elif t == "note":
            out.append(f"\n{blk['text']}")
    if order:
        out.append("\n出典:")
        for rid in order:
            out.append(f"[{num[rid]}] {b.cited[rid].citation_label()}")
    return "\n".join(out).strip() + "\n"
