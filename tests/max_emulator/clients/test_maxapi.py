"""maxapi 1.2.3, unchanged, against the emulator in polling and in webhook mode (its base URL
pointed at the emulator with `Bot.set_api_url`; plain http on 127.0.0.1 needs nothing more)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from maxapi import Bot, Dispatcher
from maxapi.types import BotStarted, CallbackButton, MessageCallback, MessageCreated
from maxapi.types.input_media import InputMedia
from maxapi.utils.inline_keyboard import InlineKeyboardBuilder
from maxapi.webhook.aiohttp import AiohttpMaxWebhook

from emulator_common.http import LoopbackServer
from max_emulator import MaxEmulator
from tests.max_emulator.support import ANNA, BOT_ID, TOKEN

pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    # maxapi warns that the loopback webhook is plain http (MAX itself demands HTTPS on 443).
    pytest.mark.filterwarnings("ignore:URL вебхука не использует HTTPS:UserWarning"),
]


def build_dispatcher(started: list[str]) -> Dispatcher:
    """A small bot: greets on Start (with a keyboard), echoes, answers presses."""
    dp = Dispatcher()

    @dp.bot_started()
    async def on_start(event: BotStarted) -> None:
        started.append(event.payload or "")
        keyboard = InlineKeyboardBuilder()
        keyboard.row(
            CallbackButton(text="Да", payload="yes"), CallbackButton(text="Нет", payload="no")
        )
        await event.bot.send_message(
            chat_id=event.chat_id,
            text="Здравствуйте! Вы учитель?",
            attachments=[keyboard.as_markup()],
        )

    @dp.message_created()
    async def on_message(event: MessageCreated) -> None:
        await event.message.answer(f"Эхо: {event.message.body.text}")

    @dp.message_callback()
    async def on_press(event: MessageCallback) -> None:
        await event.answer(notification=f"Вы ответили: {event.callback.payload}")

    return dp


@pytest.fixture
async def max_bot(emu: MaxEmulator) -> AsyncIterator[Bot]:
    bot = Bot(TOKEN)
    bot.set_api_url(emu.base_url)
    try:
        yield bot
    finally:
        await bot.close_session()


async def play_script(emu: MaxEmulator, started: list[str]) -> None:
    """Start with a deep link, press a button, write a message; check what the bot did."""
    control = emu.ops
    chat_id = control.start(ANNA, {"payload": "invite-7"})["chat_id"]
    greeting = (await control.wait_sent(chat_id, None, 1, 20))[0]
    assert greeting["text"] == "Здравствуйте! Вы учитель?" and started == ["invite-7"]
    assert [b["payload"] for b in greeting["keyboard"][0]] == ["yes", "no"]
    control.press({"user_id": ANNA, "mid": greeting["mid"], "payload": "yes"})
    control.say({"user_id": ANNA, "text": "Привет"})
    echo = await control.wait_sent(chat_id, greeting["seq"], 1, 20)
    assert echo[0]["text"] == "Эхо: Привет"
    answers = await control.wait_answers(ANNA, 1, 20)
    assert answers["items"][0]["notification"] == "Вы ответили: yes"


async def test_maxapi_polling(emu: MaxEmulator, max_bot: Bot) -> None:
    """maxapi's long polling gets Start, the message and the press, and its answers arrive."""
    me = await max_bot.get_me()
    assert me.user_id == BOT_ID
    started: list[str] = []
    dp = build_dispatcher(started)
    polling = asyncio.create_task(dp.start_polling(max_bot))
    try:
        assert await emu.state.updates.wait_poller(20)
        await play_script(emu, started)
    finally:
        await dp.stop_polling()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(polling, 20)
    assert emu.state.stats.errors == {}


async def test_maxapi_webhook(emu: MaxEmulator, max_bot: Bot) -> None:
    """maxapi's aiohttp webhook checks the secret header and handles what the emulator POSTs."""
    started: list[str] = []
    dp = build_dispatcher(started)
    webhook = AiohttpMaxWebhook(dp=dp, bot=max_bot, secret="school_secret")
    server = LoopbackServer(webhook.create_app(path="/max"))
    url = await server.start() + "/max"
    try:
        await max_bot.subscribe_webhook(url=url, secret="school_secret")
        await play_script(emu, started)
        assert await emu.state.webhooks.wait_idle(20)
        stats = emu.state.stats
        assert (stats.webhook_deliveries, stats.webhook_failures, stats.errors) == (3, 0, {})
    finally:
        await server.stop()


async def test_maxapi_uploads_a_file(emu: MaxEmulator, tmp_path: Path) -> None:
    """maxapi's two-step upload works, retrying on attachment.not.ready until the file is ready."""
    logging.getLogger("maxapi").setLevel(logging.CRITICAL)
    control = emu.ops
    control.set_limits({"rps": None, "per_chat_rps": None, "attachment_ready_after_s": 0.3})
    chat_id = control.start(ANNA, {})["chat_id"]
    path = tmp_path / "plan.txt"
    path.write_text("План на неделю", encoding="utf-8")
    bot = Bot(
        TOKEN, after_input_media_delay=0.01, after_upload_retry_delay=0.1, after_upload_attempts=20
    )
    bot.set_api_url(emu.base_url)
    try:
        await bot.send_message(
            chat_id=chat_id, text="План", attachments=[InputMedia(path=str(path))]
        )
    finally:
        await bot.close_session()
    sent = control.sent_items(chat_id, None)
    assert sent[0]["attachments"][0]["filename"] == "plan.txt"
    assert emu.state.stats.errors.get("attachment.not.ready", 0) >= 1
