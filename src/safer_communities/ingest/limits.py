"""Limits on what one input file may be, and the streaming copies that enforce them.

An archive or a ``.gz`` file says little about what it holds until it is decompressed: a 2 MB zip
can hold gigabytes of blank lines. Every police.uk file therefore reaches the readers as a plain
file on disk, written here in fixed-size blocks that are counted as they go, so a file beyond a
limit is refused (``InputError`` naming it) before it can fill memory or the disk. The limits and
why they are where they are: docs/security-ingest.md.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from safer_communities.errors import InputError

_BLOCK = 1 << 22
_SCAN_BLOCK = 1 << 18
"""``scan_text`` reads in blocks that stay in the CPU's cache (its CR LF count is then 4x faster)."""
_REDOWNLOAD = "Check the download is complete, or download it again from https://data.police.uk/data/."


@dataclass(frozen=True)
class Limits:
    """What one file (a CSV, a zip member, or a ``.gz`` once decompressed) may be.

    The defaults are far above any file police.uk publishes (the largest monthly street file, the
    Metropolitan Police's, is about 25 MB, 110,000 lines, lines under 400 bytes; CSV text deflates
    5 to 10 times) and far below what would exhaust a 2-core, 8 GB machine.
    """

    max_file_bytes: int = 1 << 30          # 1 GiB of CSV text per file
    max_expansion_ratio: float = 100.0     # decompressed / compressed size, for files over ratio_floor
    ratio_floor_bytes: int = 1 << 20       # small files may compress well without meaning harm
    max_lines: int = 10_000_000            # physical lines per file
    max_line_bytes: int = 1 << 20          # one record (quoted line breaks included)
    max_rejects: int = 100_000             # rejected rows kept per file
    max_nested_zip_bytes: int = 1 << 30    # a zip inside a zip, copied out before it is read


DEFAULT_LIMITS = Limits()


def _too_big(display: str, size: int, limits: Limits) -> InputError:
    return InputError(
        f"The file is larger than the {limits.max_file_bytes / 2**20:,.0f} MiB a police.uk file may be.",
        found=f"{display}: more than {size:,} bytes of text",
        hint="police.uk monthly files are at most a few tens of MB: split the file, or check that it "
             "is the file you meant; see docs/security-ingest.md.")


def _too_compressed(display: str, size: int, packed: int, limits: Limits) -> InputError:
    return InputError(
        f"The file expands more than {limits.max_expansion_ratio:,.0f} times when decompressed: "
        "refused as a possible decompression bomb.",
        found=f"{display}: {packed:,} compressed bytes hold at least {size:,} bytes",
        hint="A real police.uk CSV compresses 5 to 10 times; " + _REDOWNLOAD)


def check_growth(display: str, size: int, packed: int, limits: Limits) -> None:
    if size > limits.max_file_bytes:
        raise _too_big(display, size, limits)
    if size > limits.ratio_floor_bytes and size > limits.max_expansion_ratio * max(packed, 1):
        raise _too_compressed(display, size, packed, limits)


def _copy_counted(src: BinaryIO, dst: BinaryIO, display: str, packed: int, limits: Limits,
                  packed_so_far: BinaryIO | None = None) -> int:
    """Copy in blocks, refusing as soon as the output passes a limit; returns bytes written.

    ``packed`` is the compressed size known in advance (a zip member); for a gzip stream
    ``packed_so_far`` is the raw file, whose position says how much has been decompressed so far.
    """
    size = 0
    while True:
        block = src.read(_BLOCK)
        if not block:
            return size
        size += len(block)
        seen = packed_so_far.tell() if packed_so_far is not None else packed
        check_growth(display, size, seen, limits)
        dst.write(block)


def extract_member(archive: Path, member: str, target: Path, display: str,
                   limits: Limits = DEFAULT_LIMITS) -> None:
    """Copy one zip member to ``target``, refusing bombs and corrupt data with the member named."""
    try:
        with zipfile.ZipFile(archive) as zf:
            info = zf.getinfo(member)
            check_growth(display, info.file_size, info.compress_size, limits)
            with zf.open(info) as src, target.open("wb") as dst:
                _copy_counted(src, dst, display, info.compress_size, limits)
    except InputError:
        target.unlink(missing_ok=True)
        raise
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, KeyError) as exc:
        target.unlink(missing_ok=True)
        raise InputError("A file in the zip archive could not be extracted: the archive is corrupt.",
                         found=f"{display}: {exc}", hint=_REDOWNLOAD) from exc


