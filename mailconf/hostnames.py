"""Host names: which the account file holds (RFC 1123) and which pass for an address; in another script, their
ASCII (IDNA) form, at a cost bounded whatever the input.

Python's ``idna`` codec (IDNA 2003) Punycode-encodes a label before it checks the label's length, and Punycode's
cost grows with the square of a label's length: one label of 8,000 distinct CJK characters takes 11 s of CPU, one
of 64 KiB (a redirect's Location, a line of a client's file) most of an hour. :func:`idna_form` gives the codec no
label longer than :data:`MAX_LABEL` characters (about a millisecond): every label the codec would accept is far
shorter (its form has at most 63 characters; the characters nameprep maps to nothing are few in a real name).
"""

from __future__ import annotations

import ipaddress
import re

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


#: RFC 1123 host names (a label may not start or end with '-'), as the schema allows them
_HOST = re.compile(
    r"(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)


def is_host_name(text: str) -> bool:
    """Whether ``text`` is a host name the account file can hold (RFC 1123)."""
    return _HOST.fullmatch(text) is not None


def is_dns_host(name: str) -> bool:
    """Whether a name DNS gave as a host (an SRV target, an MX host) is a host name, not what passes for an address.

    A DNS label holds any byte: ``dead:beef.`` or ``192.0.2.1.`` is a name there, yet the account file (and a
    client) would read it as an IP address and connect straight to it.
    """
    return is_host_name(name) and not looks_like_address(name)


def looks_like_address(name: str) -> bool:
    """Whether a client would read ``name`` as an IP address: an IPv6 literal, or a last label that does not begin
    with a letter, as every top-level domain does. The system's resolver (inet_aton) reads ``192.0.2.1``, but also
    ``127.1``, ``2130706433`` and ``0x7f000001``, as addresses (the last three all as 127.0.0.1)."""
    last = name.rstrip(".").rpartition(".")[2]
    return ":" in name or not (last[:1].isascii() and last[:1].isalpha())


def is_dotted_quad(text: str) -> bool:
    """Whether ``text`` is an IPv4 address as the account file writes one (``192.0.2.1``), not a form only a resolver
    reads as one (``0x7f000001``, ``127.1``): a provider may name its server by address."""
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def ascii_lower(name: str) -> str:
    """``name`` with A-Z made a-z and nothing else, as DNS (RFC 4343) and Thunderbird (nsCaseInsensitiveCString
    Comparator, for its one server per type, host, port and user name) compare host names: ``str.lower`` also maps
    ``İ`` and ``K`` (the Kelvin sign), which neither does."""
    return name.lower() if name.isascii() else name.translate(_ASCII_LOWER)  # lower(): 7x faster (render's hot path)
