# mypy: disable-error-code="untyped-decorator"
# (pyproject skips following hypothesis, so its decorators look untyped)
"""Target autodiscover: Thunderbird 153's own Autodiscover reader reads back each server's type, host,
port and login name, and the SSL/Encryption pair is checked against its published meaning.

The meaning, from [MS-OXDSCLI] (FORMATS2 A10): ``Encryption`` (None | SSL | TLS | Auto), when present,
overrides ``SSL`` (on | off); ``SSL`` means implicit TLS and ``TLS`` means STARTTLS. Thunderbird itself
cannot check that distinction (it guesses from the port), so :func:`outlook_mode` writes the published
rule out independently of the target and every security mode is checked against it.
"""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings

from mailconf.clientconfig import js_text
from mailconf.document import load_document
from mailconf.escape import UnsafeValue
from mailconf.importers import ReadOptions
from mailconf.importers._core import import_paths
from mailconf.model import Model
from mailconf.render import render_model
from mailconf.targets import Gap, Rendered, autodiscover
from tests.conftest import need
from tests.targets._common import (
    XML_CONTROL_MESSAGE,
    XML_CONTROLS,
    XML_HOSTILE,
    put_directly,
    refusal,
    run_render,
    strings,
    xml_refusal,
    yaml_text,
)
from tests.targets._tb_provider import read_with_thunderbird

ROOT = "{http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006}"
RESPONSE = "{http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a}"


def model_from(accounts: dict[str, Any]) -> Model:
    doc = load_document("provider.yaml", json.dumps({"version": 1, "accounts": accounts}).encode())
    assert [i for i in doc.issues if i.rule in ("MC001", "MC002")] == []
    return doc.model


def rendered(accounts: dict[str, Any]) -> Rendered:
    return render_model(autodiscover, model_from(accounts), {})


def account(user: str = "alice", **servers: Any) -> dict[str, Any]:
    return {
        "address": f"{user}@example.org",
        "display_name": "Alice",
        "incoming": {"protocol": "imap", "host": "imap.example.org", **servers.get("incoming", {})},
        "outgoing": {"host": "smtp.example.org", **servers.get("outgoing", {})},
    }


def protocols(content: bytes) -> list[dict[str, str | None]]:
    """Each Protocol element of a response as {child tag without namespace: text}."""
    root = ET.fromstring(content)
    assert root.tag == f"{ROOT}Autodiscover"
    found = []
    for element in root.iter(f"{RESPONSE}Protocol"):
        found.append({child.tag.removeprefix(RESPONSE): child.text for child in element})
    return found


def outlook_mode(protocol: dict[str, str | None]) -> str:
    """What Outlook does, by [MS-OXDSCLI] 2.2.4.1.1.2.6.22: Encryption, if present, overrides SSL; SSL is
    implicit TLS, TLS is STARTTLS, None is no encryption; without Encryption, SSL on/off decides (and says
    nothing about STARTTLS)."""
    encryption = protocol.get("Encryption")
    if encryption is not None:
        return {"SSL": "tls", "TLS": "starttls", "None": "none"}[encryption]
    return "tls or starttls" if protocol["SSL"] == "on" else "none"


# --- the document ---------------------------------------------------------------------------------------------


def test_namespaces_and_structure_are_as_ms_oxdscli_says() -> None:
    [file] = rendered({"alice": account()}).files
    assert (file.name, file.mode) == ("autodiscover/alice@example.org.xml", 0o644)
    root = ET.fromstring(file.content)
    assert root.tag == f"{ROOT}Autodiscover"
    assert [child.tag for child in root] == [f"{RESPONSE}Response"]
    response = root[0]
    assert [child.tag.removeprefix(RESPONSE) for child in response] == ["User", "Account"]
    assert response.findtext(f"{RESPONSE}User/{RESPONSE}DisplayName") == "Alice"
    account_element = response.find(f"{RESPONSE}Account")
    assert account_element is not None
    assert account_element.findtext(f"{RESPONSE}AccountType") == "email"
    assert account_element.findtext(f"{RESPONSE}Action") == "settings"
    assert protocols(file.content) == [
        {"Type": "IMAP", "Server": "imap.example.org", "Port": "993", "DomainRequired": "off",
         "LoginName": "alice@example.org", "SPA": "off", "SSL": "on", "Encryption": "SSL", "AuthRequired": "on"},
        {"Type": "SMTP", "Server": "smtp.example.org", "Port": "465", "DomainRequired": "off",
         "LoginName": "alice@example.org", "SPA": "off", "SSL": "on", "Encryption": "SSL", "AuthRequired": "on"},
    ]  # fmt: skip


