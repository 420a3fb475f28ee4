"""UTF-32, known by a document's first four bytes: no parser mailconf uses reads it.

ruamel.yaml reads no UTF-32 (the loader refuses it as MC003), and expat neither: it takes UTF-32's first bytes for
UTF-16 before it reads the XML declaration, so a request or a file in UTF-32 was "not well-formed XML" at 1:2.
The XML parses (serve's Autodiscover request, discover's clientConfig, ``import --from autoconfig/autodiscover``)
ask here first and name the encoding instead. The patterns are XML 1.0 Appendix F's and YAML 1.2.2 section 5.2's:
a byte-order mark (``00 00 FE FF``, ``FF FE 00 00``), or a first character padded with three zero bytes (``00 00 00
3C`` and ``3C 00 00 00`` for an XML document's ``<``). No document in UTF-8 or UTF-16 starts so: it would start
with U+0000, which neither XML nor YAML allows.
"""

from __future__ import annotations

BOM = "it starts with a UTF-32 byte-order mark"
PADDED = "its first character is padded with zero bytes"


def utf_32(data: bytes) -> str | None:
    """How ``data`` shows it is UTF-32 (BOM or PADDED), or None when it is not."""
    head = data[:4]
    if head in {b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00"}:
        return BOM
    if len(head) == 4 and b"\x00\x00\x00" in {head[:3], head[1:]}:
        return PADDED
    return None
