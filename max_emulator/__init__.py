"""A local MAX Bot API emulator for the bot's tests, benchmarks and demo (never imported by the
bot); the MAX emulator specification is its contract. In tests: `async with MaxEmulator(token=…)
as emu`, then `emu.base_url` for the bot, `emu.ops` (in process) or `emu.control()` (over HTTP)
to play the people."""

from max_emulator.client import MaxEmulatorControl
from max_emulator.server import MaxEmulator

__all__ = ["MaxEmulator", "MaxEmulatorControl"]
