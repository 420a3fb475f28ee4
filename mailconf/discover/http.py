"""Fetching a configuration over HTTPS (or HTTP with ``--allow-http``), for untrusted answers.

- The host is resolved by discover's own :class:`~mailconf.discover.dns.Dns`
  (so ``--dns-server`` reaches every web host); the connection goes to that
  address while TLS still checks the certificate against the host *name*
  (SNI and hostname verification): :class:`_Https` replaces only
  ``connect()`` of the standard library's client, which still parses HTTP.
- Redirects are followed only to ``https://``, never to an IP address or
  localhost from another host, and at most :data:`MAX_REDIRECTS` times; the
  body is read in pieces and abandoned past :data:`MAX_BYTES`; every read ends
  by the run's deadline. A compressed answer (``Content-Encoding``), or one in
  a transfer coding other than chunked, is refused, never decoded. A URL or a reason phrase the server chose is shown
  cut (``values.clipped``): a header may be 64 KiB. One refused for a space or a
  control character in it is also in double quotes (``values.clipped_quoted``).
- ``--ca-file`` adds a trust anchor to the system's.

Every failure is a :class:`FetchError` whose message says what happened in one
line (the URL is added by the caller).
"""

from __future__ import annotations

import functools
import http.client
import io
import socket
import ssl
import time
import urllib.parse
from typing import NamedTuple, cast

from .. import __version__
from ..hostnames import idna_form, looks_like_address
from .dns import Dns, DnsError
from .values import clipped, clipped_quoted, without_userinfo

#: A configuration file is a few kilobytes; anything past this is refused (an endless body).
MAX_BYTES = 1024 * 1024
MAX_REDIRECTS = 5
_CHUNK = 64 * 1024
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class FetchError(Exception):
    """The fetch failed; the message is one line."""


class Fetched(NamedTuple):
    url: str  # after redirects
    body: bytes
    secure: bool  # every hop was https


