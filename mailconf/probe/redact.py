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
from collections.abc import Collection, Iterable
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
    """The forms of the secrets of one session (or run); :meth:`redact` masks every one of them.

    Every place a form occurs in a text is masked, the longest form starting there, and places that overlap as one
    (``***``). The forms are matched in one pass, as one pattern (:func:`_any_of`) built at the first
    :meth:`redact` after a new form: a probe with ``--login`` of 1,000 accounts registers 20,000 forms, and
    compiling one pattern per form again at each new one took 90 s of CPU, matching each message against each
    form 4 s more.
    """

    def __init__(self) -> None:
        self._forms: set[str] = set()
        self._patterns: tuple[re.Pattern[str], ...] | None = None

    def form(self, text: str) -> None:
        """A text mailconf derived from a secret (an IMAP quoted string, a digest)."""
        new = {shown for cased in _cased(text) for shown in _shown(cased) if shown} - self._forms
        if new:
            self._forms |= new
            self._patterns = None

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
        if self._patterns is None:
            self._patterns = _patterns(self._forms)
        for pattern in self._patterns:
            text = _masked(text, pattern)
        return text


def _masked(text: str, pattern: re.Pattern[str]) -> str:
    """``text`` with each place ``pattern`` matches (its group 1, from where the match is) masked."""
    pieces: list[str] = []
    shown = 0  # text[:shown] is in pieces
    start = end = 0  # the places being merged: text[start:end]
    for match in pattern.finditer(text):
        if match.start() >= end:  # a place apart from the one before (next to it is apart too)
            if end > start:
                pieces += [text[shown:start], MASK]
                shown = end
            start = match.start()
        end = max(end, match.end(1))
    if end > start:
        pieces += [text[shown:start], MASK]
        shown = end
    return "".join(pieces) + text[shown:]


def _patterns(forms: Collection[str]) -> tuple[re.Pattern[str], ...]:
    """One pattern for every form (:func:`_any_of`); a form at a time, the longest first, when that pattern nests
    too deep for Python's parser (a form that begins a thousand others: no secret's forms do)."""
    if not forms:
        return ()
    try:
        return (_any_of(forms),)
    except RecursionError:
        ordered = sorted(forms, key=len, reverse=True)
        return tuple(re.compile(f"(?=({re.escape(form)}))", re.IGNORECASE) for form in ordered)


def _any_of(forms: Iterable[str]) -> re.Pattern[str]:
    """A pattern that matches, without consuming, at each place one of ``forms`` starts (in any letter case, as
    ``re.IGNORECASE`` compares), its group 1 the longest form there.

    The forms make a tree of their characters (a trie), one branch per character that ``re.IGNORECASE`` tells apart
    (letters that it takes for one share a branch: ``s``, ``S`` and ``ſ``), so the pattern tries a few characters at
    each place, not every form, and the greedy branches find the longest form. A run of characters without a
    branch is one literal.
    """
    same = _Letters()
    root: _Node = {}
    for form in forms:
        node = root
        for char in form:
            node = node.setdefault(same.key(char), {})
        node[""] = {}
    return re.compile(f"(?=({_alternatives(root)}))", re.IGNORECASE)


_Node = dict[str, "_Node"]


def _alternatives(node: _Node) -> str:
    branches: list[str] = []
    for char, child in node.items():
        if not char:
            continue
        run, rest = [char], child
        while len(rest) == 1 and "" not in rest:  # one way on: a literal, no group
            ((next_char, rest),) = rest.items()
            run.append(next_char)
        branches.append(re.escape("".join(run)) + _alternatives(rest))
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
    return f"(?:{body})?" if "" in node else body


class _Letters:
    """One character for each set of characters ``re.IGNORECASE`` matches with each other."""

    def __init__(self) -> None:
        self._keys: dict[str, str] = {}
        self._seen: list[tuple[str, re.Pattern[str]]] = []

    def key(self, char: str) -> str:
        key = self._keys.get(char)
        if key is None:
            key = next((seen for seen, pattern in self._seen if pattern.fullmatch(char)), None)
            if key is None:
                key = char
                self._seen.append((char, re.compile(re.escape(char), re.IGNORECASE)))
            self._keys[char] = key
        return key
