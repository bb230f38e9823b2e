"""Rendering keyboards to VK JSON and refusing what VK would refuse with 911."""

from __future__ import annotations

import json

import pytest

from bot.domain.ui import Button, Color, Keyboard
from bot.vk.keyboard import KeyboardError, keyboard_dict, render_keyboard


def test_text_callback_and_link_buttons() -> None:
    """Each button kind renders its VK action; payload is a JSON string; links have no color."""
    kb = Keyboard(rows=[
        [Button(label="Да", payload={"cmd": "yes"}, color=Color.POSITIVE),
         Button(label="Нет", payload={"cmd": "no"}, callback=True, color=Color.NEGATIVE)],
        [Button(label="Сферум", link="https://sferum.ru")],
    ], inline=True)
    data = json.loads(render_keyboard(kb))
    assert data["inline"] is True and "one_time" not in data
    yes, no = data["buttons"][0]
    assert yes == {"action": {"type": "text", "label": "Да", "payload": '{"cmd":"yes"}'}, "color": "positive"}
    assert no["action"]["type"] == "callback" and no["color"] == "negative"
    assert data["buttons"][1][0] == {"action": {"type": "open_link", "link": "https://sferum.ru", "label": "Сферум"}}


def test_standard_one_time_and_empty() -> None:
    """A standard keyboard carries one_time; an empty one removes the keyboard."""
    data = keyboard_dict(Keyboard(rows=[[Button(label="Меню")]], one_time=True))
    assert data["one_time"] is True and "inline" not in data
    assert keyboard_dict(Keyboard.empty()) == {"one_time": False, "buttons": []}


@pytest.mark.parametrize(
    ("keyboard", "words"),
    [
        (Keyboard(rows=[[Button(label=str(i))] for i in range(7)], inline=True), "7 rows"),
        (Keyboard(rows=[[Button(label=str(i)) for i in range(5)]] * 3, inline=True), "15 buttons"),
        (Keyboard(rows=[[Button(label=str(i))] for i in range(11)]), "11 rows"),
        (Keyboard(rows=[[Button(label=str(i)) for i in range(5)]] * 9), "45 buttons"),
        (Keyboard(rows=[[Button(label=str(i)) for i in range(6)]]), "6 buttons"),
        (Keyboard(rows=[[Button(label="x", payload={"d": "я" * 300})]]), "payload"),
        (Keyboard(rows=[[Button(label="x", link="ftp://x")]]), "link"),
        (Keyboard(rows=[[Button(label="x", link="https://x", callback=True)]]), "not both"),
        (Keyboard(rows=[[Button(label="x")]], inline=True, one_time=True), "one_time"),
        (Keyboard(rows=[[Button(label="  ")]]), "empty label"),
    ],
)
def test_limits_raise_clear_errors(keyboard: Keyboard, words: str) -> None:
    """Each VK limit breaks with a KeyboardError naming it."""
    with pytest.raises(KeyboardError, match=words):
        render_keyboard(keyboard)


def test_limits_at_the_edge_are_fine() -> None:
    """Exactly 10 inline buttons in 5×2, 40 standard buttons, a 255-char payload all pass."""
    render_keyboard(Keyboard(rows=[[Button(label=str(i)) for i in range(5)]] * 2, inline=True))
    render_keyboard(Keyboard(rows=[[Button(label=str(i)) for i in range(5)]] * 8))
    payload = {"d": "a" * 247}
    assert len(json.dumps(payload, separators=(",", ":"))) == 255
    assert len(render_keyboard(Keyboard(rows=[[Button(label="x" * 40, payload=payload)]]))) > 255
