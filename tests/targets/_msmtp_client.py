"""Read an msmtprc back through msmtp itself: ``msmtp -C RC -a ACCOUNT --pretend``.

--pretend prints the account's effective settings as ``key = value`` lines. It also RUNS
passwordeval (and any eval line): feed it harmless commands only.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.conftest import need

#: What msmtp 1.8.23 prints for an account that sets nothing else.
DEFAULTS: dict[str, str] = {
    "host": "(not set)",  # every account sets it
    "port": "25",
    "source ip": "(not set)",
    "proxy host": "(not set)",
    "proxy port": "0",
    "socket": "(not set)",
    "timeout": "off",
    "protocol": "smtp",
    "domain": "localhost",
    "auth": "none",
    "user": "(not set)",
    "password": "(not set)",
    "passwordeval": "(not set)",
    "ntlmdomain": "(not set)",
    "tls": "off",
    "tls_starttls": "on",
    "tls_trust_file": "system",
    "tls_crl_file": "(not set)",
    "tls_fingerprint": "(not set)",
    "tls_key_file": "(not set)",
    "tls_cert_file": "(not set)",
    "tls_certcheck": "on",
    "tls_min_dh_prime_bits": "(not set)",
    "tls_priorities": "(not set)",
    "tls_host_override": "(not set)",
    "auto_from": "off",
    "maildomain": "(not set)",
    "from": "(not set)",
    "allow_from_override": "on",
    "set_from_header": "auto",
    "set_date_header": "auto",
    "remove_bcc_headers": "on",
    "undisclosed_recipients": "off",
    "dsn_notify": "(not set)",
    "dsn_return": "(not set)",
    "logfile": "(not set)",
    "logfile_time_format": "(not set)",
    "syslog": "(not set)",
    "aliases": "(not set)",
}


class MsmtpError(AssertionError):
    pass


def pretend(rc: Path, account: str | None, home: Path) -> dict[str, str]:
    """The settings msmtp read for `account` (None: the default account), as printed by --pretend."""
    binary = need("msmtp")["msmtp"]
    args = [binary, "-C", str(rc), "--pretend"] + ([] if account is None else ["-a", account])
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LC_ALL": "C.UTF-8"}
    done = subprocess.run(args, capture_output=True, env=env, stdin=subprocess.DEVNULL, timeout=60, check=False)
    stdout = done.stdout.decode("utf-8")
    if done.returncode != 0:
        raise MsmtpError(f"msmtp exit {done.returncode}: {done.stderr.decode('utf-8', 'replace')}{stdout}")
    settings: dict[str, str] = {}
    for line in stdout.split("\n"):
        key, sep, value = line.partition(" = ")
        if sep:
            if key in settings:
                raise MsmtpError(f"msmtp printed {key!r} twice")
            settings[key] = value
    return settings


def expect(**changes: str) -> dict[str, str]:
    """DEFAULTS with some settings changed (keys with '_' for ' ': source_ip -> 'source ip')."""
    result = dict(DEFAULTS)
    for key, value in changes.items():
        name = key.removesuffix("_")  # from_ -> from
        if name not in result:
            name = name.replace("_", " ")
        if name not in result:
            raise KeyError(key)
        result[name] = value
    return result
