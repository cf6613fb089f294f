"""Gold constraints on documents and pages (question sets of documents other than the report)."""
from pathlib import Path

import pytest

from eval.metrics import gold_match
from eval.questions import read_questions

ROOT = Path(__file__).resolve().parent.parent


def item(document="juten_keikaku", page=7, printed="4", end_page=None, end_printed=None):
    src = {"document": document, "page": page, "printed_page": printed}
    if end_page is not None:
        src |= {"end_page": end_page, "end_printed_page": end_printed}
    return {"kind": "context", "title": "基本理念", "source": src}


def test_document_and_printed_page():
    assert gold_match(item(), {"document~": "juten", "page": 4})
    assert gold_match(item(), {"document~": "juten", "pdf_page": 7})
    assert not gold_match(item(), {"document~": "r6-kanto"})
    assert not gold_match(item(), {"page": 5})
    assert not gold_match({"kind": "lesson", "source": {"document": "juten"}}, {"page": 4})  # no printed page


def test_a_record_spanning_pages_matches_each():
    spanning = item(page=7, printed="4", end_page=9, end_printed="6")
    assert gold_match(spanning, {"page": 5}) and gold_match(spanning, {"pdf_page": 9})
    assert not gold_match(spanning, {"page": 7})


@pytest.mark.parametrize("path", sorted((ROOT / "eval" / "sets").glob("*.jsonl")), ids=lambda p: p.name)
def test_every_question_set_reads(path):
    qs = read_questions(path)
    assert qs and all(q.extra.get("split") in path.name for q in qs)
