r"""aerc (0.14, or later): an ``accounts.conf`` with one section per account, its IMAP source and SMTP outgoing URLs.

Written for aerc **0.14.0**, the version in Debian 12, unless ``--option version=0.20``
(``MAJOR.MINOR[.PATCH]``, 0.14 or later) names a later one. The default stays 0.14
because a file for 0.15 and later cannot send from 0.14: aerc 0.14 refuses the
``smtp+insecure+AUTH://`` URL ("Unknown transfer protocol") and, without
``smtp-starttls``, sends in clear text where 0.15 sends STARTTLS. aerc 0.15 changed what
the outgoing URL means (below); the rest is written alike for every version, and was
checked against aerc 0.14 and 0.20 (Debian 13's), which the tests run. Each gap message
names the version the file is for.

Where it goes: ``~/.config/aerc/accounts.conf``, mode 0600 (aerc 0.14 refuses the
file when its group or others may read it). ``mailconf render --target aerc
accounts.yaml -o ~/.config/aerc`` writes it (an existing file that differs is kept
unless ``--force``, which saves a ``.bak``); aerc adds its own ``aerc.conf`` and
``binds.conf`` next to it on first start. Then start ``aerc``: each account is a tab,
and the status line says ``Connected.`` or the error (``work: dial tcp ...``).
aerc has no mode that prints what it parsed and no ``--config`` option: to try a file,
put it in a folder of its own as ``aerc/accounts.conf`` and start
``XDG_CONFIG_HOME=FOLDER aerc``.

What is written, per account with an IMAP ``incoming`` server (a section ``[NAME]``):

- ``source``: ``imaps://USER@HOST:PORT`` (security ``tls``), ``imap://`` (``starttls``:
  aerc 0.14 always sends STARTTLS on ``imap://`` and stops when the server refuses it)
  or ``imap+insecure://`` (``none``); ``imaps+insecure://`` for ``tls`` with ``tls.verify: false`` for
  aerc 0.18 and later (below); ``+oauthbearer`` or ``+xoauth2`` for OAuth2
  (``XOAUTH2`` unless ``mechanisms`` prefers ``oauthbearer``); no user for
  ``auth: none``. The user name is percent-encoded (every byte but letters, digits and
  ``-._~``): aerc (Go's ``net/url``) logs in with exactly the name in the YAML, ``@``,
  ``:``, ``/``, ``?``, ``#``, ``%``, ``+``, blanks and non-ASCII included (a raw ``?``,
  ``#``, ``%`` or blank would cut or change the name). The host is written as declared:
  a name of up to 253 characters, labels of 63, punycode and a trailing dot are looked up
  as written; an IPv6 address goes in brackets (``[::1]``), and Go dials an IPv4-mapped
  one (``[::ffff:127.0.0.1]``) as the IPv4 address it is. aerc 0.14 logs in
  to IMAP with the ``LOGIN`` command (the password goes as it would with ``PLAIN``);
  aerc 0.20 with ``AUTHENTICATE PLAIN`` where the server offers it, ``LOGIN`` otherwise.
  Both send a user name and password with non-ASCII characters, blanks, quotes and
  backslashes as written (in UTF-8). A host written with a trailing dot (an absolute
  name, ``imap.example.org.``) is written so and works: Go ignores the dot when it
  checks the certificate's names (getmail and offlineimap3 do not).
- ``source-cred-cmd``: ``password_command`` (``token_command`` for OAuth2). **aerc 0.14
  runs it with** ``sh -c`` **when it loads the file** (at start), and
  ``outgoing-cred-cmd`` each time it sends. aerc trims blanks from both ends of what
  the command prints.
- ``connection-timeout``: the incoming ``timeout`` in seconds with its unit (``45s``, up to
  the schema's ``86400s``; aerc's default is 30 seconds); it bounds connecting, up to the
  server's greeting (aerc-imap(5): "Maximum delay to establish a connection"; a server that
  accepts and never greets is given up after it: tests/targets/test_boundaries.py), not each
  later IMAP command. aerc reads it with Go's ``time.ParseDuration``: a value without a unit is
  refused, in aerc 0.14 as that account's error, while aerc 0.20 crashes (a nil pointer in
  its IMAP worker, whatever the other accounts), so nothing else is ever written.
- ``outgoing``: ``smtps+AUTH://USER@HOST:PORT`` (``tls``) or ``smtp+AUTH://...``
  with ``smtp-starttls = yes`` (``starttls``: aerc 0.14 turns STARTTLS on only for the
  exact value ``yes``, whatever its man page says, and then refuses a server that does
  not offer it); ``smtp+AUTH://`` alone for ``none`` (aerc 0.14 then refuses to send
  to a server that offers STARTTLS). For aerc 0.15 and later: ``smtp+AUTH://`` alone
  for ``starttls`` (``smtp://`` always sends STARTTLS and refuses a server without it;
  ``smtp-starttls`` is ignored, and aerc shows a popup saying it is deprecated), and
  ``smtp+insecure+AUTH://`` for ``none`` (never STARTTLS: the URL ``smtp+AUTH://``
  cannot reach a server without it). ``AUTH`` is ``plain`` (or ``login``, the first of
  the two in ``mechanisms``), ``xoauth2`` or ``oauthbearer`` for OAuth2, and ``none``
  (no user) for ``auth: none``.
- ``outgoing-cred-cmd``: the outgoing ``password_command`` (``token_command`` for
  OAuth2).
- ``from``: ``"Display Name" <address>`` (the name as an RFC 5322 quoted string; the
  address alone without ``display_name``). aerc sends from this address.

aerc's own defaults stay: the ``INBOX`` folder opens first, sent mail is not copied
to a folder (``copy-to``), ``Drafts`` and ``Archive`` are the postpone and archive
folders.

Values are written between backquotes, which aerc's go-ini parser reads raw: without
them it would cut a value at ``#`` or ``;``, drop surrounding quotes and join a line
ending in ``\``. Nothing but the two credential commands is ever run: the URLs carry
no password, and every other key is data. A value holding a control character (a
line break would start a new key) is refused; the error names the account and the
setting, never the value. For aerc 0.15 and later, so is a password or token command or
a ``display_name`` holding ``%(KEY)s`` where ``KEY`` is one of the keys above
(``%(from)s``): these versions read every value with go-ini's ``Key.String``, which
replaces it with that key's value (again inside the result), and go-ini has no escape
for it (``key.go``, ``transformValue``). A ``%(NAME)s`` naming no key stays as it is, and
aerc 0.14 reads the three values as written.

Account names with a dot: ``work`` and ``work.home`` (or ``a`` and ``a.b.c``) are refused
together, naming both (exit 1); rename one of them. go-ini, aerc's INI reader, takes a dot
in a section name for a subsection: ``Section.GetKey`` looks a key that ``[work.home]``
lacks up in ``[work]`` (go-ini v1.63.2 and v1.67.0, ``section.go`` lines 120-133; the
dot is ``LoadOptions.ChildSectionDelimiter``'s default, ``file.go`` lines 58-59, an
option of the program, so nothing in the file turns it off). aerc 0.14 (go-ini v1.63.2)
reads ``source-cred-cmd``, ``outgoing`` and ``outgoing-cred-cmd`` among the section's own
keys (``KeysHash``, ``config/accounts.go`` lines 149-166), but ``MapTo`` fills ``source``,
``from`` and its other fields with ``GetKey`` (go-ini ``struct.go`` line 350): aerc 0.14
itself starts a ``[work.home]`` without ``from`` with ``[work]``'s. From 0.15.0 (go-ini
v1.67.0, the same code) every field is read with ``GetKey`` (``config/parse.go`` line 35),
``outgoing`` among them, and so are ``source-cred-cmd`` and ``outgoing-cred-cmd``
(``config/accounts.go`` lines 206 and 215 in 0.15.0, 320 and 329 in 0.20.1): a
``work.home`` without a password command would run ``work``'s and send its password to
``work.home``'s server, and one without an outgoing server would send through
``work``'s. Writing every key in every section instead would rest on what each aerc
version makes of an empty value, key by key (an empty ``connection-timeout`` is an error
in aerc 0.14, ``worker/imap/configure.go`` line 104), for the keys it reads this way now
and later; the refusal does not. ``work-home``, and siblings
like ``work.home`` and ``work.office``, are written: go-ini looks only at what comes
before a dot, and its section names are case-sensitive (``Work`` is not ``work.home``'s
parent).

A private CA: aerc 0.14 has no CA setting, but Go (aerc's language) reads the
environment variable ``SSL_CERT_FILE``, a PEM file of CAs that replaces the system
bundle, for every account: ``SSL_CERT_FILE=/etc/mail/ca.pem aerc``. Go also trusts
the certificates in the folders ``SSL_CERT_DIR`` names (``/etc/ssl/certs`` when it is
not set); ``SSL_CERT_DIR=/nonexistent`` leaves the file alone.

What aerc 0.14 cannot express (each is a warning, an error with ``--strict``):

- POP3 accounts, and accounts without an incoming server (aerc needs an IMAP
  ``source`` for every account): the account is left out (use the fetchmail and msmtp
  targets);
- an account named ``DEFAULT`` (go-ini's default section, which aerc skips, and from
  0.18 on reads as settings for every account): left out, its other gaps reported with it
  (render.md, left-out accounts; a POP3 account or one without an incoming server says only why);
- a ``display_name`` holding ``"`` or ``\``: it is written exactly, but the composer
  (aerc 0.14 and 0.20) writes the From name back without escaping it, so a ``"`` is
  sent as ``'`` and a ``\`` is lost; a ``\`` at the end leaves the name's quotes open:
  aerc 0.14 sends the message with that broken From (``From: "Ann\" <ann@example.org>``,
  whose quoted string never ends), aerc 0.20 refuses to send it
  (``PrepareHeader: mail: missing word in phrase: mail: unclosed quoted-string``);
- a ``display_name`` holding an RFC 2047 encoded word (``=?utf-8?q?Bob?=``): it is
  written exactly, but mail readers show it decoded (``Bob``). aerc sends an ASCII name
  as written inside quotes, where readers such as Python's email decode it all the same
  (RFC 2047 says they should not), and its composer decodes it itself when it shows the
  From unquoted and reads it back: aerc 0.14 for a name in lower case (seen: it sends
  ``=?utf-8?q?mallory?=`` as ``"mallory"``), aerc 0.18 and later for every name without
  an RFC 5322 special (``lib/format/format.go``, commit f204c736; seen with aerc 0.20: it
  sends ``=?utf-8?q?Mallory?=`` as ``"Mallory"`` and ``=?iso-8859-1?q?caf=E9?=`` as
  ``=?utf-8?q?caf=C3=A9?=``, while ``=?utf-8?q?a b?=``, whose blank Go's ``net/mail`` does not
  take in an encoded word, and ``A. =?utf-8?q?Bob?=``, with a special, go out as written in
  quotes, where readers decode them all the same). Where aerc 0.20 decodes the name itself and
  the charset is one Go does not know (``=?x-unknown?q?Bob?=``, ``=?utf-7?q?Bob?=``, an RFC 2231
  language as in ``=?utf-8*en?q?Bob?=``), it sends nothing from the account: every message
  stops at ``PrepareHeader: mail: missing word in phrase: charset "x-unknown": htmlindex:
  invalid encoding name`` (aerc 0.14 sends that name as written). No spelling in the file
  makes aerc send such text as text;
- ``tls.ca_file`` (use ``SSL_CERT_FILE`` as above), ``tls.fingerprint``,
  ``tls.verify: false``, ``tls.verify_hostname: false``: aerc
  verifies every server written against the trusted CAs. The one exception: from aerc
  0.18 (commit 7b4c8f67, ``worker/imap/connect.go``), ``imaps+insecure://`` skips every
  check, the certificate's and the host name's; for ``--option version=0.18`` or later an
  IMAP server with ``security: tls`` and ``tls.verify: false`` (the explicit ask, which
  ``lint`` warns about, MC501) is written so, without a gap. Not with ``tls.fingerprint``
  (the pin would go unchecked: both stay gaps), nor for ``tls.verify_hostname: false``
  alone (it would drop the certificate check too), STARTTLS (``imap+insecure://`` is
  cleartext) or SMTP, where no aerc skips the checks (aerc 0.14 to 0.17 verify
  ``imaps+insecure://`` all the same);
- ``tls.min_version`` other than ``1.2``: aerc (Go 1.19 in Debian 12's, Go 1.24 in
  Debian 13's) accepts TLS 1.2 and 1.3, so
  ``1.3`` cannot be enforced and a server that speaks only 1.0 or 1.1 fails;
- ``auth: gssapi``, ``ntlm``, ``client-cert``;
- ``tls.client_cert`` and ``tls.client_key``: aerc 0.14 and 0.20 present no client certificate, so a
  server that requires one refuses the handshake (a key declared alone is named as such);
- ``mechanisms`` of which aerc supports none (IMAP: ``plain`` or ``login`` for
  passwords; SMTP: ``plain``, ``login``; OAuth2: ``xoauth2``, ``oauthbearer``);
- a password login without ``password_command`` (aerc 0.14 does not ask for a
  password: it would log in with an empty one), OAuth2 without ``token_command``, and
  a command the chosen ``auth`` does not use (left out);
- the outgoing ``timeout`` (aerc 0.14 and 0.20 have no setting for SMTP) and an incoming
  ``timeout: 0`` (aerc reads ``connection-timeout`` 0 as "give up at once"; its default of 30
  seconds applies);
- an IPv6 address as the host of an encrypted outgoing server (aerc 0.14 and 0.20 cut it at
  the first ``:`` to check the certificate, so the check fails): use a host name.

How it is tested (tests/targets/test_aerc.py, tests/e2e/test_aerc.py): aerc 0.14 itself
reads every rendered file, in tmux with a config folder of its own. What it parsed shows
in what it does: the ``source-cred-cmd`` it ran (the command writes a file), the user
name and password it logs in with (an IMAP server that records them), the ``from`` it
names in its debug log, and what an SMTP server receives when it sends (the login, the
sender, the From header, the ``outgoing-cred-cmd`` it ran). Hostile values (quotes,
backslashes, ``#``, ``;``, ``%``, ``$()``, backquotes, YAML's line breaks, non-BMP
characters) read back exactly, and nothing else runs. aerc 0.14 and 0.20 alike log in to a server
that speaks TLS 1.2 only or 1.3 only, are refused by one that stops at TLS 1.1 (``remote error:
tls: protocol version not supported``: the ``tls.min_version`` gap) and by one that requires a
client certificate (``remote error: tls: certificate required``: the ``tls.client_cert`` gap).
The schema's boundary values
(tests/targets/test_boundaries.py: ports 1 and 65535, a 253-character host, a 63-character
label, punycode, ``127.0.0.1``, ``::1``, ``::ffff:127.0.0.1``, a trailing dot, timeouts 0, 1
and 86400) are read back from what aerc logs when it connects, one aerc run per version.
A ``[work.home]`` written without ``from`` next to ``[work]`` is logged with ``[work]``'s
(the refusal above; Go is not installed here, so go-ini runs only inside aerc). End to end, aerc lists a message
in the Dovecot inbox and sends through the test SMTP server, over TLS and STARTTLS.
aerc 0.20 (Debian 13's package, which ``.ci/run`` extracts and names in
``MAILCONF_AERC_0_20``; without it those tests skip) runs the same tests on files
written with ``--option version=0.20`` (logins, hostile values, the examples, the CA and
timeout checks, end to end), and also sends in clear text to a server without STARTTLS,
shows no deprecation popup (and shows it for a file written for 0.14), never sends STARTTLS on
``smtp+insecure://`` (a server that requires it refuses the login) and gives up a server without
it on ``smtp://``, sends the encoded-word names as the gap says (or nothing, for a charset Go
does not know), reads ``%(from)s`` as the key's value, logs a
``[work.home]`` without ``source-cred-cmd`` in with ``[work]``'s password and sends its mail,
without ``outgoing``, through ``[work]``'s server (aerc 0.14: "No outgoing mail transport
configured"), logs in with ``LOGIN`` where the server offers no ``AUTH=PLAIN``, crashes on a
``connection-timeout`` without its unit (aerc 0.14 connects the other accounts), and logs in to
an IMAP server whose certificate it cannot verify (another CA's, another host name's)
only when ``tls.verify: false`` is declared.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Collection, Mapping
from typing import NamedTuple

import jinja2

from ..errors import UsageError, shown
from ..escape import UnsafeValue
from ..escape.aerc import aerc_value, rfc5322_quoted, url_user
from ..model import CREDENTIAL_COMMAND, Account, Auth, Model, Protocol, Security, Server
from . import GapRules, Gaps, OwnFile, Rendered, RenderedFile, gap_rules, unused_command

NAME = "aerc"
TITLE = (
    "aerc (0.14, or later with --option version): ~/.config/aerc/accounts.conf, a source and an outgoing URL per "
    "account"
)
FILE_NAME = "accounts.conf"
#: Its one file, written whenever the target writes anything: left over when it has no account to write.
OWN_FILES: tuple[OwnFile, ...] = (OwnFile(FILE_NAME, b"accounts written by mailconf (target aerc)."),)
DEFAULT_VERSION = "0.14"
OPTIONS: Mapping[str, str] = {
    "version": "the aerc version the file is for, MAJOR.MINOR[.PATCH], 0.14 or later; from 0.15 on the outgoing URL "
    f"says STARTTLS and cleartext the new way [default: {DEFAULT_VERSION}, Debian 12's]",
}

CAPABILITIES: Mapping[str, str] = {
    "imap": "yes: source imaps://, imap:// or imap+insecure://",
    "pop3": "no: aerc has no POP3 (the account is left out; use the fetchmail target)",
    "smtp": "partial: outgoing smtps://, smtp:// or smtp+insecure:// (0.15 and later); an account without an IMAP "
    "incoming server is left out (aerc needs a source)",
    "security: tls": "yes: imaps:// and smtps://",
    "security: starttls": "yes: imap://, and smtp:// (with smtp-starttls = yes for aerc 0.14; both refuse a server "
    "without STARTTLS)",
    "security: none": "yes: imap+insecure://, and smtp+insecure:// for aerc 0.15 and later, smtp:// without "
    "smtp-starttls for 0.14 (which then refuses a server that offers STARTTLS)",
    "auth: password": "yes: the user in the URL, the password from the cred command "
    "(IMAP LOGIN, or AUTHENTICATE PLAIN in aerc 0.20; SMTP +plain or +login)",
    "auth: oauth2": "yes: +xoauth2 or +oauthbearer, the token from the cred command",
    "auth: gssapi": "no: aerc 0.14 and 0.20 have no GSSAPI",
    "auth: ntlm": "no: aerc 0.14 and 0.20 have no NTLM",
    "auth: client-cert": "no: aerc 0.14 and 0.20 have no client certificates",
    "password_command": "yes: source-cred-cmd (run by sh -c when aerc starts) and outgoing-cred-cmd",
    "token_command": "yes: source-cred-cmd and outgoing-cred-cmd (with auth oauth2)",
    "mechanisms": "partial: SMTP plain or login, OAuth2 xoauth2 or oauthbearer (the first named); IMAP logs in "
    "with LOGIN (aerc 0.20: AUTHENTICATE PLAIN where the server offers it)",
    "tls.ca_file": "no: aerc 0.14 and 0.20 have no CA setting; start aerc with SSL_CERT_FILE=CA (every account)",
    "tls.fingerprint": "no: aerc 0.14 and 0.20 have no certificate pinning",
    "tls.verify: false": "partial: imaps+insecure:// (no certificate or host name check) for IMAP with security tls, "
    "aerc 0.18 and later; aerc verifies every other server written (SMTP, STARTTLS, older versions)",
    "tls.min_version": "partial: aerc (Go's TLS client) accepts TLS 1.2 and newer, whatever is declared",
    "timeout": "partial: connection-timeout for IMAP (not 0); aerc 0.14 and 0.20 have no SMTP timeout setting",
    "leave_on_server": "no: POP3 only, and aerc has no POP3",
    "leave_days": "no: POP3 only, and aerc has no POP3",
}

#: security -> (scheme, suffix after the auth suffix): aerc 0.14 strips "+insecure" first, then "+xoauth2".
_IMAP_SCHEME: Mapping[Security, tuple[str, str]] = {
    Security.TLS: ("imaps", ""),
    Security.STARTTLS: ("imap", ""),
    Security.NONE: ("imap", "+insecure"),
}

#: aerc 0.14: smtp:// is cleartext unless smtp-starttls = yes (written apart, AercAccount.smtp_starttls).
_SMTP_SCHEME: Mapping[Security, tuple[str, str]] = {
    Security.TLS: ("smtps", ""),
    Security.STARTTLS: ("smtp", ""),
    Security.NONE: ("smtp", ""),
}

#: aerc 0.15 and later: smtp:// always sends STARTTLS and smtp+insecure:// never does; the auth goes last
#: (smtp+insecure+plain: lib/send/parse.go reads the first two parts of three as the protocol).
_SMTP_SCHEME_0_15: Mapping[Security, tuple[str, str]] = {
    Security.TLS: ("smtps", ""),
    Security.STARTTLS: ("smtp", ""),
    Security.NONE: ("smtp+insecure", ""),
}

#: From this version on, smtp:// means STARTTLS and smtp-starttls is ignored, with a warning popup at start.
_STARTTLS_BY_DEFAULT = (0, 15)
#: From this version on, aerc skips every certificate check (InsecureSkipVerify) for imaps+insecure:// (commit
#: 7b4c8f67, worker/imap/connect.go); older versions verify imaps whatever the URL says, and SMTP never skips.
_INSECURE_IMAPS = (0, 18)
#: From this version on, aerc copies the keys of a section named DEFAULT into every account (config/accounts.go).
_DEFAULT_SECTION_READ = (0, 18)
#: From this version on, aerc reads every value with go-ini's Key.String, which replaces %(KEY)s with the value of
#: the section's KEY (go-ini key.go transformValue, v1.67.0; no escape): aerc 0.15 reads every field through GetKey
#: and String (config/parse.go, config/accounts.go), 0.14 read source-cred-cmd, outgoing and from raw.
_INTERPOLATES = (0, 15)
_INTERPOLATION = re.compile(r"%\(([^)]+)\)s")  # go-ini's varPattern
#: Every key a section may hold (the template's): a %(KEY)s naming one of them is replaced.
_KEYS = frozenset(("source", "source-cred-cmd", "connection-timeout", "outgoing", "outgoing-cred-cmd", "from"))
#: one part of an aerc version, at most nine digits: int() of more than 4,300 raises ValueError (an internal error,
#: exit 3), and no aerc version has ten (the importer reads the version a rendered file names with it too)
_VERSION_PART = r"(0|[1-9][0-9]{0,8})"
_VERSION = re.compile(rf"{_VERSION_PART}\.{_VERSION_PART}(?:\.(?:0|[1-9][0-9]{{0,8}}))?")

#: auth -> the mechanisms aerc can use for it, on (IMAP, SMTP); the first named in ``mechanisms`` wins, else the
#: first here. IMAP logs in with the LOGIN command, which sends the password as PLAIN or LOGIN would.
_MECHANISMS: Mapping[Auth, tuple[tuple[str, ...], tuple[str, ...]]] = {
    Auth.PASSWORD: (("plain", "login"), ("plain", "login")),
    Auth.OAUTH2: (("xoauth2", "oauthbearer"), ("xoauth2", "oauthbearer")),
    Auth.NONE: (("none",), ("none",)),
}

#: Which command each auth runs: the model's, for the auths aerc can do (with NTLM, which it cannot, it runs none).
_COMMAND_FIELD: Mapping[Auth, str] = {a: f for a, f in CREDENTIAL_COMMAND.items() if a in _MECHANISMS}

#: tls.min_version that aerc enforces as declared: Go's client (1.19 in aerc 0.14, 1.24 in Debian 13's 0.20)
#: accepts TLS 1.2 and 1.3 only.
_GO_MIN_VERSION = "1.2"

# The messages below name the aerc version the file is for ({aerc}: "aerc 0.14"); each was checked against aerc
# 0.14 and 0.20 (the binaries and their sources), which behave the same in every one of them.
POP3_GAP = "aerc has no POP3: the account is left out (use the fetchmail target)"
NO_SOURCE_GAP = (
    "{aerc} needs an incoming IMAP server (source) for every account: the account is left out "
    "(use the msmtp target to send)"
)
DEFAULT_GAP = "aerc skips a section named DEFAULT (go-ini's default section): the account is left out; rename it"
#: aerc 0.18 and later copy DEFAULT's keys into every account that lacks them (config/accounts.go).
DEFAULT_GAP_0_18 = (
    "{aerc} reads a section named DEFAULT as settings for every account (go-ini's default section): the "
    "account is left out; rename it"
)
#: What a \ at the end does differs: aerc 0.14 sends the From with its quoted name left open, aerc 0.20 parses the
#: From before sending (PrepareHeader, Go's net/mail) and stops. Both are named: the versions between were not run.
DISPLAY_NAME_GAP = (
    "{aerc}'s composer writes the From name back without escaping it: a \" becomes ' and a \\ is lost; "
    "a \\ at the end leaves the name's quotes open, and aerc 0.14 sends the message with that broken From, "
    "aerc 0.20 refuses to send it (PrepareHeader: unclosed quoted-string); leave them out of display_name"
)
#: A display_name holding an RFC 2047 encoded word: aerc 0.14 sends an ASCII name as written in quotes (readers such
#: as Python's email decode it there), and its composer decodes it itself when it shows the From unquoted and parses
#: it back (lib/format/format.go AddressForHumans: a name in lower case up to 0.17, any name without an RFC 5322
#: special from 0.18, commit f204c736; then app/compose.go storeValue, Go's net/mail). Seen with aerc 0.14 and
#: 0.20; 0.20 also refuses to send at all where the name it decodes names a charset Go does not know (PrepareHeader).
ENCODED_WORD_GAP = (
    "{aerc} sends it so that mail readers show it decoded (=?utf-8?q?Bob?= as Bob): the name goes out as written "
    "inside quotes, where readers such as Python's email decode it (RFC 2047 says they should not), or aerc's "
    "composer decodes it itself when it reads the From back (aerc 0.18 and later a name without RFC 5322 specials, "
    "aerc 0.14 to 0.17 one in lower case), and where that charset is one it does not know (x-unknown, utf-7), aerc "
    "0.20 sends no message from the account at all (PrepareHeader: invalid encoding name); an RFC 2047 encoded word "
    "cannot be sent as text: leave it out of display_name"
)
#: An RFC 2047 encoded word as readers decode it: =?charset?Q|B?text?= (a charset without a blank or ?; a text
#: without a ?, an empty one too, blanks allowed: Python's email and Thunderbird 153 read =?utf-8?q?a b?= as "a b").
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?]*\?=")
NO_PASSWORD_GAP = "{aerc} does not ask for a password: without password_command it logs in with an empty one; add it"
CA_FILE_GAP = (
    "{aerc} has no CA setting: start aerc with SSL_CERT_FILE set to this file (Go reads it, for every "
    "account); until then the system CAs decide"
)
#: tls.ca_file on a server written with imaps+insecure:// (tls.verify: false, aerc 0.18 and later): no CA is asked.
CA_FILE_UNUSED_GAP = (
    "{aerc} checks no certificate of this server (imaps+insecure://, written for tls.verify: false): the CA file "
    "is not used"
)
FINGERPRINT_GAP = "{aerc} has no certificate pinning: the certificate is checked against the trusted CAs instead"
#: Why ``[work]`` and ``[work.home]`` are never written together: aerc 0.15 and later read a key missing from a
#: section with go-ini's Section.GetKey, which then reads the dotted parent section's (the module docstring).
INHERITED_NAME = (
    "aerc 0.15 and later read each setting missing from [{child}] in [{parent}] (go-ini reads the dot as a "
    "subsection), so account {parent}'s password command or outgoing server could serve {child}; rename one "
    "of the two accounts"
)
INTERPOLATION = (
    "aerc 0.15 and later replace a %(setting)s in a value with that setting's value (go-ini, which has no escape "
    "for it): reword it"
)
VERIFY_GAP = (
    "{aerc} verifies the certificate of every server written: the connection fails where it does not verify; "
    "trust its CA with SSL_CERT_FILE"
)
#: aerc 0.18 and later skip the checks for IMAP over TLS only (imaps+insecure://), and never for a pinned server.
VERIFY_GAP_0_18 = (
    "{aerc} skips certificate checks only for IMAP with security tls (imaps+insecure://, never written with "
    "tls.fingerprint): this server is verified, and the connection fails where it does not verify; trust its CA "
    "with SSL_CERT_FILE"
)


@functools.cache
def _gap_rules(aerc: str) -> GapRules:
    """What aerc cannot express at all: CAPABILITIES' "no" rows, with these messages (oauth2 without a
    token_command is a gap too: Gaps.unsupported). The TLS ones are reported by server_gaps, and only for a
    server with TLS: on a cleartext connection there is no certificate to check."""
    return gap_rules(
        CAPABILITIES,
        {f"auth: {a}": f"{aerc} has no {a} authentication: the server is written without it"
         for a in ("gssapi", "ntlm", "client-cert")},
        own=("tls.ca_file", "tls.fingerprint"),
    )  # fmt: skip


GAP_RULES = _gap_rules(f"aerc {DEFAULT_VERSION}")


class AercVersion(NamedTuple):
    """The version the file is for, from ``--option version``."""

    number: tuple[int, int]  # (major, minor)

    @property
    def name(self) -> str:
        """``0.14``: how the file's header and the gap messages name it."""
        return f"{self.number[0]}.{self.number[1]}"

    @property
    def aerc(self) -> str:
        return f"aerc {self.name}"


