"""Reaching people in MAX end to end: bot_started, bot_stopped, dialog_removed and 403 answers are kept;
«кто не подписан» in MAX lists who and why, says MAX has no VK-style check, and gives the bot's max.ru link."""

from __future__ import annotations

from bot.app import App
from bot.domain.models import Role
from bot.max.bridge import dialog
from bot.messaging.events import Reply
from bot.services.reachability import MAX_NO_ACCOUNT, MAX_NO_CHECK
from max_emulator import MaxEmulator
from max_emulator.client import MaxEmulatorControl
from tests.e2e.harness import UNBOUND
from tests.max.conftest import DEPUTY, TEACHERS, bind_max


async def test_dialog_removed_and_403_make_people_unreachable(max_app: App, max_ctl: MaxEmulatorControl) -> None:
    """Removing the dialog is kept as «удалил диалог»; a 403 to someone who never started is kept too."""
    assert max_app.max is not None
    teacher = TEACHERS[0][0]
    await max_ctl.start(teacher)
    await max_ctl.dialog(teacher, "remove")
    await max_ctl.say(DEPUTY, "привет")
    await max_ctl.wait_sent(None, 1)
    assert await max_app.max.users.can_write(teacher) is False
    assert await max_app.max.users.reason(teacher) == "удалил диалог с ботом"
    sent = await max_app.max.messenger.send(Reply(chat=dialog(TEACHERS[1][0]), text="Напоминание"))
    assert not sent.ok and await max_app.max.users.can_write(TEACHERS[1][0]) is False


async def test_the_unreachable_list_in_max(max_app: App, max_ctl: MaxEmulatorControl) -> None:
    """The deputy's «кто не подписан» in MAX: who cannot be reached and why, the sentence that MAX has no
    counterpart of VK's checks, and the invitation with the bot's max.ru link and QR code."""
    started = TEACHERS[2][0]
    await max_ctl.start(started)
    stopped = TEACHERS[0]
    await max_ctl.start(stopped[0])
    await max_ctl.stop(stopped[0])
    deputy_chat = await max_ctl.start(DEPUTY)
    await max_ctl.say(DEPUTY, "кто не подписан")
    listed, invitation, qr = await max_ctl.wait_sent(deputy_chat, 3)
    text = listed["text"]
    assert MAX_NO_CHECK in text and f"{UNBOUND[1]} — {MAX_NO_ACCOUNT}" in text
    assert f"{stopped[1]} — остановила бота или удалила диалог в MAX" in text
    assert TEACHERS[2][1] not in text and "Заместитель директора" not in text
    assert "https://max.ru/" in invitation["text"] and "нажмите «Начать»" in invitation["text"]
    assert [a["type"] for a in qr["attachments"]] == ["image"]


async def test_someone_who_writes_to_the_bot_is_not_listed_as_not_started(
        max_app: App, max_emu: MaxEmulator, max_ctl: MaxEmulatorControl) -> None:
    """A teacher who pressed «Начать» before this bot kept its records (no bot_started reached it) and now
    writes to the bot can be written to: «кто не подписан» does not list them as not having started it."""
    veteran = 7300
    max_emu.seed_users([{"user_id": veteran, "first_name": "Иван", "last_name": "Новиков", "started": True}])
    person = await max_app.deps.people.add("school1", "Новиков Иван Петрович", Role.TEACHER)
    await bind_max(max_app, person.id, veteran)
    said = await max_ctl.say(veteran, "привет")
    await max_ctl.wait_sent(said["chat_id"], 1)
    assert max_app.max is not None and await max_app.max.users.can_write(veteran) is True
    deputy_chat = await max_ctl.start(DEPUTY)
    await max_ctl.say(DEPUTY, "кто не подписан")
    listed, _, _ = await max_ctl.wait_sent(deputy_chat, 3)
    assert "Новиков Иван Петрович" not in listed["text"] and MAX_NO_CHECK in listed["text"]
