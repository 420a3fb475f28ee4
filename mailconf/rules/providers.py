"""Provider login policy, read from the dated data file ``mailconf/data/providers.json``.

Not a rule: MC303 and MC601-MC604 share it. The facts (hosts, the date a policy took
effect, its source, the severity) live in the data file, so a moved date is a data
change with its source, not a code change. Rules never read the clock: the date is
stated in the message.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from ..model import Account, Auth, Model, Protocol, Server, Severity
from . import Problem

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "providers.json"

#: Logins that send the account password (what providers call basic authentication).
PASSWORD_LOGINS = frozenset((Auth.PASSWORD, Auth.NTLM))


class Policy(NamedTuple):
    rule: str
    provider: str
    hosts: frozenset[str]
    protocols: frozenset[Protocol]
    since: str
    severity: Severity
    summary: str
    source: str
    exclude_domains: frozenset[str] = frozenset()
    #: hosts shared with another policy, matched only for these address domains
    shared_hosts: frozenset[str] = frozenset()
    shared_domains: frozenset[str] = frozenset()


def _policy(entry: dict[str, Any]) -> Policy:
    shared = entry.get("address_domains_on", {})
    return Policy(
        rule=entry["rule"],
        provider=entry["provider"],
        hosts=frozenset(h.lower() for h in entry["hosts"]),
        protocols=frozenset(Protocol(p) for p in entry["protocols"]),
        since=entry["since"],
        severity=Severity.parse(entry["severity"]),
        summary=entry["summary"],
        source=entry["source"],
        exclude_domains=frozenset(d.lower() for d in entry.get("exclude_address_domains", ())),
        shared_hosts=frozenset(h.lower() for h in shared.get("hosts", ())),
        shared_domains=frozenset(d.lower() for d in shared.get("domains", ())),
    )


@cache
def load(path: Path) -> tuple[Policy, ...]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return tuple(_policy(entry) for entry in data["providers"])


def policies() -> tuple[Policy, ...]:
    return load(DATA_FILE)


def matches(policy: Policy, account: Account, server: Server) -> bool:
    if server.protocol not in policy.protocols:
        return False
    host = server.host.lower().rstrip(".")
    domain = account.address.rpartition("@")[2].lower()
    if host in policy.hosts:
        return domain not in policy.exclude_domains
    return host in policy.shared_hosts and domain in policy.shared_domains


def problems(model: Model, rule: str) -> Iterator[Problem]:
    """Password logins to a provider whose policy belongs to ``rule``."""
    mine = [p for p in policies() if p.rule == rule]
    hosts = frozenset().union(*(p.hosts | p.shared_hosts for p in mine))
    for account, server in model.servers():
        if server.auth not in PASSWORD_LOGINS or server.host.lower().rstrip(".") not in hosts:
            continue
        for policy in mine:
            if matches(policy, account, server):
                yield Problem.at(
                    server,
                    "auth",
                    f"{policy.summary}; set auth: oauth2 with a token_command",
                    severity=policy.severity,
                )
                break
