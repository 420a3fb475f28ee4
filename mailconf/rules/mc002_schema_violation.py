"""The file does not match the published JSON Schema.

Raised by the schema stage, for every error, at the key or value concerned:
an unknown key (with a "did you mean"), a missing required key, a value of the
wrong type or outside its allowed set, an empty file. The other rules still
check everything that can be modelled (the valid servers of a broken account,
a server whose only fault is an unknown key); lint names what it could not
check in a note on standard error.

The "did you mean" knows the words other mail clients use: an unknown key
``ssl: true`` says to write ``security: tls`` (``starttls: yes``,
``security: starttls``), ``server:`` says ``host``, ``pass:`` says
``password_command`` (never a literal ``password``), ``email:`` says
``address``, ``ca_cert:`` or msmtp's ``tls_trust_file:`` says ``ca_file``
(under ``tls:``), ``user:`` beside ``address:`` says ``username`` under
``incoming:`` or ``outgoing:``; a key written at the wrong level says where it belongs
(``ca_file`` under ``tls:``, ``host`` under ``incoming:`` or ``outgoing:``,
``leave_on_server`` under a POP3 ``incoming:``). A value outside its allowed
set names the one meant: ``security: ssl`` or ``SSL/TLS`` is ``tls``,
``STARTTLS`` is ``starttls``, ``auth: plain`` is ``password`` (PLAIN is a SASL
mechanism: ``mechanisms: [plain]`` pins it), ``protocol: imaps`` is ``imap``; ``protocol: smtp`` under ``incoming:`` (or
``imap`` under ``outgoing:``) says which side it belongs to.
A path starting with ``~`` or relative is said to be one (write it in full,
from ``/``), and an address written as a mail header (``Alice <alice@example.com>``)
says to write the address alone and the name in ``display_name``. An
account's settings written at the level of its name (``work:`` empty, then
``address:`` and ``incoming:`` read as accounts) are one line each, saying to
indent them; ``accounts:`` written as a list says to write each account as its
name and a colon; ``mechanisms: plain`` says ``[plain]``; ``tls: true`` says
that TLS is ``security: tls``. A key with nothing after its colon (which YAML
reads as null) says to write a value, or to remove the key when it may be left
out; a file without ``version`` says to add ``version: 1``. A required key
misspelt (``hostname:`` for ``host:``) is one finding, the misspelling's "did you
mean `host`? (it is required)", not also a missing ``host``.

Why: the schema (``mailconf schema``) is the contract shared with editors,
render and probe; it is also the first wall against values that would inject
directives into rendered client files (control characters, quotes in hosts).

Fix: follow the message; ``mailconf schema`` prints the whole schema, and an
editor with yaml-language-server shows it as you type.

Failing::

    incoming:
      protocol: imap
      host: imap.example.com
      securty: tls
Passing::

    incoming:
      protocol: imap
      host: imap.example.com
      security: tls

Reference: schemas/mailconf.schema.json (JSON Schema draft 2020-12).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Model, Severity
from . import Problem

ID = "MC002"
SLUG = "schema-violation"
SEVERITY = Severity.ERROR
TITLE = "The file does not match the mailconf JSON Schema"


def check(model: Model) -> Iterator[Problem]:
    return iter(())
