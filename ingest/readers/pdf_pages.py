"""The file → raw pages: characters (with font and colour), ruled tables,
filled bands and rules, image counts of every page (pdfplumber), pdfminer's
errors mapped to ours, and the check for a text layer. The only stage of the
PDF reader that touches the file; a long PDF is read by worker processes."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from ingest.readers.settings import DEFAULT_SETTINGS, ReaderSettings
from kb.core.errors import CorruptPDFError, EncryptedPDFError, ImageOnlyPDFError

# pdfminer logs a warning per odd font or object; the user sees our errors instead
logging.getLogger("pdfminer").setLevel(logging.ERROR)

BBox = tuple[float, float, float, float]  # x0, top, x1, bottom

@dataclass(frozen=True)
class Char:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    font: str = ""  # font name without the subset prefix ("MS-Gothic", "IPAexGothic")
    light: bool = False  # filled in white or near white (text on a dark band)


@dataclass(frozen=True)
class RawTable:
    bbox: BBox
    rows: tuple[tuple[BBox | None, ...], ...]  # cell boxes; None where a merged cell covers the position


@dataclass(frozen=True)
class RawPage:
    number: int  # 1-based
    width: float
    height: float
    chars: tuple[Char, ...]
    tables: tuple[RawTable, ...]
    images: int
    fills: tuple[BBox, ...] = ()  # filled, non-white rectangles (bands, shaded cells)
    rules: tuple[BBox, ...] = ()  # thin horizontal lines outside tables (a footnote rule)


# --- the file ------------------------------------------------------------------


def pdf_to_pages(path: Path, settings: ReaderSettings = DEFAULT_SETTINGS) -> list[RawPage]:
    """Characters, ruled tables, fills and image counts of every page. pdfminer's
    exceptions become ``EncryptedPDFError`` / ``CorruptPDFError``. A long PDF is
    read by ``settings.workers`` processes, each a run of pages (pdfminer holds
    the GIL: threads would not help)."""
    import pdfplumber
    try:
        with pdfplumber.open(path) as pdf:
            count = len(pdf.pages)
            if settings.workers <= 1 or count < 2 * settings.pages_per_worker or not _main_importable():
                return _read_pages(pdf, 1, count, settings)
    except Exception as e:  # pdfminer raises many unrelated types for broken files
        raise _pdf_error(path, e) from None
    return _pages_in_parallel(path, count, settings)


def _main_importable() -> bool:
    """Whether a spawned worker can import this program's main module (not so for a
    script read from stdin or an interactive session): else read in this process."""
    import sys
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    return path is None and getattr(getattr(main, "__spec__", None), "name", None) is not None \
        or path is not None and Path(path).exists()


def _lean_process_object(page, obj):
    """pdfplumber's ``Page.process_object`` for a character without the generic attribute
    walk (it resolves every attribute of every character: a fifth of reading): the same
    keys the reader and pdfplumber's own table finder use, with the same values
    (checked equal on the rendered corpus); every other object as pdfplumber does it."""
    from pdfminer.layout import LTChar
    from pdfplumber.page import Page
    if type(obj) is not LTChar or isinstance(obj.fontname, bytes) or page.pdf.unicode_norm is not None:
        return Page.process_object(page, obj)
    gs = obj.graphicstate
    mb_x0, mb_top = page.mediabox[:2]
    top = (page.height - obj.y1) + mb_top
    return {"object_type": "char", "page_number": page.page_number, "text": obj.get_text(),
            "fontname": obj.fontname, "size": obj.size, "adv": obj.adv, "upright": obj.upright,
            "matrix": obj.matrix, "x0": obj.x0 + mb_x0, "x1": obj.x1 + mb_x0, "y0": obj.y0, "y1": obj.y1,
            "width": obj.width, "height": obj.height, "top": top, "bottom": (page.height - obj.y0) + mb_top,
            "doctop": page.initial_doctop + top,
            "stroking_color": gs.scolor if isinstance(gs.scolor, tuple) else (gs.scolor,),
            "non_stroking_color": gs.ncolor if isinstance(gs.ncolor, tuple) else (gs.ncolor,)}


def _read_pages(pdf, first: int, last: int, settings: ReaderSettings) -> list[RawPage]:
    out = []
    for i in range(first, last + 1):
        page = pdf.pages[i - 1]
        page.process_object = _lean_process_object.__get__(page)  # this page only
        out.append(_raw_page(page, i, settings))
        page.close()  # pdfplumber caches every page's objects otherwise
    return out


def _read_page_range(path: str, first: int, last: int, settings: ReaderSettings) -> list[RawPage]:
    import pdfplumber
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    with pdfplumber.open(path) as pdf:
        return _read_pages(pdf, first, last, settings)


def _pages_in_parallel(path: Path, count: int, settings: ReaderSettings) -> list[RawPage]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    workers = min(settings.workers, count // settings.pages_per_worker)
    # interleaved runs of pages keep the workers busy to the end
    step = max(settings.pages_per_worker // 2, 4)
    ranges = [(a, min(a + step - 1, count)) for a in range(1, count + 1, step)]
    ctx = multiprocessing.get_context("spawn")  # no fork of a process that may hold threads (the service)
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            parts = list(pool.map(_read_page_range, [str(path)] * len(ranges), [a for a, _ in ranges],
                                  [b for _, b in ranges], [settings] * len(ranges)))
        return [p for part in parts for p in part]
    except Exception:  # a worker that could not start (no importable __main__) or a PDF error: read here,
        pass           # where a PDF error is raised as ours
    import pdfplumber
    try:
        with pdfplumber.open(path) as pdf:
            return _read_pages(pdf, 1, count, settings)
    except Exception as e:
        raise _pdf_error(path, e) from None


def _pdf_error(path: Path, exc: Exception) -> Exception:
    inner = exc.args[0] if type(exc).__name__ == "PdfminerException" and exc.args else exc
    name = type(inner).__name__
    if "Password" in name or "Encrypt" in name:
        return EncryptedPDFError(path, "パスワードで保護された PDF です", f"encrypted PDF: {name}",
                                 "パスワードを外した PDF を用意してください", "remove the password, e.g. qpdf --decrypt")
    detail = str(inner) or name
    return CorruptPDFError(path, "PDF が壊れているか途中で切れています", f"corrupt or truncated PDF: {name}: {detail[:120]}",
                           "元の PDF をもう一度ダウンロードするか書き出し直してください", "download or export it again")


def _light(color) -> bool:
    """White or near white in gray, RGB or CMYK."""
    if not isinstance(color, (tuple, list)) or not color or not all(isinstance(v, (int, float)) for v in color):
        return False
    if len(color) == 4:  # CMYK: no ink
        return max(color) <= 0.15
    return min(color) >= 0.85


def _font_name(name: str) -> str:
    return name.split("+", 1)[1] if "+" in name[:8] else name


def _char_box(c: dict, page_height: float) -> tuple[float, float]:
    """top and bottom of a character, from its baseline: fonts report their
    ascent and descent differently (a Latin digit in a browser-printed Japanese
    line sits 5 pt lower by its own box), the baseline they share."""
    size = float(c["size"]) or 1.0
    if not c.get("matrix"):
        return float(c["top"]), float(c["bottom"])
    base = page_height - float(c["matrix"][5])
    return base - 0.88 * size, base + 0.12 * size


def _raw_page(page, number: int, settings: ReaderSettings = DEFAULT_SETTINGS) -> RawPage:
    height = float(page.height)
    chars = tuple(
        Char(c["text"], float(c["x0"]), float(c["x1"]), *_char_box(c, height), float(c["size"]),
             _font_name(c.get("fontname", "")), _light(c.get("non_stroking_color")))
        for c in page.chars if c.get("upright", True))
    fills, rules = [], []
    for r in page.rects:
        box = (float(r["x0"]), float(r["top"]), float(r["x1"]), float(r["bottom"]))
        if r.get("fill") and not _light(r.get("non_stroking_color")) and box[3] - box[1] > 4:
            fills.append(box)
        elif box[3] - box[1] <= 2 and box[2] - box[0] > 20:
            rules.append(box)
    fills += [(float(r["x0"]), float(r["top"]), float(r["x1"]), float(r["bottom"])) for r in page.curves
              if r.get("fill") and not _light(r.get("non_stroking_color")) and r["bottom"] - r["top"] > 4]
    finder = page.debug_tablefinder({"explicit_horizontal_lines": open_table_edges(page.edges, settings.rule_tolerance)})
    def band(box) -> bool:  # a filled rectangle's own edges make a one-cell "table": it is a band
        return any(abs(f[0] - box[0]) <= 2 and abs(f[1] - box[1]) <= 2 and abs(f[2] - box[2]) <= 2
                   and abs(f[3] - box[3]) <= 2 for f in fills)

    tables = [RawTable(tuple(t.bbox), tuple(tuple(r.cells) for r in t.rows)) for t in finder.tables
              if not (len(t.cells) == 1 and band(t.bbox))]
    # pdfplumber drops one-cell tables; a boxed heading row is one, and holds text
    in_tables = {c for t in finder.tables for c in t.cells}
    tables += [RawTable(tuple(c), ((tuple(c),),)) for c in finder.cells if c not in in_tables and not band(c)]
    return RawPage(number, float(page.width), float(page.height), chars, tuple(tables), len(page.images),
                   tuple(fills), tuple(rules))


def open_table_edges(edges: list[dict], tol: float = DEFAULT_SETTINGS.rule_tolerance) -> list[float]:
    """y of the missing rule where a table is left open at a page break (its
    vertical rules end, or start, without a horizontal rule there), so that the
    broken row is still found as a cell."""
    verticals = [e for e in edges if e["orientation"] == "v"]
    # a border drawn as a thin filled rectangle has short caps: they close nothing
    horizontals = [e for e in edges if e["orientation"] == "h" and e["x1"] - e["x0"] > 3 * tol]

    def closed(x: float, y: float) -> bool:
        return any(abs(h["top"] - y) <= tol and h["x0"] - tol <= x <= h["x1"] + tol for h in horizontals)

    ys: set[float] = set()
    for v in verticals:
        for y in (v["top"], v["bottom"]):
            if not closed(v["x0"], y):
                ys.add(round(y, 1))
    return sorted(ys)


def check_text_layer(path: Path, pages: list[RawPage]) -> None:
    """A scanned PDF has images but no characters: say which page, and to OCR it."""
    if not pages:
        raise CorruptPDFError(path, "PDF にページがありません（0 ページ）", f"the PDF has no pages: {Path(path).name}",
                              "元の PDF を書き出し直してください", "export it again")
    blank = [p for p in pages if not any(c.text.strip() for c in p.chars)]
    if not pages or len(blank) == len(pages) or \
            sum(1 for p in blank if p.images) * 2 > len(pages):
        first = next((p for p in blank if p.images), blank[0] if blank else None)
        where = f"{first.number} ページ目" if first else "どのページ"
        raise ImageOnlyPDFError(
            path, f"{where}に文字情報がありません",
            f"image-only PDF: page {first.number if first else 1} of {Path(path).name} has no text layer",
            "OCR をかけてテキスト付き PDF にしてください", "OCR it first, e.g. ocrmypdf")
