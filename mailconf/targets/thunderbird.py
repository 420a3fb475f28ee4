r"""``mailconf render --target thunderbird FILE -o DIR`` writes Thunderbird preferences, ``user.js``, plus
two more files when the account file asks for them. Checked with Thunderbird 153.8.0esr: the
tests start the real Thunderbird (headless) on a new profile holding these files and read the
accounts back through its own account manager.

| file | when | what it is |
|---|---|---|
| ``user.js`` | always | the accounts, servers, identities and SMTP servers as prefs |
| ``cert_override.txt`` | a ``tls.fingerprint`` pin (SHA-256) | Thunderbird's certificate-exception file, one
  line per ``host:port`` |
| ``import-ca.sh`` (mode 0700) | a ``tls.ca_file`` | ``certutil`` commands that import each CA into the
  profile's certificate store |

With only ``user.js`` to write, ``mailconf render --target thunderbird FILE > user.js`` works too.

Where the files go, how to apply them
-------------------------------------

Quit Thunderbird first. The profile directory is shown under *Help > Troubleshooting Information >
Profile Folder* (on Linux usually ``~/.thunderbird/XXXXXXXX.default-esr/``).

::

    mailconf render --target thunderbird accounts.yaml -o out
    cp out/user.js "$PROFILE/user.js"
    # only if out/cert_override.txt exists:
    if [ -f "$PROFILE/cert_override.txt" ]; then grep -v '^#' out/cert_override.txt >> "$PROFILE/cert_override.txt"
    else cp out/cert_override.txt "$PROFILE/"; fi
    # only if out/import-ca.sh exists (needs certutil: Debian/Ubuntu package libnss3-tools):
    sh out/import-ca.sh "$PROFILE"

Then start Thunderbird. It applies ``user.js`` at every start and copies the values into
``prefs.js``. Once the accounts are there you can delete ``user.js``; as long as it stays, every start
resets the settings it holds, including changes made later in Account Settings. Thunderbird asks
for each password the first time it connects (nothing is asked at start-up: ``login_at_startup``
is always false).

``user.js`` is meant for a **new profile**: it sets ``mail.accountmanager.accounts`` and
``mail.smtpservers`` to exactly the rendered lists. In a profile that already has accounts, render
with ``--option first=N``, N above every number in that profile's ``mail.accountmanager.accounts``
and ``mail.smtpservers`` (Settings > General > Config Editor), and after the first start add the
old keys back to both lists in the Config Editor.

Key numbering
-------------

The N-th account of the file (N counts from ``first``, default 1) becomes ``accountN`` with incoming
server ``serverN`` and identity ``idN``; its SMTP server is ``smtpN``. The first account is the default
account and the first SMTP server the default SMTP server. An account with only an ``outgoing:``
server gets ``smtpN`` and nothing else (see the gaps). An account with only an ``incoming:`` server
gets an identity without an SMTP server, which Thunderbird reads as "use the default server": its
mail would leave through another account's server, so when the file has one that is a gap
(``outgoing``), said with the server and its account. The same input always gives the same bytes.

What it writes
--------------

| YAML | pref |
|---|---|
| incoming ``protocol`` | ``mail.server.serverN.type`` ``imap`` / ``pop3`` |
| ``host``, ``port``, ``username`` | ``hostname``, ``port``, ``userName`` (SMTP:
  ``mail.smtpserver.smtpN.hostname``, ``port``, ``username``) |
| account name | ``mail.server.serverN.name``, ``mail.smtpserver.smtpN.description`` |
| ``security`` tls / starttls / none | ``socketType`` (SMTP: ``try_ssl``) 3 / 2 / 0 |
| ``auth`` none / password / gssapi / ntlm / client-cert / oauth2 | ``authMethod`` 1 / 3 / 5 / 6 / 7 / 10 (4,
  "encrypted password", for password with ``mechanisms: [cram-md5]``) |
| ``leave_on_server`` (POP3) | ``leave_on_server``, and ``delete_mail_left_on_server`` false ("Until I delete
  them" off: a message deleted in Thunderbird stays on the server) |
| ``leave_days`` (POP3) | ``delete_by_age_from_server`` true, ``num_days_to_leave_on_server`` |
| ``address``, ``display_name``, ``organization`` | ``mail.identity.idN.useremail``, ``fullName``,
  ``organization``; ``smtpServer`` = ``smtpN``; ``valid`` true |
| ``timeout`` | global ``mailnews.tcptimeout`` (seconds), only when every server that declares one agrees |
| ``tls.min_version`` 1.0 … 1.3 | global ``security.tls.version.min`` 1 … 4, only when every server that
  declares one agrees |
| ``tls.fingerprint: sha256:…`` | a ``cert_override.txt`` line
  ``host:port:<TAB>OID.2.16.840.1.101.3.4.2.1<TAB>FINGERPRINT<TAB>`` (IPv6 hosts in brackets) |
| ``tls.ca_file`` | ``certutil -A -d sql:"$PROFILE" -n 'mailconf ACCOUNT.SIDE' -t C,, -i FILE`` (each file once)
  |

Global prefs (``mailnews.tcptimeout``, ``security.tls.version.min``) apply to every account in the
profile, not only to the rendered ones.

Escaping: every string is written as a JSON string literal with ``ensure_ascii`` after control
characters are rejected, so it is always exactly one prefs string (the prefs parser knows only
``\" \' \\ \n \r \xHH \uHHHH``; an unknown escape drops the pref, and a stray ``"`` could add
``user_pref`` lines). Text outside ASCII is stored as UTF-8. Thunderbird reads an identity's
``useremail`` and an SMTP server's ``username`` one byte per character (``getCharPref``), so Account
Settings shows them garbled, but what it sends is built from those bytes read as UTF-8: the SMTP server
gets the declared login, and ``MAIL FROM`` and the ``From:`` header carry the declared address in UTF-8.
(Written as ``\xHH``, one byte per character, ``josé`` reached the server as the byte E9 in the login and
as U+FFFD in ``MAIL FROM`` and ``From:``.) ``fullName`` and ``organization`` are read as UTF-8 and sent as
RFC 2047 encoded-words (``=?UTF-8?B?...?=``). Paths in ``import-ca.sh`` are single-quoted for the shell.

What it cannot express (a warning each; ``--strict`` makes them errors)
-----------------------------------------------------------------------

| setting | why, and what to do instead |
|---|---|
| ``password_command`` | Thunderbird has no password command: it asks once and keeps the password in its
  password manager (set a Primary Password to encrypt it). |
| ``token_command`` | Thunderbird signs in to OAuth2 through its own browser window and keeps the token. |
| ``auth: oauth2`` on a host outside Thunderbird's built-in OAuth2 providers | Thunderbird 153 has OAuth2
  settings only for Google, Microsoft, Yahoo/AT&T, AOL, Fastmail, Yandex, mail.ru, Comcast and Thundermail hosts
  (``OAuth2Providers.sys.mjs``; the target keeps a copy that a test compares with the real one); use an app
  password. |
| ``mechanisms`` other than one method's own set | Thunderbird picks the SASL mechanism from ``authMethod``:
  ``[plain, login]``, ``[cram-md5]``, ``[gssapi]``, ``[ntlm]``, ``[external]`` (with client-cert) are
  expressible; anything else is a gap. |
| ``tls.fingerprint`` sha1/md5 | Thunderbird keeps exceptions by SHA-256 only: pin the sha256 fingerprint. |
| a POP3 ``port: 1`` | Thunderbird reads it as not set and connects to 995 (TLS) or 110 (verified: its account
  manager reports that port): serve POP3 on another port. A ``tls.fingerprint`` of that server is a gap too: a
  ``cert_override.txt`` exception holds for one host and port, and one for port 1 would never apply (verified), so
  none is written. |
| ``tls.verify: false``, ``tls.verify_hostname: false`` (without a SHA-256 pin) | no switch exists: pin the
  certificate or name its CA. |
| ``tls.client_cert``, ``tls.client_key`` | Thunderbird takes client certificates from its own store: ``openssl
  pkcs12 -export`` then ``pk12util -d sql:PROFILE -i cert.p12``. |
| ``timeout``, ``tls.min_version`` that differ between servers; ``timeout: 0`` | one global pref only (see
  above): set it yourself in the Config Editor. |
| an IMAP/POP3 ``host`` that is an IPv6 address or ends in a number without being an IPv4 address (``mail.1``,
  ``1.2.3.4.5``) | Thunderbird cannot build the server URL and drops the account (verified); use a host name.
  SMTP takes any host. |
| a ``display_name`` holding an RFC 2047 encoded word (``=?charset?Q?text?=`` or ``?B?``, in any case, the text
  without a ``?``), anywhere in it | it is written as declared, but Thunderbird 153 decodes it itself when it sends,
  inside a word or quotes too (seen: ``=?utf-8?q?Mallory?=``, ``=?UTF-8?Q?Mallory?=`` and ``=?utf-8?b?TWFsbG9yeQ==?=``
  went out as ``Mallory``, ``Bob =?utf-8?q?x?=`` as ``Bob x``, ``a=?utf-8?q?x?=`` as ``a x``), so the recipient does
  not see the name declared; no spelling of ``fullName`` makes it send such a word as text (a name encoded once more
  is decoded twice). A charset Thunderbird does not know stays as written, and is a gap all the same: readers
  decode it (seen with Thunderbird 153 and Python's email: ``=?x-unknown?q?Bob?=``, ``=?cp850?q?Bob?=`` and
  ``=?hz-gb-2312?q?Bob?=`` went out as written and read as ``Bob``). So the gap is not limited to the charsets
  Thunderbird decodes (seen: the WHATWG Encoding Standard's labels, ``utf8``, ``l1``, ``x-user-defined`` among
  them, but not those of its ``replacement`` encoding such as ``hz-gb-2312``; UTF-7 too; an RFC 2231 language,
  ``utf-8*en``, is dropped): the recipient sees the decoded text either way, and that list would be Gecko's to
  copy and follow. Leave the encoded word out. |
| an ``organization`` in ASCII holding an RFC 2047 encoded word, anywhere in it | it is written as declared, but
  Thunderbird 153 sends an ASCII organization as written (seen: ``Organization: =?utf-8?q?Evil?=``), and mail
  readers decode the word (Python's email reads it as ``Evil``, ``a=?utf-8?q?x?=`` as ``ax``). One with a
  character outside ASCII is encoded whole and reaches readers as declared: no gap. Leave the encoded word out. |
| a character outside ASCII in an account's ``address`` | Thunderbird sends from the declared address (UTF-8),
  but shows it garbled in Account Settings (one character per byte): leave that field as it is. |
| a character outside ASCII in a POP3 ``username`` | Thunderbird 153's POP3 client sends ``é`` as the byte E9 (not
  UTF-8) and cannot send a character above U+00FF at all (IMAP sends the name in UTF-8): use an ASCII login
  name. |
| a character outside ASCII in an SMTP ``username`` | Thunderbird logs in with the declared name (UTF-8), but
  shows it garbled in Account Settings (one character per byte): leave that field as it is. |
| an account whose ``incoming:`` server has the protocol, host, port and ``username`` of an earlier account's
  (the host ignoring ASCII case; lint MC702 warns of it too) | Thunderbird 153 makes one account per
  server and login and leaves the later one out (verified): remove one of the two accounts. |
| an account without ``incoming:`` | Thunderbird keeps an address only in an identity of an account with an
  incoming server: only its SMTP server is written; pick it as the Outgoing Server of an identity. |

Not a gap but worth knowing: a ``cert_override.txt`` exception makes Thunderbird accept that one
certificate even though no trusted CA signed it, but Thunderbird still also accepts a certificate
that a trusted CA signed for the same host, so it is not as strict as a pin in msmtp.

How it is tested
----------------

``tests/targets/test_thunderbird.py`` (with the dependency-free Marionette client
``tests/targets/_marionette.py``) starts ``thunderbird --headless --marionette
--remote-allow-system-access --no-remote --profile TMP`` with the rendered files in the profile
(``marionette.port`` 0: a free port, read from ``MarionetteActivePort``), and in chrome context reads:
the prefs Thunderbird's own parser finds in ``user.js`` (``parsePrefsFromBuffer``: exactly the
expected names and values, no parse error), the accounts, servers, identities and SMTP servers of
``MailServices``, the certificate overrides, the trusted CAs, and the global prefs. It covers every
protocol × security × auth combination in one profile, hostile values (a hypothesis property
test), the examples, and two real logons to Dovecot: one with only the pinned self-signed
certificate in ``cert_override.txt`` (and a control without it, which fails) and one over STARTTLS
after ``import-ca.sh`` imported the CA.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

import jinja2

from ..errors import UsageError
from ..escape import UnsafeValue
from ..escape.prefs import PrefNames, prefs_string, prefs_value
from ..escape.shell import shell_quote
from ..hostnames import ascii_lower
from ..model import Account, Auth, Model, Protocol, Security, Server
from . import Gap, Gaps, OwnFile, Rendered, RenderedFile, gap_rules, locate_unsafe
from ._urlhost import url_host_ok

NAME = "thunderbird"
TITLE = "Thunderbird 153: user.js prefs (+ cert_override.txt for a SHA-256 pin, import-ca.sh for a CA file)"
OPTIONS: Mapping[str, str] = {
    "first": "number of the first accountN/serverN/idN/smtpN key (default 1); above the keys an existing profile uses",
}
CAPABILITIES: Mapping[str, str] = {
    "imap": "partial: no IPv6 host (Thunderbird drops such an account: a gap)",
    "pop3": "partial: no IPv6 host (Thunderbird drops such an account: a gap), no port 1 (read as not set: a gap), "
    "no user name outside ASCII (its POP3 client cannot send one: a gap)",
    "smtp": "yes",
    "security: tls": "yes",
    "security: starttls": "yes",
    "security: none": "yes",
    "auth: password": "yes",
    "auth: oauth2": "partial: only hosts of Thunderbird's built-in OAuth2 providers (Google, Microsoft, Yahoo...)",
    "auth: gssapi": "yes",
    "auth: ntlm": "yes",
    "auth: client-cert": "partial: authMethod 7; import the certificate with pk12util (tls.client_cert is a gap)",
    "password_command": "no: Thunderbird asks once and keeps the password in its password manager",
    "token_command": "no: Thunderbird runs its own OAuth2 browser sign-in and keeps the token",
    "mechanisms": "partial: plain+login, cram-md5, gssapi, ntlm, external (one authentication method's set)",
    "tls.ca_file": "yes: import-ca.sh imports it with certutil",
    "tls.fingerprint": "partial: SHA-256 only, as a cert_override.txt exception (CA-signed certificates still pass; "
    "none for a POP3 port 1, which Thunderbird does not connect to: a gap)",
    "tls.verify: false": "no: pin the certificate (sha256) or import its CA",
    "tls.min_version": "partial: the global security.tls.version.min, when all servers agree",
    "timeout": "partial: the global mailnews.tcptimeout, when all servers agree",
    "leave_on_server": "yes",
    "leave_days": "yes",
}
#: user.js, left over when the target has no account to write, and import-ca.sh, written only while an account
#: names a tls.ca_file: the header comment of each says who wrote it. Not cert_override.txt: its header is
#: Thunderbird's own, as in the profile folder the file may be rendered into.
OWN_FILES: tuple[OwnFile, ...] = (
    OwnFile("user.js", b"// Thunderbird preferences written by mailconf (target thunderbird)."),
    OwnFile("import-ca.sh", b"# Written by mailconf (target thunderbird)"),
)

SOCKET_TYPE: Mapping[Security, int] = {Security.NONE: 0, Security.STARTTLS: 2, Security.TLS: 3}
AUTH_METHOD: Mapping[Auth, int] = {
    Auth.NONE: 1,
    Auth.PASSWORD: 3,
    Auth.GSSAPI: 5,
    Auth.NTLM: 6,
    Auth.CLIENT_CERT: 7,
    Auth.OAUTH2: 10,
}
#: The SASL mechanisms each authentication method stands for: declaring exactly these is expressible.
MECHANISMS: Mapping[tuple[Auth, frozenset[str]], int] = {
    (Auth.PASSWORD, frozenset({"plain", "login"})): 3,
    (Auth.PASSWORD, frozenset({"cram-md5"})): 4,
    (Auth.GSSAPI, frozenset({"gssapi"})): 5,
    (Auth.NTLM, frozenset({"ntlm"})): 6,
    (Auth.CLIENT_CERT, frozenset({"external"})): 7,
}
#: security.tls.version.min: 1 = TLS 1.0 ... 4 = TLS 1.3.
TLS_VERSION: Mapping[str, int] = {"1.0": 1, "1.1": 2, "1.2": 3, "1.3": 4}
#: Mail hosts of OAuth2Providers.sys.mjs in Thunderbird 153.8 (kHostnames): a host matches when it,
#: or a parent domain of it, is listed (case-sensitive, as Thunderbird looks it up).
OAUTH2_HOSTS: Mapping[str, frozenset[str] | None] = {
    # None: every protocol; otherwise the protocols the provider grants a scope for
    "googlemail.com": None,
    "gmail.com": None,
    "imap.mail.ru": None,
    "smtp.mail.ru": None,
    "imap.yandex.com": None,
    "smtp.yandex.com": None,
    "yahoo.com": None,
    "att.net": None,
    "aol.com": None,
    "office365.com": frozenset({"imap", "pop3", "smtp"}),
    "outlook.com": frozenset({"imap", "pop3", "smtp"}),
    "hotmail.com": frozenset({"imap", "pop3", "smtp"}),
    "imap.fastmail.com": frozenset({"imap", "pop3", "smtp"}),
    "pop.fastmail.com": frozenset({"imap", "pop3", "smtp"}),
    "smtp.fastmail.com": frozenset({"imap", "pop3", "smtp"}),
    "imap.comcast.net": frozenset({"imap", "pop3", "smtp"}),
    "pop.comcast.net": frozenset({"imap", "pop3", "smtp"}),
    "smtp.comcast.net": frozenset({"imap", "pop3", "smtp"}),
    "thundermail.com": None,
}
SHA256_OID = "OID.2.16.840.1.101.3.4.2.1"
PrefValue = str | int | bool
#: One pref as Python decided it: its name already a prefs string literal (a name is built from constants and
#: key numbers, so escaping it never fails), its value still typed. A plain tuple, not a NamedTuple: a
#: 10,000-account file has some 200,000 of them, and building NamedTuples was a measurable part of the render.
Pref = tuple[str, PrefValue]
#: One ``user_pref(NAME, VALUE);`` line's two arguments, both escaped prefs literals (what the template places).
PrefLine = tuple[str, str]


class Block(NamedTuple):
    """One account's part of ``user.js``, escaped: the template only places these strings."""

    account: str  # the account's name as a prefs string literal (for the ``// account`` comment)
    prefs: tuple[PrefLine, ...]


