"""A certificate pin: weak (SHA-1, MD5), or (info) any pin at all.

Condition: ``tls.fingerprint`` with ``sha1:`` or ``md5:`` (warning); with
``sha256:`` it is reported as info, because a pin replaces CA trust.

Why: SHA-1 and MD5 have practical collision attacks; a certificate matching a
weak pin can be forged more cheaply than a SHA-256 one. Any pin, strong or not,
replaces the CA's judgement: the client trusts exactly one certificate, and mail
stops the day the server renews it (every 90 days with Let's Encrypt).

Fix: pin the SHA-256 fingerprint (``mailconf probe --show-cert`` prints it); where
the server has a publicly trusted certificate, drop the pin and let the CA check
work. Suppress the info with a reason when the pin is intended:
``# mailconf: disable=MC504 self-signed NAS, pin renewed by hand``.

Failing::

    incoming:
      protocol: pop3
      host: mail.home.example
      leave_on_server: true
      tls: {fingerprint: "sha1:9B:4D:AA:10:2F:5C:61:88:E0:93:12:7D:C4:05:BE:39:F2:6A:71:0D"}
Passing::

    incoming: {protocol: pop3, host: mail.example.com, leave_on_server: true}

Reference: RFC 8314 section 5.4 (certificate pinning); RFC 6194 (SHA-1), RFC 6151 (MD5).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Model, Severity
from . import Problem

ID = "MC504"
SLUG = "weak-fingerprint-pin"
SEVERITY = Severity.WARNING
TITLE = "Certificate pin with SHA-1/MD5 (info for any pin)"


def check(model: Model) -> Iterator[Problem]:
    for _account, server in model.servers():
        algorithm = server.tls.fingerprint_algorithm
        if algorithm is None:
            continue
        if algorithm == "sha256":
            yield Problem.at(
                server,
                "tls.fingerprint",
                "the pin replaces CA trust: only this certificate is accepted, so update the pin "
                "whenever the server renews its certificate",
                severity=Severity.INFO,
            )
        else:
            yield Problem.at(
                server,
                "tls.fingerprint",
                f"{algorithm.upper()} pins can be matched by a forged certificate; pin the sha256 fingerprint "
                "(mailconf probe --show-cert prints it)",
            )
