"""The one-client server stubs of the target read-backs (msmtp's SMTP, fetchmail's POP3) stop when told to."""

from __future__ import annotations

import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import pytest

from tests.targets._fetchmail_client import pop3_stub
from tests.targets._msmtp_client import smtp_stub

Stub = Callable[..., AbstractContextManager[tuple[int, list[str]]]]


def _in_accept(thread: threading.Thread) -> bool:
    """Whether ``thread`` is inside socket.accept() (blocked waiting for a client)."""
    frame = sys._current_frames().get(thread.ident or 0)
    while frame is not None:
        if frame.f_code.co_name == "accept" and frame.f_code.co_filename == socket.__file__:
            return True
        frame = frame.f_back
    return False


def _threads_since(before: set[threading.Thread]) -> Iterator[threading.Thread]:
    return (thread for thread in threading.enumerate() if thread not in before)


@pytest.mark.parametrize("stub", [smtp_stub, pop3_stub], ids=["smtp", "pop3"])
def test_a_stub_no_client_came_to_stops_at_once(monkeypatch: pytest.MonkeyPatch, stub: Stub) -> None:
    """Its listener was closed only, which does not wake a thread blocked in accept() on Linux: stopping waited
    for the accept's own 30 s timeout. Without any timeout (as here), nothing but the stop may end that wait, so the
    stub's threads must have ended when the stub has."""
    monkeypatch.setattr(socket.socket, "settimeout", lambda _self, _value: None)
    before = set(threading.enumerate())
    with stub(ssl.create_default_context(ssl.Purpose.CLIENT_AUTH), implicit=True):
        deadline = time.monotonic() + 30  # a hang guard: the server thread reaches accept() at once
        while not any(_in_accept(thread) for thread in _threads_since(before)):
            assert time.monotonic() < deadline, "the stub's server never waited for a client"
            time.sleep(0.01)
    assert list(_threads_since(before)) == []
