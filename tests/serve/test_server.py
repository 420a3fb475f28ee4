"""``mailconf serve`` under its real server (waitress), asked by real clients: curl, an Outlook-like POST.

Every answer is compared whole with what the real provider targets write for the same
account (mailconf.targets.autoconfig/autodiscover/mobileconfig), so the server is shown to
serve exactly the rendered documents. After every refused request the server still
answers /healthz.
"""

from __future__ import annotations

import contextlib
import os
import plistlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailconf.commands.serve import parse_bind
from mailconf.document import load_document
from mailconf.model import Account
from mailconf.targets.autoconfig import domain_document
from mailconf.targets.autodiscover import account_response
from mailconf.targets.mobileconfig import account_profile
from tests.conftest import need, utf_32_forms

from ._server import DEADLINE, OUTLOOK_REQUEST, ROOT, Server, curl, serving, start

pytestmark = [pytest.mark.real]

HERE = Path(__file__).resolve().parent
SECRETS = ("SECRET-ALICE-COMMAND", "SECRET-BOB-LITERAL", "SECRET-CAROL-TOKEN")

#: What Outlook sends with it (Microsoft's Autodiscover POX documentation)
OUTLOOK = (
    "-H",
    "Content-Type: text/xml",
    "-A",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928; Pro)",
)


@pytest.fixture(autouse=True)
def _curl() -> None:
    need("curl")


@pytest.fixture
def accounts(tmp_path: Path) -> Path:
    path = tmp_path / "accounts.yaml"
    shutil.copyfile(HERE / "accounts.yaml", path)
    return path


@pytest.fixture
def server(accounts: Path) -> Iterator[Server]:
    with serving(accounts, "--poll-interval", "0.2") as running:
        yield running


def model_accounts(path: Path) -> dict[str, Account]:
    return {a.name: a for a in load_document(str(path)).model.accounts}


def healthy(server: Server) -> None:
    answer = curl(f"{server.url}/healthz")
    assert answer.status == 200
    assert re.fullmatch(rb"ok 3 accounts, loaded \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ(; a newer file was refused at \S+)?\n",
                        answer.body)  # fmt: skip


def test_autoconfig_at_both_addresses_thunderbird_fetches(server: Server, accounts: Path) -> None:
    mine = model_accounts(accounts)
    expected, _gaps = domain_document([mine["alice"], mine["bob"]], "example.com")
    first = curl(
        f"{server.url}/mail/config-v1.1.xml?emailaddress=alice%40example.com", "-H", "Host: autoconfig.example.com"
    )
    assert (first.status, first.body) == (200, expected)
    assert first.headers["content-type"] == "application/xml; charset=utf-8"
    assert first.headers["cache-control"] == "public, max-age=300"
    assert first.headers["server"] == "mailconf"
    well_known = curl(f"{server.url}/.well-known/autoconfig/mail/config-v1.1.xml", "-H", "Host: Example.COM:443")
    assert (well_known.status, well_known.body) == (200, expected)
    again = curl(f"{server.url}/mail/config-v1.1.xml", "-H", "Host: autoconfig.example.com",
                 "-H", f"If-None-Match: {first.headers['etag']}")  # fmt: skip
    assert (again.status, again.body) == (304, b"")
    # the address's domain wins over the Host it was sent to
    other = curl(
        f"{server.url}/mail/config-v1.1.xml?emailaddress=carol%40other.test", "-H", "Host: autoconfig.example.com"
    )
    assert (other.status, other.body) == (200, domain_document([mine["carol"]], "other.test")[0])


@pytest.mark.parametrize(
    "target",
    [
        "http://other.test/.well-known/autoconfig/mail/config-v1.1.xml",
        "HTTP://AUTOCONFIG.other.test:8080/mail/config-v1.1.xml",
    ],
)
def test_an_absolute_form_target_names_the_domain_not_the_host_header(server: Server, accounts: Path,
                                                                      target: str) -> None:  # fmt: skip
    # RFC 9112 3.2.2: the target's host wins over Host; the answer was example.com's, the domain Host named
    answer = curl(server.url, "--request-target", target, "-H", "Host: autoconfig.example.com")
    assert (answer.status, answer.body) == (200, domain_document([model_accounts(accounts)["carol"]], "other.test")[0])


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("http://user:secret@example.com/mail/config-v1.1.xml", "the request target's host is not a host name"),
        ("http://192.0.2.1/mail/config-v1.1.xml",
         "the request target's host is an IP address: ask by name, or add ?emailaddress="),
        ("http:///mail/config-v1.1.xml", "the request target's host is empty and there is no emailaddress "
         "parameter: cannot tell which domain is asked for"),
    ],
)  # fmt: skip
def test_an_absolute_form_target_whose_host_is_refused_is_named_not_the_host_header(server: Server, target: str,
                                                                                   reason: str) -> None:  # fmt: skip
    # the Host header, example.com, is well-formed: the refusal blamed it
    data = f"GET {target} HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n".encode()
    answer = exchange(server, data)
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert answer.endswith(f"\r\n\r\n400 Bad Request: {reason}\n".encode())


FOREIGN = "the request target is a URI of another scheme than http or https: this server has no proxy"


@pytest.mark.parametrize(
    "target",
    [
        "ftp://other.test/mail/config-v1.1.xml",  # answered with example.com's document, from Host
        "FTP://other.test/mail/config-v1.1.xml?emailaddress=carol%40other.test",
        "gopher://example.com/healthz",
        "h:/healthz",
        "example.com:443",  # authority-form, CONNECT's only
    ],
)
def test_a_target_of_another_scheme_than_http_is_400(server: Server, target: str) -> None:
    # RFC 9112 3.2.2: the absolute-form is a proxy's; a server with no proxy answers for its own http(s) resources
    start = len(server.lines)
    data = f"GET {target} HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n".encode()
    answer = exchange(server, data)
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert answer.endswith(f"\r\n\r\n400 Bad Request: {FOREIGN}\n".encode())
    server.wait_for(rf'"GET {re.escape(target)} HTTP/1\.1" 400 {len(FOREIGN) + 18} "-" "-"$', start)
    healthy(server)


def test_autodiscover_post_like_outlook(server: Server, accounts: Path) -> None:
    body = OUTLOOK_REQUEST.format(address="carol@OTHER.test")
    answer = curl(f"{server.url}/Autodiscover/Autodiscover.xml", *OUTLOOK, "--data-binary", body)
    assert (answer.status, answer.body) == (200, account_response(model_accounts(accounts)["carol"]))
    assert answer.headers["content-type"] == "application/xml; charset=utf-8"
    assert answer.headers["cache-control"] == "private, no-cache"


def test_outlook_and_a_profile_download_with_the_address_in_another_case_get_the_account(
    server: Server, accounts: Path
) -> None:
    # the file has alice@example.com; both were "404 Not Found: no account with this address"
    mine = model_accounts(accounts)
    body = OUTLOOK_REQUEST.format(address="Alice@Example.COM")
    outlook = curl(f"{server.url}/Autodiscover/Autodiscover.xml", *OUTLOOK, "--data-binary", body)
    profile = curl(f"{server.url}/mobileconfig?emailaddress=ALICE%40example.com")
    assert [(a.status, a.body) for a in (outlook, profile)] == [
        (200, account_response(mine["alice"])),
        (200, account_profile(mine["alice"], "accounts.yaml")),
    ]
    assert (outlook.headers["content-type"], profile.headers["content-type"]) == (
        "application/xml; charset=utf-8", "application/x-apple-aspen-config")  # fmt: skip
    assert profile.headers["content-disposition"] == 'attachment; filename="alice@example.com.mobileconfig"'


#: What an ActiveSync device POSTs ([MS-ASCMD] 2.2.2.1 Autodiscover): the request and the response it asks for
#: in the mobilesync namespaces
ACTIVESYNC_REQUEST = OUTLOOK_REQUEST.replace("/outlook/", "/mobilesync/").replace("responseschema/2006a",
                                                                                  "responseschema/2006")  # fmt: skip


def test_an_activesync_autodiscover_request_is_told_there_is_no_activesync(server: Server) -> None:
    # it was "the body is not an Autodiscover request (...outlook/requestschema/2006)"
    body = ACTIVESYNC_REQUEST.format(address="carol@other.test")
    answer = curl(f"{server.url}/Autodiscover/Autodiscover.xml", "-H", "Content-Type: text/xml", "-A",
                  "Apple-iPhone15C2/2104.110", "--data-binary", body)  # fmt: skip
    line = (b"400 Bad Request: only the response schema "
            b"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a is served: this server "
            b"has no ActiveSync (mobilesync)\n")  # fmt: skip
    assert (answer.status, answer.body) == (400, line)
    assert {k: v for k, v in answer.headers.items() if k != "date"} == {
        "content-type": "text/plain; charset=utf-8", "content-length": str(len(line)), "cache-control": "no-store",
        "x-content-type-options": "nosniff", "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
        "server": "mailconf",
    }  # fmt: skip


def test_mobileconfig_download(server: Server, accounts: Path) -> None:
    answer = curl(f"{server.url}/mobileconfig?emailaddress=alice%40example.com")
    assert (answer.status, answer.body) == (200, account_profile(model_accounts(accounts)["alice"], "accounts.yaml"))
    assert answer.headers["content-type"] == "application/x-apple-aspen-config"
    assert answer.headers["content-disposition"] == 'attachment; filename="alice@example.com.mobileconfig"'
    assert plistlib.loads(answer.body)["PayloadContent"][0]["EmailAddress"] == "alice@example.com"


def test_a_profile_of_an_address_beyond_ascii_downloads_under_that_address(tmp_path: Path) -> None:
    # it was filename="jos_@example.com.mobileconfig" only: that ASCII stand-in is kept for a client that reads no
    # other, and RFC 6266's filename* (RFC 8187: UTF-8, percent-encoded) names the address, which a client that
    # reads it (browsers, wget; curl does not) takes over filename
    wget = need("wget")["wget"]
    path = tmp_path / "accounts.yaml"
    path.write_text(
        'version: 1\naccounts:\n  jose:\n    address: "josé@example.com"\n'
        '    incoming: {protocol: imap, host: imap.example.com, username: "josé@example.com"}\n'
        '    outgoing: {host: smtp.example.com, username: "josé@example.com"}\n',
        encoding="utf-8",
    )
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with serving(path, "--poll-interval", "0") as server:
        url = f"{server.url}/mobileconfig?emailaddress=jos%C3%A9%40example.com"
        answer = curl(url)
        subprocess.run([wget, "-q", "--content-disposition", url], cwd=downloads, check=True, timeout=DEADLINE)
    assert answer.headers["content-disposition"] == (
        "attachment; filename=\"jos_@example.com.mobileconfig\"; filename*=UTF-8''jos%C3%A9%40example.com.mobileconfig"
    )
    profile = account_profile(model_accounts(path)["jose"], "accounts.yaml")
    assert [(p.name, p.read_bytes()) for p in downloads.iterdir()] == [("josé@example.com.mobileconfig", profile)]


IDN_ACCOUNTS = """\
version: 1
accounts:
  anna:
    address: anna@xn--bcher-kva.example
    incoming: {protocol: imap, host: imap.xn--bcher-kva.example, port: 993, security: tls, auth: password}
    outgoing: {protocol: smtp, host: smtp.xn--bcher-kva.example, port: 465, security: tls, auth: password}
  fritz:
    address: fritz@xn--fa-hia.de
    incoming: {protocol: imap, host: imap.xn--fa-hia.de, port: 993, security: tls, auth: password}
  grete:
    address: grete@ss.example
    incoming: {protocol: imap, host: imap.ss.example, port: 993, security: tls, auth: password}
"""


def test_an_address_at_an_idn_as_the_user_typed_it_finds_the_domain_in_its_ascii_form(tmp_path: Path) -> None:
    # a browser sends ?emailaddress= as typed (UTF-8, percent-encoded), a client may send the Autodiscover
    # EMailAddress so, and the file (the schema) has the domain in ASCII: each was "400 Bad Request: emailaddress is
    # not an address of the form local@domain"
    path = tmp_path / "accounts.yaml"
    path.write_text(IDN_ACCOUNTS)
    mine = model_accounts(path)
    with serving(path) as server:
        typed = curl(f"{server.url}/mail/config-v1.1.xml?emailaddress=anna%40B%C3%BCcher.example",
                     "-H", "Host: autoconfig.xn--bcher-kva.example")  # fmt: skip
        outlook = curl(f"{server.url}/Autodiscover/Autodiscover.xml", *OUTLOOK, "--data-binary",
                       OUTLOOK_REQUEST.format(address="anna@bücher.example"))  # fmt: skip
        profile = curl(f"{server.url}/mobileconfig?emailaddress=anna%40b%C3%BCcher.example")
        # faß.de is xn--fa-hia.de to IDNA 2008 and fass.de to IDNA 2003: the one the file serves answers
        sharp = curl(f"{server.url}/mail/config-v1.1.xml?emailaddress=fritz%40fa%C3%9F.de")
        shown = curl(f"{server.url}/mail/config-v1.1.xml?emailaddress=grete%40%C3%9F.example")
        nowhere = curl(f"{server.url}/mail/config-v1.1.xml?emailaddress=anna%40b%C3%BCcher.test")
    assert [(a.status, a.body) for a in (typed, outlook, profile, sharp, shown, nowhere)] == [
        (200, domain_document([mine["anna"]], "xn--bcher-kva.example")[0]),
        (200, account_response(mine["anna"])),
        (200, account_profile(mine["anna"], "accounts.yaml")),
        (200, domain_document([mine["fritz"]], "xn--fa-hia.de")[0]),
        (200, domain_document([mine["grete"]], "ss.example")[0]),
        (404, b"404 Not Found: no accounts for this domain\n"),
    ]


def test_an_idn_label_longer_than_any_idna_form_is_refused_before_it_is_encoded(server: Server) -> None:
    # Punycode's cost grows with the square of a label's length, and Python's codec encodes before it checks the
    # length: this label (48 KB of UTF-8, within the body's 64 KiB) held the GIL for a minute, and curl gave up after
    # 30 s. A label's IDNA form has at least as many characters as the label, and at most 63
    label = "\u00df" + "".join(chr(0x4E00 + i) for i in range(16_000))
    outlook = curl(f"{server.url}/Autodiscover/Autodiscover.xml", *OUTLOOK, "--data-binary",
                   OUTLOOK_REQUEST.format(address=f"anna@{label}.example"))  # fmt: skip
    assert (outlook.status, outlook.body) == (400, b"400 Bad Request: emailaddress is not an address of the form "
                                                   b"local@domain\n")  # fmt: skip
    healthy(server)


