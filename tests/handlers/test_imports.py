"""Imports driven through the neutral router by a fake messenger: a file in, the preview, «Применить»."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.messaging import actions
from bot.messaging.events import FileRef
from bot.services.imports import ImportService
from storage.db import Database
from storage.imports import ImportsSql
from tests.handlers.conftest import DEPUTY, TEACHER, NeutralBot, neutral_bot, neutral_deps
from tests.imports.tables import ROSTER_HEADER, xlsx
from tests.summary.conftest import school_settings  # noqa: F401

# Two people where the school has five: the other four would be marked as left, so it waits for «Применить».
SHORT_ROSTER = xlsx([ROSTER_HEADER, ["Иванова Анна Петровна", "учитель", "5А", ""],
                     ["Новикова Дарья Павловна", "учитель", "", ""]])


@pytest.fixture
async def bot(db: Database, school_settings: Settings) -> NeutralBot:  # noqa: F811
    """The converted routers with imports wired; the fake messenger holds the file a deputy sends."""
    deps = await neutral_deps(db, school_settings)
    deps.imports = ImportService(ImportsSql(db), school_settings, clock=deps.clock)
    found = neutral_bot(deps)
    found.messenger.files["doc:staff"] = SHORT_ROSTER
    return found


def _file(size: int | None = None) -> FileRef:
    return FileRef(name="staff.xlsx", ref="doc:staff", size=size if size is not None else len(SHORT_ROSTER))


async def _names(bot: NeutralBot) -> list[str]:
    return sorted(p.full_name for p in await bot.deps.people.in_org("school1") if p.source != "config")


async def test_file_preview_and_apply(bot: NeutralBot) -> None:
    """A roster that marks people as left is previewed with «Применить»; pressing it applies the file."""
    before = await _names(bot)
    assert await bot.say(DEPUTY, files=(_file(),))
    preview = bot.messenger.sent[-1]
    assert preview.text.startswith("Прежде чем загрузить список сотрудников из «staff.xlsx»")
    assert preview.keyboard is not None
    apply = actions.ImportApply.parse(preview.keyboard.rows[0][0].payload)
    assert apply is not None and preview.keyboard.rows[0][0].label == "Применить"
    assert await _names(bot) == before
    assert await bot.press(DEPUTY, apply.pack())
    assert bot.messenger.answers[-1].text == "Применяю"
    assert await _names(bot) == ["Иванова Анна Петровна", "Новикова Дарья Павловна"]
    held = await bot.deps.imports.held(apply.confirmation_id)
    assert held is not None and held.status == "applied"


async def test_refusals_change_nothing(bot: NeutralBot) -> None:
    """A teacher's file, a forged «Применить», «Отменить» and a file over the limit: refused, nothing changes."""
    before = await _names(bot)
    assert await bot.say(TEACHER, files=(_file(),))
    assert "заместител" in bot.messenger.sent[-1].text
    assert await bot.say(DEPUTY, files=(_file(),))
    keyboard = bot.messenger.sent[-1].keyboard
    assert keyboard is not None
    cancel = actions.ImportCancel.parse(keyboard.rows[1][0].payload)
    assert cancel is not None
    assert await bot.press(DEPUTY, {"cmd": "imp_ok", "c": "1; DROP"})
    assert bot.messenger.answers[-1].text == "Кнопка устарела — пришлите файл снова"
    assert await bot.press(DEPUTY, cancel.pack())
    assert bot.messenger.sent[-1].text == "Загрузку «staff.xlsx» отменил: ничего не изменилось."
    assert await bot.say(DEPUTY, files=(_file(size=10**9),))
    assert "файл больше" in bot.messenger.sent[-1].text
    assert await _names(bot) == before
