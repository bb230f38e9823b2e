"""Upload hosts, docs.save / photos.saveMessagesPhoto and downloads over plain HTTP."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from tests.emulator.support import GROUP_ID, OTHER, USER, VKCall
from vk_emulator import Emulator, EmulatorControl


async def upload(
    session: aiohttp.ClientSession, url: str, field: str, name: str, data: bytes
) -> dict[str, Any]:
    form = aiohttp.FormData()
    form.add_field(field, data, filename=name, content_type="application/octet-stream")
    async with session.post(url, data=form) as response:
        body: dict[str, Any] = await response.json(content_type=None)
        return body


async def test_doc_upload_save_send_download(
    vk: VKCall, session: aiohttp.ClientSession, control: EmulatorControl
) -> None:
    server = (await vk("docs.getMessagesUploadServer", peer_id=USER, type="doc"))["response"]
    assert server["upload_url"].startswith("http://127.0.0.1:")
    uploaded = await upload(session, server["upload_url"], "file", "plan.pdf", b"%PDF-1.4")
    saved = (await vk("docs.save", file=uploaded["file"], title="План"))["response"]
    assert saved["type"] == "doc"
    doc = saved["doc"]
    assert doc["title"] == "План" and doc["ext"] == "pdf" and doc["size"] == 8
    attachment = f"doc{doc['owner_id']}_{doc['id']}"
    assert "response" in await vk("messages.send", peer_id=USER, random_id=0, attachment=attachment)
    (item,) = (await control.sent(USER))["items"]
    assert item["attachments"] == [
        {"type": "doc", "title": "План", "url": doc["url"], "id": doc["id"], "owner_id": -GROUP_ID}
    ]
    async with session.get(doc["url"]) as response:
        assert await response.read() == b"%PDF-1.4"


async def test_docs_save_rejects_unknown_files(vk: VKCall) -> None:
    assert (await vk("docs.save", file="nonsense"))["error"]["error_code"] == 100
    assert (await vk("docs.save"))["error"]["error_code"] == 100


async def test_upload_server_checks_the_peer(vk: VKCall) -> None:
    assert (await vk("docs.getMessagesUploadServer", peer_id=OTHER))["error"]["error_code"] == 901


async def test_upload_without_file_field(vk: VKCall, session: aiohttp.ClientSession) -> None:
    server = (await vk("docs.getMessagesUploadServer", peer_id=USER))["response"]
    body = await upload(session, server["upload_url"], "document", "a.txt", b"x")
    assert "error" in body and "file" not in body


async def test_photo_upload_with_any_field_name(
    vk: VKCall, session: aiohttp.ClientSession, control: EmulatorControl
) -> None:
    server = (await vk("photos.getMessagesUploadServer", peer_id=USER))["response"]
    uploaded = await upload(session, server["upload_url"], "file0", "a.jpg", b"JPEG")
    assert isinstance(uploaded["server"], int) and isinstance(uploaded["photo"], str)
    bad = await vk(
        "photos.saveMessagesPhoto", photo=uploaded["photo"], server=uploaded["server"], hash="wrong"
    )
    assert bad["error"]["error_code"] == 100
    photos = (
        await vk(
            "photos.saveMessagesPhoto",
            photo=uploaded["photo"],
            server=uploaded["server"],
            hash=uploaded["hash"],
        )
    )["response"]
    photo = photos[0]
    attachment = f"photo{photo['owner_id']}_{photo['id']}_{photo['access_key']}"
    assert "response" in await vk("messages.send", peer_id=USER, random_id=0, attachment=attachment)
    (item,) = (await control.sent(USER))["items"]
    assert item["attachments"][0]["type"] == "photo"
    async with session.get(item["attachments"][0]["url"]) as response:
        assert await response.read() == b"JPEG"


async def test_incoming_doc_from_a_person(
    emu: Emulator, vk: VKCall, session: aiohttp.ClientSession, control: EmulatorControl
) -> None:
    lp = (await vk("groups.getLongPollServer", group_id=GROUP_ID))["response"]
    await control.say(USER, "список", docs=[("класс.xlsx", b"PK\x03\x04")])
    async with session.get(
        lp["server"], params={"act": "a_check", "key": lp["key"], "ts": lp["ts"], "wait": "0"}
    ) as response:
        updates = (await response.json())["updates"]
    doc = updates[0]["object"]["message"]["attachments"][0]["doc"]
    assert doc["title"] == "класс.xlsx" and doc["owner_id"] == USER and doc["ext"] == "xlsx"
    async with session.get(doc["url"]) as response:
        assert await response.read() == b"PK\x03\x04"
    # The person's document can be forwarded back by its attachment string.
    body = await vk(
        "messages.send", peer_id=USER, random_id=0, attachment=f"doc{doc['owner_id']}_{doc['id']}"
    )
    assert "response" in body
    assert json.dumps(body)  # a plain JSON answer
