"""Every line a command prints goes through here.

Lines on standard error are ``mailconf: ...`` and pass through
:func:`mailconf.errors.escape_controls`: account names, file names and server replies
can hold ESC, BEL or a newline, and must not recolour the terminal or forge
another finding line. Standard output carries reports (whose reporters escape
their own fields) and rendered files (bytes, written as they are).
"""

from __future__ import annotations

import codecs
import os
import re
import select
import sys
from typing import BinaryIO, TextIO

from ..errors import escape_controls, readable, unencodable

#: the error handler of every text written here in an encoding: what it has no byte for, escaped as a message
#: escapes a character (``\\u00e9``, never ``\\xe9``, a byte's spelling)
_ESCAPED = "mailconf-escaped"
codecs.register_error(_ESCAPED, unencodable)


def say(message: str) -> None:
    """One line on standard error: ``mailconf: message``; a byte of a file name that is not UTF-8 written ``\\xe9``,
    as the reports write it (:func:`~mailconf.errors.readable`; it was ``\\udce9``)."""
    _to_stderr(f"mailconf: {escape_controls(readable(message))}\n")


def finding(line: str) -> None:
    """A finding on standard error, as lint's text format writes it (``file:line:col: error MC002 ...``)."""
    _to_stderr(f"{escape_controls(readable(line))}\n")


def _to_stderr(text: str) -> None:
    """Standard error that cannot take the line (closed: ``2>&-``; a reader gone; a full disk) loses it, and the
    exit code stays the command's: the error raised here, raised again while main() reported the first one, ended
    every run with Python's exit 1 (a missing file, a gap warning under ``2>&-``)."""
    stream = sys.stderr
    if stream is None:  # closed when Python started
        return
    try:
        if hasattr(stream, "buffer"):  # in its encoding, a character it lacks escaped as :func:`out` escapes it
            stream.flush()
            _write_all(stream.buffer, text.encode(stream.encoding or "utf-8", _ESCAPED))
            stream.buffer.flush()
        else:  # a text-only stream (io.StringIO standing in for standard error)
            stream.write(text)
            stream.flush()
    except OSError:
        to_devnull(stream)  # what is still buffered, and every later line, goes nowhere instead of failing again


def report_to_stderr(text: str) -> None:
    """A report on standard error, when standard output carries a file (``lint --fix -``): as :func:`out` would
    write it (its reporter escaped every field that came from a file)."""
    _to_stderr(text)


def level(severity: str, message: str) -> None:
    """A warning or error line: ``mailconf: warning: message``."""
    say(f"{severity}: {message}")


def out(text: str) -> None:
    """Text for a person on standard output (a text report, ``explain``, a table; its reporter escaped every field
    that came from a file), in standard output's encoding (the locale's, or ``PYTHONIOENCODING``'s). A character
    that encoding has no byte for is written as a message escapes a character (``\\u201c``, ``\\u00e9``: not
    ``\\xe9``, which is a byte that was not UTF-8), as standard error writes it: a terminal or a file in ISO-8859-1
    or ASCII shows every finding, where the first curly quote or non-Latin name stopped the command (an internal
    error, exit 3)."""
    stream = _stdout()
    _out(stream, text, stream.encoding or "utf-8", _ESCAPED)


def out_document(text: str) -> None:
    """A document on standard output, in UTF-8 whatever the locale: an account file (``import``, ``discover``),
    JSON and SARIF (UTF-8 by their specifications, RFC 8259 section 8.1), a diff for ``patch`` to apply to a UTF-8
    file. Written in the locale's encoding, a character it lacks stopped the command, or would have been written
    as an escape that changes the document. (Only a lone surrogate, which no UTF-8 holds, is escaped: ``\\udce9``,
    a JSON escape of the same code point.)"""
    _out(_stdout(), text, "utf-8", _ESCAPED)


def _out(stream: TextIO, text: str, encoding: str, errors: str) -> None:
    try:
        stream.flush()
        if not hasattr(stream, "buffer"):  # a text-only stream (io.StringIO standing in for standard output)
            stream.write(text)
            stream.flush()
            return
        _write_all(stream.buffer, text.encode(encoding, errors))
        stream.buffer.flush()
    except OSError as exc:
        raise _unwritable(exc) from None


def out_bytes(data: bytes) -> None:
    """A rendered file on standard output, byte for byte."""
    stream = _stdout()
    try:
        stream.flush()
        _write_all(stream.buffer, data)
        stream.buffer.flush()
    except OSError as exc:
        raise _unwritable(exc) from None


def _stdout() -> TextIO:
    """Standard output, or exit 2 when there is none: started with it closed (``>&-``), Python sets it to None."""
    if sys.stdout is None:
        from ..errors import OutputError

        raise OutputError("standard output: cannot be written (it is closed)")
    return sys.stdout


def _write_all(stream: BinaryIO, data: bytes) -> None:
    """All of ``data``, or an OSError.

    With ``python -u`` or ``PYTHONUNBUFFERED`` (set in many container images) standard output is a raw
    file, and one write may take only part of the data and say so by its count alone: a pipe whose
    reader has gone (``| head -1``), a disk that filled up. Python's text layer drops the rest without
    an error, so the command would end as if all was written (exit 0 under ``| head -1``, a truncated
    ``> ~/.msmtprc``). Writing the rest makes the next write raise (EPIPE, ENOSPC).
    """
    view = memoryview(data)
    while view:
        written = stream.write(view)
        if written is None:  # a non-blocking standard output that is full: wait until it takes more
            select.select([], [stream], [])
            continue
        view = view[written:]


