# mypy: disable-error-code="untyped-decorator"
# (pyproject skips following hypothesis, so its decorators look untyped)
"""Target aerc: every rendered accounts.conf is read back by aerc itself: 0.14, and 0.20 where it is found.

aerc 0.20 reads files rendered with ``--option version=0.20`` (MAILCONF_AERC_0_20 names it, see
tests/targets/_aerc_client.py); the tests that run it are parametrized over ``VERSIONS``.
aerc 0.14 has no dump mode and runs only on a terminal: it runs in tmux with the rendered
file as its only accounts.conf (tests/targets/_aerc_client.py), and what it parsed shows in
what it does. Its ``source-cred-cmd`` runs while the file loads and writes a file here (the
exact command), aerc logs in to an IMAP stub that records the user name and password
(the exact ``source`` URL), it sends through an SMTP server that records the login, the
envelope sender and the From header (``outgoing``, ``outgoing-cred-cmd``,
``smtp-starttls``, ``from``), and its status line shows what it refused. The IMAP side is a
stub (not Dovecot) because it records the login bytes exactly, whatever the user name;
tests/e2e/test_aerc.py reads the real Dovecot inbox and sends through the real test SMTP
server.

Hostile values go through hypothesis where aerc only has to start and log in; sending
(tmux keystrokes and a composer) uses a fixed list of hostile values.
"""

from __future__ import annotations

import email
import email.header
import email.policy
import email.utils
import os
import shlex
import ssl
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailconf.cli import main
from mailconf.escape import UnsafeValue
from mailconf.escape.aerc import aerc_value, rfc5322_quoted, url_user
from mailconf.model import Account, Auth, Model, Protocol, Server
from mailconf.render import RenderError, render_model
from mailconf.targets import TARGETS, Gap, Rendered
from tests.conftest import EXAMPLES
from tests.servers import Certificates, ScriptedServer, SmtpServer, User, make_certificates, never_greet, server_context
from tests.targets._aerc_client import (
    AERC_TIMEOUT,
    GO_SPACE,
    SEND_TIMEOUT,
    VERSIONS,
    ImapStub,
    Login,
    aerc,
    aerc_with_stderr,
    load_failure,
)
from tests.targets._common import (
    NON_ASCII,
    ONE_IMAP_ACCOUNT,
    UNICODE_HOSTILE,
    example_model,
    imap_server,
    refusal,
    refused_render,
    render_with,
    run_render,
    strings,
    yaml_text,
)

TARGET = TARGETS["aerc"]


def render(accounts: dict[str, Any]) -> Rendered:
    return render_with(TARGET, accounts)


def text_of(rendered: Rendered) -> str:
    [file] = rendered.files
    assert (file.name, file.mode) == ("accounts.conf", 0o600)
    return file.content.decode("utf-8")


