"""mailconf.importers._ere: a muttrc hook's pattern matched as mutt and neomutt match it (the C library's
``regcomp(REG_EXTENDED)``), in time linear in the text.

The oracle is glibc's own regcomp/regexec, called through ctypes: the code mutt runs, not a model of it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailconf.importers import _ere

REG_EXTENDED, REG_NOSUB = 1, 8


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if name is None or not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(name)
    return libc if hasattr(libc, "regcomp") else None


LIBC = _libc()
needs_glibc = pytest.mark.skipif(LIBC is None, reason="needs the C library's regcomp (Linux)")


def glibc_search(pattern: str, text: str) -> bool | None:
    """Whether glibc's regexec finds ``pattern`` (an ERE) in ``text``; None when regcomp refuses the pattern."""
    assert LIBC is not None
    compiled = ctypes.create_string_buffer(256)  # regex_t is 64 bytes on x86-64 and aarch64 glibc
    if LIBC.regcomp(compiled, pattern.encode(), REG_EXTENDED | REG_NOSUB) != 0:
        return None
    try:
        return bool(LIBC.regexec(compiled, text.encode(), 0, None, 0) == 0)
    finally:
        LIBC.regfree(compiled)


def ours(pattern: str, text: str) -> bool | None:
    try:
        compiled = _ere.compile_ere(pattern)
    except _ere.Unsupported:
        return None
    return _ere.search(compiled, text, _ere.Budget(10**7))


ATOMS = ["a", "b", ".", "@", "/", "\\.", "[ab]", "[^a]", "[a-c]", "[]a]", "[[:alpha:]]", "[.]", "\\w"]
QUANTIFIERS = ["", "", "", "*", "+", "?", "{2}", "{1,}", "{0,2}"]


@st.composite
def patterns(draw: st.DrawFn, depth: int = 0) -> str:
    branches = []
    for _ in range(draw(st.integers(1, 3 if depth < 2 else 1))):
        items = []
        for _ in range(draw(st.integers(1, 4))):
            if depth < 2 and draw(st.integers(0, 5)) == 0:
                atom = f"({draw(patterns(depth + 1))})"
            else:
                atom = draw(st.sampled_from(ATOMS))
            items.append(atom + draw(st.sampled_from(QUANTIFIERS)))
        # anchors where hook patterns have them, at an end of a top-level branch: glibc reads one inside a repeated
        # group its own way ("((a)$|^(a)){2}a*" finds "aaa", which no reading of the anchors allows)
        anchors = ["", "^"] if depth == 0 else [""]
        branches.append(
            draw(st.sampled_from(anchors))
            + "".join(items)
            + draw(st.sampled_from([a.replace("^", "$") for a in anchors]))
        )
    return "|".join(branches)


@needs_glibc
@settings(max_examples=1500, deadline=None)
@given(patterns(), st.text(alphabet="ab.@/c_", max_size=12))
def test_a_pattern_matches_where_glibc_says_it_does(pattern: str, text: str) -> None:
    expected = glibc_search(pattern, text)
    got = ours(pattern, text)
    assert expected is not None, f"glibc refuses {pattern!r}"
    if got is None:  # a repeated anchor ("(^a)*" is not one, "(^)+" is), which POSIX leaves undefined
        assert re.search(r"[$^]\)+[*+?{]|\([$^]", pattern), pattern
    else:
        assert got == expected, (pattern, text)


@needs_glibc
@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        ("imaps://alice@imap\\.example\\.com/", "imaps://alice@imap.example.com/INBOX"),
        ("imaps://alice@imap\\.example\\.com/$", "imaps://alice@imap.example.com/INBOX"),
        (".", "imaps://x@y/"),
        ("work", "imaps://work@example.com/"),
        ("^imaps?://[^@]+@example\\.(com|org)/", "imaps://bob@example.org/"),
        ("gmail|googlemail", "imaps://x@imap.googlemail.com/"),
        ("a{3}", "caaab"),
        ("a{3}", "caab"),
        ("x*", ""),
        ("^$", ""),
        ("(^a|b$)", "cab"),
        ("[[:digit:]]{3}", "port993"),
        ("\\w+@", "imaps://x@y"),
    ],
)
def test_hook_patterns_people_write(pattern: str, text: str) -> None:
    assert ours(pattern, text) == glibc_search(pattern, text)


@pytest.mark.parametrize(
    "pattern",
    ["\\bx", "\\<x", "(a)\\1", "[[.a.]]", "[[=a=]]", "*a", "a|", "()", "(a", "a)", "[a", "a{2,1}", "a{256}", "\\"],
)
def test_what_is_not_read_is_unsupported(pattern: str) -> None:
    with pytest.raises(_ere.Unsupported):
        _ere.compile_ere(pattern)


