"""What one ``<incomingServer>`` or ``<outgoingServer>`` of a Thunderbird clientConfig (autoconfig) file means.

The one reader of a server element, for ``mailconf discover`` (a file from the network) and ``mailconf import
--from autoconfig`` (a file on disk): each keeps only what is its own (discover its candidates, notes and
hostile-input limits; import its positions and the account file). Values are read as Thunderbird 153 reads them
(readFromXML.sys.mjs over JXON.sys.mjs, InputSanitizer.sys.mjs, AccountConfig.replaceVariables), checked against
it by tests/test_clientconfig.py:

- ``hostname``: trimmed (JavaScript's white space), a host name or IPv4 address, lower-cased; the placeholders
  filled in. A final ``.`` is dropped (the same host; the account file does not hold it). What JXON reads as no
  value (:func:`no_value`: ``false`` in any case, ``0``, ``0x0``) is none: the server is left out, as Thunderbird
  leaves it out. An empty ``<hostname/>`` (Thunderbird's host ``true``) leaves the server out too, with a note that
  says Thunderbird takes it.
- ``port``: a number as JavaScript reads one (``993abc``, `` 993 `` and ``993.0`` are 993; ``0x3e1`` and an empty
  element are none), 1-65535; one that is not plain digits gets a note. An incoming server without ``<port>`` is on
  the protocol's usual port for its security (Thunderbird probes for it); an outgoing one without it is left out.
- ``socketType``, ``authentication``: spelt exactly (case and white space included), the first of several that is
  known. No ``authentication`` at all leaves the server out.
- ``username``: trimmed, with a note (Thunderbird logs in with it as written, white space included); the
  placeholders filled in; the address is no username (the account file's default). An empty or blank element
  (Thunderbird's user names ``true`` and ``NaN``) is none, the address, with a note. One JXON reads as a number or a
  boolean (``0012345``, ``FALSE``) is kept as written, with a note saying what Thunderbird logs in as (``12345``,
  ``false``: :func:`js_string`).
- ``pop3``: ``leaveMessagesOnServer`` is ``true`` or ``false`` in any case (an empty element is true), and
  ``daysToLeaveMessagesOnServer`` a number; when the first is neither, Thunderbird reads neither. Days are kept
  unless mail is not left, and only within the account file's 1-3650.

- ``domain`` (of the ``emailProvider``): checked as a host name as ``hostname`` is (``false`` and ``0`` are none),
  lower-cased, a final ``.`` dropped; a bad one is left out (Thunderbird too), and a file with none left is refused
  ("need proper <domain> in XML"). Thunderbird also keeps a placeholder (``%EMAILDOMAIN%``: the file is for any
  address), an IP address and an empty element (read as ``true``), which name no domain: both commands leave those out,
  with a note.

- ``id`` (of the ``emailProvider``): read first, as a host name as ``hostname`` is (the attribute read as JXON reads
  a value: ``false``, ``0`` and ``0x10`` are no value); Thunderbird refuses the whole file when there is none or it
  is not one, and both commands refuse it too (import names the account after it).

A server left out says why in one line that both commands print (values quoted, cut, at most five listed).
"""

from __future__ import annotations

import decimal
import ipaddress
import math
import re
from collections.abc import Mapping
from typing import NamedTuple, TypeVar
from xml.etree.ElementTree import Element

from .errors import cut, double_quoted
from .hostnames import is_dns_host, is_dotted_quad, is_host_name
from .model import Auth, Protocol, Security

#: how much of one value a reason quotes, and how many values it lists (a file may hold thousands, or a megabyte)
QUOTED = 64
LISTED = 5

