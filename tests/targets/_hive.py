"""A real registry round-trip for .reg files, with no Windows: hivex.

- :func:`empty_hive` builds a minimal valid hive file ("regf" base block, one
  "hbin" holding a root key and its security cell) from the public format
  description, so no third-party hive is needed;
- :func:`merge_and_export` creates the parent keys, merges a ``.reg`` file with
  ``hivexregedit --merge`` and exports the tree back with ``hivexregedit --export``;
- :func:`parse_reg` decodes an export: key path -> value name -> text (REG_SZ from
  ``hex(1):`` or ``"..."``) or int (``dword:``); any other type stays raw bytes so a
  test sees it.
"""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

HKCU = "HKEY_CURRENT_USER"
HBIN_SIZE = 0x1000


def _cell(data: bytes) -> bytes:
    size = (4 + len(data) + 7) & ~7
    return struct.pack("<i", -size) + data + b"\0" * (size - 4 - len(data))


def empty_hive() -> bytes:
    """8 KiB: the base block and one hive bin with the root key ("nk") and a security key ("sk")."""
    root = 0x20  # cells start after the 32-byte hbin header; offsets are relative to the first hbin
    name = b"ROOT"
    sk_offset = root + ((4 + 0x4C + len(name) + 7) & ~7)
    admins = struct.pack("<BB6sII", 1, 2, b"\0\0\0\0\0\x05", 32, 544)  # S-1-5-32-544
    empty_acl = struct.pack("<BBHHH", 2, 0, 8, 0, 0)
    header = 20
    descriptor = (
        struct.pack("<BBHIIII", 1, 0, 0x8004, header, header + len(admins), 0, header + 2 * len(admins))
        + admins
        + admins
        + empty_acl
    )
    nk = (
        b"nk"
        + struct.pack("<H", 0x2C)  # hive entry | no delete | compressed (ASCII) name
        + b"\0" * 8  # last written
        + struct.pack(
            "<IIIIIIIIIIIIIIIHH",
            0,  # access bits
            0xFFFFFFFF,  # parent
            0,  # subkeys
            0,  # volatile subkeys
            0xFFFFFFFF,  # subkey list
            0xFFFFFFFF,  # volatile subkey list
            0,  # values
            0xFFFFFFFF,  # value list
            sk_offset,
            0xFFFFFFFF,  # class name
            *(0, 0, 0, 0, 0),  # largest name/class/value name/value data, workvar
            len(name),
            0,
        )
        + name
    )
    sk = b"sk\0\0" + struct.pack("<IIII", sk_offset, sk_offset, 1, len(descriptor)) + descriptor
    cells = _cell(nk) + _cell(sk)
    hbin = b"hbin" + struct.pack("<III", 0, HBIN_SIZE, 0) + b"\0" * 16 + cells
    free = HBIN_SIZE - len(hbin)
    hbin += struct.pack("<i", free) + b"\0" * (free - 4)
    base = bytearray(0x1000)
    struct.pack_into("<4sIIQIIIIIII", base, 0, b"regf", 1, 1, 0, 1, 3, 0, 1, root, HBIN_SIZE, 1)
    checksum = 0
    for (word,) in struct.iter_unpack("<I", bytes(base[:0x1FC])):
        checksum ^= word
    struct.pack_into("<I", base, 0x1FC, checksum)
    return bytes(base) + hbin


def parents_reg(path: str) -> bytes:
    """A .reg creating every key from HKCU down to ``path`` (hivexregedit needs parents to exist)."""
    parts = path.split("\\")
    assert parts[0] == HKCU
    lines = ["Windows Registry Editor Version 5.00", ""]
    sep = "\\"
    for depth in range(2, len(parts) + 1):
        lines += [f"[{sep.join(parts[:depth])}]", ""]
    return "\r\n".join(lines).encode("ascii")


def merge_and_export(tmp: Path, reg: bytes, parent: str, export: str) -> dict[str, dict[str, str | int | bytes]]:
    """Merge ``reg`` into a fresh hive (after creating ``parent`` and its ancestors); parse the export of ``export``."""
    hive = tmp / "NTUSER.DAT"
    hive.write_bytes(empty_hive())
    (tmp / "parents.reg").write_bytes(parents_reg(parent))
    (tmp / "rendered.reg").write_bytes(reg)
    merged = subprocess.run(
        ["hivexregedit", "--merge", "--prefix", HKCU, "--encoding", "UTF-16LE", str(hive),
         str(tmp / "parents.reg"), str(tmp / "rendered.reg")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert merged.returncode == 0, merged.stderr
    inside = export.removeprefix(HKCU)
    exported = subprocess.run(
        ["hivexregedit", "--export", "--prefix", HKCU, str(hive), inside],
        capture_output=True, check=False,
    )  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    return parse_reg(exported.stdout.decode("ascii"))


def _unquote(text: str) -> tuple[str, str]:
    """A "..." string (\\ escapes) at the start of text -> (string, rest)."""
    assert text.startswith('"'), text
    out: list[str] = []
    i = 1
    while text[i] != '"':
        if text[i] == "\\":
            i += 1
        out.append(text[i])
        i += 1
    return "".join(out), text[i + 1 :]


def parse_reg(text: str) -> dict[str, dict[str, str | int | bytes]]:
    lines = text.replace("\r\n", "\n").split("\n")
    joined: list[str] = []
    for line in lines:
        if joined and joined[-1].endswith("\\") and not joined[-1].startswith("["):
            joined[-1] = joined[-1][:-1] + line.strip()
        else:
            joined.append(line)
    keys: dict[str, dict[str, str | int | bytes]] = {}
    current: dict[str, str | int | bytes] | None = None
    for line in joined:
        if not line or line.startswith("Windows Registry Editor"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = keys.setdefault(line[1:-1].rstrip("\\"), {})
            continue
        assert current is not None, line
        name, rest = _unquote(line)
        assert rest.startswith("="), line
        data = rest[1:]
        if data.startswith("dword:"):
            current[name] = int(data[6:], 16)
        elif data.startswith("hex(1):"):
            raw = bytes(int(h, 16) for h in data[7:].split(",") if h)
            assert raw.endswith(b"\0\0") and len(raw) % 2 == 0, line
            current[name] = raw[:-2].decode("utf-16-le")
        elif data.startswith('"'):
            current[name], _ = _unquote(data)
        else:
            kind, _, hexes = data.partition(":")
            current[name] = kind.encode() + b":" + bytes(int(h, 16) for h in hexes.split(",") if h)
    return keys
