"""One reader of a clientConfig server element: discover and import --from autoconfig take the same server, with
the same settings, as Thunderbird 153's readFromXML takes it (run headless where Thunderbird is installed)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from mailconf.clientconfig import QUOTED
from mailconf.discover.clientconfig import XmlError, parse
from mailconf.errors import cut, double_quoted
from mailconf.importers import ReadOptions
from mailconf.importers._core import NoAccount, import_paths
from mailconf.model import Protocol, Security, default_port
from tests.conftest import need
from tests.targets._tb_provider import read_with_thunderbird

ADDRESS = "you@example.com"
DOCUMENT = """<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1"><emailProvider id="example.com"><domain>example.com</domain>
<incomingServer type="pop3"><hostname>{host}</hostname>{port}<socketType>SSL</socketType>
{auth}<username>%EMAILLOCALPART%</username>{pop3}</incomingServer>
<incomingServer type="imap"><hostname>second.example.com</hostname><port>143</port><socketType>STARTTLS</socketType>
<authentication>password-cleartext</authentication><username>%EMAILADDRESS%</username></incomingServer>
<outgoingServer type="smtp"><hostname>smtp.example.com</hostname>{out_port}<socketType>STARTTLS</socketType>
{out_auth}<username>%EMAILADDRESS%</username></outgoingServer>
<outgoingServer type="smtp"><hostname>second.example.com</hostname><port>587</port><socketType>STARTTLS</socketType>
<authentication>password-cleartext</authentication><username>%EMAILADDRESS%</username></outgoingServer>
</emailProvider></clientConfig>
"""
GOOD = {
    "host": "pop.example.com",
    "port": "<port>995</port>",
    "auth": "<authentication>password-cleartext</authentication>",
    "pop3": "",
    "out_port": "<port>465</port>",
    "out_auth": "<authentication>password-cleartext</authentication>",
}


def _pop3(leave: str | None = None, days: str | None = None) -> str:
    said = "" if leave is None else f"<leaveMessagesOnServer>{leave}</leaveMessagesOnServer>"
    said += "" if days is None else f"<daysToLeaveMessagesOnServer>{days}</daysToLeaveMessagesOnServer>"
    return f"<pop3>{said}</pop3>"


#: where the two commands read a server otherwise before they shared one reader, and what Thunderbird reads
CASES: dict[str, tuple[dict[str, str], dict[str, Any], dict[str, Any]]] = {
    # discover left an incoming server without <port> out; Thunderbird takes it (and probes for the port)
    "incoming-no-port": ({"port": ""}, {"port": 995}, {}),
    # JXON reads true and false in any case: discover read TRUE as nothing
    "leave-upper-case": ({"pop3": _pop3("TRUE", "5")}, {"leave_on_server": True, "leave_days": 5}, {}),
    # ...but not with white space, which both trimmed: Thunderbird then reads neither setting
    "leave-spaces": ({"pop3": _pop3(" true ", "5")}, {}, {}),
    # an empty element is JXON's true
    "leave-empty": ({"pop3": "<pop3><leaveMessagesOnServer/></pop3>"}, {"leave_on_server": True}, {}),
    # the days are read without leaveMessagesOnServer: import dropped them
    "days-alone": ({"pop3": _pop3(days="30")}, {"leave_days": 30}, {}),
    # no <authentication>: discover read a password, Thunderbird leaves the server out
    "no-authentication": ({"auth": "", "out_auth": ""}, {"host": "second.example.com"},
                          {"host": "second.example.com", "port": 587}),
    # client-IP-address is an outgoing server's word: discover took it as no login on an incoming one
    "client-ip-incoming": ({"auth": "<authentication>client-IP-address</authentication>"},
                           {"host": "second.example.com"}, {}),
    # a port as JavaScript reads one: import refused the account, discover left the server out
    "port-993abc": ({"port": "<port>993abc</port>"}, {"port": 993}, {}),
    "port-spaces-decimal": ({"port": "<port> 993.0 </port>"}, {"port": 993}, {}),
    "port-hex": ({"port": "<port>0x3e1</port>", "out_port": "<port>0x1d1</port>"}, {"host": "second.example.com"},
                 {"host": "second.example.com", "port": 587}),
    # trimmed, lower-cased as Thunderbird does; import kept the case; a final dot is the same host
    "host-case": ({"host": "\ufeff POP.Example.COM "}, {"host": "pop.example.com"}, {}),
    "host-final-dot": ({"host": "pop.example.com."}, {}, {}),
    # JXON reads false (any case, untrimmed) and a number that is 0 as no value, and InputSanitizer.hostname throws:
    # mailconf took the host 'false' and said Thunderbird takes '0'; ' false ' is text, the host 'false', to both
    "host-false": ({"host": "false"}, {"host": "second.example.com"}, {}),
    "host-false-upper": ({"host": "FALSE"}, {"host": "second.example.com"}, {}),
    "host-false-spaces": ({"host": " false "}, {"host": "false"}, {}),
    "host-zero": ({"host": " 0.0 "}, {"host": "second.example.com"}, {}),
}  # fmt: skip


def _expected(incoming: dict[str, Any], outgoing: dict[str, Any]) -> dict[str, dict[str, Any]]:
    first_in = {"protocol": "pop3", "host": "pop.example.com", "port": 995, "security": "tls", "auth": "password",
                "username": "you"}  # fmt: skip
    second_in = {"protocol": "imap", "host": "second.example.com", "port": 143, "security": "starttls",
                 "auth": "password"}  # fmt: skip
    base = second_in if incoming.get("host") == "second.example.com" else first_in
    first_out = {
        "protocol": "smtp",
        "host": "smtp.example.com",
        "port": 465,
        "security": "starttls",
        "auth": "password",
    }
    return {"incoming": {**base, **incoming}, "outgoing": {**first_out, **outgoing}}


def discovered(xml: str) -> dict[str, dict[str, Any]]:
    """The first incoming and outgoing server discover takes from the document."""
    taken: dict[str, dict[str, Any]] = {}
    for candidate in parse(xml.encode(), ADDRESS).servers:
        taken.setdefault(candidate.side, candidate.data())
    return taken


def imported(xml: str, tmp_path: Path) -> dict[str, dict[str, Any]]:
    """The servers import --from autoconfig writes, with the port it leaves to the account file's default."""
    path = tmp_path / "config-v1.1.xml"
    path.write_text(xml, encoding="utf-8")
    account = import_paths("autoconfig", [str(path)], ReadOptions()).accounts["example.com"]
    taken = {}
    for side in ("incoming", "outgoing"):
        server = {"protocol": "smtp", **account[side]}
        protocol, security = Protocol(server["protocol"]), Security(server["security"])
        taken[side] = {**server, "port": server.get("port", default_port(protocol, security))}
    return taken


