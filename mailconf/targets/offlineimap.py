r"""offlineimap (offlineimap3 8.0.0): an ``.offlineimaprc`` that syncs each IMAP account into a local Maildir.

Written for offlineimap3 **8.0.0**, the version in Debian 12 (package offlineimap3,
``offlineimap --version`` prints ``8.0.0``), and checked by reading its source
(/usr/share/offlineimap3/offlineimap).

Where it goes: two files, both mode 0600, in your home directory:

- ``~/.offlineimaprc``, the configuration;
- ``~/.offlineimap-mailconf.py``, the ``pythonfile`` it names, which holds the
  password and token commands (only written when an account has one).

``mailconf render --target offlineimap accounts.yaml -o ~`` writes both (an existing
file that differs is kept unless ``--force``, which saves a ``.bak``). Then:

    offlineimap -a work           # one account
    offlineimap                   # every account, once
    offlineimap --info            # what it read; it connects and lists the folders

offlineimap creates the Maildir folders itself (``~/Mail/<account>/``). Two accounts
whose names differ only in case (``Work``, ``work``) are refused, naming both: their
Maildirs (and offlineimap's ``~/.offlineimap/Account-NAME``) are one folder on macOS,
Windows or a FAT drive, where offlineimap would keep both accounts' mail and sync state.

What is written, per account with an IMAP ``incoming`` server (three sections,
named after the account):

- ``[general]``: ``accounts`` (every account written), ``pythonfile``, and
  ``socktimeout`` (the ``timeout``: offlineimap3 has one for all accounts, see below).
- ``[Account NAME]``: ``localrepository = NAME-local``, ``remoterepository = NAME-remote``.
- ``[Repository NAME-local]``: ``type = Maildir``, ``localfolders = ROOT/NAME``.
- ``[Repository NAME-remote]``: ``type = IMAP``, ``remotehost``, ``remoteport``,
  ``remoteuser``; ``remotepasseval = mailconf_password('NAME')`` (the
  ``password_command``) or ``oauth2_access_token_eval = mailconf_token('NAME')``
  (the ``token_command``, for OAuth2); ``ssl = yes`` (security ``tls``) with
  ``sslcacertfile`` (``tls.ca_file``, otherwise ``OS-DEFAULT``, the system CAs),
  ``cert_fingerprint`` (``tls.fingerprint``, lower-case hex), ``sslclientcert`` and
  ``sslclientkey``; or ``ssl = no`` and ``starttls = no`` (security ``none``);
  ``auth_mechanisms`` (the ``mechanisms``, upper-cased; without them
  ``CRAM-MD5, PLAIN, LOGIN`` for passwords, ``XOAUTH2`` for OAuth2, ``GSSAPI``); ``expunge = no``
  (a message you delete locally is marked deleted on the server, never expunged).

offlineimap syncs both ways: new mail, flags and deletions travel in both directions.

The commands live in the pythonfile, never in ``.offlineimaprc``. Loading it (which
offlineimap does at start) defines two dictionaries, account name to command, and
two functions, and runs nothing. ``mailconf_password`` and ``mailconf_token`` run the
account's command with ``/bin/sh -c`` and return the first line it prints (an exit
status other than 0 stops that account, naming it): offlineimap asks for the password
when it logs in, and for the token when it sets the account up, before connecting. The
commands are written as Python string literals of printable ASCII (``ascii()``), and
the ``.offlineimaprc`` passes only the account name, so no command can become code.

Options: ``--option maildir-root=PATH`` (default ``~/Mail``; an absolute path or one
starting with ``~/``).

Values are written as offlineimap3's reader (Python's ``ConfigParser`` with
interpolation) reads them: ``%`` is written ``%%``. A value that holds a control
character or a line break, or that starts or ends with a blank, is refused, and so is
a file path holding ``$NAME`` or ``${NAME}`` (offlineimap expands those in
paths and has no escape); the error names the account and the setting, never the
value. offlineimap reads the file in the locale's encoding: UTF-8 on Debian (and
under ``LC_ALL=C``, Python's UTF-8 mode).

STARTTLS, and why it is never written
-------------------------------------

offlineimap3 8.0.0 has no mandatory STARTTLS. With ``ssl = no`` and ``starttls =
yes`` it sends STARTTLS only if the server's capabilities list it (its upstream issue
#222; ``__start_tls`` in imapserver.py), so an attacker who removes that word gets the
password in clear text; and after STARTTLS it checks no certificate at all
(``imapobj.starttls()`` is called without ``ca_certs``: ``CERT_NONE``; neither
``sslcacertfile`` nor ``cert_fingerprint`` applies). That is the downgradeable
opportunistic STARTTLS that ``render`` refuses as ``starttls-optional`` everywhere
else. So ``security: starttls`` is a gap: the account is **left out** with a warning
(an error with ``--strict``, like every gap), rather than written in a form that sends
the password to whoever answers. Use ``security: tls`` (port 993): offlineimap checks
the certificate there.

What offlineimap cannot express (each is a warning, an error with ``--strict``):

- ``security: starttls`` (above: the account is left out);
- POP3 accounts (offlineimap speaks IMAP only; left out: use the fetchmail target);
- ``auth: ntlm``, ``auth: client-cert`` (offlineimap3 has no NTLM and no SASL
  EXTERNAL; a ``tls.client_cert`` is still presented with ``auth: password``) and
  ``auth: none`` (offlineimap always logs in): the account is left out. A left-out account's
  other gaps are reported with it (render.md, left-out accounts), but for what follows from
  the reason: the TLS settings of a STARTTLS server, the ``mechanisms`` and the unused command
  of an ``auth`` offlineimap cannot do; a POP3 account says only why;
- ``tls.verify: false`` without a ``tls.fingerprint``: offlineimap3 always checks the
  certificate against CAs or a pin, so pin it with ``tls.fingerprint`` (with
  ``verify: false`` and a fingerprint, only the pin is checked, which is written);
- ``tls.verify_hostname: false`` while the CAs are checked: offlineimap checks the
  name whenever it checks the CAs (pin the certificate instead);
- a ``host`` with a trailing dot (``imap.example.org.``) while the CAs are checked:
  offlineimap3 compares the certificate's names with the host as written, dot
  included, so the connection fails (``no matching domain name found in
  certificate``);
- an IP address as the ``host`` while the CAs are checked: offlineimap3 matches it
  against the certificate's common name and DNS names only, never its IP addresses,
  so the connection fails unless one of those is the address (connect by name, or
  pin the certificate);
- an ``md5`` ``tls.fingerprint`` (offlineimap3 compares sha1, sha224, sha256, sha384
  and sha512 only);
- ``tls.client_key`` without ``tls.client_cert``: offlineimap3 loads a key only with its certificate, and
  ``sslclientkey`` alone stops every connection of the account (``TypeError: certfile should be a valid filesystem
  path``), whatever the server asks, so it is left out (a ``tls.client_cert`` alone is written: offlineimap3 then
  reads the key from the certificate's file, which must hold both);
- ``tls.min_version: "1.3"``: offlineimap3's ``ssl_version`` pins one version and
  has no TLS 1.3. Nothing is written for ``"1.2"`` and lower: offlineimap3 on
  Debian 12 (Python 3.11, OpenSSL 3.0) never negotiates below TLS 1.2, and pinning
  ``tls1_2`` would shut out TLS 1.3;
- ``mechanisms`` other than GSSAPI, XOAUTH2, CRAM-MD5, PLAIN and LOGIN (left out of
  ``auth_mechanisms``);
- LOGIN for a ``username`` holding a blank, a non-ASCII character or one of
  ``( ) { "``: offlineimap3 sends the name of an IMAP LOGIN unquoted, and no unquoted
  name carries those. Dovecot refuses such a LOGIN (``BAD``), a laxer server reads
  another name (``al ice`` as ``al`` with the password ``ice``), and a non-ASCII name
  stops the account before it logs in. LOGIN is left out of ``auth_mechanisms``
  (with only LOGIN named, ``CRAM-MD5, PLAIN`` is written); the SASL mechanisms
  send the name as written, but offlineimap3 tries each only where the server
  lists it (``AUTH=PLAIN``, ``AUTH=CRAM-MD5``): a server that lists none of them
  gets no login (``no supported authentication mechanisms found``). ``%``, ``*`` and
  ``\`` keep LOGIN: RFC 9051's grammar keeps them out of an unquoted name too, but
  Dovecot and Cyrus read them as written (``user%domain`` logs in to Dovecot as
  ``user%domain``); a server that follows the grammar to the letter answers ``BAD``,
  and nobody is logged in as someone else;
- a ``timeout`` that differs from the one written: ``socktimeout`` is read from
  ``[general]`` only, so the first account's timeout applies to every account;
- a password or token command that the chosen ``auth`` does not use (left out).

Sending mail is not offlineimap's job: ``outgoing`` servers are not written (use the
msmtp target), and accounts without an ``incoming`` server are left out.
offlineimap3 checks the host name against the certificate's DNS names and common name
only (not its IP addresses): connect by name. It also refuses a certificate that has no
common name, whatever DNS names it holds (``CA Cert verifying failed: no commonName
found in certificate``); ``render`` cannot see the server's certificate, so for such
a server pin it (``tls.verify: false`` with ``tls.fingerprint``: the pin alone is
checked). GSSAPI needs the python3-gssapi package.
An OAuth2 token is fetched once per run (offlineimap cannot refresh it: run
offlineimap once at a time, not with ``autorefresh``).
A password with a non-ASCII character cannot go by the IMAP LOGIN command:
imaplib2 encodes it as ASCII, and the account stops before anything is sent
(``'ascii' codec can't encode character``, exit 1). CRAM-MD5 and PLAIN send it (and
the user name) in UTF-8, and ``auth_mechanisms`` tries them first unless
``mechanisms`` names LOGIN alone; ``render`` cannot warn, since the password is not in
the account file (its command runs at login).

How it is tested: every expressible combination, and hostile values in every field
that reaches either file (quotes, backslashes, ``%``, ``$()``, backticks, Python
syntax, non-BMP characters), are read back through offlineimap3's own
``CustomConfigParser``, ``Account``, ``Repository`` and ``IMAPServer`` objects, with a
canary file showing that loading both files runs no command; ``offlineimap --info``
logs in to a test server with exactly the user, password and token given; and
offlineimap syncs a Dovecot INBOX into the Maildir over TLS, with the password from the
pythonfile and a private CA as ``sslcacertfile``; a Dovecot that takes any user name
logs it in as ``user%domain*x`` with LOGIN, and as ``al ice`` and ``ümlaut@example.org``
(password ``pässwörd``) with PLAIN, while LOGIN alone stops on that password.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

import jinja2

from ..errors import UsageError, double_quoted
from ..escape import UnsafeValue
from ..escape.offlineimap import offlineimap_path, offlineimap_value
from ..model import CREDENTIAL_COMMAND, Account, Auth, Model, Protocol, Security, Server
from . import LOGIN_NAME_GAP, FolderNames, Gaps, OwnFile, Rendered, RenderedFile, gap_rules, sent_unquoted

NAME = "offlineimap"
TITLE = "offlineimap (offlineimap3 8.0.0): ~/.offlineimaprc and a pythonfile for the password commands"
FILE_NAME = ".offlineimaprc"
PYTHONFILE_NAME = ".offlineimap-mailconf.py"
#: .offlineimaprc, left over when the target has no account to write, and the pythonfile, written only while an
#: account has a command: the header comment of each says who wrote it.
OWN_FILES: tuple[OwnFile, ...] = (
    OwnFile(FILE_NAME, b"configuration written by mailconf (target offlineimap)."),
    OwnFile(PYTHONFILE_NAME, b"written by mailconf (target offlineimap)"),
)
#: Where .offlineimaprc looks for the pythonfile: both files are rendered into the home directory.
PYTHONFILE = "~/" + PYTHONFILE_NAME
DEFAULT_MAILDIR_ROOT = "~/Mail"
OPTIONS: Mapping[str, str] = {
    "maildir-root": f"folder holding one Maildir per account, ROOT/<account> [default: {DEFAULT_MAILDIR_ROOT}]; "
    "absolute or starting with ~/",
}

CAPABILITIES: Mapping[str, str] = {
    "imap": "yes: an Account, a Maildir and an IMAP repository per account",
    "pop3": "no: offlineimap speaks IMAP only (use the fetchmail target)",
    "smtp": "no: offlineimap only syncs mailboxes (use the msmtp target to send)",
    "security: tls": "yes: ssl = yes",
    "security: starttls": "no: offlineimap3 starts TLS only if the server offers it and then checks no certificate "
    "(a gap: the account is left out; use tls)",
    "security: none": "yes: ssl = no, starttls = no",
    "auth: password": "yes: remoteuser and remotepasseval (auth_mechanisms CRAM-MD5, PLAIN, LOGIN)",
    "auth: oauth2": "yes: auth_mechanisms XOAUTH2 with oauth2_access_token_eval",
    "auth: gssapi": "yes: auth_mechanisms GSSAPI (needs python3-gssapi)",
    "auth: ntlm": "no: offlineimap3 has no NTLM (the account is left out)",
    "auth: client-cert": "no: offlineimap3 has no SASL EXTERNAL (the account is left out; "
    "tls.client_cert is presented with auth password)",
    "password_command": "yes: remotepasseval calls the pythonfile, which runs it",
    "token_command": "yes: oauth2_access_token_eval calls the pythonfile, which runs it (with auth oauth2)",
    "mechanisms": "partial: auth_mechanisms takes GSSAPI, XOAUTH2, CRAM-MD5, PLAIN, LOGIN (others are a gap)",
    "tls.ca_file": "yes: sslcacertfile (OS-DEFAULT without it)",
    "tls.fingerprint": "partial: cert_fingerprint (sha1, sha256; md5 is a gap)",
    "tls.verify: false": "partial: with tls.fingerprint only the pin is checked; without one a gap "
    "(offlineimap3 always checks CAs or a pin)",
    "tls.min_version": "partial: never below TLS 1.2 on Debian 12, nothing written; 1.3 is a gap",
    "timeout": "partial: socktimeout in [general], one for every account (a different one is a gap)",
    "leave_on_server": "no: POP3 only, and offlineimap has no POP3",
    "leave_days": "no: POP3 only, and offlineimap has no POP3",
}

#: offlineimap3's auth_mechanisms (repository/IMAP.py get_auth_mechanisms): any other name stops the account.
MECHANISMS: tuple[str, ...] = ("GSSAPI", "XOAUTH2", "CRAM-MD5", "PLAIN", "LOGIN")
#: auth -> auth_mechanisms when no (usable) mechanism is named.
_DEFAULT_MECHANISMS: Mapping[Auth, str] = {
    Auth.PASSWORD: "CRAM-MD5, PLAIN, LOGIN",
    Auth.OAUTH2: "XOAUTH2",
    Auth.GSSAPI: "GSSAPI",
}
#: Which command each auth runs through the pythonfile: the model's, for the auths offlineimap3 can do (NTLM, which
#: it cannot, leaves the account out; GSSAPI runs none).
_COMMAND_FIELD: Mapping[Auth, str] = {a: f for a, f in CREDENTIAL_COMMAND.items() if a in _DEFAULT_MECHANISMS}
#: The fingerprint algorithms offlineimap3 compares (imaplibutil.py: sha512, sha384, sha256, sha224, sha1).
_FINGERPRINTS = frozenset({"sha1", "sha224", "sha256", "sha384", "sha512"})
#: What offlineimap3 can only do opportunistically (starttls-optional never gets as far as the file: render, and
#: Gaps.unsupported for a caller of this module, refuse it).
_STARTTLS = frozenset({Security.STARTTLS, Security.STARTTLS_OPTIONAL})
#: Account names go into section names and into [general] accounts (split at ","): the schema's accountName.
_ACCOUNT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")

POP3_GAP = "offlineimap speaks IMAP only: the account is left out (use the fetchmail target for POP3)"
STARTTLS_GAP = (
    "offlineimap3 8.0.0 starts TLS only when the server offers STARTTLS (upstream issue #222) and then checks no "
    "certificate, so an attacker can remove or intercept it and read the password: the account is left out; "
    "use security tls (port 993)"
)
NTLM_GAP = "offlineimap3 has no NTLM: the account is left out"
CLIENT_CERT_GAP = (
    "offlineimap3 has no SASL EXTERNAL: the account is left out; log in with auth password "
    "(tls.client_cert and tls.client_key are then presented)"
)
#: imaplib2 (offlineimap3's IMAP library) sends the name of an IMAP LOGIN unquoted (see sent_unquoted); then comes
#: what auth_mechanisms is instead.
LOGIN_USER_GAP = LOGIN_NAME_GAP.format(client="offlineimap3") + ", so LOGIN is left out"
AUTH_NONE_GAP = "offlineimap always logs in: the account is left out; give a username and auth"
VERIFY_GAP = (
    "offlineimap3 always checks the certificate against CAs or a pin: add tls.fingerprint to trust that "
    "certificate alone; until then it is checked against the CAs and the connection fails where it does not verify"
)
HOSTNAME_GAP = (
    "offlineimap3 checks the host name whenever it checks the CAs: set verify false with tls.fingerprint to trust "
    "that certificate alone; until then the connection fails where the name does not match"
)
#: imapserver.py's __verifycert compares the host as written with the certificate's names, trailing dot included.
TRAILING_DOT_GAP = (
    "offlineimap3 checks the certificate's names against the host with its trailing dot, which no certificate holds: "
    "the connection fails; write the host without the dot"
)
#: __verifycert reads the certificate's commonName and DNS names only: an address matches none of a certificate's IP
#: addresses (where a certificate names an address).
IP_HOST_GAP = (
    "offlineimap3 matches the host against the certificate's common name and DNS names only, never its IP "
    "addresses: the connection fails unless the common name or a DNS name is this address; connect by name, or pin "
    "the certificate (tls.verify false with tls.fingerprint)"
)
FINGERPRINT_GAP = (
    "offlineimap3 compares sha1, sha224, sha256, sha384 and sha512 fingerprints only: write the sha256 fingerprint; "
    "the pin is left out meanwhile"
)
#: imaplib2 loads the pair with SSLContext.load_cert_chain(sslclientcert, sslclientkey), before any handshake: a key
#: without a certificate raises TypeError, so every connection of the account fails, whatever the server asks.
KEY_ONLY_GAP = (
    "offlineimap3 takes a private key only with its client certificate: sslclientkey alone stops every connection of "
    "the account ('TypeError: certfile should be a valid filesystem path'), so it is left out; add tls.client_cert "
    "(the key's own file when it holds the certificate too)"
)
MIN_VERSION_GAP = (
    "offlineimap3 cannot require TLS 1.3 (ssl_version pins a single version and has no tls1_3): "
    "TLS 1.2 or newer is negotiated"
)

#: What offlineimap3 cannot express at all: CAPABILITIES' "no" rows, with these messages.
GAP_RULES = gap_rules(
    CAPABILITIES,
    {"security: starttls": STARTTLS_GAP, "auth: ntlm": NTLM_GAP, "auth: client-cert": CLIENT_CERT_GAP},
)


class OfflineimapAccount(NamedTuple):
    """The sections of one account, every value decided; ``None`` leaves the line out. The template escapes."""

    name: str
    host: str
    port: int
    user: str
    password_eval: str | None  # remotepasseval: a call of the pythonfile's function with the account name
    token_eval: str | None  # oauth2_access_token_eval: the same for the token
    ssl: bool
    ca_file: str | None  # sslcacertfile (a path, or OS-DEFAULT)
    fingerprint: str | None  # cert_fingerprint: lower-case hex
    client_cert: str | None
    client_key: str | None
    mechanisms: str
    folders: str  # localfolders


def render(model: Model, env: jinja2.Environment, options: Mapping[str, str]) -> Rendered:
    root = maildir_root_option(options)
    written = [a for a in model.accounts if renders(a)]
    socktimeout = next((t for a in written if (t := _server(a).timeout) is not None), None)
    gaps = Gaps()
    accounts: list[OfflineimapAccount] = []
    passwords: list[tuple[str, str]] = []
    tokens: list[tuple[str, str]] = []
    maildirs = FolderNames("offlineimap")
    for account in model.accounts:
        server = account.incoming
        if server is None:
            continue  # outgoing servers are not offlineimap's job (capability "smtp"): not a gap
        if server.protocol is not Protocol.IMAP:
            gaps.server(account, server, "protocol", POP3_GAP)
            continue
        gaps.unsupported(account, server, GAP_RULES)
        if server.auth is Auth.NONE:
            gaps.server(account, server, "auth", AUTH_NONE_GAP)
        server_gaps(gaps, account, server, socktimeout)  # left out or not: docs/render.md, left-out accounts
        if not renders(account):
            continue
        entry = _account(account, server, root)
        maildirs.claim(entry.folders, account)
        accounts.append(entry)
        command = _command(account)
        if command is not None:
            (passwords if entry.password_eval is not None else tokens).append((account.name, command))
    if not accounts:
        return Rendered((), tuple(gaps.found))
    pythonfile = PYTHONFILE if passwords or tokens else None
    rc = env.get_template("offlineimap/offlineimaprc.j2").render(
        accounts=accounts, pythonfile=pythonfile, socktimeout=socktimeout
    )
    files = [RenderedFile(FILE_NAME, rc.encode("utf-8"), 0o600)]
    if pythonfile is not None:
        helper = env.get_template("offlineimap/pythonfile.py.j2").render(passwords=passwords, tokens=tokens)
        files.append(RenderedFile(PYTHONFILE_NAME, helper.encode("ascii"), 0o600))
    return Rendered(tuple(files), tuple(gaps.found))


def renders(account: Account) -> bool:
    """Whether the account is written: IMAP, not STARTTLS, an auth offlineimap can do (the rest is a gap)."""
    server = account.incoming
    return (
        server is not None
        and server.protocol is Protocol.IMAP
        and server.security not in _STARTTLS
        and server.auth in _DEFAULT_MECHANISMS
    )


def server_gaps(gaps: Gaps, account: Account, server: Server, socktimeout: int | None) -> None:
    """What the written sections of an IMAP server cannot express (its "no" rows aside: GAP_RULES).

    ``socktimeout`` is the one timeout written in ``[general]`` (offlineimap3 has no other).
    """
    if server.security is Security.TLS:
        _tls_gaps(gaps, account, server)
    doable = server.auth in _DEFAULT_MECHANISMS  # else the account is left out: its mechanisms and commands follow
    if doable:
        _mechanism_gaps(gaps, account, server)
    # socktimeout None: no account written declares one, and this one is left out (written, it would be its own)
    if server.timeout is not None and socktimeout is not None and server.timeout != socktimeout:
        gaps.server(
            account,
            server,
            "timeout",
            f"offlineimap3 reads one socktimeout for every account ([general]): {socktimeout} seconds is written "
            "(the first account's that declares one); give every account the same timeout",
        )
    if doable:
        gaps.unused_commands(account, server, _COMMAND_FIELD.get(server.auth))


def _mechanism_gaps(gaps: Gaps, account: Account, server: Server) -> None:
    """What auth_mechanisms cannot say of the mechanisms declared (for an auth offlineimap3 can do)."""
    unknown = [m for m in server.mechanisms if m.upper() not in MECHANISMS]
    if unknown:
        listed = ", ".join(m.upper() for m in unknown)
        usable = _mechanisms(server) if len(unknown) < len(server.mechanisms) else None
        then = f"auth_mechanisms is {usable}" if usable else f"the default {_mechanisms(server)} is used"
        gaps.server(
            account,
            server,
            "mechanisms",
            f"offlineimap3 knows {', '.join(MECHANISMS)} only: {listed} left out ({then})",
        )
    written = _mechanisms(server)
    if ", ".join(_named_or_default(server)) != written:  # LOGIN left out for this user name
        # every mechanism but LOGIN is tried only where the server lists it (__authn_helper's check_cap)
        offered = " or ".join(f"AUTH={m}" for m in written.split(", "))
        gaps.server(
            account,
            server,
            "username",
            f"{LOGIN_USER_GAP} (auth_mechanisms is {written}: offlineimap3 logs in only where the server offers "
            f"{offered})",
        )


def _tls_gaps(gaps: Gaps, account: Account, server: Server) -> None:
    """What the sections of a server with security tls cannot express of its host and TLS settings."""
    tls = server.tls
    pinned = _fingerprint(server) is not None
    if tls.fingerprint is not None and not pinned:
        gaps.server(account, server, "tls.fingerprint", FINGERPRINT_GAP)
    if tls.verify or not pinned:  # the CAs are checked, and with them the name
        if server.host.endswith("."):
            gaps.server(account, server, "host", TRAILING_DOT_GAP)
        elif server.is_ip_literal:
            gaps.server(account, server, "host", IP_HOST_GAP)
    if not tls.verify and not pinned:
        gaps.server(account, server, "tls.verify", VERIFY_GAP)
    elif tls.verify and not tls.verify_hostname:
        gaps.server(account, server, "tls.verify_hostname", HOSTNAME_GAP)
    if tls.min_version == "1.3":
        gaps.server(account, server, "tls.min_version", MIN_VERSION_GAP)
    if tls.client_key is not None and tls.client_cert is None:
        gaps.server(account, server, "tls.client_key", KEY_ONLY_GAP)


def _server(account: Account) -> Server:
    assert account.incoming is not None  # only called for accounts that renders() keeps
    return account.incoming


def _command(account: Account) -> str | None:
    server = _server(account)
    field = _COMMAND_FIELD.get(server.auth)
    return getattr(server, field) if field is not None else None


def _fingerprint(server: Server) -> str | None:
    """cert_fingerprint: the pin as offlineimap3 compares it (lower-case hex), or None when it cannot."""
    tls = server.tls
    if tls.fingerprint_algorithm not in _FINGERPRINTS or tls.fingerprint_hex is None:
        return None
    return tls.fingerprint_hex.replace(":", "").lower()


def _named_or_default(server: Server) -> list[str]:
    """The mechanisms named that offlineimap3 knows, or the auth's default ones."""
    named = [m.upper() for m in server.mechanisms if m.upper() in MECHANISMS]
    return named or _DEFAULT_MECHANISMS[server.auth].split(", ")


