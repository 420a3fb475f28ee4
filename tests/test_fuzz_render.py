"""No valid account file, however hostile its text, injects into a rendered file or crashes render.

Hypothesis draws account files in the schema's shape (every field of both servers) with hostile text in every
free-text value: quotes of every kind, backslashes, ``%``, ``$``, backticks, ``#``, ``;``, non-ASCII, lone
surrogates (as JSON escapes, which the loader must refuse), C1 controls, line and paragraph separators (in an
address, which the schema must refuse; taken out of the other values, which the schema refuses too), very long
values and words a target's syntax reserves. The file goes through the real loader (JSON text is YAML), then every
target renders it:

- render succeeds or refuses with RenderError/UsageError (anything else is exit 3, an internal error);
- a file the target's own importer reads (tests/importers/test_round_trip.py) gives back every free-text value as
  declared, unless the render reported it as a gap: a value read back differently is an injection or an
  escaping bug;
- every file has as many lines as with harmless values in the same places, for every target (those no importer
  reads too): a line end a value brought in is a directive it adds;
- through the CLI, ``render -t all -o DIR`` again over a file the user edited refuses it, ``--force`` keeps the
  edit as NAME.bak, ``--update`` replaces it without one.

A long campaign: ``MAILCONF_FUZZ_EXAMPLES=5000 python3 -m pytest tests/test_fuzz_render.py`` (examples per
target; the suite runs 60, derandomized so that CI is repeatable).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st

from mailconf.document import load_document
from mailconf.errors import UsageError
from mailconf.render import RenderError, common_gaps, render_model
from mailconf.targets import TARGETS
from tests.importers.test_round_trip import FORMATS, _expected, round_trip

EXAMPLES = int(os.environ.get("MAILCONF_FUZZ_EXAMPLES", "60"))

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture,
                           HealthCheck.data_too_large],
)  # fmt: skip

#: single characters that mean something to some target's syntax, or to a shell, or that a parser may fold
_SPECIAL = [*"'\"`\\$%#;&|<>=!~*?()[]{},:@ \t/+-.^",
    "\u2018", "\u2019", "\u201c", "\u201d", "\u00ab", "\u00bb",  # typographic quotes
    "\x85", "\x80", "\x9f", "\u2028", "\u2029", "\u00a0", "\u200b", "\ufeff", "\u3000",  # C1, separators, spaces
    "\ud800", "\udfff",  # lone surrogates: written as JSON escapes; the loader must refuse them
    "é", "中", "😀", "ß", "\u0301",
]  # fmt: skip

#: words some target gives a meaning to at the start of a line, in a value, or as a section or key name
_WORDS = [
    "set", "source", "my_hdr", "account", "defaults", "poll", "via", "user", "password", "passwordeval", "is",
    "here", "[general]", "[DEFAULT]", "[Account x]", "IMAPAccount", "Channel", "Pass", "PassCmd", "true", "false",
    "yes", "no", "none", "on", "off", "null", "~", "%(name)s", "%%", "${HOME}", "$(id)", "`id`", "'\"'", "\\n",
    "\\\\", "<![CDATA[", "]]>", "&amp;", "</string>", "<!--", "-->", "user_pref(", "\");", "[Service List]", "=",
    "#", ";", "\"\"\"", "'''", "\\x00", "&lt;", "HKEY_CURRENT_USER", "<<EOF", "0x", "@", "imaps://", "//",
]  # fmt: skip

_PIECE = st.one_of(st.sampled_from(_SPECIAL), st.sampled_from(_WORDS), st.characters(codec="utf-8"),
                   st.characters(min_codepoint=0x80, max_codepoint=0x10FFFF))  # fmt: skip


def _text(min_size: int = 0, max_size: int = 4096) -> st.SearchStrategy[str]:
    """Hostile text the schema accepts (but for a lone surrogate): no C0, DEL or C1 control, no line or paragraph
    separator, which every name, user, path and command refuses."""
    short = st.lists(_PIECE, min_size=min_size, max_size=12).map("".join)
    long = st.tuples(_PIECE, st.integers(100, max_size + 10)).map(lambda t: t[0] * t[1])
    refused = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
    return st.one_of(short, short, short, long).map(lambda t: refused.sub("", t)[:max_size])


#: a name or an organisation
_LINE = _text(max_size=256)


_HOSTS = st.sampled_from(["imap.example.org", "smtp.example.net", "10.0.0.7", "::1", "Mail.Example.COM", "a.b-c.d."])
_SHA256, _SHA1, _MD5 = (
    "sha256:" + ":".join(["ab"] * 32),
    "sha1:" + ":".join(["12"] * 20),
    "md5:" + ":".join(["9C"] * 16),
)
_PIN = st.sampled_from([_SHA256, _SHA1, _MD5])
_NAMES = st.one_of(
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,12}", fullmatch=True),
    st.sampled_from(["default", "DEFAULT", "general", "account", "con", "NUL", "set", "poll", "true", "0", "a..b",
                     "x-", "mailconf", "Channel", "smtp", "imap", "id", "Account"]),
)  # fmt: skip


@st.composite
def _server(draw: st.DrawFn, protocol: str) -> dict[str, Any]:
    s: dict[str, Any] = {"host": draw(_HOSTS)}
    if protocol != "smtp":
        s["protocol"] = protocol
    optional: dict[str, st.SearchStrategy[Any]] = {
        "port": st.integers(1, 65535),
        "security": st.sampled_from(["tls", "starttls", "none"]),
        "auth": st.sampled_from(["password", "oauth2", "gssapi", "ntlm", "client-cert", "none"]),
        "username": _text(1, 256),
        "password_command": _text(1),
        "token_command": _text(1),
        "mechanisms": st.lists(st.sampled_from(["plain", "login", "scram-sha-1", "scram-sha-256", "cram-md5",
                                                "digest-md5", "ntlm", "gssapi", "xoauth2", "oauthbearer",
                                                "external"]), min_size=1, max_size=3, unique=True),
        "timeout": st.integers(0, 3600),
    }  # fmt: skip
    if protocol == "pop3":
        optional["leave_on_server"] = st.booleans()
    for key, strategy in optional.items():
        if draw(st.booleans()):
            s[key] = draw(strategy)
    tls: dict[str, Any] = {}
    for key, strategy in (("ca_file", _text().map(lambda t: "/" + t)), ("fingerprint", _PIN),
                          ("min_version", st.sampled_from(["1.0", "1.1", "1.2", "1.3"])),
                          ("verify", st.booleans()), ("verify_hostname", st.booleans()),
                          ("client_cert", _text().map(lambda t: "/" + t)),
                          ("client_key", _text().map(lambda t: "/" + t))):  # fmt: skip
        if draw(st.integers(0, 3)) == 0:
            tls[key] = draw(strategy)
    if tls:
        s["tls"] = tls
    return s


@st.composite
def account_files(draw: st.DrawFn) -> bytes:
    """An account file's bytes (JSON, which is YAML), in the schema's shape, hostile text in every free-text value."""
    names = draw(st.lists(_NAMES, min_size=1, max_size=3, unique=True))
    accounts: dict[str, Any] = {}
    for name in names:
        local = draw(st.one_of(st.from_regex(r"[a-z0-9][a-z0-9.+_-]{0,8}", fullmatch=True),
                               st.lists(st.sampled_from([*"a'`$%#!&*+/=?^{|}~-é中", "\u2028"]),
                                        min_size=1, max_size=8).map("".join)))  # fmt: skip
        account: dict[str, Any] = {"address": f"{local}@{draw(st.sampled_from(['example.org', 'Example.NET']))}"}
        for key in ("display_name", "organization"):
            if draw(st.booleans()):
                account[key] = draw(_LINE)
        sides = draw(st.sampled_from(["incoming", "outgoing", "both", "both"]))
        if sides != "outgoing":
            account["incoming"] = draw(_server(draw(st.sampled_from(["imap", "pop3"]))))
        if sides != "incoming":
            account["outgoing"] = draw(_server("smtp"))
        accounts[name] = account
    text = json.dumps({"version": 1, "accounts": accounts}, ensure_ascii=draw(st.booleans()))
    return text.encode("utf-8", "surrogatepass")


#: the settings whose values are free text: each one read back is compared with the declared one
FREE_TEXT = ("address", "display_name", "organization", "username", "password_command", "token_command",
             "tls.ca_file", "tls.client_cert", "tls.client_key")  # fmt: skip


def _free_text(key: str) -> bool:
    return key in FREE_TEXT or key.partition(".")[2] in FREE_TEXT


def _blank_is_none(key: str, value: Any) -> Any:
    """An empty name or organisation is the same as none: some formats write it so (lint flags it: MC712)."""
    return None if key in ("display_name", "organization") and value == "" else value


def _file(**servers: Any) -> bytes:
    return json.dumps({"version": 1, "accounts": {"a": {"address": "a@example.org", **servers}}}).encode()


_IMAP = {"host": "i.example.org", "protocol": "imap"}


@pytest.mark.parametrize("fmt", sorted(TARGETS))
@FUZZ
@given(raw=account_files())
# what the long campaign found, each a fold of the tests' oracle (tests/importers/test_round_trip.py), not a defect:
# mbsync: PassCmd is the token's command when AuthMechs names PLAIN for oauth2 (it comes back as a password's)
@example(raw=_file(incoming={**_IMAP, "auth": "oauth2", "token_command": "'", "mechanisms": ["plain"],
                             "tls": {"fingerprint": _SHA256, "verify": False}}))  # fmt: skip
# msmtp: passwordeval is the password's (or NTLM's) command when auth names xoauth2 (it comes back as a token's),
# and the token's when it names external (it comes back as a password's)
@example(raw=_file(outgoing={"host": "s.example.org", "password_command": "'", "mechanisms": ["xoauth2"]}))
@example(raw=_file(outgoing={"host": "s.example.org", "auth": "ntlm", "password_command": "'" * 100,
                             "mechanisms": ["xoauth2"]}))  # fmt: skip
@example(raw=_file(outgoing={"host": "s.example.org", "auth": "oauth2", "token_command": "'",
                             "mechanisms": ["external"]}))  # fmt: skip
# offlineimap, getmail: a pin they cannot compare (a gap) leaves the CAs checked, so ca_file is written
@example(raw=_file(incoming={**_IMAP, "tls": {"ca_file": "/", "fingerprint": _MD5, "verify": False}}))
@example(raw=_file(incoming={**_IMAP, "tls": {"ca_file": "/", "fingerprint": _SHA1, "verify": False}}))
# autodiscover: a blank username was written without a gap, and the import leaves its Protocol out (Thunderbird too)
@example(raw=_file(incoming=_IMAP, outgoing={"host": "s.example.org", "username": " "}))
@example(raw=_file(outgoing={"host": "s.example.org", "username": " "}))
# msmtp: an address holding ? or * was written as a from msmtp reads as a wildcard pattern (CI, session 25)
@example(raw=json.dumps({"version": 1, "accounts": {
    "0": {"address": "0@example.org", "incoming": _IMAP},
    "1": {"address": "?@example.org", "outgoing": {"host": "imap.example.org", "username": "'"}},
}}).encode())  # fmt: skip
def test_render_writes_hostile_text_as_declared_or_refuses_it(
    fmt: str, raw: bytes, tmp_path_factory: pytest.TempPathFactory
) -> None:
    model = load_document("fuzz.yaml", raw).model
    assume(model.accounts)  # invalid (a lone surrogate, a value the schema refuses): lint's business, not render's
    if common_gaps(model)[1]:  # refused for every target before any renders (MC304, starttls-optional)
        event("refused")
        return
    try:
        rendered = render_model(TARGETS[fmt], model, {})
    except (RenderError, UsageError) as exc:  # refused: one line, which never holds a value
        assert "\n" not in str(exc)
        event("refused")
        return
    assert all(isinstance(f.content, bytes) for f in rendered.files)
    if fmt not in FORMATS:
        return  # no importer reads it back (outlook-prf), or one per mail domain, not per account (autoconfig)
    if all(_expected(fmt, a, model, rendered.gaps) is None for a in model.accounts):
        return  # no account the format expresses (thunderbird writes a send-only account's SMTP server alone)
    got, gaps, _ = round_trip(fmt, model, tmp_path_factory.mktemp(fmt))
    assert gaps == rendered.gaps
    differing = {}
    for account in model.accounts:
        expected = _expected(fmt, account, model, gaps)
        if expected is None or account.name not in got:
            continue
        unused = {f"{s.side}.username" for s in account.servers if s.auth.value == "none"}  # no login: not written
        for key, value in expected.items():
            back = got[account.name].get(key)
            if _free_text(key) and key not in unused and _blank_is_none(key, back) != _blank_is_none(key, value):
                differing[(account.name, key)] = (back, value)
    event("read back")
    assert differing == {}, "(account, setting): (imported, declared)"


#: the free-text settings a neutral value replaces (each one's own kind: a path stays absolute)
_NEUTRAL = {"display_name": "v", "organization": "v", "username": "v", "password_command": "v", "token_command": "v",
            "ca_file": "/v", "client_cert": "/v", "client_key": "/v"}  # fmt: skip

#: every line end some client's reader ends a line at: YAML, Python's str.splitlines(), INI readers, Windows
_LINE_ENDS = re.compile("\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def _neutral(data: Any, seen: dict[tuple[str, str], int]) -> Any:
    """``data`` with each free-text value replaced by a harmless one, equal values by equal ones (two accounts that
    share a CA file still share it), an empty one left empty (the schema refuses it either way)."""
    if isinstance(data, dict):
        return {
            key: f"{_NEUTRAL[key]}{seen.setdefault((key, value), len(seen))}"
            if key in _NEUTRAL and isinstance(value, str) and value
            else _neutral(value, seen)
            for key, value in data.items()
        }
    return data


def _line_ends(content: bytes) -> int:
    """How many lines end in a rendered file: UTF-16 (outlook-prf) decoded; a .reg hex value continued on the next
    line (``\\`` then CRLF and spaces, regedit's wrapping of a long value) is one line."""
    text = content.decode("utf-16") if content.startswith(b"\xff\xfe") else content.decode("utf-8", "replace")
    return len(_LINE_ENDS.findall(re.sub(r"\\\r\n +", "", text)))


@pytest.mark.parametrize("fmt", sorted(TARGETS))
@FUZZ
@given(raw=account_files())
def test_hostile_text_adds_no_line_to_any_rendered_file(fmt: str, raw: bytes) -> None:
    """Differential, so it holds for every target, those no importer reads back (outlook-prf, autoconfig) too: each
    file has as many lines as with harmless values in the same places. A line end a value brought in unescaped is a
    directive it adds (``eval CMD`` in msmtp, a ``user_pref(...)`` in user.js, a registry key in a .reg)."""
    model = load_document("fuzz.yaml", raw).model
    assume(model.accounts)
    neutral = json.dumps(_neutral(json.loads(raw.decode("utf-8", "surrogatepass")), {})).encode()
    plain_model = load_document("fuzz.yaml", neutral).model
    assume([a.name for a in plain_model.accounts] == [a.name for a in model.accounts])
    try:
        hostile = render_model(TARGETS[fmt], model, {})
        plain = render_model(TARGETS[fmt], plain_model, {})
    except (RenderError, UsageError):
        event("refused")  # in one line: test_render_writes_hostile_text_as_declared_or_refuses_it
        return
    assume(hostile.gaps == plain.gaps)  # a value a target cannot write (a gap) may leave its line out
    lines = {f.name: _line_ends(f.content) for f in hostile.files}
    assert lines == {f.name: _line_ends(f.content) for f in plain.files}


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@settings(FUZZ, max_examples=max(EXAMPLES // 2, 1))
@given(raw=account_files(), pick=st.integers(0, 1000))
def test_render_again_force_and_update_never_lose_what_the_user_wrote(
    raw: bytes, pick: int, tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    """``render -t all -o DIR`` of a hostile file, then again over a rendered file the user edited: refused (exit 2,
    the edit kept), ``--force`` (the edit kept as NAME.bak), ``--update`` (exit 1, no .bak). Every exit code is a
    documented one (docs/exit-codes.md), every message one line."""
    from mailconf.cli import main

    assume(load_document("fuzz.yaml", raw).model.accounts)  # else refused before any target (the other tests)
    tmp = tmp_path_factory.mktemp("render")
    source, out = tmp / "accounts.json", tmp / "out"
    source.write_bytes(raw)

    def render(*options: str) -> int:
        code = main(["render", "-t", "all", str(source), "-o", str(out), *options])
        err = capsys.readouterr().err
        assert all(line.startswith(("mailconf: ", f"{source}:")) for line in err.splitlines()), err
        assert "internal error" not in err
        return int(code)

    code = render()
    assert code in (0, 1, 2)
    assume(code == 0)  # refused (the schema, a value a target cannot write): before any file is written
    rendered = _tree(out)
    assert render() == 0  # the same files: nothing to replace
    assert _tree(out) == rendered
    edited = sorted(rendered)[pick % len(rendered)]
    mine = rendered[edited] + b"# mine\n"
    (out / edited).write_bytes(mine)
    assert render() == 2
    assert _tree(out) == {**rendered, edited: mine}
    assert render("--force") == 0
    assert _tree(out) == {**rendered, f"{edited}.bak": mine}
    (out / edited).write_bytes(mine)
    assert render("--update") == 1
    assert _tree(out) == {**rendered, f"{edited}.bak": mine}
