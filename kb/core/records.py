"""Domain records shared by ingest, kb, api and eval.

One frozen dataclass per concept. Framework types (llama-index nodes, FAISS
rows, pydantic models) are converted to and from these in adapter modules;
they never become our identifiers.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, asdict
from typing import Any, Mapping

# --- the phase model (canonical codes, see domain.md) -------------------------

PHASES: tuple[tuple[str, str], ...] = (
    ("initial", "(ア) 初期段階"),
    ("preparation", "(イ) 準備段階"),
    ("launch", "(ウ) 設立段階"),
    ("self_sustaining", "(エ) 自走段階"),
)
PHASE_LABELS = dict(PHASES)

STEPS: tuple[tuple[str, str, str], ...] = (
    # (step code, phase code, step name)
    ("1", "initial", "主担当部署の設定"),
    ("2", "initial", "担当者の初動"),
    ("3", "preparation", "地域の現状把握"),
    ("4-1", "preparation", "取組テーマの決定（設定）"),
    ("4-2", "preparation", "連携PFの企画・設計"),
    ("5", "preparation", "関係団体のリストアップ・初期メンバーへの声掛け（庁内 / 庁外）"),
    ("6", "launch", "域内住民・団体への情報発信"),
    ("7", "launch", "連携PFの運営"),
    ("8", "self_sustaining", "地域協議会の設置"),
    ("9", "self_sustaining", "PFの拡大・活性化"),
)
STEP_CODES = tuple(s[0] for s in STEPS)
STEP_PHASE = {s[0]: s[1] for s in STEPS}
STEP_NAMES = {s[0]: s[2] for s in STEPS}
STEP_MARKS = {"1": "①", "2": "②", "3": "③", "4-1": "④-1", "4-2": "④-2", "5": "⑤",
              "6": "⑥", "7": "⑦", "8": "⑧", "9": "⑨"}

KINDS = ("lesson", "breakthrough", "trial", "profile", "column", "summary", "overview", "measure", "context")
PATH_SEPARATOR = " › "  # between the parts of a citation's section path
PATH_PART_CHARS = 16  # a part of a section path longer than this is cut with 「…」
FIRST_PART_CHARS = 20  # … the first part (「2-2 熊本市」, 「1-4 調査研究事業の詳細…」)
ITEM_CHARS = 40  # … the record's own item (a step, 試行的事業「…」, a context title)


def phase_of_step(step: str | None) -> str | None:
    return STEP_PHASE.get(step) if step else None


def step_label(step: str | None) -> str:
    """「⑤関係団体のリストアップ…」 style label for citations."""
    if not step:
        return ""
    return f"{STEP_MARKS[step]}{STEP_NAMES[step]}"


# --- records -------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """Where a record comes from: enough to cite and to show it."""
    document: str
    section: str  # section path, e.g. "2-2. 熊本市 / 4. 連携PFの行程および実務上の留意点"
    page: int | None = None  # PDF page (1-based)
    lines: tuple[int, int] | None = None  # text export line range (1-based, inclusive)
    printed_page: str | None = None  # the page number printed on that page ("24"), where there is one
    end_page: int | None = None  # the last PDF page of a record that runs over several (None: one page)
    end_printed_page: str | None = None  # the number printed on that last page

    @property
    def section_code(self) -> str:
        """"2-2" from "2-2. 熊本市 / …", "1-4" from chapter 1 sections."""
        head = self.section.split("/")[0].strip()
        code = head.split(".")[0].strip()
        return code

    def locator(self) -> str:
        if self.printed_page:
            end = self.end_printed_page if self.end_printed_page and self.end_printed_page != self.printed_page else None
            return f"p.{self.printed_page}〜{end}" if end else f"p.{self.printed_page}"
        if self.page is not None:
            return f"p.{self.page}〜{self.end_page}" if self.end_page and self.end_page != self.page else f"p.{self.page}"
        if self.lines:
            a, b = self.lines
            return f"l.{a}" if a == b else f"l.{a}-{b}"
        return ""

    def to_dict(self) -> dict[str, Any]:
        return {"document": self.document, "section": self.section, "page": self.page,
                "lines": list(self.lines) if self.lines else None, "printed_page": self.printed_page,
                "end_page": self.end_page, "end_printed_page": self.end_printed_page}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Source":
        lines = d.get("lines")
        return cls(document=d["document"], section=d.get("section") or "", page=d.get("page"),
                   lines=tuple(lines) if lines else None, printed_page=d.get("printed_page"),
                   end_page=d.get("end_page"), end_printed_page=d.get("end_printed_page"))


@dataclass(frozen=True)
class Record:
    """One unit of knowledge a reader can check quickly.

    ``fields`` holds the kind-specific fields (trial: vendor, cost_yen, …;
    profile: department, population, …; lesson: timing, …).
    """
    id: str
    kind: str
    city: str | None
    phase: str | None
    step: str | None
    scope: str | None
    title: str
    text: str
    source: Source
    fields: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = {"id": self.id, "kind": self.kind, "city": self.city, "phase": self.phase,
             "step": self.step, "scope": self.scope, "title": self.title, "text": self.text,
             "source": self.source.to_dict()}
        for k, v in self.fields.items():
            d.setdefault(k, v)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Record":
        base = {"id", "kind", "city", "phase", "step", "scope", "title", "text", "source", "score"}
        return cls(id=d["id"], kind=d["kind"], city=d.get("city"), phase=d.get("phase"),
                   step=d.get("step"), scope=d.get("scope"), title=d.get("title") or "",
                   text=d.get("text") or "", source=Source.from_dict(d["source"]),
                   fields={k: v for k, v in d.items() if k not in base})

    def citation_label(self) -> str:
        """「2-2 熊本市 › 4. 連携PFの行程… › ①主担当部署の設定（テキスト版 638 行目）」: the section
        path in words, then where to find it (see `citation_label`)."""
        return citation_label([self])


def _record_item(r: "Record") -> str:
    """The last part of a citation's path: what in the section the record is."""
    if r.kind == "trial":
        return f"試行的事業「{r.title}」"
    named = {"profile": "自治体の概要", "breakthrough": "ブレイクスルー要因", "column": "コラム",
             "overview": f"整理マップ {r.city}" if r.city else "整理マップ"}
    if r.kind in named:
        return named[r.kind]
    if r.step:
        return step_label(r.step)
    return r.title


