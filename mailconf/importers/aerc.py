r"""``mailconf import --from aerc ~/.config/aerc/accounts.conf`` reads aerc's accounts file (aerc 0.14, as
go-ini v1.63.2 reads it, and what aerc 0.15, 0.18 and later read otherwise, below): one account per
``[section]`` whose ``source`` is an IMAP URL.

| accounts.conf | account file |
|---|---|
| ``[NAME]`` | the account ``NAME`` (``[DEFAULT]`` and keys before the first section: skipped, as aerc before
  0.18 does; below) |
| ``source = imaps://`` / ``imap://`` / ``imap+insecure://`` | ``incoming``: ``security: tls`` / ``starttls`` /
  ``none``; host, port (absent: 993 / 143) |
| ``source = imaps+insecure://`` | ``security: tls``; from aerc 0.18 on (below) also ``tls: {verify: false}`` |
| ``source``'s user (percent-decoded) / no user | ``username``, ``auth: password`` / ``auth: none`` |
| ``+xoauth2`` / ``+oauthbearer`` in the scheme | ``auth: oauth2`` / ``oauth2`` + ``mechanisms: [oauthbearer]`` |
| ``source-cred-cmd``, ``outgoing-cred-cmd`` | ``password_command`` (``token_command`` with OAuth2); never run |
| ``connection-timeout`` (a Go duration: ``45s``, ``1m``) | ``incoming.timeout`` in seconds (a fraction rounded up) |
| ``outgoing = smtps://`` / ``smtp://`` + ``smtp-starttls = yes`` / ``smtp://`` | ``outgoing``: ``security: tls`` /
  ``starttls`` / ``none`` (``starttls`` in a file for aerc 0.15 and later: below); port absent: 465 / 587 |
| ``outgoing = smtp+insecure://`` / ``smtp+insecure+AUTH://`` (aerc 0.15 and later) | ``outgoing``:
  ``security: none``, ``AUTH`` as below; port absent: 587 |
| ``smtp+plain`` (or no ``+``) / ``+login`` / ``+xoauth2`` / ``+oauthbearer`` / ``+none`` | ``auth: password`` /
  ``password`` + ``mechanisms: [login]`` / ``oauth2`` / ``oauth2`` + ``mechanisms: [oauthbearer]`` / ``none`` |
| ``from = "Name" <address>`` (RFC 5322) | ``display_name``, ``address`` |

``from`` is read as aerc reads it, with Go's ``net/mail`` (``ParseAddress``): one address, or a group of one
address closed by ``;`` (``g: a@example.org;``, in backquotes, since go-ini cuts a value at ``;``); a group not
closed (``g: <a@example.org>``) or nested in another (``g: h: <a@example.org>;;``) is no address, though Python's
and mutt's parsers find one in it. With no address aerc can use, aerc 0.14 loads the account and cannot send
(``ParseAddress(config.From)`` fails), aerc 0.20 refuses the account, and without ``from`` both refuse it: the
import guesses an address and says so.

Values are read as go-ini reads them: a value in backquotes (as ``mailconf render --target aerc``
writes it) is taken raw; otherwise it is cut at ``#`` or ``;``, one pair of surrounding quotes is
removed and a line ending in ``\`` continues on the next line. ``smtp-starttls`` is on only for
the exact value ``yes`` (aerc 0.14 reads ``true`` as off: the output says so).

aerc 0.15 changed what the outgoing URL means: ``smtp://`` always sends STARTTLS (and refuses a
server without it), ``smtp+insecure[+AUTH]://`` never does, and ``smtp-starttls`` is ignored (a
popup says so). aerc 0.14 refuses ``smtp+insecure`` URLs, so they are read as ``security: none``
in any file. What ``smtp://`` means depends on the aerc the file is for:

- the first line of a file ``mailconf render --target aerc`` wrote names it, from its
  ``--option version``: ``# aerc (0.20) accounts written by mailconf (target aerc).``;
- else a file with an ``smtp+insecure`` outgoing URL is for aerc 0.15 or later;
- else nothing says: ``smtp://`` is read as aerc 0.14 reads it (``security: none`` without
  ``smtp-starttls = yes``), and each such account has a warning (and a comment) saying that aerc
  0.15 and later send STARTTLS there: for them, set ``security: starttls``. An account with
  ``smtps://`` or ``smtp-starttls = yes`` reads the same for both and has none.

In a file for aerc 0.15 and later, ``smtp://`` is ``security: starttls`` and an ``smtp-starttls``
line is reported as the setting these versions ignore. A scheme neither version sends with
(``smtps+insecure``, ``smtp+plain+insecure``) is reported and the outgoing server not imported.

The version also decides the rest of what aerc reads, and the importer reads what that aerc
reads (the aerc source and go-ini v1.67.0, which aerc 0.15 and later use; the tests run aerc 0.20):

- aerc 0.15 and later read ``source``, ``source-cred-cmd``, ``outgoing``, ``outgoing-cred-cmd``
  and ``from`` with go-ini's ``GetKey``: a key that ``[a.b]`` lacks comes from ``[a]`` (aerc 0.14
  does so for ``from`` only). They read these values with ``Key.String``, which replaces
  ``%(NAME)s`` with NAME's raw value, looked up in the section the value comes from (and its
  parents), else in ``DEFAULT``: up to 99 times, the first ``%(NAME)s`` everywhere, and the first
  NAME found nowhere stops it (go-ini's ``key.go``, ``transformValue``). aerc 0.14 reads them as
  written. ``connection-timeout`` and ``smtp-starttls`` are each section's own, raw, in every
  version.
- aerc 0.18 and later copy each key of ``DEFAULT`` (the keys before the first section) into every
  account that cannot find it (in the section or its parents, in file order); aerc 0.14 to 0.17
  skip them (one warning).
- aerc 0.15 and later take only ``=`` between a key and its value (``KeyValueDelimiters``): a
  line ``key: value`` stops the import with its line (exit 2), as it makes aerc refuse the file,
  and ``key: a=b`` is the key ``key: a``; aerc 0.14 reads a ``:`` as ``=``.
- ``imaps+insecure://``: aerc 0.18 and later skip every certificate and host name check
  (``tls: {verify: false}``); aerc 0.14 to 0.17 verify as for ``imaps://``.

A file that does not say its version (or says 0.15 or later, by an ``smtp+insecure`` URL, where
0.18 matters) is read as the oldest aerc it may be for reads it, with one warning, at the line
(``FILE:LINE:COL``), for each value a later aerc reads otherwise: a ``%(NAME)s`` it replaces, a key
it takes from the section before the dot, the ``DEFAULT`` keys it copies, a key it does not end
at a ``:``, an ``imaps+insecure`` URL it does not verify.

Never run: the cred commands are copied as text. A password written in a URL is never copied (a
comment and a warning ask for a password command; aerc ignores the cred command then). A
``source`` that is not IMAP (``maildir://``, ``notmuch://``, ``mbox://``) and an ``outgoing``
that is a sendmail command are reported and not imported; so are the URL's OAuth2 token-exchange
parameters (their values are never shown) and aerc's other settings (``folders``, ``copy-to``,
``pgp-*`` ...). A line go-ini cannot read (no ``=``, an unclosed ``[``, a backquote never closed)
stops the import with its line (exit 2): aerc 0.14 ignores such a file and starts its
new-account wizard. So does a URL Go cannot parse (a user name with a blank that is not
percent-encoded, a port that is not a number, a control character: a tab, or a line break in
backquotes, which Python's URL parser would drop) and one aerc cannot dial: it adds its default
port only to a host without ``:``, and dials ``imaps://[::1]`` without a port ("missing port"),
``imaps://host:`` at port 0 and ``imaps://a:b:993`` not at all ("too many colons"): aerc cannot
connect with any of them either. A host is percent-decoded as Go decodes it (an escape of a byte
below 0x80, other than ``%25``, is refused: "invalid URL escape"); a host that is not ASCII then
(``imaps://user@%C3%A9xample.com`` is ``éxample.com``, written so or percent-encoded) stops the import
too: aerc 0.14 and 0.20 look it up as written, never as its IDNA form (``xn--xample-9ua.com``), and
find no such host; the message names the ASCII form to write.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit

from ..hostnames import idna_form
from ..model import Location
from ..targets.aerc import (
    _DEFAULT_SECTION_READ,
    _INSECURE_IMAPS,
    _INTERPOLATES,
    _STARTTLS_BY_DEFAULT,
    _VERSION_PART,
)
from . import Imported, ReadOptions, Unreadable
from ._base import Collector, group_marks, guess_address, is_address, parse_sender, read_text, shown, whole_number

NAME = "aerc"
TITLE = "aerc: ~/.config/aerc/accounts.conf (IMAP source and SMTP outgoing URLs)"

#: What Go's unicode.IsSpace trims (go-ini trims with it); Python's str.strip() also trims \x1c-\x1f.
_GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"

#: The keys this reader turns into account settings; every other key is reported.
_READ = frozenset(
    ["source", "source-cred-cmd", "outgoing", "outgoing-cred-cmd", "from", "connection-timeout", "smtp-starttls"]
)


class Value(NamedTuple):
    text: str
    where: Location
    colon: bool = False  # the key ends at a ':' (go-ini's default delimiters): aerc 0.15 and later take '=' only


class Section(NamedTuple):
    name: str
    where: Location
    keys: dict[str, Value]


# --- go-ini ----------------------------------------------------------------------------------------


def parse_ini(text: str, path: str, delimiters: str = "=:") -> list[Section]:
    """The sections of ``text`` as go-ini v1.63.2's ``ini.Load`` reads them (parser.go), in file order; aerc 0.15
    and later load with ``KeyValueDelimiters: "="`` (config/accounts.go), which ``delimiters`` says.

    A section named twice is one section (later keys win), as go-ini merges them. Keys before the
    first section belong to ``DEFAULT``. A line go-ini refuses raises Unreadable.
    """
    lines = text.split("\n")  # go-ini reads up to each \n; a \r is trimmed as a blank
    last = len(lines) - 1
    sections: dict[str, Section] = {}
    current = sections.setdefault("DEFAULT", Section("DEFAULT", Location(path, 1, 1), {}))
    i = 0
    while i <= last:
        raw = lines[i]
        line = raw.lstrip(_GO_SPACE)
        where = Location(path, i + 1, len(raw) - len(line) + 1)
        i += 1
        if not line or line[0] in "#;":
            continue
        if line[0] == "[":
            close = line.rfind("]")
            if close == -1:
                raise Unreadable(where, "unclosed section header", "end it with ] on the same line")
            name = line[1:close]
            if not name:
                raise Unreadable(where, "empty section name", "name the account between [ and ]")
            current = sections.setdefault(name, Section(name, where, {}))
            continue
        key, offset = _key_name(line, where, delimiters)
        value, i = _value(line[offset:] + ("\n" if i <= last else ""), where, lines, i)
        current.keys[key] = Value(value, where, line[offset - 1] == ":")
    return list(sections.values())


def _key_name(line: str, where: Location, delimiters: str) -> tuple[str, int]:
    """go-ini's readKeyName with these delimiters (``=:``, or ``=``): (name, offset of the value)."""
    quote = '"""' if line.startswith('"""') and len(line) > 6 else line[0] if line[0] in '"`' else ""
    if quote:
        pos = line.find(quote, len(quote))
        if pos == -1:
            raise Unreadable(where, "a key name in quotes is never closed", f"close it with {quote}")
        delimiter = re.search(f"[{delimiters}]", line[pos + len(quote) :])
        if delimiter is None:
            raise Unreadable(where, "no '=' after the key name", "write KEY = VALUE")
        name, offset = line[len(quote) : pos].strip(_GO_SPACE), pos + len(quote) + delimiter.start() + 1
    else:
        delimiter = re.search(f"[{delimiters}]", line)
        if delimiter is None:
            raise Unreadable(
                where, "a line without '=' (go-ini refuses the file, and aerc ignores it)", "write KEY = VALUE"
            )
        name, offset = line[: delimiter.start()].strip(_GO_SPACE), delimiter.start() + 1
    if not name:
        raise Unreadable(where, "a key without a name (go-ini refuses the file)", "write KEY = VALUE")
    return name, offset


