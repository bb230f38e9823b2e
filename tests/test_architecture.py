"""Layering: bot/ and storage/ know nothing of vkbottle; no SQL outside storage/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

# The VK adapter and the composition root are the only places that may import vkbottle.
VK_ALLOWED = ("bot/vk/", "bot/app.py")


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


def test_only_the_vk_adapter_and_the_root_import_vkbottle() -> None:
    """Everything but bot/vk/ and bot/app.py (handlers, storage, the demo, the CLI) stays free of vkbottle."""
    offenders = [
        str(p.relative_to(ROOT))
        for folder in ("bot", "storage", "handlers")
        for p in _files(folder)
        if "vkbottle" in _imports(p)
        and not str(p.relative_to(ROOT)).startswith(VK_ALLOWED)
    ]
    assert offenders == []


def test_only_storage_imports_sqlite() -> None:
    """SQL lives in storage/: nobody else opens a database (SQLite or PostgreSQL)."""
    offenders = [
        str(p.relative_to(ROOT))
        for folder in ("bot", "handlers")
        for p in _files(folder)
        if {"aiosqlite", "sqlite3", "psycopg", "psycopg_pool"} & _imports(p)
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


# --- the neutral layer (issue 14) ---
NEUTRAL = ("bot/domain/", "bot/services/", "bot/messaging/", "bot/stores/")
# Services that still take repositories straight from storage/ instead of a store protocol in
# bot/ports.py or bot/stores/, by module or package (a package split into files stays one entry). The list may
# only shrink: a new entry fails, and so does a listed one that no longer imports storage.
STORAGE_IMPORTS_LEFT: set[str] = set()


def _neutral_files() -> list[Path]:
    return [p for p in _files("bot") if str(p.relative_to(ROOT)).startswith(NEUTRAL)]


def _unit(path: Path) -> str:
    """`services/chats` for bot/services/chats/dialog.py, `services/access` for bot/services/access.py."""
    parts = path.relative_to(ROOT / "bot").with_suffix("").parts
    return "/".join(parts[:2])


# What a neutral module must never import (a module or any module under it): messenger libraries and
# adapters, database drivers. `storage` is checked separately, against the shrinking list above.
MESSENGERS_AND_DRIVERS = ("vkbottle", "aiohttp", "aiosqlite", "sqlite3", "psycopg", "bot.vk", "bot.max")


def _modules(source: str) -> set[str]:
    """Every module a source imports, dotted in full (also imports inside functions and TYPE_CHECKING)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return found


def _forbidden(source: str, banned: tuple[str, ...]) -> list[str]:
    """The banned modules (or modules under them) that `source` imports."""
    return sorted({m for m in _modules(source) for b in banned if m == b or m.startswith(b + ".")})


def test_domain_services_and_messaging_know_no_messenger_and_no_database_driver() -> None:
    """Domain, services and the conversation layer never import vkbottle, aiohttp, a SQLite driver or an adapter."""
    offenders = {str(p.relative_to(ROOT)): _forbidden(p.read_text("utf-8"), MESSENGERS_AND_DRIVERS)
                 for p in _neutral_files()}
    assert {k: v for k, v in offenders.items() if v} == {}


@pytest.mark.parametrize("line", [
    "import vkbottle", "from vkbottle.bot import Message", "from bot.vk.outbound import VkOutbound",
    "from bot.max import client", "import aiosqlite", "from storage.people import PeopleRepo",
    "import storage.db", "def f():\n    from storage.audit import AuditRepo",
])
def test_the_layer_checks_catch_a_violation(line: str) -> None:
    """A synthetic service importing a messenger, a driver or storage is caught by the checks above."""
    source = f"from bot.ports import Outbound\n{line}\n"
    assert _forbidden(source, (*MESSENGERS_AND_DRIVERS, "storage"))
    assert _forbidden("from bot.ports import Outbound\nfrom bot.vkontakte_words import X\n",
                      (*MESSENGERS_AND_DRIVERS, "storage")) == []


def test_storage_implementations_stay_out_of_new_neutral_code() -> None:
    """No domain, service or messaging module starts importing storage/; the known ones are listed to shrink."""
    importing = {_unit(p) for p in _neutral_files() if _forbidden(p.read_text("utf-8"), ("storage",))}
    assert importing - STORAGE_IMPORTS_LEFT == set(), "new storage imports in neutral code"
    assert STORAGE_IMPORTS_LEFT - importing == set(), "a module no longer imports storage: drop it from the list"


def _converted_handlers() -> list[Path]:
    """Handler modules that are neutral routers (they define `router = Router(...)`)."""
    found = []
    for path in _files("handlers"):
        tree = ast.parse(path.read_text("utf-8"))
        for node in tree.body:
            if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
                    and isinstance(node.value.func, ast.Name) and node.value.func.id == "Router"):
                found.append(path)
    return found


def test_converted_handlers_import_no_vkbottle() -> None:
    """A handler module written for the neutral router imports neither vkbottle nor the VK helpers."""
    converted = _converted_handlers()
    assert {p.stem for p in converted} >= {"summary", "reach", "live_counts", "chats", "menu", "commands",
                                             "broadcast", "identify", "privacy",
                                             "reminder_templates", "faq", "imports"}
    offenders = {}
    for path in converted:
        tree = ast.parse(path.read_text("utf-8"))
        modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        modules |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        bad = {m for m in modules if m.split(".")[0] == "vkbottle" or m.startswith(("bot.vk", "bot.max"))}
        if bad:
            offenders[path.name] = sorted(bad)
    assert offenders == {}


# --- one composition root (issue 14) ---
# Where services may be constructed: the composition root, and a service that builds its own parts.
BUILDERS = ("bot/composition.py", "bot/services/")


def _service_constructions(source: str) -> set[str]:
    """Names of `…Service(…)` and `ReminderTemplates(…)` constructor calls in a module's source."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            name = node.func.id
            if name.endswith("Service") or name == "ReminderTemplates":
                found.add(name)
    return found


def test_services_are_built_only_by_the_composition_root() -> None:
    """`run`, the demo, the CLI commands and handlers get services from build_services, never build their own."""
    offenders = {
        str(p.relative_to(ROOT)): sorted(_service_constructions(p.read_text("utf-8")))
        for folder in ("bot", "handlers")
        for p in _files(folder)
        if not str(p.relative_to(ROOT)).startswith(BUILDERS)
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_construction_check_sees_a_service_built_by_hand() -> None:
    """The check above is not vacuous: a command building its own service is caught."""
    assert _service_constructions("svc = ReminderService(db, settings)\nx = build_services(s, db, c)\n") == {
        "ReminderService"}


def test_only_the_operations_package_imports_prometheus() -> None:
    """Services and adapters report through the neutral bot.metrics port; prometheus_client stays in bot/ops/."""
    offenders = [
        str(p.relative_to(ROOT))
        for folder in ("bot", "handlers", "storage")
        for p in _files(folder)
        if "prometheus_client" in _imports(p) and not str(p.relative_to(ROOT)).startswith("bot/ops/")
    ]
    assert offenders == []
