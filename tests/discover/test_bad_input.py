"""Hostile or broken answers: one clear line each, exit 1 (nothing usable) or 2 (usage), no traceback, no wait
past the deadline (the process is timed from outside with a generous bound: not a benchmark); where a usable
server is still found (exit 0), what the network said is shown cut."""

from __future__ import annotations

import codecs
import contextlib
import gzip
import os
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import types
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import dns.flags
import dns.message
import dns.query
import dns.rdatatype
import dns.rrset
import pytest

from mailconf.discover.dns import Dns, Mx, bracket_hint, parse_server
from mailconf.discover.http import context as http_context
from mailconf.discover.values import MAX_TEXT
from mailconf.emit import scalar as emit_scalar
from mailconf.errors import double_quoted, shown
from tests.conftest import ROOT, need, utf_32_forms
from tests.servers import HOST, Dovecot, KeyPair, Script, ScriptedServer, SmtpServer, server_context

from .conftest import RUN_TIMEOUT, Dnsmasq, RigCerts, WebServer, endless, loopback_address, redirect, web_and_dns, xml
from .rig import ADDRESS, AUTOCONFIG, IMAPS_OK, SMTPS_OK, Run, account, config, imaps, server, smtps

#: -o "$OUT" with OUT unset (tests/test_cli.py: every command says it alike)
EMPTY_OUTPUT = "-o '': an empty path names no file (an unset variable?); name the account file to write"
WELL_KNOWN = "https://example.test/.well-known/autoconfig/mail/config-v1.1.xml"


def nothing_found(
    dns: Dnsmasq,
    autoconfig: str | None = None,
    *,
    ispdb: str | None = None,
    mx: str = "no MX record for example.test",
    srv: str = "no SRV record for example.test",
) -> str:
    """stderr when no source gives a usable server: each source's reason, by default the rig's with no answer but
    from the DNS server (``autoconfig``: autoconfig.example.test's; ``ispdb``: the whole ispdb line)."""
    no_address = f"has no address (the DNS server {dns.server})"
    return "".join(f"mailconf: {line}\n" for line in (
        f"no usable server found for {ADDRESS}:",
        f"  autoconfig {AUTOCONFIG}: {autoconfig or f'autoconfig.example.test {no_address}'}",
        f"  autoconfig {WELL_KNOWN}: example.test {no_address}",
        f"  {ispdb or f'ispdb https://ispdb.test/v1.1/example.test: ispdb.test {no_address}'}",
        f"  mx example.test: {mx}",
        f"  srv _*._tcp.example.test: {srv}",
    ))  # fmt: skip


def served(discover: Any, certs: RigCerts, route: Any, tls: Any = None) -> tuple[Run, Dnsmasq]:
    with web_and_dns(
        {"/mail/config-v1.1.xml": route, "/loop": redirect("/loop")}, tls or certs.leaf, ["autoconfig.example.test"]
    ) as (_, dns):
        return discover(dns), dns


def test_xml_with_a_dtd(discover: Any, rig_certs: RigCerts) -> None:
    body = config(server("imap", "imap.example.test", 993)).replace(
        "<clientConfig", '<!DOCTYPE x SYSTEM "x.dtd">\n<clientConfig', 1
    )
    run, dns = served(discover, rig_certs, xml(body))
    reason = "refused: the XML has a DTD (<!DOCTYPE>) (not allowed in a configuration file)"
    assert run == Run(1, "", nothing_found(dns, reason))


def test_entity_bomb(discover: Any, rig_certs: RigCerts) -> None:
    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)
    )
    body = config(server("imap", "&j;", 993)).replace(
        "<clientConfig", f"<!DOCTYPE clientConfig [{entities}]>\n<clientConfig", 1
    )
    run, dns = served(discover, rig_certs, xml(body))
    reason = "refused: the XML has a DTD (<!DOCTYPE>) (not allowed in a configuration file)"
    assert run == Run(1, "", nothing_found(dns, reason))


@pytest.mark.parametrize(
    "page",
    [
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8><title>Ex</title></head><body><p>Hi</body></html>",
        "<html>\n<head><title>404 Not Found</title></head>\n<body><h1>404 Not Found</h1><hr></body>\n</html>",
        # well-formed, so no parse error to look at the page for: `the document is <html>, not <clientConfig>`, and
        # for XHTML `the document is <{http://www.w3.org/1999/xhtml}html>, not <clientConfig>`
        '<html><head><title>Sign in</title></head><body><form action="/login" method="post"/></body></html>',
        '<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Sign in</title></head>'
        "<body><p>Your session has expired.</p></body></html>",
    ],
    ids=["html5-home-page", "not-found-page", "well-formed-login-page", "xhtml-login-page"],
)
def test_an_html_page_is_named(page: str, discover: Any, rig_certs: RigCerts) -> None:
    """A web server that answers every URL sends its home page (or its own "not found" page) with status 200: its
    <!DOCTYPE html> was reported as `refused: the XML has a DTD (<!DOCTYPE>) (not allowed in a configuration file)`,
    as if the provider's file were an attack, and an unclosed <meta> or <hr> as `not well-formed XML (mismatched
    tag)`, as if it were a broken configuration file."""
    run, dns = served(discover, rig_certs, (200, {"Content-Type": "text/html"}, page.encode()))
    assert run == Run(1, "", nothing_found(dns, "the document is an HTML page, not <clientConfig>"))


def test_not_well_formed(discover: Any, rig_certs: RigCerts) -> None:
    run, dns = served(
        discover, rig_certs, xml('<?xml version="1.0"?>\n<clientConfig>\n  <emailProvider>\n</clientConfig>')
    )
    assert run == Run(1, "", nothing_found(dns, "line 4:3: not well-formed XML (mismatched tag)"))


def test_comments_before_a_broken_document_are_read_once(rig_certs: RigCerts) -> None:
    """A comment ends at its first ``-->``. The HTML sniff of a document that is not well-formed let each comment end
    at any later one too: 40 comments were tried in 2**40 ways, in C, holding the interpreter, so the run's deadline
    never came (the process's timeout here ends such a run; this one ends by itself, before its deadline)."""
    body = '<?xml version="1.0"?>\n' + "<!-- c -->\n" * 40 + "<clientConfig>\n"
    with web_and_dns({"/mail/config-v1.1.xml": xml(body)}, rig_certs.leaf, ["autoconfig.example.test"]) as (_, dns):
        args = ["--dns-server", dns.server, "--ca-file", str(rig_certs.ca), "--ispdb-url", "https://ispdb.test/v1.1/"]
        run, _took = run_process(ADDRESS, *args, "--timeout", str(RUN_TIMEOUT), timeout=RUN_TIMEOUT)
    assert run == Run(1, "", nothing_found(dns, "line 43:1: not well-formed XML (no element found)"))


@pytest.mark.parametrize(
    ("declared", "why"),
    [("bogus", "unknown encoding: bogus"), ("utf-32", "multi-byte encodings are not supported"),
     ("shift_jis", "multi-byte encodings are not supported")],
)  # fmt: skip
def test_xml_in_an_encoding_that_cannot_be_read(declared: str, why: str, discover: Any, rig_certs: RigCerts) -> None:
    body = config(server("imap", "imap.example.test", 993)).replace(
        'version="1.0"', f'version="1.0" encoding="{declared}"'
    )
    run, dns = served(discover, rig_certs, xml(body))
    reason = f"the XML declares an encoding that cannot be read ({why}); UTF-8 is expected"
    assert run == Run(1, "", nothing_found(dns, reason))


@pytest.mark.parametrize(
    ("form", "how"),
    [("bom-le", "it starts with a UTF-32 byte-order mark"), ("bom-be", "it starts with a UTF-32 byte-order mark"),
     ("no-bom-le", "its first character is padded with zero bytes"),
     ("no-bom-be", "its first character is padded with zero bytes"),
     ("bom-le-undeclared", "it starts with a UTF-32 byte-order mark")],
)  # fmt: skip
def test_xml_in_utf_32_is_named(form: str, how: str, discover: Any, rig_certs: RigCerts) -> None:
    """expat reads no UTF-32, and took its first bytes for UTF-16 before it read the declaration: the file was
    `line 1:2: not well-formed XML (not well-formed (invalid token))`, as if it were broken."""
    body = config(server("imap", "imap.example.test", 993)).replace('version="1.0"', 'version="1.0" encoding="utf-32"')
    run, dns = served(discover, rig_certs, (200, {"Content-Type": "text/xml"}, utf_32_forms(body)[form]))
    reason = f"the XML is in UTF-32 ({how}), which cannot be read; UTF-8 is expected"
    assert run == Run(1, "", nothing_found(dns, reason))


@pytest.mark.parametrize("bom", [codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE])
def test_xml_in_utf_16_is_read(bom: bytes, discover: Any, rig_certs: RigCerts) -> None:
    body = config(server("imap", "imap.example.test", 993)).replace('version="1.0"', 'version="1.0" encoding="utf-16"')
    data = bom + body.encode("utf-16-le" if bom == codecs.BOM_UTF16_LE else "utf-16-be")
    with web_and_dns({"/mail/config-v1.1.xml": (200, {"Content-Type": "text/xml"}, data)}, rig_certs.leaf,
                     ["autoconfig.example.test"]) as (_, dns):  # fmt: skip
        run = discover(dns, "--no-probe")
    origin = f"from autoconfig {AUTOCONFIG}; not probed (--no-probe)"
    warning = "mailconf: warning: no outgoing server found; add it by hand\n"
    assert run == Run(0, account(incoming=(origin, imaps_at(993))), warning)


@pytest.mark.parametrize(
    ("port", "shown"),
    [("\u00b2", '"\u00b2"'), ("\u0669\u0669\u0663", '"\u0669\u0669\u0663"'),
     ("9" * 5000, f'"{"9" * 64}"... (5000 characters)')],  # a note shows 64 characters of a value at most
    ids=["superscript-2", "arabic-indic-993", "5000-digits"],
)  # fmt: skip
def test_port_that_is_not_ascii_digits(port: str, shown: str, discover: Any, rig_certs: RigCerts) -> None:
    run, dns = served(discover, rig_certs, xml(config(server("imap", "imap.example.test", port))))  # type: ignore[arg-type]
    note = f'<incomingServer type="imap"> imap.example.test left out: {shown} is not a port'
    assert run == Run(1, "", nothing_found(dns, f"no IMAP, POP3 or SMTP server in it; {note}"))