@pytest.mark.parametrize("security", ["tls", "starttls", "none"])
@pytest.mark.parametrize("protocol", ["imap", "pop3"])
def test_encryption_and_ssl_mean_what_the_account_declares(security: str, protocol: str) -> None:
    """Outlook's reading of the pair (Encryption overrides SSL; TLS is STARTTLS) is the declared mode, and
    SSL never contradicts Encryption (a client that reads only SSL gets encryption on or off right)."""
    [file] = rendered({"a": account("a", incoming={"protocol": protocol, "security": security},
                                     outgoing={"security": security})}).files  # fmt: skip
    for read in protocols(file.content):
        assert outlook_mode(read) == security
        assert read["SSL"] == ("off" if security == "none" else "on")


@pytest.mark.parametrize("port", [993, 465])
def test_an_implicit_tls_port_is_never_sent_as_tls(port: int) -> None:
    """stalwart #3248: Outlook fails when Encryption TLS (STARTTLS) is sent for 993 or 465."""
    [file] = rendered({"a": account("a", incoming={"port": 993}, outgoing={"port": 465})}).files
    assert [(p["Port"], p["Encryption"]) for p in protocols(file.content)] == [("993", "SSL"), ("465", "SSL")]


@pytest.mark.parametrize(
    ("auth", "spa", "required"),
    [("password", "off", "on"), ("ntlm", "on", "on"), ("gssapi", "on", "on"), ("none", "off", "off")],
)
def test_spa_and_auth_required(auth: str, spa: str, required: str) -> None:
    [file] = rendered({"a": account("a", outgoing={"auth": auth})}).files
    assert [(p["SPA"], p["AuthRequired"]) for p in protocols(file.content)][1] == (spa, required)


def test_oauth2_and_client_certificates_are_gaps() -> None:
    result = rendered({
        "a": account("a", incoming={"auth": "oauth2", "token_command": "t"},
                     outgoing={"auth": "client-cert", "tls": {"client_cert": "/c.pem", "client_key": "/k.pem"}}),
    })  # fmt: skip
    assert [g for g in result.gaps if g.setting.endswith(".auth")] == [
        Gap("a", "incoming.auth", "POX has no OAuth2 (SPA on or off only)"),
        Gap("a", "outgoing.auth", "POX has no client certificate login"),
    ]


def test_an_address_is_one_file_name_even_with_a_slash() -> None:
    result = rendered({"a": {**account("a"), "address": "../x/100%@example.org"}})
    assert [f.name for f in result.files] == ["autodiscover/..%2Fx%2F100%25@example.org.xml"]


@pytest.mark.parametrize(
    ("local", "size"),
    [("a" * 240, 256), ("é" * 100 + "%" * 20, 276)],  # é is 2 bytes, % is written %25
    ids=["ascii", "encoded"],
)
def test_an_address_whose_file_name_is_over_255_bytes_is_refused_naming_the_account(
    local: str, size: int, tmp_path: Path
) -> None:
    """Before, exit 2 after the files were planned: "cannot write <-o>/autodiscover/<the address>.xml: File
    name too long". Now refused with the others' refusals, the address never quoted (255 bytes: test_output)."""
    source = tmp_path / "accounts.yaml"
    source.write_text(yaml_text({"a": {**account(), "address": f"{local}@example.org"}}), encoding="utf-8")
    done = run_render("-t", "autodiscover", str(source), "-o", str(tmp_path / "out"))
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.splitlines() == [
        f"mailconf: target autodiscover: not rendered: account a: address: the file named after it would have "
        f"{size} bytes, over the 255 a file name may have; `mailconf serve` answers it without a file"
    ]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("second", ["alice@example.org", "alice@EXAMPLE.org"])
