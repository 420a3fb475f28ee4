"""The rule catalogue's less obvious cases, one table per concern: each row is a server and the exact findings
(rule, line, column, severity, message) of the rules the row is about, silence included.

Rows follow the team catalogue (RULES.md): what each rule must catch, and where it must stay quiet."""

from __future__ import annotations

import textwrap

import pytest

from tests.conftest import lint_text
from tests.rules.helpers import HEAD
from tests.rules.test_providers import GOOGLE, M365, M365_SMTP, OUTLOOK

Row = tuple[str, int, int, str, str]


def findings_in(rules: frozenset[str], body: str, address: str = "alice@example.com") -> list[Row]:
    """The findings of ``rules`` for an account ``work`` (HEAD's 4 lines, then ``body`` at 4 spaces)."""
    text = HEAD.replace("alice@example.com", address) + textwrap.indent(textwrap.dedent(body), "    ")
    return [
        (f.rule, f.location.line, f.location.column, f.severity.label, f.message)
        for f in lint_text(text)
        if f.rule in rules
    ]


def loopback_relay(host: str) -> str:
    return f"outgoing:\n  host: '{host}'\n  port: 25\n  security: none\n  auth: none\n"


LOOPBACK_RULES = frozenset(("MC102", "MC204", "MC205", "MC704"))


@pytest.mark.parametrize(
    "host", ["localhost", "LOCALHOST", "localhost.", "LocalHost.", "localhost.localdomain.", "127.0.0.1", "::1",
             "::ffff:127.0.0.1"]
)  # fmt: skip
def test_a_local_relay_on_port_25_without_tls_or_login_is_info_and_a_warning_however_loopback_is_written(
    host: str,
) -> None:
    # MC102 is info and MC205 a warning on loopback; MC204 and MC704 are silent for it. A trailing dot is the same
    # name (the root), and ::ffff:127.0.0.1 is 127.0.0.1 reached over IPv6.
    assert findings_in(LOOPBACK_RULES, loopback_relay(host)) == [
        ("MC102", 8, 17, "info", f"SMTP to loopback host {host} without TLS: the traffic stays on this machine; "
         "set security: tls (port 465) if it ever points elsewhere"),
        ("MC205", 9, 13, "warning", f"submission to {host} without authentication; "
         "set auth: password with a password_command (or oauth2 with a token_command)"),
    ]  # fmt: skip


@pytest.mark.parametrize("host", ["localhost.example.com", "127.0.0.1.example.com"])
def test_a_name_that_only_looks_like_loopback_is_remote(host: str) -> None:
    assert [(r, line, severity) for r, line, _, severity, _ in findings_in(LOOPBACK_RULES, loopback_relay(host))] == [
        ("MC204", 7, "warning"),
        ("MC102", 8, "warning"),
        ("MC205", 9, "error"),
    ]


PROVIDER_RULES = frozenset(("MC303", "MC601", "MC602", "MC603", "MC604"))


def provider_server(host: str, protocol: str, auth: str = "password") -> str:
    side = "outgoing:\n" if protocol == "smtp" else f"incoming:\n  protocol: {protocol}\n"
    login = "token_command: oama access x" if auth == "oauth2" else "password_command: pass show mail/x"
    return f"{side}  host: '{host}'\n  auth: {auth}\n  {login}\n"