class Decided(NamedTuple):
    """One account's prefs as decided, before their values are escaped."""

    account: str
    prefs: list[Pref]


class Override(NamedTuple):
    host_port: str
    oid: str
    fingerprint: str


class CaImport(NamedTuple):
    nickname: str
    path: str


def oauth2_provider_known(host: str, protocol: Protocol) -> bool:
    """Whether Thunderbird's OAuth2Providers has settings for this host (its sub-domain walk)."""
    name = host
    while "." in name:
        if name in OAUTH2_HOSTS:
            protocols = OAUTH2_HOSTS[name]
            return protocols is None or protocol.value in protocols
        name = name.split(".", 1)[1]
    return False


def first_key(options: Mapping[str, str]) -> int:
    text = options.get("first", "1")
    # ASCII digits only: "²".isdigit() holds and int() refuses it (as it refuses 4,301 digits and more)
    if not (text.isascii() and text.isdigit() and len(text) <= 7) or not 1 <= int(text) <= 1_000_000:
        raise UsageError("--option first: write a whole number from 1 to 1000000")
    return int(text)


#: What the user does instead, for each setting Thunderbird cannot express (the gap texts).
INSTEAD: Mapping[str, str] = {
    "mechanisms": "Thunderbird picks the SASL mechanism from its authentication method (authMethod {method} for "
    "auth {auth}); remove mechanisms or list exactly one method's set (plain+login, cram-md5, gssapi, ntlm, external)",
    "password_command": "Thunderbird has no password command: it asks for the password once and keeps it in its "
    "password manager (set a Primary Password to encrypt it)",
    "token_command": "Thunderbird gets OAuth2 tokens through its own browser sign-in and keeps them itself; "
    "sign in when it asks",
    "auth": "Thunderbird 153 has OAuth2 settings only for its built-in providers (Google, Microsoft, Yahoo, AOL, "
    "Fastmail, Yandex, mail.ru, Comcast, Thundermail) and this host is not one of them: use auth password "
    "(an app password) for it",
    "incoming.host": "Thunderbird 153 drops an IMAP/POP3 account whose host is an IPv6 address or ends in a "
    "number without being an IPv4 address (its server URL does not parse): use a host name",
    "tls.fingerprint": "Thunderbird keeps certificate exceptions by SHA-256 only: pin the sha256 fingerprint "
    "(openssl x509 -noout -fingerprint -sha256 -in CERT)",
    "tls.verify": "Thunderbird has no switch to skip certificate checks: pin the certificate "
    "(tls.fingerprint sha256:...) or name its CA in tls.ca_file",
    "tls.verify_hostname": "Thunderbird always checks the host name: use the name the certificate holds, "
    "or pin the certificate (tls.fingerprint sha256:...)",
    "tls.client_cert": "Thunderbird takes client certificates from its own store: make a .p12 "
    "(openssl pkcs12 -export -in CERT -inkey KEY -out cert.p12) and import it (pk12util -d sql:PROFILE "
    "-i cert.p12); Thunderbird asks which one to use",
    "display_name": "Thunderbird 153 decodes an RFC 2047 encoded word in the name itself when it sends, inside a word "
    "or quotes too (=?utf-8?q?Bob?= goes out as Bob, a=?utf-8?q?Bob?= as a Bob) and sends one in a charset it does "
    "not know as written (=?x-unknown?q?Bob?=), where mail readers decode it (Python's email reads Bob), so the "
    "recipient sees the decoded text, not the name declared; no spelling of fullName makes it send such a word as "
    "text: leave it out of display_name",
    "organization": "Thunderbird 153 sends an organization in ASCII as written (one with a character outside ASCII "
    "it encodes whole, as text), and mail readers decode an RFC 2047 encoded word in it (Python's email reads "
    "=?utf-8?q?Bob?= as Bob, a=?utf-8?q?Bob?= as aBob), so the recipient sees other text than the one declared: "
    "leave it out of organization",
    "address.utf8": "Thunderbird 153 sends from the declared address (UTF-8, in MAIL FROM and the From: header), but "
    "shows it garbled in Account Settings, one character per byte (getCharPref): leave that field as it is",
    "outgoing.username": "Thunderbird 153 logs in to SMTP with the declared user name (UTF-8), but shows it garbled "
    "in Account Settings, one character per byte (getCharPref): leave that field as it is, or use an ASCII login name",
    "address": "Thunderbird keeps an address only in the identity of an account with an incoming server: only "
    "the SMTP server ({smtp}) is written; choose it as the Outgoing Server of an identity",
    "incoming": "Thunderbird 153 keeps one account per incoming server and login and leaves this one out: account "
    "{account} has the same protocol, host, port and username (lint MC702); remove one of the two accounts, or "
    "correct this one's host, port or username",
    "outgoing": "Thunderbird sends the mail of an account without an outgoing server through the default SMTP "
    "server ({smtp}, account {account}'s): declare the outgoing server this account should send through, or "
    "choose it in Account Settings > Outgoing Server (SMTP)",
    "timeout": "Thunderbird has one timeout for all accounts ({pref}, seconds, never 0) and the servers here ask "
    "for {values}: set the one you want in Settings > Config Editor",
    "tls.min_version": "Thunderbird has one lowest TLS version for all accounts ({pref}) and the servers here ask "
    "for {values}: set the one you want in Settings > Config Editor (1 = TLS 1.0 ... 4 = TLS 1.3)",
}
INSTEAD_KEY = {"tls.client_key": "tls.client_cert"}

