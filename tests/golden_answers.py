"""Golden answers: the answer to every question in eval/ (and a few awkward ones), reduced to what a
user sees, so that a refactor can prove it changed no answer. Regenerate deliberately, when an answer is
meant to change, with:  python -m tests.golden_answers [--data-dir FRESHLY_BUILT_DIR]  (writes
tests/golden/answers.json)."""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "answers.json"
EXTRA = ["札幌市ではPFの立ち上げをどう進めましたか", "生活保護の申請に必要な書類は？", "市原市の試行的事業で一番費用がかかったものは？",
         "NPOから見て行政と組むときに困ったことは？", "予算", "熊本市と福岡市の違いは？", "福岡市のPFはいつ立ち上がった？"]


def questions() -> list[str]:
    out = []
    for name in ("dev_questions.jsonl", "own_questions.jsonl"):
        for line in (ROOT / "eval" / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(json.loads(line)["question"])
    return out + EXTRA


def reduce(answer: dict[str, Any], hits: list[list]) -> dict[str, Any]:
    full = json.dumps(answer, ensure_ascii=False, sort_keys=True)
    return {"question_type": answer["question_type"], "no_evidence": answer["no_evidence"],
            "answer": answer["answer"], "citations": [c["id"] for c in answer["citations"]],
            "related": [c["id"] for c in answer["related"]], "conflicts": answer["conflicts"],
            "search": [rid for rid, _score in hits],
            "sha256": hashlib.sha256(full.encode("utf-8")).hexdigest()}


def reduce_base(path: Path) -> dict[str, Any]:
    """Reduce a full dump ({question: {"answer", "search"}}) made at an earlier commit."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return {q: reduce(v["answer"], v["search"]) for q, v in data.items()}


def current(settings) -> dict[str, Any]:
    from kb.answer.pipeline import ask
    from kb.search.searcher import get_searcher
    searcher = get_searcher(settings)
    out = {}
    for q in questions():
        hits = [[h.record.id, h.score] for h in searcher.search(q, k=10)]
        out[q] = reduce(ask(settings, q, use_llm=False).to_dict(), hits)
    return out


def dump(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def main(argv: list[str]) -> None:
    if argv and argv[0] == "--from-base":  # python -m tests.golden_answers --from-base FULL_DUMP.json
        GOLDEN.write_text(dump(reduce_base(Path(argv[1]))), encoding="utf-8")
        return
    import tempfile

    from ingest.pipeline import ingest_corpus
    from kb.core.settings import Settings
    from kb.search.index import build_index
    if argv and argv[0] == "--data-dir":  # a data dir built fresh (`pfkb build --data-dir DIR`) from corpus/
        settings = Settings(data_dir=Path(argv[1]), corpus_dir=ROOT / "corpus")
    else:
        settings = Settings(data_dir=Path(tempfile.mkdtemp()), corpus_dir=ROOT / "corpus")
        ingest_corpus(settings)
        build_index(settings)
    GOLDEN.write_text(dump(current(settings)), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
