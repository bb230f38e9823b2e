"""An in-memory unit of work: hands out a fresh handle per transaction and remembers which are open."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class FakeTx:
    """One transaction's handle; `open` while its block runs."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.open = True


class FakeTransactions:
    """`bot.stores.transactions.Transactions` for service tests: every handle it opened, in order."""

    def __init__(self) -> None:
        self.opened: list[FakeTx] = []

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[FakeTx]:
        tx = FakeTx(len(self.opened) + 1)
        self.opened.append(tx)
        try:
            yield tx
        finally:
            tx.open = False


def check_open(tx: object) -> None:
    """A fake store's `*_in` method is only ever called inside an open fake transaction."""
    assert isinstance(tx, FakeTx) and tx.open, "written outside an open transaction"
