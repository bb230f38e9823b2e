"""End to end through the emulator: a deputy sends tables as documents and resolves kept-aside rows."""

from __future__ import annotations

from pathlib import Path

from bot.app import App
from bot.domain.models import Period, Role
from storage.stats import StatsRepo
from tests.e2e.harness import DEPUTY, TEACHERS, Chat, button, buttons
from tests.imports.tables import ROSTER_HEADER, TITLE, csv_bytes, xlsx
from vk_emulator import Emulator
from vk_emulator.client import EmulatorControl

STATS = xlsx([[TITLE], ["ФИО", "Сообщений в групповых чатах", "Звонков"],
              ["Иванова А. П.", 5, 1], ["ПЕТРОВ СЕРГЕЙ ИВАНОВИЧ", 2, 0], ["Смирнова", 0, 0],
              ["Сидорова М.И.", 3, 0], ["Иванов И.", 1, 0], ["Итого", 11, 1]])


async def test_deputy_imports_statistics_and_resolves_a_kept_aside_row(chat: Chat, bot_app: App) -> None:
    """The report comes back with its counts; «Разобрать» offers the row, «Пропустить» closes it."""
    replies = await chat.say(DEPUTY, docs=[("monitoring.xlsx", STATS)])
    report = replies[-1]["text"]
    assert "статистика по сотрудникам за 14.11.2026–20.11.2026" in report
    assert "Строк с данными: 5, загружено: 4." in report
    assert "строка 7: «Иванов И.» нет в списке сотрудников" in report
    stats = await StatsRepo(bot_app.db).person_stats("school1", Period.parse("2026-11-14..2026-11-20"))
    assert sorted(s.group_messages for s in stats) == [0, 2, 3, 5]
    shown = await chat.press(DEPUTY, replies[-1], button(replies[-1], "Разобрать")["payload"])
    assert "строка 7" in shown[-1]["text"] and "Подходящих сотрудников нет" in shown[-1]["text"]
    done = await chat.press(DEPUTY, shown[-1], button(shown[-1], "Пропустить")["payload"])
    assert done[-1]["text"] == "Отложенных строк не осталось."
    assert await bot_app.deps.imports.pending("school1") == []


async def test_deputy_picks_a_candidate(chat: Chat, bot_app: App) -> None:
    """An ambiguous row: the deputy presses the right person and the figures are stored for them."""
    await bot_app.deps.people.add("school1", "Иванова Анна Сергеевна", Role.TEACHER)
    replies = await chat.say(DEPUTY, docs=[("w.csv", csv_bytes([["ФИО", "Звонков"], ["Иванова А.", 4]]))])
    assert "подходит к двум сотрудникам" in replies[-1]["text"]
    shown = await chat.press(DEPUTY, replies[-1], button(replies[-1], "Разобрать")["payload"])
    assert {"Иванова Анна Петровна", "Иванова Анна Сергеевна", "Пропустить"} <= {b["label"] for b in buttons(shown[-1])}
    done = await chat.press(DEPUTY, shown[-1], button(shown[-1], "Анна Петровна")["payload"])
    assert "не осталось" in done[-1]["text"]
    period = await StatsRepo(bot_app.db).latest_period("school1")
    assert period is not None
    [stored] = await StatsRepo(bot_app.db).person_stats("school1", period)
    person = (await bot_app.deps.people.by_vk_id(2001))[0]
    assert (stored.person_id, stored.calls) == (person.id, 4)


async def test_roster_by_document_and_reimport_as_statistics(chat: Chat, bot_app: App) -> None:
    """A roster is told from its headers; the «other kind» button imports the same file again."""
    rows = [ROSTER_HEADER, ["Иванова Анна Петровна", "учитель", "5А", "vk.com/id2001"],
            ["Новикова Дарья Павловна", "учитель", "", ""]]
    shown = await chat.say(DEPUTY, docs=[("staff.xlsx", xlsx(rows))])
    assert "Будут отмечены как уволившиеся: 3 человека" in shown[-1]["text"]
    replies = await chat.press(DEPUTY, shown[-1], button(shown[-1], "Применить")["payload"])
    text = replies[-1]["text"]
    assert "Загружен список сотрудников" in text and "Добавлено: 1, обновлено: 1" in text
    assert [p.full_name for p in await bot_app.deps.people.by_name_key("новикова дарья павловна")] == [
        "Новикова Дарья Павловна"]
    again = await chat.press(DEPUTY, replies[-1], button(replies[-1], "как статистику")["payload"])
    assert "Не загрузил «staff.xlsx»: нет столбца с числом сообщений" in again[-1]["text"]


async def test_teacher_document_is_refused_and_nothing_changes(chat: Chat, bot_app: App) -> None:
    """A teacher sending a table is told who may import it; nothing is stored; the attempt is audited."""
    replies = await chat.say(2001, docs=[("monitoring.xlsx", STATS)])
    assert "заместители директора" in replies[-1]["text"]
    assert await StatsRepo(bot_app.db).imports() == []
    denied = await bot_app.deps.audit.recent(action="import_file")
    assert denied[0].outcome == "denied" and denied[0].actor_vk_id == 2001


