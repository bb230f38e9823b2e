"""End-to-end harness: the real bot against the VK emulator over HTTP on 127.0.0.1.

Fixtures (tests/e2e/conftest.py):
- `emulator`: an in-process `vk_emulator.Emulator` (strict, schema-validated), group 1, token "t".
- `control`: `EmulatorControl` for the emulator's `/_emu/` API.
- `e2e_settings`: settings for school «school1» (director 1001, deputy 1002) with data in tmp_path.
- `bot_app`: the real `bot.app.build_app` against the emulator, polling in a task, roster seeded:
  teachers 2001 «Иванова Анна Петровна» (5А), 2002 «Петров Сергей Иванович», 2003 «Смирнова Ольга
  Викторовна» (7Б) bound to VK; «Сидорова Мария Ивановна» on the roster without VK (user 2004 exists
  in the emulator, so it can identify itself).
- `chat`: a `Chat` to talk as any user and wait for the bot's replies without sleeping.

    replies = await chat.say(2001, "мой статус")            # waits for 1 reply to 2001
    replies = await chat.press(1002, replies[-1], {"cmd": "bind_ok", "r": 1})  # a callback button
    await chat.say(2001, payload={"cmd": "my_status"})       # a text button with a payload
"""

from __future__ import annotations

from typing import Any

from bot.deps import Deps
from bot.messaging.events import ChatRef, Identity, Messenger
from bot.messaging.state import StateKey, StateValue
from vk_emulator.client import EmulatorControl

JSON = dict[str, Any]

TEACHERS = [
    (2001, "Иванова Анна Петровна", ["5А"]),
    (2002, "Петров Сергей Иванович", []),
    (2003, "Смирнова Ольга Викторовна", ["7Б"]),
]
UNBOUND = (2004, "Сидорова Мария Ивановна")
DIRECTOR, DEPUTY = 1001, 1002


async def step(deps: Deps, vk_id: int, feature: str) -> StateValue | None:
    """The step of `feature`'s dialog a VK user is at in their dialog with the bot (None: none)."""
    account = Identity(messenger=Messenger.VK, external_id=vk_id)
    return await deps.dialogs.get(StateKey.of(deps.group_id, ChatRef.dialog_with(account), account, feature))


class Chat:
    """Talk to the bot as people, read what it answered."""

    def __init__(self, control: EmulatorControl) -> None:
        self.control = control

    async def last_seq(self, peer_id: int) -> int:
        items = (await self.control.sent(peer_id))["items"]
        return int(items[-1]["seq"]) if items else 0

    async def say(self, user_id: int, text: str = "", *, payload: JSON | None = None,
                  peer_id: int | None = None, count: int = 1, reply_to: int | None = None,
                  docs: list[tuple[str, bytes]] | None = None, timeout: float = 10.0,  # noqa: ASYNC109 - the emulator holds the request
    ) -> list[JSON]:
        """Write as `user_id` and wait for `count` messages to `reply_to` (default: the peer)."""
        target = reply_to if reply_to is not None else (peer_id or user_id)
        after = await self.last_seq(target)
        await self.control.say(user_id, text, peer_id=peer_id, payload=payload, docs=docs)
        if count == 0:
            return []
        return await self.control.wait_sent(target, count, after=after, timeout=timeout)

    async def press(self, user_id: int, message: JSON, payload: JSON, *, count: int = 1,
                    reply_to: int | None = None, timeout: float = 10.0,  # noqa: ASYNC109 - the emulator holds the request
    ) -> list[JSON]:
        """Press a callback button of `message` and wait for `count` messages to `reply_to`."""
        target = reply_to if reply_to is not None else user_id
        after = await self.last_seq(target)
        await self.control.press(user_id, int(message["conversation_message_id"]), payload,
                                 peer_id=int(message["peer_id"]))
        if count == 0:
            return []
        return await self.control.wait_sent(target, count, after=after, timeout=timeout)

    async def wait(self, peer_id: int, count: int = 1, *, after: int = 0, timeout: float = 10.0,  # noqa: ASYNC109 - the emulator holds the request
    ) -> list[JSON]:
        return await self.control.wait_sent(peer_id, count, after=after, timeout=timeout)


def buttons(message: JSON) -> list[JSON]:
    """Every button of a sent message's keyboard, flattened: [{"label", "payload", "type"}]."""
    keyboard = message.get("keyboard") or {}
    found = []
    for row in keyboard.get("buttons", []):
        for button in row:
            action = button["action"]
            payload = action.get("payload")
            if isinstance(payload, str):
                import json

                payload = json.loads(payload)
            found.append({"label": action.get("label"), "payload": payload, "type": action["type"]})
    return found


def button(message: JSON, label_part: str) -> JSON:
    """The first button whose label contains `label_part`."""
    for item in buttons(message):
        if label_part.lower() in (item["label"] or "").lower():
            return item
    raise AssertionError(f"no button «{label_part}» in {buttons(message)}")
