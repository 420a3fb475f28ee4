# mypy: disable-error-code="untyped-decorator"
# (pyproject skips following hypothesis, so its decorators look untyped)
"""Target getmail: every rendered rc file is read back by getmail6 (6.18.11) itself.

``getmail --getmaildir D --rcfile F --dump`` reads the file exactly as a fetch would (RawConfigParser,
then every retriever setting through its typed check, ``eval()`` for tuples and integers), prints
each setting and connects nowhere. The tests compare the whole printed retriever line with the line
the expected settings give (getmail prints ``name="value"`` for every setting, its defaults
included, sorted by name), so a changed value, a lost one or an extra one fails. getmail needs the
Maildir (cur, new, tmp) and every named certificate file to exist while it reads the file, so each
test creates them. tests/e2e/test_getmail.py fetches from the real Dovecot.
"""

from __future__ import annotations

import ast
import base64
import os
import posixpath
import re
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple
from unittest import mock

import pytest
import trustme
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mailconf.errors import UsageError
from mailconf.escape import UnsafeValue
from mailconf.escape.getmail import (
    BLANK_MESSAGE,
    CONTROL_MESSAGE,
    VARIABLE_MESSAGE,
    getmail_path,
    getmail_tuple,
    getmail_value,
    python_str,
)
from mailconf.model import Account, Protocol, Security, Server, Tls
from mailconf.render import environment, render_model
from mailconf.targets import TARGETS, Gap, Rendered
from tests.conftest import EXAMPLES, need
from tests.servers import Script, ScriptedServer
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
    strings,
    yaml_text,
)

TARGET = TARGETS["getmail"]
SYSTEM_CA = "/etc/ssl/certs/ca-certificates.crt"

#: What getmail --dump prints for the settings a file does not set, per retriever.
_SSL = {"ca_certs": "None", "certfile": "None", "keyfile": "None", "ssl_cert_hostname": "None",
        "ssl_ciphers": "None", "ssl_fingerprints": "()", "ssl_version": "None"}  # fmt: skip
_IMAP = {"imap_on_delete": "None", "imap_search": "None", "mailboxes": "('INBOX',)", "move_on_delete": "None",
         "record_mailbox": "True", "use_cram_md5": "False", "use_kerberos": "False", "use_peek": "True",
         "use_xoauth2": "False", "port": "143"}  # fmt: skip
_POP3 = {"use_apop": "False", "delete_dup_msgids": "False", "port": "110"}
_COMMON = {"password": "*", "password_command": "()", "timeout": "180"}
DEFAULTS: Mapping[str, Mapping[str, str]] = {
    "SimpleIMAPSSLRetriever": _COMMON | _IMAP | _SSL | {"port": "993"},
    "SimpleIMAPRetriever": _COMMON | _IMAP,
    "SimplePOP3SSLRetriever": _COMMON | _POP3 | _SSL | {"port": "995"},
    "SimplePOP3Retriever": _COMMON | _POP3,
}


def render(accounts: dict[str, Any], options: dict[str, str] | None = None) -> Rendered:
    return render_with(TARGET, accounts, options)


def write(directory: Path, rendered: Rendered) -> dict[str, Path]:
    """The rendered files under directory (each getmail/<account>.getmailrc, 0600)."""
    written = {}
    for file in rendered.files:
        assert file.mode == 0o600
        assert file.name.startswith("getmail/") and file.name.endswith(".getmailrc")
        path = directory / file.name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(file.content)
        written[file.name.removeprefix("getmail/").removesuffix(".getmailrc")] = path
    return written


def maildir(path: Path) -> Path:
    for part in ("cur", "new", "tmp"):
        (path / part).mkdir(parents=True, exist_ok=True)
    return path


class Dump(NamedTuple):
    retriever: str  # the whole line after "retriever:  "
    destination: str
    options: dict[str, str]


def getmail(rc: Path, home: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    binary = need("getmail")["getmail"]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LC_ALL": "C.UTF-8"}
    return subprocess.run(
        [binary, "--getmaildir", str(rc.parent), "--rcfile", rc.name, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd or home,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )


def dump(rc: Path, home: Path, cwd: Path | None = None) -> Dump:
    """What getmail read from the file: ``getmail --dump`` (reads, checks, prints; connects nowhere)."""
    done = getmail(rc, home, "--dump", cwd=cwd)
    assert (done.returncode, done.stderr) == (0, ""), done.stderr  # no warning (no unknown setting either)
    lines = done.stdout.split("\n")  # at \n only: str.splitlines would also split at \x85 and \u2028
    [retriever] = [line.removeprefix("  retriever:  ") for line in lines if line.startswith("  retriever:  ")]
    [destination] = [line.removeprefix("  destination:  ") for line in lines if line.startswith("  destination:  ")]
    start = lines.index("  options:")
    options = dict(line.strip().split(" : ", 1) for line in lines[start + 1 :] if line.startswith("    "))
    return Dump(retriever, destination, options)


def retriever_line(kind: str, **values: object) -> str:
    """The line getmail --dump prints for a retriever with these settings (its defaults for the others)."""
    shown = dict(DEFAULTS[kind]) | {k: str(v) for k, v in values.items()}
    return f"{kind}(" + ", ".join(f'{k}="{shown[k]}"' for k in sorted(shown)) + ")"


def destination_line(path: Path | str) -> str:
    return f'Maildir(filemode="384", path="{path}", user="None")'


def options_of(delete: bool = False, delete_after: int = 0) -> dict[str, str]:
    return {
        "delete": str(delete), "delete_after": str(delete_after), "delete_bigger_than": "0", "delivered_to": "True",
        "fingerprint": "False", "logfile": "None", "max_bytes_per_session": "0", "max_message_size": "0",
        "max_messages_per_session": "0", "message_log": "None", "message_log_syslog": "False",
        "message_log_verbose": "False", "netrc_file": "None", "read_all": "False", "received": "True",
        "skip_imap_fetch_size": "False", "to_oldmail_on_each_mail": "False", "use_netrc": "False", "verbose": "1",
    }  # fmt: skip


def sh(command: str) -> tuple[str, str, str]:
    return ("/bin/sh", "-c", command)


#: The script the target runs a command in: getmail would take the command's whole output, this passes on its first
#: line (tests/e2e/test_getmail.py logs in through it).
FIRST_LINE = 'out=$(/bin/sh -c "$1") || exit; printf %s "$out" | head -n 1'


def runs(command: str) -> tuple[str, ...]:
    """The password_command tuple the target writes for a command."""
    return ("/bin/sh", "-c", FIRST_LINE, "mailconf", command)


# --- escaping -----------------------------------------------------------------------------

#: Any text: every plane, control characters, lone surrogates excluded (a file cannot hold them in UTF-8).
ANY_TEXT = st.text(st.characters(blacklist_categories=["Cs"]), max_size=40)
LITERAL = re.compile(r"'(?:[ !-&(-\[\]-~]|\\x[0-9a-f]{2}|\\u[0-9a-f]{4}|\\U[0-9a-f]{8})*'")


@given(value=ANY_TEXT)
def test_python_str_is_printable_ascii_and_evaluates_to_exactly_the_value(value: str) -> None:
    literal = python_str(value)
    assert LITERAL.fullmatch(literal), literal  # one literal of printable ASCII: no line break, no other token
    assert ast.literal_eval(literal) == value
    assert eval(literal, {"__builtins__": {}}, {}) == value  # getmail's own eval: what is proven


@given(values=st.lists(ANY_TEXT.filter(lambda v: "\0" not in v), min_size=1, max_size=4))
def test_tuples_evaluate_to_exactly_the_strings(values: list[str]) -> None:
    literal = getmail_tuple(values)
    assert literal.isascii() and literal.isprintable()
    assert eval(literal, {"__builtins__": {}}, {}) == tuple(values)


def test_tuple_literals() -> None:
    assert getmail_tuple(["a"]) == "('a',)"
    assert getmail_tuple(sh("pass show 'x' \\ é😀\x85")) == (
        "('/bin/sh', '-c', 'pass show \\x27x\\x27 \\x5c \\xe9\\U0001f600\\x85')"
    )
    payload = "'),(__import__('os').system('touch canary')"
    assert getmail_tuple(sh(payload)) == (
        "('/bin/sh', '-c', '\\x27),(__import__(\\x27os\\x27).system(\\x27touch canary\\x27)')"
    )
    with pytest.raises(UnsafeValue) as caught:
        getmail_tuple(sh("a\0b"))
    assert str(caught.value) == "a command argument cannot hold a NUL character"


@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "a\0b", "a\tb", "a\x7fb", "\n"])
def test_values_refuse_control_characters_without_echoing_them(bad: str) -> None:
    with pytest.raises(UnsafeValue) as caught:
        getmail_value(bad)
    assert str(caught.value) == CONTROL_MESSAGE
    assert (
        CONTROL_MESSAGE == "getmail reads one line per setting: a control character (line break, NUL) cannot be written"
    )


