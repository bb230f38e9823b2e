"""The messenger-neutral conversation layer: events, replies, payloads, the router.

Nothing here knows a messenger's wire format; each adapter (`bot/vk/` today)
translates its updates into `events` and lays `replies` out within its limits.
"""
