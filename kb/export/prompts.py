"""Discussion prompts for a workshop, built only from the pack's practices and
the chapter 1 summary: two cities' different choices for the same step, their
different timing, or (with one city) the city's choice against another way the
report lists. No prompt states anything the records do not."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from kb.export.items import Practice, choose_sentences
from kb.core.records import Record, step_label

MAX_PROMPTS = 4
HEADLINE_CHARS = 48


@dataclass(frozen=True)
class Prompt:
    step: str
    text: str
    citations: tuple[str, ...]


def _real(practices: Iterable[Practice]) -> list[Practice]:
    """Practices with a ■ headline worth discussing (not schedule-only, not 「(検討中)」)."""
    return [p for p in practices if not p.schedule_only and p.title and not p.title.startswith(("(", "（"))]


def _by_city(practices: Sequence[Practice], cities: Sequence[str]) -> dict[str, Practice]:
    """Each city's first practice; when the step is split 庁内 / 庁外, the same scope for all cities,
    so a prompt contrasts like with like."""
    scopes = [s for s in ("庁外", "庁内")
              if sum(any(p.city == c and p.scope == s for p in practices) for c in cities) >= 2]
    out: dict[str, Practice] = {}
    for city in cities:
        own = [p for p in practices if p.city == city]
        same = [p for p in own if scopes and p.scope == scopes[0]]
        first = (same or own or [None])[0]
        if first:
            out[city] = first
    return out


def headline(text: str) -> str:
    """A headline as a prompt quotes it: its first sentence(s) up to HEADLINE_CHARS, whole."""
    return choose_sentences(text, HEADLINE_CHARS).rstrip("。")


def choice_prompt(step: str, a: Practice, b: Practice) -> Prompt:
    text = (f"{step_label(step)}について、{a.city}は「{headline(a.title)}」、"
            f"{b.city}は「{headline(b.title)}」。あなたの自治体ではどちらが合うか？")
    return Prompt(step, text, (a.citation, b.citation))


def timing_prompt(step: str, a: Practice, b: Practice) -> Prompt:
    text = (f"{step_label(step)}の時期は、{a.city}が「{a.timing_label}」、{b.city}が「{b.timing_label}」（行程表より）。"
            f"あなたの自治体では、いつ、何をきっかけに着手するか？")
    return Prompt(step, text, (a.citation, b.citation))


def summary_prompt(step: str, a: Practice, summary: Record) -> Prompt:
    text = (f"{step_label(step)}について、{a.city}は「{headline(a.title)}」。"
            f"報告書の整理には「{headline(summary.title)}」という進め方もある。"
            f"あなたの自治体ではどちらが合うか？")
    return Prompt(step, text, (a.citation, summary.citation_label()))


def _spread(items: list[Prompt], k: int) -> list[Prompt]:
    """k items spread over the list, so prompts cover early and late steps."""
    if len(items) <= k:
        return items
    return [items[round(i * (len(items) - 1) / (k - 1))] for i in range(k)] if k > 1 else items[:1]


def build_prompts(steps: Sequence[str], practices: Sequence[Practice], cities: Sequence[str],
                  summaries: Sequence[Record]) -> tuple[Prompt, ...]:
    choices: list[Prompt] = []
    timings: list[Prompt] = []
    for i, step in enumerate(steps):
        own = _by_city(_real(p for p in practices if p.step == step), cities)
        present = [c for c in cities if c in own]
        if len(present) >= 2:
            a, b = own[present[i % len(present)]], own[present[(i + 1) % len(present)]]
            choices.append(choice_prompt(step, a, b))
            if a.timing and b.timing and a.timing != b.timing:
                timings.append(timing_prompt(step, a, b))
        elif len(present) == 1:
            a = own[present[0]]
            others = [s for s in summaries if s.step == step and s.title
                      and s.title not in a.title and a.title not in s.title]
            if others:
                choices.append(summary_prompt(step, a, others[i % len(others)]))
    chosen = _spread(choices, MAX_PROMPTS - 1 if timings else MAX_PROMPTS)
    used = {p.step for p in chosen}
    timing = next((t for t in timings if t.step not in used), timings[0] if timings else None)
    if timing and len(chosen) < MAX_PROMPTS:
        chosen.append(timing)
    return tuple(sorted(chosen, key=lambda p: list(steps).index(p.step)))
