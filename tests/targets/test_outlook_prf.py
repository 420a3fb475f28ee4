"""The outlook-prf target, read back with an INI parser.

No Outlook runs here (it needs Windows), so nothing proves that ``outlook.exe
/importprf`` creates these accounts; the module docstring names the sources and
what is unverified. What these tests prove: Python's configparser (strict, no
interpolation, ``=`` as the only delimiter, full-line ``;`` comments, as Windows'
GetPrivateProfileString reads) plus the documented Windows rule that one pair of
enclosing quotation marks is removed, reads back exactly the declared values, and
no hostile value adds a section or a key.
"""

# mypy: disable-error-code="untyped-decorator"
# (pyproject skips following hypothesis, so its decorators look untyped)
from __future__ import annotations

import configparser
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

from mailconf.cli import main
from mailconf.document import load_document
from mailconf.escape import UnsafeValue
from mailconf.escape.ini import ini_value
from mailconf.model import Model
from mailconf.render import common_gaps, environment
from mailconf.targets import Gaps, outlook, outlook_prf
from tests.conftest import EXAMPLES
from tests.targets._common import load_issues

from .test_outlook import (
    GAP_LINES,
    GAPPY,
    OTHER_GAP_LINES,
    expected_values,
    gap_lines,
    hostile,
    hostile_data,
    matrix,
    profile_text,
    write_yaml,
)

#: Registry value name (the outlook target's) -> PRF key.
PRF_KEY = {
    "Account Name": "AccountName", "Display Name": "DisplayName", "Email": "EmailAddress",
    "Organization": "Organization", "Leave on Server": "LeaveOnServer",
    "POP3 Server": "POP3Server", "POP3 User": "POP3UserName", "POP3 Port": "POP3Port",
    "POP3 Use SSL": "POP3UseSSL", "POP3 Use SPA": "POP3UseSPA",
    "IMAP Server": "IMAPServer", "IMAP User": "IMAPUserName", "IMAP Port": "IMAPPort",
    "IMAP Use SSL": "IMAPUseSSL", "IMAP Use SPA": "IMAPUseSPA",
    "SMTP Server": "SMTPServer", "SMTP Port": "SMTPPort", "SMTP Use SSL": "SMTPUseSSL",
    "SMTP Secure Connection": "SMTPSecureConnection", "SMTP Use Auth": "SMTPUseAuth",
    "SMTP Auth Method": "SMTPAuthMethod", "SMTP User": "SMTPUserName",
}  # fmt: skip

GENERAL = {
    "Custom": "1",
    "ProfileName": "Outlook",
    "DefaultProfile": "Yes",
    "OverwriteProfile": "Append",
    "ModifyDefaultProfileIfPresent": "FALSE",
}
SMTP_MAPPING = {
    "SMTPServer": "PT_UNICODE,0x0200", "SMTPUseAuth": "PT_LONG,0x0203", "SMTPAuthMethod": "PT_LONG,0x0208",
    "SMTPUserName": "PT_UNICODE,0x0204", "SMTPUseSPA": "PT_LONG,0x0207", "ConnectionType": "PT_LONG,0x000F",
    "ConnectionOID": "PT_UNICODE,0x0010", "SMTPPort": "PT_LONG,0x0201", "SMTPUseSSL": "PT_LONG,0x0202",
    "SMTPSecureConnection": "PT_LONG,0x020A", "ServerTimeOut": "PT_LONG,0x0209",
}  # fmt: skip
COMMON_MAPPING = {
    "AccountName": "PT_UNICODE,0x0002", "DisplayName": "PT_UNICODE,0x000B", "EmailAddress": "PT_UNICODE,0x000C",
    "Organization": "PT_UNICODE,0x0107", "ReplyEmailAddress": "PT_UNICODE,0x0103",
}  # fmt: skip
MAPPINGS = {
    "I_Mail": {"AccountType": "POP3", **COMMON_MAPPING, "POP3Server": "PT_UNICODE,0x0100",
               "POP3UserName": "PT_UNICODE,0x0101", "POP3UseSPA": "PT_LONG,0x0108", "POP3Port": "PT_LONG,0x0104",
               "POP3UseSSL": "PT_LONG,0x0105", **SMTP_MAPPING, "LeaveOnServer": "PT_LONG,0x1000"},
    "IMAP_I_Mail": {"AccountType": "IMAP", **COMMON_MAPPING, "IMAPServer": "PT_UNICODE,0x0100",
                    "IMAPUserName": "PT_UNICODE,0x0101", "IMAPUseSPA": "PT_LONG,0x0108", "IMAPPort": "PT_LONG,0x0104",
                    "IMAPUseSSL": "PT_LONG,0x0105", **SMTP_MAPPING, "CheckNewImap": "PT_LONG,0x1100",
                    "RootFolder": "PT_UNICODE,0x1101"},
}  # fmt: skip


