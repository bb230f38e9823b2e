"""Property tests of every typing step of every dialog: random text never breaks the bot.

Each example puts a person at one step (identification, the chat confirmation's link and
count, the deputy's reply to a handed-off question, the broadcast's class and text), sends
random text, and checks: no handler error, a short answer in Russian, and where the step
refuses the text, nothing in the school's data changed and the person is still at that step.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.app import App
from bot.domain import chats as chat_rules
from bot.domain.models import Person
from bot.messaging.events import ChatRef, Identity, Messenger
from handlers.identify import name_key
from tests.e2e.harness import DEPUTY, TEACHERS, step
from tests.trust.support import Errors, Handled, captured_errors, running_bot, school_data
from vk_emulator.client import EmulatorControl

pytestmark = pytest.mark.asyncio(loop_scope="module")

TEACHER = TEACHERS[0][0]  # class teacher of 5А
STRANGER = 9002
CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
LOG_TABLES = re.compile(r"^(audit_log|inbox|outbox|vk_users|runtime_state|dialog_state|conversation_state|live_counts|job_runs|"
                        r"sqlite_.*|faq_questions)$")

TEXT = st.one_of(
    st.text(max_size=80),
    st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Nd", "Zs", "Po", "So")), max_size=40),
    st.sampled_from(["", " ", "отмена", "да", "0", "-5", "999999999999999999999", "https://", "vk.me/join/",
                     "http://example.com/join/abc", "javascript:alert(1)", "=1+1", "@all", "[club1|@bot]",
                     "🙂" * 50, "а" * 5000, "5А", "11Я", "'; DROP TABLE people; --"]),
)


@dataclass
class Bot:
    app: App
    control: EmulatorControl
    handled: Handled
    errors: Errors


@pytest.fixture(scope="module")
def errors() -> Iterator[Errors]:
    with captured_errors() as handler:
        yield handler


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bot(tmp_path_factory: pytest.TempPathFactory, errors: Errors) -> AsyncIterator[Bot]:
    """One emulator and one bot for the module."""
    async with running_bot(tmp_path_factory.mktemp("dialogs"), STRANGER) as (app, control):
        yield Bot(app, control, Handled(app), errors)


async def person(app: App, vk_id: int) -> Person:
    return (await app.deps.people.by_vk_id(vk_id))[0]


async def say(bot: Bot, vk_id: int, text: str = "", payload: dict[str, Any] | None = None) -> list[str]:
    """Write as `vk_id`, wait until the bot has handled it; the texts it sent to anyone since."""
    after = (await bot.control.sent(None))["items"]
    seq = int(after[-1]["seq"]) if after else 0
    sent = await bot.control.say(vk_id, text, payload=payload)
    await bot.handled.wait(str(sent["event_id"]))
    return [str(i["text"]) for i in (await bot.control.sent(None, after=seq))["items"]]


async def press(bot: Bot, vk_id: int, payload: dict[str, Any]) -> None:
    items = (await bot.control.sent(vk_id))["items"]
    sent = await bot.control.press(vk_id, int(items[-1]["conversation_message_id"]), payload, peer_id=vk_id)
    await bot.handled.wait(str(sent.get("envelope_event_id") or sent["event_id"]))


# --- putting someone at a step ------------------------------------------------------------

async def at_identification(bot: Bot) -> int:
    account = Identity(messenger=Messenger.VK, external_id=STRANGER)
    await bot.app.deps.dialogs.delete(name_key(bot.app.deps.group_id, ChatRef.dialog_with(account), account))
    await say(bot, STRANGER, "здравствуйте")
    return STRANGER


async def at_chat_link(bot: Bot) -> int:
    chats = bot.app.deps.chats
    teacher = await person(bot.app, TEACHER)
    await chats.cancel(teacher)
    await chats.start(teacher, "class:5А:parents")
    await chats.choose_messenger(teacher, "whatsapp")
    return TEACHER


async def at_chat_count(bot: Bot) -> int:
    await at_chat_link(bot)
    await bot.app.deps.chats.typed(await person(bot.app, TEACHER), "https://vk.me/join/AbCdEf123")
    return TEACHER


async def at_faq_reply(bot: Bot) -> int:
    await say(bot, TEACHERS[1][0], "во сколько педсовет в среду?")
    items = (await bot.control.sent(TEACHERS[1][0]))["items"]
    handoff = next(b for row in (items[-1].get("keyboard") or {}).get("buttons", []) for b in row
                   if "Передать" in b["action"]["label"])
    payload = handoff["action"]["payload"]
    await press(bot, TEACHERS[1][0], payload if isinstance(payload, dict) else json.loads(payload))
    items = (await bot.control.sent(DEPUTY))["items"]
    reply = next(b for row in (items[-1].get("keyboard") or {}).get("buttons", []) for b in row
                 if b["action"]["label"].startswith("Ответить"))
    raw = reply["action"]["payload"]
    await press(bot, DEPUTY, raw if isinstance(raw, dict) else json.loads(raw))
    return DEPUTY


async def at_broadcast(kind: str) -> Callable[[Bot], Awaitable[int]]:
    async def setup(bot: Bot) -> int:
        await say(bot, DEPUTY, "отмена")
        await say(bot, DEPUTY, "рассылка")
        await press(bot, DEPUTY, {"cmd": "bc_aud", "a": kind})
        return DEPUTY
    return setup


async def check_step(bot: Bot, setup: Callable[[Bot], Awaitable[int]], text: str,
                     refused: Callable[[str], bool]) -> list[str]:
    """Random `text` at the step `setup` leads to: an answer in Russian, no error; a refusal changes nothing."""
    vk_id = await setup(bot)
    state_before = await step(bot.app.deps, vk_id, "chats")
    before = await school_data(bot.app, LOG_TABLES)
    errors_before = len(bot.errors.records)
    answers = await say(bot, vk_id, text)
    assert bot.errors.records[errors_before:] == [], [r.getMessage() for r in bot.errors.records]
    assert answers, f"no answer to {text!r}"
    assert any(CYRILLIC.search(a) for a in answers), answers
    assert all(len(a) <= 4096 for a in answers)
    if refused(text):
        assert await school_data(bot.app, LOG_TABLES) == before
        assert await step(bot.app.deps, vk_id, "chats") == state_before
    return answers


EXAMPLES = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))


@EXAMPLES
@given(text=TEXT)
@example(text="")
async def test_identification_name_step(bot: Bot, text: str) -> None:
    """A stranger's name step: any text gets a Russian answer and no binding request out of nothing."""
    await check_step(bot, at_identification, text, refused=lambda t: not CYRILLIC.search(t))


