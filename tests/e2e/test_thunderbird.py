"""Headless Thunderbird logs in to IMAP with the rendered profile files.

The profile gets the rendered ``user.js`` (plus the harness prefs that make Thunderbird
start quietly and listen for Marionette) and, as the target's docs say, either runs the
rendered ``import-ca.sh`` (``sh import-ca.sh PROFILE``) or receives the rendered
``cert_override.txt``. Thunderbird has no password command: a chrome-context script sets
the password in memory and calls ``verifyLogon``; Dovecot's log shows the login.
"""

from __future__ import annotations

import base64
import email
import email.policy
import shlex
import shutil
import subprocess
import tempfile
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import need
from tests.e2e.conftest import ABSOLUTE_LOCALHOST, CLIENT_TIMEOUT, absolute_names, client_env, logins, render, server
from tests.servers import ALICE, CAROL, Certificates, Dovecot, SmtpServer, User
from tests.targets._marionette import thunderbird, write_user_js

LOGON_SCRIPT = r"""
const [name, password] = arguments;
const done = arguments[arguments.length - 1];
const { MailServices } = ChromeUtils.importESModule("resource:///modules/MailServices.sys.mjs");
const accounts = MailServices.accounts.accounts.filter(a => a.incomingServer.prettyName == name);
if (accounts.length != 1) {
  done({error: `${accounts.length} accounts named ${name}`});
  return;
}
const server = accounts[0].incomingServer;
const read = {type: server.type, hostname: server.hostname, port: server.port, username: server.username,
              socketType: server.socketType};
server.password = password;
const listener = {
  QueryInterface: ChromeUtils.generateQI(["nsIUrlListener"]),
  OnStartRunningUrl() {},
  OnStopRunningUrl(url, status) { done({read, status}); },
};
try {
  server.verifyLogon(listener, null);
} catch (e) {
  done({read, error: String(e)});
}
"""


SEND_SCRIPT = r"""
const [name, password, path, message] = arguments;
const done = arguments[arguments.length - 1];
const { MailServices } = ChromeUtils.importESModule("resource:///modules/MailServices.sys.mjs");
const accounts = MailServices.accounts.accounts.filter(a => a.incomingServer.prettyName == name);
if (accounts.length != 1) {
  done({error: `${accounts.length} accounts named ${name}`});
  return;
}
const identity = accounts[0].defaultIdentity;
const server = MailServices.outgoingServer.getServerByIdentity(identity);
const smtp = server.QueryInterface(Ci.nsISmtpServer);
const read = {hostname: smtp.hostname, port: smtp.port, username: server.username, socketType: server.socketType,
              sender: identity.email};
server.password = password;
const listener = {
  QueryInterface: ChromeUtils.generateQI(["nsIMsgOutgoingListener"]),
  onSendStart(request) {},
  onSendStop(uri, status, secInfo, errorMsg) { done({read, status}); },
};
IOUtils.writeUTF8(path, message).then(() => {
  const file = Cc["@mozilla.org/file/local;1"].createInstance(Ci.nsIFile);
  file.initWithPath(path);
  const to = [MailServices.headerParser.makeMailboxObject("", "bob@example.net")];
  server.sendMailMessage(file, to, [], identity, identity.email, password, null, false, "", listener);
}).catch(e => done({read, error: String(e)}));
"""


#: Sends a new message the way the compose window does: its From is the identity's fullAddress (GetComposeDetails in
#: MsgComposeCommands.js), and nsIMsgCompose adds the identity's organization and sends through its SMTP server. No
#: copy to a Sent folder: the account's IMAP server is never contacted.
COMPOSE_SCRIPT = r"""
const [name, password] = arguments;
const done = arguments[arguments.length - 1];
const { MailServices } = ChromeUtils.importESModule("resource:///modules/MailServices.sys.mjs");
const account = MailServices.accounts.accounts.find(a => a.incomingServer.prettyName == name);
const identity = account.defaultIdentity;
MailServices.outgoingServer.getServerByIdentity(identity).password = password;
identity.doFcc = false;
const fields = Cc["@mozilla.org/messengercompose/composefields;1"].createInstance(Ci.nsIMsgCompFields);
const parser = MailServices.headerParser;
fields.from = parser.makeMimeHeader(parser.makeFromDisplayAddress(identity.fullAddress));
fields.to = "bob@example.net";
fields.subject = "from thunderbird";
fields.body = "hello\r\n";
const params = Cc["@mozilla.org/messengercompose/composeparams;1"].createInstance(Ci.nsIMsgComposeParams);
params.composeFields = fields;
params.identity = identity;
params.format = Ci.nsIMsgCompFormat.PlainText;
params.type = Ci.nsIMsgCompType.New;
const compose = MailServices.compose.initCompose(params);
compose.addMsgSendListener({
  QueryInterface: ChromeUtils.generateQI(["nsIMsgSendListener"]),
  onStartSending() {}, onSendProgress() {}, onStatus() {}, onGetDraftFolderURI() {}, onSendNotPerformed() {},
  onTransportSecurityError() {},
  onStopSending(id, status) { done({status}); },
});
compose.sendMsg(Ci.nsIMsgSend.nsMsgDeliverNow, identity, account.key, null, null).catch(e => done({error: String(e)}));
"""


