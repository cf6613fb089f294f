"""Values inside cells: 令和 years, yen amounts, populations, vendors."""
from __future__ import annotations

import re
from dataclasses import dataclass

from kb.core.normalize import map_chars, squash

REIWA_OFFSET = 2018  # 令和1年 = 2019


def reiwa_to_year(n: int) -> int:
    return REIWA_OFFSET + n


_REIWA = re.compile(r"(?:令和|R)\s*(\d{1,2}|元)\s*年?(度)?")


def fiscal_year(text: str) -> int | None:
    """"令和4年度" → 2022; "令和5年" → 2023; "未" → None. The first year mentioned wins."""
    m = _REIWA.search(squash(text))
    if not m:
        return None
    n = 1 if m.group(1) == "元" else int(m.group(1))
    return reiwa_to_year(n)


def timing_fiscal_year(timing: str) -> int | None:
    """"R6 4月" → FY2024, "R7 1月" → FY2024 (January belongs to the previous fiscal year),
    "R4年度3月~" → FY2022, "今後" → None."""
    key = map_chars(timing)
    m = re.search(r"R\s*(\d{1,2})\s*(年度)?\s*(\d{1,2})?\s*月?", key)
    if not m:
        return None
    year = reiwa_to_year(int(m.group(1)))
    if m.group(2):
        return year
    month = int(m.group(3)) if m.group(3) else None
    if month is not None and 1 <= month <= 3:
        return year - 1
    return year


_POP = re.compile(r"([\d,]{3,})\s*\(?人\)?")
_DATE = re.compile(r"令和\s*(\d{1,2}|元)\s*年\s*(\d{1,2})\s*月(?:\s*(\d{1,2})\s*日)?")


@dataclass(frozen=True)
class Population:
    value: int
    date: str | None  # "2020-10" or "2025-02-01"
    raw: str


_POP_KANJI = re.compile(r"(?:約)?(?:(?P<man>\d+(?:\.\d+)?)万)?(?:(?P<sen>\d+(?:\.\d+)?)千)?(?P<rest>[\d,]*)\s*\(?人\)?")


def kanji_number(text: str) -> int | None:
    """「161万2,392」 → 1612392, 「73万7千」 → 737000, 「26.7万」 → 267000, 「1,612,392」 → 1612392."""
    m = _POP_KANJI.fullmatch(squash(text).rstrip("人()")) or _POP_KANJI.fullmatch(squash(text))
    if not m or not (m.group("man") or m.group("sen") or m.group("rest")):
        return None
    value = float(m.group("man") or 0) * 10_000 + float(m.group("sen") or 0) * 1_000
    rest = (m.group("rest") or "").replace(",", "")
    return int(round(value + (int(rest) if rest else 0)))


def parse_population(text: str) -> Population | None:
    """"1,612,392(人) <令和2年10月/国勢調査>" → 1612392 as of 2020-10; 「161万2,392人」 and
    「約73万7千人」 in 万/千 notation too."""
    s = squash(text)
    k = re.search(r"約?\d+(?:\.\d+)?万(?:\d+(?:\.\d+)?千)?[\d,]*\s*\(?人|約?\d+(?:\.\d+)?千[\d,]*\s*\(?人", s)
    m = _POP.search(s)
    if k:
        value = kanji_number(k.group(0))
    elif m:
        value = int(m.group(1).replace(",", ""))
    else:
        return None
    if value is None:
        return None
    d = _DATE.search(s)
    date = None
    if d:
        y = reiwa_to_year(1 if d.group(1) == "元" else int(d.group(1)))
        date = f"{y}-{int(d.group(2)):02d}" + (f"-{int(d.group(3)):02d}" if d.group(3) else "")
    return Population(value, date, text.strip())


_AMOUNT = re.compile(r"(約)?\s*([\d][\d,]*(?:\.\d+)?)\s*(万|千)?\s*円")


def parse_yen(text: str) -> tuple[int | None, bool]:
    """"約120万円" → (1200000, True); "290 万円" → (2900000, False); none → (None, False)."""
    m = _AMOUNT.search(squash(text))
    if not m:
        return None, False
    value = float(m.group(2).replace(",", ""))
    unit = {"万": 10_000, "千": 1_000}.get(m.group(3) or "", 1)
    return int(round(value * unit)), bool(m.group(1))


@dataclass(frozen=True)
class Order:
    vendor: str | None
    cost_yen: int | None
    approx: bool
    label: str | None  # 調査費用, デザイン費用, …
    note: str | None


_ORDER = re.compile(r"^(?:(?P<label>[^:(]{1,20}?費用?)\s*:\s*)?(?P<vendor>.*?)\s*(?:\((?P<paren>[^)]*)\))?\s*(?P<rest>※.*)?$")


def parse_order(item: str) -> Order:
    """One 発注先 entry: "調査費用:株式会社九州みらい研究所(約120万円)" or "発注なし"."""
    s = squash(item)
    if not s or s in ("-", "—", "―"):
        return Order(None, None, False, None, None)
    if "発注なし" in s:
        return Order(None, None, False, None, "発注なし")
    m = _ORDER.match(s)
    label = vendor = note = None
    cost, approx = parse_yen(s)
    if m:
        label = m.group("label")
        vendor = (m.group("vendor") or "").strip() or None
        paren = m.group("paren") or ""
        rest = m.group("rest")
        if paren and cost is None:
            vendor = f"{vendor}({paren})" if vendor else paren
        elif paren and not _AMOUNT.search(paren):
            vendor = f"{vendor}({paren})"
        extra = [x for x in (rest, re.sub(_AMOUNT, "", paren).strip(" :") if cost is not None else "") if x]
        note = " ".join(extra) or None
    if vendor and cost is None and label is None and "費" in vendor and not re.search(r"[株社団法人学会]", vendor):
        # 「講師謝金・交通費」: a cost item without a vendor
        return Order(None, None, False, None, vendor)
    return Order(vendor, cost, approx, label, note)
