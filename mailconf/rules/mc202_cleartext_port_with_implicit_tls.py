"""A cleartext/STARTTLS port is used with implicit TLS.

Condition: a cleartext/STARTTLS port of the server's protocol (143 IMAP, 110
POP3, 587 or 25 SMTP) with ``security: tls``. Another protocol's port (SMTP on
143) is MC203's: ``security: starttls`` would not mend it.

Why: on these ports the server greets in cleartext and upgrades only after
STARTTLS; a client that starts with a TLS handshake gets garbage back and fails
(or, with a lenient client, tries something worse).

Fix: the implicit-TLS port (993, 995, 465) with ``security: tls``; or keep the
port and set ``security: starttls``.

Failing::

    outgoing: {host: smtp.example.com, port: 587, security: tls}
Passing::

    outgoing: {host: smtp.example.com, port: 465, security: tls}

Reference: RFC 8314 section 3; RFC 6409.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Model, Security, Severity, default_port
from . import Fixable, Problem, own_fix
from .mc203_port_protocol_mismatch import foreign

ID = "MC202"
SLUG = "cleartext-port-with-implicit-tls"
SEVERITY = Severity.ERROR
TITLE = "Cleartext/STARTTLS port (143/110/587/25) with implicit TLS"
FIX = Fixable("safe", "the implicit-TLS port (993/995/465) for a security: tls written out")

_CLEARTEXT_PORTS = frozenset((143, 110, 587, 25))


def check(model: Model) -> Iterator[Problem]:
    for _account, server in model.servers():
        if server.port in _CLEARTEXT_PORTS and server.security is Security.TLS and foreign(server) is None:
            yield Problem.at(
                server,
                "port",
                f"port {server.port} starts in cleartext and expects STARTTLS, not implicit TLS; "
                f"set port: {default_port(server.protocol, Security.TLS)}, or security: starttls",
                # the intent is clear only when `security: tls` is written, not defaulted
                fix=own_fix(server, {"port": default_port(server.protocol, Security.TLS)})
                if server.declared("security")
                else (),
            )
