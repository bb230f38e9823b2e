"""The chats migration's data: a person's chats and their states, the school report, the screens."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict

from bot.domain import chats as rules
from bot.domain.chats import ExpectedChat
from bot.domain.models import Person
from bot.domain.ui import Button, Color, Keyboard
from bot.messaging.state import StateKey
from bot.stores.chats import Confirmation

PAGE = 7  # chats per «Мои чаты» page: with «Добавить», «Назад» and «Дальше» an inline keyboard holds 10
MAIN_MESSENGERS = ("whatsapp", "viber", "telegram")
TYPING_STEPS = {"title", "link", "link_reason", "members", "nn_reason"}
MAX_TITLE = 60
MAX_REASON = 300
OLD_CHAT_LABELS = {"closed": "закрыт", "announced": "участникам объявлено, что он закрыт"}
STALE = "Эта кнопка уже не действует."
#: The feature name of the confirmation dialog's steps in the dialog-state store.
DIALOG_FEATURE = "chats"
#: A dialog left open (say, «Пока нет» until the old chat is closed) waits this long.
DIALOG_TTL = dt.timedelta(days=60)


class ChatDialog(BaseModel):
    """The dialog a person is in: which chat, which step, the answers so far; kept under `at`."""

    at: StateKey
    person_id: int
    kind: str  # confirm | custom | not_needed
    chat_key: str | None
    title: str | None
    step: str
    answers: dict[str, Any] = {}

    def stored(self) -> dict[str, Any]:
        """What the dialog-state store keeps beside the step."""
        return {"person_id": self.person_id, "kind": self.kind, "chat_key": self.chat_key, "title": self.title,
                "answers": self.answers}


class Screen(BaseModel):
    """What the bot says next: a text and, maybe, buttons."""

    model_config = ConfigDict(frozen=True)

    text: str
    keyboard: Keyboard | None = None
    picks: tuple[str, ...] = ()  # chat keys numbered 1, 2, … in the text: a typed number picks one


class ChatsRefused(Exception):  # noqa: N818 - reads naturally: `except ChatsRefused`
    """A request that changes nothing; `text` tells the person why, in Russian."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class ChatItem(BaseModel):
    """One chat on a person's list with what became of it."""

    chat: ExpectedChat
    status: str  # missing | draft | confirmed | withdrawn | not_needed
    confirmation: Confirmation | None = None

    @property
    def confirmed(self) -> bool:
        return self.status == "confirmed"

    @property
    def counted(self) -> bool:
        """Counts as expected (a chat marked not needed does not)."""
        return self.status != "not_needed"

    @property
    def checked(self) -> bool:
        return self.confirmed and self.confirmation is not None and self.confirmation.checked


class PersonChats(BaseModel):
    """A person's chats and the totals the reports use."""

    person: Person
    items: list[ChatItem]

    @property
    def expected(self) -> int:
        return sum(1 for i in self.items if i.counted)

    @property
    def confirmed(self) -> int:
        return sum(1 for i in self.items if i.confirmed)

    @property
    def checked(self) -> int:
        return sum(1 for i in self.items if i.checked)

    @property
    def missing(self) -> list[str]:
        return [i.chat.title for i in self.items if i.counted and not i.confirmed]

    def item(self, key: str) -> ChatItem | None:
        return next((i for i in self.items if i.chat.key == key), None)


class PersonRow(BaseModel):
    person_id: int
    name: str
    expected: int
    confirmed: int
    checked: int
    missing: list[str]


class ClassRow(BaseModel):
    class_name: str
    expected: int
    confirmed: int
    checked: int


class MigrationReport(BaseModel):
    """One school's migration: totals, per person and per class."""

    org: str
    org_name: str
    expected: int
    confirmed: int
    checked: int
    people: list[PersonRow]
    classes: list[ClassRow]

    def as_json(self) -> dict[str, Any]:
        """The `report migration --json` shape, exactly."""
        return {"org": self.org, "expected": self.expected, "confirmed": self.confirmed, "checked": self.checked,
                "people": [{"name": p.name, "expected": p.expected, "confirmed": p.confirmed, "missing": p.missing}
                           for p in self.people]}


def button(label: str, cmd: str, color: Color = Color.SECONDARY, **args: Any) -> Button:
    """A callback button of the chats feature (labels cut to VK's 40 characters)."""
    return Button(label=label[:40], payload={"cmd": cmd, **args}, color=color, callback=True)


CANCEL = button("Отмена", "ch_cancel", Color.NEGATIVE)
TO_LIST = button("Мои чаты", "ch_list")


def item_of(chat: ExpectedChat, conf: Confirmation | None) -> ChatItem:
    return ChatItem(chat=chat, status=conf.status if conf else "missing", confirmation=conf)


def mark(item: ChatItem) -> str:
    if item.checked:
        return "✅"
    if item.confirmed:
        return "☑️"
    return "➖" if item.status == "not_needed" else "▫️"


def state(item: ChatItem) -> str:
    if item.checked:
        return "подтверждён и проверен ботом"
    if item.confirmed:
        return "подтверждён"
    if item.status == "not_needed":
        return "не нужен (отметил заместитель директора)"
    if item.status == "withdrawn":
        return "подтверждение отозвано"
    return "не подтверждён"


def answers_of(conf: Confirmation) -> dict[str, Any]:
    return {"messenger": conf.old_messenger, "link": conf.link, "link_kind": conf.link_kind,
            "no_link_reason": conf.no_link_reason, "members": conf.members_estimate, "old_chat": conf.old_chat}


def answer_lines(answers: dict[str, Any]) -> list[str]:
    messenger = str(answers.get("messenger") or "")
    lines = []
    if messenger == rules.NO_OLD_CHAT:
        lines.append("Старого чата не было: чат сразу создан в новом мессенджере")
    elif messenger:
        lines.append(f"Был в: {rules.MESSENGER_LABELS.get(messenger, messenger)}")
    if answers.get("link"):
        lines.append(f"Новый чат: {answers['link']}")
    elif answers.get("no_link_reason"):
        lines.append(f"Ссылки нет: {answers['no_link_reason']}")
    if answers.get("members"):
        lines.append(f"Участников: около {answers['members']}")
    if answers.get("old_chat") in OLD_CHAT_LABELS and messenger != rules.NO_OLD_CHAT:
        lines.append(f"Старый чат: {OLD_CHAT_LABELS[answers['old_chat']]}")
    return lines


# Where the bot saw the code, as «в чате …» names it.
_CHAT_MESSENGERS = {"vk": "ВКонтакте", "max": "MAX"}


def details(conf: Confirmation) -> list[str]:
    lines = answer_lines(answers_of(conf))
    if conf.checked:
        counted = f", участников: {conf.members_counted}" if conf.members_counted is not None else ""
        where = f" {_CHAT_MESSENGERS[conf.chat_messenger]}" if conf.chat_messenger in _CHAT_MESSENGERS else ""
        lines.append(f"Бот видел код в чате{where}{counted}.")
    return lines


