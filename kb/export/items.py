"""Records → the items a pack shows: a city's practice, a trial project, a
partner voice, a city's key facts. Pure functions on records; each item keeps
the citation label of the record it came from."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from kb.core.display import display_text, speaker_of, tilde_to_wave, without_dangling_reference
from kb.export.timing import TIMING_WORD, timing_to_point
from kb.core.records import Fact, Record
from kb.core.vocab import load_json

# A bullet starts the text or follows a sentence end / line break; 「孤独・孤立」 is not a bullet.
_BULLET_SPLIT = re.compile(r"(?:^|(?<=[。\n）)」]))\s*[・･]\s*")
_COST_IN_VENDOR = re.compile(r"[（(]?\s*(?:市費\s*[:：]\s*)?約?\s*[\d.,]+\s*万?円\s*[)）]?")


@dataclass(frozen=True)
class Practice:
    """One ■ headline of a city for a step, with its first bullets and timing."""
    city: str
    step: str
    title: str
    details: tuple[str, ...]
    timing: str | None  # as the 行程 table writes it: 「R6 11月」
    when: str  # the Western date: 「2024年11月」, 「2022年度以前」, 「今後」, or ""
    scope: str | None
    schedule_only: bool
    citation: str
    record_id: str

    @property
    def timing_label(self) -> str:
        """「R6 11月（2024年11月）」, 「R4年度6月〜（2022年6月〜）」, 「今後」, or "" (shown after
        「行程表の時期」: the date is the 行程 table's, which may differ from years in the text)."""
        if not self.timing:
            return ""
        raw = tilde_to_wave(self.timing)
        when = self.when + ("〜" if "〜" in raw and self.when else "")
        return f"{raw}（{when}）" if when and when != raw else raw

    def to_dict(self) -> dict[str, Any]:
        return {"city": self.city, "step": self.step, "title": self.title, "details": list(self.details),
                "timing": self.timing, "when": self.when, "scope": self.scope,
                "timing_label": f"{TIMING_WORD} {self.timing_label}" if self.timing else "",
                "schedule_only": self.schedule_only, "citation": self.citation, "id": self.record_id}


@dataclass(frozen=True)
class TrialItem:
    """A trial project (試行的事業) linked to a step, with why it was linked."""
    city: str
    title: str
    vendor: str
    cost: str
    results: tuple[str, ...]
    category: str  # "R" | "P" | "D:支援提供" | "D:広報・周知"
    reason: str
    citation: str
    record_id: str


@dataclass(frozen=True)
class Voice:
    """A partner organisation's view from the city's コラム."""
    city: str
    organization: str
    title: str
    text: str
    citation: str
    record_id: str


@dataclass(frozen=True)
class CityFacts:
    """Profile facts shown at the top of packs and comparisons."""
    city: str
    department: str
    population: str
    pf_start: str
    council_start: str
    citation: str
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {"city": self.city, "department": self.department, "population": self.population,
                "pf_start": self.pf_start, "council_start": self.council_start, "citation": self.citation,
                "notes": list(self.notes)}


def text_to_bullets(text: str) -> list[str]:
    """「・a。・b」 → ["a。", "b"]; text without bullets is one item. The text is cleaned for
    display first, and a bullet that opens with 「上述の通り、」 loses the opener (quoted alone,
    it points at text the reader does not have)."""
    text = display_text(text or "").strip()
    if not text:
        return []
    parts = [without_dangling_reference(p.strip()) for p in _BULLET_SPLIT.split(text)]
    return [p for p in parts if p]


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def timing_to_when(timing: str | None, fiscal_year: int | None) -> str:
    point = timing_to_point(timing, fiscal_year)
    if point is None:
        return ""
    return point.calendar + ("以前" if point.before else "")  # 「(予定)」 stays visible in the raw timing


def lesson_to_practice(record: Record, *, max_details: int = 2) -> Practice:
    f = record.fields
    return Practice(city=record.city or "", step=record.step or "", title=display_text(record.title),
                    details=tuple(text_to_bullets(record.text)[:max_details]),
                    timing=f.get("timing") or None, when=timing_to_when(f.get("timing"), f.get("year")),
                    scope=record.scope,
                    schedule_only=bool(f.get("schedule_only")), citation=record.citation_label(),
                    record_id=record.id)


def yen_to_label(cost_yen: int | float | None, *, approx: bool = False, note: str | None = None) -> str:
    """2900000 → 「290万円」, 1200000 (approx) → 「約120万円」, 13000 → 「1.3万円」, None → the note."""
    if cost_yen is None:
        return (note or "記載なし").strip("※ ")
    prefix = "約" if approx else ""
    if cost_yen >= 10_000:
        man = cost_yen / 10_000
        text = f"{man:,.0f}" if man >= 100 or float(man).is_integer() else f"{man:,.1f}".rstrip("0").rstrip(".")
        return f"{prefix}{text}万円"
    return f"{prefix}{int(cost_yen):,}円"


def clean_vendor(vendor: str | None) -> str:
    """Drop the cost the table prints inside the vendor cell: 「X(約1.3万円)講師謝金」 → 「X 講師謝金」."""
    text = _COST_IN_VENDOR.sub(" ", vendor or "")
    text = " ".join(text.split()).strip(" ()（）、,")
    return text or "—"


def trial_to_item(record: Record, category: str, reason: str) -> TrialItem:
    f = record.fields
    results = tuple(dict.fromkeys(display_text(str(r)) for r in (f.get("results") or []) if str(r).strip()))
    return TrialItem(city=record.city or "", title=display_text(record.title),
                     vendor=clean_vendor(display_text(f.get("vendor") or "")),
                     cost=yen_to_label(f.get("cost_yen"), approx=bool(f.get("cost_approx")),
                                       note=f.get("cost_note")),
                     results=results, category=category, reason=reason,
                     citation=record.citation_label(), record_id=record.id)


def column_to_voice(record: Record, *, limit: int = 160) -> Voice:
    bullets = text_to_bullets(record.text)
    # The column names the speaker on its own bullet (「NPO法人でんでん虫の会吉松様」): that is who
    # speaks, not something said — name them before the quote that follows.
    speaker = next((w for b in bullets[:1] if (w := speaker_of(b))), "")
    body = next((b for b in bullets if not speaker_of(b)), display_text(record.text))
    if speaker:
        body = f"{speaker}: {body}"
    return Voice(city=record.city or "", organization=str(record.fields.get("organization") or ""),
                 title=record.title, text=shorten(body, limit), citation=record.citation_label(),
                 record_id=record.id)


def voices_of(columns: Iterable[Record], *, per_city: int = 2) -> list[Voice]:
    """The partner's views, not the 団体紹介 blurb or the closing message, up to `per_city` each."""
    out: list[Voice] = []
    count: dict[str, int] = {}
    for r in columns:
        if r.title.startswith("団体紹介") or r.title.endswith("メッセージ"):
            continue
        if count.get(r.city or "", 0) >= per_city:
            continue
        count[r.city or ""] = count.get(r.city or "", 0) + 1
        out.append(column_to_voice(r))
    return out


def document_line(d) -> str:
    """A report as a handout names it: 「title（publisher、2025年3月）」."""
    extra = "、".join(x for x in (d.get("publisher") or "", iso_to_japanese_date(d["date"]) if d.get("date") else "") if x)
    return f"{d['title']}（{extra}）" if extra else d["title"]


def choose_sentences(text: str, limit: int) -> str:
    """Whole sentences from the start of `text` up to about `limit` characters — at least the
    first sentence, never a sentence cut with 「…」 (a handout shortens by choosing)."""
    text = " ".join((text or "").split())
    sentences = [s for s in re.split(r"(?<=[。！？!?])", text) if s.strip()]
    out = ""
    for s in sentences:
        if out and len(out) + len(s) > limit:
            break
        out += s
    return out.strip()


def iso_to_japanese_date(iso: str) -> str:
    """「2020-10」 → 「2020年10月」, 「2025-02-01」 → 「2025年2月1日」."""
    parts = [p for p in iso.split("-") if p.isdigit()]
    units = load_json("export")["date_units"]  # 年 月 日, kb/core/vocab/export.json
    return "".join(f"{int(p)}{u}" for p, u in zip(parts, units)) or iso


def _fiscal_label(raw: str | None, value: int | None) -> str:
    raw = (raw or "").strip()
    if not raw:
        return "記載なし"
    if value and "(" not in raw and "（" not in raw and raw != "未":
        return f"{raw}（{value}年度）" if "年度" in raw else f"{raw}（{value}年）"
    return raw


def profile_to_facts(profile: Record, facts: Iterable[Fact] = ()) -> CityFacts:
    """A city's profile as display strings; other places that disagree are noted, not hidden."""
    f = profile.fields
    pop = f.get("population")
    population = f"{int(pop):,}人" if isinstance(pop, (int, float)) else "記載なし"
    if isinstance(pop, (int, float)) and f.get("population_date"):
        population += f"（{iso_to_japanese_date(str(f['population_date']))}時点）"
    notes = []
    for name, label in (("pf_start", "連携PF開始"), ("council_start", "地域協議会")):
        mine = f.get(name)
        others = sorted({(x.where, x.raw) for x in facts
                         if x.name == name and x.record_id != profile.id and x.value != mine})
        if others:
            notes.append(f"{label}: " + "、".join(f"{where}では「{raw}」" for where, raw in others))
    return CityFacts(city=profile.city or "", department=str(f.get("department") or "記載なし"),
                     population=population,
                     pf_start=_fiscal_label(f.get("pf_start_raw"), f.get("pf_start")),
                     council_start=_fiscal_label(f.get("council_start_raw"), f.get("council_start")),
                     citation=profile.citation_label(), notes=tuple(notes))
