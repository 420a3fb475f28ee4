"""The guard of tests/conftest.py: a thread a test or a fixture starts must end with it.

Run on tests of its own, in a pytest process of their own that loads tests/conftest.py as a plugin.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

TESTS = """
import threading

import pytest


def test_leaves_a_thread():
    threading.Thread(target=threading.Event().wait, name="left", daemon=True).start()


def test_joins_its_thread():
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, name="joined", daemon=True)
    thread.start()
    stop.set()
    thread.join()


def test_a_thread_that_is_ending():
    threading.Thread(target=threading.Event().wait, args=(0.2,), name="ending", daemon=True).start()


@pytest.fixture(scope="session")
def shared():
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, name="shared", daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join()


@pytest.fixture(scope="module")
def forgotten():
    threading.Thread(target=threading.Event().wait, name="forgotten", daemon=True).start()
    yield


def test_asks_for_a_shared_server_inside(request):
    request.getfixturevalue("shared")


def test_uses_a_fixture_that_forgets_its_thread(forgotten):
    pass
"""


def test_a_thread_left_by_a_test_or_a_fixture_fails_naming_it(tmp_path: Path) -> None:
    (tmp_path / "test_threads.py").write_text(TESTS)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider", "-q", "-rE",
         "--rootdir", str(tmp_path), "test_threads.py"],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "300"}, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    lines = done.stdout.splitlines()
    assert [line for line in lines if " left threads running" in line and not line.startswith("ERROR ")] == [
        "the test left threads running: left (Event.wait)",
        "fixtures left threads running after the session: forgotten (Event.wait)",
    ], done.stdout
    assert [line.partition(" - ")[0] for line in lines if line.startswith("ERROR ")] == [
        "ERROR test_threads.py::test_leaves_a_thread",
        "ERROR test_threads.py::test_uses_a_fixture_that_forgets_its_thread",
    ]
    assert lines[-1].startswith("5 passed, 2 errors in ")
    assert done.returncode == 1