def test_two_accounts_with_one_address_are_refused_naming_both(second: str, tmp_path: Path) -> None:
    """Both would be autodiscover/alice@example.org.xml (or one answer, serve's key): before, the second file
    failed to write with exit 2, "another program created it while mailconf was writing; ... run again"."""
    accounts = {
        "a": account(),
        "b": {**account(), "address": second, "incoming": {"protocol": "pop3", "host": "x.org"}},
    }
    source = tmp_path / "accounts.yaml"
    source.write_text(yaml_text(accounts))
    done = run_render("-t", "autodiscover", str(source), "-o", str(tmp_path / "out"))
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.splitlines()[-1] == (
        "mailconf: target autodiscover: not rendered: account b: address: account a has the same address; "
        f"{autodiscover.SAME_ADDRESS}"
    )
    assert not (tmp_path / "out").exists()


def test_account_response_is_the_rendered_file() -> None:
    model = model_from({"a": account("a"), "b": account("b", outgoing={"security": "starttls"})})
    result = render_model(autodiscover, model, {})
    assert [autodiscover.account_response(a) for a in model.accounts] == [f.content for f in result.files]


# --- hostile values --------------------------------------------------------------------------------------------

_TEXT = strings(XML_HOSTILE, max_size=8)


def hostile_model(name: str, host: str, user: str) -> Model:
    return put_directly(model_from({"a": account("a")}), host, user, display_name=name)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=_TEXT, host=_TEXT, user=_TEXT)
@example(name="]]><x/>", host="a\"b'c<d>e&f]]>😀", user="</LoginName><SSL>off</SSL>")
def test_hostile_values_read_back_exactly(name: str, host: str, user: str) -> None:
    [file] = render_model(autodiscover, hostile_model(name, host, user), {}).files
    root = ET.fromstring(file.content)
    assert root.findtext(f"{RESPONSE}Response/{RESPONSE}User/{RESPONSE}DisplayName") == name
    read = protocols(file.content)
    assert [(p["Server"], p["LoginName"]) for p in read] == [(host, user), (host, user)]
    elements = ["Type", "Server", "Port", "DomainRequired", "LoginName", "SPA", "SSL", "Encryption", "AuthRequired"]
    assert [list(p) for p in read] == [elements, elements]  # nothing added


@pytest.mark.parametrize("control", XML_CONTROLS)
@pytest.mark.parametrize("where", ["display_name", "incoming.host", "incoming.username"])
def test_control_characters_are_refused_naming_account_and_setting(control: str, where: str) -> None:
    value = f"x{control}y"
    values = {"display_name": "Name", "incoming.host": "mail.example.org", "incoming.username": "a"} | {where: value}
    model = hostile_model(values["display_name"], values["incoming.host"], values["incoming.username"])
    expected = f"target autodiscover: not rendered: account a: {where}: {xml_refusal(control)}"
    assert refusal(autodiscover, model.accounts[0]) == expected


def test_the_first_refused_setting_is_named_servers_before_the_display_name() -> None:
    """The template's xml filter refuses; the error names the first refused setting in the order each server's
    host and username, then the display name, whichever path renders (render, or serve's account_response)."""
    model = put_directly(model_from({"a": account("a")}), "x\ty", "a", display_name="x\ty")
    expected = f"account a: incoming.host: {XML_CONTROL_MESSAGE}"
    assert refusal(autodiscover, model.accounts[0]) == f"target autodiscover: not rendered: {expected}"
    with pytest.raises(UnsafeValue) as caught:
        autodiscover.account_response(model.accounts[0])
    assert str(caught.value) == expected
    [only] = put_directly(model_from({"a": account("a")}), "mail.example.org", "a").accounts
    assert only.outgoing is not None
    bad = dataclasses.replace(only, outgoing=dataclasses.replace(only.outgoing, username="a\x00b"))
    expected = f"account a: outgoing.username: {XML_CONTROL_MESSAGE}"
    assert refusal(autodiscover, bad) == f"target autodiscover: not rendered: {expected}"


