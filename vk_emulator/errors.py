"""VK API error codes and the exception the method implementations raise."""

from __future__ import annotations

ERROR_MESSAGES: dict[int, str] = {
    1: "Unknown error occurred",
    3: "Unknown method passed",
    5: "User authorization failed: invalid access_token (4).",
    6: "Too many requests per second",
    7: "Permission to perform this action is denied",
    9: "Flood control",
    10: "Internal server error",
    12: "Unable to compile code",
    13: "Runtime error occurred during code invocation",
    15: "Access denied",
    27: "Group authorization failed: method is unavailable with group auth.",
    100: "One of the parameters specified was missing or invalid",
    104: "Not found",
    113: "Invalid user id",
    901: "Can't send messages for users without permission",
    902: "Can't send messages to this user due to their privacy settings",
    911: "Keyboard format is invalid",
    912: "This is a chat bot feature, change this status in settings",
    914: "Message is too long",
    917: "You don't have access to this chat",
    943: "Cannot use this intent",
    944: "Limits overflow for this type of intent",
}


class VKError(Exception):
    """A VK API error: becomes `{"error": {...}}` or a per-peer error object."""

    def __init__(self, code: int, detail: str | None = None) -> None:
        base = ERROR_MESSAGES.get(code, "Unknown error occurred")
        self.code = code
        self.msg = f"{base}: {detail}" if detail else base
        super().__init__(self.msg)


def param_error(detail: str) -> VKError:
    """Error 100 with VK's usual prefix."""
    return VKError(100, detail)