@pytest.mark.parametrize("case", CASES)
def test_discover_and_import_read_a_server_alike(case: str, tmp_path: Path) -> None:
    change, incoming, outgoing = CASES[case]
    xml = DOCUMENT.format(**{**GOOD, **change})
    assert discovered(xml) == imported(xml, tmp_path) == _expected(incoming, outgoing)


def test_a_server_left_out_and_settings_dropped_are_noted() -> None:
    xml = DOCUMENT.format(**{**GOOD, "port": "<port>\u00b2</port>", "pop3": _pop3("yes")})
    note = '<incomingServer type="pop3"> pop.example.com left out: "\u00b2" is not a port'
    assert parse(xml.encode(), ADDRESS).notes == (note,)
    xml = DOCUMENT.format(**{**GOOD, "pop3": _pop3("yes", "5")})
    said = '<incomingServer type="pop3"> pop.example.com: leaveMessagesOnServer "yes" is neither true nor false: the '
    assert parse(xml.encode(), ADDRESS).notes == (said + "<pop3> settings are left out, as Thunderbird leaves them",)


#: a <hostname> JXON reads as no value (false in any case, untrimmed; a number that is 0) -> why both leave it out
NO_VALUE_HOSTS = {
    "false": '"false" is read as false (no value)',
    "FALSE": '"FALSE" is read as false (no value)',
    "0": '"0" is read as the number 0 (no value)',
    " -0 ": '"-0" is read as the number 0 (no value)',
    "0e5": '"0e5" is read as the number 0 (no value)',
    "0x0": '"0x0" is read as the number 0 (no value)',
}


