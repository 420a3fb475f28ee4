"""RFC 6186 SRV records, as updated by RFC 8314 section 5.1.

``_submissions._tcp`` (SMTP, implicit TLS), ``_submission._tcp`` (STARTTLS),
``_imaps._tcp``, ``_imap._tcp``, ``_pop3s._tcp``, ``_pop3._tcp``. Within one
service, records are ordered as RFC 2782 says (lowest priority first, then a
weighted random choice among equal priorities). Across services, implicit TLS
comes first (RFC 8314), then priority across IMAP and POP3 (RFC 6186 section
3.4), IMAP before POP3 on a tie. A target of ``.`` means the service is
decidedly not offered; a target that is not a host name, or port 0, leaves
that record out with a note. The username is the address (RFC 6186 section 4).

The six queries are asked at once, and their records combined in the order above, whatever order they answer
in: a DNS server that drops one (a broken server, a firewall that never answers some names) left the services asked
after it no time before the deadline. One that has not answered when the lookup's patience is over
(parallel.patience) is left out once another gave a server.
"""

from __future__ import annotations

import functools
import itertools
import random
import time
from collections.abc import Sequence
from typing import NamedTuple

from ..hostnames import is_dns_host
from ..model import Protocol, Security
from . import parallel, rank
from .dns import DnsError, Srv
from .env import Env
from .parallel import Parallel
from .values import Candidate, Config, Job, NotFound, joined, shown


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
    names = [f"{service.label}._tcp.{env.domain}" for service in SERVICES]
    answers = _ask(env, names)
    found: list[tuple[bool, int, int, Candidate]] = []
    notes: list[str] = []
    errors: list[str] = []
    # in this order, whatever order the answers came in
    for index, (service, name) in enumerate(zip(SERVICES, names, strict=True)):
        if index not in answers.done:  # the others' answers were taken without it
            errors.append(f"SRV {name}: no answer from {env.dns.label} while the other SRV queries answered")
            continue
        try:
            records = answers.get(index)
        except DnsError as exc:
            errors.append(str(exc))
            continue
        if any(r.target == "." for r in records):
            notes.append(f'{name}: target ".", not offered')
            continue
        for place, record in enumerate(order(records, chooser)):
            if not is_dns_host(record.target):  # a DNS label holds any byte: "dead:beef", "192.0.2.1", "a b"
                notes.append(f"{name}: target {shown(record.target)} left out: not a host name")
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


def _ask(env: Env, names: Sequence[str]) -> Parallel[list[Srv]]:
    """The SRV records of ``names``, all asked at once: until every query has answered, or the lookup's patience
    (parallel.patience) is over and one answered with a server to use. A query missing from the answers is one
    that had not answered by then (a DNS server that drops it must not leave the other services no time)."""
    running = Parallel([(f"srv {name}", functools.partial(env.dns.srv, name, env.deadline)) for name in names])
    until = parallel.patience(env)
    while running.pending():
        if time.monotonic() >= until and any(_usable(running, index) for index in running.done):
            break
        # past its patience, with no server yet, the lookup waits for the rest: each query ends by the deadline on
        # its own (at the deadline, the run no longer waits for this lookup)
        running.wait(until if time.monotonic() < until else None)
    return running


def _usable(running: Parallel[list[Srv]], index: int) -> bool:
    """Whether query ``index`` answered with a record that gives a server."""
    try:
        records = running.get(index)
    except DnsError:
        return False
    if any(r.target == "." for r in records):
        return False
    return any(is_dns_host(r.target) and r.port != 0 for r in records)


def order(records: Sequence[Srv], rng: random.Random) -> list[Srv]:
    """RFC 2782's order: by priority; within a priority, repeatedly pick by weight (weight 0 rarely first).

    Each pick is the RFC's: a number from 0 to the weights left, and the first record (weight-0 records first)
    whose running sum reaches it. The running sums are kept in a Fenwick tree, so a pick costs log n, not n: a
    hostile answer of 3,300 records (what fits in 64 KiB over TCP) took 1.1 s per service, past discover's
    deadline. The same draws pick the same records as the RFC's loop (a test compares them)."""
    result: list[Srv] = []
    for _priority, group in itertools.groupby(sorted(records, key=lambda r: r.priority), key=lambda r: r.priority):
        # weight-0 records first in the list, so they are picked only when the random number is 0
        result += _by_weight(sorted(group, key=lambda r: r.weight != 0), rng)
    return result


def _by_weight(pool: Sequence[Srv], rng: random.Random) -> list[Srv]:
    size = len(pool)
    tree = [0] * (size + 1)  # tree[i]: the weights of pool[i - (i & -i) : i] still to pick

    def add(index: int, weight: int) -> None:
        index += 1
        while index <= size:
            tree[index] += weight
            index += index & -index

    for index, record in enumerate(pool):
        add(index, record.weight)
    top = 1 << size.bit_length()
    taken = [False] * size
    first = 0  # no record before it is left
    total = sum(record.weight for record in pool)
    picked: list[Srv] = []
    for _ in range(size):
        pick = rng.randint(0, total)
        if pick == 0:  # the first record left reaches 0, whatever its weight
            while taken[first]:
                first += 1
            index = first
        else:  # the first whose running sum reaches pick: the tree's descent (a record taken adds 0)
            index, rest, step = 0, pick, top
            while step:
                if index + step <= size and tree[index + step] < rest:
                    index += step
                    rest -= tree[index]
                step >>= 1
        record = pool[index]
        taken[index] = True
        add(index, -record.weight)
        total -= record.weight
        picked.append(record)
    return picked
