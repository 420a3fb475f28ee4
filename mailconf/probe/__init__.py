"""probe: test the declared servers live (README.md, "Probe").

Parse, then build, then run: the files are loaded like ``lint`` loads them (a
file with syntax or schema errors is refused with those errors, like
``render``), the selected servers are probed concurrently
(:mod:`mailconf.probe.runner`), and the findings go through the same reporters
and exit-code contract as lint: 0 clean, 1 findings at or above the fail level
(or a refused file), 2 usage error or unreadable file, 3 internal error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, NamedTuple

from ..errors import InternalError, MailconfError, no_such_account
from ..model import Finding, Location, Server, Severity
from ..settings import PolicyFinder

if TYPE_CHECKING:
    # The engine (asyncio, ssl, the dialogues) is imported by probe_files only: `mailconf rules` and
    # `explain` import this package for the check catalogue (probe.checks) and must not pay for it.
    from .runner import Board, Facts, Options, Outcome


@dataclass(frozen=True)
class ProbedFile:
    """One file's probe findings; ``refused`` when its errors stopped it being probed."""

    path: str
    findings: tuple[Finding, ...]
    #: the file was not probed: it has syntax or schema errors (its findings say which)
    refused: bool = False
    #: the file could not be read: nothing of it is reported but this
    error: MailconfError | None = None
    #: a bug while probing one of its servers (the first); the other servers' findings are still reported
    crash: InternalError | None = None
    #: the fail level of the settings that apply to this file
    fail_level: Severity = Severity.ERROR
    #: one line per probed server, for the summary table
    servers: tuple[ServerReport, ...] = ()

    @property
    def failed(self) -> bool:
        return any(f.severity >= self.fail_level for f in self.findings)


class ServerToProbe(NamedTuple):
    """One server to probe, the index of its file, and where its findings point."""

    file: int
    server: Server
    location: Location
    account: str

    @property
    def label(self) -> str:
        return f"{self.account} {self.server.side} {self.server.endpoint}"


class ServerReport(NamedTuple):
    """One server's verdict and what was learnt: a row of the summary table."""

    label: str  # "work incoming imap.example.com:993"
    verdict: Severity | None  # the worst finding (info: only information), None: nothing found
    facts: Facts


#: Called while probing, about every 0.2 s and once at the end: the board and each server's label.
Watcher = Callable[["Board", Sequence[str]], None]


def probe_files(
    paths: Sequence[str],
    accounts: Sequence[str],
    options: Options,
    policies: PolicyFinder,
    *,
    concurrency: int = 32,
    watch: Watcher | None = None,
) -> list[ProbedFile]:
    """Load every file, probe the selected servers of the valid ones, and locate the findings.

    The settings' policy applies as in lint: disabled checks are dropped, severities overridden.
    ``watch`` sees the progress (it must not block: it runs in the probing loop).
    """
    import asyncio

    from ..document import Document, load_document
    from ..lint import refusal
    from .runner import Board

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
    board = Board(len(servers))
    outcomes = asyncio.run(_probe_watched(servers, options, concurrency, board, watch))
    found: dict[int, list[Finding]] = {}
    reports: dict[int, list[ServerReport]] = {}
    for number, (server, server_outcomes) in enumerate(zip(servers, outcomes, strict=True)):
        path = results[server.file].path
        mine = found.setdefault(server.file, [])
        if isinstance(server_outcomes, Exception):
            if results[server.file].crash is None:
                crash = InternalError.wrap(path, f"probing {server.label}", server_outcomes)
                results[server.file] = replace(results[server.file], crash=crash)
            continue
        policy = policies.for_file(path)
        before = len(mine)
        for outcome in server_outcomes:
            check = outcome.check
            if not policy.enabled(check.ID):
                continue
            severity = policy.severity_of(check.ID, outcome.severity or check.SEVERITY)
            mine.append(Finding(check.ID, check.SLUG, severity, server.location, outcome.message))
        verdict = max((f.severity for f in mine[before:]), default=None)
        reports.setdefault(server.file, []).append(ServerReport(server.label, verdict, board.facts[number]))
    for index, located in found.items():
        results[index] = replace(results[index], findings=tuple(located), servers=tuple(reports.get(index, ())))
    return results


async def _probe_watched(
    servers: Sequence[ServerToProbe], options: Options, concurrency: int, board: Board, watch: Watcher | None
) -> list[list[Outcome] | Exception]:
    import asyncio

    from .runner import probe_all

    task = asyncio.ensure_future(probe_all([s.server for s in servers], options, concurrency, board=board))
    labels = [s.label for s in servers]
    while watch is not None and not task.done():
        watch(board, labels)
        await asyncio.wait({task}, timeout=0.2)
    outcomes = await task
    if watch is not None:
        watch(board, labels)  # every server done: the display clears itself
    return outcomes


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
            targets.append(ServerToProbe(index, server, location, account.name))
    missing = [n for n in names if n not in seen]
    # a file not read or refused for its errors may hold them: each says why it was not probed (it was `no account
    # named work in the valid files (accounts: none)` for a missing file, or one with schema errors, hidden)
    if missing and all(isinstance(doc, Document) for doc in docs):
        files = ", ".join(d.path for d in docs if isinstance(d, Document))
        known = {account.name for doc in docs if isinstance(doc, Document) for account in doc.model.accounts}
        raise no_such_account(missing, known, f" in {files}")
    return targets
