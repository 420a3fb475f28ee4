"""Baselines: adopt lint on a legacy repository, then let the findings only shrink.

``mailconf lint --write-baseline FILE`` records today's findings (keeping FILE's entries of
the other files that still exist); ``--baseline FILE``
(or ``baseline:`` in the settings) hides them and reports only new ones. A baseline
entry that no longer matches a finding is reported as MC709 (stale-baseline-entry),
at its line in the baseline file, so the baseline is rewritten smaller.

The file (JSON, UTF-8, written with stable ordering so that it diffs well)::

    {
      "version": 1,
      "generator": "mailconf lint --write-baseline",
      "files": {
        "accounts.yaml": [
          {"rule": "MC101", "account": "work", "path": "incoming.security", "hash": "9e1f0c3d5a7b2e44"},
          {"rule": "MC708", "account": "", "path": "", "hash": "51c0d2aa0e9f3b17"}
        ]
      }
    }

- ``files`` maps each file, relative to the baseline file's folder (``/``-separated; a file inside
  it once symbolic links are resolved is named from inside: :func:`_file_key`; another name of a file
  linted, ``./accounts.yaml``, is read as that file's: :func:`_aliases`), to its entries,
  sorted by account, path, rule and hash: one entry per line.
- An entry is keyed by ``rule``, ``account`` (the account name, or "" outside
  ``accounts:``) and ``path`` (the setting's YAML path inside the account, dotted:
  ``incoming.tls.verify``; for ``defaults:`` and other top-level keys the whole
  path), plus ``hash``: the first 16 hex digits of the SHA-256 of the setting's
  value (canonical JSON). Never the line: moving, reordering and adding accounts
  leave the entries matching. A changed value is a new finding.
- A finding about a whole mapping or list (a server that lacks a key) and a
  secret-carrying setting (``password``, ``password_command``, ``token_command``)
  have the hash of nothing: the first so that adding a key to the server does
  not make it new, the second so that the file never holds anything from which a
  secret could be guessed.
- A finding about the text rather than a setting (MC004, MC005, MC708, a duplicate
  key) has empty ``account`` and ``path``; its hash is of the message without the line
  numbers it names (:attr:`Finding.placeless_message`) and of the stripped source line it
  points at, from the finding's column on (lines as YAML counts them: a lone CR ends one); the
  byte-order mark's (MC004: a file has one) of the message alone. An older
  entry of the whole line, also one read at LF only, still matches while the line is as it was; so
  does an older entry hashed with the line number, or with MC701's key or MC001's value spelt by
  ``repr()`` or MC001's tag bare, as their messages spelt them before (:func:`_older_messages`).
- The same key twice is two entries: each hides one finding.
- A value shared through an alias or a merge key is one finding (``lint.once_per_place``), so
  one entry (the account whose name sorts first); the entries an older baseline holds for the
  other accounts using it match it too.
- ``version`` is 1; another version is refused (exit 2), not guessed at; so are an entry that is
  not four strings and a key written twice, at their line and column.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
import stat
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, NamedTuple

from .errors import InputError, cannot_read, double_quoted, escaped_before, held_whole, readable, signals_held
from .lint import Detail, LintedFile
from .model import Finding, Location, Severity
from .rules import REPR_SPELT
from .rules import mc004_byte_order_mark as BOM
from .rules import mc701_duplicate_account as DUPLICATE
from .rules import mc709_stale_baseline_entry as STALE_ENTRY
from .schema import SECRET_KEYS

VERSION = 1
STALE = STALE_ENTRY.ID
#: what --baseline says to do with a baseline it cannot read
_AGAIN = "write it again with --write-baseline"


class Entry(NamedTuple):
    rule: str
    account: str
    path: str
    hash: str

    def as_json(self) -> str:
        return json.dumps(self._asdict(), ensure_ascii=False)


def key(finding: Finding, detail: Detail | None, data: Any, lines: Sequence[str]) -> Entry:
    """A finding's baseline key (see the module docstring)."""
    path = detail.path if detail is not None else None
    if path is None:
        text = "" if finding.rule in _ONE_PER_FILE else _text_at(finding, lines)
        return Entry(finding.rule, "", "", _digest(f"{finding.placeless_message}\n{text}"))
    in_account = len(path) >= 2 and path[0] == "accounts"
    account = str(path[1]) if in_account else ""
    dotted = ".".join(str(step) for step in (path[2:] if in_account else path))
    return Entry(finding.rule, account, dotted, _digest(_canonical(path, data)))


#: findings about the file as a whole, one at most in a file: the text at their place is not hashed. The byte-order
#: mark's (MC004, at 1:1) hashed line 1, and in a one-line flow document any edit made it new: ``--fix --baseline``
#: fixed a value on that line, then removed the byte-order mark the baseline had accepted
_ONE_PER_FILE = frozenset((BOM.ID,))


