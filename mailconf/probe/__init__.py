"""probe: test the declared servers live (see mailconf/probe/README in the docs)."""

from __future__ import annotations

from typing import NamedTuple

from ..errors import UsageError


class ProbeRequest(NamedTuple):
    files: tuple[str, ...]
    accounts: tuple[str, ...] = ()
    login: bool = False
    allow_cleartext: bool = False
    show_cert: bool = False
    fmt: str | None = None
    fail_level: str | None = None
    concurrency: int = 32


def run_probe(request: ProbeRequest) -> int:
    raise UsageError("probe is not implemented yet")
