"""Render a PPTX deck as LibreOffice draws it and find text that leaves its box.

`to_pdf` converts decks (and documents) to PDF with `soffice --headless`; `check_deck` saves one PNG
per slide (pypdfium2) for a reviewer, and returns, per slide, the characters
drawn outside every text box of that slide (LibreOffice lets overflowing text
run on below its box, so such characters are exactly the overflow)."""
from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

EMU_PER_PT = 12700
TOLERANCE_PT = 3.0


@dataclass
class SlideCheck:
    number: int
    outside: list[str]  # 「字 (x, y)」 for each character outside every box
    png: Path | None


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_pdf(files: list[Path], outdir: Path) -> list[Path]:
    """All files in one LibreOffice run (each start costs seconds); distinct stems, one PDF each."""
    profile = Path("/tmp") / f"pfkb-lo-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        run = subprocess.run([soffice(), f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                              "--outdir", str(outdir), *map(str, files)], capture_output=True, text=True, timeout=400)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    pdfs = [outdir / (f.stem + ".pdf") for f in files]
    missing = [p.name for p in pdfs if not p.exists()]
    assert run.returncode == 0 and not missing, f"{missing}: {run.stdout} {run.stderr}"
    return pdfs


# line-end punctuation that Japanese layout lets hang past the right edge of the box
HANGING = set("、。，．,.）」』")


def text_boxes(pptx: Path) -> list[list[tuple[float, float, float, float]]]:
    """Per slide, the boxes (x0, top, x1, bottom in points) of every shape with text."""
    from pptx import Presentation
    deck = Presentation(str(pptx))
    out = []
    for slide in deck.slides:
        boxes = []
        for sh in slide.shapes:
            if sh.has_text_frame and sh.text_frame.text.strip():
                boxes.append((sh.left / EMU_PER_PT, sh.top / EMU_PER_PT, (sh.left + sh.width) / EMU_PER_PT,
                              (sh.top + sh.height) / EMU_PER_PT))
        out.append(boxes)
    return out


def check_deck(pptx: Path, pdf: Path, png_dir: Path | None = None) -> list[SlideCheck]:
    import pdfplumber
    boxes = text_boxes(pptx)
    checks = []
    with pdfplumber.open(str(pdf)) as doc:
        assert len(doc.pages) == len(boxes), f"{pdf.name}: {len(doc.pages)} pages for {len(boxes)} slides"
        for i, (page, mine) in enumerate(zip(doc.pages, boxes), 1):
            outside = []
            for ch in page.chars:
                if not ch["text"].strip():
                    continue
                hang = (ch["x1"] - ch["x0"]) if ch["text"] in HANGING else 0
                inside = any(x0 - TOLERANCE_PT <= ch["x0"] and ch["x1"] <= x1 + TOLERANCE_PT + hang
                             and top - TOLERANCE_PT <= ch["top"] and ch["bottom"] <= bottom + TOLERANCE_PT
                             for x0, top, x1, bottom in mine)
                on_page = ch["x1"] <= page.width + 1 and ch["bottom"] <= page.height + 1
                if not inside or not on_page:
                    outside.append(f"{ch['text']} ({ch['x0']:.0f}, {ch['top']:.0f})")
            checks.append(SlideCheck(i, outside, None))
    if png_dir is not None:
        for check, path in zip(checks, render_pdf_pages(pdf, png_dir)):
            check.png = path
    return checks


def render_pdf_pages(pdf: Path, png_dir: Path) -> list[Path]:
    import pypdfium2
    png_dir.mkdir(parents=True, exist_ok=True)
    doc = pypdfium2.PdfDocument(str(pdf))
    out = []
    for i, page in enumerate(doc, 1):
        path = png_dir / f"{pdf.stem}-{i:02d}.png"
        page.render(scale=1.0).to_pil().save(path)
        out.append(path)
    doc.close()
    return out
