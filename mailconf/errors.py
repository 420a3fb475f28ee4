"""One exception root, and the one place that maps outcomes to exit codes.

Exit codes (every case, per command: docs/exit-codes.md; tested in tests/test_cli.py):

- 0: clean.
- 1: findings at or above the fail level (lint, probe); stale files (render --check) or files
  rewritten (render --update); a capability gap under --strict; a file that is invalid so cannot
  be rendered or served; import's warnings or drift; discover finding nothing usable.
- 2: usage error, unreadable or missing file, bad configuration, refusing to
  overwrite a file.
- 3: an unexpected internal error (one line naming the file; MAILCONF_DEBUG=1
  shows the traceback).
- 141: standard output is a pipe whose reader has gone (``| head -1``); nothing printed.
- 130, 143: interrupted by Ctrl-C (SIGINT) or SIGTERM (serve stops with 0 instead).
"""

from __future__ import annotations

import contextlib
import enum
import re
import signal
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence


def printable(text: str) -> str:
    """``text`` that mailconf did not write (a key, a name from a client's file, a server's reply) quoted for one line.

    Every character ``str.isprintable()`` is False for is written as Python writes it in a string literal: ``\\n``,
    ``\\r``, ``\\t``, then ``\\x1b`` (up to U+007F), ``\\u0085``, ``\\u202e``, ``\\U000e0001``. That is the C0
    and C1 controls and DEL, the format characters (bidirectional controls, zero-width characters), the line and
    paragraph separators U+2028 and U+2029, every space but U+0020, lone surrogates, private-use and unassigned code
    points: none reaches a terminal, a log or a viewer to end a line, recolour it or reorder it. A character from
    U+0080 on is written ``\\u0085``, never ``\\x85`` (which Python's ``repr`` writes): ``\\xNN`` from 80 on is a
    byte that was not UTF-8 (:func:`readable`), so a C1 control or a no-break space a server sent in UTF-8 and a
    byte it sent that is no UTF-8 never look alike.

    A backslash is written ``\\\\``. Without it the output could be forged: a key spelled with the four
    characters ``\\x1b`` and a key holding an ESC would both show as ``\\x1b``, and a server could write in
    plain text an escape that claims a character it never sent. With it the output reads back as a Python
    string literal to exactly ``text``: distinct texts never look alike.

    That is also why a message built from quoted parts is not passed here again (its ``\\\\`` would become
    ``\\\\\\\\``): a whole line about to be printed goes through :func:`escape_controls`, which spells the same
    characters the same way and leaves backslashes as they are.
    """
    if text.isprintable() and "\\" not in text:
        return text
    return "".join(ch if ch.isprintable() and ch != "\\" else _escaped(ch) for ch in text)


def escape_controls(text: str) -> str:
    """The last guard on a line mailconf prints or writes in a report: what :func:`printable` escapes, spelt the same,
    and every backslash left as it is.

    The line is mailconf's own text with what it quotes already through :func:`printable` (or ``repr``), so a
    backslash in it is either mailconf's or an escape: doubling it would show ``'a\\x1bb'`` as ``'a\\\\x1bb'``. No
    function can do both: were ``f(f(x)) == f(x)`` for one that tells every two texts apart, ``f(x)`` and ``x``
    would be the same text, and nothing would be escaped. What this
    one guarantees is the terminal's safety: no control, format or separator character reaches it, whichever part
    of the line forgot to quote.
    """
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else _escaped(ch) for ch in text)


def double_quoted(text: str) -> str:
    """``text`` from a file in double quotes, as a message shows a value it holds (``got "Alice\\x1b[31m"``):
    :func:`printable`, and ``"`` written ``\\"``. It is also a YAML double-quoted scalar of exactly ``text``, so a
    message that says what to write (``host: "imap.example.com"``) can be copied into the file."""
    return '"' + printable(text).replace('"', '\\"') + '"'


#: a :func:`double_quoted` text in a message (a regular expression): its escapes are those it writes and no others
#: (not ``\\N{...}``, ``\\q``, a backslash and a line break), and a bare ``"`` ends it. What
#: :func:`read_double_quoted` is given is then a string literal Python reads without an error or a warning.
DOUBLE_QUOTED = r'"(?:[^"\\\n]|\\[\\"nrt]|\\x[0-9a-f]{2}|\\u[0-9a-f]{4}|\\U[0-9a-f]{8})*"'


def read_double_quoted(quoted: str) -> str | None:
    """The text a :data:`DOUBLE_QUOTED` match spells (:func:`double_quoted` writes a Python string literal of exactly
    its text: read back by ``ast.literal_eval``, which evaluates nothing); None for ``\\U00110000`` (no code point)."""
    import ast

    try:
        return str(ast.literal_eval(quoted))
    except (SyntaxError, ValueError):
        return None


