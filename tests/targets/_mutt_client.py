"""Helpers for the mutt and neomutt target tests: render, let the real client read the file, read it back.

The client reads the file with ``-n -F RC`` in a throwaway HOME and prints variables with ``-Q``
(mutt: ``var="v"`` / ``var is set``; neomutt: ``set var = "v"``) or all of them with ``-D``. It runs
password commands (backticks) while reading, so tests feed it harmless commands only.
"""

from __future__ import annotations

import email
import email.policy
import importlib
import json
import os
import re
import shlex
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from mailconf.document import load_document
from mailconf.render import environment
from mailconf.targets import TARGETS, Rendered
from mailconf.targets._muttlike import OWNED
from tests.targets._common import load_issues

#: Every variable the targets may write; anything else the client reports as changed is an injection.
WRITTEN = {
    "mutt": {
        "from", "realname", "folder", "spoolfile", "imap_user", "imap_pass", "imap_authenticators",
        "imap_oauth_refresh_command", "pop_host", "pop_user", "pop_pass", "pop_authenticators",
        "pop_oauth_refresh_command", "pop_delete", "smtp_url", "smtp_pass", "smtp_authenticators",
        "smtp_oauth_refresh_command", "ssl_starttls", "ssl_force_tls", "ssl_ca_certificates_file",
        "ssl_verify_host", "ssl_use_tlsv1", "ssl_use_tlsv1_1", "ssl_use_tlsv1_2", "ssl_use_tlsv1_3",
        "ssl_client_cert", "connect_timeout",
    },
}  # fmt: skip
WRITTEN["neomutt"] = (WRITTEN["mutt"] - {"realname", "spoolfile"}) | {"real_name", "spool_file", "smtp_user"}

_SET = r"""set [a-z0-9_]+ = ('([^']|'\\'')*'|"`[^`\\$]*`"|yes|no|-?[0-9]+)"""
_MY_HDR = r"my_hdr (\\[0-7]{3}|[A-Za-z0-9]|[^\x00-\x7f])+"
_RESET = "reset [a-z0-9_]+|unmy_hdr Organization"
_LINE = re.compile(f"^({_SET}|{_MY_HDR}|{_RESET})$")
_MUTT_Q = re.compile(r'^([a-z0-9_]+)(?:="((?:[^"\\]|\\.)*)"|=(\S*)| is (set|unset))$')
_NEOMUTT_Q = re.compile(r'^set ([a-z0-9_]+) = (?:"((?:[^"\\]|\\.)*)"|(\S*))$')
_URL = re.compile(r"^(imaps?|pops?|smtps?)://(?:(.*)@)?(\[[^\]]*\]|[^:/@\[\]]+):([0-9]+)/?$")
_TLS_VARS = ("ssl_use_tlsv1", "ssl_use_tlsv1_1", "ssl_use_tlsv1_2", "ssl_use_tlsv1_3")
_TLS_NAMES = ("1.0", "1.1", "1.2", "1.3")


def yaml_bytes(accounts: Mapping[str, Any], defaults: Mapping[str, Any] | None = None) -> bytes:
    """JSON is YAML: every string is quoted, whatever it holds."""
    data: dict[str, Any] = {"version": 1, "accounts": dict(accounts)}
    if defaults:
        data["defaults"] = dict(defaults)
    return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")


def render(target: str, text: bytes) -> Rendered:
    doc = load_document("accounts.yaml", text)
    assert load_issues(doc) == [], doc.issues
    return TARGETS[target].render(doc.model, environment(), {})


def client_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MUTT", "NEOMUTT", "EMAIL", "REPLYTO"))}
    env.update(HOME=str(home), LANG="C.UTF-8", LC_ALL="C.UTF-8", TERM="dumb", USER="mailconf", NAME="")
    return env