#: The "no" features: password_command and token_command. tls.verify: false is reported by server_gaps
#: itself: with a SHA-256 pin it is no gap (the pin accepts the certificate that verification would refuse).
GAP_RULES = gap_rules(
    CAPABILITIES,
    {"password_command": INSTEAD["password_command"], "token_command": INSTEAD["token_command"]},
    own=("tls.verify: false",),
)


def auth_method(account: Account, server: Server, gaps: Gaps) -> int:
    method = AUTH_METHOD[server.auth]
    if server.mechanisms:
        matched = MECHANISMS.get((server.auth, frozenset(server.mechanisms)))
        if matched is None:
            instead = INSTEAD["mechanisms"].format(method=method, auth=server.auth.value)
            gaps.server(account, server, "mechanisms", instead)
        else:
            method = matched
    return method


#: Thunderbird's POP3 server takes a port of 1 or below for "not set" and uses its default instead (the importer
#: reads it so: mailconf/importers/thunderbird.py); IMAP keeps 1
POP3_PORT_1 = (
    "Thunderbird reads a POP3 port of 1 as not set and connects to its default (110, or 995 with TLS); "
    "serve POP3 on another port"
)
#: A certificate exception holds for one host and port, and Thunderbird connects to POP3 port 1 on its default
#: (seen: the account manager reads the port as 995 or 110, and the exception stays at host:1)
POP3_PORT_1_PIN = (
    "Thunderbird connects to this POP3 server on port {port} (it reads port 1 as not set), and a certificate "
    "exception holds for one port, so no cert_override.txt line is written: serve POP3 on another port"
)

