"""A hand-written .reg, merged into a real registry hive by hivexregedit and exported again, imports to
the same accounts as the file itself: the importer reads "..." strings, dwords and hex(1) text as the
registry stores them."""

from __future__ import annotations

import subprocess
from pathlib import Path

from mailconf.importers import ReadOptions
from mailconf.importers._core import ImportResult, import_paths
from tests.conftest import need
from tests.targets._hive import merge_and_export

PROFILES = "HKEY_CURRENT_USER\\Software\\Microsoft\\Office\\16.0\\Outlook\\Profiles"
ACCOUNTS = f"{PROFILES}\\Outlook\\9375CFF0413111d3B88A00104B2A6676"

REG = (
    "Windows Registry Editor Version 5.00\r\n\r\n"
    f"[{ACCOUNTS}\\00000003]\r\n"
    '"clsid"="{ED475412-B0D6-11D2-8C3B-00104B2A6676}"\r\n'
    '"Account Name"="Dave \\"D\\" Example\\\\work"\r\n'
    '"Email"="dave@example.net"\r\n'
    '"Display Name"="Dave Example"\r\n'
    '"IMAP Server"="imap.example.net"\r\n"IMAP User"="dave\\\\corp"\r\n"IMAP Port"=dword:000003e1\r\n'
    '"IMAP Use SSL"=dword:00000001\r\n"IMAP Use SPA"=dword:00000001\r\n'
    '"SMTP Server"="smtp.example.net"\r\n"SMTP Port"=dword:000001d1\r\n"SMTP Secure Connection"=dword:00000001\r\n'
    '"SMTP Use Auth"=dword:00000001\r\n"SMTP Auth Method"=dword:00000001\r\n"SMTP User"="dave-smtp"\r\n'
)


def imported_both(tmp_path: Path, text: str, name: str) -> tuple[ImportResult, ImportResult, bytes]:
    """``text`` imported from the file NAME as it is, and from the export of the hive hivexregedit merged it into
    (the hive accepts the file); and that export."""
    need("hivexregedit")
    original = tmp_path / name
    original.write_bytes(text.encode("ascii"))
    merge_and_export(tmp_path, text.encode("ascii"), ACCOUNTS, PROFILES)
    done = subprocess.run(
        ["hivexregedit", "--export", "--prefix", "HKEY_CURRENT_USER", str(tmp_path / "NTUSER.DAT"),
         PROFILES.removeprefix("HKEY_CURRENT_USER")],
        capture_output=True, check=True,
    )  # fmt: skip
    exported = tmp_path / "exported.reg"
    exported.write_bytes(done.stdout)
    read = ReadOptions()
    return import_paths("outlook", [str(original)], read), import_paths("outlook", [str(exported)], read), done.stdout


def test_a_reg_file_and_its_hive_export_import_alike(tmp_path: Path) -> None:
    mine, hives = (imported.accounts for imported in imported_both(tmp_path, REG, "hand.reg")[:2])
    assert {k: dict(v) for k, v in mine.items()} == {k: dict(v) for k, v in hives.items()} == {
        "Dave-D-Example-work": {
            "address": "dave@example.net",
            "display_name": "Dave Example",
            "incoming": {"protocol": "imap", "host": "imap.example.net", "port": 993, "security": "tls",
                         "auth": "ntlm", "username": "dave\\corp"},
            "outgoing": {"host": "smtp.example.net", "port": 465, "security": "tls", "auth": "password",
                         "username": "dave-smtp"},
        }
    }  # fmt: skip


def test_a_hex4_value_is_the_dword_the_registry_stores(tmp_path: Path) -> None:
    # hex(4): is REG_DWORD written as bytes (the hive stores it as one: its export says dword:); the importer kept
    # it as binary data, read as absent: the SMTP port 465 below became 25 with exit 0
    text = REG.replace('"SMTP Port"=dword:000001d1', '"SMTP Port"=hex(4):d1,01,00,00')
    mine, hives, exported = imported_both(tmp_path, text, "hex4.reg")
    assert b'"SMTP Port"=dword:000001d1' in exported
    assert mine.accounts["Dave-D-Example-work"]["outgoing"]["port"] == 465
    assert mine.accounts == hives.accounts


