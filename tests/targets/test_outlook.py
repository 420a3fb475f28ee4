"""The outlook target (.reg), read back through a real registry hive.

Outlook does not run here (no Windows). What runs is hivex: each rendered file is
merged into an empty hive with ``hivexregedit --merge`` and exported back, and
every value is compared with the YAML. That proves what the registry holds after
``reg import``; whether Outlook then uses it is documented, not tested.
"""

# mypy: disable-error-code="untyped-decorator"
# (pyproject skips following hypothesis, so its decorators look untyped)
from __future__ import annotations

import dataclasses
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailconf.cli import main
from mailconf.document import load_document
from mailconf.model import Model
from mailconf.render import RenderError, environment, render_model
from mailconf.targets import FEATURES, outlook, outlook_prf
from tests.conftest import EXAMPLES, need
from tests.targets._common import load_issues

from ._hive import merge_and_export

PROFILES = "HKEY_CURRENT_USER\\Software\\Microsoft\\Office\\16.0\\Outlook\\Profiles"
ACCOUNTS = "9375CFF0413111d3B88A00104B2A6676"
POP3_CLSID = "{ED475411-B0D6-11D2-8C3B-00104B2A6676}"
IMAP_CLSID = "{ED475412-B0D6-11D2-8C3B-00104B2A6676}"
DEFAULT_PORT = {("imap", True): 993, ("imap", False): 143, ("pop3", True): 995, ("pop3", False): 110,
                ("smtp", True): 465, ("smtp", False): 587}  # fmt: skip
SECURE_CONNECTION = {"none": 0, "tls": 1, "starttls": 2}

pytestmark = pytest.mark.real


def model_of(data: dict[str, Any]) -> Model:
    doc = load_document("accounts.yaml", json.dumps(data, ensure_ascii=False).encode())
    assert load_issues(doc) == []
    return doc.model


def render_reg(data: dict[str, Any], **options: str) -> tuple[bytes, list[str]]:
    rendered = outlook.render(model_of(data), environment(), options)
    assert [f.name for f in rendered.files] == ["outlook.reg"]
    return rendered.files[0].content, [str(g) for g in rendered.gaps]


def hive_of(tmp: Path, reg: bytes, profile: str = "Outlook") -> dict[str, dict[str, str | int | bytes]]:
    need("hivexregedit")
    return merge_and_export(tmp, reg, f"{PROFILES}\\{profile}\\{ACCOUNTS}", PROFILES)


def parent_keys(profile: str) -> set[str]:
    return {PROFILES, f"{PROFILES}\\{profile}", f"{PROFILES}\\{profile}\\{ACCOUNTS}"}


def expected_values(name: str, account: dict[str, Any]) -> dict[str, str | int]:
    """The registry values an account must have, derived from the YAML by the documented table."""
    inc = account["incoming"]
    proto, sec = inc["protocol"], inc.get("security", "tls")
    p = proto.upper()
    user = inc.get("username", account["address"])
    values: dict[str, str | int] = {
        "clsid": POP3_CLSID if proto == "pop3" else IMAP_CLSID,
        "Account Name": name,
        "Email": account["address"],
        f"{p} Server": inc["host"],
        f"{p} User": user,
        f"{p} Port": inc.get("port", DEFAULT_PORT[(proto, sec == "tls")]),
        f"{p} Use SSL": 0 if sec == "none" else 1,
        f"{p} Use SPA": 1 if inc.get("auth") == "ntlm" else 0,
    }
    for key, reg in (("display_name", "Display Name"), ("organization", "Organization")):
        if key in account:
            values[reg] = account[key]
    if inc.get("leave_on_server") is False:
        values["Leave on Server"] = 0
    elif inc.get("leave_on_server") or "leave_days" in inc:
        values["Leave on Server"] = 0x1 | (0x2 | inc["leave_days"] << 16 if "leave_days" in inc else 0)
    out = account.get("outgoing")
    if out is not None:
        osec = out.get("security", "tls")
        values |= {
            "SMTP Server": out["host"],
            "SMTP Port": out.get("port", DEFAULT_PORT[("smtp", osec == "tls")]),
            "SMTP Use SSL": 0 if osec == "none" else 1,
            "SMTP Secure Connection": SECURE_CONNECTION[osec],
            "SMTP Use Auth": 0 if out.get("auth") == "none" else 1,
        }
        if out.get("auth") != "none":
            login = (out.get("username", account["address"]), out.get("auth", "password"), credential_command(out))
            same = login == (user, inc.get("auth", "password"), credential_command(inc))
            values["SMTP Auth Method"] = 0 if same else 1
            if not same:
                values["SMTP User"] = out.get("username", account["address"])
    return values


