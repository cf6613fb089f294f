"""Conversation: a follow-up question (「それはいつ頃？」「熊本市の場合は？」「費用は？」) resolved against
the earlier turns — their cities, steps and topic — into a question that stands alone, with a note
that says what was taken from them. Pure functions over strings and query analyses."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from kb.core.errors import BadQueryError
from kb.core.normalize import map_chars
from kb.core.vocab.answer import answer_vocab
from kb.search.query import QueryAnalysis, short_city

V = answer_vocab()
MAX_TURNS = 10


@dataclass(frozen=True)
class Turn:
    question: str
    answer: str = ""


@dataclass(frozen=True)
class Resolved:
    text: str  # the question to answer, standing alone
    taken: tuple[str, ...] = ()  # what was taken from the earlier turns (cities, topic), for the note
    previous: str = ""  # the earlier question it builds on
    ask: str = ""  # the follow-up's own question, when it asks one (what the answer's form reads)

    @property
    def note(self) -> str:
        if not self.previous:
            return ""
        same = self.previous.rstrip("？?。！! ")
        taken = [t for t in self.taken if t.rstrip("？?。！! ") != same]  # the earlier question itself is said once
        if not taken:
            return V.followup_note_plain.format(previous=self.previous)
        return V.followup_note.format(previous=self.previous, taken="、".join(f"「{t}」" for t in taken))


def read_history(history: Any) -> tuple[Turn, ...]:
    """Earlier turns as given by the API or a --history file: [{"question", "answer"?}, …]."""
    if history is None:
        return ()
    if not isinstance(history, (list, tuple)):
        raise BadQueryError("history は [{\"question\": …, \"answer\": …}] の形の配列で指定してください "
                            "(history must be a list of {question, answer})")
    out = []
    for i, t in enumerate(history[-MAX_TURNS:]):
        q = t.get("question") if isinstance(t, Mapping) else None
        if not isinstance(q, str) or not q.strip():
            raise BadQueryError(f"history[{i}] に question がありません。各要素に \"question\" を入れてください "
                                f"(history[{i}] needs a question)")
        a = t.get("answer") or ""
        out.append(Turn(q.strip(), a if isinstance(a, str) else ""))
    return tuple(out)


def is_followup(question: str, a: QueryAnalysis, own_terms: int, rarest: int | None = None,
                common: float = math.inf, names_subject: bool = False) -> bool:
    """Refers back (それ, その, そこ…), or says too little to stand alone (「熊本市の場合は？」「費用は？」),
    or names no subject of its own: no city, no trial, no step, and only words the corpus uses often
    (``rarest``, the fewest records one of its key terms is in, above ``common``: 「回答はどうやって
    集めたの？」「検討して何がはっきりしたの？」 are about what was asked before)."""
    q = question.strip()
    if any(q.startswith(w) for w in V.followup_refer) or any(w in q for w in V.followup_refer_inside):
        return True
    if not a.cities and V.followup_others.search(q):
        return True  # 「他の2市は？」: the cities the earlier turn did not name
    if own_terms == 0 and not (a.cities or a.steps or a.setup) and any(w in q for w in V.followup_more):
        return True  # 「もう少し詳しく教えて」: more of what was said, nothing of its own
    if own_terms == 0 and not (a.cities or a.steps) and any(
            c in q for op in ("max", "min", "total", "order") for c in V.compute_cues.get(op, ())):
        return True  # 「いちばん安く済んだのはどれ？」: a computation over what the earlier turn listed
    if a.setup or a.steps:
        return False
    if a.cities:
        return own_terms == 0  # 「熊本市の場合は？」「熊本はどう？」: a city and nothing of its own
    core = re.sub(r"[？?！!。、\s]", "", q)
    # 「費用は？」「人口は？」「参加者の反応は？」: too short to stand alone after an earlier turn
    if own_terms <= 2 and len(core) <= V.followup_short:
        return True
    return rarest is not None and not names_subject and rarest > common


def resolve(question: str, a: QueryAnalysis, own_terms: int, history: Sequence[Turn],
            analyze: Callable[[str], QueryAnalysis], rarest: int | None = None, common: float = math.inf,
            names_subject: bool = False, document_cities: frozenset[str] | None = None,
            cities: Mapping[str, int] | None = None, subjects: frozenset[str] = frozenset(),
            force: bool = False) -> Resolved:
    """The follow-up joined to the last earlier question: a newly named city replaces the earlier
    one; otherwise the earlier cities and topic are carried over. ``document_cities``: when the
    follow-up names a document (「国の計画ではどう書かれてる？」), the cities that document holds: an
    earlier city it does not hold is not carried over (the topic is, without the city). ``cities``: the
    knowledge base's cities and their record counts: 「他の2市は？」 asks the earlier question of the others.
    ``subjects``: the names records are titled by (trials): a follow-up that points back (「それっていつ？」)
    asks of the one the earlier answer's first key point names, when the earlier question did not.
    ``force``: read it as a follow-up though it seems to stand alone (what the documents do not answer
    alone may be a follow-up in words of its own: 「研修自体はいつやったの？」)."""
    if not history or not (force or is_followup(question, a, own_terms, rarest, common, names_subject)):
        return Resolved(question)
    prev = history[-1].question
    base = prev  # what the earlier question gives the follow-up
    pa = analyze(prev)
    if document_cities is not None and not a.cities:
        dropped = [c for c in pa.cities if c not in document_cities]
        if dropped:
            base = drop_places(prev, dropped)
            pa = analyze(base)
    ask = question.strip()
    for w in V.followup_refer:
        if ask.startswith(w):
            ask = ask[len(w):].lstrip("、,は ")
            break
    topic = base.rstrip("？?。！! ")
    taken: list[str] = []
    own = ""  # the follow-up's own question, where it asks one of the earlier subject
    others = other_cities(question, pa.cities, cities) if cities and pa.cities and not a.cities else []
    if others:
        # 「市原市は地域協議会を何をベースに作ったの？」→「他の2市は地域協議会どうなってる？」
        names = "、".join(others)
        for old in pa.cities:
            topic = topic.replace(old, names, 1) if old in topic else topic.replace(short_city(old), names, 1)
        rest = V.followup_others.sub("", ask).lstrip("はでのも、 ")
        taken.append(names)
        text = f"{names}の{rest}" if own_terms else topic + "？"  # its own question of them, or the earlier one
        return Resolved(text, tuple(taken), prev, f"{names}の{rest}" if own_terms else "")
    if a.cities:
        if pa.cities:
            for old in pa.cities:
                topic = topic.replace(old, a.cities[0]).replace(old.rstrip("市区町村"), a.cities[0])
            taken.append(topic)
            text = topic + "？" if own_terms == 0 else f"{topic}。{ask}"
        else:
            taken.append(topic)
            text = f"{a.cities[0]}の{topic}？" if own_terms == 0 else f"{topic}。{ask}"
        own = ask if own_terms else ""
    else:
        swapped = swap_subject(topic, ask, pa.cities, subjects)
        if swapped:  # 「お悩みハンドブックの費用は？」→「エプロンは？」: the same question of another subject
            taken.append(swapped)
            text = swapped + "？"
        else:
            taken += [c for c in pa.cities if c not in topic and short_city(c) not in topic] + [topic]
            ref = referent(history[-1].answer, subjects) if points_back(question) else None
            if ref and ref not in base:
                taken.append(ref)
                text = f"{topic}。{ref}：{ask or question}"
            else:
                text = f"{topic}。{ask or question}"
            own = ask or question
    return Resolved(text, tuple(dict.fromkeys(taken)), prev, own)


def points_back(question: str) -> bool:
    """The follow-up points at something with a demonstrative (「それっていつ？」「そこの費用は？」)."""
    q = question.strip()
    return any(q.startswith(w) for w in V.followup_pointers) or any(w in q for w in V.followup_refer_inside)


def referent(answer: str, names: frozenset[str]) -> str | None:
    """What the earlier answer was about: the longest of ``names`` its first key point holds (else its
    second): 「市原の試行的事業でいちばん人が集まったのは？」 is answered 「…最大: こども未来キャラバン…」,
    and 「それっていつ？」 asks of that trial, which the earlier question never named."""
    if not answer or not names:
        return None
    lines = answer.splitlines()
    at = next((i + 1 for i, line in enumerate(lines) if line.startswith("## ")), 0)  # the key points' heading
    points = [line for line in lines[at:] if line.startswith("- ")][:2]
    for line in points:
        found = [n for n in names if n in line]
        if found:
            return max(found, key=lambda n: (len(n), n))  # the whole title over a word of it; the same every run
    return None


_KANJI_DIGITS = {ch: i for i, ch in enumerate("〇一二三四五六七八九")}


def other_cities(question: str, earlier: Sequence[str], counts: Mapping[str, int]) -> list[str]:
    """「他の2市は？」: the two cities after the earlier ones with the most records (``counts``: each city's
    record count); 「ほかの自治体は？」: those with at least a share of the records the earlier city has;
    none when that is more than a handful (the others of fifty are no subject)."""
    m = V.followup_others.search(question)
    if not m:
        return []
    rest = sorted((c for c in counts if c not in earlier), key=lambda c: -counts[c])
    n = m.group("n")
    if n:
        k = int("".join(str(_KANJI_DIGITS.get(ch, ch)) for ch in map_chars(n)))  # ２ → 2 (NFKC), 二 → 2
        return rest[:k] if 0 < k <= V.followup_others_max else []
    base = max((counts.get(c, 0) for c in earlier), default=0)
    rest = [c for c in rest if counts[c] >= V.followup_others_share * base]
    return rest if len(rest) <= V.followup_others_max else []


def drop_places(text: str, cities: Sequence[str]) -> str:
    """The text without these city names (also without their suffix: 「市原は」) and the particle after."""
    for city in cities:
        for name in (city, short_city(city)):
            if len(name) >= 2:
                text = re.sub(re.escape(name) + r"(?:の場合|では|は|の|で|が|も)?[、,]?", "", text)
    return text.strip() or text


_BARE = re.compile(r"^(?P<x>[^の、。？?！!\s]{2,12}?)(?:は|って|では)?[？?]?$")


def _attributes() -> tuple[str, ...]:
    """Words that ask for an attribute of a subject (費用, 人口, いつ…), not name a new subject."""
    words = list(V.form_cues.get("fact", ())) + list(V.money_words) + list(V.vendor_words)
    for ws in V.profile_wants.values():
        words += list(ws)
    for ws in V.unit_cues.values():
        words += list(ws)
    for cues, _ in V.answer_types.values():  # 「講師代は？」「会場は？」: a value of the subject asked
        words += [c for c in cues if len(c) >= 2]
    return tuple(w for w in words if w)


_ATTRIBUTES = _attributes()


_SUBJECT_END = re.compile(r"[、，,のはってでが]")
_SIDE = re.compile(r"の(?:ほう|方)(?=(?:は|って|では|も)?[？?]?$)")


def swap_subject(topic: str, ask: str, cities: Sequence[str] = (), subjects: frozenset[str] = frozenset()) -> str | None:
    """The earlier question 「AのBは」 asked of a new subject X when the follow-up is a bare 「Xは？」
    and X names no attribute (「費用は？」 asks B of A, it does not replace A): 「XのBは」; else None.
    The subject replaced is a named one the earlier question holds (a trial's name, of ``subjects``),
    else what follows its city: 「市原のゆるサポ研修、満足度は」→「作業部会は？」 asks 「市原の作業部会、満足度は」,
    the city stays."""
    m = _BARE.match(_SIDE.sub("", ask.strip()))  # 「実態把握調査のほうは？」: the other one, 実態把握調査
    if not m:
        return None
    x = m.group("x")
    if any(w in x for w in _ATTRIBUTES) or x in topic:
        return None
    named = [n for n in subjects if n in topic]
    if named:
        n = max(named, key=lambda n: (len(n), n))
        i = topic.index(n)
        start, end = i, i + len(n)
        while start > 0 and not _SUBJECT_END.match(topic[start - 1]):
            start -= 1  # the whole name as written: 「お悩みハンドブック」, not its 「ハンドブック」
        while end < len(topic) and not _SUBJECT_END.match(topic[end]):
            end += 1
        return topic[:start] + x + topic[end:]
    if "の" not in topic:
        return None
    head, rest = topic.split("の", 1)
    if not head or not rest or len(head) > 20:
        return None
    if any(head in (c, short_city(c)) for c in cities):  # 「市原の…」: the subject is what follows the city
        end = _SUBJECT_END.search(rest)
        if end and end.start() >= 2:
            return f"{head}の{x}{rest[end.start():]}"
        return None
    return f"{x}の{rest}"


def read_history_file(path) -> tuple[Turn, ...]:
    """A --history file: a JSON array of {"question", "answer"} turns, or one turn a line (JSON Lines),
    oldest first; an answer from ``pfkb ask --json`` may stand as a turn (its question and answer)."""
    import json
    from pathlib import Path

    from kb.core.errors import SettingsError
    p = Path(path)
    if not p.exists():
        raise SettingsError(f"履歴ファイルがありません: {p}。前の質問を JSON で保存したファイルを指定してください "
                            f"(history file not found)")
    text = p.read_text(encoding="utf-8").strip()
    try:
        data = json.loads(text) if text.startswith("[") or "\n" not in text else [json.loads(line)
                                                                                  for line in text.splitlines() if line.strip()]
    except json.JSONDecodeError as e:
        raise SettingsError(f"{p}: JSON として読めません（{e.msg}、{e.lineno} 行目）。"
                            f"[{{\"question\": …, \"answer\": …}}] の形にしてください (bad JSON in the history file)") from None
    if isinstance(data, dict):
        data = [data]
    try:
        return read_history(data)
    except BadQueryError as e:
        raise SettingsError(f"{p}: {e}") from None
