r"""``mailconf import --from neomutt FILE...`` reads neomutt configuration: one account per file, or one per
mailbox URL its hooks name (a file written by ``mailconf render --target neomutt``, or your own).
With ``--follow-source``, the files that
``source`` names are read too (every file a ``source`` line names, in order, relative to the file that names
them; each time it is sourced, as neomutt reads it; a chain of more than 64 files, or more than 1,000 files read in
all, is not followed: a warning says where); ``source "command|"`` is never run. In a ``source`` path,
``$NAME`` and ``${NAME}`` are expanded as in a ``set`` (below: the environment, a ``my_NAME``, a variable of
neomutt's; unquoted and in double quotes, not in single quotes; one set nowhere as it is written, with a warning:
the file neomutt reads, checked with ``neomutt -Q``); one not known there is reported and the file not
followed, and so is one that holds a command's output, and a leading ``~`` that names no home directory
(HOME unset and no passwd entry for the user; ``~name`` of no user).
A ``source`` of a file that cannot be opened (missing, a directory), a loop (a file sourced while it is being
read: neomutt refuses a cyclic source), and a variable neomutt does not know (a ``set``, ``unset``, ``reset`` or
``toggle`` stops at it; the names are neomutt 20220429's own, with their synonyms, and ``my_NAME``) are reported,
as neomutt reports them, and the import goes on as neomutt does: from the next line (the files named after it on
that line and the rest of the line, after a ``;``, are skipped, and so is the rest of the line that sources the file
it is in).

| neomuttrc | account file |
|---|---|
| ``folder = 'imaps://host:993/'`` (or an IMAP/POP ``spoolfile``) / ``pop_host`` / ``smtp_url`` | ``incoming``
  IMAP / POP3, ``outgoing``: host, port (absent: the scheme's, 25 for ``smtp://``), user in the URL;
  ``imaps``/``pops``/``smtps`` are ``security: tls`` |
| ``ssl_starttls``, ``ssl_force_tls`` (for the other schemes) | both yes (the default of both in NeoMutt 20220429):
  ``starttls``; only ssl_starttls: ``starttls-optional`` (reported: render refuses it); both no: ``none``. A
  yes/no variable takes ``yes``, ``no``, ``on``, ``off``, ``true``, ``false``, ``1`` and ``0`` (in any case), a
  quadoption (``ssl_starttls``, ``pop_delete``) ``yes``, ``no``, ``ask-yes`` and ``ask-no``: another value
  (``maybe``) is reported, and the value before it kept, as neomutt refuses it and keeps that one (checked with
  ``-Q``) |
| ``*_user``, ``imap_login``, ``*_pass = "\`command\`"`` | ``username``: the user the URL names, else
  ``*_user``; for IMAP the name neomutt logs in with (checked with the client logging in): that user, which its own
  PLAIN sends, picked first when ``imap_authenticators`` is not set or lists ``plain`` first, and so does the LOGIN
  command where it lists ``login`` first (with a server that offers no AUTH=LOGIN, as most do); ``imap_login``,
  which it authenticates as with SASL (SCRAM ...), where it lists another method first. Where the two differ and the
  server decides (no AUTH=PLAIN offered; SASL LOGIN; a method listed later, which neomutt goes on to where the
  server does not offer the first), the common case is imported and the other said; so is SASL
  asking for ``imap_user``'s mail as its authorization identity (a master user's login), which an account cannot
  say (OAuth2's OAUTHBEARER and XOAUTH2 send ``imap_login`` alone: checked with the client over TLS). An
  ``imap_login`` whose value is not known here (a command's output, a variable not expanded) leaves the username
  out where neomutt sends it, with a warning (that names the authorization identity SASL asks for, as above); with
  no user (no ``imap_user``, none in the URL) the client asks for
  one each time it connects and never logs in unattended (checked with the client): the account has no username
  either, and ``imap_login`` is said, not imported; ``password_command`` (never
  run; mailconf's base64 wrapper is unwrapped; a ``*_pass = $my_NAME`` whose my_NAME holds the command too) |
| ``*_authenticators``, ``*_oauth_refresh_command`` | ``auth`` / ``mechanisms``, ``token_command`` |
| ``pop_delete`` | ``leave_on_server`` (no: true) |
| ``ssl_ca_certificates_file``, ``ssl_client_cert``, ``ssl_verify_host``, ``ssl_use_tlsv*``,
  ``connect_timeout`` | ``tls.ca_file``, ``tls.client_cert``, ``tls.verify_hostname``, ``tls.min_version``,
  ``timeout`` (on every server: neomutt has one value for all connections) |
| ``from``, ``realname``/``real_name``, ``my_hdr Organization:`` | ``address``, ``display_name`` (blank: none),
  ``organization``: the From the client sends (checked with each client): ``from`` read as an address
  (``Me <a@example.com>``, ``a@example.com (Me)``, the first of a list), its name over realname's; a group
  (``g: a@example.com;``) is none: the client sends its name, ``g``, as the address |
| ``my_hdr From:`` (the From of every message) / other ``my_hdr`` headers (``unmy_hdr`` removes them, as
  in the client) | ``address`` and ``display_name``, in place of ``from``'s (a From of no name is sent with
  realname's) / reported, not imported |

A server URL neomutt does not read as one is no server (a warning says so; checked with the client logging in to
a local server): one with a character its URLs do not take in the user, the password, the host or the path (a
blank in ``imaps://first last@host/``, which it reads as a local folder's path; ``<``, ``#``), and one whose user or
password holds a ``%`` not followed by two hexadecimal digits. Write such a character %-escaped (``first%20last``).
A hook's mailbox URL that is no URL to the client is no account either.
The account is named after the file (``work.muttrc`` and ``work.neomuttrc`` give ``work``). Nothing is run: a
backtick command anywhere but in a ``*_pass`` (in a ``*_oauth_refresh_command`` too: the client runs it as it reads
the file, and its output is the command) and a literal password are reported (a comment and a warning with the
line), never imported, nor their text in place of the value the client would get (the setting is as if not set).
Variables: in every setting the import reads, each ``$NAME`` or ``${NAME}``, unquoted or in double quotes, is
expanded as neomutt expands it as it reads the line (checked with ``neomutt -Q``): ``set my_user = me@example.com``
then ``set folder = "imaps://$my_user@imap.example.com/"`` is that URL; ``'$my_user'``, in single quotes, is text to
the client, and so is a ``$`` not followed by a letter or ``{``, as in ``Cost $5``. neomutt looks ``NAME`` up in its
own variables first, then in its ``my_`` variables, then in the environment (the import's), where a variable set to
nothing counts as not set. A ``my_NAME`` is what it holds at that line: the last ``set my_NAME`` before it, in the
order the client reads the files (a sourced file's with ``--follow-source``; in a hook's command, each ``$NAME`` in
double quotes or none at the hook's line, where the client expands it: ``folder-hook URL "set imap_pass =
$my_pass"`` takes what my_pass holds there; neomutt keeps one set nowhere there as it is written, and expands it
when the hook runs; one in single quotes when the hook runs, after the whole file: checked with the client opening a
mailbox), unless an ``unset`` or ``reset`` came between. Of the client's own variables, those it holds as written
are expanded (``imap_user``, ``imap_login``, ``pop_user``, ``pop_host``, ``smtp_url``, ``smtp_user``, the
``*_authenticators`` and the ``*_pass`` ones; empty when not set), ``realname`` the file sets, and so are ``folder``
and ``spoolfile`` holding a
URL as the client writes it back (``imaps://alice@imap.example.com/``: its scheme in lower case, a path, no
%-escape). A variable set nowhere (not in the file before that line nor, not empty, in the environment the import
runs in) neomutt keeps as it is written, ``$NAME`` without braces: so does the import, with a warning (the client's
environment may set it) at the line it is written in (``set my_u = "x$my_none"``'s, not that of a ``set imap_user =
$my_u``, where neomutt does not read it), in every setting (a URL, whose user it is then, a ``my_NAME`` and the
settings set from it, a ``source`` path, a ``my_hdr`` header, a hook's pattern, whose ``$`` then matches no mailbox
URL) but a ``*_pass``, below: checked with the client logging in, ``-Q`` and the headers it sends. An
``smtp_url`` of an empty user (``smtps://@host/``) where ``smtp_user`` is not set is one neomutt authenticates with
that empty name, and so is an IMAP URL's (``imap://@host/``), ``imap_user`` set or not, after an empty command
(``a0000``) the server refuses (checked against Dovecot): no username is imported, with a warning. Reported as a
variable not expanded, and the setting not imported: one the client rewrites or gives a default of its own
(``$folder`` of a path or of ``imaps://host`` without one, ``$from``, ``$realname`` the file does not set,
``$hostname``), one set by a sourced command. A variable that holds a backtick command's output makes the setting
one that runs a command (reported, not imported). A ``my_hdr`` header (``From:``, ``Organization:``) is read as the
client reads it (checked with the headers it sends): the rest of the line up to a ``;`` or a ``#``, blanks and quotes
kept as text, a quote quoting nothing, so that each ``$NAME`` in it is expanded, in quotes too (``my_hdr From:
'$my_name' <$my_user>``); one whose text the import does not know so (a variable not expanded, a command's output) is
reported, not imported.
A ``*_pass`` that is one ``$my_NAME`` (or ``${my_NAME}``) alone is what ``my_NAME`` holds: ``set my_pass = "\`pass
show mail\`"`` then ``set imap_pass = $my_pass`` is ``password_command: pass show mail``, as ``set imap_pass =
"\`pass show mail\`"`` is: the client runs the command at the ``set my_pass`` line and its output is the password
(checked with ``neomutt -Q imap_pass``), and neither line is reported. A ``my_NAME`` of text is a literal password,
reported at its line; with text around it, as ``"x$my_pass"``, a command's output is a password of text and a
command (reported). A ``*_pass`` never takes the environment's value (the file does not hold that password): it is
reported as a variable not expanded, as one not set is, not as a literal password; nor does the password of a
server URL (``smtps://$USER:$MAILPASS@smtp.example.com/``): a warning names the variable it comes from, never its
value, and says to set ``password_command``.
A file whose only server URL holds such a command or variable, or a variable set nowhere that leaves it no URL
to the client, stops the import there (exit 2).
Commands that are not account settings are counted in one warning, at the first, which names the first four
kinds the file holds (``bind, color, send-hook, alias and 2 more``).
Accounts in hooks: neomutt runs a ``folder-hook PATTERN COMMAND`` when a mailbox whose URL the regular expression
matches is opened, and an ``account-hook`` when it connects for it (never while it reads the file). Each mailbox URL
a hook's pattern names (``imaps://alice@imap.example.com/``; ``\.`` escapes allowed, no other pattern character;
each ``$NAME`` in it expanded as the client expands it as it reads the hook's line, as in a ``set``: a hook whose
pattern names one not known is reported, not read) is one account, named after its address, and so is the mailbox
the file's own settings name when no hook names it: the settings of the file, then each folder-hook whose pattern
matches that URL, then each account-hook that matches the account (neomutt matches an account-hook against the
mailbox URL itself), in the order of the file, as the client has them when that mailbox is the first one opened
(checked by hand with the client opening an IMAP URL in a terminal); then each account-hook that matches the
account's SMTP server, which the client runs when it connects to send: both clients match it against
``scheme://[user@]host[:port]/`` of ``smtp_url`` (the scheme in lower case, no path nor password, ``/`` and ``:`` in
the user percent-encoded; checked by sending with each client). This applies to a file of one account too; an
account-hook for an ``smtp://`` or ``smtps://`` URL that matches no account's ``smtp_url`` is said in a warning of
its own. A ``folder`` or ``pop_host`` that names the hook's server without its user (as the files render writes do:
the user is in ``imap_user`` or ``pop_user``) is that mailbox, not a second incoming server; so is the file's own
mailbox when its user, in the URL or in ``imap_user``/``pop_user``, its host (in any case) and its port (absent: the
scheme's) are the hook's, as the client logs in to both on one connection, and when the hook's URL names no user either
(``folder-hook 'imaps://imap.example.com' 'source ~/.mutt/work'``, as tutorials write them), as the client opens that
one URL, running the same hooks for it.
The hook's command is read as the client reads it then (``set``,
``my_hdr``, ``source``; nothing run; its messages name the hook's line and the command's column). Not
read: a value another account's hook set, which the client keeps when you change folders; a pattern that
starts with a mailbox shortcut (``=work``, ``+INBOX``), which the client expands; a hook a hook defines;
and accounts chosen by a ``macro`` (``<change-folder>``). Hooks applied to no account are counted in one
warning; a folder-hook pattern starting with ``^`` and a hook without a command are refused, as the client
refuses them. A pattern is matched as the C library's ``regcomp(REG_EXTENDED)`` reads it (checked against
glibc's), in time linear in the URL, so that a pattern such as ``(a+)+b`` cannot hold the import up; one with
``\b``, ``\<``, a back-reference or a collating element is not matched (it is counted with the hooks applied
to no account), and a file whose hooks take more than two million steps to match stops the import (exit 2).
A line ending in a backslash is joined to the next before anything is read, as the client joins it: in
quotes (a hook's ``set`` over several lines), a backtick command or a comment too. An unbalanced quote or
backtick stops the import with its line and column (exit 2). A byte-order mark at
the start of a file makes the client skip its first line (an unknown command): so does the import, with a
warning. ``unset NAME`` empties a text variable (``from``, ``imap_user`` ...; ``set noNAME`` does not: reported),
``set &NAME`` resets it and ``set ?NAME`` changes nothing, as in the client. ``set NAME =`` with nothing after it
sets a text variable or a ``my_NAME`` to nothing, and a yes/no one neomutt refuses, keeping the value before
(reported; checked with ``neomutt -Q``).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..targets.neomutt import DIALECT
from . import Imported, ReadOptions, _muttrc

NAME = "neomutt"
TITLE = "neomutt: muttrc files, one account each (or one per hook mailbox URL)"


def read(paths: Sequence[str], options: ReadOptions) -> Imported:
    return _muttrc.read(paths, options, DIALECT)