@pytest.mark.parametrize("bad", [" a", "a ", "a\u00a0", "\x85a", "a\u2028", "\u3000"])
def test_values_refuse_blanks_that_getmail_would_strip(bad: str) -> None:
    with pytest.raises(UnsafeValue) as caught:
        getmail_value(bad)
    assert str(caught.value) == BLANK_MESSAGE
    assert bad.strip() != bad  # what RawConfigParser does to the value after "="


class _EveryVariableSet(dict[str, str]):
    """An environment in which every variable is set: what expandvars could replace, it replaces."""

    def __getitem__(self, key: str) -> str:
        return "<" + key + ">"


@given(value=st.text(st.sampled_from("$ab_{}(/.9 é"), max_size=12))
def test_paths_refuse_exactly_what_getmail_would_expand(value: str) -> None:
    path = "/" + value + "."  # blanks at the ends are refused for another reason (tested above)
    changed = _expand(path) != path
    try:
        getmail_path(path)
        refused = False
    except UnsafeValue as exc:
        assert str(exc) == VARIABLE_MESSAGE
        refused = True
    assert refused is changed


def _expand(path: str) -> str:
    with mock.patch("os.environ", _EveryVariableSet()):  # posixpath.expandvars reads os.environ
        return posixpath.expandvars(path)


# --- what is written, read back -------------------------------------------------------------

#: The command of FULL as written: the first-line script, then the command (\ and ' as escapes).
FULL_COMMAND = (
    """('/bin/sh', '-c', 'out=$(/bin/sh -c "$1") || exit; printf %s "$out" | head -n 1', 'mailconf', """
    """'pass show "mail" \\x5c \\x27x\\x27')"""
)
FULL = """\
# getmail (getmail6 6.18.11) rc file for account work, written by mailconf (target getmail).
# Edit the account file and render again rather than editing this file.
# The Maildir must exist (cur, new, tmp) before getmail runs: getmail does not create it.

[retriever]
type = SimpleIMAPSSLRetriever
server = imap.example.org
port = 10993
username = alice.login
password_command = {password_command}
use_cram_md5 = true
ca_certs = {ca}
timeout = 45

[destination]
type = Maildir
path = {root}/work/

[options]
read_all = false
delete = false
"""


