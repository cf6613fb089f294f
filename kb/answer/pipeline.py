"""The advisory assistant: grounded answers organised by phase and step, every statement cited, no
LLM needed. Says so plainly when the reports hold no answer.

``ask(settings, question) → Answer`` runs named steps, each a function with typed input and output:

    analyse (once) → retrieve → judge_evidence → choose_form → compose (COMPOSERS[form]) → render

Answer forms: setup (roadmap), step, city, fact, compare, partner, trial, general; out_of_scope when
the evidence does not answer. The assistant needs little of a searcher: ``AssistantSearcher``."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping, Protocol

from kb.answer import compose as C
from kb.answer.blocks import Block, Blocks, render_markdown
from kb.core.normalize import squash
from kb.core.records import Record, SearchHit
from kb.core.settings import Settings
from kb.core.tuning import AnswerTuning
from kb.core.vocab.answer import answer_vocab
from kb.search.corpus import Corpus
from kb.search.query import QueryAnalysis

V = answer_vocab()
NO_EVIDENCE_TEXT = V.no_evidence_text


class AssistantSearcher(Protocol):
    """What the assistant uses of a searcher: the loaded corpus, its tokenizer, query analysis,
    ranked search, and the (cached) tokens of records and of their lines."""
    corpus: Corpus
    tokenizer: Callable[[str], list[str]]

    def analyze(self, query: str) -> QueryAnalysis: ...

    def search(self, query: str, k: int = 10, filters: Mapping[str, Any] | None = None, mode: str = "hybrid",
               rerank_by_query: bool = True, analysis: QueryAnalysis | None = None) -> list[SearchHit]: ...

    def record_tokens(self, record: Record) -> frozenset[str]: ...

    def text_tokens(self, text: str) -> frozenset[str]: ...


@dataclass(frozen=True)
class Answer:
    question: str
    question_type: str
    answer: str
    blocks: tuple[Block, ...]
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
                "blocks": [b.to_dict() for b in self.blocks], "citations": cites, "no_evidence": self.no_evidence,
                "related": [h.to_dict() | {"label": h.record.citation_label()} for h in self.related],
                "conflicts": list(self.conflicts), "verification": self.verification,
                "llm_answer": self.llm_answer}


# --- analyse ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    """The question as asked (validated) and what it names (cities, steps, phases, kinds)."""
    text: str
    analysis: QueryAnalysis


def analyse(searcher: AssistantSearcher, question: str, max_chars: int) -> Question:
    from kb.search.searcher import validate_query
    q = validate_query(question, max_chars)
    return Question(q, searcher.analyze(q))


# --- retrieve -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Retrieved:
    ranked: tuple[SearchHit, ...]  # the search depth, best first
    hits: tuple[SearchHit, ...]  # the top of it the answer is composed from
    rank: Mapping[str, int]  # record id → its position in ``ranked``


def retrieve(searcher: AssistantSearcher, q: Question, tuning: AnswerTuning) -> Retrieved:
    ranked = searcher.search(q.text, k=tuning.search_depth, analysis=q.analysis)
    return Retrieved(tuple(ranked), tuple(ranked[:tuning.evidence_depth]),
                     {h.record.id: i for i, h in enumerate(ranked)})


# --- judge evidence -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    no_evidence: bool
    reason: str = ""
    coverage: float = 1.0
    terms: frozenset[str] = frozenset()


def unknown_places(q: str, known: frozenset[str]) -> list[str]:
    """Municipality-like names in the question that the corpus does not hold (「札幌市では…」)."""
    out = []
    for m in V.place_pattern.finditer(q):
        name = m.group(1)
        if name in V.not_places or any(name.endswith(x) for x in V.not_place_suffixes):
            continue
        if name in known or any(k.startswith(name) or name.endswith(k) for k in known):
            continue
        out.append(name)
    return out


def key_terms(searcher: AssistantSearcher, q: Question) -> frozenset[str]:
    """The question's own topic words: content tokens minus generic and question words, minus the
    named cities; one-character and hiragana-only tokens are too weak to judge coverage by."""
    terms = {t for t in searcher.tokenizer(q.text) if t not in V.generic_terms and len(t) >= 2
             and not _hiragana_only(t) and not t.startswith("何")}
    for city in q.analysis.cities:
        terms -= set(searcher.tokenizer(city))
    return frozenset(terms)


def _hiragana_only(token: str) -> bool:
    return all("\u3041" <= ch <= "\u309f" for ch in token)


def judge_evidence(searcher: AssistantSearcher, q: Question, got: Retrieved, tuning: AnswerTuning) -> Evidence:
    """No evidence when the question names a municipality the corpus lacks, or — unless it names a
    step, a city or the setup — when no top record holds enough of its key terms (more than
    ``min_coverage``, or ``min_anchored_coverage`` for questions about the PF / 孤独・孤立 world),
    judged on the hybrid hits and on BM25's own best matches."""
    a = q.analysis
    places = unknown_places(q.text, searcher.corpus.cities)
    if places and not a.cities:
        return Evidence(True, f"資料が扱っていない自治体です: {'、'.join(places)}")
    terms = key_terms(searcher, q)
    if not got.hits:
        return Evidence(True, "一致する記録がありません", 0.0, terms)
    if not terms:
        return Evidence(False, "", 1.0, terms)
    best, best_have = 0.0, frozenset()
    lexical = searcher.search(q.text, k=tuning.coverage_depth, mode="bm25", rerank_by_query=False, analysis=a)
    for h in list(got.hits[:tuning.coverage_depth]) + lexical:
        have = terms & searcher.record_tokens(h.record)
        if len(have) / len(terms) > best:
            best, best_have = len(have) / len(terms), have
    if a.steps or a.cities or a.setup:
        return Evidence(False, "", best, terms)
    anchored = any(w in squash(q.text) for w in V.anchors)
    if best < tuning.min_anchored_coverage if anchored else best <= tuning.min_coverage:
        missing = "、".join(sorted(terms - best_have)[:5])
        return Evidence(True, f"質問の主な語（{missing}）をあわせて扱う記録が見当たりません", best, terms)
    return Evidence(False, "", best, terms)