def _bare(text: str) -> str:
    """A heading without its numbering, spaces and brackets, for comparing two headings."""
    text = re.sub(r"^[\d\-.)）]+", "", re.sub(r"[\s【】「」()（）.．]", "", text))
    return text


def _same_heading(a: str, b: str) -> bool:
    a, b = _bare(a), _bare(b)
    return bool(a and b) and (a in b or b in a or (len(a) > 8 and b.startswith(a[:8])))


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _section_words(section: str, limit: int = PATH_PART_CHARS) -> list[str]:
    """「2-2. 熊本市 / 4. 連携PFの行程および実務上の留意点」 → ["2-2 熊本市", "4. 連携PFの行程…"]:
    the first part keeps its number without the dot, middle parts longer than `limit` are cut."""
    parts = [p.strip() for p in (section or "").split(" / ") if p.strip()]
    out = []
    for i, part in enumerate(parts):
        if i == 0:
            part = _cut(re.sub(r"^(\d+(?:-\d+)*)\.\s*", r"\1 ", part), FIRST_PART_CHARS)
        else:
            part = _cut(part, limit)
        out.append(part)
    return out


def place_label(sources: "list[Source]") -> str:
    """Where a reader finds the records: 「p.26」 (the number printed on the page, else the PDF page
    index), 「p.26〜27」, 「テキスト版 638 行目」, 「テキスト版 638〜649 行目」, or ""."""
    pages = [p for s in sources for p in (getattr(s, "printed_page", None) or s.page,
                                          getattr(s, "end_printed_page", None) or getattr(s, "end_page", None))
             if p is not None]
    if pages:
        a, b = str(pages[0]), str(pages[-1])
        return f"p.{a}" if a == b else f"p.{a}〜{b}"
    lines = [s.lines for s in sources if s.lines]
    if lines:
        a, b = min(x[0] for x in lines), max(x[1] for x in lines)
        return f"テキスト版 {a} 行目" if a == b else f"テキスト版 {a}〜{b} 行目"
    return ""


def citation_label(records: "list[Record]") -> str:
    """One label for one record or for consecutive records of one section (the first names the
    item): the section path in words, then the place. The page, the CLI, DOCX and PPTX all use it."""
    first = records[0]
    path = _section_words(first.source.section)
    item = _record_item(first)
    if first.kind == "overview" and first.city and first.city in path:
        item = ""
    if item and not any(_same_heading(item, part) for part in path):
        path.append(_cut(item, ITEM_CHARS))
    if not path:
        path = [first.city or "全体"]
    place = place_label([r.source for r in records])
    return PATH_SEPARATOR.join(path) + (f"（{place}）" if place else "")


@dataclass(frozen=True)
class Fact:
    """One observation of a fact (e.g. the year a city's PF started) with its source record."""
    city: str
    name: str  # "pf_start" | "council_start"
    value: int | None  # fiscal year (Western), None for 未
    raw: str
    record_id: str
    where: str  # human description of the place, e.g. "自治体の概要"


@dataclass(frozen=True)
class ParseNote:
    """Something ingest could not parse or had to guess; reported by `pfkb stats`."""
    document: str
    severity: str  # "warning" | "unparsed" | "info"
    section: str
    message: str
    fragment: str = ""
    page: int | None = None
    line: int | None = None


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    file: str
    sha256: str
    format: str  # "text" | "pdf"
    publisher: str = ""
    date: str = ""
    region: str = ""
    recognized: bool = True
    pages: int | None = None


@dataclass(frozen=True)
class ParsedDocument:
    document: Document
    records: tuple[Record, ...]
    facts: tuple[Fact, ...]
    notes: tuple[ParseNote, ...]
    understood: Mapping[str, Any] = field(default_factory=dict)  # what the recognisers found (ingest.report.understood)


@dataclass(frozen=True)
class Passage:
    """A sentence or bullet of a record's text: ``text == record.text[start:end]``."""
    record_id: str
    text: str
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "start": self.start, "end": self.end}


@dataclass(frozen=True)
class SearchHit:
    record: Record
    score: float
    passage: Passage | None = None  # the record's passage that best matches the query (for highlighting)

    def to_dict(self) -> dict[str, Any]:
        d = self.record.to_dict()
        d["score"] = round(float(self.score), 6)
        if self.passage is not None:
            d["passage"] = self.passage.to_dict()
        return d


def stable_id(*parts: Any) -> str:
    """A content hash: the same input gives the same id on every machine."""
    h = hashlib.sha256(json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str).encode())
    return h.hexdigest()[:16]



__all__ = [n for n in dir() if not n.startswith("_") and n not in ("annotations",)] + ["asdict"]
