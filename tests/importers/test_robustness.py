"""No input makes an importer crash: it imports, or says in one located line why not (a MailconfError)."""

from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailconf.errors import MailconfError
from mailconf.importers import IMPORTERS, Note, ReadOptions
from mailconf.importers._base import Collector
from mailconf.importers._core import ImportResult, import_paths
from mailconf.importers._prefs import ParseError, Pref, parse
from mailconf.model import Location

#: pieces of every format's syntax, so that generated text reaches deep into the readers
PIECES = st.sampled_from([
    "account ", "host ", "port ", "tls ", "on", "off", "from ", "defaults\n", " : ", "set ", "unset ", " = ", "'", '"',
    "`", "\\", "$x", ";", "#", "\n", " ", "imaps://", "smtp://a@b:", "pop_host", "folder", "my_hdr ", "source ",
    "poll ", "via ", "proto ", "IMAP", "POP3", "user ", "there", "ssl", "sslproto", "keep", "no ", "IMAPAccount ",
    "SSLType ", "IMAPS", "PassCmd ", "user_pref(", '"mail.server.server1.type"', '"imap"', ", ", ");",
    "mail.accountmanager.accounts", "[HKEY_CURRENT_USER\\x]\r\n", "Windows Registry Editor Version 5.00\r\n",
    '"clsid"=', "dword:", "hex(1):41,00", "<clientConfig>", "<emailProvider>", "<incomingServer type=\"imap\">",
    "<hostname>", "</hostname>", "99999999999", "-1", "é", "\x00", "\r",
    '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">',
    '<Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a">',
    "<Account>", "<Protocol>", "</Protocol>", "<Type>IMAP</Type>", "<Type>SMTP</Type>", "<Server>", "</Server>",
    "<Port>", "</Port>", "<SSL>on</SSL>", "<Encryption>", "</Encryption>", "<LoginName>", "<SPA>on</SPA>",
])  # fmt: skip
TEXT = st.one_of(st.lists(st.one_of(PIECES, st.text(max_size=4)), max_size=30).map("".join), st.text(max_size=60))


@pytest.mark.parametrize("fmt", sorted(IMPORTERS))
@settings(max_examples=150, deadline=None)
@given(text=TEXT)
def test_any_text_imports_or_is_refused_in_one_line(fmt: str, text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "user.js" if fmt == "thunderbird" else "input")
        path.write_text(text, encoding="utf-8")
        try:
            result = import_paths(fmt, [str(path)], ReadOptions())
        except MailconfError as exc:
            assert "\n" not in str(exc)
            return
        for warning in result.warnings:
            assert str(path) in warning or warning.startswith("account ")


#: a port or timeout written with a digit that is not ASCII: str.isdigit() holds for it and int() refuses it
NOT_ASCII_DIGITS = {
    "msmtp": "account a\nhost h.example.org\nport \u00b2\nfrom a@example.org\n",
    "mbsync": "IMAPAccount a\nHost h.example.org\nPort \u00b2\nUser a\nTimeout \u0663\n",
    "fetchmail": "poll h.example.org port \u00b2 timeout \u0663 protocol imap user a\n",
    "aerc": "[a]\nsource = imaps://a@h.example.org:\u00b2\nfrom = a@example.org\n",
}


@pytest.mark.parametrize("fmt", sorted(NOT_ASCII_DIGITS))
def test_a_digit_that_is_not_ascii_is_reported_not_a_crash(fmt: str, tmp_path: Path) -> None:
    path = tmp_path / "input"
    path.write_text(NOT_ASCII_DIGITS[fmt], encoding="utf-8")
    try:
        result = import_paths(fmt, [str(path)], ReadOptions())
    except MailconfError as exc:  # refused in one line (aerc: the URL)
        assert "\n" not in str(exc)
        return
    assert result.accounts == {}  # the schema refused the account; the warning says why, at its line
    assert any("port" in str(w) for w in result.warnings)


