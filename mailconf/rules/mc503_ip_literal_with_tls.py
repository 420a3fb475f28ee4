"""The host is an IP address while TLS checks names.

Condition: ``host`` is an IPv4 or IPv6 address, the connection uses TLS, and the
certificate is checked by name (``verify`` and ``verify_hostname`` on, no pinned
fingerprint).

Why: certificates name hosts; public CAs rarely include IP addresses, so the
check fails, and the usual "fix" is to turn verification off. An address also
breaks when the server moves.

Fix: use the host name the certificate was issued for; for a server that has no
name (a LAN box with a self-signed certificate) pin its certificate with
``tls.fingerprint``.

Failing::

    incoming: {protocol: imap, host: 192.0.2.10, security: tls}
Passing::

    incoming: {protocol: imap, host: imap.example.com, security: tls}

Reference: RFC 6125 (service identity in certificates); RFC 8314 section 5.3.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Model, Security, Severity
from . import Problem

ID = "MC503"
SLUG = "ip-literal-with-tls"
SEVERITY = Severity.WARNING
TITLE = "IP address as host while TLS checks host names"


def check(model: Model) -> Iterator[Problem]:
    for _account, server in model.servers():
        tls = server.tls
        checks_name = tls.verify and tls.verify_hostname and tls.fingerprint is None
        maybe_ip = server.host[:1].isdigit() or ":" in server.host  # a cheap look before parsing
        if maybe_ip and checks_name and server.security is not Security.NONE and server.is_ip_literal:
            yield Problem.at(
                server,
                "host",
                f"{server.host} is an IP address, but the certificate is checked by name; "
                'use the certificate\'s host name, or pin it with tls.fingerprint: "sha256:..."',
            )
