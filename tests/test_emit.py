"""mailconf.emit: whatever goes in is read back by mailconf's own loader exactly, comments never leak."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from ruamel.yaml.resolver import implicit_resolvers

from mailconf import emit
from mailconf.errors import double_quoted
from mailconf.loader import load

#: every string a YAML parser might read as something else, or that might break a line
TRICKY = [
    "yes", "No", "on", "null", "~", "true", "0x1F", "1e3", "12:30", ".5", "-", "- a", "a: b", "a #b", "#x",
    "'q'", '"q"', "a\nb", "a\u2028b", "\u0085", "tab\there", " lead", "trail ", "", "*alias", "&anchor", "!tag",
    "%dir", "@at", "`tick`", "[x]", "{x}", "a,b", "\U0001f600", "\x7f", "\\", "-1", "+1", "007", "1_000",
]  # fmt: skip


def test_tricky_strings_round_trip() -> None:
    data = {"values": {f"k{i}": value for i, value in enumerate(TRICKY)}, "list": TRICKY}
    text = emit.dump(data)
    assert load(text.encode()).data == data


def test_plain_where_safe_quoted_where_not() -> None:
    assert emit.scalar("imap.example.com") == "imap.example.com"
    assert emit.scalar("pass show mail/work") == "pass show mail/work"
    assert emit.scalar("yes") == '"yes"'
    assert emit.scalar("993") == '"993"'
    assert emit.scalar(993) == "993"
    assert emit.scalar(["plain", "scram-sha-256"]) == "[plain, scram-sha-256]"


def test_comments_follow_their_key_and_cannot_break_the_line() -> None:
    text = emit.account_file(
        {"work": {"address": "a@example.com", "incoming": {"protocol": "imap", "host": "h.example.com"}}},
        {(): "from: discover\nsecond line", ("accounts", "work", "incoming"): "SRV _imaps\n_tcp; evil: 1"},
    )
    assert text == (
        "# from: discover\n"
        "# second line\n"
        "version: 1\n"
        "accounts:\n"
        "  work:\n"
        "    address: a@example.com\n"
        "    incoming:  # SRV _imaps _tcp; evil: 1\n"
        "      protocol: imap\n"
        "      host: h.example.com\n"
    )
    assert load(text.encode()).data == {
        "version": 1,
        "accounts": {"work": {"address": "a@example.com", "incoming": {"protocol": "imap", "host": "h.example.com"}}},
    }


def test_a_colon_in_a_list_item_is_quoted() -> None:
    # libyaml refuses `[host:imap]` ("found unexpected ':'"): an argv such as secret-tool's was written unreadable
    data = {"password_command": ["secret-tool", "lookup", "host:imap", "0:@"], "host": "a:b"}
    text = emit.dump(data)
    assert text == 'password_command: [secret-tool, lookup, "host:imap", "0:@"]\nhost: a:b\n'
    assert load(text.encode()).data == data


values = st.recursive(
    st.one_of(st.text(), st.integers(-(10**6), 10**6), st.booleans(), st.lists(st.text(), max_size=3)),
    lambda children: st.dictionaries(st.text(min_size=1, max_size=8), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=8), values, min_size=1, max_size=4), st.text(max_size=40))
def test_any_data_round_trips(data: dict[str, Any], note: str) -> None:
    key = next(iter(data))
    text = emit.dump(data, {(key,): note})
    assert load(text.encode()).data == data


def test_a_written_value_shows_its_invisible_characters_as_a_message_does() -> None:
    """A bidirectional control, a zero-width space and a no-break space were written as they are into the file
    discover and import write (YAML's printable set holds them), so the file reordered or hid text where a message
    about the same value shows escapes: both spell a value through errors.double_quoted, and it reads back exactly."""
    value = "evil\u202emoc.elgoog@example.com \u200b\u00a0\ue000"
    assert emit.scalar(value) == '"evil\\u202emoc.elgoog@example.com \\u200b\\u00a0\\ue000"'
    assert emit.scalar(value) == double_quoted(value)
    assert load(emit.dump({"v": value}).encode()).data == {"v": value}


#: plain scalars a YAML 1.1 or 1.2 reader takes for a number, a date or a boolean (ruamel.yaml's resolvers, which
#: PyYAML's match for YAML 1.1): a leading-dot float may hold ``_`` and a signed exponent (``.5_0``, ``.5e+3``)
NOT_STRINGS = [
    ".5", ".5_0", "._5", ".5e+3", ".5e-3", ".5e3", "1_000", "0o17", "0b1", "0x_1", "1:20", "190:20:30.15", "1.",
    "1e5", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43Z", "yes", "Off", "y", "NULL", "~",
]  # fmt: skip


@pytest.mark.parametrize("version", [(1, 1), (1, 2)])
def test_what_a_yaml_1_1_or_1_2_reader_takes_for_no_string_is_quoted(version: tuple[int, int]) -> None:
    """``.5_0`` and ``.5e+3`` were written plain: PyYAML's safe_load and ruamel.yaml read them as floats."""
    reader = YAML(typ="safe", pure=True)
    reader.version = version
    for value in NOT_STRINGS:
        written = emit.dump({"v": value})
        assert written == f"v: {double_quoted(value)}\n"
        assert reader.load(written) == {"v": value}
        assert load(written.encode()).data == {"v": value}


#: text that YAML 1.1 or 1.2 reads as something other than a string: each of ruamel.yaml's implicit resolvers (a
#: boolean, a float, an int, null, a timestamp, a merge key...) made into generated text
_RESOLVED = st.sampled_from([regex for _, _, regex, _ in implicit_resolvers]).flatmap(
    lambda regex: st.from_regex(regex, fullmatch=True)
)


@pytest.mark.parametrize("version", [(1, 1), (1, 2)])
@settings(max_examples=200, deadline=None)
@given(value=st.one_of(st.text(), _RESOLVED), key=st.one_of(st.text(min_size=1, max_size=8), _RESOLVED))
def test_any_text_is_read_back_as_that_text_by_yaml_1_1_and_1_2(version: tuple[int, int], value: str, key: str) -> None:
    """Whatever text emit writes, as a key, a value or a list item, ruamel.yaml's YAML 1.1 and 1.2 safe readers
    (PyYAML's resolvers are YAML 1.1's) and mailconf's own loader read that text back, never another type."""
    reader = YAML(typ="safe", pure=True)
    reader.version = version
    data = {key: value, "list": [value, key]}
    written = emit.dump(data)
    assert reader.load(written) == data
    assert load(written.encode()).data == data