def go_ini_sections(text: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The sections and keys of an accounts.conf as go-ini v1.63.2 reads ours: lines split at \\n only, a value
    between backquotes is everything up to the last backquote of its line (parser.go readValue)."""
    sections: list[tuple[str, list[tuple[str, str]]]] = []
    for line in text.split("\n"):
        if not line or line[0] in "#;":
            continue
        if line[0] == "[":
            sections.append((line[1 : line.rindex("]")], []))
            continue
        key, _, value = line.partition(" = ")
        if value.startswith("`"):
            value = value[1 : value.rindex("`")]
        sections[-1][1].append((key, value))
    return sections


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("certs"))


def _go_trim(text: str) -> str:
    return text.strip(GO_SPACE)


# --- escaping -----------------------------------------------------------------------------


def test_values_go_between_backquotes_unchanged() -> None:
    assert aerc_value("a\\b\"c'd$e`f;g #é%😀\u2028") == "`a\\b\"c'd$e`f;g #é%😀\u2028`"
    assert aerc_value("") == "``"


@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "a\0b", "a\tb", "a\x7fb", "\n", "a\ud800"])
def test_control_characters_are_refused_without_echoing_them(bad: str) -> None:
    with pytest.raises(UnsafeValue) as caught:
        aerc_value(bad)
    assert str(caught.value) == (
        "aerc reads one line per setting: a control character (line break, NUL) cannot be written"
    )


def test_url_user_encodes_everything_but_unreserved() -> None:
    assert url_user("a.b-c_d~e") == "a.b-c_d~e"
    assert url_user("u@x:/%#; é") == "u%40x%3A%2F%25%23%3B%20%C3%A9"


@given(st.text())
def test_url_user_agrees_with_urllib(user: str) -> None:
    # the ASCII fast path (str.translate) and urllib's quote give the same encoding
    try:
        expected = quote(user, safe="-._~")
    except UnicodeEncodeError:  # a lone surrogate: not UTF-8 (the schema cannot produce one)
        return
    assert url_user(user) == expected


# --- what is written ------------------------------------------------------------------------

FULL = """\
# aerc (0.14) accounts written by mailconf (target aerc).
# Edit the account file and render again rather than editing this file.
# aerc runs each source-cred-cmd with sh -c when it starts, each outgoing-cred-cmd when it sends.

[work]
source = `imap://alice%40example.org@imap.example.org:143`
source-cred-cmd = `pass show "mail" #x; y`
connection-timeout = 45s
outgoing = `smtp+login://alice@smtp.example.org:587`
outgoing-cred-cmd = `pass show smtp`
smtp-starttls = yes
from = `"Alice \\"A\\" Example" <alice@example.org>`

[other]
source = `imaps://imap.example.org:993`
from = `o@example.org`
"""


def test_two_accounts_are_written_exactly() -> None:
    incoming = {"protocol": "imap", "host": "imap.example.org", "security": "starttls",
                "password_command": 'pass show "mail" #x; y', "timeout": 45}  # fmt: skip
    outgoing = {"host": "smtp.example.org", "security": "starttls", "username": "alice",
                "password_command": "pass show smtp", "mechanisms": ["cram-md5", "login", "plain"]}  # fmt: skip
    other = {"protocol": "imap", "host": "imap.example.org", "username": "o", "auth": "password",
             "password_command": "x"}  # fmt: skip
    rendered = render({
        "work": {"address": "alice@example.org", "display_name": 'Alice "A" Example',
                 "incoming": incoming, "outgoing": outgoing},
        "other": {"address": "o@example.org", "incoming": other | {"auth": "none"}},
    })  # fmt: skip
    assert list(rendered.gaps) == [
        Gap("work", "display_name", DISPLAY_NAME_GAP.format(aerc="aerc 0.14")),
        Gap("other", "incoming.password_command",
            "auth none does not use it, so it is left out; remove it or change auth"),
    ]  # fmt: skip
    assert text_of(rendered) == FULL


SCHEMES = {
    # (security, auth, mechanisms) -> (source, outgoing, smtp-starttls written)
    ("tls", "password", ()): ("imaps://u@h.example:993", "smtps+plain://u@h.example:465", False),
    ("starttls", "password", ()): ("imap://u@h.example:143", "smtp+plain://u@h.example:587", True),
    ("none", "password", ()): ("imap+insecure://u@h.example:143", "smtp+plain://u@h.example:587", False),
    ("tls", "password", ("login",)): ("imaps://u@h.example:993", "smtps+login://u@h.example:465", False),
    ("tls", "oauth2", ()): ("imaps+xoauth2://u@h.example:993", "smtps+xoauth2://u@h.example:465", False),
    ("none", "oauth2", ("oauthbearer",)): (
        "imap+oauthbearer+insecure://u@h.example:143", "smtp+oauthbearer://u@h.example:587", False),
    ("tls", "none", ()): ("imaps://h.example:993", "smtps+none://h.example:465", False),
    ("none", "none", ()): ("imap+insecure://h.example:143", "smtp+none://h.example:587", False),
}  # fmt: skip


@pytest.mark.parametrize(("case", "expected"), SCHEMES.items(), ids=lambda c: "-".join(map(str, c)))
def test_security_and_auth_choose_the_url_scheme(
    case: tuple[str, str, tuple[str, ...]], expected: tuple[str, str, bool]
) -> None:
    security, auth, mechanisms = case
    server: dict[str, Any] = {"host": "h.example", "security": security, "auth": auth, "username": "u"}
    if mechanisms:
        server["mechanisms"] = list(mechanisms)
    if auth == "password":
        server["password_command"] = "pw-cmd"
    if auth == "oauth2":
        server["token_command"] = "tok-cmd"
    rendered = render(
        {"a": {"address": "a@example.org", "incoming": server | {"protocol": "imap"}, "outgoing": server}}
    )
    assert rendered.gaps == ()
    [(_, keys)] = go_ini_sections(text_of(rendered))
    values = dict(keys)
    source, outgoing, starttls = expected
    assert (values["source"], values["outgoing"], "smtp-starttls" in values) == (source, outgoing, starttls)
    command = {"password": "pw-cmd", "oauth2": "tok-cmd"}.get(auth)
    assert (values.get("source-cred-cmd"), values.get("outgoing-cred-cmd")) == (command, command)


#: aerc 0.15 and later: smtp:// always sends STARTTLS, smtp+insecure:// never, the auth after it (lib/send/parse.go).
SCHEMES_0_15 = SCHEMES | {
    ("starttls", "password", ()): ("imap://u@h.example:143", "smtp+plain://u@h.example:587", False),
    ("none", "password", ()): ("imap+insecure://u@h.example:143", "smtp+insecure+plain://u@h.example:587", False),
    ("none", "oauth2", ("oauthbearer",)): (
        "imap+oauthbearer+insecure://u@h.example:143", "smtp+insecure+oauthbearer://u@h.example:587", False),
    ("none", "none", ()): ("imap+insecure://h.example:143", "smtp+insecure+none://h.example:587", False),
}  # fmt: skip


@pytest.mark.parametrize("version", ["0.15", "0.20", "0.20.1", "1.0"])
def test_aerc_0_15_and_later_get_their_smtp_schemes(version: str) -> None:
    for (security, auth, mechanisms), (source, outgoing, _) in SCHEMES_0_15.items():
        server: dict[str, Any] = {"host": "h.example", "security": security, "auth": auth, "username": "u",
                                  "password_command": "pw", "token_command": "tok"}  # fmt: skip
        server = {k: v for k, v in server.items() if k != {"password": "token_command"}.get(auth, "password_command")}
        if auth == "none":
            del server["token_command"]
        if mechanisms:
            server["mechanisms"] = list(mechanisms)
        rendered = render_with(
            TARGET, {"a": {"address": "a@example.org", "incoming": server | {"protocol": "imap"}, "outgoing": server}},
            {"version": version},
        )  # fmt: skip
        assert rendered.gaps == ()
        [(_, keys)] = go_ini_sections(text_of(rendered))
        values = dict(keys)
        assert (values["source"], values["outgoing"], "smtp-starttls" in values) == (source, outgoing, False)
        assert text_of(rendered).startswith(f"# aerc ({'.'.join(version.split('.')[:2])}) accounts written")


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("0.13", "--option version: mailconf writes for aerc 0.14 and later (Debian 12's), not 0.13"),
        ("0.9.9", "--option version: mailconf writes for aerc 0.14 and later (Debian 12's), not 0.9.9"),
        ("0.20.x", "--option version: write aerc's version as MAJOR.MINOR[.PATCH] (like 0.20), not 0.20.x"),
        ("1", "--option version: write aerc's version as MAJOR.MINOR[.PATCH] (like 0.20), not 1"),
        ("v0.20", "--option version: write aerc's version as MAJOR.MINOR[.PATCH] (like 0.20), not v0.20"),
        ("0.20\n", "--option version: write aerc's version as MAJOR.MINOR[.PATCH] (like 0.20), not '0.20\\n'"),
        # int() of 5,000 digits raised ValueError: an internal error (exit 3)
        (
            f"0.{'9' * 5000}",
            # cut after 240 characters, with how long it was (mailconf.errors.shown)
            f"--option version: write aerc's version as MAJOR.MINOR[.PATCH] (like 0.20), not 0.{'9' * 238}... "
            "(5002 characters)",
        ),
    ],
)
def test_a_version_that_is_not_one_or_is_older_than_0_14_is_a_usage_error(
    tmp_path: Path, version: str, message: str
) -> None:
    source = tmp_path / "accounts.yaml"
    source.write_text(yaml_text({"a": {"address": "a@example.org", "incoming": IMAP_NONE}}))
    out = tmp_path / "out"
    done = run_render("--option", f"version={version}", "--target", "aerc", str(source), "-o", str(out))
    assert (done.returncode, done.stderr, done.stdout, out.exists()) == (2, f"mailconf: {message}\n", "", False)


def test_gaps_name_the_version_and_default_is_read_from_aerc_0_18() -> None:
    account = {"address": "a@example.org", "incoming": _imap(993, username="a", password_command="p",
                                                             tls={"ca_file": "/ca.pem"})}  # fmt: skip
    assert [g.instead for g in render_with(TARGET, {"w": account}, {"version": "0.20.0"}).gaps] == [
        "aerc 0.20 has no CA setting: start aerc with SSL_CERT_FILE set to this file (Go reads it, for every "
        "account); until then the system CAs decide"
    ]
    gaps = {v: render_with(TARGET, {"DEFAULT": account}, {"version": v}).gaps for v in ("0.17", "0.18")}
    # left out for its name, with its other gaps all the same (docs/render.md, left-out accounts)
    ca = (
        "has no CA setting: start aerc with SSL_CERT_FILE set to this file (Go reads it, for every account); until "
        "then the system CAs decide"
    )
    assert gaps == {
        "0.17": (Gap("DEFAULT", "name", "aerc skips a section named DEFAULT (go-ini's default section): the account "
                                        "is left out; rename it"),
                 Gap("DEFAULT", "incoming.tls.ca_file", f"aerc 0.17 {ca}")),
        "0.18": (Gap("DEFAULT", "name", "aerc 0.18 reads a section named DEFAULT as settings for every account "
                                        "(go-ini's default section): the account is left out; rename it"),
                 Gap("DEFAULT", "incoming.tls.ca_file", f"aerc 0.18 {ca}")),
    }  # fmt: skip


def test_ipv6_hosts_are_bracketed() -> None:
    server = {"host": "::1", "port": 10, "security": "none", "auth": "none"}
    rendered = render(
        {"a": {"address": "a@example.org", "incoming": server | {"protocol": "imap"}, "outgoing": server}}
    )
    values = dict(go_ini_sections(text_of(rendered))[0][1])
    assert (values["source"], values["outgoing"]) == ("imap+insecure://[::1]:10", "smtp+none://[::1]:10")


def test_a_local_part_that_is_not_a_dot_atom_is_quoted() -> None:
    rendered = render({"a": {"address": "a..b.@example.org", "display_name": "A",
                             "incoming": {"protocol": "imap", "host": "h.example", "auth": "none"}}})  # fmt: skip
    assert dict(go_ini_sections(text_of(rendered))[0][1])["from"] == '"A" <"a..b."@example.org>'


# --- gaps ----------------------------------------------------------------------------------

PIN = "sha256:" + ":".join(["15"] * 32)
GAPS: list[tuple[str, dict[str, Any], list[tuple[str, str]]]] = [
    ("incoming", {"tls": {"ca_file": "/ca.pem"}},
     [("incoming.tls.ca_file", "aerc 0.14 has no CA setting: start aerc with SSL_CERT_FILE set to this file (Go "
                               "reads it, for every account); until then the system CAs decide")]),
    ("outgoing", {"tls": {"fingerprint": PIN}},
     [("outgoing.tls.fingerprint", "aerc 0.14 has no certificate pinning: the certificate is checked against the "
                                   "trusted CAs instead")]),
    ("incoming", {"tls": {"verify": False}},
     [("incoming.tls.verify", "aerc 0.14 verifies the certificate of every server written: the connection fails "
                              "where it does not verify; trust its CA with SSL_CERT_FILE")]),
    ("outgoing", {"tls": {"verify_hostname": False}},
     [("outgoing.tls.verify_hostname", "aerc 0.14 checks the host name of every server written: the connection "
                                       "fails where the certificate does not name the host")]),
    ("incoming", {"security": "none",
                  "tls": {"verify": False, "fingerprint": PIN, "ca_file": "/c", "min_version": "1.3"}},
     []),  # no TLS: nothing to verify
    ("incoming", {"tls": {"min_version": "1.2"}}, []),
    ("incoming", {"tls": {"min_version": "1.3"}},
     [("incoming.tls.min_version", "aerc 0.14 (Go's TLS client) accepts TLS 1.2 and 1.3 whatever is declared: 1.3 "
                                   "is not enforced as written")]),
    ("outgoing", {"tls": {"min_version": "1.0"}},
     [("outgoing.tls.min_version", "aerc 0.14 (Go's TLS client) accepts TLS 1.2 and 1.3 whatever is declared: 1.0 "
                                   "is not enforced as written")]),
    ("incoming", {"auth": "client-cert", "password_command": None,
                  "tls": {"client_cert": "/c.pem", "client_key": "/k.pem"}},
     [("incoming.auth", "aerc 0.14 has no client-cert authentication: the server is written without it"),
      ("incoming.tls.client_cert", "aerc 0.14 has no client certificates: they are left out")]),
    ("outgoing", {"tls": {"client_cert": "/both.pem"}},
     [("outgoing.tls.client_cert", "aerc 0.14 has no client certificates: they are left out")]),
    ("incoming", {"tls": {"client_key": "/k.pem"}},  # named as declared (it said incoming.tls.client_cert)
     [("incoming.tls.client_key", "aerc 0.14 has no client certificates: the key is left out")]),
    ("incoming", {"auth": "gssapi", "password_command": None},
     [("incoming.auth", "aerc 0.14 has no gssapi authentication: the server is written without it")]),
    ("outgoing", {"auth": "ntlm", "password_command": "p"},
     [("outgoing.auth", "aerc 0.14 has no ntlm authentication: the server is written without it"),
      ("outgoing.password_command", "auth ntlm does not use it, so it is left out; remove it or change auth")]),
    ("incoming", {"mechanisms": ["scram-sha-256", "cram-md5"]},
     [("incoming.mechanisms", "aerc 0.14 can use only plain or login here: none of the mechanisms named is used")]),
    ("incoming", {"mechanisms": ["scram-sha-256", "login"]}, []),
    ("outgoing", {"auth": "oauth2", "token_command": "t", "password_command": None, "mechanisms": ["plain"]},
     [("outgoing.mechanisms",
       "aerc 0.14 can use only xoauth2 or oauthbearer here: none of the mechanisms named is used")]),
    ("incoming", {"auth": "oauth2", "password_command": None},
     [("incoming.token_command", "auth oauth2 needs a token_command that prints an access token (lint: MC302); "
                                 "without one the client cannot log in: add it")]),
    ("incoming", {"auth": "oauth2", "token_command": "t"},
     [("incoming.password_command", "auth oauth2 does not use it, so it is left out; use token_command for oauth2")]),
    ("outgoing", {"password_command": None},
     [("outgoing.password_command", "aerc 0.14 does not ask for a password: without password_command it logs in "
                                    "with an empty one; add it")]),
    ("outgoing", {"token_command": "t"},
     [("outgoing.token_command", "auth password does not use it, so it is left out; remove it or change auth")]),
    ("outgoing", {"timeout": 30}, [("outgoing.timeout", "aerc 0.14 has no SMTP timeout setting: it is left out")]),
    ("incoming", {"timeout": 0},
     [("incoming.timeout", "aerc 0.14 reads connection-timeout 0 as 'give up at once': left out, so aerc's default "
                           "of 30 seconds applies; give a number of seconds")]),
    ("outgoing", {"host": "::1"},
     [("outgoing.host", "aerc 0.14 cuts an IPv6 address at its first ':' to check the SMTP server's certificate, "
                        "so the check fails: use a host name")]),
    ("outgoing", {"host": "::1", "security": "none"}, []),
]  # fmt: skip


@pytest.mark.parametrize(("side", "changes", "gaps"), GAPS)
def test_gaps_are_reported_exactly(side: str, changes: dict[str, Any], gaps: list[tuple[str, str]]) -> None:
    servers = {
        "incoming": {"protocol": "imap", "host": "imap.example.org", "password_command": "p"},
        "outgoing": {"host": "smtp.example.org", "password_command": "p"},
    }
    servers[side] = {k: v for k, v in (servers[side] | changes).items() if v is not None}
    rendered = render({"work": {"address": "a@example.org", **servers}})
    assert [(g.setting, g.instead) for g in rendered.gaps] == gaps
    assert {g.account for g in rendered.gaps} <= {"work"}
    [(name, _)] = go_ini_sections(text_of(rendered))
    assert name == "work"


#: The gap of tls.verify: false on a server aerc 0.18 and later still verify (SMTP, STARTTLS, a pinned server).
VERIFY_0_18 = (
    "aerc 0.20 skips certificate checks only for IMAP with security tls (imaps+insecure://, never written with "
    "tls.fingerprint): this server is verified, and the connection fails where it does not verify; trust its CA "
    "with SSL_CERT_FILE"
)


@pytest.mark.parametrize(
    ("version", "incoming", "source", "gaps"),
    [
        ("0.17", {"tls": {"verify": False}}, "imaps://u@h.example:993",
         [("incoming.tls.verify", "aerc 0.17 verifies the certificate of every server written: the connection fails "
                                  "where it does not verify; trust its CA with SSL_CERT_FILE")]),
        ("0.18", {"tls": {"verify": False}}, "imaps+insecure://u@h.example:993", []),
        ("0.20", {"tls": {"verify": False}}, "imaps+insecure://u@h.example:993", []),
        ("0.20", {"tls": {"verify": False, "verify_hostname": False}}, "imaps+insecure://u@h.example:993", []),
        ("0.20", {"tls": {"verify": False, "ca_file": "/ca.pem"}}, "imaps+insecure://u@h.example:993",
         [("incoming.tls.ca_file", "aerc 0.20 checks no certificate of this server (imaps+insecure://, written for "
                                   "tls.verify: false): the CA file is not used")]),
        ("0.17", {"tls": {"verify": False, "ca_file": "/ca.pem"}}, "imaps://u@h.example:993",
         [("incoming.tls.ca_file", "aerc 0.17 has no CA setting: start aerc with SSL_CERT_FILE set to this file (Go "
                                   "reads it, for every account); until then the system CAs decide"),
          ("incoming.tls.verify", "aerc 0.17 verifies the certificate of every server written: the connection fails "
                                  "where it does not verify; trust its CA with SSL_CERT_FILE")]),
        ("0.20", {"auth": "oauth2", "token_command": "t", "password_command": None, "tls": {"verify": False}},
         "imaps+xoauth2+insecure://u@h.example:993", []),
        ("0.20", {"tls": {"verify_hostname": False}}, "imaps://u@h.example:993",
         [("incoming.tls.verify_hostname", "aerc 0.20 checks the host name of every server written: the connection "
                                           "fails where the certificate does not name the host")]),
        ("0.20", {"security": "starttls", "tls": {"verify": False}}, "imap://u@h.example:143",
         [("incoming.tls.verify", VERIFY_0_18)]),
        ("0.20", {"tls": {"verify": False, "fingerprint": PIN}}, "imaps://u@h.example:993",
         [("incoming.tls.fingerprint", "aerc 0.20 has no certificate pinning: the certificate is checked against the "
                                       "trusted CAs instead"),
          ("incoming.tls.verify", VERIFY_0_18)]),
    ],
)  # fmt: skip
def test_aerc_0_18_and_later_skip_imaps_checks_where_verify_is_false(
    version: str, incoming: dict[str, Any], source: str, gaps: list[tuple[str, str]]
) -> None:
    server = {"protocol": "imap", "host": "h.example", "username": "u", "password_command": "p"} | incoming
    server = {k: v for k, v in server.items() if v is not None}
    outgoing = {"host": "h.example", "username": "u", "password_command": "p", "tls": {"verify": False}}
    rendered = render_with(TARGET, {"a": {"address": "a@example.org", "incoming": server, "outgoing": outgoing}},
                           {"version": version})  # fmt: skip
    # SMTP: no aerc skips the checks (lib/send has no InsecureSkipVerify)
    smtp_gap = ("outgoing.tls.verify", VERIFY_0_18.replace("0.20", version)) if version >= "0.18" else (
        "outgoing.tls.verify", f"aerc {version} verifies the certificate of every server written: the connection "
        "fails where it does not verify; trust its CA with SSL_CERT_FILE")  # fmt: skip
    assert [(g.setting, g.instead) for g in rendered.gaps] == [*gaps, smtp_gap]
    values = dict(go_ini_sections(text_of(rendered))[0][1])
    assert (values["source"], values["outgoing"]) == (source, "smtps+plain://u@h.example:465")


@pytest.mark.parametrize(
    ("account", "gap"),
    [
        ({"incoming": {"protocol": "pop3", "host": "pop.example.org", "leave_on_server": True}},
         Gap("work", "incoming.protocol", "aerc has no POP3: the account is left out (use the fetchmail target)")),
        ({"outgoing": {"host": "smtp.example.org", "auth": "none"}},
         Gap("work", "incoming", "aerc 0.14 needs an incoming IMAP server (source) for every account: the account "
                                 "is left out (use the msmtp target to send)")),
    ],
)  # fmt: skip
def test_accounts_aerc_cannot_hold_are_left_out(account: dict[str, Any], gap: Gap) -> None:
    kept = {"protocol": "imap", "host": "imap.example.org", "auth": "none"}
    rendered = render({"work": {"address": "a@example.org", **account},
                       "kept": {"address": "k@example.org", "incoming": kept}})  # fmt: skip
    assert list(rendered.gaps) == [gap]
    assert [name for name, _ in go_ini_sections(text_of(rendered))] == ["kept"]


def test_an_account_named_default_is_left_out() -> None:
    incoming = {"protocol": "imap", "host": "imap.example.org", "auth": "none"}
    rendered = render({"DEFAULT": {"address": "a@example.org", "incoming": incoming}})
    assert rendered == Rendered((), (Gap("DEFAULT", "name", "aerc skips a section named DEFAULT (go-ini's default "
                                         "section): the account is left out; rename it"),))  # fmt: skip


#: render's one line for two accounts [PARENT] and [PARENT.more], exactly.
INHERITED = (
    "target aerc: not rendered: account {child}: name: aerc 0.15 and later read each setting missing from "
    "[{child}] in [{parent}] (go-ini reads the dot as a subsection), so account {parent}'s password command or "
    "outgoing server could serve {child}; rename one of the two accounts"
)
IMAP_NONE = {"protocol": "imap", "host": "imap.example.org", "auth": "none"}


@pytest.mark.parametrize(
    ("names", "child", "parent"),
    [
        (["work", "work.home"], "work.home", "work"),
        (["work.home", "work"], "work.home", "work"),  # whatever the order in the file
        (["a", "a.b.c"], "a.b.c", "a"),  # GetKey skips a missing [a.b] and goes on to [a]
        (["a.b.c", "a.b", "a"], "a.b.c", "a.b"),  # the nearest, which GetKey reads first
        (["a", "a..b"], "a..b", "a"),  # [a.] is missing, [a] is not
    ],
)
def test_an_account_named_after_another_and_a_dot_is_refused_naming_both(
    names: list[str], child: str, parent: str
) -> None:
    # aerc 0.15+ would read [work.home]'s missing source-cred-cmd or outgoing in [work] (the module docstring)
    with pytest.raises(RenderError) as caught:
        render({name: {"address": "a@example.org", "incoming": IMAP_NONE} for name in names})
    assert str(caught.value) == INHERITED.format(child=child, parent=parent)


@pytest.mark.parametrize(
    "names",
    [["work", "work-home"], ["work", "work_home"], ["work.home", "work.office"], ["Work", "work.home"],
     ["work.home"], ["home", "work.home"], ["work.home", "home.work"]],
)  # fmt: skip
def test_names_go_ini_does_not_nest_are_written(names: list[str]) -> None:
    rendered = render({name: {"address": "a@example.org", "incoming": IMAP_NONE} for name in names})
    assert [name for name, _ in go_ini_sections(text_of(rendered))] == names


def test_a_parent_that_is_left_out_does_not_refuse_its_child() -> None:
    # no [work] section is written, so [work.home] has no parent to read from
    pop3 = {"protocol": "pop3", "host": "pop.example.org", "leave_on_server": True}
    rendered = render({"work": {"address": "a@example.org", "incoming": pop3},
                       "work.home": {"address": "h@example.org", "incoming": IMAP_NONE}})  # fmt: skip
    assert list(rendered.gaps) == [Gap("work", "incoming.protocol", "aerc has no POP3: the account is left out "
                                                                    "(use the fetchmail target)")]  # fmt: skip
    assert [name for name, _ in go_ini_sections(text_of(rendered))] == ["work.home"]


def test_the_cli_refuses_a_dotted_child_in_one_line_and_writes_nothing(tmp_path: Path) -> None:
    accounts = {"work": {"address": "a@example.org", "incoming": IMAP_NONE},
                "work.home": {"address": "h@example.org", "incoming": IMAP_NONE}}  # fmt: skip
    _, errors = refused_render(tmp_path, yaml_text(accounts), "aerc")
    assert errors == [
        "mailconf: target aerc: not rendered: account work.home: name: aerc 0.15 and later read each setting missing "
        "from [work.home] in [work] (go-ini reads the dot as a subsection), so account work's password command or "
        "outgoing server could serve work.home; rename one of the two accounts"
    ]


def test_output_is_deterministic() -> None:
    accounts = {"a": {"address": "a@example.org", "incoming": {"protocol": "imap", "host": "imap.example.org"}}}
    assert render(accounts) == render(accounts)


CONTROL = "aerc reads one line per setting: a control character (line break, NUL) cannot be written"


@pytest.mark.parametrize(
    ("incoming", "outgoing", "display_name", "message"),
    [
        (imap_server(password_command="p\nsource-cred-cmd = touch x"), None, None,
         f"incoming.password_command: {CONTROL}"),
        (imap_server(auth=Auth.OAUTH2, token_command="t\r"), None, None, f"incoming.token_command: {CONTROL}"),
        (imap_server(), imap_server(protocol=Protocol.SMTP, password_command="p\0"), None,
         f"outgoing.password_command: {CONTROL}"),
        (imap_server(), None, "A\nsource-cred-cmd = touch x", f"display_name: {CONTROL}"),
    ],
)  # fmt: skip
def test_a_value_aerc_cannot_read_stops_the_render_naming_account_and_setting(
    incoming: Server, outgoing: Server | None, display_name: str | None, message: str
) -> None:
    # The schema already refuses control characters; this is the target's own guard (a Model built directly).
    account = Account("work", "a@example.org", display_name, None, incoming, outgoing)
    assert refusal(TARGET, account) == f"target aerc: not rendered: account work: {message}"


def test_a_user_name_with_a_line_break_is_percent_encoded() -> None:
    model = Model(
        (Account("work", "a@example.org", None, None, imap_server(username="a\nb", password_command="p"), None),)
    )
    values = dict(go_ini_sections(text_of(render_model(TARGET, model, {})))[0][1])
    assert values["source"] == "imaps://a%0Ab@imap.example.org:993"


def test_the_cli_writes_the_file_with_mode_0600(tmp_path: Path) -> None:
    source = tmp_path / "accounts.yaml"
    incoming = {"protocol": "imap", "host": "h.example", "auth": "none"}
    source.write_text(yaml_text({"work": {"address": "a@example.org", "incoming": incoming}}))
    out = tmp_path / "out"
    assert main(["render", "--target", "aerc", str(source), "-o", str(out)]) == 0
    assert [p.name for p in out.iterdir()] == ["accounts.conf"]
    assert stat.S_IMODE((out / "accounts.conf").stat().st_mode) == 0o600


def test_a_yaml_escaped_newline_never_reaches_the_file(tmp_path: Path) -> None:
    source, errors = refused_render(
        tmp_path, ONE_IMAP_ACCOUNT + '      password_command: "pass x\\nsource-cred-cmd = touch canary"\n', "aerc"
    )
    assert errors[0] == (
        f"{source}:8:25: error MC002 schema-violation: `password_command` is not valid: "
        "write the command on one line without control characters (C0, DEL, C1) or line and paragraph "
        "separators (U+2028, U+2029)"
    )


# --- read back by aerc ---------------------------------------------------------------------


def _recording_command(directory: Path, secret: str) -> str:
    """A command that writes ``secret`` to directory/ran (proof of the exact command aerc ran) and prints it.

    The shell sees the secret single-quoted: only aerc or go-ini misreading the command changes what is
    written (and a substitution that ran would leave a CANARY)."""
    quoted = shlex.quote(secret)
    return f"cd {shlex.quote(str(directory))} && printf '%s' {quoted} > ran && printf '%s\\n' {quoted}"


def _imap(port: int, security: str = "tls", **more: Any) -> dict[str, Any]:
    return {"protocol": "imap", "host": "localhost", "port": port, "security": security, **more}


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "home"
    path.mkdir(mode=0o700)
    yield path


#: How each aerc logs in with a password: 0.20 with AUTHENTICATE PLAIN, which the stub offers (LOGIN otherwise).
PASSWORD_LOGIN = {"0.14": "LOGIN", "0.20": "AUTHENTICATE PLAIN"}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    ("security", "auth", "mechanisms", "command"),
    [
        ("tls", "password", [], "LOGIN"),
        ("starttls", "password", [], "LOGIN"),
        ("none", "password", [], "LOGIN"),
        ("tls", "oauth2", [], "AUTHENTICATE XOAUTH2"),
        ("starttls", "oauth2", ["oauthbearer"], "AUTHENTICATE OAUTHBEARER"),
        ("none", "oauth2", ["oauthbearer"], "AUTHENTICATE OAUTHBEARER"),
    ],
)
def test_aerc_logs_in_as_written(  # noqa: PLR0917 (pytest fixtures)
    tmp_path: Path,
    home: Path,
    certs: Certificates,
    security: str,
    auth: str,
    mechanisms: list[str],
    command: str,
    version: str,
) -> None:
    if command == "LOGIN":
        command = PASSWORD_LOGIN[version]
    field = "token_command" if auth == "oauth2" else "password_command"
    with ImapStub(server_context(certs.good), implicit=security == "tls") as server:
        incoming = _imap(server.port, security, auth=auth, username="alice@example.org",
                         **{field: _recording_command(tmp_path, "s3cret")})  # fmt: skip
        if mechanisms:
            incoming["mechanisms"] = mechanisms
        rendered = render_with(TARGET, {"work": {"address": "a@example.org", "incoming": incoming}},
                               {"version": version})  # fmt: skip
        assert rendered.gaps == ()
        with aerc(text_of(rendered).encode(), home, version, SSL_CERT_FILE=str(certs.ca)) as client:
            logins = server.wait_for_login()
            screen = client.wait_for("[work] Connected")
    assert logins == [Login(security != "none", command, "alice@example.org", "s3cret")], screen
    assert "[work] Connected" in screen, screen
    assert (tmp_path / "ran").read_text() == "s3cret"


#: User names with every character the source URL must percent-encode (RFC 3986's delimiters, %, +, a blank,
#: non-ASCII), and ones that would decode wrongly if written raw: %41 (A), + (a blank to a form decoder).
URL_USERS = ["a@b:c/d?e#f%g+h i", "%41%2F+%20?#", "@:/?#%+ ", "ü 😀\u00a0é"]


@pytest.mark.parametrize("version", VERSIONS)
def test_user_names_the_url_must_encode_log_in_exactly(home: Path, version: str) -> None:
    # One aerc run: an account per name, all at one stub, each with its own password to tell them apart. The
    # hostile-values test draws these characters at random; here each is certain to be tried, in the source URL.
    with ImapStub(None, implicit=False, offer_starttls=False) as server:
        accounts = {f"u{n}": {"address": "a@example.org",
                              "incoming": _imap(server.port, "none", username=user, password_command=f"echo pw{n}")}
                    for n, user in enumerate(URL_USERS)}  # fmt: skip
        rendered = render_with(TARGET, accounts, {"version": version})
        assert rendered.gaps == ()
        with aerc(text_of(rendered).encode(), home, version):
            deadline = time.monotonic() + AERC_TIMEOUT  # aerc connects every account at start
            while len(server.logins) < len(URL_USERS) and time.monotonic() < deadline:
                time.sleep(0.05)
    assert sorted(server.logins, key=lambda login: login.secret) == [
        Login(False, PASSWORD_LOGIN[version], user, f"pw{n}") for n, user in enumerate(URL_USERS)
    ]


class _LoginOnlyStub(ImapStub):
    """Offers no AUTH=PLAIN (nor any other SASL mechanism)."""

    CAPABILITIES = "IMAP4rev1"


@pytest.mark.parametrize("version", VERSIONS)
def test_aerc_logs_in_with_login_where_the_server_offers_no_auth_plain(
    home: Path, certs: Certificates, version: str
) -> None:
    # what the docs say of aerc 0.20: AUTHENTICATE PLAIN where the server offers it, LOGIN otherwise (0.14: LOGIN)
    with _LoginOnlyStub(server_context(certs.good), implicit=True) as server:
        incoming = _imap(server.port, username="alice", password_command="echo pw")
        rendered = render_with(TARGET, {"work": {"address": "a@example.org", "incoming": incoming}},
                               {"version": version})  # fmt: skip
        with aerc(text_of(rendered).encode(), home, version, SSL_CERT_FILE=str(certs.ca)) as client:
            logins = server.wait_for_login()
            screen = client.wait_for("[work] Connected")
    assert logins == [Login(True, "LOGIN", "alice", "pw")], screen


@pytest.mark.parametrize("version", VERSIONS)
def test_imap_starttls_is_mandatory(tmp_path: Path, home: Path, certs: Certificates, version: str) -> None:
    # imap:// in aerc 0.14 and 0.20 always sends STARTTLS: a server that does not offer it never sees the login
    with ImapStub(server_context(certs.good), implicit=False, offer_starttls=False) as server:
        incoming = _imap(server.port, "starttls", username="alice", password_command="echo pw")
        conf = render_with(TARGET, {"work": {"address": "a@example.org", "incoming": incoming}}, {"version": version})
        with aerc(text_of(conf).encode(), home, version, SSL_CERT_FILE=str(certs.ca)) as client:
            screen = client.wait_for("work: ")
    assert server.logins == []
    assert "work: " in screen and "[work] Connected" not in screen, screen


@pytest.mark.parametrize("version", VERSIONS)
def test_without_the_ca_aerc_refuses_the_server(tmp_path: Path, home: Path, certs: Certificates, version: str) -> None:
    # aerc 0.14 and 0.20 have no CA setting: the test CA is trusted only through SSL_CERT_FILE (the others use it)
    with ImapStub(server_context(certs.good), implicit=True) as server:
        incoming = _imap(server.port, "tls", username="alice", password_command="echo pw")
        accounts = {"work": {"address": "a@example.org", "incoming": incoming}}
        conf = text_of(render_with(TARGET, accounts, {"version": version})).encode()
        with aerc(conf, home, version) as client:
            screen = client.wait_for("x509: certificate signed by unknown authority")
    assert "x509: certificate signed by unknown authority" in screen, screen
    assert server.logins == []


@pytest.mark.parametrize("verify", [False, True])
def test_aerc_0_20_skips_the_imaps_checks_only_where_verify_is_false(
    tmp_path: Path, home: Path, certs: Certificates, verify: bool
) -> None:
    # a certificate aerc cannot verify: its own issuer (no SSL_CERT_FILE either), and not localhost's name
    with ImapStub(server_context(certs.self_signed), implicit=True) as server:
        incoming = _imap(server.port, "tls", username="alice", password_command="echo pw", tls={"verify": verify})
        accounts = {"work": {"address": "a@example.org", "incoming": incoming}}
        rendered = render_with(TARGET, accounts, {"version": "0.20"})
        with aerc(text_of(rendered).encode(), home, "0.20") as client:
            screen = client.wait_for("x509: " if verify else "[work] Connected")
            logins = server.wait_for_login(0.5) if verify else server.logins  # refused: a short wait shows none came
    if verify:
        assert "x509: " in screen and "[work] Connected" not in screen, screen
        assert logins == []
    else:
        assert "[work] Connected" in screen, screen
        assert logins == [Login(True, "AUTHENTICATE PLAIN", "alice", "pw")]


@pytest.mark.parametrize("where", ["file", "dir"])
def test_go_trusts_the_ca_named_in_the_environment(tmp_path: Path, home: Path, certs: Certificates, where: str) -> None:
    # what the docs advise instead of tls.ca_file: SSL_CERT_FILE (alone, the folders emptied by SSL_CERT_DIR), or
    # a folder of CAs in SSL_CERT_DIR (the file pointing nowhere)
    folder = tmp_path / "cas"
    folder.mkdir()
    (folder / "ca.pem").write_bytes(certs.ca.read_bytes())
    env = (
        {"SSL_CERT_FILE": str(certs.ca), "SSL_CERT_DIR": str(tmp_path / "none")}
        if where == "file"
        else {"SSL_CERT_FILE": str(tmp_path / "none.pem"), "SSL_CERT_DIR": str(folder)}
    )
    with ImapStub(server_context(certs.good), implicit=True) as server:
        incoming = _imap(server.port, "tls", username="alice", password_command="echo pw")
        conf = text_of(render({"work": {"address": "a@example.org", "incoming": incoming}})).encode()
        with aerc(conf, home, **env) as client:
            logins = server.wait_for_login()
            screen = client.wait_for("[work] Connected")
    assert logins == [Login(True, "LOGIN", "alice", "pw")], screen


#: The TLS versions a server speaks -> whether aerc logs in (aerc 0.14 and 0.20: Go's client, TLS 1.2 and 1.3 only).
TLS_RANGES = {
    (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1): False,  # refused: a tls.min_version of 1.0 or 1.1 is a gap
    (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_2): True,  # taken: a tls.min_version of 1.3 is not enforced
    (ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_3): True,
}


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning")  # the old versions are the point
@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("versions", TLS_RANGES, ids=lambda v: f"{v[0].name}-{v[1].name}")
def test_aerc_speaks_tls_1_2_and_1_3_only(
    home: Path, certs: Certificates, versions: tuple[ssl.TLSVersion, ssl.TLSVersion], version: str
) -> None:
    # Why tls.min_version other than 1.2 is a gap (Go 1.19 in aerc 0.14, Go 1.24 in aerc 0.20)
    context = server_context(certs.good, versions[1])
    context.set_ciphers("DEFAULT:@SECLEVEL=0")  # this OpenSSL speaks TLS 1.0 and 1.1 only so
    context.minimum_version = versions[0]
    logs_in = TLS_RANGES[versions]
    with ImapStub(context, implicit=True) as server:
        incoming = _imap(server.port, username="alice", password_command="echo pw")
        conf = text_of(render_with(TARGET, {"work": {"address": "a@example.org", "incoming": incoming}},
                                   {"version": version}))  # fmt: skip
        shown = "[work] Connected" if logs_in else "work: remote error: tls: protocol version not supported"
        with aerc(conf.encode(), home, version, SSL_CERT_FILE=str(certs.ca)) as client:
            screen = client.wait_for(shown)
            logins = server.wait_for_login() if logs_in else server.logins
    assert shown in screen, screen
    assert logins == ([Login(True, PASSWORD_LOGIN[version], "alice", "pw")] if logs_in else [])


@pytest.mark.parametrize("version", VERSIONS)
def test_aerc_presents_no_client_certificate(home: Path, certs: Certificates, version: str) -> None:
    # Why tls.client_cert is a gap: a server that requires one (of the test CA) refuses aerc's handshake
    context = server_context(certs.good)
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cafile=str(certs.ca))
    with ImapStub(context, implicit=True) as server:
        incoming = _imap(server.port, username="alice", password_command="echo pw")
        conf = text_of(render_with(TARGET, {"work": {"address": "a@example.org", "incoming": incoming}},
                                   {"version": version}))  # fmt: skip
        with aerc(conf.encode(), home, version, SSL_CERT_FILE=str(certs.ca)) as client:
            screen = client.wait_for("work: remote error: tls: certificate required")
    assert "work: remote error: tls: certificate required" in screen, screen
    assert server.logins == []


@pytest.mark.parametrize("version", VERSIONS)
def test_connection_timeout_takes_effect(tmp_path: Path, home: Path, version: str) -> None:
    with ScriptedServer(never_greet) as server:
        incoming = _imap(server.port, "tls", username="alice", password_command="echo pw", timeout=1)
        conf = text_of(render_with(TARGET, {"work": {"address": "a@example.org", "incoming": incoming}},
                                   {"version": version}))  # fmt: skip
        assert "\nconnection-timeout = 1s\n" in conf
        with aerc(conf.encode(), home, version) as client:
            screen = client.wait_for("i/o timeout")  # aerc's default, 30 s, would not show within the wait
    assert "i/o timeout" in screen, screen


@pytest.mark.parametrize("version", VERSIONS)
def test_connection_timeout_0_gives_up_at_once(tmp_path: Path, home: Path, certs: Certificates, version: str) -> None:
    # Why timeout 0 is left out (a gap): aerc 0.14 and 0.20 race the connection against a 0-second timer
    with ImapStub(server_context(certs.good), implicit=True) as server:
        incoming = _imap(server.port, username="alice", password_command="echo pw", timeout=5)
        conf = text_of(render_with(TARGET, {"work": {"address": "a@example.org", "incoming": incoming}},
                                   {"version": version}))  # fmt: skip
        with aerc(conf.replace("connection-timeout = 5s", "connection-timeout = 0s").encode(), home, version,
                  SSL_CERT_FILE=str(certs.ca)) as client:  # fmt: skip
            screen = client.wait_for("work: tcp connection timeout")
    assert "work: tcp connection timeout" in screen, screen


# --- hostile values ------------------------------------------------------------------------

#: Every quoting character go-ini, the shell, URLs or YAML can trip on, and YAML's own line breaks (\N \L \P).
ASCII_HOSTILE = [*" \"'\\`$();#%&|<>*?!~{}=,.:@/+-[]aZ09x", "$(touch CANARY)", "`touch CANARY`", '\\"', "\\n",
                 "%(source)s", '"""', "%41"]  # fmt: skip


HOSTILE = strings(ASCII_HOSTILE + NON_ASCII + UNICODE_HOSTILE)

#: an address's local part: no blanks or @<>()[]\\,;:" (the schema's address pattern)
HOSTILE_LOCAL = strings([c for c in ASCII_HOSTILE if not set(c) & set(' @<>()[]\\,;:"')] + ["é", "😀", "𝄞"])

EXPECTED_KEYS = ["source", "source-cred-cmd", "connection-timeout", "outgoing", "outgoing-cred-cmd", "from"]


@pytest.mark.parametrize("version", VERSIONS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(user=HOSTILE, secret=HOSTILE, name=HOSTILE, local=HOSTILE_LOCAL, outgoing_command=HOSTILE)
def test_hostile_values_read_back_exactly_and_run_nothing_else(  # noqa: PLR0917
    tmp_path: Path,
    certs: Certificates,
    user: str,
    secret: str,
    name: str,
    local: str,
    outgoing_command: str,
    version: str,
) -> None:
    if version != "0.14":  # %(source)s is refused for them (test_a_setting_named_...): a name go-ini leaves as is
        secret, name, outgoing_command = (
            v.replace("%(source)s", "%(nokey)s") for v in (secret, name, outgoing_command)
        )
    base = tmp_path / os.urandom(6).hex()
    home = base / "home"
    home.mkdir(parents=True, mode=0o700)
    with ImapStub(server_context(certs.good), implicit=True) as server:
        incoming = _imap(server.port, username=user, password_command=_recording_command(base, secret), timeout=20)
        # outgoing-cred-cmd runs only when sending: a hostile one must not run while aerc loads the file
        outgoing = {"host": "localhost", "port": 1, "username": user, "password_command": outgoing_command}
        rendered = render_with(TARGET, {"work": {"address": f"{local}@example.org", "display_name": name,
                                                 "incoming": incoming, "outgoing": outgoing}},
                               {"version": version})  # fmt: skip
        text = text_of(rendered)
        with aerc(text.encode(), home, version, SSL_CERT_FILE=str(certs.ca)) as client:
            logins = server.wait_for_login()
            screen = client.wait_for("[work] Connected")
            parsed_from = client.parsed_from("work")
    assert logins == [Login(True, PASSWORD_LOGIN[version], user, _go_trim(secret))], screen
    assert (base / "ran").read_text("utf-8") == secret  # source-cred-cmd, exactly
    assert not (home / "CANARY").exists() and not (base / "CANARY").exists()
    [(section, keys)] = go_ini_sections(text)
    assert (section, [k for k, _ in keys]) == ("work", EXPECTED_KEYS)
    values = dict(keys)
    assert values["outgoing-cred-cmd"] == outgoing_command
    dot_atom = not (local.startswith(".") or local.endswith(".") or ".." in local)
    written_local = local if dot_atom else f'"{local}"'
    if version == "0.14":
        assert parsed_from == [values["from"]]  # what aerc read is what was written
    else:  # aerc 0.20 logs the name and address it read, the name RFC 2047-encoded where it is not ASCII
        assert [_name_and_address(f) for f in parsed_from] == [(name, f"{written_local}@example.org")]
    assert values["from"] == f"{rfc5322_quoted(name)} <{written_local}@example.org>"
    assert rfc5322_quoted(name) == '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _name_and_address(header: str) -> tuple[str, str]:
    """The display name (RFC 2047 decoded) and address of a From value; parsed by hand: the default policy's
    parser drops a no-break space from a decoded name."""
    raw_name, address = email.utils.parseaddr(header)
    return str(email.header.make_header(email.header.decode_header(raw_name))), address


#: (user, password, display name) sent through SMTP; the names hold no " or \ (aerc rewrites those: a gap)
SEND_CASES = [
    ('u@x:/%#; "q', 'p$(touch CANARY) `touch CANARY` "#;\\', "Ann #; `x` $(y) % 'z' 😀", "a#$%&'*+=?^`{|}~!.b"),
    ("ü𝄞\u00a0 é", ' \u00a0%41 %(source)s """ ', "Ünïcödé 𝄞 \u00a0name", "a.b"),
]


#: What aerc 0.15 and later show at start for a file that still says smtp-starttls (a popup over the UI).
STARTTLS_DEPRECATED = "smtp-starttls is deprecated"


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    ("security", "case"), [("tls", SEND_CASES[0]), ("starttls", SEND_CASES[1]), ("none", SEND_CASES[0])]
)
def test_aerc_sends_as_written(  # noqa: PLR0917 (pytest fixtures)
    tmp_path: Path, home: Path, certs: Certificates, security: str, case: tuple[str, str, str, str], version: str
) -> None:
    # security none: a server without STARTTLS, which aerc 0.15 and later refuse on smtp:// (they always send it)
    user, password, name, local = case
    if version != "0.14":  # %(source)s is refused for them (test_interpolation_...): a name go-ini leaves as is
        password = password.replace("%(source)s", "%(nokey)s")
    address = f"{local}@example.org"
    tls = None if security == "none" else certs.good
    with ImapStub(server_context(certs.good), implicit=True) as imap, \
         SmtpServer(tls, implicit=security == "tls", users=[User(user, _go_trim(password))]) as smtp:  # fmt: skip
        outgoing = {"host": "localhost", "port": smtp.port, "security": security, "username": user,
                    "password_command": _recording_command(tmp_path, password)}  # fmt: skip
        incoming = _imap(imap.port, username="reader", password_command="echo pw")
        rendered = render_with(TARGET, {"work": {"address": address, "display_name": name,
                                                 "incoming": incoming, "outgoing": outgoing}},
                               {"version": version})  # fmt: skip
        assert rendered.gaps == ()
        with aerc(text_of(rendered).encode(), home, version, SSL_CERT_FILE=str(certs.ca), EDITOR="true") as client:
            started = client.wait_for("[work] Connected")
            assert not (tmp_path / "ran").exists()  # outgoing-cred-cmd runs only when sending
            client.term.keys(":compose -H To:bob@example.net -H Subject:aerc-send hello", "Enter")
            review = client.wait_for("Send this email?")
            client.term.keys("y")
            screen = client.wait_for("Message sent.", SEND_TIMEOUT)
    assert "Message sent." in screen, (review, screen)
    assert STARTTLS_DEPRECATED not in started + review + screen, started
    [received] = smtp.messages
    assert (received.login, received.mail_from, received.rcpt_tos) == (user, address, ("bob@example.net",))
    assert _name_and_address(str(email.message_from_bytes(received.content)["From"])) == (name, address)
    assert (tmp_path / "ran").read_text("utf-8") == password  # outgoing-cred-cmd, exactly
    assert not (home / "CANARY").exists() and not (tmp_path / "CANARY").exists()


def _sent_as(
    name: str, home: Path, certs: Certificates, version: str, refusal: str | None = None
) -> tuple[Rendered, list[Any], str, str]:
    """One account with display_name ``name`` rendered for aerc ``version``, and a message composed and sent in aerc
    through a local SMTP server: the render, the messages the server received, and the screen at the send's review
    and after it (until "Message sent." or ``refusal``)."""
    with ImapStub(server_context(certs.good), implicit=True) as imap, \
         SmtpServer(certs.good, implicit=True, users=[User("u", "pw")]) as smtp:  # fmt: skip
        outgoing = {"host": "localhost", "port": smtp.port, "username": "u", "password_command": "echo pw"}
        incoming = _imap(imap.port, username="reader", password_command="echo pw")
        rendered = render_with(TARGET, {"work": {"address": "ann@example.org", "display_name": name,
                                                 "incoming": incoming, "outgoing": outgoing}},
                               {"version": version})  # fmt: skip
        with aerc(text_of(rendered).encode(), home, version, SSL_CERT_FILE=str(certs.ca), EDITOR="true") as client:
            client.wait_for("[work] Connected")
            client.term.keys(":compose -H To:bob@example.net -H Subject:aerc-send hello", "Enter")
            review = client.wait_for("Send this email?")
            client.term.keys("y")
            screen = client.wait_for(refusal or "Message sent.", SEND_TIMEOUT)
    return rendered, list(smtp.messages), review, screen


#: The display_name gap, for "aerc 0.14" or "aerc 0.20" (what it says of each was seen in the test below).
DISPLAY_NAME_GAP = (
    "{aerc}'s composer writes the From name back without escaping it: a \" becomes ' and a \\ is lost; a \\ at "
    "the end leaves the name's quotes open, and aerc 0.14 sends the message with that broken From, aerc 0.20 refuses "
    "to send it (PrepareHeader: unclosed quoted-string); leave them out of display_name"
)
#: What aerc 0.20 shows when it will not send a From whose quoted name never ends (and logs as an error).
UNCLOSED_FROM = "PrepareHeader: mail: missing word in phrase: mail: unclosed quoted-string"


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    ("name", "sent"),
    [
        ('Ann "A" B', "From: \"Ann 'A' B\" <ann@example.org>"),  # " becomes '
        ("Ann \\ B", 'From: "Ann  B" <ann@example.org>'),  # \ is lost
        ("Ann\\", 'From: "Ann\\" <ann@example.org>'),  # quotes left open: 0.14 sends it, 0.20 does not
    ],
)
def test_a_quote_or_backslash_in_display_name_is_sent_as_the_gap_says(  # noqa: PLR0917 (pytest fixtures)
    tmp_path: Path, home: Path, certs: Certificates, name: str, sent: str, version: str
) -> None:
    refused = version == "0.20" and name.endswith("\\")
    rendered, messages, review, screen = _sent_as(name, home, certs, version, UNCLOSED_FROM if refused else None)
    assert f"\nfrom = `{rfc5322_quoted(name)} <ann@example.org>`\n" in text_of(rendered)  # written exactly
    assert list(rendered.gaps) == [Gap("work", "display_name", DISPLAY_NAME_GAP.format(aerc=f"aerc {version}"))]
    if refused:
        assert UNCLOSED_FROM in screen, (review, screen)
        assert messages == []
    else:
        assert "Message sent." in screen, (review, screen)
        [received] = messages
        assert [line for line in received.content.decode().split("\r\n") if line.startswith("From:")] == [sent]