_PROTOCOLS = {
    ("incomingServer", "imap"): Protocol.IMAP,
    ("incomingServer", "pop3"): Protocol.POP3,
    ("outgoingServer", "smtp"): Protocol.SMTP,
}
#: the incoming types Thunderbird takes and mailconf does not hold (an Exchange or news server)
_THUNDERBIRD_ONLY = frozenset(("nntp", "exchange", "ews", "owa", "graph"))
_SOCKETS = {"SSL": Security.TLS, "STARTTLS": Security.STARTTLS, "plain": Security.NONE}
#: readFromXML's names for an incoming server -> auth, and mechanisms when the name fixes them; ``none`` and
#: ``TLS-client-cert`` are mailconf's own (Thunderbird skips them there, as it skips an unknown name)
_AUTH: dict[str, tuple[Auth, tuple[str, ...]]] = {
    "password-cleartext": (Auth.PASSWORD, ()),
    "plain": (Auth.PASSWORD, ()),
    "password-encrypted": (Auth.PASSWORD, ("cram-md5",)),
    "secure": (Auth.PASSWORD, ("cram-md5",)),
    "OAuth2": (Auth.OAUTH2, ()),
    "NTLM": (Auth.NTLM, ()),
    "GSSAPI": (Auth.GSSAPI, ()),
    "TLS-client-cert": (Auth.CLIENT_CERT, ()),
    "none": (Auth.NONE, ()),
}
#: what only an outgoing server may say: the provider relays for its own network, or for an address that has
#: just fetched mail: no login, as Thunderbird reads both
_OUTGOING_AUTH = {**_AUTH, "client-IP-address": (Auth.NONE, ()), "smtp-after-pop": (Auth.NONE, ())}

#: JavaScript's white space and line terminators (String.prototype.trim, parseInt): not Python's str.strip() set
JS_SPACE = "\t\n\v\f\r \xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000\ufeff"
_PLACEHOLDER = re.compile("%(EMAILADDRESS|EMAILLOCALPART|EMAILDOMAIN)%")
#: InputSanitizer.hostname: a name with placeholders, checked before they are filled in
_PLACEHOLDER_HOST = re.compile(r"[a-zA-Z0-9\-.]*(%[A-Z0-9]+%[a-zA-Z0-9\-.]*)+")
#: hostnameUtils.isLegalHostName (with at most 255 characters)
_THUNDERBIRD_HOST = re.compile(
    r"(([a-z0-9]|[a-z0-9][a-z0-9\-]{0,61}[a-z0-9])\.)*([a-z0-9]|[a-z0-9][a-z0-9\-]{0,61}[a-z0-9])\.?", re.IGNORECASE
)
#: a decimal number, one way only to match it (``[0-9]+\.?[0-9]*`` tried every split of the digits: quadratic)
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NOT_DECIMAL = re.compile(r"0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+")
_PARSE_INT = re.compile(r"([+-]?)(?:0[xX]([0-9a-fA-F]+)|(?!0[xX])([0-9]+))")
_BOOLEAN = re.compile(r"true|false", re.IGNORECASE)
#: what a username with white space around it is said to be
TRIMMED = "has white space around it: trimmed, where Thunderbird logs in with it as written; check it"
#: the account file's leave_days
DAYS = range(1, 3651)
_DIGITS = re.compile("[0-9]+")


class Settings(NamedTuple):
    """What a server element says, in the account file's terms."""

    protocol: Protocol
    host: str
    port: int | None  # None: an incoming server without <port> (the protocol's usual port for its security)
    security: Security
    auth: Auth
    mechanisms: tuple[str, ...] = ()
    username: str | None = None  # None: the address
    leave_on_server: bool | None = None  # POP3: None when <pop3> says nothing usable
    leave_days: int | None = None
    #: what the element says that is not kept as written, one line each, as both commands say it
    #: (``<incomingServer type="pop3"> pop.example.com: daysToLeaveMessagesOnServer "0" is not ...``)
    dropped: tuple[str, ...] = ()


class Skipped(NamedTuple):
    """A server left out: ``<incomingServer type="imap"> imap.example.com left out: no socketType``."""

    what: str  # the element and its type, and the host when it was read
    why: str
    #: whether Thunderbird leaves it out too (not an Exchange server, not an IPv6 address)
    thunderbird: bool = True

    def __str__(self) -> str:
        return f"{self.what} left out: {self.why}"