def _logon(files: dict[str, Path], account: str, password: str, binary: str = "thunderbird") -> Any:
    """A new profile from the rendered files; Thunderbird verifies the logon; the profile is removed."""
    return _run(files, LOGON_SCRIPT, [account, password], binary)


def _run(files: dict[str, Path], script: str, args: list[str], binary: str = "thunderbird") -> Any:
    """A new profile from the rendered files; Thunderbird (``binary``) runs the chrome script; the profile is
    removed."""
    need("thunderbird")
    profile = Path(tempfile.mkdtemp(prefix="mailconf-e2e-tb-"))
    try:
        if "cert_override.txt" in files:  # a new profile has none: copy it in (the target's docs)
            shutil.copyfile(files["cert_override.txt"], profile / "cert_override.txt")
        write_user_js(profile, files["user.js"].read_text(encoding="utf-8"))
        if "import-ca.sh" in files:
            need("certutil")
            done = subprocess.run(
                ["sh", str(files["import-ca.sh"]), str(profile)],
                capture_output=True,
                env=client_env(profile),
                stdin=subprocess.DEVNULL,
                timeout=CLIENT_TIMEOUT,
                check=False,
            )
            assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
        with thunderbird(profile, binary) as client:
            return client.execute_async(script, args, timeout_ms=int(CLIENT_TIMEOUT * 1000))
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def _composed(
    tmp_path: Path, certs: Certificates, smtp_tls: SmtpServer, capsys: pytest.CaptureFixture[str], **identity: str
) -> tuple[Any, list[str]]:
    """One account with ``identity`` (address ann@example.org unless given) rendered, a message sent from Thunderbird's
    compose path through ``smtp_tls``: the message the server received, and the gaps said but password_command's."""
    account = {
        "address": "ann@example.org",
        **identity,
        "incoming": server("imap", 1, "tls", ALICE, certs=certs, directory=tmp_path),  # never contacted
        "outgoing": server("smtp", smtp_tls.port, "tls", ALICE, certs=certs, directory=tmp_path),
    }
    capsys.readouterr()
    files = render("thunderbird", {"work": account}, tmp_path)
    gaps = [line for line in capsys.readouterr().err.splitlines() if "password_command" not in line]
    assert _run(files, COMPOSE_SCRIPT, ["work", ALICE.password]) == {"status": 0}
    [received] = smtp_tls.messages
    return received, gaps


@pytest.mark.parametrize(
    ("security", "user", "socket_type"),
    [("starttls", ALICE, 2), ("tls", CAROL, 3)],  # carol's password holds every quoting character
)
@pytest.mark.parametrize("protocol", ["imap", "pop3"])
def test_thunderbird_logs_in_with_the_imported_ca(  # noqa: PLR0917 (pytest fixtures)
    tmp_path: Path, certs: Certificates, dovecot: Dovecot, protocol: str, security: str, user: User, socket_type: int
) -> None:
    ports = {"imap": (dovecot.ports.imap, dovecot.ports.imaps), "pop3": (dovecot.ports.pop3, dovecot.ports.pop3s)}
    port = ports[protocol][security == "tls"]
    extra = {"leave_on_server": True} if protocol == "pop3" else {}
    incoming = server(protocol, port, security, user, certs=certs, directory=tmp_path, **extra)
    files = render("thunderbird", {"work": {"address": user.name, "incoming": incoming}}, tmp_path)
    assert list(files) == ["import-ca.sh", "user.js"]

    result = _logon(files, "work", user.password)

    read = {"type": protocol, "hostname": "localhost", "port": port, "username": user.name, "socketType": socket_type}
    assert result == {"read": read, "status": 0}
    found = logins(dovecot, f"{protocol}-login", user)
    assert len(found) == 1 and ", TLS" in found[0], found


