r"""``mailconf render --target outlook accounts.yaml > outlook.reg`` writes the registry keys
of POP3 and IMAP accounts for Outlook 2016, 2019 and Microsoft 365 (version 16.0).

**Prefer [``outlook-prf``](outlook-prf.md) to create accounts.** Importing this file sets
values; it does not make a working account by itself (see *What importing does not
create*). Use it to inspect, diff (``--check``) or repair the settings of accounts that
already exist, pointing ``--option account-id=`` at the existing account's key.

Where the file goes, how to apply it
------------------------------------

- On the Windows machine, with Outlook closed: ``reg import outlook.reg`` (or double-click it).
- Each account becomes the key
  ``HKEY_CURRENT_USER\Software\Microsoft\Office\16.0\Outlook\Profiles\<profile>\9375CFF0413111d3B88A00104B2A6676\<id>``.
- ``--option profile=NAME``: the profile (default ``Outlook``). Printable ASCII without ``\``,
  ``[`` or ``]``, not starting or ending with a space (anything else is exit 2).
- ``--option account-id=HEX``: the first account's key name, 1 to 8 hex digits (default
  ``00000001``); further accounts take the next ids. A key that already exists is merged
  into: its other values stay, the values written here replace theirs. Look at the ids
  in use (and ``NextAccountID``) under the ``9375CFF0…`` key first.
- Accounts without an ``incoming:`` server are left out (a gap): Outlook has no send-only
  POP3/IMAP accounts.

What importing does not create
------------------------------

Importing creates the account keys and their values, nothing else. A working account
also needs (Microsoft's Account Management API documentation, public reports):

- the account list value ``{ED475418-B0D6-11D2-8C3B-00104B2A6676}`` (the ids in order,
  little-endian DWORDs) and ``NextAccountID`` above every id;
- for POP3, a PST store service and matching ``Delivery Store EntryID`` /
  ``Delivery Folder EntryID``; for IMAP, the OST service and ``IMAP Store EID`` that Outlook
  creates itself;
- the passwords, which Outlook keeps DPAPI-encrypted per user and machine.

Public reports say profiles synthesized this way load but cannot send or receive, and
that leftover references made Outlook 16.0 crash on start. ``IOlkAccountManager`` cannot
create accounts either. The supported route is a PRF file (``outlook-prf``).

What it writes
--------------

The file is pure ASCII with CRLF line ends and starts with
``Windows Registry Editor Version 5.00``. Every text is a REG_SZ written as ``hex(1):``
(UTF-16LE bytes and the terminating ``00,00``), so no character of a value can end a
string or start a key; long lines are wrapped as regedit exports them.

| YAML | registry value (POP3 / IMAP) |
|---|---|
| ``incoming.protocol`` | ``clsid`` ``{ED475411-B0D6-11D2-8C3B-00104B2A6676}`` / ``{ED475412-…}`` |
| account name | ``Account Name`` |
| ``display_name``, ``address``, ``organization`` | ``Display Name``, ``Email``, ``Organization`` |
| ``incoming.host``, ``username``, ``port`` | ``POP3 Server`` / ``IMAP Server``, ``POP3 User`` / ``IMAP User``,
  ``POP3 Port`` / ``IMAP Port`` (DWORD) |
| ``incoming.security: tls`` / ``none`` | ``POP3 Use SSL`` / ``IMAP Use SSL`` 1 / 0 |
| ``incoming.auth: password`` / ``ntlm`` | ``POP3 Use SPA`` / ``IMAP Use SPA`` 0 / 1 |
| ``leave_on_server``, ``leave_days`` (POP3) | ``Leave on Server``: 0x1 leave a copy, + 0x2 and days << 16
  (``leave_days: 14`` with leave: ``0x000e0003``); ``leave_on_server: false`` is 0; left out when neither is
  declared (Outlook's default stays) |
| ``outgoing.host``, ``port`` | ``SMTP Server``, ``SMTP Port`` |
| ``outgoing.security: tls`` / ``starttls`` / ``none`` | ``SMTP Use SSL`` 1 / 1 / 0 and ``SMTP Secure
  Connection`` 1 / 2 / 0 |
| ``outgoing.auth: none`` | ``SMTP Use Auth`` 0 |
| ``outgoing.auth`` with the incoming login (same user, auth and command for it: ``password_command``, or
  ``token_command`` for OAuth2) | ``SMTP Use Auth`` 1, ``SMTP Auth Method`` 0 (use the incoming server's settings) |
| ``outgoing.auth`` with its own login | ``SMTP Use Auth`` 1, ``SMTP Auth Method`` 1, ``SMTP User`` |

What it cannot express (a warning each; ``--strict`` makes them errors)
-----------------------------------------------------------------------

- ``incoming.security: starttls``: no documented registry value. The file writes
  ``Use SSL`` 1, so Outlook fails to connect instead of logging in without encryption;
  choose STARTTLS in Account Settings > More Settings > Advanced.
- ``timeout``: the registry name of the server timeout is unknown (the PRF has ``ServerTimeOut``).
- ``outgoing.auth: ntlm``: the SMTP SPA registry value is unverified; password
  authentication is written.
- ``password_command``, ``token_command``, a literal ``password``: Outlook stores passwords
  itself (DPAPI) and runs no command; type the password when it asks.
- ``auth: oauth2``, ``gssapi``, ``client-cert`` (and ``none`` on POP3/IMAP): password
  authentication is written; OAuth2 accounts are added in Outlook (File > Add Account).
- ``mechanisms``: Outlook picks the SASL mechanism.
- ``tls.ca_file``, ``tls.fingerprint``, ``tls.verify: false``, ``tls.verify_hostname: false``,
  ``tls.min_version``, ``tls.client_cert``/``client_key``: Outlook uses the Windows
  certificate store (``certutil -user -addstore Root ca.pem``) and SChannel's TLS versions.
- ``leave_days`` with ``leave_on_server: false``: nothing is left to remove.

How it is tested
----------------

No Windows runs in the tests. Each rendered file is merged into an empty registry hive
(built from the public "regf" format) with ``hivexregedit --merge``, exported back with
``hivexregedit --export``, and every value is compared with the YAML: every
protocol × security × auth combination, the gaps, and a property test with hostile
values (quotes, backslashes, ``$()``, ``;``, ``#``, ``%``, ``[``, ``]``, ``=``, non-ASCII, hostile
profile names) that also shows no extra key or value appears.
"""

