# mypy: disable-error-code="untyped-decorator"
# (pyproject skips following hypothesis, so its decorators look untyped)
"""Target fetchmail: every rendered .fetchmailrc is read back by fetchmail 6.4.37 (--configdump, -V)."""

from __future__ import annotations

import itertools
import json
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
from mailconf.escape.fetchmail import fetchmail_quote
from mailconf.model import Model
from mailconf.render import render_model
from mailconf.targets import TARGETS, Gap, Rendered
from tests.conftest import EXAMPLES, ROOT, need
from tests.targets._common import example_model, load_issues
from tests.targets._fetchmail_client import COMMAND_LINES, entries, fetch, pop3_stub, setting, verbose

TARGET = TARGETS["fetchmail"]
CA = "/etc/ssl/mailconf-test-ca.pem"
MD5 = "md5:" + ":".join(["cb", "14"] * 8)
SHA256 = "sha256:" + ":".join(["15"] * 32)

#: The settings compared with the YAML; the rest of the dump is fetchmail's defaults.
KEYS = (
    "pollname", "active", "via", "protocol", "service", "timeout", "auth", "remote", "password", "ssl", "sslproto",
    "sslcertck", "sslcertfile", "sslfingerprint", "sslcert", "sslkey", "keep", "mailboxes",
    "mda", "bsmtp", "preconnect", "postconnect", "plugin", "plugout", "smtphunt", "localnames",
)  # fmt: skip

#: What an entry holds when the file sets nothing else (fetchmail 6.4.37, as root).
BASE: dict[str, Any] = {
    "active": True,
    "timeout": 300,
    "auth": "any",
    "password": None,
    "ssl": False,
    "sslproto": None,
    "sslcertck": True,
    "sslcertfile": None,
    "sslfingerprint": None,
    "sslcert": None,
    "sslkey": None,
    "keep": False,
    "mailboxes": [],
    "mda": None,
    "bsmtp": None,
    "preconnect": None,
    "postconnect": None,
    "plugin": None,
    "plugout": None,
    "smtphunt": ["localhost"],
}


def yaml_text(accounts: dict[str, Any]) -> str:
    """An account file: JSON is YAML. Non-ASCII stays literal (YAML has no surrogate-pair escapes)."""
    text = json.dumps({"version": 1, "accounts": accounts}, ensure_ascii=False)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")  # YAML 1.1 line breaks


def document(accounts: dict[str, Any]) -> Model:
    doc = load_document("accounts.yaml", yaml_text(accounts).encode("utf-8"))
    assert load_issues(doc) == []
    return doc.model


def render(accounts: dict[str, Any]) -> Rendered:
    return render_model(TARGET, document(accounts), {})


def write(tmp_path: Path, rendered: Rendered) -> Path:
    [file] = rendered.files
    assert (file.name, file.mode) == (".fetchmailrc", 0o600)
    rc = tmp_path / file.name
    rc.write_bytes(file.content)
    rc.chmod(0o600)
    return rc


def read_back(rc: Path, home: Path) -> dict[str, dict[str, Any]]:
    """The compared settings of every entry; localnames must be exactly one (the user running fetchmail)."""
    found = {}
    for name, entry in entries(rc, home).items():
        assert len(entry["localnames"]) == 1
        # fetchmail 6.4.37 prints no auth for `auth external`, neither in --configdump nor in -V
        found[name] = {k: entry.get(k) for k in KEYS if k != "localnames"}
    return found


def want(**changes: Any) -> dict[str, Any]:
    return {**BASE, **changes}


# --- escaping -----------------------------------------------------------------------------


def test_quote_escapes_backslash_and_quote_only() -> None:
    assert fetchmail_quote("a\\b\"c'd$e`f;g #é") == '"a\\\\b\\x22c\'d$e`f;g #é"'


