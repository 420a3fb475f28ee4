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


def run_lint(request: LintRequest) -> int:
    from .lint import lint_paths
    from .report import REPORTERS, Tool, default_format, use_color
    from .rules import RULES
    from .settings import load_policy

    policy = load_policy(request.config).merged(request.fail_level, request.disable, request.severity)
    results = lint_paths(request.files, policy)
    fmt = request.fmt or default_format()
    tool = Tool("mailconf lint", RULES, color=fmt == "text" and use_color(sys.stdout))
    output = REPORTERS[fmt]([r for r in results if r.error is None], tool)
    sys.stdout.write(output)
    sys.stdout.flush()
    code = ExitCode.OK
    if any(f.severity >= policy.fail_level for r in results for f in r.findings):
        code = ExitCode.FINDINGS
    for result in results:
        if result.error is not None:
            print(f"mailconf: {printable(str(result.error))}", file=sys.stderr)
            code = max(code, result.error.exit_code)
    return int(code)


def run_rules(fmt: str, probe: bool = False) -> int:
    """The lint rules, or with ``probe`` the checks of ``mailconf probe`` (MC8xx)."""
    catalogue: Any
    if probe:
        from .probe.checks import CHECKS as catalogue
    else:
        from .rules import RULES as catalogue

    rules = sorted(catalogue.values(), key=lambda r: r.ID)
    if fmt == "json":
        payload = [{"id": r.ID, "slug": r.SLUG, "severity": r.SEVERITY.label, "title": r.TITLE} for r in rules]
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
        print(f"{r.ID}  {r.SLUG:<{width}}  {r.SEVERITY.label:<7}  {r.TITLE}")
    return int(ExitCode.OK)


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
    print()
    print((rule.__doc__ or "").strip())
    return int(ExitCode.OK)


def run_schema() -> int:
    from . import resources

    sys.stdout.write(resources.schema_path().read_text(encoding="utf-8"))
    return int(ExitCode.OK)
