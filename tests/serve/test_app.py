"""The WSGI application in process: routes, status codes, body limits, the atomic reload.

These call the application directly with WSGI environ dicts, and use the fake provider
targets of tests/serve/_fake.py (the bodies name the account or domain they answer for):
routing does not depend on what the targets write. test_server.py runs the real server
with the real targets and real clients.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from mailconf.document import read_bytes
from mailconf.errors import InputError
from mailconf.render import InvalidFile
from mailconf.serve import App, Loaded, Refused, create_app
from mailconf.serve.accesslog import AccessLog, escape
from mailconf.serve.app import MAX_BODY
from mailconf.serve.parse import BadRequest, autodiscover_address, domain_from_host, host_name
from mailconf.serve.site import build_site

from ._fake import FAKE
from ._server import OUTLOOK_REQUEST as REQUEST

ACCOUNTS = """\
version: 1
accounts:
  alice:
    address: alice@Example.com
    incoming: {protocol: imap, host: imap.example.com, port: 993, security: tls, username: alice,
               password_command: pass show alice}
    outgoing: {protocol: smtp, host: smtp.example.com, port: 465, security: tls, username: alice,
               password_command: pass show alice}
  carol:
    address: carol@other.test
    incoming: {protocol: imap, host: imap.other.test, port: 993, security: tls, username: carol}
