"""Key points first: the 2–5 sentences of the records that answer the question, each cited.

Sentences are taken verbatim from the evidence records (bullets, prose, table cells cut at sentence
ends) and scored for the question: lexical (the idf-weighted share of the question's key terms the
sentence holds, on BM25's own tokens), the sentence's own match in the passage index (its vector,
computed at build time, against the question's one embedding, and its passage BM25), the record's
dense similarity and the record's rank in the fused search, with the sentence's length, whether it
holds a figure and the kind of its record. They are combined by a logistic model fitted on the tuning
questions' key points (``python -m eval.fit_keypoints``, saved as ``sentence_model.json`` beside this
module; without it, by the hand-set weights of ``AnswerTuning``). The pick is diversified: one sentence
per record, cities and documents taken in turn, within a character budget."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np

from kb.core.logistic import linear, read_model, save_model
from kb.core.records import KINDS, Record
from kb.core.tuning import AnswerTuning
from kb.core.vocab.answer import answer_vocab

V = answer_vocab()

_SPLIT = re.compile(r"\n|\s\|\s|\t")  # line breaks, table cells
_END = "。！？!?"
_OPEN, _CLOSE = "（(「『【［", "）)」』】］"
_LEAD = re.compile(r"^[\s・■□●○◆◇▪\-－–—*📍>]+")
_HTML = re.compile(r"<[^>]+>")
# 「事業内容: 」 before a field's text (a table row's own label, 「調査対象：…」, stays: it says what the value is)
_LABEL = re.compile(r"^[^\s:：。、]{2,8}:\s*")
_HEADING = re.compile(r"^(\d+[.．]|[（(]\d+[)）]|第\d+章)")


@dataclass(frozen=True)
class KeySentence:
    text: str
    citations: tuple[str, ...]
    score: float = 0.0

    def to_dict(self) -> dict:
        return {"text": self.text, "citations": list(self.citations)}


_PLAIN_END = re.compile(r"(?<=[。！？!?])")


def split_sentences(text: str, brackets: bool = True) -> list[str]:
    """Lines and table cells cut at sentence ends, but not at a full stop inside brackets
    (「(以下「当事者等」という。)」 is one sentence, not two fragments); ``brackets=False`` cuts at
    every full stop (the pieces the refusal model's sentence coverage was fitted on)."""
    if not brackets:
        return [piece for line in _SPLIT.split(text) for piece in _PLAIN_END.split(line)]
    out: list[str] = []
    for line in _lines(text):
        depth, start = 0, 0
        for i, ch in enumerate(line):
            if ch in _OPEN:
                depth += 1
            elif ch in _CLOSE:
                depth = max(0, depth - 1)
            elif ch in _END and depth == 0:
                out.append(line[start:i + 1])
                start = i + 1
        out.append(line[start:])
    return out


_WORD_CHAR = re.compile(r"[一-龥々ぁ-ゖァ-ヴーA-Za-z]")
MIN_WORD_CHARS = 4
_CELL = re.compile(r"\s\|\s")
ROW_LABEL_CHARS = 24  # the longest first cell of a two-cell row that reads as the row's label


def _lines(text: str) -> list[str]:
    """Lines and table cells; a two-cell row whose first cell is a label (「講師 | …理事長 大西 連」,
    「調査対象 | 市内のNPO等619団体」) stays one piece, 「label：value」: the value alone does not say what
    it is, and the label alone says nothing."""
    out: list[str] = []
    for line in text.split("\n"):
        cells = _CELL.split(line)
        if len(cells) == 2 and cells[1].strip() and 0 < len(cells[0].strip()) <= ROW_LABEL_CHARS \
                and cells[0].strip()[-1] not in _END and "\t" not in line:
            out.append(f"{cells[0].strip()}：{cells[1].strip()}")
        else:
            out += _SPLIT.split(line)
    return out


def clauses(sentence: str, max_chars: int) -> list[str]:
    """A sentence longer than ``max_chars`` cut at its commas into runs of clauses within the limit
    (a long sentence of a plan still holds the clause that answers); a clause longer still is left out."""
    if len(sentence) <= max_chars:
        return [sentence]
    out, cur = [], ""
    for part in re.split(r"(?<=[、，,])", sentence):
        if cur and len(cur) + len(part) > max_chars:
            out.append(cur)
            cur = ""
        cur += part
    out.append(cur)
    return [c for c in out if len(c) <= max_chars]


def record_sentences(r: Record, min_chars: int = 8, max_chars: int = 160, brackets: bool = True,
                     long_clauses: bool = False) -> list[str]:
    """The sentences of a record as written: its headline, then each bullet or prose sentence, each
    table cell; markup and list marks dropped; pieces too short to say anything are left out (cut once
    per record text: every question reads the same records again)."""
    # a headline that is a path of headings (「I.重点計画について / 2. …」) says where, not what
    title = "" if " / " in r.title else r.title
    texts = (title, r.text, *(str(r.fields.get(k) or "") for k in ("content", "outcome", "kpi")))
    return list(_sentences(texts, min_chars, max_chars, brackets, long_clauses))


_URL = re.compile(r"(?:https?:)?//[\x21-\x7e]+|www\.[\x21-\x7e]+")


@lru_cache(maxsize=50_000)
def _sentences(texts: tuple[str, ...], min_chars: int, max_chars: int, brackets: bool,
               long_clauses: bool) -> tuple[str, ...]:
    out: list[str] = []
    seen: set[str] = set()
    for text in texts:
        pieces = split_sentences(_HTML.sub(" ", text or ""), brackets)
        if long_clauses:
            pieces = [c for p in pieces for c in clauses(p.strip(), max_chars)]
        for piece in pieces:
            s = _LEAD.sub("", piece).strip().strip("「」 ").strip()
            s = _LEAD.sub("", _LABEL.sub("", re.sub(r"\s{2,}", " ", s))).strip()
            if len(s) < min_chars or len(s) > max_chars or s in seen:
                continue
            if _HEADING.match(s) or s.count(" / ") >= 2 or any(w in s for w in V.pointer_words):
                continue  # a section heading, a table row run together, a pointer to elsewhere (「下記を参照」)
            if sum(1 for ch in s if _WORD_CHAR.match(ch)) < max(MIN_WORD_CHARS, len(s) * 0.25):
                continue  # a row of figures without words is not a sentence (「開催日時：令和7年2月14日…」 is)
            if sum(len(u) for u in _URL.findall(s)) > len(s) * 0.5:
                continue  # a list of web addresses says nothing to read
            seen.add(s)
            out.append(s)
    return tuple(out)


@dataclass(frozen=True)
class Candidate:
    text: str
    record: Record
    lexical: float
    dense: float
    rank: float
    score: float
    passage: float = 0.0
    features: tuple[float, ...] = ()  # SENTENCE_FEATURES, what the fitted model reads


# what the sentence model reads of a candidate: its match (lexical, passage, the record's dense
# similarity and rank), its form (length factor, outside the record's text, holds a figure, length)
# and the kind of its record
SENTENCE_FEATURES = ("lexical", "passage", "dense", "rank", "length", "outside", "digits", "lexical_passage",
                     "chars", "answer_type", "lexical_before", "typed_before") + tuple(f"kind_{k}" for k in KINDS)
SENTENCE_MODEL_PATH = Path(__file__).resolve().parent / "sentence_model.json"
SENTENCE_MODEL_VERSION = 2
_DIGIT = re.compile(r"[0-9０-９]")


def sentence_features(text: str, r: Record, lexical: float, passage: float, dense: float, rank: float,
                      outside: bool, typed: bool = False, before: float = 0.0) -> tuple[float, ...]:
    """``typed``: the question asks for a kind of value (a date, a person…) and the sentence holds one.
    ``before``: the lexical share of the sentence before it in the record (a table's value follows
    its label: 「講師」 then 「…理事長 大西 連」)."""
    length = min(1.0, len(text) / 25.0) * min(1.0, 100.0 / len(text))
    t = 1.0 if typed else 0.0
    return (lexical, passage, dense, rank, length, 1.0 if outside else 0.0, 1.0 if _DIGIT.search(text) else 0.0,
            lexical * passage, min(len(text), 200) / 200.0, t, before, t * before) + tuple(
        1.0 if r.kind == k else 0.0 for k in KINDS)


@dataclass(frozen=True)
class SentenceModel:
    """P(the sentence states one of the question's key points | its features), fitted by
    ``python -m eval.fit_keypoints``."""
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    fitted_on: tuple[str, ...] = ()
    version: int = SENTENCE_MODEL_VERSION

    def probability(self, x: Sequence[float]) -> float:
        return float(self.probabilities(np.asarray([x], dtype=np.float64))[0])

    def probabilities(self, X: np.ndarray) -> np.ndarray:
        """One probability per row of features (every sentence of a question in one matrix product)."""
        z = linear(np.asarray(X, dtype=np.float64), self.mean, self.scale, self.weights, self.bias)
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30.0, 30.0)))

    def save(self, path: Path = SENTENCE_MODEL_PATH) -> None:
        save_model(self, path)

    @classmethod
    def read(cls, path: Path = SENTENCE_MODEL_PATH) -> "SentenceModel | None":
        # None: a model of other features, refit (python -m eval.fit_keypoints)
        return read_model(cls, path, SENTENCE_MODEL_VERSION, SENTENCE_FEATURES)


