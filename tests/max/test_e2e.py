"""End to end in MAX: the real bot polls the MAX emulator over HTTP; the school is configured only with [max]."""

from __future__ import annotations

from bot.app import App
from bot.domain.models import Role
from bot.domain.ui import Button, Keyboard
from bot.max.bridge import dialog
from bot.messaging.events import Reply
from bot.ports import FailureKind
from handlers.fallback import OLD_BUTTON
from handlers.identify import ASK_NAME
from max_emulator.client import MaxEmulatorControl
from tests.max.conftest import DIRECTOR, STRANGER, TEACHERS
from tests.summary.conftest import WEEK1, WEEK2, put_week


async def seed_weeks(app: App) -> None:
    """Two weeks of figures for the MAX roster: Петров writes too little."""
    people = {p.full_name: p.id for p in await app.deps.people.in_org("school1")}
    figures = {TEACHERS[0][1]: (2, 6), TEACHERS[1][1]: (1, 1)}
    for n, period in enumerate((WEEK1, WEEK2)):
        await put_week(app.db, "school1", period, [
            (people[name], {"group_messages": week[n], "calls": 1, "registered": True})
            for name, week in figures.items()])


async def test_director_gets_summary_with_files_through_uploads(max_app: App, max_ctl: MaxEmulatorControl) -> None:
    """«сводка» from the director in MAX: the summary text, then the xlsx and the chart sent via /uploads."""
    await seed_weeks(max_app)
    said = await max_ctl.say(DIRECTOR, "сводка")
    items = await max_ctl.wait_sent(said["chat_id"], 3)
    assert items[0]["text"].startswith("Сводка: МБОУ СОШ № 1") and "Петров С. И." in items[0]["text"]
    kinds = sorted(a["type"] for item in items[1:] for a in item["attachments"])
    assert kinds == ["file", "image"]
    assert any(a.get("filename", "").endswith(".xlsx") for item in items for a in item["attachments"])
    stats = await max_ctl.stats()
    assert stats["requests"].get("POST /uploads") == 2 and stats["rate_limited"] == 0
    [entry] = await max_app.deps.audit.recent(action="summary")
    assert entry.outcome == "ok" and entry.actor_vk_id is None
    [director] = await max_app.deps.people.by_max_id(DIRECTOR)
    assert director.role is Role.DIRECTOR


async def test_stranger_is_asked_for_the_name(max_app: App, max_ctl: MaxEmulatorControl) -> None:
    """Someone the roster does not know is asked to introduce themselves, and refused (no figures) for «сводка»."""
    said = await max_ctl.say(STRANGER, "привет")  # MAX sends bot_started first: the name is asked for
    ask, reply = await max_ctl.wait_sent(said["chat_id"], 2)
    assert ask["text"] == ASK_NAME and reply["text"].startswith("Не нашёл «привет»")
    await max_ctl.say(STRANGER, "сводка")
    [refusal] = await max_ctl.wait_sent(said["chat_id"], 1, after=reply["seq"])
    assert "Сводка:" not in refusal["text"] and refusal["text"].startswith("Не нашёл «сводка»")


async def test_menu_button_and_old_button_presses(max_app: App, max_ctl: MaxEmulatorControl) -> None:
    """The menu's «Сводка» (a text button, sent as a marked callback) gives the summary; an unknown
    callback button is answered with POST /answers."""
    # «меню» gives just the menu (any other text is a question for the FAQ, in MAX as in VK).
    said = await max_ctl.say(DIRECTOR, "меню")
    [menu] = await max_ctl.wait_sent(said["chat_id"], 1)
    button = next(b for row in menu["keyboard"] for b in row if "Сводка" in b["text"])
    assert button["type"] == "callback"
    await max_ctl.press(DIRECTOR, menu["mid"], button["payload"])
    [summary] = await max_ctl.wait_sent(said["chat_id"], 1, after=menu["seq"])
    assert summary["text"].startswith("Сводка: МБОУ СОШ № 1")
    assert max_app.max is not None
    old = Reply(chat=dialog(DIRECTOR), text="Старое", keyboard=Keyboard(
        rows=[[Button(label="Старая", payload={"cmd": "gone"}, callback=True)]], inline=True))
    sent = await max_app.max.messenger.send(old)
    assert sent.ok
    [message] = await max_ctl.wait_sent(said["chat_id"], 1, after=summary["seq"])
    await max_ctl.press(DIRECTOR, message["mid"], message["keyboard"][0][0]["payload"])
    [answer] = await max_ctl.answers(DIRECTOR, count=1)
    assert answer["notification"] == OLD_BUTTON


async def test_unreachable_person_is_recorded_and_not_retried(max_app: App, max_ctl: MaxEmulatorControl) -> None:
    """A 403 (never started the bot) is a typed failure, recorded with its reason, sent once; Start and
    Stop update the same record."""
    assert max_app.max is not None
    sent = await max_app.max.messenger.send(Reply(chat=dialog(STRANGER), text="Напоминание"))
    assert sent.failure is FailureKind.UNREACHABLE
    assert await max_app.max.users.can_write(STRANGER) is False
    assert await max_app.max.users.reason(STRANGER) == "человек не запускал бота или остановил его"
    stats = await max_ctl.stats()
    assert stats["requests"]["POST /messages"] == 1 and stats["errors"] == {"chat.denied": 1}
    await max_ctl.start(STRANGER)
    await max_ctl.say(STRANGER, "привет")
    await max_ctl.wait_sent(None, 1)
    assert await max_app.max.users.can_write(STRANGER) is True
    await max_ctl.stop(STRANGER)
    await max_ctl.say(DIRECTOR, "привет")  # handled after the stop: one person's updates in order
    await max_ctl.wait_sent(None, 2)
    assert await max_app.max.users.can_write(STRANGER) is False


async def test_files_wait_for_attachment_ready(max_app: App, max_ctl: MaxEmulatorControl) -> None:
    """Files still processing (attachment.not.ready) are sent again after a wait on the emulator's clock."""
    await seed_weeks(max_app)
    await max_ctl.clock(frozen=True)
    await max_ctl.limits(attachment_ready_after_s=2.5)
    said = await max_ctl.say(DIRECTOR, "сводка")
    items = await max_ctl.wait_sent(said["chat_id"], 3)
    assert sorted(a["type"] for item in items[1:] for a in item["attachments"]) == ["file", "image"]
    assert (await max_ctl.stats())["errors"].get("attachment.not.ready", 0) >= 1


async def test_config_people_bound_once_per_messenger(max_app: App) -> None:
    """The config's MAX ids make people with those roles; a director named by VK and MAX id is one person."""
    from bot.live_schools import sync_config_people

    settings = max_app.settings.model_copy(update={"schools": [max_app.settings.schools[0].model_copy(
        update={"director_vk_id": 1001})]})
    await sync_config_people(settings, max_app.deps.people)
    await sync_config_people(settings, max_app.deps.people)
    [director] = await max_app.deps.people.by_max_id(DIRECTOR)
    assert director.role is Role.DIRECTOR and director.vk_id == 1001
    assert [p.id for p in await max_app.deps.people.by_vk_id(1001)] == [director.id]
