"""probe --login never shows the secret, in any form it sent, in any output format.

The servers here are real (tests/servers.py, :func:`refuse_and_echo`): each refuses the login and
quotes back everything it received, decoded and as it came (an IMAP quoted string with \\" and \\\\,
SASL base64, NUL bytes and all), the way a careless server logs or answers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from mailconf.cli import main
from mailconf.errors import double_quoted
from mailconf.probe.conn import Quoted, render
from mailconf.probe.redact import MASK, Redactor
from tests.probe.conftest import secret_file, write_accounts
from tests.servers import CAROL, CRAM_CHALLENGE, ScriptedServer, refuse_and_echo

#: quotes, a backslash, $, # and a space (CAROL's) plus a non-ASCII letter
SECRET = CAROL.password + "é"
USER = CAROL.name

# (protocol, declared mechanism, auth, how the message names it, the server's answer after the mask)
CASES = [
    (
        "imap",
        "login",
        "password",
        "LOGIN command",
        f'NO [AUTHENTICATIONFAILED] you sent LOGIN "{USER}" "{MASK}"',
    ),
    ("imap", "plain", "password", "PLAIN", f"BAD you sent {MASK} = {MASK}"),
    ("imap", "cram-md5", "password", "CRAM-MD5", f"BAD you sent {MASK} = {MASK}"),
    ("pop3", "login", "password", "USER/PASS", f"-ERR [AUTH] you sent PASS {MASK}"),
    ("pop3", "plain", "password", "PLAIN", f"-ERR [AUTH] you sent {MASK} = {MASK}"),
    ("smtp", "plain", "password", "PLAIN", f"535 5.7.8 you sent {MASK} = {MASK}"),
    (
        "smtp",
        "login",
        "password",
        "LOGIN",
        # the user name is no secret: its answer is quoted as sent
        f"535 5.7.8 you sent {USER} = {base64.b64encode(USER.encode()).decode()} / {MASK} = {MASK}",
    ),
    ("smtp", "xoauth2", "oauth2", "XOAUTH2", f"535 5.7.8 you sent {MASK} = {MASK}"),
    ("smtp", "oauthbearer", "oauth2", "OAUTHBEARER", f"535 5.7.8 you sent {MASK} = {MASK}"),
]
FORMATS = ["text", "json", "sarif", "github"]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def forms_sent() -> tuple[list[str], list[str]]:
    """Every form of SECRET some case sends (as text, and in base64), computed here independently of mailconf."""
    raw = SECRET.encode()
    quoted = SECRET.replace("\\", "\\\\").replace('"', '\\"')
    digest = hmac.new(raw, CRAM_CHALLENGE, hashlib.md5).hexdigest()
    # as a message quotes it (errors.double_quoted: the secret's characters are all printable), as repr and JSON do
    texts = [
        shown
        for text in (SECRET, quoted, digest)
        for shown in (
            text,
            text.replace("\\", "\\\\").replace('"', '\\"'),
            repr(text)[1:-1],
            json.dumps(text)[1:-1],
            json.dumps(text, ensure_ascii=False)[1:-1],
        )
    ]
    responses = [
        b"\0" + USER.encode() + b"\0" + raw,  # PLAIN
        raw,  # LOGIN's second answer
        f"{USER} {digest}".encode(),  # CRAM-MD5
        f"user={USER}\x01auth=Bearer {SECRET}\x01\x01".encode(),  # XOAUTH2
    ]
    # inside any base64 text the secret's own groups encode the same way at each of 3 alignments
    fixed = [b64(raw[skip:][: (len(raw) - skip) // 3 * 3]) for skip in range(3)]
    return texts + fixed, [b64(r) for r in responses]


def leaks(output: str) -> list[str]:
    """The whole base64 responses, and any 8-character run of the secret's forms, found in the output."""
    pieces, whole = forms_sent()
    runs = {form[i : i + 8] for form in pieces for i in range(len(form) - 7)}
    return [form for form in whole if form in output] + sorted(run for run in runs if run in output)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_a_server_quoting_the_login_back_never_shows_the_secret(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], fmt: str, case: tuple[str, str, str, str, str]
) -> None:
    protocol, declared, auth, label, answer = case
    field = "password_command" if auth == "password" else "token_command"
    with ScriptedServer(refuse_and_echo(protocol)) as server:
        entry = {
            "protocol": protocol,
            "host": "127.0.0.1",
            "port": server.port,
            "security": "none",
            "timeout": 2,
            "username": USER,
            "auth": auth,
            "mechanisms": [declared],
            field: secret_file(tmp_path, SECRET),
        }
        side = {"outgoing": entry} if protocol == "smtp" else {"incoming": entry}
        path = write_accounts(tmp_path / "accounts.yaml", **side)
        capfd.readouterr()
        code = main(["probe", "--format", fmt, "--login", "--allow-cleartext", str(path)])
    out, err = capfd.readouterr()
    message = f"the server refused the credentials of {USER} ({label}): {double_quoted(answer)}"
    assert code == 1
    assert err == ""
    if fmt == "json":
        assert [(f["rule"], f["message"]) for f in json.loads(out)][-1] == ("MC815", message)
    elif fmt == "sarif":
        results = json.loads(out)["runs"][0]["results"]
        assert (results[-1]["ruleId"], results[-1]["message"]["text"]) == ("MC815", message)
    elif fmt == "github":
        assert out.splitlines()[-1].endswith(f"title=MC815 login-failed::{message}".replace("%", "%25"))
    else:
        assert f"error MC815 login-failed: {message}\n" in out
    assert leaks(out + err) == []


