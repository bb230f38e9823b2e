"""One conversation API over both messengers, so an end-to-end test runs on VK and on MAX unchanged.

    @pytest.mark.parametrize("talk", ["vk", "max"], indirect=True)
    async def test_x(talk: Talk) -> None:
        answer = await talk.ask(Who.DIRECTOR, "сводка", files=2)

`files` is how many files the answer carries: VK attaches them to the text, MAX sends each alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from bot.app import App
from max_emulator.client import MaxEmulatorControl
from tests.e2e.harness import DEPUTY, DIRECTOR, Chat
from tests.max import conftest as max_side

VK_KINDS = {"doc": "file", "photo": "image"}


class Who(Enum):
    DIRECTOR = "director"
    DEPUTY = "deputy"


@dataclass
class Answer:
    """What the bot answered: the text, the kinds of the files ("file", "image") and their names."""

    text: str
    files: list[str]
    names: list[str]


class Talk:
    """Talk to the bot on one messenger."""

    messenger: str
    app: App

    def actor(self, who: Who) -> int | None:
        """The VK id the audit log keeps for `who` (None in MAX)."""
        raise NotImplementedError

    async def ask(self, who: Who, text: str, *, files: int = 0) -> Answer:
        raise NotImplementedError


@dataclass
class VkTalk(Talk):
    chat: Chat
    app: App
    messenger: str = "vk"

    def actor(self, who: Who) -> int | None:
        return {Who.DIRECTOR: DIRECTOR, Who.DEPUTY: DEPUTY}[who]

    async def ask(self, who: Who, text: str, *, files: int = 0) -> Answer:
        [reply] = await self.chat.say(self.actor(who) or 0, text)
        attachments: list[dict[str, Any]] = reply["attachments"]
        return Answer(text=reply["text"], files=sorted(VK_KINDS.get(a["type"], a["type"]) for a in attachments),
                      names=[a.get("title", "") for a in attachments])


@dataclass
class MaxTalk(Talk):
    ctl: MaxEmulatorControl
    app: App
    messenger: str = "max"

    def actor(self, who: Who) -> int | None:
        return None

    async def ask(self, who: Who, text: str, *, files: int = 0) -> Answer:
        user = {Who.DIRECTOR: max_side.DIRECTOR, Who.DEPUTY: max_side.DEPUTY}[who]
        # seq is one counter across the emulator: what was sent before the question, anywhere.
        before = await self.ctl.sent(None)
        after = before[-1]["seq"] if before else None
        said = await self.ctl.say(user, text)
        items = await self.ctl.wait_sent(said["chat_id"], 1 + files, after=after)
        attachments = [a for item in items for a in item["attachments"]]
        return Answer(text=items[0]["text"] or "", files=sorted(a["type"] for a in attachments),
                      names=[a.get("filename") or "" for a in attachments])
