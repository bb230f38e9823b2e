"""Main menus per role: a persistent keyboard whose buttons carry {"cmd": …} payloads."""

from __future__ import annotations

from bot.domain.models import Role
from bot.domain.ui import Button, Color, Keyboard


def _b(label: str, cmd: str, color: Color = Color.SECONDARY) -> Button:
    return Button(label=label, payload={"cmd": cmd}, color=color)


def main_menu(role: Role) -> Keyboard:
    """The keyboard a known person sees; admin buttons only for admin roles."""
    rows: list[list[Button]] = []
    if role in (Role.DISTRICT, Role.REGION):
        label = "Сводка по району" if role is Role.DISTRICT else "Сводка по региону"
        rows.append([_b(label, "summary", Color.PRIMARY)])
        rows.append([_b("Вопрос по Сферуму", "faq")])
        return Keyboard(rows=rows)
    if role is Role.DIRECTOR:
        rows.append([_b("Сводка", "summary", Color.PRIMARY), _b("Перенос чатов", "migration_report")])
    if role is Role.DEPUTY:
        rows.append([_b("Загрузить таблицу", "upload", Color.PRIMARY), _b("Рассылка", "broadcast")])
        rows.append([_b("Сводка", "summary"), _b("Перенос чатов", "migration_report")])
        rows.append([_b("Вопросы сотрудников", "questions"), _b("Кто не подписан", "unreachable")])
    rows.append([_b("Мой статус", "my_status", Color.POSITIVE), _b("Мои чаты", "my_chats")])
    rows.append([_b("Вопрос по Сферуму", "faq"), _b("Мои данные", "my_data")])
    return Keyboard(rows=rows)