from __future__ import annotations

import enum
import string
from collections.abc import Mapping
from typing import NamedTuple

import jinja2

from ..errors import UsageError
from ..escape import UnsafeValue
from ..escape.reg import reg_key_part, reg_value
from ..model import Account, Auth, Model, Protocol, Security, Server
from . import GapRules, Gaps, OwnFile, Rendered, RenderedFile, built, gap_rules, unsafe_in

NAME = "outlook"
TITLE = "Outlook 2016/2019/365 registry keys (.reg) of POP3/IMAP accounts; prefer outlook-prf"
FILE_NAME = "outlook.reg"
#: Nothing: a .reg file has no comment of mailconf's to tell it from one exported by regedit.
OWN_FILES: tuple[OwnFile, ...] = ()
DEFAULT_PROFILE = "Outlook"
DEFAULT_ACCOUNT_ID = 1
OPTIONS: Mapping[str, str] = {
    "profile": "Outlook profile name [default: Outlook]; printable ASCII without \\ [ ]",
    "account-id": "registry key of the first account, 1 to 8 hex digits [default: 00000001]",
}

PROFILES_KEY = "HKEY_CURRENT_USER\\Software\\Microsoft\\Office\\16.0\\Outlook\\Profiles"
ACCOUNTS_KEY = "9375CFF0413111d3B88A00104B2A6676"
CLSID: Mapping[Protocol, str] = {
    Protocol.POP3: "{ED475411-B0D6-11D2-8C3B-00104B2A6676}",
    Protocol.IMAP: "{ED475412-B0D6-11D2-8C3B-00104B2A6676}",
}

