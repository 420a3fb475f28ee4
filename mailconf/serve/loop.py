"""How ``mailconf serve`` runs waitress: its loop until a stop signal, with a channel that does not spin.

Both reach past waitress's documented options (waitress 3.0; ``pyproject.toml``'s ``[serve]`` extra):
``tests/serve/test_loop.py`` checks each against the waitress installed.

**The spin.** waitress's main thread selects a connection for writing whenever output is waiting
in its buffer (``HTTPChannel.writable``). While a worker thread is answering on that connection,
the worker sends what it writes itself (``write_soon`` flushes, under the buffer's lock), so the
main thread's turn finds the lock taken, does nothing, and selects again at once: a busy loop
holding the GIL, which the worker needs to finish. With 32 connections on two CPUs the server
fell into that state and stayed there: 70-100 answers per second instead of 6,500-7,000
(benchmarks/README.md). :class:`Channel` is not selected for writing while a worker answers on it,
unless the connection is closing or its output passes the high watermark (the worker then waits
for the main thread to drain it); once the answer is done, waitress pulls its trigger and the main
thread sends whatever is left.

**The stop.** waitress's ``run()`` expects a signal handler to raise SystemExit. The handler runs
wherever the main thread is, and one of waitress's bare ``except:`` (the trigger's thunks)
swallowed it: the server ignored a SIGTERM. :func:`run_until` turns waitress's loop one poll at
a time (each waits at most ``asyncore_loop_timeout``, 1 s) until a handler has set a flag. It polls with
poll(), as ``asyncore_use_poll`` says (``mailconf serve`` sets it): select() cannot watch a descriptor of 1024
or more.

**Slow clients.** waitress closes a connection that has been silent for ``channel_timeout`` seconds, and
only a silent one: a client that sends its request a byte at a time, each before that timeout (slowloris),
holds its connection, and one of the ``connection_limit`` places, for as long as it likes. :class:`Channel`
notes when the first byte of each request came, and :func:`install`'s maintenance (waitress's, which runs
every ``cleanup_interval`` seconds) answers a request that has not arrived whole ``channel_timeout`` seconds
after that with 408 and closes the connection, whether the client went silent or goes on trickling.

**Connections at once.** waitress takes ``connection_limit`` connections at once (it counts its own
listening sockets and triggers among them), and leaves the others waiting in the kernel's queue. Past the
open-file limit its ``accept()`` fails (EMFILE) and it logs a traceback at every turn of its loop, as fast as it
turns, for as long as the connections wait. :func:`make_room` raises the soft limit up to the hard one so that
the connections asked for fit, or says how many do; :func:`limit_connections` sets waitress's count to it.

**Lines that end in a bare LF.** waitress finds the end of a request's header section by its CRLF CRLF only,
and refuses a bare LF or CR in it once that comes. A request whose lines all end in LF (``printf 'GET /
HTTP/1.1\nHost: x\n\n'``) never has one: the client waited for the 408 of a request that never arrived whole.
RFC 9112 §2.2 lets a server take LF for CRLF or refuse it; :class:`Parser` refuses it as soon as it arrives
(``400 Bad Request: a line of the request ends in a bare LF or CR: end every line with CRLF``), as it does a
CR not followed by LF (which §2.2 says is invalid). A CRLF cut between two reads is no bare CR: a CR at the end
of what has come is judged with the next byte.
The lines of a chunked body (a chunk's size, a trailer field) too: :class:`ChunkedBody`, which also answers a chunk
announced larger than a body may be with 413 at once, and searches each byte of a line once, as the head's.

**Keep-alive without end.** waitress keeps a connection open for as long as requests come, each within
``channel_timeout`` of the last answer: a client sending one every few seconds held its connection, one of the
``connection_limit`` places, for ever. As nginx does (``keepalive_requests`` 1000, ``keepalive_time`` 1 h), a
connection's :data:`MAX_REQUESTS_PER_CONNECTION`-th answer, or the first once it is :data:`MAX_CONNECTION_AGE` seconds
old, says ``Connection: close`` (:class:`Task`), and the connection is closed after it; what the client sent past that
request on it is not answered (RFC 9112 §9.6: a client sends such requests again on a new connection).

**Faulty framing.** A request with both Content-Length and Transfer-Encoding, or an HTTP/1.0 request with
Transfer-Encoding, is one whose end RFC 9112 §6.1 calls unsure: waitress answered the first and kept the
connection, and read the second one's body as the next request (a request smuggled in a body was answered).
:class:`Parser` answers both 400 and closes the connection, reading nothing after their header section. A request
refused for its header section (those, and a Content-Length past the limit) gets no ``100 Continue`` first.

**HTTP versions.** waitress answered any version but 1.1 as 1.0: ``HTTP/1.2`` and ``HTTP/2.0`` escaped HTTP/1.1's
requirements (Host, RFC 9112 §3.2) and its framing. RFC 9110 §2.5: a recipient should process a later minor version
of a major version it implements as the highest minor version it conforms to, so :class:`Parser` reads 1.2 to 1.9 as
1.1 (and answers in HTTP/1.1, §6.2). Another major version (``HTTP/0.9`` or ``HTTP/2.0`` written in HTTP/1's
syntax, which no HTTP/2 client sends) is refused: §6.2 lets a server answer 505 to refuse the client's major version,
here ``505 HTTP Version Not Supported: this server speaks HTTP/1.1: send HTTP/1.1 or HTTP/1.0``, in HTTP/1.1 (HTTP/1.0
to 0.9, the highest version whose major is not above the request's), and the connection closed.

**waitress's own refusals.** waitress answers a request it cannot parse (400), a body past
``max_request_body_size`` (413), headers past their limit (431) or a Transfer-Encoding it does not
know (501) itself, before the application sees it, with a body of several lines that quotes a
malformed method or header line back (``Malformed HTTP method "..."``). :class:`Refusal` answers
them as the application answers its errors (docs/serve.md): one line that repeats nothing the
request sent, ``Cache-Control: no-store`` and :data:`~mailconf.serve.site.SAFE_HEADERS` (the 408 of a slow client
too); and since the access log (a WSGI middleware) never sees such a request, :class:`Refusal` writes its line.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, cast

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser, ParsingError
from waitress.receiver import ChunkedReceiver
from waitress.server import BaseWSGIServer
from waitress.task import ErrorTask, WSGITask
from waitress.utilities import Error, RequestEntityTooLarge

from .. import descriptors
from ..descriptors import Room
from .accesslog import AccessLog
from .app import MAX_BODY
from .site import SAFE_HEADERS

#: The most a request's head may be, request line and header fields up to and including the empty line that ends
#: them (waitress's ``max_request_header_size`` is this plus one: it refuses a head of that many bytes or more).
#: waitress joins what has come of a head with each read and searches all of it for CRLF CRLF again, in the loop
#: that serves every connection, so a head sent a byte at a time costs CPU that grows faster than the limit: 3.4 s of
#: the server's at 64 KiB, 0.8 s at 16 KiB (benchmarks/serve_dribble.py). An autoconfig, Autodiscover or
#: profile request's head is under 1 KiB; 16 KiB holds that with a full 8 KiB line (nginx's and Apache's largest
#: header line by default: a site's cookies fit in it), as do IIS's (MaxRequestBytes) and Node.js's defaults.
MAX_HEAD = 16 * 1024

#: A connection's answers at most: the last says ``Connection: close`` (nginx's ``keepalive_requests``)
MAX_REQUESTS_PER_CONNECTION = 1000
#: Seconds a connection is kept alive at most: its first answer past them says ``Connection: close`` (nginx's
#: ``keepalive_time``); with ``channel_timeout``, a connection lasts at most this and one timeout
MAX_CONNECTION_AGE = 3600

#: what a request that waitress refuses by itself is told, by status code
REFUSALS = {
    400: "400 Bad Request: the request is not well-formed HTTP/1.1",
    413: f"413 Content Too Large: the body is larger than {MAX_BODY} bytes",
    431: f"431 Request Header Fields Too Large: the request line and header fields are larger than {MAX_HEAD} bytes",
    500: "500 Internal Server Error: see the server's log",
    501: "501 Not Implemented: the only Transfer-Encoding accepted is chunked",
}


class OwnRefusal(Error):  # type: ignore[misc]  # waitress has no type hints
    """A refusal of mailconf's own, before the application sees the request; its body is the whole line."""


