"""Reading the chats migration: a person's chats, the school's progress and report, «Мои чаты»."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.config import MigrationConfig, Settings
from bot.contracts import MigrationProgress
from bot.domain import chats as rules
from bot.domain.chats import ExpectedChat
from bot.domain.models import Person
from bot.domain.russian import count
from bot.domain.ui import Button, Color, Keyboard
from bot.messaging.events import Messenger
from bot.messaging.state import StateKey, StateStore
from bot.ports import Clock, Community, MembersPort, Outbound, SystemClock
from bot.services.chats.model import (
    PAGE,
    TO_LIST,
    ChatItem,
    ChatsRefused,
    ClassRow,
    MigrationReport,
    PersonChats,
    PersonRow,
    Screen,
    button,
    details,
    item_of,
    mark,
    state,
)
from bot.services.my_status import StatusSection
from bot.stores.chats import ChatsStore, SchoolChats


class ChatsReader:
    """What the chats migration knows, for the chat, the CLI, reminders, the summary and «Мой статус»."""

    def __init__(self, store: ChatsStore, settings: Settings, *, outbound: Outbound | None = None,
                 members: MembersPort | None = None, community: Community | None = None,
                 clock: Clock | None = None, dialogs: StateStore | None = None, bot_id: int | None = None) -> None:
        self._chats = store
        self._dialogs = dialogs
        self._settings = settings
        self._outbound = outbound
        self._members = members
        self._community = community or Community(settings.vk.group_id)
        # The VK bot's id: the person's VK dialog (the CLI's and the tests' steps) is kept under it.
        self._bot_id = self._community.group_id if bot_id is None else bot_id
        # Other messengers' members ports (MAX), set by the composition root when that messenger runs,
        # and each further bot's (a chat's members are counted by the bot that is in it).
        self._members_by: dict[Messenger, MembersPort] = {}
        self._members_named: dict[tuple[Messenger, str], MembersPort] = {}
        self._clock = clock or SystemClock()

    def use_members(self, messenger: Messenger, port: MembersPort, *, bot: str | None = None) -> None:
        """Count members of `messenger`'s chats through `port` (with `bot`: of the chats that bot is in)."""
        if bot is None:
            self._members_by[messenger] = port
        else:
            self._members_named[(messenger, bot)] = port

    # --- reading ----------------------------------------------------------------------------

    def _migration(self, org_id: str | None) -> MigrationConfig:
        for school in self._settings.schools:
            if school.id == org_id:
                return school.migration
        return MigrationConfig()

    def _new_name(self, org_id: str | None) -> str:
        return rules.new_messenger_name(self._migration(org_id).messenger)

    async def person_chats(self, person: Person) -> PersonChats:
        """A person's chats with what became of each."""
        if person.org_id is None:
            return PersonChats(person=person, items=[])
        customs, confirmations = await self._chats.of_person(person.org_id, person.id)
        expected = rules.expected_chats(person, self._migration(person.org_id))
        expected += [rules.own_chat(c.id, c.title) for c in customs]
        found = {c.chat_key: c for c in confirmations}
        return PersonChats(person=person, items=[item_of(chat, found.get(chat.key)) for chat in expected])

    async def _school(self, org_id: str) -> list[PersonChats]:
        return self._school_chats(org_id, await self._chats.school(org_id))

    def _school_chats(self, org_id: str, school: SchoolChats) -> list[PersonChats]:
        """Each person's chats with what became of each, from the school's data already read."""
        migration = self._migration(org_id)
        own: dict[int, list[ExpectedChat]] = {}
        for custom in school.customs:
            own.setdefault(custom.person_id, []).append(rules.own_chat(custom.id, custom.title))
        found = {(c.person_id, c.chat_key): c for c in school.confirmations}
        result = []
        for person in school.people:
            expected = rules.expected_chats(person, migration) + own.get(person.id, [])
            if expected:
                result.append(PersonChats(person=person, items=[item_of(chat, found.get((person.id, chat.key)))
                                                                 for chat in expected]))
        return result

    async def progress(self, org_id: str) -> MigrationProgress:
        """Chats expected, confirmed and checked in a school (contracts.ChatsProgress)."""
        school = await self._school(org_id)
        return MigrationProgress(expected=sum(p.expected for p in school), confirmed=sum(p.confirmed for p in school),
                                 checked=sum(p.checked for p in school))

    async def missing_by_person(self, org_id: str) -> dict[int, list[str]]:
        """person id → titles of the expected chats not yet confirmed (contracts.ChatsProgress)."""
        return {p.person.id: p.missing for p in await self._school(org_id) if p.missing}

    async def missing_by_person_of(self, org_ids: Sequence[str]) -> dict[str, dict[int, list[str]]]:
        """`missing_by_person` of several schools at once (a regional wave), read in one go."""
        schools = await self._chats.schools(org_ids)
        return {org_id: {p.person.id: p.missing for p in self._school_chats(org_id, school) if p.missing}
                for org_id, school in schools.items()}

    async def missing_for(self, person: Person) -> list[str]:
        """One person's expected chats not yet confirmed (contracts.ChatsProgress)."""
        return (await self.person_chats(person)).missing

    async def report(self, org_id: str) -> MigrationReport:
        """Totals, people and classes of one school."""
        school = await self._school(org_id)
        classes: dict[str, list[int]] = {}
        for chats in school:
            for item in chats.items:
                cls = item.chat.class_name
                if cls is None or not item.counted:
                    continue
                row = classes.setdefault(cls, [0, 0, 0])
                row[0] += 1
                row[1] += item.confirmed
                row[2] += item.checked
        name = next((s.name for s in self._settings.schools if s.id == org_id), org_id)
        return MigrationReport(
            org=org_id, org_name=name, expected=sum(p.expected for p in school),
            confirmed=sum(p.confirmed for p in school), checked=sum(p.checked for p in school),
            people=[PersonRow(person_id=p.person.id, name=p.person.full_name, expected=p.expected,
                              confirmed=p.confirmed, checked=p.checked, missing=p.missing) for p in school],
            classes=[ClassRow(class_name=c, expected=v[0], confirmed=v[1], checked=v[2])
                     for c, v in sorted(classes.items(), key=lambda kv: rules.class_sort_key(kv[0]))])

    async def status_section(self, person: Person, now: dt.datetime) -> StatusSection | None:
        """«Мой статус»: chats confirmed of expected, and what is left to confirm."""
        chats = await self.person_chats(person)
        if not chats.expected:
            return None
        line = f"Перенесено чатов: {chats.confirmed} из {chats.expected}"
        if chats.checked:
            line += f" (проверено ботом: {chats.checked})"
        tasks = [f"Подтвердите перенос чата «{t}» (кнопка «Мои чаты»)." for t in chats.missing[:5]]
        if len(chats.missing) > 5:
            tasks.append(f"Подтвердите перенос ещё {count(len(chats.missing) - 5, 'чат', 'gent')} (кнопка «Мои чаты»).")
        return StatusSection(title=f"Перенос чатов в {self._new_name(person.org_id)}", lines=[line],
                             open_tasks=tasks, order=40)

    async def chat_list(self, person: Person, page: int = 0) -> Screen:
        """Every chat of the person with its state, as buttons (paged)."""
        chats = await self.person_chats(person)
        new = self._new_name(person.org_id)
        if not chats.items:
            return Screen(text=("По списку сотрудников у вас нет обязательных чатов для переноса. Если вы "
                                f"перенесли рабочий чат в {new}, добавьте его, чтобы школа это учла."),
                          keyboard=Keyboard.column([button("Добавить свой чат", "ch_add", Color.PRIMARY)]))
        lines = [f"Ваши рабочие чаты — перенос в {new}: подтверждено {chats.confirmed} из {chats.expected}."]
        lines += [f"{n}. {mark(i)} {i.chat.title} — {state(i)}" for n, i in enumerate(chats.items, 1)]
        lines.append("Нажмите на чат или напишите его номер, чтобы подтвердить перенос или исправить; "
                     "«добавить» — добавить свой чат.")
        pages = max(1, -(-len(chats.items) // PAGE))
        page = min(max(page, 0), pages - 1)
        shown = chats.items[page * PAGE:(page + 1) * PAGE]
        buttons = [button(i.chat.title, "ch_open", Color.POSITIVE if i.confirmed else Color.SECONDARY, k=i.chat.key)
                   for i in shown]
        buttons.append(button("Добавить свой чат", "ch_add"))
        rows = [[b] for b in buttons]
        nav = []
        if page > 0:
            nav.append(button("← Назад", "ch_list", pg=page - 1))
        if page < pages - 1:
            nav.append(button("Дальше →", "ch_list", pg=page + 1))
        if nav:
            rows.append(nav)
        return Screen(text="\n".join(lines), keyboard=Keyboard(rows=rows, inline=True),
                      picks=tuple(i.chat.key for i in chats.items))

    async def open_chat(self, person: Person, key: str, *, at: StateKey | None = None) -> Screen:
        """One chat's card: its state and what can be done with it (`at`: the dialog it is shown in)."""
        item = await self._own_item(person, key)
        lines = [f"«{item.chat.title}»: {state(item)}."]
        conf = item.confirmation
        buttons: list[Button] = []
        if item.status == "not_needed" and conf is not None:
            lines.append(f"Причина: {conf.not_needed_reason or 'не указана'}.")
        elif item.confirmed and conf is not None:
            lines += details(conf)
            if not conf.checked and conf.code:
                lines.append(self._code_hint(conf.code, at))
            buttons += [button("Исправить", "ch_go", Color.PRIMARY, k=key), button("Отозвать", "ch_wd", Color.NEGATIVE, k=key)]
        else:
            buttons.append(button("Подтвердить перенос", "ch_go", Color.PRIMARY, k=key))
        buttons.append(TO_LIST)
        return Screen(text="\n".join(lines), keyboard=Keyboard.column(buttons))

    async def _own_item(self, person: Person, key: str) -> ChatItem:
        chats = await self.person_chats(person)
        item = chats.item(key) if isinstance(key, str) else None
        if item is None:
            raise ChatsRefused("Такого чата нет в вашем списке. Откройте «Мои чаты» заново.")
        return item

    def _code_hint(self, code: str, at: StateKey | None) -> str:
        """How to let the bot check the chat, worded for the messenger the person talks to the bot in; in VK
        the mention names the community of that dialog (its id is the dialog key's `bot_id`)."""
        messenger = at.messenger if at is not None else Messenger.VK
        community = Community(at.bot_id) if at is not None and at.bot_id and messenger is Messenger.VK else None
        if messenger is Messenger.MAX:
            how = ("добавьте бота в новый чат администратором с правом «Читать все сообщения» и отправьте там "
                   f"сообщение с кодом: {code}")
        else:
            how = ("добавьте сообщество в новый чат и отправьте там сообщение с упоминанием бота и кодом: "
                   f"{(community or self._community).mention()}{code}")
        return (f"Бот может проверить чат сам: {how}\nЕсли бота в чат добавить нельзя, ничего страшного: "
                "вашего подтверждения достаточно.")