def test_full_account_is_written_exactly_and_read_back(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("")  # getmail checks that it exists while reading
    root = tmp_path / "Mail"
    maildir(root / "work")
    command = "pass show \"mail\" \\ 'x'"
    incoming = {
        "protocol": "imap", "host": "imap.example.org", "port": 10993, "username": "alice.login",
        "password_command": command, "timeout": 45, "mechanisms": ["scram-sha-256", "cram-md5", "plain"],
        "tls": {"ca_file": str(ca), "min_version": "1.2"},
    }  # fmt: skip
    outgoing = {"host": "smtp.example.org"}  # not getmail's job: not written, not a gap
    rendered = render({"work": {"address": "a@example.org", "incoming": incoming, "outgoing": outgoing}},
                      {"maildir-root": str(root)})  # fmt: skip
    assert list(rendered.gaps) == [
        Gap("work", "incoming.mechanisms", "getmail cannot use scram-sha-256 over IMAP: it logs in with CRAM-MD5")
    ]
    rc = write(tmp_path, rendered)["work"]
    assert rc.read_text() == FULL.format(ca=ca, root=root, password_command=FULL_COMMAND)
    got = dump(rc, tmp_path)
    assert got.retriever == retriever_line(
        "SimpleIMAPSSLRetriever", ca_certs=ca, getmaildir=rc.parent, port=10993, server="imap.example.org",
        username="alice.login", password_command=runs(command), use_cram_md5=True, timeout=45,
    )  # fmt: skip
    assert got.destination == destination_line(f"{root}/work/")
    assert got.options == options_of()


KEY_ONLY_GAP = (
    "getmail takes a private key only with its client certificate (certfile and keyfile must be supplied together), "
    "so keyfile is left out and no certificate is presented; add tls.client_cert (the key's own file when it holds "
    "the certificate too)"
)


_FLAGS = {"password": {}, "oauth2": {"use_xoauth2": True}, "gssapi": {"use_kerberos": True}}


@pytest.mark.parametrize("protocol", ["imap", "pop3"])
@pytest.mark.parametrize("security", ["tls", "none"])
@pytest.mark.parametrize("auth", ["password", "oauth2", "gssapi", "ntlm", "client-cert", "none"])
def test_every_combination_is_read_back(tmp_path: Path, protocol: str, security: str, auth: str) -> None:
    files = {name: tmp_path / f"{name}.pem" for name in ("ca", "cert", "key")}
    for path in files.values():
        path.write_text("")
    incoming: dict[str, Any] = {"protocol": protocol, "host": "mail.example.org", "security": security, "auth": auth,
                                "tls": {"ca_file": str(files["ca"])}}  # fmt: skip
    if auth == "client-cert":
        incoming["tls"] |= {"client_cert": str(files["cert"]), "client_key": str(files["key"])}
    if auth in ("password", "ntlm"):
        incoming["password_command"] = "secret-tool lookup mail work"
    if auth == "oauth2":
        incoming["token_command"] = "oama access alice@example.org"
    rendered = render({"work": {"address": "alice@example.org", "incoming": incoming}}, {"maildir-root": "~/M"})
    name = protocol.upper()
    expected_gaps = {
        "ntlm": [Gap("work", "incoming.auth", "getmail has no NTLM: use auth password if the server offers LOGIN "
                     "(IMAP) or USER/PASS (POP3)"),
                 Gap("work", "incoming.password_command",
                     f"auth ntlm over {name} does not use it with getmail, so it is left out")],
        "client-cert": [Gap("work", "incoming.auth", "getmail has no SASL EXTERNAL: it presents the certificate and "
                            "still logs in with a password (use auth password with a password_command)")],
        "none": [Gap("work", "incoming.auth", "getmail always logs in: give a username and auth")],
    }.get(auth, [])  # fmt: skip
    if protocol == "pop3" and auth in ("oauth2", "gssapi"):
        expected_gaps = [Gap("work", "incoming.auth", f"getmail has no {auth} over POP3: use auth password")]
        if auth == "oauth2":
            left_out = "auth oauth2 over POP3 does not use it with getmail, so it is left out"
            expected_gaps.append(Gap("work", "incoming.token_command", left_out))
    assert list(rendered.gaps) == expected_gaps
    rc = write(tmp_path, rendered)["work"]
    maildir(tmp_path / "M" / "work")
    encrypted = security == "tls"
    kind = f"Simple{name}{'SSL' if encrypted else ''}Retriever"
    values: dict[str, object] = {"getmaildir": rc.parent, "server": "mail.example.org", "username": "alice@example.org"}
    values["port"] = {("imap", "tls"): 993, ("imap", "none"): 143, ("pop3", "tls"): 995, ("pop3", "none"): 110}[
        (protocol, security)
    ]
    if auth == "password":
        values["password_command"] = runs("secret-tool lookup mail work")
    if protocol == "imap" and auth == "oauth2":
        values["password_command"] = runs("oama access alice@example.org")
    if protocol == "imap":
        values |= _FLAGS.get(auth, {})
    if encrypted:
        values["ca_certs"] = files["ca"]
        if auth == "client-cert":
            values |= {"certfile": files["cert"], "keyfile": files["key"]}
    if protocol == "imap" and auth == "gssapi" and not _has_kerberos():
        # getmail needs python3-kerberos for use_kerberos: without it, it stops while reading (the flag was read)
        done = getmail(rc, tmp_path, "--dump")
        assert done.returncode == 2
        assert done.stderr == (
            f"Configuration error: configuration file {rc} incorrect (cannot use kerberos authentication; "
            "Python kerberos support not installed or does not support GSS)\n"
        )
        assert "use_kerberos = true\n" in rc.read_text()
        return
    got = dump(rc, tmp_path)
    assert got.retriever == retriever_line(kind, **values)
    assert got.destination == destination_line(f"{tmp_path}/M/work/")
    assert got.options == options_of()


def _has_kerberos() -> bool:
    """Whether getmail's python (Debian's /usr/bin/python3) has python3-kerberos."""
    python = Path(need("getmail")["getmail"]).read_text().splitlines()[0].removeprefix("#!").split()[0]
    done = subprocess.run([python, "-c", "import kerberos"], capture_output=True, check=False)
    return done.returncode == 0


def test_starttls_is_a_gap_and_never_a_cleartext_retriever(tmp_path: Path) -> None:
    accounts = {
        "s": {"address": "s@example.org", "incoming": {"protocol": "imap", "host": "imap.example.org",
                                                        "security": "starttls"}},
        "p": {"address": "p@example.org", "incoming": {"protocol": "pop3", "host": "pop.example.org",
                                                        "security": "starttls"}},
        "t": {"address": "t@example.org", "incoming": {"protocol": "pop3", "host": "pop.example.org"}},
        "sender": {"address": "x@example.org", "outgoing": {"host": "smtp.example.org"}},
    }  # fmt: skip
    rendered = render(accounts)
    instead = (
        "getmail 6.18.11 has no STARTTLS (it ignores use_starttls): the account is not rendered; "
        "use security: tls (port 993 or 995) if the server offers it"
    )
    assert list(rendered.gaps) == [Gap("s", "incoming.security", instead), Gap("p", "incoming.security", instead)]
    assert [f.name for f in rendered.files] == ["getmail/t.getmailrc"]


def test_no_incoming_account_renders_no_file() -> None:
    assert render({"s": {"address": "s@example.org", "outgoing": {"host": "smtp.example.org"}}}) == Rendered(())


def test_output_is_deterministic() -> None:
    accounts = {"a": {"address": "a@example.org", "incoming": {"protocol": "imap", "host": "imap.example.org"}}}
    assert render(accounts) == render(accounts)


@pytest.mark.parametrize(
    ("pop3", "options"),
    [
        ({}, options_of(delete=False)),
        ({"leave_on_server": True}, options_of(delete=False)),
        ({"leave_on_server": True, "leave_days": 14}, options_of(delete=False, delete_after=14)),
        ({"leave_on_server": False}, options_of(delete=True)),
        ({"leave_on_server": False, "leave_days": 14}, options_of(delete=True)),  # deleted at once anyway
    ],
)
def test_leave_on_server_and_leave_days_are_read_back(
    tmp_path: Path, pop3: dict[str, Any], options: dict[str, str]
) -> None:
    incoming = {"protocol": "pop3", "host": "pop.example.org", "password_command": "cat /p", **pop3}
    rendered = render({"p": {"address": "p@example.org", "incoming": incoming}}, {"maildir-root": str(tmp_path)})
    assert rendered.gaps == ()
    maildir(tmp_path / "p")
    got = dump(write(tmp_path, rendered)["p"], tmp_path, cwd=tmp_path)
    assert got.options == options
    assert got.retriever == retriever_line(
        "SimplePOP3SSLRetriever", getmaildir=tmp_path / "getmail", server="pop.example.org",
        username="p@example.org", password_command=runs("cat /p"), ca_certs=SYSTEM_CA,
    )  # fmt: skip


# --- certificates -------------------------------------------------------------------------

PIN = "sha256:" + ":".join(["A5"] * 32)
PIN_HEX = "a5" * 32


@pytest.mark.parametrize(
    ("tls", "shown", "gaps"),
    [
        ({}, {"ca_certs": SYSTEM_CA}, []),  # getmail checks nothing without ca_certs: the system bundle
        ({"ca_file": "CA"}, {"ca_certs": "CA"}, []),
        ({"verify": False}, {}, []),  # no ca_certs: getmail accepts any certificate
        ({"verify": False, "ca_file": "CA"}, {}, []),
        ({"fingerprint": PIN}, {"ssl_fingerprints": (PIN_HEX,)}, []),  # a pin replaces CA trust
        ({"fingerprint": PIN, "ca_file": "CA"}, {"ssl_fingerprints": (PIN_HEX,), "ca_certs": "CA"}, []),
        ({"fingerprint": "sha1:" + ":".join(["0B"] * 20), "verify": False}, {"ca_certs": SYSTEM_CA},
         [Gap("work", "incoming.tls.fingerprint", "getmail pins SHA-256 fingerprints only: give the sha256 "
              "fingerprint; the certificate is checked against the CAs meanwhile")]),
        ({"verify_hostname": False}, {"ca_certs": SYSTEM_CA},
         [Gap("work", "incoming.tls.verify_hostname", "getmail always checks the certificate's name against the "
              "server when it checks the certificate: the connection fails where the name does not match (pin the "
              "certificate with a sha256 tls.fingerprint instead)")]),
        ({"verify_hostname": False, "fingerprint": PIN}, {"ssl_fingerprints": (PIN_HEX,)}, []),
        ({"min_version": "1.3"}, {"ca_certs": SYSTEM_CA},
         [Gap("work", "incoming.tls.min_version", "getmail has no minimum TLS version (ssl_version allows one exact "
              "version): on Debian 12 it accepts TLS 1.2 and newer")]),
        ({"client_cert": "CERT"}, {"ca_certs": SYSTEM_CA, "certfile": "CERT", "keyfile": "CERT"}, []),
        ({"client_key": "KEY"}, {"ca_certs": SYSTEM_CA},
         [Gap("work", "incoming.tls.client_key", KEY_ONLY_GAP)]),
    ],
)  # fmt: skip
def test_certificate_settings_are_read_back(
    tmp_path: Path, tls: dict[str, Any], shown: dict[str, Any], gaps: list[Gap]
) -> None:
    names = {"CA": tmp_path / "ca.pem", "CERT": tmp_path / "cert.pem", "KEY": tmp_path / "key.pem"}
    for path in names.values():
        path.write_text("")
    tls = {k: str(names.get(v, v)) if isinstance(v, str) else v for k, v in tls.items()}
    incoming = {"protocol": "imap", "host": "imap.example.org", "password_command": "cat /p", "tls": tls}
    rendered = render({"work": {"address": "a@example.org", "incoming": incoming}}, {"maildir-root": str(tmp_path)})
    assert list(rendered.gaps) == gaps
    maildir(tmp_path / "work")
    rc = write(tmp_path, rendered)["work"]
    shown = {k: names.get(v, v) if isinstance(v, str) else v for k, v in shown.items()}
    assert dump(rc, tmp_path).retriever == retriever_line(
        "SimpleIMAPSSLRetriever", getmaildir=rc.parent, server="imap.example.org", username="a@example.org",
        password_command=runs("cat /p"), **shown,
    )  # fmt: skip


def test_a_missing_ca_file_stops_getmail_while_reading(tmp_path: Path) -> None:
    incoming = {"protocol": "imap", "host": "imap.example.org", "tls": {"ca_file": "/nonexistent/ca.pem"}}
    rendered = render({"work": {"address": "a@example.org", "incoming": incoming}}, {"maildir-root": str(tmp_path)})
    maildir(tmp_path / "work")
    rc = write(tmp_path, rendered)["work"]
    done = getmail(rc, tmp_path, "--dump")
    assert done.returncode == 2
    assert done.stderr == (
        f'Configuration error: configuration file {rc} incorrect (ca_certs: specified file "/nonexistent/ca.pem" '
        "does not exist)\n"
    )


# --- gaps ---------------------------------------------------------------------------------

GAPS: list[tuple[dict[str, Any], list[Gap], list[str]]] = [
    ({"timeout": 0},
     [Gap("work", "incoming.timeout", "getmail cannot wait without a timeout (0 makes its sockets non-blocking): "
          "left out, getmail waits 180 s")], []),
    ({"timeout": 7}, [], ["timeout = 7"]),
    ({"auth": "oauth2", "password_command": "pass x", "token_command": "tok-cmd", "mechanisms": ["oauthbearer"]},
     [Gap("work", "incoming.mechanisms", "getmail cannot use oauthbearer over IMAP: it logs in with XOAUTH2"),
      Gap("work", "incoming.password_command",
          "auth oauth2 does not use it, so it is left out; use token_command for oauth2")],
     [f"password_command = {getmail_tuple(runs('tok-cmd'))}", "use_xoauth2 = true"]),
    ({"token_command": "tok-cmd"},
     [Gap("work", "incoming.token_command", "auth password does not use it, so it is left out; remove it or change "
          "auth")], []),
    ({"mechanisms": ["login", "cram-md5"], "password_command": "p"}, [],
     [f"password_command = {getmail_tuple(runs('p'))}"]),
    ({"protocol": "pop3", "mechanisms": ["cram-md5", "plain"]},
     [Gap("work", "incoming.mechanisms", "getmail cannot use cram-md5 over POP3: it logs in with USER/PASS")], []),
]  # fmt: skip


@pytest.mark.parametrize(("server", "gaps", "auth_lines"), GAPS)
def test_gaps_are_reported_exactly(server: dict[str, Any], gaps: list[Gap], auth_lines: list[str]) -> None:
    incoming = {"protocol": "imap", "host": "mail.example.org", **server}
    rendered = render({"work": {"address": "alice@example.org", "incoming": incoming}})
    assert list(rendered.gaps) == gaps
    lines = rendered.files[0].content.decode().splitlines()
    wanted = ("password_command", "use_", "timeout")
    assert [line for line in lines if line.startswith(wanted)] == auth_lines  # what remains


def test_strict_fails_on_a_gap_and_writes_nothing(tmp_path: Path) -> None:
    incoming = {"protocol": "pop3", "host": "pop.example.org", "security": "starttls"}
    source_text = yaml_text({"work": {"address": "a@example.org", "incoming": incoming}})
    _, errors = refused_render(tmp_path, source_text, "getmail", "--strict")
    assert errors == [
        "mailconf: error: getmail: account work: incoming.security cannot be expressed; getmail 6.18.11 has no "
        "STARTTLS (it ignores use_starttls): the account is not rendered; use security: tls (port 993 or 995) if "
        "the server offers it",
        "mailconf: 1 setting cannot be expressed by getmail (--strict); nothing written",
    ]


@pytest.mark.parametrize(
    ("server", "message"),
    [
        (imap_server(username="al\nice"), f"incoming.username: {CONTROL_MESSAGE}"),
        (imap_server(username=" alice"), f"incoming.username: {BLANK_MESSAGE}"),
        (imap_server(password_command="pass\0x"),
         "incoming.password_command: a command argument cannot hold a NUL character"),
        (imap_server(tls=Tls(ca_file="/ca\r")), f"incoming.tls.ca_file: {CONTROL_MESSAGE}"),
        (imap_server(tls=Tls(ca_file="/etc/$HOME/ca")), f"incoming.tls.ca_file: {VARIABLE_MESSAGE}"),
        (imap_server(tls=Tls(client_cert="/c/${X}")), f"incoming.tls.client_cert: {VARIABLE_MESSAGE}"),
        (imap_server(tls=Tls(client_cert="/c", client_key="/k\x7f")), f"incoming.tls.client_key: {CONTROL_MESSAGE}"),
    ],
)  # fmt: skip
def test_a_value_getmail_cannot_read_stops_the_render_naming_account_and_setting(server: Server, message: str) -> None:
    # The schema refuses most of these; this is the target's own guard (a Model built directly).
    # The message names the account and the setting, never the value.
    account = Account("work", "a@example.org", None, None, server, None)
    assert refusal(TARGET, account) == f"target getmail: not rendered: account work: {message}"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"maildir-root": "Mail"},
         "--option maildir-root: write an absolute path or one starting with ~/ (like ~/Mail)"),
        ({"maildir-root": "/m\nx"}, f"--option maildir-root: {CONTROL_MESSAGE}"),
        ({"maildir-root": "$HOME/Mail"},
         "--option maildir-root: write an absolute path or one starting with ~/ (like ~/Mail)"),
        ({"maildir-root": "/srv/$USER"}, f"--option maildir-root: {VARIABLE_MESSAGE}"),
        ({"system-ca-file": "ca.pem"},
         "--option system-ca-file: write an absolute path (like /etc/ssl/certs/ca-certificates.crt)"),
        ({"system-ca-file": "/ca.pem "}, f"--option system-ca-file: {BLANK_MESSAGE}"),
    ],
)  # fmt: skip
def test_bad_options_are_usage_errors(options: dict[str, str], message: str) -> None:
    accounts = {"a": {"address": "a@example.org", "incoming": {"protocol": "imap", "host": "imap.example.org"}}}
    with pytest.raises(UsageError) as caught:
        TARGET.render(document(accounts), environment(), options)
    assert str(caught.value) == message