def model_of(data: dict[str, Any]) -> Model:
    doc = load_document("accounts.yaml", json.dumps(data, ensure_ascii=False).encode())
    assert load_issues(doc) == []
    return doc.model


def render_prf(data: dict[str, Any], **options: str) -> tuple[bytes, list[str]]:
    rendered = outlook_prf.render(model_of(data), environment(), options)
    assert [f.name for f in rendered.files] == ["outlook.prf"]
    return rendered.files[0].content, [str(g) for g in rendered.gaps]


def windows_value(value: str) -> str:
    """GetPrivateProfileString: a value enclosed in a pair of " or ' loses the pair."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def read_prf(content: bytes) -> dict[str, dict[str, str]]:
    bom = content.startswith(b"\xff\xfe")
    decoded = content[2:].decode("utf-16-le") if bom else content.decode("ascii")
    assert decoded.endswith("\r\n")
    assert "\r" not in decoded.replace("\r\n", "") and "\n" not in decoded.replace("\r\n", "")
    parser = configparser.ConfigParser(
        interpolation=None, strict=True, delimiters=("=",), comment_prefixes=(";",), inline_comment_prefixes=None
    )
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(decoded)
    return {s: {k: windows_value(v) for k, v in parser.items(s, raw=True)} for s in parser.sections()}


def expected_prf(name: str, account: dict[str, Any]) -> dict[str, str]:
    """The [AccountN] section: the registry values of test_outlook under their PRF names, plus the PRF's own."""
    values: dict[str, str] = {"UniqueService": "No"}
    for reg, value in expected_values(name, account).items():
        if reg == "clsid":
            continue
        values[PRF_KEY[reg]] = f"0x{value:x}" if reg == "Leave on Server" else str(value)
    inc, out = account["incoming"], account.get("outgoing")
    timeout = inc.get("timeout", out.get("timeout") if out else None)
    if timeout:
        values["ServerTimeOut"] = str(timeout)
    if out is not None:
        values["SMTPUseSPA"] = "1" if out.get("auth") == "ntlm" else "0"
    return values


def expected_file(data: dict[str, Any], profile: str = "Outlook") -> dict[str, dict[str, str]]:
    names = [n for n, a in data["accounts"].items() if "incoming" in a]
    types = {"pop3": "I_Mail", "imap": "IMAP_I_Mail"}
    return {
        "General": GENERAL | {"ProfileName": profile},
        "Internet Account List": {
            f"Account{i + 1}": types[data["accounts"][n]["incoming"]["protocol"]] for i, n in enumerate(names)
        },
        **{f"Account{i + 1}": expected_prf(n, data["accounts"][n]) for i, n in enumerate(names)},
        **MAPPINGS,
    }


# --- (1) every expressible combination --------------------------------------------------------------------


def test_every_combination_reads_back_exactly() -> None:
    data = matrix(smtp_auths=("password", "none", "ntlm"), timeouts=True)
    prf, gaps = render_prf(data)
    assert gaps == []
    assert read_prf(prf) == expected_file(data)


