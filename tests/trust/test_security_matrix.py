"""The security matrix: every admin action, tried by the wrong people, is refused and changes nothing.

Actors: a teacher of the school, a stranger, a deputy of another school, and the school's own deputy
writing in a group chat. Actions: imports, approvals, broadcasts, summaries with names, answers to
handed-off questions and knowledge-base edits, the chats report and marking a chat not needed,
the unreachable list. Each try must get a short Russian answer (a message or a snackbar), leave a
«denied» line in the audit log (or, for the summary, show no names) and leave every table that holds
the school's data exactly as it was.

forget and export-person exist only on the command line (the server's owner), never in the chat.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.config import Settings, parse_settings
from bot.domain.models import Role
from bot.messaging.events import Identity, Messenger
from tests.e2e.conftest import seed_people, start_app
from tests.e2e.harness import DEPUTY, DIRECTOR, TEACHERS, Chat
from tests.trust.support import Handled
from vk_emulator import Emulator
from vk_emulator.client import EmulatorControl

JSON = dict[str, Any]

TEACHER = TEACHERS[0][0]
STRANGER = 9001
OTHER_DEPUTY = 3002
CHAT_ID = 1
CHAT_PEER = 2_000_000_000 + CHAT_ID

# Tables that only record what happened (live counts: the chat's own activity) (the audit log, the inbox, the outbox, who can be reached,
# dialog steps a stranger's greeting starts): a refusal may write those, nothing else.
LOG_TABLES = {"live_counts", "audit_log", "inbox", "outbox", "vk_users", "reach", "runtime_state", "dialog_state",
              "conversation_state", "apscheduler_jobs", "job_runs", "sqlite_sequence"}

ROSTER = "ФИО;Должность;VK ID\nНовикова Вера Павловна;учитель;\n".encode()
STATS = ("ФИО;Роль;Сообщений в групповых чатах\nИванова Анна Петровна;Учитель;4\n"
         "Неизвестнова Зоя Павловна;Учитель;2\n").encode()


@dataclass(frozen=True)
class Action:
    """An admin action as someone could try it in the chat."""

    name: str
    text: str = ""
    payload: JSON | None = None
    press: JSON | None = None
    doc: tuple[str, bytes] | None = None
    names_only: bool = False  # allowed to answer, but never with the school's names
    own_school: bool = False  # a deputy may do it in their own school (never touching school1)


def actions(ids: dict[str, int]) -> list[Action]:
    """The admin actions, aimed at real objects of school1 (a forged press names their ids)."""
    return [
        Action("import_document", doc=("сотрудники.csv", ROSTER), own_school=True),
        Action("import_as", press={"cmd": "imp_as", "k": "stats"}, own_school=True),
        Action("import_pending", text="отложенные", own_school=True),
        Action("import_pick", press={"cmd": "imp_pick", "r": ids["pending"], "p": ids["teacher"]}),
        Action("approve_binding", press={"cmd": "bind_ok", "r": ids["request"]}),
        Action("reject_binding", press={"cmd": "bind_no", "r": ids["request"]}),
        Action("broadcast_start", text="рассылка", own_school=True),
        Action("broadcast_audience", press={"cmd": "bc_aud", "a": "all"}, own_school=True),
        Action("broadcast_send", press={"cmd": "bc_send", "b": ids["broadcast"]}),
        Action("broadcast_edit", press={"cmd": "bc_edit", "b": ids["broadcast"]}),
        Action("questions_list", text="вопросы сотрудников", own_school=True),
        Action("question_answer", press={"cmd": "faq_reply", "q": ids["question"]}),
        Action("kb_entry", press={"cmd": "faq_entry", "q": ids["question"], "p": 0}),
        Action("kb_topic", press={"cmd": "faq_topic", "q": ids["question"], "t": "login"}),
        Action("kb_new_topic", press={"cmd": "faq_new", "q": ids["question"]}),
        Action("migration_report", text="перенос чатов", own_school=True),
        Action("chat_not_needed", press={"cmd": "ch_nnk", "p": ids["teacher"], "k": "class:5А:pupils"}),
        Action("unreachable_list", text="кто не подписан", own_school=True),
        Action("summary_with_names", text="сводка", names_only=True),
    ]


ACTORS = ["teacher", "stranger", "other_deputy", "group_chat"]

SCHOOL_NAMES = [full for _, full, _ in TEACHERS]


def two_schools(tmp_path: Path, emulator: Emulator) -> Settings:
    return parse_settings(
        {
            "vk": {"token": "t", "group_id": 1, "api_url": emulator.api_url, "wait": 5},
            "schools": [
                {"id": "school1", "name": "МБОУ СОШ № 1", "director_vk_id": DIRECTOR,
                 "deputy_vk_ids": [DEPUTY]},
                {"id": "school2", "name": "МБОУ СОШ № 2", "deputy_vk_ids": [OTHER_DEPUTY]},
            ],
        },
        tmp_path,
    )


@pytest.fixture
async def app(tmp_path: Path, emulator: Emulator, control: EmulatorControl,
              monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[App]:
    """The bot serving two schools, with school1's roster and statistics and a group chat."""
    monkeypatch.chdir(tmp_path)
    bot_app, task = await start_app(two_schools(tmp_path, emulator), emulator)
    await seed_people(bot_app, control)
    await control.add_user(OTHER_DEPUTY, "Олег", "Другов", allows_messages=True)
    await control.add_user(STRANGER, "Никто", "Незнакомов", allows_messages=True)
    await control.add_chat(CHAT_ID, "Учителя", [DEPUTY, TEACHER, DIRECTOR], bot_is_admin=True,
                           bot_reads_all=True)
    await bot_app.deps.people.add("school2", "Другова Алла Олеговна", Role.TEACHER)
    await control.wait_listening()
    try:
        yield bot_app
    finally:
        await bot_app.close()
        await asyncio.gather(task, return_exceptions=True)


