# mypy: disable-error-code="untyped-decorator"
# (pyproject skips following hypothesis, so its decorators look untyped)
"""Target offlineimap: every rendered .offlineimaprc is read back by offlineimap3 (8.0.0) itself.

Two real read-backs:

- offlineimap's own reader, in a subprocess of the system Python that /usr/bin/offlineimap
  runs with: ``CustomConfigParser`` reads the file and loads the pythonfile (phase ``read``:
  nothing else, so a canary file shows that loading ran no command); then offlineimap's
  own ``Account``, ``Repository`` and ``IMAPServer`` objects take their settings from it
  (phase ``use``: host, port, user, TLS, CA, pin, client certificate, mechanisms, Maildir,
  and the password and token, which run the commands) — the values offlineimap would use;
- ``offlineimap --info`` connects to a small IMAP server here (the stub records the
  ``AUTHENTICATE`` bytes exactly, which Dovecot's log does not) and logs in with what it
  read. tests/e2e/test_offlineimap.py syncs against the real Dovecot.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shlex
import socket
import ssl
import subprocess
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import trustme
from hypothesis import HealthCheck, given, settings

from mailconf.errors import UsageError
from mailconf.escape import UnsafeValue
from mailconf.escape.offlineimap import (
    BLANK_END,
    CONTROL,
    VARIABLE,
    offlineimap_path,
    offlineimap_value,
    python_literal,
)
from mailconf.model import Account, Model, Security, Server, Tls
from mailconf.render import RenderError, environment, render_model
from mailconf.targets import TARGETS, Gap, Rendered
from tests.conftest import EXAMPLES, need
from tests.servers import Certificates, KeyPair, ScriptedServer, make_certificates, never_greet, server_context
from tests.targets import _imap_stub as imap_stub
from tests.targets._common import (
    NON_ASCII,
    ONE_IMAP_ACCOUNT,
    UNICODE_HOSTILE,
    document,
    example_model,
    imap_server,
    refusal,
    refused_render,
    render_with,
    run_render,
    strings,
    yaml_text,
)

TARGET = TARGETS["offlineimap"]
#: The interpreter /usr/bin/offlineimap runs with (its #! line) and where Debian keeps offlineimap3's package.
SYSTEM_PYTHON = "/usr/bin/python3"
OFFLINEIMAP_LIB = "/usr/share/offlineimap3"

#: Runs in the system Python: offlineimap's own reader and objects, printing what they hold as JSON.
READER = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from offlineimap import accounts, globals as glob
from offlineimap.CustomConfig import CustomConfigParser

class Options:
    dryrun = False

glob.set_options(Options())
config = CustomConfigParser()
config.read(sys.argv[2])
names = [n.lstrip() for n in config.get("general", "accounts").split(",")]
if sys.argv[3] in ("read", "commands"):
    namespace = config.getlocaleval().namespace  # loads the pythonfile, as offlineimap does at start
    if sys.argv[3] == "commands":  # what the pythonfile's functions would run, by account
        print(json.dumps({"passwords": namespace.get("_PASSWORD_COMMANDS", {}),
                          "tokens": namespace.get("_TOKEN_COMMANDS", {})}))
        sys.exit(0)
    print(json.dumps({s: {k: config.get(s, k) for k in config.options(s)} for s in config.sections()}))
    sys.exit(0)
from offlineimap.repository import Repository
from offlineimap.ui import UI_LIST, setglobalui
config.set_if_not_exists("general", "dry-run", "False")
setglobalui(UI_LIST["quiet"](config))
out = {"accounts": names, "socktimeout": config.getdefaultint("general", "socktimeout", 0), "repos": {}}
for name in names:
    account = accounts.Account(config, name)
    remote, local = Repository(account, "remote"), Repository(account, "local")
    server = remote.imapserver
    out["repos"][name] = {
        "host": server.hostname, "port": server.port, "user": server.username, "ssl": server.usessl,
        "starttls": server.starttls, "ca": server.sslcacertfile, "fingerprint": server.fingerprint,
        "cert": server.sslclientcert, "key": server.sslclientkey, "mechanisms": server.authmechs,
        "token": server.oauth2_access_token, "password": remote.getpassword(), "maildir": local.root,
        "ssl_version": server.sslversion, "expunge": remote.getexpunge(),
    }
print(json.dumps(out))
"""


def render(accounts: dict[str, Any], options: dict[str, str] | None = None) -> Rendered:
    return render_with(TARGET, accounts, options)


def write(home: Path, rendered: Rendered) -> Path:
    """Write the files into ``home`` (the pythonfile is named ~/.offlineimap-mailconf.py); the rc's path."""
    for file in rendered.files:
        assert file.mode == 0o600
        (home / file.name).write_bytes(file.content)
    assert [f.name for f in rendered.files][:1] == [".offlineimaprc"]
    return home / ".offlineimaprc"


def offlineimap_reads(rc: Path, home: Path, phase: str) -> Any:
    """What offlineimap's reader (``read``), the pythonfile it loads (``commands``) or its objects (``use``) take
    from the file, as JSON."""
    need("offlineimap")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "LC_ALL": "C.UTF-8"}
    done = subprocess.run([SYSTEM_PYTHON, "-c", READER, OFFLINEIMAP_LIB, str(rc), phase], capture_output=True,
                          text=True, env=env, cwd=home, stdin=subprocess.DEVNULL, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def offlineimap(rc: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    binary = need("offlineimap")["offlineimap"]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LC_ALL": "C.UTF-8"}
    return subprocess.run([binary, "-c", str(rc), *args], capture_output=True, text=True, env=env, cwd=home,
                          stdin=subprocess.DEVNULL, timeout=60, check=False)  # fmt: skip


# --- escaping -----------------------------------------------------------------------------


def test_value_doubles_percent_and_keeps_everything_else() -> None:
    value = "a%b%%c%(x)s\\\"'$(x)`y`;#[k]=v:😀é"
    assert offlineimap_value(value) == "a%%b%%%%c%%(x)s\\\"'$(x)`y`;#[k]=v:😀é"


@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "a\0b", "a\tb", "a\x7fb", "a\x85b", "a\u2028b", "a\u2029b", "\ud800"])
def test_value_refuses_control_characters_without_echoing_them(bad: str) -> None:
    with pytest.raises(UnsafeValue) as caught:
        offlineimap_value(bad)
    assert str(caught.value) == CONTROL
    assert CONTROL == "offlineimap reads one line per setting: a control character or line break cannot be written"


@pytest.mark.parametrize("bad", [" a", "a ", "\u00a0a", "a\u3000"])
def test_value_refuses_blanks_at_either_end(bad: str) -> None:
    with pytest.raises(UnsafeValue) as caught:
        offlineimap_value(bad)
    assert str(caught.value) == (
        "offlineimap strips blanks around a value: a value that starts or ends with a blank cannot be written"
    )
    assert offlineimap_value("a b") == "a b"


REFUSED_PATHS = [("/a/$HOME", False), ("/a/${x}", False), ("/a/$0", False)]
KEPT_PATHS = [("/a/$(x)", True), ("/a/$", True), ("/a/${x", True), ("/a/$-", True)]


