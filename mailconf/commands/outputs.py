"""What every command says about a path it is told to write (``-o``, ``--output-file``...): one wording
for one situation, whichever command meets it (render, discover, import, lint, probe)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..errors import OutputError, UsageError, listed, shown
from . import console

if TYPE_CHECKING:
    from ..output import Changed


def refuse_empty(*options: tuple[str, str | None], names: str = "file", name: str = "a file") -> None:
    """An option given an empty path (``-o "$OUT"`` with OUT unset) is a usage error, before anything is read:
    taken as absent, it would silently mean another run (standard output, the settings found, no baseline).
    ``names`` is what the option names (``file``, ``directory``), ``name`` what to give it instead."""
    for option, path in options:
        if path == "":
            raise UsageError(f"{option} '': an empty path names no {names} (an unset variable?); name {name}")


def refuse_replacing(paths: Sequence[str], *, compared: bool = False) -> OutputError:
    """Files that -o would replace, without --force. ``compared``: render compared them with what it would write
    and refuses only those whose content differs, which its --check shows; discover and import refuse a file
    that exists."""
    one = len(paths) == 1
    exists = ("it exists" if one else "they exist") + (" with other content" if compared else "")
    use = "--check to see the difference, --force" if compared else "--force"
    return OutputError(
        f"refusing to replace {listed(paths)}: {exists}; use {use} to replace {'it' if one else 'them'} "
        "(a .bak copy is kept)"
    )


def say_replaced(changed: Changed, output: str | None = None) -> None:
    """What --force and --update did to files that were there, said alike by every command that replaces one (render
    -o DIR, discover -o FILE, import -o FILE): the .bak copy of each file --force replaced, and a warning for each
    replaced file that had other hard links. ``output``: the ``-o FILE`` of discover and import, shown as the user
    gave it (its copy beside it likewise) rather than resolved."""
    for label, copy in changed.kept:
        _say_kept(label if output is None else output, copy if output is None else _beside(output, copy))
    for label, others in changed.linked:
        _warn_linked(label if output is None else output, others)


def _beside(output: str, path: str) -> str:
    return os.path.join(os.path.dirname(output), os.path.basename(path))


def _say_kept(label: str, copy: str) -> None:
    """Without this line a user could not tell the copies exist (nor which of NAME.bak, NAME.bak.1... is this
    run's)."""
    console.say(f"replaced {label}; its old content is kept in {copy}")


def _warn_linked(label: str, others: int) -> None:
    """A new file took the name, the other names still hold the old content (a hard-linked ~/.msmtprc stays stale
    while render says "updated"), which nothing else would show."""
    holds = "its other hard link still holds" if others == 1 else f"its {others} other hard links still hold"
    console.level("warning", f"{label}: replaced by a new file; {holds} the old content")


def refuse_directory(option: str, path: str, name: str = "a file") -> UsageError:
    """An option that names a file (``--config``, ``--baseline``, ``-o`` of discover or import...) was given a
    directory: the wording of :func:`refuse_empty`, ``name`` what to give it instead."""
    return UsageError(f"{option} {shown(path)}: is a directory; name {name}")


def refuse_under_a_file(option: str, path: str, name: str) -> None:
    """``-o FILE`` whose folder is a file (``-o notes.txt/work.yaml``), before anything is read or looked up: the
    directory writer of render said ``notes.txt is not a directory; -o names the directory to write into``, the
    wrong advice for an option that names a file (and discover said it only after every lookup)."""
    import errno

    folder = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(folder) and os.path.dirname(folder) != folder:
        try:
            os.stat(folder)
        except OSError as exc:  # a loop of links is no missing folder: it was an internal error when written
            if exc.errno == errno.ELOOP:
                why = f"{folder}: {exc.strerror}"
                raise UsageError(f"{option} {shown(path)}: {why}; name {name} in a directory") from None
        folder = os.path.dirname(folder)  # a missing folder is made, as render makes -o DIR
    if not os.path.isdir(folder):
        raise UsageError(f"{option} {shown(path)}: {folder} is not a directory; name {name} in a directory")


def refuse_not_a_file(path: str) -> None:
    """``-o FILE`` of discover and import that is a FIFO, a device or a socket (``-o /dev/null``): refused before
    anything is read or looked up, with --force or without. The advice was to ``use --force to replace it``, and
    with --force the writer refused it (``is a FIFO (named pipe), not a regular file``), once every lookup was done.
    A symbolic link is left to the checks that follow (it may name a file being imported, which they say)."""
    import stat

    from ..output import file_kind

    try:
        info = os.lstat(path)
    except OSError:
        return  # not there (or not reachable): the checks that follow say why, or it is made
    kind = None if stat.S_ISLNK(info.st_mode) else file_kind(info.st_mode)
    if kind is not None:
        raise OutputError(f"{path}: is {kind}, not a regular file; remove it or choose another -o")


def refuse_force_alone(force: bool, output: str | None, name: str = "FILE") -> None:
    """--force without -o replaces nothing (the output goes to standard output): a usage error, as --update without
    -o is, rather than an option silently ignored (``-o`` left out of a command meant to replace a file)."""
    if force and output is None:
        raise UsageError(f"--force replaces files on disk: name the {'directory' if name == 'DIR' else 'file'} "
                         f"with -o {name}")  # fmt: skip