def _value(text: str, where: Location, lines: list[str], i: int) -> tuple[str, int]:  # noqa: PLR0912
    """go-ini's readValue (default options): (the value, the index of the next line to read)."""
    last = len(lines) - 1
    line = text.lstrip(_GO_SPACE)
    if not line:
        return "", i
    quote = '"""' if len(line) > 3 and line.startswith('"""') else "`" if line[0] == "`" else ""
    if quote:
        rest = line[len(quote) :]
        pos = rest.rfind(quote)
        if pos > -1:
            return rest[:pos], i
        value = rest  # a value that goes on over the next lines, up to the last quote on one of them
        while True:
            if i > last:
                raise Unreadable(where, f"a value opened with {quote} is never closed", f"close it with {quote}")
            following = lines[i] + ("\n" if i < last else "")
            i += 1
            pos = following.rfind(quote)
            if pos > -1:
                return value + following[:pos], i
            value += following
    line = line.strip(_GO_SPACE)
    if line.endswith("\\"):  # continuation lines are joined, trimmed, and neither cut at # nor unquoted
        pieces = [line[:-1]]  # joined once: taking the backslash off the whole value each time was quadratic
        while i <= last:
            following = lines[i].strip(_GO_SPACE)
            i += 1
            if not following:
                break
            if not following.endswith("\\"):
                pieces.append(following)
                break
            pieces.append(following[:-1])
        return "".join(pieces), i
    comment = re.search("[#;]", line)
    if comment is not None:
        line = line[: comment.start()].strip(_GO_SPACE)
    for quote in "'\"":
        if len(line) >= 2 and line[0] == quote and line[-1] == quote and line.find(quote, 1) == len(line) - 1:
            return line[1:-1], i
    return line, i


