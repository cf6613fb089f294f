"""What each canonical step is for, in the report's own words.

Each aim paraphrases the chapter 1-4 summary bullets of that step (「大きな取組の
方向性と示唆」); nothing here is a fact the report does not state. Packs show the
aim above the cities' practices so a trainer can open each step with it.
"""
from __future__ import annotations

from kb.core.records import STEP_CODES
from kb.core.vocab import load_json

_EXPORT = load_json("export")  # kb/core/vocab/export.json: step_aims, aim_source
AIM_SOURCE: str = _EXPORT["aim_source"]
STEP_AIMS: dict[str, str] = _EXPORT["step_aims"]

assert set(STEP_AIMS) == set(STEP_CODES), "every canonical step needs an aim"


def step_aim(step: str) -> str:
    return STEP_AIMS[step]
