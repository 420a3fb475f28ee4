"""A server is reached without TLS, even though no credentials are sent.

Condition: ``security: none`` and ``auth: none``. Info instead of warning when the
host is a loopback address (``localhost`` in any case and with or without a final
dot, ``127.0.0.1``, ``::1``, ``::ffff:127.0.0.1``): traffic that never leaves the
machine, like a local bridge, cannot be read on the network. MC204 and MC205 read
loopback the same way.

Why: without TLS anyone on the path reads and changes the mail itself, and the
client cannot tell it is talking to the real server. RFC 8314 asks for TLS on
every connection to a mail server, not only the ones that log in.

Fix: ``security: tls`` (ports 993/995/465); where the server cannot, at least
``security: starttls``.

Failing::

    outgoing: {host: relay.example.com, port: 587, security: none, auth: none}
Passing::

    outgoing: {host: relay.example.com, port: 465, security: tls, auth: password,
               password_command: pass show mail/relay}

Reference: RFC 8314 sections 1 and 4.1.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Auth, Model, Security, Severity, default_port
from . import Fixable, Problem, to_implicit_tls

ID = "MC102"
SLUG = "cleartext-connection"
SEVERITY = Severity.WARNING
TITLE = "Connection without TLS (info on loopback)"
FIX = Fixable("unsafe", "security: tls (and the implicit-TLS port when the port written is 143/110/587)")


def check(model: Model) -> Iterator[Problem]:
    for _account, server in model.servers():
        if server.security is Security.NONE and server.auth is Auth.NONE:
            port = default_port(server.protocol, Security.TLS)
            if server.is_loopback:
                yield Problem.at(
                    server,
                    "security",
                    f"{server.protocol.name} to loopback host {server.host} without TLS: the traffic stays on "
                    f"this machine; set security: tls (port {port}) if it ever points elsewhere",
                    severity=Severity.INFO,
                    fix=to_implicit_tls(server),
                )
            else:
                yield Problem.at(
                    server,
                    "security",
                    f"{server.protocol.name} to {server.host} without TLS: mail can be read and changed on the way; "
                    f"set security: tls (port {port})",
                    fix=to_implicit_tls(server),
                )
