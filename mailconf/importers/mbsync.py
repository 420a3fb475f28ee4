r"""``mailconf import --from mbsync ~/.mbsyncrc`` reads an isync/mbsync configuration: one account per
``IMAPAccount`` section (keywords in any case; ``TLSType``/``TLSVersions`` of isync 1.5 read like
``SSLType``/``SSLVersions``).

| .mbsyncrc | account file |
|---|---|
| ``IMAPAccount NAME`` (or ``IMAPStore NAME`` without ``Account``, giving the account's options itself) | the
  account ``NAME``, ``incoming.protocol: imap`` |
| ``Host``, ``Port`` (absent: 993 with IMAPS, else 143), ``User``, ``Timeout`` | ``host``, ``port``, ``username``,
  ``timeout`` |
| ``SSLType IMAPS`` / ``STARTTLS`` (the default) / ``None`` | ``security: tls`` / ``starttls`` / ``none`` |
| ``SSLVersions`` (the lowest listed) | ``tls.min_version`` |
| ``CertificateFile``, ``ClientCertificate``, ``ClientKey`` | ``tls.ca_file``, ``tls.client_cert``, ``tls.client_key`` |
| ``AuthMechs`` ``*`` / ``XOAUTH2`` / ``GSSAPI`` / ``NTLM`` / ``EXTERNAL`` / others | ``auth: password`` /
  ``oauth2`` / ``gssapi`` / ``ntlm`` / ``client-cert`` / ``password`` + ``mechanisms`` |
| ``PassCmd`` | ``password_command`` (``token_command`` with OAuth2); never run |

mbsync names no address: the ``User`` is the address when it is one; otherwise a guess that
the output comments. ``Pass`` (a literal password) and ``UserCmd``/``Tunnel`` (commands) are
reported and not imported. What ``IMAPStore`` sections say of the store (``Path``, ``Trash`` ...), and
``MaildirStore``, ``Channel`` and ``Group`` sections, describe the mailboxes and the local copy, not the
account, and are not imported.

Each line is split as mbsync splits it: blanks (a carriage return too: mbsync ends a line
only at a line feed) separate values, ``"..."`` quotes, a backslash escapes, and a ``#``
where a value would start begins a comment. A line mbsync refuses (a second value after a
keyword that takes one, as a file saved with carriage-return line ends gives; an unclosed
quote; a backslash at the end) stops the import with its line and column (exit 2).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from ..model import Location
from ..targets.mbsync import _SSL_VERSIONS
from . import Imported, ReadOptions, Unreadable
from ._base import Collector, guess_address, is_address, read_text, shown, whole_number

NAME = "mbsync"
TITLE = "mbsync: ~/.mbsyncrc (IMAP accounts)"

_LOWEST = {versions.split()[0]: version for version, versions in _SSL_VERSIONS.items()}
_SECURITY = {"imaps": "tls", "starttls": "starttls", "none": "none"}
_ACCOUNT_KEYS = frozenset(
    [
        "host",
        "port",
        "user",
        "pass",
        "passcmd",
        "sslversions",
        "tlstype",
        "tlsversions",
        "systemcertificates",
        "certificatefile",
        "clientcertificate",
        "clientkey",
        "authmechs",
        "timeout",
        "ssltype",
    ]
)
_DEFAULT_MECHS = {"password": ["*"], "oauth2": ["xoauth2"], "gssapi": ["gssapi"], "ntlm": ["ntlm"],
                  "client-cert": ["external"]}  # fmt: skip
_SECTIONS = frozenset(("imapstore", "maildirstore", "channel", "group", "imapaccount", "sync"))
#: what an IMAPStore section says of the store itself (mbsync's man page, IMAPStore and Stores); the rest of an
#: IMAPStore without ``Account`` is the account's, given in the store (mbsync reads it so)
_STORE_KEYS = frozenset(
    ("account", "path", "maxsize", "mapinbox", "flatten", "trash", "trashnewonly", "trashremotenew",
     "usenamespace", "pathdelimiter", "subscribedonly", "subfolders")
)  # fmt: skip


def read(paths: Sequence[str], options: ReadOptions) -> Imported:
    found = Collector()
    for path in paths:
        _read_file(path, found)
    return found.result()


#: C's isspace() in mbsync's get_arg: a carriage return separates values like a blank (mbsync ends lines at \n only)
_BLANKS = " \t\n\v\f\r"
#: IMAPAccount keywords that take several values; any other keyword given two is mbsync's "excess token" error
_LISTS = frozenset(("authmechs", "sslversions", "tlsversions", "disableextension", "disableextensions"))


class _Arg(NamedTuple):
    text: str
    column: int
    #: the blanks before it hold a carriage return
    after_cr: bool


def _args(line: str, path: str, number: int) -> list[_Arg]:
    """mbsync's get_arg: blanks (isspace) separate, '"' toggles quoting, a backslash makes the next character
    literal, and a '#' where an argument would start ends the line."""
    args: list[_Arg] = []
    i, end = 0, len(line)
    while True:
        start = i
        while i < end and line[i] in _BLANKS:
            i += 1
        if i == end or line[i] == "#":
            return args
        column, after_cr = i + 1, "\r" in line[start:i]
        current: list[str] = []
        escaped = quoted = False
        slash = 0
        while i < end:
            ch = line[i]
            i += 1
            if escaped and ch >= " ":
                escaped = False
                current.append(ch)
            elif ch == "\\":
                escaped, slash = True, i
            elif ch == '"':
                quoted = not quoted
            elif not quoted and ch in _BLANKS:
                i -= 1  # the blank is looked at again: is it a carriage return?
                break
            else:
                current.append(ch)
        if escaped:
            raise Unreadable(Location(path, number, slash), "a backslash escapes nothing", "remove it, or write \\\\")
        if quoted:
            raise Unreadable(
                Location(path, number, column), "unbalanced double quote", 'close it with " on the same line'
            )
        args.append(_Arg("".join(current), column, after_cr))


def _one_value(keyword: str, words: list[_Arg], path: str, number: int) -> None:
    """mbsync refuses a second value after a keyword that takes one ("excess token"); never say the value."""
    if len(words) <= 2 or keyword in _LISTS:
        return
    extra = words[2]
    where = Location(path, number, extra.column)
    if extra.after_cr:
        raise Unreadable(
            where,
            f"a carriage return is no line end for mbsync: what follows it is a second value after "
            f"{shown(words[0].text)}, and mbsync refuses the file (excess token)",
            "save the file with Unix (LF) line ends, or remove the carriage return",
        )
    raise Unreadable(
        where,
        f"a second value after {shown(words[0].text)}: mbsync refuses the file (excess token)",
        'put each setting on a line of its own, and a value holding blanks in double quotes ("...")',
    )


def _read_file(path: str, found: Collector) -> None:
    text = read_text(path, "an mbsync configuration file (~/.mbsyncrc)", refused_by="mbsync")
    section: dict[str, tuple[str, Location]] | None = None
    sections: list[tuple[str, Location, dict[str, tuple[str, Location]]]] = []
    stores: list[tuple[str, Location, dict[str, tuple[str, Location]]]] = []
    for number, raw in enumerate(text.split("\n"), 1):
        words = _args(raw, path, number)
        if not words:
            if raw.lstrip(_BLANKS)[:1] != "#":
                section = None  # an empty line ends a section (a comment does not)
            continue
        where = Location(path, number, words[0].column)
        keyword = words[0].text.lower()
        value = " ".join(w.text for w in words[1:])
        if keyword in _SECTIONS:
            section = None
            if keyword in ("imapaccount", "imapstore"):
                _one_value(keyword, words, path, number)
                section = {}
                (sections if keyword == "imapaccount" else stores).append((value, where, section))
            continue
        if section is not None:
            _one_value(keyword, words, path, number)
            section[keyword] = (value, where)
    for name, where, settings in stores:
        if "account" not in settings and any(key in _ACCOUNT_KEYS for key in settings):
            # "it is also possible to specify all the Account options directly in the Store's section"
            sections.append((name, where, {k: v for k, v in settings.items() if k not in _STORE_KEYS}))
    for name, where, settings in sorted(sections, key=lambda section: section[1].line):
        _account(name, where, settings, found)


def _account(  # noqa: PLR0912, PLR0915
    wanted: str, where: Location, settings: dict[str, tuple[str, Location]], found: Collector
) -> None:
    def value(*keys: str) -> str | None:
        return next((settings[k][0] for k in keys if k in settings), None)

    lost: list[tuple[Location, str]] = []
    security = _SECURITY.get((value("ssltype", "tlstype") or "starttls").lower(), "starttls")
    server: dict[str, Any] = {"protocol": "imap", "host": value("host") or ""}
    port = value("port")
    server["port"] = whole_number(port) if port else (993 if security == "tls" else 143)
    server["security"] = security
    mechs = [m.lower() for m in (value("authmechs") or "*").split()]
    if set(mechs) <= {"xoauth2", "oauthbearer"}:
        server["auth"] = "oauth2"
    elif mechs in (["gssapi"], ["ntlm"], ["external"]):
        server["auth"] = {"gssapi": "gssapi", "ntlm": "ntlm", "external": "client-cert"}[mechs[0]]
    else:
        server["auth"] = "password"
    user = value("user")
    if user:
        server["username"] = user
    command = value("passcmd")
    if command:
        if command.startswith(" +"):
            command = command[1:]  # mailconf's mbsync target writes a command starting with + after a space
        elif command.startswith("+"):
            command = command[1:]
            lost.append((settings["passcmd"][1], "PassCmd +: the command prompts on the terminal"))
        server["token_command" if server["auth"] == "oauth2" else "password_command"] = command
    if mechs != _DEFAULT_MECHS[server["auth"]]:  # what mailconf's target writes for the auth alone
        server["mechanisms"] = mechs
    tls: dict[str, Any] = {}
    versions = value("sslversions", "tlsversions")
    if versions:
        lowest = min(versions.split(), key=lambda v: _LOWEST.get(v, "9"))
        if lowest in _LOWEST:
            tls["min_version"] = _LOWEST[lowest]
    for key, field in (
        ("certificatefile", "ca_file"),
        ("clientcertificate", "client_cert"),
        ("clientkey", "client_key"),
    ):
        if value(key):
            tls[field] = value(key)
    if tls and security != "none":
        server["tls"] = tls
    timeout = value("timeout")
    if timeout is not None:
        server["timeout"] = whole_number(timeout)
    address = guess_address(user, wanted, server["host"])
    name = found.add(wanted, {"address": address, "incoming": server}, where)
    side = ("accounts", name, "incoming")
    if not is_address(user):
        found.lost(where, ("accounts", name, "address"), "mbsync names no address: this one is a guess, check it")
    if "pass" in settings:
        found.literal_password(settings["pass"][1], side)
    for key in ("usercmd", "tunnel"):
        if key in settings:
            found.lost(settings[key][1], side, f"{key} runs a command: not run, not imported")
    for key, (_v, at) in settings.items():
        if key not in _ACCOUNT_KEYS and key not in ("usercmd", "tunnel"):
            found.lost(at, side, f"mbsync's {shown(key)} has no place in an account file")
    for at, message in lost:
        found.lost(at, side, message)
