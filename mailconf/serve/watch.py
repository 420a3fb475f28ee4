"""Reload on SIGHUP or when the file changes: a thread that polls the file's signature.

The poll compares device, inode, size and modification time (nanoseconds) every
``interval`` seconds: an edit in place changes size or mtime, an editor or ``mv`` that
replaces the file changes the inode. SIGHUP (:meth:`Watcher.wake`) reloads at once, even
when nothing seems to have changed. The reload runs in this thread, never in the server's
I/O thread, so requests go on being answered from the old site while the new one is built.
A change is loaded once the file has stayed the same for :data:`SETTLE` seconds. Once the server is
told to stop (:meth:`Watcher.halt`), no reload starts, not even of a change that was settling.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from .site import FileSignature, signature

#: Seconds a changed file must stay unchanged before it is loaded.
SETTLE = 0.2


class Watcher:
    def __init__(self, path: str, interval: float, last: FileSignature | None, reload: Callable[[], None]) -> None:
        self.path = path
        self.interval = interval  # 0: no polling, SIGHUP only
        self.last = last
        self.reload = reload
        self._wake = threading.Event()
        self._stop = False
        self.thread = threading.Thread(target=self._run, name="mailconf-reload", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def wake(self) -> None:
        """Reload now (called from the SIGHUP handler: it only sets a flag)."""
        self._wake.set()

    def halt(self) -> None:
        """Start no reload from now on (called from the SIGTERM handler: it only sets a flag, and takes no lock)."""
        self._stop = True

    def stop(self) -> None:
        """Start no reload from now on, and end the thread once a reload under way is done."""
        self.halt()
        self._wake.set()

    def _run(self) -> None:
        while True:
            woken = self._wake.wait(self.interval or None)
            self._wake.clear()
            if self._stop:
                return
            now = signature(self.path)
            if not woken and now != self.last and not self._settled(now):
                continue  # still being written: look again at the next poll
            if self._stop:  # a stop came while the change settled: the server is going away, a reload is wasted
                return
            if woken or now != self.last:
                self.last = now
                self.reload()

    def _settled(self, seen: FileSignature | None) -> bool:
        """True when the file still has the signature ``seen`` a moment later.

        An editor or ``cat > file`` writing in place passes through truncated states; one
        cut at an account boundary would even be valid, and serve fewer accounts.
        """
        self._wake.wait(SETTLE)
        return signature(self.path) == seen
