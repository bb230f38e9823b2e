"""The scripted demo passes every step, with no network and no setup."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.demo.fixture import load_fixture
from bot.demo.runner import Step, run_demo


async def test_demo_plays_every_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`sferum-bot demo` exits 0 and prints a readable transcript."""
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    assert await run_demo(out) == 0
    text = out.getvalue()
    assert "с ошибкой: 0" in text and "🤖" in text


async def test_demo_fails_on_a_wrong_reply(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A step whose expected reply does not come makes the demo exit non-zero."""
    monkeypatch.chdir(tmp_path)
    teacher = load_fixture().people[2].vk_id
    out = io.StringIO()
    code = await run_demo(out, lambda f: [Step(teacher, "проверка", text="Начать", expect=["такого нет"])])
    assert code == 1 and "в ответе нет: такого нет" in out.getvalue()


def test_fixture_has_the_demo_school() -> None:
    """A director, a deputy, about 25 teachers with classes and two weeks of figures."""
    fixture = load_fixture()
    roles = [p.role.value for p in fixture.people]
    assert roles.count("director") == 1 and roles.count("deputy") == 1
    assert 20 <= roles.count("teacher") <= 30
    assert all(len(p.stats) == 2 for p in fixture.people if p.role.value == "teacher")
    assert "Мониторинг" in fixture.stats_csv(0).decode("utf-8")
