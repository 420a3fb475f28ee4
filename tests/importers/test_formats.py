"""Each importer on files written by hand or by the client itself: the exact account data and warnings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mailconf.document import build_model
from mailconf.errors import MailconfError
from mailconf.importers import ReadOptions
from mailconf.importers._core import NoAccount, compare, import_paths
from tests.conftest import need
from tests.targets._tb_provider import read_with_thunderbird


def imported(fmt: str, *paths: Path) -> tuple[dict[str, Any], tuple[str, ...]]:
    result = import_paths(fmt, [str(p) for p in paths], ReadOptions())
    return {k: dict(v) for k, v in result.accounts.items()}, result.warnings


def test_mutt_from_with_a_name_gives_address_and_display_name(tmp_path: Path) -> None:
    rc = tmp_path / "home.muttrc"
    rc.write_text(
        "set from = 'Alice \"Al\" Example <alice@example.com>'\n"
        "set folder = 'imap://imap.example.com/'\nset ssl_force_tls = yes\n"
        "set smtp_url = 'smtp://alice@smtp.example.com:587/'\nset smtp_pass = \"`pass show smtp`\"\n"
    )
    accounts, warnings = imported("mutt", rc)
    assert warnings == ()
    assert accounts == {
        "home": {
            "address": "alice@example.com",
            "display_name": "Alice Al Example",  # mutt reads the phrase the same way (-Q from)
            "incoming": {"protocol": "imap", "host": "imap.example.com", "port": 143, "security": "starttls",
                         "auth": "password"},
            "outgoing": {"host": "smtp.example.com", "port": 587, "security": "starttls", "username": "alice",
                         "password_command": "pass show smtp", "auth": "password"},
        }
    }  # fmt: skip


@pytest.mark.parametrize("quoted", ["$my_pass", '"$my_pass"', "${my_pass}"])
def test_mutt_a_password_from_a_variable_is_no_literal_password(tmp_path: Path, quoted: str) -> None:
    # the usual real-world file: my_pass is set by a sourced command, the *_pass from it; it was said to hold a
    # literal password (at the line of `$my_pass`) besides the variable not expanded
    rc = tmp_path / "work.muttrc"
    rc.write_text(
        'source "gpg -dq ~/.mutt/pass.gpg |"\n'
        "set folder = 'imaps://imap.example.com/'\nset imap_user = alice@example.com\n"
        f"set imap_pass = {quoted}\n"
    )
    accounts, warnings = imported("mutt", rc)
    assert warnings == (
        f"{rc}:1:1: source of a command's output: not run, not imported",
        f"{rc}:4:5: imap_pass names a variable ($...) that is not expanded",
    )
    assert "password_command" not in accounts["work"]["incoming"]


def test_mutt_a_password_in_single_quotes_is_literal_even_with_a_dollar(tmp_path: Path) -> None:
    rc = tmp_path / "work.muttrc"
    rc.write_text(
        "set from = alice@example.com\nset folder = 'imaps://alice@imap.example.com/'\nset imap_pass = '$ecret'\n"
    )
    _, warnings = imported("mutt", rc)
    assert warnings == (
        f"{rc}:3:5: the file holds a literal password (not imported): store it in a password manager and set "
        "password_command to the command that prints it",
    )


@pytest.mark.parametrize(
    ("file", "name"),
    [("rc.muttrc", "rc"), ("src.muttrc", "src"), ("work.muttrc", "work"), (".muttrc", "alice"), ("muttrc", "alice"),
     (".neomuttrc", "alice"), ("neomuttrc", "alice"),
     # a neomutt user's own naming: it was account "work.neomutt" (found importing public dotfiles)
     ("work.neomuttrc", "work"), ("0..neomuttrc", "0.")],
)  # fmt: skip
def test_a_muttrc_names_its_account_after_the_file(tmp_path: Path, file: str, name: str) -> None:
    # the "rc" of muttrc was also cut from names ending in it: src.muttrc gave "s", rc.muttrc the address
    rc = tmp_path / file
    rc.write_text("set from = 'alice@example.com'\nset folder = 'imaps://imap.example.com/'\n")
    accounts, _ = imported("mutt", rc)
    assert list(accounts) == [name]


REG_EXPORT = (
    "Windows Registry Editor Version 5.00\r\n\r\n"
    "[HKEY_CURRENT_USER\\Software\\Microsoft\\Office\\16.0\\Outlook\\Profiles\\Outlook\\"
    "9375CFF0413111d3B88A00104B2A6676\\00000002]\r\n"
    '"clsid"="{ED475411-B0D6-11D2-8C3B-00104B2A6676}"\r\n'
    '"Account Name"=hex:43,00,61,00,72,00,6f,00,6c,00,00,00\r\n'
    '"Email"="carol@example.org"\r\n'
    '"Display Name"=hex(1):43,00,e9,00,63,00,69,00,6c,00,65,00,00,00\r\n'
    '"POP3 Server"="pop.example.org"\r\n"POP3 User"="carol"\r\n"POP3 Port"=dword:000003e3\r\n'
    '"POP3 Use SSL"=dword:00000001\r\n"Leave on Server"=dword:000e0003\r\n'
    '"POP3 Password"=hex:01,00,00,00,d0,8c,9d,df\r\n'
    '"SMTP Server"="smtp.example.org"\r\n"SMTP Port"=dword:0000024b\r\n"SMTP Use SSL"=dword:00000001\r\n'
    '"SMTP Secure Connection"=dword:00000002\r\n"SMTP Use Auth"=dword:00000001\r\n"SMTP Auth Method"=dword:00000000\r\n'
)


def test_outlook_reads_a_utf16_regedit_export(tmp_path: Path) -> None:
    reg = tmp_path / "outlook.reg"
    reg.write_bytes(b"\xff\xfe" + REG_EXPORT.encode("utf-16-le"))
    accounts, warnings = imported("outlook", reg)
    assert accounts == {
        "Carol": {
            "address": "carol@example.org",
            "display_name": "Cécile",
            "incoming": {"protocol": "pop3", "host": "pop.example.org", "port": 995, "security": "tls",
                         "auth": "password", "username": "carol", "leave_on_server": True, "leave_days": 14},
            "outgoing": {"host": "smtp.example.org", "port": 587, "security": "starttls", "auth": "password",
                         "username": "carol"},
        }
    }  # fmt: skip
    assert warnings == (
        f"{reg}:13:1: Outlook's stored password (DPAPI-encrypted) is not imported: set password_command",
    )


#: A REGEDIT4 export (regedit's "Win9x/NT4 Registration Files"): no byte-order mark, the ANSI code page; REG_SZ as a
#: "..." string, REG_EXPAND_SZ as hex(2) bytes in that code page, one byte a character, as regedit writes them
REGEDIT4 = (
    "REGEDIT4\r\n\r\n"
    "[HKEY_CURRENT_USER\\Software\\Microsoft\\Office\\16.0\\Outlook\\Profiles\\Outlook\\"
    "9375CFF0413111d3B88A00104B2A6676\\00000002]\r\n"
    '"clsid"="{ED475411-B0D6-11D2-8C3B-00104B2A6676}"\r\n'
    '"Account Name"="Work"\r\n"Email"="mueller@example.org"\r\n"Display Name"="{name}"\r\n'
    '"Organization"=hex(2):4d,fc,6c,6c,65,72,20,47,6d,62,48,00\r\n'
    '"POP3 Server"="pop.example.org"\r\n"POP3 User"="mueller"\r\n"POP3 Use SSL"=dword:00000001\r\n'
)
POP3 = {"protocol": "pop3", "host": "pop.example.org", "port": 995, "security": "tls", "auth": "password",
        "username": "mueller"}  # fmt: skip


def test_outlook_reads_a_regedit4_export_in_the_windows_ansi_code_page(tmp_path: Path) -> None:
    """regedit on a western Windows writes a REGEDIT4 file in cp1252: "Müller" is 4d fc 6c 6c 65 72. It stopped the
    import ("neither UTF-16LE (with a byte-order mark) nor UTF-8", exit 2), and hex(2) bytes in that code page were
    read as UTF-16LE: "ﱍ汬牥..." without a word. Now both are cp1252, as regedit reads them."""
    reg = tmp_path / "outlook.reg"
    reg.write_bytes(REGEDIT4.replace("{name}", "Jörg Müller").encode("cp1252"))
    assert b'"Display Name"="J\xf6rg M\xfcller"' in reg.read_bytes()
    accounts, warnings = imported("outlook", reg)
    assert (accounts, warnings) == (
        {"Work": {"address": "mueller@example.org", "display_name": "Jörg Müller", "organization": "Müller GmbH",
                  "incoming": POP3}},
        (),
    )  # fmt: skip
    # saved as UTF-8 by an editor: read as UTF-8, as before (hex bytes too: the file's encoding)
    reg.write_bytes(REGEDIT4.replace("{name}", "Jörg Müller").replace("4d,fc,", "4d,c3,bc,").encode("utf-8"))
    assert imported("outlook", reg)[0]["Work"]["display_name"] == "Jörg Müller"
    assert imported("outlook", reg)[0]["Work"]["organization"] == "Müller GmbH"


def test_outlook_reads_a_regedit4_export_in_the_code_page_encoding_names(tmp_path: Path) -> None:
    """A Russian Windows writes cp1251; --encoding names it (cp1252 read "Ìþëëåð"). A byte the code page does not
    have stops the import at its place."""
    reg = tmp_path / "outlook.reg"
    reg.write_bytes(REGEDIT4.replace("{name}", "Мюллер").encode("cp1251"))
    account = import_paths("outlook", [str(reg)], ReadOptions(encoding="cp1251")).accounts["Work"]
    assert (account["display_name"], account["organization"]) == ("Мюллер", "Mьller GmbH")  # hex(2) in cp1251 too
    reg.write_bytes(REGEDIT4.replace("{name}", "M\x81ller").encode("latin-1"))  # 0x81: no cp1252 character
    with pytest.raises(MailconfError) as refused:
        imported("outlook", reg)
    assert str(refused.value) == (
        f"{reg}:7:18: a byte (0x81) that is not cp1252 text; name the code page of the Windows that exported it with "
        "--encoding"
    )


def test_outlook_places_a_byte_not_in_the_code_page_as_regedit_reads_its_lines(tmp_path: Path) -> None:
    """The line and column of a byte the code page has no character for, in regedit's lines (a lone CR ends one too,
    as everywhere else in the file) and in characters (as the NUL and every other place is given): a file with CR
    line ends said 1:247, and a cp932 file 7:21 after two two-byte characters, for 7:19."""
    reg = tmp_path / "outlook.reg"
    reg.write_bytes(REGEDIT4.replace("{name}", "M\x81ller").replace("\r\n", "\r").encode("latin-1"))
    with pytest.raises(MailconfError) as refused:
        imported("outlook", reg)
    assert str(refused.value).startswith(f"{reg}:7:18: a byte (0x81) that is not cp1252 text; ")
    reg.write_bytes(REGEDIT4.replace("{name}", "表表").encode("cp932").replace(b"\x95\\\x95\\", b"\x95\\\x95\\\x85@"))
    with pytest.raises(MailconfError) as refused:
        import_paths("outlook", [str(reg)], ReadOptions(encoding="cp932"))
    assert str(refused.value).startswith(f"{reg}:7:19: a byte (0x85) that is not cp932 text; ")


@pytest.mark.parametrize(
    ("dword", "incoming", "note"),
    [
        ("000e0007", {"leave_on_server": True, "leave_days": 14},
         "bit 0x4 (remove from the server when deleted from Deleted Items)"),
        ("00000009", {"leave_on_server": True}, "bit 0x8 (unknown)"),
        ("0000000d", {"leave_on_server": True}, "bits 0xc (unknown)"),
        ("00000004", {"leave_on_server": False}, None),  # no copy is left: nothing to remove
    ],
    ids=["remove-on-nuke", "unknown", "both", "no-copy"],
)  # fmt: skip
def test_outlook_names_the_leave_on_server_bits_it_drops(
    tmp_path: Path, dword: str, incoming: dict[str, Any], note: str | None
) -> None:
    # REMOVE_ON_NUKE (0x4: remove from the server when deleted from Deleted Items) was dropped without a word
    reg = tmp_path / "outlook.reg"
    reg.write_bytes(REG_EXPORT.replace("dword:000e0003", f"dword:{dword}").encode())
    accounts, warnings = imported("outlook", reg)
    got = accounts["Carol"]["incoming"]
    assert {k: got.get(k) for k in ("leave_on_server", "leave_days")} == {"leave_days": None, **incoming}
    password = f"{reg}:13:1: Outlook's stored password (DPAPI-encrypted) is not imported: set password_command"
    dropped = f"{reg}:12:1: Leave on Server {note} not imported: an account file has no such setting"
    assert warnings == ((password, dropped) if note else (password,))


def test_outlook_joins_wrapped_hex_lines(tmp_path: Path) -> None:
    # regedit wraps a long hex value over lines ending in a backslash; they were joined one by one onto the
    # whole value so far: quadratic, 400,000 wrapped lines took 17 s (no time asserted)
    wrapped = "hex(1):" + ",\\\r\n  ".join(["43,00,e9,00", "63,00,69,00,6c,00", "65,00,00,00"])
    blob = "hex:" + "00,\\\r\n  " * 200_000 + "00"  # the values Outlook keeps beside the account, not read
    reg = tmp_path / "outlook.reg"
    reg.write_text(REG_EXPORT.replace("hex(1):43,00,e9,00,63,00,69,00,6c,00,65,00,00,00", wrapped)
                   + f'"Unread"={blob}\r\n', newline="")  # fmt: skip
    accounts, warnings = imported("outlook", reg)
    assert accounts["Carol"]["display_name"] == "Cécile"
    assert warnings == (
        f"{reg}:15:1: Outlook's stored password (DPAPI-encrypted) is not imported: set password_command",
    )


_PROFILE = "HKEY_CURRENT_USER\\Software\\Microsoft\\Office\\16.0\\Outlook\\Profiles\\Outlook"


@pytest.mark.parametrize(
    ("deletion", "alive"),
    [
        ("", True),
        (f"[-{_PROFILE}]", False),  # an ancestor
        (f"[-{_PROFILE}\\9375CFF0413111d3B88A00104B2A6676\\00000002\\X\\X]", False),  # case-insensitive
        (f"[-{_PROFILE}\\9375CFF0413111d3B88A00104B2A6676\\00000002\\x\\y]", True),  # another subkey
        (f"[-{_PROFILE}\\9375CFF0413111d3B88A00104B2A6676\\00000002\\x\\x" + "\\x" * 100_000 + "]", True),  # deeper
    ],
    ids=["none", "ancestor", "parent-case", "sibling", "child"],
)
def test_outlook_reads_a_key_of_any_depth_in_one_pass(tmp_path: Path, deletion: str, alive: bool) -> None:
    # each ancestor's name was joined anew to look it up among the deleted keys: quadratic in the key's depth,
    # a 200 KB key line took 20 s and this one did not end in minutes (no time asserted)
    key = "9375CFF0413111d3B88A00104B2A6676\\00000002]"
    reg = tmp_path / "outlook.reg"
    reg.write_text(REG_EXPORT.replace(key, key[:-1] + "\\x" * 100_000 + "]") + deletion + "\r\n", newline="")
    if alive:
        accounts, _ = imported("outlook", reg)
        assert accounts["Carol"]["address"] == "carol@example.org"
        return
    with pytest.raises(MailconfError) as raised:
        imported("outlook", reg)
    assert str(raised.value) == (
        f"{reg}:1:1: no outlook account found; check that the file is Outlook configuration, or choose another --from"
    )


_KEY = (
    "Windows Registry Editor Version 5.00\r\n\r\n"
    f"[{_PROFILE}\\9375CFF0413111d3B88A00104B2A6676\\00000001]\r\n"
    '"clsid"="{ED475412-B0D6-11D2-8C3B-00104B2A6676}"\r\n'
)
_IMAP = {"protocol": "imap", "host": "imap.example.org", "port": 143, "security": "none", "auth": "password"}


@pytest.mark.parametrize(
    ("values", "account"),
    [
        (  # a lone CR ends a line for regedit: the SMTP server was read into the address, and the account dropped
            '"Email"="ann@example.org"\r"SMTP Server"="smtp.example.org"\r"IMAP Server"="imap.example.org"\n',
            {
                "address": "ann@example.org",
                "incoming": _IMAP,
                "outgoing": {"host": "smtp.example.org", "port": 25, "security": "none", "auth": "none"},
            },
        ),
        (  # only a hex value goes on after a final backslash: a comment ending in one swallowed the address line
            '; exported from C:\\\r\n"Email"="ann@example.org"\r\n"IMAP Server"="imap.example.org"\r\n',
            {"address": "ann@example.org", "incoming": _IMAP},
        ),
        (  # regedit reads hex items of one digit (and blank and comment lines inside a wrapped value): "61,0,40,0"
            # was refused, and "6e,0,1,0" read as two bytes
            '"Email"=hex(1):61,0,6e,0,6e,0,40,0,\\\r\n\r\n; between\r\n  65,00,2e,0,6f,\t00,72,00,67,00,0,0 ; end\r\n'
            '"Display Name"=hex:41,0,\\ ; wrapped\r\n  6e,00,6e,00,00,00\r\n"IMAP Server"="imap.example.org"\r\n',
            {"address": "ann@e.org", "display_name": "Ann", "incoming": _IMAP},
        ),
        (  # spaces and tabs around = and a dword's digits, a comment after a value, as regedit reads them
            '"Email" =\t"ann@example.org" ; hers\r\n  "IMAP Port"= dword: 3e1 \r\n"IMAP Server"="imap.example.org"\r\n',
            {"address": "ann@example.org", "incoming": {**_IMAP, "port": 993}},
        ),
    ],
    ids=["lone-cr", "comment-backslash", "hex-items", "spacing"],
)
def test_outlook_reads_lines_as_regedit_does(tmp_path: Path, values: str, account: dict[str, Any]) -> None:
    reg = tmp_path / "outlook.reg"
    reg.write_bytes((_KEY + values).encode())
    accounts, warnings = imported("outlook", reg)
    assert (accounts, warnings) == ({"00000001": account}, ())


AUTOCONFIG = """<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="example.com">
    <domain>example.com</domain>
    <displayName>Example Mail</displayName>
    <incomingServer type="pop3">
      <hostname>pop.example.com</hostname><port>995</port><socketType>SSL</socketType>
      <authentication>password-encrypted</authentication><username>%EMAILLOCALPART%</username>
      <pop3><leaveMessagesOnServer>true</leaveMessagesOnServer><daysToLeaveMessagesOnServer>10</daysToLeaveMessagesOnServer></pop3>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.example.com</hostname><port>587</port><socketType>STARTTLS</socketType>
      <authentication>OAuth2</authentication><username>%EMAILADDRESS%</username>
    </outgoingServer>
  </emailProvider>
