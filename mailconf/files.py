"""Which files a command line names: files as given, directories walked for account files.

A file named on the command line is always read, whatever its name. A directory
yields, recursively and in sorted order, the files that match the settings'
``include`` patterns (default ``*.yaml`` and ``*.yml``) and none of their
``exclude`` patterns, passing over:

- hidden files and directories (``.git``, ``.github``, ``.mailconf.yaml``,
  ``.pre-commit-config.yaml``): CI workflows and tool settings are not account files;
- what the repository's ``.gitignore`` files ignore (each file's patterns apply
  below its own directory, from the repository root down, and a deeper file's
  ``!pattern`` re-includes what one above ignores; ``.git/info/exclude`` and
  the global excludes file are not read; a ``.gitignore`` that is not a regular file
  holds no pattern);
- symbolic links to directories (a link loop cannot make the walk endless).

Patterns use .gitignore syntax (the ``pathspec`` library, as yamllint and black do; its
expressions rewritten by :mod:`mailconf._globs` so that no pattern can make a walk hang)
and are matched against the path relative to the directory of the settings file
that holds them (the walked directory when the defaults apply). ``-`` stands for
standard input and is passed through.
"""

from __future__ import annotations

import os
import re
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from .errors import QUOTE_LIMIT, ConfigError, InputError, counted, cut
from .settings import Policy, first_few

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec

STDIN = "-"


class Expanded(NamedTuple):
    files: tuple[str, ...]
    #: one error per directory that holds no account file (a mistyped path must not lint nothing and pass)
    errors: tuple[InputError, ...] = ()


def expand(paths: Sequence[str], policy_for: Callable[[Path], Policy]) -> Expanded:
    """The files to read, in command-line order; directories expanded (see the module docstring)."""
    files: list[str] = []
    errors: list[InputError] = []
    for path in paths:
        if path != STDIN and os.path.isdir(path):
            unlisted: list[InputError] = []
            passed_over = _PassedOver(Counter(), [])
            found = list(_walk(Path(path), policy_for, unlisted, passed_over))
            errors.extend(unlisted)
            if not found and not unlisted:  # a folder that could not be listed says why there is nothing
                errors.append(_nothing_here(path, policy_for(Path(path)).include, passed_over))
            files.extend(found)
        else:
            files.append(path)
    # one file named cannot be two; a folder walked can hold a file and a link to it
    return Expanded(tuple(files) if len(files) == 1 else once(files), tuple(errors))


def once(paths: Sequence[str]) -> tuple[str, ...]:
    """``paths`` with each file (or folder) named twice, however spelt (a.yaml, ./a.yaml, /abs/a.yaml, a symbolic
    or hard link to it: one device and inode is one file), kept once, under the name it was first given, in order:
    lint reads such a file once, and import imports it once. A path that cannot be looked at (missing, a folder
    without search permission) is told apart by its spelling, and reading it says why."""
    unique: dict[object, str] = {}
    cwd = os.getcwd()
    for path in paths:
        unique.setdefault(_identity(path, cwd), path)
    return tuple(unique.values())


def _identity(path: str, cwd: str) -> object:
    """What makes ``path`` the file it is: its device and inode (links followed), else its normalised spelling."""
    if path == STDIN:
        return path
    try:
        found = os.stat(path)
    except (OSError, ValueError):  # ValueError: a NUL in the path, which reading it reports
        return os.path.normpath(os.path.join(cwd, path))
    return (found.st_dev, found.st_ino)


def _listed(patterns: Sequence[str]) -> str:
    """The first few patterns, each cut as a value typed is: they were joined whole, and a pattern of 15,000
    characters (or 20,000 patterns) made one line of kilobytes."""
    return first_few(patterns, lambda pattern: cut(pattern, QUOTE_LIMIT, str))


class _PassedOver(NamedTuple):
    """What a walk passed over, for the line of a folder that yields nothing."""

    #: the files ``include`` selects that were passed over all the same, by reason (``exclude``, ``a .gitignore``)
    files: Counter[str]
    #: the folders a ``.gitignore`` passes over (relative to the folder walked), never looked in
    folders: list[str]