# --- URLs (Go's net/url) ---------------------------------------------------------------------------


class Url(NamedTuple):
    scheme: str
    user: str | None  # None: no user at all (no '@')
    has_password: bool
    host: str
    port: int | None
    has_query: bool


#: what Go's url.Parse accepts in the user info (validUserinfo), percent escapes apart
_USERINFO = re.compile(r"[A-Za-z0-9\-._:~!$&'()*+,;=@]*")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def parse_url(value: Value, key: str) -> Url | None:
    """The URL as aerc's Go ``url.Parse`` reads it; None when it has no scheme (a path: sendmail)."""

    def bad(what: str, fix: str = "write SCHEME://USER@HOST:PORT") -> Unreadable:
        return Unreadable(value.where, f"{key}: {what}, aerc cannot use it", fix)

    if any(c < " " or c == "\x7f" for c in value.text):  # Python's urlsplit drops a tab or line break silently
        raise bad("the URL holds a control character (a tab, a line break ...)")
    try:
        parts = urlsplit(value.text)
    except ValueError:
        raise bad("not a URL") from None
    if not parts.scheme or not value.text.lower().startswith(f"{parts.scheme}:"):
        return None
    if not value.text[len(parts.scheme) + 1 :].startswith("//"):
        raise bad("no // after the scheme")
    userinfo, at, hostport = parts.netloc.rpartition("@")
    user: str | None = None
    password = False
    if at:
        if not _USERINFO.fullmatch(userinfo.replace("%", "")) or _BAD_ESCAPE.search(userinfo):
            raise bad("the user name holds a character that is not percent-encoded")
        name, colon, _secret = userinfo.partition(":")
        try:  # Go keeps the bytes of "%99" as they are; an account file holds text only
            user = unquote(name, errors="strict")
        except UnicodeDecodeError:
            raise bad("the user name's percent escapes are not UTF-8 text") from None
        password = bool(colon)
    host, port_text = _host_port(hostport, bad)
    if not hostport.startswith("["):
        host = _go_host(host, bad)
    # Go's port is the digits' value (leading zeros and all); the first nine digits were "0000000000993" read as 0
    port = whole_number(port_text) if port_text else None
    return Url(parts.scheme, user, password, host, port, bool(parts.query))