@lru_cache(maxsize=4)
def load_sentence_model(path: Path = SENTENCE_MODEL_PATH) -> SentenceModel | None:
    return SentenceModel.read(path)


PassageScores = Mapping[str, Sequence[tuple[str, float]]]  # record id → (passage text, score), any order


def sentence_passage_score(sentence: str, passages: Sequence[tuple[str, float]]) -> float | None:
    """The score of the passage that holds the sentence (or that the sentence holds, the best such);
    None when the sentence is not in the record's text (its headline, a field)."""
    inside = [sc for text, sc in passages if sentence in text or sentence in _CELL.sub("：", text)]  # a row read as 「label：value」
    if inside:
        return max(inside)
    holds = [sc for text, sc in passages if len(text) >= 6 and text in sentence]
    return max(holds) if holds else None


def scaled_passages(passages: PassageScores) -> dict[str, list[tuple[str, float]]]:
    """Passage scores min–max scaled over every passage of the candidate records, so that the
    sentence part of a score says how this sentence compares with the others that compete."""
    values = [sc for rows in passages.values() for _, sc in rows]
    if not values:
        return {}
    lo, hi = min(values), max(values)
    span = hi - lo
    return {rid: [(t, (sc - lo) / span if span > 0 else 1.0) for t, sc in rows] for rid, rows in passages.items()}


