"""Two-step uploads: `POST /uploads`, the upload URL (multipart field `data`), then the token."""

from __future__ import annotations

from typing import Any

import aiohttp

from max_emulator.control import Control
from tests.max_emulator.support import ANNA, Call


async def upload(
    session: aiohttp.ClientSession, url: str, name: str, data: bytes
) -> aiohttp.ClientResponse:
    form = aiohttp.FormData()
    form.add_field("data", data, filename=name, content_type="application/octet-stream")
    response = await session.post(url, data=form)
    await response.read()
    return response


async def test_file_upload_and_send(
    api: Call, ctl: Control, session: aiohttp.ClientSession
) -> None:
    """`file` answers {url}; the upload answers {token}; the sent file downloads again."""
    chat_id = ctl.start(ANNA, {})["chat_id"]
    endpoint = await api("POST", "/uploads", type="file")
    assert set(endpoint.body) == {"url"}
    response = await upload(session, endpoint.body["url"], "plan.xlsx", b"xlsx-bytes")
    token = (await response.json())["token"]
    sent = await api(
        "POST",
        "/messages",
        {"text": "План", "attachments": [{"type": "file", "payload": {"token": token}}]},
        user_id=ANNA,
    )
    attachment = sent.body["message"]["body"]["attachments"][0]
    assert attachment["filename"] == "plan.xlsx" and attachment["size"] == len(b"xlsx-bytes")
    item = ctl.sent_items(chat_id, None)[0]
    assert item["attachments"][0]["filename"] == "plan.xlsx"
    async with session.get(item["attachments"][0]["url"]) as download:
        assert await download.read() == b"xlsx-bytes"


async def test_upload_url_is_single_use(api: Call, session: aiohttp.ClientSession) -> None:
    """A second upload to the same URL is 404; a part not named `data` is 400."""
    url = (await api("POST", "/uploads", type="file")).body["url"]
    form = aiohttp.FormData()
    form.add_field("file", b"x", filename="a.txt")
    async with session.post(url, data=form) as wrong:
        assert wrong.status == 400
    assert (await upload(session, url, "a.txt", b"x")).status == 200
    assert (await upload(session, url, "a.txt", b"x")).status == 404


async def test_image_video_and_old_type(
    api: Call, ctl: Control, session: aiohttp.ClientSession
) -> None:
    """image answers photos{id: {token}}; video answers {url, token} and the upload answers XML;
    type=photo is refused."""
    ctl.start(ANNA, {})
    url = (await api("POST", "/uploads", type="image")).body["url"]
    photos = (await (await upload(session, url, "chart.png", b"png")).json())["photos"]
    sent = await api(
        "POST",
        "/messages",
        {"attachments": [{"type": "image", "payload": {"photos": photos}}]},
        user_id=ANNA,
    )
    assert sent.body["message"]["body"]["attachments"][0]["type"] == "image"
    video = await api("POST", "/uploads", type="video")
    assert set(video.body) == {"url", "token"}
    answer = await upload(session, video.body["url"], "clip.mp4", b"mp4")
    assert "<retval>1</retval>" in await answer.text()
    assert (await api("POST", "/uploads", type="photo")).status == 400


async def test_attachment_not_ready(
    api: Call, ctl: Control, session: aiohttp.ClientSession
) -> None:
    """While attachment_ready_after_s is above 0 an early send is 400 attachment.not.ready."""
    ctl.start(ANNA, {})
    ctl.set_limits({"rps": None, "per_chat_rps": None, "attachment_ready_after_s": 5})
    ctl.set_clock({"frozen": True})
    url = (await api("POST", "/uploads", type="file")).body["url"]
    token = (await (await upload(session, url, "a.pdf", b"%PDF")).json())["token"]
    body: dict[str, Any] = {"attachments": [{"type": "file", "payload": {"token": token}}]}
    early = await api("POST", "/messages", body, user_id=ANNA)
    assert (early.status, early.body["code"]) == (400, "attachment.not.ready")
    ctl.set_clock({"advance_s": 5})
    assert (await api("POST", "/messages", body, user_id=ANNA)).status == 200


async def test_file_must_be_alone(api: Call, ctl: Control, session: aiohttp.ClientSession) -> None:
    """A file with anything else (another file, an image, a keyboard) is 400; an unknown token too."""
    ctl.start(ANNA, {})
    tokens = []
    for _ in range(2):
        url = (await api("POST", "/uploads", type="file")).body["url"]
        tokens.append((await (await upload(session, url, "a.txt", b"a")).json())["token"])
    files = [{"type": "file", "payload": {"token": t}} for t in tokens]
    keyboard = {
        "type": "inline_keyboard",
        "payload": {"buttons": [[{"type": "callback", "text": "Да", "payload": "yes"}]]},
    }
    two = await api("POST", "/messages", {"attachments": files}, user_id=ANNA)
    assert two.status == 400 and "only one file" in two.body["message"]
    with_keyboard = await api(
        "POST", "/messages", {"attachments": [files[0], keyboard]}, user_id=ANNA
    )
    assert with_keyboard.status == 400
    unknown = await api(
        "POST",
        "/messages",
        {"attachments": [{"type": "file", "payload": {"token": "zz"}}]},
        user_id=ANNA,
    )
    assert unknown.status == 400 and unknown.body["message"].startswith(
        "attachments[0].payload.token:"
    )