@pytest.mark.parametrize(("path", "ok"), REFUSED_PATHS + KEPT_PATHS)
def test_path_refuses_what_expandvars_would_replace(path: str, ok: bool) -> None:
    if ok:
        assert offlineimap_path(path) == path
        assert os.path.expandvars(path) == path  # whatever the environment holds
        return
    with pytest.raises(UnsafeValue) as caught:
        offlineimap_path(path)
    assert str(caught.value) == VARIABLE


@pytest.mark.parametrize("value", ["", "'", '"', "\\", "\n", "\x85", "😀", "\ud800", "')+__import__('os')#"])
def test_python_literal_is_ascii_and_reads_back_exactly(value: str) -> None:
    import ast

    literal = python_literal(value)
    assert literal.isascii() and literal.isprintable()
    assert ast.literal_eval(literal) == value


# --- what is written, read back -------------------------------------------------------------

FULL = """\
# offlineimap3 (8.0.0) configuration written by mailconf (target offlineimap).
# Edit the account file and render again rather than editing this file.
# Passwords and OAuth2 tokens come from the commands in ~/.offlineimap-mailconf.py (pythonfile below).

[general]
accounts = work
pythonfile = ~/.offlineimap-mailconf.py
socktimeout = 45

[Account work]
localrepository = work-local
remoterepository = work-remote

[Repository work-local]
type = Maildir
localfolders = ~/Mail/work

[Repository work-remote]
type = IMAP
remotehost = imap.example.org
remoteport = 10993
remoteuser = alice%%login
remotepasseval = mailconf_password('work')
ssl = yes
sslcacertfile = {ca}
cert_fingerprint = {pin}
auth_mechanisms = PLAIN, CRAM-MD5
expunge = no
"""

PIN = "sha256:" + ":".join(["AB"] * 32)


def test_full_account_is_written_exactly_and_read_back(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("")  # offlineimap checks that sslcacertfile is a file
    incoming = {
        "protocol": "imap", "host": "imap.example.org", "port": 10993, "username": "alice%login",
        "password_command": 'printf "%s\\n" pw', "timeout": 45, "mechanisms": ["plain", "cram-md5"],
        "tls": {"ca_file": str(ca), "fingerprint": PIN, "min_version": "1.2"},
    }  # fmt: skip
    outgoing = {"host": "smtp.example.org"}  # not offlineimap's job: not written, not a gap
    rendered = render({"work": {"address": "alice@example.org", "incoming": incoming, "outgoing": outgoing}})
    assert rendered.gaps == ()
    rc = write(tmp_path, rendered)
    assert rc.read_text() == FULL.format(ca=ca, pin="ab" * 32)
    assert offlineimap_reads(rc, tmp_path, "use") == {
        "accounts": ["work"],
        "socktimeout": 45,
        "repos": {"work": {
            "host": "imap.example.org", "port": 10993, "user": "alice%login", "ssl": True, "starttls": True,
            "ca": str(ca), "fingerprint": ["ab" * 32], "cert": None, "key": None, "mechanisms": ["PLAIN", "CRAM-MD5"],
            "token": None, "password": "pw", "maildir": str(tmp_path / "Mail" / "work"), "ssl_version": None,
            "expunge": False,
        }},
    }  # fmt: skip


def _combination(tmp_path: Path, security: str, auth: str, verify: str) -> dict[str, Any]:
    tls: dict[str, Any] = {}
    if verify in ("ca", "ca+pin"):
        (tmp_path / "ca.pem").write_text("")
        tls["ca_file"] = str(tmp_path / "ca.pem")
    if verify in ("ca+pin", "pin-only"):
        tls["fingerprint"] = PIN
    if verify == "pin-only":
        tls |= {"verify": False, "verify_hostname": False}
    incoming: dict[str, Any] = {"protocol": "imap", "host": "mail.example.org", "security": security, "auth": auth}
    if tls:
        incoming["tls"] = tls
    if auth == "password":
        incoming["password_command"] = "echo pw"
    if auth == "oauth2":
        incoming["token_command"] = "echo tok"
    return incoming


@pytest.mark.parametrize("verify", ["system", "ca", "ca+pin", "pin-only"])
@pytest.mark.parametrize("security", ["tls", "none"])
@pytest.mark.parametrize("auth", ["password", "oauth2", "gssapi"])
def test_every_expressible_combination_is_read_back(tmp_path: Path, security: str, auth: str, verify: str) -> None:
    incoming = _combination(tmp_path, security, auth, verify)
    rendered = render({"work": {"address": "alice@example.org", "incoming": incoming}})
    assert rendered.gaps == ()
    rc = write(tmp_path, rendered)
    got = offlineimap_reads(rc, tmp_path, "use")["repos"]["work"]
    tls = security == "tls"
    expected_ca = {"system": "/etc/ssl/certs/ca-certificates.crt", "ca": str(tmp_path / "ca.pem"),
                   "ca+pin": str(tmp_path / "ca.pem"), "pin-only": None}[verify]  # fmt: skip
    assert got == {
        "host": "mail.example.org", "port": 993 if tls else 143, "user": "alice@example.org", "ssl": tls,
        "starttls": tls,  # with ssl = no, starttls = no: offlineimap never tries it (with ssl it is unused)
        "ca": expected_ca if tls else None, "fingerprint": ["ab" * 32] if tls and "pin" in verify else [],
        "cert": None, "key": None,
        "mechanisms": {"password": ["CRAM-MD5", "PLAIN", "LOGIN"], "oauth2": ["XOAUTH2"], "gssapi": ["GSSAPI"]}[auth],
        "token": "tok" if auth == "oauth2" else None, "password": "pw" if auth == "password" else None,
        "maildir": str(tmp_path / "Mail" / "work"), "ssl_version": None, "expunge": False,
    }  # fmt: skip


def test_client_certificate_is_presented_with_a_password_login(tmp_path: Path) -> None:
    tls = {"client_cert": str(tmp_path / "c.pem"), "client_key": str(tmp_path / "k.pem")}
    incoming = {"protocol": "imap", "host": "mail.example.org", "password_command": "echo pw", "tls": tls}
    rc = write(tmp_path, render({"work": {"address": "a@example.org", "incoming": incoming}}))
    got = offlineimap_reads(rc, tmp_path, "use")["repos"]["work"]
    assert (got["cert"], got["key"], got["password"]) == (tls["client_cert"], tls["client_key"], "pw")


def test_several_accounts_and_the_ones_left_out(tmp_path: Path) -> None:
    imap = {"protocol": "imap", "host": "imap.example.org"}
    accounts = {
        "b": {"address": "b@example.org", "incoming": imap},
        "p": {"address": "p@example.org", "incoming": {"protocol": "pop3", "host": "pop.example.org"}},
        "s": {"address": "s@example.org", "incoming": imap | {"security": "starttls"}},
        "sender": {"address": "x@example.org", "outgoing": {"host": "smtp.example.org"}},
        "a": {"address": "a@example.org", "incoming": imap},
    }
    rendered = render(accounts)
    assert [(g.account, g.setting) for g in rendered.gaps] == [("p", "incoming.protocol"), ("s", "incoming.security")]
    assert [f.name for f in rendered.files] == [".offlineimaprc"]  # no command: no pythonfile
    rc = write(tmp_path, rendered)
    read = offlineimap_reads(rc, tmp_path, "read")
    assert list(read) == ["general", "Account b", "Repository b-local", "Repository b-remote",
                          "Account a", "Repository a-local", "Repository a-remote"]  # fmt: skip
    assert read["general"] == {"accounts": "b, a"}


def test_no_imap_account_renders_no_file() -> None:
    rendered = render({"s": {"address": "s@example.org", "outgoing": {"host": "smtp.example.org"}}})
    assert rendered == Rendered(())


def test_output_is_deterministic() -> None:
    incoming = {"protocol": "imap", "host": "imap.example.org", "password_command": "x"}
    accounts = {"a": {"address": "a@example.org", "incoming": incoming}}
    assert render(accounts) == render(accounts)


# --- options --------------------------------------------------------------------------------


def test_maildir_root_option(tmp_path: Path) -> None:
    root = tmp_path / "mail %dir"
    accounts = {"a": {"address": "a@example.org", "incoming": {"protocol": "imap", "host": "imap.example.org"}}}
    rendered = render(accounts, {"maildir-root": f"{root}/"})
    assert f"\nlocalfolders = {tmp_path}/mail %%dir/a\n" in rendered.files[0].content.decode()
    rc = write(tmp_path, rendered)
    assert offlineimap_reads(rc, tmp_path, "use")["repos"]["a"]["maildir"] == str(root / "a")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"maildir-root": "Mail"},
         "--option maildir-root: write an absolute path or one starting with ~/ (like ~/Mail)"),
        ({"maildir-root": "/a\nb"}, f"--option maildir-root: {CONTROL}"),
        ({"maildir-root": "/$HOME/Mail"}, f"--option maildir-root: {VARIABLE}"),
        ({"maildir-root": "/Mail "}, f"--option maildir-root: {BLANK_END}"),
    ],
)  # fmt: skip
def test_bad_options_are_usage_errors(options: dict[str, str], message: str) -> None:
    accounts = {"a": {"address": "a@example.org", "incoming": {"protocol": "imap", "host": "imap.example.org"}}}
    with pytest.raises(UsageError) as caught:
        TARGET.render(document(accounts), environment(), options)
    assert str(caught.value) == message


