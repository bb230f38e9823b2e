"""The demo's scripted conversation: every feature, as the school would use it, one list for VK and MAX.

A step that does not work in MAX yet names why in `not_on` (the demo lists it as not played, never
hides it) and, where later steps need what it would have done, does that through the service in `instead`.
"""

from __future__ import annotations

import re

from bot.demo.fixture import DemoFixture
from bot.demo.stages import Stage
from bot.demo.steps import Step
from bot.domain.models import Role


async def _remind(stage: Stage) -> str:
    """The Monday reminder run, as the scheduler starts it."""
    report = await stage.app.deps.reminders.run(stage.app.settings.schools[0].id)
    return f"напоминания: отправлено {report.sent}, не дошли {len(report.unreachable)}"


def _code_message(last: str) -> str:
    """What the teacher posts in the new chat: the bot's mention and the code it gave."""
    found = re.search(r"(@club\d+ )?([A-Z0-9]{6})\b", last.split("кодом:")[-1])
    return f"{found.group(1) or ''}{found.group(2)}" if found else "нет кода"


def demo_steps(fixture: DemoFixture) -> list[Step]:
    """The steps, in order; each checks the bot's reply."""
    deputy = fixture.by_role(Role.DEPUTY)[0].vk_id
    director = fixture.by_role(Role.DIRECTOR)[0].vk_id
    teachers = fixture.by_role(Role.TEACHER)
    anna = teachers[0].vk_id
    newcomer = next(p for p in fixture.people if not p.vk_in_roster)

    return [
        Step(deputy, "Заместитель директора открывает бота", text="Начать",
             expect=["здравствуйте", "Рассылка"], expect_on={"vk": ["Загрузить таблицу"]}),
        Step(deputy, "Заместитель присылает список сотрудников", doc=("сотрудники.csv", fixture.roster_csv()),
             expect=["Загружен"]),
        Step(deputy, "…и таблицу мониторинга за прошлую неделю",
             doc=("мониторинг_07-13.11.csv", fixture.stats_csv(0)), expect=["07.11"]),
        Step(deputy, "…и за последнюю неделю", doc=("мониторинг_14-20.11.csv", fixture.stats_csv(1)),
             expect=["14.11"]),
        Step(deputy, "В понедельник бот напоминает учителям с невыполненными задачами и отчитывается "
             "заместителю", before=_remind, expect=["Напоминания за неделю 14.11"]),
        Step(anna, "Учитель здоровается", text="Привет", expect=["Анна Петровна"]),
        Step(anna, "Учитель смотрит свой статус", press="Мой статус", expect=["ваш статус"]),
        Step(newcomer.vk_id, "Новый сотрудник пишет боту", text="Добрый день",
             expect=["фамилию, имя и отчество"]),
        Step(newcomer.vk_id, "…и называет себя", text=newcomer.full_name.lower().replace("ё", "е"),
             expect=["Это вы?"]),
        Step(newcomer.vk_id, "…выбирает себя из списка", press="Сидоров", to=deputy,
             expect=[newcomer.full_name]),
        Step(deputy, "Заместитель подтверждает", press="Подтвердить", to=newcomer.vk_id,
             expect=["Пётр Ильич", "хранит"]),
        Step(anna, "Учитель спрашивает о Сферуме как пишут коллеге", text="как зайти в сферум через вк?",
             expect=["Спасибо, помогло"]),
        Step(anna, "…и о том, чего в базе знаний нет", text="во сколько педсовет в среду?",
             expect=["не знаю", "Передать вопрос"], replies=2),
        Step(anna, "…и передаёт вопрос заместителю", press="Передать", to=deputy,
             expect=["Ивановой Анны Петровны", "Ответить"]),
        Step(deputy, "Заместитель отвечает", press="Ответить", expect=["ответ"]),
        Step(deputy, "…пишет ответ", text="Педсовет в среду в 15:00, в актовом зале.", to=anna,
             expect=["в актовом зале"]),
        Step(anna, "Учитель открывает «Мои чаты»", text="Мои чаты", expect=["родител"]),
        Step(anna, "…выбирает чат с родителями 5А", press="родител", expect=["5А"]),
        Step(anna, "…подтверждает перенос", press="Подтвердить", expect=["WhatsApp"]),
        Step(anna, "…старый чат был в WhatsApp", press="WhatsApp", expect=["ссылк"]),
        Step(anna, "…присылает ссылку на новый чат", text="https://max.ru/join/AJQ1d5demo5A", expect=["сколько"]),
        Step(anna, "…сколько в нём человек", text="около 25", expect=["стар"]),
        Step(anna, "…старый чат закрыт", press="Да", expect=["Подтвердить"]),
        Step(anna, "…и подтверждает итог", press="Подтвердить", expect=["код"]),
        Step(anna, "Учитель отправляет код в новый чат, добавив туда бота", text_from=_code_message,
             in_chat=1, chat=(1, "5А — родители", [anna, deputy]), expect=["Код принят"]),
        Step(deputy, "Заместитель смотрит, кто перенёс чаты", text="Перенос чатов", expect=["подтвержд"]),
        Step(deputy, "Заместитель смотрит, кому бот не может написать", text="Кто не подписан",
             expect_on={"vk": ["vk.me"], "max": ["max.ru"]}, replies=2, files=1),
        Step(deputy, "Заместитель делает рассылку", text="Рассылка", expect=["Всем сотрудникам"]),
        Step(deputy, "…учителям с малым числом сообщений", press="меньше", expect=["текст"]),
        Step(deputy, "…пишет текст", text="Коллеги, напишите, пожалуйста, в чаты своих классов до пятницы.",
             expect=["Получателей", "Отправить"]),
        Step(deputy, "…и отправляет", press="Отправить", expect=["Доставлено"], replies=2),
        Step(director, "Директор открывает бота", text="Начать", expect=["Сводка"]),
        Step(director, "Директор просит сводку: показатели, график и таблица", text="сводка",
             expect=["Сводка", "image", "file", ".xlsx"], files=2),
    ]
