"""Several VK communities and MAX bots in one deployment: the list form, its checks, and each school's bot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.config import SINGLE_BOT, ConfigError, parse_settings

TWO_VK = {"communities": [{"name": "north", "token": "tn", "group_id": 11},
                          {"name": "south", "token_env": "SOUTH_VK_TOKEN", "group_id": 12, "rps": 5,
                           "api_url": "http://127.0.0.1:9/method"}]}
TWO_MAX = {"bots": [{"name": "north", "token": "mn"},
                    {"name": "south", "token": "ms", "mode": "webhook", "webhook_secret": "secret_1",
                     "public_url": "https://bot.example.ru/south", "webhook_path": "/max/south"}]}
SCHOOLS = [{"id": "a", "name": "Школа А"}, {"id": "b", "name": "Школа Б", "vk_community": "south", "max_bot": "south"}]


def settings(tmp_path: Path, env_file: Path | None = None, **data: Any) -> Any:
    return parse_settings(data, tmp_path, env_file=env_file)


def test_list_form_names_each_bot_and_schools_pick_theirs(tmp_path: Path) -> None:
    """Each community keeps its token, id, rate and address (a token may come from a named variable);
    a school names its bot, the others get the first one."""
    env = tmp_path / "env"
    env.write_text("SOUTH_VK_TOKEN=ts\n", encoding="utf-8")
    loaded = settings(tmp_path, env, vk=TWO_VK, max=TWO_MAX, schools=SCHOOLS)
    north, south = loaded.vk.running()
    assert (north.name, north.token.get_secret_value(), north.group_id) == ("north", "tn", 11)
    assert (south.token.get_secret_value(), south.rps, south.api_url) == ("ts", 5, "http://127.0.0.1:9/method/")
    assert [b.name for b in loaded.max.running()] == ["north", "south"]
    assert loaded.token == "tn" and loaded.max_token == "mn"
    assert [loaded.bot_of("vk", "a"), loaded.bot_of("vk", "b")] == ["north", "south"]
    assert [loaded.bot_of("max", "a"), loaded.bot_of("max", "b"), loaded.bot_of("max", None)] == [
        "north", "south", "north"]


def test_single_form_is_one_bot_named_main(tmp_path: Path) -> None:
    """Today's [vk]/[max] tables stay the one-bot form; without tokens no bot runs."""
    loaded = settings(tmp_path, vk={"token": "t", "group_id": 5, "rps": 7}, max={"token": "m"})
    [vk] = loaded.vk.running()
    assert (vk.name, vk.group_id, vk.rps, vk.token.get_secret_value()) == (SINGLE_BOT, 5, 7, "t")
    [max_bot] = loaded.max.running()
    assert (max_bot.name, max_bot.token.get_secret_value()) == (SINGLE_BOT, "m")
    assert loaded.bot_of("vk", "school1") == SINGLE_BOT
    empty = settings(tmp_path)
    assert empty.vk.running() == [] and empty.max.running() == [] and empty.token == ""


@pytest.mark.parametrize(("data", "message"), [
    ({"vk": {"token": "t", **TWO_VK}}, "уберите token и group_id из \\[vk\\]"),
    ({"vk": {"communities": [{"name": "a", "token": "1"}, {"name": "a", "token": "2"}]}},
     "имена сообществ повторяются: a"),
    ({"vk": {"communities": [{"name": "a", "token_env": "NOT_SET_ANYWHERE"}]}},
     "у сообщества «a» нет ключа доступа: задайте token или token_env"),
    ({"vk": {"communities": [{"name": "a", "token": "1", "group_id": 3}, {"name": "b", "token": "2", "group_id": 3}]}},
     "один и тот же group_id"),
    ({"vk": {"communities": [{"name": "Север", "token": "1"}]}}, "имя бота: латинские строчные буквы"),
    ({"max": {"token": "m", **TWO_MAX}}, "уберите token из \\[max\\]"),
    ({"max": {"bots": [{"name": "a"}]}}, "у бота «a» нет ключа доступа"),
    ({"max": {"bots": [{"name": "a", "token": "1", "mode": "webhook", "webhook_secret": "s_123", "public_url":
                        "https://x.ru/a"}, {"name": "b", "token": "2", "mode": "webhook", "webhook_secret": "s_123",
                                           "public_url": "https://x.ru/b"}]}},
     "одинаковые webhook_port и webhook_path"),
    ({"max": {"bots": [{"name": "a", "token": "1", "mode": "webhook"}]}}, "в режиме webhook задайте webhook_secret"),
    ({"vk": {"communities": TWO_VK["communities"][:1]}, "schools": [{"id": "a", "vk_community": "east"}]},
     "у школы «a» vk_community = «east», а такого сообщества нет в \\[\\[vk.communities\\]\\] \\(есть: north\\)"),
    ({"schools": [{"id": "a", "max_bot": "east"}]}, "такого бота нет в \\[\\[max.bots\\]\\] \\(есть: список пуст\\)"),
])
def test_mistakes_are_named_in_russian(tmp_path: Path, data: dict[str, Any], message: str) -> None:
    """Each mistake of the list form is one Russian line saying what to change (no empty key in it)."""
    with pytest.raises(ConfigError, match=message) as caught:
        settings(tmp_path, **data)
    assert "«»" not in str(caught.value)


def test_environment_token_beside_the_list_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SFERUM_VK__TOKEN is the single form's token: beside a list it is an error naming the variable."""
    monkeypatch.setenv("SFERUM_VK__TOKEN", "t")
    with pytest.raises(ConfigError, match="SFERUM_VK__TOKEN"):
        settings(tmp_path, vk=TWO_VK)
