"""«Сводка»: the head's summary in private (with names, chart and spreadsheet) or figures only in a chat.

A neutral handler: it runs on any messenger the router is fed from.
"""

from __future__ import annotations

from bot.config import ConfigError
from bot.domain.menus import main_menu
from bot.domain.models import Person, Role
from bot.messaging import actions
from bot.messaging.events import MessageIn, Reply
from bot.messaging.filters import Command
from bot.messaging.middlewares import PersonLookups
from bot.messaging.router import Router
from bot.ports import MessengerPort
from bot.services.access import AccessService, Denied
from bot.services.my_status import MyStatusService
from bot.services.summary import SummaryService

router = Router("summary")

WORDS = ("сводка", "сводку", "сводка по школе", "сводка по району", "районная сводка", "сводка по региону",
         "региональная сводка", "/сводка")
SUMMARY_ROLES = (Role.DIRECTOR, Role.DEPUTY, Role.DISTRICT, Role.REGION)
CHAT_REFUSAL = ("Сводку показываю директору, заместителю директора и управлению образования. "
                "Свой статус посмотрите в личных сообщениях со мной: кнопка «Мой статус».")
NO_SCHOOL = "Не знаю, к какой школе вы относитесь. Обратитесь к заместителю директора."


@router.message(Command(actions.Summary, *WORDS, any_mention=True, typos=True))
async def cmd_summary(event: MessageIn, person: Person | None, lookups: PersonLookups, messenger: MessengerPort,
                      access: AccessService, my_status: MyStatusService, summary: SummaryService) -> None:
    """Director/deputy: their school; an official: their district or every school; teacher: their own status.

    In a group chat only figures are shown, never names (and no spreadsheet).
    """
    in_chat = event.chat.is_group
    if person is not None and person.role in (Role.TEACHER, Role.STAFF):
        if in_chat:
            await messenger.send(Reply(chat=event.chat, text=CHAT_REFUSAL))
        else:
            await messenger.send(Reply(chat=event.chat, text=await my_status.render(person),
                                       keyboard=main_menu(person.role)))
        return
    try:
        head = await access.require(event.sender, "summary", SUMMARY_ROLES, lookups=lookups,
                                    target="chat" if in_chat else "private")
    except Denied as denied:
        await messenger.send(Reply(chat=event.chat, text=CHAT_REFUSAL if in_chat else denied.text))
        return
    if head.role in (Role.DISTRICT, Role.REGION):
        report = await summary.official_report(event.sender.messenger, event.sender.external_id,
                                               files=not in_chat)
    elif head.org_id is None:
        await messenger.send(Reply(chat=event.chat, text=NO_SCHOOL))
        return
    else:
        try:
            report = await summary.school_report(head.org_id, names=not in_chat)
        except ConfigError:
            await messenger.send(Reply(chat=event.chat, text=NO_SCHOOL))
            return
    await messenger.send(Reply(chat=event.chat, text=report.text, files=report.files))
