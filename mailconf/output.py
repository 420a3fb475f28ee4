"""Writing rendered files into ``-o DIR``: nothing a user wrote is lost, nothing is left half-written,
nothing is written outside ``DIR``.

- ``DIR`` itself is the user's choice and may be a symbolic link. Inside it,
  nothing is ever followed: each folder is opened relative to its parent's
  descriptor with ``O_NOFOLLOW``, and every file mailconf creates (temporaries,
  ``.bak`` copies) is created with ``O_EXCL | O_NOFOLLOW``. A symbolic link where
  mailconf would write (a file, a folder, a ``.bak``) is refused; so is a name
  with ``..``.
- Only regular files are opened. A directory, FIFO, socket or device where a
  file goes is refused, never opened (a FIFO would block).
- Each file gets exactly its mode, whatever the umask or a default ACL would make of it, and is never
  more open than that mode, at no moment: created with the mode, which they can only narrow, then
  ``fchmod`` where they did (:func:`_create_exactly`).
- An existing file is compared by size first, then streamed in chunks: a huge
  file is never read whole. The same content is left alone (not even its time
  stamp changes). Other content is refused unless ``force`` (a hard link, or a
  copy, keeps it as ``NAME.bak``, ``NAME.bak.1``...) or ``update`` (replaced in
  place, its mode kept, no ``.bak``: for folders under version control; an edit not
  committed is lost, as docs/render.md says).
- The whole check-and-write holds an exclusive ``flock`` on ``DIR``: two renders
  into one folder run one after the other, and the second sees the first's
  files. A file that did not exist is created with ``link()``, which never
  replaces: even a writer that takes no lock is never overwritten (without hard links, renamed with
  ``renameat2(RENAME_NOREPLACE)``, just as safe; only without that too, looked at, then renamed: see
  :func:`_create`). Every folder that holds ``DIR`` is
  locked shared first, from / down: a render into a folder inside another's ``DIR`` (``-o DIR/mutt``)
  waits for it too. A new folder is renamed into place without replacing, and one this run placed is
  undone by removing only its own files from it (:func:`_take_back`), never whole: another program may
  have written into it since. Neither there nor for a file created in a folder that existed is a name
  removed by name alone: only while it still holds the file this run put there (the same inode), so a
  file another program has put in its place since stays (:func:`_remove_placed`).
- Everything is checked before anything is written, so a refusal writes nothing.
  Then: (1) every file is written as a temporary next to its destination, with
  its exact mode; (2) the temporaries are made durable; (3) they are moved into
  place; (4) the moves are made durable. A failure in (1) or (2) (a full disk)
  removes the temporaries, the ``.bak`` copies and the folders it created (``DIR``
  and its parents too; a folder another program wrote into is left) and leaves every
  destination as it was, with SIGINT and SIGTERM held off meanwhile (a second Ctrl-C
  is acted on once all is removed); a reader never sees a partly written file. In
  (3), a failure or a signal removes the files created (``.bak`` copies too), until
  the replacements start: a signal then is acted on once they are all done (a
  replaced file's old content is gone). The replacements exchange each file with its
  temporary: one that fails (an immutable file, a mount point) exchanges back those
  before it, and everything is removed as before them. A render that waited for the lock on a
  ``DIR`` the failed one removed makes it again.
- Durability: below ``_SYNCFS_FROM`` files, each file is fsync'd (batches overlap
  in a few threads) and then each directory. From ``_SYNCFS_FROM`` files on, one
  ``syncfs()`` per file system before the moves and one after: on a disk, 20,005
  fsyncs cost more than flushing the file system twice (see benchmarks/README.md).
  Where there is no ``syncfs`` (not Linux), per-file fsync.
- A new folder, staged: with ``syncfs``, a folder directly in ``DIR`` that did not
  exist (``DIR/getmail`` of ``-t all``, ``DIR/autodiscover``) is written whole as a
  hidden folder ``DIR/.NAME.mailconf-PID.tmp`` holding every file under its final
  name, made durable, then renamed into place in one step that never replaces
  (``renameat2(RENAME_NOREPLACE)``; where the file system lacks it, ``rename()``,
  which never replaces a folder that holds anything), and only while it is a folder
  (a link put in its place is refused, never renamed to a final name). One create per file instead
  of a temporary, a ``link()`` and an ``unlink()``: writing the 51,007 files of
  ``-t all`` into a new folder takes 1.03 s instead of 1.31 on ext4 on a disk, 0.52
  instead of 0.75 on tmpfs. A crash leaves at most that hidden folder, never a file
  under its final name.
- New folders written while rendering: with ``render --jobs``, :class:`NewFolders` makes
  those staging folders before the workers fork, each worker writes the targets it renders
  into them, and write_all renames them into place with the rest (see the class).

``check`` is ``--check``: compare, write nothing, print a unified diff (when both
sides are small enough to diff; else the sizes). ``leftovers`` finds the files a
render wrote that this one does not (an account removed): it never removes one.
"""

from __future__ import annotations

import difflib
import errno
import itertools
import os
import stat
import sys
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager, nullcontext, suppress
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from .errors import OutputError, close_left_open, held_whole, signals_held
from .replace import exists, make_folders, temporary_name
from .targets import NAME_MAX, OwnFile, RenderedFile, folded

if TYPE_CHECKING:  # imported where used: most renders write more than _SYNCFS_FROM files or one file
    import threading
    from concurrent.futures import ThreadPoolExecutor

_BATCH = 64  # files open at once while their fsyncs overlap (well below any descriptor limit)
_SYNC_THREADS = 4
#: From this many files on, durability is one syncfs() per file system instead of one fsync per file
#: (measured on ext4 on a virtual disk: equal at 256 files, 1.5-3x faster at 20,005).
_SYNCFS_FROM = 256
_CHUNK = 1 << 20  # bytes read at a time when comparing or copying an existing file
#: --check shows a diff only when both sides are at most this big; above it, the sizes.
DIFF_LIMIT = 1 << 20
#: How long a render waits for another one writing into the same folder.
LOCK_WAIT = 30.0
#: How many times a render takes DIR's lock, each time on the folder -o names then, when DIR is replaced while it
#: waits (see locked()); replaced every time means something keeps replacing it: refused instead of looping on.
LOCK_ATTEMPTS = 4
_T = TypeVar("_T")

_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_OPEN_DIR = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _O_NOFOLLOW | _O_CLOEXEC
_OPEN_READ = os.O_RDONLY | _O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | _O_CLOEXEC  # NONBLOCK: a FIFO never blocks
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | _O_CLOEXEC

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


class Differs(OutputError):
    """Files that exist with other content, which only --force replaces: nothing was written. The command words
    the refusal (mailconf.commands.outputs.refuse_replacing): only it knows its options (--check, --force)."""

    def __init__(self, paths: tuple[str, ...]) -> None:
        super().__init__(f"refusing to replace {', '.join(paths)}: other content")
        self.paths = paths


class WouldReplaceInput(OutputError):
    """A rendered file would go where the file being rendered is (``render -t msmtp -o . .msmtprc``), in any mode:
    nothing was written. ``name`` is the rendered file's name under DIR; the command words the refusal."""

    def __init__(self, name: str) -> None:
        super().__init__(f"{name}: is the file being rendered")
        self.name = name


class Changed(NamedTuple):
    """What a write changed: the files created and the files replaced (paths as shown to the user), and for
    --force each replaced file with the NAME.bak copy that keeps its old content (the user is told where)."""

    created: tuple[str, ...]
    replaced: tuple[str, ...]
    kept: tuple[tuple[str, str], ...] = ()
    #: Replaced files that had other hard links, with how many: a new file takes the name, the other names keep the
    #: old content (a hard-linked ~/.msmtprc stays stale), which the user is warned of.
    linked: tuple[tuple[str, int], ...] = ()


class _Folder(NamedTuple):
    """A folder inside the output directory, opened without following links; ``fd`` is -1 until it exists."""

    fd: int
    path: str  # shown in messages
    names: frozenset[str]  # its entries when it was opened


class _Planned(NamedTuple):
    folder: str  # the folder part of the file's name ("" for the output directory itself)
    leaf: str
    label: str  # the path shown in messages
    file: RenderedFile
    mode: int  # the mode the written file gets
    existing: bool  # a regular file with other content is there: replace it
    backups: tuple[str, ...]  # --force: names to try, in order, for the copy of the existing file
    kept: os.stat_result | None = None  # --update: the file replaced, whose owner, group and attributes stay
    links: int = 1  # the replaced file's hard links (its other names keep the old content)
    #: the file compared, as _seen() gives it: a file there that is not it when it is replaced was written since
    seen: tuple[int, ...] | None = None


