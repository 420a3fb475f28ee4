"""The pure parts of discover: RFC 2782 order, base domains, clientConfig parsing of hostile values."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mailconf.discover import domains
from mailconf.discover.clientconfig import XmlError, parse
from mailconf.discover.dns import Srv, parse_server
from mailconf.discover.engine import _schema_valid
from mailconf.discover.srv import order
from mailconf.discover.values import Candidate, Config, NotFound, without_userinfo
from mailconf.model import Auth, Protocol, Security

from .rig import config, server

ADDRESS = "alice@example.test"


def test_srv_order_priority_first_then_weight() -> None:
    records = [Srv(20, 0, 1, "c"), Srv(10, 0, 1, "zero"), Srv(10, 100, 1, "heavy"), Srv(5, 0, 1, "a")]
    # weight 0 is taken first only when the random number is 0: with this seed, the heavy one comes first
    assert [r.target for r in order(records, random.Random(1))] == ["a", "heavy", "zero", "c"]


def test_srv_order_is_weighted() -> None:
    """Over many draws the 3:1 weights show (a property of the distribution, not a timing)."""
    rng = random.Random(7)
    records = [Srv(0, 30, 1, "three"), Srv(0, 10, 1, "one")]
    firsts = [order(records, rng)[0].target for _ in range(4000)]
    assert 0.70 < firsts.count("three") / len(firsts) < 0.80


def _rfc_2782_order(records: list[Srv], rng: random.Random) -> list[Srv]:
    """RFC 2782's selection as the RFC writes it (a loop over the records left for each pick): the reference."""
    result: list[Srv] = []
    for priority in sorted({r.priority for r in records}):
        pool = sorted((r for r in records if r.priority == priority), key=lambda r: r.weight != 0)
        while pool:
            pick = rng.randint(0, sum(r.weight for r in pool))
            running = 0
            for index, record in enumerate(pool):
                running += record.weight
                if running >= pick:
                    result.append(pool.pop(index))
                    break
    return result


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 3), st.sampled_from([0, 0, 1, 2, 7, 65535])), max_size=40),
    st.integers(0, 2**32),
)
def test_srv_order_picks_what_the_rfc_loop_picks(shapes: list[tuple[int, int]], seed: int) -> None:
    """order() keeps its running sums in a tree (a pick costs log n, not n: 3,300 records took 1.1 s per service);
    the same draws must pick the same records, weight-0 ones and records already taken included."""
    records = [Srv(priority, weight, 1, f"t{n}") for n, (priority, weight) in enumerate(shapes)]
    assert order(records, random.Random(seed)) == _rfc_2782_order(records, random.Random(seed))


@pytest.mark.parametrize(
    ("host", "base"),
    [
        ("mx1.eu.hoster.test", "hoster.test"),
        ("aspmx.l.google.com", "google.com"),
        ("mx.example.co.uk", "example.co.uk"),
        ("hoster.test", "hoster.test"),
    ],
)
def test_base_domain(host: str, base: str) -> None:
    if not any(p.exists() for p in domains.PSL_FILES) and host.endswith(".co.uk"):
        pytest.skip("needs the Public Suffix List (Debian: publicsuffix)")
    assert domains.base_domain(host) == base


@pytest.mark.parametrize(
    ("host", "longer"),
    [
        ("mx1.eu.hoster.test", "eu.hoster.test"),
        ("mx.eu.example.co.uk", "eu.example.co.uk"),
        # the ISPDB's Office 365 file lists mail.protection.outlook.com; it was protection.outlook.com
        ("example-com.mail.protection.outlook.com", "mail.protection.outlook.com"),
        ("a.b.c.hoster.test", "b.c.hoster.test"),
        ("mx.hoster.test", "hoster.test"),  # the base domain itself: it was the MX host, mx.hoster.test
        ("mx.example.co.uk", "example.co.uk"),
        ("hoster.test", None),
        ("example.co.uk", None),
    ],
)
def test_next_subdomain(host: str, longer: str | None) -> None:
    """Thunderbird's getNextSubDomain (Mozilla's nsEffectiveTLDService): the host without its first label; None when
    that is a public suffix."""
    if not domains.have_list():
        pytest.skip("needs the Public Suffix List (Debian: publicsuffix)")
    assert domains.next_subdomain(host) == longer