@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "a\0b", "a\tb", "a\x7fb"])
def test_quote_refuses_control_characters_without_echoing_them(bad: str) -> None:
    with pytest.raises(UnsafeValue) as caught:
        fetchmail_quote(bad)
    assert str(caught.value) == "a control character cannot be written in a fetchmail run control file"


# --- every combination, read back by fetchmail -----------------------------------------------

#: auth -> what --configdump shows (None: fetchmail does not print auth external)
_AUTH = {"password": "password", "gssapi": "gssapi", "ntlm": "ntlm", "client-cert": None}
EXPRESSIBLE = [
    (p, s, a)
    for p, s, a in itertools.product(("imap", "pop3"), ("tls", "starttls", "none"), _AUTH)
    if (s, a) != ("none", "client-cert")
]


@pytest.mark.parametrize(("protocol", "security", "auth"), EXPRESSIBLE)
def test_every_combination_reads_back_exactly(tmp_path: Path, protocol: str, security: str, auth: str) -> None:
    server: dict[str, Any] = {
        "protocol": protocol,
        "host": "mail.example.org",
        "port": 10995,
        "security": security,
        "auth": auth,
        "username": "alice.login",
        "timeout": 45,
    }
    expected = want(
        pollname="work",
        via="mail.example.org",
        protocol=protocol.upper(),
        service="10995",
        timeout=45,
        auth=_AUTH[auth],
        remote="alice.login",
        ssl=security == "tls",
        sslproto="" if security == "none" else "TLS1.2+",
        sslcertck=security != "none",
        mailboxes=["INBOX"] if protocol == "imap" else [],
    )
    if auth in ("gssapi", "client-cert"):
        expected["password"] = "alice.login"  # fetchmail's own placeholder: these need no password
    if protocol == "pop3":
        server["leave_on_server"] = True
        expected["keep"] = True
    if security != "none":
        server["tls"] = {"ca_file": CA, "min_version": "1.2"}
        expected["sslcertfile"] = CA
    if auth == "client-cert":
        server["tls"] |= {"client_cert": "/home/alice/cert.pem", "client_key": "/home/alice/key.pem"}
        expected |= {"sslcert": "/home/alice/cert.pem", "sslkey": "/home/alice/key.pem"}
    rendered = render({"work": {"address": "alice@example.org", "incoming": server}})
    assert rendered.gaps == ()
    rc = write(tmp_path, rendered)
    assert read_back(rc, tmp_path) == {"work": expected}
    [(user, lines)] = verbose(rc, tmp_path).values()
    assert user == "alice.login"
    assert setting(lines, "SSL trusted certificate file") == (None if security == "none" else CA)


@pytest.mark.parametrize(
    ("tls", "changes"),
    [
        ({"fingerprint": MD5}, {"sslcertck": False, "sslfingerprint": ":".join(["CB", "14"] * 8)}),
        (
            {"fingerprint": MD5, "verify_hostname": False},
            {"sslcertck": False, "sslfingerprint": ":".join(["CB", "14"] * 8)},
        ),
        ({"verify": False}, {"sslcertck": False}),
        ({"min_version": "1.0"}, {"sslproto": "TLS1+"}),
        ({"min_version": "1.1"}, {"sslproto": "TLS1.1+"}),
        ({"min_version": "1.3"}, {"sslproto": "TLS1.3+"}),
        ({}, {}),
    ],
)
def test_tls_settings_read_back(tmp_path: Path, tls: dict[str, Any], changes: dict[str, Any]) -> None:
    server = {"protocol": "pop3", "host": "localhost", "tls": tls, "leave_on_server": False}
    rendered = render({"work": {"address": "alice@example.org", "incoming": server}})
    assert rendered.gaps == ()
    base = {"pollname": "work", "via": "localhost", "protocol": "POP3", "service": "995", "auth": "password",
            "remote": "alice@example.org", "ssl": True, "sslproto": "auto"}  # fmt: skip
    expected = want(**(base | changes))
    assert read_back(write(tmp_path, rendered), tmp_path) == {"work": expected}