# --- choose the answer's form -------------------------------------------------------------------


def choose_form(q: Question) -> str:
    text, a = q.text, q.analysis
    cues = V.form_cues
    if any(w in text for w in cues["compare"]):
        return "compare"
    if a.setup:
        return "setup"
    if any(w in text for w in cues["fact"]):
        return "fact"
    if any(w in text for w in cues["partner"]) or "column" in a.kinds:
        return "partner"
    if any(w in text for w in cues["trial"]):
        return "trial"
    if a.steps:
        return "step"
    if a.cities:
        return "city"
    if any(w in text for w in cues["setup"]):
        return "setup"
    return "general"


# --- compose ------------------------------------------------------------------------------------


@dataclass
class Context:
    """What a composer reads (the question, the corpus, the ranked evidence) and the blocks it writes."""
    searcher: AssistantSearcher
    question: Question
    retrieved: Retrieved
    evidence: Evidence
    top: list[Record]  # the evidence records, narrowed to the cities the question names
    blocks: Blocks = field(default_factory=Blocks)
    conflicts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def corpus(self) -> Corpus:
        return self.searcher.corpus

    @property
    def rank(self) -> Mapping[str, int]:
        return self.retrieved.rank


def compose_setup(c: Context) -> None:
    c.blocks.note("連携PFの立ち上げを4つの段階と各ステップに沿って、各自治体の実践と共通の示唆で示します。")
    a = c.question.analysis
    C.build_roadmap(c.blocks, c.corpus.records, c.rank, cities=a.cities, phases=a.phases)


