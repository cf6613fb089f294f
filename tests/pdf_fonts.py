"""reportlab set-up for ``tests.pdf_render``: fonts, a fallback font for symbols
the Japanese fonts lack (📍 ✓ ➢, Hangul), the text layer, the running header
and footer.

Two reportlab details are handled here:
- its ToUnicode CMap writes non-BMP code points (📍 U+1F4CD) as 5 hex digits,
  which readers misread; we write UTF-16 as the PDF spec asks;
- a browser-printed text layer (``Layout.wrong_code_points``) is made the way
  browsers make it: the right glyphs are drawn (so line breaking is unchanged)
  while the ToUnicode map names the wrong code points.
"""
from __future__ import annotations

import contextlib
import re
from pathlib import Path
from xml.sax.saxutils import escape

SYMBOL_FONT = "PFSymbols"
_REGISTERED: set[str] = set()
_WRONG_TEXT_LAYER: dict[int, str] | None = None


def _reportlab_fonts_dir() -> Path:
    import reportlab
    return Path(reportlab.__file__).parent / "fonts"


def _symbol_font_path() -> Path:
    """DejaVu Sans where installed, else reportlab's own Vera (always there)."""
    from tests.pdf_render import DEJAVU_SANS
    return DEJAVU_SANS if DEJAVU_SANS.exists() else _reportlab_fonts_dir() / "Vera.ttf"


def _patch_to_unicode() -> None:
    from reportlab.pdfbase import ttfonts
    if getattr(ttfonts.makeToUnicodeCMap, "_pfkb", False):
        return

    def make_to_unicode_cmap(fontname, subset):
        wrong = _WRONG_TEXT_LAYER or {}
        entries = []
        for code, cp in enumerate(subset):
            ch = wrong.get(cp, chr(cp))
            entries.append(f"<{code:02X}> <{ch.encode('utf-16-be').hex().upper()}>")
        return "\n".join([
            "/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap",
            "/CIDSystemInfo", "<< /Registry (%s)" % fontname, "/Ordering (%s)" % fontname, "/Supplement 0",
            ">> def", "/CMapName /%s def" % fontname, "/CMapType 2 def", "1 begincodespacerange",
            "<00> <%02X>" % (len(subset) - 1), "endcodespacerange", "%d beginbfchar" % len(subset),
            *entries, "endbfchar", "endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"])

    make_to_unicode_cmap._pfkb = True
    ttfonts.makeToUnicodeCMap = make_to_unicode_cmap