@EXAMPLES
@given(text=TEXT)
@example(text="https://example.com/join/abc")
async def test_chat_link_step(bot: Bot, text: str) -> None:
    """The new chat's link: anything that is not a chat link is refused with a hint and changes nothing."""
    await check_step(bot, at_chat_link, text,
                     refused=lambda t: t.strip().lower() != "отмена" and not chat_rules.check_link(t).ok)


@EXAMPLES
@given(text=TEXT)
async def test_chat_count_step(bot: Bot, text: str) -> None:
    """About how many people: anything that is not a number gets a Russian hint."""
    await check_step(bot, at_chat_count, text,
                     refused=lambda t: t.strip().lower() != "отмена" and chat_rules.parse_members(t) is None)


@EXAMPLES
@given(text=TEXT.filter(lambda t: t.strip().lower() != "отмена"))
async def test_deputy_reply_step(bot: Bot, text: str) -> None:
    """The deputy's reply to a handed-off question: delivered or explained, never an error."""
    await check_step(bot, at_faq_reply, text, refused=lambda t: not t.strip())


@EXAMPLES
@given(text=TEXT)
async def test_broadcast_text_step(bot: Bot, text: str) -> None:
    """The broadcast's text: a preview or an explanation in Russian."""
    await check_step(bot, await at_broadcast("all"), text, refused=lambda t: not t.strip())


@EXAMPLES
@given(text=TEXT)
async def test_broadcast_class_step(bot: Bot, text: str) -> None:
    """The class for «Классному руководителю»: unknown classes are explained, nothing is created."""
    await check_step(bot, await at_broadcast("class"), text,
                     refused=lambda t: re.sub(r"\W", "", t).upper() not in {"5А"})


async def test_the_steps_are_really_reached(bot: Bot) -> None:
    """The setups put people where the properties claim: a bad link is refused, a reply is delivered."""
    link = await check_step(bot, at_chat_link, "просто текст", refused=lambda _: True)
    assert any("ссылк" in a.lower() for a in link)
    count = await check_step(bot, at_chat_count, "много-много", refused=lambda _: True)
    assert any("числ" in a.lower() for a in count)
    reply = await check_step(bot, at_faq_reply, "Педсовет в 15:00.", refused=lambda _: False)
    assert any("Педсовет в 15:00." in a for a in reply)
    preview = await check_step(bot, await at_broadcast("all"), "Проверьте журнал.", refused=lambda _: False)
    assert any(a.startswith("Получателей") for a in preview)
