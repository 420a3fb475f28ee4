"""mailconf/serve/loop.py against the waitress installed: the channel that does not spin waitress's loop.

The spin itself is a matter of timing (benchmarks/serve_bench.py shows it: 70-100 answers per second
instead of 6,500-7,000 with 32 connections on two CPUs). What is checked here is the one decision
that removes it, on a real waitress channel over a real socket pair: whether waitress's main thread
would select the connection for writing.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import create_server

from mailconf.serve import loop
from mailconf.serve.loop import Channel, install


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    here, there = socket.socketpair()
    try:
        yield here, there
    finally:
        here.close()
        there.close()


def channel(kind: type[HTTPChannel], sock: socket.socket, *, answering: bool, pending: int) -> HTTPChannel:
    # the server is the one stand-in: a channel registers itself in it, and nothing here serves
    made = kind(SimpleNamespace(active_channels={}), sock, ("127.0.0.1", 0), Adjustments(), map={})
    if answering:
        made.requests = [object()]  # a worker thread is answering a request on this connection
    if pending:
        made.outbufs[-1].append(b"x" * pending)
        made.total_outbufs_len = pending
    return made


#: (worker answering, bytes waiting, closing) -> (waitress's HTTPChannel selects it, mailconf's Channel selects it)
CASES = {
    (False, 0, False): (False, False),  # idle: nothing to write
    (True, 0, False): (False, False),  # answering, nothing written yet
    (True, 1358, False): (True, False),  # the spin: selected, but its worker holds the buffer and sends it
    (False, 1358, False): (True, True),  # the answer is done: the main thread sends what is left
    (True, 1358, True): (True, True),  # closing: the main thread flushes and closes
    (True, 16 * 1024 * 1024, False): (True, True),  # past the high watermark the worker waits for the main thread
}


@pytest.mark.parametrize("case", CASES)
def test_a_channel_is_selected_for_writing_only_when_the_main_thread_has_something_to_do(
    pair: tuple[socket.socket, socket.socket], case: tuple[bool, int, bool]
) -> None:
    answering, pending, closing = case
    theirs = channel(HTTPChannel, pair[0], answering=answering, pending=pending)
    ours = channel(Channel, pair[1], answering=answering, pending=pending)
    theirs.will_close = ours.will_close = closing
    assert (bool(theirs.writable()), ours.writable()) == CASES[case]


def test_a_closed_channel_is_not_polled(pair: tuple[socket.socket, socket.socket]) -> None:
    # loop._maintenance closes a silent channel while waitress lists what to poll, and lists it after that: waitress's
    # channel, closing, asks to be written to, on a descriptor number the next accepted connection may take
    theirs = channel(HTTPChannel, pair[0], answering=False, pending=0)
    ours = channel(Channel, pair[1], answering=False, pending=0)
    for made in (theirs, ours):
        made.will_close = True
        made.handle_close()
    assert (bool(theirs.writable()), ours.readable(), ours.writable()) == (True, False, False)


def test_install_gives_every_listening_socket_the_channel() -> None:
    def app(environ: object, start_response: object) -> list[bytes]:
        return []

    server = create_server(app, host="127.0.0.1", port=0)
    try:
        install(server)
        assert server.channel_class is Channel
    finally:
        server.close()
        server.task_dispatcher.shutdown()  # create_server started its worker threads; close() leaves them waiting


class _Counting:
    """The bare-line-end pattern, counting the bytes each search starts from the end of."""

    def __init__(self, pattern: re.Pattern[bytes]) -> None:
        self.pattern, self.searched = pattern, 0

    def search(self, text: bytes, pos: int = 0) -> re.Match[bytes] | None:
        self.searched += len(text) - pos
        return self.pattern.search(text, pos)


def test_a_request_head_sent_a_byte_at_a_time_is_searched_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # the search for a bare LF or CR ran over the whole head at every read: 64 KiB sent a byte at a time cost 36 s of
    # CPU in the loop that serves every connection (quadratic); now each byte is searched once, and the one before it
    counting = _Counting(loop._BARE_LINE_END)
    monkeypatch.setattr(loop, "_BARE_LINE_END", counting)
    head = b"\r\nGET /healthz HTTP/1.1\r\nHost: example.com\r\n" + b"X-Pad: " + b"a" * 8000 + b"\r\n\r\n"
    parser = loop.Parser(Adjustments())
    for i in range(len(head)):
        parser.received(head[i : i + 1])
    assert parser.completed and parser.error is None
    assert counting.searched <= 2 * len(head)
    # and a bare LF is still found where it comes, a CRLF cut between two reads is still none
    for sent in ([b"GET / HTTP/1.1\r", b"\nHost: a\n"], [b"GET / HTTP/1.1\r", b"\nHost: a\r", b"\n\r\n"]):
        parser = loop.Parser(Adjustments())
        for data in sent:
            parser.received(data)
        assert parser.completed
        assert (type(parser.error).__name__, parser.first_line) == (
            ("Malformed", b"GET / HTTP/1.1") if sent[1].endswith(b"a\n") else ("NoneType", b"GET / HTTP/1.1")
        )


def test_a_chunk_size_line_sent_a_byte_at_a_time_is_searched_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # waitress's ChunkedReceiver joined what had come of a line with each read and searched all of it again: a chunk
    # size line of 64 KiB (``1;aaaa...``, the body's limit) sent a byte at a time cost 2 s of CPU in the loop that
    # serves every connection. What it is handed now, and joins, is each line once, whole
    from waitress.receiver import ChunkedReceiver

    handed = 0
    received = ChunkedReceiver.received

    def counting(self: ChunkedReceiver, s: bytes) -> int:
        nonlocal handed
        handed += len(self.control_line) + len(self.trailer) + len(s)  # what it joins and searches
        return int(received(self, s))

    monkeypatch.setattr(ChunkedReceiver, "received", counting)
    line = b"1;" + b"a" * 8000 + b"\r\n"
    body = line + b"x\r\n0\r\nX-Pad: " + b"b" * 8000 + b"\r\n\r\n"
    parser = loop.Parser(Adjustments())
    parser.received(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
    for i in range(len(body)):
        parser.received(body[i : i + 1])
    assert (parser.completed, parser.error, parser.get_body_stream().read()) == (True, None, b"x")
    assert handed <= 2 * len(body)
