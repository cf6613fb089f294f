"""The advisory assistant: grounded answers organised by phase and step, every statement cited, no
LLM needed. Says so plainly when the reports hold no answer.

``ask(settings, question) → Answer`` runs named steps, each a function with typed input and output:

    analyse (once) → retrieve → judge_evidence → choose_form → compose (COMPOSERS[form]) → render

Answer forms: setup (roadmap), step, city, fact, compare, partner, trial, general; out_of_scope when
the evidence does not answer. The assistant needs little of a searcher: ``AssistantSearcher``."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Mapping, Protocol, Sequence

from kb.answer import compose as C
from kb.search.query import trial_names as search_trial_names
from kb.answer.blocks import Block, Blocks, Statement, Table, render_markdown
from kb.answer.awkward import is_english, is_kana_only, is_short, reading_lexicon
from kb.answer.followup import Turn, read_history, resolve
from kb.answer.compute import asks_computation, compute as compute_figures
from kb.answer.forms import (answer_types, asks_why, count_asked, defined_term, definitions, figures, gives_reason,
                             holds_answer_type)
from kb.answer.keypoints import (Candidate, KeySentence, city_label, df_table, idf_table, lexical_share,
                                 load_sentence_model, pick_key_sentences, record_sentences, score_sentences,
                                 voice_label)
from kb.answer.refusal import EvidenceFeatures, RefusalModel, agreement, load_model
from kb.core.vocab import unify_spellings
from kb.core.normalize import squash
from kb.core.records import PHASES, Passage, Record, SearchHit
from kb.core.settings import Settings
from kb.core.tuning import AnswerTuning
from kb.core.vocab.answer import answer_vocab
from kb.search.corpus import Corpus, corpus_memo
from kb.search.query import QueryAnalysis

V = answer_vocab()
LEAD_FORMS = ("fact", "trial", "city")  # forms whose composer quotes the asked field or figure first
LEAD_HOLDS = frozenset({"money", "organisation"})  # answer types a trial's first quotes hold (vendor, cost)
PHASE_ORDER = {code: i for i, (code, _label) in enumerate(PHASES)}
NO_EVIDENCE_TEXT = V.no_evidence_text


class AssistantSearcher(Protocol):
    """What the assistant uses of a searcher: the loaded corpus, its tokenizer, query analysis,
    ranked search, the (cached) tokens of records and of their lines, and the passage index's scores
    of the records' sentences for a question (built at index time; the question's embedding reused)."""
    corpus: Corpus
    tokenizer: Callable[[str], list[str]]

    def analyze(self, query: str) -> QueryAnalysis: ...

    def search(self, query: str, k: int = 10, filters: Mapping[str, Any] | None = None, mode: str = "hybrid",
               rerank_by_query: bool = True, analysis: QueryAnalysis | None = None,
               vector: Any = None) -> list[SearchHit]: ...

    def embed_query(self, query: str) -> Any: ...

    def record_tokens(self, record: Record) -> frozenset[str]: ...

    def text_tokens(self, text: str) -> frozenset[str]: ...

    def passages(self, query: str, record_ids: Iterable[str],
                 vector: Any = None) -> Mapping[str, list[tuple[Passage, float]]]: ...

    def passage_similarity(self, vector: Any) -> float: ...


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
    summary: tuple[KeySentence, ...] = ()
    notes: tuple[str, ...] = ()  # what the assistant did with the question (a follow-up's context, a language)

    def to_dict(self) -> dict[str, Any]:
        cites = []
        for r in self.citations:
            d = r.to_dict()
            d["label"] = r.citation_label()
            cites.append(d)
        return {"question": self.question, "question_type": self.question_type,
                "summary": [k.to_dict() for k in self.summary], "answer": self.answer,
                "blocks": [b.to_dict() for b in self.blocks], "citations": cites, "no_evidence": self.no_evidence,
                "related": [h.to_dict() | {"label": h.record.citation_label()} for h in self.related],
                "conflicts": list(self.conflicts), "verification": self.verification,
                "llm_answer": self.llm_answer, "notes": list(self.notes)}


# --- analyse ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    """The question (validated; a follow-up joined to the earlier turn it builds on) and what it
    names (cities, steps, phases, kinds)."""
    text: str
    analysis: QueryAnalysis
    asked: str = ""  # the question as the user typed it, when ``text`` is a resolved follow-up
    notes: tuple[str, ...] = ()  # what was done with it, said in the answer
    ask: str = ""  # a resolved follow-up's own question (「回答はどうやって集めたの？」), when it asks one

    @property
    def shown(self) -> str:
        return self.asked or self.text

    @property
    def cues(self) -> str:
        """The text the answer's form reads its cues from (何人, なぜ, 一番…): a follow-up's own question
        where it asks one (the earlier question gives the subject, not what is asked now)."""
        return self.ask or self.text


def analyse(searcher: AssistantSearcher, question: str, max_chars: int, history: Sequence[Turn] = (),
            tuning: AnswerTuning | None = None, force: bool = False) -> Question:
    from kb.search.searcher import validate_query
    q = validate_query(question, max_chars)
    first = Question(q, searcher.analyze(q))
    if is_kana_only(q):  # 「ぷらっとふぉーむのたちあげかた」: read on the corpus's own words
        text = reading_lexicon(searcher.corpus).rewrite(q)
        if text != q:
            first = Question(text, searcher.analyze(text), asked=q, notes=(V.notes["kana"].format(rewritten=text),))
    if not history:
        return first
    # the follow-up's own words: its key terms, not the words of a computation it asks (「一番」「合計」)
    terms = frozenset(t for t in key_terms(searcher, first) if not any(t in cue for cues in V.compute_cues.values()
                                                                          for cue in cues))
    df = corpus_df(searcher)
    rarest = min((df.get(t, 0) for t in terms), default=None)  # a word the corpus lacks is a subject of its own
    t = tuning or AnswerTuning()
    common = max(t.followup_common_records, t.followup_common_share * len(searcher.corpus.records))
    names_subject = any(name in first.text for name in trial_names(searcher.corpus))
    named = first.analysis.documents  # 「国の計画では？」: the earlier turn's city may not be in that document
    document_cities = searcher.corpus.cities_of(named) if named else None
    r = resolve(q, first.analysis, len(terms), history, searcher.analyze, rarest, common, names_subject,
                document_cities, searcher.corpus.city_records,  # 「他の2市は？」 picks from these
                trial_subjects(searcher.corpus),  # 「それっていつ？」 of the trial the earlier answer named
                force)
    if not r.previous:
        return first
    text = r.text[-max_chars:]
    return Question(text, searcher.analyze(text), asked=q, notes=first.notes + (r.note,), ask=r.ask)


# --- retrieve -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Retrieved:
    ranked: tuple[SearchHit, ...]  # the search depth, best first
    hits: tuple[SearchHit, ...]  # the top of it the answer is composed from
    rank: Mapping[str, int]  # record id → its position in ``ranked``
    lexical: tuple[SearchHit, ...] = ()  # BM25's own best matches (raw scores, no re-rank)
    dense: tuple[SearchHit, ...] = ()  # the dense retriever's own best matches (cosine, no re-rank)
    # the passage index over every record: record id → its sentences (text, score) best first, and the
    # records in the order of their best sentence (the sentence that answers may sit in a record that
    # ranks low as a whole: a page of a national plan among many)
    passages: Mapping[str, Sequence[tuple[str, float]]] = field(default_factory=dict)
    passage_order: tuple[str, ...] = ()
    passage_cosine: float = 0.0  # the best cosine of any sentence of the corpus to the question


def retrieve(searcher: AssistantSearcher, q: Question, tuning: AnswerTuning) -> Retrieved:
    vector = searcher.embed_query(q.text)  # one embedding per question: both searches and the sentences
    ranked = searcher.search(q.text, k=tuning.search_depth, analysis=q.analysis, vector=vector)
    lexical = searcher.search(q.text, k=tuning.coverage_depth, mode="bm25", rerank_by_query=False, analysis=q.analysis)
    dense = searcher.search(q.text, k=tuning.evidence_depth, mode="dense", rerank_by_query=False, analysis=q.analysis,
                            vector=vector)
    passages = sentence_passages(searcher, q.text, [r.id for r in searcher.corpus.records], vector)
    best = passages.best() if hasattr(passages, "best") else {rid: rows[0][1] for rid, rows in passages.items() if rows}
    order = tuple(sorted((rid for rid in passages if rid in best), key=lambda rid: -best[rid]))
    return Retrieved(tuple(ranked), tuple(ranked[:tuning.evidence_depth]),
                     {h.record.id: i for i, h in enumerate(ranked)}, tuple(lexical), tuple(dense), passages, order,
                     searcher.passage_similarity(vector))


def sentence_passages(searcher: AssistantSearcher, text: str, record_ids: Sequence[str],
                      vector: Any = None) -> Mapping[str, list[tuple[str, float]]]:
    """The passage index's score of every sentence of these records for the question (its sentence
    vectors, computed at build time, against the question's embedding, which search already computed;
    and passage BM25), best first."""
    if not record_ids:
        return {}
    got = searcher.passages(text, record_ids, vector=vector)
    if hasattr(got, "mapped"):  # the passage index's lazy ranking: rows are made when a record is read
        return got.mapped(lambda p, sc: (p.text, sc))
    return {rid: [(p.text, sc) for p, sc in rows] for rid, rows in got.items()}


# --- judge evidence -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    no_evidence: bool
    reason: str = ""
    coverage: float = 1.0
    terms: frozenset[str] = frozenset()
    features: EvidenceFeatures | None = None
    p_unanswerable: float | None = None  # the fitted model's probability, where one is used


def unknown_places(q: str, known: frozenset[str], tokenizer: Any = None, corpus_text: str | None = None) -> list[str]:
    """Municipality-like names in the question that the corpus does not hold (「札幌市では…」; with the
    tokenizer, also the place names Sudachi knows, kana ones among them: 「さいたま市の…」). With the
    corpus's text: a place its text writes is held, though no record is about it (「鳥取県は…」 of a plan
    that quotes the prefecture), and a bare place name it never writes is not (「浜松では…」)."""
    out = []
    names = [m.group(1) for m in V.place_pattern.finditer(q)]
    if tokenizer is not None and hasattr(tokenizer, "place_names"):
        found = tokenizer.place_names(q, bare=True) if corpus_text is not None else tokenizer.place_names(q)
        names += [n for n in found if n not in names]
    for name in names:
        if name in V.not_places or any(name.endswith(x) for x in V.not_place_suffixes):
            continue
        if name in known or any(k.startswith(name) or name.endswith(k) for k in known):
            continue
        if corpus_text is not None and name in corpus_text:
            continue
        out.append(name)
    return out


_QUOTED = re.compile(r"「[^」]*」|『[^』]*』|\"[^\"]*\"|“[^”]*”")
_PUNCT = re.compile(r"[\s、。，．,.！!？?・…〜~ー-]+")


def talks_to_assistant(question: str, corpus_text: str = "") -> bool:
    """The question talks to the assistant, not about the documents (answer.json assistant_cues): it
    addresses it (「あなたは誰？」「このシステムは何ができますか」), asks how to use it (「使い方を教えて」), or is
    a greeting with nothing else (「よろしくお願いします」; 「こんにちは。PFの立ち上げ方は？」 asks). A cue inside
    quotes, or whose words run on as the corpus's own text does (「あなたはひとりじゃない」), does not count."""
    q = _QUOTED.sub("", question)
    cues = V.assistant_cues
    for cue in (*cues.get("address", ()), *cues.get("help", ())):
        at = q.find(cue)
        if at >= 0 and not (corpus_text and q[at:at + len(cue) + 5] in corpus_text):
            return True
    rest = q
    for g in sorted(cues.get("greetings", ()), key=len, reverse=True):
        rest = rest.replace(g, "")
    if rest != q:
        rest = _PUNCT.sub("", rest)
        for tail in cues.get("greeting_tails", ()):
            rest = rest.replace(tail, "")
        return len(rest) <= 2
    return False


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


