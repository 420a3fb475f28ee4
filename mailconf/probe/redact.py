"""Keep a secret out of every message: one redaction, fed with every form mailconf made of it.

A server may quote back whatever it received: the password itself, the IMAP
quoted string ``LOGIN`` sent (with ``\\"`` and ``\\\\``), a SASL response in
base64 or decoded, a CRAM-MD5 digest, a SCRAM proof. Matching the raw secret
alone misses all but the first. So each place that *produces* a form of the
secret registers it here at that moment (:meth:`Redactor.secret` for the secret
read from the command, :meth:`Redactor.sent` for a response put on the wire,
:meth:`Redactor.form` for any other derived text), and every finding message
of the run passes :meth:`Redactor.redact` once every server is done, before the
server's text in it is cut (see ``finish`` in :mod:`mailconf.probe.runner`),
whatever the output format.

Each form is also registered as a message shows it (messages quote server text
with :func:`mailconf.errors.double_quoted`, which doubles backslashes, escapes
``"`` and writes a control or an invisible character as an escape), and a byte string
also as base64 at each of the three alignments it can take inside a longer
base64 text (a server that echoes one piece of a response, or a longer blob
holding it).

Every form is matched in any letter case: a server may upper-case what it quotes back (or
lower-case it, or show a hex digest in the other case); masking a little more is safe. Where
changing the case changes the length (``Straße`` upper-cased is ``STRASSE``), that spelling is
registered too, since a case-insensitive match compares one character with one. The
secret is also registered percent-encoded (``%20`` and ``+`` for a space, the hex digits in
either case), as a server that logs URL-style would show it.
"""

from __future__ import annotations

import base64
import re
from urllib.parse import quote, quote_plus

from ..errors import printable

#: What a redacted form reads as.
MASK = "***"
#: The shortest base64 fragment of a secret matched inside other base64 text; shorter ones
#: (from secrets of a few bytes) would mask ordinary words. Whole forms are matched at any length.
MIN_FRAGMENT = 8


def _shown(text: str) -> set[str]:
    """The text as it is, as :func:`printable` writes it, and inside :func:`double_quoted` (``"`` written ``\\"``)."""
    shown = printable(text)
    return {text, shown, shown.replace('"', '\\"')}


def _cased(text: str) -> set[str]:
    """The text, and each way a server may change its letter case that a case-insensitive match does not follow.

    ``re.IGNORECASE`` compares one character with one character; ``str.upper()`` and ``casefold()``
    may change the length (``ß``: ``SS``, ``ss``; ``ﬁ``: ``FI``), and ``str.lower()`` may too (``İ``:
    ``i`` and a combining dot): those spellings are forms of their own.
    """
    same = re.compile(re.escape(text), re.IGNORECASE)
    return {text} | {cased for cased in (text.upper(), text.lower(), text.casefold()) if not same.fullmatch(cased)}


def _base64_fragments(data: bytes) -> set[str]:
    """The base64 of ``data`` as a whole, and the part of it that is fixed at each alignment.

    Inside a longer base64 text, data starting at offset k (mod 3) shares its first group with
    the bytes before it; the groups made only of its own bytes always encode the same way.
    """
    fragments = {base64.b64encode(data).decode("ascii")}
    for skip in (0, 1, 2):
        chunk = data[skip:]
        chunk = chunk[: len(chunk) // 3 * 3]
        fragment = base64.b64encode(chunk).decode("ascii")
        if len(fragment) >= MIN_FRAGMENT:
            fragments.add(fragment)
    return fragments


class Redactor:
    """The forms of the secrets of one session; :meth:`redact` masks every one of them."""

    def __init__(self) -> None:
        self._forms: set[str] = set()
        #: longest first, so that a form inside a longer one never leaves the rest of the longer one
        self._ordered: tuple[re.Pattern[str], ...] = ()

    def form(self, text: str) -> None:
        """A text mailconf derived from a secret (an IMAP quoted string, a digest)."""
        new = {shown for cased in _cased(text) for shown in _shown(cased) if shown} - self._forms
        if new:
            self._forms |= new
            ordered = sorted(self._forms, key=len, reverse=True)
            self._ordered = tuple(re.compile(re.escape(form), re.IGNORECASE) for form in ordered)

    def sent(self, data: bytes) -> None:
        """Bytes derived from a secret, sent to the server: as text, and as base64 (whole and fragments)."""
        self.form(data.decode("utf-8", "replace"))
        for fragment in _base64_fragments(data):
            self.form(fragment)

    def secret(self, secret: str) -> None:
        """The secret itself, as the command printed it (and percent-encoded)."""
        self.sent(secret.encode("utf-8"))
        self.form(quote(secret, safe=""))
        self.form(quote_plus(secret, safe=""))

    def redact(self, text: str) -> str:
        for form in self._ordered:
            text = form.sub(MASK, text)
        return text
