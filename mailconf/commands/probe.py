"""``mailconf probe``: test the declared servers live.

The findings go through the same reporters, severity policy and exit-code
contract as lint: 0 clean, 1 findings at or above the fail level (or a file
refused for its errors), 2 usage error or unreadable file, 3 internal error.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from ..errors import ExitCode, UsageError, escape_controls, printable
from ..report import default_format
from . import console

if TYPE_CHECKING:
    from ..probe import ServerReport
    from ..probe.runner import Board
from .lint import ReportOptions, publish, refuse_overwriting, settings_files
from .outputs import refuse_empty


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
    #: --deadline: seconds for the whole run (None: each server has only its own timeout)
    deadline: int | None = None


def run(request: ProbeRequest) -> int:
    from ..catalogue import entries
    from ..files import expand
    from ..probe import probe_files
    from ..probe.runner import Options
    from ..settings import PolicyFinder

    refuse_empty(("--config", request.config), ("--output-file", request.report.output_file))
    if request.allow_cleartext and not request.login:  # it allows what only --login does: ignored, it hid that
        raise UsageError("--allow-cleartext lets --login send credentials without TLS: use it with --login")
    # the settings found from each file upward, like lint; the options win
    policies = PolicyFinder(request.config, request.fail_level, request.disable, request.severity)
    options = Options(request.login, request.allow_cleartext, request.show_cert, request.deadline)
    expanded = expand(request.files, policies.for_directory)
    if request.report.output_file is not None:
        settings = settings_files(expanded.files, policies)
        refuse_overwriting(expanded.files, ("--output-file", request.report.output_file), settings=settings)
    terminal = sys.stderr is not None and sys.stderr.isatty()  # None: started with standard error closed (2>&-)
    watch = ProgressLine() if terminal and not request.report.quiet else None
    concurrency = _sessions_at_once(request.concurrency)
    results = probe_files(expanded.files, request.accounts, options, policies, concurrency=concurrency, watch=watch)
    table = ""
    if (request.report.fmt or default_format()) == "text" and not request.report.quiet:
        table = summary_table([s for r in results for s in r.servers])
    publish([r for r in results if r.error is None], "mailconf probe", entries(), request.report, table)
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
        if result.crash is not None:
            console.say(str(result.crash))
            code = max(code, result.crash.exit_code)
    return int(code)


#: Descriptors one session may hold at once: the name lookup's socket; then up to four sockets while its addresses
#: are tried (runner.ATTEMPTS_AT_ONCE); then its one socket and, with --login, the password or token command's pipe
#: and /dev/null.
PER_SESSION = 4
#: Descriptors kept free beside the sessions: the account files, the settings, standard streams a command inherits.
SPARE_DESCRIPTORS = 16


def _sessions_at_once(wanted: int) -> int:
    """The sessions at once that fit in the open-file limit (raised for them if it can be), and a warning when that
    is fewer than ``wanted``: past the limit, every server's connection failed with EMFILE, said as an MC802 that
    blamed the server (``too many open files; check host and port``)."""
    from ..descriptors import make_room

    room = make_room(wanted * PER_SESSION, spare=SPARE_DESCRIPTORS)
    fit = max(1, room.connections // PER_SESSION)
    if fit < wanted:
        console.level(
            "warning",
            f"probe: the open-file limit ({room.limit}) leaves room for {fit} servers at once, not {wanted}: raise "
            "it (ulimit -n) or lower --concurrency",
        )
    return fit


class ProgressLine:
    """While servers are pending, one line on standard error: how many, and the longest-running one's step.

    Only on a terminal, never with ``--quiet``; the line is rewritten in place and
    cleared when every server is done.
    """

    def __init__(self) -> None:
        self.shown = False

    def __call__(self, board: Board, labels: Sequence[str]) -> None:
        pending = board.pending()
        if not pending:
            if self.shown:
                sys.stderr.write("\r\033[K")
                sys.stderr.flush()
                self.shown = False
            return
        oldest = min(pending, key=lambda i: board.started[i] or 0.0)
        elapsed = time.monotonic() - (board.started[oldest] or time.monotonic())
        done = sum(board.done)
        now = f"{labels[oldest]}: {board.steps[oldest]} ({elapsed:.1f} s)"
        line = f"probing {done}/{len(labels)} done, {len(pending)} pending: {now}"
        width = _terminal_width()
        sys.stderr.write("\r\033[K" + escape_controls(line)[: width - 1])
        sys.stderr.flush()
        self.shown = True


def _terminal_width() -> int:
    import shutil

    return shutil.get_terminal_size((100, 24)).columns


#: The summary table shows this many servers; the rest are counted (the worst first, so they show).
SUMMARY_ROWS = 20


def summary_table(servers: Sequence[ServerReport]) -> str:
    """One screen: server, verdict, TLS version, certificate expiry, authentication offered."""
    from ..probe.conn import server_text

    if not servers:
        return ""
    ranked = sorted(servers, key=lambda s: -(s.verdict.value if s.verdict is not None else -1))
    shown = ranked[:SUMMARY_ROWS] if len(ranked) > SUMMARY_ROWS else servers
    rows = [("server", "verdict", "TLS", "certificate expires", "authentication")]
    for s in shown:
        verdict = "ok" if s.verdict is None or s.verdict.label == "info" else s.verdict.label
        expires = s.facts.expires.date().isoformat() if s.facts.expires else "-"
        auth = server_text(", ".join(s.facts.auth)) or "-"  # mechanism names are the server's text
        rows.append((printable(s.label), verdict, s.facts.tls_version or "-", expires, auth))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[4] for row in rows
    ]
    if len(ranked) > SUMMARY_ROWS:
        rest = ranked[SUMMARY_ROWS:]
        ok = sum(1 for s in rest if s.verdict is None or s.verdict.label == "info")
        lines.append(f"... and {len(rest)} more servers ({ok} ok)")
    return "\n" + "\n".join(line.rstrip() for line in lines) + "\n"
