"""A minimal writer of Compound File Binary files (MS-CFB), the container of ``vbaProject.bin``.

Only what a VBA project needs is supported: a version 3 file (512-byte sectors) holding a
tree of storages and streams, written in one pass.  Streams shorter than 4096 bytes live in
the mini stream (64-byte mini sectors, MS-CFB 2.1), larger ones in regular sectors; files
that need more than 109 FAT sectors get DIFAT sectors (MS-CFB 2.5).  The output is
deterministic: timestamps and CLSIDs are zero and the directory order depends only on the
names.

Usage::

    data = write_compound_file({"PROJECT": b"...", "VBA/dir": b"...", "VBA/Module1": b"..."})

Storages are implied by the ``/``-separated paths.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["write_compound_file", "cfb_name_key"]

SECTOR_SIZE = 512  # version 3 files: sector shift 9 (MS-CFB 2.2)
MINI_SECTOR_SIZE = 64  # mini sector shift 6
MINI_STREAM_CUTOFF = 4096  # streams below this size go to the mini stream
DIR_ENTRY_SIZE = 128
HEADER_DIFAT_ENTRIES = 109
_IDS_PER_SECTOR = SECTOR_SIZE // 4  # 128 sector numbers per FAT / mini FAT sector

# Special sector numbers (MS-CFB 2.1).
DIFSECT = 0xFFFFFFFC
FATSECT = 0xFFFFFFFD
ENDOFCHAIN = 0xFFFFFFFE
FREESECT = 0xFFFFFFFF
NOSTREAM = 0xFFFFFFFF

_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
_TYPE_STORAGE, _TYPE_STREAM, _TYPE_ROOT = 1, 2, 5  # MS-CFB 2.6.1 Object Type
_RED, _BLACK = 0, 1
_FORBIDDEN_NAME_CHARS = set("/\\:!")
_MAX_NAME_CHARS = 31  # 32 UTF-16 code units including the terminating null


@dataclass
class _Entry:
    """A directory entry being laid out: a storage (with children) or a stream (with data)."""

    name: str
    data: bytes | None = None  # None for storages
    children: dict[str, _Entry] = field(default_factory=dict)
    sid: int = 0
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    color: int = _BLACK
    start: int = ENDOFCHAIN
    size: int = 0

    @property
    def is_storage(self) -> bool:
        return self.data is None


def cfb_name_key(name: str) -> tuple[int, str]:
    """Sort key of a directory entry name among its siblings (MS-CFB 2.6.4).

    Shorter names sort first; names of equal length compare code point by code point after
    simple (one-to-one) uppercase mapping.
    """
    upper = "".join(c.upper() if len(c.upper()) == 1 else c for c in name)
    return (len(name.encode("utf-16-le")), upper)


def write_compound_file(streams: Mapping[str, bytes]) -> bytes:
    """Return a compound file holding ``streams`` (``"storage/…/stream"`` path → bytes)."""
    root = _build_tree(streams)
    entries = _number_entries(root)
    return _Layout(entries).write()


def _check_name(name: str) -> None:
    if not name or len(name) > _MAX_NAME_CHARS or _FORBIDDEN_NAME_CHARS & set(name):
        raise ValueError(
            f"invalid compound file entry name {name!r}: 1 to {_MAX_NAME_CHARS} characters, "
            "none of / \\ : !"
        )


def _build_tree(streams: Mapping[str, bytes]) -> _Entry:
    root = _Entry("Root Entry")
    for path, data in streams.items():
        *storages, leaf = path.split("/")
        node = root
        for part in storages:
            _check_name(part)
            child = node.children.setdefault(cfb_name_key(part)[1], _Entry(part))
            if not child.is_storage:
                raise ValueError(f"{path!r}: {part!r} is already a stream")
            node = child
        _check_name(leaf)
        key = cfb_name_key(leaf)[1]  # siblings must differ case-insensitively
        if key in node.children:
            raise ValueError(f"duplicate compound file entry {path!r}")
        node.children[key] = _Entry(leaf, data=bytes(data))
    return root


def _number_entries(root: _Entry) -> list[_Entry]:
    """Assign directory stream ids depth first, siblings in name order, and link the trees."""
    entries: list[_Entry] = []

    def visit(entry: _Entry) -> None:
        entry.sid = len(entries)
        entries.append(entry)
        ordered = sorted(entry.children.values(), key=lambda e: cfb_name_key(e.name))
        for child in ordered:
            visit(child)
        entry.child = _link_siblings(ordered)

    visit(root)
    return entries


def _link_siblings(ordered: list[_Entry]) -> int:
    """Make a balanced binary search tree of sorted siblings; return the id of its root.

    A tree built by splitting at the middle has every level full except the deepest one, so
    colouring the deepest level red and every other node black satisfies the red-black rules
    of MS-CFB 2.6.4 (the root is black, no red node has a red child, equal black height).
    """
    if not ordered:
        return NOSTREAM
    depth_of: dict[int, int] = {}

    def build(lo: int, hi: int, depth: int) -> int:
        if lo >= hi:
            return NOSTREAM
        mid = (lo + hi) // 2
        node = ordered[mid]
        depth_of[mid] = depth
        node.left = build(lo, mid, depth + 1)
        node.right = build(mid + 1, hi, depth + 1)
        return node.sid

    root_sid = build(0, len(ordered), 0)
    deepest = max(depth_of.values())
    for index, depth in depth_of.items():
        ordered[index].color = _RED if depth == deepest and depth > 0 else _BLACK
    return root_sid


class _Layout:
    """Places the directory, FAT, mini FAT, mini stream and streams in sectors and writes them.

    Sector order: FAT sectors, DIFAT sectors, directory, mini FAT, mini stream, large streams.
    """

    def __init__(self, entries: list[_Entry]) -> None:
        self.entries = entries
        self.small = [e for e in entries if not e.is_storage and len(e.data or b"") < 4096]
        self.large = [e for e in entries if not e.is_storage and len(e.data or b"") >= 4096]
        self.mini_stream = self._pack_mini_stream()
        self.n_dir = _sectors(len(entries) * DIR_ENTRY_SIZE, SECTOR_SIZE)
        n_mini_sectors = len(self.mini_stream) // MINI_SECTOR_SIZE
        self.n_minifat = _sectors(n_mini_sectors * 4, SECTOR_SIZE)
        self.n_ministream = _sectors(len(self.mini_stream), SECTOR_SIZE)
        n_data = self.n_dir + self.n_minifat + self.n_ministream
        n_data += sum(_sectors(len(e.data or b""), SECTOR_SIZE) for e in self.large)
        self.n_fat, self.n_difat = _fat_sector_counts(n_data)

    def _pack_mini_stream(self) -> bytes:
        """Concatenate the small streams, each padded to whole mini sectors (MS-CFB 2.1)."""
        parts: list[bytes] = []
        offset = 0
        for entry in self.small:
            data = entry.data or b""
            entry.size = len(data)
            if not data:
                continue  # an empty stream owns no sector: start stays ENDOFCHAIN
            entry.start = offset // MINI_SECTOR_SIZE
            padded = _pad(data, MINI_SECTOR_SIZE)
            parts.append(padded)
            offset += len(padded)
        return b"".join(parts)

    def write(self) -> bytes:
        fat: list[int] = []
        fat_sectors = _allocate(fat, self.n_fat, FATSECT)
        difat_sectors = _allocate(fat, self.n_difat, DIFSECT)
        dir_start = _allocate_chain(fat, self.n_dir)
        minifat_start = _allocate_chain(fat, self.n_minifat) if self.n_minifat else ENDOFCHAIN
        root = self.entries[0]
        root.size = len(self.mini_stream)
        root.start = _allocate_chain(fat, self.n_ministream) if self.mini_stream else ENDOFCHAIN
        for entry in self.large:
            entry.size = len(entry.data or b"")
            entry.start = _allocate_chain(fat, _sectors(entry.size, SECTOR_SIZE))
        fat += [FREESECT] * (self.n_fat * _IDS_PER_SECTOR - len(fat))

        body = [
            _u32_array(fat),
            self._difat_sectors(fat_sectors, difat_sectors),
            _pad(b"".join(_dir_entry(e) for e in self.entries), SECTOR_SIZE),
            _pad(_u32_array(self._mini_fat()), SECTOR_SIZE),
            _pad(self.mini_stream, SECTOR_SIZE),
            *(_pad(e.data or b"", SECTOR_SIZE) for e in self.large),
        ]
        header = self._header(fat_sectors, difat_sectors, dir_start, minifat_start)
        return header + b"".join(body)

    def _mini_fat(self) -> list[int]:
        mini_fat: list[int] = []
        for entry in self.small:
            count = _sectors(entry.size, MINI_SECTOR_SIZE)
            if count:
                _allocate_chain(mini_fat, count)
        if mini_fat:
            mini_fat += [FREESECT] * (self.n_minifat * _IDS_PER_SECTOR - len(mini_fat))
        return mini_fat

    def _difat_sectors(self, fat_sectors: list[int], difat_sectors: list[int]) -> bytes:
        """FAT sector numbers past the 109 in the header, 127 per sector plus a next link."""
        rest = fat_sectors[HEADER_DIFAT_ENTRIES:]
        out = []
        per_sector = _IDS_PER_SECTOR - 1
        for i, _sector in enumerate(difat_sectors):
            chunk = rest[i * per_sector : (i + 1) * per_sector]
            chunk += [FREESECT] * (per_sector - len(chunk))
            nxt = difat_sectors[i + 1] if i + 1 < len(difat_sectors) else ENDOFCHAIN
            out.append(_u32_array([*chunk, nxt]))
        return b"".join(out)

    def _header(
        self, fat_sectors: list[int], difat_sectors: list[int], dir_start: int, minifat_start: int
    ) -> bytes:
        """The 512-byte compound file header (MS-CFB 2.2)."""
        difat = fat_sectors[:HEADER_DIFAT_ENTRIES]
        difat += [FREESECT] * (HEADER_DIFAT_ENTRIES - len(difat))
        header = (
            _SIGNATURE
            + bytes(16)  # header CLSID
            + struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6)  # minor, major, BOM, shifts
            + bytes(6)  # reserved
            + struct.pack(
                "<IIIIIIIII",
                0,  # number of directory sectors: MUST be zero for version 3
                self.n_fat,
                dir_start,
                0,  # transaction signature
                MINI_STREAM_CUTOFF,
                minifat_start,
                self.n_minifat,
                difat_sectors[0] if difat_sectors else ENDOFCHAIN,
                len(difat_sectors),
            )
            + _u32_array(difat)
        )
        assert len(header) == SECTOR_SIZE
        return header


def _fat_sector_counts(n_data: int) -> tuple[int, int]:
    """FAT and DIFAT sector counts: the FAT also maps its own sectors and the DIFAT's."""
    n_fat = n_difat = 0
    while True:
        need_fat = _sectors(n_data + n_fat + n_difat, _IDS_PER_SECTOR)
        need_difat = _sectors(max(0, need_fat - HEADER_DIFAT_ENTRIES), _IDS_PER_SECTOR - 1)
        if (need_fat, need_difat) == (n_fat, n_difat):
            return n_fat, n_difat
        n_fat, n_difat = need_fat, need_difat


