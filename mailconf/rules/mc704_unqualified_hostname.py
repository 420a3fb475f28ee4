"""The host is a single-label name or a ``.local`` name.

Condition: ``host`` has no dot (``mail``), or ends in ``.local``; not reported for
``localhost``, loopback addresses, IP addresses or a host with ``:`` (MC703 says
what is wrong with one that is no IPv6 address).

Why: a single-label name resolves through the search domain of whatever network
the machine is on: at home, in a café or on a VPN it reaches a different host,
or none. ``.local`` is multicast DNS (RFC 6762), answered by any device on the
local network. Either way the account only works on one network, and another
network's machine may receive the login. Info: it is right for some LAN set-ups.

Fix: the fully qualified name (``mail.example.com``).

Failing::

    incoming: {protocol: imap, host: mailserver}
Passing::

    incoming: {protocol: imap, host: mailserver.example.com}

Reference: RFC 1123 section 2.1; RFC 6762 (multicast DNS, .local).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Model, Severity
from . import Problem

ID = "MC704"
SLUG = "unqualified-hostname"
SEVERITY = Severity.INFO
TITLE = "Single-label or .local host name"


def check(model: Model) -> Iterator[Problem]:
    for _account, server in model.servers():
        host = server.host.lower().rstrip(".")
        if ":" in host:  # an IPv6 address, or no host name at all (MC703): not a name that resolves per network
            continue
        if "." not in host:
            why = "a single-label name resolves through the local network's search domain"
        elif host.endswith(".local"):
            why = ".local names are answered by any device on the local network (mDNS)"
        else:
            continue
        if server.is_loopback or server.is_ip_literal:
            continue
        yield Problem.at(server, "host", f"{why}, so {server.host} differs per network; use the full name")