def quoted(value: str) -> str:
    """A value of the file as a reason quotes it: :func:`~mailconf.errors.double_quoted`, cut past :data:`QUOTED`
    characters (``"9999..."... (70 characters)``)."""
    return cut(value, QUOTED, double_quoted)


def listed(values: list[str]) -> str:
    """Values of the file as a reason lists them: the first :data:`LISTED`, each :func:`quoted`, then how many more."""
    more = len(values) - LISTED
    return ", ".join(map(quoted, values[:LISTED])) + (f" and {more} more" if more > 0 else "")


def read_server(element: Element, address: str) -> Settings | Skipped:
    """What ``element`` (an ``<incomingServer>`` or ``<outgoingServer>``) means for ``address``, or why it is left
    out, in readFromXML's order."""
    kind = element.get("type", "")
    what = f"<{element.tag} type={quoted(kind)}>"
    protocol = _PROTOCOLS.get((element.tag, kind))
    if protocol is None:
        return Skipped(what, "mailconf holds IMAP, POP3 and SMTP servers only", kind not in _THUNDERBIRD_ONLY
                       or element.tag != "incomingServer")  # fmt: skip
    host = read_host(element.find("hostname"), address)
    if not isinstance(host, str):
        return host._replace(what=what)
    what = f"{what} {host}"
    given = element.find("port")
    port = _port(given)
    if port is None and (given is not None or protocol is Protocol.SMTP):
        return Skipped(what, "no port" if given is None else f"{quoted(_shown(given))} is not a port")
    sockets = element.findall("socketType")
    security = _first(sockets, _SOCKETS)
    if security is None:
        return Skipped(what, f"socketType {listed([_shown(s) for s in sockets])} is none of SSL, STARTTLS, plain"
                       if sockets else "no socketType")  # fmt: skip
    methods = element.findall("authentication")
    known = _first(methods, _OUTGOING_AUTH if protocol is Protocol.SMTP else _AUTH)
    if known is None:
        return Skipped(what, f"authentication {listed([_shown(m) for m in methods])} is none mailconf knows"
                       if methods else "no authentication")  # fmt: skip
    auth, mechanisms = known
    username, said = _username(element.find("username"), address)
    settings = Settings(protocol, host, port, security, auth, mechanisms, None if username == address else username)
    if protocol is Protocol.POP3:
        settings = _pop3(element, settings)
    notes = (*said, *settings.dropped)
    if given is not None and port is not None and not _DIGITS.fullmatch(_shown(given)):
        notes = (f"port {quoted(_shown(given))} is read as {port}, as Thunderbird reads it (JavaScript's parseInt): "
                 f"write {port}", *notes)  # fmt: skip
    return settings._replace(dropped=tuple(f"{what}: {note}" for note in notes))


def read_domain(element: Element) -> str | Skipped:
    """What a ``<domain>`` of an ``<emailProvider>`` names, as readFromXML checks it (InputSanitizer.hostname: a host
    name or IP address, lower-cased), a final ``.`` dropped; or why it is left out. Thunderbird keeps a placeholder
    (``%EMAILDOMAIN%``) and an IP address, which name no domain an address is in: mailconf leaves them out."""
    host = read_host(element, None)
    if isinstance(host, Skipped):
        return host._replace(what="<domain>", why="blank" if host.why == "no hostname" else host.why)
    if _PLACEHOLDER_HOST.fullmatch(host):
        return Skipped("<domain>", f"{quoted(host)} is a placeholder, no domain", thunderbird=False)
    if not is_dns_host(host):
        return Skipped("<domain>", f"{quoted(host)} is read as an IP address, not a domain", thunderbird=False)
    return host