# --- gaps -----------------------------------------------------------------------------------

STARTTLS = (
    "offlineimap3 8.0.0 starts TLS only when the server offers STARTTLS (upstream issue #222) and then checks no "
    "certificate, so an attacker can remove or intercept it and read the password: the account is left out; "
    "use security tls (port 993)"
)
VERIFY = (
    "offlineimap3 always checks the certificate against CAs or a pin: add tls.fingerprint to trust that "
    "certificate alone; until then it is checked against the CAs and the connection fails where it does not verify"
)
HOSTNAME = (
    "offlineimap3 checks the host name whenever it checks the CAs: set verify false with tls.fingerprint to trust "
    "that certificate alone; until then the connection fails where the name does not match"
)
MD5 = "md5:" + ":".join(["0F"] * 16)
DEFAULT_MECHS = "auth_mechanisms = CRAM-MD5, PLAIN, LOGIN"

#: (incoming settings, the gaps, whether the account is written, lines of the remote repository that remain)
GAPS: list[tuple[dict[str, Any], list[Gap], bool, list[str]]] = [
    ({"security": "starttls"}, [Gap("work", "incoming.security", STARTTLS)], False, []),
    ({"protocol": "pop3", "leave_on_server": True, "leave_days": 3},
     [Gap("work", "incoming.protocol",
          "offlineimap speaks IMAP only: the account is left out (use the fetchmail target for POP3)")], False, []),
    ({"auth": "ntlm", "password_command": "x"},
     [Gap("work", "incoming.auth", "offlineimap3 has no NTLM: the account is left out")], False, []),
    ({"auth": "client-cert", "tls": {"client_cert": "/c.pem", "client_key": "/k.pem"}},
     [Gap("work", "incoming.auth",
          "offlineimap3 has no SASL EXTERNAL: the account is left out; log in with auth password "
          "(tls.client_cert and tls.client_key are then presented)")], False, []),
    ({"auth": "none"},
     [Gap("work", "incoming.auth", "offlineimap always logs in: the account is left out; give a username and auth")],
     False, []),
    ({"tls": {"verify": False}}, [Gap("work", "incoming.tls.verify", VERIFY)], True,
     ["sslcacertfile = OS-DEFAULT", DEFAULT_MECHS]),
    ({"tls": {"verify_hostname": False}}, [Gap("work", "incoming.tls.verify_hostname", HOSTNAME)], True,
     ["sslcacertfile = OS-DEFAULT", DEFAULT_MECHS]),
    ({"tls": {"fingerprint": MD5}},
     [Gap("work", "incoming.tls.fingerprint",
          "offlineimap3 compares sha1, sha224, sha256, sha384 and sha512 fingerprints only: write the sha256 "
          "fingerprint; the pin is left out meanwhile")], True, ["sslcacertfile = OS-DEFAULT", DEFAULT_MECHS]),
    ({"tls": {"fingerprint": "sha1:" + ":".join(["0F"] * 20), "verify": False}}, [], True,
     ["cert_fingerprint = " + "0f" * 20, DEFAULT_MECHS]),
    ({"tls": {"min_version": "1.3"}},
     [Gap("work", "incoming.tls.min_version",
          "offlineimap3 cannot require TLS 1.3 (ssl_version pins a single version and has no tls1_3): "
          "TLS 1.2 or newer is negotiated")], True, ["sslcacertfile = OS-DEFAULT", DEFAULT_MECHS]),
    ({"security": "none", "tls": {"verify": False, "fingerprint": MD5, "min_version": "1.3"}}, [], True,
     ["starttls = no", DEFAULT_MECHS]),  # no TLS: nothing to verify
    ({"mechanisms": ["scram-sha-256", "plain"]},
     [Gap("work", "incoming.mechanisms", "offlineimap3 knows GSSAPI, XOAUTH2, CRAM-MD5, PLAIN, LOGIN only: "
          "SCRAM-SHA-256 left out (auth_mechanisms is PLAIN)")], True,
     ["sslcacertfile = OS-DEFAULT", "auth_mechanisms = PLAIN"]),
    ({"mechanisms": ["scram-sha-256"]},
     [Gap("work", "incoming.mechanisms", "offlineimap3 knows GSSAPI, XOAUTH2, CRAM-MD5, PLAIN, LOGIN only: "
          "SCRAM-SHA-256 left out (the default CRAM-MD5, PLAIN, LOGIN is used)")], True,
     ["sslcacertfile = OS-DEFAULT", DEFAULT_MECHS]),
    ({"auth": "gssapi", "password_command": "pass x"},
     [Gap("work", "incoming.password_command",
          "auth gssapi does not use it, so it is left out; remove it or change auth")], True,
     ["sslcacertfile = OS-DEFAULT", "auth_mechanisms = GSSAPI"]),
    ({"auth": "oauth2", "password_command": "pass x", "token_command": "tok-cmd"},
     [Gap("work", "incoming.password_command",
          "auth oauth2 does not use it, so it is left out; use token_command for oauth2")], True,
     ["oauth2_access_token_eval = mailconf_token('work')", "sslcacertfile = OS-DEFAULT", "auth_mechanisms = XOAUTH2"]),
    ({"token_command": "tok-cmd"},
     [Gap("work", "incoming.token_command",
          "auth password does not use it, so it is left out; remove it or change auth")], True,
     ["sslcacertfile = OS-DEFAULT", DEFAULT_MECHS]),
]  # fmt: skip


