"""The MAX outbox sender against the MAX emulator: exactly once without random_id, 403, 429, order."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.composition import reminder_stores
from bot.config import parse_settings
from bot.domain.models import Organization, Role
from bot.domain.ui import Button, Keyboard
from bot.max.bridge import dialog_of
from bot.max.client import UNREACHABLE_TEXT, MaxClient
from bot.max.messenger import MaxMessenger
from bot.max.outbound import MaxOutbound, fingerprint
from bot.messaging.delivery import RoutedOutbound
from bot.messaging.events import Messenger
from bot.ports import OutMessage
from bot.services.reminders import ReminderService
from max_emulator import MaxEmulator
from storage.db import Database
from storage.max_users import MaxUsersRepo
from storage.outbox import OutboxRepo
from storage.people import PeopleRepo
from tests.reminders.conftest import MONDAY_10, MovableClock, seed_stats

TOKEN, BOT_ID = "mt", 9000
FIRST = 50_000


@dataclass
class Rig:
    emu: MaxEmulator
    db: Database
    outbox: OutboxRepo
    client: MaxClient
    outbound: MaxOutbound
    users: MaxUsersRepo

    async def start(self, *user_ids: int) -> None:
        """People press Start; the bot learns each dialog's chat id (as from their bot_started)."""
        for user_id in user_ids:
            chat_id = self.emu.ops.start(user_id, {})["chat_id"]
            await self.outbound.remember_dialog(user_id, chat_id)

    def texts(self, user_id: int) -> list[str | None]:
        return [item["text"] for item in self.emu.ops.sent_items(self.dialog(user_id), None)]

    def dialog(self, user_id: int) -> int:
        return int(self.emu.ops.core.users[user_id].dialog_id)


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    """The emulator with 40 people, a database, and the MAX sender with its real client."""
    emu = MaxEmulator(token=TOKEN, bot_id=BOT_ID, seed=3)
    await emu.start()
    emu.seed_users([{"user_id": FIRST + i, "first_name": f"Учитель{i}"} for i in range(40)])
    db = await Database.open(tmp_path / "bot.sqlite3")
    client = MaxClient(TOKEN, emu.base_url)
    users = MaxUsersRepo(db)

    async def unreachable(user_id: int) -> None:
        await users.mark(user_id, False, UNREACHABLE_TEXT)

    async def no_wait(_: float) -> None:
        return None

    outbox = OutboxRepo(db)
    outbound = MaxOutbound(client, outbox, MaxMessenger(client), on_unreachable=unreachable, sleep=no_wait)
    try:
        yield Rig(emu, db, outbox, client, outbound, users)
    finally:
        await client.close()
        await db.close()
        await emu.stop()
    assert emu.state.schema_violations == []


def _messages(ids: list[int], tag: str = "w") -> list[OutMessage]:
    return [OutMessage(peer_id=i, messenger=Messenger.MAX, text=f"Напоминание {tag} для {i}", kind="reminder",
                       idem_key=f"s1:reminder:{tag}:{i}") for i in ids]


async def test_dropped_answers_give_each_person_exactly_one_message(rig: Rig) -> None:
    """With 30 % of answers dropped (delivered, answer lost), everyone gets one message and every row is sent."""
    ids = [FIRST + i for i in range(30)]
    await rig.start(*ids)
    rig.emu.ops.set_faults({"drop_rate": 0.3})
    deliveries = await rig.outbound.send_bulk(_messages(ids))
    assert all(d.ok and d.messenger is Messenger.MAX for d in deliveries)
    assert rig.emu.state.stats.dropped_answers > 0
    assert all(rig.texts(i) == [f"Напоминание w для {i}"] for i in ids)
    rows = await rig.outbox.by_keys([f"s1:reminder:w:{i}" for i in ids])
    assert {r.status for r in rows.values()} == {"sent"} and len({r.mid for r in rows.values()}) == len(ids)
    # Sent again (same keys): nothing goes out twice.
    await rig.outbound.send_bulk(_messages(ids))
    assert all(len(rig.texts(i)) == 1 for i in ids)


async def test_a_row_left_sending_is_found_in_the_chat_or_sent_once(rig: Rig) -> None:
    """After a crash: a 'sending' row whose message arrived is marked sent; one that never left goes once."""
    arrived, lost = FIRST, FIRST + 1
    await rig.start(arrived, lost)
    await rig.outbox.enqueue(rig.outbound._rows(_messages([arrived, lost], "c")[0])
                             + rig.outbound._rows(_messages([arrived, lost], "c")[1]))
    rows = await rig.outbox.by_keys([f"s1:reminder:c:{arrived}", f"s1:reminder:c:{lost}"])
    for row in rows.values():
        body = rig.outbound._body(row)
        await rig.outbox.mark_sending(row.id, fingerprint(body.get("text"), body.get("attachments")))
    # The process posted the first one and died before recording the answer.
    await rig.client.call("POST", "/messages", params={"user_id": arrived}, body={"text": f"Напоминание c для {arrived}"})
    assert await rig.outbound.resume() == 2
    assert rig.texts(arrived) == [f"Напоминание c для {arrived}"]
    assert rig.texts(lost) == [f"Напоминание c для {lost}"]
    done = await rig.outbox.by_keys([f"s1:reminder:c:{arrived}", f"s1:reminder:c:{lost}"])
    assert {r.status for r in done.values()} == {"sent"}