def _nothing_here(path: str, include: Sequence[str], passed_over: _PassedOver) -> InputError:
    """A folder that yields no account file. When ``exclude`` or a ``.gitignore`` passed over the files ``include``
    selects, it says so: "set include in the settings" was the advice then, and no include brings them back."""
    patterns = _listed(include) or "[], which selects none"
    reasons, folders = passed_over
    if not reasons:
        skipped = ""
        if folders:  # their files were never looked at: build/ in .gitignore, the account files in build/
            skipped = (f", and a .gitignore passes over {counted(len(folders), 'folder')} here, not looked in "
                       f"({_listed(folders)})")  # fmt: skip
        return InputError(f"{path}: no account files here (include: {patterns}){skipped}; name a file, or set include "
                          "in the settings")  # fmt: skip
    count = reasons.total()
    by = " and ".join(reason for reason in ("exclude", "a .gitignore") if reasons[reason])
    change = "them" if len(reasons) > 1 else by.replace("a .gitignore", "the .gitignore")
    files = "1 file that include" if count == 1 else f"{count} files that include"
    return InputError(
        f"{path}: no account files here: {files} ({patterns}) selects {'is' if count == 1 else 'are'} passed over by "
        f"{by}; name a file (a named file is always read), or change {change}"
    )


def _walk(
    top: Path, policy_for: Callable[[Path], Policy], unlisted: list[InputError], passed_over: _PassedOver
) -> Iterator[str]:
    """The account files below ``top``; ``passed_over`` gets what was passed over (:class:`_PassedOver`)."""
    ignored = _gitignored(top)
    for directory, dirnames, filenames in _top_down(top, unlisted):
        here = Path(directory)
        kept = sorted(d for d in dirnames if not d.startswith(".") and not (here / d).is_symlink())
        dirnames[:] = [d for d in kept if not ignored(here / d, True)]
        if len(dirnames) < len(kept):
            passed_over.folders.extend((here / d).relative_to(top).as_posix() for d in kept if d not in dirnames)
        policy = policy_for(here)
        try:
            selected = _selector(policy.include, policy.exclude)
        except (ValueError, re.error):
            raise _bad_pattern(policy) from None
        root = policy.root or top
        for name in sorted(filenames):
            path = here / name
            if name.startswith("."):
                continue
            if ignored(path, False):
                if selected(_relative(path, root)) is not None:
                    passed_over.files["a .gitignore"] += 1
                continue
            verdict = selected(_relative(path, root))
            if verdict:
                yield str(path)
            elif verdict is False:
                passed_over.files["exclude"] += 1


def _top_down(top: Path, unlisted: list[InputError]) -> Iterator[tuple[str, list[str], list[str]]]:
    """``os.walk(top)`` without recursion (Python 3.11's recurses, so a tree 1,000 folders deep
    overflowed the stack); the caller prunes ``dirnames`` in place, as with os.walk.

    A folder that cannot be listed is an error in ``unlisted`` and the walk goes on: os.walk passes it over, and
    the account files in it were left unchecked without a word (exit 0), where a file that cannot be read is exit 2.
    """
    stack = [os.fspath(top)]
    while stack:
        directory = stack.pop()
        try:
            with os.scandir(directory) as entries:
                listed = list(entries)
        except PermissionError:
            unlisted.append(InputError(f"{directory}: permission denied; make the folder readable (its files were "
                                       "not checked)"))  # fmt: skip
            continue
        except OSError as exc:
            why = exc.strerror or type(exc).__name__
            unlisted.append(InputError(f"{directory}: cannot be listed ({why}); its files were not checked"))
            continue
        dirnames: list[str] = []
        filenames: list[str] = []
        for entry in listed:
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            (dirnames if is_dir else filenames).append(entry.name)
        yield directory, dirnames, filenames
        stack.extend(os.path.join(directory, name) for name in reversed(dirnames))


def _relative(path: Path, root: Path) -> str:
    """``path`` relative to ``root``, by the name it has in its folder: a symbolic link is matched by its own name,
    as git matches it, not by the file it names (`accounts.yaml -> shared/acc.txt` was passed over by "*.yaml",
    and `notes.txt -> real.yaml` linted as an account file)."""
    resolved = path.parent.resolve() / path.name
    try:
        return resolved.relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name  # outside the settings' directory (--config elsewhere): match the name alone