@pytest.mark.parametrize(("host", "suffix"), [("com", True), ("co.uk", True), ("test", True), ("example.co.uk", False),
                                              ("mx.hoster.test", False)])  # fmt: skip
def test_is_public_suffix(host: str, suffix: bool) -> None:
    if not any(p.exists() for p in domains.PSL_FILES) and host.endswith("co.uk"):
        pytest.skip("needs the Public Suffix List (Debian: publicsuffix)")
    assert domains.is_public_suffix(host) is suffix


def test_placeholders_and_authentication() -> None:
    text = config(
        server("imap", "imap.%EMAILDOMAIN%", 993, username="%EMAILLOCALPART%", auth="password-encrypted"),
        server("pop3", "POP.example.test", 995, username="%EMAILADDRESS%", auth="OAuth2"),
        server("smtp", "smtp.example.test", 587, socket="STARTTLS", username="u-%EMAILLOCALPART%"),
    )
    parsed = parse(text.encode(), ADDRESS)
    assert parsed.servers == (
        Candidate(Protocol.IMAP, "imap.example.test", 993, Security.TLS, Auth.PASSWORD, "alice", ("cram-md5",)),
        Candidate(Protocol.POP3, "pop.example.test", 995, Security.TLS, Auth.OAUTH2),
        Candidate(Protocol.SMTP, "smtp.example.test", 587, Security.STARTTLS, Auth.PASSWORD, "u-alice"),
    )
    assert parsed.domains == ("example.test",)


def test_the_first_socket_type_thunderbird_knows_is_taken() -> None:
    # Thunderbird's readFromXML goes on to the next socketType when it does not know one (TLS is none)
    text = config(
        server("imap", "imap.example.test", 993).replace("<socketType>", "<socketType>TLS</socketType><socketType>", 1)
    )
    (found,) = parse(text.encode(), ADDRESS).servers
    assert found.security is Security.TLS


@pytest.mark.parametrize(
    ("pop3", "leave", "days"),
    [
        ("<leaveMessagesOnServer>true</leaveMessagesOnServer>", True, None),
        ("<leaveMessagesOnServer>false</leaveMessagesOnServer>", False, None),
        # days are kept only while mail is left, as mailconf's autoconfig target writes them
        ("<leaveMessagesOnServer>false</leaveMessagesOnServer><daysToLeaveMessagesOnServer>7</daysToLeaveMessagesOnServer>",
         False, None),
        ("<daysToLeaveMessagesOnServer>30</daysToLeaveMessagesOnServer>", None, 30),
        # what Thunderbird's sanitize.boolean refuses, days outside the schema's 1-3650: not written
        ("<leaveMessagesOnServer>yes</leaveMessagesOnServer><daysToLeaveMessagesOnServer>0</daysToLeaveMessagesOnServer>",
         None, None),
        # JXON reads true and false in any case (Thunderbird 153 leaves mail for TRUE): it was read as nothing
        ("<leaveMessagesOnServer>TRUE</leaveMessagesOnServer><daysToLeaveMessagesOnServer>3651</daysToLeaveMessagesOnServer>",
         True, None),
        ("<leaveMessagesOnServer>true</leaveMessagesOnServer><daysToLeaveMessagesOnServer>\u00b9\u2074</daysToLeaveMessagesOnServer>",
         True, None),
    ],
)  # fmt: skip
def test_pop3_leave_on_server(pop3: str, leave: bool | None, days: int | None) -> None:
    text = config(
        server("pop3", "pop.example.test", 995).replace("</incomingServer>", f"<pop3>{pop3}</pop3></incomingServer>")
    )
    (found,) = parse(text.encode(), ADDRESS).servers
    assert (found.leave_on_server, found.leave_days) == (leave, days)