@pytest.mark.parametrize(
    ("address", "host", "protocol", "expected"),
    [
        # Google: every host, any case, a final dot
        ("alice@gmail.com", "imap.gmail.com", "imap", ("MC601", "warning", GOOGLE)),
        ("alice@gmail.com", "POP.GMAIL.COM.", "pop3", ("MC601", "warning", GOOGLE)),
        ("alice@example.com", "Smtp.GoogleMail.com", "smtp", ("MC601", "warning", GOOGLE)),
        # Microsoft 365: both IMAP/POP3 names; SMTP AUTH on both of its names
        ("alice@example.com", "Outlook.Office365.com.", "imap", ("MC602", "error", M365)),
        ("alice@example.com", "outlook.office.com", "pop3", ("MC602", "error", M365)),
        ("alice@example.com", "SMTP.office365.com.", "smtp", ("MC603", "warning", M365_SMTP)),
        ("alice@example.com", "smtp-legacy.office365.com", "smtp", ("MC603", "warning", M365_SMTP)),
        # Outlook.com: its own hosts, and a consumer address on every Microsoft 365 host
        ("bob@outlook.com", "IMAP-MAIL.outlook.com.", "imap", ("MC604", "error", OUTLOOK)),
        ("bob@live.com", "smtp.live.com", "smtp", ("MC604", "error", OUTLOOK)),
        ("bob@hotmail.com", "outlook.office365.com", "imap", ("MC604", "error", OUTLOOK)),
        ("bob@Hotmail.com", "outlook.office.com", "imap", ("MC604", "error", OUTLOOK)),
        ("bob@msn.com", "outlook.office.com.", "pop3", ("MC604", "error", OUTLOOK)),
        ("bob@live.co.uk", "smtp.office365.com", "smtp", ("MC604", "error", OUTLOOK)),
        ("bob@outlook.com", "smtp-legacy.office365.com", "smtp", ("MC604", "error", OUTLOOK)),
    ],
)
def test_a_password_login_to_a_provider_host_is_one_finding_of_its_policy(
    address: str, host: str, protocol: str, expected: tuple[str, str, str]
) -> None:
    # auth is line 7 (smtp) or 8; its value starts at column 13
    line = 7 if protocol == "smtp" else 8
    rule, severity, message = expected
    assert findings_in(PROVIDER_RULES, provider_server(host, protocol), address) == [
        (rule, line, 13, severity, message)
    ]


@pytest.mark.parametrize(
    ("address", "host", "protocol"),
    [
        ("alice@gmail.com", "imap.gmail.com", "imap"),
        ("alice@example.com", "outlook.office.com", "pop3"),
        ("alice@example.com", "smtp.office365.com", "smtp"),
        ("bob@hotmail.com", "smtp-legacy.office365.com", "smtp"),
    ],
)
def test_oauth2_with_a_token_command_is_fine_at_every_provider(address: str, host: str, protocol: str) -> None:
    assert (
        findings_in(PROVIDER_RULES | {"MC302", "MC304", "MC305"}, provider_server(host, protocol, "oauth2"), address)
        == []
    )


@pytest.mark.parametrize("protocol", ["imap", "smtp"])
def test_a_look_alike_of_a_provider_host_is_no_provider(protocol: str) -> None:
    for host in ("imap.gmail.com.example.com", "outlook.office365.com.evil.example", "xsmtp.office365.com"):
        assert findings_in(PROVIDER_RULES, provider_server(host, protocol)) == []


def test_every_host_a_microsoft_365_policy_leaves_to_outlook_com_is_an_outlook_com_host() -> None:
    # MC602/MC603 leave consumer addresses to MC604: each host and address domain they exclude must be one MC604
    # matches, or a consumer account with a password on that host is reported by no rule at all.
    from mailconf.rules import providers

    outlook = next(p for p in providers.policies() if p.rule == "MC604")
    for policy in providers.policies():
        for host in policy.hosts if policy.exclude_domains else ():
            assert host in outlook.shared_hosts, (policy.rule, host)
            assert policy.exclude_domains == outlook.shared_domains, policy.rule


def server(protocol: str, host: str, port: int, security: str, auth: str = "password", *extra: str) -> str:
    """A block-style server: incoming has protocol on line 6, so host 7, port 8, security 9, auth 10; outgoing has
    none, so host 6, port 7, security 8, auth 9. Values start at column 13 (port, auth) and 17 (security)."""
    side = "outgoing:\n" if protocol == "smtp" else f"incoming:\n  protocol: {protocol}\n"
    keys = [f"host: '{host}'", f"port: {port}", f"security: {security}", f"auth: {auth}", *extra]
    return side + "".join(f"  {key}\n" for key in keys)