def version_option(options: Mapping[str, str]) -> AercVersion:
    """The version option (UsageError, exit 2, for one that is not a version or is older than 0.14)."""
    value = options.get("version", DEFAULT_VERSION)
    match = _VERSION.fullmatch(value)
    if match is None:
        how = "write aerc's version as MAJOR.MINOR[.PATCH] (like 0.20)"
        raise UsageError(f"--option version: {how}, not {shown(value)}")
    number = (int(match[1]), int(match[2]))
    if number < (0, 14):
        raise UsageError(f"--option version: mailconf writes for aerc 0.14 and later (Debian 12's), not {value}")
    return AercVersion(number)


class AercAccount(NamedTuple):
    """One ``[name]`` section, every value decided; ``None`` leaves the key out. The template quotes."""

    name: str
    source: str
    source_cred_cmd: str | None
    connection_timeout: str | None  # "45s"
    outgoing: str | None
    outgoing_cred_cmd: str | None
    smtp_starttls: bool
    from_: str


def render(model: Model, env: jinja2.Environment, options: Mapping[str, str]) -> Rendered:
    version = version_option(options)
    gaps = Gaps()
    accounts: list[AercAccount] = []
    for account in model.accounts:
        if account_gaps(gaps, account, version):
            accounts.append(_account(account, version))
    names = {a.name for a in accounts}
    for a in accounts:
        parent = _parent_section(a.name, names)
        if parent is not None:
            raise UnsafeValue(f"account {a.name}: name: {INHERITED_NAME.format(child=a.name, parent=parent)}")
    if not accounts:
        return Rendered((), tuple(gaps.found))
    text = env.get_template("aerc/accounts.conf.j2").render(accounts=accounts, version=version.name)
    return Rendered((RenderedFile(FILE_NAME, text.encode("utf-8"), 0o600),), tuple(gaps.found))


