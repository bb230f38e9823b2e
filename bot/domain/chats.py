"""Pure rules of the chats migration: which chats a person is expected to have, the foreign
messengers, invitation links, member counts and check codes.

What is assumed (and not confirmed by public documentation):
- A VK Мессенджер chat invitation is `https://vk.me/join/<token>` (the shape
  `messages.getInviteLink` returns). The same token under `web.vk.me`, `m.vk.me`, `vk.com`
  and `vk.ru` (`…/join/<token>`) is taken as the same kind of link, since VK serves the
  messenger from those hosts too.
- Сферум's chats are VK Мессенджер chats, so their invitations are the links above; a
  `sferum.ru` link is accepted only when its path or query carries a `join`/`invite` token,
  because the exact format of Сферум's own links is not published.
- Сферум inside MAX (2025): a chat invitation is `https://max.ru/join/<token>` (also
  `web.max.ru`); a MAX public channel link (`max.ru/<name>`) is not a chat and is refused.
Anything else (t.me, chat.whatsapp.com, a VK profile or community page) is refused with
a short Russian reason, so a person is told what to paste instead.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Iterable
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict

from bot.config import MigrationConfig
from bot.domain.models import Person, Role


class ExpectedChat(BaseModel):
    """One chat a person should have moved: a stable key and a Russian title."""

    model_config = ConfigDict(frozen=True)

    key: str
    title: str
    class_name: str | None = None


# (id, label) of the foreign messengers the school order names, in its order.
MESSENGERS: tuple[tuple[str, str], ...] = (
    ("viber", "Viber"),
    ("whatsapp", "WhatsApp"),
    ("telegram", "Telegram"),
    ("discord", "Discord"),
    ("skype", "Skype"),
    ("snapchat", "Snapchat"),
    ("teams", "Microsoft Teams"),
    ("threema", "Threema"),
    ("wechat", "WeChat"),
)
NO_OLD_CHAT = "none"
OTHER_MESSENGER = "other"
MESSENGER_LABELS: dict[str, str] = {
    **dict(MESSENGERS),
    OTHER_MESSENGER: "другой мессенджер",
    NO_OLD_CHAT: "не было: чат сразу создан в новом мессенджере",
}

CLASS_KINDS: tuple[tuple[str, str], ...] = (
    ("pupils", "Чат с учениками {c}"),
    ("parents", "Чат с родителями {c}"),
)
SUBJECT_TEACHERS = ("subject_teachers", "Чат с учителями-предметниками {c}")
HEAD_KINDS: tuple[tuple[str, str], ...] = (
    ("deputies", "Чат с заместителями"),
    ("teachers", "Чат с педагогами"),
    ("parents_council", "Чат с родительским активом"),
    ("pupils_council", "Чат с ученическим активом"),
)
SCHOOL_ROLES = (Role.TEACHER, Role.STAFF, Role.DEPUTY, Role.DIRECTOR)


def new_messenger_name(messenger: str) -> str:
    """How the school's target messenger is called in texts."""
    return "Сферум в MAX" if messenger == "max" else "Сферум / VK Мессенджер"


def expected_chats(person: Person, migration: MigrationConfig) -> list[ExpectedChat]:
    """The chats the orders expect of this person, in a stable order.

    A class teacher: pupils and parents of every led class (subject teachers too where the
    school turns it on); the head (director): deputies, teachers, parents' and pupils'
    councils; plus the school's own kinds for the person's role. District officials: none.
    """
    if person.role not in SCHOOL_ROLES:
        return []
    found: list[ExpectedChat] = []
    classes = sorted(person.classes, key=class_sort_key)
    for cls in classes:
        kinds = list(CLASS_KINDS) + ([SUBJECT_TEACHERS] if migration.subject_teachers_chat else [])
        found.extend(ExpectedChat(key=f"class:{cls}:{kind}", title=title.format(c=cls), class_name=cls)
                     for kind, title in kinds)
    if person.role is Role.DIRECTOR:
        found.extend(ExpectedChat(key=f"head:{kind}", title=title) for kind, title in HEAD_KINDS)
    for extra in migration.extra_kinds:
        if extra.roles and person.role.value not in extra.roles:
            continue
        if extra.per_class:
            found.extend(ExpectedChat(key=f"extra:{extra.id}:{cls}", title=f"{extra.title} {cls}", class_name=cls)
                         for cls in classes)
        else:
            found.append(ExpectedChat(key=f"extra:{extra.id}", title=extra.title))
    return found


def class_sort_key(name: str) -> tuple[int, str]:
    """5А before 10А: classes by their number, then by letter."""
    digits = re.match(r"\d+", name.strip())
    return (int(digits.group(0)) if digits else 99, name)


def own_chat(own_id: int, title: str) -> ExpectedChat:
    """A chat the person added themselves (not on the orders' list)."""
    return ExpectedChat(key=f"own:{own_id}", title=title)


def class_of(key: str) -> str | None:
    """The class a chat key belongs to (`class:5А:pupils` → 5А), if any."""
    parts = key.split(":")
    if parts[0] == "class" and len(parts) == 3:
        return parts[1]
    if parts[0] == "extra" and len(parts) == 3:
        return parts[2]
    return None


# --- invitation links -------------------------------------------------------------------

