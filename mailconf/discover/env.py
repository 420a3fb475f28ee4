"""One discover run's settings and deadline, shared by every lookup (read-only)."""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass

from .dns import Dns
from .values import Query


@dataclass(frozen=True)
class Env:
    query: Query
    deadline: float  # time.monotonic() by which everything ends
    dns: Dns
    tls: ssl.SSLContext  # for https: the system's anchors plus --ca-file
    #: for the probe: a PEM file of the system's anchors plus --ca-file (None: the system's alone)
    anchors: str | None = None

    @property
    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    @property
    def address(self) -> str:
        return self.query.address

    @property
    def domain(self) -> str:
        return self.query.domain