_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(ch: str) -> str:
    """One character as :func:`printable` and :func:`escape_controls` write it: ``\\xNN`` below U+0080 only, where
    no byte can have failed to decode (:func:`readable` writes those that did, from ``\\x80`` on)."""
    code = ord(ch)
    short = _ESCAPES.get(ch)
    if short is not None:
        return short
    return f"\\x{code:02x}" if code < 0x80 else f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def ascii_escaped(text: str) -> str:
    """``text`` with each character that is not ASCII escaped as :func:`printable` escapes one (``\\u00fc``,
    ``\\u0430``): a message that says a name is not ASCII shows which letter is not (MC703). The escapes of
    ``text`` itself are left as they are, as :func:`escape_controls` leaves them."""
    return text if text.isascii() else "".join(ch if ch.isascii() else _escaped(ch) for ch in text)


def unencodable(error: UnicodeError) -> tuple[str, int]:
    """A codec error handler (``commands/console.py`` registers it): what an output encoding has no byte for (``é``
    in an ASCII locale) written as :func:`_escaped` writes a character, ``\\u00e9``. Python's ``backslashreplace``
    wrote ``\\xe9``, which is how :func:`readable` writes a byte that was not UTF-8: a text report in an ASCII
    locale showed the character ``²`` a server sent and the byte B2 alike."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    return "".join(_escaped(ch) for ch in error.object[error.start : error.end]), error.end


#: a lone surrogate: no UTF-8 holds it
_SURROGATE = re.compile("[\ud800-\udfff]")


def readable(text: str) -> str:
    """``text`` without lone surrogates, so that it encodes as UTF-8: each byte that was not UTF-8 (U+DC80-U+DCFF, as
    ``surrogateescape`` decodes it: a file name's, a server's) written ``\\xNN``, as Python's ``backslashreplace``
    shows bytes, and any other lone surrogate ``\\udXXX`` (:func:`_escaped`).

    The one function that spells a byte; :func:`_escaped` spells a character, ``\\u0080`` and not ``\\x80`` from
    U+0080 on, so the two never look alike: a server that sends the byte 0x80 shows ``\\x80``, one that sends
    U+0080 in UTF-8 (C2 80) ``\\u0080``.
    """
    if _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub(_byte_or_escaped, text)


def _byte_or_escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else _escaped(match.group())


#: a character from U+0080 to U+00FF as an escape (``\\u0085``), where a backslash before it is not one of its own
_LATIN_1 = re.compile(r"(?<!\\)((?:\\\\)*)\\u00([89a-f][0-9a-f])")


def escaped_before(text: str) -> str:
    """``text`` (a message) as :func:`printable` and :func:`escape_controls` spelt it before December 2026, when a
    character from U+0080 to U+00FF was ``\\x85`` and not ``\\u0085``: a baseline entry and a SARIF fingerprint
    that hash a message still match what they matched (``baseline.py``, ``report.py``)."""
    return _LATIN_1.sub(r"\1\\x\2", text)


def plural(number: int, word: str, many: str | None = None) -> str:
    """``word`` as ``number`` of it is written (``setting``, ``settings``): a message never says ``setting(s)``."""
    return word if number == 1 else many or f"{word}s"


def cannot_read(path: str, exc: OSError) -> str:
    """Why ``path`` cannot be read, in the words lint uses for an account file: permission denied says what to do
    (``cannot be read (Permission denied)`` said only what was wrong)."""
    if isinstance(exc, PermissionError):
        return f"{path}: permission denied; make the file readable"
    return f"{path}: cannot be read ({exc.strerror or type(exc).__name__})"


#: How many characters of a value from the command line a message quotes: a path or a URL fits, and a value of
#: 100 kB (a variable holding a file) stays one readable line, followed by how long it was.
QUOTE_LIMIT = 240

#: A value shown as it was typed: a word of letters, digits and ``@%+=:,./~[]_-`` (a rule, an account name, a path,
#: a URL, ``KEY=VALUE``, ``[::1]:53``). Anything else (empty, a space, a quote, a control character) is quoted.
_PLAIN = re.compile(r"[\w@%+=:,./~\[\]-]+")


def shown(value: str) -> str:
    """A value the user gave (an argument, an option's value) as every message quotes it, one way.

    As typed when it is a plain word (``--option dir: write KEY=VALUE``); else in single quotes, a quote and a
    backslash escaped with a backslash and a control character as :func:`printable` writes it (``'my work'``,
    ``''``, ``'a\\x1bb'``): an empty ``-a "$NAME"`` is not read as a word left out, an ESC does not recolour the
    terminal. Past :data:`QUOTE_LIMIT` characters it is cut and says how long it was (``'xx...'... (100000
    characters)``), as discover quotes what a server sent.
    """
    return cut(value, QUOTE_LIMIT, _quoted if not _PLAIN.fullmatch(value) else str)


def _quoted(text: str) -> str:
    return "'" + printable(text).replace("'", "\\'") + "'"


def cut(text: str, limit: int, show: Callable[[str], str]) -> str:
    """``show(text)``, or past ``limit`` characters ``show`` of the first ``limit`` and how long ``text`` was."""
    if len(text) <= limit:
        return show(text)
    return f"{show(text[:limit])}... ({len(text)} characters)"


def account_names(names: Iterable[str]) -> str:
    """``alice, bob``: names as given on the command line (``--account``), each :func:`shown` (``''``,
    ``'my work'``): ``no account named  (accounts: ...)`` hid an empty ``-a "$NAME"``."""
    return ", ".join(map(shown, names))


#: How many account names ``no account named`` lists: a file of 10,000 accounts listed them all on one line.
LISTED_ACCOUNTS = 10


def no_such_account(missing: Sequence[str], known: Collection[str], where: str = "") -> UsageError:
    """``no account named wrok in a.yaml (did you mean work? accounts: home, work)``: render and probe say it alike.

    ``where`` (`` in a.yaml``) names the files read; the accounts listed are the first LISTED_ACCOUNTS by name,
    then how many more; a name close to a missing one (a typo) is offered first.
    """
    import difflib

    names = sorted(known)
    listed = ", ".join(names[:LISTED_ACCOUNTS]) or "none"
    if len(names) > LISTED_ACCOUNTS:
        listed += f" and {len(names) - LISTED_ACCOUNTS:,} more"
    close = [match for name in missing for match in difflib.get_close_matches(name, names, n=1)]
    hint = f"did you mean {account_names(dict.fromkeys(close))}? " if close else ""
    return UsageError(f"no account named {account_names(missing)}{where} ({hint}accounts: {listed})")


def counted(number: int, word: str, many: str | None = None) -> str:
    """``1 account``, ``2 accounts``."""
    return f"{number} {plural(number, word, many)}"


#: Names one line lists in full; past that, the first three and how many more (:func:`listed`)
LISTED_IN_FULL = 5


def listed(names: Sequence[str], *, total: bool = True) -> str:
    """Names that share one line: ``a, b``, and past :data:`LISTED_IN_FULL` of them ``a, b, c and 9997 more
    (10000)``, so that a line about 10,000 accounts or files stays one line (render's gaps, its refusal to replace
    files, import's accounts not compared). ``total``: with how many in all, where the line does not say it."""
    if len(names) <= LISTED_IN_FULL:
        return ", ".join(names)
    return f"{', '.join(names[:3])} and {len(names) - 3} more" + (f" ({len(names)})" if total else "")


class ExitCode(enum.IntEnum):
    OK = 0
    FINDINGS = 1
    USAGE = 2
    INTERNAL = 3


#: The exit status after SIGTERM, as a shell reports a process the signal ended (128 + 15); Ctrl-C is 130.
TERMINATED = 143

#: The exit status when the reader of standard output has gone (``| head -1``), as a shell reports a
#: process SIGPIPE ended (128 + 13), like ``cat`` or ``grep`` in the same place.
BROKEN_PIPE = 141


class StdoutClosed(Exception):
    """Standard output is a pipe whose reader has gone: the command stops quietly with :data:`BROKEN_PIPE`.

    Not a :class:`MailconfError` (which prints a line): the reader chose to stop reading, nothing is wrong.
    """


@contextlib.contextmanager
def sigterm_exits() -> Iterator[None]:
    """While a command runs, SIGTERM raises SystemExit(143) where the command is, as Ctrl-C raises
    KeyboardInterrupt: what it was doing unwinds (a render's temporaries removed, its workers ended, nothing
    half-written left behind) instead of the process dying mid-write. Only the main thread can set a handler;
    elsewhere (a program calling mailconf from a thread) SIGTERM keeps its own."""

    def terminate(_signum: int, _frame: object) -> None:
        raise SystemExit(TERMINATED)

    try:
        previous = signal.signal(signal.SIGTERM, terminate)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def signals_held() -> Iterator[set[int | signal.Signals]]:
    """SIGINT and SIGTERM held off while the block runs, delivered on leaving it: what must not stop half-way
    (removing a render's temporaries or staging folders, listing and ending its workers) is not cut short by a
    second Ctrl-C or a SIGTERM, which is acted on once it is done. Yields the signal mask from before (a forked
    child, which never leaves the block, sets it back itself). In a thread that is not the main one, nothing is
    held: Python runs signal handlers in the main thread only. Held off only while every other thread of the
    process blocks them too (mailconf's own threads start so): the system hands a signal to a thread that does not,
    and Python then acts on it in the main thread at once, inside the block (a program calling render, pytest)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield signal.pthread_sigmask(signal.SIG_BLOCK, ())  # the mask as it is, unchanged
        return
    # The mask as it is, asked first: a signal that came just before they are blocked is acted on as the call that
    # blocks them returns, and that call in the try has the finally set the mask back (before, they stayed blocked)
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, ())
    try:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        yield previous
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def held_whole(cleanup: Callable[[], object]) -> None:
    """Run ``cleanup`` (a cleanup after a failure or a signal) with SIGINT and SIGTERM held off, and run it again
    until it has run whole; then raise the last signal that came, if any (KeyboardInterrupt, SystemExit(143)).

    ``with signals_held(): cleanup()`` alone was skipped by a second Ctrl-C or SIGTERM that came as the cleanup's
    ``except`` or ``finally`` began: Python acts on a signal where a function starts (signals_held's own frames
    included) and after a call returns, so one that came just before the hold began raised there, and the cleanup
    never ran (temporaries, staging folders, -o left behind). Here that signal is caught and the cleanup run again.
    Once the cleanup has run whole, a signal held off meanwhile is raised as the hold ends: it is not run again,
    so a cleanup runs whole once, never twice. (What is left: a signal acted on at this function's own first
    bytecode, or a third one at its loop back, as at the loop back of the inline loops in commands/render.py and
    _workers.run.)"""
    signalled: BaseException | None = None
    done = False
    while not done:
        try:
            with signals_held():
                cleanup()
                done = True  # a store: no signal is acted on between the cleanup's end and it
        except (KeyboardInterrupt, SystemExit) as exc:
            signalled = exc
    if signalled is not None:
        raise signalled


def close_left_open(files: Collection[tuple[int, int]], *, keep: Collection[int] = ()) -> None:
    """Close every descriptor of this process still open on one of ``files`` (device, inode), but those in ``keep``:
    files or folders a run created, which nothing else has open, after a Ctrl-C or SIGTERM that came as the call
    that opened one returned (Python acts on a signal there, before the caller has the descriptor: open for the rest
    of the process). Called on that path only: nothing is added per file. Where descriptors cannot be listed (no
    /proc/self/fd, no /dev/fd), none."""
    import os

    opened: list[str] = []
    for listing in ("/proc/self/fd", "/dev/fd"):
        with contextlib.suppress(OSError):
            opened = os.listdir(listing)
            break
    for entry in opened if files else ():
        with contextlib.suppress(OSError, ValueError):
            fd = int(entry)
            if fd in keep:
                continue
            info = os.fstat(fd)
            if (info.st_dev, info.st_ino) in files:
                os.close(fd)


def ctrl_c_ignored() -> None:
    """Ctrl-C ignored by this process from here on: for the program's main() once its exit status is known, when
    all that is left is Python ending (freeing a 10,000-account render takes tens of ms; threads are joined). A
    Ctrl-C then printed a traceback from threading's shutdown (``Exception ignored in: <module 'threading' ...>``)
    or ended the process by the signal, the status it had not exited with yet. SIGINT is blocked first, then
    ignored: one that comes between the two is dropped by the system, never half taken by Python (``Signal 2
    ignored due to race condition``). One that came before is raised here as KeyboardInterrupt, for the caller to
    drop. Only the main thread can set a handler; elsewhere, nothing changes."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class MailconfError(Exception):
    """A problem that ends the command with one clear line and an exit code.

    Messages must never contain a secret.
    """

    exit_code: ExitCode = ExitCode.USAGE


class UsageError(MailconfError):
    exit_code = ExitCode.USAGE


class InputError(MailconfError):
    """A file that cannot be read at all (missing, a directory, permission denied)."""

    exit_code = ExitCode.USAGE


class ConfigError(MailconfError):
    """mailconf's own settings ([tool.mailconf], .mailconf.yaml) are wrong."""

    exit_code = ExitCode.USAGE


class OutputError(MailconfError):
    """Render refuses to write (an existing file differs, an unsafe path)."""

    exit_code = ExitCode.USAGE


class FindingsError(MailconfError):
    """The run produced what the user asked to fail on (findings, gaps, stale files)."""

    exit_code = ExitCode.FINDINGS


class InternalError(MailconfError):
    """A bug. The message names the file and the exception type, never its text (it may hold a secret)."""

    exit_code = ExitCode.INTERNAL

    @classmethod
    def wrap(cls, path: str | None, doing: str, exc: BaseException) -> InternalError:
        import os
        import traceback

        if os.environ.get("MAILCONF_DEBUG"):
            traceback.print_exception(exc)
        where = f"{path}: " if path is not None else ""
        return cls(
            f"{where}internal error ({type(exc).__name__}) while {doing}; "
            "please report it (MAILCONF_DEBUG=1 shows the traceback)"
        )
