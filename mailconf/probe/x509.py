"""What ``--show-cert``, the expiry check and the hostname message need from a certificate.

The standard library verifies certificates but, for a certificate it did not
verify, hands back only the DER bytes. The ``cryptography`` library reads them:
subject, issuer, validity (UTCTime years 50-99 are 1950-1999, RFC 5280 section
4.1.2.5.1) and subjectAltName. The bytes come from the server, so they are
hostile: anything the library refuses raises :class:`CertificateParseError`.
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import NameOID


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
    """A Name as RFC 4514-like text, most specific first (CN=..., O=...)."""
    parts = []
    for attribute in name:
        value = attribute.value
        text = value if isinstance(value, str) else "#" + bytes(value).hex()
        parts.append(f"{_ATTRIBUTE_NAMES.get(attribute.oid, attribute.oid.dotted_string)}={text}")
    return ", ".join(reversed(parts))


def _alt_names(certificate: x509.Certificate) -> tuple[str, ...]:
    try:
        extension = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return ()
    names: list[str] = []
    for general in extension.value:
        if isinstance(general, x509.DNSName):
            names.append(general.value)
        elif isinstance(general, x509.IPAddress):
            names.append(str(general.value))
    return tuple(names)


def summarise(der: bytes) -> CertificateSummary:
    """Subject, issuer, validity and subjectAltName of one DER certificate."""
    try:
        # the library warns about what it will refuse one day (a serial number that is not positive):
        # printed, that is two lines of Python on standard error, chosen by the server
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            certificate = x509.load_der_x509_certificate(der)
        return CertificateSummary(
            subject=_name(certificate.subject),
            issuer=_name(certificate.issuer),
            not_before=certificate.not_valid_before_utc,
            not_after=certificate.not_valid_after_utc,
            names=_alt_names(certificate),
        )
    # the server chose these bytes, and the library's lazy accessors refuse them with more than
    # ValueError (a string type it does not know is a KeyError): every refusal is "not parsable"
    except Exception as exc:  # noqa: BLE001
        raise CertificateParseError(f"not a certificate ({type(exc).__name__})") from None


def try_summarise(der: bytes) -> CertificateSummary | None:
    try:
        return summarise(der)
    except CertificateParseError:
        return None