def credential_command(server: dict[str, Any]) -> str | None:
    """The command the server's auth runs: password_command for password and ntlm, token_command for oauth2."""
    auth = server.get("auth", "password")
    return server.get("token_command") if auth == "oauth2" else server.get("password_command") if auth in (
        "password", "ntlm") else None  # fmt: skip


def account_key(profile: str, number: int) -> str:
    return f"{PROFILES}\\{profile}\\{ACCOUNTS}\\{number:08x}"


# --- (1) every expressible combination, read back from the hive ------------------------------------------


def matrix(smtp_auths: tuple[str, ...] = ("password", "none"), timeouts: bool = False) -> dict[str, Any]:
    """One account per expressible protocol x security x auth combination (shared with the PRF tests)."""
    accounts: dict[str, Any] = {}
    combos = itertools.product(("imap", "pop3"), ("tls", "none"), ("password", "ntlm"),
                               ("tls", "starttls", "none"), smtp_auths)  # fmt: skip
    for n, (proto, sec, auth, osec, oauth) in enumerate(combos):
        incoming: dict[str, Any] = {"protocol": proto, "host": f"in{n}.example.org", "security": sec, "auth": auth}
        outgoing: dict[str, Any] = {"host": f"out{n}.example.org", "security": osec, "auth": oauth}
        if n % 2:
            incoming["port"], outgoing["port"] = 10000 + n, 20000 + n
            incoming["username"] = f"user{n}"
        if n % 3 == 0:
            outgoing["username"] = f"smtp-user{n}"
        if timeouts and n % 4:
            incoming["timeout"] = outgoing["timeout"] = [None, 30, 600, 86400][n % 4]
        if proto == "pop3":
            leave: list[dict[str, Any]] = [
                {"leave_on_server": True},
                {"leave_on_server": False},
                {"leave_days": 7 + n},
                {"leave_on_server": True, "leave_days": 3650},
                {},
            ]
            incoming |= leave[n % 5]  # fmt: skip
        accounts[f"acct{n}"] = {"address": f"user{n}@example.org", "display_name": f"User {n}",
                                "incoming": incoming, "outgoing": outgoing}  # fmt: skip
    accounts["receive-only"] = {"address": "r@example.org", "display_name": "", "organization": " Org ",
                                "incoming": {"protocol": "imap", "host": "imap.example.org"}}  # fmt: skip
    return {"version": 1, "accounts": accounts}


def test_every_combination_reads_back_exactly(tmp_path: Path) -> None:
    data = matrix()
    reg, gaps = render_reg(data)
    assert gaps == []
    keys = hive_of(tmp_path, reg)
    names = list(data["accounts"])
    expected = {account_key("Outlook", i + 1): expected_values(n, data["accounts"][n]) for i, n in enumerate(names)}
    assert keys == {k: {} for k in parent_keys("Outlook")} | expected


def test_file_is_ascii_with_crlf_and_the_regedit_header() -> None:
    reg, _ = render_reg(matrix())
    assert reg.startswith(b"Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CURRENT_USER\\Software\\")
    assert reg.isascii()
    assert b"\n" not in reg.replace(b"\r\n", b"")
    assert reg.endswith(b"\r\n")
    assert max(len(line) for line in reg.split(b"\r\n")) <= 200  # only the key line exceeds regedit's 80 columns


