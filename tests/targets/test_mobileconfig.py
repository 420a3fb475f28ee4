# mypy: disable-error-code="untyped-decorator"
# (pyproject skips following hypothesis, so its decorators look untyped)
"""Target mobileconfig: every key, type and allowed value is Apple's, the profile survives libplist's
XML -> binary -> XML round trip unchanged, and a re-render is byte-identical.

No Apple program runs on Linux, so the profile is checked against the facts of Apple's published
payload schema, written out below as test data (APPLE_MAIL_KEYS: from apple/device-management,
mdm/profiles/com.apple.mail.managed.yaml; PROFILE_KEYS: the Configuration profile's own keys, from
the same repository's TopLevel.yaml), and read back by two independent plist readers: Python's plistlib
and libplist's ``plistutil``.
"""

from __future__ import annotations

import datetime
import json
import plistlib
import re
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mailconf.document import load_document
from mailconf.model import Model
from mailconf.render import render_model
from mailconf.targets import Gap, Rendered, _plist, mobileconfig
from tests.conftest import EXAMPLES, need
from tests.targets._common import (
    XML_CONTROLS,
    XML_HOSTILE,
    put_directly,
    refusal,
    run_render,
    strings,
    xml_refusal,
)

_AUTH = ("EmailAuthNone", "EmailAuthPassword", "EmailAuthCRAMMD5", "EmailAuthNTLM", "EmailAuthHTTPMD5")
#: com.apple.mail.managed: key -> (type, allowed values or None, required). Apple's schema, as test data.
APPLE_MAIL_KEYS: dict[str, tuple[type, tuple[Any, ...] | None, bool]] = {
    "EmailAccountDescription": (str, None, False),
    "EmailAccountName": (str, None, False),
    "EmailAccountType": (str, ("EmailTypeIMAP", "EmailTypePOP"), True),
    "EmailAddress": (str, None, False),
    "IncomingMailServerAuthentication": (str, _AUTH, True),
    "IncomingMailServerHostName": (str, None, True),
    "IncomingMailServerPortNumber": (int, None, False),
    "IncomingMailServerUseSSL": (bool, None, False),
    "IncomingMailServerUsername": (str, None, False),
    "IncomingPassword": (str, None, False),
    "OutgoingPassword": (str, None, False),
    "OutgoingPasswordSameAsIncomingPassword": (bool, None, False),
    "OutgoingMailServerAuthentication": (str, _AUTH, True),
    "OutgoingMailServerHostName": (str, None, True),
    "OutgoingMailServerPortNumber": (int, None, False),
    "OutgoingMailServerUseSSL": (bool, None, False),
    "OutgoingMailServerUsername": (str, None, False),
    "PreventMove": (bool, None, False),
    "PreventAppSheet": (bool, None, False),
    "SMIMEEnabled": (bool, None, False),
    "IncomingMailServerIMAPPathPrefix": (str, None, False),
    "allowMailDrop": (bool, None, False),
    "disableMailRecentsSyncing": (bool, None, False),
    "VPNUUID": (str, None, False),
}
#: Every payload's common keys (TopLevel.yaml / CommonPayloadKeys.yaml).
PAYLOAD_KEYS: dict[str, tuple[type, tuple[Any, ...] | None, bool]] = {
    "PayloadType": (str, None, True),
    "PayloadVersion": (int, (1,), True),
    "PayloadIdentifier": (str, None, True),
    "PayloadUUID": (str, None, True),
    "PayloadDisplayName": (str, None, False),
    "PayloadDescription": (str, None, False),
    "PayloadOrganization": (str, None, False),
}
PROFILE_KEYS = {**PAYLOAD_KEYS, "PayloadContent": (list, None, True), "PayloadRemovalDisallowed": (bool, None, False)}
UUID = re.compile(r"^[0-9A-Za-z]{8}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}-[0-9A-Za-z]{12}$")


