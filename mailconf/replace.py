"""Replacing a file whole, as ``lint --fix``, ``lint --write-baseline`` and ``--output-file`` do: a temporary beside
it, renamed over it, so a reader sees the old file or the new one, never a part.

What the user set on a file they had stays: its mode, its owner and group (root fixing a user's file must not
make it root's) and its extended attributes (an access control list, ``user.*`` notes); a file they made
read-only is not replaced (``rename()`` asks only the folder). The bytes are on disk before the rename, so a
crash leaves one whole file; a temporary never stays beside it, even after Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import errno
import os
import stat
import time
from contextlib import suppress
from pathlib import Path

from .errors import close_left_open, held_whole, signals_held

#: the mode of a file that did not exist (a new baseline)
NEW_MODE = 0o644

#: The most bytes one file name may have: Linux's NAME_MAX, the limit of ext4, XFS, btrfs and tmpfs (APFS and
#: NTFS count 255 characters). A target that names a file after a value refuses a longer one (autodiscover).
NAME_MAX = 255


class Refused(Exception):
    """The file is not replaced, nothing was written; ``str()`` says why."""


class ReadOnly(Refused):
    """The file's mode says its owner does not want it written."""


class NotKept(Refused):
    """The new file cannot be given the old one's owner and group (another user's file), or an extended attribute."""


def replace(target: Path, content: bytes, kept: os.stat_result | None) -> None:
    """Replace ``target`` (no symbolic link: the caller resolves it) with ``content``; ``kept`` is the status of the
    file there, None when there is none. OSError when it cannot be written (nothing written).

    A new file's missing folders are made first (mode 0700, as ``render -o`` makes them; ``ruff check -o`` makes
    them too: ``--output-file reports/lint.txt`` in a CI job's fresh checkout), and removed again when the file
    cannot be written."""
    made: list[Path] = []
    try:
        if kept is None:
            make_folders(target.parent, made)
        _replace(target, content, kept)
    except BaseException:
        if made:  # a new file in new folders (a fix replaces a file where it is: none made, nothing held here)
            held_whole(lambda: _remove_folders(made))
        raise


def _replace(target: Path, content: bytes, kept: os.stat_result | None) -> None:
    # access() answers yes to root for any file: a file with no write permission for anyone (chmod a-w) is one its
    # owner made read-only, whoever runs mailconf (a sysadmin, as root, included)
    if kept is not None and (not os.access(target, os.W_OK) or not kept.st_mode & 0o222):
        raise ReadOnly("is read-only")
    named: list[Path] = []  # the temporary, once named: before it is created
    placed = False
    try:
        handle = _create_temporary(target, named)
        temporary = named[-1]
        with os.fdopen(handle, "wb") as stream:
            if kept is not None:
                keep_owner(stream.fileno(), kept)
                keep_extended_attributes(target, stream.fileno())
            # on the descriptor, not the name: another user who may write the folder could put a symbolic link at
            # the temporary's name meanwhile, and root's chmod of the name made the file it names (/etc/shadow)
            # as readable as the account file
            os.fchmod(stream.fileno(), stat.S_IMODE(kept.st_mode) if kept is not None else NEW_MODE)
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
        placed = True
    finally:
        if not placed:  # also after Ctrl-C or SIGTERM: no half-written temporary stays beside the file
            held_whole(lambda: _discard(named))  # a second one is acted on once it is removed


def make_folders(directory: Path, made: list[Path]) -> None:
    """Create ``directory`` and its missing parents, each with mode 0700 (mkdir(parents=True) would use the umask for
    the parents); each folder created is added to ``made`` at once, outermost first."""
    missing: list[Path] = []
    while not exists(directory):
        missing.append(directory)
        directory = directory.parent
    for path in reversed(missing):
        with signals_held():  # made and recorded as one step: a signal between them would leave it behind
            try:
                path.mkdir(mode=0o700)
            except FileExistsError:  # made meanwhile by another program: not this run's
                continue
            made.append(path)


def exists(path: Path) -> bool:
    """Path.exists(), False for a name the system refuses: Python 3.11 raises ENAMETOOLONG (-o with a folder name
    over 255 bytes was exit 3); creating it then says why, in one line."""
    try:
        return path.exists()
    except OSError:
        return False


def _remove_folders(made: list[Path]) -> None:
    """Remove the folders :func:`make_folders` made, innermost first (each empty: nothing else was written)."""
    for path in reversed(made):
        with suppress(OSError):
            path.rmdir()


def _create_temporary(target: Path, named: list[Path]) -> int:
    """``.NAME.XXXXXXXX.tmp`` beside ``target``, created (mode 0600, never through a link, never replacing) and added
    to ``named`` BEFORE it is created: Python acts on a Ctrl-C or SIGTERM as a call returns, so one that came as the
    create returned (tempfile.mkstemp's, before) raised before its name was known, and the empty temporary stayed
    beside the file. A name added but not created is not there to remove; one taken is taken out again."""
    import secrets

    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    while True:
        named.append(target.with_name(temporary_name(target.name, f".{secrets.token_hex(4)}.tmp")))
        try:
            return os.open(named[-1], flags, 0o600)
        except FileExistsError:  # another program's: never removed
            named.pop()