@pytest.mark.parametrize(
    ("mechanisms", "auth"),
    [(["plain"], "password"), (["login", "plain"], "password"), (["cram-md5"], "cram-md5"), (["ntlm"], "ntlm"),
     (["gssapi"], "gssapi"), (["external"], None)],
)  # fmt: skip
def test_mechanisms_map_to_one_auth_method(tmp_path: Path, mechanisms: list[str], auth: str | None) -> None:
    server = {"protocol": "imap", "host": "imap.example.org", "mechanisms": mechanisms}
    rendered = render({"work": {"address": "alice@example.org", "incoming": server}})
    assert rendered.gaps == ()
    assert read_back(write(tmp_path, rendered), tmp_path)["work"]["auth"] == auth


def test_several_accounts_one_entry_each(tmp_path: Path) -> None:
    accounts = {
        "b": {"address": "b@example.org", "incoming": {"protocol": "imap", "host": "mail.example.org"}},
        "a": {"address": "a@example.org", "incoming": {"protocol": "pop3", "host": "mail.example.org"}},
        "sender": {"address": "s@example.org", "outgoing": {"host": "smtp.example.org"}},
    }
    found = read_back(write(tmp_path, render(accounts)), tmp_path)
    assert [(n, e["via"], e["protocol"], e["remote"]) for n, e in found.items()] == [
        ("b", "mail.example.org", "IMAP", "b@example.org"),
        ("a", "mail.example.org", "POP3", "a@example.org"),
    ]


def test_no_incoming_server_renders_no_file() -> None:
    assert render({"s": {"address": "s@example.org", "outgoing": {"host": "smtp.example.org"}}}) == Rendered(())


def test_output_is_deterministic() -> None:
    accounts = {"a": {"address": "a@example.org", "incoming": {"protocol": "pop3", "host": "pop.example.org"}}}
    assert render(accounts) == render(accounts)


# --- the TLS settings take effect: fetchmail against a local POP3 stub ---------------------------

LOGIN = ["USER alice", "PASS test-secret", "STAT", "QUIT"]


@pytest.fixture(scope="module")
def certificate() -> tuple[trustme.CA, trustme.LeafCert]:
    ca = trustme.CA()
    # fetchmail 6.4 wants the name in the subject CN too ("Server name not specified in certificate!")
    return ca, ca.issue_cert("localhost", "127.0.0.1", common_name="localhost")


