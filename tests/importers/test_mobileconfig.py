"""The mobileconfig importer: XML and binary profiles, UseSSL by port, no password copied, signed profiles refused.

The round trip (render --target mobileconfig, import back) over every example and generated
files runs in test_round_trip.py.
"""

from __future__ import annotations

import plistlib
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from mailconf.cli import main
from mailconf.importers import ReadOptions
from mailconf.importers._core import import_paths
from tests.conftest import EXAMPLES, need
from tests.importers.test_round_trip import account_files, comes_back_exactly

SECRET = "s3cret-Do-Not-Print-42"


def imported(*paths: Path) -> tuple[dict[str, Any], tuple[str, ...]]:
    result = import_paths("mobileconfig", [str(p) for p in paths], ReadOptions())
    return {k: dict(v) for k, v in result.accounts.items()}, result.warnings


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def profile(*payloads: dict[str, Any]) -> dict[str, Any]:
    return {"PayloadContent": list(payloads), "PayloadType": "Configuration", "PayloadVersion": 1,
            "PayloadIdentifier": "org.example", "PayloadUUID": "0"}  # fmt: skip


POP = {
    "PayloadType": "com.apple.mail.managed",
    "EmailAccountType": "EmailTypePOP",
    "EmailAccountDescription": "home",
    "EmailAccountName": "Carol Example",
    "EmailAddress": "carol@example.org",
    "IncomingMailServerHostName": "pop.example.org",
    "IncomingMailServerPortNumber": 110,
    "IncomingMailServerUseSSL": True,
    "IncomingMailServerAuthentication": "EmailAuthCRAMMD5",
    "IncomingMailServerUsername": "carol",
    "IncomingPassword": SECRET,
    "OutgoingMailServerHostName": "smtp.example.org",
    "OutgoingMailServerUseSSL": True,
    "OutgoingMailServerAuthentication": "EmailAuthNone",
    "PreventMove": True,
}


