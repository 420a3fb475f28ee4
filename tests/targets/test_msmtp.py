# mypy: disable-error-code="untyped-decorator"
# (pyproject skips following hypothesis, so its decorators look untyped)
"""Target msmtp: every rendered msmtprc is read back by msmtp 1.8.23 (``--pretend``).

--pretend runs passwordeval: every command here is harmless (echo, printf).
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import shlex
import ssl
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailconf.document import load_document
from mailconf.escape import UnsafeValue
from mailconf.escape.msmtp import msmtp_line, msmtp_quote
from mailconf.model import Model
from mailconf.render import render_model
from mailconf.targets import TARGETS, Gap, Rendered
from tests.conftest import EXAMPLES, ROOT, need
from tests.targets._common import example_model, load_issues
from tests.targets._msmtp_client import MsmtpError, expect, pretend, send, serverinfo, smtp_stub

TARGET = TARGETS["msmtp"]
CA = "/etc/ssl/mailconf-test-ca.pem"
PIN = "sha256:15:91:6A:0C:3E:77:21:9B:4D:AA:10:2F:5C:61:88:E0:93:12:7D:C4:05:BE:39:F2:6A:71:0D:C8:E2:54:9A:17"
SECURITIES = ("tls", "starttls", "none")
AUTHS = ("password", "oauth2", "gssapi", "ntlm", "client-cert", "none")


def yaml_text(accounts: dict[str, Any]) -> str:
    """An account file: JSON is YAML. Non-ASCII stays literal (YAML has no surrogate-pair escapes)."""
    text = json.dumps({"version": 1, "accounts": accounts}, ensure_ascii=False)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")  # YAML 1.1 line breaks


def document(accounts: dict[str, Any]) -> Model:
    text = yaml_text(accounts)
    doc = load_document("accounts.yaml", text.encode("utf-8"))
    assert load_issues(doc) == []
    return doc.model


def render(accounts: dict[str, Any]) -> Rendered:
    return render_model(TARGET, document(accounts), {})


def write(tmp_path: Path, rendered: Rendered) -> Path:
    [file] = rendered.files
    assert (file.name, file.mode) == (".msmtprc", 0o600)
    rc = tmp_path / file.name
    rc.write_bytes(file.content)
    rc.chmod(0o600)
    return rc


# --- escaping -----------------------------------------------------------------------------


def test_quote_keeps_everything_literal() -> None:
    assert msmtp_quote('a"b\\c #d $(e) `f`') == '"a"b\\c #d $(e) `f`"'


@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "a\0b", "a\tb", "a\x7fb"])
def test_quote_refuses_control_characters_without_echoing_them(bad: str) -> None:
    with pytest.raises(UnsafeValue) as caught:
        msmtp_quote(bad)
    assert str(caught.value) == "msmtp has no escapes: a control character (line break, NUL) cannot be written"


def test_line_limit_is_499_bytes() -> None:
    assert msmtp_line("user", "é" * 246) == 'user "' + "é" * 246 + '"'  # 499 bytes
    with pytest.raises(UnsafeValue, match=r"^the user line would exceed msmtp's limit of 499 bytes$"):
        msmtp_line("user", "é" * 246 + "x")


# --- every combination, read back by msmtp ---------------------------------------------------

_METHOD = {"password": "choose", "oauth2": "XOAUTH2", "gssapi": "GSSAPI", "ntlm": "NTLM", "client-cert": "EXTERNAL"}


def _combination(security: str, auth: str) -> tuple[dict[str, Any], dict[str, str]]:
    """An outgoing server for the combination, and what msmtp must read back."""
    server: dict[str, Any] = {
        "host": "smtp.example.org",
        "port": 2525,
        "security": security,
        "auth": auth,
        "username": "alice.login@example.org",
        "timeout": 45,
    }
    want = {
        "host": "smtp.example.org",
        "port": "2525",
        "timeout": "45 seconds",
        "auth": _METHOD.get(auth, "none"),
        "from_": "alice@example.org",
    }
    if auth != "none":
        want["user"] = "alice.login@example.org"
    if auth in ("password", "ntlm"):
        server["password_command"] = "echo pw"
        want |= {"passwordeval": "echo pw", "password": "*"}
    if auth == "oauth2":
        server["token_command"] = "printf %s token"
        want |= {"passwordeval": "printf %s token", "password": "*"}
    if security == "none":
        return server, expect(**want)
    server["tls"] = {"ca_file": CA, "min_version": "1.2"}
    want |= {
        "tls": "on",
        "tls_starttls": "on" if security == "starttls" else "off",
        "tls_trust_file": CA,
        "tls_priorities": "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
    }
    if auth == "client-cert":
        server["tls"] |= {"client_cert": "/home/alice/cert.pem", "client_key": "/home/alice/key.pem"}
        want |= {"tls_cert_file": "/home/alice/cert.pem", "tls_key_file": "/home/alice/key.pem"}
    return server, expect(**want)


EXPRESSIBLE = [(s, a) for s, a in itertools.product(SECURITIES, AUTHS) if (s, a) != ("none", "client-cert")]


@pytest.mark.parametrize(("security", "auth"), EXPRESSIBLE)
def test_every_combination_reads_back_exactly(tmp_path: Path, security: str, auth: str) -> None:
    server, want = _combination(security, auth)
    rendered = render({"work": {"address": "alice@example.org", "outgoing": server}})
    assert rendered.gaps == ()
    rc = write(tmp_path, rendered)
    assert pretend(rc, "work", tmp_path) == want
    assert pretend(rc, None, tmp_path) == want  # the first account is the default


def test_client_cert_sends_no_user_name_unless_one_is_declared(tmp_path: Path) -> None:
    tls = {"client_cert": "/c.pem", "client_key": "/k.pem"}
    server = {"host": "smtp.example.org", "auth": "client-cert", "tls": tls}
    settings = pretend(
        write(tmp_path, render({"work": {"address": "a@example.org", "outgoing": server}})), "work", tmp_path
    )
    assert (settings["auth"], settings["user"], settings["tls_cert_file"]) == ("EXTERNAL", "(not set)", "/c.pem")


def test_client_cert_without_key_is_a_gap_and_msmtp_reads_the_file(tmp_path: Path) -> None:
    """msmtp refuses a tls_cert_file without tls_key_file ("tls_cert_file requires tls_key_file"), so the
    certificate is left out with a gap rather than written into a file msmtp would reject."""
    server = {"host": "smtp.example.org", "auth": "client-cert", "tls": {"client_cert": "/home/a/both.pem"}}
    rendered = render({"work": {"address": "alice@example.org", "outgoing": server}})
    assert rendered.gaps == (
        Gap("work", "outgoing.tls.client_cert",
            "msmtp reads a client certificate only with its private key (tls_cert_file requires tls_key_file): add "
            "tls.client_key (the certificate's own file when it holds the key too); tls_cert_file is left out"),
    )  # fmt: skip
    rc = write(tmp_path, rendered)
    read = pretend(rc, "work", tmp_path)
    assert (read["auth"], read["tls_cert_file"], read["tls_key_file"]) == ("EXTERNAL", "(not set)", "(not set)")
    # what writing the certificate alone would have done: msmtp rejects the whole file
    alone = tmp_path / "alone"
    alone.write_text(rc.read_text().replace("auth external\n", 'tls_cert_file "/home/a/both.pem"\nauth external\n'))
    alone.chmod(0o600)
    with pytest.raises(MsmtpError, match="tls_cert_file requires tls_key_file"):
        pretend(alone, "work", tmp_path)


def test_client_key_without_cert_is_a_gap_and_msmtp_reads_the_file(tmp_path: Path) -> None:
    """msmtp refuses a tls_key_file without tls_cert_file ("tls_key_file requires tls_cert_file", exit 78 at every
    send): the key was written alone into a file msmtp rejected; it is left out with a gap now."""
    server = {"host": "smtp.example.org", "auth": "client-cert", "tls": {"client_key": "/home/a/key.pem"}}
    rendered = render({"work": {"address": "alice@example.org", "outgoing": server}})
    assert rendered.gaps == (
        Gap("work", "outgoing.tls.client_key",
            "msmtp reads a private key only with its client certificate (tls_key_file requires tls_cert_file): add "
            "tls.client_cert (the key's own file when it holds the certificate too); tls_key_file is left out"),
    )  # fmt: skip
    rc = write(tmp_path, rendered)
    read = pretend(rc, "work", tmp_path)
    assert (read["auth"], read["tls_cert_file"], read["tls_key_file"]) == ("EXTERNAL", "(not set)", "(not set)")
    # what writing the key alone would have done: msmtp rejects the whole file
    alone = tmp_path / "alone"
    alone.write_text(rc.read_text().replace("auth external\n", 'tls_key_file "/home/a/key.pem"\nauth external\n'))
    alone.chmod(0o600)
    with pytest.raises(MsmtpError, match="tls_key_file requires tls_cert_file"):
        pretend(alone, "work", tmp_path)


def test_client_cert_and_key_in_one_file(tmp_path: Path) -> None:
    tls = {"client_cert": "/home/a/both.pem", "client_key": "/home/a/both.pem"}
    server = {"host": "smtp.example.org", "auth": "client-cert", "tls": tls}
    rendered = render({"work": {"address": "alice@example.org", "outgoing": server}})
    assert rendered.gaps == ()
    read = pretend(write(tmp_path, rendered), "work", tmp_path)
    assert (read["tls_cert_file"], read["tls_key_file"]) == ("/home/a/both.pem", "/home/a/both.pem")


def test_client_cert_without_tls_is_a_gap() -> None:
    server = {"host": "smtp.example.org", "security": "none", "auth": "client-cert"}
    rendered = render({"work": {"address": "alice@example.org", "outgoing": server}})
    assert rendered.gaps == (
        Gap("work", "outgoing.auth", "a client certificate needs TLS: set security to tls or starttls"),
    )


@pytest.mark.parametrize(
    ("tls", "want"),
    [
        ({"fingerprint": PIN}, {"tls_fingerprint": PIN.removeprefix("sha256:")}),
        ({"fingerprint": "md5:" + ":".join(["ab"] * 16)}, {"tls_fingerprint": ":".join(["AB"] * 16)}),
        ({"fingerprint": "sha1:" + ":".join(["0f"] * 20)}, {"tls_fingerprint": ":".join(["0F"] * 20)}),
        ({"verify": False}, {"tls_certcheck": "off"}),
        ({"min_version": "1.3"}, {"tls_priorities": "NORMAL:-VERS-ALL:+VERS-TLS1.3"}),
        (
            {"min_version": "1.0"},
            {"tls_priorities": "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:+VERS-TLS1.1:+VERS-TLS1.0"},
        ),
        ({"verify_hostname": False, "fingerprint": PIN}, {"tls_fingerprint": PIN.removeprefix("sha256:")}),
    ],
)
def test_tls_settings_read_back(tmp_path: Path, tls: dict[str, Any], want: dict[str, str]) -> None:
    server = {"host": "smtp.example.org", "auth": "none", "tls": tls, "timeout": 0}
    rendered = render({"work": {"address": "alice@example.org", "outgoing": server}})
    assert rendered.gaps == ()
    base = {"host": "smtp.example.org", "port": "465", "tls": "on", "tls_starttls": "off", "from_": "alice@example.org"}
    assert pretend(write(tmp_path, rendered), "work", tmp_path) == expect(**base, **want)


@pytest.mark.parametrize("mechanism", ["plain", "login", "scram-sha-1", "scram-sha-256", "cram-md5", "digest-md5",
                                       "ntlm", "gssapi", "xoauth2", "oauthbearer", "external"])  # fmt: skip
def test_one_mechanism_is_msmtps_auth_method(tmp_path: Path, mechanism: str) -> None:
    server = {"host": "smtp.example.org", "mechanisms": [mechanism], "password_command": "echo pw"}
    rendered = render({"work": {"address": "alice@example.org", "outgoing": server}})
    assert rendered.gaps == ()
    settings = pretend(write(tmp_path, rendered), "work", tmp_path)
    assert (settings["auth"], settings["passwordeval"]) == (mechanism.upper(), "echo pw")


def test_several_accounts_and_the_default(tmp_path: Path) -> None:
    accounts = {
        "b-second": {"address": "b@example.org", "outgoing": {"host": "b.example.org", "auth": "none"}},
        "a-first": {"address": "a@example.org", "outgoing": {"host": "a.example.org", "auth": "none"}},
        "reader": {"address": "r@example.org", "incoming": {"protocol": "imap", "host": "imap.example.org"}},
    }
    rc = write(tmp_path, render(accounts))
    assert pretend(rc, None, tmp_path)["host"] == "b.example.org"  # file order, not name order
    assert pretend(rc, "a-first", tmp_path)["host"] == "a.example.org"
    assert rc.read_text().count("\naccount ") == 3  # b-second, a-first, default; no block for reader


def test_an_account_named_default_is_the_default(tmp_path: Path) -> None:
    accounts = {
        "other": {"address": "o@example.org", "outgoing": {"host": "o.example.org", "auth": "none"}},
        "default": {"address": "d@example.org", "outgoing": {"host": "d.example.org", "auth": "none"}},
    }
    rc = write(tmp_path, render(accounts))
    assert pretend(rc, None, tmp_path)["host"] == "d.example.org"
    assert "account default :" not in rc.read_text()


def test_no_outgoing_server_renders_no_file() -> None:
    accounts = {"reader": {"address": "r@example.org", "incoming": {"protocol": "pop3", "host": "pop.example.org"}}}
    assert render(accounts) == Rendered(())


def test_output_is_deterministic() -> None:
    server, _ = _combination("starttls", "password")
    accounts = {"work": {"address": "alice@example.org", "outgoing": server}}
    assert render(accounts) == render(accounts)


# --- the TLS settings take effect: msmtp --serverinfo against a local server ------------------


@pytest.fixture(scope="module")
def certificate() -> tuple[trustme.CA, trustme.LeafCert]:
    ca = trustme.CA()
    return ca, ca.issue_cert("localhost", "127.0.0.1")


def _server_context(leaf: trustme.LeafCert, maximum: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(context)
    if maximum is not None:
        context.maximum_version = maximum
    return context


def _fingerprint(leaf: trustme.LeafCert) -> str:
    cert = x509.load_pem_x509_certificate(leaf.cert_chain_pems[0].bytes())
    return "sha256:" + cert.fingerprint(hashes.SHA256()).hex(":").upper()


UNTRUSTED = (
    69,
    "msmtp: TLS certificate verification failed: The certificate is NOT trusted. The certificate issuer is unknown. \n",
)
MISMATCH = (69, "msmtp: TLS certificate verification failed: the certificate fingerprint does not match\n")
REFUSED = (76, "msmtp: TLS handshake failed: A TLS fatal alert has been received.\n")


@pytest.mark.parametrize(
    ("security", "tls", "maximum", "outcome"),
    [
        ("tls", {"ca_file": "CA"}, None, (0, "")),
        ("starttls", {"ca_file": "CA"}, None, (0, "")),
        ("tls", {}, None, UNTRUSTED),  # the system trust does not know the test CA
        ("starttls", {}, None, UNTRUSTED),
        ("tls", {"fingerprint": "PIN"}, None, (0, "")),
        ("tls", {"fingerprint": "sha256:" + ":".join(["AB"] * 32)}, None, MISMATCH),
        ("tls", {"verify": False}, None, (0, "")),
        ("tls", {"ca_file": "CA", "min_version": "1.3"}, ssl.TLSVersion.TLSv1_2, REFUSED),
        ("tls", {"ca_file": "CA", "min_version": "1.2"}, ssl.TLSVersion.TLSv1_2, (0, "")),
        ("starttls", {"ca_file": "CA", "min_version": "1.3"}, ssl.TLSVersion.TLSv1_3, (0, "")),
    ],
)
def test_tls_settings_take_effect(  # noqa: PLR0917
    tmp_path: Path,
    certificate: tuple[trustme.CA, trustme.LeafCert],
    security: str,
    tls: dict[str, Any],
    maximum: ssl.TLSVersion | None,
    outcome: tuple[int, str],
) -> None:
    need("msmtp")
    ca, leaf = certificate
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    tls = {k: str(ca_file) if v == "CA" else _fingerprint(leaf) if v == "PIN" else v for k, v in tls.items()}
    with smtp_stub(_server_context(leaf, maximum), implicit=security == "tls") as (port, _):
        server = {"host": "localhost", "port": port, "security": security, "auth": "none", "tls": tls}
        rc = write(tmp_path, render({"work": {"address": "alice@example.org", "outgoing": server}}))
        assert serverinfo(rc, "work", tmp_path) == outcome


#: The nasty test password of FORMATS.md: P'q"r;s\t`u$v #w%x with a literal backslash-t.
NASTY_PASSWORD = "P'q\"r;s\\t`u$v #w%x"
NASTY_USER = "carol 'x\\\" $(y)@example.org"


@pytest.mark.parametrize(
    ("security", "tls", "auth", "expected"),
    [
        ("starttls", {"ca_file": "CA"}, {"password_command": "printf %s pw"},
         ["plain: EHLO localhost", "plain: STARTTLS", "tls: EHLO localhost", f"tls: AUTH PLAIN |{NASTY_USER}|pw"]),
        ("tls", {"fingerprint": "PIN"}, {"password_command": "printf %s " + shlex.quote(NASTY_PASSWORD)},
         ["tls: EHLO localhost", f"tls: AUTH PLAIN |{NASTY_USER}|{NASTY_PASSWORD}"]),
        ("tls", {"ca_file": "CA"}, {"auth": "none"}, ["tls: EHLO localhost"]),
    ],
)  # fmt: skip
def test_a_message_goes_through_as_declared(  # noqa: PLR0917
    tmp_path: Path,
    certificate: tuple[trustme.CA, trustme.LeafCert],
    security: str,
    tls: dict[str, Any],
    auth: dict[str, Any],
    expected: list[str],
) -> None:
    need("msmtp")
    ca, leaf = certificate
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    tls = {k: str(ca_file) if v == "CA" else _fingerprint(leaf) if v == "PIN" else v for k, v in tls.items()}
    with smtp_stub(_server_context(leaf), implicit=security == "tls") as (port, seen):
        server = {"host": "localhost", "port": port, "security": security, "username": NASTY_USER, "tls": tls, **auth}
        rc = write(tmp_path, render({"work": {"address": "carol+mc@example.org", "outgoing": server}}))
        assert send(rc, "work", tmp_path, "dave@example.org") == (0, "")
    tail = ["tls: MAIL FROM:<carol+mc@example.org>", "tls: RCPT TO:<dave@example.org>", "tls: DATA", "tls: QUIT"]
    assert seen == expected + tail


# --- gaps ----------------------------------------------------------------------------------

GAPS: list[tuple[dict[str, Any], str, list[Gap]]] = [
    (
        {"host": "smtp.example.org", "mechanisms": ["scram-sha-256", "plain", "login"], "password_command": "echo x"},
        "alice@example.org",
        [Gap("work", "outgoing.mechanisms",
             "msmtp takes one authentication method: auth scram-sha-256 is written and plain, login "
             "will not be tried")],
    ),
    (
        {"host": "smtp.example.org", "tls": {"verify_hostname": False}},
        "alice@example.org",
        [Gap("work", "outgoing.tls.verify_hostname",
             "msmtp always checks the host name against the certificate; pin the certificate with tls.fingerprint "
             "(a pin replaces the name check) or connect by the name the certificate holds")],
    ),
    (
        {"host": "smtp.example.org"},
        "a%Ub@example.org",
        [Gap("work", "address",
             "msmtp replaces %U, %H, %C and %M in its from command, so from is left out; "
             "send with msmtp --from=ADDRESS")],
    ),
    (
        {"host": "smtp.example.org", "auth": "oauth2", "token_command": "echo t", "password_command": "echo p"},
        "alice@example.org",
        [Gap("work", "outgoing.password_command",
             "auth oauth2 does not use it, so it is left out; use token_command for oauth2")],
    ),
    (
        {"host": "smtp.example.org", "auth": "gssapi", "token_command": "echo t"},
        "alice@example.org",
        [Gap("work", "outgoing.token_command",
             "auth gssapi does not use it, so it is left out; remove it or change auth")],
    ),
    (
        {"host": "smtp.example.org", "password_command": "echo " + "x" * 490},
        "alice@example.org",
        [Gap("work", "outgoing.password_command",
             "the passwordeval line would exceed msmtp's limit of 499 bytes; it is left out "
             "(wrap the command in a script)")],
    ),
    (
        {"host": "smtp.example.org", "username": "😀" * 124, "tls": {"ca_file": "/" + "é" * 248}},
        "😀" * 120 + "@" + ".".join(["b" * 63] * 2) + ".ex",  # 251 characters, 615 bytes
        [Gap("work", "outgoing.username",
             "the user line would exceed msmtp's limit of 499 bytes; it is left out (give it on the command line: "
             "msmtp --user=NAME)"),
         Gap("work", "outgoing.tls.ca_file",
             "the tls_trust_file line would exceed msmtp's limit of 499 bytes; it is left out (use a shorter path)"),
         Gap("work", "address",
             "the from line would exceed msmtp's limit of 499 bytes; it is left out (give it on the command line: "
             "msmtp --from=ADDRESS)")],
    ),
]  # fmt: skip


@pytest.mark.parametrize(("server", "address", "gaps"), GAPS)
def test_gaps_are_reported_exactly(tmp_path: Path, server: dict[str, Any], address: str, gaps: list[Gap]) -> None:
    rendered = render({"work": {"address": address, "outgoing": server}})
    assert list(rendered.gaps) == gaps
    settings = pretend(write(tmp_path, rendered), "work", tmp_path)  # what remains still reads back
    assert settings["host"] == "smtp.example.org"


@pytest.mark.parametrize("address", ["?@example.org", "a*@example.org"])  # [ is no address (the schema)
def test_an_address_msmtp_reads_as_a_wildcard_is_a_gap_and_no_from(tmp_path: Path, address: str) -> None:
    """`from ?@example.org` is a pattern to msmtp: it picked that account for a@example.org's mail (checked below on
    the file written without the gap), and the import reads it as a pattern. Left out, with a gap."""
    from mailconf.targets.msmtp import WILDCARD_GAP

    server = {"host": "smtp.example.org"}
    other = {"host": "smtp.other.example"}
    rendered = render({"wild": {"address": address, "outgoing": server}, "a": {"address": "a@example.org",
                                                                             "outgoing": other}})  # fmt: skip
    assert list(rendered.gaps) == [Gap("wild", "address", WILDCARD_GAP)]
    rc = write(tmp_path, rendered)
    assert pretend(rc, "wild", tmp_path)["from"] == "(not set)"
    assert _chosen_for(rc, "a@example.org", tmp_path) == "a"
    # what the gap prevents: the same file with the from written, msmtp sends a@example.org's mail through wild
    wild = rc.read_text().replace("account wild\n", f'account wild\nfrom "{address}"\n', 1)
    (tmp_path / "wild.rc").write_text(wild)
    (tmp_path / "wild.rc").chmod(0o600)
    assert _chosen_for(tmp_path / "wild.rc", "a@example.org", tmp_path) == "wild"


def _chosen_for(rc: Path, sender: str, home: Path) -> str:
    """The account msmtp --pretend picks for mail from ``sender`` (--from, no -a)."""
    binary = need("msmtp")["msmtp"]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "LC_ALL": "C.UTF-8"}
    args = [binary, "-C", str(rc), "--pretend", f"--from={sender}", "x@example.net"]
    done = subprocess.run(
        args, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=60, check=True
    )
    [line] = [line for line in done.stdout.splitlines() if line.startswith("using account ")]
    return line.split()[2]


def test_strict_fails_on_a_gap_and_writes_nothing(tmp_path: Path) -> None:
    source = tmp_path / "accounts.yaml"
    server = {"host": "smtp.example.org", "auth": "gssapi", "token_command": "echo t"}
    source.write_text(yaml_text({"work": {"address": "a@example.org", "outgoing": server}}))
    out = tmp_path / "out"
    args = [sys.executable, "-m", "mailconf", "render", "--strict", "--target", "msmtp", str(source), "-o", str(out)]
    done = subprocess.run(args, capture_output=True, text=True, check=False, cwd=ROOT)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "mailconf: error: msmtp: account work: outgoing.token_command cannot be expressed; "
        "auth gssapi does not use it, so it is left out; remove it or change auth",
        "mailconf: 1 setting cannot be expressed by msmtp (--strict); nothing written",
    ]
    assert not out.exists()
    without = subprocess.run(args[:4] + args[5:], capture_output=True, text=True, check=False, cwd=ROOT)
    assert without.returncode == 0
    assert without.stderr.startswith("mailconf: warning: msmtp: account work: outgoing.token_command")
    assert (out / ".msmtprc").stat().st_mode & 0o777 == 0o600


# --- hostile values ------------------------------------------------------------------------

HOSTILE = st.text(
    alphabet=st.sampled_from([*"aZUH09 \"'\\`$();#%&|<>*?!~{}=,.:@-+/", "é", "€", "😀", "\u00a0"]),
    min_size=1,
    max_size=30,
)
LOCAL_PART = st.text(alphabet=st.sampled_from([*"aZ09'`$#%&*?!~{}=|+-/^_.", "é", "€"]), min_size=1, max_size=20)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    username=HOSTILE,
    secret_word=HOSTILE,
    ca_tail=HOSTILE,
    cert_tail=HOSTILE,
    local=LOCAL_PART.filter(lambda s: not any(f"%{c}" in s for c in "UHCM") and not any(c in s for c in "?*")),
    security=st.sampled_from(["tls", "starttls"]),
)
def test_hostile_values_read_back_exactly_and_add_nothing(  # noqa: PLR0917
    tmp_path: Path, username: str, secret_word: str, ca_tail: str, cert_tail: str, local: str, security: str
) -> None:
    command = f"printf %s {shlex.quote(secret_word)}"  # harmless whatever the word: --pretend runs it
    server = {
        "host": "smtp.example.org",
        "security": security,
        "username": username,
        "password_command": command,
        "tls": {"ca_file": "/" + ca_tail, "client_cert": "/" + cert_tail, "client_key": "/k " + cert_tail},
    }
    address = f"{local}@example.org"
    rendered = render({"work": {"address": address, "outgoing": server}})
    assert rendered.gaps == ()
    rc = write(tmp_path, rendered)
    want = expect(
        host="smtp.example.org",
        port="587" if security == "starttls" else "465",
        auth="choose",
        user=username,
        passwordeval=command,
        password="*",
        tls="on",
        tls_starttls="on" if security == "starttls" else "off",
        tls_trust_file="/" + ca_tail,
        tls_cert_file="/" + cert_tail,
        tls_key_file="/k " + cert_tail,
        from_=address,
    )
    assert pretend(rc, "work", tmp_path) == want
    commands = [line.split(" ", 1)[0] for line in rc.read_text("utf-8").split("\n") if line and line[0] != "#"]
    assert commands == ["account", "host", "port", "tls", "tls_starttls", "tls_trust_file", "tls_cert_file",
                        "tls_key_file", "auth", "user", "passwordeval", "from", "account"]  # fmt: skip


# --- examples ------------------------------------------------------------------------------


def _harmless(model: Model) -> Model:
    """The examples' commands (pass, oauth2 helpers...) replaced: --pretend would run them."""
    accounts = []
    for account in model.accounts:
        out = account.outgoing
        if out is not None:
            out = dataclasses.replace(
                out,
                password_command=None if out.password_command is None else "echo pw",
                token_command=None if out.token_command is None else "echo token",
            )
        accounts.append(dataclasses.replace(account, outgoing=out))
    return Model(tuple(accounts))


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_examples_render_and_msmtp_accepts_them(tmp_path: Path, example: Path) -> None:
    need("msmtp")
    model = example_model(example)
    rendered = render_model(TARGET, _harmless(model), {})
    senders = [a for a in model.accounts if a.outgoing is not None]
    if not senders:
        assert rendered.files == ()
        return
    rc = write(tmp_path, rendered)
    for account in senders:
        assert account.outgoing is not None
        settings = pretend(rc, account.name, tmp_path)
        assert (settings["host"], settings["port"]) == (account.outgoing.host, str(account.outgoing.port))
    assert os.stat(rc).st_mode & 0o777 == 0o600