</clientConfig>
"""


def test_autoconfig_days_of_thousands_of_digits_are_left_out_not_the_account(tmp_path: Path) -> None:
    # int() of more than 4,300 digits raised ValueError (an internal error), then the schema refused the whole account;
    # Thunderbird takes the server (its days are Infinity): the server is kept, the days left out with a warning
    xml = tmp_path / "config-v1.1.xml"
    xml.write_text(AUTOCONFIG.replace(">10<", f">{'9' * 5000}<"))
    result = import_paths("autoconfig", [str(xml)], ReadOptions())
    assert (result.accounts["example.com"]["incoming"], result.warnings) == (
        {k: v for k, v in _POP3.items() if k != "leave_days"},
        (f'{xml}:9:7: <incomingServer type="pop3"> pop.example.com: daysToLeaveMessagesOnServer "{"9" * 64}"... '
         "(5000 characters) is not a number of days from 1 to 3650: left out",),
    )  # fmt: skip


_POP3 = {"protocol": "pop3", "host": "pop.example.com", "port": 995, "security": "tls", "auth": "password",
         "mechanisms": ["cram-md5"], "username": "you", "leave_on_server": True, "leave_days": 10}  # fmt: skip
_LEFT_OUT = (
    '{xml}:6:5: <incomingServer type="pop3"> pop.example.com left out: {why}; Thunderbird leaves such a server out too'
)


@pytest.mark.parametrize(
    ("socket", "incoming", "warning"),
    [
        ("", None, "no socketType"),
        ("<socketType>TLS1.2</socketType>", None, 'socketType "TLS1.2" is none of SSL, STARTTLS, plain'),
        # Thunderbird matches the value exactly, as the specification spells it: these were read as TLS
        ("<socketType>ssl</socketType>", None, 'socketType "ssl" is none of SSL, STARTTLS, plain'),
        ("<socketType>TLS</socketType>", None, 'socketType "TLS" is none of SSL, STARTTLS, plain'),
        ("<socketType> SSL </socketType>", None, 'socketType " SSL " is none of SSL, STARTTLS, plain'),
        ("<socketType></socketType><socketType>x</socketType>", None,
         'socketType "", "x" is none of SSL, STARTTLS, plain'),
        # Thunderbird takes the first it knows
        ("<socketType>TLS1.2</socketType><socketType>SSL</socketType>", _POP3, None),
        # the next server of its kind is imported instead, as Thunderbird takes it
        ("</incomingServer><incomingServer type='imap'><hostname>imap.example.com</hostname><port>993</port>"
         "<socketType>SSL</socketType>",
         {"protocol": "imap", "host": "imap.example.com", "port": 993, "security": "tls", "auth": "password",
          "mechanisms": ["cram-md5"], "username": "you"},
         "no socketType"),
    ],
    ids=["missing", "unknown", "lower-case", "tls", "spaces", "empty-and-unknown", "first-known", "next-server"],
)  # fmt: skip
def test_autoconfig_leaves_out_a_server_without_a_known_socket_type(
    tmp_path: Path, socket: str, incoming: dict[str, Any] | None, warning: str | None
) -> None:
    # it was imported as security: none, with no warning: a missing or misspelt socketType sent the password in
    # the clear, where Thunderbird refuses the server ("need proper <socketType> in XML")
    xml = tmp_path / "config-v1.1.xml"
    xml.write_text(AUTOCONFIG.replace("<socketType>SSL</socketType>", socket))
    accounts, warnings = imported("autoconfig", xml)
    assert (accounts["example.com"].get("incoming"), accounts["example.com"]["outgoing"]["security"]) == (
        incoming,
        "starttls",
    )
    assert warnings == ((_LEFT_OUT.format(xml=xml, why=warning),) if warning else ())


@pytest.mark.parametrize(
    ("old", "new", "side", "why"),
    [
        ("<port>587</port>", "", "outgoing", "no port"),
        ("<port>587</port>", "<port> </port>", "outgoing", '" " is not a port'),
        ("<port>995</port>", "<port></port>", "incoming", '"" is not a port'),
        # the account was refused for its empty host, where Thunderbird takes the next server
        ("<hostname>pop.example.com</hostname>", "<hostname> </hostname>", "incoming", "no hostname"),
        ("<hostname>smtp.example.com</hostname>", "", "outgoing", "no hostname"),
    ],
    ids=["outgoing-none", "outgoing-blank", "incoming-empty", "incoming-host", "outgoing-host"],
)
def test_autoconfig_leaves_out_a_server_without_a_port_as_thunderbird(
    tmp_path: Path, old: str, new: str, side: str, why: str
) -> None:
    # readFromXML requires an outgoing port and a number in any port element given: such a server was imported
    # on mailconf's default port, where Thunderbird leaves it out (and refuses a file without another one)
    xml = tmp_path / "config-v1.1.xml"
    xml.write_text(AUTOCONFIG.replace(old, new))
    accounts, warnings = imported("autoconfig", xml)
    tag, host, line = (
        ('outgoingServer type="smtp"', "smtp.example.com", 11)
        if side == "outgoing"
        else ('incomingServer type="pop3"', "pop.example.com", 6)
    )
    host = "" if why == "no hostname" else f" {host}"
    assert (side in accounts["example.com"], warnings) == (False, (
        f"{xml}:{line}:5: <{tag}>{host} left out: {why}; Thunderbird leaves such a server out too",
    ))  # fmt: skip


def test_autoconfig_skips_a_provider_without_a_domain_as_thunderbird_refuses_it(tmp_path: Path) -> None:
    # readFromXML throws "need proper <domain> in XML"; the import made up example.org (and %EMAILDOMAIN% hosts in
    # it), with exit 0
    xml = tmp_path / "config-v1.1.xml"
    xml.write_text(AUTOCONFIG.replace("<domain>example.com</domain>", "<domain> </domain><domain>example.net</domain>"))
    assert imported("autoconfig", xml)[0]["example.com"]["address"] == "you@example.net"
    xml.write_text(AUTOCONFIG.replace("<domain>example.com</domain>", ""))
    with pytest.raises(NoAccount) as raised:
        imported("autoconfig", xml)
    assert raised.value.warnings == (
        f'{xml}:3:3: emailProvider "example.com": no <domain>: Thunderbird refuses the file; skipped',
    )


_FIRST_OR_SECOND = """<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1"><emailProvider id="example.com"><domain>example.com</domain>
<incomingServer type="imap"><hostname>first.example.com</hostname>{in_port}<socketType>{socket}</socketType>
<authentication>{auth}</authentication><username>%EMAILADDRESS%</username></incomingServer>
<incomingServer type="imap"><hostname>second.example.com</hostname><port>143</port><socketType>STARTTLS</socketType>
<authentication>password-cleartext</authentication><username>%EMAILADDRESS%</username></incomingServer>
<outgoingServer type="smtp"><hostname>first.example.com</hostname>{out_port}<socketType>STARTTLS</socketType>
<authentication>password-cleartext</authentication><username>%EMAILADDRESS%</username></outgoingServer>
<outgoingServer type="smtp"><hostname>second.example.com</hostname><port>587</port><socketType>STARTTLS</socketType>
<authentication>password-cleartext</authentication><username>%EMAILADDRESS%</username></outgoingServer>
</emailProvider></clientConfig>
"""


def test_autoconfig_takes_the_servers_thunderbird_takes(tmp_path: Path) -> None:
    # Thunderbird's own readFromXML on each document: the first server, or the second when it leaves the first out
    need("thunderbird")
    good = {
        "in_port": "<port>993</port>",
        "socket": "SSL",
        "auth": "password-cleartext",
        "out_port": "<port>587</port>",
    }
    variants = [good, *({**good, "socket": s} for s in ("ssl", "TLS", " SSL ")),
                *({**good, "auth": a} for a in ("ntlm", " NTLM", "NTLM")),
                {**good, "in_port": "", "out_port": ""},
                {**good, "in_port": "<port></port>", "out_port": "<port> </port>"}]  # fmt: skip
    documents = [_FIRST_OR_SECOND.format(**v).encode() for v in variants]
    thunderbird = read_with_thunderbird(autoconfigs=[(d, "you@example.com") for d in documents])["autoconfig"]
    for number, (document, read) in enumerate(zip(documents, thunderbird, strict=True)):
        xml = tmp_path / f"{number}.xml"
        xml.write_bytes(document)
        account = imported("autoconfig", xml)[0]["example.com"]
        taken = {side: read["raw"][side][0]["hostname"] for side in ("incoming", "outgoing")}
        assert {side: account[side]["host"] for side in taken} == taken, variants[number]
    assert [read["raw"]["incoming"][0]["hostname"] for read in thunderbird] == [
        "first.example.com", *["second.example.com"] * 3, *["second.example.com"] * 2, "first.example.com",
        "first.example.com", "second.example.com",
    ]  # fmt: skip


def test_autoconfig_gives_the_provider_servers_and_asks_for_the_address(tmp_path: Path) -> None:
    xml = tmp_path / "config-v1.1.xml"
    xml.write_text(AUTOCONFIG)
    result = import_paths("autoconfig", [str(xml)], ReadOptions())
    assert result.text == (
        f"# imported by `mailconf import --from autoconfig` from {xml}\n"
        "version: 1\n"
        "accounts:\n"
        "  example.com:\n"
        "    address: you@example.com  # an autoconfig file describes a provider (Example Mail): put your own "
        "address here\n"
        "    incoming:\n"
        "      protocol: pop3\n"
        "      host: pop.example.com\n"
        "      port: 995\n"
        "      security: tls\n"
        "      auth: password\n"
        "      mechanisms: [cram-md5]\n"
        "      username: you\n"
        "      leave_on_server: true\n"
        "      leave_days: 10\n"
        "    outgoing:\n"
        "      host: smtp.example.com\n"
        "      port: 587\n"
        "      security: starttls\n"
        "      auth: oauth2\n"
    )
    declared = build_model({"version": 1, "accounts": {"mine": {
        "address": "me@example.com",
        "incoming": {"protocol": "pop3", "host": "pop.example.com", "port": 110, "security": "starttls"},
    }}})  # fmt: skip
    drift = compare("autoconfig", [str(xml)], declared, ReadOptions())
    # the YAML is compared as the autoconfig target writes it: one document per mail domain, named after it
    assert [str(d) for d in drift.differences] == [
        "account example.com: incoming.port: file says 995, YAML declares 110",
        "account example.com: incoming.security: file says tls, YAML declares starttls",
        "account example.com: incoming.username: file says you, YAML declares you@example.com",
        "account example.com: incoming.mechanisms: file says [cram-md5], YAML declares nothing",
        "account example.com: incoming.leave_on_server: file says true, YAML declares nothing",
        "account example.com: incoming.leave_days: file says 10, YAML declares nothing",
        "account example.com: outgoing: file says smtp://smtp.example.com:587, YAML declares nothing",
    ]


@pytest.mark.parametrize(
    ("old", "new", "side", "expected"),
    [
        # Thunderbird knows these only for an outgoing server: it sends without logging in; they were read as auth
        # password, and a client asked for a login the provider does not offer
        ("<authentication>OAuth2</authentication>", "<authentication>client-IP-address</authentication>",
         "outgoing", {"auth": "none"}),
        ("<authentication>OAuth2</authentication>", "<authentication>smtp-after-pop</authentication>",
         "outgoing", {"auth": "none"}),
        # an unknown one is skipped for the next, as Thunderbird skips it (it was read as password)
        ("<authentication>OAuth2</authentication>",
         "<authentication>XOAUTH3</authentication><authentication>NTLM</authentication>", "outgoing", {"auth": "ntlm"}),
        # Thunderbird matches the names exactly: "oauth2" is skipped for the next (it was read as OAuth2)
        ("<authentication>OAuth2</authentication>",
         "<authentication>oauth2</authentication><authentication>NTLM</authentication>", "outgoing", {"auth": "ntlm"}),
        ("<authentication>OAuth2</authentication>",
         "<authentication> GSSAPI</authentication><authentication>none</authentication>", "outgoing",
         {"auth": "none"}),
        # "secure" is Thunderbird's older name of password-encrypted (CRAM-MD5)
        ("<authentication>password-encrypted</authentication>", "<authentication>secure</authentication>",
         "incoming", {"auth": "password", "mechanisms": ["cram-md5"]}),
        # Thunderbird replaces each placeholder wherever it is in a username or a host name
        ("<username>%EMAILLOCALPART%</username>", "<username>%EMAILLOCALPART%@mail.%EMAILDOMAIN%</username>",
         "incoming", {"username": "you@mail.example.com"}),
        ("<hostname>pop.example.com</hostname>", "<hostname>pop.%EMAILDOMAIN%</hostname>",
         "incoming", {"host": "pop.example.com"}),
    ],
    ids=["client-ip", "smtp-after-pop", "next-known", "case", "spaces", "secure", "username-placeholders",
         "host-placeholder"],
)  # fmt: skip
def test_autoconfig_reads_authentication_and_placeholders_as_thunderbird(
    tmp_path: Path, old: str, new: str, side: str, expected: dict[str, Any]
) -> None:
    xml = tmp_path / "config-v1.1.xml"
    xml.write_text(AUTOCONFIG.replace(old, new))
    accounts, warnings = imported("autoconfig", xml)
    server = accounts["example.com"][side]
    assert ({k: server.get(k) for k in expected}, warnings) == (expected, ())


def test_autoconfig_leaves_out_a_server_without_a_known_authentication(tmp_path: Path) -> None:
    # Thunderbird leaves it out ("need proper <authentication> in XML"); it was imported as auth password
    xml = tmp_path / "config-v1.1.xml"
    xml.write_text(AUTOCONFIG.replace("<authentication>password-encrypted</authentication>",
                                      "<authentication>password-hashed</authentication>"))  # fmt: skip
    accounts, warnings = imported("autoconfig", xml)
    assert ("incoming" in accounts["example.com"], warnings) == (False, (
        f'{xml}:6:5: <incomingServer type="pop3"> pop.example.com left out: authentication "password-hashed" is none '
        "mailconf knows; Thunderbird leaves such a server out too",
    ))  # fmt: skip
    # with no server left, the error says why there is no account (it said only "no autoconfig account found")
    xml.write_text(AUTOCONFIG.replace("<authentication>OAuth2</authentication>", "")
                   .replace("<authentication>password-encrypted</authentication>", ""))  # fmt: skip
    with pytest.raises(NoAccount) as raised:
        imported("autoconfig", xml)
    assert (str(raised.value), raised.value.warnings[0]) == (
        f"{xml}:1:1: no autoconfig account found (the warnings above say what was left out); check that the file is "
        "Thunderbird autoconfig configuration, or choose another --from",
        f'{xml}:6:5: <incomingServer type="pop3"> pop.example.com left out: no authentication; Thunderbird leaves such '
        "a server out too",
    )  # the command prints the warnings first (test_import_cli.py)
    assert len(raised.value.warnings) == 3


def test_autoconfig_password_is_never_copied_and_is_said(tmp_path: Path) -> None:
    # Thunderbird stores a <password> the file gives: it was dropped without a word (exit 0)
    xml = tmp_path / "config-v1.1.xml"
    password = "<username>%EMAILADDRESS%</username>\n<password>hunter2-secret</password>"
    xml.write_text(AUTOCONFIG.replace("<username>%EMAILADDRESS%</username>", password))
    result = import_paths("autoconfig", [str(xml)], ReadOptions())
    assert result.warnings == (
        f"{xml}:14:1: the file holds a literal password (not imported): store it in a password manager and set "
        "password_command to the command that prints it",
    )
    assert "hunter2" not in result.text
    assert f"# {xml}:14: the file holds a literal password" in result.text


MBSYNCRC = """\
IMAPAccount work
Host imap.example.com
User "alice@example.com"
PassCmd "+pass show \\"mail\\""
SSLType IMAPS
SSLVersions TLSv1.2 TLSv1.3
CertificateFile /etc/ssl/certs/ca-certificates.crt
AuthMechs LOGIN PLAIN
PipelineDepth 1

