"""Mail is submitted without authentication.

Condition: an outgoing (SMTP) server with ``auth: none``. Warning instead of
error when the host is a loopback address (a local MTA that relays for this
machine only).

Why: a submission server must authenticate its clients (RFC 6409); one that
accepts mail from anyone is an open relay, or the set-up only works from one
network and fails silently elsewhere.

Fix: ``auth: password`` with a ``password_command`` (or ``oauth2`` with a
``token_command``).

Failing::

    outgoing: {host: smtp.example.com, auth: none}
Passing::

    outgoing: {host: smtp.example.com, auth: password, password_command: pass show mail/work}

Reference: RFC 6409 section 4.3; RFC 4954.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Auth, Model, Protocol, Severity
from . import Problem

ID = "MC205"
SLUG = "submission-without-auth"
SEVERITY = Severity.ERROR
TITLE = "SMTP submission without authentication (warning on loopback)"


def check(model: Model) -> Iterator[Problem]:
    for _account, server in model.servers():
        if server.protocol is Protocol.SMTP and server.auth is Auth.NONE:
            yield Problem.at(
                server,
                "auth",
                f"submission to {server.host} without authentication; "
                "set auth: password with a password_command (or oauth2 with a token_command)",
                severity=Severity.WARNING if server.is_loopback else None,
            )
