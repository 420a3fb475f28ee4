"""Escaping for XML 1.0 text and attribute values (autoconfig ``config-v1.1.xml``, Autodiscover responses).

A value is written as character data with ``&``, ``<``, ``>``, ``"`` and ``'`` replaced by
their entity references, so it is safe in element content and in either kind of attribute
quote (``>`` is escaped too, so ``]]>`` cannot appear). Characters outside XML 1.0's
``Char`` production cannot be written at all, escaped or not: C0 controls other than tab,
line feed and carriage return, lone surrogates, U+FFFE and U+FFFF. Those are refused (U+FFFE and
U+FFFF, which are no control characters, with a message of their own), and so
are tab, line feed, carriage return, DEL and the C1 controls: in a host, a user name or a
display name they are never meant, and an XML parser normalises line ends and, in attributes,
white space (the value read back would differ from the one declared).
"""

from __future__ import annotations

import re

from . import UnsafeValue, register

#: What cannot be written: every C0 and C1 control, DEL, surrogates, U+FFFE/U+FFFF.
_REFUSED = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_NONCHARACTERS = "\ufffe\uffff"
CONTROL_MESSAGE = (
    "a control character (line break, tab, NUL) cannot be written in an XML file and read back as declared"
)
#: U+FFFE and U+FFFF (a YAML "\uFFFE" escape gives one): no control character, so they get their own message
NONCHARACTER_MESSAGE = "a noncharacter (U+FFFE, U+FFFF) cannot be written in an XML file: XML 1.0 has no such character"
_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"})


def xml_check(value: str) -> str:
    """``value`` unchanged if XML 1.0 can carry it exactly; UnsafeValue (without the value) otherwise."""
    if not value.isprintable() and (refused := _REFUSED.search(value)) is not None:  # nearly all are printable
        raise UnsafeValue(NONCHARACTER_MESSAGE if refused[0] in _NONCHARACTERS else CONTROL_MESSAGE)
    return value


@register("xml")
def xml_text(value: object) -> str:
    """``value`` as XML character data, safe in element content and in quoted attributes."""
    text = xml_check(str(value))
    # str.translate looks every character up in _ENTITIES (about 1 us for a host or an address): a text without
    # any of the five characters, nearly every one, is the same text, found by five C-level searches
    if "&" in text or "<" in text or ">" in text or '"' in text or "'" in text:
        return text.translate(_ENTITIES)
    return text
