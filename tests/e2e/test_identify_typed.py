"""Through the emulator: identification takes typed answers under the candidates («да», «1», «нет»)."""

from __future__ import annotations

import pytest

from bot.app import App
from tests.e2e.harness import DEPUTY, UNBOUND, Chat


@pytest.mark.parametrize("typed", ["да", "Да, это я", "1", "первая"])
async def test_typed_yes_or_number_picks_the_line(chat: Chat, bot_app: App, typed: str) -> None:
    """«да» (one candidate) or its number sends the request, as the button would."""
    user, name = UNBOUND
    await chat.say(user, "здравствуйте")
    offer = await chat.say(user, "сидорова мария ивановна")
    assert offer[-1]["text"].startswith("Это вы?") and "«да» или «нет»" in offer[-1]["text"]
    deputy_after = await chat.last_seq(DEPUTY)
    waiting = await chat.say(user, typed)
    assert "заместител" in waiting[-1]["text"]
    ask = await chat.wait(DEPUTY, after=deputy_after)
    assert name in ask[-1]["text"] and ask[-1]["text"].endswith("Это она?")
    assert await bot_app.deps.identity.pending(user) is not None


async def test_typed_no_asks_for_the_full_name(chat: Chat, bot_app: App) -> None:
    """«нет» under the candidates asks for the full name again and creates no request."""
    user, _ = UNBOUND
    await chat.say(user, "здравствуйте")
    await chat.say(user, "сидорова мария ивановна")
    again = await chat.say(user, "нет")
    assert again[-1]["text"].startswith("Понял: вас нет среди предложенных.")
    assert await bot_app.deps.identity.pending(user) is None


async def test_another_name_under_the_candidates_is_searched(chat: Chat, bot_app: App) -> None:
    """A name typed instead of an answer is a new search, not a pick."""
    user, _ = UNBOUND
    await chat.say(user, "здравствуйте")
    await chat.say(user, "сидорова мария ивановна")
    again = await chat.say(user, "Пупкин Василий")
    assert "Не нашёл «Пупкин Василий»" in again[-1]["text"]
    assert await bot_app.deps.identity.pending(user) is None


async def test_several_candidates_take_a_number_not_a_yes(chat: Chat, bot_app: App) -> None:
    """With two namesakes the list is numbered; «да» asks for the number and «2» picks the second."""
    from bot.domain.models import Role

    user, _ = UNBOUND
    await bot_app.deps.people.add("school1", "Сидорова Марина Игоревна", Role.TEACHER)
    await chat.say(user, "здравствуйте")
    offer = await chat.say(user, "Сидорова М. И.")
    text = offer[-1]["text"]
    assert text.startswith("Кто из них вы?") and "1. Сидорова М. И." in text and "2. Сидорова М. И." in text
    asked = await chat.say(user, "да")
    assert asked[-1]["text"].startswith("Подходят несколько человек. Напишите номер")
    await chat.say(user, "2")
    request = await bot_app.deps.identity.pending(user)
    assert request is not None
    picked = await bot_app.deps.people.get(request.person_id or 0)
    assert picked is not None and picked.full_name.startswith("Сидорова М") and picked.vk_id is None