async def test_the_same_text_twice_to_one_person_is_two_messages(rig: Rig) -> None:
    """Two rows with the same text to one chat, both left 'sending' with one delivered: the other goes once."""
    user = FIRST + 2
    await rig.start(user)
    same = [OutMessage(peer_id=user, messenger=Messenger.MAX, text="Одинаковый текст", idem_key=f"k{n}")
            for n in (1, 2)]
    await rig.outbox.enqueue([row for m in same for row in rig.outbound._rows(m)])
    for row in (await rig.outbox.by_keys(["k1", "k2"])).values():
        await rig.outbox.mark_sending(row.id, fingerprint("Одинаковый текст", None))
    await rig.client.call("POST", "/messages", params={"user_id": user}, body={"text": "Одинаковый текст"})
    await rig.outbound.resume()
    assert rig.texts(user) == ["Одинаковый текст", "Одинаковый текст"]
    rows = await rig.outbox.by_keys(["k1", "k2"])
    assert len({r.mid for r in rows.values()}) == 2


async def test_403_is_recorded_once_and_never_retried(rig: Rig) -> None:
    """Someone who never started the bot: one POST, the row 'unreachable' with MAX's reason, reachability kept."""
    never = FIRST + 3
    [delivery] = await rig.outbound.send_bulk(_messages([never], "d"))
    assert not delivery.ok and delivery.unreachable and delivery.error == UNREACHABLE_TEXT
    await rig.outbound.send_bulk(_messages([never], "d"))
    assert rig.emu.state.stats.requests["POST /messages"] == 1
    assert await rig.users.can_write(never) is False
    assert await rig.users.reason(never) == UNREACHABLE_TEXT


async def test_429_backs_off_and_delivers_each_once(rig: Rig) -> None:
    """HTTP 429 answers (not delivered) put rows back to pending: all arrive once, none fail."""
    ids = [FIRST + 10 + i for i in range(10)]
    await rig.start(*ids)
    rig.emu.ops.set_faults({"http_429_rate": 0.4})
    deliveries = await rig.outbound.send_bulk(_messages(ids, "r"))
    assert all(d.ok for d in deliveries)
    assert rig.emu.state.stats.rate_limited > 0
    assert all(len(rig.texts(i)) == 1 for i in ids)


async def test_long_text_goes_in_order_with_the_keyboard_last(rig: Rig) -> None:
    """A text over 4,000 characters is split; the parts arrive in order, the buttons on the last."""
    user = FIRST + 4
    await rig.start(user)
    text = "\n\n".join(f"Абзац {n} " + "слово " * 150 for n in range(8))
    keyboard = Keyboard(rows=[[Button(label="Помощь", payload={"cmd": "help"})]], inline=True)
    [delivery] = await rig.outbound.send_bulk([OutMessage(peer_id=user, messenger=Messenger.MAX, text=text,
                                                          keyboard=keyboard, idem_key="long")])
    items = rig.emu.ops.sent_items(rig.dialog(user), None)
    assert delivery.ok and len(items) == 2
    assert items[0]["text"].startswith("Абзац 0") and items[1]["keyboard"] and not items[0]["keyboard"]


def test_dialog_ids_are_learnt_from_updates() -> None:
    """bot_started and a person's message in a dialog name the dialog's chat id; a group message does not."""
    started = {"update_type": "bot_started", "chat_id": 77, "user": {"user_id": 5}}
    said = {"update_type": "message_created",
            "message": {"sender": {"user_id": 5, "is_bot": False}, "recipient": {"chat_id": 78, "chat_type": "dialog"}}}
    group = {"update_type": "message_created",
             "message": {"sender": {"user_id": 5, "is_bot": False}, "recipient": {"chat_id": -9, "chat_type": "chat"}}}
    assert dialog_of(started) == (5, 77) and dialog_of(said) == (5, 78) and dialog_of(group) is None


async def test_reminder_report_names_who_never_started_the_bot(rig: Rig, tmp_path: Path) -> None:
    """A reminder run in MAX: the teacher who started the bot gets it; the one who never did is in the
    deputy's report as «не запускал бота», tried once."""
    started, never, deputy = FIRST + 20, FIRST + 21, FIRST + 22
    await rig.start(started, deputy)
    settings = parse_settings({"max": {"token": TOKEN, "api_url": rig.emu.base_url},
                               "schools": [{"id": "school1", "deputy_max_ids": [deputy]}]}, tmp_path)
    people = PeopleRepo(rig.db)
    await people.sync_organizations([Organization(id="school1", name="Школа")])
    await people.ensure_config_max_person("school1", deputy, Role.DEPUTY, "Заместитель")
    ids = []
    for max_id, name in ((started, "Иванова Анна Петровна"), (never, "Орлов Олег Олегович")):
        person = await people.add("school1", name, Role.TEACHER)
        async with rig.db.transaction() as conn:
            await conn.execute("UPDATE people SET max_id = ? WHERE id = ?", (max_id, person.id))
        ids.append(person.id)
    await seed_stats(rig.db, [(pid, {"group_messages": 1, "calls": 1, "ejd_linked": True, "registered": True})
                              for pid in ids])
    outbound = RoutedOutbound(vk=None, senders={Messenger.MAX: rig.outbound})  # type: ignore[arg-type]
    report = await ReminderService(reminder_stores(rig.db, settings), settings, outbound, MovableClock(MONDAY_10)).run("school1")
    assert report.sent == 1 and [u.reason for u in report.unreachable] == ["MAX: человек не запускал бота или остановил его"]
    assert len(rig.texts(started)) == 1
    [text] = rig.texts(deputy)
    assert text is not None and "Орлов" in text and "не запускал бота" in text