def test_wrong_certificate(discover: Any, rig_certs: RigCerts) -> None:
    run, dns = served(discover, rig_certs, xml(config()), tls=rig_certs.wrong)
    reason = (
        "the certificate of autoconfig.example.test is not trusted "
        "(Hostname mismatch, certificate is not valid for 'autoconfig.example.test'.)"
    )
    assert run == Run(1, "", nothing_found(dns, reason))


def test_an_intermediate_ca_is_no_trust_anchor(discover: Any, tmp_path: Path) -> None:
    """--ca-file naming an intermediate CA, not its root: autoconfig's server is not trusted, on every Python, as the
    probe does not trust it (its context allows no partial chain). Python 3.13's create_default_context() added
    VERIFY_X509_PARTIAL_CHAIN and VERIFY_X509_STRICT: there discover trusted the answer of a server that its own probe
    and 3.11 refused, and refused one whose certificate lacks an extension strict RFC 5280 wants (an Authority Key
    Identifier), which Thunderbird and 3.11 accept."""
    import trustme

    intermediate = trustme.CA().create_child_ca()
    issued = intermediate.issue_cert("autoconfig.example.test")
    leaf = KeyPair(tmp_path / "leaf.pem", tmp_path / "leaf.key", b"")
    leaf.cert.write_bytes(b"".join(blob.bytes() for blob in issued.cert_chain_pems))
    issued.private_key_pem.write_to_path(str(leaf.key))
    intermediate.cert_pem.write_to_path(str(tmp_path / "intermediate.pem"))
    with web_and_dns({"/mail/config-v1.1.xml": xml(config())}, leaf, ["autoconfig.example.test"]) as (_, dns):
        run = discover(dns, "--ca-file", str(tmp_path / "intermediate.pem"), "--no-probe")
    reason = "the certificate of autoconfig.example.test is not trusted (unable to get issuer certificate)"
    assert run == Run(1, "", nothing_found(dns, reason))
    assert http_context(None).verify_flags == ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).verify_flags


def test_a_host_named_only_in_the_common_name_is_not_trusted(discover: Any, tmp_path: Path) -> None:
    """A certificate whose subjectAltName does not name the host, only its subject's CN: Thunderbird (Firefox's
    network stack) and the probe refuse it (RFC 9525 drops the fallback), but OpenSSL's default check falls back to
    the CN, and discover trusted the answer."""
    import datetime as dt

    import trustme
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    ca = trustme.CA()
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "autoconfig.example.test")]))
        .issuer_name(ca._certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(ca._private_key, hashes.SHA256())
    )
    leaf = KeyPair(tmp_path / "leaf.pem", tmp_path / "leaf.key", b"")
    leaf.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    leaf.key.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    with web_and_dns({"/mail/config-v1.1.xml": xml(config())}, leaf, ["autoconfig.example.test"]) as (_, dns):
        run = discover(dns, "--ca-file", str(tmp_path / "ca.pem"), "--no-probe")
    reason = (
        "the certificate of autoconfig.example.test is not trusted "
        "(Hostname mismatch, certificate is not valid for 'autoconfig.example.test'.)"
    )
    assert run == Run(1, "", nothing_found(dns, reason))
    assert http_context(None).minimum_version is ssl.TLSVersion.TLSv1_2


def test_endless_body(discover: Any, rig_certs: RigCerts) -> None:
    run, dns = served(discover, rig_certs, endless)
    assert run == Run(1, "", nothing_found(dns, "the answer is longer than the 1048576 bytes allowed; abandoned"))


def content_length(value: str) -> Any:
    """A short clientConfig with ``value`` as its Content-Length header."""

    def answer(handler: Any) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/xml")
        handler.send_header("Content-Length", value)
        handler.end_headers()
        handler.wfile.write(b"<clientConfig/>")
        handler.close_connection = True

    return answer


@pytest.mark.parametrize("value", ["\u00b2", "9" * 5000], ids=["superscript-2", "5000-digits"])
def test_content_length_that_is_not_a_number(value: str, discover: Any, rig_certs: RigCerts) -> None:
    """Ignored, as the standard library does: the body is read to its end, bounded as ever."""
    run, dns = served(discover, rig_certs, content_length(value))
    assert run == Run(1, "", nothing_found(dns, "no <emailProvider> in <clientConfig>"))


def test_a_body_shorter_than_its_content_length(discover: Any, rig_certs: RigCerts) -> None:
    """A whole, well-formed clientConfig, but the connection ends 100 bytes before the length announced: a body cut
    short (a dropped connection, a proxy's limit) is not the provider's document. It was taken as complete."""
    body = config(server("imap", "imap.example.test", 993)).encode()

    def answer(handler: Any) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/xml")
        handler.send_header("Content-Length", str(len(body) + 100))
        handler.end_headers()
        handler.wfile.write(body)
        handler.close_connection = True

    run, dns = served(discover, rig_certs, answer)
    reason = f"the connection ended after {len(body)} of the {len(body) + 100} bytes the answer announced"
    assert run == Run(1, "", nothing_found(dns, reason))


@pytest.mark.parametrize("coding", ["gzip", "br"])
def test_a_compressed_answer_is_named(coding: str, discover: Any, rig_certs: RigCerts) -> None:
    """http.client asks for the answer uncompressed (Accept-Encoding: identity); a server that compresses it all the
    same (a config-v1.1.xml.gz served with Content-Encoding: gzip) gave `line 1:1: not well-formed XML (not
    well-formed (invalid token))`, which sends the user looking for a broken file. Nothing is decompressed (a small
    gzip body can unpack to gigabytes)."""
    body = gzip.compress(config(server("imap", "imap.example.test", 993)).encode())
    run, dns = served(discover, rig_certs, (200, {"Content-Type": "text/xml", "Content-Encoding": coding}, body))
    reason = (
        f"the answer is compressed (Content-Encoding: {coding}), though mailconf asked for it uncompressed "
        "(Accept-Encoding: identity)"
    )
    assert run == Run(1, "", nothing_found(dns, reason))
    # an error page is named by its status, compressed or not
    run, dns = served(discover, rig_certs, (404, {"Content-Encoding": coding}, body))
    assert run == Run(1, "", nothing_found(dns, "HTTP 404 Not Found"))


def transfer_coded(codings: str, body: bytes) -> Any:
    """200 with ``Transfer-Encoding: codings`` and ``body``, gzip-compressed when the codings name gzip, chunked when
    they end in chunked (RFC 9112 s6.1: the last coding), else ended by closing the connection."""

    def answer(handler: Any) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/xml")
        handler.send_header("Transfer-Encoding", codings)
        handler.end_headers()
        data = gzip.compress(body) if "gzip" in codings else body
        chunked = codings.replace(" ", "").lower().endswith("chunked")
        handler.wfile.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(data), data) if chunked else data)
        handler.close_connection = True

    return answer


@pytest.mark.parametrize("codings", ["gzip", "gzip, chunked", "x-gzip,chunked"])
def test_a_transfer_coding_other_than_chunked_is_named(codings: str, discover: Any, rig_certs: RigCerts) -> None:
    """mailconf asks for no transfer coding but chunked (it sends no TE field: RFC 9112 s7.4), and http.client decodes
    chunked only when it is the field's whole value: a body in gzip (alone, or under chunked) was read as it came, gzip
    bytes or chunk sizes and gzip bytes, and named `line 1:1: not well-formed XML (not well-formed (invalid token))`,
    which sends the user looking for a broken file, as a Content-Encoding did."""
    body = config(server("imap", "imap.example.test", 993)).encode()
    run, dns = served(discover, rig_certs, transfer_coded(codings, body))
    reason = (
        f"the answer is in a transfer coding mailconf did not ask for (Transfer-Encoding: {codings}); it reads "
        "chunked only"
    )
    assert run == Run(1, "", nothing_found(dns, reason))
    with web_and_dns({"/mail/config-v1.1.xml": transfer_coded("Chunked", body)}, rig_certs.leaf,
                     ["autoconfig.example.test"]) as (_, dns):  # fmt: skip
        run = discover(dns, "--no-probe")
    origin = f"from autoconfig {AUTOCONFIG}; not probed (--no-probe)"
    warning = "mailconf: warning: no outgoing server found; add it by hand\n"
    assert run == Run(0, account(incoming=(origin, imaps_at(993))), warning)


def test_the_rig_web_server_is_quiet_when_a_client_resets(capfd: pytest.CaptureFixture[str]) -> None:
    """A client that resets the connection with the answer unread (as discover does with an answer it refuses) is
    no error of the rig's web server: it printed the reset's traceback into the standard error the discover fixture
    compares (on Python 3.13 under TLS too, where test_a_compressed_answer_is_named failed). Its other errors are
    printed still."""

    def broken(handler: Any) -> None:
        raise ValueError("broken route")

    with WebServer({"/mail/config-v1.1.xml": xml("<x/>"), "/broken": broken}, None) as web:
        before = set(threading.enumerate())
        for path in ("/mail/config-v1.1.xml", "/broken"):
            with socket.create_connection((web.address, web.port)) as client:
                client.sendall(f"GET {path} HTTP/1.1\r\nHost: autoconfig.example.test\r\n\r\n".encode())
                client.recv(1)  # the answer begins (or the server hangs up); the rest is left unread
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close = reset
        for thread in set(threading.enumerate()) - before:  # the handlers, each ending on the reset or the error
            thread.join(10)
    errors = [line for line in capfd.readouterr().err.splitlines() if line and not line.startswith((" ", "-"))]
    assert errors[0].startswith("Exception occurred during processing of request from ")
    assert errors[1:] == ["Traceback (most recent call last):", "ValueError: broken route"]