def _line(finding: Finding, lines: Sequence[str]) -> str:
    """The stripped source line a finding points at ("" past the end)."""
    return lines[finding.location.line - 1].strip() if 0 < finding.location.line <= len(lines) else ""


def _text_at(finding: Finding, lines: Sequence[str]) -> str:
    """The stripped text of the line a finding points at, from its column on ("" past the end): an unused
    suppression is its comment, not the value before it that a fix changes (the whole line was hashed: once --fix
    had fixed that value, the next --fix removed the directive the baseline had accepted)."""
    if not 0 < finding.location.line <= len(lines):
        return ""
    return lines[finding.location.line - 1][max(finding.location.column - 1, 0) :].strip()


def _canonical(path: Sequence[str | int], data: Any) -> str:
    if any(step in SECRET_KEYS for step in path):
        return ""
    node = data
    for step in path:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return ""  # a missing key (a required key that is absent): the key is the path
    if isinstance(node, (dict, list)):
        return ""  # about a whole server or list: adding a key to it must not make it new
    return json.dumps(node, sort_keys=True, default=str, ensure_ascii=False)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


#: folders whose entries name a process's open files (/dev/stdin, /dev/fd/N, /proc/self/fd/N), not files kept there
_DESCRIPTOR_FOLDERS = ("/dev", "/proc")


def _folder(baseline: str) -> str:
    """The folder the baseline's file names are relative to: the baseline's own. One named by a descriptor
    (``--baseline /dev/stdin < baseline.json``, ``--write-baseline /dev/stdout > baseline.json``) is the file it
    opens, in that file's folder (Linux: the link names it); where that cannot be told (a pipe, which is refused,
    or a system whose /dev/fd does not name the file), the current folder. Its names were relative to /dev
    (``../work/repo/accounts.yaml``): the baseline hid nothing, and one written so hid nothing when read by its name."""
    folder = os.path.dirname(os.path.abspath(baseline))
    if not _in_descriptor_folder(folder):
        return folder
    real = os.path.dirname(os.path.realpath(baseline))
    return os.getcwd() if _in_descriptor_folder(real) else real


def _in_descriptor_folder(folder: str) -> bool:
    return any(folder == top or folder.startswith(top + os.sep) for top in _DESCRIPTOR_FOLDERS)


def _file_key(baseline: str, path: str) -> str:
    """The file's name relative to the baseline's folder; an undecodable byte of it as ``\\xFF`` (UTF-8 JSON).

    The names are compared as written (a folder that is a symbolic link inside the repository stays in the name), but
    a file that this puts outside the baseline's folder (``../``) and that is inside it once the folders' symbolic
    links are resolved is named from inside: the current folder is its real path, so ``--baseline
    $PWD/baseline.json accounts.yaml`` in a checkout reached through a link (macOS's ``/tmp``) named the file
    ``../../real/repo/accounts.yaml``, and the baseline hid none of its findings."""
    folder = _folder(baseline)
    file = os.path.abspath(path)
    name = os.path.relpath(file, folder)
    if _outside(name):
        real = os.path.join(os.path.realpath(os.path.dirname(file)), os.path.basename(file))
        inside = os.path.relpath(real, os.path.realpath(folder))
        name = name if _outside(inside) else inside
    return readable(Path(name).as_posix())


def _outside(name: str) -> bool:
    """Does the relative ``name`` climb out of its folder?"""
    return name == os.pardir or name.startswith(os.pardir + os.sep)


def _aliases(baseline: str, names: Iterable[str]) -> Callable[[str, str], list[str]]:
    """``(path, name) ->`` the baseline's other names of the file at ``path`` (``name``: :func:`_file_key`'s).

    A name :func:`_file_key` does not write (``./accounts.yaml``, written by hand) or that climbs out of the folder
    (``../../real/repo/accounts.yaml``: written before a file inside the folder through a symbolic link was named
    from inside) may name a file linted under another name: its entries are that file's. Only such names are looked
    up, each once."""
    folder = _folder(baseline)
    by_file: dict[tuple[int, int], list[str]] = {}
    for listed in names:
        if listed.startswith("../") or posixpath.normpath(listed) != listed:
            with suppress(OSError, ValueError):
                info = os.stat(os.path.join(folder, listed))
                by_file.setdefault((info.st_dev, info.st_ino), []).append(listed)

    def of(path: str, name: str) -> list[str]:
        if not by_file:
            return []
        try:
            info = os.stat(path)
        except (OSError, ValueError):  # standard input, a file gone
            return []
        return [listed for listed in by_file.get((info.st_dev, info.st_ino), ()) if listed != name]

    return of


