"""POP3 downloads mail and deletes it from the server.

Condition: a POP3 server without ``leave_on_server: true`` (unset, or false). ``leave_days`` alone
says to leave the copies for that many days: it counts as ``leave_on_server: true``.

Why: POP3 clients delete what they download unless told otherwise; the phone,
the webmail and the second laptop never see those messages, and a lost or
broken disk loses them for good.

Fix: ``leave_on_server: true``, with ``leave_days`` to bound the mailbox's
growth (e.g. 30); or use IMAP, which keeps mail on the server by design.

Failing::

    incoming: {protocol: pop3, host: pop.example.com}
Passing::

    incoming: {protocol: pop3, host: pop.example.com, leave_on_server: true, leave_days: 30}

Reference: RFC 1939 sections 5 and 6 (DELE marks a message, the UPDATE state removes it).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Model, Protocol, Severity
from . import Fixable, Problem, own_fix

ID = "MC705"
SLUG = "pop3-deletes-from-server"
SEVERITY = Severity.WARNING
TITLE = "POP3 without leave_on_server (other devices lose mail)"
FIX = Fixable("safe", "leave_on_server: true where it is written false")


def check(model: Model) -> Iterator[Problem]:
    for _account, server in model.servers():
        if server.protocol is Protocol.POP3 and server.leave_on_server is not True:
            said = "leave_on_server: false" if server.leave_on_server is False else "POP3 by default"
            yield Problem.at(
                server,
                "leave_on_server",
                f"{said} deletes mail from the server after download, so other devices never see it; "
                "set leave_on_server: true (and leave_days to bound it)",
                fix=own_fix(server, {"leave_on_server": True}) if server.leave_on_server is False else (),
            )
