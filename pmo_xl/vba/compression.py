"""The MS-OVBA compression algorithm (MS-OVBA 2.4.1), used for the ``dir`` stream and module source.

A CompressedContainer is a signature byte followed by chunks, each holding up to 4096 bytes
of the input.  Within a chunk, token sequences of one flag byte and up to eight tokens encode
literal bytes or copy tokens that repeat earlier bytes of the same chunk; the split of a copy
token's 16 bits between offset and length grows with the position in the chunk.

The matcher follows the spec's "longest match, nearest first" rule (MS-OVBA 2.4.1.3.19.4),
found through an index of three-byte prefixes instead of a scan of the whole window.
"""

from __future__ import annotations

import struct

__all__ = ["compress"]

CHUNK_SIZE = 4096  # decompressed bytes per chunk (MS-OVBA 2.4.1.1.2)
_MAX_CHUNK_DATA = 4096  # compressed bytes after the 2-byte header: CompressedChunkSize <= 4095
_SIGNATURE_BYTE = 0x01  # MS-OVBA 2.4.1.1.1
_HEADER_SIGNATURE = 0b011 << 12  # CompressedChunkSignature, bits 12-14
_HEADER_COMPRESSED = 1 << 15  # CompressedChunkFlag
_MIN_MATCH = 3


def compress(data: bytes) -> bytes:
    """Compress ``data`` into a CompressedContainer (MS-OVBA 2.4.1.3.1)."""
    out = bytearray([_SIGNATURE_BYTE])
    for start in range(0, len(data), CHUNK_SIZE):
        out += _compress_chunk(data, start, min(start + CHUNK_SIZE, len(data)))
    return bytes(out)


def _compress_chunk(data: bytes, start: int, end: int) -> bytes:
    """One CompressedChunk (MS-OVBA 2.4.1.3.2), falling back to a raw chunk when it won't fit."""
    tokens = _compress_token_sequences(data, start, end)
    if len(tokens) <= _MAX_CHUNK_DATA:
        header = _HEADER_COMPRESSED | _HEADER_SIGNATURE | (len(tokens) + 2 - 3)
        return struct.pack("<H", header) + tokens
    # MS-OVBA 2.4.1.3.3 (raw chunk): exactly 4096 bytes, so a short last chunk is padded
    # with zeros.  Only incompressible data (not VBA source text) ever gets here.
    raw = data[start:end] + bytes(CHUNK_SIZE - (end - start))
    header = _HEADER_SIGNATURE | (CHUNK_SIZE + 2 - 3)
    return struct.pack("<H", header) + raw


def _compress_token_sequences(data: bytes, start: int, end: int) -> bytes:
    """The TokenSequences of one chunk (MS-OVBA 2.4.1.3.4 and 2.4.1.3.5)."""
    out = bytearray()
    prefixes: dict[bytes, list[int]] = {}  # three-byte prefix -> earlier positions, ascending
    pos = start
    while pos < end:
        flag_at = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if pos >= end:
                break
            offset, length = _match(data, start, pos, end, prefixes)
            if length:
                out += struct.pack("<H", _pack_copy_token(pos - start, offset, length))
                flags |= 1 << bit
            else:
                out.append(data[pos])
                length = 1
            for p in range(pos, min(pos + length, end - _MIN_MATCH + 1)):
                prefixes.setdefault(data[p : p + _MIN_MATCH], []).append(p)
            pos += length
        out[flag_at] = flags
    return bytes(out)


def _match(
    data: bytes, start: int, pos: int, end: int, prefixes: dict[bytes, list[int]]
) -> tuple[int, int]:
    """Offset and length of the longest earlier match in the chunk, or (0, 0) if shorter than 3.

    Candidates are tried nearest first and a longer match must be strictly longer, as in
    MS-OVBA 2.4.1.3.19.4; lengths are capped at what a copy token can hold here.
    """
    candidates = prefixes.get(data[pos : pos + _MIN_MATCH])
    if not candidates:
        return 0, 0
    limit = min(end - pos, _copy_token_help(pos - start)[1])
    best_length, best = 0, 0
    for candidate in reversed(candidates):
        length = _common_length(data, candidate, pos, limit)
        if length > best_length:
            best_length, best = length, candidate
            if length == limit:
                break
    if best_length < _MIN_MATCH:
        return 0, 0
    return pos - best, best_length


def _common_length(data: bytes, a: int, b: int, limit: int) -> int:
    """Number of equal bytes at ``a`` and ``b`` (``a < b``), at most ``limit``.

    The ranges may overlap: decompression copies byte by byte, so a copy token may repeat
    bytes it is itself producing.
    """
    n = 0
    step = 64
    while n + step <= limit and data[a + n : a + n + step] == data[b + n : b + n + step]:
        n += step
    while n < limit and data[a + n] == data[b + n]:
        n += 1
    return n


def _copy_token_help(difference: int) -> tuple[int, int]:
    """Bit count of the offset field and maximum length (MS-OVBA 2.4.1.3.19.1).

    ``difference`` is the number of bytes already decompressed in the current chunk.
    """
    bit_count = max((difference - 1).bit_length(), 4)  # ceil(log2(difference)), at least 4
    maximum_length = (0xFFFF >> bit_count) + 3
    return bit_count, maximum_length


def _pack_copy_token(difference: int, offset: int, length: int) -> int:
    """A CopyToken (MS-OVBA 2.4.1.3.19.3): offset-1 in the high bits, length-3 in the low."""
    bit_count, _ = _copy_token_help(difference)
    return ((offset - 1) << (16 - bit_count)) | (length - 3)
