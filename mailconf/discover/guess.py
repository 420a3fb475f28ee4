"""Thunderbird's guesses (GuessConfig.sys.mjs), each checked by the probe engine (``--guess``).

Hosts ``imap.``, ``pop3.``, ``pop.``, ``mail.`` and the bare domain for incoming
mail; ``smtp.``, ``mail.`` and the bare domain for outgoing. Ports: IMAP 993
(TLS) and 143 (STARTTLS), POP3 995 and 110, SMTP 465 (TLS), 587 and 25
(STARTTLS). Thunderbird also tries without TLS; mailconf never proposes that.
Every guess is probed (TLS and capabilities, no login); those that pass come
out as Thunderbird sorts them: IMAP before POP3, implicit TLS before STARTTLS,
then in the order of the hosts above.
"""

from __future__ import annotations

import functools

from ..model import Protocol, Security
from . import probing, rank
from .env import Env
from .values import Candidate, Config, Job, NotFound

INCOMING_HOSTS = ("imap.", "pop3.", "pop.", "mail.", "")
OUTGOING_HOSTS = ("smtp.", "mail.", "")

#: (protocol, security) -> port, in the order guesses are ranked. A test points these at its own servers.
PORTS: dict[tuple[Protocol, Security], tuple[int, ...]] = {
    (Protocol.IMAP, Security.TLS): (993,),
    (Protocol.IMAP, Security.STARTTLS): (143,),
    (Protocol.POP3, Security.TLS): (995,),
    (Protocol.POP3, Security.STARTTLS): (110,),
    (Protocol.SMTP, Security.TLS): (465,),
    (Protocol.SMTP, Security.STARTTLS): (587, 25),
}


def guesses(domain: str) -> list[Candidate]:
    found: list[Candidate] = []
    for (protocol, security), ports in PORTS.items():
        hosts = OUTGOING_HOSTS if protocol is Protocol.SMTP else INCOMING_HOSTS
        for port in ports:
            for prefix in hosts:
                if (protocol is Protocol.POP3 and prefix == "imap.") or (
                    protocol is Protocol.IMAP and prefix.startswith("pop")
                ):
                    continue
                found.append(Candidate(protocol, prefix + domain, port, security))
    return found


def jobs(env: Env) -> list[Job]:
    return [Job(f"guess {env.domain}", (rank.GUESS,), functools.partial(lookup, env))]


def lookup(env: Env) -> Config:
    tried = guesses(env.domain)
    # by half the time left: one guess that never answers (port 25 or 587 dropped by a firewall, as many networks
    # do) kept the lookup from answering before the deadline, and the guesses that passed were never used
    verdicts = probing.probe(tried, env, [probing.share(env)] * len(tried))
    passed = tuple(c._replace(probed=v.summary) for c, v in zip(tried, verdicts, strict=True) if v.ok)
    if not passed:
        raise NotFound(f"none of the {len(tried)} guessed servers answered with TLS")
    return Config(f"guess {env.domain}", passed)
