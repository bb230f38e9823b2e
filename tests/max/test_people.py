"""People in MAX end to end (the real bot polling the MAX emulator): identification with the deputy's
approval, personal deep links issued in the chat and opened with one tap, their refusals."""

from __future__ import annotations

import io
import json

import aiohttp
import openpyxl

from bot.app import App
from bot.domain.invites import REFUSALS, InviteOutcome
from handlers.identify import ASK_NAME
from max_emulator.client import MaxEmulatorControl
from tests.e2e.harness import UNBOUND
from tests.max.conftest import DEPUTY, STRANGER, TEACHERS


def _button(message: dict[str, object], label: str) -> str:
    rows = message["keyboard"]
    assert isinstance(rows, list)
    return next(b["payload"] for row in rows for b in row if label in b["text"])


async def test_a_stranger_is_identified_and_the_deputy_approves_in_max(
        max_app: App, max_ctl: MaxEmulatorControl) -> None:
    """A stranger presses Start and is asked for the name, confirms the match; the deputy approves in MAX;
    the MAX id is bound."""
    deputy_chat = await max_ctl.start(DEPUTY)
    chat = await max_ctl.start(STRANGER)
    [ask] = await max_ctl.wait_sent(chat, 1)
    assert ask["text"] == ASK_NAME
    await max_ctl.say(STRANGER, UNBOUND[1])
    [offer] = await max_ctl.wait_sent(chat, 1, after=ask["seq"])
    assert offer["text"].startswith("Это вы?")
    await max_ctl.say(STRANGER, "да")
    [waiting] = await max_ctl.wait_sent(chat, 1, after=offer["seq"])
    assert "заместителя директора" in waiting["text"]
    [request] = await max_ctl.wait_sent(deputy_chat, 1)
    assert f"пользователь MAX (ID {STRANGER})" in request["text"] and UNBOUND[1] in request["text"]
    await max_ctl.press(DEPUTY, request["mid"], _button(request, "Подтвердить"))
    [welcome] = await max_ctl.wait_sent(chat, 1, after=waiting["seq"])
    assert welcome["text"].startswith("Мария Ивановна, здравствуйте!") and welcome["keyboard"]
    # The personal-data notice names the account the person has here.
    assert "ваш id в MAX," in welcome["text"] and "ВКонтакте" not in welcome["text"]
    [person] = await max_app.deps.people.by_max_id(STRANGER)
    assert person.full_name == UNBOUND[1] and person.vk_id is None
    entries = await max_app.deps.audit.recent(action="approve_binding")
    [decision] = [e for e in entries if "max_id" in json.loads(e.details)]
    assert decision.actor_vk_id is None and json.loads(decision.details)["max_id"] == STRANGER


async def test_a_personal_link_identifies_with_one_tap_once(max_app: App, max_ctl: MaxEmulatorControl) -> None:
    """«ссылка MAX <ФИО>» gives a max.ru link with a QR code; Start with it binds the account; the same
    link from another account is refused politely, saying what to do."""
    deputy_chat = await max_ctl.start(DEPUTY)
    await max_ctl.say(DEPUTY, f"ссылка MAX {UNBOUND[1]}")
    sent, qr = await max_ctl.wait_sent(deputy_chat, 2)
    assert sent["text"].startswith(f"Персональная ссылка для {UNBOUND[1]}:")
    assert [a["type"] for a in qr["attachments"]] == ["image"]
    url = next(w for w in sent["text"].split() if w.startswith("https://max.ru/"))
    bot, token = url.removeprefix("https://max.ru/").split("?start=")
    assert bot and 16 <= len(token) <= 128
    chat = await max_ctl.start(STRANGER, payload=token)
    [welcome] = await max_ctl.wait_sent(chat, 1)
    assert "Я узнал вас по персональной ссылке" in welcome["text"] and UNBOUND[1] in welcome["text"]
    assert "ваш id в MAX," in welcome["text"] and "ВКонтакте" not in welcome["text"]
    [person] = await max_app.deps.people.by_max_id(STRANGER)
    assert person.full_name == UNBOUND[1]
    other = TEACHERS[0][0]
    other_chat = await max_ctl.start(other, payload=token)
    [refused] = await max_ctl.wait_sent(other_chat, 1)
    assert refused["text"] == REFUSALS[InviteOutcome.USED]
    assert [p.full_name for p in await max_app.deps.people.by_max_id(other)] == [TEACHERS[0][1]]


async def test_a_plain_start_or_an_unknown_link_asks_a_stranger_for_the_name(
        max_app: App, max_ctl: MaxEmulatorControl) -> None:
    """Start without a link asks for the name; a link the bot never issued is refused with what to do."""
    chat = await max_ctl.start(STRANGER)
    [ask] = await max_ctl.wait_sent(chat, 1)
    assert ask["text"] == ASK_NAME
    await max_ctl.stop(STRANGER)
    await max_ctl.start(STRANGER, payload="not-a-real-token_123")
    [refused] = await max_ctl.wait_sent(chat, 1, after=ask["seq"])
    assert refused["text"] == REFUSALS[InviteOutcome.UNKNOWN] and "фамилию, имя и отчество" in refused["text"]


async def test_the_school_list_comes_as_xlsx_and_pdf(max_app: App, max_ctl: MaxEmulatorControl) -> None:
    """«ссылки MAX»: one link per person not yet in MAX, as an xlsx table with QR codes and PDF cards."""
    deputy_chat = await max_ctl.start(DEPUTY)
    await max_ctl.say(DEPUTY, "ссылки MAX")
    items = await max_ctl.wait_sent(deputy_chat, 3)
    assert items[0]["text"].startswith("Готово: 1 персональная ссылка")
    files = {a["filename"]: a["url"] for item in items[1:] for a in item["attachments"]}
    assert sorted(files) == ["max-links.pdf", "max-links.xlsx"]
    async with aiohttp.ClientSession() as session, session.get(files["max-links.xlsx"]) as response:
        data = await response.read()
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    names = [row[0] for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert names == [UNBOUND[1]]
    assert all(str(row[3]).startswith("https://max.ru/") for row in sheet.iter_rows(min_row=3, values_only=True))
    assert len(sheet._images) == 1