CAPABILITIES: Mapping[str, str] = {
    "imap": "yes: clsid {ED475412-...}, IMAP Server/User/Port",
    "pop3": "yes: clsid {ED475411-...}, POP3 Server/User/Port",
    "smtp": "partial: SMTP Server/Port/User; an account without an incoming server is left out (a gap)",
    "security: tls": "yes: Use SSL 1; SMTP Secure Connection 1",
    "security: starttls": "partial: SMTP Secure Connection 2; POP3/IMAP has no known value (a gap; SSL/TLS is written)",
    "security: none": "yes: Use SSL 0; SMTP Secure Connection 0",
    "auth: password": "yes: Use SPA 0; SMTP Use Auth 1",
    "auth: oauth2": "no: add the account in Outlook (File > Add Account)",
    "auth: gssapi": "no: password authentication is written",
    "auth: ntlm": "partial: POP3/IMAP Use SPA 1; SMTP SPA's registry value is unverified (a gap)",
    "auth: client-cert": "no: password authentication is written",
    "password_command": "no: passwords are DPAPI-encrypted; Outlook asks for them",
    "token_command": "no: Outlook runs no command",
    "mechanisms": "no: Outlook picks the mechanism",
    "tls.ca_file": "no: import the CA into the Windows certificate store (certutil -user -addstore Root)",
    "tls.fingerprint": "no: trust the certificate through the Windows certificate store",
    "tls.verify: false": "no: Outlook always verifies (it asks when verification fails)",
    "tls.min_version": "no: the TLS versions Windows (SChannel) enables apply",
    "timeout": "no: registry name unknown (the outlook-prf target writes ServerTimeOut)",
    "leave_on_server": "yes: Leave on Server bit 0x1",
    "leave_days": "yes: Leave on Server bit 0x2 with the days << 16",
}


class SecureConnection(enum.IntEnum):
    """``SMTP Secure Connection`` / PRF ``SMTPSecureConnection``."""

    NONE = 0
    SSL_TLS = 1
    STARTTLS = 2


class SmtpAuthMethod(enum.IntEnum):
    """``SMTP Auth Method`` / PRF ``SMTPAuthMethod``."""

    SAME_AS_INCOMING = 0
    OWN_LOGIN = 1


SECURE_CONNECTION: Mapping[Security, SecureConnection] = {
    Security.TLS: SecureConnection.SSL_TLS,
    Security.STARTTLS: SecureConnection.STARTTLS,
    Security.NONE: SecureConnection.NONE,
}

#: ``Leave on Server`` bits.
LEAVE_COPY = 0x1
LEAVE_REMOVE_AFTER_DAYS = 0x2


class RegKey(NamedTuple):
    path: str
    lines: tuple[str, ...]  # escaped value lines


class OutgoingSettings(NamedTuple):
    host: str
    port: int
    use_ssl: int  # 1 whenever encrypted
    secure_connection: SecureConnection
    use_auth: int
    auth_method: SmtpAuthMethod | None  # None when use_auth is 0
    user: str | None  # only with OWN_LOGIN
    use_spa: int


class OutlookAccount(NamedTuple):
    """Every value of one Outlook internet account, decided once for the .reg and the PRF."""

    name: str
    protocol: Protocol  # POP3 or IMAP
    display_name: str | None
    email: str
    organization: str | None
    host: str
    port: int
    use_ssl: int
    use_spa: int
    user: str
    leave_on_server: int | None  # POP3 only, None when the YAML says nothing
    timeout: int | None  # seconds (only the PRF writes it)
    outgoing: OutgoingSettings | None