def compose_step(c: Context) -> None:
    a = c.question.analysis
    C.build_steps(c.blocks, c.corpus.records, c.rank, a.steps, cities=a.cities)
    trials = [r for r in c.top[:6] if r.kind == "trial"]
    if trials:
        c.blocks.heading("関連する試行的事業", 3)
        for r in trials[:2]:
            c.blocks.statement(C.trial_line(r), [r])


def compose_compare(c: Context) -> None:
    a = c.question.analysis
    if len(a.cities) >= 2:
        C.build_compare_cities(c.blocks, c.corpus.records, a.cities, a.steps, c.rank)
        return
    m = V.compare_pattern.search(c.question.text)
    done = bool(m) and C.build_compare_terms(c.blocks, c.top, _term(m.group(1)), _term(m.group(2)))
    if not done:
        C.build_hits(c.blocks, c.top, 5, heading="関連する記載")


def compose_fact(c: Context) -> None:
    b, q, a, corpus = c.blocks, c.question.text, c.question.analysis, c.corpus
    start_q = any(w in q for w in V.start_when) and any(w in q for w in V.start_words)
    if start_q and a.cities:
        name = "council_start" if V.council_word in q else "pf_start"
        for city in a.cities:
            C.build_fact_values(b, corpus.facts, corpus.by_id, city, name)
        c.conflicts = C.fact_conflicts(corpus.facts, corpus.by_id, a.cities, [name])
        if b.statements:
            return
    wants = {k for k, words in V.profile_wants.items() if any(w in q for w in words)}
    if wants and a.cities and not any(w in q for w in V.cost_words):
        for city in a.cities:
            prof = corpus.profile(city)
            if prof is not None:
                C.build_profile(b, prof, wants)
    tok = c.searcher.tokenizer
    words = {t for t in tok(q) if t not in V.generic_terms} - {t for city in a.cities for t in tok(city)}
    lines = C.best_lines(c.top[:6], words, c.searcher.text_tokens, need_digit=True, units=C.question_units(q))
    if lines:
        b.heading("資料の記載", 2)
        for line, r in lines:
            b.statement(f"{_who(r)}: {line}", [r])
    trials = [r for r in c.top[:3] if r.kind == "trial"]
    if trials and any(w in q for w in V.money_words):
        b.statement(C.trial_line(trials[0]), [trials[0]])


def compose_trial(c: Context) -> None:
    trials = [r for r in c.top[:8] if r.kind == "trial"]
    if not trials:
        C.build_hits(c.blocks, c.top, 5)
        return
    for r in trials[:1 if _strong(trials[0], c.question.text) else 3]:
        C.build_trial(c.blocks, r)


def compose_partner(c: Context) -> None:
    cols = [r for r in c.top[:10] if r.kind == "column"]
    c.blocks.heading("支援団体から見た連携PF（コラム）", 2)
    for r in (cols or c.top)[:4]:
        c.blocks.statement(C.describe(r), [r])


def compose_city(c: Context) -> None:
    cities = c.question.analysis.cities
    local = [r for r in c.top if r.city in cities]
    prof = c.corpus.profile(cities[0])
    if prof is not None:
        c.blocks.statement(C.profile_line(prof), [prof])
    C.build_hits(c.blocks, [r for r in local if r.kind != "profile"] or c.top, 5, heading=f"{'・'.join(cities)}の記載")


def compose_general(c: Context) -> None:
    C.build_hits(c.blocks, c.top, 5, heading="関連する記載")


COMPOSERS: dict[str, Callable[[Context], None]] = {
    "setup": compose_setup, "step": compose_step, "compare": compose_compare, "fact": compose_fact,
    "trial": compose_trial, "partner": compose_partner, "city": compose_city, "general": compose_general,
}


