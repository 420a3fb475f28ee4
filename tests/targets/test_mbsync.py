# mypy: disable-error-code="untyped-decorator"
# (pyproject skips following hypothesis, so its decorators look untyped)
"""Target mbsync: every rendered .mbsyncrc is read back by mbsync (isync 1.4.4) itself.

isync 1.4.4 has no dump mode. Two real read-backs are used:

- parse only: ``mbsync -c RC NO_SUCH_CHANNEL`` reads the whole file and connects nowhere; a
  good file prints exactly "No channel or group named ... defined." (a bad one prints
  ``RC:LINE: ...``). It also checks that every ``CertificateFile`` exists, so a file created
  at the expected path proves that path was read exactly.
- ``mbsync -c RC -l NAME`` connects and lists the folders: what mbsync parsed shows in
  what it does (which port, TLS or not, which CA it trusts, which SASL mechanism, the
  user name and the password its PassCmd printed, the Maildir it opens). The server
  side is a small IMAP stub here (not Dovecot), because the stub records the
  ``AUTHENTICATE PLAIN`` bytes exactly; Dovecot cannot log in a user whose name holds
  every hostile character, and its log escapes them. tests/e2e/test_mbsync.py syncs
  against the real Dovecot.
"""

from __future__ import annotations

import base64
import os
import shlex
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import trustme
from hypothesis import HealthCheck, given, settings

from mailconf.errors import UsageError
from mailconf.escape import UnsafeValue
from mailconf.escape.mbsync import MAX_LINE_BYTES, mbsync_line, mbsync_quote
from mailconf.model import Account, Auth, Protocol, Server, Tls
from mailconf.render import RenderError, environment, render_model
from mailconf.targets import TARGETS, Gap, Rendered
from tests.conftest import EXAMPLES, need
from tests.servers import ScriptedServer, never_greet
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

TARGET = TARGETS["mbsync"]
NO_CHANNEL = "__mailconf_no_such_channel__"
PARSED_OK = f"No channel or group named '{NO_CHANNEL}' defined.\nNo channel specified. Try 'mbsync -h'\n"


def render(accounts: dict[str, Any], options: dict[str, str] | None = None) -> Rendered:
    return render_with(TARGET, accounts, options)


def write(directory: Path, rendered: Rendered) -> Path:
    [file] = rendered.files
    assert (file.name, file.mode) == (".mbsyncrc", 0o600)
    rc = directory / file.name
    rc.write_bytes(file.content)
    return rc


def mbsync(rc: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    binary = need("mbsync")["mbsync"]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LC_ALL": "C.UTF-8"}
    return subprocess.run(
        [binary, "-c", str(rc), *args],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )


def parses(rc: Path, home: Path) -> None:
    """mbsync reads the whole file without a complaint (and connects nowhere)."""
    done = mbsync(rc, home, NO_CHANNEL)
    assert (done.returncode, done.stdout, done.stderr) == (1, "", PARSED_OK)


# --- escaping -----------------------------------------------------------------------------


def test_quote_escapes_backslash_and_quote_only() -> None:
    assert mbsync_quote("a\\b\"c'd$e`f;g #é%😀") == '"a\\\\b\\"c\'d$e`f;g #é%😀"'


@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "a\0b", "a\tb", "a\x7fb", "\n"])
def test_quote_refuses_control_characters_without_echoing_them(bad: str) -> None:
    with pytest.raises(UnsafeValue) as caught:
        mbsync_quote(bad)
    assert str(caught.value) == (
        "mbsync reads one line per setting: a control character (line break, NUL) cannot be written"
    )


def test_line_limit_is_the_longest_line_mbsync_reads_whole(tmp_path: Path) -> None:
    # 1021 bytes is read whole; at 1022 mbsync's fgets leaves the newline for the next read, an empty line
    # that ends the section (so the next keyword is out of place)
    for length, ok in ((MAX_LINE_BYTES, True), (MAX_LINE_BYTES + 1, False)):
        command = "x" * (length - len('PassCmd ""'))
        assert len(f'PassCmd "{command}"') == length
        if ok:
            mbsync_line("PassCmd", command)
        else:
            with pytest.raises(UnsafeValue) as caught:
                mbsync_line("PassCmd", command)
            assert str(caught.value) == "the PassCmd line would exceed mbsync 1.4.4's limit of 1021 bytes"
        rc = tmp_path / f"rc{length}"
        rc.write_text(f'IMAPAccount a\nHost "h"\nPassCmd "{command}"\nSSLType IMAPS\n')
        done = mbsync(rc, tmp_path, NO_CHANNEL)
        # read whole: the file parses (it defines no channel); cut: line 4 is the leftover newline
        expected = (
            "No channels defined. Try 'man mbsync'\n"
            if ok
            else (f"{rc}:5: 'SSLType' is not a recognized section-starting or global keyword\n")
        )
        assert done.stderr == expected


# --- what is written, read back ------------------------------------------------------------

FULL = """\
# mbsync (isync 1.4.4) configuration written by mailconf (target mbsync).
# Edit the account file and render again rather than editing this file.
# Each account's Maildir folder must exist before the first sync (mkdir -p it).

IMAPAccount work
Host "imap.example.org"
Port 10993
User "alice.login"
PassCmd "pass show \\"mail\\" \\\\ x"
SSLType IMAPS
SSLVersions TLSv1.2 TLSv1.3
SystemCertificates no
CertificateFile "{ca}"
AuthMechs SCRAM-SHA-256 PLAIN
Timeout 45

IMAPStore work-remote
Account work

MaildirStore work-local
Path "~/Mail/work/"
Inbox "~/Mail/work/INBOX"
SubFolders Verbatim

Channel work
Far :work-remote:
Near :work-local:
Patterns "*"
Create Near
SyncState *
"""