@pytest.mark.parametrize(("server", "gaps", "written", "remaining"), GAPS)
def test_gaps_are_reported_exactly(
    tmp_path: Path, server: dict[str, Any], gaps: list[Gap], written: bool, remaining: list[str]
) -> None:
    incoming = {"protocol": "imap", "host": "imap.example.org", **server}
    rendered = render({"work": {"address": "alice@example.org", "incoming": incoming}})
    assert list(rendered.gaps) == gaps
    if not written:
        assert rendered.files == ()
        return
    rc = write(tmp_path, rendered)
    offlineimap_reads(rc, tmp_path, "read")
    keys = (
        "sslcacertfile",
        "cert_fingerprint",
        "remotepasseval",
        "oauth2_access_token_eval",
        "starttls",
        "auth_mechanisms",
    )
    assert [line for line in rc.read_text().splitlines() if line.startswith(keys)] == remaining


def test_one_socktimeout_for_every_account(tmp_path: Path) -> None:
    imap = {"protocol": "imap", "host": "imap.example.org"}
    accounts = {
        "a": {"address": "a@example.org", "incoming": imap},  # no timeout: takes the written one
        "b": {"address": "b@example.org", "incoming": imap | {"timeout": 20}},
        "c": {"address": "c@example.org", "incoming": imap | {"timeout": 20}},
        "d": {"address": "d@example.org", "incoming": imap | {"timeout": 0}},
    }
    rendered = render(accounts)
    assert list(rendered.gaps) == [
        Gap("d", "incoming.timeout", "offlineimap3 reads one socktimeout for every account ([general]): 20 seconds "
            "is written (the first account's that declares one); give every account the same timeout"),
    ]  # fmt: skip
    assert offlineimap_reads(write(tmp_path, rendered), tmp_path, "use")["socktimeout"] == 20


def test_strict_fails_on_starttls_and_writes_nothing(tmp_path: Path) -> None:
    incoming = {"protocol": "imap", "host": "h.example", "security": "starttls", "password_command": "x"}
    source_text = yaml_text({"work": {"address": "a@example.org", "incoming": incoming}})
    _, errors = refused_render(tmp_path, source_text, "offlineimap", "--strict")
    assert errors == [
        f"mailconf: error: offlineimap: account work: incoming.security cannot be expressed; {STARTTLS}",
        "mailconf: 1 setting cannot be expressed by offlineimap (--strict); nothing written",
    ]


@pytest.mark.parametrize(
    ("server", "message"),
    [
        (imap_server(username="al\nice"), f"incoming.username: {CONTROL}"),
        (imap_server(username="alice\u2028"), f"incoming.username: {CONTROL}"),
        (imap_server(username=" alice"), f"incoming.username: {BLANK_END}"),
        (imap_server(host="h\n[x]"), f"incoming.host: {CONTROL}"),
        (imap_server(tls=Tls(ca_file="/ca\0")), f"incoming.tls.ca_file: {CONTROL}"),
        (imap_server(tls=Tls(ca_file="/$HOME/ca")), f"incoming.tls.ca_file: {VARIABLE}"),
        (imap_server(tls=Tls(client_cert="/c\x85")), f"incoming.tls.client_cert: {CONTROL}"),
        (imap_server(tls=Tls(client_cert="/c.pem", client_key="/k ")), f"incoming.tls.client_key: {BLANK_END}"),
    ],
)  # fmt: skip
def test_a_value_offlineimap_cannot_read_stops_the_render_naming_account_and_setting(
    server: Server, message: str
) -> None:
    # The schema already refuses most of these; this is the target's own guard (a Model built directly).
    # The message names the account and the setting, never the value.
    account = Account("work", "a@example.org", None, None, server, None)
    assert refusal(TARGET, account) == f"target offlineimap: not rendered: account work: {message}"


def test_starttls_optional_is_refused_too_when_render_did_not_refuse_it_first() -> None:
    # render refuses starttls-optional before any target runs (common_gaps); called directly, the target
    # refuses it the same way (Gaps.unsupported, like every target), and never writes it as ssl = no
    account = Account("work", "a@example.org", None, None, imap_server(security=Security.STARTTLS_OPTIONAL), None)
    assert refusal(TARGET, account) == (
        "target offlineimap: not rendered: account work: incoming.security: starttls-optional is never rendered "
        "(a client that may skip STARTTLS can be downgraded); use starttls or tls"
    )


def test_an_account_name_that_is_not_a_section_name_is_refused() -> None:
    account = Account("a]\n[b", "a@example.org", None, None, imap_server(), None)
    assert refusal(TARGET, account) == (
        'target offlineimap: not rendered: account "a]\\n[b": an account name offlineimap cannot use as a section name'
    )


def test_a_yaml_escaped_newline_never_reaches_the_file(tmp_path: Path) -> None:
    source, errors = refused_render(
        tmp_path,
        ONE_IMAP_ACCOUNT + '      username: "alice\\n[Account evil]\\nremotepasseval = __import__(\\"os\\")"\n',
        "offlineimap",
    )
    assert errors[-1] == f"mailconf: {source}: not rendered: fix the errors above first (`mailconf lint {source}`)"


# --- hostile values -------------------------------------------------------------------------

#: Every quoting character ConfigParser, Python, the shell or YAML can trip on, and YAML's line breaks (\N \L \P).
ASCII_HOSTILE = [*" \"'\\`$();#%&|<>*?!~{}[]=,.:@-+aZ09x", "$(touch CANARY)", "`touch CANARY`", '\\"', "\\n",
                 '"\\', "%(x)s", "%%", "')", '")', "__import__('os').system('touch CANARY')", "\\x00", "\\u2028",
                 "'''", '"""', "\n[general]\n", "\r"]  # fmt: skip
#: What offlineimap refuses in the .offlineimaprc, as the schema does (C1 controls, line separators), and \n \r.
LINE_BREAKING = frozenset("\x85\u2028\u2029\n\r")


def _written(value: str) -> bool:
    """The specification, independent of the escaper: a value the .offlineimaprc can carry exactly."""
    if any(unicodedata.category(c) == "Cc" or c in "\u2028\u2029" for c in value):
        return False
    return not (value[:1].isspace() or value[-1:].isspace())


def _path(value: str) -> bool:
    # what posixpath.expandvars replaces: $NAME or ${...}
    return _written(value) and re.search(r"\$(\w+|\{[^}]*\})", value, re.ASCII) is None


