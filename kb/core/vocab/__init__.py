"""The vocabulary of the domain as data: synonyms, stop words, step and phase words, question cues,
labels shown to users. Logic modules read these tables; none holds a word list of its own.

Tables live beside this file as small data files (JSON or one entry a line) or as plain data modules,
one per concern, each loaded once:

  synonyms.json     spellings unified everywhere (プラットフォーム → PF), phrase rewrites before
                    tokenising, token synonyms on stems (設立 → 立ち上)
  stopwords.txt     the shared stop list: words that carry no content for search
  sudachi_pos.json  the Sudachi part-of-speech tags the tokenizer indexes or drops
  steps.json        words that point at a step, phase or scope in a question
  kind_labels.json  how each record kind is named in the text the retrievers read
  cues.json         question cues: record kinds asked for, a city's case, a whole set-up; how a
                    municipality is named without its suffix
  chars.json        code point repairs NFKC does not make (CJK radicals supplement → kanji, dot and
                    dash variants), read by kb/core/normalize.py
  trials.json       trial projects: the R/P/D activity categories, their labels, the words in a
                    trial's name that place it, the headings of its detail page
  export.json       labels of the exports: each step's aim, CSV columns, chart legend, table headers
  labels.json       labels shown to users: record kinds on the browse pages, recogniser names
  api_messages.json the HTTP service's Japanese messages: validation errors, error statuses
  documents.json    how a question names a document by its level of government (「国の計画では」),
                    and what makes a title phrase a document's name (kb/search/documents.py)
Each JSON table carries a ``_doc`` entry that says what its keys mean."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


@lru_cache(maxsize=None)
def load_json(name: str) -> Any:
    """A JSON table beside this module, e.g. ``load_json("synonyms")`` reads synonyms.json."""
    return json.loads((HERE / f"{name}.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def load_lines(name: str) -> tuple[str, ...]:
    """A list table (one entry a line, ``#`` comments) beside this module, e.g. stopwords.txt."""
    out = []
    for line in (HERE / f"{name}.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            out.append(line)
    return tuple(out)


def unify_spellings(text: str) -> str:
    """Variant spellings and abbreviations to their canonical form (プラットフォーム → PF), synonyms.json."""
    for long, canonical in load_json("synonyms")["spellings"]:
        text = text.replace(long, canonical)
    return text
