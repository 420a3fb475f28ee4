"""STARTTLS that the client may skip: ``security: starttls-optional``.

Condition: ``security: starttls-optional`` (Thunderbird's socketType 1, "STARTTLS,
if available"; fetchmail without ``sslproto``...).

Why: an attacker on the path removes STARTTLS from the server's capability list
(STARTTLS stripping) and the client carries on in cleartext, sending the password
with it. RFC 3207 section 6 describes this very attack (deleting the server's
"250 STARTTLS") and says that clients MUST be able to be configured to require
TLS; RFC 8314 section 5.2 says that a client which requires it does nothing but
discover capabilities and STARTTLS until it has it. ``starttls`` is that setting;
``starttls-optional`` is its absence.

Fix: ``security: tls`` (implicit TLS, port 993/995/465); or ``security: starttls``,
which fails when the upgrade fails.

Failing::

    incoming: {protocol: imap, host: imap.example.com, port: 143, security: starttls-optional}
Passing::

    incoming: {protocol: imap, host: imap.example.com, security: tls}

Reference: RFC 3207 section 6; RFC 8314 section 5.2.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Model, Security, Severity
from . import Fixable, Problem, own_fix

ID = "MC103"
SLUG = "starttls-opportunistic"
SEVERITY = Severity.ERROR
TITLE = "STARTTLS the client may skip (starttls-optional)"
FIX = Fixable("unsafe", "security: starttls (the upgrade becomes required)")


def check(model: Model) -> Iterator[Problem]:
    for _account, server in model.servers():
        if server.security is Security.STARTTLS_OPTIONAL:
            yield Problem.at(
                server,
                "security",
                "starttls-optional continues in cleartext when STARTTLS is missing or stripped by an attacker; "
                "set security: tls (implicit TLS) or security: starttls",
                fix=own_fix(server, {"security": "starttls"}),
            )
