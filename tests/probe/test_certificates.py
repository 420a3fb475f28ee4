"""The certificate and the TLS session: chain, name, pins, validity, version, --show-cert."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import ssl
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from tests.probe.conftest import Found, secret_file
from tests.servers import ALICE, Certificates, Dovecot, KeyPair, SmtpServer, self_signed

OFFERED = "login offered: LOGIN, PLAIN, LOGIN command"
#: The end of --show-cert's last line: Python before 3.13 has no SSLSocket.get_unverified_chain() and shows only the
#: server's own certificate (docs/probe.md); 3.13 shows the chain, and says nothing
OWN_ONLY = (
    ""
    if sys.version_info >= (3, 13)
    else " (this Python shows only the server's own certificate, not the rest of the chain)"
)


def imaps(port: int, **extra: Any) -> dict[str, Any]:
    return {"protocol": "imap", "host": "127.0.0.1", "port": port, "security": "tls", "timeout": 2, **extra}


def not_after(pair: KeyPair) -> dt.datetime:
    return x509.load_der_x509_certificate(pair.der).not_valid_after_utc


def when(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def test_trusted_chain_through_ca_file(probe: Any, dovecot: Dovecot, certs: Certificates) -> None:
    run = probe(incoming=imaps(dovecot.ports.imaps, tls={"ca_file": str(certs.ca)}))
    assert run.findings == [Found(5, "MC820", "info", f"IMAP over implicit TLS (TLSv1.3); {OFFERED}")]
    assert run.code == 0


def test_unknown_ca_against_the_system_store(probe: Any, dovecot: Dovecot) -> None:
    run = probe(incoming=imaps(dovecot.ports.imaps))
    assert run.findings == [
        Found(
            5,
            "MC807",
            "error",
            "the certificate is not trusted by the system store: unable to get local issuer certificate; "
            "name its CA in tls.ca_file, or pin it with tls.fingerprint (--show-cert prints the pin)",
        ),
        Found(5, "MC820", "info", f"IMAP over implicit TLS (TLSv1.3); {OFFERED}"),
    ]
    assert run.code == 1


def test_expired_certificate(probe: Any, dovecot_expired: Dovecot, certs: Certificates) -> None:
    run = probe(incoming=imaps(dovecot_expired.ports.imaps, tls={"ca_file": str(certs.ca)}))
    assert run.findings == [
        Found(
            5,
            "MC809",
            "error",
            f"the certificate expired on {when(not_after(certs.expired))}; the server must renew it",
        ),
        Found(5, "MC820", "info", f"IMAP over implicit TLS (TLSv1.3); {OFFERED}"),
    ]


def test_wrong_hostname(probe: Any, dovecot_wrong_name: Dovecot, certs: Certificates) -> None:
    run = probe(incoming=imaps(dovecot_wrong_name.ports.imaps, tls={"ca_file": str(certs.ca)}))
    assert run.findings == [
        Found(
            5,
            "MC808",
            "error",
            "the certificate is for wrong.example, not 127.0.0.1; use a name it lists as host, "
            "or ask for a certificate that names this host",
        ),
        Found(5, "MC820", "info", f"IMAP over implicit TLS (TLSv1.3); {OFFERED}"),
    ]


def test_wrong_hostname_ignored_when_the_name_check_is_off(
    probe: Any, dovecot_wrong_name: Dovecot, certs: Certificates
) -> None:
    run = probe(
        incoming=imaps(dovecot_wrong_name.ports.imaps, tls={"ca_file": str(certs.ca), "verify_hostname": False})
    )
    assert [f.rule for f in run.findings] == ["MC820"]


def test_wrong_hostname_after_starttls(probe: Any, dovecot_wrong_name: Dovecot, certs: Certificates) -> None:
    run = probe(incoming=imaps(dovecot_wrong_name.ports.imap, security="starttls", tls={"ca_file": str(certs.ca)}))
    assert [f.rule for f in run.findings] == ["MC814", "MC808", "MC820"]


def test_self_signed_without_a_pin(probe: Any, dovecot_self_signed: Dovecot) -> None:
    run = probe(incoming=imaps(dovecot_self_signed.ports.imaps))
    assert run.findings == [
        Found(
            5,
            "MC807",
            "error",
            "the certificate is not trusted by the system store: self-signed certificate; "
            "name its CA in tls.ca_file, or pin it with tls.fingerprint (--show-cert prints the pin)",
        ),
        Found(5, "MC820", "info", f"IMAP over implicit TLS (TLSv1.3); {OFFERED}"),
    ]


@pytest.mark.parametrize("algorithm", ["sha256", "sha1", "md5"])
def test_self_signed_with_the_right_pin(
    probe: Any, dovecot_self_signed: Dovecot, certs: Certificates, algorithm: str
) -> None:
    pin = certs.fingerprint(certs.self_signed, algorithm)
    run = probe(incoming=imaps(dovecot_self_signed.ports.imaps, tls={"fingerprint": pin}))
    assert run.findings == [Found(5, "MC820", "info", f"IMAP over implicit TLS (TLSv1.3); {OFFERED}")]
    assert run.code == 0


def test_pin_in_lower_case_matches(probe: Any, dovecot_self_signed: Dovecot, certs: Certificates) -> None:
    pin = certs.fingerprint(certs.self_signed).lower()
    run = probe(incoming=imaps(dovecot_self_signed.ports.imaps, tls={"fingerprint": pin}))
    assert [f.rule for f in run.findings] == ["MC820"]


def test_self_signed_with_a_wrong_pin(probe: Any, dovecot_self_signed: Dovecot, certs: Certificates) -> None:
    wrong = certs.fingerprint(certs.good)
    run = probe(incoming=imaps(dovecot_self_signed.ports.imaps, tls={"fingerprint": wrong}))
    actual = certs.fingerprint(certs.self_signed)
    assert run.findings == [
        Found(
            5,
            "MC811",
            "error",
            f"the server's certificate is {actual}, not the pinned tls.fingerprint; if the certificate was "
            "replaced on purpose, confirm the new one with the administrator before updating the pin",
        ),
        Found(5, "MC820", "info", f"IMAP over implicit TLS (TLSv1.3); {OFFERED}"),
    ]
    assert run.code == 1


def test_pin_replaces_the_name_check(probe: Any, dovecot_wrong_name: Dovecot, certs: Certificates) -> None:
    pin = certs.fingerprint(certs.wrong_name)
    run = probe(incoming=imaps(dovecot_wrong_name.ports.imaps, tls={"fingerprint": pin}))
    assert [f.rule for f in run.findings] == ["MC820"]


def test_pinned_certificate_still_expires(probe: Any, dovecot_expired: Dovecot, certs: Certificates) -> None:
    pin = certs.fingerprint(certs.expired)
    run = probe(incoming=imaps(dovecot_expired.ports.imaps, tls={"fingerprint": pin}))
    assert run.findings[0] == Found(
        5, "MC809", "error", f"the certificate expired on {when(not_after(certs.expired))}; the server must renew it"
    )


def test_missing_ca_file(probe: Any, dovecot: Dovecot, tmp_path: Any) -> None:
    missing = tmp_path / "no-such-ca.pem"
    run = probe(incoming=imaps(dovecot.ports.imaps, tls={"ca_file": str(missing)}))
    assert run.findings[0] == Found(
        5, "MC807", "error", f"tls.ca_file {missing} does not exist; the certificate could not be verified"
    )


def test_ca_file_that_is_a_named_pipe(dovecot: Dovecot, tmp_path: Path) -> None:
    """OpenSSL waited on the pipe for a writer forever, past every timeout and SIGTERM. In a process of its own, so
    that a regression is a failure (killed at the hang guard), not a test run that never ends."""
    import json
    import os

    from tests.probe.conftest import write_accounts
    from tests.test_cli import run_mailconf

    fifo = tmp_path / "ca.pem"
    os.mkfifo(fifo)
    path = write_accounts(tmp_path / "accounts.yaml", imaps(dovecot.ports.imaps, tls={"ca_file": str(fifo)}))
    outcome = run_mailconf("probe", "--format", "json", str(path), cwd=tmp_path)
    first = json.loads(outcome.stdout)[0]
    assert (outcome.code, first["rule"], first["message"]) == (
        1,
        "MC807",
        f"tls.ca_file {fifo} is not a regular file; the certificate could not be verified",
    )


@pytest.fixture(scope="module")
def smtp_expiring(certs: Certificates) -> Iterator[SmtpServer]:
    with SmtpServer(certs.expiring, implicit=True) as server:
        yield server


@pytest.fixture(scope="module")
def smtp_tls12(certs: Certificates) -> Iterator[SmtpServer]:
    with SmtpServer(certs.good, implicit=True, maximum_tls=ssl.TLSVersion.TLSv1_2) as server:
        yield server


def smtps(port: int, certs: Certificates, **tls: Any) -> dict[str, Any]:
    return {
        "protocol": "smtp",
        "host": "127.0.0.1",
        "port": port,
        "security": "tls",
        "timeout": 2,
        "tls": {"ca_file": str(certs.ca), **tls},
    }


def test_certificate_expiring_within_14_days(probe: Any, smtp_expiring: SmtpServer, certs: Certificates) -> None:
    run = probe(outgoing=smtps(smtp_expiring.port, certs))
    expires = not_after(certs.expiring)
    days = (expires - dt.datetime.now(dt.UTC)).days
    assert days == 4  # made to expire in 5 days, a few seconds ago
    assert run.findings == [
        Found(
            5,
            "MC810",
            "warning",
            f"the certificate expires on {when(expires)} (in 4 days); tell the server administrator",
        ),
        Found(5, "MC820", "info", "SMTP over implicit TLS (TLSv1.3); login offered: LOGIN, PLAIN"),
    ]
    assert run.code == 0


def test_warning_fails_at_fail_level_warning(probe: Any, smtp_expiring: SmtpServer, certs: Certificates) -> None:
    run = probe(outgoing=smtps(smtp_expiring.port, certs), args=("--fail-level", "warning"))
    assert run.code == 1


def test_negotiated_version_below_min_version(probe: Any, smtp_tls12: SmtpServer, certs: Certificates) -> None:
    run = probe(outgoing=smtps(smtp_tls12.port, certs, min_version="1.3"))
    assert run.findings == [
        Found(5, "MC812", "error", "the server negotiated TLSv1.2, below tls.min_version 1.3"),
        Found(5, "MC820", "info", "SMTP over implicit TLS (TLSv1.2); login offered: LOGIN, PLAIN"),
    ]


def test_negotiated_version_meets_min_version(probe: Any, smtp_tls12: SmtpServer, certs: Certificates) -> None:
    run = probe(outgoing=smtps(smtp_tls12.port, certs, min_version="1.2"))
    assert [f.rule for f in run.findings] == ["MC820"]


def test_show_cert_prints_a_pin_ready_to_paste(probe: Any, dovecot_self_signed: Dovecot, certs: Certificates) -> None:
    pin = certs.fingerprint(certs.self_signed)
    run = probe(incoming=imaps(dovecot_self_signed.ports.imaps, tls={"fingerprint": pin}), args=("--show-cert",))
    expires = when(not_after(certs.self_signed))
    assert run.findings == [
        Found(
            5,
            "MC822",
            "info",
            f"certificate 1 of 1: tls.fingerprint: {pin}; subject CN=self-signed.test; issuer CN=self-signed.test; "
            f"not after {expires}{OWN_ONLY}",
        ),
        Found(5, "MC820", "info", f"IMAP over implicit TLS (TLSv1.3); {OFFERED}"),
    ]


def test_show_cert_of_an_untrusted_server(probe: Any, dovecot_self_signed: Dovecot, certs: Certificates) -> None:
    """The case --show-cert is for: the pin of a server not trusted yet (the pin then makes it pass)."""
    run = probe(incoming=imaps(dovecot_self_signed.ports.imaps), args=("--show-cert",))
    assert [f.rule for f in run.findings] == ["MC807", "MC822", "MC820"]
    assert f"tls.fingerprint: {certs.fingerprint(certs.self_signed)};" in run.findings[1].message


# --- two-digit years (RFC 5280 section 4.1.2.5.1: UTCTime 50-99 is 1950-1999, 00-49 is 2000-2049) --------


def utc(moment: str) -> dt.datetime:
    return dt.datetime.fromisoformat(moment).replace(tzinfo=dt.UTC)


@contextlib.contextmanager
def presenting(pair: KeyPair, tls: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """An SMTP server over implicit TLS presenting ``pair``, and the outgoing server of an account with ``tls``."""
    with SmtpServer(pair, implicit=True) as smtp:
        yield {"protocol": "smtp", "host": "127.0.0.1", "port": smtp.port, "security": "tls", "timeout": 2, "tls": tls}


@contextlib.contextmanager
def pinned_smtp(
    tmp_path: Path, name: str, not_before: dt.datetime, not_after: dt.datetime
) -> Iterator[tuple[KeyPair, dict[str, Any]]]:
    """SMTP over implicit TLS presenting a new self-signed certificate, and an account that pins it."""
    pair = self_signed(tmp_path, name, "127.0.0.1", not_before, not_after)
    with presenting(pair, {"fingerprint": sha256_pin(pair.der)}) as outgoing:
        yield pair, outgoing


def test_a_utctime_of_1955_has_expired(probe: Any, tmp_path: Path) -> None:
    """notAfter 550601000000Z is 1 June 1955 (read as 2055 by a %y parser, which never said "expired")."""
    with pinned_smtp(tmp_path, "old", utc("1950-01-01"), utc("1955-06-01")) as (pair, outgoing):
        assert b"\x17\x0d500101000000Z\x17\x0d550601000000Z" in pair.der  # both UTCTime
        run = probe(outgoing=outgoing)
    assert run.findings == [
        Found(5, "MC809", "error", "the certificate expired on 1955-06-01 00:00 UTC; the server must renew it"),
        Found(5, "MC820", "info", "SMTP over implicit TLS (TLSv1.3); login offered: LOGIN, PLAIN"),
    ]
    assert run.code == 1


# --- a pinned certificate out of its validity: no --login (mutt's choice; msmtp and Thunderbird log in) --------


@pytest.mark.parametrize(
    ("name", "days", "finding"),
    [
        ("expired", (-400, -30), "the certificate expired on {not_after}; the server must renew it"),
        ("future", (30, 400), "the certificate is not valid before {not_before}; check the clocks"),
    ],
    ids=["expired", "not-yet-valid"],
)
def test_no_login_on_a_pinned_certificate_out_of_its_validity(
    probe: Any, tmp_path: Path, name: str, days: tuple[int, int], finding: str
) -> None:
    """The pin matches, so the server is the one pinned; but a certificate's validity is the one limit its owner
    set on its key, and a pin does not lift it: the password command does not even run."""
    now = dt.datetime.now(dt.UTC)
    marker = tmp_path / "ran"
    starts, ends = (now + dt.timedelta(days=n) for n in days)
    with pinned_smtp(tmp_path, name, starts, ends) as (pair, outgoing):
        run = probe(outgoing={**outgoing, "password_command": f"touch {marker}"}, args=("--login",))
    dates = x509.load_der_x509_certificate(pair.der)
    message = finding.format(not_after=when(dates.not_valid_after_utc), not_before=when(dates.not_valid_before_utc))
    assert run.findings == [
        Found(5, "MC809", "error", message),
        Found(5, "MC820", "info", "SMTP over implicit TLS (TLSv1.3); login offered: LOGIN, PLAIN"),
        Found(
            5,
            "MC816",
            "error",
            "the password of alice@example.org was not sent: the connection failed the TLS checks above",
        ),
    ]
    assert run.code == 1
    assert not marker.exists()


def test_login_on_a_pinned_certificate_that_expires_soon(probe: Any, tmp_path: Path) -> None:
    """Still valid: the pin is trusted and the login goes ahead, with the expiry warning."""
    now = dt.datetime.now(dt.UTC)
    with pinned_smtp(tmp_path, "soon", now - dt.timedelta(days=10), now + dt.timedelta(days=5)) as (pair, outgoing):
        run = probe(outgoing={**outgoing, "password_command": secret_file(tmp_path, ALICE.password)}, args=("--login",))
    assert run.findings == [
        Found(
            5,
            "MC810",
            "warning",
            f"the certificate expires on {when(not_after(pair))} (in 4 days); tell the server administrator",
        ),
        Found(5, "MC820", "info", "SMTP over implicit TLS (TLSv1.3); login offered: LOGIN, PLAIN"),
        Found(5, "MC819", "info", "alice@example.org logged in with PLAIN"),
    ]
    assert run.code == 0


@pytest.mark.parametrize(
    ("not_after", "encoded", "shown"),
    [
        (utc("2049-12-31T23:59:59"), b"\x17\x0d491231235959Z", "2049-12-31 23:59 UTC"),  # the last UTCTime
        (utc("2050-01-01"), b"\x18\x0f20500101000000Z", "2050-01-01 00:00 UTC"),  # the first GeneralizedTime
    ],
)
def test_validity_around_2050(probe: Any, tmp_path: Path, not_after: dt.datetime, encoded: bytes, shown: str) -> None:
    """notBefore UTCTime 1955 is in the past (a %y parser read 2055: "not valid before", a false MC809)."""
    with pinned_smtp(tmp_path, "long", utc("1955-01-01"), not_after) as (pair, outgoing):
        assert b"\x17\x0d550101000000Z" + encoded in pair.der
        run = probe(outgoing=outgoing, args=("--show-cert",))
    pin = outgoing["tls"]["fingerprint"]
    assert run.findings == [
        Found(
            5,
            "MC822",
            "info",
            f"certificate 1 of 1: tls.fingerprint: {pin}; subject CN=long.test; issuer CN=long.test; "
            f"not after {shown}{OWN_ONLY}",
        ),
        Found(5, "MC820", "info", "SMTP over implicit TLS (TLSv1.3); login offered: LOGIN, PLAIN"),
    ]
    assert run.code == 0


# --- a hostile certificate: thousands of names, a subject of many attributes -----------------------------


def test_a_certificate_with_thirty_names_and_a_long_subject(probe: Any, tmp_path: Path) -> None:
    """MC808 names 20 of the subjectAltNames and counts the rest; --show-cert cuts subject and issuer at 400.

    Before, a certificate with 3000 names made a 60 KB MC808 line (a server chooses its certificate).
    """
    from cryptography.x509.oid import NameOID

    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"{i:02}" + "u" * 58) for i in range(10)])
    now = dt.datetime.now(dt.UTC)
    pair = self_signed(
        tmp_path, "many", None, now - dt.timedelta(days=1), now + dt.timedelta(days=100), subject=subject,
        alt_names=[x509.DNSName(f"h{i}.wrong.example") for i in range(30)], ca=True,
    )  # fmt: skip
    pem = pair.cert
    with presenting(pair, {"ca_file": str(pem)}) as outgoing:
        run = probe(outgoing=outgoing, args=("--show-cert",))
    names = ", ".join(f"h{i}.wrong.example" for i in range(20))
    assert run.findings[0] == Found(
        5,
        "MC808",
        "error",
        f"the certificate is for {names}, and 10 more, not 127.0.0.1; use a name it lists as host, "
        "or ask for a certificate that names this host",
    )
    shown = ", ".join(f"OU={i:02}" + "u" * 58 for i in reversed(range(10)))[:397] + "..."
    assert run.findings[1].rule == "MC822"
    assert f"; subject {shown}; issuer {shown}; not after " in run.findings[1].message
    assert run.code == 1


def test_show_cert_escapes_a_subject_as_rfc_4514_does(probe: Any, tmp_path: Path) -> None:
    """A server chooses its subject: one CN holding "mail.example.com, O=Let's Encrypt" was shown unescaped, as two
    attributes, so a self-signed certificate's --show-cert named the issuer it liked, the line read before pinning."""
    from cryptography.x509.oid import NameOID

    subject = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "#Evil+Co; <x> "),
        x509.NameAttribute(NameOID.COMMON_NAME, 'mail.example.com, O=Let\'s Encrypt, C="US"\\'),
    ])  # fmt: skip
    now = dt.datetime.now(dt.UTC)
    pair = self_signed(tmp_path, "spoof", "127.0.0.1", now - dt.timedelta(days=1), now + dt.timedelta(days=100),
                       subject=subject)  # fmt: skip
    with presenting(pair, {"fingerprint": sha256_pin(pair.der)}) as outgoing:
        run = probe(outgoing=outgoing, args=("--show-cert",))
    shown = 'CN=mail.example.com\\, O=Let\'s Encrypt\\, C=\\"US\\"\\\\, O=\\#Evil\\+Co\\; \\<x\\>\\ '
    assert run.findings == [
        Found(5, "MC822", "info", f"certificate 1 of 1: tls.fingerprint: {sha256_pin(pair.der)}; subject {shown}; "
              f"issuer {shown}; not after {when(not_after(pair))}{OWN_ONLY}"),
        SMTPS_OK,
    ]  # fmt: skip
    assert shown == subject.rfc4514_string().replace(",O=", ", O=")  # cryptography's escaping, probe's separator
    assert run.code == 0


