"""Records the services read from their stores (the protocols in bot/ports.py; storage/ fills them)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from bot.domain.models import Period


class BindingRequest(BaseModel):
    """A messenger account asking to be a roster person, and what the deputy decided
    (`vk_id` holds the account's id in `messenger`: "vk" or "max")."""

    id: int
    vk_id: int
    org_id: str | None
    typed_name: str
    person_id: int | None
    status: str
    messenger: str = "vk"


class MaxReachRow(BaseModel):
    """A school's person and what MAX told the bot about writing to their MAX account."""

    model_config = ConfigDict(frozen=True)

    person_id: int
    full_name: str
    max_id: int | None
    can_write: bool | None
    reason: str | None


class ReachRow(BaseModel):
    """A school's person and what the bot knows about writing to them."""

    model_config = ConfigDict(frozen=True)

    person_id: int
    full_name: str
    role: str
    vk_id: int | None
    can_message: bool | None
    code: int | None

    @property
    def unreachable(self) -> bool:
        """No VK page bound, or VK refused (or will refuse) messages to it."""
        return self.vk_id is None or self.can_message is False


class PersonStats(BaseModel):
    """One person's figures for one period; None where the table had no such column."""

    model_config = ConfigDict(frozen=True)

    person_id: int
    org_id: str
    period: Period
    group_messages: int | None = None
    calls: int | None = None
    group_chats_created: int | None = None
    ejd_linked: bool | None = None
    registered: bool | None = None
    import_id: int | None = None
