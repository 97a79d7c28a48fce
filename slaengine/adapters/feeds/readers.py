"""Read a feed file (CSV, JSON Lines, Parquet) as text columns plus its physical line numbers.

Every column comes back as `pl.String` (typing is the schema's job, so that a bad value is a
quarantined row rather than a refused file), plus `_line` (Int64): the 1-based physical line
where the row starts. CSV: the header is line 1, the first data row line 2, and a quoted value
spanning several lines moves the following rows down. JSON Lines: the line of the object.
Parquet has no lines: `_line` is the row index + 2, as if the file were a CSV with a header.
Blank lines and rows whose every field is empty are skipped. Anything that cannot be a feed
at all raises FeedRefused: nothing is stored.

Line endings: \n, \r\n and a lone \r (old Mac exports) all end a line; a lone \r is read as
\n (inside a quoted value too, where any line break is a control character the schema
quarantines). Fields of any length are read: an over-long value fails its column's rule
(contact_id_too_long, queue_too_long, bad_channel, bad_number...) as a bad row.

`iter_feed_file` gives the same rows in batches, with memory bounded by the batch: a CSV file
is cut into pieces of about `CHUNK_BYTES` at line ends outside quoted values (an even number of
quotes before the cut), each piece read with the header as a small file of its own; a Parquet
file is read row group by row group. The concatenated batches equal `read_feed_file`. A file
the pieces cannot say the same of (CR-only line ends, a quote left open, any piece that does not
read) is read whole, so its message is the whole file's.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from slaengine.errors import FeedRefused

LINE = "_line"
FIELD_SIZE_LIMIT = 2**31 - 1  # the csv module's own default (131,072) refuses long fields
FORMATS = ("csv", "jsonl", "parquet")
_EXTENSIONS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}


def feed_format(path: Path, format: str | None = None) -> str:
    """The format named, or the one the extension says; raises FeedRefused."""
    if format is not None:
        name = format.lower().lstrip(".")
        name = "jsonl" if name in ("ndjson", "json") else name
        if name not in FORMATS:
            raise FeedRefused(
                f"{path}: unknown feed format {format!r} (expected csv, jsonl or parquet)"
            )
        return name
    found = _EXTENSIONS.get(path.suffix.lower())
    if found is None:
        raise FeedRefused(
            f"{path}: cannot tell the feed format from the extension {path.suffix or '(none)'!r}"
            " (expected .csv, .jsonl, .ndjson or .parquet)"
        )
    return found


def read_feed_file(path: Path, format: str | None = None) -> pl.DataFrame:
    """Every column as text plus `_line`; raises FeedRefused (format, encoding, empty, parse)."""
    return _read_whole(path, format).frame


def _read_whole(path: Path, format: str | None = None) -> Batch:
    """The whole file as one batch (`plain` told for CSV text, as for a piece)."""
    kind = feed_format(path, format)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise FeedRefused(f"{path}: cannot read the file: {error.strerror}") from None
    if not data.strip():
        raise FeedRefused(f"{path}: the file is empty")
    plain = False
    if kind == "parquet":
        frame = _read_parquet(path, data)
    else:
        data = _utf8(path, data)
        frame = _read_csv(path, data) if kind == "csv" else _read_jsonl(path, data.decode())
        if kind == "csv":
            text = _unix_lines(data)
            plain = plain_csv(text[text.find(b"\n") + 1 :]) if b"\n" in text else False
    if frame.height == 0:
        raise FeedRefused(f"{path}: the file has no data rows")
    return Batch(frame, plain)


CHUNK_BYTES = 20 << 20  # a CSV piece: ~210,000 contacts of the annex's usual width (measured
# at 10M and 50M: 16 MB slower, more batches; 24 MB no faster and 1.46 GB at 50M, 32 MB more
# page faults, pieces past malloc's 32 MB)
PIECES = 8  # a file of up to PIECES * CHUNK_BYTES is read in about this many pieces
SMALLEST_PIECE = 4 << 20
BATCH_ROWS = 200_000  # a Parquet batch
_MAX_CUT_TRIES = 64  # line ends tried, from a piece's end backwards, before reading it whole


def _piece_bytes(size: int) -> int:
    """The size of a CSV file's pieces: `CHUNK_BYTES`, or less for a file under `PIECES` of
    them, so that it too is read, checked and written on both cores at once (a file of 1M
    contacts, 97 MB, in pieces of 12 MB: 1.41 s where pieces of 24 MB took 1.62 s)."""
    return min(CHUNK_BYTES, max(SMALLEST_PIECE, size // PIECES))


class ReadWhole(Exception):
    """The file cannot be read in pieces with the whole file's result: read it whole."""


