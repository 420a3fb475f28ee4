"""Reload on SIGHUP or when the file changes: a thread that polls the file's signature.

The poll compares device, inode, size, modification and status-change time (nanoseconds) every
``interval`` seconds: an edit in place changes size or mtime, an editor or ``mv`` that replaces the
file changes the inode, a chmod or chown changes only the ctime (and can make the file unreadable,
or readable again: a reload says which, and costs little). A change is loaded once the file has
stayed the same for :data:`SETTLE` seconds. SIGHUP (:meth:`Watcher.wake`) reloads at once, even when
nothing seems to have changed. One SIGHUP or one change is one reload, also when they come together;
a SIGHUP that comes while a reload is under way is answered by another (the file may have changed
after it was read). The reload runs in this thread, never in the server's I/O thread, so requests go
on being answered from the old site while the new one is built. Once the server is told to stop
(:meth:`Watcher.halt`), no reload starts, not even of a change that was settling.
"""

from __future__ import annotations

import os
import select
import threading
from collections.abc import Callable
from contextlib import suppress

from .site import FileSignature, signature

#: Seconds a changed file must stay unchanged before it is loaded.
SETTLE = 0.2


class _Bell:
    """What the signal handlers ring to wake the watcher's thread: a pipe, not a threading.Event.

    A handler runs in the main thread between two bytecodes, so a second SIGHUP can run its handler inside
    the first one's ``Event.set()``, which holds the Event's lock: the second ``set()`` then waited for that
    lock for ever, and with it the main thread, waitress's loop and every request (20,000 SIGHUPs in a row
    did it at once). Writing a byte to a non-blocking pipe takes no lock; a full pipe is a bell rung already.
    Never closed: a handler may ring it until the process ends. Waited on with poll(), not select(): select()
    cannot watch a descriptor of 1024 or more (ValueError), and a server started with many descriptors open (a
    service manager's LimitNOFILE, descriptors it passes) gets numbers past that for its own.
    """

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)
        self._poll = select.poll()
        self._poll.register(self._read, select.POLLIN)

    def ring(self) -> None:
        with suppress(BlockingIOError):  # full: rung already, and not heard yet
            os.write(self._write, b"\0")

    def wait(self, timeout: float | None) -> None:
        """Until the bell is rung (now or since the last clear), or ``timeout`` seconds (None: no limit)."""
        self._poll.poll(None if timeout is None else timeout * 1000)  # milliseconds

    def clear(self) -> None:
        try:
            while os.read(self._read, 4096):
                pass
        except BlockingIOError:  # emptied
            pass


class Watcher:
    def __init__(self, path: str, interval: float, last: FileSignature | None, reload: Callable[[], None]) -> None:
        self.path = path
        self.interval = interval  # 0: no polling, SIGHUP only
        self.last = last
        self.reload = reload
        self._wake = _Bell()  # wakes the thread; what woke it is in the fields below
        self._asked = 0  # SIGHUPs received
        self._stop = False
        self.thread = threading.Thread(target=self._run, name="mailconf-reload", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def wake(self) -> None:
        """Reload now (called from the SIGHUP handler: it counts the SIGHUP and sets a flag)."""
        # Written only in the main thread, where signal handlers run. A SIGHUP whose handler runs inside this one's
        # `+=` is counted once with it: both came before the reload that answers them, and one reload is right.
        self._asked += 1
        self._wake.ring()

    def halt(self) -> None:
        """Start no reload from now on (called from the SIGTERM handler: it only sets a flag, and takes no lock)."""
        self._stop = True

    def stop(self) -> None:
        """Start no reload from now on, and end the thread once a reload under way is done."""
        self.halt()
        self._wake.ring()

    def _run(self) -> None:
        answered = 0  # SIGHUPs answered: those counted before a reload started, and so before it read the file
        while True:
            self._wake.wait(self.interval or None)
            self._wake.clear()  # before the count is read: a SIGHUP after this sets it again, seen at the next turn
            if self._stop:
                return
            asked = self._asked
            now = signature(self.path)
            if asked == answered and now != self.last:
                # A change is loaded once it has settled: an editor or `cat > file` writing in place passes through
                # truncated states; one cut at an account boundary would even be valid, and serve fewer accounts.
                # A SIGHUP meanwhile ends the wait, and the one reload below answers both: the file it reads is
                # the one the SIGHUP was about (the SIGHUP was left set, and a second, identical reload followed)
                self._wake.wait(SETTLE)
                self._wake.clear()
                asked = self._asked
                later = signature(self.path)
                if asked == answered and later != now:
                    continue  # still being written: look again at the next poll
                now = later
            if self._stop:  # a stop came while the change settled: the server is going away, a reload is wasted
                return
            if asked != answered or now != self.last:
                answered = asked
                self.last = now
                self.reload()
