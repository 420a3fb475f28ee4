"""The timeout is off (0) or over 600 seconds.

Condition: ``timeout: 0`` (no timeout) or ``timeout`` over 600 seconds. An unset
timeout means the client's own default and is not reported: mailconf does not
guess what each client does (some, like msmtp, have none by default; set one
explicitly to be sure).

Why: a server or middlebox that stops answering, for instance mid-STARTTLS,
then hangs the client forever: a cron job that never ends, a send that never
fails.

Fix: ``timeout: 30`` (anything from 5 to 600 seconds passes).

Failing::

    outgoing: {host: smtp.example.com, timeout: 0}
Passing::

    outgoing: {host: smtp.example.com, timeout: 60}

Reference: none (operational hygiene).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Model, Severity
from . import Fixable, Problem, own_fix

ID = "MC707"
SLUG = "timeout-unbounded"
SEVERITY = Severity.WARNING
TITLE = "Timeout off (0) or over 600 seconds"
FIX = Fixable("safe", "timeout: 30")

MAXIMUM = 600


def check(model: Model) -> Iterator[Problem]:
    for _account, server in model.servers():
        if server.timeout == 0:
            said = "timeout: 0 means no timeout"
        elif server.timeout is not None and server.timeout > MAXIMUM:
            said = f"a timeout of {server.timeout} s is effectively none"
        else:
            continue
        yield Problem.at(
            server,
            "timeout",
            f"{said}: a stalled server hangs the client; set timeout: 30",
            fix=own_fix(server, {"timeout": 30}),
        )
