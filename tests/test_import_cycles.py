"""No module import cycles inside the project's packages (a lazy import inside a function counts too)."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGES = ("bot", "handlers", "storage", "max_emulator", "vk_emulator", "emulator_common")


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules `path` (module `name`) imports: `from a.b import c` is `a.b.c` when that
    is a module, else `a.b`; relative imports are resolved against the module's package."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in known)
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            for alias in node.names:
                if f"{module}.{alias.name}" in known:
                    found.add(f"{module}.{alias.name}")
                elif module in known:
                    found.add(module)
    found.discard(name)
    return found


def module_graph(root: Path, packages: tuple[str, ...]) -> dict[str, set[str]]:
    """Each module of `packages` under `root` → the modules of those packages it imports."""
    paths = {_module_name(root, p): p for package in packages for p in sorted((root / package).rglob("*.py"))}
    known = set(paths)
    return {name: _imported(name, path, known) for name, path in paths.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (its modules, the first repeated at the end), or None."""
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as exc:
        return list(exc.args[1])
    return None


def test_the_packages_have_no_import_cycle() -> None:
    """bot/, handlers/, storage/ and the emulators import each other's modules without a cycle."""
    assert find_cycle(module_graph(ROOT, PACKAGES)) is None


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")


@pytest.mark.parametrize("b_source", [
    "from pkg.a import thing\n",
    "def later():\n    from pkg import a\n",
    "from . import a\n",
    "from .a import thing\n",
    "import pkg.sub.c\n",
])
def test_a_cycle_is_found(tmp_path: Path, b_source: str) -> None:
    """A cycle through a top-level, a lazy, a relative or an indirect import is caught."""
    _write(tmp_path, {
        "pkg/__init__.py": "", "pkg/a.py": "from pkg.b import other\nthing = 1\n", "pkg/b.py": b_source,
        "pkg/sub/__init__.py": "", "pkg/sub/c.py": "from ..a import thing\n",
    })
    cycle = find_cycle(module_graph(tmp_path, ("pkg",)))
    assert cycle is not None and "pkg.a" in cycle and "pkg.b" in cycle


def test_imports_without_a_cycle_pass(tmp_path: Path) -> None:
    """Modules importing one way only (and the standard library) are no cycle."""
    _write(tmp_path, {"pkg/__init__.py": "", "pkg/a.py": "import json\nfrom pkg.b import x\n",
                      "pkg/b.py": "from pkg import c\nx = 1\n", "pkg/c.py": "from . import d\n", "pkg/d.py": ""})
    graph = module_graph(tmp_path, ("pkg",))
    assert graph["pkg.a"] == {"pkg.b"} and graph["pkg.c"] == {"pkg.d"}
    assert find_cycle(graph) is None