def _unwritable(exc: OSError) -> Exception:
    """Standard output that cannot take the text: a closed pipe (``| head -1``) stops the command quietly
    (:class:`~mailconf.errors.StdoutClosed`, exit 141); anything else (a full disk, ``> /dev/full``) is exit 2,
    one line.

    Either way what is still buffered goes to /dev/null, so the flush at exit cannot add a second error
    (or Python's "Exception ignored" message).
    """
    import errno

    from ..errors import OutputError, StdoutClosed

    to_devnull(sys.stdout)
    if exc.errno == errno.EPIPE:
        return StdoutClosed()
    return OutputError(f"standard output: cannot be written ({exc.strerror or type(exc).__name__})")


def to_devnull(stream: TextIO) -> None:
    """Point the file descriptor under ``stream`` at /dev/null: what is still buffered, and every later write,
    goes nowhere instead of failing again (at exit: no "Exception ignored" message). Nothing when it cannot."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def write_report(path: str, text: str) -> None:
    """``--output-file``: the whole report, replacing the file as ``lint --fix`` replaces one
    (:func:`mailconf.replace.replace`: durable before the rename; its mode, owner, group and extended attributes
    kept; a read-only file not replaced). A report is a file its user set up like any other (a shared folder's
    ACL, root's CI job writing into a user's checkout), so it is kept the same way.

    A symbolic link is followed (the file it names is replaced). What is not a regular file (``/dev/null``,
    a FIFO, a terminal), and ``/dev/stdout`` or any other path through ``/dev`` or ``/proc`` whatever it
    leads to (``>> log`` stays an append), is written to as it is, never replaced. Where that is a file a
    descriptor of this process already has open (``{ echo before; mailconf lint -O /dev/stdout F; } > log``,
    ``-O /dev/fd/3`` with ``3> log``), it is written through that descriptor, at the offset the shell shares with
    it: opened anew, the report went to the end of the file while the shell's next line, written at its own offset,
    overwrote the report's first bytes.
    """
    import os
    import stat
    from pathlib import Path

    from ..errors import OutputError
    from ..replace import ReadOnly, Refused, replace

    try:
        try:
            info: os.stat_result | None = os.stat(path)
        except FileNotFoundError:
            info = None
        if info is not None and (not stat.S_ISREG(info.st_mode) or _a_stream(path)):
            shared = _shared_descriptor(path, info) if stat.S_ISREG(info.st_mode) else None
            if shared is not None:
                data = memoryview(text.encode("utf-8", "surrogateescape"))
                while data:
                    data = data[os.write(shared, data) :]
                return
            with open(path, "a", encoding="utf-8", errors="surrogateescape") as handle:
                handle.write(text)
            return
        replace(Path(os.path.realpath(path)), text.encode("utf-8", "surrogateescape"), info)
    except Refused as refused:
        hint = "make it writable" if isinstance(refused, ReadOnly) else "write the report as its owner"
        raise OutputError(f"{path}: {refused}; nothing written, {hint}") from None
    except OSError as exc:
        raise OutputError(f"{path}: cannot write the report ({exc.strerror or type(exc).__name__})") from None


def _shared_descriptor(path: str, info: os.stat_result) -> int | None:
    """The descriptor to write the report through when the file ``info`` describes is one this process has open:
    the one ``path`` names (``/dev/fd/3``, ``/proc/self/fd/3``, ``/dev/stderr``: 2), else standard output or error
    (for fd 1 and 2 their Python stream is flushed first, so that what it holds comes before the report); None for
    another file."""
    import fcntl

    named = _named_descriptor(path)
    for fd in ((named,) if named is not None else ()) + (1, 2):
        try:
            own = os.fstat(fd)
            writable = fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE != os.O_RDONLY  # not `-O /dev/stdin < F`
        except (OSError, OverflowError):  # closed (>&-), or no descriptor (/dev/fd/99999999999999999999)
            continue
        if writable and (own.st_dev, own.st_ino) == (info.st_dev, info.st_ino):
            stream = {1: sys.stdout, 2: sys.stderr}.get(fd)
            if stream is not None:
                stream.flush()
            return fd
    return None


#: a path that names one of this process's descriptors: ``/dev/fd/N``, ``/proc/self/fd/N`` (``/dev/stdout`` is a
#: link to ``/proc/self/fd/1``)
_DESCRIPTOR = re.compile(r"/(?:dev/fd|proc/(?:self|thread-self|(?P<pid>\d+))/fd)/(?P<fd>\d+)")


def _named_descriptor(path: str) -> int | None:
    """The descriptor ``path`` names, or a symbolic link on the way to its file (see :data:`_DESCRIPTOR`); None."""
    for _ in range(40):  # the kernel's own limit on links followed
        absolute = os.path.normpath(os.path.abspath(path))
        named = _DESCRIPTOR.fullmatch(absolute)
        if named is not None:
            own = named["pid"] is None or int(named["pid"]) == os.getpid()
            return int(named["fd"]) if own else None
        try:
            path = os.path.join(os.path.dirname(absolute), os.readlink(absolute))
        except OSError:  # not a link (or not one that can be read): the file itself
            return None
    return None


def _a_stream(path: str) -> bool:
    """Whether ``path`` or a symbolic link on the way to its file is in ``/dev`` or ``/proc`` (``/dev/stdout``)."""
    import os

    for _ in range(40):  # the kernel's own limit on links followed
        absolute = os.path.abspath(path)
        if absolute.startswith(("/dev/", "/proc/")):
            return True
        if not os.path.islink(absolute):
            return False
        path = os.path.join(os.path.dirname(absolute), os.readlink(absolute))
    return False