def _server_context(leaf: trustme.LeafCert, maximum: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(context)
    if maximum is not None:
        context.maximum_version = maximum
    return context


def _md5(leaf: trustme.LeafCert) -> str:
    cert = x509.load_pem_x509_certificate(leaf.cert_chain_pems[0].bytes())
    return "md5:" + cert.fingerprint(hashes.MD5()).hex(":")  # what fetchmail 6.4 pins


@pytest.mark.parametrize(
    ("security", "tls", "server", "outcome"),
    [
        ("tls", {"ca_file": "CA"}, {}, (1, [f"tls: {c}" for c in LOGIN])),
        ("starttls", {"ca_file": "CA"}, {},
         (1, ["plain: CAPA", "plain: STLS", "tls: CAPA", *(f"tls: {c}" for c in LOGIN)])),
        # a server without STLS: fetchmail gives up and never logs in in clear
        ("starttls", {"ca_file": "CA"}, {"offer_stls": False}, (2, ["plain: CAPA", "plain: STLS"])),
        ("tls", {}, {}, (2, [])),  # the system trust does not know the test CA
        ("tls", {"fingerprint": "PIN"}, {}, (1, [f"tls: {c}" for c in LOGIN])),
        ("tls", {"fingerprint": "md5:" + ":".join(["ab"] * 16)}, {}, (2, [])),
        ("tls", {"verify": False}, {}, (1, [f"tls: {c}" for c in LOGIN])),
        # a sha256 pin fetchmail cannot write, with verify false: it fails closed on the CAs, never logs in
        ("tls", {"verify": False, "fingerprint": SHA256}, {}, (2, [])),
        ("tls", {"ca_file": "CA", "min_version": "1.3"}, {"maximum": ssl.TLSVersion.TLSv1_2}, (2, [])),
        ("tls", {"ca_file": "CA", "min_version": "1.2"}, {"maximum": ssl.TLSVersion.TLSv1_2},
         (1, [f"tls: {c}" for c in LOGIN])),
        ("none", {}, {}, (1, [f"plain: {c}" for c in LOGIN])),
    ],
)  # fmt: skip
def test_tls_settings_take_effect(  # noqa: PLR0917
    tmp_path: Path,
    certificate: tuple[trustme.CA, trustme.LeafCert],
    security: str,
    tls: dict[str, Any],
    server: dict[str, Any],
    outcome: tuple[int, list[str]],
) -> None:
    need("fetchmail")
    ca, leaf = certificate
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    tls = {k: str(ca_file) if v == "CA" else _md5(leaf) if v == "PIN" else v for k, v in tls.items()}
    netrc = tmp_path / ".netrc"  # what the password_command gap advises: machine <account name>
    netrc.write_text("machine work login alice password test-secret\n")
    netrc.chmod(0o600)
    context = _server_context(leaf, server.get("maximum"))
    with pop3_stub(context, implicit=security == "tls", offer_stls=server.get("offer_stls", True)) as (port, seen):
        incoming = {"protocol": "pop3", "host": "localhost", "port": port, "security": security,
                    "username": "alice", "tls": tls}  # fmt: skip
        rc = write(tmp_path, render({"work": {"address": "alice@example.org", "incoming": incoming}}))
        code, _ = fetch(rc, tmp_path)
    assert (code, seen) == outcome


# --- gaps ----------------------------------------------------------------------------------

GAPS: list[tuple[dict[str, Any], list[Gap], dict[str, Any]]] = [
    (
        {"protocol": "imap", "host": "imap.example.org", "password_command": "pass show mail"},
        [Gap("work", "incoming.password_command",
             "fetchmail 6.4 runs no password command: it prompts for the password, or reads it from ~/.netrc "
             "(a machine line named after the account or its host); fetchmail 6.5 adds passwordfile")],
        {"active": True, "auth": "password"},
    ),
    (
        {"protocol": "imap", "host": "imap.example.org", "auth": "oauth2", "token_command": "oauth2 token"},
        [Gap("work", "incoming.auth",
             "fetchmail 6.4 has no OAuth2: the entry is written as skip (not polled unless named); "
             "use fetchmail 6.5 or another client"),
         Gap("work", "incoming.token_command", "fetchmail 6.4 has no OAuth2; fetchmail 6.5 adds auth oauthbearer")],
        {"active": False, "auth": "any"},
    ),
    (
        {"protocol": "pop3", "host": "pop.example.org", "tls": {"fingerprint": SHA256}},
        [Gap("work", "incoming.tls.fingerprint",
             "fetchmail 6.4 pins MD5 fingerprints only; pin md5:... instead, or put the server's certificate in "
             "tls.ca_file (the certificate is checked against the CAs meanwhile)")],
        {"sslcertck": True, "sslfingerprint": None},
    ),
    (  # verify false meant "this certificate only": the CAs are checked, never no check at all
        {"protocol": "pop3", "host": "pop.example.org", "tls": {"fingerprint": SHA256, "verify": False}},
        [Gap("work", "incoming.tls.fingerprint",
             "fetchmail 6.4 pins MD5 fingerprints only; pin md5:... instead, or put the server's certificate in "
             "tls.ca_file (the certificate is checked against the CAs meanwhile)")],
        {"sslcertck": True, "sslfingerprint": None},
    ),
    (
        {"protocol": "pop3", "host": "pop.example.org", "tls": {"verify_hostname": False}},
        [Gap("work", "incoming.tls.verify_hostname",
             "fetchmail checks the host name whenever it checks the certificate; pin an md5: fingerprint "
             "or connect by the name the certificate holds")],
        {"sslcertck": True},
    ),
    (
        {"protocol": "pop3", "host": "pop.example.org", "leave_on_server": True, "leave_days": 14},
        [Gap("work", "incoming.leave_days",
             "fetchmail cannot delete messages after some days; expire them on the server")],
        {"keep": True},
    ),
    (
        {"protocol": "pop3", "host": "pop.example.org", "timeout": 0},
        [Gap("work", "incoming.timeout",
             "fetchmail reads timeout 0 as its default (300 seconds); give a number of seconds")],
        {"timeout": 300},
    ),
    (
        {"protocol": "pop3", "host": "pop.example.org", "security": "none", "auth": "client-cert"},
        [Gap("work", "incoming.auth", "a client certificate needs TLS: set security to tls or starttls")],
        {"sslcert": None, "sslproto": ""},
    ),
    (
        {"protocol": "imap", "host": "imap.example.org", "auth": "none"},
        [Gap("work", "incoming.auth",
             "fetchmail logs in to POP3 and IMAP (unless an IMAP server greets with PREAUTH)")],
        {"auth": "any"},
    ),
    (
        {"protocol": "imap", "host": "imap.example.org", "mechanisms": ["scram-sha-256", "cram-md5"]},
        [Gap("work", "incoming.mechanisms", "fetchmail has no method for scram-sha-256: auth cram-md5 is written")],
        {"auth": "cram-md5"},
    ),
    (
        {"protocol": "imap", "host": "imap.example.org", "mechanisms": ["cram-md5", "plain"]},
        [Gap("work", "incoming.mechanisms",
             "fetchmail takes one auth method: auth cram-md5 is written and password will not be tried")],
        {"auth": "cram-md5"},
    ),
]  # fmt: skip


@pytest.mark.parametrize(("server", "gaps", "kept"), GAPS)
def test_gaps_are_reported_exactly(
    tmp_path: Path, server: dict[str, Any], gaps: list[Gap], kept: dict[str, Any]
) -> None:
    rendered = render({"work": {"address": "alice@example.org", "incoming": server}})
    assert list(rendered.gaps) == gaps
    entry = read_back(write(tmp_path, rendered), tmp_path)["work"]
    assert {k: entry[k] for k in kept} == kept  # what remains still reads back


def test_strict_fails_on_a_gap_and_writes_nothing(tmp_path: Path) -> None:
    source = tmp_path / "accounts.yaml"
    server = {"protocol": "pop3", "host": "pop.example.org", "timeout": 0}
    source.write_text(yaml_text({"work": {"address": "a@example.org", "incoming": server}}))
    out = tmp_path / "out"
    args = [
        sys.executable,
        "-m",
        "mailconf",
        "render",
        "--strict",
        "--target",
        "fetchmail",
        str(source),
        "-o",
        str(out),
    ]
    done = subprocess.run(args, capture_output=True, text=True, check=False, cwd=ROOT)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "mailconf: error: fetchmail: account work: incoming.timeout cannot be expressed; "
        "fetchmail reads timeout 0 as its default (300 seconds); give a number of seconds",
        "mailconf: 1 setting cannot be expressed by fetchmail (--strict); nothing written",
    ]
    assert not out.exists()
    without = subprocess.run(args[:4] + args[5:], capture_output=True, text=True, check=False, cwd=ROOT)
    assert without.returncode == 0
    assert without.stderr.startswith("mailconf: warning: fetchmail: account work: incoming.timeout")
    assert (out / ".fetchmailrc").stat().st_mode & 0o777 == 0o600


