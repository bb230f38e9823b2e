"""`doctor` findings against the emulator's community settings."""

from __future__ import annotations

import pytest

from bot.commands.doctor import _check
from bot.config import Settings
from vk_emulator.client import EmulatorControl


async def test_all_good(e2e_settings: Settings, control: EmulatorControl) -> None:
    """A correctly set up community passes, and the report says what it cannot check."""
    text, ok = await _check(e2e_settings)
    assert ok, text
    assert "Всё в порядке" in text and "Возможности ботов" in text


@pytest.mark.parametrize(
    ("community", "expected"),
    [
        ({"long_poll": False}, "Long Poll API выключен"),
        ({"api_version": "5.131"}, "Версия Long Poll API 5.131"),
        ({"events": ["message_new", "message_reply"]}, "Действие с сообщением"),
        ({"token_scopes": ["messages"]}, "фотографии, документы"),
    ],
)
async def test_each_problem_is_named_with_a_fix(e2e_settings: Settings, control: EmulatorControl,
                                                community: dict[str, object], expected: str) -> None:
    """Each wrong community setting gives its own finding and a fix."""
    await control.community(**community)
    text, ok = await _check(e2e_settings)
    assert not ok
    assert expected in text and "Как исправить" in text


async def test_wrong_token(e2e_settings: Settings) -> None:
    """A token VK does not accept is reported with how to make a new one."""
    settings = e2e_settings.model_copy(update={"vk": e2e_settings.vk.model_copy(
        update={"token": type(e2e_settings.vk.token)("wrong")})})
    text, ok = await _check(settings)
    assert not ok and "Ключи доступа" in text


async def test_no_token(e2e_settings: Settings) -> None:
    """No token at all: one finding, how to set it."""
    settings = e2e_settings.model_copy(update={"vk": e2e_settings.vk.model_copy(
        update={"token": type(e2e_settings.vk.token)("")})})
    text, ok = await _check(settings)
    assert not ok and "SFERUM_VK__TOKEN" in text
