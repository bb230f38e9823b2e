"""Faults under load, small scale: a bulk send, teachers' questions, 10 % API faults,
long-poll failures and a crash mid-way — nothing lost, nothing twice, every question answered."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings, parse_settings
from bot.domain.models import Role
from bot.ports import OutMessage
from bot.vk.rules import chunk_key, idem_key, random_id_for
from storage.outbox import OutboxRepo
from tests.e2e.conftest import start_app
from vk_emulator import Emulator
from vk_emulator.client import EmulatorControl

N_BULK = 400
BULK_FIRST = 50_001
TEACHERS = list(range(3001, 3011))
QUESTIONS = ["как войти в сферум", "не приходит код", "мой статус", "что такое чат класса?",
             "🙂", "Где взять ссылку на чат 5А", "asdf", "спасибо!", "как добавить родителей",
             "можно ли звонить через сферум"]
MAX_REPLIES = 5  # an answer may come as several messages (the answer, then an offer)
# 10 % of API requests fail: errors 6, 9, 10, HTTP 500 and answers lost after the effect.
FAULTS = {"error_rate": {"6": 0.02, "9": 0.02, "10": 0.02}, "http_500_rate": 0.02,
          "drop_rate": 0.02, "delay_ms": [1, 15]}


@pytest.fixture
def settings(tmp_path: Path, emulator: Emulator) -> Settings:
    """One school; the database in tmp_path, kept across the restart."""
    return parse_settings(
        {"vk": {"token": "t", "group_id": 1, "api_url": emulator.api_url, "wait": 5},
         "schools": [{"id": "school1", "name": "МБОУ СОШ № 1", "deputy_vk_ids": [1002]}]},
        tmp_path)


async def by_peer(control: EmulatorControl) -> dict[int, list[dict[str, Any]]]:
    """Everything the emulator delivered, per peer, oldest first."""
    found: dict[int, list[dict[str, Any]]] = {}
    for item in (await control.sent(None))["items"]:
        found.setdefault(int(item["peer_id"]), []).append(item)
    return found


async def wait_answered(control: EmulatorControl, asked: list[Question]) -> None:
    """Wait (on the emulator, no sleeping) until every question has its first reply."""
    while True:
        per_peer = await by_peer(control)
        first, _ = answers(asked, per_peer)
        waiting = [q for q in asked if not first[q.event_id]]
        if not waiting:
            return
        teacher = waiting[0].teacher
        last = per_peer[teacher][-1]["seq"] if per_peer.get(teacher) else 0
        await control.wait_sent(teacher, 1, after=last, timeout=60)


@dataclass(frozen=True)
class Question:
    teacher: int
    text: str
    event_id: str


def _bulk() -> list[OutMessage]:
    return [OutMessage(peer_id=vk_id, org_id="school1", kind="reminder",
                       text=f"Коллега №{vk_id}, напишите, пожалуйста, в рабочий чат класса в Сферуме.",
                       idem_key=idem_key("school1", "reminder", "2026-11-14", vk_id))
            for vk_id in range(BULK_FIRST, BULK_FIRST + N_BULK)]


async def _ask(control: EmulatorControl, rounds: range, asked: list[Question]) -> None:
    """Each teacher asks one question per round (their own questions in order)."""
    for n in rounds:
        for i, teacher in enumerate(TEACHERS):
            text = QUESTIONS[(i + n) % len(QUESTIONS)]
            sent = await control.say(teacher, text)
            asked.append(Question(teacher, text, str(sent["event_id"])))


def reply_ids(event_id: str) -> dict[int, tuple[int, int]]:
    """random_id -> (reply number, chunk) of the replies the bot may send to one question."""
    found = {}
    for n in range(1, MAX_REPLIES + 1):
        for total in range(1, 4):
            for index in range(1, total + 1):
                found[random_id_for(chunk_key(f"reply:{event_id}:{n}", index, total))] = (n, index)
    return found


def answers(asked: list[Question], per_peer: dict[int, list[dict[str, Any]]]) -> tuple[dict[str, int], int]:
    """How many first replies each question got, and how many teacher messages answer none."""
    first: dict[str, int] = {q.event_id: 0 for q in asked}
    stray = 0
    for teacher in TEACHERS:
        mine = {rid: (q.event_id, nth) for q in asked if q.teacher == teacher
                for rid, nth in reply_ids(q.event_id).items()}
        for item in per_peer.get(teacher, []):
            owner = mine.get(int(item["random_id"]))
            if owner is None:
                stray += 1
            elif owner[1] == (1, 1):
                first[owner[0]] += 1
    return first, stray


async def test_bulk_send_and_questions_survive_faults_and_a_crash(
        settings: Settings, emulator: Emulator, control: EmulatorControl,
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """400 reminders and 30 questions under 10 % faults, long-poll failures and a crash: exactly once."""
    monkeypatch.chdir(tmp_path)
    emulator.seed_users([{"id": i, "first_name": "Имя", "last_name": f"Учитель{i}", "allows_messages": True}
                         for i in range(BULK_FIRST, BULK_FIRST + N_BULK)])
    app, task = await start_app(settings, emulator)
    for teacher in TEACHERS:
        await control.add_user(teacher, "Анна", f"Учительница{teacher}", allows_messages=True)
        await app.deps.people.add("school1", f"Учительница{teacher} Анна Петровна", Role.TEACHER,
                                  vk_id=teacher)
    await control.wait_listening()
    await control.faults(**FAULTS, longpoll_failed=[1, 2, 3, 1, 2, 3])
    asked: list[Question] = []
    bulk = asyncio.create_task(app.outbound.send_bulk(_bulk()))

    await _ask(control, range(0, 1), asked)
    # Half the reminders are out: the process dies (the send and the handlers are abandoned).
    await control.wait_sent(BULK_FIRST + N_BULK // 2, 1, timeout=60)
    await _ask(control, range(1, 2), asked)
    bulk.cancel()
    await app.close(drain=False)
    await asyncio.gather(task, return_exceptions=True)
    with contextlib.suppress(asyncio.CancelledError):
        await bulk
    delivered_at_crash = (await control.stats())["delivered"]

    # Questions asked while the bot is down wait in VK's long poll for the new process.
    await _ask(control, range(2, 3), asked)
    await control.faults(**FAULTS, longpoll_failed=[3, 1, 2])
    app2, task2 = await start_app(settings, emulator)
    try:
        last = BULK_FIRST + N_BULK - 1
        await control.wait_sent(last, 1, timeout=120)  # the new process resumes the outbox
        await wait_answered(control, asked)
        # Rows retried after a fault may still be on their way: let the sender finish them.
        await app2.outbound.resume()
        assert (await OutboxRepo(app2.db).counts()).get("pending", 0) == 0
        await app2.poller.drain()
    finally:
        await app2.close()
        await asyncio.gather(task2, return_exceptions=True)
    await control.faults()

    stats = await control.stats()
    assert 0 < delivered_at_crash < stats["delivered"]
    assert app.api.retries + app2.api.retries > 0  # the faults did fire
    per_peer = await by_peer(control)
    counts = [len(per_peer.get(vk_id, [])) for vk_id in range(BULK_FIRST, BULK_FIRST + N_BULK)]
    assert counts.count(0) == 0, "lost reminders"
    assert max(counts) == 1, "duplicated reminders"
    # Every question got its answer once; every message a teacher got answers one of them.
    first, stray = answers(asked, per_peer)
    assert len(first) == 3 * len(TEACHERS)
    assert sorted(set(first.values())) == [1], [q for q in asked if first[q.event_id] != 1]
    assert stray == 0
