"""The README's two commands, as a new user runs them, from a fresh clone.

The code block of README.md's "Two commands" section is read from a fresh ``git clone`` of this
repository (so the test follows the README, and a clone holds only what is committed) and run:

- pasted as one block into a shell (bash reading it from standard input, without ``-e``: as in
  a terminal, command 1's expected exit 1 does not stop command 2) where a venv is already active
  if pytest runs in one (under .ci/run, its own .venv-ci/): command 1 activates .venv on top of
  it, and command 2 runs with both on PATH;
- one command at a time, each in a new shell with a root PATH, where python3 is Debian's
  ``/usr/bin/python3``: externally managed (PEP 668), pip refuses to install into it, so both
  commands must make venvs (command 1 needs Debian's python3-venv, as the README says).

Command 2 is ``bash .ci/run``, which runs the whole suite, this test included: run as written it
would recurse. The test runs the block unchanged with ``MAILCONF_CI_SMOKE=1`` in the environment:
.ci/run then skips the machine set-up the outer run has done (Debian packages, npm) and .ci/test
runs only :func:`test_ci_run_tests_with_its_own_venv`, which checks from inside that the nested
.ci/run made a venv of its own, installed ``.[test]`` there and runs pytest with it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PACKAGES, ROOT, need
from tests.discover.conftest import DNSMASQ
from tests.targets._readback import BINARIES

pytestmark = pytest.mark.slow

# A new root login shell's PATH on Debian (/etc/profile, /etc/login.defs ENV_SUPATH).
DEBIAN_ROOT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
HANG_GUARD = 1200  # seconds: the commands install from the package index
SMOKE_SUMMARY = re.compile(r"^=+ 1 passed in [0-9.]+s(?: \([0-9:]+\))? =+$", re.MULTILINE)


def two_commands(readme: str) -> str:
    """The code block of the README's "## Two commands" section."""
    section = readme.split("\n## Two commands\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"^```sh\n(.*?)^```$", section, re.MULTILINE | re.DOTALL)
    assert match, 'the "Two commands" section has a ```sh block'
    return match.group(1)


def commands(block: str) -> list[str]:
    """The block's commands: one per line that is neither blank nor a comment."""
    return [line for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_the_readme_block_is_two_commands_the_second_is_ci_run() -> None:
    found = commands(two_commands((ROOT / "README.md").read_text(encoding="utf-8")))
    assert len(found) == 2, found
    assert found[0].startswith("python3 -m venv .venv && . .venv/bin/activate && pip install ."), found[0]
    assert found[1] == "bash .ci/run"


def _new_shell_env(path: str, keep_venv: bool = False) -> dict[str, str]:
    """A new shell's environment: nothing pointing Python elsewhere, the smoke switch on; no venv active unless kept."""
    drop = ("PYTHONPATH", "PYTHONHOME", "PYTHONUSERBASE", "PYTEST_ADDOPTS", *(() if keep_venv else ("VIRTUAL_ENV",)))
    keep = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("MAILCONF_")}
    return {**keep, "PATH": path, "MAILCONF_CI_SMOKE": "1"}


def _path_without_venvs() -> str:
    """This PATH without the bin/ folder of any venv (the suite itself runs in .ci/run's)."""
    return os.pathsep.join(
        p for p in os.environ["PATH"].split(os.pathsep) if not (Path(p).parent / "pyvenv.cfg").exists()
    )


def _clone(tmp_path: Path) -> Path:
    need("git")
    clone = tmp_path / "mailconf"
    subprocess.run(
        ["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, capture_output=True, timeout=HANG_GUARD
    )
    return clone


def _lint_examples_with(clone: Path) -> str:
    """What command 1's last step prints: the examples linted by the mailconf command 1 installed."""
    venv = clone / ".venv"
    where = subprocess.run(
        [venv / "bin" / "python", "-c", "import mailconf; print(mailconf.__file__)"],
        cwd=clone.parent,
        env=_new_shell_env(_path_without_venvs()),
        capture_output=True,
        text=True,
        check=True,
    )
    # a real install into the venv, not the checkout on sys.path
    assert venv.resolve() in Path(where.stdout.strip()).resolve().parents, where.stdout
    done = subprocess.run(
        ["bash", "-c", ". .venv/bin/activate && mailconf lint examples/*.yaml"],
        cwd=clone,
        env=_new_shell_env(_path_without_venvs()),
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stderr) == (1, ""), done.stderr  # insecure.yaml is insecure on purpose
    lines = done.stdout.splitlines()
    assert any(line.startswith("examples/insecure.yaml:") and " error MC" in line for line in lines), done.stdout
    assert re.fullmatch(r"\d+ errors?, .* in \d+ files?( \(\d+ files checked\))?", lines[-1]), lines[-1]
    return done.stdout


def _check_ci_venv(clone: Path, output: str, home: str | None = None) -> None:
    """Command 2 made .venv-ci/ in the clone, ran the smoke test with it, and printed pytest's summary."""
    ci = clone / ".venv-ci"
    config = dict(
        line.split(" = ", 1) for line in (ci / "pyvenv.cfg").read_text(encoding="utf-8").splitlines() if " = " in line
    )
    assert config["include-system-site-packages"] == "false"
    if home is not None:
        assert config["home"] == home
    assert f"ci: {ci}/bin/python3 (Python 3." in output, output[-3000:]
    assert SMOKE_SUMMARY.search(output), output[-3000:]


def test_the_two_commands_pasted_together_in_a_fresh_clone(tmp_path: Path) -> None:
    clone = _clone(tmp_path)
    block = two_commands((clone / "README.md").read_text(encoding="utf-8"))
    done = subprocess.run(
        ["bash", "--noprofile", "--norc"],
        input=block,
        cwd=clone,
        env=_new_shell_env(os.environ["PATH"], keep_venv=True),
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-5000:]
    assert _lint_examples_with(clone) in done.stdout
    _check_ci_venv(clone, done.stdout)


def test_the_two_commands_one_at_a_time_with_debians_python3(tmp_path: Path) -> None:
    if not (
        Path("/etc/debian_version").exists() and shutil.which("python3", path=DEBIAN_ROOT_PATH) == "/usr/bin/python3"
    ):
        pytest.skip("needs Debian's /usr/bin/python3 first on a root PATH (.ci/run is for Debian)")
    clone = _clone(tmp_path)
    first, second = commands(two_commands((clone / "README.md").read_text(encoding="utf-8")))
    outputs = []
    for command, expected in ((first, 1), (second, 0)):
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-c", command],
            stdin=subprocess.DEVNULL,
            cwd=clone,
            env=_new_shell_env(DEBIAN_ROOT_PATH),
            capture_output=True,
            text=True,
            timeout=HANG_GUARD,
            check=False,
        )
        assert done.returncode == expected, (command, (done.stdout + done.stderr)[-5000:])
        outputs.append(done.stdout)
    assert outputs[0].endswith(_lint_examples_with(clone))  # after pip's own lines
    _check_ci_venv(clone, outputs[1], home="/usr/bin")


def test_ci_run_tests_with_its_own_venv() -> None:
    """The smoke test (MAILCONF_CI_SMOKE=1): pytest runs in .ci/run's venv, which holds '.[test]' and shares nothing."""
    if "MAILCONF_CI_VENV" not in os.environ:
        pytest.skip("checks how .ci/run runs the suite: run it with `bash .ci/run`")
    venv = ROOT / ".venv-ci"
    assert os.environ["MAILCONF_CI_VENV"] == str(venv)
    assert os.environ["VIRTUAL_ENV"] == str(venv)
    assert os.environ["MAILCONF_REQUIRE_REAL"] == "1"
    assert Path(sys.prefix).resolve() == venv.resolve()
    assert sys.base_prefix != sys.prefix
    assert "include-system-site-packages = false" in (venv / "pyvenv.cfg").read_text(encoding="utf-8")
    # no site-packages but the venv's: neither the system's nor the venv that was active before
    outside = [p for p in sys.path if p.endswith("-packages") and venv not in Path(p).parents]
    assert outside == []
    # the checkout is installed editable: the code under test is this clone's
    import mailconf

    assert Path(mailconf.__file__).parent == ROOT / "mailconf"
    # the tools the tests start come from the venv, and no other venv's bin/ is left on PATH
    for tool in ("python3", "pip", "mailconf", "pre-commit", "ruff", "mypy", "check-jsonschema", "yamllint"):
        assert shutil.which(tool) == str(venv / "bin" / tool), tool
    venvs_on_path = [p for p in os.environ["PATH"].split(os.pathsep) if (Path(p).parent / "pyvenv.cfg").exists()]
    assert venvs_on_path == [str(venv / "bin")]


def _apt_packages() -> set[str]:
    lines = (ROOT / ".ci" / "apt-packages.txt").read_text(encoding="utf-8").splitlines()
    return {line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")}


#: The need() calls whose argument is no string literal -> the binaries it can name (a new one fails the test below
#: until it is added here)
DYNAMIC_NEEDS = {
    "BINARIES[name]": sorted(BINARIES.values()),
    "BINARY": ["mutt", "neomutt"],
    "binary": ["mutt", "neomutt"],
    "client": ["mutt", "neomutt"],
    "fmt": ["mutt", "neomutt"],
    "DNSMASQ": [os.path.basename(DNSMASQ)],
    "path": ["aerc"],  # aerc 0.20, the binary .ci/run unpacks from Debian 13's package (needs Debian 12's aerc)
}


def test_every_binary_a_test_needs_is_installed_by_ci_run() -> None:
    """A fresh Debian 12 lacked xmllint and plistutil, which an older image had by chance: every binary a test
    names in need() must map to a package in .ci/apt-packages.txt (read from the sources, so a test that did
    not run counts too). util-linux is Essential; npm is installed by .ci/run itself where there is none."""
    named: set[str] = set()
    dynamic: set[str] = set()
    for source in (ROOT / "tests").rglob("*.py"):
        for call in re.findall(r"\bneed\(([^)]*)\)", source.read_text(encoding="utf-8")):
            literals = re.findall(r"[\"']([A-Za-z0-9_.+-]+)[\"']", call)
            named.update(literals)
            if not literals and call.strip() not in ("*binaries: str", ""):
                dynamic.add(call.strip())
    assert {"xmllint", "plistutil", "dovecot", "fetchmail"} <= named  # the scan finds the calls
    assert sorted(dynamic) == sorted(DYNAMIC_NEEDS)
    named.update(*DYNAMIC_NEEDS.values())
    assert sorted(named - PACKAGES.keys()) == []
    unlisted = {b: p for b, p in PACKAGES.items() if p not in _apt_packages() | {"util-linux", "npm"}}
    assert unlisted == {}
