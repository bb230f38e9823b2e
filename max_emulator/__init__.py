"""A local MAX Bot API emulator for the bot's tests, benchmarks and demo (never imported by the
bot); `../shared/specs/max-emulator.md` is its contract."""

from max_emulator.server import MaxEmulator

__all__ = ["MaxEmulator"]
