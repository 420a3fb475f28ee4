"""The outgoing server is on port 25, the relay port.

Condition: an outgoing (SMTP) server on port 25, unless the host is a loopback
address (a local MTA on 25 is a normal set-up).

Why: port 25 is for server-to-server relay. Mail clients submit on 465 (implicit
TLS) or 587 (STARTTLS), where the server requires authentication and applies
submission policy. Many networks block outgoing port 25, and a server accepting
submission there often skips authentication.

Fix: ``port: 465`` with ``security: tls`` (or 587 with ``security: starttls``).

Failing::

    outgoing: {host: smtp.example.com, port: 25, security: starttls}
Passing::

    outgoing: {host: smtp.example.com, port: 465, security: tls}

Reference: RFC 6409 section 3.1; RFC 8314 section 3.1.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Model, Protocol, Severity
from . import Fixable, Problem, own_fix

ID = "MC204"
SLUG = "smtp-port-25-submission"
SEVERITY = Severity.WARNING
TITLE = "Outgoing server on port 25 (relay port)"
FIX = Fixable("unsafe", "port: 465 with security: tls")


def check(model: Model) -> Iterator[Problem]:
    for _account, server in model.servers():
        if server.protocol is Protocol.SMTP and server.port == 25 and not server.is_loopback:
            yield Problem.at(
                server,
                "port",
                "port 25 is for relay between servers and often blocked; submit on port: 465 with security: tls",
                fix=own_fix(server, {"port": 465, "security": "tls"}),
            )