# --- Thunderbird reads it back ---------------------------------------------------------------------------------


def test_thunderbird_reads_back_types_hosts_ports_and_login_names() -> None:
    need("thunderbird")
    responses = [
        rendered({"a": account("alice", incoming={"username": "alice", "security": "starttls"},
                               outgoing={"username": "alice.smtp", "security": "starttls"})}).files[0].content,
        rendered({"b": account("bob", incoming={"protocol": "pop3", "host": "pop.example.org"},
                               outgoing={"security": "none", "port": 25, "auth": "ntlm"})}).files[0].content,
        rendered({"c": account("carol", incoming={"port": 10993}, outgoing={"port": 10465})}).files[0].content,
    ]  # fmt: skip
    alice, bob, carol = read_with_thunderbird(autodiscovers=responses)["autodiscover"]

    def fields(server: dict[str, Any]) -> tuple[Any, ...]:
        return server["type"], server["hostname"], server["port"], server["username"], server["socketType"]

    assert [fields(s) for s in alice["incoming"] + alice["outgoing"]] == [
        ("imap", "imap.example.org", 143, "alice", "alwaysSTARTTLS"),
        ("smtp", "smtp.example.org", 587, "alice.smtp", "alwaysSTARTTLS"),
    ]
    assert [fields(s) for s in bob["incoming"] + bob["outgoing"]] == [
        ("pop3", "pop.example.org", 995, "bob@example.org", "SSL"),
        ("smtp", "smtp.example.org", 25, "bob@example.org", "plain"),  # Encryption None: plain
    ]
    assert bob["outgoing"][0]["auth"] == "secure"  # SPA on
    # a non-standard port: Thunderbird guesses implicit TLS, which is what the file says (Encryption SSL)
    assert [fields(s) for s in carol["incoming"] + carol["outgoing"]] == [
        ("imap", "imap.example.org", 10993, "carol@example.org", "SSL"),
        ("smtp", "smtp.example.org", 10465, "carol@example.org", "SSL"),
    ]


def test_a_login_name_holding_a_thunderbird_placeholder_is_a_gap_because_thunderbird_replaces_it() -> None:
    need("thunderbird")
    result = rendered({"a": account("a", incoming={"username": "%EMAILLOCALPART%.imap"},
                                    outgoing={"username": "a%EMAILDOMAIN"})})  # fmt: skip
    [file] = result.files
    assert [p["LoginName"] for p in protocols(file.content)] == ["%EMAILLOCALPART%.imap", "a%EMAILDOMAIN"]
    assert [g for g in result.gaps if g.setting.endswith(".username")] == [
        Gap("a", "incoming.username", autodiscover.PLACEHOLDER_GAP)
    ]
    [read] = read_with_thunderbird(autodiscovers=[(file.content, "Zed@example.org")])["autodiscover"]
    # what the account wizard makes of it: the declared login name is gone; a lone % is left alone
    assert [s["username"] for s in read["filled"]["incoming"] + read["filled"]["outgoing"]] == [
        "Zed.imap",
        "a%EMAILDOMAIN",
    ]


