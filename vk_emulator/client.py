"""A small async client for the emulator's `/_emu/` control API."""

from __future__ import annotations

import asyncio
from typing import Any

from emulator_common.client import JSON, ControlAPIError, ControlClient, file_attachments


class EmulatorControl(ControlClient):
    """Typed wrapper around the VK emulator's `/_emu/...`; every method returns the parsed JSON."""

    async def __aenter__(self) -> EmulatorControl:
        return self

    # -- people, chats, community -------------------------------------------------------------

    async def add_user(
        self,
        id: int | JSON,  # noqa: A002 - the spec's field name
        first_name: str = "",
        last_name: str = "",
        *,
        screen_name: str | None = None,
        allows_messages: bool = False,
        blocks_messages: bool = False,
        last_message_date: int | None = None,
    ) -> JSON:
        """Create a person; pass either the fields or one dict in the spec's shape."""
        if isinstance(id, dict):
            return await self._request("POST", "/_emu/users", id)
        body: JSON = {
            "id": id,
            "first_name": first_name,
            "last_name": last_name,
            "allows_messages": allows_messages,
            "blocks_messages": blocks_messages,
        }
        if screen_name is not None:
            body["screen_name"] = screen_name
        if last_message_date is not None:
            body["last_message_date"] = last_message_date
        return await self._request("POST", "/_emu/users", body)

    async def allow(self, user_id: int) -> JSON:
        return await self._request("POST", f"/_emu/users/{user_id}/allow", {})

    async def deny(self, user_id: int) -> JSON:
        return await self._request("POST", f"/_emu/users/{user_id}/deny", {})

    async def add_chat(
        self,
        chat_id: int | JSON,
        title: str = "",
        members: list[int] | None = None,
        *,
        bot_is_admin: bool = False,
        bot_reads_all: bool = False,
    ) -> JSON:
        """Create a chat with the bot in it; fields or one dict in the spec's shape."""
        if isinstance(chat_id, dict):
            return await self._request("POST", "/_emu/chats", chat_id)
        return await self._request(
            "POST",
            "/_emu/chats",
            {
                "chat_id": chat_id,
                "title": title,
                "members": members or [],
                "bot_is_admin": bot_is_admin,
                "bot_reads_all": bot_reads_all,
            },
        )

    async def community(self, **settings: Any) -> JSON:
        """Replace the community settings (long_poll, api_version, events, bots_capabilities, token_scopes)."""
        return await self._request("POST", "/_emu/community", settings)

    # -- acting as a person -------------------------------------------------------------------

    async def say(
        self,
        from_id: int | JSON,
        text: str = "",
        *,
        peer_id: int | None = None,
        payload: JSON | None = None,
        docs: list[tuple[str, bytes]] | None = None,
    ) -> JSON:
        """A person writes; `docs` are (filename, content) pairs attached as documents.
        A single dict in the spec's shape is posted as it is."""
        if isinstance(from_id, dict):
            return await self._request("POST", "/_emu/say", from_id)
        body: JSON = {"from_id": from_id, "text": text}
        if peer_id is not None:
            body["peer_id"] = peer_id
        if payload is not None:
            body["payload"] = payload
        if docs:
            body["attachments"] = file_attachments("doc", docs)
        return await self._request("POST", "/_emu/say", body)

    async def press(
        self,
        user_id: int | JSON,
        conversation_message_id: int = 0,
        payload: JSON | None = None,
        *,
        peer_id: int | None = None,
    ) -> JSON:
        """A callback-button press; fields or one dict in the spec's shape."""
        if isinstance(user_id, dict):
            return await self._request("POST", "/_emu/press", user_id)
        body: JSON = {
            "user_id": user_id,
            "conversation_message_id": conversation_message_id,
            "payload": payload or {},
        }
        if peer_id is not None:
            body["peer_id"] = peer_id
        return await self._request("POST", "/_emu/press", body)

    # -- reading ------------------------------------------------------------------------------

    async def sent(self, peer_id: int | None, after: int | None = None) -> JSON:
        """Messages the community delivered to `peer_id` (None: to every peer), oldest first."""
        params: dict[str, str] = {} if peer_id is None else {"peer_id": str(peer_id)}
        if after is not None:
            params["after"] = str(after)
        return await self._request("GET", "/_emu/sent", params=params)

    async def wait_sent(
        self,
        peer_id: int | None,
        count: int = 1,
        after: int | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109 - the server holds the request this long
    ) -> list[JSON]:
        """Wait (server-side, no client polling) until `count` messages after `after` were sent
        to the peer; return them. Raises TimeoutError when fewer arrive within `timeout`."""
        params = {"min_count": str(count), "wait": str(timeout)}
        if peer_id is not None:
            params["peer_id"] = str(peer_id)
        if after is not None:
            params["after"] = str(after)
        body = await self._request("GET", "/_emu/sent", params=params, timeout_s=timeout + 10)
        items: list[JSON] = body["items"]
        if len(items) < count:
            raise TimeoutError(
                f"expected {count} messages to {peer_id} after {after}, got {len(items)}: {items}"
            )
        return items

    async def wait_listening(
        self,
        timeout: float = 10.0,  # noqa: ASYNC109 - the server holds the request this long
    ) -> JSON:
        """Wait until a bot holds a long-poll request, so that what happens next reaches it.
        Raises TimeoutError if nobody listens within `timeout`."""
        body = await self._request(
            "GET", "/_emu/longpoll", params={"wait": str(timeout)}, timeout_s=timeout + 10
        )
        if not body["listening"]:
            raise TimeoutError(f"no long-poll client within {timeout} s")
        return body

    async def snackbars(self, user_id: int) -> JSON:
        return await self._request("GET", "/_emu/snackbars", params={"user_id": str(user_id)})

    # -- faults, limits, time -----------------------------------------------------------------

    async def faults(self, **faults: Any) -> JSON:
        """Replace the whole fault set (error_rate, http_500_rate, drop_rate, delay_ms, longpoll_failed)."""
        return await self._request("POST", "/_emu/faults", faults)

    async def get_community(self) -> JSON:
        return await self._request("GET", "/_emu/community")

    async def limits(self, **limits: Any) -> JSON:
        """Replace the limits (rps, execute_max_calls, max_message_length, dedupe_window_s, ...)."""
        return await self._request("POST", "/_emu/limits", limits)


async def wait_sent(
    base_url: str,
    peer_id: int,
    count: int = 1,
    after: int | None = None,
    timeout: float = 10.0,  # noqa: ASYNC109 - same contract as EmulatorControl.wait_sent
) -> list[JSON]:
    """One-shot form of `EmulatorControl.wait_sent`."""
    async with EmulatorControl(base_url) as control:
        return await asyncio.wait_for(
            control.wait_sent(peer_id, count, after=after, timeout=timeout), timeout + 15
        )


__all__ = ["JSON", "ControlAPIError", "EmulatorControl", "wait_sent"]
