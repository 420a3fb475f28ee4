"""The suite's own port picker (tests/servers.free_port): ports no outgoing connection can be given meanwhile."""

from __future__ import annotations

import socket

import pytest

from tests import servers


def test_free_ports_are_below_the_ephemeral_range_and_free_on_tcp_and_udp() -> None:
    floor = servers._ephemeral_floor()
    ports = [servers.free_port() for _ in range(50)]
    assert len(set(ports)) == 50
    assert all(servers._LOWEST <= port < floor for port in ports)
    for port in ports[:5]:
        for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            with socket.socket(socket.AF_INET, kind) as sock:
                sock.bind((servers.HOST, port))  # nothing holds it


def test_a_port_taken_on_udp_only_is_not_handed_out(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind((servers.HOST, 0))
        busy = taken.getsockname()[1]
        picks = iter([busy, busy, 23_456])
        monkeypatch.setattr(servers._PICK, "randint", lambda low, high: next(picks))
        monkeypatch.setattr(servers, "_HANDED_OUT", set())
        assert servers.free_port() == 23_456
