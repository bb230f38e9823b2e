"""Typed answers: yes/no/cancel/back, messengers in any common spelling, numbers (tables of cases)."""

from __future__ import annotations

import pytest

from bot.domain.answers import intent, messenger_of, number_in, question_like, says_no_old_chat


@pytest.mark.parametrize(("text", "expected"), [
    ("да", "yes"), ("Да!", "yes"), ("ага", "yes"), ("Всё верно", "yes"), ("подтверждаю", "yes"),
    ("подтвеждаю", "yes"), ("да, закрыла", "yes"), ("ок", "yes"),
    ("нет", "no"), ("Нет.", "no"), ("неа", "no"), ("исправить", "no"),
    ("отмена", "cancel"), ("Отменить", "cancel"), ("стоп", "cancel"), ("отмена, пожалуйста", "cancel"),
    ("назад", "back"), ("Назад", "back"),
    ("пока нет", "not_yet"), ("нет, ещё не закрыт", "not_yet"),
    ("объявила", "announced"), ("оставить как было", "keep"),
    ("не было", "none"),
    ("два", None), ("привет", None), ("", None),
    ("ну да", "yes"), ("Ой, нет", "no"), ("так, отмена", "cancel"), ("ну пока нет", "not_yet"), ("ну", None),
])
def test_intent(text: str, expected: str | None) -> None:
    """Short typed answers read as what people mean; unrelated words read as nothing."""
    assert intent(text) == expected


def test_intent_is_limited_to_what_the_step_allows() -> None:
    """A step that only takes yes/no does not read «назад» as an answer."""
    assert intent("назад", ("yes", "no")) is None
    assert intent("да", ("cancel",)) is None


@pytest.mark.parametrize(("text", "expected"), [
    ("в телеге был", "telegram"), ("тг", "telegram"), ("Telegram", "telegram"), ("телеграм", "telegram"),
    ("телеграмм", "telegram"), ("в телеграме", "telegram"), ("телеграмме", "telegram"), ("телегарм", "telegram"),
    ("вотсап", "whatsapp"), ("ватсап", "whatsapp"), ("WhatsApp", "whatsapp"), ("в вацапе", "whatsapp"),
    ("вотсапп", "whatsapp"),
    ("вайбер", "viber"), ("Viber", "viber"), ("в вайбере", "viber"), ("вибер", "viber"),
    ("дискорд", "discord"), ("скайп", "skype"), ("teams", "teams"),
    ("не помню", None), ("да", None), ("телефон", None),
])
def test_messenger_of(text: str, expected: str | None) -> None:
    """A messenger's name in any common spelling, slang and small typos included."""
    assert messenger_of(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("не было", True), ("сразу создали в максе", True), ("в телеге", False),
])
def test_says_no_old_chat(text: str, expected: bool) -> None:
    """«Не было» and «сразу создан» mean there was no old chat."""
    assert says_no_old_chat(text) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("2", 2), ("номер 3", 3), ("вторая", 2), ("три", 3), ("никакой", None),
])
def test_number_in(text: str, expected: int | None) -> None:
    """A number typed as digits or as a small word."""
    assert number_in(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("как войти в сферум?", True), ("подскажите пожалуйста где взять ссылку на чат для родителей класса", True),
    ("в телеге", False), ("да", False),
])
def test_question_like(text: str, expected: bool) -> None:
    """A question or a long sentence is not an answer to a button step."""
    assert question_like(text) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("отмена", "cancel"), ("Отмена!", "cancel"), ("стоп кадр", None), ("отмена занятий кружка", None),
    ("подтвеждаю", None),
])
def test_exact_intent_takes_only_whole_answers(text: str, expected: str | None) -> None:
    """At steps where text is a title or a reason, only whole known answers count."""
    assert intent(text, exact=True) == expected
