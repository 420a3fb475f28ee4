"""A key, a value or a comment holds a bidirectional control or another invisible format character.

Raised by the loader, at the character itself (line and column of the character,
or of the ``\\u202E`` escape that writes it in a double-quoted value), naming it by
code point and name (``U+202E RIGHT-TO-LEFT OVERRIDE``); a message never holds the
character. Every character of Unicode's category Cf (format) is one: the
bidirectional controls, the zero-width space, joiners and marks, the soft hyphen,
the word joiner and invisible operators, a byte-order mark inside the file, the
tag characters. Anywhere in the file: every key (an account's name), every value,
in an account or in ``defaults:``, valid or not, and comments. A literal
``password`` is left out: which characters it holds, and where, is the secret
(MC401 flags the password itself). A ``password_command`` or ``token_command`` is
not: it is a program that a reviewer must be able to read, the worst place for a
character that reorders what is read; the message names the character and its
column, never the command.

Allowed: a zero-width non-joiner (U+200C) or joiner (U+200D) in ``display_name`` or
``organization``, between two characters that are neither ASCII, white space nor
format characters. There they are part of the text, not a disguise: an emoji
sequence is joined by U+200D (U+1F469 WOMAN, U+200D, U+1F4BB PERSONAL COMPUTER is
the woman technologist), Persian writes U+200C inside words (after the verb prefix
mi-), and Devanagari and the other Indic scripts write both after a virama to pick
a letter's form. Between ASCII letters (``Pay<U+200D>Pal``), at the start or the
end, next to a space or another format character, they only hide, and are
flagged. An emoji flag's tag sequence (U+1F3F4, tag letters, U+E007F CANCEL TAG:
the flags of England, Scotland and Wales) is allowed there too. Nothing is
allowed in any other setting: an address, a host (MC703 checks its IDNA form), a
user name or a command has no use for an invisible character.

Why: these characters do not show. A bidirectional override reverses the text
shown after it: the address ``evil<U+202E>moc.elgoog@example.com`` is shown as
``evilmoc.elpmaxe@google.com``, and a command that a reviewer reads as harmless
runs something else (CVE-2021-42574, "Trojan Source": the characters reorder what
code review, ``git diff`` and a client's account list show). A zero-width space
makes ``alice@example.com`` a second, different address that looks the same: a
login that fails for no visible reason, or an account that passes for another.

Severity: an error for the embeddings, overrides and isolates (U+202A-U+202E,
U+2066-U+2069), as rustc denies them in literals and comments by default and
GitHub warns on every file that holds one: they defeat the review that is meant
to catch them, so a CI run must not pass them by default. A warning for the
others (the marks U+200E, U+200F and U+061C, the zero-width space, the soft
hyphen...), which hide but do not reorder. It refuses nothing: ``render`` and
``probe`` read the file as it is (settings may lower or disable the rule, as any
other; an inline ``# mailconf: disable=MC713 reason`` allows one line).

Fix: delete the character (an editor that shows them: VS Code's
``editor.renderControlCharacters``, vim's ``set list`` with ``ga`` on the cursor,
``grep -nP '[\\x{200B}-\\x{200F}\\x{202A}-\\x{202E}\\x{2066}-\\x{2069}]'``), and
check that the value then says what you meant: the text on either side of an
override may have been written to read backwards. There is no ``lint --fix``: an
address, a user name or a command without the character is a different value,
and which one was meant is yours to say. A name in a right-to-left script needs
no control character: every target writes it as it is, and the reader's
software orders it.

Failing::

    accounts:
      work:
        address: "evil\\u202Emoc.elgoog@example.com"   # U+202E RIGHT-TO-LEFT OVERRIDE
        incoming: {protocol: imap, host: imap.example.com}
Passing::

    accounts:
      work:
        address: alice@example.com
        display_name: "Alice \\U0001F469\\u200D\\U0001F4BB"   # woman technologist: an emoji ZWJ sequence
        incoming: {protocol: imap, host: imap.example.com}

Reference: Unicode Standard Annex #9 section 2 (the directional formatting
characters); Boucher and Anderson, "Trojan Source: Invisible Vulnerabilities"
(USENIX Security 2023), CVE-2021-42574; Unicode Technical Standard #39 (default
ignorable characters are restricted in identifiers); Unicode Technical Standard
#51 definitions ED-14a (emoji tag sequence) and ED-16 (emoji ZWJ sequence); RFC
5892 appendix A (where ZWNJ and ZWJ belong in a word).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from ..errors import printable
from ..model import Model, Severity, YamlPath
from . import Problem

ID = "MC713"
SLUG = "bidi-or-invisible-character"
SEVERITY = Severity.ERROR
TITLE = "A bidirectional control or invisible character in a key, value or comment"
STILL_READ = True

#: Unicode's category Cf (format), as of Unicode 15.1, in the Basic Multilingual Plane and beyond it;
#: tests/rules/test_invisible_characters.py checks they hold every Cf character of the Python that runs it (3.11 has
#: Unicode 14). Character classes, not unicodedata per character: the loader searches a whole file with them
#: (loader._may_hold_format), and a class without astral ranges searches two to three times as fast.
FORMAT_BMP = (
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u206f\ufeff\ufff9-\ufffb"
)
FORMAT_ASTRAL = (
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
)
FORMAT = re.compile(f"[{FORMAT_BMP}{FORMAT_ASTRAL}]")

#: the embeddings, overrides, isolates and their terminators (UAX #9 section 2): they reorder what follows
_REORDERING = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_JOINERS = frozenset("\u200c\u200d")
#: the settings whose text may hold ZWNJ, ZWJ and emoji tag sequences (see the docstring)
NAME_KEYS = frozenset(("display_name", "organization"))
#: an emoji flag's tag sequence (UTS #51 ED-14a), black flag first
_FLAG_TAGS = re.compile("\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f")


def check(model: Model) -> Iterator[Problem]:
    return iter(())  # raised by the loader (mailconf/loader.py), which sees every key, value and comment


def allowed(value: str, index: int, key: object) -> bool:
    """Whether ``value[index]`` (a format character) is text rather than a disguise, in the value of ``key``."""
    if key not in NAME_KEYS:
        return False
    ch = value[index]
    if ch in _JOINERS:
        return 0 < index < len(value) - 1 and _letter(value[index - 1]) and _letter(value[index + 1])
    return "\U000e0020" <= ch <= "\U000e007f" and any(m.start() < index < m.end() for m in _FLAG_TAGS.finditer(value))


def _letter(ch: str) -> bool:
    """A neighbour that makes a joiner legitimate: not ASCII, not another format character, not a space."""
    return not ch.isascii() and FORMAT.match(ch) is None and not ch.isspace()


def severity(ch: str) -> Severity:
    return Severity.ERROR if ch in _REORDERING else Severity.WARNING


def message(ch: str, where: str, escaped: bool = False) -> str:
    """``where``: what holds it (``account `work`: address``, ``a comment``)."""
    name = f"U+{ord(ch):04X} {unicodedata.name(ch, 'FORMAT CHARACTER')}"
    written = " (written as an escape)" if escaped else ""
    if ch in _REORDERING:
        what = (
            "a bidirectional control: it reorders the text shown after it, so what a review or a mail client shows "
            "is not what is written (Trojan Source)"
        )
    elif ch in _JOINERS:
        what = (
            "an invisible character (allowed only in display_name and organization, between two letters or emoji "
            "that are not ASCII)"
        )
    else:
        what = "an invisible character: the text reads as it would without it, and is not the same"
    return f"{where} holds {name}{written}, {what}; remove it"


def where(path: YamlPath, on_key: bool) -> str:
    """A setting as messages name it: ``account `work`: outgoing.username``; ``the key `...``` for a key."""
    if on_key:
        return f"the key `{printable(str(path[-1]))}`" + (f" in {_dotted(path[:-1])}" if len(path) > 1 else "")
    return _dotted(path)


def _dotted(path: YamlPath) -> str:
    if len(path) >= 2 and path[0] == "accounts":
        head, rest = f"account `{printable(str(path[1]))}`", path[2:]
        return f"{head}: {_join(rest)}" if rest else head
    return _join(path) or "the document"


def _join(path: YamlPath) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else f"{'.' if out else ''}{printable(step)}"
    return out
