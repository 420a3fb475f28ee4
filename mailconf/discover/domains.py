"""Base domains (eTLD+1, as Thunderbird's forMX computes them) and whether a host lies inside a domain.

The Public Suffix List is read from the system's copy (Debian's ``publicsuffix``
package: /usr/share/publicsuffix/public_suffix_list.dat). Without it, no base
domain is known (:func:`have_list`): the last two labels would make ``co.uk`` the
base domain of ``mx.example.co.uk``, and every host under ``.co.uk`` the MX's.
"""

from __future__ import annotations

import functools
from pathlib import Path

PSL_FILES = (
    Path("/usr/share/publicsuffix/public_suffix_list.dat"),
    Path("/usr/share/publicsuffix/effective_tld_names.dat"),
)


@functools.cache
def _rules() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(plain rules, wildcard rules without '*.', exception rules without '!')."""
    for path in PSL_FILES:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            continue
        plain, wild, exceptions = set(), set(), set()
        for line in text.splitlines():
            rule = line.split(None, 1)[0].lower() if line.strip() else ""
            if not rule or rule.startswith("//"):
                continue
            if rule.startswith("!"):
                exceptions.add(rule[1:])
            elif rule.startswith("*."):
                wild.add(rule[2:])
            else:
                plain.add(rule)
        return frozenset(plain), frozenset(wild), frozenset(exceptions)
    return frozenset(), frozenset(), frozenset()


def have_list() -> bool:
    """Whether the system has a Public Suffix List to read."""
    plain, wild, _ = _rules()
    return bool(plain or wild)


def public_suffix_length(labels: list[str]) -> int:
    """How many of the last labels form the public suffix (PSL algorithm; 1 when no rule matches)."""
    plain, wild, exceptions = _rules()
    if not plain and not wild:
        return 1
    best = 1
    for n in range(1, len(labels) + 1):
        name = ".".join(labels[-n:])
        if name in exceptions:
            return n - 1
        if name in plain:
            best = max(best, n)
        if n < len(labels) and name in wild:
            best = max(best, n + 1)
    return best


def is_public_suffix(host: str) -> bool:
    """Whether ``host`` is itself a public suffix (``com``, ``co.uk``; any single label without the list)."""
    labels = host.lower().rstrip(".").split(".")
    return public_suffix_length(labels) >= len(labels)


def base_domain(host: str) -> str:
    """The registrable domain of ``host``: mx1.mail.example.co.uk -> example.co.uk."""
    labels = host.lower().rstrip(".").split(".")
    keep = min(public_suffix_length(labels) + 1, len(labels))
    return ".".join(labels[-keep:])


def next_subdomain(host: str) -> str | None:
    """``host`` without its first label (Thunderbird's ``getNextSubDomain``, Mozilla's nsEffectiveTLDService):
    mx1.eu.example.co.uk -> eu.example.co.uk, example-com.mail.protection.outlook.com ->
    mail.protection.outlook.com (the name the ISPDB's Office 365 file lists); None when that is a public suffix."""
    labels = host.lower().rstrip(".").split(".")
    return ".".join(labels[1:]) if len(labels) - 1 > public_suffix_length(labels) else None


def inside(host: str, domains: tuple[str, ...]) -> bool:
    host = host.lower().rstrip(".")
    return any(host == d or host.endswith("." + d) for d in domains if d)
