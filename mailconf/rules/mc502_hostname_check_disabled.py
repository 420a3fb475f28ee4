"""The certificate chain is checked, but not the name in it.

Condition: ``tls.verify_hostname: false`` while ``tls.verify`` is on and no
fingerprint is pinned (with ``verify: false`` MC501 applies). A pin names the one
certificate accepted, whatever names it holds (RFC 8314 section 5.4), so it is left
to MC504, as in MC501.

Why: any valid certificate from any public CA, for any domain, is then accepted:
an attacker with a certificate for their own domain can impersonate the server.
IMAP4rev2 and RFC 7817 require the client to check the server's name.

Fix: remove ``verify_hostname: false`` and use the name the certificate was
issued for in ``host`` (not an IP address or an internal alias); for a
self-signed certificate, pin it with ``tls.fingerprint``.

Failing::

    incoming: {protocol: imap, host: imap.example.com, tls: {verify_hostname: false}}
Passing::

    incoming: {protocol: imap, host: imap.example.com}

Reference: RFC 7817; RFC 9051 section 11.1; RFC 6125; RFC 8314 section 5.4 (certificate pinning).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Model, Severity
from . import Fixable, Problem, own_fix

ID = "MC502"
SLUG = "hostname-check-disabled"
SEVERITY = Severity.ERROR
TITLE = "Certificate checked without its host name"
FIX = Fixable("unsafe", "verify_hostname: true (the certificate must then name the host)")


def check(model: Model) -> Iterator[Problem]:
    for _account, server in model.servers():
        tls = server.tls
        if tls.verify and not tls.verify_hostname and tls.fingerprint is None:
            yield Problem.at(
                server,
                "tls.verify_hostname",
                "verify_hostname: false accepts a valid certificate for any other domain; "
                f"remove it and use the certificate's name as host (now {server.host})",
                fix=own_fix(server, {"tls.verify_hostname": True}),
            )
