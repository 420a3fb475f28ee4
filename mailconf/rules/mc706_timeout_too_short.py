"""The connect/command timeout is under 5 seconds.

Condition: ``timeout`` between 1 and 4 seconds. (0 means no timeout: MC707.)

Why: a TLS handshake on a slow or mobile network, a server under load, or a
large IMAP SELECT easily takes longer; the client then fails intermittently and
users learn to ignore its errors.

Fix: ``timeout: 30`` (anything from 5 to 600 seconds passes).

Failing::

    incoming: {protocol: imap, host: imap.example.com, timeout: 2}
Passing::

    incoming: {protocol: imap, host: imap.example.com, timeout: 30}

Reference: none (operational hygiene).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Model, Severity
from . import Fixable, Problem, own_fix

ID = "MC706"
SLUG = "timeout-too-short"
SEVERITY = Severity.WARNING
TITLE = "Timeout under 5 seconds"
FIX = Fixable("safe", "timeout: 30")

MINIMUM = 5


def check(model: Model) -> Iterator[Problem]:
    for _account, server in model.servers():
        if server.timeout is not None and 0 < server.timeout < MINIMUM:
            yield Problem.at(
                server,
                "timeout",
                f"a timeout of {server.timeout} s fails on slow networks and busy servers; set timeout: 30",
                fix=own_fix(server, {"timeout": 30}),
            )
