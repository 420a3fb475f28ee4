"""Target neomutt: one neomuttrc per account (NeoMutt 2022 and later).

Where the file goes
    ``mailconf render --target neomutt accounts.yaml --account work > ~/.config/neomutt/work.muttrc``
    (or ``-o ~/.config/neomutt`` for every account: one ``<account>.muttrc`` each, mode 0600).
    Load it from your neomuttrc with ``source ~/.config/neomutt/work.muttrc``. To switch between
    accounts, source one file per account from a ``folder-hook`` or a macro; the TLS
    settings below are global, so each file sets all of them.

What it writes
    The same as the mutt target, with NeoMutt's names: ``from``, ``real_name``, an
    ``Organization:`` header (``my_hdr``); IMAP as ``folder`` + ``spool_file = '+INBOX'`` with
    ``imap_user``; POP3 as ``pop_host`` with ``pop_user`` and ``pop_delete``
    (leave_on_server) for fetch-mail (``G``), which moves the messages into the local
    ``spool_file`` and then keeps or deletes them on the server; SMTP as ``smtp_url`` plus
    ``smtp_user``. Implicit TLS is the URL scheme; STARTTLS is ``ssl_starttls = yes`` plus
    ``ssl_force_tls = yes``; no encryption sets both to ``no``. ``ssl_ca_certificates_file``,
    ``ssl_verify_host``, ``ssl_use_tlsv1*``, ``ssl_client_cert`` and ``connect_timeout`` (0 is
    written -1: wait forever).

Passwords and tokens
    ``password_command`` becomes ``set imap_pass = "`command`"``, run with sh when NeoMutt reads
    the file (first output line). NeoMutt expands backslashes and ``$name`` inside backticks,
    so a command holding a backtick, backslash or ``$`` is written as
    ``echo <base64> | base64 -d | sh``. ``token_command`` becomes
    ``*_oauth_refresh_command`` with ``*_authenticators`` set to OAUTHBEARER/XOAUTH2. NeoMutt
    expands a leading ``~ = + @ < > ! - ^`` in these commands as a mailbox shortcut, so such a
    command is written after one space (which sh ignores).

What it cannot express (each one is a warning; ``--strict`` makes it an error)
    - a fingerprint pin: save the server certificate and ``set certificate_file`` to it;
    - ``tls.verify: false``: NeoMutt always verifies (accept the certificate once when asked);
    - POP3 ``leave_days``; ``auth: none`` for IMAP/POP3 (NeoMutt always logs in);
    - mechanisms NeoMutt does not accept in ``*_authenticators``: IMAP takes plain, login,
      gssapi, xoauth2, oauthbearer; SMTP plain, login, xoauth2, oauthbearer; POP3 only
      oauthbearer. So NTLM, client-cert (SASL EXTERNAL), GSSAPI for SMTP/POP3, SCRAM and
      CRAM-MD5 are reported;
    - a separate ``client_key``; different CA files, client certificates, timeouts, TLS versions
      or host-name checks for the incoming and the outgoing server, and ``security: none``
      next to ``starttls`` (one value of each for every connection).
"""

from __future__ import annotations

from collections.abc import Mapping

import jinja2

from ..model import Model, Protocol
from . import Rendered, _muttlike

NAME = "neomutt"
TITLE = "NeoMutt: one neomuttrc per account (source it from your neomuttrc)"
OPTIONS: Mapping[str, str] = {}

DIALECT = _muttlike.Dialect(
    name=NAME,
    # what NeoMutt 20220429 accepts in *_authenticators (it refuses other names with "not a valid authenticator")
    mechanisms={
        Protocol.IMAP: ("plain", "login", "gssapi", "xoauth2", "oauthbearer"),
        Protocol.SMTP: ("plain", "login", "xoauth2", "oauthbearer"),
        Protocol.POP3: ("oauthbearer",),
    },
    oauth={
        Protocol.IMAP: ("oauthbearer", "xoauth2"),
        Protocol.SMTP: ("oauthbearer", "xoauth2"),
        Protocol.POP3: ("oauthbearer",),
    },
    command_shortcuts="~=+@<>!-^",
    real_name_variable="real_name",
    spool_file_variable="spool_file",
    smtp_user=True,
)

CAPABILITIES: Mapping[str, str] = _muttlike.capabilities(
    {
        "auth: oauth2": "partial: POP3 only with OAUTHBEARER",
        "auth: gssapi": "partial: IMAP only",
        "auth: ntlm": "no: NeoMutt has no NTLM authenticator; use a password mechanism",
        "auth: client-cert": "partial: ssl_client_cert is sent, but there is no SASL EXTERNAL login",
        "mechanisms": "partial: IMAP plain/login/gssapi/xoauth2/oauthbearer, SMTP plain/login/xoauth2/oauthbearer, "
        "POP3 oauthbearer",
        "tls.verify: false": "no: NeoMutt always verifies; accept the certificate once, or name the CA",
    }
)


def render(model: Model, env: jinja2.Environment, options: Mapping[str, str]) -> Rendered:
    return _muttlike.render(model, env, DIALECT, CAPABILITIES)