#: a number out of range, written in each format, and the reason the schema gives (its line is the account's)
TOO_LARGE = {
    # (a port past 65535 stops the import, as msmtp refuses the file: test_real_readers.py)
    "msmtp": ("account a\nhost h.example.org\ntimeout 99999\nfrom a@example.org\n",
              "1:1: account a: not imported, it cannot be valid: outgoing.timeout: `timeout` must be between 0 and "
              "86400 (got 99999)"),
    # (mbsync cuts a number to 32 bits: 99999999999 is 1215752191 there, and imported so: test_mbsync.py)
    "mbsync": ("IMAPAccount a\nHost h.example.org\nUser a@example.org\nTimeout 0000000000000099999\n",
               "1:1: account a: not imported, it cannot be valid: incoming.timeout: `timeout` must be between 0 and "
               "86400 (got 99999)"),
    # (a port past 65535 leaves the entry out, as fetchmail stops at it: test_import_cli.py)
    "fetchmail": ("poll h.example.org timeout 0000000000000099999 protocol imap user a@example.org\n",
                  "1:1: account h.example.org: not imported, it cannot be valid: incoming.timeout: `timeout` must be "
                  "between 0 and 86400 (got 99999)"),
    # the first nine digits were read: 0 ("got 0") here, and 993 for ...:0000000000993
    "aerc": ("[a]\nsource = imaps://a@example.org@h.example.org:0000000099999999999\nfrom = a@example.org\n",
             "1:1: account a: not imported, it cannot be valid: incoming.port: `port` must be between 1 and 65535 "
             "(got 99999999999)"),
}  # fmt: skip


@pytest.mark.parametrize("fmt", sorted(TOO_LARGE))
def test_a_number_out_of_range_is_said_to_be_out_of_range(fmt: str, tmp_path: Path) -> None:
    # ten digits or more were kept as text: "`port` must be a whole number (got "99999999999") (remove the
    # quotes)", though nothing was quoted
    text, message = TOO_LARGE[fmt]
    path, result = _imported(fmt, text, tmp_path)
    assert (result.accounts, result.warnings[-1]) == ({}, f"{path}:{message}")


def _imported(fmt: str, text: str, tmp_path: Path) -> tuple[Path, ImportResult]:
    """``text`` written to a file and imported with ``--from fmt``: the file, the result."""
    path = tmp_path / "input"
    path.write_text(text)
    return path, import_paths(fmt, [str(path)], ReadOptions())


class _Counted(str):
    """A text that counts how many characters its count(), rfind() and find() calls look at."""

    looked_at = 0

    def find(self, sub: str, start: Any = None, end: Any = None, /) -> int:
        _Counted.looked_at += (len(self) if end is None else end) - (start or 0)
        return super().find(sub, start, end)

    def count(self, sub: str, start: Any = None, end: Any = None, /) -> int:
        _Counted.looked_at += (len(self) if end is None else end) - (start or 0)
        return super().count(sub, start, end)

    def rfind(self, sub: str, start: Any = None, end: Any = None, /) -> int:
        _Counted.looked_at += (len(self) if end is None else end) - (start or 0)
        return super().rfind(sub, start, end)


def test_prefs_positions_are_exact_and_counted_once() -> None:
    # each pref and each error counted the lines from the start of the file: 80,000 errors on one line took 5 s
    text = 'user_pref("a", 1);\n' * 2000 + 'user_pref("b", ' + "&x;" * 2000 + "\n"
    _Counted.looked_at = 0
    parsed = parse(_Counted(text))
    assert _Counted.looked_at < 4 * len(text)
    assert [(p.line, p.column) for p in parsed.prefs[::1999]] == [(1, 1), (2000, 1)]
    assert [(e.line, e.column) for e in parsed.errors[:2]] == [(2001, 16), (2001, 19)]
    assert len(parsed.errors) == 2000


def test_prefs_comments_are_read_once() -> None:
    # each comment looked for its end (and for \r and NUL) to the end of the text: 10 MB of "/*/*/*..." or of
    # "// ..." lines never finished
    text = "// line\n" * 2000 + "/* block */" * 2000 + "#\n" + 'user_pref("a", 1);\n' + "/*/" * 2000 + "*/ /* cut"
    _Counted.looked_at = 0
    parsed = parse(_Counted(text))
    assert _Counted.looked_at < 4 * len(text)
    assert parsed.prefs == (Pref("user", "a", 1, 2002, 1),)
    assert parsed.errors == (ParseError(2003, 6001, "expected pref specifier at start of pref definition"),)