def test_a_pinned_server_that_presents_no_certificate_is_not_trusted() -> None:
    """Without a certificate there is nothing to match the pin: before, that counted as trusted (--login sent)."""
    from mailconf.model import Auth, Protocol, Security, Server, Tls
    from mailconf.probe import checks
    from mailconf.probe.tls import Negotiated, assess, trust_for

    pin = "sha256:" + ":".join(["AB"] * 32)
    server = Server(Protocol.IMAP, "127.0.0.1", 993, Security.TLS, Auth.PASSWORD, "a", tls=Tls(fingerprint=pin))
    found, trusted = assess(server, trust_for(server), Negotiated("TLSv1.2", ()), None, dt.datetime.now(dt.UTC))
    assert found == [(checks.PIN_MISMATCH, "the server presented no certificate to compare with tls.fingerprint", None)]
    assert trusted is False


def test_a_certificate_the_library_warns_about_prints_no_warning(
    probe: Any, tmp_path: Path, recwarn: pytest.WarningsRecorder
) -> None:
    """A negative serial number (RFC 5280 forbids it): cryptography warns, and the warning went to stderr.

    Before, ``mailconf probe`` printed a CryptographyDeprecationWarning (two lines naming x509.py) for
    the server's certificate; the certificate is read as before, and nothing is printed besides.
    """
    now = dt.datetime.now(dt.UTC)
    pair = self_signed(tmp_path, "negative", None, now - dt.timedelta(days=1), now + dt.timedelta(days=100),
                       serial=0x7ABCDE)  # fmt: skip
    pair = rewritten(pair, b"\x02\x03\x7a\xbc\xde", b"\x02\x03\xfa\xbc\xde")  # the serial, negative
    pin = sha256_pin(pair.der)
    with presenting(pair, {"fingerprint": pin}) as outgoing:
        run = probe(outgoing=outgoing, args=("--show-cert",))
    assert [str(w.message) for w in recwarn] == []
    assert run.findings[0].rule == "MC822"
    assert f"tls.fingerprint: {pin}; subject CN=negative.test; issuer CN=negative.test; " in run.findings[0].message
    assert (run.code, run.err) == (0, "")


