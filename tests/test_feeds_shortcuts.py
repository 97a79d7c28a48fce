"""The ingest's shortcuts give exactly what the long ways give.

The reader's `plain` verdict lets the schema skip the control character test and the
trimming; whenever it says so, the rows, their reasons and their typed values are exactly
those of the full text checks. Whole numbers typed by their digits equal the double path;
the hashes given twice in a file are found bucket by bucket as by `is_duplicated`; a part's
batch in one month and in time order is written as the sorted, partitioned batch would be.

`plain_csv` is told value by value here (each kind of byte that may need a check), then a
property test draws CSV files of contacts from an alphabet full of what the checks look for
(spaces at either end, tabs, control characters, quotes, non-ASCII spaces, letters with
accents, numbers written as `4.0`) and compares, for every batch said plain, the screened
rows with and without the shortcut, the file read whole and in pieces of a few hundred bytes.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slaengine.adapters.feeds import schemas
from slaengine.adapters.feeds.readers import iter_feed_batches, plain_csv
from slaengine.adapters.feeds.schemas import screen_frame
from slaengine.services import feeds as feeds_service

HEADER = "contact_id,channel,queue,arrived_at,answered_at,abandoned_at,handle_seconds,csat,nps\n"


@pytest.mark.parametrize(
    ("body", "plain"),
    [
        (b"c1,phone,general queue,2026-10-01T08:00:00Z\n", True),  # a space inside a value
        ("c1,téléphone,file d'attente à Paris\n".encode(), True),  # accents (0xC3...)
        ("c1,€\n".encode(), False),  # 0xE2 may begin a space (U+2000...): the full checks
        (b"c1,phone\r\nc2,chat\r\n", True),  # CRLF line ends
        (b"c1,phone", True),  # no line end at the end
        (b"c1, phone\n", False),  # a space after a comma
        (b"c1 ,phone\n", False),  # before a comma
        (b" c1,phone\n", False),  # at the start
        (b"c1,phone \n", False),  # before a line end
        (b"c1,phone \r\n", False),  # before CRLF
        (b"c1,phone\n c2,chat\n", False),  # after a line end
        (b"c1,phone ", False),  # at the very end
        (b"c1,ph\tone\n", False),  # a tab
        (b'"c1",phone\n', False),  # a quote
        (b"c1,ph\x00one\n", False),  # NUL
        (b"c1,ph\x0bone\n", False),  # vertical tab
        (b"c1,ph\x1fone\n", False),  # unit separator
        ("c1,phone\u00a0\n".encode(), False),  # no-break space
        ("c1,\u3000phone\n".encode(), False),  # ideographic space
        ("c1,phone\u2003\n".encode(), False),  # em space
        ("c1,phone\u0085\n".encode(), False),  # next line
        ("c1,ph\u1680one\n".encode(), False),  # Ogham space mark
    ],
)
def test_plain_csv_tells_each_kind_of_byte(body: bytes, plain: bool) -> None:
    assert plain_csv(body) is plain


def test_a_usual_export_is_plain_and_the_shortcut_is_taken(tmp_path: Path) -> None:
    """A file as systems write them (no padding, no quotes) takes the shortcut; the same file
    with one padded value does not."""
    rows = "".join(
        f"c{n},phone,general,2026-10-01T08:{n:02d}:00+02:00,2026-10-01T08:{n:02d}:09+02:00,,{n},4,9\n"
        for n in range(50)
    )
    clean = tmp_path / "clean.csv"
    clean.write_text(HEADER + rows)
    assert [batch.plain for batch in iter_feed_batches(clean)] == [True]
    padded = tmp_path / "padded.csv"
    padded.write_text(HEADER + rows.replace("c7,phone", "c7, phone"))
    assert [batch.plain for batch in iter_feed_batches(padded)] == [False]


_CLEAN = [
    "", "c1", "c2", "phone", "PHONE", "chat", "fax", "general", "file d'attente", "é",
    "2026-10-01T08:00:00+02:00", "2026-10-01T08:00:05Z", "2026-10-01T08:00:09.5+02:00",
    "2026-10-01T08:00:00", "2026-13-01T08:00:00Z", "2026-10-01T08:00",
    "0", "4", "4.0", "1e3", "-3", "12", "+4", "9007199254740993", "x", "true", "No",
]  # fmt: skip
_PADDED = [" ", " c1", "c1 ", " chat", "email\t", "x\x00y", "a\x1fb", "\u00a0phone", "phone\u3000"]
# half the files drawn from values that need no text check (most of their batches are plain,
# bad rows included), half from every value
_ROWS = st.sampled_from([_CLEAN, _CLEAN + _PADDED]).flatmap(
    lambda values: st.lists(
        st.lists(st.sampled_from(values), min_size=9, max_size=9).map(",".join),
        min_size=1,
        max_size=30,
    )
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=_ROWS, chunk=st.sampled_from([None, 200, 600]))
def test_a_plain_batch_screens_as_the_full_checks_do(
    tmp_path: Path, rows: list[str], chunk: int | None
) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n")
    try:
        batches = list(iter_feed_batches(path, chunk_bytes=chunk))
    except Exception:  # a file that is no feed (e.g. only blank rows): nothing to compare
        return
    for batch in batches:
        if not batch.plain:
            continue
        no_repeats = pl.Series("contact_id", [], pl.String)
        short = screen_frame(batch.frame, "contacts", repeated=no_repeats, plain=True)
        full = screen_frame(batch.frame, "contacts", repeated=no_repeats)
        assert short.valid.equals(full.valid)
        assert short.failing.equals(full.failing)
        assert short.written.equals(full.written)


def test_the_property_meets_plain_batches_with_bad_rows(tmp_path: Path) -> None:
    """The alphabet above does give plain batches holding failing rows (so the property test
    compares something): one such file, checked directly."""
    path = tmp_path / "contacts.csv"
    path.write_text(
        HEADER
        + "c1,phone,general,2026-10-01T08:00:00,,,4.0,9,x\n"
        + "c2,fax,general,2026-10-01T08:00:00Z,2026-10-01T08:00:05Z,,1e3,4,+4\n"
    )
    (batch,) = iter_feed_batches(path)
    assert batch.plain
    short = screen_frame(batch.frame, "contacts", plain=True)
    full = screen_frame(batch.frame, "contacts")
    assert short.failing.height == 2 and short.failing.equals(full.failing)
    assert short.failing.get_column("handle_seconds").to_list() == [4.0, 1000.0]


_NUMBER_TEXT = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**64).map(str),
    st.integers(min_value=-(2**54), max_value=2**54).map(lambda n: f"{n}.0"),
    st.text(alphabet="+-.0123456789eE x", max_size=8),
    st.sampled_from(["9007199254740991", "9007199254740992", "-9007199254740993", "0004", "-0"]),
)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.one_of(st.none(), _NUMBER_TEXT), min_size=1, max_size=40))
def test_whole_numbers_are_typed_as_the_lenient_path_types_them(values: list[str | None]) -> None:
    """The digits' shortcut (`_whole_numbers`) and the double path (`_integer`) agree on
    every text: the same number, or null for both."""
    text = pl.DataFrame({"csat": values}, schema={"csat": pl.String})
    (fast,) = schemas._whole_numbers(text, ["csat"])
    slow = text.select(schemas._integer("csat")).to_series()
    assert fast.to_list() == slow.to_list()


@settings(max_examples=200, deadline=None)
@given(
    batches=st.lists(
        st.lists(st.integers(min_value=0, max_value=2**64 - 1), max_size=40), max_size=6
    ),
    repeats=st.lists(st.integers(min_value=0, max_value=2**64 - 1), max_size=5),
)
def test_hashes_seen_twice_are_those_is_duplicated_finds(
    batches: list[list[int]], repeats: list[int]
) -> None:
    """Hashes drawn over the whole 64-bit range (every bucket), some given again in a later
    batch or twice in one."""
    batches = [*batches, repeats, repeats[:2] * 2]
    every = pl.Series("h", [h for batch in batches for h in batch], dtype=pl.UInt64)
    kept = feeds_service._IdHashes()
    for batch in batches:
        kept.add(kept.split(pl.Series("h", batch, dtype=pl.UInt64)))
    expected = every.filter(every.is_duplicated()).unique().sort()
    assert kept.seen_twice().sort().to_list() == expected.to_list()


def test_a_batch_in_one_month_and_time_order_is_written_as_sorted(tmp_path: Path) -> None:
    """`_single_month` and `_sorted` (the writer's shortcuts) against the long way: months
    formatted row by row and a sort by time and key."""
    from slaengine.adapters.columnar import store

    at = pl.datetime_range(
        pl.datetime(2026, 10, 31, 23, 59, 58, time_zone="UTC"),
        pl.datetime(2026, 11, 1, 0, 0, 1, time_zone="UTC"),
        "1s",
        eager=True,
    )
    rows = pl.DataFrame({"arrived_at": at, "contact_id": ["d", "c", "b", "a"]})
    assert store._single_month(rows.get_column("arrived_at")) is None  # two months
    assert store._single_month(rows.get_column("arrived_at").head(2)) == "2026-10"
    assert store._sorted(rows, store.CONTACT_KIND) is rows  # strictly increasing: kept
    tied = rows.with_columns(pl.lit(at[0]).alias("arrived_at"))  # equal instants: by key
    assert store._sorted(tied, store.CONTACT_KIND).get_column("contact_id").to_list() == [
        "a", "b", "c", "d",
    ]  # fmt: skip
    backwards = rows.reverse()
    assert store._sorted(backwards, store.CONTACT_KIND).equals(rows)


_FLAG_TEXT = st.one_of(
    st.sampled_from(["true", "TRUE", "True", "tRuE", "1", "0", "yes", "No", "Y", "f", "T", "x"]),
    st.text(alphabet="tTrRuUeEfFaAlLsSyYnNoO01İı ", max_size=6),
)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.one_of(st.none(), _FLAG_TEXT), min_size=1, max_size=40))
def test_true_false_words_are_typed_as_the_expressions_type_them(
    values: list[str | None],
) -> None:
    text = pl.DataFrame(
        {"resolved_first_contact": values}, schema={"resolved_first_contact": pl.String}
    )
    fast = pl.DataFrame(schemas._boolean(text, "resolved_first_contact"))
    slow = text.select(schemas._boolean_expressions("resolved_first_contact"))
    assert fast.equals(slow)


_CHANNEL_TEXT = st.one_of(
    st.sampled_from(["phone", "PHONE", "Chat", "email", "sms", "social", "mail", "fax", ""]),
    st.text(alphabet="phonePHONEcatCATİıßẞ ", max_size=7),
)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.one_of(st.none(), _CHANNEL_TEXT), min_size=1, max_size=40))
def test_channels_are_typed_as_the_expression_types_them(values: list[str | None]) -> None:
    """`_channels` lower-cases only what is not an annex channel as written; the expression
    lower-cases everything (letters whose lower case is longer, or another letter, included)."""
    text = pl.DataFrame({"channel": values}, schema={"channel": pl.String})
    fast = schemas._channels(text)
    slow = text.select(schemas._channel()).to_series()
    assert fast.to_list() == slow.to_list()


_DATES = ["2026-10-01", "2026-02-30", "2026-13-01", "0000-01-01", "9999-12-31", "20261001"]
_SEPARATORS = ["T", "t", " ", ""]
_TIMES = ["08", "08:00", "08:00:00", "23:59:60", "24:00:00", "0800", "080000", "8:00:00"]
_DECIMALS = ["", ".", ".1", ".12", ".123", ".123456", ".1234567", ",5"]
_ZONES = ["", "Z", "z", "+02", "+0200", "+02:00", "-02:00", "+24:00", "+2:00", " +02:00"]


def _stamp_shapes() -> list[str]:
    import itertools

    parts = itertools.product(_DATES, _SEPARATORS, _TIMES, _DECIMALS, _ZONES)
    return ["".join(part) for part in parts]


def _both_ways(values: list[str | None]) -> tuple[pl.DataFrame, pl.DataFrame]:
    text = pl.DataFrame({"at": values}, schema={"at": pl.String})
    quick = schemas._parse_timestamps(text, ["at"])
    slow = schemas._parse_timestamps(text, ["at"], by_length=False)
    return quick, slow


def test_a_length_only_the_usual_shape_has() -> None:
    """Every shape of date, separator, time, decimals and offset whose length is one of
    `_ONLY_USUAL_LENGTHS` (2,680 of them): those Arrow reads in a column of their own, then
    all of them in one (where Arrow refuses some: the strict format's way), give the instants
    and the flags of the regular expression's way."""
    import pyarrow as pa
    import pyarrow.compute as pc

    shapes = [v for v in _stamp_shapes() if len(v.encode()) in schemas._ONLY_USUAL_LENGTHS]
    read: list[str | None] = []
    for value in shapes:
        try:
            pc.cast(pa.array([value]), pa.timestamp("us", tz="UTC"))
        except pa.ArrowInvalid:
            continue
        read.append(value)
    assert len(shapes) > 2000 and 20 <= len(read) < 100  # most shapes are refused
    all_shapes: list[str | None] = list(shapes)
    for values in (read, all_shapes):
        quick, slow = _both_ways(values)
        assert quick.equals(slow)
    assert _both_ways(read)[0].get_column("_ts_at").null_count() == 0


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(
        st.one_of(st.none(), st.sampled_from(_stamp_shapes()), st.text(max_size=33)),
        min_size=1,
        max_size=20,
    )
)
def test_timestamps_by_length_are_those_of_the_regular_expression(
    values: list[str | None],
) -> None:
    quick, slow = _both_ways(values)
    assert quick.equals(slow)


@settings(max_examples=200, deadline=None)
@given(
    body=st.lists(
        st.sampled_from([b"a", b"1", b" ", b",", b"\n", b"\r\n", b"\t", b'"', "é".encode()]),
        max_size=40,
    ).map(b"".join),
    size=st.integers(min_value=1, max_value=7),
)
def test_plain_csv_says_the_same_slice_by_slice(body: bytes, size: int) -> None:
    """The verdict does not depend on where the slices are cut (a space and a comma on either
    side of a cut included), nor does the line feeds' count."""
    from slaengine.adapters.feeds import readers

    whole = plain_csv(body)
    lines = readers.plain_and_lines(body)[1]
    saved = readers._SLICE
    readers._SLICE = size
    try:
        assert plain_csv(body) is whole
        assert readers.plain_and_lines(body) == (whole, lines)
        assert lines == body.count(b"\n")
    finally:
        readers._SLICE = saved