# --- hostile values ------------------------------------------------------------------------

ASCII_HOSTILE = [*" \"'\\`$();#%&|<>*?!~{}=,.:@-+/aZ09x", "\\x22", "\\n", "\\0", "\\\\"]
NON_ASCII = ["é", "€", "😀", "\u00a0"]


def _text(alphabet: list[str]) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(alphabet), min_size=1, max_size=15).map("".join)


def _hostile_account(username: str, ca_tail: str, key_tail: str) -> dict[str, Any]:
    tls = {"ca_file": "/" + ca_tail, "client_cert": "/c " + key_tail, "client_key": "/" + key_tail}
    server = {"protocol": "pop3", "host": "localhost", "auth": "client-cert", "username": username, "tls": tls}
    return {"work": {"address": "alice@example.org", "incoming": server}}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(username=_text(ASCII_HOSTILE), ca_tail=_text(ASCII_HOSTILE), key_tail=_text(ASCII_HOSTILE))
def test_hostile_ascii_values_read_back_exactly_and_add_nothing(
    tmp_path: Path, username: str, ca_tail: str, key_tail: str
) -> None:
    rendered = render(_hostile_account(username, ca_tail, key_tail))
    assert rendered.gaps == ()
    rc = write(tmp_path, rendered)
    expected = want(pollname="work", via="localhost", protocol="POP3", service="995", auth=None,
                    remote=username, password=username, ssl=True, sslproto="auto", sslcertfile="/" + ca_tail,
                    sslcert="/c " + key_tail, sslkey="/" + key_tail)  # fmt: skip
    assert read_back(rc, tmp_path) == {"work": expected}  # one entry, one user, no mda/preconnect/plugin


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(username=_text(ASCII_HOSTILE + NON_ASCII), ca_tail=_text(ASCII_HOSTILE + NON_ASCII))
def test_hostile_non_ascii_values_read_back_exactly_and_add_nothing(
    tmp_path: Path, username: str, ca_tail: str
) -> None:
    # --configdump garbles non-ASCII bytes (see _fetchmail_client), so this reads fetchmail -V
    rendered = render(_hostile_account(username, ca_tail, "k"))
    assert rendered.gaps == ()
    rc = write(tmp_path, rendered)
    blocks = verbose(rc, tmp_path)
    assert list(blocks) == ["work"]
    user, lines = blocks["work"]
    assert user == username
    assert setting(lines, "SSL trusted certificate file") == "/" + ca_tail
    assert setting(lines, "SSL protocol") == "auto."
    assert "  Mail will be retrieved via localhost" in lines
    assert "  Protocol is POP3 (using service 995)." in lines
    assert [line for line in lines if line.startswith(COMMAND_LINES)] == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(username=_text(ASCII_HOSTILE + NON_ASCII))
