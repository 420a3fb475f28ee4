"""Just enough DER to summarise a server certificate: subject, issuer, validity, names.

The standard library verifies certificates but, for a certificate it did not
verify, hands back only the DER bytes. This reader takes what ``--show-cert``,
the expiry check and the hostname message need, and nothing else. The bytes come
from the server, so they are hostile: every read is bounds-checked, nesting is
fixed by the X.509 layout (no recursion on input), and any surprise raises
:class:`CertificateParseError`.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass


class CertificateParseError(ValueError):
    """The DER is not a certificate this reader understands."""


@dataclass(frozen=True)
class CertificateSummary:
    subject: str
    issuer: str
    not_before: dt.datetime
    not_after: dt.datetime
    #: subjectAltName entries: DNS names and IP addresses, as text
    names: tuple[str, ...]

    @property
    def self_issued(self) -> bool:
        return self.subject == self.issuer


_SEQUENCE = 0x30
_SET = 0x31
_OID = 0x06
_OCTET_STRING = 0x04
_UTC_TIME = 0x17
_GENERALIZED_TIME = 0x18
_BOOLEAN = 0x01
_SAN_OID = "2.5.29.17"

#: attribute types shown by name (RFC 4514 section 3)
_ATTRIBUTE_NAMES = {
    "2.5.4.3": "CN",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.5": "serialNumber",
    "1.2.840.113549.1.9.1": "emailAddress",
    "0.9.2342.19200300.100.1.25": "DC",
}
_STRING_TAGS = {0x0C: "utf-8", 0x13: "ascii", 0x16: "ascii", 0x14: "latin-1", 0x1E: "utf-16-be", 0x1C: "utf-32-be"}


@dataclass(frozen=True)
class _Tlv:
    tag: int
    body: bytes


def _read(data: bytes, offset: int) -> tuple[_Tlv, int]:
    """One tag-length-value at offset; returns it and the offset after it."""
    if offset + 2 > len(data):
        raise CertificateParseError("truncated")
    tag = data[offset]
    length = data[offset + 1]
    offset += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or offset + count > len(data):
            raise CertificateParseError("bad length")
        length = int.from_bytes(data[offset : offset + count], "big")
        offset += count
    end = offset + length
    if end > len(data):
        raise CertificateParseError("truncated")
    return _Tlv(tag, data[offset:end]), end


def _children(body: bytes) -> list[_Tlv]:
    items = []
    offset = 0
    while offset < len(body):
        item, offset = _read(body, offset)
        items.append(item)
    return items


def _expect(item: _Tlv, tag: int) -> bytes:
    if item.tag != tag:
        raise CertificateParseError(f"expected tag {tag:#x}, found {item.tag:#x}")
    return item.body


def _oid(body: bytes) -> str:
    if not body:
        raise CertificateParseError("empty OID")
    parts = [*divmod(body[0], 40)] if body[0] < 80 else [2, body[0] - 80]
    value = 0
    for byte in body[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    return ".".join(str(p) for p in parts)


def _text(item: _Tlv) -> str:
    encoding = _STRING_TAGS.get(item.tag)
    if encoding is None:
        return "#" + item.body.hex()
    return item.body.decode(encoding, "replace")


def _name(body: bytes) -> str:
    """A Name as RFC 4514-like text, most significant first as written (CN=..., O=...)."""
    parts = []
    for rdn in _children(body):
        for attribute in _children(_expect(rdn, _SET)):
            oid_item, value = _children(_expect(attribute, _SEQUENCE))[:2]
            oid = _oid(_expect(oid_item, _OID))
            parts.append(f"{_ATTRIBUTE_NAMES.get(oid, oid)}={_text(value)}")
    return ", ".join(reversed(parts))


def _time(item: _Tlv) -> dt.datetime:
    text = item.body.decode("ascii", "replace")
    try:
        if item.tag == _UTC_TIME:
            stamp = dt.datetime.strptime(text, "%y%m%d%H%M%SZ")
        elif item.tag == _GENERALIZED_TIME:
            stamp = dt.datetime.strptime(text, "%Y%m%d%H%M%SZ")
        else:
            raise CertificateParseError("bad time tag")
    except ValueError:
        raise CertificateParseError(f"bad time {text!r}") from None
    return stamp.replace(tzinfo=dt.UTC)


def _alt_names(extensions: bytes) -> tuple[str, ...]:
    names: list[str] = []
    for extension in _children(_expect(_read(extensions, 0)[0], _SEQUENCE)):
        fields = _children(_expect(extension, _SEQUENCE))
        if _oid(_expect(fields[0], _OID)) != _SAN_OID:
            continue
        value = fields[-1]
        for general in _children(_expect(_read(_expect(value, _OCTET_STRING), 0)[0], _SEQUENCE)):
            if general.tag == 0x82:  # [2] dNSName
                names.append(general.body.decode("ascii", "replace"))
            elif general.tag == 0x87 and len(general.body) in (4, 16):  # [7] iPAddress
                names.append(str(ipaddress.ip_address(general.body)))
    return tuple(names)


def summarise(der: bytes) -> CertificateSummary:
    """Subject, issuer, validity and subjectAltName of one DER certificate."""
    certificate, end = _read(der, 0)
    if end != len(der):
        raise CertificateParseError("trailing bytes")
    tbs = _children(_expect(_children(_expect(certificate, _SEQUENCE))[0], _SEQUENCE))
    if tbs and tbs[0].tag == 0xA0:  # [0] EXPLICIT version
        tbs = tbs[1:]
    if len(tbs) < 6:
        raise CertificateParseError("short TBSCertificate")
    _serial, _algorithm, issuer, validity, subject = tbs[:5]
    not_before, not_after = _children(_expect(validity, _SEQUENCE))[:2]
    extensions = next((item.body for item in tbs[6:] if item.tag == 0xA3), None)
    return CertificateSummary(
        subject=_name(_expect(subject, _SEQUENCE)),
        issuer=_name(_expect(issuer, _SEQUENCE)),
        not_before=_time(not_before),
        not_after=_time(not_after),
        names=_alt_names(extensions) if extensions is not None else (),
    )


def try_summarise(der: bytes) -> CertificateSummary | None:
    try:
        return summarise(der)
    except (CertificateParseError, IndexError, ValueError):
        return None
