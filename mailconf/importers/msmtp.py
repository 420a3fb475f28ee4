r"""``mailconf import --from msmtp ~/.msmtprc`` reads an msmtp configuration: one account per
``account`` block that names a ``host``, with ``defaults`` and ``account NAME : OTHER`` inheritance
applied as msmtp applies them: an account inherits what each account it names set itself or inherited, in order, not
what that one had from ``defaults`` (``account c : a, b`` has a's port where b sets none). ``account default :
NAME``, which sets nothing itself, picks msmtp's default and is skipped where that is one of the accounts it names as
it is, or imports as one of them (a setting restated with the value it has, ``tls on`` after ``account default :
work`` where work has it on, changes nothing): that account is then written first, as ``mailconf render --target
msmtp`` makes the first account msmtp's default (``account default : FIRST``), so that ``msmtp`` without ``-a`` still
sends through it (msmtp's order of accounts means nothing else); where it is none of them (two accounts merged, or a
``defaults`` section changed after NAME), it is the account ``default``. A command after it that the account file
has no place for (``account default : work`` then ``logfile ~/.msmtp.log``, as published msmtprc files end) is reported
at its line and does not make it another account: it was imported as ``default``, a second account with work's very
server (lint: MC702).

| msmtprc | account file |
|---|---|
| ``host``, ``port`` (absent: 465 with ``tls_starttls off``, else 25, as msmtp) | ``outgoing.host``, ``port`` |
| ``tls off`` / ``tls on`` + ``tls_starttls on`` / ``off`` | ``security: none`` / ``starttls`` / ``tls`` |
| ``tls_trust_file`` (not ``system``), ``tls_fingerprint``, ``tls_certcheck off`` | ``tls.ca_file``,
  ``tls.fingerprint`` (sha256/sha1/md5 by length), ``tls.verify: false`` |
| ``tls_priorities`` as mailconf writes it | ``tls.min_version`` |
| ``tls_cert_file``, ``tls_key_file`` | ``tls.client_cert``, ``tls.client_key`` |
| ``auth off`` / ``on`` / ``plain`` ... / ``gssapi`` / ``ntlm`` / ``external`` / ``xoauth2`` /
  ``oauthbearer`` | ``auth: none`` / ``password`` / ``password`` + ``mechanisms: [plain]`` / ``gssapi`` / ``ntlm`` /
  ``client-cert`` / ``oauth2`` / ``oauth2`` + ``mechanisms: [oauthbearer]`` |
| ``user``, ``passwordeval`` | ``username``, ``password_command`` (``token_command`` with oauth2) |
| ``from`` | ``address`` (absent, a wildcard pattern such as ``*@example.com`` or one with ``%U``, ``%H``, ``%C`` or
  ``%M``, which msmtp matches or fills in when it sends (reported): ``user`` when it is an address, else a guess that
  the output comments) |
| ``timeout N`` (or ``connect_timeout N``) / ``off`` | ``timeout: N`` / ``0`` |

Never run: ``passwordeval`` is copied as text, ``eval`` is reported and not imported. A literal ``password`` is not
copied (a comment and a warning tell you to use a password command). Everything else msmtp knows (``logfile``,
``aliases``, ``domain``, ``dsn_*`` ...) has no place in an account file: a comment and a warning name its line.
``protocol smtp`` is msmtp's default and what an account file means: nothing is said of it. ``protocol lmtp`` hands
mail to a mail store's delivery service (LMTP), not to an SMTP server: that account is left out, with a warning at
the line. msmtp ends lines at LF only (a CR before it is a blank): a carriage return inside a line, as a file saved with
carriage-return line ends has, is refused at its place (exit 2), since msmtp would read what follows it (a password,
say) as part of the value. An account name given twice stops the import with its line (exit 2), as msmtp refuses such a
file; so does an ``account`` line that misses a name, before the colon or after it (``account``, ``account : work``,
``account default :``, ``account b : a,``), or whose name holds a comma, or that inherits from an account not defined
before it (``account default : work`` before ``account work``, or without one); so does an argument msmtp refuses for
``tls``, ``tls_starttls``, ``tls_certcheck`` (``on``, ``off`` or nothing, in lower case: ``tls ON`` or ``tls yes`` is no
TLS to the import, and no mail to msmtp), ``auth`` (``auth PLAIN``) or ``protocol`` (``smtp`` or ``lmtp``). A bare
``tls`` or ``auth`` is ``on``. A port or timeout is read as msmtp reads it (C's ``strtol``): ``0x24B`` is 587 and
``010`` is 8 (octal); ``0587``, which msmtp refuses, stops the import. So does every other port or timeout msmtp refuses
(``port abc``, ``port 0``, ``port 70000``; ``timeout 0``: msmtp takes a timeout from 1 second, and ``off`` for none), a
``tls_fingerprint`` that is not 16, 20 or 32 colon-separated hexadecimal pairs, and ``host``, ``port``, ``timeout``,
``eval`` or ``protocol`` without an argument: the import stopped at these only where msmtp does, instead of leaving the
account out. A command msmtp does not know is reported (its line, "has no place in an account file") and the import goes
on, since a newer msmtp may know it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ..model import Location
from ..targets.msmtp import _PRIORITIES
from . import Imported, ReadOptions, Unreadable
from ._base import Collector, guess_address, is_address, read_text, shown, strtol

NAME = "msmtp"
TITLE = "msmtp: ~/.msmtprc (outgoing servers)"

_MIN_VERSION = {priorities: version for version, priorities in _PRIORITIES.items()}
_MECHANISMS = ("plain", "login", "scram-sha-1", "scram-sha-256", "cram-md5", "digest-md5")
_AUTH = {"off": "none", "on": "password", "": "password", "gssapi": "gssapi", "ntlm": "ntlm", "external": "client-cert"}
_OAUTH = ("xoauth2", "oauthbearer")
_FINGERPRINT_BYTES = {32: "sha256", 20: "sha1", 16: "md5"}
_READ = frozenset(
    [
        "host",
        "port",
        "tls",
        "tls_starttls",
        "tls_trust_file",
        "tls_fingerprint",
        "tls_certcheck",
        "tls_priorities",
        "tls_cert_file",
        "tls_key_file",
        "auth",
        "user",
        "passwordeval",
        "password",
        "from",
        "timeout",
        "eval",
        "protocol",
    ]
)

Settings = dict[str, tuple[str, Location]]
_WORDS = re.compile(r"(\S+)\s*(.*)", re.DOTALL)


def read(paths: Sequence[str], options: ReadOptions) -> Imported:
    found = Collector()
    chosen = [_read_file(path, found) for path in paths]
    default = next((name for name in chosen if name is not None), None)
    if default is not None:  # render -t msmtp makes the first account msmtp's default (or one named default): keep it
        found.default(default, first=default != "default")
    return found.result()


def _read_file(path: str, found: Collector) -> str | None:
    """Read one msmtprc into ``found``; the name in the account file of msmtp's default account: the one ``account
    default : NAME`` picks, or the account ``default`` (None: the file names none, or it is not imported)."""
    text = read_text(path, "an msmtp configuration file (~/.msmtprc)", refused_by="msmtp")
    defaults: Settings = {}
    blocks: dict[str, tuple[Settings, Location]] = {}
    inherits: dict[str, list[str]] = {}  # the accounts defined before it that an account inherits from
    #: what each account sets itself or has from the accounts it inherits from, not from defaults: what msmtp hands on
    #: to an account that inherits from it (account_merge copies the settings an account's mask holds)
    handed: dict[str, Settings] = {}
    current: Settings = defaults
    mine: Settings = {}  # what the account being read hands on (nothing, in a defaults section)
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if "\r" in line:  # msmtp ends lines at LF only: a CR inside one is part of the value (never shown here)
            raise Unreadable(
                Location(path, number, raw.index("\r", len(raw) - len(raw.lstrip())) + 1),
                "a carriage return inside a line: msmtp reads it as part of the value, not as a line end",
                "save the file with Unix (LF) line ends",
            )
        command, rest = _WORDS.fullmatch(line).groups()  # type: ignore[union-attr]  # a stripped line matches
        argument = _argument(rest)
        indent = len(raw) - len(raw.lstrip())
        where = Location(path, number, indent + 1)
        after = raw[indent + len(command) :]
        arguments_at = Location(path, number, len(raw) - len(after.lstrip()) + 1)
        _check(command, argument, arguments_at)
        command = _ALIASES.get(command, command)
        if command == "defaults":
            current, mine = defaults, {}
        elif command == "account":
            name, parents = _account_line(argument, blocks, where, arguments_at)
            mine = {}
            for parent in parents:  # `account c : a, b`: b's own port wins over a's, a's over the defaults'
                mine.update(handed[parent])
            current = defaults | mine
            inherits[name] = parents
            blocks[name] = (current, where)
            handed[name] = mine
        else:
            current[command] = mine[command] = (argument, where)
    return _import(blocks, inherits, found)


def _import(
    blocks: dict[str, tuple[Settings, Location]], inherits: dict[str, list[str]], found: Collector
) -> str | None:
    """Import the accounts of one file; the name in the account file of msmtp's default account, as ``_read_file``."""
    imported: dict[str, str] = {}  # each account imported: the name it has in the account file
    picked: str | None = None
    for name, (settings, where) in blocks.items():
        if name == "default":
            picked = _picks(settings, inherits[name], blocks, imported, found)
            if picked is not None:
                continue  # only chooses msmtp's default account: one of the others, as the account file has it
        if "host" not in settings:
            if name != "default":
                found.warn(where, f"account {shown(name)}: names no host; not imported")
            continue
        if "protocol" in settings and settings["protocol"][0] == "lmtp":
            found.warn(
                settings["protocol"][1],
                f"account {shown(name)}: protocol lmtp hands mail to a mail store's delivery service (LMTP), not to "
                "an SMTP server as an account file describes; not imported",
            )
            continue
        imported[name] = _account(name, settings, where, found)
    return imported.get(picked if picked is not None else "default")  # an account named default is msmtp's


