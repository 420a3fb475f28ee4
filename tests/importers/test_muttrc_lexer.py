"""The muttrc lexer reads values as mutt and neomutt read them (``-Q``), for quoting a hand-written file uses.

No value here holds a backtick or ``$``: ``-Q`` would run or expand them, and the lexer
never does (tests/importers/test_import_cli.py checks that nothing is run); but for the password commands of
test_a_password_command_is_one_however_the_equals_sign_is_spaced, harmless ``echo``s the client runs in a
throwaway HOME. Only ``source`` paths expand ``$NAME`` from the environment, as the client does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mailconf.importers import ReadOptions, Unreadable
from mailconf.importers._base import Collector
from mailconf.importers._core import import_paths
from mailconf.importers._muttrc import _read_file, _Reading, lex
from mailconf.targets.mutt import DIALECT
from tests.conftest import need
from tests.targets._mutt_client import Client, parse

MUTTRC = r"""# quoting as people write it
set from = "alice@example.com" hostname="mail\"example\".com"
set realname='O'\''Brien'   ;  set imap_user = alice\ smith
set folder = imaps://imap.example.com:993/ # a comment after the value
set ssl_ca_certificates_file = "/etc/ssl/a b.pem" ssl_starttls=no
set smtp_url = 'smtps://alice%40example.com@smtp.example.com:465/' \
    connect_timeout = 45