# --- a certificate the library reads only in part, or not at all -------------------------------------------


def certificate(
    directory: Path, name: str, not_after: dt.datetime, extension: x509.ExtensionType | None = None
) -> KeyPair:
    """A self-signed certificate (CN=NAME.test) valid from 2000 until ``not_after``, with ``extension`` if any."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name}.test")])
    builder = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(utc("2000-01-01")).not_valid_after(not_after)
    )  # fmt: skip
    if extension is not None:
        builder = builder.add_extension(extension, critical=False)
    der = builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
    cert_path, key_path = directory / f"{name}.pem", directory / f"{name}.key"
    cert_path.write_text(ssl.DER_cert_to_PEM_cert(der))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return KeyPair(cert_path, key_path, der)


def rewritten(pair: KeyPair, old: bytes, new: bytes) -> KeyPair:
    """The certificate with one run of its DER bytes replaced by as many others (the signature no longer
    matches: only a client that does not verify, with a pin or tls.verify: false, takes it)."""
    assert len(old) == len(new) and pair.der.count(old) == 1
    der = pair.der.replace(old, new)
    pair.cert.write_text(ssl.DER_cert_to_PEM_cert(der))
    return pair._replace(der=der)


def sha256_pin(der: bytes) -> str:
    return "sha256:" + ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


#: an issuerAltName whose contents end in the middle of its one DNS name (OpenSSL does not read it; a
#: malformed subjectAltName it refuses to load)
MALFORMED_EXTENSION = x509.UnrecognizedExtension(x509.oid.ExtensionOID.ISSUER_ALTERNATIVE_NAME, b"\x30\x07\x82\x05ab")
EXPIRED_2001 = "the certificate expired on 2001-01-01 00:00 UTC; the server must renew it"


@pytest.mark.parametrize("trust", ["pin", "no-verify"])
def test_an_expired_certificate_with_a_malformed_extension_is_reported_expired(
    probe: Any, tmp_path: Path, trust: str
) -> None:
    """A malformed extension made the whole certificate unreadable: with a pin or tls.verify: false, no
    verification looks at the dates, and the expiry check was skipped in silence. The dates are read."""
    pair = certificate(tmp_path, "badext", utc("2001-01-01"), MALFORMED_EXTENSION)
    with pytest.raises(ValueError, match="issuer_alternative_name"):  # the library refuses the extensions alone
        _ = x509.load_der_x509_certificate(pair.der).extensions
    tls = {"fingerprint": sha256_pin(pair.der)} if trust == "pin" else {"verify": False}
    with presenting(pair, tls) as outgoing:
        run = probe(outgoing=outgoing, args=("--show-cert",))
    assert run.findings == [
        Found(5, "MC809", "error", EXPIRED_2001),
        Found(
            5,
            "MC822",
            "info",
            f"certificate 1 of 1: tls.fingerprint: {sha256_pin(pair.der)}; subject CN=badext.test; "
            f"issuer CN=badext.test; not after 2001-01-01 00:00 UTC{OWN_ONLY}",
        ),
        Found(5, "MC820", "info", "SMTP over implicit TLS (TLSv1.3); login offered: LOGIN, PLAIN"),
    ]
    assert run.code == 1


def test_a_certificate_the_library_refuses_whole_has_its_dates_read_from_the_der(probe: Any, tmp_path: Path) -> None:
    """Version 6 (there are three): cryptography refuses the certificate, OpenSSL takes it. The validity
    is read from the DER itself, so the expiry is still checked."""
    pair = certificate(tmp_path, "v6", utc("2001-01-01"))
    pair = rewritten(pair, b"\xa0\x03\x02\x01\x02", b"\xa0\x03\x02\x01\x05")
    with pytest.raises(x509.InvalidVersion):
        x509.load_der_x509_certificate(pair.der)
    with presenting(pair, {"verify": False}) as outgoing:
        run = probe(outgoing=outgoing, args=("--show-cert",))
    assert run.findings == [
        Found(5, "MC809", "error", EXPIRED_2001),
        Found(
            5,
            "MC822",
            "info",
            f"certificate 1 of 1: tls.fingerprint: {sha256_pin(pair.der)}; subject (could not be read); "
            f"issuer (could not be read); not after 2001-01-01 00:00 UTC{OWN_ONLY}",
        ),
        Found(5, "MC820", "info", "SMTP over implicit TLS (TLSv1.3); login offered: LOGIN, PLAIN"),
    ]
    assert run.code == 1


def test_a_certificate_whose_dates_cannot_be_read_says_its_expiry_was_not_checked(probe: Any, tmp_path: Path) -> None:
    """notAfter in month 13: nothing can read it (OpenSSL takes the certificate without verification). The
    expiry check was skipped in silence; now a warning says it could not be made."""
    pair = certificate(tmp_path, "month13", utc("2001-01-01"))
    pair = rewritten(pair, b"\x17\x0d010101000000Z", b"\x17\x0d011301000000Z")
    with presenting(pair, {"fingerprint": sha256_pin(pair.der)}) as outgoing:
        run = probe(outgoing=outgoing)
    assert run.findings == [
        Found(
            5,
            "MC809",
            "warning",
            "the certificate's validity could not be read (ValueError), so whether it has expired was not checked; "
            "ask the administrator for a certificate that follows RFC 5280",
        ),
        Found(5, "MC820", "info", "SMTP over implicit TLS (TLSv1.3); login offered: LOGIN, PLAIN"),
    ]
    assert run.code == 0


def test_no_login_on_a_pinned_certificate_whose_validity_cannot_be_read(probe: Any, tmp_path: Path) -> None:
    """A pin does not lift a certificate's lifetime (an expired pinned certificate gets no password), and a
    lifetime nothing can read is no lifetime checked: the password went to it. mutt, whose certificate_file is
    its pin, refuses such a certificate too (OpenSSL's X509_cmp_current_time fails, and mutt reads that as not
    valid). The password command does not even run."""
    marker = tmp_path / "ran"
    pair = certificate(tmp_path, "month13", utc("2001-01-01"))
    pair = rewritten(pair, b"\x17\x0d010101000000Z", b"\x17\x0d011301000000Z")
    with presenting(pair, {"fingerprint": sha256_pin(pair.der)}) as outgoing:
        run = probe(outgoing={**outgoing, "password_command": f"touch {marker}"}, args=("--login",))
    assert run.findings == [
        Found(
            5,
            "MC809",
            "warning",
            "the certificate's validity could not be read (ValueError), so whether it has expired was not checked; "
            "ask the administrator for a certificate that follows RFC 5280",
        ),
        Found(5, "MC820", "info", "SMTP over implicit TLS (TLSv1.3); login offered: LOGIN, PLAIN"),
        Found(
            5,
            "MC816",
            "error",
            "the password of alice@example.org was not sent: the connection failed the TLS checks above",
        ),
    ]
    assert run.code == 1
    assert not marker.exists()


def test_a_subject_alt_name_of_only_a_uri_and_an_email_address_names_no_host(probe: Any, tmp_path: Path) -> None:
    """It was reported as "it has no subjectAltName": it has one, with no DNS name or IP address in it."""
    now = dt.datetime.now(dt.UTC)
    pair = self_signed(
        tmp_path, "uri", None, now - dt.timedelta(days=1), now + dt.timedelta(days=100), ca=True,
        alt_names=[x509.UniformResourceIdentifier("https://mail.example/"), x509.RFC822Name("postmaster@example")],
    )  # fmt: skip
    with presenting(pair, {"ca_file": str(pair.cert)}) as outgoing:
        run = probe(outgoing=outgoing)
    assert run.findings == [
        Found(
            5,
            "MC808",
            "error",
            "the certificate is for no host name (its subjectAltName has no DNS name or IP address), not 127.0.0.1; "
            "use a name it lists as host, or ask for a certificate that names this host",
        ),
        Found(5, "MC820", "info", "SMTP over implicit TLS (TLSv1.3); login offered: LOGIN, PLAIN"),
    ]
    assert run.code == 1


# --- a certificate of the chain, not the server's own, out of its validity ------------------------------------


def issued_chain(
    directory: Path,
    ca_days: tuple[int, int],
    intermediate_days: tuple[int, int] | None,
    extensions: Sequence[tuple[x509.ExtensionType, bool]] = (),
) -> KeyPair:
    """A CA (``ca.pem`` in ``directory``), optionally an intermediate it signs, and a server certificate for
    127.0.0.1 valid from 10 days ago for 100 days, signed by the last of them; each validity in days from now.
    The pair's PEM is the server certificate, then the intermediate: what the server sends. ``extensions`` (each
    with whether it is critical) are added to the server certificate."""
    import ipaddress

    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)

    def issue(
        cn: str, days: tuple[int, int], key: Any, issuer: x509.Name | None, signer: Any, *, ca: bool
    ) -> x509.Certificate:
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
        builder = (
            x509.CertificateBuilder().subject_name(subject).issuer_name(issuer or subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now + dt.timedelta(days=days[0])).not_valid_after(now + dt.timedelta(days=days[1]))
        )  # fmt: skip
        if ca:
            builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            usage = x509.KeyUsage(True, False, False, False, False, True, True, False, False)
            builder = builder.add_extension(usage, critical=True)
        else:
            name = x509.IPAddress(ipaddress.ip_address("127.0.0.1"))
            builder = builder.add_extension(x509.SubjectAlternativeName([name]), critical=False)
            for extension, critical in extensions:
                builder = builder.add_extension(extension, critical=critical)
        return builder.sign(signer, hashes.SHA256())

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = issue("chain test CA", ca_days, ca_key, None, ca_key, ca=True)
    sent: list[x509.Certificate] = []
    issuer, signer = ca, ca_key
    if intermediate_days is not None:
        middle_key = ec.generate_private_key(ec.SECP256R1())
        issuer = issue("chain test intermediate", intermediate_days, middle_key, ca.subject, ca_key, ca=True)
        sent, signer = [issuer], middle_key
    leaf = issue("server", (-10, 100), key, issuer.subject, signer, ca=False)
    (directory / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    pem = directory / "server.pem"
    pem.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (leaf, *sent)))
    key_path = directory / "server.key"
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return KeyPair(pem, key_path, leaf.public_bytes(serialization.Encoding.DER))


@pytest.mark.parametrize(
    ("ca_days", "intermediate_days", "reason"),
    [
        ((-400, 400), (-400, -1), "certificate has expired"),
        ((-400, 400), (1, 400), "certificate is not yet valid"),
        ((-400, -1), None, "certificate has expired"),
    ],
    ids=["intermediate-expired-yesterday", "intermediate-valid-from-tomorrow", "ca-expired-yesterday"],
)
def test_a_certificate_of_the_chain_out_of_its_validity_is_not_the_servers_own(
    probe: Any, tmp_path: Path, ca_days: tuple[int, int], intermediate_days: tuple[int, int] | None, reason: str
) -> None:
    """OpenSSL rejects a chain for the dates of any certificate in it, the server's own or not. Taken for the
    server's own, an expired intermediate (or CA) under a server certificate valid for 90 more days read "the
    certificate expired on" a date 90 days ahead. Still MC809, and still no credentials sent."""
    pair = issued_chain(tmp_path, ca_days, intermediate_days)
    marker = tmp_path / "ran"
    with presenting(pair, {"ca_file": str(tmp_path / "ca.pem")}) as outgoing:
        run = probe(outgoing={**outgoing, "password_command": f"touch {marker}"}, args=("--login",))
    expires = when(x509.load_der_x509_certificate(pair.der).not_valid_after_utc)
    assert run.findings == [
        Found(5, "MC809", "error", f"the server's certificate is valid until {expires}, but a certificate it is "
              f"verified through is not ({reason}): an intermediate the server sends, or the CA in tls.ca_file "
              f"{tmp_path / 'ca.pem'}; that one must be replaced"),
        Found(5, "MC820", "info", "SMTP over implicit TLS (TLSv1.3); login offered: LOGIN, PLAIN"),
        Found(5, "MC816", "error", "the password of alice@example.org was not sent: the connection failed the TLS "
              "checks above"),
    ]  # fmt: skip
    assert run.code == 1
    assert not marker.exists()