def test_full_account_is_written_exactly_and_parses(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("")  # mbsync 1.4.4 opens it while parsing; an empty file is enough for that
    incoming = {
        "protocol": "imap", "host": "imap.example.org", "port": 10993, "username": "alice.login",
        "password_command": 'pass show "mail" \\ x', "timeout": 45, "mechanisms": ["scram-sha-256", "plain"],
        "tls": {"ca_file": str(ca), "min_version": "1.2"},
    }  # fmt: skip
    outgoing = {"host": "smtp.example.org"}  # not mbsync's job: not written, not a gap
    rendered = render({"work": {"address": "alice@example.org", "incoming": incoming, "outgoing": outgoing}})
    assert rendered.gaps == ()
    rc = write(tmp_path, rendered)
    assert rc.read_text() == FULL.format(ca=ca)
    parses(rc, tmp_path)


def test_a_missing_certificate_file_stops_mbsync_while_parsing(tmp_path: Path) -> None:
    incoming = {"protocol": "imap", "host": "imap.example.org", "tls": {"ca_file": "/nonexistent/ca.pem"}}
    rc = write(tmp_path, render({"work": {"address": "a@example.org", "incoming": incoming}}))
    done = mbsync(rc, tmp_path, NO_CHANNEL)
    assert done.stderr == f"{rc}:11: CertificateFile '/nonexistent/ca.pem': No such file or directory\n"


_MECHS = {"password": None, "oauth2": "XOAUTH2", "gssapi": "GSSAPI", "ntlm": "NTLM", "client-cert": "EXTERNAL"}


@pytest.mark.parametrize("security", ["tls", "starttls", "none"])
@pytest.mark.parametrize("auth", sorted(_MECHS))
def test_every_combination_parses(tmp_path: Path, security: str, auth: str) -> None:
    files = {name: tmp_path / f"{name}.pem" for name in ("ca", "cert", "key")}
    for path in files.values():
        path.write_text("")
    incoming: dict[str, Any] = {"protocol": "imap", "host": "mail.example.org", "security": security, "auth": auth,
                                "tls": {"ca_file": str(files["ca"]), "min_version": "1.3"}}  # fmt: skip
    if auth == "client-cert":
        incoming["tls"] |= {"client_cert": str(files["cert"]), "client_key": str(files["key"])}
    if auth in ("password", "ntlm"):
        incoming["password_command"] = "secret-tool lookup mail work"
    if auth == "oauth2":
        incoming["token_command"] = "oama access alice@example.org"
    rendered = render({"work": {"address": "alice@example.org", "incoming": incoming}})
    expected_gaps = []
    if (security, auth) == ("none", "client-cert"):
        expected_gaps = [
            Gap("work", "incoming.auth", "a client certificate needs TLS: set security to tls or starttls")
        ]
    assert list(rendered.gaps) == expected_gaps
    rc = write(tmp_path, rendered)
    parses(rc, tmp_path)
    lines = rc.read_text().splitlines()
    ssl_type = {"tls": "IMAPS", "starttls": "STARTTLS", "none": "None"}[security]
    port = {"tls": 993, "starttls": 143, "none": 143}[security]
    assert [line for line in lines if line.startswith(("SSLType", "Port"))] == [f"Port {port}", f"SSLType {ssl_type}"]
    encrypted = security != "none"
    assert ("SSLVersions TLSv1.3" in lines) is encrypted
    assert (f'CertificateFile "{files["ca"]}"' in lines) is encrypted
    assert ("SystemCertificates no" in lines) is encrypted
    assert (f'ClientCertificate "{files["cert"]}"' in lines) is (encrypted and auth == "client-cert")
    mechs = _MECHS[auth]
    assert [line for line in lines if line.startswith("AuthMechs")] == ([f"AuthMechs {mechs}"] if mechs else [])
    commands = [line for line in lines if line.startswith("PassCmd")]
    expected_command = {"password": "secret-tool lookup mail work", "ntlm": "secret-tool lookup mail work",
                        "oauth2": "oama access alice@example.org"}.get(auth)  # fmt: skip
    assert commands == ([f'PassCmd "{expected_command}"'] if expected_command else [])


def test_several_accounts_pop3_and_send_only_ones_left_out(tmp_path: Path) -> None:
    accounts = {
        "b": {"address": "b@example.org", "incoming": {"protocol": "imap", "host": "imap.example.org"}},
        "p": {"address": "p@example.org", "incoming": {"protocol": "pop3", "host": "pop.example.org"}},
        "sender": {"address": "s@example.org", "outgoing": {"host": "smtp.example.org"}},
        "a": {"address": "a@example.org", "incoming": {"protocol": "imap", "host": "imap.example.org"}},
    }
    rendered = render(accounts)
    assert list(rendered.gaps) == [
        Gap("p", "incoming.protocol",
            "mbsync speaks IMAP only: the account is left out (use the fetchmail target for POP3)"),
    ]  # fmt: skip
    rc = write(tmp_path, rendered)
    parses(rc, tmp_path)
    sections = [line for line in rc.read_text().splitlines() if line.startswith(("IMAPAccount", "Channel"))]
    assert sections == ["IMAPAccount b", "Channel b", "IMAPAccount a", "Channel a"]


def test_no_imap_account_renders_no_file() -> None:
    rendered = render({"s": {"address": "s@example.org", "outgoing": {"host": "smtp.example.org"}}})
    assert rendered == Rendered(())


def test_output_is_deterministic() -> None:
    accounts = {"a": {"address": "a@example.org", "incoming": {"protocol": "imap", "host": "imap.example.org"}}}
    assert render(accounts) == render(accounts)


def test_a_command_starting_with_plus_is_not_read_as_interactive() -> None:
    incoming = {"protocol": "imap", "host": "imap.example.org", "password_command": "+x"}
    text = render({"a": {"address": "a@example.org", "incoming": incoming}}).files[0].content.decode()
    assert '\nPassCmd " +x"\n' in text


# --- options -------------------------------------------------------------------------------


def test_options_set_the_maildir_root_and_the_patterns(tmp_path: Path) -> None:
    accounts = {"a": {"address": "a@example.org", "incoming": {"protocol": "imap", "host": "imap.example.org"}}}
    rendered = render(accounts, {"maildir-root": "/srv/mail dir/", "patterns": 'INBOX  Arch* !"x'})
    text = rendered.files[0].content.decode()
    assert '\nPath "/srv/mail dir/a/"\nInbox "/srv/mail dir/a/INBOX"\n' in text
    assert '\nPatterns "INBOX" "Arch*" "!\\"x"\n' in text
    parses(write(tmp_path, rendered), tmp_path)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"maildir-root": "Mail"},
         "--option maildir-root: write an absolute path or one starting with ~/ (like ~/Mail)"),
        ({"maildir-root": "~alice/Mail"},
         "--option maildir-root: write an absolute path or one starting with ~/ (like ~/Mail)"),
        ({"maildir-root": "/a\x00b"}, "--option maildir-root: mbsync reads one line per setting: a control character "
                                      "(line break, NUL) cannot be written"),
        ({"maildir-root": "/" + "x" * 1000},
         "--option maildir-root: the Inbox line would exceed mbsync 1.4.4's limit of 1021 bytes"),
        ({"patterns": " "}, "--option patterns: name at least one IMAP pattern (like * or INBOX)"),
        ({"patterns": "a\x00b"}, "--option patterns: mbsync reads one line per setting: a control character "
                                 "(line break, NUL) cannot be written"),
        ({"patterns": "x" * 1100}, "--option patterns: the Patterns line would exceed mbsync 1.4.4's limit of "
                                   "1021 bytes"),
    ],
)  # fmt: skip
def test_bad_options_are_usage_errors(options: dict[str, str], message: str) -> None:
    accounts = {"a": {"address": "a@example.org", "incoming": {"protocol": "imap", "host": "imap.example.org"}}}
    with pytest.raises(UsageError) as caught:
        TARGET.render(document(accounts), environment(), options)
    assert str(caught.value) == message


