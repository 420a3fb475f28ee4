"""Run every lookup in parallel under one deadline, take candidates in rank order, probe them.

Each lookup runs in a daemon thread (parallel.py: a lookup stuck in a DNS or
HTTP read is abandoned at the deadline, never waited for). A side (incoming,
outgoing) takes its best candidate once every lookup ranked above it has
answered, as Thunderbird takes the highest-priority success, or once half the
deadline has passed (the other half is for probing); unless probing is off, that
candidate is probed, and if it fails the next one is taken. Whatever is still
unanswered at the deadline is reported as such.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from typing import NamedTuple

from . import autoconfig, guess, ispdb, mx, probing, rank, srv
from .domains import inside
from .env import Env
from .parallel import Parallel
from .values import Candidate, Config, Job, Lookup, NotFound, joined

SIDES = ("incoming", "outgoing")


class Chosen(NamedTuple):
    server: Candidate
    config: Config
    #: the probe's summary; None when not probed (--no-probe)
    probe: str | None
    #: why it was not probed, when it was not
    unprobed: str | None = None


class Late(NamedTuple):
    """A side's next candidate, which the deadline left no time to probe: it is neither passed nor failed."""

    side: str
    server: Candidate
    origin: str


class Rejected(NamedTuple):
    server: Candidate
    origin: str
    why: str


class Discovery(NamedTuple):
    lookups: tuple[Lookup, ...]  # every lookup, in rank order, answered or not
    chosen: dict[str, Chosen]  # by side
    rejected: tuple[Rejected, ...]
    domains: tuple[str, ...]  # the address's domain, and its MX's base domain when known
    #: the candidates the deadline left unprobed (with probing on): the user asked for checked servers
    late: tuple[Late, ...] = ()

    def outside(self, server: Candidate) -> bool:
        return not inside(server.host, self.domains)


def jobs(env: Env) -> list[Job]:
    found = autoconfig.jobs(env) + ispdb.jobs(env) + mx.jobs(env) + srv.jobs(env)
    return found + (guess.jobs(env) if env.query.guess else [])


def discover(env: Env, job_list: Sequence[Job] | None = None) -> Discovery:
    todo = list(job_list if job_list is not None else jobs(env))
    board = _Board(todo, env)
    chosen: dict[str, Chosen] = {}
    rejected: list[Rejected] = []
    late: dict[str, Late] = {}
    failed: set[tuple[object, ...]] = set()
    while len(chosen) + len(late) < len(SIDES):
        ready: dict[str, tuple[Config, Candidate]] = {}
        waiting = False
        for side in SIDES:
            if side in chosen or side in late:
                continue
            best = next(
                (found for found in rank.candidates(board.answered(), side) if found[2].key not in failed), None
            )
            if best is not None and (board.settled(best[0].rank) or not board.patient()):
                ready[side] = best[1], best[2]
            elif board.can_wait():
                waiting = True
        if ready:
            behind = {side: board.behind(side, server, failed) for side, (_, server) in ready.items()}
            _take(ready, env, behind, chosen=chosen, rejected=rejected, failed=failed, late=late)
        elif waiting:
            board.wait()
        else:
            break
    if any(not inside(c.server.host, (env.domain,)) for c in chosen.values()):
        # the MX's base domain, for the domain check: its DNS answer, not the lookup's end (it goes on to fetch from
        # that domain, and one fetch that hangs kept the servers found from the user until the deadline); not at all
        # for servers in the address's own domain
        board.learn_related()
    lookups = board.report()
    domains = tuple(dict.fromkeys([env.domain, *board.related()]))
    return Discovery(lookups, chosen, tuple(rejected), domains, tuple(late[s] for s in SIDES if s in late))


def _take(
    ready: dict[str, tuple[Config, Candidate]],
    env: Env,
    behind: dict[str, bool],
    *,
    chosen: dict[str, Chosen],
    rejected: list[Rejected],
    failed: set[tuple[object, ...]],
    late: dict[str, Late],
) -> None:
    to_probe = {}
    for side, (config, server) in ready.items():
        if server.probed is not None:
            chosen[side] = Chosen(server, config, server.probed)
        elif not env.query.probe:
            chosen[side] = Chosen(server, config, None, "not probed (--no-probe)")
        elif env.remaining <= 0:
            late[side] = Late(side, server, config.origin)
        else:
            to_probe[side] = config, server
    until = [probing.share(env) if behind[side] else env.deadline for side in to_probe]
    verdicts = probing.probe([server for _, server in to_probe.values()], env, until)
    for (side, (config, server)), verdict in zip(to_probe.items(), verdicts, strict=True):
        if not verdict.probed:  # the deadline passed before its session could start
            late[side] = Late(side, server, config.origin)
        elif verdict.ok:
            chosen[side] = Chosen(server, config, verdict.summary)
        else:
            failed.add(server.key)
            rejected.append(Rejected(server, config.origin, verdict.summary))


