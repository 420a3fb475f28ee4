"""Calls run side by side, each in a daemon thread of its own; their outcomes are collected as they end.

The engine runs its lookups so, and a lookup the queries it sends (the MX step's URLs, the six SRV queries): a
call stuck in a DNS or HTTP read is abandoned, never waited for past the deadline (its thread, a daemon, holds up
neither the exit nor a Ctrl-C). Each call ends by the run's deadline on its own (every DNS and HTTP read does).
Which answer wins is the caller's to decide, by rank, never by the order answers arrive in.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from .env import Env

_T = TypeVar("_T")

#: A lookup waits for its better-ranked queries (when a worse-ranked one has answered) until this share of the
#: deadline has passed: before the engine stops waiting for better-ranked lookups (half the deadline, engine.py),
#: so that the lookup's answer is in by then.
STEP_PATIENCE = 0.4


def patience(env: Env) -> float:
    """By when (``time.monotonic()``) a lookup stops waiting for its better-ranked queries: :data:`STEP_PATIENCE`
    of the deadline."""
    return env.deadline - env.query.timeout * (1 - STEP_PATIENCE)


class Parallel(Generic[_T]):
    """``calls`` ((thread name, call) pairs), all started at once; :attr:`done` holds what each returned (a
    1-tuple) or raised, by its index in ``calls``, as they end."""

    def __init__(self, calls: Sequence[tuple[str, Callable[[], _T]]]) -> None:
        self.count = len(calls)
        self.done: dict[int, tuple[_T] | Exception] = {}
        #: what each call returned or raised, by its index; None: :meth:`wake`
        self._inbox: queue.Queue[tuple[int, tuple[_T] | Exception] | None] = queue.Queue()
        for index, (name, call) in enumerate(calls):
            threading.Thread(target=self._run, args=(index, call), name=f"mailconf {name}", daemon=True).start()

    def _run(self, index: int, call: Callable[[], _T]) -> None:
        outcome: tuple[_T] | Exception
        try:
            outcome = (call(),)
        except Exception as exc:  # noqa: BLE001 - handed to the caller, which tells a NotFound from a bug
            outcome = exc
        self._inbox.put((index, outcome))

    def get(self, index: int) -> _T:
        """What call ``index`` returned; what it raised is raised again."""
        outcome = self.done[index]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome[0]

    def pending(self) -> list[int]:
        return [index for index in range(self.count) if index not in self.done]

    def wake(self) -> None:
        """End a :meth:`wait` now, as a call that ends would (a call told something the waiter looks at)."""
        self._inbox.put(None)

    def wait(self, until: float | None) -> bool:
        """Until one more call has ended (and whatever else ended meanwhile is taken too), or :meth:`wake`, or
        ``until`` (``time.monotonic()``; None: no time but the calls' own, which end by the run's deadline, a moment
        after it); False when none ended, and nothing woke it, by then."""
        try:
            if until is None:
                item = self._inbox.get()
            else:
                left = until - time.monotonic()
                if left <= 0:
                    return False
                item = self._inbox.get(timeout=left)
        except queue.Empty:
            return False
        self._take(item)
        self.collect()
        return True

    def collect(self) -> None:
        """Take whatever has ended by now, without waiting."""
        while True:
            try:
                self._take(self._inbox.get_nowait())
            except queue.Empty:
                return

    def _take(self, item: tuple[int, tuple[_T] | Exception] | None) -> None:
        if item is not None:
            index, outcome = item
            self.done[index] = outcome
