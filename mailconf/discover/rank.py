"""How lookups rank: Thunderbird 153's order, then what Thunderbird lacks (docs/discover.md, "Ranking").

Thunderbird (FindConfig.sys.mjs) runs its lookups in parallel and takes the
highest-priority success: the provider's own autoconfig (https, then with
``--allow-http`` http; ``autoconfig.DOMAIN`` before ``DOMAIN/.well-known``),
then the ISPDB, then the MX host's base domain. Thunderbird has no RFC 6186
lookup; the IETF draft ranks SRV below those (it cannot say the username form
or the authentication), so it comes next, and guessing last, as in Thunderbird.
A rank is a tuple: the source, then the place within it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from .values import Candidate, Config, Lookup

AUTOCONFIG = 0
ISPDB = 1
MX = 2
SRV = 3
GUESS = 4


def candidates(lookups: Iterable[Lookup], side: str) -> Iterator[tuple[Lookup, Config, Candidate]]:
    """Every server proposed for ``side`` ("incoming" or "outgoing"), best first."""
    for lookup in sorted(lookups, key=lambda found: found.rank):
        if lookup.config is None:
            continue
        for server in lookup.config.servers:
            if server.side == side:
                yield lookup, lookup.config, server