def read_id(provider: Element) -> str | Skipped:
    """The ``id`` of an ``<emailProvider>`` as readFromXML reads it, first of all: InputSanitizer.hostname of what
    JXON makes of the attribute; or why Thunderbird refuses the whole file for it (``Skipped.thunderbird``), or why
    mailconf reads no host name in one Thunderbird takes (an IPv6 address)."""
    text = provider.get("id")
    refused = ": Thunderbird refuses the file"
    if text is None:
        return Skipped("<emailProvider>", f"no id{refused}")
    what = f"<emailProvider> id {quoted(text)}"
    if not text.strip(JS_SPACE):  # JXON: NaN; nonemptystring throws
        return Skipped(what, f"a blank id{refused}")
    if (said := no_value(text)) is not None:
        return Skipped(what, f"the id is read as {said} (no value){refused}")
    host = _host_text(text, False, None)
    if isinstance(host, Skipped):
        return host._replace(what=what, why=f"the id is not a host name{refused if host.thunderbird else ''}")
    return host


def no_value(text: str) -> str | None:
    """What JXON reads ``text`` (an element's or an attribute's) as when that is no value, which
    InputSanitizer.nonemptystring (and so .hostname) throws for: ``false`` (in any case, untrimmed) or ``the number
    0`` (the trimmed text is a number Number() reads, and parseFloat's is 0: ``0``, `` -0.0 ``, ``0e5``, ``0x10``);
    None for any other text (a blank one is NaN: each caller says "blank" its own way)."""
    if text.lower() == "false":
        return "false"
    trimmed = text.strip(JS_SPACE)
    if _NOT_DECIMAL.fullmatch(trimmed) or (_DECIMAL.fullmatch(trimmed) and not float(trimmed)):
        return "the number 0"  # isFinite("0x10"), then parseFloat reads its leading 0
    return None


def js_text(text: str) -> str | None:
    """What Thunderbird's InputSanitizer.nonemptystring makes of an element's ``text`` after JXON read it, as a
    user name (an Autodiscover ``<LoginName>``): None where it throws (:func:`no_value`, or a blank text); else
    :func:`js_string`. Checked against Thunderbird 153 by tests/targets/test_autodiscover.py."""
    if _NOT_NUMBER.search(text) is not None:  # most user names: no number, at most a boolean (a render's hot path)
        lowered = text.lower()
        return None if lowered == "false" else "true" if lowered == "true" else text
    if not text.strip(JS_SPACE) or no_value(text) is not None:
        return None
    return js_string(text)


def js_string(text: str) -> str:
    """``String()`` of what JXON makes of a text that is not blank, as InputSanitizer.string gives it (an autoconfig
    ``<username>``): ``true`` and ``false`` in any case are the booleans, ``"true"``, ``"false"``; a finite number
    (``isFinite``: ``0012345``, `` 42 ``, ``1e3``, ``0x10``) is ``String(parseFloat(text))``: ``"12345"``, ``"42"``,
    ``"1000"``, ``"0"``; any other text is itself. Checked against Thunderbird 153 (tests/test_clientconfig.py)."""
    if _NOT_NUMBER.search(text) is not None:
        lowered = text.lower()
        return lowered if lowered in ("true", "false") else text
    trimmed = text.strip(JS_SPACE)
    if _NOT_DECIMAL.fullmatch(trimmed):  # isFinite("0x10"), then parseFloat reads its leading 0
        return "0"
    if _DECIMAL.fullmatch(trimmed) and math.isfinite(number := float(trimmed)):
        return js_number(number)
    return text


#: A character no number JavaScript's isFinite() takes can hold (not a digit, sign, point, exponent, 0x/0o/0b, hex
#: digit or white space): a text holding one is no number to JXON (``true`` and ``false`` aside)
_NOT_NUMBER = re.compile(f"[^0-9a-fA-F.+\\-xXoO{re.escape(JS_SPACE)}]")


def js_number(number: float) -> str:
    """JavaScript's ``String(number)`` of a finite number (ECMA-262 Number::toString: the shortest digits that
    read back, which Python's ``repr`` also gives; plain up to 21 integer digits, an exponent from 1e21 and below
    1e-6)."""
    if number == 0:
        return "0"
    if number < 0:
        return "-" + js_number(-number)
    _sign, digit_tuple, exponent = decimal.Decimal(repr(number)).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    k, n = len(digits), int(exponent) + len(digits)  # number = 0.DIGITS x 10**n
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return f"{digits[:n]}.{digits[n:]}"
    if -6 < n <= 0:
        return "0." + "0" * -n + digits
    mantissa = digits if k == 1 else f"{digits[0]}.{digits[1:]}"
    return f"{mantissa}e{'+' if n - 1 >= 0 else '-'}{abs(n - 1)}"