"""


class Answer:
    def __init__(self, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = status
        self.headers = dict(headers)
        self.body = body


def call(app: Any, method: str, path: str, query: str = "", host: str | None = "example.com", *,
         body: bytes | None = None, stream: io.BytesIO | None = None, **extra: str) -> Answer:  # fmt: skip
    environ: dict[str, Any] = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query,
                               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
                               "wsgi.input": stream or io.BytesIO(body or b"")}  # fmt: skip
    if host is not None:
        environ["HTTP_HOST"] = host
    if body is not None:
        environ["CONTENT_LENGTH"] = str(len(body))
    environ.update(extra)
    seen: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        seen.extend((status, headers))

    out: Iterable[bytes] = app(environ, start_response)
    return Answer(seen[0], seen[1], b"".join(out))


@pytest.fixture
def accounts(tmp_path: Path) -> Path:
    path = tmp_path / "accounts.yaml"
    path.write_text(ACCOUNTS)
    return path


@pytest.fixture
def app(accounts: Path) -> App:
    return create_app(str(accounts), FAKE)


@pytest.mark.parametrize(
    ("path", "query", "host", "expected"),
    [
        ("/mail/config-v1.1.xml", "", "autoconfig.example.com", "example.com"),
        ("/mail/config-v1.1.xml", "", "AUTOCONFIG.Example.COM.:8443", "example.com"),
        ("/.well-known/autoconfig/mail/config-v1.1.xml", "", "example.com", "example.com"),
        ("/.well-known/autoconfig/mail/config-v1.1.xml", "", "other.test:80", "other.test"),
        # the address's domain wins over the host the request was sent to
        ("/mail/config-v1.1.xml", "emailaddress=carol%40OTHER.test", "autoconfig.example.com", "other.test"),
        # no Host: HTTP/1.0 (HTTP/1.1 requires one, test_server.py)
        ("/mail/config-v1.1.xml", "emailaddress=carol@other.test", None, "other.test"),
    ],
)
def test_autoconfig_by_host_or_address(app: App, path: str, query: str, host: str | None, expected: str) -> None:
    names = {"example.com": "alice", "other.test": "carol"}[expected]
    answer = call(app, "GET", path, query, host, SERVER_PROTOCOL="HTTP/1.1" if host else "HTTP/1.0")
    assert (answer.status, answer.body) == ("200 OK", f"<autoconfig domain='{expected}' accounts='{names}'/>".encode())
    assert answer.headers["Content-Type"] == "application/xml; charset=utf-8"
    assert answer.headers["Cache-Control"] == "public, max-age=300"
    assert answer.headers["Content-Length"] == str(len(answer.body))


@pytest.mark.parametrize(
    ("method", "path", "query", "host", "status", "message"),
    [
        ("GET", "/mail/config-v1.1.xml", "", "nowhere.test", "404 Not Found", "no accounts for this domain"),
        ("GET", "/mail/config-v1.1.xml", "", "bad_host", "400 Bad Request", "the Host header is not a host name"),
        ("GET", "/mail/config-v1.1.xml", "", "[::1]:80", "400 Bad Request",
         "the Host is an IP address: ask by name, or add ?emailaddress="),
        ("GET", "/mail/config-v1.1.xml", "", None, "400 Bad Request", "HTTP/1.1 requires a Host header: send one"),
        ("GET", "/mail/config-v1.1.xml", "", "", "400 Bad Request",
         "the Host header is empty and there is no emailaddress parameter: cannot tell which domain is asked for"),
        ("GET", "/mail/config-v1.1.xml", "emailaddress=nobody", "example.com", "400 Bad Request",
         "emailaddress is not an address of the form local@domain"),
        ("POST", "/mail/config-v1.1.xml", "", "example.com", "405 Method Not Allowed", "use GET"),
        ("GET", "/autodiscover/autodiscover.xml", "", "example.com", "405 Method Not Allowed", "use POST"),
        ("GET", "/mobileconfig", "", "example.com", "400 Bad Request", "add ?emailaddress=local@domain"),
        ("GET", "/mobileconfig", "emailaddress=mallory@example.com", "example.com", "404 Not Found",
         "no account with this address"),
        ("DELETE", "/healthz", "", "example.com", "405 Method Not Allowed", "use GET"),
        ("GET", "/etc/passwd", "", "example.com", "404 Not Found", "no such path"),
        ("GET", "/mail/config-v1.1.xml", "&".join(["a=1"] * 21), "example.com", "400 Bad Request",
         "the query string has more than 20 parameters"),
        ("GET", "/mobileconfig", "x&" * 20 + "emailaddress=alice@example.com", "example.com", "400 Bad Request",
         "the query string has more than 20 parameters"),
    ],
)  # fmt: skip
def test_status_codes(app: App, method: str, path: str, query: str, host: str | None, status: str,  # noqa: PLR0917
                      message: str) -> None:  # fmt: skip
    answer = call(app, method, path, query, host)
    assert (answer.status, answer.body) == (status, f"{status}: {message}\n".encode())
    assert answer.headers["Cache-Control"] == "no-store"
    if status.startswith("405"):
        assert answer.headers["Allow"] == ("POST" if "autodiscover" in path else "GET, HEAD")


def test_a_path_whose_target_as_sent_has_an_encoded_slash_is_no_route(app: App) -> None:
    # PATH_INFO is decoded by the server: only the target as sent tells /mail%2Fconfig-v1.1.xml from the route,
    # REQUEST_URI under waitress and uWSGI, RAW_URI under gunicorn
    path, no_route = "/mail/config-v1.1.xml", ("404 Not Found", b"404 Not Found: no such path\n")
    waitress = call(app, "GET", path, REQUEST_URI="/mail%2Fconfig-v1.1.xml")
    gunicorn = call(app, "GET", path, RAW_URI="/mail%2fconfig-v1.1.xml")
    assert [(a.status, a.body) for a in (waitress, gunicorn)] == [no_route, no_route]
    assert call(app, "GET", path, REQUEST_URI=path).status == "200 OK"
    assert call(app, "GET", path, RAW_URI=path).status == "200 OK"


def test_mobileconfig_is_an_attachment_found_case_insensitively_on_the_domain(app: App) -> None:
    answer = call(app, "GET", "/mobileconfig", "emailaddress=alice%40EXAMPLE.COM")
    assert (answer.status, answer.body) == ("200 OK", b"<profile account='alice' source='accounts.yaml'/>")
    assert answer.headers["Content-Type"] == "application/x-apple-aspen-config"
    assert answer.headers["Content-Disposition"] == 'attachment; filename="alice_EXAMPLE.COM.mobileconfig"'.replace(
        "_EXAMPLE.COM", "@Example.com"
    )
    assert answer.headers["Cache-Control"] == "private, no-cache"


def test_an_address_that_differs_only_in_its_local_part_s_case_finds_the_account(app: App) -> None:
    # the file has alice@Example.com; Outlook and a profile download send what the user typed
    autodiscover = call(app, "POST", "/Autodiscover/Autodiscover.xml", body=REQUEST.format(
        address="ALICE@example.COM").encode())  # fmt: skip
    profile = call(app, "GET", "/mobileconfig", "emailaddress=Alice%40example.com")
    assert [(a.status, a.body) for a in (autodiscover, profile)] == [
        ("200 OK", b"<autodiscover account='alice'/>"),
        ("200 OK", b"<profile account='alice' source='accounts.yaml'/>"),
    ]
    assert profile.headers["Content-Disposition"] == 'attachment; filename="alice@Example.com.mobileconfig"'


def test_two_addresses_that_differ_only_in_case_are_each_found_by_their_own_and_neither_by_a_third(
    tmp_path: Path,
) -> None:
    path = tmp_path / "accounts.yaml"
    ann = "    address: {}\n    incoming: {{protocol: imap, host: imap.example.com, username: {}}}\n"
    both = f"  ann:\n{ann.format('ann@example.com', 'ann')}  ann2:\n{ann.format('ANN@example.com', 'ANN')}"
    path.write_text(ACCOUNTS + both)
    app = create_app(str(path), FAKE)
    asked = {address: call(app, "POST", "/autodiscover/autodiscover.xml", body=REQUEST.format(address=address).encode())
             for address in ("ann@example.com", "ANN@example.com", "Ann@example.com")}  # fmt: skip
    assert {address: (a.status, a.body) for address, a in asked.items()} == {
        "ann@example.com": ("200 OK", b"<autodiscover account='ann'/>"),
        "ANN@example.com": ("200 OK", b"<autodiscover account='ann2'/>"),
        "Ann@example.com": ("404 Not Found", b"404 Not Found: no account with this address\n"),
    }


@pytest.mark.parametrize("address", ["alice+tag@example.com", "dave@example.com"])
def test_an_undeclared_address_of_a_served_domain_gets_the_domain_document_and_no_personal_answer(
    app: App, address: str
) -> None:
    document = call(app, "GET", "/mail/config-v1.1.xml", "emailaddress=" + address.replace("+", "%2B"))
    autodiscover = call(app, "POST", "/autodiscover/autodiscover.xml", body=REQUEST.format(address=address).encode())
    profile = call(app, "GET", "/mobileconfig", "emailaddress=" + address.replace("+", "%2B"))
    assert [(a.status, a.body) for a in (document, autodiscover, profile)] == [
        ("200 OK", b"<autoconfig domain='example.com' accounts='alice'/>"),
        ("404 Not Found", b"404 Not Found: no account with this address\n"),
        ("404 Not Found", b"404 Not Found: no account with this address\n"),
    ]


def test_etag_gives_304_and_head_no_body(app: App) -> None:
    first = call(app, "GET", "/mail/config-v1.1.xml", host="autoconfig.example.com")
    again = call(app, "GET", "/mail/config-v1.1.xml", host="autoconfig.example.com",
                 HTTP_IF_NONE_MATCH=first.headers["ETag"])  # fmt: skip
    assert (again.status, again.body) == ("304 Not Modified", b"")
    assert again.headers == {"ETag": first.headers["ETag"], "Cache-Control": "public, max-age=300"}
    head = call(app, "HEAD", "/mail/config-v1.1.xml", host="autoconfig.example.com")
    assert (head.status, head.body, head.headers["Content-Length"]) == ("200 OK", b"", str(len(first.body)))


@pytest.mark.parametrize("path", ["/autodiscover/autodiscover.xml", "/Autodiscover/Autodiscover.xml",
                                  "/AUTODISCOVER/AUTODISCOVER.XML"])  # fmt: skip
def test_autodiscover_post_any_case(app: App, path: str) -> None:
    answer = call(app, "POST", path, body=REQUEST.format(address="alice@EXAMPLE.com").encode())
    assert (answer.status, answer.body) == ("200 OK", b"<autodiscover account='alice'/>")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
<Request><EMailAddress>&lol3;</EMailAddress></Request></Autodiscover>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
<Request><EMailAddress>&xxe;</EMailAddress></Request></Autodiscover>"""


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (BILLION_LAUGHS, "400 Bad Request", "a DTD or an entity declaration is refused"),
        (EXTERNAL_ENTITY, "400 Bad Request", "a DTD or an entity declaration is refused"),
        (b"<Autodiscover", "400 Bad Request", "the body is not well-formed XML"),
        (b"", "400 Bad Request", "the body is not well-formed XML"),
        (REQUEST.replace("utf-8", "bogus").format(address="alice@example.com").encode(), "400 Bad Request",
         "the body's declared encoding cannot be read: send UTF-8 (or UTF-16)"),  # expat: LookupError (unknown)
        (REQUEST.replace("utf-8", "utf-32").format(address="alice@example.com").encode(), "400 Bad Request",
         "the body's declared encoding cannot be read: send UTF-8 (or UTF-16)"),  # expat: ValueError (multi-byte)
        (b"<Autodiscover/>", "400 Bad Request", "the body is not an Autodiscover request "
         "(http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006)"),
        (REQUEST.format(address="").encode(), "400 Bad Request", "the request has no EMailAddress"),
        (REQUEST.format(address="mallory@example.com").encode(), "404 Not Found", "no account with this address"),
        (REQUEST.replace("outlook/responseschema/2006a", "mobilesync/responseschema/2006").format(
            address="alice@example.com").encode(), "400 Bad Request",
         "only the response schema http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a "
         "is served: this server has no ActiveSync (mobilesync)"),
        # what an ActiveSync device (iOS, Android) sends ([MS-ASCMD] 2.2.2.1): the request in its own namespace too
        (REQUEST.replace("outlook/", "mobilesync/").replace("responseschema/2006a", "responseschema/2006").format(
            address="alice@example.com").encode(), "400 Bad Request",
         "only the response schema http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a "
         "is served: this server has no ActiveSync (mobilesync)"),
        (REQUEST.replace("responseschema/2006a", "responseschema/2099").format(address="alice@example.com").encode(),
         "400 Bad Request",
         "only the response schema http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a "
         "is served"),
    ],
)  # fmt: skip
def test_autodiscover_refusals(app: App, body: bytes, status: str, message: str) -> None:
    answer = call(app, "POST", "/autodiscover/autodiscover.xml", body=body)
    assert (answer.status, answer.body) == (status, f"{status}: {message}\n".encode())