def test_smtp_starttls_true_is_not_read_as_yes(tmp_path: Path, home: Path, certs: Certificates) -> None:
    # Why the target writes "smtp-starttls = yes": aerc 0.14 compares the value with "yes" (send.go), so the
    # "true" of its man page leaves STARTTLS off, and aerc refuses a server that offers it.
    with ImapStub(server_context(certs.good), implicit=True) as imap, SmtpServer(certs.good) as smtp:
        outgoing = {"host": "localhost", "port": smtp.port, "security": "starttls", "username": "alice@example.org",
                    "password_command": "echo alice-secret-1"}  # fmt: skip
        incoming = _imap(imap.port, username="reader", password_command="echo pw")
        conf = text_of(render({"work": {"address": "a@example.org", "incoming": incoming, "outgoing": outgoing}}))
        assert "\nsmtp-starttls = yes\n" in conf
        with aerc(conf.replace("smtp-starttls = yes", "smtp-starttls = true").encode(), home,
                  SSL_CERT_FILE=str(certs.ca), EDITOR="true") as client:  # fmt: skip
            client.wait_for("[work] Connected")
            client.term.keys(":compose -H To:bob@example.net -H Subject:x hello", "Enter")
            client.wait_for("Send this email?")
            client.term.keys("y")
            screen = client.wait_for("Add smtp-starttls=yes", SEND_TIMEOUT)
    assert "STARTTLS is supported by this server, but not set in accounts.conf. Add smtp-starttls=yes" in screen
    assert smtp.messages == []