def _parent_section(name: str, sections: Collection[str]) -> str | None:
    """The section among ``sections`` where go-ini looks up a key that ``[name]`` lacks: the longest part of the
    name before a dot that names one (Section.GetKey walks to ``[a.b]``, then ``[a]``, for ``[a.b.c]``)."""
    parts = name.split(".")
    for end in range(len(parts) - 1, 0, -1):
        parent = ".".join(parts[:end])
        if parent in sections:
            return parent
    return None


def account_gaps(gaps: Gaps, account: Account, version: AercVersion) -> bool:
    """Add every setting of the account that the rendered section cannot express for this aerc version (the one
    place gaps are decided); whether the account is written."""
    aerc = version.aerc
    incoming = account.incoming
    if incoming is None:
        gaps.add(account, "incoming", NO_SOURCE_GAP.format(aerc=aerc))
        return False
    if incoming.protocol is not Protocol.IMAP:
        gaps.server(account, incoming, "protocol", POP3_GAP)
        return False
    written = account.name != "DEFAULT"
    if not written:  # left out, its other gaps said all the same (docs/render.md, left-out accounts)
        default_gap = DEFAULT_GAP_0_18 if version.number >= _DEFAULT_SECTION_READ else DEFAULT_GAP
        gaps.add(account, "name", default_gap.format(aerc=aerc))
    name = account.display_name
    if name is not None and ('"' in name or "\\" in name):
        gaps.add(account, "display_name", DISPLAY_NAME_GAP.format(aerc=aerc))
    if name is not None and "=?" in name and _ENCODED_WORD.search(name):
        gaps.add(account, "display_name", ENCODED_WORD_GAP.format(aerc=aerc))
    rules = _gap_rules(aerc)
    for server in account.servers:
        gaps.unsupported(account, server, rules)
        outgoing = server.protocol is Protocol.SMTP
        for setting, applies, advice in _SERVER_GAPS:
            if not applies(server, outgoing):  # nearly every rule: the version's own messages are not looked at
                continue
            message = advice
            if setting == "tls.verify" and version.number >= _INSECURE_IMAPS:
                if _skips_verification(server, outgoing, version):
                    continue
                message = VERIFY_GAP_0_18
            elif setting == "tls.ca_file" and _skips_verification(server, outgoing, version):
                message = CA_FILE_UNUSED_GAP
            gaps.server(account, server, setting, _advice(message, server, outgoing, aerc))
    return written


