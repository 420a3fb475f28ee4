r"""``mailconf import --from thunderbird PROFILE`` reads Thunderbird's accounts from a profile
directory (its ``prefs.js``, then ``user.js``, which wins, as at Thunderbird's start), or from one
``prefs.js`` or ``user.js`` file. A pref set twice is read as Thunderbird reads it: the last ``user_pref``
wins, else the last ``pref``; a value of another type than the pref's default is ignored; ``sticky`` and
``locked`` are syntax errors in these files. A value of another type than Thunderbird reads (a ``port`` or
``mailnews.tcptimeout`` in quotes, a ``hostname`` without) is ignored as Thunderbird ignores it, which then uses
the pref's default (IMAP with ``socketType`` 3 on port 993), and a warning at its line says so (a port
``"993abc"`` too: libpref's getIntPref refuses a string pref, whatever it holds; nothing parses its digits); so
is a value of another type than the one set before it in the files, which Thunderbird drops (the built-in defaults of
Thunderbird's own ``mailnews.js`` are not read: each pref the import reads has the type Thunderbird reads it as).
``cert_override.txt`` in the same directory gives SHA-256 pins.
In a profile directory, a ``user.js`` (or any of the three) linked to ``/dev/null`` is read as the
empty file Thunderbird sees; one that is a directory, a FIFO, a device or a link to nothing is not
read, with a warning (exit 1: what it holds is not in the output), and when it is the only
``prefs.js``/``user.js`` there, the import stops (exit 2).

The files are read by a tokenizer of Mozilla's prefs grammar (nothing is evaluated), checked
against Thunderbird's own parser. A syntax error is reported with its line and column and the
reader goes on after the next ``;``, as Thunderbird does.

| prefs | account file |
|---|---|
| ``mail.accountmanager.accounts``, ``mail.account.X.server`` / ``.identities`` (the first identity; the
  others, each an address the account sends from, are reported) | one account per mail account (``imap`` and
  ``pop3`` servers; Local Folders, news and feeds are skipped) |
| ``mail.server.K.name`` | the account name |
| ``mail.server.K.type``, ``hostname``, ``port``, ``userName`` | ``incoming`` protocol, host, port, username |
| ``socketType`` (SMTP: ``try_ssl``) 0 / 2 / 3 | ``security: none`` / ``starttls`` / ``tls`` |
| ``authMethod`` 1 / 3 / 4 / 5 / 6 / 7 / 8 / 10 | ``auth: none`` / ``password`` / ``password`` + ``mechanisms:
  [cram-md5]`` / ``gssapi`` / ``ntlm`` / ``client-cert`` / ``password`` + ``[cram-md5]`` (a warning) / ``oauth2`` |
| ``leave_on_server``, ``delete_by_age_from_server`` + ``num_days_to_leave_on_server``
  (POP3) | ``leave_on_server``, ``leave_days`` |
| ``mail.identity.I.useremail``, ``fullName``, ``organization`` | ``address``, ``display_name``, ``organization`` |
| the identity's ``smtpServer`` (or ``mail.smtp.defaultserver``): ``mail.smtpserver.S.*`` | ``outgoing`` |
| ``mailnews.tcptimeout``, ``security.tls.version.min`` 1-4 | ``timeout``, ``tls.min_version`` on every server |
| a ``cert_override.txt`` line for the server's ``host:port`` (SHA-256) | ``tls.fingerprint`` |

The accounts are the ones Thunderbird 153 loads (checked against it): ``mail.accountmanager.accounts`` is split at
commas without trimming, so a key with spaces around it loads no account (a warning); an empty entry, a repeated key
and a key without ``mail.account.X.server`` are skipped; an account whose server an earlier account has, or has the
type, host name (ignoring ASCII case), port and ``userName`` of an earlier account's server (one without
``userName`` matches any), or whose server has no ``hostname``, is not loaded (a warning).
``mail.accountmanager.defaultaccount`` only picks Thunderbird's default account; the import keeps the listed order.
The identity keys are trimmed, as Thunderbird trims them. An identity without ``smtpServer`` sends through
``mail.smtp.defaultserver``, or, without it, the first server of ``mail.smtpservers``; a server not in
``mail.smtpservers`` is none for Thunderbird, so the account has no ``outgoing`` (a warning), and so does one whose
server has no ``hostname``, which Thunderbird cannot send through.
A ``port`` of 0 or below (POP3: 1 or below) is the default for the protocol and TLS.

``socketType`` absent with the legacy ``isSecure`` true is SSL/TLS, as Thunderbird reads it. ``socketType`` 1
(trySTARTTLS, removed from Thunderbird) is ``starttls`` when ``mail.ui-rdf.version`` is 1-43: Thunderbird's
migration rewrites it to 2 at its next start; otherwise it, like any value but 0, 2 and 3, is one Thunderbird
encrypts nothing for (only 2 and 3 use TLS), so it is imported as ``security: none`` with a warning: never a silent
downgrade. ``authMethod`` 8 (CRAM-MD5, else GSSAPI or XOAUTH2) is ``password`` with ``mechanisms: [cram-md5]`` and a
warning; a value not in the table (0, 2 "old", 9 "anything", above 10) is ``password`` with a warning. POP3
``leave_days`` comes from ``delete_by_age_from_server`` ("For at most N days"), not ``delete_mail_left_on_server``
("Until I delete them"), which has no account-file setting. A POP3 server's ``deferred_to_account`` (the "Global
Inbox": its mail is kept in another account's Inbox and folders) has none either: the account is imported as one of
its own, with a warning and a comment naming where Thunderbird keeps its mail (the named account, or Local Folders
when the key names no account Thunderbird loads, one it drops as a duplicate included, or a hidden server, as
Thunderbird 153 itself falls back); a client set up from the account file keeps that mail apart. A POP3 account
deferred to itself is one Thunderbird fetches no mail for ("cannot be deferred to itself", checked against
Thunderbird 153): a warning says so, and the account is imported with folders of its own. IMAP servers ignore the
pref, and so does the import.

Thunderbird writes no pref equal to its default into ``prefs.js``, so its default and no pref
are one case: ``security.tls.version.min`` absent or 3 (TLS 1.2, Thunderbird 153's default) and
``mailnews.tcptimeout`` absent or 100 give no ``min_version`` and no ``timeout`` (the client's
default); drift is then never reported for them.

Thunderbird keeps passwords in its password manager (``logins.json``), which is not read: add a
``password_command`` yourself. A CA imported into the profile's certificate store (``cert9.db``)
is not read either: add ``tls.ca_file``.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from ..errors import counted
from ..hostnames import ascii_lower
from ..model import Location
from . import Imported, ReadOptions, Unreadable
from ._base import STDIN, Collector, read_text, shown
from ._prefs import TYPE_WORDS, PrefValue, Slot, parse, set_pref, value_type

NAME = "thunderbird"
TITLE = "Thunderbird: a profile directory, prefs.js or user.js"

_SECURITY = {0: "none", 2: "starttls", 3: "tls"}
_AUTH = {1: "none", 3: "password", 4: "password", 5: "gssapi", 6: "ntlm", 7: "client-cert", 10: "oauth2"}
_TLS_VERSION = {1: "1.0", 2: "1.1", 3: "1.2", 4: "1.3"}
#: Thunderbird 153's defaults (mailnews.js, all.js): prefs.js never holds a pref equal to them
_DEFAULT_TIMEOUT = 100
_DEFAULT_TLS = "1.2"
_SHA256_OID = "OID.2.16.840.1.101.3.4.2.1"
_PORTS = {("imap", True): 993, ("imap", False): 143, ("pop3", True): 995, ("pop3", False): 110}

Prefs = dict[str, tuple[PrefValue, Location]]

#: the type Thunderbird's mail code reads each pref the import reads as (nsMsgIncomingServer's GetIntValue,
#: GetBoolValue and GetCharValue, nsMsgIdentity's alike; libpref itself for the two with a built-in default): a
#: value of another type is not read, and the pref's default is used (a port "1993" leaves IMAP on 993)
_INT_PREFS = frozenset(["port", "socketType", "try_ssl", "authMethod", "num_days_to_leave_on_server"])
_BOOL_PREFS = frozenset(["leave_on_server", "delete_by_age_from_server", "isSecure", "hidden"])
_GLOBAL_TYPES = {"mailnews.tcptimeout": int, "security.tls.version.min": int, "mail.ui-rdf.version": int}
#: MailMigrator: a profile whose mail.ui-rdf.version is below 44 (and not 0, a new profile) has each socketType /
#: try_ssl 1 (trySTARTTLS, gone from Thunderbird) rewritten to 2 at the next start
_MIGRATES_SOCKET_1 = 44
#: what Thunderbird 153 does with an authMethod the table does not map: words for the warning, and the import
_AUTH_ODD = {
    8: "'encrypted password or Kerberos': Thunderbird tries CRAM-MD5 first (then GSSAPI; SMTP: XOAUTH2)",
}
#: how each type is written in a prefs file
_HOW = {int: "write the number without quotes", bool: "write true or false, without quotes", str: "quote it"}
#: the prefs whose values set_pref() dropping for their type is said (every pref the import reads is one of them)
_MAIL_PREFS = ("mail.", *_GLOBAL_TYPES)


def _read_as(name: str) -> type:
    """The type Thunderbird reads the pref ``name`` as (one the import reads)."""
    leaf = name.rpartition(".")[2]
    return _GLOBAL_TYPES.get(name) or (int if leaf in _INT_PREFS else bool if leaf in _BOOL_PREFS else str)


def read(paths: Sequence[str], options: ReadOptions) -> Imported:
    found = Collector()
    for path in paths:
        files = _profile_files(path, found)
        slots: dict[str, Slot[Location]] = {}
        for file in files:
            _read_prefs(file, slots, found)
        prefs: Prefs = {name: slot.value for name, slot in slots.items()}
        if path == STDIN:  # prefs.js on standard input: no profile directory, so no cert_override.txt beside it
            pins: dict[str, str] = {}
        else:
            directory = path if os.path.isdir(path) else os.path.dirname(path) or "."
            pins = _pins(os.path.join(directory, "cert_override.txt"), found)
        _accounts(files[0] if files else os.path.join(path, "prefs.js"), prefs, pins, found)
    return found.result()


def _profile_files(path: str, found: Collector) -> list[str]:
    """The profile's prefs.js and user.js that are files; one that is something else is said, not skipped silently."""
    if not os.path.isdir(path):
        return [path]
    files: list[str] = []
    empty = False
    odd: list[tuple[Location, str]] = []  # (where, what it is instead of a file)
    for name in ("prefs.js", "user.js"):
        file = os.path.join(path, name)
        kind = _not_a_file(file)
        if kind is None:
            files.append(file)
        elif kind == _EMPTY:
            empty = True
        elif kind != _ABSENT:
            odd.append((Location(file, 1, 1), f"{name} is {kind}, not a file"))
    if odd and not files and not empty:
        raise Unreadable(odd[0][0].path, odd[0][1], "replace it with the file Thunderbird writes")  # no line: a file
    for where, what in odd:  # what is lost may be every account: said, and the exit code is 1
        found.warn(where, f"{what}: not read")
    if not files and not empty:
        raise Unreadable(
            path,
            "a directory without prefs.js or user.js",
            "name a Thunderbird profile directory (Help > Troubleshooting Information)",
        )
    return files