class RequestTimeout(OwnRefusal):
    """A request that had not arrived whole ``channel_timeout`` seconds after its first byte."""

    code = 408
    reason = "Request Timeout"


class Malformed(OwnRefusal):
    """A request refused for its framing (the module's docstring): where it ends cannot be told for sure."""

    code = 400
    reason = "Bad Request"


class VersionNotSupported(OwnRefusal):
    """A request of another major version than HTTP/1 (the module's docstring)."""

    code = 505
    reason = "HTTP Version Not Supported"


#: an LF that no CR comes before, or a CR that something else than an LF comes after (a CR last waits for more)
_BARE_LINE_END = re.compile(rb"(?<!\r)\n|\r[^\n]")
#: what bytes.lstrip() takes off the start of a request (waitress strips it)
_LEADING_BLANKS = re.compile(rb"[ \t\n\r\x0b\x0c]*")
BARE_LINE_END = "400 Bad Request: a line of the request ends in a bare LF or CR: end every line with CRLF"
LENGTH_AND_CHUNKED = "400 Bad Request: the request has both Content-Length and Transfer-Encoding: send one"
CHUNKED_HTTP_1_0 = "400 Bad Request: an HTTP/1.0 request cannot have a Transfer-Encoding: send Content-Length"
CHUNKED_TWICE = "400 Bad Request: the request applies chunked more than once: send Transfer-Encoding: chunked once"
#: the value of each Transfer-Encoding field of a head (waitress joins repeated fields with ", " before it reads them)
_TRANSFER_ENCODING = re.compile(rb"^transfer-encoding:([^\r\n]*)", re.IGNORECASE | re.MULTILINE)
VERSION_NOT_SUPPORTED = "505 HTTP Version Not Supported: this server speaks HTTP/1.1: send HTTP/1.1 or HTTP/1.0"
#: the version at the end of a request line (RFC 9112 s2.3: "HTTP/" DIGIT "." DIGIT, waitress's ``first_line_re`` too)
_VERSION = re.compile(rb" HTTP/([0-9])\.([0-9])\Z")


