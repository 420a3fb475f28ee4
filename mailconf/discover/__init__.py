"""discover: from an e-mail address to the account's servers (docs/discover.md).

Lookups (one module per source: :mod:`.autoconfig`, :mod:`.ispdb`, :mod:`.mx`,
:mod:`.srv`, :mod:`.guess`) run in parallel under one deadline
(:mod:`.engine`), rank as Thunderbird ranks them (:mod:`.rank`), and the chosen
servers are probed without a login (:mod:`.probing`). :mod:`.account` turns
the result into account data with a comment per server. Nothing here prints.
"""

from __future__ import annotations

import ssl
import time

from ..errors import UsageError
from .dns import Dns
from .engine import Discovery, discover
from .env import Env
from .http import context
from .values import Query

__all__ = ["Discovery", "Query", "run"]


def run(query: Query) -> Discovery:
    """Discover ``query.address``; every lookup and probe ends by ``query.timeout`` seconds from now."""
    deadline = time.monotonic() + query.timeout
    try:
        tls = context(query.ca_file)
    except (OSError, ssl.SSLError) as exc:
        why = "not a PEM certificate file" if isinstance(exc, ssl.SSLError) else exc.strerror or type(exc).__name__
        raise UsageError(
            f"--ca-file {query.ca_file}: cannot be read ({why}); give a PEM file of CA certificates"
        ) from None
    return discover(Env(query, deadline, Dns(query.dns_server), tls))