def test_thunderbird_refuses_the_server_without_the_ca(tmp_path: Path, certs: Certificates, dovecot: Dovecot) -> None:
    """The control: the same user.js without running import-ca.sh never gets to log in."""
    incoming = server("imap", dovecot.ports.imaps, "tls", ALICE, certs=certs, directory=tmp_path)
    files = render("thunderbird", {"work": {"address": ALICE.name, "incoming": incoming}}, tmp_path)
    del files["import-ca.sh"]

    result = _logon(files, "work", ALICE.password)

    assert result["status"] != 0, result
    assert logins(dovecot, "imap-login", ALICE, at_least=0) == []


def test_thunderbird_refuses_a_wrong_password(tmp_path: Path, certs: Certificates, dovecot: Dovecot) -> None:
    """verifyLogon really logs in: a wrong password is a failure, and Dovecot logs no login."""
    incoming = server("imap", dovecot.ports.imaps, "tls", ALICE, certs=certs, directory=tmp_path)
    files = render("thunderbird", {"work": {"address": ALICE.name, "incoming": incoming}}, tmp_path)

    result = _logon(files, "work", "not-" + ALICE.password)

    assert result["status"] != 0, result
    assert logins(dovecot, "imap-login", ALICE, at_least=0) == []


def test_thunderbird_logs_in_to_a_pinned_server(tmp_path: Path, certs: Certificates) -> None:
    """A self-signed certificate pinned by tls.fingerprint: the rendered cert_override.txt, no CA at all."""
    need("dovecot")
    with Dovecot(tls=certs.self_signed) as dovecot:
        incoming = server(
            "imap", dovecot.ports.imaps, "tls", CAROL, certs=certs, directory=tmp_path,
            tls={"fingerprint": certs.fingerprint(certs.self_signed)},
        )  # fmt: skip
        files = render("thunderbird", {"work": {"address": CAROL.name, "incoming": incoming}}, tmp_path)
        assert list(files) == ["cert_override.txt", "user.js"]

        result = _logon(files, "work", CAROL.password)

        assert result["status"] == 0, result
        found = logins(dovecot, "imap-login", CAROL)
        assert len(found) == 1 and ", TLS" in found[0], found


@pytest.mark.parametrize(
    ("security", "user", "socket_type"),
    [("starttls", ALICE, 2), ("tls", CAROL, 3)],  # carol's password holds every quoting character
)
def test_thunderbird_sends_through_the_rendered_smtp_server(  # noqa: PLR0917 (pytest fixtures)
    request: pytest.FixtureRequest, tmp_path: Path, certs: Certificates, security: str, user: User, socket_type: int
) -> None:
    """The identity's SMTP server (smtpN) sends a message: the server got it, authenticated as the declared user."""
    smtp: SmtpServer = request.getfixturevalue("smtp_starttls" if security == "starttls" else "smtp_tls")
    account = {
        "address": user.name,
        # an identity belongs to an account with an incoming server; this one is never contacted
        "incoming": server("imap", 1, "tls", user, certs=certs, directory=tmp_path),
        "outgoing": server("smtp", smtp.port, security, user, certs=certs, directory=tmp_path),
    }
    files = render("thunderbird", {"work": account}, tmp_path)
    assert list(files) == ["import-ca.sh", "user.js"]
    message = f"From: {user.name}\r\nTo: bob@example.net\r\nSubject: from thunderbird\r\n\r\nhello\r\n"

    result = _run(files, SEND_SCRIPT, ["work", user.password, str(tmp_path / "message.eml"), message])

    read = {"hostname": "localhost", "port": smtp.port, "username": user.name, "socketType": socket_type}
    assert result == {"read": read | {"sender": user.name}, "status": 0}
    assert len(smtp.messages) == 1
    received = smtp.messages[0]
    assert received.login == user.name
    assert received.mail_from == user.name
    assert received.rcpt_tos == ("bob@example.net",)
    assert received.content == message.encode()


