"""``mailconf serve``: publish the account file over HTTP for mail clients that set themselves up."""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from ..errors import ExitCode, FindingsError, UsageError, counted, shown
from . import console

if TYPE_CHECKING:
    from ..serve import App, Loaded, Refused
    from ..serve.accesslog import AccessLog
    from ..serve.site import Site

DEFAULT_BIND = "127.0.0.1:8080"
#: warnings printed at each load, errors at each refused reload; the rest are counted
MAX_WARNINGS = 20


class ServeRequest(NamedTuple):
    file: str
    bind: str = DEFAULT_BIND
    #: seconds between two looks at the file's signature; 0: reload on SIGHUP only
    poll_interval: float = 2.0
    threads: int = 8
    #: seconds a connection may stay silent, and a request take to arrive whole from its first byte (408 past it)
    client_timeout: int = 10
    #: client connections at once (the open-file limit is raised for them, or they are cut to what fits)
    max_connections: int = 1000


def parse_bind(text: str) -> tuple[str, int]:
    """``HOST:PORT`` or ``[IPv6]:PORT`` -> (host, port); port 0 lets the system choose.

    The port is ASCII digits: ``str.isdigit()`` is true of ``²`` too, which int() refuses (ValueError, an internal
    error), and of other scripts' digits (``٨٠``), which served on port 80 while ``+80`` was refused. An IPv6 address
    is in brackets: ``::1:80`` is also the address ``::1:80`` without a port, and was served as ``[::1]:80``.
    """
    host, colon, port = text.rpartition(":")
    bracketed = host.startswith("[") and host.endswith("]")
    if bracketed:
        host = host[1:-1]
    elif ":" in host and "[" not in host and "]" not in host:
        raise UsageError(f"--bind {shown(text)}: an IPv6 address goes in brackets, [HOST]:PORT, e.g. [::1]:8080")
    digits = port.isascii() and port.isdigit()
    significant = port.lstrip("0")
    # by length first: int() refuses more than 4,300 digits, leading zeros too (ValueError, an internal error)
    number = int(significant or "0") if digits and len(significant) <= 5 else 65536
    if colon and host and digits and number > 65535 and "[" not in host and "]" not in host:
        raise UsageError(f"--bind {shown(text)}: {shown(port)} is not a port (0 to 65535; 0 lets the system choose)")
    if not colon or not host or not digits or "[" in host or "]" in host:
        raise UsageError(f"--bind {shown(text)}: give HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080")
    return host, number


def _check_host(text: str, host: str, port: int) -> None:
    """A HOST that names no address (``256.0.0.1``, a name that does not resolve, bytes that are not text) is a usage
    error, before the file is loaded: waitress raised ValueError("Invalid host/port specified."), an internal
    error (exit 3). ``*`` is every address, as waitress takes it."""
    import socket

    try:
        socket.getaddrinfo(None if host == "*" else host, port, 0, socket.SOCK_STREAM, 0, socket.AI_PASSIVE)
    except (OSError, UnicodeError) as exc:  # socket.gaierror; UnicodeError: the IDNA codec refused the name
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not a host name"
        raise UsageError(f"--bind {shown(text)}: cannot listen ({why}); give an address of this machine") from None


def run(request: ServeRequest) -> int:
    import importlib.util

    # SIGHUP from here on: loading 10,000 accounts takes a second or two, and a SIGHUP meanwhile
    # (`systemctl reload` right after `start`) would end the process (its default action). One is kept,
    # and answered with a reload once serving starts: the file may have changed after it was read.
    early: list[int] = []
    signal.signal(signal.SIGHUP, lambda signum, _frame: early.append(signum))
    for module in ("waitress", "defusedxml"):
        if importlib.util.find_spec(module) is None:
            raise UsageError(f"mailconf serve needs {module}: pip install 'mailconf[serve]'")
    from ..render import InvalidFile, NeverRendered
    from ..serve import App
    from ..serve.site import build_site

    host, port = parse_bind(request.bind)
    _check_host(request.bind, host, port)
    try:
        loaded = build_site(request.file)
    except InvalidFile as exc:
        for finding in exc.findings:
            console.finding(str(finding))
        raise FindingsError(
            f"{request.file}: not served: fix the errors above first (`mailconf lint {request.file}`)"
        ) from None
    except NeverRendered as exc:
        for reason in exc.reasons:
            console.level("error", reason)
        raise FindingsError(f"{request.file}: not served") from None
    _warn(request.file, loaded)
    app = App(request.file, loaded, isolate=True)
    # the first site is the app's now, and a reload replaces it: held here too, for as long as serve() ran, it was
    # never freed, and the server held two sites from its first reload on (679 MB at start, 1.2 GB after, for 50,000
    # accounts: benchmarks/README.md)
    del loaded
    return serve(app, request, host, port, early)


