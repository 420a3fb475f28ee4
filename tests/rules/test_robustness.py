# mypy: disable-error-code="untyped-decorator"
"""Every combination of settings lints without an exception, and no message shows a secret."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mailconf.rules import RULES
from tests.conftest import lint_text

SECRET = "S3CRET-VALUE"
HOSTS = [
    "imap.example.com", "imap.example.com.", "localhost", "127.0.0.1", "::1", "2001:db8::1", "192.0.2.1",
    "mail", "nas.local", "imap.gmail.com", "outlook.office365.com", "smtp.office365.com", "smtp-mail.outlook.com",
    "192.0.2.1:993", "cafe.be:993", f"u:{SECRET}@imap.example.com", f"imaps://u:{SECRET}@h.example", "a b",
    "x" * 64 + ".example", "",
]  # fmt: skip
COMMANDS = [f"echo {SECRET}", f"printf %s {SECRET}", f"cat <<< {SECRET}", "pass show mail/x", f"echo '{SECRET}"]
PINS = ["sha256:" + ":".join(["AB"] * 32), "sha1:" + ":".join(["CD"] * 20), "md5:" + ":".join(["EF"] * 16)]


def server(protocol: str | None) -> st.SearchStrategy[dict[str, Any]]:
    fields = {
        "host": st.sampled_from(HOSTS),
        "port": st.sampled_from([25, 110, 143, 465, 587, 993, 995, 2525]),
        "security": st.sampled_from(["tls", "starttls", "starttls-optional", "none"]),
        "auth": st.sampled_from(["password", "oauth2", "gssapi", "ntlm", "client-cert", "none"]),
        "username": st.sampled_from(["alice", "alice@example.com"]),
        "password_command": st.sampled_from(COMMANDS),
        "token_command": st.sampled_from(COMMANDS),
        "password": st.just(SECRET),
        "mechanisms": st.lists(
            st.sampled_from(["plain", "cram-md5", "digest-md5", "ntlm", "xoauth2"]), unique=True, min_size=1
        ),
        "tls": st.fixed_dictionaries(
            {},
            optional={
                "verify": st.booleans(),
                "verify_hostname": st.booleans(),
                "fingerprint": st.sampled_from(PINS),
                "min_version": st.sampled_from(["1.0", "1.1", "1.2", "1.3"]),
            },
        ),
        "timeout": st.sampled_from([0, 1, 4, 5, 30, 600, 601, 86400]),
    }
    if protocol == "pop3":
        fields |= {"leave_on_server": st.booleans(), "leave_days": st.integers(1, 3650)}
    required = {"protocol": st.just(protocol)} if protocol else {}
    return st.fixed_dictionaries(required, optional=fields).map(lambda d: {"host": "imap.example.com", **d})


@st.composite
def documents(draw: st.DrawFn) -> str:
    accounts = {}
    for name in draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, unique=True)):
        address = draw(st.sampled_from(["alice@example.com", "bob@hotmail.com", "carol@gmail.com"]))
        account: dict[str, Any] = {
            "address": address,
            "incoming": draw(server(draw(st.sampled_from(["imap", "pop3"])))),
        }
        if draw(st.booleans()):
            account["outgoing"] = draw(server(None))
        accounts[name] = account
    defaults = draw(
        st.fixed_dictionaries({}, optional={"timeout": st.sampled_from([0, 2, 30]), "security": st.just("starttls")})
    )
    return json.dumps({"version": 1, "defaults": defaults, "accounts": accounts}, indent=1)


@settings(max_examples=150, deadline=None)
@given(documents())
def test_any_combination_lints_and_never_shows_the_secret(text: str) -> None:
    for finding in lint_text(text):
        assert finding.rule in RULES
        assert SECRET not in finding.message
