"""The MX host's domain (Thunderbird's forMX): the lowest-preference MX host's base domain and the
host without its first label (``getNextSubDomain``), then https autoconfig and the ISPDB for each, the longer first.

Mail hosted by a provider is often configured as the provider's: MX
``mx1.eu.hoster.example`` -> look up ``eu.hoster.example``, then ``hoster.example``
(the longer name tells apart a provider's services under one base domain:
Thunderbird added it to tell Office 365, MX ``*.mail.protection.outlook.com``, whose
ISPDB file lists ``mail.protection.outlook.com``, from Outlook.com). As in
Thunderbird, the address is sent along to the autoconfig URL
(``?emailaddress=``), and nothing is looked up when the base domain is the
address's own domain. Without a Public Suffix List no base domain is known, and
nothing is looked up either. The base domain
is kept (``related``) even when nothing is found there: servers in it are not
flagged as outside the address's domains. An MX host that is itself a public suffix
(``com``, ``co.uk``: a broken or hostile record) is passed over, as Thunderbird does:
its "base domain" would make every host under ``.com`` look related; so is an MX that is an IP
address (``192.0.2.1.``), whose "base domain" ``2.1`` is nobody's.

The URLs are all asked at once, as Thunderbird's forMX asks them: the first in the order above that finds a
configuration wins, whatever order they answer in; one that has not answered when the lookup's patience is over
(parallel.patience) no longer holds up one ranked after it that has: one URL that hangs took the time of the next.
"""

from __future__ import annotations

import functools
import time
import urllib.parse
from collections.abc import Callable, Sequence

from ..hostnames import is_dns_host, is_host_name
from . import ispdb, parallel, rank
from .autoconfig import fetch_config
from .dns import DnsError
from .domains import PSL_FILES, base_domain, have_list, is_public_suffix, next_subdomain
from .env import Env
from .parallel import Parallel
from .values import Config, Job, NotFound, Related, shown


def jobs(env: Env) -> list[Job]:
    related = Related()
    return [Job(f"mx {env.domain}", (rank.MX,), functools.partial(lookup, env, related), related)]


def lookup(env: Env, related: Related | None = None) -> Config:
    """The configuration found for the MX host's domain; ``related`` is told its base domain as soon as the DNS
    answered, before the URLs are asked (the run's domain check needs no more)."""
    try:
        records = env.dns.mx(env.domain, env.deadline)
    except DnsError as exc:
        raise NotFound(str(exc)) from None
    hosts = sorted((r for r in records if r.host != "."), key=lambda r: (r.preference, r.host))
    if records and not hosts:  # "MX 0 ." says there is no mail server at all, not that none is published
        raise NotFound(f"{env.domain} has a null MX (RFC 7505): it receives no mail")
    if not hosts:
        raise NotFound(f"no MX record for {env.domain}")
    host = hosts[0].host
    if not is_host_name(host):  # "mx./home/me/x.test" (DNS labels hold any byte): a path in --ispdb DIR, a URL's path
        raise NotFound(f"the MX host {shown(host)} is not a host name")
    if not is_dns_host(host):  # "192.0.2.1.": its "base domain" 2.1 would be looked up, and count as related
        raise NotFound(f"the MX host {host} looks like an IP address, not a host name (RFC 5321 section 5.1)")
    if not have_list():  # the last two labels would make co.uk the base domain, and every host under it related
        raise NotFound(
            f"the MX host {host}: no Public Suffix List to find its base domain by ({PSL_FILES[0]}: Debian's "
            "publicsuffix package)"
        )
    if is_public_suffix(host):  # "com.", "co.uk.": no provider's name, and every host under it would pass as related
        raise NotFound(f"the MX host {host} is a public suffix, not a mail server's name")
    base = base_domain(host)
    if related is not None:
        related.tell(base)
    if base == env.domain:
        raise NotFound(f"the MX host {host} is in {env.domain} itself", base)
    query = "?" + urllib.parse.urlencode({"emailaddress": env.address})
    longer = next_subdomain(host)
    domains = [domain for domain in (longer, base) if domain is not None and domain != env.domain]
    attempts: list[tuple[str, Callable[[], Config]]] = []
    for domain in dict.fromkeys(domains):
        url = f"https://autoconfig.{domain}/mail/config-v1.1.xml"
        attempts += [
            (url, functools.partial(fetch_config, env, url + query, f"mx {host} -> autoconfig")),
            (ispdb.where(env, domain), functools.partial(ispdb.lookup, env, domain, f"mx {host} -> ispdb")),
        ]
    return _first(env, attempts, f"MX {host}, base domain {base}", base)._replace(related=base)


def _first(env: Env, attempts: Sequence[tuple[str, Callable[[], Config]]], what: str, related: str) -> Config:
    """The best-ranked configuration ``attempts`` (label, call: the best first) find, all asked at once, as
    Thunderbird's forMX does: one that answers is taken once every better-ranked one has found nothing, or once
    the lookup's patience (parallel.patience) is over, whatever order they answer in. NotFound, with each one's
    reason in rank order, when none finds any."""
    running = Parallel([(f"{what} -> {label}", call) for label, call in attempts])
    until = parallel.patience(env)
    while True:
        ended = [index for index in sorted(running.done) if not isinstance(running.done[index], NotFound)]
        if ended and (time.monotonic() >= until or all(index in running.done for index in range(ended[0]))):
            return running.get(ended[0])  # a bug in it (no NotFound) is raised again, as if asked alone
        if not running.pending():
            break
        # past its patience, the lookup answers when the next one does: each ends by the deadline on its own (at
        # the deadline, the run no longer waits for this lookup)
        running.wait(until if time.monotonic() < until else None)
    reasons = [f"{label}: {running.done[index]}" for index, (label, _) in enumerate(attempts)]
    raise NotFound(f"{what}: " + "; ".join(reasons), related)