def serve(app: App, request: ServeRequest, host: str, port: int, early: list[int] | None = None) -> int:
    """Serve ``app`` until SIGTERM or Ctrl-C; ``early``: SIGHUPs received while it was loaded (one reload)."""
    import logging

    from ..serve.accesslog import AccessLog
    from ..serve.loop import addresses, run_until, waker
    from ..serve.watch import Watcher

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "task queue depth" under load is not news
    wsgi = AccessLog(app, _log_line)
    server = _server(wsgi, request, host, port)
    wake = waker(server)

    def reload() -> None:
        try:
            _report(app, app.reload())
        except OSError as exc:  # only the report raises it: standard error failed (see _log_line); the reload is done
            _unwritten(exc)
        except Exception as exc:  # noqa: BLE001 - the reload thread must live on to see the next change
            from ..errors import InternalError

            console.say(str(InternalError.wrap(app.path, "reloading", exc)))

    watcher = Watcher(app.path, request.poll_interval, app.site.source, reload)
    stopped: list[int] = []

    def on_hup(_signum: int, _frame: object) -> None:
        watcher.wake()

    def on_stop(signum: int, _frame: object) -> None:
        # a flag only, which run_until reads between two turns of waitress's loop: an exception raised here could
        # be swallowed by waitress (mailconf/serve/loop.py). The watcher is told at once (a flag too): waitress's loop
        # may take a second to see it, and a change settling meanwhile would start a reload of a server going away
        # waitress's loop is woken now through its trigger (a write to a pipe: no lock, which a handler must not take;
        # once only, so the pipe never fills), not at its next select timeout up to a second later
        first = not stopped
        stopped.append(signum)
        watcher.halt()
        if first:
            wake()

    signal.signal(signal.SIGHUP, on_hup)
    signal.signal(signal.SIGTERM, on_stop)
    signal.signal(signal.SIGINT, on_stop)
    watcher.start()
    if early:
        watcher.wake()
    console.say(_listening(app, addresses(server), request.poll_interval))
    try:
        run_until(server, stopped)
    finally:
        # a signal from here on pulls no trigger: server.close() closes its pipe, and a write to that descriptor
        # could land in whatever file reuses its number (run_until may also have ended by an exception)
        stopped.append(0)
        watcher.stop()
        server.close()
        # a reload under way is finished and reported before "stopped": the exit would wait for its process anyway
        # (concurrent.futures joins it), and its line, written by a daemon thread while Python shuts down, was lost
        watcher.thread.join()
    console.say("serve: stopped")
    return int(ExitCode.OK)


def _server(wsgi: AccessLog, request: ServeRequest, host: str, port: int) -> Any:
    """waitress's server of ``wsgi``, listening, with mailconf's connections and limits (docs/serve.md, "Limits")."""
    from waitress.server import create_server

    from ..serve.app import MAX_BODY
    from ..serve.loop import MAX_HEAD, install, limit_connections

    connections = _connections(request.max_connections)
    try:
        server = create_server(
            wsgi,
            host=host,
            port=port,
            threads=request.threads,
            ident="mailconf",  # the Server header: no version to fingerprint
            # waitress answers 413 itself from this many bytes on (Content-Length or chunked), before the app reads:
            # a body of MAX_BODY bytes is taken, as the app and the 413 line ("larger than") say
            max_request_body_size=MAX_BODY + 1,
            max_request_header_size=MAX_HEAD + 1,  # waitress answers 431 itself from this many bytes on
            clear_untrusted_proxy_headers=True,
            # poll(), not select(): select() cannot watch a descriptor of 1024 or more and the loop ended on the first
            # (ValueError), with many descriptors inherited (a service manager's) or open (many connections)
            asyncore_use_poll=True,
            # a client holds a connection, one of connection_limit, for this long at most: silent (waitress's 120 s
            # default), or sending its request a byte at a time (slowloris; loop.py answers it 408)
            channel_timeout=request.client_timeout,
            cleanup_interval=1,  # when the timeouts are looked at: every second, not every 30 (waitress's default)
        )
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        raise UsageError(f"--bind {shown(request.bind)}: cannot listen ({why})") from None
    limit_connections(server, connections)  # the others wait in the kernel's queue (backlog) for a place
    install(server, wsgi)  # connections that do not spin waitress's loop, waitress's refusals logged (loop.py)
    return server