def test_many_notes_on_one_setting_are_joined_once() -> None:
    # each note was joined onto all the ones before it: 20,000 unknown keys in a mobileconfig took 3.4 s, 80,000 55 s
    found = Collector()
    for n in range(100_000):
        found.comment(("accounts", "a"), f"note {n}")
    comments = found.result().comments
    # no time asserted (tests assert behaviour): joined onto the ones before, this took 9.6 s instead of 0.05 s
    assert comments == {("accounts", "a"): "; ".join(f"note {n}" for n in range(100_000))}


@pytest.mark.parametrize(("fmt", "section"), [("getmail", "[retriever]"), ("offlineimap", "[general]")])
def test_configparser_stops_at_the_first_bad_line(fmt: str, section: str, tmp_path: Path) -> None:
    # ConfigParser read on after a bad line, extending one error message per bad line: quadratic, 80,000 bad
    # lines took 16 s (no time asserted: the behaviour is that reading stops there, so a later duplicate
    # section, which ConfigParser raises at once, is never reached)
    path = tmp_path / "rc"
    path.write_text(f"{section}\nserver = x\n" + "not a setting\n" * 100_000 + f"{section}\n")
    with pytest.raises(MailconfError) as raised:
        import_paths(fmt, [str(path)], ReadOptions())
    assert str(raised.value) == (
        f"{path}:3:1: not a setting (NAME = VALUE), a [section] or a comment; fix or remove the line (a value that "
        "continues is indented)"
    )


@pytest.mark.parametrize(("fmt", "section"), [("getmail", "[retriever]"), ("offlineimap", "[general]")])
def test_a_line_of_many_spaces_is_refused_in_one_pass(fmt: str, section: str, tmp_path: Path) -> None:
    # ConfigParser's NAME = VALUE pattern tried every end of the name and every space after it: a line of 20,000
    # spaces between two words took 7 s, and this one did not end in minutes (no time asserted: the line is
    # refused at its line, as before)
    path = tmp_path / "rc"
    path.write_text(f"{section}\nserver = x\nread_all" + " " * 100_000 + "x\n")
    with pytest.raises(MailconfError) as raised:
        import_paths(fmt, [str(path)], ReadOptions())
    assert str(raised.value) == (
        f"{path}:3:1: not a setting (NAME = VALUE), a [section] or a comment; fix or remove the line (a value that "
        "continues is indented)"
    )


@settings(max_examples=300, deadline=None)
@given(line=st.text(st.sampled_from("ab =:\t;#%[]\x0b\x0c\u2028\u3000"), max_size=14))
def test_the_ini_readers_split_a_line_as_configparser_does(line: str) -> None:
    """The importers' one-pass NAME = VALUE pattern reads every line as ConfigParser's own (the clients') does."""
    import configparser

    from mailconf.importers._ini import _Parser, _RawParser

    for ours, theirs in ((_RawParser(), configparser.RawConfigParser()), (_Parser(), configparser.ConfigParser())):
        results: list[object] = []
        for parser in (ours, theirs):
            try:
                parser.read_string(f"[s]\n{line}\n")
                results.append(dict(parser.items("s", raw=True)))
            except configparser.Error as exc:
                results.append(type(exc).__name__)
        assert results[0] == results[1]


