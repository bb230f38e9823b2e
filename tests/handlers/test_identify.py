"""Identification driven through the neutral router by a fake messenger: name → pick → the deputy approves."""

from __future__ import annotations

from bot.messaging import actions
from tests.handlers.conftest import DEPUTY, TEACHER, NeutralBot

STRANGER = 5005


async def test_name_pick_and_approval(neutral: NeutralBot) -> None:
    """A stranger names themselves, picks the line, the deputy approves: both are told, the account is bound."""
    await neutral.say(STRANGER, "привет")
    assert neutral.messenger.sent[-1].text.startswith("Здравствуйте! Я помощник школы")
    await neutral.say(STRANGER, "Петров Сергей Иванович")
    offer = neutral.messenger.sent[-1]
    assert offer.text.startswith("Это вы?") and offer.keyboard is not None
    pick = actions.IdPick.parse(offer.keyboard.rows[0][0].payload)
    assert pick is not None
    assert await neutral.press(STRANGER, pick.pack())
    assert neutral.messenger.answers[-1].text == "Заявка отправлена"
    waiting, asked = neutral.messenger.sent[-2:]
    assert waiting.chat.chat_id == STRANGER and waiting.text.startswith("Ваша заявка уже у заместителя")
    assert asked.chat.chat_id == DEPUTY and "«Петров Сергей Иванович»" in asked.text
    assert asked.keyboard is not None
    approve = actions.BindApprove.parse(asked.keyboard.rows[0][0].payload)
    assert approve is not None
    assert await neutral.press(DEPUTY, approve.pack())
    assert neutral.messenger.answers[-1].text == "Подтверждено"
    done, welcome = neutral.messenger.sent[-2:]
    assert done.chat.chat_id == DEPUTY and done.text == "Готово: Петров Сергей Иванович теперь в боте."
    assert welcome.chat.chat_id == STRANGER and welcome.text.startswith("Сергей Иванович, здравствуйте!")
    assert "ваш id ВКонтакте," in welcome.text and "MAX" not in welcome.text
    assert [p.full_name for p in await neutral.deps.people.by_vk_id(STRANGER)] == ["Петров Сергей Иванович"]


async def test_typed_no_and_a_forged_pick(neutral: NeutralBot) -> None:
    """«нет» under the candidates asks again; a pick of a line never offered is refused as stale."""
    await neutral.say(STRANGER, "привет")
    await neutral.say(STRANGER, "Петров Сергей Иванович")
    await neutral.say(STRANGER, "нет")
    assert neutral.messenger.sent[-1].text.startswith("Понял: вас нет среди предложенных.")
    assert await neutral.press(STRANGER, actions.IdPick(person_id=999).pack())
    assert neutral.messenger.answers[-1].text == "Эта кнопка уже не действует"


async def test_a_teacher_cannot_approve(neutral: NeutralBot) -> None:
    """A teacher pressing «Подтвердить» gets «Нет прав» and the reason in their dialog."""
    await neutral.say(STRANGER, "Петров Сергей Иванович")
    await neutral.say(STRANGER, "Петров Сергей Иванович")
    await neutral.say(STRANGER, "да")
    asked = neutral.messenger.sent[-1]
    assert asked.keyboard is not None and asked.chat.chat_id == DEPUTY
    assert await neutral.press(TEACHER, asked.keyboard.rows[0][0].payload)
    assert neutral.messenger.answers[-1].text == "Нет прав"
    assert neutral.messenger.sent[-1].chat.chat_id == TEACHER
