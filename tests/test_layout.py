"""The layout rules the import-linter contract cannot express: no private names cross a module boundary,
every function-level import says why it is lazy, and the tests mirror ``src/``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "shopmind"
TESTS = ROOT / "tests"
SOURCES = sorted(SRC.rglob("*.py"))
#: test files that are about the whole tree rather than one module
WHOLE_TREE = {"test_docstrings.py", "test_layout.py"}


def _module(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(tree: ast.AST) -> list[tuple[ast.ImportFrom | ast.Import, bool]]:
    """Every import with whether it sits inside a function."""
    out: list[tuple[ast.ImportFrom | ast.Import, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                out.append((child, in_function))
            visit(child, in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef))

    visit(tree, False)
    return out


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: _module(p))
def test_no_private_name_is_imported_from_another_module(path: Path) -> None:
    bad = []
    for node, _ in _imports(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("shopmind"):
            modules = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            names = [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            modules, names = [a.name for a in node.names if a.name.startswith("shopmind")], []
        else:
            continue
        private = [n for n in names if _private(n)]
        private += [m for m in modules if any(_private(part) for part in m.split("."))]
        if private:
            bad.append(f"line {node.lineno}: {', '.join(private)}")
    assert not bad, f"{path.relative_to(ROOT)} imports private names: {bad}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: _module(p))
def test_function_level_imports_say_why_they_are_lazy(path: Path) -> None:
    """A function-level import needs ``# lazy: <reason>`` on its line or the line above (one comment covers a
    run of consecutive imports): an optional or heavy dependency, loaded only where it is used."""
    lines = path.read_text().splitlines()
    bad = []
    for node, in_function in _imports(ast.parse("\n".join(lines))):
        if not in_function:
            continue
        row = node.lineno - 1
        while row > 0 and lines[row - 1].strip().startswith(("import ", "from ")) and "# lazy:" not in lines[row]:
            row -= 1  # climb a run of imports to the first one
        marked = "# lazy:" in lines[row] or (row > 0 and lines[row - 1].strip().startswith("# lazy:"))
        if not marked:
            bad.append(f"line {node.lineno}: {lines[node.lineno - 1].strip()}")
    assert not bad, f"{path.relative_to(ROOT)}: function-level imports without a '# lazy: reason': {bad}"


def _tested_module(test: Path) -> Path | None:
    """The source module a test file is about: ``tests/a/test_b_c.py`` -> ``src/shopmind/a/b_c.py``, or the
    longest prefix of the name that is a module (``test_grounding_planted_facts.py`` -> ``grounding.py``)."""
    folder = SRC.joinpath(*test.parent.relative_to(TESTS).parts)
    words = test.stem.removeprefix("test_").split("_")
    for n in range(len(words), 0, -1):
        name = "_".join(words[:n])
        for candidate in (folder / f"{name}.py", folder / name / "__init__.py"):
            if candidate.exists():
                return candidate
    return None


@pytest.mark.parametrize("test", sorted(p for p in TESTS.rglob("test_*.py")
                                        if p.name not in WHOLE_TREE and "contracts" not in p.parts),
                         ids=lambda p: str(p.relative_to(TESTS)))
def test_every_test_file_mirrors_a_source_module(test: Path) -> None:
    assert _tested_module(test) is not None, (
        f"{test.relative_to(ROOT)} names no module of src/shopmind: tests live in tests/<package>/test_<module>.py")