IMAPStore work-remote
Account work

IMAPAccount home
Host imap.example.net
User bob@example.net
Pass hunter2-secret
"""


def test_mbsync_reads_an_imap_account_and_reports_what_it_cannot_hold(tmp_path: Path) -> None:
    rc = tmp_path / "mbsyncrc"
    rc.write_text(MBSYNCRC)
    result = import_paths("mbsync", [str(rc)], ReadOptions())
    assert {k: dict(v) for k, v in result.accounts.items()} == {
        "work": {
            "address": "alice@example.com",
            "incoming": {"protocol": "imap", "host": "imap.example.com", "port": 993, "security": "tls",
                         "auth": "password", "username": "alice@example.com",
                         "password_command": 'pass show "mail"', "mechanisms": ["login", "plain"],
                         "tls": {"min_version": "1.2", "ca_file": "/etc/ssl/certs/ca-certificates.crt"}},
        },
        "home": {
            "address": "bob@example.net",
            "incoming": {"protocol": "imap", "host": "imap.example.net", "port": 143, "security": "starttls",
                         "auth": "password", "username": "bob@example.net"},
        },
    }  # fmt: skip
    assert result.warnings == (  # (Pass beside PassCmd: mbsync refuses the file)
        f"{rc}:9:1: mbsync's pipelinedepth has no place in an account file",
        f"{rc}:4:1: PassCmd +: the command prompts on the terminal",
        f"{rc}:17:1: the file holds a literal password (not imported): store it in a password manager and set "
        "password_command to the command that prints it",
    )
    assert "hunter2" not in result.text


def test_thunderbird_profile_user_js_wins_and_pins_come_from_cert_override(tmp_path: Path) -> None:
    (tmp_path / "prefs.js").write_text(
        '// Mozilla User Preferences\n'
        'user_pref("mail.accountmanager.accounts", "account1,account2");\n'
        'user_pref("mail.account.account1.server", "server1");\n'
        'user_pref("mail.account.account1.identities", "id1");\n'
        'user_pref("mail.account.account2.server", "server2");\n'
        'user_pref("mail.server.server1.type", "imap");\n'
        'user_pref("mail.server.server1.hostname", "imap.example.com");\n'
        'user_pref("mail.server.server1.port", 993);\n'
        'user_pref("mail.server.server1.socketType", 3);\n'
        'user_pref("mail.server.server1.userName", "alice");\n'
        'user_pref("mail.server.server1.name", "Work mail");\n'
        'user_pref("mail.server.server2.type", "none");\n'
        'user_pref("mail.identity.id1.useremail", "alice@example.com");\n'
        'user_pref("mail.smtpservers", "smtp1");\n'
        'user_pref("mail.smtp.defaultserver", "smtp1");\n'
        'user_pref("mail.smtpserver.smtp1.hostname", "smtp.example.com");\n'
        'user_pref("mail.smtpserver.smtp1.port", 465);\n'
        'user_pref("mail.smtpserver.smtp1.try_ssl", 3);\n'
        'user_pref("mail.smtpserver.smtp1.username", "alice");\n'
    )  # fmt: skip
    (tmp_path / "user.js").write_text('user_pref("mail.server.server1.authMethod", 10);\n')
    (tmp_path / "cert_override.txt").write_text(
        "# PSM Certificate Override Settings file\n"
        "imap.example.com:993:\tOID.2.16.840.1.101.3.4.2.1\t" + ":".join(["AB"] * 32) + "\t\n"
    )
    accounts, warnings = imported("thunderbird", tmp_path)
    assert warnings == (f'{tmp_path}/prefs.js:6:1: account "Work mail" is imported as "Work-mail" (names hold '
                        "letters, digits, '.', '_', '-')",)  # fmt: skip
    assert accounts == {
        "Work-mail": {
            "address": "alice@example.com",
            "incoming": {"protocol": "imap", "host": "imap.example.com", "port": 993, "security": "tls",
                         "auth": "oauth2", "tls": {"fingerprint": "sha256:" + ":".join(["AB"] * 32)},
                         "username": "alice"},
            "outgoing": {"host": "smtp.example.com", "port": 465, "security": "tls", "auth": "password",
                         "username": "alice"},
        }
    }  # fmt: skip


def test_thunderbird_identities_after_the_first_are_said(tmp_path: Path) -> None:
    # an account sends from each of its identities (another address, name, SMTP server); only the first was
    # imported, and the others were dropped without a word
    prefs = tmp_path / "prefs.js"
    prefs.write_text(
        'user_pref("mail.accountmanager.accounts", "account1");\n'
        'user_pref("mail.account.account1.server", "server1");\n'
        'user_pref("mail.account.account1.identities", "id1,id2,id3");\n'
        'user_pref("mail.server.server1.type", "imap");\n'
        'user_pref("mail.server.server1.hostname", "imap.example.com");\n'
        'user_pref("mail.server.server1.socketType", 3);\n'
        'user_pref("mail.identity.id1.useremail", "alice@example.com");\n'
        'user_pref("mail.identity.id2.useremail", "sales@example.com");\n'
    )  # fmt: skip
    accounts, warnings = imported("thunderbird", prefs)
    assert warnings == (
        f"{prefs}:3:1: 2 more identities (sales@example.com, id3) not imported: an account has one address; declare "
        "an account for each",
    )
    assert accounts == {
        "account1": {
            "address": "alice@example.com",
            "incoming": {"protocol": "imap", "host": "imap.example.com", "port": 993, "security": "tls",
                         "auth": "password"},
        }
    }  # fmt: skip


#: port texts that are not plain digits, and what Thunderbird's readFromXML makes of each (JXON's parseText, then
#: InputSanitizer.integerRange(1, 65535): parseFloat for what Number() reads as finite, else parseInt; a port it
#: refuses leaves the server out): checked against Thunderbird 153 by the next test
_PORT_TEXTS = {
    "993abc": 993, "993 abc": 993, " 993 ": 993, "\u00a0993": 993, "+993": 993, "0993": 993, "993.7": 993,
    "1e3": 1000, "1e400": 1, "012": 12,
    "0x3e1": None, "-993": None, "99999": None, "abc": None, "\uff19\uff19\uff13": None, "true": None,
    "Infinity": None, "0x": None,
}  # fmt: skip


def _first_or_second(port: str) -> bytes:
    return _FIRST_OR_SECOND.format(
        in_port=f"<port>{port}</port>", socket="SSL", auth="password-cleartext", out_port="<port>587</port>"
    ).encode()


def test_autoconfig_reads_a_port_as_thunderbird_reads_it(tmp_path: Path) -> None:
    # a port that was not ASCII digits ("993abc") left the whole account out (the schema refused the text), where
    # Thunderbird takes parseInt's 993; one Thunderbird refuses ("0x3e1") must leave the server out, not the account
    need("thunderbird")
    thunderbird = read_with_thunderbird(autoconfigs=[(_first_or_second(p), "you@example.com") for p in _PORT_TEXTS])
    real = {port: read["raw"]["incoming"][0] for port, read in zip(_PORT_TEXTS, thunderbird["autoconfig"], strict=True)}
    expected = {p: ("first.example.com", n) if n else ("second.example.com", 143) for p, n in _PORT_TEXTS.items()}
    assert {p: (r["hostname"], r["port"]) for p, r in real.items()} == expected
    got = {}
    for number, port in enumerate(_PORT_TEXTS):
        xml = tmp_path / f"{number}.xml"
        xml.write_bytes(_first_or_second(port))
        incoming = imported("autoconfig", xml)[0]["example.com"]["incoming"]
        got[port] = (incoming["host"], incoming["port"])
    assert got == expected


def test_autoconfig_says_how_thunderbird_reads_a_port_that_is_not_digits(tmp_path: Path) -> None:
    xml = tmp_path / "config-v1.1.xml"
    xml.write_text(AUTOCONFIG.replace("<port>995</port>", "<port>995abc</port>"))
    accounts, warnings = imported("autoconfig", xml)
    assert accounts["example.com"]["incoming"]["port"] == 995
    assert warnings == (
        f'{xml}:6:5: <incomingServer type="pop3"> pop.example.com: port "995abc" is read as 995, as Thunderbird '
        "reads it (JavaScript's parseInt): write 995",
    )
    xml.write_text(AUTOCONFIG.replace("<port>995</port>", "<port>0x3e3</port>"))
    accounts, warnings = imported("autoconfig", xml)
    assert ("incoming" in accounts["example.com"], warnings) == (False, (
        f'{xml}:6:5: <incomingServer type="pop3"> pop.example.com left out: "0x3e3" is not a port; Thunderbird '
        "leaves such a server out too",
    ))  # fmt: skip


def test_a_fetchmailrc_certificate_folder_and_name_are_said_at_the_account(tmp_path: Path) -> None:
    # they were counted with fetchmail's delivery and daemon settings ("9 delivery or daemon settings (uidl, no
    # dns, fetchall, is and 3 more) are not account settings"): a published rc's sslcertpath went unnamed
    rc = tmp_path / "fetchmailrc"
    rc.write_text(
        "poll pop.example.com proto POP3 uidl\n"
        "    user 'alice@example.com' there options keep ssl sslcertck\n"
        "    sslcertpath /etc/ssl/certs sslcommonname mail.example.net\n"
    )
    result = import_paths("fetchmail", [str(rc)], ReadOptions())
    assert result.warnings == (
        f'{rc}:3:5: sslcertpath "/etc/ssl/certs": fetchmail checks the server certificate against the CA '
        "certificates of this folder, and an account file names a CA file (tls.ca_file), not a folder: not imported",
        f'{rc}:3:32: sslcommonname "mail.example.net": fetchmail checks the server certificate for this name in '
        "place of the host name, which an account file cannot say: not imported",
        f"{rc}:1:33: 1 delivery or daemon setting (uidl) is not an account setting: not imported",
    )
    assert result.accounts["pop.example.com"]["incoming"] == {
        "protocol": "pop3", "host": "pop.example.com", "port": 995, "security": "tls", "auth": "password",
        "username": "alice@example.com", "leave_on_server": True,
    }  # fmt: skip
