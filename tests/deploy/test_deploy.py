"""The deployment files: docker-compose.yml validates, the systemd units parse, the proxy forwards only the webhook."""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

SYSTEMD = ROOT / "deploy" / "systemd"
COMPOSE_ENV = {"SFERUM_DOMAIN": "bot.example.ru", "POSTGRES_PASSWORD": "secret", "SFERUM_WORKERS": "2"}


def _compose_command() -> list[str] | None:
    """`docker compose` (v2) where docker has it, else the standalone `docker-compose`, else None."""
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30, check=False)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def _layout(tmp_path: Path) -> Path:
    """The compose file with what it names (Dockerfile, deploy/), and the operator's deploy/env made up."""
    for name in ("docker-compose.yml", "Dockerfile"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "deploy", tmp_path / "deploy")
    shutil.copy(ROOT / "deploy" / "env.example", tmp_path / "deploy" / "env")
    return tmp_path


def test_compose_file_validates(tmp_path: Path) -> None:
    """`docker compose config -q` accepts docker-compose.yml (skipped where no compose is installed)."""
    command = _compose_command()
    if command is None:
        pytest.skip("нет ни `docker compose`, ни `docker-compose`: файл проверен только структурно")
    folder = _layout(tmp_path)
    env = {**os.environ, **COMPOSE_ENV}
    done = subprocess.run([*command, "config", "-q"], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    env.pop("POSTGRES_PASSWORD")
    missing = subprocess.run([*command, "config", "-q"], cwd=folder, env=env, capture_output=True, text=True,
                             timeout=120, check=False)
    assert missing.returncode != 0 and "POSTGRES_PASSWORD" in missing.stderr


def test_compose_layout_publishes_only_the_proxy() -> None:
    """Workers, PostgreSQL and Caddy are there; only Caddy publishes ports (443), the bot publishes none."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text("utf-8"))
    services = compose["services"]
    assert set(services) == {"bot", "postgres", "proxy"}
    assert "443:443" in services["proxy"]["ports"]
    assert "ports" not in services["bot"] and "ports" not in services["postgres"]
    assert services["bot"]["deploy"]["replicas"] == "${SFERUM_WORKERS:-1}"


@pytest.mark.parametrize("name", ["Caddyfile", "Caddyfile.systemd"])
def test_the_proxy_forwards_only_the_webhook_path(name: str) -> None:
    """Each Caddyfile proxies /max/webhook alone and answers 404 to everything else (/metrics included)."""
    text = (ROOT / "deploy" / "caddy" / name).read_text("utf-8")
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    assert re.findall(r"handle (\S+) \{\s*reverse_proxy", code) == ["/max/webhook"]
    assert code.count("reverse_proxy") == 1 and "respond 404" in code
    assert "metrics" not in code and "healthz" not in code and "readyz" not in code


def _units() -> dict[str, configparser.ConfigParser]:
    found = {}
    for path in sorted(SYSTEMD.iterdir()):
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        parser.read_string(path.read_text("utf-8"))
        found[path.name] = parser
    return found


def test_systemd_units_have_the_sections_they_need() -> None:
    """The worker template runs `sferum-bot run` with the env file, its port from the instance, in the target."""
    units = _units()
    assert set(units) == {"sferum-bot@.service", "sferum-bot.target"}
    worker = units["sferum-bot@.service"]
    assert worker["Service"]["ExecStart"].endswith("sferum-bot run --config /etc/sferum-bot/config.toml")
    assert worker["Service"]["Environment"] == "SFERUM_METRICS__PORT=%i"
    assert worker["Service"]["EnvironmentFile"] == "/etc/sferum-bot/env"
    assert "postgresql.service" in worker["Unit"]["After"]
    assert worker["Install"]["WantedBy"] == "sferum-bot.target"
    assert units["sferum-bot.target"]["Install"]["WantedBy"] == "multi-user.target"


def test_systemd_units_verify(tmp_path: Path) -> None:
    """`systemd-analyze verify` finds nothing wrong (ExecStart pointed at an existing binary: the venv is not here)."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("нет systemd-analyze: юниты проверены только структурно")
    unit = (SYSTEMD / "sferum-bot@.service").read_text("utf-8")
    (tmp_path / "sferum-bot@9108.service").write_text(
        unit.replace("/opt/sferum-bot/.venv/bin/sferum-bot", shutil.which("true") or "/bin/true"), "utf-8")
    shutil.copy(SYSTEMD / "sferum-bot.target", tmp_path / "sferum-bot.target")
    done = subprocess.run([analyze, "verify", "--man=no", str(tmp_path / "sferum-bot@9108.service"),
                           str(tmp_path / "sferum-bot.target")], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