def file_kind(mode: int) -> str | None:
    """What a non-regular file is ("a FIFO (named pipe)"...); None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((kind for test, kind in _KINDS if test(mode)), "not a regular file")


def _split(name: str, root: Path) -> tuple[str, str]:
    """``name`` -> (folder, leaf); a name that could leave ``root`` is refused before anything is touched."""
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if name.startswith("/") or ".." in parts or not parts:
        raise OutputError(f"refusing to write {name} outside {root}")
    return "/".join(parts[:-1]), parts[-1]


#: The folders' descriptors every _Output of this process holds (NewFolders' and write_all's may hold the same
#: folder): never closed as one left open by a signal (_Output.close).
_KEPT: set[int] = set()


def refuse_not_a_directory(root: Path) -> None:
    """OutputError when ``root``, or the nearest of its parents that exists, is not a directory: -o names the folder
    to write into. Said by render before the file is even loaded (a 10,000-account render took seconds and printed
    every target's gaps, then refused ``-o somefile``), and again when -o is opened."""
    path = _resolved(root)
    while not exists(path):
        path = path.parent
    if not path.is_dir():
        raise OutputError(f"{path} is not a directory; -o names the directory to write into")


def _resolved(root: Path) -> Path:
    """``root.resolve()``; a loop of symbolic links on the way is refused, naming ``root`` as the user wrote it.

    Python 3.11 and 3.12 raise RuntimeError ("Symlink loop"), which was an internal error; 3.13 raises nothing and
    leaves the loop in the path, and the writer then named the absolute path. The stat finds the loop on either.
    """
    try:
        base = root.resolve()
    except RuntimeError:
        raise OutputError(f"cannot write {root}: {os.strerror(errno.ELOOP)}") from None
    except OSError as exc:  # realpath's getcwd() of a current folder removed (the command layer says that first)
        raise OutputError(f"cannot write {root}: {exc.strerror or type(exc).__name__}") from None
    try:
        os.stat(base)
    except OSError as exc:
        if exc.errno != errno.ELOOP:  # missing (made later), not a folder, not searchable: the writer says so
            return base
    else:
        return base
    raise OutputError(f"cannot write {root}: {os.strerror(errno.ELOOP)}")


class _Output:
    """The output directory and its folders, each opened once relative to its parent (never through a link)."""

    def __init__(self, root: Path, keep: tuple[int, int] | None = None) -> None:
        self.root = root
        self.base = _resolved(root)
        #: (device, inode) of a file never to replace, whatever the mode: the file being rendered (existing())
        self.keep = keep
        self._folders: dict[str, _Folder] = {}
        self._fds: list[int] = []
        self._made: list[tuple[int, str]] = []  # the folders this run created inside DIR: (parent's fd, name)
        self._opening: tuple[int, str] | None = None  # the folder being opened: (parent's fd, name)
        #: (folder's fd, mode) -> whether a file created there with that mode gets exactly it (_create_exactly); the
        #: descriptors stay open as long as this: none is reused for another folder meanwhile
        self.exact: dict[tuple[int, int], bool] = {}
        self.made_root: list[Path] = []  # DIR and the parents open_root() created, outermost first

    # --- opening --------------------------------------------------------------------------------------------

    def open_root(self, *, create: bool) -> bool:
        """Open DIR (following a link there: the user named it); False when it does not exist and not ``create``."""
        refuse_not_a_directory(self.base)
        if not exists(self.base):
            if not create:
                return False
            _guarded(self.base, make_folders, self.base, self.made_root)
        with signals_held():  # opened and kept as one step: a signal as the open returned left the descriptor open
            fd = _guarded(self.base, os.open, self.base, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _O_CLOEXEC)
            self._fds.append(fd)
        self._folders[""] = _Folder(fd, str(self.base), frozenset())  # listed once the lock is held
        return True

    def folder(self, folder: str, name: str, *, create: bool = False) -> _Folder:
        """The folder ``folder`` (a part of ``name``); fd -1 when missing and not ``create``."""
        found = self._folders.get(folder)
        if found is not None and (found.fd >= 0 or not create):
            return found
        parent_name, _, leaf = folder.rpartition("/")
        parent = self.folder(parent_name, name, create=create) if folder else self._folders[""]
        path = f"{parent.path}/{leaf}"
        if parent.fd < 0:
            found = _Folder(-1, path, frozenset())
        else:
            found = self._open_folder(parent, leaf, path, name, create=create)
        self._folders[folder] = found
        return found

    def _open_folder(self, parent: _Folder, leaf: str, path: str, name: str, *, create: bool) -> _Folder:
        if leaf not in parent.names or create:
            if not create:
                return _Folder(-1, path, frozenset())
            # recorded before it is made: a Ctrl-C or SIGTERM right after mkdir() must not leave it behind (one per
            # folder held off instead would cost two system calls per folder; a folder not made is not removed)
            self._made.append((parent.fd, leaf))
            try:
                os.mkdir(leaf, 0o700, dir_fd=parent.fd)
            except FileExistsError:  # made meanwhile, not this run's: opened below, without following a link
                self._made.pop()
            except OSError as exc:
                raise OutputError(f"cannot write {path}: {exc.strerror or type(exc).__name__}") from None
        info = self.lstat(parent, leaf, name)
        if stat.S_ISLNK(info.st_mode):
            raise self.link_refusal(name, parent, leaf)
        if not stat.S_ISDIR(info.st_mode):
            what = file_kind(info.st_mode) or "a file"
            raise OutputError(f"{path}: is {what}, not a folder; remove it or choose another -o")
        # Named before it is opened: a signal acted on as os.open() returns leaves the descriptor open, unknown, and
        # close() closes it. Not held off instead (three system calls): autoconfig makes a folder per domain
        self._opening = (parent.fd, leaf)
        try:
            fd = os.open(leaf, _OPEN_DIR, dir_fd=parent.fd)
        except OSError as exc:
            self._opening = None
            if exc.errno in (errno.ELOOP, errno.ENOTDIR):  # replaced by a link or a file since the lstat
                raise self.link_refusal(name, parent, leaf) from None
            raise OutputError(f"cannot write {path}: {exc.strerror or type(exc).__name__}") from None
        self._fds.append(fd)
        _KEPT.add(fd)
        self._opening = None
        return _Folder(fd, path, _guarded(path, _names, fd))

    def lstat(self, folder: _Folder, leaf: str, name: str) -> os.stat_result:
        return _guarded(f"{folder.path}/{leaf}", os.stat, leaf, dir_fd=folder.fd, follow_symlinks=False)

    def link_refusal(self, name: str, folder: _Folder, leaf: str) -> OutputError:
        """The refusal for a symbolic link at ``folder/leaf``, where ``name`` would be written."""
        target = Path(os.path.realpath(f"{folder.path}/{leaf}"))
        if target != self.base and self.base not in target.parents:
            return OutputError(f"refusing to write {name} outside {self.root}")
        return OutputError(
            f"refusing to write {name}: {folder.path}/{leaf} is a symbolic link; "
            "mailconf never writes through one inside -o: remove it"
        )

    def remove_made(self) -> None:
        """After a failure: remove the folders this run created (inside DIR, then DIR and its parents) that are
        still empty; a folder that holds anything (another program's file) is left. Only while no other render
        holds DIR's lock (DIR's lock is kept until close()); one that waits for it finds DIR removed and makes it
        again (locked())."""
        self.close_unkept()
        made, roots = list(self._made), self.made_root
        self.keep_made()
        root = self._folders.get("")
        if root is not None and not _try_lock(root.fd):
            return
        if roots and root is not None and not _names_folder(roots[-1], root.fd):
            roots = []  # DIR was moved away or replaced: the folder there now is not this run's
        for parent, leaf in reversed(made):  # made after its parent: removed before it
            with suppress(OSError):
                os.rmdir(leaf, dir_fd=parent)
        for path in reversed(roots):
            with suppress(OSError):
                path.rmdir()

    def keep_made(self) -> None:
        """The folders created hold what this run wrote: never removed."""
        self._made.clear()
        self.made_root = []

    def close_unkept(self) -> None:
        """A signal came as a folder's os.open() returned: its descriptor, open and not kept, is closed. Before the
        folder is removed (its device and inode find the descriptor)."""
        if self._opening is not None:
            parent, leaf = self._opening
            with suppress(OSError):
                info = os.stat(leaf, dir_fd=parent, follow_symlinks=False)
                close_left_open({(info.st_dev, info.st_ino)}, keep=_KEPT.union(self._fds))
            self._opening = None

    def close(self) -> None:
        self.close_unkept()
        for fd in reversed(self._fds):
            os.close(fd)
            _KEPT.discard(fd)
        self._fds.clear()
        self.exact.clear()  # its descriptors' numbers are free for other folders now

    # --- locking --------------------------------------------------------------------------------------------

    @contextmanager
    def locked(self, *, exclusive: bool) -> Iterator[None]:
        """Hold a flock on DIR: writers one at a time, --check never in the middle of a write. And a shared one on
        each folder that holds DIR, taken first: a render into a folder inside another's DIR (``-o out`` and ``-o
        out/mutt``) waits for it, as two renders into one DIR do."""
        around: list[int] = []
        try:
            yield from self._locked(exclusive, around)
        finally:
            held_whole(partial(_close_all, around))  # a signal half-way left a lock held for the process's life

    def _locked(self, exclusive: bool, around: list[int]) -> Iterator[None]:
        import fcntl

        deadline = time.monotonic() + LOCK_WAIT
        self._lock_around(around, deadline)
        for attempt in itertools.count(1):
            fd = self._folders[""].fd
            self._lock(fd, exclusive=exclusive, deadline=deadline)
            if not exclusive or _names_folder(self.base, fd):
                break
            # DIR was removed while this run waited for it (a render that had created it failed and removed it,
            # remove_made()): made and opened again. Not st_nlink 0: some file systems say 1 or 0 for any folder
            with suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            if attempt == LOCK_ATTEMPTS:
                raise OutputError(
                    f"{self.base}: moved away or removed {attempt} times while mailconf waited to write there; "
                    "nothing written: run again once nothing else replaces it"
                )
            self.open_root(create=True)
        self.list_root()  # what the previous writer left
        try:
            yield
        finally:
            with suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)

    def list_root(self) -> None:
        root = self._folders[""]
        self._folders[""] = root._replace(names=_guarded(root.path, _names, root.fd))

    def _lock_around(self, fds: list[int], deadline: float) -> None:
        """A shared lock on each folder that holds DIR, from / down: the one order every render takes them in (and
        DIR's own last), so none waits for another that waits for it. A render into one of them holds it
        exclusively: this one waits until it is done. A folder this user may pass through but not read (mode
        0711) is not locked."""
        import fcntl

        for folder in reversed(self.base.parents):
            with signals_held():  # opened and recorded as one step: a descriptor left open would keep its lock
                try:
                    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _O_CLOEXEC)
                except OSError:
                    continue
                fds.append(fd)
            if not _flock_until(fd, fcntl.LOCK_SH, deadline):
                raise OutputError(
                    f"{self.base}: another mailconf render is writing into {folder}, which holds this folder "
                    f"(waited {LOCK_WAIT:g} s); try again"
                )

    def _lock(self, fd: int, *, exclusive: bool, deadline: float) -> None:
        import fcntl

        if not _flock_until(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH, deadline):
            raise OutputError(
                f"{self.base}: another mailconf render is writing here (waited {LOCK_WAIT:g} s); try again"
            )

    def refuse_append_only(self, names: Iterable[str]) -> None:
        """Refuse, before anything is written, a folder that is append-only (``chattr +a``) among those ``names``
        (opened already) or, for one to be made, the nearest that exists: files can be created there but never
        removed or renamed, so every temporary stayed beside its file (a hard link to it) after a render that
        exited 0, and a failure could remove none of the files it had created."""
        checked: set[str] = set()
        for name in names:
            existing = name
            while self._folders[existing].fd < 0:  # made by this run, in the nearest folder that exists
                existing = existing.rpartition("/")[0]
            if existing in checked:
                continue
            checked.add(existing)
            folder = self._folders[existing]
            if _append_only(folder.fd):
                raise OutputError(
                    f"cannot write {folder.path}: the folder is append-only (chattr +a), where mailconf could not "
                    "remove its temporary files; nothing written"
                )

    # --- what is there now ----------------------------------------------------------------------------------

    def _refuse_kept(self, info: os.stat_result, name: str) -> None:
        if self.keep is not None and (info.st_dev, info.st_ino) == self.keep:
            raise WouldReplaceInput(name)

    def existing(self, folder: _Folder, leaf: str, name: str) -> os.stat_result | None:
        """The regular file at ``folder/leaf`` (None when there is none); anything else there is refused."""
        if folder.fd < 0 or leaf not in folder.names:
            return None
        try:
            info = os.stat(leaf, dir_fd=folder.fd, follow_symlinks=False)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise OutputError(f"{folder.path}/{leaf}: cannot be read ({exc.strerror or type(exc).__name__})") from None
        if stat.S_ISLNK(info.st_mode):
            with suppress(OSError):  # a link to the file being rendered: said as such, not as any link
                self._refuse_kept(os.stat(leaf, dir_fd=folder.fd), name)
            raise self.link_refusal(name, folder, leaf)
        self._refuse_kept(info, name)
        kind = file_kind(info.st_mode)
        if kind is not None:
            raise OutputError(f"{folder.path}/{leaf}: is {kind}, not a regular file; remove it or choose another -o")
        return info