@pytest.mark.parametrize(
    ("extension", "critical", "reason"),
    [
        (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False, "unsuitable certificate purpose"),
        (x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.55555.1"), b"\x05\x00"), True,
         "unhandled critical extension"),
    ],
    ids=["issued-for-clients-only", "unknown-critical-extension"],
)  # fmt: skip
def test_a_certificate_at_fault_itself_is_not_sent_to_find_its_ca(
    probe: Any, tmp_path: Path, extension: x509.ExtensionType, critical: bool, reason: str
) -> None:
    """Signed by the CA the file names, and refused for a fault of its own. The advice was "name its CA in
    tls.ca_file", the one already named: the user looked for another CA that does not exist."""
    pair = issued_chain(tmp_path, (-400, 400), None, [(extension, critical)])
    marker = tmp_path / "ran"
    with presenting(pair, {"ca_file": str(tmp_path / "ca.pem")}) as outgoing:
        run = probe(outgoing={**outgoing, "password_command": f"touch {marker}"}, args=("--login",))
    assert run.findings == [
        Found(5, "MC807", "error", f"the certificate is not trusted by tls.ca_file {tmp_path / 'ca.pem'}: {reason}; "
              "the certificate itself is at fault, so naming a CA in tls.ca_file would not help: the server must "
              "present one without the fault"),
        Found(5, "MC820", "info", "SMTP over implicit TLS (TLSv1.3); login offered: LOGIN, PLAIN"),
        Found(5, "MC816", "error", "the password of alice@example.org was not sent: the connection failed the TLS "
              "checks above"),
    ]  # fmt: skip
    assert run.code == 1
    assert not marker.exists()


