"""Every answer to the questions in eval/ is byte-identical to the golden file: a refactor that
changes an answer fails here (regenerate on purpose: python -m tests.golden_answers)."""
import json

import pytest

from tests.golden_answers import GOLDEN, current, dump

pytestmark = pytest.mark.slow


def test_answers_match_golden(built_settings):
    want = json.loads(GOLDEN.read_text(encoding="utf-8"))
    got = current(built_settings)
    assert sorted(got) == sorted(want), "the question set changed: regenerate tests/golden/answers.json"
    changed = [q for q in want if got[q] != want[q]]
    assert not changed, f"{len(changed)} answers changed, e.g. {changed[0]!r}:\n" + dump(
        {k: (want[changed[0]][k], got[changed[0]][k]) for k in want[changed[0]] if want[changed[0]][k] != got[changed[0]][k]})[:3000]
