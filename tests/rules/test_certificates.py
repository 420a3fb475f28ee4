"""MC501-MC504: certificates and server identity."""

from __future__ import annotations

from tests.rules.helpers import account, findings_of

SHA256 = "sha256:" + ":".join(["AB"] * 32)
SHA1 = "sha1:" + ":".join(["AB"] * 20)


def tls(*lines: str, host: str = "imap.example.com") -> str:
    return account(f"incoming:\n  protocol: imap\n  host: {host}\n  tls:\n" + "".join(f"    {x}\n" for x in lines))


def test_mc501_tls_verify_disabled_fails() -> None:
    assert findings_of("MC501", tls("verify: false")) == [
        (9, 17, "error", "verify: false accepts any certificate, so anyone on the path can read the session; "
         'remove it and name the CA in ca_file, or pin the certificate with fingerprint: "sha256:..."'),
    ]  # fmt: skip


def test_mc501_passes_with_a_ca_file() -> None:
    assert findings_of("MC501", tls("ca_file: /etc/ssl/certs/company-ca.pem")) == []


def test_mc501_leaves_a_pinned_server_to_mc504() -> None:
    assert findings_of("MC501", tls("verify: false", f'fingerprint: "{SHA256}"')) == []


def test_mc502_hostname_check_disabled_fails() -> None:
    assert findings_of("MC502", tls("verify_hostname: false")) == [
        (9, 26, "error", "verify_hostname: false accepts a valid certificate for any other domain; "
         "remove it and use the certificate's name as host (now imap.example.com)"),
    ]  # fmt: skip


def test_mc502_passes_with_the_default() -> None:
    assert findings_of("MC502", tls("verify_hostname: true")) == []


def test_mc502_leaves_verify_false_to_mc501() -> None:
    assert findings_of("MC502", tls("verify: false", "verify_hostname: false")) == []


def test_mc502_leaves_a_pinned_server_to_mc504() -> None:
    text = tls("verify_hostname: false", f'fingerprint: "{SHA1}"')
    assert findings_of("MC502", text) == []
    assert findings_of("MC504", text) == [
        (10, 22, "warning", "SHA1 pins can be matched by a forged certificate; pin the sha256 fingerprint "
         "(mailconf probe --show-cert prints it)"),
    ]  # fmt: skip


def ip_host(value: str, *extra: str) -> str:
    return account(f"incoming:\n  protocol: imap\n  host: {value}\n" + "".join(f"  {x}\n" for x in extra))


def test_mc503_ip_literal_with_tls_fails() -> None:
    assert findings_of("MC503", ip_host("192.0.2.10")) == [
        (7, 13, "warning", "192.0.2.10 is an IP address, but the certificate is checked by name; "
         'use the certificate\'s host name, or pin it with tls.fingerprint: "sha256:..."'),
    ]  # fmt: skip


def test_mc503_passes_with_a_name_or_a_pin() -> None:
    assert findings_of("MC503", ip_host("imap.example.com")) == []
    assert findings_of("MC503", ip_host("192.0.2.10", f'tls: {{fingerprint: "{SHA256}"}}')) == []


def test_mc504_weak_fingerprint_pin_fails() -> None:
    assert findings_of("MC504", tls(f'fingerprint: "{SHA1}"')) == [
        (9, 22, "warning", "SHA1 pins can be matched by a forged certificate; pin the sha256 fingerprint "
         "(mailconf probe --show-cert prints it)"),
    ]  # fmt: skip


def test_mc504_any_pin_is_info() -> None:
    assert findings_of("MC504", tls(f'fingerprint: "{SHA256}"')) == [
        (9, 22, "info", "the pin replaces CA trust: only this certificate is accepted, so update the pin "
         "whenever the server renews its certificate"),
    ]  # fmt: skip


def test_mc504_passes_without_a_pin() -> None:
    assert findings_of("MC504", tls("verify: true")) == []