def test_a_key_given_twice_is_merged_as_the_registry_merges_it(tmp_path: Path) -> None:
    # regedit (and hivexregedit) merge a .reg file key by key: a key given again adds its values to the first, a
    # later value of the same name replacing it. The importer made the second block a key of its own, which has no
    # clsid: its values were dropped, and the port and organization below were lost with exit 0
    twice = (
        REG + f"\r\n[{ACCOUNTS.upper()}\\00000003]\r\n"  # registry key names are case-insensitive
        '"IMAP Port"=dword:00000457\r\n"Organization"="Example Corp"\r\n'
    )
    mine, hives, _ = imported_both(tmp_path, twice, "twice.reg")
    assert [w.partition(": ")[2] for w in (*mine.warnings, *hives.warnings)] == [
        'account "Dave \\"D\\" Example\\\\work" is imported as "Dave-D-Example-work" (names hold letters, digits, '
        "'.', '_', '-')"
    ] * 2
    assert {k: dict(v) for k, v in mine.accounts.items()} == {k: dict(v) for k, v in hives.accounts.items()} == {
        "Dave-D-Example-work": {
            "address": "dave@example.net",
            "display_name": "Dave Example",
            "organization": "Example Corp",
            "incoming": {"protocol": "imap", "host": "imap.example.net", "port": 1111, "security": "tls",
                         "auth": "ntlm", "username": "dave\\corp"},
            "outgoing": {"host": "smtp.example.net", "port": 465, "security": "tls", "auth": "password",
                         "username": "dave-smtp"},
        }
    }  # fmt: skip


def test_deletions_are_applied_as_the_registry_applies_them(tmp_path: Path) -> None:
    # `"Name"=-` deletes a value and `[-KEY]` a key with its subkeys, in file order: the import stopped with "a value
    # of an unknown type" at the first. Each deletion is in a later block than what it deletes, where regedit and
    # hivexregedit agree (hivexregedit applies a block's deletions before its values, whatever their order).
    pop3 = (
        f"[{ACCOUNTS}\\00000004]\r\n"
        '"clsid"="{ED475411-B0D6-11D2-8C3B-00104B2A6676}"\r\n"Account Name"="old"\r\n"Email"="old@example.net"\r\n'
        '"POP3 Server"="pop.example.net"\r\n'
        f"\r\n[{ACCOUNTS}\\00000004\\Sub]\r\n" '"x"="y"\r\n'
    )  # fmt: skip
    deletions = (
        REG + "\r\n" + pop3 + "\r\n"
        f"[{ACCOUNTS}\\00000003]\r\n"
        '"IMAP Port"=-\r\n"Display Name"=-\r\n"SMTP User"=-\r\n"Organization"=-\r\n\r\n'  # Organization: never set
        f"[-{ACCOUNTS.upper()}\\00000004]\r\n\r\n"  # the key and its subkey
        f"[-{ACCOUNTS}\\00000005]\r\n\r\n"  # a key that is not there: nothing to delete
    )
    imported, from_hive, exported = imported_both(tmp_path, deletions, "deletions.reg")
    assert b"00000004" not in exported
    mine, hives = imported.accounts, from_hive.accounts
    assert {k: dict(v) for k, v in mine.items()} == {k: dict(v) for k, v in hives.items()} == {
        "Dave-D-Example-work": {
            "address": "dave@example.net",
            "incoming": {"protocol": "imap", "host": "imap.example.net", "port": 993, "security": "tls",
                         "auth": "ntlm", "username": "dave\\corp"},
            "outgoing": {"host": "smtp.example.net", "port": 465, "security": "tls", "auth": "password"},
        }
    }  # fmt: skip


def test_a_deleted_key_given_again_is_made_anew(tmp_path: Path) -> None:
    # after [-KEY], a later [KEY] is a new key: none of the values before the deletion are in it
    again = (
        REG + f"\r\n[-{ACCOUNTS}\\00000003]\r\n\r\n"
        f"[{ACCOUNTS}\\00000003]\r\n"
        '"clsid"="{ED475411-B0D6-11D2-8C3B-00104B2A6676}"\r\n"Email"="new@example.org"\r\n'
        '"POP3 Server"="pop.example.org"\r\n'
    )
    mine, hives = (imported.accounts for imported in imported_both(tmp_path, again, "again.reg")[:2])
    assert {k: dict(v) for k, v in mine.items()} == {k: dict(v) for k, v in hives.items()} == {
        "00000003": {
            "address": "new@example.org",
            "incoming": {"protocol": "pop3", "host": "pop.example.org", "port": 110, "security": "none",
                         "auth": "password"},
        }
    }  # fmt: skip
