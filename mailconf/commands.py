"""lint, rules, explain, schema: each a function from a request to an exit code."""

from __future__ import annotations

import json
import sys
from typing import Any, NamedTuple

from .errors import ExitCode, UsageError, printable


class LintRequest(NamedTuple):
    files: tuple[str, ...]
    fmt: str | None
    fail_level: str | None
    config: str | None
    disable: tuple[str, ...]
    severity: tuple[str, ...]
    fix: bool = False
    diff: bool = False
    unsafe_fixes: bool = False
    baseline: str | None = None
    write_baseline: str | None = None


def run_lint(request: LintRequest) -> int:
    from .lint import lint_paths
    from .report import REPORTERS, Tool, default_format, use_color
    from .rules import RULES
    from .settings import load_policy

    policy = load_policy(request.config).merged(request.fail_level, request.disable, request.severity)
    fmt = request.fmt or default_format()
    baseline = request.baseline or policy.baseline
    if request.fix or request.diff:  # mailconf/fix.py, imported only here (and for json/sarif)
        from .lint_command import fix_files

        results, code = fix_files(request.files, policy, unsafe=request.unsafe_fixes, diff=request.diff)
        if request.diff:
            return code
    else:
        results = lint_paths(
            request.files, policy, keep=fmt in ("json", "sarif") or bool(baseline or request.write_baseline)
        )
    if request.write_baseline:
        from .lint_command import write_baseline

        return write_baseline(request.write_baseline, results)
    if baseline:
        from .baseline import apply_baseline

        results = apply_baseline(baseline, results)
    tool = Tool("mailconf lint", RULES, color=fmt == "text" and use_color(sys.stdout))
    shown: list[Any] = [r for r in results if r.error is None]
    if fmt in ("json", "sarif"):
        from .fix import with_fixes

        shown = with_fixes(shown)
    output = REPORTERS[fmt](shown, tool)
    sys.stdout.write(output)
    sys.stdout.flush()
    code = ExitCode.OK
    if any(f.severity >= policy.fail_level for r in results for f in r.findings):
        code = ExitCode.FINDINGS
    for result in results:
        if result.error is not None:
            print(f"mailconf: {printable(str(result.error))}", file=sys.stderr)
            code = max(code, result.error.exit_code)
    for note in (n for r in results for n in r.not_checked):  # beside the report: not findings
        print(f"mailconf: note: {printable(str(note))}", file=sys.stderr)
    return int(code)


def run_rules(fmt: str, probe: bool = False) -> int:
    """The lint rules, or with ``probe`` the checks of ``mailconf probe`` (MC8xx)."""
    catalogue: Any
    if probe:
        from .probe.checks import CHECKS as catalogue
    else:
        from .rules import RULES as catalogue

    rules = sorted(catalogue.values(), key=lambda r: r.ID)
    fixes = _fixes(probe)
    if fmt == "json":
        payload = [
            {"id": r.ID, "slug": r.SLUG, "severity": r.SEVERITY.label, "title": r.TITLE, "fix": fixes.get(r.ID)}
            for r in rules
        ]
        print(json.dumps(payload, indent=2))
        return int(ExitCode.OK)
    if fmt == "markdown":
        print("| id | slug | default severity | title |")
        print("|---|---|---|---|")
        for r in rules:
            title = r.TITLE.replace("|", "\\|")
            print(f"| {r.ID} | `{r.SLUG}` | {r.SEVERITY.label} | {title} |")
        return int(ExitCode.OK)
    width = max(len(r.SLUG) for r in rules)
    for r in rules:
        fix = f"fix:{fixes[r.ID]}" if r.ID in fixes else ""
        print(f"{r.ID}  {r.SLUG:<{width}}  {r.SEVERITY.label:<7}  {fix:<10}  {r.TITLE}")
    return int(ExitCode.OK)


def _fixes(probe: bool) -> dict[str, str]:
    """Rule id -> "safe" | "unsafe", for the rules that fix what they find (lint --fix)."""
    if probe:
        return {}
    from .rules import FIXES

    return {rule_id: fix.safety for rule_id, fix in FIXES.items()}


def run_explain(name: str) -> int:
    """A lint rule (MC0xx-MC7xx) or a probe check (MC8xx), by id or slug."""
    from .rules import lookup

    rule: Any = lookup(name)
    if rule is None:
        from .probe.checks import lookup as lookup_check

        rule = lookup_check(name)
    if rule is None:
        raise UsageError(
            f"unknown rule {name!r}; `mailconf rules` lists them (and `mailconf rules --probe` the probe checks)"
        )
    print(f"{rule.ID} {rule.SLUG} (default severity: {rule.SEVERITY.label})")
    print(rule.TITLE)
    fix = getattr(rule, "FIX", None)
    if fix is not None:
        how = "mailconf lint --fix" if fix.safety == "safe" else "mailconf lint --fix --unsafe-fixes"
        print(f"Automatic fix ({fix.safety}, {how}): {fix.summary}")
    print()
    print((rule.__doc__ or "").strip())
    return int(ExitCode.OK)


def run_schema() -> int:
    from . import resources

    sys.stdout.write(resources.schema_path().read_text(encoding="utf-8"))
    return int(ExitCode.OK)
