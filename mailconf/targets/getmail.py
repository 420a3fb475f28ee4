r"""getmail (getmail6 6.18.11): one rc file per account that fetches its mail into a Maildir.

Written for getmail6 **6.18.11**, the version in Debian 12 (``getmail --version``).
getmail reads one rc file per account; each is written as
``getmail/<account>.getmailrc``, mode 0600 (it names your password commands).
Render into ``~/.config`` so that the files land in getmail's own folder
(``~/.config/getmail/``, the one getmail uses when it exists), create each
account's Maildir (getmail does not), then check and fetch:

    mailconf render --target getmail accounts.yaml -o ~/.config
    mkdir -p ~/Mail/work/cur ~/Mail/work/new ~/Mail/work/tmp
    getmail --getmaildir ~/.config/getmail --rcfile work.getmailrc --dump   # what getmail read
    getmail --getmaildir ~/.config/getmail --rcfile work.getmailrc          # fetch one account
    getmail --getmaildir ~/.config/getmail --rcfile work.getmailrc --rcfile home.getmailrc

``--rcfile`` names a file inside the ``--getmaildir`` folder, where getmail also
keeps what it has already fetched (``oldmail-*`` files). With no ``--rcfile`` and
no file named ``getmailrc`` there, getmail reads **every** file of that folder (so
remove the ``.bak`` copies that ``--force`` keeps). An existing file that differs
is kept unless ``--force``. ``getmail --dump`` prints every setting as getmail read it
and connects nowhere; it needs the Maildir (with ``cur``, ``new``, ``tmp``) and every
named certificate file to exist. getmail refuses to deliver mail as root.

What is written, per account with an ``incoming`` server:

- ``[retriever]``: ``type`` ``SimpleIMAPSSLRetriever`` or ``SimplePOP3SSLRetriever``
  (security ``tls``), ``SimpleIMAPRetriever`` or ``SimplePOP3Retriever`` (security
  ``none``, which lint flags); ``server``, ``port``, ``username``;
  ``password_command`` (``password_command``, or ``token_command`` for OAuth2) as
  ``('/bin/sh', '-c', SCRIPT, 'mailconf', 'COMMAND')``: getmail runs it without a
  shell, so the command goes to ``/bin/sh -c``, at login, never while reading the
  file (without one, getmail asks for the password, or takes it from its keyring).
  The SCRIPT, ``out=$(/bin/sh -c "$1") || exit; printf %s "$out" | head -n 1``,
  passes on the command's first output line only, as the account file means
  (getmail itself takes the whole output and sends every line of it: a second line
  reached a POP3 server as a command of its own), and stops with the command's exit
  status. getmail drops the blanks at both ends of what it gets: a password that
  starts or ends with a blank does not log in. **A password with a non-ASCII
  character cannot log in to IMAP with LOGIN** (getmail's login without a mechanism
  named): Python's imaplib encodes the command as ASCII, so getmail stops before it
  sends anything (``UnicodeEncodeError``, exit 4, with a traceback). ``render`` cannot
  warn: the password is not in the account file, its command runs at login. Name
  ``mechanisms: [cram-md5]`` where the server offers it; CRAM-MD5 and POP3's ``PASS``
  send the password in UTF-8;
  ``use_xoauth2 = true`` (OAuth2, IMAP), ``use_kerberos = true`` (GSSAPI, IMAP;
  needs the python3-kerberos package), ``use_cram_md5 = true`` (mechanism
  ``cram-md5``, IMAP); ``ca_certs``; ``ssl_fingerprints`` (a SHA-256 pin, lower-case
  hex); ``certfile`` and ``keyfile`` (``tls.client_cert`` and ``client_key``; a
  certificate without a key file is named as both, so hold the key in it);
  ``timeout`` (getmail's default is 180 seconds). IMAP fetches the ``INBOX``.
- ``[destination]``: ``type = Maildir``, ``path = ROOT/NAME/``.
- ``[options]``: ``read_all = false`` (only messages getmail has not fetched
  before), ``delete = false`` (keep the mail on the server: ``leave_on_server: true``,
  getmail's default, and IMAP), ``delete = true`` for ``leave_on_server: false``;
  ``delete_after = N`` for ``leave_days: N`` (N days after getmail first fetched it).

Certificates: getmail 6.18.11 checks the server's certificate and name **only** when
``ca_certs`` names a file; without it, it accepts any certificate. So every TLS
account gets ``ca_certs``: ``tls.ca_file``, or the system's CA bundle
(``--option system-ca-file``, default ``/etc/ssl/certs/ca-certificates.crt``). It is
left out only for ``tls.verify: false``, and for a SHA-256 ``tls.fingerprint`` without
``tls.ca_file`` (a pin replaces CA trust: getmail then compares the certificate's
SHA-256 with the pin).

Options: ``--option maildir-root=PATH`` (default ``~/Mail``; absolute or starting
with ``~/``), ``--option system-ca-file=PATH`` (an absolute path).

Values: getmail reads the file with Python's ``RawConfigParser`` (no ``%``
interpolation) and runs ``eval()`` on tuples. Strings are written as they are, and
refused when they hold a control character or start or end with a blank;
file paths are also refused when they hold ``$NAME`` or ``${NAME}`` (getmail expands
variables in paths). The command tuple is a Python literal of printable ASCII
in which every other character is a ``\x``/``\u``/``\U`` escape: getmail's
``eval()`` gives back exactly the command, and nothing can run while the file is read.
A refusal names the account and the setting, never the value.

The locale: the file is UTF-8, and getmail opens it without naming an encoding, so Python
reads it in the character set of the locale getmail runs in (``LC_ALL``, ``LC_CTYPE``,
``LANG``): run getmail in a UTF-8 locale (``C.UTF-8``, ``en_US.UTF-8``), or in ``C`` or
``POSIX``, where Python reads UTF-8 too (PEP 540). In a locale of another character set,
a value outside ASCII (a ``username``, a file path) is read as other characters, and
``RawConfigParser`` has no escape that would spell a string in ASCII (only the tuples,
which getmail ``eval()``s, are written in ASCII): under ``en_US.ISO-8859-1`` the POP3
user ``josé`` is sent as ``josÃ©`` (a path still names the same file), and under
``ja_JP.EUC-JP`` a user ``jos😀`` stops getmail while it reads the file
(``UnicodeDecodeError``, exit 4).
A file whose values are all ASCII reads alike in every locale. mailconf cannot tell
at render time where getmail will run, so this is no gap.

What getmail cannot express (each is a warning, an error with ``--strict``):

- ``security: starttls``: getmail 6.18.11 has no STARTTLS (it ignores
  ``use_starttls``): the account is **not rendered** (never a cleartext retriever
  instead); use ``security: tls`` (ports 993, 995). Its other gaps are reported with it
  (render.md, left-out accounts), but for its TLS settings, which follow from the STARTTLS;
- ``tls.verify_hostname: false`` with a checked certificate: getmail always
  compares the name with ``server``;
- a ``host`` with a trailing dot (``imap.example.org.``) with a checked certificate:
  getmail compares the certificate's names with the host as written, dot included,
  so the connection fails (``hostname 'imap.example.org.' doesn't match ...``);
- ``tls.fingerprint`` with ``sha1:`` or ``md5:``: getmail pins SHA-256 only; the
  certificate is checked against the CAs meanwhile;
- ``tls.min_version`` other than 1.2: getmail has no minimum-version setting
  (``ssl_version`` allows one exact version). On Debian 12 (OpenSSL 3.0) it accepts
  TLS 1.2 and newer, which is ``min_version: 1.2``;
- ``timeout: 0`` (getmail would make its sockets non-blocking; left out, so 180 s);
- a ``host`` and ``username`` too long together for getmail's state file: getmail
  records what it fetched in ``oldmail-HOST-PORT-USER`` (``-INBOX`` added for IMAP;
  each run of ``/ : ; < > |`` written as one ``-``) in its getmaildir, and writes it
  first as that name and ``.tmp.PID``. Past 243 bytes (255, the longest file name,
  less 12 for ``.tmp.`` and a PID of 7 digits) getmail may not save it: it ends the
  run with exit 127 and fetches the mail left on the server again the next time. A
  253-character host does it, and so does a user name of about 210 characters. The
  gap names the longer of the two;
- two accounts whose servers getmail would record in one ``oldmail`` file: user names (or
  hosts and ports) that differ only where getmail writes ``-`` (``a/b`` and ``a-b`` at one
  server, or user ``2-a`` at host ``mail`` port 1 and user ``a`` at ``mail-1`` port 2), or a
  POP3 user ``u-INBOX`` next to an IMAP user ``u`` at one server. Run from one getmaildir,
  each run takes the other's record for its own: a message one has fetched is skipped by the
  other where both servers number it alike, and each run drops the other's entries once they
  are 30 days old (as mail gone from its own server: getmail's ``VANISHED_AGE``), after which
  the other fetches that mail again where it was left on the server. The gap names the later
  account and the first; give it a ``--getmaildir`` of its own. So are two whose oldmail
  files differ only in case (``Alice`` and ``alice`` at one server): one file on macOS,
  Windows or a FAT drive;
- ``auth: none`` (getmail always logs in), ``ntlm``, ``client-cert`` (no SASL
  EXTERNAL: the certificate is presented, the login still needs a password),
  OAuth2 and GSSAPI over POP3, ``tls.client_key`` without ``tls.client_cert`` (getmail takes a key only
  with its certificate: it is left out, and no certificate is presented);
- ``mechanisms`` getmail lacks (it logs in with LOGIN or USER/PASS, CRAM-MD5 or
  XOAUTH2 on IMAP), and a password or token command that the ``auth`` does not use;
- an IMAP ``username`` holding a blank, a non-ASCII character or one of ``( ) { "``,
  with a password login: Python's imaplib sends the name of an IMAP LOGIN unquoted,
  and no unquoted name carries those. Dovecot refuses such a LOGIN (``BAD``), a laxer
  server reads another name (``al ice`` as ``al`` with the password ``ice``), and a
  non-ASCII name stops getmail before it logs in (``UnicodeEncodeError``, exit 4).
  With ``mechanisms: [cram-md5]`` the name is sent as written; POP3 sends it as written.
  ``%``, ``*`` and ``\`` are no gap: RFC 9051's grammar keeps them out of an unquoted
  name too, but Dovecot and Cyrus read them as written (``user%domain`` logs in to
  Dovecot as ``user%domain``); a server that follows the grammar to the letter answers
  ``BAD``, and nobody is logged in as someone else.

How it is tested: every rendered file is read back with ``getmail --dump`` (each setting
compared with what was meant, hostile values included, and a canary file proving that
nothing runs while getmail reads the file), and getmail fetches from a Dovecot over
POP3 and IMAP with implicit TLS: POP3 keeps the mail on the server, the system CA
bundle refuses a private CA, a SHA-256 pin replaces the CA, a password command that
prints more lines logs in with its first, and one that fails stops getmail. A Dovecot
that takes any user name shows what it reads of each: ``user%domain*x`` logs in with
LOGIN, ``al ice`` is refused (``BAD``), a non-ASCII name or password stops getmail
before LOGIN, and CRAM-MD5 and POP3 log in with both.

Rendering 10,000 accounts (10,000 files) takes 0.25 s of CPU in the target; the whole
``mailconf render --target getmail -o DIR`` against ``mailconf lint`` is recorded in
benchmarks/README.md.

Sending mail is not getmail's job: ``outgoing`` servers are not written (use the
msmtp target), and accounts without an ``incoming`` server are left out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import NamedTuple

import jinja2

from ..errors import UsageError
from ..escape import UnsafeValue
from ..escape.getmail import getmail_path, getmail_tuple, getmail_value
from ..model import CREDENTIAL_COMMAND, Account, Auth, Model, Protocol, Security, Server
from . import (
    FOLDING_SYSTEMS,
    LOGIN_NAME_GAP,
    NAME_MAX,
    RENAME_ACCOUNT,
    FileNames,
    Gaps,
    OwnFile,
    Rendered,
    RenderedFile,
    folded,
    gap_rules,
    sent_unquoted,
    unused_command,
)

NAME = "getmail"
TITLE = "getmail (getmail6 6.18.11): getmail/<account>.getmailrc, a retriever and a Maildir per account"
TEMPLATE = "getmail/getmailrc.j2"
DEFAULT_MAILDIR_ROOT = "~/Mail"
DEFAULT_SYSTEM_CA_FILE = "/etc/ssl/certs/ca-certificates.crt"
OPTIONS: Mapping[str, str] = {
    "maildir-root": f"folder holding one Maildir per account, ROOT/<account>/ [default: {DEFAULT_MAILDIR_ROOT}]; "
    "absolute or starting with ~/",
    "system-ca-file": "the CA bundle written as ca_certs when an account names no tls.ca_file (getmail checks no "
    f"certificate without one) [default: {DEFAULT_SYSTEM_CA_FILE}]",
}
#: An account's rc file: its header comment says who wrote it.
OWN_FILES: tuple[OwnFile, ...] = (OwnFile("getmail/*.getmailrc", b", written by mailconf (target getmail)."),)

CAPABILITIES: Mapping[str, str] = {
    "imap": "yes: SimpleIMAPSSLRetriever (INBOX) into a Maildir",
    "pop3": "yes: SimplePOP3SSLRetriever into a Maildir",
    "smtp": "no: getmail only fetches (use the msmtp target to send)",
    "security: tls": "yes: the SSL retrievers, with ca_certs (tls.ca_file or the system CA bundle)",
    "security: starttls": "no: getmail 6.18.11 has no STARTTLS (it ignores use_starttls); the account is not rendered",
    "security: none": "yes: SimpleIMAPRetriever / SimplePOP3Retriever",
    "auth: password": "yes: LOGIN (IMAP), USER and PASS (POP3) with password_command",
    "auth: oauth2": "partial: IMAP only: use_xoauth2 with password_command running token_command",
    "auth: gssapi": "partial: IMAP only: use_kerberos (needs python3-kerberos)",
    "auth: ntlm": "no: getmail has no NTLM",
    "auth: client-cert": "no: certfile and keyfile are presented, but getmail has no SASL EXTERNAL",
    "password_command": "yes: password_command, run by /bin/sh -c; its first output line passed on",
    "token_command": "partial: IMAP with auth oauth2 (password_command with use_xoauth2)",
    "mechanisms": "partial: plain and login (LOGIN, USER/PASS); IMAP also cram-md5 (use_cram_md5) and xoauth2",
    "tls.ca_file": "yes: ca_certs",
    "tls.fingerprint": "partial: sha256 only (ssl_fingerprints); sha1 and md5 pins are a gap",
    "tls.verify: false": "yes: ca_certs left out (getmail then accepts any certificate)",
    "tls.min_version": "partial: 1.2 is getmail's own floor on Debian 12; 1.0, 1.1 and 1.3 are a gap",
    "timeout": "partial: timeout N; 0 (none) is a gap",
    "leave_on_server": "yes: delete = false / delete = true",
    "leave_days": "yes: delete_after = N",
}

_RETRIEVERS: Mapping[tuple[Protocol, bool], str] = {
    (Protocol.IMAP, True): "SimpleIMAPSSLRetriever",
    (Protocol.IMAP, False): "SimpleIMAPRetriever",
    (Protocol.POP3, True): "SimplePOP3SSLRetriever",
    (Protocol.POP3, False): "SimplePOP3Retriever",
}

#: What getmail's password_command runs: the account's command (``$1``, run by ``/bin/sh -c``), passing on its first
#: output line only (getmail takes the whole output), and exiting with its status when it fails (``|| exit``).
FIRST_LINE = 'out=$(/bin/sh -c "$1") || exit; printf %s "$out" | head -n 1'
#: The script's ``$0``: the name its shell gives in its own messages.
FIRST_LINE_NAME = "mailconf"

#: The SASL mechanisms getmail can use, per protocol and auth, and the flag each sets (None: the plain login).
_MECHANISMS: Mapping[tuple[Protocol, Auth], Mapping[str, str | None]] = {
    (Protocol.IMAP, Auth.PASSWORD): {"plain": None, "login": None, "cram-md5": "use_cram_md5"},
    (Protocol.POP3, Auth.PASSWORD): {"plain": None, "login": None},
    (Protocol.IMAP, Auth.OAUTH2): {"xoauth2": "use_xoauth2"},
    (Protocol.IMAP, Auth.GSSAPI): {"gssapi": "use_kerberos"},
}

#: Which command each auth runs as getmail's password_command: the model's, for the (protocol, auth) getmail can
#: log in with (POP3 has only passwords; NTLM, which getmail cannot do, runs none).
_COMMAND_FIELD: Mapping[tuple[Protocol, Auth], str] = {
    key: CREDENTIAL_COMMAND[key[1]] for key in _MECHANISMS if key[1] in CREDENTIAL_COMMAND
}

#: How getmail logs in with each flag (for the mechanisms gap).
_LOGIN_LABEL: Mapping[str | None, str] = {
    "use_cram_md5": "CRAM-MD5",
    "use_xoauth2": "XOAUTH2",
    "use_kerberos": "GSSAPI",
}

#: The flag each auth sets when no mechanism is named.
_AUTH_FLAG: Mapping[Auth, str | None] = {Auth.OAUTH2: "use_xoauth2", Auth.GSSAPI: "use_kerberos"}

STARTTLS_GAP = (
    "getmail 6.18.11 has no STARTTLS (it ignores use_starttls): the account is not rendered; "
    "use security: tls (port 993 or 995) if the server offers it"
)
HOSTNAME_GAP = (
    "getmail always checks the certificate's name against the server when it checks the certificate: "
    "the connection fails where the name does not match (pin the certificate with a sha256 tls.fingerprint instead)"
)
WEAK_PIN_GAP = (
    "getmail pins SHA-256 fingerprints only: give the sha256 fingerprint; "
    "the certificate is checked against the CAs meanwhile"
)
MIN_VERSION_GAP = (
    "getmail has no minimum TLS version (ssl_version allows one exact version): "
    "on Debian 12 it accepts TLS 1.2 and newer"
)
#: Python's ssl (OpenSSL) matches the host as written against the certificate's names, trailing dot included.
TRAILING_DOT_GAP = (
    "getmail checks the certificate's names against the host with its trailing dot, which no certificate holds: the "
    "connection fails; write the host without the dot"
)
TIMEOUT_GAP = "getmail cannot wait without a timeout (0 makes its sockets non-blocking): left out, getmail waits 180 s"
NTLM_GAP = "getmail has no NTLM: use auth password if the server offers LOGIN (IMAP) or USER/PASS (POP3)"
#: Python's imaplib, which getmail logs in to IMAP with, sends the name of an IMAP LOGIN unquoted: see sent_unquoted.
LOGIN_USER_GAP = LOGIN_NAME_GAP.format(client="getmail") + (
    "; its only other login for an IMAP password is CRAM-MD5 (mechanisms: [cram-md5]), and POP3 sends the name "
    "as written"
)
#: getmail's state file (oldmail-SERVER-PORT-USER, then -MAILBOX for IMAP; _retrieverbases.py initialize and
#: _oldmail_filename), the characters it replaces there (STRIP_CHAR_RE), and what it writes first: that name plus
#: .tmp.PID (utilities.py updatefile), a PID of up to 7 digits (Linux's largest pid_max, 4194304).
_OLDMAIL_STRIP = re.compile(r"[/:;<>|]+")  # getmail writes [/\:;<>|]: \: is a colon
_OLDMAIL_TMP = len(".tmp.") + 7
OLDMAIL_GAP = (
    "getmail records what it has fetched in a file named oldmail-HOST-PORT-USER{mailbox} in its getmaildir, here "
    "{size} bytes, and writes it first as that name and .tmp.PID (up to 12 bytes more): past the 255 bytes a file "
    "name may hold, getmail cannot save it, ends the run with an error (exit 127) and fetches the mail left on the "
    "server again next time; shorten the host or the user name"
)
#: two accounts whose servers getmail records in one oldmail file (oldmail_name): run from one getmaildir, each
#: run reads the other's record as its own (read_oldmailfile) and drops the message ids its own server lacks once
#: they are 30 days old (_retrieverbases.py _getmsglist, VANISHED_AGE) before writing it back
SHARED_OLDMAIL_GAP = (
    "getmail records what it has fetched from this server in the same oldmail file as account {other}'s "
    "(oldmail-HOST-PORT-USER, each run of / : ; < > | written as one -), so run from one getmaildir each takes the "
    "other's record for its own: mail one has fetched is skipped by the other where their servers number a "
    "message alike, and each run drops the other's entries 30 days old (mail gone from its own server), after "
    "which the other fetches that mail again where it was left on the server; run this account with a getmaildir "
    "of its own (--getmaildir)"
)
#: the same, where the two file names differ only in case or Unicode normalization: one file on FOLDING_SYSTEMS
SHARED_OLDMAIL_FOLDED_GAP = (
    "getmail records what it has fetched from this server in an oldmail file whose name differs from account "
    "{other}'s only in case or Unicode normalization: one file on " + FOLDING_SYSTEMS + ", where, run from one "
    "getmaildir, each takes the other's record for its own (mail one has fetched is skipped by the other, or "
    "fetched again); run this account with a getmaildir of its own (--getmaildir)"
)
CLIENT_CERT_GAP = (
    "getmail has no SASL EXTERNAL: it presents the certificate and still logs in with a password "
    "(use auth password with a password_command)"
)

#: What getmail cannot express at all: CAPABILITIES' "no" rows, with these messages (and oauth2 without a
#: token_command: Gaps.unsupported).
GAP_RULES = gap_rules(
    CAPABILITIES, {"security: starttls": STARTTLS_GAP, "auth: ntlm": NTLM_GAP, "auth: client-cert": CLIENT_CERT_GAP}
)


class GetmailAccount(NamedTuple):
    """One rc file, every value decided; ``None`` leaves the line out. The template's macro takes it as its one
    argument and reads it by field name, and escapes."""

    name: str
    retriever: str
    server: str
    port: int
    username: str
    password_command: tuple[str, ...] | None
    flags: tuple[str, ...]  # use_xoauth2, use_kerberos, use_cram_md5 (each written "= true")
    ca_certs: str | None
    ssl_fingerprints: tuple[str, ...] | None
    certfile: str | None
    keyfile: str | None
    timeout: int | None
    maildir: str  # ends with /
    delete: bool
    delete_after: int | None


def render(model: Model, env: jinja2.Environment, options: Mapping[str, str]) -> Rendered:
    root = maildir_root_option(options)
    system_ca = system_ca_option(options)
    # one template module for the whole run, its macro called once per file (no new Jinja context per file)
    layout: jinja2.runtime.Macro = env.get_template(TEMPLATE).module.getmailrc  # type: ignore[attr-defined]
    gaps = Gaps()
    files: list[RenderedFile] = []
    names = FileNames(RENAME_ACCOUNT)
    recorded: dict[str, tuple[Account, Server]] = {}  # oldmail file name -> the first account recorded there
    for account in model.accounts:
        server = account.incoming
        if server is None:
            continue  # outgoing servers are not getmail's job (capability "smtp"): not a gap
        gaps.unsupported(account, server, GAP_RULES)
        server_gaps(gaps, account, server)  # left out or not: docs/render.md, left-out accounts
        if server.security is Security.STARTTLS:
            continue  # not rendered (never a cleartext retriever instead): GAP_RULES' gap says so
        oldmail = oldmail_name(server)
        first, first_server = recorded.setdefault(folded(oldmail), (account, server))
        if first is not account and _endpoint(first_server) != _endpoint(server):  # the same endpoint: lint MC702
            setting = "username" if first_server.username != server.username else "host"
            shared = SHARED_OLDMAIL_GAP if oldmail_name(first_server) == oldmail else SHARED_OLDMAIL_FOLDED_GAP
            gaps.server(account, server, setting, shared.format(other=first.name))
        text = layout(_account(account, server, root, system_ca))
        files.append(RenderedFile(names.claim(f"getmail/{account.name}.getmailrc", account), text.encode(), 0o600))
    return Rendered(tuple(files), tuple(gaps.found))


def server_gaps(gaps: Gaps, account: Account, server: Server) -> None:
    """What the rc file of an incoming server cannot express (its "no" rows aside: GAP_RULES)."""

    def gap(setting: str, instead: str) -> None:
        gaps.server(account, server, setting, instead)

    if server.security is Security.TLS:
        _tls_gaps(gap, server)
    if server.timeout == 0:
        gap("timeout", TIMEOUT_GAP)
    protocol = server.protocol.value.upper()
    if server.auth is Auth.NONE:
        gap("auth", "getmail always logs in: give a username and auth")
    elif server.auth not in (Auth.NTLM, Auth.CLIENT_CERT) and (server.protocol, server.auth) not in _MECHANISMS:
        gap("auth", f"getmail has no {server.auth.value} over {protocol}: use auth password")
    doable = _MECHANISMS.get((server.protocol, server.auth), {})
    lacking = [m for m in server.mechanisms if m not in doable]
    if doable and lacking:
        uses = _LOGIN_LABEL.get(_flag(server), "LOGIN" if server.protocol is Protocol.IMAP else "USER/PASS")
        gap("mechanisms", f"getmail cannot use {', '.join(lacking)} over {protocol}: it logs in with {uses}")
    size = len(oldmail_name(server).encode("utf-8"))
    if size + _OLDMAIL_TMP > NAME_MAX:
        longer = "username" if len(server.username.encode()) >= len(server.host.encode()) else "host"
        mailbox = "-INBOX" if server.protocol is Protocol.IMAP else ""
        gap(longer, OLDMAIL_GAP.format(mailbox=mailbox, size=size))
    logs_in = server.protocol is Protocol.IMAP and server.auth is Auth.PASSWORD and _flag(server) is None
    if logs_in and not sent_unquoted(server.username):  # IMAP LOGIN (the other flags log in through SASL)
        gap("username", LOGIN_USER_GAP)
    used = _COMMAND_FIELD.get((server.protocol, server.auth))
    for field, command in (("password_command", server.password_command), ("token_command", server.token_command)):
        if command is not None and field != used:
            if CREDENTIAL_COMMAND.get(server.auth) != field:  # the auth runs no such command on any target
                gap(field, unused_command(server.auth))
            else:  # getmail cannot log in that way over this protocol (its own gap says so)
                gap(field, f"auth {server.auth.value} over {protocol} does not use it with getmail, so it is left out")


def _endpoint(server: Server) -> tuple[str, int, str]:
    """The login at the server as lint's MC702 compares it (host ignoring case and a trailing dot)."""
    return server.host.lower().removesuffix("."), server.port, server.username