def _allocate(table: list[int], count: int, marker: int) -> list[int]:
    """Mark ``count`` new sectors with a special value; return their numbers."""
    first = len(table)
    table.extend([marker] * count)
    return list(range(first, first + count))


def _allocate_chain(table: list[int], count: int) -> int:
    """Append a chain of ``count`` consecutive sectors; return its first sector."""
    first = len(table)
    table.extend(range(first + 1, first + count))
    table.append(ENDOFCHAIN)
    return first


def _dir_entry(entry: _Entry) -> bytes:
    """One 128-byte directory entry (MS-CFB 2.6.1)."""
    name = entry.name.encode("utf-16-le") + b"\0\0"
    kind = _TYPE_ROOT if entry.sid == 0 else _TYPE_STORAGE if entry.is_storage else _TYPE_STREAM
    start, size = (entry.start, entry.size) if entry.sid == 0 or not entry.is_storage else (0, 0)
    return (
        name.ljust(64, b"\0")
        + struct.pack("<HBB", len(name), kind, entry.color)
        + struct.pack("<III", entry.left, entry.right, entry.child)
        + bytes(16)  # CLSID
        + bytes(4)  # state bits
        + bytes(16)  # creation and modification times: zero for determinism
        + struct.pack("<IQ", start, size)
    )


def _sectors(size: int, unit: int) -> int:
    return math.ceil(size / unit)


def _pad(data: bytes, unit: int) -> bytes:
    return data + bytes(-len(data) % unit)


def _u32_array(values: list[int]) -> bytes:
    return struct.pack(f"<{len(values)}I", *values)
