"""The VK emulator's behaviour, independent of HTTP: the method pipeline (token, rate limit,
strict parameters, schema checks) over the parts that implement methods, long poll and control."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from emulator_common.control import ControlError
from emulator_common.schema import SchemaViolation
from vk_emulator import execute as vkscript
from vk_emulator.control import ControlMixin
from vk_emulator.directory import DirectoryMixin
from vk_emulator.errors import VKError, param_error
from vk_emulator.longpoll import LongPollMixin
from vk_emulator.messages import MessagesMixin
from vk_emulator.schema import GLOBAL_PARAMS
from vk_emulator.state import ALL_SCOPES, DEFAULT_EVENTS

_SCOPE_OF_SECTION = {"messages": "messages", "docs": "docs", "photos": "photos"}


@dataclass
class ExecuteResult:
    response: Any
    errors: list[dict[str, Any]]


class EmulatorCore(ControlMixin, LongPollMixin, MessagesMixin, DirectoryMixin):
    """Everything the emulator knows and does; the HTTP layer only translates."""

    def __init__(
        self,
        token: str = "t",
        group_id: int = 1,
        *,
        strict: bool = True,
        validate: bool | None = None,
        rps: int | None = 20,
        seed: int | None = None,
        schema_dir: str | None = None,
    ) -> None:
        super().__init__(
            token,
            group_id,
            strict=strict,
            validate=validate,
            rps=rps,
            seed=seed,
            schema_dir=schema_dir,
        )
        self.handlers: dict[str, Callable[[dict[str, Any]], Any]] = {
            "groups.getById": self.m_groups_get_by_id,
            "groups.getLongPollServer": self.m_groups_get_long_poll_server,
            "groups.getLongPollSettings": self.m_groups_get_long_poll_settings,
            "groups.getTokenPermissions": self.m_groups_get_token_permissions,
            "messages.send": self.m_messages_send,
            "messages.edit": self.m_messages_edit,
            "messages.sendMessageEventAnswer": self.m_messages_send_event_answer,
            "messages.isMessagesFromGroupAllowed": self.m_messages_is_allowed,
            "messages.getConversationMembers": self.m_messages_get_members,
            "messages.getByConversationMessageId": self.m_messages_get_by_cmid,
            "messages.setActivity": self.m_messages_set_activity,
            "messages.markAsRead": self.m_messages_mark_as_read,
            "users.get": self.m_users_get,
            "utils.resolveScreenName": self.m_utils_resolve,
            "docs.getMessagesUploadServer": self.m_docs_upload_server,
            "docs.save": self.m_docs_save,
            "photos.getMessagesUploadServer": self.m_photos_upload_server,
            "photos.saveMessagesPhoto": self.m_photos_save,
        }

    # -- the method pipeline ------------------------------------------------------------------

    def handle(self, method: str, raw: dict[str, str], token: str | None) -> dict[str, Any]:
        """One `/method/...` request after faults: token, rate limit, method. Returns the body."""
        requests = self.stats.requests
        requests[method] = requests.get(method, 0) + 1
        try:
            if token != self.token:
                raise VKError(5)
            self._check_rate(token)
            if method == "execute":
                result = self._execute(raw)
                body: dict[str, Any] = {"response": result.response}
                if result.errors:
                    body["execute_errors"] = result.errors
                return body
            return {"response": self.run_method(method, raw)}
        except VKError as error:
            return self.error_body(error, method, raw)

    def _check_rate(self, token: str) -> None:
        if not self.rates.allow(token, self.limits.rps, self.clock.now()):
            self.stats.rate_limited += 1
            raise VKError(6)

    def run_method(self, method: str, raw: dict[str, str]) -> Any:
        """Run one API method with every VK rule (used by requests and by execute's inner calls)."""
        handler = self.handlers.get(method)
        if handler is None:
            raise VKError(3, method)
        section = method.split(".", 1)[0]
        scope = _SCOPE_OF_SECTION.get(section)
        if scope is not None and scope not in self.community.token_scopes:
            raise VKError(15, f"no access to call this method (token has no {scope} scope)")
        schema = self.schema
        if self.strict:
            known = schema.methods[method].params
            for key in raw:
                if key not in known and key not in GLOBAL_PARAMS:
                    raise param_error(f"unknown parameter {key}")
        params = schema.coerce_params(method, raw)
        if self.validate:
            schema.check_params(method, params)
        value = handler(params)
        if self.validate:
            errors = schema.response_errors(method, {"response": value})
            if errors:
                self._violation(f"response of {method}", errors)
        return value

    # -- execute ------------------------------------------------------------------------------

    def _execute(self, raw: dict[str, str]) -> ExecuteResult:
        code = raw.get("code")
        if self.strict:
            for key in raw:
                if key not in ("code", "func_v") and key not in GLOBAL_PARAMS:
                    raise param_error(f"unknown parameter {key}")
        if not code:
            raise param_error("code is a required parameter")
        statements = vkscript.parse(code)
        calls = vkscript.count_calls(statements)
        if calls > self.limits.execute_max_calls:
            raise VKError(13, f"too many API calls ({calls} > {self.limits.execute_max_calls})")
        errors: list[dict[str, Any]] = []

        def call(method: str, args: dict[str, Any]) -> Any:
            if method == "execute":
                raise VKError(12, "execute cannot be nested")
            inner = {k: vkscript.to_form(v) for k, v in args.items() if v is not None}
            try:
                return self.run_method(method, inner)
            except VKError as error:
                self.stats.count_error(error.code)
                errors.append({"method": method, "error_code": error.code, "error_msg": error.msg})
                return False

        response = vkscript.run(statements, call)
        return ExecuteResult(response, errors)


__all__ = ["ALL_SCOPES", "DEFAULT_EVENTS", "ControlError", "EmulatorCore", "SchemaViolation"]