@pytest.mark.parametrize("user", [User("josé@example.org", "pw-1"), User("zoëž@example.org", "pw-2")])
def test_thunderbird_logs_in_to_smtp_with_a_non_ascii_user_name(
    tmp_path: Path, certs: Certificates, user: User
) -> None:
    """The server gets the declared SMTP user name in UTF-8. Thunderbird's SMTP client sends the username pref's
    bytes as they are: written as \\xe9 (one byte per character, as for an identity's address), josé reached the
    server as the byte E9, not UTF-8, and the login failed with no gap."""
    with SmtpServer(certs.good, implicit=True, users=(user,)) as smtp:
        account = {
            "address": "jose@example.org",
            "incoming": server("imap", 1, "tls", user, certs=certs, directory=tmp_path),  # never contacted
            "outgoing": server("smtp", smtp.port, "tls", user, certs=certs, directory=tmp_path),
        }
        files = render("thunderbird", {"work": account}, tmp_path)
        message = "From: jose@example.org\r\nTo: bob@example.net\r\nSubject: s\r\n\r\nhello\r\n"

        result = _run(files, SEND_SCRIPT, ["work", user.password, str(tmp_path / "message.eml"), message])

    assert result["status"] == 0, result
    assert [m.login for m in smtp.messages] == [user.name]


