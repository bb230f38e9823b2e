"""Settings: the example file, validation messages, paths and the token from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import MAX_TOKEN_ENV, TOKEN_ENV, ConfigError, load_settings, parse_settings
from tests.conftest import ROOT


def test_example_config_loads_and_equals_defaults() -> None:
    """config.example.toml is valid and spells out exactly the built-in defaults."""
    example = load_settings(ROOT / "config.example.toml")
    defaults = parse_settings({}, ROOT)
    assert example.model_dump(exclude={"source"}) == defaults.model_dump(exclude={"source"})
    assert example.thresholds.messages == 3
    assert example.schools[0].timezone == "Europe/Moscow"


def test_no_config_file_uses_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --config and ./config.toml the defaults apply, data in ./data."""
    monkeypatch.chdir(tmp_path)
    settings = load_settings(None)
    assert settings.schools[0].id == "school1"
    assert settings.storage.data_dir == tmp_path / "data"


def test_relative_paths_resolve_against_config_folder(tmp_path: Path) -> None:
    """data_dir and faq_file are relative to the config file, not to the cwd."""
    conf = tmp_path / "etc" / "config.toml"
    conf.parent.mkdir()
    conf.write_text('[storage]\ndata_dir = "state"\n[[schools]]\nid = "s1"\nfaq_file = "faq.toml"\n', "utf-8")
    settings = load_settings(conf)
    assert settings.storage.data_dir == conf.parent / "state"
    assert settings.schools[0].faq_file == conf.parent / "faq.toml"


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("[vk]\ntokn = 'x'\n", "vk.tokn"),
        ("[[schools]]\nid = 's1'\ntimezone = 'Mars/Base'\n", "schools[0].timezone"),
        ("[[schools]]\nid = 'Школа 1'\n", "schools[0].id"),
        ("[[schools]]\nid = 's1'\ndirector_vk_id = -5\n", "schools[0].director_vk_id"),
        ("[[schools]]\nid = 's1'\n[schools.schedule]\nreminders = { day = 'mon', time = '25:00' }\n",
         "schools[0].schedule.reminders.time"),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, toml: str, expected: str) -> None:
    """A bad key or value gives one Russian line naming the key."""
    conf = tmp_path / "config.toml"
    conf.write_text(toml, "utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(conf)
    assert expected in str(err.value)
    assert "\n" not in str(err.value)


def test_token_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SFERUM_VK__TOKEN overrides the token in the file."""
    conf = tmp_path / "config.toml"
    conf.write_text("[vk]\ntoken = 'from-file'\n", "utf-8")
    monkeypatch.setenv(TOKEN_ENV, "from-env")
    assert load_settings(conf).token == "from-env"


def test_school_lookup(tmp_path: Path) -> None:
    """--org picks a school; with several schools and no --org the error says so."""
    settings = parse_settings({"schools": [{"id": "a"}, {"id": "b"}]}, tmp_path)
    assert settings.school("b").id == "b"
    with pytest.raises(ConfigError, match="--org"):
        settings.school(None)
    with pytest.raises(ConfigError, match="«c»"):
        settings.school("c")


def test_messenger_preference_defaults_to_max_and_is_checked(tmp_path: Path) -> None:
    """A school works in MAX unless it says "vk"; any other value is refused by name."""
    assert load_settings(ROOT / "config.example.toml").schools[0].messenger_preference == "max"
    path = tmp_path / "config.toml"
    path.write_text('[[schools]]\nid = "s1"\nmessenger_preference = "vk"\n', encoding="utf-8")
    assert load_settings(path).schools[0].messenger_preference == "vk"
    path.write_text('[[schools]]\nid = "s1"\nmessenger_preference = "telegram"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="messenger_preference"):
        load_settings(path)


def test_max_table_defaults_token_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """[max] defaults to platform-api2 and polling; SFERUM_MAX__TOKEN overrides the file's token."""
    example = load_settings(ROOT / "config.example.toml")
    assert example.max.api_url == "https://platform-api2.max.ru" and example.max.mode == "polling"
    assert example.max_token == "" and example.schools[0].deputy_max_ids == []
    conf = tmp_path / "config.toml"
    conf.write_text("[max]\ntoken = 'from-file'\n[[schools]]\nid = 's1'\ndirector_max_id = 7001\n", "utf-8")
    monkeypatch.setenv(MAX_TOKEN_ENV, "max-env")
    settings = load_settings(conf)
    assert settings.max_token == "max-env" and settings.schools[0].director_max_id == 7001


@pytest.mark.parametrize(
    ("secret", "ok"),
    [("abcde", True), ("A-z_09" * 40, True), ("abcd", False), ("a" * 257, False), ("секрет1", False),
     ("with space", False)],
)
def test_max_webhook_secret_is_checked(tmp_path: Path, secret: str, ok: bool) -> None:
    """In webhook mode the secret must be 5–256 of A–Z a–z 0–9 _ -; a bad one names [max]."""
    data = {"max": {"token": "t", "mode": "webhook", "webhook_secret": secret,
                    "public_url": "https://bot.example.ru/max/webhook"}}
    if ok:
        assert parse_settings(data, tmp_path).max.mode == "webhook"
    else:
        with pytest.raises(ConfigError, match="max"):
            parse_settings(data, tmp_path)


def test_max_webhook_mode_needs_secret_and_public_url(tmp_path: Path) -> None:
    """Webhook mode without a secret (or without an https public_url) is refused in Russian."""
    with pytest.raises(ConfigError, match="webhook_secret"):
        parse_settings({"max": {"token": "t", "mode": "webhook", "public_url": "https://x.ru/h"}}, tmp_path)
    with pytest.raises(ConfigError, match="public_url"):
        parse_settings({"max": {"token": "t", "mode": "webhook", "webhook_secret": "secret"}}, tmp_path)


def test_chats_migrate_to_max_by_default(tmp_path: Path) -> None:
    """[schools.migration] messenger is "max" in the example and by default; "sferum" is still accepted."""
    assert load_settings(ROOT / "config.example.toml").schools[0].migration.messenger == "max"
    assert parse_settings({}, tmp_path).schools[0].migration.messenger == "max"
    school = {"id": "s1", "migration": {"messenger": "sferum"}}
    assert parse_settings({"schools": [school]}, tmp_path).schools[0].migration.messenger == "sferum"


def test_max_token_from_an_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SFERUM_MAX__TOKEN in the environment file runs MAX, as SFERUM_VK__TOKEN runs VK."""
    monkeypatch.delenv(MAX_TOKEN_ENV, raising=False)
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    env = tmp_path / "env"
    env.write_text("SFERUM_MAX__TOKEN=max-file\n", "utf-8")
    settings = load_settings(ROOT / "config.example.toml", env_file=env)
    assert settings.max_token == "max-file" and settings.token == ""


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"max": {"mode": "hook"}}, "«max.mode»"),
        ({"max": {"webhook_path": "max/webhook"}}, "путь вебхука"),
        ({"max": {"api_url": "platform-api2.max.ru"}}, "http"),
        ({"schools": [{"id": "s1", "deputy_max_ids": [0]}]}, "id в MAX"),
        ({"schools": [{"id": "s1", "messenger_preference": "telegram"}]}, "messenger_preference"),
        ({"district": {"official_max_ids": ["x"]}}, "district.official_max_ids"),
    ],
)
def test_bad_max_keys_are_named(tmp_path: Path, data: dict[str, object], expected: str) -> None:
    """A wrong MAX key or value is one line naming it."""
    with pytest.raises(ConfigError) as err:
        parse_settings(data, tmp_path)
    assert expected in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"max": {"mode": "hook"}}, 'допустимо одно из значений: "webhook" или "polling"'),
        ({"max": {"webhook_port": 70000}}, "не больше 65535"),
        ({"max": {"webhook_port": "восемь"}}, "нужно целое число"),
        ({"fairness": {"enabled": "да"}}, "true или false"),
        ({"schools": []}, "не меньше 1"),
    ],
)
def test_validation_messages_are_russian(tmp_path: Path, data: dict[str, object], expected: str) -> None:
    """pydantic's English messages come out in Russian, naming the key."""
    with pytest.raises(ConfigError) as err:
        parse_settings(data, tmp_path)
    assert expected in str(err.value) and "Input should" not in str(err.value)