#: a Content-Length header field (as waitress reads one) written with more digits than MAX_BODY has
_LONG_LENGTH = re.compile(rb"(?im)^(content-length:[ \t]*)([0-9]{%d,})(?=[ \t]*(?:\r\n|\Z))" % (len(str(MAX_BODY)) + 1))


def _within_int(match: re.Match[bytes]) -> bytes:
    """The same number when zeros first made it long, else one past the limit (any such number is)."""
    digits = match[2].lstrip(b"0") or b"0"
    return match[1] + (digits if len(digits) <= len(str(MAX_BODY)) else str(MAX_BODY + 1).encode())


class Parser(HTTPRequestParser):  # type: ignore[misc]  # waitress has no type hints
    header_plus: bytes  # waitress's: what has come of the header section
    body_rcv: Any  # waitress's: the body's receiver, None while the header section comes
    completed: bool
    headers_finished: bool
    error: Any
    headers: dict[str, str]
    chunked: bool
    expect_continue: bool
    version: str
    chunked_twice = False  # set by parse_header: Transfer-Encoding names chunked more than once

    def received(self, data: bytes) -> int:
        if self.body_rcv is not None or self.completed:  # the body, or nothing more
            return int(super().received(data))
        came = len(self.header_plus)
        head = self.header_plus + data
        # Only what came now is searched, and the bytes before it that it may end a CRLF CRLF or a CRLF with: what
        # came before was searched when it came. Searching the whole head at every read cost 36 s of CPU, in the loop
        # that serves every connection, for 64 KiB of header sent a byte at a time (waitress's own search, which this
        # cannot spare, is why MAX_HEAD is small). Not the empty lines a client may send before a request (RFC 9112
        # s2.2), which waitress strips.
        end = head.find(b"\r\n\r\n", max(0, came - 3))
        sent = head if end < 0 else head[: end + 4]
        start = max(_LEADING_BLANKS.match(sent).end(), came - 1)  # type: ignore[union-attr]  # * always matches
        if _BARE_LINE_END.search(sent, start):
            sent = sent.lstrip()
            self.first_line = re.split(rb"[\r\n]", sent, maxsplit=1)[0]  # the access log's request line
            self.command = self.first_line.partition(b" ")[0].decode("latin-1")  # a HEAD's answer has no body
            return self._refuse(Malformed(BARE_LINE_END), len(data))
        consumed = int(super().received(data))
        if self.headers_finished and self.error is None and self.version[:1] not in ("", "1"):
            # RFC 9110 s6.2: a server can answer 505 to refuse the client's major version; waitress answered HTTP/2.0
            # (sent in HTTP/1's syntax: no HTTP/2 client does so) as HTTP/1.0, with none of HTTP/1.1's requirements
            return self._refuse(VersionNotSupported(VERSION_NOT_SUPPORTED), len(data))
        if self.headers_finished and self.error is None:
            faulty = self._faulty_framing()
            if faulty is not None:
                return self._refuse(Malformed(faulty), len(data))
        if self.error is not None:
            # refused by its header section (a Content-Length past the limit: 413): no "100 Continue", which invited
            # the body (waitress then took the request back from its queue, read up to the limit, and said 413 only
            # then, or 408 to a client that waited for a word), but the answer now
            self.expect_continue = False
        return consumed

    def parse_header(self, header_plus: bytes) -> None:
        """waitress's, with a later minor version of HTTP/1 (``HTTP/1.2``) read as HTTP/1.1, as RFC 9110 s2.5 says a
        recipient should: waitress took any version but 1.1 for 1.0, so that HTTP/1.1's requirements (Host, RFC 9112
        s3.2) and its framing (Transfer-Encoding) did not apply to it. The request line is kept as it came.

        A Content-Length of more digits than a body here can have is given to waitress as one past the limit (its
        413): waitress converts it with int(), which refuses more than 4,300 digits (a head may have 16 KiB) with a
        ValueError that nothing caught: the connection was closed unanswered, a traceback in the server's log.
        urllib's urlsplit, which waitress splits an absolute-form target with, raises one too (a host with a ``[``
        and no ``]``, or brackets around what is no IP address: ``GET http://a[b/ HTTP/1.1``): such a target is no
        URI, and the request is answered 400 as any other that waitress cannot parse."""
        header_plus = _LONG_LENGTH.sub(_within_int, header_plus)
        codings = [c.strip(b" \t").lower() for v in _TRANSFER_ENCODING.findall(header_plus) for c in v.split(b",")]
        self.chunked_twice = codings.count(b"chunked") > 1
        first, crlf, rest = header_plus.partition(b"\r\n")
        sent = _VERSION.search(first.rstrip())  # waitress strips white space at the end of the line
        later = sent is not None and sent[1] == b"1" and sent[2] not in (b"0", b"1")
        try:
            super().parse_header(first[: sent.start()] + b" HTTP/1.1" + crlf + rest if sent and later else header_plus)
        except ValueError:
            raise ParsingError("the request target is not a URI") from None
        finally:
            if later:
                self.first_line = first.rstrip()  # the access log's request line: what was sent
        if self.chunked:
            self.body_rcv = ChunkedBody(self.body_rcv.getbuf())

    def _faulty_framing(self) -> str | None:
        """RFC 9112 s6.1: a request with Content-Length and Transfer-Encoding (waitress went by the second, and kept
        the connection), or an HTTP/1.0 one with Transfer-Encoding (waitress read its body as the next request), or
        chunked applied twice (``chunked, chunked``, or in two fields: waitress decoded it once and went on).
        Where its body ends is not sure, and a proxy in front may have judged otherwise: what follows could be a
        request smuggled past it. It is answered 400 and the connection closed, as nginx does."""
        if self.chunked and "CONTENT_LENGTH" in self.headers:  # waitress has taken Transfer-Encoding out of them
            return LENGTH_AND_CHUNKED
        if self.chunked and self.chunked_twice:  # s6.1: never more than once; waitress decoded it once
            return CHUNKED_TWICE
        if self.version != "1.1" and "TRANSFER_ENCODING" in self.headers:  # 1.0, or none: waitress does not read it
            return CHUNKED_HTTP_1_0
        return None

    def _refuse(self, error: OwnRefusal, consumed: int) -> int:
        """Answer ``error`` (:class:`Refusal`, which closes the connection after it); ``consumed``: the bytes taken,
        all that came (what follows a request refused for its framing is not read: it may be its body)."""
        self.error = error
        self.completed = True
        return consumed