#: A command may hold anything the schema allows: it goes to the pythonfile as a Python literal.
COMMAND = strings([c for c in ASCII_HOSTILE + NON_ASCII + UNICODE_HOSTILE if "\n" not in c and "\r" not in c])
#: A value of the .offlineimaprc that can be written (the refusals are tested below).
RC_VALUE = strings(
    [c for c in ASCII_HOSTILE + NON_ASCII + UNICODE_HOSTILE if not LINE_BREAKING.intersection(c)]
).filter(_written)
PATH_TAIL = RC_VALUE.map(lambda v: v.replace("/", "_")).filter(_path)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("certs"))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(user=RC_VALUE, secret=COMMAND, token=COMMAND, ca_tail=PATH_TAIL, cert_tail=PATH_TAIL, root_tail=PATH_TAIL)
def test_hostile_values_read_back_exactly_and_run_nothing_while_read(  # noqa: PLR0917
    tmp_path: Path, user: str, secret: str, token: str, ca_tail: str, cert_tail: str, root_tail: str
) -> None:
    home = tmp_path / os.urandom(6).hex()
    home.mkdir()
    canary = home / "CANARY"  # relative CANARY: the commands run with the working directory at home
    ca, cert, key, root = (home / f"ca {ca_tail}", home / f"c {cert_tail}", home / f"k {cert_tail}",
                           home / f"m {root_tail}")  # fmt: skip
    ca.write_text("")
    # The commands print the hostile text; the shell sees it single-quoted, so only a misreading changes
    # what is printed (and the canary would show a command substitution that ran).
    password_command = f"printf '%s\\n' {shlex.quote(secret)}"
    token_command = f"printf '%s\\n' {shlex.quote(token)}"
    imap = {"protocol": "imap", "host": "localhost", "username": user}
    accounts = {
        "work": {"address": "a@example.org", "incoming": imap | {"password_command": password_command, "tls": {
            "ca_file": str(ca), "client_cert": str(cert), "client_key": str(key)}}},
        "oauth": {"address": "o@example.org", "incoming": imap | {"auth": "oauth2", "token_command": token_command,
                                                                  "security": "none", "port": 143}},
    }  # fmt: skip
    rendered = render(accounts, {"maildir-root": str(root)})
    # printable ASCII but SP ( ) { ": what LOGIN sends as is and Dovecot reads as written (% * \\ included)
    unquoted = re.fullmatch(r"[!#-'*-z|}~]+", user) is not None
    assert list(rendered.gaps) == ([] if unquoted else [login_user_gap("CRAM-MD5, PLAIN")])  # only "work" uses LOGIN
    rc = write(home, rendered)
    read = offlineimap_reads(rc, home, "read")
    assert not canary.exists()  # loading the file and the pythonfile ran nothing
    assert read["Repository work-remote"]["remoteuser"] == user
    assert read["Repository work-remote"]["sslcacertfile"] == str(ca)
    assert read["Repository work-local"]["localfolders"] == f"{root}/work"
    assert [list(section) for section in read.values()] == [
        ["accounts", "pythonfile"], ["localrepository", "remoterepository"], ["type", "localfolders"],
        ["type", "remotehost", "remoteport", "remoteuser", "remotepasseval", "ssl", "sslcacertfile", "sslclientcert",
         "sslclientkey", "auth_mechanisms", "expunge"],
        ["localrepository", "remoterepository"], ["type", "localfolders"],
        ["type", "remotehost", "remoteport", "remoteuser", "oauth2_access_token_eval", "ssl", "starttls",
         "auth_mechanisms", "expunge"],
    ]  # fmt: skip
    used = offlineimap_reads(rc, home, "use")["repos"]
    assert not canary.exists()
    work, oauth = used["work"], used["oauth"]
    assert (work["user"], work["password"], work["ca"], work["cert"], work["key"], work["maildir"]) == (
        user, secret, str(ca), str(cert), str(key), f"{root}/work")  # fmt: skip
    assert (oauth["user"], oauth["token"], oauth["maildir"]) == (user, token, f"{root}/oauth")


@settings(max_examples=40, deadline=None)
@given(user=strings(ASCII_HOSTILE + NON_ASCII + UNICODE_HOSTILE))
def test_a_hostile_user_name_is_written_exactly_or_refused_naming_the_setting(user: str) -> None:
    model = Model((Account("work", "a@example.org", None, None, imap_server(username=user), None),))
    if not _written(user):
        with pytest.raises(RenderError) as caught:
            render_model(TARGET, model, {})
        reason = CONTROL if any(c in LINE_BREAKING or ord(c) < 32 for c in user) else BLANK_END
        assert str(caught.value) == f"target offlineimap: not rendered: account work: incoming.username: {reason}"
        return
    text = render_model(TARGET, model, {}).files[0].content.decode()
    assert f"\nremoteuser = {user.replace('%', '%%')}\n" in text


# --- read back by offlineimap --info, talking to a server -----------------------------------


class Seen(NamedTuple):
    tls: bool  # the login came over TLS
    mechanism: str
    response: bytes  # the decoded SASL response


class ImapStub(imap_stub.ImapStub):
    """Accepts any ``AUTHENTICATE`` and records it (imaplib2 sends no initial response: the stub asks with
    ``+``). Implicit TLS, or plain text offering STARTTLS or not."""

    CAPABILITIES = "IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2"

    def __init__(self, context: ssl.SSLContext, *, implicit: bool, offer_starttls: bool = False) -> None:
        super().__init__(context, implicit=implicit, offer_starttls=offer_starttls)
        self.seen: list[Seen] = []

    def read_command(self, connection: imap_stub.Connection) -> list[str]:
        line = connection.reader.readline(65536)
        return line.decode("utf-8").rstrip("\r\n").split(" ") if line else []

    def answer(self, connection: imap_stub.Connection, tag: str, verb: str, args: list[str]) -> str | None:
        if verb == "AUTHENTICATE":
            connection.send("+ \r\n")
            answer = connection.reader.readline(65536)
            if not answer:  # the client hung up without answering
                return None
            if answer.rstrip(b"\r\n") == b"*":  # the client cancelled (RFC 9051 6.2.2)
                return f"{tag} BAD cancelled\r\n"
            self.seen.append(Seen(connection.secure, args[0], base64.b64decode(answer)))
        elif verb == "LOGIN":  # its arguments as sent (read_command split them at blanks)
            self.seen.append(Seen(connection.secure, "LOGIN", " ".join(args).encode()))
        return f"{tag} OK done\r\n"


@contextmanager
def stub(
    certs: Certificates, *, implicit: bool = True, offer_starttls: bool = False, pair: KeyPair | None = None
) -> Iterator[ImapStub]:
    context = server_context(pair or certs.good)
    # No TLS 1.3 session tickets: imaplib2 restarts its reader thread on the plain socket right after STARTTLS,
    # and when the server's NewSessionTicket arrives first that thread can take it off the wire; the client then
    # waits forever (seen in about 1 run in 6). Real servers send tickets too, one more reason starttls is a gap.
    context.num_tickets = 0
    with ImapStub(context, implicit=implicit, offer_starttls=offer_starttls) as server:
        yield server