def corpus_df(searcher: AssistantSearcher) -> Mapping[str, int]:
    """How many records hold each BM25 token of the corpus (computed once per corpus)."""
    corpus = searcher.corpus
    return corpus_memo(corpus, "df", lambda: df_table(corpus.records, searcher.record_tokens))


def corpus_idf(searcher: AssistantSearcher) -> Mapping[str, float]:
    """Inverse document frequency of every BM25 token of the corpus (computed once per corpus)."""
    corpus = searcher.corpus
    return corpus_memo(corpus, "idf", lambda: idf_table(corpus.records, searcher.record_tokens, corpus_df(searcher)))


def evidence_features(searcher: AssistantSearcher, q: Question, got: Retrieved,
                      terms: frozenset[str], tuning: AnswerTuning) -> tuple[EvidenceFeatures, frozenset[str]]:
    """What the evidence says about whether the documents answer the question (kb/answer/refusal.py),
    and the key terms the best record holds."""
    a = q.analysis
    idf = corpus_idf(searcher)
    best, best_have = (0.0, frozenset()) if terms else (1.0, frozenset())
    for h in got.hits[:tuning.coverage_depth] + got.lexical:
        have = terms & searcher.record_tokens(h.record)
        if terms and len(have) / len(terms) > best:
            best, best_have = len(have) / len(terms), have
    sentence_best = 0.0
    if terms:
        seen: set[str] = set()
        for h in got.hits[:5] + got.lexical[:5]:
            if h.record.id in seen:
                continue
            seen.add(h.record.id)
            for sent in record_sentences(h.record, brackets=False):
                sentence_best = max(sentence_best, lexical_share(searcher.text_tokens(sent), terms, idf))
    else:
        sentence_best = 1.0
    cos = [h.score for h in got.dense]
    f = EvidenceFeatures(
        coverage=best, sentence_coverage=sentence_best,
        unseen_terms=sum(1 for t in terms if t not in idf) / len(terms) if terms else 0.0,
        bm25_top=math.log1p(got.lexical[0].score) if got.lexical else 0.0,
        dense_top=cos[0] if cos else 0.0,
        dense_gap=(cos[0] - cos[min(9, len(cos) - 1)]) if cos else 0.0,
        passage_dense=got.passage_cosine,
        agreement=agreement([h.record.id for h in got.lexical], [h.record.id for h in got.dense]),
        named=1.0 if (a.steps or a.cities or a.setup) else 0.0,
        anchored=1.0 if any(w in squash(q.text) for w in V.anchors) else 0.0,
        terms=min(len(terms), 6) / 6)
    return f, best_have


