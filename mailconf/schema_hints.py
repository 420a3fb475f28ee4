"""What a user most likely meant by a key or a value that the schema refuses: MC002's "did you mean".

A spelling mistake is found by similarity (``difflib``, as for ``securty``). Similarity does not find the words
other mail clients use for the same setting (``ssl: true``, ``security: SSL/TLS``, ``auth: plain``, ``server:``,
``email:``), and it finds wrong ones for some of them (``login`` is close to ``outgoing``, ``realname`` to
``username``, ``imap_server`` to ``leave_on_server``): those are looked up first, in the tables below. A key that
exists one level up or down (``ca_file`` beside ``host`` instead of under ``tls:``, ``host`` beside ``address``)
is said to be misplaced, not unknown. A suggestion is never a literal ``password``: MC401 flags it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from typing import Any

from .errors import printable

#: keys other clients (and people) use, by what mailconf calls them; a target not allowed where the key is
#: written is not suggested there
_KEY_SYNONYMS: Mapping[str, str] = {
    **dict.fromkeys(("server", "hostname", "servername", "imap_server", "pop_server", "pop3_server",
                     "smtp_server", "imap_host", "pop_host", "pop3_host", "smtp_host"), "host"),
    **dict.fromkeys(("user", "login", "user_name", "userid", "user_id", "imap_user", "pop_user", "smtp_user"),
                    "username"),
    **dict.fromkeys(("pass", "passwd", "pwd", "passcmd", "pass_cmd", "passwordcmd", "password_cmd", "passwordeval",
                     "password_eval", "passwordcommand", "pass_command", "remotepasseval"), "password_command"),
    **dict.fromkeys(("token", "oauth_token", "token_cmd", "oauth_command", "oauth_token_command"), "token_command"),
    **dict.fromkeys(("ssl", "use_ssl", "usessl", "ssl_enabled", "encryption", "secure", "starttls", "use_starttls",
                     "require_starttls", "ssl_starttls", "tls_mode", "ssl_type", "socket_type", "sockettype",
                     "connection_security"), "security"),
    **dict.fromkeys(("email", "e-mail", "mail", "email_address", "mail_address", "from", "addr"), "address"),
    **dict.fromkeys(("name", "realname", "real_name", "fullname", "full_name", "from_name", "sender_name"),
                    "display_name"),
    **dict.fromkeys(("imap", "pop", "pop3", "incoming_server", "receive", "inbound"), "incoming"),
    **dict.fromkeys(("smtp", "outgoing_server", "send", "outbound", "submission", "sendmail"), "outgoing"),
    # under tls: (or beside host, where they are said to belong under tls:)
    **dict.fromkeys(("ca", "cacert", "ca_cert", "ca_certs", "ca_certificate", "ca_certificates_file", "ca_path",
                     "certificate_authority", "certificatefile", "certificate_file", "tls_trust_file",
                     "sslcacertfile", "sslcertfile", "ssl_ca_certificates_file"), "ca_file"),
    **dict.fromkeys(("cert", "certificate", "client_certificate", "ssl_cert", "tls_cert_file", "sslcert",
                     "ssl_client_cert"), "client_cert"),
    **dict.fromkeys(("key", "ssl_key", "tls_key_file", "sslkey", "client_key_file", "private_key"), "client_key"),
    **dict.fromkeys(("pin", "cert_fingerprint", "certificate_fingerprint", "tls_fingerprint", "sslfingerprint",
                     "ssl_fingerprint"), "fingerprint"),
    **dict.fromkeys(("tls_version", "min_tls", "min_tls_version", "minimum_version", "ssl_version", "sslproto",
                     "tls_min_version"), "min_version"),
    **dict.fromkeys(("verify_cert", "verify_certificate", "check_certificate", "certificate_check", "tls_verify",
                     "ssl_verify", "sslcertck", "tls_certcheck"), "verify"),
    **dict.fromkeys(("verify_host", "check_hostname", "verify_name", "ssl_verify_host"), "verify_hostname"),
}  # fmt: skip

#: the keys above that, set to true, mean STARTTLS (the others mean implicit TLS)
_STARTTLS_KEYS = frozenset(("starttls", "use_starttls", "require_starttls", "ssl_starttls"))
_IMPLICIT_KEYS = frozenset(("ssl", "use_ssl", "usessl", "ssl_enabled", "secure"))
_TRUE = frozenset(("true", "yes", "on", "y", "1"))

_TLS_KEYS = frozenset(("ca_file", "client_cert", "client_key", "fingerprint", "min_version", "verify",
                       "verify_hostname"))  # fmt: skip
_SERVER_KEYS = frozenset(("auth", "host", "mechanisms", "password_command", "port", "protocol", "security",
                          "timeout", "tls", "token_command", "username"))  # fmt: skip
_ACCOUNT_KEYS = frozenset(("address", "display_name", "organization"))
_POP3_KEYS = frozenset(("leave_on_server", "leave_days"))


def key_hint(key: str, value: Any, allowed: Sequence[str]) -> str:
    """The fix for an unknown ``key`` (holding ``value``) where ``allowed`` are the keys the schema takes."""
    said = key.lower()
    known = _synonym_hint(said, value, allowed) or _misplaced(said, allowed)
    if known:
        return known
    close = difflib.get_close_matches(key, allowed, n=1)
    if close == ["password"] and "password_command" in allowed:
        close = ["password_command"]  # a literal password is flagged (MC401): never suggest one
    return f"did you mean `{close[0]}`?" if close else f"allowed here: {', '.join(allowed)}"


def _synonym_hint(said: str, value: Any, allowed: Sequence[str]) -> str:
    """For another client's word: mailconf's key, here or where it belongs (``""``: not one of those words)."""
    meant = _KEY_SYNONYMS.get(said)
    if meant is None:
        return ""
    if meant == "security" and (meant in allowed or "incoming" in allowed):
        where = "instead" if meant in allowed else "under `incoming:` or `outgoing:`"
        return f"write {_security_for(said, value)} {where}"
    if meant in allowed:
        return f"did you mean `{meant}`?"
    if meant in _TLS_KEYS and "tls" in allowed:
        return f"write it under `tls:`, as `{meant}` (tls: {{{meant}: ...}})"
    if meant in _SERVER_KEYS and "incoming" in allowed:
        return f"write it under `incoming:` or `outgoing:`, as `{meant}`"
    return ""


def _security_for(said: str, value: Any) -> str:
    on = value is True or (isinstance(value, (str, int)) and str(value).strip().lower() in _TRUE)
    if on and said in _STARTTLS_KEYS:
        return "security: starttls"
    if on and said in _IMPLICIT_KEYS:
        return "security: tls"
    return "security: tls, starttls or none"


def _misplaced(said: str, allowed: Sequence[str]) -> str:
    if said in _TLS_KEYS and "tls" in allowed:
        return f"`{said}` belongs under `tls:` (tls: {{{said}: ...}})"
    if said in _POP3_KEYS and "host" in allowed and said not in allowed:
        return f"`{said}` is for a POP3 server only: move it under `incoming:`"
    if said in _SERVER_KEYS and "incoming" in allowed:
        return f"`{said}` belongs under `incoming:` or `outgoing:`"
    if said in _ACCOUNT_KEYS and "host" in allowed:
        return f"`{said}` belongs to the account, one level up, beside `incoming:` and `outgoing:`"
    return ""


#: values other clients use, by key (the last step of the path; ``mechanisms`` for an item of it): what mailconf
#: calls it, and why when it is not only a spelling
_VALUE_SYNONYMS: Mapping[str, Mapping[str, tuple[str, str]]] = {
    "security": {
        **dict.fromkeys(("ssl", "ssl/tls", "tls/ssl", "implicit", "implicit-tls", "implicit_tls", "imaps", "pop3s",
                         "smtps", "ssl-tls", "ssl_tls"), ("tls", "implicit TLS, which clients call SSL or SSL/TLS")),
        **dict.fromkeys(("explicit", "explicit-tls", "required", "starttls-required", "start-tls", "start_tls"),
                        ("starttls", "")),
        **dict.fromkeys(("plain", "cleartext", "plaintext", "unencrypted", "no", "off", "false"), ("none", "")),
    },
    "auth": {
        **{m: ("password", f"{m.upper()} is a SASL mechanism: to pin it, add mechanisms: [{m}]")
           for m in ("plain", "login", "cram-md5", "digest-md5", "scram-sha-1", "scram-sha-256")},
        **dict.fromkeys(("normal", "basic", "password-cleartext", "password-encrypted", "passwd"), ("password", "")),
        **dict.fromkeys(("oauth", "oauth-2", "oauth 2.0", "xoauth", "xoauth2", "oauthbearer", "modern"),
                        ("oauth2", "")),
        **dict.fromkeys(("kerberos", "krb5", "gss"), ("gssapi", "")),
        **dict.fromkeys(("external", "cert", "certificate", "client-certificate", "tls-certificate", "tls-cert"),
                        ("client-cert", "")),
    },
    "protocol": {
        "imaps": ("imap", "implicit TLS is security: tls, the default"),
        "pop3s": ("pop3", "implicit TLS is security: tls, the default"),
        **dict.fromkeys(("pop", "pops"), ("pop3", "")),
        "smtps": ("smtp", "implicit TLS is security: tls, the default"),
        **dict.fromkeys(("submission", "submissions", "esmtp"), ("smtp", "")),
    },
    "min_version": {f"{p}1.{n}": (f"1.{n}", "") for p in ("tls", "tlsv", "tls ", "tls_", "tlsv ") for n in range(4)},
}  # fmt: skip


#: a protocol written under the other side's key
_OTHER_SIDE: Mapping[str, str] = {"smtp": "outgoing", "imap": "incoming", "pop3": "incoming"}


def value_hint(field: str, written: Any, choices: Sequence[Any]) -> str:
    """``; did you mean `tls`? (why)`` for a text value outside ``choices``, or ``""`` when nothing is close."""
    texts = [c for c in choices if isinstance(c, str)]
    if not isinstance(written, str) or not texts:
        return ""
    said = " ".join(written.split()).lower()
    if field == "protocol" and said in _OTHER_SIDE and said not in texts:
        return f"; {said} is the protocol of `{_OTHER_SIDE[said]}:`"
    meant, why = _VALUE_SYNONYMS.get(field, {}).get(said, ("", ""))
    if meant not in texts:
        meant, why = (said, "") if said in texts else ("", "")
    if not meant:
        close = difflib.get_close_matches(said, texts, n=1)
        meant = close[0] if close else ""
    if not meant:
        return ""
    return f"; did you mean `{meant}`?" + (f" ({why})" if why else "")


_PATH_KEYS = frozenset(("ca_file", "client_cert", "client_key"))
_NAMED_ADDRESS = re.compile(r"^\s*(?P<name>[^<>]*?)\s*<(?P<address>[^<>\s]+@[^<>\s]+)>\s*$")


def pattern_hint(key: str, written: Any) -> str:
    """What to write instead of a path or an address the pattern refuses, when it is the usual mistake; ``""``
    otherwise (the key's general help applies: a control character, a scheme in a host...)."""
    if not isinstance(written, str) or _has_control(written):
        return ""
    if key in _PATH_KEYS:
        return _path_hint(written)
    if key == "address":
        return _address_hint(written)
    return ""


def _path_hint(written: str) -> str:
    if written.startswith("~"):
        return "write the path in full, starting with / (clients disagree on what ~ is, and some do not expand it)"
    if not written.startswith("/"):
        return "write an absolute path, starting with / (clients read a relative one from different folders)"
    return ""


def _address_hint(written: str) -> str:
    named = _NAMED_ADDRESS.match(written)
    if named and named["name"]:
        return f"write the address alone ({printable(named['address'])}) and the name in display_name"
    if named:
        return f"write the address alone ({printable(named['address'])}), without < >"
    if " " in written.strip():
        return "an address holds no spaces; write one like alice@example.com"
    return ""


def _has_control(text: str) -> bool:
    return any(not ch.isprintable() and ch != " " for ch in text)


def account_setting_hint(name: Any, account: Any) -> str:
    """Why an account named like one of an account's settings is that setting, indented as an account: the
    lines under ``work:`` written at its level (``address: alice@example.com`` is then an account named
    ``address``); ``""`` when it may be an account of that name (a mapping, or a server holding an address)."""
    setting = (name in _ACCOUNT_KEYS and not isinstance(account, dict)) or (
        name in ("incoming", "outgoing") and isinstance(account, dict) and "address" not in account
    )
    return f"`{name}` is a setting of an account, written as an account: indent it under the account's name" * setting


def accounts_list_hint(accounts: list[Any]) -> str:
    """How to write ``accounts:`` written as a list: each account is a key, its name (``- name: work`` is
    ``work:``)."""
    first = accounts[0] if accounts else None
    named = first.get("name") if isinstance(first, dict) else None
    if isinstance(named, str) and named and not _has_control(named):
        shown = printable(named)
        return f"; write each account as its name and a colon, not as a list item: `{shown}:`, not `- name: {shown}`"
    return "; write each account as its name and a colon (work:), not as a list item (- )"
