"""Schools from the table are read live: after `import-schools` stores a new table, the running bot knows the
new school (its director is recognised, its jobs are scheduled) without a restart."""

from __future__ import annotations

import pytest

from bot.messaging.events import Identity, Messenger
from storage.schools import SchoolsRepo
from tests.e2e.messengers import MESSENGERS, MaxTalk, Talk, VkTalk

# How the bot greets someone it does not know (and asks them to introduce themselves).
STRANGER = "Здравствуйте! Я помощник школы по Сферуму. Чтобы я знал, кто вы"
NEW_DIRECTOR = {"vk": 1501, "max": 7501}
NEW_SCHOOL = {"id": "school7", "name": "МБОУ СОШ № 7", "inn": "0500000007", "timezone": "Asia/Yekaterinburg",
              "district": "Северный", "row_no": 2}


async def _ask(talk: Talk, user: int, text: str) -> str:
    """`text` from an account the fixtures do not know; the bot's first answer."""
    if isinstance(talk, VkTalk):
        await talk.chat.control.add_user(user, "Олег", "Новиков", allows_messages=True)
        [reply] = await talk.chat.say(user, text)
        return str(reply["text"])
    assert isinstance(talk, MaxTalk)
    await talk.ctl.add_user(user, "Олег", "Новиков")
    before = await talk.ctl.sent(None)
    said = await talk.ctl.say(user, text)
    [reply] = await talk.ctl.wait_sent(said["chat_id"], 1, after=before[-1]["seq"] if before else None)
    return str(reply["text"] or "")


@pytest.mark.parametrize("talk", MESSENGERS, indirect=True)
async def test_a_school_imported_while_running_is_served_without_restart(talk: Talk) -> None:
    """Before the refresh the new director is nobody the bot knows; after it they get their school's summary, the
    school is in the settings every service holds and its reminder jobs are scheduled; a second refresh
    of the same table changes nothing."""
    app = talk.app
    director = NEW_DIRECTOR[talk.messenger]
    account = Identity(messenger=Messenger(talk.messenger), external_id=director)
    assert await app.deps.access.whois(account) == []
    key = "director_vk_id" if talk.messenger == "vk" else "director_max_id"
    await SchoolsRepo(app.db).replace([{**NEW_SCHOOL, key: director}])  # what `import-schools --yes` stores

    assert await app.refresh_schools() is True
    assert await app.refresh_schools() is False
    assert app.deps.settings.school("school7").timezone == "Asia/Yekaterinburg"
    assert app.scheduler is not None and any(s.org_id == "school7" for s in app.scheduler.specs.values())
    answer = await _ask(talk, director, "сводка")
    assert not answer.startswith(STRANGER) and "СОШ № 7" in answer
    assert [s.id for s in app.deps.settings.schools] == ["school1", "school7"]

    await SchoolsRepo(app.db).replace([{**NEW_SCHOOL, "name": "МБОУ «СОШ № 7»", key: director}])
    assert await app.refresh_schools() is True
    assert app.deps.summary._settings.school("school7").name == "МБОУ «СОШ № 7»"


async def test_the_running_bot_reads_the_schools_again_every_interval() -> None:
    """The watcher calls the refresh once per interval and goes on after a failed read."""
    import asyncio

    from bot.live_schools import watch_schools

    calls: list[int] = []
    third = asyncio.Event()

    async def refresh() -> bool:
        calls.append(len(calls))
        if len(calls) == 1:
            raise OSError("база недоступна")
        if len(calls) == 3:
            third.set()
        return False

    watcher = asyncio.create_task(watch_schools(0.01, refresh))
    try:
        await asyncio.wait_for(third.wait(), 5)
    finally:
        watcher.cancel()
    assert calls[:3] == [0, 1, 2]