def temporary_name(name: str, suffix: str) -> str:
    """``.NAME`` then ``suffix``, NAME cut to fit :data:`NAME_MAX` bytes, at a character: a file whose name the file
    system takes (up to 255 bytes) must not fail for its longer temporary (``--fix`` of a 242-byte name said "cannot be
    written (File name too long)"). A name that is not UTF-8 (its bytes as surrogates) is cut at a byte. Two cut
    names that meet are one taken name, which the caller tells apart by a random part of ``suffix``."""
    room = NAME_MAX - len(os.fsencode(suffix)) - 1  # the leading dot
    while len(os.fsencode(name)) > room:
        name = name[:-1]
    return f".{name}{suffix}"


def _discard(named: list[Path]) -> None:
    """Remove the temporary, after closing any descriptor still open on it (one whose open returned as the signal
    was acted on: errors.close_left_open)."""
    for temporary in named:
        with suppress(OSError):
            info = os.stat(temporary, follow_symlinks=False)
            close_left_open({(info.st_dev, info.st_ino)})
        temporary.unlink(missing_ok=True)


def keep_owner(fd: int, kept: os.stat_result) -> None:
    made = os.fstat(fd)
    if (made.st_uid, made.st_gid) == (kept.st_uid, kept.st_gid):
        return
    try:
        os.fchown(fd, kept.st_uid, kept.st_gid)
    except PermissionError:  # another user's file, in a folder this user may write
        raise NotKept(f"cannot keep its owner and group ({kept.st_uid}:{kept.st_gid})") from None


def keep_extended_attributes(target: Path | int, fd: int) -> None:
    """Copy the extended attributes of the file ``target`` (a path, or a descriptor open on it) to ``fd``: a POSIX
    access control list (``system.posix_acl_access``) that lets a colleague edit it, ``user.*`` attributes.
    ``security.*`` (an SELinux label) is the system's to set: the new file has its folder's, as any file an editor
    saves there."""
    try:
        names = os.listxattr(target)
    except OSError:  # a file system without them (or the platform: not Linux) has none to keep
        return
    for name in names:
        if name.startswith("security."):
            continue
        try:
            os.setxattr(fd, name, os.getxattr(target, name))
        except OSError as exc:
            raise NotKept(f"cannot keep its extended attribute {name} ({exc.strerror or type(exc).__name__})") from None


class NotLocked(Exception):
    """The lock was not had in time, or the file kept being replaced; ``str()`` says which."""


def locked_file(
    target: Path, wait: float, attempts: int, who: str, *, deadline: float | None = None
) -> tuple[int, os.stat_result]:
    """The file at ``target`` opened and exclusively locked, with its status; the lock is taken again on the new
    file when another run (``lint --fix``, ``lint --write-baseline``: ``who``) replaced it while this one waited
    (the old file's lock guards nothing).

    Bounded: ``wait`` seconds in all, ``attempts`` files (:class:`NotLocked` after either), so a program that holds
    the lock for good (``flock accounts.yaml sleep 1000``) or keeps replacing the file never makes ``who`` hang.
    ``deadline`` (``time.monotonic()``): a wait that began before this call (a caller that tries again) ends there;
    the message still names the whole ``wait``. A deadline already past still tries the lock once, without waiting.
    """
    if deadline is None:
        deadline = time.monotonic() + wait
    for _attempt in range(attempts):
        fd = os.open(target, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0))
        try:
            _flock_by(fd, deadline, wait)
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise OSError(errno.EINVAL, "not a regular file any more")
            if os.path.samestat(info, os.stat(target)):
                return fd, info
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
    raise NotLocked(f"replaced {attempts} times while {who} waited for its lock")


class _Expired(Exception):
    """Raised by the SIGALRM handler of :func:`_flock_by`: the deadline came while flock waited."""


def _flock_by(fd: int, deadline: float, wait: float) -> None:
    """An exclusive flock on ``fd``, waited for until ``deadline`` (``time.monotonic()``), else :class:`NotLocked`.

    flock blocks, so the kernel queues this run behind the holder, like any other waiter (``/proc/locks`` shows
    it); a real-time timer ends the wait: its signal's handler raises, which interrupts flock (Python retries a
    call a signal interrupted only when the handler returns), and a last flock that does not wait decides. Where no
    handler can be set (a thread other than the main one), it polls. A file system without flock is not locked: the
    check of the bytes still runs.
    """
    import fcntl
    import signal
    import threading

    waited = f"another program holds its lock (waited {wait:g} s)"
    if threading.current_thread() is not threading.main_thread():
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise NotLocked(waited) from None
                time.sleep(0.02)
            except OSError:
                return

    def expired(signum: int, frame: object) -> None:
        raise _Expired

    previous = signal.signal(signal.SIGALRM, expired)
    try:
        signal.setitimer(signal.ITIMER_REAL, max(deadline - time.monotonic(), 0.001))
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except _Expired:
        # the timer may have fired before flock was called (a deadline near or already past: a run descheduled for
        # a millisecond gave up a lock nobody held) or after it returned with the lock: one try without waiting
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise NotLocked(waited) from None
        except OSError:
            pass  # a file system without flock: the check still runs
    except OSError:
        pass  # a file system without flock: the check still runs
    finally:
        signal.signal(signal.SIGALRM, previous)