def test_hostile_values_are_left_out_with_a_note() -> None:
    text = config(
        server("imap", "imap.example.test\nport: 1", 993),
        server("imap", "imap.example.test", 70000),
        server("imap", "imap.example.test", 993, socket="TLS1.0"),
        server("imap", "imap.example.test", 993, auth="magic"),
        # spelt otherwise than Thunderbird's readFromXML matches them (import --from autoconfig is checked against it)
        server("imap", "imap.example.test", 993, socket=" SSL "),
        server("imap", "imap.example.test", 993, auth=" password-cleartext"),
        '<incomingServer type="exchange"><hostname>ews.example.test</hostname></incomingServer>',
        server("smtp", "smtp.example.test", 465),
    )
    parsed = parse(text.encode(), ADDRESS)
    assert parsed.servers == (Candidate(Protocol.SMTP, "smtp.example.test", 465, Security.TLS),)
    assert parsed.notes == (
        '<incomingServer type="imap"> left out: "imap.example.test\\nport: 1" is not a host name',
        '<incomingServer type="imap"> imap.example.test left out: "70000" is not a port',
        '<incomingServer type="imap"> imap.example.test left out: socketType "TLS1.0" is none of SSL, STARTTLS, plain',
        '<incomingServer type="imap"> imap.example.test left out: authentication "magic" is none mailconf knows',
        '<incomingServer type="imap"> imap.example.test left out: socketType " SSL " is none of SSL, STARTTLS, plain',
        '<incomingServer type="imap"> imap.example.test left out: authentication " password-cleartext" is none '
        "mailconf knows",
        '<incomingServer type="exchange"> left out: mailconf holds IMAP, POP3 and SMTP servers only',
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b'<!DOCTYPE c [<!ENTITY e SYSTEM "file:///etc/passwd">]><c>&e;</c>',
         "refused: the XML has a DTD (<!DOCTYPE>) (not allowed in a configuration file)"),
        (b"<clientConfig>", "line 1:15: not well-formed XML (no element found)"),
        (b"<html><body>Not here</body></html>", "the document is an HTML page, not <clientConfig>"),
        (b"<rss><channel/></rss>", "the document is <rss>, not <clientConfig>"),
        (b"<clientConfig/>", "no <emailProvider> in <clientConfig>"),
        # what the document names is cut as every longer text from the network is (values.clipped)
        (b"<" + b"a" * 100_000 + b"/>", f"the document is <{'a' * 240}... (100000 characters)>, not <clientConfig>"),
        (b'<?xml version="1.0" encoding="' + b"e" * 100_000 + b'"?><clientConfig/>',
         f"the XML declares an encoding that cannot be read (unknown encoding: {'e' * 222}... (100018 characters)); "
         "UTF-8 is expected"),
    ],
    ids=["dtd", "not-well-formed", "html", "another-root", "no-provider", "long-root", "long-encoding"],
)  # fmt: skip
def test_refused_documents(text: bytes, message: str) -> None:
    with pytest.raises(XmlError) as caught:
        parse(text, ADDRESS)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("192.0.2.1", ("192.0.2.1", 53)), ("192.0.2.1:5353", ("192.0.2.1", 5353)), ("::1", ("::1", 53)),
     ("[::1]:5353", ("::1", 5353))],
)  # fmt: skip
def test_dns_server_option(text: str, parsed: tuple[str, int]) -> None:
    assert parse_server(text) == parsed