def oldmail_name(server: Server) -> str:
    """The name of the file where getmail records what it fetched from this server (IMAP: from its INBOX)."""
    name = _OLDMAIL_STRIP.sub("-", f"oldmail-{server.host}-{server.port}-{server.username}")
    return name + "-INBOX" if server.protocol is Protocol.IMAP else name


#: getmail refuses a keyfile without a certfile ('optional certfile and keyfile must be supplied together'); a certfile
#: alone is written as both (load_cert_chain reads the key from the certificate's own file).
KEY_ONLY_GAP = (
    "getmail takes a private key only with its client certificate (certfile and keyfile must be supplied together), "
    "so keyfile is left out and no certificate is presented; add tls.client_cert (the key's own file when it holds "
    "the certificate too)"
)


def _tls_gaps(gap: Callable[[str, str], None], server: Server) -> None:
    """What the rc file of a server with security tls cannot express of its TLS settings."""
    tls = server.tls
    if tls.fingerprint is not None and _sha256_pin(server) is None:
        gap("tls.fingerprint", WEAK_PIN_GAP)
    if _ca_checked(server) and server.host.endswith("."):
        gap("host", TRAILING_DOT_GAP)
    if _ca_checked(server) and tls.verify and not tls.verify_hostname:
        gap("tls.verify_hostname", HOSTNAME_GAP)
    if tls.min_version is not None and tls.min_version != "1.2":
        gap("tls.min_version", MIN_VERSION_GAP)
    if tls.client_key is not None and tls.client_cert is None:
        gap("tls.client_key", KEY_ONLY_GAP)


