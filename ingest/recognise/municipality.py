"""Municipality names in headings: 「福岡市」, 「福岡県福岡市」 (the prefecture is dropped: the record's
city is 福岡市), 「東京都中野区」, 「千葉県 市原市」. A general pattern for 都道府県 + 市区町村,
not a list of cities; a few generic nouns that end like a name (本市, 都市 …) are excluded."""
from __future__ import annotations

import re
from dataclasses import dataclass

from kb.core.normalize import squash
from kb.core.vocab import load_json

_PREF = r"(?:北海道|東京都|京都府|大阪府|[^\s市区町村都道府県]{2,3}県)"  # 1 都 1 道 2 府 43 県
# a name is written in kanji and kana (八千代市, 四日市市), never with Arabic digits
_NAME = re.compile(rf"^(?P<pref>{_PREF})?(?P<city>[^\s\d、。・:()]{{1,6}}?[市区町村])(?:\((?P<paren>{_PREF})\))?$")
# a numbering the heading's reader left on its title: 「2 千代田区」「1-3 八千代市」「3. 市原市」「(2) 中野区」
_LEADING_NUMBER = re.compile(r"^\s*(?:\d{1,3}(?:[-‐.．]\d{1,3})*(?:[.．)）]\s*|\s+)|[(（]\d{1,3}[)）]\s*)(?=\D)")


@dataclass(frozen=True)
class Municipality:
    city: str  # 「福岡市」
    prefecture: str | None  # 「福岡県」 where the heading names it


def municipality_of(title: str) -> Municipality | None:
    """The municipality a heading title names (the whole title), or None."""
    key = squash(_LEADING_NUMBER.sub("", title, count=1)).strip("　 ")
    m = _NAME.match(key)
    if not m:
        return None
    city = m.group("city")
    if city in set(load_json("recognise")["not_municipalities"]) or len(city) < 2:
        return None
    return Municipality(city, m.group("pref") or m.group("paren"))
