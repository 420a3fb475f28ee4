"""``mailconf lint``: check account files against the schema and the rule catalogue."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, NamedTuple

from ..errors import ExitCode, InputError, MailconfError, UsageError
from . import console
from .outputs import refuse_empty

if TYPE_CHECKING:
    from ..baseline import Applied, Entry
    from ..lint import LintedFile
    from ..model import Finding
    from ..report import Result, RuleInfo
    from ..settings import PolicyFinder


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
    fix: bool = False
    diff: bool = False
    unsafe_fixes: bool = False
    baseline: str | None = None
    write_baseline: str | None = None


def run(request: LintRequest) -> int:
    from ..files import STDIN, expand
    from ..lint import each_linted
    from ..report import default_format
    from ..rules import RULES
    from ..settings import PolicyFinder

    _refuse_options_that_do_nothing(request)
    paths = ("--config", request.config), ("--baseline", request.baseline), ("--write-baseline", request.write_baseline)
    refuse_empty(*paths, ("--output-file", request.report.output_file))
    _check_stdin_filename(request.stdin_filename, request.files)
    policies = PolicyFinder(request.config, request.fail_level, request.disable, request.severity)
    expanded = expand(request.files, policies.for_directory)
    report = request.report._replace(fmt=request.fmt or request.report.fmt)
    fmt = report.fmt or default_format()
    # each file by the name its settings are found from: standard input by --stdin-filename's (the settings'
    # baseline of `lint - --stdin-filename accounts.yaml` was never read: an editor showed every accepted finding)
    named = [(request.stdin_filename or STDIN) if path == STDIN else path for path in expanded.files]
    if report.output_file is not None or request.write_baseline is not None:
        refuse_overwriting(
            expanded.files,
            ("--output-file", report.output_file),
            ("--write-baseline", request.write_baseline),
            settings=settings_files(expanded.files, policies, request.stdin_filename),
            stdin_name=request.stdin_filename if STDIN in expanded.files else None,
        )
    if report.output_file is not None:
        # a baseline read is a file --write-baseline may replace (that is writing it again), the report never: it
        # replaced the baseline with the report, which it had emptied
        in_use = {request.baseline} if request.baseline else {settings_baseline(policies, p) for p in named}
        refuse_overwriting((), ("--output-file", report.output_file), baselines=sorted(b for b in in_use if b))
    baselines = request.baseline is not None or any(policies.for_file(path).baseline for path in named)
    # --fix of standard input prints the fixed text on standard output (as ruff does, for editors and pipes): the
    # report then goes to standard error, unless --output-file takes it
    piped = request.fix and not request.diff and STDIN in expanded.files
    # each file's result made small as it comes (its baseline applied, its fixes listed for json and sarif, its
    # entries recorded for --write-baseline), its document let go before the next file is read
    applying = baselines and not request.diff and not request.write_baseline
    files = _Files(request, policies, fmt, baselines=applying)
    if request.fix or request.diff:  # mailconf/fix.py, imported only here (and for json/sarif)
        accepted = _accepted(expanded.files, request.baseline, policies, request.stdin_filename) if baselines else None
        _results, code = fix_files(
            expanded.files,
            policies,
            unsafe=request.unsafe_fixes,
            diff=request.diff,
            stdin_name=request.stdin_filename,
            accepted=accepted,
            settle=files.add,
        )
        if request.diff:
            return _with_errors(code, expanded.errors, files.results())
    else:
        keep = fmt in ("json", "sarif") or baselines or bool(request.write_baseline)
        for result in each_linted(expanded.files, policies, request.stdin_filename, keep=keep):
            files.add(result)
    results = files.results()
    if request.write_baseline:
        written = write_baseline(request.write_baseline, files.entries, results, policies)
        return _with_errors(written, expanded.errors, results)
    publish(files.shown(), "mailconf lint", RULES, report, to_stderr=piped, checked=files.checked)
    code = ExitCode.FINDINGS if any(r.failed for r in results) and not report.exit_zero else ExitCode.OK
    for note in (n for r in results for n in r.not_checked):  # beside the report: not findings
        console.say(f"note: {note}")
    return _with_errors(code, expanded.errors, results)


class _Files:
    """The results of a run, taken a file at a time (:meth:`add`): what the run needs of each file's document is
    taken from it as it comes, and the document let go then. A folder of 20,000 files kept 20,000 documents until the
    report (311 MB for --fix, 307 MB for --baseline, where a plain lint needs 40 MB).

    The results come out as the baselines group them (:meth:`results`): the files of each baseline in the order
    linted, then its stale entries (MC709), the baselines in the order first used.
    """

    def __init__(self, request: LintRequest, policies: PolicyFinder, fmt: str, *, baselines: bool) -> None:
        self.chosen = request.baseline
        self.policies = policies
        self.baselines = baselines
        # each finding's fix, for the report of json and sarif; --diff prints the diff, never a report
        self.listed = fmt in ("json", "sarif") and not request.diff
        self.write_baseline = request.write_baseline
        #: --write-baseline: today's entries, by the baseline's name of each file
        self.entries: dict[str, list[Entry]] = {}
        self.applied: dict[str, Applied] = {}
        #: each file as reported (a FixedResult for json and sarif), under its baseline
        self.groups: dict[str | None, list[tuple[LintedFile, Result]]] = {}
        #: the files checked (not the baselines, which report their stale entries)
        self.checked = 0

    def add(self, result: LintedFile) -> LintedFile:
        from dataclasses import replace

        if self.write_baseline is not None:
            from ..baseline import record

            self.entries.update(record(self.write_baseline, [result]))
        self.checked += result.error is None
        baseline = None
        if self.baselines:
            baseline = self.chosen or (settings_baseline(self.policies, result.path) if result.error is None else None)
            if baseline:
                result = self._applied(baseline, result.path).to(result)
        shown = self._shown(result)
        small = replace(result, document=None, details={})
        self.groups.setdefault(baseline, []).append((small, small if shown is result else shown))
        return small

    def _shown(self, result: LintedFile) -> Result:
        if not self.listed:
            return result
        from ..fix import with_fixes

        return with_fixes([result])[0]

    def _applied(self, baseline: str, path: str) -> Applied:
        applied = self.applied.get(baseline)
        if applied is None:
            from ..baseline import Applied

            with _named_from_settings(self.chosen, self.policies, path):
                applied = self.applied[baseline] = Applied(baseline, lambda name: self.policies.for_file(name).disabled)
        return applied

    def _each(self) -> Iterator[tuple[LintedFile, Result]]:
        for baseline, group in self.groups.items():
            yield from group
            stale = self.applied[baseline].stale() if baseline in self.applied else None
            if stale is not None:
                yield stale, self._shown(stale)

    def results(self) -> list[LintedFile]:
        return [result for result, _shown in self._each()]

    def shown(self) -> list[Result]:
        """What the report shows: the files that could be read, each with its fixes for json and sarif."""
        return [shown for result, shown in self._each() if result.error is None]


def _refuse_options_that_do_nothing(request: LintRequest) -> None:
    """Options that this run would ignore without a word are a usage error (exit 2)."""
    if request.diff and (request.write_baseline is not None or request.report.output_file is not None):
        # it returns before either is written: the baseline or report asked for was silently not written, exit 1
        raise UsageError("--diff writes nothing: use it without --output-file and --write-baseline")
    if request.write_baseline is not None and request.report.output_file is not None:
        # it returns once the baseline is written: the report asked for was silently not written
        raise UsageError("--write-baseline writes no report: use it without --output-file")
    if request.unsafe_fixes and not (request.fix or request.diff):  # alone it changed nothing, without a word
        raise UsageError("--unsafe-fixes adds fixes to --fix or --diff: use it with one of them")


def _check_stdin_filename(name: str | None, paths: Sequence[str]) -> None:
    """--stdin-filename names standard input: without ``-`` among the paths it named nothing, and the run linted
    the files with other settings than the name asked for, without a word; empty, every finding began ``:L:C``."""
    from ..files import STDIN

    if name is None:
        return
    refuse_empty(("--stdin-filename", name), name="the file standard input stands for")
    if STDIN not in paths:
        raise UsageError(
            f"--stdin-filename {name}: names standard input, and no PATH is -; add - to read it "
            f"(mailconf lint - --stdin-filename {name})"
        )


def refuse_overwriting(
    files: Sequence[str],
    *outputs: tuple[str, str | None],
    settings: Sequence[str] = (),
    baselines: Sequence[str] = (),
    stdin_name: str | None = None,
) -> None:
    """An output (``--output-file``, ``--write-baseline``) that is one of the files read, a file checked, the
    ``settings`` file of one or one of the ``baselines`` read, is a usage error; so is the file ``stdin_name``
    (``--stdin-filename``) names: standard input is that file's text (an editor's buffer, ``< accounts.yaml``), and
    ``lint - --stdin-filename accounts.yaml -O accounts.yaml`` replaced the account file with the report."""
    import os
    import stat

    from ..files import STDIN

    read = [(path, "a file being checked") for path in files if path != STDIN]
    read += [(stdin_name, "the file standard input stands for (--stdin-filename)")] if stdin_name else []
    read += [(path, "the settings file in use") for path in settings]
    read += [(path, "the baseline in use") for path in baselines]
    for option, output in outputs:
        try:
            info = os.stat(output) if output is not None else None
        except OSError:
            continue  # not there yet: it cannot be one of them
        if info is None or not stat.S_ISREG(info.st_mode):
            continue
        for path, what in read:
            try:
                same = os.path.samestat(info, os.stat(path))
            except OSError:
                continue
            if same:
                raise UsageError(f"{output}: {option} names {path}, {what}; choose another file")


def settings_files(files: Sequence[str], policies: PolicyFinder, stdin_name: str | None = None) -> list[str]:
    """The settings files (``.mailconf.yaml``, ``pyproject.toml``, ``--config``) of the files: an output must not
    replace one (``--write-baseline .mailconf.yaml``, a name completed one key too soon, replaced it)."""
    from ..files import STDIN

    sources = (policies.for_file(stdin_name or STDIN if path == STDIN else path).source for path in files)
    return sorted({source for source in sources if source is not None})


def _with_errors(code: int, errors: Sequence[MailconfError], results: Sequence[LintedFile]) -> int:
    """Print each file that could not be read or linted; the exit code is the worst."""
    worst = ExitCode(code)
    for error in [*errors, *(r.error for r in results if r.error is not None)]:
        console.say(str(error))
        worst = max(worst, error.exit_code)
    return int(worst)


def settings_baseline(policies: PolicyFinder, path: str) -> str | None:
    """The baseline the settings of ``path`` name, as a message names it (MC709, an error): relative to the current
    directory when it is inside it, as ``--baseline`` names it. The settings' baseline is joined to their folder,
    an absolute path when they were found on the way up: a stale entry was ``/repo/base.json:9:1: ... run
    --write-baseline /repo/base.json again`` there and ``base.json:9:1`` with ``--baseline base.json``. Outside the
    current directory, as the settings give it (a path with ``..`` in it is left whole: a link in it would make it
    another file)."""
    import os

    baseline = policies.for_file(path).baseline
    if baseline is None or not os.path.isabs(baseline):
        return baseline
    try:
        here = os.path.join(os.getcwd(), "")
    except OSError:  # the current directory was removed: nothing is inside it
        return baseline
    inside = baseline[len(here) :]
    return inside if baseline.startswith(here) and inside and ".." not in inside.split(os.sep) else baseline


@contextmanager
def _named_from_settings(chosen: str | None, policies: PolicyFinder, path: str) -> Iterator[None]:
    """A baseline the settings of ``path`` name that cannot be read is named from there: `/repo/conf/old.json: no
    such baseline file` alone did not say which settings file, of those on the way up, holds the `baseline:`."""
    try:
        yield
    except InputError as exc:
        named = None if chosen else policies.for_file(path).baseline_at
        if named is None:
            raise
        raise InputError(f"{named}: baseline: {exc}") from None


def _accepted(
    files: Sequence[str], chosen: str | None, policies: PolicyFinder, stdin_name: str | None
) -> Callable[[LintedFile], Collection[Finding]]:
    """The findings of a file its baseline hides, which --fix leaves (each baseline read now: one that cannot be
    read stops the run before any file is written)."""
    from ..baseline import accepted
    from ..files import STDIN

    by_baseline: dict[str, Callable[[LintedFile], Collection[Finding]]] = {}
    for path in files:
        name = (stdin_name or STDIN) if path == STDIN else path
        baseline = chosen or settings_baseline(policies, name)
        if baseline and baseline not in by_baseline:
            with _named_from_settings(chosen, policies, name):
                by_baseline[baseline] = accepted(baseline)

    def of(result: LintedFile) -> Collection[Finding]:
        baseline = chosen or settings_baseline(policies, result.path)
        return by_baseline[baseline](result) if baseline in by_baseline else ()

    return of


def fix_files(
    files: Sequence[str],
    policies: PolicyFinder,
    *,
    unsafe: bool,
    diff: bool,
    stdin_name: str | None = None,
    accepted: Callable[[LintedFile], Collection[Finding]] | None = None,
    settle: Callable[[LintedFile], LintedFile] = lambda result: result,
) -> tuple[list[LintedFile], int]:
    """--fix (write) or --diff (print a unified diff, write nothing), a file at a time; ``settle`` gets each file's
    result once it is written (and gives what is kept of it).

    Standard input (``-``, named ``stdin_name``) is never written anywhere but standard output: --diff prints its
    diff under that name (for patch to apply to the file it stands for), --fix prints its whole text, fixed where
    it could be and as read where not (a pipe or an editor's buffer is never emptied by a file it will not fix).

    Returns the results after fixing (for the report) and, for --diff, the exit code:
    1 when there is something to change, or a file it will not fix (a check that passed it would pass a file
    whose fixes, or syntax errors, are left undone).
    """
    import os

    from ..files import STDIN
    from ..fix import Outcome, Unwritable, fix_paths, unified_diff, write_atomically
    from ..lint import LintedFile, lint_file  # at run time: a file that cannot be written is reported as one

    results: list[LintedFile] = []
    changed = fixed = unsafe_left = refused = 0
    seen: set[str] = set()  # the files, as --fix writes them (a link's target)
    outcomes = fix_paths(files, policies, unsafe=unsafe, stdin_name=stdin_name, accepted=accepted)
    for path, item in zip(files, outcomes, strict=True):
        if not isinstance(item, Outcome):
            results.append(settle(item))
            continue
        piped = path == STDIN
        target = os.path.realpath(item.path)
        if target in seen and not piped:  # named twice, once through a link: one file, fixed, diffed and counted
            results.append(settle(item.result))  # once (a second diff of it would not apply after the first)
            continue
        seen.add(target)
        if item.refused:
            console.say(f"{item.path}: not fixed: {item.refused}")
            refused += 1
        unsafe_left += item.unsafe_left
        if piped and not diff:
            console.out_bytes(item.after.encode("utf-8") if item.changed and item.refused is None else item.read)
        if item.changed and item.refused is None:
            if diff:
                console.out_document(unified_diff(item))  # for patch, to apply to a UTF-8 file
            elif not piped:
                try:
                    wrote = write_atomically(item.path, item.after, item.read)
                except Unwritable as exc:  # nothing written: not counted as fixed
                    # as ruff does: the file's findings are reported as it has them (none fixed), then the error
                    policy = policies.for_file(item.path)
                    results.append(settle(lint_file(item.path, policy, item.read, keep=True)))
                    results.append(settle(LintedFile(item.path, (), exc)))
                    continue
                except MailconfError as exc:  # changed meanwhile, or its lock not had: what it holds is not known
                    results.append(settle(LintedFile(item.path, (), exc)))
                    continue
                if not wrote:  # it held these fixes already: written by another run meanwhile
                    results.append(settle(item.result))
                    continue
            changed += 1
            fixed += len(item.fixed)
        results.append(settle(item.result))
    verb = "would fix" if diff else "fixed"
    summary = f"{verb} {fixed} finding{'s' if fixed != 1 else ''} in {changed} file{'s' if changed != 1 else ''}"
    if unsafe_left:
        summary += f"; {unsafe_left} more with --unsafe-fixes"
    console.say(summary)
    return results, int(ExitCode.FINDINGS if diff and (changed or refused) else ExitCode.OK)


def write_baseline(
    path: str, today: dict[str, list[Entry]], results: Sequence[LintedFile], policies: PolicyFinder
) -> int:
    """--write-baseline: write today's entries (:func:`mailconf.baseline.record` of the files that could be read),
    keep the other files' and those of rules turned off today; exit 0."""
    from ..baseline import locked, switched_off, with_other_files, write

    off = switched_off(path, results, lambda name: policies.for_file(name).disabled)
    with locked(path):  # read, merged and written by one run at a time
        entries, kept, held = with_other_files(path, today, off)
        write(path, entries)
    count = sum(len(e) for e in today.values())
    others = f"; kept {kept} of files not linted now" if kept else ""
    others += f"; kept {held} of rules turned off" if held else ""
    console.say(f"wrote {count} baseline entr{'ies' if count != 1 else 'y'} to {path}{others}")
    return int(ExitCode.OK)


def publish(
    results: Sequence[Result],
    tool_name: str,
    rules: Mapping[str, RuleInfo],
    report: ReportOptions,
    epilogue: str = "",
    *,
    to_stderr: bool = False,
    checked: int | None = None,
) -> None:
    """The report (and ``epilogue``), to standard output or ``--output-file`` (written whole, then renamed); to
    standard error when standard output carries something else (``to_stderr``: ``lint --fix -``). ``checked``: the
    files checked, when not every result is one (:class:`~mailconf.report.Tool`)."""
    import sys

    from ..report import DOCUMENT_FORMATS, REPORTERS, Tool, default_format, use_color

    fmt = report.fmt or default_format()
    stream = None if report.output_file is not None else sys.stderr if to_stderr else sys.stdout
    color = fmt == "text" and use_color(stream, mode=report.color)
    tool = Tool(tool_name, rules, color=color, summary=not report.quiet, checked=checked)
    text = REPORTERS[fmt](results, tool) + epilogue
    if report.output_file is None and to_stderr:
        console.report_to_stderr(text)
    elif report.output_file is None:
        (console.out_document if fmt in DOCUMENT_FORMATS else console.out)(text)
    else:
        console.write_report(report.output_file, text)