def test_show_cert_shows_the_chain_the_server_sends_where_python_can(probe: Any, tmp_path: Path) -> None:
    """A server sending its certificate and an intermediate: Python 3.13's get_unverified_chain() gives both, each on
    its line; before 3.13 only the server's own is there to show, and the last line says so (docs/probe.md)."""
    from cryptography.hazmat.primitives import serialization

    pair = issued_chain(tmp_path, (-400, 400), (-400, 400))
    sent = x509.load_pem_x509_certificates(pair.cert.read_bytes())
    with presenting(pair, {"ca_file": str(tmp_path / "ca.pem")}) as outgoing:
        run = probe(outgoing=outgoing, args=("--show-cert",))
    lines = [
        f"tls.fingerprint: {sha256_pin(c.public_bytes(serialization.Encoding.DER))}; "
        f"subject {c.subject.rfc4514_string()}; issuer {c.issuer.rfc4514_string()}; "
        f"not after {when(c.not_valid_after_utc)}"
        for c in (sent if sys.version_info >= (3, 13) else sent[:1])
    ]
    shown = [f"certificate {i} of {len(lines)}: {line}" for i, line in enumerate(lines, start=1)]
    shown[-1] += OWN_ONLY
    assert len(sent) == 2
    assert run.findings == [
        *(Found(5, "MC822", "info", line) for line in shown),
        Found(5, "MC820", "info", "SMTP over implicit TLS (TLSv1.3); login offered: LOGIN, PLAIN"),
    ]
    assert run.code == 0


