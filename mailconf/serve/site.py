"""What ``mailconf serve`` answers, computed once per load: every response, indexed for a lookup.

A request never renders anything: the autoconfig document of each mail domain, the
Autodiscover response and the Apple profile of each address are built when the file is
loaded, with their headers, and a request is one dictionary lookup. A reload builds a whole
new :class:`Site` and the application swaps one reference to it (see :mod:`.app`).
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

from ..document import read_bytes
from ..errors import InputError
from ..model import Account

if TYPE_CHECKING:
    from ..targets import Gap

#: (name, value) pairs, ready for ``start_response``.
Headers = list[tuple[str, str]]


class Publishers(NamedTuple):
    """The three provider targets' entry points (tests of routing may hand in their own)."""

    #: the domain's document (None when it can have none: the gaps say why) and its gaps
    autoconfig: Callable[[Sequence[Account], str], tuple[bytes | None, tuple[Gap, ...]]]
    autodiscover: Callable[[Account], bytes]
    mobileconfig: Callable[[Account, str], bytes]
    #: (target name, gap) for what the per-account forms cannot express, or why an account has no answer of one
    #: (Apple's payload needs both servers); autoconfig returns its own
    gaps: Callable[[Account], list[tuple[str, Gap]]]


def real_publishers() -> Publishers:
    from ..targets import autoconfig, autodiscover, mobileconfig

    return Publishers(autoconfig.domain_document, autodiscover.account_response, mobileconfig.account_profile, _gaps)


def _gaps(account: Account) -> list[tuple[str, Gap]]:
    """The Autodiscover and Apple profile gaps of one account: each target's own, the ones ``render`` reports."""
    from ..targets import Gaps, autodiscover, mobileconfig

    found: list[tuple[str, Gap]] = []
    for module in (autodiscover, mobileconfig):
        gaps = Gaps()
        module.account_gaps(gaps, account)
        found.extend((module.NAME, gap) for gap in gaps.found)
    return found


class Response(NamedTuple):
    """A precomputed answer: the body and its headers (Content-Type, Content-Length, ETag, Cache-Control...)."""

    body: bytes
    etag: str
    headers: Headers


class FileSignature(NamedTuple):
    """What the poller compares: a replaced file (new inode), an edit (size, mtime), a chmod or chown (ctime)."""

    device: int
    inode: int
    size: int
    mtime_ns: int
    #: the status-change time: a chmod or chown changes only it, and can make the file unreadable or readable again
    ctime_ns: int


