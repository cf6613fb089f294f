"""Golden records of real documents in corpus/ (regression fixtures): what each record is, where it
cites, how long it is. Regenerate on purpose with ``python -m tests.golden_records`` and say why in
the commit."""
from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
DOCUMENTS = {"juten_keikaku_r7_gaiyou_kihonhoushin.pdf": "juten_keikaku_records.json"}


def records_summary(parsed) -> list[dict]:
    return [{"kind": r.kind, "title": r.title, "section": r.source.section, "page": r.source.page,
             "printed_page": r.source.printed_page, "end_printed_page": r.source.end_printed_page, "numbering": r.fields.get("number") or r.fields.get("numbering"),
             "chars": len(r.text), "fields": sorted(k for k in r.fields.get("labelled_fields", {}))}
            for r in parsed.records]


def parse(name: str):
    from ingest.pipeline import load_manifest
    from ingest.read import read_document
    corpus = ROOT / "corpus"
    return read_document(corpus / name, load_manifest(corpus).get(name))


def main() -> None:
    for name, golden in DOCUMENTS.items():
        out = records_summary(parse(name))
        (GOLDEN / golden).write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"{golden}: {len(out)} records")


if __name__ == "__main__":
    main()