def test_hostile_user_name_goes_on_the_wire_exactly(
    tmp_path: Path, certificate: tuple[trustme.CA, trustme.LeafCert], username: str
) -> None:
    # With `auth external` and no client certificate requested, fetchmail 6.4.37 sends USER and
    # gives up before a password: the wire shows the name it parsed, bytes and all.
    ca, leaf = certificate
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    with pop3_stub(_server_context(leaf), implicit=True) as (port, seen):
        account = _hostile_account(username, "unused", "unused")
        account["work"]["incoming"] |= {"port": port, "tls": {"ca_file": str(ca_file)}}
        code, _ = fetch(write(tmp_path, render(account)), tmp_path)
    assert (code, seen) == (3, [f"tls: USER {username}", "tls: QUIT"])


# --- examples ------------------------------------------------------------------------------


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_examples_render_and_fetchmail_accepts_them(tmp_path: Path, example: Path) -> None:
    need("fetchmail")
    model = example_model(example)
    rendered = render_model(TARGET, model, {})
    readers = [a for a in model.accounts if a.incoming is not None]
    if not readers:
        assert rendered.files == ()
        return
    rc = write(tmp_path, rendered)
    polled = verbose(rc, tmp_path)
    for account in readers:
        assert account.incoming is not None
        if rc.read_bytes().isascii():
            entry = entries(rc, tmp_path)[account.name]
            assert (entry["via"], entry["service"]) == (account.incoming.host, str(account.incoming.port))
        if account.name in polled:
            assert polled[account.name][0] == account.incoming.username