@dataclass(frozen=True)
class Batch:
    """Some rows of a feed file as text (`frame`: text columns plus `_line`), and whether the
    reader saw, in the bytes they came from, that no value needs the text checks of the
    schema: `plain` is True only for CSV text holding no control character, tab, quote or
    byte that may begin a non-ASCII space, no space next to a comma or line end, and no
    empty value other than a missing one (`plain_csv`). The schema then skips the control
    character test and the trimming, which would change nothing (property-tested)."""

    frame: pl.DataFrame
    plain: bool = False


def iter_feed_file(
    path: Path, format: str | None = None, *, chunk_bytes: int | None = None,
    batch_rows: int | None = None,
) -> Iterator[pl.DataFrame]:  # fmt: skip
    """`read_feed_file` in batches (text columns plus `_line`, each batch non-empty).

    Raises FeedRefused as `read_feed_file` does, and ReadWhole after some batches were given
    when the rest cannot be read in pieces while the whole file reads: the caller starts again
    with `read_feed_file` (only a CSV file whose pieces disagree with the whole can do that).
    """
    for batch in iter_feed_batches(path, format, chunk_bytes=chunk_bytes, batch_rows=batch_rows):
        yield batch.frame


def iter_feed_batches(
    path: Path, format: str | None = None, *, chunk_bytes: int | None = None,
    batch_rows: int | None = None,
) -> Iterator[Batch]:  # fmt: skip
    """`iter_feed_file`'s batches with what the reader saw of their bytes (`Batch.plain`)."""
    kind = feed_format(path, format)
    batch_rows = batch_rows or BATCH_ROWS
    try:
        size = path.stat().st_size
    except OSError as error:
        raise FeedRefused(f"{path}: cannot read the file: {error.strerror}") from None
    chunk_bytes = chunk_bytes or _piece_bytes(size)
    if kind == "parquet":
        yield from (Batch(frame) for frame in _parquet_batches(path, batch_rows))
    elif kind == "csv" and size > chunk_bytes:
        yield from _csv_pieces(path, chunk_bytes)
    else:
        yield _read_whole(path, format)


def _csv_pieces(path: Path, chunk_bytes: int) -> Iterator[Batch]:
    """Pieces of a CSV file cut at record ends, each read with the header line before it."""
    given = 0
    try:
        for batch in _csv_piece_frames(path, chunk_bytes):
            given += batch.frame.height
            yield batch
    except (FeedRefused, ReadWhole, UnicodeDecodeError):
        if given == 0:  # nothing given yet: the whole file's own result or message
            yield Batch(read_feed_file(path, "csv"))
            return
        read_feed_file(path, "csv")  # the whole file's message, if it has one
        raise ReadWhole(str(path)) from None
    if given == 0:  # blank: the whole file's message
        yield Batch(read_feed_file(path, "csv"))


