"""Writing rendered files into ``-o DIR``: nothing a user wrote is lost, nothing is left half-written.

- Every name stays inside the output directory: a name (or an existing symbolic
  link) that leads outside it is refused.
- An existing file with the same content is left alone (not even its time
  stamp changes); one whose content differs is refused unless ``force``, and
  then a copy is kept as ``NAME.bak`` (``NAME.bak.1``... if that exists).
- Everything is checked before anything is written, so a refusal writes nothing.
- Then in three steps: (1) every file is written as a temporary next to its
  destination, with its exact mode, and fsync'd; (2) only when all of them are
  on disk are they renamed into place; (3) each directory is fsync'd, so the
  renames survive a crash too. A failure in step 1 (a full disk) removes the
  temporaries and leaves every destination as it was; a reader never sees a
  partly written file.

For speed with thousands of files (one muttrc per account), each directory is
listed once instead of probing every name, and the fsyncs of a batch of files
overlap in a few threads (on a disk, each fsync waits for the device).

``check`` is ``--check``: compare in memory, write nothing, print a unified diff.
"""

from __future__ import annotations

import difflib
import errno
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple, TypeVar

from .errors import ExitCode, OutputError
from .targets import RenderedFile

_BATCH = 64  # files open at once while their fsyncs overlap (well below any descriptor limit)
_SYNC_THREADS = 4
_T = TypeVar("_T")


class _Place(NamedTuple):
    """Where one file goes: an existing or to-be-made directory (resolved, inside the root) and a name in it."""

    directory: str
    name: str

    @property
    def path(self) -> Path:
        return Path(self.directory, self.name)

    def __str__(self) -> str:
        return f"{self.directory}/{self.name}"


class _Planned(NamedTuple):
    place: _Place
    file: RenderedFile
    backup: bool  # an existing file with other content is replaced (--force): keep a copy first


