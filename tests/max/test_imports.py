"""End to end in MAX: the deputy sends a table as a file, gets the preview and presses «Применить»."""

from __future__ import annotations

from bot.app import App
from bot.messaging.events import Identity, Messenger
from max_emulator.client import MaxEmulatorControl
from storage.stats import StatsRepo
from tests.imports.tables import ROSTER_HEADER, xlsx
from tests.max.conftest import DEPUTY, TEACHERS

# Two people where the roster has six: the others would be marked as left, so it waits for «Применить».
SHORT_ROSTER = xlsx([ROSTER_HEADER, [TEACHERS[0][1], "учитель", "5А", ""],
                     ["Новикова Дарья Павловна", "учитель", "", ""]])


async def test_deputy_uploads_a_roster_and_applies_it(max_app: App, max_ctl: MaxEmulatorControl) -> None:
    """The file comes in a MAX message, is fetched from its URL, previewed; «Применить» applies it."""
    before = sorted(p.full_name for p in await max_app.deps.people.in_org("school1") if p.source != "config")
    said = await max_ctl.say(DEPUTY, files=[("staff.xlsx", SHORT_ROSTER)])
    [preview] = await max_ctl.wait_sent(said["chat_id"], 1, timeout=30)
    assert preview["text"].startswith("Прежде чем загрузить список сотрудников из «staff.xlsx»")
    after_preview = sorted(p.full_name for p in await max_app.deps.people.in_org("school1") if p.source != "config")
    assert after_preview == before
    apply = next(b for row in preview["keyboard"] for b in row if b["text"] == "Применить")
    deputy = Identity(messenger=Messenger.MAX, external_id=DEPUTY)
    held = await max_app.deps.imports.held(1)
    assert held is not None and held.actor == deputy  # the MAX account, not a VK id with the same number
    await max_ctl.press(DEPUTY, preview["mid"], apply["payload"])
    [report] = await max_ctl.wait_sent(said["chat_id"], 1, after=preview["seq"], timeout=30)
    assert report["text"].startswith("Загружен список сотрудников")
    assert f"отмечены как уволившиеся: {len(before) - 1}" in report["text"]
    active = sorted(p.full_name for p in await max_app.deps.people.in_org("school1") if p.source != "config")
    assert active == sorted([TEACHERS[0][1], "Новикова Дарья Павловна"])
    [answer] = await max_ctl.answers(DEPUTY, count=1)
    assert answer["notification"] == "Применяю"
    [record] = await StatsRepo(max_app.db).imports("school1")
    assert record.imported_by == deputy
    [audited] = await max_app.deps.audit.recent(action="import_roster")
    assert (audited.actor_vk_id, audited.actor_max_id) == (None, DEPUTY)