async def school1_objects(app: App) -> dict[str, int]:
    """A kept-aside import row, a binding request, a broadcast draft and a handed-off question of school1."""
    deps = app.deps
    deputy = next(p for p in await deps.people.by_vk_id(DEPUTY) if p.role is Role.DEPUTY)
    teacher = (await deps.people.by_vk_id(TEACHER))[0]
    await deps.imports.import_file(STATS, "статистика_14-20.11.2026.csv", org_id="school1",
                                   imported_by=Identity(messenger=Messenger.VK, external_id=DEPUTY), only_org="school1")
    pending = (await deps.imports.pending("school1"))[0]
    unbound = next(p for p in await deps.people.in_org("school1") if p.vk_id is None)
    request = await deps.identity.request(2004, unbound.full_name, unbound)
    draft = await deps.broadcasts.create(deputy, "all", None, "Проверьте журнал")
    asked = await deps.faq.answer(teacher, "какая завтра погода в городе", messenger="vk")
    assert asked.question_id is not None
    await deps.faq.hand_off(teacher, asked.question_id)
    return {"pending": pending.id, "request": request.id, "broadcast": draft.broadcast.id,
            "question": asked.question_id, "teacher": teacher.id}


async def snapshot(app: App) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table that holds the schools' data."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    async with app.db.read() as conn:
        async with conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'") as cur:
            tables = [str(r[0]) for r in await cur.fetchall()]
        for table in sorted(set(tables) - LOG_TABLES):
            async with conn.execute(f'SELECT * FROM "{table}" ORDER BY 1') as cur:  # noqa: S608 - names from sqlite_master
                found[table] = [tuple(r) for r in await cur.fetchall()]
    return found


