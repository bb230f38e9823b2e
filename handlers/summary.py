"""«Сводка»: the head's summary in private (with names, chart and spreadsheet) or figures only in a chat."""

from __future__ import annotations

import re

from vkbottle.bot import BotLabeler, Message
from vkbottle.dispatch.rules import ABCRule

from bot.config import ConfigError
from bot.deps import Deps
from bot.domain.commands import near
from bot.domain.models import Role
from bot.services.access import Denied
from bot.services.summary import SummaryService
from handlers.common import Cmd, feature, is_private, payload_of, say, say_menu

labeler = BotLabeler()

WORDS = {"сводка", "сводку", "сводка по школе", "сводка по району", "районная сводка", "/сводка"}
# «[club1|Бот], сводка» or «@bot сводка»: how a message addressed to the bot in a chat starts.
MENTION = re.compile(r"^\s*(\[(club|public)\d+\|[^\]]*\]|@\S+)[\s,:]*", re.IGNORECASE)
SUMMARY_ROLES = (Role.DIRECTOR, Role.DEPUTY, Role.DISTRICT)
CHAT_REFUSAL = ("Сводку показываю директору, заместителю директора и управлению образования. "
                "Свой статус посмотрите в личных сообщениях со мной: кнопка «Мой статус».")
NO_SCHOOL = "Не знаю, к какой школе вы относитесь. Обратитесь к заместителю директора."


class SummaryAsked(ABCRule[Message]):
    """The «Сводка» button, or «сводка» typed (in a chat, possibly after a mention of the bot)."""

    async def check(self, event: Message) -> bool:
        if payload_of(event).get("cmd") == "summary":
            return True
        text = MENTION.sub("", event.text or "").strip().lower().rstrip("!.?")
        return text in WORDS or (is_private(event) and text not in Cmd.all_words and near(text, WORDS) is not None)


def _service(deps: Deps) -> SummaryService:
    return feature(deps, "summary", SummaryService)


@labeler.message(SummaryAsked())
async def cmd_summary(message: Message, deps: Deps) -> None:
    """Director/deputy: their school; district: all schools with a ranking; teacher: their own status.

    In a group chat only figures are shown, never names (and no spreadsheet).
    """
    in_chat = not is_private(message)
    peer = message.peer_id
    asker = await deps.access.person(message.from_id)
    if asker is not None and asker.role in (Role.TEACHER, Role.STAFF):
        if in_chat:
            await say(deps, peer, CHAT_REFUSAL)
        else:
            await say_menu(deps, asker, await deps.my_status.render(asker))
        return
    try:
        person = await deps.access.require(message.from_id, "summary", SUMMARY_ROLES,
                                           target="chat" if in_chat else "private")
    except Denied as denied:
        await say(deps, peer, CHAT_REFUSAL if in_chat else denied.text)
        return
    if person.role is Role.DISTRICT:
        await _service(deps).send_district(peer, files=not in_chat)
        return
    if person.org_id is None:
        await say(deps, peer, NO_SCHOOL)
        return
    try:
        await _service(deps).send_school(peer, person.org_id, names=not in_chat)
    except ConfigError:
        await say(deps, peer, NO_SCHOOL)
