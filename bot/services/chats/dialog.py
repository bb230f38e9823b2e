"""The confirmation dialog: one chat at a time, step by step, answered by buttons or by typing.

The dialog lives in the dialog-state store (feature «chats», keyed by the person's dialog with
the bot): a restart continues where the person was.
"""

from __future__ import annotations

from typing import Any

from bot.domain import answers
from bot.domain import chats as rules
from bot.domain.models import Person
from bot.domain.russian import by_gender, count
from bot.domain.ui import Color, Keyboard
from bot.messaging.events import ChatRef, Identity, Messenger
from bot.messaging.state import StateKey, StateStore
from bot.services.chats.model import (
    CANCEL,
    DIALOG_FEATURE,
    DIALOG_TTL,
    MAIN_MESSENGERS,
    MAX_REASON,
    MAX_TITLE,
    OLD_CHAT_LABELS,
    STALE,
    TO_LIST,
    TYPING_STEPS,
    ChatDialog,
    ChatsRefused,
    Screen,
    answer_lines,
    answers_of,
    button,
)
from bot.services.chats.reading import ChatsReader


class ChatDialogs(ChatsReader):
    """The person's own dialog (and the deputy's typed reason, see `DeputyChats`).

    Every step method takes `at`, the key of the person's dialog with the bot that the step is
    kept under; without it, the person's VK dialog (the CLI and the service tests).
    """

    def _store(self) -> StateStore:
        if self._dialogs is None:
            raise RuntimeError("the chats dialog needs a dialog-state store (ChatsService(dialogs=…))")
        return self._dialogs

    def _at(self, person: Person, at: StateKey | None) -> StateKey:
        if at is not None:
            return at
        account = Identity(messenger=Messenger.VK, external_id=person.vk_id or 0)
        return StateKey.of(self._bot_id, ChatRef.dialog_with(account), account, DIALOG_FEATURE)

    async def _load(self, person: Person, at: StateKey | None) -> ChatDialog | None:
        """The person's open dialog (one kept for another person under the same account reads as none)."""
        key = self._at(person, at)
        state = await self._store().get(key)
        if state is None or state.data.get("person_id") != person.id:
            return None
        data = state.data
        answers_now = data.get("answers")
        return ChatDialog(at=key, person_id=person.id, kind=str(data.get("kind", "confirm")),
                          chat_key=data.get("chat_key"), title=data.get("title"), step=state.state,
                          answers=answers_now if isinstance(answers_now, dict) else {})

    async def open_dialog(self, person: Person, *, at: StateKey | None = None) -> ChatDialog | None:
        """The dialog the person left open (None: none)."""
        return await self._load(person, at)

    async def _save(self, dialog: ChatDialog) -> None:
        await self._store().set(dialog.at, dialog.step, dialog.stored(), ttl=DIALOG_TTL)

    async def _drop(self, at: StateKey) -> None:
        await self._store().delete(at)

    async def my_chats(self, person: Person, page: int = 0, *, at: StateKey | None = None) -> Screen:
        """The list of a person's chats, or the step they stopped at when a dialog is open."""
        dialog = await self._load(person, at)
        if dialog is not None:
            return await self._step_screen(person, dialog, prefix="Продолжим с того места, где вы остановились.\n\n")
        return await self.chat_list(person, page)

    async def start(self, person: Person, key: str, *, at: StateKey | None = None) -> Screen:
        """Begin (or begin again) confirming a chat; a confirmed chat keeps its answers to edit."""
        item = await self._own_item(person, key)
        if item.status == "not_needed":
            raise ChatsRefused("Этот чат заместитель директора отметил как ненужный — подтверждать его не нужно.")
        assert person.org_id is not None  # noqa: S101 - a person with chats belongs to a school
        conf = await self._chats.ensure(person.org_id, person.id, key, item.chat.title)
        answers = answers_of(conf) if conf.status == "confirmed" else {}
        dialog = ChatDialog(at=self._at(person, at), person_id=person.id, kind="confirm", chat_key=key,
                            title=item.chat.title, step="messenger", answers=answers)
        await self._save(dialog)
        return await self._step_screen(person, dialog)

    async def add_custom(self, person: Person, *, at: StateKey | None = None) -> Screen:
        """Add a chat that is not on the list: its title is typed first."""
        if person.org_id is None:
            raise ChatsRefused("Чаты подтверждают сотрудники школы.")
        dialog = ChatDialog(at=self._at(person, at), person_id=person.id, kind="custom", chat_key=None, title=None,
                            step="title")
        await self._save(dialog)
        return await self._step_screen(person, dialog)

    async def _dialog(self, person: Person, at: StateKey | None, *steps: str) -> ChatDialog:
        dialog = await self._load(person, at)
        if dialog is None or (steps and dialog.step not in steps):
            raise ChatsRefused(STALE)
        return dialog

    async def _advance(self, person: Person, dialog: ChatDialog, step: str, prefix: str = "",
                       **given: Any) -> Screen:
        updated = dialog.model_copy(update={"step": step, "answers": {**dialog.answers, **given}})
        await self._save(updated)
        return await self._step_screen(person, updated, prefix=prefix)

    async def choose_messenger(self, person: Person, messenger: str, *, at: StateKey | None = None) -> Screen:
        """Step 1: which messenger the old chat was in («more» shows the rest)."""
        dialog = await self._dialog(person, at, "messenger", "messenger_more")
        return await self._messenger(person, dialog, messenger)

    async def _messenger(self, person: Person, dialog: ChatDialog, messenger: str, prefix: str = "") -> Screen:
        if messenger == "more":
            return await self._advance(person, dialog, "messenger_more")
        if messenger == "back":
            return await self._advance(person, dialog, "messenger")
        if messenger not in rules.MESSENGER_LABELS:
            raise ChatsRefused(STALE)
        if messenger == rules.NO_OLD_CHAT:
            return await self._advance(person, dialog, "link", prefix, messenger=messenger, old_chat=None)
        return await self._advance(person, dialog, "link", prefix, messenger=messenger)

    async def keep(self, person: Person, *, at: StateKey | None = None) -> Screen:
        """«Оставить как было» while editing: the previous link (or reason) or number stays."""
        dialog = await self._dialog(person, at, "link", "members")
        screen = await self._keep(person, dialog)
        if screen is None:
            raise ChatsRefused(STALE)
        return screen

    async def _keep(self, person: Person, dialog: ChatDialog, prefix: str = "") -> Screen | None:
        answers = dialog.answers
        if dialog.step == "link" and (answers.get("link") or answers.get("no_link_reason")):
            return await self._advance(person, dialog, "members", prefix)
        if dialog.step == "members" and answers.get("members"):
            step = "summary" if answers.get("messenger") == rules.NO_OLD_CHAT else "old_chat"
            return await self._advance(person, dialog, step, prefix)
        return None

    async def no_link(self, person: Person, *, at: StateKey | None = None) -> Screen:
        """Step 2 without a link: the reason is asked instead."""
        dialog = await self._dialog(person, at, "link")
        return await self._advance(person, dialog, "link_reason", link=None, link_kind=None)

    async def quick_reason(self, person: Person, *, at: StateKey | None = None) -> Screen:
        """«Чат создан автоматически» as the reason for having no link."""
        dialog = await self._dialog(person, at, "link_reason")
        return await self._advance(person, dialog, "members", no_link_reason=AUTO_REASON)

    async def old_chat(self, person: Person, value: str, *, at: StateKey | None = None) -> Screen:
        """Step 4: is the old chat closed? «Пока нет» keeps the dialog here for later."""
        dialog = await self._dialog(person, at, "old_chat")
        return await self._old_chat(person, dialog, value)

    async def _old_chat(self, person: Person, dialog: ChatDialog, value: str, prefix: str = "") -> Screen:
        if value == "not_yet":
            messenger = rules.MESSENGER_LABELS.get(str(dialog.answers.get("messenger")), "старом мессенджере")
            return Screen(text=prefix + (f"Тогда закройте старый чат в {messenger} или напишите в нём, что он "
                                         "больше не используется и все переходят в новый. Потом откройте «Мои "
                                         "чаты» — продолжим с этого шага."), keyboard=Keyboard.column([TO_LIST]))
        if value not in OLD_CHAT_LABELS:
            raise ChatsRefused(STALE)
        return await self._advance(person, dialog, "summary", prefix, old_chat=value)

    async def redo(self, person: Person, *, at: StateKey | None = None) -> Screen:
        """«Исправить» on the summary: the steps again, with the answers kept."""
        dialog = await self._dialog(person, at, "summary")
        return await self._advance(person, dialog, "messenger")

    async def cancel(self, person: Person, *, at: StateKey | None = None) -> Screen:
        """Stop the dialog; what was confirmed before stays as it was."""
        await self._drop(self._at(person, at))
        listing = await self.chat_list(person)
        return Screen(text="Хорошо, отменил. Вернуться можно в любой момент.\n\n" + listing.text,
                      keyboard=listing.keyboard, picks=listing.picks)

    async def pick_typed(self, person: Person, key: str, *, at: StateKey | None = None) -> Screen:
        """A chat chosen from «Мои чаты» by its typed number: its dialog starts (or «Исправить» for a confirmed one)."""
        item = await self._own_item(person, key)
        if item.status == "not_needed":
            return Screen(text=f"Понял: «{item.chat.title}». Этот чат заместитель директора отметил как ненужный "
                               "— подтверждать его не нужно.", keyboard=Keyboard.column([TO_LIST]))
        screen = await self.start(person, key, at=at)
        return screen.model_copy(update={"text": f"Понял: «{item.chat.title}».\n\n" + screen.text})

    async def in_typing_step(self, person: Person, *, at: StateKey | None = None) -> bool:
        """Is the person's chats dialog waiting for typed text (a title, a link, a reason, a number)?"""
        dialog = await self._load(person, at)
        return dialog is not None and dialog.step in TYPING_STEPS

    async def takes_text(self, person: Person, text: str, *, at: StateKey | None = None) -> bool:
        """Is this typed text an answer to the person's open dialog?

        At a typing step any text is. At a button step an answer the step understands is,
        and so is any short reply (it gets «не понял» with what to type); a question or a
        long message is not, so the FAQ can answer it while the dialog waits.
        """
        dialog = await self._load(person, at)
        if dialog is None:
            return False
        if dialog.step in TYPING_STEPS:
            return True
        return _understood(dialog.step, text) or not answers.question_like(text)

    async def typed(self, person: Person, text: str, *, at: StateKey | None = None) -> Screen:
        """Text typed at any step: «отмена» and «назад» anywhere, else the step's own answer."""
        dialog = await self._dialog(person, at)
        text = rules.clean_typed(text)
        # Where any text may be a title or a reason, only a bare «отмена» / «назад» is a command.
        said = answers.intent(text, ("cancel", "back"), exact=dialog.step in TYPING_STEPS)
        if said == "cancel":
            return await self.cancel(person, at=dialog.at)
        if said == "back":
            return await self._back(person, dialog)
        if dialog.step in ("messenger", "messenger_more"):
            return await self._typed_messenger(person, dialog, text)
        if dialog.step == "old_chat":
            return await self._typed_old_chat(person, dialog, text)
        if dialog.step == "summary":
            return await self._typed_summary(person, dialog, text)
        if dialog.step == "title":
            return await self._typed_title(person, dialog, text)
        if dialog.step == "link":
            return await self._typed_link(person, dialog, text)
        if dialog.step == "link_reason":
            if answers.intent(text, ("back",)) is None and "автомат" in text.lower():
                return await self._advance(person, dialog, "members", "Понял: чат создан автоматически.\n\n",
                                           no_link_reason=AUTO_REASON)
            if len(text) < 3:
                return await self._step_screen(person, dialog, prefix="Напишите причину хотя бы парой слов.\n\n")
            return await self._advance(person, dialog, "members", no_link_reason=text[:MAX_REASON])
        if dialog.step == "members":
            return await self._typed_members(person, dialog, text)
        return await self._typed_reason(person, dialog, text)

    async def _back(self, person: Person, dialog: ChatDialog) -> Screen:
        answers_now = dialog.answers
        previous = {
            "messenger_more": "messenger", "link": "messenger", "link_reason": "link",
            "members": "link_reason" if answers_now.get("no_link_reason") and not answers_now.get("link") else "link",
            "old_chat": "members",
            "summary": "members" if answers_now.get("messenger") == rules.NO_OLD_CHAT else "old_chat",
        }.get(dialog.step)
        if previous is None:
            return await self._step_screen(person, dialog, prefix=(
                "Это первый шаг, назад некуда. Чтобы выйти, напишите «отмена».\n\n"))
        return await self._advance(person, dialog, previous, "Хорошо, вернёмся на шаг назад.\n\n")

    async def _typed_messenger(self, person: Person, dialog: ChatDialog, text: str) -> Screen:
        messenger = answers.messenger_of(text)
        said = answers.intent(text, ("more", "other", "none", "no"))
        if messenger is None and (said in ("none", "no") or answers.says_no_old_chat(text)):
            return await self._messenger(person, dialog, rules.NO_OLD_CHAT, (
                "Понял: старого чата не было, чат сразу создан в новом мессенджере.\n\n"))
        if messenger is not None:
            label = rules.MESSENGER_LABELS[messenger]
            return await self._messenger(person, dialog, messenger, f"Понял: чат был в {label}.\n\n")
        if said == "more":
            return await self._messenger(person, dialog, "more")
        if said == "other":
            return await self._messenger(person, dialog, rules.OTHER_MESSENGER,
                                         "Понял: чат был в другом мессенджере.\n\n")
        return await self._step_screen(person, dialog, prefix=(
            "Не понял, в каком мессенджере был чат. Напишите название, например «Telegram», «WhatsApp» или "
            "«Viber», либо «не было», если чат сразу создан в новом мессенджере.\n\n"))

    async def _typed_link(self, person: Person, dialog: ChatDialog, text: str) -> Screen:
        check = rules.check_link(text)
        if check.ok:
            return await self._advance(person, dialog, "members", "Ссылку принял.\n\n", link=check.url,
                                       link_kind=check.kind, no_link_reason=None)
        said = answers.intent(text, ("keep", "no"))
        if said == "keep":
            kept = await self._keep(person, dialog, "Понял: ссылка остаётся прежней.\n\n")
            if kept is not None:
                return kept
        if said == "no" or "нет ссылки" in text.lower() or "без ссылки" in text.lower():
            return await self._advance(person, dialog, "link_reason", "Понял: ссылки нет.\n\n",
                                       link=None, link_kind=None)
        return await self._step_screen(person, dialog, prefix=f"Не подошло: {check.reason}.\n\n")

    async def _typed_members(self, person: Person, dialog: ChatDialog, text: str) -> Screen:
        if answers.intent(text, ("keep",)) == "keep":
            kept = await self._keep(person, dialog, "Понял: число участников остаётся прежним.\n\n")
            if kept is not None:
                return kept
        members = rules.parse_members(text)
        if members is None:
            return await self._step_screen(
                person, dialog, prefix="Не понял число. Напишите, например, «25» или «около 30».\n\n")
        step = "summary" if dialog.answers.get("messenger") == rules.NO_OLD_CHAT else "old_chat"
        return await self._advance(person, dialog, step, f"Понял: в чате около {count(members, 'человек', 'gent')}.\n\n",
                                   members=members)

    async def _typed_old_chat(self, person: Person, dialog: ChatDialog, text: str) -> Screen:
        said = answers.intent(text, ("yes", "no", "not_yet", "announced"))
        if said is None and ("объявил" in text.lower() or "предупредил" in text.lower()):
            said = "announced"
        if said == "yes":
            return await self._old_chat(person, dialog, "closed", "Понял: старый чат закрыт.\n\n")
        if said == "announced":
            return await self._old_chat(person, dialog, "announced",
                                        "Понял: участникам объявлено, что старый чат закрыт.\n\n")
        if said in ("no", "not_yet"):
            return await self._old_chat(person, dialog, "not_yet", "Понял: старый чат ещё открыт.\n\n")
        return await self._step_screen(person, dialog, prefix=(
            "Не понял ответ. Напишите «да», если старый чат закрыт, «объявил», если участникам сказали, что он "
            "закрыт, или «пока нет».\n\n"))

    async def _typed_summary(self, person: Person, dialog: ChatDialog, text: str) -> Screen:
        said = answers.intent(text, ("yes", "no"))
        if said == "yes":
            return await self.confirm(person, at=dialog.at)
        if said == "no":
            return await self._advance(person, dialog, "messenger", "Хорошо, исправим. Пройдём шаги заново, "
                                       "ответы сохранены.\n\n")
        return await self._step_screen(person, dialog, prefix=(
            "Не понял ответ. Напишите «да», чтобы подтвердить, или «исправить».\n\n"))

    async def _typed_title(self, person: Person, dialog: ChatDialog, text: str) -> Screen:
        if not 2 <= len(text) <= MAX_TITLE:
            return await self._step_screen(person, dialog,
                                           prefix=f"Название — от 2 до {MAX_TITLE} знаков.\n\n")
        assert person.org_id is not None  # noqa: S101 - custom dialogs start only for school staff
        custom = await self._chats.add_custom(person.org_id, person.id, text,
                                              lambda new_id: rules.own_chat(new_id, text).key)
        chat = rules.own_chat(custom.id, custom.title)
        updated = ChatDialog(at=dialog.at, person_id=person.id, kind="confirm", chat_key=chat.key, title=chat.title,
                             step="messenger")
        await self._save(updated)
        return await self._step_screen(person, updated, prefix=f"Добавил чат «{chat.title}».\n\n")

    async def confirm(self, person: Person, *, at: StateKey | None = None) -> Screen:
        """The summary confirmed: the answers are stored and a check code is given."""
        dialog = await self._dialog(person, at, "summary")
        conf = await self._chats.confirm(person.id, dialog.chat_key or "", dialog.answers, rules.new_code)
        # After the answers are stored: a crash in between leaves the summary to confirm again.
        await self._drop(dialog.at)
        if conf is None or conf.status != "confirmed":
            # Marked not needed by the deputy while the person was answering.
            raise ChatsRefused("Этот чат больше не нужно подтверждать: заместитель директора отметил его ненужным.")
        lines = [f"Готово: перенос чата «{conf.title}» подтверждён. Спасибо!"]
        if not conf.checked and conf.code:
            lines.append(self._code_hint(conf.code, dialog.at))
        return Screen(text="\n\n".join(lines), keyboard=Keyboard.column([TO_LIST]))

    async def withdraw(self, person: Person, key: str) -> Screen:
        """Take a confirmation back; a chat the person added is removed from the list."""
        item = await self._own_item(person, key)
        if not item.confirmed or item.confirmation is None:
            raise ChatsRefused("Этот чат ещё не подтверждён — отзывать нечего.")
        custom_id = int(key.split(":")[1]) if key.startswith("own:") else None
        await self._chats.withdraw(person.id, item.confirmation.id, custom_id)
        listing = await self.chat_list(person)
        return Screen(text=f"Подтверждение чата «{item.chat.title}» отозвано.\n\n" + listing.text,
                      keyboard=listing.keyboard, picks=listing.picks)

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
            buttons = [button(rules.MESSENGER_LABELS[m], "ch_m", m=m) for m in MAIN_MESSENGERS]
            buttons += [button("Другой мессенджер…", "ch_m", m="more"),
                        button(f"Не было: сразу создан в {short_new}", "ch_m", m=rules.NO_OLD_CHAT), CANCEL]
            return Screen(text=prefix + (f"«{title}»: в каком мессенджере был старый чат? Выберите кнопку или "
                                         "напишите название, например «телеграм»."),
                          keyboard=Keyboard.column(buttons))
        if step == "messenger_more":
            buttons = [button(label, "ch_m", m=m) for m, label in rules.MESSENGERS if m not in MAIN_MESSENGERS]
            buttons += [button("Другой", "ch_m", m=rules.OTHER_MESSENGER), button("← Назад", "ch_m", m="back"), CANCEL]
            return Screen(text=prefix + f"«{title}»: в каком мессенджере был старый чат?",
                          keyboard=Keyboard.column(buttons))
        if step == "link":
            example = "https://max.ru/join/…" if self._migration(person.org_id).messenger == "max" \
                else "https://vk.me/join/…"
            text = (f"Пришлите ссылку-приглашение в новый чат «{title}» в {new}. Она выглядит так: {example}\n"
                    "Ссылку можно скопировать в настройках чата. Если ссылки нет, напишите «нет».")
            buttons = [button("Нет ссылки", "ch_nolink"), CANCEL]
            if dialog.answers.get("link") or dialog.answers.get("no_link_reason"):
                buttons.insert(0, button("Оставить как было", "ch_keep", Color.PRIMARY))
            return Screen(text=prefix + text, keyboard=Keyboard.column(buttons))
        if step == "link_reason":
            return Screen(text=prefix + "Почему нет ссылки? Напишите коротко или выберите кнопку.",
                          keyboard=Keyboard.column([button("Чат создан автоматически", "ch_reason"), CANCEL]))
        if step == "members":
            buttons = [CANCEL]
            if dialog.answers.get("members"):
                buttons.insert(0, button(f"Оставить: около {dialog.answers['members']}", "ch_keep", Color.PRIMARY))
            return Screen(text=prefix + "Сколько примерно человек в новом чате? Напишите число, например «25».",
                          keyboard=Keyboard.column(buttons))
        if step == "old_chat":
            messenger = rules.MESSENGER_LABELS.get(str(dialog.answers.get("messenger")), "старом мессенджере")
            buttons = [button("Да, закрыт", "ch_old", Color.POSITIVE, v="closed"),
                       button(by_gender(person.full_name, "Объявил", "Объявила", "Объявил(а)") + ", что он закрыт", "ch_old",
                              v="announced"),
                       button("Пока нет", "ch_old", v="not_yet"), CANCEL]
            return Screen(text=prefix + f"Старый чат в {messenger} закрыт? Можно ответить словами: «да», «пока нет».",
                          keyboard=Keyboard.column(buttons))
        if step == "summary":
            lines = [f"Проверьте, всё ли верно:\nЧат: {title}"] + answer_lines(dialog.answers)
            lines.append("Всё верно? Напишите «да» или «исправить».")
            buttons = [button("Подтвердить", "ch_ok", Color.POSITIVE), button("Исправить", "ch_redo"), CANCEL]
            return Screen(text=prefix + "\n".join(lines), keyboard=Keyboard.column(buttons))
        if step == "nn_reason":
            return Screen(text=prefix + (f"Почему чат «{title}» не нужен? Напишите причину коротко, например "
                                         "«класс выпустился» или «чат ведёт другой учитель»."),
                          keyboard=Keyboard.column([CANCEL]))
        raise ChatsRefused(STALE)


    async def _typed_reason(self, deputy: Person, dialog: ChatDialog, text: str) -> Screen:
        raise ChatsRefused(STALE)  # the deputy's «не нужен» step: see DeputyChats


AUTO_REASON = "чат создан автоматически"


def _understood(step: str, text: str) -> bool:
    """Does a button step read this typed text as an answer?"""
    if answers.intent(text, ("cancel", "back")) is not None:
        return True
    if step in ("messenger", "messenger_more"):
        return (answers.messenger_of(text) is not None or answers.says_no_old_chat(text)
                or answers.intent(text, ("more", "other", "none", "no")) is not None)
    if step == "old_chat":
        return answers.intent(text, ("yes", "no", "not_yet", "announced")) is not None
    if step == "summary":
        return answers.intent(text, ("yes", "no")) is not None
    return False