def test_go_ini_cuts_an_unquoted_value_at_a_hash(tmp_path: Path, home: Path) -> None:
    # Why every value is quoted: the same command without backquotes loses everything from the #, and the
    # shell then sees an unclosed quote
    command = _recording_command(tmp_path, "a#b")
    incoming = _imap(1, username="alice", password_command=command)
    conf = text_of(render({"work": {"address": "a@example.org", "incoming": incoming}}))
    done = load_failure(conf.replace(f"source-cred-cmd = `{command}`", f"source-cred-cmd = {command}").encode(), home)
    assert done.returncode == 1
    assert done.stderr.endswith(
        "Failed to load config: Invalid source credentials for work: failed to read password: exit status 2\n"
    )
    assert not (tmp_path / "ran").exists()


def test_go_ini_reads_a_key_missing_from_a_dotted_section_in_its_parent(home: Path) -> None:
    # Why [work] and [work.home] are refused together: aerc's go-ini (v1.63.2 in aerc 0.14) looks a key that
    # [work.home] lacks up in [work] (Section.GetKey). aerc 0.14 does so for from (MapTo); 0.15 and later for
    # source-cred-cmd and outgoing too, through the same GetKey. No Go here to run go-ini alone: aerc runs it.
    conf = text_of(render({"work": {"address": "w@example.org", "incoming": _imap(1, auth="none")},
                           "home": {"address": "h@example.org", "incoming": _imap(1, auth="none")}}))  # fmt: skip
    child = conf.replace("[home]", "[work.home]").replace("from = `h@example.org`\n", "")
    assert [(name, [k for k, _ in keys]) for name, keys in go_ini_sections(child)] == [
        ("work", ["source", "from"]),
        ("work.home", ["source"]),
    ]
    with aerc(child.encode(), home) as client:
        client.wait_for("work.home")
        parsed_from = client.parsed_from("work.home")
    assert parsed_from == ["w@example.org"]  # [work]'s
    # without [work], aerc refuses the same section for want of a from
    alone = child[child.index("[work.home]") :].encode()
    done = load_failure(alone, home)
    assert (done.returncode, done.stderr.splitlines()[-1]) == (
        1,
        "Failed to load config: Expected from for account work.home",
    )


