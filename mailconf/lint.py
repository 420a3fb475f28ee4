"""The lint engine: document issues + rules -> located findings, with policy applied."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from . import suppress
from .document import Document, gc_paused, load_document
from .errors import InternalError, MailconfError
from .model import Finding, Location, Severity
from .rules import RULES
from .settings import Policy


@dataclass(frozen=True)
class FileResult:
    path: str
    findings: tuple[Finding, ...]
    #: set when the file could not be linted at all (unreadable: exit 2; a bug: exit 3)
    error: MailconfError | None = None


def lint_document(doc: Document, policy: Policy) -> list[Finding]:
    raw: list[Finding] = []
    for issue in doc.issues:
        rule = RULES[issue.rule]
        subject = None if issue.path is None else doc.subject(issue.path)
        location = Location(doc.path, issue.line, issue.column)
        raw.append(Finding(rule.ID, rule.SLUG, rule.SEVERITY, location, issue.message, subject))
    if doc.model.accounts:
        for rule in RULES.values():
            if not policy.enabled(rule.ID):
                continue
            for problem in rule.check(doc.model):
                raw.append(
                    Finding(
                        rule.ID,
                        rule.SLUG,
                        problem.severity or rule.SEVERITY,
                        doc.locate(problem.path, on_key=problem.on_key),
                        problem.message,
                        doc.subject(problem.path),
                    )
                )
    raw = list(dict.fromkeys(raw))  # a value in `defaults:` is one finding, not one per server
    raw = suppress.apply(raw, suppress.scan(doc.text), doc.path, policy.disabled)
    return sorted(_with_policy(raw, policy), key=_order)


def _with_policy(findings: Iterable[Finding], policy: Policy) -> Iterable[Finding]:
    for finding in findings:
        if not policy.enabled(finding.rule):
            continue
        severity = policy.severity_of(finding.rule, finding.severity)
        yield finding if severity is finding.severity else finding._replace(severity=severity)


def _order(finding: Finding) -> tuple[int, int, str, str]:
    return (finding.location.line, finding.location.column, finding.rule, finding.message)


def lint_file(path: str, policy: Policy) -> FileResult:
    with gc_paused():  # the rules make many small objects and no cycles (see gc_paused)
        return FileResult(path, tuple(lint_document(load_document(path), policy)))


def lint_paths(paths: Sequence[str], policy: Policy) -> list[FileResult]:
    """Every file is linted even when another one fails."""
    results = []
    for path in paths:
        try:
            results.append(lint_file(path, policy))
        except MailconfError as exc:
            results.append(FileResult(path, (), exc))
        except Exception as exc:  # noqa: BLE001 - one line naming the file, never a traceback
            results.append(FileResult(path, (), InternalError.wrap(path, "linting", exc)))
    return results


def worst(results: Iterable[FileResult]) -> Severity | None:
    levels = [f.severity for r in results for f in r.findings]
    return max(levels) if levels else None