def schema_failures(keys: dict[str, Any], schema: dict[str, tuple[type, tuple[Any, ...] | None, bool]]) -> list[str]:
    failures = [f"{k}: not in Apple's schema" for k in keys if k not in schema]
    for key, (kind, allowed, required) in schema.items():
        if key not in keys:
            if required:
                failures.append(f"{key}: required, missing")
            continue
        value = keys[key]
        if type(value) is not kind:  # bool is an int in Python: compare exactly
            failures.append(f"{key}: {type(value).__name__}, Apple says {kind.__name__}")
        elif allowed is not None and value not in allowed:
            failures.append(f"{key}: {value!r} is not one of {allowed}")
    return failures


def profile_failures(profile: dict[str, Any]) -> list[str]:
    failures = schema_failures(profile, PROFILE_KEYS)
    if profile.get("PayloadType") != "Configuration":
        failures.append("PayloadType: not Configuration")
    for payload in profile.get("PayloadContent", []):
        failures += schema_failures(payload, {**APPLE_MAIL_KEYS, **PAYLOAD_KEYS})
        if payload.get("PayloadType") != "com.apple.mail.managed":
            failures.append("payload: not com.apple.mail.managed")
        failures += [f"{k}: not a UUID" for k in ("PayloadUUID",) if not UUID.match(str(payload.get(k)))]
    failures += [f"{k}: not a UUID" for k in ("PayloadUUID",) if not UUID.match(str(profile.get(k)))]
    return failures


def model_from(accounts: dict[str, Any]) -> Model:
    doc = load_document("provider.yaml", json.dumps({"version": 1, "accounts": accounts}, ensure_ascii=False).encode())
    assert [i for i in doc.issues if i.rule in ("MC001", "MC002")] == []
    return doc.model


def rendered(accounts: dict[str, Any], options: dict[str, str] | None = None) -> Rendered:
    return render_model(mobileconfig, model_from(accounts), options or {})


def account(user: str = "alice", **servers: Any) -> dict[str, Any]:
    return {
        "address": f"{user}@example.org",
        "display_name": "Alice Liddell",
        "incoming": {"protocol": "imap", "host": "imap.example.org", **servers.get("incoming", {})},
        "outgoing": {"host": "smtp.example.org", **servers.get("outgoing", {})},
    }


def mail_payload(content: bytes) -> dict[str, Any]:
    profile = plistlib.loads(content)
    [payload] = profile["PayloadContent"]
    assert isinstance(payload, dict)
    return payload


# --- Apple's schema --------------------------------------------------------------------------------------------


def test_the_schema_check_bites() -> None:
    good = plistlib.loads(rendered({"a": account("a")}).files[0].content)
    assert profile_failures(good) == []
    bad = json.loads(json.dumps(good))
    payload = bad["PayloadContent"][0]
    payload["IncomingMailServerUseSSL"] = "true"
    payload["EmailAccountType"] = "EmailTypeJMAP"
    payload["IncomingMailServerSSL"] = True
    del payload["OutgoingMailServerHostName"]
    assert profile_failures(bad) == [
        "IncomingMailServerSSL: not in Apple's schema",
        "EmailAccountType: 'EmailTypeJMAP' is not one of ('EmailTypeIMAP', 'EmailTypePOP')",
        "IncomingMailServerUseSSL: str, Apple says bool",
        "OutgoingMailServerHostName: required, missing",
    ]


@pytest.mark.parametrize("security", ["tls", "starttls", "none"])
@pytest.mark.parametrize("protocol", ["imap", "pop3"])
@pytest.mark.parametrize("auth", ["password", "ntlm", "none", "oauth2", "gssapi", "client-cert"])
def test_every_combination_keeps_apples_schema(security: str, protocol: str, auth: str) -> None:
    extras: dict[str, Any] = {
        "oauth2": {"token_command": "t"},
        "client-cert": {"tls": {"client_cert": "/c.pem", "client_key": "/k.pem"}},
    }
    extra = extras.get(auth, {})
    server = {"security": security, "auth": auth, **extra}
    [file] = rendered({"a": account("a", incoming={"protocol": protocol, **server}, outgoing=server)}).files
    assert profile_failures(plistlib.loads(file.content)) == []