def test_every_base64_alignment_of_the_secret_is_masked() -> None:
    """A server may echo a longer base64 text holding the secret at any offset, or a piece of one."""
    redactor = Redactor()
    redactor.secret(SECRET)
    raw = SECRET.encode()
    for prefix in (b"", b"a", b"ab", b"abc"):
        blob = b64(prefix + raw + b"tail")
        skip = -len(prefix) % 3  # the secret's bytes that share a base64 group with the prefix
        own = raw[skip:][: (len(raw) - skip) // 3 * 3]  # the groups made of the secret's bytes alone
        assert b64(own) in blob
        shown = redactor.redact(f"got {blob}")
        assert b64(own) not in shown
        assert MASK in shown


def test_the_user_name_is_never_taken_for_a_secret() -> None:
    redactor = Redactor()
    redactor.secret("hunter22")
    redactor.sent(b"\0" + USER.encode() + b"\0hunter22")
    assert redactor.redact(f'the credentials of {USER}: "NO hunter22"') == f'the credentials of {USER}: "NO ***"'


Script = Callable[[socket.socket, threading.Event], None]


def _imap_refusing_login(login: Callable[[str], str], capability: Callable[[], str] = lambda: "IMAP4rev1") -> Script:
    """An IMAP server that answers CAPABILITY with ``capability()`` and refuses LOGIN with ``NO login(its
    arguments)``; anything else ends the session."""

    def script(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(b"* OK ready\r\n")
        reader = conn.makefile("rb")
        while raw := reader.readline(65536):
            tag, _, rest = raw.decode().rstrip("\r\n").partition(" ")
            verb, _, args = rest.partition(" ")
            if verb.upper() == "CAPABILITY":
                conn.sendall(f"* CAPABILITY {capability()}\r\n{tag} OK done\r\n".encode())
            elif verb.upper() == "LOGIN":
                conn.sendall(f"{tag} NO {login(args)}\r\n".encode())
            else:
                conn.sendall(f"* BYE\r\n{tag} OK bye\r\n".encode())
                return

    return script


def _echoes_login_in(case: Callable[[str], str]) -> Script:
    """An IMAP server that refuses LOGIN and quotes back what it received with its letters changed by ``case``."""
    return _imap_refusing_login(lambda args: f"you sent LOGIN {case(args)}")


#: Letters whose case mapping changes the length, which a case-insensitive match does not follow:
#: "ß".upper() is "SS", "ﬁ".upper() is "FI", "İ".lower() is "i" and a combining dot.
LENGTH_CHANGING = "Straße-ﬁx-İz-1"


@pytest.mark.parametrize("secret", [SECRET, LENGTH_CHANGING], ids=["quoting", "length-changing"])
@pytest.mark.parametrize("case", [str.upper, str.lower, str.swapcase], ids=["upper", "lower", "swapcase"])
def test_a_server_quoting_the_password_back_in_another_letter_case_never_shows_it(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], case: Callable[[str], str], secret: str
) -> None:
    with ScriptedServer(_echoes_login_in(case)) as server:
        entry = {
            "protocol": "imap", "host": "127.0.0.1", "port": server.port, "security": "none", "timeout": 2,
            "username": USER, "auth": "password", "password_command": secret_file(tmp_path, secret),
        }  # fmt: skip
        path = write_accounts(tmp_path / "accounts.yaml", incoming=entry)
        capfd.readouterr()
        code = main(["probe", "--format", "json", "--login", "--allow-cleartext", str(path)])
    out, err = capfd.readouterr()
    user = case(f'"{USER}"')  # the user name is no secret: quoted back as the server changed it
    answer = f'NO you sent LOGIN {user} "{MASK}"'
    assert (code, err) == (1, "")
    assert [(f["rule"], f["message"]) for f in json.loads(out)][-1] == (
        "MC815",
        f"the server refused the credentials of {USER} (LOGIN command): {double_quoted(answer)}",
    )
    assert case(secret) not in out
    assert not any(case(secret) in f["message"] for f in json.loads(out))  # JSON escapes what is not ASCII


def test_the_secret_percent_encoded_is_masked_in_any_letter_case() -> None:
    redactor = Redactor()
    redactor.secret(SECRET)  # a space, quotes, a backslash, % and é: all percent-encoded
    encoded = "P%27q%22r%3Bs%5Ct%60u%24v%20%23w%25x%C3%A9"
    for shown in (encoded, encoded.lower(), encoded.replace("%20", "+")):
        assert redactor.redact(f"GET /login?password={shown}&x=1") == f"GET /login?password={MASK}&x=1"


def test_a_secret_one_server_received_is_masked_in_what_another_server_says(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Each server's session masked only the forms of its own login: the SMTP server of the same account,
    answering EHLO once the IMAP server had the password, could name it as a mechanism, and it was printed
    in the findings and in the summary table. Every secret of the run is masked in everything shown.
    """
    received: list[str] = []
    logged_in = threading.Event()

    def login(args: str) -> str:
        received.append(args.split(" ", 1)[1][1:-1])  # the quoted password, as it came
        logged_in.set()
        return "wrong"

    imap = _imap_refusing_login(login)

    def smtp(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(b"220 ready\r\n")
        conn.makefile("rb").readline()  # EHLO
        logged_in.wait(5)
        conn.sendall(f"250-hello\r\n250 AUTH PLAIN {received[0] if received else 'nothing'}\r\n".encode())
        stop.wait()

    secret = "hunter2-of-the-run"
    command = secret_file(tmp_path, secret)
    common = {"host": "127.0.0.1", "security": "none", "timeout": 5, "username": USER, "auth": "password",
              "password_command": command}  # fmt: skip
    with ScriptedServer(imap) as imap_server, ScriptedServer(smtp) as smtp_server:
        path = write_accounts(
            tmp_path / "accounts.yaml",
            incoming={"protocol": "imap", "port": imap_server.port, **common},
            outgoing={"protocol": "smtp", "port": smtp_server.port, **common, "mechanisms": ["login"]},
        )
        capfd.readouterr()
        code = main(["probe", "--format", "text", "--login", "--allow-cleartext", str(path)])
    out, err = capfd.readouterr()
    assert received == [secret]
    at = f"{path}:{{}}:5:"
    offers = f"the server offers {MASK}, PLAIN"
    assert out.splitlines() == [
        f"{at.format(5)} info MC820 server-ok: IMAP over no TLS; login offered: LOGIN command",
        f"{at.format(5)} error MC815 login-failed: the server refused the credentials of {USER} (LOGIN command): "
        '"NO wrong"',
        f"{at.format(6)} error MC813 auth-not-offered: none of the declared mechanisms (LOGIN) is offered; {offers}",
        f"{at.format(6)} info MC820 server-ok: SMTP over no TLS; login offered: {MASK}, PLAIN",
        f"{at.format(6)} error MC816 login-not-attempted: no mechanism probe can log in with is offered for auth "
        f"password ({offers})",
        "3 errors, 2 info in 1 file",
        "",
        "server                                verdict  TLS  certificate expires  authentication",
        f"test incoming imap://127.0.0.1:{imap_server.port}  error    -    -                    LOGIN command",
        f"test outgoing smtp://127.0.0.1:{smtp_server.port}  error    -    -                    {MASK}, PLAIN",
    ]
    assert (code, err) == (1, "")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_server_padding_its_text_so_that_the_cut_falls_inside_a_secret_never_shows_a_part_of_it(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], fmt: str
) -> None:
    """Server text was cut (160 characters in a message, 40 for a mechanism name) when the finding was made,
    and the last pass over every finding, with every secret of the run, saw only the cut text: a server
    that knows the password and answers before probe has read it shows the part before the cut, which no
    redaction recognises. Here the SMTP server of the account pads its EHLO refusal, and the IMAP server
    its mechanism name, so that the cut falls inside the password the IMAP server receives afterwards.
    The text is masked whole, then cut: nothing of the password is shown, in any format or in the table.
    """
    secret = "z9secret-of-the-whole-run"
    smtp_done = threading.Event()
    reply = "x" * 150 + secret  # the cut at 157 characters kept "z9secre" of it
    mechanism = "Y" * 30 + secret.upper()  # the cut at 37 kept "Z9SECRE"

    def smtp(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(b"220 ready\r\n")
        reader = conn.makefile("rb")
        reader.readline()  # EHLO
        conn.sendall(f"550 {reply}\r\n".encode())
        reader.readline()  # probe has made its finding when it closes the connection
        smtp_done.set()

    def capability() -> str:  # only once the SMTP finding is made: probe learns the password after this
        smtp_done.wait(5)
        return f"IMAP4rev1 AUTH={mechanism}"

    imap = _imap_refusing_login(lambda args: "wrong", capability)

    common = {"host": "127.0.0.1", "security": "none", "timeout": 5, "username": USER, "auth": "password",
              "password_command": secret_file(tmp_path, secret)}  # fmt: skip
    with ScriptedServer(imap) as imap_server, ScriptedServer(smtp) as smtp_server:
        path = write_accounts(
            tmp_path / "accounts.yaml",
            incoming={"protocol": "imap", "port": imap_server.port, **common},
            outgoing={"protocol": "smtp", "port": smtp_server.port, **common},
        )
        capfd.readouterr()
        code = main(["probe", "--format", fmt, "--login", "--allow-cleartext", str(path)])
    out, err = capfd.readouterr()
    assert smtp_done.is_set()
    offered = f"{'Y' * 30}{MASK}, LOGIN command"
    messages = [
        ("MC820", f"IMAP over no TLS; login offered: {offered}"),
        ("MC815", f'the server refused the credentials of {USER} (LOGIN command): "NO wrong"'),
        ("MC818", f'EHLO failed: 550 "{"x" * 150}{MASK}"'),
    ]
    if fmt == "text":
        at = f"{path}:{{}}:5:"
        assert out.splitlines() == [
            f"{at.format(5)} info MC820 server-ok: {messages[0][1]}",
            f"{at.format(5)} error MC815 login-failed: {messages[1][1]}",
            f"{at.format(6)} error MC818 protocol-error: {messages[2][1]}",
            "2 errors, 1 info in 1 file",
            "",
            "server                                verdict  TLS  certificate expires  authentication",
            f"test incoming imap://127.0.0.1:{imap_server.port}  error    -    -                    {offered}",
            f"test outgoing smtp://127.0.0.1:{smtp_server.port}  error    -    -                    -",
        ]
    elif fmt == "json":
        assert [(f["rule"], f["message"]) for f in json.loads(out)] == messages
    elif fmt == "sarif":
        results = json.loads(out)["runs"][0]["results"]
        assert [(r["ruleId"], r["message"]["text"]) for r in results] == messages
    else:
        assert [line.rpartition(" login-failed::")[2] if "MC815" in line else line.rpartition("::")[2]
                for line in out.splitlines()] == [m for _, m in messages]  # fmt: skip
    assert secret[:7] not in (out + err).lower()
    assert (code, err) == (1, "")


def test_a_secret_a_server_spells_as_the_message_quotes_it_is_masked() -> None:
    """Server text is quoted by errors.double_quoted (it was repr): a secret holding a ``"``, a backslash and an ESC
    is masked whether the server sends it as it is or spelt as the quoting writes it (``\\"``, ``\\\\``, ``\\x1b``),
    which only the second pass, over the quoted message, can see."""
    redactor = Redactor()
    redactor.secret('pa"ss\\w\x1bord')
    for said in ('NO you sent pa"ss\\w\x1bord', 'NO you sent pa\\"ss\\\\w\\x1bord'):
        shown = render(("the server refused: ", Quoted(said)), redactor.redact)
        assert shown == f'the server refused: {double_quoted("NO you sent ")[:-1]}{MASK}"'