def test_an_identity_content_encoding_is_read(discover: Any, rig_certs: RigCerts) -> None:
    """Content-Encoding: identity (any case) is no compression: the answer is read."""
    answer = (
        200,
        {"Content-Type": "text/xml", "Content-Encoding": "Identity"},
        config(server("imap", "imap.example.test", 993)).encode(),
    )
    with web_and_dns({"/mail/config-v1.1.xml": answer}, rig_certs.leaf, ["autoconfig.example.test"]) as (_, dns):
        run = discover(dns, "--no-probe")
    origin = f"from autoconfig {AUTOCONFIG}; not probed (--no-probe)"
    assert run == Run(
        0,
        account(incoming=(origin, "protocol: imap\nhost: imap.example.test\nport: 993\nsecurity: tls\nauth: password")),
        "mailconf: warning: no outgoing server found; add it by hand\n",
    )


def test_redirect_to_http(discover: Any, rig_certs: RigCerts) -> None:
    run, dns = served(discover, rig_certs, redirect("http://autoconfig.example.test/mail/config-v1.1.xml"))
    reason = (
        "redirected to http://autoconfig.example.test/mail/config-v1.1.xml: refused "
        "(redirects are followed to https:// only)"
    )
    assert run == Run(1, "", nothing_found(dns, reason))


@pytest.mark.parametrize(
    ("location", "reason"),
    [("https://[::1/x", "redirected to https://[::1/x: not a valid URL (Invalid IPv6 URL)"),
     ("https://autoconfig.example.test:99999/",
      "redirected to https://autoconfig.example.test:99999/: not a valid URL (Port out of range 0-65535)"),
     ("https://autoconfig.example.test:x/",
      "redirected to https://autoconfig.example.test:x/: not a valid URL "
      "(Port could not be cast to integer value as 'x')"),
     ("/caf\u00e9", "redirected to https://autoconfig.example.test/caf\u00e9: refused (its path is not ASCII)"),
     ("https://autoconfig.example.test:0/x",
      "redirected to https://autoconfig.example.test:0/x: not a valid URL (port 0)"),
     ("/a b", 'redirected to "https://autoconfig.example.test/a b": refused (its path has a space or a control '
      "character)")],  # a tab or a newline never gets here: urllib removes them from URLs
    ids=["bad-ipv6", "port-out-of-range", "port-not-a-number", "non-ascii-path", "port-0", "space"],
)  # fmt: skip
def test_redirect_to_no_valid_url(location: str, reason: str, discover: Any, rig_certs: RigCerts) -> None:
    run, dns = served(discover, rig_certs, redirect(location))
    assert run == Run(1, "", nothing_found(dns, reason))


@pytest.mark.parametrize(
    ("host", "why"),
    [("a..example.test", "A DNS label is empty."), ("a" * 64 + ".test", "A DNS label is > 63 octets long.")],
    ids=["empty-label", "64-character-label"],
)
def test_redirect_to_a_host_that_is_no_dns_name(host: str, why: str, discover: Any, rig_certs: RigCerts) -> None:
    run, dns = served(discover, rig_certs, redirect(f"https://{host}/mail/config-v1.1.xml"))
    assert run == Run(1, "", nothing_found(dns, f"A {host}: not a valid DNS name ({why})"))


@pytest.mark.parametrize("location", ["/loop", " /loop \t"], ids=["as-is", "white-space-around"])
def test_redirect_loop(location: str, discover: Any, rig_certs: RigCerts) -> None:
    """White space around the Location is not part of it (RFC 9110 s5.5): it was read as a path with a space."""
    run, dns = served(discover, rig_certs, redirect(location))
    reason = "more than 5 redirects (a loop?); last to https://autoconfig.example.test/loop"
    assert run == Run(1, "", nothing_found(dns, reason))


# --- DNS servers that misbehave, timed from outside ------------------------------------------


@contextlib.contextmanager
def _udp(reply: Callable[[bytes], bytes | None], port: int = 0) -> Iterator[str]:
    """A UDP server on 127.0.0.1 (``port``, by default any) that sends ``reply(datagram)`` back for each datagram
    (None: nothing); its address."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind((HOST, port))
    except OSError:
        sock.close()
        raise
    sock.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                data, peer = sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            answer = reply(data)
            if answer is not None:
                sock.sendto(answer, peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"{HOST}:{sock.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        sock.close()


def udp_server(garbage: bool) -> contextlib.AbstractContextManager[str]:
    """A UDP 'DNS server' on 127.0.0.1 that answers every query with garbage, or never answers."""
    # the query's id, then bytes that are no DNS message
    return _udp(lambda query: query[:2] + b"\x81\x80\xff\xff garbage that is not DNS" if garbage else None)


@contextlib.contextmanager
def crafted_dns(answer: Callable[[dns.message.QueryMessage], dns.message.Message]) -> Iterator[Any]:
    """A UDP DNS server on 127.0.0.1 that answers each query with ``answer(query)``: what dnsmasq will not serve.

    It stands where the discover fixture takes a :class:`Dnsmasq` (it has the ``server`` it reads)."""

    def reply(data: bytes) -> bytes:
        query = dns.message.from_wire(data)
        assert isinstance(query, dns.message.QueryMessage)
        return answer(query).to_wire()

    with _udp(reply) as address:
        yield types.SimpleNamespace(server=address)


def run_process(*args: str, timeout: float) -> tuple[Run, float]:
    """`python -m mailconf discover ...` in a process of its own; how long it took to end."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "mailconf", "discover", *args], capture_output=True, text=True, env=env,
        timeout=timeout + 60, check=False,
    )  # fmt: skip
    return Run(done.returncode, done.stdout, done.stderr), time.monotonic() - started


#: startup and teardown of a Python process on a loaded 2-core machine; generous on purpose
MARGIN = 15.0


def test_dns_server_that_never_answers() -> None:
    with udp_server(garbage=False) as address:
        run, took = run_process(ADDRESS, "--dns-server", address, "--ispdb-url", "https://ispdb.test/v1/",
                                "--timeout", "2", timeout=2)  # fmt: skip
    assert took < 2 + MARGIN
    lines = [
        f"no usable server found for {ADDRESS}:",
        f"  autoconfig {AUTOCONFIG}: no answer within the 2 s deadline",
        f"  autoconfig {WELL_KNOWN}: no answer within the 2 s deadline",
        "  ispdb https://ispdb.test/v1/example.test: no answer within the 2 s deadline",
        "  mx example.test: no answer within the 2 s deadline",
        "  srv _*._tcp.example.test: no answer within the 2 s deadline",
    ]
    assert run == Run(1, "", "".join(f"mailconf: {line}\n" for line in lines))