#: what _not_a_file says of a file that is not there, and of /dev/null (a real setup: a user.js linked to it keeps
#: a profile from being configured by one; Thunderbird reads it as an empty file, and so does this import)
_ABSENT = "absent"
_EMPTY = "empty"


def _not_a_file(path: str) -> str | None:
    """None for a regular file (through links); else what it is: _ABSENT, _EMPTY (/dev/null), or words for a
    message (a FIFO (named pipe), a directory, a character device ...), which Thunderbird cannot read as prefs."""
    from ..output import file_kind

    try:
        info = os.stat(path)
    except FileNotFoundError:
        return "a link to nothing" if os.path.islink(path) else _ABSENT
    except OSError as exc:
        return f"unreadable ({exc.strerror or type(exc).__name__})"
    kind = file_kind(info.st_mode)
    if kind is not None and stat.S_ISCHR(info.st_mode) and os.path.samestat(info, os.stat(os.devnull)):
        return _EMPTY
    return kind


def _read_prefs(path: str, slots: dict[str, Slot[Location]], found: Collector) -> None:
    parsed = parse(read_text(path, "a Thunderbird prefs.js, user.js or profile directory"), attributes=False)
    for error in parsed.errors:
        found.warn(
            Location(path, error.line, error.column),
            f"prefs syntax error: {error.message}; Thunderbird skips to the next ';' (so does this import)",
        )
    for pref in parsed.prefs:
        where = Location(path, pref.line, pref.column)
        held = slots.get(pref.name)
        slots[pref.name] = set_pref(held, pref, where)
        dropped = held is not None and slots[pref.name] is held and value_type(pref.value) is not held.type
        if held is not None and dropped and pref.name.startswith(_MAIL_PREFS):  # libpref keeps the pref's type
            before = (held.default or held.user or (None, where))[1]
            found.warn(
                where,
                f"{shown(pref.name)}: {TYPE_WORDS[value_type(pref.value)]}, where the value set before it "
                f"({before}) is {TYPE_WORDS[held.type]}: Thunderbird ignores this value (so does this import); "
                f"{_HOW[held.type]}",
            )