@pytest.mark.parametrize("user", [" ", "\u3000 ", "\ufeff"])
def test_a_blank_login_name_is_a_gap_because_thunderbird_and_the_import_leave_its_server_out(
    user: str, tmp_path: Path
) -> None:
    # found by the long fuzzing campaign (tests/test_fuzz_render.py): written without a word, and imported back
    # without its server (tests/importers/test_autodiscover.py: a blank <LoginName> leaves the Protocol out)
    result = rendered({"a": account("a", incoming={"username": user}, outgoing={"username": "a "})})
    assert [p["LoginName"] for p in protocols(result.files[0].content)] == [user, "a "]
    assert [g for g in result.gaps if g.setting.endswith(".username")] == [
        Gap("a", "incoming.username", autodiscover.BLANK_LOGIN_GAP)
    ]
    path = tmp_path / "a@example.org.xml"
    path.write_bytes(result.files[0].content)
    imported = import_paths("autodiscover", [str(path)], ReadOptions())
    assert ("incoming" in imported.accounts["a-example.org"], imported.warnings[0].split(": ", 1)[1]) == (
        False,
        "IMAP imap.example.org left out: a blank <LoginName>; Thunderbird leaves such a server out too",
    )


#: user names Thunderbird's reader (JXON, then InputSanitizer.nonemptystring) does not take as text, and some it does
NOT_TEXT_LOGINS = [
    "0012345", "1e3", "1.50", " 42 ", "+7", "-1.5e-9", "12345678901234567890", "1e21", "0.0000001", "0.000001",
    "TRUE", "0", "-0", "0x10", "0b1", "FALSE", "false",
    "123", "1.5", "true", "Infinity", "1e400", "12abc", "alice", "0x", "1_000",
]  # fmt: skip


def test_thunderbird_reads_each_login_name_as_clientconfig_js_text_predicts() -> None:
    need("thunderbird")
    responses = [
        rendered({"a": account("a", incoming={"username": u}, outgoing={"username": u})}).files[0].content
        for u in NOT_TEXT_LOGINS
    ]
    read = read_with_thunderbird(autodiscovers=responses)["autodiscover"]
    # a server Thunderbird left out is its empty default: no type, no host
    got = [[s["username"] if s["type"] else None for s in r["incoming"] + r["outgoing"]] for r in read]
    assert got == [[js_text(u)] * 2 for u in NOT_TEXT_LOGINS]


@pytest.mark.parametrize("user", NOT_TEXT_LOGINS)
def test_a_login_name_thunderbird_reads_otherwise_is_a_gap(user: str) -> None:
    result = rendered({"a": account("a", incoming={"username": user})})
    gaps = [g for g in result.gaps if g.setting.endswith(".username")]
    login = js_text(user)
    assert protocols(result.files[0].content)[0]["LoginName"] == user  # written as declared
    assert gaps == (
        [] if login == user else [Gap("a", "incoming.username", autodiscover.not_text_login_gap(user, login))]
    )


def test_the_not_text_login_gap_says_what_thunderbird_does() -> None:
    assert rendered({"a": account("a", incoming={"username": "0012345"}, outgoing={"username": "0"})}).gaps == (
        Gap(
            "a",
            "incoming.username",
            'the LoginName is written as declared, but Thunderbird 153, which reads Autodiscover too, reads "0012345" '
            'as a number and logs in as "12345": a Thunderbird user must correct the username by hand',
        ),
        Gap(
            "a",
            "outgoing.username",
            'the LoginName is written as declared, but Thunderbird 153, which reads Autodiscover too, reads "0" as '
            "the number 0: it leaves such a server out (Outlook takes it)",
        ),
    )


@pytest.mark.parametrize(("host", "gap"), [("2001:db8::1", True), ("mail.0x1", True), ("10.0.0.1", False)])
def test_an_incoming_host_thunderbird_cannot_create_an_account_for_is_a_gap(host: str, gap: bool) -> None:
    # the same hosts as autoconfig's gap (tests/targets/test_autoconfig.py creates such an account in Thunderbird)
    result = rendered({"a": account("a", incoming={"host": host}, outgoing={"host": host})})
    assert [g for g in result.gaps if g.setting.endswith(".host")] == (
        [Gap("a", "incoming.host", autodiscover.URL_HOST_GAP)] if gap else []
    )


