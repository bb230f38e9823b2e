"""MaxEmulatorControl: the typed HTTP client of the MAX emulator's control API."""

from __future__ import annotations

import pytest

from emulator_common.client import ControlAPIError
from max_emulator import MaxEmulator
from tests.max_emulator.support import ANNA, GROUP, PETR, Call


async def test_client_drives_a_whole_scene(emu: MaxEmulator, api: Call) -> None:
    """People, a chat, messages, a press and the readers all work through the client."""
    async with emu.control() as control:
        await control.add_user(900, "Ирина", "Орлова", username="irina")
        assert any(u["user_id"] == 900 for u in (await control.users())["items"])
        chat_id = await control.start(900, payload="hello")
        await control.add_chat(
            GROUP, "Учителя", [ANNA, PETR], bot_is_admin=True, bot_reads_all=True
        )
        await control.join(GROUP, 900)
        await control.set_title(GROUP, ANNA, "Педсовет")
        said = await control.say(ANNA, "Файл", chat_id=GROUP, files=[("a.txt", b"abc")])
        await control.edit(ANNA, said["mid"], "Файл, исправлено")
        await control.unsend(ANNA, said["mid"])
        await control.leave(GROUP, 900)
        await control.set_bot(GROUP, is_admin=False)
        keyboard = {
            "type": "inline_keyboard",
            "payload": {"buttons": [[{"type": "callback", "text": "Да", "payload": "yes"}]]},
        }
        sent = await api(
            "POST", "/messages", {"text": "?", "attachments": [keyboard]}, chat_id=chat_id
        )
        items = await control.wait_sent(chat_id, 1, timeout=5)
        assert items[0]["mid"] == sent.body["message"]["body"]["mid"]
        assert await control.sent(chat_id, after=items[0]["seq"]) == []
        callback_id = await control.press(900, items[0]["mid"], "yes")
        await api("POST", "/answers", {"notification": "Ок"}, callback_id=callback_id)
        assert (await control.answers(900, count=1, timeout=5))[0]["callback_id"] == callback_id
        with pytest.raises(TimeoutError):
            await control.answers(900, count=2, timeout=0.1)
        await control.dialog(900, "mute")
        await control.stop(900)
        await control.limits(rps=None, per_chat_rps=None)
        await control.faults(webhook_fail_rate=0.5)
        assert (await control.get_faults())["webhook_fail_rate"] == 0.5
        assert (await control.clock(frozen=True, advance_s=5))["frozen"] is True
        assert (await control.wait_webhooks(1))["settled"] is True
        stats = await control.stats()
        assert stats["requests"]["POST /messages"] == 1
        assert (await control.health())["schema_violations"] == []
        with pytest.raises(ControlAPIError):
            await control.start(123456, None)
        with pytest.raises(TimeoutError):
            await control.wait_listening(0.1)
        with pytest.raises(TimeoutError):
            await control.wait_subscribed(0.1)
        await api("POST", "/subscriptions", {"url": "http://127.0.0.1:9/hook", "secret": "secret1"})
        assert (await control.wait_subscribed(5))["urls"] == ["http://127.0.0.1:9/hook"]
        await control.reset()
        assert (await control.users())["items"] == []
