"""The deputy's side of the chats migration: the school report and «не нужен» for a colleague's chat."""

from __future__ import annotations

from bot.domain.models import Person, Role
from bot.domain.russian import short_name, short_name_in
from bot.domain.ui import Keyboard
from bot.messaging.events import Identity
from bot.messaging.state import StateKey
from bot.services.chats.dialog import ChatDialogs
from bot.services.chats.model import (
    CANCEL,
    MAX_REASON,
    ChatDialog,
    ChatsRefused,
    PersonChats,
    Screen,
    button,
)


class DeputyChats(ChatDialogs):
    """«Перенос чатов» for the deputy and the director; «не нужен» for the deputy."""

    async def nn_people(self, deputy: Person, page: int = 0) -> Screen:
        """People of the deputy's school with unconfirmed chats, as buttons."""
        waiting = [p for p in await self._school(deputy.org_id or "") if p.missing]
        if not waiting:
            return Screen(text="Неподтверждённых чатов нет — отмечать нечего.")
        pages = max(1, -(-len(waiting) // 8))
        page = min(max(page, 0), pages - 1)
        buttons = [button(f"{p.person.short_name} ({len(p.missing)})", "ch_nnp", p=p.person.id)
                   for p in waiting[page * 8:(page + 1) * 8]]
        nav = []
        if page > 0:
            nav.append(button("← Назад", "ch_nn", pg=page - 1))
        if page < pages - 1:
            nav.append(button("Дальше →", "ch_nn", pg=page + 1))
        rows = [[b] for b in buttons] + ([nav] if nav else [])
        listed = "\n".join(f"{n}. {p.person.short_name} ({len(p.missing)})" for n, p in enumerate(waiting, 1))
        return Screen(text=f"Чей чат отметить как ненужный? Нажмите кнопку или напишите номер.\n{listed}",
                      keyboard=Keyboard(rows=rows, inline=True),
                      picks=tuple(f"nnp:{p.person.id}" for p in waiting))

    async def nn_chats(self, deputy: Person, person_id: int) -> Screen:
        """The unconfirmed chats of one person of the deputy's school."""
        chats = await self._colleague(deputy, person_id)
        items = [i for i in chats.items if i.counted and not i.confirmed][:9]
        if not items:
            return Screen(text=f"У {short_name_in(chats.person.full_name, 'gent')} неподтверждённых чатов нет.")
        buttons = [button(i.chat.title, "ch_nnk", p=person_id, k=i.chat.key) for i in items] + [CANCEL]
        listed = "\n".join(f"{n}. {i.chat.title}" for n, i in enumerate(items, 1))
        return Screen(text=f"{chats.person.short_name}: какой чат не нужен? Нажмите кнопку или напишите номер.\n{listed}",
                      keyboard=Keyboard.column(buttons),
                      picks=tuple(f"nnk:{person_id}:{i.chat.key}" for i in items))

    async def nn_start(self, deputy: Person, person_id: int, key: str, *, at: StateKey | None = None) -> Screen:
        """Ask the deputy for the reason a colleague's chat is not needed."""
        chats = await self._colleague(deputy, person_id)
        item = chats.item(key) if isinstance(key, str) else None
        if item is None or item.confirmed or not item.counted:
            raise ChatsRefused("Этого чата нет среди неподтверждённых. Откройте отчёт заново.")
        dialog = ChatDialog(at=self._at(deputy, at), person_id=deputy.id, kind="not_needed", chat_key=key,
                            title=item.chat.title, step="nn_reason", answers={"target": person_id})
        await self._save(dialog)
        return await self._step_screen(deputy, dialog)

    async def _colleague(self, deputy: Person, person_id: int) -> PersonChats:
        person = await self._chats.person(person_id) if isinstance(person_id, int) else None
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
            await self._drop(dialog.at)
            raise ChatsRefused("Этот чат уже подтверждён или убран из списка — отмечать не нужно.")
        actor = Identity(messenger=dialog.at.messenger, external_id=dialog.at.user_id)
        await self._chats.not_needed(deputy, actor, target, item.chat.key, item.chat.title, text[:MAX_REASON])
        await self._drop(dialog.at)
        return Screen(text=f"Отметил: у {short_name_in(chats.person.full_name, 'gent')} чат «{item.chat.title}» не нужен ({text[:MAX_REASON]}).",
                      keyboard=Keyboard.column([button("Отметить ещё", "ch_nn")]))

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
                lines.append(f"{short_name(row.name)} — {row.confirmed} из {row.expected}{tail}")
        else:
            if report.classes:
                lines.append("\nПо классам:")
                lines += [f"{c.class_name} — {c.confirmed} из {c.expected}" + (f", проверено {c.checked}" if c.checked else "")
                          for c in report.classes]
            behind = [r for r in report.people if r.missing]
            if behind:
                lines.append(f"\nЕщё не подтвердили ({len(behind)}): " +
                             ", ".join(f"{short_name(r.name)} ({len(r.missing)})" for r in behind[:30]) +
                             (f" и ещё {len(behind) - 30}" if len(behind) > 30 else "") + ".")
        buttons = [button("По классам", "ch_rep", v="summary") if view == "person" else button("По сотрудникам", "ch_rep", v="person")]
        if viewer.role is Role.DEPUTY and report.confirmed < report.expected:
            buttons.append(button("Отметить «не нужен»", "ch_nn"))
        return Screen(text="\n".join(lines), keyboard=Keyboard.column(buttons))

