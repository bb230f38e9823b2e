"""A unit of work spanning several stores: one transaction, an opaque handle the stores' `*_in` methods take."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol, TypeAlias

#: An open transaction as the store that opened it knows it (storage: a connection). Services only pass
#: it on to `*_in` methods (and `Outbound.enqueue_in`), never look inside.
Tx: TypeAlias = Any


class Transactions(Protocol):
    """Opens transactions (storage.sql.Database)."""

    def transaction(self) -> AbstractAsyncContextManager[Tx]:
        """Everything done with the handle commits together, or nothing does."""
        ...
