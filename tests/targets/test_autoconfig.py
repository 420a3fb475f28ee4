# mypy: disable-error-code="untyped-decorator"
# (pyproject skips following hypothesis, so its decorators look untyped)
"""Target autoconfig: the documents validate against the specification's RELAX NG schema, and
Thunderbird 153's own autoconfig reader reads back each host, port, socket type and username.

tests/targets/data/autoconfig.rng is mailconf's own transcription of the element definitions of
draft-ietf-mailmaint-autoconfig (see its header); ``xmllint --relaxng`` checks every document.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings

from mailconf.document import load_document
from mailconf.errors import double_quoted
from mailconf.model import Model
from mailconf.render import RenderError, environment, render_model
from mailconf.targets import Gap, Rendered, autoconfig
from tests.conftest import EXAMPLES, need
from tests.targets._common import (
    XML_CONTROLS,
    example_model,
    put_directly,
    refusal,
    strings,
    xml_refusal,
)
from tests.targets._tb_provider import read_with_thunderbird

SCHEMA = Path(__file__).parent / "data" / "autoconfig.rng"


def model_from(accounts: dict[str, Any]) -> Model:
    doc = load_document("provider.yaml", json.dumps({"version": 1, "accounts": accounts}).encode())
    assert [i for i in doc.issues if i.rule in ("MC001", "MC002")] == []
    return doc.model


def rendered(accounts: dict[str, Any]) -> Rendered:
    return render_model(autoconfig, model_from(accounts), {})


def document(result: Rendered, domain: str) -> ET.Element:
    [content] = [f.content for f in result.files if f.name == f"autoconfig/{domain}/config-v1.1.xml"]
    return ET.fromstring(content)


def servers(root: ET.Element, kind: str) -> list[dict[str, Any]]:
    """Each incomingServer/outgoingServer element as {child tag: text} plus its type."""
    found = []
    for element in root.iter(kind):
        values: dict[str, Any] = {"type": element.get("type")}
        values |= {child.tag: child.text for child in element if len(child) == 0}
        found.append(values)
    return found


def xmllint(path: Path) -> subprocess.CompletedProcess[str]:
    need("xmllint")
    return subprocess.run(
        ["xmllint", "--noout", "--relaxng", str(SCHEMA), str(path)], capture_output=True, text=True, check=False
    )


def account(user: str, domain: str = "example.org", **servers: Any) -> dict[str, Any]:
    incoming = {"protocol": "imap", "host": f"imap.{domain}", "username": f"{user}@{domain}"}
    outgoing = {"host": f"smtp.{domain}", "username": f"{user}@{domain}"}
    return {
        "address": f"{user}@{domain}",
        "incoming": {**incoming, **servers.get("incoming", {})},
        "outgoing": {**outgoing, **servers.get("outgoing", {})},
    }


# --- the schema ------------------------------------------------------------------------------------------------


def _example_files(tmp_path: Path) -> list[Path]:
    paths = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        model = example_model(path)
        for file in render_model(autoconfig, model, {}).files:
            written = tmp_path / path.stem / file.name
            written.parent.mkdir(parents=True, exist_ok=True)
            written.write_bytes(file.content)
            paths.append(written)
    return paths


def test_every_example_validates_against_the_relaxng_schema(tmp_path: Path) -> None:
    paths = _example_files(tmp_path)
    assert len(paths) >= 3
    for path in paths:
        result = xmllint(path)
        assert (result.returncode, result.stderr) == (0, f"{path} validates\n")


@pytest.mark.parametrize(
    ("security", "auth", "extra"),
    [
        (s, a, extra)
        for s in ("tls", "starttls", "none")
        for a, extra in (("password", {}), ("oauth2", {"token_command": "t"}), ("gssapi", {}), ("ntlm", {}),
                         ("client-cert", {"tls": {"client_cert": "/c.pem", "client_key": "/k.pem"}}),
                         ("none", {}))
    ],
)  # fmt: skip
def test_every_security_and_auth_validates_and_is_named_as_the_spec_names_it(
    tmp_path: Path, security: str, auth: str, extra: dict[str, Any]
) -> None:
    server = {"security": security, "auth": auth, **extra}
    result = rendered({"a": account("a", incoming=server, outgoing=server)})
    path = tmp_path / "config-v1.1.xml"
    path.write_bytes(result.files[0].content)
    assert xmllint(path).returncode == 0
    socket = {"tls": "SSL", "starttls": "STARTTLS", "none": "plain"}[security]
    name = {"password": "password-cleartext", "oauth2": "OAuth2", "gssapi": "GSSAPI", "ntlm": "NTLM",
            "client-cert": "TLS-client-cert", "none": "none"}[auth]  # fmt: skip
    root = document(result, "example.org")
    for kind in ("incomingServer", "outgoingServer"):
        [read] = servers(root, kind)
        assert (read["socketType"], read["authentication"]) == (socket, name)


@pytest.mark.parametrize(
    ("old", "new", "complaint"),
    [
        ("<port>993</port>", "<port>abc</port>", "Type int doesn't allow value 'abc'"),
        ("<port>993</port>", "<port>70000</port>", "Error validating datatype int"),
        ("<socketType>SSL</socketType>", "<socketType>TLS</socketType>", "Element socketType failed to validate"),
        ("<authentication>password-cleartext</authentication>", "<authentication>plain</authentication>",
         "Element authentication failed to validate"),
        ("<username>%EMAILADDRESS%</username>", "<username>%EMAILADDRESS%</username><user>x</user>",
         "Element incomingServer failed to validate content"),
        ("<displayName>example.org</displayName>", f"<displayName>{'x' * 61}</displayName>",
         "element displayName: Relax-NG validity error"),
    ],
)  # fmt: skip
def test_the_schema_bites(tmp_path: Path, old: str, new: str, complaint: str) -> None:
    content = rendered({"a": account("a")}).files[0].content.decode()
    assert old in content
    path = tmp_path / "bad.xml"
    path.write_text(content.replace(old, new, 1), encoding="utf-8")
    result = xmllint(path)
    assert result.returncode == 3
    assert complaint in result.stderr


# --- what the document says ------------------------------------------------------------------------------------


def test_one_document_per_domain_with_the_domain_and_organization() -> None:
    result = rendered({
        "a": {**account("a"), "organization": "Example & Söhne"},
        "b": account("b"),
        "c": account("c", domain="Other.Example.NET"),
    })  # fmt: skip
    assert [(f.name, f.mode) for f in result.files] == [
        ("autoconfig/example.org/config-v1.1.xml", 0o644),
        ("autoconfig/other.example.net/config-v1.1.xml", 0o644),
    ]
    root = document(result, "example.org")
    assert root.tag == "clientConfig" and root.get("version") == "1.1"
    provider = root.find("emailProvider")
    assert provider is not None and provider.get("id") == "example.org"
    assert [e.text for e in provider.iter("domain")] == ["example.org"]
    assert provider.findtext("displayName") == "Example & Söhne"
    assert provider.findtext("displayShortName") == "Example & Söhne"
    assert document(result, "other.example.net").findtext("emailProvider/displayName") == "other.example.net"


def test_a_long_organization_is_cut_to_the_lengths_the_spec_allows_and_a_gap_says_so() -> None:
    result = rendered({"a": {**account("a"), "organization": "O" * 70}, "b": account("b")})
    root = document(result, "example.org")
    assert root.findtext("emailProvider/displayName") == "O" * 60
    assert root.findtext("emailProvider/displayShortName") == "O" * 20
    # before, cut without a word: clients showed another name than the one declared
    assert [g for g in result.gaps if g.setting == "organization"] == [Gap("a", "organization", autoconfig.CUT_GAP)]
    assert autoconfig.CUT_GAP == (
        "the specification caps the document's displayName at 60 characters (displayShortName at 20): the document "
        "holds the organization's first 60, which clients show instead; shorten the organization"
    )
    short = rendered({"a": {**account("a"), "organization": "O" * 60}})  # cut for displayShortName only: no gap
    assert [g for g in short.gaps if g.setting == "organization"] == []


@pytest.mark.parametrize(
    ("organization", "gaps"),
    [
        ("%EMAILDOMAIN%" + "x" * 60, ["PLACEHOLDER_GAP", "CUT_GAP"]),
        ("x" * 55 + "%EMAILDOMAIN%", ["CUT_GAP"]),  # the cut leaves %EMAI: nothing for Thunderbird to fill in
        ("x" * 47 + "%EMAILDOMAIN%", ["PLACEHOLDER_GAP"]),  # 60 characters: written whole
    ],
)
def test_a_placeholder_is_a_gap_only_where_the_cut_displayname_holds_it(organization: str, gaps: list[str]) -> None:
    result = rendered({"a": {**account("a"), "organization": organization}})
    assert [g.instead for g in result.gaps if g.setting == "organization"] == [getattr(autoconfig, g) for g in gaps]


#: organization -> what Thunderbird 153 shows for it as the displayName (read back below), where that differs
NOT_TEXT_NAMES = {"007": "7", " 42": "42", "1e3": "1000", "0x10": "0", "0b11": "0", "1.50": "1.5", "-0": "0",
                  ".5": "0.5", "TRUE": "true", "False": "false", " ": "NaN", "\u00a012\u3000": "12",
                  "1" * 70: "1.1111111111111112e+59"}  # fmt: skip
#: organizations Thunderbird 153 shows as written (numbers written as String() writes them, and texts)
TEXT_NAMES = ["42", "1.5", "true", "false", "Infinity", "1_0", "NaN", "0x", "\u200b1", "Acme 1"]


@pytest.mark.parametrize(("organization", "shown"), NOT_TEXT_NAMES.items())
def test_an_organization_thunderbird_reads_as_a_number_or_a_boolean_is_a_gap(organization: str, shown: str) -> None:
    result = rendered({"a": {**account("a"), "organization": organization}})
    written = organization[: autoconfig.DISPLAY_NAME_MAX]
    assert document(result, "example.org").findtext("emailProvider/displayName") == written  # as declared
    kind = "boolean" if shown in ("true", "false") else "number"
    # before, no gap: Thunderbird showed 7 for 007, true for TRUE, NaN for a blank organization
    assert [g.instead for g in result.gaps if g.setting == "organization" and g.instead != autoconfig.CUT_GAP] == [
        f"it is written as the document's displayName, but Thunderbird 153 reads {double_quoted(written)} as a {kind} "
        f'and shows "{shown}": reword the organization (with a letter, as in the provider\'s name)'
    ]


@pytest.mark.parametrize("organization", TEXT_NAMES)
def test_an_organization_thunderbird_reads_as_written_is_no_gap(organization: str) -> None:
    assert rendered({"a": {**account("a"), "organization": organization}}).gaps == ()


def test_thunderbird_shows_each_organization_as_the_gap_says() -> None:
    need("thunderbird")
    organizations = [*NOT_TEXT_NAMES, *TEXT_NAMES]
    documents = [
        (rendered({"a": {**account("a"), "organization": o}}).files[0].content, "zed@example.org")
        for o in organizations
    ]
    read = read_with_thunderbird(documents)["autoconfig"]
    shown = {o: r["displayName"] for o, r in zip(organizations, read, strict=True)}
    assert shown == NOT_TEXT_NAMES | {o: o for o in TEXT_NAMES}
    assert all(autoconfig.thunderbird_display_name(o[: autoconfig.DISPLAY_NAME_MAX]) == s for o, s in shown.items())


def test_username_is_the_address_placeholder_when_every_account_logs_in_with_its_address() -> None:
    result = rendered({"a": account("a"), "b": account("b")})
    root = document(result, "example.org")
    assert [s["username"] for s in servers(root, "incomingServer") + servers(root, "outgoingServer")] == [
        "%EMAILADDRESS%",
        "%EMAILADDRESS%",
    ]
    assert [g for g in result.gaps if g.setting.endswith("username")] == []


def test_username_is_the_local_part_placeholder_when_every_account_logs_in_with_it() -> None:
    result = rendered({
        "a": account("a", incoming={"username": "a"}, outgoing={"username": "a"}),
        "b": account("b", incoming={"username": "b"}, outgoing={"username": "b"}),
    })  # fmt: skip
    root = document(result, "example.org")
    assert [s["username"] for s in servers(root, "incomingServer") + servers(root, "outgoingServer")] == [
        "%EMAILLOCALPART%",
        "%EMAILLOCALPART%",
    ]


def test_a_username_that_fits_no_placeholder_is_a_gap_naming_the_account() -> None:
    result = rendered({"a": account("a"), "b": account("b", incoming={"username": "b"}),
                       "c": account("c", incoming={"username": "carol.smith"})})  # fmt: skip
    root = document(result, "example.org")
    assert [s["username"] for s in servers(root, "incomingServer")] == ["%EMAILADDRESS%"]
    message = (
        "autoconfig serves one document to everyone at the domain, so the username is written as %EMAILADDRESS% "
        "(or %EMAILLOCALPART% when every account logs in with it); the username declared is neither the account's "
        "address nor, for all the domain's accounts, the local part: the user must correct it in the client"
    )
    assert [g for g in result.gaps if g.setting == "incoming.username"] == [
        Gap("b", "incoming.username", message),
        Gap("c", "incoming.username", message),
    ]


def test_accounts_that_disagree_are_alternatives_implicit_tls_first_and_a_gap_names_them() -> None:
    result = rendered({
        "a": account("a", outgoing={"security": "starttls"}),
        "b": account("b", outgoing={"security": "tls"}),
        "c": account("c", outgoing={"security": "starttls", "port": 2525}),
        "d": account("d", incoming={"protocol": "pop3", "host": "pop.example.org", "security": "starttls"}),
    })  # fmt: skip
    root = document(result, "example.org")
    assert [(s["type"], s["hostname"], s["port"], s["socketType"]) for s in servers(root, "outgoingServer")] == [
        ("smtp", "smtp.example.org", "465", "SSL"),
        ("smtp", "smtp.example.org", "587", "STARTTLS"),
        ("smtp", "smtp.example.org", "2525", "STARTTLS"),
    ]
    assert [(s["type"], s["hostname"], s["port"], s["socketType"]) for s in servers(root, "incomingServer")] == [
        ("imap", "imap.example.org", "993", "SSL"),
        ("pop3", "pop.example.org", "110", "STARTTLS"),
    ]
    disagreements = [g for g in result.gaps if "alternative" in g.instead]
    assert [(g.account, g.setting) for g in disagreements] == [  # in the file's order of the accounts
        ("a", "outgoing.port"),
        ("c", "outgoing.port"),
        ("d", "incoming.protocol"),
    ]
    assert str(disagreements[0]) == (
        "account a: outgoing.port cannot be expressed; its domain's document lists its server as an alternative after "
        "another account's, which clients take first for every user: make the domain's accounts agree, or configure "
        "the account directly (example.org: smtp smtp.example.org:587 STARTTLS is listed after "
        "account b's smtp smtp.example.org:465 SSL)"
    )
    # the advice names no domain or host, so the domains of a large file share a line (the detail is left out)
    assert {g.instead for g in disagreements} == {autoconfig.ALTERNATIVE}


def test_pop3_leave_on_server_is_written_in_thunderbirds_pop3_element() -> None:
    pop = {"protocol": "pop3", "host": "pop.example.org", "leave_on_server": True, "leave_days": 14}
    root = document(rendered({"a": account("a", incoming=pop)}), "example.org")
    assert root.findtext("emailProvider/incomingServer/pop3/leaveMessagesOnServer") == "true"
    assert root.findtext("emailProvider/incomingServer/pop3/daysToLeaveMessagesOnServer") == "14"


def test_domain_document_is_the_rendered_file() -> None:
    model = model_from({"a": account("a"), "b": account("b", outgoing={"security": "starttls"})})
    result = render_model(autoconfig, model, {})
    content, gaps = autoconfig.domain_document(model.accounts, "example.org")
    assert content == result.files[0].content
    assert gaps == result.gaps
    assert autoconfig.domain_document(model.accounts, "example.org", environment()) == (content, gaps)


# --- hostile values --------------------------------------------------------------------------------------------

HOSTILE = ["<", ">", "&", '"', "'", "]]>", "&amp;", "<!--", "-->", "<![CDATA[", "😀", "𝄞", "é", "\u200b", " ", "a"]


def hostile_model(organization: str, host: str) -> Model:
    return put_directly(model_from({"a": account("a")}), host, organization=organization)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    organization=strings(HOSTILE, max_size=6),
    host=strings(HOSTILE, max_size=8),
)
@example(organization="]]><x/>", host="a\"b'c<d>e&f]]>😀")
def test_hostile_values_read_back_exactly(organization: str, host: str) -> None:
    result = render_model(autoconfig, hostile_model(organization, host), {})
    root = document(result, "example.org")  # parses: nothing broke the XML
    assert root.findtext("emailProvider/displayName") == organization[:60]
    assert root.findtext("emailProvider/displayShortName") == organization[:20]
    assert [s["hostname"] for s in servers(root, "incomingServer") + servers(root, "outgoingServer")] == [host, host]
    assert [e.tag for e in root.iter()] == [
        "clientConfig", "emailProvider", "domain", "displayName", "displayShortName",
        "incomingServer", "hostname", "port", "socketType", "username", "authentication",
        "outgoingServer", "hostname", "port", "socketType", "username", "authentication",
    ]  # fmt: skip


@pytest.mark.parametrize("control", XML_CONTROLS)
@pytest.mark.parametrize("where", ["organization", "incoming.host"])
def test_control_characters_are_refused_naming_account_and_setting(control: str, where: str) -> None:
    value = f"x{control}y"
    model = hostile_model(value, "mail.example.org") if where == "organization" else hostile_model("Org", value)
    expected = f"target autoconfig: not rendered: account a: {where}: {xml_refusal(control)}"
    assert refusal(autoconfig, model.accounts[0]) == expected


# --- Thunderbird reads it back ---------------------------------------------------------------------------------


def test_thunderbird_reads_back_host_port_socket_type_and_username() -> None:
    need("thunderbird")
    first = rendered({
        "a": {**account("alice", incoming={"username": "alice"}, outgoing={"username": "alice",
                                                                            "security": "starttls"}),
              "organization": "Example & <Co>"},
        "b": account("bob", incoming={"username": "bob"}, outgoing={"username": "bob", "security": "tls"}),
    })  # fmt: skip
    pop = rendered({
        "p": account("pat", domain="pop.example.net",
                     incoming={"protocol": "pop3", "host": "pop3.pop.example.net", "security": "starttls",
                               "leave_on_server": True, "leave_days": 7},
                     outgoing={"security": "none", "port": 25, "auth": "none"}),
    })  # fmt: skip
    skipped = rendered({
        "x": account("x", domain="cert.example", incoming={"auth": "client-cert", "host": "certs.cert.example",
                                                           "tls": {"client_cert": "/c.pem", "client_key": "/k.pem"}}),
        "y": account("y", domain="cert.example", incoming={"security": "starttls"}),
    })  # fmt: skip
    read = read_with_thunderbird([
        (first.files[0].content, "carol@example.org"),
        (pop.files[0].content, "pat@pop.example.net"),
        (skipped.files[0].content, "y@cert.example"),
    ])["autoconfig"]  # fmt: skip
    company, home, certs = read
    # as the docstring says: Thunderbird skips an incoming server with TLS-client-cert, and takes the next
    assert [(s["hostname"], s["port"], s["socketType"]) for s in certs["filled"]["incoming"]] == [
        ("imap.cert.example", 143, "alwaysSTARTTLS")
    ]
    assert company["displayName"] == "Example & <Co>"
    assert company["domains"] == ["example.org"]
    assert [(s["type"], s["hostname"], s["port"], s["socketType"], s["username"], s["auth"])
            for s in company["raw"]["incoming"]] == [
        ("imap", "imap.example.org", 993, "SSL", "%EMAILLOCALPART%", "passwordCleartext"),
    ]  # fmt: skip
    filled = [(s["hostname"], s["port"], s["socketType"], s["username"]) for s in company["filled"]["outgoing"]]
    assert filled == [
        ("smtp.example.org", 465, "SSL", "carol"),  # implicit TLS first
        ("smtp.example.org", 587, "alwaysSTARTTLS", "%EMAILLOCALPART%"),  # TB fills in the first outgoing only
    ]
    assert company["filled"]["incoming"][0]["username"] == "carol"
    [incoming] = home["filled"]["incoming"]
    assert (incoming["type"], incoming["hostname"], incoming["port"], incoming["socketType"], incoming["username"]) == (
        "pop3",
        "pop3.pop.example.net",
        110,
        "alwaysSTARTTLS",
        "pat@pop.example.net",
    )
    assert (incoming["leaveMessagesOnServer"], incoming["daysToLeaveMessagesOnServer"]) == (True, 7)
    [outgoing] = home["filled"]["outgoing"]
    assert (outgoing["hostname"], outgoing["port"], outgoing["socketType"], outgoing["auth"]) == (
        "smtp.pop.example.net",
        25,
        "plain",
        "none",
    )


@pytest.mark.parametrize("domain", ["..", "a/b", "a b", "", "ex<ample.org"])
def test_a_domain_that_would_name_another_folder_is_refused(domain: str) -> None:
    model = model_from({"a": account("a")})
    hostile = Model((dataclasses.replace(model.accounts[0], address=f"a@{domain}"),))
    with pytest.raises(RenderError) as caught:
        render_model(autoconfig, hostile, {})
    assert str(caught.value) == (
        "target autoconfig: not rendered: account a: address: its domain is not a DNS name, and it names a folder"
    )


#: Thunderbird's account wizard on a fetched document: read it, fill in the address, create the account.
CREATE_ACCOUNT = r"""
const [text, address, done] = arguments;
const { readFromXML } = ChromeUtils.importESModule("resource:///modules/accountcreation/readFromXML.sys.mjs");
const { JXON } = ChromeUtils.importESModule("resource:///modules/JXON.sys.mjs");
const { AccountConfig } = ChromeUtils.importESModule("resource:///modules/accountcreation/AccountConfig.sys.mjs");
const { CreateInBackend } = ChromeUtils.importESModule("resource:///modules/accountcreation/CreateInBackend.sys.mjs");
const config = readFromXML(JXON.build(new DOMParser().parseFromString(text, "text/xml")), "disk");
AccountConfig.replaceVariables(config, "Real Name", address, "a password");
CreateInBackend.createAccountInBackend(config).then(
  account => done(account.incomingServer.serverURI), error => done(`refused: ${error.result}`));
