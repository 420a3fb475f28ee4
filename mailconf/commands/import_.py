"""``mailconf import``: client configuration -> an account file; with ``--compare``, drift against one.

Exit codes (docs/exit-codes.md): 0 imported with nothing lost (``--compare``: no
drift); 1 imported, but something the files say is not in the output (each is a
warning on standard error and a comment in the file), or no account could be
imported (``--compare``: drift found); 2 usage, an unreadable or malformed input
file, an account file with errors (``--compare``), or an existing ``-o`` file
without ``--force``; 3 internal error.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from ..errors import ExitCode, InputError, UsageError, counted, escape_controls
from . import console
from .outputs import (
    refuse_directory,
    refuse_empty,
    refuse_force_alone,
    refuse_not_a_file,
    refuse_replacing,
    refuse_under_a_file,
    say_replaced,
)

if TYPE_CHECKING:
    from ..output import Changed


class ImportRequest(NamedTuple):
    fmt: str
    paths: tuple[str, ...]
    output: str | None = None
    force: bool = False
    follow_source: bool = False
    compare: str | None = None
    report: str = "text"  # --format of --compare: text | json
    encoding: str | None = None  # outlook: the code page of a REGEDIT4 file


def run(request: ImportRequest) -> int:
    from ..files import once
    from ..importers import ReadOptions

    _check_options(request)
    request = request._replace(paths=once(request.paths))  # `import --from msmtp rc ./rc`: one account, not a-2
    options = ReadOptions(follow_source=request.follow_source, encoding=request.encoding)
    if request.compare is not None:
        return _compare(request, options)
    from ..importers._core import import_paths

    if request.output is not None:
        _check_output(request.output, request.force, request.paths)
    with _warnings_first():
        result = import_paths(request.fmt, request.paths, options)
    for warning in result.warnings:
        console.level("warning", warning)
    if not result.accounts:
        console.say(f"{request.paths[0]}: no account could be imported (the reasons are above); nothing written")
        return int(ExitCode.FINDINGS)
    if request.output is None:
        console.out_document(result.text)
    else:
        changed = _write(request.output, result.text, request.force)
        accounts = counted(len(result.accounts), "account")
        console.say(f"wrote {accounts} to {request.output}; check it with `mailconf lint`")
        say_replaced(changed, request.output)
    return int(ExitCode.FINDINGS if result.warnings else ExitCode.OK)


@contextlib.contextmanager
def _warnings_first() -> Iterator[None]:
    """The importer's warnings before its "no account found" line (exit 2): they say why nothing was found."""
    from ..importers._core import NoAccount

    try:
        yield
    except NoAccount as exc:
        for warning in exc.warnings:
            console.level("warning", warning)
        raise


def _check_options(request: ImportRequest) -> None:
    """An option that would do nothing in this mode is a usage error, not silently ignored."""
    if request.compare is not None and (request.output is not None or request.force):
        raise UsageError("--compare writes nothing: use it without -o and --force")
    if request.compare is None:
        refuse_force_alone(request.force, request.output)
    if request.follow_source and request.fmt not in ("mutt", "neomutt"):  # no other format has `source`
        raise UsageError(f"--follow-source reads the files a muttrc's `source` names: use it with --from mutt or "
                         f"neomutt, not {request.fmt}")  # fmt: skip
    if request.encoding is not None:
        _check_encoding(request.encoding, request.fmt)
    if request.compare is None and request.report != "text":
        raise UsageError("--format is the output of --compare: use it with --compare ACCOUNTS.yaml")
    if "" in request.paths:  # `mailconf import --from msmtp "$RC"` with RC unset: it said `:1:1: no such file`
        raise UsageError(
            f"'': an empty path names no file (an unset variable?); name the file to import (--from {request.fmt})"
        )
    if request.paths.count("-") + (request.compare == "-") > 1:
        raise UsageError("- (standard input) is named more than once: it can be read only once")


#: every ASCII byte, and a key name's backslash before a u
_ASCII = bytes(range(128)) + b"\\u0041"


