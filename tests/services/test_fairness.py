"""Fair handling per sender: token buckets, collapsing held events, the poller on fakes."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.services.fairness import BUSY_SNACKBAR, COALESCED, FairShare, HeldEvents, is_patient
from bot.vk.runtime import InboxPoller, is_button
from storage.db import Database
from storage.runtime import InboxRepo


class VirtualTime:
    """A monotonic clock the test moves; `sleep` moves it instead of waiting."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


def test_burst_is_admitted_then_one_per_interval() -> None:
    """Five at once are handled, the sixth is held; after the interval one more is allowed."""
    clock = VirtualTime()
    share = FairShare(burst=5, interval=2.0, clock=clock)
    assert [share.admit("user:1").admit for _ in range(5)] == [True] * 5
    assert share.admit("user:1").admit is False
    assert share.ready_in("user:1") == pytest.approx(2.0)
    clock.now = 2.0
    assert share.admit("user:1").admit is True
    assert share.admit("user:1").admit is False


def test_one_sender_does_not_use_up_anothers_share() -> None:
    """A flooder's empty bucket leaves everyone else's full."""
    share = FairShare(burst=2, interval=1.0, clock=VirtualTime())
    for _ in range(50):
        share.admit("user:1")
    assert share.admit("user:2").admit is True


def test_notice_once_per_episode_until_calm() -> None:
    """The first held event asks for the notice, later ones do not; after calm, a new episode does."""
    clock = VirtualTime()
    share = FairShare(burst=2, interval=1.0, clock=clock)
    share.admit("u"), share.admit("u")
    verdicts = [share.admit("u") for _ in range(10)]
    assert [v.notify for v in verdicts] == [True] + [False] * 9
    clock.now = 1.0
    assert share.take("u") is True  # the held events were released …
    clock.now = 1.5
    assert share.admit("u").notify is False  # … but the sender is not calm yet
    clock.now = 10.0
    share.admit("u"), share.admit("u")
    assert share.admit("u") == share.admit("u").__class__(admit=False, notify=True)


def test_take_waits_for_a_whole_token() -> None:
    """Held events go only when the sender has earned a new turn."""
    clock = VirtualTime()
    share = FairShare(burst=1, interval=2.0, clock=clock)
    share.admit("u")
    clock.now = 1.0
    assert share.take("u") is False
    clock.now = 2.0
    assert share.take("u") is True
    assert share.take("u") is False


def test_calm_senders_are_forgotten_when_many() -> None:
    """The table of senders stays bounded: refilled buckets are dropped first."""
    clock = VirtualTime()
    share = FairShare(burst=1, interval=1.0, clock=clock, max_senders=3)
    for key in ("a", "b", "c"):
        share.admit(key)
    clock.now = 5.0
    share.admit("d")
    assert set(share._buckets) == {"d"}


def test_bad_parameters_are_refused() -> None:
    """A zero burst or interval is a programming error."""
    with pytest.raises(ValueError):
        FairShare(burst=0, interval=1.0)
    with pytest.raises(ValueError):
        FairShare(burst=1, interval=0)


def test_someone_who_waits_for_answers_is_patient() -> None:
    """Nothing queued, or only the event already answered: the sender waited; more queued: they did not."""
    assert is_patient(0, answered=False)
    assert is_patient(1, answered=True)
    assert not is_patient(1, answered=False)
    assert not is_patient(2, answered=True)


def test_held_events_keep_the_latest_text_and_the_latest_button_in_order() -> None:
    """Older events of the same kind are dropped; the kept ones stay in arrival order."""
    held: HeldEvents[str] = HeldEvents()
    assert held.add("text1", button=False) == []
    assert held.add("press1", button=True) == []
    assert held.add("text2", button=False) == ["text1"]
    assert held.add("text3", button=False) == ["text2"]
    assert held.add("press2", button=True) == ["press1"]
    assert len(held) == 2
    assert held.release() == ["text3", "press2"]
    assert held.release() == []


def _text(event_id: str, user: int, text: str, payload: str | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"from_id": user, "peer_id": user, "text": text}
    if payload:
        message["payload"] = payload
    return {"type": "message_new", "event_id": event_id, "object": {"message": message}}


def _press(event_id: str, user: int, cmd: str) -> dict[str, Any]:
    return {"type": "message_event", "event_id": event_id,
            "object": {"user_id": user, "peer_id": user, "event_id": f"cb-{event_id}", "payload": {"cmd": cmd}}}


def _chat(event_id: str, user: int, text: str) -> dict[str, Any]:
    return {"type": "message_new", "event_id": event_id,
            "object": {"message": {"from_id": user, "peer_id": 2_000_000_001, "text": text}}}


def test_buttons_are_recognised() -> None:
    """Callbacks and text buttons with a payload are presses; plain text is not."""
    assert is_button(_press("p", 1, "x"))
    assert is_button(_text("t", 1, "Да", payload='{"cmd":"yes"}'))
    assert not is_button(_text("t", 1, "да"))


class Recorder:
    """The poller's outside world: handled texts, callback answers, notices."""

    def __init__(self) -> None:
        self.handled: list[str] = []
        self.answers: list[tuple[str, str | None]] = []
        self.notices: list[int] = []

    async def handle(self, update: dict[str, Any]) -> None:
        obj = update["object"]
        self.handled.append(obj["message"]["text"] if "message" in obj else obj["payload"]["cmd"])

    async def answer(self, obj: dict[str, Any], text: str | None) -> None:
        self.answers.append((str(obj.get("event_id")), text))

    async def notify(self, user_id: int, event_id: str) -> None:
        self.notices.append(user_id)


