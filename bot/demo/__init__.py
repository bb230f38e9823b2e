"""The demo: the emulator, a demo school and the bot in one process."""