def test_options_set_the_maildir_root_and_the_system_ca_file(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle 100%.pem"
    bundle.write_text("")
    accounts = {"a": {"address": "a@example.org", "incoming": {"protocol": "imap", "host": "imap.example.org"}}}
    rendered = render(accounts, {"maildir-root": "~/mail box/", "system-ca-file": str(bundle)})
    rc = write(tmp_path, rendered)["a"]
    maildir(tmp_path / "mail box" / "a")
    got = dump(rc, tmp_path)
    assert got.destination == destination_line(f"{tmp_path}/mail box/a/")  # ~ is HOME
    assert got.retriever == retriever_line(
        "SimpleIMAPSSLRetriever", getmaildir=rc.parent, server="imap.example.org", username="a@example.org",
        ca_certs=bundle,
    )  # fmt: skip


# --- the user name on the wire -------------------------------------------------------------


class ImapStub(imap_stub.ImapStub):
    """Implicit TLS, an empty INBOX; records each login as (command, the user name it received)."""

    CAPABILITIES = "IMAP4rev1 AUTH=PLAIN AUTH=CRAM-MD5"

    def __init__(self, context: ssl.SSLContext) -> None:
        super().__init__(context, implicit=True, offer_starttls=False)
        self.seen: list[tuple[str, str]] = []

    def answer(self, connection: imap_stub.Connection, tag: str, verb: str, args: list[str]) -> str | None:
        if verb == "LOGIN":  # the arguments as the stub parsed them: "user" then "password" when sent as written
            self.seen.append(("LOGIN", " | ".join(args)))
        elif verb == "AUTHENTICATE":  # CRAM-MD5: the response is the user name, a blank and the digest
            connection.send("+ PDEyMzRAZXhhbXBsZS5vcmc+\r\n")
            response = base64.b64decode(connection.reader.readline(65536)).decode("utf-8")
            self.seen.append((args[0], response.rsplit(" ", 1)[0]))
        elif verb == "EXAMINE":
            return f"* 0 EXISTS\r\n* OK [UIDVALIDITY 1] ok\r\n{tag} OK [READ-ONLY] done\r\n"
        return f"{tag} OK done\r\n"


#: A user name IMAP LOGIN carries unquoted: printable ASCII but SP ( ) { " (RFC 9051 also leaves out % * \\, which
#: Dovecot reads as written: tests/e2e/test_getmail.py).
UNQUOTED = re.compile(r"[!#-'*-z|}~]+")
LOGIN_USER_GAP = (
    "getmail sends the user name of an IMAP LOGIN unquoted, and this one holds a blank, a non-ASCII character or one "
    'of ( ) { ": Dovecot refuses such a LOGIN (BAD), a laxer server reads another name, and a non-ASCII name stops '
    "getmail before it logs in; its only other login for an IMAP password is CRAM-MD5 (mechanisms: [cram-md5]), and "
    "POP3 sends the name as written"
)


def localhost_tls(tmp_path: Path) -> tuple[ssl.SSLContext, Path]:
    """A server context with a certificate for localhost, and the CA file (in ``tmp_path``) that trusts it."""
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(context)
    return context, ca_file


@pytest.mark.parametrize(
    ("user", "mechanisms", "code", "seen", "gapped"),
    [
        ("alice@example.org", [], 0, [("LOGIN", "alice@example.org | pw")], False),
        ("a]b~'!", [], 0, [("LOGIN", "a]b~'! | pw")], False),  # ASTRING-CHARs, ] included: sent as written
        ("user%domain*x\\y", [], 0, [("LOGIN", "user%domain*x\\y | pw")], False),  # no RFC 9051 atom: sent as written
        ("al ice", [], 0, [("LOGIN", "al | ice | pw")], True),  # the server reads user "al", password "ice"
        ("é", [], 4, [], True),  # imaplib cannot encode it: getmail stops before it logs in
        ("al ice", ["cram-md5"], 0, [("CRAM-MD5", "al ice")], False),  # through SASL: as written
        ("é", ["cram-md5"], 0, [("CRAM-MD5", "é")], False),
    ],
)
def test_a_user_name_imap_login_cannot_carry_is_a_gap(  # noqa: PLR0917
    tmp_path: Path, user: str, mechanisms: list[str], code: int, seen: list[tuple[str, str]], gapped: bool
) -> None:
    context, ca_file = localhost_tls(tmp_path)
    with ImapStub(context) as server:
        incoming = {"protocol": "imap", "host": "localhost", "port": server.port, "username": user,
                    "password_command": "echo pw", "tls": {"ca_file": str(ca_file)}}  # fmt: skip
        if mechanisms:
            incoming["mechanisms"] = mechanisms
        rendered = render({"work": {"address": "a@example.org", "incoming": incoming}}, {"maildir-root": str(tmp_path)})
        maildir(tmp_path / "work")
        done = getmail(write(tmp_path, rendered)["work"], tmp_path)
    assert done.returncode == code, done.stderr
    assert server.seen == seen
    assert list(rendered.gaps) == ([Gap("work", "incoming.username", LOGIN_USER_GAP)] if gapped else [])


class CertStub(imap_stub.RecordsClientCertificate, ImapStub):
    """Asks for a client certificate and records the one presented at each login (the shared recorder)."""


@pytest.mark.parametrize(
    ("declared", "presented", "gaps"),
    [
        ({"client_cert": "cert.pem", "client_key": "key.pem"}, "client.example", []),
        ({"client_cert": "both.pem", "client_key": "both.pem"}, "client.example", []),
        ({"client_cert": "both.pem"}, "client.example", []),  # named as certfile and keyfile
        ({"client_key": "both.pem"}, None, [Gap("work", "incoming.tls.client_key", KEY_ONLY_GAP)]),
    ],
    ids=["pair", "one-file", "cert-holding-key", "key-only"],
)
def test_a_client_certificate_is_presented_or_half_the_pair_is_a_gap(
    tmp_path: Path, declared: dict[str, str], presented: str | None, gaps: list[Gap]
) -> None:
    """getmail presents the pair it is given (load_cert_chain(certfile, keyfile)); a certificate alone is named as
    both, so one PEM file holding both is presented; a key alone is a gap (getmail refuses a keyfile without a
    certfile) and nothing is presented."""
    client_ca = trustme.CA()
    client = client_ca.issue_cert("client.example")
    client.cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
    client.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    client.private_key_and_cert_chain_pem.write_to_path(str(tmp_path / "both.pem"))
    context, ca_file = localhost_tls(tmp_path)
    client_ca.configure_trust(context)
    context.verify_mode = ssl.CERT_OPTIONAL
    with CertStub(context) as server:
        tls = {"ca_file": str(ca_file)} | {k: str(tmp_path / v) for k, v in declared.items()}
        incoming = {"protocol": "imap", "host": "localhost", "port": server.port, "username": "alice",
                    "password_command": "echo pw", "tls": tls}  # fmt: skip
        rendered = render({"work": {"address": "a@example.org", "incoming": incoming}}, {"maildir-root": str(tmp_path)})
        maildir(tmp_path / "work")
        done = getmail(write(tmp_path, rendered)["work"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert server.presented == [presented]
    assert list(rendered.gaps) == gaps


# --- the file where getmail records what it fetched ---------------------------------------

#: 253 characters, labels of 63: the longest host the schema takes.
LONG_HOST = ".".join(["a" * 63] * 3) + "." + "b" * 61


def oldmail_gap(setting: str, size: int, mailbox: str = "-INBOX") -> Gap:
    return Gap("work", f"incoming.{setting}", (
        f"getmail records what it has fetched in a file named oldmail-HOST-PORT-USER{mailbox} in its getmaildir, "
        f"here {size} bytes, and writes it first as that name and .tmp.PID (up to 12 bytes more): past the 255 bytes "
        "a file name may hold, getmail cannot save it, ends the run with an error (exit 127) and fetches the mail "
        "left on the server again next time; shorten the host or the user name"
    ))  # fmt: skip


@pytest.mark.parametrize(
    ("incoming", "gaps"),
    [
        # IMAP: oldmail-imap.example.org-993-USER-INBOX is 35 bytes and the user name's
        ({"username": "u" * 208}, []),  # 243 bytes: room left for .tmp. and a PID of 7 digits
        ({"username": "u" * 209}, [oldmail_gap("username", 244)]),
        ({"username": "\u00fc" * 104, "mechanisms": ["cram-md5"]}, []),  # 2 bytes each in UTF-8: 243 bytes
        ({"username": "\u00fc" * 105, "mechanisms": ["cram-md5"]}, [oldmail_gap("username", 245)]),
        ({"username": "/:" * 128}, []),  # getmail writes a run of / : ; < > | as one -
        ({"username": "\\" * 209}, [oldmail_gap("username", 244)]),  # kept: the \: in getmail's [/\:;<>|] is a colon
        ({"host": LONG_HOST, "username": "a"}, [oldmail_gap("host", 8 + 253 + 5 + 1 + 6)]),
        # POP3: oldmail-pop.example.org-995-USER, no mailbox
        ({"protocol": "pop3", "port": 995, "username": "u" * 215}, []),
        ({"protocol": "pop3", "port": 995, "username": "u" * 216}, [oldmail_gap("username", 244, "")]),
    ],
)
def test_a_name_too_long_for_getmails_oldmail_file_is_a_gap(incoming: dict[str, Any], gaps: list[Gap]) -> None:
    server = {"protocol": "imap", "host": "imap.example.org" if incoming.get("protocol") != "pop3"
              else "pop.example.org", "password_command": "p", **incoming}  # fmt: skip
    rendered = render({"work": {"address": "a@example.org", "incoming": server}})
    assert list(rendered.gaps) == gaps
    [file] = rendered.files  # written all the same: getmail reads it back (only saving its state fails)
    assert f"username = {server['username']}" in file.content.decode()


@pytest.mark.parametrize(("size", "code"), [(243, 0), (251, 127)])
def test_getmail_cannot_save_an_oldmail_file_whose_name_is_too_long(tmp_path: Path, size: int, code: int) -> None:
    """What the oldmail gap says, with the real getmail: at 243 bytes it saves the file; at 251 (past 255 with
    .tmp. and any PID) it cannot, and ends with exit 127."""
    context, ca_file = localhost_tls(tmp_path)
    with ImapStub(context) as server:
        user = "u" * (size - len(f"oldmail-localhost-{server.port}--INBOX"))
        incoming = {"protocol": "imap", "host": "localhost", "port": server.port, "username": user,
                    "password_command": "echo pw", "tls": {"ca_file": str(ca_file)}}  # fmt: skip
        rendered = render({"work": {"address": "a@example.org", "incoming": incoming}}, {"maildir-root": str(tmp_path)})
        maildir(tmp_path / "work")
        rc = write(tmp_path, rendered)["work"]
        done = getmail(rc, tmp_path)
    assert server.seen == [("LOGIN", f"{user} | pw")]  # read back exactly, and logged in
    assert done.returncode == code, done.stderr
    saved = [p.name for p in rc.parent.iterdir() if p.name.startswith("oldmail-")]
    if code == 0:
        assert (list(rendered.gaps), saved) == ([], [f"oldmail-localhost-{server.port}-{user}-INBOX"])
    else:
        assert (list(rendered.gaps), saved) == ([oldmail_gap("username", size)], [])


# --- hostile values -----------------------------------------------------------------------

#: Every quoting character getmail, Python, the shell or YAML can trip on, Python code, and YAML's own line breaks.
ASCII_HOSTILE = [*" \"'\\`$();#%&|<>*?!~{}[]=,.:@-+aZ09x", "$(touch CANARY)", "`touch CANARY`", "%(x)s", "%%",
                 "'),(__import__('os').system('touch CANARY')", "\\x27", "\\n", "'''", '"""']  # fmt: skip


HOSTILE = strings(ASCII_HOSTILE + NON_ASCII + UNICODE_HOSTILE)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(user=HOSTILE, command=HOSTILE, ca_tail=HOSTILE, cert_tail=HOSTILE, root_tail=HOSTILE)
def test_hostile_values_read_back_exactly_and_run_nothing(  # noqa: PLR0917
    tmp_path: Path, user: str, command: str, ca_tail: str, cert_tail: str, root_tail: str
) -> None:
    user = "u" + user + "u"  # blanks at either end are refused (tested above): keep them inside
    tails = [t.replace("/", "_") for t in (ca_tail, cert_tail, root_tail)]
    assume(not any(re.search(r"\$(\w+|\{[^}]*\})", t, re.ASCII) for t in tails))  # refused (tested above)
    base = tmp_path / os.urandom(6).hex()
    base.mkdir()
    ca, cert, key = base / f"ca {tails[0]}.pem", base / f"c {tails[1]}.pem", base / f"k {tails[1]}.pem"
    root = base / f"m {tails[2]}"
    for path in (ca, cert, key):
        path.write_text("")
    incoming = {"protocol": "imap", "host": "imap.example.org", "username": user, "password_command": command,
                "tls": {"ca_file": str(ca), "client_cert": str(cert), "client_key": str(key)}}  # fmt: skip
    rendered = render({"work": {"address": "a@example.org", "incoming": incoming}}, {"maildir-root": str(root)})
    unquoted = UNQUOTED.fullmatch(user) is not None
    assert list(rendered.gaps) == ([] if unquoted else [Gap("work", "incoming.username", LOGIN_USER_GAP)])
    rc = write(base, rendered)["work"]
    maildir(root / "work")
    got = dump(rc, base, cwd=base)  # a relative CANARY would land in base
    assert got.retriever == retriever_line(
        "SimpleIMAPSSLRetriever", getmaildir=rc.parent, server="imap.example.org", username=user,
        password_command=runs(command), ca_certs=ca, certfile=cert, keyfile=key,
    )  # fmt: skip
    assert got.destination == destination_line(f"{root}/work/")
    assert got.options == options_of()
    assert not (base / "CANARY").exists()  # nothing ran while the file was read
    # one setting per line, each once, in three sections (split at \n only: getmail's text mode splits at \r too,
    # and the file holds no \r)
    text = rc.read_text("utf-8")
    assert "\r" not in text
    keys = [line.split(" = ", 1)[0] for line in text.split("\n") if line and line[0] != "#"]
    assert keys == ["[retriever]", "type", "server", "port", "username", "password_command", "ca_certs", "certfile",
                    "keyfile", "[destination]", "type", "path", "[options]", "read_all", "delete"]  # fmt: skip


def test_python_code_in_the_command_is_never_run_while_reading(tmp_path: Path) -> None:
    payload = "'),(__import__('os').system('touch CANARY'),'"
    incoming = {"protocol": "pop3", "host": "pop.example.org", "password_command": payload}
    rendered = render({"p": {"address": "p@example.org", "incoming": incoming}}, {"maildir-root": str(tmp_path)})
    maildir(tmp_path / "p")
    rc = write(tmp_path, rendered)["p"]
    assert dump(rc, tmp_path, cwd=tmp_path).retriever == retriever_line(
        "SimplePOP3SSLRetriever", getmaildir=rc.parent, server="pop.example.org", username="p@example.org",
        password_command=runs(payload), ca_certs=SYSTEM_CA,
    )  # fmt: skip
    assert not (tmp_path / "CANARY").exists()
    # the canary works: the same payload pasted into quotes unescaped (as home-manager does) runs while reading
    naive = rc.read_text().replace(getmail_tuple(runs(payload)), f"('/bin/sh', '-c', '{payload}')")
    rc.write_text(naive)
    getmail(rc, tmp_path, "--dump", cwd=tmp_path)
    assert (tmp_path / "CANARY").exists()


def test_a_yaml_escaped_newline_never_reaches_the_file(tmp_path: Path) -> None:
    source, errors = refused_render(
        tmp_path, ONE_IMAP_ACCOUNT + '      username: "alice\\n[options]\\ndelete = true"\n', "getmail"
    )
    assert errors == [
        f"{source}:8:17: error MC002 schema-violation: `username` is not valid "
        '(got "alice\\n[options]\\ndelete = true"): remove control characters (C0, DEL, C1) and line and '
        "paragraph separators (U+2028, U+2029)",
        f"mailconf: {source}: not rendered: fix the errors above first (`mailconf lint {source}`)",
    ]


# --- examples ------------------------------------------------------------------------------


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_examples_render_and_getmail_reads_them(tmp_path: Path, example: Path) -> None:
    model = example_model(example)
    rendered = render_model(TARGET, model, {"maildir-root": str(tmp_path / "Mail")})
    fetching = [a for a in model.accounts if a.incoming is not None and a.incoming.security is not Security.STARTTLS]
    written = write(tmp_path, rendered)
    assert list(written) == [a.name for a in fetching]
    stand_in = tmp_path / "stand-in.pem"  # getmail checks that named files exist: point them at one here
    stand_in.write_text("")
    for account in fetching:
        assert account.incoming is not None
        rc = written[account.name]
        text = rc.read_text()
        for path in (account.incoming.tls.ca_file, account.incoming.tls.client_cert, account.incoming.tls.client_key):
            if path is not None:
                text = text.replace(f" = {path}\n", f" = {stand_in}\n")
        rc.write_text(text)
        maildir(tmp_path / "Mail" / account.name)
        got = dump(rc, tmp_path)
        assert got.retriever.startswith("SimpleIMAP" if account.incoming.protocol is Protocol.IMAP else "SimplePOP3")
        assert f'server="{account.incoming.host}"' in got.retriever


# --- two accounts, one oldmail file -------------------------------------------------------


def shared_oldmail_gap(account: str, setting: str, other: str, *, folded: bool = False) -> Gap:
    if folded:  # file names that only case or Unicode normalization tell apart
        return Gap(account, f"incoming.{setting}", (
            "getmail records what it has fetched from this server in an oldmail file whose name differs from "
            f"account {other}'s only in case or Unicode normalization: one file on macOS, Windows or a FAT drive, "
            "where, run from one getmaildir, each takes the other's record for its own (mail one has fetched is "
            "skipped by the other, or fetched again); run this account with a getmaildir of its own (--getmaildir)"
        ))  # fmt: skip
    return Gap(account, f"incoming.{setting}", (
        f"getmail records what it has fetched from this server in the same oldmail file as account {other}'s "
        "(oldmail-HOST-PORT-USER, each run of / : ; < > | written as one -), so run from one getmaildir each takes "
        "the other's record for its own: mail one has fetched is skipped by the other where their servers number "
        "a message alike, and each run drops the other's entries 30 days old (mail gone from its own server), after "
        "which the other fetches that mail again where it was left on the server; run this account with a "
        "getmaildir of its own (--getmaildir)"
    ))  # fmt: skip


@pytest.mark.parametrize(
    ("first", "second", "gaps"),
    [
        ({"username": "a/b"}, {"username": "a-b"}, [shared_oldmail_gap("b", "username", "a")]),
        ({"username": "a:;b"}, {"username": "a|b"}, [shared_oldmail_gap("b", "username", "a")]),  # a run: one -
        (
            {"host": "mail", "port": 1, "username": "2-a"},
            {"host": "mail-1", "port": 2, "username": "a"},
            [shared_oldmail_gap("b", "username", "a")],
        ),
        ({"protocol": "pop3", "username": "u-INBOX"}, {"username": "u"}, [shared_oldmail_gap("b", "username", "a")]),
        ({"username": "a/b"}, {"username": "a/c"}, []),
        ({"username": "a/b"}, {"username": "a/b", "port": 994}, []),
        ({"username": "a/b"}, {"username": "a/b"}, []),  # one endpoint twice: lint's MC702 says so
        ({"username": "Alice"}, {"username": "alice"}, [shared_oldmail_gap("b", "username", "a", folded=True)]),
        (  # POP3: no IMAP LOGIN gap for the non-ASCII names
            {"protocol": "pop3", "username": "a/\u00e9"},
            {"protocol": "pop3", "username": "a-e\u0301"},
            [shared_oldmail_gap("b", "username", "a", folded=True)],
        ),
        ({"host": "IMAP.example.org"}, {}, []),  # one endpoint (MC702 ignores the host's case)
    ],
)
def test_two_accounts_getmail_records_in_one_oldmail_file_are_a_gap(
    first: dict[str, Any], second: dict[str, Any], gaps: list[Gap]
) -> None:
    def account(incoming: dict[str, Any]) -> dict[str, Any]:
        return {"address": "a@example.org", "incoming": {"protocol": "imap", "host": "imap.example.org", "port": 993,
                                                         "password_command": "p", **incoming}}  # fmt: skip

    rendered = render({"a": account(first), "b": account(second)})
    assert [f.name for f in rendered.files] == ["getmail/a.getmailrc", "getmail/b.getmailrc"]  # both written
    assert list(rendered.gaps) == gaps


def test_getmail_records_two_such_accounts_in_one_oldmail_file(tmp_path: Path) -> None:
    """What the gap says, with the real getmail: run from one getmaildir, a/b and a-b share one oldmail file."""
    context, ca_file = localhost_tls(tmp_path)
    with ImapStub(context) as server:
        incoming = {"protocol": "imap", "host": "localhost", "port": server.port, "password_command": "echo pw",
                    "tls": {"ca_file": str(ca_file)}}  # fmt: skip
        rendered = render(
            {"a": {"address": "a@example.org", "incoming": {**incoming, "username": "a/b"}},
             "b": {"address": "b@example.org", "incoming": {**incoming, "username": "a-b"}}},
            {"maildir-root": str(tmp_path)},
        )  # fmt: skip
        rcs = write(tmp_path, rendered)
        done = []
        for name in ("a", "b"):
            maildir(tmp_path / name)
            done.append(getmail(rcs[name], tmp_path).returncode)
        saved = [p for p in rcs["a"].parent.iterdir() if p.name.startswith("oldmail-")]
        assert [p.name for p in saved] == [f"oldmail-localhost-{server.port}-a-b-INBOX"]  # one file for both
        # what a has fetched, as getmail records it (UIDVALIDITY/UID, NUL, when): 31 days ago and a day ago
        now = int(time.time())
        saved[0].write_text(f"1/5\0{now - 31 * 86400}\n1/6\0{now - 86400}\n")
        done.append(getmail(rcs["b"], tmp_path).returncode)
    assert (done, server.seen[:2]) == ([0, 0, 0], [("LOGIN", "a/b | pw"), ("LOGIN", "a-b | pw")])
    # b's run took a's record for its own and dropped what its server lacks once 30 days old
    assert saved[0].read_text() == f"1/6\0{now - 86400}\n"
    assert list(rendered.gaps) == [shared_oldmail_gap("b", "username", "a")]


# --- the locale getmail runs in ---------------------------------------------------------------------------------


def pop3_user_line(received: list[bytes]) -> Script:
    """A POP3 server that records the USER line it is sent, then refuses it."""

    def script(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(b"+OK ready\r\n")
        with conn.makefile("rb") as reader:
            received.append(reader.readline())
        conn.sendall(b"-ERR no\r\n")

    return script


@pytest.fixture(scope="module")
def locales(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder for LOCPATH holding en_US.ISO-8859-1 and ja_JP.EUC-JP (Debian 12 ships only C.UTF-8 compiled;
    localedef, libc-bin's, builds them from the sources in /usr/share/i18n, the locales package's)."""
    localedef = need("localedef")["localedef"]
    folder = tmp_path_factory.mktemp("locales")
    for source, charset in (("en_US", "ISO-8859-1"), ("ja_JP", "EUC-JP")):
        done = subprocess.run(
            [localedef, "-i", source, "-f", charset, str(folder / f"{source}.{charset}")],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            pytest.skip(f"localedef could not build {source}.{charset}: {done.stderr.strip()}")
    return folder


def getmail_in(locale: str, locales: Path, rc: Path, home: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LOCPATH": str(locales),
           "LC_ALL": locale}  # fmt: skip
    return subprocess.run(
        [need("getmail")["getmail"], "--getmaildir", str(rc.parent), "--rcfile", rc.name, *args],
        capture_output=True,
        env=env,
        cwd=home,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("locale", "sent"),
    [
        ("C.UTF-8", "josé"),
        ("C", "josé"),  # Python 3.7+ reads and writes UTF-8 in the C and POSIX locales (PEP 540)
        ("POSIX", "josé"),
        ("en_US.ISO-8859-1", "josÃ©"),  # the file's two UTF-8 bytes read as two Latin-1 characters, each sent on
    ],
)
def test_getmail_reads_the_file_in_the_locales_character_set(
    tmp_path: Path, locales: Path, locale: str, sent: str
) -> None:
    """What the page says of the locale: the rc file is UTF-8, and getmail (open() without an encoding) reads it in
    the locale's character set; RawConfigParser has no escape for a string, so no file reads alike everywhere."""
    received: list[bytes] = []
    with ScriptedServer(pop3_user_line(received)) as server:
        incoming = {"protocol": "pop3", "host": "127.0.0.1", "port": server.port, "security": "none",
                    "username": "josé", "password_command": "echo pw"}  # fmt: skip
        rendered = render({"work": {"address": "a@example.org", "incoming": incoming}}, {"maildir-root": str(tmp_path)})
        rc = write(tmp_path, rendered)["work"]
        maildir(tmp_path / "work")
        done = getmail_in(locale, locales, rc, tmp_path)
    assert "josé".encode() in rc.read_bytes()
    assert (done.returncode, received) == (127, [f"USER {sent}\r\n".encode()])  # getmail: a login refused
    page = Path(__file__).parents[2] / "docs" / "targets" / "getmail.md"
    assert "run getmail in a UTF-8 locale" in page.read_text()


def test_getmail_in_an_euc_jp_locale_stops_on_a_value_it_cannot_decode(tmp_path: Path, locales: Path) -> None:
    incoming = {"protocol": "pop3", "host": "pop.example.org", "username": "jos😀"}
    accounts = {"work": {"address": "a@example.org", "incoming": incoming}}
    rc = write(tmp_path, render(accounts, {"maildir-root": str(tmp_path)}))["work"]
    maildir(tmp_path / "work")
    done = getmail_in("ja_JP.EUC-JP", locales, rc, tmp_path, "--dump")
    assert done.returncode == 4
    assert b"UnicodeDecodeError: 'euc_jp' codec can't decode byte 0xf0" in done.stdout + done.stderr
    assert getmail_in("C", locales, rc, tmp_path, "--dump").returncode == 0  # read as UTF-8 there
