"""errors.printable and errors.escape_controls: the one spelling of text mailconf did not write.

Each character class a terminal, a log or a viewer misreads, as it is spelt; then properties over any text: the
output is one printable line, and ``printable`` tells every two texts apart (its output reads back, as a Python
string literal, to exactly the text).
"""

from __future__ import annotations

import ast
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailconf.errors import (
    ascii_escaped,
    double_quoted,
    escape_controls,
    escaped_before,
    printable,
    readable,
    shown,
    unencodable,
)

CLASSES = [
    # C0 controls: the three with a short name, then by code
    ("a\nb", "a\\nb"),
    ("a\rb", "a\\rb"),
    ("a\tb", "a\\tb"),
    ("\x00", "\\x00"),
    ("\x1b[31mred", "\\x1b[31mred"),
    ("\x07", "\\x07"),
    ("\x1f", "\\x1f"),
    # DEL and the C1 controls (NEL ends a line for some viewers; CSI starts an escape sequence); from U+0080 on a
    # character is \u0085, not \x85 as Python's repr writes it: \x85 is a byte that was not UTF-8 (readable)
    ("\x7f", "\\x7f"),
    ("\x85", "\\u0085"),
    ("\x9b", "\\u009b"),
    # format characters (category Cf): soft hyphen, zero-width, bidirectional controls, tags
    ("\xad", "\\u00ad"),
    ("a\u200bb", "a\\u200bb"),
    ("\u200d", "\\u200d"),
    ("\u202e", "\\u202e"),
    ("\u2066", "\\u2066"),
    ("\ufeff", "\\ufeff"),
    ("\U000e0001", "\\U000e0001"),
    # line and paragraph separators, and spaces other than U+0020
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
    ("\xa0", "\\u00a0"),
    ("\u3000", "\\u3000"),
    # lone surrogates (an undecodable byte under surrogateescape), private use, unassigned
    ("\udce9", "\\udce9"),
    ("\ud800", "\\ud800"),
    ("\ue000", "\\ue000"),
    ("\U0010ffff", "\\U0010ffff"),
    # what is printable stays as it is: letters of any script, emoji, a space, quotes
    ("café 日本 \U0001f600 'x' \"y\"", "café 日本 \U0001f600 'x' \"y\""),
]


@pytest.mark.parametrize(("text", "expected"), CLASSES)
def test_each_class_is_spelt_as_python_writes_it(text: str, expected: str) -> None:
    assert printable(text) == expected
    assert escape_controls(text) == expected


def test_a_byte_that_was_not_utf_8_and_a_character_are_spelt_apart() -> None:
    """A byte that did not decode (``surrogateescape``: a file name's, a server's) is ``\\x80``, the character U+0080
    ``\\u0080``: both were ``\\x80``. readable is the one function that spells bytes."""
    received = b"\x80 \xc2\x80 \xc2\xa0 \xff".decode("utf-8", "surrogateescape")
    assert escape_controls(readable(received)) == "\\x80 \\u0080 \\u00a0 \\xff"
    assert printable("\x80") == escape_controls("\x80") == "\\u0080"
    assert readable("\udc80\ud800") == "\\x80\\ud800"  # a surrogate that is no byte stays a code point


def test_a_character_escaped_for_an_encoding_is_spelt_as_printable_spells_it() -> None:
    """What an output encoding lacks (errors.unencodable, console.py's codec error handler) and MC703's letters that
    are not ASCII (errors.ascii_escaped): \\u00e9 as printable writes it, not backslashreplace's \\xe9."""
    import codecs

    codecs.register_error("mailconf-test-escaped", unencodable)
    text = "caf\u00e9 \u201c \U0001f600 \\x"
    assert text.encode("ascii", "mailconf-test-escaped") == b"caf\\u00e9 \\u201c \\U0001f600 \\x"
    assert text.encode("latin-1", "mailconf-test-escaped") == b"caf\xe9 \\u201c \\U0001f600 \\x"
    assert ascii_escaped(text) == "caf\\u00e9 \\u201c \\U0001f600 \\x"  # its own backslash left as it is
    assert ascii_escaped("plain") == "plain"


def _escaped_until_2026(ch: str) -> str:
    """How printable spelt a character before a byte and a character were told apart (its ``_escaped``)."""
    short = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch)
    code = ord(ch)
    return short or (f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")


@given(st.text(st.characters(codec=None)))
def test_escaped_before_gives_the_older_spelling_back(text: str) -> None:
    """What a baseline entry or a SARIF fingerprint hashed: the message as it was spelt with ``\\x85``."""
    older = "".join(ch if ch.isprintable() and ch != "\\" else _escaped_until_2026(ch) for ch in text)
    assert escaped_before(printable(text)) == older
    assert escaped_before(printable("\\u00e9 \\\x85")) == "\\\\u00e9 \\\\\\x85"  # a typed \u00e9 stays


def test_a_backslash_is_doubled_so_that_an_escape_cannot_be_forged() -> None:
    # a key spelt with the four characters \x1b, and a key holding an ESC
    assert printable("\\x1b") == "\\\\x1b"
    assert printable("\x1b") == "\\x1b"
    assert printable("C:\\mail") == "C:\\\\mail"


def test_the_guard_on_a_whole_line_leaves_a_backslash_as_it_is() -> None:
    # the line is mailconf's own, its quoted parts already escaped: they are not escaped twice
    line = f"unknown key '{printable(chr(27))}' in C:\\mail\n"
    assert escape_controls(line) == "unknown key '\\x1b' in C:\\mail\\n"


def test_a_value_the_user_gave_is_quoted_with_the_same_spelling() -> None:
    assert shown("a\x1bb") == "'a\\x1bb'"
    assert shown("it's \\") == "'it\\'s \\\\'"
    assert shown("\u202e") == "'\\u202e'"


def test_a_value_from_a_file_is_double_quoted_with_the_same_spelling() -> None:
    assert double_quoted('Alice\x1b[31m "A" \\ café ²') == '"Alice\\x1b[31m \\"A\\" \\\\ café ²"'


@given(st.text(st.characters(codec="utf-8")))
def test_double_quoted_is_a_yaml_scalar_of_the_text(text: str) -> None:
    from ruamel.yaml import YAML

    assert YAML(typ="safe", pure=True).load("value: " + double_quoted(text)) == {"value": text}


_MISREAD = {"Cc", "Cf", "Zl", "Zp", "Cs"}


@given(st.text(st.characters(codec=None)))
def test_the_output_is_one_printable_line(text: str) -> None:
    for out in (printable(text), escape_controls(text)):
        assert out.isprintable()
        assert not any(unicodedata.category(ch) in _MISREAD for ch in out)


@given(st.text(st.characters(codec=None)))
def test_printable_reads_back_to_the_text(text: str) -> None:
    out = printable(text)
    assert ast.literal_eval("'" + out.replace("'", "\\'") + "'") == text


@given(st.text(st.characters(codec=None)), st.text(st.characters(codec=None)))
def test_distinct_texts_never_look_alike(a: str, b: str) -> None:
    assert (printable(a) == printable(b)) == (a == b)


@given(st.text(st.characters(codec=None)))
def test_a_text_that_spells_the_escapes_of_another_does_not_look_like_it(text: str) -> None:
    forged = printable(text)  # typed as characters: "\x1b" for an ESC
    assert (printable(forged) == printable(text)) == (forged == text)
