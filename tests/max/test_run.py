"""`sferum-bot run` starts the messengers whose tokens are set; with neither it exits 2 naming both keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main


def test_run_without_any_token_names_both_keys(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """No VK and no MAX token: exit 2, one Russian message naming [vk] token and [max] token, nothing created."""
    monkeypatch.delenv("SFERUM_VK__TOKEN", raising=False)
    monkeypatch.delenv("SFERUM_MAX__TOKEN", raising=False)
    config = tmp_path / "config.toml"
    config.write_text('[storage]\ndata_dir = "data"\n', "utf-8")
    assert main(["run", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    for key in ("[vk] token", "SFERUM_VK__TOKEN", "[max] token", "SFERUM_MAX__TOKEN"):
        assert key in err
    assert "Traceback" not in err and not (tmp_path / "data").exists()
