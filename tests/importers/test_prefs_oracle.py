"""The prefs.js reader against Thunderbird's own parser (``Services.prefs.parsePrefsFromBuffer``).

One headless Thunderbird (153.8.0esr) is started for the module; each input goes to
it through Marionette and to :mod:`mailconf.importers._prefs`, and both must read the
same prefs (kind, name, value, sticky, locked, in order) and find an error in the
same inputs. Inputs: a fixed corpus of hostile cases, then hypothesis strings built
from the grammar's pieces (a modest number: every example is one round trip to
Thunderbird, and starting it takes seconds).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailconf.importers._prefs import parse
from tests.conftest import need
from tests.targets._marionette import Marionette, thunderbird, write_user_js

pytestmark = pytest.mark.real

SCRIPT = """
const [text] = arguments;
const prefs = [];
let errors = 0;
const add = (type) => (kind, name, value, isSticky, isLocked) =>
  prefs.push([String(kind), name, type, value, !!isSticky, !!isLocked]);
Services.prefs.parsePrefsFromBuffer(Array.from(new TextEncoder().encode(text)), {
  onStringPref: add("string"), onIntPref: add("int"), onBoolPref: add("bool"),
  onError: () => { errors += 1; },
});
return {prefs, errors};
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Marionette]:
    need("thunderbird")
    with tempfile.TemporaryDirectory(prefix="mailconf-prefs-oracle-") as tmp:
        profile = Path(tmp)
        write_user_js(profile)
        with thunderbird(profile) as client:
            yield client


def thunderbird_reads(client: Marionette, text: str) -> tuple[list[tuple[Any, ...]], bool]:
    result = client.execute(SCRIPT, [text])
    kinds = {"Default": "default", "User": "user"}
    prefs = [
        (kinds.get(k, k), _utf8(name), _utf8(value) if kind == "string" else value, sticky, locked)
        for k, name, kind, value, sticky, locked in result["prefs"]
    ]
    return prefs, result["errors"] > 0


def _utf8(text: str) -> str:
    """The callbacks take names and string values as C strings (IDL ``string``): XPConnect hands JavaScript
    the UTF-8 bytes one character each."""
    return text.encode("latin-1").decode("utf-8")


def we_read(text: str) -> tuple[list[tuple[Any, ...]], bool]:
    parsed = parse(text)
    return [(p.kind, p.name, p.value, p.sticky, p.locked) for p in parsed.prefs], bool(parsed.errors)


CORPUS = [
    'user_pref("a", "b");',
    "user_pref('a', 'b\\'c');",
    'pref("i", -2147483648); pref("j", +7); user_pref("k", 2147483647);',
    'user_pref("over", 2147483648); user_pref("next", 1);',
    'user_pref("t", true); user_pref("f", false);',
    'user_pref("x", "\\x41\\u00e9\\ud83d\\ude00");',
    'user_pref("nul", "\\x00"); user_pref("after", 1);',
    'user_pref("nul2", "\\u0000"); user_pref("after", 2);',
    'user_pref("tab", "\\t"); user_pref("after", 3);',
    'user_pref("lone", "\\ud800"); user_pref("after", 4);',
    'user_pref("low", "\\udc00x"); user_pref("after", 5);',
    'user_pref("short", "\\x4"); user_pref("after", 6);',
    'user_pref("inj", "a"); user_pref("test.injected", "PWN"); //");',
    '# comment\n// another\n/* block\n */ user_pref("c", 1);',
    '/* unterminated user_pref("c", 1);',
    'user_pref("trunc", "abc',
    'user_pref("trunc2", ',
    'user_pref("noparen", 1;',
    'pref("s", 1, sticky); pref("l", 2, locked); pref("sl", 3, sticky, locked);',
    'user_pref("u", 1, locked); user_pref("after", 7);',
    'sticky_pref("st", "v");',
    'lockPref("lock", 1); user_pref("after", 8);',
    'user_pref("semi;colon", "a;b"); user_pref("after", 9);',
    'user_pref("nl", "line\nbreak");',
    'junk user_pref("skipped", 1); user_pref("kept", 2);',
    'user_pref("a", 1) user_pref("b", 2);',
    'user_pref("neg", -);',
    'user_pref("emptyname"  ,  "" ) ;',
    'USER_PREF("case", 1);',
    'user_pref("dup", 1); user_pref("dup", 2);',
    '\ufeffuser_pref("bom", 1);',
    'user_pref("cr", 1);\r\nuser_pref("cr2", 2);\r',
    'user_pref("vt", 1);\x0buser_pref("ff", 2);\x0c',
    'user_pref("nulbyte", 1);\x00user_pref("after-nul", 2);',
    'user_pref("é", "ü中");',
    'user_pref("bs", "\\\\");',
    'user_pref("q", "\\"");',
    'user_pref("x_upper", "\\x4A\\u004a");',
    "user_pref('mix\", \"x');",
    'user_pref("big", 99999999999999999999);',
    # found by the generated inputs below: error recovery, NUL and CR as libpref reads them
    ';user_pref("", 0);',
    '*/;user_pref("", 0);',
    "//\x00user_pref",
    '//user_pref("\r", 0);',
    'user_pref("a", "x\x00y");user_pref("b",1);',
    "/*\x00*/",
    '"unterminated\x00user_pref("", 0);user_pref("", 0);',
    '/*\x00user_pref("", 0);user_pref("", 0);',
]


@pytest.mark.parametrize("text", CORPUS)
def test_corpus_reads_as_thunderbird_reads_it(browser: Marionette, text: str) -> None:
    assert we_read(text) == thunderbird_reads(browser, text)


PIECES = st.sampled_from([
    "user_pref", "pref", "sticky_pref", "(", ")", ",", ";", '"a"', "'b'", '"\\x41"', '"\\u00e9"', '"\\ud83d\\ude00"',
    '"\\x00"', '"\\t"', '"unterminated', "/*", "*/", "//", "#", "\n", " ", "true", "false", "123", "-5",
    "2147483648", "+7", "locked", "sticky", "\\", '"', "'", "x", "\x00", "é",
])  # fmt: skip
STATEMENT = st.builds(
    lambda spec, name, value: f"{spec}({name}, {value});",
    st.sampled_from(["user_pref", "pref", "sticky_pref"]),
    st.text(max_size=6).map(lambda t: '"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"'),
    st.one_of(
        st.integers(-(2**31) - 2, 2**31 + 2).map(str),
        st.booleans().map(lambda b: "true" if b else "false"),
        st.text(max_size=6).map(lambda t: "'" + t + "'"),
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(PIECES, STATEMENT), max_size=12).map("".join))
def test_generated_inputs_read_as_thunderbird_reads_them(browser: Marionette, text: str) -> None:
    assert we_read(text) == thunderbird_reads(browser, text)