@contextlib.contextmanager
def black_hole_resolver(directory: Path) -> Iterator[tuple[Path, list[str]]]:
    """A resolv.conf whose one name server, on port 53 of a loopback address of its own, never answers, and glibc
    asks it for 30 s, 5 times over (the most it allows): (the file, the names asked, as they come)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((loopback_address(53), 53))
    sock.settimeout(0.2)
    stop = threading.Event()
    asked: list[str] = []

    def listen() -> None:
        while not stop.is_set():
            try:
                data = sock.recv(4096)
            except TimeoutError:
                continue
            with contextlib.suppress(Exception):
                asked.append(dns.message.from_wire(data).question[0].name.to_text())

    conf = directory / "resolv.conf"
    conf.write_text(f"nameserver {sock.getsockname()[0]}\noptions timeout:30 attempts:5\n")
    conf.chmod(0o644)
    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    try:
        yield conf, asked
    finally:
        stop.set()
        thread.join(5)
        sock.close()


@pytest.mark.parametrize("probe", [True, False], ids=["probed", "no-probe"])
def test_a_system_resolver_that_never_answers_is_not_waited_for(tmp_path: Path, probe: bool) -> None:
    """Without --dns-server, web hosts and the servers to probe are resolved by the system (getaddrinfo), in
    threads the deadline does not end: they are abandoned, not waited for. The run ends by its deadline, as it
    says, with no word from them, while glibc still waits for its name server (in a mount namespace of its own,
    /etc/resolv.conf names one that never answers; dnspython's MX and SRV queries go there too)."""
    if os.geteuid() != 0:
        pytest.skip("needs root (unshare -m and a bind mount over /etc/resolv.conf, in a namespace of its own)")
    unshare = need("unshare")["unshare"]
    ispdb = tmp_path / "ispdb"
    ispdb.mkdir()
    (ispdb / "example.test.xml").write_text(config(server("imap", "imap.example.test", 993),
                                                   server("smtp", "smtp.example.test", 465)))  # fmt: skip
    script = 'mount --bind "$0" /etc/resolv.conf && exec "$@"'
    with black_hole_resolver(tmp_path) as (conf, asked):
        started = time.monotonic()
        done = subprocess.run(
            [unshare, "--mount", "--propagation", "private", "/bin/sh", "-c", script, str(conf), sys.executable,
             "-m", "mailconf", "discover", ADDRESS, "--ispdb", str(ispdb), "--timeout", "2",
             *([] if probe else ["--no-probe"])],
            capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60, check=False,
        )  # fmt: skip
        took = time.monotonic() - started
    assert took < 2 + MARGIN  # a bound, not a benchmark: each getaddrinfo here takes 150 s
    assert "autoconfig.example.test." in asked  # the system's resolver was asked, and never answered
    origin = f"ispdb {ispdb / 'example.test.xml'}"
    if not probe:  # taken at half the deadline, while the autoconfig lookups still resolve
        assert Run(done.returncode, done.stdout, done.stderr) == Run(0, account(
            incoming=(f"from {origin}; not probed (--no-probe)",
                      "protocol: imap\nhost: imap.example.test\nport: 993\nsecurity: tls\nauth: password"),
            outgoing=(f"from {origin}; not probed (--no-probe)",
                      "protocol: smtp\nhost: smtp.example.test\nport: 465\nsecurity: tls\nauth: password"),
        ), "")  # fmt: skip
        return
    assert "imap.example.test." in asked  # the probe's lookup, never answered either
    lines = [
        f"imap://imap.example.test:993 from {origin} failed the probe: no verdict within the 2 s deadline; taking "
        "the next candidate",
        f"smtp://smtp.example.test:465 from {origin} failed the probe: no verdict within the 2 s deadline; taking "
        "the next candidate",
        f"no usable server found for {ADDRESS}:",
        f"  autoconfig {AUTOCONFIG}: no answer within the 2 s deadline",
        f"  autoconfig {WELL_KNOWN}: no answer within the 2 s deadline",
        f"  {origin}: only servers that failed the probe",
        "  mx example.test: no answer within the 2 s deadline",
        "  srv _*._tcp.example.test: no answer within the 2 s deadline",
    ]
    assert Run(done.returncode, done.stdout, done.stderr) == Run(
        1, "", "".join(f"mailconf: {line}\n" for line in lines)
    )


def closed_udp_port() -> str:
    """127.0.0.1:PORT where nothing listens over UDP: a port the kernel gave a socket, closed again."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((HOST, 0))
        return f"{HOST}:{sock.getsockname()[1]}"


def every_lookup_failed(reason: str, ispdb: str = "https://ispdb.test/v1.1/") -> str:
    """What discover says when every lookup of ADDRESS fails with the same DNS ``reason``."""
    lines = [
        f"no usable server found for {ADDRESS}:",
        f"  autoconfig {AUTOCONFIG}: A autoconfig.example.test: {reason}",
        f"  autoconfig {WELL_KNOWN}: A example.test: {reason}",
        f"  ispdb {ispdb}example.test: A ispdb.test: {reason}",
        f"  mx example.test: MX example.test: {reason}",
        f"  srv _*._tcp.example.test: SRV _imaps._tcp.example.test: {reason} (and 5 more SRV lookups failed)",
    ]
    return "".join(f"mailconf: {line}\n" for line in lines)


def test_dns_server_port_where_nothing_listens() -> None:
    """A closed UDP port answers with an ICMP port unreachable at once; every lookup waited out the deadline and said
    no answer came. The query now goes on a connected socket, which hears of the refusal (ECONNREFUSED): said at
    once, for what the deadline allows, well before the 20 s it was given."""
    address = closed_udp_port()
    run, took = run_process(ADDRESS, "--dns-server", address, "--ispdb-url", "https://ispdb.test/v1/",
                            "--timeout", "20", timeout=20)  # fmt: skip
    assert took < 20
    refused = f"{address} refused the DNS query (nothing listens there?)"
    assert run == Run(1, "", every_lookup_failed(refused, ispdb="https://ispdb.test/v1/"))


def test_an_answer_too_long_for_udp_is_asked_again_over_tcp() -> None:
    """dnsmasq sets TC on an answer over 512 bytes to a query without EDNS (RFC 1035 4.2.1): the lookup asks again
    over TCP and has every record, as dnspython's udp_with_fallback did before discover sent its own UDP query."""
    hosts = [f"mx{i:02}.example.test" for i in range(40)]
    with Dnsmasq([f"mx-host=example.test,{host},{i}" for i, host in enumerate(hosts)]) as dnsmasq:
        address, port = parse_server(dnsmasq.server)
        over_udp = dns.query.udp(dns.message.make_query("example.test", "MX"), address, timeout=5, port=port)
        assert over_udp.flags & dns.flags.TC  # the premise: truncated over UDP
        found = Dns((address, port)).mx("example.test", time.monotonic() + 10)
    assert sorted(found) == [Mx(i, host) for i, host in enumerate(hosts)]


def test_dns_server_that_answers_garbage() -> None:
    with udp_server(garbage=True) as address:
        run, took = run_process(ADDRESS, "--dns-server", address, "--ispdb-url", "https://ispdb.test/v1/",
                                "--timeout", "3", timeout=3)  # fmt: skip
    assert took < 3 + MARGIN
    garbage = f"the DNS server {address} answered garbage (not a valid DNS message)"
    assert run == Run(1, "", every_lookup_failed(garbage, ispdb="https://ispdb.test/v1/"))


def test_an_mx_host_that_is_a_path_is_not_followed(discover: Any, tmp_path: Path) -> None:
    """A DNS label holds any byte, '/' too: MX mx.<a path> made --ispdb DIR read that file, outside DIR, and
    take its servers (and autoconfig.<a path> was fetched)."""
    ispdb = tmp_path / "ispdb"
    ispdb.mkdir()
    outside = Path(tempfile.mkdtemp(prefix="mc-mx-", dir="/tmp"))  # a DNS label is 63 octets at most
    try:
        (outside / "x.test").write_text(config(server("imap", "evil.test", 993), domain="evil.test"))
        mx = f"mx.{outside}/x.test"
        with Dnsmasq([f"mx-host=example.test,{mx},10"]) as dns:
            run = discover(dns, "--ispdb", str(ispdb), "--no-probe")
    finally:
        shutil.rmtree(outside)
    ispdb_line = f"ispdb {ispdb / 'example.test.xml'}: no file for example.test in {ispdb}"
    mx_line = f"the MX host {double_quoted(mx)} is not a host name"
    assert run == Run(1, "", nothing_found(dns, ispdb=ispdb_line, mx=mx_line))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["alice"], "alice is not an e-mail address (name@domain.example)"),
        # an IP address as the domain (no mail domain; RFC 5321 brackets it): every lookup was made and failed
        *(
            ([f"alice@{ip}"], f"alice@{ip}: the domain is an IP address; give the domain name of the address "
                              "(name@domain.example)")
            for ip in ("192.0.2.1", "127.1", "2130706433", "0x7f000001")
        ),
        (["alice@b\u00fccher.example"],
         "alice@b\u00fccher.example: the domain is not ASCII; give its IDNA form (xn--...), as the account file "
         "holds it"),
        (['"john doe"@example.test'],
         "'\"john doe\"@example.test': a quoted local part cannot be written into an account file "
         "(name@domain.example)"),
        # bytes that are not UTF-8 (a Latin-1 terminal's é): an internal error (UnicodeEncodeError) in quote()
        (["\udce9@example.test"], "'\\udce9@example.test': the address is not UTF-8 text; write it in UTF-8"),
        ([ADDRESS, "--dns-server", "dns.example"],
         "--dns-server dns.example: dns.example is not an IP address (a DNS server is given by address)"),
        ([ADDRESS, "--dns-server", "127.0.0.1:99999"], "--dns-server 127.0.0.1:99999: 99999 is not a port (1-65535)"),
        # str.isdigit() took "²": int()'s own words were the message (invalid literal for int() with base 10: '²')
        ([ADDRESS, "--dns-server", "127.0.0.1:\u00b2"],
         "--dns-server 127.0.0.1:\u00b2: \u00b2 is not a port (1-65535)"),
        # and Arabic-Indic digits were port 53, while +53 was refused
        ([ADDRESS, "--dns-server", "127.0.0.1:\u0665\u0663"],
         "--dns-server 127.0.0.1:\u0665\u0663: \u0665\u0663 is not a port (1-65535)"),
        # an unclosed bracket was [::1]:53
        ([ADDRESS, "--dns-server", "[::1"], "--dns-server [::1: expected [IPv6] or [IPv6]:PORT"),
        ([ADDRESS, "--name", "my work"], "--name 'my work': an account name is 1-64 letters, digits, '.', '_' or '-'"),
        # empty is not "not given": it is refused too, before anything is looked up
        ([ADDRESS, "--name", ""], "--name '': an account name is 1-64 letters, digits, '.', '_' or '-'"),
        ([ADDRESS, "--timeout", "0"], "--timeout 0: give seconds above 0, at most 3600"),
        # as typed, not the float it became: they said 1e+20, inf and 0; a word was click's own three lines
        *(
            ([ADDRESS, "--timeout", typed], f"--timeout {typed}: give seconds above 0, at most 3600")
            for typed in ("99999999999999999999", "1e400", "1e-400", "nan", "ten")
        ),
        ([ADDRESS, "--ispdb", "/nonexistent"],
         "--ispdb /nonexistent: not a directory (give a copy of the ispdb/ folder)"),
        ([ADDRESS, "--ispdb-url", "ftp://x/"],
         "--ispdb-url ftp://x/: give an https:// or http:// URL (the domain is appended)"),
        # no host: refused up front (each lookup failed later, after the others had run)
        ([ADDRESS, "--ispdb-url", "http://"], "--ispdb-url http://: not a valid URL (no host)"),
        ([ADDRESS, "--ispdb-url", "https:///v1.1/"], "--ispdb-url https:///v1.1/: not a valid URL (no host)"),
        # an empty value is shown as '': `--ispdb-url : give ...` read as a word left out
        ([ADDRESS, "--ispdb-url", ""], "--ispdb-url '': give an https:// or http:// URL (the domain is appended)"),
        ([ADDRESS, "--dns-server", ""], "--dns-server '': '' is not an IP address (a DNS server is given by address)"),
        ([ADDRESS, "-o", ""], EMPTY_OUTPUT),
        # it said `use --force to replace it`, and with --force the writer refused it, after every lookup
        ([ADDRESS, "--dns-server", "127.0.0.1:9", "--timeout", "1", "-o", "/dev/null"],
         "/dev/null: is a character device, not a regular file; remove it or choose another -o"),
        ([ADDRESS, "--dns-server", "127.0.0.1:9", "--timeout", "1", "-o", "/dev/null", "--force"],
         "/dev/null: is a character device, not a regular file; remove it or choose another -o"),
        # it said `--ca-file : cannot be read (No such file or directory)` and `--ispdb : not a directory`
        ([ADDRESS, "--ca-file", ""],
         "--ca-file '': an empty path names no file (an unset variable?); name a PEM file of CA certificates"),
        ([ADDRESS, "--ispdb", ""],
         "--ispdb '': an empty path names no directory (an unset variable?); name a copy of the ispdb/ folder"),
        ([ADDRESS, "--ispdb-url", "https://[::1/"], "--ispdb-url https://[::1/: not a valid URL (Invalid IPv6 URL)"),
        ([ADDRESS, "--ispdb-url", "https://x.test:99999/"],
         "--ispdb-url https://x.test:99999/: not a valid URL (Port out of range 0-65535)"),
        ([ADDRESS, "--ispdb-url", "https://x.test/caf\u00e9/"],
         "--ispdb-url https://x.test/caf\u00e9/: not a valid URL (a space or a character that is not ASCII; "
         "percent-encode it)"),
        ([ADDRESS, "--ca-file", "/nonexistent.pem"],
         "--ca-file /nonexistent.pem: cannot be read (No such file or directory); give a PEM file of CA certificates"),
    ],
)  # fmt: skip
def test_usage_errors(args: list[str], message: str, capfd: pytest.CaptureFixture[str]) -> None:
    from mailconf.cli import main

    capfd.readouterr()
    code = main(["discover", *args])
    assert (code, *capfd.readouterr()) == (2, "", f"mailconf: {message}\n")


