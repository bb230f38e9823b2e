"""Pure rules: expected chats per role and setting, invitation links, member counts, codes."""

from __future__ import annotations

import pytest

from bot.config import ChatKind, MigrationConfig
from bot.domain.chats import (
    check_link,
    class_of,
    clean_typed,
    codes_in,
    expected_chats,
    new_code,
    parse_members,
)
from bot.domain.models import Person, Role


def _person(role: Role, classes: tuple[str, ...] = ()) -> Person:
    return Person(id=1, org_id="school1", full_name="Иванова Анна Петровна", role=role, classes=classes)


def test_class_teacher_expects_pupils_and_parents_per_led_class() -> None:
    """Two chats for every class a person leads, none without classes."""
    keys = [c.key for c in expected_chats(_person(Role.TEACHER, ("5А", "7Б")), MigrationConfig())]
    assert keys == ["class:5А:pupils", "class:5А:parents", "class:7Б:pupils", "class:7Б:parents"]
    assert expected_chats(_person(Role.TEACHER), MigrationConfig()) == []


def test_subject_teachers_chat_only_where_the_school_turns_it_on() -> None:
    """The subject teachers' chat is off by default and added per class when on."""
    chats = expected_chats(_person(Role.TEACHER, ("5А",)), MigrationConfig(subject_teachers_chat=True))
    assert [c.title for c in chats] == ["Чат с учениками 5А", "Чат с родителями 5А",
                                        "Чат с учителями-предметниками 5А"]


def test_head_expects_the_four_head_chats() -> None:
    """The director: deputies, teachers, parents' and pupils' councils; a deputy has none of these."""
    keys = [c.key for c in expected_chats(_person(Role.DIRECTOR), MigrationConfig())]
    assert keys == ["head:deputies", "head:teachers", "head:parents_council", "head:pupils_council"]
    assert expected_chats(_person(Role.DEPUTY), MigrationConfig()) == []


def test_district_officials_expect_nothing() -> None:
    """The district is not a school: no chats, whatever the extra kinds."""
    config = MigrationConfig(extra_kinds=[ChatKind(id="all", title="Общий чат")])
    assert expected_chats(_person(Role.DISTRICT), config) == []


def test_extra_kinds_follow_roles_and_classes() -> None:
    """A school's own kinds: per role, and per class where per_class is set."""
    config = MigrationConfig(extra_kinds=[
        ChatKind(id="mo", title="Методобъединение", roles=["teacher"]),
        ChatKind(id="club", title="Кружок", per_class=True),
    ])
    teacher = [c.key for c in expected_chats(_person(Role.TEACHER, ("5А",)), config)]
    assert teacher[2:] == ["extra:mo", "extra:club:5А"]
    staff = [c.title for c in expected_chats(_person(Role.STAFF), config)]
    assert staff == []  # not a teacher, and no classes for the per-class kind
    assert class_of("extra:club:5А") == "5А" and class_of("class:7Б:parents") == "7Б" and class_of("head:teachers") is None


@pytest.mark.parametrize(("text", "kind", "url"), [
    ("https://vk.me/join/AJQ1d5w_zyZ2", "vk", "https://vk.me/join/AJQ1d5w_zyZ2"),
    ("vk.me/join/AJQ1d5w_zyZ2", "vk", "https://vk.me/join/AJQ1d5w_zyZ2"),
    ("вот: https://vk.me/join/AJQ1d5w_zyZ2/ спасибо", "vk", "https://vk.me/join/AJQ1d5w_zyZ2"),
    ("https://web.vk.me/join/AbCdEf12", "vk", "https://web.vk.me/join/AbCdEf12"),
    ("https://max.ru/join/Zx9Yw8Vu7", "max", "https://max.ru/join/Zx9Yw8Vu7"),
    ("https://sferum.ru/?invite=abc123", "sferum", "https://sferum.ru/?invite=abc123"),
])
def test_invitation_links_accepted(text: str, kind: str, url: str) -> None:
    """VK Мессенджер, Сферум and MAX chat invitations are taken and normalized."""
    found = check_link(text)
    assert (found.ok, found.kind, found.url) == (True, kind, url)


@pytest.mark.parametrize(("text", "reason"), [
    ("https://t.me/+AbCdEf", "Telegram"),
    ("https://chat.whatsapp.com/AbCdEf", "WhatsApp"),
    ("https://vk.com/id2001", "не приглашение"),
    ("https://max.ru/school_channel", "не приглашение"),
    ("https://sferum.ru/", "сайт Сферума"),
    ("https://example.com/join/abc", "не на Сферум"),
    ("ссылку пришлю позже", "не похоже на ссылку"),
])
def test_other_links_refused_with_a_reason(text: str, reason: str) -> None:
    """Foreign messengers, pages and other sites are refused, saying why."""
    found = check_link(text)
    assert not found.ok and reason in found.reason


@pytest.mark.parametrize(("text", "value"), [
    ("25", 25), ("около 25", 25), ("25 человек", 25), ("человек 30", 30), ("20-30", 25), ("от 20 до 30", 25),
    ("двадцать", 20), ("0", None), ("много", None), ("100000", None),
])
def test_member_counts(text: str, value: int | None) -> None:
    """About how many people, from the ways people write it."""
    assert parse_members(text) == value


def test_codes_are_found_in_mentions_and_words_are_not_codes() -> None:
    """A fresh code is found in a message mentioning the bot, case-insensitively; plain words are not."""
    code = new_code()
    assert len(code) == 6 and any(ch.isdigit() for ch in code)
    assert codes_in(f"[club1|@sferum_bot] {code.lower()}") == [code]
    assert codes_in("Привет, ABCDEF SFERUM club1 12345") == []


def test_typed_text_loses_invisible_characters() -> None:
    """A typed title or reason keeps what people can see: no control characters, single spaces."""
    assert clean_typed("Кружок\x16 робо\u200bтехники\n 5А\t") == "Кружок робо техники 5А"
    assert clean_typed("\x00\x1f") == ""
