"""VkOutbound end to end against the emulator over HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from bot.domain.ui import Button, Keyboard
from bot.ports import OutMessage
from bot.ratelimit import Priority
from bot.vk.api import RateLimitedAPI
from bot.vk.keyboard import KeyboardError
from bot.vk.outbound import VkOutbound
from bot.vk.rules import DeliveryError, idem_key, random_id_for
from storage.db import Database
from storage.outbox import OutboxRepo
from tests.outbox.conftest import add_users, outbox_settings, sent_counts
from vk_emulator import Emulator, EmulatorControl


def _messages(ids: list[int], kind: str = "reminder") -> list[OutMessage]:
    return [OutMessage(peer_id=i, text=f"Анна Петровна, напоминание №{i}", org_id="school1",
                       kind=kind, person_id=None, idem_key=idem_key("school1", kind, "2026-11-14", i))
            for i in ids]


async def test_bulk_send_through_execute_at_20_rps(outbound: VkOutbound, emulator: Emulator,
                                                   control: EmulatorControl, db: Database) -> None:
    """300 messages go out in 12 executes under the 20 rps limit, each user exactly once."""
    ids = list(range(1000, 1300))
    add_users(emulator, ids)
    deliveries = await outbound.send_bulk(_messages(ids))
    assert all(d.ok for d in deliveries) and [d.peer_id for d in deliveries] == ids
    assert all(d.message_id for d in deliveries)
    stats = await control.stats()
    assert stats["requests"].get("execute") == 12
    assert stats["requests"].get("messages.send", 0) == 0
    assert stats["rate_limited"] == 0 and stats["delivered"] == 300
    counts = await sent_counts(control, ids)
    assert set(counts.values()) == {1}
    item = (await control.sent(1005))["items"][0]
    assert item["text"] == "Анна Петровна, напоминание №1005"
    assert item["random_id"] == random_id_for(idem_key("school1", "reminder", "2026-11-14", 1005))
    assert await OutboxRepo(db).counts() == {"sent": 300}


async def test_empty_bulk_send_costs_nothing(outbound: VkOutbound, control: EmulatorControl) -> None:
    """An empty send_bulk returns no deliveries and makes no request."""
    assert await outbound.send_bulk([]) == []
    assert await outbound.resume() == 0
    assert (await control.stats())["requests"] == {}


async def test_send_again_sends_nothing(outbound: VkOutbound, emulator: Emulator,
                                        control: EmulatorControl) -> None:
    """The same messages sent twice reach each person once, and the second call costs no request."""
    ids = list(range(2000, 2030))
    add_users(emulator, ids)
    await outbound.send_bulk(_messages(ids))
    before = (await control.stats())["requests"].get("execute", 0)
    again = await outbound.send_bulk(_messages(ids))
    assert all(d.ok for d in again)
    assert (await control.stats())["requests"].get("execute", 0) == before
    assert set((await sent_counts(control, ids)).values()) == {1}


async def test_unreachable_people_are_reported_not_retried(outbound: VkOutbound, emulator: Emulator,
                                                           control: EmulatorControl, db: Database) -> None:
    """901 and 902 come back as unreachable deliveries, stored once, with vk_users updated."""
    ok_ids = list(range(3000, 3010))
    add_users(emulator, ok_ids)
    add_users(emulator, [3100], allows_messages=False)
    add_users(emulator, [3101], blocks_messages=True)
    deliveries = await outbound.send_bulk(_messages([*ok_ids[:5], 3100, *ok_ids[5:], 3101]))
    by_peer = {d.peer_id: d for d in deliveries}
    assert by_peer[3100].unreachable and by_peer[3100].error_code == 901 and not by_peer[3100].ok
    assert by_peer[3101].unreachable and by_peer[3101].error_code == 902
    assert all(by_peer[i].ok for i in ok_ids)
    stats = await control.stats()
    assert stats["requests"]["execute"] == 1  # one batch, no retry for the unreachable
    async with db.read() as conn, conn.execute(
        "SELECT account, can_write, code FROM reach WHERE messenger = 'vk' AND can_write = 0 ORDER BY account"
    ) as cur:
        assert [tuple(r) for r in await cur.fetchall()] == [(3100, 0, 901), (3101, 0, 902)]
    assert await OutboxRepo(db).counts() == {"sent": 10, "unreachable": 2}


async def test_intent_errors_are_unreachable(outbound: VkOutbound, emulator: Emulator,
                                             control: EmulatorControl) -> None:
    """943 (no intent outside the window) is reported like 901; the school intent is carried."""
    add_users(emulator, [3200, 3201])
    await control.limits(intent_window_hours=24)
    plain = [OutMessage(peer_id=3200, text="без intent", idem_key="x:1", intent="default")]
    with_intent = [OutMessage(peer_id=3201, text="с intent", idem_key="school1:x:2", org_id="school1")]
    first = await outbound.send_bulk(plain)
    second = await outbound.send_bulk(with_intent)
    assert first[0].error_code == 943 and first[0].unreachable
    assert second[0].ok


async def test_rate_faults_are_retried_and_delivered_once(outbound: VkOutbound, emulator: Emulator,
                                                          control: EmulatorControl) -> None:
    """With errors 6, 9, 10 and HTTP 500 injected, every message still arrives exactly once."""
    ids = list(range(4000, 4300))
    add_users(emulator, ids)
    await control.faults(error_rate={"6": 0.2, "9": 0.1, "10": 0.1}, http_500_rate=0.1)
    deliveries = await outbound.send_bulk(_messages(ids))
    assert all(d.ok for d in deliveries)
    stats = await control.stats()
    assert sum(stats["errors"].get(c, 0) for c in ("6", "9", "10")) > 0
    assert set((await sent_counts(control, ids)).values()) == {1}


async def test_dropped_requests_are_deduplicated(outbound: VkOutbound, emulator: Emulator,
                                                 control: EmulatorControl) -> None:
    """Requests that took effect but lost their answer are re-sent and dropped by random_id."""
    ids = list(range(5000, 5300))
    add_users(emulator, ids)
    await control.faults(drop_rate=0.4)
    deliveries = await outbound.send_bulk(_messages(ids))
    assert all(d.ok for d in deliveries)
    stats = await control.stats()
    assert stats["deduplicated"] > 0
    assert set((await sent_counts(control, ids)).values()) == {1}


async def test_persistent_faults_end_as_failed(outbound: VkOutbound, emulator: Emulator,
                                               control: EmulatorControl, db: Database) -> None:
    """When VK keeps failing, each message is tried a bounded number of times, then 'failed'."""
    add_users(emulator, [5300, 5301])
    await control.faults(error_rate={"10": 1.0})
    deliveries = await outbound.send_bulk(_messages([5300, 5301]))
    assert [d.ok for d in deliveries] == [False, False]
    assert deliveries[0].error_code == 10
    rows = await OutboxRepo(db).by_keys([idem_key("school1", "reminder", "2026-11-14", 5300)])
    assert next(iter(rows.values())).attempts == outbound.max_attempts
    await control.faults()
    again = await outbound.send_bulk(_messages([5300, 5301]))
    assert all(d.ok for d in again)


async def test_long_message_is_split_and_kept_in_order(outbound: VkOutbound, emulator: Emulator,
                                                       control: EmulatorControl) -> None:
    """A 10,000-character message arrives as three chunks in order, the keyboard on the last."""
    add_users(emulator, [6000])
    paragraph = "Коллеги, " + "текст " * 300
    text = "\n\n".join(f"{i}. {paragraph}" for i in range(6))
    kb = Keyboard(rows=[[Button(label="Помощь", payload={"cmd": "help"})]], inline=True)
    [delivery] = await outbound.send_bulk([OutMessage(peer_id=6000, text=text, keyboard=kb,
                                                      idem_key="school1:broadcast:1:6000")])
    assert delivery.ok
    items = (await control.sent(6000))["items"]
    assert len(items) >= 3 and all(len(i["text"]) <= 4096 for i in items)
    assert "\n\n".join(i["text"] for i in items) == text
    assert items[-1]["keyboard"] is not None and items[0]["keyboard"] is None


async def test_split_broadcast_keeps_order_for_everyone(emulator: Emulator, control: EmulatorControl,
                                                        db: Database, api: RateLimitedAPI,
                                                        tmp_path: Path) -> None:
    """Two-chunk messages to 40 people straddle batch and page edges yet arrive in order."""
    ids = list(range(6200, 6240))
    add_users(emulator, ids)
    outbound = VkOutbound(api, OutboxRepo(db), outbox_settings(tmp_path, emulator.api_url),
                          retry_base=0.02, page_size=7, concurrency=4)
    text = "Первая часть. " + "а" * 4000 + "\n\nВторая часть. " + "б" * 100
    messages = [OutMessage(peer_id=i, text=text, idem_key=f"school1:broadcast:9:{i}") for i in ids]
    deliveries = await outbound.send_bulk(messages)
    assert all(d.ok for d in deliveries)
    for peer in ids:
        items = (await control.sent(peer))["items"]
        assert [i["text"][:6] for i in items] == ["Первая", "Вторая"]


async def test_chat_bulk_send_learns_cmid(outbound: VkOutbound, emulator: Emulator,
                                          control: EmulatorControl) -> None:
    """A bulk message to a chat comes back with its conversation_message_id."""
    add_users(emulator, [6100, 6101])
    chat = await control.add_chat(5, "Учителя 5-х классов", [6100, 6101])
    [delivery] = await outbound.send_bulk([OutMessage(peer_id=chat["peer_id"], text="Всем привет",
                                                      idem_key="school1:chat:5")])
    assert delivery.ok and delivery.conversation_message_id
    items = (await control.sent(chat["peer_id"]))["items"]
    assert items[-1]["conversation_message_id"] == delivery.conversation_message_id


async def test_bad_keyboard_refused_before_anything_is_stored(outbound: VkOutbound, db: Database) -> None:
    """A keyboard over VK's limits raises KeyboardError and stores nothing."""
    kb = Keyboard(rows=[[Button(label=str(i))] for i in range(7)], inline=True)
    try:
        await outbound.send_bulk([OutMessage(peer_id=1, text="x", keyboard=kb, idem_key="k")])
    except KeyboardError:
        pass
    else:
        raise AssertionError("the keyboard was accepted")
    assert await OutboxRepo(db).counts() == {}


