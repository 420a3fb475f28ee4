"""Host names in another script: their ASCII (IDNA) form, at a cost bounded whatever the input.

Python's ``idna`` codec (IDNA 2003) Punycode-encodes a label before it checks the label's length, and Punycode's
cost grows with the square of a label's length: one label of 8,000 distinct CJK characters takes 11 s of CPU, one
of 64 KiB (a redirect's Location, a line of a client's file) most of an hour. :func:`idna_form` gives the codec no
label longer than :data:`MAX_LABEL` characters (about a millisecond): every label the codec would accept is far
shorter (its form has at most 63 characters; the characters nameprep maps to nothing are few in a real name).
"""

from __future__ import annotations

#: The characters IDNA 2003 maps away and IDNA 2008 keeps (UTS #46 "deviations"): ``faß.de`` is ``fass.de`` to
#: one and ``xn--fa-hia.de`` to the other, two different domains. Python's codec is IDNA 2003.
DEVIATIONS = frozenset("\u00df\u03c2\u200c\u200d")

#: The longest label given to the codec (the codec refuses one whose ASCII form is over 63 characters anyway).
MAX_LABEL = 255


def idna_form(name: str) -> str | None:
    """``name`` in ASCII as Python's IDNA 2003 codec writes it, or None when the codec refuses it (an empty label,
    a label too long, a prohibited character), checked for length before it is encoded."""
    if any(len(label) > MAX_LABEL for label in name.split(".")):
        return None
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError:
        return None