def test_every_example_keeps_apples_schema() -> None:
    count = 0
    for path in sorted(EXAMPLES.glob("*.yaml")):
        doc = load_document(str(path))
        usable = [a for a in doc.model.accounts if all(s.security.value != "starttls-optional" for s in a.servers)]
        for file in render_model(mobileconfig, Model(tuple(usable)), {}).files:
            assert profile_failures(plistlib.loads(file.content)) == [], file.name
            count += 1
    assert count >= 3


def test_what_the_payload_says() -> None:
    result = rendered({"work": account("alice", incoming={"username": "alice", "port": 10993},
                                       outgoing={"username": "alice", "security": "starttls"})})  # fmt: skip
    [file] = result.files
    assert (file.name, file.mode) == ("mobileconfig/work.mobileconfig", 0o644)
    payload = mail_payload(file.content)
    assert {k: v for k, v in payload.items() if not k.startswith("Payload")} == {
        "EmailAccountType": "EmailTypeIMAP",
        "EmailAccountDescription": "work",
        "EmailAccountName": "Alice Liddell",
        "EmailAddress": "alice@example.org",
        "IncomingMailServerHostName": "imap.example.org",
        "IncomingMailServerPortNumber": 10993,
        "IncomingMailServerUseSSL": True,
        "IncomingMailServerAuthentication": "EmailAuthPassword",
        "IncomingMailServerUsername": "alice",
        "OutgoingMailServerHostName": "smtp.example.org",
        "OutgoingMailServerPortNumber": 587,
        "OutgoingMailServerUseSSL": True,  # STARTTLS: written true, with a gap
        "OutgoingMailServerAuthentication": "EmailAuthPassword",
        "OutgoingMailServerUsername": "alice",
        "OutgoingPasswordSameAsIncomingPassword": True,
    }
    assert [g for g in result.gaps if g.setting == "outgoing.security"] == [
        Gap("work", "outgoing.security", mobileconfig.INSTEAD["security: starttls"])
    ]


@pytest.mark.parametrize(
    ("incoming", "outgoing", "same"),
    [
        ({}, {}, True),
        ({"password_command": "pass show mail"}, {"password_command": "pass show mail"}, True),
        ({"password_command": "pass show imap"}, {"password_command": "pass show smtp"}, False),
        ({"password_command": "pass show mail"}, {}, False),
        ({"username": "alice"}, {"username": "bob"}, False),
        ({"auth": "ntlm"}, {}, False),
        ({"auth": "oauth2", "token_command": "tok imap"}, {"auth": "oauth2", "token_command": "tok smtp"}, False),
        ({"auth": "gssapi", "password_command": "unused"}, {"auth": "gssapi"}, True),  # no command runs
    ],
    ids=["no-command", "one-command", "two-commands", "one-side", "two-users", "two-auths", "two-tokens", "unused"],
)
def test_the_device_is_told_one_password_only_when_the_file_says_one(
    incoming: dict[str, str], outgoing: dict[str, str], same: bool
) -> None:
    """Two password commands are two passwords: the profile said OutgoingPasswordSameAsIncomingPassword true for
    any two logins with the same user and auth, and the device, asking once, sent the IMAP password to SMTP."""
    payload = mail_payload(rendered({"a": account("a", incoming=incoming, outgoing=outgoing)}).files[0].content)
    assert payload["OutgoingPasswordSameAsIncomingPassword"] is same


def test_never_a_password() -> None:
    for auth in ("password", "ntlm"):
        content = rendered({"a": account("a", incoming={"auth": auth})}).files[0].content
        assert b"Password</key>" not in content.replace(b"OutgoingPasswordSameAsIncomingPassword</key>", b"")
        assert not {"IncomingPassword", "OutgoingPassword"} & set(mail_payload(content))