async def _call(method: str, params: dict[str, Any]) -> Any:
    raise AssertionError("not used")


async def _run(db: Database, updates: list[dict[str, Any]], *, fair: bool = True,
               burst: int = 2) -> tuple[Recorder, InboxPoller, InboxRepo]:
    inbox = InboxRepo(db)
    rec = Recorder()
    time = VirtualTime()
    poller = InboxPoller(call=_call, inbox=inbox, handle=rec.handle, answer_callback=rec.answer, group_id=1,
                         sleep=time.sleep, notify=rec.notify,
                         fairness=FairShare(burst=burst, interval=1.0, clock=time) if fair else None)
    events = await inbox.store([(u["event_id"], u["type"], f"user:{_user(u)}", u) for u in updates], "1")
    for event in events:
        poller._dispatch(event)
    await poller.drain()
    return rec, poller, inbox


def _user(update: dict[str, Any]) -> int:
    obj = update["object"]
    return int(obj["message"]["from_id"] if "message" in obj else obj["user_id"])


async def test_a_flood_is_collapsed_to_the_last_message_with_one_notice(db: Database) -> None:
    """30 messages at once: the first and the burst are handled, then only the last one, after one notice."""
    rec, poller, inbox = await _run(db, [_text(f"f{i}", 7, f"m{i}") for i in range(30)])
    assert rec.handled == ["m0", "m1", "m2", "m29"]
    assert rec.notices == [7]
    assert poller.coalesced == 26
    assert await inbox.pending() == []


async def test_others_are_handled_in_full_beside_a_flooder(db: Database) -> None:
    """A calm person's messages all reach the handlers while someone floods."""
    flood = [_text(f"f{i}", 7, f"flood{i}") for i in range(20)]
    calm = [_text("c1", 8, "вопрос"), _text("c2", 8, "ещё вопрос")]
    rec, _, _ = await _run(db, [*flood[:10], calm[0], *flood[10:], calm[1]])
    assert [t for t in rec.handled if not t.startswith("flood")] == ["вопрос", "ещё вопрос"]
    assert rec.notices == [7]


async def test_the_last_button_press_and_answer_survive_in_order(db: Database) -> None:
    """A throttled person's latest press and latest typed answer are handled, in the order sent."""
    updates = [_text("a", 7, "m1"), _text("b", 7, "m2"), _text("b2", 7, "m3"), _press("c", 7, "apply_old"),
               _text("d", 7, "junk"), _press("e", 7, "apply"), _text("f", 7, "да")]
    rec, _, _ = await _run(db, updates)
    assert rec.handled == ["m1", "m2", "m3", "apply", "да"]
    # The replaced press still gets an answer, so its spinner stops.
    assert rec.answers[0] == ("cb-c", BUSY_SNACKBAR)
    assert [a for a in rec.answers if a[1] == BUSY_SNACKBAR] == [("cb-c", BUSY_SNACKBAR)]


async def test_group_chat_messages_are_never_throttled(db: Database) -> None:
    """Live counts see every chat message, however fast they come."""
    rec, _, _ = await _run(db, [_chat(f"g{i}", 7, f"c{i}") for i in range(20)])
    assert rec.handled == [f"c{i}" for i in range(20)]


async def test_a_long_dialog_at_full_speed_is_never_held(db: Database) -> None:
    """Forty turns, each sent after the previous one was answered: all handled, no notice."""
    inbox = InboxRepo(db)
    rec = Recorder()
    time = VirtualTime()
    poller = InboxPoller(call=_call, inbox=inbox, handle=rec.handle, answer_callback=rec.answer, group_id=1,
                         sleep=time.sleep, notify=rec.notify, fairness=FairShare(burst=1, interval=60.0, clock=time))
    for i in range(40):
        update = _text(f"d{i}", 7, f"turn{i}")
        for event in await inbox.store([(f"d{i}", "message_new", "user:7", update)], str(i)):
            poller._dispatch(event)
        await poller.drain()
    assert rec.handled == [f"turn{i}" for i in range(40)]
    assert rec.notices == [] and poller.coalesced == 0


async def test_without_fairness_every_message_is_handled(db: Database) -> None:
    """The old behaviour (fairness off): one handling per message, no notice."""
    rec, poller, _ = await _run(db, [_text(f"f{i}", 7, f"m{i}") for i in range(10)], fair=False)
    assert rec.handled == [f"m{i}" for i in range(10)]
    assert rec.notices == [] and poller.coalesced == 0


async def test_collapsed_events_are_recorded_as_such(db: Database) -> None:
    """The inbox keeps a note on each collapsed event, and keeps no text of it."""
    await _run(db, [_text(f"f{i}", 7, f"m{i}") for i in range(6)], burst=1)
    async with db.read() as conn, conn.execute(
            "SELECT event_id, status, error, body FROM inbox ORDER BY id") as cur:
        rows = [tuple(r) for r in await cur.fetchall()]
    assert [r[2] for r in rows] == [None, None, COALESCED, COALESCED, COALESCED, None]
    assert {r[1] for r in rows} == {"done"} and {r[3] for r in rows} == {"{}"}


async def test_collapsed_events_are_marked_with_the_next_long_poll_write(db: Database) -> None:
    """The next batch's store marks the collapsed events in its own transaction (no extra write)."""
    inbox = InboxRepo(db)
    first = await inbox.store([("x1", "message_new", "user:7", _text("x1", 7, "a"))], "1")
    stored = await inbox.store([("x2", "message_new", "user:7", _text("x2", 7, "b"))], "2",
                               [first[0].id], COALESCED)
    assert [e.event_id for e in await inbox.pending()] == ["x2"] == [e.event_id for e in stored]
