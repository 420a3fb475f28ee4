"""The lint engine: document issues + rules -> located findings, with policy applied."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from . import suppress
from .document import Document, NotChecked, gc_paused, load_document
from .errors import InternalError, MailconfError
from .files import STDIN
from .model import Finding, Location, Severity, YamlPath
from .rules import RULES, STILL_READ, Change
from .settings import Policy, PolicyFinder


class Detail(NamedTuple):
    """What a finding is about beyond its location: for fixes and baselines."""

    #: the YAML path of the setting (None: a finding about the text, like MC004 or MC708)
    path: YamlPath | None
    #: the settings the rule would change (rules with FIX); () when none or ambiguous
    fix: tuple[Change, ...] = ()
    #: the paths of the findings this one stands for (the same value reached through an alias or a merge
    #: key, :func:`once_per_place`): a baseline written before they were one finding has an entry for each
    shared: tuple[YamlPath, ...] = ()


@dataclass(frozen=True)
class LintedFile:
    """One file's findings, or the error that stopped it being linted."""

    path: str
    findings: tuple[Finding, ...]
    #: set when the file could not be linted at all (unreadable: exit 2; a bug: exit 3)
    error: MailconfError | None = None
    #: accounts and servers the rules could not check, and why
    not_checked: tuple[NotChecked, ...] = ()
    details: Mapping[Finding, Detail] = field(default_factory=dict)
    #: the loaded document, kept only when asked (fixes, baselines need its text and data)
    document: Document | None = None
    #: the fail level of the settings that apply to this file
    fail_level: Severity = Severity.ERROR

    @property
    def failed(self) -> bool:
        return any(f.severity >= self.fail_level for f in self.findings)


def document_findings(doc: Document) -> list[Finding]:
    """The loader's and the schema's issues as located findings, at their rules' default severity."""
    findings = []
    for issue in doc.issues:
        rule = RULES[issue.rule]
        subject = None if issue.path is None else doc.subject(issue.path)
        location = Location(doc.path, issue.line, issue.column)
        findings.append(Finding(rule.ID, rule.SLUG, issue.severity or rule.SEVERITY, location, issue.message, subject))
    return findings


def refusal(doc: Document) -> tuple[Finding, ...]:
    """Why ``doc`` cannot be rendered or probed: its error-level document findings (none: it can be).

    The one place that decides it for every command. Policy cannot lower these: a file
    with syntax or schema errors has no model to work from. A rule whose findings leave the file read whole
    (``STILL_READ``: MC713, a bidirectional control, is an error of lint's that the loader finds) refuses nothing:
    the model is whole, and settings may lower or disable it. In the order lint reports them (line, column), so
    that ``render`` and ``probe`` list a file's errors as ``mailconf lint`` does: the loader's and the schema's
    issues come in the order they were found (the document shell, then each account, key by key).
    """
    found = document_findings(doc)
    blocking = once_per_place(f for f in found if f.severity is Severity.ERROR and f.rule not in STILL_READ)
    return tuple(sorted(blocking, key=_order))


def _place(finding: Finding) -> tuple[str, Severity, Location, str]:
    """A finding as its reader sees it: everything but the subject (which setting path it was reached by)."""
    return (finding.rule, finding.severity, finding.location, finding.message)


def once_per_place(findings: Iterable[Finding]) -> list[Finding]:
    """The first of the findings that say the same at the same place.

    A value shared through a YAML alias or a merge key (``outgoing: *out``) is checked once for each server
    that uses it, and each of those findings points at the one place it is written: that is one line to read
    and one thing to fix, as ruff and yamllint report one finding per rule and location. The one whose YAML path
    sorts first (the account whose name sorts first, whose path the baseline records and SARIF's fingerprint
    hashes) stands for all, at the place of the first: the first server in the file stood for all, and
    reordering the accounts that share the value made it a new alert in code scanning.
    """
    chosen: dict[tuple[str, Severity, Location, str], Finding] = {}
    for finding in findings:
        place = _place(finding)
        known = chosen.get(place)
        if known is None or _sorts_first(finding, known):
            chosen[place] = finding
    return list(chosen.values())


def _sorts_first(finding: Finding, than: Finding) -> bool:
    if finding.subject is None or than.subject is None:
        return False
    return [str(step) for step in finding.subject.path] < [str(step) for step in than.subject.path]


def lint_document(doc: Document, policy: Policy) -> list[Finding]:
    return lint_detailed(doc, policy)[0]


