"""Questions that need computing: the largest / smallest, an order, a total or a count of what the
records give as structured fields (a trial's ``cost_yen``), with the computation shown and every
operand cited (「市原市の試行的事業5件のうち最大: こども未来キャラバン 120万円」)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from kb.core.records import Record
from kb.core.vocab.answer import answer_vocab

V = answer_vocab()


@dataclass(frozen=True)
class Computation:
    """What was asked (max, min, order, total, count), over which records, and the result in words."""
    op: str
    measure: str  # the field computed on ("cost_yen"), or "count"
    operands: tuple[Record, ...]  # every record the result depends on, in the order shown
    result: tuple[Record, ...]  # the record(s) the answer names (the largest…), empty for a total or count
    sentence: str  # the computation in one sentence

    @property
    def citations(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.operands)


def computation_asked(question: str) -> str | None:
    """max | min | order | total | count | list, or None when the question asks for no computation: the op of
    the longest cue the question holds (「一番安い」 is min, though it holds max's 「一番」), the earlier op
    of this order on a tie."""
    best, best_len = None, 0
    for op in ("order", "max", "min", "total", "count", "list"):
        n = max((len(w) for w in V.compute_cues[op] if w in question), default=0)
        if n > best_len:
            best, best_len = op, n
    return best


def _forms(word: str) -> tuple[str, ...]:
    """A measure word and, for an adjective (…い), its other inflections: 安い → 安く, 安かっ, 安さ
    (「いちばん安く済んだのは」)."""
    if len(word) >= 2 and word.endswith("い"):
        stem = word[:-1]
        return (word, stem + "く", stem + "かっ", stem + "さ")
    return (word,)


def measure_asked(question: str) -> str | None:
    for measure, words in V.compute_measures.items():
        if any(f in question for w in words for f in _forms(w)):
            return measure
    return None


def asks_computation(question: str) -> bool:
    """A computation over figures (「一番費用が…」), or a count of trials (「試行的事業は何件」)."""
    op = computation_asked(question)
    if op is None:
        return False
    if op == "count":  # 「試行的事業は何件」: of the trials
        return any(w in question for w in V.compute_subjects)
    if op == "list":  # 「試行的事業それぞれの発注先を一覧に」: of the trials, with a field or as a list
        return any(w in question for w in V.compute_subjects) and (
            measure_asked(question) is not None or any(w in question for w in V.vendor_words)
            or any(w in question for w in V.compute_cues["list"] if not w.startswith("それぞれ")))
    return measure_asked(question) is not None


def trials_of(records: Iterable[Record], cities: Sequence[str]) -> list[Record]:
    return [r for r in records if r.kind == "trial" and (not cities or r.city in cities)]


def compute(question: str, records: Sequence[Record], cities: Sequence[str],
            money: Callable[[Record], str]) -> Computation | None:
    """The computation the question asks for over the trials of the named cities (all trials when
    none is named); None when nothing is asked or nothing can be computed."""
    op = computation_asked(question)
    if op is None:
        return None
    measure = measure_asked(question)
    trials = trials_of(records, cities)
    if not trials:
        return None
    scope = f"{'・'.join(cities)}の" if cities else ""
    what = V.compute_labels["trials"]
    if op == "count":
        names = "、".join(f"「{r.title}」" for r in trials)
        return Computation("count", "count", tuple(trials), (), f"{scope}{what}は{len(trials)}件: {names}")
    if op == "list":  # every trial with its vendor and cost, in the document's order
        cols = V.compute_columns
        items = []
        for r in trials:
            parts = [f"{cols[3]} {r.fields['vendor']}" if r.fields.get("vendor") else "",
                     money(r) if isinstance(r.fields.get("cost_yen"), (int, float)) else ""]
            detail = "、".join(p for p in parts if p)
            items.append(f"「{r.title}」" + (f"（{detail}）" if detail else ""))
        return Computation("list", "list", tuple(trials), (),
                           f"{scope}{what}{len(trials)}件の{V.compute_labels['list']}: {'、'.join(items)}")
    if measure is None:
        return None  # 「一番大事なことは？」 asks for no figure
    known = [r for r in trials if isinstance(r.fields.get(measure), (int, float))]
    if not known:
        return None
    unknown = len(trials) - len(known)
    rest = f"（ほか{unknown}件は{V.compute_labels['no_cost']}）" if unknown else ""
    ordered = sorted(known, key=lambda r: -r.fields[measure])
    if op == "total":
        total = sum(r.fields[measure] for r in known)
        parts = " + ".join(money(r) for r in ordered)
        return Computation("total", measure, tuple(ordered), (),
                           f"{scope}{what}{len(known)}件の{V.compute_labels['total']}: {_yen(total)}（{parts}）{rest}")
    if op == "order":
        line = " > ".join(f"「{r.title}」{money(r)}" for r in ordered)
        return Computation("order", measure, tuple(ordered), tuple(ordered),
                           f"{scope}{what}{len(known)}件の{V.compute_labels['order']}: {line}{rest}")
    pick = ordered[0] if op == "max" else ordered[-1]
    ties = [r for r in ordered if r.fields[measure] == pick.fields[measure]]
    label = V.compute_labels["max" if op == "max" else "min"]
    names = "、".join(f"「{r.title}」" for r in ties)
    return Computation(op, measure, tuple(ordered), tuple(ties),
                       f"{scope}{what}{len(known)}件のうち{label}: {names} {money(pick)}{rest}")


def _yen(value: float) -> str:
    value = int(value)
    return f"{value / 10_000:g}万円" if value % 1000 == 0 else f"{value:,}円"
