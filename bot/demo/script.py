"""The demo's scripted conversation: every feature, as the school would use it."""

from __future__ import annotations

from bot.app import App
from bot.demo.fixture import DemoFixture
from bot.demo.runner import Step
from bot.domain.models import Role


async def _remind(app: App) -> str:
    """The Monday reminder run, as the scheduler starts it."""
    report = await app.deps.reminders.run(app.settings.schools[0].id)
    return f"напоминания: отправлено {report.sent}, не дошли {len(report.unreachable)}"


def demo_steps(fixture: DemoFixture) -> list[Step]:
    """The steps, in order; each checks the bot's reply."""
    deputy = fixture.by_role(Role.DEPUTY)[0].vk_id
    director = fixture.by_role(Role.DIRECTOR)[0].vk_id
    teachers = fixture.by_role(Role.TEACHER)
    anna = teachers[0].vk_id
    newcomer = next(p for p in fixture.people if not p.vk_in_roster)

    return [
        Step(deputy, "Заместитель директора открывает бота", text="Начать",
             expect=["здравствуйте", "Загрузить таблицу"]),
        Step(deputy, "Заместитель присылает список сотрудников", doc=("сотрудники.csv", fixture.roster_csv()),
             expect=["Загружен"]),
        Step(deputy, "…и таблицу мониторинга за прошлую неделю",
             doc=("мониторинг_07-13.11.csv", fixture.stats_csv(0)), expect=["07.11"]),
        Step(deputy, "…и за последнюю неделю", doc=("мониторинг_14-20.11.csv", fixture.stats_csv(1)),
             expect=["14.11"]),
        Step(deputy, "В понедельник бот напоминает учителям с невыполненными задачами и отчитывается "
             "заместителю", before=_remind, expect=["Напоминания за неделю 14.11"]),
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