def _check_encoding(encoding: str, fmt: str) -> None:
    """``--encoding`` names a code page Python knows that writes ASCII as ASCII, as every Windows ANSI code page
    does (not utf-16, not a transform such as rot13: the import stopped with an internal error; each of the 128
    ASCII bytes read as itself, not only those of ``REGEDIT4``: not utf-7, hz, unicode_escape, shift_jis_2004,
    cp864 or iso2022_jp), for ``--from outlook``, the one format written in one."""
    from ..errors import shown

    if fmt != "outlook":
        raise UsageError(f"--encoding is the code page of a REGEDIT4 .reg file: use it with --from outlook, not {fmt}")
    try:  # each ASCII byte alone: utf-7 reads "+" as a shift, unicode_escape "\\", shift_jis_2004 "\\" as a yen sign;
        ascii_as_ascii = all(bytes([byte]).decode(encoding) == chr(byte) for byte in range(128))
        # and together: raw_unicode_escape reads a key name's \\u0041 as "A"; and a byte that is not text is replaced
        # to say where it is, which idna cannot do (an internal error; it reads each byte alone as itself too)
        ascii_as_ascii = ascii_as_ascii and _ASCII.decode(encoding) == _ASCII.decode("ascii")
        bytes(range(128, 256)).decode(encoding, "replace")
    except (LookupError, UnicodeError):
        ascii_as_ascii = False
    if not ascii_as_ascii:
        raise UsageError(f"--encoding {shown(encoding)}: not a Windows code page; name one such as cp1252, cp1250, "
                         "cp1251 or cp932")  # fmt: skip


def _check_output(output: str, force: bool, paths: tuple[str, ...]) -> None:
    """Before reading anything: -o names a file that may be written (never a user's file without --force, and
    never, even with --force, a file being imported: the client's own configuration would become YAML)."""
    refuse_empty(("-o", output), name="the account file to write")
    if output.endswith("/") or os.path.isdir(output):
        raise refuse_directory("-o", output, "the account file to write")
    refuse_under_a_file("-o", output, "the account file to write")
    refuse_not_a_file(output)
    if os.path.lexists(output) and not force:
        raise refuse_replacing([output])
    try:
        info = os.stat(output)
    except OSError:
        return  # not there yet: it cannot be one of them
    folder = os.stat(os.path.dirname(os.path.realpath(output)))
    for path in paths:
        try:
            given = os.stat(path)
        except OSError:
            continue
        if os.path.samestat(info, given):
            raise UsageError(f"{output}: -o names {path}, a file being imported; choose another file")
        if stat.S_ISDIR(given.st_mode) and os.path.samestat(folder, given):  # a Thunderbird profile's prefs.js
            raise UsageError(
                f"{output}: -o names a file in {path}, a directory being imported; choose a file outside it"
            )


def _write(output: str, text: str, force: bool) -> Changed:
    """Atomically (a temporary beside it, fsync'd, renamed), mode 0600; a replaced file is kept as .bak.

    Without --force the writer refuses a file that appeared since _check_output (another program, or a second
    import, wrote it while the files were read): it is never replaced."""
    from ..output import Differs, write_all
    from ..targets import RenderedFile

    path = Path(output)
    try:
        return write_all([RenderedFile(path.name, text.encode("utf-8"), 0o600)], path.parent, force=force)
    except Differs:
        raise refuse_replacing([output]) from None


def _compare(request: ImportRequest, options: object) -> int:
    from ..document import load_document
    from ..importers import ReadOptions
    from ..importers._core import Unrenderable, compare
    from ..lint import read_stdin, refusal

    assert isinstance(options, ReadOptions) and request.compare is not None
    # `--compare -`: the account file on standard input, as `mailconf lint -` reads it (it was "-: no such file")
    doc = load_document(request.compare, read_stdin("-") if request.compare == "-" else None)
    blocking = refusal(doc)
    if blocking:
        for finding in blocking:
            console.finding(str(finding))
        raise InputError(f"{request.compare}: has errors, so drift cannot be computed; fix them (`mailconf lint`)")
    try:
        with _warnings_first():
            result = compare(request.fmt, request.paths, doc.model, options)
    except Unrenderable as exc:
        raise UsageError(f"{request.compare}: {exc}") from None
    for warning in result.warnings:
        console.level("warning", warning)
    if request.report == "json":
        payload = {
            "drift": bool(result.differences),
            "differences": [
                {
                    "account": d.account or None,
                    "setting": d.setting or None,
                    "file": d.file,
                    "yaml": d.yaml,
                    "invalid": d.invalid,
                    "cannot_hold": d.cannot_hold,
                    "file_account": d.file_account,
                }
                for d in result.differences
            ],
            "warnings": list(result.warnings),
        }
        console.out_document(json.dumps(payload, indent=2) + "\n")
    else:
        console.out("".join(escape_controls(str(d)) + "\n" for d in result.differences))
    return int(ExitCode.FINDINGS if result.differences else ExitCode.OK)
