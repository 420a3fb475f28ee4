r"""``mailconf render --target mutt FILE`` writes one muttrc per account, ``<account>.muttrc``
(mode 0600). mutt 2.x (checked with 2.2.12, GnuTLS).

Where the file goes, how to apply it
------------------------------------

::

    mailconf render --target mutt accounts.yaml --account work > ~/.config/mutt/work.muttrc
    # or every account at once: one <account>.muttrc per account
    mailconf render --target mutt accounts.yaml -o ~/.config/mutt

In ``~/.config/mutt/muttrc``: ``source ~/.config/mutt/work.muttrc``. With several accounts, source one
file per account (from a macro or a ``folder-hook``). mutt keeps every variable a file it read set, so
each account file sets every variable an account file owns (the variables in the table below): to its account's
value or, where the account does not use one, back to mutt's default (``reset NAME``, under "not used by this
account"); without an ``organization`` it removes the header (``unmy_hdr Organization``). Switching accounts
leaves nothing of the previous one behind: after a gmail account's file, the work account's does not log in with
OAUTHBEARER; a POP3 account's does not leave the IMAP ``folder`` and ``spoolfile`` in place. So your own
setting of one of these variables (or ``my_hdr Organization``) in ``~/.config/mutt/muttrc`` holds only until
the first account file is read: to keep one, set it after the ``source``, in the same hook or macro.

A ``folder-hook`` per account names its mailbox URL with the user
(two accounts on one server differ only there; a user that is an address is percent-encoded, ``carol%40gmail.com``)::

    folder-hook 'imaps://alice@imap\.example\.com:993/' 'source ~/.config/mutt/work.muttrc'
    folder-hook 'pop://dan@pop\.home\.example:110/' 'source ~/.config/mutt/home.muttrc'

``mailconf import --from mutt --follow-source ~/.config/mutt/muttrc`` reads such a file back, one account per
hook.

What it writes
--------------

| YAML | muttrc |
|---|---|
| ``address``, ``display_name``, ``organization`` | ``from``, ``realname``, ``my_hdr Organization: ...``; without
  ``display_name``, ``realname = ''``: empty, not left out: unset, mutt puts your name from /etc/passwd (GECOS) in
  From: |
| IMAP | ``folder = 'imaps://host:993/'``, ``spoolfile = '+INBOX'``, ``imap_user``, ``imap_pass`` |
| POP3 | ``pop_host = 'pops://host:995/'``, ``pop_user``, ``pop_pass``, ``pop_delete`` (``leave_on_server``):
  fetch-mail (``G``) moves the messages into your local ``spoolfile``, then keeps or deletes them on the server
  |
| SMTP | ``smtp_url = 'smtps://user%40example.org@host:465/'`` (mutt has no ``smtp_user``: the user is
  percent-encoded in the URL), ``smtp_pass`` |
| ``security: tls`` | the ``imaps://``, ``pops://``, ``smtps://`` scheme |
| ``security: starttls`` | ``ssl_starttls = yes``, ``ssl_force_tls = yes`` |
| ``security: none`` | ``ssl_starttls = no``, ``ssl_force_tls = no`` |
| ``password_command`` | ``imap_pass = "`command`"``: run by sh when mutt reads the file; first output line. A
  command holding a backtick, backslash or ``$`` is written ``"`echo <base64> \| base64 -d \| sh`"`` |
| ``auth: oauth2`` + ``token_command`` | ``*_authenticators = 'oauthbearer:xoauth2'``,
  ``*_oauth_refresh_command`` |
| ``auth: gssapi`` / ``ntlm`` / ``client-cert`` | ``*_authenticators = 'gssapi'`` / ``'ntlm'`` / ``'external'``
  (through GNU SASL) |
| ``mechanisms`` | ``*_authenticators = 'plain:login'`` |
| ``tls.ca_file``, ``tls.client_cert`` | ``ssl_ca_certificates_file``, ``ssl_client_cert`` |
| ``tls.verify_hostname`` | ``ssl_verify_host`` |
| ``tls.min_version`` | ``ssl_use_tlsv1``, ``ssl_use_tlsv1_1``, ``ssl_use_tlsv1_2``, ``ssl_use_tlsv1_3`` |
| ``timeout`` | ``connect_timeout`` (connection set-up only; ``0`` is written ``-1``, wait forever) |

Every value is single-quoted (``'`` written ``'\''``), so nothing in it is interpreted; the
Organization header, which ``my_hdr`` does not read quoted, has every ASCII character that is not a
letter or a digit, the space included, written as a three-digit octal escape
(``my_hdr Organization\072\040Example\040Ltd``): not ``\:``, since a value ending in ``\`` would
continue the line into the next command. A control character in a value (the schema refuses them; one
could only come from a future field or a bug) stops the render, naming the account and the setting, never the value:
``target mutt: not rendered: account A: incoming.username: a value holds a control character, which a
muttrc cannot carry safely``.
A blank ``password_command`` (only spaces: it would run nothing) stops it the same way: ``account A:
incoming.password_command: a blank command runs nothing (the password would be empty): write the command that
prints it``.
A host or user name longer than 127 bytes (UTF-8) stops the render too: mutt copies each into a
128-byte buffer and cuts the rest without a word, so it would connect to another name or log in as another
user (``account A: incoming.username: mutt keeps only the first 127 bytes of a user name (UTF-8) and
would log in with the name cut short: use a shorter one``).
So does a display name so long that the From: header could exceed the 1,023 bytes mutt writes it in
(the name RFC 2047-encoded, then the address; reckoned for UTF-8, so that a ``$send_charset`` of
utf-8 fits too): mutt
would cut the address off. 256 ASCII characters always fit; 192 CJK characters or 144 emoji next to a
short address.

What it cannot express (a warning each; ``--strict`` makes them errors)
-----------------------------------------------------------------------

- ``tls.fingerprint``: no pin. Save the server's PEM certificate in a file and ``set certificate_file`` to it.
- ``tls.verify: false``: mutt always verifies; name the CA with ``tls.ca_file``, or accept the certificate once
  when mutt asks.
- A ``host`` with a trailing dot (``imap.example.org.``) while ``ssl_verify_host`` is on:
  mutt (GnuTLS) compares the certificate's names with the host as written, dot included,
  so it asks whether to accept the certificate before it logs in, and a batch send fails.
  An IP address as the ``host`` is no gap: mutt matches it against the certificate's IP
  addresses.
- POP3 ``leave_days``: ``pop_delete`` only keeps or deletes at fetch time.
- ``auth: none`` on IMAP/POP3: mutt always logs in.
- ``tls.client_key`` apart from ``tls.client_cert``: mutt reads both from one PEM file.
- Global settings: different ``ca_file``, ``client_cert``, ``timeout``, ``min_version`` or ``verify_hostname``
  on the incoming and outgoing server, or ``security: none`` next to ``starttls`` (the incoming value
  is written; the other one is reported).
- ``password_command`` with an auth that uses none, ``token_command`` without ``auth: oauth2``, and
  ``auth: oauth2`` without ``token_command``.
- A ``display_name`` holding an RFC 2047 encoded word that starts inside a word (``a=?utf-8?q?Bob?=``,
  ``"=?utf-8?q?Bob?="``, ``(=?utf-8?q?Bob?=)``): it is written as declared, but mutt sends such a word as
  written, and mail readers such as Thunderbird decode it there (Thunderbird 153 shows ``a=?utf-8?q?x?=`` as
  ``a x``, ``"(=?utf-8?q?x?=)"`` as ``(x)``), so the recipient does not see the name declared. mutt
  RFC 2047-encodes, and so sends as text, the words that start with ``=?`` or hold a character outside ASCII,
  and every word from the first to the last of these and of the RFC 822 specials (``()<>[]:;@,."`` and the
  backslash) around them; it writes the rest as it is. So ``=?utf-8?q?Bob?=``, ``=?UTF-8?Q?Bob?=``,
  ``=?utf-8?b?Qm9i?=`` and ``Ann =?utf-8?q?Bob?=`` reach every reader as the text declared (checked). Leave the
  encoded word out, or put a space before it.
- An ``organization`` holding an RFC 2047 encoded word that starts inside a word: the same, except that the
  RFC 822 specials do not widen what mutt encodes (``(=?utf-8?q?Bob?=)`` goes out as it is); Python's email
  reads ``a=?utf-8?q?x?=`` in that header as ``ax``.
- An ``organization`` of spaces only: mutt sends no header whose value is blank, so the file says
  ``unmy_hdr Organization``, as without one (checked: the mail it sends has no Organization header).

Notes
-----

- Paths: mutt prints paths normalised (``//``, ``/./``, a trailing ``/``); they name the same file.
- The password command runs each time the client reads the file (at start-up and at every ``source``); its first
  output line is the password.

How it is tested
----------------

``tests/targets/test_mutt.py`` renders every protocol x security x auth combination and reads it
back with ``mutt -n -F RC -Q var`` in a throwaway HOME (no "Error in" allowed), compares ``-D``
with mutt's defaults (no variable the target does not write may change), sends a batch message to
a capturing sendmail to read the Organization header, and runs a hypothesis test with hostile
values (quotes, backslashes, backticks, ``$()``, ``;``, ``#``, ``%``, non-ASCII) whose password commands
are harmless ``printf``s. End to end, the rendered file makes the real client log in to a Dovecot
over IMAP and POP3 (implicit TLS and STARTTLS, with the declared CA; POP3 keeps or deletes the
messages as declared) and send through an aiosmtpd server (AUTH over TLS with a percent-encoded
user and FORMATS.md's nasty password; ``starttls`` refuses a server without STARTTLS, ``none`` sends in
cleartext, ``auth: none`` never logs in). ``tests/targets/test_mutt_switch.py`` sources every ordered pair of a
varied model's files (IMAP and POP3, OAuth2, password commands, Organization, timeouts, TLS settings, an account
with only incoming, one with only outgoing) and checks that every variable (``-D``) and the Organization header
of a sent message are what the second file alone gives.
"""

from __future__ import annotations

from collections.abc import Mapping

import jinja2

from ..model import Model, Protocol
from . import OwnFile, Rendered, _muttlike

NAME = "mutt"
TITLE = "mutt 2.x: one muttrc per account (source it from your muttrc)"
OPTIONS: Mapping[str, str] = {}
OWN_FILES: tuple[OwnFile, ...] = _muttlike.OWN_FILES

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