def _advice(advice: str, server: Server, outgoing: bool, aerc: str) -> str:
    """The advice of a gap with its {aerc}, {auth}, {min_version}, {can} and {unused} filled in."""
    return _filled(advice, server.auth, server.tls.min_version, outgoing, aerc)


@functools.lru_cache(maxsize=256)  # the same few texts for every account: a message, an auth, a TLS version (5 x 6 x 5)
def _filled(advice: str, auth: Auth, min_version: str | None, outgoing: bool, aerc: str) -> str:
    usable = _MECHANISMS.get(auth, ((), ()))[outgoing]
    return advice.format(
        aerc=aerc, auth=auth.value, min_version=min_version, can=" or ".join(usable), unused=unused_command(auth)
    )


def _skips_verification(server: Server, outgoing: bool, version: AercVersion) -> bool:
    """Whether the server is written with imaps+insecure://: IMAP over TLS declared with ``tls.verify: false`` (and
    no pin, which it would drop unchecked), for an aerc that honours it."""
    return (
        not outgoing
        and server.security is Security.TLS
        and not server.tls.verify
        and server.tls.fingerprint is None
        and version.number >= _INSECURE_IMAPS
    )


def _encrypted(server: Server) -> bool:
    return server.security is not Security.NONE


def _no_usable_mechanism(server: Server, outgoing: bool) -> bool:
    usable = _MECHANISMS.get(server.auth)
    return usable is not None and bool(server.mechanisms) and set(server.mechanisms).isdisjoint(usable[outgoing])


