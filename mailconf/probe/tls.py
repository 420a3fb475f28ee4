"""TLS for probe: which context to connect with, and what to say about the certificate.

Trust is decided the way the declared clients decide it:

- ``tls.fingerprint`` (sha256, sha1 or md5): the pin replaces chain and name
  checks; the handshake does not verify, then the presented certificate must
  match the pin and be within its validity for credentials to be sent;
- otherwise, unless ``tls.verify: false``, the chain is verified against the
  ``tls.ca_file`` or the system store, and the name unless
  ``tls.verify_hostname: false``. A certificate the handshake rejects is
  reported, then the session is repeated without verification so that the
  remaining checks (and ``--show-cert``) still run; credentials are never sent
  on that second connection.

The handshake is the standard library's; the certificate it presented
(``getpeercert(binary_form=True)``) is read by :mod:`mailconf.probe.x509`
(the ``cryptography`` library).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import ipaddress
import os
import re
import ssl
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from ..errors import double_quoted
from ..model import Server, Severity
from . import checks
from .checks import Check
from .conn import MAX_NAMED, Message, Names, Quoted
from .x509 import CertificateParseError, CertificateSummary, summarise, try_summarise

#: A certificate expiring sooner than this is a warning (MC810).
EXPIRY_WARNING = dt.timedelta(days=14)
#: The TLS version required when the file declares none (RFC 8996).
DEFAULT_MIN_VERSION = "1.2"

# OpenSSL X509_V_ERR_* codes the messages distinguish
_NOT_YET_VALID = 9
_EXPIRED = 10
_HOSTNAME_MISMATCH = 62
_IP_MISMATCH = 64
#: the chain ends at no anchor probe trusts: unable to get the issuer (2), self-signed (18), a self-signed root in the
#: chain (19), unable to get the local issuer (20), unable to verify the first certificate (21). A CA (or the
#: missing intermediate) named in tls.ca_file, or a pin, makes it trusted; the other codes are the certificate's
#: own fault (its purpose, an unknown critical extension, a signature that does not verify), which no CA fixes
_NO_ANCHOR = frozenset({2, 18, 19, 20, 21})


@dataclass(frozen=True)
class Trust:
    """How the server's certificate is trusted, and the context for the first handshake."""

    context: ssl.SSLContext
    #: "the system store", "tls.ca_file /etc/..": for messages
    anchor: str
    pinned: bool = False
    verifying: bool = True
    #: the trust anchor could not be loaded (an unreadable ca_file): a message for MC807
    problem: str | None = None


@dataclass(frozen=True)
class Rejection:
    """The handshake rejected the certificate (verification failed)."""

    code: int
    reason: str


@dataclass(frozen=True)
class Negotiated:
    """What one handshake produced."""

    version: str  # "TLSv1.3"
    chain: tuple[bytes, ...]  # DER, the server's own certificate first
    #: False when the runtime exposes only the server's own certificate (Python before 3.13)
    whole_chain: bool = False

    @property
    def leaf(self) -> bytes | None:
        return self.chain[0] if self.chain else None