def compose(searcher: AssistantSearcher, q: Question, got: Retrieved, ev: Evidence, form: str) -> Context:
    a = q.analysis
    top = [h.record for h in got.hits]
    if a.cities:  # a question about named cities is answered from those cities (and the cross-city summary)
        top = [r for r in top if r.city in a.cities or r.city is None] or top
    c = Context(searcher, q, got, ev, top)
    COMPOSERS[form](c)
    if a.cities:
        corpus = searcher.corpus
        c.conflicts += [x for x in C.fact_conflicts(corpus.facts, corpus.by_id, a.cities, tuple(V.fact_labels))
                        if x not in c.conflicts]
    return c


def _term(text: str) -> str:
    text = V.term_prefix_pattern.sub("", text.strip("「」 "))
    for old, new in V.term_rewrites.items():
        text = text.replace(old, new)
    return text


def _strong(r: Record, q: str) -> bool:
    t = squash(r.title)
    return len(t) >= 4 and (t[:6] in squash(q) or squash(q)[:6] in t)


def _who(r: Record) -> str:
    if r.kind == "trial":
        return f"{r.city}「{r.title}」"
    if r.kind == "lesson":
        return f"{r.city} {C.step_heading(r.step)}"
    return f"{r.city or '全体'} {r.title[:30]}"


# --- render -------------------------------------------------------------------------------------


def render(q: Question, form: str, c: Context) -> Answer:
    b = c.blocks
    return Answer(question=q.text, question_type=form, answer=render_markdown(b.items, b.cited),
                  blocks=tuple(b.items), citations=tuple(b.cited.values()), no_evidence=False,
                  related=tuple(h for h in c.retrieved.hits[:5] if h.record.id not in b.cited),
                  conflicts=tuple(c.conflicts))


def render_no_evidence(q: Question, ev: Evidence, got: Retrieved) -> Answer:
    b = Blocks()
    b.note(NO_EVIDENCE_TEXT + "。" + (ev.reason + "。" if ev.reason else ""))
    if got.hits:
        b.note("近い記録を「関連する記録」として示します（回答ではありません）。")
    return Answer(question=q.text, question_type="out_of_scope", answer=render_markdown(b.items, b.cited),
                  blocks=tuple(b.items), citations=(), no_evidence=True, related=tuple(got.hits[:5]))


# --- the whole ask ------------------------------------------------------------------------------


def answer_question(searcher: AssistantSearcher, question: str, *, tuning: AnswerTuning | None = None,
                    max_chars: int = 500) -> Answer:
    """The named steps over any searcher (a loaded index, or records held in memory)."""
    tuning = tuning or AnswerTuning()
    q = analyse(searcher, question, max_chars)
    got = retrieve(searcher, q, tuning)
    ev = judge_evidence(searcher, q, got, tuning)
    if ev.no_evidence:
        return render_no_evidence(q, ev, got)
    form = choose_form(q)
    c = compose(searcher, q, got, ev, form)
    if not c.blocks.statements:
        return render_no_evidence(q, Evidence(True, "回答に使える記録が見つかりません"), got)
    return render(q, form, c)


def ask(settings: Settings, question: str, *, use_llm: bool | None = None,
        searcher: AssistantSearcher | None = None) -> Answer:
    from kb.search.searcher import get_searcher
    s = searcher or get_searcher(settings)
    tuning = getattr(settings, "answer_tuning", None) or AnswerTuning()
    answer = answer_question(s, question, tuning=tuning, max_chars=settings.max_question_chars)
    if not answer.no_evidence and settings.llm_enabled and use_llm is not False:
        answer = _with_llm(settings, answer)
    return answer


def _with_llm(settings: Settings, answer: Answer) -> Answer:
    """Prose from the configured endpoint over the composer's citations, verified sentence by
    sentence; [n] keeps pointing at ``answer.citations``. On failure the composed answer stands."""
    from kb.answer.llm import synthesize_or_error
    result = synthesize_or_error(settings, answer.question, list(answer.citations), renumber=False)
    if result.error:
        return replace(answer, verification=result.verification)
    return replace(answer, llm_answer=result.text, verification=result.verification)
