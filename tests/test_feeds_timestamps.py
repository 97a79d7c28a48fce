"""The fast reading of usual timestamps (Arrow's ISO 8601 cast) equals the explicit format.

Every value of the usual shape, each field drawn anywhere in its range (days the month lacks,
year 0, offsets up to 23:59 either way), is read by `_canonical_timestamps` as polars reads it
with the annex's explicit format; other shapes are left to the lenient path.
"""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from slaengine.adapters.feeds.schemas import _canonical_timestamps

FORMAT = "%Y-%m-%dT%H:%M:%S%.f%z"

_stamp = st.builds(
    lambda y, mo, d, h, mi, s, frac, sign, oh, om, z: (
        f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}{frac}"
        + ("Z" if z else f"{sign}{oh:02d}:{om:02d}")
    ),
    st.integers(0, 9999), st.integers(1, 12), st.integers(1, 31), st.integers(0, 23),
    st.integers(0, 59), st.integers(0, 59),
    st.sampled_from(["", ".5", ".123", ".000001", ".999999"]),
    st.sampled_from(["+", "-"]), st.integers(0, 23), st.integers(0, 59), st.booleans(),
)  # fmt: skip


@given(st.lists(st.one_of(_stamp, st.none()), min_size=1, max_size=30))
def test_usual_timestamps_read_fast_as_the_explicit_format_reads_them(
    values: list[str | None],
) -> None:
    raw = pl.Series("t", values, dtype=pl.String)
    expected = raw.str.replace("Z$", "+00:00").str.to_datetime(
        FORMAT, strict=False, time_unit="us", time_zone="UTC"
    )
    fast = _canonical_timestamps(raw).dt.epoch("us")
    assert fast.to_list() == expected.dt.epoch("us").to_list()


def test_other_shapes_are_left_to_the_lenient_path() -> None:
    raw = pl.Series(
        "t",
        ["2026-10-01 08:00:00+02:00", "2026-10-01T08:00+02:00", "2026-10-01T08:00:00",
         "2026-10-01", "2026-10-01T08+02:00", "2026-10-01T08:00:00+0200",
         "2026-10-01T08:00:00.1234567+02:00", "2026-10-01t08:00:00+02:00",
         "２０２６-10-01T08:00:00+02:00"],
    )  # fmt: skip
    assert _canonical_timestamps(raw).null_count() == raw.len()
