"""Pausing Python's cyclic garbage collector while a bulk job builds many long-lived objects."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class _Pauses:
    """Pauses in progress (an import, a wave, a catch-up's wave may overlap), and whether it was on before."""

    open = 0
    was_enabled = False
    # The reading worker pauses it from a second thread too (its rows found ahead).
    lock = threading.Lock()


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside; it resumes (if it was on) when the last overlapping pause ends.

    A 50,000-row table or a regional reminder wave builds a few hundred thousand objects that live a while
    (rows, people, figures, texts) and makes hardly any cycles; the collector's passes keep finding the heap
    grown and walk all of it again, a dozen times: seconds of CPU for nothing. Reference counting still frees
    everything; what other tasks leave in cycles meanwhile is collected when the last pause ends. A collector
    turned off elsewhere stays off.
    """
    with _Pauses.lock:
        if _Pauses.open == 0:
            _Pauses.was_enabled = gc.isenabled()
            gc.disable()
        _Pauses.open += 1
    try:
        yield
    finally:
        with _Pauses.lock:
            _Pauses.open -= 1
            if _Pauses.open == 0 and _Pauses.was_enabled:
                gc.enable()
