"""Transport, the error envelope and the simple read methods."""

from __future__ import annotations

import aiohttp

from tests.emulator.support import GROUP_ID, OTHER, TOKEN, USER, VKCall
from vk_emulator import Emulator, EmulatorControl


async def test_get_with_query_and_bearer_token(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    async with session.get(
        emu.api_url + "users.get",
        params={"user_ids": str(USER), "v": "5.199"},
        headers={"Authorization": f"Bearer {TOKEN}"},
    ) as response:
        body = await response.json()
    assert body["response"][0]["first_name"] == "Анна"


async def test_multipart_form_is_accepted(emu: Emulator, session: aiohttp.ClientSession) -> None:
    form = aiohttp.FormData()
    form.add_field("user_ids", f"{USER},{OTHER}")
    form.add_field("access_token", TOKEN)
    form.add_field("v", "5.199")
    async with session.post(emu.api_url + "users.get", data=form()) as response:
        body = await response.json()
    assert [u["id"] for u in body["response"]] == [USER, OTHER]


async def test_wrong_token_is_error_5_without_echoing_the_token(vk: VKCall) -> None:
    body = await vk("users.get", _token="wrong", user_ids=USER)
    error = body["error"]
    assert error["error_code"] == 5
    keys = [p["key"] for p in error["request_params"]]
    assert keys[:2] == ["method", "oauth"]
    assert {"key": "user_ids", "value": str(USER)} in error["request_params"]
    assert "access_token" not in keys
    assert "wrong" not in str(body)


async def test_unknown_method_is_error_3(vk: VKCall) -> None:
    body = await vk("wall.post", message="x")
    assert body["error"]["error_code"] == 3


async def test_strict_mode_rejects_parameters_outside_the_schema(vk: VKCall) -> None:
    body = await vk("users.get", user_ids=USER, colour="red")
    assert body["error"]["error_code"] == 100
    assert "colour" in body["error"]["error_msg"]


async def test_non_strict_mode_ignores_unknown_parameters(session: aiohttp.ClientSession) -> None:
    async with Emulator(token=TOKEN, group_id=GROUP_ID, strict=False) as emulator:
        emulator.seed_users([{"id": USER, "first_name": "A", "last_name": "B"}])
        form = {"user_ids": str(USER), "colour": "red", "access_token": TOKEN}
        async with session.post(emulator.api_url + "users.get", data=form) as response:
            body = await response.json()
    assert body["response"][0]["id"] == USER


async def test_wrongly_typed_parameter_is_error_100(vk: VKCall) -> None:
    body = await vk("messages.isMessagesFromGroupAllowed", group_id="abc", user_id=USER)
    assert body["error"]["error_code"] == 100


async def test_missing_required_parameter_is_error_100(vk: VKCall) -> None:
    body = await vk("messages.isMessagesFromGroupAllowed", group_id=GROUP_ID)
    assert body["error"]["error_code"] == 100
    assert "user_id" in body["error"]["error_msg"]


async def test_users_get_with_screen_names_and_fields(vk: VKCall) -> None:
    body = await vk("users.get", user_ids=f"anna,{OTHER},999", fields="screen_name")
    users = body["response"]
    assert [(u["id"], u["screen_name"]) for u in users] == [(USER, "anna"), (OTHER, "petr")]


async def test_resolve_screen_name(vk: VKCall) -> None:
    assert (await vk("utils.resolveScreenName", screen_name="anna"))["response"] == {
        "type": "user",
        "object_id": USER,
    }
    assert (await vk("utils.resolveScreenName", screen_name=f"club{GROUP_ID}"))["response"] == {
        "type": "group",
        "object_id": GROUP_ID,
    }
    assert (await vk("utils.resolveScreenName", screen_name="nobody"))["response"] == []


async def test_groups_get_by_id_has_the_5_199_shape(vk: VKCall) -> None:
    body = await vk("groups.getById")
    assert body["response"]["profiles"] == []
    assert body["response"]["groups"][0]["id"] == GROUP_ID
    assert (await vk("groups.getById", group_id=GROUP_ID + 1))["error"]["error_code"] == 100


async def test_long_poll_settings_follow_the_community(
    vk: VKCall, control: EmulatorControl
) -> None:
    body = await vk("groups.getLongPollSettings", group_id=GROUP_ID)
    assert body["response"]["is_enabled"] is True
    assert body["response"]["events"]["message_new"] == 1
    await control.community(long_poll=False, api_version="5.131", events=["message_reply"])
    settings = (await vk("groups.getLongPollSettings", group_id=GROUP_ID))["response"]
    assert settings["is_enabled"] is False
    assert settings["api_version"] == "5.131"
    assert settings["events"]["message_new"] == 0
    assert settings["events"]["message_reply"] == 1
    assert (await vk("groups.getLongPollServer", group_id=GROUP_ID))["error"]["error_code"] == 100


async def test_token_permissions_use_vk_bits(vk: VKCall, control: EmulatorControl) -> None:
    body = await vk("groups.getTokenPermissions")
    assert body["response"]["mask"] == 4096 + 4 + 131072 + 262144
    await control.community(token_scopes=["messages"])
    body = await vk("groups.getTokenPermissions")
    assert body["response"] == {
        "mask": 4096,
        "permissions": [{"name": "messages", "setting": 4096}],
    }
    # Without the docs scope, docs methods are refused.
    assert (await vk("docs.getMessagesUploadServer", peer_id=USER))["error"]["error_code"] == 15


async def test_stats_count_requests_and_errors(vk: VKCall, control: EmulatorControl) -> None:
    await vk("users.get", user_ids=USER)
    await vk("users.get", _token="bad", user_ids=USER)
    stats = await control.stats()
    assert stats["requests"]["users.get"] == 2
    assert stats["errors"] == {"5": 1}
    assert set(stats) == {"requests", "rate_limited", "deduplicated", "delivered", "errors"}


async def test_control_api_rejects_bad_input(control: EmulatorControl) -> None:
    from vk_emulator.client import ControlAPIError

    try:
        await control.add_user("x", "A", "B")  # type: ignore[arg-type]
    except ControlAPIError as error:
        assert error.status == 400
    else:
        raise AssertionError("a bad user id was accepted")
    users = await control.users()
    assert {u["id"] for u in users["items"]} == {USER, OTHER}


async def test_reset_forgets_people_and_counters(vk: VKCall, control: EmulatorControl) -> None:
    await vk("users.get", user_ids=USER)
    await control.reset()
    assert (await control.users())["items"] == []
    assert (await control.stats())["requests"] == {}


async def test_control_client_accepts_spec_shaped_dicts(control: EmulatorControl) -> None:
    await control.add_user(
        {"id": 300, "first_name": "Д", "last_name": "Е", "allows_messages": True}
    )
    chat = await control.add_chat({"chat_id": 4, "title": "t", "members": [300]})
    said = await control.say({"from_id": 300, "peer_id": chat["peer_id"], "text": "/start"})
    assert said["delivered_to_bot"] is True
    pressed = await control.press(
        {
            "user_id": 300,
            "peer_id": chat["peer_id"],
            "conversation_message_id": said["conversation_message_id"],
            "payload": {"a": 1},
        }
    )
    assert pressed["event_id"]
    assert (await control.chats())["items"][0]["members"] == [300]