def test_options_profile_and_account_id(tmp_path: Path) -> None:
    data = matrix()
    data["accounts"] = dict(list(data["accounts"].items())[:2])
    reg, _ = render_reg(data, profile='Work "mail"; =x', **{"account-id": "0000000f"})
    keys = hive_of(tmp_path, reg, 'Work "mail"; =x')
    assert set(keys) == parent_keys('Work "mail"; =x') | {
        account_key('Work "mail"; =x', 0xF),
        account_key('Work "mail"; =x', 0x10),
    }
    assert keys[account_key('Work "mail"; =x', 0x10)]["Account Name"] == "acct1"


def test_long_values_wrap_and_read_back(tmp_path: Path) -> None:
    data = matrix()
    data["accounts"] = {"long": data["accounts"]["receive-only"]}
    data["accounts"]["long"]["display_name"] = "Zoë 漢字 😀 " * 21 + "end"  # 192 characters, many hex lines
    data["accounts"]["long"]["incoming"]["username"] = "u" * 256
    reg, _ = render_reg(data)
    assert max(len(line) for line in reg.split(b"\r\n")[3:]) <= 80
    assert reg.count(b",\\\r\n  ") > 20
    assert hive_of(tmp_path, reg)[account_key("Outlook", 1)] == expected_values("long", data["accounts"]["long"])


def test_output_is_deterministic() -> None:
    assert render_reg(matrix()) == render_reg(matrix())


# --- (2) gaps and option errors, through the command line -------------------------------------------------

GAPPY: dict[str, Any] = {
    "version": 1,
    "accounts": {
        "gappy": {
            "address": "g@example.org",
            "incoming": {
                "protocol": "imap", "host": "imap.example.org", "security": "starttls", "auth": "oauth2",
                "token_command": "oauth-token g", "timeout": 30, "mechanisms": ["xoauth2"],
                "tls": {"ca_file": "/etc/ca.pem", "min_version": "1.2"},
            },
            "outgoing": {
                "host": "smtp.example.org", "auth": "ntlm", "password_command": "pass show g",
                "tls": {"fingerprint": "sha256:" + ":".join(["AB"] * 32), "verify": False,
                        "verify_hostname": False, "client_cert": "/c.pem", "client_key": "/k.pem"},
            },
        },
        "sendonly": {"address": "s@example.org", "outgoing": {"host": "smtp.example.org", "auth": "gssapi"}},
        "oddpop": {
            "address": "o@example.org",
            "incoming": {"protocol": "pop3", "host": "pop.example.org", "auth": "none",
                         "leave_on_server": False, "leave_days": 5},
            "outgoing": {"host": "smtp.example.org", "auth": "client-cert"},
        },
    },
}  # fmt: skip

GAP_LINES = [
    "account gappy: incoming.security cannot be expressed; " + outlook.STARTTLS_GAP,
    "account gappy: incoming.auth cannot be expressed; Outlook offers OAuth2 only for providers it knows, not "
    "through these settings: add the account in Outlook (File > Add Account); password authentication is written",
    "account gappy: incoming.token_command cannot be expressed; Outlook runs no token command: add the account in "
    "Outlook (File > Add Account) to sign in",
    "account gappy: incoming.mechanisms cannot be expressed; Outlook chooses the SASL mechanism itself",
    "account gappy: incoming.tls.ca_file cannot be expressed; Outlook uses the Windows certificate store: import the "
    "CA with `certutil -user -addstore Root FILE`",
    "account gappy: incoming.tls.min_version cannot be expressed; Outlook uses the TLS versions Windows (SChannel) "
    "enables: set them for the whole system",
    "account gappy: outgoing.password_command cannot be expressed; Outlook stores passwords itself "
    "(DPAPI-encrypted) and runs no command: type the password when it asks",
    "account gappy: outgoing.tls.fingerprint cannot be expressed; Outlook cannot pin a certificate: trust it "
    "through the Windows certificate store instead",
    "account gappy: outgoing.tls.verify cannot be expressed; Outlook always verifies the certificate (it asks when "
    "that fails): import the CA into the Windows certificate store instead",
    "account gappy: outgoing.tls.verify_hostname cannot be expressed; Outlook always checks the host name: use the "
    "name the certificate holds",
    "account gappy: outgoing.tls.client_cert cannot be expressed; Outlook has no client certificate setting for "
    "POP3/IMAP/SMTP",
    "account gappy: outgoing.tls.client_key cannot be expressed; Outlook has no client certificate setting for "
    "POP3/IMAP/SMTP",
]
REG_ONLY_GAP_LINES = [
    "account gappy: incoming.timeout cannot be expressed; the registry name of Outlook's server timeout is unknown: "
    "use the outlook-prf target (ServerTimeOut), or set it in Account Settings > More Settings > Advanced > Server "
    "Timeouts",
    "account gappy: outgoing.auth cannot be expressed; the registry value for SMTP secure password authentication "
    "is unverified: password authentication is written; tick 'Require logon using Secure Password Authentication' "
    "under More Settings > Outgoing Server",
]
OTHER_GAP_LINES = [
    "account sendonly: outgoing cannot be expressed; Outlook has no send-only POP3/IMAP accounts: this account is "
    "left out; declare an incoming server",
    "account oddpop: incoming.leave_days cannot be expressed; leave_on_server is false, so nothing is left on the "
    "server to remove after some days",
    "account oddpop: incoming.auth cannot be expressed; Outlook always logs in to POP3/IMAP servers: password "
    "authentication is written",
    "account oddpop: outgoing.auth cannot be expressed; Outlook has no client certificate login for "
    "POP3/IMAP/SMTP: password authentication is written",
]


