"""A stand-in for the three provider targets, for the tests of routing, limits and reload only.

It is a fake, and says so: the bodies only name the account or the domain, so a test of the
application's routing can tell which answer it got. The end-to-end tests (test_server.py)
run ``mailconf serve`` with the real targets.
"""

from __future__ import annotations

from collections.abc import Sequence

from mailconf.model import Account
from mailconf.serve.site import Publishers
from mailconf.targets import Gap


def _autoconfig(accounts: Sequence[Account], domain: str) -> tuple[bytes, tuple[Gap, ...]]:
    names = ",".join(a.name for a in accounts)
    return f"<autoconfig domain='{domain}' accounts='{names}'/>".encode(), ()


def _autodiscover(account: Account) -> bytes:
    return f"<autodiscover account='{account.name}'/>".encode()


def _mobileconfig(account: Account, source: str) -> bytes:
    return f"<profile account='{account.name}' source='{source}'/>".encode()


def _gaps(account: Account) -> list[tuple[str, Gap]]:
    return []


FAKE = Publishers(_autoconfig, _autodiscover, _mobileconfig, _gaps)
