"""Privacy at first contact, through the VK emulator: operator and policy in the notice, «Мои данные»,
and a consent that must be accepted before anything else is processed."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.app import App
from bot.config import Settings, parse_settings
from bot.services.privacy import data_notice, privacy_terms
from tests.e2e.harness import DEPUTY, DIRECTOR, UNBOUND, Chat, button, buttons, step
from tests.reach.test_chat import signal_after
from vk_emulator import Emulator
from vk_emulator.client import EmulatorControl

TEACHER = 2001
OPERATOR = "МБОУ СОШ № 1 г. Примерска"
POLICY = "https://school1.example.ru/privacy"


def _settings(tmp_path: Path, emulator: Emulator, consent: bool) -> Settings:
    return parse_settings(
        {
            "vk": {"token": "t", "group_id": 1, "api_url": emulator.api_url, "wait": 5},
            "privacy": {"operator": "Управление образования", "consent_required": consent},
            "schools": [{"id": "school1", "name": "МБОУ СОШ № 1", "director_vk_id": DIRECTOR,
                         "deputy_vk_ids": [DEPUTY], "registration_deadline": "2026-12-01",
                         "privacy": {"operator": OPERATOR, "policy_url": POLICY}}],
        },
        tmp_path,
    )


@pytest.fixture
def consent_required() -> bool:
    """Tests that need the consent parametrize this to True."""
    return False


@pytest.fixture
def e2e_settings(tmp_path: Path, emulator: Emulator, consent_required: bool) -> Settings:
    """The test school with its own operator and policy; consent as the test asks."""
    return _settings(tmp_path, emulator, consent=consent_required)


def test_notice_names_the_operator_and_the_policy_per_school(tmp_path: Path) -> None:
    """A school's own operator and policy win; without them the deployment's, else the school's name."""
    school = {"id": "s1", "name": "Школа № 7"}
    plain = parse_settings({"schools": [school]}, tmp_path)
    assert "Оператор персональных данных — Школа № 7." in data_notice(plain, "s1")
    assert "Политика" not in data_notice(plain, "s1")
    district = parse_settings({"privacy": {"operator": "Управление", "policy_url": "https://u.ru/p"},
                               "schools": [school]}, tmp_path)
    notice = data_notice(district, "s1")
    assert "Оператор персональных данных — Управление." in notice and "https://u.ru/p" in notice
    own = parse_settings({"privacy": {"operator": "Управление"},
                          "schools": [{**school, "privacy": {"operator": "Школа сама"}}]}, tmp_path)
    assert "Оператор персональных данных — Школа сама." in data_notice(own, "s1")


def test_consent_text_is_data_and_its_version_follows_the_text(tmp_path: Path) -> None:
    """The built-in text names the operator; an own file replaces it and changes the version."""
    builtin = privacy_terms(parse_settings({"privacy": {"operator": "Школа 5"}}, tmp_path), None)
    assert builtin.consent_text.startswith("Согласие на обработку персональных данных")
    assert "оператору — Школа 5" in builtin.consent_text
    (tmp_path / "consent.txt").write_text("Согласен на обработку данных оператором {operator}.", "utf-8")
    own = privacy_terms(parse_settings({"privacy": {"operator": "Школа 5", "consent_file": "consent.txt"}},
                                       tmp_path), None)
    assert own.consent_text == "Согласен на обработку данных оператором Школа 5."
    assert own.version != builtin.version and len(own.version) == 16


async def test_identified_person_gets_operator_policy_and_my_data(chat: Chat, bot_app: App) -> None:
    """After the deputy confirms a newcomer, the notice names the school's operator and policy, and
    the menu has «Мои данные»."""
    await chat.say(UNBOUND[0], "Здравствуйте")
    pick = await chat.say(UNBOUND[0], UNBOUND[1])
    request = await chat.press(UNBOUND[0], pick[-1], button(pick[-1], "Сидорова")["payload"],
                               reply_to=DEPUTY)
    confirmed = await chat.press(DEPUTY, request[-1], button(request[-1], "Подтвердить")["payload"],
                                 reply_to=UNBOUND[0])
    text = confirmed[-1]["text"]
    assert f"Оператор персональных данных — {OPERATOR}." in text and POLICY in text
    assert any(b["payload"] == {"cmd": "my_data"} for b in buttons(confirmed[-1]))


async def test_my_data_lists_what_is_kept_and_sends_the_export(chat: Chat, bot_app: App,
                                                                emulator: Emulator) -> None:
    """«Мои данные» says what is kept and sends the person's own export as a JSON file, audited."""
    [reply] = await chat.say(TEACHER, payload={"cmd": "my_data"})
    assert reply["text"].startswith("Что бот хранит о вас сейчас:")
    assert "запись в списке сотрудников" in reply["text"] and "классы: 1" in reply["text"]
    [doc] = [a for a in reply["attachments"] if a["type"] == "doc"]
    assert doc["title"] == "мои-данные.json"
    [stored] = [d for d in emulator.state.docs.values() if d.title == "мои-данные.json"]
    export = json.loads(stored.data)
    assert export["tables"]["people"][0]["full_name"] == "Иванова Анна Петровна"
    assert export["tables"]["people"][0]["vk_id"] == TEACHER
    assert [r["class_name"] for r in export["tables"]["person_classes"]] == ["5А"]
    [entry] = await bot_app.deps.audit.recent(action="export_person")
    assert entry.target == str(export["person_id"])


