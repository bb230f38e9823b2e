"""A fresh clone or an installed wheel runs with nothing beside it: no `../shared` at run time."""

from __future__ import annotations

import ast
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.conftest import ROOT
from vk_emulator.schema import PACKAGED_SCHEMA_DIR, SCHEMA_DIR_ENV

RUNTIME_PACKAGES = ("bot", "handlers", "storage", "vk_emulator")
# A path component "shared" (`../shared`, `shared/vk-api-schema`, `"shared" / ...`).
SHARED_PATH = re.compile(r"^shared$|\bshared[/\\]|[/\\]shared\b")


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string nodes that are docstrings (they may mention the specs)."""
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def test_no_runtime_code_reads_the_shared_folder() -> None:
    """No string in the bot's, handlers', storage's or emulator's code is a path into `shared`."""
    offenders: list[str] = []
    for package in RUNTIME_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text("utf-8"))
            skip = _docstrings(tree)
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and id(node) not in skip
                    and SHARED_PATH.search(node.value)
                ):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}")
    assert offenders == []


def test_emulator_schema_loads_from_an_empty_folder(tmp_path: Path) -> None:
    """The emulator's schema loader works from a copy of the package with nothing beside it."""
    site = tmp_path / "site"
    shutil.copytree(
        ROOT / "vk_emulator", site / "vk_emulator", ignore=shutil.ignore_patterns("__pycache__")
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k != SCHEMA_DIR_ENV}
    env["PYTHONPATH"] = str(site)
    script = (
        "from vk_emulator.schema import load_schema; s = load_schema(); "
        "print(s.directory); print(len(s.methods))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=empty,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    directory, methods = result.stdout.split()
    assert Path(directory).is_relative_to(site)
    assert int(methods) > 100


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_vendored_schema_is_complete_and_minimal() -> None:
    """Every $ref resolves inside the vendored copy, and every file is reachable from a section
    the emulator serves."""
    files = {
        p.relative_to(PACKAGED_SCHEMA_DIR).as_posix() for p in PACKAGED_SCHEMA_DIR.rglob("*.json")
    }
    roots = [
        f"{section}/methods.json"
        for section in ("messages", "groups", "docs", "photos", "utils", "users", "execute")
    ] + ["callback/objects.json", "base/objects.json"]
    seen: set[str] = set()
    missing: set[str] = set()
    stack = list(roots)
    while stack:
        rel = stack.pop()
        if rel in seen:
            continue
        if rel not in files:
            missing.add(rel)
            continue
        seen.add(rel)
        doc = json.loads((PACKAGED_SCHEMA_DIR / rel).read_text("utf-8"))
        for ref in _refs(doc):
            target = ref.split("#", 1)[0]
            if target:
                stack.append(posixpath.normpath(posixpath.join(posixpath.dirname(rel), target)))
    assert missing == set()
    assert files == seen


def test_vendored_schema_names_its_licence_and_source() -> None:
    """The vendored copy carries VK's licence and says where it came from."""
    assert "MIT License" in (PACKAGED_SCHEMA_DIR / "LICENSE").read_text("utf-8")
    source = (PACKAGED_SCHEMA_DIR / "SOURCE.txt").read_text("utf-8")
    assert "https://github.com/VKCOM/vk-api-schema" in source
    assert re.search(r"Commit: [0-9a-f]{40}", source)


def test_schema_libraries_are_core_dependencies() -> None:
    """`demo` runs the emulator, so its validation libraries install with the bot itself."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    names = {re.split(r"[<>=!~\[ ;]", dep, maxsplit=1)[0] for dep in project["dependencies"]}
    assert {"jsonschema", "jsonschema-rs", "referencing"} <= names


def test_wheel_carries_the_schema(tmp_path: Path) -> None:
    """The built wheel holds every vendored schema file with its licence and source."""
    source = tmp_path / "src"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(".venv", ".git", "build", "data", "__pycache__", "*.egg-info"),
    )
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    (wheel,) = tmp_path.glob("sferum_bot-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        "vk_emulator/vk_api_schema/" + p.relative_to(PACKAGED_SCHEMA_DIR).as_posix()
        for p in PACKAGED_SCHEMA_DIR.rglob("*")
        if p.is_file()
    }
    assert expected - names == set()
    assert "vk_emulator/vk_api_schema/LICENSE" in names
