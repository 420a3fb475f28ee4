"""The outgoing server is on port 25, the relay port.

Condition: an outgoing (SMTP) server on port 25, unless the host is a loopback
address (``localhost``, ``127.0.0.1``, ``::1``: the forms MC102 lists).

Why: port 25 is for server-to-server relay. Mail clients submit on 465 (implicit
TLS) or 587 (STARTTLS), where the server requires authentication and applies
submission policy. Many networks block outgoing port 25, and a server accepting
submission there often skips authentication.

Loopback is left out on purpose: a loopback host is this machine's own mail
server (Postfix, Exim, an SSH tunnel to one), which takes local mail on port 25 by
design. Nothing on the network can block or read that connection, and RFC 6409
section 4.3 lets a submission server take mail without a login from a network it
already trusts; Postfix trusts only the machine itself by default
(``mynetworks_style = host`` since Postfix 3.0). Moving it to port 465 would be
wrong advice. MC102 (info) and MC205 (warning) still report a loopback
connection without TLS or without a login.

Fix: ``port: 465`` with ``security: tls`` (or 587 with ``security: starttls``).

Failing::

    outgoing: {host: smtp.example.com, port: 25, security: starttls}
Passing::

    outgoing: {host: smtp.example.com, port: 465, security: tls}

Reference: RFC 6409 section 3.1 (port 587 for submission) and section 4.3 (submission
without a login from a trusted network); RFC 8314 section 3.3 (port 465, implicit TLS).
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
