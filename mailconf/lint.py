"""The lint engine: document issues + rules -> located findings, with policy applied."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from . import suppress
from .document import Document, NotChecked, gc_paused, load_document
from .errors import InternalError, MailconfError
from .model import Finding, Location, Severity, YamlPath
from .rules import RULES, Change
from .settings import Policy


class Detail(NamedTuple):
    """What a finding is about beyond its location: for fixes and baselines."""

    #: the YAML path of the setting (None: a finding about the text, like MC004 or MC708)
    path: YamlPath | None
    #: the settings the rule would change (rules with FIX); () when none or ambiguous
    fix: tuple[Change, ...] = ()


@dataclass(frozen=True)
class FileResult:
    path: str
    findings: tuple[Finding, ...]
    #: set when the file could not be linted at all (unreadable: exit 2; a bug: exit 3)
    error: MailconfError | None = None
    #: accounts and servers the rules could not check, and why
    not_checked: tuple[NotChecked, ...] = ()
    details: Mapping[Finding, Detail] = field(default_factory=dict)
    #: the loaded document, kept only when asked (fixes, baselines need its text and data)
    document: Document | None = None


def lint_document(doc: Document, policy: Policy) -> list[Finding]:
    return lint_detailed(doc, policy)[0]


def lint_detailed(doc: Document, policy: Policy) -> tuple[list[Finding], dict[Finding, Detail]]:
    """The findings, and for each its path and proposed fix."""
    details: dict[Finding, Detail] = {}
    for issue in doc.issues:
        rule = RULES[issue.rule]
        finding = Finding(
            rule.ID, rule.SLUG, rule.SEVERITY, Location(doc.path, issue.line, issue.column), issue.message
        )
        details.setdefault(finding, Detail(issue.path))
    if doc.lint_model.accounts:
        for rule in RULES.values():
            if not policy.enabled(rule.ID):
                continue
            for problem in rule.check(doc.lint_model):
                finding = Finding(
                    rule.ID,
                    rule.SLUG,
                    problem.severity or rule.SEVERITY,
                    doc.locate(problem.path, on_key=problem.on_key),
                    problem.message,
                )
                known = details.get(finding)
                if known is None:
                    details[finding] = Detail(problem.path, problem.fix)
                elif known.fix != problem.fix:
                    # a value in `defaults:` is one finding, not one per server; servers that
                    # disagree on its remedy leave it without one
                    details[finding] = known._replace(fix=())
    raw = suppress.apply(list(details), suppress.scan(doc.text), doc.path, policy.disabled)
    return sorted(_with_policy(raw, policy), key=_order), details


def _with_policy(findings: Iterable[Finding], policy: Policy) -> Iterable[Finding]:
    for finding in findings:
        if not policy.enabled(finding.rule):
            continue
        severity = policy.severity_of(finding.rule, finding.severity)
        yield finding if severity is finding.severity else finding._replace(severity=severity)


def _order(finding: Finding) -> tuple[int, int, str, str]:
    return (finding.location.line, finding.location.column, finding.rule, finding.message)


def lint_file(path: str, policy: Policy, *, keep: bool = False) -> FileResult:
    """``keep``: keep the document and the details (for fixes and baselines)."""
    with gc_paused():  # the rules make many small objects and no cycles (see gc_paused)
        doc = load_document(path)
        findings, details = lint_detailed(doc, policy)
        if not keep:
            return FileResult(path, tuple(findings), not_checked=tuple(doc.not_checked))
        return FileResult(
            path, tuple(findings), None, tuple(doc.not_checked), details_by_finding(findings, details), doc
        )


def details_by_finding(findings: Sequence[Finding], details: Mapping[Finding, Detail]) -> dict[Finding, Detail]:
    """Details keyed by the findings as reported (policy may have changed their severity)."""
    out = {}
    for finding in findings:
        detail = details.get(finding)
        if detail is None:
            for severity in Severity:
                detail = details.get(finding._replace(severity=severity))
                if detail is not None:
                    break
        out[finding] = detail or Detail(None)
    return out


def lint_paths(paths: Sequence[str], policy: Policy, *, keep: bool = False) -> list[FileResult]:
    """Every file is linted even when another one fails."""
    results = []
    for path in paths:
        try:
            results.append(lint_file(path, policy, keep=keep))
        except MailconfError as exc:
            results.append(FileResult(path, (), exc))
        except Exception as exc:  # noqa: BLE001 - one line naming the file, never a traceback
            results.append(FileResult(path, (), InternalError.wrap(path, "linting", exc)))
    return results


def worst(results: Iterable[FileResult]) -> Severity | None:
    levels = [f.severity for r in results for f in r.findings]
    return max(levels) if levels else None
