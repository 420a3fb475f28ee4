"""mailconf/serve/loop.py against the waitress installed: the channel that does not spin waitress's loop.

The spin itself is a matter of timing (benchmarks/serve_bench.py shows it: 70-100 answers per second
instead of 6,500-7,000 with 32 connections on two CPUs). What is checked here is the one decision
that removes it, on a real waitress channel over a real socket pair: whether waitress's main thread
would select the connection for writing.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import create_server

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
