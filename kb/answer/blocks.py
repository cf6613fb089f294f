"""The parts of a composed answer (headings, statements, tables, notes) as frozen records, the
builder that collects them with the records they cite, and their rendering as Markdown.
``to_dict()`` gives the JSON shape of the ask contract (``{"type": …}`` per block)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Union

from kb.core.records import Record


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2
    phase: str | None = None
    step: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"type": "heading", "level": self.level, "text": self.text, "phase": self.phase, "step": self.step}


@dataclass(frozen=True)
class Statement:
    text: str
    citations: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"type": "statement", "text": self.text, "citations": list(self.citations)}


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    citations: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"type": "table", "columns": list(self.columns), "rows": [list(r) for r in self.rows],
                "citations": list(self.citations)}


@dataclass(frozen=True)
class Note:
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"type": "note", "text": self.text}


Block = Union[Heading, Statement, Table, Note]


@dataclass
class Blocks:
    """Collects answer blocks and the records they cite, in order (a builder; the answer keeps a tuple)."""
    items: list[Block] = field(default_factory=list)
    cited: dict[str, Record] = field(default_factory=dict)

    def heading(self, text: str, level: int = 2, phase: str | None = None, step: str | None = None) -> None:
        self.items.append(Heading(text, level, phase, step))

    def statement(self, text: str, records: Iterable[Record]) -> None:
        recs = [r for r in records if r is not None]
        for r in recs:
            self.cited.setdefault(r.id, r)
        self.items.append(Statement(text, tuple(r.id for r in recs)))

    def table(self, columns: list[str], rows: list[list[str]], records: Iterable[Record]) -> None:
        recs = list(records)
        for r in recs:
            self.cited.setdefault(r.id, r)
        self.items.append(Table(tuple(columns), tuple(tuple(row) for row in rows), tuple(r.id for r in recs)))

    def note(self, text: str) -> None:
        self.items.append(Note(text))

    @property
    def statements(self) -> int:
        return sum(1 for b in self.items if isinstance(b, (Statement, Table)))


def render_markdown(blocks: Iterable[Block], cited: dict[str, Record]) -> str:
    """Markdown with numbered citations [n] and a source list."""
    order = list(cited)
    num = {rid: i + 1 for i, rid in enumerate(order)}
    out: list[str] = []
    for blk in blocks:
        if isinstance(blk, Heading):
            out.append(f"\n{'#' * blk.level} {blk.text}")
        elif isinstance(blk, Statement):
            marks = "".join(f"[{num[c]}]" for c in blk.citations)
            out.append(f"- {blk.text} {marks}".rstrip())
        elif isinstance(blk, Table):
            out.append("")
            out.append("| " + " | ".join(blk.columns) + " |")
            out.append("|" + "---|" * len(blk.columns))
            for row in blk.rows:
                out.append("| " + " | ".join(c.replace("|", "/") for c in row) + " |")
            out.append("".join(f"[{num[c]}]" for c in blk.citations))
        elif isinstance(blk, Note):
            out.append(f"\n{blk.text}")
    if order:
        out.append("\n出典:")
        for rid in order:
            out.append(f"[{num[rid]}] {cited[rid].citation_label()}")
    return "\n".join(out).strip() + "\n"