_ASKED_AFTER = r"(?:\s*(?:は|を教|を知|って|が知|も教|[？?]|$)|(?:を|が)(?:教え|知り|知っ))"


def missing_contact(q: Question, got: Retrieved, tuning: AnswerTuning) -> str:
    """What the question asks of a URL, a phone number, an e-mail or a postal address (answer.json
    contact_types) when no top record states one — a value a record states or does not, which records
    that only speak of the subject do not answer (「…のURLは？」「…の電話番号を教えて」); "" otherwise."""
    # the value itself asked for (「URLは？」「電話番号を教えて」), not a practice it names (「URLを載せたチラシの工夫は？」)
    contact = [t for t in V.contact_types if any(re.search(re.escape(c) + _ASKED_AFTER, q.cues)
                                                 for c in V.answer_types[t][0])]
    if not contact:
        return ""
    for h in got.hits[:tuning.coverage_depth] + got.lexical:
        if holds_answer_type(f"{h.record.text}\n{' '.join(map(str, h.record.fields.values()))}", contact):
            return ""
    return "・".join(V.contact_types[t] for t in contact)


def rule_refusal(searcher: AssistantSearcher, q: Question, got: Retrieved, tuning: AnswerTuning) -> Evidence | None:
    """The refusal a rule decides, before any model: a municipality the corpus lacks, a question that
    talks to the assistant, no record at all, a URL / phone number no top record states; None when no
    rule applies (what the refusal model judges, and what eval.fit_refusal fits it on)."""
    a = q.analysis
    places = unknown_places(q.text, searcher.corpus.cities, searcher.tokenizer, searcher.corpus.text)
    if places and not a.cities:
        return Evidence(True, f"資料が扱っていない自治体です: {'、'.join(places)}")
    if not (a.cities or a.steps or a.setup or a.documents) and talks_to_assistant(q.shown, searcher.corpus.text):
        return Evidence(True, V.notes["assistant"])
    if not got.hits:
        return Evidence(True, "一致する記録がありません", 0.0, key_terms(searcher, q))
    contact = missing_contact(q, got, tuning)
    if contact:
        return Evidence(True, f"資料には{contact}の記載が見当たりません", 0.0, key_terms(searcher, q))
    return None


def judge_evidence(searcher: AssistantSearcher, q: Question, got: Retrieved, tuning: AnswerTuning,
                   model: RefusalModel | None = None) -> Evidence:
    """No evidence when the question names a municipality the corpus lacks, or when the fitted
    refusal model (kb/answer/refusal_model.json) judges the evidence features too weak. Without a
    fitted model: unless the question names a step, a city or the setup, no top record holds enough
    of its key terms (more than ``min_coverage``, or ``min_anchored_coverage`` for questions about the
    PF / 孤独・孤立 world), judged on the hybrid hits and on BM25's own best matches."""
    a = q.analysis
    ruled = rule_refusal(searcher, q, got, tuning)
    if ruled is not None:
        return ruled
    terms = key_terms(searcher, q)
    f, best_have = evidence_features(searcher, q, got, terms, tuning)
    missing = "、".join(sorted(terms - best_have)[:5])
    reason = f"質問の主な語（{missing}）をあわせて扱う記録が見当たりません" if missing else "質問に答える記録が見当たりません"
    if model is not None:
        p = model.probability(f)
        return Evidence(p >= model.threshold, reason if p >= model.threshold else "", f.coverage, terms, f, p)
    if not terms or a.steps or a.cities or a.setup:
        return Evidence(False, "", f.coverage, terms, f)
    weak = f.coverage < tuning.min_anchored_coverage if f.anchored else f.coverage <= tuning.min_coverage
    return Evidence(weak, reason if weak else "", f.coverage, terms, f)


# --- choose the answer's form -------------------------------------------------------------------


# the kinds of record a form composes from: when the evidence that answers best is of none of them (a
# page of a national plan asked about 「立ち上げる自治体への国の支援」), the form would hide it
# (a partner question asks for the partners' own voices: it never gives way)
FORM_KINDS = {"setup": frozenset({"lesson", "summary"}), "step": frozenset({"lesson", "summary"}),
              "trial": frozenset({"trial"})}


