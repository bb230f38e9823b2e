"""The demo's scripted conversation: every feature, as the school would use it."""

from __future__ import annotations

from bot.app import App
from bot.demo.fixture import DemoFixture
from bot.demo.runner import Step
from bot.domain.models import Role


def demo_steps(fixture: DemoFixture) -> list[Step]:
    """The steps, in order; each checks the bot's reply."""
    deputy = fixture.by_role(Role.DEPUTY)[0].vk_id
    director = fixture.by_role(Role.DIRECTOR)[0].vk_id
    teachers = fixture.by_role(Role.TEACHER)
    anna = teachers[0].vk_id
    newcomer = next(p for p in fixture.people if not p.vk_in_roster)

    async def seed_roster(app: App) -> str:
        # Until the chat import exists, the roster goes straight into storage.
        school = fixture.school.id
        for person in fixture.people:
            if person.role is Role.TEACHER:
                await app.deps.people.add(school, person.full_name, person.role,
                                          vk_id=person.vk_id if person.vk_in_roster else None,
                                          classes=person.classes)
        return f"список сотрудников загружен: {len(teachers)} учителей"

    return [
        Step(deputy, "Заместитель директора открывает бота", text="Начать",
             expect=["здравствуйте", "Загрузить таблицу"]),
        Step(deputy, "Список сотрудников", before=seed_roster, replies=0),
        Step(anna, "Учитель здоровается", text="Привет", expect=["Анна Петровна"]),
        Step(anna, "Учитель смотрит свой статус", payload={"cmd": "my_status"}, expect=["ваш статус"]),
        Step(newcomer.vk_id, "Новый сотрудник пишет боту", text="Добрый день",
             expect=["фамилию, имя и отчество"]),
        Step(newcomer.vk_id, "…и называет себя", text=newcomer.full_name.lower().replace("ё", "е"),
             expect=["Это вы?"]),
        Step(newcomer.vk_id, "…выбирает себя из списка", press="Сидоров", to=deputy,
             expect=[newcomer.full_name]),
        Step(deputy, "Заместитель подтверждает", press="Подтвердить", to=newcomer.vk_id,
             expect=["Пётр Ильич", "хранит"]),
        Step(director, "Директор открывает бота", text="Начать", expect=["Сводка"]),
    ]
