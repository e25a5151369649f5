"""Python's cycle collector paused over work that makes many short-lived objects and no
cycles worth collecting: with those objects alive, each collection scans them again."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """The collector off inside the block, on again after it if it was on before. Across
    threads it is never left off: whoever found it on turns it back on."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