@pytest.mark.parametrize("protocol", ["imap", "pop3"])
def test_a_non_ascii_incoming_user_name_logs_in_over_imap_and_is_a_gap_for_pop3(
    tmp_path: Path, certs: Certificates, protocol: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """IMAP sends the declared user name in UTF-8 and logs in. Thunderbird 153's POP3 client sends it one byte per
    character (Dovecot got jos\\xe9: "Username character disallowed ...: 0xe9"), so the login fails: rendered with
    no word of it before, a gap now."""
    need("dovecot")
    user = User("josé@example.org", "pw-1")
    with Dovecot(tls=certs.good, users=(user,), any_username=True) as dovecot:
        port = dovecot.ports.imaps if protocol == "imap" else dovecot.ports.pop3s
        incoming = server(protocol, port, "tls", user, certs=certs, directory=tmp_path)
        capsys.readouterr()
        files = render("thunderbird", {"work": {"address": "jose@example.org", "incoming": incoming}}, tmp_path)
        gaps = [line for line in capsys.readouterr().err.splitlines() if "incoming.username" in line]

        result = _logon(files, "work", user.password)

        found = logins(dovecot, f"{protocol}-login", user, at_least=1 if protocol == "imap" else 0)
    if protocol == "imap":
        assert (result["status"], gaps, len(found)) == (0, [], 1), result
    else:
        assert result["status"] != 0 and found == [], result
        assert gaps == [
            "mailconf: warning: thunderbird: account work: incoming.username cannot be expressed; Thunderbird 153's "
            "POP3 client sends a user name outside ASCII one byte per character (é as the byte E9, not UTF-8) and "
            "cannot send one above U+00FF at all, so the login fails: use an ASCII login name, or IMAP (which sends "
            "it in UTF-8)"
        ]


@pytest.mark.parametrize(
    ("address", "name", "organization"),
    [("josé@example.org", "Zoë Müller", "Café"), ("zoëž@example.org", "Žofie 山田 😀", "株式会社 Ž")],
)
def test_thunderbird_sends_a_non_ascii_identity_exactly(  # noqa: PLR0917 (pytest fixtures)
    tmp_path: Path,
    certs: Certificates,
    smtp_tls: SmtpServer,
    capsys: pytest.CaptureFixture[str],
    address: str,
    name: str,
    organization: str,
) -> None:
    """A new message from the compose path carries the declared address in UTF-8 in MAIL FROM and From:, and the
    name and organization as UTF-8 encoded-words. Written one byte per character (\\xe9), josé went out as
    jos\\ufffd in both: Thunderbird builds them from the pref's bytes read as UTF-8."""
    identity = {"address": address, "display_name": name, "organization": organization}
    received, gaps = _composed(tmp_path, certs, smtp_tls, capsys, **identity)

    assert gaps == [
        "mailconf: warning: thunderbird: account work: address cannot be expressed; Thunderbird 153 sends from the "
        "declared address (UTF-8, in MAIL FROM and the From: header), but shows it garbled in Account Settings, one "
        "character per byte (getCharPref): leave that field as it is"
    ]
    assert (received.login, received.mail_from, received.rcpt_tos) == (ALICE.name, address, ("bob@example.net",))
    header = received.content.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    word = {text: b"=?UTF-8?B?" + base64.b64encode(text.encode()) + b"?=" for text in (name, organization)}
    assert [line for line in header if line.startswith((b"From:", b"Organization:"))] == [
        b"From: " + word[name] + b" <" + address.encode() + b">",
        b"Organization: " + word[organization],
    ]
    assert str(make_header(decode_header(word[name].decode()))) == name


#: The display_name gap, as render prints it.
ENCODED_WORD_GAP = (
    "mailconf: warning: thunderbird: account work: display_name cannot be expressed; Thunderbird 153 decodes an RFC "
    "2047 encoded word in the name itself when it sends, inside a word or quotes too (=?utf-8?q?Bob?= goes out as "
    "Bob, a=?utf-8?q?Bob?= as a Bob) and sends one in a charset it does not know as written (=?x-unknown?q?Bob?=), "
    "where mail readers decode it (Python's email reads Bob), so the recipient sees the decoded text, not the name "
    "declared; no spelling of fullName makes it send such a word as text: leave it out of display_name"
)


@pytest.mark.parametrize(
    ("name", "sent", "read", "gapped"),
    [
        ("=?utf-8?q?Mallory?=", "Mallory", "Mallory", True),
        ("=?UTF-8?Q?Mallory?=", "Mallory", "Mallory", True),
        ("=?utf-8?b?TWFsbG9yeQ==?=", "Mallory", "Mallory", True),
        ("Bob =?utf-8?q?x?=", "Bob x", "Bob x", True),
        ("a=?utf-8?q?x?=", "a x", "a x", True),  # inside a word
        ('"=?utf-8?q?x?="', "x", "x", True),  # inside quotes
        ("=?utf-8?q?a b?=", "a b", "a b", True),
        ("=?iso-8859-1?q?caf=E9?=", "=?UTF-8?B?Y2Fmw6k=?=", "café", True),  # decoded, then encoded again
        # the name encoded once more, so that decoding gives the encoded word: Thunderbird decodes that one too
        ("=?UTF-8?B?PT91dGYtOD9xP01hbGxvcnk/PQ==?=", "Mallory", "Mallory", True),
        ("=?utf-7?q?Bob?=", "Bob", "Bob", True),  # no WHATWG label, but Thunderbird's own
        ("=?utf-8*en?q?Bob?=", "Bob", "Bob", True),  # an RFC 2231 language: dropped
        # charsets Thunderbird does not know go out as written, and readers decode them: a gap all the same
        ("=?x-unknown?q?Bob?=", "=?x-unknown?q?Bob?=", "Bob", True),
        ("=?cp850?q?Bob?=", "=?cp850?q?Bob?=", "Bob", True),  # Python's email knows it
        ("=?hz-gb-2312?q?Bob?=", "=?hz-gb-2312?q?Bob?=", "Bob", True),  # a WHATWG label of the replacement encoding
        ("=?utf-8?x?Bob?=", "=?utf-8?x?Bob?=", "=?utf-8?x?Bob?=", False),  # no such encoding: text
        ("=?utf-8?q?Bob", "=?utf-8?q?Bob", "=?utf-8?q?Bob", False),
    ],
)
def test_thunderbird_sends_an_encoded_word_in_the_name_decoded(  # noqa: PLR0917 (pytest fixtures)
    tmp_path: Path,
    certs: Certificates,
    smtp_tls: SmtpServer,
    capsys: pytest.CaptureFixture[str],
    name: str,
    sent: str,
    read: str,
    gapped: bool,
) -> None:
    """Why such a display_name is a gap: the compose path sends the identity's fullAddress unquoted
    (``=?utf-8?q?Mallory?= <ann@example.org>``), parses the From back with RFC 2047 decoding and writes the decoded
    text, so the recipient sees Mallory, not the name declared (a name encoded once more is decoded twice). A word in
    a charset Thunderbird does not know goes out as written, and the recipient's reader decodes it (Python's email
    here): why the gap is not limited to the charsets Thunderbird knows. A word that is no encoded word goes out as
    written and is read so, without a gap."""
    received, gaps = _composed(tmp_path, certs, smtp_tls, capsys, display_name=name)

    header = received.content.split(b"\r\n\r\n", 1)[0].decode("ascii").split("\r\n")
    assert [line for line in header if line.startswith("From:")] == [f"From: {sent} <ann@example.org>"]
    message = email.message_from_bytes(received.content, policy=email.policy.default)
    assert message["From"].addresses[0].display_name == read
    assert gaps == ([ENCODED_WORD_GAP] if gapped else [])


@pytest.mark.parametrize(
    ("organization", "sent", "read", "gapped"),
    [
        ("=?utf-8?q?Evil?=", "=?utf-8?q?Evil?=", "Evil", True),
        ("a=?utf-8?q?x?=", "a=?utf-8?q?x?=", "ax", True),
        ("é =?utf-8?q?x?=", "=?UTF-8?B?" + base64.b64encode("é =?utf-8?q?x?=".encode()).decode() + "?=", None, False),
    ],
)
def test_thunderbird_sends_an_ascii_organization_as_written(  # noqa: PLR0917 (pytest fixtures)
    tmp_path: Path,
    certs: Certificates,
    smtp_tls: SmtpServer,
    capsys: pytest.CaptureFixture[str],
    organization: str,
    sent: str,
    read: str | None,
    gapped: bool,
) -> None:
    """Why an ASCII organization holding an encoded word is a gap: Thunderbird writes it as it is, and readers decode
    the word (Python's email here); one with a character outside ASCII is encoded whole and read as declared."""
    received, gaps = _composed(tmp_path, certs, smtp_tls, capsys, organization=organization)

    header = received.content.split(b"\r\n\r\n", 1)[0].decode("ascii").split("\r\n")
    assert [line for line in header if line.startswith("Organization:")] == [f"Organization: {sent}"]
    message = email.message_from_bytes(received.content, policy=email.policy.default)
    assert str(message["Organization"]) == (read or organization)
    assert [line.split(" cannot be expressed", 1)[0] for line in gaps] == (
        ["mailconf: warning: thunderbird: account work: organization"] if gapped else []
    )


def _with_absolute_names(directory: Path) -> str:
    """A thunderbird that runs where ``localhost.`` resolves too (:func:`absolute_names`): a script in ``directory``
    that execs it there (same process: the harness's kill of its process group still reaches Thunderbird)."""
    argv = absolute_names([need("thunderbird")["thunderbird"]], directory)
    wrapper = directory / "thunderbird"
    wrapper.write_text(f'#!/bin/sh\nexec {shlex.join(argv)} "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


@pytest.mark.parametrize("host", [ABSOLUTE_LOCALHOST, "127.0.0.1"], ids=["trailing-dot", "ip-address"])
def test_thunderbird_reads_and_sends_with_a_trailing_dot_or_an_ip_address(  # noqa: PLR0917 (pytest fixtures)
    tmp_path: Path,
    certs: Certificates,
    dovecot: Dovecot,
    smtp_tls: SmtpServer,
    capsys: pytest.CaptureFixture[str],
    host: str,
) -> None:
    # getmail, offlineimap3, msmtp, mutt, mbsync and fetchmail refuse localhost. (and the last three 127.0.0.1, which
    # the test certificate lists as an IP address); NSS (mozilla::pkix) takes both, so Thunderbird needs no gap
    incoming = server("imap", dovecot.ports.imaps, "tls", ALICE, certs=certs, directory=tmp_path, host=host)
    outgoing = server("smtp", smtp_tls.port, "tls", ALICE, certs=certs, directory=tmp_path, host=host)
    capsys.readouterr()
    files = render(
        "thunderbird", {"work": {"address": ALICE.name, "incoming": incoming, "outgoing": outgoing}}, tmp_path
    )
    assert capsys.readouterr().err == "".join(  # no gap but the password command's
        f"mailconf: warning: thunderbird: account work: {side}.password_command cannot be expressed; Thunderbird "
        "has no password command: it asks for the password once and keeps it in its password manager (set a Primary "
        "Password to encrypt it)\n"
        for side in ("incoming", "outgoing")
    )
    assert list(files) == ["import-ca.sh", "user.js"]
    binary = _with_absolute_names(tmp_path)
    message = f"From: {ALICE.name}\r\nTo: bob@example.net\r\nSubject: from thunderbird\r\n\r\nhello\r\n"

    logon = _logon(files, "work", ALICE.password, binary)
    sent = _run(files, SEND_SCRIPT, ["work", ALICE.password, str(tmp_path / "message.eml"), message], binary)

    read = {"hostname": host, "port": dovecot.ports.imaps, "username": ALICE.name, "socketType": 3}
    assert logon == {"read": read | {"type": "imap"}, "status": 0}
    found = logins(dovecot, "imap-login", ALICE)
    assert len(found) == 1 and ", TLS" in found[0], found
    read = {"hostname": host, "port": smtp_tls.port, "username": ALICE.name, "socketType": 3}
    assert sent == {"read": read | {"sender": ALICE.name}, "status": 0}
    assert [(m.login, m.content) for m in smtp_tls.messages] == [(ALICE.name, message.encode())]
