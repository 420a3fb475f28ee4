"""The port belongs to another mail protocol.

Condition: a port registered for another protocol: IMAP on 110, 995, 25, 465 or
587; POP3 on 143, 993, 25, 465 or 587; SMTP on 110, 143, 993 or 995.

Why: the client speaks one protocol to a server that answers in another; the
login fails, and some clients send the credentials before they notice.

Fix: the protocol's own port (IMAP 993/143, POP3 995/110, SMTP 465/587), or the
right protocol.

Failing::

    incoming: {protocol: pop3, host: mail.example.com, port: 993}
Passing::

    incoming: {protocol: pop3, host: mail.example.com, port: 995}

Reference: IANA Service Name and Transport Protocol Port Number Registry.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Model, Protocol, Severity, default_port
from . import Fixable, Problem, own_fix

ID = "MC203"
SLUG = "port-protocol-mismatch"
SEVERITY = Severity.ERROR
TITLE = "Port registered for another mail protocol"
FIX = Fixable("safe", "the protocol's own port for its security")

_REGISTERED = {
    143: Protocol.IMAP, 993: Protocol.IMAP,
    110: Protocol.POP3, 995: Protocol.POP3,
    25: Protocol.SMTP, 465: Protocol.SMTP, 587: Protocol.SMTP,
}  # fmt: skip


def check(model: Model) -> Iterator[Problem]:
    for _account, server in model.servers():
        owner = _REGISTERED.get(server.port)
        if owner is not None and owner is not server.protocol:
            yield Problem.at(
                server,
                "port",
                f"port {server.port} is the {owner.name} port, but the protocol is {server.protocol.name}; "
                f"set port: {default_port(server.protocol, server.security)}",
                fix=own_fix(server, {"port": default_port(server.protocol, server.security)}),
            )
