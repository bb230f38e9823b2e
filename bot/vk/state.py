"""vkbottle's state dispenser over the database: a dialog survives a restart."""

from __future__ import annotations

from typing import Any

from vkbottle import ABCStateDispenser, BaseStateGroup, StatePeer

from storage.runtime import DialogStateRepo


class SqliteStateDispenser(ABCStateDispenser):
    """States keyed by peer id, stored in dialog_state as `vk:<peer_id>`."""

    def __init__(self, repo: DialogStateRepo) -> None:
        self._repo = repo

    @staticmethod
    def key(peer_id: int) -> str:
        return f"vk:{peer_id}"

    async def get(self, peer_id: int) -> StatePeer | None:
        found = await self._repo.get(self.key(peer_id))
        if found is None:
            return None
        return StatePeer(peer_id=peer_id, state=found.state, payload=found.payload)

    async def set(self, peer_id: int, state: BaseStateGroup | str, **payload: Any) -> None:
        value = state if isinstance(state, str) else f"{type(state).__name__}:{state.value}"
        await self._repo.set(self.key(peer_id), value, payload)

    async def delete(self, peer_id: int) -> None:
        await self._repo.delete(self.key(peer_id))
