"""One reader of a clientConfig server element: discover and import --from autoconfig take the same server, with
the same settings, as Thunderbird 153's readFromXML takes it (run headless where Thunderbird is installed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mailconf.discover.clientconfig import parse
from mailconf.importers import ReadOptions
from mailconf.importers._core import import_paths
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
    note = "<incomingServer type='pop3'> pop.example.com left out: '\u00b2' is not a port"
    assert parse(xml.encode(), ADDRESS).notes == (note,)
    xml = DOCUMENT.format(**{**GOOD, "pop3": _pop3("yes", "5")})
    said = "<incomingServer type='pop3'> pop.example.com: leaveMessagesOnServer 'yes' is neither true nor false: the "
    assert parse(xml.encode(), ADDRESS).notes == (said + "<pop3> settings are left out, as Thunderbird leaves them",)


def test_import_warns_in_the_words_discover_notes(tmp_path: Path) -> None:
    xml = DOCUMENT.format(**{**GOOD, "pop3": _pop3("true", "0"), "out_port": ""})
    path = tmp_path / "config-v1.1.xml"
    path.write_text(xml, encoding="utf-8")
    warnings = import_paths("autoconfig", [str(path)], ReadOptions()).warnings
    notes = parse(xml.encode(), ADDRESS).notes
    assert notes == (
        "<incomingServer type='pop3'> pop.example.com: daysToLeaveMessagesOnServer '0' is not a number of days from 1 "
        "to 3650: left out",
        "<outgoingServer type='smtp'> smtp.example.com left out: no port",
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