class ChunkedBody(ChunkedReceiver):  # type: ignore[misc]  # waitress has no type hints
    """waitress's chunked body, with its lines (a chunk's size, the trailer's fields) read as :class:`Parser` reads
    the head's: each byte searched once, and a line that ends in a bare LF or holds a bare CR refused as it comes.

    waitress joins what has come of a line with each read and searches all of it for CRLF again: a chunk size line
    sent a byte at a time up to the body's limit (64 KiB, all of it one line: ``1;aaaa...``) cost 2 s of CPU in the
    loop that serves every connection, where a head, 16 KiB at most, costs 0.8 s. A line ending in a bare LF never
    ended for waitress, and the client waited for the 408. A chunk announced larger than the body may be is answered
    413 at once, as a Content-Length that is. Chunk data is waitress's to read, as is each line once whole.
    """

    chunk_remainder: int
    validate_chunk_end: bool
    all_chunks_received: bool
    completed: bool
    error: Any
    chunk_end: bytes

    def __init__(self, buf: Any) -> None:
        super().__init__(buf)
        self.line = bytearray()  # what has come of the line being received

    def received(self, s: bytes) -> int:
        taken = 0
        while s and not self.completed and self.error is None:
            if self.chunk_remainder > 0 or self.validate_chunk_end:  # a chunk's data, or the CRLF after it
                piece = s[: self.chunk_remainder] if self.chunk_remainder > 0 else s[: 2 - len(self.chunk_end)]
                taken += int(super().received(piece))
                s = s[len(piece) :]
                continue
            end = s.find(b"\n")
            if _BARE_LINE_END.search(bytes(self.line[-1:]) + (s if end < 0 else s[: end + 1])):
                self.error = Malformed(BARE_LINE_END)
                break
            if end < 0:  # the line goes on
                self.line += s
                return taken + len(s)
            line, s = bytes(self.line) + s[: end + 1], s[end + 1 :]
            self.line = bytearray()
            taken += end + 1
            if self.all_chunks_received:  # the trailer section: its fields are not used; an empty line ends it
                self.completed = line == b"\r\n"
            else:  # a chunk's size: waitress's, whole
                super().received(line)
                if self.chunk_remainder > MAX_BODY - len(self.buf):
                    self.error = RequestEntityTooLarge(f"a chunk over {MAX_BODY} bytes")
        # a refused body takes all that came, as waitress's refusals do: none of it is read as the next request
        return taken if self.error is None else taken + len(s)


