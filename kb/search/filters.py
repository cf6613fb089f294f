"""Validation of facet filters shared by the CLI, the API and search."""
from __future__ import annotations

from typing import Any, Mapping

from kb.core.errors import BadQueryError
from kb.core.records import KINDS, PHASE_LABELS, STEP_CODES

FILTER_KEYS = ("city", "phase", "step", "kind", "scope")

_STEP_ALIASES = {"4.1": "4-1", "4.2": "4-2", "4_1": "4-1", "4_2": "4-2", "41": "4-1", "42": "4-2"}


def normalize_step(step: str | None) -> str | None:
    if step is None:
        return None
    s = str(step).strip()
    return _STEP_ALIASES.get(s, s)


def check_filters(filters: Mapping[str, Any] | None) -> dict[str, str]:
    """Drop empty values, canonicalise, and reject unknown keys or values with a
    message in Japanese and English."""
    out: dict[str, str] = {}
    for key, value in (filters or {}).items():
        if value is None or value == "":
            continue
        if key not in FILTER_KEYS:
            raise BadQueryError(f"未知のフィルタ {key!r}。使えるのは {', '.join(FILTER_KEYS)} です",
                                f"unknown filter {key!r}; allowed: {', '.join(FILTER_KEYS)}")
        if not isinstance(value, str):
            raise BadQueryError(f"フィルタ {key} には文字列を指定してください", f"filter {key} must be a string")
        value = value.strip()
        if key == "step":
            value = normalize_step(value)
            if value not in STEP_CODES:
                raise BadQueryError(f"step={value!r} は不正です。{', '.join(STEP_CODES)} のいずれか",
                                    f"unknown step; use one of {', '.join(STEP_CODES)}")
        elif key == "phase" and value not in PHASE_LABELS:
            raise BadQueryError(f"phase={value!r} は不正です。{', '.join(PHASE_LABELS)} のいずれか",
                                f"unknown phase; use one of {', '.join(PHASE_LABELS)}")
        elif key == "kind" and value not in KINDS:
            raise BadQueryError(f"kind={value!r} は不正です。{', '.join(KINDS)} のいずれか",
                                f"unknown kind; use one of {', '.join(KINDS)}")
        elif key == "scope" and value not in ("庁内", "庁外"):
            raise BadQueryError(f"scope={value!r} は不正です。庁内 か 庁外", "scope must be 庁内 or 庁外")
        elif key == "city" and len(value) > 20:
            raise BadQueryError(f"city={value[:20]!r}… が長すぎます", "city name too long")
        out[key] = value
    return out