def no_domain(dropped: list[Skipped]) -> str:
    """Why an ``<emailProvider>`` whose ``<domain>`` elements are all left out (``dropped``) is refused."""
    if all(skipped.thunderbird for skipped in dropped):  # readFromXML: "need proper <domain> in XML"
        return f"no <domain>{' left' if dropped else ''}: Thunderbird refuses the file"
    return "no <domain> left that names a domain (Thunderbird takes the file for any address)"


def fill(text: str, address: str) -> str:
    """``text`` with %EMAILADDRESS%, %EMAILLOCALPART% and %EMAILDOMAIN% replaced wherever they are, as Thunderbird
    replaces them in a username and a host name; in one pass: a local part may hold '%' ("a%EMAILDOMAIN%")."""
    local, _, domain = address.rpartition("@")
    values = {"EMAILADDRESS": address, "EMAILLOCALPART": local, "EMAILDOMAIN": domain}
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


_T = TypeVar("_T")


def _first(elements: list[Element], table: Mapping[str, _T]) -> _T | None:
    """What the first element that ``table`` knows says, spelt exactly (InputSanitizer.translate), as readFromXML
    takes the first socketType and authentication it knows of several."""
    return next((table[text] for e in elements if (text := _value(e)) is not None and text in table), None)


def read_host(given: Element | None, address: str | None) -> str | Skipped:
    """A ``<hostname>`` (or ``<domain>``, or Autodiscover's ``<Server>``) as InputSanitizer.hostname reads what JXON
    made of it, the placeholders filled in for ``address``; without one (a domain, which Thunderbird keeps as written),
    a name with placeholders as it is. An empty element is JXON's true, the host ``true`` to Thunderbird: mailconf
    invents no host, and says so."""
    if given is not None and given.text is None and _value(given) == "":
        tag = given.tag.rpartition("}")[2]
        named = "domain" if tag == "domain" else "host"
        return Skipped("", f'empty (Thunderbird reads <{tag}/> as the {named} "true")', thunderbird=False)
    # JXON makes an object of an element with attributes: no host name
    return _host_text("" if given is None else _shown(given), given is not None and _value(given) is None, address)


def _host_text(given: str, structured: bool, address: str | None) -> str | Skipped:
    """:func:`read_host` of an element's (or an attribute's) text."""
    text = given.strip(JS_SPACE)
    if not text:
        return Skipped("", "no hostname")
    if not structured and (said := no_value(given)) is not None:  # nonemptystring throws
        return Skipped("", f"{quoted(text)} is read as {said} (no value)")
    placeholders = _PLACEHOLDER_HOST.fullmatch(text) is not None
    if structured or not (placeholders or _thunderbird_host(text)):
        return Skipped("", f"{quoted(text)} is not a host name")
    if address is None and placeholders:
        return text
    host = (text if address is None else fill(text, address)).lower()
    host = host[:-1] if host.endswith(".") else host
    if not (is_host_name(host) or is_dotted_quad(host)):  # an IPv6 address, a placeholder mailconf does not fill
        return Skipped("", f"{quoted(host)} is not a host name", thunderbird=False)
    return host