#: What the table of capabilities does not say (and its TLS rows, for a server with TLS): (setting, does it apply
#: to this server (and is it the outgoing one), what to do instead), in report order, after GAP_RULES' gaps.
#: The advice is formatted with {aerc} (the version's name), {auth}, {min_version}, {can} (the usable mechanisms)
#: and {unused} (targets.unused_command: a command the auth does not run).
_SERVER_GAPS: tuple[tuple[str, Callable[[Server, bool], bool], str], ...] = (
    ("tls.ca_file", lambda s, o: _encrypted(s) and s.tls.ca_file is not None, CA_FILE_GAP),
    ("tls.fingerprint", lambda s, o: _encrypted(s) and s.tls.fingerprint is not None, FINGERPRINT_GAP),
    ("tls.verify", lambda s, o: _encrypted(s) and not s.tls.verify, VERIFY_GAP),
    ("tls.verify_hostname", lambda s, o: _encrypted(s) and s.tls.verify and not s.tls.verify_hostname,
     "{aerc} checks the host name of every server written: the connection fails where the certificate does not "
     "name the host"),
    ("tls.min_version", lambda s, o: _encrypted(s) and s.tls.min_version not in (None, _GO_MIN_VERSION),
     "{aerc} (Go's TLS client) accepts TLS 1.2 and 1.3 whatever is declared: {min_version} is not enforced as "
     "written"),
    ("tls.client_cert", lambda s, o: _encrypted(s) and s.tls.client_cert is not None,
     "{aerc} has no client certificates: they are left out"),
    # a key alone: the gap names the setting written, not tls.client_cert, which the file does not hold
    ("tls.client_key", lambda s, o: _encrypted(s) and s.tls.client_cert is None and s.tls.client_key is not None,
     "{aerc} has no client certificates: the key is left out"),
    ("host", lambda s, o: o and _encrypted(s) and ":" in s.host,
     "{aerc} cuts an IPv6 address at its first ':' to check the SMTP server's certificate, so the check "
     "fails: use a host name"),
    ("mechanisms", _no_usable_mechanism,
     "{aerc} can use only {can} here: none of the mechanisms named is used"),
    ("password_command",
     lambda s, o: s.auth is Auth.PASSWORD and s.password_command is None and not s.has_literal_password,
     NO_PASSWORD_GAP),
    ("password_command",
     lambda s, o: s.password_command is not None and _COMMAND_FIELD.get(s.auth) != "password_command",
     "{unused}"),
    ("token_command", lambda s, o: s.token_command is not None and _COMMAND_FIELD.get(s.auth) != "token_command",
     "{unused}"),
    ("timeout", lambda s, o: o and s.timeout is not None, "{aerc} has no SMTP timeout setting: it is left out"),
    ("timeout", lambda s, o: not o and s.timeout == 0,
     "{aerc} reads connection-timeout 0 as 'give up at once': left out, so aerc's default of 30 seconds "
     "applies; give a number of seconds"),
)  # fmt: skip


