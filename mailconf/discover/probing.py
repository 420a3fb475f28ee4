"""Checking candidate servers with the probe engine: TLS and capabilities, never a login.

Each candidate becomes a :class:`~mailconf.model.Server` and goes through
:func:`mailconf.probe.runner.probe_server` with ``Options(login=False)``: the
same sessions, certificate checks and messages as ``mailconf probe``. Host
names go through discover's resolver (``--dns-server``), certificates are
checked against the system's anchors plus ``--ca-file``, and every session ends
by the run's deadline.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Sequence
from typing import NamedTuple

from ..model import Server, Severity, Tls
from ..probe import checks
from ..probe.conn import in_daemon_thread
from ..probe.runner import Address, Options, Outcome, probe_server, resolve
from .dns import DnsError
from .env import Env
from .values import Candidate, clipped


class Verdict(NamedTuple):
    ok: bool
    summary: str  # what the probe said: the server's summary, or the first error
    #: False: the deadline had passed before the probe could start (neither passed nor failed)
    probed: bool = True


#: the least time a probe's share of the deadline is (or all that is left, when less)
MIN_SHARE = 1.0


def share(env: Env) -> float:
    """By when a probe ends when other candidates follow it: half the time left, at least :data:`MIN_SHARE` (or the
    deadline, when less is left).

    A server that never answers (a port a firewall drops) would use up any deadline, however long, and leave the
    next candidate unprobed; with half, the next one is probed, and a longer --timeout gives each one more.
    """
    left = env.remaining
    part = max(left / 2, min(left, MIN_SHARE))
    return env.deadline - left + part if part < left else env.deadline


def probe(candidates: Sequence[Candidate], env: Env, until: Sequence[float] | None = None) -> list[Verdict]:
    """One verdict per candidate, all probed at once; each by its time in ``until`` (``time.monotonic()``), by
    default the run's deadline."""
    if not candidates:
        return []
    return asyncio.run(_all(candidates, env, until or [env.deadline] * len(candidates)))


async def _all(candidates: Sequence[Candidate], env: Env, until: Sequence[float]) -> list[Verdict]:
    return list(await asyncio.gather(*(_one(c, env, end) for c, end in zip(candidates, until, strict=True))))


async def _one(candidate: Candidate, env: Env, until: float) -> Verdict:
    if env.remaining <= 0:
        return Verdict(False, "not probed: the deadline had passed", probed=False)
    left = min(until, env.deadline) - time.monotonic()
    server = Server(
        candidate.protocol,
        candidate.host,
        candidate.port,
        candidate.security,
        candidate.auth,
        candidate.username or env.address,
        mechanisms=candidate.mechanisms,
        tls=Tls(ca_file=env.anchors),
        timeout=max(1, math.ceil(left)),
    )
    resolver = resolve if env.dns.server is None else _resolver(env)
    try:
        async with asyncio.timeout(left):
            outcomes = await probe_server(server, Options(login=False), resolver)
    except TimeoutError:
        if until < env.deadline:
            return Verdict(False, f"no verdict within its share of the {env.query.timeout:g} s deadline (the rest is "
                                  "kept for the next candidates)")  # fmt: skip
        return Verdict(False, f"no verdict within the {env.query.timeout:g} s deadline")
    return verdict(outcomes)


def verdict(outcomes: Sequence[Outcome]) -> Verdict:
    """Passed: the server answered (MC820) and nothing at error level was found; warnings are appended."""

    def severity(o: Outcome) -> Severity:
        return o.severity or o.check.SEVERITY

    errors = [o for o in outcomes if severity(o) >= Severity.ERROR]
    if errors:
        return Verdict(False, clipped(f"{errors[0].check.ID} {errors[0].message}"))
    said = next((o.message for o in outcomes if o.check is checks.SERVER_OK), None)
    if said is None:
        return Verdict(False, "the server did not answer as expected")
    warnings = [f"{o.check.ID} {o.message}" for o in outcomes if severity(o) is Severity.WARNING]
    # the probe caps each server text it quotes, but not the sentence: 20 names of 40 characters, warnings
    return Verdict(True, clipped("; ".join([said, *warnings])))


def _resolver(env: Env):  # type: ignore[no-untyped-def]
    def lookup(host: str, port: int) -> list[Address]:
        try:
            return [(address, port) for address in env.dns.addresses(host, port, env.deadline)]
        except DnsError as exc:
            raise OSError(0, str(exc)) from None

    async def resolve_here(host: str, port: int) -> list[Address]:
        return await in_daemon_thread(lookup, host.strip("[]"), port)

    return resolve_here