STARTTLS_GAP = (
    "Outlook's registry and PRF have no documented value for STARTTLS on POP3/IMAP: the file asks for SSL/TLS, "
    "so Outlook fails to connect instead of logging in without encryption; in Outlook choose Account Settings > "
    "More Settings > Advanced > STARTTLS"
)
PASSWORD_GAP = "Outlook stores passwords itself (DPAPI-encrypted) and runs no command: type the password when it asks"
TOKEN_GAP = "Outlook runs no token command: add the account in Outlook (File > Add Account) to sign in"
MECHANISMS_GAP = "Outlook chooses the SASL mechanism itself"
SEND_ONLY_GAP = "Outlook has no send-only POP3/IMAP accounts: this account is left out; declare an incoming server"
LEAVE_DAYS_GAP = "leave_on_server is false, so nothing is left on the server to remove after some days"
INCOMING_AUTH_NONE_GAP = "Outlook always logs in to POP3/IMAP servers: password authentication is written"
REG_TIMEOUT_GAP = (
    "the registry name of Outlook's server timeout is unknown: use the outlook-prf target (ServerTimeOut), or set it "
    "in Account Settings > More Settings > Advanced > Server Timeouts"
)
REG_SMTP_SPA_GAP = (
    "the registry value for SMTP secure password authentication is unverified: password authentication is written; "
    "tick 'Require logon using Secure Password Authentication' under More Settings > Outgoing Server"
)
CLIENT_CERT_GAP = "Outlook has no client certificate setting for POP3/IMAP/SMTP"

#: The messages of the features neither Outlook file can express (both targets mark them "no").
INSTEAD: Mapping[str, str] = {
    "auth: oauth2": "Outlook offers OAuth2 only for providers it knows, not through these settings: add the account "
                    "in Outlook (File > Add Account); password authentication is written",
    "auth: gssapi": "Outlook has no Kerberos (GSSAPI) setting for POP3/IMAP/SMTP: password authentication is written",
    "auth: client-cert": "Outlook has no client certificate login for POP3/IMAP/SMTP: password authentication is "
                         "written",
    "password_command": PASSWORD_GAP,
    "token_command": TOKEN_GAP,
    "mechanisms": MECHANISMS_GAP,
    "tls.ca_file": "Outlook uses the Windows certificate store: import the CA with "
                   "`certutil -user -addstore Root FILE`",
    "tls.fingerprint": "Outlook cannot pin a certificate: trust it through the Windows certificate store instead",
    "tls.verify: false": "Outlook always verifies the certificate (it asks when that fails): import the CA into the "
                         "Windows certificate store instead",
    "tls.min_version": "Outlook uses the TLS versions Windows (SChannel) enables: set them for the whole system",
}  # fmt: skip

GAP_RULES = gap_rules(CAPABILITIES, {**INSTEAD, "timeout": REG_TIMEOUT_GAP})


def server_gaps(gaps: Gaps, account: Account, server: Server, rules: GapRules) -> None:
    """What no Outlook file can say about this server (shared by the .reg and the PRF): the target's "no"
    features (``rules``), then what the capability table does not list."""
    gaps.unsupported(account, server, rules)
    incoming = server.protocol is not Protocol.SMTP
    if incoming and server.security is Security.STARTTLS:
        gaps.server(account, server, "security", STARTTLS_GAP)
    if incoming and server.auth is Auth.NONE:
        gaps.server(account, server, "auth", INCOMING_AUTH_NONE_GAP)
    tls = server.tls
    if not tls.verify_hostname:
        gaps.server(account, server, "tls.verify_hostname", "Outlook always checks the host name: use the name the "
                    "certificate holds")  # fmt: skip
    if tls.client_cert is not None:
        gaps.server(account, server, "tls.client_cert", CLIENT_CERT_GAP)
    if tls.client_key is not None:
        gaps.server(account, server, "tls.client_key", CLIENT_CERT_GAP)


def _use_spa(server: Server) -> int:
    return 1 if server.auth is Auth.NTLM else 0