HOSTILE_USER = "al%ice \"q\" 'x' \\ $(touch CANARY) `touch CANARY` %(x)s 😀 é"
HOSTILE_SECRET = "p%w \"q\" 'x' \\ $(touch CANARY) `id` ; # %% 𝄞"


@pytest.mark.parametrize("auth", ["password", "oauth2"])
def test_offlineimap_info_logs_in_as_written(tmp_path: Path, certs: Certificates, auth: str) -> None:
    with stub(certs) as server:
        command = f"printf '%s\\n' {shlex.quote(HOSTILE_SECRET)}"
        incoming = {"protocol": "imap", "host": "localhost", "port": server.port, "username": HOSTILE_USER,
                    "auth": auth, "tls": {"ca_file": str(certs.ca)},
                    ("password_command" if auth == "password" else "token_command"): command}  # fmt: skip
        rc = write(tmp_path, render({"work": {"address": "a@example.org", "incoming": incoming}}))
        done = offlineimap(rc, tmp_path, "--info")
    assert done.returncode == 0, done.stderr
    assert f"Host: localhost Port: {server.port} SSL: True\n" in done.stderr  # offlineimap's ttyui logs to stderr
    assert "Folderlist:\n INBOX\n" in done.stderr
    user, secret = HOSTILE_USER.encode(), HOSTILE_SECRET.encode()
    expected = (
        Seen(True, "PLAIN", b"\0" + user + b"\0" + secret)
        if auth == "password"
        else Seen(True, "XOAUTH2", b"user=" + user + b"\1auth=Bearer " + secret + b"\1\1")
    )
    assert server.seen == [expected]
    assert not (tmp_path / "CANARY").exists()


def login_user_gap(written: str) -> Gap:
    return Gap("work", "incoming.username",
               "offlineimap3 sends the user name of an IMAP LOGIN unquoted, and this one holds a blank, a non-ASCII "
               "character or one of ( ) { \": Dovecot refuses such a LOGIN (BAD), a laxer server reads another name, "
               f"and a non-ASCII name stops offlineimap3 before it logs in, so LOGIN is left out (auth_mechanisms is "
               f"{written}: offlineimap3 logs in only where the server offers "
               f"{' or '.join('AUTH=' + m for m in written.split(', '))})")  # fmt: skip


@pytest.mark.parametrize(
    ("user", "mechanisms", "seen", "gaps"),
    [
        ("alice@example.org", ["login"], Seen(True, "LOGIN", b'alice@example.org "pw"'), []),
        ("a]b~'!", ["login"], Seen(True, "LOGIN", b"a]b~'! \"pw\""), []),  # ASTRING-CHARs, ] included
        # no atom characters in RFC 9051, but sent as written, and Dovecot reads them (tests/e2e/test_offlineimap.py)
        ("user%domain*x\\y", ["login"], Seen(True, "LOGIN", b'user%domain*x\\y "pw"'), []),
        # imaplib2 would send LOGIN al ice "pw": the server reads user al, password ice
        ("al ice", ["login"], Seen(True, "PLAIN", b"\0al ice\0pw"), [login_user_gap("CRAM-MD5, PLAIN")]),
        ("al ice", [], Seen(True, "PLAIN", b"\0al ice\0pw"), [login_user_gap("CRAM-MD5, PLAIN")]),
        ('a"b\\c', ["plain", "login"], Seen(True, "PLAIN", b'\0a"b\\c\0pw'), [login_user_gap("PLAIN")]),
        ("a(b){%*}", ["login"], Seen(True, "PLAIN", b"\0a(b){%*}\0pw"), [login_user_gap("CRAM-MD5, PLAIN")]),
        ("é", ["login"], Seen(True, "PLAIN", "\0é\0pw".encode()), [login_user_gap("CRAM-MD5, PLAIN")]),
    ],
)  # fmt: skip
def test_login_is_used_only_for_a_user_name_it_sends_as_written(  # noqa: PLR0917
    tmp_path: Path, certs: Certificates, user: str, mechanisms: list[str], seen: Seen, gaps: list[Gap]
) -> None:
    with stub(certs) as server:
        incoming = {"protocol": "imap", "host": "localhost", "port": server.port, "username": user,
                    "password_command": "echo pw", "tls": {"ca_file": str(certs.ca)}}  # fmt: skip
        if mechanisms:
            incoming["mechanisms"] = mechanisms
        rendered = render({"work": {"address": "a@example.org", "incoming": incoming}})
        done = offlineimap(write(tmp_path, rendered), tmp_path, "--info")
    assert done.returncode == 0, done.stderr
    assert server.seen == [seen]
    assert list(rendered.gaps) == gaps


class NoSaslStub(ImapStub):
    """A server that lists no SASL mechanism: only the IMAP LOGIN command could log in to it."""

    CAPABILITIES = "IMAP4rev1"


def test_without_login_a_server_that_lists_no_sasl_mechanism_gets_no_login(tmp_path: Path, certs: Certificates) -> None:
    # what the username gap says: with LOGIN left out, CRAM-MD5 and PLAIN are tried only where the server lists them
    context = server_context(certs.good)
    context.num_tickets = 0  # as stub() does
    with NoSaslStub(context, implicit=True) as server:
        incoming = {"protocol": "imap", "host": "localhost", "port": server.port, "username": "al ice",
                    "password_command": "echo pw", "tls": {"ca_file": str(certs.ca)}}  # fmt: skip
        rendered = render({"work": {"address": "a@example.org", "incoming": incoming}})
        done = offlineimap(write(tmp_path, rendered), tmp_path, "--info")
    assert list(rendered.gaps) == [login_user_gap("CRAM-MD5, PLAIN")]
    assert done.returncode == 1, done.stderr
    assert (
        "Repository work-remote: no supported authentication mechanisms found; configured CRAM-MD5, PLAIN, server "
        "advertises \n"
    ) in done.stderr
    assert server.seen == []


def test_a_ca_that_did_not_sign_the_server_stops_the_login(tmp_path: Path, certs: Certificates) -> None:
    with stub(certs) as server:
        incoming = {"protocol": "imap", "host": "localhost", "port": server.port, "password_command": "echo pw",
                    "tls": {"ca_file": str(certs.self_signed.cert)}}  # fmt: skip
        rc = write(tmp_path, render({"work": {"address": "a@example.org", "incoming": incoming}}))
        done = offlineimap(rc, tmp_path, "--info")
    assert done.returncode == 1
    assert (
        f"\nFailed to connect. Reason Could not connect via SSL to host 'localhost' and non-standard ssl port "
        f"{server.port} configured. Make sure you connect to the correct port. Got: [SSL: CERTIFICATE_VERIFY_FAILED] "
        "certificate verify failed: unable to get local issuer certificate (_ssl.c:992)\n"
    ) in done.stderr
    assert server.seen == []


