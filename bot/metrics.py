"""The metrics port: what the senders, the rate limiters and the imports report about their work.

Neutral on purpose: services and adapters call these methods and never see Prometheus; the
composition root passes `bot.ops.prometheus.PrometheusMetrics` (one registry per app) or leaves
the no-op `NULL_METRICS`.
"""

from __future__ import annotations

from typing import Protocol


class Metrics(Protocol):
    """Counters and timings of one running bot."""

    def sent(self, messenger: str, count: int = 1) -> None:
        """`count` messages were delivered to `messenger` ("vk" or "max")."""
        ...

    def failed(self, messenger: str, count: int = 1) -> None:
        """`count` messages were given up on (refused, unreachable, out of attempts)."""
        ...

    def rate_limit_wait(self, messenger: str, seconds: float) -> None:
        """A rate limiter held requests to `messenger` back for `seconds`."""
        ...

    def import_finished(self, kind: str, outcome: str, seconds: float) -> None:
        """An import of `kind` ("roster", "stats") ended with `outcome` ("applied", "preview", "refused")."""
        ...


class NullMetrics:
    """Reports nothing: the default where no metrics are wanted (the CLI, tests, the demo)."""

    def sent(self, messenger: str, count: int = 1) -> None:
        """Nothing."""

    def failed(self, messenger: str, count: int = 1) -> None:
        """Nothing."""

    def rate_limit_wait(self, messenger: str, seconds: float) -> None:
        """Nothing."""

    def import_finished(self, kind: str, outcome: str, seconds: float) -> None:
        """Nothing."""


NULL_METRICS: Metrics = NullMetrics()