_HOST_ESCAPE = re.compile(r"%(.{0,2})", re.DOTALL)


def _go_host(host: str, bad: Callable[..., Unreadable]) -> str:
    """The host name as Go's url.Parse decodes it, if aerc can look it up. Go takes a percent escape in a host only
    for a byte of 0x80 or more (or %25), and decodes it: ``%C3%A9xample.com`` is ``éxample.com``, which aerc (0.14 and
    0.20 alike) looks up as written, never as its IDNA form, and Go's resolver finds no such host without asking."""
    for match in _HOST_ESCAPE.finditer(host):
        digits = match[1]
        if (
            len(digits) < 2
            or any(c not in "0123456789abcdefABCDEF" for c in digits)
            or (int(digits, 16) < 0x80 and digits != "25")
        ):
            raise bad(f"the host holds {shown(match[0], quotes=True)}, which Go's url.Parse refuses (invalid URL "
                      "escape)", "write the host without percent escapes")  # fmt: skip
    name = unquote(host, errors="surrogateescape")
    if name.isascii():
        return name
    ascii_form = idna_form(name)
    fix = (
        "write the host name in ASCII"
        if ascii_form is None
        else f"write the host as its ASCII (IDNA) form, {ascii_form}"
    )
    raise bad(f"the host {shown(name, quotes=True)} is not ASCII (aerc looks it up as written, never as its IDNA "
              "form, and finds no such host)", fix)  # fmt: skip


def _host_port(hostport: str, bad: Callable[[str], Unreadable]) -> tuple[str, str]:
    """(host, port digits or "") as Go's url.Parse reads them, and as aerc can dial them: aerc adds its default port
    only to a host without ':' (strings.ContainsRune), and dials any other as written."""
    if hostport.startswith("["):
        close = hostport.find("]")
        host, port_text = hostport[1:close], hostport[close + 1 :]
        if close == -1 or (port_text and not port_text.startswith(":")):
            raise bad("an IPv6 address without its closing ]")
        if not port_text:  # aerc dials "[::1]": "missing port in address"
            raise bad("an IPv6 address without a port (aerc adds its default port only to a host without ':')")
        port_text = port_text[1:]
    else:
        host, _, port_text = hostport.rpartition(":") if ":" in hostport else (hostport, "", "")
        if ":" in host:  # aerc dials "a:b:993": "too many colons in address"
            raise bad("a host with a ':' (an IPv6 address is written in [ ])")
    if port_text and not (port_text.isascii() and port_text.isdigit()):
        raise bad("the port is not a number")
    if ":" in hostport and not port_text:  # aerc dials "host:", port 0
        raise bad("a ':' without a port after it (aerc dials port 0)")
    return host, port_text


# --- aerc ----------------------------------------------------------------------------------------------


class Reading(NamedTuple):
    """The aerc versions the file may be for, ``lowest`` to ``highest`` (None: any later one): mailconf's header
    names one, an smtp+insecure URL says 0.15 or later, else any from 0.14 on."""

    lowest: tuple[int, int]
    highest: tuple[int, int] | None

    def since(self, version: tuple[int, int]) -> bool | None:
        """Whether the file is for ``version`` or later: True, False, or None when it may be either (then it is
        read as the older versions read it, with a warning where the newer ones read it otherwise)."""
        if self.lowest >= version:
            return True
        if self.highest is not None and self.highest < version:
            return False
        return None


