"""Chats moved off foreign messengers: each person confirms each expected chat in a short
dialog; the bot checks a chat where it can (a code posted in it); the school sees progress.

Dialog steps return a `Screen` (text + keyboard) so the handler only sends it. The dialog
lives in the database (`chat_dialogs`): a restart continues where the person was.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel, ConfigDict

from bot.config import MigrationConfig, Settings
from bot.contracts import MigrationProgress
from bot.domain import chats as rules
from bot.domain.chats import ExpectedChat
from bot.domain.models import Person, Role
from bot.domain.ui import Button, Color, Keyboard
from bot.ports import Clock, Outbound, OutMessage, SystemClock
from bot.services.my_status import StatusSection
from storage.audit import AuditRepo
from storage.chats import ChatDialog, ChatsRepo, Confirmation
from storage.db import Database

log = logging.getLogger(__name__)

ApiCall = Callable[[str, dict[str, Any]], Awaitable[Any]]

PAGE = 7  # chats per «Мои чаты» page: with «Добавить», «Назад» and «Дальше» an inline keyboard holds 10
MAIN_MESSENGERS = ("whatsapp", "viber", "telegram")
TYPING_STEPS = {"title", "link", "link_reason", "members", "nn_reason"}
MAX_TITLE = 60
MAX_REASON = 300
OLD_CHAT_LABELS = {"closed": "закрыт", "announced": "участникам объявлено, что он закрыт"}
STALE = "Эта кнопка уже не действует."


class Screen(BaseModel):
    """What the bot says next: a text and, maybe, buttons."""

    model_config = ConfigDict(frozen=True)

    text: str
    keyboard: Keyboard | None = None


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


def _b(label: str, cmd: str, color: Color = Color.SECONDARY, **args: Any) -> Button:
    return Button(label=label[:40], payload={"cmd": cmd, **args}, color=color, callback=True)


CANCEL = _b("Отмена", "ch_cancel", Color.NEGATIVE)
TO_LIST = _b("Мои чаты", "ch_list")


class ChatsService:
    """The chats migration for the chat, the CLI, reminders, the summary and «Мой статус»."""

    def __init__(self, db: Database, settings: Settings, *, outbound: Outbound | None = None,
                 call: ApiCall | None = None, group_id: Callable[[], int] | None = None,
                 clock: Clock | None = None) -> None:
        self._db = db
        self._settings = settings
        self._outbound = outbound
        self._call = call
        self._group_id = group_id or (lambda: settings.vk.group_id)
        self._clock = clock or SystemClock()

    # --- reading ----------------------------------------------------------------------------

    def _migration(self, org_id: str | None) -> MigrationConfig:
        for school in self._settings.schools:
            if school.id == org_id:
                return school.migration
        return MigrationConfig()

    def _new_name(self, org_id: str | None) -> str:
        return rules.new_messenger_name(self._migration(org_id).messenger)

    async def _chats_in(self, conn: Any, person: Person) -> PersonChats:
        if person.org_id is None:
            return PersonChats(person=person, items=[])
        expected = rules.expected_chats(person, self._migration(person.org_id))
        expected += [rules.own_chat(c.id, c.title)
                     for c in await ChatsRepo.custom_chats(conn, person.org_id, person.id)]
        found = {c.chat_key: c for c in await ChatsRepo.confirmations(conn, person.org_id, person.id)}
        return PersonChats(person=person, items=[_item(chat, found.get(chat.key)) for chat in expected])

    async def person_chats(self, person: Person) -> PersonChats:
        """A person's chats with what became of each."""
        async with self._db.read() as conn:
            return await self._chats_in(conn, person)

    async def _school(self, org_id: str) -> list[PersonChats]:
        async with self._db.read() as conn:
            people = await ChatsRepo.people_in(conn, org_id)
            customs = await ChatsRepo.custom_chats(conn, org_id)
            confirmations = await ChatsRepo.confirmations(conn, org_id)
        migration = self._migration(org_id)
        own: dict[int, list[ExpectedChat]] = {}
        for custom in customs:
            own.setdefault(custom.person_id, []).append(rules.own_chat(custom.id, custom.title))
        found = {(c.person_id, c.chat_key): c for c in confirmations}
        result = []
        for person in people:
            expected = rules.expected_chats(person, migration) + own.get(person.id, [])
            if expected:
                result.append(PersonChats(person=person, items=[_item(chat, found.get((person.id, chat.key)))
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
            tasks.append(f"Подтвердите перенос ещё {len(chats.missing) - 5} чатов (кнопка «Мои чаты»).")
        return StatusSection(title=f"Перенос чатов в {self._new_name(person.org_id)}", lines=[line],
                             open_tasks=tasks, order=40)

    # --- «Мои чаты» -------------------------------------------------------------------------

    async def my_chats(self, person: Person, page: int = 0) -> Screen:
        """The list of a person's chats, or the step they stopped at when a dialog is open."""
        async with self._db.read() as conn:
            dialog = await ChatsRepo.dialog(conn, person.id)
        if dialog is not None:
            return await self._step_screen(person, dialog, prefix="Продолжим с того места, где вы остановились.\n\n")
        return await self.chat_list(person, page)

    async def chat_list(self, person: Person, page: int = 0) -> Screen:
        """Every chat of the person with its state, as buttons (paged)."""
        chats = await self.person_chats(person)
        new = self._new_name(person.org_id)
        if not chats.items:
            return Screen(text=("По списку сотрудников у вас нет обязательных чатов для переноса. Если вы "
                                f"перенесли рабочий чат в {new}, добавьте его, чтобы школа это учла."),
                          keyboard=Keyboard.column([_b("Добавить свой чат", "ch_add", Color.PRIMARY)]))
        lines = [f"Ваши рабочие чаты — перенос в {new}: подтверждено {chats.confirmed} из {chats.expected}."]
        lines += [f"{_mark(i)} {i.chat.title} — {_state(i)}" for i in chats.items]
        lines.append("Нажмите на чат, чтобы подтвердить перенос, исправить или отозвать подтверждение.")
        pages = max(1, -(-len(chats.items) // PAGE))
        page = min(max(page, 0), pages - 1)
        shown = chats.items[page * PAGE:(page + 1) * PAGE]
        buttons = [_b(i.chat.title, "ch_open", Color.POSITIVE if i.confirmed else Color.SECONDARY, k=i.chat.key)
                   for i in shown]
        buttons.append(_b("Добавить свой чат", "ch_add"))
        rows = [[b] for b in buttons]
        nav = []
        if page > 0:
            nav.append(_b("← Назад", "ch_list", pg=page - 1))
        if page < pages - 1:
            nav.append(_b("Дальше →", "ch_list", pg=page + 1))
        if nav:
            rows.append(nav)
        return Screen(text="\n".join(lines), keyboard=Keyboard(rows=rows, inline=True))

    async def open_chat(self, person: Person, key: str) -> Screen:
        """One chat's card: its state and what can be done with it."""
        item = await self._own_item(person, key)
        lines = [f"«{item.chat.title}»: {_state(item)}."]
        conf = item.confirmation
        buttons: list[Button] = []
        if item.status == "not_needed" and conf is not None:
            lines.append(f"Причина: {conf.not_needed_reason or 'не указана'}.")
        elif item.confirmed and conf is not None:
            lines += _details(conf)
            if not conf.checked and conf.code:
                lines.append(self._code_hint(conf.code))
            buttons += [_b("Исправить", "ch_go", Color.PRIMARY, k=key), _b("Отозвать", "ch_wd", Color.NEGATIVE, k=key)]
        else:
            buttons.append(_b("Подтвердить перенос", "ch_go", Color.PRIMARY, k=key))
        buttons.append(TO_LIST)
        return Screen(text="\n".join(lines), keyboard=Keyboard.column(buttons))

    async def _own_item(self, person: Person, key: str) -> ChatItem:
        chats = await self.person_chats(person)
        item = chats.item(key) if isinstance(key, str) else None
        if item is None:
            raise ChatsRefused("Такого чата нет в вашем списке. Откройте «Мои чаты» заново.")
        return item

    # --- the confirmation dialog ------------------------------------------------------------

    async def start(self, person: Person, key: str) -> Screen:
        """Begin (or begin again) confirming a chat; a confirmed chat keeps its answers to edit."""
        item = await self._own_item(person, key)
        if item.status == "not_needed":
            raise ChatsRefused("Этот чат заместитель директора отметил как ненужный — подтверждать его не нужно.")
        assert person.org_id is not None  # noqa: S101 - a person with chats belongs to a school
        async with self._db.transaction() as conn:
            conf = await ChatsRepo.ensure(conn, person.org_id, person.id, key, item.chat.title)
            answers = _answers_of(conf) if conf.status == "confirmed" else {}
            dialog = ChatDialog(person_id=person.id, kind="confirm", chat_key=key, title=item.chat.title,
                                step="messenger", answers=answers)
            await ChatsRepo.set_dialog(conn, dialog)
        return await self._step_screen(person, dialog)

    async def add_custom(self, person: Person) -> Screen:
        """Add a chat that is not on the list: its title is typed first."""
        if person.org_id is None:
            raise ChatsRefused("Чаты подтверждают сотрудники школы.")
        dialog = ChatDialog(person_id=person.id, kind="custom", chat_key=None, title=None, step="title")
        async with self._db.transaction() as conn:
            await ChatsRepo.set_dialog(conn, dialog)
        return await self._step_screen(person, dialog)

    async def _dialog(self, person: Person, *steps: str) -> ChatDialog:
        async with self._db.read() as conn:
            dialog = await ChatsRepo.dialog(conn, person.id)
        if dialog is None or (steps and dialog.step not in steps):
            raise ChatsRefused(STALE)
        return dialog

    async def _advance(self, person: Person, dialog: ChatDialog, step: str, **answers: Any) -> Screen:
        updated = dialog.model_copy(update={"step": step, "answers": {**dialog.answers, **answers}})
        async with self._db.transaction() as conn:
            await ChatsRepo.set_dialog(conn, updated)
        return await self._step_screen(person, updated)

    async def choose_messenger(self, person: Person, messenger: str) -> Screen:
        """Step 1: which messenger the old chat was in («more» shows the rest)."""
        dialog = await self._dialog(person, "messenger", "messenger_more")
        if messenger == "more":
            return await self._advance(person, dialog, "messenger_more")
        if messenger == "back":
            return await self._advance(person, dialog, "messenger")
        if messenger not in rules.MESSENGER_LABELS:
            raise ChatsRefused(STALE)
        if messenger == rules.NO_OLD_CHAT:
            return await self._advance(person, dialog, "link", messenger=messenger, old_chat=None)
        return await self._advance(person, dialog, "link", messenger=messenger)

    async def keep(self, person: Person) -> Screen:
        """«Оставить как было» while editing: the previous link (or reason) or number stays."""
        dialog = await self._dialog(person, "link", "members")
        answers = dialog.answers
        if dialog.step == "link" and (answers.get("link") or answers.get("no_link_reason")):
            return await self._advance(person, dialog, "members")
        if dialog.step == "members" and answers.get("members"):
            step = "summary" if answers.get("messenger") == rules.NO_OLD_CHAT else "old_chat"
            return await self._advance(person, dialog, step)
        raise ChatsRefused(STALE)

    async def no_link(self, person: Person) -> Screen:
        """Step 2 without a link: the reason is asked instead."""
        dialog = await self._dialog(person, "link")
        return await self._advance(person, dialog, "link_reason", link=None, link_kind=None)

    async def quick_reason(self, person: Person) -> Screen:
        """«Чат создан автоматически» as the reason for having no link."""
        dialog = await self._dialog(person, "link_reason")
        return await self._advance(person, dialog, "members", no_link_reason="чат создан автоматически")

    async def old_chat(self, person: Person, value: str) -> Screen:
        """Step 4: is the old chat closed? «Пока нет» keeps the dialog here for later."""
        dialog = await self._dialog(person, "old_chat")
        if value == "not_yet":
            messenger = rules.MESSENGER_LABELS.get(str(dialog.answers.get("messenger")), "старом мессенджере")
            return Screen(text=(f"Тогда закройте старый чат в {messenger} или напишите в нём, что он больше не "
                                "используется и все переходят в новый. Потом откройте «Мои чаты» — продолжим с "
                                "этого шага."), keyboard=Keyboard.column([TO_LIST]))
        if value not in OLD_CHAT_LABELS:
            raise ChatsRefused(STALE)
        return await self._advance(person, dialog, "summary", old_chat=value)

    async def redo(self, person: Person) -> Screen:
        """«Исправить» on the summary: the steps again, with the answers kept."""
        dialog = await self._dialog(person, "summary")
        return await self._advance(person, dialog, "messenger")

    async def cancel(self, person: Person) -> Screen:
        """Stop the dialog; what was confirmed before stays as it was."""
        async with self._db.transaction() as conn:
            await ChatsRepo.delete_dialog(conn, person.id)
        listing = await self.chat_list(person)
        return Screen(text="Хорошо, отменил. Вернуться можно в любой момент.\n\n" + listing.text,
                      keyboard=listing.keyboard)

    async def in_typing_step(self, person: Person) -> bool:
        """Is the person's chats dialog waiting for typed text?"""
        async with self._db.read() as conn:
            dialog = await ChatsRepo.dialog(conn, person.id)
        return dialog is not None and dialog.step in TYPING_STEPS

    async def typed(self, person: Person, text: str) -> Screen:
        """Text typed at a typing step: a chat's title, a link, a reason or a number of people."""
        dialog = await self._dialog(person, *TYPING_STEPS)
        text = rules.clean_typed(text)
        if text.lower() in ("отмена", "отменить", "стоп"):
            return await self.cancel(person)
        if dialog.step == "title":
            return await self._typed_title(person, dialog, text)
        if dialog.step == "link":
            check = rules.check_link(text)
            if not check.ok:
                return await self._step_screen(person, dialog, prefix=f"Не подошло: {check.reason}.\n\n")
            return await self._advance(person, dialog, "members", link=check.url, link_kind=check.kind,
                                       no_link_reason=None)
        if dialog.step == "link_reason":
            if len(text) < 3:
                return await self._step_screen(person, dialog, prefix="Напишите причину хотя бы парой слов.\n\n")
            return await self._advance(person, dialog, "members", no_link_reason=text[:MAX_REASON])
        if dialog.step == "members":
            members = rules.parse_members(text)
            if members is None:
                return await self._step_screen(
                    person, dialog, prefix="Не понял число. Напишите, например, «25» или «около 30».\n\n")
            step = "summary" if dialog.answers.get("messenger") == rules.NO_OLD_CHAT else "old_chat"
            return await self._advance(person, dialog, step, members=members)
        return await self._typed_reason(person, dialog, text)

    async def _typed_title(self, person: Person, dialog: ChatDialog, text: str) -> Screen:
        if not 2 <= len(text) <= MAX_TITLE:
            return await self._step_screen(person, dialog,
                                           prefix=f"Название — от 2 до {MAX_TITLE} знаков.\n\n")
        assert person.org_id is not None  # noqa: S101 - custom dialogs start only for school staff
        async with self._db.transaction() as conn:
            custom = await ChatsRepo.add_custom(conn, person.org_id, person.id, text)
            chat = rules.own_chat(custom.id, custom.title)
            await ChatsRepo.ensure(conn, person.org_id, person.id, chat.key, chat.title)
            updated = ChatDialog(person_id=person.id, kind="confirm", chat_key=chat.key, title=chat.title,
                                 step="messenger")
            await ChatsRepo.set_dialog(conn, updated)
        return await self._step_screen(person, updated, prefix=f"Добавил чат «{chat.title}».\n\n")

    async def confirm(self, person: Person) -> Screen:
        """The summary confirmed: the answers are stored and a check code is given."""
        dialog = await self._dialog(person, "summary")
        async with self._db.transaction() as conn:
            conf = await ChatsRepo.confirmation(conn, person.id, dialog.chat_key or "")
            await ChatsRepo.delete_dialog(conn, person.id)
            if conf is not None and conf.status != "not_needed":
                code = None if conf.code or conf.checked else await self._unique_code(conn)
                await ChatsRepo.confirm(conn, conf.id, dialog.answers, code)
                conf = await ChatsRepo.confirmation(conn, person.id, dialog.chat_key or "")
        if conf is None or conf.status != "confirmed":
            # Marked not needed by the deputy while the person was answering.
            raise ChatsRefused("Этот чат больше не нужно подтверждать: заместитель директора отметил его ненужным.")
        lines = [f"Готово: перенос чата «{conf.title}» подтверждён. Спасибо!"]
        if not conf.checked and conf.code:
            lines.append(self._code_hint(conf.code))
        return Screen(text="\n\n".join(lines), keyboard=Keyboard.column([TO_LIST]))

    async def _unique_code(self, conn: Any) -> str:
        while True:
            code = rules.new_code()
            if not await ChatsRepo.open_codes(conn, [code]):
                return code

    def _code_hint(self, code: str) -> str:
        gid = self._group_id()
        mention = f"@club{gid} " if gid else ""
        return ("Бот может проверить чат сам: добавьте сообщество в новый чат и отправьте там сообщение "
                f"с упоминанием бота и кодом: {mention}{code}\nЕсли бота в чат добавить нельзя, ничего страшного: "
                "вашего подтверждения достаточно.")

    async def withdraw(self, person: Person, key: str) -> Screen:
        """Take a confirmation back; a chat the person added is removed from the list."""
        item = await self._own_item(person, key)
        if not item.confirmed or item.confirmation is None:
            raise ChatsRefused("Этот чат ещё не подтверждён — отзывать нечего.")
        async with self._db.transaction() as conn:
            await ChatsRepo.set_status(conn, item.confirmation.id, "withdrawn")
            if key.startswith("own:"):
                await ChatsRepo.remove_custom(conn, person.id, int(key.split(":")[1]))
        listing = await self.chat_list(person)
        return Screen(text=f"Подтверждение чата «{item.chat.title}» отозвано.\n\n" + listing.text,
                      keyboard=listing.keyboard)

    async def _step_screen(self, person: Person, dialog: ChatDialog, prefix: str = "") -> Screen:
        title = dialog.title or "чат"
        new = self._new_name(person.org_id)
        short_new = "MAX" if self._migration(person.org_id).messenger == "max" else "Сферуме"
        step = dialog.step
        if step == "title":
            text = ("Как называется чат, который вы перенесли? Напишите коротко, например «Кружок робототехники» "
                    "или «Методобъединение учителей начальных классов».")
            return Screen(text=prefix + text, keyboard=Keyboard.column([CANCEL]))
        if step == "messenger":
            buttons = [_b(rules.MESSENGER_LABELS[m], "ch_m", m=m) for m in MAIN_MESSENGERS]
            buttons += [_b("Другой мессенджер…", "ch_m", m="more"),
                        _b(f"Не было: сразу создан в {short_new}", "ch_m", m=rules.NO_OLD_CHAT), CANCEL]
            return Screen(text=prefix + f"«{title}»: в каком мессенджере был старый чат?",
                          keyboard=Keyboard.column(buttons))
        if step == "messenger_more":
            buttons = [_b(label, "ch_m", m=m) for m, label in rules.MESSENGERS if m not in MAIN_MESSENGERS]
            buttons += [_b("Другой", "ch_m", m=rules.OTHER_MESSENGER), _b("← Назад", "ch_m", m="back"), CANCEL]
            return Screen(text=prefix + f"«{title}»: в каком мессенджере был старый чат?",
                          keyboard=Keyboard.column(buttons))
        if step == "link":
            example = "https://max.ru/join/…" if self._migration(person.org_id).messenger == "max" \
                else "https://vk.me/join/…"
            text = (f"Пришлите ссылку-приглашение в новый чат «{title}» в {new}. Она выглядит так: {example}\n"
                    "Ссылку можно скопировать в настройках чата. Если ссылки нет, нажмите «Нет ссылки».")
            buttons = [_b("Нет ссылки", "ch_nolink"), CANCEL]
            if dialog.answers.get("link") or dialog.answers.get("no_link_reason"):
                buttons.insert(0, _b("Оставить как было", "ch_keep", Color.PRIMARY))
            return Screen(text=prefix + text, keyboard=Keyboard.column(buttons))
        if step == "link_reason":
            return Screen(text=prefix + "Почему нет ссылки? Напишите коротко или выберите кнопку.",
                          keyboard=Keyboard.column([_b("Чат создан автоматически", "ch_reason"), CANCEL]))
        if step == "members":
            buttons = [CANCEL]
            if dialog.answers.get("members"):
                buttons.insert(0, _b(f"Оставить: около {dialog.answers['members']}", "ch_keep", Color.PRIMARY))
            return Screen(text=prefix + "Сколько примерно человек в новом чате? Напишите число, например «25».",
                          keyboard=Keyboard.column(buttons))
        if step == "old_chat":
            messenger = rules.MESSENGER_LABELS.get(str(dialog.answers.get("messenger")), "старом мессенджере")
            buttons = [_b("Да, закрыт", "ch_old", Color.POSITIVE, v="closed"),
                       _b("Объявил(а), что он закрыт", "ch_old", v="announced"),
                       _b("Пока нет", "ch_old", v="not_yet"), CANCEL]
            return Screen(text=prefix + f"Старый чат в {messenger} закрыт?", keyboard=Keyboard.column(buttons))
        if step == "summary":
            lines = [f"Проверьте, всё ли верно:\nЧат: {title}"] + _answer_lines(dialog.answers)
            buttons = [_b("Подтвердить", "ch_ok", Color.POSITIVE), _b("Исправить", "ch_redo"), CANCEL]
            return Screen(text=prefix + "\n".join(lines), keyboard=Keyboard.column(buttons))
        if step == "nn_reason":
            return Screen(text=prefix + (f"Почему чат «{title}» не нужен? Напишите причину коротко, например "
                                         "«класс выпустился» или «чат ведёт другой учитель»."),
                          keyboard=Keyboard.column([CANCEL]))
        raise ChatsRefused(STALE)

    # --- the deputy: «не нужен» -------------------------------------------------------------

    async def nn_people(self, deputy: Person, page: int = 0) -> Screen:
        """People of the deputy's school with unconfirmed chats, as buttons."""
        waiting = [p for p in await self._school(deputy.org_id or "") if p.missing]
        if not waiting:
            return Screen(text="Неподтверждённых чатов нет — отмечать нечего.")
        pages = max(1, -(-len(waiting) // 8))
        page = min(max(page, 0), pages - 1)
        buttons = [_b(f"{p.person.short_name} ({len(p.missing)})", "ch_nnp", p=p.person.id)
                   for p in waiting[page * 8:(page + 1) * 8]]
        nav = []
        if page > 0:
            nav.append(_b("← Назад", "ch_nn", pg=page - 1))
        if page < pages - 1:
            nav.append(_b("Дальше →", "ch_nn", pg=page + 1))
        rows = [[b] for b in buttons] + ([nav] if nav else [])
        return Screen(text="Чей чат отметить как ненужный?", keyboard=Keyboard(rows=rows, inline=True))

    async def nn_chats(self, deputy: Person, person_id: int) -> Screen:
        """The unconfirmed chats of one person of the deputy's school."""
        chats = await self._colleague(deputy, person_id)
        items = [i for i in chats.items if i.counted and not i.confirmed][:9]
        if not items:
            return Screen(text=f"У {chats.person.short_name} неподтверждённых чатов нет.")
        buttons = [_b(i.chat.title, "ch_nnk", p=person_id, k=i.chat.key) for i in items] + [CANCEL]
        return Screen(text=f"{chats.person.short_name}: какой чат не нужен?", keyboard=Keyboard.column(buttons))

    async def nn_start(self, deputy: Person, person_id: int, key: str) -> Screen:
        """Ask the deputy for the reason a colleague's chat is not needed."""
        chats = await self._colleague(deputy, person_id)
        item = chats.item(key) if isinstance(key, str) else None
        if item is None or item.confirmed or not item.counted:
            raise ChatsRefused("Этого чата нет среди неподтверждённых. Откройте отчёт заново.")
        dialog = ChatDialog(person_id=deputy.id, kind="not_needed", chat_key=key, title=item.chat.title,
                            step="nn_reason", answers={"target": person_id})
        async with self._db.transaction() as conn:
            await ChatsRepo.set_dialog(conn, dialog)
        return await self._step_screen(deputy, dialog)

    async def _colleague(self, deputy: Person, person_id: int) -> PersonChats:
        async with self._db.read() as conn:
            person = await ChatsRepo.person_in(conn, person_id) if isinstance(person_id, int) else None
        if person is None or person.org_id is None or person.org_id != deputy.org_id:
            raise ChatsRefused("Этот сотрудник не из вашей школы.")
        return await self.person_chats(person)

    async def _typed_reason(self, deputy: Person, dialog: ChatDialog, text: str) -> Screen:
        if len(text) < 3:
            return await self._step_screen(deputy, dialog, prefix="Напишите причину хотя бы парой слов.\n\n")
        target = int(dialog.answers.get("target", 0))
        chats = await self._colleague(deputy, target)
        item = chats.item(dialog.chat_key or "")
        if item is None or item.confirmed:
            async with self._db.transaction() as conn:
                await ChatsRepo.delete_dialog(conn, deputy.id)
            raise ChatsRefused("Этот чат уже подтверждён или убран из списка — отмечать не нужно.")
        async with self._db.transaction() as conn:
            conf = await ChatsRepo.ensure(conn, chats.person.org_id or "", target, item.chat.key, item.chat.title)
            await ChatsRepo.set_status(conn, conf.id, "not_needed", reason=text[:MAX_REASON], decided_by=deputy.id)
            await ChatsRepo.delete_dialog(conn, deputy.id)
            await AuditRepo.write_in(conn, actor_vk_id=deputy.vk_id, actor_person_id=deputy.id,
                                     org_id=deputy.org_id, action="chat_not_needed", outcome="ok",
                                     target=f"{target}:{item.chat.key}", details={"reason": text[:MAX_REASON]})
        return Screen(text=f"Отметил: у {chats.person.short_name} чат «{item.chat.title}» не нужен ({text[:MAX_REASON]}).",
                      keyboard=Keyboard.column([_b("Отметить ещё", "ch_nn")]))

    # --- the report for the deputy and the head ---------------------------------------------

    async def report_screen(self, viewer: Person, view: str = "summary") -> Screen:
        """The school's progress: totals and classes, or per person (names: deputy, director)."""
        report = await self.report(viewer.org_id or "")
        share = f" ({round(100 * report.confirmed / report.expected)} %)" if report.expected else ""
        lines = [f"Перенос чатов в {self._new_name(viewer.org_id)} — {report.org_name}",
                 f"Подтверждено: {report.confirmed} из {report.expected}{share}, проверено ботом: {report.checked}."]
        if not report.expected:
            lines.append("Ожидаемых чатов пока нет: загрузите список сотрудников с классным руководством.")
        elif view == "person":
            lines.append("\nПо сотрудникам:")
            for row in report.people:
                tail = f"; нет: {', '.join(row.missing)}" if row.missing else " ✅"
                lines.append(f"{_short(row.name)} — {row.confirmed} из {row.expected}{tail}")
        else:
            if report.classes:
                lines.append("\nПо классам:")
                lines += [f"{c.class_name} — {c.confirmed} из {c.expected}" + (f", проверено {c.checked}" if c.checked else "")
                          for c in report.classes]
            behind = [r for r in report.people if r.missing]
            if behind:
                lines.append(f"\nЕщё не подтвердили ({len(behind)}): " +
                             ", ".join(f"{_short(r.name)} ({len(r.missing)})" for r in behind[:30]) +
                             (f" и ещё {len(behind) - 30}" if len(behind) > 30 else "") + ".")
        buttons = [_b("По классам", "ch_rep", v="summary") if view == "person" else _b("По сотрудникам", "ch_rep", v="person")]
        if viewer.role is Role.DEPUTY and report.confirmed < report.expected:
            buttons.append(_b("Отметить «не нужен»", "ch_nn"))
        return Screen(text="\n".join(lines), keyboard=Keyboard.column(buttons))

    # --- the check in a group chat ----------------------------------------------------------

    async def has_open_code(self, text: str) -> bool:
        """Does a chat message carry a code that is waiting to be seen?"""
        codes = rules.codes_in(text)
        if not codes:
            return False
        async with self._db.read() as conn:
            return bool(await ChatsRepo.open_codes(conn, codes))

    async def code_seen(self, peer_id: int, from_id: int, text: str) -> bool:
        """A code in a group chat: link the chat, count its members where the bot may, tell the owner."""
        codes = rules.codes_in(text)
        async with self._db.read() as conn:
            found = await ChatsRepo.open_codes(conn, codes)
        if not found:
            return False
        conf = found[0]
        members = await self._count_members(peer_id)
        async with self._db.transaction() as conn:
            still = await ChatsRepo.open_codes(conn, [conf.code or ""])
            if not still:
                return False  # checked by a parallel message meanwhile
            await ChatsRepo.mark_checked(conn, conf.id, peer_id, members)
            owner = await ChatsRepo.person_in(conn, conf.person_id)
            await AuditRepo.write_in(conn, actor_vk_id=from_id, actor_person_id=None, org_id=conf.org_id,
                                     action="chat_checked", outcome="ok", target=f"{conf.person_id}:{conf.chat_key}",
                                     details={"peer_id": peer_id, "members": members})
        if self._outbound is not None:
            counted = (f"Участников в чате: {members}." if members is not None else
                       "Участников бот посчитать не смог: для этого его нужно сделать администратором чата.")
            await self._outbound.reply(OutMessage(peer_id=peer_id, text="Код принят, спасибо! Чат отмечен как перенесённый."))
            if owner is not None and owner.vk_id:
                await self._outbound.reply(OutMessage(
                    peer_id=owner.vk_id, person_id=owner.id,
                    text=f"Бот увидел код в новом чате: «{conf.title}» отмечен как проверенный. {counted}"))
        return True

    async def _count_members(self, peer_id: int) -> int | None:
        """People in the chat (messages.getConversationMembers; VK answers 917 unless the bot is an admin)."""
        if self._call is None:
            return None
        people, offset = 0, 0
        while True:
            try:
                answer = await self._call("messages.getConversationMembers",
                                          {"peer_id": peer_id, "count": 200, "offset": offset})
            except Exception as exc:  # 917 and any failure: the check stands without a count
                log.info("getConversationMembers for %s failed: %s", peer_id,
                         getattr(exc, "code", type(exc).__name__))
                return None
            if not isinstance(answer, dict):
                return None
            items = [i for i in answer.get("items") or [] if isinstance(i, dict)]
            # Communities (the bot itself) are members too, with negative ids: only people count.
            people += sum(1 for i in items if int(i.get("member_id", 0)) > 0)
            offset += len(items)
            if not items or offset >= int(answer.get("count", 0)):
                return people


def _item(chat: ExpectedChat, conf: Confirmation | None) -> ChatItem:
    return ChatItem(chat=chat, status=conf.status if conf else "missing", confirmation=conf)


def _mark(item: ChatItem) -> str:
    if item.checked:
        return "✅"
    if item.confirmed:
        return "☑️"
    return "➖" if item.status == "not_needed" else "▫️"


def _state(item: ChatItem) -> str:
    if item.checked:
        return "подтверждён и проверен ботом"
    if item.confirmed:
        return "подтверждён"
    if item.status == "not_needed":
        return "не нужен (отметил заместитель директора)"
    if item.status == "withdrawn":
        return "подтверждение отозвано"
    return "не подтверждён"


def _answers_of(conf: Confirmation) -> dict[str, Any]:
    return {"messenger": conf.old_messenger, "link": conf.link, "link_kind": conf.link_kind,
            "no_link_reason": conf.no_link_reason, "members": conf.members_estimate, "old_chat": conf.old_chat}


def _answer_lines(answers: dict[str, Any]) -> list[str]:
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


def _details(conf: Confirmation) -> list[str]:
    lines = _answer_lines(_answers_of(conf))
    if conf.checked:
        counted = f", участников: {conf.members_counted}" if conf.members_counted is not None else ""
        lines.append(f"Бот видел код в чате{counted}.")
    return lines


def _short(full_name: str) -> str:
    parts = full_name.split()
    if len(parts) < 2:
        return full_name
    return parts[0] + " " + " ".join(p[0] + "." for p in parts[1:3] if p)
