"""The lowest accepted TLS version is below 1.2.

Condition: ``tls.min_version`` is ``"1.0"`` or ``"1.1"``.

Why: TLS 1.0 and 1.1 are deprecated (RFC 8996), RFC 8997 raises the minimum for
mail submission and access to TLS 1.2, and IMAP4rev2 (RFC 9051) builds on TLS 1.2
or later. Accepting them lets an attacker downgrade a connection to broken cipher
suites.

An unset ``min_version`` is not reported, on purpose, although the client's own
default then applies: for most clients it is 1.2 or later (OpenSSL 3 refuses 1.0
and 1.1 at its default security level; Thunderbird; Go, in aerc; mutt and neomutt
leave ``ssl_use_tlsv1`` and ``ssl_use_tlsv1_1`` off), and a rule firing on every
server without the key would bury the files that lower it. The exception is
GnuTLS's default priority, which on Debian 12 (GnuTLS 3.7.9) still offers TLS 1.0
and 1.1: msmtp connects with it. So removing the key is not the fix.

Fix: ``min_version: "1.2"`` (or ``"1.3"``); mailconf writes it for every client
that has a setting for it (msmtp's ``tls_priorities``, fetchmail's ``sslproto``,
mbsync's ``SSLVersions``...). If the server cannot do TLS 1.2, the server needs
the fix.

Failing::

    incoming: {protocol: imap, host: imap.example.com, tls: {min_version: "1.0"}}
Passing::

    incoming: {protocol: imap, host: imap.example.com, tls: {min_version: "1.2"}}

Reference: RFC 8996; RFC 8997; RFC 9051 section 11.1.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Model, Severity
from . import Fixable, Problem, own_fix

ID = "MC105"
SLUG = "tls-version-too-low"
SEVERITY = Severity.ERROR
TITLE = "Minimum TLS version below 1.2"
FIX = Fixable("unsafe", 'min_version: "1.2"')

_DEPRECATED = frozenset(("1.0", "1.1"))


def check(model: Model) -> Iterator[Problem]:
    for _account, server in model.servers():
        if server.tls.min_version in _DEPRECATED:
            yield Problem.at(
                server,
                "tls.min_version",
                f"min_version {server.tls.min_version} accepts TLS versions deprecated by RFC 8996; "
                'set min_version: "1.2" (without the key, msmtp and other GnuTLS clients still accept TLS 1.0)',
                fix=own_fix(server, {"tls.min_version": "1.2"}),
            )
