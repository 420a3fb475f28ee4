"""RFC 6186 SRV records, as updated by RFC 8314 section 5.1.

``_submissions._tcp`` (SMTP, implicit TLS), ``_submission._tcp`` (STARTTLS),
``_imaps._tcp``, ``_imap._tcp``, ``_pop3s._tcp``, ``_pop3._tcp``. Within one
service, records are ordered as RFC 2782 says (lowest priority first, then a
weighted random choice among equal priorities). Across services, implicit TLS
comes first (RFC 8314), then priority across IMAP and POP3 (RFC 6186 section
3.4), IMAP before POP3 on a tie. A target of ``.`` means the service is
decidedly not offered; a target that is not a host name, or port 0, leaves
that record out with a note. The username is the address (RFC 6186 section 4).
"""

from __future__ import annotations

import functools
import random
from collections.abc import Sequence
from typing import NamedTuple

from ..model import Protocol, Security
from . import rank
from .clientconfig import is_dns_host
from .dns import DnsError, Srv
from .env import Env
from .values import Candidate, Config, Job, NotFound, joined


class Service(NamedTuple):
    label: str
    protocol: Protocol
    security: Security


SERVICES = (
    Service("_imaps", Protocol.IMAP, Security.TLS),
    Service("_imap", Protocol.IMAP, Security.STARTTLS),
    Service("_pop3s", Protocol.POP3, Security.TLS),
    Service("_pop3", Protocol.POP3, Security.STARTTLS),
    Service("_submissions", Protocol.SMTP, Security.TLS),
    Service("_submission", Protocol.SMTP, Security.STARTTLS),
)


def jobs(env: Env) -> list[Job]:
    return [Job(f"srv _*._tcp.{env.domain}", (rank.SRV,), functools.partial(lookup, env))]


def lookup(env: Env, rng: random.Random | None = None) -> Config:
    chooser = rng or random.Random()
    found: list[tuple[bool, int, int, Candidate]] = []
    notes: list[str] = []
    errors: list[str] = []
    for service in SERVICES:
        name = f"{service.label}._tcp.{env.domain}"
        try:
            records = env.dns.srv(name, env.deadline)
        except DnsError as exc:
            errors.append(str(exc))
            continue
        if any(r.target == "." for r in records):
            notes.append(f"{name}: target '.', not offered")
            continue
        for place, record in enumerate(order(records, chooser)):
            if not is_dns_host(record.target):  # a DNS label holds any byte: "dead:beef", "192.0.2.1", "a b"
                notes.append(f"{name}: target {record.target!r} left out: not a host name")
                continue
            if record.port == 0:
                notes.append(f"{name}: target {record.target} left out: port 0 is not a port")
                continue
            server = Candidate(service.protocol, record.target.lower(), record.port, service.security)
            tls_first = service.security is not Security.TLS
            found.append((tls_first, record.priority, place, server))
    if not found and errors:
        more = f" (and {len(errors) - 1} more SRV lookups failed)" if len(errors) > 1 else ""
        raise NotFound(errors[0] + more)
    if not found:
        raise NotFound(joined(notes or [f"no SRV record for {env.domain}"]))
    found.sort(key=lambda item: (item[0], item[1], item[3].protocol is not Protocol.IMAP, item[2]))
    return Config(f"srv {env.domain}", tuple(item[3] for item in found), notes=tuple(notes + errors))


def order(records: Sequence[Srv], rng: random.Random) -> list[Srv]:
    """RFC 2782's order: by priority; within a priority, repeatedly pick by weight (weight 0 rarely first)."""
    result: list[Srv] = []
    for priority in sorted({r.priority for r in records}):
        # weight-0 records first in the list, so they are picked only when the random number is 0
        pool = sorted((r for r in records if r.priority == priority), key=lambda r: r.weight != 0)
        while pool:
            total = sum(r.weight for r in pool)
            pick = rng.randint(0, total)
            running = 0
            for index, record in enumerate(pool):
                running += record.weight
                if running >= pick:
                    result.append(pool.pop(index))
                    break
    return result