#: Seen from Dovecot: Thunderbird's POP3 client sent josé as jos\xe9, and with zoëž it never finished AUTH PLAIN
POP3_USERNAME = (
    "Thunderbird 153's POP3 client sends a user name outside ASCII one byte per character (é as the byte E9, not "
    "UTF-8) and cannot send one above U+00FF at all, so the login fails: use an ASCII login name, or IMAP (which "
    "sends it in UTF-8)"
)


def pop3_port_1(server: Server) -> bool:
    return server.protocol is Protocol.POP3 and server.port == 1


def server_gaps(gaps: Gaps, account: Account, server: Server, pinned: bool) -> None:
    """The settings of one server Thunderbird cannot express, in a fixed order (one test after another:
    most servers have none of them, and then nothing is built): the host, the "no" features of CAPABILITIES
    (GAP_RULES), then the conditions of the "partial" ones and what the table does not list."""
    tls = server.tls
    if server.protocol is not Protocol.SMTP and not url_host_ok(server.host):
        gaps.server(account, server, "host", INSTEAD["incoming.host"])
    gaps.unsupported(account, server, GAP_RULES)
    if pop3_port_1(server):
        gaps.server(account, server, "port", POP3_PORT_1)
    if server.protocol is Protocol.POP3 and not server.username.isascii():
        gaps.server(account, server, "username", POP3_USERNAME)
    unsupported: list[str] = []
    if server.auth is Auth.OAUTH2 and not oauth2_provider_known(server.host, server.protocol):
        unsupported.append("auth")
    if tls.fingerprint is not None and tls.fingerprint_algorithm != "sha256":
        unsupported.append("tls.fingerprint")
    elif pinned and pop3_port_1(server):
        port = 995 if server.security is Security.TLS else 110
        gaps.server(account, server, "tls.fingerprint", POP3_PORT_1_PIN.format(port=port))
    if not tls.verify and not pinned:
        unsupported.append("tls.verify")
    if not tls.verify_hostname and not pinned:
        unsupported.append("tls.verify_hostname")
    if tls.client_cert is not None:
        unsupported.append("tls.client_cert")
    if tls.client_key is not None:
        unsupported.append("tls.client_key")
    for key in unsupported:
        gaps.server(account, server, key, INSTEAD[INSTEAD_KEY.get(key, key)])


