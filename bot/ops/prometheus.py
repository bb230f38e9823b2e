"""The metrics port over prometheus_client, on a registry of its own (never the global one)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

MESSENGERS = ("vk", "max")
QUEUED = ("pending", "sending")
# Import durations: a roster of a few hundred rows takes well under a second, a regional table seconds.
IMPORT_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
CONTENT_TYPE = CONTENT_TYPE_LATEST


class PrometheusMetrics:
    """`bot.metrics.Metrics` as Prometheus counters, plus the queue gauges the endpoint sets on each scrape."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        r = self.registry
        self._sent = Counter("sferum_messages_sent", "Messages delivered, per messenger.", ["messenger"], registry=r)
        self._failed = Counter("sferum_messages_failed", "Messages given up on (refused, unreachable, out of "
                               "attempts), per messenger.", ["messenger"], registry=r)
        self._waits = Counter("sferum_rate_limit_waits", "Times a rate limiter held requests back, per messenger.",
                              ["messenger"], registry=r)
        self._waited = Counter("sferum_rate_limit_wait_seconds", "Seconds rate limiters held requests back, "
                               "per messenger.", ["messenger"], registry=r)
        self._imports = Histogram("sferum_import_duration_seconds", "How long an import of a table took, by "
                                  "kind and outcome.", ["kind", "outcome"], buckets=IMPORT_BUCKETS, registry=r)
        self._outbox = Gauge("sferum_outbox_queue", "Outbox messages still to deliver, per messenger and status.",
                             ["messenger", "status"], registry=r)
        self._inbox = Gauge("sferum_inbox_queue", "Received events still to handle.", registry=r)
        for messenger in MESSENGERS:  # zero from the start, so that rates work from the first scrape
            for family in (self._sent, self._failed, self._waits, self._waited):
                family.labels(messenger=messenger)
            for status in QUEUED:
                self._outbox.labels(messenger=messenger, status=status)

    def sent(self, messenger: str, count: int = 1) -> None:
        """`count` messages delivered."""
        self._sent.labels(messenger=messenger).inc(count)

    def failed(self, messenger: str, count: int = 1) -> None:
        """`count` messages given up on."""
        self._failed.labels(messenger=messenger).inc(count)

    def rate_limit_wait(self, messenger: str, seconds: float) -> None:
        """A limiter held requests back for `seconds`."""
        self._waits.labels(messenger=messenger).inc()
        self._waited.labels(messenger=messenger).inc(max(0.0, seconds))

    def import_finished(self, kind: str, outcome: str, seconds: float) -> None:
        """One import, timed."""
        self._imports.labels(kind=kind, outcome=outcome).observe(max(0.0, seconds))

    def queues(self, outbox: dict[tuple[str, str], int], inbox_pending: int) -> None:
        """The queue depths read from the database just now (absent pairs are zero)."""
        for messenger in MESSENGERS:
            for status in QUEUED:
                self._outbox.labels(messenger=messenger, status=status).set(outbox.get((messenger, status), 0))
        for (messenger, status), count in outbox.items():
            if messenger not in MESSENGERS:
                self._outbox.labels(messenger=messenger, status=status).set(count)
        self._inbox.set(inbox_pending)

    def render(self) -> bytes:
        """The registry in the Prometheus text format."""
        return generate_latest(self.registry)
