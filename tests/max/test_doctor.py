"""`doctor` for MAX against the MAX emulator: the token, the update mode and the bot's rights in chats."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.cli import main
from bot.commands.doctor import _check
from bot.config import Settings
from bot.max.doctor import KnownChat
from max_emulator import MaxEmulator
from max_emulator.client import MaxEmulatorControl
from tests.max.conftest import TOKEN, max_only_settings

# The emulator delivers only to loopback addresses (MAX itself: HTTPS on port 443).
HOOK = "http://127.0.0.1:9/max/webhook"


async def subscribe(emu: MaxEmulator, url: str) -> None:
    """Subscribe `url` as another program holding the bot's token would."""
    async with aiohttp.ClientSession(headers={"Authorization": TOKEN}) as http, http.post(
            f"{emu.base_url}/subscriptions", json={"url": url}) as response:
        assert response.status == 200, await response.text()


def webhook_settings(tmp_path: Path, emu: MaxEmulator) -> Settings:
    return max_only_settings(tmp_path, emu, mode="webhook", webhook_secret="hook_secret", public_url=HOOK)


async def test_polling_bot_all_good(max_settings: Settings, max_ctl: MaxEmulatorControl) -> None:
    """A valid token, polling with no subscription and an admin that reads everything: all fine, MAX only."""
    await max_ctl.add_chat(-501, "Учителя 5-х классов", [7101], bot_is_admin=True, bot_reads_all=True)
    text, ok = await _check(max_settings, [KnownChat(-501)])
    assert ok, text
    assert "Ключ принят: бот «Школьный бот»" in text and "подписки на вебхук нет" in text
    assert "Чат «Учителя 5-х классов» (-501): бот — администратор" in text
    assert "ВКонтакте" not in text and text.endswith("Всё в порядке.")


async def test_wrong_max_token(tmp_path: Path, max_emu: MaxEmulator) -> None:
    """A token MAX refuses: one finding saying where to copy the token from, nothing else checked."""
    settings = max_only_settings(tmp_path, max_emu)
    settings = settings.model_copy(update={"max": settings.max.model_copy(
        update={"token": type(settings.max.token)("wrong")})})
    text, ok = await _check(settings, [])
    assert not ok and "MAX не принял ключ бота" in text and "business.max.ru" in text
    assert "SFERUM_MAX__TOKEN" in text and "вебхук" not in text


async def test_max_unreachable(tmp_path: Path, max_emu: MaxEmulator) -> None:
    """No MAX at the configured address: said in Russian with what to check, no traceback."""
    settings = max_only_settings(tmp_path, max_emu)
    settings = settings.model_copy(update={"max": settings.max.model_copy(
        update={"api_url": "http://127.0.0.1:9"})})
    text, ok = await _check(settings, [])
    assert not ok and "Нет связи с API MAX (http://127.0.0.1:9)" in text and "[max] api_url" in text


async def test_polling_with_a_subscription_is_a_problem(max_settings: Settings, max_emu: MaxEmulator,
                                                        max_ctl: MaxEmulatorControl) -> None:
    """In polling mode a webhook subscription blocks GET /updates: named with its URL and the fix."""
    await subscribe(max_emu, "http://127.0.0.1:9/other")
    text, ok = await _check(max_settings, [])
    assert not ok and "есть подписка на вебхук: http://127.0.0.1:9/other" in text
    assert "Как исправить: «sferum-bot run» снимает подписку" in text


@pytest.mark.parametrize(("subscribed", "expected"), [
    (None, "Подписки на вебхук нет, а в настройках public_url = " + HOOK),
    ("http://127.0.0.1:9/old", "Вебхук подписан на другой адрес: http://127.0.0.1:9/old"),
    (HOOK, "Вебхук подписан на " + HOOK),
])
async def test_webhook_mode_wants_the_public_url(tmp_path: Path, max_emu: MaxEmulator, max_ctl: MaxEmulatorControl,
                                                 subscribed: str | None, expected: str) -> None:
    """Webhook mode: fine only when the configured public_url is subscribed; otherwise the fix names the proxy."""
    if subscribed:
        await subscribe(max_emu, subscribed)
    text, ok = await _check(webhook_settings(tmp_path, max_emu), [])
    assert expected in text
    assert ok is (subscribed == HOOK)
    if not ok:
        assert "HTTPS на порту 443" in text and "127.0.0.1:8080/max/webhook" in text