@pytest.mark.parametrize(("pin", "logs_in"), [("right", True), ("wrong", False)])
def test_a_pin_alone_is_checked_with_verify_false(tmp_path: Path, certs: Certificates, pin: str, logs_in: bool) -> None:
    fingerprint = certs.fingerprint(certs.good if pin == "right" else certs.expired)
    with stub(certs) as server:
        incoming = {"protocol": "imap", "host": "localhost", "port": server.port, "password_command": "echo pw",
                    "tls": {"verify": False, "verify_hostname": False, "fingerprint": fingerprint}}  # fmt: skip
        rendered = render({"work": {"address": "a@example.org", "incoming": incoming}})
        assert rendered.gaps == ()
        done = offlineimap(write(tmp_path, rendered), tmp_path, "--info")
    assert [s.mechanism for s in server.seen] == (["PLAIN"] if logs_in else [])
    assert done.returncode == (0 if logs_in else 1), done.stderr
    # the pin is compared in lower-case hex, and the certificate is not checked against any CA
    pin = fingerprint.removeprefix("sha256:").replace(":", "").lower()
    mismatch = f"for hostname 'localhost' does not match configured fingerprint(s) ['{pin}']."
    assert (mismatch in done.stderr) is not logs_in


class CertStub(imap_stub.RecordsClientCertificate, ImapStub):
    """Asks for a client certificate and records the one presented at each login (the shared recorder)."""

    def __init__(self, context: ssl.SSLContext) -> None:
        super().__init__(context, implicit=True)


KEY_ONLY = (
    "offlineimap3 takes a private key only with its client certificate: sslclientkey alone stops every connection of "
    "the account ('TypeError: certfile should be a valid filesystem path'), so it is left out; add tls.client_cert "
    "(the key's own file when it holds the certificate too)"
)


@pytest.mark.parametrize(
    ("declared", "presented", "gaps", "written"),
    [
        ({"client_cert": "cert.pem", "client_key": "key.pem"}, "client.example", [], ["cert.pem", "key.pem"]),
        ({"client_cert": "both.pem", "client_key": "both.pem"}, "client.example", [], ["both.pem", "both.pem"]),
        ({"client_cert": "both.pem"}, "client.example", [], ["both.pem"]),  # the key is read from the same file
        ({"client_key": "both.pem"}, None, [Gap("work", "incoming.tls.client_key", KEY_ONLY)], []),
    ],
    ids=["pair", "one-file", "cert-holding-key", "key-only"],
)
def test_a_client_certificate_is_presented_or_half_the_pair_is_a_gap(  # noqa: PLR0917 (pytest fixtures)
    tmp_path: Path,
    certs: Certificates,
    declared: dict[str, str],
    presented: str | None,
    gaps: list[Gap],
    written: list[str],
) -> None:
    """imaplib2 loads the pair with load_cert_chain(sslclientcert, sslclientkey) before the handshake. A key alone
    was written without a gap, and every connection of the account died ('TypeError: certfile should be a valid
    filesystem path', whatever the server asks): it is a gap now, and left out. A certificate alone is fine when its
    file holds the key too (read from there)."""
    client_ca = trustme.CA()
    client = client_ca.issue_cert("client.example")
    client.cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
    client.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    client.private_key_and_cert_chain_pem.write_to_path(str(tmp_path / "both.pem"))
    context = server_context(certs.good)
    context.num_tickets = 0  # as stub() does
    client_ca.configure_trust(context)
    context.verify_mode = ssl.CERT_OPTIONAL
    with CertStub(context) as server:
        rendered, done = _info(
            tmp_path, server.port, tls={"ca_file": str(certs.ca)} | {k: str(tmp_path / v) for k, v in declared.items()}
        )
    assert done.returncode == 0, done.stderr
    assert server.presented == [presented]
    assert list(rendered.gaps) == gaps
    lines = (tmp_path / ".offlineimaprc").read_text().splitlines()
    assert [line.split(" = ")[1] for line in lines if line.startswith("sslclient")] == [
        str(tmp_path / name) for name in written
    ]


def test_a_certificate_alone_whose_file_holds_no_key_stops_offlineimap(tmp_path: Path, certs: Certificates) -> None:
    """What the page says of a tls.client_cert alone: its file must hold the key too (no gap: the file is not read
    at render time, and one PEM file holding both is the usual case)."""
    trustme.CA().issue_cert("client.example").cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
    with stub(certs) as server:
        rendered, done = _info(
            tmp_path, server.port, tls={"ca_file": str(certs.ca), "client_cert": str(tmp_path / "cert.pem")}
        )
    assert (rendered.gaps, done.returncode, server.seen) == ((), 1, [])
    assert "ssl.SSLError: [SSL] PEM lib" in done.stderr


def _info(tmp_path: Path, port: int, **more: Any) -> tuple[Rendered, subprocess.CompletedProcess[str]]:
    incoming = {"protocol": "imap", "host": "localhost", "port": port, "password_command": "echo pw", **more}
    rendered = render({"work": {"address": "a@example.org", "incoming": incoming}})
    return rendered, offlineimap(write(tmp_path, rendered), tmp_path, "--info")


def test_what_the_verify_gap_says_the_system_cas_are_checked(tmp_path: Path, certs: Certificates) -> None:
    with stub(certs) as server:  # the test CA is not among the system CAs
        rendered, done = _info(tmp_path, server.port, tls={"verify": False})
    assert [g.setting for g in rendered.gaps] == ["incoming.tls.verify"]
    assert done.returncode == 1
    assert "Got: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer" in done.stderr
    assert server.seen == []


def test_what_the_hostname_gap_says_the_name_is_checked(tmp_path: Path, certs: Certificates) -> None:
    with stub(certs, pair=certs.wrong_name) as server:  # signed by the test CA, for wrong.example only
        rendered, done = _info(tmp_path, server.port, tls={"ca_file": str(certs.ca), "verify_hostname": False})
    assert [g.setting for g in rendered.gaps] == ["incoming.tls.verify_hostname"]
    assert done.returncode == 1
    assert "ssl.SSLError: ('CA Cert verifying failed:  no matching domain name found in certificate',)" in done.stderr
    assert server.seen == []


def test_the_timeout_is_read_from_general(tmp_path: Path) -> None:
    with ScriptedServer(never_greet) as server:
        rendered, done = _info(tmp_path, server.port, security="none", timeout=1)
    assert rendered.gaps == ()
    assert done.returncode == 1
    assert "IMAP4 protocol error: no response after 1.0 secs" in done.stderr  # socktimeout = 1


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning")  # the old versions are the point
def test_offlineimap_never_negotiates_below_tls_1_2(tmp_path: Path, certs: Certificates) -> None:
    # Why nothing is written for min_version 1.2 and lower: a server that stops at TLS 1.1 (its OpenSSL
    # allowed to, SECLEVEL=0) is refused by offlineimap on Debian 12, while a client that allows TLS 1.1
    # does reach it (so the server really speaks TLS 1.1).
    context = server_context(certs.good, ssl.TLSVersion.TLSv1_1)
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    context.minimum_version = ssl.TLSVersion.TLSv1
    with ImapStub(context, implicit=True) as server:
        client = ssl.create_default_context(cafile=str(certs.ca))
        client.set_ciphers("DEFAULT:@SECLEVEL=0")
        client.minimum_version = ssl.TLSVersion.TLSv1
        raw = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        with client.wrap_socket(raw, server_hostname="localhost") as tls:
            assert tls.version() == "TLSv1.1"
        rendered, done = _info(tmp_path, server.port, tls={"ca_file": str(certs.ca), "min_version": "1.0"})
    assert rendered.gaps == ()
    assert done.returncode == 1
    assert "Could not connect via SSL to host 'localhost'" in done.stderr
    assert server.seen == []