# --- gaps ----------------------------------------------------------------------------------

PIN = "sha256:" + ":".join(["15"] * 32)
VERIFY = (
    "mbsync 1.4.4 always verifies the certificate and the host name: put the server's certificate in "
    "tls.ca_file (mbsync trusts a server certificate named in CertificateFile whatever its dates and name); "
    "until then the connection fails where the certificate does not verify"
)

GAPS: list[tuple[dict[str, Any], list[Gap], list[str]]] = [
    ({"protocol": "pop3", "leave_on_server": True, "leave_days": 3},
     [Gap("work", "incoming.protocol",
          "mbsync speaks IMAP only: the account is left out (use the fetchmail target for POP3)")], []),
    ({"tls": {"fingerprint": PIN}},
     [Gap("work", "incoming.tls.fingerprint",
          "mbsync has no fingerprint option: put the server's certificate in tls.ca_file instead (mbsync trusts a "
          "server certificate named in CertificateFile as a pin); the certificate is checked against the CAs "
          "meanwhile")], []),
    ({"tls": {"verify": False}}, [Gap("work", "incoming.tls.verify", VERIFY)], []),
    ({"tls": {"verify_hostname": False}}, [Gap("work", "incoming.tls.verify_hostname", VERIFY)], []),
    ({"security": "none", "tls": {"verify": False, "fingerprint": PIN}}, [], []),  # no TLS: nothing to verify
    ({"auth": "none"},
     [Gap("work", "incoming.auth",
          "mbsync always logs in (unless the server greets with PREAUTH): give a username and auth")], []),
    ({"auth": "gssapi", "password_command": "pass x"},
     [Gap("work", "incoming.password_command",
          "auth gssapi does not use it, so it is left out; remove it or change auth")], ["AuthMechs GSSAPI"]),
    ({"auth": "oauth2", "password_command": "pass x", "token_command": "tok-cmd"},
     [Gap("work", "incoming.password_command",
          "auth oauth2 does not use it, so it is left out; use token_command for oauth2")],
     ['PassCmd "tok-cmd"', "AuthMechs XOAUTH2"]),
    ({"token_command": "tok-cmd"},
     [Gap("work", "incoming.token_command",
          "auth password does not use it, so it is left out; remove it or change auth")], []),
]  # fmt: skip