def _picks(
    settings: Settings,
    parents: list[str],
    blocks: dict[str, tuple[Settings, Location]],
    imported: dict[str, str],
    found: Collector,
) -> str | None:
    """Which of its parents ``account default : PARENT, ...`` is as the account file has it (it only picks msmtp's
    default account), or None; what it sets of its own (a ``logfile``) is then said at the account it is."""
    same = next((parent for parent in parents if _same(parent, settings, blocks[parent][0])), None)
    if same is None:
        return None
    for command, (argument, at) in settings.items():
        if command not in _READ and blocks[same][0].get(command) != (argument, at):
            message = f"msmtp's {shown(command)} has no place in an account file"
            if same in imported:
                found.lost(at, ("accounts", imported[same], "outgoing"), message)
            else:
                found.warn(at, message)
    return same


def _held(settings: Settings) -> Settings:
    """What the import reads of an account's settings: two accounts that differ only in the rest (a ``logfile``, an
    ``aliases`` file) are one account to the account file."""
    return {command: value for command, value in settings.items() if command in _READ}


#: what the import reads and says of an account without putting it into the account (a literal password, an eval, a
#: tls_priorities it knows no version of, protocol lmtp): an account that differs in them is another account
_SAID = frozenset(["password", "eval", "tls_priorities", "protocol"])