def test_servers_the_schema_refuses_are_left_out() -> None:
    """What the network says must fit the account file: an SRV target with '_', a 257-character username."""
    good = Candidate(Protocol.SMTP, "smtp.example.test", 465, Security.TLS)
    found = Config("srv example.test", (
        Candidate(Protocol.IMAP, "imap_1.example.test", 993, Security.TLS),
        Candidate(Protocol.POP3, "pop.example.test", 995, Security.TLS, username="u" * 257),
        good,
    ))  # fmt: skip
    kept = _schema_valid(found, ADDRESS)
    assert kept.servers == (good,)
    assert kept.notes == (
        "imap://imap_1.example.test:993 left out: not a valid account file server (check its host and username)",
        "pop3://pop.example.test:995 left out: not a valid account file server (check its host and username)",
    )
    with pytest.raises(NotFound) as caught:
        _schema_valid(found._replace(servers=found.servers[:1]), ADDRESS)
    assert str(caught.value) == kept.notes[0]


_XML_TEXT = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\x00\ufffe\uffff").filter(
        lambda ch: ch in "\t\n\r" or ord(ch) >= 0x20
    ),
    max_size=300,
)
_HOSTS = st.one_of(_XML_TEXT, st.from_regex(r"[a-z0-9_.-]{1,70}", fullmatch=True))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(host=_HOSTS, username=_XML_TEXT, port=st.one_of(_XML_TEXT, st.integers(-5, 70000).map(str)),
       socket=st.sampled_from(["SSL", "STARTTLS", "plain", "TLS"]), name=_XML_TEXT)  # fmt: skip
def test_whatever_a_config_says_the_output_is_valid(
    host: str, username: str, port: str, socket: str, name: str
) -> None:
    """Hostile values in a clientConfig: the servers kept always make a schema-valid account file."""
    from xml.sax.saxutils import escape

    from mailconf.discover.account import account
    from mailconf.discover.engine import Chosen, Discovery
    from mailconf.document import load_document
    from mailconf.emit import account_file
    from mailconf.lint import refusal

    text = config(
        server("imap", escape(host), 1, socket, escape(username)).replace("<port>1<", f"<port>{escape(port)}<")
    )
    text = text.replace("<domain>", f"<displayName>{escape(name)}</displayName><domain>", 1)
    try:
        found = _schema_valid(Config("autoconfig", parse(text.encode("utf-8"), ADDRESS).servers), ADDRESS)
    except (NotFound, XmlError):
        return
    chosen = {"incoming": Chosen(found.servers[0], found, "ok")}
    result = account(Discovery((), chosen, (), ("example.test",)), ADDRESS, "acct")
    document = account_file({"acct": result.data}, result.comments)
    assert refusal(load_document("out.yaml", document.encode("utf-8"))) == ()


def test_a_lookup_cut_by_the_deadline_is_reported_as_one_the_report_did_not_wait_for() -> None:
    """A DNS or HTTP read is given the time left, so a lookup that hangs fails with its own words at the very moment
    the report stops waiting for it: which of the two came first decided the line (CI saw `mx example.test: MX
    example.test: no answer from the DNS server ... within 2.0 s` once, `no answer within the 2 s deadline` else).
    A lookup that fails once the deadline has passed now reads as the deadline's; one that fails before, as its own.
    """
    import ssl
    import time
    from typing import NoReturn

    from mailconf.discover.dns import Dns
    from mailconf.discover.engine import _Board
    from mailconf.discover.env import Env
    from mailconf.discover.values import Job, NotFound, Query

    env = Env(Query(ADDRESS, timeout=0.3, probe=False), time.monotonic() + 0.3, Dns(None), ssl.create_default_context())

    def cut() -> NoReturn:
        time.sleep(max(env.remaining, 0) + 0.05)  # past the deadline, as a read given the time left ends
        raise NotFound("MX example.test: no answer from the DNS server within 0.3 s")

    def early() -> NoReturn:
        raise NotFound("nothing here")

    board = _Board([Job("mx example.test", (3,), cut), Job("srv example.test", (4,), early)], env)
    while board.pending():  # both have ended before the report is made: the order that decided it before
        board.lookups.wait(None)
    assert [(lookup.name, lookup.reason) for lookup in board.report()] == [
        ("mx example.test", "no answer within the 0.3 s deadline"),
        ("srv example.test", "nothing here"),
    ]