@pytest.mark.parametrize(("server", "gaps", "auth_lines"), GAPS)
def test_gaps_are_reported_exactly(
    tmp_path: Path, server: dict[str, Any], gaps: list[Gap], auth_lines: list[str]
) -> None:
    incoming = {"protocol": "imap", "host": "imap.example.org", **server}
    rendered = render({"work": {"address": "alice@example.org", "incoming": incoming}})
    assert list(rendered.gaps) == gaps
    if server.get("protocol") == "pop3":
        assert rendered.files == ()
        return
    rc = write(tmp_path, rendered)
    parses(rc, tmp_path)
    lines = rc.read_text().splitlines()
    assert [line for line in lines if line.startswith(("PassCmd", "AuthMechs"))] == auth_lines  # what remains
    assert not any(line.startswith(("CertificateFile", "SystemCertificates")) for line in lines)


def test_strict_fails_on_a_gap_and_writes_nothing(tmp_path: Path) -> None:
    incoming = {"protocol": "imap", "host": "h.example", "auth": "none"}
    source_text = yaml_text({"work": {"address": "a@example.org", "incoming": incoming}})
    _, errors = refused_render(tmp_path, source_text, "mbsync", "--strict")
    assert errors == [
        "mailconf: error: mbsync: account work: incoming.auth cannot be expressed; "
        "mbsync always logs in (unless the server greets with PREAUTH): give a username and auth",
        "mailconf: 1 setting cannot be expressed by mbsync (--strict); nothing written",
    ]


CONTROL = "mbsync reads one line per setting: a control character (line break, NUL) cannot be written"


@pytest.mark.parametrize(
    ("server", "message"),
    [
        (imap_server(username="al\nice"), f"incoming.username: {CONTROL}"),
        (imap_server(password_command="pass\n\nTunnel x"), f"incoming.password_command: {CONTROL}"),
        (imap_server(auth=Auth.OAUTH2, token_command="tok\r"), f"incoming.token_command: {CONTROL}"),
        (imap_server(tls=Tls(ca_file="/ca\0")), f"incoming.tls.ca_file: {CONTROL}"),
        (imap_server(tls=Tls(client_cert="/c.pem", client_key="/k\x7f")), f"incoming.tls.client_key: {CONTROL}"),
    ],
)  # fmt: skip
def test_a_value_mbsync_cannot_read_stops_the_render_naming_account_and_setting(server: Server, message: str) -> None:
    # The schema already refuses control characters; this is the target's own guard (a Model built directly).
    # The message names the account and the setting, never the value.
    account = Account("work", "a@example.org", None, None, server, None)
    assert refusal(TARGET, account) == f"target mbsync: not rendered: account work: {message}"


@pytest.mark.parametrize(
    ("incoming", "setting", "instead"),
    [
        ({"password_command": "x" * 1100}, "incoming.password_command",
         "the PassCmd line would exceed mbsync 1.4.4's limit of 1021 bytes: the account is left out; wrap the "
         "command in a script"),
        ({"auth": "oauth2", "token_command": "t" * 1013}, "incoming.token_command",
         "the PassCmd line would exceed mbsync 1.4.4's limit of 1021 bytes: the account is left out; wrap the "
         "command in a script"),
        ({"tls": {"ca_file": "/" + "c" * 1010}}, "incoming.tls.ca_file",
         "the CertificateFile line would exceed mbsync 1.4.4's limit of 1021 bytes: the account is left out; "
         "use a shorter path"),
        ({"tls": {"client_cert": "/c.pem", "client_key": "/" + "k" * 1020}}, "incoming.tls.client_key",
         "the ClientKey line would exceed mbsync 1.4.4's limit of 1021 bytes: the account is left out; "
         "use a shorter path"),
    ],
)  # fmt: skip
def test_a_line_too_long_for_mbsync_leaves_that_account_out_and_renders_the_others(
    tmp_path: Path, incoming: dict[str, Any], setting: str, instead: str
) -> None:
    # one account's over-long value used to refuse the whole render; now it is that account's gap
    imap = {"protocol": "imap", "host": "imap.example.org"}
    rendered = render({
        "first": {"address": "a@example.org", "incoming": imap},
        "long": {"address": "l@example.org", "incoming": {**imap, **incoming}},
        "last": {"address": "z@example.org", "incoming": imap},
    })  # fmt: skip
    assert list(rendered.gaps) == [Gap("long", setting, instead)]
    rc = write(tmp_path, rendered)
    parses(rc, tmp_path)  # mbsync 1.4.4 reads every line of it whole
    text = rc.read_text()
    sections = [line for line in text.splitlines() if line.startswith(("IMAPAccount", "Channel"))]
    assert sections == ["IMAPAccount first", "Channel first", "IMAPAccount last", "Channel last"]
    assert max(len(line.encode()) for line in text.splitlines()) < 100


def test_an_account_left_out_for_a_long_line_reports_its_other_gaps_too() -> None:
    # the user meets every gap in one run, not the pin after wrapping the command (docs/render.md, left-out accounts)
    imap = {"protocol": "imap", "host": "imap.example.org", "password_command": "x" * 1100,
            "tls": {"fingerprint": "sha256:" + ":".join(["AB"] * 32), "verify_hostname": False}}  # fmt: skip
    rendered = render({"long": {"address": "l@example.org", "incoming": imap}})
    assert rendered == Rendered((), (
        Gap("long", "incoming.password_command", "the PassCmd line would exceed mbsync 1.4.4's limit of 1021 bytes: "
                                                 "the account is left out; wrap the command in a script"),
        Gap("long", "incoming.tls.fingerprint",
            "mbsync has no fingerprint option: put the server's certificate in tls.ca_file instead (mbsync trusts a "
            "server certificate named in CertificateFile as a pin); the certificate is checked against the CAs "
            "meanwhile"),
        Gap("long", "incoming.tls.verify_hostname",
            "mbsync 1.4.4 always verifies the certificate and the host name: put the server's certificate in "
            "tls.ca_file (mbsync trusts a server certificate named in CertificateFile whatever its dates and name); "
            "until then the connection fails where the certificate does not verify"),
    ))  # fmt: skip