class Keyed(NamedTuple):
    finding: Finding
    entry: Entry
    #: the entries an older baseline (written before a shared value was one finding) holds for it besides
    #: ``entry``: one for each other server that uses the value through an alias or a merge key
    shared: tuple[Entry, ...]


def _keys_of(result: LintedFile) -> list[Keyed]:
    doc = result.document
    data = doc.data if doc is not None else None
    lines = doc.lines if doc is not None else []
    # an older baseline read the lines at LF only: in a file with a lone CR (CR line ends), its entry of a finding
    # about the text hashed another line (the whole file, for line 1); it still matches while that line is as it was
    at_lf = doc.text.split("\n") if doc is not None and _LONE_CR.search(doc.text) else None
    keyed = []
    for finding in (f for f in result.findings if f.rule != STALE):
        detail = result.details.get(finding)
        shared = () if detail is None else tuple(key(finding, Detail(path), data, lines) for path in detail.shared)
        entry = key(finding, detail, data, lines)
        if entry.path == "":
            # older forms: the whole line (also read at LF only), with the message as it is and as it was
            said = [finding.placeless_message, *_older_messages(finding)]
            texts = [_line(finding, lines), *(() if at_lf is None else (_line(finding, at_lf),))]
            forms = (entry._replace(hash=_digest(f"{message}\n{text}")) for text in texts for message in said)
            shared += tuple(form for form in dict.fromkeys(forms) if form != entry and form not in shared)
        keyed.append(Keyed(finding, entry, shared))
    return keyed


#: a CR that ends a line by itself (not in CRLF)
_LONE_CR = re.compile("\r(?!\n)")


def _older_messages(finding: Finding) -> list[str]:
    """What an older baseline's entry of a finding about the text hashed instead of its placeless message: the
    message with its line number (MC701's "first defined at line 3": it still matches while that line has not
    moved), and the text its message quotes spelt as before (MC701's ``duplicate key 'work'``, MC001's
    ``'one' is not a valid !!int`` and ``tag !x is not allowed``: ``rules.REPR_SPELT``), with the line number and
    without; and each of them with a character from U+0080 to U+00FF escaped ``\\x85``, not ``\\u0085``
    (``errors.escaped_before``).
    Those entries still match, and --write-baseline writes today's form."""
    messages = [finding.message]
    spelt = REPR_SPELT.get(finding.rule)
    older = None if spelt is None else spelt(finding.message)
    if older is not None:
        messages += [finding._replace(message=older).placeless_message, older]
    placeless = finding.placeless_message
    messages += [escaped_before(said) for said in (placeless, *messages)]
    return [said for said in dict.fromkeys(messages) if said != placeless]


def record(baseline: str, results: Sequence[LintedFile]) -> dict[str, list[Entry]]:
    """Today's findings as baseline entries, by file (files that could not be read are left out)."""
    files: dict[str, list[Entry]] = {}
    for result in results:
        if result.error is None:
            files[_file_key(baseline, result.path)] = sorted((keyed.entry for keyed in _keys_of(result)), key=_order)
    return files


def switched_off(
    baseline: str, results: Sequence[LintedFile], disabled: Callable[[str], AbstractSet[str]]
) -> dict[str, AbstractSet[str]]:
    """The rules the settings of each file linted now turn off (``disabled``: by the file's path), by the baseline's
    name for the file: their entries are kept (:func:`with_other_files`)."""
    return {_file_key(baseline, r.path): disabled(r.path) for r in results if r.error is None}


def with_other_files(
    baseline: str, files: dict[str, list[Entry]], off: Mapping[str, AbstractSet[str]] | None = None
) -> tuple[dict[str, list[Entry]], int, int]:
    """Today's entries, and the baseline's own entries of the files not linted now that still exist (how many), and
    of the rules ``off`` (how many).

    ``off`` (:func:`switched_off`): the rules not looked for today in a file linted now; the baseline's entries of
    those rules are kept with today's, as a suppression of a disabled rule is: ``--write-baseline
    --disable MC104`` dropped every MC104 entry, whose findings came back the day the rule was on again.

    A baseline covers a repository while pre-commit lints a few files: writing it again for one file must not
    drop the others' entries. Those of a file that is gone are dropped; a baseline that cannot be read as one (none
    yet, an empty file, or one that mailconf wrote and that was broken since, by a merge conflict) is written whole,
    unless it names a file not linted now (:func:`_refuse_losing`).
    A file that is there and is no baseline mailconf wrote is refused (:func:`_refuse_replacing`).
    """
    try:
        old = read(baseline)
    except Unreadable:  # it exists but cannot be read (a write-only file): written whole, it would lose its entries
        raise
    except InputError as broken:
        _refuse_replacing(baseline)
        _refuse_losing(baseline, str(broken), files)
        return files, 0, 0
    folder = _folder(baseline)
    merged = dict(files)
    others = turned_off = 0
    aliases = _aliases(baseline, old.files)
    linted_now = {alias for name in files for alias in aliases(os.path.join(folder, name), name)}
    for name, entries in old.files.items():
        if name not in merged:
            # another name of a file linted now (:func:`_aliases`): its findings are today's entries
            if name not in linted_now and _still_there(folder, name):
                merged[name] = sorted(entries, key=_order)
                others += len(entries)
        elif off and (rules := off.get(name)):
            kept = [e for e in entries if e.rule in rules]
            if kept:
                merged[name] = sorted([*merged[name], *kept], key=_order)
                turned_off += len(kept)
    return merged, others, turned_off