@pytest.mark.parametrize("host", NO_VALUE_HOSTS)
def test_a_hostname_read_as_no_value_leaves_the_server_out_in_both(tmp_path: Path, host: str) -> None:
    # InputSanitizer.hostname(false) and (0) throw (nonemptystring): Thunderbird leaves the server out. mailconf took
    # the host 'false', and left '0' out saying Thunderbird would take it
    xml = DOCUMENT.format(**{**GOOD, "host": host})
    note = f'<incomingServer type="pop3"> left out: {NO_VALUE_HOSTS[host]}'
    assert parse(xml.encode(), ADDRESS).notes == (note,)
    path = tmp_path / "config-v1.1.xml"
    path.write_text(xml, encoding="utf-8")
    result = import_paths("autoconfig", [str(path)], ReadOptions())
    assert result.warnings == (f"{path}:3:1: {note}; Thunderbird leaves such a server out too",)
    assert result.accounts["example.com"]["incoming"]["host"] == "second.example.com"


#: a <hostname> Thunderbird takes as the host 'true' (JXON's value of an empty element), or leaves out as blank
EMPTY_HOSTS = {
    "<hostname/>": ('empty (Thunderbird reads <hostname/> as the host "true")', ""),
    "<hostname></hostname>": ('empty (Thunderbird reads <hostname/> as the host "true")', ""),
    "<hostname> </hostname>": ("no hostname", "; Thunderbird leaves such a server out too"),
}


@pytest.mark.parametrize("element", EMPTY_HOSTS)
def test_an_empty_hostname_is_left_out_saying_thunderbird_reads_true(tmp_path: Path, element: str) -> None:
    # mailconf invents no host: the server is left out, and the words no longer say Thunderbird leaves it out too
    xml = DOCUMENT.format(**GOOD).replace("<hostname>pop.example.com</hostname>", element)
    why, also = EMPTY_HOSTS[element]
    assert parse(xml.encode(), ADDRESS).notes == (f'<incomingServer type="pop3"> left out: {why}',)
    path = tmp_path / "config-v1.1.xml"
    path.write_text(xml, encoding="utf-8")
    result = import_paths("autoconfig", [str(path)], ReadOptions())
    assert result.warnings == (f'{path}:3:1: <incomingServer type="pop3"> left out: {why}{also}',)
    assert result.accounts["example.com"]["incoming"]["host"] == "second.example.com"


def test_thunderbird_reads_an_empty_hostname_as_true_and_a_blank_one_as_none() -> None:
    need("thunderbird")
    documents = [DOCUMENT.format(**GOOD).replace("<hostname>pop.example.com</hostname>", e) for e in EMPTY_HOSTS]
    read = read_with_thunderbird(autoconfigs=[(d.encode(), ADDRESS) for d in documents])["autoconfig"]
    assert [[s["hostname"] for s in r["raw"]["incoming"]] for r in read] == [
        ["true", "second.example.com"], ["true", "second.example.com"], ["second.example.com"],
    ]  # fmt: skip


#: a first incoming server's <username> -> the username both commands take (None: the address), and the note
TRIMMED = "has white space around it: trimmed, where Thunderbird logs in with it as written; check it"
USERNAMES: dict[str, tuple[str | None, str]] = {
    "<username> you </username>": ("you", f'username " you " {TRIMMED}'),
    "<username>%EMAILLOCALPART%\t</username>": ("you", f'username "%EMAILLOCALPART%\\t" {TRIMMED}'),
    "<username>\n  %EMAILADDRESS%\n</username>": (None, f'username "\\n  %EMAILADDRESS%\\n" {TRIMMED}'),
    "<username/>": (None, 'an empty <username/> (Thunderbird logs in as "true"): the address is the login'),
    "<username> </username>": (None, 'a blank <username> (Thunderbird logs in as "NaN"): the address is the login'),
    # JXON reads a number or a boolean out of these (the Autodiscover target's gap, clientconfig.js_string)
    "<username>0012345</username>": (
        "0012345",
        'username "0012345" is kept as written; Thunderbird logs in as "12345"',
    ),
    "<username>FALSE</username>": ("FALSE", 'username "FALSE" is kept as written; Thunderbird logs in as "false"'),
    "<username>0x10</username>": ("0x10", 'username "0x10" is kept as written; Thunderbird logs in as "0"'),
}