def write_yaml(tmp: Path, data: dict[str, Any]) -> str:
    path = tmp / "accounts.yaml"
    path.write_text(json.dumps(data, indent=1))
    return str(path)


def gap_lines(stderr: str, level: str, target: str) -> list[str]:
    prefix = f"mailconf: {level}: {target}: "
    return [line.removeprefix(prefix) for line in stderr.splitlines() if line.startswith(prefix)]


def test_every_gap_warns_with_its_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "-t", "outlook", write_yaml(tmp_path, GAPPY)]) == 0
    out, err = capsys.readouterr()
    gaps = gap_lines(err, "warning", "outlook")
    assert sorted(gaps) == sorted(GAP_LINES + REG_ONLY_GAP_LINES + OTHER_GAP_LINES)
    assert len(err.splitlines()) == len(gaps)
    assert "oauth-token" not in out + err and "pass show" not in out + err


def test_gap_values_fail_closed(tmp_path: Path) -> None:
    """Incoming STARTTLS is written as SSL/TLS (never cleartext); unsupported auth as password; no SMTP SPA."""
    reg, _ = render_reg(GAPPY)
    keys = hive_of(tmp_path, reg)
    assert set(keys) == parent_keys("Outlook") | {account_key("Outlook", 1), account_key("Outlook", 2)}
    gappy, oddpop = keys[account_key("Outlook", 1)], keys[account_key("Outlook", 2)]
    assert (gappy["IMAP Use SSL"], gappy["IMAP Port"], gappy["IMAP Use SPA"]) == (1, 143, 0)
    assert (gappy["SMTP Use Auth"], gappy["SMTP Auth Method"], gappy["SMTP User"]) == (1, 1, "g@example.org")
    assert not any("SPA" in name and name.startswith("SMTP") for name in gappy)
    assert (oddpop["Account Name"], oddpop["POP3 Use SPA"], oddpop["Leave on Server"]) == ("oddpop", 0, 0)