def test_the_report_says_what_each_lookup_answered_by_the_deadline() -> None:
    """The board takes what lookups answer only while the run waits: a lookup that answered while the run was busy
    probing a server until the deadline was reported as `no answer within the 2 s deadline`, and the same lookup as
    its own reason when it answered a moment before the run last waited: which came first decided the line. The
    report now takes whatever ended: a lookup that found nothing before the deadline says so in its own words; one
    whose servers came while the run did not wait (never used), and one still running, read as the deadline's."""
    import ssl
    import threading
    import time
    from typing import NoReturn

    from mailconf.discover.dns import Dns
    from mailconf.discover.engine import _Board
    from mailconf.discover.env import Env
    from mailconf.discover.values import Job, Query

    _schema_valid(Config("ispdb", (Candidate(Protocol.IMAP, "imap.example.test", 993, Security.TLS),)), ADDRESS)
    # (the schema is loaded and compiled by now: the lookups' threads end at once, well before the deadline)
    env = Env(Query(ADDRESS, timeout=1, probe=False), time.monotonic() + 1, Dns(None), ssl.create_default_context())

    def early() -> NoReturn:
        raise NotFound("no SRV record for example.test")

    def unused() -> Config:
        return Config("ispdb example.test", (Candidate(Protocol.IMAP, "imap.example.test", 993, Security.TLS),))

    released = threading.Event()

    def hangs() -> NoReturn:
        released.wait(10)
        raise NotFound("too late to matter")

    jobs = [Job("ispdb example.test", (1,), unused), Job("mx example.test", (2,), hangs),
            Job("srv _*._tcp.example.test", (3,), early)]  # fmt: skip
    board = _Board(jobs, env)
    time.sleep(1 + 0.2)  # the run is busy (a probe) until past the deadline, and never waits for the lookups
    report = board.report()
    released.set()
    while board.pending():
        board.lookups.wait(None)
    assert [(lookup.name, lookup.config, lookup.reason) for lookup in report] == [
        ("ispdb example.test", None, "no answer within the 1 s deadline"),
        ("mx example.test", None, "no answer within the 1 s deadline"),
        ("srv _*._tcp.example.test", None, "no SRV record for example.test"),
    ]


#: pieces of a URL as urllib reads it: a tab or a line break anywhere is removed before it is read (urlsplit, urljoin)
_URL_NOISE = st.sampled_from(["", "", "", "\t", "\n", "\r"])
_URL_TEXT = st.text(st.sampled_from("abc-.:[]%40é "), max_size=6)


@st.composite
def _urls(draw: st.DrawFn, userinfo: bool) -> str:
    """A URL (absolute, scheme-relative or relative, as a Location may be), with a user name and a password
    ``SECRET`` when ``userinfo``, and tabs and line breaks where urllib would remove them."""
    pieces = [draw(st.sampled_from(["https:", "http:", "HTTPS:", "", " ", "\x01"])), "/", draw(_URL_NOISE), "/"]
    if userinfo:
        pieces += [draw(_URL_TEXT), ":", "SEC", draw(_URL_NOISE), "RET", draw(_URL_TEXT), "@"]
    pieces += [draw(_URL_TEXT), draw(st.sampled_from(["/", "?", "#"])), draw(st.text("ab/?#@:é\t", max_size=8))]
    return "".join(pieces)


@settings(max_examples=300, deadline=None)
@given(url=_urls(userinfo=True))
@example(url="https:/\t/:SECRET@/")
def test_without_userinfo_never_shows_a_password_urllib_would_read(url: str) -> None:
    """A password in a URL (a redirect's Location, --ispdb-url) is never shown, whatever urllib reads past: a tab or a
    line break in it, or before the authority."""
    assert "SECRET" not in without_userinfo(url).translate({ord(c): None for c in "\t\r\n"})


@settings(max_examples=300, deadline=None)
@given(url=_urls(userinfo=False))
@example(url="https:/\t//@")
def test_without_userinfo_keeps_a_url_without_one_as_it_is(url: str) -> None:
    assert without_userinfo(url) == url