@pytest.mark.parametrize("element", USERNAMES)
def test_a_username_thunderbird_reads_otherwise_is_noted(tmp_path: Path, element: str) -> None:
    # Thunderbird logs in with the user name as written (InputSanitizer.string), white space included, and as 'true'
    # or 'NaN' for an empty or blank one: mailconf trimmed it, and took the address for those, without a word. It
    # still trims (a tab or line break around a name, as in pretty-printed XML, is no user name the account file
    # holds: the account would not be imported) and takes the address, and says so
    xml = DOCUMENT.format(**GOOD).replace("<username>%EMAILLOCALPART%</username>", element)
    username, note = USERNAMES[element]
    note = f'<incomingServer type="pop3"> pop.example.com: {note}'
    parsed = parse(xml.encode(), ADDRESS)
    assert (parsed.servers[0].data().get("username"), parsed.notes) == (username, (note,))
    path = tmp_path / "config-v1.1.xml"
    path.write_text(xml, encoding="utf-8")
    result = import_paths("autoconfig", [str(path)], ReadOptions())
    assert (result.accounts["example.com"]["incoming"].get("username"), result.warnings) == (
        username,
        (f"{path}:3:1: {note}",),
    )


def test_thunderbird_logs_in_with_the_username_as_written() -> None:
    need("thunderbird")
    documents = [DOCUMENT.format(**GOOD).replace("<username>%EMAILLOCALPART%</username>", e) for e in USERNAMES]
    read = read_with_thunderbird(autoconfigs=[(d.encode(), ADDRESS) for d in documents])["autoconfig"]
    assert [r["filled"]["incoming"][0]["username"] for r in read] == [
        " you ", "you\t", "\n  you@example.com\n", "true", "NaN", "12345", "false", "0",
    ]  # fmt: skip


def test_import_warns_in_the_words_discover_notes(tmp_path: Path) -> None:
    xml = DOCUMENT.format(**{**GOOD, "pop3": _pop3("true", "0"), "out_port": ""})
    path = tmp_path / "config-v1.1.xml"
    path.write_text(xml, encoding="utf-8")
    warnings = import_paths("autoconfig", [str(path)], ReadOptions()).warnings
    notes = parse(xml.encode(), ADDRESS).notes
    assert notes == (
        '<incomingServer type="pop3"> pop.example.com: daysToLeaveMessagesOnServer "0" is not a number of days from 1 '
        "to 3650: left out",
        '<outgoingServer type="smtp"> smtp.example.com left out: no port',
    )
    assert warnings == (f"{path}:4:89: {notes[0]}", f"{path}:7:1: {notes[1]}; Thunderbird leaves such a server out too")


#: Thunderbird's nsMsgSocketType and nsMsgAuthMethod names -> the account file's
_SECURITY = {"SSL": "tls", "alwaysSTARTTLS": "starttls", "plain": "none"}
_AUTH = {"passwordCleartext": "password", "passwordEncrypted": "password", "NTLM": "ntlm", "GSSAPI": "gssapi",
         "none": "none"}  # fmt: skip