def test_a_plus_in_the_emailaddress_parameter_is_a_plus(accounts: Path) -> None:
    # read as a space, like a form's: user+tag@example.com, sent unencoded, was "no account with this address"
    accounts.write_text(accounts.read_text().replace("alice@example.com", "alice+tag@example.com"))
    mine = model_accounts(accounts)
    profile = account_profile(mine["alice"], "accounts.yaml")
    document = domain_document([mine["alice"], mine["bob"]], "example.com")[0]
    with serving(accounts, "--poll-interval", "0") as server:
        for sent in ("alice+tag@example.com", "alice%2Btag%40example.com", "alice%2btag@example.com"):
            answer = curl(f"{server.url}/mobileconfig?emailaddress={sent}")
            assert (answer.status, answer.body) == (200, profile), sent
            answer = curl(f"{server.url}/mail/config-v1.1.xml?emailaddress={sent}")
            assert (answer.status, answer.body) == (200, document), sent
        # %20 is a space, as before: no address has one (autoconfig only needs the domain)
        answer = curl(f"{server.url}/mobileconfig?emailaddress=alice%20tag@example.com")
        assert (answer.status, answer.body) == (404, b"404 Not Found: no account with this address\n")
        answer = curl(f"{server.url}/mail/config-v1.1.xml?emailaddress=alice%20tag@example.com")
        assert (answer.status, answer.body) == (200, document)
    assert any('"GET /mobileconfig?emailaddress=alice+tag@example.com HTTP/1.1" 200 ' in line for line in server.lines)


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
<Request><EMailAddress>&lol3;</EMailAddress></Request></Autodiscover>"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
<Request><EMailAddress>&xxe;</EMailAddress></Request></Autodiscover>"""
AUTODISCOVER = "/autodiscover/autodiscover.xml"
DOMAINS = ("example.com", "other.test")


@pytest.mark.parametrize(
    ("path", "args", "status", "body"),
    [
        ("/mail/config-v1.1.xml", ("-H", "Host: autoconfig.nowhere.test"), 404, b"no accounts for this domain"),
        ("/mail/config-v1.1.xml", ("-H", "Host: bad_host"), 400, b"the Host header is not a host name"),
        # curl's own Host, 127.0.0.1:PORT: 404 "no accounts for this domain", as if 127.0.0.1 were a mail domain
        ("/mail/config-v1.1.xml", (), 400, b"the Host is an IP address: ask by name, or add ?emailaddress="),
        ("/.well-known/autoconfig/mail/config-v1.1.xml", ("-H", "Host: 192.0.2.1."), 400,
         b"the Host is an IP address: ask by name, or add ?emailaddress="),
        ("/mail/config-v1.1.xml", ("-X", "DELETE"), 405, b"use GET"),
        (AUTODISCOVER, (), 405, b"use POST"),
        (AUTODISCOVER, ("--data-binary", OUTLOOK_REQUEST.format(address="mallory@example.com")), 404,
         b"no account with this address"),
        (AUTODISCOVER, ("--data-binary", BILLION_LAUGHS), 400, b"a DTD or an entity declaration is refused"),
        (AUTODISCOVER, ("--data-binary", EXTERNAL_ENTITY), 400, b"a DTD or an entity declaration is refused"),
        (AUTODISCOVER, ("--data-binary", "<Autodiscover><Request>"), 400, b"the body is not well-formed XML"),
        # well-formed, in encodings expat does not read: before, "not well-formed XML"
        (AUTODISCOVER, ("--data-binary", OUTLOOK_REQUEST.format(address="alice@example.com").replace("utf-8",
         "shift_jis")), 400, b"the body's declared encoding cannot be read: send UTF-8 (or UTF-16)"),
        (AUTODISCOVER, ("--data-binary", OUTLOOK_REQUEST.format(address="alice@example.com").replace("utf-8",
         "x-no-such-encoding")), 400, b"the body's declared encoding cannot be read: send UTF-8 (or UTF-16)"),
        # read as alice@example.com: the text up to the first child element
        (AUTODISCOVER, ("--data-binary", OUTLOOK_REQUEST.format(address="alice@example.com<x/>@other.test")), 400,
         b"the request's EMailAddress holds elements: send the address alone"),
        # two addresses: the first was answered for, silently
        (AUTODISCOVER, ("--data-binary", OUTLOOK_REQUEST.format(
            address="alice@example.com</EMailAddress><EMailAddress>carol@other.test")), 400,
         b"the request has more than one EMailAddress: send one"),
        # two requests, one address each: the first was answered for, silently
        (AUTODISCOVER, ("--data-binary", OUTLOOK_REQUEST.format(address="alice@example.com").replace(
            "</Request>", "</Request><Request><EMailAddress>carol@other.test</EMailAddress></Request>")), 400,
         b"the body has more than one Request: send one"),
        (AUTODISCOVER, ("-X", "POST", "-H", "Content-Length:"), 411, b"send the body with a Content-Length"),
        ("/mobileconfig?emailaddress=mallory%40example.com", (), 404, b"no account with this address"),
        ("/mobileconfig", (), 400, b"add ?emailaddress=local@domain"),
        # two addresses: the first one's profile, and the first one's domain's document, were answered silently
        ("/mobileconfig?emailaddress=alice%40example.com&emailaddress=carol%40other.test", (), 400,
         b"the query string has more than one emailaddress: send one"),
        ("/mail/config-v1.1.xml?emailaddress=alice%40example.com&x=1&emailaddress=carol%40other.test", (), 400,
         b"the query string has more than one emailaddress: send one"),
        # white space around the address was trimmed: an address it is not (Thunderbird sends none)
        ("/mobileconfig?emailaddress=%20alice%40example.com", (), 400,
         b"emailaddress has white space around it: send the address alone"),
        ("/mail/config-v1.1.xml?emailaddress=alice%40example.com%09", (), 400,
         b"emailaddress has white space around it: send the address alone"),
        ("/mail/config-v1.1.xml?emailaddress=alice%40example.com%C2%A0", (), 400,  # a no-break space (UTF-8)
         b"emailaddress has white space around it: send the address alone"),
        ("/accounts.yaml", (), 404, b"no such path"),
    ],
)  # fmt: skip
def test_refusals_and_the_server_keeps_serving(server: Server, path: str, args: tuple[str, ...], status: int,
                                               body: bytes) -> None:  # fmt: skip
    answer = curl(f"{server.url}{path}", *args)
    assert answer.status == status
    reason = answer.body.split(b": ", 1)[1] if b": " in answer.body else answer.body
    assert reason == body + b"\n"
    healthy(server)


@pytest.mark.parametrize("port", [b"\xb2", b"\xb9\xb3"])  # Latin-1 superscripts: str.isdigit() says they are digits
def test_a_host_port_of_other_digits_than_ascii_is_refused(server: Server, port: bytes) -> None:
    request = b"GET /mail/config-v1.1.xml HTTP/1.1\r\nHost: example.com:" + port + b"\r\nConnection: close\r\n\r\n"
    answer = exchange(server, request)
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert answer.endswith(b"\r\n\r\n400 Bad Request: the Host header is not a host name\n")


ALICE_DOCUMENT = "/mail/config-v1.1.xml?emailaddress=alice%40example.com"
TWO_HOSTS = "the request has more than one Host header: send one"


@pytest.mark.parametrize(
    ("head", "reason"),
    [
        # RFC 9112 3.2: a server MUST answer 400; these were answered, the address or the body naming the account
        (f"GET {ALICE_DOCUMENT} HTTP/1.1", "HTTP/1.1 requires a Host header: send one"),
        ("GET /mobileconfig?emailaddress=alice%40example.com HTTP/1.1", "HTTP/1.1 requires a Host header: send one"),
        ("GET /healthz HTTP/1.1", "HTTP/1.1 requires a Host header: send one"),
        ("GET http://example.com/mail/config-v1.1.xml HTTP/1.1", "HTTP/1.1 requires a Host header: send one"),
        (f"GET {ALICE_DOCUMENT} HTTP/1.1\r\nHost: example.com\r\nHost: example.com", TWO_HOSTS),
        (f"GET {ALICE_DOCUMENT} HTTP/1.1\r\nHost: autoconfig.example.com\r\nhost: other.test", TWO_HOSTS),
        (f"GET {ALICE_DOCUMENT} HTTP/1.1\r\nHost:\r\nHost: example.com", TWO_HOSTS),
        (f"GET {ALICE_DOCUMENT} HTTP/1.1\r\nHost: example.com, other.test", TWO_HOSTS),  # a list in one line
        (f"GET {ALICE_DOCUMENT} HTTP/1.0\r\nHost: example.com\r\nHost: other.test", TWO_HOSTS),  # any version
        ("POST /autodiscover/autodiscover.xml HTTP/1.1\r\nHost: example.com\r\nHost: other.test", TWO_HOSTS),
        (f"GET {ALICE_DOCUMENT} HTTP/1.1\r\nHost: example.com/x", "the Host header is not a host name"),
        (f"GET {ALICE_DOCUMENT} HTTP/1.1\r\nHost: example.com:443:443", "the Host header is not a host name"),
    ],
)  # fmt: skip
def test_a_request_without_exactly_one_valid_host_is_400_whatever_names_the_domain(server: Server, head: str,
                                                                                  reason: str) -> None:  # fmt: skip
    body = OUTLOOK_REQUEST.format(address="alice@example.com").encode() if head.startswith("POST") else b""
    length = f"\r\nContent-Length: {len(body)}" if body else ""
    answer = exchange(server, f"{head}{length}\r\nConnection: close\r\n\r\n".encode() + body)
    version = head.partition("\r\n")[0].rpartition(" ")[2]
    assert answer.startswith(f"{version} 400 Bad Request\r\n".encode())
    assert answer.endswith(f"\r\n\r\n400 Bad Request: {reason}\n".encode())
    healthy(server)


def test_http_1_0_needs_no_host_where_the_request_names_the_domain(server: Server, accounts: Path) -> None:
    # docs/serve.md: RFC 9112 asks Host of HTTP/1.1 only; an HTTP/1.0 request is answered as it names what it asks for
    mine = model_accounts(accounts)
    expected = domain_document([mine["alice"], mine["bob"]], "example.com")[0]
    assert expected is not None
    answer = exchange(server, f"GET {ALICE_DOCUMENT} HTTP/1.0\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.0 200 OK\r\n")
    assert answer.endswith(b"\r\n\r\n" + expected)
    answer = exchange(server, b"GET /mail/config-v1.1.xml HTTP/1.0\r\n\r\n")  # nothing names the domain
    assert answer.startswith(b"HTTP/1.0 400 Bad Request\r\n")
    assert answer.endswith(b"\r\n\r\n400 Bad Request: no Host header and no emailaddress parameter: cannot tell "
                           b"which domain is asked for\n")  # fmt: skip
    # an empty Host is one (RFC 9112 3.2: for a target without an authority), naming no domain
    answer = exchange(server, f"GET {ALICE_DOCUMENT} HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert answer.endswith(b"\r\n\r\n" + expected)


VERSION_505 = b"505 HTTP Version Not Supported: this server speaks HTTP/1.1: send HTTP/1.1 or HTTP/1.0\n"


@pytest.mark.parametrize(("version", "status"), [("HTTP/2.0", "HTTP/1.1"), ("HTTP/3.1", "HTTP/1.1"),
                                                  ("HTTP/0.9", "HTTP/1.0")])  # fmt: skip
def test_another_major_version_than_http_1_is_505(server: Server, version: str, status: str) -> None:
    # RFC 9110 s6.2: 505 refuses the client's major version, answered in the highest version whose major is not
    # above the request's. waitress answered them as HTTP/1.0, so that HTTP/1.1's Host requirement was not theirs
    start = len(server.lines)
    request = f"GET /healthz {version}"
    head, _, body = exchange(server, f"{request}\r\nHost: example.com\r\n\r\n".encode()).partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert (lines[0], body) == (f"{status} 505 HTTP Version Not Supported", VERSION_505)
    assert {"Connection: close", "Cache-Control: no-store", f"Content-Length: {len(VERSION_505)}"} <= set(lines)
    server.wait_for(rf'"{re.escape(request)}" 505 {len(VERSION_505)} "-" "-"$', start)
    healthy(server)


def test_a_later_minor_version_of_http_1_is_read_as_http_1_1(server: Server, accounts: Path) -> None:
    # RFC 9110 s2.5: processed as the highest minor version the server conforms to. waitress took HTTP/1.2 for 1.0:
    # no Host needed, a chunked body refused, the connection closed after one answer
    answer = exchange(server, f"GET {ALICE_DOCUMENT} HTTP/1.2\r\nConnection: close\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert answer.endswith(b"\r\n\r\n400 Bad Request: HTTP/1.1 requires a Host header: send one\n")
    start = len(server.lines)
    request = OUTLOOK_REQUEST.format(address="alice@example.com").encode()
    answer = exchange(server, b"POST /autodiscover/autodiscover.xml HTTP/1.9\r\nHost: example.com\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n" + _chunked(request) + b"GET /healthz HTTP/1.2\r\n"
                      b"Host: example.com\r\nConnection: close\r\n\r\n")  # fmt: skip
    first, _, second = answer.partition(account_response(model_accounts(accounts)["alice"]))
    assert first.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"\r\nConnection: close\r\n" not in first  # kept open, as an HTTP/1.1 connection is
    assert second.startswith(b"HTTP/1.1 200 OK\r\n")
    assert second.endswith(b"\r\n\r\n" + curl(f"{server.url}/healthz").body)
    # logged as answered: HTTP/1.1
    server.wait_for(r'"POST /autodiscover/autodiscover\.xml HTTP/1\.1" 200 ', start)


TEXT = {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
#: on every answer but a 304 (RFC 9110 15.4.5: the headers a cache updates, no others)
SAFE = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'"}
#: waitress writes each name capitalised (ETag as Etag)
ETAG = re.compile(r'"[0-9a-f]{32}"')


@pytest.mark.parametrize(
    ("request_head", "status", "expected"),
    [
        (f"GET {ALICE_DOCUMENT} HTTP/1.1", "HTTP/1.1 200 OK",
         {"Content-Type": "application/xml; charset=utf-8", "Cache-Control": "public, max-age=300", "Etag": ETAG}),
        ("POST /autodiscover/autodiscover.xml HTTP/1.1", "HTTP/1.1 200 OK",
         {"Content-Type": "application/xml; charset=utf-8", "Cache-Control": "private, no-cache", "Etag": ETAG}),
        ("GET /mobileconfig?emailaddress=alice%40example.com HTTP/1.1", "HTTP/1.1 200 OK",
         {"Content-Type": "application/x-apple-aspen-config", "Cache-Control": "private, no-cache", "Etag": ETAG,
          "Content-Disposition": 'attachment; filename="alice@example.com.mobileconfig"'}),
        ("GET /healthz HTTP/1.1", "HTTP/1.1 200 OK", TEXT),
        ("GET /accounts.yaml HTTP/1.1", "HTTP/1.1 404 Not Found", TEXT),
        ("GET /autodiscover/autodiscover.xml HTTP/1.1", "HTTP/1.1 405 Method Not Allowed", {**TEXT, "Allow": "POST"}),
        ("GET /mobileconfig HTTP/1.1", "HTTP/1.1 400 Bad Request", TEXT),
        ("get / HTTP/1.1", "HTTP/1.0 400 Bad Request", TEXT),  # refused by waitress before the version, worded by us
        ("GET /healthz HTTP/1.1\r\nTransfer-Encoding: gzip", "HTTP/1.1 501 Not Implemented", TEXT),
        ("GET /healthz HTTP/2.0", "HTTP/1.1 505 HTTP Version Not Supported", TEXT),
    ],
)  # fmt: skip
def test_every_answer_has_exactly_these_headers(server: Server, request_head: str, status: str,
                                                expected: dict[str, str | re.Pattern[str]]) -> None:  # fmt: skip
    # nosniff and the content security policy were on the documents only; every error lacked them
    body = OUTLOOK_REQUEST.format(address="alice@example.com").encode() if request_head.startswith("POST") else b""
    length = f"\r\nContent-Length: {len(body)}" if body else ""
    data = f"{request_head}\r\nHost: example.com{length}\r\nConnection: close\r\n\r\n".encode() + body
    head, _, sent = exchange(server, data).partition(b"\r\n\r\n")
    first, *lines = head.decode().split("\r\n")
    assert first == status
    headers = dict(line.split(": ", 1) for line in lines)
    assert len(headers) == len(lines)  # none twice
    assert re.fullmatch(r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT", headers.pop("Date"))
    wanted = {**expected, **SAFE, "Content-Length": str(len(sent)), "Connection": "close", "Server": "mailconf"}
    assert headers.keys() == wanted.keys()
    for name, value in wanted.items():
        assert ETAG.fullmatch(headers[name]) if isinstance(value, re.Pattern) else headers[name] == value, name


def test_a_304_has_the_headers_a_cache_updates_only(server: Server) -> None:
    first = curl(f"{server.url}{ALICE_DOCUMENT}", "-H", "Host: example.com")
    again = curl(f"{server.url}{ALICE_DOCUMENT}", "-H", "Host: example.com", "-H",
                 f"If-None-Match: {first.headers['etag']}")  # fmt: skip
    assert again.status == 304
    assert again.headers.keys() == {"etag", "cache-control", "server", "date", "connection"}


def test_oversized_body_is_413_and_the_server_keeps_serving(server: Server, tmp_path: Path) -> None:
    big = tmp_path / "big.xml"
    big.write_bytes(OUTLOOK_REQUEST.format(address="alice@example.com" + " " * 70_000).encode())
    answer = curl(f"{server.url}{AUTODISCOVER}", *OUTLOOK, "--data-binary", f"@{big}")
    assert answer.status == 413
    healthy(server)


@pytest.mark.parametrize("size", [65536, 65537])
def test_a_body_of_64_kib_is_taken_one_byte_more_is_413(server: Server, tmp_path: Path, size: int) -> None:
    """docs/serve.md, "Limits": the body limit is 65536 bytes, inclusive, as the 413 line says ("larger than").
    waitress refused a Content-Length of 65536 or more itself, so exactly 65536 got a 413 saying it was larger."""
    document = OUTLOOK_REQUEST.format(address="alice@example.com").encode()
    body = tmp_path / "body.xml"
    body.write_bytes(document + b" " * (size - len(document)))  # white space after the root element: the same XML
    answer = curl(f"{server.url}{AUTODISCOVER}", *OUTLOOK, "--data-binary", f"@{body}")
    if size > 65536:
        assert (answer.status, answer.body) == (413, b"413 Content Too Large: the body is larger than 65536 bytes\n")
    else:
        assert answer.status == 200
        assert b"<Server>imap.example.com</Server>" in answer.body
    healthy(server)


BAD_HTTP = "400 Bad Request: the request is not well-formed HTTP/1.1"


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (b"getSECRET / HTTP/1.1\r\nHost: x\r\n\r\n", BAD_HTTP),  # waitress quoted a method back
        (b"GET / HTTP/1.1\r\n\tSECRET folded\r\nHost: x\r\n\r\n", BAD_HTTP),  # ... and a header line
        (b"POST /autodiscover/autodiscover.xml HTTP/1.1\r\nHost: x\r\nContent-Length: SECRET\r\n\r\n", BAD_HTTP),
        # urlsplit's ValueError on a target's host (a "[" and no "]", no IP address in brackets) closed the
        # connection unanswered
        (b"GET http://a[SECRET/mail/config-v1.1.xml HTTP/1.1\r\nHost: x\r\n\r\n", BAD_HTTP),
        (b"GET http://[SECRET]/mail/config-v1.1.xml HTTP/1.2\r\nHost: x\r\n\r\n", BAD_HTTP),
        (b"POST /autodiscover/autodiscover.xml HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n",
         "413 Content Too Large: the body is larger than 65536 bytes"),
        # more digits than Python's int() converts (4,300): waitress's ValueError closed the connection unanswered
        (b"POST /autodiscover/autodiscover.xml HTTP/1.1\r\nHost: x\r\nContent-Length: " + b"9" * 5000 + b"\r\n\r\n",
         "413 Content Too Large: the body is larger than 65536 bytes"),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: SECRET\r\n\r\n",
         "501 Not Implemented: the only Transfer-Encoding accepted is chunked"),
    ],
)  # fmt: skip
def test_what_waitress_refuses_itself_is_one_line_that_repeats_nothing(server: Server, data: bytes, line: str) -> None:
    """docs/serve.md: every error body is one line and never repeats what the request sent, also those that
    waitress answers before the application sees the request; and every request has its access log line."""
    start = len(server.lines)
    head, _, body = exchange(server, data).partition(b"\r\n\r\n")
    status, *headers = head.decode().split("\r\n")
    assert (status.split(" ", 1)[1], body.decode()) == (line.partition(":")[0], f"{line}\n")
    assert "Cache-Control: no-store" in headers
    assert b"SECRET" not in head
    # and, as every request, one access log line (the application, which writes the others, never saw it)
    sent = data.split(b"\r\n", 1)[0].decode()
    logged = server.wait_for(rf'"{re.escape(sent)}" {line[:3]} {len(line) + 1} "-" "-"$', start).string
    assert re.fullmatch(r"127\.0\.0\.1 - - \[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000\] .*", logged)
    healthy(server)


def test_a_content_length_long_only_for_its_zeros_is_its_number(server: Server) -> None:
    """RFC 9110 s8.6: Content-Length is a number of decimal digits, so zeros first change nothing, however many
    (5,000 of them were more than waitress's int() converts: the connection was closed unanswered)."""
    body = OUTLOOK_REQUEST.format(address="alice@example.com").encode()
    head = f"POST {AUTODISCOVER} HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\nContent-Length: "
    answer = exchange(server, head.encode() + b"0" * 5000 + str(len(body)).encode() + b"\r\n\r\n" + body)
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"<Server>imap.example.com</Server>" in answer
    assert not [line for line in server.lines if "uncaptured python exception" in line]


def padded_head(size: int) -> bytes:
    """A request head of exactly ``size`` bytes (its empty last line included), padded with one header field."""
    start, end = b"GET /healthz HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\nX-Pad: ", b"\r\n\r\n"
    return start + b"a" * (size - len(start) - len(end)) + end


HEAD_TOO_LARGE = "431 Request Header Fields Too Large: the request line and header fields are larger than 16384 bytes"


@pytest.mark.parametrize(
    ("size", "status", "body"),
    [
        (16384, "HTTP/1.1 200 OK", None),  # the largest head taken: /healthz's answer
        (16385, "HTTP/1.0 431 Request Header Fields Too Large", f"{HEAD_TOO_LARGE}\n"),
    ],
)
def test_a_request_head_of_more_than_16_kib_is_431(server: Server, size: int, status: str, body: str | None) -> None:
    """docs/serve.md, "Limits": a request head (request line and header fields, up to and including the empty line)
    of 16 KiB is taken, one byte more is 431, answered in one line, logged with "-" for its request line (waitress
    reads it as a made-up request, and mailconf names no part of it), and the server goes on answering."""
    start = len(server.lines)
    head, _, answer = exchange(server, padded_head(size)).partition(b"\r\n\r\n")
    assert head.decode().split("\r\n")[0] == status
    assert answer.decode() == (curl(f"{server.url}/healthz").body.decode() if body is None else body)
    if body is not None:
        server.wait_for(rf'"-" 431 {len(body)} "-" "-"$', start)
    healthy(server)


def test_no_secret_and_no_path_in_any_answer_or_log(server: Server, accounts: Path) -> None:
    people = ("alice@example.com", "bob@example.com", "carol@other.test")
    answers = [
        *(
            curl(f"{server.url}/mail/config-v1.1.xml", "-H", f"Host: autoconfig.{d}")
            for d in ("example.com", "other.test")
        ),
        *(curl(f"{server.url}/mobileconfig?emailaddress={who}") for who in people),
        *(curl(f"{server.url}{AUTODISCOVER}", "--data-binary", OUTLOOK_REQUEST.format(address=who)) for who in people),
        curl(f"{server.url}/healthz"),
    ]
    assert [a.status for a in answers] == [200] * 9
    directory = str(accounts.parent)
    for answer in answers:
        everything = answer.body + repr(answer.headers).encode()
        for secret in (*SECRETS, directory):
            assert secret.encode() not in everything
    for secret in SECRETS:
        assert not any(secret in line for line in server.lines)


def test_access_log_in_combined_log_format(server: Server) -> None:
    start = len(server.lines)
    curl(
        f"{server.url}/mobileconfig?emailaddress=alice%40example.com",
        "-A",
        'curl "quoted"',
        "-e",
        "https://example.com/",
    )
    line = server.wait_for(r'"GET /mobileconfig', start).string
    size = len(account_profile(model_accounts(HERE / "accounts.yaml")["alice"], "accounts.yaml"))
    assert re.fullmatch(
        r"127\.0\.0\.1 - - \[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000\] "
        rf'"GET /mobileconfig\?emailaddress=alice%40example\.com HTTP/1\.1" 200 {size} '
        r'"https://example\.com/" "curl \\x22quoted\\x22"',
        line,
    )


def test_access_log_shows_the_bytes_the_client_sent(server: Server) -> None:
    # the User-Agent's UTF-8 "é" (C3 A9) was logged as \xC3\x83\xC2\xA9 and its Latin-1 "é" (E9) as \xC3\xA9: the
    # characters waitress decoded as Latin-1 were escaped as UTF-8
    start = len(server.lines)
    agent = b"caf\xc3\xa9 caf\xe9\tx"
    exchange(server, b"GET /healthz HTTP/1.1\r\nHost: x\r\nUser-Agent: " + agent + b"\r\nConnection: close\r\n\r\n")
    line = server.wait_for(r'"GET /healthz HTTP/1\.1"', start).string
    tail = re.escape('"GET /healthz HTTP/1.1" 200 43 "-" "caf\\xC3\\xA9 caf\\xE9\\x09x"')
    assert re.fullmatch(r"127\.0\.0\.1 - - \[[^]]+\] " + tail, line)


def test_reload_on_file_change_and_refusal_of_a_bad_file(server: Server, accounts: Path) -> None:
    start = len(server.lines)
    replacement = accounts.with_name("new.yaml")
    replacement.write_text(accounts.read_text().replace("carol", "dave"))
    os.replace(replacement, accounts)  # what editors and deploy tools do: a new inode
    server.wait_for(rf"^mailconf: serve: {re.escape(str(accounts))}: reloaded: 3 accounts, 2 domains$", start)
    assert curl(f"{server.url}/mobileconfig?emailaddress=dave%40other.test").status == 200
    assert curl(f"{server.url}/mobileconfig?emailaddress=carol%40other.test").status == 404

    start = len(server.lines)
    accounts.write_text(accounts.read_text().replace("port: 143", "port: imap"))  # an edit in place
    refused = server.wait_for(r"new file refused", start)
    assert re.fullmatch(
        rf"mailconf: serve: {re.escape(str(accounts))}: new file refused \(1 error\); "
        r"still serving the file loaded at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ",
        refused.string,
    )
    assert server.lines[server.lines.index(refused.string) - 1] == (
        f'{accounts}:18:61: error MC002 schema-violation: `port` must be a whole number (got "imap")'
    )
    assert curl(f"{server.url}/mobileconfig?emailaddress=dave%40other.test").status == 200  # the old file still
    assert b"; a newer file was refused at " in curl(f"{server.url}/healthz").body


def test_a_chmod_alone_is_a_change(server: Server, accounts: Path) -> None:
    # only the status-change time moves: the poll compared inode, size and mtime, and saw it only at a SIGHUP, yet
    # a permission change can make the file unreadable (the reload is refused and says so) or readable again
    before = accounts.stat()
    start = len(server.lines)
    accounts.chmod(0o600 if before.st_mode & 0o777 != 0o600 else 0o640)
    after = accounts.stat()
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (before.st_ino, before.st_size, before.st_mtime_ns)
    server.wait_for(rf"^mailconf: serve: {re.escape(str(accounts))}: reloaded: 3 accounts, 2 domains$", start)


def test_reload_on_sighup(accounts: Path) -> None:
    with serving(accounts, "--poll-interval", "0") as server:  # no polling: only SIGHUP reloads
        # what the forms cannot say is logged at load as warnings, one line per target and setting
        assert (
            "mailconf: warning: autodiscover: account carol: incoming.auth cannot be expressed; "
            "POX has no OAuth2 (SPA on or off only)"
        ) in server.lines
        accounts.write_text(accounts.read_text().replace("carol", "erin"))
        assert curl(f"{server.url}/mobileconfig?emailaddress=erin%40other.test").status == 404
        start = len(server.lines)
        server.proc.send_signal(signal.SIGHUP)
        server.wait_for(r": reloaded: 3 accounts, 2 domains$", start)
        assert curl(f"{server.url}/mobileconfig?emailaddress=erin%40other.test").status == 200
        healthy(server)
    assert server.proc.returncode == 0
    assert server.lines[-1] == "mailconf: serve: stopped"


def run_serve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mailconf", "serve", *args], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60, check=False)  # fmt: skip


def test_a_file_with_errors_is_not_served(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\naccounts:\n  a: {address: 3}\n")
    done = run_serve("--bind", "127.0.0.1:0", str(bad))
    assert done.returncode == 1
    assert (
        done.stderr.splitlines()[-1]
        == f"mailconf: {bad}: not served: fix the errors above first (`mailconf lint {bad}`)"
    )


def test_a_missing_file_and_a_bad_bind_are_usage_errors(tmp_path: Path, accounts: Path) -> None:
    missing = run_serve(str(tmp_path / "missing.yaml"))
    assert (missing.returncode, missing.stderr) == (
        2,
        f"mailconf: {tmp_path / 'missing.yaml'}: no such file; check the path\n",
    )
    bad = run_serve("--bind", "localhost", str(accounts))
    assert (bad.returncode, bad.stderr) == (
        2,
        "mailconf: --bind localhost: give HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080\n",
    )
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = run_serve("--bind", f"127.0.0.1:{port}", str(accounts))
    assert busy.returncode == 2
    assert busy.stderr.splitlines()[-1] == f"mailconf: --bind 127.0.0.1:{port}: cannot listen (Address already in use)"


@pytest.mark.parametrize(
    ("bind", "line"),
    [
        # bytes that are not UTF-8 (a name that does not resolve is refused alike, with the resolver's words)
        ("\udcff:8080", "'\\udcff:8080': cannot listen (not a host name); give an address of this machine"),
        ("[::1:8080", "[::1:8080: give HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080"),
        # str.isdigit() took "²", which int() refused: an internal error (ValueError), exit 3
        ("127.0.0.1:\u00b2", "127.0.0.1:\u00b2: give HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080"),
        # and Arabic-Indic digits: served on port 80, while +80 was refused
        ("127.0.0.1:\u0668\u0660", "127.0.0.1:\u0668\u0660: give HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080"),
        # also the address ::1:8080 without a port: it served [::1]:8080
        ("::1:8080", "::1:8080: an IPv6 address goes in brackets, [HOST]:PORT, e.g. [::1]:8080"),
        # said "give HOST:PORT", which it was
        ("127.0.0.1:99999", "127.0.0.1:99999: 99999 is not a port (0 to 65535; 0 lets the system choose)"),
        ("[::1]:065536", "[::1]:065536: 065536 is not a port (0 to 65535; 0 lets the system choose)"),
        # int() refuses more than 4,300 digits: an internal error (ValueError), exit 3; and the port was shown whole
        ("127.0.0.1:" + "9" * 5000, f"127.0.0.1:{'9' * 230}... (5010 characters): {'9' * 240}... (5000 characters) "
         "is not a port (0 to 65535; 0 lets the system choose)"),
    ],
    ids=["not a name", "unclosed bracket", "superscript digit", "Arabic-Indic digits", "IPv6 without brackets",
         "port above 65535", "IPv6 port above 65535", "port of 5000 digits"],
)  # fmt: skip
def test_a_bind_host_that_names_no_address_is_a_usage_error(accounts: Path, bind: str, line: str) -> None:
    """waitress raised ValueError("Invalid host/port specified."), an internal error (exit 3) after the file was
    loaded and its warnings printed: now one line before the file is read."""
    done = run_serve("--bind", bind, str(accounts))
    assert (done.returncode, done.stdout, done.stderr) == (2, "", f"mailconf: --bind {line}\n")


def test_a_bind_port_of_many_leading_zeros_is_that_port() -> None:
    # int() refuses a string of more than 4,300 digits, leading zeros too: an internal error (ValueError), exit 3
    assert parse_bind("127.0.0.1:" + "0" * 5000 + "80") == ("127.0.0.1", 80)
    assert parse_bind("[::1]:00000") == ("::1", 0)


@pytest.mark.parametrize(
    ("value", "shown"),
    [("nan", "nan"), ("1e400", "1e400"), ("3601", "3601"), ("-0.5", "-0.5"), ("0x10", "0x10"), ("1 s", "'1 s'")],
)
def test_a_poll_interval_that_is_not_a_number_is_a_usage_error(accounts: Path, value: str, shown: str) -> None:
    """NaN passed click's FloatRange(0, 3600) (no comparison with NaN is true): serve started, and its watcher
    thread died with a traceback (poll() refuses NaN), leaving a server that never reloaded on a change. A value
    out of range is quoted as typed, as every number is (docs/exit-codes.md): click said `inf is not in the range
    0<=x<=3600` of 1e400, `3601.0` of 3601, and `'0x10' is not a valid float range`."""
    done = run_serve("--bind", "127.0.0.1:0", "--poll-interval", value, str(accounts))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines()[-1] == (
        f"Error: Invalid value for '--poll-interval': {shown} is not a number of seconds: give 0 to 3600"
    )


@pytest.mark.parametrize(
    ("option", "value", "shown", "top"),
    [
        ("--threads", "0", "0", 256),
        ("--threads", "1e3", "1e3", 256),
        ("--client-timeout", "3601", "3601", 3600),
        ("--max-connections", "1 000", "'1 000'", 1_000_000),
    ],
)
def test_a_whole_number_option_out_of_range_is_quoted_as_typed(
    accounts: Path, option: str, value: str, shown: str, top: int
) -> None:
    """As --poll-interval: click said `0 is not in the range 1<=x<=256` and `'1e3' is not a valid integer range`."""
    done = run_serve("--bind", "127.0.0.1:0", option, value, str(accounts))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines()[-1] == (
        f"Error: Invalid value for '{option}': {shown} is not a whole number from 1 to {top}"
    )


#: serve in a real process whose first turn of waitress's loop runs a trigger thunk (inside waitress's bare
#: `except:`) that sends the process SIGTERM: the place where a handler raising SystemExit was swallowed
SIGTERM_IN_A_THUNK = """
import os, signal, sys
import waitress.server
create_server = waitress.server.create_server

def create(*args, **kwargs):
    server = create_server(*args, **kwargs)
    def stop():
        print(server.channel_class.__module__, server.channel_class.__name__)  # installed by then
        os.kill(os.getpid(), signal.SIGTERM)

    server.trigger.pull_trigger(stop)
    return server

waitress.server.create_server = create
from mailconf.cli import main
sys.exit(main(["serve", "--bind", "127.0.0.1:0", "--poll-interval", "0", sys.argv[1]]))
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_is_never_lost_wherever_waitress_is(accounts: Path, signum: signal.Signals) -> None:
    # the handler only sets a flag: a SystemExit raised inside one of waitress's bare `except:` was swallowed and
    # the server went on serving (seen under load: a SIGTERM ignored)
    script = SIGTERM_IN_A_THUNK.replace("signal.SIGTERM", f"signal.{signum.name}")
    done = subprocess.run(
        [sys.executable, "-c", script, str(accounts)],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert done.returncode == 0
    assert done.stderr.splitlines()[-1] == "mailconf: serve: stopped"
    assert "exception in trigger thunk" not in done.stdout
    assert done.stdout.splitlines()[0] == "mailconf.serve.loop Channel"  # mailconf/serve/loop.py's connections


def exchange(server: Server, data: bytes) -> bytes:
    """Everything the server sends back for ``data`` written as it is on one connection, until it closes it."""
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(data)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    return received


@pytest.mark.parametrize(
    ("path", "status"),
    [
        (AUTODISCOVER, b"405 Method Not Allowed"),
        ("/mobileconfig", b"400 Bad Request"),
        ("/accounts.yaml", b"404 Not Found"),
    ],
)
def test_head_of_an_error_has_no_body_and_the_next_answer_follows_it(server: Server, path: str,
                                                                       status: bytes) -> None:  # fmt: skip
    # HEAD, then GET on the same connection: a body sent after the HEAD answer would be read by the client as the
    # start of the answer to its GET
    both = (f"HEAD {path} HTTP/1.1\r\nHost: example.com\r\n\r\n"
            "GET /healthz HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n").encode()  # fmt: skip
    head, _, after = exchange(server, both).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 " + status + b"\r\n")
    get = curl(f"{server.url}{path}", "-H", "Host: example.com")
    assert f"\r\nContent-Length: {len(get.body)}\r\n".encode() in head  # the GET's length, as HEAD should say
    assert after.startswith(b"HTTP/1.1 200 OK\r\n")
    assert after.endswith(b"\r\n\r\n" + curl(f"{server.url}/healthz").body)


@pytest.mark.parametrize(
    ("data", "status", "line"),
    [
        (b"HEAD /healthz HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: SECRET\r\n\r\n",
         "HTTP/1.1 501 Not Implemented", "501 Not Implemented: the only Transfer-Encoding accepted is chunked"),
        (b"HEAD /healthz HTTP/1.1\nHost: example.com\n\n", "HTTP/1.0 400 Bad Request",
         "400 Bad Request: a line of the request ends in a bare LF or CR: end every line with CRLF"),
        (b"HEAD /healthz HTTP/1.1\r\nHost: example.com\r\nContent-Length: 99999999\r\n\r\n",
         "HTTP/1.1 413 Content Too Large", "413 Content Too Large: the body is larger than 65536 bytes"),
    ],
)  # fmt: skip
def test_head_refused_before_the_application_has_no_body_either(server: Server, data: bytes, status: str,
                                                                 line: str) -> None:  # fmt: skip
    # the refusals waitress and loop.Parser answer sent their one line after a HEAD's headers
    start = len(server.lines)
    head, _, body = exchange(server, data).partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert (lines[0], body) == (status, b"")
    assert f"Content-Length: {len(line) + 1}" in lines  # the GET's, as the application's HEAD answers say
    server.wait_for(rf'"HEAD /healthz HTTP/1\.1" {status.split()[1]} - "-" "-"$', start)


def profile_address(url: str) -> str:
    """The address in the profile at ``url`` once it is no longer 404 (a reload is under way); never a 500."""
    deadline = time.monotonic() + DEADLINE  # only so that a reload that never comes fails instead of hanging
    while True:
        answer = curl(url)
        assert answer.status in {200, 404}, answer
        if answer.status == 200 or time.monotonic() > deadline:
            return str(plistlib.loads(answer.body)["PayloadContent"][0]["EmailAddress"])
        time.sleep(0.1)


def test_a_standard_error_nobody_reads_fails_no_request_and_stops_no_reload(accounts: Path) -> None:
    # its reader gone (a closed pipe, journald restarted): every request was answered 500 (the access log line
    # raised BrokenPipeError), and a reload's report killed the reload thread: no later change was ever loaded
    proc = start(accounts, "--poll-interval", "0")
    try:
        assert proc.stderr is not None
        url = next(found.group(1) for line in proc.stderr if (found := re.search(r"listening on (\S+)/", line)))
        proc.stderr.close()
        accounts.write_text(accounts.read_text().replace("carol", "dave"))
        proc.send_signal(signal.SIGHUP)  # before any request: the reload's report is the first line that fails
        stderr = Path(f"/proc/{proc.pid}/fd/2")
        deadline = time.monotonic() + DEADLINE  # only so that a failure ends instead of hanging
        while os.readlink(stderr) != os.devnull and time.monotonic() < deadline:  # its output is dropped from now on
            time.sleep(0.1)
        assert os.readlink(stderr) == os.devnull
        assert profile_address(f"{url}/mobileconfig?emailaddress=dave%40other.test") == "dave@other.test"
        accounts.write_text(accounts.read_text().replace("dave", "erin"))  # and the reload thread lives on
        proc.send_signal(signal.SIGHUP)
        assert profile_address(f"{url}/mobileconfig?emailaddress=erin%40other.test") == "erin@other.test"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=DEADLINE) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def accounts_in_one_domain(path: Path, count: int) -> Path:
    def server(protocol: str, port: int, i: int) -> str:
        return f"{{protocol: {protocol}, host: {protocol}.example.com, port: {port}, security: tls, username: u{i}}}"

    path.write_text("version: 1\naccounts:\n" + "".join(
        f"  u{i}:\n    address: u{i}@example.com\n    incoming: {server('imap', 993, i)}\n"
        f"    outgoing: {server('smtp', 465, i)}\n" for i in range(count)))  # fmt: skip
    return path


def reload_processes(server: int) -> list[int]:
    """The processes a reload of ``server`` builds in (multiprocessing's spawn) now; none once ``server`` has ended."""
    found = []
    try:
        for task in Path(f"/proc/{server}/task").iterdir():
            for child in (task / "children").read_text().split():
                if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                    found.append(int(child))
    except OSError:  # the server, one of its threads or the child ended while it was looked at
        pass
    return found


def reload_process(server: int) -> int:
    """The process a reload of ``server`` builds in, once it is there."""
    deadline = time.monotonic() + DEADLINE  # only so that a failure ends instead of hanging
    while time.monotonic() < deadline:
        if found := reload_processes(server):
            return found[0]
        time.sleep(0.01)
    raise AssertionError(f"no reload process under {server} within {DEADLINE} s")


def reloads_until_exit(proc: subprocess.Popen[str]) -> set[int]:
    """Every reload process ``proc`` starts from now until it ends (one lives for a Python start-up: 0.3 s or more)."""
    seen: set[int] = set()
    deadline = time.monotonic() + DEADLINE  # only so that a failure ends instead of hanging
    while proc.poll() is None and time.monotonic() < deadline:
        seen.update(reload_processes(proc.pid))
        time.sleep(0.005)
    return seen


#: the watcher's settle time made 30 s, so that a signal sent 0.5 s after a change lands inside it even on a stalled
#: machine (the signal ends the wait: the test takes no longer)
SETTLE_30 = "import mailconf.serve.watch; mailconf.serve.watch.SETTLE = 30.0"


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
def test_a_sigterm_while_a_change_settles_stops_the_server_without_a_reload(accounts: Path) -> None:
    # the poll had seen the change and was waiting 0.2 s for it to settle: the reload started anyway, while the server
    # shut down (the stop even cut the wait short), and the exit waited for its process; its line came or was lost
    with serving(accounts, "--poll-interval", "0.01", setup=SETTLE_30) as server:
        accounts.write_text(accounts.read_text().replace("carol", "dave"))
        time.sleep(0.5)  # the next look (0.01 s) has seen the change: the SIGTERM comes inside its 30 s settle wait
        start = len(server.lines)
        server.proc.send_signal(signal.SIGTERM)
        started = reloads_until_exit(server.proc)
        assert server.stop() == 0
    assert started == set()
    assert server.lines[start:] == ["mailconf: serve: stopped"]


def test_ctrl_c_reaching_the_reload_process_ends_neither_the_reload_nor_reloading(tmp_path: Path) -> None:
    # Ctrl-C reaches the terminal's whole process group, the reload process with the server: its KeyboardInterrupt
    # came back to the reload thread as the build's result, uncaught (a traceback, and the thread ended: nothing
    # was reloaded again), or it ended the process while it started ("internal error (BrokenProcessPool)")
    path = accounts_in_one_domain(tmp_path / "accounts.yaml", 500)
    reloaded = f"mailconf: serve: {path}: reloaded: 500 accounts, 1 domain"
    with serving(path, "--poll-interval", "0") as server:
        start = len(server.lines)
        server.proc.send_signal(signal.SIGHUP)
        os.kill(reload_process(server.proc.pid), signal.SIGINT)
        assert server.wait_for(r"^mailconf: serve: .*: (reloaded|new file refused)", start).string == reloaded
        start = len(server.lines)
        server.proc.send_signal(signal.SIGHUP)  # and the reload thread lives on
        server.wait_for(f"^{re.escape(reloaded)}$", start)
    assert [line for line in server.lines if "Traceback" in line] == []


def _resource_tracker(server: int) -> int | None:
    """multiprocessing's resource tracker among ``server``'s children, or None."""
    for task in Path(f"/proc/{server}/task").iterdir():
        for child in (task / "children").read_text().split():
            with contextlib.suppress(OSError):
                if b"resource_tracker" in Path(f"/proc/{child}/cmdline").read_bytes():
                    return int(child)
    return None


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
def test_a_hang_up_sent_to_the_whole_process_group_leaves_the_reloads_quiet(tmp_path: Path) -> None:
    # a terminal closed (or `kill -HUP -PGID`) reaches every process of the group: the server reloads, the reload
    # process has SIGHUP blocked, and so has multiprocessing's resource tracker now. It died of it: every later
    # reload printed "UserWarning: resource_tracker: process died unexpectedly" and KeyError tracebacks
    path = accounts_in_one_domain(tmp_path / "accounts.yaml", 50)
    reloaded = f"mailconf: serve: {path}: reloaded: 50 accounts, 1 domain"
    with serving(path, "--poll-interval", "0") as server:
        start = len(server.lines)
        server.proc.send_signal(signal.SIGHUP)
        server.wait_for(f"^{re.escape(reloaded)}$", start)
        tracker = _resource_tracker(server.proc.pid)
        assert tracker is not None
        os.kill(tracker, signal.SIGHUP)  # as the group's hang-up reaches it
        start = len(server.lines)
        server.proc.send_signal(signal.SIGHUP)
        server.wait_for(f"^{re.escape(reloaded)}$", start)
        assert _resource_tracker(server.proc.pid) == tracker  # the same one, alive
    assert server.lines[start:] == [reloaded, "mailconf: serve: stopped"]


def test_a_sighup_while_a_change_settles_is_one_reload_and_a_later_sighup_another(accounts: Path) -> None:
    # the SIGHUP ended the 0.2 s settle wait and was left set: the change was reloaded, then again at once for nothing
    reloaded = f"mailconf: serve: {accounts}: reloaded: 3 accounts, 2 domains"
    with serving(accounts, "--poll-interval", "0.01", setup=SETTLE_30) as server:
        accounts.write_text(accounts.read_text().replace("carol", "dave"))
        time.sleep(0.5)  # the next look (0.01 s) has seen the change: the SIGHUP comes inside its 30 s settle wait
        server.proc.send_signal(signal.SIGHUP)
        server.wait_for(f"^{re.escape(reloaded)}$")
        start = len(server.lines)
        server.proc.send_signal(signal.SIGHUP)  # after a reload is done, a SIGHUP reloads again
        server.wait_for(f"^{re.escape(reloaded)}$", start)
        assert server.stop() == 0  # a reload under way, such as a redundant third, is reported before "stopped"
    assert [line for line in server.lines if "reloaded" in line] == [reloaded, reloaded]
    assert server.lines[-1] == "mailconf: serve: stopped"


def test_a_storm_of_sighups_leaves_the_server_answering_and_reloading(accounts: Path) -> None:
    # the SIGHUP handler set a threading.Event: a second SIGHUP whose handler ran inside the first one's set() waited
    # for the lock that one held, for ever: the main thread (waitress's loop) hung, no request was answered again
    # and SIGTERM was ignored. 20,000 SIGHUPs in a row did it at the first try here; rarer on a slower machine
    with serving(accounts, "--poll-interval", "0") as server:
        for _ in range(20_000):
            os.kill(server.proc.pid, signal.SIGHUP)
        healthy(server)
        server.wait_for(r"^mailconf: serve: .*: reloaded: 3 accounts, 2 domains$")
        assert server.stop() == 0
    assert server.lines[-1] == "mailconf: serve: stopped"


def test_sigterm_wakes_waitress_loop_instead_of_waiting_for_its_timeout(accounts: Path) -> None:
    # the handler only set a flag, which waitress's loop read after its select timed out (1 s). With that timeout made
    # an hour, the server would outlive the test's deadline: stop() would fail
    forever = "import waitress.adjustments; waitress.adjustments.Adjustments.asyncore_loop_timeout = 3600"
    with serving(accounts, "--poll-interval", "0", setup=forever) as server:
        healthy(server)
        assert server.stop() == 0
    assert server.lines[-1] == "mailconf: serve: stopped"


#: in the server's process: the made-up host name two.mailconf.test resolves to two loopback addresses, as
#: `localhost` resolves to 127.0.0.1 and ::1 on many systems
TWO_ADDRESSES = """
import socket
real = socket.getaddrinfo
def two(host, *args, **kwargs):
    if host != "two.mailconf.test":
        return real(host, *args, **kwargs)
    return real("127.0.0.1", *args, **kwargs) + real("127.0.0.2", *args, **kwargs)
socket.getaddrinfo = two
"""


def test_a_bind_host_with_two_addresses_listens_on_both(accounts: Path) -> None:
    # waitress makes one socket per address (a MultiSocketServer), which has no effective_host: the server ended at
    # start with an internal error (exit 3), for `--bind localhost:8080` wherever localhost is also ::1
    with serving(accounts, "--bind", "two.mailconf.test:0", setup=TWO_ADDRESSES) as server:
        line = server.wait_for(r"listening on ").string
        urls = re.findall(r"http://127\.0\.0\.[12]:\d+/", line)
        assert [url.split(":")[1] for url in urls] == ["//127.0.0.1", "//127.0.0.2"], line
        assert f" listening on {urls[0]} and {urls[1]} (reload: SIGHUP" in line
        for url in urls:
            assert curl(f"{url}healthz").status == 200
        assert server.stop() == 0  # SIGTERM wakes the loop through one of the two sockets' triggers
    assert server.lines[-1] == "mailconf: serve: stopped"


def test_a_reload_under_way_at_sigterm_is_finished_and_reported_before_stopped(tmp_path: Path) -> None:
    # the exit waited for the reload's process all the same, but its line, written by a daemon thread while Python
    # shut down, was lost: the log did not say which file the server had last loaded
    path = accounts_in_one_domain(tmp_path / "accounts.yaml", 500)
    with serving(path, "--poll-interval", "0") as server:
        start = len(server.lines)
        server.proc.send_signal(signal.SIGHUP)
        reload_process(server.proc.pid)  # the reload is under way
        server.proc.send_signal(signal.SIGTERM)
        # a connection ends waitress's wait for one: the stop is seen now, not up to a second later (refused: the
        # server has seen it already and closed its socket)
        with contextlib.suppress(ConnectionRefusedError), socket.create_connection(("127.0.0.1", _port(server))):
            pass
        assert server.stop() == 0
    reloaded = f"mailconf: serve: {path}: reloaded: 500 accounts, 1 domain"
    assert server.lines[start:] == [reloaded, "mailconf: serve: stopped"]


def test_a_sigterm_reaching_the_reload_process_too_still_finishes_the_reload_before_stopped(tmp_path: Path) -> None:
    # systemd's stop (KillMode=control-group, its default) sends SIGTERM to every process of the service, the reload's
    # with the server's: the reload process died, and its end was reported before "stopped" as "new file refused
    # (... internal error (BrokenProcessPool) while reloading; please report it ...)"
    path = accounts_in_one_domain(tmp_path / "accounts.yaml", 500)
    with serving(path, "--poll-interval", "0") as server:
        start = len(server.lines)
        server.proc.send_signal(signal.SIGHUP)
        child = reload_process(server.proc.pid)  # the reload is under way
        server.proc.send_signal(signal.SIGTERM)
        os.kill(child, signal.SIGTERM)
        assert server.stop() == 0
    reloaded = f"mailconf: serve: {path}: reloaded: 500 accounts, 1 domain"
    assert server.lines[start:] == [reloaded, "mailconf: serve: stopped"]


def _catches(pid: int, signum: int) -> bool:
    """Whether process ``pid`` has a handler for ``signum`` (the SigCgt mask of /proc/PID/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) >> (signum - 1) & 1)
    return False


def _sockets(pid: int) -> int:
    count = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(FileNotFoundError):  # closed since it was listed
            count += os.readlink(fd).startswith("socket:")
    return count


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
def test_a_sighup_while_the_file_is_first_loaded_is_kept_and_reloads_once_serving(tmp_path: Path) -> None:
    """`systemctl reload` right after `start`: SIGHUP's default action would end the process. The handler is
    there from the start, before the file is read and before anything listens; the SIGHUP then reloads."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from _common import accounts_file
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    big = tmp_path / "accounts.yaml"
    big.write_text(accounts_file(3000), encoding="utf-8")
    server = Server(start(big, "--poll-interval", "0"))
    try:
        deadline = time.monotonic() + DEADLINE  # a bound against a hang, never a measure
        while not _catches(server.proc.pid, signal.SIGHUP):
            assert time.monotonic() < deadline and server.proc.poll() is None, server.lines
            time.sleep(0.002)
        assert _sockets(server.proc.pid) == 0  # nothing listens yet: the file is still being loaded
        server.proc.send_signal(signal.SIGHUP)
        found = server.wait_for(r"listening on (http://127\.0\.0\.1:\d+)/")
        server.wait_for(r": reloaded: 3000 accounts, 997 domains$")
        assert curl(f"{found.group(1)}/healthz").status == 200
    finally:
        assert server.stop() == 0
    assert server.lines[-1] == "mailconf: serve: stopped"


def test_a_refused_reload_shows_its_first_20_errors_and_counts_the_rest(tmp_path: Path) -> None:
    # an error in each of 500 accounts printed 500 lines at each refused reload, burying the access log (the
    # warnings were already cut at 20)
    path = accounts_in_one_domain(tmp_path / "accounts.yaml", 500)
    with serving(path, "--poll-interval", "0") as server:
        start = len(server.lines)
        path.write_text(path.read_text().replace("port: 993", "port: imap"))
        server.proc.send_signal(signal.SIGHUP)
        refused = server.wait_for(r"new file refused", start).string
        shown = server.lines[start : server.lines.index(refused)]
    lines = path.read_text().split("\n")
    assert shown == [
        *(f'{path}:{5 + 4 * i}:{lines[4 + 4 * i].index("port: imap") + 7}: error MC002 schema-violation: '
          '`port` must be a whole number (got "imap")' for i in range(20)),
        f"mailconf: error: and 480 more (`mailconf lint {path}` lists them)",
    ]  # fmt: skip
    assert refused.startswith(f"mailconf: serve: {path}: new file refused (500 errors); still serving the file loaded")


#: descriptors the server inherits: enough that everything it opens itself is numbered past select()'s 1023
INHERITED = 1100


@pytest.fixture
def inherited() -> Iterator[list[int]]:
    """Descriptors 3 to 3 + INHERITED, open, as a service manager with a high LimitNOFILE passes them: where this
    process has none, /dev/null (some are pytest's own). The soft limit is raised for them (and the server, which
    inherits it), and put back after."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = INHERITED + 512  # and room for the server's own: sockets, pipes, the reload's process
    if hard != resource.RLIM_INFINITY and hard < wanted:
        pytest.skip(f"the hard limit of open files is {hard}: {wanted} are needed")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))
    numbers = list(range(3, 3 + INHERITED))
    opened: list[int] = []
    null = os.open(os.devnull, os.O_RDONLY)
    try:
        for fd in numbers:
            try:
                os.fstat(fd)
            except OSError:  # free: no hole, or the server's own descriptors would get the low numbers
                opened.append(os.dup2(null, fd, inheritable=False))
        yield numbers
    finally:
        for fd in [*opened, null]:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="reads /proc (Linux)")
def test_descriptors_past_1023_serve_reload_and_stop(accounts: Path, inherited: list[int]) -> None:
    # select() cannot watch a descriptor of 1024 or more (ValueError: filedescriptor out of range): with that many
    # inherited, waitress's loop ended at its first turn (exit 3) and the reload thread at its first wait
    with serving(accounts, "--poll-interval", "0.2", pass_fds=inherited) as server:
        own = [int(fd.name) for fd in Path(f"/proc/{server.proc.pid}/fd").iterdir()]
        assert min(fd for fd in own if fd > 2 and fd not in inherited) > 1023  # every one the server opened itself
        healthy(server)
        mine = model_accounts(accounts)
        answer = curl(f"{server.url}/mail/config-v1.1.xml", "-H", "Host: autoconfig.example.com")
        assert (answer.status, answer.body) == (200, domain_document([mine["alice"], mine["bob"]], "example.com")[0])
        start = len(server.lines)
        server.proc.send_signal(signal.SIGHUP)
        server.wait_for(rf"^mailconf: serve: {re.escape(str(accounts))}: reloaded: 3 accounts, 2 domains$", start)
        start = len(server.lines)
        accounts.write_text(accounts.read_text().replace("carol", "erin"))  # the poll sees it
        server.wait_for(rf"^mailconf: serve: {re.escape(str(accounts))}: reloaded: 3 accounts, 2 domains$", start)
        assert curl(f"{server.url}/mobileconfig?emailaddress=erin%40other.test").status == 200
        assert server.stop() == 0
    assert server.lines[-1] == "mailconf: serve: stopped"
    assert not [line for line in server.lines if "Traceback" in line or "ValueError" in line], server.lines


def _port(server: Server) -> int:
    return int(server.url.rpartition(":")[2])


def _until_closed(connection: socket.socket, drip: bytes = b"") -> bytes:
    """What the server sends on ``connection`` until it closes it; meanwhile ``drip`` is sent a byte every 0.2 s
    (a slowloris: never silent for long). Bounded by DEADLINE, so that a server that never closes fails the test."""
    import select

    deadline = time.monotonic() + DEADLINE
    received = b""
    for byte in [drip[i : i + 1] for i in range(len(drip))] or [b""]:
        assert time.monotonic() < deadline, "the server never answered"
        if select.select([connection], [], [], 0.2)[0]:
            break  # the server speaks (or closes): stop sending
        connection.sendall(byte)
    connection.settimeout(max(deadline - time.monotonic(), 1))
    while chunk := connection.recv(65536):
        received += chunk
    return received


def test_a_request_sent_a_byte_at_a_time_is_answered_408_and_closed(accounts: Path) -> None:
    # waitress closes only a silent connection (channel_timeout): a client that sends a byte now and then held its
    # connection, one of the 100 waitress takes at once, for as long as it liked (slowloris)
    with serving(accounts, "--poll-interval", "0", "--client-timeout", "1") as server:
        start = len(server.lines)
        with socket.create_connection(("127.0.0.1", _port(server)), timeout=30) as connection:
            connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: example.com\r\nX-Slow: ")
            answer = _until_closed(connection, drip=b"a" * 5 * int(DEADLINE))  # 5 a second, for the whole deadline
        head, _, body = answer.partition(b"\r\n\r\n")
        status, *headers = head.decode().split("\r\n")
        assert (status, body) == ("HTTP/1.0 408 Request Timeout", b"408 Request Timeout: the request did not arrive "
                                  b"whole within 1 s\n")  # fmt: skip
        assert {"Connection: close", "Cache-Control: no-store", f"Content-Length: {len(body)}"} <= set(headers)
        # its access log line: the request line never came whole, so it is "-", as for 431
        logged = server.wait_for(rf' "-" 408 {len(body)} "-" "-"$', start).string
        assert re.fullmatch(r"127\.0\.0\.1 - - \[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000\] .*", logged)
        healthy(server)
        assert server.stop() == 0


def test_a_body_that_stops_half_way_is_answered_408_with_its_request_line_logged(accounts: Path) -> None:
    with serving(accounts, "--poll-interval", "0", "--client-timeout", "1") as server:
        start = len(server.lines)
        with socket.create_connection(("127.0.0.1", _port(server)), timeout=30) as connection:
            connection.sendall(b"POST /autodiscover/autodiscover.xml HTTP/1.1\r\nHost: example.com\r\n"
                               b"Content-Length: 500\r\n\r\n<?xml version=")  # fmt: skip
            answer = _until_closed(connection)  # and silence
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
        assert body == b"408 Request Timeout: the request did not arrive whole within 1 s\n"
        server.wait_for(rf'"POST /autodiscover/autodiscover\.xml HTTP/1\.1" 408 {len(body)} "-" "-"$', start)
        healthy(server)


def test_a_silent_connection_is_closed_without_a_word(accounts: Path) -> None:
    # one that never sends a byte, and one silent after its answer (keep-alive): closed after --client-timeout (was
    # waitress's 120 s, looked at every 30 s), with nothing sent and nothing logged
    with serving(accounts, "--poll-interval", "0", "--client-timeout", "1") as server:
        start = len(server.lines)
        port = _port(server)
        with socket.create_connection(("127.0.0.1", port), timeout=30) as quiet, \
                socket.create_connection(("127.0.0.1", port), timeout=30) as kept:  # fmt: skip
            kept.sendall(b"GET /healthz HTTP/1.1\r\nHost: example.com\r\n\r\n")
            answer = _until_closed(kept)
            assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
            assert answer.endswith(b"\r\n\r\n" + curl(f"{server.url}/healthz").body)  # one answer, then closed
            assert _until_closed(quiet) == b""
        # the keep-alive's request and the curl's (the second): its line may reach the reader thread after curl's answer
        server.wait_for(r'"GET /healthz HTTP/1\.1" 200 ', start + 1)
        assert [line for line in server.lines[start:] if '"GET /healthz HTTP/1.1"' not in line] == []
        assert len(server.lines[start:]) == 2


def test_a_connection_accepted_in_the_turn_a_silent_one_is_closed_is_answered(accounts: Path) -> None:
    # the silent connection is closed in the maintenance that waitress runs while it lists what to poll; it was listed
    # after that, on its old descriptor number. A connection accepted in the same turn got that number, and the poll's
    # answer for the closed one (POLLNVAL) closed it, its request unread: curl said "connection reset" (exit 56). The
    # server is stopped here while the silent connection passes --client-timeout and two clients connect and send,
    # so that when it resumes, it accepts the first, then closes the silent one and accepts the second in one turn
    with serving(accounts, "--poll-interval", "0", "--client-timeout", "1") as server:
        port = _port(server)
        request = b"GET /healthz HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n"
        with socket.create_connection(("127.0.0.1", port), timeout=30) as quiet:
            healthy(server)  # accepted after the quiet one: that one is open, and silent, on the server's side
            server.proc.send_signal(signal.SIGSTOP)
            try:
                time.sleep(1.5)  # the quiet one passes --client-timeout (1 s) while the server is stopped
                with socket.create_connection(("127.0.0.1", port), timeout=30) as first, \
                        socket.create_connection(("127.0.0.1", port), timeout=30) as second:  # fmt: skip
                    first.sendall(request)  # the kernel takes both connections and requests for the stopped server
                    second.sendall(request)
                    server.proc.send_signal(signal.SIGCONT)
                    answers = [_until_closed(first), _until_closed(second)]
            finally:
                server.proc.send_signal(signal.SIGCONT)
            assert _until_closed(quiet) == b""
        expected = b"\r\n\r\n" + curl(f"{server.url}/healthz").body
        assert [(a.startswith(b"HTTP/1.1 200 OK\r\n"), a.endswith(expected)) for a in answers] == [(True, True)] * 2


def test_empty_lines_after_an_answer_are_no_request_and_get_no_408(accounts: Path) -> None:
    # a client may send an empty line after its request (RFC 9112 s2.2: a server ignores it); the connection is then
    # silent, and closed without a word like any other, never told 408 for a request nobody sent: a keep-alive client
    # would take that 408 for the answer to its next request. A client that sends nothing but empty lines, one
    # after another, is still closed after --client-timeout
    with serving(accounts, "--poll-interval", "0", "--client-timeout", "1") as server:
        start = len(server.lines)
        port = _port(server)
        with socket.create_connection(("127.0.0.1", port), timeout=30) as kept, \
                socket.create_connection(("127.0.0.1", port), timeout=30) as blank:  # fmt: skip
            kept.sendall(b"GET /healthz HTTP/1.1\r\nHost: example.com\r\n\r\n\r\n")
            answer = _until_closed(kept)
            assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
            assert answer.endswith(b"\r\n\r\n" + curl(f"{server.url}/healthz").body)  # one answer, then closed
            assert _until_closed(blank, drip=b"\r\n" * 5 * int(DEADLINE)) == b""
        assert [line for line in server.lines[start:] if '"GET /healthz HTTP/1.1" 200' not in line] == []
        healthy(server)


def _drip_until_closed(connection: socket.socket, unit: bytes) -> bytes:
    """``unit`` sent whole every 0.2 s until the server closes the connection (bounded by DEADLINE); what it sent."""
    import select

    deadline = time.monotonic() + DEADLINE
    while not select.select([connection], [], [], 0.2)[0]:
        assert time.monotonic() < deadline, "the server never closed the connection"
        connection.sendall(unit)
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    return received


def test_a_client_sending_only_empty_lines_from_the_start_is_closed_without_a_word(accounts: Path) -> None:
    # each CRLF CRLF made waitress complete an empty request, so no request was ever late and the connection never
    # silent: a client sending nothing else (whole, or a byte at a time) held its place for as long as it liked.
    # The test above opened its connection a second before it dripped: it was closed for that silence
    with serving(accounts, "--poll-interval", "0", "--client-timeout", "1") as server:
        start = len(server.lines)
        port = _port(server)
        with socket.create_connection(("127.0.0.1", port), timeout=30) as whole:
            assert _drip_until_closed(whole, b"\r\n\r\n") == b""
        with socket.create_connection(("127.0.0.1", port), timeout=30) as bytewise:
            assert _until_closed(bytewise, drip=b"\r\n" * 5 * int(DEADLINE)) == b""
        with socket.create_connection(("127.0.0.1", port), timeout=30) as answered:
            answered.sendall(b"GET /healthz HTTP/1.1\r\nHost: example.com\r\n\r\n")
            answer = _drip_until_closed(answered, b"\r\n\r\n")  # after its answer, as after a request
            assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
            assert answer.endswith(b"\r\n\r\n" + curl(f"{server.url}/healthz").body)  # one answer, then closed
        assert [line for line in server.lines[start:] if '"GET /healthz HTTP/1.1" 200' not in line] == []
        healthy(server)


BARE = b"400 Bad Request: a line of the request ends in a bare LF or CR: end every line with CRLF\n"


@pytest.mark.parametrize(
    "data",
    [
        b"GET /healthz HTTP/1.1\nHost: example.com\n\n",  # every line: the 408 came after --client-timeout
        b"GET /healthz HTTP/1.1\r\nHost: example.com\n\n",
        b"GET /healthz HTTP/1.1\r\nHost: example.com\r\n\n",
        b"GET /healthz HTTP/1.1\rHost: example.com\r\r",  # a bare CR (RFC 9112 s2.2: invalid)
        b"GET /healthz HTTP/1.1\nHost: example.com\r\n\r\n",  # waitress refused this one itself, in other words
    ],
)
def test_a_request_with_a_bare_lf_or_cr_is_400_at_once(accounts: Path, data: bytes) -> None:
    # RFC 9112 s2.2: a server may take a bare LF for CRLF, or refuse the request; waitress only looks for CRLF CRLF,
    # so a request whose lines end in LF never ended: its client waited for a 408. The server is told to wait 600 s,
    # so that a 408 would come after the socket's timeout (30 s): only an answer at once passes
    with serving(accounts, "--poll-interval", "0", "--client-timeout", "600") as server:
        start = len(server.lines)
        with socket.create_connection(("127.0.0.1", _port(server)), timeout=30) as connection:
            connection.sendall(data)  # and the connection stays open: the server answers and closes it
            answer = _until_closed(connection)
        head, _, body = answer.partition(b"\r\n\r\n")
        assert (head.split(b"\r\n")[0], body) == (b"HTTP/1.0 400 Bad Request", BARE)
        assert b"\r\nCache-Control: no-store\r\n" in head
        server.wait_for(rf'"GET /healthz HTTP/1\.1" 400 {len(BARE)} "-" "-"$', start)
        healthy(server)


def test_a_crlf_cut_between_two_reads_and_empty_lines_before_a_request_are_no_bare_line_end(server: Server) -> None:
    with socket.create_connection(("127.0.0.1", _port(server)), timeout=30) as connection:
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connection.sendall(b"\n\r\nGET /healthz HTTP/1.1\r")  # a CR last: its LF may come in the next read
        time.sleep(0.3)  # so that the server reads the CR alone (it passes the same if it reads both at once)
        connection.sendall(b"\nHost: example.com\r\n\r\nGET /healthz HTTP/1.1\nHost: example.com\n\n")
        answer = _until_closed(connection)
    first, _, second = answer.partition(b"HTTP/1.0 400 Bad Request\r\n")  # the second request has bare LFs
    assert first.startswith(b"HTTP/1.1 200 OK\r\n")
    assert first.endswith(b"\r\n\r\n" + curl(f"{server.url}/healthz").body)
    assert second.endswith(b"\r\n\r\n" + BARE)


def _chunked(body: bytes) -> bytes:
    return f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"


SMUGGLED = b"GET /mobileconfig?emailaddress=alice%40example.com HTTP/1.1\r\nHost: example.com\r\n\r\n"


@pytest.mark.parametrize(
    ("data", "line"),
    [
        # answered by its Transfer-Encoding, and the connection kept: the GET after it was answered too. A proxy in
        # front that went by Content-Length (5 bytes) would have sent the rest as another request: smuggled
        (b"POST /autodiscover/autodiscover.xml HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\n"
         b"Transfer-Encoding: chunked\r\n\r\n" + _chunked(OUTLOOK_REQUEST.format(address="alice@example.com").encode())
         + SMUGGLED, "400 Bad Request: the request has both Content-Length and Transfer-Encoding: send one"),
        # HTTP/1.0 has no Transfer-Encoding: waitress read the body, a request, as the next request and answered it
        (b"POST /healthz HTTP/1.0\r\nHost: example.com\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n"
         b"Content-Length: 0\r\n\r\n" + SMUGGLED, "400 Bad Request: an HTTP/1.0 request cannot have a "
         "Transfer-Encoding: send Content-Length"),
        (b"POST /healthz HTTP/1.0\r\nHost: example.com\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n"
         b"\r\n" + _chunked(SMUGGLED), "400 Bad Request: an HTTP/1.0 request cannot have a Transfer-Encoding: send "
         "Content-Length"),
        # RFC 9112 s6.1: chunked is never applied twice; waitress decoded it once and answered what remained
        (b"POST /autodiscover/autodiscover.xml HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked, chunked\r\n"
         b"\r\n" + _chunked(_chunked(OUTLOOK_REQUEST.format(address="alice@example.com").encode())) + SMUGGLED,
         "400 Bad Request: the request applies chunked more than once: send Transfer-Encoding: chunked once"),
        (b"POST /autodiscover/autodiscover.xml HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n"
         b"transfer-encoding: Chunked\r\n\r\n" + _chunked(_chunked(OUTLOOK_REQUEST.format(address="alice@example.com")
         .encode())) + SMUGGLED, "400 Bad Request: the request applies chunked more than once: send Transfer-Encoding: "
         "chunked once"),
    ],
    ids=["length and chunked", "HTTP/1.0 chunked with a length", "HTTP/1.0 chunked", "chunked twice",
         "chunked in two fields"],
)  # fmt: skip
def test_a_request_whose_end_is_unsure_is_400_and_nothing_after_it_is_answered(server: Server, data: bytes,
                                                                                line: str) -> None:  # fmt: skip
    # RFC 9112 s6.1: both Content-Length and Transfer-Encoding, or Transfer-Encoding in HTTP/1.0, is faulty framing;
    # the server must close the connection after its answer
    start = len(server.lines)
    answer = exchange(server, data)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert (head.split(b"\r\n")[0], body) == (data.split(b" ", 2)[2].split(b"\r\n")[0] + b" 400 Bad Request",
                                               f"{line}\n".encode())  # fmt: skip
    assert b"\r\nConnection: close\r\n" in head
    server.wait_for(rf'"POST /(healthz|autodiscover/autodiscover\.xml) HTTP/1\.[01]" 400 {len(line) + 1} "-" "-"$',
                    start)  # fmt: skip
    healthy(server)
    assert not [entry for entry in server.lines[start:] if "/mobileconfig" in entry]


def test_a_chunked_autodiscover_request_is_answered_and_so_is_the_next(server: Server, accounts: Path) -> None:
    # the counterpart of the refusals above: HTTP/1.1 with Transfer-Encoding alone is well framed
    request = OUTLOOK_REQUEST.format(address="alice@example.com").encode()
    answer = exchange(server, b"POST /autodiscover/autodiscover.xml HTTP/1.1\r\nHost: example.com\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n" + _chunked(request) + b"GET /healthz HTTP/1.1\r\n"
                      b"Host: example.com\r\nConnection: close\r\n\r\n")  # fmt: skip
    first, _, second = answer.partition(account_response(model_accounts(accounts)["alice"]))
    assert first.startswith(b"HTTP/1.1 200 OK\r\n")
    assert second.startswith(b"HTTP/1.1 200 OK\r\n")
    assert second.endswith(b"\r\n\r\n" + curl(f"{server.url}/healthz").body)


CHUNKED_HEAD = (
    b"POST /autodiscover/autodiscover.xml HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n"
)
TOO_LARGE = b"413 Content Too Large: the body is larger than 65536 bytes\n"


@pytest.mark.parametrize(
    ("body", "status", "line"),
    [
        (b"171\n", b"400 Bad Request", BARE),  # a chunk's size line: waitress looked for CRLF only, and waited
        (b"171;a=b\rc", b"400 Bad Request", BARE),
        (_chunked(b"x")[:-2] + b"X-Trailer: y\n\r\n", b"400 Bad Request", BARE),  # a trailer field
        (b"10001\r\n", b"413 Content Too Large", TOO_LARGE),  # a chunk larger than a body may be, announced
        (b"8000\r\n" + b"a" * 0x8000 + b"\r\n8001\r\n", b"413 Content Too Large", TOO_LARGE),
    ],
)
def test_a_chunked_body_s_bare_line_end_or_a_chunk_past_the_limit_is_answered_at_once(
    accounts: Path, body: bytes, status: bytes, line: bytes
) -> None:
    # each was answered only by the 408 after --client-timeout (told 600 s here: only an answer at once passes), as
    # a head with a bare LF was; a Content-Length past the limit was already 413 at once
    with serving(accounts, "--poll-interval", "0", "--client-timeout", "600") as server:
        start = len(server.lines)
        with socket.create_connection(("127.0.0.1", _port(server)), timeout=30) as connection:
            connection.sendall(CHUNKED_HEAD + body)  # and the connection stays open: the server answers and closes it
            answer = _until_closed(connection)
        head, _, sent = answer.partition(b"\r\n\r\n")
        assert (head.split(b"\r\n")[0], sent) == (b"HTTP/1.1 " + status, line)
        server.wait_for(rf'"POST /autodiscover/autodiscover\.xml HTTP/1\.1" {status[:3].decode()} {len(line)} "-" "-"$',
                        start)  # fmt: skip
        healthy(server)


def test_a_chunked_body_in_pieces_with_a_trailer_is_answered_and_so_is_the_next(server: Server, accounts: Path) -> None:
    # the counterpart: lines cut between reads, chunk extensions, a trailer field, then the next request
    request = OUTLOOK_REQUEST.format(address="alice@example.com").encode()
    after = b"GET /healthz HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n"
    body = (b"5;ext=1\r\n" + request[:5] + b"\r\n" + f"{len(request) - 5:x}".encode() + b"\r\n" + request[5:]
            + b"\r\n0\r\nX-Trailer: y\r\n\r\n" + after)  # fmt: skip
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(CHUNKED_HEAD)
        for piece in (body[:2], body[2:9], body[9:40], body[40:-70], body[-70:-60], body[-60:]):
            connection.sendall(piece)
            time.sleep(0.05)  # read apart, not joined by the kernel
        answer = _until_closed(connection)
    first, _, second = answer.partition(account_response(model_accounts(accounts)["alice"]))
    assert first.startswith(b"HTTP/1.1 200 OK\r\n")
    assert second.startswith(b"HTTP/1.1 200 OK\r\n")
    assert second.endswith(b"\r\n\r\n" + curl(f"{server.url}/healthz").body)


def test_expect_100_continue_with_a_body_past_the_limit_is_413_at_once(server: Server) -> None:
    # waitress said "100 Continue" (send the body), read up to 64 KiB of it, and only then 413; a client that waited
    # for a word before sending (what Expect asks) got a 408 after --client-timeout
    start = len(server.lines)
    with socket.create_connection(("127.0.0.1", _port(server)), timeout=30) as connection:
        connection.sendall(b"POST /autodiscover/autodiscover.xml HTTP/1.1\r\nHost: example.com\r\n"
                           b"Content-Length: 99999999\r\nExpect: 100-continue\r\n\r\n")  # fmt: skip
        answer = _until_closed(connection)  # and no body: the server answers and closes
    line = b"413 Content Too Large: the body is larger than 65536 bytes\n"
    assert answer.startswith(b"HTTP/1.1 413 Content Too Large\r\n")
    assert answer.endswith(b"\r\n\r\n" + line)
    server.wait_for(rf'"POST /autodiscover/autodiscover\.xml HTTP/1\.1" 413 {len(line)} "-" "-"$', start)
    healthy(server)


def test_client_timeout_is_ten_seconds_unless_told() -> None:
    done = run_serve("--help")
    assert "--client-timeout SECONDS" in done.stdout
    assert "[default: 10; 1<=x<=3600]" in " ".join(done.stdout.split())


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="reads /proc (Linux)")
def test_a_client_that_does_not_read_its_answers_is_closed(accounts: Path) -> None:
    # pipelined requests whose answers (tens of MB) no buffer can hold while the client reads nothing: the server
    # waits to send, which is silence too, and closes the connection after --client-timeout (was 120 s)
    request = b"GET /mobileconfig?emailaddress=alice@example.com HTTP/1.1\r\nHost: example.com\r\n\r\n"
    with serving(accounts, "--poll-interval", "0", "--client-timeout", "1") as server:
        answer = len(exchange(server, request.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n")))
        count = 64 * 1024 * 1024 // answer
        start = len(server.lines)
        data = memoryview(request * count)
        with socket.socket() as connection:
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: a small window
            connection.connect(("127.0.0.1", _port(server)))
            connection.setblocking(False)
            deadline = time.monotonic() + DEADLINE  # a bound against a hang, never a measure
            accepted = False
            while True:
                sockets = _sockets(server.proc.pid)  # the listening socket, and this connection while it is open
                accepted = accepted or sockets > 1
                if accepted and sockets == 1:
                    break
                assert time.monotonic() < deadline, "the server kept the connection"
                try:
                    data = data[connection.send(data) :]
                    if not data:  # all sent (the server's receive buffer took what it did not read)
                        time.sleep(0.05)
                except BlockingIOError:  # every buffer is full
                    time.sleep(0.05)
                except OSError:  # reset: the server closed it with requests unread
                    break
        healthy(server)
        sent = '"GET /mobileconfig?emailaddress=alice@example.com HTTP/1.1" 200'
        answered = [line for line in server.lines[start:] if sent in line]
        assert 0 < len(answered) < count  # closed with requests it never answered


def _open_files_limit(soft: int, hard: int | None = None) -> str:
    """Python for the server's process (``setup``): the open-file limit a service manager would set."""
    return (f"import resource\nsoft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)\n"
            f"resource.setrlimit(resource.RLIMIT_NOFILE, ({soft}, {'hard' if hard is None else hard}))")  # fmt: skip


def _limits(pid: int) -> tuple[int, int]:
    """The soft and hard open-file limits of process ``pid``."""
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max open files"):
            soft, hard = line.split()[3:5]
            return int(soft), int(hard)
    raise AssertionError("no open-file limit")


@pytest.mark.skipif(not Path("/proc/self/limits").exists(), reason="reads /proc (Linux)")
def test_three_hundred_connections_at_once_with_a_soft_limit_of_256(accounts: Path) -> None:
    # waitress took 100 at once and left the rest in the kernel's queue: 100 silent connections kept every other
    # client waiting. The soft open-file limit (256 here, 1024 by default under systemd) is raised up to the hard one
    import resource

    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY and hard < 2000:
        pytest.skip(f"the hard limit of open files is {hard}: 2000 are needed")
    setup = _open_files_limit(256)
    with serving(accounts, "--poll-interval", "0", "--client-timeout", "600", setup=setup) as server:
        assert 1000 < _limits(server.proc.pid)[0] < 2000  # raised for 1000 connections, and the server's own
        port = _port(server)
        held = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(300)]
        try:
            healthy(server)  # the 301st
        finally:
            for connection in held:
                connection.close()
        assert not [line for line in server.lines if "warning" in line and "open-file" in line]


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="reads /proc (Linux)")
def test_connections_past_the_open_file_limit_wait_instead_of_flooding_the_log(accounts: Path) -> None:
    # with a limit of 128 (soft and hard), waitress's 100 connections did not fit: its accept() failed (EMFILE) and it
    # logged a traceback at every turn of its loop, 145 of them in 2 s, as long as a connection waited
    setup = _open_files_limit(128, 128)
    with serving(accounts, "--poll-interval", "0", "--client-timeout", "600", setup=setup) as server:
        warned = server.wait_for(r"^mailconf: warning: serve: the open-file limit \(128\) leaves room for (\d+) "
                                 r"connections at once, not 1000: raise it \(systemd: LimitNOFILE=\) or lower "
                                 r"--max-connections$")  # fmt: skip
        room = int(warned.group(1))
        assert 0 < room < 100
        port = _port(server)
        held = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(room + 30)]
        try:
            deadline = time.monotonic() + DEADLINE  # a bound against a hang, never a measure
            while _sockets(server.proc.pid) != room + 1:  # its connections, and the listening socket
                assert time.monotonic() < deadline, (_sockets(server.proc.pid), room)
                time.sleep(0.05)
        finally:
            for connection in held:
                connection.close()
        healthy(server)
        assert server.stop() == 0
    assert not [line for line in server.lines if "accept()" in line or "Too many open files" in line]
    assert server.lines[-1] == "mailconf: serve: stopped"


