"""``mailconf lint``: check account files against the schema and the rule catalogue."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

from ..errors import ExitCode
from . import console

if TYPE_CHECKING:
    from ..report import Result, RuleInfo


class ReportOptions(NamedTuple):
    """How findings are reported, for lint and probe alike."""

    fmt: str | None = None  # None: github under GitHub Actions, else text
    output_file: str | None = None
    exit_zero: bool = False
    quiet: bool = False
    color: str = "auto"


class LintRequest(NamedTuple):
    files: tuple[str, ...]
    fmt: str | None = None
    fail_level: str | None = None
    config: str | None = None
    disable: tuple[str, ...] = ()
    severity: tuple[str, ...] = ()
    stdin_filename: str | None = None
    report: ReportOptions = ReportOptions()


def run(request: LintRequest) -> int:
    from ..files import expand
    from ..lint import lint_paths
    from ..rules import RULES
    from ..settings import PolicyFinder

    policies = PolicyFinder(request.config, request.fail_level, request.disable, request.severity)
    expanded = expand(request.files, policies.for_directory)
    results = lint_paths(expanded.files, policies, request.stdin_filename)
    report = request.report._replace(fmt=request.fmt or request.report.fmt)
    publish([r for r in results if r.error is None], "mailconf lint", RULES, report)
    code = ExitCode.FINDINGS if any(r.failed for r in results) and not report.exit_zero else ExitCode.OK
    for error in expanded.errors:
        console.say(str(error))
        code = max(code, error.exit_code)
    for result in results:
        if result.error is not None:
            console.say(str(result.error))
            code = max(code, result.error.exit_code)
    return int(code)


def publish(
    results: Sequence[Result], tool_name: str, rules: Mapping[str, RuleInfo], report: ReportOptions, epilogue: str = ""
) -> None:
    """The report (and ``epilogue``), to standard output or ``--output-file`` (written whole, then renamed)."""
    import sys

    from ..report import REPORTERS, Tool, default_format, use_color

    fmt = report.fmt or default_format()
    stream = sys.stdout if report.output_file is None else None
    color = fmt == "text" and use_color(stream, mode=report.color)
    text = REPORTERS[fmt](results, Tool(tool_name, rules, color=color, summary=not report.quiet)) + epilogue
    if report.output_file is None:
        console.out(text)
    else:
        console.write_report(report.output_file, text)