#: The pref names of each part of an account, after its key (``mail.server.server1`` + ``.type``...), as
#: prefs string literals.
INCOMING_NAMES = PrefNames(
    (".type", ".hostname", ".port", ".userName", ".name", ".socketType", ".authMethod", ".login_at_startup")
)
LEAVE_NAMES = PrefNames(
    (".leave_on_server", ".delete_mail_left_on_server", ".delete_by_age_from_server", ".num_days_to_leave_on_server")
)
IDENTITY_NAMES = PrefNames((".fullName", ".useremail", ".organization", ".smtpServer", ".valid"))
SMTP_NAMES = PrefNames((".hostname", ".port", ".try_ssl", ".authMethod", ".username", ".description"))
ACCOUNT_NAMES = PrefNames((".server", ".identities"))


def incoming_prefs(account: Account, server: Server, key: str, method: int) -> list[Pref]:
    values: tuple[PrefValue, ...] = (
        server.protocol.value,
        server.host,
        server.port,
        server.username,
        account.name,
        SOCKET_TYPE[server.security],
        method,
        False,
    )
    prefs = list(zip(INCOMING_NAMES(f"mail.server.{key}"), values, strict=True))
    if server.leave_on_server is not None or server.leave_days is not None:
        leave, keep, delete, days = LEAVE_NAMES(f"mail.server.{key}")
        if server.leave_on_server is not None:
            prefs.append((leave, server.leave_on_server))
        # "Until I delete them" off, as in a new profile: a copy left on the server stays there when the message
        # is deleted here. Written, not left to the default, because earlier mailconf renders wrote leave_days as
        # this pref (true): user.js, applied at every start, overrides what such a render left in prefs.js.
        prefs.append((keep, False))
        if server.leave_days is not None:
            prefs.append((delete, True))
            prefs.append((days, server.leave_days))
    return prefs


