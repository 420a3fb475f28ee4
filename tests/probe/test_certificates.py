"""The certificate and the TLS session: chain, name, pins, validity, version, --show-cert."""

from __future__ import annotations

import datetime as dt
import ssl
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography import x509

from tests.probe.conftest import Found
from tests.servers import Certificates, Dovecot, KeyPair, SmtpServer

OFFERED = "login offered: LOGIN, PLAIN, LOGIN command"


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
            f"not after {expires} (this Python shows only the server's own certificate, not the rest of the chain)",
        ),
        Found(5, "MC820", "info", f"IMAP over implicit TLS (TLSv1.3); {OFFERED}"),
    ]


def test_show_cert_of_an_untrusted_server(probe: Any, dovecot_self_signed: Dovecot, certs: Certificates) -> None:
    """The case --show-cert is for: the pin of a server not trusted yet (the pin then makes it pass)."""
    run = probe(incoming=imaps(dovecot_self_signed.ports.imaps), args=("--show-cert",))
    assert [f.rule for f in run.findings] == ["MC807", "MC822", "MC820"]
    assert f"tls.fingerprint: {certs.fingerprint(certs.self_signed)};" in run.findings[1].message