def a_chain_of(tmp_path: Path, count: int) -> tuple[KeyPair, list[bytes]]:
    """A server certificate for 127.0.0.1 and ``count - 1`` more after it in its PEM (each self-signed: OpenSSL's
    server sends what the file holds), and the DER of all of them in the order sent."""
    from cryptography.hazmat.primitives import serialization

    now = dt.datetime.now(dt.UTC)
    pairs = [self_signed(tmp_path, f"c{i}", "127.0.0.1", now - dt.timedelta(days=1), now + dt.timedelta(days=99))
             for i in range(count)]  # fmt: skip
    leaf = pairs[0]
    leaf.cert.write_bytes(b"".join(pair.cert.read_bytes() for pair in pairs))
    sent = [c.public_bytes(serialization.Encoding.DER) for c in x509.load_pem_x509_certificates(leaf.cert.read_bytes())]
    return leaf, sent


def shown_certificate(index: int, count: int, der: bytes) -> str:
    c = x509.load_der_x509_certificate(der)
    return (
        f"certificate {index} of {count}: tls.fingerprint: {sha256_pin(der)}; subject {c.subject.rfc4514_string()}; "
        f"issuer {c.issuer.rfc4514_string()}; not after {when(c.not_valid_after_utc)}"
    )


def test_show_cert_shows_twenty_certificates_of_a_chain_and_counts_the_rest(probe: Any, tmp_path: Path) -> None:
    """A server chooses how many certificates it sends: where Python shows the chain (3.13), each was a finding of
    its own, hundreds in OpenSSL's 100 KB. Before 3.13 only the server's own is there to show."""
    pair, sent = a_chain_of(tmp_path, 25)
    with presenting(pair, {"fingerprint": sha256_pin(pair.der)}) as outgoing:
        run = probe(outgoing=outgoing, args=("--show-cert",))
    if sys.version_info >= (3, 13):
        shown = [shown_certificate(i, 25, der) for i, der in enumerate(sent[:20], start=1)]
        shown.append("certificates 21 to 25 of 25 are not shown")
    else:
        shown = [shown_certificate(1, 1, sent[0]) + OWN_ONLY]
    assert run.findings == [*(Found(5, "MC822", "info", line) for line in shown), SMTPS_OK]
    assert run.code == 0