def _order(entry: Entry) -> tuple[str, str, str, str]:
    return entry.account, entry.path, entry.rule, entry.hash


#: the line every baseline that mailconf writes holds (see :func:`render`), also when a JSON formatter spaced it
_GENERATOR = re.compile(rb'"generator"\s*:\s*"mailconf lint --write-baseline"')
#: a file that holds nothing to lose: empty or blank, or an empty JSON object or array
_NOTHING = re.compile(rb"|\{\s*\}|\[\s*\]")


def _refuse_replacing(baseline: str) -> None:
    """A regular file that holds text and is not a baseline mailconf wrote (no ``"generator"`` line in its first
    64 KiB) is not replaced: ``--write-baseline README.md`` (a name completed one file too far) replaced the
    README with a baseline, without a word. A missing file, one that holds nothing (empty, blank, ``{}``, ``[]``),
    or one that is not a regular file (which :func:`write` refuses in its own words), is left to :func:`write`."""
    try:
        fd = os.open(baseline, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0))
    except OSError:
        return
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return
        head = os.read(fd, 1 << 16)
    except OSError:
        return
    finally:
        os.close(fd)
    if not _NOTHING.fullmatch(head.strip(b" \t\r\n\xef\xbb\xbf")) and not _GENERATOR.search(head):
        raise InputError(
            f"{baseline}: is not a mailconf baseline; nothing written, name another file (or remove this one first)"
        )


#: a file's name and the ``[`` of its entries, as :func:`render` lays them out: one per line
_FILE_LINE = re.compile(r'^[ \t]*("(?:[^"\\\r\n]|\\.)*")[ \t]*:[ \t]*\[', re.MULTILINE)


def _refuse_losing(baseline: str, problem: str, files: Mapping[str, object]) -> None:
    """A baseline mailconf wrote that cannot be read any more (an entry removed by hand with the comma before it
    left, a merge conflict, another version) is written whole only when it names no file, in its lines, that is not
    linted now and still exists: ``--write-baseline FILE changed.yaml`` wrote changed.yaml's entries alone and
    said so, exit 0, and every other file's findings were back at the next lint."""
    from .document import read_regular

    try:
        text = read_regular(baseline).decode("utf-8", errors="replace")
    except Exception:  # noqa: BLE001 - nothing there to lose, or write() says why in its own words
        return
    folder = _folder(baseline)
    lost: list[str] = []
    for match in _FILE_LINE.finditer(text):
        try:
            name = json.loads(match.group(1))
        except ValueError:
            continue
        if name not in files and name not in lost and _still_there(folder, name):
            lost.append(name)
    if not lost:
        return
    others = len(lost) - 1
    which = lost[0] + (f" and {others} other file{'s' if others != 1 else ''}" if others else "")
    raise InputError(
        f"{problem.removesuffix(f'; {_AGAIN}')}; nothing written: its entries of {which}, not linted now, would be "
        f"lost; fix it by hand, or name {'them' if others else lost[0]} too"
    )


#: an undecodable byte of a file name, as :func:`mailconf.errors.readable` writes it in the baseline
_ESCAPED_BYTE = re.compile(r"\\x([89a-f][0-9a-f])")


def _still_there(folder: str, name: str) -> bool:
    """Does the file ``name`` (a key of the baseline, relative to its ``folder``) exist? Its undecodable bytes are
    written ``\\xNN``: that name was looked for as it is written, never found, and the file's entries were
    dropped from the baseline while it was still there."""
    if os.path.exists(os.path.join(folder, name)):
        return True
    raw = _ESCAPED_BYTE.sub(lambda m: chr(0xDC00 + int(m.group(1), 16)), name)
    return raw != name and os.path.exists(os.path.join(folder, raw))


