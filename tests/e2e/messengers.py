"""One conversation API over both messengers, so an end-to-end test runs on VK and on MAX unchanged.

    @pytest.mark.parametrize("talk", ["vk", "max"], indirect=True)
    async def test_x(talk: Talk) -> None:
        answer = await talk.ask(Who.DIRECTOR, "сводка", files=2)

`files` is how many files the answer carries: VK attaches them to the text, MAX sends each alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from bot.app import App
from bot.domain.models import Person
from max_emulator.client import MaxEmulatorControl
from tests.e2e.harness import DEPUTY, DIRECTOR, TEACHERS, Chat, button, buttons
from tests.max import conftest as max_side

VK_KINDS = {"doc": "file", "photo": "image"}
MESSENGERS = ["vk", "max"]


class Who(Enum):
    DIRECTOR = "director"
    DEPUTY = "deputy"
    TEACHER = "teacher"  # «Иванова Анна Петровна», 5А: VK 2001, MAX 7101


@dataclass
class Answer:
    """What the bot answered: the text, the kinds of the files ("file", "image") and their names."""

    text: str
    files: list[str]
    names: list[str]
    buttons: list[str] = field(default_factory=list)  # the labels of the answer's keyboard
    raw: dict[str, Any] = field(default_factory=dict, repr=False)  # the message as the emulator recorded it


class Talk:
    """Talk to the bot on one messenger."""

    messenger: str
    app: App

    def actor(self, who: Who) -> int | None:
        """The VK id the audit log keeps for `who` (None in MAX)."""
        raise NotImplementedError

    async def ask(self, who: Who, text: str, *, files: int = 0) -> Answer:
        raise NotImplementedError

    async def count_sent(self, who: Who) -> int:
        """How many messages the bot has sent to `who` so far."""
        raise NotImplementedError

    async def press(self, who: Who, answer: Answer, label: str) -> Answer:
        """Press the first button of `answer` whose label contains `label`; the next message to `who`."""
        raise NotImplementedError

    async def person(self, who: Who) -> Person:
        """The roster person the bot knows `who` as on this messenger."""
        raise NotImplementedError

    async def say(self, who: Who, text: str, *, count: int = 1) -> list[Answer]:
        """Write `text` as `who`; the next `count` messages the bot sends `who`."""
        raise NotImplementedError

    async def mark(self, who: Who) -> int:
        """Where the messages to `who` end now (`who` has written to the bot before)."""
        raise NotImplementedError

    async def wait(self, who: Who, after: int, count: int = 1) -> list[Answer]:
        """The next `count` messages to `who` after `mark`."""
        raise NotImplementedError


@dataclass
class VkTalk(Talk):
    chat: Chat
    app: App
    messenger: str = "vk"

    def actor(self, who: Who) -> int | None:
        return {Who.DIRECTOR: DIRECTOR, Who.DEPUTY: DEPUTY, Who.TEACHER: TEACHERS[0][0]}[who]

    async def ask(self, who: Who, text: str, *, files: int = 0) -> Answer:
        [reply] = await self.chat.say(self.actor(who) or 0, text)
        return self._answer(reply)

    @staticmethod
    def _answer(reply: dict[str, Any]) -> Answer:
        attachments: list[dict[str, Any]] = reply["attachments"]
        return Answer(text=reply["text"], files=sorted(VK_KINDS.get(a["type"], a["type"]) for a in attachments),
                      names=[a.get("title", "") for a in attachments], buttons=[b["label"] for b in buttons(reply)],
                      raw=reply)

    async def press(self, who: Who, answer: Answer, label: str) -> Answer:
        found = button(answer.raw, label)
        user = self.actor(who) or 0
        if found["type"] == "callback":
            [reply] = await self.chat.press(user, answer.raw, found["payload"])
        else:
            [reply] = await self.chat.say(user, found["label"], payload=found["payload"])
        return self._answer(reply)

    async def person(self, who: Who) -> Person:
        [found] = await self.app.deps.people.by_vk_id(self.actor(who) or 0)
        return found

    async def count_sent(self, who: Who) -> int:
        return len((await self.chat.control.sent(self.actor(who)))["items"])

    async def say(self, who: Who, text: str, *, count: int = 1) -> list[Answer]:
        return [self._answer(r) for r in await self.chat.say(self.actor(who) or 0, text, count=count)]

    async def mark(self, who: Who) -> int:
        return await self.chat.last_seq(self.actor(who) or 0)

    async def wait(self, who: Who, after: int, count: int = 1) -> list[Answer]:
        return [self._answer(r) for r in await self.chat.wait(self.actor(who) or 0, count, after=after)]


@dataclass
class MaxTalk(Talk):
    ctl: MaxEmulatorControl
    app: App
    messenger: str = "max"
    dialogs: dict[Who, int] = field(default_factory=dict)  # each person's dialog chat id, once they wrote

    def actor(self, who: Who) -> int | None:
        return None

    @staticmethod
    def user(who: Who) -> int:
        return {Who.DIRECTOR: max_side.DIRECTOR, Who.DEPUTY: max_side.DEPUTY, Who.TEACHER: max_side.TEACHERS[0][0]}[who]

    async def count_sent(self, who: Who) -> int:
        return sum(1 for item in await self.ctl.sent(None) if item["chat_id"] == self.dialogs.get(who))

    async def ask(self, who: Who, text: str, *, files: int = 0) -> Answer:
        user = self.user(who)
        # seq is one counter across the emulator: what was sent before the question, anywhere.
        before = await self.ctl.sent(None)
        after = before[-1]["seq"] if before else None
        said = await self.ctl.say(user, text)
        self.dialogs[who] = said["chat_id"]
        items = await self.ctl.wait_sent(said["chat_id"], 1 + files, after=after)
        return self._answer(items)

    @staticmethod
    def _answer(items: list[dict[str, Any]]) -> Answer:
        attachments = [a for item in items for a in item["attachments"]]
        labels = [b["text"] for row in items[0].get("keyboard") or [] for b in row]
        return Answer(text=items[0]["text"] or "", files=sorted(a["type"] for a in attachments),
                      names=[a.get("filename") or "" for a in attachments], buttons=labels, raw=items[0])

    async def press(self, who: Who, answer: Answer, label: str) -> Answer:
        found = next(b for row in answer.raw.get("keyboard") or [] for b in row
                     if label.lower() in str(b.get("text", "")).lower())
        chat_id = int(answer.raw["chat_id"])
        after = (await self.ctl.sent(None))[-1]["seq"]
        if found.get("type") == "callback":
            await self.ctl.press(self.user(who), str(answer.raw["mid"]), str(found["payload"]))
        else:
            await self.ctl.say(self.user(who), str(found["text"]))
        return self._answer(await self.ctl.wait_sent(chat_id, 1, after=after))

    async def person(self, who: Who) -> Person:
        [found] = await self.app.deps.people.by_max_id(self.user(who))
        return found

    async def say(self, who: Who, text: str, *, count: int = 1) -> list[Answer]:
        before = await self.ctl.sent(None)
        after = before[-1]["seq"] if before else None
        said = await self.ctl.say(self.user(who), text)
        self.dialogs[who] = said["chat_id"]
        return [self._answer([item]) for item in await self.ctl.wait_sent(said["chat_id"], count, after=after)]

    async def mark(self, who: Who) -> int:
        # seq is one counter across the emulator.
        items = await self.ctl.sent(None)
        return int(items[-1]["seq"]) if items else 0

    async def wait(self, who: Who, after: int, count: int = 1) -> list[Answer]:
        items = await self.ctl.wait_sent(self.dialogs[who], count, after=after)
        return [self._answer([item]) for item in items]
