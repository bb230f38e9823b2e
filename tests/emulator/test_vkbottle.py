"""vkbottle 4.11 against the emulator: polling round trips, poller recovery, errors, uploads."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from vkbottle import (
    API,
    Bot,
    Callback,
    DocMessagesUploader,
    GroupEventType,
    Keyboard,
    KeyboardButtonColor,
    PhotoMessageUploader,
    Text,
    VKAPIError,
)
from vkbottle.bot import Message, MessageEvent

from tests.emulator.support import GROUP_ID, TOKEN, USER
from vk_emulator import Emulator, EmulatorControl


@pytest.fixture
async def api(emu: Emulator) -> AsyncIterator[API]:
    client = API(TOKEN)
    client.API_URL = emu.api_url
    yield client
    await client.http_client.close()


@pytest.fixture
async def bot(
    api: API, control: EmulatorControl, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> AsyncIterator[Bot]:
    monkeypatch.chdir(tmp_path)  # vkbottle writes .vkbottle/ into the cwd
    b = Bot(api=api)

    @b.on.private_message(text="ping")
    async def ping(message: Message) -> None:
        await message.answer("pong")

    @b.on.private_message()
    async def echo(message: Message) -> None:
        await message.answer(f"echo: {message.text}")

    @b.on.raw_event(GroupEventType.MESSAGE_EVENT, dataclass=MessageEvent)
    async def pressed(event: MessageEvent) -> None:
        payload = event.payload or {}
        await event.show_snackbar(f"got {payload['cmd']}")
        await event.edit_message(
            f"edited {payload['cmd']}", keyboard=Keyboard(inline=True).get_json()
        )
        await event.send_message("done")

    task = asyncio.create_task(b.run_polling())
    await control.wait_listening(timeout=10)
    yield b
    b.polling.stop()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_long_poll_round_trip(bot: Bot, control: EmulatorControl) -> None:
    await control.say(USER, "ping")
    (reply,) = await control.wait_sent(USER, 1, timeout=10)
    assert reply["text"] == "pong"


async def test_callback_button_snackbar_and_edit(
    bot: Bot, api: API, control: EmulatorControl
) -> None:
    keyboard = (
        Keyboard(inline=True)
        .add(Callback("Да", {"cmd": "ok"}), color=KeyboardButtonColor.POSITIVE)
        .add(Text("Нет", {"cmd": "no"}), color=KeyboardButtonColor.SECONDARY)
        .get_json()
    )
    sent = await api.messages.send(peer_ids=[USER], random_id=0, message="menu", keyboard=keyboard)
    assert isinstance(sent, list)
    cmid = sent[0].conversation_message_id
    assert cmid is not None
    await control.press(USER, cmid, {"cmd": "ok"})
    menu, done = await control.wait_sent(USER, 2, timeout=10)
    assert done["text"] == "done"
    assert menu["text"] == "edited ok" and menu["keyboard"]["buttons"] == []
    snackbars = (await control.snackbars(USER))["items"]
    assert [s["event_data"] for s in snackbars] == [{"type": "show_snackbar", "text": "got ok"}]


@pytest.mark.parametrize("failed", [1, 2, 3])
async def test_poller_recovers_from_failed(bot: Bot, control: EmulatorControl, failed: int) -> None:
    # The poller is holding a request: its next one meets the failure.
    await control.wait_listening(timeout=10)
    await control.faults(longpoll_failed=[failed])
    await control.say(USER, "before")
    await control.wait_sent(USER, 1, timeout=10)
    # Holding again means it has gone through the failure and reconnected as VK says.
    await control.wait_listening(timeout=10)
    assert (await control.get_faults())["longpoll_failed"] == []
    await control.say(USER, "after")
    items = await control.wait_sent(USER, 2, timeout=10)
    assert [i["text"] for i in items] == ["echo: before", "echo: after"]


async def test_vkbottle_raises_vk_errors(api: API) -> None:
    with pytest.raises(VKAPIError[901]):
        await api.messages.send(peer_id=102, random_id=0, message="x")
    with pytest.raises(VKAPIError[100]):
        await api.messages.send(peer_id=USER, random_id=0, message="x", payload="{no")
    bad = API("wrong")
    bad.API_URL = api.API_URL
    with pytest.raises(VKAPIError[5]):
        await bad.users.get(user_ids=[USER])


async def test_vkbottle_execute(api: API) -> None:
    code = (
        "return ["
        + ",".join(
            f'API.messages.send({{"peer_id":{USER},"random_id":{i + 1},"message":"m{i}"}})'
            for i in range(25)
        )
        + "];"
    )
    result = await api.execute(code=code)
    assert len(result.response["response"]) == 25


async def test_document_upload_and_download(
    api: API, emu: Emulator, control: EmulatorControl
) -> None:
    uploader = DocMessagesUploader(api)
    attachment = await uploader.upload(b"report,1\n", peer_id=USER, title="report.csv")
    assert attachment.startswith(f"doc-{GROUP_ID}_")
    await api.messages.send(peer_id=USER, random_id=0, attachment=attachment)
    (item,) = (await control.sent(USER))["items"]
    doc = item["attachments"][0]
    assert doc["type"] == "doc" and doc["title"] == "report.csv"
    content = await api.http_client.request_content(doc["url"])
    assert content == b"report,1\n"


async def test_photo_upload(api: API, control: EmulatorControl) -> None:
    uploader = PhotoMessageUploader(api)
    attachment = await uploader.upload(b"\x89PNG fake", peer_id=USER)
    assert attachment.startswith(f"photo-{GROUP_ID}_")
    await api.messages.send(peer_id=USER, random_id=0, message="pic", attachment=attachment)
    (item,) = (await control.sent(USER))["items"]
    assert item["attachments"][0]["type"] == "photo"
    content = await api.http_client.request_content(item["attachments"][0]["url"])
    assert content == b"\x89PNG fake"


async def test_incoming_document_is_downloadable(
    bot: Bot, api: API, control: EmulatorControl, emu: Emulator
) -> None:
    received: list[str] = []

    @bot.on.private_message(attachment="doc")
    async def on_doc(message: Message) -> None:
        assert message.attachments
        doc = message.attachments[0].doc
        assert doc is not None and doc.url is not None
        data = await bot.api.http_client.request_content(doc.url)
        received.append(data.decode())
        await message.answer(f"got {doc.title}")

    # Handlers registered later run after the earlier catch-all; put this one first.
    bot.labeler.message_view.handlers.insert(0, bot.labeler.message_view.handlers.pop())
    await control.say(USER, "", docs=[("list.txt", "Иванов".encode())])
    (reply,) = await control.wait_sent(USER, 1, timeout=10)
    assert reply["text"] == "got list.txt"
    assert received == ["Иванов"]


async def test_chat_reply_with_vkbottle(bot: Bot, control: EmulatorControl) -> None:
    @bot.on.chat_message(text="/score")
    async def score(message: Message) -> None:
        await message.reply("42")

    # Registered after the private handlers; chat handlers are separate anyway.
    chat = await control.add_chat(9, "9А", [USER])
    peer = chat["peer_id"]
    said = await control.say(USER, "/score", peer_id=peer)
    assert said["delivered_to_bot"] is True
    (reply,) = await control.wait_sent(peer, 1, timeout=10)
    assert reply["text"] == "42"
    assert reply["forward"]["conversation_message_ids"] == [said["conversation_message_id"]]
    assert reply["conversation_message_id"] == said["conversation_message_id"] + 1


async def test_sent_for_every_peer(api: API, control: EmulatorControl) -> None:
    await control.allow(102)
    await api.messages.send(peer_id=USER, random_id=0, message="a")
    await api.messages.send(peer_id=102, random_id=0, message="b")
    items = (await control.sent(None))["items"]
    assert [(i["peer_id"], i["text"]) for i in items] == [(USER, "a"), (102, "b")]