@pytest.mark.parametrize(("version", "secret"), [("0.14", ""), ("0.20", "work-pw")])
def test_a_dotted_section_without_a_password_command_runs_its_parents_from_aerc_0_15(
    home: Path, certs: Certificates, version: str, secret: str
) -> None:
    # The refusal's other half: aerc 0.15 and later read source-cred-cmd with GetKey too, so [work.home] without
    # one logs in with [work]'s password; aerc 0.14 reads it among the section's own keys (an empty password)
    with ImapStub(server_context(certs.good), implicit=True) as server:
        work = _imap(server.port, username="work", password_command="echo work-pw")
        other = _imap(server.port, username="home", auth="password", password_command="echo unused")
        accounts = {"work": {"address": "w@example.org", "incoming": work},
                    "home": {"address": "h@example.org", "incoming": other}}  # fmt: skip
        conf = text_of(render_with(TARGET, accounts, {"version": version}))
        child = conf.replace("[home]", "[work.home]").replace("source-cred-cmd = `echo unused`\n", "")
        with aerc(child.encode(), home, version, SSL_CERT_FILE=str(certs.ca)):
            deadline = time.monotonic() + AERC_TIMEOUT  # aerc connects every account at start
            while len(server.logins) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
    assert sorted((login.user, login.secret) for login in server.logins) == [("home", secret), ("work", "work-pw")]


