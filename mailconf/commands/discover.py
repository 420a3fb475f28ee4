"""``mailconf discover ADDRESS``: the account's servers, found from the address alone (docs/discover.md).

Exit codes: 0 found (printed, or written with ``-o``); 1 nothing usable found
(each lookup's reason on standard error), or the deadline left a candidate
unprobed (nothing written); 2 usage error, or ``-o FILE`` exists without
``--force``; 3 internal error.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from ..errors import ExitCode, InternalError, UsageError, shown
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


class DiscoverRequest(NamedTuple):
    address: str
    output: str | None = None
    name: str | None = None
    timeout: str = "10"  # as typed: a message quotes it so, not the float it became (1e400 said inf)
    allow_http: bool = False
    ispdb_url: str | None = None
    ispdb_dir: str | None = None
    guess: bool = False
    no_probe: bool = False
    dns_server: str | None = None
    ca_file: str | None = None
    force: bool = False


def run(request: DiscoverRequest) -> int:
    from ..discover import Query
    from ..discover import run as discover
    from ..discover.account import account
    from ..discover.dns import bracket_hint
    from ..discover.values import ISPDB_URL, MAX_NOTES
    from ..emit import account_file

    # "$CA" with CA unset: it said `--ca-file : cannot be read (No such file or directory)`, `--ispdb : not a ...`
    refuse_empty(("--ca-file", request.ca_file), name="a PEM file of CA certificates")
    refuse_empty(("--ispdb", request.ispdb_dir), names="directory", name="a copy of the ispdb/ folder")
    query = Query(
        _address(request.address),
        _timeout(request.timeout),
        request.allow_http,
        _ispdb_url(ISPDB_URL if request.ispdb_url is None else request.ispdb_url),  # '' is refused, not ignored
        _directory(request.ispdb_dir),
        request.guess,
        not request.no_probe,
        _dns_server(request.dns_server),
        request.ca_file,
    )
    name = _name(query.domain[:64] if request.name is None else request.name)  # --name '' is refused, not ignored
    _refuse_output(request.output, force=request.force)  # before any lookup
    found = discover(query)
    # the best-ranked few: a hostile configuration can list thousands of servers that fail, one line each
    for rejected in found.rejected[:MAX_NOTES]:
        console.say(f"{rejected.server.endpoint} from {rejected.origin} failed the probe: {rejected.why}; "
                    "taking the next candidate")  # fmt: skip
    if len(found.rejected) > MAX_NOTES:
        console.say(f"and {len(found.rejected) - MAX_NOTES} more candidates failed the probe")
    if found.late:  # asked for checked servers, the user gets none written as if it had been checked
        for late in found.late:
            console.say(f"{late.side} {late.server.endpoint} from {late.origin} was not probed: "
                        f"the {query.timeout:g} s deadline had passed")  # fmt: skip
        longer = min(2 * query.timeout, MAX_TIMEOUT)
        example = f" (--timeout {longer:g})" if longer > query.timeout else ""
        console.say(f"no account written: rerun with a longer --timeout{example}, or with --no-probe to take "
                    "servers unprobed")  # fmt: skip
        return int(ExitCode.FINDINGS)
    if not found.chosen:
        console.say(f"no usable server found for {query.address}:")
        for lookup in found.lookups:
            console.say(f"  {lookup.name}: {lookup.reason or 'only servers that failed the probe'}")
        hint = bracket_hint(request.dns_server)
        if hint is not None:
            console.say(hint)
        return int(ExitCode.FINDINGS)
    result = account(found, query.address, name)
    for side in ("incoming", "outgoing"):
        if side not in found.chosen:
            console.level("warning", f"no {side} server found; add it by hand")
    for warning in result.warnings:
        console.level("warning", warning)
    text = account_file({name: result.data}, result.comments)
    _check(text)
    if request.output is None:
        console.out_document(text)
    else:
        changed = _write(request.output, text, request.force)
        console.say(f"wrote {request.output}")
        say_replaced(changed, request.output)
    return int(ExitCode.OK)


def _refuse_output(output: str | None, *, force: bool) -> None:
    """An -o that cannot be written, or that would be replaced without --force: a usage error."""
    refuse_empty(("-o", output), name="the account file to write")
    refuse_force_alone(force, output)
    if output is not None:
        refuse_under_a_file("-o", output, "the account file to write")
        refuse_not_a_file(output)
        if os.path.lexists(output) and not force:
            raise refuse_replacing([output])


def _address(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # bytes that are not UTF-8 (a Latin-1 terminal): the pattern took them, quote() did not
        raise UsageError(f"{shown(text)}: the address is not UTF-8 text; write it in UTF-8") from None
    from ..schema import pattern

    local, _, domain = text.rpartition("@")
    if pattern("address").search(text) and len(text) <= 254:
        from ..hostnames import looks_like_address

        if looks_like_address(domain):  # 192.0.2.1, and 127.1 or 0x7f000001, which the resolver reads as 127.0.0.1
            raise UsageError(
                f"{shown(text)}: the domain is an IP address; give the domain name of the address (name@domain.example)"
            )
        return text
    # addresses RFC 6531 and 5322 allow but the account file cannot hold: say so, not "not an address"
    if local and domain and not domain.isascii():  # the A-label is not guessed: IDNA 2003 and 2008 differ (ß)
        raise UsageError(
            f"{shown(text)}: the domain is not ASCII; give its IDNA form (xn--...), as the account file holds it"
        )
    if local.startswith('"') and local.endswith('"') and len(local) > 1:
        raise UsageError(
            f"{shown(text)}: a quoted local part cannot be written into an account file (name@domain.example)"
        )
    raise UsageError(f"{shown(text)} is not an e-mail address (name@domain.example)")


def _name(text: str) -> str:
    from ..schema import pattern

    if not pattern("accountName").search(text):
        raise UsageError(f"--name {shown(text)}: an account name is 1-64 letters, digits, '.', '_' or '-'")
    return text


#: the longest --timeout
MAX_TIMEOUT = 3600


def _timeout(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds <= MAX_TIMEOUT:  # nan too
        raise UsageError(f"--timeout {shown(text)}: give seconds above 0, at most {MAX_TIMEOUT}")
    return seconds


def _ispdb_url(url: str) -> str:
    import urllib.parse

    from ..discover.values import without_userinfo

    bare = without_userinfo(url)
    if bare != url:  # never sent (no HTTP authentication), and the URL is in every line and comment
        raise UsageError(
            f"--ispdb-url {shown(bare)}: discover sends no user name or password (no HTTP authentication), and "
            "would show them in its output; give the URL without them"
        )
    if not url.startswith(("https://", "http://")):
        raise UsageError(f"--ispdb-url {shown(url)}: give an https:// or http:// URL (the domain is appended)")
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - ValueError: a bad [IPv6] or port
    except ValueError as exc:
        raise UsageError(f"--ispdb-url {shown(url)}: not a valid URL ({exc})") from None
    if not parts.hostname:  # http:// alone: each lookup failed later, with the resolver's words for ''
        raise UsageError(f"--ispdb-url {shown(url)}: not a valid URL (no host)")
    if not url.isascii() or not url.isprintable() or " " in url:  # http.client sends the request line as ASCII
        raise UsageError(
            f"--ispdb-url {shown(url)}: not a valid URL (a space or a character that is not ASCII; percent-encode it)"
        )
    return url


def _directory(path: str | None) -> str | None:
    if path is not None and not os.path.isdir(path):
        raise UsageError(f"--ispdb {shown(path)}: not a directory (give a copy of the ispdb/ folder)")
    return path


def _dns_server(text: str | None) -> tuple[str, int] | None:
    from ..discover.dns import parse_server

    if text is None:
        return None
    try:
        return parse_server(text)
    except ValueError as exc:
        raise UsageError(f"--dns-server {shown(text)}: {exc}") from None


def _check(text: str) -> None:
    """The output is valid against the schema: a failure here is a bug, never a half-valid file."""
    from ..document import load_document
    from ..lint import refusal

    problems = refusal(load_document("<discovered>", text.encode("utf-8")))
    if problems:
        raise InternalError(f"internal error: the discovered account is not valid ({problems[0].message}); "
                            "please report it")  # fmt: skip


def _write(path: str, text: str, force: bool) -> Changed:
    from ..output import Differs, write_all
    from ..targets import RenderedFile

    target = Path(path)
    if os.path.isdir(target):  # not Path.is_dir(): it raises for a name too long (ENAMETOOLONG), which was exit 3
        raise refuse_directory("-o", path, "the account file to write")
    try:
        return write_all([RenderedFile(target.name, text.encode("utf-8"))], target.parent, force=force)
    except Differs:  # written by another program while discover looked the address up
        raise refuse_replacing([path]) from None
