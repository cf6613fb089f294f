"""The 行程 table's timings (「R6 4月」, 「R4年度3月~」, 「R7年度4月~(予定)」, 「今後」)
as points on a time axis, for timelines.

令和 n 年度 is fiscal year 2018 + n (April to March). A timing written with
年度 names the fiscal year; one written as 「R6 1月」 names the calendar year,
so January R6 (2024) falls in fiscal 2023. Ingest already stores the fiscal
year in the lesson's `year` field; we use it when present.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from kb.core.display import tilde_to_wave

_REIWA = re.compile(r"(?:R|令和)\s*(\d{1,2})\s*(年度|年)?")
_MONTH = re.compile(r"(\d{1,2})\s*月")


@dataclass(frozen=True)
class TimePoint:
    raw: str
    fiscal_year: int | None  # Western fiscal year, e.g. 2024 for 令和6年度
    month: int | None
    future: bool  # 「今後」: no date, after everything dated
    planned: bool  # 「(予定)」
    before: bool  # 「以前」

    @property
    def position(self) -> float | None:
        """Fiscal years as a number: April 2024 = 2024.0, January 2025 = 2024.75."""
        if self.fiscal_year is None:
            return None
        if self.month is None:
            return float(self.fiscal_year)
        return self.fiscal_year + ((self.month - 4) % 12) / 12

    @property
    def calendar(self) -> str:
        """「2024年4月」 or 「2024年度」: the Western date a reader can place."""
        if self.fiscal_year is None:
            return "今後" if self.future else ""
        if self.month is None:
            return f"{self.fiscal_year}年度"
        year = self.fiscal_year + (1 if self.month < 4 else 0)
        return f"{year}年{self.month}月"


TIMING_WORD = "行程表の時期"  # what a lesson's date is: the 行程 table's, not the lesson text's


def timing_text(timing: str | None, fiscal_year: int | None = None) -> str:
    """「R6 11月」 → 「R6 11月（2024年11月）」, 「R4年度6月~」 → 「R4年度6月〜（2022年6月〜）」, 「今後」 → 「今後」:
    the 行程 table's words with the Western date a reader can place."""
    if not timing or not timing.strip():
        return ""
    raw = tilde_to_wave(timing.strip())
    point = timing_to_point(timing, fiscal_year)
    if point is None or not point.calendar or point.calendar == "今後":
        return raw
    when = point.calendar + ("以前" if point.before else "") + ("〜" if "〜" in raw else "")
    return raw if when == raw else f"{raw}（{when}）"


def reiwa_fiscal_year(n: int) -> int:
    return 2018 + n


def fiscal_label(fiscal_year: int) -> str:
    """2024 → 「R6年度」."""
    return f"R{fiscal_year - 2018}年度"


def timing_to_point(timing: str | None, fiscal_year: int | None = None) -> TimePoint | None:
    """None when there is no timing at all; 「今後」 is a future point without a date."""
    if not timing or not timing.strip():
        return None
    raw = timing.strip()
    text = unicodedata.normalize("NFKC", raw)
    future = "今後" in text
    planned = "予定" in text
    before = "以前" in text
    month_m = _MONTH.search(text)
    month = int(month_m.group(1)) if month_m and 1 <= int(month_m.group(1)) <= 12 else None
    if fiscal_year is None:
        m = _REIWA.search(text)
        if m:
            year = reiwa_fiscal_year(int(m.group(1)))
            is_fiscal = m.group(2) == "年度"
            fiscal_year = year if is_fiscal or month is None or month >= 4 else year - 1
    if fiscal_year is None and not future:
        return None
    return TimePoint(raw=raw, fiscal_year=fiscal_year, month=month, future=future and fiscal_year is None,
                     planned=planned, before=before)
