"""An async client for the MAX emulator's `/_emu/` control API (its contract: the MAX emulator specification)."""

from __future__ import annotations

from emulator_common.client import JSON, ControlAPIError, ControlClient, file_attachments


class MaxEmulatorControl(ControlClient):
    """Typed wrapper around the MAX emulator's `/_emu/...`; every method returns the parsed JSON."""

    async def __aenter__(self) -> MaxEmulatorControl:
        return self

    # -- people -------------------------------------------------------------------------------

    async def add_user(
        self,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
    ) -> JSON:
        body: JSON = {"user_id": user_id, "first_name": first_name}
        if last_name is not None:
            body["last_name"] = last_name
        if username is not None:
            body["username"] = username
        return await self._request("POST", "/_emu/users", body)

    async def start(self, user_id: int, payload: str | None = None) -> int:
        """The person presses Start (or follows a deep link); returns the dialog's chat_id."""
        body: JSON = {} if payload is None else {"payload": payload}
        answer = await self._request("POST", f"/_emu/users/{user_id}/start", body)
        chat_id: int = answer["chat_id"]
        return chat_id

    async def stop(self, user_id: int) -> JSON:
        return await self._request("POST", f"/_emu/users/{user_id}/stop", {})

    async def dialog(self, user_id: int, action: str) -> JSON:
        """clear, remove (also stops the bot), mute or unmute the dialog."""
        return await self._request("POST", f"/_emu/users/{user_id}/dialog", {"action": action})

    # -- chats --------------------------------------------------------------------------------

    async def add_chat(
        self,
        chat_id: int,
        title: str,
        members: list[int] | None = None,
        *,
        bot_is_admin: bool = False,
        bot_reads_all: bool = False,
    ) -> JSON:
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

    async def join(self, chat_id: int, user_id: int) -> JSON:
        return await self._request("POST", f"/_emu/chats/{chat_id}/join", {"user_id": user_id})

    async def leave(self, chat_id: int, user_id: int) -> JSON:
        return await self._request("POST", f"/_emu/chats/{chat_id}/leave", {"user_id": user_id})

    async def set_bot(self, chat_id: int, **rights: bool) -> JSON:
        """`is_admin`, `reads_all`, `removed`."""
        return await self._request("POST", f"/_emu/chats/{chat_id}/bot", dict(rights))

    async def set_title(self, chat_id: int, user_id: int, title: str) -> JSON:
        body = {"user_id": user_id, "title": title}
        return await self._request("POST", f"/_emu/chats/{chat_id}/title", body)

    # -- acting as a person -------------------------------------------------------------------

    async def say(
        self,
        user_id: int,
        text: str = "",
        *,
        chat_id: int | None = None,
        files: list[tuple[str, bytes]] | None = None,
    ) -> JSON:
        """A person writes to the bot (or into a group chat); `files` are (filename, content)."""
        body: JSON = {"user_id": user_id, "text": text}
        if chat_id is not None:
            body["chat_id"] = chat_id
        if files:
            body["attachments"] = file_attachments("file", files)
        return await self._request("POST", "/_emu/say", body)

    async def press(self, user_id: int, mid: str, payload: str) -> str:
        """A callback-button press; returns the callback_id."""
        body = {"user_id": user_id, "mid": mid, "payload": payload}
        answer = await self._request("POST", "/_emu/press", body)
        callback_id: str = answer["callback_id"]
        return callback_id

    async def edit(self, user_id: int, mid: str, text: str) -> JSON:
        return await self._request(
            "POST", "/_emu/edit", {"user_id": user_id, "mid": mid, "text": text}
        )

    async def unsend(self, user_id: int, mid: str) -> JSON:
        return await self._request("POST", "/_emu/unsend", {"user_id": user_id, "mid": mid})

    # -- reading ------------------------------------------------------------------------------

    async def sent(self, chat_id: int | None, after: int | None = None) -> list[JSON]:
        """Messages the bot delivered into `chat_id` (None: everywhere), oldest first."""
        params: dict[str, str] = {} if chat_id is None else {"chat_id": str(chat_id)}
        if after is not None:
            params["after"] = str(after)
        items: list[JSON] = (await self._request("GET", "/_emu/sent", params=params))["items"]
        return items

    async def wait_sent(
        self,
        chat_id: int | None,
        count: int = 1,
        after: int | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109 - the server holds the request this long
    ) -> list[JSON]:
        """Wait (server-side) until `count` messages after `after` were sent; raise TimeoutError
        when fewer arrive within `timeout`."""
        params = {"min_count": str(count), "wait": str(timeout)}
        if chat_id is not None:
            params["chat_id"] = str(chat_id)
        if after is not None:
            params["after"] = str(after)
        body = await self._request("GET", "/_emu/sent", params=params, timeout_s=timeout + 10)
        items: list[JSON] = body["items"]
        if len(items) < count:
            raise TimeoutError(f"expected {count} messages in {chat_id} after {after}: {items}")
        return items

    async def answers(
        self,
        user_id: int,
        count: int = 0,
        timeout: float = 10.0,  # noqa: ASYNC109 - the server holds the request this long
    ) -> list[JSON]:
        """The bot's callback answers to a person; with `count`, wait (server-side) until there
        are that many, raising TimeoutError when fewer come within `timeout`."""
        params = {"user_id": str(user_id)}
        if count:
            params.update(min_count=str(count), wait=str(timeout))
        body = await self._request("GET", "/_emu/answers", params=params, timeout_s=timeout + 10)
        items: list[JSON] = body["items"]
        if len(items) < count:
            raise TimeoutError(f"expected {count} answers to {user_id}: {items}")
        return items

    async def wait_listening(
        self,
        timeout: float = 10.0,  # noqa: ASYNC109 - the server holds the request this long
    ) -> JSON:
        """Wait until the bot holds a long poll; raise TimeoutError if none within `timeout`."""
        return await self._wait_for("/_emu/longpoll", "listening", timeout,
                                    f"no long poll within {timeout} s")

    async def wait_subscribed(
        self,
        timeout: float = 10.0,  # noqa: ASYNC109 - the server holds the request this long
    ) -> JSON:
        """Wait until the bot has subscribed a webhook; raise TimeoutError if none within `timeout`."""
        return await self._wait_for("/_emu/subscriptions", "subscribed", timeout,
                                    f"no webhook subscription within {timeout} s")

    async def wait_webhooks(
        self,
        timeout: float = 10.0,  # noqa: ASYNC109 - the server holds the request this long
    ) -> JSON:
        """Wait until no webhook delivery is due at the emulator's current time."""
        return await self._wait_for("/_emu/webhooks", "settled", timeout,
                                    f"webhook deliveries still due after {timeout} s")

    async def _wait_for(self, path: str, flag: str, timeout: float, failure: str) -> JSON:  # noqa: ASYNC109
        """GET `path` held server-side up to `timeout`; TimeoutError unless the answer's `flag` is true."""
        body = await self._request("GET", path, params={"wait": str(timeout)}, timeout_s=timeout + 10)
        if not body[flag]:
            raise TimeoutError(failure)
        return body


__all__ = ["JSON", "ControlAPIError", "MaxEmulatorControl"]