def test_an_account_the_schema_refuses_is_explained_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # each of 50,000 unknown authenticators was explained (some 200 µs each), for a warning that names the first:
    # a 400 KB muttrc took 12 s to import (no time asserted: how many problems are explained is counted)
    from mailconf import schema

    explained = []
    describe = schema._describe

    def counted(error: Any, base: Any, root: Any) -> Any:
        explained.append(error)
        return describe(error, base, root)

    monkeypatch.setattr(schema, "_describe", counted)
    path = tmp_path / "muttrc"
    names = ":".join(f"x{n}" for n in range(50_000))
    path.write_text(
        f"set from = 'a@example.org'\nset folder = 'imaps://imap.example.org/'\nset imap_authenticators = '{names}'\n"
    )
    result = import_paths("mutt", [str(path)], ReadOptions())
    assert (result.accounts, result.warnings, len(explained)) == (
        {},
        (
            f"{path}:2:5: account a: not imported, it cannot be valid: incoming.mechanisms.0: this value must be "
            "one of plain, login, scram-sha-1, scram-sha-256, cram-md5, digest-md5, ntlm, gssapi, xoauth2, "
            'oauthbearer, external (got "x0")',
        ),
        1,
    )


_OFFLINEIMAPRC = (
    "[general]\naccounts = work\npythonfile = PYTHONFILE\n[Account work]\nlocalrepository = l\nremoterepository = r\n"
    "[Repository l]\ntype = Maildir\nlocalfolders = ~/m\n[Repository r]\ntype = IMAP\nremotehost = imap.example.org\n"
    "remoteuser = u@example.org\nsslcacertfile = OS-DEFAULT\nremotepasseval = "
)
_GETMAILRC = "[retriever]\ntype = SimpleIMAPSSLRetriever\nserver = imap.example.org\nusername = u@example.org\n"


@pytest.mark.parametrize(
    ("fmt", "text", "python", "outcome"),
    [
        ("getmail", _GETMAILRC + "port = 0x1for\n", "",
         "DIR/rc:5:1: port is not a Python literal (getmail would eval() it: not read); write a literal, like "
         "('/bin/sh', '-c', 'pass show mail') or 993"),
        ("getmail", _GETMAILRC + "password_command = ('pass', 'show', 'mail\\d')\n", "", "pass show 'mail\\d'"),
        ("offlineimap", _OFFLINEIMAPRC + "0x1for\n", "",
         "DIR/rc:15:1: remotepasseval is Python that offlineimap evaluates: not run, not imported; set "
         "password_command to a command that prints the password"),
        ("offlineimap", _OFFLINEIMAPRC + "mailconf_password('work')\n", "x = '\\d' if 0x1for else 1\n",
         "DIR/py:1:5: not Python (expected 'else' after 'if' expression); render it again with mailconf render "
         "--target offlineimap"),
    ],
    ids=["getmail-refused", "getmail-imported", "offlineimap-eval", "offlineimap-pythonfile"],
)  # fmt: skip
def test_python_a_file_holds_gets_no_compiler_warning_printed(
    fmt: str, text: str, python: str, outcome: str, tmp_path: Path
) -> None:
    # the compiler warned about the code it parsed (never ran): "<unknown>:1: SyntaxWarning: invalid hexadecimal
    # literal" on standard error, a line that is not mailconf's, before the one that is
    import warnings

    rc, pythonfile = tmp_path / "rc", tmp_path / "py"
    rc.write_text(text.replace("PYTHONFILE", str(pythonfile)))
    pythonfile.write_text(python)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = import_paths(fmt, [str(rc)], ReadOptions())
        except MailconfError as exc:
            said = str(exc)
        else:
            incoming = next(iter(result.accounts.values()))["incoming"]
            said = result.warnings[0] if result.warnings else incoming["password_command"]
    assert ([str(w.message) for w in caught], said) == ([], outcome.replace("DIR", str(tmp_path)))


def test_many_accounts_of_one_name_are_numbered_once_each() -> None:
    # each account named like the ones before it tried every number from 2 again: 50,000 `IMAPAccount a` did not
    # end in a minute (no time asserted); the names are the same as before
    found = Collector()
    where = Location("rc", 1, 1)
    names = [found.add(wanted, {}, where) for wanted in ["a", "a-3", *["a"] * 50_000, "a b"]]
    assert names == ["a", "a-3", "a-2", *(f"a-{n}" for n in range(4, 50_003)), "a-b"]
    # a name taken before is not a bad name: it said "(names hold letters, digits, '.', '_', '-')"
    assert found.result().warnings[0] == Note(where, 'account "a" is imported as "a-2" (another account has that name)')
    assert found.result().warnings[-1] == Note(
        where, "account \"a b\" is imported as \"a-b\" (names hold letters, digits, '.', '_', '-')"
    )