#: From this version on, aerc loads accounts.conf with KeyValueDelimiters "=" (config/accounts.go): a ':' is part of
#: the key, and a line without '=' makes go-ini refuse the file.
_EQUALS_ONLY = (0, 15)
COLON = (
    "a ':' ends this key: aerc 0.14 reads it as '=', aerc 0.15 and later do not (they refuse a line without '=', "
    "and cut the others at the '='); the file does not say which aerc it is for: read as aerc 0.14 reads it"
)

#: the first line of a file mailconf rendered (templates/aerc/accounts.conf.j2) names the version it is for; a
#: part of ten digits or more is none mailconf writes (the target refuses it), so such a line is no header of its
#: own (and int() of more than 4,300 digits raised ValueError: an internal error, exit 3)
_HEADER = re.compile(rf"# aerc \({_VERSION_PART}\.{_VERSION_PART}\) accounts written by mailconf \(target aerc\)\.")


def read(paths: Sequence[str], options: ReadOptions) -> Imported:
    found = Collector()
    for path in paths:
        text = read_text(path, "aerc's accounts.conf (~/.config/aerc/accounts.conf)")
        sections = parse_ini(text, path)
        reading = _reading(text, sections)
        equals_only = reading.since(_EQUALS_ONLY)
        if equals_only:
            sections = parse_ini(text, path, "=")
        elif equals_only is None:
            for value in (v for section in sections for v in section.keys.values() if v.colon):
                found.warn(value.where, COLON)
        default = sections[0]  # parse_ini's first: keys before the first [section], and every [DEFAULT]
        copied = reading.since(_DEFAULT_SECTION_READ)
        if default.keys and not copied:
            first = next(iter(default.keys.values())).where
            found.warn(first, "aerc skips the DEFAULT section (keys before the first [account]): not imported"
                       if copied is False else "aerc 0.14 to 0.17 skip the DEFAULT section (keys before the first "
                       "[account]), 0.18 and later copy its keys into every account: the file does not say which "
                       "aerc it is for; not imported")  # fmt: skip
        by_name = {s.name: s for s in sections}
        for section in sections[1:]:
            if copied:  # aerc 0.18+: each key DEFAULT has and the section cannot find (HasKey), in file order
                for key, value in default.keys.items():
                    if _get_key(section, key, by_name) is None:
                        section.keys[key] = value
            _account(section, by_name, found, reading)
    return found.result()


def _get_key(section: Section, key: str, by_name: dict[str, Section]) -> tuple[Section, Value] | None:
    """go-ini's Section.GetKey: the section's own key, else the nearest section named by the part of the name
    before a dot that holds it (``[a.b.c]``: ``[a.b]``, then ``[a]``); with the section it was found in."""
    name = section.name
    while True:
        here = by_name.get(name)
        if here is not None and key in here.keys:
            return here, here.keys[key]
        if "." not in name:
            return None
        name = name.rpartition(".")[0]


_VARIABLE = re.compile(r"%\(([^)]+)\)s")  # go-ini's varPattern
_DEPTH = 99  # go-ini's depthValues


def _transformed(owner: Section, key: str, value: Value, by_name: dict[str, Section]) -> str:
    """go-ini v1.67.0's Key.String (key.go, transformValue): up to 99 times, the first ``%(NAME)s`` is replaced
    everywhere by NAME's raw value, looked up from the key's own section (GetKey), or in DEFAULT when it is not
    found there or is the key itself; the first NAME found nowhere stops it."""
    text = value.text
    for _ in range(_DEPTH):
        match = _VARIABLE.search(text)
        if match is None:
            break
        found = _get_key(owner, match[1], by_name)
        if found is None or (found[0] is owner and match[1] == key):
            default = by_name["DEFAULT"].keys.get(match[1])
            if default is None:
                break
            replacement = default.text
        else:
            replacement = found[1].text
        text = text.replace(match[0], replacement)
    return text


#: the keys aerc 0.15 and later read with GetKey and Key.String (config/parse.go, config/accounts.go): a parent
#: section's when the section lacks them, every %(NAME)s replaced. The others (connection-timeout, smtp-starttls)
#: are the section's own, raw (KeysHash), as in aerc 0.14.
_LOOKED_UP = ("source", "source-cred-cmd", "outgoing", "outgoing-cred-cmd", "from")


def _keys(section: Section, by_name: dict[str, Section], found: Collector, reading: Reading) -> dict[str, Value]:
    """The values aerc reads for the section: aerc 0.14's (its own raw keys, and ``from`` from a parent section
    when it has none: go-ini's MapTo), aerc 0.15 and later's (``_LOOKED_UP``). When the file may be for either and
    a value differs, aerc 0.14's, with a warning at the line 0.15 reads it from."""
    old = dict(section.keys)
    inherited = _get_key(section, "from", by_name)
    if "from" not in old and inherited is not None:
        old["from"] = inherited[1]
    newer = reading.since(_INTERPOLATES)
    if newer is False:
        return old
    new = dict(section.keys)
    for key in _LOOKED_UP:
        got = _get_key(section, key, by_name)
        if got is not None:
            owner, value = got
            new[key] = Value(_transformed(owner, key, value, by_name), value.where)
    if newer:
        return new
    for key in _LOOKED_UP:
        later = new.get(key)
        if later is not None and later.text != (old[key].text if key in old else None):
            found.warn(later.where, f"[{shown(section.name)}] {key}: aerc 0.15 and later read another value than "
                       "0.14 here (a %(NAME)s replaced, or the key taken from the section named before the dot); "
                       "the file does not say which aerc it is for: read as aerc 0.14 reads it")  # fmt: skip
    return old