def _csv_piece_frames(path: Path, chunk_bytes: int) -> Iterator[Batch]:
    """The pieces: each block read is cut after its last record end and the file read on from
    there (no copy of the block but the piece itself). A piece without quotes, the usual one,
    is read without the header before it (`_read_body`); one with quotes, or one whose first
    line has fewer fields than the header, with it, the slow way (`_read_csv`), which tells
    records spanning lines."""
    header = b""
    names: list[str] = []
    lines_before = 0  # physical lines in the pieces already read (the header's included)
    carry = b""  # a block without any record end (a record longer than a block)
    # Blocks are read into one buffer, again and again, and each piece copied out of it once:
    # a new block each time, then its piece sliced off, was twice a piece of fresh memory
    # faulted in page by page (2 GB for 10M contacts).
    buffer = bytearray(chunk_bytes)
    with path.open("rb", buffering=0) as handle:
        while True:
            size = handle.readinto(buffer)
            block = buffer if size == len(buffer) else buffer[:size]
            data = carry + block if carry else block
            if not data:
                return
            last = not block
            cut = len(data) if last else _record_end(data)
            if cut < 0:  # no record end in the block: read on
                carry = bytes(data)
                continue
            carry = b""
            if cut < len(data):  # the rest is read again with the next block
                handle.seek(cut - len(data), io.SEEK_CUR)
            with memoryview(data) as whole:
                piece = bytes(whole[:cut])
            if b"\r" in piece and re.search(rb"\r(?!\n)", piece):
                raise ReadWhole(str(path))  # a lone CR may end a line: the whole file says how
            if not header:
                piece = piece.removeprefix(codecs.BOM_UTF8)
                end = piece.find(b"\n")
                header = piece if end < 0 else piece[: end + 1]
                if header.count(b'"') % 2:  # a quoted name spans lines
                    raise ReadWhole(str(path))
                names = _header_names(path, header)
                lines_before = header.count(b"\n")
                piece = piece[len(header) :]
            plain, body_lines = plain_and_lines(piece)
            if _NOT_BLANK.search(piece):  # (polars refuses bytes that are not UTF-8)
                quoted = b'"' in piece
                frame = None if quoted else _read_body(piece, names, body_lines, lines_before)
                if frame is None:  # quotes, or polars read the lines otherwise: with the header
                    frame = _read_csv(path, header + piece, header.count(b"\n") + body_lines)
                    frame = frame.with_columns(pl.col(LINE) + (lines_before - 1))
                if frame.height:
                    yield Batch(frame, plain)
            lines_before += body_lines
            if last:
                return


def _header_names(path: Path, header: bytes) -> list[str]:
    """The column names of a header line (checked as `_read_csv_text` checks them)."""
    line = header.rstrip(b"\r\n")
    names = [name.strip() for name in next(csv.reader(io.StringIO(line.decode())), [])]
    _check_header(path, names)
    return names


def _read_body(
    body: bytes, names: list[str], newlines: int, lines_before: int
) -> pl.DataFrame | None:
    """Records without quotes (so one a physical line, a blank line read as a row of nulls)
    read without a header line, numbered from `lines_before + 1`, blank rows dropped; None
    when polars does not read them so (its column count is the first line's: a first line
    with fewer fields than the header, or an error): the caller reads them with the header."""
    try:
        frame = pl.read_csv(
            body, has_header=False, new_columns=names, infer_schema=False, raise_if_empty=False
        )
    except (pl.exceptions.PolarsError, ValueError):
        return None
    physical = newlines + (0 if body.endswith(b"\n") else 1)
    if frame.width != len(names) or frame.height != physical:
        return None
    first = lines_before + 1
    lines = pl.int_range(first, first + frame.height, dtype=pl.Int64, eager=True)
    return _drop_blank_rows(frame.with_columns(lines.alias(LINE)))


_NOT_BLANK = re.compile(rb"[^\r\n,]")  # a byte other than line ends and commas (no copy made)


def _record_end(data: bytes | bytearray) -> int:
    """Just past the last line end of `data` that no quoted value spans, or -1."""
    if b'"' not in data:
        return data.rfind(b"\n") + 1 or -1
    end = len(data)
    for _try in range(_MAX_CUT_TRIES):
        end = data.rfind(b"\n", 0, end)
        if end < 0:
            return -1
        if data.count(b'"', 0, end) % 2 == 0:
            return end + 1
    raise ReadWhole("a quoted value spans too many lines to cut the file there")


# Each byte's class for `plain_csv`: 1 a byte that may need the schema's text checks (a C0
# control character but the line ends, tab, a quote, and the first bytes of every non-ASCII
# white space: U+0085, U+00A0 (0xC2), U+1680 (0xE1), U+2000 to U+205F (0xE2), U+3000 (0xE3)),
# 2 a space, 3 a comma or line end, 0 any other byte.
_SUSPECT = bytes(
    [*range(0x00, 0x0A), 0x0B, 0x0C, *range(0x0E, 0x20), ord('"'), 0xC2, 0xE1, 0xE2, 0xE3]
)
_CLASSES = bytes(
    1 if byte in _SUSPECT else 2 if byte == 0x20 else 3 if byte in b",\n\r" else 0
    for byte in range(256)
)


def plain_csv(body: bytes) -> bool:
    """True when the CSV text `body` (whole records, no header) can hold no value that the
    schema's text checks would change or flag: no control character other than line ends,
    no tab, no quote (so no quoted line break and no quoted empty value), no byte that may
    begin a non-ASCII white space, no space at the start or end of a value. A missing value
    is read as null by polars, so no value is then empty either. See `plain_and_lines`."""
    return plain_and_lines(body)[0]