def _client_context() -> ssl.SSLContext:
    """A client context that speaks TLS 1.2 and 1.3 only (RFC 8996), on every platform: Python's own default minimum
    is 1.2, but Debian's python3 leaves it to OpenSSL (MINIMUM_SUPPORTED), whose hello then offered 1.0 and 1.1 too,
    so a server of the past answered with another alert (handshake_failure, not protocol_version) and probe's
    reason and advice for it depended on the Python it ran on."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def tls_name(host: str) -> str:
    """The name sent in SNI and checked against the certificate: ``host`` without the root's trailing dot.

    ``imap.example.com.`` is the same name as ``imap.example.com``; RFC 6066 section 3 sends it without the dot, and
    Thunderbird, Firefox and curl match it against a certificate without one. OpenSSL compares the text: with the
    dot, every certificate was "for imap.example.com, not imap.example.com.".
    """
    return host.rstrip(".") if host.rstrip(".") else host


def unverified_context() -> ssl.SSLContext:
    context = _client_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def trust_for(server: Server) -> Trust:
    if server.tls.fingerprint:
        return Trust(unverified_context(), f"the pin {server.tls.fingerprint_algorithm}", pinned=True, verifying=False)
    if not server.tls.verify:
        return Trust(unverified_context(), "nothing (tls.verify: false)", verifying=False)
    return _verifying_trust(server.tls.verify_hostname, server.tls.ca_file)


@functools.lru_cache(maxsize=64)
def _verifying_trust(verify_hostname: bool, ca_file: str | None) -> Trust:
    """One context per trust anchor for the whole run: the system store is read once, not once per server.

    Contexts are never changed after this (wrapping a socket does not change them), so servers share them.
    """
    context = _client_context()
    context.check_hostname = verify_hostname
    # OpenSSL (and so Python's default) falls back to the subject's CN when the certificate has no DNS name in its
    # subjectAltName; Thunderbird, Firefox and Chrome refuse that certificate, and RFC 9525 drops the fallback
    context.hostname_checks_common_name = False
    context.verify_mode = ssl.CERT_REQUIRED
    if ca_file is None:
        context.load_default_certs(ssl.Purpose.SERVER_AUTH)
        return Trust(context, "the system store")
    anchor = f"tls.ca_file {ca_file}"
    problem = _load_ca_file(context, ca_file)
    if problem is not None:
        return Trust(unverified_context(), anchor, verifying=False, problem=f"{anchor} {problem}")
    return Trust(context, anchor)


def ca_file_problem(path: str) -> str | None:
    """Why ``path`` cannot be a CA file, found before OpenSSL opens it: it is not a regular file. OpenSSL waits on a
    named pipe for a writer forever, past every deadline and SIGTERM, and reads /dev/zero until memory runs out.
    None otherwise (a missing or unreadable file: loading it says which)."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    if stat.S_ISREG(mode):
        return None
    return "is a directory" if stat.S_ISDIR(mode) else "is not a regular file"


def _load_ca_file(context: ssl.SSLContext, path: str) -> str | None:
    """None when loaded, else what is wrong with the file."""
    problem = ca_file_problem(path)
    if problem is not None:
        return problem
    try:
        context.load_verify_locations(cafile=path)
    except FileNotFoundError:
        return "does not exist"
    except PermissionError:
        return "cannot be read (permission denied)"
    except (ssl.SSLError, OSError, ValueError):
        return "holds no PEM certificate"
    return None


def negotiated(ssl_object: ssl.SSLObject) -> Negotiated:
    leaf = ssl_object.getpeercert(binary_form=True)
    chain: tuple[bytes, ...] = (leaf,) if leaf else ()
    full = getattr(ssl_object, "get_unverified_chain", None)  # Python 3.13+
    ders = tuple(c for c in (full() or ()) if isinstance(c, bytes)) if full is not None else ()
    if ders:
        return Negotiated(ssl_object.version() or "unknown", ders, whole_chain=True)
    return Negotiated(ssl_object.version() or "unknown", chain)


def fingerprint(der: bytes, algorithm: str = "sha256") -> str:
    """'AB:CD:...' upper-case hex with colons, as tls.fingerprint writes it after the prefix."""
    return ":".join(f"{b:02X}" for b in hashlib.new(algorithm, der).digest())


def _version_number(version: str) -> tuple[int, ...]:
    text = version.removeprefix("TLSv").removeprefix("SSLv")
    try:
        return tuple(int(p) for p in text.split("."))
    except ValueError:
        return (0,)