def _account(account: Account, version: AercVersion) -> AercAccount:
    incoming = account.incoming
    assert incoming is not None  # _written

    def checked(setting: str, value: str | None) -> str | None:
        """The value if go-ini can read it back; UnsafeValue naming account and setting otherwise."""
        if value is not None:
            try:
                aerc_value(value)
                if version.number >= _INTERPOLATES and any(m[1] in _KEYS for m in _INTERPOLATION.finditer(value)):
                    raise UnsafeValue(INTERPOLATION)
            except UnsafeValue as exc:
                raise UnsafeValue(f"account {account.name}: {setting}: {exc}") from None
        return value

    outgoing = account.outgoing
    timeout = incoming.timeout
    new_smtp = version.number >= _STARTTLS_BY_DEFAULT
    smtp_scheme = _SMTP_SCHEME_0_15 if new_smtp else _SMTP_SCHEME
    return AercAccount(
        name=account.name,
        source=_url(
            ("imaps", "+insecure")
            if _skips_verification(incoming, False, version)
            else _IMAP_SCHEME[incoming.security],
            incoming,
            outgoing=False,
        ),
        source_cred_cmd=checked(f"incoming.{_command_field(incoming)}", _command(incoming)),
        connection_timeout=f"{timeout}s" if timeout else None,
        outgoing=_url(smtp_scheme[outgoing.security], outgoing, outgoing=True) if outgoing is not None else None,
        outgoing_cred_cmd=(
            checked(f"outgoing.{_command_field(outgoing)}", _command(outgoing)) if outgoing is not None else None
        ),
        smtp_starttls=not new_smtp and outgoing is not None and outgoing.security is Security.STARTTLS,
        from_=_from(checked("address", account.address) or "", checked("display_name", account.display_name)),
    )