def lint_detailed(doc: Document, policy: Policy) -> tuple[list[Finding], dict[Finding, Detail]]:
    """The findings, and for each its path and proposed fix.

    The rules check ``doc.lint_model``: every account that validates, and the valid servers
    of the accounts that do not (issue: every finding on the first run).
    """
    details: dict[Finding, Detail] = {}
    for finding, issue in zip(document_findings(doc), doc.issues, strict=True):
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
                    doc.subject(problem.path),
                )
                known = details.get(finding)
                if known is None:
                    details[finding] = Detail(problem.path, problem.fix)
                elif known.fix != problem.fix:
                    # a value in `defaults:` is one finding, not one per server; servers that
                    # disagree on its remedy leave it without one
                    details[finding] = known._replace(fix=())
    details = _once_per_place(details)
    directives = suppress.scan(doc.text, doc.positions.multiline)
    raw = suppress.apply(list(details), directives, doc.path, policy.disabled, judged=doc.checked_everything)
    return sorted(_with_policy(raw, policy), key=_order), details


def _once_per_place(details: dict[Finding, Detail]) -> dict[Finding, Detail]:
    """:func:`once_per_place` over the findings (in order) and their details. The one kept has no fix when the
    others' differ: a shared value's fix, made through one of its paths, would change the other servers too;
    it records the others' paths (``shared``), which older baselines hold entries for."""
    kept = {finding: details[finding] for finding in once_per_place(details)}
    if len(kept) == len(details):  # the common case: nothing shared
        return details
    first = {_place(finding): finding for finding in kept}
    for finding, detail in details.items():
        stands_for = first[_place(finding)]
        if stands_for == finding:
            continue
        known = kept[stands_for]
        shared = known.shared if detail.path is None else (*known.shared, detail.path)
        kept[stands_for] = known._replace(fix=known.fix if known.fix == detail.fix else (), shared=shared)
    return kept


def _with_policy(findings: Iterable[Finding], policy: Policy) -> Iterable[Finding]:
    for finding in findings:
        if not policy.enabled(finding.rule):
            continue
        severity = policy.severity_of(finding.rule, finding.severity)
        yield finding if severity is finding.severity else finding._replace(severity=severity)


def _order(finding: Finding) -> tuple[int, int, str, str]:
    return (finding.location.line, finding.location.column, finding.rule, finding.message)


def lint_file(path: str, policy: Policy, raw: bytes | None = None, *, keep: bool = False) -> LintedFile:
    """``keep``: keep the document and the details (for fixes and baselines)."""
    with gc_paused():  # the rules make many small objects and no cycles (see gc_paused)
        doc = load_document(path, raw)
        findings, details = lint_detailed(doc, policy)
        if keep:
            kept = details_by_finding(findings, details)
            return LintedFile(path, tuple(findings), None, tuple(doc.not_checked), kept, doc, policy.fail_level)
        not_checked = tuple(doc.not_checked)
        # Freed while the collector is still paused: re-enabled with the document alive, its first
        # collection walks every container of it (0.1-0.2 s of CPU on 10,000 accounts, 10% of a lint).
        del doc, details
    return LintedFile(path, tuple(findings), not_checked=not_checked, fail_level=policy.fail_level)


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


def lint_paths(
    paths: Sequence[str], policies: PolicyFinder, stdin_name: str | None = None, *, keep: bool = False
) -> list[LintedFile]:
    """Every file is linted even when another one fails; ``-`` is standard input, named ``stdin_name``."""
    return list(each_linted(paths, policies, stdin_name, keep=keep))


def each_linted(
    paths: Sequence[str], policies: PolicyFinder, stdin_name: str | None = None, *, keep: bool = False
) -> Iterator[LintedFile]:
    """:func:`lint_paths` a file at a time: a document kept (``keep``) can be let go before the next file is read."""
    for path in paths:
        name = (stdin_name or STDIN) if path == STDIN else path
        try:
            policy = policies.for_file(stdin_name or STDIN if path == STDIN else path)
            raw = read_stdin(name) if path == STDIN else None
            result = lint_file(name, policy, raw, keep=keep)
        except MailconfError as exc:
            result = LintedFile(name, (), exc)
        except Exception as exc:  # noqa: BLE001 - one line naming the file, never a traceback
            result = LintedFile(name, (), InternalError.wrap(name, "linting", exc))
        yield result


def read_stdin(name: str) -> bytes:
    """Standard input, bounded like a file (document.MAX_FILE_BYTES)."""
    import sys

    from .document import MAX_FILE_BYTES
    from .errors import InputError

    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # started with standard input closed (<&-): Python sets sys.stdin to None
        raise InputError(f"{name}: standard input cannot be read (it is closed); name a YAML file")
    try:
        data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InputError(f"{name}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    if len(data) > MAX_FILE_BYTES:
        raise InputError(f"{name}: larger than {MAX_FILE_BYTES >> 20} MiB, too large for an account file")
    return bytes(data)