def test_plain_is_use_ssl_false_and_pop3_is_email_type_pop() -> None:
    plain = account(
        "a", incoming={"protocol": "pop3", "security": "none"}, outgoing={"security": "none", "auth": "none"}
    )
    payload = mail_payload(rendered({"a": plain}).files[0].content)
    assert (payload["EmailAccountType"], payload["IncomingMailServerUseSSL"], payload["OutgoingMailServerUseSSL"]) == (
        "EmailTypePOP",
        False,
        False,
    )
    assert payload["OutgoingMailServerAuthentication"] == "EmailAuthNone"
    assert payload["OutgoingPasswordSameAsIncomingPassword"] is False


def test_an_account_without_both_servers_gets_no_profile_and_a_gap() -> None:
    only_out = account("a")
    del only_out["incoming"]
    result = rendered({"a": only_out, "b": account("b")})
    assert [f.name for f in result.files] == ["mobileconfig/b.mobileconfig"]
    assert [g for g in result.gaps if g.account == "a"] == [Gap("a", "incoming", mobileconfig.BOTH_SERVERS)]


# --- stable identity -------------------------------------------------------------------------------------------


def test_a_re_render_is_byte_identical_and_the_uuids_are_derived_as_documented() -> None:
    accounts = {"a": account("a"), "b": account("b")}
    first, second = rendered(accounts), rendered(accounts)
    assert [f.content for f in first.files] == [f.content for f in second.files]
    profile = plistlib.loads(first.files[0].content)
    namespace = uuid.uuid5(uuid.NAMESPACE_DNS, "mobileconfig.mailconf.invalid")
    expected = uuid.uuid5(namespace, "\0a\0a@example.org")
    assert profile["PayloadUUID"] == str(expected).upper()
    assert profile["PayloadIdentifier"] == f"org.example.mailconf.{str(expected).upper()}"
    payload = profile["PayloadContent"][0]
    assert payload["PayloadUUID"] == str(uuid.uuid5(namespace, "\0a\0a@example.org\0com.apple.mail.managed")).upper()
    assert payload["PayloadIdentifier"] == profile["PayloadIdentifier"] + ".mail"
    uuids = {plistlib.loads(f.content)["PayloadUUID"] for f in first.files}
    assert len(uuids) == 2  # one identity per account
    sourced = rendered(accounts, {"source": "/srv/accounts.yaml"})
    assert (
        plistlib.loads(sourced.files[0].content)["PayloadUUID"]
        == str(uuid.uuid5(namespace, "/srv/accounts.yaml\0a\0a@example.org")).upper()
    )


def test_account_profile_is_the_rendered_file() -> None:
    model = model_from({"a": account("a")})
    [file] = render_model(mobileconfig, model, {"source": "s"}).files
    assert mobileconfig.account_profile(model.accounts[0], "s") == file.content


# --- libplist reads it back ------------------------------------------------------------------------------------


def plistutil_round_trip(content: bytes, directory: Path) -> bytes:
    """XML -> binary -> XML through libplist's plistutil."""
    need("plistutil")
    source, binary, back = directory / "p.xml", directory / "p.bin", directory / "back.xml"
    source.write_bytes(content)
    subprocess.run(["plistutil", "-i", str(source), "-o", str(binary), "-f", "bin"], check=True)
    assert binary.read_bytes().startswith(b"bplist00")
    subprocess.run(["plistutil", "-i", str(binary), "-o", str(back), "-f", "xml"], check=True)
    return back.read_bytes()


def test_plistutil_round_trip_reads_back_equal(tmp_path: Path) -> None:
    content = rendered({"a": account("a", incoming={"protocol": "pop3", "security": "starttls"})}).files[0].content
    back = plistutil_round_trip(content, tmp_path)
    assert plistlib.loads(back) == plistlib.loads(content)
    assert plistlib.loads(plistlib.dumps(plistlib.loads(back))) == plistlib.loads(content)


_TEXT = strings(XML_HOSTILE, max_size=8)


def hostile_model(name: str, host: str, user: str) -> Model:
    return put_directly(model_from({"a": account("a")}), host, user, display_name=name)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])  # fmt: skip
