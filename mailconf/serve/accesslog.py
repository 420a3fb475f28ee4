"""The access log: one line per request in the Combined Log Format (Apache's and nginx's default).

``%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"``. What the client wrote (the
request line, Referer, User-Agent) is escaped the way nginx escapes it: a double quote, a
backslash, and every byte outside printable ASCII as ``\\xHH``, so a request cannot forge a
log line or recolour a terminal. Nothing secret reaches it: the server never sees one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

Environ = dict[str, Any]
StartResponse = Callable[..., Any]

_PLAIN = frozenset(chr(c) for c in range(0x20, 0x7F)) - {'"', "\\"}


def escape(text: str) -> str:
    """``text`` from the WSGI environ, each byte the client sent outside printable ASCII as ``\\xHH``.

    A WSGI server gives each byte of a header as one character (PEP 3333: the bytes decoded as
    Latin-1), so the byte is the character's Latin-1 code: ``é`` was one byte E9, and a client's UTF-8
    ``é`` arrives as the two characters ``Ã©``. Only text that is not from a WSGI server can hold more.
    """
    if _PLAIN.issuperset(text):
        return text
    return "".join(ch if ch in _PLAIN else "".join(f"\\x{b:02X}" for b in _bytes(ch)) for ch in text)


def _bytes(ch: str) -> bytes:
    return ch.encode("latin-1") if ord(ch) < 0x100 else ch.encode("utf-8", "surrogateescape")


class AccessLog:
    """WSGI middleware writing one line per request through ``write`` (the command gives it standard error)."""

    def __init__(self, app: Callable[[Environ, StartResponse], Iterable[bytes]], write: Callable[[str], None]) -> None:
        self.app = app
        self.write = write
        self._lock = threading.Lock()  # whole lines, from every worker thread
        self._second = -1
        self._stamp = ""

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        seen: list[str] = []

        def recording(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen.append(status)
            seen.append(next((v for k, v in headers if k == "Content-Length"), "-"))
            return start_response(status, headers, exc_info)

        body = self.app(environ, recording)  # the application answers with a list: its size is known now
        status, size = (seen[0][:3], seen[1]) if seen else ("500", "-")
        if environ["REQUEST_METHOD"] == "HEAD" or status == "304":
            size = "-"
        self.emit(self._line(environ, status, size))
        return body

    def _line(self, environ: Environ, status: str, size: str) -> str:
        uri = environ.get("REQUEST_URI") or (
            environ.get("PATH_INFO", "") + ("?" + environ["QUERY_STRING"] if environ.get("QUERY_STRING") else "")
        )
        request = f"{environ['REQUEST_METHOD']} {uri} {environ.get('SERVER_PROTOCOL', 'HTTP/1.0')}"
        referer, agent = environ.get("HTTP_REFERER", "-"), environ.get("HTTP_USER_AGENT", "-")
        return self.line(environ.get("REMOTE_ADDR", "-"), request, status, size, referer=referer, agent=agent)

    def line(self, client: str, request: str, status: str, size: str, *, referer: str, agent: str) -> str:
        """One line; ``request``, ``referer`` and ``agent`` as the client sent them (one character a byte)."""
        return (
            f'{client} - - [{self._now()}] "{escape(request)}" {status} {size} "{escape(referer)}" "{escape(agent)}"\n'
        )

    def _now(self) -> str:
        second = int(time.time())
        if second != self._second:  # one strftime a second, not one a request
            self._stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(second))
            self._second = second
        return self._stamp

    def emit(self, line: str) -> None:
        with self._lock:
            self.write(line)