def _leave_on_server(server: Server) -> int | None:
    if server.protocol is not Protocol.POP3 or (server.leave_on_server is None and server.leave_days is None):
        return None
    if server.leave_on_server is False:
        return 0
    bits = LEAVE_COPY
    if server.leave_days is not None:
        bits |= LEAVE_REMOVE_AFTER_DAYS | (server.leave_days << 16)
    return bits


def _outgoing(incoming: Server, server: Server) -> OutgoingSettings:
    secure = SECURE_CONNECTION[server.security]
    if server.auth is Auth.NONE:
        use_auth, method, user = 0, None, None
    elif (server.username, server.auth, server.credential_command) == (
        incoming.username,
        incoming.auth,
        incoming.credential_command,
    ):  # one login: the same user, auth and command for it (two token commands are two secrets)
        use_auth, method, user = 1, SmtpAuthMethod.SAME_AS_INCOMING, None
    else:
        use_auth, method, user = 1, SmtpAuthMethod.OWN_LOGIN, server.username
    return built(
        OutgoingSettings,
        (
            server.host,
            server.port,
            0 if secure is SecureConnection.NONE else 1,  # use_ssl
            secure,  # secure_connection
            use_auth,
            method,  # auth_method
            user,
            _use_spa(server),
        ),
    )


def decide(account: Account, rules: GapRules, gaps: Gaps) -> OutlookAccount | None:
    """The values both Outlook targets write; the gaps both share go to ``gaps``. None: the account is left out."""
    incoming = account.incoming
    if incoming is None:
        gaps.add(account, "outgoing", SEND_ONLY_GAP)
        return None
    server_gaps(gaps, account, incoming, rules)
    if incoming.leave_on_server is False and incoming.leave_days is not None:
        gaps.add(account, "incoming.leave_days", LEAVE_DAYS_GAP)
    outgoing = None
    if account.outgoing is not None:
        server_gaps(gaps, account, account.outgoing, rules)
        outgoing = _outgoing(incoming, account.outgoing)
    timeout = incoming.timeout
    if timeout is None and account.outgoing is not None:
        timeout = account.outgoing.timeout
    return built(
        OutlookAccount,
        (
            account.name,
            incoming.protocol,
            account.display_name,
            account.address,  # email
            account.organization,
            incoming.host,
            incoming.port,
            0 if incoming.security is Security.NONE else 1,  # use_ssl
            _use_spa(incoming),
            incoming.username,  # user
            _leave_on_server(incoming),
            timeout,
            outgoing,
        ),
    )


def profile_option(options: Mapping[str, str]) -> str:
    """The profile name option, validated (UsageError, exit 2, when it cannot be written safely)."""
    profile = options.get("profile", DEFAULT_PROFILE)
    try:
        reg_key_part(profile)
    except UnsafeValue:
        raise UsageError(
            "--option profile: use 1 to 255 printable ASCII characters without \\ [ or ], "
            "not starting or ending with a space"
        ) from None
    return profile


def account_id_option(options: Mapping[str, str], count: int) -> int:
    text = options.get("account-id")
    if text is None:
        return DEFAULT_ACCOUNT_ID
    if not 1 <= len(text) <= 8 or any(c not in string.hexdigits for c in text) or int(text, 16) == 0:
        raise UsageError(
            "--option account-id: write the key name of the first account, 1 to 8 hex digits like 00000005"
        )
    first = int(text, 16)
    if first + max(count, 1) - 1 > 0xFFFFFFFF:
        raise UsageError(f"--option account-id: {text} leaves no room for {count} accounts below FFFFFFFF")
    return first