def test_an_account_without_an_incoming_server_is_a_gap_because_thunderbird_uses_no_such_response() -> None:
    need("thunderbird")
    smtp_only = {"address": "s@example.org", "outgoing": {"host": "smtp.example.org"}}
    imap_only = {"address": "i@example.org", "incoming": {"protocol": "imap", "host": "imap.example.org"}}
    result = rendered({"s": smtp_only, "i": imap_only, "both": account("both")})
    # before, written without a word
    assert [g for g in result.gaps if g.setting in ("incoming", "outgoing")] == [
        Gap("s", "incoming", autodiscover.NO_INCOMING_GAP)
    ]
    files = {f.name: f.content for f in result.files}
    assert [p["Type"] for p in protocols(files["autodiscover/s@example.org.xml"])] == ["SMTP"]
    read = read_with_thunderbird(
        autodiscovers=[files[f"autodiscover/{who}@example.org.xml"] for who in ("s", "i", "both")]
    )
    # readAutoDiscoverResponse keeps a configuration only when it is complete; one without an outgoing server is
    # (readAutoDiscoverXML starts from the user's default SMTP server)
    assert [r["complete"] for r in read["autodiscover"]] == [False, True, True]


#: host -> what Thunderbird 153's readAutoDiscoverXML reads it as (None: no value, and the server is left out)
NOT_TEXT_HOSTS = {"1e3": "1000", "1.5e3": "1500", "0x10": None, "0b1": None, "false": None}


def not_text_host_gap(host: str, read: str | None) -> str:
    if read is None:
        said = "false" if host == "false" else "the number 0"
        read_as = f"{said}, which it takes for no value: it leaves the server out (Outlook takes it)"
    else:
        read_as = f'a number: it connects to "{read}" instead'
    return (
        f'Thunderbird 153, which reads Autodiscover too, reads the host "{host}" as {read_as}; publish a host name '
        "that JavaScript reads as no number and no true or false (like imap.example.org)"
    )


@pytest.mark.parametrize(("host", "read"), NOT_TEXT_HOSTS.items())
@pytest.mark.parametrize("side", ["incoming", "outgoing"])
def test_a_host_thunderbird_reads_as_a_number_or_a_boolean_is_a_gap(host: str, read: str | None, side: str) -> None:
    result = rendered({"a": account("a", **{side: {"host": host}})})
    # before, no gap: Thunderbird connected to 1000 for 1e3, and left the server out for 0x10
    assert [g for g in result.gaps if g.setting.endswith(".host")] == [
        Gap("a", f"{side}.host", not_text_host_gap(host, read))
    ]


@pytest.mark.parametrize("host", ["True", "imap.example.org", "dead.beef", "1.2.3.4", "1e3.example", "infinity"])
def test_a_host_thunderbird_reads_as_written_is_no_gap(host: str) -> None:
    result = rendered({"a": account("a", incoming={"host": host}, outgoing={"host": host})})
    assert [g for g in result.gaps if g.setting.endswith(".host")] == []


def test_thunderbird_reads_each_host_as_the_gap_says() -> None:
    need("thunderbird")
    responses = [
        rendered({"a": account("a", **{side: {"host": host}})}).files[0].content
        for host in NOT_TEXT_HOSTS
        for side in ("incoming", "outgoing")
    ]
    read = read_with_thunderbird(autodiscovers=responses)["autodiscover"]
    for (host, expected), incoming, outgoing in zip(NOT_TEXT_HOSTS.items(), read[::2], read[1::2], strict=True):
        other = {"incoming": "imap.example.org", "outgoing": "smtp.example.org"}
        for side, found in (("incoming", incoming), ("outgoing", outgoing)):
            hosts = [s["hostname"] for s in found[side]]
            # left out: no hostname (an incoming one leaves the response incomplete, which Thunderbird does not use)
            assert hosts == [expected], (host, side)
            assert found["complete"] is (expected is not None or side == "outgoing"), (host, side)
            unchanged = "incoming" if side == "outgoing" else "outgoing"
            assert [s["hostname"] for s in found[unchanged]] == [other[unchanged]]