def _flock_until(fd: int, operation: int, deadline: float) -> bool:
    """Take ``operation``'s flock on ``fd``, retried until ``deadline``: False when another holds it still then. A
    file system without flock (some network ones) counts as taken: link() still never replaces."""
    import fcntl

    while True:
        try:
            fcntl.flock(fd, operation | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
        except OSError:
            return True


def _close_all(fds: list[int]) -> None:
    while fds:
        os.close(fds.pop())


_FS_APPEND_FL = 0x20  # linux/fs.h


def _append_only(fd: int) -> bool:
    """Whether the folder open as ``fd`` has the append-only inode flag (Linux's FS_IOC_GETFLAGS; a file system
    without inode flags has none)."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes
    import fcntl

    request = (2 << 30) | (ctypes.sizeof(ctypes.c_long) << 16) | (ord("f") << 8) | 1  # _IOR('f', 1, long)
    try:
        flags = fcntl.ioctl(fd, request, bytes(8))
    except OSError:
        return False
    return bool(int.from_bytes(flags[:4], sys.byteorder) & _FS_APPEND_FL)


def _names(fd: int) -> frozenset[str]:
    """A folder's entries, listed once (a 10,000-file folder is one listing, not 10,000 lookups)."""
    with os.scandir(fd) as entries:
        return frozenset(entry.name for entry in entries)


@contextmanager
def _open_existing(folder: _Folder, leaf: str, info: os.stat_result) -> Iterator[int]:
    """The existing regular file, opened without following a link; refused if it changed since it was looked at."""
    label = f"{folder.path}/{leaf}"
    fd = _reading(label, _open_at, folder, leaf, _OPEN_READ)
    try:
        now = os.fstat(fd)
        if (now.st_dev, now.st_ino) != (info.st_dev, info.st_ino) or not stat.S_ISREG(now.st_mode):
            raise OutputError(f"{label}: changed while mailconf was reading it; run again")
        yield fd
    finally:
        os.close(fd)


def _open_at(folder: _Folder, name: str, flags: int, mode: int = 0o777) -> int:
    """``os.open(name, flags, mode, dir_fd=folder.fd)``. A Ctrl-C or SIGTERM acted on as it returns, before the caller
    has the descriptor, left it open for the rest of the process: on that path only, the file is found by its device
    and inode and its descriptor closed, as _Output.close_unkept does for a folder. Not held off instead (three
    system calls): --check and every render of files that exist open each one to compare it."""
    try:
        return os.open(name, flags, mode, dir_fd=folder.fd)
    except (KeyboardInterrupt, SystemExit):
        with suppress(OSError):
            info = os.stat(name, dir_fd=folder.fd, follow_symlinks=False)
            close_left_open({(info.st_dev, info.st_ino)}, keep=_KEPT)
        raise


def _same(folder: _Folder, leaf: str, info: os.stat_result, content: bytes) -> bool:
    """Whether the file holds exactly ``content``: sizes first, then chunk by chunk (never the whole file)."""
    if info.st_size != len(content):
        return False
    view = memoryview(content)
    offset = 0
    with _open_existing(folder, leaf, info) as fd:
        while chunk := _reading(f"{folder.path}/{leaf}", os.read, fd, _CHUNK):
            if view[offset : offset + len(chunk)] != chunk:
                return False
            offset += len(chunk)
    return offset == len(content)


def _read_small(folder: _Folder, leaf: str, info: os.stat_result) -> bytes:
    with _open_existing(folder, leaf, info) as fd:
        parts = []
        while chunk := _reading(f"{folder.path}/{leaf}", os.read, fd, _CHUNK):
            parts.append(chunk)
        return b"".join(parts)


def _text(data: bytes) -> str:
    """File content for a diff: UTF-16 when it starts with its byte-order mark (a PRF), else UTF-8."""
    if data.startswith(b"\xff\xfe"):
        return data[2:].decode("utf-16-le", "replace")
    return data.decode("utf-8", "replace")


class Difference(NamedTuple):
    """A rendered file that differs from the one on disk (``--check``)."""

    label: str  # the path under -o, as given
    missing: bool  # not on disk at all
    diff: tuple[str, ...]  # unified diff lines (on disk -> rendered); () when too large to show
    sizes: tuple[int, int] | None = None  # (on disk, rendered) bytes, when too large for a diff


def compare(files: Sequence[RenderedFile], root: Path, keep: tuple[int, int] | None = None) -> list[Difference]:
    """``--check``: every rendered file that is missing or differs on disk (files compared by size, then in chunks).
    ``keep``: as write_all's (WouldReplaceInput): the file being rendered is never "stale", which --update refuses."""
    found: list[Difference] = []
    out = _Output(root, keep)
    try:
        exists = out.open_root(create=False)
        names = [(file, *_split(file.name, root)) for file in files]
        with out.locked(exclusive=False) if exists else nullcontext():
            for file, folder_name, leaf in names:
                label = str(root / file.name)
                folder = out.folder(folder_name, file.name) if exists else _Folder(-1, "", frozenset())
                info = out.existing(folder, leaf, file.name)
                if info is not None and _same(folder, leaf, info, file.content):
                    continue
                if info is not None and max(info.st_size, len(file.content)) > DIFF_LIMIT:
                    found.append(Difference(label, False, (), (info.st_size, len(file.content))))
                    continue
                old = [] if info is None else _text(_read_small(folder, leaf, info)).splitlines(keepends=True)
                new = _text(file.content).splitlines(keepends=True)
                diff = difflib.unified_diff(old, new, f"{label} (on disk)", f"{label} (rendered)")
                found.append(Difference(label, info is None, tuple(diff)))
    finally:
        held_whole(out.close)  # a signal as the close began skipped it: every folder's descriptor left open
    return found


def leftovers(root: Path, owned: Iterable[OwnFile], rendered: Collection[str]) -> list[tuple[str, ...]]:
    """The files under ``root`` that a render wrote and this one does not (``--check``, ``--update``), for each of the
    ``owned`` files (mailconf.targets.OwnFile, the pattern under ``root``), in their order: each path that matches
    it, is a regular file that begins with its start and holds its marker within its first MiB, and is not one of
    ``rendered`` (names under ``root``), shown under ``root`` as given, sorted. Never removes anything.

    Cost: one listing of each folder a pattern's ``*`` looks into (``mutt/`` of 10,000 accounts: one); a folder of
    a ``*`` whose one file the render writes now (an autoconfig domain) is not even opened, and only the files
    that match and are not rendered are read. Nothing is followed: a symbolic link, or anything but a regular
    file, is never one of them. Under DIR's shared lock, as :func:`compare`."""
    found: list[tuple[str, ...]] = []
    out = _Output(root)
    try:
        if not out.open_root(create=False):
            return [() for _ in owned]
        written = set(rendered)
        folds: dict[str, str] = {}
        with out.locked(exclusive=False):
            fd = out.folder("", "").fd
            for own in owned:
                parts = tuple(p for p in own.pattern.split("/") if p)
                names = [name for name in sorted(_matching(fd, "", parts, written)) if _holds(fd, name, own)]
                if names and not folds:
                    folds.update((folded(name), name) for name in written)
                found.append(tuple(str(root / name) for name in names if not _one_file(fd, name, folds)))
    finally:
        held_whole(out.close)
    return found


def _matching(fd: int, under: str, parts: tuple[str, ...], rendered: set[str]) -> Iterator[str]:
    """The paths under the folder open as ``fd`` (``under`` its path) that match ``parts`` and are not rendered:
    regular files at the end, folders on the way, neither through a symbolic link."""
    import fnmatch

    part, rest = parts[0], parts[1:]
    if any(c in part for c in "*?["):
        with suppress(OSError), os.scandir(fd) as entries:
            # the one file a folder matched here can hold, when the rest names it (autoconfig's DOMAIN/config-v1.1.xml)
            tail = None if any(c in "*?[" for c in "".join(rest)) else "".join(f"/{p}" for p in rest)
            for entry in entries:
                path = f"{under}{entry.name}"
                if tail is not None and path + tail in rendered:
                    continue  # a file rendered now, or a folder whose one file is: not looked up, fnmatch spared
                if entry.name.startswith(".") or not fnmatch.fnmatchcase(entry.name, part):
                    continue
                with suppress(OSError):
                    if not rest and entry.is_file(follow_symlinks=False):
                        yield path
                    elif rest and entry.is_dir(follow_symlinks=False):
                        yield from _inside(fd, entry.name, path, rest, rendered)
        return
    path = f"{under}{part}"
    if not rest:
        with suppress(OSError):
            if path not in rendered and stat.S_ISREG(os.stat(part, dir_fd=fd, follow_symlinks=False).st_mode):
                yield path
        return
    yield from _inside(fd, part, path, rest, rendered)


def _inside(fd: int, leaf: str, path: str, rest: tuple[str, ...], rendered: set[str]) -> Iterator[str]:
    """:func:`_matching` in the folder ``leaf`` of ``fd``, opened without following a link (none: nothing there)."""
    try:
        inner = os.open(leaf, _OPEN_DIR, dir_fd=fd)
    except OSError:
        return
    try:
        yield from _matching(inner, f"{path}/", rest, rendered)
    finally:
        os.close(inner)


def _one_file(fd: int, name: str, folds: Mapping[str, str]) -> bool:
    """Whether ``name`` is a file rendered now under a name that only case or Unicode normalization tell apart
    (``carol.muttrc`` for account ``Carol``'s ``Carol.muttrc``), where the file system ignores them (macOS, Windows, a
    FAT drive: see mailconf.targets.folded): one file, the same device and inode under both names."""
    other = folds.get(folded(name))
    if other is None or other == name:
        return False
    mine, theirs = _identity_at(fd, name), _identity_at(fd, other)
    return mine is not None and mine == theirs


def _folder_of(fd: int, name: str, opened: list[int]) -> tuple[int, str]:
    """The folder that holds ``name`` (a path under ``fd``), opened without following a link, and its last part;
    each descriptor opened is appended to ``opened`` for the caller to close. OSError as os.open raises it."""
    parts = name.split("/")
    for folder in parts[:-1]:
        fd = os.open(folder, _OPEN_DIR, dir_fd=fd)
        opened.append(fd)
    return fd, parts[-1]


def _identity_at(fd: int, name: str) -> tuple[int, int] | None:
    """(device, inode) of the file ``name`` under ``fd``, reached without following a link; None when there is none."""
    opened: list[int] = []
    try:
        folder, last = _folder_of(fd, name, opened)
        info = os.stat(last, dir_fd=folder, follow_symlinks=False)
        return info.st_dev, info.st_ino
    except OSError:
        return None
    finally:
        _close_all(opened)


def _holds(fd: int, name: str, own: OwnFile) -> bool:
    """Whether the regular file ``name`` under ``fd`` begins with ``own.start`` and holds ``own.marker`` within its
    first MiB (opened without following a link, and never a FIFO: not blocking); a file that cannot be read is not
    taken for one."""
    opened: list[int] = []
    try:
        folder, last = _folder_of(fd, name, opened)
        fd = os.open(last, _OPEN_READ, dir_fd=folder)
        opened.append(fd)
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        head = b""
        while len(head) < _CHUNK and (chunk := os.read(fd, _CHUNK - len(head))):
            head += chunk
        return head.startswith(own.start) and own.marker in head[len(own.start) :]
    except OSError:
        return False
    finally:
        _close_all(opened)


def write_all(
    files: Sequence[RenderedFile],
    root: Path,
    *,
    force: bool = False,
    update: bool = False,
    new: NewFolders | None = None,
    written: Sequence[str] = (),
    keep: tuple[int, int] | None = None,
) -> Changed:
    """Write ``files`` under ``root`` (see the module docstring); OutputError names the first refusal or failure.

    ``keep``: (device, inode) of a file never replaced, in any mode (the file being rendered): WouldReplaceInput
    where a file goes that is it, or a link to it. Checked on the files that exist, as they are looked at anyway.

    ``new``, ``written``: folders :class:`NewFolders` already holds, with the names of the files written in them
    (``TOP/NAME``); they are made durable and renamed into place with the rest, in the same one step.
    """
    names = [(file, *_split(file.name, root)) for file in files]  # before anything is created
    for name in written:
        _split(name, root)
    # opened here, as -o names it now (NewFolders' staging folders: the same folder, or read back)
    out = _Output(root, keep)
    try:
        out.open_root(create=True)
        with out.locked(exclusive=True):
            prestaged, reclaimed = new.claim(out, written) if new is not None else ({}, [])
            names += [(file, *_split(file.name, root)) for file in reclaimed]
            plan = _plan(out, names, force=force, update=update)
            kept = _write(out, plan, prestaged)
            out.keep_made()
            if new is not None:
                new.placed()
    except BaseException:
        held_whole(out.remove_made)  # as every cleanup after a failure: a second Ctrl-C must not cut it short
        raise
    finally:
        held_whole(out.close)  # a signal as the close began skipped it: every folder's descriptor left open
    base = out.folder("", "").path
    early = tuple(f"{base}/{name}" for name in written if _top(name.rpartition("/")[0]) in prestaged)
    return Changed(
        tuple(item.label for item in plan if not item.existing) + early,
        tuple(item.label for item in plan if item.existing),
        kept,
        tuple((item.label, item.links - 1) for item in plan if item.existing and item.links > 1),
    )


def _plan(out: _Output, names: Sequence[tuple[RenderedFile, str, str]], *, force: bool, update: bool) -> list[_Planned]:
    """What to write, decided before anything is: raises the refusal when a file would be replaced."""
    plan: list[_Planned] = []
    refused: list[str] = []
    for file, folder_name, leaf in names:
        folder = out.folder(folder_name, file.name)
        label = f"{folder.path}/{leaf}"
        info = out.existing(folder, leaf, file.name)
        if info is None:
            plan.append(_Planned(folder_name, leaf, label, file, file.mode, False, ()))
        elif _same(folder, leaf, info, file.content):
            continue
        elif update:
            mode = stat.S_IMODE(info.st_mode)
            plan.append(_Planned(folder_name, leaf, label, file, mode, True, (), info, info.st_nlink, _seen(info)))
        elif force:
            backups = _backup_names(out, folder, leaf, file.name)
            item = _Planned(folder_name, leaf, label, file, file.mode, True, backups, None, info.st_nlink, _seen(info))
            plan.append(item)
        else:
            refused.append(label)
    if refused:
        raise Differs(tuple(refused))
    if plan:
        out.refuse_append_only(item.folder for item in plan)
    return plan


def _seen(info: os.stat_result) -> tuple[int, ...]:
    """What tells the file compared from one written since: another file renamed over it (an editor saving: its
    device and inode), or the same file written into (``>>``: its size and modification time)."""
    return info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns


def _backup_names(out: _Output, folder: _Folder, leaf: str, name: str) -> tuple[str, ...]:
    """NAME.bak, NAME.bak.1...: the first free one and a few after it (should another program take it meanwhile)."""
    free: list[str] = []
    for n in itertools.count():
        candidate = f"{leaf}.bak.{n}" if n else f"{leaf}.bak"
        if len(candidate.encode()) > NAME_MAX:
            break  # no file system takes it, nor any later one
        if candidate not in folder.names:
            free.append(candidate)
            if len(free) == 8:
                break
            continue
        info = out.lstat(folder, candidate, name)
        if stat.S_ISLNK(info.st_mode):
            raise out.link_refusal(name[: len(name) - len(leaf)] + candidate, folder, candidate)
    if not free:  # said before anything is written, not as "File name too long" once the others are
        raise OutputError(
            f"refusing to replace {name}: a .bak copy of it would need a name over {NAME_MAX} bytes; use --update "
            "to replace it without one, or move it away first"
        )
    return tuple(free)


def _write(out: _Output, plan: Sequence[_Planned], prestaged: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """Write ``plan``; returns (file, its NAME.bak copy) for each file --force replaced. ``prestaged``: the folders
    NewFolders wrote, renamed into place with the rest."""
    many = bool(prestaged) or (len(plan) >= _SYNCFS_FROM and _syncfs_available())  # NewFolders only with syncfs
    staged = _stage(out, plan) if many else {}
    backups: list[tuple[_Folder, str]] = []  # --force's NAME.bak copies made: removed until the replacements begin
    try:
        for item in plan:  # missing folders first, each opened without following a link (in its staging folder)
            out.folder(_where(item, staged), item.file.name, create=True)
        temporaries = _write_temporaries(out, plan, staged, sync_each=not many)
    except BaseException:
        held_whole(lambda: _unstage(out, staged))
        raise
    try:
        if many:
            _sync_file_systems(out, temporaries)
        # The .bak copies last, just before the replacements: a run killed (kill -9) while it writes and flushes
        # the temporaries, the long part, left a NAME.bak beside every file it was about to replace, unchanged
        kept: list[tuple[str, str]] = []
        for item in plan:
            if item.backups:
                folder = out.folder(item.folder, item.file.name)
                kept.append((item.label, f"{folder.path}/{_guarded(item.label, _backup, folder, item, backups)}"))
    except BaseException:

        def undo() -> None:
            _remove(out, temporaries)
            _remove_backups(backups)
            _unstage(out, staged)

        held_whole(undo)
        raise
    _move_into_place(out, temporaries, staged, prestaged, backups)
    if many:
        _sync_file_systems(out, temporaries)
    else:
        for folder in dict.fromkeys(temporary.folder for temporary in temporaries):
            _guarded(folder.path, _sync_directory, folder.fd)
    return tuple(kept)


def _guarded(where: object, action: Callable[..., _T], *args: object, **kwargs: object) -> _T:
    """Run one file-system step; an OSError becomes one line naming the file (not its temporary)."""
    try:
        return action(*args, **kwargs)
    except OSError as exc:
        raise OutputError(f"cannot write {where}: {exc.strerror or type(exc).__name__}") from None


def _reading(where: object, action: Callable[..., _T], *args: object) -> _T:
    """Read an existing file (to compare it): an OSError becomes ``cannot read FILE: why``. It said "cannot write"
    of a file mailconf only reads, and of ``--check``, which writes nothing."""
    try:
        return action(*args)
    except OSError as exc:
        raise OutputError(f"cannot read {where}: {exc.strerror or type(exc).__name__}") from None


def _names_folder(path: Path, fd: int) -> bool:
    """Whether ``path`` (following links, as the user named it) is still the folder open as ``fd``."""
    try:
        named, opened = os.stat(path), os.fstat(fd)
    except OSError:
        return False
    return (named.st_dev, named.st_ino) == (opened.st_dev, opened.st_ino)  # the open fd keeps its number taken


def _same_folder(one: int, other: int) -> bool:
    first, second = os.fstat(one), os.fstat(other)
    return (first.st_dev, first.st_ino) == (second.st_dev, second.st_ino)


def _try_lock(fd: int) -> bool:
    """DIR's exclusive lock, if no other render holds it (or the file system has no flock)."""
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:
        pass
    return True


def _backup(folder: _Folder, item: _Planned, made: list[tuple[_Folder, str]]) -> str:
    """Keep the existing file as NAME.bak: a hard link (the same bytes, mode and times, nothing copied), or a copy
    where the file system has no hard links. Neither ever follows a link or replaces a name. Added to ``made``
    before it is made (as _create_listed's files): a write that fails, or a Ctrl-C or SIGTERM, before the
    replacements begin changes no file, so the copies it made are removed (they were left beside the files); a
    name taken by another program is taken out again, never removed."""
    for candidate in item.backups:
        made.append((folder, candidate))
        try:
            os.link(item.leaf, candidate, src_dir_fd=folder.fd, dst_dir_fd=folder.fd, follow_symlinks=False)
            return candidate
        except FileExistsError:  # taken meanwhile: the next name
            made.pop()
            continue
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.EXDEV):
                made.pop()
                raise
        try:
            _copy(folder, item.leaf, candidate)
            return candidate
        except FileExistsError:
            made.pop()
            continue
    raise OSError(errno.EEXIST, f"{item.leaf}.bak and the next names are taken")


def _remove_backups(made: Sequence[tuple[_Folder, str]]) -> None:
    for folder, name in made:
        with suppress(OSError):
            os.unlink(name, dir_fd=folder.fd)


def _copy(folder: _Folder, leaf: str, candidate: str) -> None:
    """``leaf`` copied to the new file ``candidate`` (the same bytes, mode and times) and made durable."""
    source = _open_at(folder, leaf, _OPEN_READ)
    try:
        info = os.fstat(source)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        target = _open_at(folder, candidate, _CREATE, 0o600)
        try:
            while chunk := os.read(source, _CHUNK):
                _write_fully(target, chunk)
            os.fchmod(target, stat.S_IMODE(info.st_mode))
            os.utime(target, ns=(info.st_atime_ns, info.st_mtime_ns))
            # durable before the file it keeps is replaced: the folder's fsync after the replacement made the name
            # durable, not the bytes, so a power loss could leave an empty .bak beside the new file
            os.fsync(target)
        finally:
            os.close(target)
    finally:
        os.close(source)


def _create_exactly(out: _Output, folder: _Folder, name: str, mode: int) -> int:
    """A new, empty file ``name`` with exactly ``mode`` (the umask does not apply); FileExistsError if taken.

    Created with ``mode`` itself, which the umask, a default ACL of the folder or the file system can only narrow:
    the file is never more open than ``mode``, at no moment. Where nothing narrowed it (umask 022 and modes 0600,
    0644, 0700: nearly always), it has its mode: no ``fchmod``, one system call less per file (51,007 for ``-t all``
    of 10,000 accounts). Whether something narrows it is found on the first file of each mode in each folder, by
    ``fstat``: not from the umask alone, since a default ACL on the folder replaces the umask (``other::---`` makes
    a 0644 file 0640), and some file systems choose modes of their own. Found narrowed, that file and every later
    one of that mode in that folder get ``fchmod(mode)``, as every file did before. A mode with bits beyond 0777
    (``--update`` of a setgid file) always gets the ``fchmod``."""
    exact = out.exact.get((folder.fd, mode))
    fd = os.open(name, _CREATE, mode & 0o777, dir_fd=folder.fd)
    try:
        if exact is None:
            exact = mode <= 0o777 and stat.S_IMODE(os.fstat(fd).st_mode) == mode
            out.exact[folder.fd, mode] = exact
        if not exact:
            os.fchmod(fd, mode)
    except BaseException:
        os.close(fd)
        os.unlink(name, dir_fd=folder.fd)
        raise
    return fd


def _write_fully(fd: int, content: bytes) -> None:
    view = memoryview(content)
    while view:
        view = view[os.write(fd, view) :]


class _Temporary(NamedTuple):
    folder: _Folder
    name: str  # in a staging folder: the file's own name
    item: _Planned
    staged: bool = False
    #: a new file's (st_dev, st_ino), taken from its descriptor once it is created (not in a staging folder): what
    #: _create() puts under its final name, which a failure later removes only while it is still this file
    identity: tuple[int, int] | None = None


def _write_temporaries(
    out: _Output, plan: Sequence[_Planned], staged: Mapping[str, str], *, sync_each: bool
) -> list[_Temporary]:
    """Step 1 (and 2 when ``sync_each``): every file as a temporary, or under its own name in its staging folder;
    on any failure, every file written is removed."""
    written: list[_Temporary] = []
    pool = None
    start = 0  # the batch being written: written[start:]
    if sync_each and len(plan) > _SYNC_THREADS:
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(max_workers=_SYNC_THREADS)
    try:
        for start in range(0, len(plan), _BATCH):
            batch: list[tuple[int, str]] = []
            try:
                for item in plan[start : start + _BATCH]:
                    in_new_folder = _top(item.folder) in staged
                    folder = out.folder(_where(item, staged) if in_new_folder else item.folder, item.file.name)
                    fd = _guarded(item.label, _create_listed, out, written, folder, item, in_new_folder)
                    batch.append((fd, item.label))
                    if not item.existing and not in_new_folder:
                        written[-1] = written[-1]._replace(identity=_identity(_guarded(item.label, os.fstat, fd)))
                    if item.kept is not None:
                        _guarded(item.label, _keep_attributes, fd, folder, item)
                    _guarded(item.label, _write_fully, fd, item.file.content)
                if sync_each:
                    _sync(batch, pool)
            finally:
                for fd, _label in batch:
                    os.close(fd)
    except BaseException:

        def undo() -> None:
            _close_strays([(temporary.folder, temporary.name) for temporary in written[start:]])  # (only this batch's)
            _remove(out, written)

        held_whole(undo)  # a second Ctrl-C would leave the temporaries not yet removed
        raise
    finally:
        if pool is not None:
            pool.shutdown()
    return written


def _keep_attributes(fd: int, folder: _Folder, item: _Planned) -> None:
    """--update replaces a file "in place": its owner and group (root updating a user's folder, files a web server
    reads through its group) and its extended attributes (an access control list) stay, as ``lint --fix`` keeps
    them (mailconf.replace). One that cannot be kept (another user's file) is refused: nothing written."""
    from .replace import NotKept, keep_extended_attributes, keep_owner

    assert item.kept is not None
    try:
        keep_owner(fd, item.kept)
        with _open_existing(folder, item.leaf, item.kept) as source:
            keep_extended_attributes(source, fd)
    except NotKept as exc:
        raise OSError(errno.EPERM, str(exc)) from None


def _close_strays(created: Sequence[tuple[_Folder, str]]) -> None:
    """After a failure or a signal: close every descriptor still open on one of the files ``created`` (folder, name:
    files this run created). A Ctrl-C or SIGTERM that came once a file was opened and before its descriptor was kept
    (os.open's, _create_exactly's return), or as a batch was closed, left it open (errors.close_left_open)."""
    files: set[tuple[int, int]] = set()
    for folder, name in created:
        with suppress(OSError):
            info = os.stat(name, dir_fd=folder.fd, follow_symlinks=False)
            files.add((info.st_dev, info.st_ino))
    close_left_open(files)


def _create_listed(
    out: _Output, written: list[_Temporary], folder: _Folder, item: _Planned, in_new_folder: bool
) -> int:
    """``item``'s file, created empty with its mode and added to ``written`` BEFORE it is created: a Ctrl-C or
    SIGTERM that came once it existed and before it was added (a signal handler runs between any two bytecodes)
    left it behind, unknown to the cleanup. Added first, it costs nothing: a name added but not created yet is
    not there to remove. A name another program holds is never added: one its folder listed is skipped, one
    O_EXCL finds taken is taken out again at once.

    In a new folder's staging folder, the file's own name (nobody else's folder); elsewhere a temporary next to
    it, ``.NAME.mailconf-PID.tmp``, or a random one where that is taken (left by a run that was killed, or
    planted: not touched)."""
    name = item.leaf if in_new_folder else _temporary_name(item.leaf, str(os.getpid()))
    while True:
        if in_new_folder or name not in folder.names:
            written.append(_Temporary(folder, name, item, in_new_folder))
            try:
                return _create_exactly(out, folder, name, item.mode)
            except FileExistsError:
                written.pop()  # another program's (created since its folder was listed): never removed
                if in_new_folder:
                    raise
        import secrets

        name = _temporary_name(item.leaf, secrets.token_hex(6))


def _temporary_name(leaf: str, tag: str) -> str:
    """``.LEAF.mailconf-TAG.tmp``, LEAF cut to fit ``NAME_MAX`` bytes: a name the file system takes (up to 255
    bytes, an address of autodiscover's) must not fail for its longer temporary. Two cut names that meet are
    one taken name, which gets a random TAG like any other."""
    return temporary_name(leaf, f".mailconf-{tag}.tmp")


def _remove(out: _Output, temporaries: Sequence[_Temporary]) -> None:
    for temporary in temporaries:
        with suppress(OSError):
            os.unlink(temporary.name, dir_fd=temporary.folder.fd)


def _sync(batch: Sequence[tuple[int, str]], pool: ThreadPoolExecutor | None) -> None:
    """fsync a batch of open files; with a pool, their waits for the disk overlap in a few threads."""

    def run(part: Sequence[tuple[int, str]]) -> None:
        for fd, label in part:
            _guarded(label, os.fsync, fd)

    if pool is None:
        run(batch)
        return
    import concurrent.futures

    futures: list[concurrent.futures.Future[None]] = []
    try:
        # The pool starts its threads here, with Ctrl-C and SIGTERM blocked, a mask they keep: they live until the
        # write ends, and the system hands a signal to a thread that does not block it, so write_all's cleanup after a
        # failure (signals held off in the main thread only) was cut short through them, leaving temporaries behind
        with signals_held():
            futures += [pool.submit(run, batch[i::_SYNC_THREADS]) for i in range(_SYNC_THREADS)]
        for future in futures:
            future.result()
    except BaseException:
        # A signal as this thread waits, or one part's error: the other threads may still fsync the batch, which the
        # caller closes next. A descriptor closed under a thread's fsync is EBADF, or the file the next open got
        # its number: closed only once every thread is done with it
        held_whole(lambda: concurrent.futures.wait(futures))
        raise


def _move_into_place(
    out: _Output,
    temporaries: Sequence[_Temporary],
    staged: Mapping[str, str],
    prestaged: Mapping[str, str],
    backups: Sequence[tuple[_Folder, str]],
) -> None:
    """Step 3. New folders first, each renamed into place whole; then new files, with link(); neither ever
    replaces: should another program have created one meanwhile, or a Ctrl-C or SIGTERM come, what this run
    created is removed again, only while it is still there (see _take_back, _remove_placed), and nothing is
    replaced. Then the replacements, with Ctrl-C and SIGTERM held off: once a file is
    replaced its old content is gone (but for --force's .bak), so a signal is acted on once every file is in
    place, never half-way (which left the temporaries of the rest behind)."""
    created: list[_Temporary] = []
    placed: list[tuple[str, str, list[_Listed]]] = []  # the new folders renamed into place: top, staging name, files
    root = out.folder("", "").fd
    with ExitStack() as replacing:
        try:
            for top, name in [*prestaged.items(), *staged.items()]:
                # listed, renamed and recorded as one step: a signal between them left it in place (one per folder:
                # a few per render); no descriptor of the listing is left open by one either
                with signals_held():
                    listed = _listing(root, name)
                    _rename_new_folder(out, name, top)
                    placed.append((top, name, listed))
            for temporary in temporaries:
                if not temporary.item.existing and not temporary.staged:
                    _create(temporary)
                    created.append(temporary)
            replacing.enter_context(signals_held())  # in the try: a signal until it holds them undoes the above
            _replace(out, temporaries)
        except _PartlyReplaced:
            raise  # files replaced for good: the files created and the .bak copies stay with them
        except BaseException:

            def undo() -> None:
                _undo_moves(out, temporaries, staged, created=created, placed=placed)
                _remove_backups(backups)  # no file replaced (or each one exchanged back): their old content is there

            held_whole(undo)
            raise


class _ChangedMeanwhile(OSError):
    """The file about to be replaced is not the one compared: another program wrote it since (_replace)."""


class _PartlyReplaced(OutputError):
    """A file could not be replaced after others were replaced for good (a file system without RENAME_EXCHANGE)."""


def _replace(out: _Output, temporaries: Sequence[_Temporary]) -> None:
    """The existing files replaced by their temporaries, each by exchanging the two names (``renameat2`` with
    ``RENAME_EXCHANGE``): until every file is replaced, each old file is still there, under its temporary's name.
    So a file that cannot be replaced after others were (immutable or append-only: EPERM; a mount point: EBUSY)
    changes none: those exchanged are exchanged back, and the error is raised for the caller to remove what this
    run created, as before any replacement. With ``os.replace()`` instead, the files replaced before it were
    replaced without a word (their old content gone: a hand edit lost while ``--update`` exits 2 and names no
    file). Once all are in place, the old files are removed (a ``.bak`` link of ``--force`` keeps its own).

    So is a file that is not the one compared (``seen``: another file, or the same one written since): an editor
    saved it while the temporaries were written and flushed, the long step. Exchanged out, its content went with
    the old file's, removed, while ``--force`` said the old content was kept in the ``.bak`` made before the save.

    Where the file system cannot exchange, ``os.replace()``: a failure after one of those is
    :class:`_PartlyReplaced`, naming them (they stay replaced: said, never silent); the temporaries are removed."""
    exchanged: list[_Temporary] = []
    final: list[str] = []  # the files replaced with os.replace(): their old content is gone, they stay replaced
    for index, temporary in enumerate(temporaries):
        if not temporary.item.existing:
            continue
        fd, leaf = temporary.folder.fd, temporary.item.leaf
        try:
            if _renameat2(fd, temporary.name, leaf, flags=_RENAME_EXCHANGE):
                exchanged.append(temporary)
                _refuse_changed(os.stat(temporary.name, dir_fd=fd, follow_symlinks=False), temporary.item)
                continue
            _refuse_changed(os.stat(leaf, dir_fd=fd, follow_symlinks=False), temporary.item)  # a look, then replaced
            os.replace(temporary.name, leaf, src_dir_fd=fd, dst_dir_fd=fd)
            final.append(temporary.item.label)
        except OSError as exc:
            changed = isinstance(exc, _ChangedMeanwhile)
            message = (
                f"refusing to replace {temporary.item.label}: another program changed it while mailconf was writing"
                if changed
                else f"cannot write {temporary.item.label}: {exc.strerror or type(exc).__name__}"
            )
            for done in reversed(exchanged):  # the old files back under their names, the temporaries under theirs
                with suppress(OSError):
                    _renameat2(done.folder.fd, done.name, done.item.leaf, flags=_RENAME_EXCHANGE)
            if not final:
                raise OutputError(message + ("; nothing written, run again" if changed else "")) from None
            # the exchanged ones' temporaries too (their new content is back under the temporaries' names)
            _remove(out, [*exchanged, *temporaries[index:]])  # Ctrl-C and SIGTERM are held off already
            raise _PartlyReplaced(f"{message} ({', '.join(final)} replaced already)") from None
    _remove(out, exchanged)  # the old files, now under the temporaries' names


def _refuse_changed(info: os.stat_result, item: _Planned) -> None:
    """Raise unless ``info`` (the file being replaced) is the file ``item`` compared."""
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))  # put there by another program
    if item.seen is not None and _seen(info) != item.seen:
        raise _ChangedMeanwhile(errno.EEXIST, "changed")


