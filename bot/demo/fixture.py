"""The bundled demo school (bot/demo/school.toml): people, classes and two weeks of figures."""

from __future__ import annotations

import csv
import datetime as dt
import io
import tomllib
from functools import cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict

from bot.domain.models import Period, Role

STAT_FIELDS = ("group_messages", "calls", "group_chats_created", "ejd_linked", "registered")


class DemoPerson(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    vk_id: int
    full_name: str
    role: Role
    classes: list[str] = []
    stats: list[list[int]] = []
    allows_messages: bool = True
    vk_in_roster: bool = True

    @property
    def first_name(self) -> str:
        return self.full_name.split()[1]

    @property
    def last_name(self) -> str:
        return self.full_name.split()[0]


class DemoSchool(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str
    timezone: str
    registration_deadline: dt.date


class DemoFixture(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    group_id: int
    token: str
    school: DemoSchool
    people: list[DemoPerson]

    @property
    def periods(self) -> list[Period]:
        """The two demo weeks, oldest first."""
        first = Period(start=dt.date(2026, 11, 7), end=dt.date(2026, 11, 13))
        return [first, first.next()]

    def by_role(self, role: Role) -> list[DemoPerson]:
        return [p for p in self.people if p.role is role]

    def emulator_users(self) -> list[dict[str, Any]]:
        """The people as the emulator's control API takes them (`--seed demo`)."""
        return [
            {"id": p.vk_id, "first_name": p.first_name, "last_name": p.last_name,
             "screen_name": f"id{p.vk_id}", "allows_messages": p.allows_messages}
            for p in self.people
        ]

    def max_emulator_users(self) -> list[dict[str, Any]]:
        """The people as the MAX emulator takes them: the same numbers as MAX user ids; who allows
        messages in VK has pressed Start in MAX (the rest cannot be written to: 403)."""
        return [
            {"user_id": p.vk_id, "first_name": p.first_name, "last_name": p.last_name,
             "started": p.allows_messages}
            for p in self.people
        ]

    def roster_csv(self) -> bytes:
        """The staff roster as a deputy would export it (UTF-8 CSV with «;»): the demo people keep their
        numbers as MAX ids too (the roster's `max` column)."""
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";")
        writer.writerow(["ФИО", "Должность", "Классное руководство", "VK ID", "ID MAX"])
        role_names = {Role.TEACHER: "учитель", Role.DEPUTY: "заместитель директора по УВР",
                      Role.DIRECTOR: "директор", Role.STAFF: "сотрудник", Role.DISTRICT: "сотрудник",
                      Role.REGION: "сотрудник"}
        for p in self.people:
            writer.writerow([p.full_name, role_names[p.role], ", ".join(p.classes),
                             p.vk_id if p.vk_in_roster else "", p.vk_id if p.vk_in_roster else ""])
        return out.getvalue().encode("utf-8")

    def stats_csv(self, week: int) -> bytes:
        """The weekly monitoring table for week 0 or 1, with a title row as the region sends it."""
        period = self.periods[week]
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";")
        writer.writerow([f"Мониторинг использования ИКОП «Сферум» за период с "
                         f"{period.start:%d.%m.%Y} по {period.end:%d.%m.%Y}"])
        writer.writerow(["ФИО", "Роль", "Сообщений в групповых чатах", "Звонков",
                         "Создано групповых чатов", "Связал(а) аккаунт ЭЖД", "Зарегистрирован(а)"])
        for p in self.by_role(Role.TEACHER):
            msgs, calls, created, ejd, reg = p.stats[week]
            writer.writerow([p.full_name, "Учитель", msgs, calls, created,
                             "да" if ejd else "нет", "да" if reg else "нет"])
        return out.getvalue().encode("utf-8")


@cache
def load_fixture() -> DemoFixture:
    """Read the bundled demo school."""
    raw = resources.files("bot.demo").joinpath("school.toml").read_text("utf-8")
    return DemoFixture.model_validate(tomllib.loads(raw))
