"""The published pre-commit hook, run by the real pre-commit (`pre-commit try-repo`) in a scratch git repository.

try-repo installs mailconf from the hook repository into a fresh virtualenv (its
dependencies come from PyPI), exactly as a user's pre-commit would. It reads the
hook repository through git, and takes only tracked files, so the test first
snapshots the current checkout (working tree as it is, caches left out) into a
temporary git repository and points try-repo at that. PRE_COMMIT_HOME is a
temporary folder, so nothing outside the test's own directory is touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, need
from tests.test_cli import CLEAN, INSECURE

pytestmark = pytest.mark.slow

MC101 = (
    "accounts.yaml:8:17: error MC101 cleartext-credentials: password login to imap.example.com without TLS "
    "sends the credentials in cleartext; set security: tls (port 993)"
)
_LEFT_OUT = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis", "build", "dist",
    "*.egg-info", ".benchmarks", "out",
)  # fmt: skip


def git(*args: str, cwd: Path) -> None:
    subprocess.run(
        ["git", "-c", "user.email=test@example.com", "-c", "user.name=test", "-c", "commit.gpgsign=false", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The checkout as it is now, committed into a scratch repository."""
    need("git")
    snapshot = tmp_path_factory.mktemp("hook-repo") / "mailconf"
    shutil.copytree(ROOT, snapshot, ignore=_LEFT_OUT)
    git("init", "-q", cwd=snapshot)
    git("add", "-A", cwd=snapshot)
    git("commit", "-q", "-m", "snapshot", cwd=snapshot)
    return snapshot


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def try_repo(hook_repo: Path, pre_commit_home: Path, project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT")) and k != "NO_COLOR"}
    env["PRE_COMMIT_HOME"] = str(pre_commit_home)
    env["NO_COLOR"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), "mailconf-lint", "--color", "never", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,  # a hang guard: the first run builds a virtualenv from PyPI
        check=False,
    )


def make_project(root: Path, files: dict[str, str]) -> Path:
    root.mkdir()
    git("init", "-q", cwd=root)
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    git("add", "-A", cwd=root)
    return root


def test_hook_fails_on_an_insecure_file_and_passes_once_fixed(
    hook_repo: Path, pre_commit_home: Path, tmp_path: Path
) -> None:
    project = make_project(tmp_path / "project", {"accounts.yaml": INSECURE})

    failed = try_repo(hook_repo, pre_commit_home, project, "--files", "accounts.yaml")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "mailconf lint" in failed.stdout
    assert "- hook id: mailconf-lint\n- exit code: 1\n" in failed.stdout
    assert f"\n{MC101}\n1 error in 1 file\n" in failed.stdout

    (project / "accounts.yaml").write_text(CLEAN, encoding="utf-8")
    git("add", "-A", cwd=project)
    passed = try_repo(hook_repo, pre_commit_home, project, "--files", "accounts.yaml")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "mailconf lint" in passed.stdout
    assert "Passed" in passed.stdout
    assert "MC101" not in passed.stdout


def test_default_files_pattern(hook_repo: Path, pre_commit_home: Path, tmp_path: Path) -> None:
    """accounts*.yaml, mailconf*.yaml and *.mailconf.yaml (and .yml) are linted; other YAML and
    the `.mailconf.yaml` settings file are not (as account files they would fail with MC002)."""
    not_an_account = "services:\n  web: {image: nginx}\n"
    project = make_project(
        tmp_path / "project",
        {
            "accounts.yaml": INSECURE,
            "mail/accounts-work.yml": INSECURE,
            "mailconf.yaml": INSECURE,
            "team.mailconf.yaml": INSECURE,
            ".mailconf.yaml": "severity: {MC104: info}\n",
            "docker-compose.yaml": not_an_account,
            "config/mailer.yaml": not_an_account,
            "my-accounts.yaml": not_an_account,
            "accounts.txt": not_an_account,
        },
    )
    outcome = try_repo(hook_repo, pre_commit_home, project, "--all-files")
    assert outcome.returncode == 1, outcome.stdout + outcome.stderr
    linted = sorted(
        line.split(":", 1)[0] for line in outcome.stdout.splitlines() if ": error MC101 cleartext-credentials:" in line
    )
    assert linted == ["accounts.yaml", "mail/accounts-work.yml", "mailconf.yaml", "team.mailconf.yaml"]
    assert "MC002" not in outcome.stdout
    assert "4 errors in 4 files" in outcome.stdout


def test_render_check_hook_fails_when_rendered_files_are_stale(
    hook_repo: Path, pre_commit_home: Path, tmp_path: Path
) -> None:
    """mailconf-render-check with the user's args (given through a real .pre-commit-config.yaml)."""
    sha = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=hook_repo, capture_output=True, text=True, check=True
    ).stdout.strip()
    config = (
        "repos:\n"
        f"-   repo: {hook_repo}\n"
        f"    rev: {sha}\n"
        "    hooks:\n"
        "    -   id: mailconf-render-check\n"
        "        args: [accounts.yaml, --target, msmtp, --output, out]\n"
    )
    project = make_project(tmp_path / "project", {"accounts.yaml": CLEAN, ".pre-commit-config.yaml": config})
    subprocess.run(
        [sys.executable, "-m", "mailconf", "render", "accounts.yaml", "--target", "msmtp", "--output", "out"],
        cwd=project,
        check=True,
        capture_output=True,
    )
    git("add", "-A", cwd=project)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env["PRE_COMMIT_HOME"] = str(pre_commit_home)

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )

    fresh = run()
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    assert "mailconf render --check" in fresh.stdout
    assert "Passed" in fresh.stdout

    (project / "accounts.yaml").write_text(CLEAN.replace("smtp.example.com", "smtp2.example.com"), encoding="utf-8")
    git("add", "-A", cwd=project)
    stale = run()
    assert stale.returncode == 1, stale.stdout + stale.stderr
    assert "- hook id: mailconf-render-check\n- exit code: 1\n" in stale.stdout
    assert '-host "smtp.example.com"\n+host "smtp2.example.com"\n' in stale.stdout
    assert "mailconf: rendered files are stale: run the same command without --check" in stale.stdout
