"""Layering: bot/ and storage/ know nothing of vkbottle; no SQL outside storage/."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

# The VK adapter and the composition root are the only places in bot/ that may import vkbottle.
VK_ALLOWED = ("bot/vk/", "bot/app.py", "bot/demo/")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def _files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def test_bot_and_storage_do_not_import_vkbottle() -> None:
    """Domain, services and storage stay messenger-neutral."""
    offenders = [
        str(p.relative_to(ROOT))
        for folder in ("bot", "storage")
        for p in _files(folder)
        if "vkbottle" in _imports(p)
        and not str(p.relative_to(ROOT)).startswith(VK_ALLOWED)
    ]
    assert offenders == []


def test_only_storage_imports_sqlite() -> None:
    """SQL lives in storage/: nobody else opens a database."""
    offenders = [
        str(p.relative_to(ROOT))
        for folder in ("bot", "handlers")
        for p in _files(folder)
        if {"aiosqlite", "sqlite3"} & _imports(p)
    ]
    assert offenders == []


def test_bot_code_never_imports_the_emulator() -> None:
    """The emulator is wired in only by the CLI, tests, benchmarks and the demo."""
    allowed = ("bot/commands/", "bot/demo/")
    offenders = [
        str(p.relative_to(ROOT))
        for folder in ("bot", "handlers", "storage")
        for p in _files(folder)
        if {"vk_emulator", "max_emulator", "emulator_common"} & _imports(p)
        and not str(p.relative_to(ROOT)).startswith(allowed)
    ]
    assert offenders == []