def _same(parent: str, settings: Settings, parents: Settings) -> bool:
    """Whether an account of ``settings`` is the one of ``parents`` (named ``parent``) to the account file: the same
    commands the import reads, or the same account imported from them (``tls off``, ``port 25`` or ``from`` restated
    with the value they have: msmtp's default account is then that very account)."""
    if _held(settings) == _held(parents):
        return True
    if "host" not in settings or "host" not in parents:
        return False
    said = [{command: value for command, value in s.items() if command in _SAID} for s in (settings, parents)]
    return said[0] == said[1] and _entry(parent, settings) == _entry(parent, parents)


def _account_line(
    argument: str, blocks: dict[str, tuple[Settings, Location]], where: Location, arguments_at: Location
) -> tuple[str, list[str]]:
    """The name of ``account NAME : PARENT, ...`` and the accounts it inherits from, checked in msmtp's order (1.8.23,
    ``msmtp --pretend``): each parent, then the name, then that it is new. Any fault makes msmtp refuse the file."""
    name, colon, listed = argument.partition(":")
    name = name.strip()
    parents = [parent.strip() for parent in listed.split(",")] if colon else []
    for parent in parents:
        if not parent:  # account default :, account b : a,
            raise Unreadable(
                arguments_at,
                f"account {shown(argument, quotes=True)}: missing account name after the colon: msmtp refuses the file",
                "name each account it inherits from after the colon, separated by commas (account NAME : OTHER), "
                "or remove the colon",
            )
        if parent not in blocks:  # account default : x, before x or without it
            raise Unreadable(
                arguments_at,
                f"account {shown(parent, quotes=True)} not (yet) defined: this account inherits from it, and msmtp "
                "refuses the file",
                f"define account {shown(parent)} before this one, or remove it from the list",
            )
    if not name:
        raise Unreadable(
            arguments_at, "missing account name: msmtp refuses the file", "write the account's name after account"
        )
    if "," in name:
        raise Unreadable(
            arguments_at,
            f"account name {shown(name, quotes=True)}: an account name must not contain colons or commas: msmtp "
            "refuses the file",
            "rename the account",
        )
    if name in blocks:  # msmtp: "account NAME was already defined", and it reads nothing of the file
        raise Unreadable(
            where,
            f"account {shown(name)} was already defined (line {blocks[name][1].line}): msmtp refuses the file",
            "give each account its own name",
        )
    return name, parents