def _pins(path: str, found: Collector) -> dict[str, str]:
    """host:port -> "sha256:AB:..." from Thunderbird's certificate-exception file."""
    kind = _not_a_file(path)
    if kind in (_ABSENT, _EMPTY):
        return {}
    if kind is not None:
        found.warn(Location(path, 1, 1), f"cert_override.txt is {kind}, not a file: not read (no tls.fingerprint)")
        return {}
    pins: dict[str, str] = {}
    for number, line in enumerate(read_text(path, "cert_override.txt").split("\n"), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) < 3:
            found.warn(Location(path, number, 1), "not a certificate override line; skipped")
            continue
        host_port = fields[0].rstrip(":")
        if fields[1] != _SHA256_OID:
            found.warn(Location(path, number, 1), f"{shown(host_port)}: not a SHA-256 fingerprint; skipped")
            continue
        pins[host_port] = f"sha256:{fields[2].upper()}"
    return pins


class _Get(Protocol):
    def __call__(self, name: str, default: PrefValue | None = None) -> Any: ...


def _typed(prefs: Prefs, found: Collector) -> _Get:
    """``get(name, default)``: the pref's value when it has the type Thunderbird reads it as; else ``default``,
    as Thunderbird falls back to the default, and a warning (once a pref)."""
    said: set[str] = set()

    def get(name: str, default: PrefValue | None = None) -> Any:
        if name not in prefs:
            return default
        value, where = prefs[name]
        kind = _read_as(name)
        if value_type(value) is kind:
            return value
        if name not in said:  # once, though the account reads it again (an SMTP server of two identities)
            said.add(name)
            found.warn(
                where,
                f"{shown(name)}: {TYPE_WORDS[value_type(value)]}, where Thunderbird reads {TYPE_WORDS[kind]}: "
                f"Thunderbird ignores this value and uses its default (so does this import); {_HOW[kind]}",
            )
        return default

    return get