def yields_to_other_kinds(got: Retrieved, corpus: Corpus, kinds: frozenset[str], margin: float) -> bool:
    """The question's best sentence is in a record of none of these kinds, and clearly better (by
    ``margin`` of its score) than the best sentence of any record of them."""
    if not got.passage_order:
        return False
    leader = corpus.by_id[got.passage_order[0]]
    if leader.kind in kinds:
        return False
    best = got.passages[leader.id][0][1]
    own = next((got.passages[rid][0][1] for rid in got.passage_order if corpus.by_id[rid].kind in kinds), 0.0)
    return own < best * (1.0 - margin)


def defining_sentence(term: str, corpus: Corpus, question: str = "") -> bool:
    """Whether a document defines the term: not when a record is titled by it or the question names a
    record by its whole title (a trial titled
    「お悩みハンドブック」 is itself the answer to 「お悩みハンドブックとは」); a strong definition
    (「Xとは」「…をXという」) anywhere, or a weak one (「いわゆる「X」」) when no record names it."""
    if any(squash(r.title) == squash(term) or (len(r.title) >= 4 and squash(r.title) in squash(question))
           for r in corpus.records):
        return False  # a record is the thing itself (a trial titled 「お悩みハンドブック」): its own form answers
    found = definitions(term, corpus.records)
    if any(d.strength >= 2 for d in found):
        return True
    return bool(found) and not any(term in r.title for r in corpus.records)


def choose_form(q: Question, got: Retrieved | None = None, corpus: Corpus | None = None, margin: float = 0.15) -> str:
    names = trial_names(corpus) if corpus is not None else frozenset()
    form = _form(q, names=names)
    if form == "definition" and corpus is not None and not defining_sentence(defined_term(q.cues) or "", corpus, q.cues):
        form = _form(q, skip=("definition",), names=names)  # no document defines it: answer as the question reads otherwise
    if form in ("general", "fact", "trial", "partner") and is_short(q.text):
        return "overview"  # 「予算」: what the documents say about it, not one record
    if got is not None and corpus is not None and form in FORM_KINDS and not (q.analysis.steps and form == "step"):
        if yields_to_other_kinds(got, corpus, FORM_KINDS[form], margin):
            return "general"  # the best evidence is of another kind: answer from it
    return form


def trial_subjects(corpus: Corpus) -> frozenset[str]:
    """What a follow-up may point back at: the trials' whole titles and their distinctive words."""
    return corpus_memo(corpus, "trial_subjects", lambda: trial_names(corpus) | frozenset(
        r.title for r in corpus.records if r.kind == "trial" and len(r.title) >= 2))


def trial_names(corpus: Corpus) -> frozenset[str]:
    """The corpus's trial names (kb/search/query.py ``trial_names``), minus the assistant's generic
    words; computed once per corpus."""
    return corpus_memo(corpus, "trial_names",
                       lambda: frozenset(search_trial_names(corpus.records) - set(V.generic_terms)))


def _form(q: Question, skip: Sequence[str] = (), names: frozenset[str] = frozenset()) -> str:
    text, a = q.cues, q.analysis
    cues = V.form_cues
    if asks_computation(text):
        return "compute"
    if any(w in text for w in cues["compare"]):
        return "compare"
    if defined_term(text) and "definition" not in skip:
        return "definition"
    if asks_why(text):
        return "why"
    if count_asked(text) and not any(w in text for words in V.profile_wants.values() for w in words):
        return "count"  # (「人口は何人」 is a profile field: a fact)
    if a.setup:
        return "setup"
    if any(w in text for w in cues["fact"]):
        return "fact"
    if any(w in text for w in cues["partner"]) or "column" in a.kinds:
        return "partner"
    if any(w in q.text for w in cues["trial"]) or any(w in q.text for w in names):
        return "trial"  # (its cues name the subject, 研修・フォーラム: read where the subject is, the earlier turn too)
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
    lead: list[KeySentence] = field(default_factory=list)  # key points a composer computed (「…のうち最大: …」)

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


def profile_lead(c: Context) -> None:
    """The field of a named city's profile the question asks for (「福岡市の担当課はどこ？」: 担当部局),
    first and as the first key point, before the step's practices (how the department was chosen)."""
    q, a = c.question.cues, c.question.analysis
    wants = {k for k, words in V.profile_wants.items() if any(w in q for w in words)}
    if not wants or not a.cities or any(w in q for w in V.cost_words):
        return
    for city in a.cities[:2]:
        prof = c.corpus.profile(city)
        if prof is None:
            continue
        start = len(c.blocks.items)
        C.build_profile(c.blocks, prof, wants)
        lines = [blk for blk in c.blocks.items[start:] if isinstance(blk, Statement)]
        if lines:
            c.lead.append(KeySentence(city_label(prof) + lines[0].text, lines[0].citations))


def compose_step(c: Context) -> None:
    a = c.question.analysis
    profile_lead(c)
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
    m = V.compare_pattern.search(c.question.cues)
    done = bool(m) and C.build_compare_terms(c.blocks, c.top, _term(m.group(1)), _term(m.group(2)))
    if not done:
        C.build_hits(c.blocks, c.top, 5, heading="関連する記載")


def compose_fact(c: Context) -> None:
    b, q, a, corpus = c.blocks, c.question.cues, c.question.analysis, c.corpus
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
    trials = [r for r in c.top[:3] if r.kind == "trial"]
    # the cost or the vendor of the trial the question is about is its answer: said first, where the
    # key points take it from (the lines with figures follow)
    if trials and asks_cost_or_vendor(q):
        b.statement(C.trial_line(trials[0]), [trials[0]])
    if lines:
        b.heading("資料の記載", 2)
        for line, r in lines:
            b.statement(f"{_who(r)}: {line}", [r])


def compose_compute(c: Context) -> None:
    """Superlatives, orders, totals and counts over the trials' fields, the computation shown and
    every operand cited; a question the fields cannot answer is answered as a fact question."""
    a = c.question.analysis
    comp = compute_figures(c.question.cues, c.corpus.records, a.cities, C.yen)
    if comp is None:
        compose_fact(c)
        return
    c.lead.append(KeySentence(comp.sentence, comp.citations))
    c.blocks.heading(comp.sentence.split(":")[0], 2)
    cols = list(V.compute_columns)
    rows = [[r.title, r.city or "", C.yen(r), r.fields.get("vendor") or "—"] for r in comp.operands]
    c.blocks.table(cols, rows, comp.operands)
    for r in comp.result[:1] if comp.op in ("max", "min") else ():
        C.build_trial(c.blocks, r)