#: What aerc 0.14 says when the account it sends from has no outgoing server.
NO_TRANSPORT = "No outgoing mail transport configured for this account"


@pytest.mark.parametrize("version", VERSIONS)
def test_a_dotted_section_without_outgoing_sends_through_its_parents_from_aerc_0_15(
    home: Path, certs: Certificates, version: str
) -> None:
    # The refusal's last half: aerc 0.15 and later read outgoing with GetKey too, so [work.home] without one sends
    # through [work]'s server, logged in as [work]'s user; aerc 0.14 reads it among the section's own keys (none)
    with ImapStub(server_context(certs.good), implicit=True) as imap, \
         SmtpServer(certs.good, implicit=True, users=[User("work-user", "pw")]) as smtp:  # fmt: skip
        outgoing = {"host": "localhost", "port": smtp.port, "username": "work-user", "password_command": "echo pw"}
        reader = _imap(imap.port, username="reader", password_command="echo pw")
        accounts = {"work": {"address": "w@example.org", "incoming": reader, "outgoing": outgoing},
                    "home": {"address": "h@example.org", "incoming": reader}}  # fmt: skip
        conf = text_of(render_with(TARGET, accounts, {"version": version})).replace("[home]", "[work.home]")
        with aerc(conf.encode(), home, version, SSL_CERT_FILE=str(certs.ca), EDITOR="true") as client:
            client.wait_for("[work.home] Connected")
            client.term.keys(":next-tab", "Enter")  # work.home's tab: its composer sends from h@example.org
            client.term.keys(":compose -H To:bob@example.net -H Subject:x hello", "Enter")
            review = client.wait_for("Send this email?")
            client.term.keys("y")
            screen = ""
            if version == "0.14":
                screen = client.wait_for(NO_TRANSPORT, SEND_TIMEOUT)
            else:  # "Message sent." shows for a moment only: the server tells
                deadline = time.monotonic() + SEND_TIMEOUT
                while not smtp.messages and time.monotonic() < deadline:
                    time.sleep(0.05)
    assert "From: <h@example.org>" in review, review
    sent = [(m.login, m.mail_from) for m in smtp.messages]
    if version == "0.14":
        assert (NO_TRANSPORT in screen, sent) == (True, []), screen
    else:
        assert sent == [("work-user", "h@example.org")]


