"""Certificate verification is turned off.

Condition: ``tls.verify: false`` with no ``tls.fingerprint``.

Not reported next to a pin, on purpose: ``verify: false`` with a ``fingerprint`` is
what RFC 8314 section 5.4 calls certificate pinning, a lasting binding to one
certificate that does not validate (a self-signed one), which a client may offer
when the account is set up. The client then accepts that certificate and no other,
so nobody on the path can put theirs in its place. RFC 8314 section 5.3 still says
that a pinned connection does not meet the minimum confidentiality level, so MC504
reports every pin: info for SHA-256, a warning for SHA-1 and MD5. A client that
cannot write the pin (or not with that algorithm) does not get it: ``mailconf
render`` reports that as a gap, ``render --strict`` refuses it, and the client keeps
checking the certificate against its CAs (it fails closed on a self-signed one rather
than accept any certificate).

Why: without verification anyone on the path can present their own certificate
and read everything, password included: TLS then only protects against passive
eavesdroppers.

Fix: remove ``verify: false``. For a server with a private CA, name it in
``tls.ca_file``; for a self-signed certificate, pin it with
``tls.fingerprint: "sha256:..."`` (``mailconf probe --show-cert`` prints it).

Failing::

    incoming: {protocol: imap, host: imap.example.com, tls: {verify: false}}
Passing::

    incoming: {protocol: imap, host: imap.example.com, tls: {ca_file: /etc/ssl/certs/company-ca.pem}}

Reference: RFC 8314 section 5.3; CWE-295 (improper certificate validation); RFC 8314
section 5.4 (certificate pinning: why a pin is left to MC504).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Model, Severity
from . import Fixable, Problem, own_fix

ID = "MC501"
SLUG = "tls-verify-disabled"
SEVERITY = Severity.ERROR
TITLE = "Certificate verification turned off"
FIX = Fixable("unsafe", "verify: true (the certificate must then be valid)")


def check(model: Model) -> Iterator[Problem]:
    for _account, server in model.servers():
        if not server.tls.verify and server.tls.fingerprint is None:
            yield Problem.at(
                server,
                "tls.verify",
                "verify: false accepts any certificate, so anyone on the path can read the session; "
                'remove it and name the CA in ca_file, or pin the certificate with fingerprint: "sha256:..."',
                fix=own_fix(server, {"tls.verify": True}),
            )