def df_table(records: Sequence[Record], record_tokens: Callable[[Record], frozenset[str]]) -> dict[str, int]:
    """How many of the records hold each token."""
    df: dict[str, int] = {}
    for r in records:
        for t in record_tokens(r):
            df[t] = df.get(t, 0) + 1
    return df


def idf_table(records: Sequence[Record], record_tokens: Callable[[Record], frozenset[str]],
              df: Mapping[str, int] | None = None) -> dict[str, float]:
    """BM25's inverse document frequency of each token (``df``: the records' df_table, when known)."""
    df = df_table(records, record_tokens) if df is None else df
    n = max(1, len(records))
    return {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}


def lexical_share(tokens: frozenset[str], terms: Iterable[str], idf: Mapping[str, float]) -> float:
    terms = list(terms)
    total = sum(idf.get(t, 1.0) for t in terms)
    if not total:
        return 0.0
    return sum(idf.get(t, 1.0) for t in terms if t in tokens) / total


def score_sentences(records: Sequence[Record], terms: frozenset[str], tokens_of: Callable[[str], frozenset[str]],
                    idf: Mapping[str, float], dense: Mapping[str, float], rank: Mapping[str, int],
                    tuning: AnswerTuning, passages: PassageScores | None = None,
                    bonus: Callable[[str, Record], float] | None = None,
                    model: SentenceModel | None = None,
                    typed: Callable[[str], bool] | None = None) -> list[Candidate]:
    """Every sentence of the records with its score, best first. ``passages``: the passage index's
    scores of the records' sentences for this question (scaled here); a sentence outside the record's
    text (its headline, a field) takes the record's best passage score, discounted. ``bonus``: a factor
    the answer's form gives a sentence (a "why" answer favours the sentences that give reasons).
    ``model``: the fitted sentence model, whose probability is the score (else the hand-set weights).
    ``typed``: whether a sentence holds a value of the kind the question asks for (its dates, persons…)."""
    rows_out: list[tuple[str, Record, float, float, float, float, tuple[float, ...]]] = []
    scaled = scaled_passages(passages or {})
    for r in records:
        pos = rank.get(r.id, len(rank))
        rank_part = 1.0 / (1.0 + pos / 3.0)
        dense_part = dense.get(r.id, 0.0)
        rows = scaled.get(r.id, ())
        best_row = max((sc for _, sc in rows), default=0.0)
        before = 0.0
        for s in record_sentences(r, long_clauses=tuning.key_long_clauses):
            lex = lexical_share(tokens_of(s), terms, idf) if terms else 0.0
            own = sentence_passage_score(s, rows) if rows else None
            psg = own if own is not None else best_row * tuning.key_passage_outside
            rows_out.append((s, r, lex, psg, dense_part, rank_part,
                             sentence_features(s, r, lex, psg, dense_part, rank_part, own is None,
                                               bool(typed and typed(s)), before)))
            before = lex
    if model is not None and rows_out:  # one matrix product for every sentence
        scores = model.probabilities(np.array([x for *_, x in rows_out], dtype=np.float64)).tolist()
    else:  # a fragment says less than a sentence, a long one costs the reader (x[4])
        scores = [(tuning.key_lexical * lex + tuning.key_passage * psg + tuning.key_dense * d
                   + tuning.key_rank * rk) * x[4] for _, _, lex, psg, d, rk, x in rows_out]
    out = []
    for (s, r, lex, psg, d, rk, x), score in zip(rows_out, scores):
        score *= bonus(s, r) if bonus else 1.0
        out.append(Candidate(s, r, lex, d, rk, score, psg, x))
    out.sort(key=lambda c: -c.score)
    return out