def test_a_prefs_integer_of_any_length_overflows_or_is_read() -> None:
    # int() of more than 4,300 digits raises ValueError: a user.js with such a value was an internal error (exit 3)
    parsed = parse(
        f'user_pref("a", {"9" * 5000});\nuser_pref("b", -{"0" * 5000}2147483648);\nuser_pref("c", 99999999999);\n'
        'user_pref("d", 2147483647);\n'
    )
    assert parsed.prefs == (Pref("user", "b", -(2**31), 2, 1), Pref("user", "d", 2**31 - 1, 4, 1))
    assert parsed.errors == (
        ParseError(1, 16, "integer literal overflowed"),
        ParseError(3, 16, "integer literal overflowed"),
    )


#: a From value nested a thousand deep, in groups (``g:``) or in comments (``((``), and what the import says of it
_NESTED_FROM = {
    "aerc": (
        f"[a]\nsource = imaps://a@imap.example.org\nfrom = {'g:' * 1000}<a@example.org>\n",
        "3:1: no address aerc can use in from (aerc 0.14 cannot send from it, aerc 0.20 refuses the account): this one "
        "is a guess, check it",
    ),
    "mutt": (
        f"set folder = imaps://imap.example.org/\nset from = a@example.org\nmy_hdr From: {'(' * 1000}{')' * 1000}"
        "<a@example.org>\n",
        f"3:1: my_hdr From: {'(' * 80}… is no address; the client sends it, this file has from's",
    ),
    "neomutt": (
        f"set folder = imaps://imap.example.org/\nset from = '{'g:' * 1000}a@example.org'\n",
        "1:5: account input: not imported, it cannot be valid: address: `address` must be between 0 and 254 "
        "characters long",
    ),
}


@pytest.mark.parametrize("fmt", sorted(_NESTED_FROM))
def test_a_sender_nested_a_thousand_deep_is_no_address(fmt: str, tmp_path: Path) -> None:
    # Python's address parser (every release, 3.13 too) recursed once per group and per nested comment: a
    # RecursionError, an internal error (exit 3); more than 100 colons or opening parentheses is no address now
    text, warning = _NESTED_FROM[fmt]
    path, result = _imported(fmt, text, tmp_path)
    assert result.warnings[0] == f"{path}:{warning}"


#: a path whose ``~name`` holds a NUL, and the warning it gets (the account's line, then the setting's)
_NUL_IN_HOME = {
    "offlineimap": (_OFFLINEIMAPRC.replace("PYTHONFILE", "~a\0b/x.py") + "mailconf_password('work')\n",
                    "15:1: remotepasseval: the command is in the pythonfile (~a\\x00b names no home directory here (no "
                    "such user): give it after the .offlineimaprc): not imported; set password_command"),
    "mbsync": ("IMAPAccount a\nHost imap.example.org\nUser a@example.org\nSSLType IMAPS\nCertificateFile ~a\0b/c.pem\n",
               '1:1: account a: not imported, it cannot be valid: incoming.tls.ca_file: `ca_file` is not valid (got '
               '"~a\\x00b/c.pem"): write an absolute path without control characters (C0, DEL, C1) or line and '
               "paragraph separators (U+2028, U+2029)"),
}  # fmt: skip


@pytest.mark.parametrize("fmt", sorted(_NUL_IN_HOME))
def test_a_nul_in_a_home_folders_user_names_no_home(fmt: str, tmp_path: Path) -> None:
    # os.path.expanduser("~a\0b") raised ValueError (embedded null byte): an internal error (exit 3)
    text, warning = _NUL_IN_HOME[fmt]
    path, result = _imported(fmt, text, tmp_path)
    assert result.warnings == (f"{path}:{warning}",)