class _Tree:
    """The output directory as it is on disk, each directory resolved and listed once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.base = root.resolve()
        self._folders: dict[str, str] = {"": str(self.base)}  # folder part of a name -> resolved directory
        self._listings: dict[str, dict[str, bool]] = {}  # directory -> {entry name: is a symbolic link}
        self._checked: set[str] = set()

    def _inside(self, name: str, path: Path) -> Path:
        if path != self.base and self.base not in path.parents:
            raise OutputError(f"refusing to write {name!r} outside {self.root}")
        return path

    def place(self, name: str) -> _Place:
        """Where ``name`` goes: ``root/name``, refused when it would land outside ``root``."""
        folder, _, leaf = name.rpartition("/")
        directory = self._folders.get(folder)
        if directory is None:
            directory = self._folders[folder] = str(self._inside(name, (self.base / folder).resolve()))
        if leaf in ("", ".", "..") or self.listing(directory).get(leaf):
            # not a plain name, or an existing symbolic link: follow it, and it must stay inside
            path = self._inside(name, Path(directory, leaf).resolve())
            if path == self.base:
                raise OutputError(f"refusing to write {name!r} outside {self.root}")
            return _Place(str(path.parent), path.name)
        return _Place(directory, leaf)

    def listing(self, directory: str) -> dict[str, bool]:
        found = self._listings.get(directory)
        if found is None:
            found = self._listings[directory] = _list(directory)
        return found

    def current(self, place: _Place) -> bytes | None:
        """The bytes of an existing file there, None when there is none."""
        if place.name not in self.listing(place.directory):
            return None
        return _read(place.path)

    def check_parents(self, directory: str) -> None:
        """Before writing anything: the nearest existing ancestor of an output file must be a directory."""
        if directory in self._checked:
            return
        self._checked.add(directory)
        path = Path(directory)
        while not path.exists():
            path = path.parent
        if not path.is_dir():
            raise OutputError(f"{path} is not a directory; -o names the directory to write into")


def _list(directory: str) -> dict[str, bool]:
    try:
        with os.scandir(directory) as entries:
            return {entry.name: entry.is_symlink() for entry in entries}
    except (FileNotFoundError, NotADirectoryError):
        return {}
    except OSError as exc:
        raise OutputError(f"{directory}: cannot be read ({exc.strerror or type(exc).__name__})") from None


def _read(dest: Path) -> bytes | None:
    try:
        return dest.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except IsADirectoryError:
        raise OutputError(f"{dest} is a directory; remove it or choose another -o") from None
    except OSError as exc:
        raise OutputError(f"{dest}: cannot be read ({exc.strerror or type(exc).__name__})") from None


def _text(data: bytes) -> str:
    """File content for a diff: UTF-16 when it starts with its byte-order mark (a PRF), else UTF-8."""
    if data.startswith(b"\xff\xfe"):
        return data[2:].decode("utf-16-le", "replace")
    return data.decode("utf-8", "replace")


def check(files: Sequence[RenderedFile], root: Path) -> int:
    """``--check``: exit 0 when every file on disk is up to date, else 1 and a unified diff on stdout."""
    stale = False
    tree = _Tree(root)
    for file in files:
        current = tree.current(tree.place(file.name))
        if current == file.content:
            continue
        stale = True
        old = [] if current is None else _text(current).splitlines(keepends=True)
        new = _text(file.content).splitlines(keepends=True)
        label = str(root / file.name)
        sys.stdout.writelines(difflib.unified_diff(old, new, f"{label} (on disk)", f"{label} (rendered)"))
        if current is None:
            print(f"mailconf: {label}: missing", file=sys.stderr)
    if stale:
        print("mailconf: rendered files are stale: run the same command without --check", file=sys.stderr)
        return int(ExitCode.FINDINGS)
    return int(ExitCode.OK)


def write_all(files: Sequence[RenderedFile], root: Path, *, force: bool) -> None:
    """Write ``files`` under ``root`` (see the module docstring); OutputError names the first refusal or failure."""
    tree = _Tree(root)
    plan: list[_Planned] = []
    refused: list[str] = []
    for file in files:
        place = tree.place(file.name)
        current = tree.current(place)
        if current is None:
            tree.check_parents(place.directory)
            plan.append(_Planned(place, file, False))
        elif current == file.content:
            continue
        elif force:
            plan.append(_Planned(place, file, True))
        else:
            refused.append(str(place.path))
    if refused:
        raise OutputError(
            f"refusing to replace {len(refused)} file(s) whose content differs: {', '.join(refused)}; "
            "use --check to see the difference, --force to replace them (a .bak copy is kept)"
        )
    directories = [Path(d) for d in dict.fromkeys(item.place.directory for item in plan)]
    for directory in directories:
        _guarded(directory, _make_dirs, directory)
    for item in plan:
        if item.backup:
            _guarded(item.place.path, _backup, item.place.path)
    temporaries = _write_temporaries(plan)
    _rename(temporaries)
    for directory in directories:
        _guarded(directory, _sync_directory, directory)


def _guarded(where: object, action: Callable[..., _T], *args: object) -> _T:
    """Run one write step; an OSError becomes one line naming the file (not its temporary)."""
    try:
        return action(*args)
    except OSError as exc:
        raise OutputError(f"cannot write {where}: {exc.strerror or type(exc).__name__}") from None


def _make_dirs(directory: Path) -> None:
    """Create the missing directories, each with mode 0700 (mkdir(parents=True) would use the umask for parents)."""
    missing: list[Path] = []
    while not directory.exists():
        missing.append(directory)
        directory = directory.parent
    for path in reversed(missing):
        path.mkdir(mode=0o700, exist_ok=True)


def _backup(dest: Path) -> Path:
    candidate = dest.with_name(dest.name + ".bak")
    n = 0
    while candidate.exists():
        n += 1
        candidate = dest.with_name(f"{dest.name}.bak.{n}")
    shutil.copy2(dest, candidate)
    return candidate


_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)


def _open_temporary(place: _Place, mode: int) -> tuple[int, str]:
    """A new, empty temporary file next to the destination, with exactly ``mode`` (the umask does not apply)."""
    try:
        path = f"{place.directory}/.{place.name}.mailconf-{os.getpid()}.tmp"
        fd = os.open(path, _CREATE, 0o600)
    except FileExistsError:  # left by an earlier run that was killed: do not touch it
        fd, path = tempfile.mkstemp(prefix=f".{place.name}.", suffix=".tmp", dir=place.directory)
    try:
        os.fchmod(fd, mode)
    except BaseException:
        os.close(fd)
        os.unlink(path)
        raise
    return fd, path


def _write_fully(fd: int, content: bytes) -> None:
    view = memoryview(content)
    while view:
        view = view[os.write(fd, view) :]


def _write_temporaries(plan: Sequence[_Planned]) -> list[tuple[str, _Place]]:
    """Step 1: every file as a durable temporary; on any failure, every temporary is removed."""
    written: list[tuple[str, _Place]] = []
    pool = ThreadPoolExecutor(max_workers=_SYNC_THREADS) if len(plan) > _SYNC_THREADS else None
    try:
        for start in range(0, len(plan), _BATCH):
            batch: list[tuple[int, _Place]] = []
            try:
                for place, file, _backup in plan[start : start + _BATCH]:
                    fd, path = _guarded(place, _open_temporary, place, file.mode)
                    batch.append((fd, place))
                    written.append((path, place))
                    _guarded(place, _write_fully, fd, file.content)
                _sync(batch, pool)
            finally:
                for fd, _place in batch:
                    os.close(fd)
    except BaseException:
        for path, _place in written:
            Path(path).unlink(missing_ok=True)
        raise
    finally:
        if pool is not None:
            pool.shutdown()
    return written


def _sync(batch: Sequence[tuple[int, _Place]], pool: ThreadPoolExecutor | None) -> None:
    """fsync a batch of open files; with a pool, their waits for the disk overlap in a few threads."""

    def run(part: Sequence[tuple[int, _Place]]) -> None:
        for fd, place in part:
            _guarded(place, os.fsync, fd)

    if pool is None:
        run(batch)
        return
    for _ in pool.map(run, [batch[i::_SYNC_THREADS] for i in range(_SYNC_THREADS)]):
        pass


def _rename(temporaries: Sequence[tuple[str, _Place]]) -> None:
    """Step 2: every temporary into place; if a rename fails, the temporaries not yet renamed are removed."""
    for index, (path, place) in enumerate(temporaries):
        try:
            os.replace(path, str(place))
        except OSError as exc:
            for left, _place in temporaries[index:]:
                Path(left).unlink(missing_ok=True)
            raise OutputError(f"cannot write {place}: {exc.strerror or type(exc).__name__}") from None


def _sync_directory(directory: Path) -> None:
    """Step 3: make the renames durable. Some file systems cannot fsync a directory; that is not an error."""
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)