TRANSPORT_AND_PORTS = frozenset(f"MC{n}" for n in (101, 102, 103, 104, 105, 201, 202, 203, 204, 205))
CLEAR = "without TLS sends the credentials in cleartext; set security: tls"
IMPLICIT = "expects implicit TLS, not"
CLEARPORT = "starts in cleartext and expects STARTTLS, not implicit TLS; set port:"
OPTIONAL = (
    "starttls-optional continues in cleartext when STARTTLS is missing or stripped by an attacker; "
    "set security: tls (implicit TLS) or security: starttls"
)
PREFER = "uses STARTTLS; implicit TLS avoids the cleartext phase and its injection bugs: set security: tls and port:"
RELAY = "port 25 is for relay between servers and often blocked; submit on port: 465 with security: tls"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # MC101 on both sides, and on loopback too (the catalogue exempts loopback from MC102 only)
        (("imap", "imap.example.com", 143, "none"),
         [("MC101", 9, 17, "error", f"password login to imap.example.com {CLEAR} (port 993)")]),
        (("smtp", "smtp.example.com", 587, "none"),
         [("MC101", 8, 17, "error", f"password login to smtp.example.com {CLEAR} (port 465)")]),
        (("imap", "127.0.0.1", 143, "none"),
         [("MC101", 9, 17, "error", f"password login to 127.0.0.1 {CLEAR} (port 993)")]),
        (("pop3", "::1", 110, "none"),
         [("MC101", 9, 17, "error", f"password login to ::1 {CLEAR} (port 995)")]),
        (("smtp", "smtp.example.com", 25, "none", "oauth2", "token_command: oama access x"),
         [("MC204", 7, 13, "warning", RELAY),
          ("MC101", 8, 17, "error", f"oauth2 login to smtp.example.com {CLEAR} (port 465)")]),
        # gssapi sends a ticket, not the password; client-cert cannot be presented without TLS: said so
        (("imap", "imap.example.com", 143, "none", "gssapi"),
         [("MC101", 9, 17, "error", "gssapi login to imap.example.com without TLS leaves the session it authenticates "
           "in cleartext (the mail, and the session can be taken over); set security: tls (port 993)")]),
        (("smtp", "smtp.example.com", 587, "none", "client-cert", "tls: {client_cert: /c.pem, client_key: /k.pem}"),
         [("MC101", 8, 17, "error", "client-cert login to smtp.example.com without TLS cannot present the "
           "certificate (a client certificate is sent inside TLS only); set security: tls (port 465)")]),
        # MC201: STARTTLS (required or optional) on 993/995/465
        (("imap", "imap.example.com", 993, "starttls"),
         [("MC201", 8, 13, "error", f"port 993 {IMPLICIT} starttls; set security: tls, or port: 143 for STARTTLS")]),
        (("pop3", "pop.example.com", 995, "starttls"),
         [("MC201", 8, 13, "error", f"port 995 {IMPLICIT} starttls; set security: tls, or port: 110 for STARTTLS")]),
        (("smtp", "smtp.example.com", 465, "starttls-optional"),
         [("MC201", 7, 13, "error",
           f"port 465 {IMPLICIT} starttls-optional; set security: tls, or port: 587 for STARTTLS"),
          ("MC103", 8, 17, "error", OPTIONAL)]),
        # MC202: implicit TLS on 143/110/587/25
        (("imap", "imap.example.com", 143, "tls"),
         [("MC202", 8, 13, "error", f"port 143 {CLEARPORT} 993, or security: starttls")]),
        (("pop3", "pop.example.com", 110, "tls"),
         [("MC202", 8, 13, "error", f"port 110 {CLEARPORT} 995, or security: starttls")]),
        (("smtp", "smtp.example.com", 587, "tls"),
         [("MC202", 7, 13, "error", f"port 587 {CLEARPORT} 465, or security: starttls")]),
        (("smtp", "smtp.example.com", 25, "tls"),
         [("MC202", 7, 13, "error", f"port 25 {CLEARPORT} 465, or security: starttls"),
          ("MC204", 7, 13, "warning", RELAY)]),
        # MC104: warning for IMAP/POP3, info for SMTP; MC103 alone for starttls-optional
        (("imap", "imap.example.com", 143, "starttls"),
         [("MC104", 9, 17, "warning", f"IMAP to imap.example.com {PREFER} 993")]),
        (("pop3", "pop.example.com", 110, "starttls"),
         [("MC104", 9, 17, "warning", f"POP3 to pop.example.com {PREFER} 995")]),
        (("smtp", "smtp.example.com", 587, "starttls"),
         [("MC104", 8, 17, "info", f"SMTP to smtp.example.com {PREFER} 465")]),
        (("imap", "imap.example.com", 143, "starttls-optional"), [("MC103", 9, 17, "error", OPTIONAL)]),
        # MC204 for port 25 with a login; MC205 an error off loopback
        (("smtp", "smtp.example.com", 25, "starttls"),
         [("MC204", 7, 13, "warning", RELAY), ("MC104", 8, 17, "info", f"SMTP to smtp.example.com {PREFER} 465")]),
        (("smtp", "relay.example.com", 25, "starttls", "none"),
         [("MC204", 7, 13, "warning", RELAY), ("MC104", 8, 17, "info", f"SMTP to relay.example.com {PREFER} 465"),
          ("MC205", 9, 13, "error", "submission to relay.example.com without authentication; "
           "set auth: password with a password_command (or oauth2 with a token_command)")]),
        # fine: implicit TLS on its port
        (("imap", "imap.example.com", 993, "tls"), []),
        (("pop3", "pop.example.com", 995, "tls"), []),
        (("smtp", "smtp.example.com", 465, "tls"), []),
        (("smtp", "smtp.example.com", 465, "tls", "oauth2", "token_command: oama access x"), []),
    ],
)  # fmt: skip
def test_transport_and_port_rules_on_every_catalogued_case(
    args: tuple[str, str, int, str], expected: list[Row]
) -> None:
    assert findings_in(TRANSPORT_AND_PORTS, server(*args)) == expected