def _reading(text: str, sections: list[Section]) -> Reading:
    """The aerc the file is for: what mailconf's header says, else 0.15 and later when an outgoing URL is
    ``smtp+insecure[+AUTH]://`` (aerc 0.14 refuses it), else unknown."""
    header = _HEADER.fullmatch(text.partition("\n")[0].rstrip("\r"))
    if header is not None:
        number = (int(header[1]), int(header[2]))
        return Reading(number, number)
    for section in sections:
        outgoing = section.keys.get("outgoing")
        try:
            url = parse_url(outgoing, "outgoing") if outgoing is not None else None
        except Unreadable:
            continue  # reported when its account is read
        if url is not None and _smtp_scheme(url.scheme)[0] == "smtp+insecure":
            return Reading(_STARTTLS_BY_DEFAULT, None)
    return Reading((0, 14), None)


def _account(section: Section, by_name: dict[str, Section], found: Collector, reading: Reading) -> None:  # noqa: PLR0912
    keys = _keys(section, by_name, found, reading)
    source = keys.get("source")
    if source is None:
        found.warn(section.where, f"[{shown(section.name)}] has no source: aerc 0.14 refuses it; not imported")
        return
    url = parse_url(source, "source")
    base = (url.scheme if url is not None else "").split("+")[0]
    if url is None or base not in ("imap", "imaps"):
        found.warn(
            source.where,
            f"[{shown(section.name)}]: source is not an IMAP server ({shown(base) or 'a path'}): an account file "
            "holds IMAP and POP3 servers; not imported",
        )
        return
    lost: list[tuple[Location, str, str]] = []  # (where, side, message)
    incoming = _incoming(url, keys, lost, reading)
    if incoming is None:
        found.warn(
            source.where,
            f"[{shown(section.name)}]: aerc 0.14 does not know the scheme "
            f"{shown(url.scheme, quotes=True)}; not imported",
        )
        return
    data: dict[str, Any] = {}
    sender = keys.get("from")
    display_name, address = go_sender(sender.text) if sender is not None else ("", "")
    local, at, domain = address.rpartition("@")
    if at and len(local) >= 2 and local[0] == local[-1] == '"':  # "a..b"@example.org: the quotes are syntax
        address = re.sub(r"\\(.)", r"\1", local[1:-1]) + "@" + domain
    if not is_address(address):
        address = guess_address(incoming.get("username"), section.name, incoming["host"])
    data["address"] = address
    if display_name:
        data["display_name"] = display_name
    data["incoming"] = _ordered(incoming)
    outgoing_value = keys.get("outgoing")
    if outgoing_value is not None and outgoing_value.text:
        outgoing = _outgoing(outgoing_value, keys, lost, reading)
        if outgoing is not None:
            data["outgoing"] = _ordered(outgoing)
    name = found.add(section.name, data, section.where)
    account = ("accounts", name)
    if sender is None or not sender.text:
        found.lost(sender.where if sender is not None else section.where, (*account, "address"), _NO_FROM)
    elif not is_address(go_sender(sender.text)[1]):
        found.lost(sender.where, (*account, "address"), _BAD_FROM)
    for where, side, message in lost:
        path = (*account, side) if side else account
        if message == _PASSWORD:
            found.literal_password(where, path)
        else:
            found.lost(where, path, message)
    for key, value in section.keys.items():
        if key == "outgoing-cred-cmd-cache":
            found.lost(value.where, (*account, "outgoing"), "outgoing-cred-cmd-cache: mailconf has no such setting")
        elif key == "smtp-starttls" and reading.since(_STARTTLS_BY_DEFAULT):
            found.lost(value.where, (*account, "outgoing"), "aerc 0.15 and later ignore smtp-starttls (a popup says "
                       "so): smtp:// always sends STARTTLS, smtp+insecure:// never does")  # fmt: skip
        elif key not in _READ:
            found.lost(value.where, account, f"aerc's {shown(key)} has no place in an account file")


_ORDER = ("protocol", "host", "port", "security", "auth", "username", "password_command", "token_command",
          "mechanisms", "timeout", "tls")  # fmt: skip


def _ordered(server: dict[str, Any]) -> dict[str, Any]:
    """The settings in the order the schema documents them."""
    return {k: server[k] for k in sorted(server, key=_ORDER.index)}


def _server(url: Url, auth: str, mechanism: str | None) -> dict[str, Any]:
    server: dict[str, Any] = {"host": url.host}
    server["auth"] = auth
    if url.user and auth != "none":
        server["username"] = url.user
    if mechanism is not None:
        server["mechanisms"] = [mechanism]
    return server