def _undo_moves(
    out: _Output,
    temporaries: Sequence[_Temporary],
    staged: Mapping[str, str],
    *,
    created: Sequence[_Temporary],
    placed: Sequence[tuple[str, str, Sequence[_Listed]]],
) -> None:
    """After a failed step 3: the files created removed, the temporaries and staging folders too, and the new
    folders placed already (``placed``: written here or by NewFolders) taken back."""
    new = [temporary for temporary in temporaries if not temporary.item.existing and not temporary.staged]
    # the one _create() was at too: placed already when the signal came after its link() and before it was recorded
    for done in new[: len(created) + 1]:
        _remove_placed(done)
    tops = {top for top, _name, _listed in placed}
    _remove(
        out, [temporary for temporary in temporaries if not temporary.staged or _top(temporary.item.folder) not in tops]
    )
    root = out.folder("", "").fd
    for top, _name, listed in placed:
        _take_back(root, top, listed)
    _unstage(out, staged, placed={name for _top, name, _listed in placed})


def _remove_placed(temporary: _Temporary) -> None:
    """Remove the file _create() put under ``temporary``'s final name, only while that name still holds it (its
    identity): a name link() refused, or another program took since (an editor saving: a new file renamed over
    it), holds another file, which stays.

    Not atomic: no system call removes a name only while it holds a given file (renaming it aside first would
    carry off whatever is there just the same), so a program that replaces it between the stat and the unlink
    loses its file. That window is two system calls wide, against the whole write before it, and opens only on
    a render that failed. Nor can an inode number tell a file that was removed and created anew apart from the
    one before, should it be given the same number back (ext4 reuses them): a replacement the usual way (renamed
    over it) always has another one, as it existed beside this run's file."""
    fd, leaf = temporary.folder.fd, temporary.item.leaf
    with suppress(OSError):
        if _identity(os.stat(leaf, dir_fd=fd, follow_symlinks=False)) == temporary.identity:
            os.unlink(leaf, dir_fd=fd)