def is_gzip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(2) == b"\x1f\x8b"


def gunzip_to(path: Path, target: Path, display: str, limits: Limits = DEFAULT_LIMITS) -> str:
    """Decompress a gzip file to ``target`` in blocks; returns the sha256 of the compressed bytes.

    The hash is of the file as the user has it, so the same ``.gz`` loaded twice is recognised.
    """
    digest = hashlib.sha256()

    class _Hashing:
        def __init__(self, raw: BinaryIO) -> None:
            self.raw = raw

        def read(self, n: int = -1) -> bytes:
            data = self.raw.read(n)
            digest.update(data)
            return data

        def tell(self) -> int:
            return self.raw.tell()

    try:
        with path.open("rb") as raw, target.open("wb") as dst:
            hashing = _Hashing(raw)
            with gzip.GzipFile(fileobj=hashing, mode="rb") as src:  # type: ignore[arg-type]
                _copy_counted(src, dst, display, 0, limits, packed_so_far=raw)
            digest.update(raw.read())  # anything after the gzip stream still belongs to the file
    except InputError:
        target.unlink(missing_ok=True)
        raise
    except (gzip.BadGzipFile, zlib.error, OSError, EOFError) as exc:
        target.unlink(missing_ok=True)
        raise InputError("The gzip-compressed file is corrupt or cut short.",
                         found=f"{display}: {exc}", hint=_REDOWNLOAD) from exc
    return digest.hexdigest()


@dataclass
class TextScan:
    """What one pass over a plain file found (the pass that hashes it)."""

    sha256: str
    mixed_line_breaks: bool   # a bare CR, or a bare LF in a CRLF file: DuckDB's reader cannot take it
    valid_utf8: bool
    lines: int                # line feeds
    open_last_line: bool = False  # the file does not end with a line feed (its last line has none)

    @property
    def records_at_most(self) -> int:
        """Physical lines after the header: each record of the file takes at least one."""
        return max(self.lines + self.open_last_line - 1, 0)


def _count_crlf(block: bytes) -> int:
    """CR LF pairs in ``block``: numpy compares the bytes side by side, four times faster than
    ``bytes.count(b"\\r\\n")`` (a two-byte search) on a block that fits in the cache."""
    view = np.frombuffer(block, dtype=np.uint8)
    return int(np.count_nonzero((view[:-1] == 13) & (view[1:] == 10)))


def scan_text(path: Path, display: str, limits: Limits = DEFAULT_LIMITS) -> TextScan:
    """Hash a plain file, count its lines and check it is UTF-8, refusing it beyond the limits.

    ASCII blocks (nearly all police.uk data) skip the UTF-8 decoder, so this costs little more than
    the hash. A file that is not valid UTF-8 is read by the exact reader, which rejects the lines.
    """
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise _too_big(display, size, limits)
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    valid = True
    cr = lf = crlf = 0
    tail = b""
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(_SCAN_BLOCK), b""):
            digest.update(block)
            block_cr = block.count(b"\r")
            cr += block_cr
            crlf += (tail == b"\r" and block[:1] == b"\n") + (_count_crlf(block) if block_cr else 0)
            lf += block.count(b"\n")
            tail = block[-1:]
            if lf > limits.max_lines:
                raise InputError(f"The file has more than {limits.max_lines:,} lines.",
                                 found=display, hint="police.uk monthly files have at most a few "
                                 "hundred thousand lines; see docs/security-ingest.md.")
            if valid and not block.isascii():
                try:
                    decoder.decode(block)
                except UnicodeDecodeError:
                    valid = False
            elif valid and decoder.getstate()[0]:
                try:  # an ASCII block after a split multi-byte character: let the decoder see it
                    decoder.decode(block)
                except UnicodeDecodeError:
                    valid = False
    if valid:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            valid = False
    mixed = cr != crlf or (crlf > 0 and lf != crlf)
    return TextScan(sha256=digest.hexdigest(), mixed_line_breaks=mixed, valid_utf8=valid, lines=lf,
                    open_last_line=tail not in (b"", b"\n"))
