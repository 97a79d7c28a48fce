"""Validation in batches equals validation of the whole file, duplicates across batches too."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slaengine.adapters.columnar.batches import validate_in_batches
from slaengine.adapters.feeds.readers import read_feed_file
from slaengine.adapters.feeds.schemas import validate_frame
from tests.feeds_builders import contact, write_csv


def test_copies_of_an_id_in_different_batches_are_all_quarantined(tmp_path: Path) -> None:
    rows = [contact(f"c{n}") for n in range(10)] + [contact(" C3 "), contact("c3", csat="9")]
    frame = read_feed_file(write_csv(tmp_path / "c.csv", rows))
    checked = validate_in_batches(frame, "contacts", batch_rows=4)
    assert checked.valid.get_column("contact_id").to_list() == [
        f"c{n}" for n in range(10) if n != 3
    ] + ["C3"]  # "C3" differs from "c3" for the rule
    assert checked.invalid.select("_line", "_reasons").rows() == [
        (5, ["duplicate_contact_id_in_file"]),
        (13, ["csat_out_of_range", "duplicate_contact_id_in_file"]),
    ]
    whole = validate_frame(frame, "contacts")
    assert checked.valid.equals(whole.valid.sort("_line"))
    assert checked.invalid.equals(whole.invalid)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ids=st.lists(
        st.sampled_from(["a", "b", "c", "d", "e", "f", " a", ""]), min_size=1, max_size=30
    ),
    csat=st.lists(st.sampled_from(["", "3", "9"]), min_size=30, max_size=30),
    batch=st.integers(min_value=1, max_value=8),
)
def test_batches_of_any_size_give_the_whole_file_result(
    tmp_path_factory: pytest.TempPathFactory, ids: list[str], csat: list[str], batch: int
) -> None:
    rows = [contact(cid, csat=csat[n]) for n, cid in enumerate(ids)]
    frame = read_feed_file(write_csv(tmp_path_factory.mktemp("b") / "c.csv", rows))
    checked = validate_in_batches(frame, "contacts", batch_rows=batch)
    whole = validate_frame(frame, "contacts")
    assert checked.rows == whole.rows == len(ids)
    assert checked.valid.equals(whole.valid.sort("_line"))
    assert checked.invalid.equals(whole.invalid.sort("_line"))