def test_use_ssl_is_starttls_on_the_starttls_port_and_the_password_is_never_copied(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "home.mobileconfig"
    path.write_bytes(plistlib.dumps(profile({"PayloadType": "com.apple.security.root"}, POP), sort_keys=True))
    lines = path.read_text().splitlines()
    line = {key: lines.index(f"\t\t\t<key>{key}</key>") + 1 for key in ("IncomingPassword", "PreventMove")}
    code, out, err = run(capsys, "import", "--from", "mobileconfig", str(path))
    assert code == 1
    assert SECRET not in out + err
    assert err.splitlines() == [
        f"mailconf: warning: {path}:{lines.index('			<key>PayloadType</key>') + 1}:4: a com.apple.security.root "
        "payload is not a mail account: not imported",
        f"mailconf: warning: {path}:{line['IncomingPassword']}:4: the file holds a literal password (not imported): "
        "store it in a password manager and set password_command to the command that prints it",
        f"mailconf: warning: {path}:{line['PreventMove']}:4: the mail payload's PreventMove has no place in an "
        "account file",
    ]
    accounts, _ = imported(path)
    assert accounts == {
        "home": {
            "address": "carol@example.org",
            "display_name": "Carol Example",
            "incoming": {"protocol": "pop3", "host": "pop.example.org", "port": 110, "security": "starttls",
                         "auth": "password", "username": "carol", "mechanisms": ["cram-md5"]},
            "outgoing": {"host": "smtp.example.org", "port": 587, "security": "starttls", "auth": "none"},
        }
    }  # fmt: skip


@pytest.mark.parametrize(
    ("protocol", "port", "use_ssl", "security"),
    [("EmailTypeIMAP", 993, True, "tls"), ("EmailTypeIMAP", 143, True, "starttls"), ("EmailTypeIMAP", 143, False,
     "none"), ("EmailTypeIMAP", 1993, True, "tls"), ("EmailTypePOP", 995, True, "tls"), ("EmailTypePOP", None, True,
     "tls"), ("EmailTypeIMAP", None, False, "none")],
)  # fmt: skip
def test_incoming_security_follows_use_ssl_and_the_port(
    tmp_path: Path, protocol: str, port: int | None, use_ssl: bool, security: str
) -> None:
    payload = {**POP, "EmailAccountType": protocol, "IncomingMailServerUseSSL": use_ssl}
    if port is None:
        del payload["IncomingMailServerPortNumber"]
    else:
        payload["IncomingMailServerPortNumber"] = port
    path = tmp_path / "p.mobileconfig"
    path.write_bytes(plistlib.dumps(profile(payload)))
    incoming = imported(path)[0]["home"]["incoming"]
    default = {"EmailTypeIMAP": (143, 993), "EmailTypePOP": (110, 995)}[protocol][use_ssl]
    assert (incoming["port"], incoming["security"]) == (port or default, security)


@pytest.mark.parametrize("port", [465, 587, 25])
def test_outgoing_security_follows_the_port(tmp_path: Path, port: int) -> None:
    path = tmp_path / "p.mobileconfig"
    path.write_bytes(plistlib.dumps(profile({**POP, "OutgoingMailServerPortNumber": port})))
    assert imported(path)[0]["home"]["outgoing"]["security"] == ("tls" if port == 465 else "starttls")


@pytest.mark.parametrize(
    ("key", "value", "said", "wanted"),
    [
        # each was read as if the key were absent: port 993 imported for 2993, no TLS for "true", no server
        ("IncomingMailServerPortNumber", 2993.0, "<real>", "<integer>"),
        ("IncomingMailServerPortNumber", "2993", "<string>", "<integer>"),
        ("IncomingMailServerPortNumber", True, "<true/> or <false/>", "<integer>"),
        ("IncomingMailServerUseSSL", "true", "<string>", "<true/> or <false/>"),
        ("IncomingMailServerUseSSL", 1, "<integer>", "<true/> or <false/>"),
        ("IncomingMailServerHostName", b"pop.example.org", "<data>", "<string>"),
        ("EmailAddress", datetime(2024, 1, 1), "<date>", "<string>"),
        ("OutgoingMailServerUsername", {"a": "b"}, "<dict>", "<string>"),
    ],
    ids=["real-port", "string-port", "bool-port", "string-ssl", "integer-ssl", "data-host", "date-address", "dict"],
)
def test_a_key_of_another_type_than_apples_is_said_and_the_account_not_imported(
    tmp_path: Path, key: str, value: Any, said: str, wanted: str
) -> None:
    path = tmp_path / "p.mobileconfig"
    path.write_bytes(plistlib.dumps(profile({**POP, key: value}, {**POP, "EmailAccountDescription": "other"})))
    line = path.read_text().splitlines().index(f"\t\t\t<key>{key}</key>") + 1
    accounts, warnings = imported(path)
    assert sorted(accounts) == ["other"]
    assert warnings[0] == (
        f"{path}:{line}:4: {key} is {said}, not {wanted} as Apple's profiles write it: the account is not imported; "
        f"write it as {wanted}"
    )


def test_a_binary_profile_made_by_plistutil_imports_like_the_xml_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    need("plistutil")
    assert main(["render", "-t", "mobileconfig", str(EXAMPLES / "company.yaml"), "-o", str(tmp_path)]) in (0, 1)
    capsys.readouterr()
    xml = tmp_path / "mobileconfig" / "alice.mobileconfig"
    binary = tmp_path / "alice.plist"
    subprocess.run(["plistutil", "-i", str(xml), "-o", str(binary), "-f", "bin"], check=True, timeout=30)
    assert binary.read_bytes().startswith(b"bplist00")
    assert imported(binary) == imported(xml)
    assert imported(xml)[0]["alice"]["incoming"]["host"] == "imap.example.com"


def test_a_signed_profile_is_refused_in_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    need("openssl")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    unsigned = tmp_path / "work.mobileconfig"
    unsigned.write_bytes(plistlib.dumps(profile(POP)))
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-subj", "/CN=profile signer", "-days", "2"], check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    signed = tmp_path / "signed.mobileconfig"
    subprocess.run(
        ["openssl", "smime", "-sign", "-nodetach", "-outform", "der", "-signer", str(cert), "-inkey", str(key),
         "-in", str(unsigned), "-out", str(signed)], check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    assert run(capsys, "import", "--from", "mobileconfig", str(signed)) == (
        2,
        "",
        f"mailconf: {signed}:1:1: a signed profile (CMS) cannot be read; give the unsigned .mobileconfig (openssl "
        "smime -verify -noverify -inform der -in FILE -out unsigned.mobileconfig extracts it)\n",
    )
    # the command the message names gives back the profile, which imports
    extracted = tmp_path / "unsigned.mobileconfig"
    subprocess.run(["openssl", "smime", "-verify", "-noverify", "-inform", "der", "-in", str(signed), "-out",
                    str(extracted)], check=True, capture_output=True, timeout=60)  # fmt: skip
    assert sorted(imported(extracted)[0]) == ["home"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"hello\n",
            "p.mobileconfig:1:1: not a property list (Invalid file); give the profile as an XML or binary "
            "property list",
        ),
        (
            b'<?xml version="1.0"?>\n<!DOCTYPE plist [<!ENTITY a "aaaa">]>\n<plist version="1.0"><dict><key>a</key>'
            b"<string>&a;</string></dict></plist>\n",
            "p.mobileconfig:2:18: not a property list (XML entity declarations are not supported in plist files); "
            "remove the <!ENTITY> declarations",
        ),
        (
            b'<?xml version="1.0"?>\n<plist version="1.0">\n<dict>\n<key>PayloadContent</key>\n<array>\n',
            "p.mobileconfig:6:1: not a well-formed XML property list; fix the XML",
        ),
        (
            b'<?xml version="1.0" encoding="no-such-codec"?>\n<plist version="1.0"><dict/></plist>\n',
            "p.mobileconfig:1:1: not a property list (malformed); give the profile as an XML or binary property list",
        ),
        (
            b'<?xml version="1.0"?>\n<plist version="1.0"><array/></plist>\n',
            "p.mobileconfig:1:1: not a configuration profile (no PayloadContent list); give the .mobileconfig file the "
            "provider hands out",
        ),
        (
            plistlib.dumps(profile({"PayloadType": "com.apple.wifi.managed"})),  # after the warning that says why
            "p.mobileconfig:1:1: no mobileconfig account found (the warnings above say what was left out); check that "
            "the file is mobileconfig configuration, or choose another --from",
        ),
        (  # a binary plist's key given as data (0x4B), not text (0x5B): key.startswith() was an internal error
            plistlib.dumps(profile(POP), fmt=plistlib.FMT_BINARY).replace(b"\x5bPreventMove", b"\x4bPreventMove"),
            "p.mobileconfig:1:1: not a property list (a dictionary key that is not a string); give the profile as "
            "mailconf or Apple Configurator writes it",
        ),
        (  # {"PayloadContent": L} where L = [L]: plistlib makes a list that holds itself, looked through once
            b"bplist00\xd1\x01\x02\x5ePayloadContent\xa1\x02\x08\x0b\x1a"
            + bytes([0] * 6 + [1, 1])
            + (3).to_bytes(8, "big")
            + bytes(8)
            + (28).to_bytes(8, "big"),
            "p.mobileconfig:1:1: no mobileconfig account found (the warnings above say what was left out); check that "
            "the file is mobileconfig configuration, or choose another --from",
        ),
    ],
    ids=["not-a-plist", "entity", "unclosed", "codec", "no-content", "wifi", "data-key", "cycle"],
)
def test_bad_input_is_one_located_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "p.mobileconfig"
    path.write_bytes(content)
    code, out, err = run(capsys, "import", "--from", "mobileconfig", str(path))
    assert (code, out, err.splitlines()[-1]) == (2, "", f"mailconf: {tmp_path}/{message}")


