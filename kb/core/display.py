"""Record text as people read it: the clean-up that the page, the answers and
the exports apply to what ingest stored (ingest keeps the text as found, so
that citations and search stay exact; these functions only change how it is
shown).

- ``display_text``: 「~」 (the normaliser's range sign) as 「〜」, which the
  Japanese fonts draw level (the ASCII tilde shows raised: 「R4年度6月˜」); a
  doubled bullet 「・・」 at the start of a line or cell as one; a line that
  repeats an earlier line of the same text dropped.
- ``without_dangling_reference``: a bullet quoted on its own that opens with
  「上述の通り、」 (or 前述・先述・上記 …) points at text the reader does not see:
  the opener goes, the statement stays.
- ``speaker_of``: a column's bullet that only names who speaks
  (「NPO法人でんでん虫の会吉松様」) — shown as a speaker line, not a bullet.
"""
from __future__ import annotations

import re

# 「~」 between or after parts of a date or number range; U+FF5E (full-width tilde) too
_TILDE = re.compile(r"[~\uFF5E]")
# a doubled (or tripled) bullet at the start of the text, a line or a 「 / 」-separated cell
_DOUBLE_BULLET = re.compile(r"(^|\n|/ |\| )[ \u3000]*[・･]([ \u3000]*[・･])+[ \u3000]*")
# words that point back at text before the quoted part: 上述 / 前述 / 先述 / 既述 / 上記 + の通り・のとおり・のように
_BACK_REFERENCE = re.compile(r"^[・･\s]*(?:上述|前述|先述|既述|上記)(?:の|した)?(?:通り|とおり|ように|様に)[、,，\s]*")
# a name ending in an honorific, with nothing said after it
_SPEAKER = re.compile(r"^[・･\s]*(?P<who>[^。、！？!?「」]{2,40}?(?:様|氏|さん))[\s　]*$")


def tilde_to_wave(text: str) -> str:
    """「R4年度6月~」 → 「R4年度6月〜」."""
    return _TILDE.sub("〜", text or "")


def single_bullets(text: str) -> str:
    """「・・地域関係者に対し…」 → 「・地域関係者に対し…」 at the start of a line or table cell."""
    return _DOUBLE_BULLET.sub(lambda m: m.group(1) + "・", text or "")


def without_repeated_lines(text: str) -> str:
    """Each line that says something (8 characters or more) once, in its first place: a field read
    twice by ingest shows once. Short lines (a lone 「・」, 「(1)」) and speaker lines (a column names
    the same speaker again before each of their turns) may repeat."""
    seen: set[str] = set()
    out = []
    for line in (text or "").split("\n"):
        key = re.sub(r"\s+", "", line)
        if len(key) >= 8 and not speaker_of(line):
            if key in seen:
                continue
            seen.add(key)
        out.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out))


def display_text(text: str) -> str:
    """What every view shows of a stored text (see the module docstring)."""
    return without_repeated_lines(single_bullets(tilde_to_wave(text)))


def without_dangling_reference(text: str) -> str:
    """「上述の通り、連携PFの設置に当たって…」 → 「連携PFの設置に当たって…」; other text unchanged."""
    m = _BACK_REFERENCE.match(text or "")
    if not m or m.end() >= len(text):
        return text
    lead = "・" if text.lstrip().startswith(("・", "･")) else ""
    return lead + text[m.end():]


def speaker_of(line: str) -> str | None:
    """The speaker a line names and nothing else (「・一般社団法人minori高木様」 → that name), or None."""
    m = _SPEAKER.match(line or "")
    return m.group("who").strip() if m else None