def test_a_line_of_exactly_mbsyncs_limit_is_written_and_read_whole(tmp_path: Path) -> None:
    command = "x" * (MAX_LINE_BYTES - len('PassCmd ""'))
    imap = {"protocol": "imap", "host": "imap.example.org", "password_command": command}
    rendered = render({"work": {"address": "a@example.org", "incoming": imap}})
    assert rendered.gaps == ()
    rc = write(tmp_path, rendered)
    parses(rc, tmp_path)
    assert f'PassCmd "{command}"' in rc.read_text().splitlines()


def test_a_yaml_escaped_newline_never_reaches_the_file(tmp_path: Path) -> None:
    source, errors = refused_render(
        tmp_path, ONE_IMAP_ACCOUNT + '      password_command: "pass x\\n\\nTunnel \\"touch canary\\""\n', "mbsync"
    )
    assert errors == [
        f"{source}:8:25: error MC002 schema-violation: `password_command` is not valid: "
        "write the command on one line without control characters (C0, DEL, C1) or line and paragraph "
        "separators (U+2028, U+2029)",
        f"mailconf: {source}: not rendered: fix the errors above first (`mailconf lint {source}`)",
    ]


# --- read back by mbsync talking to a server ---------------------------------------------------


class Seen(NamedTuple):
    tls: bool  # the login came over TLS
    command: str  # AUTHENTICATE PLAIN / LOGIN ...
    user: str
    password: str


class ImapStub(imap_stub.ImapStub):
    """Accepts any login and records it (implicit TLS or STARTTLS)."""

    CAPABILITIES = "IMAP4rev1 AUTH=PLAIN AUTH=LOGIN SASL-IR"

    def __init__(self, context: ssl.SSLContext, *, implicit: bool, offer_starttls: bool = True) -> None:
        super().__init__(context, implicit=implicit, offer_starttls=offer_starttls)
        self.seen: list[Seen] = []

    def answer(self, connection: imap_stub.Connection, tag: str, verb: str, args: list[str]) -> str | None:
        reply = f"{tag} OK done\r\n"
        if verb == "AUTHENTICATE":
            _, user, password = base64.b64decode(args[1]).decode("utf-8").split("\0")
            self.seen.append(Seen(connection.secure, f"AUTHENTICATE {args[0]}", user, password))
        elif verb == "LOGIN":
            self.seen.append(Seen(connection.secure, "LOGIN", args[0], args[1]))
        elif verb == "NAMESPACE":
            reply = '* NAMESPACE (("" ".")) NIL NIL\r\n' + reply
        return reply


class TlsFiles(NamedTuple):
    ca: trustme.CA  # signed the stub's certificate
    leaf: trustme.LeafCert  # the stub's certificate (localhost, 127.0.0.1)
    client: trustme.LeafCert  # a client certificate (mbsync loads it; the stub does not ask for it)


@pytest.fixture(scope="module")
def tls_files() -> TlsFiles:
    ca = trustme.CA()
    return TlsFiles(ca, ca.issue_cert("localhost", "127.0.0.1"), trustme.CA().issue_cert("client.example"))