def _identity(info: os.stat_result) -> tuple[int, int]:
    return info.st_dev, info.st_ino


class _Listed(NamedTuple):
    """One folder of a new folder as it was renamed into place: its place in it ("" for the new folder itself),
    its (st_dev, st_ino), and its files, each with its inode number as the folder's listing gives it."""

    folder: str
    identity: tuple[int, int]
    files: tuple[tuple[str, int], ...]


def _listing(root: int, name: str) -> list[_Listed]:
    """Every folder of the staging folder ``name`` (each before the folders in it) with its files, just before
    it is renamed into place: all of it is this run's (hidden, 0700, made by this run). The inode numbers are
    the listing's (``d_ino``, compared with a listing again by :func:`_take_back`, never with a stat's, which
    some file systems number otherwise): no stat per file, which for the 51,007 files of ``-t all`` would cost
    more than the listing. A render that succeeds pays for it too (one pass over each new folder's listing:
    about 1 µs a file), for a take-back that removes nothing another program put there. What cannot be listed
    is not: its files, never recorded, are left by a take-back."""
    found: list[_Listed] = []

    def walk(parent: int, leaf: str, where: str) -> None:
        fd = os.open(leaf, _OPEN_DIR, dir_fd=parent)
        try:
            folders: list[str] = []
            files: list[tuple[str, int]] = []
            with os.scandir(fd) as listing:
                for entry in listing:  # its kind and inode number as the listing gives them: no stat
                    if entry.is_dir(follow_symlinks=False):
                        folders.append(entry.name)
                    else:
                        files.append((entry.name, entry.inode()))
            found.append(_Listed(where, _identity(os.fstat(fd)), tuple(files)))
            for folder in folders:
                walk(fd, folder, f"{where}/{folder}" if where else folder)
        finally:
            os.close(fd)

    with suppress(OSError):
        walk(root, name, "")
    return found


