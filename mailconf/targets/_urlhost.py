"""Which hosts Thunderbird can build a server URL from: shared by the thunderbird target, which writes its
prefs, and the autoconfig and autodiscover targets, whose documents its account wizard reads; each reports
another host as a gap."""

from __future__ import annotations


def _ipv4_number(part: str) -> int | None:
    """One part of a URL's IPv4 host (WHATWG URL: 0x hex, leading-0 octal, decimal), or None."""
    try:
        if part[:2].lower() == "0x":
            return int(part[2:] or "0", 16)
        if len(part) > 1 and part.startswith("0"):
            return int(part[1:], 8)
        return int(part, 10) if part.isdigit() else None
    except ValueError:
        return None


#: Letters that end no IPv4 number (not a hex digit, not the x of a bare "0x"): a host ending in one is a name.
_NAME_END = frozenset("ghijklmnopqrstuvwyzGHIJKLMNOPQRSTUVWYZ")


def url_host_ok(host: str) -> bool:
    """Whether ``imap://user@HOST`` parses as Thunderbird's (WHATWG) URL parser does: no IPv6 literal
    (it would need brackets), and a host that ends in a number must be a whole IPv4 address."""
    if ":" in host:
        return False
    if host[-1:] in _NAME_END:
        return True  # the last label ends in a letter that no decimal, octal or 0x number holds
    parts = host.split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    last = parts[-1]
    if not (last.isdigit() or (last and _ipv4_number(last) is not None)):
        return True
    numbers = [_ipv4_number(part) if part else None for part in parts]
    if len(numbers) > 4 or any(n is None for n in numbers):
        return False
    values = [n for n in numbers if n is not None]
    return all(n <= 255 for n in values[:-1]) and values[-1] < 256 ** (5 - len(values))
