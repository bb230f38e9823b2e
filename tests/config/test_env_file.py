"""--env-file and `env_file`: the token file the systemd unit and every command read the same way."""

from __future__ import annotations

import argparse
import configparser
import grp
import os
import pwd
import re
import shlex
import stat
import subprocess
from pathlib import Path

import pytest

from bot.cli import build_parser, main
from bot.config import TOKEN_ENV, ConfigError, load_settings
from bot.demo.fixture import load_fixture
from tests.conftest import ROOT

EXAMPLE = ROOT / "config.example.toml"


@pytest.fixture(autouse=True)
def _no_token_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test decides where the token comes from."""
    monkeypatch.delenv(TOKEN_ENV, raising=False)


def _config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(extra + EXAMPLE.read_text("utf-8"), "utf-8")
    return path


def test_env_file_supplies_the_token_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file's SFERUM_VK__TOKEN is the token; a variable already in the environment wins."""
    env = tmp_path / "env"
    env.write_text("# ключ сообщества\nSFERUM_VK__TOKEN='из-файла'\nOTHER=1\n", "utf-8")
    assert load_settings(_config(tmp_path), env_file=env).token == "из-файла"
    monkeypatch.setenv(TOKEN_ENV, "из-окружения")
    assert load_settings(_config(tmp_path), env_file=env).token == "из-окружения"


def test_env_file_key_in_the_config_is_relative_to_it(tmp_path: Path) -> None:
    """`env_file` in config.toml works like --env-file; a relative path is read beside the config."""
    (tmp_path / "secrets.env").write_text("SFERUM_VK__TOKEN=k1\n", "utf-8")
    settings = load_settings(_config(tmp_path, 'env_file = "secrets.env"\n'))
    assert settings.token == "k1" and settings.env_file == tmp_path / "secrets.env"
    other = tmp_path / "other.env"
    other.write_text("SFERUM_VK__TOKEN=k2\n", "utf-8")
    assert (
        load_settings(_config(tmp_path, 'env_file = "secrets.env"\n'), env_file=other).token == "k2"
    )


def test_bad_env_files_are_one_russian_line(tmp_path: Path) -> None:
    """A missing file, a folder and a line that is not NAME=value are named; nothing else happens."""
    with pytest.raises(ConfigError, match="не найден"):
        load_settings(_config(tmp_path), env_file=tmp_path / "missing")
    with pytest.raises(ConfigError, match="не читается"):
        load_settings(_config(tmp_path), env_file=tmp_path)
    bad = tmp_path / "bad.env"
    bad.write_text("SFERUM_VK__TOKEN=ok\nэто не переменная\n", "utf-8")
    with pytest.raises(ConfigError, match=r"bad\.env, строка 2: ожидается ИМЯ=значение"):
        load_settings(_config(tmp_path), env_file=bad)


def test_a_bad_env_file_exits_2_from_any_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command line refuses a missing --env-file with code 2 and a Russian line."""
    code = main(
        ["status", "--config", str(_config(tmp_path)), "--env-file", str(tmp_path / "nope")]
    )
    assert code == 2
    assert "файл с переменными окружения" in capsys.readouterr().err


def _leaves(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                if sub.get_default("func") is not None:
                    found.append(((*path, name), sub))
                found.extend(_leaves(sub, (*path, name)))
    return found


def test_every_command_takes_config_and_env_file() -> None:
    """Each subcommand has --config and --env-file."""
    leaves = _leaves(build_parser())
    assert len(leaves) >= 15
    for path, sub in leaves:
        options = {o for a in sub._actions for o in a.option_strings}
        assert {"--config", "--env-file"} <= options, path


def test_offline_commands_work_with_a_plain_example_copy_and_no_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Commands that need no messenger run on a copy of config.example.toml without any token."""
    config = str(_config(tmp_path))
    fixture = load_fixture()
    roster, stats = tmp_path / "roster.csv", tmp_path / "stats.csv"
    roster.write_bytes(fixture.roster_csv())
    stats.write_bytes(fixture.stats_csv(1))
    commands = [
        ["ask", "как зайти в сферум через вк"],
        ["import-roster", str(roster)],
        ["import-stats", str(stats)],
        ["remind", "--dry-run"],
        ["report", "migration"],
        ["summary"],
        ["status"],
        ["backup", str(tmp_path / "copy.sqlite3")],
        ["export-person", "--person", "1"],
    ]
    for argv in commands:
        code = main([*argv, "--config", config])
        out, err = capsys.readouterr()
        assert code == 0, (argv, err)
        assert "ключ" not in err and "Traceback" not in err, (argv, err)


def _readme_block(title: str) -> str:
    text = (ROOT / "README.md").read_text("utf-8")
    section = text.split(title, 1)[1]
    match = re.search(r"```bash\n(.*?)\n```", section, re.S)
    assert match
    return match.group(1)


def _option(words: list[str], name: str) -> str:
    return words[words.index(name) + 1]


def test_documented_deployment_steps_make_a_root_sferum_0640_file_both_sides_read(
    tmp_path: Path,
) -> None:
    """The README's steps create the token file with `install -m 640 -o root -g sferum` and fill it;
    run here as the current user and group, the file has their owner and mode 640; the unit and the
    README's doctor read that same file with --env-file, and the token comes out of it."""
    steps = _readme_block("## Запуск как служба").splitlines()
    env_lines = [line.split("#", 1)[0].strip() for line in steps if "/etc/sferum-bot/env" in line]
    install = next(line for line in env_lines if line.startswith("sudo install "))
    assert "-m 640" in install and "-o root" in install and "-g sferum" in install
    user = pwd.getpwuid(os.getuid()).pw_name
    group = grp.getgrgid(os.getgid()).gr_name
    etc = tmp_path / "etc"
    etc.mkdir()
    for line in env_lines:
        if line.startswith(("sudo install ", "echo ")):
            local = (
                line.replace("/etc/sferum-bot", str(etc))
                .replace("sudo ", "")
                .replace("-o root", f"-o {user}")
                .replace("-g sferum", f"-g {group}")
            )
            subprocess.run(["bash", "-euo", "pipefail", "-c", local], check=True, timeout=30)
    env = etc / "env"
    info = env.stat()
    assert stat.S_IMODE(info.st_mode) == 0o640
    assert (info.st_uid, info.st_gid) == (os.getuid(), os.getgid())

    doctor = shlex.split(next(line for line in steps if " doctor " in line))
    readme_env = _option(doctor, "--env-file")
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(ROOT / "deploy" / "sferum-bot.service", encoding="utf-8")
    exec_start = shlex.split(unit["Service"]["ExecStart"])
    assert _option(exec_start, "--env-file") == readme_env == "/etc/sferum-bot/env"
    assert "EnvironmentFile" not in unit["Service"]  # one mechanism: the bot reads the file itself
    args = build_parser().parse_args(
        [w.replace("/etc/sferum-bot", str(etc)) for w in doctor[doctor.index("doctor") :]]
    )
    (etc / "config.toml").write_text(EXAMPLE.read_text("utf-8"), "utf-8")
    assert load_settings(args.config, args.env_file).token == "ваш-ключ"
