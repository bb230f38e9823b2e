"""One pause of the cyclic garbage collector shared by imports and waves, which may overlap in any order."""

from __future__ import annotations

import gc
from contextlib import ExitStack

from bot.collector import collector_paused


def test_overlapping_pauses_resume_the_collector_only_when_the_last_ends() -> None:
    assert gc.isenabled()
    with ExitStack() as import_, ExitStack() as wave:
        import_.enter_context(collector_paused())
        wave.enter_context(collector_paused())
        import_.close()  # the import ends first: the wave is still running
        assert not gc.isenabled()
        wave.close()
        assert gc.isenabled()


def test_a_collector_turned_off_elsewhere_stays_off() -> None:
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_failed_job_resumes_the_collector() -> None:
    try:
        with collector_paused():
            raise ValueError
    except ValueError:
        pass
    assert gc.isenabled()