#: the message of ``lost`` that stands for a literal password (Collector.literal_password says it)
_NO_FROM = "no from, and aerc refuses an account without one: this address is a guess, check it"
_BAD_FROM = (
    "no address aerc can use in from (aerc 0.14 cannot send from it, aerc 0.20 refuses the account): this one is a "
    "guess, check it"
)


def go_sender(text: str) -> tuple[str, str]:
    """(display name, address) of a ``from`` value as Go's ``net/mail.ParseAddress`` reads it (aerc's go-message):
    as Python's (:func:`parse_sender`), but for groups, which Go takes only as one group closed by ``;`` with
    nothing but white space and comments after it (``g: a@example.org;``), and Python also finds the address of in a
    group nested in another (``g:g:<a@example.org>;;``: Go parses a group's addresses without groups) or one never
    closed (``g:<a@example.org>``: Go wants a ``,`` or a ``;`` after it)."""
    return parse_sender(text) if group_marks(text) in ("", ":;") else ("", "")


_PASSWORD = ""


def _credentials(  # noqa: PLR0917
    server: dict[str, Any],
    url: Url,
    at: Location,
    command: Value | None,
    key: str,
    lost: list[tuple[Location, str, str]],
) -> None:
    """The cred command as password_command / token_command; a password in the URL noted, never copied."""
    side = "outgoing" if key.startswith("outgoing") else "incoming"
    if url.has_password:
        lost.append((at, side, _PASSWORD))
        if command is not None:
            lost.append((command.where, side, f"{key} is ignored by aerc when the URL holds a password: not imported"))
        return
    if command is None or not command.text:
        return
    if server["auth"] == "none":
        lost.append((command.where, side, f"{key} without a user in the URL (aerc logs in with an empty user name): "
                                          "not imported"))  # fmt: skip
        return
    server["token_command" if server["auth"] == "oauth2" else "password_command"] = command.text


def _incoming(
    url: Url, keys: dict[str, Value], lost: list[tuple[Location, str, str]], reading: Reading
) -> dict[str, Any] | None:
    """aerc 0.14's worker/imap/configure.go: +insecure, then +oauthbearer, then +xoauth2 are cut from the scheme;
    +insecure on imaps skips the certificate checks from aerc 0.18 on (worker/imap/connect.go)."""
    scheme = url.scheme
    insecure = scheme.endswith("+insecure")
    scheme = scheme.removesuffix("+insecure")
    bearer = scheme.endswith("+oauthbearer")
    scheme = scheme.removesuffix("+oauthbearer")
    xoauth2 = scheme.endswith("+xoauth2")
    scheme = scheme.removesuffix("+xoauth2")
    if scheme not in ("imap", "imaps"):
        return None
    source = keys["source"]
    if url.user is None:
        auth, mechanism = "none", None  # aerc logs in only when the URL names a user
    elif bearer or xoauth2:
        auth, mechanism = "oauth2", "oauthbearer" if bearer else None  # aerc prefers OAUTHBEARER when both are named
    else:
        auth, mechanism = "password", None
    server = {"protocol": "imap", **_server(url, auth, mechanism)}
    server["port"] = url.port if url.port is not None else 993 if scheme == "imaps" else 143
    # imaps+insecure is TLS all the same: aerc 0.14 to 0.17 ignore the +insecure, 0.18 and later skip the checks
    server["security"] = "tls" if scheme == "imaps" else "none" if insecure else "starttls"
    if scheme == "imaps" and insecure:
        _unverified(server, url, source, lost, reading)
    _credentials(server, url, source.where, keys.get("source-cred-cmd"), "source-cred-cmd", lost)
    if url.has_query:
        lost.append((source.where, "incoming", "the source URL's query (OAuth2 token exchange) is not imported"))
    timeout = keys.get("connection-timeout")
    if timeout is not None:
        seconds = go_duration(timeout.text)
        if seconds is None or seconds < 0:
            lost.append((timeout.where, "incoming", "connection-timeout is not a duration aerc accepts: not imported"))
        elif seconds == 0:
            lost.append((timeout.where, "incoming", "connection-timeout 0 makes aerc give up at once: not imported"))
        else:
            server["timeout"] = math.ceil(seconds)
            if server["timeout"] != seconds:
                lost.append((timeout.where, "incoming", "connection-timeout rounded up to whole seconds"))
    return server


def _unverified(
    server: dict[str, Any], url: Url, source: Value, lost: list[tuple[Location, str, str]], reading: Reading
) -> None:
    """imaps+insecure://: no certificate or host name check from aerc 0.18 on (InsecureSkipVerify), verified by
    0.14 to 0.17; a warning where the file may be for either."""
    skips = reading.since(_INSECURE_IMAPS)
    if skips:
        server["tls"] = {"verify": False}
    elif skips is None:
        lost.append((source.where, "incoming", f"{shown(url.scheme)}:// is read as aerc 0.14 to 0.17 read it "
                     "(the certificate verified); aerc 0.18 and later skip every certificate check there: if "
                     "the file is for one of them, set tls: {verify: false}"))  # fmt: skip


