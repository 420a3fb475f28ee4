"""``import --from autodiscover``: hand-written POX responses (as providers write them, not only as mailconf
does), exact output and warnings, and bad input as one located line with exit 2."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailconf.cli import main
from mailconf.errors import MailconfError, double_quoted
from mailconf.importers import ReadOptions
from mailconf.importers._core import NoAccount, import_paths
from tests.conftest import need

ROOT = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"
OUTLOOK = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"


def response(protocols: str, user: str = "", action: str = "<Action>settings</Action>") -> str:
    return f"""\
<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="{ROOT}">
  <Response xmlns="{OUTLOOK}">
{user}    <Account>
      <AccountType>email</AccountType>
      {action}
{protocols}    </Account>
  </Response>
</Autodiscover>
"""


def protocol(kind: str, server: str, port: str, *more: str) -> str:
    inner = "".join(f"        {line}\n" for line in (f"<Type>{kind}</Type>", f"<Server>{server}</Server>",
                                                        f"<Port>{port}</Port>", *more))  # fmt: skip
    return f"      <Protocol>\n{inner}      </Protocol>\n"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_provider_response_gives_the_account_named_by_its_file(tmp_path: Path) -> None:
    # as providers write it: SSL on and Encryption both, an Encryption that overrides SSL, SPA on, and a
    # second IMAP server (an alternative)
    path = tmp_path / "alice%2Fwork%25x@example.org.xml"
    path.write_text(response(
        protocol("IMAP", "imap.example.org", "993", "<LoginName>alice</LoginName>", "<SPA>off</SPA>",
                 "<SSL>on</SSL>", "<Encryption>SSL</Encryption>", "<AuthRequired>on</AuthRequired>")
        + protocol("SMTP", "smtp.example.org", "587", "<LoginName>alice</LoginName>", "<SPA>on</SPA>",
                   "<SSL>off</SSL>", "<Encryption>TLS</Encryption>")
        + protocol("IMAP", "imap2.example.org", "143", "<SSL>off</SSL>"),
        user="    <User><DisplayName>Alice &amp; Co</DisplayName></User>\n",
    ))  # fmt: skip
    result = import_paths("autodiscover", [str(path)], ReadOptions())
    assert result.text == (
        f"# imported by `mailconf import --from autodiscover` from {path}\n"
        "# the comments below say what the files hold that this file does not\n"
        "version: 1\n"
        "accounts:\n"
        "  alice-work-x-example.org:\n"
        '    address: "alice/work%x@example.org"\n'
        '    display_name: "Alice & Co"\n'
        f"    incoming:  # {path}:27: alternatives in the file, not imported: imap2.example.org:143\n"
        "      protocol: imap\n"
        "      host: imap.example.org\n"
        "      port: 993\n"
        "      security: tls\n"
        "      auth: password\n"
        "      username: alice\n"
        "    outgoing:\n"
        "      host: smtp.example.org\n"
        "      port: 587\n"
        "      security: starttls\n"
        "      auth: ntlm\n"
        "      username: alice\n"
    )
    assert result.warnings == (f"{path}:27:7: alternatives in the file, not imported: imap2.example.org:143",)


def test_without_encryption_ssl_on_is_read_from_the_port_as_thunderbird_does(tmp_path: Path) -> None:
    path = tmp_path / "bob@example.org.xml"
    path.write_text(response(
        protocol("POP3", "pop.example.org", "110", "<SSL>on</SSL>", "<AuthRequired>on</AuthRequired>")
        + protocol("SMTP", "smtp.example.org", "465", "<SSL>on</SSL>", "<Encryption>Auto</Encryption>",
                   "<AuthRequired>off</AuthRequired>", "<SPA>on</SPA>"),
    ))  # fmt: skip
    result = import_paths("autodiscover", [str(path)], ReadOptions())
    assert dict(result.accounts) == {"bob-example.org": {
        "address": "bob@example.org",
        "incoming": {"protocol": "pop3", "host": "pop.example.org", "port": 110, "security": "starttls",
                     "auth": "password"},
        "outgoing": {"host": "smtp.example.org", "port": 465, "security": "tls", "auth": "none"},
    }}  # fmt: skip
    assert result.warnings == (
        f"{path}:7:7: POP3 pop.example.org: no Encryption with SSL on does not say implicit TLS or STARTTLS: read "
        "as starttls from the port, as Thunderbird does; check it",
        f"{path}:14:7: SMTP smtp.example.org: Encryption Auto with SSL on does not say implicit TLS or STARTTLS: "
        "read as tls from the port, as Thunderbird does; check it",
    )


def test_a_server_name_is_lower_cased_as_thunderbird_and_the_autoconfig_import_read_it(tmp_path: Path) -> None:
    # InputSanitizer.hostname lower-cases <Server> as it does autoconfig's <hostname>: the two provider forms of one
    # account imported as Mail.Example.COM and mail.example.com (test_provider_agreement found it)
    path = tmp_path / "dave@example.org.xml"
    path.write_text(response(protocol("IMAP", "IMAP.Example.ORG", "993", "<Encryption>SSL</Encryption>")))
    result = import_paths("autodiscover", [str(path)], ReadOptions())
    assert result.accounts["dave-example.org"]["incoming"]["host"] == "imap.example.org"


def test_the_address_comes_from_the_response_then_the_login_then_a_commented_guess(tmp_path: Path) -> None:
    imap = protocol("IMAP", "imap.example.org", "993", "<LoginName>carol@example.net</LoginName>",
                    "<Encryption>SSL</Encryption>")  # fmt: skip
    smtp_address = "    <User><AutoDiscoverSMTPAddress>carol@example.org</AutoDiscoverSMTPAddress></User>\n"
    (tmp_path / "a.xml").write_text(response(imap, user=smtp_address))
    (tmp_path / "b.xml").write_text(response(imap))
    (tmp_path / "c.xml").write_text(response(protocol("IMAP", "imap.example.org", "993", "<LoginName>carol</LoginName>",
                                                      "<Encryption>SSL</Encryption>")))  # fmt: skip
    paths = [str(tmp_path / n) for n in ("a.xml", "b.xml", "c.xml")]
    result = import_paths("autodiscover", paths, ReadOptions())
    assert {n: a["address"] for n, a in result.accounts.items()} == {
        "carol-example.org": "carol@example.org",
        "carol-example.net": "carol@example.net",
        "autodiscover": "carol@imap.example.org",
    }
    assert result.warnings == (
        f"{tmp_path}/c.xml:2:1: neither the file name nor the response holds an address: carol@imap.example.org is "
        "a guess, put your own address here",
    )
    assert "    address: carol@imap.example.org  # " in result.text


def test_a_redirect_is_a_warning_and_is_not_followed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "dan@example.org.xml"
    path.write_text(response(
        protocol("IMAP", "imap.example.org", "993", "<Encryption>SSL</Encryption>")
        + protocol("EXCH", "exch.example.org", "443"),
        action="<Action>redirectAddr</Action><RedirectAddr>dan@elsewhere.example</RedirectAddr>",
    ))  # fmt: skip
    code, out, err = run(capsys, "import", "--from", "autodiscover", str(path))
    assert code == 1
    assert "    address: dan@example.org\n" in out
    assert err == (
        f"mailconf: warning: {path}:6:7: the response redirects (redirectAddr) to dan@elsewhere.example: not "
        "followed; import the response for that address instead\n"
        f"mailconf: warning: {path}:13:7: Protocol Type EXCH is not imported: mailconf holds IMAP, POP3 and SMTP "
        "servers\n"
    )


BOMB = (
    '<?xml version="1.0"?>\n'
    '<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n]>\n'
    f'<Autodiscover xmlns="{ROOT}">&lol2;</Autodiscover>\n'
)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "bomb.xml",
            BOMB,
            "bomb.xml:2:1: XML with a DTD or entities (DTDForbidden) is refused; remove the <!DOCTYPE> and entity "
            "declarations",
        ),
        (
            "dtd.xml",
            f'<?xml version="1.0"?>\n<!-- a comment -->  <!DOCTYPE Autodiscover SYSTEM "file:///etc/passwd">\n'
            f'<Autodiscover xmlns="{ROOT}"/>\n',
            "dtd.xml:2:21: XML with a DTD or entities (DTDForbidden) is refused; remove the <!DOCTYPE> and entity "
            "declarations",
        ),
        (
            "undefined.xml",
            f'<Autodiscover xmlns="{ROOT}">\n  &xxe;</Autodiscover>\n',
            "undefined.xml:2:3: not well-formed XML; fix the XML (xmllint shows where)",
        ),
        (
            "config-v1.1.xml",
            '<?xml version="1.0"?>\n<clientConfig version="1.1"/>\n',
            "config-v1.1.xml:2:1: the root element is <clientConfig> (no namespace), not an Autodiscover response "
            f'(<Autodiscover xmlns="{ROOT}">); name an Outlook Autodiscover (POX) response file',
        ),
        (
            "wrong-ns.xml",
            '<Autodiscover xmlns="urn:other"/>',
            "wrong-ns.xml:1:1: the root element is <Autodiscover> in urn:other, not an Autodiscover response "
            f'(<Autodiscover xmlns="{ROOT}">); name an Outlook Autodiscover (POX) response file',
        ),
        (
            "error.xml",
            f'<Autodiscover xmlns="{ROOT}">\n <Response>\n  <Error Time="1" Id="2"><ErrorCode>600</ErrorCode>'
            "<Message>Invalid Request</Message></Error>\n </Response>\n</Autodiscover>\n",
            "error.xml:3:3: the response is an error (600 Invalid Request); save a response that holds the account's "
            "settings",
        ),
        (
            "mobilesync.xml",
            f'<Autodiscover xmlns="{ROOT}">\n <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/'
            'mobilesync/responseschema/2006"/>\n</Autodiscover>\n',
            f'mobilesync.xml:1:1: no <Response xmlns="{OUTLOOK}"> (an Outlook response); save the response Outlook '
            "gets (the request's AcceptableResponseSchema is the Outlook one)",
        ),
    ],
)
def test_bad_input_is_one_located_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    code, out, err = run(capsys, "import", "--from", "autodiscover", str(path))
    assert (code, out, err) == (2, "", f"mailconf: {tmp_path}/{message}\n")


def test_a_response_of_no_mail_server_says_why_before_no_account_found(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # the warnings that say why were dropped: "no autodiscover account found; check that the file is ..." alone
    path = tmp_path / "exchange@example.org.xml"
    path.write_text(response(protocol("EXCH", "exch.example.org", "443")), encoding="utf-8")
    code, out, err = run(capsys, "import", "--from", "autodiscover", str(path))
    assert (code, out, err) == (2, "", (
        f"mailconf: warning: {path}:7:7: Protocol Type EXCH is not imported: mailconf holds IMAP, POP3 and SMTP "
        "servers\n"
        f"mailconf: warning: {path}:4:5: no IMAP, POP3 or SMTP Protocol; nothing imported from this file\n"
        f"mailconf: {path}:1:1: no autodiscover account found (the warnings above say what was left out); check that "
        "the file is Outlook Autodiscover (POX) configuration, or choose another --from\n"
    ))  # fmt: skip


def test_what_the_target_writes_comes_back_for_an_address_with_slash_and_percent(tmp_path: Path) -> None:
    accounts = tmp_path / "accounts.yaml"
    accounts.write_text(
        "version: 1\naccounts:\n  odd:\n    address: a/b%c@example.org\n"
        "    incoming: {protocol: imap, host: imap.example.org, security: starttls, auth: gssapi}\n"
    )
    assert main(["render", "-t", "autodiscover", str(accounts), "-o", str(tmp_path / "out")]) == 0
    [written] = (tmp_path / "out" / "autodiscover").iterdir()
    assert written.name == "a%2Fb%25c@example.org.xml"
    result = import_paths("autodiscover", [str(written)], ReadOptions())
    assert dict(result.accounts) == {"a-b-c-example.org": {
        "address": "a/b%c@example.org",
        "incoming": {"protocol": "imap", "host": "imap.example.org", "port": 143, "security": "starttls",
                     "auth": "ntlm", "username": "a/b%c@example.org"},
    }}  # fmt: skip
    assert result.warnings == ()


def test_drift_names_the_yaml_account_and_compares_what_a_response_can_say(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "alice@example.com.xml"
    path.write_text(response(
        protocol("IMAP", "imap.example.com", "993", "<LoginName>alice</LoginName>", "<Encryption>SSL</Encryption>")
    ))  # fmt: skip
    declared = tmp_path / "accounts.yaml"
    declared.write_text(
        "version: 1\naccounts:\n  work:\n    address: alice@example.com\n"
        "    incoming: {protocol: imap, host: imap.example.com, port: 143, security: starttls, username: alice,\n"
        "               password_command: pass mail, timeout: 30}\n"
    )
    code, out, err = run(capsys, "import", "--from", "autodiscover", str(path), "--compare", str(declared))
    # the password command and the timeout are not compared: a response cannot say them
    assert (code, out, err) == (
        1,
        "account work: incoming.port: file says 993, YAML declares 143\n"
        "account work: incoming.security: file says tls, YAML declares starttls\n",
        "",
    )


def test_where_a_response_leaves_it_open_the_reader_decides_as_thunderbird(tmp_path: Path) -> None:
    """Thunderbird 153's own readAutoDiscoverXML, run headless on the same hand-written responses: each
    server's type, host, port, login and plain/STARTTLS/TLS, for responses without Encryption (where the
    importer follows Thunderbird's port rule; with Encryption, it follows [MS-OXDSCLI], which Thunderbird
    does not read)."""
    need("thunderbird")
    from tests.targets._tb_provider import read_with_thunderbird

    files = {
        "a@example.org.xml": response(
            protocol("IMAP", "imap.example.org", "143", "<LoginName>a.imap</LoginName>", "<SSL>on</SSL>")
            + protocol("SMTP", "smtp.example.org", "587", "<LoginName>a</LoginName>", "<SSL>on</SSL>",
                       "<SPA>on</SPA>")
        ),
        "b@example.org.xml": response(
            protocol("POP3", "pop.example.org", "995", "<LoginName>b</LoginName>", "<SSL>on</SSL>")
            + protocol("SMTP", "smtp.example.org", "25", "<LoginName>b</LoginName>", "<SSL>off</SSL>")
        ),
        "c@example.org.xml": response(
            protocol("IMAP", "imap.example.org", "10993", "<LoginName>c</LoginName>", "<SSL>on</SSL>")
            + protocol("SMTP", "smtp.example.org", "465", "<LoginName>c</LoginName>", "<Encryption>None</Encryption>")
        ),
    }  # fmt: skip
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    mine = import_paths("autodiscover", [str(tmp_path / n) for n in files], ReadOptions()).accounts
    theirs = read_with_thunderbird(autodiscovers=[t.encode() for t in files.values()])["autodiscover"]
    socket = {"alwaysSTARTTLS": "starttls", "SSL": "tls", "plain": "none"}
    for account, read in zip(mine.values(), theirs, strict=True):
        assert [
            (s.get("protocol", "smtp"), s["host"], s["port"], s["username"], s["security"])
            for s in (account["incoming"], account["outgoing"])
        ] == [
            (s["type"], s["hostname"], s["port"], s["username"], socket[s["socketType"]])
            for s in (read["incoming"][0], read["outgoing"][0])
        ]


_VALUES = st.one_of(
    st.sampled_from(["IMAP", "POP3", "SMTP", "EXCH", "imap", "on", "off", "On", "SSL", "TLS", "None", "Auto", "993",
                     "0", "65536", "-1", "²", "", " ", "a@b.example", "imap.example.org", "x y"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=8),
)  # fmt: skip
_TAGS = st.sampled_from(["Type", "Server", "Port", "LoginName", "SPA", "SSL", "Encryption", "AuthRequired", "X"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(protocols=st.lists(st.lists(st.tuples(_TAGS, _VALUES), max_size=8), max_size=4), display=_VALUES)
def test_any_well_formed_response_imports_or_is_refused_in_one_line(
    tmp_path: Path, protocols: list[list[tuple[str, str]]], display: str
) -> None:
    body = "".join(
        "      <Protocol>" + "".join(f"<{t}>{escape(v)}</{t}>" for t, v in children) + "</Protocol>\n"
        for children in protocols
    )
    path = tmp_path / "x@example.org.xml"
    path.write_text(response(body, user=f"    <User><DisplayName>{escape(display)}</DisplayName></User>\n"))
    try:
        result = import_paths("autodiscover", [str(path)], ReadOptions())
    except MailconfError as exc:
        assert "\n" not in str(exc)
        assert str(exc).startswith(f"{path}:")
        return
    for warning in result.warnings:
        assert warning.startswith(f"{path}:") or warning.startswith("account ")


def test_a_port_in_digits_that_are_not_ascii_is_refused_by_the_schema_not_a_crash(tmp_path: Path) -> None:
    # "²".isdigit() is true and int("²") raises: both provider readers once stopped with an internal error
    path = tmp_path / "x@example.org.xml"
    path.write_text(response(protocol("IMAP", "imap.example.org", "²", "<Encryption>SSL</Encryption>")))
    config = tmp_path / "config-v1.1.xml"
    config.write_text(
        '<clientConfig version="1.1"><emailProvider id="example.org"><domain>example.org</domain>'
        '<incomingServer type="pop3"><hostname>pop.example.org</hostname><port>²</port><socketType>SSL</socketType>'
        "<authentication>password-cleartext</authentication><pop3><leaveMessagesOnServer>true</leaveMessagesOnServer><daysToLeaveMessagesOnServer>³"
        "</daysToLeaveMessagesOnServer></pop3></incomingServer></emailProvider></clientConfig>"
    )
    result = import_paths("autodiscover", [str(path)], ReadOptions())
    assert (result.accounts, result.warnings) == ({}, (
        f"{path}:2:1: account x-example.org: not imported, it cannot be valid: incoming.port: `port` must be a whole "
        'number (got "²") (remove the quotes)',
    ))  # fmt: skip
    # autoconfig reads a port as Thunderbird does (parseInt: "²" is no number): the server is left out, as there
    with pytest.raises(NoAccount) as raised:
        import_paths("autoconfig", [str(config)], ReadOptions())
    assert raised.value.warnings == (
        f'{config}:1:89: <incomingServer type="pop3"> pop.example.org left out: "²" is not a port; Thunderbird leaves '
        "such a server out too",
        f'{config}:1:1: emailProvider "example.org": no IMAP, POP3 or SMTP server; skipped',
    )


@pytest.mark.parametrize(
    ("fmt", "what"),
    [("autodiscover", "an Autodiscover response (autodiscover/ADDRESS.xml)"),
     ("autoconfig", "an autoconfig XML file (config-v1.1.xml)")],
)  # fmt: skip
def test_a_provider_xml_file_over_1_mib_is_refused_before_it_is_parsed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fmt: str, what: str
) -> None:
    # 64 MiB (the cap of other files) of <a/> made a tree of 4.5 GB; a provider document is a few kilobytes
    from mailconf.importers._xml import MAX_XML_BYTES

    good = response(protocol("IMAP", "imap.example.org", "993", "<Encryption>SSL</Encryption>"))
    if fmt == "autoconfig":
        good = (
            '<clientConfig version="1.1"><emailProvider id="example.org"><domain>example.org</domain>'
            '<incomingServer type="imap"><hostname>imap.example.org</hostname><port>993</port>'
            "<socketType>SSL</socketType><authentication>password-cleartext</authentication></incomingServer>"
            "</emailProvider></clientConfig>"
        )
    path = tmp_path / "x@example.org.xml"
    path.write_text(good + " " * (MAX_XML_BYTES - len(good)))  # at the cap: read
    assert run(capsys, "import", "--from", fmt, str(path))[0] == 0
    path.write_text(good + " " * (MAX_XML_BYTES - len(good) + 1))
    assert run(capsys, "import", "--from", fmt, str(path)) == (
        2, "", f"mailconf: {path}: larger than 1 MiB; check the path: name {what}\n"
    )  # fmt: skip
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(path.read_bytes())))
    assert run(capsys, "import", "--from", fmt, "-") == (2, "", f"mailconf: -: larger than 1 MiB; name {what}\n")


def test_a_protocol_type_is_quoted_bounded(tmp_path: Path) -> None:
    # the Type was put in the warning as it was: a megabyte of it made a warning of a megabyte
    path = tmp_path / "a@example.org.xml"
    imap = protocol("IMAP", "imap.example.org", "993", "<Encryption>SSL</Encryption>")
    path.write_text(response(protocol("X" * 100_000, "x.example.org", "1") + imap))
    result = import_paths("autodiscover", [str(path)], ReadOptions())
    assert result.warnings == (
        f"{path}:7:7: Protocol Type {'X' * 80}… is not imported: mailconf holds IMAP, POP3 and SMTP servers",
    )


def _portless(port: str) -> str:
    """An IMAP Protocol whose <Port> is ``port`` (None: no <Port>), then one with a port, then SMTP."""
    first = protocol("IMAP", "first.example.org", port, "<Encryption>SSL</Encryption>")
    return response(
        first.replace("        <Port></Port>\n", "")
        + protocol("IMAP", "second.example.org", "143", "<Encryption>TLS</Encryption>")
        + protocol("SMTP", "smtp.example.org", "465", "<Encryption>SSL</Encryption>")
    )


@pytest.mark.parametrize(("port", "line", "column"), [("", 7, 7), (" ", 10, 9)])
def test_a_protocol_without_a_port_is_left_out_as_thunderbird_leaves_it(
    tmp_path: Path, port: str, line: int, column: int
) -> None:
    # readAutoDiscoverXML: InputSanitizer.integer(undefined) (or of a blank <Port>) throws, and the Protocol is
    # skipped for the next; the import took the protocol's default port (993) for it
    path = tmp_path / "x@example.org.xml"
    path.write_text(_portless(port))
    result = import_paths("autodiscover", [str(path)], ReadOptions())
    assert (result.accounts["x-example.org"]["incoming"], result.warnings) == (
        {"protocol": "imap", "host": "second.example.org", "port": 143, "security": "starttls", "auth": "password"},
        (f"{path}:{line}:{column}: IMAP first.example.org left out: no <Port>; Thunderbird leaves such a server out "
         "too",),
    )  # fmt: skip


def test_thunderbird_leaves_a_protocol_without_a_port_out() -> None:
    need("thunderbird")
    from tests.targets._tb_provider import read_with_thunderbird

    read = read_with_thunderbird(autodiscovers=[_portless("").encode(), _portless(" ").encode()])["autodiscover"]
    assert [[s["hostname"] for s in r["incoming"]] for r in read] == [["second.example.org"]] * 2


def _serverless(server: str | None) -> str:
    """An IMAP Protocol whose <Server> element is ``server`` (None: none), then one with a server, then SMTP."""
    first = protocol("IMAP", "", "993", "<Encryption>SSL</Encryption>")
    first = first.replace("        <Server></Server>\n", "" if server is None else f"        {server}\n")
    return response(
        first
        + protocol("IMAP", "second.example.org", "143", "<Encryption>TLS</Encryption>")
        + protocol("SMTP", "smtp.example.org", "465", "<Encryption>SSL</Encryption>")
    )


SERVERLESS = {
    None: "7:7: IMAP Protocol left out: no <Server>; Thunderbird leaves such a server out too",
    "<Server> </Server>": "9:9: IMAP Protocol left out: no <Server>; Thunderbird leaves such a server out too",
    "<Server/>": '9:9: IMAP Protocol left out: empty (Thunderbird reads <Server/> as the host "true")',
}


@pytest.mark.parametrize("server", SERVERLESS)
def test_a_protocol_without_a_server_is_left_out_for_the_next(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], server: str | None
) -> None:
    # readAutoDiscoverXML: InputSanitizer.hostname of no <Server> (or a blank one) throws, and the Protocol is skipped
    # for the next; the import refused the whole file (exit 2)
    path = tmp_path / "x@example.org.xml"
    path.write_text(_serverless(server))
    code, out, err = run(capsys, "import", "--from", "autodiscover", str(path))
    assert (code, err) == (1, f"mailconf: warning: {path}:{SERVERLESS[server]}\n")
    assert "  x-example.org:\n    address: x@example.org\n    incoming:\n      protocol: imap\n" in out
    assert "      host: second.example.org\n      port: 143\n      security: starttls\n" in out


def test_a_response_whose_only_protocol_has_no_server_imports_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "x@example.org.xml"
    path.write_text(
        response("      <Protocol>\n        <Type>IMAP</Type>\n        <Port>993</Port>\n      </Protocol>\n")
    )
    code, out, err = run(capsys, "import", "--from", "autodiscover", str(path))
    assert (code, out, err.splitlines()) == (2, "", [
        f"mailconf: warning: {path}:7:7: IMAP Protocol left out: no <Server>; Thunderbird leaves such a server out too",
        f"mailconf: warning: {path}:4:5: no IMAP, POP3 or SMTP Protocol; nothing imported from this file",
        f"mailconf: {path}:1:1: no autodiscover account found (the warnings above say what was left out); check that "
        "the file is Outlook Autodiscover (POX) configuration, or choose another --from",
    ])  # fmt: skip


def test_thunderbird_leaves_a_protocol_without_a_server_out() -> None:
    need("thunderbird")
    from tests.targets._tb_provider import read_with_thunderbird

    read = read_with_thunderbird(autodiscovers=[_serverless(s).encode() for s in SERVERLESS])["autodiscover"]
    assert [[s["hostname"] for s in r["incoming"]] for r in read] == [
        ["second.example.org"],
        ["second.example.org"],
        ["true", "second.example.org"],
    ]


def _blank_login(login: str) -> str:
    """An IMAP Protocol whose <LoginName> is ``login``, then one without a LoginName, then SMTP."""
    return response(
        protocol("IMAP", "first.example.org", "993", "<Encryption>SSL</Encryption>", login)
        + protocol("IMAP", "second.example.org", "143", "<Encryption>TLS</Encryption>")
        + protocol("SMTP", "smtp.example.org", "465", "<Encryption>SSL</Encryption>")
    )


BLANK_LOGINS = {
    "<LoginName> </LoginName>": "IMAP first.example.org left out: a blank <LoginName>; Thunderbird leaves such a "
    "server out too",
    "<LoginName/>": "IMAP first.example.org left out: an empty <LoginName> (Thunderbird reads it as the user name "
    '"true")',
    "<LoginName></LoginName>": "IMAP first.example.org left out: an empty <LoginName> (Thunderbird reads it as the "
    'user name "true")',
}


@pytest.mark.parametrize("login", BLANK_LOGINS)
def test_a_blank_login_name_leaves_the_protocol_out_for_the_next(tmp_path: Path, login: str) -> None:
    # readAutoDiscoverXML: InputSanitizer.nonemptystring of a blank <LoginName> throws and the Protocol is skipped;
    # the import took the server, logging in as the address (an empty one too, which Thunderbird reads as "true")
    path = tmp_path / "x@example.org.xml"
    path.write_text(_blank_login(login))
    result = import_paths("autodiscover", [str(path)], ReadOptions())
    assert (result.accounts["x-example.org"]["incoming"], result.warnings) == (
        {"protocol": "imap", "host": "second.example.org", "port": 143, "security": "starttls", "auth": "password"},
        (f"{path}:12:9: {BLANK_LOGINS[login]}",),
    )


def test_thunderbird_leaves_a_blank_login_name_out_and_reads_an_empty_one_as_true() -> None:
    need("thunderbird")
    from tests.targets._tb_provider import read_with_thunderbird

    read = read_with_thunderbird(autodiscovers=[_blank_login(x).encode() for x in BLANK_LOGINS])["autodiscover"]
    assert [[(s["hostname"], s["username"]) for s in r["incoming"]] for r in read] == [
        [("second.example.org", "%EMAILADDRESS%")],
        [("first.example.org", "true"), ("second.example.org", "%EMAILADDRESS%")],
        [("first.example.org", "true"), ("second.example.org", "%EMAILADDRESS%")],
    ]


#: a <Server> InputSanitizer.hostname throws for (readAutoDiscoverXML: the Protocol is skipped for the next) -> why,
#: as the autoconfig reader says it (mailconf/clientconfig.py: one host check); the import wrote each as the host
BAD_SERVERS = {
    "<Server>bad host</Server>": '"bad host" is not a host name',
    "<Server>a_b.example.org</Server>": '"a_b.example.org" is not a host name',
    "<Server>false</Server>": '"false" is read as false (no value)',
    "<Server> 0 </Server>": '"0" is read as the number 0 (no value)',
}


@pytest.mark.parametrize("server", BAD_SERVERS)
def test_a_server_that_is_no_host_name_leaves_the_protocol_out_for_the_next(tmp_path: Path, server: str) -> None:
    path = tmp_path / "x@example.org.xml"
    path.write_text(_serverless(server))
    result = import_paths("autodiscover", [str(path)], ReadOptions())
    assert (result.accounts["x-example.org"]["incoming"]["host"], result.warnings) == (
        "second.example.org",
        (f"{path}:9:9: IMAP Protocol left out: {BAD_SERVERS[server]}; Thunderbird leaves such a server out too",),
    )


def test_a_server_is_read_as_the_autoconfig_reader_reads_a_hostname(tmp_path: Path) -> None:
    # trimmed (JavaScript's white space), lower-cased, a final dot dropped, as Thunderbird reads it
    path = tmp_path / "x@example.org.xml"
    path.write_text(_serverless("<Server>\ufeff First.Example.ORG. </Server>"))
    result = import_paths("autodiscover", [str(path)], ReadOptions())
    assert (result.accounts["x-example.org"]["incoming"]["host"], result.warnings) == (
        "first.example.org",
        (f"{path}:13:7: alternatives in the file, not imported: second.example.org:143",),
    )


@pytest.mark.parametrize("server", ["::1", " 2001:DB8::25 "])
def test_a_server_that_is_an_ipv6_address_is_imported_as_it_is(tmp_path: Path, server: str) -> None:
    # Outlook takes an IPv6 address, the account file holds one, and the autodiscover target writes one (an
    # outgoing "::1" rendered, then imported, came back without its server: the host check took it for no host)
    path = tmp_path / "x@example.org.xml"
    path.write_text(_serverless(f"<Server>{server}</Server>"))
    result = import_paths("autodiscover", [str(path)], ReadOptions())
    assert (result.accounts["x-example.org"]["incoming"]["host"], result.warnings) == (
        server.strip().lower(),
        (f"{path}:13:7: alternatives in the file, not imported: second.example.org:143",),
    )


def test_thunderbird_leaves_a_protocol_whose_server_is_no_host_name_out() -> None:
    need("thunderbird")
    from tests.targets._tb_provider import read_with_thunderbird

    servers = [*BAD_SERVERS, "<Server>\ufeff First.Example.ORG. </Server>"]
    read = read_with_thunderbird(autodiscovers=[_serverless(s).encode() for s in servers])["autodiscover"]
    assert [[s["hostname"] for s in r["incoming"]] for r in read] == [["second.example.org"]] * len(BAD_SERVERS) + [
        ["first.example.org.", "second.example.org"]
    ]


#: a <LoginName> JXON reads as no value (InputSanitizer.nonemptystring throws: Thunderbird leaves the Protocol out)
#: -> how Thunderbird reads it. The import keeps it as written: LoginName is a string to [MS-OXDSCLI] and Outlook,
#: and the autodiscover target writes <LoginName>0</LoginName> for a login '0' (the round trip imports it back)
NO_VALUE_LOGINS = {
    "<LoginName>0</LoginName>": ("0", "the number 0"),
    "<LoginName> 0.0 </LoginName>": (" 0.0 ", "the number 0"),
    "<LoginName>False</LoginName>": ("False", "false"),
}


@pytest.mark.parametrize("login", NO_VALUE_LOGINS)
def test_a_login_name_thunderbird_reads_as_no_value_is_kept_with_a_warning(tmp_path: Path, login: str) -> None:
    path = tmp_path / "x@example.org.xml"
    path.write_text(_blank_login(login))
    result = import_paths("autodiscover", [str(path)], ReadOptions())
    name, said = NO_VALUE_LOGINS[login]
    assert (result.accounts["x-example.org"]["incoming"], result.warnings) == (
        {"protocol": "imap", "host": "first.example.org", "port": 993, "security": "tls", "auth": "password",
         "username": name},
        (f"{path}:12:9: IMAP first.example.org: <LoginName> {double_quoted(name)} is kept as written (Outlook's user "
         f"name); Thunderbird reads it as {said} and leaves this Protocol out",
         f"{path}:14:7: alternatives in the file, not imported: second.example.org:143"),
    )  # fmt: skip


@pytest.mark.parametrize(("login", "name", "thunderbird"), [
    ("<LoginName>0012345</LoginName>", "0012345", "12345"),
    ("<LoginName> 1e3</LoginName>", " 1e3", "1000"),
    ("<LoginName>TRUE</LoginName>", "TRUE", "true"),
])  # fmt: skip
def test_a_login_name_thunderbird_reads_as_a_number_is_kept_with_a_warning(
    tmp_path: Path, login: str, name: str, thunderbird: str
) -> None:
    # what Thunderbird logs in as: tests/targets/test_autodiscover.py reads such names back with Thunderbird
    path = tmp_path / "x@example.org.xml"
    path.write_text(_blank_login(login))
    result = import_paths("autodiscover", [str(path)], ReadOptions())
    assert (result.accounts["x-example.org"]["incoming"]["username"], result.warnings) == (
        name,
        (f"{path}:12:9: IMAP first.example.org: <LoginName> {double_quoted(name)} is kept as written (Outlook's user "
         f'name); Thunderbird logs in as "{thunderbird}"',
         f"{path}:14:7: alternatives in the file, not imported: second.example.org:143"),
    )  # fmt: skip


def test_thunderbird_leaves_a_login_name_read_as_no_value_out_and_keeps_others_as_written() -> None:
    need("thunderbird")
    from tests.targets._tb_provider import read_with_thunderbird

    logins = [*NO_VALUE_LOGINS, "<LoginName> alice </LoginName>", "<LoginName>false </LoginName>"]
    read = read_with_thunderbird(autodiscovers=[_blank_login(x).encode() for x in logins])["autodiscover"]
    assert [[(s["hostname"], s["username"]) for s in r["incoming"]] for r in read] == [
        [("second.example.org", "%EMAILADDRESS%")]
    ] * len(NO_VALUE_LOGINS) + [
        [("first.example.org", " alice "), ("second.example.org", "%EMAILADDRESS%")],
        [("first.example.org", "false "), ("second.example.org", "%EMAILADDRESS%")],
    ]