async def test_reply_in_chat_edit_and_callback(outbound: VkOutbound, emulator: Emulator,
                                               control: EmulatorControl) -> None:
    """reply() learns the cmid in a chat, edit() changes that message, callbacks get a snackbar."""
    add_users(emulator, [7000])
    chat = await control.add_chat(7, "Педсовет", [7000])
    peer = chat["peer_id"]
    delivery = await outbound.reply(OutMessage(peer_id=peer, text="Идёт рассылка: 0 из 10"))
    assert delivery.ok and delivery.conversation_message_id
    await outbound.edit(peer, delivery.conversation_message_id, "Готово: 10 из 10")
    items = (await control.sent(peer))["items"]
    assert items[-1]["text"] == "Готово: 10 из 10"
    pressed = await control.press(7000, delivery.conversation_message_id, {"cmd": "ok"}, peer_id=peer)
    await outbound.answer_callback(pressed["event_id"], 7000, peer, "Принято")
    snack = (await control.snackbars(7000))["items"]
    assert snack[-1]["event_data"] == {"type": "show_snackbar", "text": "Принято"}


async def test_reply_to_unreachable_person(outbound: VkOutbound, emulator: Emulator, db: Database) -> None:
    """A reply VK refuses with 901 is a failed Delivery, and the person is marked unreachable."""
    add_users(emulator, [7100], allows_messages=False)
    delivery = await outbound.reply(OutMessage(peer_id=7100, text="Здравствуйте"))
    assert not delivery.ok and delivery.error_code == 901 and delivery.unreachable
    async with db.read() as conn, conn.execute(
        "SELECT can_write, code FROM reach WHERE messenger = 'vk' AND account = 7100"
    ) as cur:
        assert tuple(await cur.fetchone() or ()) == (0, 901)