async def test_subscription_missing_update_types(tmp_path: Path, max_emu: MaxEmulator,
                                                 max_ctl: MaxEmulatorControl) -> None:
    """A subscription to the right URL that leaves out events the bot needs is a problem of its own."""
    async with aiohttp.ClientSession(headers={"Authorization": TOKEN}) as http, http.post(
            f"{max_emu.base_url}/subscriptions",
            json={"url": HOOK, "update_types": ["message_created"]}) as response:
        assert response.status == 200
    text, ok = await _check(webhook_settings(tmp_path, max_emu), [])
    assert not ok and "Подписка не получает события: message_callback" in text


@pytest.mark.parametrize(("chat", "expected"), [
    ({"bot_is_admin": False}, "бот не администратор — MAX не присылает из чата ни сообщений"),
    ({"bot_is_admin": True}, "бот администратор, но без права «Читать все сообщения»"),
])
async def test_each_chat_without_the_rights_is_named(max_settings: Settings, max_ctl: MaxEmulatorControl,
                                                     chat: dict[str, Any], expected: str) -> None:
    """A chat where the bot is not an admin, or cannot read every message, is named with how to fix it."""
    await max_ctl.add_chat(-601, "Родители 7Б", [7103], **chat)
    await max_ctl.add_chat(-602, "Учителя", [7101], bot_is_admin=True, bot_reads_all=True)
    text, ok = await _check(max_settings, [KnownChat(-601), KnownChat(-602, "Учителя")])
    assert not ok and f"Чат «Родители 7Б» (-601): {expected}" in text
    assert "Как исправить: " in text and "«Читать все сообщения»" in text
    assert "Чат «Учителя» (-602): бот — администратор" in text and "Проблем: 1." in text


async def test_chat_the_bot_was_removed_from(max_settings: Settings, max_ctl: MaxEmulatorControl) -> None:
    """A chat the bot was removed from, or one MAX does not know, is said plainly."""
    await max_ctl.add_chat(-701, "Старый чат", [7101], bot_is_admin=True)
    await max_ctl.set_bot(-701, removed=True)
    text, ok = await _check(max_settings, [KnownChat(-701, "Старый чат"), KnownChat(-702, "Удалённый")])
    assert not ok
    assert "Чат «Старый чат» (-701): бота в нём больше нет." in text
    assert "Чат «Удалённый» (-702): MAX такого чата не знает" in text


async def test_no_known_chats_says_how_to_add_the_bot(max_settings: Settings, max_ctl: MaxEmulatorControl) -> None:
    """No chat known yet is not a failure, but the report says how to add the bot to chats."""
    text, ok = await _check(max_settings, [])
    assert ok and "Групповых чатов бот пока не знает" in text and "администратором" in text


async def test_both_messengers_get_a_section_each(max_settings: Settings, max_ctl: MaxEmulatorControl) -> None:
    """With VK and MAX tokens both are checked, each under its name (VK here unreachable: its own finding)."""
    settings = max_settings.model_copy(update={"vk": max_settings.vk.model_copy(
        update={"token": type(max_settings.vk.token)("vk-token")})})
    text, ok = await _check(settings, [])
    assert not ok and text.startswith("ВКонтакте:\n") and "\nMAX:\n✓ Ключ принят" in text
    assert "Нет связи с API ВКонтакте" in text


def test_doctor_without_any_token_names_both_keys(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """`doctor` with neither token: exit 1 and one finding naming both keys and their variables."""
    monkeypatch.delenv("SFERUM_VK__TOKEN", raising=False)
    monkeypatch.delenv("SFERUM_MAX__TOKEN", raising=False)
    config = tmp_path / "config.toml"
    config.write_text("[[schools]]\nid = \"s1\"\n", "utf-8")
    assert main(["doctor", "--config", str(config)]) == 1
    out = capsys.readouterr().out
    for key in ("[vk] token", "SFERUM_VK__TOKEN", "[max] token", "SFERUM_MAX__TOKEN"):
        assert key in out


async def test_doctor_checks_the_chats_the_running_bot_learnt(max_settings: Settings, max_ctl: MaxEmulatorControl,
                                                              monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without a list given, doctor checks the chats the bot learnt from bot_added (read from its database)."""
    from bot.commands.doctor import _known_chats
    from tests.max.conftest import start_max_app, stop_app

    monkeypatch.chdir(tmp_path)
    assert await _known_chats(max_settings) == []  # no database yet
    app, task = await start_max_app(max_settings, max_ctl)
    try:
        await max_ctl.add_chat(-801, "Родители 9А", [7101], bot_is_admin=False)
        for _ in range(200):  # polling with a bound: the bot keeps the chat when it handles bot_added
            if await _known_chats(max_settings):
                break
            await asyncio.sleep(0.05)
    finally:
        await stop_app(app, task)
    assert [c.chat_id for c in await _known_chats(max_settings)] == [-801]
    text, ok = await _check(max_settings)
    assert not ok and "Чат «Родители 9А» (-801): бот не администратор" in text