def _url(scheme: tuple[str, str], server: Server, *, outgoing: bool) -> str:
    """``scheme[+auth][+insecure]://user@host:port``: the user percent-encoded; no user (and +none on SMTP) for
    auth none."""
    mechanisms = _MECHANISMS.get(server.auth)
    suffix = ""
    if mechanisms is not None:
        usable = mechanisms[outgoing]
        mechanism = next((m for m in server.mechanisms if m in usable), usable[0])
        if server.auth is Auth.OAUTH2 or outgoing:
            suffix = f"+{mechanism}"
    host = f"[{server.host}]" if ":" in server.host else server.host
    user = "" if server.auth is Auth.NONE else f"{url_user(server.username)}@"
    return f"{scheme[0]}{suffix}{scheme[1]}://{user}{host}:{server.port}"


def _command_field(server: Server) -> str:
    return _COMMAND_FIELD.get(server.auth, "password_command")


def _command(server: Server) -> str | None:
    field = _COMMAND_FIELD.get(server.auth)
    return getattr(server, field) if field is not None else None


def _from(address: str, display_name: str | None) -> str:
    """``"Name" <address>`` (or the address alone), as Go's net/mail reads it back; dots that a dot-atom
    cannot hold (leading, trailing, doubled) put the local part in quotes."""
    local, _, domain = address.rpartition("@")
    if local.startswith(".") or local.endswith(".") or ".." in local:
        local = rfc5322_quoted(local)
    if display_name is None:
        return f"{local}@{domain}"
    return f"{rfc5322_quoted(display_name)} <{local}@{domain}>"