def _take_back(root: int, top: str, listed: Sequence[_Listed]) -> None:
    """A new folder placed in DIR already, undone: in each of its folders (the deepest first) that is still the
    one this run placed, each file removed only while its name still holds the file this run placed there (as
    the folder's listing gives it: another program may have replaced it, and its file stays), then the folder,
    when that leaves it empty; ``top`` last. Not renamed back to its hidden name and removed whole (its staging
    folder's removal, as before it was placed): once in place, another program may have written into it (a
    render into ``-o DIR/TOP`` takes that folder's lock, not DIR's), and all it wrote went with it, a render's
    files that it had said were written included. Never following a link: a folder replaced by one is left.

    Between the listing and an unlink another program may still replace a file, which is then removed (see
    _remove_placed): a window of a few system calls, only after a failure."""
    for folder in reversed(listed):  # the folders in a folder before it
        path = f"{top}/{folder.folder}" if folder.folder else top
        with suppress(OSError), _opened_inside(root, path) as fd:
            if _identity(os.fstat(fd)) != folder.identity:
                continue  # another program's folder under that name now: nothing in it is this run's
            with os.scandir(fd) as listing:
                now = {entry.name: entry.inode() for entry in listing}
            for leaf, inode in folder.files:
                if now.get(leaf) == inode:
                    with suppress(OSError):
                        os.unlink(leaf, dir_fd=fd)
            parent, _, leaf = path.rpartition("/")
            with _opened_inside(root, parent) as above:
                os.rmdir(leaf, dir_fd=above)  # refused while it holds anything (another program's)


