"""The official MAX TypeScript client (npm @maxhub/max-bot-api 0.3.1), unchanged, pointed at the
emulator with its `baseUrl` option, in polling and in webhook mode. It needs node and the package
installed by tests/max_emulator/clients/ts/install.sh (CI runs it); without them it is skipped."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from max_emulator import MaxEmulator
from tests.max_emulator.support import ANNA, TOKEN

CLIENT_DIR = Path(__file__).resolve().parent / "ts"
PACKAGE = CLIENT_DIR / "node_modules" / "@maxhub" / "max-bot-api" / "package.json"

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not PACKAGE.is_file(),
    reason="node or @maxhub/max-bot-api is missing: run tests/max_emulator/clients/ts/install.sh",
)


async def start_client(emu: MaxEmulator, mode: str) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        "node",
        str(CLIENT_DIR / "client.js"),
        emu.base_url,
        TOKEN,
        mode,
        cwd=CLIENT_DIR,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 60)
    if line.strip() != b"ready":
        assert process.stderr is not None
        error = await process.stderr.read()
        pytest.fail(f"the TypeScript client did not start: {line!r} {error.decode()[-2000:]}")
    return process


@pytest.fixture
async def stopper() -> AsyncIterator[list[asyncio.subprocess.Process]]:
    processes: list[asyncio.subprocess.Process] = []
    yield processes
    for process in processes:
        if process.returncode is None:
            process.terminate()
            await asyncio.wait_for(process.wait(), 20)


async def play_script(emu: MaxEmulator) -> None:
    """Start, press a button, write a message; check the bot's messages and answer."""
    control = emu.ops
    chat_id = control.start(ANNA, {"payload": "ts"})["chat_id"]
    greeting = (await control.wait_sent(chat_id, None, 1, 30))[0]
    assert greeting["text"] == "Здравствуйте! Вы учитель?"
    assert [b["payload"] for b in greeting["keyboard"][0]] == ["yes", "no"]
    control.press({"user_id": ANNA, "mid": greeting["mid"], "payload": "no"})
    control.say({"user_id": ANNA, "text": "Привет"})
    echo = await control.wait_sent(chat_id, greeting["seq"], 1, 30)
    assert echo[0]["text"] == "Эхо: Привет"
    answers = await control.wait_answers(ANNA, 1, 20)
    assert answers["items"][0]["notification"] == "Вы ответили: no"
    assert emu.state.stats.errors == {}


async def test_typescript_client_polling(
    emu: MaxEmulator, stopper: list[asyncio.subprocess.Process]
) -> None:
    """The official client's long polling (its first poll carries no marker) serves the script."""
    stopper.append(await start_client(emu, "polling"))
    assert await emu.state.updates.wait_poller(30)
    await play_script(emu)
    assert emu.state.stats.requests["GET /me"] >= 1


async def test_typescript_client_webhook(
    emu: MaxEmulator, stopper: list[asyncio.subprocess.Process]
) -> None:
    """The official client's webhook callback checks the secret and serves the script."""
    stopper.append(await start_client(emu, "webhook"))
    assert emu.state.subscriptions
    await play_script(emu)
    assert await emu.state.webhooks.wait_idle(20)
    assert emu.state.stats.webhook_failures == 0