set pop_user = "back\\slash\101" imap_authenticators="plain:login"
set ssl_force_tls
unset ssl_verify_host
set pop_host = "pops://pop.example.com\072995/"
"""

VARIABLES = (
    "from", "hostname", "imap_user", "folder", "ssl_ca_certificates_file", "ssl_starttls", "smtp_url",
    "connect_timeout", "pop_user", "imap_authenticators", "ssl_force_tls", "ssl_verify_host", "pop_host",
)  # fmt: skip


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
def test_the_lexer_reads_values_as_the_client_does(binary: str, tmp_path: Path) -> None:
    need(binary)
    rc = tmp_path / "muttrc"
    rc.write_text(MUTTRC)
    client = Client(binary, tmp_path)
    real = client.query(rc, VARIABLES)
    reading = _Reading(ReadOptions(), DIALECT, Collector())
    _read_file(reading, str(rc))
    settings = reading.settings
    ours = {name: settings[name].value for name in VARIABLES}
    assert ours == real
    assert settings["realname"].value == "O'Brien"


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
def test_a_set_command_stops_where_the_client_stops_it(binary: str, tmp_path: Path) -> None:
    # "set", "unset"... is no variable: the client stops the command there ("set: unknown variable") and sets
    # nothing after it on the line. A file saved with CR line ends is one such line: the importer set them all
    need(binary)
    rc = tmp_path / "muttrc"
    rc.write_bytes(
        b"set folder='imaps://imap.example.org/'\rset imap_user='alice'\rset from='a@example.org'\r\n"
        b"set pop_user='bob' unset smtp_url='smtp://smtp.example.org/'\n"
    )
    names = ("folder", "imap_user", "from", "pop_user", "smtp_url")
    proc = Client(binary, tmp_path).run(rc, *(a for n in names for a in ("-Q", n)))
    real = parse(binary, proc.stdout.decode("utf-8"))
    found = Collector()
    reading = _Reading(ReadOptions(), DIALECT, found)
    _read_file(reading, str(rc))
    settings = reading.settings
    assert {name: settings[name].value if name in settings else "" for name in names} == real
    assert real["folder"] == "imaps://imap.example.org/" and real["pop_user"] == "bob"
    assert [str(note) for note in found.result().warnings] == [
        f"{rc}:1:40: set: set is no variable: mutt stops the command here (unknown variable), and sets nothing "
        "after it on this line; begin a new line (a carriage return does not)",
        f"{rc}:2:20: set: unset is no variable: mutt stops the command here (unknown variable), and sets nothing "
        "after it on this line; begin a new line (a carriage return does not)",
    ]


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
@pytest.mark.parametrize(
    "written", ['imap_pass="`echo one`"', 'imap_pass ="`echo one`"', 'imap_pass= "`echo one`"', "imap_pass=`echo one`"]
)
def test_a_password_command_is_one_however_the_equals_sign_is_spaced(binary: str, written: str, tmp_path: Path) -> None:
    # written without the blank after "=", the value was the whole word's, and so was its "only a command" flag
    # (false: the name came before the command): "imap_pass mixes text and a command", not imported
    need(binary)
    rc = tmp_path / "work.muttrc"
    rc.write_text(f"set folder = imaps://a@imap.example.com/ from = a@example.com\nset {written}\n")
    assert Client(binary, tmp_path).query(rc, ["imap_pass"]) == {"imap_pass": "one"}  # as `set imap_pass = "..."`
    result = import_paths(binary, [str(rc)], ReadOptions())
    assert (result.accounts["work"]["incoming"]["password_command"], result.warnings) == ("echo one", ())


def test_a_password_of_text_and_a_command_is_not_imported_however_it_is_spaced(tmp_path: Path) -> None:
    rc = tmp_path / "work.muttrc"
    rc.write_text('set folder = imaps://a@imap.example.com/ from = a@example.com\nset imap_pass="x`echo one`"\n')
    result = import_paths("mutt", [str(rc)], ReadOptions())
    assert "password_command" not in result.accounts["work"]["incoming"]
    assert result.warnings == (f"{rc}:2:5: imap_pass mixes text and a command: not run, not imported",)


class _Scanned(str):
    """A text that counts how many characters its find() calls look at."""

    looked_at = 0

    def find(self, sub: str, start: Any = None, end: Any = None, /) -> int:
        found = super().find(sub, start, end)
        _Scanned.looked_at += (found + len(sub) if found >= 0 else len(self) if end is None else end) - (start or 0)
        return found


@pytest.mark.parametrize("line", ["set from = " + "'x'" * 20_000, 'set from = "' + "`x`" * 20_000 + '"'])
def test_a_line_of_many_quotes_or_commands_is_read_in_linear_time(line: str) -> None:
    # each quote or backtick once looked for a newline up to the end of the line: 1.6 million backticks took 89 s
    _Scanned.looked_at = 0
    commands = lex("muttrc", _Scanned(line + "\nset realname = x\n"))
    assert [c.words[0].text for c in commands] == ["set", "set"]
    assert _Scanned.looked_at < 10 * len(line)


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
def test_source_paths_expand_the_environment_as_the_client_does(
    binary: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the client reads the files these source commands name, with HOME from its environment; so does the importer
    need(binary)
    (tmp_path / "a.rc").write_text("set imap_user = alice\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.rc").write_text("set from = alice@example.org\n")
    (tmp_path / "c.rc").write_text("set pop_user = bob\n")
    rc = tmp_path / "muttrc"
    rc.write_text('source $HOME/a.rc\nsource ${HOME}/sub/b.rc\nsource "$HOME/c.rc"\n')
    names = ("imap_user", "from", "pop_user")
    real = Client(binary, tmp_path).query(rc, names)
    monkeypatch.setenv("HOME", str(tmp_path))  # the client's HOME (client_env)
    found = Collector()
    reading = _Reading(ReadOptions(follow_source=True), DIALECT, found)
    _read_file(reading, str(rc))
    settings = reading.settings
    assert {name: settings[name].value for name in names} == real
    assert real == {"imap_user": "alice", "from": "alice@example.org", "pop_user": "bob"}
    assert found.result().warnings == ()


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
def test_a_control_escape_is_read_as_the_client_computes_it(binary: str, tmp_path: Path) -> None:
    # (toupper(c) - '@') & 0x7f, as mutt_extract_token computes it: \cA is ^A, but \c1 is "q", \c9 "y" and \c! "a"
    # (the lexer took c & 0x1f: ^Q, ^Y and ^A). Only printable results here, which -Q prints as they are
    need(binary)
    rc = tmp_path / "muttrc"
    rc.write_text('set hostname = "x\\c1\\c9\\c!y"\n')
    real = Client(binary, tmp_path).query(rc, ["hostname"])
    reading = _Reading(ReadOptions(), DIALECT, Collector())
    _read_file(reading, str(rc))
    settings = reading.settings
    assert real == {"hostname": "xqyay"}
    assert {name: settings[name].value for name in real} == real


def test_a_control_escape_before_a_non_ascii_character_is_refused_at_it(tmp_path: Path) -> None:
    # the client takes the character's first UTF-8 byte alone and keeps the rest, which is no text: a TypeError
    # (ord() of "SS", the upper case of the sharp s) was a traceback
    rc = tmp_path / "muttrc"
    rc.write_text('set from = "a\\c\u00dfb"\n')
    with pytest.raises(Unreadable) as caught:
        lex(str(rc), rc.read_text())
    assert (str(caught.value.location), caught.value.what) == (
        f"{rc}:1:16",
        "\\c before a non-ASCII character: mutt would take its first byte alone",
    )


#: lines continued with a backslash, as published muttrc files write them (a multi-line ``set`` in double quotes
#: for a hook, a continued comment, a continued word) and each kind of text a line can end in
CONTINUED = (
    'set from = "alice@example.com" \\\n'
    '    hostname = "mail \\\n'
    '  example.com"\n'
    "set imap_user = 'al\\\n"
    "ice'\n"
    "# a comment that goes on \\\n"
    "set pop_host = pop.example.com\n"
    "set pop_user = bo\\\n"
    "b\n"
    'set smtp_url = "smtps://alice@smtp.example.com:465/"\\\r\n'
    "  ssl_ca_certificates_file = /etc/ssl/x\\\\\n"
    "y.pem\n"
)


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
def test_a_line_continued_in_quotes_or_a_comment_is_joined_as_the_client_joins_it(binary: str, tmp_path: Path) -> None:
    # the lexer joined a continued line only between words: in quotes the file stopped at "unbalanced double
    # quote" (exit 2), a continued comment ended at its line (the next line was read as a command) and a word
    # ended at the backslash. mutt joins the lines before it reads a word (mutt_read_line, MUTT_CONT)
    need(binary)
    rc = tmp_path / "muttrc"
    rc.write_bytes(CONTINUED.encode())
    names = ["from", "hostname", "imap_user", "pop_host", "pop_user", "smtp_url", "ssl_ca_certificates_file"]
    real = Client(binary, tmp_path).query(rc, names)
    assert real == {
        "from": "alice@example.com", "hostname": "mail   example.com", "imap_user": "alice", "pop_host": "",
        "pop_user": "bob", "smtp_url": "smtps://alice@smtp.example.com:465/",
        "ssl_ca_certificates_file": "/etc/ssl/xy.pem",
    }  # fmt: skip
    reading = _Reading(ReadOptions(), DIALECT, Collector())
    _read_file(reading, str(rc))
    settings = reading.settings
    assert {name: settings[name].value if name in settings else "" for name in names} == real


def test_a_message_after_a_continued_line_names_the_line_and_column_of_the_file(tmp_path: Path) -> None:
    rc = tmp_path / "muttrc"
    rc.write_text('set realname = "a \\\n  b" \\\n  imap_user = \'x\nset from = c\n')
    with pytest.raises(Unreadable) as caught:
        lex(str(rc), rc.read_text())
    assert (str(caught.value.location), caught.value.what) == (f"{rc}:3:15", "unbalanced single quote")
    commands = lex("f", 'set a \\\n  b = "c \\\n d"\nset e\n')
    assert [(c.location.line, c.location.column, [(w.text, w.column) for w in c.words]) for c in commands] == [
        (1, 1, [("set", 1), ("a", 5), ("b", 3), ("=", 5), ("c  d", 7)]),
        (4, 1, [("set", 1), ("e", 5)]),
    ]