def _accounts(path: str, prefs: Prefs, pins: Mapping[str, str], found: Collector) -> None:
    get = _typed(prefs, found)

    def where(name: str) -> Location:
        return prefs[name][1] if name in prefs else Location(path, 1, 1)

    # Thunderbird keeps no pref equal to its default in prefs.js: its default and no pref are one case
    timeout = get("mailnews.tcptimeout")
    timeout = None if timeout == _DEFAULT_TIMEOUT else timeout
    min_version = _TLS_VERSION.get(get("security.tls.version.min", 0))
    min_version = None if min_version == _DEFAULT_TLS else min_version
    ui_version = get("mail.ui-rdf.version", 0)
    migrates = 0 < ui_version < _MIGRATES_SOCKET_1
    smtp_keys = [k for k in str(get("mail.smtpservers", "")).split(",") if k]  # OutgoingServerService: no trimming
    default_smtp = get("mail.smtp.defaultserver") or (smtp_keys[0] if smtp_keys else None)
    listed, loaded = _listed(get, where, found)
    for key, server_key in listed:
        base = f"mail.server.{server_key}"
        kind = get(f"{base}.type")
        identities = [i.strip() for i in str(get(f"mail.account.{key}.identities", "")).split(",") if i.strip()]
        ident = f"mail.identity.{identities[0] if identities else ''}"
        incoming = _server(base, kind, get, where, pins, (timeout, min_version, migrates), found)
        incoming["username"] = get(f"{base}.userName", "")
        if not incoming["username"]:
            incoming.pop("username")
        account: dict[str, Any] = {"address": get(f"{ident}.useremail", "")}
        if get(f"{ident}.fullName"):
            account["display_name"] = get(f"{ident}.fullName")
        if get(f"{ident}.organization"):
            account["organization"] = get(f"{ident}.organization")
        account["incoming"] = incoming
        if kind == "pop3":
            if get(f"{base}.leave_on_server") is not None:
                incoming["leave_on_server"] = bool(get(f"{base}.leave_on_server"))
            days = get(f"{base}.num_days_to_leave_on_server", 7)
            if get(f"{base}.delete_by_age_from_server") and days:  # Pop3Client: deleteByAgeFromServer && days
                incoming["leave_days"] = days
        smtp_key = get(f"{ident}.smtpServer") or default_smtp
        smtp = _smtp_server(key, ident, smtp_key, smtp_keys, get, where, found)
        if smtp is not None:
            outgoing = _server(smtp, "smtp", get, where, pins, (timeout, min_version, migrates), found)
            if get(f"{smtp}.username"):
                outgoing["username"] = get(f"{smtp}.username")
            account["outgoing"] = outgoing
        name = found.add(str(get(f"{base}.name") or key), account, where(f"{base}.type"))
        if kind == "pop3" and get(f"{base}.deferred_to_account"):
            _deferred(server_key, name, loaded, get, found, where=where)
        if not get(f"{ident}.useremail"):
            found.warn(where(f"mail.account.{key}.server"), f"account {shown(name)}: its identity has no address")
        if len(identities) > 1:  # each is an address (and a name, an SMTP server) this account sends from
            more = ", ".join(shown(get(f"mail.identity.{i}.useremail", i)) for i in identities[1:4])
            found.lost(
                where(f"mail.account.{key}.identities"),
                ("accounts", name),
                f"{counted(len(identities) - 1, 'more identity', 'more identities')} ({more}"
                f"{', ...' if len(identities) > 4 else ''}) not imported: an account has one address; declare an "
                "account for each",
            )