def server_context(files: TlsFiles, maximum: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    files.leaf.configure_cert(context)
    if maximum is not None:
        context.maximum_version = maximum
    return context


@contextmanager
def stub(context: ssl.SSLContext, *, implicit: bool = True, offer_starttls: bool = True) -> Iterator[ImapStub]:
    with ImapStub(context, implicit=implicit, offer_starttls=offer_starttls) as server:
        yield server


def _imap(port: int, security: str = "tls", **more: Any) -> dict[str, Any]:
    declared = {"protocol": "imap", "host": "localhost", "port": port, "security": security, **more}
    return {k: v for k, v in declared.items() if v != []}


@pytest.mark.parametrize(
    ("security", "mechanisms", "seen"),
    [
        ("tls", [], Seen(True, "AUTHENTICATE PLAIN", "alice", "pw")),
        ("starttls", [], Seen(True, "AUTHENTICATE PLAIN", "alice", "pw")),
        ("tls", ["login"], Seen(True, "LOGIN", "alice", "pw")),
        ("none", [], Seen(False, "AUTHENTICATE PLAIN", "alice", "pw")),  # SSLType None: STARTTLS offered, not used
    ],
)
def test_mbsync_logs_in_as_written(
    tmp_path: Path, tls_files: TlsFiles, security: str, mechanisms: list[str], seen: Seen
) -> None:
    ca = tmp_path / "ca.pem"
    tls_files.ca.cert_pem.write_to_path(str(ca))
    with stub(server_context(tls_files), implicit=security == "tls") as server:
        incoming = _imap(server.port, security, username="alice", password_command="echo pw",
                         mechanisms=mechanisms, tls={"ca_file": str(ca)})  # fmt: skip
        rc = write(tmp_path, render({"work": {"address": "a@example.org", "incoming": incoming}}))
        (tmp_path / "Mail" / "work").mkdir(parents=True)
        done = mbsync(rc, tmp_path, "-l", "work")
    assert done.returncode == 0, done.stderr
    assert server.seen == [seen]


BLANK_USER_GAP = (
    "mbsync logs in through Cyrus SASL, which drops the blanks at the start and end of the user name, so the "
    "server gets another name; name mechanisms: [login] (IMAP LOGIN, which mbsync sends itself, keeps them)"
)


@pytest.mark.parametrize(
    ("user", "mechanisms", "seen"),
    [
        (" alice", [], Seen(True, "AUTHENTICATE PLAIN", "alice", "pw")),
        ("alice ", ["plain"], Seen(True, "AUTHENTICATE PLAIN", "alice", "pw")),
        (" a b ", ["login", "plain"], Seen(True, "AUTHENTICATE PLAIN", "a b", "pw")),  # SASL first
        (" a b ", ["login"], Seen(True, "LOGIN", " a b ", "pw")),  # mbsync's own LOGIN: as written, no gap
        ("a b", [], Seen(True, "AUTHENTICATE PLAIN", "a b", "pw")),  # a blank inside is kept
        ("\u00a0é\u0301 שלום\u00a0", [], Seen(True, "AUTHENTICATE PLAIN", "\u00a0é\u0301 שלום\u00a0", "pw")),
    ],
)
def test_a_user_name_cyrus_sasl_would_trim_is_a_gap(
    tmp_path: Path, tls_files: TlsFiles, user: str, mechanisms: list[str], seen: Seen
) -> None:
    # What the server receives shows why: Cyrus SASL's canonicalisation drops the ASCII blanks around the name.
    ca = tmp_path / "ca.pem"
    tls_files.ca.cert_pem.write_to_path(str(ca))
    with stub(server_context(tls_files)) as server:
        incoming = _imap(server.port, username=user, password_command="echo pw", mechanisms=mechanisms,
                         tls={"ca_file": str(ca)})  # fmt: skip
        rendered = render({"work": {"address": "a@example.org", "incoming": incoming}})
        rc = write(tmp_path, rendered)
        (tmp_path / "Mail" / "work").mkdir(parents=True)
        done = mbsync(rc, tmp_path, "-l", "work")
    assert done.returncode == 0, done.stderr
    assert server.seen == [seen]
    trimmed = seen.user != user
    assert list(rendered.gaps) == ([Gap("work", "incoming.username", BLANK_USER_GAP)] if trimmed else [])


@pytest.mark.parametrize(
    ("printed", "password"),
    [("pw\\n", "pw"), (" p w \\nlogin: alice\\n", " p w "), ("pw", "pw"), ("pw\\r\\n", "pw\r"), ("\\npw\\n", "")],
)  # printf formats: printf turns \n and \r into the characters (a command itself holds no control character)
def test_the_password_is_the_first_line_the_command_prints_as_it_is(
    tmp_path: Path, tls_files: TlsFiles, printed: str, password: str
) -> None:
    # what the page says: the first line, blanks kept; a CR before the line break is kept too (unlike the others)
    ca = tmp_path / "ca.pem"
    tls_files.ca.cert_pem.write_to_path(str(ca))
    with stub(server_context(tls_files)) as server:
        incoming = _imap(server.port, username="alice", password_command=f"printf {shlex.quote(printed)}",
                         mechanisms=["login"], tls={"ca_file": str(ca)})  # fmt: skip
        rc = write(tmp_path, render({"work": {"address": "a@example.org", "incoming": incoming}}))
        (tmp_path / "Mail" / "work").mkdir(parents=True)
        done = mbsync(rc, tmp_path, "-l", "work")
    assert done.returncode == 0, done.stderr
    assert server.seen == [Seen(True, "LOGIN", "alice", password)]


def test_starttls_is_mandatory(tmp_path: Path, tls_files: TlsFiles) -> None:
    # SSLType STARTTLS: a server that does not offer STARTTLS never sees the login
    ca = tmp_path / "ca.pem"
    tls_files.ca.cert_pem.write_to_path(str(ca))
    with stub(server_context(tls_files), implicit=False, offer_starttls=False) as server:
        incoming = _imap(
            server.port, "starttls", username="alice", password_command="echo pw", tls={"ca_file": str(ca)}
        )
        rc = write(tmp_path, render({"work": {"address": "a@example.org", "incoming": incoming}}))
        (tmp_path / "Mail" / "work").mkdir(parents=True)
        done = mbsync(rc, tmp_path, "-l", "work")
    assert done.returncode == 1
    assert done.stderr == "IMAP error: SSL support not available\n"
    assert server.seen == []


def test_client_certificate_files_are_checked_while_parsing(tmp_path: Path) -> None:
    tls = {"client_cert": "/nonexistent/c.pem", "client_key": "/nonexistent/k.pem"}
    incoming = {"protocol": "imap", "host": "localhost", "auth": "client-cert", "tls": tls}
    rc = write(tmp_path, render({"work": {"address": "a@example.org", "incoming": incoming}}))
    done = mbsync(rc, tmp_path, NO_CHANNEL)
    assert done.stderr.splitlines() == [
        f"{rc}:10: ClientCertificate '/nonexistent/c.pem': No such file or directory",
        f"{rc}:11: ClientKey '/nonexistent/k.pem': No such file or directory",
    ]


class CertStub(imap_stub.RecordsClientCertificate, ImapStub):
    """Asks for a client certificate and records the one presented at each login (the shared recorder)."""

    def __init__(self, context: ssl.SSLContext) -> None:
        super().__init__(context, implicit=True)


HALF_PAIR_GAP = {
    "tls.client_cert": "mbsync 1.4.4 presents a client certificate only with its private key (ClientKey), and reads "
    "no key from the certificate's file: add tls.client_key (the certificate's own file when it holds the key too); "
    "ClientCertificate is left out",
    "tls.client_key": "mbsync 1.4.4 presents a client certificate only with the certificate itself "
    "(ClientCertificate), and reads no certificate from the key's file: add tls.client_cert (the key's own file when "
    "it holds the certificate too); ClientKey is left out",
}


@pytest.mark.parametrize(
    ("declared", "presented", "gap"),
    [
        ({"client_cert": "cert.pem", "client_key": "key.pem"}, "client.example", None),
        ({"client_cert": "both.pem", "client_key": "both.pem"}, "client.example", None),
        ({"client_cert": "both.pem"}, None, "tls.client_cert"),
        ({"client_key": "both.pem"}, None, "tls.client_key"),
    ],
    ids=["pair", "one-file", "cert-only", "key-only"],
)
def test_a_client_certificate_is_presented_only_with_its_key(
    tmp_path: Path, tls_files: TlsFiles, declared: dict[str, str], presented: str | None, gap: str | None
) -> None:
    """mbsync 1.4.4 presents a client certificate only when ClientCertificate and ClientKey are both set: it reads
    the certificate file's certificates and the key file's key, nothing else (a server that requires one refuses the
    TLS handshake: "tlsv13 alert certificate required"). Half the pair was written without a gap, and the
    certificate was silently never sent; it is a gap now, and left out."""
    client_ca = trustme.CA()
    client = client_ca.issue_cert("client.example")
    client.cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
    client.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    client.private_key_and_cert_chain_pem.write_to_path(str(tmp_path / "both.pem"))
    ca = tmp_path / "ca.pem"
    tls_files.ca.cert_pem.write_to_path(str(ca))
    context = server_context(tls_files)
    client_ca.configure_trust(context)
    context.verify_mode = ssl.CERT_OPTIONAL
    with CertStub(context) as server:
        tls = {"ca_file": str(ca)} | {k: str(tmp_path / v) for k, v in declared.items()}
        incoming = _imap(server.port, username="alice", password_command="echo pw", tls=tls)
        rendered = render({"work": {"address": "a@example.org", "incoming": incoming}})
        rc = write(tmp_path, rendered)
        (tmp_path / "Mail" / "work").mkdir(parents=True)
        done = mbsync(rc, tmp_path, "-l", "work")
    assert done.returncode == 0, done.stderr
    assert server.presented == [presented]
    expected = [] if gap is None else [Gap("work", f"incoming.{gap}", HALF_PAIR_GAP[gap])]
    assert list(rendered.gaps) == expected
    written = [line for line in rc.read_text().splitlines() if line.startswith(("ClientCertificate", "ClientKey"))]
    assert len(written) == (0 if gap else 2)


@pytest.mark.parametrize(("min_version", "code"), [("1.2", 0), ("1.3", 1)])
def test_min_version_takes_effect(tmp_path: Path, tls_files: TlsFiles, min_version: str, code: int) -> None:
    ca = tmp_path / "ca.pem"
    tls_files.ca.cert_pem.write_to_path(str(ca))
    with stub(server_context(tls_files, ssl.TLSVersion.TLSv1_2)) as server:  # the server stops at TLS 1.2
        incoming = _imap(server.port, username="alice", password_command="echo pw",
                         tls={"ca_file": str(ca), "min_version": min_version})  # fmt: skip
        rc = write(tmp_path, render({"work": {"address": "a@example.org", "incoming": incoming}}))
        (tmp_path / "Mail" / "work").mkdir(parents=True)
        done = mbsync(rc, tmp_path, "-l", "work")
    assert done.returncode == code, done.stderr
    assert len(server.seen) == 1 - code


def test_timeout_takes_effect(tmp_path: Path) -> None:
    with ScriptedServer(never_greet) as server:
        incoming = _imap(server.port, "starttls", username="alice", password_command="echo pw", timeout=1)
        rc = write(tmp_path, render({"work": {"address": "a@example.org", "incoming": incoming}}))
        (tmp_path / "Mail" / "work").mkdir(parents=True)
        done = mbsync(rc, tmp_path, "-l", "work")
    assert done.returncode == 1
    assert done.stderr == f"Socket error on localhost (127.0.0.1:{server.port}): timeout.\n"


# --- hostile values ------------------------------------------------------------------------

#: Every quoting character mbsync, the shell or YAML can trip on, and YAML's own line breaks (\N \L \P).
ASCII_HOSTILE = [*" \"'\\`$();#%&|<>*?!~{}=,.:@-+aZ09x", "$(touch CANARY)", "`touch CANARY`", '\\"', "\\n", '"\\']


HOSTILE = strings(ASCII_HOSTILE + NON_ASCII + UNICODE_HOSTILE)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(user=HOSTILE, secret=HOSTILE, ca_tail=HOSTILE, cert_tail=HOSTILE, root_tail=HOSTILE)
def test_hostile_values_read_back_exactly_and_run_nothing(  # noqa: PLR0917
    tmp_path: Path, tls_files: TlsFiles, user: str, secret: str, ca_tail: str, cert_tail: str, root_tail: str
) -> None:
    case = Path(os.urandom(6).hex())
    base = tmp_path / case
    base.mkdir()
    canary = base / "CANARY"

    def at(tail: str) -> Path:
        return base / tail.replace("/", "_").replace("\0", "_")

    ca, cert, key, root = at("ca " + ca_tail), at("c " + cert_tail), at("k " + cert_tail), at("m " + root_tail)
    tls_files.ca.cert_pem.write_to_path(str(ca))
    tls_files.client.cert_chain_pems[0].write_to_path(str(cert))
    tls_files.client.private_key_pem.write_to_path(str(key))
    (root / "work").mkdir(parents=True)
    # The command prints the hostile text; the shell sees it single-quoted, so only an mbsync misreading
    # changes what is printed (and the canary would show a command substitution that ran).
    command = f"cd {shlex.quote(str(base))} && printf '%s\\n' {shlex.quote(secret)}"
    with stub(server_context(tls_files)) as server:
        # LOGIN: Cyrus SASL's PLAIN refuses or trims a user name that starts with a blank
        incoming = _imap(server.port, username=user, password_command=command, mechanisms=["login"],
                         tls={"ca_file": str(ca), "client_cert": str(cert), "client_key": str(key)})  # fmt: skip
        rendered = render({"work": {"address": "a@example.org", "incoming": incoming}}, {"maildir-root": str(root)})
        assert rendered.gaps == ()
        rc = write(base, rendered)
        parses(rc, base)
        assert not canary.exists()  # nothing ran while the file was read
        done = mbsync(rc, base, "-l", "work")
    assert done.returncode == 0, done.stderr
    assert server.seen == [Seen(True, "LOGIN", user, secret)]
    assert not canary.exists()
    # split at \n only, as mbsync does (str.splitlines would also split at \x85 and \u2028)
    lines = rc.read_text("utf-8").split("\n")
    keywords = [line.split(" ", 1)[0] for line in lines if line and line[0] != "#"]
    assert keywords == ["IMAPAccount", "Host", "Port", "User", "PassCmd", "SSLType", "SystemCertificates",
                        "CertificateFile", "ClientCertificate", "ClientKey", "AuthMechs", "IMAPStore", "Account",
                        "MaildirStore", "Path", "Inbox", "SubFolders", "Channel", "Far", "Near", "Patterns",
                        "Create", "SyncState"]  # fmt: skip


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(command=HOSTILE)
def test_a_hostile_password_command_runs_nothing_while_the_file_is_read(tmp_path: Path, command: str) -> None:
    base = tmp_path / os.urandom(6).hex()
    base.mkdir()
    # relative CANARY: the file is read with the working directory at base
    incoming = {"protocol": "imap", "host": "localhost", "password_command": command}
    rc = write(base, render({"work": {"address": "a@example.org", "incoming": incoming}}))
    binary = need("mbsync")["mbsync"]
    done = subprocess.run([binary, "-c", str(rc), NO_CHANNEL], capture_output=True, text=True, cwd=base,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(base)}, timeout=60, check=False)  # fmt: skip
    assert done.stderr == PARSED_OK
    assert not (base / "CANARY").exists()


