"""Turning a `NewMessageBody` into a stored message: limits, attachments and links."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from max_emulator.keyboard import check_attachments
from max_emulator.world import ApiError, Message, bad_request

if TYPE_CHECKING:
    from max_emulator.core import MaxCore


def check_text(core: MaxCore, text: str | None) -> None:
    if text is not None and len(text) > core.limits.max_text:
        raise bad_request(
            "text", f"text is too long: {len(text)} characters, at most {core.limits.max_text}"
        )


def render_attachments(core: MaxCore, requested: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Check the attachment requests (uploads exist and are ready) and render them as MAX shows
    attachments in a message."""
    check_attachments(requested)
    rendered: list[dict[str, Any]] = []
    for index, attachment in enumerate(requested):
        kind = attachment["type"]
        payload = attachment.get("payload") or {}
        where = f"attachments[{index}].payload"
        if kind == "inline_keyboard":
            rendered.append({"type": "inline_keyboard", "payload": {"buttons": payload["buttons"]}})
        elif kind in ("file", "video", "audio"):
            rendered.append(
                core.file_attachment(_uploaded(core, payload.get("token"), kind, where))
            )
        elif kind == "image":
            rendered.append(_image(core, payload, where))
        elif kind == "sticker":
            code = payload["code"]
            url = f"{core.base_url}/stickers/{code}"
            rendered.append(
                {
                    "type": "sticker",
                    "payload": {"url": url, "code": code},
                    "width": 128,
                    "height": 128,
                }
            )
        elif kind == "location":
            rendered.append(
                {
                    "type": "location",
                    "latitude": attachment["latitude"],
                    "longitude": attachment["longitude"],
                }
            )
        elif kind == "contact":
            info = {k: payload.get(k) for k in ("vcf_info",) if payload.get(k) is not None}
            rendered.append({"type": "contact", "payload": info})
        else:  # share
            rendered.append({"type": "share", "payload": dict(payload)})
    return rendered


def _uploaded(core: MaxCore, token: Any, kind: str, where: str) -> Any:
    if not token:
        raise bad_request(f"{where}.token", "token is required")
    stored = core.files.get(str(token))
    if stored is None or stored.kind != kind:
        raise bad_request(f"{where}.token", f"no uploaded {kind} with this token")
    if core.clock.now() < stored.ready_at:
        raise ApiError(
            400, "attachment.not.ready", "Key: errors.process.attachment.file.not.processed"
        )
    return stored


def _image(core: MaxCore, payload: dict[str, Any], where: str) -> dict[str, Any]:
    token = payload.get("token")
    photos = payload.get("photos")
    if not token and photos:
        first = next(iter(photos.values()))
        token = first["token"]
    if token:
        return core.file_attachment(_uploaded(core, token, "image", where))
    url = payload.get("url")
    if not url:
        raise bad_request(where, "image needs a token, photos or url")
    return {
        "type": "image",
        "payload": {"photo_id": core.next_file_id(), "token": secrets.token_hex(12), "url": url},
    }


def render_link(core: MaxCore, link: dict[str, Any] | None) -> dict[str, Any] | None:
    if link is None:
        return None
    original = core.messages.get(link["mid"])
    if original is None or original.deleted:
        raise bad_request("link.mid", f"message {link['mid']} is not found")
    body: dict[str, Any] = {"mid": original.mid, "seq": original.seq, "text": original.text}
    if original.attachments:
        body["attachments"] = original.attachments
    return {
        "type": link["type"],
        "sender": core.sender_object(original.sender_id),
        "chat_id": original.chat_id,
        "message": body,
    }


def apply_edit(core: MaxCore, message: Message, body: dict[str, Any]) -> None:
    """Edit a message in place from a NewMessageBody: absent or null `attachments` keep them,
    `[]` removes them; checks everything before changing anything."""
    text = body.get("text", message.text)
    check_text(core, text)
    attachments = message.attachments
    if body.get("attachments") is not None:
        attachments = render_attachments(core, body["attachments"])
    if not text and not attachments:
        raise bad_request("text", "message is empty: give text or attachments")
    message.text = text
    message.attachments = attachments
    if "format" in body:
        message.format = body["format"]