def _smtp_server(  # noqa: PLR0917
    key: str, ident: str, smtp_key: str | None, smtp_keys: list[str], get: _Get, where: Any, found: Collector
) -> str | None:
    """The prefs branch (``mail.smtpserver.S``) of the SMTP server account ``key`` sends through, or None when
    Thunderbird has none for it (a warning says why when the prefs name one)."""
    if not smtp_key:
        return None
    named = f"{ident}.smtpServer" if get(f"{ident}.smtpServer") else "mail.smtp.defaultserver"
    if smtp_key not in smtp_keys:  # OutgoingServerService.getServerByKey: the listed ones only
        found.warn(
            where(named),
            f"SMTP server {shown(smtp_key)} is not in mail.smtpservers: Thunderbird has no outgoing server for "
            f"account {shown(key)} (nor does this import); add it to mail.smtpservers",
        )
        return None
    branch = f"mail.smtpserver.{smtp_key}"
    if not get(f"{branch}.hostname"):  # "" made the whole account invalid (host ""), none left it without a word
        found.warn(
            where(f"{branch}.hostname" if get(f"{branch}.hostname") is not None else "mail.smtpservers"),
            f"SMTP server {shown(smtp_key)} has no hostname: Thunderbird cannot send through it, so account "
            f"{shown(key)} has no outgoing server (nor does this import); set {shown(branch)}.hostname",
        )
        return None
    return branch


