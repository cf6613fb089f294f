"""Domain records shared by ingest, kb, api and eval.

One frozen dataclass per concept. Framework types (llama-index nodes, FAISS
rows, pydantic models) are converted to and from these in adapter modules;
they never become our identifiers.
"""
from __future__ import annotations

import hashlib
import json
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

KINDS = ("lesson", "breakthrough", "trial", "profile", "column", "summary", "overview", "context")


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

    @property
    def section_code(self) -> str:
        """"2-2" from "2-2. 熊本市 / …", "1-4" from chapter 1 sections."""
        head = self.section.split("/")[0].strip()
        code = head.split(".")[0].strip()
        return code

    def locator(self) -> str:
        if self.page is not None:
            return f"p.{self.page}"
        if self.lines:
            a, b = self.lines
            return f"l.{a}" if a == b else f"l.{a}-{b}"
        return ""

    def to_dict(self) -> dict[str, Any]:
        return {"document": self.document, "section": self.section, "page": self.page,
                "lines": list(self.lines) if self.lines else None}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Source":
        lines = d.get("lines")
        return cls(document=d["document"], section=d.get("section") or "", page=d.get("page"),
                   lines=tuple(lines) if lines else None)


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
        """「熊本市 ⑤関係団体のリストアップ…（2-2, p.31）」"""
        who = self.city or "全体"
        what = step_label(self.step) if self.step else (self.title[:24] if self.kind != "lesson" else "")
        if self.kind == "trial":
            what = f"試行的事業「{self.title}」"
        elif self.kind == "profile":
            what = "自治体の概要"
        elif self.kind == "breakthrough":
            what = "ブレイクスルー要因"
        elif self.kind == "column":
            what = "コラム"
        elif self.kind == "overview":
            what = "試行的事業の整理マップ"
        loc = ", ".join(x for x in (self.source.section_code, self.source.locator()) if x)
        return f"{who} {what}（{loc}）".replace("  ", " ")


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


@dataclass(frozen=True)
class SearchHit:
    record: Record
    score: float

    def to_dict(self) -> dict[str, Any]:
        d = self.record.to_dict()
        d["score"] = round(float(self.score), 6)
        return d


def stable_id(*parts: Any) -> str:
    """A content hash: the same input gives the same id on every machine."""
    h = hashlib.sha256(json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str).encode())
    return h.hexdigest()[:16]



__all__ = [n for n in dir() if not n.startswith("_") and n not in ("annotations",)] + ["asdict"]