#: An RFC 2047 encoded word as Thunderbird 153 decodes one in an address header (jsmime.mjs getHeaderTokens and
#: decodeRFC2047Words): anywhere, inside a word or a quoted string too, the text without a ?. It sends the
#: identity's name unquoted (fullAddress), parses the From back with decoding (nsIMsgCompose; seen: the name
#: went out decoded) and writes the decoded text; a charset it does not know stays as written, which readers decode
#: all the same: every charset is a gap (the module docstring).
_ENCODED_WORD = re.compile(r"=\?[^?]*\?[BbQq]\?[^?]*\?=")


def identity_prefs(account: Account, key: str, smtp_key: str | None, gaps: Gaps) -> list[Pref]:
    full_name, useremail, organization, smtp_server, valid = IDENTITY_NAMES(f"mail.identity.{key}")
    prefs: list[Pref] = []
    name = account.display_name
    if name is not None:
        prefs.append((full_name, name))
        if "=?" in name and _ENCODED_WORD.search(name):
            gaps.add(account, "display_name", INSTEAD["display_name"])
    # UTF-8, not one byte per character: Thunderbird sends the pref's bytes read as UTF-8 (\xe9 went out as U+FFFD)
    if not account.address.isascii():
        gaps.add(account, "address", INSTEAD["address.utf8"])
    prefs.append((useremail, account.address))
    org = account.organization
    if org is not None:
        prefs.append((organization, org))
        if "=?" in org and org.isascii() and _ENCODED_WORD.search(org):
            gaps.add(account, "organization", INSTEAD["organization"])
    if smtp_key is not None:
        prefs.append((smtp_server, smtp_key))
    prefs.append((valid, True))
    return prefs


