"""Room in the open-file limit: ``serve``'s client connections and ``probe``'s sessions at once.

Past the soft limit of open files, every new socket fails (EMFILE). Where the hard limit allows, the soft one is
raised so that what was asked for fits; otherwise the caller is told how many fit, and says so once.
"""

from __future__ import annotations

import os
from typing import NamedTuple


class Room(NamedTuple):
    """What :func:`make_room` found: the connections at once that fit, and the soft open-file limit."""

    connections: int
    #: the soft limit of open files (after raising it); None: no limit
    limit: int | None


def make_room(connections: int, *, spare: int) -> Room:
    """Raise the soft limit of open files (up to the hard limit) so that ``connections`` fit beside the
    descriptors open now and ``spare`` more; how many fit (fewer when the hard limit is lower; at
    least one: a server that takes none serves nobody, a probe that takes none probes nothing)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    used = _open_descriptors()
    wanted = used + connections + spare
    if soft != resource.RLIM_INFINITY and soft < wanted:
        raised = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
            soft = raised
        except (ValueError, OSError):  # refused (a system maximum below the hard limit): the soft limit stays
            pass
    if soft == resource.RLIM_INFINITY:
        return Room(connections, None)
    return Room(max(1, min(connections, soft - used - spare)), soft)


def _open_descriptors() -> int:
    """How many descriptors the process has open (a new one gets the lowest free number, below the limit)."""
    for listing in ("/proc/self/fd", "/dev/fd"):
        try:
            return len(os.listdir(listing)) - 1  # the listing's own descriptor is in it
        except OSError:
            continue
    return 3  # no listing (a system without /dev/fd): the standard streams
