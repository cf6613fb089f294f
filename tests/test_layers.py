"""The house's layers (docs/architecture.md): every import points down or sideways within its own
unit, never up, and no two units import each other. Lazy imports inside functions count too."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# unit (a package or module) -> layer; a module belongs to the longest unit that prefixes it
LAYERS = {
    "kb.core": 0,  # records, errors, settings, vocabulary, text normalisation, cache
    "ingest.model": 1, "ingest.readers": 1, "ingest.report": 1, "ingest.read": 1,  # file -> records, pure
    "ingest.recognise": 1,  # section tree, numbering and label grammars, step classifier (kb.core + ingest.model only)
    "ingest.worker": 1,  # ingest.read in a limited worker process
    "kb.store": 1,  # SQLite store and stored source files
    "kb.search": 2,  # tokenizer, embedder, index, retrievers, searcher
    "ingest.pipeline": 3,  # read -> store -> index
    "kb.answer": 3, "kb.browse": 3, "kb.export": 3,  # the assistant, browsing, exports
    "eval": 4,
    "api": 5,  # the CLI and the HTTP service: the only places that wire everything together
}
PACKAGES = ("kb", "ingest", "eval", "api")


def unit_of(module: str) -> str | None:
    best = None
    for u in LAYERS:
        if (module == u or module.startswith(u + ".")) and (best is None or len(u) > len(best)):
            best = u
    return best


def modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for p in (ROOT / pkg).rglob("*.py"):
            mod = ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            out[mod] = p
    return out


def imports_of(path: Path, module: str) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import
                base = module.split(".")[:-node.level] if not path.name == "__init__.py" else module.split(".")[:len(module.split(".")) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.add(name)
            found |= {f"{name}.{a.name}" for a in node.names}  # `from kb import browse` names a module
    return {f for f in found if f.split(".")[0] in PACKAGES}


def edges() -> list[tuple[str, str, str]]:
    mods = modules()
    out = []
    for mod, path in mods.items():
        src = unit_of(mod)
        for imp in imports_of(path, mod):
            dst = unit_of(imp)
            if dst is None and imp in PACKAGES:
                continue
            out.append((mod, imp, dst))
    return out


def test_every_module_has_a_layer():
    missing = [m for m in modules() if unit_of(m) is None and m not in PACKAGES]
    assert not missing, f"add these modules to a layer in tests/test_layers.py and docs/architecture.md: {missing}"


def test_no_import_points_up():
    up = [f"{m} ({unit_of(m)}, layer {LAYERS[unit_of(m)]}) imports {imp} ({dst}, layer {LAYERS[dst]})"
          for m, imp, dst in edges() if dst is not None and unit_of(m) is not None and LAYERS[dst] > LAYERS[unit_of(m)]]
    assert not up, "\n".join(up)


def test_no_loops_between_units_or_folders():
    units = {(unit_of(m), dst) for m, _imp, dst in edges() if dst and unit_of(m) and dst != unit_of(m)}
    loops = sorted({tuple(sorted(e)) for e in units if (e[1], e[0]) in units})
    assert not loops, f"units that import each other: {loops}"
    folders = {(a.split(".")[0], b.split(".")[0]) for a, b in units if a.split(".")[0] != b.split(".")[0]}
    loops = sorted({tuple(sorted(e)) for e in folders if (e[1], e[0]) in folders})
    assert not loops, f"top-level folders that import each other: {loops}"


def test_the_layer_test_catches_an_upward_import(tmp_path):
    """The check itself works: an import of the HTTP layer from the core is reported."""
    p = tmp_path / "x.py"
    p.write_text("def f():\n    from api.app import create_app\n", encoding="utf-8")
    imps = imports_of(p, "kb.core.x")
    assert "api.app" in imps and LAYERS[unit_of("api.app")] > LAYERS[unit_of("kb.core.x")]