@dataclass(frozen=True)
class Client:
    binary: str  # "mutt" | "neomutt"
    home: Path

    #: stderr lines allowed besides nothing at all (examples name commands that are not installed here)
    tolerated: str = r"(?!)"

    def run(self, rc: Path, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
        env = client_env(self.home)
        if self.tolerated != r"(?!)":
            env["PATH"] = str(self.home / "no-commands")  # the examples' password commands are not run
        binary = shutil.which(self.binary) or self.binary
        return subprocess.run(
            [binary, "-n", "-F", str(rc), *args], input=stdin, capture_output=True,
            env=env, cwd=self.home, timeout=60, check=False,
        )  # fmt: skip

    def _values(self, rc: Path, args: Iterable[str]) -> dict[str, str]:
        proc = self.run(rc, *args)
        stderr = proc.stderr.decode("utf-8", "replace")
        assert "Error in" not in stderr, stderr
        unexpected = [line for line in stderr.splitlines() if not re.fullmatch(self.tolerated, line)]
        assert proc.returncode == 0 and unexpected == [], (proc.returncode, stderr)
        text = proc.stdout.decode("utf-8")
        cut = cut_lines(self.binary, text)
        values = parse(self.binary, "\n".join(line for line in text.splitlines() if line not in cut.values()))
        return values | {name: self.echoed(rc, name) for name in cut}

    def echoed(self, rc: Path, name: str) -> str:
        """A variable's whole value, as ``echo $name`` shows it (mutt prints it on standard error)."""
        proc = self.run(rc, "-e", f'echo "{_ECHOED}${name}"', "-Q", name)
        shown = [line for line in proc.stderr.decode("utf-8").splitlines() if line.startswith(_ECHOED)]
        assert proc.returncode == 0 and len(shown) == 1, (proc.returncode, proc.stderr)
        return shown[0][len(_ECHOED) :]

    def query(self, rc: Path, names: Iterable[str]) -> dict[str, str]:
        return self._values(rc, [a for n in names for a in ("-Q", n)])

    def dump(self, rc: Path) -> dict[str, str]:
        return self._values(rc, ["-D"])

    def changed(self, rc: Path) -> dict[str, str]:
        """The variables whose value differs from the client's defaults."""
        base = _baseline(self.binary, self.home)
        # alias_file defaults to the file named by -F, so it differs by construction
        return {k: v for k, v in self.dump(rc).items() if base.get(k) != v and k != "alias_file"}

    def sent_headers(self, rc: Path, out: Path) -> email.message.EmailMessage:
        """Send a message in batch mode to a sendmail that captures it; the rc's own settings stay."""
        script = self.home / "capture.sh"
        script.write_text(f"#!/bin/sh\ncat > {shlex.quote(str(out))}\n")
        script.chmod(0o700)
        smtp_off = "set smtp_url = ''"
        proc = self.run(
            rc, "-e", f"{smtp_off}; set sendmail = '{script}'; set copy = no; set record = ''",
            "-s", "subject", "rcpt@example.net", stdin=b"hi\n",
        )  # fmt: skip
        assert proc.returncode == 0 and b"Error in" not in proc.stderr, proc.stderr
        message = email.message_from_bytes(out.read_bytes(), policy=email.policy.default)
        assert isinstance(message, email.message.EmailMessage)
        return message


@cache
def _baseline(binary: str, home: Path) -> dict[str, str]:
    empty = home / "empty.rc"
    empty.write_text("")
    proc = subprocess.run(
        [binary, "-n", "-F", str(empty), "-D"], capture_output=True, env=client_env(home), cwd=home,
        timeout=60, check=True,
    )  # fmt: skip
    return parse(binary, proc.stdout.decode("utf-8"))


#: mutt 2.2 prints a -Q or -D line of at most 255 bytes (into a buffer of 256): a longer value is cut there, with no
#: closing quote. mutt holds the whole value (a path of 601 characters: ``echo $ssl_ca_certificates_file`` shows it
#: all); only the query's line is short. Such a variable is read again with ``echo`` (:meth:`Client.echoed`).
MUTT_LINE_MAX = 255
_ECHOED = "mailconf-echoed:"


def cut_lines(binary: str, text: str) -> dict[str, str]:
    """mutt's -Q/-D lines that its line buffer cut, by variable name (neomutt's buffers grow: none)."""
    if binary != "mutt":
        return {}
    cut = {}
    for line in text.splitlines():
        start = re.match(r'([a-z0-9_]+)="', line)
        if start and len(line.encode("utf-8")) == MUTT_LINE_MAX and not _MUTT_Q.match(line):
            cut[start[1]] = line
    return cut


def parse(binary: str, text: str) -> dict[str, str]:
    """-Q/-D output -> {name: value}; booleans become yes/no, strings are unescaped."""
    values: dict[str, str] = {}
    pattern = _MUTT_Q if binary == "mutt" else _NEOMUTT_Q
    for line in text.splitlines():
        match = pattern.match(line)
        assert match, f"{binary} printed an unexpected line: {line!r}"
        groups = match.groups()
        name, quoted, bare = groups[0], groups[1], groups[2]
        if quoted is not None:
            values[name] = re.sub(r"\\(.)", r"\1", quoted)
        elif bare is not None:
            values[name] = bare
        else:
            values[name] = "yes" if groups[3] == "set" else "no"
    return values


def check_lines(content: bytes) -> list[str]:
    """Every line is a comment, blank, one `set`, `my_hdr`, `reset` or `unmy_hdr Organization`, as the targets
    write them."""
    lines = content.decode("utf-8").split("\n")
    assert lines[-1] == "", "the file ends with a newline"
    commands = [line for line in lines[:-1] if line and not line.startswith("# ")]
    for line in commands:
        assert _LINE.match(line), f"unexpected line: {line!r}"
    return commands


# --- reading an account back --------------------------------------------------------------


def names(binary: str) -> tuple[str, ...]:
    return tuple(sorted(WRITTEN[binary]))


def _url(value: str) -> tuple[str, str | None, str, int]:
    match = _URL.match(value)
    assert match, f"not a server URL: {value!r}"
    scheme, user, host, port = match.groups()
    return scheme, None if user is None else unquote(user), host.strip("[]"), int(port)


def _security(scheme: str, q: Mapping[str, str]) -> str:
    if scheme.endswith("s"):
        return "tls"
    pair = (q["ssl_starttls"], q["ssl_force_tls"])
    return {("yes", "yes"): "starttls", ("no", "no"): "none"}.get(pair, f"opportunistic {pair}")


def read_back(binary: str, q: Mapping[str, str], with_password: bool = True) -> dict[str, Any]:
    """What the client will do, in the YAML's terms."""
    view: dict[str, Any] = {"address": q["from"], "display_name": q["realname" if binary == "mutt" else "real_name"]}
    spool = q["spoolfile" if binary == "mutt" else "spool_file"]
    if q["pop_host"]:
        scheme, _, host, port = _url(q["pop_host"])
        assert not spool.startswith("pop"), spool  # fetch-mail (G) appends to the local spool file
        delete = {"yes": False, "no": True}.get(q["pop_delete"])
        view["incoming"] = _server("pop3", "pop", (scheme, None, host, port), q, with_password=with_password) | {
            "leave_on_server": delete
        }
    elif q["folder"].startswith("imap"):
        scheme, _, host, port = _url(q["folder"])
        assert spool in ("=INBOX", q["folder"] + "INBOX"), spool  # mutt prints it relative to folder
        view["incoming"] = _server("imap", "imap", (scheme, None, host, port), q, with_password=with_password)
    if q["smtp_url"]:
        scheme, user, host, port = _url(q["smtp_url"])
        smtp = _server("smtp", "smtp", (scheme, user, host, port), q, with_password=with_password)
        smtp["username"] = user
        if binary == "neomutt":
            assert q["smtp_user"] == (user or ""), (q["smtp_user"], user)
        view["outgoing"] = smtp
    enabled = [v for var, v in zip(_TLS_VARS, _TLS_NAMES, strict=True) if q[var] == "yes"]
    view["tls"] = {
        "ca_file": q["ssl_ca_certificates_file"] or None,
        "verify_hostname": q["ssl_verify_host"] == "yes",
        "tls_versions": enabled,
        "client_cert": q["ssl_client_cert"] or None,
    }
    timeout = int(q["connect_timeout"])
    view["timeout"] = 0 if timeout < 0 else timeout
    return view


def _server(
    protocol: str, prefix: str, url: tuple[str, str | None, str, int], q: Mapping[str, str], *, with_password: bool
) -> dict[str, Any]:
    scheme, _, host, port = url
    server: dict[str, Any] = {
        "protocol": protocol,
        "host": host,
        "port": port,
        "security": _security(scheme, q),
        "username": q.get(f"{prefix}_user"),
        "authenticators": q[f"{prefix}_authenticators"],
        "oauth_command": q[f"{prefix}_oauth_refresh_command"],
    }
    if with_password:
        server["password"] = q[f"{prefix}_pass"]
    return server


# --- what the YAML says, in the same terms ----------------------------------------------------

_DEFAULT_PORTS = {("imap", True): 993, ("imap", False): 143, ("pop3", True): 995, ("pop3", False): 110,
                  ("smtp", True): 465, ("smtp", False): 587}  # fmt: skip
#: *_authenticators for an auth method without declared mechanisms (FORMATS.md section 3, the targets' docs)
AUTHENTICATORS = {"password": "", "none": "", "oauth2": "oauthbearer:xoauth2", "gssapi": "gssapi",
                  "ntlm": "ntlm", "client-cert": "external"}  # fmt: skip


def expected_view(binary: str, account: Mapping[str, Any], password: Mapping[str, str]) -> dict[str, Any]:
    """The view read_back() must produce for a YAML account (no `defaults:`; one TLS setting for both servers).

    `password` maps a password command to the line it prints.
    """
    view: dict[str, Any] = {"address": account["address"], "display_name": account.get("display_name", "")}
    tls: dict[str, Any] = {"ca_file": None, "verify_hostname": True, "tls_versions": ["1.2", "1.3"],
                           "client_cert": None}  # fmt: skip
    timeout = 30  # both clients' default
    for side in ("incoming", "outgoing"):
        server = account.get(side)
        if server is None:
            continue
        protocol = server.get("protocol", "smtp")
        security = server.get("security", "tls")
        auth = server.get("auth", "password")
        user = server.get("username", account["address"])
        prefix_auth = AUTHENTICATORS[auth]
        if binary == "neomutt" and protocol == "pop3" and auth == "oauth2":
            prefix_auth = "oauthbearer"
        view[side] = {
            "protocol": protocol,
            "host": server["host"],
            "port": server.get("port", _DEFAULT_PORTS[(protocol, security == "tls")]),
            "security": security,
            "username": None if protocol == "smtp" and binary == "mutt" else user,
            "authenticators": ":".join(server["mechanisms"]) if "mechanisms" in server else prefix_auth,
            "oauth_command": _oauth_command(binary, server.get("token_command", "")) if auth == "oauth2" else "",
            "password": password[server["password_command"]] if auth in ("password", "ntlm") else "",
        }
        if protocol == "smtp":
            view[side]["username"] = None if auth == "none" else user
        if protocol == "pop3":
            view[side]["leave_on_server"] = server.get("leave_on_server")
        server_tls = server.get("tls", {})
        tls["ca_file"] = server_tls.get("ca_file", tls["ca_file"])
        tls["client_cert"] = server_tls.get("client_cert", tls["client_cert"])
        tls["verify_hostname"] = server_tls.get("verify_hostname", tls["verify_hostname"])
        if "min_version" in server_tls:
            tls["tls_versions"] = [v for v in _TLS_NAMES if v >= server_tls["min_version"]]
        timeout = server.get("timeout", timeout)
    view["tls"] = tls
    view["timeout"] = timeout
    return view


def _oauth_command(binary: str, command: str) -> str:
    """neomutt expands a leading mailbox shortcut in a command: the target writes a command whose first character
    other than a space is one after one more space."""
    return " " + command if binary == "neomutt" and command.lstrip(" ")[:1] in tuple("~=+@<>!-^") else command


def check_owned(binary: str, commands: list[str]) -> None:
    """Every variable an account file owns (_muttlike.OWNED) is set or reset exactly once, and no other one: a file
    sourced after another account's leaves nothing of it behind (test_mutt_switch.py checks it in the client)."""
    dialect = importlib.import_module(f"mailconf.targets.{binary}").DIALECT
    owned = sorted(name for variable in OWNED if (name := dialect.variable(variable)))
    named = sorted(line.split()[1] for line in commands if line.startswith(("set ", "reset ")))
    assert named == owned, (named, owned)
    assert sum(line.startswith(("my_hdr Organization", "unmy_hdr Organization")) for line in commands) == 1


def read_rendered(client: Client, rendered: Rendered, directory: Path) -> dict[str, dict[str, Any]]:
    """Write each file, check its lines and that the client changes only the variables the target writes."""
    views: dict[str, dict[str, Any]] = {}
    for file in rendered.files:
        check_owned(client.binary, check_lines(file.content))
        rc = directory / file.name
        rc.write_bytes(file.content)
        extra = set(client.changed(rc)) - WRITTEN[client.binary]
        assert extra == set(), f"{file.name}: the client set variables the target never writes: {extra}"
        views[file.name.removesuffix(".muttrc")] = read_back(client.binary, client.query(rc, names(client.binary)))
    return views


# --- a real SMTP submission server (aiosmtpd) -------------------------------------------------


@dataclass
class Received:
    login: bytes | None  # None: the client did not log in
    password: bytes | None
    tls: bool
    content: bytes


class SmtpSink:
    """aiosmtpd on 127.0.0.1 with AUTH (only over TLS): implicit TLS or STARTTLS, for one user."""

    def __init__(
        self, ca: Any, *, implicit: bool, user: str, password: str, offer_tls: bool = True, require_auth: bool = True
    ) -> None:
        import socket
        import ssl

        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        self.received: list[Received] = []
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        sink = self

        def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
            ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
                user.encode("utf-8"), password.encode("utf-8"))  # fmt: skip
            if ok:
                session.mailconf_login = data
            return AuthResult(success=ok)

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                data = getattr(session, "mailconf_login", None)
                tls = server.transport.get_extra_info("ssl_object") is not None
                login, secret = (None, None) if data is None else (data.login, data.password)
                sink.received.append(Received(login, secret, tls, envelope.content))
                return "250 OK"

        tls_kwargs: dict[str, Any] = {"ssl_context": context} if implicit else {"tls_context": context,
                                                                                  "require_starttls": True}  # fmt: skip
        if not offer_tls:
            tls_kwargs = {}
        self.controller = Controller(
            Handler(), hostname="127.0.0.1", port=self.port, authenticator=authenticate, auth_required=require_auth,
            # aiosmtpd counts only STARTTLS as TLS for AUTH; with implicit TLS every byte is encrypted anyway
            auth_require_tls=not implicit and offer_tls, server_hostname="localhost", **tls_kwargs,
        )  # fmt: skip

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


# --- the client's own screen (tmux), for reading mail ---------------------------------------------


def wait_until(condition: Callable[[], bool], state: Callable[[], str], limit: float = 60.0) -> None:
    """Poll (a bounded wait, not a timed assertion): the client works at its own pace.

    `state` describes what there was instead, for the failure message.
    """
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting; state:\n{state()}"
        time.sleep(0.05)


class Screen:
    """The client running in its own tmux server (a private socket), 150x20."""

    def __init__(self, client: Client, rc: Path, *args: str) -> None:
        self.socket = f"mailconf-{client.binary}-{os.getpid()}-{time.monotonic_ns()}"
        env = client_env(client.home) | {"TERM": "screen"}
        command = ["env", "-i", *(f"{k}={v}" for k, v in env.items()),
                   shutil.which(client.binary) or client.binary, "-n", "-F", str(rc), *args]  # fmt: skip
        self._tmux("new-session", "-d", "-s", "main", "-x", "150", "-y", "20", shlex.join(command))

    def _tmux(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null", *args],
                              capture_output=True, text=True, timeout=30, check=True)  # fmt: skip
        return done.stdout

    def text(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", "main")

    def keys(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", "main", *keys)

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=30, check=False)

    def __enter__(self) -> Screen:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