def plain_and_lines(body: bytes) -> tuple[bool, int]:
    """`plain_csv(body)` and how many line feeds `body` holds, told together at about the
    cost of one copy of the bytes (8 ms for 16 MB, where a byte class table and a count took
    30 ms): the printable ASCII bytes but the quote are deleted, so what is left is the line
    ends and any byte that may need a check (`_CLASSES`). Spaces are deleted with them: only
    when the body holds one (a search that costs a millisecond) are the bytes beside each
    space looked at (`_padded`).

    The bytes go a slice of `_SLICE` at a time: `bytes.translate` holds Python's lock, and
    the thread checking the previous batch should not wait for a whole piece's worth of it."""
    rest = b"".join(
        body[start : start + _SLICE].translate(None, _ORDINARY)
        for start in range(0, len(body), _SLICE)
    )
    newlines = rest.count(b"\n")
    if len(rest) != newlines + rest.count(b"\r") and b"\x01" in rest.translate(_CLASSES):
        return False, newlines
    return not (b" " in body and _padded(body)), newlines


# Printable ASCII but the quote: bytes that never need a check of their own (the space aside,
# whose neighbours `_padded` looks at).
_ORDINARY = bytes(byte for byte in range(0x20, 0x7F) if byte != ord('"'))


def _padded(body: bytes) -> bool:
    """Whether a space stands at the start or end of `body` or beside a comma or line end
    (a slice at a time, each overlapping the next by one byte, for a pair across the cut)."""
    classes_at_ends = body[:1].translate(_CLASSES) + body[-1:].translate(_CLASSES)
    if b"\x02" in classes_at_ends:
        return True
    for start in range(0, len(body), _SLICE):
        classes = body[start : start + _SLICE + 1].translate(_CLASSES)
        if b"\x02" in classes and (b"\x02\x03" in classes or b"\x03\x02" in classes):
            return True  # (one-byte searches are memchr; the two-byte ones only with spaces)
    return False


_SLICE = 1 << 20


def _parquet_batches(path: Path, batch_rows: int) -> Iterator[pl.DataFrame]:
    """A Parquet file batch by batch; `_line` counts the non-blank rows from 2, as whole."""
    import pyarrow.parquet as pq

    numbered, given = 2, False
    try:
        parquet = pq.ParquetFile(path)
        batches = parquet.iter_batches(batch_size=batch_rows)
        for batch in batches:
            frame = pl.from_arrow(batch)
            assert isinstance(frame, pl.DataFrame)
            if numbered == 2:
                _check_header(path, [name.strip() for name in frame.columns])
            frame = _drop_blank_rows(_as_text(path, frame))
            if frame.height == 0:
                continue
            lines = pl.int_range(numbered, numbered + frame.height, dtype=pl.Int64, eager=True)
            numbered += frame.height
            given = True
            yield frame.with_columns(lines.alias(LINE))
    except FeedRefused:
        raise
    except Exception:  # pyarrow's own errors: the whole file's message (or its rows)
        if given:
            raise ReadWhole(str(path)) from None
        yield read_feed_file(path, "parquet")
        return
    if not given:  # no rows: the whole file's message
        yield read_feed_file(path, "parquet")


