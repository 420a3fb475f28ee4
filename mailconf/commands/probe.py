"""``mailconf probe``: test the declared servers live.

The findings go through the same reporters, severity policy and exit-code
contract as lint: 0 clean, 1 findings at or above the fail level (or a file
refused for its errors), 2 usage error or unreadable file, 3 internal error.
"""

from __future__ import annotations

from typing import NamedTuple

from ..errors import ExitCode
from . import console
from .lint import ReportOptions, publish


class ProbeRequest(NamedTuple):
    files: tuple[str, ...]
    accounts: tuple[str, ...] = ()
    login: bool = False
    allow_cleartext: bool = False
    show_cert: bool = False
    concurrency: int = 32
    report: ReportOptions = ReportOptions()
    fail_level: str | None = None
    config: str | None = None
    disable: tuple[str, ...] = ()
    severity: tuple[str, ...] = ()


def run(request: ProbeRequest) -> int:
    from ..catalogue import entries
    from ..files import expand
    from ..probe import probe_files
    from ..probe.runner import Options
    from ..settings import PolicyFinder

    # the settings found from each file upward, like lint; the options win
    policies = PolicyFinder(request.config, request.fail_level, request.disable, request.severity)
    options = Options(request.login, request.allow_cleartext, request.show_cert)
    expanded = expand(request.files, policies.for_directory)
    results = probe_files(expanded.files, request.accounts, options, policies, request.concurrency)
    publish([r for r in results if r.error is None], "mailconf probe", entries(), request.report)
    code = ExitCode.OK
    if any(r.refused or r.failed for r in results) and not request.report.exit_zero:
        code = ExitCode.FINDINGS
    for error in expanded.errors:
        console.say(str(error))
        code = max(code, error.exit_code)
    for result in results:
        if result.refused:
            console.say(f"{result.path}: not probed: fix the errors first (`mailconf lint {result.path}`)")
        if result.error is not None:
            console.say(str(result.error))
            code = max(code, result.error.exit_code)
    return int(code)