class Refusal(ErrorTask):  # type: ignore[misc]  # waitress has no type hints
    def execute(self) -> None:
        error = self.request.error
        if isinstance(error, OwnRefusal):  # its own line (a 408's names the timeout, which is the server's setting)
            line = str(error.body)
            if isinstance(error, VersionNotSupported):
                # RFC 9110 s6.2: the highest version the server conforms to whose major is not above the request's
                self.version = "1.1" if int(self.request.version[0]) > 1 else "1.0"
        else:
            line = REFUSALS.get(error.code, f"{error.code} {error.reason}")  # waitress's reason: its own constant
        body = f"{line}\n".encode()
        self.status = line.partition(":")[0]
        self.response_headers.extend([("Content-Type", "text/plain; charset=utf-8"), ("Cache-Control", "no-store"),
                                      *SAFE_HEADERS])  # fmt: skip
        self.set_close_on_finish()
        self.content_length = len(body)
        # a HEAD answer has no body (RFC 9110 s9.3.2), as the application's errors have none: its Content-Length is
        # the GET's. Past max_request_header_size the method is waitress's made-up GET: the body is sent
        head = getattr(self.request, "command", None) == "HEAD" and error.code != 431
        self.write(b"" if head else body)
        log = getattr(self.channel.server, "mailconf_access_log", None)  # set by install()
        if log is not None:  # the request never reached the application, which the access log wraps: log it here
            headers, client = self.request.headers, self.channel.addr
            # past max_request_header_size waitress parses a made-up "GET / HTTP/1.0": what was sent is unknown
            sent = "-" if error.code == 431 else getattr(self.request, "first_line", b"-").decode("latin-1")
            size = "-" if head else str(len(body))  # as the access log says it of every HEAD
            entry = log.line(client[0] if isinstance(client, tuple) else "-", sent, str(error.code), size,
                             referer=headers.get("REFERER", "-"), agent=headers.get("USER_AGENT", "-"))  # fmt: skip
            log.emit(entry)


