"""discover: from an e-mail address to the account's servers (docs/discover.md).

Lookups (one module per source: :mod:`.autoconfig`, :mod:`.ispdb`, :mod:`.mx`,
:mod:`.srv`, :mod:`.guess`) run in parallel under one deadline
(:mod:`.engine`), rank as Thunderbird ranks them (:mod:`.rank`), and the chosen
servers are probed without a login (:mod:`.probing`). :mod:`.account` turns
the result into account data with a comment per server. Nothing here prints.
"""

from __future__ import annotations

import ssl
import tempfile
import time
from pathlib import Path

from ..errors import UsageError, shown
from ..probe.tls import ca_file_problem
from .dns import Dns
from .engine import Discovery, discover
from .env import Env
from .http import context
from .values import Query

__all__ = ["Discovery", "Query", "run"]


def run(query: Query) -> Discovery:
    """Discover ``query.address``; every lookup and probe ends by ``query.timeout`` seconds from now."""
    deadline = time.monotonic() + query.timeout
    problem = ca_file_problem(query.ca_file) if query.ca_file is not None else None
    if problem is not None:  # a named pipe: OpenSSL would wait for a writer past the deadline
        raise UsageError(f"--ca-file {shown(str(query.ca_file))}: {problem}; give a PEM file of CA certificates")
    try:
        tls = context(query.ca_file)
    except (OSError, ssl.SSLError) as exc:
        why = "not a PEM certificate file" if isinstance(exc, ssl.SSLError) else exc.strerror or type(exc).__name__
        raise UsageError(
            f"--ca-file {shown(str(query.ca_file))}: cannot be read ({why}); give a PEM file of CA certificates"
        ) from None
    if query.ca_file is None:
        return discover(Env(query, deadline, Dns(query.dns_server), tls))
    with tempfile.TemporaryDirectory(prefix="mailconf-discover-") as directory:
        anchors = Path(directory) / f"system-anchors-and-{Path(query.ca_file).name}"
        anchors.write_text(bundle(tls), encoding="ascii")
        return discover(Env(query, deadline, Dns(query.dns_server), tls, str(anchors)))


def bundle(tls: ssl.SSLContext) -> str:
    """Every trust anchor of ``tls`` (the system's and --ca-file's) as one PEM file, for the probe.

    The probe trusts ``tls.ca_file`` *instead of* the system's anchors, as a client given
    that setting would; --ca-file adds an anchor, so the probe gets both.
    """
    return "".join(ssl.DER_cert_to_PEM_cert(der) for der in tls.get_ca_certs(binary_form=True))