def test_a_binary_profile_nested_thousands_deep_is_refused_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # plistlib reads a binary list recursively: RecursionError, an internal error (exit 3); written by hand, as
    # plistlib cannot write it either. Object n is a one-element array of object n + 1; the last is empty.
    depth = 5000
    objects = [bytes([0xA1]) + (n + 1).to_bytes(2, "big") for n in range(depth)] + [bytes([0xA0])]
    offsets = [8 + 3 * n for n in range(len(objects))]
    table = b"".join(o.to_bytes(4, "big") for o in offsets)
    trailer = (
        bytes(6) + bytes([4, 2]) + len(objects).to_bytes(8, "big") + bytes(8) + (8 + 3 * depth + 1).to_bytes(8, "big")
    )
    path = tmp_path / "deep.mobileconfig"
    path.write_bytes(b"bplist00" + b"".join(objects) + table + trailer)
    code, out, err = run(capsys, "import", "--from", "mobileconfig", str(path))
    assert (code, out, err) == (2, "", f"mailconf: {path}:1:1: not a property list (nested too deeply); give the "
                                       "profile as mailconf or Apple Configurator writes it\n")  # fmt: skip


def test_compare_of_a_rendered_profile_is_clean_and_a_changed_port_is_drift(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """--compare renders the YAML with the target (into a mobileconfig/ folder) and reads it back."""
    main(["render", "-t", "mobileconfig", str(EXAMPLES / "company.yaml"), "-o", str(tmp_path)])
    capsys.readouterr()
    alice = tmp_path / "mobileconfig" / "alice.mobileconfig"
    yaml = str(EXAMPLES / "company.yaml")
    code, out, _ = run(capsys, "import", "--from", "mobileconfig", *map(str, alice.parent.iterdir()), "--compare", yaml)
    assert (code, out) == (0, "")
    data = plistlib.loads(alice.read_bytes())
    data["PayloadContent"][0]["IncomingMailServerPortNumber"] = 1993
    alice.write_bytes(plistlib.dumps(data))
    code, out, _ = run(capsys, "import", "--from", "mobileconfig", *map(str, alice.parent.iterdir()), "--compare", yaml)
    assert (code, out) == (1, "account alice: incoming.port: file says 1993, YAML declares 993\n")


def test_http_md5_is_read_as_a_password_login_with_a_warning_and_a_binary_profile_names_the_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "b.mobileconfig"
    payload = {**POP, "EmailAccountType": "EmailTypeIMAP", "IncomingMailServerAuthentication": "EmailAuthHTTPMD5"}
    del payload["IncomingPassword"], payload["PreventMove"]
    path.write_bytes(plistlib.dumps(profile(payload), fmt=plistlib.FMT_BINARY))
    accounts, warnings = imported(path)
    assert (accounts["home"]["incoming"]["auth"], "mechanisms" in accounts["home"]["incoming"]) == ("password", False)
    assert warnings == (f"{path}:1:1: EmailAuthHTTPMD5 has no place in an account file: read as auth password",)


# --- generated files ------------------------------------------------------------------------------------------


def profileable(data: dict[str, Any]) -> dict[str, Any]:
    """The generated file made into what a mail payload expresses: an incoming and an outgoing server each, TLS or
    none, a password or NTLM login, nothing the payload has no key for; every hostile value (names, user names,
    hosts) kept. Drawn as they come, 6 files in 400 render without a gap: too few for hypothesis to find 60."""
    for account in data["accounts"].values():
        account.setdefault("incoming", {"host": "imap.example.org", "protocol": "imap"})
        account.setdefault("outgoing", {"host": "smtp.example.net"})
        for server in (account["incoming"], account["outgoing"]):
            if server.get("security") == "starttls":
                server["security"] = "tls"
            if server.get("auth", "password") not in ("password", "ntlm"):
                server["auth"] = "password"
            for key in ("password_command", "token_command", "mechanisms", "tls", "timeout", "leave_on_server",
                        "leave_days"):  # fmt: skip
                server.pop(key, None)
    return data


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])  # fmt: skip
@given(data=account_files().map(profileable))
def test_generated_files_come_back_exactly(data: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> None:
    comes_back_exactly("mobileconfig", data, tmp_path_factory.mktemp("mobileconfig"), adapted=True)


def test_the_lines_of_many_keys_are_counted_once() -> None:
    # each <key>'s line was counted from the start of the file: 80,000 keys (3 MB) took a minute and a half
    from mailconf.importers.mobileconfig import _KeyLines

    data = (
        b'<?xml version="1.0"?>\n<plist version="1.0">\n<dict>\n'
        + b"".join(b"<key>k%d</key>\n<string/>\n" % n for n in range(100_000))
        + b"</dict>\n</plist>\n"
    )
    keys = _KeyLines("p.mobileconfig", data).top
    # no time asserted (tests assert behaviour): counted from the start each time, this took 35 s instead of 0.05 s
    assert keys == {f"k{n}": (4 + 2 * n, 1) for n in range(100_000)}


def test_each_key_is_located_in_its_own_payload(tmp_path: Path) -> None:
    # the n-th <key>K</key> of the whole file was taken for the n-th payload's: a top-level PayloadType before
    # PayloadContent was said to be the first payload's, and a key given twice put the next payload's keys a
    # key early; a PayloadContent item that is not a dictionary was dropped without a word
    path = tmp_path / "p.mobileconfig"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">\n<dict>\n'
        "  <key>PayloadType</key><string>Configuration</string>\n"  # 4
        "  <key>PayloadContent</key>\n  <array>\n"
        "    <string>stray</string>\n"
        "    <dict><key>PayloadType</key><string>com.apple.security.root</string></dict>\n"  # 8
        "    <dict>\n"
        "      <key>PayloadType</key><string>com.apple.mail.managed</string>\n"
        "      <key>EmailAccountType</key><string>EmailTypeIMAP</string>\n"  # 11
        "      <key>PreventMove</key><true/>\n"
        "      <key>EmailAddress</key><string>a@example.org</string>\n"
        "      <key>IncomingMailServerHostName</key><string>imap.example.org</string>\n"
        "      <key>OutgoingMailServerHostName</key><string>smtp.example.org</string>\n"
        "      <key>PreventMove</key><false/>\n"  # 16: the value plistlib keeps
        "    </dict>\n"
        "    <dict>\n"
        "      <key>PayloadType</key><string>com.apple.mail.managed</string>\n"
        "      <key>EmailAccountType</key><string>EmailTypeIMAP</string>\n"
        "      <key>EmailAddress</key><string>b@example.org</string>\n"
        "      <key>IncomingMailServerHostName</key><string>imap.example.org</string>\n"
        "      <key>OutgoingMailServerHostName</key><string>smtp.example.org</string>\n"
        "      <key>PreventMove</key><true/>\n"  # 24
        "    </dict>\n  </array>\n</dict>\n</plist>\n"
    )
    accounts, warnings = imported(path)
    assert list(accounts) == ["a", "b"]
    assert warnings == (
        f"{path}:1:1: PayloadContent holds <string>, which is not a payload: not imported",
        f"{path}:8:11: a com.apple.security.root payload is not a mail account: not imported",
        f"{path}:16:7: the mail payload's PreventMove has no place in an account file",
        f"{path}:24:7: the mail payload's PreventMove has no place in an account file",
    )


@pytest.mark.parametrize(("side", "prefix"), [("incoming", "Incoming"), ("outgoing", "Outgoing")])
def test_a_missing_host_name_is_said_not_dropped_silently(tmp_path: Path, side: str, prefix: str) -> None:
    # Apple's schema requires both host names; without one the side was left out, its port, SSL and login keys
    # with it, with exit 0
    payload = {k: v for k, v in POP.items() if k not in ("IncomingPassword", "PreventMove")}
    payload[f"{prefix}MailServerHostName"] = ""
    path = tmp_path / "p.mobileconfig"
    path.write_bytes(plistlib.dumps(profile(payload)))
    lines = path.read_text().splitlines()
    line = lines.index(f"\t\t\t<key>{prefix}MailServerHostName</key>") + 1
    accounts, warnings = imported(path)
    other = "incoming" if side == "outgoing" else "outgoing"
    assert (side in accounts["home"], other in accounts["home"]) == (False, True)
    assert warnings == (
        f"{path}:{line}:4: no {prefix}MailServerHostName, which Apple's schema requires (a device refuses the "
        f"profile): the account has no {side} server",
    )