class Task(WSGITask):  # type: ignore[misc]  # waitress has no type hints
    """waitress's answer to a request, the last of its connection when the connection has had
    :data:`MAX_REQUESTS_PER_CONNECTION` answers or is :data:`MAX_CONNECTION_AGE` seconds old (the module's
    docstring). Run in a worker thread; one at a time per connection."""

    channel: Channel
    request: Any

    def build_response_header(self) -> bytes:
        channel = self.channel
        channel.answered += 1
        if channel.answered >= MAX_REQUESTS_PER_CONNECTION or time.time() - channel.creation_time >= MAX_CONNECTION_AGE:
            # as if the client had asked it: waitress then says "Connection: close" (and, to an HTTP/1.0 keep-alive,
            # not "Keep-Alive") and closes the connection once the answer is sent. The application has read the
            # request's headers already (its environ): only waitress reads them from here on
            self.request.headers["CONNECTION"] = "close"
        return cast("bytes", super().build_response_header())


class Channel(HTTPChannel):  # type: ignore[misc]  # waitress has no type hints
    error_task_class = Refusal
    parser_class = Parser
    task_class = Task

    request: Any  # waitress's: the parser of the request being received, or None
    will_close: bool  # waitress's: close the connection at the next turn of its loop
    _fileno: int | None  # wasyncore's: the socket's descriptor, None once the channel is closed
    #: when the first byte of the request being received came (``time.time()``, as waitress's ``last_activity``)
    request_began: float | None = None
    #: waitress's ``last_activity`` before the read being handled (see :meth:`received`)
    activity_before: float | None = None
    creation_time: float  # waitress's: when the connection was accepted (``time.time()``)
    #: the answers :class:`Task` has begun on this connection
    answered = 0

    def handle_read(self) -> None:
        self.activity_before = self.last_activity  # waitress's handle_read sets it, then calls received()
        super().handle_read()

    def received(self, data: bytes) -> bool:
        # Empty lines where a request may begin are no request (RFC 9112 s2.2; waitress skips them), and no activity
        # either: a client sending CRLF CRLF (or its bytes one by one) every few seconds made waitress complete an
        # empty request each time, so that no request was ever late (no 408) and the connection never silent: it held
        # its place, one of --max-connections, for as long as it liked. Now it is closed --client-timeout seconds
        # after the connection opened or its last answer, as a silent one is.
        blank = not data.strip() and self._nothing_begun()
        if self.request is None and data:
            self.request_began = time.time()
        done = bool(super().received(data))
        if self.request is None:  # every request in the data arrived whole
            self.request_began = None
        if blank and self.activity_before is not None:
            self.last_activity = self.activity_before
        return done

    def _nothing_begun(self) -> bool:
        """Nothing of a request has come: no request, or only empty lines of one."""
        request = self.request
        return request is None or (not request.headers_finished and not request.header_plus.strip())

    def overdue(self, cutoff: float) -> None:
        """A request begun before ``cutoff`` and still not whole is answered 408 (:class:`Refusal`), and the
        connection closed after it. Called in the main thread, as :meth:`received` is."""
        with self.requests_lock:  # as received() holds it: a worker pops self.requests
            request, began = self.request, self.request_began
            if request is None or began is None or began >= cutoff or self.will_close or self.close_when_flushed:
                return
            if not request.headers_finished and not request.header_plus.lstrip():
                # only the empty lines a client may send after a request (RFC 9112 s2.2; waitress skips them): no
                # request begun, a silent connection, closed without a word. A 408 here reached a keep-alive client
                # as the answer to its next request
                self.will_close = True
                return
            timeout = self.adj.channel_timeout
            request.error = RequestTimeout(f"408 Request Timeout: the request did not arrive whole within {timeout} s")
            request.completed = True
            self.request = None
            self.request_began = None
            self.requests.append(request)
            if len(self.requests) == 1:  # none was being answered: start it, as received() does
                self.server.add_task(self)

    def readable(self) -> bool:
        return self._fileno is not None and bool(super().readable())

    def writable(self) -> bool:
        if self._fileno is None:  # closed by _maintenance while waitress lists what to poll: see _maintenance
            return False
        answering = bool(self.requests) and not (self.will_close or self.close_when_flushed)
        if answering and self.total_outbufs_len < self.adj.outbuf_high_watermark:
            return False  # the worker sends it (see the module's docstring)
        return bool(super().writable())


