r"""mobileconfig: an Apple configuration profile per account (iPhone, iPad, Mac Mail), as a provider hands it out.

What is written: ``mobileconfig/ACCOUNT.mobileconfig`` per account that has both an
incoming and an outgoing server (Apple's mail payload requires both), mode 0644: an XML
property list holding a ``Configuration`` profile with one ``com.apple.mail.managed``
payload (keys as Apple's published schema names them, apple/device-management
``mdm/profiles/com.apple.mail.managed.yaml``):

- ``EmailAccountType`` ``EmailTypeIMAP`` or ``EmailTypePOP``; ``EmailAccountDescription``
  (the account's name), ``EmailAccountName`` (the display name, when declared),
  ``EmailAddress``;
- ``IncomingMailServerHostName``, ``…PortNumber``, ``…UseSSL``, ``…Authentication``,
  ``…Username``, and the same ``OutgoingMailServer*`` keys;
  ``OutgoingPasswordSameAsIncomingPassword`` true when both servers log in with the same
  username, the same authentication and the same command for it (``password_command``,
  or ``token_command`` for OAuth2; none on both included): the device asks once and uses
  that password for both;
- ``Authentication``: ``EmailAuthPassword`` (auth ``password``), ``EmailAuthNTLM``
  (``ntlm``), ``EmailAuthNone`` (``none``).

**Never a password**: ``IncomingPassword`` and ``OutgoingPassword`` are never written
(Apple allows them only in encrypted profiles; the account file holds no password
either). The device asks for the password when the profile is installed.

The payload identifiers are stable: ``PayloadUUID`` of the profile is the name-based
UUID (version 5) of ``SOURCE``, the account's name and its address, joined by NUL
characters, in mailconf's namespace ``uuid5(NAMESPACE_DNS, "mobileconfig.mailconf.invalid")``;
the mail payload's UUID is the same with ``com.apple.mail.managed`` appended.
``PayloadIdentifier`` is the reversed mail domain, ``.mailconf.`` and that UUID. So a
re-render is byte-identical, and installing a new profile for the same account replaces
the old one instead of adding a second account. ``SOURCE`` is empty unless
``--option source=NAME`` names the account file (give two files' profiles different
identities with it); ``account_profile(account, source)`` is the same function for
``mailconf serve``, which passes its own source.

No Jinja template: a property list has one correct serialisation of a dictionary (keys
sorted, types as elements, ``& < >`` escaped), the one Python's ``plistlib`` writes. The
profile is written by mailconf's own small writer (``mailconf/targets/_plist.py``), which
writes exactly plistlib's bytes (``plistlib.dumps(profile, fmt=FMT_XML, sort_keys=True)``)
several times faster: plistlib's writer, which escapes, encodes and writes one line at a
time, was ~80% of this target's time. plistlib stays the oracle: the tests prove the two
byte-identical for arbitrary values of the types a profile holds (texts with markup,
``]]>``, quotes, non-ASCII and astral characters, line ends; integers; booleans; empty and
nested dictionaries and arrays), and that a value plistlib refuses is refused too.

Where it goes (publishing): serve each file as ``application/x-apple-aspen-config`` over
HTTPS (``mailconf serve FILE`` answers ``GET /mobileconfig?emailaddress=ADDRESS``), or
mail or AirDrop it to the user; opening it on the device offers to install the profile.
It is unsigned: devices show it as "Not Signed". Sign it with your own certificate if you
can: ``openssl cms -sign -binary -nodetach -outform der -signer cert.pem -inkey key.pem -in
work.mobileconfig -out work-signed.mobileconfig`` (``-binary`` signs the file's bytes as they are;
without it openssl turns its line ends into CRLF first).

What the profile cannot say (each is a warning, an error with ``--strict``):

- **STARTTLS**: ``UseSSL`` is one boolean, "use TLS", and the profile has no way to say
  whether TLS starts at once or after STARTTLS. Security ``starttls`` is written as
  ``UseSSL`` true, with a gap, rather than refused or written false: false would let the
  device log in without TLS, and refusing would leave the user with nothing. Apple's
  clients decide between implicit TLS and STARTTLS themselves (by port), as they do for
  every profile that automx2 and others publish; check that the device connects;
- ``auth: oauth2``, ``gssapi`` and ``client-cert`` (the payload has password, CRAM-MD5,
  NTLM, HTTP-MD5 or none: written ``EmailAuthPassword``, so the device asks for a
  password), ``mechanisms``;
- ``password_command``, ``token_command`` (the device asks the user);
- ``tls.ca_file`` (install the CA with a ``com.apple.security.root`` payload),
  ``tls.fingerprint``, ``tls.verify: false``, ``tls.verify_hostname: false``,
  ``tls.client_cert`` / ``client_key`` (the mail payload has no client certificate),
  ``tls.min_version``, ``timeout``, and POP3's ``leave_on_server`` / ``leave_days``;
- an account without an incoming or an outgoing server: no profile is written for it.

A control character, or the noncharacter U+FFFE or U+FFFF, in any value is refused, naming
the account and the setting (an XML property list cannot carry it). Tested: every key, type and allowed value is
checked against Apple's published schema; the profile is converted by ``plistutil``
(libplist) to binary and back and read back equal; every profile is byte for byte what
``plistlib`` writes for it; a re-render is byte-identical.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from hashlib import sha1  # loaded anyway: jinja2 imports hashlib (its bytecode cache)
from typing import TYPE_CHECKING, Any

import jinja2

from ..escape import UnsafeValue
from ..escape.xml import xml_check
from ..model import Account, Auth, Model, Protocol, Security
from . import RENAME_ACCOUNT, FileNames, Gaps, OwnFile, Rendered, RenderedFile, gap_rules, unsafe_in
from ._provider import domain_of, tls_gaps

if TYPE_CHECKING:
    from ._plist import Layout

NAME = "mobileconfig"
TITLE = "Apple configuration profile, for providers: mobileconfig/<account>.mobileconfig (com.apple.mail.managed)"
OPTIONS: Mapping[str, str] = {
    "source": "a stable name for the account file, mixed into the profiles' UUIDs [default: none]",
}
PAYLOAD_TYPE = "com.apple.mail.managed"
#: mailconf's namespace for the profiles' name-based UUIDs (documented: changing it changes every UUID).
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "mobileconfig.mailconf.invalid")
_NAMESPACE_BYTES = NAMESPACE.bytes
_PAYLOAD_SUFFIX = f"\0{PAYLOAD_TYPE}".encode()
#: An account's profile: its PayloadDescription says who wrote it, in an XML plist (a profile signed with openssl
#: cms holds the whole plist too, after the bytes of its signature: another file, which docs/publish.md makes).
OWN_FILES: tuple[OwnFile, ...] = (
    OwnFile(
        "mobileconfig/*.mobileconfig", b", written by mailconf</string>", b'<?xml version="1.0" encoding="UTF-8"?>'
    ),
)

CAPABILITIES: Mapping[str, str] = {
    "imap": "yes: EmailAccountType EmailTypeIMAP",
    "pop3": "yes: EmailAccountType EmailTypePOP",
    "smtp": "yes: OutgoingMailServer* keys",
    "security: tls": "yes: UseSSL true",
    "security: starttls": "no: UseSSL is one boolean: written true, and the device picks STARTTLS or TLS itself",
    "security: none": "yes: UseSSL false",
    "auth: password": "yes: EmailAuthPassword",
    "auth: oauth2": "no: the mail payload has no OAuth2 (written EmailAuthPassword)",
    "auth: gssapi": "no: the mail payload has no Kerberos (written EmailAuthPassword)",
    "auth: ntlm": "yes: EmailAuthNTLM",
    "auth: client-cert": "no: the mail payload has no client certificate login (written EmailAuthPassword)",
    "password_command": "no: the device asks for the password when the profile is installed",
    "token_command": "no: the mail payload has no OAuth2",
    "mechanisms": "no: the payload names password, CRAM-MD5, NTLM or HTTP-MD5 only",
    "tls.ca_file": "no: install the CA with a com.apple.security.root payload",
    "tls.fingerprint": "no: the mail payload has no certificate pin",
    "tls.verify: false": "no: the device always verifies certificates",
    "tls.min_version": "no: the mail payload has no TLS version setting",
    "timeout": "no: the mail payload has no timeout",
    "leave_on_server": "no: the mail payload has no POP3 keep setting",
    "leave_days": "no: the mail payload has no POP3 keep setting",
}
INSTEAD: Mapping[str, str] = {
    "security: starttls": "the profile's UseSSL is one boolean, so it is written true (never false: the device "
    "would log in without TLS); the device chooses STARTTLS or implicit TLS itself: check that it connects, or "
    "offer implicit TLS (security tls)",
}
#: tls.verify_hostname: false and a client certificate: no row of the capability table, reported all the same
HOSTNAME_GAP = (
    "the mail payload has no such setting: the device checks the host name; use the name the certificate holds"
)
CLIENT_CERT_GAP = "the mail payload has no client certificate for IMAP, POP3 or SMTP: install it on the device yourself"
GAP_RULES = gap_rules(CAPABILITIES, INSTEAD)

ACCOUNT_TYPE: Mapping[Protocol, str] = {Protocol.IMAP: "EmailTypeIMAP", Protocol.POP3: "EmailTypePOP"}
AUTHENTICATION: Mapping[Auth, str] = {
    Auth.PASSWORD: "EmailAuthPassword",
    Auth.NTLM: "EmailAuthNTLM",
    Auth.NONE: "EmailAuthNone",
    Auth.OAUTH2: "EmailAuthPassword",
    Auth.GSSAPI: "EmailAuthPassword",
    Auth.CLIENT_CERT: "EmailAuthPassword",
}
#: The property list layout of a profile, by whether it has EmailAccountName.
_LAYOUTS: dict[bool, Layout] = {}
#: A server's keys, in the order payload() fills them: made once, not with 10 f-strings per account.
SERVER_KEYS: Mapping[str, tuple[str, str, str, str, str]] = {
    side: (
        f"{side.capitalize()}MailServerHostName",
        f"{side.capitalize()}MailServerPortNumber",
        f"{side.capitalize()}MailServerUseSSL",
        f"{side.capitalize()}MailServerAuthentication",
        f"{side.capitalize()}MailServerUsername",
    )
    for side in ("incoming", "outgoing")
}
BOTH_SERVERS = (
    "Apple's mail payload needs an incoming and an outgoing server: no profile is written for such an account"
)


def render(model: Model, env: jinja2.Environment, options: Mapping[str, str]) -> Rendered:
    source = options.get("source", "")
    gaps = Gaps()
    files = []
    names = FileNames(RENAME_ACCOUNT)
    for account in model.accounts:
        account_gaps(gaps, account)
        if account.incoming is None or account.outgoing is None:
            continue
        name = names.claim(f"mobileconfig/{account.name}.mobileconfig", account)
        files.append(RenderedFile(name, account_profile(account, source), 0o644))
    return Rendered(tuple(files), tuple(gaps.found))


def account_gaps(gaps: Gaps, account: Account) -> None:
    """What the account's profile cannot say, added to ``gaps``: ``render`` and ``mailconf serve`` both report it.
    An account without an incoming or an outgoing server has no profile, and that is its one gap (its other settings
    are about a profile never written: docs/render.md, "Left-out accounts")."""
    if account.incoming is None or account.outgoing is None:
        gaps.add(account, "outgoing" if account.outgoing is None else "incoming", BOTH_SERVERS)
        return
    for server in account.servers:
        gaps.unsupported(account, server, GAP_RULES)
        tls_gaps(gaps, account, server, hostname=HOSTNAME_GAP, client_cert=CLIENT_CERT_GAP)


def uuids(account: Account, source: str) -> tuple[str, str]:
    """(the profile's PayloadUUID, the mail payload's): name-based, so every render gives the same.

    ``str(uuid.uuid5(NAMESPACE, name)).upper()`` and the same of ``name + "\\0" + PAYLOAD_TYPE``, without making
    UUID objects (uuid.uuid5 took 1/8 of the target's time): SHA-1 of the namespace and the name, the version and
    variant bits set as uuid.UUID sets them. The tests compare it with uuid.uuid5."""
    profile = sha1(_NAMESPACE_BYTES + "\0".join((source, account.name, account.address)).encode("utf-8"))
    mail = profile.copy()
    mail.update(_PAYLOAD_SUFFIX)
    return _uuid5_text(profile.hexdigest()), _uuid5_text(mail.hexdigest())


def _uuid5_text(sha1_hex: str) -> str:
    """The upper-case text of the version 5 UUID of a SHA-1 digest (its first 16 bytes): version nibble 5, and
    the variant bits of byte 8 set to 10 (RFC 4122), as ``uuid.UUID(bytes=..., version=5)`` sets them."""
    h = sha1_hex.upper()
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{'89AB'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}"


def payload(account: Account) -> dict[str, Any]:
    """The com.apple.mail.managed keys of one account (both servers present), each text checked."""
    incoming, outgoing = account.incoming, account.outgoing
    if incoming is None or outgoing is None:
        raise ValueError(f"account {account.name}: {BOTH_SERVERS}")

    def checked(setting: str, value: str) -> str:
        try:
            return xml_check(value)
        except UnsafeValue as exc:
            raise unsafe_in(account.name, setting, exc) from None

    keys: dict[str, Any] = {
        "EmailAccountType": ACCOUNT_TYPE[incoming.protocol],
        "EmailAccountDescription": checked("name", account.name),
        "EmailAddress": checked("address", account.address),
    }
    for side, server in (("incoming", incoming), ("outgoing", outgoing)):
        host, port, use_ssl, authentication, username = SERVER_KEYS[side]
        keys[host] = checked(f"{side}.host", server.host)
        keys[port] = server.port
        keys[use_ssl] = server.security is not Security.NONE
        keys[authentication] = AUTHENTICATION[server.auth]
        keys[username] = checked(f"{side}.username", server.username)
    # the file's own word that both logins take one password: the same user, auth and password command (a device
    # told "same" never asks for the outgoing one, and would send the incoming password where another is meant)
    keys["OutgoingPasswordSameAsIncomingPassword"] = (
        incoming.username == outgoing.username
        and incoming.auth is outgoing.auth
        and incoming.credential_command == outgoing.credential_command
    )
    if account.display_name is not None:
        keys["EmailAccountName"] = checked("display_name", account.display_name)
    return keys


def account_profile(account: Account, source: str) -> bytes:
    """The configuration profile of one account (an XML property list). Pure: no file is read or written.
    ``source`` names the account file (any stable text); it goes into the UUIDs. ValueError when the account
    lacks a server; UnsafeValue (naming the account and the setting) for a value a plist cannot carry."""
    profile_uuid, payload_uuid = uuids(account, source)
    identifier = ".".join(reversed(domain_of(account.address).split("."))) + f".mailconf.{profile_uuid}"
    mail = payload(account)  # a new dict: completed in place
    mail["PayloadType"] = PAYLOAD_TYPE
    mail["PayloadVersion"] = 1
    mail["PayloadIdentifier"] = f"{identifier}.mail"
    mail["PayloadUUID"] = payload_uuid
    mail["PayloadDisplayName"] = f"Mail ({account.name})"
    profile = {
        "PayloadContent": [mail],
        "PayloadDisplayName": f"Mail account {account.address}",
        "PayloadDescription": f"Mail settings for {account.address}, written by mailconf",
        "PayloadIdentifier": identifier,
        "PayloadType": "Configuration",
        "PayloadUUID": profile_uuid,
        "PayloadVersion": 1,
    }
    shape = account.display_name is not None  # the one key that comes and goes: EmailAccountName
    layout = _LAYOUTS.get(shape)
    if layout is None:
        from ._plist import Layout  # only when a profile is written: every render imports every target module

        layout = _LAYOUTS[shape] = Layout(profile)  # a profile of another shape would be written by dumps()
    return layout.dumps(profile)
