"""Subcommands of `sferum-bot`, one module per feature."""
