"""The wheel: built from the checkout, carrying the schema and the templates, working outside the checkout.

The wheel is built with ``python -m build --wheel`` (hatchling, in an isolated
build environment from PyPI) and installed, with its dependencies from the package
index, into a fresh venv that shares nothing with the interpreter running pytest:
no system site-packages (a venv running pytest would not lend its packages to a
nested venv anyway: ``system_site_packages`` reaches the base interpreter's), its
own pip (ensurepip), no PYTHONPATH. The installed ``mailconf`` then runs from a
temporary directory outside the checkout; the tests prove that mailconf and its
dependencies are imported from that venv, and that it lints, renders and prints
the schema with the templates and the schema inside the wheel.
"""

from __future__ import annotations

import filecmp
import json
import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from mailconf.targets import TARGETS
from tests.conftest import ROOT
from tests.test_cli import INSECURE

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=900,  # a hang guard: the build environment comes from PyPI
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (built,) = out.glob("mailconf-*-py3-none-any.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel and its dependencies installed; returns its bin/ folder."""
    home = tmp_path_factory.mktemp("venv") / "env"
    # Made from the base interpreter even when pytest runs in a venv (EnvBuilder uses
    # sys._base_executable), with its own pip and without any site-packages but its own.
    venv.EnvBuilder(system_site_packages=False, with_pip=True, symlinks=True).create(home)
    python = home / "bin" / "python"
    done = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", str(wheel)],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=900,  # a hang guard: the dependencies come from the package index
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return home / "bin"


def test_wheel_carries_the_schema_templates_and_the_generated_validator(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "mailconf/schemas/mailconf.schema.json" in names
    assert "mailconf/_schema_generated.py" in names
    assert "mailconf/cli.py" in names
    templates = {n for n in names if n.startswith("mailconf/templates/")}
    expected = {f"mailconf/{p.relative_to(ROOT).as_posix()}" for p in (ROOT / "templates").rglob("*") if p.is_file()}
    assert expected, "the checkout has templates"
    assert templates == expected
    packaged = json.loads(zipfile.ZipFile(wheel).read("mailconf/schemas/mailconf.schema.json"))
    assert packaged == json.loads((ROOT / "schemas" / "mailconf.schema.json").read_text(encoding="utf-8"))
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    assert "mailconf = mailconf.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def _outside(tmp_path: Path) -> Path:
    where = tmp_path / "elsewhere"
    where.mkdir()
    assert ROOT not in where.parents
    return where


def _env() -> dict[str, str]:
    """The environment without what would point Python at the checkout or at another venv."""
    drop = ("PYTHONPATH", "PYTHONHOME", "PYTHONUSERBASE", "VIRTUAL_ENV", "NO_COLOR", "GITHUB_ACTIONS", "MAILCONF_DEBUG")
    return {k: v for k, v in os.environ.items() if k not in drop}


def test_the_venv_imports_the_wheel_not_the_checkout(installed: Path, tmp_path: Path) -> None:
    probe = (
        "import mailconf, mailconf.resources as r; "
        "print(mailconf.__file__); print(r.schema_path()); print(r.templates_dir())"
    )
    done = subprocess.run(
        [installed / "python", "-c", probe],
        cwd=_outside(tmp_path),
        env=_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    package_file, schema_file, templates = (Path(line) for line in done.stdout.splitlines())
    venv_root = installed.parent.resolve()
    for path in (package_file, schema_file, templates):
        assert venv_root in path.resolve().parents, path
        assert ROOT not in path.resolve().parents, path
    assert schema_file.name == "mailconf.schema.json"
    assert schema_file.parent.parent == package_file.parent


def test_the_venv_shares_nothing_with_the_interpreter_running_pytest(installed: Path, tmp_path: Path) -> None:
    """The dependencies came with the wheel into the venv: nothing is borrowed from another site-packages."""
    probe = (
        "import sys, site, click, jinja2, jsonschema, fastjsonschema, ruamel.yaml, _ruamel_yaml as clib; "
        "print(sys.prefix); print(site.ENABLE_USER_SITE); "
        "deps = (click, jinja2, jsonschema, fastjsonschema, ruamel.yaml, clib); "
        "print(*(m.__file__ for m in deps), sep='\\n'); "
        "print(*(p for p in sys.path if p.endswith('-packages')), sep='\\n')"
    )
    done = subprocess.run(
        [installed / "python", "-c", probe],
        cwd=_outside(tmp_path),
        env=_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    prefix, user_site, *paths = done.stdout.splitlines()
    venv_root = installed.parent.resolve()
    assert Path(prefix).resolve() == venv_root
    assert Path(prefix).resolve() != Path(sys.prefix).resolve()
    assert user_site == "False"
    assert len(paths) == 7, paths  # six modules, then the one site-packages folder on sys.path
    for path in paths:
        assert venv_root in Path(path).resolve().parents, path


def test_installed_mailconf_lints_outside_the_checkout(installed: Path, tmp_path: Path) -> None:
    where = _outside(tmp_path)
    (where / "accounts.yaml").write_text(INSECURE, encoding="utf-8")
    done = subprocess.run(
        [installed / "mailconf", "lint", "accounts.yaml"],
        cwd=where,
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (
        1,
        "accounts.yaml:8:17: error MC101 cleartext-credentials: password login to imap.example.com without TLS "
        "sends the credentials in cleartext; set security: tls (port 993)\n1 error in 1 file\n",
        "",
    )


def test_installed_mailconf_renders_what_the_checkout_renders(installed: Path, tmp_path: Path) -> None:
    """Every target, from the templates inside the wheel: the same files, bytes and messages as the checkout's."""
    where = _outside(tmp_path)
    (where / "accounts.yaml").write_bytes((ROOT / "examples" / "company.yaml").read_bytes())
    wheel_run = subprocess.run(
        [installed / "mailconf", "render", "-t", "all", "accounts.yaml", "-o", "from-wheel"],
        cwd=where,
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    checkout_run = subprocess.run(
        [sys.executable, "-m", "mailconf", "render", "-t", "all", "accounts.yaml", "-o", "from-checkout"],
        cwd=where,
        env={**_env(), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert (wheel_run.returncode, wheel_run.stdout, wheel_run.stderr) == (
        checkout_run.returncode,
        checkout_run.stdout,
        checkout_run.stderr,
    )
    assert wheel_run.returncode == 0, wheel_run.stderr
    ours = sorted(p.relative_to(where / "from-wheel") for p in (where / "from-wheel").rglob("*") if p.is_file())
    theirs = sorted(p.relative_to(where / "from-checkout") for p in (where / "from-checkout").rglob("*") if p.is_file())
    assert ours == theirs
    assert {p.parts[0] for p in ours} == set(TARGETS)  # a folder per target: every target's templates were found
    for name in ours:
        assert filecmp.cmp(where / "from-wheel" / name, where / "from-checkout" / name, shallow=False), name


def test_installed_mailconf_prints_the_schema(installed: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [installed / "mailconf", "schema"],
        cwd=_outside(tmp_path),
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == (ROOT / "schemas" / "mailconf.schema.json").read_text(encoding="utf-8")


def test_installed_schema_errors_are_located(installed: Path, tmp_path: Path) -> None:
    """A schema error needs the packaged schema (jsonschema explains it): the path to it must resolve."""
    where = _outside(tmp_path)
    (where / "accounts.yaml").write_text(INSECURE.replace("security: none", "securty: none"), encoding="utf-8")
    done = subprocess.run(
        [installed / "python", "-m", "mailconf", "lint", "accounts.yaml"],
        cwd=where,
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stderr) == (1, "")
    assert done.stdout.splitlines()[0] == (
        "accounts.yaml:8:7: error MC002 schema-violation: unknown key `securty`; did you mean `security`?"
    )
