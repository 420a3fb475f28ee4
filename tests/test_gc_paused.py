"""lint, render and --fix free the document before the cyclic collector runs again (benchmarks/README.md).

``lint_file``, ``render_file`` and ``fix_text`` pause the collector while a file becomes a document and its findings
(``document.gc_paused``). If the document is still alive when the collector is
re-enabled, the first collection walks every container of it: on 10,000 accounts that
was 0.1-0.2 s of CPU, a tenth of the whole lint. What is asserted is not a time but the
size of the youngest generation when a collection starts, read from ``gc.callbacks``.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mailconf.fix import fix_text
from mailconf.lint import lint_file
from mailconf.render import choose_targets, render_file
from mailconf.settings import Policy

ACCOUNTS = 500


def accounts(count: int) -> str:
    lines = ["version: 1", "accounts:"]
    for i in range(count):
        lines += [
            f"  user{i}:",
            f"    address: user{i}@example.net",
            "    incoming: {protocol: imap, host: imap.example.net, port: 993, security: tls,",
            f"               auth: password, username: user{i}, password_command: pass show mail/{i}}}",
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def young_at_collection() -> Iterator[list[int]]:
    """The youngest generation's count each time a collection starts (allocations less deallocations)."""
    seen: list[int] = []

    def note(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            seen.append(gc.get_count()[0])

    was_enabled = gc.isenabled()
    gc.enable()
    gc.collect()
    gc.callbacks.append(note)
    try:
        yield seen
    finally:
        gc.callbacks.remove(note)
        if not was_enabled:
            gc.disable()


def test_a_lint_leaves_no_document_for_the_collector_to_walk(tmp_path: Path, young_at_collection: list[int]) -> None:
    path = tmp_path / "accounts.yaml"
    path.write_text(accounts(ACCOUNTS), encoding="utf-8")
    lint_file(str(path), Policy())  # the first lint imports and caches what every lint uses
    gc.collect()
    young_at_collection.clear()
    result = lint_file(str(path), Policy())
    assert result.findings == ()
    # the document of 500 accounts is tens of thousands of containers; what is left young after
    # lint returns is its result and a few caches
    assert all(count < 5_000 for count in young_at_collection), young_at_collection
    assert gc.get_count()[0] < 5_000


def test_a_render_leaves_no_document_for_the_collector_to_walk(tmp_path: Path, young_at_collection: list[int]) -> None:
    path = tmp_path / "accounts.yaml"
    path.write_text(accounts(ACCOUNTS), encoding="utf-8")
    targets = choose_targets(["mbsync"])
    render_file(str(path), targets, (), {"mbsync": {}})  # the first render imports and compiles
    gc.collect()
    young_at_collection.clear()
    result = render_file(str(path), targets, (), {"mbsync": {}})
    assert [f.name for f in result.files] == [".mbsyncrc"]
    assert all(count < 5_000 for count in young_at_collection), young_at_collection
    assert gc.get_count()[0] < 5_000


def test_a_fix_walks_its_documents_once_at_most(young_at_collection: list[int]) -> None:
    text = accounts(ACCOUNTS).replace("port: 993", "port: 143")  # MC202 in every account, fixed to 993
    fix_text("accounts.yaml", text.encode("utf-8"), Policy(), unsafe=False)  # imports and caches
    gc.collect()
    young_at_collection.clear()
    outcome = fix_text("accounts.yaml", text.encode("utf-8"), Policy(), unsafe=False)
    assert len(outcome.fixed) == ACCOUNTS
    assert outcome.after == accounts(ACCOUNTS)
    # the kept document may be walked once when the collector is re-enabled; never during the passes
    assert len(young_at_collection) <= 1, young_at_collection


def test_a_render_command_writes_its_files_before_the_collector_runs_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the result of a render (every file and gap) is young: resumed before the files are written, the collector
    # would walk it once per generation (0.11 s of CPU for seven targets at 10,000 accounts); the command keeps it
    # paused until the files are written, and resumes it when it returns
    import mailconf.output
    from mailconf.cli import main

    enabled_while_writing: list[bool] = []
    write_all = mailconf.output.write_all

    def spy(*args: Any, **kwargs: Any) -> Any:
        enabled_while_writing.append(gc.isenabled())
        return write_all(*args, **kwargs)

    monkeypatch.setattr(mailconf.output, "write_all", spy)
    path = tmp_path / "accounts.yaml"
    path.write_text(accounts(3), encoding="utf-8")
    gc.enable()
    assert main(["render", "-t", "mutt", "-t", "fetchmail", str(path), "-o", str(tmp_path / "out")]) == 0
    assert enabled_while_writing == [False]
    assert gc.isenabled()
    assert sorted(p.name for p in (tmp_path / "out" / "mutt").iterdir()) == [
        "user0.muttrc",
        "user1.muttrc",
        "user2.muttrc",
    ]