@pytest.mark.parametrize("offered", [False, True])
def test_why_starttls_is_a_gap_offlineimap_skips_it_or_checks_no_certificate(
    tmp_path: Path, certs: Certificates, offered: bool
) -> None:
    # The evidence for the starttls gap, on the installed offlineimap3: ssl = no with starttls = yes (what
    # security starttls would have to become), sslcacertfile naming the test CA. Against a server that does not
    # offer STARTTLS (as an attacker who strips it would answer), offlineimap sends the password in clear text;
    # against one that offers it with a certificate no trusted CA signed, it logs in over that TLS all the same.
    with stub(certs, implicit=False, offer_starttls=offered, pair=certs.self_signed) as server:
        rc = tmp_path / ".offlineimaprc"
        (tmp_path / "p.py").write_text("def pw():\n    return 'secret'\n")
        rc.write_text(
            "[general]\naccounts = w\npythonfile = ~/p.py\n[Account w]\nlocalrepository = l\nremoterepository = r\n"
            f"[Repository l]\ntype = Maildir\nlocalfolders = ~/Mail\n[Repository r]\ntype = IMAP\n"
            f"remotehost = localhost\nremoteport = {server.port}\nremoteuser = alice\nremotepasseval = pw()\n"
            f"ssl = no\nstarttls = yes\nsslcacertfile = {certs.ca}\nauth_mechanisms = PLAIN\n"
        )
        done = offlineimap(rc, tmp_path, "--info")
    assert done.returncode == 0, done.stderr
    assert server.seen == [Seen(offered, "PLAIN", b"\0alice\0secret")]


# --- examples -------------------------------------------------------------------------------


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_examples_render_and_offlineimap_reads_them(tmp_path: Path, example: Path) -> None:
    model = example_model(example)
    rendered = render_model(TARGET, model, {})
    written = [a.name for a in model.accounts if TARGET.renders(a)]  # type: ignore[attr-defined]
    if not written:
        assert rendered.files == ()
        return
    rc = write(tmp_path, rendered)
    read = offlineimap_reads(rc, tmp_path, "read")
    assert read["general"]["accounts"] == ", ".join(written)
    assert [s.removeprefix("Account ") for s in read if s.startswith("Account ")] == written


def test_a_failing_command_stops_the_account_naming_it_not_the_command(tmp_path: Path, certs: Certificates) -> None:
    with stub(certs) as server:
        secret_looking = "echo not-the-password; exit 3"
        _, done = _info(tmp_path, server.port, password_command=secret_looking, tls={"ca_file": str(certs.ca)})
    assert done.returncode == 1
    assert "RuntimeError: mailconf: the password command of account work exited with status 3\n" in done.stderr
    assert "not-the-password" not in done.stderr
    assert server.seen == []


@pytest.mark.parametrize(("escape", "shown"), [("\\L", "\\u2028"), ("\\P", "\\u2029"), ("\\N", "\\u0085")])
def test_a_yaml_line_separator_is_refused_by_the_schema_before_offlineimap(
    tmp_path: Path, escape: str, shown: str
) -> None:
    # U+2028, U+2029 and U+0085 passed the schema's username pattern, and offlineimap's escaper refused them; the
    # schema refuses them now (the escaper still does in a model built directly: the test of values it cannot read)
    source = tmp_path / "accounts.yaml"
    source.write_text('version: 1\naccounts:\n  work:\n    address: a@example.org\n    incoming:\n'
                      '      protocol: imap\n      host: h.example\n'
                      f'      username: "alice{escape}[Account x]"\n')  # fmt: skip
    out = tmp_path / "out"
    done = run_render("-t", "offlineimap", str(source), "-o", str(out))
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        f'{source}:8:17: error MC002 schema-violation: `username` is not valid (got "alice{shown}[Account x]"): '
        "remove control characters (C0, DEL, C1) and line and paragraph separators (U+2028, U+2029)\n"
        f"mailconf: {source}: not rendered: fix the errors above first (`mailconf lint {source}`)\n"
    )
    assert not out.exists()


@pytest.mark.parametrize(("first", "second"), [("Work", "work"), ("a.B", "A.b")])
def test_two_accounts_whose_maildirs_differ_only_in_case_are_refused_naming_both(first: str, second: str) -> None:
    """On macOS, Windows or a FAT drive ~/Mail/Work and ~/Mail/work are one folder: offlineimap would keep both accounts
    there. Before, both were written (lint's MC710 warns about the names, but render went on)."""
    imap = {"protocol": "imap", "host": "imap.example.org", "username": "u", "password_command": "p"}
    accounts = {first: {"address": "a@example.org", "incoming": imap}, second: {"address": "b@example.org",
                                                                                "incoming": imap}}  # fmt: skip
    with pytest.raises(RenderError) as caught:
        render(accounts)
    assert str(caught.value) == (
        f"target offlineimap: not rendered: account {second}: name: its folder ~/Mail/{second} and account {first}'s "
        f"folder ~/Mail/{first} differ only in case: one folder on macOS, Windows or a FAT drive, where offlineimap "
        "would keep both accounts' mail and sync state in it; rename one of the two accounts"
    )
    assert len(render({first: accounts[first], f"{second}-2": accounts[second]}).files) >= 1  # in more than case


#: The gap that leaves a STARTTLS account out.
STARTTLS_LEFT_OUT = (
    "offlineimap3 8.0.0 starts TLS only when the server offers STARTTLS (upstream issue #222) and then checks no "
    "certificate, so an attacker can remove or intercept it and read the password: the account is left out; use "
    "security tls (port 993)"
)


@pytest.mark.parametrize(
    ("first", "gaps"),
    [
        # no account written declares a timeout: written, this one's would be socktimeout (no gap)
        ({}, [("incoming.security", STARTTLS_LEFT_OUT)]),
        ({"timeout": 10}, [("incoming.security", STARTTLS_LEFT_OUT),
                           ("incoming.timeout", "offlineimap3 reads one socktimeout for every account ([general]): 10 "
                                                "seconds is written (the first account's that declares one); give "
                                                "every account the same timeout")]),
    ],
)  # fmt: skip
def test_a_left_out_account_gets_the_socktimeout_gap_only_against_a_written_one(
    first: dict[str, Any], gaps: list[tuple[str, str]]
) -> None:
    # a left-out account's other gaps are reported (docs/render.md, left-out accounts); the socktimeout is that of the
    # accounts written, and without one there is nothing it would differ from ("None seconds is written")
    imap = {"protocol": "imap", "host": "imap.example.org", "username": "u", "password_command": "p"}
    rendered = render(
        {
            "kept": {"address": "k@example.org", "incoming": imap | first},
            "out": {"address": "o@example.org", "incoming": imap | {"security": "starttls", "timeout": 30}},
        }
    )
    assert [(g.account, g.setting, g.instead) for g in rendered.gaps] == [("out", *gap) for gap in gaps]