@cache
def _selector(include: tuple[str, ...], exclude: tuple[str, ...]) -> Callable[[str], bool | None]:
    """Whether a relative path is an account file: True, False where ``exclude`` passes over what ``include``
    selects, None where ``include`` does not select it."""
    import pathspec  # only when a directory is walked: lint of named files never imports it

    from ._globs import linear_spec

    with warnings.catch_warnings():  # re's FutureWarning on "[[:alpha:]]" is not a line to print
        warnings.simplefilter("ignore")
        wanted = linear_spec(pathspec.GitIgnoreSpec.from_lines(include))
        unwanted = linear_spec(pathspec.GitIgnoreSpec.from_lines(exclude))
    return lambda relative: not unwanted.match_file(relative) if wanted.match_file(relative) else None


def _bad_pattern(policy: Policy) -> ConfigError:
    """The settings' first ``include`` or ``exclude`` pattern that pathspec cannot compile, by its place."""
    import pathspec

    for key, patterns in (("include", policy.include), ("exclude", policy.exclude)):
        for i, pattern in enumerate(patterns):
            try:
                pathspec.GitIgnoreSpec.from_lines([pattern])
            except (ValueError, re.error):
                where = policy.patterns_at.get((key, i)) or policy.source or key
                return ConfigError(
                    f"{where}: {key}: `{pattern}` is not a valid .gitignore-style pattern; "
                    "fix it (a literal [ or a trailing \\ is written \\[ or \\\\) or remove it"
                )
    return ConfigError(f"{policy.source}: include and exclude do not compile together; simplify them")


def _gitignored(top: Path) -> Callable[[Path, bool], bool]:
    """Whether a path under ``top`` is ignored by a ``.gitignore`` of its repository (none: nothing is)."""
    start = top.resolve()
    # os.path.exists: False for a .git that cannot be looked at (a folder without search permission), which
    # Path.exists() raised as PermissionError, an internal error
    root = next((d for d in (start, *start.parents) if os.path.exists(d / ".git")), None)
    if root is None:
        return lambda _path, _is_dir: False
    specs: dict[Path, GitIgnoreSpec | None] = {}

    def spec_of(directory: Path) -> GitIgnoreSpec | None:
        if directory not in specs:
            lines = _gitignore_lines(directory / ".gitignore")
            specs[directory] = _lenient_spec(lines) if lines else None
        return specs[directory]

    def ignored(path: Path, is_dir: bool) -> bool:
        full = path.resolve() if not path.is_symlink() else path.parent.resolve() / path.name
        for directory in (full.parent, *full.parent.parents):
            spec = spec_of(directory)
            if spec is not None:
                relative = full.relative_to(directory).as_posix() + ("/" if is_dir else "")
                if spec.match_file(relative):
                    return True
                if _negated(spec, relative):  # `!name` in a deeper .gitignore wins over the folders' above, as in git
                    return False
            if directory == root:
                break
        return False

    return ignored


def _negated(spec: GitIgnoreSpec, relative: str) -> bool:
    """Whether a ``!pattern`` of ``spec`` matches ``relative``: when the spec does not ignore it, the last pattern
    that matches it is then a negation, so this .gitignore decides it is not ignored."""
    return any(pattern.include is False and pattern.match_file(relative) is not None for pattern in spec.patterns)


def _gitignore_lines(path: Path) -> list[str]:
    """A ``.gitignore``'s lines; none when it is missing, unreadable, larger than an account file may be, or not a
    regular file: git reads a FIFO as empty (its size is 0), and read_text() of one waited for a writer forever
    (``mailconf lint .`` hung; a link to /dev/zero filled the memory)."""
    from .document import read_bytes

    try:
        data = read_bytes(str(path))  # a regular file only, opened without blocking, at most MAX_FILE_BYTES
    except InputError:
        return []
    return data.decode("utf-8", errors="replace").splitlines()


def _lenient_spec(lines: list[str]) -> GitIgnoreSpec:
    """A ``.gitignore``'s patterns, less those that are not valid (a trailing ``\\``, a lone ``!``, ``[z-a]``):
    git passes over them, matching nothing, and so does mailconf (they are the repository's, not mailconf's)."""
    import re
    import warnings

    import pathspec

    from ._globs import linear_spec

    def spec(patterns: list[str]) -> GitIgnoreSpec:
        with warnings.catch_warnings():  # re's FutureWarning on "[[:alpha:]]" is not the user's concern
            warnings.simplefilter("ignore")
            return linear_spec(pathspec.GitIgnoreSpec.from_lines(patterns))

    def valid(line: str) -> bool:
        try:
            spec([line])
        except (ValueError, re.error):
            return False
        return True

    try:
        return spec(lines)
    except (ValueError, re.error):
        return spec([line for line in lines if valid(line)])