@given(name=_TEXT, host=_TEXT, user=_TEXT)
@example(name="]]><x/>", host="a\"b'c<d>e&f]]>😀", user="</string><key>IncomingPassword</key><string>x")
def test_hostile_values_read_back_exactly_through_both_readers(name: str, host: str, user: str, tmp_path: Path) -> None:
    [file] = render_model(mobileconfig, hostile_model(name, host, user), {}).files
    payload = mail_payload(file.content)
    assert (
        payload["EmailAccountName"],
        payload["IncomingMailServerHostName"],
        payload["OutgoingMailServerUsername"],
    ) == (name, host, user)
    assert set(payload) == set(mail_payload(rendered({"a": account("a")}).files[0].content))  # nothing added
    assert plistlib.loads(plistutil_round_trip(file.content, tmp_path)) == plistlib.loads(file.content)


@pytest.mark.parametrize("control", XML_CONTROLS)
@pytest.mark.parametrize("where", ["display_name", "incoming.host", "incoming.username"])
def test_control_characters_are_refused_naming_account_and_setting(control: str, where: str) -> None:
    value = f"x{control}y"
    values = {"display_name": "Name", "incoming.host": "mail.example.org", "incoming.username": "a"} | {where: value}
    model = hostile_model(values["display_name"], values["incoming.host"], values["incoming.username"])
    expected = f"target mobileconfig: not rendered: account a: {where}: {xml_refusal(control)}"
    assert refusal(mobileconfig, model.accounts[0]) == expected


@pytest.mark.parametrize("local", ["o'neil&co", "a/b!#$%*+=?^{|}~", "é😀", "x&gt"])
def test_an_address_with_metacharacters_reads_back_through_both_readers(local: str, tmp_path: Path) -> None:
    address = f"{local}@example.org"
    model = model_from({"a": {**account("a"), "address": address}})  # the schema admits these local parts
    [file] = render_model(mobileconfig, model, {}).files
    profile = plistlib.loads(file.content)
    assert profile["PayloadContent"][0]["EmailAddress"] == address
    assert profile["PayloadDisplayName"] == f"Mail account {address}"
    assert plistlib.loads(plistutil_round_trip(file.content, tmp_path)) == profile


# --- the property list writer equals plistlib's, byte for byte -------------------------------------------------
# mailconf/targets/_plist.py writes the profile (plistlib's writer was ~80% of the target's time); plistlib's
# writer is the oracle: same bytes for every value of the types a profile holds, same kind of refusal otherwise.


def plistlib_says(value: Any) -> bytes | type[BaseException]:
    try:
        return plistlib.dumps(value, fmt=plistlib.FMT_XML, sort_keys=True)
    except (ValueError, TypeError, OverflowError) as exc:  # its refusals (UnicodeEncodeError is a ValueError)
        return type(exc)


def ours_says(write: Callable[[object], bytes], value: object) -> bytes | type[BaseException]:
    try:
        return write(value)
    except (ValueError, TypeError, OverflowError) as exc:
        return type(exc)


#: C0 controls plistlib refuses (it writes tab, LF and CR, the last as LF).
PLIST_CONTROLS = [chr(c) for c in range(32) if chr(c) not in "\t\n\r"]
_PIECES = ["&", "<", ">", "]]>", '"', "'", "&amp;", "é", "😀", "𝄞", "\u200b", "\t", "\n", "\r", "\r\n", "%s", "%d", " "]
#: Texts plistlib writes: any text but a refused control or a lone surrogate, with the hostile pieces mixed in.
_GOOD_TEXT = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"], exclude_characters=PLIST_CONTROLS), max_size=12),
    strings(_PIECES, max_size=6),
    st.sampled_from(["", "a", "EmailAddress", "imap.example.org"]),
)
_GOOD_INT = st.one_of(st.integers(min_value=-(1 << 63), max_value=(1 << 64) - 1), st.sampled_from([0, 1, -1, 993]))
_GOOD_LEAF = st.one_of(_GOOD_TEXT, _GOOD_INT, st.booleans())
#: And what it refuses: a text with a control or a lone surrogate, an integer out of its range.
_BAD_TEXT = st.builds("{}{}{}".format, _GOOD_TEXT, st.sampled_from([*PLIST_CONTROLS, "\ud800", "\udfff"]), _GOOD_TEXT)
_BAD_LEAF = st.one_of(_BAD_TEXT, st.sampled_from([1 << 64, -(1 << 63) - 1, 1 << 70]))