@needs_glibc
@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["a", "(ab)", "[ab]", "(a|b)"]),
       st.lists(st.sampled_from(["*", "+", "?", "{1}", "{0,1}", "{1,}", "{2}"]), min_size=2, max_size=4).map("".join),
       st.text(alphabet="abc", max_size=6))  # fmt: skip
def test_a_run_of_repetitions_matches_where_glibc_says_it_does(atom: str, run: str, text: str) -> None:
    pattern = f"c{atom}{run}c"
    assert ours(pattern, text) == glibc_search(pattern, text), (pattern, text)


def test_a_run_of_two_thousand_repetitions_is_one_not_a_recursion_error() -> None:
    # each ? repeated the one before: 2,000 levels of recursion to compile (a RecursionError, exit 3 of the import)
    for run, one in (("?" * 2000, "?"), ("*+?" * 700, "*")):
        program, of_one = (_ere.compile_ere(f"co{r}m").program for r in (run, one))
        assert [(i.kind, i.x, i.y) for i in program] == [(i.kind, i.x, i.y) for i in of_one]
    assert ours("co" + "?" * 2000 + "m", "imaps://x@example.cm/") is True


def test_groups_nested_deeper_than_the_limit_are_unsupported_not_a_recursion_error() -> None:
    with pytest.raises(_ere.Unsupported, match="nested deeper than 64"):
        _ere.compile_ere("(" * 10_000 + "a" + ")" * 10_000)
    with pytest.raises(_ere.Unsupported, match="more than 4096 states"):
        _ere.compile_ere("((a{255}){255}){255}")
    with pytest.raises(_ere.Unsupported, match="more than 64 ranges and classes"):
        _ere.compile_ere("[" + "a-b" * 65 + "]")
    # an ASCII character is one set lookup however many ranges; one outside ASCII is tested against each
    letters = "abcdefghijklmnopqrstuvwxyz0123456789"
    test = _ere.compile_ere("[^" + "".join(f"{c}-{c}" for c in letters) + "é]").program[0].test
    assert [test(c) for c in "0ké~ü"] == [False, False, False, True, True]


def test_a_pattern_python_re_backtracks_on_is_one_step_per_state_and_character() -> None:
    """``(a+)+b`` against 36 a's: Python's re tries 2**36 ways (the import never ended); here the steps are bounded
    by the states times the characters."""
    compiled = _ere.compile_ere("(a+)+b")
    budget = _ere.Budget(10**6)
    text = "imaps://" + "a" * 36 + "@example.com/"
    assert _ere.search(compiled, text, budget) is False
    states = len(compiled.program)
    assert 10**6 - budget.left <= (states + 1) * (len(text) + 1)


def test_the_budget_ends_a_search() -> None:
    with pytest.raises(_ere.Spent):
        _ere.search(_ere.compile_ere("(x|y)*z"), "a" * 100, _ere.Budget(50))


HOSTILE = """\
account-hook 'imaps://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.com/' 'set imap_user=x from=x@example.com'
folder-hook '(a+)+b' 'set from=y@example.com'
"""


@pytest.mark.parametrize("fmt", ["mutt", "neomutt"])
def test_a_hostile_hook_pattern_does_not_hold_the_import_up(tmp_path: Path, fmt: str) -> None:
    """Python's re took hours on this file (2**36 ways to split the a's). The timeout is a hang guard."""
    rc = tmp_path / "muttrc"
    rc.write_text(HOSTILE)
    done = subprocess.run([sys.executable, "-m", "mailconf", "import", "--from", fmt, str(rc)], capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 1, done.stderr  # a hook not imported: exit 1 (docs/exit-codes.md)
    assert "    address: x@example.com\n" in done.stdout
    assert done.stderr.splitlines() == [
        f"mailconf: warning: {rc}:2:1: 1 hook that matches no mailbox URL of an account (a hook's pattern names "
        "one: folder-hook imaps://USER@HOST/ 'set ...') is not imported"
    ]


def test_hooks_that_take_too_long_to_match_stop_the_import_in_one_line(tmp_path: Path) -> None:
    """300 mailboxes times 300 patterns of several states: more than the import's two million steps."""
    lines = [f"account-hook imaps://user{n}@imap.example.com/ 'set imap_user=user{n}'" for n in range(300)]
    lines += [f"folder-hook '(x|y|{n})*z' 'set from=z@example.com'" for n in range(300)]
    rc = tmp_path / "muttrc"
    rc.write_text("\n".join(lines) + "\n")
    done = subprocess.run([sys.executable, "-m", "mailconf", "import", "--from", "mutt", str(rc)], capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines()[-1].startswith(f"mailconf: {rc}:")
    assert done.stderr.splitlines()[-1].endswith(
        ": the hooks' patterns take too long to match against the 300 mailboxes they name; write each hook's pattern "
        "as the mailbox URL it is for (folder-hook imaps://USER@HOST/ 'set ...')"
    )
