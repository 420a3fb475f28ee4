"""``mailconf render`` and ``mailconf targets``: client configuration from the account file."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from ..errors import LISTED_IN_FULL, ExitCode, UsageError, counted, escape_controls, listed, plural
from ..targets import TARGETS, RenderedFile, Target
from . import console
from .outputs import refuse_empty, refuse_force_alone, refuse_replacing, say_replaced

if TYPE_CHECKING:
    from ..output import NewFolders, WouldReplaceInput
    from ..render import GapGroup, RenderResult


class RenderRequest(NamedTuple):
    file: str
    targets: tuple[str, ...]  # target names, or ("all",)
    accounts: tuple[str, ...] = ()
    output: str | None = None
    force: bool = False
    check: bool = False
    strict: bool = False
    options: tuple[str, ...] = ()
    update: bool = False  # --update: rewrite stale files in place (mode kept, no .bak), exit 1 when any changed
    jobs: int | None = None  # --jobs: worker processes for several targets (1: none); None: auto (render decides)
    quiet: bool = False  # -q: the findings only, as lint's -q: no closing line after --check's diffs


def run(request: RenderRequest) -> int:
    from ..document import gc_paused

    # The collector stays paused until the files are written, not only while they are rendered: resumed in
    # between, its first three collections would walk every object of the result (files and gaps) once per
    # generation, and nothing here makes cycles. `-t fetchmail -t msmtp -t mutt -t neomutt -t outlook
    # -t outlook-prf -t thunderbird`, 10,000 accounts: 0.126 -> 0.015 s of collections (benchmarks/README.md).
    with gc_paused():
        return _run(request)


def _run(request: RenderRequest) -> int:
    from ..output import NewFolders
    from ..render import choose_targets, parse_options

    targets = choose_targets(request.targets)
    options = parse_options(targets, request.options)
    _check_request(request, len(targets))
    # Several targets into -o DIR: with workers, each process writes the new target folders it renders
    # (mailconf.output.NewFolders); leaving this block without write_all placing them removes them.
    early = bool(request.output) and not (request.check or request.update) and len(targets) > 1
    new = NewFolders(Path(request.output or ".")) if early else None
    try:
        return _render(request, targets, options, new)
    finally:
        # Inline, not a with block's __exit__: a second Ctrl-C or SIGTERM is acted on where a function starts, so one
        # that came as the removal began (before discard() held signals off) skipped it, leaving the staging folders
        # and the -o this run made. discard() is called again until it has run whole; the last signal is then raised
        signalled: BaseException | None = None
        while new is not None:
            try:
                new.discard()
                break
            except (KeyboardInterrupt, SystemExit) as exc:
                signalled = exc
        if signalled is not None:
            raise signalled


def _render(
    request: RenderRequest, targets: Sequence[Target], options: Mapping[str, Mapping[str, str]], new: NewFolders | None
) -> int:
    from ..render import InvalidFile, NeverRendered, RenderError, render_file

    try:
        result = render_file(request.file, targets, request.accounts, options, request.jobs, sink=new)
    except InvalidFile as exc:
        _print_findings(exc.findings)
        raise
    except NeverRendered as exc:
        for reason in exc.reasons:
            console.level("error", reason)
        raise
    level = "error" if request.strict else "warning"
    for scope, line in gap_lines(result.gaps):
        console.level(level, f"{scope}: {line}")
    names = ", ".join(t.NAME for t in targets)
    if result.gaps and request.strict:
        settings = counted(result.gap_count, "setting")
        raise RenderError(f"{settings} cannot be expressed by {names} (--strict); nothing written")
    if not result.files and not result.written:
        verb = "renders" if len(targets) == 1 else "render"
        see = " (see the warnings above)" if result.gaps else ""
        raise RenderError(
            f"{request.file}: {plural(len(targets), 'target')} {names} {verb} no file: "
            f"no selected account has a server it can express{see}"
        )
    if request.output:
        return _to_directory(request, result, Path(request.output), new, targets)
    if len(result.files) != 1:
        one_each = len(render_file(request.file, targets, result.accounts[:1], options).files) == 1
        raise UsageError(_several_files([f.name for f in result.files], result.accounts, one_each, request))
    console.out_bytes(result.files[0].content)
    return int(ExitCode.OK)


def _check_request(request: RenderRequest, targets: int) -> None:
    """Options that cannot go together, said before anything is loaded."""
    # -o "$DIR" with DIR unset: never standard output instead
    refuse_empty(("-o", request.output), names="directory", name="the directory to write into")
    if request.check and not request.output:
        raise UsageError("--check compares with files on disk: name the directory with -o DIR")
    if request.update and (request.check or request.force):
        raise UsageError("--update replaces stale files itself: use it without --check and --force")
    if request.check and request.force:  # --force is about replacing files; --check replaces nothing
        raise UsageError("--check writes nothing: use it without --force")
    if request.update and not request.output:
        raise UsageError("--update rewrites files on disk: name the directory with -o DIR")
    refuse_force_alone(request.force, request.output, "DIR")
    if targets > 1 and not request.output:
        raise UsageError(f"{targets} targets write one folder each: name the directory with -o DIR")
    if request.output:
        from ..output import refuse_not_a_directory

        refuse_not_a_directory(Path(request.output))


def _to_directory(
    request: RenderRequest, result: RenderResult, root: Path, new: NewFolders | None, targets: Sequence[Target]
) -> int:
    """-o DIR: compare (--check), rewrite what is stale (--update) or write (refusing to replace without --force)."""
    from ..output import WouldReplaceInput

    try:
        if request.check:
            said = partial(_say_leftovers, request, result, root, targets)
            return check(result.files, root, quiet=request.quiet, keep=_kept(request), leftovers=said)
        fresh = frozenset(new.staged) if new is not None else frozenset()  # before write_all places them
        made = not os.path.lexists(root)  # a DIR this render makes holds nothing left over
        written = _write(request, result, root, new)
        left = False if made else _say_leftovers(request, result, root, targets, fresh)
        return int(ExitCode.FINDINGS if left and request.update else written)
    except WouldReplaceInput as refused:
        raise _refuse_input(request, refused) from None


def _say_leftovers(
    request: RenderRequest,
    result: RenderResult,
    root: Path,
    targets: Sequence[Target],
    fresh: frozenset[str] = frozenset(),
) -> bool:
    """The files in -o DIR that look like ones the targets write and that this render does not write (an account or
    a domain removed from the file): one line each, or, for more than five of one target, one line that names three
    and counts them (``errors.listed``); nothing is removed. An error of --check and --update (exit 1), a warning of
    a plain -o (its exit code unchanged). Not with --account: a file of an account not selected is no leftover.
    ``fresh``: the targets' folders this render made (NewFolders): nothing can be left in them, so they are not
    listed (``-t all`` into a new DIR: 51,007 names not matched). Whether any was named."""
    if request.accounts:
        return False
    from ..output import leftovers

    several = len(targets) > 1
    owned = [
        own._replace(pattern=f"{t.NAME}/{own.pattern}") if several else own
        for t in targets
        if not (several and t.NAME in fresh)
        for own in t.OWN_FILES
    ]
    if not owned:
        return False
    found = leftovers(root, owned, [f.name for f in result.files] + list(result.written))
    stale = request.check or request.update  # a folder under version control: an error, and how to remove it
    for group in found:
        for names in [[name] for name in group] if len(group) <= LISTED_IN_FULL else [list(group)]:
            it = "it" if len(names) == 1 else "them"
            line = f"{listed(names)}: no account renders {it} any more; remove {it}"
            if stale:
                console.say(f"{line} (git rm)")
            else:
                console.level("warning", line)
    return any(found)


def _write(request: RenderRequest, result: RenderResult, root: Path, new: NewFolders | None) -> int:
    from ..output import Differs, write_all

    files, keep = result.files, _kept(request)
    if request.update:
        changed = write_all(files, root, update=True, keep=keep)
        for label in changed.created:
            console.say(f"created {label}")
        for label in changed.replaced:
            console.say(f"updated {label}")
        say_replaced(changed)
        return int(ExitCode.FINDINGS if changed.created or changed.replaced else ExitCode.OK)
    try:
        changed = write_all(files, root, force=request.force, new=new, written=result.written, keep=keep)
    except Differs as refused:
        raise refuse_replacing(refused.paths, compared=True) from None
    say_replaced(changed)
    return int(ExitCode.OK)


def _kept(request: RenderRequest) -> tuple[int, int] | None:
    """(device, inode) of the account file, which no rendered file replaces in any mode (``render -t msmtp -o .
    .msmtprc``: --update replaced it without a .bak, --force with one, and without either mailconf said to use
    --force); write_all refuses it where it looks at each existing file anyway. Import refuses -o naming a file it
    reads alike."""
    import os

    try:
        info = os.stat(request.file)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def _refuse_input(request: RenderRequest, refused: WouldReplaceInput) -> UsageError:
    from ..errors import shown

    return UsageError(f"{request.file}: -o {shown(str(request.output))} would write {refused.name} over it, the "
                      "account file being rendered; choose another -o")  # fmt: skip


def check(
    files: Sequence[RenderedFile],
    root: Path,
    *,
    quiet: bool = False,
    keep: tuple[int, int] | None = None,
    leftovers: Callable[[], bool] = lambda: False,
) -> int:
    """``--check``: exit 0 when every file on disk is up to date, else 1: a unified diff on standard output for
    each stale file, one ``missing`` line for a file not written yet (a diff from nothing would only repeat
    the rendered file).

    The diff shows what a file on disk holds: each line is escaped like every other line printed. ``quiet``
    (-q): without the closing line that says how to rewrite them. ``keep``: the account file, which --update would
    refuse to replace (WouldReplaceInput), refused here too rather than shown as stale. ``leftovers``: says the
    files that no account renders any more, after the diffs, and whether there were any (stale too).
    """
    from ..output import compare

    differences = compare(files, root, keep)
    for difference in differences:
        if difference.sizes is not None:
            on_disk, rendered = difference.sizes
            console.say(
                f"{difference.label}: differs (on disk {on_disk} bytes, rendered {rendered} bytes; "
                "too large to show a diff)"
            )
            continue
        if difference.missing:
            console.say(f"{difference.label}: missing")
            continue
        console.out("".join(_diff_line(line) for line in difference.diff))
    left = leftovers()
    if not quiet and (differences or left):
        console.say(_stale_line(bool(differences), left))
    return int(ExitCode.FINDINGS if differences or left else ExitCode.OK)


def _stale_line(rewrite: bool, remove: bool) -> str:
    """--check's closing line: the fix for what it found. --update rewrites files, never removes one: a folder whose
    only fault is a file no account renders any more is not told to run it (it would exit 1 the same)."""
    if not rewrite:
        return "rendered files are stale: remove the files no account renders any more (--update never removes a file)"
    line = "rendered files are stale: run the same command with --update instead of --check to rewrite them"
    return line + ", and remove the files no account renders any more" if remove else line


def _diff_line(line: str) -> str:
    """A diff line escaped like any other line printed; its own line end (LF or CRLF) kept as it is."""
    body = line.rstrip("\r\n")
    return escape_controls(body) + (line[len(body) :] or "\n")


def _several_files(files: Sequence[str], accounts: Sequence[str], one_each: bool, request: RenderRequest) -> str:
    """Standard output holds one file: say how to get these (--account only where one account gives one file)."""
    advice = "write them with -o DIR"
    if len(accounts) > 1 and one_each:
        advice += ", or pick one account with --account"
    return f"target {request.targets[0]} renders {len(files)} files here ({listed(files, total=False)}); {advice}"


def _print_findings(findings: Sequence[object]) -> None:
    from ..model import Finding

    for finding in findings:
        assert isinstance(finding, Finding)
        console.finding(
            f"{finding.location}: {finding.severity.label} {finding.rule} {finding.slug}: {finding.message}"
        )


def gap_lines(groups: Sequence[GapGroup]) -> list[tuple[str, str]]:
    """(scope, line) per group: accounts with the very same gap (scope, setting, advice) share one line.

    With thousands of accounts, a target that cannot express a setting at all would
    otherwise repeat the same warning thousands of times:
    ``accounts a, b, c and 9997 more (10000): incoming.timeout cannot be expressed; ...``.
    """
    lines = []
    for scope, gap, accounts in groups:
        lines.append((scope, str(gap) if len(accounts) == 1 else gap.describe(f"accounts {listed(accounts)}")))
    return lines


class TargetsRequest(NamedTuple):
    fmt: str = "text"


def run_targets(request: TargetsRequest) -> int:
    from ..render import capability_matrix
    from ..targets import FEATURES

    names = sorted(TARGETS)
    if request.fmt == "json":
        payload = {
            n: {
                "title": TARGETS[n].TITLE,
                "capabilities": dict(TARGETS[n].CAPABILITIES),
                "options": dict(TARGETS[n].OPTIONS),
            }
            for n in names
        }
        console.out_document(json.dumps(payload, indent=2) + "\n")
    elif request.fmt == "markdown":
        console.out_document(capability_matrix() + "\n")
    else:
        lines = [f"{name:<12} {TARGETS[name].TITLE}" for name in names]
        lines.append("")
        for feature in FEATURES:
            cells = "  ".join(f"{n}={_short(TARGETS[n].CAPABILITIES.get(feature, 'no'))}" for n in names)
            lines.append(f"{feature:<20} {cells}")
        console.out("\n".join(lines) + "\n")
    return int(ExitCode.OK)


def _short(cell: str) -> str:
    return cell.split(":", 1)[0]
