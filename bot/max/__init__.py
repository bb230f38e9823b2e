"""The MAX adapter: the Bot API client, the messenger ports and the updates bridge (MAX's bot platform)."""