#: msmtp's older names, which it still reads as the command they stand for
_ALIASES = {"connect_timeout": "timeout"}
#: the arguments msmtp takes, exactly (no other case, no yes/no), for the commands read here; any other makes msmtp
#: refuse the whole file ("invalid argument ON for command tls"), where the import read `tls ON` as off
_ON_OFF = ("", "on", "off")
_ARGUMENTS = {
    "tls": _ON_OFF,
    "tls_starttls": _ON_OFF,
    "tls_certcheck": _ON_OFF,
    "auth": (*_ON_OFF, *_MECHANISMS, *_OAUTH, "gssapi", "ntlm", "external"),
    "protocol": ("smtp", "lmtp"),
}


def _check(command: str, argument: str, where: Location) -> None:
    """Refuse an argument msmtp refuses for a command whose value the import reads: msmtp refuses the whole file
    there, and what the import would make of it (`tls ON` as off, `auth PLAIN` as plain, `port abc` as an account
    the schema leaves out) is not what the user has. Checked against ``msmtp --pretend`` 1.8.23."""
    if command in _NEEDS_ARGUMENT and not argument:
        raise Unreadable(
            where,
            f"command {command} needs an argument: msmtp refuses the file",
            f"write a value after {command}, or remove the line",
        )
    if command in ("port", "timeout", "connect_timeout") and re.fullmatch("[+]?0[0-9]*[89][0-9]*", argument):
        raise Unreadable(
            where,
            f"{command} {shown(argument)}: msmtp reads a number that starts with 0 as octal, which has no 8 or 9, "
            "and refuses the file",
            f"write {shown(argument.lstrip('+0'))}, without the leading 0",
        )
    allowed = _ARGUMENTS.get(command)
    if allowed is not None:
        if argument in allowed:
            return
        choices = ", ".join(a for a in allowed if a)
        fix = f"write one of {choices} (in lower case){' or nothing' if '' in allowed else ''}"
    elif command == "port":
        if 1 <= (_c_int(argument) or 0) <= _MAX_PORT:
            return
        fix = f"write a port number from 1 to {_MAX_PORT}"
    elif command in ("timeout", "connect_timeout"):
        if argument == "off" or _c_int(argument) is not None:
            return
        fix = "write a number of seconds from 1 up, or off (in lower case) for no time limit"
    elif command == "tls_fingerprint":
        if not argument or _FINGERPRINT.fullmatch(argument):
            return
        fix = "write the certificate's SHA-256 fingerprint as 32 pairs of hexadecimal digits separated by colons"
    else:
        return
    raise Unreadable(
        where, f"invalid argument {shown(argument, quotes=True)} for command {command}: msmtp refuses the file", fix
    )


def _argument(rest: str) -> str:
    """msmtp's argument: the rest of the line, trimmed, with one outer pair of double quotes removed."""
    value = rest.strip()
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return value[1:-1]
    return value


def _account(wanted: str, settings: Settings, where: Location, found: Collector) -> str:
    entry, guessed = _entry(wanted, settings)
    name = found.add(wanted, entry, where)
    base = ("accounts", name)
    pattern = _from_pattern(settings["from"][0]) if "from" in settings else None
    if pattern is not None:
        found.lost(settings["from"][1], (*base, "address"), f"{pattern}: this address is a guess, check it")
    elif guessed:
        found.lost(where, (*base, "address"), "msmtp names no from address here: this address is a guess, check it")
    _unheld(settings, name, entry["outgoing"]["security"] != "none", found)
    return name


