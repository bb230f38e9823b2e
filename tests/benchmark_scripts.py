"""Benchmark scripts that tests drive as real processes, loaded once by file (benchmarks/ is no package)."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from tests.conftest import ROOT


def load(name: str) -> ModuleType:
    """The module `benchmarks/<name>.py`, registered under `name` so a second load reuses it."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