def test_thunderbird_reads_each_case_as_both_commands(tmp_path: Path) -> None:
    need("thunderbird")
    documents = [DOCUMENT.format(**{**GOOD, **change}) for change, _, _ in CASES.values()]
    read = read_with_thunderbird(autoconfigs=[(d.encode(), ADDRESS) for d in documents])["autoconfig"]
    for case, document, thunderbird in zip(CASES, documents, read, strict=True):
        ours = discovered(document)
        for side in ("incoming", "outgoing"):
            server, theirs = ours[side], thunderbird["filled"][side][0]
            # a final dot is the same host (the account file does not hold it); without a port, Thunderbird probes
            said = {"host": theirs["hostname"].removesuffix("."), "port": theirs["port"] or server["port"],
                    "security": _SECURITY[theirs["socketType"]], "auth": _AUTH[theirs["auth"]]}  # fmt: skip
            assert {k: server[k] for k in said} == said, (case, side)
            for key, tb_key in (
                ("leave_on_server", "leaveMessagesOnServer"),
                ("leave_days", "daysToLeaveMessagesOnServer"),
            ):
                if key in server:  # what the file says (Thunderbird's defaults stand for what it does not)
                    assert server[key] == theirs[tb_key], (case, key)
        if "leave_on_server" not in ours["incoming"] and ours["incoming"]["protocol"] == "pop3":
            assert (case, thunderbird["raw"]["incoming"][0]["leaveMessagesOnServer"]) == (case, True)  # the default


DOMAINS = """<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1"><emailProvider id="example.com">{domains}
<incomingServer type="imap"><hostname>imap.example.com</hostname><port>993</port><socketType>SSL</socketType>
<authentication>password-cleartext</authentication><username>%EMAILADDRESS%</username></incomingServer>
<outgoingServer type="smtp"><hostname>smtp.example.com</hostname><port>465</port><socketType>SSL</socketType>
<authentication>password-cleartext</authentication><username>%EMAILADDRESS%</username></outgoingServer>
</emailProvider></clientConfig>
"""
#: a <domain> -> the domain both commands keep, or why they leave it out, and whether Thunderbird keeps it
DOMAIN_CASES: dict[str, tuple[str | None, str, bool]] = {
    "<domain> </domain>": (None, "blank", False),
    "<domain>bad domain</domain>": (None, '"bad domain" is not a host name', False),
    "<domain>a_b.example</domain>": (None, '"a_b.example" is not a host name', False),
    "<domain>%EMAILDOMAIN%</domain>": (None, '"%EMAILDOMAIN%" is a placeholder, no domain', True),
    "<domain>192.0.2.1</domain>": (None, '"192.0.2.1" is read as an IP address, not a domain', True),
    "<domain>0x7f000001</domain>": (None, '"0x7f000001" is read as the number 0 (no value)', False),
    "<domain> Example.NET. </domain>": ("example.net", "", True),
    "<domain/>": (None, 'empty (Thunderbird reads <domain/> as the domain "true")', True),
    "<domain>123</domain>": (None, '"123" is read as an IP address, not a domain', True),
    "<domain>false</domain>": (None, '"false" is read as false (no value)', False),
    "<domain>False</domain>": (None, '"False" is read as false (no value)', False),
    "<domain> false </domain>": ("false", "", True),
    "<domain>0</domain>": (None, '"0" is read as the number 0 (no value)', False),
    "<domain>00</domain>": (None, '"00" is read as the number 0 (no value)', False),
}


def test_discover_and_import_read_domains_alike(tmp_path: Path) -> None:
    """Each <domain> checked as Thunderbird checks it (discover filled placeholders in and checked none; import took
    the first non-blank one as it was): kept lower-cased without a final dot, or left out with the same words."""
    for element, (kept, why, _) in DOMAIN_CASES.items():
        xml = DOMAINS.format(domains=element + "<domain>example.org</domain>")
        parsed = parse(xml.encode(), ADDRESS)
        path = tmp_path / "config-v1.1.xml"
        path.write_text(xml, encoding="utf-8")
        result = import_paths("autoconfig", [str(path)], ReadOptions())
        note = () if kept else (f"<domain> left out: {why}",)
        assert (parsed.domains, parsed.notes) == ((kept, "example.org") if kept else ("example.org",), note), element
        also = "; Thunderbird leaves it out too" if kept is None and not DOMAIN_CASES[element][2] else ""
        warned = tuple(f"{path}:2:61: {n}{also}" for n in note)
        assert (result.accounts["example.com"]["address"], result.warnings) == (f"you@{kept or 'example.org'}", warned)