AUTH_AND_CERTIFICATES = frozenset(f"MC{n}" for n in (105, 301, 302, 304, 305, 501, 502, 503, 504))
PIN = "sha256:15:91:6A:0C:3E:77:21:9B:4D:AA:10:2F:5C:61:88:E0:93:12:7D:C4:05:BE:39:F2:6A:71:0D:C8:E2:54:9A:17"
PASS = "password_command: pass show mail/x"
WEAK = "no longer protects the password and needs it stored reversibly; use scram-sha-256 where offered, else plain "
VERIFY_OFF = (
    "verify: false accepts any certificate, so anyone on the path can read the session; remove it and name the CA "
    'in ca_file, or pin the certificate with fingerprint: "sha256:..."'
)
PINNED = (
    "the pin replaces CA trust: only this certificate is accepted, so update the pin whenever the server renews its "
    "certificate"
)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # MC301: each weak item of mechanisms, at the item; auth: ntlm itself
        (("imap", "imap.example.com", 993, "tls", "password", "mechanisms: [scram-sha-256, cram-md5, digest-md5]",
          PASS),
         [("MC301", 11, 35, "warning", f"CRAM-MD5 {WEAK}inside TLS"),
          ("MC301", 11, 45, "warning", f"DIGEST-MD5 {WEAK}inside TLS")]),
        (("smtp", "smtp.example.com", 465, "tls", "ntlm", "mechanisms: [ntlm]", PASS),
         [("MC301", 9, 13, "warning", "auth: ntlm rests on MD4 and is cracked offline; use scram-sha-256 where "
           "offered, else plain inside TLS (auth: password)"),
          ("MC301", 10, 20, "warning", f"NTLM {WEAK}inside TLS")]),
        (("imap", "imap.example.com", 993, "tls", "password", "mechanisms: [scram-sha-256, plain]", PASS), []),
        # MC302: oauth2 needs a token_command; with one it is fine
        (("smtp", "smtp.example.com", 465, "tls", "oauth2"),
         [("MC302", 9, 13, "error", "auth: oauth2 for smtp.example.com has no token_command; add one that prints an "
           "access token (e.g. oama access <address>)")]),
        (("smtp", "smtp.example.com", 465, "tls", "oauth2", "token_command: oama access x",
          "mechanisms: [xoauth2, oauthbearer]"), []),
        # MC501: verify off, with or without a CA file; a pin authenticates the server by itself (MC504 info)
        (("imap", "imap.example.com", 993, "tls", "password", PASS, "tls: {verify: false}"),
         [("MC501", 12, 21, "error", VERIFY_OFF)]),
        (("imap", "imap.example.com", 993, "tls", "password", PASS, "tls: {verify: false, ca_file: /etc/ca.pem}"),
         [("MC501", 12, 21, "error", VERIFY_OFF)]),
        (("imap", "imap.example.com", 993, "tls", "password", PASS, f'tls: {{verify: false, fingerprint: "{PIN}"}}'),
         [("MC504", 12, 41, "info", PINNED)]),
        # MC502, MC503 (not with a pin), MC105
        (("imap", "imap.example.com", 993, "tls", "password", PASS, "tls: {verify_hostname: false}"),
         [("MC502", 12, 30, "error", "verify_hostname: false accepts a valid certificate for any other domain; "
           "remove it and use the certificate's name as host (now imap.example.com)")]),
        (("imap", "192.0.2.10", 993, "tls", "password", PASS),
         [("MC503", 7, 13, "warning", "192.0.2.10 is an IP address, but the certificate is checked by name; use the "
           "certificate's host name, or pin it with tls.fingerprint: \"sha256:...\"")]),
        (("imap", "192.0.2.10", 993, "tls", "password", PASS, f'tls: {{fingerprint: "{PIN}"}}'),
         [("MC504", 12, 26, "info", PINNED)]),
        (("imap", "imap.example.com", 993, "tls", "password", PASS, "tls: {min_version: '1.1'}"),
         [("MC105", 12, 26, "error", 'min_version 1.1 accepts TLS versions deprecated by RFC 8996; set min_version: '
           '"1.2" (without the key, msmtp and other GnuTLS clients still accept TLS 1.0)')]),
        (("imap", "imap.example.com", 993, "tls", "password", PASS, "tls: {min_version: '1.2'}"), []),
    ],
)  # fmt: skip
def test_authentication_and_certificate_rules_on_every_catalogued_case(
    args: tuple[str, ...], expected: list[Row]
) -> None:
    protocol, host, port, security, *rest = args
    assert findings_in(AUTH_AND_CERTIFICATES, server(protocol, host, int(port), security, *rest)) == expected


LITERAL = (
    "password_command only prints a literal, so the secret is in the file (not shown here); read it from a secret "
    "store instead (e.g. pass show mail/work)"
)


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("echo hunter2", [("MC402", 7, 25, "error", LITERAL)]),
        # a shell word that runs the next one as it is: the command still only prints the literal
        ("exec echo hunter2", [("MC402", 7, 25, "error", LITERAL)]),
        ("command printf '%s' hunter2", [("MC402", 7, 25, "error", LITERAL)]),
        ("builtin echo -n hunter2", [("MC402", 7, 25, "error", LITERAL)]),
        ("env /bin/echo hunter2", [("MC402", 7, 25, "error", LITERAL)]),
        ("exec env echo hunter2", [("MC402", 7, 25, "error", LITERAL)]),
        # ... but not where the words after it read something
        ("exec pass show mail/x", []),
        ("command -v echo", []),
        ("env echo $MAIL_PASSWORD", []),
        ("exec echo", []),
    ],
)
def test_mc402_sees_a_literal_behind_exec_command_builtin_and_env(command: str, expected: list[Row]) -> None:
    body = f"outgoing:\n  host: smtp.example.com\n  password_command: {command}\n"
    assert findings_in(frozenset({"MC402"}), body) == expected
