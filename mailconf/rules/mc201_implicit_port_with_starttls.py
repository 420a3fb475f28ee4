"""An implicit-TLS port is used with STARTTLS.

Condition: the implicit-TLS port of the server's protocol (993 IMAP, 995 POP3,
465 SMTP) with ``security: starttls`` or ``starttls-optional``. Another protocol's
port (POP3 on 993) is MC203's: ``security: tls`` would not mend it.

Why: on these ports the server expects a TLS handshake as the first bytes; a
client that waits for a cleartext greeting to send STARTTLS hangs or fails, and
some clients then fall back to worse settings.

Fix: ``security: tls`` on these ports, or the STARTTLS port (143, 110, 587).

Failing::

    incoming: {protocol: imap, host: imap.example.com, port: 993, security: starttls}
Passing::

    incoming: {protocol: imap, host: imap.example.com, port: 993, security: tls}

Reference: RFC 8314 section 3.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Model, Security, Severity, default_port
from . import Fixable, Problem, own_fix
from .mc203_port_protocol_mismatch import foreign

ID = "MC201"
SLUG = "implicit-port-with-starttls"
SEVERITY = Severity.ERROR
TITLE = "Implicit-TLS port (993/995/465) with STARTTLS"
FIX = Fixable("safe", "the STARTTLS port (143/110/587) for the security: declared")

_IMPLICIT_PORTS = frozenset((993, 995, 465))
_STARTTLS = frozenset((Security.STARTTLS, Security.STARTTLS_OPTIONAL))


def check(model: Model) -> Iterator[Problem]:
    for _account, server in model.servers():
        if server.port in _IMPLICIT_PORTS and server.security in _STARTTLS and foreign(server) is None:
            yield Problem.at(
                server,
                "port",
                f"port {server.port} expects implicit TLS, not {server.security.value}; set security: tls, "
                f"or port: {default_port(server.protocol, Security.STARTTLS)} for STARTTLS",
                fix=own_fix(server, {"port": default_port(server.protocol, Security.STARTTLS)}),
            )