"""


@pytest.mark.parametrize(
    ("host", "created"),
    [("2001:db8::1", "refused: 2152398858"), ("mail.0x1", "refused: 2152398858"),  # NS_ERROR_MALFORMED_URI
     ("imap.example.org", "imap://zed%40example.org@imap.example.org")],
)  # fmt: skip
def test_an_incoming_host_thunderbird_cannot_create_an_account_for_is_a_gap(
    host: str, created: str, tmp_path: Path
) -> None:
    need("thunderbird")
    from tests.targets._marionette import thunderbird, write_user_js

    result = rendered({"zed": account("zed", incoming={"host": host})})
    gap = Gap("zed", "incoming.host", autoconfig.URL_HOST_GAP)
    assert (gap in result.gaps) is created.startswith("refused")
    [file] = result.files
    write_user_js(tmp_path)
    with thunderbird(tmp_path, "thunderbird") as client:
        assert client.execute_async(CREATE_ACCOUNT, [file.content.decode(), "zed@example.org"]) == created


def test_a_domain_without_an_incoming_or_an_outgoing_server_is_a_gap_for_each_account(tmp_path: Path) -> None:
    need("thunderbird")
    smtp = {"host": "smtp.example.org", "username": "s@smtp-only.example"}
    pop3 = {"protocol": "pop3", "host": "pop.example.org", "username": "p@pop-only.example"}
    result = rendered({
        "s": {"address": "s@smtp-only.example", "outgoing": smtp},
        "t": {"address": "t@smtp-only.example", "outgoing": {**smtp, "username": "t@smtp-only.example"}},
        "p": {"address": "p@pop-only.example", "incoming": pop3},
    })  # fmt: skip
    # before, smtp-only.example had a document without an incomingServer, which the specification's schema refuses
    assert [f.name for f in result.files] == ["autoconfig/pop-only.example/config-v1.1.xml"]
    assert result.gaps == (
        Gap("s", "incoming", autoconfig.NO_INCOMING),
        Gap("t", "incoming", autoconfig.NO_INCOMING),
        Gap("p", "outgoing", autoconfig.NO_OUTGOING),
    )
    [file] = result.files
    (tmp_path / "config-v1.1.xml").write_bytes(file.content)
    assert xmllint(tmp_path / "config-v1.1.xml").returncode == 0
    [refused] = read_with_thunderbird([(file.content, "p@pop-only.example")])["autoconfig"]
    assert "Need proper <outgoingServer> in XML file" in refused["error"]


@pytest.mark.parametrize("placeholder", ["%EMAILADDRESS%", "%EMAILLOCALPART%", "%EMAILDOMAIN%", "%REALNAME%"])
def test_an_organization_with_a_placeholder_is_written_as_declared_and_a_gap(placeholder: str) -> None:
    result = rendered({"a": {**account("a"), "organization": f"Mail of {placeholder}"},
                       "b": {**account("b"), "organization": f"Mail of {placeholder}"}, "c": account("c")})  # fmt: skip
    root = document(result, "example.org")
    assert (root.findtext("emailProvider/displayName"), root.findtext("emailProvider/displayShortName")) == (
        f"Mail of {placeholder}",
        f"Mail of {placeholder}"[:20],
    )
    # before, reported nowhere; c names no organization of its own
    assert [g for g in result.gaps if g.setting == "organization"] == [
        Gap("a", "organization", autoconfig.PLACEHOLDER_GAP),
        Gap("b", "organization", autoconfig.PLACEHOLDER_GAP),
    ]


def test_an_organization_without_a_placeholder_or_not_written_is_no_placeholder_gap() -> None:
    for accounts in (
        {"a": {**account("a"), "organization": "100% Mail, %EMAIL%"}},  # a % alone is no placeholder
        # two organizations: the domain is the name, and the placeholder is written nowhere (that they differ is)
        {"a": {**account("a"), "organization": "%EMAILDOMAIN%"}, "b": {**account("b"), "organization": "B"}},
    ):
        assert autoconfig.PLACEHOLDER_GAP not in [g.instead for g in rendered(accounts).gaps]


@pytest.mark.parametrize(
    "organizations", [("Acme", "ACME"), ("Caf\u00e9", "Cafe\u0301"), ("Acme", "Acme Ltd"), ("%EMAILDOMAIN%", "B")]
)
def test_accounts_of_a_domain_naming_different_organizations_are_told_the_domain_is_written(
    organizations: tuple[str, str],
) -> None:
    first, second = organizations
    result = rendered({"a": {**account("a"), "organization": first}, "b": {**account("b"), "organization": second},
                       "c": account("c")})  # fmt: skip
    assert document(result, "example.org").findtext("emailProvider/displayName") == "example.org"
    # before, no gap: neither organization was written, and nothing said so
    assert [g for g in result.gaps if g.setting == "organization"] == [
        Gap("a", "organization", autoconfig.ORGANIZATIONS_DIFFER_GAP),
        Gap("b", "organization", autoconfig.ORGANIZATIONS_DIFFER_GAP),
    ]
    assert autoconfig.ORGANIZATIONS_DIFFER_GAP == (
        "the domain's accounts name different organizations (texts that differ only in case or in Unicode "
        "normalization differ here too), and its one document has one displayName: the domain is written instead; "
        "give them one organization"
    )
    same = rendered({"a": {**account("a"), "organization": first}, "b": {**account("b"), "organization": first}})
    assert autoconfig.ORGANIZATIONS_DIFFER_GAP not in [g.instead for g in same.gaps]


def test_thunderbird_fills_its_placeholders_in_the_display_name() -> None:
    """What the gap above says: Thunderbird 153's account wizard (AccountConfig.replaceVariables) replaces them in
    the displayName it read, which it gives the outgoing server as its description."""
    need("thunderbird")
    result = rendered({"a": {**account("a"), "organization": "%EMAILLOCALPART% at %EMAILDOMAIN% (%REALNAME%)"}})
    [read] = read_with_thunderbird([(result.files[0].content, "zed@example.org")])["autoconfig"]
    assert read["displayName"] == "%EMAILLOCALPART% at %EMAILDOMAIN% (%REALNAME%)"
    assert read["filledDisplayName"] == "zed at example.org (Real Name)"


#: host -> what Thunderbird 153's readFromXML reads it as (None: no value, and the server is left out)
NOT_TEXT_HOSTS = {"1e3": "1000", "1.5e3": "1500", "0x10": None, "0b1": None, "false": None}


def not_text_host_gap(host: str, read: str | None) -> str:
    if read is None:
        said = "false" if host == "false" else "the number 0"
        read_as = (
            f"{said}, which it takes for no value: it leaves the server out, and refuses the whole document when no "
            "other is left on its side"
        )
    else:
        read_as = f'a number: it connects to "{read}" instead'
    return (
        f'Thunderbird 153 reads the host "{host}" as {read_as}; publish a host name that JavaScript reads as no '
        "number and no true or false (like imap.example.org)"
    )


def host_on(side: str, host: str) -> dict[str, Any]:
    """Account a with ``host`` on one side (incoming or outgoing)."""
    return account("a", **{side: {"host": host}}, domain="example.org")


@pytest.mark.parametrize(("host", "read"), NOT_TEXT_HOSTS.items())
@pytest.mark.parametrize("side", ["incoming", "outgoing"])
def test_a_host_thunderbird_reads_as_a_number_or_a_boolean_is_a_gap(host: str, read: str | None, side: str) -> None:
    result = rendered({"a": host_on(side, host)})
    # before, no gap: Thunderbird connected to 1000 for 1e3, and refused the document for 0x10
    assert [g for g in result.gaps if g.setting.endswith(".host")] == [
        Gap("a", f"{side}.host", not_text_host_gap(host, read))
    ]


@pytest.mark.parametrize("host", ["True", "imap.example.org", "dead.beef", "1.2.3.4", "1e3.example", "infinity"])
def test_a_host_thunderbird_reads_as_written_is_no_gap(host: str) -> None:
    result = rendered({"a": account("a", incoming={"host": host}, outgoing={"host": host})})
    assert [g for g in result.gaps if g.setting.endswith(".host")] == []


def test_thunderbird_reads_each_host_as_the_gap_says() -> None:
    need("thunderbird")
    documents = []
    for host in NOT_TEXT_HOSTS:
        for side in ("incoming", "outgoing"):
            content = rendered({"a": host_on(side, host)}).files[0].content
            documents.append((content, "zed@example.org"))
    # with an alternative (another account's POP3 server), the one read as no value is left out, the other taken
    both = rendered({"a": account("a", incoming={"host": "0x10"}),
                     "b": account("b", incoming={"protocol": "pop3", "host": "pop.example.org"})})  # fmt: skip
    documents.append((both.files[0].content, "zed@example.org"))
    *read, alternative = read_with_thunderbird(documents)["autoconfig"]
    for (host, expected), incoming, outgoing in zip(NOT_TEXT_HOSTS.items(), read[::2], read[1::2], strict=True):
        for side, found in (("incoming", incoming), ("outgoing", outgoing)):
            if expected is None:
                assert found == {"error": "You must supply a value for this string"}, (host, side)
            else:
                assert [s["hostname"] for s in found["raw"][side]] == [expected], (host, side)
    assert [(s["type"], s["hostname"]) for s in alternative["raw"]["incoming"]] == [("pop3", "pop.example.org")]


#: mail domain -> what Thunderbird 153's readFromXML reads as the document's id and domain (None: no value)
NOT_TEXT_DOMAINS = {"1e3": "1000", "0x10": None, "0": None, "false": None}


def on_domain(domain: str) -> dict[str, Any]:
    """Account a at ``domain``, its servers elsewhere (their hosts are no part of this)."""
    return {**account("a", incoming={"host": "imap.example.org"}, outgoing={"host": "smtp.example.org"}),
            "address": f"a@{domain}"}  # fmt: skip


@pytest.mark.parametrize(("domain", "read"), NOT_TEXT_DOMAINS.items())
def test_a_mail_domain_thunderbird_reads_as_a_number_or_no_value_is_a_gap(domain: str, read: str | None) -> None:
    result = rendered({"a": on_domain(domain), "b": {**on_domain(domain), "address": f"b@{domain}"}})
    if read is None:
        said = "false" if domain == "false" else "the number 0"
        read_as = f"{said}, which it takes for no value: it refuses the whole document"
    else:
        read_as = f'a number: the document names the domain "{read}" instead'
    message = (
        f'Thunderbird 153 reads the document\'s mail domain "{domain}" (its id and domain) as {read_as}; other '
        "clients take it as written"
    )
    # before, no gap: Thunderbird refused the document of a@0x10 whole, and read a@1e3's as domain 1000's
    assert [g for g in result.gaps if g.setting == "address"] == [Gap("a", "address", message),
                                                                   Gap("b", "address", message)]  # fmt: skip


@pytest.mark.parametrize("domain", ["true", "123", "example.org", "1e3.example"])
def test_a_mail_domain_thunderbird_reads_as_written_is_no_gap(domain: str) -> None:
    assert [g for g in rendered({"a": on_domain(domain)}).gaps if g.setting == "address"] == []


def test_thunderbird_reads_each_mail_domain_as_the_gap_says() -> None:
    need("thunderbird")
    domains = [*NOT_TEXT_DOMAINS, "true", "123"]
    documents = [(rendered({"a": on_domain(d)}).files[0].content, f"zed@{d}") for d in domains]
    read = read_with_thunderbird(documents)["autoconfig"]
    said = {d: r.get("error") or (r["id"], r["domains"]) for d, r in zip(domains, read, strict=True)}
    refused = "You must supply a value for this string"
    assert said == {"1e3": ("1000", ["1000"]), "0x10": refused, "0": refused, "false": refused,
                    "true": ("true", ["true"]), "123": ("123", ["123"])}  # fmt: skip


# --- host names differ only in case ----------------------------------------------------------------------------


def test_hosts_that_differ_only_in_case_are_one_server_spelled_as_first_declared() -> None:
    # DNS names are case-insensitive (RFC 4343): IMAP.Example.org and imap.example.org are one server, no alternative
    result = rendered({
        "a": account("a", incoming={"host": "IMAP.Example.org"}, outgoing={"host": "smtp.example.org"}),
        "b": account("b", incoming={"host": "imap.example.org"}, outgoing={"host": "SMTP.EXAMPLE.ORG"}),
        "c": account("c", incoming={"host": "Imap.Example.Org", "security": "starttls"}),
    })  # fmt: skip
    [file] = result.files
    assert file.content.decode() == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        "<!-- Written by mailconf (target autoconfig): publish at https://autoconfig.DOMAIN/mail/config-v1.1.xml -->\n"
        '<clientConfig version="1.1">\n'
        '  <emailProvider id="example.org">\n'
        "    <domain>example.org</domain>\n"
        "    <displayName>example.org</displayName>\n"
        "    <displayShortName>example.org</displayShortName>\n"
        '    <incomingServer type="imap">\n'
        "      <hostname>IMAP.Example.org</hostname>\n"
        "      <port>993</port>\n"
        "      <socketType>SSL</socketType>\n"
        "      <username>%EMAILADDRESS%</username>\n"
        "      <authentication>password-cleartext</authentication>\n"
        "    </incomingServer>\n"
        '    <incomingServer type="imap">\n'
        "      <hostname>IMAP.Example.org</hostname>\n"
        "      <port>143</port>\n"
        "      <socketType>STARTTLS</socketType>\n"
        "      <username>%EMAILADDRESS%</username>\n"
        "      <authentication>password-cleartext</authentication>\n"
        "    </incomingServer>\n"
        '    <outgoingServer type="smtp">\n'
        "      <hostname>smtp.example.org</hostname>\n"
        "      <port>465</port>\n"
        "      <socketType>SSL</socketType>\n"
        "      <username>%EMAILADDRESS%</username>\n"
        "      <authentication>password-cleartext</authentication>\n"
        "    </outgoingServer>\n"
        "  </emailProvider>\n"
        "</clientConfig>\n"
    )
    assert [(g.account, g.setting) for g in result.gaps if "alternative" in g.instead] == [("c", "incoming.port")]
