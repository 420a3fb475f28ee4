"""DNS for discover: SRV, MX and the addresses of web hosts, through dnspython.

``--dns-server IP[:PORT]`` sends every lookup to that server (no search list,
no /etc/hosts); without it SRV and MX go to the servers of /etc/resolv.conf and
web hosts are resolved by the system (``getaddrinfo``). Every lookup is bounded
by the run's deadline. Errors are :class:`DnsError` with one sentence saying
what went wrong; a name that does not exist, or has no record of the type, is
an empty answer, not an error.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import time
from dataclasses import dataclass
from typing import NamedTuple

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.resolver

from ..errors import shown
from .values import clipped

#: a lookup is given at least this long, even when the deadline is closer (dnspython needs > 0)
_MINIMUM = 0.05
#: how long the AAAA query of a host whose A query gave addresses may take. Some DNS servers never answer AAAA
#: queries (RFC 4074 section 4.1): waiting for it cost the whole deadline, and a host with an IPv4 address, hence
#: every autoconfig URL and every probe, failed as unanswered
AAAA_GRACE = 0.5


class DnsError(Exception):
    """A lookup that failed (no answer in time, a server failure, a garbled answer)."""


class Srv(NamedTuple):
    priority: int
    weight: int
    port: int
    target: str  # without the final dot; "." (RFC 2782: "decidedly not available") stays "."


class Mx(NamedTuple):
    preference: int
    host: str  # without the final dot


@dataclass(frozen=True)
class Dns:
    """Where lookups go: ``server`` (address, port) or None for the system's resolver."""

    server: tuple[str, int] | None = None

    @property
    def label(self) -> str:
        return "the system's DNS resolver" if self.server is None else f"the DNS server {_where(self.server)}"

    def _resolver(self) -> dns.resolver.Resolver:
        if self.server is None:
            return dns.resolver.Resolver()
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [self.server[0]]
        resolver.port = self.server[1]
        return resolver

    def query(self, name: str, rdtype: str, deadline: float) -> list[object]:
        """The records of one type (empty when the name or the type does not exist)."""
        lifetime = max(deadline - time.monotonic(), _MINIMUM)
        what = _what(rdtype, name)
        if self.server is not None:
            return self._ask(self.server, name, rdtype, lifetime)
        try:
            resolver = self._resolver()
            answer = resolver.resolve(name, rdtype, lifetime=lifetime, search=False, raise_on_no_answer=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except dns.resolver.LifetimeTimeout:
            raise DnsError(f"{what}: no answer from {self.label} within {lifetime:.1f} s") from None
        except dns.resolver.NoNameservers as exc:
            raise DnsError(f"{what}: {self.label} failed ({_why(exc)})") from None
        except dns.resolver.NoResolverConfiguration:
            raise DnsError(f"{what}: no DNS server configured (/etc/resolv.conf); use --dns-server") from None
        except (dns.exception.DNSException, ValueError, OSError) as exc:
            raise DnsError(f"{what}: {self.label}: {_why(exc)}") from None
        return list(answer)

    def _ask(self, server: tuple[str, int], name: str, rdtype: str, lifetime: float) -> list[object]:
        """One question to one server (UDP, TCP when truncated), so that a garbled answer is an error at once.

        The stub resolver would drop a garbled answer and wait for a good one until the deadline;
        with one named server, saying that it answers garbage is the clearer message.
        """
        what = _what(rdtype, name)
        try:
            question = dns.message.make_query(name, rdtype)
        except dns.exception.DNSException as exc:  # an empty label, one over 63 octets, a name over 255
            raise DnsError(f"{what}: not a valid DNS name ({_why(exc)})") from None
        try:
            response = _exchange(question, server, lifetime)
        except ConnectionRefusedError:
            raise DnsError(f"{what}: {_where(server)} refused the DNS query (nothing listens there?)") from None
        except dns.exception.Timeout:
            raise DnsError(f"{what}: no answer from {self.label} within {lifetime:.1f} s") from None
        except EOFError:  # over TCP (the UDP answer was truncated): dnspython's read found the connection closed
            raise DnsError(f"{what}: {self.label} closed the TCP connection without an answer") from None
        except (dns.exception.FormError, dns.query.BadResponse, dns.query.UnexpectedSource):
            raise DnsError(f"{what}: {self.label} answered garbage (not a valid DNS message)") from None
        except (dns.exception.DNSException, ValueError, OSError) as exc:
            raise DnsError(f"{what}: {self.label}: {_why(exc)}") from None
        if response.flags & dns.flags.TC:  # over TCP (over UDP it was asked again): the records are not all there
            raise DnsError(f"{what}: {self.label} answered truncated over TCP too (an incomplete answer)")
        code = response.rcode()
        if code == dns.rcode.NXDOMAIN:
            return []
        if code != dns.rcode.NOERROR:
            raise DnsError(f"{what}: {self.label} answered {dns.rcode.to_text(code)}")
        if not isinstance(response, dns.message.QueryMessage):
            raise DnsError(f"{what}: {self.label} answered something other than a query response")
        try:
            answer = response.resolve_chaining().answer
        except dns.message.ChainTooLong:  # a well-formed answer: "garbage" would send the user the wrong way
            loop = f"a CNAME chain that loops or is longer than {dns.message.MAX_CHAIN} names"
            raise DnsError(f"{what}: {self.label} answered {loop}") from None
        except dns.exception.DNSException:
            raise DnsError(f"{what}: {self.label} answered garbage (not a valid DNS message)") from None
        return list(answer) if answer is not None else []

    def srv(self, name: str, deadline: float) -> list[Srv]:
        records = []
        for rdata in self.query(name, "SRV", deadline):
            target = _host(rdata.target)  # type: ignore[attr-defined]
            records.append(Srv(rdata.priority, rdata.weight, rdata.port, target))  # type: ignore[attr-defined]
        return records

    def mx(self, domain: str, deadline: float) -> list[Mx]:
        return [Mx(r.preference, _host(r.exchange)) for r in self.query(domain, "MX", deadline)]  # type: ignore[attr-defined]

    def addresses(self, host: str, port: int, deadline: float) -> list[str]:
        """The IP addresses of ``host`` (IPv4 first), or of a literal address, itself."""
        try:
            return [str(ipaddress.ip_address(host.strip("[]")))]
        except ValueError:
            pass
        if self.server is None:
            return _system(host, port)
        found = [str(r) for r in self.query(host, "A", deadline)]
        if not found:
            found = [str(r) for r in self.query(host, "AAAA", deadline)]
        else:  # the IPv6 addresses are tried after these: a server that drops AAAA queries must not cost the deadline
            with contextlib.suppress(DnsError):
                found += [str(r) for r in self.query(host, "AAAA", min(deadline, time.monotonic() + AAAA_GRACE))]
        if not found:
            raise DnsError(f"{clipped(host)} has no address ({self.label})")
        return found


def _where(server: tuple[str, int]) -> str:
    address, port = server
    return f"{'[' + address + ']' if ':' in address else address}:{port}"


def _exchange(question: dns.message.Message, server: tuple[str, int], lifetime: float) -> dns.message.Message:
    """The answer of ``server`` to ``question``: over UDP, over TCP when that one is truncated, as
    ``dns.query.udp_with_fallback`` does, but on a connected UDP socket.

    Connected, so that the ICMP port unreachable a closed port answers with comes back at once, as
    ECONNREFUSED on the read; dnspython's own socket is not connected, never hears of it and waits out the
    deadline. The query goes by send(), not dnspython's sendto(): BSD and macOS refuse an address on a connected
    socket (EISCONN).
    """
    expiration = time.time() + lifetime  # dnspython's clock
    with socket.socket(socket.AF_INET6 if ":" in server[0] else socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.connect(server)
        sock.send(question.to_wire())
        sock.setblocking(False)  # dnspython waits for the answer with select, until the expiration
        try:
            response: dns.message.Message = dns.query.receive_udp(sock, None, expiration, raise_on_truncation=True)[0]
        except dns.message.Truncated:
            return dns.query.tcp(question, server[0], timeout=max(expiration - time.time(), _MINIMUM), port=server[1])
    if not question.is_response(response):
        raise dns.query.BadResponse
    return response


def _host(name: object) -> str:
    if isinstance(name, dns.name.Name) and name == dns.name.root:
        return "."
    return str(name).rstrip(".")


def _system(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise DnsError(f"{clipped(host)} does not resolve ({reason})") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _what(rdtype: str, name: str) -> str:
    """The question in a message: a web host's name comes from the network (a redirect), up to 64 KiB of it."""
    return f"{rdtype} {clipped(name)}"


def _why(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return clipped(text) if text else type(exc).__name__


def parse_server(text: str) -> tuple[str, int]:
    """``IP``, ``IP:PORT`` or ``[IPv6]:PORT`` -> (address, port); ValueError with the reason."""
    host, port = text, 53
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket:  # `[::1`: taken as [::1]:53
            raise ValueError("expected [IPv6] or [IPv6]:PORT")
        if rest:
            if not rest.startswith(":"):
                raise ValueError("expected [IPv6]:PORT")
            port = _port(rest[1:])
    elif text.count(":") == 1:
        host, _, number = text.partition(":")
        port = _port(number)
    try:
        return str(ipaddress.ip_address(host)), port
    except ValueError:
        raise ValueError(f"{shown(host)} is not an IP address (a DNS server is given by address)") from None


def bracket_hint(text: str | None) -> str | None:
    """For a ``--dns-server`` written as an IPv6 address whose last group reads as a port (``::1:5353``), which
    parse_server takes as written, the address (``::1:5353``, on port 53): what to write for that port of the
    address before it (``[::1]:5353``). Said when no lookup found anything, the likely sign of the mistake."""
    if text is None or text.startswith("[") or text.count(":") < 2:
        return None
    host, _, number = text.rpartition(":")
    try:  # the whole text too: ::1:12345 is no address (5 digits), which parse_server refuses
        before, whole, port = ipaddress.IPv6Address(host), ipaddress.IPv6Address(text), _port(number)
    except ValueError:
        return None
    return (f"--dns-server {text} is the IPv6 address {whole} on port 53; for port {port} of {before}, write "
            f"[{before}]:{port}")  # fmt: skip


def _port(text: str) -> int:
    # ASCII digits: isdigit() is true of "²", which int() refuses (its own words were the message), and of "٥٣"
    # by length first: int() refuses more than 4,300 digits, leading zeros too, in words of its own
    significant = text.lstrip("0")
    if not (text.isascii() and text.isdigit() and len(significant) <= 5) or not 0 < int(significant or "0") < 65536:
        raise ValueError(f"{shown(text)} is not a port (1-65535)")
    return int(significant)