def test_a_chain_is_shown_twenty_certificates_long(tmp_path: Path) -> None:
    """The same, on every Python: the chain as Python 3.13 hands it over (get_unverified_chain)."""
    from mailconf.probe.conn import render
    from mailconf.probe.tls import Negotiated, describe_chain

    _pair, sent = a_chain_of(tmp_path, 25)
    lines = [render(line, str) for line in describe_chain(Negotiated("TLSv1.3", tuple(sent), whole_chain=True))]
    assert lines == [
        *(shown_certificate(i, 25, der) for i, der in enumerate(sent[:20], start=1)),
        "certificates 21 to 25 of 25 are not shown",
    ]


# --- the host name against the certificate's names (RFC 9525) -------------------------------------------


@pytest.fixture
def named_host(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every host name resolves to 127.0.0.1, where the real TLS server listens: the name lookup is replaced (no
    DNS server here knows imap.example.com); the handshake and the name check are OpenSSL's, for real."""
    from mailconf.probe import runner

    monkeypatch.setattr(runner, "LOOKUP", lambda host, port: [("127.0.0.1", port)])


def naming(probe: Any, tmp_path: Path, host: str, alt_names: list[x509.GeneralName], cn: str = "names.test") -> Any:
    """Probe ``host`` on an SMTP server whose certificate (its own CA, named in tls.ca_file) has these names."""
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    pair = self_signed(
        tmp_path, "names", None, now - dt.timedelta(days=1), now + dt.timedelta(days=100), subject=subject,
        alt_names=alt_names, ca=True,
    )  # fmt: skip
    with SmtpServer(pair, implicit=True) as smtp:
        server = {"protocol": "smtp", "host": host, "port": smtp.port, "security": "tls", "timeout": 2}
        return probe(outgoing={**server, "tls": {"ca_file": str(pair.cert)}})


SMTPS_OK = Found(5, "MC820", "info", "SMTP over implicit TLS (TLSv1.3); login offered: LOGIN, PLAIN")


def test_a_name_only_in_the_common_name_is_refused(probe: Any, tmp_path: Path, named_host: None) -> None:
    """OpenSSL, and so Python's default, fell back to the CN of a certificate without subjectAltName: probe said
    nothing (exit 0) about a certificate Thunderbird refuses."""
    run = naming(probe, tmp_path, "imap.example.com", [], cn="imap.example.com")
    assert run.findings == [
        Found(
            5,
            "MC808",
            "error",
            "the certificate names imap.example.com only in its subject's CN (it has no subjectAltName); "
            "Thunderbird refuses such a certificate, as RFC 9525 does; ask for a certificate that lists the host "
            "in its subjectAltName",
        ),
        SMTPS_OK,
    ]
    assert run.code == 1


def test_an_address_written_as_a_dns_name_does_not_name_the_address_host(probe: Any, tmp_path: Path) -> None:
    """Refused before as now; the message read "the certificate is for 127.0.0.1, not 127.0.0.1"."""
    run = naming(probe, tmp_path, "127.0.0.1", [x509.DNSName("127.0.0.1")])
    assert run.findings == [
        Found(
            5,
            "MC808",
            "error",
            "the certificate lists 127.0.0.1 as a DNS name, not as an IP address, and a client matches the address "
            "host only against an IP address entry of its subjectAltName; ask for a certificate that lists it as "
            "an IP address, or use a name it lists as host",
        ),
        SMTPS_OK,
    ]
    assert run.code == 1


def test_an_address_in_an_ip_address_entry_names_the_address_host(probe: Any, tmp_path: Path) -> None:
    import ipaddress

    run = naming(probe, tmp_path, "127.0.0.1", [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    assert (run.findings, run.code) == ([SMTPS_OK], 0)


def test_a_host_with_the_roots_trailing_dot_matches_the_name_without(
    probe: Any, tmp_path: Path, named_host: None
) -> None:
    """imap.example.com. is imap.example.com: SNI carries it without the dot (RFC 6066 section 3), and Thunderbird
    matches it. OpenSSL compared the text: "the certificate is for imap.example.com, not imap.example.com."."""
    run = naming(probe, tmp_path, "imap.example.com.", [x509.DNSName("imap.example.com")])
    assert (run.findings, run.code) == ([SMTPS_OK], 0)


@pytest.mark.parametrize(
    ("host", "name"),
    [
        ("imap.example.com", "IMAP.Example.COM"),  # case does not matter (RFC 4343)
        ("IMAP.EXAMPLE.COM", "imap.example.com"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),  # an IDN: its A-label, as the host must be (MC703)
        ("imap.example.com", "*.example.com"),
    ],
)
def test_names_a_client_accepts(probe: Any, tmp_path: Path, named_host: None, host: str, name: str) -> None:
    run = naming(probe, tmp_path, host, [x509.DNSName(name)])
    assert (run.findings, run.code) == ([SMTPS_OK], 0)


@pytest.mark.parametrize(
    ("host", "name"),
    [
        ("imap.mail.example.com", "imap.*.example.com"),  # a wildcard only as the whole left-most label
        ("imap.example.com", "im*.example.com"),  # a partial wildcard: Python refuses it, as Thunderbird does
        ("example.com", "*.com"),  # a wildcard needs two labels after it
        ("a.imap.example.com", "*.example.com"),  # a wildcard is one label
        ("imap.example.com", "imap.example.com."),  # a presented name with a trailing dot is not valid
    ],
)
def test_names_a_client_refuses(probe: Any, tmp_path: Path, named_host: None, host: str, name: str) -> None:
    run = naming(probe, tmp_path, host, [x509.DNSName(name)])
    assert run.findings == [
        Found(
            5,
            "MC808",
            "error",
            f"the certificate is for {name}, not {host}; use a name it lists as host, "
            "or ask for a certificate that names this host",
        ),
        SMTPS_OK,
    ]
    assert run.code == 1


def test_a_name_that_is_no_host_name_is_listed_in_quotes(probe: Any, tmp_path: Path, named_host: None) -> None:
    """The server chooses the names MC808 lists: one dNSName "evil.example, imap.example.com" read as two names, the
    second the host itself ("the certificate is for evil.example, imap.example.com, not imap.example.com"), and a
    name with a NUL in it as a name cut there. Each name that is no host name is now quoted, in double quotes
    with escapes (errors.double_quoted)."""
    names = ["evil.example, imap.example.com", "imap.example.com\x00.evil.example", "imap.example.com "]
    run = naming(probe, tmp_path, "imap.example.com", [x509.DNSName(name) for name in names])
    assert run.findings == [
        Found(5, "MC808", "error", 'the certificate is for "evil.example, imap.example.com", '
              '"imap.example.com\\x00.evil.example", "imap.example.com ", not imap.example.com; use a name it lists '
              "as host, or ask for a certificate that names this host"),
        SMTPS_OK,
    ]  # fmt: skip
    assert run.code == 1