@pytest.mark.parametrize("version", VERSIONS)
def test_a_connection_timeout_without_a_unit_is_an_error_and_aerc_0_20_crashes(
    tmp_path: Path, home: Path, certs: Certificates, version: str
) -> None:
    # Why connection-timeout is written with its unit (45s): aerc reads "5" as that account's error, and aerc 0.20
    # then crashes (a nil pointer in its IMAP worker), so the other account never connects
    with ImapStub(server_context(certs.good), implicit=True) as server:
        accounts = {"work": {"address": "a@example.org", "incoming": _imap(server.port, username="alice",
                                                                           password_command="echo pw", timeout=5)},
                    "other": {"address": "o@example.org", "incoming": _imap(server.port, username="bob",
                                                                            password_command="echo pw")}}  # fmt: skip
        conf = text_of(render_with(TARGET, accounts, {"version": version}))
        assert "\nconnection-timeout = 5s\n" in conf
        stderr = tmp_path / "stderr"
        unitless = conf.replace("connection-timeout = 5s", "connection-timeout = 5").encode()
        with aerc_with_stderr(unitless, home, version, stderr, SSL_CERT_FILE=str(certs.ca)) as client:
            # 0.14 goes on to connect the other account; 0.20 prints its crash, the stack's last line "created by"
            done = "[other] connected" if version == "0.14" else "created by "
            deadline = time.monotonic() + AERC_TIMEOUT
            while time.monotonic() < deadline:
                watched = client.log if version == "0.14" else stderr
                shown = watched.read_text("utf-8") if watched.exists() else ""
                if done in shown:
                    break
                time.sleep(0.05)
            log = [line for line in client.log.read_text("utf-8").split("\n") if not line.startswith("DEBUG")]
            crash = stderr.read_text("utf-8").split("\n")
    errors = [line.split(": ", 1)[1] for line in log if line.startswith("ERROR ") and "account.go" in line]
    assert (
        errors[0] == '[work] unexpected error: invalid connection-timeout value 5: time: missing unit in duration "5"'
    )
    if version == "0.14":
        assert any(line.endswith("[other] connected.") for line in log), log
        return
    assert "panic: runtime error: invalid memory address or nil pointer dereference [recovered]" in crash, crash
    # aerc writes the crash to a file of its own too, in /tmp: removed here
    [written] = [line.removeprefix("This error was also written to: ") for line in crash if "also written to" in line]
    Path(written).unlink()


def test_aerc_0_20_replaces_a_setting_named_in_a_value(tmp_path: Path, home: Path, certs: Certificates) -> None:
    # Why %(KEY)s is refused from version 0.15: go-ini's Key.String, which aerc 0.15 and later read every value
    # with, replaces it with KEY's value, again and again; aerc 0.14 reads these values as written
    with ImapStub(server_context(certs.good), implicit=True) as server:
        incoming = _imap(server.port, username="alice", password_command=_recording_command(tmp_path, "pw %(from)s"))
        conf = text_of(render({"work": {"address": "a@example.org", "display_name": "N %(source)s",
                                        "incoming": incoming}}))  # fmt: skip
        with aerc(conf.encode(), home, "0.20", SSL_CERT_FILE=str(certs.ca)) as client:
            logins = server.wait_for_login()
            client.wait_for("[work] Connected")
            parsed_from = client.parsed_from("work")
    expanded = f'"N imaps://alice@localhost:{server.port}" <a@example.org>'
    assert parsed_from == [expanded]
    assert logins == [Login(True, "AUTHENTICATE PLAIN", "alice", f"pw {expanded}")]
    assert (tmp_path / "ran").read_text() == f"pw {expanded}"  # the command that ran, a shell word changed


INTERPOLATION = (
    "target aerc: not rendered: account work: {setting}: aerc 0.15 and later replace a %(setting)s in a value "
    "with that setting's value (go-ini, which has no escape for it): reword it"
)


@pytest.mark.parametrize(
    ("changes", "setting"),
    [
        ({"display_name": "A %(from)s"}, "display_name"),
        ({"incoming": _imap(1, username="a", password_command="pass %(source-cred-cmd)s")},
         "incoming.password_command"),
        ({"outgoing": {"host": "h.example", "username": "a", "password_command": "x %(a)s %(outgoing)s"}},
         "outgoing.password_command"),
    ],
)  # fmt: skip
def test_a_setting_named_in_a_value_is_refused_from_aerc_0_15(changes: dict[str, Any], setting: str) -> None:
    account = {"address": "a@example.org", "incoming": _imap(1, username="a", password_command="p"), **changes}
    for version in ("0.15", "0.20.1"):
        with pytest.raises(RenderError) as caught:
            render_with(TARGET, {"work": account}, {"version": version})
        assert str(caught.value) == INTERPOLATION.format(setting=setting)
    assert render({"work": account}).files  # aerc 0.14 reads them as written


def test_a_name_that_is_no_setting_is_written_for_aerc_0_20() -> None:
    # go-ini leaves %(NAME)s alone when the section has no NAME
    incoming = _imap(1, username="a", password_command="printf '%(user)s %(Source)s'")
    rendered = render_with(TARGET, {"work": {"address": "a@example.org", "incoming": incoming}}, {"version": "0.20"})
    assert dict(go_ini_sections(text_of(rendered))[0][1])["source-cred-cmd"] == "printf '%(user)s %(Source)s'"


def test_aerc_refuses_a_file_others_may_read(home: Path) -> None:
    # Why the file is written with mode 0600
    conf = text_of(render({"work": {"address": "a@example.org", "incoming": _imap(1, auth="none")}})).encode()
    done = load_failure(conf, home, mode=0o644)
    path = home / "config-load" / "aerc" / "accounts.conf"
    assert done.returncode == 1
    assert done.stderr.splitlines()[-4:] == [
        f"The file {path} has too open permissions.",
        "This is a security issue (it contains passwords).",
        f"To fix it, run `chmod 600 {path}`",
        "Failed to load config: account.conf permissions too lax",
    ]


# --- examples ------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_examples_render_and_aerc_loads_them(tmp_path: Path, home: Path, example: Path, version: str) -> None:
    model = example_model(example)
    rendered = render_model(TARGET, model, {"version": version})
    imap = [a.name for a in model.accounts if a.incoming is not None and a.incoming.protocol is Protocol.IMAP]
    if not imap:
        assert rendered.files == ()
        return
    # the examples' commands (pass, oama, ...) run while aerc loads the file: stand-ins print a password
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for command in {s.password_command or s.token_command for a in model.accounts for s in a.servers} - {None}:
        assert command is not None
        stand_in = bin_dir / command.split()[0]
        stand_in.write_text("#!/bin/sh\necho pw\n")
        stand_in.chmod(0o755)
    with aerc(rendered.files[0].content, home, version, PATH=f"{bin_dir}:/usr/bin:/bin") as client:
        screen = client.wait_for(imap[-1])
    tabs = screen.splitlines()[0].split()
    assert tabs == imap, screen


