"""A local VK API 5.199 emulator for the bot's tests, benchmarks and demo (never imported by the bot)."""

from vk_emulator.client import EmulatorControl
from vk_emulator.server import Emulator

__all__ = ["Emulator", "EmulatorControl"]