def render(files: Mapping[str, Sequence[Entry]]) -> str:
    out = ["{", f'  "version": {VERSION},', '  "generator": "mailconf lint --write-baseline",', '  "files": {']
    names = sorted(files)
    for i, name in enumerate(names):
        entries = files[name]
        comma = "," if i < len(names) - 1 else ""
        if not entries:
            out.append(f"    {json.dumps(name, ensure_ascii=False)}: []{comma}")
            continue
        out.append(f"    {json.dumps(name, ensure_ascii=False)}: [")
        out.extend(f"      {e.as_json()}{',' if j < len(entries) - 1 else ''}" for j, e in enumerate(entries))
        out.append(f"    ]{comma}")
    out += ["  }", "}"]
    return "\n".join(out) + "\n"


#: How long ``lint --write-baseline`` waits, in all, for the baseline's lock (another ``--write-baseline`` on it,
#: pre-commit's parallel chunks, or ``flock FILE cmd``); and how many times it takes it when the baseline is replaced
#: while it waits (each run replaces it whole)
LOCK_WAIT = 30.0
LOCK_ATTEMPTS = 8


@contextmanager
def locked(baseline: str) -> Iterator[None]:
    """Hold an exclusive flock on the baseline around its read, merge and write (:func:`with_other_files`,
    :func:`write`): two ``--write-baseline`` at once (pre-commit runs a hook on chunks of files in parallel) each
    read it, merged their own files and wrote it whole, and the one that wrote last dropped the other's entries.
    Now the second waits (:data:`LOCK_WAIT` seconds at most, then an error: nothing written) and reads the first's
    result: the lock is taken again on the file that replaced the one it waited on (:func:`replace.locked_file`).

    A baseline that does not exist yet is made empty first (what there is to lock; removed again when nothing is
    written, also when a Ctrl-C or SIGTERM ends the run while it waits for the lock: that empty file stopped the next
    ``lint --baseline`` with "not a baseline file", exit 2). A file that was there before is never removed. One that
    is no regular file, or cannot be opened, is not locked: :func:`read` and :func:`write` say why in their own
    words. A new baseline in a folder that does not exist yet is not locked either. A baseline removed while this
    run waited (the run that held the lock had made it and wrote nothing) is made again and locked, at most
    :data:`LOCK_ATTEMPTS` times."""
    from .replace import NotLocked, locked_file

    if not _regular_or_missing(baseline):  # /dev/stdout that is a pipe: its resolved name is no file to lock
        yield
        return
    target = Path(os.path.realpath(baseline))
    made: os.stat_result | None = None
    fd: int | None = None
    deadline = time.monotonic() + LOCK_WAIT
    try:
        for _attempt in range(LOCK_ATTEMPTS):
            # made and recorded as one step: a signal between them would leave it behind. Only what this attempt
            # made: a file made before is gone (FileNotFoundError), and its status may name the file another run
            # made since (ext4 gives it the freed inode), which would be removed as this run's
            with signals_held():
                made = _made_empty(target)
            try:
                fd = locked_file(target, LOCK_WAIT, LOCK_ATTEMPTS, "--write-baseline", deadline=deadline)[0]
            except NotLocked as busy:
                raise InputError(f"{baseline}: {busy}; nothing written, run --write-baseline again") from None
            except FileNotFoundError:
                if not target.parent.is_dir():  # a new baseline in a new folder: write() says what it can
                    break
                # gone while this run waited: the run that held the lock had made it empty and wrote nothing, so
                # took it back. Made again and locked, or this run and the next waiter would both write it, unlocked.
                continue
            except OSError:
                fd = None
            break
        else:
            raise InputError(
                f"{baseline}: removed {LOCK_ATTEMPTS} times while --write-baseline waited for its lock; "
                "nothing written, run --write-baseline again"
            )
        yield
    except BaseException:
        held_whole(lambda: _remove_if_empty(target, made))
        raise
    finally:
        if fd is not None:
            os.close(fd)  # the lock goes with it


def _regular_or_missing(baseline: str) -> bool:
    """Is ``baseline`` a regular file, or nothing (yet)? Looked at by its own name: the resolved name of a descriptor
    that is a pipe (``/dev/stdout``: ``/proc/PID/fd/pipe:[N]``) names nothing."""
    try:
        return stat.S_ISREG(os.stat(baseline).st_mode)
    except (OSError, ValueError):
        return True  # missing, or a link loop: write() says what it can


