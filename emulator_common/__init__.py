"""Machinery shared by the local VK and MAX emulators: clock, control-API plumbing, rate windows,
fault dice and schema-violation reporting (never imported by the bot)."""
