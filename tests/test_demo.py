"""The scripted demo passes every step on both messengers, with no network and no setup."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.cli import build_parser
from bot.demo.fixture import load_fixture
from bot.demo.runner import run_demo
from bot.demo.script import demo_steps
from bot.demo.steps import Step


async def test_demo_plays_every_step_on_both_messengers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`sferum-bot demo` exits 0, plays VK then MAX and lists what MAX cannot play yet, step by step."""
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    assert await run_demo(out) == 0
    text = out.getvalue()
    assert "🤖" in text and "эмулятор ВКонтакте" in text and "эмулятор MAX" in text
    steps = demo_steps(load_fixture())
    assert f"ВКонтакте: шагов {len(steps)}, сыграно {len(steps)}, с ошибкой: 0." in text
    not_on_max = [n for n, step in enumerate(steps, 1) if "max" in step.not_on]
    played = len(steps) - len(not_on_max)
    assert f"MAX: шагов {len(steps)}, сыграно {played}, с ошибкой: 0." in text
    if not_on_max:
        assert "Пока не работают в MAX: шаги " + ", ".join(map(str, not_on_max)) in text
    else:
        assert "Пока не работают в MAX" not in text
    # Each step MAX skips says so where it stands, with the reason.
    assert text.count("⏭ в MAX пока не работает: ") == len(not_on_max)
    assert played >= 17  # the summary, menus, status, chats, the broadcast dialog … play in MAX


async def test_demo_in_max_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--messenger max`: after the school's files (loaded by the stand-ins), the summary with its chart and
    xlsx arrives in MAX as three messages."""
    monkeypatch.chdir(tmp_path)
    director = next(p for p in load_fixture().people if p.role.value == "director").vk_id
    out = io.StringIO()
    summary = Step(director, "сводка", text="сводка", expect=["Сводка", "image", "file", ".xlsx"], files=2)
    assert await run_demo(out, lambda f: [*demo_steps(f)[1:4], summary], messengers=("max",)) == 0
    text = out.getvalue()
    assert "эмулятор MAX" in text and "ВКонтакте:" not in text and "📎 image" in text


async def test_demo_lists_a_step_that_cannot_run_and_runs_its_stand_in(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A step not yet on a messenger is printed with its reason (never hidden) and its stand-in runs."""
    monkeypatch.chdir(tmp_path)
    teacher = load_fixture().people[2].vk_id
    ran: list[str] = []

    async def stand_in(stage: object) -> str:
        ran.append("yes")
        return "сделано напрямую"

    steps = [Step(teacher, "проверка", text="Начать", expect=["Чем помочь"], not_on={"max": "причина"},
                  instead=stand_in)]
    out = io.StringIO()
    assert await run_demo(out, lambda f: steps, messengers=("max",)) == 0
    assert "⏭ в MAX пока не работает: причина" in out.getvalue() and "вместо этого: сделано напрямую" in out.getvalue()
    assert ran == ["yes"] and "сыграно 0" in out.getvalue()


async def test_demo_fails_on_a_wrong_reply(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A step whose expected reply does not come makes the demo exit non-zero."""
    monkeypatch.chdir(tmp_path)
    teacher = load_fixture().people[2].vk_id
    out = io.StringIO()
    code = await run_demo(out, lambda f: [Step(teacher, "проверка", text="Начать", expect=["такого нет"])],
                          messengers=("vk",))
    assert code == 1 and "в ответе нет: такого нет" in out.getvalue()


def test_demo_messenger_option() -> None:
    """`demo` plays both messengers by default; --messenger picks one and refuses others."""
    parser = build_parser()
    assert parser.parse_args(["demo"]).messenger is None
    assert parser.parse_args(["demo", "--messenger", "max"]).messenger == "max"
    with pytest.raises(SystemExit):
        parser.parse_args(["demo", "--messenger", "telegram"])


def test_fixture_has_the_demo_school() -> None:
    """A director, a deputy, about 25 teachers with classes and two weeks of figures."""
    fixture = load_fixture()
    roles = [p.role.value for p in fixture.people]
    assert roles.count("director") == 1 and roles.count("deputy") == 1
    assert 20 <= roles.count("teacher") <= 30
    assert all(len(p.stats) == 2 for p in fixture.people if p.role.value == "teacher")
    assert "Мониторинг" in fixture.stats_csv(0).decode("utf-8")
    started = [u for u in fixture.max_emulator_users() if u["started"]]
    assert len(started) == sum(p.allows_messages for p in fixture.people)