def test_file_is_ascii_with_crlf_when_every_value_is_ascii() -> None:
    prf, _ = render_prf(matrix())
    assert prf.isascii()
    assert prf.startswith(b"; Outlook profile file (PRF) written by mailconf.")
    assert b"\r\n[General]\r\nCustom=1\r\nProfileName=Outlook\r\n" in prf


def test_non_ascii_makes_a_utf16_file_with_bom() -> None:
    data = matrix()
    data["accounts"]["receive-only"]["display_name"] = "Zoë 漢字 😀"
    prf, _ = render_prf(data)
    assert prf.startswith(b"\xff\xfe;\x00 \x00O\x00")
    assert read_prf(prf)["Account" + str(len(data["accounts"]))]["DisplayName"] == "Zoë 漢字 😀"


def test_output_is_deterministic() -> None:
    assert render_prf(matrix()) == render_prf(matrix())


# --- escaping: what ; = [ # % quotes and spaces do ---------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("a;b", "a;b"), (";a", ";a"), ("a=b", "a=b"), ("[Account2]", "[Account2]"), ("#x", "#x"),
        ("100%", "100%"), ("%USERNAME%", "%USERNAME%"), ('"quoted"', '""quoted""'), ("'x'", "\"'x'\""),
        ('"a', '"a'), (" lead", '" lead"'), ("trail ", '"trail "'), ("\u00a0nbsp", '"\u00a0nbsp"'), ("", ""),
        ("Zoë", "Zoë"),
    ],
)  # fmt: skip
def test_ini_value_writes_what_the_reader_reads_back(value: str, written: str) -> None:
    assert ini_value(value) == written
    parser = configparser.ConfigParser(interpolation=None, strict=True, delimiters=("=",), comment_prefixes=(";",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(f"[S]\r\nKey={written}\r\nNext=1\r\n")
    assert {k: windows_value(v) for k, v in parser.items("S", raw=True)} == {"Key": value, "Next": "1"}


@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "a\0b", "a\x85b", "a\u2028b", "a\u2029b", "a\x1bb", "a\x7fb"])
def test_ini_value_refuses_line_breaks_and_controls(bad: str) -> None:
    with pytest.raises(UnsafeValue) as caught:
        ini_value(bad)
    assert str(caught.value) == "a control character or line break cannot be written in an INI value"