def signature(path: str) -> FileSignature | None:
    """The file's signature, or None when it cannot be stat'ed (missing for a moment while an editor replaces it)."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return FileSignature(info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


class Site(NamedTuple):
    """Everything one load of the file serves."""

    #: mail domain (lower case) -> its autoconfig document
    autoconfig: Mapping[str, Response]
    #: address (domain in lower case) -> its Autodiscover response
    autodiscover: Mapping[str, Response]
    #: address (domain in lower case) -> its Apple configuration profile
    mobileconfig: Mapping[str, Response]
    accounts: int
    #: when the file was loaded (seconds since the epoch)
    loaded_at: float
    #: the file's signature just before it was read
    source: FileSignature | None
    #: mail domains (lower case) that have accounts but no autoconfig document: none of them has an incoming server
    no_autoconfig: frozenset[str] = frozenset()
    #: addresses (keys as above) of accounts without an Apple profile: one server only, which the payload cannot say
    no_profile: frozenset[str] = frozenset()
    #: a served address in lower case -> its key, for each address no other served one equals but for case
    folded: Mapping[str, str] = {}


class Loaded(NamedTuple):
    """A file that can be served: its site, and the warnings that go with it (never refusals)."""

    site: Site
    #: (scope, gap): what the published forms cannot express ("all targets", "autoconfig")
    gaps: tuple[tuple[str, Gap], ...]
    #: what is served otherwise than render would write it (two accounts with one address), one line each
    notes: tuple[str, ...]


#: Autoconfig documents describe a domain, not a person: proxies and clients may keep them for a while;
#: the ETag makes revalidation after a reload cheap.
AUTOCONFIG_CACHE = "public, max-age=300"
#: Per-person answers: the client may keep them, a shared cache may not.
PERSONAL_CACHE = "private, no-cache"
XML = "application/xml; charset=utf-8"
PROFILE = "application/x-apple-aspen-config"
#: Sent with every answer, errors included (a browser may open any of these URLs): nosniff, so that an XML
#: document or a line of text is never sniffed into HTML; a policy that lets whatever a browser renders of an answer
#: load and run nothing, and no page frame it. Strict-Transport-Security is the TLS proxy's: it must not come with
#: an answer over plain http (RFC 6797 s7.2), which Thunderbird asks too, and this server cannot tell which it was.
SAFE_HEADERS: tuple[tuple[str, str], ...] = (
    ("X-Content-Type-Options", "nosniff"),
    ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
)


def address_key(address: str) -> str:
    """The lookup key of an address: the domain is case-insensitive (RFC 5321 §2.4), the local part is kept."""
    local, _, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}"


def served_key(site: Site, address: str) -> str:
    """The key an address is answered under: its own, else that of the one served address it equals but for case.

    RFC 5321 §2.4 lets a server tell ``Alice@`` from ``alice@``, and discourages it; mail servers do not (Dovecot,
    Postfix, Exchange), and a user types the address as it comes (a capital first letter). Two served addresses
    that differ only in case are each found by their own spelling, and neither by a third one: that would be a
    guess between two people.
    """
    key = address_key(address)
    return key if key in site.autodiscover else site.folded.get(key.lower(), key)


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


#: Reads of a file that keeps changing while it is read, before it is refused (:func:`read_whole`).
READ_ATTEMPTS = 3
#: Seconds between two of those reads (the watcher's settle time).
READ_PAUSE = 0.2


class FileChanging(InputError):
    """The file changed each time it was read: what was read may be half of an edit."""


def read_whole(path: str) -> tuple[FileSignature | None, bytes]:
    """The file's signature and bytes, read while nothing changed it: the signature is taken before and after
    the read, and a read during which it changed (a writer in the middle of an edit: what was read may be cut
    anywhere, even at an account's boundary, and still load) is thrown away and done again, after a pause, up to
    READ_ATTEMPTS times; then FileChanging. The signature is the one the watcher compares with."""
    for attempt in range(READ_ATTEMPTS):
        if attempt:
            time.sleep(READ_PAUSE)
        before = signature(path)
        raw = read_bytes(path)
        if signature(path) == before:
            return before, raw
    raise FileChanging(f"{path}: changed each time it was read ({READ_ATTEMPTS} times): still being written?")


def build_site(path: str, publishers: Publishers | None = None) -> Loaded:
    """Load ``path`` like ``render`` does and build every response.

    Raises what :func:`mailconf.render.renderable_model` raises (InvalidFile with the
    findings, NeverRendered, InputError) and RenderError for a value a target cannot write.
    """
    from ..document import gc_paused
    from ..escape import UnsafeValue
    from ..render import RenderError, renderable_model
    from ..targets.autoconfig import in_file_order

    chosen = publishers or real_publishers()
    source, raw = read_whole(path)
    model, shared = renderable_model(path, (), raw)
    source_name = os.path.basename(path)  # the profiles' UUIDs derive from it; a directory is never served
    by_domain: dict[str, list[Account]] = {}
    for account in model.accounts:
        by_domain.setdefault(domain_of(account.address), []).append(account)
    gaps: list[tuple[str, Gap]] = [("all targets", gap) for gap in shared]
    notes: list[str] = []
    autoconfig: dict[str, Response] = {}
    autodiscover: dict[str, Response] = {}
    mobileconfig: dict[str, Response] = {}
    no_autoconfig: set[str] = set()  # so that a 404 can say why there is no answer, not that there is no account
    no_profile: set[str] = set()
    try:
        with gc_paused():  # many small objects, no cycles (see gc_paused)
            domain_gaps: list[Gap] = []
            for domain, accounts in by_domain.items():
                document, document_gaps = chosen.autoconfig(accounts, domain)
                if document is not None:
                    autoconfig[domain] = _response(document, XML, AUTOCONFIG_CACHE)
                else:  # a request for the domain is a 404, as render writes no file: one that says why
                    no_autoconfig.add(domain)
                domain_gaps.extend(document_gaps)
            gaps.extend(("autoconfig", gap) for gap in in_file_order(domain_gaps, model.accounts))
            answering: dict[str, str] = {}  # address key -> the account that answers for it
            # each per-account form's gaps together, in the order publishers.gaps names the forms: the order of
            # `mailconf render -t autoconfig -t autodiscover -t mobileconfig`, not each account's forms in turn
            per_form: dict[str, list[tuple[str, Gap]]] = {}
            for account in model.accounts:
                key = address_key(account.address)
                first = answering.setdefault(key, account.name)
                if first != account.name:  # the same address twice: the first account in the file answers
                    notes.append(
                        f"autodiscover, mobileconfig: accounts {first} and {account.name} have the same address "
                        f"{account.address}: {first} answers for it (give each account its own address)"
                    )
                    continue
                autodiscover[key] = _response(chosen.autodiscover(account), XML, PERSONAL_CACHE)
                for scope, gap in chosen.gaps(account):
                    per_form.setdefault(scope, []).append((scope, gap))
                try:
                    profile = chosen.mobileconfig(account, source_name)
                except UnsafeValue:
                    raise
                except ValueError:  # an account Apple's payload cannot describe (one server only): a gap says so
                    no_profile.add(key)
                    continue
                mobileconfig[key] = _response(profile, PROFILE, PERSONAL_CACHE, _attachment(account.address))
            for found in per_form.values():
                gaps.extend(found)
    except UnsafeValue as exc:  # the message names the rule and setting, never the value
        raise RenderError(f"{path}: not served: {exc}") from None
    site = Site(autoconfig, autodiscover, mobileconfig, len(model.accounts), time.time(), source,
                frozenset(no_autoconfig), frozenset(no_profile), folded_keys(autodiscover))  # fmt: skip
    return Loaded(site, tuple(gaps), tuple(notes))


def folded_keys(served: Mapping[str, object]) -> dict[str, str]:
    """Each served address in lower case -> its key, when no other served address has that lower case."""
    seen: dict[str, str | None] = {}
    for key in served:
        seen[key.lower()] = None if key.lower() in seen else key
    return {lower: key for lower, key in seen.items() if key is not None}


def _response(body: bytes, content_type: str, cache: str, *extra: tuple[str, str]) -> Response:
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = [
        ("Content-Type", content_type),
        ("Content-Length", str(len(body))),
        ("ETag", etag),
        ("Cache-Control", cache),
        *SAFE_HEADERS,
        *extra,
    ]
    return Response(body, etag, headers)


_UNSAFE_IN_FILENAME = re.compile(r"[^A-Za-z0-9._@+-]")


def _attachment(address: str) -> tuple[str, str]:
    """The profile's download name: the address, with anything that could break the header replaced; where that
    replaced a character (``josé@``), the address itself too, as RFC 6266 §4.3 gives it (``filename*``, RFC 8187's
    UTF-8 percent-encoded), which browsers take over the ASCII stand-in (``jos_@``)."""
    from urllib.parse import quote

    name = _UNSAFE_IN_FILENAME.sub("_", address)[:200]
    value = f'attachment; filename="{name}.mobileconfig"'
    if name != address:
        value += f"; filename*=UTF-8''{quote(address + '.mobileconfig', safe='')}"
    return ("Content-Disposition", value)
