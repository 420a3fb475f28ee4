"""``mailconf serve`` in a subprocess on 127.0.0.1 (a port the system chooses), and curl to ask it.

The server prints the address it listens on (``--bind 127.0.0.1:0``), so there is no race
for a free port. A thread reads its standard error (messages and the access log) into a list
that tests wait on; the process is ended in ``finally``, whatever happens.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent.parent
#: Seconds to wait for an expected line (a deadline, not an assertion on speed).
DEADLINE = 60.0
#: The Autodiscover request Outlook POSTs (Microsoft's Autodiscover POX documentation); ``address`` to fill in.
OUTLOOK_REQUEST = """<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
  <Request>
    <EMailAddress>{address}</EMailAddress>
    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
  </Request>
</Autodiscover>
"""


class Server:
    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.url = ""

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_for(self, pattern: str, start: int = 0) -> re.Match[str]:
        """The first line from ``start`` on that matches ``pattern``; fails after DEADLINE or when the server ended."""
        compiled = re.compile(pattern)
        deadline = time.monotonic() + DEADLINE
        with self._changed:
            while True:
                for line in self.lines[start:]:
                    found = compiled.search(line)
                    if found:
                        return found
                if self.proc.poll() is not None and not self._reader.is_alive():
                    raise AssertionError(
                        f"server ended ({self.proc.returncode}) before {pattern!r}:\n" + "\n".join(self.lines)
                    )
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no line matching {pattern!r} within {DEADLINE} s:\n" + "\n".join(self.lines))
                self._changed.wait(min(left, 0.5))

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=DEADLINE)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(timeout=DEADLINE)
        return code


def start(path: Path, *args: str, setup: str | None = None, pass_fds: Sequence[int] = ()) -> subprocess.Popen[str]:
    """``setup``: Python run in the server's process before mailconf's command line, for a test that must set
    one of its constants (a settle time long enough that a stalled machine cannot make a signal miss it).
    ``pass_fds``: descriptors the server inherits, as from a service manager."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    main = "import sys; from mailconf.cli import main; sys.exit(main())"
    program = [sys.executable, "-m", "mailconf"] if setup is None else [sys.executable, "-c", f"{setup}\n{main}"]
    command = [*program, "serve", "--bind", "127.0.0.1:0", *args, str(path)]
    return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, cwd=path.parent, pass_fds=pass_fds)  # fmt: skip


@contextmanager
def serving(path: Path, *args: str, setup: str | None = None, pass_fds: Sequence[int] = ()) -> Iterator[Server]:
    server = Server(start(path, *args, setup=setup, pass_fds=pass_fds))
    try:
        found = server.wait_for(r"listening on (http://127\.0\.0\.1:\d+)/")
        server.url = found.group(1)
        yield server
    finally:
        server.stop()


class Answer(NamedTuple):
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes


def curl(url: str, *args: str) -> Answer:
    """One request with the real curl: status, headers and body."""
    done = subprocess.run(["curl", "-sS", "-i", "--max-time", "30", *args, url], capture_output=True, check=True,
                          timeout=DEADLINE)  # fmt: skip
    raw = done.stdout
    while True:  # an interim "100 Continue" comes before the answer
        head, _, body = raw.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split()[1])
        if status != 100:
            break
        raw = body
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Answer(status, headers, body)


def lines_since(server: Server, start: int) -> Sequence[str]:
    return server.lines[start:]