def smtp_prefs(account: Account, server: Server, key: str, method: int, gaps: Gaps) -> list[Pref]:
    # UTF-8, not one byte per character: the SMTP client sends the pref's bytes as they are (a \xHH byte is not UTF-8)
    if not server.username.isascii():
        gaps.add(account, "outgoing.username", INSTEAD["outgoing.username"])
    values: tuple[PrefValue, ...] = (
        server.host,
        server.port,
        SOCKET_TYPE[server.security],
        method,
        server.username,
        account.name,
    )
    return list(zip(SMTP_NAMES(f"mail.smtpserver.{key}"), values, strict=True))


def global_setting(
    model: Model, field: str, value_of: Mapping[str, int] | None, pref: str
) -> tuple[list[Pref], list[Gap]]:
    """One global pref when every server that declares ``field`` agrees; a gap for each otherwise."""
    declared = [(a, s) for a, s in model.servers() if s.declared(field)]
    values = {_field(s, field) for _, s in declared}
    if not values:
        return [], []
    if len(values) == 1:
        (value,) = values
        if value_of is not None:
            return [(prefs_string(pref), value_of[str(value)])], []
        if isinstance(value, int) and value > 0:
            return [(prefs_string(pref), value)], []
    listed = ", ".join(sorted(str(v) for v in values))
    instead = INSTEAD[field].format(values=listed, pref=pref)
    return [], [Gap(a.name, f"{s.side}.{field}", instead) for a, s in declared]


def _field(server: Server, field: str) -> object:
    return server.tls.min_version if field == "tls.min_version" else server.timeout


def host_port(server: Server) -> str:
    host = f"[{server.host}]" if ":" in server.host else server.host
    return f"{host}:{server.port}"


class Keys(NamedTuple):
    account: str
    server: str
    identity: str
    smtp: str


class Collected(NamedTuple):
    """What every account adds to the files: certificate overrides and CA imports, deduplicated."""

    overrides: dict[str, Override]
    imports: dict[str, CaImport]


def account_prefs(
    account: Account, keys: Keys, collected: Collected, gaps: Gaps, default_smtp: tuple[str, str] | None
) -> list[Pref]:
    """``default_smtp``: (key, account name) of the default SMTP server, the first account's that has one."""
    prefs: list[Pref] = []
    if account.incoming is not None:
        server_name, identities_name = ACCOUNT_NAMES(f"mail.account.{keys.account}")
        prefs += [(server_name, keys.server), (identities_name, keys.identity)]
    for server in account.servers:
        tls = server.tls
        pinned = tls.fingerprint is not None and tls.fingerprint_algorithm == "sha256"
        server_gaps(gaps, account, server, pinned)
        method = auth_method(account, server, gaps)
        if pinned and tls.fingerprint_hex is not None and not pop3_port_1(server):
            where = host_port(server)
            collected.overrides.setdefault(where, Override(where, SHA256_OID, tls.fingerprint_hex.upper()))
        if tls.ca_file is not None:
            ca = CaImport(f"mailconf {account.name}.{server.side}", tls.ca_file)
            collected.imports.setdefault(ca.path, ca)
        if server.protocol is Protocol.SMTP:
            prefs += smtp_prefs(account, server, keys.smtp, method, gaps)
        else:
            prefs += incoming_prefs(account, server, keys.server, method)
    if account.incoming is not None:
        prefs += identity_prefs(account, keys.identity, keys.smtp if account.outgoing is not None else None, gaps)
        if account.outgoing is None and default_smtp is not None:  # an identity without smtpServer: the default's
            smtp, owner = default_smtp
            gaps.add(account, "outgoing", INSTEAD["outgoing"].format(smtp=smtp, account=owner))
    else:
        gaps.add(account, "address", INSTEAD["address"].format(smtp=keys.smtp))
    return prefs