def _made_empty(target: Path) -> os.stat_result | None:
    """Create ``target`` empty when nothing is there (its status), else None."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(target, flags, 0o600)
    except OSError:  # there already, a folder that does not exist, a link loop: nothing made
        return None
    try:
        from .replace import NEW_MODE

        os.fchmod(fd, NEW_MODE)  # the mode write() gives a new baseline, which replace() keeps
        return os.fstat(fd)
    finally:
        os.close(fd)


def _remove_if_empty(target: Path, made: os.stat_result | None) -> None:
    """Remove the empty baseline :func:`_made_empty` made, if it is still that file, empty."""
    if made is None:
        return
    with suppress(OSError):
        now = os.stat(target, follow_symlinks=False)
        if os.path.samestat(now, made) and now.st_size == 0:
            target.unlink()


def write(baseline: str, files: Mapping[str, Sequence[Entry]]) -> None:
    """Replace the baseline whole (:mod:`mailconf.replace`: its mode, owner, group and extended attributes kept; a
    read-only one not replaced)."""
    from .replace import ReadOnly, Refused, replace

    target = Path(os.path.realpath(baseline))
    try:
        try:
            # by its own name: /dev/stdout that is a pipe resolves to a name that is no file (/proc/PID/fd/pipe:[N])
            info: os.stat_result | None = os.stat(baseline)
        except FileNotFoundError:
            info = None  # a new baseline (or a link to one); a link loop is an OSError, never replaced by a file
        if info is not None and not stat.S_ISREG(info.st_mode):  # /dev/null, a FIFO: never replaced by a file
            raise InputError(
                f"{baseline}: not a regular file (it is {_kind(info.st_mode)}); name a file for the baseline"
            )
        replace(target, render(files).encode("utf-8"), info)
    except Refused as refused:
        hint = "make it writable" if isinstance(refused, ReadOnly) else "run --write-baseline as its owner"
        raise InputError(f"{baseline}: {refused}; nothing written, {hint}") from None
    except OSError as exc:
        raise InputError(f"{baseline}: cannot be written ({exc.strerror or type(exc).__name__})") from None


def _kind(mode: int) -> str:
    kinds = ((stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"), (stat.S_ISFIFO, "a named pipe"),
             (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a directory"))  # fmt: skip
    return next((kind for test, kind in kinds if test(mode)), "not a file")


class Loaded(NamedTuple):
    files: dict[str, list[Entry]]
    #: where each entry is written, as the writer lays it out (one per line)
    lines: dict[str, int]
    #: the text, for the place of an entry laid out otherwise (by hand, by a JSON formatter)
    text: str


class Unreadable(InputError):
    """A baseline that exists but cannot be read (permission denied, an I/O error): --write-baseline stops rather
    than replace it whole, which would drop the entries it holds for the files not linted now."""


def _read_text(baseline: str) -> str:
    """The baseline's text: a regular file only (a FIFO is not waited on), at most MAX_FILE_BYTES read."""
    from .document import MAX_FILE_BYTES, NotRegular, ReadFailed, TooLarge, read_regular
    from .loader import LoadAbort, decode

    try:
        data = read_regular(baseline)
    except FileNotFoundError:
        raise InputError(f"{baseline}: no such baseline file; create it with --write-baseline {baseline}") from None
    except OSError as exc:  # a loop of links, a name too long: nothing there to keep (--write-baseline says why)
        unreadable = Unreadable if isinstance(exc, PermissionError) else InputError
        raise unreadable(cannot_read(baseline, exc)) from None
    except NotRegular as exc:
        raise InputError(f"{baseline}: not a regular file (it is {_kind(exc.mode)}); name the baseline file") from None
    except ReadFailed as exc:
        raise Unreadable(cannot_read(baseline, exc.error)) from None
    except TooLarge:
        raise InputError(
            f"{baseline}: larger than {MAX_FILE_BYTES >> 20} MiB, too large for a baseline; check the path"
        ) from None
    try:
        # a byte-order mark (Windows editors add one) is passed over, as RFC 8259 section 8.1 allows: json.loads
        # refused it with "Unexpected UTF-8 BOM (decode using utf-8-sig)", advice for Python programmers
        return decode(data)[0]
    except LoadAbort as abort:  # UTF-16 (PowerShell's `>`), bytes that are not UTF-8: at their place
        problem = abort.problem
        raise InputError(f"{baseline}:{problem.line}:{problem.column}: {problem.message}") from None


#: What Python before 3.13 says at the bracket after a trailing comma -> the bracket and what it closes
_AFTER_COMMA = {"Expecting value": ("]", "array"), "Expecting property name enclosed in double quotes": ("}", "object")}