# --- examples ------------------------------------------------------------------------------


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_examples_render_and_mbsync_reads_them(tmp_path: Path, example: Path) -> None:
    model = example_model(example)
    rendered = render_model(TARGET, model, {})
    imap = [a for a in model.accounts if a.incoming is not None and a.incoming.protocol is Protocol.IMAP]
    if not imap:
        assert rendered.files == ()
        return
    rc = write(tmp_path, rendered)
    for account in imap:
        assert account.incoming is not None
        if account.incoming.tls.ca_file is not None:  # mbsync opens it while parsing: point it at a file here
            rc.write_text(rc.read_text().replace(f'"{account.incoming.tls.ca_file}"', f'"{rc}"'))
    parses(rc, tmp_path)
    channels = [line.removeprefix("Channel ") for line in rc.read_text().splitlines() if line.startswith("Channel ")]
    assert channels == [a.name for a in imap]


@pytest.mark.parametrize(("first", "second"), [("Work", "work"), ("a.B", "A.b")])
def test_two_accounts_whose_maildirs_differ_only_in_case_are_refused_naming_both(first: str, second: str) -> None:
    """On macOS, Windows or a FAT drive ~/Mail/Work and ~/Mail/work are one folder: mbsync would keep both accounts
    there. Before, both were written (lint's MC710 warns about the names, but render went on)."""
    imap = {"protocol": "imap", "host": "imap.example.org", "username": "u", "password_command": "p"}
    accounts = {first: {"address": "a@example.org", "incoming": imap}, second: {"address": "b@example.org",
                                                                                "incoming": imap}}  # fmt: skip
    with pytest.raises(RenderError) as caught:
        render(accounts)
    assert str(caught.value) == (
        f"target mbsync: not rendered: account {second}: name: its folder ~/Mail/{second}/ and account {first}'s "
        f"folder ~/Mail/{first}/ differ only in case: one folder on macOS, Windows or a FAT drive, where mbsync "
        "would keep both accounts' mail and sync state in it; rename one of the two accounts"
    )
    assert len(render({first: accounts[first], f"{second}-2": accounts[second]}).files) >= 1  # in more than case
