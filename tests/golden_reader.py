"""Golden reader output for the real PDFs in tests/pdfs/: headings with their levels and
pages (index and printed), the table of contents, the furniture taken out, and a digest of
the body text. Regenerate deliberately, when the reader is meant to read them differently:
  python -m tests.golden_reader   (writes tests/golden/reader_<name>.json)"""
from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

from ingest.model import Heading, Paragraph, Table, Toc

ROOT = Path(__file__).resolve().parent.parent
PDFS = ROOT / "tests" / "pdfs"
GOLDEN = ROOT / "tests" / "golden"


def golden_path(pdf: Path) -> Path:
    return GOLDEN / f"reader_{pdf.stem}.json"


def reduce(doc) -> dict:
    """What a reader of the model sees, as plain JSON."""
    body = "\n".join(b.text for b in doc.blocks if isinstance(b, (Paragraph, Heading)))
    return {
        "pages": doc.pages,
        "headings": [[h.loc.page, h.loc.printed_page, h.level, h.source, h.text] for h in doc.headings],
        "toc": [[e.level, e.text, e.page_label] for t in doc.tocs for e in t.entries],
        "furniture": dict(sorted(Counter(f.kind for f in doc.furniture).items())),
        "printed_pages": {str(b.loc.page): b.loc.printed_page for b in doc.blocks
                          if isinstance(b, (Paragraph, Heading)) and b.loc.page},
        "paragraphs": sum(isinstance(b, Paragraph) for b in doc.blocks),
        "tables": sum(isinstance(b, Table) for b in doc.blocks),
        "body_sha256": hashlib.sha256(body.encode("utf-8")).hexdigest(),
    }


def main() -> None:
    from ingest.readers.pdf import pdf_to_document
    for pdf in sorted(PDFS.glob("*.pdf")):
        out = golden_path(pdf)
        out.write_text(json.dumps(reduce(pdf_to_document(pdf)), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print("wrote", out)


if __name__ == "__main__":
    main()