def install(server: Any, access_log: AccessLog | None = None) -> None:
    """Every listening socket of ``server`` (one, or several for a host name with IPv4 and IPv6 addresses) makes
    its connections :class:`Channel`, and answers a request too slow to arrive (:func:`_maintenance`);
    ``access_log`` gets a line for each request :class:`Refusal` answers."""
    listeners = [server] if isinstance(server, BaseWSGIServer) else list(server.map.values())
    for listener in listeners:
        if isinstance(listener, BaseWSGIServer):
            listener.channel_class = Channel
            listener.mailconf_access_log = access_log
            listener.maintenance = partial(_maintenance, listener)


def _maintenance(listener: BaseWSGIServer, now: float) -> None:
    """Every ``cleanup_interval`` seconds: a request still arriving ``channel_timeout`` seconds after its first
    byte is answered 408 (the module's docstring); then waitress's own, which marks the connections silent for
    that long (nothing asked, or an answer the client does not read) to be closed without a word, and they are
    closed now. First the 408s: a request that went silent half-way gets its 408 too, rather than a connection
    closed without a word."""
    cutoff = now - listener.adj.channel_timeout
    for channel in list(listener.active_channels.values()):
        if isinstance(channel, Channel):
            channel.overdue(cutoff)
    BaseWSGIServer.maintenance(listener, now)
    for channel in list(listener.active_channels.values()):
        if channel.will_close and not channel.requests:
            # waitress closes a connection it marked only in handle_write, which its loop calls once the socket takes
            # more output: one whose client reads nothing (every buffer full) stayed open as long as the client liked.
            # This runs in the listener's readable(), while waitress lists what to poll from a copy of its map: a
            # channel closed here comes later in that list, and was polled on its old descriptor number. A connection
            # accepted in the same turn took that number, and the poll's answer for the closed one (POLLNVAL) closed
            # it, its request unread (the client saw a reset). Channel is not polled once closed
            channel.handle_close()


def addresses(server: Any) -> list[tuple[str, int]]:
    """Where ``server`` listens: (host, port), one per address of the ``--bind`` host (``localhost`` is both
    127.0.0.1 and ::1 on many systems, and waitress then makes a MultiSocketServer, one socket each)."""
    if isinstance(server, BaseWSGIServer):
        return [(server.effective_host, server.effective_port)]
    return [(str(host), int(port)) for host, port in server.effective_listen]


def waker(server: Any) -> Callable[[], None]:
    """What turns waitress's loop at once: its trigger pulled (a write to a pipe; no lock, so a signal handler
    may call it). Every listening socket has one, in the same map; any of them wakes the loop."""
    from waitress.trigger import trigger

    sockets = server._map if isinstance(server, BaseWSGIServer) else server.map
    found = next(dispatcher for dispatcher in sockets.values() if isinstance(dispatcher, trigger))
    return cast("Callable[[], None]", found.pull_trigger)


def run_until(server: Any, stopped: Sequence[int]) -> None:
    """waitress's ``run()``, one poll at a time, until ``stopped`` holds a signal; then its workers end."""
    sockets = server._map if isinstance(server, BaseWSGIServer) else server.map  # what run() uses
    while not stopped:
        server.asyncore.loop(
            timeout=server.adj.asyncore_loop_timeout, map=sockets, use_poll=server.adj.asyncore_use_poll, count=1
        )
    server.task_dispatcher.shutdown()


#: Descriptors kept free beside the connections: the listening sockets, waitress's trigger, the reload's bell,
#: the reload's process and its pipes, the file being read.
SPARE_DESCRIPTORS = 64


def make_room(connections: int) -> Room:
    """:func:`mailconf.descriptors.make_room`, with :data:`SPARE_DESCRIPTORS` kept free."""
    return descriptors.make_room(connections, spare=SPARE_DESCRIPTORS)


def limit_connections(server: Any, connections: int) -> None:
    """waitress takes ``connections`` client connections at once: its count includes what its map holds at
    start (every listening socket and its trigger), which are no clients."""
    sockets = server._map if isinstance(server, BaseWSGIServer) else server.map
    server.adj.connection_limit = connections + len(sockets)