def nested(leaves: st.SearchStrategy[Any], keys: st.SearchStrategy[str] = _GOOD_TEXT) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=5),
        max_leaves=25,
    )


@settings(max_examples=400, deadline=None)
@given(value=nested(_GOOD_LEAF))
@example(value={})
@example(value=[])
@example(value={"a": {}, "b": [], "c": [{}, []], "": ""})
@example(value={"k&<>]]>": "v&<>]]>\"'", "é": "😀𝄞", "\r\n": "a\r\nb\rc\n\td"})
@example(value=[True, False, 0, 1, -1, -(1 << 63), (1 << 64) - 1, "", "%s%d"])
def test_the_writer_is_plistlib_byte_for_byte(value: Any) -> None:
    expected = plistlib.dumps(value, fmt=plistlib.FMT_XML, sort_keys=True)
    assert _plist.dumps(value) == expected
    assert _plist.Layout(value).dumps(value) == expected


@settings(max_examples=300, deadline=None)
@given(value=nested(st.one_of(_GOOD_LEAF, _BAD_LEAF), st.one_of(_GOOD_TEXT, _BAD_TEXT)))
@example(value={"a": "x\x00y"})
@example(value={"a\x1b": "x"})
@example(value=["\ud800"])
@example(value={"a": 1 << 64, "b": "\x00"})  # plistlib stops at the first error in the order it writes
@example(value={"a": "\x00", "b": 1 << 64})
@example(value={"a": "\ud800", "b": 1 << 64})
@example(value={"a": [{"b": 1 << 64}], "c": "\x00"})
def test_what_plistlib_refuses_the_writer_refuses_the_same_way(value: Any) -> None:
    said = plistlib_says(value)
    assert ours_says(_plist.dumps, value) == said
    assert ours_says(_plist.Layout({}).dumps, value) == said


@pytest.mark.parametrize("control", PLIST_CONTROLS)
def test_a_control_character_is_refused_with_plistlibs_message(control: str) -> None:
    for value in ([f"a{control}b"], {f"a{control}": 1}):
        with pytest.raises(ValueError) as theirs:
            plistlib.dumps(value)
        with pytest.raises(ValueError) as ours:
            _plist.dumps(value)
        assert str(ours.value) == str(theirs.value) == "strings can't contain control characters; use bytes instead"


@pytest.mark.parametrize(
    "value",
    [1.5, b"x", bytearray(b"x"), None, ("a", "b"), datetime.datetime(2026, 1, 1), {"a": 0.0}, {"a": [None]}, {1: "x"}],
    ids=["float", "bytes", "bytearray", "None", "tuple", "datetime", "a float in a text's place", "nested", "int key"],
)
def test_a_type_the_profile_never_holds_is_a_type_error(value: object) -> None:
    with pytest.raises(TypeError):
        _plist.dumps(value)
    with pytest.raises(TypeError):
        _plist.Layout({"a": "b"}).dumps(value)


def reshaped(data: st.DataObject, value: Any, leaves: st.SearchStrategy[Any]) -> Any:
    """``value`` with every leaf drawn anew (of any type), and now and then a key renamed or a container changed."""
    if isinstance(value, dict):
        out = {k: reshaped(data, v, leaves) for k, v in value.items()}
        if out and data.draw(st.integers(0, 9)) == 0:
            out[data.draw(_GOOD_TEXT)] = out.pop(next(iter(out)))
        return out
    if isinstance(value, list):
        return [reshaped(data, v, leaves) for v in value]
    return data.draw(st.one_of(leaves, nested(leaves)) if data.draw(st.integers(0, 19)) == 0 else leaves)


