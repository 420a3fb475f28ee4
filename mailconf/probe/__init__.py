"""probe: test the declared servers live (README.md, "Probe").

Parse, then build, then run: the files are loaded like ``lint`` loads them (a
file with syntax or schema errors is refused with those errors, like
``render``), the selected servers are probed concurrently
(:mod:`mailconf.probe.runner`), and the findings go through the same reporters
and exit-code contract as lint: 0 clean, 1 findings at or above the fail level
(or a refused file), 2 usage error or unreadable file, 3 internal error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from ..errors import InternalError, MailconfError, UsageError
from ..model import Finding, Location, Server, Severity
from ..settings import PolicyFinder
from .runner import Options


@dataclass(frozen=True)
class ProbedFile:
    """One file's probe findings; ``refused`` when its errors stopped it being probed."""

    path: str
    findings: tuple[Finding, ...]
    #: the file was not probed: it has syntax or schema errors (its findings say which)
    refused: bool = False
    error: MailconfError | None = None
    #: the fail level of the settings that apply to this file
    fail_level: Severity = Severity.ERROR

    @property
    def failed(self) -> bool:
        return any(f.severity >= self.fail_level for f in self.findings)


class ServerToProbe(NamedTuple):
    """One server to probe, the index of its file, and where its findings point."""

    file: int
    server: Server
    location: Location


def probe_files(
    paths: Sequence[str], accounts: Sequence[str], options: Options, policies: PolicyFinder, concurrency: int = 32
) -> list[ProbedFile]:
    """Load every file, probe the selected servers of the valid ones, and locate the findings.

    The settings' policy applies as in lint: disabled checks are dropped, severities overridden.
    """
    from ..document import Document, load_document
    from ..lint import refusal
    from .runner import probe_all

    results: list[ProbedFile] = []
    docs: list[Document | None] = []
    for path in paths:
        try:
            doc = load_document(path)
        except MailconfError as exc:
            results.append(ProbedFile(path, (), error=exc))
            docs.append(None)
            continue
        blocking = refusal(doc)
        if blocking:
            results.append(ProbedFile(path, blocking, refused=True))
            docs.append(None)
            continue
        results.append(ProbedFile(path, (), fail_level=policies.for_file(path).fail_level))
        docs.append(doc)
    servers = select_servers(docs, accounts)
    outcomes = asyncio.run(probe_all([s.server for s in servers], options, concurrency))
    found: dict[int, list[Finding]] = {}
    for server, server_outcomes in zip(servers, outcomes, strict=True):
        policy = policies.for_file(results[server.file].path)
        for outcome in server_outcomes:
            check = outcome.check
            if not policy.enabled(check.ID):
                continue
            severity = policy.severity_of(check.ID, outcome.severity or check.SEVERITY)
            found.setdefault(server.file, []).append(
                Finding(check.ID, check.SLUG, severity, server.location, outcome.message)
            )
    for index, located in found.items():
        results[index] = ProbedFile(results[index].path, tuple(located), fail_level=results[index].fail_level)
    return results


def select_servers(docs: Sequence[object], names: Sequence[str]) -> list[ServerToProbe]:
    """The servers of the named accounts (all when none is named), in file order."""
    from ..document import Document

    targets: list[ServerToProbe] = []
    seen: set[str] = set()
    for index, doc in enumerate(docs):
        if not isinstance(doc, Document):
            continue
        for account, server in doc.model.servers():
            if names and account.name not in names:
                continue
            seen.add(account.name)
            try:
                location = doc.locate(server.path, on_key=True)
            except Exception as exc:  # noqa: BLE001 - a bug in locating must not hide the others
                raise InternalError.wrap(doc.path, "locating a server", exc) from None
            targets.append(ServerToProbe(index, server, location))
    missing = [n for n in names if n not in seen]
    if missing:
        files = ", ".join(d.path for d in docs if isinstance(d, Document)) or "the valid files"
        raise UsageError(f"no account named {', '.join(missing)} in {files}")
    return targets
