"""Question files (JSON Lines) in the format of eval/dev_questions.jsonl:
{"id", "type", "question", "gold": [{field: value, "title~": substring}], "evidence": [str],
 "expect_no_evidence": bool}."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.core.errors import SettingsError

HERE = Path(__file__).resolve().parent
DEV_QUESTIONS = HERE / "dev_questions.jsonl"
OWN_QUESTIONS = HERE / "own_questions.jsonl"
GOLD_KEYS = {"kind", "city", "phase", "step", "scope", "title~", "document~", "page", "pdf_page"}


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    question: str
    gold: tuple[dict[str, str], ...] = ()
    evidence: tuple[str, ...] = ()
    expect_no_evidence: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def answerable(self) -> bool:
        return not self.expect_no_evidence


def read_questions(path: Path | str) -> list[Question]:
    """Streaming reader that names the bad line."""
    path = Path(path)
    if not path.exists():
        raise SettingsError(f"質問ファイルがありません: {path}", "question file not found")
    out: list[Question] = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
            except json.JSONDecodeError as e:
                raise SettingsError(f"{path}:{n}: JSON として読めません ({e.msg})", f"bad JSON on line {n}") from None
            if not isinstance(d, dict) or not d.get("question") or not d.get("id"):
                raise SettingsError(f"{path}:{n}: \"id\" と \"question\" が必要です", "each line needs id and question")
            gold = d.get("gold") or []
            for g in gold:
                bad = set(g) - GOLD_KEYS
                if bad:
                    raise SettingsError(f"{path}:{n}: gold に未知のキー {sorted(bad)}", "unknown gold keys; "
                                        f"allowed: {sorted(GOLD_KEYS)}")
            known = {"id", "type", "question", "gold", "evidence", "expect_no_evidence"}
            out.append(Question(id=str(d["id"]), type=d.get("type", ""), question=d["question"],
                                gold=tuple(gold), evidence=tuple(d.get("evidence") or ()),
                                expect_no_evidence=bool(d.get("expect_no_evidence")),
                                extra={k: v for k, v in d.items() if k not in known}))
    return out