def compose_trial(c: Context) -> None:
    trials = [r for r in c.top[:8] if r.kind == "trial"]
    if not trials:
        C.build_hits(c.blocks, c.top, 5)
        return
    for r in trials[:1 if _strong(trials[0], c.question.text) else 3]:
        C.build_trial(c.blocks, r)


def compose_partner(c: Context) -> None:
    """The partner organisations' own voices: every column of the corpus, best ranked first."""
    cols = sorted((r for r in c.corpus.records if r.kind == "column"), key=lambda r: c.rank.get(r.id, len(c.rank)))
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
    """The most relevant records, each by the sentence of it that best matches the question (a page of a
    plan or a long passage is quoted where it answers, not by its first line)."""
    c.blocks.heading("関連する記載", 2)
    for r in c.top[:5]:
        best = best_sentence(r, c.retrieved)
        c.blocks.statement(f"{_who(r)}: {best}" if best else C.describe(r), [r])


def best_sentence(r: Record, got: Retrieved) -> str:
    """The record's best passage for the question, when it is a sentence of its text (not its headline)."""
    rows = got.passages.get(r.id) or ()
    if r.kind in ("lesson", "summary", "profile") or not rows:
        return ""
    text = " ".join(rows[0][0].split())
    return "" if text == r.title or len(text) < 8 else C.cut(text, 160)


def compose_overview(c: Context) -> None:
    """A very short question: what the documents say about it, across cities and kinds of record."""
    c.question = replace(c.question, notes=c.question.notes + (V.notes["short"].format(question=c.question.text),))
    seen: dict[tuple, int] = {}
    picked = []
    for r in c.top:
        key = (r.city, r.kind)
        if seen.get(key, 0) >= 1:
            continue
        seen[key] = 1
        picked.append(r)
        if len(picked) >= 8:
            break
    C.build_hits(c.blocks, picked, 8, heading=f"「{c.question.text}」についての記載")


def _evidence_pool(c: Context, passages: int) -> list[Record]:
    """The composer's evidence, then the records holding the question's best sentences (of the named
    cities, or of no city), each once."""
    by_id, cities = c.corpus.by_id, c.question.analysis.cities
    out = list(c.top)
    have = {r.id for r in out}
    for rid in c.retrieved.passage_order[:passages]:
        r = by_id[rid]
        if rid not in have and (not cities or r.city in cities or r.city is None):
            out.append(r)
            have.add(rid)
    return out


def compose_definition(c: Context) -> None:
    """「…とは」: the sentence that defines the term (「Xとは、…」「…をXという」), from the document that
    defines it, found in any record of the corpus; then the most relevant records."""
    term = defined_term(c.question.cues) or ""
    rest = [r for r in c.corpus.records if r.id not in {x.id for x in c.top}]
    found = definitions(term, _evidence_pool(c, 20) + rest)
    if not found:
        compose_general(c)
        return
    c.blocks.heading(f"「{term}」の定義", 2)
    used: set[str] = set()
    for d in found:
        if d.record.id in used or len(used) >= 2:
            continue
        used.add(d.record.id)
        c.blocks.statement(f"{_who(d.record)}: {d.sentence}", [d.record])
        if not c.lead:
            c.lead.append(KeySentence(city_label(d.record) + d.sentence, (d.record.id,)))
    C.build_hits(c.blocks, [r for r in c.top if r.id not in used], 3, heading="関連する記載")


def compose_why(c: Context) -> None:
    """「なぜ」: the breakthroughs of the records in question (what made things move), then the reasons
    the evidence gives (its sentences that say why: 「…ため」「…ことから」), each cited."""
    cities = c.question.analysis.cities
    breakthroughs = [r for r in c.top[:10] if r.kind == "breakthrough"]
    if not breakthroughs and cities:
        breakthroughs = C.ordered([r for r in c.corpus.records if r.kind == "breakthrough" and r.city in cities], c.rank)
    if breakthroughs:
        c.blocks.heading("ブレイクスルー要因", 2)
        for r in breakthroughs[:2]:
            c.blocks.statement(C.describe(r), [r])
    idf = corpus_idf(c.searcher)
    terms = c.evidence.terms
    reasons = []
    for i, r in enumerate(_evidence_pool(c, 5)[:10]):
        if r in breakthroughs[:2]:
            continue
        for sent in record_sentences(r):
            if gives_reason(sent):
                share = lexical_share(c.searcher.text_tokens(sent), terms, idf) if terms else 0.0
                reasons.append((share - i * 0.03, sent, r))
    reasons.sort(key=lambda x: -x[0])
    used: set[str] = set()
    picked = []
    for score, sent, r in reasons:
        if r.id in used or score <= 0:
            continue
        used.add(r.id)
        picked.append((sent, r))
        if len(picked) >= 3:
            break
    if picked:
        c.blocks.heading("記録が挙げる理由", 2)
        for sent, r in picked:
            c.blocks.statement(f"{_who(r)}: {sent}", [r])
    if not c.blocks.statements:
        compose_general(c)


def compose_count(c: Context) -> None:
    """「何団体」「何人」「何か所」: the figures the records write with that counter word, the best
    matching first (its sentence cited); a question no such figure answers is answered as a fact."""
    counters = count_asked(c.question.cues)
    pool = _evidence_pool(c, 5)[:10]
    found = figures(pool, counters)
    if not found:
        compose_fact(c)
        return
    idf = corpus_idf(c.searcher)
    terms = c.evidence.terms
    order = {r.id: i for i, r in enumerate(pool)}
    scored = sorted(found, key=lambda f: -((lexical_share(c.searcher.text_tokens(f.sentence), terms, idf) if terms else 0.0)
                                          - order[f.record.id] * 0.05))
    # within the record that answers best, a figure written as a count's value (「参加者数:18名」) says what
    # happened; one in running text may be a plan or a capacity (「対面20名規模」)
    stated = next((f for f in scored if f.record.id == scored[0].record.id and f.labelled), None)
    if stated is not None:
        scored.remove(stated)
        scored.insert(0, stated)
    c.blocks.heading("資料に書かれた数", 2)
    seen: set[str] = set()
    for f in scored:
        if f.sentence in seen or len(seen) >= 3:
            continue
        seen.add(f.sentence)
        c.blocks.statement(f"{f.value}（{_who(f.record)}）: {f.sentence}", [f.record])
        if not c.lead:
            c.lead.append(KeySentence(f"{f.value} — {city_label(f.record)}{f.sentence}", (f.record.id,)))