class PrefEscaper:
    """Escapes pref values with ``prefs_value`` (``prefs_string`` for plain text: what it calls for that),
    each distinct value once per render call: ports, socket types and methods repeat, and so does text
    (an account's name is its server's ``name`` and its SMTP server's ``description``)."""

    def __init__(self) -> None:
        self._text: dict[str, str] = {}
        self._ints: dict[int, str] = {}
        self._other: dict[tuple[type, PrefValue], str] = {}  # booleans: by type and value

    def text(self, value: str) -> str:
        literal = self._text.get(value)
        if literal is None:
            literal = self._text[value] = prefs_string(value)
        return literal

    def lines(self, prefs: list[Pref]) -> tuple[PrefLine, ...]:
        text, ints, other = self._text, self._ints, self._other
        lines: list[PrefLine] = []
        for name, value in prefs:
            if type(value) is str:
                literal = text.get(value)
                if literal is None:
                    literal = text[value] = prefs_string(value)
            elif type(value) is int:
                literal = ints.get(value)
                if literal is None:
                    literal = ints[value] = prefs_value(value)
            else:
                literal = other.get((type(value), value))
                if literal is None:
                    literal = other[type(value), value] = prefs_value(value)
            lines.append((name, literal))
        return tuple(lines)


def render(model: Model, env: jinja2.Environment, options: Mapping[str, str]) -> Rendered:
    start = first_key(options)
    gaps = Gaps()
    collected = Collected({}, {})
    decided: list[Decided] = []
    accounts: list[str] = []
    smtps: list[str] = []
    default_smtp = next(
        ((f"smtp{n}", a.name) for n, a in enumerate(model.accounts, start) if a.outgoing is not None), None
    )
    # Thunderbird makes one server per type, host name (ignoring ASCII case), port and user name, not the socket
    # type: it leaves a later account with the same four out (a host it cannot parse is a gap of its own)
    incoming_seen: dict[tuple[Protocol, str, int, str], str] = {}
    for n, account in enumerate(model.accounts, start):
        keys = Keys(f"account{n}", f"server{n}", f"id{n}", f"smtp{n}")
        incoming = account.incoming
        if incoming is not None and url_host_ok(incoming.host):
            same = (incoming.protocol, ascii_lower(incoming.host), incoming.port, incoming.username)
            kept = incoming_seen.setdefault(same, account.name)
            if kept != account.name:
                gaps.add(account, "incoming", INSTEAD["incoming"].format(account=kept))
        decided.append(Decided(account.name, account_prefs(account, keys, collected, gaps, default_smtp)))
        if account.incoming is not None:
            accounts.append(keys.account)
        if account.outgoing is not None:
            smtps.append(keys.smtp)
    globals_: list[Pref] = []
    if accounts:
        globals_ += [(prefs_string("mail.accountmanager.accounts"), ",".join(accounts))]
        globals_ += [(prefs_string("mail.accountmanager.defaultaccount"), accounts[0])]
    if smtps:
        globals_ += [(prefs_string("mail.smtpservers"), ",".join(smtps))]
        globals_ += [(prefs_string("mail.smtp.defaultserver"), smtps[0])]
    for field, value_of, pref in (
        ("timeout", None, "mailnews.tcptimeout"),
        ("tls.min_version", TLS_VERSION, "security.tls.version.min"),
    ):
        pref_list, pref_gaps = global_setting(model, field, value_of, pref)
        globals_ += pref_list
        gaps.found += pref_gaps
    # Every value is escaped here, after all the decisions and in the order of the file (globals, then each
    # account's name and prefs), so the first unsafe value stops the render as it did when the template escaped.
    escaper = PrefEscaper()
    try:
        global_lines = escaper.lines(globals_)
        blocks = [Block(escaper.text(d.account), escaper.lines(d.prefs)) for d in decided]
    except UnsafeValue as exc:
        raise locate_unsafe(model.accounts, prefs_string, exc) from None
    files = [RenderedFile("user.js", _render(env, "user.js.j2", globals=global_lines, blocks=blocks))]
    if collected.overrides:
        overrides = list(collected.overrides.values())
        files.append(RenderedFile("cert_override.txt", _render(env, "cert_override.txt.j2", overrides=overrides)))
    if collected.imports:
        imports = list(collected.imports.values())
        try:
            script = _render(env, "import-ca.sh.j2", imports=imports)
        except UnsafeValue as exc:
            raise locate_unsafe(model.accounts, shell_quote, exc, _CA_FILES) from None
        files.append(RenderedFile("import-ca.sh", script, 0o700))
    return Rendered(tuple(files), tuple(gaps.found))


#: The settings import-ca.sh writes (as shell words).
_CA_FILES = ("incoming.tls.ca_file", "outgoing.tls.ca_file")


def _render(env: jinja2.Environment, template: str, **context: object) -> bytes:
    return env.get_template(f"{NAME}/{template}").render(**context).encode("utf-8")