VK_HOSTS = {"vk.me", "web.vk.me", "m.vk.me", "vk.com", "m.vk.com", "vk.ru", "m.vk.ru"}
MAX_HOSTS = {"max.ru", "web.max.ru"}
SFERUM_HOSTS = {"sferum.ru", "web.sferum.ru"}
FOREIGN_HOSTS = {
    "t.me": "Telegram", "telegram.me": "Telegram", "chat.whatsapp.com": "WhatsApp", "wa.me": "WhatsApp",
    "invite.viber.com": "Viber", "viber.com": "Viber", "discord.gg": "Discord", "discord.com": "Discord",
    "join.skype.com": "Skype", "teams.microsoft.com": "Microsoft Teams",
}
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_\-=/]{4,200}$")
_URL_RE = re.compile(r"(?:https?://)?[^\s<>«»\"']+\.[a-z]{2,}[^\s<>«»\"']*", re.IGNORECASE)


class LinkCheck(BaseModel):
    """A checked link: `kind` vk|sferum|max and the normalized URL, or a refusal `reason`."""

    model_config = ConfigDict(frozen=True)

    ok: bool
    url: str = ""
    kind: str = ""
    reason: str = ""


def _refuse(reason: str) -> LinkCheck:
    return LinkCheck(ok=False, reason=reason)


def check_link(text: str) -> LinkCheck:
    """Is `text` an invitation to a VK Мессенджер / Сферум / MAX chat? (see the module docstring)."""
    found = _URL_RE.search(text.strip())
    if not found:
        return _refuse("это не похоже на ссылку")
    raw = found.group(0).rstrip(".,;)»")
    url = raw if re.match(r"^https?://", raw, re.IGNORECASE) else "https://" + raw
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = parts.path.rstrip("/")
    if host in FOREIGN_HOSTS or any(host.endswith("." + h) for h in FOREIGN_HOSTS):
        name = FOREIGN_HOSTS.get(host) or next(v for h, v in FOREIGN_HOSTS.items() if host.endswith("." + h))
        return _refuse(f"это ссылка на {name}, а нужна ссылка на новый чат")
    segments = [s for s in path.split("/") if s]
    if host in VK_HOSTS or host in MAX_HOSTS:
        if len(segments) == 2 and segments[0].lower() == "join" and _TOKEN_RE.match(segments[1]):
            kind = "max" if host in MAX_HOSTS else "vk"
            return LinkCheck(ok=True, url=f"https://{host}/join/{segments[1]}", kind=kind)
        return _refuse("это ссылка на страницу, а не приглашение в чат (оно выглядит как "
                       "https://vk.me/join/… или https://max.ru/join/…)")
    if host in SFERUM_HOSTS:
        carries = [s.lower() for s in segments] + [q.split("=")[0].lower() for q in parts.query.split("&") if q]
        if {"join", "invite"} & set(carries):
            return LinkCheck(ok=True, url=url, kind="sferum")
        return _refuse("это ссылка на сайт Сферума, а не приглашение в чат")
    return _refuse("это ссылка не на Сферум, VK Мессенджер или MAX")


# --- member counts ----------------------------------------------------------------------

_WORD_NUMBERS = {
    "десять": 10, "пятнадцать": 15, "двадцать": 20, "тридцать": 30, "сорок": 40, "пятьдесят": 50,
    "шестьдесят": 60, "семьдесят": 70, "восемьдесят": 80, "девяносто": 90, "сто": 100,
}
MAX_MEMBERS = 5000


def clean_typed(text: str) -> str:
    """What a person typed, as one line: control and other invisible characters dropped, spaces collapsed."""
    visible = "".join(ch if not unicodedata.category(ch).startswith("C") else " " for ch in text)
    return " ".join(visible.split())


def parse_members(text: str) -> int | None:
    """About how many people: «25», «около 25», «25 человек», «20-30» (→ 25), «двадцать»."""
    low = text.lower().replace("ё", "е")
    numbers = [int(n) for n in re.findall(r"\d+", low)]
    if len(numbers) >= 2 and re.search(r"\d+\s*(?:-|–|—|до)\s*\d+", low):
        value = round((numbers[0] + numbers[1]) / 2)
    elif numbers:
        value = numbers[0]
    else:
        words = [_WORD_NUMBERS[w] for w in re.findall(r"[а-я]+", low) if w in _WORD_NUMBERS]
        if not words:
            return None
        value = words[0]
    if not 1 <= value <= MAX_MEMBERS:
        return None
    return value


# --- check codes ------------------------------------------------------------------------

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are retyped by hand
CODE_LENGTH = 6
_CODE_RE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z2-9]{6})(?![A-Za-z0-9])")


def new_code() -> str:
    """A short random code a teacher posts in the new chat."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        # A digit tells a code from an ordinary word in the chat (see `codes_in`).
        if any(ch.isdigit() for ch in code):
            return code


def codes_in(text: str) -> list[str]:
    """Words of `text` that could be check codes (upper-cased), in order, without repeats."""
    found = (m.upper() for m in _CODE_RE.findall(text or ""))
    return list(dict.fromkeys(c for c in found if all(ch in CODE_ALPHABET for ch in c)
                              and any(ch.isdigit() for ch in c)))


def titles(chats: Iterable[ExpectedChat]) -> list[str]:
    return [c.title for c in chats]