#: The encoded-word gap, for "aerc 0.14" or "aerc 0.20" (what it says of each is seen below).
ENCODED_WORD_GAP = (
    "{aerc} sends it so that mail readers show it decoded (=?utf-8?q?Bob?= as Bob): the name goes out as written "
    "inside quotes, where readers such as Python's email decode it (RFC 2047 says they should not), or aerc's "
    "composer decodes it itself when it reads the From back (aerc 0.18 and later a name without RFC 5322 specials, "
    "aerc 0.14 to 0.17 one in lower case), and where that charset is one it does not know (x-unknown, utf-7), aerc "
    "0.20 sends no message from the account at all (PrepareHeader: invalid encoding name); an RFC 2047 encoded word "
    "cannot be sent as text: leave it out of display_name"
)


@pytest.mark.parametrize("version", ["0.14", "0.17", "0.18", "0.20"])
@pytest.mark.parametrize(
    ("name", "gapped"),
    [
        ("=?utf-8?q?Bob?=", True),
        ("Ann =?ISO-8859-1?B?Y2Fm6Q==?= B", True),
        ("=?utf-8*en?Q??=", True),  # an RFC 2231 language and an empty text: still one
        ("=?utf-8?q?a b?=", True),  # a blank in the text: readers decode it all the same ("a b")
        ("=?utf-8?x?Bob?=", False),  # no such encoding
        ("=?utf-8?q?Bob", False),  # not closed
        ("a=?b c?q?d?=", False),  # no blank in the charset
        ("Ann = B ?=", False),
    ],
)
def test_a_display_name_holding_an_encoded_word_is_a_gap(name: str, gapped: bool, version: str) -> None:
    # it was written without a gap, and recipients saw the decoded text (Bob), not the name declared
    incoming = {"protocol": "imap", "host": "imap.example.org", "password_command": "echo pw"}
    accounts = {"work": {"address": "ann@example.org", "display_name": name, "incoming": incoming}}
    rendered = render_with(TARGET, accounts, {"version": version})
    assert f"\nfrom = `{rfc5322_quoted(name)} <ann@example.org>`\n" in text_of(rendered)  # written as declared
    gap = Gap("work", "display_name", ENCODED_WORD_GAP.format(aerc=f"aerc {version}"))
    assert list(rendered.gaps) == ([gap] if gapped else [])


#: display_name -> the From line each aerc sends, and the name Python's email reads in it.
ENCODED_WORD_SENT = {
    # as written: readers decode it (0.14); aerc 0.20 decodes it itself (no RFC 5322 special in it)
    "=?utf-8?q?Mallory?=": ({"0.14": '"=?utf-8?q?Mallory?="', "0.20": '"Mallory"'}, "Mallory"),
    "=?utf-8?q?mallory?=": ({"0.14": '"mallory"', "0.20": '"mallory"'}, "mallory"),  # lower case: both decode it
    # aerc 0.20 decodes it and encodes the name again, in UTF-8
    "=?iso-8859-1?q?caf=E9?=": ({"0.14": '"=?iso-8859-1?q?caf=E9?="', "0.20": "=?utf-8?q?caf=C3=A9?="}, "café"),
    # a blank in the text: not an encoded word to Go, sent as written, decoded by readers
    "=?utf-8?q?a b?=": ({"0.14": '"=?utf-8?q?a b?="', "0.20": '"=?utf-8?q?a b?="'}, "a b"),
    # an RFC 5322 special (.): aerc 0.20 keeps the name in quotes, as written; readers decode it
    "A. =?utf-8?q?Bob?=": ({"0.14": '"A. =?utf-8?q?Bob?="', "0.20": '"A. =?utf-8?q?Bob?="'}, "A. Bob"),
}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name", ENCODED_WORD_SENT)
def test_an_encoded_word_in_display_name_is_read_decoded_as_the_gap_says(
    tmp_path: Path, home: Path, certs: Certificates, name: str, version: str
) -> None:
    sent, read = ENCODED_WORD_SENT[name]
    rendered, messages, review, screen = _sent_as(name, home, certs, version)
    assert "Message sent." in screen, (review, screen)
    [received] = messages
    lines = [line for line in received.content.decode().split("\r\n") if line.startswith("From:")]
    assert lines == [f"From: {sent[version]} <ann@example.org>"]
    message = email.message_from_bytes(received.content, policy=email.policy.default)
    assert message["From"].addresses[0].display_name == read
    assert list(rendered.gaps) == [Gap("work", "display_name", ENCODED_WORD_GAP.format(aerc=f"aerc {version}"))]


#: What aerc 0.20 shows when the From name it decodes names a charset Go does not know (and it sends nothing).
UNKNOWN_CHARSET = 'PrepareHeader: mail: missing word in phrase: charset "{}": htmlindex: invalid encoding name'


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    ("name", "charset"), [("=?x-unknown?q?Bob?=", "x-unknown"), ("=?utf-7?q?bob?=", "utf-7"),
                          ("=?utf-8*en?q?Bob?=", "utf-8*en")]
)  # fmt: skip
def test_an_encoded_word_in_a_charset_go_does_not_know_stops_every_send_from_aerc_0_20(  # noqa: PLR0917
    tmp_path: Path, home: Path, certs: Certificates, name: str, charset: str, version: str
) -> None:
    # what the gap says of aerc 0.20; aerc 0.14 sends the name as written (in quotes, or bare in lower case)
    refusal = UNKNOWN_CHARSET.format(charset) if version == "0.20" else None
    rendered, messages, review, screen = _sent_as(name, home, certs, version, refusal)
    assert list(rendered.gaps) == [Gap("work", "display_name", ENCODED_WORD_GAP.format(aerc=f"aerc {version}"))]
    if refusal is not None:
        assert refusal in screen, (review, screen)
        assert messages == []
        return
    assert "Message sent." in screen, (review, screen)
    [received] = messages
    written = name if name.islower() else f'"{name}"'  # aerc 0.14 shows a lower-case name unquoted, and sends it so
    lines = [line for line in received.content.decode().split("\r\n") if line.startswith("From:")]
    assert lines == [f"From: {written} <ann@example.org>"]


#: (security written for aerc 0.20, does the server offer STARTTLS) -> the error aerc 0.20 logs when it sends
SMTP_URLS_0_20 = {
    # smtp+insecure+plain:// never sends STARTTLS: a server that requires it refuses the login
    ("none", True): "send:: conn.Auth: SMTP error 530: Must issue a STARTTLS command first",
    # smtp+plain:// always sends STARTTLS: a server without it is given up before the login
    ("starttls", False): "send:: Connection failed: smtp.Dial: smtp: server doesn't support STARTTLS",
}


@pytest.mark.parametrize(("security", "offers"), SMTP_URLS_0_20)
def test_aerc_0_20_reads_the_smtp_urls_as_the_docs_say(
    tmp_path: Path, home: Path, certs: Certificates, security: str, offers: bool
) -> None:
    # the other halves (smtp+insecure:// sends to a server without STARTTLS, smtp:// sends with it) are in
    # test_aerc_sends_as_written; each error aerc shows for a moment, and logs
    logged = SMTP_URLS_0_20[security, offers]
    with ImapStub(server_context(certs.good), implicit=True) as imap, \
         SmtpServer(certs.good if offers else None, users=[User("u", "pw")]) as smtp:  # fmt: skip
        outgoing = {"host": "localhost", "port": smtp.port, "security": security, "username": "u",
                    "password_command": "echo pw"}  # fmt: skip
        incoming = _imap(imap.port, username="reader", password_command="echo pw")
        rendered = render_with(TARGET, {"work": {"address": "a@example.org", "incoming": incoming,
                                                 "outgoing": outgoing}}, {"version": "0.20"})  # fmt: skip
        with aerc(text_of(rendered).encode(), home, "0.20", SSL_CERT_FILE=str(certs.ca), EDITOR="true") as client:
            client.wait_for("[work] Connected")
            client.term.keys(":compose -H To:bob@example.net -H Subject:x hello", "Enter")
            client.wait_for("Send this email?")
            client.term.keys("y")
            errors = _logged_errors(client, SEND_TIMEOUT)
    assert errors == [logged]
    assert smtp.messages == []


def _logged_errors(client: Any, timeout: float) -> list[str]:
    """The errors aerc logs (status.go's ERROR lines, their text), once there is one or ``timeout`` seconds ran out."""
    deadline = time.monotonic() + timeout
    while True:
        lines = client.log.read_text("utf-8").split("\n") if client.log.exists() else []
        errors = [line.split(": ", 1)[1] for line in lines if line.startswith("ERROR ") and "status.go" in line]
        if errors or time.monotonic() > deadline:
            return errors
        time.sleep(0.1)


def test_aerc_0_20_shows_smtp_starttls_is_deprecated(home: Path, certs: Certificates) -> None:
    # Why a file for aerc 0.15 and later leaves smtp-starttls out: aerc 0.20 shows a popup over its UI at start
    # for a file that says it (one written for aerc 0.14)
    with ImapStub(server_context(certs.good), implicit=True) as imap:
        outgoing = {"host": "localhost", "port": 1, "security": "starttls", "username": "u",
                    "password_command": "echo pw"}  # fmt: skip
        incoming = _imap(imap.port, username="reader", password_command="echo pw")
        conf = text_of(render({"work": {"address": "a@example.org", "incoming": incoming, "outgoing": outgoing}}))
        assert "\nsmtp-starttls = yes\n" in conf  # written for aerc 0.14
        with aerc(conf.encode(), home, "0.20", SSL_CERT_FILE=str(certs.ca)) as client:
            started = client.wait_for(STARTTLS_DEPRECATED)
    assert STARTTLS_DEPRECATED in started, started