@pytest.mark.parametrize("consent_required", [True])
async def test_nothing_is_processed_before_consent(chat: Chat, bot_app: App, consent_required: bool) -> None:
    """With consent required, a known person's messages and buttons get only the consent text; after
    «Согласен(на)» the acceptance is stored with its time and text version, and the bot works."""
    [prompt] = await chat.say(TEACHER, "мой статус")
    assert prompt["text"].startswith("Согласие на обработку персональных данных")
    assert OPERATOR in prompt["text"] and POLICY in prompt["text"]
    [again] = await chat.say(TEACHER, payload={"cmd": "my_data"})
    assert again["text"] == prompt["text"] and not again.get("attachments")
    consent = button(prompt, "Согласен")
    version = privacy_terms(bot_app.deps.settings, "school1").version
    assert consent["payload"] == {"cmd": "consent_ok", "v": version}
    [thanks] = await chat.press(TEACHER, prompt, consent["payload"])
    assert thanks["text"].startswith("Спасибо, согласие записано.")
    async with bot_app.db.read() as conn, conn.execute(
        "SELECT vk_id, org_id, text_version, accepted_at FROM privacy_consents") as cur:
        rows = [tuple(r) for r in await cur.fetchall()]
    assert [(r[0], r[1], r[2]) for r in rows] == [(TEACHER, "school1", version)]
    assert rows[0][3].startswith("20")
    [status] = await chat.say(TEACHER, "мой статус")
    assert not status["text"].startswith("Согласие")


@pytest.mark.parametrize("consent_required", [True])
async def test_a_stranger_gives_consent_before_identification(chat: Chat, bot_app: App,
                                                              consent_required: bool) -> None:
    """A newcomer's name is not even looked up before the consent; after it, identification starts."""
    [prompt] = await chat.say(UNBOUND[0], UNBOUND[1])
    assert prompt["text"].startswith("Согласие на обработку персональных данных")
    assert await bot_app.deps.identity.pending(UNBOUND[0]) is None
    assert await step(bot_app.deps, UNBOUND[0], "identify") is None  # the name was not taken in
    replies = await chat.press(UNBOUND[0], prompt, button(prompt, "Согласен")["payload"], count=2)
    assert replies[0]["text"] == "Спасибо, согласие записано."
    assert "фамилию, имя и отчество" in replies[1]["text"]
    pick = await chat.say(UNBOUND[0], UNBOUND[1])
    assert any("Сидорова" in (b["label"] or "") for b in buttons(pick[-1]))


@pytest.mark.parametrize("consent_required", [True])
async def test_a_forged_or_stale_consent_button_records_nothing(chat: Chat, bot_app: App,
                                                                consent_required: bool) -> None:
    """A consent button with another version shows the current text again and stores nothing."""
    [prompt] = await chat.say(TEACHER, "привет")
    [again] = await chat.press(TEACHER, prompt, {"cmd": "consent_ok", "v": "0" * 16})
    assert "Текст согласия изменился" in again["text"]
    async with bot_app.db.read() as conn, conn.execute("SELECT count(*) FROM privacy_consents") as cur:
        assert (await cur.fetchone())[0] == 0


@pytest.mark.parametrize("consent_required", [True])
async def test_chat_messages_of_people_without_consent_are_not_counted(
    bot_app: App, control: EmulatorControl, consent_required: bool
) -> None:
    """In a group chat the bot counts the messages of a teacher who consented, not of one who did not."""
    version = privacy_terms(bot_app.deps.settings, "school1").version
    assert await bot_app.deps.privacy.accept(2003, "school1", version)
    chat = await control.add_chat(8, "7Б — родители", [TEACHER, 2003], bot_reads_all=True)
    peer = int(chat["peer_id"])
    checked = signal_after(bot_app.deps.privacy, "needs_consent", calls=2)
    counted = signal_after(bot_app.deps.live_counts, "note_chat_message", calls=1)
    await control.say(TEACHER, "без согласия", peer_id=peer)
    await control.say(2003, "с согласием", peer_id=peer)
    await asyncio.wait_for(asyncio.gather(checked.wait(), counted.wait()), 10)
    [smirnova] = await bot_app.deps.people.by_vk_id(2003)
    async with bot_app.db.read() as conn, conn.execute("SELECT person_id, messages FROM live_counts") as cur:
        rows = [tuple(r) for r in await cur.fetchall()]
    assert rows == [(smirnova.id, 1)]
