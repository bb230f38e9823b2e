"""An in-memory ChatsStore for service tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from bot.domain.models import Person
from bot.messaging.events import ChatRef, Identity
from bot.stores.chats import Confirmation, CustomChat, SchoolChats


class FakeChatsStore:
    """People, added chats and confirmations in dicts; `audit` keeps (action, actor, target) in order."""

    def __init__(self, people: Sequence[Person] = ()) -> None:
        self.people = {p.id: p for p in people}
        self.customs: dict[int, CustomChat] = {}
        self.rows: dict[tuple[int, str], Confirmation] = {}
        self.audit: list[tuple[str, Identity | None, str]] = []

    def _update(self, conf: Confirmation, **changes: Any) -> Confirmation:
        self.rows[(conf.person_id, conf.chat_key)] = conf.model_copy(update=changes)
        return self.rows[(conf.person_id, conf.chat_key)]

    async def person(self, person_id: int) -> Person | None:
        return self.people.get(person_id)

    async def of_person(self, org_id: str, person_id: int) -> tuple[list[CustomChat], list[Confirmation]]:
        school = await self.school(org_id)
        return ([c for c in school.customs if c.person_id == person_id],
                [c for c in school.confirmations if c.person_id == person_id])

    async def school(self, org_id: str) -> SchoolChats:
        return SchoolChats(people=[p for p in self.people.values() if p.org_id == org_id and p.active],
                           customs=[c for c in self.customs.values() if c.org_id == org_id],
                           confirmations=sorted((c for c in self.rows.values() if c.org_id == org_id),
                                                key=lambda c: c.id))

    async def schools(self, org_ids: Sequence[str]) -> dict[str, SchoolChats]:
        return {org_id: await self.school(org_id) for org_id in org_ids}

    async def ensure(self, org_id: str, person_id: int, key: str, title: str) -> Confirmation:
        found = self.rows.get((person_id, key))
        if found is None:
            found = Confirmation(id=len(self.rows) + 1, org_id=org_id, person_id=person_id, chat_key=key,
                                 title=title, status="draft")
            self.rows[(person_id, key)] = found
        return found

    async def add_custom(self, org_id: str, person_id: int, title: str,
                         key_of: Callable[[int], str]) -> CustomChat:
        custom = CustomChat(id=len(self.customs) + 1, org_id=org_id, person_id=person_id, title=title)
        self.customs[custom.id] = custom
        await self.ensure(org_id, person_id, key_of(custom.id), title)
        return custom

    async def confirm(self, person_id: int, key: str, answers: dict[str, Any],
                      new_code: Callable[[], str]) -> Confirmation | None:
        conf = self.rows.get((person_id, key))
        if conf is None or conf.status == "not_needed":
            return conf
        code = conf.code
        if not (code or conf.checked):
            taken = {c.code for c in self.rows.values()}
            code = new_code()
            while code in taken:
                code = new_code()
        return self._update(conf, status="confirmed", code=code, old_messenger=answers.get("messenger"),
                            link=answers.get("link"), members_estimate=answers.get("members"),
                            old_chat=answers.get("old_chat"), no_link_reason=answers.get("no_link_reason"))

    async def not_needed(self, deputy: Person, actor: Identity | None, person_id: int, key: str, title: str,
                         reason: str) -> None:
        conf = await self.ensure(deputy.org_id or "", person_id, key, title)
        self._update(conf, status="not_needed", not_needed_reason=reason, decided_by=deputy.id)
        self.audit.append(("chat_not_needed", actor, f"{person_id}:{key}"))

    async def withdraw(self, person_id: int, confirmation_id: int, custom_id: int | None) -> None:
        conf = next(c for c in self.rows.values() if c.id == confirmation_id)
        self._update(conf, status="withdrawn")
        if custom_id is not None:
            self.customs.pop(custom_id, None)

    async def open_codes(self, codes: Sequence[str]) -> list[Confirmation]:
        return [c for c in self.rows.values() if c.code in codes and c.status == "confirmed" and not c.checked]

    async def mark_checked(self, confirmation: Confirmation, chat: ChatRef, members: int | None,
                           actor: Identity) -> tuple[bool, Person | None]:
        if not await self.open_codes([confirmation.code or ""]):
            return False, None
        self._update(confirmation, checked=True, chat_peer_id=chat.chat_id, chat_messenger=chat.messenger.value,
                     members_counted=members)
        self.audit.append(("chat_checked", actor, f"{confirmation.person_id}:{confirmation.chat_key}"))
        return True, self.people.get(confirmation.person_id)