def _flag(server: Server) -> str | None:
    """The login flag (use_xoauth2 ...): from the first usable mechanism, else the auth; None: the plain login."""
    doable = _MECHANISMS.get((server.protocol, server.auth))
    if not doable:
        return None
    chosen = [doable[m] for m in server.mechanisms if m in doable]
    return chosen[0] if chosen else _AUTH_FLAG.get(server.auth)


def _sha256_pin(server: Server) -> str | None:
    """The pin as getmail compares it (lower-case hex, no colons), for a sha256 fingerprint."""
    tls = server.tls
    if tls.fingerprint_algorithm != "sha256" or tls.fingerprint_hex is None:
        return None
    return tls.fingerprint_hex.replace(":", "").lower()


def _ca_checked(server: Server) -> bool:
    """Whether ca_certs is written: getmail checks the certificate (and its name) only then."""
    tls = server.tls
    if _sha256_pin(server) is not None:
        return tls.verify and tls.ca_file is not None  # a pin replaces CA trust unless a CA file is named too
    # a weak pin that getmail cannot use: fail closed on the CAs rather than accept any certificate
    return tls.verify or tls.fingerprint is not None


def _account(account: Account, server: Server, root: str, system_ca: str) -> GetmailAccount:
    def checked(setting: str, value: str | None, *, path: bool = False) -> str | None:
        """The value if getmail reads it back unchanged; UnsafeValue naming account and setting otherwise."""
        if value is None:
            return None
        try:
            getmail_path(value) if path else getmail_value(value)
        except UnsafeValue as exc:
            raise UnsafeValue(f"account {account.name}: incoming.{setting}: {exc}") from None
        return value

    encrypted = server.security is Security.TLS
    tls = server.tls
    field = _COMMAND_FIELD.get((server.protocol, server.auth))
    command = getattr(server, field) if field is not None else None
    argv = None
    if command is not None:
        argv = ("/bin/sh", "-c", FIRST_LINE, FIRST_LINE_NAME, command)
        try:
            getmail_tuple(argv)
        except UnsafeValue as exc:
            raise UnsafeValue(f"account {account.name}: incoming.{field}: {exc}") from None
    flag = _flag(server)
    pin = _sha256_pin(server) if encrypted else None
    ca_certs = None
    if encrypted and _ca_checked(server):
        ca_certs = checked("tls.ca_file", tls.ca_file, path=True) or system_ca
    certfile = checked("tls.client_cert", tls.client_cert, path=True) if encrypted else None
    keyfile = checked("tls.client_key", tls.client_key, path=True) if encrypted else None
    deleting = server.leave_on_server is False
    return GetmailAccount(
        name=account.name,
        retriever=_RETRIEVERS[(server.protocol, encrypted)],
        server=server.host,
        port=server.port,
        username=checked("username", server.username) or "",
        password_command=argv,
        flags=(flag,) if flag else (),
        ca_certs=ca_certs,
        ssl_fingerprints=(pin,) if pin else None,
        certfile=certfile,
        keyfile=(keyfile or certfile) if certfile else None,
        timeout=server.timeout or None,
        maildir=f"{root}/{account.name}/",
        delete=deleting,
        delete_after=server.leave_days if not deleting else None,
    )


def maildir_root_option(options: Mapping[str, str]) -> str:
    """The maildir-root option without a trailing slash (UsageError, exit 2, when getmail cannot read it)."""
    root = options.get("maildir-root", DEFAULT_MAILDIR_ROOT)
    if not (root.startswith("/") or root == "~" or root.startswith("~/")):
        raise UsageError("--option maildir-root: write an absolute path or one starting with ~/ (like ~/Mail)")
    stripped = root.rstrip("/")
    try:
        getmail_path(f"{stripped}/work/")  # as written: ROOT/<account>/ (account names hold no blank or $)
    except UnsafeValue as exc:
        raise UsageError(f"--option maildir-root: {exc}") from None
    return stripped


def system_ca_option(options: Mapping[str, str]) -> str:
    """The system-ca-file option (UsageError, exit 2, when getmail cannot read it)."""
    path = options.get("system-ca-file", DEFAULT_SYSTEM_CA_FILE)
    if not path.startswith("/"):
        raise UsageError("--option system-ca-file: write an absolute path (like /etc/ssl/certs/ca-certificates.crt)")
    try:
        getmail_path(path)
    except UnsafeValue as exc:
        raise UsageError(f"--option system-ca-file: {exc}") from None
    return path