def _thunderbird_host(text: str) -> bool:
    """hostnameUtils.isLegalHostNameOrIP, without the extended IPv4 forms (as InputSanitizer.hostname asks)."""
    if len(text) <= 255 and _THUNDERBIRD_HOST.fullmatch(text):
        return True
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _username(given: Element | None, address: str) -> tuple[str | None, tuple[str, ...]]:
    """The ``<username>``, trimmed, the placeholders filled in; None: none, or an empty or blank one, for which the
    address is the login. Thunderbird logs in with it as written (InputSanitizer.string: white space included; an
    empty element is JXON's true and a blank one NaN, the user names 'true' and 'NaN'): each of those gets a note.
    Trimmed, not kept: a tab or line break around a name (pretty-printed XML) is no user name the account file
    holds, and a login with spaces around the name fails in Thunderbird too."""
    if given is None:
        return None, ()
    text = given.text or ""
    name = text.strip(JS_SPACE)
    if not name:
        said = "a blank <username> (Thunderbird logs in as \"NaN\")" if text else (
            "an empty <username/> (Thunderbird logs in as \"true\")")  # fmt: skip
        return None, (f"{said}: the address is the login",)
    around: tuple[str, ...] = () if name == text else (f"username {quoted(text)} {TRIMMED}",)
    if (login := js_string(text)) not in (text, name):  # JXON read a number or a boolean out of it
        around += (f"username {quoted(name)} is kept as written; Thunderbird logs in as {quoted(login)}",)
    return fill(name, address), around


def _port(given: Element | None) -> int | None:
    number = None if given is None else js_integer(given)
    return int(number) if number is not None and 1 <= number <= 65535 else None


def _pop3(element: Element, settings: Settings) -> Settings:
    """The ``<pop3>`` settings, as readFromXML reads them: in one try, so an unreadable leaveMessagesOnServer drops
    the days too."""
    pop3 = element.find("pop3")
    if pop3 is None:
        return settings
    leave_element, days_element = pop3.find("leaveMessagesOnServer"), pop3.find("daysToLeaveMessagesOnServer")
    leave = None if leave_element is None else _boolean(leave_element)
    if leave_element is not None and leave is None:
        said = quoted(_shown(leave_element))
        return settings._replace(dropped=(f"leaveMessagesOnServer {said} is neither true nor false: the <pop3> "
                                          "settings are left out, as Thunderbird leaves them",))  # fmt: skip
    settings = settings._replace(leave_on_server=leave)
    days = None if days_element is None else js_integer(days_element)
    if days_element is None or leave is False:
        return settings
    if days is None or days not in DAYS:
        said = quoted(_shown(days_element))
        return settings._replace(dropped=(f"daysToLeaveMessagesOnServer {said} is not a number of days from 1 to "
                                          "3650: left out",))  # fmt: skip
    return settings._replace(leave_days=int(days))


def _shown(element: Element) -> str:
    """An element's own text (JXON joins the text around child elements)."""
    return (element.text or "") + "".join(child.tail or "" for child in element)


def _value(element: Element) -> str | None:
    """The text JXON makes a value of, or None where it makes an object (attributes or child elements), which no
    number or boolean is read from."""
    return None if element.attrib or len(element) else _shown(element)


def _boolean(element: Element) -> bool | None:
    """InputSanitizer.boolean of what JXON made of the element: an empty element is true; None where it throws."""
    text = _value(element)
    if text is None or (text and not _BOOLEAN.fullmatch(text)):
        return None
    return not text or text.lower() == "true"


def js_integer(element: Element) -> float | None:
    """InputSanitizer.integer of what JXON made of the element (a number when the text is a finite one, read by
    parseFloat, else parseInt of the text), truncated; None where it throws (NaN). A float: it may be infinite."""
    text = _value(element)
    if not text:  # an empty element is true, white space NaN: no number
        return None
    trimmed = text.strip(JS_SPACE)
    if _NOT_DECIMAL.fullmatch(trimmed):  # isFinite("0x3e1"), then parseFloat reads its leading 0
        return 0.0
    if _DECIMAL.fullmatch(trimmed) and math.isfinite(number := float(trimmed)):
        return float(math.trunc(number))
    match = _PARSE_INT.match(trimmed)  # parseInt: a sign, then hex digits after 0x, or decimal ones
    if match is None:
        return None
    sign, digits = match.group(1), match.group(2) or match.group(3)
    value = float(int(digits, 16 if match.group(2) else 10)) if len(digits) <= 250 else math.inf  # int() of 4,300
    return -value if sign == "-" else value  # digits raises; 250 hex digits still fit a float