#: aerc's newSaslClient (0.14 and 0.20): the auth part of the outgoing scheme -> (auth, mechanisms)
_SMTP_AUTH: dict[str, tuple[str, str | None]] = {
    "": ("none", None),
    "none": ("none", None),
    "plain": ("password", None),
    "login": ("password", "login"),
    "xoauth2": ("oauth2", None),
    "oauthbearer": ("oauth2", "oauthbearer"),
}


def _smtp_scheme(scheme: str) -> tuple[str, str]:
    """(protocol, auth) as aerc 0.15 and later's lib/send/parse.go reads the outgoing scheme: ``SCHEME[+AUTH]``, or
    ``smtp+insecure[+AUTH]``; auth plain when none is named; ("", "") when it has more parts. Where aerc 0.14
    (commands/compose/send.go: ``SCHEME[+AUTH]``) sends at all, it reads the scheme the same way."""
    parts = scheme.split("+")
    if len(parts) == 3 or (len(parts) == 2 and parts[1] == "insecure"):
        return "+".join(parts[:2]), parts[2] if len(parts) == 3 else "plain"
    if len(parts) > 3:
        return "", ""
    return parts[0], parts[1] if len(parts) == 2 else "plain"


def _outgoing(
    value: Value, keys: dict[str, Value], lost: list[tuple[Location, str, str]], reading: Reading
) -> dict[str, Any] | None:
    """The outgoing URL as the aerc the file is for reads it (``reading``): smtps:// is TLS, smtp+insecure:// is
    cleartext (0.15 and later only: 0.14 refuses it), and smtp:// is STARTTLS for 0.15 and later, STARTTLS only with
    smtp-starttls = yes for 0.14."""
    url = parse_url(value, "outgoing")
    if url is None:
        lost.append((value.where, "", "outgoing is a sendmail command (aerc runs it to send): not run, not imported"))
        return None
    protocol, auth_name = _smtp_scheme(url.scheme)
    if protocol not in ("smtp", "smtps", "smtp+insecure") or auth_name not in _SMTP_AUTH:
        # aerc 0.14 sends with no scheme that 0.15 and later refuse
        lost.append(
            (value.where, "", f"aerc cannot send with the scheme {shown(url.scheme, quotes=True)}: not imported")
        )
        return None
    auth, mechanism = _SMTP_AUTH[auth_name]
    server = _server(url, auth, mechanism)
    server["port"] = url.port if url.port is not None else 465 if protocol == "smtps" else 587
    starttls = keys.get("smtp-starttls")
    if protocol == "smtps":
        server["security"] = "tls"
    elif protocol == "smtp+insecure":
        server["security"] = "none"
    elif reading.since(_STARTTLS_BY_DEFAULT) or (starttls is not None and starttls.text == "yes"):
        server["security"] = "starttls"
    else:
        server["security"] = "none"
        if reading.since(_STARTTLS_BY_DEFAULT) is None:
            lost.append((value.where, "outgoing", f"{shown(url.scheme)}:// without smtp-starttls = yes is read as "
                         "aerc 0.14 reads it (security none); aerc 0.15 and later send STARTTLS there: "
                         "if the file is for one of them, set security: starttls"))  # fmt: skip
        if starttls is not None:
            lost.append((starttls.where, "outgoing", "aerc 0.14 turns STARTTLS on only for smtp-starttls = yes: "
                                                     "this value leaves it off (security none)"))  # fmt: skip
    if auth != "none" and not url.user:
        lost.append((value.where, "outgoing", "no user in the outgoing URL: aerc logs in with an empty user name"))
    _credentials(server, url, value.where, keys.get("outgoing-cred-cmd"), "outgoing-cred-cmd", lost)
    if url.has_query:
        lost.append((value.where, "outgoing", "the outgoing URL's query (OAuth2 token exchange) is not imported"))
    return server


_DURATION = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)")
_UNIT = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
#: a Duration is an int64 of nanoseconds: ParseDuration refuses a longer one ("invalid duration")
_MAX_SECONDS = (2**63 - 1) / 1e9


def go_duration(text: str) -> float | None:
    """Seconds, as Go's time.ParseDuration reads ``text`` ("45s", "1m30s", "-1h", "0"); None if it cannot."""
    sign = -1 if text.startswith("-") else 1
    body = text[1:] if text[:1] in "+-" else text
    if body == "0":
        return 0.0
    if not body:
        return None
    total, pos = 0.0, 0
    while pos < len(body):
        match = _DURATION.match(body, pos)
        if match is None or match.group(1) in ("", "."):
            return None
        total += float(match.group(1)) * _UNIT[match.group(2)]
        pos = match.end()
    return sign * total if total <= _MAX_SECONDS else None  # also inf, from hundreds of digits
