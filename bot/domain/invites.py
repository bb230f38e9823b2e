"""Personal deep links into MAX: `https://max.ru/<bot>?start=<token>`, single-use, valid 14 days.

A link binds the MAX account that opens it to one roster person, so a teacher is identified
with one tap. MAX passes the token as `bot_started.payload` (characters [A-Za-z0-9_-], at most 128).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from bot.domain.models import Person

VALID_FOR = dt.timedelta(days=14)
# MAX drops a start payload over 128 characters; 16 random bytes make 22 characters.
TOKEN_BYTES = 16
PAYLOAD_RE = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


def new_token() -> str:
    """A fresh unguessable token, within MAX's start-payload alphabet and length."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def is_token(payload: str | None) -> bool:
    """Whether a start payload can be one of our tokens (anything else is ignored)."""
    return payload is not None and PAYLOAD_RE.match(payload) is not None


def deep_link(bot_name: str, token: str) -> str:
    """The link a person opens in MAX."""
    return f"https://max.ru/{bot_name}?start={token}"


class InviteOutcome(StrEnum):
    """What opening a personal link did."""

    BOUND = "bound"
    ALREADY = "already"
    UNKNOWN = "unknown"
    USED = "used"
    REPLACED = "replaced"
    EXPIRED = "expired"
    LEFT = "left"
    PERSON_TAKEN = "person_taken"
    ACCOUNT_TAKEN = "account_taken"


class InviteIssued(BaseModel):
    """One issued link (the URL is built with the bot's name)."""

    model_config = ConfigDict(frozen=True)

    token: str
    person_id: int
    expires_at: dt.datetime


class Redeemed(BaseModel):
    """The outcome of opening a link, with the link's person where known."""

    model_config = ConfigDict(frozen=True)

    outcome: InviteOutcome
    person: Person | None = None


_ASK = "Напишите, пожалуйста, фамилию, имя и отчество — я найду вас в списке сотрудников, " \
       "а заместитель директора подтвердит. Или попросите у него новую ссылку."
REFUSALS = {
    InviteOutcome.UNKNOWN: "Эта ссылка мне незнакома — возможно, она скопирована не полностью. " + _ASK,
    InviteOutcome.USED: "Эта ссылка уже использована: каждая персональная ссылка срабатывает один раз. " + _ASK,
    InviteOutcome.REPLACED: "Эта ссылка больше не действует: заместитель директора выдал вместо неё новую. "
                            "Откройте новую ссылку или " + _ASK[0].lower() + _ASK[1:],
    InviteOutcome.EXPIRED: "Срок действия этой ссылки (14 дней) закончился. " + _ASK,
    InviteOutcome.LEFT: "Эта ссылка выдана сотруднику, которого уже нет в списке школы. Если это ошибка, "
                        "напишите заместителю директора.",
    InviteOutcome.PERSON_TAKEN: "Эта ссылка выдана сотруднику, к которому уже привязан другой аккаунт MAX. "
                                "Если это ваш новый аккаунт, попросите заместителя директора отвязать старый.",
    InviteOutcome.ACCOUNT_TAKEN: "Ваш аккаунт MAX уже привязан к другому сотруднику этой школы. "
                                 "Если это ошибка, напишите заместителю директора.",
}


def refusal(outcome: InviteOutcome) -> str:
    """The polite Russian answer to a link that did not bind, saying what to do."""
    return REFUSALS.get(outcome, REFUSALS[InviteOutcome.UNKNOWN])
