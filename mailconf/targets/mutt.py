"""Target mutt: one muttrc per account (mutt 2.x, GnuTLS or OpenSSL).

Where the file goes
    ``mailconf render --target mutt accounts.yaml --account work > ~/.config/mutt/work.muttrc``
    (or ``-o ~/.config/mutt`` for every account: one ``<account>.muttrc`` each, mode 0600).
    Load it from your muttrc with ``source ~/.config/mutt/work.muttrc``. To switch between
    accounts, source one file per account from a ``folder-hook`` or a macro; the TLS
    settings below are global, so each file sets all of them.

What it writes
    ``from``, ``realname`` and an ``Organization:`` header (``my_hdr``); IMAP as ``folder`` +
    ``spoolfile = '+INBOX'`` with ``imap_user``; POP3 as ``pop_host`` with ``pop_user`` and
    ``pop_delete`` (leave_on_server), for fetch-mail (``G``), which moves the messages into your
    local ``spoolfile`` and then keeps or deletes them on the server; SMTP as ``smtp_url`` with the user
    percent-encoded in the URL (mutt has no ``smtp_user``). Implicit TLS is the URL scheme
    (``imaps://``, ``pops://``, ``smtps://``); STARTTLS is ``ssl_starttls = yes`` plus
    ``ssl_force_tls = yes``; no encryption sets both to ``no``. ``ssl_ca_certificates_file``,
    ``ssl_verify_host``, ``ssl_use_tlsv1*`` (min_version), ``ssl_client_cert`` and
    ``connect_timeout`` (0 is written -1: wait forever).

Passwords and tokens
    ``password_command`` becomes ``set imap_pass = "`command`"``: mutt runs it with sh each time
    it reads the file and uses the first output line. A command holding a backtick, backslash
    or ``$`` is written as ``echo <base64> | base64 -d | sh`` so that nothing in it is
    interpreted by mutt. ``token_command`` (auth oauth2) becomes
    ``imap_oauth_refresh_command``/``pop_oauth_refresh_command``/``smtp_oauth_refresh_command``
    with ``*_authenticators = 'oauthbearer:xoauth2'`` (or the declared mechanisms).

What it cannot express (each one is a warning; ``--strict`` makes it an error)
    - a fingerprint pin: save the server certificate and ``set certificate_file`` to it;
    - ``tls.verify: false``: mutt always verifies (accept the certificate once when asked);
    - POP3 ``leave_days``;
    - ``auth: none`` for IMAP/POP3 (mutt always logs in);
    - a separate ``client_key`` (mutt reads key and certificate from one PEM file);
    - different CA files, client certificates, timeouts, TLS versions or host-name checks for
      the incoming and the outgoing server, and ``security: none`` next to ``starttls``: mutt
      has one value of each for every connection.
"""

from __future__ import annotations

from collections.abc import Mapping

import jinja2

from ..model import Model, Protocol
from . import Rendered, _muttlike

NAME = "mutt"
TITLE = "mutt 2.x: one muttrc per account (source it from your muttrc)"
OPTIONS: Mapping[str, str] = {}

DIALECT = _muttlike.Dialect(
    name=NAME,
    mechanisms=None,  # mutt hands every name it does not implement itself to GNU SASL / Cyrus SASL
    oauth=dict.fromkeys(Protocol, ("oauthbearer", "xoauth2")),
)

CAPABILITIES: Mapping[str, str] = _muttlike.capabilities(
    {
        "auth: oauth2": "yes",
        "auth: gssapi": "yes",
        "auth: ntlm": "yes: through GNU SASL (ntlm authenticator), when mutt is built with it",
        "auth: client-cert": "partial: ssl_client_cert with SASL EXTERNAL; key and certificate in one PEM file",
        "mechanisms": "yes",
        "tls.verify: false": "no: mutt always verifies; accept the certificate once, or name the CA",
    }
)


def render(model: Model, env: jinja2.Environment, options: Mapping[str, str]) -> Rendered:
    return _muttlike.render(model, env, DIALECT, CAPABILITIES)
