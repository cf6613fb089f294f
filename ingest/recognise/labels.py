"""The label:value grammar: 「委託先：株式会社A」, 「＜現状＞ …」, 「【目標及び達成の期間】 …」, a
two-cell row 「所管部署 | 福祉局」. Labels are matched against the synonym table in
kb/core/vocab/recognise.json (``field_labels``) to a canonical field name."""
from __future__ import annotations

import re
from functools import lru_cache

from kb.core.normalize import squash
from kb.core.vocab import load_json

# ＜現状＞ / <現状> / 【課題】 at the start of a line, or 「事業費：」 / 「事業費:」 (a short label then a colon)
_BRACKET_LABEL = re.compile(r"^\s*(?:[＜<〈]\s*(?P<a>[^＞>〉]{1,20})\s*[＞>〉]|【(?P<b>[^】]{1,20})】)\s*(?P<rest>.*)$", re.S)
_COLON_LABEL = re.compile(r"^\s*[・●○◆■▪-]?\s*(?P<c>[^\s:：、。]{1,14}?)\s*[:：]\s*(?P<rest>.*)$", re.S)


@lru_cache(maxsize=1)
def _synonyms() -> dict[str, str]:
    out = {}
    for field, words in load_json("recognise")["field_labels"].items():
        for w in words:
            out[squash(w)] = field
    return out


def canonical_label(label: str) -> str | None:
    """「委託先」 → "vendor", 「総人口」 → "population"; None for a label the table does not know."""
    key = squash(label).strip("・:： ")
    key = re.sub(r"^[①-⑳]", "", key)
    syn = _synonyms()
    if key in syn:
        return syn[key]
    key = re.sub(r"\(.*?\)$", "", key)  # 「人口(令和6年)」
    return syn.get(key)


def label_of(line: str) -> tuple[str, str] | None:
    """(label, value) when a line starts with a label in brackets or a short label and a colon."""
    m = _BRACKET_LABEL.match(line)
    if m:
        return (m.group("a") or m.group("b")).strip(), m.group("rest").strip()
    m = _COLON_LABEL.match(line)
    if m and not re.fullmatch(r"[\d０-９]+", m.group("c")):
        return m.group("c").strip(), m.group("rest").strip()
    return None


def split_labelled_fields(lines: list[str], *, known_only: bool = False) -> tuple[dict[str, str], str]:
    """Lines → {label: value} in order (a value runs until the next label) and the unlabelled text
    before the first label. With ``known_only`` only labels of the synonym table open a field."""
    fields: dict[str, str] = {}
    free: list[str] = []
    current: str | None = None
    for line in lines:
        got = label_of(line)
        if got and (not known_only or canonical_label(got[0])):
            current = got[0]
            fields[current] = (fields[current] + "\n" + got[1]).strip() if current in fields else got[1]
            continue
        if current is None:
            free.append(line)
        else:
            fields[current] = (fields[current] + "\n" + line).strip()
    return fields, "\n".join(free).strip()
