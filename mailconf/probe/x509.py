"""What ``--show-cert``, the expiry check and the hostname message need from a certificate.

The standard library verifies certificates but, for a certificate it did not
verify, hands back only the DER bytes. The ``cryptography`` library reads them:
subject, issuer, validity (UTCTime years 50-99 are 1950-1999, RFC 5280 section
4.1.2.5.1) and subjectAltName. The bytes come from the server, so they are
hostile: anything the library refuses raises :class:`CertificateParseError`.

The library reads the TBSCertificate when it loads the bytes, and an
extension or a name only when asked for it: a malformed subjectAltName (or a
name in a string type it does not know) leaves the rest readable, above all
the validity dates, which the expiry check (MC809) needs even when nothing
else of the certificate can be shown. When the library refuses the whole
certificate (a version it does not know, which OpenSSL accepts), the dates are
read from the DER directly (:func:`validity_from_der`); only a certificate
whose dates cannot be read either is refused.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

from cryptography import x509
from cryptography.x509.oid import NameOID


class CertificateParseError(ValueError):
    """The DER is not a certificate this reader understands (the message: the library's exception type)."""


AltName = Literal["absent", "unreadable", "listed"]
#: how a part of the certificate the library refused reads in ``subject`` or ``issuer``
UNREADABLE = "(could not be read)"

_T = TypeVar("_T")


@dataclass(frozen=True)
class CertificateSummary:
    subject: str
    issuer: str
    not_before: dt.datetime
    not_after: dt.datetime
    #: subjectAltName entries: DNS names and IP addresses, as text
    names: tuple[str, ...]
    #: what the subjectAltName is: absent, unreadable (malformed), or listed (its DNS names and IP
    #: addresses are ``names``, which is empty when it holds only other kinds: URIs, email addresses)
    alt_name: AltName = "listed"
    #: the iPAddress entries of ``names`` (the others are dNSNames): an address matches only these
    addresses: tuple[str, ...] = ()
    #: the subject's commonName values: clients no longer match the host against them (RFC 9525 section 6.3)
    common_names: tuple[str, ...] = ()

    @property
    def self_issued(self) -> bool:
        return self.subject == self.issuer != UNREADABLE


#: attribute types shown by name (RFC 4514 section 3); others by their dotted OID
_ATTRIBUTE_NAMES = {
    NameOID.COMMON_NAME: "CN",
    NameOID.COUNTRY_NAME: "C",
    NameOID.LOCALITY_NAME: "L",
    NameOID.STATE_OR_PROVINCE_NAME: "ST",
    NameOID.ORGANIZATION_NAME: "O",
    NameOID.ORGANIZATIONAL_UNIT_NAME: "OU",
    NameOID.SERIAL_NUMBER: "serialNumber",
    NameOID.EMAIL_ADDRESS: "emailAddress",
    NameOID.DOMAIN_COMPONENT: "DC",
}


def _name(name: x509.Name) -> str:
    """A Name as RFC 4514-like text, most specific first (CN=..., O=...), each value escaped as RFC 4514 escapes it."""
    parts = []
    for attribute in name:
        value = attribute.value
        text = _escaped(value) if isinstance(value, str) else "#" + bytes(value).hex()
        parts.append(f"{_ATTRIBUTE_NAMES.get(attribute.oid, attribute.oid.dotted_string)}={text}")
    return ", ".join(reversed(parts))


#: RFC 4514 section 2.4: what a value escapes with a backslash anywhere (NUL as \00)
_SPECIAL = {ch: "\\" + ch for ch in '\\"+,;<>'} | {"\0": "\\00"}


def _escaped(value: str) -> str:
    """An attribute value as RFC 4514 writes it (as ``rfc4514_string()`` does): the server chooses it, and unescaped,
    ``CN=mail.example.com, O=Let's Encrypt`` in one CN read as two attributes: a self-signed certificate showed an
    issuer of its own choosing in --show-cert, the output a user reads before pinning."""
    text = "".join(_SPECIAL.get(ch, ch) for ch in value)
    lead = "\\" if value[:1] in ("#", " ") else ""
    if value.endswith(" ") and (len(value) > 1 or not lead):
        text = text[:-1] + "\\ "
    return lead + text


_Names = tuple[tuple[str, ...], AltName, tuple[str, ...]]


def _alt_names(certificate: x509.Certificate) -> _Names:
    """The DNS names and IP addresses, in order; whether the extension is there; the IP addresses alone."""
    try:
        extension = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return (), "absent", ()
    names: list[str] = []
    addresses: list[str] = []
    for general in extension.value:
        if isinstance(general, x509.DNSName):
            names.append(general.value)
        elif isinstance(general, x509.IPAddress):
            names.append(str(general.value))
            addresses.append(str(general.value))
    return tuple(names), "listed", tuple(addresses)


def _common_names(certificate: x509.Certificate) -> tuple[str, ...]:
    values = (a.value for a in certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME))
    return tuple(v for v in values if isinstance(v, str))


