"""Property tests against the running bot: random button payloads and random texts, from a
teacher, a stranger and a deputy — never a crash, always a short Russian answer, and the
school's data unchanged."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.app import App
from bot.messaging import actions  # noqa: F401  (registers every payload model)
from bot.messaging.payloads import registered
from bot.vk.rules import chunk_key, random_id_for
from tests.e2e.harness import DEPUTY, TEACHERS
from tests.trust.support import Errors, captured_errors, running_bot, school_data
from vk_emulator.client import EmulatorControl

pytestmark = pytest.mark.asyncio(loop_scope="module")

TEACHER = TEACHERS[0][0]
STRANGER = 9001
ACTORS = [TEACHER, STRANGER, DEPUTY]
# Every command a button of any feature carries: the typed payload models.
COMMANDS = sorted(registered())
# What only records that something happened may change; the school's data may not.
LOG_TABLES = re.compile(r"^(audit.*|inbox|outbox.*|kv|dialog_state.*|conversation_state|states?|sqlite_.*|runtime.*|"
                        r"seen_users|vk_users|users_seen|identity_seen|faq_questions?|faq_handoffs?|chat_dialogs|live_counts|"
                        r"job_runs)$")
CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
LETTER = re.compile(r"[^\W\d_]")
MAX_TEXT = 4096

SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.sampled_from([0, 1, -1, 2**31, 2**63]),
                   st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20),
                   st.sampled_from(["", "1", "x", "null", "ё", "🙂", "' OR 1=1 --", "%s", "{}"]))
VALUE = st.recursive(SCALAR, lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=6)
KEYS = st.sampled_from(["cmd", "id", "p", "r", "q", "t", "a", "page", "n", "org", "x", "command", "step"])
PAYLOAD = st.one_of(
    st.builds(lambda cmd, extra: {**extra, "cmd": cmd}, st.sampled_from(COMMANDS),
              st.dictionaries(KEYS, VALUE, max_size=3)),
    st.dictionaries(st.one_of(KEYS, st.text(max_size=8)), VALUE, max_size=4),
    st.builds(lambda cmd: {"cmd": cmd}, VALUE),
)
TEXT = st.one_of(st.text(max_size=60), st.sampled_from(["", "отмена", "да", "нет", "1", "0", "/start", "меню",
                                                         "Иванова Анна Петровна", "🙂" * 30, "a" * 600]))


@dataclass
class Bot:
    app: App
    control: EmulatorControl
    errors: Errors
    last_message: dict[int, dict[str, Any]]


@pytest.fixture(scope="module")
def errors() -> Iterator[Errors]:
    with captured_errors() as handler:
        yield handler


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bot(tmp_path_factory: pytest.TempPathFactory, errors: Errors) -> AsyncIterator[Bot]:
    """One emulator and one bot for the whole module (not one per example)."""
    async with running_bot(tmp_path_factory.mktemp("payloads"), STRANGER) as (app, control):
        last: dict[int, dict[str, Any]] = {}
        for actor in ACTORS:
            await control.say(actor, "меню")
            last[actor] = (await control.wait_sent(actor, 1))[-1]
        yield Bot(app, control, errors, last)


def _first_reply(event_id: str) -> int:
    return random_id_for(chunk_key(f"reply:{event_id}:1", 1, 1))


async def act(bot: Bot, actor: int, payload: dict[str, Any] | None, text: str, press: bool) -> list[str]:
    """Do one thing as `actor`, then wait for it to be handled; returns every text they got.

    The bot handles one person's events in order, so the answer to a plain «мой статус»
    sent right after marks the end of the answer to the action itself.
    """
    control = bot.control
    items = (await control.sent(actor))["items"]
    after = int(items[-1]["seq"]) if items else 0
    snack_before = len((await control.snackbars(actor))["items"])
    if press:
        message = bot.last_message[actor]
        await control.press(actor, int(message["conversation_message_id"]), payload or {}, peer_id=actor)
    else:
        await control.say(actor, text, payload=payload)
    barrier = _first_reply(str((await control.say(actor, "мой статус"))["event_id"]))
    got: list[dict[str, Any]] = []
    seen = after
    while not any(int(i["random_id"]) == barrier for i in got):
        more = await control.wait_sent(actor, 1, after=seen, timeout=30)
        got.extend(more)
        seen = int(more[-1]["seq"])
    texts = [str(i["text"]) for i in got if int(i["random_id"]) != barrier]
    bot.last_message[actor] = got[-1]
    for snack in (await control.snackbars(actor))["items"][snack_before:]:
        data = snack.get("event_data") or {}
        if data.get("text"):
            texts.append(str(data["text"]))
    return texts


def assert_russian(text: str) -> None:
    letters = LETTER.findall(text)
    assert text.strip(), "an empty answer"
    assert len(text) <= MAX_TEXT, text[:200]
    assert sum(1 for ch in letters if CYRILLIC.match(ch)) >= len(letters) / 2, text


async def _idle(app: App) -> None:
    """Nobody in the middle of a dialog: a dialog step's valid input rightly changes the person's own data
    (test_property_dialogs.py checks every typing step with what it may accept)."""
    async with app.db.transaction() as conn:
        await conn.execute("DELETE FROM conversation_state")
        await conn.execute("DELETE FROM conversation_state")


async def _check(bot: Bot, actor: int, payload: dict[str, Any] | None, text: str, press: bool) -> None:
    await _idle(bot.app)
    before = await school_data(bot.app, LOG_TABLES)
    errors_before = len(bot.errors.records)
    texts = await act(bot, actor, payload, text, press)
    assert bot.errors.records[errors_before:] == [], [r.getMessage() for r in bot.errors.records]
    assert texts, f"no answer to {payload!r} / {text!r} from {actor}"
    for answer in texts:
        assert_russian(answer)
    assert await school_data(bot.app, LOG_TABLES) == before


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(actor=st.sampled_from(ACTORS), payload=PAYLOAD)
@example(actor=DEPUTY, payload={"cmd": "bind_ok", "r": 2**70})
@example(actor=DEPUTY, payload={"cmd": "bind_no", "r": -(2**63) - 1})
@example(actor=STRANGER, payload={"cmd": "id_pick", "p": 2**64})
@example(actor=DEPUTY, payload={"cmd": "imp_pick", "id": "x"})
@example(actor=TEACHER, payload={"cmd": "faq_reply", "q": 10**30})
@example(actor=DEPUTY, payload={"cmd": "bc_send", "id": [1, 2]})
async def test_random_callback_payloads(bot: Bot, actor: int, payload: dict[str, Any]) -> None:
    """A callback button with a forged payload: a snackbar or a message in Russian, no crash, no change."""
    await _check(bot, actor, payload, "", press=True)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(actor=st.sampled_from(ACTORS), payload=st.one_of(st.none(), PAYLOAD), text=TEXT)
@example(actor=DEPUTY, payload={"cmd": "upload", "id": 2**70}, text="")
@example(actor=STRANGER, payload={"cmd": "my_status"}, text="")
@example(actor=TEACHER, payload={"cmd": "broadcast"}, text="всем")
async def test_random_message_payloads_and_texts(bot: Bot, actor: int, payload: dict[str, Any] | None,
                                                 text: str) -> None:
    """A text button with a forged payload, or any text at any dialog step: an answer, no crash, no change."""
    await _check(bot, actor, payload, text, press=False)


async def test_the_commands_were_found(bot: Bot) -> None:
    """The payload strategy knows the commands of the handlers (the property tests are not empty)."""
    assert {"my_status", "bind_ok", "id_pick"} <= set(COMMANDS)
    assert json.dumps(COMMANDS)


async def test_an_unknown_callback_gets_a_snackbar(bot: Bot) -> None:
    """A callback button no feature knows: «Эта кнопка больше не действует», not a silent spinner."""
    texts = await act(bot, TEACHER, {"cmd": "no_such_button", "id": 1}, "", press=True)
    assert texts == ["Эта кнопка больше не действует"]