def _schema_valid(config: Config, address: str) -> Config:
    """Only the servers the account file's schema accepts (what the network said is not trusted to fit)."""
    from ..schema import account_is_valid

    kept: list[Candidate] = []
    notes = list(config.notes)
    for server in config.servers:
        if account_is_valid({"address": address, server.side: server.data()}):
            kept.append(server)
        else:
            notes.append(f"{server.endpoint} left out: not a valid account file server (check its host and username)")
    if not kept:
        raise NotFound(joined(notes), config.related)
    return config._replace(servers=tuple(kept), notes=tuple(notes))


class _Board:
    """The lookups' threads and what they answered so far."""

    def __init__(self, todo: Sequence[Job], env: Env) -> None:
        self.env = env
        self.todo = todo
        self.lookups = Parallel([(job.name, functools.partial(self._run, job)) for job in todo])
        for job in todo:
            if job.related is not None:
                job.related.listen(self.lookups.wake)

    def _run(self, job: Job) -> Lookup:
        try:
            config = _schema_valid(job.run(), self.env.address)
            return Lookup(job.name, job.rank, config, None, config.related)
        except NotFound as exc:
            if self.env.remaining <= 0:
                # cut by the deadline (a DNS or HTTP read given the time that was left): the same words as a
                # lookup the report did not wait for, whichever of the two ends first (they end together)
                return self._too_late(job)
            return Lookup(job.name, job.rank, None, str(exc), exc.related)
        except Exception as exc:  # noqa: BLE001 - a bug in one lookup must not hide the others
            return Lookup(job.name, job.rank, None, f"internal error ({type(exc).__name__}); please report it")

    @property
    def results(self) -> dict[int, Lookup]:
        """The lookups answered so far, by their index in ``todo``, in the order they answered."""
        return {index: self.lookups.get(index) for index in self.lookups.done}

    def answered(self) -> list[Lookup]:
        return list(self.results.values())

    def behind(self, side: str, server: Candidate, failed: set[tuple[object, ...]]) -> bool:
        """Whether another candidate for ``side`` may follow ``server``: one already found, or a lookup still
        running."""
        if self.pending():
            return True
        skip = failed | {server.key}
        return any(c.key not in skip for _, _, c in rank.candidates(self.answered(), side))

    def pending(self) -> list[int]:
        return self.lookups.pending()

    def settled(self, rank_: tuple[int, ...]) -> bool:
        """Every lookup ranked above ``rank_`` has answered."""
        return all(self.todo[i].rank >= rank_ for i in self.pending())

    def can_wait(self) -> bool:
        return bool(self.pending()) and self.env.remaining > 0

    def patient(self) -> bool:
        """Whether a lower-ranked server still waits for better-ranked lookups: until half the deadline.

        The other half is left for probing, so that one lookup that hangs (a web server that
        accepts and never answers) does not leave the servers other lookups found unprobed.
        """
        return self.can_wait() and self.env.remaining > self.env.query.timeout / 2

    def wait(self) -> None:
        """Until one more lookup answers, or the end of patience (while patient), or the deadline."""
        left = self.env.remaining
        if self.patient():
            left -= self.env.query.timeout / 2
        self.lookups.wait(time.monotonic() + left)

    def learn_related(self) -> None:
        """Until every lookup still running has told the domains it learns on the way (the MX step: its base domain,
        once the DNS answered), or the deadline."""
        while self.can_wait() and any(self._unheard(i) for i in self.pending()):
            self.wait()

    def _unheard(self, index: int) -> bool:
        related = self.todo[index].related
        return related is not None and not related.told

    def related(self) -> list[str]:
        """The domains learnt so far: told on the way, or with a lookup's answer."""
        told = [job.related.domain for job in self.todo if job.related is not None and job.related.domain]
        return told + [lookup.related for lookup in self.answered() if lookup.related]

    def _placeholder(self, index: int) -> Lookup:
        job = self.todo[index]
        if self.env.remaining > 0:
            return Lookup(job.name, job.rank, None, "not waited for: a better-ranked answer was taken")
        return self._too_late(job)

    def _too_late(self, job: Job) -> Lookup:
        return Lookup(job.name, job.rank, None, f"no answer within the {self.env.query.timeout:g} s deadline")

    def report(self) -> tuple[Lookup, ...]:
        """Every lookup, in rank order: what it answered, or why it has not.

        A lookup that found nothing while the run did not wait (it probed a server until the deadline) says why in
        its own words, as one that found nothing a moment earlier did; servers it found then were not used, and it
        reads as one that did not answer."""
        taken = self.results
        self.lookups.collect()
        every = [self._reported(i, taken) for i in range(len(self.todo))]
        return tuple(sorted(every, key=lambda lookup: lookup.rank))

    def _reported(self, index: int, taken: dict[int, Lookup]) -> Lookup:
        if index in taken:
            return taken[index]
        ended = self.results.get(index)
        return ended if ended is not None and ended.config is None else self._placeholder(index)
