"""Targets mutt and neomutt: switching accounts leaves nothing behind.

The docs tell users to ``source`` each account file from a folder-hook or a macro, so the client reads the
files one after another in one session, and keeps every variable an earlier file set. The contract, checked
with the real clients for every ordered pair (A, B) of a varied model: after ``source A; source B`` every
variable (the whole ``-D`` dump) and the Organization header of a sent message are what ``source B`` alone
gives in a fresh client.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import need
from tests.targets import _mutt_client as mc

CA = "/etc/ssl/certs/company-ca.pem"

#: IMAP and POP3, tls/starttls/none, oauth2 with token_command, password_command, organization, timeout,
#: tls.ca_file / fingerprint / min_version / verify_hostname / client_cert, only incoming, only outgoing.
ACCOUNTS: dict[str, dict[str, Any]] = {
    "gmail": {
        "address": "carol@gmail.com",
        "display_name": "Carol",
        "organization": "Carol & Co",
        "incoming": {"protocol": "imap", "host": "imap.gmail.com", "auth": "oauth2",
                     "token_command": "oauth2-token carol", "timeout": 45},
        "outgoing": {"host": "smtp.gmail.com", "auth": "oauth2", "token_command": "oauth2-token carol",
                     "timeout": 45},
    },
    "work": {
        "address": "alice@example.com",
        "incoming": {"protocol": "imap", "host": "imap.example.com", "security": "starttls",
                     "username": "alice", "password_command": "printf %s work-pw",
                     "tls": {"ca_file": CA, "min_version": "1.3", "verify_hostname": False}},
        "outgoing": {"host": "smtp.example.com", "security": "starttls", "password_command": "printf %s work-pw",
                     "mechanisms": ["plain", "login"],
                     "tls": {"ca_file": CA, "min_version": "1.3", "verify_hostname": False}},
    },
    "home": {
        "address": "dan@home.example",
        "display_name": "Dan",
        "organization": "Home",
        "incoming": {"protocol": "pop3", "host": "pop.home.example", "username": "dan",
                     "password_command": "printf %s home-pw", "leave_on_server": True, "timeout": 0},
        "outgoing": {"host": "smtp.home.example", "security": "none", "auth": "none"},
    },
    "pinned": {
        "address": "erin@pinned.example",
        "incoming": {"protocol": "pop3", "host": "pop.pinned.example", "security": "starttls",
                     "auth": "oauth2", "token_command": "oauth2-token erin",
                     "tls": {"fingerprint": "sha256:" + ":".join(["AB"] * 32), "client_cert": "/home/erin/erin.pem"}},
    },
    "readonly": {
        "address": "frank@lists.example",
        "display_name": "Frank",
        "incoming": {"protocol": "imap", "host": "imap.lists.example", "security": "none",
                     "password_command": "printf %s ro-pw", "timeout": 10, "tls": {"min_version": "1.2"}},
    },
    "sender": {
        "address": "gina@send.example",
        "organization": "Sender GmbH",
        "outgoing": {"host": "mail.send.example", "port": 2525, "password_command": "printf %s send-pw",
                     "tls": {"ca_file": "/etc/ssl/certs/send-ca.pem", "min_version": "1.2"}},
    },
}  # fmt: skip


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
def test_sourcing_another_account_first_changes_nothing(binary: str, tmp_path: Path) -> None:
    need(binary)
    home = tmp_path / "home"
    home.mkdir()
    client = mc.Client(binary, home)
    rendered = mc.render(binary, mc.yaml_bytes(ACCOUNTS))
    files = {}
    for file in rendered.files:
        mc.check_owned(binary, mc.check_lines(file.content))
        path = tmp_path / file.name
        path.write_bytes(file.content)
        files[file.name.removesuffix(".muttrc")] = path
    assert list(files) == list(ACCOUNTS)

    def state(*names: str) -> tuple[dict[str, str], str | None]:
        rc = tmp_path / ("-".join(names) + ".rc")
        rc.write_text("".join(f"source {files[name]}\n" for name in names))
        # alias_file defaults to the file -F names, which differs from run to run by construction
        values = {k: v for k, v in client.dump(rc).items() if k != "alias_file"}
        organization = client.sent_headers(rc, tmp_path / "sent.eml")["Organization"]
        return values, None if organization is None else str(organization)

    alone = {name: state(name) for name in files}
    assert alone["gmail"][1] == "Carol & Co" and alone["work"][1] is None  # the test can see a header carried over
    wrong: list[str] = []
    for b in files:
        for a in files:
            values, organization = state(a, b)
            want_values, want_organization = alone[b]
            for variable in sorted(set(values) | set(want_values)):
                if values.get(variable) != want_values.get(variable):
                    wrong.append(f"{a} then {b}: {variable} = {values.get(variable)!r}, "
                                 f"alone {want_values.get(variable)!r}")  # fmt: skip
            if organization != want_organization:
                wrong.append(f"{a} then {b}: Organization: {organization!r}, alone {want_organization!r}")
    assert wrong == [], "\n".join(wrong)