def _connections(wanted: int) -> int:
    """The client connections at once that fit in the open-file limit (raised for them if it can be); a warning
    when that is fewer than ``wanted``: past the limit, waitress's accept() fails at every turn of its loop."""
    from ..serve.loop import make_room

    room = make_room(wanted)
    if room.connections < wanted:
        console.level(
            "warning",
            f"serve: the open-file limit ({room.limit}) leaves room for {room.connections} connections at once, not "
            f"{wanted}: raise it (systemd: LimitNOFILE=) or lower --max-connections",
        )
    return room.connections


def _listening(app: App, where: Sequence[tuple[str, int]], poll_interval: float) -> str:
    """The start line: the file, what it serves, every address listened on, and how it reloads."""
    urls = " and ".join(f"http://{f'[{host}]' if ':' in host else host}:{port}/" for host, port in where)
    return (
        f"serve: {app.path}: {counted(app.site.accounts, 'account')}, {_domains(app.site)}; "
        f"listening on {urls} (reload: SIGHUP"
        + (f", or a change seen every {poll_interval:g} s)" if poll_interval else ")")
    )


def _domains(site: Site) -> str:
    """The mail domains, and how many of them have no autoconfig document (none of their accounts has an
    incoming server): they were left out of the count, and a file of SMTP-only accounts said "0 domains"."""
    without = len(site.no_autoconfig)
    total = counted(len(site.autoconfig) + without, "domain")
    return f"{total} ({without} without an autoconfig document: no incoming server)" if without else total


def _report(app: App, outcome: Loaded | Refused) -> None:
    from ..serve import Refused

    if isinstance(outcome, Refused):
        shown = MAX_WARNINGS  # like the warnings: a file with an error in each of 10,000 accounts, 20 lines
        for finding in outcome.findings[:shown]:
            console.finding(str(finding))
        for detail in outcome.details[: max(shown - len(outcome.findings), 0)]:
            console.level("error", detail)
        more = len(outcome.findings) + len(outcome.details) - shown
        if more > 0:
            console.level("error", f"and {more} more (`mailconf lint {app.path}` lists them)")
        loaded = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(app.site.loaded_at))
        console.say(
            f"serve: {app.path}: new file refused ({outcome.reason}); still serving the file loaded at {loaded}"
        )
        return
    _warn(app.path, outcome)
    console.say(f"serve: {app.path}: reloaded: {counted(outcome.site.accounts, 'account')}, {_domains(outcome.site)}")


def _warn(path: str, loaded: Loaded) -> None:
    """What the published forms cannot express: warnings, grouped like render's (one line per gap shared)."""
    from ..render import group_gaps
    from .render import gap_lines

    lines = [f"{scope}: {line}" for scope, line in gap_lines(group_gaps(loaded.gaps))] + list(loaded.notes)
    for line in lines[:MAX_WARNINGS]:
        console.level("warning", line)
    if len(lines) > MAX_WARNINGS:  # a reload must not bury the access log under a thousand lines
        more = len(lines) - MAX_WARNINGS
        # the render whose warnings these are, all of them in the same order
        render = f"mailconf render -t autoconfig -t autodiscover -t mobileconfig -o DIR {path}"
        console.level("warning", f"and {more} more (`{render}` lists them)")


def _log_line(line: str) -> None:
    """An access log line, already escaped by its format (not a ``mailconf:`` message).

    A line standard error cannot take must not fail the request it logs: the answer matters more.
    """
    try:
        sys.stderr.write(line)
        sys.stderr.flush()
    except OSError as exc:
        _unwritten(exc)


def _unwritten(exc: OSError) -> None:
    """A line standard error did not take is dropped. A pipe whose reader is gone (EPIPE: closed, journald
    restarted) never takes another: file descriptor 2 becomes /dev/null, so every later line (the access log's,
    the reload's, waitress's own) is dropped instead of failing again. A full disk or a full non-blocking pipe may
    take the next one."""
    import errno

    if exc.errno == errno.EPIPE:
        console.to_devnull(sys.stderr)