def test_max_connections_is_a_thousand_unless_told() -> None:
    done = run_serve("--help")
    assert "--max-connections N" in done.stdout
    assert "[default: 1000; 1<=x<=1000000]" in " ".join(done.stdout.split())


def test_serve_warns_of_every_gap_render_warns_of(tmp_path: Path) -> None:
    # a setting no published form carries, without a row in the capability tables (tls.verify_hostname: false,
    # a client certificate): render warned of it for each target, serve only for autoconfig
    path = tmp_path / "accounts.yaml"
    path.write_text(
        "version: 1\naccounts:\n  dave:\n    address: dave@example.com\n"
        "    incoming: {protocol: imap, host: imap.example.com, port: 993, security: tls, auth: password,\n"
        "               username: dave@example.com, tls: {verify_hostname: false}}\n"
        "    outgoing: {protocol: smtp, host: smtp.example.com, port: 465, security: tls, auth: password,\n"
        "               username: dave@example.com, tls: {client_cert: /etc/dave.pem, client_key: /etc/dave.key}}\n"
    )
    rendered = []
    for target in ("autoconfig", "autodiscover", "mobileconfig"):
        done = subprocess.run([sys.executable, "-m", "mailconf", "render", "--target", target, str(path), "-o",
                               str(tmp_path / target)], capture_output=True, text=True, timeout=60, check=False,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
        assert done.returncode == 0, done.stderr
        rendered += done.stderr.splitlines()
    assert len(rendered) == 9  # three settings, three targets
    assert (
        "mailconf: warning: autodiscover: account dave: incoming.tls.verify_hostname cannot be expressed; POX has no "
        "such setting: Outlook checks the host name; publish a server whose certificate holds it"
    ) in rendered
    with serving(path, "--poll-interval", "0") as server:
        server.wait_for(r"listening on")
        assert [line for line in server.lines if line.startswith("mailconf: warning: ")] == rendered


def _render_warnings(path: Path, out: Path) -> list[str]:
    """The warning lines of one ``mailconf render`` of the three published forms, as an admin runs it."""
    done = subprocess.run([sys.executable, "-m", "mailconf", "render", "-t", "autoconfig", "-t", "autodiscover", "-t",
                           "mobileconfig", str(path), "-o", str(out)], capture_output=True, text=True, timeout=60,
                          check=False, env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stderr.splitlines()


def test_serve_warns_in_the_order_and_words_of_one_render_of_the_three_targets(tmp_path: Path) -> None:
    # serve listed each account's Autodiscover and profile gaps in turn (dee's Autodiscover timeout after ann's
    # profile gaps), said "mobileconfig: account ben: Apple's mail payload needs..." once per account (a line each
    # for a thousand such accounts) where render groups the gap, and said the other profile gaps of an account
    # that has no profile (ben's password_command), which render leaves out with it
    path = tmp_path / "accounts.yaml"
    imap = "{protocol: imap, host: imap.example.com, username: %s@example.com, password_command: pass %s}"
    path.write_text(
        "version: 1\naccounts:\n"
        "  ann:\n    address: ann@example.com\n"
        f"    incoming: {imap % ('ann', 'ann')}\n"
        "    outgoing: {host: smtp.example.com, username: ann@example.com, password_command: pass ann}\n"
        f"  ben:\n    address: ben@example.com\n    incoming: {imap % ('ben', 'ben')}\n"
        f"  cid:\n    address: cid@example.com\n    incoming: {imap % ('cid', 'cid')}\n"
        "  dee:\n    address: dee@example.com\n"
        "    incoming: {protocol: imap, host: imap.example.com, username: dee@example.com, timeout: 30}\n"
        "    outgoing: {host: smtp.example.com, username: dee@example.com}\n"
    )
    asks = "the published document names the server only; each user's client asks for the password"
    device = "the device asks for the password when the profile is installed"
    rendered = _render_warnings(path, tmp_path / "out")
    assert rendered == [
        f"mailconf: warning: autoconfig: accounts ann, ben, cid: incoming.password_command cannot be expressed; {asks}",
        f"mailconf: warning: autoconfig: account ann: outgoing.password_command cannot be expressed; {asks}",
        "mailconf: warning: autoconfig: account dee: incoming.timeout cannot be expressed; autoconfig has no timeout",
        "mailconf: warning: autodiscover: accounts ann, ben, cid: incoming.password_command cannot be expressed; "
        "Outlook asks the user for the password",
        "mailconf: warning: autodiscover: account ann: outgoing.password_command cannot be expressed; Outlook asks "
        "the user for the password",
        "mailconf: warning: autodiscover: account dee: incoming.timeout cannot be expressed; POX has no timeout",
        f"mailconf: warning: mobileconfig: account ann: incoming.password_command cannot be expressed; {device}",
        f"mailconf: warning: mobileconfig: account ann: outgoing.password_command cannot be expressed; {device}",
        "mailconf: warning: mobileconfig: accounts ben, cid: outgoing cannot be expressed; Apple's mail payload needs "
        "an incoming and an outgoing server: no profile is written for such an account",
        "mailconf: warning: mobileconfig: account dee: incoming.timeout cannot be expressed; the mail payload has no "
        "timeout",
    ]
    with serving(path, "--poll-interval", "0") as server:
        server.wait_for(r"listening on")
        assert [line for line in server.lines if line.startswith("mailconf: warning: ")] == rendered
        # the same after a reload, whose site is built in another process and sent back in pieces
        start = len(server.lines)
        server.proc.send_signal(signal.SIGHUP)
        server.wait_for(r": reloaded: 4 accounts, 1 domain$", start)
        assert [line for line in server.lines[start:] if line.startswith("mailconf: warning: ")] == rendered
        # ben has no profile, and the 404 says why
        answer = curl(f"{server.url}/mobileconfig?emailaddress=ben%40example.com")
        assert (answer.status, answer.body) == (
            404,
            b"404 Not Found: this account has one server only, and an Apple profile needs an incoming and an "
            b"outgoing server\n",
        )


def test_serve_past_20_warnings_names_the_render_that_lists_them_all(tmp_path: Path) -> None:
    # the line said `mailconf render -t autoconfig -t autodiscover -o DIR FILE`: without the profiles' gaps, some
    # of those not shown, and with FILE for the file served
    path = tmp_path / "accounts.yaml"
    settings = "password_command: pass ann, timeout: 30, tls: {ca_file: /etc/ssl/ca.pem, min_version: '1.3'}"
    path.write_text(
        "version: 1\naccounts:\n  ann:\n    address: ann@example.com\n"
        f"    incoming: {{protocol: imap, host: imap.example.com, username: ann@example.com, {settings}}}\n"
        f"    outgoing: {{host: smtp.example.com, username: ann@example.com, {settings}}}\n"
    )
    rendered = _render_warnings(path, tmp_path / "out")
    assert len(rendered) == 24  # four settings, two servers, three targets
    with serving(path, "--poll-interval", "0") as server:
        server.wait_for(r"listening on")
        warnings = [line for line in server.lines if line.startswith("mailconf: warning: ")]
    assert warnings == [
        *rendered[:20],
        "mailconf: warning: and 4 more (`mailconf render -t autoconfig -t autodiscover -t mobileconfig -o DIR "
        f"{path}` lists them)",
    ]


def test_a_domain_without_an_incoming_server_has_no_autoconfig_document(tmp_path: Path) -> None:
    from mailconf.targets.autoconfig import NO_INCOMING
    from mailconf.targets.autodiscover import NO_INCOMING_GAP

    path = tmp_path / "accounts.yaml"
    path.write_text(
        "version: 1\naccounts:\n  sam:\n    address: sam@smtp-only.example\n"
        "    outgoing: {host: smtp.example.com, username: sam@smtp-only.example}\n"
    )
    with serving(path, "--poll-interval", "0") as server:
        # the domain is counted: before, "1 account, 0 domains"
        assert ": 1 account, 1 domain (1 without an autoconfig document: no incoming server); listening on " in (
            server.wait_for("listening on").string
        )
        # before, a 200 with a document Thunderbird refuses ("Need proper <incomingServer> in XML file"); then a 404
        # that said "no accounts for this domain", which has one: the 404 says why there is no document
        why = b"404 Not Found: no account of this domain has an incoming server, which an autoconfig document must have"
        why += b"\n"
        for target, args in [
            ("/mail/config-v1.1.xml?emailaddress=sam%40smtp-only.example", ()),
            ("/mail/config-v1.1.xml", ("-H", "Host: autoconfig.smtp-only.example")),
            ("/.well-known/autoconfig/mail/config-v1.1.xml", ("-H", "Host: smtp-only.example")),
        ]:
            answer = curl(f"{server.url}{target}", *args)
            assert (answer.status, answer.body) == (404, why)
        # and a domain with no account at all is still told so
        answer = curl(f"{server.url}/mail/config-v1.1.xml", "-H", "Host: autoconfig.nowhere.example")
        assert (answer.status, answer.body) == (404, b"404 Not Found: no accounts for this domain\n")
        # nor has sam an Apple profile, which needs both servers: not "no account with this address", as before
        answer = curl(f"{server.url}/mobileconfig?emailaddress=sam%40smtp-only.example")
        assert (answer.status, answer.body) == (
            404,
            b"404 Not Found: this account has one server only, and an Apple profile needs an incoming and an "
            b"outgoing server\n",
        )
        # the same after a reload, which is built in another process and sent back in pieces
        start = len(server.lines)
        server.proc.send_signal(signal.SIGHUP)
        server.wait_for(r"reloaded: 1 account, 1 domain \(1 without an autoconfig document: no incoming server\)$",
                        start)  # fmt: skip
        answer = curl(f"{server.url}/mail/config-v1.1.xml?emailaddress=sam%40smtp-only.example")
        assert (answer.status, answer.body) == (404, why)
        warning = f"mailconf: warning: autoconfig: account sam: incoming cannot be expressed; {NO_INCOMING}"
        assert warning in server.lines
        # its Autodiscover answer has the SMTP server only, which Thunderbird does not use
        warning = f"mailconf: warning: autodiscover: account sam: incoming cannot be expressed; {NO_INCOMING_GAP}"
        assert warning in server.lines


@pytest.mark.parametrize(
    ("target", "args"),
    [
        ("/mail%2Fconfig-v1.1.xml?emailaddress=alice%40example.com", ()),
        ("/.well-known%2fautoconfig%2Fmail%2Fconfig-v1.1.xml", ("-H", "Host: example.com")),
        (AUTODISCOVER.replace("/a", "%2Fa", 2).replace("%2Fa", "/a", 1),
         (*OUTLOOK, "--data-binary", OUTLOOK_REQUEST.format(address="alice@example.com"))),
    ],
)  # fmt: skip
def test_an_encoded_slash_in_the_path_is_no_route(server: Server, target: str, args: tuple[str, ...]) -> None:
    # waitress decodes %2F into PATH_INFO: these were answered as the paths with a slash
    answer = curl(f"{server.url}{target}", *args)
    assert (answer.status, answer.body) == (404, b"404 Not Found: no such path\n")
    method = "POST" if "--data-binary" in args else "GET"
    assert f'"{method} {target} HTTP/1.1" 404 ' in server.wait_for(re.escape(target)).string


def test_an_encoded_slash_in_an_absolute_target_is_no_route_and_in_the_query_is_data(server: Server) -> None:
    absolute = b"GET http://example.com/mail%2Fconfig-v1.1.xml HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    assert exchange(server, absolute).endswith(b"\r\n\r\n404 Not Found: no such path\n")
    # a %2F of the query is the address's, and an encoded letter is the letter (RFC 3986 §6.2.2.2): both served
    for target in ("/mail/config-v1.1.xml?emailaddress=a%2Fb%40example.com", "/mail/%63onfig-v1.1.xml"):
        answer = curl(f"{server.url}{target}", "-H", "Host: example.com")
        assert answer.status == 200
        assert answer.body == curl(f"{server.url}/mail/config-v1.1.xml", "-H", "Host: example.com").body


def test_an_organization_holding_a_thunderbird_placeholder_is_served_as_declared_with_a_warning(
    tmp_path: Path,
) -> None:
    from mailconf.targets.autoconfig import PLACEHOLDER_GAP

    path = tmp_path / "accounts.yaml"
    path.write_text(
        "version: 1\naccounts:\n  ann:\n    address: ann@example.com\n    organization: Mail of %EMAILDOMAIN%\n"
        "    incoming: {protocol: imap, host: imap.example.com, username: ann@example.com}\n"
        "    outgoing: {host: smtp.example.com, username: ann@example.com}\n"
    )
    with serving(path, "--poll-interval", "0") as server:
        answer = curl(f"{server.url}/mail/config-v1.1.xml?emailaddress=ann%40example.com")
        assert answer.status == 200
        assert b"<displayName>Mail of %EMAILDOMAIN%</displayName>" in answer.body
        # Thunderbird shows its user "Mail of" their own domain: before, nothing said so
        warning = f"mailconf: warning: autoconfig: account ann: organization cannot be expressed; {PLACEHOLDER_GAP}"
        assert warning in server.lines


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_an_autodiscover_request_in_utf_16_is_answered(server: Server, accounts: Path, tmp_path: Path,
                                                       encoding: str) -> None:  # fmt: skip
    # with its byte order mark (Python writes one for "utf-16"; the others get theirs here), as XML 1.0 4.3.3 asks
    text = OUTLOOK_REQUEST.format(address="alice@example.com").replace("utf-8", "utf-16")
    bom = {"utf-16": b"", "utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}[encoding]
    body = tmp_path / "request.xml"
    body.write_bytes(bom + text.encode(encoding))
    answer = curl(f"{server.url}{AUTODISCOVER}", *OUTLOOK, "--data-binary", f"@{body}")
    assert (answer.status, answer.body) == (200, account_response(model_accounts(accounts)["alice"]))


def test_an_autodiscover_request_in_utf_32_is_told_to_send_utf_8(server: Server, tmp_path: Path) -> None:
    """docs/serve.md: expat reads no UTF-32, and took its first bytes for UTF-16 before it read the declaration, so
    the request was `the body is not well-formed XML`, sending its sender looking for a broken document."""
    text = OUTLOOK_REQUEST.format(address="alice@example.com").replace("utf-8", "utf-32")
    answers = {}
    for form, data in utf_32_forms(text).items():
        body = tmp_path / f"{form}.xml"
        body.write_bytes(data)
        answer = curl(f"{server.url}{AUTODISCOVER}", *OUTLOOK, "--data-binary", f"@{body}")
        answers[form] = (answer.status, answer.body)
    refused = (400, b"400 Bad Request: the body's declared encoding cannot be read: send UTF-8 (or UTF-16)\n")
    assert answers == dict.fromkeys(utf_32_forms(text), refused)
    healthy(server)


@pytest.mark.parametrize(
    ("target", "status"),
    [
        ("/mail/./config-v1.1.xml", 404),
        ("/mail//config-v1.1.xml", 404),
        ("/MAIL/config-v1.1.xml", 404),
        ("//mail/config-v1.1.xml", 200),  # waitress drops the extra slashes in front
        ("/AutoDiscover/AUTODISCOVER.XML", 405),  # any case: a GET is told to POST
    ],
)
def test_paths_are_matched_as_docs_serve_says(server: Server, target: str, status: int) -> None:
    data = f"GET {target} HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n".encode()
    assert exchange(server, data).startswith(f"HTTP/1.1 {status} ".encode())


HEALTHZ_KEPT = b"GET /healthz HTTP/1.1\r\nHost: example.com\r\n\r\n"


def _answer_on(connection: socket.socket, pending: bytearray) -> tuple[list[str], bytes] | None:
    """The next answer on ``connection`` (its header lines, its body), None when the server has closed it;
    ``pending``: what has come past the answers read so far."""
    while b"\r\n\r\n" not in pending:
        chunk = connection.recv(65536)
        if not chunk:
            assert not pending, pending
            return None
        pending += chunk
    head, _, _ = bytes(pending).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = int(next(line for line in lines if line.startswith("Content-Length: ")).partition(": ")[2])
    while len(pending) < len(head) + 4 + length:
        chunk = connection.recv(65536)
        assert chunk, "closed in the middle of an answer"
        pending += chunk
    body = bytes(pending[len(head) + 4 : len(head) + 4 + length])
    del pending[: len(head) + 4 + length]
    return lines, body


def test_a_keep_alive_connection_is_closed_after_its_1000th_answer(accounts: Path) -> None:
    """A client that sent a request every few seconds held its connection, one of --max-connections, for ever. As
    nginx (keepalive_requests 1000): the 1000th answer says `Connection: close`, and the connection is closed after
    it; requests sent past it on that connection are not answered (a client sends them again on a new one)."""
    with serving(accounts, "--poll-interval", "0") as server:
        received = exchange(server, HEALTHZ_KEPT * 1005)
        body = curl(f"{server.url}/healthz").body
        answers = received.split(b"HTTP/1.1 200 OK\r\n")
        assert answers[0] == b""
        assert len(answers[1:]) == 1000
        assert [answer.endswith(b"\r\n\r\n" + body) for answer in answers[1:]] == [True] * 1000
        closing = [i for i, answer in enumerate(answers[1:]) if b"\r\nConnection: close\r\n" in b"\r\n" + answer]
        assert closing == [999]
        healthy(server)


@pytest.mark.parametrize(
    ("request_", "kept"),
    [
        (HEALTHZ_KEPT, None),
        (b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "Connection: Keep-Alive"),
    ],
)
def test_a_keep_alive_connection_older_than_its_age_limit_is_closed_after_its_next_answer(
    accounts: Path, request_: bytes, kept: str | None
) -> None:
    """As nginx (keepalive_time 1h): a connection older than MAX_CONNECTION_AGE (1 h; 2 s here) is closed after the
    answer to its next request, which says `Connection: close` (an HTTP/1.0 keep-alive one is not `Keep-Alive`)."""
    setup = "import mailconf.serve.loop as loop; loop.MAX_CONNECTION_AGE = 2"
    with serving(accounts, "--poll-interval", "0", setup=setup) as server, \
            socket.create_connection(("127.0.0.1", _port(server)), timeout=30) as connection:  # fmt: skip
        opened = time.monotonic()
        pending = bytearray()
        answers: list[tuple[list[str], bytes]] = []
        while not answers or "Connection: close" not in answers[-1][0]:
            assert time.monotonic() - opened < DEADLINE, "never closed"
            time.sleep(0.25 if answers else 0)
            connection.sendall(request_)
            answer = _answer_on(connection, pending)
            assert answer is not None, "closed without a word"
            answers.append(answer)
        lasted = time.monotonic() - opened
        assert connection.recv(1) == b""  # and closed after it
        healthy(server)
    assert lasted >= 2
    assert [body for _, body in answers] == [answers[0][1]] * len(answers)
    said = [[line for line in lines if line.startswith("Connection: ")] for lines, _ in answers]
    assert said == [[kept] if kept else []] * (len(answers) - 1) + [["Connection: close"]]


#: In the server's process: the first site's autoconfig map made one that can be watched, and a thread that says
#: "first site freed" on standard error once nothing holds it any more
WATCH_FIRST_SITE = """
import gc, sys, threading, time, weakref
import mailconf.serve.site as site_module

class Watched(dict):
    pass

built = site_module.build_site
first = []

def build_site(*args, **kwargs):
    loaded = built(*args, **kwargs)
    if not first:
        watched = Watched(loaded.site.autoconfig)
        first.append(weakref.ref(watched))
        loaded = loaded._replace(site=loaded.site._replace(autoconfig=watched))
        del watched
    return loaded

def watch():
    while not first:
        time.sleep(0.05)
    while first[0]() is not None:
        time.sleep(0.1)
        gc.collect()
    print("first site freed", file=sys.stderr, flush=True)

site_module.build_site = build_site
threading.Thread(target=watch, daemon=True).start()
"""


def test_a_reload_lets_go_of_the_first_site(accounts: Path) -> None:
    """mailconf serve held the site it loaded at start for as long as it ran (a variable of the function that
    started the server), beside each reload's: 679 MB at start, 1.2 GB from the first reload on, for 50,000 accounts
    (benchmarks/README.md). Now a reload frees it."""
    with serving(accounts, "--poll-interval", "0", setup=WATCH_FIRST_SITE) as server:
        healthy(server)
        assert "first site freed" not in server.lines
        start = len(server.lines)
        server.proc.send_signal(signal.SIGHUP)
        server.wait_for(r": reloaded: 3 accounts, 2 domains$", start)
        server.wait_for(r"^first site freed$", start)
        healthy(server)


def test_serve_names_the_accounts_of_a_shared_autoconfig_warning_in_file_order(tmp_path: Path) -> None:
    # autoconfig's gaps are found domain by domain: serve named a1, a2, b1 where the file (and render) says a1, b1, a2
    path = tmp_path / "accounts.yaml"
    lines = ["version: 1", "accounts:"]
    for name, domain in (("a1", "a"), ("b1", "b"), ("a2", "a")):
        address = f"{name}@{domain}.example.org"
        lines += [
            f"  {name}:",
            f"    address: {address}",
            f"    incoming: {{protocol: imap, host: imap.{domain}.example.org, username: {address}, timeout: 30}}",
            f"    outgoing: {{host: smtp.{domain}.example.org, username: {address}}}",
        ]
    path.write_text("\n".join(lines) + "\n")
    rendered = _render_warnings(path, tmp_path / "out")
    assert rendered[0] == (
        "mailconf: warning: autoconfig: accounts a1, b1, a2: incoming.timeout cannot be expressed; autoconfig has no "
        "timeout"
    )
    with serving(path, "--poll-interval", "0") as server:
        server.wait_for(r"listening on")
        assert [line for line in server.lines if line.startswith("mailconf: warning: ")] == rendered
        start = len(server.lines)
        server.proc.send_signal(signal.SIGHUP)
        server.wait_for(r": reloaded: 3 accounts, 2 domains$", start)
        assert [line for line in server.lines[start:] if line.startswith("mailconf: warning: ")] == rendered