async def test_reply_with_idem_key_is_sent_once(outbound: VkOutbound, emulator: Emulator,
                                                control: EmulatorControl) -> None:
    """Two replies with the same idem_key (a replayed event) show once; without one, twice."""
    add_users(emulator, [7200])
    for _ in range(2):
        await outbound.reply(OutMessage(peer_id=7200, text="Ответ", idem_key="inbox:ev1"))
    assert len((await control.sent(7200))["items"]) == 1
    for _ in range(2):
        await outbound.reply(OutMessage(peer_id=7200, text="Ещё"))
    assert len((await control.sent(7200))["items"]) == 3


async def test_long_reply_is_split_with_keyboard_last(outbound: VkOutbound, emulator: Emulator,
                                                      control: EmulatorControl) -> None:
    """A 6,000-character reply arrives as two messages; the keyboard rides on the last one."""
    add_users(emulator, [7250])
    text = "Раздел 1\n" + "x" * 3000 + "\n\nРаздел 2\n" + "y" * 3000
    kb = Keyboard(rows=[[Button(label="Меню", payload={"cmd": "menu"})]])
    delivery = await outbound.reply(OutMessage(peer_id=7250, text=text, keyboard=kb))
    items = (await control.sent(7250))["items"]
    assert delivery.ok and [i["text"][:8] for i in items] == ["Раздел 1", "Раздел 2"]
    assert items[0]["keyboard"] is None and items[1]["keyboard"]["buttons"][0][0]["action"]["label"] == "Меню"