@contextmanager
def _opened_inside(root: int, folder: str) -> Iterator[int]:
    """The folder ``folder`` of DIR (open as ``root``; "" is DIR), each part opened without following a link."""
    fd = os.dup(root)
    try:
        for part in folder.split("/") if folder else ():
            inner = os.open(part, _OPEN_DIR, dir_fd=fd)
            os.close(fd)
            fd = inner
        yield fd
    finally:
        os.close(fd)


def _create(temporary: _Temporary) -> None:
    """Put ``temporary`` under its final name, never replacing a file there: ``link()``, which refuses any name
    the file system holds as the same (``Work.muttrc`` for ``work.muttrc`` where names ignore case: vfat, macOS,
    casefold ext4), then the temporary's name removed. Where the file system has no hard links (vfat, some
    network and FUSE ones), renamed instead with ``renameat2(RENAME_NOREPLACE)``, which refuses the same way and
    as atomically. Only where the kernel or file system lacks that too: one more look, then ``rename()``."""
    fd, item = temporary.folder.fd, temporary.item
    taken = OutputError(
        f"refusing to replace {item.label}: another program created it while mailconf was writing; "
        "nothing written, run again"
    )
    try:
        os.link(temporary.name, item.leaf, src_dir_fd=fd, dst_dir_fd=fd, follow_symlinks=False)
    except FileExistsError:
        raise taken from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
            raise OutputError(f"cannot write {item.label}: {exc.strerror or type(exc).__name__}") from None
        try:
            if not _renameat2(fd, temporary.name, item.leaf):
                _look_then_rename(fd, temporary.name, item.leaf)
        except FileExistsError:
            raise taken from None
        except OSError as exc:
            raise OutputError(f"cannot write {item.label}: {exc.strerror or type(exc).__name__}") from None
        return
    with suppress(OSError):
        os.unlink(temporary.name, dir_fd=fd)


def _look_then_rename(fd: int, source: str, destination: str) -> None:
    """The last resort of a file system with neither hard links nor RENAME_NOREPLACE (an old kernel): rename()
    once a look finds ``destination`` free. Not atomic: a program that creates it between the look and the
    rename (the lock keeps other renders out, not other programs) has its file replaced; nothing better exists
    there. The look is a stat of the name, not a search of the folder's listing: the file system compares the
    name as it compares names (``Work.muttrc`` is found for ``work.muttrc`` where names ignore case)."""
    try:
        os.stat(destination, dir_fd=fd, follow_symlinks=False)
    except FileNotFoundError:
        os.rename(source, destination, src_dir_fd=fd, dst_dir_fd=fd)
        return
    raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST))


# --- new folders, staged ---------------------------------------------------------------------------------------


def _top(folder: str) -> str:
    """The folder directly in DIR that ``folder`` is in ("" for DIR itself)."""
    return folder.partition("/")[0]


def _where(item: _Planned, staged: Mapping[str, str]) -> str:
    """The folder ``item`` is written into now: its own, or the same place inside its top folder's staging folder."""
    top, slash, rest = item.folder.partition("/")
    name = staged.get(top) if top else None
    return item.folder if name is None else name + slash + rest


def _stage(out: _Output, plan: Sequence[_Planned]) -> dict[str, str]:
    """Each top folder of ``plan`` that does not exist yet -> the hidden folder made in DIR to write it in."""
    root = out.folder("", "")
    staged: dict[str, str] = {}
    try:
        for top in dict.fromkeys(_top(item.folder) for item in plan):
            if top and top not in root.names:
                with signals_held():  # made and recorded as one step: a signal between them would leave it behind
                    staged[top] = _guarded(f"{root.path}/{top}", _make_staging_folder, root, top)
    except BaseException:
        held_whole(lambda: _unstage(out, staged))
        raise
    return staged


def _make_staging_folder(root: _Folder, top: str) -> str:
    name = _temporary_name(top, str(os.getpid()))
    while True:
        try:
            os.mkdir(name, 0o700, dir_fd=root.fd)
            return name
        except FileExistsError:  # left by a run that was killed, or planted: not touched, another name
            import secrets

            name = _temporary_name(top, secrets.token_hex(6))


_RENAME_NOREPLACE = 1  # linux/fs.h
_RENAME_EXCHANGE = 2


def _rename_new_folder(out: _Output, name: str, top: str) -> None:
    """Rename the staging folder ``name`` to ``top`` in DIR, never replacing anything there, and only while it is a
    folder: a link (or a file) put in its place while the targets rendered is never renamed to a final name."""
    root = out.folder("", "")
    label = f"{root.path}/{top}"
    replaced = OutputError(
        f"refusing to write {label}: {root.path}/{name} was replaced while mailconf was writing; "
        "nothing written, run again"
    )
    if _not_a_folder(root.fd, name):
        raise replaced
    _rename_noreplace(out, name, top, label)
    if _not_a_folder(root.fd, top):  # replaced between the look and the rename: back under its hidden name
        with suppress(OSError):
            if not _renameat2(root.fd, top, name):
                os.rename(top, name, src_dir_fd=root.fd, dst_dir_fd=root.fd)
        raise replaced


def _not_a_folder(fd: int, name: str) -> bool:
    """Whether ``name`` is there and is not a folder (a link to one included); a name not there is the rename's
    to report."""
    try:
        return not stat.S_ISDIR(os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _rename_noreplace(out: _Output, name: str, top: str, label: str) -> None:
    root = out.folder("", "")
    try:
        if not _renameat2(root.fd, name, top):
            # no RENAME_NOREPLACE here: rename() never replaces a folder that holds anything, nor a file or a
            # link with a folder; one more look for the empty folder it would replace (the lock keeps renders out)
            if top in _names(root.fd):
                raise FileExistsError(errno.EEXIST, "exists")
            os.rename(name, top, src_dir_fd=root.fd, dst_dir_fd=root.fd)
    except (FileExistsError, IsADirectoryError, NotADirectoryError) as exc:
        raise OutputError(
            f"refusing to replace {label}: another program created it while mailconf was writing; "
            "nothing written, run again"
        ) from exc
    except OSError as exc:
        if exc.errno == errno.ENOTEMPTY:
            raise OutputError(
                f"refusing to replace {label}: another program created it while mailconf was writing; "
                "nothing written, run again"
            ) from None
        raise OutputError(f"cannot write {label}: {exc.strerror or type(exc).__name__}") from None


_renameat2_function: Callable[..., int] | None = None


def _renameat2(fd: int, source: str, destination: str, *, flags: int = _RENAME_NOREPLACE) -> bool:
    """renameat2() with ``flags`` (RENAME_NOREPLACE unless told; Linux; Python has no wrapper): True when done,
    False when unavailable here; an OSError otherwise (FileExistsError when ``destination`` exists)."""
    import ctypes

    global _renameat2_function  # noqa: PLW0603 - looked up once per process
    if _renameat2_function is None:
        try:
            _renameat2_function = ctypes.CDLL(None, use_errno=True).renameat2
        except (AttributeError, OSError):  # glibc < 2.28, musl < 1.2.2: rename() instead
            return False
    if _renameat2_function(fd, os.fsencode(source), fd, os.fsencode(destination), flags) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):  # kernel or file system lacks it
        return False
    raise OSError(code, os.strerror(code))


def _unstage(out: _Output, staged: Mapping[str, str], placed: Collection[str] = ()) -> None:
    """Remove the staging folders not renamed into place (those ``placed`` are _take_back's), each whole: this run
    made it (hidden, 0700, under DIR's lock), so all it holds is this run's, also a file or folder made just
    before a Ctrl-C or SIGTERM and not recorded yet."""
    out.close_unkept()
    root = out.folder("", "").fd
    for name in staged.values():
        if name not in placed:
            with suppress(OSError):
                _remove_tree(root, name)