async def denied_count(app: App, vk_id: int) -> int:
    async with app.db.read() as conn, conn.execute(
        "SELECT COUNT(*) FROM audit_log WHERE actor_vk_id = ? AND outcome = 'denied'", (vk_id,),
    ) as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def try_action(chat: Chat, control: EmulatorControl, handled: Handled, actor: str,
                     action: Action) -> tuple[int, str, str]:
    """Perform `action` as `actor`: (the acting VK id, everything the bot answered, what others could see)."""
    vk_id = {"teacher": TEACHER, "stranger": STRANGER, "other_deputy": OTHER_DEPUTY,
             "group_chat": DEPUTY}[actor]
    peer = CHAT_PEER if actor == "group_chat" else vk_id
    after_private = await chat.last_seq(vk_id)
    after_chat = await chat.last_seq(CHAT_PEER)
    snack_before = len((await control.snackbars(vk_id))["items"])
    if action.press is not None:
        # A forged callback press on the last message the bot sent to that peer.
        items = (await control.sent(peer))["items"]
        if not items:
            items = await chat.say(vk_id, "меню")
        sent = await control.press(vk_id, int(items[-1]["conversation_message_id"]), action.press, peer_id=peer)
    else:
        text = action.text
        if actor == "group_chat":
            text = f"[club1|@bot] {text}".strip()
        sent = await control.say(vk_id, text, peer_id=peer if actor == "group_chat" else None,
                                 payload=action.payload, docs=[action.doc] if action.doc else None)
    await handled.wait(str(sent.get("envelope_event_id") or sent["event_id"]))
    private = (await control.sent(vk_id, after=after_private))["items"]
    in_chat = (await control.sent(CHAT_PEER, after=after_chat))["items"]
    snacks = (await control.snackbars(vk_id))["items"][snack_before:]
    answered = [str(m.get("text", "")) for m in private + in_chat]
    answered += [str((s.get("event_data") or {}).get("text", "")) for s in snacks]
    public = [str(m.get("text", "")) for m in in_chat] if actor == "group_chat" else answered
    return vk_id, "\n".join(answered), "\n".join(public)


@pytest.mark.parametrize("actor", ACTORS)
async def test_admin_actions_are_refused(app: App, control: EmulatorControl, actor: str) -> None:
    """Every admin action by this actor: a Russian answer, an audit line, and no data changed."""
    chat = Chat(control)
    handled = Handled(app)
    ids = await school1_objects(app)
    if actor == "group_chat":
        # A bot message in the chat to press forged buttons on.
        await chat.say(DEPUTY, "[club1|@bot] рассылка", peer_id=CHAT_PEER)
    elif actor != "stranger":
        await chat.say({"teacher": TEACHER, "other_deputy": OTHER_DEPUTY}[actor], "меню")
    failures: list[str] = []
    for action in actions(ids):
        before = await snapshot(app)
        vk_id = {"teacher": TEACHER, "stranger": STRANGER, "other_deputy": OTHER_DEPUTY,
                 "group_chat": DEPUTY}[actor]
        denied_before = await denied_count(app, vk_id)
        acted_by, answer, public = await try_action(chat, control, handled, actor, action)
        after = await snapshot(app)
        if actor == "other_deputy" and (action.own_school or action.names_only):
            # Their right in their own school: only school1's names must not show.
            if any(n.split()[0] in public for n in SCHOOL_NAMES):
                failures.append(f"{action.name}: school1 names shown to another school's deputy")
            continue
        if after != before:
            changed = [t for t in after if after.get(t) != before.get(t)]
            failures.append(f"{action.name}: changed {changed}")
        leaked = [n for n in SCHOOL_NAMES if n.split()[0] in public] if actor != "teacher" else []
        if action.names_only:
            if leaked:
                failures.append(f"{action.name}: names shown {leaked}")
            continue
        if leaked:
            failures.append(f"{action.name}: names shown {leaked}")
        if not re.search("[а-яА-ЯёЁ]", answer):
            failures.append(f"{action.name}: no Russian answer ({answer!r})")
        # A stranger's text starts identification instead (nothing admin is reachable before it).
        stranger_text = actor == "stranger" and action.press is None
        if not stranger_text and await denied_count(app, acted_by) <= denied_before:
            failures.append(f"{action.name}: not audited as denied")
    assert not failures, "\n".join(failures)
