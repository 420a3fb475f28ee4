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
| ``SSLVersions`` (the lowest TLS version listed) | ``tls.min_version`` |
| ``CertificateFile``, ``ClientCertificate``, ``ClientKey`` | ``tls.ca_file``, ``tls.client_cert``, ``tls.client_key`` |
| ``AuthMechs`` ``*`` / ``XOAUTH2`` / ``GSSAPI`` / ``NTLM`` / ``EXTERNAL`` / others | ``auth: password`` /
  ``oauth2`` / ``gssapi`` / ``ntlm`` / ``client-cert`` / ``password`` + ``mechanisms`` |
| ``PassCmd`` | ``password_command`` (``token_command`` with OAuth2); never run |

mbsync names no address: the ``User`` is the address when it is one; otherwise a guess that
the output comments. ``Pass`` (a literal password) and ``UserCmd`` (a command) are
reported and not imported. An account with a ``Tunnel`` connects only through that command (mbsync then never
connects to a ``Host``, if one is named too), which mailconf never runs: it has no server to import, and is left
out with one warning at its ``Tunnel`` line. What ``IMAPStore`` sections say of the store
(``Path``, ``Trash`` ...), and ``MaildirStore``, ``Channel`` and ``Group`` sections, describe the mailboxes and
the local copy, not the account, and are not imported.