class NewFolders:
    """Folders directly in DIR that do not exist yet, each written by the process that renders its files.

    ``render --jobs`` with several targets, one folder each (``DIR/mutt``, ``DIR/getmail``...):
    :meth:`prepare`, in the process that forks the workers and before it does, makes for each
    folder missing in DIR the hidden staging folder write_all would make
    (``DIR/.NAME.mailconf-PID.tmp``); :meth:`write`, in whichever process rendered a target, writes
    its files there, each created once under its own name with its mode, as write_all does. So a
    target's bytes are never pickled back to this process, and the processes write at once
    instead of this one writing everything after the rendering. :func:`write_all` (given this)
    then takes the folders that are still new, makes them durable with everything else it
    writes (``syncfs``) and renames them into place, never replacing anything; a folder another
    program created meanwhile is read back from its staging folder and written like any file
    (compared first, refused if different). Until write_all has placed them, leaving the ``with``
    block removes every staging folder and the DIR it created (an error, --strict, Ctrl-C,
    SIGTERM): nothing is left behind. A target that cannot be written there (a full disk) goes to
    write_all instead, whose error then comes where and as it comes without workers. A killed run
    may leave a hidden staging folder, as write_all.

    Only where ``syncfs`` is available (Linux): elsewhere :meth:`prepare` does nothing and every file
    goes through write_all. Making these folders durable is one ``syncfs`` whatever their number of
    files, also below write_all's 256.
    """

    def __init__(self, root: Path) -> None:
        self._root = root
        self._out: _Output | None = None
        self.staged: dict[str, str] = {}  # folder name in DIR -> its staging folder's name in DIR
        self._claimed: dict[str, str] = {}  # the part of staged that write_all renames into place
        self._flushing: threading.Thread | None = None  # done()'s early syncfs

    def __enter__(self) -> NewFolders:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.discard()

    def prepare(self, tops: Sequence[str]) -> None:
        """A staging folder for each of ``tops`` missing in DIR (DIR is created when missing). Where that fails
        (DIR is a file, cannot be written...), nothing is staged: write_all says what is wrong once every target
        is rendered, as without workers."""
        if not _syncfs_available() or self._out is not None:
            return
        out = _Output(self._root)
        self._out = out
        try:
            out.open_root(create=True)
            out.refuse_append_only([""])  # no staging folder it could not remove: write_all says why
            root = out.folder("", "")
            present = _guarded(root.path, _names, root.fd)
            for top in tops:
                _split(top, self._root)
                if top not in present:
                    with signals_held():  # made and recorded as one step: a signal between them would leave it
                        self.staged[top] = _guarded(f"{root.path}/{top}", _make_staging_folder, root, top)
        except OutputError:
            self.discard()

    def write(self, top: str, files: Sequence[RenderedFile]) -> bool:
        """Write ``files`` (named relative to ``top``) into ``top``'s staging folder; False (nothing written) when
        ``top`` has none or there are no files. In a worker or in this process; never replaces a name.

        A file that cannot be written (a full disk, a file too large) is no error here: what was written is
        removed and False returned, so the files go to write_all, which fails as it does without workers: after
        the warnings, after --strict and an earlier target's error, with the same message and exit code."""
        name = self.staged.get(top)
        out = self._out
        if name is None or out is None or not files:
            return False
        from . import _workers

        _workers.writing()  # a worker that dies from here on is said to have died writing, not rendering
        try:
            self._write_files(out, name, top, files)
        except OutputError:
            with suppress(OSError):
                _remove_inside(out.folder("", "").fd, name)  # the (empty) folder stays: write_all takes another
            return False
        return True

    def _write_files(self, out: _Output, name: str, top: str, files: Sequence[RenderedFile]) -> None:
        base = out.folder("", "").path
        for file in files:
            folder_name, leaf = _split(f"{top}/{file.name}", self._root)
            label = f"{base}/{folder_name}/{leaf}"
            inside = name + folder_name[len(top) :]  # the same place in the staging folder
            folder = out.folder(inside, label, create=True)
            try:
                fd = _guarded(label, _create_exactly, out, folder, leaf, file.mode)
            except BaseException:  # a signal as the create returned: its descriptor is open, and not ours yet
                held_whole(partial(_close_strays, [(folder, leaf)]))
                raise
            try:
                _guarded(label, _write_fully, fd, file.content)
            finally:
                os.close(fd)

    def claim(self, out: _Output, written: Sequence[str]) -> tuple[dict[str, str], list[RenderedFile]]:
        """For write_all, under its lock on ``out`` (-o as it names it now): (folder -> staging folder) for the
        folders that hold files and are still missing in DIR; and the files of those another program created
        meanwhile, or of every folder when -o is not the folder prepare() opened (moved away or removed, a link to
        it pointed elsewhere: written where -o names now, as without workers), read back (their staging folders
        are then removed on leaving)."""
        present = out.folder("", "").names
        tops = dict.fromkeys(_top(name.rpartition("/")[0]) for name in written)
        prepared = self._out
        same = prepared is not None and _same_folder(out.folder("", "").fd, prepared.folder("", "").fd)
        claimed = {top: self.staged[top] for top in tops if same and top in self.staged and top not in present}
        self._claimed = claimed
        if prepared is not None and any(top in self.staged and top not in claimed for top in tops):
            prepared.list_root()
        reclaimed = [
            self._read_back(name)
            for name in written
            if (top := _top(name.rpartition("/")[0])) in self.staged and top not in claimed
        ]
        return claimed, reclaimed

    def _read_back(self, name: str) -> RenderedFile:
        folder_name, leaf = _split(name, self._root)
        top = _top(folder_name)
        assert self._out is not None  # prepare() staged the folder
        folder = self._out.folder(self.staged[top] + folder_name[len(top) :], name)
        try:
            if folder.fd < 0:  # its folder is not there (never an fd -1 to stat: "Bad file descriptor")
                raise FileNotFoundError(errno.ENOENT, "removed")
            info = os.stat(leaf, dir_fd=folder.fd, follow_symlinks=False)
        except FileNotFoundError:
            raise OutputError(
                f"cannot write {self._out.base}/{name}: {self._out.base}/{self.staged[top]} was removed while "
                "mailconf was rendering; nothing written, run again"
            ) from None
        except OSError as exc:
            raise OutputError(f"cannot write {folder.path}/{leaf}: {exc.strerror or type(exc).__name__}") from None
        return RenderedFile(name, _read_small(folder, leaf, info), stat.S_IMODE(info.st_mode))

    def done(self) -> None:
        """Every target is rendered and written (the workers have ended): the disk is set to work on the staged
        folders at once, by a ``syncfs`` in a thread, while this process gathers the results, prints the warnings
        and plans the rest. write_all's own ``syncfs`` still comes before anything is renamed, and makes it all
        durable; this one only has it start earlier, so that the one on the critical path finds little left
        (``-t all`` of 10,000 accounts on a disk: 0.1-0.2 s of waiting moved off it). Only that: where there is no
        room for one more thread or descriptor, nothing is started, and the render goes on as without it."""
        out = self._out
        if out is None or not self.staged or _syncfs is None or self._flushing is not None:
            return
        import threading

        syncfs = _syncfs

        def flush(fd: int) -> None:
            try:
                syncfs(fd)  # an error is write_all's syncfs's to report
            finally:
                os.close(fd)

        try:
            # Its own descriptor, which nothing closes under the thread, duplicated in the block: a signal as os.dup()
            # returned left it open. Started with Ctrl-C and SIGTERM blocked, a mask it keeps (a thread inherits its
            # creator's): the system hands a signal to a thread that does not block it, so while this one lived, every
            # signals_held() of the main thread (write_all's cleanup after a failure, discard()) let the signal through
            # it, acted on at once. Recorded in the block, and before it starts: a signal held off meanwhile is acted
            # on as it is left, and discard() joins it. Before: where another thread of the process does not block the
            # signal (a program calling render, pytest), Python acts on it in this thread at once, even inside the block
            with signals_held():
                fd = os.dup(out.folder("", "").fd)
                thread = threading.Thread(target=flush, args=(fd,), name="mailconf-syncfs", daemon=True)
                self._flushing = thread
                thread.start()
        except OSError:  # no room for one more descriptor: nothing started
            return
        except RuntimeError:  # "can't start new thread" (ulimit -u, a pids limit): discard() must not join it
            self._flushing = None
            os.close(fd)

    def placed(self) -> None:
        """write_all has renamed every claimed folder into place: nothing of them is removed on leaving."""
        self.staged = {top: name for top, name in self.staged.items() if top not in self._claimed}
        if self._out is not None:
            self._out.keep_made()

    def discard(self) -> None:
        """Remove every staging folder still there (with all it holds) and the DIR prepare() created.

        Ctrl-C and SIGTERM are held off meanwhile (removing the 51,007 files of ``-t all`` takes a while): a
        second Ctrl-C must not leave half the staging folders behind. One that came is acted on once all is
        removed. So is one that comes while done()'s syncfs is waited for (a slow disk): it would leave them all."""
        with signals_held():
            flushing, self._flushing = self._flushing, None
            if flushing is not None:  # no thread outlives the block (a later render in this process may fork)
                with suppress(RuntimeError):  # never started: start() itself was cut short by a signal
                    flushing.join()
            out, self._out = self._out, None
            if out is not None:
                self._remove(out)

    def _remove(self, out: _Output) -> None:
        try:
            out.close_unkept()
            if self.staged:  # DIR was opened (prepare() may have failed before)
                root = out.folder("", "").fd
                for name in self.staged.values():
                    with suppress(OSError):
                        _remove_tree(root, name)
            self.staged = {}
            out.remove_made()
        finally:
            out.close()


def _remove_tree(parent: int, name: str) -> None:
    """Remove folder ``name`` in ``parent`` and all it holds, never following a link (each folder opened by
    descriptor with O_NOFOLLOW: a link inside is removed as the link it is)."""
    _remove_inside(parent, name)
    os.rmdir(name, dir_fd=parent)


def _remove_inside(parent: int, name: str) -> None:
    """Remove all folder ``name`` in ``parent`` holds (as _remove_tree), leaving it empty."""
    fd = os.open(name, _OPEN_DIR, dir_fd=parent)
    try:
        with os.scandir(fd) as entries:
            for entry in list(entries):
                if entry.is_dir(follow_symlinks=False):
                    _remove_tree(fd, entry.name)
                else:
                    os.unlink(entry.name, dir_fd=fd)
    finally:
        os.close(fd)


def _sync_directory(fd: int) -> None:
    """Make the moves durable. Some file systems cannot fsync a directory; that is not an error."""
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise


# --- syncfs -------------------------------------------------------------------------------------------------

_syncfs: Callable[[int], int] | None = None


def _syncfs_available() -> bool:
    """Whether libc has syncfs (Linux): Python has no wrapper, so ctypes."""
    global _syncfs  # noqa: PLW0603 - looked up once per process
    if _syncfs is None and sys.platform.startswith("linux"):
        import ctypes

        try:
            function = ctypes.CDLL(None, use_errno=True).syncfs
        except (OSError, AttributeError):
            return False
        function.argtypes = [ctypes.c_int]
        function.restype = ctypes.c_int
        _syncfs = function
    return _syncfs is not None


def _sync_file_systems(out: _Output, temporaries: Sequence[_Temporary]) -> None:
    """One syncfs per file system the files are on (a folder inside -o may be another mount)."""
    import ctypes

    assert _syncfs is not None
    seen: set[int] = {os.fstat(out.folder("", "").fd).st_dev}
    if _syncfs(out.folder("", "").fd) != 0:  # DIR's own file system: where new folders are renamed
        code = ctypes.get_errno()
        raise OutputError(f"cannot write {out.folder('', '').path}: {os.strerror(code)}")
    for folder in dict.fromkeys(temporary.folder for temporary in temporaries):
        device = os.fstat(folder.fd).st_dev
        if device in seen:
            continue
        seen.add(device)
        if _syncfs(folder.fd) != 0:
            code = ctypes.get_errno()
            raise OutputError(f"cannot write {folder.path}: {os.strerror(code)}")