def _utf8(path: Path, data: bytes) -> bytes:
    """The bytes without a UTF-8 byte-order mark, checked block by block (no copy as text)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    block = 1 << 20
    for start in range(0, len(data), block):
        try:
            decoder.decode(data[start : start + block], final=start + block >= len(data))
        except UnicodeDecodeError as error:
            offset = start + error.start
            line = data[:offset].count(b"\n") + 1
            raise FeedRefused(
                f"{path}:{line}: the file is not UTF-8 (byte 0x{data[offset]:02x} at offset"
                f" {offset}); save it as UTF-8"
            ) from None
    return data[3:] if data.startswith(codecs.BOM_UTF8) else data


@contextmanager
def _long_fields() -> Iterator[None]:
    """Let the csv module read fields of any length (restoring the process-wide limit)."""
    previous = csv.field_size_limit(FIELD_SIZE_LIMIT)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _unix_lines(data: bytes) -> bytes:
    """Lone carriage returns (CR-only line endings) as \n; \r\n stays as it is."""
    return re.sub(rb"\r(?!\n)", b"\n", data) if b"\r" in data else data


def _read_csv(path: Path, data: bytes, newlines: int | None = None) -> pl.DataFrame:
    """`newlines`: how many line feeds `data` holds, when the caller has counted them."""
    unix = _unix_lines(data)
    with _long_fields():
        return _read_csv_text(path, unix, newlines if unix is data else None)


def _read_csv_text(path: Path, data: bytes, newlines: int | None = None) -> pl.DataFrame:
    end = data.find(b"\n")
    first_line = data if end < 0 else data[:end]
    quoted = b'"' in data
    whole_header = first_line.count(b'"') % 2 == 0  # no quoted name runs past the first line
    header = next(csv.reader(io.StringIO((first_line if whole_header else data).decode())), [])
    names = [name.strip() for name in header]
    _check_header(path, names)
    try:
        frame = pl.read_csv(data, infer_schema=False, new_columns=names, raise_if_empty=False)
    except (pl.exceptions.PolarsError, ValueError) as error:
        line, detail = _csv_problem(data.decode(), len(names))
        where = f":{line}" if line else ""
        raise FeedRefused(
            f"{path}{where}: not a readable CSV file: {detail or _first_line(error)}"
        ) from None
    newlines = data.count(b"\n") if newlines is None else newlines
    physical = newlines + (0 if data.endswith(b"\n") else 1)
    if not quoted or frame.height == physical - 1:  # one row per line: number them so
        return _number_unquoted(path, frame, data, physical)
    frame = _drop_blank_rows(frame)
    lines = _csv_record_lines(data.decode())
    if len(lines) != frame.height:
        raise FeedRefused(
            f"{path}: not a readable CSV file ({frame.height} rows parsed, {len(lines)} records"
            " counted; check the quoting)"
        )
    return frame.with_columns(pl.Series(LINE, lines, dtype=pl.Int64))


def _number_unquoted(path: Path, frame: pl.DataFrame, data: bytes, physical: int) -> pl.DataFrame:
    """Without quotes every physical line is one row: line = row + 2, then drop blank rows."""
    if frame.height != physical - 1:  # polars skipped some line: number them the slow way
        frame = _drop_blank_rows(frame)
        lines = _csv_record_lines(data.decode())
        if len(lines) != frame.height:
            raise FeedRefused(f"{path}: not a readable CSV file (rows and lines disagree)")
        return frame.with_columns(pl.Series(LINE, lines, dtype=pl.Int64))
    numbered = frame.with_columns(pl.int_range(2, frame.height + 2, dtype=pl.Int64).alias(LINE))
    return _drop_blank_rows(numbered)


def _check_header(path: Path, names: list[str]) -> None:
    if not any(names):
        raise FeedRefused(f"{path}:1: the header row is empty")
    seen: set[str] = set()
    for name in names:
        if not name:
            raise FeedRefused(f"{path}:1: the header has an empty column name")
        if name in seen:
            raise FeedRefused(f"{path}:1: the column {name!r} appears twice in the header")
        seen.add(name)
    if LINE in seen:
        raise FeedRefused(f"{path}:1: the column name {LINE!r} is reserved")


def _csv_record_lines(text: str) -> list[int]:
    """The physical line where each non-blank record after the header starts."""
    if '"' not in text:
        physical = _physical_lines(text)
        return [n for n, line in enumerate(physical[1:], 2) if line.replace(",", "")]
    reader = csv.reader(io.StringIO(text))
    next(reader, None)
    lines: list[int] = []
    start = reader.line_num + 1
    for record in reader:
        if any(record):
            lines.append(start)
        start = reader.line_num + 1
    return lines


def _csv_problem(text: str, width: int) -> tuple[int | None, str | None]:
    """The line of the first record with more fields than the header (or a broken quote)."""
    reader = csv.reader(io.StringIO(text), strict=True)
    start = 1
    try:
        for record in reader:
            if len(record) > width:
                return start, f"{len(record)} fields where the header has {width}"
            start = reader.line_num + 1
    except csv.Error as error:
        return start, str(error)
    return None, None


def _drop_blank_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """Drop rows whose every field is empty (a whitespace-only field is data: it gets a reason)."""
    names = [name for name in frame.columns if name != LINE]
    if not names:
        return frame
    for name in names:  # a column with a value on every row: no row is blank (no full scan)
        column = frame.get_column(name)
        if column.null_count() == 0 and not column.str.len_bytes().eq(0).any():
            return frame
    blank = pl.all_horizontal([pl.col(name).is_null() | (pl.col(name) == "") for name in names])
    mask = frame.select(blank).to_series()
    return frame.filter(~mask) if mask.any() else frame


def _physical_lines(text: str) -> list[str]:
    """Lines ended by \n, \r\n or \r only (str.splitlines also splits at \x1c, U+2028...)."""
    lines = _LINE_BREAK.split(text)
    return lines[:-1] if lines and lines[-1] == "" else lines


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _read_jsonl(path: Path, text: str) -> pl.DataFrame:
    physical = _physical_lines(text)
    lines = [n for n, line in enumerate(physical, 1) if line.strip()]
    if not lines:
        raise FeedRefused(f"{path}: the file has no data rows")
    body = "\n".join(physical[n - 1] for n in lines)
    try:
        frame = pl.read_ndjson(io.BytesIO(body.encode()), infer_schema_length=None)
    except (pl.exceptions.PolarsError, ValueError) as error:
        where, problem = _jsonl_problem(physical, lines)
        detail = problem or _first_line(error)
        raise FeedRefused(f"{path}{where}: not readable JSON Lines: {detail}") from None
    if frame.height != len(lines):
        raise FeedRefused(f"{path}: not readable JSON Lines (one JSON object per line expected)")
    _check_header(path, [name.strip() for name in frame.columns])
    frame = _as_text(path, frame)
    return frame.with_columns(pl.Series(LINE, lines, dtype=pl.Int64))


_JSON_TYPES = {list: "an array", str: "a string", bool: "true or false", type(None): "null"}


def _jsonl_problem(physical: list[str], lines: list[int]) -> tuple[str, str]:
    """`:LINE` and what is wrong with the first line that is not one JSON object, or nothing."""
    for number in lines:
        try:
            value = json.loads(physical[number - 1])
        except json.JSONDecodeError as error:
            return (
                f":{number}",
                f"line {number} is not valid JSON"
                f" ({error.msg.removesuffix(' at')} at column {error.colno})",
            )
        except RecursionError:
            return f":{number}", f"line {number} nests JSON too deeply"
        if not isinstance(value, dict):
            shown = _JSON_TYPES.get(type(value), "a number")
            return (
                f":{number}",
                f"line {number} is {shown}, not a JSON object (one object per line expected,"
                ' e.g. {"contact_id": "c1", ...})',
            )
        for key, item in value.items():
            problem = _not_plain(item)
            if problem:
                return f":{number}", f"line {number}: the value of {key!r} is {problem}"
    return "", ""


def _not_plain(item: object) -> str:
    """Why a JSON value cannot be a feed value (nested, or a number out of range), or ""."""
    if isinstance(item, dict | list):
        return f"{'an object' if isinstance(item, dict) else 'an array'}, not a plain value"
    if isinstance(item, float) and not math.isfinite(item):
        return "a number out of range"
    return ""


def _read_parquet(path: Path, data: bytes) -> pl.DataFrame:
    try:
        frame = pl.read_parquet(io.BytesIO(data))
    except (pl.exceptions.PolarsError, OSError, ValueError) as error:
        raise FeedRefused(f"{path}: not a readable Parquet file: {_first_line(error)}") from None
    _check_header(path, [name.strip() for name in frame.columns])
    frame = _drop_blank_rows(_as_text(path, frame))
    rows = pl.int_range(2, frame.height + 2, dtype=pl.Int64, eager=True).alias(LINE)
    return frame.with_columns(rows)


def _as_text(path: Path, frame: pl.DataFrame) -> pl.DataFrame:
    """Every column as text; typed timestamps keep (or lack) their offset as written."""
    columns = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
            text = column.dt.convert_time_zone("UTC").dt.to_string("%Y-%m-%dT%H:%M:%S%.f+00:00")
        elif isinstance(dtype, pl.Datetime):
            text = column.dt.to_string("%Y-%m-%dT%H:%M:%S%.f")
        elif dtype == pl.Boolean:
            text = pl.when(column).then(pl.lit("true")).otherwise(pl.lit("false"))
            text = pl.when(column.is_null()).then(None).otherwise(text)
        elif dtype.is_nested() or dtype == pl.Binary:
            raise FeedRefused(f"{path}: the column {name!r} holds {dtype} values, not plain values")
        else:
            text = column.cast(pl.String)
        columns.append(text.alias(name.strip()))
    return frame.select(columns)


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