COMPOSERS: dict[str, Callable[[Context], None]] = {
    "definition": compose_definition, "why": compose_why, "count": compose_count,
    "compute": compose_compute, "setup": compose_setup, "step": compose_step, "compare": compose_compare, "fact": compose_fact,
    "trial": compose_trial, "partner": compose_partner, "city": compose_city, "general": compose_general,
    "overview": compose_overview,
}


def evidence_records(got: Retrieved, by_id: Mapping[str, Record], tuning: AnswerTuning) -> list[Record]:
    """The records an answer is composed from: the fused search's top, joined (reciprocal rank fusion,
    ``passage_fusion_k``) by the records that hold the question's best sentences."""
    if not tuning.passage_fusion_k:
        return [h.record for h in got.hits]
    k, depth = tuning.passage_fusion_k, len(got.hits)
    score: dict[str, float] = {}
    for i, h in enumerate(got.ranked[:depth]):
        score[h.record.id] = 1.0 / (k + i + 1)
    for i, rid in enumerate(got.passage_order[:depth]):
        score[rid] = score.get(rid, 0.0) + tuning.passage_fusion_weight / (k + i + 1)
    return [by_id[rid] for rid in sorted(score, key=lambda rid: -score[rid])[:depth]]


def compose(searcher: AssistantSearcher, q: Question, got: Retrieved, ev: Evidence, form: str,
            tuning: AnswerTuning | None = None) -> Context:
    a = q.analysis
    top = evidence_records(got, searcher.corpus.by_id, tuning or AnswerTuning())
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
    return unify_spellings(text)


def _strong(r: Record, q: str) -> bool:
    t = squash(r.title)
    return len(t) >= 4 and (t[:6] in squash(q) or squash(q)[:6] in t)


def _who(r: Record) -> str:
    if r.kind == "trial":
        return f"{r.city}「{r.title}」"
    if r.kind == "lesson":
        return f"{r.city} {C.step_heading(r.step)}"
    if r.city is None and r.source.printed_page:  # a page of a plan: where it is, not its heading path
        head = r.title.split(" / ")[0]
        return f"{head if len(head) <= 30 else '資料'}（{r.source.locator()}）"
    if r.kind == "column":
        return f"{r.city} {r.fields.get('organization') or ''}".strip()
    return f"{r.city or '全体'} {r.title if len(r.title) <= 40 else ''}".strip()


# --- key points -----------------------------------------------------------------------------


def key_points(searcher: AssistantSearcher, q: Question, got: Retrieved, c: Context, form: str,
               tuning: AnswerTuning) -> tuple[KeySentence, ...]:
    """2–5 sentences that answer the question (kb/answer/keypoints.py), from the records the composer
    chose (in its order), then the best evidence it left out. A roadmap's key points are the
    cross-city lessons, one phase each."""
    cands, lead, tuning, lead_open = key_candidates(searcher, q, got, c, form, tuning)
    types = answer_types(q.cues)
    label = voice_label if {"organisation", "person"} & set(types) else city_label  # 「どこが運営してるの？」
    picked = pick_key_sentences(cands, tuning, lead=lead, label=label, lead_records_open=lead_open)
    picked = with_asked_value(picked, cands, types, tuning)
    picked = with_clauses_completed(picked, searcher.corpus.by_id, tuning)
    if form == "setup":  # the roadmap's key points in the order of its phases
        phase = {k.record.id: k.record.phase for k in cands}
        picked = tuple(sorted(picked, key=lambda k: PHASE_ORDER.get(phase.get(k.citations[0]), 9)))
    return picked


_CLAUSE_END = re.compile(r"[、，,]$")
_SENTENCE_END = re.compile(r"[。！？!?]")


def with_clauses_completed(picked: tuple[KeySentence, ...], by_id: Mapping[str, Record],
                           tuning: AnswerTuning) -> tuple[KeySentence, ...]:
    """A key point that is one clause of a long sentence (it ends with 、) goes on to the sentence's end
    where the summary's budget has room for it, else says that it goes on (…): a list of who the plan
    names (「当事者として、例えば、生活困窮状態の人、…」) is not cut silently where the pick's clause ends
    (letting the last key point give way to the first's end was tried: tuning key points fell)."""
    room = tuning.key_chars - sum(len(k.text) for k in picked)
    out: list[KeySentence] = []
    for k in picked:
        r = by_id.get(k.citations[0]) if len(k.citations) == 1 else None
        if r is None or not _CLAUSE_END.search(k.text):
            out.append(k)
            continue
        body = k.text.split(": ", 1)[1] if ": " in k.text[:60] else k.text
        at = r.text.find(body)
        if at < 0:
            out.append(k)
            continue
        start = at + len(body)
        end = _SENTENCE_END.search(r.text, start)
        rest = r.text[start:end.end() if end else len(r.text)].split("\n")[0]
        if rest and len(rest) <= room:
            out.append(KeySentence(k.text + rest, k.citations, k.score))
            room -= len(rest)
        else:
            out.append(KeySentence(k.text.rstrip("、，,") + "…", k.citations, k.score))
    return tuple(out)


def with_asked_value(picked: tuple[KeySentence, ...], cands: Sequence[Candidate], types: Sequence[str],
                     tuning: AnswerTuning, records: int = 2) -> tuple[KeySentence, ...]:
    """The key points give the field the question asks for: when a record the first ``records`` key
    points quote has a labelled line whose label names the asked kind of value (「実施時期: 2/14:開催」 for
    「いつ？」) and no key point states it, the best-scored such line takes the place after the first key
    point of its record (the last key point gives way when the points are full). A date elsewhere in a
    picked sentence (「令和4年度の立ち上げ後初の…」) is not the one asked for."""
    if not types or not picked:
        return picked
    top = [rid for k in picked for rid in k.citations][:records]
    fields = [c for c in cands if c.record.id in top and asks_field(c.text, types)]
    if not fields or any(f.text in k.text for f in fields for k in picked):
        return picked
    best = fields[0]
    at = next(i + 1 for i, k in enumerate(picked) if best.record.id in k.citations)
    out = list(picked)
    out.insert(at, KeySentence(city_label(best.record) + best.text, (best.record.id,), round(best.score, 4)))
    while len(out) > tuning.key_max or (sum(len(k.text) for k in out) > tuning.key_chars and len(out) > tuning.key_min):
        out.pop(-1 if at < len(out) - 1 else -2)
    return tuple(out)


