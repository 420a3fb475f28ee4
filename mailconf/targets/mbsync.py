r"""mbsync (isync 1.4.4): an ``.mbsyncrc`` that syncs each IMAP account into a local Maildir.

Written for isync **1.4.4**, the version in Debian 12: it takes ``SSLType`` and
``SSLVersions``. isync 1.5 renamed them ``TLSType`` and ``TLSVersions``; 1.4.4
rejects those names, and with them files written for 1.5 (home-manager writes
``TLSType``).

Where it goes: ``~/.mbsyncrc``, mode 0600 (it names your password commands).
``mailconf render --target mbsync accounts.yaml -o ~`` writes ``~/.mbsyncrc`` (an
existing file that differs is kept unless ``--force``, which saves a ``.bak``).
Then create the Maildir folders and sync:

    mkdir -p ~/Mail/work          # one folder per account: mbsync does not create it
    mbsync work                   # one account (its Channel is named after it)
    mbsync -a                     # every account

Check the file without connecting with ``mbsync -c ~/.mbsyncrc NO_SUCH_CHANNEL``:
a good file prints only ``No channel or group named 'NO_SUCH_CHANNEL' defined.`` and
``No channel specified. Try 'mbsync -h'``; a bad one prints ``FILE:LINE: ...``.
isync 1.4.4 has no mode that prints what it parsed. ``mbsync -l work`` connects and
lists the account's folders (``-V``/``-D`` show the conversation).

Two things mbsync 1.4.4 checks that are not in this file:

- ``CertificateFile`` (and ``ClientCertificate``, ``ClientKey``) must exist **when
  the file is read**: a missing ``tls.ca_file`` stops every account, not just its own
  (``FILE:LINE: CertificateFile '...': No such file or directory``);
- the account's Maildir folder (``~/Mail/<account>/``) must exist before the
  first sync (otherwise: ``Maildir error: cannot open store '.../Mail/<account>/'``);
  mbsync then creates the mailboxes inside it (``Create Near``).

What is written, per account with an IMAP ``incoming`` server (four sections,
all named after the account):

- ``IMAPAccount NAME``: ``Host``, ``Port``, ``User``, ``PassCmd``
  (``password_command``, or ``token_command`` for OAuth2; mbsync runs it with
  ``/bin/sh -c`` at login, never while reading the file, and takes the first line it
  prints as it is: a command that ends its lines with CR LF passes the CR on as part
  of the password, where the other targets and probe drop it), ``SSLType IMAPS`` (security
  ``tls``), ``STARTTLS`` (``starttls``: mbsync refuses a server that does not offer
  it) or ``None``; ``SSLVersions`` (``tls.min_version`` and every newer version);
  ``SystemCertificates no`` and ``CertificateFile`` for ``tls.ca_file`` (a private CA,
  or the server's own certificate, which mbsync then trusts as a pin whatever its
  dates and name); ``ClientCertificate``/``ClientKey``; ``AuthMechs`` (the
  ``mechanisms``, upper-cased; without them ``XOAUTH2`` for OAuth2, ``GSSAPI``,
  ``NTLM``, ``EXTERNAL`` for a client certificate, and mbsync's default ``*`` for
  passwords); ``Timeout`` (0 is no timeout; mbsync's default is 20 seconds).
- ``IMAPStore NAME-remote`` with ``Account NAME``.
- ``MaildirStore NAME-local``: ``Path ROOT/NAME/``, ``Inbox ROOT/NAME/INBOX``,
  ``SubFolders Verbatim`` (IMAP folder ``a/b`` becomes ``ROOT/NAME/a/b``).
- ``Channel NAME``: ``Far :NAME-remote:``, ``Near :NAME-local:``, ``Patterns *``
  (every folder), ``Create Near`` (new server folders are created locally),
  ``SyncState *`` (the sync state lives in each Maildir). mbsync's defaults stay:
  ``Sync All`` (both ways), ``Expunge None`` and ``Remove None`` (nothing is
  deleted for good on either side until you add ``Expunge Both``).

Options: ``--option maildir-root=PATH`` (default ``~/Mail``; an absolute path or
one starting with ``~/``), ``--option patterns="INBOX Archive*"`` (the folders to
sync, IMAP patterns separated by blanks, ``!`` excludes; default ``*``).

Values are written in double quotes with ``\`` and ``"`` escaped; a value holding
a control character is refused (the error names the account and the setting). A password command
starting with ``+`` gets a leading space: mbsync would read ``+`` as "this command
prompts on the terminal"; the shell ignores the space. Two accounts whose names
differ only in case (``Work``, ``work``) are refused, naming both: their Maildirs
(``~/Mail/Work/``, ``~/Mail/work/``) are one folder on macOS, Windows or a FAT drive,
where mbsync would keep both accounts' mail and sync state in it.

What mbsync cannot express (each is a warning, an error with ``--strict``):

- POP3 accounts (mbsync speaks IMAP only; they are left out: use the fetchmail
  target);
- a value whose line would be longer than the 1021 bytes mbsync 1.4.4 reads whole (a
  ``password_command``, ``token_command`` or ``tls`` path of about a thousand
  bytes): mbsync would read the rest as a line of its own, so that account is left
  out and the others are written (wrap a long command in a script); its other gaps are
  reported with it, as every left-out account's are (render.md, left-out accounts);
- ``tls.fingerprint``: mbsync has no fingerprint option; put the server's
  certificate in ``tls.ca_file`` instead (``mbsync-get-cert HOST`` fetches it;
  compare its fingerprint first);
- ``tls.verify: false`` and ``tls.verify_hostname: false``: mbsync 1.4.4 always
  checks the certificate and the host name, except for a server certificate
  named in ``CertificateFile``, so the connection fails where the YAML says to
  accept;
- a ``host`` with a trailing dot (``imap.example.org.``), or an IP address: mbsync
  1.4.4 compares the certificate's names with the host as written, dot included,
  and never with the certificate's IP addresses, so the connection fails (``Error,
  certificate owner does not match hostname ...``) unless ``tls.ca_file`` is the
  server's own certificate;
- ``tls.client_cert`` without ``tls.client_key``, or the reverse: mbsync 1.4.4 presents a client
  certificate only when both ``ClientCertificate`` and ``ClientKey`` are set, and reads no key from
  the certificate's file, so half the pair is left out (when one PEM file holds both, name it in
  both settings);
- ``auth: none`` (mbsync always logs in unless the server greets with PREAUTH),
  ``auth: client-cert`` without TLS, and a password or token command that the
  chosen ``auth`` does not use (left out);
- a ``username`` that starts or ends with a blank, for ``auth: password``, ``ntlm``
  or ``oauth2``, unless ``mechanisms`` is ``[login]``: mbsync logs in through Cyrus
  SASL (the default ``AuthMechs *`` picks SASL PLAIN where the server offers it), and
  Cyrus SASL drops those blanks before it sends the name; only IMAP ``LOGIN``, which
  mbsync sends itself, keeps them.

Sending mail is not mbsync's job: ``outgoing`` servers are not written (use the
msmtp target), and accounts without an ``incoming`` server are left out.
OAuth2 (``AuthMechs XOAUTH2`` or ``OAUTHBEARER``) needs a Cyrus SASL plugin for
it (cyrus-sasl-xoauth2), which Debian 12 does not ship.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import jinja2

from ..errors import UsageError
from ..escape import UnsafeValue
from ..escape.mbsync import MAX_LINE_BYTES, LineTooLong, mbsync_line, mbsync_quote
from ..model import CREDENTIAL_COMMAND, Account, Auth, Model, Protocol, Security, Server
from . import FolderNames, Gaps, OwnFile, Rendered, RenderedFile, gap_rules

NAME = "mbsync"
TITLE = "mbsync (isync 1.4.4): ~/.mbsyncrc, an IMAP account, two stores and a channel per account"
FILE_NAME = ".mbsyncrc"
#: Its one file, written whenever the target writes anything: left over when it has no account to write.
OWN_FILES: tuple[OwnFile, ...] = (OwnFile(FILE_NAME, b"configuration written by mailconf (target mbsync)."),)
DEFAULT_MAILDIR_ROOT = "~/Mail"
DEFAULT_PATTERNS = "*"
OPTIONS: Mapping[str, str] = {
    "maildir-root": f"folder holding one Maildir per account, ROOT/<account>/ [default: {DEFAULT_MAILDIR_ROOT}]; "
    "absolute or starting with ~/",
    "patterns": f"IMAP folders to sync, patterns separated by blanks, ! excludes [default: {DEFAULT_PATTERNS}]",
}

CAPABILITIES: Mapping[str, str] = {
    "imap": "yes: IMAPAccount, IMAPStore, MaildirStore and Channel per account",
    "pop3": "no: mbsync speaks IMAP only (use the fetchmail target)",
    "smtp": "no: mbsync only syncs mailboxes (use the msmtp target to send)",
    "security: tls": "yes: SSLType IMAPS",
    "security: starttls": "yes: SSLType STARTTLS (mbsync refuses a server without STARTTLS)",
    "security: none": "yes: SSLType None",
    "auth: password": "yes: User and PassCmd (AuthMechs * unless mechanisms are named)",
    "auth: oauth2": "yes: AuthMechs XOAUTH2 (or OAUTHBEARER) with PassCmd running token_command; "
    "needs a Cyrus SASL plugin for it (Debian 12 ships none)",
    "auth: gssapi": "yes: AuthMechs GSSAPI",
    "auth: ntlm": "yes: AuthMechs NTLM",
    "auth: client-cert": "yes: ClientCertificate and ClientKey with AuthMechs EXTERNAL",
    "password_command": "yes: PassCmd",
    "token_command": "yes: PassCmd (with auth oauth2)",
    "mechanisms": "yes: AuthMechs",
    "tls.ca_file": "yes: CertificateFile with SystemCertificates no (a CA, or the server certificate as a pin)",
    "tls.fingerprint": "no: mbsync has no fingerprint option; put the server certificate in tls.ca_file",
    "tls.verify: false": "no: mbsync 1.4.4 always verifies; put the server certificate in tls.ca_file",
    "tls.min_version": "yes: SSLVersions",
    "timeout": "yes: Timeout (0 is no timeout)",
    "leave_on_server": "no: POP3 only, and mbsync has no POP3",
    "leave_days": "no: POP3 only, and mbsync has no POP3",
}

_SSL_TYPE: Mapping[Security, str] = {
    Security.TLS: "IMAPS",
    Security.STARTTLS: "STARTTLS",
    Security.NONE: "None",
}

#: tls.min_version -> SSLVersions: that version and every newer one.
_SSL_VERSIONS: Mapping[str, str] = {
    "1.0": "TLSv1 TLSv1.1 TLSv1.2 TLSv1.3",
    "1.1": "TLSv1.1 TLSv1.2 TLSv1.3",
    "1.2": "TLSv1.2 TLSv1.3",
    "1.3": "TLSv1.3",
}

#: auth -> AuthMechs when no mechanism is named (None: mbsync's default, *).
_AUTH_MECHS: Mapping[Auth, str | None] = {
    Auth.PASSWORD: None,
    Auth.OAUTH2: "XOAUTH2",
    Auth.GSSAPI: "GSSAPI",
    Auth.NTLM: "NTLM",
    Auth.CLIENT_CERT: "EXTERNAL",
    Auth.NONE: None,
}

#: The only AuthMechs mbsync sends itself (IMAP LOGIN); every other mechanism goes through Cyrus SASL.
LOGIN = "LOGIN"

POP3_GAP = "mbsync speaks IMAP only: the account is left out (use the fetchmail target for POP3)"
PIN_GAP = (
    "mbsync has no fingerprint option: put the server's certificate in tls.ca_file instead "
    "(mbsync trusts a server certificate named in CertificateFile as a pin); the certificate is checked "
    "against the CAs meanwhile"
)
BLANK_USER_GAP = (
    "mbsync logs in through Cyrus SASL, which drops the blanks at the start and end of the user name, so the "
    "server gets another name; name mechanisms: [login] (IMAP LOGIN, which mbsync sends itself, keeps them)"
)
VERIFY_GAP = (
    "mbsync 1.4.4 always verifies the certificate and the host name: put the server's certificate in "
    "tls.ca_file (mbsync trusts a server certificate named in CertificateFile whatever its dates and name); "
    "until then the connection fails where the certificate does not verify"
)
#: socket.c's own name check: the host as written against the certificate's names, never its IP addresses.
TRAILING_DOT_GAP = (
    "mbsync 1.4.4 checks the certificate's names against the host with its trailing dot, which no certificate "
    "holds: the connection fails (Error, certificate owner does not match hostname); write the host without the "
    "dot, or put the server's certificate in tls.ca_file (mbsync trusts a server certificate named in "
    "CertificateFile whatever its name)"
)
IP_HOST_GAP = (
    "mbsync 1.4.4 matches the host against the certificate's names only, never its IP addresses: the connection "
    "fails (Error, certificate owner does not match hostname); connect by name, or put the server's certificate in "
    "tls.ca_file (mbsync trusts a server certificate named in CertificateFile whatever its name)"
)

#: Half a client certificate pair: OpenSSL presents a certificate only with its key, and mbsync loads the
#: certificate file's certificates only (SSL_CTX_use_certificate_chain_file), the key file's key only.
HALF_PAIR_GAP = {
    "tls.client_cert": "mbsync 1.4.4 presents a client certificate only with its private key (ClientKey), and reads "
    "no key from the certificate's file: add tls.client_key (the certificate's own file when it holds the key too); "
    "ClientCertificate is left out",
    "tls.client_key": "mbsync 1.4.4 presents a client certificate only with the certificate itself "
    "(ClientCertificate), and reads no certificate from the key's file: add tls.client_cert (the key's own file when "
    "it holds the certificate too); ClientKey is left out",
}

#: What mbsync cannot express at all: CAPABILITIES' "no" rows. The TLS ones are reported by server_gaps, and
#: only for a server with TLS: on a cleartext connection there is no certificate to pin or to verify.
GAP_RULES = gap_rules(CAPABILITIES, own=("tls.fingerprint", "tls.verify: false"))


class MbsyncAccount(NamedTuple):
    """The four sections of one account, every value decided; ``None`` leaves the line out. The template quotes."""

    name: str
    host: str
    port: int
    user: str
    pass_cmd: str | None
    ssl_type: str
    ssl_versions: str | None
    certificate_file: str | None  # with SystemCertificates no
    client_certificate: str | None
    client_key: str | None
    auth_mechs: str | None
    timeout: int | None
    path: str  # the MaildirStore's Path (ends with /)
    inbox: str


def render(model: Model, env: jinja2.Environment, options: Mapping[str, str]) -> Rendered:
    root = maildir_root_option(options)
    patterns = patterns_option(options)
    gaps = Gaps()
    accounts: list[MbsyncAccount] = []
    maildirs = FolderNames("mbsync")
    for account in model.accounts:
        server = account.incoming
        if server is None:
            continue  # outgoing servers are not mbsync's job (capability "smtp"): not a gap
        if server.protocol is not Protocol.IMAP:
            gaps.server(account, server, "protocol", POP3_GAP)
            continue
        own = Gaps()
        server_gaps(own, account, server)
        too_long: list[tuple[str, str]] = []
        entry = _account(account, server, root, too_long)
        # mbsync would read a line cut in two: the account is left out (the others are written), its gaps all said
        for setting, message in too_long:
            gaps.server(account, server, setting, message)
        gaps.found += own.found
        if too_long:
            continue
        maildirs.claim(entry.path, account)
        accounts.append(entry)
    if not accounts:
        return Rendered((), tuple(gaps.found))
    text = env.get_template("mbsync/mbsyncrc.j2").render(accounts=accounts, patterns=patterns)
    return Rendered((RenderedFile(FILE_NAME, text.encode("utf-8"), 0o600),), tuple(gaps.found))


def server_gaps(gaps: Gaps, account: Account, server: Server) -> None:
    """Every setting of an IMAP server that the rendered sections cannot express: the "no" rows of
    CAPABILITIES, then what the table does not list."""
    gaps.unsupported(account, server, GAP_RULES)
    encrypted = server.security is not Security.NONE
    tls = server.tls
    if encrypted and tls.fingerprint is not None:
        gaps.server(account, server, "tls.fingerprint", PIN_GAP)
    if encrypted and not tls.verify:
        gaps.server(account, server, "tls.verify", VERIFY_GAP)
    elif encrypted and not tls.verify_hostname:
        gaps.server(account, server, "tls.verify_hostname", VERIFY_GAP)
    if encrypted and server.host.endswith("."):
        gaps.server(account, server, "host", TRAILING_DOT_GAP)
    elif encrypted and server.is_ip_literal:
        gaps.server(account, server, "host", IP_HOST_GAP)
    if encrypted and (tls.client_cert is None) is not (tls.client_key is None):
        half = "tls.client_cert" if tls.client_key is None else "tls.client_key"
        gaps.server(account, server, half, HALF_PAIR_GAP[half])
    if server.auth is Auth.NONE:
        gaps.server(
            account,
            server,
            "auth",
            "mbsync always logs in (unless the server greets with PREAUTH): give a username and auth",
        )
    elif server.auth is Auth.CLIENT_CERT and not encrypted:
        gaps.server(account, server, "auth", "a client certificate needs TLS: set security to tls or starttls")
    logs_in = server.auth in CREDENTIAL_COMMAND  # a user name and a secret (GSSAPI and EXTERNAL bring their own)
    if logs_in and server.username != server.username.strip(" ") and _auth_mechs(server) != LOGIN:
        # Cyrus canonicalises the name (canonusr.c: leading and trailing isspace() dropped); the schema allows no
        # other blank that isspace() matches
        gaps.server(account, server, "username", BLANK_USER_GAP)
    gaps.unused_commands(account, server, CREDENTIAL_COMMAND.get(server.auth))


def _account(account: Account, server: Server, root: str, too_long: list[tuple[str, str]]) -> MbsyncAccount:
    """The account's four sections; each setting whose line mbsync could not read whole is added to ``too_long``
    (setting, gap), and the entry is then not to be written."""

    def checked(setting: str, keyword: str, value: str | None) -> str | None:
        """The value if mbsync can read it back on one line; a too_long entry when the line is too long for it,
        UnsafeValue naming account and setting when no line can hold it (a control character)."""
        if value is None:
            return None
        try:
            mbsync_line(keyword, value)
        except LineTooLong as exc:
            advice = "wrap the command in a script" if keyword == "PassCmd" else "use a shorter path"
            too_long.append((setting, f"{exc}: the account is left out; {advice}"))
        except UnsafeValue as exc:
            raise UnsafeValue(f"account {account.name}: incoming.{setting}: {exc}") from None
        return value

    encrypted = server.security is not Security.NONE
    tls = server.tls
    pair = encrypted and tls.client_cert is not None and tls.client_key is not None  # half a pair: a gap
    field = CREDENTIAL_COMMAND.get(server.auth)  # run through PassCmd
    command = server.credential_command
    if command is not None and command.startswith("+"):
        command = " " + command  # a leading + means "prompts on the terminal" to mbsync; the shell skips the blank
    path = f"{root}/{account.name}/"
    return MbsyncAccount(
        name=account.name,
        host=server.host,
        port=server.port,
        user=checked("username", "User", server.username) or "",
        pass_cmd=checked(field or "password_command", "PassCmd", command),
        ssl_type=_SSL_TYPE[server.security],
        ssl_versions=_SSL_VERSIONS[tls.min_version] if encrypted and tls.min_version else None,
        certificate_file=checked("tls.ca_file", "CertificateFile", tls.ca_file) if encrypted else None,
        client_certificate=checked("tls.client_cert", "ClientCertificate", tls.client_cert) if pair else None,
        client_key=checked("tls.client_key", "ClientKey", tls.client_key) if pair else None,
        auth_mechs=_auth_mechs(server),
        timeout=server.timeout,
        path=path,
        inbox=path + "INBOX",
    )


def _auth_mechs(server: Server) -> str | None:
    """The AuthMechs line's value: the mechanisms named, upper-cased, or the auth's own (None: mbsync's ``*``)."""
    return " ".join(m.upper() for m in server.mechanisms) or _AUTH_MECHS[server.auth]


def maildir_root_option(options: Mapping[str, str]) -> str:
    """The maildir-root option without a trailing slash (UsageError, exit 2, when mbsync cannot read it)."""
    root = options.get("maildir-root", DEFAULT_MAILDIR_ROOT)
    stripped = root.rstrip("/")
    if not (root.startswith("/") or root == "~" or root.startswith("~/")):
        raise UsageError("--option maildir-root: write an absolute path or one starting with ~/ (like ~/Mail)")
    try:
        # the longest account name (64 characters) and "/INBOX" must still fit on the Inbox line
        mbsync_line("Inbox", f"{stripped}/{'x' * 64}/INBOX")
    except UnsafeValue as exc:
        raise UsageError(f"--option maildir-root: {exc}") from None
    return stripped


def patterns_option(options: Mapping[str, str]) -> tuple[str, ...]:
    """The patterns option split at blanks, each quoted by the template (UsageError when it cannot be written)."""
    patterns = tuple(options.get("patterns", DEFAULT_PATTERNS).split())
    if not patterns:
        raise UsageError("--option patterns: name at least one IMAP pattern (like * or INBOX)")
    try:
        line = "Patterns " + " ".join(mbsync_quote(p) for p in patterns)
    except UnsafeValue as exc:
        raise UsageError(f"--option patterns: {exc}") from None
    if len(line.encode("utf-8")) > MAX_LINE_BYTES:
        raise UsageError(
            f"--option patterns: the Patterns line would exceed mbsync 1.4.4's limit of {MAX_LINE_BYTES} bytes"
        )
    return patterns
