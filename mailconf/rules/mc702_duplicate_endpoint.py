"""The same login at the same server is declared twice.

Condition: two servers, in different accounts, with the same protocol, host
(ignoring case and a trailing dot), port and username. The finding points at the
second one.

Why: two accounts fetching one mailbox download every message twice (POP3) or
fight over flags and deletions; a copy-pasted account that was meant to point
elsewhere is the usual cause.

Fix: remove one of the accounts, or correct its host, port or username.

Failing::

    accounts:
      work: {address: alice@example.com, incoming: {protocol: imap, host: imap.example.com}}
      work2: {address: alice@example.com, incoming: {protocol: imap, host: imap.example.com}}
Passing::

    accounts:
      work: {address: alice@example.com, incoming: {protocol: imap, host: imap.example.com}}
      bob: {address: bob@example.com, incoming: {protocol: imap, host: imap.example.com}}

Reference: none (hygiene).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Model, Protocol, Severity
from . import Problem

ID = "MC702"
SLUG = "duplicate-endpoint"
SEVERITY = Severity.WARNING
TITLE = "Same protocol, host, port and user declared twice"


def check(model: Model) -> Iterator[Problem]:
    seen: dict[tuple[Protocol, str, int, str], str] = {}
    for account, server in model.servers():
        key = (server.protocol, server.host.lower().rstrip("."), server.port, server.username)
        first = seen.setdefault(key, account.name)
        if first != account.name:
            yield Problem(
                server.path,
                f"{server.endpoint} as {server.username} is already declared by account `{first}`; "
                "remove one, or correct its host, port or username",
                on_key=True,
            )
