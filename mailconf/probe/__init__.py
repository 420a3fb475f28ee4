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
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple, cast

from ..errors import ExitCode, InternalError, MailconfError, UsageError
from ..model import Finding, Location, Server, Severity


class ProbeRequest(NamedTuple):
    files: tuple[str, ...]
    accounts: tuple[str, ...] = ()
    login: bool = False
    allow_cleartext: bool = False
    show_cert: bool = False
    fmt: str | None = None
    fail_level: str | None = None
    concurrency: int = 32


@dataclass(frozen=True)
class FileResult:
    path: str
    findings: tuple[Finding, ...]
    #: the file was not probed: it has syntax or schema errors (its findings say which)
    refused: bool = False
    error: MailconfError | None = None


class Target(NamedTuple):
    """One server to probe, and where its findings point."""

    file: int
    server: Server
    location: Location


def run_probe(request: ProbeRequest) -> int:
    from ..report import REPORTERS, RuleInfo, Tool, default_format, use_color
    from ..rules import RULES
    from ..settings import load_policy
    from .checks import CHECKS

    # the fail level of the nearest .mailconf.yaml / [tool.mailconf], like lint; --fail-level wins
    fail_level = load_policy().merged(request.fail_level).fail_level
    results = probe_files(request)
    fmt = request.fmt or default_format()
    # RuleInfo declares settable attributes; a Check is immutable, which is all a reporter needs
    catalogue = cast("dict[str, RuleInfo]", {**CHECKS}) | dict(RULES)
    tool = Tool("mailconf probe", catalogue, color=fmt == "text" and use_color(sys.stdout))
    sys.stdout.write(REPORTERS[fmt]([r for r in results if r.error is None], tool))
    sys.stdout.flush()
    code = ExitCode.OK
    if any(r.refused for r in results) or any(f.severity >= fail_level for r in results for f in r.findings):
        code = ExitCode.FINDINGS
    for result in results:
        if result.refused:
            print(
                f"mailconf: {result.path}: not probed: fix the errors first (`mailconf lint {result.path}`)",
                file=sys.stderr,
            )
        if result.error is not None:
            print(f"mailconf: {result.error}", file=sys.stderr)
            code = max(code, result.error.exit_code)
    return int(code)


def probe_files(request: ProbeRequest) -> list[FileResult]:
    """Load every file, probe the selected servers of the valid ones, and locate the findings."""
    from ..document import Document, load_document
    from ..rules import RULES
    from .runner import Options, probe_all

    results: list[FileResult] = []
    docs: list[Document | None] = []
    for path in request.files:
        try:
            doc = load_document(path)
        except MailconfError as exc:
            results.append(FileResult(path, (), error=exc))
            docs.append(None)
            continue
        blocking = [i for i in doc.issues if RULES[i.rule].SEVERITY is Severity.ERROR]
        if blocking:
            findings = tuple(
                Finding(i.rule, RULES[i.rule].SLUG, Severity.ERROR, Location(doc.path, i.line, i.column), i.message)
                for i in blocking
            )
            results.append(FileResult(path, findings, refused=True))
            docs.append(None)
            continue
        results.append(FileResult(path, ()))
        docs.append(doc)
    targets = select(docs, request.accounts)
    options = Options(request.login, request.allow_cleartext, request.show_cert)
    outcomes = asyncio.run(probe_all([t.server for t in targets], options, request.concurrency))
    found: dict[int, list[Finding]] = {}
    for target, server_outcomes in zip(targets, outcomes, strict=True):
        for outcome in server_outcomes:
            check = outcome.check
            severity = outcome.severity or check.SEVERITY
            found.setdefault(target.file, []).append(
                Finding(check.ID, check.SLUG, severity, target.location, outcome.message)
            )
    for index, located in found.items():
        results[index] = FileResult(results[index].path, tuple(located))
    return results


def select(docs: Sequence[object], names: Sequence[str]) -> list[Target]:
    """The servers of the named accounts (all when none is named), in file order."""
    from ..document import Document

    targets: list[Target] = []
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
            targets.append(Target(index, server, location))
    missing = [n for n in names if n not in seen]
    if missing:
        files = ", ".join(d.path for d in docs if isinstance(d, Document)) or "the valid files"
        raise UsageError(f"no account named {', '.join(missing)} in {files}")
    return targets
