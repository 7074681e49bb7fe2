"""The compound file writer: files that olefile reads back exactly, valid directory trees."""

from __future__ import annotations

import io
import random
import struct

import olefile
import pytest

from pmo_xl.vba.cfb import (
    ENDOFCHAIN,
    MINI_STREAM_CUTOFF,
    NOSTREAM,
    SECTOR_SIZE,
    cfb_name_key,
    write_compound_file,
)

RED, BLACK = 0, 1


def _open(data: bytes) -> olefile.OleFileIO:
    """Open strictly: olefile raises on anything it considers incorrect, not only fatal."""
    assert olefile.isOleFile(io.BytesIO(data))
    return olefile.OleFileIO(io.BytesIO(data), raise_defects=olefile.DEFECT_INCORRECT)


def _read_all(ole: olefile.OleFileIO) -> dict[str, bytes]:
    return {"/".join(path): ole.openstream(path).read() for path in ole.listdir(streams=True)}


def _header(data: bytes) -> dict[str, int]:
    fields = struct.unpack_from("<HHHHH6xIIIIIIIII", data, 24)
    names = [
        "minor", "major", "byte_order", "sector_shift", "mini_sector_shift", "n_dir",
        "n_fat", "first_dir", "transaction", "cutoff", "first_minifat", "n_minifat",
        "first_difat", "n_difat",
    ]  # fmt: skip
    return dict(zip(names, fields, strict=True))


def test_small_tree_reads_back_exactly() -> None:
    rng = random.Random(7)
    streams = {
        "PROJECT": b'ID="{0}"\r\n',
        "PROJECTwm": b"",
        "VBA/dir": rng.randbytes(1273),
        "VBA/_VBA_PROJECT": b"\xcc\x61\xff\xff\x00\x01\x00",
        "VBA/Module1": rng.randbytes(MINI_STREAM_CUTOFF - 1),  # last size in the mini stream
        "VBA/Big": rng.randbytes(MINI_STREAM_CUTOFF),  # first size in regular sectors
        "VBA/Sub/Deep": b"x" * 65,  # crosses a mini sector boundary
    }
    data = write_compound_file(streams)
    ole = _open(data)
    assert _read_all(ole) == streams
    assert sorted("/".join(p) for p in ole.listdir(streams=False, storages=True)) == [
        "VBA",
        "VBA/Sub",
    ]
    header = _header(data)
    assert (header["major"], header["minor"], header["sector_shift"]) == (3, 0x3E, 9)
    assert header["n_dir"] == 0 and header["cutoff"] == 4096
    assert header["n_difat"] == 0 and header["first_difat"] == ENDOFCHAIN
    assert len(data) % SECTOR_SIZE == 0


def test_empty_file_and_only_large_streams() -> None:
    assert _read_all(_open(write_compound_file({}))) == {}
    big = {"A": bytes(5000), "B": b"\1" * 9000}
    data = write_compound_file(big)
    assert _read_all(_open(data)) == big
    assert _header(data)["n_minifat"] == 0


def test_large_file_uses_difat() -> None:
    # 7.5 MB needs more than 109 FAT sectors, so the DIFAT continues outside the header.
    payload = random.Random(1).randbytes(7 * 1024 * 1024 + 512 * 1024)
    streams = {"VBA/dir": b"d" * 100, "VBA/Huge": payload, "Other": b"o" * 70_000}
    data = write_compound_file(streams)
    header = _header(data)
    assert header["n_fat"] > 109
    assert header["n_difat"] >= 1
    assert _read_all(_open(data)) == streams


def test_output_is_deterministic_and_independent_of_input_order() -> None:
    streams = {f"S/{name}": name.encode() * 10 for name in ("b", "a", "Ccc", "dd", "E")}
    first = write_compound_file(streams)
    assert first == write_compound_file(dict(reversed(list(streams.items()))))
    assert first == write_compound_file(streams)


def test_name_order_is_length_first_then_case_insensitive() -> None:
    names = ["dir", "_VBA_PROJECT", "ThisWorkbook", "Sheet1", "sheet2", "Module1", "xlwings", "b"]
    ordered = sorted(names, key=cfb_name_key)
    assert ordered == [
        "b", "dir", "Sheet1", "sheet2", "Module1", "xlwings", "ThisWorkbook", "_VBA_PROJECT",
    ]  # fmt: skip
    assert cfb_name_key("abc") == cfb_name_key("ABC")


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 40])
def test_sibling_trees_are_red_black_search_trees(count: int) -> None:
    names = [f"N{i:0{i % 3 + 1}d}" for i in range(count)]  # mixed lengths
    ole = _open(write_compound_file({f"S/{name}": b"" for name in names}))
    entries = {e.sid: e for e in ole.direntries if e is not None}
    storage = next(e for e in entries.values() if e.name == "S")

    def walk(sid: int, parent_red: bool) -> tuple[list[str], int]:
        """In-order names and black height; checks the red-black rules on the way."""
        if sid == NOSTREAM:
            return [], 1
        entry = entries[sid]
        is_red = entry.color == RED
        assert not (is_red and parent_red), "a red node has a red child"
        left, left_height = walk(entry.sid_left, is_red)
        right, right_height = walk(entry.sid_right, is_red)
        assert left_height == right_height, "unequal black height"
        return [*left, entry.name, *right], left_height + (0 if is_red else 1)

    assert entries[storage.sid_child].color == BLACK
    in_order, _ = walk(storage.sid_child, parent_red=False)
    assert in_order == sorted(names, key=cfb_name_key)
    assert entries[0].color == BLACK


@pytest.mark.parametrize(
    "streams",
    [
        {"a/b:c": b""},
        {"x" * 32: b""},
        {"": b""},
        {"A": b"", "a": b""},  # siblings must differ ignoring case
        {"A": b"", "A/B": b""},  # a stream cannot also be a storage
    ],
)
def test_invalid_names_are_rejected(streams: dict[str, bytes]) -> None:
    with pytest.raises(ValueError):
        write_compound_file(streams)
