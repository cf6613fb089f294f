"""Finding a Japanese font for charts, and the font name set on document runs.

Charts need a font *file* (matplotlib draws the glyphs). We look, in order, for
IPAexGothic known to matplotlib's font manager, at the paths where Debian and
other systems install it, and in the `matplotlib-fontja` package (a pfkb
dependency that ships ipaexg.ttf). DOCX/PPTX only name the font: the viewer's
system supplies it (LibreOffice here, Word/PowerPoint elsewhere substitute
their own Japanese font when IPAexGothic is absent).
"""
from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

from kb.export.errors import FontMissingError

DOCUMENT_FONT = "IPAexGothic"  # east-asian font named on DOCX/PPTX runs
LATIN_FONT = "IPAexGothic"     # same face for digits and Latin letters, so lines look even

_KNOWN_PATHS = (
    "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
    "/usr/share/fonts/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/OTF/ipaexg.ttf",
    "/Library/Fonts/ipaexg.ttf",
)


def _from_font_manager() -> Path | None:
    from matplotlib import font_manager
    try:
        found = font_manager.findfont(font_manager.FontProperties(family="IPAexGothic"),
                                      fallback_to_default=False)
    except ValueError:
        return None
    return Path(found) if found else None


def _from_package() -> Path | None:
    spec = importlib.util.find_spec("matplotlib_fontja")  # find, not import: importing it changes rcParams
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "fonts" / "ipaexg.ttf"
        if path.exists():
            return path
    return None


@functools.lru_cache(maxsize=1)
def japanese_font_path() -> Path:
    """The IPAexGothic font file to draw charts with, or FontMissingError naming the fix."""
    candidates = [_from_font_manager()] + [Path(p) for p in _KNOWN_PATHS] + [_from_package()]
    for path in candidates:
        if path is not None and path.exists() and covers_japanese(path):
            return path
    raise FontMissingError(
        "日本語フォント (IPAexGothic) が見つかりません。`apt-get install fonts-ipaexfont` または "
        "`pip install matplotlib-fontja` で入れてください",
        "no Japanese font found: install fonts-ipaexfont or matplotlib-fontja")


def covers_japanese(path: Path, sample: str = "孤独・孤立対策 熊本市 連携PF") -> bool:
    return not missing_glyphs(path, sample)


def missing_glyphs(path: Path, text: str) -> list[str]:
    """Characters of `text` the font file has no glyph for (would show as tofu)."""
    from matplotlib.ft2font import FT2Font
    font = FT2Font(str(path))
    return [c for c in dict.fromkeys(text) if not c.isspace() and font.get_char_index(ord(c)) == 0]


@functools.lru_cache(maxsize=1)
def chart_font_family() -> str:
    """Register the font file with matplotlib and return its family name."""
    from matplotlib import font_manager
    path = japanese_font_path()
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()