#: The value names of an account key's incoming server, per protocol: built once, not per account.
_INCOMING_NAMES: Mapping[Protocol, tuple[str, str, str, str, str]] = {
    protocol: (f"{tag} Server", f"{tag} User", f"{tag} Port", f"{tag} Use SSL", f"{tag} Use SPA")
    for protocol, tag in ((Protocol.POP3, "POP3"), (Protocol.IMAP, "IMAP"))
}
#: The text values that repeat from account to account (a constant, a host many accounts share): with every
#: DWORD, their lines are kept for the render call (``repeated``) instead of escaped again.
_REPEATING = frozenset({"clsid", "POP3 Server", "IMAP Server", "SMTP Server"})


#: The account-file setting each text value of an account key holds: a refusal names the setting, not the value.
SETTING_OF: Mapping[str, str] = {
    "Account Name": "name",
    "Display Name": "display_name",
    "Email": "address",
    "Organization": "organization",
    **{f"{tag} Server": "incoming.host" for tag in ("POP3", "IMAP")},
    **{f"{tag} User": "incoming.username" for tag in ("POP3", "IMAP")},
    "SMTP Server": "outgoing.host",
    "SMTP User": "outgoing.username",
}


def _lines(a: OutlookAccount, repeated: dict[tuple[str, str | int], str]) -> tuple[str, ...]:
    """The value lines of one account key, in a fixed order; a str is a REG_SZ, an int a DWORD.

    ``repeated`` holds the lines already written in this render call of the values that repeat in every
    account (codes, ports, the CLSID, hosts: :data:`_REPEATING`): each distinct (name, value) is escaped once.
    """
    server, user, port, use_ssl, use_spa = _INCOMING_NAMES[a.protocol]
    pairs: list[tuple[str, str | int | None]] = [
        ("clsid", CLSID[a.protocol]),
        ("Account Name", a.name),
        ("Display Name", a.display_name),
        ("Email", a.email),
        ("Organization", a.organization),
        (server, a.host),
        (user, a.user),
        (port, a.port),
        (use_ssl, a.use_ssl),
        (use_spa, a.use_spa),
        ("Leave on Server", a.leave_on_server),
    ]
    if a.outgoing is not None:
        out = a.outgoing
        pairs += [
            ("SMTP Server", out.host),
            ("SMTP Port", out.port),
            ("SMTP Use SSL", out.use_ssl),
            ("SMTP Secure Connection", int(out.secure_connection)),
            ("SMTP Use Auth", out.use_auth),
            ("SMTP Auth Method", None if out.auth_method is None else int(out.auth_method)),
            ("SMTP User", out.user),
        ]
    lines: list[str] = []
    name = ""
    try:
        for name, data in pairs:
            if data is None:
                continue
            if type(data) is int or name in _REPEATING:
                line = repeated.get((name, data))
                if line is None:
                    line = repeated[name, data] = reg_value(data, name)
            else:
                line = reg_value(data, name)
            lines.append(line)
    except UnsafeValue as exc:
        raise unsafe_in(a.name, SETTING_OF.get(name, name), exc) from None
    return tuple(lines)


def render(model: Model, env: jinja2.Environment, options: Mapping[str, str]) -> Rendered:
    profile = profile_option(options)
    next_id = account_id_option(options, len(model.accounts))
    keys: list[RegKey] = []
    gaps = Gaps()
    repeated: dict[tuple[str, str | int], str] = {}
    profile_key = f"{PROFILES_KEY}\\{reg_key_part(profile)}\\{ACCOUNTS_KEY}"
    for account in model.accounts:
        decided = decide(account, GAP_RULES, gaps)
        if decided is None:
            continue
        if account.outgoing is not None and account.outgoing.auth is Auth.NTLM:
            gaps.add(account, "outgoing.auth", REG_SMTP_SPA_GAP)  # SMTP Use SPA is not written
        keys.append(RegKey(f"{profile_key}\\{next_id:08x}", _lines(decided, repeated)))
        next_id += 1
    text = env.get_template(f"{NAME}/outlook.reg.j2").render(keys=keys)
    content = text.replace("\n", "\r\n").encode("ascii")
    return Rendered((RenderedFile(FILE_NAME, content),), tuple(gaps.found))