@pytest.mark.parametrize(
    ("args", "address", "message"),
    [
        ([], f"{ADDRESS}\n", f"'{ADDRESS}\\n' is not an e-mail address (name@domain.example)"),
        (["--name", "work\n"], ADDRESS, "--name 'work\\n': an account name is 1-64 letters, digits, '.', '_' or '-'"),
    ],
    ids=["address", "name"],
)
def test_a_trailing_newline_is_refused_before_anything_is_looked_up(
    args: list[str], address: str, message: str, discover: Any, rig_certs: RigCerts
) -> None:
    """The address and --name were matched with Python's ``$``, which also matches before a final newline (a line
    read from a file, passed on as it is): `alice@example.test\\n` was looked up (as example.test\\n) and every server
    found was left out as `not a valid account file server`, as the account file's validation reads ``$`` as
    ECMA-262 does; `--name 'work\\n'` got as far as the account written, and an internal error (exit 3)."""
    body = config(server("imap", "imap.example.test", 993))
    with web_and_dns({"/mail/config-v1.1.xml": xml(body)}, rig_certs.leaf, ["autoconfig.example.test"]) as (web, dns):
        run = discover(dns, "--no-probe", *args, address=address)
    assert (run, web.requests) == (Run(2, "", f"mailconf: {message}\n"), [])


def test_an_ispdb_url_with_a_password_is_refused_without_showing_it(discover: Any, rig_certs: RigCerts) -> None:
    """A user name and password in --ispdb-url were never sent (http.client does no HTTP authentication): the
    ISPDB was asked without them, and the URL, password and all, was in every line that named the lookup and in
    the comment of every server the ISPDB gave, in the account file written."""
    body = config(server("imap", "imap.example.test", 993))
    with web_and_dns({"/v1.1/example.test": xml(body)}, rig_certs.leaf, ["ispdb.test"]) as (web, dns):
        run = discover(dns, "--no-probe", "--ispdb-url", "https://bob:hunter2@ispdb.test/v1.1/")
    message = (
        "mailconf: --ispdb-url https://...@ispdb.test/v1.1/: discover sends no user name or password (no HTTP "
        "authentication), and would show them in its output; give the URL without them\n"
    )
    assert (run, web.requests) == (Run(2, "", message), [])


def test_ca_file_that_is_a_named_pipe(tmp_path: Path) -> None:
    """OpenSSL waited on the pipe for a writer forever, past --timeout (and SIGTERM). In a process of its own:
    a regression fails at the hang guard instead of never ending."""
    fifo = tmp_path / "ca.pem"
    os.mkfifo(fifo)
    run, _ = run_process(ADDRESS, "--ca-file", str(fifo), "--timeout", "2", timeout=2)
    assert run == Run(2, "", f"mailconf: --ca-file {fifo}: is not a regular file; give a PEM file of CA certificates\n")