async def test_not_a_table_is_refused_politely(chat: Chat, bot_app: App) -> None:
    """A PDF gets a clear Russian refusal that says nothing changed."""
    replies = await chat.say(DEPUTY, docs=[("приказ.pdf", b"%PDF-1.4 fake")])
    assert replies[-1]["text"].startswith("Не загрузил «приказ.pdf»: это не таблица")
    assert "Ничего не изменилось" in replies[-1]["text"]
    refused = await bot_app.deps.audit.recent(action="import_file")
    assert (refused[0].outcome, refused[0].target) == ("error", "приказ.pdf")


async def test_pending_rows_by_a_typed_word(chat: Chat, bot_app: App) -> None:
    """«отложенные» typed by the deputy shows the same row the report's button would."""
    table = [["ФИО", "Звонков"], ["Иванова А. П.", 1], ["Неизвестный Н.", 4]]
    await chat.say(DEPUTY, docs=[("w.csv", csv_bytes(table))])
    shown = await chat.say(DEPUTY, "Отложенные")
    assert "строка 3: «Неизвестный Н.» нет в списке сотрудников" in shown[-1]["text"]


async def test_upload_button_explains_how(chat: Chat) -> None:
    """«Загрузить таблицу» tells the deputy which files to send."""
    replies = await chat.say(DEPUTY, payload={"cmd": "upload"})
    assert ".xlsx" in replies[-1]["text"]


async def test_screen_names_resolve_through_vk_in_the_chat(chat: Chat, bot_app: App, control: EmulatorControl) -> None:
    """With the bot's token, vk.com/<screen name> in a roster becomes the VK id (utils.resolveScreenName)."""
    await control.add_user(3001, "Дарья", "Новикова", screen_name="novikova_d")
    rows = [ROSTER_HEADER, *([full, "учитель", "", f"vk.com/id{vk}"] for vk, full, _ in TEACHERS),
            ["Сидорова Мария Ивановна", "учитель", "", ""],
            ["Новикова Дарья Павловна", "учитель", "", "https://vk.com/novikova_d"]]
    replies = await chat.say(DEPUTY, docs=[("staff.xlsx", xlsx(rows))])
    assert "Добавлено: 1" in replies[-1]["text"] and "Не получилось" not in replies[-1]["text"]
    assert [p.full_name for p in await bot_app.deps.people.by_vk_id(3001)] == ["Новикова Дарья Павловна"]


async def test_cli_resolves_screen_names_with_a_token(emulator: Emulator, control: EmulatorControl,
                                                      tmp_path: Path) -> None:
    """`import-roster` with a token asks VK (here the emulator) for screen names."""
    import asyncio
    import json

    from bot.cli import main

    await control.add_user(3002, "Игорь", "Орлов", screen_name="orlov_i")
    config = tmp_path / "config.toml"
    config.write_text(f'[vk]\ntoken = "t"\napi_url = "{emulator.api_url}"\n', "utf-8")
    path = tmp_path / "staff.csv"
    path.write_bytes(csv_bytes([ROSTER_HEADER, ["Орлов Игорь", "учитель", "", "vk.com/orlov_i"],
                                ["Кто Такой", "учитель", "", "vk.com/nobody_here"]]))
    out = tmp_path / "out.json"

    def run() -> int:
        import contextlib

        with out.open("w", encoding="utf-8") as handle, contextlib.redirect_stdout(handle):
            return main(["import-roster", str(path), "--config", str(config), "--json"])

    assert await asyncio.to_thread(run) == 0
    result = json.loads(out.read_text("utf-8"))
    assert (result["added"], [p["row"] for p in result["problems"]]) == (2, [3])
    assert "vk.com/nobody_here" in result["problems"][0]["reason"]


async def test_forged_resolution_by_a_teacher_changes_nothing(chat: Chat, bot_app: App) -> None:
    """A teacher pressing a forged «pick» payload is refused server-side; the row stays open."""
    table = [["ФИО", "Звонков"], ["Иванова А. П.", 1], ["Неизвестный Н.", 4]]
    replies = await chat.say(DEPUTY, docs=[("w.csv", csv_bytes(table))])
    [row] = await bot_app.deps.imports.pending("school1")
    teacher = (await bot_app.deps.people.by_vk_id(2001))[0]
    menu = await chat.say(2001, "меню")
    refused = await chat.press(2001, menu[-1], {"cmd": "imp_pick", "r": row.id, "p": teacher.id})
    assert "заместители директора" in refused[-1]["text"]
    assert [p.id for p in await bot_app.deps.imports.pending("school1")] == [row.id]
    assert button(replies[-1], "Разобрать")["payload"] == {"cmd": "imp_pending"}
