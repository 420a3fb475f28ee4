"""Thunderbird's ISPDB: ``--ispdb-url`` (the public one by default) with the domain appended, or ``--ispdb DIR``.

DIR is an offline copy of the ``ispdb/`` folder of the thunderbird/autoconfig
repository: ``DOMAIN.xml`` (or ``DOMAIN``), else the file whose ``<domain>``
elements name the domain (the ISPDB server answers for those aliases too).
"""

from __future__ import annotations

import functools
from pathlib import Path

from . import rank
from .autoconfig import fetch_config, from_xml
from .env import Env
from .values import Config, Job, NotFound

#: an ISPDB file is a few kilobytes; a bigger file in DIR is not read
MAX_FILE = 1024 * 1024


def job(env: Env, domain: str, label: str = "ispdb") -> Job:
    return Job(f"{label} {where(env, domain)}", (rank.ISPDB,), functools.partial(lookup, env, domain, label))


def jobs(env: Env) -> list[Job]:
    return [job(env, env.domain)]


def where(env: Env, domain: str) -> str:
    if env.query.ispdb_dir is not None:
        return str(Path(env.query.ispdb_dir) / f"{domain}.xml")
    base = env.query.ispdb_url
    return base + ("" if base.endswith("/") else "/") + domain


def lookup(env: Env, domain: str, label: str) -> Config:
    if env.query.ispdb_dir is None:
        return fetch_config(env, where(env, domain), label, domain)
    path = find(Path(env.query.ispdb_dir), domain)
    return from_xml(_read(path), env.address, f"{label} {path}", True, domain)


def find(directory: Path, domain: str) -> Path:
    for name in (f"{domain}.xml", domain):
        if (directory / name).is_file():
            return directory / name
    marker = f"<domain>{domain}</domain>".encode()
    try:
        files = sorted(p for p in directory.iterdir() if p.is_file())
    except OSError as exc:
        raise NotFound(f"cannot read the directory {directory} ({exc.strerror or type(exc).__name__})") from None
    for path in files:
        if path.stat().st_size <= MAX_FILE and marker in _read(path).lower():
            return path
    raise NotFound(f"no file for {domain} in {directory}")


def _read(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE + 1)
    except OSError as exc:
        raise NotFound(f"cannot read {path} ({exc.strerror or type(exc).__name__})") from None
    if len(data) > MAX_FILE:
        raise NotFound(f"{path} is larger than {MAX_FILE} bytes")
    return data
