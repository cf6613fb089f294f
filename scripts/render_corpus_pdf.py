#!/usr/bin/env python
"""Render the corpus text export as a report-like PDF, as the PDF tests do, so a
person can look at it (e.g. `pdftoppm -r 80 -png -f 16 -l 16 OUT.pdf page`).

Usage: scripts/render_corpus_pdf.py OUT.pdf [--variant N|NAME]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.pdf_render import VARIANTS, LayoutError, render_corpus  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    names = ", ".join(f"{i}={v.name}" for i, v in enumerate(VARIANTS))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path, help="PDF to write")
    ap.add_argument("--variant", default="0", help=f"layout: {names} (default 0)")
    args = ap.parse_args(argv)
    try:
        layout = VARIANTS[int(args.variant)] if args.variant.isdigit() else \
            next(v for v in VARIANTS if v.name == args.variant)
    except (IndexError, StopIteration):
        print(f"error: no variant {args.variant!r}; use {names}", file=sys.stderr)
        return 2
    try:
        pages = render_corpus(args.out, layout)
    except LayoutError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"{args.out}: {pages} pages, layout {layout.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