def _read(part: Callable[[], _T], unreadable: _T) -> _T:
    """One part of the certificate, or ``unreadable`` when the library refuses that part alone.

    The server chose these bytes, and the library's lazy accessors refuse them with more than
    ValueError (a string type it does not know is a KeyError): every refusal counts.
    """
    try:
        return part()
    except Exception:  # noqa: BLE001
        return unreadable


def summarise(der: bytes) -> CertificateSummary:
    """Subject, issuer, validity and subjectAltName of one DER certificate: each part that can be read.

    Only a certificate whose validity cannot be read is refused: without it there is nothing to report.
    """
    try:
        # the library warns about what it will refuse one day (a serial number that is not positive):
        # printed, that is two lines of Python on standard error, chosen by the server
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            certificate = x509.load_der_x509_certificate(der)
            not_before, not_after = certificate.not_valid_before_utc, certificate.not_valid_after_utc
    except Exception as exc:  # noqa: BLE001 - as in _read: every refusal is "not parsable"
        try:
            not_before, not_after = validity_from_der(der)
        except ValueError:
            raise CertificateParseError(type(exc).__name__) from None
        return CertificateSummary(UNREADABLE, UNREADABLE, not_before, not_after, (), "unreadable")
    no_names: _Names = ((), "unreadable", ())
    names, alt_name, addresses = _read(lambda: _alt_names(certificate), no_names)
    return CertificateSummary(
        subject=_read(lambda: _name(certificate.subject), UNREADABLE),
        issuer=_read(lambda: _name(certificate.issuer), UNREADABLE),
        not_before=not_before,
        not_after=not_after,
        names=names,
        alt_name=alt_name,
        addresses=addresses,
        common_names=_read(lambda: _common_names(certificate), ()),
    )


_SEQUENCE, _INTEGER, _VERSION, _UTC_TIME, _GENERALIZED_TIME = 0x30, 0x02, 0xA0, 0x17, 0x18
#: RFC 5280 section 4.1.2.5: UTCTime YYMMDDHHMMSSZ, GeneralizedTime YYYYMMDDHHMMSSZ, nothing else
_TIMES = {_UTC_TIME: re.compile(rb"(\d\d)(\d{10})Z"), _GENERALIZED_TIME: re.compile(rb"(\d{4})(\d{10})Z")}


def _element(der: bytes, at: int, tag: int, end: int) -> tuple[int, int]:
    """Where the contents of the DER element at ``at`` start and end; it must have ``tag`` and end by ``end``."""
    if at + 2 > end or der[at] != tag:
        raise ValueError("unexpected element")
    first, at = der[at + 1], at + 2
    length = first
    if first & 0x80:
        count = first & 0x7F
        if not 1 <= count <= 3 or at + count > end:  # a certificate is well under 16 MB
            raise ValueError("bad length")
        length, at = int.from_bytes(der[at : at + count], "big"), at + count
    if at + length > end:
        raise ValueError("element past its end")
    return at, at + length


def _time(der: bytes, at: int, end: int) -> tuple[dt.datetime, int]:
    tag = der[at] if at < end else -1
    if tag not in _TIMES:
        raise ValueError("not a time")
    start, stop = _element(der, at, tag, end)
    match = _TIMES[tag].fullmatch(der[start:stop])
    if match is None:
        raise ValueError("not an RFC 5280 time")
    year = int(match[1])
    if tag == _UTC_TIME:
        year += 1900 if year >= 50 else 2000  # RFC 5280 section 4.1.2.5.1
    month, day, hour, minute, second = (int(match[2][i : i + 2]) for i in range(0, 10, 2))
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC), stop  # a bad date: ValueError


def validity_from_der(der: bytes) -> tuple[dt.datetime, dt.datetime]:
    """notBefore and notAfter, read from the DER itself: the few elements before them are only skipped.

    Certificate ::= SEQUENCE { TBSCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber INTEGER,
    signature SEQUENCE, issuer SEQUENCE, validity SEQUENCE { notBefore Time, notAfter Time }, ... }, ... }
    (RFC 5280 section 4.1). Anything else raises ValueError. (cryptography's own DER reader,
    ``cryptography.hazmat.asn1``, is not in cryptography 42, the oldest version mailconf supports.)
    """
    start, end = _element(der, 0, _SEQUENCE, len(der))
    if end != len(der):
        raise ValueError("bytes after the certificate")
    at, tbs_end = _element(der, start, _SEQUENCE, end)
    if at < tbs_end and der[at] == _VERSION:
        at = _element(der, at, _VERSION, tbs_end)[1]
    for tag in (_INTEGER, _SEQUENCE, _SEQUENCE):  # serialNumber, signature, issuer
        at = _element(der, at, tag, tbs_end)[1]
    at, validity_end = _element(der, at, _SEQUENCE, tbs_end)
    not_before, at = _time(der, at, validity_end)
    not_after, _ = _time(der, at, validity_end)
    return not_before, not_after


def try_summarise(der: bytes) -> CertificateSummary | None:
    try:
        return summarise(der)
    except CertificateParseError:
        return None