def test_a_username_with_a_unicode_line_break_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An INI line cannot hold U+2028 (the escaper refuses it: the test above); the schema refuses it first: exit 1."""
    data = {"version": 1, "accounts": {"w": {"address": "w@example.org", "incoming": {
        "protocol": "imap", "host": "imap.example.org", "username": "evil\u2028[Account9]"}}}}  # fmt: skip
    out_dir = tmp_path / "out"
    source = write_yaml(tmp_path, data)
    assert main(["render", "-t", "outlook-prf", "-o", str(out_dir), source]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert (
        err.splitlines()[-1]
        == f"mailconf: {source}: not rendered: fix the errors above first (`mailconf lint {source}`)"
    )
    assert (
        '`username` is not valid (got "evil\\u2028[Account9]"): remove control characters (C0, DEL, C1) and line '
        "and paragraph separators (U+2028, U+2029)\n"
    ) in err
    assert not out_dir.exists()


# --- (2) gaps ---------------------------------------------------------------------------------------------

PRF_GAP_LINES = [
    "account gappy: outgoing.timeout cannot be expressed; Outlook has one server timeout per account: the incoming "
    "server's is written",
    "account oddpop: incoming.timeout cannot be expressed; Outlook always has a server timeout (30 seconds to 10 "
    "minutes): ServerTimeOut is left out",
]


def prf_gappy() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(json.dumps(GAPPY))
    data["accounts"]["gappy"]["outgoing"]["timeout"] = 60
    data["accounts"]["oddpop"]["incoming"]["timeout"] = 0
    return data


def test_every_gap_warns_with_its_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "-t", "outlook-prf", write_yaml(tmp_path, prf_gappy())]) == 0
    out, err = capsys.readouterr()
    gaps = gap_lines(err, "warning", "outlook-prf")
    assert sorted(gaps) == sorted(GAP_LINES + OTHER_GAP_LINES + PRF_GAP_LINES)
    assert len(err.splitlines()) == len(gaps)
    assert "oauth-token" not in out + err and "pass show" not in out + err


def test_gap_values_fail_closed() -> None:
    prf = read_prf(render_prf(prf_gappy())[0])
    assert prf["Internet Account List"] == {"Account1": "IMAP_I_Mail", "Account2": "I_Mail"}
    gappy, oddpop = prf["Account1"], prf["Account2"]
    assert (gappy["IMAPUseSSL"], gappy["IMAPPort"], gappy["IMAPUseSPA"], gappy["ServerTimeOut"]) == (
        "1",
        "143",
        "0",
        "30",
    )
    assert (gappy["SMTPUseSPA"], gappy["SMTPAuthMethod"], gappy["SMTPUserName"]) == ("1", "1", "g@example.org")
    assert (oddpop["POP3UseSPA"], oddpop["LeaveOnServer"]) == ("0", "0x0")
    assert "ServerTimeOut" not in oddpop


def test_strict_exits_1_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "out"
    assert main(["render", "-t", "outlook-prf", "--strict", "-o", str(out_dir), write_yaml(tmp_path, prf_gappy())]) == 1
    _, err = capsys.readouterr()
    assert sorted(gap_lines(err, "error", "outlook-prf")) == sorted(GAP_LINES + OTHER_GAP_LINES + PRF_GAP_LINES)
    assert (
        err.splitlines()[-1] == "mailconf: 18 settings cannot be expressed by outlook-prf (--strict); nothing written"
    )
    assert not out_dir.exists()


def test_profile_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = matrix()
    assert read_prf(render_prf(data, profile="'Work' ; = %x%")[0]) == expected_file(data, "'Work' ; = %x%")
    assert main(["render", "-t", "outlook-prf", "--option", "profile=a\\b", write_yaml(tmp_path, data)]) == 2
    assert capsys.readouterr().err == (
        "mailconf: --option profile: use 1 to 255 printable ASCII characters without \\ [ or ], not starting or "
        "ending with a space\n"
    )
    assert main(["render", "-t", "outlook-prf", "--option", "account-id=2", write_yaml(tmp_path, data)]) == 2
    assert capsys.readouterr().err == "mailconf: --option account-id: unknown for target outlook-prf (known: profile)\n"


# --- (3) hostile values -----------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(h=hostile, profile=profile_text)
def test_hostile_values_read_back_exactly(h: dict[str, str | bool], profile: str) -> None:
    data, secret = hostile_data(h)
    prf, _ = render_prf(data, profile=profile)
    assert read_prf(prf) == expected_file(data, profile)
    assert secret.encode("utf-16-le") not in prf and secret.encode() not in prf


# --- (4) the examples -------------------------------------------------------------------------------------


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_examples_render_and_read_back(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = load_document(str(example))
    if doc.issues or common_gaps(doc.model)[1]:
        assert main(["render", "-t", "outlook-prf", str(example)]) == 1  # deliberately broken or insecure
        assert capsys.readouterr().err.splitlines()[-1] == f"mailconf: {example}: not rendered"
        return
    prf = read_prf(outlook_prf.render(doc.model, environment(), {}).files[0].content)
    with_incoming = [a for a in doc.model.accounts if a.incoming is not None]
    assert set(prf) == {"General", "Internet Account List", *MAPPINGS} | {
        f"Account{i + 1}" for i in range(len(with_incoming))
    }
    for i, account in enumerate(with_incoming):
        assert account.incoming is not None
        decided = outlook.decide(account, outlook_prf.GAP_RULES, Gaps())
        assert decided is not None
        got = prf[f"Account{i + 1}"]
        proto = account.incoming.protocol.value.upper()
        assert (got["AccountName"], got["EmailAddress"], got[f"{proto}Server"], got[f"{proto}Port"]) == (
            account.name, account.address, account.incoming.host, str(account.incoming.port))  # fmt: skip
        assert got[f"{proto}UserName"] == account.incoming.username
