"""The parts of ``mailconf lint`` that change files or read a baseline: the command layer
(it prints); the cores are :mod:`mailconf.fix` and :mod:`mailconf.baseline`."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from .errors import ExitCode, MailconfError, printable
from .lint import FileResult
from .settings import Policy


def fix_files(files: Sequence[str], policy: Policy, *, unsafe: bool, diff: bool) -> tuple[list[FileResult], int]:
    """--fix (write) or --diff (print a unified diff, write nothing).

    Returns the results after fixing (for the report) and, for --diff, the exit code:
    1 when there is something to change.
    """
    from .fix import Outcome, fix_paths, unified_diff, write_atomically

    results: list[FileResult] = []
    changed = fixed = unsafe_left = 0
    for item in fix_paths(files, policy, unsafe=unsafe):
        if not isinstance(item, Outcome):
            results.append(item)
            continue
        if item.refused:
            print(f"mailconf: {printable(item.path)}: not fixed: {item.refused}", file=sys.stderr)
        unsafe_left += item.unsafe_left
        if item.changed and item.refused is None:
            changed += 1
            fixed += len(item.fixed)
            if diff:
                sys.stdout.write(unified_diff(item))
            else:
                try:
                    write_atomically(item.path, item.after)
                except MailconfError as exc:
                    results.append(FileResult(item.path, (), exc))
                    continue
        results.append(item.result)
    verb = "would fix" if diff else "fixed"
    summary = (
        f"mailconf: {verb} {fixed} finding{'s' if fixed != 1 else ''} in {changed} file{'s' if changed != 1 else ''}"
    )
    if unsafe_left:
        summary += f"; {unsafe_left} more with --unsafe-fixes"
    print(summary, file=sys.stderr)
    code = ExitCode.FINDINGS if diff and changed else ExitCode.OK
    for result in results:
        if result.error is not None:
            if diff:  # --fix reports them with the findings left; --diff ends here
                print(f"mailconf: {printable(str(result.error))}", file=sys.stderr)
            code = max(code, result.error.exit_code)
    return results, int(code)


def write_baseline(path: str, results: Sequence[FileResult]) -> int:
    from .baseline import record, write

    entries = record(path, results)
    write(path, entries)
    count = sum(len(e) for e in entries.values())
    print(f"mailconf: wrote {count} baseline entr{'ies' if count != 1 else 'y'} to {printable(path)}", file=sys.stderr)
    code = ExitCode.OK
    for result in results:
        if result.error is not None:
            print(f"mailconf: {printable(str(result.error))}", file=sys.stderr)
            code = max(code, result.error.exit_code)
    return int(code)