def register(layout) -> tuple[str, str]:
    """Register the layout's body and bold fonts and the symbol font; returns
    (body font name, bold font name)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont
    from tests.pdf_render import CID_FONTS, TTF_FONTS
    _patch_to_unicode()
    if layout.font in CID_FONTS:
        names = (layout.font, CID_FONTS[layout.font])
        for n in names:
            if n not in _REGISTERED:
                pdfmetrics.registerFont(UnicodeCIDFont(n))
                _REGISTERED.add(n)
    else:
        names = (layout.font, TTF_FONTS[layout.font][1])
        for n in names:
            if n not in _REGISTERED:
                pdfmetrics.registerFont(TTFont(n, str(TTF_FONTS[n][0])))
                _REGISTERED.add(n)
    if SYMBOL_FONT not in _REGISTERED:
        pdfmetrics.registerFont(TTFont(SYMBOL_FONT, str(_symbol_font_path())))
        _REGISTERED.add(SYMBOL_FONT)
    return names


def _cid_covers(ch: str) -> bool:
    """Whether a standard Japanese CID font draws ``ch`` (UniJIS-UCS2-H maps it to a CID)."""
    from pdfminer.cmapdb import CMapDB
    if ord(ch) > 0xFFFF:
        return False
    return bool(list(CMapDB.get_cmap("UniJIS-UCS2-H").decode(ch.encode("utf-16-be"))))


_COVER_CACHE: dict[tuple[str, str], bool] = {}


def covers(font: str, ch: str) -> bool:
    key = (font, ch)
    if key not in _COVER_CACHE:
        from reportlab.pdfbase import pdfmetrics
        f = pdfmetrics.getFont(font)
        face = getattr(f, "face", None)
        if face is not None and hasattr(face, "charToGlyph"):
            _COVER_CACHE[key] = ord(ch) in face.charToGlyph
        else:
            _COVER_CACHE[key] = ch in "\t\n " or _cid_covers(ch)
    return _COVER_CACHE[key]


def _symbol_glyph(ch: str) -> None:
    """Make the symbol font draw ``ch``: where it has no glyph, borrow a look-alike
    (a dot for the pin, a box otherwise) while the text layer keeps ``ch``."""
    from reportlab.pdfbase import pdfmetrics
    face = pdfmetrics.getFont(SYMBOL_FONT).face
    cmap = face.charToGlyph
    if ord(ch) in cmap:
        return
    for stand_in in ("●", "■", "o") if ch == "📍" else ("□", "■", "?"):
        if ord(stand_in) in cmap:
            cmap[ord(ch)] = cmap[ord(stand_in)]
            return


def markup(text: str, font: str) -> str:
    """Paragraph markup for ``text`` in ``font``: XML-escaped, with characters
    the font cannot draw set in the symbol font."""
    out: list[str] = []
    run: list[str] = []
    for ch in text:
        if covers(font, ch):
            run.append(ch)
            continue
        if run:
            out.append(escape("".join(run)))
            run = []
        _symbol_glyph(ch)
        out.append(f'<font name="{SYMBOL_FONT}">{escape(ch)}</font>')
    if run:
        out.append(escape("".join(run)))
    return "".join(out)


@contextlib.contextmanager
def text_layer(layout):
    """While rendering, write the browser-style wrong code points into ToUnicode maps."""
    global _WRONG_TEXT_LAYER
    from tests.pdf_render import wrong_code_point_map
    old = _WRONG_TEXT_LAYER
    _WRONG_TEXT_LAYER = {ord(k): v for k, v in wrong_code_point_map().items()} if layout.wrong_code_points else None
    try:
        yield
    finally:
        _WRONG_TEXT_LAYER = old


def running_canvas(layout, font: str):
    """A canvas class that draws the running header and the page-number footer
    once the page count is known ("12 / 98")."""
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas as rl_canvas

    class RunningCanvas(rl_canvas.Canvas):
        pages_written = 0

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._states: list[dict] = []

        def showPage(self):
            self._states.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._states)
            for state in self._states:
                self.__dict__.update(state)
                self._decorate(total)
                super().showPage()
            type(self).pages_written = total
            super().save()

        def _decorate(self, total: int) -> None:
            width, height = self._pagesize
            top, right, bottom, left = (m * mm for m in layout.margins_mm)
            n = self._pageNumber
            self.saveState()
            size = max(layout.font_size - 2, 7)
            if layout.header and n > 1:
                self.setFont(font, size)
                self.drawRightString(width - right, height - top * 0.55, layout.header)
                self.setLineWidth(0.4)
                self.line(left, height - top * 0.55 - 3, width - right, height - top * 0.55 - 3)
            self.setFont(font, size)
            self.drawCentredString(width / 2, bottom * 0.45, layout.footer.format(page=n, pages=total))
            self.restoreState()

    return RunningCanvas


# --- line breaking ---------------------------------------------------------------
# reportlab's CJK wrapping breaks inside Latin words and, after a Latin run, may
# start a line with 「・」 or 「-」; Word and browsers follow the Japanese rules
# (JIS X 4051 kinsoku) and keep Latin words whole. We break lines ourselves.

CANNOT_START = set("!),.:;?]}¢°’”‰′″℃、。〉》」』】〕゛゜ゝゞ・ヽヾ！％），．：；？］｝｡｣､･ー–—‐-"
                   "ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ々")
CANNOT_END = set("([{‘“〈《「『【〔（［｛｢")
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.,:/%&+_@#=~?'\-]*|\s+|.", re.S)


def break_lines(text: str, first_width: float, width: float, width_of) -> list[str]:
    """Greedy line breaking with kinsoku: a line never starts with a character of
    CANNOT_START nor ends with one of CANNOT_END (up to two tokens move to the
    next line), Latin words stay whole unless longer than a line."""
    tokens: list[str] = []
    for tok in _TOKEN.findall(text):
        if len(tok) > 1 and not tok.isspace() and width_of(tok) > width:
            tokens.extend(tok)  # a URL longer than the line breaks anywhere
        else:
            tokens.append(tok)
    lines: list[str] = []
    cur: list[str] = []
    used, limit = 0.0, first_width
    for tok in tokens:
        w = width_of(tok)
        if cur and used + w > limit and not tok.isspace():
            carry: list[str] = []
            while len(cur) > 1 and len(carry) < 2 and ((carry or [tok])[0][0] in CANNOT_START
                                                        or cur[-1][-1] in CANNOT_END):
                carry.insert(0, cur.pop())
            lines.append("".join(cur).rstrip())
            cur = [t for t in carry if not t.isspace()] + [tok]
            used, limit = sum(width_of(t) for t in cur), width
            continue
        if cur or not tok.isspace():
            cur.append(tok)
            used += w
    if cur:
        lines.append("".join(cur).rstrip())
    return [l for l in lines if l] or [""]


def width_function(font: str, size: float):
    from reportlab.pdfbase.pdfmetrics import stringWidth

    def width_of(s: str) -> float:
        return sum(stringWidth(ch, font if covers(font, ch) else SYMBOL_FONT, size) for ch in s)
    return width_of
