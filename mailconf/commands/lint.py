"""``mailconf lint``: check account files against the schema and the rule catalogue."""

from __future__ import annotations

import sys
from typing import NamedTuple

from ..errors import ExitCode
from . import console


class LintRequest(NamedTuple):
    files: tuple[str, ...]
    fmt: str | None = None
    fail_level: str | None = None
    config: str | None = None
    disable: tuple[str, ...] = ()
    severity: tuple[str, ...] = ()


def run(request: LintRequest) -> int:
    from ..lint import lint_paths
    from ..report import REPORTERS, Tool, default_format, use_color
    from ..rules import RULES
    from ..settings import load_policy

    policy = load_policy(request.config).merged(request.fail_level, request.disable, request.severity)
    results = lint_paths(request.files, policy)
    fmt = request.fmt or default_format()
    tool = Tool("mailconf lint", RULES, color=fmt == "text" and use_color(sys.stdout))
    console.out(REPORTERS[fmt]([r for r in results if r.error is None], tool))
    code = ExitCode.OK
    if any(f.severity >= policy.fail_level for r in results for f in r.findings):
        code = ExitCode.FINDINGS
    for result in results:
        if result.error is not None:
            console.say(str(result.error))
            code = max(code, result.error.exit_code)
    return int(code)
