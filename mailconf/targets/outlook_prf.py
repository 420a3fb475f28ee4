r"""``mailconf render --target outlook-prf accounts.yaml -o out/`` writes ``out/outlook.prf``, a
PRF file that creates the POP3 and IMAP accounts in Outlook 2016, 2019 and Microsoft
365: the supported way to add such accounts without the account wizard.

Outlook itself was not available when this target was written: the file follows
Microsoft's documentation and published PRF files, and the tests read it back with an
INI parser, not with Outlook. What is unverified is listed below.

Where the file goes, how to apply it
------------------------------------

- Copy ``outlook.prf`` to the Windows machine, close Outlook, and run
  ``outlook.exe /importprf C:\path\outlook.prf`` (``/promptimportprf`` asks first).
  Double-clicking a PRF does nothing since Outlook 2007.
- Or set ``HKCU\Software\Microsoft\Office\16.0\Outlook\Setup\ImportPRF`` (REG_SZ) to the
  file's path: Outlook imports it at its next start.
- Then type each password when Outlook asks (the file holds none).
- ``--option profile=NAME``: the profile (default ``Outlook``, Outlook's own default name).
  Printable ASCII without ``\``, ``[`` or ``]``, not starting or ending with a space.
- The file says ``DefaultProfile=Yes`` (the profile becomes the default),
  ``OverwriteProfile=Append`` (accounts are added to an existing profile of that name;
  its other accounts and data stay, and Outlook may keep a copy named
  "Backup Of <profile>") and ``ModifyDefaultProfileIfPresent=FALSE``.
- No PST is named: Outlook creates the data file of a new POP3 account itself (a PST
  named in a PRF was reported not to be bound to the account).

What it writes
--------------

``[General]``, ``[Internet Account List]`` (``AccountN=I_Mail`` for POP3, ``IMAP_I_Mail`` for
IMAP), one ``[AccountN]`` section per account with an incoming server, and the
Section 7 property mappings ``[I_Mail]`` and ``[IMAP_I_Mail]`` that tell Outlook what each
key means.

| YAML | ``[AccountN]`` key (POP3 / IMAP) |
|---|---|
| every account | ``UniqueService=No`` (POP3/IMAP accounts may repeat) |
| account name, ``display_name``, ``address``, ``organization`` | ``AccountName``, ``DisplayName``,
  ``EmailAddress``, ``Organization`` |
| ``incoming.host``, ``username``, ``port`` | ``POP3Server`` / ``IMAPServer``, ``POP3UserName`` /
  ``IMAPUserName``, ``POP3Port`` / ``IMAPPort`` |
| ``incoming.security: tls`` / ``none`` | ``POP3UseSSL`` / ``IMAPUseSSL`` 1 / 0 |
| ``incoming.auth: password`` / ``ntlm`` | ``POP3UseSPA`` / ``IMAPUseSPA`` 0 / 1 |
| ``leave_on_server``, ``leave_days`` (POP3) | ``LeaveOnServer=0x…``: 0x1 leave a copy, + 0x2 and days << 16;
  left out when neither is declared |
| ``timeout`` (the incoming server's, else the outgoing one's) | ``ServerTimeOut`` (seconds) |
| ``outgoing.host``, ``port`` | ``SMTPServer``, ``SMTPPort`` |
| ``outgoing.security: tls`` / ``starttls`` / ``none`` | ``SMTPUseSSL`` 1 / 1 / 0 and ``SMTPSecureConnection`` 1
  / 2 / 0 |
| ``outgoing.auth: none`` | ``SMTPUseAuth=0`` |
| ``outgoing.auth`` with the incoming login | ``SMTPUseAuth=1``, ``SMTPAuthMethod=0`` |
| ``outgoing.auth`` with its own login | ``SMTPUseAuth=1``, ``SMTPAuthMethod=1``, ``SMTPUserName`` |
| ``outgoing.auth: ntlm`` | ``SMTPUseSPA=1`` |

Escaping
--------

Windows reads a PRF like any INI file (GetPrivateProfileString): the key ends at the
first ``=``, the value is the rest of the line without surrounding white space, a line is
a comment only when it *starts* with ``;``, there are no escapes, and a value enclosed in
a pair of quotation marks loses them. So:

- ``;``, ``=``, ``[``, ``]``, ``#`` and ``%`` inside a value are written as they are and read back
  as they are (``Organization=ACME; Inc.``);
- a value that starts or ends with white space, or starts and ends with the same
  quotation mark, is enclosed in ``"…"`` (``" lead"``, ``""quoted""``), which the reader removes;
- line breaks and control characters (CR, LF, NUL, U+0085, U+2028, U+2029…) are refused
  with exit 1, naming the account and setting, never the value: no value can start a new
  ``[Section]`` or key.

The file is ASCII with CRLF line ends. When a value holds a non-ASCII character, it is
written as UTF-16LE with a byte-order mark, the Unicode form of Windows INI files.

Unverified
----------

- Non-ASCII values: every published PRF is 8-bit; that Outlook reads the UTF-16 form is
  not confirmed.
- ``SMTPSecureConnection`` 2 for STARTTLS (it is the registry's value; Outlook Customization
  Tool files map the key, ``PT_LONG,0x020A``). ``SMTPUseSSL`` (``0x0202``) is the older key,
  kept for older builds.
- ``IMAP_I_Mail`` on every build: one build reportedly ignored the IMAP section.
- ``ServerTimeOut`` outside the UI's range (30 seconds to 10 minutes).
- Whether Outlook expands ``%NAME%`` inside a value (it does in PST paths).

What it cannot express (a warning each; ``--strict`` makes them errors)
-----------------------------------------------------------------------

- ``incoming.security: starttls``: no documented value; ``UseSSL=1`` is written, so Outlook
  fails to connect instead of logging in without encryption; choose STARTTLS in
  Account Settings > More Settings > Advanced.
- ``timeout: 0`` (Outlook always has a server timeout; ``ServerTimeOut`` is left out) and an
  outgoing timeout that differs from the incoming one (one per account).
- ``password_command``, ``token_command``, a literal ``password``; ``auth: oauth2``, ``gssapi``,
  ``client-cert`` (and ``none`` on POP3/IMAP: password authentication is written);
  ``mechanisms``; ``tls.*`` (use the Windows certificate store:
  ``certutil -user -addstore Root ca.pem``); ``leave_days`` with ``leave_on_server: false``;
  accounts without an incoming server (left out).

Sources
-------

- Microsoft, "Customize Outlook profiles by using an Outlook Profile (PRF) file"
  (Office 2010 Resource Kit, cc179062), and the Office 2007 Resource Kit (cc764475):
  sections, ``[General]`` keys, a literal POP3 ``[AccountN]`` block.
- Microsoft, "Command-line switches for Microsoft Office products": ``/importprf``,
  ``/promptimportprf``.
- The Section 7 mappings as the Office Customization Tool writes them (2010 and later).
- slipstick.com, "Understanding an Outlook Profile file (PRF)".
- A public test report (2026-09, Office 2024, 16.0.17932) in which Outlook 16 created a
  POP3 account from Sections 3, 5 and 7 of a PRF, and bound it to a PST it made itself.

How it is tested
----------------

No Outlook runs in the tests. Each file is read back with Python's configparser
(strict, no interpolation, ``=`` as the only delimiter, full-line ``;`` comments) plus the
Windows quotation rule, and compared with the YAML: every protocol × security × auth
combination, every gap's exact text, the escaping table above, and a property test
with hostile values that reads back exactly the declared values and no extra section
or key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import jinja2

from ..escape import UnsafeValue
from ..escape.ini import ini_value
from ..model import Model, Protocol
from . import Gaps, OwnFile, Rendered, RenderedFile, gap_rules, unsafe_in
from .outlook import INSTEAD, OutlookAccount, decide, profile_option

NAME = "outlook-prf"
TITLE = "Outlook 2016/2019/365 profile file (PRF) creating POP3/IMAP accounts: outlook.exe /importprf"
FILE_NAME = "outlook.prf"
#: Its one file, written whenever the target writes anything: left over when it has no account to write.
OWN_FILES: tuple[OwnFile, ...] = (OwnFile(FILE_NAME, b"; Outlook profile file (PRF) written by mailconf."),)
OPTIONS: Mapping[str, str] = {
    "profile": "Outlook profile name [default: Outlook]; printable ASCII without \\ [ ]",
}

CAPABILITIES: Mapping[str, str] = {
    "imap": "yes: AccountN=IMAP_I_Mail",
    "pop3": "yes: AccountN=I_Mail",
    "smtp": "partial: SMTPServer/SMTPPort/SMTPUserName; an account without an incoming server is left out (a gap)",
    "security: tls": "yes: UseSSL 1; SMTPSecureConnection 1",
    "security: starttls": "partial: SMTPSecureConnection 2; POP3/IMAP has no known value (a gap; SSL/TLS is written)",
    "security: none": "yes: UseSSL 0; SMTPSecureConnection 0",
    "auth: password": "yes: UseSPA 0; SMTPUseAuth 1",
    "auth: oauth2": "no: add the account in Outlook (File > Add Account)",
    "auth: gssapi": "no: password authentication is written",
    "auth: ntlm": "yes: POP3UseSPA/IMAPUseSPA/SMTPUseSPA 1",
    "auth: client-cert": "no: password authentication is written",
    "password_command": "no: Outlook asks for the password and stores it",
    "token_command": "no: Outlook runs no command",
    "mechanisms": "no: Outlook picks the mechanism",
    "tls.ca_file": "no: import the CA into the Windows certificate store (certutil -user -addstore Root)",
    "tls.fingerprint": "no: trust the certificate through the Windows certificate store",
    "tls.verify: false": "no: Outlook always verifies (it asks when verification fails)",
    "tls.min_version": "no: the TLS versions Windows (SChannel) enables apply",
    "timeout": "partial: ServerTimeOut, one per account (the incoming server's); 0 is a gap",
    "leave_on_server": "yes: LeaveOnServer bit 0x1",
    "leave_days": "yes: LeaveOnServer bit 0x2 with the days << 16",
}

#: The [Internet Account List] type of each incoming protocol (the Section 7 mapping's name).
ACCOUNT_TYPE: Mapping[Protocol, str] = {Protocol.POP3: "I_Mail", Protocol.IMAP: "IMAP_I_Mail"}

TIMEOUT_ZERO_GAP = "Outlook always has a server timeout (30 seconds to 10 minutes): ServerTimeOut is left out"
TIMEOUT_SPLIT_GAP = "Outlook has one server timeout per account: the incoming server's is written"

GAP_RULES = gap_rules(CAPABILITIES, INSTEAD)


#: One ``Key=value`` line: the key (a constant) and the value escaped by ``ini_value``. A plain tuple, not a
#: NamedTuple: a 10,000-account file has some 170,000 of them, and building NamedTuples was a measurable part
#: of the render.
PrfValue = tuple[str, str]


class PrfAccount(NamedTuple):
    section: str  # Account1, Account2...
    type: str  # I_Mail | IMAP_I_Mail
    values: tuple[PrfValue, ...]


#: The keys of an account section's incoming server, per protocol: built once, not per account.
_INCOMING_KEYS: Mapping[Protocol, tuple[str, str, str, str, str]] = {
    protocol: (f"{tag}Server", f"{tag}UserName", f"{tag}Port", f"{tag}UseSSL", f"{tag}UseSPA")
    for protocol, tag in ((Protocol.POP3, "POP3"), (Protocol.IMAP, "IMAP"))
}


#: The account-file setting each text key of an account section holds: a refusal names the setting, not the value.
SETTING_OF: Mapping[str, str] = {
    "AccountName": "name",
    "DisplayName": "display_name",
    "EmailAddress": "address",
    "Organization": "organization",
    **{f"{tag}Server": "incoming.host" for tag in ("POP3", "IMAP")},
    **{f"{tag}UserName": "incoming.username" for tag in ("POP3", "IMAP")},
    "SMTPServer": "outgoing.host",
    "SMTPUserName": "outgoing.username",
}


def _values(a: OutlookAccount, escaped: dict[str | int, str]) -> tuple[PrfValue, ...]:
    """The ``Key=value`` lines of one account section, in a fixed order (a value of None is left out).

    ``escaped`` holds the values already escaped in this render call (ports, flags and codes repeat in every
    account): each distinct value goes through ``ini_value`` (as text) once. It is keyed by the value itself;
    a bool, equal to 1 or 0 but written ``True``/``False``, is never kept in it.
    """
    server, user, port, use_ssl, use_spa = _INCOMING_KEYS[a.protocol]
    pairs: list[tuple[str, str | int | None]] = [
        ("UniqueService", "No"),
        ("AccountName", a.name),
        ("DisplayName", a.display_name),
        ("EmailAddress", a.email),
        ("Organization", a.organization),
        (server, a.host),
        (user, a.user),
        (port, a.port),
        (use_ssl, a.use_ssl),
        (use_spa, a.use_spa),
        ("LeaveOnServer", None if a.leave_on_server is None else f"0x{a.leave_on_server:x}"),
        ("ServerTimeOut", a.timeout),
    ]
    if a.outgoing is not None:
        out = a.outgoing
        pairs += [
            ("SMTPServer", out.host),
            ("SMTPPort", out.port),
            ("SMTPUseSSL", out.use_ssl),
            ("SMTPSecureConnection", int(out.secure_connection)),
            ("SMTPUseAuth", out.use_auth),
            ("SMTPAuthMethod", None if out.auth_method is None else int(out.auth_method)),
            ("SMTPUserName", out.user),
            ("SMTPUseSPA", out.use_spa),
        ]
    values: list[PrfValue] = []
    key = ""
    try:
        for key, value in pairs:
            if value is None:
                continue
            written = escaped.get(value) if type(value) is not bool else None
            if written is None:
                written = ini_value(str(value))
                if type(value) is not bool:
                    escaped[value] = written
            values.append((key, written))
    except UnsafeValue as exc:
        raise unsafe_in(a.name, SETTING_OF.get(key, key), exc) from None
    return tuple(values)


def render(model: Model, env: jinja2.Environment, options: Mapping[str, str]) -> Rendered:
    profile = profile_option(options)
    accounts: list[PrfAccount] = []
    gaps = Gaps()
    escaped: dict[str | int, str] = {}
    for account in model.accounts:
        decided = decide(account, GAP_RULES, gaps)
        if decided is None:
            continue
        incoming, outgoing = account.incoming, account.outgoing
        if decided.timeout == 0:
            side = "incoming" if incoming is not None and incoming.timeout == 0 else "outgoing"
            gaps.add(account, f"{side}.timeout", TIMEOUT_ZERO_GAP)
            decided = decided._replace(timeout=None)
        if (
            incoming is not None
            and outgoing is not None
            and incoming.timeout is not None
            and outgoing.timeout is not None
            and incoming.timeout != outgoing.timeout
        ):
            gaps.add(account, "outgoing.timeout", TIMEOUT_SPLIT_GAP)
        accounts.append(
            PrfAccount(f"Account{len(accounts) + 1}", ACCOUNT_TYPE[decided.protocol], _values(decided, escaped))
        )
    text = env.get_template(f"{NAME}/outlook.prf.j2").render(profile=ini_value(profile), accounts=accounts)
    text = text.replace("\n", "\r\n")
    content = text.encode("ascii") if text.isascii() else "\ufeff".encode("utf-16-le") + text.encode("utf-16-le")
    return Rendered((RenderedFile(FILE_NAME, content),), tuple(gaps.found))