def _json_error(exc: json.JSONDecodeError) -> json.JSONDecodeError:
    """``exc`` as Python 3.13 gives it, on every Python: a comma left before ``]`` or ``}`` (an entry removed by hand)
    is named, at the comma. Before 3.13 it was "Expecting value" (or "Expecting property name enclosed in double
    quotes") at the bracket, which sent the user looking for a missing value."""
    bracket, closes = _AFTER_COMMA.get(exc.msg, ("", ""))
    before = exc.doc[: exc.pos].rstrip(" \t\n\r")  # JSON's white space (RFC 8259 section 2)
    if bracket and exc.doc.startswith(bracket, exc.pos) and before.endswith(","):
        return json.JSONDecodeError(f"Illegal trailing comma before end of {closes}", exc.doc, len(before) - 1)
    return exc


def read(baseline: str) -> Loaded:
    text = _read_text(baseline)
    again = _AGAIN
    try:
        data = json.loads(text, object_pairs_hook=_no_key_twice)
    except json.JSONDecodeError as decoding:
        exc = _json_error(decoding)
        raise InputError(f"{baseline}:{exc.lineno}:{exc.colno}: not a baseline file ({exc.msg}); {again}") from None
    except _KeyTwice as twice:  # json keeps the last: the entries of the first would be dropped without a word
        key = double_quoted(twice.key)
        raise InputError(f"{baseline}{_twice_at(text, twice.key)}: not a baseline file (the key {key} is written "
                         f"twice); {again}") from None  # fmt: skip
    except RecursionError:  # arrays or objects nested thousands deep: no baseline is
        raise InputError(f"{baseline}:1:1: not a baseline file (nested too deeply); {again}") from None
    except ValueError:  # int() of a number of more than 4,300 digits, which json lets out: no baseline has one
        raise InputError(f"{baseline}:1:1: not a baseline file (a number of more than {sys.get_int_max_str_digits()} "
                         f"digits); {again}") from None  # fmt: skip
    version = data.get("version") if isinstance(data, dict) else None
    # JSON true is Python's True, which == 1: the version must be the number itself
    if type(version) is not int or version != VERSION or not isinstance(data.get("files"), dict):
        raise InputError(f"{baseline}:1:1: not a version {VERSION} mailconf baseline; {again}")
    files: dict[str, list[Entry]] = {}
    for name, entries in data["files"].items():
        if not isinstance(entries, list):
            where = _where(text, ("files", name))
            raise InputError(f"{baseline}{where}: the entries of {double_quoted(name)} are not a list; {again}")
        files[name] = []
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in Entry._fields):
                # str() made an entry of `"account": null` or `"rule": 1`: it matched nothing and was reported
                # as a stale entry of "None", as if it were one mailconf wrote
                where = _where(text, ("files", name, i))
                raise InputError(f"{baseline}{where}: an entry of {double_quoted(name)} is not rule, account, path and "
                                 f"hash, each a string; {again}")  # fmt: skip
            files[name].append(Entry(*(entry[k] for k in Entry._fields)))
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        lines.setdefault(line.strip().rstrip(","), number)
    return Loaded(files, lines, text)