def _deferred(own: str, name: str, loaded: Mapping[str, str], get: _Get, found: Collector, *, where: Any) -> None:
    """Say that POP3 account ``name`` (of server ``own``) is deferred (its deferred_to_account is set): Thunderbird
    keeps its mail in another account's folders (Pop3IncomingServer.deferredToAccount: the named account, or Local
    Folders when the key names no account Thunderbird loads or a hidden server), which an account file cannot say;
    deferred to itself, it fetches none (Pop3IncomingServer.rootMsgFolder throws)."""
    pref = f"mail.server.{own}.deferred_to_account"
    target_key = str(get(pref))
    server = loaded.get(target_key)
    if server == own:
        found.lost(where(pref), ("accounts", name),
                   f"{shown(pref)}: {shown(target_key, quotes=True)} is this account's own key: Thunderbird fetches "
                   f'no mail for account {shown(name)} (Pop3IncomingServer: "cannot be deferred to itself"); the '
                   "account is imported with folders of its own, so a client set up from it does fetch its mail; "
                   "clear the pref in Thunderbird")  # fmt: skip
        return
    why = ""
    if server is None or get(f"mail.server.{server}.hidden"):
        target = "Local Folders'"
        what = "no account Thunderbird loads" if server is None else "an account with a hidden server"
        why = f"; {shown(target_key)} is {what}, so it uses Local Folders"
    elif get(f"mail.server.{server}.type") == "none":
        target = "Local Folders'"
    else:
        target = f"account {shown(get(f'mail.server.{server}.name') or target_key)}'s"
    found.lost(
        where(pref),
        ("accounts", name),
        f"{shown(pref)}: {shown(target_key, quotes=True)}: Thunderbird keeps this POP3 account's mail in {target} "
        f"Inbox (a Global Inbox{why}), not in folders of its own; an account file cannot say where mail is kept, so "
        f"a client set up from it keeps account {shown(name)}'s mail apart",
    )


def _listed(get: _Get, where: Any, found: Collector) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """(account key, server key) of each IMAP and POP3 account Thunderbird 153 loads from
    ``mail.accountmanager.accounts`` (nsMsgAccountManager::LoadAccounts, checked against Thunderbird:
    tests/importers/test_thunderbird_accounts.py), and account key -> server key of every account it loads (Local
    Folders, news and feeds too)."""
    listed_keys: list[tuple[str, str]] = []
    accounts = "mail.accountmanager.accounts"
    listed = str(get(accounts, ""))
    seen: set[str] = set()
    servers: dict[str, str] = {}  # server key -> the account that loaded it
    # the first (user name, account) of each login (type, host, port), and of each login and user name, of IMAP and
    # POP3: an account's earlier server is looked up, not searched for (20,000 accounts took 51 s of CPU)
    first_of_login: dict[tuple[str, str, int], tuple[str, str]] = {}
    first_of_user: dict[tuple[tuple[str, str, int], str], tuple[str, str]] = {}
    loaded: dict[str, str] = {}  # account key -> its server key, for every account Thunderbird loads
    for key in listed.split(","):  # nsMsgAccountManager::LoadAccounts: split on ',', no trimming
        if key != key.strip():
            if key.strip():
                found.warn(
                    where(accounts),
                    f"account {shown(key, quotes=True)}: spaces around an account key in {accounts}: Thunderbird "
                    "does not load the account (nor does this import); remove the spaces",
                )
            continue
        if not key or key in seen:  # an empty entry or a repeated key: Thunderbird skips it
            continue
        seen.add(key)
        server_key = get(f"mail.account.{key}.server")
        if server_key is None:
            continue
        if server_key in servers:
            found.warn(
                where(f"mail.account.{key}.server"),
                f"account {shown(key)}: server {shown(server_key)} is account {shown(servers[server_key])}'s: "
                "Thunderbird loads only the first account of a server (so does this import)",
            )
            continue
        servers[server_key] = key
        base = f"mail.server.{server_key}"
        kind = get(f"{base}.type")
        if kind not in ("imap", "pop3"):
            loaded[key] = server_key
            if kind not in ("none", "rss", "nntp", None):
                found.warn(
                    where(f"{base}.type"),
                    f"account {shown(key)}: server type {shown(kind, quotes=True)} is not IMAP or POP3; skipped",
                )
            continue
        if not get(f"{base}.hostname"):
            found.warn(
                where(f"{base}.type"),
                f"account {shown(key)}: server {shown(server_key)} has no hostname: Thunderbird does not load the "
                f"account (nor does this import); set {base}.hostname",
            )
            continue
        # nsMsgAccountManager::createKeyedServer: no second server of one type, host name (ASCII case ignored), port
        # and user name; a server without a user name matches any (findServerInternal), checked against Thunderbird
        login = (str(kind), ascii_lower(str(get(f"{base}.hostname"))), _incoming_port(base, kind, get))
        user = str(get(f"{base}.userName", ""))
        earlier = first_of_login.get(login) if not user else first_of_user.get((login, user))
        if earlier is not None:
            wildcard = " (a server without a user name matches any)" if earlier[0] != user else ""
            found.warn(
                where(f"mail.account.{key}.server"),
                f"account {shown(key)}: server {shown(server_key)} has the type, host name, port and user name of "
                f"account {shown(earlier[1])}'s server{wildcard}: Thunderbird loads only the first account of a "
                "server (so does this import)",
            )
            continue
        first_of_login.setdefault(login, (user, key))
        first_of_user.setdefault((login, user), (user, key))
        loaded[key] = server_key
        listed_keys.append((key, server_key))
    return listed_keys, loaded


