"""``mailconf probe``: test the declared servers live.

The findings go through the same reporters, severity policy and exit-code
contract as lint: 0 clean, 1 findings at or above the fail level (or a file
refused for its errors), 2 usage error or unreadable file, 3 internal error.
"""

from __future__ import annotations

import sys
from typing import NamedTuple

from ..errors import ExitCode
from . import console


class ProbeRequest(NamedTuple):
    files: tuple[str, ...]
    accounts: tuple[str, ...] = ()
    login: bool = False
    allow_cleartext: bool = False
    show_cert: bool = False
    fmt: str | None = None
    fail_level: str | None = None
    concurrency: int = 32
    config: str | None = None
    disable: tuple[str, ...] = ()
    severity: tuple[str, ...] = ()


def run(request: ProbeRequest) -> int:
    from ..catalogue import entries
    from ..probe import probe_files
    from ..probe.runner import Options
    from ..report import REPORTERS, Tool, default_format, use_color
    from ..settings import load_policy

    # the settings of the nearest .mailconf.yaml / [tool.mailconf], like lint; the options win
    policy = load_policy(request.config).merged(request.fail_level, request.disable, request.severity)
    options = Options(request.login, request.allow_cleartext, request.show_cert)
    results = probe_files(request.files, request.accounts, options, policy, request.concurrency)
    fmt = request.fmt or default_format()
    tool = Tool("mailconf probe", entries(), color=fmt == "text" and use_color(sys.stdout))
    console.out(REPORTERS[fmt]([r for r in results if r.error is None], tool))
    code = ExitCode.OK
    if any(r.refused for r in results) or any(f.severity >= policy.fail_level for r in results for f in r.findings):
        code = ExitCode.FINDINGS
    for result in results:
        if result.refused:
            console.say(f"{result.path}: not probed: fix the errors first (`mailconf lint {result.path}`)")
        if result.error is not None:
            console.say(str(result.error))
            code = max(code, result.error.exit_code)
    return int(code)