#: what a mutation puts in a real file: each format's delimiters, encodings' marks, numbers out of range, deep nesting
_TOKENS = [
    "\0", "\r", "\n", "\t", " ", "'", '"', "\\", "`", "$(", "%", "#", ";", "=", ":", "[", "]", "<", ">", "&", "&#0;",
    "<![CDATA[", "<!--", "-->", "\ufeff", "\x80", "\u202e", "\u2028", "é", "\u00b2", "0", "-1", "65536", "9" * 30,
    "1e400", "~", "~a\0b/", "g:" * 1000, "(" * 1000, "[" * 1000, "{" * 1000, "%(x)s", "dword:", "hex(2):", "<integer>",
    "</string>", "imaps://", "@", "a" * 300,
]  # fmt: skip
#: (what, where in the file in thousandths of its length, which token); ``value``: the token as the value of the setting
#: on that line
_MUTATIONS = st.lists(
    st.tuples(st.sampled_from(["insert", "value", "delete", "repeat-line", "truncate"]), st.integers(0, 1000),
              st.sampled_from(_TOKENS)), min_size=1, max_size=4,
)  # fmt: skip


def _mutated(data: bytes, mutations: list[tuple[str, int, str]]) -> bytes:
    for what, where, token in mutations:
        at = len(data) * where // 1000
        start = data.rfind(b"\n", 0, at) + 1
        end = data.find(b"\n", at) + 1 or len(data)
        if what == "insert":
            data = data[:at] + token.encode("utf-8", "surrogatepass") + data[at:]
        elif what == "value":  # the value of the line's setting: what follows its first = (or blank)
            line = data[start:end].lstrip()
            cut = end - start - len(line) + next((line.index(mark) + 1 for mark in (b"=", b" ") if mark in line), 0)
            data = data[: start + cut] + token.encode("utf-8", "surrogatepass") + b"\n" + data[end:]
        elif what == "delete":
            data = data[:at] + data[at + len(token) :]
        elif what == "repeat-line":
            data = data[:start] + data[start:end] * 200 + data[end:]
        else:
            data = data[:at]
    return data


@functools.cache
def _rendered_examples(fmt: str) -> tuple[tuple[str, bytes], ...]:
    """(file name, content) of every file the target ``fmt`` renders for the examples: real files to mutate."""
    from mailconf.document import load_document
    from mailconf.render import RenderError, render_model
    from mailconf.targets import TARGETS
    from tests.conftest import EXAMPLES

    files = []
    for example in sorted(EXAMPLES.glob("*.yaml")):
        try:
            rendered = render_model(TARGETS[fmt], load_document(str(example)).model, {})
        except RenderError:  # insecure.yaml's starttls-optional
            continue
        files += [(Path(f.name).name, f.content) for f in rendered.files if not f.name.endswith((".sh", ".py"))]
    return tuple(files)


@pytest.mark.parametrize("fmt", sorted(IMPORTERS))
@settings(max_examples=int(os.environ.get("MAILCONF_FUZZ_EXAMPLES", "40")), deadline=None, derandomize=True)
@given(choice=st.integers(0, 100), mutations=_MUTATIONS)
def test_a_mutated_rendered_file_imports_or_is_refused_in_one_line(
    fmt: str, choice: int, mutations: list[tuple[str, int, str]]
) -> None:
    """The files render writes for the examples, mutated: the import ends in one located line (exit 2), or with
    warnings of one line each and an account file that loads without errors; never an internal error. A long
    campaign: ``MAILCONF_FUZZ_EXAMPLES=5000`` (examples per format; the suite runs 40, derandomized)."""
    from mailconf.document import load_document
    from mailconf.lint import refusal

    files = _rendered_examples(fmt)
    name, content = files[choice % len(files)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, name)
        path.write_bytes(_mutated(content, mutations))
        try:
            result = import_paths(fmt, [str(path)], ReadOptions())
        except MailconfError as exc:
            assert "\n" not in str(exc) and str(exc).startswith(str(path))
            return
    assert all("\n" not in warning for warning in result.warnings)
    if result.accounts:
        assert refusal(load_document("imported.yaml", result.text.encode())) == ()