def test_strict_exits_1_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "out"
    assert main(["render", "-t", "outlook", "--strict", "-o", str(out_dir), write_yaml(tmp_path, GAPPY)]) == 1
    _, err = capsys.readouterr()
    assert sorted(gap_lines(err, "error", "outlook")) == sorted(GAP_LINES + REG_ONLY_GAP_LINES + OTHER_GAP_LINES)
    assert err.splitlines()[-1] == "mailconf: 18 settings cannot be expressed by outlook (--strict); nothing written"
    assert not out_dir.exists()


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("profile=", "--option profile: use 1 to 255 printable ASCII characters without \\ [ or ], not starting or "
                     "ending with a space"),
        ("profile=a\\b", None), ("profile=a]b", None), ("profile=[a", None), ("profile= a", None),
        ("profile=Ärger", None), ("profile=" + "x" * 256, None),
        ("account-id=0", "--option account-id: write the key name of the first account, 1 to 8 hex digits like "
                         "00000005"),
        ("account-id=123456789", None), ("account-id=xyz", None), ("account-id=", None), ("account-id=+1", None),
        ("account-id=ffffffff", None),
        ("colour=red", "--option colour: unknown for target outlook (known: account-id, profile)"),
    ],
)  # fmt: skip
def test_bad_options_exit_2(option: str, message: str | None, tmp_path: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    data = {"version": 1, "accounts": {"a": GAPPY["accounts"]["oddpop"], "b": GAPPY["accounts"]["oddpop"]}}
    assert main(["render", "-t", "outlook", "--option", option, write_yaml(tmp_path, data)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    key = option.partition("=")[0]
    if message is None:
        message = {
            "profile": "--option profile: use 1 to 255 printable ASCII characters without \\ [ or ], not starting "
                       "or ending with a space",
            "account-id": "--option account-id: write the key name of the first account, 1 to 8 hex digits like "
                          "00000005",
        }[key]  # fmt: skip
        if option == "account-id=ffffffff":
            message = "--option account-id: ffffffff leaves no room for 2 accounts below FFFFFFFF"
    assert err == f"mailconf: {message}\n"


# --- (3) hostile values: exactly the declared values, no extra key or value -------------------------------

HOSTILE = "\"'\\`$();#%[]=, \u00e9\u00df\u6f22\U0001f600\u200b\ufeffab]\r\n"  # \r\n are filtered out below
text = st.text(
    alphabet=st.one_of(
        st.sampled_from([c for c in HOSTILE if c not in "\r\n"]),
        st.characters(exclude_categories=("Cc", "Cs", "Cn", "Zl", "Zp")),
    ),
    min_size=1,
    max_size=24,
)
profile_text = st.text(
    alphabet=st.sampled_from([chr(c) for c in range(0x20, 0x7F) if chr(c) not in "\\[]"]), min_size=1, max_size=16
).filter(lambda s: s == s.strip())


hostile = st.fixed_dictionaries(
    {"display": text, "org": text, "user": text, "smtp_user": text, "command": text, "pop": st.booleans()}
)


def hostile_data(h: dict[str, str | bool]) -> tuple[dict[str, Any], str]:
    """An account made of hostile values, and its password command (which must appear nowhere)."""
    secret = f"SECRET-{h['command']}"
    account = {
        "address": "h@example.org", "display_name": h["display"], "organization": h["org"],
        "incoming": {"protocol": "pop3" if h["pop"] else "imap", "host": "in.example.org", "username": h["user"],
                     "password_command": secret},
        "outgoing": {"host": "out.example.org", "username": h["smtp_user"], "password_command": secret},
    }  # fmt: skip
    return {"version": 1, "accounts": {"hostile": account}}, secret


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(h=hostile, profile=profile_text)
def test_hostile_values_read_back_exactly(tmp_path: Path, h: dict[str, str | bool], profile: str) -> None:
    data, secret = hostile_data(h)
    reg, _ = render_reg(data, profile=profile)
    keys = hive_of(tmp_path, reg, profile)
    assert keys == {k: {} for k in parent_keys(profile)} | {
        account_key(profile, 1): expected_values("hostile", data["accounts"]["hostile"])
    }
    assert secret.encode("utf-16-le") not in reg and secret.encode() not in reg
    assert all(secret not in str(v) for vs in keys.values() for v in vs.values())


# --- (4) the examples -------------------------------------------------------------------------------------


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_examples_render_and_read_back(example: Path, tmp_path: Path) -> None:
    from mailconf.render import common_gaps

    doc = load_document(str(example))
    if doc.issues or common_gaps(doc.model)[1]:
        # a deliberately broken or insecure example: render refuses it with exit 1
        assert main(["render", "-t", "outlook", str(example)]) == 1
        return
    rendered = outlook.render(doc.model, environment(), {})
    keys = hive_of(tmp_path, rendered.files[0].content)
    with_incoming = [a for a in doc.model.accounts if a.incoming is not None]
    assert set(keys) == parent_keys("Outlook") | {account_key("Outlook", i + 1) for i in range(len(with_incoming))}
    for i, account in enumerate(with_incoming):
        assert account.incoming is not None
        got = keys[account_key("Outlook", i + 1)]
        proto = account.incoming.protocol.value.upper()
        assert (got["Account Name"], got["Email"], got[f"{proto} Server"], got[f"{proto} Port"]) == (
            account.name, account.address, account.incoming.host, account.incoming.port)  # fmt: skip
        assert got[f"{proto} User"] == account.incoming.username


@pytest.mark.parametrize("module", [outlook, outlook_prf], ids=lambda m: m.NAME)
def test_capabilities_cover_every_feature(module: Any) -> None:
    assert list(module.CAPABILITIES) == list(FEATURES)
    assert all(
        cell == "yes" or cell.startswith(("yes: ", "no: ", "partial: ")) for cell in module.CAPABILITIES.values()
    )


_SIDES = {"incoming": {"protocol": "pop3", "host": "pop.example.org"}, "outgoing": {"host": "smtp.example.org"}}


@pytest.mark.parametrize(
    ("setting", "module", "why"),
    [
        (setting, module, why)
        for module, why in (
            (outlook, "a registry string cannot hold a NUL character (it would end the string)"),
            (outlook_prf, "a control character or line break cannot be written in an INI value"),
        )
        for setting in ("display_name", "organization", "address", "incoming.username", "incoming.host",
                        "outgoing.username", "outgoing.host")
    ],
)  # fmt: skip
def test_a_value_the_file_cannot_hold_is_refused_naming_the_setting(setting: str, module: Any, why: str) -> None:
    """Each account-file setting, holding a NUL (the schema refuses it: a model built directly, as a caller of the
    target may): refused naming the account and the setting, as every other target names it, not the registry value
    or PRF key ("Display Name", "IMAPUserName"), which no account file holds."""
    model = model_of({"version": 1, "accounts": {"work": {"address": "a@example.org", "organization": "Org",
                                                         "display_name": "A", **_SIDES}}})  # fmt: skip
    account = model.accounts[0]
    side, _, field = setting.rpartition(".")
    nul: dict[str, Any] = {field: "x\0y"}
    if side:
        account = dataclasses.replace(account, **{side: dataclasses.replace(getattr(account, side), **nul)})
    else:
        account = dataclasses.replace(account, **nul)
    with pytest.raises(RenderError) as caught:
        render_model(module, Model((account,)), {})
    assert str(caught.value) == f"target {module.NAME}: not rendered: account work: {setting}: {why}"


@pytest.mark.parametrize(
    ("incoming", "outgoing", "method"),
    [
        ({"auth": "oauth2", "token_command": "tok imap"}, {"auth": "oauth2", "token_command": "tok smtp"}, 1),
        ({"auth": "oauth2", "token_command": "tok"}, {"auth": "oauth2", "token_command": "tok"}, 0),
        ({"auth": "gssapi", "password_command": "unused"}, {"auth": "gssapi"}, 0),
    ],
    ids=["two-tokens", "one-token", "unused-command"],
)
def test_smtp_uses_the_incoming_login_only_when_the_command_its_auth_runs_is_the_same(
    tmp_path: Path, incoming: dict[str, Any], outgoing: dict[str, Any], method: int
) -> None:
    """SMTP Auth Method 0 (the incoming login) compared password_command whatever the auth: two OAuth2 logins with two
    token commands (two secrets) were one login, and a password_command gssapi never runs made two equal ones two."""
    data = {"version": 1, "accounts": {"work": {"address": "a@example.org",
            "incoming": {"protocol": "imap", "host": "imap.example.org", **incoming},
            "outgoing": {"host": "smtp.example.org", **outgoing}}}}  # fmt: skip
    reg, _ = render_reg(data)
    values = hive_of(tmp_path, reg)[account_key("Outlook", 1)]
    assert (values["SMTP Auth Method"], values.get("SMTP User")) == (method, "a@example.org" if method else None)
