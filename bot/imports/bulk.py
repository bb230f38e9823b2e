"""Helpers for handling a whole table at once."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a table is read and matched.

    A 50,000-row table builds a few hundred thousand long-lived rows, dicts and tuples and
    makes hardly any cycles; the collector would walk them all again and again (about a
    third of the import's time) for nothing. Reference counting still frees everything, and
    the collector resumes afterwards. Only the outermost pause resumes it.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