_FIELD = re.compile(r"^([^:：。、]{1,24}?)\s*[:：]")
_ASIDE = re.compile(r"[(（][^()（）]*[)）]")


def asks_field(sentence: str, types: Sequence[str]) -> bool:
    """A labelled line whose label names the kind of value asked for: the label, its aside in brackets
    left out, ends with one of that type's cue words (answer.json answer_types) — 「実施時期: 2/14:開催」
    for 「いつ？」, 「講師(…)：…理事長」 for 「講師はどなた」, 「場所：…10階」 for 「会場はどこ」; 「会場費用:…」
    is a cost, its head being 費用."""
    m = _FIELD.match(sentence)
    if not m:
        return False
    label = _ASIDE.sub("", m.group(1)).strip()
    return bool(label) and any(label.endswith(cue) for t in types for cue in V.answer_types[t][0])


def key_candidates(searcher: AssistantSearcher, q: Question, got: Retrieved, c: Context, form: str,
                   tuning: AnswerTuning) -> tuple[list[Candidate], list[KeySentence], AnswerTuning, bool]:
    """The scored sentences that compete for the key points, the composer's own lead (a computed
    figure, the asked field), the tuning the pick applies and whether the lead's records stay open
    to the pick (what eval.fit_keypoints fits on)."""
    idf = corpus_idf(searcher)
    cited = list(c.blocks.cited.values())
    model = load_sentence_model() if tuning.key_model else None
    if model is not None:
        tuning = replace(tuning, key_min_share=tuning.key_model_min_share)
    if form == "setup":
        pool = [r for r in cited if r.kind == "summary"]
        tuning = replace(tuning, key_repeat_phase=tuning.key_setup_repeat_phase, key_repeat_city=1.0)
    else:
        pool = cited[:tuning.key_records]
        pool += [r for r in c.top if r.id not in c.blocks.cited][:max(0, tuning.key_records - len(pool)) // 2 + 2]
        # the records that hold the question's best sentences, wherever they rank as a whole
        have = {r.id for r in pool}
        by_id = searcher.corpus.by_id
        pool += [by_id[rid] for rid in got.passage_order[:tuning.key_passage_records] if rid not in have
                 and (not q.analysis.cities or by_id[rid].city in q.analysis.cities or by_id[rid].city is None)]
    order = {r.id: i for i, r in enumerate(pool)}
    cos = {h.record.id: h.score for h in got.dense}
    lo, hi = (min(cos.values()), max(cos.values())) if cos else (0.0, 0.0)
    dense = {rid: (v - lo) / (hi - lo) if hi > lo else 1.0 for rid, v in cos.items()}
    lead = list(c.lead)
    types = answer_types(q.cues)
    typed = (lambda s: holds_answer_type(s, types)) if types else None
    # a detail the composer's first quotes need not hold (a date, a time, a person, a place, a count, a
    # share; a trial's quotes hold its vendor and cost), or one side of a trial: the lead is one line and
    # its records stay open to the pick
    open_lead = (bool(set(types) - LEAD_HOLDS) and not asks_cost_or_vendor(q.cues)) or (
        form == "trial" and asks_an_aspect(searcher, q, c))
    # a figure, a trial's fields, a profile: the composer's first quotes say it — a city's profile only when
    # the question asks for it (「市原市の担当課は？」), not whenever it names the city
    if form in LEAD_FORMS and not lead and (form != "city" or "profile" in q.analysis.kinds):
        # a trial question about one side of it: the trial's first quote, then what competes
        n_lead = 1 if open_lead else tuning.key_min
        for blk in c.blocks.items:
            if isinstance(blk, Statement) and blk.citations and len(lead) < n_lead:
                if form != "trial" and any(blk.citations[0] in k.citations for k in lead):
                    continue  # one quote of a record (a trial's content and its cost are two)
                r = c.blocks.cited[blk.citations[0]]
                label = "" if blk.text.startswith(r.city or "\0") else city_label(r)
                lead.append(KeySentence(label + blk.text, blk.citations))
    cands = score_sentences(pool, c.evidence.terms, searcher.text_tokens, idf, dense, order, tuning,
                            {r.id: got.passages.get(r.id, ()) for r in pool} if tuning.key_passage else None,
                            bonus=_reason_bonus(tuning) if form == "why" else None, model=model,
                            typed=typed)
    return cands, lead, tuning, open_lead


def asks_an_aspect(searcher: AssistantSearcher, q: Question, c: Context) -> bool:
    """A trial question that asks about one side of the trial (「…の参加者アンケートの結果は？」「講師は？」),
    not the trial as a whole nor its cost or vendor: its key terms go beyond the trial's title, so the
    sentences that say that side compete for the key points instead of the trial's 事業内容 leading."""
    if asks_cost_or_vendor(q.cues):
        return False
    trials = [r for r in c.blocks.cited.values() if r.kind == "trial"]
    if not trials:
        return False
    named = set().union(*(searcher.text_tokens(r.title) for r in trials))
    return bool(searcher.text_tokens(q.cues) & c.evidence.terms - named)


def asks_cost_or_vendor(question: str) -> bool:
    """The question asks what something cost or who carried it out (費用, いくら, 発注, 委託…)."""
    return any(w in question for w in V.money_words + V.vendor_words)


def _reason_bonus(tuning: AnswerTuning) -> Callable[[str, Record], float]:
    def bonus(sentence: str, r: Record) -> float:
        return 1.0 + tuning.key_reason_bonus if r.kind == "breakthrough" or gives_reason(sentence) else 1.0
    return bonus


# --- render -------------------------------------------------------------------------------------


def render(q: Question, form: str, c: Context, summary: tuple[KeySentence, ...] = ()) -> Answer:
    b = c.blocks
    cited: dict[str, Record] = {}
    by_id = {**{h.record.id: h.record for h in c.retrieved.ranked}, **b.cited}
    for k in summary:
        for rid in k.citations:
            # a key sentence may come from any record the passage index ranks, not only the searched ones
            cited.setdefault(rid, by_id[rid] if rid in by_id else c.corpus.by_id[rid])
    cited.update((rid, r) for rid, r in b.cited.items() if rid not in cited)
    return Answer(question=q.shown, question_type=form,
                  answer=render_markdown(b.items, cited, lead=summary, notes=q.notes), notes=q.notes,
                  blocks=tuple(b.items), citations=tuple(cited.values()), no_evidence=False,
                  related=tuple(h for h in c.retrieved.hits[:5] if h.record.id not in cited),
                  conflicts=tuple(c.conflicts), summary=summary)


def render_no_evidence(q: Question, ev: Evidence, got: Retrieved, cities: Sequence[str] = ()) -> Answer:
    """The plain refusal, what the knowledge base does cover, and the nearest records as related
    (never as an answer)."""
    b = Blocks()
    reason = ev.reason.rstrip("。")
    b.note(NO_EVIDENCE_TEXT + "。" + (reason + "。" if reason else ""))
    if cities:
        b.note(V.notes["coverage"].format(cities="、".join(sorted(cities))))
    if got.hits:
        b.note("近い記録を「関連する記録」として示します（回答ではありません）。")
    refusal = KeySentence(NO_EVIDENCE_TEXT + "。" + (reason + "。" if reason else ""), ())
    return Answer(question=q.shown, question_type="out_of_scope", notes=q.notes,
                  answer=render_markdown(b.items, b.cited, notes=q.notes),
                  blocks=tuple(b.items), citations=(), no_evidence=True, related=tuple(got.hits[:5]),
                  summary=(refusal,))


# --- the whole ask ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Composed:
    """A question the evidence answers, composed: what the key points are then picked from."""
    question: Question
    retrieved: Retrieved
    form: str
    context: Context


def holds_own_words(searcher: AssistantSearcher, own: frozenset[str], got: Retrieved, tuning: AnswerTuning) -> bool:
    """The top records hold ``followup_own_share`` of the question's own key terms (all, when it has none)."""
    if not own:
        return True
    held = frozenset().union(*(searcher.record_tokens(h.record) for h in got.hits[:tuning.coverage_depth]))
    return len(own & held) / len(own) >= tuning.followup_own_share


def prepare(searcher: AssistantSearcher, question: str, tuning: AnswerTuning, max_chars: int = 500,
            model: RefusalModel | None = None, turns: Sequence[Turn] = ()) -> Answer | Composed:
    """Analyse, retrieve, judge the evidence, choose the form and compose: a refusal's Answer, or the
    composed answer whose key points are still to pick."""
    q = analyse(searcher, question, max_chars, turns, tuning)
    got = retrieve(searcher, q, tuning)
    if is_english(q.shown):  # asked in English: a request to ask in Japanese, the nearest records as related
        return render_no_evidence(q, Evidence(True, V.notes["english"]), got)
    ev = judge_evidence(searcher, q, got, tuning, model)
    if ev.no_evidence and turns and q.text == q.shown and ev.features is not None and not ev.features.unseen_terms:
        # what the documents do not answer alone may be a follow-up in words of its own (「研修自体はいつ
        # やったの？」): read with the earlier turn, it is answered when that reading has the evidence
        # — when the corpus has every word of it and its own words are the evidence's words (「空き家の改修に
        # 使える補助金は？」 after a question on a trial is a question of its own the documents do not answer)
        q2 = analyse(searcher, question, max_chars, turns, tuning, force=True)
        if q2.text != q.text:
            got2 = retrieve(searcher, q2, tuning)
            ev2 = judge_evidence(searcher, q2, got2, tuning, model)
            if not ev2.no_evidence and holds_own_words(searcher, ev.terms, got2, tuning):
                q, got, ev = q2, got2, ev2
    if ev.no_evidence:
        return render_no_evidence(q, ev, got, tuple(searcher.corpus.cities))
    form = choose_form(q, got, searcher.corpus, tuning.form_yield_margin)
    c = compose(searcher, q, got, ev, form, tuning)
    if not c.blocks.statements:
        return render_no_evidence(q, Evidence(True, "回答に使える記録が見つかりません"), got)
    return Composed(c.question, got, form, c)


def answer_question(searcher: AssistantSearcher, question: str, *, tuning: AnswerTuning | None = None,
                    max_chars: int = 500, model: RefusalModel | None | bool = True,
                    history: Sequence[Turn] | Sequence[Mapping[str, Any]] = ()) -> Answer:
    """The named steps over any searcher (a loaded index, or records held in memory). ``model``: the
    refusal model (True: the fitted one beside the code, if any; None or False: the coverage rule)."""
    tuning = tuning or AnswerTuning()
    model = load_model() if model is True else (model or None)
    turns = tuple(t if isinstance(t, Turn) else None for t in history)
    turns = turns if all(turns) else read_history(list(history))
    got = prepare(searcher, question, tuning, max_chars, model, turns)
    if isinstance(got, Answer):
        return got
    return render(got.question, got.form, got.context,
                  key_points(searcher, got.question, got.retrieved, got.context, got.form, tuning))


def ask(settings: Settings, question: str, *, use_llm: bool | None = None,
        searcher: AssistantSearcher | None = None, history: Sequence[Mapping[str, Any]] | None = None) -> Answer:
    from kb.search.searcher import get_searcher
    s = searcher or get_searcher(settings)
    tuning = settings.answer_tuning
    answer = answer_question(s, question, tuning=tuning, max_chars=settings.max_question_chars,
                             history=read_history(history))
    if not answer.no_evidence and settings.llm_enabled and use_llm is not False:
        answer = _with_llm(settings, answer)
    return answer


def selected_sentences(answer: Answer) -> list[list[str]]:
    """Per cited record (in ``answer.citations`` order), the sentences the answer took from it: its key
    points, then the statements and table rows that quote it."""
    out: list[list[str]] = []
    for r in answer.citations:
        sents = [k.text for k in answer.summary if r.id in k.citations]
        for blk in answer.blocks:
            if isinstance(blk, Statement) and r.id in blk.citations:
                sents.append(blk.text)
            elif isinstance(blk, Table) and r.id in blk.citations:
                sents += [" | ".join(row) for row in blk.rows[:8]]
        out.append(list(dict.fromkeys(sents)))
    return out


def _with_llm(settings: Settings, answer: Answer) -> Answer:
    """Prose from the configured endpoint over the answer's selected sentences (its key points and
    quotes, each under its record's number), verified sentence by sentence against the whole records;
    [n] keeps pointing at ``answer.citations``. On failure the composed answer stands."""
    from kb.answer.llm import synthesize_or_error
    result = synthesize_or_error(settings, answer.question, list(answer.citations), renumber=False,
                                 sentences=selected_sentences(answer))
    if result.error:
        return replace(answer, verification=result.verification)
    return replace(answer, llm_answer=result.text, verification=result.verification)