@settings(max_examples=300, deadline=None)
@given(example=nested(_GOOD_LEAF), data=st.data())
def test_a_layout_writes_any_value_as_plistlib_does(example: Any, data: st.DataObject) -> None:
    layout = _plist.Layout(example)
    for leaves in (_GOOD_LEAF, st.one_of(_GOOD_LEAF, _BAD_LEAF)):
        value = reshaped(data, example, leaves)
        assert ours_says(layout.dumps, value) == plistlib_says(value)


def test_a_layout_writes_its_shape_without_the_general_writer(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast path is taken, and is right, for a profile with new leaves (not only the general writer)."""
    model = model_from({"a": account("a"), "b": account("b", incoming={"protocol": "pop3", "security": "none"})})
    first, second = (plistlib.loads(f.content) for f in render_model(mobileconfig, model, {}).files)
    layout = _plist.Layout(first)

    def refuse(value: object) -> bytes:
        raise AssertionError("the general writer was called")

    monkeypatch.setattr(_plist, "dumps", refuse)
    assert layout.dumps(second) == plistlib.dumps(second)
    assert b"<false/>" in layout.dumps(second) and b"EmailTypePOP" in layout.dumps(second)


def test_every_profile_is_what_plistlib_writes() -> None:
    """Every example's profiles, and the accounts of these tests': plistlib writes the same bytes for what it reads
    back (the profile's texts hold no CR, the one thing plistlib does not read back as written)."""
    count = 0
    models = [Model(tuple(a for a in load_document(str(path)).model.accounts
                          if all(s.security.value != "starttls-optional" for s in a.servers)))
              for path in sorted(EXAMPLES.glob("*.yaml"))]  # fmt: skip
    models.append(model_from({"a": account("a"), "b": {**account("b"), "address": "o'neil&co@example.org"}}))
    models.append(hostile_model("]]><x/>", "a\"b'c<d>e&f]]>😀", "</string><key>IncomingPassword</key><string>x"))
    for model in models:
        for options in ({}, {"source": "/srv/a&b<c>.yaml"}):
            for file in render_model(mobileconfig, model, options).files:
                assert plistlib.dumps(plistlib.loads(file.content)) == file.content, file.name
                count += 1
    assert count >= 10


@settings(max_examples=200, deadline=None)
@given(source=st.text(st.characters(exclude_categories=["Cs"])), name=_TEXT, address=_TEXT)
def test_the_uuids_are_uuid5s(source: str, name: str, address: str) -> None:
    acct = put_directly(model_from({"a": account("a")}), "imap.example.org", "a", name=name, address=address).accounts[
        0
    ]
    key = "\0".join((source, name, address))
    assert mobileconfig.uuids(acct, source) == (
        str(uuid.uuid5(mobileconfig.NAMESPACE, key)).upper(),
        str(uuid.uuid5(mobileconfig.NAMESPACE, f"{key}\0com.apple.mail.managed")).upper(),
    )


@pytest.mark.parametrize(
    ("target", "setting"), [("mobileconfig", "display_name"), ("autoconfig", "organization"),
                            ("autodiscover", "display_name")]
)  # fmt: skip
def test_a_noncharacter_from_a_yaml_escape_is_refused_as_what_it_is(target: str, setting: str, tmp_path: Path) -> None:
    """U+FFFE, which a YAML "\\uFFFE" escape gives and the schema takes: before, the refusal called it a control
    character (line break, tab, NUL), which the user's file does not hold."""
    text = (
        'version: 1\naccounts:\n  a:\n    address: a@example.org\n    display_name: "Ann\\uFFFE"\n'
        '    organization: "Org\\uFFFF"\n'
        "    incoming: {protocol: imap, host: imap.example.org, username: a@example.org}\n"
        "    outgoing: {host: smtp.example.org, username: a@example.org}\n"
    )
    (tmp_path / "a.yaml").write_text(text, "utf-8")
    done = run_render("--target", target, str(tmp_path / "a.yaml"), "-o", str(tmp_path / "out"))
    assert (done.returncode, done.stdout, done.stderr) == (
        1,
        "",
        f"mailconf: target {target}: not rendered: account a: {setting}: a noncharacter (U+FFFE, U+FFFF) cannot be "
        "written in an XML file: XML 1.0 has no such character\n",
    )
