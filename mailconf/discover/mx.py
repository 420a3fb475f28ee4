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
"""

from __future__ import annotations

import functools
import urllib.parse

from . import ispdb, rank
from .autoconfig import fetch_config
from .clientconfig import is_dns_host, is_host_name
from .dns import DnsError
from .domains import PSL_FILES, base_domain, have_list, is_public_suffix, next_subdomain
from .env import Env
from .values import Config, Job, NotFound, shown


def jobs(env: Env) -> list[Job]:
    return [Job(f"mx {env.domain}", (rank.MX,), functools.partial(lookup, env))]


def lookup(env: Env) -> Config:
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
    if base == env.domain:
        raise NotFound(f"the MX host {host} is in {env.domain} itself", base)
    query = "?" + urllib.parse.urlencode({"emailaddress": env.address})
    longer = next_subdomain(host)
    domains = [domain for domain in (longer, base) if domain is not None and domain != env.domain]
    reasons: list[str] = []
    for domain in dict.fromkeys(domains):
        url = f"https://autoconfig.{domain}/mail/config-v1.1.xml"
        for label, attempt in (
            (url, functools.partial(fetch_config, env, url + query, f"mx {host} -> autoconfig")),
            (ispdb.where(env, domain), functools.partial(ispdb.lookup, env, domain, f"mx {host} -> ispdb")),
        ):
            try:
                return attempt()._replace(related=base)
            except NotFound as exc:
                reasons.append(f"{label}: {exc}")
    raise NotFound(f"MX {host}, base domain {base}: " + "; ".join(reasons), base)