def _is_headline(c: Candidate) -> bool:
    return bool(c.record.title) and (c.text == c.record.title or c.text in c.record.title)


def pick_key_sentences(cands: Sequence[Candidate], tuning: AnswerTuning, lead: Sequence[KeySentence] = (),
                       label: Callable[[Record], str] | None = None,
                       lead_records_open: bool = False) -> tuple[KeySentence, ...]:
    """Greedy pick within the budget: one sentence per record, a repeated city or document costs a
    share of the score, nothing far below the best, never a repeat of what is already said.
    ``lead_records_open``: the records the lead quotes may give one more sentence (the side of a
    trial a question asks about, after the trial's own line)."""
    picked: list[KeySentence] = list(lead)
    used_chars = sum(len(k.text) for k in picked)
    per_record: dict[str, int] = {}  # sentences said of each record
    for k in picked:
        for rid in k.citations:
            per_record[rid] = per_record.get(rid, 0) + (0 if lead_records_open else tuning.key_per_record)
    cities: dict[str, int] = {}
    docs: dict[str, int] = {}
    phases: dict[str, int] = {}
    headlined: set[str] = set()  # the records whose headline is among the picked
    pool = list(cands)
    best = pool[0].score if pool else 0.0
    while pool and len(picked) < tuning.key_max:
        def adjusted(c: Candidate) -> float:
            city, doc = c.record.city or "", c.record.source.document
            phase = c.record.phase or ""
            # a record of no city (a page of a national plan) is not diversified by city: only by document
            return (c.score * (tuning.key_repeat_city ** cities.get(city, 0) if city else 1.0)
                    * (tuning.key_repeat_record ** per_record.get(c.record.id, 0))
                    * (tuning.key_repeat_doc ** docs.get(doc, 0))
                    * (tuning.key_repeat_phase ** phases.get(phase, 0) if phase else 1.0))
        pool.sort(key=lambda c: -adjusted(c))
        c = pool.pop(0)
        if per_record.get(c.record.id, 0) >= tuning.key_per_record or any(c.text in k.text or k.text in c.text
                                                                            for k in picked):
            continue
        if per_record.get(c.record.id, 0) and (c.record.id in headlined or _is_headline(c)):
            continue  # a record's headline restates its body: one of the two says it
        if _is_headline(c):
            headlined.add(c.record.id)
        if adjusted(c) < best * tuning.key_min_share and len(picked) >= tuning.key_min:
            break
        text = label(c.record) + c.text if label else c.text
        if used_chars + len(text) > tuning.key_chars and len(picked) >= tuning.key_min:
            continue
        picked.append(KeySentence(text, (c.record.id,), round(c.score, 4)))
        used_chars += len(text)
        per_record[c.record.id] = per_record.get(c.record.id, 0) + 1
        cities[c.record.city or ""] = cities.get(c.record.city or "", 0) + 1
        docs[c.record.source.document] = docs.get(c.record.source.document, 0) + 1
        if c.record.phase:
            phases[c.record.phase] = phases.get(c.record.phase, 0) + 1
    return tuple(picked)


def city_label(r: Record) -> str:
    """「熊本市: 」 before a sentence of a city's record, so that a key point says whose practice it is."""
    return f"{r.city}: " if r.city else ""


def voice_label(r: Record) -> str:
    """A partner's voice (a column) labelled by whose voice it is (「福岡市・特定非営利活動法人孤立防止センター: 」),
    for a question that asks who (「どこが運営してるの？」); other records by their city."""
    org = r.fields.get("organization") if r.kind == "column" else None
    if org:
        return f"{r.city}・{org}: " if r.city else f"{org}: "
    return city_label(r)
