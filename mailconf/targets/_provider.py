"""What the three provider-side targets (autoconfig, autodiscover, mobileconfig) share.

Each target decides its own values; this module holds the few facts they must agree on
(the mail domain of an address, the file name an address gets) and :func:`agreement`,
which renders the three forms of one file and reads each back, so that a difference in
any host, port or security mode between them is found (lint rule MC710).
"""

from __future__ import annotations

from ..escape import UnsafeValue
from ..model import Account


def domain_of(address: str) -> str:
    """The mail domain of an address, lower-cased (DNS names are case-insensitive; one document per domain)."""
    return address.rpartition("@")[2].lower()


def address_file_name(account: Account) -> str:
    """The address as one file name: ``%`` and ``/`` are percent-encoded (a local part may hold ``/``, which
    would otherwise name a folder, ``..`` included); a control character is refused (naming the account)."""
    address = account.address
    if not address.isprintable():
        raise UnsafeValue(f"account {account.name}: address: a control character cannot be part of a file name")
    return address.replace("%", "%25").replace("/", "%2F")