def _entry(wanted: str, settings: Settings) -> tuple[dict[str, Any], bool]:  # noqa: PLR0912, PLR0915
    """The account ``settings`` import to, named ``wanted``, and whether its address is a guess."""

    def value(command: str) -> str | None:
        return settings[command][0] if command in settings else None

    server: dict[str, Any] = {"host": value("host")}
    tls = value("tls") in ("on", "")
    starttls = value("tls_starttls") not in ("off",)
    security = "none" if not tls else "starttls" if starttls else "tls"
    port = value("port")
    server["port"] = _number(port) if port is not None else (465 if security == "tls" else 25)
    server["security"] = security
    auth = value("auth")
    auth = "off" if auth is None else auth  # a bare `auth` is `auth on`, as for tls
    mechanisms: list[str] = []
    if auth in _OAUTH:
        server["auth"] = "oauth2"
        if auth == "oauthbearer":
            mechanisms = [auth]
    elif auth in _MECHANISMS:
        server["auth"] = "password"
        mechanisms = [auth]
    else:
        server["auth"] = _AUTH.get(auth, auth)
    user = value("user")
    if user:
        server["username"] = user
    command = value("passwordeval")
    if command:
        server["token_command" if server["auth"] == "oauth2" else "password_command"] = command
    if mechanisms:
        server["mechanisms"] = mechanisms
    tls_data: dict[str, Any] = {}
    if tls:
        trust = value("tls_trust_file")
        if trust and trust != "system":
            tls_data["ca_file"] = trust
        pin = value("tls_fingerprint")
        if pin:
            tls_data["fingerprint"] = _fingerprint(pin)
        if value("tls_certcheck") == "off":
            tls_data["verify"] = False
        priorities = value("tls_priorities")
        if priorities is not None and priorities in _MIN_VERSION:
            tls_data["min_version"] = _MIN_VERSION[priorities]
        for command, key in (("tls_cert_file", "client_cert"), ("tls_key_file", "client_key")):
            if value(command):
                tls_data[key] = value(command)
    if tls_data:
        server["tls"] = tls_data
    timeout = value("timeout")
    if timeout is not None:
        server["timeout"] = 0 if timeout == "off" else _number(timeout)
    address = value("from")
    guessed = False
    if not address or _from_pattern(address):
        address = guess_address(user, wanted, server["host"])
        guessed = not is_address(user)
    return {"address": address, "outgoing": server}, guessed


#: msmtp's from: a wildcard pattern where it holds ?, * or [; %U, %H, %C and %M replaced when it sends
_WILDCARD = re.compile(r"[?*\[]")
_SUBSTITUTION = re.compile(r"%[UHCM]")


def _from_pattern(address: str) -> str | None:
    """Why msmtp's ``from`` is no address of the account (a wildcard pattern, a substitution), or None."""
    if _WILDCARD.search(address):
        return (
            f"from {shown(address)} is a wildcard pattern msmtp matches the envelope-from address against (--from, "
            "--read-envelope-from), not the account's address"
        )
    if _SUBSTITUTION.search(address):
        return (
            f"from {shown(address)}: msmtp replaces %U, %H, %C and %M in it when it sends, as the account file cannot"
        )
    return None


def _unheld(settings: Settings, name: str, tls: bool, found: Collector) -> None:
    """Comments and warnings for what the account file cannot hold."""
    side = ("accounts", name, "outgoing")
    for command, (argument, where) in settings.items():
        if command == "password":
            found.literal_password(where, side)
        elif command == "eval":
            found.lost(where, side, "eval runs a command to produce settings: not run, not imported")
        elif command == "tls_priorities" and argument not in _MIN_VERSION and tls:
            found.lost(
                where,
                side,
                f"tls_priorities {shown(argument, quotes=True)} is not a minimum TLS version mailconf knows",
            )
        elif command not in _READ:
            found.lost(where, side, f"msmtp's {shown(command)} has no place in an account file")


_INT_MAX = 2**31 - 1
_MAX_PORT = 65535
#: msmtp's tls_fingerprint: an MD5, SHA-1 or SHA-256 digest, two hexadecimal digits per byte, colons between
_FINGERPRINT = re.compile(r"[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){15}(?:(?::[0-9A-Fa-f]{2}){4}|(?::[0-9A-Fa-f]{2}){16})?")
#: the commands the import reads that msmtp refuses without an argument
_NEEDS_ARGUMENT = frozenset(["host", "port", "timeout", "connect_timeout", "eval", "protocol"])


def _c_int(text: str) -> int | None:
    """The number msmtp's get_pos_int reads (``010`` is 8, ``0x24B`` is 587, `` 25`` is 25); None where it refuses
    the argument (not a number, something after it, below 1, past INT_MAX)."""
    number = strtol(text, 0)  # get_pos_int: strtol with base 0, whole, then 1 to INT_MAX
    return number if number is not None and 1 <= number <= _INT_MAX else None


def _number(text: str) -> int:
    """A port or timeout :func:`_check` let through, as msmtp reads it."""
    number = _c_int(text)
    assert number is not None, text  # _check refused every argument msmtp refuses
    return number


def _fingerprint(text: str) -> str:
    hexpairs = text.upper().split(":")
    algorithm = _FINGERPRINT_BYTES.get(len(hexpairs), "sha256")
    return f"{algorithm}:{text.upper()}"
