"""The outlook-prf importer: a PRF read as Windows reads it (GetPrivateProfileString) through its Section 7 mapping.

The round trip (render --target outlook-prf, import back) over every example and generated account file is in
tests/importers/test_round_trip.py. No Outlook runs here: what Outlook does with a file is its documented semantics.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mailconf.cli import main
from mailconf.importers import ReadOptions
from mailconf.importers._core import import_paths

HAND = """\
; written by hand, as the Office Customization Tool lays it out
[General]
Custom=1
ProfileName=Outlook

[Service List]
ServiceX=Microsoft Outlook Client

[Internet Account List]
Account1=I_Mail
Account2=IMAP_I_Mail

[Account1]
UniqueService=No
AccountName = "Home POP"
EmailAddress=carol@example.org
POP3Server=pop.example.org
POP3UserName=carol
POP3Port=995
POP3UseSSL=1
LeaveOnServer=0x000e0003
ReplyEmailAddress=noreply@example.org
Signature=hello
SMTPServer=smtp.example.org
SMTPPort=587
SMTPSecureConnection=2
SMTPUseAuth=1
SMTPAuthMethod=1
SMTPUserName=carol-smtp
POP3Port=110

[account2]
AccountName=work
emailaddress=dave@example.net
IncomingHost=imap.example.net
IMAPUseSPA=1
ServerTimeOut=60

[Account2]
IMAPServer=other.example.net

[I_Mail]
AccountType=POP3
AccountName=PT_UNICODE,0x0002
EmailAddress=PT_UNICODE,0x000C
POP3Server=PT_UNICODE,0x0100
POP3UserName=PT_UNICODE,0x0101
POP3Port=PT_LONG,0x0104
POP3UseSSL=PT_LONG,0x0105
ReplyEmailAddress=PT_UNICODE,0x0103
LeaveOnServer=PT_LONG,0x1000
SMTPServer=PT_UNICODE,0x0200
SMTPPort=PT_LONG,0x0201
SMTPSecureConnection=PT_LONG,0x020A
SMTPUseAuth=PT_LONG,0x0203
SMTPAuthMethod=PT_LONG,0x0208
SMTPUserName=PT_UNICODE,0x0204

