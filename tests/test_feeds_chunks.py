"""A feed file read in pieces gives exactly the rows (and lines) of the file read whole.

CSV pieces are cut at line ends outside quoted values; whatever the cut, the rows, their text
and their physical line numbers are those of `read_feed_file`, and a file that is no feed gets
the whole file's message. Parquet is read batch by batch with the same line numbers.
"""

from __future__ import annotations

import codecs
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slaengine.adapters.feeds import readers
from slaengine.adapters.feeds.readers import ReadWhole, iter_feed_file, read_feed_file
from slaengine.errors import FeedRefused

HEADER = b"contact_id,channel,arrived_at,queue\n"


def _outcome(read: object) -> tuple[str, object]:
    try:
        frame = read()  # type: ignore[operator]
    except FeedRefused as refused:
        return "refused", str(refused)
    return "read", frame


def _pieces(path: Path, chunk: int) -> pl.DataFrame:
    frames = list(iter_feed_file(path, chunk_bytes=chunk, batch_rows=max(1, chunk // 8)))
    assert all(frame.height for frame in frames)
    return pl.concat(frames, how="vertical")


def _same(path: Path, chunk: int) -> None:
    whole = _outcome(lambda: read_feed_file(path))
    try:
        pieces = _outcome(lambda: _pieces(path, chunk))
    except ReadWhole:  # the caller reads it whole: allowed only when the whole file reads,
        assert whole[0] == "read"  # and never for a file without quotes (read piece by piece)
        assert b'"' in path.read_bytes()
        return
    assert pieces[0] == whole[0]
    if whole[0] == "refused":
        assert pieces[1] == whole[1]
    else:
        assert isinstance(pieces[1], pl.DataFrame) and isinstance(whole[1], pl.DataFrame)
        assert pieces[1].equals(whole[1])


_FIELD = st.sampled_from(
    ["c1", "", " ", "phone", '"quoted"', '"a,b"', '"two\nlines"', '"say ""hi"""', "é", "x" * 40]
)
_LINE = st.one_of(
    st.lists(_FIELD, min_size=4, max_size=4).map(lambda fields: ",".join(fields).encode()),
    st.sampled_from([b"", b",,,", b"   "]),
)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lines=st.lists(_LINE, min_size=1, max_size=40),
    chunk=st.integers(min_value=1, max_value=200),
    ending=st.sampled_from([b"\n", b"\r\n"]),
    final=st.booleans(),
    bom=st.booleans(),
)
def test_csv_pieces_give_the_rows_and_lines_of_the_whole_file(
    tmp_path_factory: pytest.TempPathFactory, lines: list[bytes], chunk: int, ending: bytes,
    final: bool, bom: bool,
) -> None:  # fmt: skip
    data = HEADER.replace(b"\n", ending) + ending.join(
        line.replace(b"\n", ending) for line in lines
    )
    data = (codecs.BOM_UTF8 if bom else b"") + data + (ending if final else b"")
    path = tmp_path_factory.mktemp("pieces") / "c.csv"
    path.write_bytes(data)
    _same(path, chunk)


@pytest.mark.parametrize(
    "data",
    [
        HEADER + b"c1,phone,x,q\nc2,chat,y\n" + b"c3,sms,z,q,extra\n",  # too many fields
        HEADER + b'c1,"open quote,x,q\nc2,chat,y,q\n',  # a quote never closed
        HEADER + b"c1,phone,x,q\rc2,chat,y,q\r",  # CR-only line ends
        HEADER + b"c1,phone,x,q\nc2,\xff,y,q\n",  # not UTF-8 after the first piece
        HEADER + b"\n\n,,,\n",  # no data rows
        b"a,a\n1,2\n3,4\n",  # a column twice
    ],
)
def test_a_file_that_is_no_feed_gets_the_whole_files_message_in_pieces_too(
    tmp_path: Path, data: bytes
) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(data)
    for chunk in (1, 5, 16, 30):
        _same(path, chunk)


def test_a_large_csv_is_read_in_pieces_with_its_line_numbers(tmp_path: Path) -> None:
    rows = [f"c{n},phone,2026-10-01T08:00:00+02:00,q{n % 3}" for n in range(1000)]
    rows[500] = 'c500,"phone",2026-10-01T08:00:00+02:00,"two\nlines"'
    path = tmp_path / "c.csv"
    path.write_bytes(HEADER + "\n".join(rows).encode() + b"\n")
    frames = list(iter_feed_file(path, chunk_bytes=4096))
    assert len(frames) > 5
    joined = pl.concat(frames)
    assert joined.height == 1000
    assert joined.get_column("_line").to_list() == [*range(2, 503), *range(504, 1003)]
    assert joined.equals(read_feed_file(path))


def test_parquet_is_read_batch_by_batch_with_the_whole_files_lines(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {
            "contact_id": [f"c{n}" if n % 7 else None for n in range(100)],
            "channel": ["phone" if n % 7 else None for n in range(100)],
            "csat": [n % 5 + 1 for n in range(100)],
        }
    )
    path = tmp_path / "c.parquet"
    frame.write_parquet(path, row_group_size=10)
    batches = list(iter_feed_file(path, batch_rows=9))
    assert len(batches) > 5
    assert pl.concat(batches).equals(read_feed_file(path))


def test_the_chunk_size_is_read_when_called(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(HEADER + b"".join(b"c%d,phone,x,q\n" % n for n in range(50)))
    monkeypatch.setattr(readers, "CHUNK_BYTES", 64)
    assert len(list(iter_feed_file(path))) > 5


@pytest.mark.parametrize(
    ("size", "piece"),
    [(1_000, 4 << 20), (97_391_998, 12_173_999), (983_918_998, 20 << 20), (50 << 30, 20 << 20)],
)
def test_a_smaller_file_is_cut_into_smaller_pieces_for_both_cores(size: int, piece: int) -> None:
    """A file under eight full pieces is still read in about eight (never under 4 MB), so
    that reading, checking and writing overlap for it too."""
    from slaengine.adapters.feeds import readers

    assert readers._piece_bytes(size) == piece


@pytest.mark.parametrize("chunk", [1, 12, 30])
def test_a_piece_whose_first_line_is_short_is_read_with_the_header_not_whole(
    tmp_path: Path, chunk: int
) -> None:
    """polars takes the column count of a piece read without its header from the first line:
    a first line with fewer fields than the header is read with the header glued before it,
    as the whole file reads it (found by the property test above)."""
    path = tmp_path / "c.csv"
    path.write_bytes(HEADER + b"c1,phone,x,q\nc2,chat\n   \nc3,sms,y,q\n   ")
    _same(path, chunk)
