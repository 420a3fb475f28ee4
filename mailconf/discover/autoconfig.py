"""The provider's own autoconfig file (Thunderbird's fromISP).

``https://autoconfig.DOMAIN/mail/config-v1.1.xml?emailaddress=ADDRESS``, then
``https://DOMAIN/.well-known/autoconfig/mail/config-v1.1.xml``; with
``--allow-http`` the same two over http, after them, and a file fetched that
way is marked untrusted (anyone on the path could have written it).
"""

from __future__ import annotations

import functools
import urllib.parse

from . import rank
from .clientconfig import XmlError, parse
from .env import Env
from .http import FetchError, fetch
from .values import Config, Job, NotFound, clipped, joined, listed


def urls(domain: str, address: str, allow_http: bool) -> list[str]:
    query = "?" + urllib.parse.urlencode({"emailaddress": address})
    paths = [
        f"autoconfig.{domain}/mail/config-v1.1.xml{query}",
        f"{domain}/.well-known/autoconfig/mail/config-v1.1.xml",
    ]
    schemes = ("https", "http") if allow_http else ("https",)
    return [f"{scheme}://{path}" for scheme in schemes for path in paths]


def jobs(env: Env) -> list[Job]:
    return [
        Job(
            f"autoconfig {_shown(url)}",
            (rank.AUTOCONFIG, place),
            functools.partial(fetch_config, env, url, "autoconfig"),
        )
        for place, url in enumerate(urls(env.domain, env.address, env.query.allow_http))
    ]


def fetch_config(env: Env, url: str, source: str, domain: str | None = None) -> Config:
    """Fetch and parse one clientConfig file (autoconfig, the ISPDB, either for the MX's domain); ``domain``: see
    :func:`from_xml`."""
    try:
        fetched = fetch(url, env.deadline, env.dns, env.tls)
    except FetchError as exc:
        raise NotFound(str(exc)) from None
    # a redirect chose the URL: it names the servers' origin in their comments
    return from_xml(fetched.body, env.address, f"{source} {clipped(_shown(fetched.url))}", fetched.secure, domain)


def from_xml(data: bytes, address: str, origin: str, secure: bool, domain: str | None = None) -> Config:
    """The servers of a clientConfig file; with ``domain`` (an ISPDB's answer for it), a file whose ``<domain>``
    elements name other domains only is refused: the ISPDB keys its files by the domains they list, so that is
    another provider's file (a broken or hostile ISPDB), whose servers would be taken as this domain's."""
    try:
        parsed = parse(data, address)
    except XmlError as exc:
        raise NotFound(str(exc)) from None
    if domain is not None and parsed.domains and domain not in parsed.domains:
        raise NotFound(f"the file is for {listed(parsed.domains)} (its <domain> elements), not {domain}")
    if not parsed.servers:
        reason = "no IMAP, POP3 or SMTP server in it"
        raise NotFound(f"{reason}; {joined(parsed.notes)}" if parsed.notes else reason)
    return Config(origin, parsed.servers, None if secure else "fetched over http", parsed.notes)


def _shown(url: str) -> str:
    """The URL without its query (the address, which the output names anyway)."""
    return url.partition("?")[0]
