"""Replacing a file whole, as ``lint --fix``, ``lint --write-baseline`` and ``--output-file`` do: a temporary beside
it, renamed over it, so a reader sees the old file or the new one, never a part.

What the user set on a file they had stays: its mode, its owner and group (root fixing a user's file must not
make it root's) and its extended attributes (an access control list, ``user.*`` notes); a file they made
read-only is not replaced (``rename()`` asks only the folder). The bytes are on disk before the rename, so a
crash leaves one whole file; a temporary never stays beside it, even after Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from .errors import held_whole

#: the mode of a file that did not exist (a new baseline)
NEW_MODE = 0o644


class Refused(Exception):
    """The file is not replaced, nothing was written; ``str()`` says why."""


class ReadOnly(Refused):
    """The file's mode says its owner does not want it written."""


class NotKept(Refused):
    """The new file cannot be given the old one's owner and group (another user's file), or an extended attribute."""


def replace(target: Path, content: bytes, kept: os.stat_result | None) -> None:
    """Replace ``target`` (no symbolic link: the caller resolves it) with ``content``; ``kept`` is the status of the
    file there, None when there is none. OSError when it cannot be written (nothing written)."""
    # access() answers yes to root for any file: a file with no write permission for anyone (chmod a-w) is one its
    # owner made read-only, whoever runs mailconf (a sysadmin, as root, included)
    if kept is not None and (not os.access(target, os.W_OK) or not kept.st_mode & 0o222):
        raise ReadOnly("is read-only")
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    placed = False
    try:
        with os.fdopen(handle, "wb") as stream:
            if kept is not None:
                _keep_owner(stream.fileno(), kept)
                _keep_extended_attributes(target, stream.fileno())
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, stat.S_IMODE(kept.st_mode) if kept is not None else NEW_MODE)
        os.replace(temporary, target)
        placed = True
    finally:
        if not placed:  # also after Ctrl-C or SIGTERM: no half-written temporary stays beside the file
            held_whole(lambda: Path(temporary).unlink(missing_ok=True))  # a second one is acted on once it is removed


def _keep_owner(fd: int, kept: os.stat_result) -> None:
    made = os.fstat(fd)
    if (made.st_uid, made.st_gid) == (kept.st_uid, kept.st_gid):
        return
    try:
        os.fchown(fd, kept.st_uid, kept.st_gid)
    except PermissionError:  # another user's file, in a folder this user may write
        raise NotKept(f"cannot keep its owner and group ({kept.st_uid}:{kept.st_gid})") from None


def _keep_extended_attributes(target: Path, fd: int) -> None:
    """Copy the file's extended attributes: a POSIX access control list (``system.posix_acl_access``) that lets a
    colleague edit it, ``user.*`` attributes. ``security.*`` (an SELinux label) is the system's to set: the new file
    has its folder's, as any file an editor saves there."""
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
