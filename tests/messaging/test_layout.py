"""Abstract keyboards laid out within VK's and MAX's limits, and long lists paged."""

from __future__ import annotations

import pytest

from bot.domain.ui import Button, ButtonKind, Keyboard
from bot.messaging import actions
from bot.messaging.layout import MAX_INLINE, NEXT, PREVIOUS, LayoutError, fit, page, shorten
from bot.vk.keyboard import VK_INLINE, VK_STANDARD, KeyboardError, keyboard_dict


def buttons(n: int, **kwargs: object) -> list[Button]:
    """`n` numbered buttons."""
    return [Button(label=f"Кнопка {i}", **kwargs) for i in range(1, n + 1)]  # type: ignore[arg-type]


def test_long_rows_wrap_within_vk_and_max() -> None:
    """Eight buttons in one row become 5+3 on VK and 7+1 on MAX; VK then accepts the keyboard."""
    keyboard = Keyboard(rows=[buttons(8)], inline=True)
    assert [len(r) for r in fit(keyboard, VK_INLINE).rows] == [5, 3]
    assert [len(r) for r in fit(keyboard, MAX_INLINE).rows] == [7, 1]
    keyboard_dict(fit(keyboard, VK_INLINE))


def test_max_allows_three_link_or_request_buttons_in_a_row() -> None:
    """MAX: at most 3 link / open_app / request_* buttons share a row; text buttons are not counted."""
    row = [*buttons(2, link="https://example.org"), Button(label="Контакт", special=ButtonKind.REQUEST_CONTACT),
           Button(label="Приложение", special=ButtonKind.OPEN_APP), Button(label="Текст")]
    laid = fit(Keyboard(rows=[row], inline=True), MAX_INLINE)
    assert [[b.label for b in r] for r in laid.rows] == [["Кнопка 1", "Кнопка 2", "Контакт"], ["Приложение", "Текст"]]


def test_too_many_buttons_for_vk_inline_is_an_error_not_a_silent_cut() -> None:
    """Eleven buttons do not fit VK's inline keyboard (10): page them instead."""
    with pytest.raises(LayoutError):
        fit(Keyboard.column(buttons(11)), VK_INLINE)
    assert len(fit(Keyboard(rows=[[b] for b in buttons(10)]), VK_STANDARD).rows) == 10


def test_labels_are_shortened_to_the_messengers_limit() -> None:
    """A label over the limit is cut at a word with «…»; one within it stays as it is."""
    assert shorten("Учителя начальных классов и классные руководители", 30) == "Учителя начальных классов и…"
    assert len(shorten("Оченьдлинноесловобезпробеловвообщесовсем", 20)) == 20
    assert shorten("Мои чаты", 40) == "Мои чаты"


def test_vk_refuses_buttons_it_does_not_have() -> None:
    """A contact request button cannot be drawn on VK: the renderer says so instead of sending junk."""
    with pytest.raises(KeyboardError):
        keyboard_dict(Keyboard(rows=[[Button(label="Телефон", special=ButtonKind.REQUEST_CONTACT)]]))


def test_kinds_follow_the_fields() -> None:
    """The kind of a button: callback, link, text or the special kind asked for."""
    assert Button(label="a", callback=True).kind is ButtonKind.CALLBACK
    assert Button(label="a", link="https://x.ru").kind is ButtonKind.LINK
    assert Button(label="a").kind is ButtonKind.TEXT


def nav(number: int) -> Button:
    """The paging button of the chats list."""
    return actions.ChatList(page=number).button("?", callback=True)


def test_paging_a_long_list_within_vk_inline() -> None:
    """25 chats on VK: pages of 4 (6 rows − arrows − cancel), arrows carry the page, the footer stays."""
    items = buttons(25, callback=True)
    cancel = [actions.ChatCancel().button("Отмена", callback=True)]
    first = page(items, VK_INLINE, 0, nav=nav, footer=cancel)
    assert (first.number, first.count) == (0, 7)
    assert [b.label for b in first.keyboard.rows[-2]] == [NEXT]
    assert first.keyboard.rows[-2][0].payload == {"cmd": "ch_list", "pg": 1}
    middle = page(items, VK_INLINE, 3, nav=nav, footer=cancel)
    assert [b.label for b in middle.keyboard.rows[-2]] == [PREVIOUS, NEXT]
    last = page(items, VK_INLINE, 99, nav=nav, footer=cancel)
    assert last.number == 6 and [r[0].label for r in last.keyboard.rows[:-2]] == ["Кнопка 25"]
    for p in (first, middle, last):
        keyboard_dict(p.keyboard)  # VK accepts every page


def test_a_short_list_has_no_arrows() -> None:
    """A list that fits shows on one page without paging buttons; MAX fits far more than VK."""
    assert page(buttons(5), VK_INLINE, 0, nav=nav).count == 1
    assert page(buttons(25), MAX_INLINE, 0, nav=nav).count == 1