def _when(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


#: what a DNS name (a wildcard too) or an IP address is written with
_HOST_NAME = re.compile(r"[A-Za-z0-9*._:-]+")


def _listed(name: str) -> str:
    """A name of the certificate as MC808 lists it: in quotes when it is no host name. The server chooses it, and
    ``evil.example, imap.example.com`` (one dNSName) read as two names in the list, the second the very host the
    message says the certificate is not for."""
    return name if _HOST_NAME.fullmatch(name) else double_quoted(name)


def _names(summary: CertificateSummary | None) -> str | Names:
    if summary is None:
        return "no host name that could be read (the certificate could not be parsed)"
    if summary.names:
        return Names(tuple(_listed(name) for name in summary.names), 255)  # a DNS name has at most 253 characters
    return {
        "absent": "no host name (it has no subjectAltName)",
        "unreadable": "no host name that could be read (its subjectAltName could not be parsed)",
        "listed": "no host name (its subjectAltName has no DNS name or IP address)",
    }[summary.alt_name]


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


def _mismatch(host: str, summary: CertificateSummary | None) -> Message:
    """MC808's message: what the certificate is for, and the cause when the names only look alike."""
    address = _address(host)
    if summary is not None and address is not None:
        as_dns = [n for n in summary.names if n not in summary.addresses and _address(n) == address]
        if as_dns:
            # a client matches an address only against an iPAddress entry (RFC 9525 section 6.2); the same text as
            # a dNSName read "the certificate is for 127.0.0.1, not 127.0.0.1"
            return (
                f"the certificate lists {as_dns[0]} as a DNS name, not as an IP address, and a client matches the "
                "address host only against an IP address entry of its subjectAltName; ask for a certificate that "
                "lists it as an IP address, or use a name it lists as host"
            )
    named_in_cn = summary is not None and tls_name(host).lower() in (cn.lower() for cn in summary.common_names)
    if summary is not None and named_in_cn and not summary.names and summary.alt_name != "unreadable":
        where = "it has no subjectAltName" if summary.alt_name == "absent" else "its subjectAltName has no DNS name"
        return (
            f"the certificate names {host} only in its subject's CN ({where}); Thunderbird refuses such a "
            "certificate, as RFC 9525 does; ask for a certificate that lists the host in its subjectAltName"
        )
    return (
        "the certificate is for ",
        _names(summary),
        f", not {host}; use a name it lists as host, or ask for a certificate that names this host",
    )


class Outcome(NamedTuple):
    check: Check
    message: Message
    #: a case milder than the check's default
    severity: Severity | None = None


def assess(
    server: Server, trust: Trust, tls: Negotiated, rejection: Rejection | None, now: dt.datetime
) -> tuple[list[Outcome], bool]:
    """Findings about the certificate and the TLS version; and whether credentials may be sent."""
    found: list[Outcome] = []
    unread: CertificateParseError | None = None
    try:
        summary = summarise(tls.leaf) if tls.leaf else None
    except CertificateParseError as exc:
        summary, unread = None, exc
    trusted = True
    if trust.problem is not None:
        found.append(Outcome(checks.UNTRUSTED, f"{trust.problem}; the certificate could not be verified"))
        trusted = False
    elif trust.pinned and tls.leaf is None:  # nothing to compare (an anonymous cipher): never trusted
        found.append(
            Outcome(checks.PIN_MISMATCH, "the server presented no certificate to compare with tls.fingerprint")
        )
        trusted = False
    elif trust.pinned and tls.leaf is not None:
        algorithm = server.tls.fingerprint_algorithm or "sha256"
        actual = fingerprint(tls.leaf, algorithm)
        if actual.upper() != (server.tls.fingerprint_hex or "").upper():
            found.append(
                Outcome(
                    checks.PIN_MISMATCH,
                    f"the server's certificate is {algorithm}:{actual}, not the pinned tls.fingerprint; "
                    "if the certificate was replaced on purpose, confirm the new one with the administrator "
                    "before updating the pin",
                )
            )
            trusted = False
    elif rejection is not None:
        found.append(_rejected(server, trust, rejection, summary, now))
        trusted = False
    already = any(f.check is checks.EXPIRED for f in found)
    if summary is not None:
        dated = list(_validity(summary, now, already))
        found.extend(dated)
        if trust.pinned and any(f.check is checks.EXPIRED for f in dated):
            # A pin replaces the chain and name checks, not the certificate's own lifetime: past it nothing
            # (no CRL, no OCSP) would ever say that its key leaked. mutt does the same with a certificate saved
            # in certificate_file (asked again at each connection, never accepted in silence).
            trusted = False
    elif unread is not None and not already and (rejection is not None or not trust.verifying):
        # no verification checked the dates either (a pin, tls.verify: false, a rejected chain): say so
        found.append(
            Outcome(
                checks.EXPIRED,
                f"the certificate's validity could not be read ({unread}), so whether it has expired was not "
                "checked; ask the administrator for a certificate that follows RFC 5280",
                Severity.WARNING,
            )
        )
        # a lifetime nothing can read is no lifetime checked, and a pin does not lift the lifetime (above); mutt
        # refuses such a certificate in its certificate_file too (OpenSSL cannot compare the dates: "not valid")
        trusted = trusted and not trust.pinned
    minimum = server.tls.min_version or DEFAULT_MIN_VERSION
    if _version_number(tls.version) < _version_number(minimum):
        declared = "tls.min_version" if server.tls.min_version else "the default minimum (RFC 8996)"
        found.append(Outcome(checks.OLD_TLS, f"the server negotiated {tls.version}, below {declared} {minimum}"))
        trusted = False
    return found, trusted


def unseen(server: Server, trust: Trust, rejection: Rejection) -> Outcome:
    """Why the handshake rejected the certificate, when the repeat without verification never got to see it."""
    if rejection.code in (_HOSTNAME_MISMATCH, _IP_MISMATCH, _EXPIRED, _NOT_YET_VALID):
        check = checks.EXPIRED if rejection.code in (_EXPIRED, _NOT_YET_VALID) else checks.WRONG_NAME
        return Outcome(check, f"the TLS handshake rejected the certificate: {rejection.reason}")
    return _rejected(server, trust, rejection, None, None)


def _rejected(
    server: Server,
    trust: Trust,
    rejection: Rejection,
    summary: CertificateSummary | None,
    now: dt.datetime | None,
) -> Outcome:
    if rejection.code in (_HOSTNAME_MISMATCH, _IP_MISMATCH):
        return Outcome(checks.WRONG_NAME, _mismatch(server.host, summary))
    if rejection.code in (_EXPIRED, _NOT_YET_VALID) and summary is not None and now is not None:
        # OpenSSL names the date error of any certificate of the chain, not only the server's own: an expired
        # intermediate or CA, under a server certificate valid for a year, read "the certificate expired on" a date
        # a year ahead
        own = _outside(summary, now)
        if own is not None:
            return own
        return Outcome(
            checks.EXPIRED,
            f"the server's certificate is valid until {_when(summary.not_after)}, but a certificate it is verified "
            f"through is not ({rejection.reason}): an intermediate the server sends, or the CA in {trust.anchor}; "
            "that one must be replaced",
        )
    if rejection.code not in _NO_ANCHOR:
        # "name its CA in tls.ca_file" sent the user who had named it to look for another: the fault is the
        # certificate's (OpenSSL's reason says which), and the server must present one without it
        return Outcome(
            checks.UNTRUSTED,
            f"the certificate is not trusted by {trust.anchor}: {rejection.reason}; the certificate itself is at "
            "fault, so naming a CA in tls.ca_file would not help: the server must present one without the fault",
        )
    return Outcome(
        checks.UNTRUSTED,
        f"the certificate is not trusted by {trust.anchor}: {rejection.reason}; "
        "name its CA in tls.ca_file, or pin it with tls.fingerprint (--show-cert prints the pin)",
    )


def _outside(summary: CertificateSummary, now: dt.datetime) -> Outcome | None:
    """MC809 when the certificate itself has expired or is not yet valid, else None."""
    if now > summary.not_after:
        return Outcome(
            checks.EXPIRED, f"the certificate expired on {_when(summary.not_after)}; the server must renew it"
        )
    if now < summary.not_before:
        return Outcome(
            checks.EXPIRED, f"the certificate is not valid before {_when(summary.not_before)}; check the clocks"
        )
    return None


def _validity(summary: CertificateSummary, now: dt.datetime, already: bool) -> Iterator[Outcome]:
    if already:
        return
    outside = _outside(summary, now)
    if outside is not None:
        yield outside
    elif summary.not_after - now < EXPIRY_WARNING:
        days = (summary.not_after - now).days
        yield Outcome(
            checks.EXPIRES_SOON,
            f"the certificate expires on {_when(summary.not_after)} (in {days} day{'s' if days != 1 else ''}); "
            "tell the server administrator",
        )


def describe_chain(tls: Negotiated) -> list[Message]:
    """--show-cert: one line per certificate, the pin first so it can be pasted; the first :data:`MAX_NAMED` only.

    The server chooses how many it sends: where Python shows the chain (3.13), hundreds of small certificates fit in
    OpenSSL's 100 KB, and each was a finding of its own.
    """
    lines: list[Message] = []
    chain = tls.chain
    for index, der in enumerate(chain[:MAX_NAMED], start=1):
        summary = try_summarise(der)
        head = f"certificate {index} of {len(chain)}: tls.fingerprint: sha256:{fingerprint(der)}"
        if summary is None:
            lines.append(f"{head}; (its contents could not be parsed)")
        else:
            # the server chose subject and issuer: cut once masked, as its other text (conn.Quoted)
            subject, issuer = (
                Quoted(name or "(empty)", 400, in_quotes=False) for name in (summary.subject, summary.issuer)
            )
            lines.append((f"{head}; subject ", subject, "; issuer ", issuer, f"; not after {_when(summary.not_after)}"))
    if len(chain) > MAX_NAMED:
        lines.append(f"certificates {MAX_NAMED + 1} to {len(chain)} of {len(chain)} are not shown")
    if lines and not tls.whole_chain:
        last = lines[-1]
        note = " (this Python shows only the server's own certificate, not the rest of the chain)"
        lines[-1] = last + note if isinstance(last, str) else (*last, note)
    return lines
