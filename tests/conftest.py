"""Shared test helpers.

Tests that need a real client or server binary call :func:`need`. Without the
binary they skip, with the reason. With ``MAILCONF_REQUIRE_REAL=1`` (set by
.ci/run) every skip becomes a failure, so CI never passes without the real parts.
Every binary :func:`need` names must be in :data:`PACKAGES`, and every package
there in .ci/apt-packages.txt: tests/test_first_contact.py checks both from the
test sources, on every machine, so a binary a fresh machine happens to lack is
caught before CI.
"""

from __future__ import annotations

import codecs
import os
import re
import shutil
import threading
import time
from collections.abc import Generator, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from mailconf.document import load_document
from mailconf.lint import lint_document
from mailconf.model import Finding
from mailconf.settings import Policy

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
REQUIRE_REAL = os.environ.get("MAILCONF_REQUIRE_REAL") == "1"

#: No Hypothesis deadline for any test, those whose settings name none included (settings made after this inherit
#: it): an example the machine stalled under (2 CPUs in CI, next to real clients and servers) failed as "Unreliable
#: test timings", and a slow start of drawing failed the too_slow health check (tests/test_hypothesis_profile.py).
settings.register_profile("mailconf", deadline=None)
settings.load_profile("mailconf")


#: Each binary a test may :func:`need` -> the Debian package .ci/run installs it from. ``util-linux`` is
#: Essential (on every Debian); ``npm`` is installed by .ci/run itself where there is none.
PACKAGES = {
    "aerc": "aerc",
    "certutil": "libnss3-tools",
    "curl": "curl",
    "dnsmasq": "dnsmasq-base",
    "dovecot": "dovecot-core",
    "fetchmail": "fetchmail",
    "flock": "util-linux",
    "getmail": "getmail6",
    "git": "git",
    "hivexregedit": "libwin-hivex-perl",
    # the binary is libc-bin's (Essential); what it builds from, /usr/share/i18n's locales and charmaps, is locales'
    "localedef": "locales",
    "mbsync": "isync",
    "msmtp": "msmtp",
    "mutt": "mutt",
    "neomutt": "neomutt",
    "npm": "npm",
    "offlineimap": "offlineimap3",
    "openssl": "openssl",
    "patch": "patch",
    "plistutil": "libplist-utils",
    "setpriv": "util-linux",
    "thunderbird": "thunderbird",
    "tmux": "tmux",
    "unshare": "util-linux",
    "wget": "wget",
    "xmllint": "libxml2-utils",
}


def need(*binaries: str) -> dict[str, str]:
    """Paths of the binaries, or skip (fail under MAILCONF_REQUIRE_REAL=1) naming the missing ones."""
    found = {b: shutil.which(b) for b in binaries}
    missing = [b for b, p in found.items() if p is None]
    if missing:
        packages = [PACKAGES[name] for name in dict.fromkeys(os.path.basename(b) for b in missing) if name in PACKAGES]
        where = f": Debian {', '.join(dict.fromkeys(packages))}" if packages else ""
        pytest.skip(f"needs {', '.join(missing)} (not installed; .ci/run installs it{where})")
    return {b: p for b, p in found.items() if p is not None}


@pytest.fixture(autouse=True)
def _no_user_settings(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test reads the settings of the user running it (~/.config/mailconf) or their colour wishes."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.getbasetemp() / "no-user-config"))
    monkeypatch.delenv("FORCE_COLOR", raising=False)


#: How long a thread a test started may take to end after the test, before it counts as left running.
THREAD_GRACE = 2.0
#: Threads that module and session fixtures started (servers shared by many tests): they outlive the test that first
#: asked for the fixture, even from inside its body (``request.getfixturevalue``), and end at the fixture's teardown.
_FIXTURE_THREADS: set[threading.Thread] = set()


def threads_left(started: Iterable[threading.Thread]) -> list[str]:
    """Those of ``started`` still running after a short grace for the ones that are ending (named, with what they
    run).

    A server thread left running outlives its test: it holds its port and descriptors, and a later test that blocks
    a signal in the main thread (``signals_held()``) gets it acted on in that thread, which does not block it."""
    deadline = time.monotonic() + THREAD_GRACE
    left = list(started)
    for thread in left:
        thread.join(max(0.0, deadline - time.monotonic()))
    target = "_target"  # Thread keeps what it runs there until it ends: it tells which helper started it
    return [f"{t.name} ({getattr(getattr(t, target, None), '__qualname__', '?')})" for t in left if t.is_alive()]


class _FixtureThreads:
    """Adds to _FIXTURE_THREADS the threads each module or session fixture's setup starts.

    A plugin of its own, registered for the whole run: a hook of this conftest would be called only for the nodes
    under tests/, and a session fixture's setup runs for the session, which is not."""

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(self, fixturedef: pytest.FixtureDef[Any]) -> Generator[None, Any, Any]:
        if fixturedef.scope == "function":
            return (yield)
        before = set(threading.enumerate())
        try:
            return (yield)
        finally:
            _FIXTURE_THREADS.update(set(threading.enumerate()) - before)


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_FixtureThreads(), "mailconf-fixture-threads")


@pytest.fixture(scope="session", autouse=True)
def _no_thread_outlives_its_fixture() -> Iterator[None]:
    """A thread a module or session fixture started and its teardown left running fails the session's last test."""
    yield
    if left := threads_left(_FIXTURE_THREADS):
        pytest.fail(f"fixtures left threads running after the session: {', '.join(left)}", pytrace=False)


@pytest.fixture(autouse=True)
def _no_thread_outlives_its_test() -> Iterator[None]:
    """A test (with its function fixtures) that leaves a thread it started running fails, naming the thread."""
    before = set(threading.enumerate())
    yield
    if left := threads_left(t for t in threading.enumerate() if t not in before and t not in _FIXTURE_THREADS):
        pytest.fail(f"the test left threads running: {', '.join(left)}", pytrace=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome: Any = yield
    report = outcome.get_result()
    if REQUIRE_REAL and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.longrepr = f"MAILCONF_REQUIRE_REAL=1 turns this skip into a failure: {reason}"


def lint_text(text: str, name: str = "accounts.yaml", policy: Policy | None = None) -> list[Finding]:
    """Lint YAML text as if it were a file called `name`."""
    doc = load_document(name, text.encode("utf-8"))
    return lint_document(doc, policy or Policy())


def brief(findings: list[Finding]) -> list[tuple[str, int, int]]:
    """(rule, line, column) of each finding."""
    return [(f.rule, f.location.line, f.location.column) for f in findings]


def all_strings(node: Any) -> list[str]:
    """Every string in a parsed document: keys and values, at any depth."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for key, value in node.items() for s in (*all_strings(key), *all_strings(value))]
    if isinstance(node, list):
        return [s for item in node for s in all_strings(item)]
    return []


def utf_32_forms(xml: str) -> dict[str, bytes]:
    """``xml`` in UTF-32 as a sender could write it: with a byte-order mark in either order, or without one (XML 1.0
    Appendix F's ``00 00 00 3C`` and ``3C 00 00 00``), and with its BOM but no encoding declaration."""
    undeclared = re.sub(r'\s+encoding="[^"]*"', "", xml, count=1)
    return {
        "bom-le": codecs.BOM_UTF32_LE + xml.encode("utf-32-le"),
        "bom-be": codecs.BOM_UTF32_BE + xml.encode("utf-32-be"),
        "no-bom-le": xml.encode("utf-32-le"),
        "no-bom-be": xml.encode("utf-32-be"),
        "bom-le-undeclared": codecs.BOM_UTF32_LE + undeclared.encode("utf-32-le"),
    }