def _incoming_port(base: str, kind: str, get: Any) -> int:
    """The port Thunderbird reads for an IMAP or POP3 server: a port not above 1 (IMAP: 0) is the protocol's
    default, for TLS when socketType is 3 (absent: the legacy isSecure true) (MsgIncomingServer)."""
    port: int = get(f"{base}.port", 0)
    if port <= (1 if kind == "pop3" else 0):
        port = _PORTS[(kind, get(f"{base}.socketType", 3 if get(f"{base}.isSecure") else 0) == 3)]
    return port


def _server(  # noqa: PLR0917
    base: str,
    kind: str,
    get: Any,
    where: Any,
    pins: Mapping[str, str],
    common: tuple[Any, str | None, bool],
    found: Collector,
) -> dict[str, Any]:
    """One server's settings; ``common`` is (``mailnews.tcptimeout``, the TLS minimum, whether Thunderbird rewrites
    socketType 1 to 2 at its next start)."""
    timeout, min_version, migrates = common
    smtp = kind == "smtp"
    name = f"{base}.try_ssl" if smtp else f"{base}.socketType"
    # MsgIncomingServer: no socketType, and the legacy isSecure true, is SSL (SmtpServer has no isSecure)
    socket = get(name, 3 if not smtp and get(f"{base}.isSecure") else 0)
    security = _SECURITY.get(socket)
    if socket == 1 and migrates:
        security = "starttls"
    elif security is None:  # Pop3Client, SmtpClient, nsImapProtocol: TLS only for 2 (STARTTLS) and 3 (SSL)
        security = "none"
        found.warn(
            where(name),
            f"{shown(name)}: {socket}{' (trySTARTTLS, removed from Thunderbird)' if socket == 1 else ''} is none of "
            "Thunderbird's values (0 none, 2 STARTTLS, 3 SSL/TLS): Thunderbird "
            "connects without TLS, so the import says security: none; set 2 or 3",
        )
    host = str(get(f"{base}.hostname", ""))
    if smtp:
        port = get(f"{base}.port", 0)
        if port <= 0:
            port = 465 if security == "tls" else 587
    else:
        port = _incoming_port(base, kind, get)
    server: dict[str, Any] = {} if smtp else {"protocol": kind}
    server.update(host=host, port=port, security=security)
    method = get(f"{base}.authMethod", 3)
    server["auth"] = _AUTH.get(method, "password")
    if method in (4, 8):
        server["mechanisms"] = ["cram-md5"]
    if method == 8:
        found.warn(
            where(f"{base}.authMethod"),
            f"{shown(base + '.authMethod')}: 8 is {_AUTH_ODD[8]}: imported as auth: password with mechanisms: "
            "[cram-md5]",
        )
    elif method not in _AUTH:
        found.warn(
            where(f"{base}.authMethod"),
            f"{shown(base + '.authMethod')}: {method} is no method Thunderbird offers (1 none, 3 normal password, "
            "4 encrypted password, 5 Kerberos, 6 NTLM, 7 TLS certificate, 10 OAuth2): Thunderbird's POP3 and SMTP "
            "code has no mechanism for it; imported as auth: password; set one of them",
        )
    tls: dict[str, Any] = {}
    if min_version is not None:
        tls["min_version"] = min_version
    pin = pins.get(f"[{host}]:{port}" if ":" in host else f"{host}:{port}")
    if pin is not None:
        tls["fingerprint"] = pin
    if tls:
        server["tls"] = tls
    if isinstance(timeout, int) and timeout > 0:
        server["timeout"] = timeout
    return server
