"""STARTTLS is chosen where implicit TLS exists.

Condition: ``security: starttls`` on a port other than the implicit-TLS one
(993 IMAP, 995 POP3, 465 SMTP; on those ports MC201 applies). Warning for IMAP and
POP3; info for SMTP, where port 587 with STARTTLS is still widespread and
acceptable when the upgrade is required.

Why: RFC 8314 prefers implicit TLS for mail access and submission. The cleartext
phase before STARTTLS has a long record of bugs: command injection, response
injection and buffering flaws were found in most clients and servers tested
(Poddebniak et al., USENIX Security 2021).

Fix: ``security: tls`` with port 993 (IMAP), 995 (POP3) or 465 (SMTP). Keep
STARTTLS only when the server has no implicit-TLS listener, and suppress this
finding with a reason: ``# mailconf: disable=MC104 no IMAPS at this provider``.

Failing::

    incoming: {protocol: imap, host: imap.example.com, port: 143, security: starttls}
Passing::

    incoming: {protocol: imap, host: imap.example.com, port: 993, security: tls}

Reference: RFC 8314 section 3 and appendix A; Poddebniak et al., "Why TLS is
better without STARTTLS", USENIX Security 2021.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Model, Protocol, Security, Severity, default_port
from . import Fixable, Problem, to_implicit_tls

ID = "MC104"
SLUG = "prefer-implicit-tls"
SEVERITY = Severity.WARNING
TITLE = "STARTTLS where implicit TLS exists (info for SMTP)"
FIX = Fixable("unsafe", "security: tls, and the implicit-TLS port when the port written is 143/110/587")


def check(model: Model) -> Iterator[Problem]:
    for _account, server in model.servers():
        implicit = default_port(server.protocol, Security.TLS)
        if server.security is Security.STARTTLS and server.port != implicit:
            yield Problem.at(
                server,
                "security",
                f"{server.protocol.name} to {server.host} uses STARTTLS; implicit TLS avoids the cleartext phase "
                f"and its injection bugs: set security: tls and port: {implicit}",
                severity=Severity.INFO if server.protocol is Protocol.SMTP else None,
                fix=to_implicit_tls(server),
            )
