"""A pref set more than once in prefs.js and user.js, imported as Thunderbird reads it (libpref's
Pref::SetDefaultValue / SetUserValue): the last default, the user value over it, a value of another type
ignored, ``sticky`` and ``locked`` a syntax error in these files. Each case is checked against a real
Thunderbird 153 reading the same two files, and through ``mailconf import`` for the exact imported value."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mailconf.cli import main
from mailconf.importers._prefs import Slot, parse, set_pref
from tests.conftest import need
from tests.targets._marionette import thunderbird, write_user_js

#: name -> (its lines in prefs.js, its lines in user.js, the value Thunderbird reads or None when it has none)
CASES: dict[str, tuple[str, str, Any]] = {
    "two_defaults": ('pref("N", "one");\npref("N", "two");\n', "", "two"),
    "two_user_values": ('user_pref("N", 1);\nuser_pref("N", 2);\n', "", 2),
    "user_over_default": ('pref("N", 1);\nuser_pref("N", 2);\npref("N", 3);\n', "", 2),
    "user_js_default_after": ('user_pref("N", 7);\n', 'pref("N", 1);\n', 7),
    "user_js_wins": ('user_pref("N", 1);\n', 'user_pref("N", 5);\n', 5),
    "user_changes_its_type": ('user_pref("N", 1);\n', 'user_pref("N", "s");\n', "s"),
    "user_of_another_type": ('pref("N", 1);\nuser_pref("N", "s");\n', "", 1),
    "default_of_another_type": ('user_pref("N", 5);\npref("N", "x");\n', "", 5),
    "default_after_type_change": ('user_pref("N", 1);\nuser_pref("N", true);\npref("N", 2);\n', "", True),
    "bool_default_then_int_user": ('pref("N", true);\n', 'user_pref("N", 4);\n', True),
    "locked_is_an_error": ('pref("N", 1, locked);\nuser_pref("N", 2);\n', "", 2),
    "locked_default_dropped": ('user_pref("N", 5);\n', 'pref("N", 9, locked);\n', 5),
    "sticky_attribute_dropped": ('pref("N", 1, sticky);\n', "", None),
    "sticky_pref": ('sticky_pref("N", 3);\n', "", 3),
    "user_pref_locked_dropped": ('user_pref("N", 1, locked);\n', "", None),
}


def _files() -> tuple[str, str]:
    prefs_js = "".join(c[0].replace('"N"', f'"mailconf.t.{n}"') for n, c in CASES.items())
    user_js = "".join(c[1].replace('"N"', f'"mailconf.t.{n}"') for n, c in CASES.items())
    return prefs_js, user_js


def we_read(prefs_js: str, user_js: str) -> dict[str, Any]:
    """What the importer resolves from the two files (in Thunderbird's order), by pref name."""
    slots: dict[str, Slot[str]] = {}
    for file, text in (("prefs.js", prefs_js), ("user.js", user_js)):
        for pref in parse(text, attributes=False).prefs:
            slots[pref.name] = set_pref(slots.get(pref.name), pref, file)
    return {name: slot.value[0] for name, slot in slots.items()}


@pytest.mark.parametrize("name", CASES)
def test_each_case_resolves_as_libpref_does(name: str) -> None:
    prefs_js, user_js, expected = CASES[name]
    assert we_read(prefs_js, user_js).get("N") == expected


READ_BACK = """
const out = {};
for (const name of arguments[0]) {
  const type = Services.prefs.getPrefType(name);
  out[name] = type == 32 ? Services.prefs.getStringPref(name) : type == 64 ? Services.prefs.getIntPref(name)
    : type == 128 ? Services.prefs.getBoolPref(name) : null;
}
return out;
"""


@pytest.fixture(scope="module")
def thunderbird_read() -> Iterator[dict[str, Any]]:
    need("thunderbird")
    prefs_js, user_js = _files()
    with tempfile.TemporaryDirectory(prefix="mailconf-prefs-resolve-") as tmp:
        profile = Path(tmp)
        write_user_js(profile, user_js)  # the harness prefs come after: other names
        (profile / "prefs.js").write_text(prefs_js, encoding="utf-8")
        with thunderbird(profile) as client:
            yield client.execute(READ_BACK, [[f"mailconf.t.{n}" for n in CASES]])


@pytest.mark.real
@pytest.mark.parametrize("name", CASES)
def test_thunderbird_reads_each_case_as_the_import_does(thunderbird_read: dict[str, Any], name: str) -> None:
    value = thunderbird_read[f"mailconf.t.{name}"]
    assert (type(value), value) == (type(CASES[name][2]), CASES[name][2])


def test_the_real_thunderbird_cases_are_the_import_cases() -> None:
    prefs_js, user_js = _files()
    got = we_read(prefs_js, user_js)
    assert {n: got.get(f"mailconf.t.{n}") for n in CASES} == {n: c[2] for n, c in CASES.items()}


ACCOUNT = """\
user_pref("mail.accountmanager.accounts", "account1");
user_pref("mail.account.account1.server", "server1");
user_pref("mail.account.account1.identities", "id1");
user_pref("mail.server.server1.type", "imap");
user_pref("mail.server.server1.name", "work");
user_pref("mail.server.server1.hostname", "imap.example.com");
user_pref("mail.server.server1.socketType", 3);
user_pref("mail.identity.id1.useremail", "alice@example.com");
"""


@pytest.mark.parametrize(
    ("prefs_js", "user_js", "port", "err"),
    [
        # the reviewer's case: two defaults, the last one is Thunderbird's (the first was imported)
        ('pref("mail.server.server1.port", 993);\npref("mail.server.server1.port", 1993);\n', "", 1993, ""),
        ('user_pref("mail.server.server1.port", 1993);\n', 'pref("mail.server.server1.port", 2993);\n', 1993, ""),
        (  # dropped as Thunderbird drops it, and said: it was dropped without a word
            'pref("mail.server.server1.port", 1993);\n',
            'user_pref("mail.server.server1.port", "2993");\n',
            1993,
            "mailconf: warning: {profile}/user.js:1:1: mail.server.server1.port: a string, where the value set before "
            "it ({profile}/prefs.js:9:1) is an integer: Thunderbird ignores this value (so does this import); write "
            "the number without quotes\n",
        ),
        (
            'pref("mail.server.server1.port", 1993, locked);\nuser_pref("mail.server.server1.port", 2993);\n',
            "",
            2993,
            "mailconf: warning: {profile}/prefs.js:9:38: prefs syntax error: expected ')' after pref value; "
            "Thunderbird skips to the next ';' (so does this import)\n",
        ),
    ],
)
def test_the_imported_port_is_the_one_thunderbird_reads(  # noqa: PLR0917 (pytest parameters)
    capsys: pytest.CaptureFixture[str], tmp_path: Path, prefs_js: str, user_js: str, port: int, err: str
) -> None:
    (tmp_path / "prefs.js").write_text(ACCOUNT + prefs_js, encoding="utf-8")
    if user_js:
        (tmp_path / "user.js").write_text(user_js, encoding="utf-8")
    code = main(["import", "--from", "thunderbird", str(tmp_path)])
    out, got_err = capsys.readouterr()
    assert (code, got_err) == (1 if err else 0, err.format(profile=tmp_path))
    assert f"      host: imap.example.com\n      port: {port}\n      security: tls\n" in out


WRONG_TYPES = """\
user_pref("mail.server.server1.port", "1993");
user_pref("mail.server.server1.authMethod", "4");
user_pref("mailnews.tcptimeout", "30");
user_pref("mail.server.server1.userName", 7);
"""

READ_SERVER = """
const s = MailServices.accounts.getIncomingServer("server1");
return {port: s.port, authMethod: s.authMethod, username: s.username,
        tcptimeout: Services.prefs.getIntPref("mailnews.tcptimeout")};
"""


@pytest.mark.real
def test_a_value_of_the_wrong_type_is_ignored_as_thunderbird_ignores_it_and_said(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # a port (authMethod, mailnews.tcptimeout) written as a string, a userName as a number: Thunderbird 153 reads
    # none of them (libpref keeps mailnews.tcptimeout an integer, its built-in default's type; the mail code reads
    # the others with GetIntPref / GetCharPref, which fail, and takes the default). The import made the account
    # invalid (port "1993") or dropped the value without a word (the timeout)
    need("thunderbird")
    with tempfile.TemporaryDirectory(prefix="mailconf-prefs-types-") as tmp:
        profile = Path(tmp)
        write_user_js(profile, "")
        (profile / "prefs.js").write_text(ACCOUNT + WRONG_TYPES, encoding="utf-8")
        with thunderbird(profile) as client:
            real = client.execute(READ_SERVER)
    assert real == {"port": 993, "authMethod": 3, "username": "", "tcptimeout": 100}
    (tmp_path / "prefs.js").write_text(ACCOUNT + WRONG_TYPES, encoding="utf-8")
    code = main(["import", "--from", "thunderbird", str(tmp_path)])
    out, err = capsys.readouterr()
    prefs = tmp_path / "prefs.js"
    ignored = "Thunderbird ignores this value and uses its default (so does this import)"
    assert (code, err) == (
        1,
        f"mailconf: warning: {prefs}:11:1: mailnews.tcptimeout: a string, where Thunderbird reads an integer: "
        f"{ignored}; write the number without quotes\n"
        f"mailconf: warning: {prefs}:9:1: mail.server.server1.port: a string, where Thunderbird reads an integer: "
        f"{ignored}; write the number without quotes\n"
        f"mailconf: warning: {prefs}:12:1: mail.server.server1.userName: an integer, where Thunderbird reads a "
        f"string: {ignored}; quote it\n"  # read with the port, to find an earlier account of the same server
        f"mailconf: warning: {prefs}:10:1: mail.server.server1.authMethod: a string, where Thunderbird reads an "
        f"integer: {ignored}; write the number without quotes\n",
    )
    assert out.endswith(
        "  work:\n    address: alice@example.com\n    incoming:\n      protocol: imap\n      host: imap.example.com\n"
        "      port: 993\n      security: tls\n      auth: password\n"
    )