async def test_uploads(outbound: VkOutbound, emulator: Emulator, control: EmulatorControl) -> None:
    """A document and a photo upload return attachment strings that a reply can carry."""
    add_users(emulator, [7300])
    doc = await outbound.upload_document(7300, "ФИО;класс\n".encode(), "отчёт.csv")
    png = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")
    photo = await outbound.upload_photo(7300, png, "qr.png")
    assert doc.startswith("doc") and photo.startswith("photo")
    delivery = await outbound.reply(OutMessage(peer_id=7300, text="Файлы", attachments=(doc, photo)))
    assert delivery.ok
    attachments = (await control.sent(7300))["items"][-1]["attachments"]
    assert [a["type"] for a in attachments] == ["doc", "photo"]


async def test_edit_failure_raises_delivery_error(outbound: VkOutbound, emulator: Emulator) -> None:
    """Editing a message that does not exist raises DeliveryError with VK's code."""
    add_users(emulator, [7400])
    try:
        await outbound.edit(7400, 999, "нет такого")
    except DeliveryError as exc:
        assert exc.code > 0
    else:
        raise AssertionError("edit of a missing message succeeded")


async def test_replies_overtake_a_running_bulk_send(outbound: VkOutbound, api: RateLimitedAPI,
                                                    emulator: Emulator) -> None:
    """While 500 bulk messages go out, interactive replies are answered within a second."""
    ids = list(range(8000, 8500))
    add_users(emulator, ids)
    add_users(emulator, [8999])
    started_bulk = asyncio.Event()
    progress: list[tuple[int, int]] = []

    async def on_progress(done: int, total: int) -> None:
        progress.append((done, total))
        started_bulk.set()

    bulk = asyncio.create_task(outbound.send_bulk(_messages(ids), on_progress=on_progress))
    latencies = []
    await started_bulk.wait()
    for n in range(5):
        started = time.perf_counter()
        delivery = await outbound.reply(OutMessage(peer_id=8999, text=f"Ответ {n}"))
        latencies.append(time.perf_counter() - started)
        assert delivery.ok
    assert not bulk.done()
    deliveries = await bulk
    assert all(d.ok for d in deliveries)
    assert max(latencies) < 1.0
    assert api.limiter.granted[Priority.INTERACTIVE] >= 5
    assert progress[-1] == (500, 500) and len(progress) == 20


async def test_many_people_at_once_are_answered_in_shared_executes(outbound: VkOutbound, emulator: Emulator,
                                                                  control: EmulatorControl) -> None:
    """150 replies at once (a region answering a reminder): each person gets theirs exactly once with its own
    cmid and keyboard, one refused by VK fails alone, and they take far fewer than 150 requests."""
    ids = list(range(9100, 9250))
    add_users(emulator, ids[:-1])
    add_users(emulator, ids[-1:], allows_messages=False)
    kb = Keyboard(rows=[[Button(label="Да", payload={"cmd": "yes"})]])
    deliveries = await asyncio.gather(*(outbound.reply(OutMessage(peer_id=p, text=f"Ответ {p}", keyboard=kb))
                                        for p in ids))
    assert [d.ok for d in deliveries] == [True] * 149 + [False]
    assert deliveries[-1].error_code == 901 and deliveries[-1].unreachable
    assert len({d.conversation_message_id for d in deliveries[:-1]}) == 1  # each peer's first message
    assert len({d.message_id for d in deliveries[:-1]}) == 149
    counts = await sent_counts(control, ids)
    assert counts == {**{p: 1 for p in ids[:-1]}, ids[-1]: 0}
    items = (await control.sent(ids[0]))["items"]
    assert items[0]["text"] == f"Ответ {ids[0]}" and items[0]["keyboard"]["buttons"][0][0]["action"]["label"] == "Да"
    requests = emulator.state.stats.requests
    assert requests.get("execute", 0) >= 1 and requests.get("execute", 0) + requests.get("messages.send", 0) <= 40