[IMAP_I_Mail]
AccountType=IMAP
AccountName=PT_UNICODE,0x0002
EmailAddress=PT_UNICODE,0x000C
IncomingHost=PT_UNICODE,0x0100
IMAPUseSPA=PT_LONG,0x0108
ServerTimeOut=PT_LONG,0x0209
"""


def imported(path: Path) -> tuple[dict[str, Any], tuple[str, ...]]:
    result = import_paths("outlook-prf", [str(path)], ReadOptions())
    return {k: dict(v) for k, v in result.accounts.items()}, result.warnings


def test_a_hand_written_prf_is_read_through_its_mapping_and_what_is_dropped_is_said(tmp_path: Path) -> None:
    prf = tmp_path / "outlook.prf"
    prf.write_bytes(HAND.replace("\n", "\r\n").encode("ascii"))
    accounts, warnings = imported(prf)
    assert accounts == {
        "Home-POP": {
            "address": "carol@example.org",
            "incoming": {"protocol": "pop3", "host": "pop.example.org", "port": 995, "security": "tls",
                         "auth": "password", "username": "carol", "leave_on_server": True, "leave_days": 14},
            "outgoing": {"host": "smtp.example.org", "port": 587, "security": "starttls", "auth": "password",
                         "username": "carol-smtp"},
        },
        # keys and sections are case-insensitive; IncomingHost means the server (0x0100) as the mapping says
        "work": {
            "address": "dave@example.net",
            "incoming": {"protocol": "imap", "host": "imap.example.net", "port": 143, "security": "none",
                         "auth": "ntlm", "timeout": 60},
        },
    }  # fmt: skip
    assert warnings == (
        f"{prf}:30:1: POP3Port is given again in [Account1] (first at line 19): Outlook reads the first",
        f"{prf}:39:1: section [Account2] is given again (first at line 32): Outlook reads only the first; its keys "
        "are not imported",
        f"{prf}:23:1: Signature is not in the [I_Mail] mapping: Outlook does not read it",
        f"{prf}:13:1: account \"Home POP\" is imported as \"Home-POP\" (names hold letters, digits, '.', '_', '-')",
        f"{prf}:22:1: ReplyEmailAddress has no place in an account file: not imported",
        f"{prf}:7:1: service ServiceX (Microsoft Outlook Client) is not a POP3 or IMAP account: not imported",
    )


_LIST = "[Internet Account List]\r\nAccount1=I_Mail\r\n"
_ACCOUNT = "[Account1]\r\nEmailAddress=a@example.org\r\nPOP3Server=pop.example.org\r\n"
_MAPPING = (
    "[I_Mail]\r\nAccountType=POP3\r\nEmailAddress=PT_UNICODE,0x000C\r\nPOP3Server=PT_UNICODE,0x0100\r\n"
    "POP3UseSSL=PT_LONG,0x0105\r\nPOP3Port=PT_LONG,0x0104\r\n"
)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ((_LIST + _ACCOUNT + "DisplayName=C\xe9cile\r\n" + _MAPPING).encode("latin-1"),
         "6:14: 8-bit text that is not ASCII: Outlook reads it in the Windows code page, which the file does not "
         "name; save the file as UTF-16LE (Unicode) with a byte-order mark"),
        (b"\xff\xfe" + "[Internet Account List]\r\n".encode("utf-16-le") + b"\x00\xd8",
         "1:1: not UTF-16LE text after its byte-order mark; save the file as UTF-16LE again"),
        ((_LIST + _ACCOUNT + "POP3UseSSL=2\r\n" + _MAPPING).encode(),
         "6:1: POP3UseSSL is 2, not a value Outlook writes (a number: 0 no encryption, 1 SSL/TLS); set it in "
         "Outlook's account settings, or write the number"),
        ((_LIST + _ACCOUNT + "POP3Port=99999999999\r\n" + _MAPPING).encode(),
         "6:1: POP3Port is \"99999999999\", not a value Outlook writes (a number: the port); set it in Outlook's "
         "account settings, or write the number"),
        ((_LIST + _ACCOUNT).encode(),
         "2:1: the mapping section [I_Mail] is missing; keep the [I_Mail] / [IMAP_I_Mail] sections the Office "
         "Customization Tool writes"),
        ((_LIST + _MAPPING).encode(), "2:1: account Account1 has no [Account1] section; add the section, or remove "
         "the line"),
        ((_LIST + _ACCOUNT + "[I_Mail\r\n").encode(), "6:1: a section line without its closing ]; write [Name]"),
        ((_LIST + _ACCOUNT + _MAPPING.replace("=POP3", "=HTTP")).encode(),
         '7:1: [I_Mail] has AccountType "HTTP", not POP3 or IMAP; list only POP3 and IMAP accounts in [Internet '
         "Account List]"),
        ((_LIST + _ACCOUNT + _MAPPING.replace("=PT_UNICODE,0x0100", "=0x0100")).encode(),
         "9:1: POP3Server in [I_Mail] is not a property (PT_TYPE,0xID); keep the mapping lines the Office "
         "Customization Tool writes"),
        (b"", "1:1: no outlook-prf account found; check that the file is Outlook configuration, or choose another "
         "--from"),
    ],
    ids=["ansi", "half-surrogate", "flag", "port", "no-mapping", "no-section", "bracket", "type", "mapping-line",
         "empty"],
)  # fmt: skip
def test_bad_input_is_one_located_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: bytes, message: str
) -> None:
    prf = tmp_path / "outlook.prf"
    prf.write_bytes(content)
    code = main(["import", "--from", "outlook-prf", str(prf)])
    out, err = capsys.readouterr()
    assert (code, out, err) == (2, "", f"mailconf: {prf}:{message}\n")


def test_numbers_are_decimal_or_hexadecimal_and_utf16_text_is_read(tmp_path: Path) -> None:
    prf = tmp_path / "outlook.prf"
    text = _LIST + _ACCOUNT + "POP3Port=0x3e3\r\nPOP3UseSSL=01\r\nDisplayName=C\u00e9cile\r\n" + _MAPPING
    prf.write_bytes(b"\xff\xfe" + text.replace("POP3Port=PT", "DisplayName=PT_UNICODE,0x000B\r\nPOP3Port=PT")
                    .encode("utf-16-le"))  # fmt: skip
    accounts, warnings = imported(prf)
    assert (accounts["Account1"]["display_name"], accounts["Account1"]["incoming"]["port"], warnings) == (
        "C\u00e9cile",
        995,
        (),
    )
