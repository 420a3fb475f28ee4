"""How much work a call does, counted without a clock: the lines of Python it runs in given source files.

A complexity guard for inputs of tens of thousands of items: run the code on n and on 2n items and
compare the counts (linear work doubles, quadratic work quadruples). No timing, so it holds on a busy
machine and under coverage.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import FrameType, ModuleType
from typing import Any


def lines_run(call: Callable[[], object], *modules: ModuleType) -> int:
    """How many lines of ``modules`` Python runs during ``call()`` (generator expressions included)."""
    files = {module.__file__ for module in modules}
    count = 0

    def trace(frame: FrameType, event: str, _arg: object) -> Any:
        nonlocal count
        if frame.f_code.co_filename not in files:
            return None
        if event == "line":
            count += 1
        return trace

    previous = sys.gettrace()  # a coverage or debugger tracer, given back after
    sys.settrace(trace)
    try:
        call()
    finally:
        sys.settrace(previous)
    return count