class CountingInput(io.BytesIO):
    """Records how many bytes the application asked for: it must never read past the limit."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.asked = 0

    def read(self, size: int | None = -1) -> bytes:
        self.asked += size if size is not None and size >= 0 else 1 << 40
        return super().read(size)


def test_oversized_body_is_413_and_never_read(app: App) -> None:
    stream = CountingInput(b"x" * (MAX_BODY + 1))
    answer = call(app, "POST", "/autodiscover/autodiscover.xml", CONTENT_LENGTH=str(MAX_BODY + 1), stream=stream)
    assert (answer.status, answer.body) == (
        "413 Content Too Large",
        b"413 Content Too Large: the body is larger than 65536 bytes\n",
    )
    assert stream.asked == 0


def test_content_length_of_thousands_of_digits_is_413(app: App) -> None:
    """int() refuses more than 4300 digits: the length is judged by its digits first."""
    stream = CountingInput(b"<short/>")
    answer = call(app, "POST", "/autodiscover/autodiscover.xml", CONTENT_LENGTH="9" * 5000, stream=stream)
    assert (answer.status, answer.body) == (
        "413 Content Too Large",
        b"413 Content Too Large: the body is larger than 65536 bytes\n",
    )
    assert stream.asked == 0


def test_no_content_length_is_411(app: App) -> None:
    answer = call(app, "POST", "/autodiscover/autodiscover.xml")
    assert (answer.status, answer.body) == (
        "411 Length Required",
        b"411 Length Required: send the body with a Content-Length\n",
    )


def test_body_read_up_to_content_length_and_no_further(app: App) -> None:
    body = REQUEST.format(address="alice@example.com").encode()
    stream = CountingInput(body + b"trailing bytes of the next request")
    answer = call(app, "POST", "/autodiscover/autodiscover.xml", CONTENT_LENGTH=str(len(body)), stream=stream)
    assert answer.status == "200 OK"
    assert stream.asked == len(body)


@pytest.mark.parametrize(("length", "message"), [("12x", "Content-Length is not a number"),
                                                 ("\u00b2", "Content-Length is not a number"),  # "²".isdigit()
                                                 ("100", "the body is shorter than its Content-Length")])  # fmt: skip
def test_bad_content_length(app: App, length: str, message: str) -> None:
    answer = call(app, "POST", "/autodiscover/autodiscover.xml", CONTENT_LENGTH=length,
                  stream=io.BytesIO(b"<short/>"))  # fmt: skip
    assert (answer.status, answer.body) == ("400 Bad Request", f"400 Bad Request: {message}\n".encode())


def test_health(app: App) -> None:
    answer = call(app, "GET", "/healthz")
    assert answer.status == "200 OK"
    assert answer.body.decode().startswith("ok 2 accounts, loaded 20")
    assert answer.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_health_of_one_account_says_account(tmp_path: Path) -> None:
    # as the start line says it (`1 account, 1 domain`), not `ok 1 accounts`
    one = tmp_path / "one.yaml"
    one.write_text(ACCOUNTS.split("  carol:", maxsplit=1)[0])
    answer = call(create_app(str(one), FAKE), "GET", "/healthz")
    assert answer.body.decode().startswith("ok 1 account, loaded 20")


def test_reload_swaps_a_whole_new_site(app: App, accounts: Path) -> None:
    old = app.site
    accounts.write_text(ACCOUNTS.replace("carol", "dave"))
    outcome = app.reload()
    assert isinstance(outcome, Loaded)
    assert app.site is outcome.site and app.site is not old
    assert call(app, "GET", "/mobileconfig", "emailaddress=dave@other.test").status == "200 OK"
    assert call(app, "GET", "/mobileconfig", "emailaddress=carol@other.test").status == "404 Not Found"


def test_reload_refuses_a_file_with_errors_and_keeps_the_old_one(app: App, accounts: Path) -> None:
    old = app.site
    accounts.write_text(ACCOUNTS.replace("port: 993, security: tls, username: carol", "port: nine, username: carol"))
    outcome = app.reload()
    assert isinstance(outcome, Refused)
    assert outcome.reason == "1 error"
    assert [str(f) for f in outcome.findings] == [
        f'{accounts}:11:61: error MC002 schema-violation: `port` must be a whole number (got "nine")'
    ]
    assert app.site is old
    assert call(app, "GET", "/mobileconfig", "emailaddress=carol@other.test").status == "200 OK"
    assert "; a newer file was refused at " in call(app, "GET", "/healthz").body.decode()


def test_reload_of_a_vanished_file_is_refused(app: App, accounts: Path) -> None:
    old = app.site
    accounts.unlink()
    assert app.reload() == Refused(f"{accounts}: no such file; check the path")
    assert app.site is old


def test_create_app_raises_like_render(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        create_app(str(tmp_path / "missing.yaml"), FAKE)
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\naccounts: {a: {address: 3}}\n")
    with pytest.raises(InvalidFile):
        create_app(str(bad), FAKE)


def test_requests_during_reloads_always_see_one_whole_site(app: App, accounts: Path) -> None:
    """Each answer comes from the old file or the new one, never a mix: the swap replaces one reference."""
    versions = [ACCOUNTS, ACCOUNTS.replace("carol", "dave")]
    seen: set[bytes] = set()
    stop = threading.Event()

    def ask() -> None:
        while not stop.is_set():
            seen.add(call(app, "GET", "/mail/config-v1.1.xml", host="autoconfig.other.test").body)

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for thread in threads:
        thread.start()
    for i in range(6):
        accounts.write_text(versions[i % 2])
        assert isinstance(app.reload(), Loaded)
    stop.set()
    for thread in threads:
        thread.join()
    assert seen <= {b"<autoconfig domain='other.test' accounts='carol'/>",
                    b"<autoconfig domain='other.test' accounts='dave'/>"}  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Example.COM", "example.com"), ("a.b.", "a.b"), ("-a.b", None), ("a_b.c", None), ("a..b", None),
     ("é.test", None), ("a" * 64 + ".test", None), ("", None)],
)  # fmt: skip
def test_host_name(text: str, expected: str | None) -> None:
    assert host_name(text) == expected


def test_domain_from_host_refuses_a_bad_port() -> None:
    with pytest.raises(BadRequest, match=r"^the Host header is not a host name$"):
        domain_from_host("example.com:80x")


def test_autodiscover_address_strips_whitespace() -> None:
    assert autodiscover_address(REQUEST.format(address="\n  alice@example.com \n").encode()) == "alice@example.com"


def test_access_log_line_is_combined_log_format_and_escaped(app: App) -> None:
    lines: list[str] = []
    logged = AccessLog(app, lines.append)
    call(logged, "GET", "/mail/config-v1.1.xml", "emailaddress=carol@other.test", HTTP_USER_AGENT='evil"\n\x1b[31m',
         HTTP_REFERER="https://example.com/")  # fmt: skip
    call(logged, "HEAD", "/healthz")
    first, second = lines
    stamp = first.split("[", 1)[1].split("]", 1)[0]
    size = len(b"<autoconfig domain='other.test' accounts='carol'/>")
    assert first == (f'127.0.0.1 - - [{stamp}] "GET /mail/config-v1.1.xml?emailaddress=carol@other.test HTTP/1.1" '
                     f'200 {size} "https://example.com/" "evil\\x22\\x0A\\x1B[31m"\n')  # fmt: skip
    assert second.endswith('"HEAD /healthz HTTP/1.1" 200 - "-" "-"\n')


def test_escape() -> None:
    # WSGI strings are the bytes sent, decoded as Latin-1 (PEP 3333): "é" was the byte E9, "Ã©" a UTF-8 "é"
    assert escape('a"b\\c\té Ã©') == "a\\x22b\\x5Cc\\x09\\xE9 \\xC3\\xA9"
    assert escape("\u20ac\udcff") == "\\xE2\\x82\\xAC\\xFF"  # not from a WSGI server: its UTF-8 bytes


def test_isolated_reload_builds_in_a_child_and_swaps(accounts: Path) -> None:
    """What ``mailconf serve`` does: the new site is built in a spawned process and comes back whole."""
    app = App(str(accounts), build_site(str(accounts), FAKE), FAKE, isolate=True)
    accounts.write_text(ACCOUNTS.replace("carol", "dave"))
    outcome = app.reload()
    assert isinstance(outcome, Loaded)
    assert call(app, "GET", "/mobileconfig", "emailaddress=dave@other.test").body == (
        b"<profile account='dave' source='accounts.yaml'/>"
    )
    assert app.site.folded == {"alice@example.com": "alice@example.com", "dave@other.test": "dave@other.test"}
    accounts.write_text("version: 1\naccounts: []\n")
    refused = app.reload()
    assert isinstance(refused, Refused)
    assert refused.reason == "1 error"
    assert call(app, "GET", "/mobileconfig", "emailaddress=dave@other.test").status == "200 OK"


def test_an_isolated_reload_after_the_current_folder_was_removed(
    tmp_path: Path, accounts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """serve started in a folder removed later (a deploy's old release folder, a temporary folder): every reload was
    `internal error (FileNotFoundError) while reloading`, for good, even of a file named by its absolute path: the
    reload process is spawned, and multiprocessing hands it os.getcwd(). That file reloads; a file named relative to
    the removed folder can no longer be read, and is refused saying why."""
    gone = tmp_path / "gone"
    gone.mkdir()
    (gone / "relative.yaml").write_text(ACCOUNTS)
    monkeypatch.chdir(gone)
    absolute = App(str(accounts), build_site(str(accounts), FAKE), FAKE, isolate=True)
    relative = App("relative.yaml", build_site("relative.yaml", FAKE), FAKE, isolate=True)
    (gone / "relative.yaml").unlink()
    gone.rmdir()
    accounts.write_text(ACCOUNTS.replace("carol", "dave"))
    assert isinstance(absolute.reload(), Loaded)
    assert call(absolute, "GET", "/mobileconfig", "emailaddress=dave@other.test").status == "200 OK"
    assert relative.reload() == Refused(
        "relative.yaml: the current folder this path starts from was removed; restart serve in a folder that "
        "exists, or name the file by its absolute path"
    )


def test_two_accounts_with_one_address_the_first_answers_with_a_warning(tmp_path: Path) -> None:
    # render refuses them (autodiscover needs one file per address); serve answers with the first, and says so
    text = (Path(__file__).parent / "accounts.yaml").read_text()
    text += text[text.index("  bob:") : text.index("  carol:")].replace("  bob:", "  bob2:", 1)
    text = text.replace("bob2:\n    address: bob@example.com", "bob2:\n    address: bob@EXAMPLE.com")
    (tmp_path / "accounts.yaml").write_text(text)
    loaded = build_site(str(tmp_path / "accounts.yaml"))
    assert loaded.notes == (
        "autodiscover, mobileconfig: accounts bob and bob2 have the same address bob@EXAMPLE.com: bob answers for it "
        "(give each account its own address)",
    )


# --- a file read while it is being written ------------------------------------------------------------------------

DAVE = """  dave:
    address: dave@example.com
    incoming: {protocol: imap, host: imap.example.com, username: dave@example.com}
"""


def test_a_read_during_which_the_file_changed_is_thrown_away_and_done_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer in the middle of an edit while serve reads the file: what was read may be cut anywhere (even at
    an account's boundary, and still load), so it is never served. Nothing real can be made to write at that
    exact moment: the edit is made by a wrapper around the read, right after it (the file's signature changes)."""
    from mailconf.serve import site

    path = tmp_path / "accounts.yaml"
    text = (Path(__file__).parent / "accounts.yaml").read_text()
    path.write_text(text)
    real, reads = read_bytes, []

    def read_then_edit(name: str) -> bytes:
        data = real(name)
        reads.append(len(data))
        if len(reads) == 1:
            path.write_text(text + DAVE)  # the writer finishes its edit while the first read is under way
        return data

    monkeypatch.setattr(site, "read_bytes", read_then_edit)
    monkeypatch.setattr(site, "READ_PAUSE", 0.0)
    loaded = build_site(str(path))
    assert reads == [len(text), len(text + DAVE)]
    assert loaded.site.accounts == 4  # the whole edit, from the second read
    assert loaded.site.source == site.signature(str(path))


def test_a_file_that_changes_at_every_read_is_refused_and_the_old_one_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mailconf.serve import site

    path = tmp_path / "accounts.yaml"
    text = (Path(__file__).parent / "accounts.yaml").read_text()
    path.write_text(text)
    app = App(str(path), build_site(str(path)))
    real = read_bytes

    def read_then_edit(name: str) -> bytes:
        data = real(name)
        path.write_text(path.read_text() + "# more\n")  # a writer that never stops
        return data

    monkeypatch.setattr(site, "read_bytes", read_then_edit)
    monkeypatch.setattr(site, "READ_PAUSE", 0.0)
    outcome = app.reload()
    assert outcome == Refused(f"{path}: changed each time it was read (3 times): still being written?")
    assert app.site.accounts == 3


def test_a_reload_lets_go_of_each_piece_once_read(accounts: Path) -> None:
    """The pieces a reload process sends back are as large as the site (220 MB for 50,000 accounts): they were all
    kept until the whole site was built, beside the old site and the new one (benchmarks/README.md)."""
    from mailconf.serve.app import _assemble, _build_pieces

    pieces = _build_pieces(str(accounts), FAKE)
    assert isinstance(pieces, list)
    assert len(pieces) > 3
    loaded = _assemble(pieces)
    assert pieces == []
    assert loaded.site._replace(loaded_at=0) == build_site(str(accounts), FAKE).site._replace(loaded_at=0)


GIVE_BACK = """
import sys
from mailconf.serve.app import give_back_memory

def resident() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) // 1024

kept, freed = [], []
for i in range(40_000):  # 160 MB of answers of 4 KB: one in 8 kept, as the new site's are among the old one's
    (kept if i % 8 == 0 else freed).append(bytes([i % 256]) * 4000)
del freed
before = resident()
give_back_memory()
print(before - resident())
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the resident size from /proc")
def test_memory_freed_among_what_is_kept_goes_back_to_the_system(tmp_path: Path) -> None:
    """What a reload frees (the old site's answers, the pieces) lies in holes between the new site's answers, and the
    heap cannot shrink past them: it stayed the process's, and the server grew from 679 MB to 1.2 GB over its first
    reloads of 50,000 accounts. glibc's malloc_trim gives back each free page: here about 115 MB of the 140 MB freed
    among 20 MB kept."""
    import ctypes
    import subprocess
    import sys

    try:
        ctypes.CDLL(None).malloc_trim  # noqa: B018 - only whether it is there
    except AttributeError:
        pytest.skip("not glibc: nothing is given back")
    done = subprocess.run([sys.executable, "-c", GIVE_BACK], capture_output=True, text=True, timeout=120, check=True)
    assert int(done.stdout) > 50, done.stdout  # MB (without it: 0)
