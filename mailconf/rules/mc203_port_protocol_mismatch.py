"""The port belongs to another mail protocol.

Condition: a port registered for another protocol: IMAP on 110, 995, 25, 465 or
587; POP3 on 143, 993, 25, 465 or 587; SMTP on 110, 143, 993 or 995. POP3 on an
SMTP port (25, 465, 587) is reported like IMAP on one: the registry gives those
ports to SMTP alone.

On another protocol's port this is the only finding: MC201 (STARTTLS on 993, 995,
465) and MC202 (implicit TLS on 143, 110, 587, 25) report those ports only for the
server's own protocol, because their other advice (keep the port, change
``security``) would leave POP3 on the IMAP port.

Why: the client speaks one protocol to a server that answers in another; the
login fails, and some clients send the credentials before they notice.

Fix: the protocol's own port (IMAP 993/143, POP3 995/110, SMTP 465/587), or the
right protocol.

Failing::

    incoming: {protocol: pop3, host: mail.example.com, port: 993}
Passing::

    incoming: {protocol: pop3, host: mail.example.com, port: 995}

Reference: IANA Service Name and Transport Protocol Port Number Registry (imap 143,
imaps 993, pop3 110, pop3s 995, smtp 25, submissions 465, submission 587).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Model, Protocol, Server, Severity, default_port
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


def foreign(server: Server) -> Protocol | None:
    """The protocol whose registered port the server uses, when it is not the server's own (else None)."""
    owner = _REGISTERED.get(server.port)
    return owner if owner is not None and owner is not server.protocol else None


def check(model: Model) -> Iterator[Problem]:
    for _account, server in model.servers():
        owner = foreign(server)
        if owner is not None:
            yield Problem.at(
                server,
                "port",
                f"port {server.port} is the {owner.name} port, but the protocol is {server.protocol.name}; "
                f"set port: {default_port(server.protocol, server.security)}",
                fix=own_fix(server, {"port": default_port(server.protocol, server.security)}),
            )