def test_a_provider_without_a_domain_is_refused_by_both(tmp_path: Path) -> None:
    xml = DOMAINS.format(domains="<domain> </domain>")
    with pytest.raises(XmlError) as raised:
        parse(xml.encode(), ADDRESS)
    assert str(raised.value) == "no <domain> left: Thunderbird refuses the file (<domain> left out: blank)"
    path = tmp_path / "config-v1.1.xml"
    path.write_text(xml, encoding="utf-8")
    with pytest.raises(NoAccount) as refused:
        import_paths("autoconfig", [str(path)], ReadOptions())
    assert refused.value.warnings == (
        f"{path}:2:61: <domain> left out: blank; Thunderbird leaves it out too",
        f'{path}:2:29: emailProvider "example.com": no <domain> left: Thunderbird refuses the file; skipped',
    )


def test_a_placeholder_domain_is_for_any_address_so_import_has_none(tmp_path: Path) -> None:
    """Thunderbird takes a file whose only <domain> is %EMAILDOMAIN% (for any address): discover too; the import
    has no domain to put in the address (it wrote you@%EMAILDOMAIN%)."""
    xml = DOMAINS.format(domains="<domain>%EMAILDOMAIN%</domain>")
    note = '<domain> left out: "%EMAILDOMAIN%" is a placeholder, no domain'
    parsed = parse(xml.encode(), ADDRESS)
    assert (parsed.domains, parsed.notes, len(parsed.servers)) == ((), (note,), 2)
    path = tmp_path / "config-v1.1.xml"
    path.write_text(xml, encoding="utf-8")
    with pytest.raises(NoAccount) as refused:
        import_paths("autoconfig", [str(path)], ReadOptions())
    assert refused.value.warnings == (
        f"{path}:2:61: {note}",
        f'{path}:2:29: emailProvider "example.com": no <domain> left that names a domain (Thunderbird takes the file '
        "for any address); skipped",
    )


def test_thunderbird_keeps_the_domains_it_is_said_to_keep() -> None:
    need("thunderbird")
    documents = [DOMAINS.format(domains=element + "<domain>example.org</domain>") for element in DOMAIN_CASES]
    read = read_with_thunderbird(autoconfigs=[(d.encode(), ADDRESS) for d in documents])["autoconfig"]
    for (element, (kept, _, thunderbird_keeps)), thunderbird in zip(DOMAIN_CASES.items(), read, strict=True):
        theirs = [d.removesuffix(".") for d in thunderbird["domains"]]
        assert (element, len(theirs) == 2) == (element, thunderbird_keeps)
        if kept is not None:
            assert theirs[0] == kept


def test_a_long_number_is_read_in_linear_time(tmp_path: Path) -> None:
    """A decimal number was matched by a pattern that tried every split of its digits: a <port> of 8,000 digits
    and a letter took 2 s of CPU, and the 1 MiB a web server may send, hours (discover and import alike)."""
    digits = "9" * 200_000
    xml = DOCUMENT.format(**{**GOOD, "port": f"<port>{digits}x</port>", "pop3": _pop3("true", f"{digits}.5x")})
    began = time.process_time()
    notes = parse(xml.encode(), ADDRESS).notes
    spent = time.process_time() - began
    said = cut(f"{digits}x", QUOTED, double_quoted)
    assert notes == (f'<incomingServer type="pop3"> pop.example.com left out: {said} is not a port',)
    assert imported(xml.replace(f"<port>{digits}x</port>", "<port>995</port>"), tmp_path)["incoming"] == {
        "protocol": "pop3", "host": "pop.example.com", "port": 995, "security": "tls", "auth": "password",
        "username": "you", "leave_on_server": True,
    }  # fmt: skip
    assert spent < 5, f"{spent:.1f} s of CPU"  # a few milliseconds; hours when it was quadratic


