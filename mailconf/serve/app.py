"""The WSGI application: routes, status codes, and the one reference a reload replaces.

Status codes (docs/serve.md):

- 200 an answer; 304 when ``If-None-Match`` names its ETag;
- 400 a malformed request: an HTTP/1.1 request without Host, more than one Host, or one that is not
  ``host[:port]`` (RFC 9112 §3.2, whatever else names the domain), a request target that is a URI of another
  scheme than http or https, a Host that is not a host name when it is
  what names the domain, a bad ``emailaddress``, more than
  20 query parameters, a body that is not well-formed XML or not an Outlook Autodiscover request, a DTD or entity
  (billion laughs, external entities), a Content-Length that is not a number or that
  the body falls short of;
- 404 an unknown path, domain or address (an address is found ignoring case, see
  :func:`.site.served_key`); 405 a method a path does not take (``Allow`` says
  which); 411 an Autodiscover POST without Content-Length; 413 a body over
  :data:`MAX_BODY` bytes (read no further).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NamedTuple

from ..errors import MailconfError, counted
from .parse import (
    BadRequest,
    autodiscover_address,
    check_host_field,
    check_target_scheme,
    domain_from_host,
    email_domains,
    email_parameter,
    encoded_slash,
    sent_target,
    target_host,
)
from .site import SAFE_HEADERS, Headers, Loaded, Publishers, Response, Site, build_site, folded_keys, served_key

if TYPE_CHECKING:
    from ..model import Finding

StartResponse = Callable[[str, Headers], Any]
Environ = dict[str, Any]

#: An Autodiscover request is a few hundred bytes; nothing bigger is read.
MAX_BODY = 64 * 1024

AUTOCONFIG_PATHS = frozenset(("/mail/config-v1.1.xml", "/.well-known/autoconfig/mail/config-v1.1.xml"))
AUTODISCOVER_PATH = "/autodiscover/autodiscover.xml"  # any case: Outlook and others vary it
MOBILECONFIG_PATH = "/mobileconfig"
HEALTH_PATH = "/healthz"
_READ = ("GET", "HEAD")

#: The 404 of a domain that has accounts, none with an incoming server (mailconf render writes no document either).
NO_INCOMING = "no account of this domain has an incoming server, which an autoconfig document must have"
#: The 404 of an account with one server only (mailconf render writes no profile either).
ONE_SERVER = "this account has one server only, and an Apple profile needs an incoming and an outgoing server"

_REASONS = {
    200: "200 OK",
    304: "304 Not Modified",
    400: "400 Bad Request",
    404: "404 Not Found",
    405: "405 Method Not Allowed",
    411: "411 Length Required",
    413: "413 Content Too Large",
}


class Refused(NamedTuple):
    """A new file that was not served; the old one still is."""

    reason: str
    #: its syntax and schema errors (empty when the reason says it all: unreadable, never rendered...)
    findings: tuple[Finding, ...] = ()
    #: further lines (the settings that are never rendered)
    details: tuple[str, ...] = ()


class App:
    """The WSGI callable. ``site`` is the only state, and a reload replaces it whole."""

    def __init__(
        self, path: str, loaded: Loaded, publishers: Publishers | None = None, *, isolate: bool = False
    ) -> None:
        self.path = path
        #: build reloads in a child process (see :func:`build_in_child`)
        self.isolate = isolate
        self.site = loaded.site
        self.publishers = publishers
        #: when the last refused reload happened (shown by /healthz), or None
        self.refused_at: float | None = None

    def reload(self) -> Loaded | Refused:
        """Build a new site from the file; swap it in only when the file loads without errors."""
        outcome = (
            build_in_child(self.path, self.publishers) if self.isolate else build_outcome(self.path, self.publishers)
        )
        if isinstance(outcome, Refused):
            self.refused_at = time.time()
            return outcome
        self.site = outcome.site  # one reference: a request sees the old site or the new one, whole
        self.refused_at = None
        give_back_memory()
        return outcome

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        body = self._answer(environ, start_response)
        # a HEAD answer has the headers of the GET, no body (waitress sends what it is given): an error's body
        # sent after a HEAD is read by the client as the start of its next answer on the connection
        return [] if environ["REQUEST_METHOD"] == "HEAD" else body

    def _answer(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:  # noqa: PLR0911 - a return per route
        path = environ.get("PATH_INFO") or "/"
        method = environ["REQUEST_METHOD"]
        site = self.site  # read once: a reload mid-request does not mix two files
        try:
            check_host_field(environ.get("HTTP_HOST"), environ.get("SERVER_PROTOCOL", ""))
            check_target_scheme(sent_target(environ))
            if encoded_slash(sent_target(environ)):  # PATH_INFO has it decoded: /mail%2Fconfig-v1.1.xml is no route
                return _error(start_response, 404, "no such path")
            if path in AUTOCONFIG_PATHS:
                return self._read(method, environ, start_response, self._autoconfig(site, environ, path))
            if path.lower() == AUTODISCOVER_PATH:
                if method != "POST":
                    return _error(start_response, 405, "use POST", [("Allow", "POST")])
                return _send(start_response, self._autodiscover(site, environ))
            if path == MOBILECONFIG_PATH:
                return self._read(method, environ, start_response, self._mobileconfig(site, environ))
            if path == HEALTH_PATH:
                return self._read(method, environ, start_response, self._health(site))
        except BadRequest as exc:
            return _error(start_response, 400, str(exc))
        except _Status as exc:
            return _error(start_response, exc.code, exc.message)
        return _error(start_response, 404, "no such path")

    def _read(
        self, method: str, environ: Environ, start_response: StartResponse, answer: Callable[[], Response]
    ) -> Iterable[bytes]:
        if method not in _READ:
            return _error(start_response, 405, "use GET", [("Allow", "GET, HEAD")])
        response = answer()
        match = environ.get("HTTP_IF_NONE_MATCH")
        if match and response.etag and (match.strip() == "*" or response.etag in match):
            start_response(_REASONS[304], [h for h in response.headers if h[0] in ("ETag", "Cache-Control")])
            return []
        return _send(start_response, response)

    @staticmethod
    def _autoconfig(site: Site, environ: Environ, path: str) -> Callable[[], Response]:
        def answer() -> Response:
            address = email_parameter(environ.get("QUERY_STRING", ""))
            if address is not None:  # the address names the domain better than the host it was sent to
                domains = email_domains(address)  # one, but for an IDN of a character IDNA 2003 and 2008 map apart
                domain = next((d for d in domains if d in site.autoconfig or d in site.no_autoconfig), domains[0])
                found = site.autoconfig.get(domain)
            else:
                host = target_host(sent_target(environ))
                domain = domain_from_host(environ.get("HTTP_HOST") if host is None else host, target=host is not None)
                found = site.autoconfig.get(domain)
                if (found is None and domain not in site.no_autoconfig and path == "/mail/config-v1.1.xml"
                        and domain.startswith("autoconfig.")):  # fmt: skip
                    domain = domain[len("autoconfig.") :]  # https://autoconfig.<domain>/mail/...
                    found = site.autoconfig.get(domain)
            if found is None:
                raise _Status(404, NO_INCOMING if domain in site.no_autoconfig else "no accounts for this domain")
            return found

        return answer

    @staticmethod
    def _mobileconfig(site: Site, environ: Environ) -> Callable[[], Response]:
        def answer() -> Response:
            address = email_parameter(environ.get("QUERY_STRING", ""))
            if address is None:
                raise BadRequest("add ?emailaddress=local@domain")
            key = _served(site, address)
            found = site.mobileconfig.get(key)
            if found is None:
                raise _Status(404, ONE_SERVER if key in site.no_profile else "no account with this address")
            return found

        return answer

    def _health(self, site: Site) -> Callable[[], Response]:
        def answer() -> Response:
            line = f"ok {counted(site.accounts, 'account')}, loaded {_utc(site.loaded_at)}"
            if self.refused_at is not None:
                line += f"; a newer file was refused at {_utc(self.refused_at)}"
            body = (line + "\n").encode()
            headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))),
                       ("Cache-Control", "no-store"), *SAFE_HEADERS]  # fmt: skip
            return Response(body, "", headers)

        return answer

    @staticmethod
    def _autodiscover(site: Site, environ: Environ) -> Response:
        address = autodiscover_address(_body(environ))
        found = site.autodiscover.get(_served(site, address))
        if found is None:
            raise _Status(404, "no account with this address")
        return found


def _served(site: Site, address: str) -> str:
    """The key ``address`` is answered under (:func:`.site.served_key`), its domain in ASCII: an address at an IDN
    (``alice@bücher.example``) finds the account the file declares at ``xn--bcher-kva.example``."""
    local = address.rpartition("@")[0]
    keys = [served_key(site, f"{local}@{domain}") for domain in email_domains(address)]
    return next((key for key in keys if key in site.autodiscover), keys[0])


class _Status(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _body(environ: Environ) -> bytes:
    """The request body: exactly CONTENT_LENGTH bytes, never more, never past MAX_BODY."""
    length = environ.get("CONTENT_LENGTH")
    if not length:
        raise _Status(411, "send the body with a Content-Length")
    if not (length.isascii() and length.isdigit()):  # "²".isdigit() holds, and int() refuses it
        raise BadRequest("Content-Length is not a number")
    digits = length.lstrip("0")
    if len(digits) > len(str(MAX_BODY)) or int(digits or "0") > MAX_BODY:  # int() refuses over 4300 digits
        raise _Status(413, f"the body is larger than {MAX_BODY} bytes")
    size = int(digits or "0")
    stream = environ["wsgi.input"]
    chunks: list[bytes] = []
    left = size
    while left > 0:
        chunk = stream.read(left)
        if not chunk:
            raise BadRequest("the body is shorter than its Content-Length")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _send(start_response: StartResponse, response: Response) -> Iterable[bytes]:
    start_response(_REASONS[200], response.headers)
    return [response.body]


def _error(start_response: StartResponse, code: int, message: str, extra: Headers | None = None) -> Iterable[bytes]:
    body = f"{_REASONS[code]}: {message}\n".encode()
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))),
               ("Cache-Control", "no-store"), *SAFE_HEADERS, *(extra or ())]  # fmt: skip
    start_response(_REASONS[code], headers)
    return [body]


def _utc(when: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))


def build_outcome(path: str, publishers: Publishers | None = None) -> Loaded | Refused:
    """The new site, or why the file is refused (its errors, a setting never served, unreadable)."""
    from ..render import InvalidFile, NeverRendered

    try:
        return build_site(path, publishers)
    except InvalidFile as exc:
        count = len(exc.findings)
        return Refused(f"{count} error{'s' if count != 1 else ''}", exc.findings)
    except NeverRendered as exc:
        return Refused("a setting that is never served", details=exc.reasons)
    except MailconfError as exc:
        return Refused(str(exc))


def build_in_child(path: str, publishers: Publishers | None = None) -> Loaded | Refused:
    """:func:`build_outcome` in a fresh child process; the site comes back in small pickled pieces.

    Loading and linting 10,000 accounts and building 20,000 responses is seconds of pure
    Python. In a thread of the server it would hold the GIL against the threads answering
    requests (measured with wrk: p99 from 185 ms to 700 ms during a reload); in a child it
    only shares the CPU. The result is 40 MB: one ``pickle.loads`` of it held the GIL for
    1.1 s, so it comes as pieces of :data:`PIECE` entries (at most 2 ms each, 60 ms in all
    with the collector paused), and the request threads run in between. ``spawn``, not ``fork``: the
    server has threads, and a forked child would inherit their locks.
    """
    import multiprocessing
    import signal
    from concurrent.futures import ProcessPoolExecutor

    from ..document import gc_paused
    from ..errors import InternalError

    if (refused := _unspawnable(path)) is not None:
        return refused
    try:
        _start_resource_tracker()
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            # Ctrl-C and a hang-up reach the terminal's whole process group: they are for the server, which decides
            # (stop, reload). A KeyboardInterrupt in the child came back here as its result, which no one caught: a
            # traceback, and the reload thread ended. The child, spawned from this thread, inherits its signal mask.
            # SIGTERM too: systemd's stop sends it to every process of the service, and the child died of it ("internal
            # error (BrokenProcessPool)" said before "stopped"); the server finishes a reload under way before it stops.
            masked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGHUP, signal.SIGTERM})
            try:
                with _spawnable():
                    future = pool.submit(_build_pieces, path, publishers)  # starts the child
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, masked)
            pieces = future.result()
        if isinstance(pieces, Refused):
            return pieces
        with gc_paused():  # 300,000 new objects, no cycles: no collector passes over them while requests wait
            return _assemble(pieces)
    except Exception as exc:  # noqa: BLE001 - a crashed or killed loader refuses the file; the server goes on
        return Refused(str(InternalError.wrap(path, "reloading", exc)))


def _start_resource_tracker() -> None:
    """multiprocessing's resource tracker (one process, started at the first reload and kept) started with SIGHUP
    blocked, as the reload process is: it ignores only SIGINT and SIGTERM, and a hang-up sent to the server's process
    group (a terminal closed, ``kill -HUP -PGID``) killed it. Every later reload then printed Python's warning
    ``resource_tracker: process died unexpectedly`` and KeyError tracebacks on standard error. Started here, not by
    the pool (already running: nothing to do; killed anyway: started again, SIGHUP blocked)."""
    import signal
    from multiprocessing import resource_tracker

    masked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGHUP})
    try:
        resource_tracker.ensure_running()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, masked)


def _unspawnable(path: str) -> Refused | None:
    """Why no reload process can read ``path``, or None. A relative ``path`` in a current folder removed since serve
    started (a deploy's old release folder) names nothing any more: the kernel finds nothing in a removed folder."""
    import os

    try:
        os.getcwd()
    except FileNotFoundError:
        if not os.path.isabs(path):
            return Refused(f"{path}: the current folder this path starts from was removed; restart serve in a folder "
                           "that exists, or name the file by its absolute path")  # fmt: skip
    return None


@contextmanager
def _spawnable() -> Iterator[None]:
    """A current folder a process can be spawned in: multiprocessing hands the child os.getcwd(), which raises once
    the current folder is removed, and every reload was an internal error, for good. The child starts in ``/`` (it is
    given an absolute path: :func:`_unspawnable`); the server goes back to the removed folder, where a relative path
    still names nothing rather than a file under ``/``."""
    import os

    try:
        os.getcwd()
    except FileNotFoundError:
        removed = os.open(".", os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.chdir("/")
            yield
        finally:
            os.fchdir(removed)
            os.close(removed)
    else:
        yield


#: Entries per piece sent back by the reload process (a piece unpickles in a few milliseconds).
PIECE = 200
_MAPS = ("autoconfig", "autodiscover", "mobileconfig")


def _build_pieces(path: str, publishers: Publishers | None) -> list[bytes] | Refused:
    """In the child: build, then cut the site into pickled pieces (a Refused goes back whole: it is small)."""
    import pickle

    outcome = build_outcome(path, publishers)
    if isinstance(outcome, Refused):
        return outcome
    site = outcome.site
    pieces = []
    for kind in _MAPS:
        items = list(getattr(site, kind).items())
        pieces += [
            pickle.dumps((kind, items[i : i + PIECE]), pickle.HIGHEST_PROTOCOL) for i in range(0, len(items), PIECE)
        ]
    gaps = outcome.gaps
    pieces += [pickle.dumps(("gaps", gaps[i : i + PIECE]), pickle.HIGHEST_PROTOCOL) for i in range(0, len(gaps), PIECE)]
    last = (site.accounts, site.loaded_at, site.source, site.no_autoconfig, site.no_profile, outcome.notes)
    pieces.append(pickle.dumps(("site", last)))
    return pieces


def _assemble(pieces: list[bytes]) -> Loaded:
    """The site from ``pieces``, each let go of once read (``pieces`` is emptied): they are as large as the site."""
    import pickle

    maps: dict[str, dict[str, Response]] = {kind: {} for kind in _MAPS}
    gaps: list[Any] = []
    last: Any = None
    pieces.reverse()
    while pieces:  # pieces written by our own child process (see _build_pieces)
        kind, value = pickle.loads(pieces.pop())
        if kind == "gaps":
            gaps.extend(value)
        elif kind == "site":
            last = value
        else:
            maps[kind].update(value)
    accounts, loaded_at, source, no_autoconfig, no_profile, notes = last
    site = Site(maps["autoconfig"], maps["autodiscover"], maps["mobileconfig"], accounts, loaded_at, source,
                no_autoconfig, no_profile, folded_keys(maps["autodiscover"]))  # fmt: skip
    return Loaded(site, tuple(gaps), notes)


def give_back_memory() -> None:
    """The memory the old site and the reload's pieces held, given back to the system where the C library can
    (glibc's ``malloc_trim``; elsewhere nothing is done): freed, it stayed the process's, in holes between the new
    site's answers that the heap cannot shrink past, and every reload left the server larger (benchmarks/README.md,
    "serve's memory")."""
    import ctypes

    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError):  # not glibc
        return
    trim(0)  # ctypes lets go of the GIL meanwhile: requests are answered


def create_app(path: str, publishers: Publishers | None = None) -> App:
    """The WSGI application serving ``path`` (for any WSGI server; ``mailconf serve`` adds reload and the log).

    Raises like ``mailconf render`` when the file cannot be served: InvalidFile (its
    findings), NeverRendered, InputError.
    """
    return App(path, build_site(path, publishers), publishers)