Each line is split as mbsync splits it: blanks (a carriage return too: mbsync ends a line
only at a line feed) separate values, ``"..."`` quotes, a backslash escapes, and a ``#``
where a value would start begins a comment; a line of more than 1021 bytes is read in pieces of
1022 bytes, each a line, as mbsync's fgets reads it. Values are read as mbsync 1.4.4 reads them:
``Port`` and ``Timeout`` as C's strtol in base 10 (blanks and a sign before the digits, cut to a
32-bit int, which a note says), ``Port 0`` (or ``""``) is the default port, a ``Timeout`` of 0 or
less no time limit; ``Host imaps:NAME`` (or ``imap:``, ``//``) is the legacy URL notation
(``imaps:`` sets IMAPS, the later of it and ``SSLType`` wins); the legacy ``UseIMAPS``, ``RequireSSL`` and
``UseTLSv1.x`` set the security and the lowest version, ``RequireCRAM yes`` the mechanism CRAM-MD5; ``AuthMech``
and ``SSLVersion`` are ``AuthMechs`` and ``SSLVersions``, and each ``AuthMechs`` line adds to the list;
``~/`` in ``CertificateFile``, ``ClientCertificate``, ``ClientKey`` is the home folder.

The account file has a lowest TLS version and no highest one. Where mbsync offers not every version from the lowest
up, a note says which it offers: OpenSSL takes the lowest run of listed versions without a gap (``SSLVersions
TLSv1.2`` is TLS 1.2 only, ``TLSv1 TLSv1.2 TLSv1.3`` TLS 1.0 only), and ``SSLVersions SSLv3`` alone offers none
(mbsync cannot connect; imported without ``min_version``).

A file mbsync refuses stops the import with the line and column (exit 2): a second value after a
keyword that takes one (as a file saved with carriage-return line ends gives), an unclosed quote, a
backslash at the end, a keyword without a value, a keyword outside a section (a blank line ends a
section: a keyword after one is a global keyword or a new section, and a section keyword inside a
section is refused there), a keyword IMAPAccount or IMAPStore sections do not take, an SSLType
other than IMAPS/STARTTLS/None or an unknown SSLVersions (any case), a Port or Timeout that is not
a decimal number, a port past 65535, Pass with PassCmd, User with UserCmd, no Host nor Tunnel, an
IMAPStore with Account and account options, the legacy options with SSLType/SSLVersions. What
mbsync checks when it runs (a CertificateFile that cannot be read), and the keywords of
MaildirStore, Channel and Group sections, are not checked.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

from ..model import Location
from ..targets.mbsync import _SSL_VERSIONS
from . import Imported, ReadOptions, Unreadable
from ._base import Collector, expand_home, guess_address, int32, is_address, read_text, shown, strtol, whole_number

NAME = "mbsync"
TITLE = "mbsync: ~/.mbsyncrc (IMAP accounts)"

_LOWEST = {versions.split()[0].lower(): version for version, versions in _SSL_VERSIONS.items()}
_SECURITY = {"imaps": "tls", "starttls": "starttls", "none": "none"}
#: the keywords of an IMAPAccount section in mbsync 1.4.4 (imap_parse_store), and TLSType/TLSVersions of isync 1.5
_ACCOUNT_KEYS = frozenset(
    ("host", "port", "user", "usercmd", "pass", "passcmd", "timeout", "pipelinedepth", "disableextension",
     "disableextensions", "certificatefile", "systemcertificates", "clientcertificate", "clientkey", "cipherstring",
     "ssltype", "tlstype", "sslversion", "sslversions", "tlsversions", "requiressl", "useimaps", "usesslv2",
     "usesslv3", "usetlsv1", "usetlsv1.1", "usetlsv1.2", "usetlsv1.3", "authmech", "authmechs", "requirecram",
     "tunnel")
)  # fmt: skip
#: what is imported of them; the rest (commands, a literal password, the legacy options) is read and reported
_IMPORTED_KEYS = frozenset(
    ("host", "port", "user", "passcmd", "timeout", "certificatefile", "systemcertificates", "clientcertificate",
     "clientkey", "ssltype", "tlstype", "sslversion", "sslversions", "tlsversions", "authmech", "authmechs",
     "requiressl", "useimaps", "usetlsv1", "usetlsv1.1", "usetlsv1.2", "usetlsv1.3", "requirecram")
)  # fmt: skip
_DEFAULT_MECHS = {"password": ["*"], "oauth2": ["xoauth2"], "gssapi": ["gssapi"], "ntlm": ["ntlm"],
                  "client-cert": ["external"]}  # fmt: skip
#: what starts a section, after a blank line only (inside a section mbsync reads it as one of the section's keywords)
_SECTIONS = frozenset(("imapstore", "maildirstore", "channel", "group", "imapaccount"))
#: the global keywords (config.c: getopt_helper and load_config)
_GLOBALS = frozenset(
    ("sync", "create", "remove", "expunge", "copyarrivaldate", "syncstate", "maxmessages", "expireunread", "fsync",
     "fielddelimiter", "bufferlimit")
)  # fmt: skip
#: what an IMAPStore section says of the store itself (imap_parse_store and parse_generic_store); the rest of an
#: IMAPStore without ``Account`` is the account's, given in the store (mbsync reads it so)
_STORE_KEYS = frozenset(
    ("account", "path", "maxsize", "mapinbox", "flatten", "trash", "trashnewonly", "trashremotenew",
     "usenamespace", "pathdelimiter", "subscribedonly")
)  # fmt: skip
#: the keywords whose value mbsync reads with parse_bool
_BOOLEANS = frozenset(
    ("systemcertificates", "requiressl", "useimaps", "usetlsv1", "usetlsv1.1", "usetlsv1.2", "usetlsv1.3",
     "requirecram")
)  # fmt: skip
_LEGACY_TLS = ("requiressl", "useimaps", "usetlsv1", "usetlsv1.1", "usetlsv1.2", "usetlsv1.3")
#: fgets() into mbsync's 1024-byte buffer reads at most 1022 bytes: a longer line is read as two
_LINE_BYTES = 1022


def _refused(where: Location, what: str, fix: str) -> Unreadable:
    """A line mbsync refuses, and with it the whole file: one located line, exit 2."""
    return Unreadable(where, f"{what}: mbsync refuses the file", fix)


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


def _lines(text: str) -> Iterator[tuple[int, int, str]]:
    """(line, column of its first character, text) of each line as mbsync's fgets reads it: a line of more than
    1021 bytes and its line end is read in pieces of 1022 bytes, each a line of its own (the file's line and column
    are given, where mbsync counts each piece as a line)."""
    for number, line in enumerate(text.split("\n"), 1):
        data = line.encode("utf-8", "surrogateescape")
        if len(data) < _LINE_BYTES:
            yield number, 1, line
            continue
        for start in range(0, len(data) + 1, _LINE_BYTES):  # + 1: the line end left over is a piece too
            piece = data[start : start + _LINE_BYTES]
            yield number, len(data[:start].decode("utf-8", "replace")) + 1, piece.decode("utf-8", "surrogateescape")


def _read_file(path: str, found: Collector) -> None:  # noqa: PLR0912
    text = read_text(path, "an mbsync configuration file (~/.mbsyncrc)", refused_by="mbsync")
    #: the section being read: its keyword (None: none, after a blank line) and, for IMAPAccount and IMAPStore,
    #: its settings, the last of each keyword (AuthMechs: all of them), aliases under one name
    kind: str | None = None
    section: dict[str, tuple[str, Location]] = {}
    sections: list[tuple[str, Location, dict[str, tuple[str, Location]]]] = []
    stores: list[tuple[str, Location, dict[str, tuple[str, Location]]]] = []
    for number, first, raw in _lines(text):
        words = [arg._replace(column=arg.column + first - 1) for arg in _args(raw, path, number)]
        if not words:
            if raw.lstrip(_BLANKS)[:1] != "#":
                kind = None  # an empty line ends a section (a comment does not)
            continue
        where = Location(path, number, words[0].column)
        keyword = words[0].text.lower()
        if len(words) == 1:
            raise _refused(
                where,
                f"{shown(words[0].text)} needs a value (parameter missing)",
                "write its value after it, or remove the line",
            )
        value = " ".join(w.text for w in words[1:])
        if kind is None:
            if keyword in _SECTIONS:
                kind = keyword
                if keyword in ("imapaccount", "imapstore"):
                    _one_value(keyword, words, path, number)
                    section = {}
                    (sections if keyword == "imapaccount" else stores).append((value, where, section))
            elif keyword not in _GLOBALS:
                raise _refused(
                    where,
                    f"{shown(words[0].text)} is not a recognized section-starting or global keyword",
                    "a blank line ends a section: remove the blank line above, or the line",
                )
            continue
        if kind not in ("imapaccount", "imapstore"):
            continue  # MaildirStore, Channel and Group: not read
        if keyword not in _ACCOUNT_KEYS and (kind == "imapaccount" or keyword not in _STORE_KEYS):
            name = "IMAPAccount" if kind == "imapaccount" else "IMAPStore"
            raise _refused(
                where,
                f"keyword {shown(words[0].text)} is not recognized in {name} sections",
                "remove the line (a blank line ends a section, and a new one starts after it)",
            )
        _one_value(keyword, words, path, number)
        keyword = _ALIASES.get(keyword, keyword)
        _check(keyword, words, Location(path, number, words[1].column))
        if keyword == "authmechs" and keyword in section:
            value = f"{section[keyword][0]} {value}"  # each AuthMechs line adds to the list
        section[keyword] = (value, where)
    for name, where, settings in stores:
        if "account" in settings:
            if any(key in _ACCOUNT_KEYS for key in settings):
                raise _refused(
                    where,
                    f"IMAPStore {shown(name)} has both Account and account-specific options",
                    "give the account's options in its IMAPAccount section, or remove Account",
                )
        elif any(key in _ACCOUNT_KEYS for key in settings):
            # "it is also possible to specify all the Account options directly in the Store's section"
            sections.append((name, where, {k: v for k, v in settings.items() if k not in _STORE_KEYS}))
    for name, where, settings in sorted(sections, key=lambda section: section[1].line):
        _account(name, where, settings, found)


#: keywords mbsync reads as one (isync 1.5's TLSType and TLSVersions are SSLType and SSLVersions)
_ALIASES = {"authmech": "authmechs", "sslversion": "sslversions", "tlsversions": "sslversions", "tlstype": "ssltype",
            "disableextension": "disableextensions"}  # fmt: skip
_VERSIONS = ("sslv2", "sslv3", "tlsv1", "tlsv1.1", "tlsv1.2", "tlsv1.3")


def c_int(text: str) -> int | None:
    """mbsync's parse_int: C's ``strtol(text, &end, 10)`` with nothing after the number (blanks and a sign before
    it are skipped, an empty text is 0), cut to a 32-bit int; None where mbsync says "invalid integer value"."""
    if not text:
        return 0
    number = strtol(text)
    return None if number is None else int32(number)


def _check(keyword: str, words: list[_Arg], where: Location) -> None:
    """What mbsync refuses in a value, at the line."""
    value = words[1].text
    if keyword == "ssltype" and value.lower() not in _SECURITY:
        raise _refused(
            where, f"{shown(words[0].text)} {shown(value)}: Invalid SSL type", "write IMAPS, STARTTLS or None"
        )
    if keyword == "sslversions":
        for word in words[1:]:
            if word.text.lower() not in _VERSIONS:
                raise _refused(
                    Location(where.path, where.line, word.column),
                    f"{shown(words[0].text)} {shown(word.text)}: Unrecognized SSL version",
                    "write one or more of TLSv1, TLSv1.1, TLSv1.2, TLSv1.3",
                )
    if keyword in ("port", "timeout", "pipelinedepth"):
        number = c_int(value)
        if number is None:
            raise _refused(
                where, f"invalid integer value {shown(value, quotes=True)}", "write a number in decimal digits"
            )
        if keyword == "port" and not 0 <= number <= 0xFFFF:
            raise _refused(where, f"Port {shown(value)}: Invalid port number", "write a port number from 1 to 65535")
        if keyword == "pipelinedepth" and number < 1:
            raise _refused(where, f"PipelineDepth {shown(value)}: must be at least 1", "write a number from 1 up")
    if keyword in _BOOLEANS and value.lower() not in ("yes", "true", "on", "1", "no", "false", "off", "0"):
        raise _refused(where, f"invalid boolean value {shown(value, quotes=True)}", "write yes or no")


def _is_true(text: str) -> bool:
    return text.lower() in ("yes", "true", "on", "1")


def _security(
    name: str, where: Location, settings: dict[str, tuple[str, Location]], lost: list[tuple[Location, str]]
) -> tuple[str, str | None]:
    """(security, the lowest TLS version) as mbsync 1.4.4 reads them: SSLType, or ``imaps:`` before the Host (the
    later line wins); without either, None with a Tunnel, else STARTTLS; or the legacy options."""
    host = settings.get("host", ("", where))
    chosen = [(at.line, _SECURITY[text.lower()]) for key, (text, at) in settings.items() if key == "ssltype"]
    if host[0].startswith("imaps:"):
        chosen.append((host[1].line, "tls"))
    versions = settings.get("sslversions", ("", where))[0].lower().split()
    legacy = {key: _is_true(settings[key][0]) for key in _LEGACY_TLS if key in settings}
    if legacy and (chosen or "sslversions" in settings):
        raise _refused(
            where,
            f"account {shown(name)}: the deprecated UseSSL*, UseTLS*, UseIMAPS and RequireSSL options are mutually "
            "exclusive with SSLType and SSLVersions",
            "remove the deprecated ones",
        )
    if not legacy:
        security = max(chosen)[1] if chosen else ("none" if "tunnel" in settings else "starttls")
        if "sslversions" not in settings or security == "none":
            return security, None
        at = settings["sslversions"][1]
        listed = [_LOWEST[v] for v in ("tlsv1", "tlsv1.1", "tlsv1.2", "tlsv1.3") if v in versions]
        if not listed:  # SSLv2 and SSLv3 only: mbsync warns "no longer supported", and OpenSSL has no protocol
            lost.append((at, "SSLVersions names no TLS version (mbsync 1.4.4 no longer supports SSLv2 and SSLv3): "
                             "mbsync cannot connect; imported without min_version"))  # fmt: skip
            return security, None
        return security, _offered(listed, "SSLVersions", at, lost)
    offered = [version for version, key, default in (("1.0", "usetlsv1", True), ("1.1", "usetlsv1.1", False),
               ("1.2", "usetlsv1.2", False), ("1.3", "usetlsv1.3", False)) if legacy.get(key, default)]  # fmt: skip
    if legacy.get("useimaps"):
        security = "tls"
    elif legacy.get("requiressl", True):
        security = "starttls"
    elif not offered:
        security = "none"
    else:
        security = "starttls"
        lost.append((settings["requiressl"][1], "RequireSSL no: mbsync ignores it (TLS versions are enabled)"))
    if security == "none":
        return security, None
    if not offered:
        raise _refused(
            where, f"account {shown(name)} requires SSL but no SSL versions enabled", "enable a UseTLSv1.x option"
        )
    lowest = _offered(offered, "UseTLSv1.x", where, lost)
    return security, (lowest if offered != list(_TLS) else None)


_TLS = ("1.0", "1.1", "1.2", "1.3")


def _offered(enabled: list[str], how: str, where: Location, lost: list[tuple[Location, str]]) -> str:
    """The lowest TLS version ``enabled`` (min_version), and a note where mbsync does not offer every version from
    it up, which the account file cannot say (it has no highest version). OpenSSL offers the lowest run of enabled
    versions without a gap: ``TLSv1.2`` alone is 1.2 only, ``TLSv1 TLSv1.2 TLSv1.3`` is 1.0 only."""
    run: list[str] = []
    for version in _TLS:
        if version in enabled:
            run.append(version)
        elif run:
            break
    if run[-1] != _TLS[-1]:
        gap = "; OpenSSL takes the lowest versions without a gap" if run != enabled else ""
        lost.append((where, f"mbsync 1.4.4 offers only TLS {', '.join(run)} here ({how}{gap}): imported as "
                            f"min_version {run[0]}, and the account file has no highest version"))  # fmt: skip
    return run[0]


def _cert_path(text: str) -> str:
    """mbsync's expand_strdup: a leading ``~`` or ``~user`` is the home folder."""
    return expand_home(text) or text


def _account(  # noqa: PLR0912, PLR0915
    wanted: str, where: Location, settings: dict[str, tuple[str, Location]], found: Collector
) -> None:
    def value(*keys: str) -> str | None:
        return next((settings[k][0] for k in keys if k in settings), None)

    for one, other in (("pass", "passcmd"), ("user", "usercmd")):
        if one in settings and other in settings:
            names = {"pass": "Pass", "passcmd": "PassCmd", "user": "User", "usercmd": "UserCmd"}
            raise _refused(
                where, f"account {shown(wanted)} has both {names[one]} and {names[other]}", "remove one of them"
            )
    if "host" not in settings and "tunnel" not in settings:
        raise _refused(where, f"account {shown(wanted)} has neither Tunnel nor Host", "name the server with Host")
    lost: list[tuple[Location, str]] = []
    security, min_version = _security(wanted, where, settings, lost)
    host = value("host") or ""
    # the legacy URL notation (case matters): imaps: or imap:, then //
    host = host[6:] if host.startswith("imaps:") else host[5:] if host.startswith("imap:") else host
    host = host.removeprefix("//")
    server: dict[str, Any] = {"protocol": "imap", "host": host}
    port = value("port")
    number = c_int(port) if port is not None else 0
    server["port"] = number or (993 if security == "tls" else 143)
    if port is not None and number and whole_number(port.strip(_BLANKS).lstrip("+")) != number:
        lost.append((settings["port"][1], f"Port {shown(port)}: mbsync reads this number as {number} (a 32-bit int)"))
    server["security"] = security
    mechs = [m.lower() for m in (value("authmechs") or "*").split()]
    if "requirecram" in settings:
        if "authmechs" in settings:
            raise _refused(
                where,
                f"account {shown(wanted)}: the deprecated RequireCRAM option is mutually exclusive with AuthMech",
                "remove RequireCRAM",
            )
        mechs = ["cram-md5"] if _is_true(settings["requirecram"][0]) else ["*"]
    if "tunnel" in settings:  # only through the command (after the checks of what mbsync refuses, above)
        why = "and names no Host" if "host" not in settings else "not to its Host (mbsync's socket_connect)"
        found.warn(
            settings["tunnel"][1],
            f"account {shown(wanted)}: connects through its Tunnel command, which mailconf never runs, {why}: "
            "no server to import; not imported",
        )
        return
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
    if min_version:
        tls["min_version"] = min_version
    for key, field in (
        ("certificatefile", "ca_file"),
        ("clientcertificate", "client_cert"),
        ("clientkey", "client_key"),
    ):
        if value(key):
            tls[field] = _cert_path(value(key) or "")
    if tls and security != "none":
        server["tls"] = tls
    timeout = value("timeout")
    if timeout is not None:
        seconds = c_int(timeout) or 0
        server["timeout"] = max(seconds, 0)  # mbsync: no time limit at 0 or below
        if seconds > 0 and whole_number(timeout.strip(_BLANKS).lstrip("+")) != seconds:
            lost.append((settings["timeout"][1], f"Timeout {shown(timeout)}: mbsync reads this number as {seconds} "
                                                 "(a 32-bit int)"))  # fmt: skip
    address = guess_address(user, wanted, server["host"])
    name = found.add(wanted, {"address": address, "incoming": server}, where)
    side = ("accounts", name, "incoming")
    if not is_address(user):
        found.lost(where, ("accounts", name, "address"), "mbsync names no address: this one is a guess, check it")
    if "pass" in settings:
        found.literal_password(settings["pass"][1], side)
    if "usercmd" in settings:
        found.lost(settings["usercmd"][1], side, "usercmd runs a command: not run, not imported")
    for key, (_v, at) in settings.items():
        if key not in _IMPORTED_KEYS and key not in ("pass", "usercmd"):
            found.lost(at, side, f"mbsync's {shown(key)} has no place in an account file")
    for at, message in lost:
        found.lost(at, side, message)
