"""What a request asks for: the mail domain of an autoconfig fetch, the address of an Autodiscover POST.

Everything here refuses rather than guesses: a Host that is not a host name, a body
that is not the Outlook request schema. XML is parsed with defusedxml, with DTDs
forbidden: a billion-laughs bomb or an external entity is refused before it expands.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs

from ..hostnames import DEVIATIONS, idna_form
from ..utf32 import utf_32

#: Autodiscover (Outlook's POX protocol, [MS-OXDSCLI] 2.2.3): the request and the one response schema served.
REQUEST_NS = "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"
RESPONSE_SCHEMA = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
#: ActiveSync's Autodiscover request ([MS-ASCMD] 2.2.2.1): the same elements in a namespace of its own.
MOBILESYNC_NS = "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006"
#: The refusal of a request for another response schema than Outlook's, and of one for ActiveSync's.
ONLY_OUTLOOK = f"only the response schema {RESPONSE_SCHEMA} is served"
NO_ACTIVESYNC = f"{ONLY_OUTLOOK}: this server has no ActiveSync (mobilesync)"
#: The refusal of a body in an encoding expat cannot read: declared (Shift_JIS, UTF-7, an unknown name), or UTF-32.
UNREADABLE_ENCODING = "the body's declared encoding cannot be read: send UTF-8 (or UTF-16)"


class BadRequest(ValueError):
    """The request cannot be answered as written: 400, with this message (it never echoes the request)."""


#: Parameters a query string may have (Thunderbird sends one, emailaddress); more is refused before parsing.
MAX_FIELDS = 20

#: RFC 1123 labels: letters, digits and hyphens, not starting or ending with a hyphen.
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)\Z")


def host_name(text: str) -> str | None:
    """``text`` as a lower-case host name (one trailing dot dropped), or None when it is not one."""
    name = text.lower()
    if name.endswith("."):
        name = name[:-1]
    if not name or len(name) > 253 or not name.isascii():
        return None
    return name if all(_LABEL.match(label) for label in name.split(".")) else None


def target_host(target: str) -> str | None:
    """The host of an absolute-form request target (``GET http://example.com/mail/...``), or None for another form.

    RFC 9112 §3.2.2: a server that receives one must ignore the Host header and use the target's host.
    """
    scheme, sep, rest = target.partition("://")
    if not sep or scheme.lower() not in {"http", "https"}:
        return None
    return re.split(r"[/?#]", rest, maxsplit=1)[0]


#: RFC 3986 s3.1: a URI's scheme, and the colon after it
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def check_target_scheme(target: str) -> None:
    """Refuse a request target that is a URI of another scheme than http or https (``ftp://other.test/...``,
    ``mailto:...``; an authority-form ``example.com:443`` reads as one too, and is CONNECT's only, RFC 9112 s3.2.3).

    A server with no proxy of its own answers for its own resources only (RFC 9112 s3.2.2: the absolute-form is a
    proxy's, which an origin server accepts for its http and https resources); a URI of another scheme names none
    of them. The WSGI server hands the application its path, and the domain came from Host: the request was
    answered as if it had asked for that path here. A path (origin-form) starts with "/", which no scheme does.
    """
    scheme = _SCHEME.match(target)
    if scheme is not None and scheme[0][:-1].lower() not in {"http", "https"}:
        raise BadRequest("the request target is a URI of another scheme than http or https: this server has no proxy")


def sent_target(environ: dict[str, object]) -> str:
    """The request target as the client sent it, not decoded: waitress's and uWSGI's ``REQUEST_URI``,
    gunicorn's ``RAW_URI``; empty under a WSGI server that gives neither (PEP 3333 does not ask for it)."""
    target = environ.get("REQUEST_URI") or environ.get("RAW_URI")
    return target if isinstance(target, str) else ""


def encoded_slash(target: str) -> bool:
    """Whether the path of a request target as sent holds a percent-encoded slash (``%2F``).

    The WSGI server decodes it into ``PATH_INFO``, where ``/mail%2Fconfig-v1.1.xml`` reads as
    ``/mail/config-v1.1.xml``. It is not that path: an encoded slash is a character of one segment, not
    a separator between two (RFC 3986 §2.2: encoding a reserved character changes what it means), so
    the request names a resource of its own, which is not served (Apache's default,
    ``AllowEncodedSlashes Off``, answers it 404 too). Only the path counts: the query may hold one.
    """
    return "%2f" in target.partition("?")[0].partition("#")[0].lower()


#: What a Host field may hold (RFC 9112 §3.2): RFC 3986's host (an IP-literal, or a reg-name, which an IPv4 address
#: also is) and an optional port. The comma of the reg-name's sub-delims is left out: a WSGI server hands the
#: application two Host lines as one value joined by a comma (waitress: ", "), and no host name has one.
_HOST_FIELD = re.compile(
    r"(?:\[(?:[0-9A-Fa-f:.]+|v[0-9A-Fa-f]+\.[A-Za-z0-9._~!$&'()*+;=:-]+)\]"
    r"|(?:[A-Za-z0-9._~!$&'()*+;=-]|%[0-9A-Fa-f]{2})*)(?::[0-9]*)?"
)


def check_host_field(host: str | None, protocol: str) -> None:
    """Refuse what RFC 9112 §3.2 says a server MUST answer 400: an HTTP/1.1 request without Host, and any request
    with more than one Host line or with one that is not ``host[:port]``. Whatever else names the domain (an
    ``emailaddress``, an absolute-form target, an Autodiscover body) changes nothing: such a request is malformed.

    HTTP/1.0 has no Host requirement (RFC 1945 has no Host; RFC 9112 asks it of HTTP/1.1): a request without one
    is answered when it says otherwise what it asks for, as any other request is.
    """
    if host is None:
        if protocol == "HTTP/1.1":
            raise BadRequest("HTTP/1.1 requires a Host header: send one")
        return
    if "," in host:  # two Host lines, joined by the WSGI server (or a list in one line): either way, not one host
        raise BadRequest("the request has more than one Host header: send one")
    if not _HOST_FIELD.fullmatch(host):
        raise BadRequest("the Host header is not a host name")


def domain_from_host(host: str | None, *, target: bool = False) -> str:
    """The host name of a Host header: the port stripped, lower case, validated. ``target``: ``host`` is an
    absolute-form request target's (RFC 9112 §3.2.2: it wins over Host), and the messages name it, not the Host
    header, which may be well-formed."""
    field, short = ("the request target's host",) * 2 if target else ("the Host header", "the Host")
    if host is None:
        raise BadRequest("no Host header and no emailaddress parameter: cannot tell which domain is asked for")
    if not host:  # valid (RFC 9112 §3.2: a target without an authority), and it names no domain
        raise BadRequest(f"{field} is empty and there is no emailaddress parameter: cannot tell which domain is "
                         "asked for")  # fmt: skip
    ip_address = f"{short} is an IP address: ask by name, or add ?emailaddress="
    if host.startswith("["):
        raise BadRequest(ip_address)
    name, _, port = host.rpartition(":") if ":" in host else (host, "", "")
    found = host_name(name)
    if found is None or (port and not (port.isascii() and port.isdigit())):  # "²".isdigit(), and waitress is Latin-1
        raise BadRequest(f"{field} is not a host name")
    if found.rpartition(".")[2].isdigit():  # no top-level domain is all digits (RFC 3696 2): an IPv4 address
        raise BadRequest(ip_address)
    return found


def email_domains(address: str) -> tuple[str, ...]:
    """The domain of an address (``emailaddress=``, an Autodiscover ``EMailAddress``), lower case and validated, as
    the account file holds it: in ASCII. A domain in another script (``alice@bücher.example``, as a user types it in
    a browser's address bar for /mobileconfig, which sends it percent-encoded in UTF-8) is its IDNA form
    (``xn--bcher-kva.example``), the only form the schema takes. Where the two IDNA standards differ (``ß``, ``ς``,
    the zero-width joiners) both forms are given, IDNA 2008's first: the file says which domain it serves."""
    local, at, domain = address.rpartition("@")
    forms = [domain] if domain.isascii() else _ascii_forms(domain)
    found = [name for name in map(host_name, forms) if name is not None] if at and local else []
    if not found:
        raise BadRequest("emailaddress is not an address of the form local@domain")
    return tuple(dict.fromkeys(found))


def _ascii_forms(domain: str) -> list[str]:
    """The IDNA (Punycode) forms of a domain that is not ASCII: IDNA 2008's, when it has a character the standards
    map apart, then IDNA 2003's (Python's codec, which also maps case and compatibility forms); none if neither takes
    it, or if a label is longer than any label's IDNA form may be.

    Punycode's cost grows with the square of a label's length, and Python's codec encodes a label before it checks its
    length: one label of 16,000 characters in an Autodiscover body cost 30-60 s of CPU, holding the GIL against
    every other request. A label's IDNA form has at least as many characters as the label, and at most 63."""
    import unicodedata

    if len(domain) > 253 or any(len(label) > 63 for label in domain.split(".")):
        return []
    forms = []
    if DEVIATIONS.intersection(domain):  # IDNA 2008 keeps them: each label NFC and in lower case, in Punycode
        labels = [unicodedata.normalize("NFC", label.lower()) for label in domain.split(".")]
        forms.append(".".join(x if x.isascii() else "xn--" + x.encode("punycode").decode("ascii") for x in labels))
    if (form := idna_form(domain)) is not None:  # a label the codec refuses (empty, too long, ...): no form
        forms.append(form)
    return forms


def email_parameter(query: str) -> str | None:
    """The ``emailaddress`` of a query string (Thunderbird appends it unless told not to), or None.

    Two of them are refused, as two ``EMailAddress`` in an Autodiscover request are: a client sends one,
    and answering for the first (another domain's document, another person's profile) would be a guess.

    Percent-decoding only: a ``+`` is a plus. parse_qs reads it as a space (HTML forms encode spaces so), but an
    address has no space and Thunderbird percent-encodes the address (``%2B``), so a raw ``+`` comes from a
    client that does not encode, and means ``user+tag@example.com``. ``%20`` is still a space, and white space
    around the address is refused, not trimmed.
    """
    if not query:
        return None
    try:
        plus_kept = query.replace("+", "%2B")  # parse_qs then has no + to turn into a space, and decodes %2B to +
        values = parse_qs(plus_kept, keep_blank_values=True, max_num_fields=MAX_FIELDS).get("emailaddress")
    except ValueError:  # parse_qs refuses more than max_num_fields
        raise BadRequest(f"the query string has more than {MAX_FIELDS} parameters") from None
    if values and len(values) > 1:
        raise BadRequest("the query string has more than one emailaddress: send one")
    if values and values[0] != values[0].strip():
        # not an address, which has none: Thunderbird's field (an <input type="email">) drops it before sending, so a
        # client that sends it has a bug, which a trim would hide (and a 404 or another domain's document mislead)
        raise BadRequest("emailaddress has white space around it: send the address alone")
    return values[0] if values else None


def autodiscover_address(body: bytes) -> str:
    """The one ``EMailAddress`` of an Outlook Autodiscover request.

    The request schema ([MS-OXDSCLI] 2.2.3.1): ``Autodiscover/Request/EMailAddress`` and
    ``AcceptableResponseSchema`` in the requestschema/2006 namespace. A request for another
    response schema (ActiveSync's mobilesync), or an ActiveSync request (its own namespace, asking for
    mobilesync), is refused as such: this server only speaks Outlook's.
    """
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    if utf_32(body) is not None:  # expat takes it for UTF-16, and finds it "not well-formed"
        raise BadRequest(UNREADABLE_ENCODING)
    try:
        root = fromstring(body, forbid_dtd=True)
    except DefusedXmlException:
        raise BadRequest("a DTD or an entity declaration is refused") from None
    except ET.ParseError:
        raise BadRequest("the body is not well-formed XML") from None
    except (ValueError, LookupError):  # expat on a declared encoding: multi-byte (Shift_JIS, UTF-7), or unknown
        raise BadRequest(UNREADABLE_ENCODING) from None
    if root.tag == f"{{{MOBILESYNC_NS}}}Autodiscover":  # an ActiveSync device (iOS, Android) asking for mobilesync
        raise BadRequest(NO_ACTIVESYNC)
    if root.tag != f"{{{REQUEST_NS}}}Autodiscover":
        raise BadRequest(f"the body is not an Autodiscover request ({REQUEST_NS})")
    requests = root.findall(f"{{{REQUEST_NS}}}Request")
    if len(requests) > 1:  # as for two EMailAddress below: one request names one mailbox
        raise BadRequest("the body has more than one Request: send one")
    request = requests[0] if requests else None
    elements = [] if request is None else request.findall(f"{{{REQUEST_NS}}}EMailAddress")
    if len(elements) > 1:  # the request names one mailbox (Outlook sends one): answering for the first is a guess
        raise BadRequest("the request has more than one EMailAddress: send one")
    element = elements[0] if elements else None
    if element is not None and len(element):  # a string in the schema; its text stops at the first child element
        raise BadRequest("the request's EMailAddress holds elements: send the address alone")
    address = None if element is None else element.text
    if not address or not address.strip():
        raise BadRequest("the request has no EMailAddress")
    schema = request.findtext(f"{{{REQUEST_NS}}}AcceptableResponseSchema") if request is not None else None
    if schema is not None and schema.strip() != RESPONSE_SCHEMA:
        raise BadRequest(NO_ACTIVESYNC if "/mobilesync/" in schema else ONLY_OUTLOOK)
    found = str(address).strip()
    email_domains(found)  # a well-formed address, or 400
    return found