class _KeyTwice(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _no_key_twice(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """json's object hook: a key written twice in one object is refused (json would keep the last)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _KeyTwice(key)
        out[key] = value
    return out


def _twice_at(text: str, key: str) -> str:
    """``:line:col`` of the second ``key`` (see :func:`_where`), or ""."""
    from .loader import load

    for problem in load(text.encode("utf-8")).problems:
        if problem.rule == DUPLICATE.ID and DUPLICATE.key_of(problem.message) == key:
            return f":{problem.line}:{problem.column}"
    return ""


def _where(text: str, path: tuple[str | int, ...]) -> str:
    """``:line:col`` of ``path`` in the baseline's text, or "" when it cannot be told."""
    place = _places(text)(path)
    return "" if place is None else f":{place[0]}:{place[1]}"


def _places(text: str) -> Callable[[tuple[str | int, ...]], tuple[int, int] | None]:
    """Where each path of the baseline's JSON is, by parsing it again with positions, by the YAML loader (JSON is
    YAML): for an error, or an entry not laid out as the writer does, only."""
    from .loader import load

    loaded = load(text.encode("utf-8"))
    if loaded.data is None:
        return lambda _path: None
    return lambda path: loaded.positions.locate(loaded.data, path)


def apply_baseline(
    baseline: str,
    results: Sequence[LintedFile],
    disabled: Callable[[str], AbstractSet[str]] = lambda _path: frozenset(),
) -> list[LintedFile]:
    """Hide the findings the baseline records; add MC709 for its entries no longer found.

    Only the files linted now are compared: a baseline may cover more files. An entry of a rule that ``disabled``
    (the rule ids the settings of a file's path turn off) names is not stale: its finding was not looked for, as a
    suppression of a disabled rule is not unused.
    """
    applied = Applied(baseline, disabled)
    out = [applied.to(result) for result in results]
    stale = applied.stale()
    return [*out, stale] if stale is not None else out


class Applied:
    """A baseline applied a file at a time (:func:`apply_baseline`): :meth:`to` each file's result as it comes, then
    :meth:`stale` for the entries no file matched. A file's document can be let go once :meth:`to` returns."""

    def __init__(self, baseline: str, disabled: Callable[[str], AbstractSet[str]]) -> None:
        self.baseline = baseline
        self.disabled = disabled
        self.loaded = read(baseline)
        self.aliases = _aliases(baseline, self.loaded.files)
        self.places: Callable[[tuple[str | int, ...]], tuple[int, int] | None] | None = None
        self.found: list[Finding] = []

    def to(self, result: LintedFile) -> LintedFile:
        """``result`` with the findings the baseline hides taken out; its entries left are noted as stale."""
        from dataclasses import replace

        if result.error is not None:
            return result
        loaded, baseline = self.loaded, self.baseline
        name = _file_key(baseline, result.path)
        names = [name, *self.aliases(result.path, name)]
        keyed, hidden, budget = _hidden(loaded, names, result)
        shown = tuple(k.finding for k, gone in zip(keyed, hidden, strict=True) if not gone)
        # where each entry is first in the file's lists: list.index() for each stale entry was quadratic (40,000
        # spread over lines by a JSON formatter, or on one line, took 50 s to report)
        first: dict[Entry, tuple[str, int]] = {}
        for listed in names:
            for index, written in enumerate(loaded.files.get(listed, ())):
                first.setdefault(written, (listed, index))
        off = self.disabled(result.path)
        for entry, count in sorted(budget.items(), key=lambda item: (item[0].account, item[0].path, item[0].rule)):
            if entry.rule in off:
                continue
            for _ in range(count):
                where = entry.account + (":" if entry.account else "") + (entry.path or "(the text)")
                line, column = loaded.lines.get(entry.as_json(), 0), 1
                if not line:  # laid out otherwise: it was reported at 1:1, wherever it is
                    self.places = self.places or _places(loaded.text)
                    line, column = self.places(("files", *first[entry])) or (1, 1)
                self.found.append(_stale(Location(baseline, line, column), entry.rule, where, name, baseline))
        return replace(result, findings=shown)

    def stale(self) -> LintedFile | None:
        """The baseline's MC709 findings, by line, once every file went through :meth:`to` (None: there are none)."""
        if not self.found:
            return None
        return LintedFile(self.baseline, tuple(sorted(self.found, key=lambda f: (f.location.line, f.message))))


def _stale(location: Location, rule: str, where: str, name: str, baseline: str) -> Finding:
    return Finding(
        STALE_ENTRY.ID,
        STALE_ENTRY.SLUG,
        Severity.INFO,
        location,
        f"{rule} at {where} in {name} is no longer found; remove the entry (or run --write-baseline {baseline} again)",
    )


def _hidden(loaded: Loaded, names: Sequence[str], result: LintedFile) -> tuple[list[Keyed], list[bool], Counter[Entry]]:
    """The findings of ``result`` (the file ``names`` name: :func:`_aliases`) with their keys, whether the baseline's
    entries hide each, and the entries left."""
    budget: Counter[Entry] = Counter()
    for name in names:
        budget.update(loaded.files.get(name, ()))
    keyed = _keys_of(result)
    hidden = [_spend(budget, k.entry) for k in keyed]
    # then the entries an older baseline holds for the other servers sharing a value: they match the same
    # finding (no MC709 for them), and --write-baseline writes the one entry of today's form instead
    for i, k in enumerate(keyed):
        for entry in k.shared:
            hidden[i] = _spend(budget, entry) or hidden[i]
    return keyed, hidden, budget


def accepted(baseline: str) -> Callable[[LintedFile], set[Finding]]:
    """The findings of a file that ``baseline`` hides, for ``lint --fix``: it leaves them as they are. A baseline
    records findings accepted, as a suppression comment does, and --fix fixed them: `--fix --unsafe-fixes
    --baseline` moved a legacy server it hid to implicit TLS. Read now: a baseline that cannot be read stops the run
    before any file is written."""
    loaded = read(baseline)
    aliases = _aliases(baseline, loaded.files)

    def of(result: LintedFile) -> set[Finding]:
        name = _file_key(baseline, result.path)
        keyed, hidden, _left = _hidden(loaded, [name, *aliases(result.path, name)], result)
        return {k.finding for k, gone in zip(keyed, hidden, strict=True) if gone}

    return of


def _spend(budget: Counter[Entry], entry: Entry) -> bool:
    """Use one of the baseline's entries equal to ``entry``, if one is left."""
    if budget[entry] <= 0:
        return False
    budget[entry] -= 1
    return True