IDS = """<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1"><emailProvider {id}><domain>example.com</domain>
<incomingServer type="imap"><hostname>imap.example.com</hostname><port>993</port><socketType>SSL</socketType>
<authentication>password-cleartext</authentication><username>%EMAILADDRESS%</username></incomingServer>
<outgoingServer type="smtp"><hostname>smtp.example.com</hostname><port>465</port><socketType>SSL</socketType>
<authentication>password-cleartext</authentication><username>%EMAILADDRESS%</username></outgoingServer>
</emailProvider></clientConfig>
"""
LONG = "a" * 300
#: an <emailProvider id> Thunderbird refuses the whole file for (readFromXML: InputSanitizer.hostname of what JXON
#: makes of the attribute) -> why, as both commands say it
REFUSED_IDS = {
    "": "no id",
    'id=""': "a blank id",
    'id=" "': "a blank id",
    'id="../x"': "the id is not a host name",
    'id="my provider"': "the id is not a host name",
    f'id="{LONG}"': "the id is not a host name",
    'id="a_b.example"': "the id is not a host name",
    'id="x&#10;y"': "the id is not a host name",
    'id="false"': "the id is read as false (no value)",
    'id="0"': "the id is read as the number 0 (no value)",
    'id="0x10"': "the id is read as the number 0 (no value)",
}
#: an id Thunderbird takes -> the name of the account import makes (the domain when the id names no host)
TAKEN_IDS = {
    'id=" Example.COM. "': "example.com",
    'id="mail.example.net"': "mail.example.net",
    'id="%EMAILDOMAIN%"': "example.com",
    'id="192.0.2.1"': "example.com",
    'id="::1"': "example.com",
}


@pytest.mark.parametrize("provider_id", REFUSED_IDS)
def test_a_provider_id_thunderbird_refuses_refuses_the_file_in_both(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], provider_id: str
) -> None:
    # readFromXML reads the id first, as a host name, and throws: no server of the file is used. Neither command
    # checked it: import named the account after it ('../x' became 'x', 300 characters were cut to 64)
    from mailconf.cli import main
    from mailconf.clientconfig import quoted
    from mailconf.importers._base import shown

    xml = IDS.format(id=provider_id)
    raw = None if not provider_id else provider_id[4:-1].replace("&#10;", "\n")
    why = f"{REFUSED_IDS[provider_id]}: Thunderbird refuses the file"
    with pytest.raises(XmlError) as raised:
        parse(xml.encode(), ADDRESS)
    assert str(raised.value) == f"<emailProvider>{'' if raw is None else f' id {quoted(raw)}'}: {why}"
    path = tmp_path / "config-v1.1.xml"
    path.write_text(xml, encoding="utf-8")
    assert main(["import", "--from", "autoconfig", str(path)]) == 2
    out, err = capsys.readouterr()
    assert (out, err.splitlines()[0]) == (
        "", f"mailconf: warning: {path}:2:29: emailProvider{'' if raw is None else f' {shown(raw, quotes=True)}'}: "
        f"{why}; skipped",
    )  # fmt: skip


def test_import_names_the_account_after_the_id_thunderbird_reads(tmp_path: Path) -> None:
    path = tmp_path / "config-v1.1.xml"
    for provider_id, name in TAKEN_IDS.items():
        path.write_text(IDS.format(id=provider_id), encoding="utf-8")
        result = import_paths("autoconfig", [str(path)], ReadOptions())
        assert (list(result.accounts), result.warnings) == ([name], ()), provider_id
        assert parse(IDS.format(id=provider_id).encode(), ADDRESS).domains == ("example.com",)


def test_thunderbird_refuses_the_files_whose_id_both_commands_refuse() -> None:
    need("thunderbird")
    documents = [IDS.format(id=i).encode() for i in (*REFUSED_IDS, *TAKEN_IDS)]
    read = read_with_thunderbird(autoconfigs=[(d, ADDRESS) for d in documents])["autoconfig"]
    assert [("error" in r, r.get("id")) for r in read] == [(True, None)] * len(REFUSED_IDS) + [
        (False, "example.com."), (False, "mail.example.net"), (False, "%EMAILDOMAIN%"), (False, "192.0.2.1"),
        (False, "::1"),
    ]  # fmt: skip