def _mechanisms(server: Server) -> str:
    """auth_mechanisms: LOGIN only for a user name it sends as written (then the default ones, if none is left)."""
    mechanisms = _named_or_default(server)
    if not sent_unquoted(server.username):
        without = [m for m in mechanisms if m != "LOGIN"]
        mechanisms = without or [m for m in _DEFAULT_MECHANISMS[server.auth].split(", ") if m != "LOGIN"]
    return ", ".join(mechanisms)


def _account(account: Account, server: Server, root: str) -> OfflineimapAccount:
    def checked(setting: str, value: str | None, *, path: bool = False) -> str | None:
        """The value if offlineimap can read it back exactly; UnsafeValue naming account and setting otherwise."""
        if value is None:
            return None
        try:
            (offlineimap_path if path else offlineimap_value)(value)
        except UnsafeValue as exc:
            raise UnsafeValue(f"account {account.name}: incoming.{setting}: {exc}") from None
        return value

    if not _ACCOUNT_NAME.fullmatch(account.name):
        raise UnsafeValue(
            f"account {double_quoted(account.name)}: an account name offlineimap cannot use as a section name"
        )
    tls = server.tls
    encrypted = server.security is Security.TLS
    fingerprint = _fingerprint(server) if encrypted else None
    ca_file: str | None = None
    if encrypted and (tls.verify or fingerprint is None):  # verify false with a pin: the pin alone is checked
        ca_file = checked("tls.ca_file", tls.ca_file, path=True) or "OS-DEFAULT"
    pair = encrypted and tls.client_cert is not None  # a key alone is a gap (KEY_ONLY_GAP), left out
    call = f"({account.name!r})"  # Python source written into offlineimaprc (remotepasseval), not a message
    return OfflineimapAccount(
        name=account.name,
        host=checked("host", server.host) or "",
        port=server.port,
        user=checked("username", server.username) or "",
        password_eval=f"mailconf_password{call}" if _command(account) and server.auth is Auth.PASSWORD else None,
        token_eval=f"mailconf_token{call}" if _command(account) and server.auth is Auth.OAUTH2 else None,
        ssl=encrypted,
        ca_file=ca_file,
        fingerprint=fingerprint,
        client_cert=checked("tls.client_cert", tls.client_cert, path=True) if encrypted else None,
        # a certificate alone is written: load_cert_chain then reads the key from its file (one PEM holding both)
        client_key=checked("tls.client_key", tls.client_key, path=True) if pair else None,
        mechanisms=_mechanisms(server),
        folders=f"{root}/{account.name}",
    )


def maildir_root_option(options: Mapping[str, str]) -> str:
    """The maildir-root option without a trailing slash (UsageError, exit 2, when offlineimap cannot read it)."""
    root = options.get("maildir-root", DEFAULT_MAILDIR_ROOT)
    if not (root.startswith("/") or root == "~" or root.startswith("~/")):
        raise UsageError("--option maildir-root: write an absolute path or one starting with ~/ (like ~/Mail)")
    stripped = root.rstrip("/") or "/"
    try:
        offlineimap_path(stripped)
    except UnsafeValue as exc:
        raise UsageError(f"--option maildir-root: {exc}") from None
    return stripped.rstrip("/")