def test_ca_file_that_is_not_pem(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    from mailconf.cli import main

    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate\n")
    capfd.readouterr()
    code = main(["discover", ADDRESS, "--ca-file", str(bad)])
    message = (
        f"mailconf: --ca-file {bad}: cannot be read (not a PEM certificate file); give a PEM file of CA certificates\n"
    )
    assert (code, *capfd.readouterr()) == (2, "", message)


def test_srv_targets_that_are_no_host_names_are_left_out(discover: Any) -> None:
    """A DNS label holds any byte: SRV targets "dead:beef." and "192.0.2.1." were written as hosts, which the
    account file (and every client) reads as IP addresses; port 0 was left out with a note about the username."""
    with Dnsmasq([
        "srv-host=_imaps._tcp.example.test,dead:beef,993",
        "srv-host=_imap._tcp.example.test,imap.example.test,0",
        "srv-host=_pop3s._tcp.example.test,0x7f000001,995",  # what getaddrinfo reads as 127.0.0.1, as 127.1
        "srv-host=_pop3._tcp.example.test,127.1,110",
        "srv-host=_submissions._tcp.example.test,192.0.2.1,465",
    ]) as dns:  # fmt: skip
        run = discover(dns, "--no-probe")
    srv = (
        '_imaps._tcp.example.test: target "dead:beef" left out: not a host name; '
        "_imap._tcp.example.test: target imap.example.test left out: port 0 is not a port; "
        '_pop3s._tcp.example.test: target "0x7f000001" left out: not a host name; '
        '_pop3._tcp.example.test: target "127.1" left out: not a host name; '
        '_submissions._tcp.example.test: target "192.0.2.1" left out: not a host name'
    )
    assert run == Run(1, "", nothing_found(dns, srv=srv))


def test_an_srv_target_of_dot_is_said_not_offered(discover: Any) -> None:
    """RFC 2782: the target "." says the service is decidedly not offered; the note quotes it as every value is."""
    with Dnsmasq(["srv-host=_imaps._tcp.example.test"]) as dns:  # no target: dnsmasq answers "."
        run = discover(dns, "--no-probe")
    assert run == Run(1, "", nothing_found(dns, srv='_imaps._tcp.example.test: target ".", not offered'))


#: a DNS name of three labels of 63 bytes 0xFF each: dnspython writes each byte as \\255 (758 characters)
BYTES_NAME = ".".join(["\\255" * 63] * 3)


def bytes_targets(query: dns.message.QueryMessage) -> dns.message.Message:
    """_imaps SRV and MX answers whose target is :data:`BYTES_NAME`; nothing else."""
    response = dns.message.make_response(query)
    asked = query.question[0]
    record = {
        "_imaps._tcp.example.test.": ("SRV", f"0 0 993 {BYTES_NAME}."),
        "example.test.": ("MX", f"10 {BYTES_NAME}."),
    }
    rdtype, data = record.get(asked.name.to_text(), ("", ""))
    if rdtype and dns.rdatatype.to_text(asked.rdtype) == rdtype:
        response.answer.append(dns.rrset.from_text(asked.name, 60, "IN", rdtype, data))
    return response


def test_a_long_target_that_is_no_host_name_is_shown_cut(discover: Any) -> None:
    """An SRV target or an MX host that is no host name was quoted whole: a DNS name of bytes no host name holds is
    up to 1,000 characters as text, and each SRV record left out has its note (five shown), so the reason was a line
    of several thousand characters. It is cut as every value from the network is (values.shown)."""
    with crafted_dns(bytes_targets) as dns_server:
        run = discover(dns_server, "--no-probe")
    quoted = '"' + "\\\\255" * 16 + '"... (758 characters)'
    assert run == Run(1, "", nothing_found(
        dns_server,
        mx=f"the MX host {quoted} is not a host name",
        srv=f"_imaps._tcp.example.test: target {quoted} left out: not a host name",
    ))  # fmt: skip


def test_an_mx_that_is_an_ip_address_is_not_followed(discover: Any) -> None:
    """MX 192.0.2.1. (a common mistake, or a hostile answer): its "base domain" 2.1 was looked up (autoconfig.2.1
    and the ISPDB for 2.1), and servers under it would have passed as the MX's domain, unflagged."""
    with Dnsmasq(["mx-host=example.test,192.0.2.1,10"]) as dns:
        run = discover(dns, "--no-probe")
    mx = "the MX host 192.0.2.1 looks like an IP address, not a host name (RFC 5321 section 5.1)"
    assert run == Run(1, "", nothing_found(dns, mx=mx))


def test_a_local_part_with_a_placeholder_is_not_filled_in_again(discover: Any, rig_certs: RigCerts) -> None:
    """'%' is allowed in a local part: %EMAILLOCALPART% gave 'a%EMAILDOMAIN%', which the next placeholder's pass
    turned into 'aexample.test', a username the server never said."""
    body = config(server("imap", "imap.example.test", 993, username="%EMAILLOCALPART%"))
    with web_and_dns({"/mail/config-v1.1.xml": xml(body)}, rig_certs.leaf, ["autoconfig.example.test"]) as (_, dns):
        run = discover(dns, "--no-probe", address="a%EMAILDOMAIN%@example.test")
    assert run == Run(0, "\n".join([
        "# mailconf discover a%EMAILDOMAIN%@example.test",
        "# add password_command (or token_command for oauth2) to each server",
        "version: 1",
        "accounts:",
        "  example.test:",
        '    address: "a%EMAILDOMAIN%@example.test"',
        f"    incoming:  # from autoconfig {AUTOCONFIG}; not probed (--no-probe)",
        "      protocol: imap",
        "      host: imap.example.test",
        "      port: 993",
        "      security: tls",
        "      auth: password",
        '      username: "a%EMAILDOMAIN%"',  # '%' is no plain-scalar character to emit.py
    ]) + "\n", "mailconf: warning: no outgoing server found; add it by hand\n")  # fmt: skip


def test_a_username_a_yaml_1_1_reader_takes_for_a_date_is_quoted(discover: Any, rig_certs: RigCerts) -> None:
    """emit.py quotes what YAML 1.1 or 1.2 would read as no string (``yes``, ``0777``, ``1:30``), but a date was written
    plain: ``username: 2001-12-14``, which PyYAML (``yaml.safe_load``, YAML 1.1), ruamel.yaml's safe loader and every
    other reader of YAML 1.1's timestamps take for a date, not the user name the provider's file said."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.version = (1, 1)
    body = config(server("imap", "imap.example.test", 993, username="2001-12-14"))
    with web_and_dns({"/mail/config-v1.1.xml": xml(body)}, rig_certs.leaf, ["autoconfig.example.test"]) as (_, dns):
        run = discover(dns, "--no-probe")
    comment = f"from autoconfig {AUTOCONFIG}; not probed (--no-probe)"
    warning = "mailconf: warning: no outgoing server found; add it by hand\n"
    assert run == Run(0, account(incoming=(comment, imaps_at(993, 'username: "2001-12-14"'))), warning)
    assert yaml.load(run.out)["accounts"]["example.test"]["incoming"]["username"] == "2001-12-14"
    for stamp in (
        "2001-1-2t1:02:03",
        "2001-12-14t21:59:43.10-05:00",
        "2001-12-14 21:59:43.10 -5",
        "2001-12-14 21:59:43Z",
    ):
        assert yaml.load(f"username: {emit_scalar(stamp)}") == {"username": stamp}


def imaps_at(port: int, username: str = "") -> str:
    return f"protocol: imap\nhost: imap.example.test\nport: {port}\nsecurity: tls\nauth: password\n{username}"


def test_thousands_of_servers_left_out_are_one_short_line(discover: Any, rig_certs: RigCerts) -> None:
    """Each server left out has a note: 30000 Exchange entries (840 kB) made one reason line of 2.6 MB."""
    body = config('<incomingServer type="exchange"/>' * 30000)
    run, dns = served(discover, rig_certs, xml(body))
    note = '<incomingServer type="exchange"> left out: mailconf holds IMAP, POP3 and SMTP servers only'
    reason = "; ".join(["no IMAP, POP3 or SMTP server in it", *[note] * 5, "and 29995 more"])
    assert run == Run(1, "", nothing_found(dns, reason))


def test_a_huge_host_name_is_shown_cut(discover: Any, rig_certs: RigCerts) -> None:
    """A 900 kB <hostname> (and an <authentication> list as long) was repeated whole in the reason line."""
    host = "\u202e" + "a" * 900_000  # a right-to-left override first: escaped, as every control character
    run, dns = served(discover, rig_certs, xml(config(server("imap", host, 993))))
    note = f'<incomingServer type="imap"> left out: "\\u202e{"a" * 63}"... (900001 characters) is not a host name'
    assert run == Run(1, "", nothing_found(dns, f"no IMAP, POP3 or SMTP server in it; {note}"))
    many = "</authentication><authentication>".join(["x"] * 20_000)
    run, dns = served(discover, rig_certs, xml(config(server("imap", "imap.example.test", 993, auth=many))))
    note = '<incomingServer type="imap"> imap.example.test left out: authentication ' + ", ".join(['"x"'] * 5)
    reason = f"no IMAP, POP3 or SMTP server in it; {note} and 19995 more is none mailconf knows"
    assert run == Run(1, "", nothing_found(dns, reason))


def test_a_host_name_only_a_resolver_reads_as_an_address_is_left_out(discover: Any, rig_certs: RigCerts) -> None:
    """<hostname>0x7f000001</hostname> passed as a host name (a last label that is not all digits) and was written,
    `host: 0x7f000001`, flagged only as outside example.test (lint calls it a single-label name), while the
    system's resolver (inet_aton), and so the probe and the mail client, read it as 127.0.0.1: the provider's file
    pointed the account at the user's own machine under a name. SRV targets and MX hosts were refused so already.
    An IPv4 address written as one is still taken, as the account file holds it."""
    body = config(server("imap", "0x7f000001", 993), server("smtp", "0177.0.0.1", 465))
    with web_and_dns({"/mail/config-v1.1.xml": xml(body)}, rig_certs.leaf, ["autoconfig.example.test"]) as (_, dns):
        run = discover(dns, "--no-probe")
    notes = (
        '<incomingServer type="imap"> left out: "0x7f000001" is read as the number 0 (no value); '
        '<outgoingServer type="smtp"> left out: "0177.0.0.1" is not a host name'
    )
    assert run == Run(1, "", nothing_found(dns, f"no IMAP, POP3 or SMTP server in it; {notes}"))
    body = config(server("imap", "192.0.2.1", 993))
    with web_and_dns({"/mail/config-v1.1.xml": xml(body)}, rig_certs.leaf, ["autoconfig.example.test"]) as (_, dns):
        run = discover(dns, "--no-probe")
    flag = "CHECK: 192.0.2.1 is outside example.test"
    origin = f"{flag}; from autoconfig {AUTOCONFIG}; not probed (--no-probe)"
    assert run == Run(
        0,
        account(incoming=(origin, "protocol: imap\nhost: 192.0.2.1\nport: 993\nsecurity: tls\nauth: password")),
        f"mailconf: warning: no outgoing server found; add it by hand\nmailconf: warning: incoming 192.0.2.1: {flag}\n",
    )


def test_a_null_mx_is_named(discover: Any) -> None:
    """MX 0 . (RFC 7505) says the domain receives no mail at all; it was reported as no MX record."""
    with Dnsmasq(["mx-host=example.test,.,0"]) as dns:
        run = discover(dns, "--no-probe")
    assert run == Run(1, "", nothing_found(dns, mx="example.test has a null MX (RFC 7505): it receives no mail"))


def smtps_offering(context: ssl.SSLContext, mechanisms: Sequence[str]) -> Script:
    """Submission over implicit TLS whose EHLO offers ``mechanisms``."""

    def script(conn: socket.socket, stop: threading.Event) -> None:
        stream = context.wrap_socket(conn, server_side=True)
        stream.sendall(b"220 smtp.example.test ESMTP\r\n")
        for raw in stream.makefile("rb"):
            verb = raw.decode(errors="replace").strip().upper().partition(" ")[0]
            if verb in {"EHLO", "HELO"}:
                stream.sendall(f"250-smtp.example.test\r\n250 AUTH {' '.join(mechanisms)}\r\n".encode())
            elif verb == "QUIT":
                stream.sendall(b"221 bye\r\n")
                return
            else:
                stream.sendall(b"502 unknown\r\n")

    return script


def test_a_long_probe_summary_is_shown_cut(discover: Any, rig_certs: RigCerts) -> None:
    """The probe's summary, quoted in the server's comment and in a 'failed the probe' line, was the only text from
    the network that discover did not cut: a server naming many long mechanisms made a line of 900 characters. It
    is cut as every other value is, saying how long it was."""
    names = [f"X-{i:02d}-" + "M" * 35 for i in range(30)]  # 40 characters each: the probe's own cap for a name
    context = server_context(rig_certs.leaf)
    with (
        ScriptedServer(smtps_offering(context, names)) as bad,
        ScriptedServer(smtps_offering(context, ["PLAIN", *names])) as good,
    ):
        body = config(server("smtp", "smtp.example.test", bad.port), server("smtp", "smtp.example.test", good.port))
        routes = {"/mail/config-v1.1.xml": xml(body)}
        with web_and_dns(routes, rig_certs.leaf, ["autoconfig.example.test"]) as (_, dns):
            run = discover(dns)

    def cut(said: str) -> str:
        assert len(said) > MAX_TEXT
        return f"{said[:MAX_TEXT]}... ({len(said)} characters)"

    failed = cut(f"MC813 the server offers no password login (it offers {', '.join(names[:20])}, and 10 more)")
    passed = cut(f"SMTP over implicit TLS (TLSv1.3); login offered: PLAIN, {', '.join(names[:19])}, and 11 more")
    assert run == Run(0, account(outgoing=(f"from autoconfig {AUTOCONFIG}; probe: {passed}", (
        f"protocol: smtp\nhost: smtp.example.test\nport: {good.port}\nsecurity: tls\nauth: password"
    ))), (
        f"mailconf: smtp://smtp.example.test:{bad.port} from autoconfig {AUTOCONFIG} failed the probe: {failed}; "
        "taking the next candidate\n"
        "mailconf: warning: no incoming server found; add it by hand\n"
    ))  # fmt: skip


LONG_PATH = "/" + "a" * 60_000  # http.client reads a header line of up to 64 KiB


def cut(text: str) -> str:
    """``text`` as a line shows a longer text from the network (values.clipped)."""
    assert len(text) > MAX_TEXT
    return f"{text[:MAX_TEXT]}... ({len(text)} characters)"


def cut_quoted(text: str) -> str:
    """``text`` as a line shows a longer URL refused for a space in it (values.clipped_quoted), of printable ASCII."""
    assert len(text) > MAX_TEXT and text.isascii() and text.isprintable() and not {'"', "\\"} & set(text)
    return f'"{text[:MAX_TEXT]}"... ({len(text)} characters)'


def reason_phrase(handler: Any) -> None:
    handler.send_response(404, "x" * 60_000)
    handler.send_header("Content-Length", "0")
    handler.end_headers()


@pytest.mark.parametrize(
    ("route", "reason"),
    [(redirect(f"http://autoconfig.example.test{LONG_PATH}"),
      f"redirected to {cut(f'http://autoconfig.example.test{LONG_PATH}')}: refused (redirects are followed to "
      "https:// only)"),
     (redirect(f"https://autoconfig.example.test{LONG_PATH} x"),
      f"redirected to {cut_quoted(f'https://autoconfig.example.test{LONG_PATH} x')}: refused (its path has a "
      "space or a control character)"),
     (redirect("/loop" + LONG_PATH),
      f"more than 5 redirects (a loop?); last to {cut(f'https://autoconfig.example.test/loop{LONG_PATH}')}"),
     (reason_phrase, f"HTTP 404 {cut('x' * 60_000)}"),
     (redirect(f"https://{'a' * 60_000}/"), f"A {cut('a' * 60_000)}: not a valid DNS name (A DNS label is > 63 octets "
      "long.)")],
    ids=["to-http", "with-a-space", "loop", "reason-phrase", "to-a-long-host"],
)  # fmt: skip
def test_a_long_url_or_reason_phrase_is_shown_cut(route: Any, reason: str, discover: Any, rig_certs: RigCerts) -> None:
    """A redirect's Location (up to 64 KiB: its URL, its host) and the HTTP reason phrase were repeated whole in the
    reason line."""
    with web_and_dns(
        {"/mail/config-v1.1.xml": route, f"/loop{LONG_PATH}": redirect(f"/loop{LONG_PATH}")},
        rig_certs.leaf,
        ["autoconfig.example.test"],
    ) as (_, dns):
        run = discover(dns)
    assert run == Run(1, "", nothing_found(dns, reason))


def test_a_long_url_a_configuration_came_from_is_shown_cut(discover: Any, rig_certs: RigCerts) -> None:
    """The URL a redirect led to names where the servers came from, in the account's comments: it was whole."""
    body = config(server("imap", "imap.example.test", 993))
    routes = {"/mail/config-v1.1.xml": redirect(LONG_PATH), LONG_PATH: xml(body)}
    with web_and_dns(routes, rig_certs.leaf, ["autoconfig.example.test"]) as (_, dns):
        run = discover(dns, "--no-probe")
    origin = f"from autoconfig {cut(f'https://autoconfig.example.test{LONG_PATH}')}; not probed (--no-probe)"
    assert run == Run(0, account(incoming=(origin, "protocol: imap\nhost: imap.example.test\nport: 993\nsecurity: tls\n"
                                           "auth: password")),
                      "mailconf: warning: no outgoing server found; add it by hand\n")  # fmt: skip


def slow_headers(handler: Any) -> None:
    """A status line, then a header a byte at a time, each well within any socket timeout, until the server stops."""
    handler.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
    with contextlib.suppress(OSError):
        while not handler.server.stopping.wait(0.2):
            handler.wfile.write(b"a")
            handler.wfile.flush()


def test_headers_sent_a_byte_at_a_time_end_by_the_deadline(
    rig_certs: RigCerts, capfd: pytest.CaptureFixture[str]
) -> None:
    """The socket's timeout bounds one read, and http.client reads the headers in many: the lookup went on past the
    deadline for as long as the server kept sending (the command did not wait for it, but the thread, and the
    connection, stayed). Every read now ends by the deadline."""
    from mailconf.cli import main

    with web_and_dns({"/mail/config-v1.1.xml": slow_headers}, rig_certs.leaf, ["autoconfig.example.test"]) as (_, dns):
        capfd.readouterr()
        before = set(threading.enumerate())
        code = main(["discover", ADDRESS, "--dns-server", dns.server, "--ca-file", str(rig_certs.ca),
                     "--ispdb-url", "https://ispdb.test/v1.1/", "--timeout", "2"])  # fmt: skip
        lookups = [thread for thread in set(threading.enumerate()) - before if thread.name.startswith("mailconf")]
        for thread in lookups:
            thread.join(MARGIN)  # a hang guard only: each ends at the deadline, while the server still sends
        assert [thread.name for thread in lookups if thread.is_alive()] == []
    assert (code, *capfd.readouterr()) == (1, "", nothing_found(dns, "no answer within the 2 s deadline"))


def cname_loop(query: dns.message.QueryMessage) -> dns.message.Message:
    """Every name is a CNAME of loop1.example.test, which is one of loop2, which is one of loop1."""
    response = dns.message.make_response(query)
    asked = query.question[0].name.to_text()
    for owner, target in ((asked, "loop1.example.test."), ("loop1.example.test.", "loop2.example.test."),
                          ("loop2.example.test.", "loop1.example.test.")):  # fmt: skip
        response.answer.append(dns.rrset.from_text(owner, 60, "IN", "CNAME", target))
    return response


def test_a_cname_loop_is_named(discover: Any) -> None:
    """A well-formed answer whose CNAME chain loops was reported as garbage (not a valid DNS message)."""
    with crafted_dns(cname_loop) as dns_server:
        run = discover(dns_server, "--no-probe")
    loop = f"the DNS server {dns_server.server} answered a CNAME chain that loops or is longer than 16 names"
    assert run == Run(1, "", every_lookup_failed(loop))


def test_an_ispdb_answer_for_another_domain_is_refused(discover: Any, rig_certs: RigCerts, tmp_path: Path) -> None:
    """The ISPDB keys its files by the domains they list: a file for other domains only, in answer to example.test
    (a broken or hostile ISPDB, a catch-all server at --ispdb-url, a misnamed file in --ispdb DIR), is another
    provider's, and its servers were taken as example.test's."""
    body = config(server("imap", "imap.other.test", 993), domain="other.test")
    with web_and_dns({"/v1.1/example.test": xml(body)}, rig_certs.leaf, ["ispdb.test"]) as (_, dns):
        online = discover(dns, "--no-probe")
        (tmp_path / "example.test.xml").write_text(body)
        offline = discover(dns, "--no-probe", "--ispdb", str(tmp_path))
    other = 'the file is for "other.test" (its <domain> elements), not example.test'
    assert online == Run(1, "", nothing_found(dns, ispdb=f"ispdb https://ispdb.test/v1.1/example.test: {other}"))
    assert offline == Run(1, "", nothing_found(dns, ispdb=f"ispdb {tmp_path / 'example.test.xml'}: {other}"))


@pytest.mark.parametrize(
    "location",
    ["https://127.0.0.1/mail/config-v1.1.xml", "https://[::1]/x", "https://192.168.1.1:8443/x", "https://localhost/x",
     "https://dev.LOCALHOST./x", "https://2130706433/x", "https://0x7f000001/x", "https://loc\u00aalhost/x",
     "https://dev.l\u00bacalhost.:8443/x"],
    # decimal, hexadecimal: what the system's getaddrinfo (inet_aton) reads as 127.0.0.1; the last two are localhost
    # once in IDNA form (nameprep folds U+00AA to a, U+00BA to o): getaddrinfo, TLS and the Host header use that form
    ids=["loopback", "ipv6-loopback", "private", "localhost", "under-localhost", "decimal", "hexadecimal",
         "folded-to-localhost", "folded-to-under-localhost"],
)  # fmt: skip
def test_a_redirect_to_an_address_or_localhost_is_refused(location: str, discover: Any, rig_certs: RigCerts) -> None:
    """The provider's name redirected discover into the user's own machine or network: only the certificate check
    stood between it and a local service whose certificate is trusted (a development CA in the system's store
    certifies 127.0.0.1 and localhost), which got a GET of the path the redirect chose. A host that is localhost
    only in its IDNA form (``loc\u00aalhost``, the byte 0xAA in the Location header) passed the check, and the
    system's resolver, the certificate check and the Host header all took it for localhost."""
    run, dns = served(discover, rig_certs, redirect(location))
    reason = (
        f"redirected to {location}: refused (redirects are followed to host names, not to an IP address or localhost)"
    )
    assert run == Run(1, "", nothing_found(dns, reason))


@pytest.mark.parametrize(
    ("location", "bare"),
    [("https://bob:SECRET-PW@autoconfig.example.test/mail/config-v1.1.xml",
      "https://...@autoconfig.example.test/mail/config-v1.1.xml"),
     ("//SECRET-USER@autoconfig.example.test/x?a=b", "https://...@autoconfig.example.test/x?a=b"),
     ("https://bob:SECRET-PW@autoconfig.example.test:0/x", "https://...@autoconfig.example.test:0/x"),
     ("https://bob:SECRET-PW@autoconfig.example.test:99999/x", "https://...@autoconfig.example.test:99999/x")],
    ids=["password", "scheme-relative-user", "port-0", "bad-port"],
)  # fmt: skip
def test_a_redirect_to_a_url_with_a_user_name_or_password_is_refused_without_showing_them(
    location: str, bare: str, discover: Any, rig_certs: RigCerts
) -> None:
    """A redirect to ``https://bob:pw@host/...`` was followed (the user name and password were not sent: discover
    does no HTTP authentication), and the URL, password and all, was shown on standard error and written into the
    account file's comment (``# from autoconfig https://bob:pw@...``), as --ispdb-url is refused for (a provider's
    redirect to an internal URL with its credentials). It is refused, as the --ispdb-url is, and shown without them."""
    run, dns = served(discover, rig_certs, redirect(location))
    reason = f"redirected to {bare}: refused (discover sends no user name or password: no HTTP authentication)"
    assert run == Run(1, "", nothing_found(dns, reason))
    assert "SECRET" not in run.err


def test_a_redirect_to_no_valid_url_without_a_scheme_does_not_show_its_user_name_or_password(
    discover: Any, rig_certs: RigCerts
) -> None:
    """A Location urljoin refuses was shown as it came, password and all, when it had no scheme: without_userinfo
    looked for ``://`` only (``redirected to //bob:pw@[::1/x: not a valid URL (Invalid IPv6 URL)``)."""
    run, dns = served(discover, rig_certs, redirect("//bob:SECRET-PW@[::1/x"))
    reason = "redirected to //...@[::1/x: not a valid URL (Invalid IPv6 URL)"
    assert run == Run(1, "", nothing_found(dns, reason))
    assert "SECRET" not in run.err


def test_a_redirect_to_no_valid_url_with_a_tab_does_not_show_its_user_name_or_password(
    discover: Any, rig_certs: RigCerts
) -> None:
    """urljoin reads a Location without its tabs and line breaks (``/<TAB>/bob:pw@...`` is ``//bob:pw@...``), and
    without_userinfo looked at it as it came: ``redirected to /\\t/bob:SECRET-PW@[::1/x: not a valid URL``, the
    password shown. It is shown as urllib reads it, without them."""
    run, dns = served(discover, rig_certs, redirect("/\t/bob:SECRET-PW@[::1/x"))
    reason = "redirected to //...@[::1/x: not a valid URL (Invalid IPv6 URL)"
    assert run == Run(1, "", nothing_found(dns, reason))
    assert "SECRET" not in run.err


@pytest.mark.parametrize(
    ("host", "shown"),
    [("a b.example.test", "a b.example.test"), ("a\x00b.example.test", "a\\x00b.example.test"),
     ("a\x7fb.example.test", "a\\x7fb.example.test")],
    ids=["space", "nul", "del"],
)  # fmt: skip
def test_a_redirect_to_a_host_with_a_space_or_a_control_character_is_refused(
    host: str, shown: str, discover: Any, rig_certs: RigCerts
) -> None:
    """The host of a redirect's Location was asked of DNS, then given to http.client, which refuses it (InvalidURL,
    as it would break the Host header) outside what the fetch catches: the lookup said `internal error (InvalidURL);
    please report it`. It is now refused before anything is asked, as a path with a space is."""
    target = f"https://{host}/mail/config-v1.1.xml"
    run, dns = served(discover, rig_certs, redirect(target))
    reason = (
        f'redirected to "https://{shown}/mail/config-v1.1.xml": refused (its host has a space or a control character)'
    )
    assert run == Run(1, "", nothing_found(dns, reason))


def _truncated(data: bytes) -> bytes:
    """An empty answer to the query ``data``, with the truncated flag (TC) set."""
    response = dns.message.make_response(dns.message.from_wire(data))
    response.flags |= dns.flags.TC
    return response.to_wire()


def _tcp_and_udp_port() -> socket.socket:
    """A TCP socket bound to a port of 127.0.0.1 that is free for UDP too. The other way round (TCP on the port a UDP
    server got) failed now and then with EADDRINUSE: the two are separate port spaces, and other tests' servers
    listen on TCP ports all the time."""
    for _ in range(50):
        listener = socket.socket()
        listener.bind((HOST, 0))
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.bind(listener.getsockname())
            except OSError:
                listener.close()
                continue
        return listener
    raise RuntimeError("no port of 127.0.0.1 free for both TCP and UDP")


@contextlib.contextmanager
def truncated_over_udp(over_tcp: Callable[[bytes], bytes | None]) -> Iterator[Any]:
    """A scripted stand-in for a DNS server (dnsmasq answers TCP properly): over UDP on 127.0.0.1 every answer is
    empty and truncated (TC); over TCP on the same port each query is read and answered with ``over_tcp(query)``
    (None: the connection is closed unanswered). It stands where the discover fixture takes a :class:`Dnsmasq`."""
    listener = _tcp_and_udp_port()
    with _udp(_truncated, listener.getsockname()[1]) as address:
        listener.listen(16)
        listener.settimeout(0.2)
        stop = threading.Event()

        def answer(conn: socket.socket) -> None:
            conn.settimeout(5)
            query = b""
            wanted = int.from_bytes(conn.recv(2), "big")
            while len(query) < wanted and (piece := conn.recv(wanted - len(query))):
                query += piece
            reply = over_tcp(query)
            if reply is not None:
                conn.sendall(len(reply).to_bytes(2, "big") + reply)

        def serve() -> None:
            while not stop.is_set():
                try:
                    conn, _ = listener.accept()
                except TimeoutError:
                    continue
                except OSError:
                    return
                with conn, contextlib.suppress(OSError):  # the query read first: closed unread, it would be reset
                    answer(conn)

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        try:
            yield types.SimpleNamespace(server=address)
        finally:
            stop.set()
            thread.join(5)
            listener.close()


def test_a_dns_server_that_never_answers_aaaa_queries_costs_no_lookup(
    discover: Any, rig_certs: RigCerts, rig_dovecot: Dovecot, rig_smtp: SmtpServer
) -> None:
    """Some DNS servers answer A queries and never AAAA ones (RFC 4074 section 4.1). A host's addresses were its A
    records, then its AAAA records, each asked until the deadline: every web host and every server to probe had an
    IPv4 address, and every lookup said `no answer within the 10 s deadline`, after all of it. An AAAA query now
    gets half a second once the A query gave addresses (they are tried first anyway)."""
    body = config(
        server("imap", "imap.example.test", rig_dovecot.ports.imaps), server("smtp", "smtp.example.test", rig_smtp.port)
    )
    with WebServer({"/mail/config-v1.1.xml": xml(body)}, rig_certs.leaf) as web:
        names = {"autoconfig.example.test.": web.address, "imap.example.test.": HOST, "smtp.example.test.": HOST}

        def no_aaaa(data: bytes) -> bytes | None:
            query = dns.message.from_wire(data)
            asked = query.question[0]
            if asked.rdtype == dns.rdatatype.AAAA:
                return None
            response = dns.message.make_response(query)
            if asked.rdtype == dns.rdatatype.A and asked.name.to_text() in names:
                response.answer.append(dns.rrset.from_text(asked.name, 60, "IN", "A", names[asked.name.to_text()]))
            return response.to_wire()

        with _udp(no_aaaa) as address:
            # a shorter deadline: the fixture waits for the lookups of names with no A record (ispdb.test), whose
            # AAAA queries go unanswered until then
            run = discover(types.SimpleNamespace(server=address), "--timeout", "5")
    assert run == Run(0, account(
        incoming=(f"from autoconfig {AUTOCONFIG}; probe: {IMAPS_OK}", imaps(rig_dovecot)),
        outgoing=(f"from autoconfig {AUTOCONFIG}; probe: {SMTPS_OK}", smtps(rig_smtp)),
    ), "")  # fmt: skip


def test_a_dns_server_that_closes_the_tcp_connection_unanswered_is_named(discover: Any) -> None:
    """A UDP answer is truncated, so the lookup asks again over TCP; the server closed that connection without an
    answer, dnspython's read raised EOFError, which no handler took: every lookup said `internal error (EOFError);
    please report it`."""
    with truncated_over_udp(lambda query: None) as dns_server:
        run = discover(dns_server, "--no-probe")
    closed = f"the DNS server {dns_server.server} closed the TCP connection without an answer"
    assert run == Run(1, "", every_lookup_failed(closed))


def test_an_answer_truncated_over_tcp_too_is_named(discover: Any) -> None:
    """An answer truncated over UDP is asked again over TCP; the TCP answer was taken as it came even when it was
    truncated too (the records are not all there): an empty one read as no record at all, `no MX record for
    example.test`, `... has no address`."""
    with truncated_over_udp(_truncated) as dns_server:
        run = discover(dns_server, "--no-probe")
    truncated = f"the DNS server {dns_server.server} answered truncated over TCP too (an incomplete answer)"
    assert run == Run(1, "", every_lookup_failed(truncated))


def test_a_fetch_from_an_ip_address_after_the_deadline_is_cut_by_it(capfd: pytest.CaptureFixture[str]) -> None:
    """A URL whose host is an IP address (an --ispdb-url of a local mirror, a redirect within it) needs no DNS lookup,
    which is where a fetch begun after the deadline noticed it: the connection, made outside the fetch's handling of
    errors, raised TimeoutError, and `--timeout 0.001` said `ispdb http://127.0.0.1:9/example.test: internal error
    (TimeoutError); please report it`. It is the deadline's line, as every other lookup's."""
    from mailconf.cli import main
    from mailconf.discover.http import FetchError, fetch

    with pytest.raises(FetchError, match=r"^no answer before the deadline$"):
        fetch("http://127.0.0.1:9/example.test", time.monotonic() - 1, Dns(None), http_context(None))
    capfd.readouterr()
    code = main(["discover", ADDRESS, "--dns-server", "127.0.0.1:9", "--ispdb-url", "http://127.0.0.1:9/",
                 "--timeout", "0.001", "--no-probe"])  # fmt: skip
    cut = "no answer within the 0.001 s deadline"
    assert (code, *capfd.readouterr()) == (1, "", "".join(f"mailconf: {line}\n" for line in (
        f"no usable server found for {ADDRESS}:",
        f"  autoconfig {AUTOCONFIG}: {cut}",
        f"  autoconfig {WELL_KNOWN}: {cut}",
        f"  ispdb http://127.0.0.1:9/example.test: {cut}",
        f"  mx example.test: {cut}",
        f"  srv _*._tcp.example.test: {cut}",
    )))  # fmt: skip


def test_dns_server_with_a_port_outside_brackets_gets_a_hint() -> None:
    """``::1:5353`` is the IPv6 address ::1:5353 (port 53), as documented; a DNS server on port 5353 of ::1 is
    ``[::1]:5353``. When nothing answered, one line says so (the usual sign of the mistake)."""
    run, _ = run_process(ADDRESS, "--dns-server", "::1:5353", "--ispdb-url", "https://ispdb.test/v1/",
                         "--timeout", "1", "--no-probe", timeout=1)  # fmt: skip
    assert (run.code, run.out) == (1, "")
    assert run.err.splitlines()[0] == f"mailconf: no usable server found for {ADDRESS}:"
    assert run.err.splitlines()[-1] == (
        "mailconf: --dns-server ::1:5353 is the IPv6 address ::1:5353 on port 53; for port 5353 of ::1, write "
        "[::1]:5353"
    )


@pytest.mark.parametrize(
    "text",
    # ::1:12345 and ::ffff:192.0.2.1:53 are no IPv6 address at all: IPv6Address raised (AddressValueError)
    ["::1", "[::1]:5353", "127.0.0.1:5353", "2001:db8::53", "::1:0", "::1:65536", "::1:12345", "::ffff:192.0.2.1:53",
     None],
)  # fmt: skip
def test_no_bracket_hint_where_the_text_is_not_ambiguous(text: str | None) -> None:
    assert bracket_hint(text) is None


@pytest.mark.parametrize("port", ["9" * 5000, "0" * 5000 + "53"], ids=["5,000 digits", "5,000 zeros then 53"])
def test_a_dns_server_port_of_thousands_of_digits_is_read_or_refused_in_mailconf_s_words(port: str) -> None:
    """int() refuses more than 4,300 digits: the message was Python's 'Exceeds the limit (4300 digits) for integer
    string conversion...' (as serve --bind's was an internal error)."""
    if port.endswith("53"):
        assert parse_server(f"127.0.0.1:{port}") == ("127.0.0.1", 53)
        return
    with pytest.raises(ValueError) as caught:
        parse_server(f"127.0.0.1:{port}")
    assert str(caught.value) == f"{shown(port)} is not a port (1-65535)"