def context(ca_file: str | None) -> ssl.SSLContext:
    """The system's trust anchors, plus ``ca_file``; OSError/SSLError when it cannot be read.

    The same checks on every Python, and the probe's: Python 3.13's default context adds VERIFY_X509_PARTIAL_CHAIN
    (an intermediate CA in ``ca_file`` became a trust anchor, which the probe refuses) and VERIFY_X509_STRICT (a
    certificate without an Authority Key Identifier was refused, which Thunderbird accepts); both are cleared. As
    Thunderbird (Firefox's network stack) and the probe: TLS 1.2 at least (Debian's python3 leaves the minimum to
    OpenSSL), and a host named only in the subject's CN, not in the subjectAltName, is not trusted (OpenSSL's
    fallback; RFC 9525 drops it)."""
    ctx = ssl.create_default_context()
    ctx.verify_flags &= ~(ssl.VERIFY_X509_PARTIAL_CHAIN | ssl.VERIFY_X509_STRICT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.hostname_checks_common_name = False
    if ca_file is not None:
        ctx.load_verify_locations(cafile=ca_file)
    return ctx


def fetch(url: str, deadline: float, resolver: Dns, tls: ssl.SSLContext) -> Fetched:
    """GET ``url``, following https redirects, and return the body of the 200 answer."""
    secure = url.startswith("https:")
    for _ in range(MAX_REDIRECTS + 1):
        status, reason, location, body = _get(url, deadline, resolver, tls)
        if status in _REDIRECTS:
            if not location:
                raise FetchError(f"HTTP {status} {clipped(reason)} without a Location")
            target = _target(url, location)
            if not target.startswith("https://"):
                raise FetchError(f"redirected to {clipped(target)}: refused (redirects are followed to https:// only)")
            if _local(target) and _host(target) != _host(url):
                raise FetchError(
                    f"redirected to {clipped(target)}: refused (redirects are followed to host names, not to an IP "
                    "address or localhost)"
                )
            url = target
            continue
        if status != 200:
            raise FetchError(f"HTTP {status} {clipped(reason)}")
        return Fetched(url, body, secure)
    raise FetchError(f"more than {MAX_REDIRECTS} redirects (a loop?); last to {clipped(url)}")


def _host(url: str) -> str:
    """The host of ``url`` as it is asked for: in its IDNA form, which the system's resolver, TLS (the name the
    certificate must hold) and the Host header all use. Nameprep (RFC 3491) folds what a header may hold:
    ``loc\u00aalhost`` (the byte 0xAA, FEMININE ORDINAL INDICATOR) is ``localhost``."""
    host = urllib.parse.urlsplit(url).hostname or ""  # lower case already
    host = idna_form(host) or host  # an empty label, one too long: no resolver asks for it (DnsError)
    return host.lower().rstrip(".")


def _local(url: str) -> bool:
    """Whether ``url`` names an IP address or localhost (RFC 6761), not a provider's host.

    A redirect there reaches into this machine or its network: a local service whose certificate the system
    trusts (a development CA certifies 127.0.0.1 and localhost) would get a GET of whatever path it chose. A
    redirect within such a host (the ``--ispdb-url`` a user chose) is not refused.
    """
    host = _host(url)
    return host == "localhost" or host.endswith(".localhost") or looks_like_address(host)


def _target(url: str, location: str) -> str:
    """Where a redirect to ``location`` goes; FetchError when it is no URL to ask for."""
    try:
        target = urllib.parse.urljoin(url, location)
    except ValueError as exc:
        raise FetchError(f"redirected to {clipped(without_userinfo(location))}: not a valid URL "
                         f"({clipped(str(exc))})") from None  # fmt: skip
    if without_userinfo(target) != target:  # never sent, and the URL would be shown, password and all
        raise FetchError(f"redirected to {clipped(without_userinfo(target))}: refused (discover sends no user name "
                         "or password: no HTTP authentication)")  # fmt: skip
    try:
        parts = urllib.parse.urlsplit(target)
        parts.port  # noqa: B018 - ValueError when the port is not a number or out of range
    except ValueError as exc:
        raise FetchError(f"redirected to {clipped(location)}: not a valid URL ({clipped(str(exc))})") from None
    if parts.port == 0:  # urllib would take it for no port at all (443)
        raise FetchError(f"redirected to {clipped(target)}: not a valid URL (port 0)")
    host = parts.hostname or ""
    if not host.isprintable() or " " in host:  # http.client refuses it (InvalidURL): it would break the Host header
        raise FetchError(
            f"redirected to {clipped_quoted(target)}: refused (its host has a space or a control character)"
        )
    request = parts.path + parts.query
    if not request.isascii():  # http.client sends the request line as ASCII
        raise FetchError(f"redirected to {clipped(target)}: refused (its path is not ASCII)")
    if not request.isprintable() or " " in request:  # it would split or end the request line
        raise FetchError(
            f"redirected to {clipped_quoted(target)}: refused (its path has a space or a control character)"
        )
    return target


def _get(url: str, deadline: float, resolver: Dns, tls: ssl.SSLContext) -> tuple[int, str, str | None, bytes]:
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    secure = parts.scheme == "https"
    port = parts.port or (443 if secure else 80)
    try:
        addresses = resolver.addresses(host, port, deadline)
    except DnsError as exc:
        raise FetchError(str(exc)) from None
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    conn: http.client.HTTPConnection = (
        _Https(host, port, addresses, deadline, tls) if secure else _Http(host, port, addresses, deadline)
    )
    try:
        conn.request("GET", target, headers=_HEADERS)
        response = conn.getresponse()
        location = response.getheader("Location")
        if location is not None:  # RFC 9110 s5.5: white space around a field value is not part of it
            location = location.strip(" \t")
        if response.status == 200:
            _refuse_compressed(response)
            _refuse_transfer_coded(response)
        body = b"" if response.status in _REDIRECTS else _read(response)
        return response.status, response.reason, location, body
    except ssl.SSLCertVerificationError as exc:
        raise FetchError(f"the certificate of {host} is not trusted ({exc.verify_message})") from None
    except TimeoutError:
        raise FetchError("no answer before the deadline") from None
    except ssl.SSLError as exc:
        raise FetchError(f"TLS failed ({exc.reason or type(exc).__name__})") from None
    except http.client.HTTPException as exc:
        raise FetchError(f"not a valid HTTP answer ({type(exc).__name__})") from None
    except OSError as exc:
        raise FetchError(f"cannot connect to {host} port {port} ({exc.strerror or type(exc).__name__})") from None
    finally:
        conn.close()


#: http.client adds ``Accept-Encoding: identity``: the answer is asked for uncompressed
_HEADERS = {"User-Agent": f"mailconf/{__version__}", "Accept": "text/xml"}


def _refuse_compressed(response: http.client.HTTPResponse) -> None:
    """FetchError when a server compressed the answer all the same (a ``.xml.gz`` served as ``Content-Encoding:
    gzip``): its bytes are no XML, and the parser's `not well-formed (invalid token)` sent the user looking for a
    broken file. It is not decoded: a gzip body of a kilobyte can unpack to gigabytes."""
    coding = response.getheader("Content-Encoding", "").strip(" \t")
    if coding.lower() not in ("", "identity"):
        raise FetchError(f"the answer is compressed (Content-Encoding: {clipped(coding)}), though mailconf asked "
                         "for it uncompressed (Accept-Encoding: identity)")  # fmt: skip


def _refuse_transfer_coded(response: http.client.HTTPResponse) -> None:
    """FetchError when a server sent the answer in a transfer coding other than chunked (``gzip``, ``gzip, chunked``):
    mailconf sends no TE field, so none may be used (RFC 9112 s7.4), and http.client decodes chunked only when it is
    the field's whole value, otherwise handing over the bytes as they came, whose `not well-formed (invalid token)`
    sent the user looking for a broken file. A gzip coding is not decoded, as a Content-Encoding is not."""
    coding = response.getheader("Transfer-Encoding", "").strip(" \t")
    if coding.lower() not in ("", "chunked", "identity"):
        raise FetchError(f"the answer is in a transfer coding mailconf did not ask for (Transfer-Encoding: "
                         f"{clipped(coding)}); it reads chunked only")  # fmt: skip


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    return left


def _read(response: http.client.HTTPResponse) -> bytes:
    length = response.getheader("Content-Length")
    # ASCII digits only ("²".isdigit() holds, and int() refuses it, as it refuses thousands of digits);
    # a length that is no number is ignored, as the standard library does: the read below is bounded anyway
    if length is not None and length.isascii() and length.isdigit() and len(length) < 20 and int(length) > MAX_BYTES:
        raise FetchError(f"the answer is {int(length)} bytes, more than the {MAX_BYTES} allowed")
    pieces: list[bytes] = []
    size = 0
    while True:
        piece = response.read1(_CHUNK)  # one read of the socket at most: it ends by the deadline (_UntilDeadline)
        if not piece:
            # read1 counts Content-Length down and returns b"" at the end of the connection, short or not (a chunked
            # body cut short raises IncompleteRead): a body the connection ended early is not the document
            if response.length:
                raise FetchError(
                    f"the connection ended after {size} of the {size + response.length} bytes the answer announced"
                )
            return b"".join(pieces)
        size += len(piece)
        if size > MAX_BYTES:
            raise FetchError(f"the answer is longer than the {MAX_BYTES} bytes allowed; abandoned")
        pieces.append(piece)


class _UntilDeadline(io.RawIOBase):
    """The socket as the response reads it: every read ends by the run's deadline.

    The socket's own timeout bounds one read, and http.client reads the status line and headers in as many as
    the server cares to send: a header sent a byte at a time, each within the timeout, went on past the deadline.
    """

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        super().__init__()
        self._sock = sock
        # the socket's own file, as the standard response holds it: the connection closes the socket when the
        # answer is read until the end, and the descriptor stays open until this file is closed too
        self._file = sock.makefile("rb", buffering=0)
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int | None:  # type: ignore[override]
        self._sock.settimeout(_remaining(self._deadline))
        return self._file.readinto(buffer)

    def close(self) -> None:
        if not self.closed:
            self._file.close()
        super().close()


class _Response(http.client.HTTPResponse):
    """The standard response (it still parses HTTP), reading through :class:`_UntilDeadline`."""

    def __init__(self, sock: socket.socket, *args: object, deadline: float, **kwargs: object) -> None:
        super().__init__(sock, *args, **kwargs)  # type: ignore[arg-type]
        opened = self.fp  # the standard response's file on the socket: replaced before anything is read
        self.fp = io.BufferedReader(_UntilDeadline(sock, deadline))
        opened.close()


def _responses(deadline: float) -> type[http.client.HTTPResponse]:
    """What a connection makes its response with (it calls ``response_class(sock, method=...)``)."""
    return cast(type[http.client.HTTPResponse], functools.partial(_Response, deadline=deadline))


def _connect(addresses: list[str], port: int, deadline: float) -> socket.socket:
    errors: list[OSError] = []
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout=_remaining(deadline))
        except OSError as exc:
            errors.append(exc)
    raise errors[-1] if errors else OSError("no address")


class _Http(http.client.HTTPConnection):
    """The standard client, connecting to the address discover resolved."""

    def __init__(self, host: str, port: int, addresses: list[str], deadline: float) -> None:
        # no timeout: connect() (its only reader) is replaced, and the time left was taken here, outside _get's
        # handling of errors, where a fetch begun after the deadline raised TimeoutError (an internal error)
        super().__init__(host, port)
        self.response_class = _responses(deadline)
        self._addresses = addresses
        self._deadline = deadline

    def connect(self) -> None:
        self.sock = _connect(self._addresses, self.port, self._deadline)


class _Https(http.client.HTTPSConnection):
    """The standard client, connecting to the resolved address; SNI and the certificate check use the name."""

    def __init__(self, host: str, port: int, addresses: list[str], deadline: float, tls: ssl.SSLContext) -> None:
        super().__init__(host, port, context=tls)  # no timeout: see _Http
        self.response_class = _responses(deadline)
        self._addresses = addresses
        self._deadline = deadline
        self._tls = tls

    def connect(self) -> None:
        sock = _connect(self._addresses, self.port, self._deadline)
        try:
            self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise
