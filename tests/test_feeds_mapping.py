"""Mapping a provider's own export onto the contacts annex: each feature, then the real bank."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from slaengine.adapters.feeds.mapping import (
    FeedMapping,
    MappingResult,
    apply_mapping,
    load_mapping,
)
from slaengine.adapters.feeds.readers import read_feed_file
from slaengine.errors import FeedMappingInvalid, FeedRefused

from .conftest import CONTRACTS

BANK_MAPPING = CONTRACTS / "mappings" / "anonymous-bank.toml"
BANK_FILE = Path("anonymous-bank-1999-08") / "august1999_calls.csv"
NOT_QUEUED = "not queued (left in the IVR)"
PHANTOM = "phantom call (a virtual call the switch documentation says to ignore)"
ANSWERED_AT = {"start": "arrived_at", "plus_seconds": "waited"}


def text_frame(**columns: list[str]) -> pl.DataFrame:
    """A frame shaped like read_feed_file's: text columns, `_line` from 2 (the header is 1)."""
    height = len(next(iter(columns.values())))
    frame = pl.DataFrame(
        {name: pl.Series(values, dtype=pl.String) for name, values in columns.items()}
    )
    return frame.with_columns(_line=pl.int_range(2, height + 2, dtype=pl.Int64))


def mapping(**overrides: Any) -> FeedMapping:
    """A small mapping: id from a column, phone, arrival = date `day` + clock `start` in Paris."""
    base: dict[str, Any] = {
        "zone": "Europe/Paris",
        "contact_id": "{id}",
        "date_column": "day",
        "constants": {"channel": "phone"},
        "timestamps": {"arrived_at": {"time": "start"}},
    }
    return FeedMapping.model_validate(base | overrides)


def answered_mapping(**overrides: Any) -> FeedMapping:
    """`mapping()` plus outcome code OK = answered at arrival + `waited` seconds."""
    timestamps = {"arrived_at": {"time": "start"}, "answered_at": ANSWERED_AT}
    return mapping(
        outcome={"column": "code", "answered": ["OK"]}, timestamps=timestamps, **overrides
    )


def arrived(result: MappingResult) -> list[str]:
    return list(result.frame["arrived_at"].to_list())


# --- one feature at a time, on hand-made frames ------------------------------------------------


def test_columns_are_renamed_and_constants_filled() -> None:
    frame = text_frame(
        id=["a"], day=["2026-03-02"], start=["9:00:00"], team=["billing"], score=["4"]
    )
    result = apply_mapping(frame, mapping(columns={"queue": "team", "csat": "score"}))
    assert result.frame.to_dicts() == [
        {
            "contact_id": "a",
            "channel": "phone",
            "queue": "billing",
            "arrived_at": "2026-03-02T09:00:00+01:00",
            "answered_at": None,
            "abandoned_at": None,
            "handle_seconds": None,
            "resolved_first_contact": None,
            "csat": "4",
            "nps": None,
            "_line": 2,
        }
    ]
    assert result.dropped == []


def test_contact_id_template_joins_columns_and_literals() -> None:
    frame = text_frame(
        id=["7", "7"], line=["L1", "L2"], day=["2026-03-02"] * 2, start=["9:00:00"] * 2
    )
    result = apply_mapping(frame, mapping(contact_id="acme-{day}-{line}-{id}"))
    assert result.frame["contact_id"].to_list() == ["acme-2026-03-02-L1-7", "acme-2026-03-02-L2-7"]


def test_an_empty_id_column_drops_the_row_naming_the_column() -> None:
    frame = text_frame(id=["1", ""], day=["2026-03-02"] * 2, start=["9:00:00"] * 2)
    result = apply_mapping(frame, mapping())
    assert result.frame["contact_id"].to_list() == ["1"]
    assert [(row.line, row.reasons) for row in result.dropped] == [
        (3, ["contact_id: column 'id' is empty"])
    ]


def test_naive_local_times_get_the_offset_of_their_zone_and_date() -> None:
    frame = text_frame(
        id=["w", "s"], day=["2026-01-15", "2026-07-15"], start=["8:05:09", "23:59:59"]
    )
    assert arrived(apply_mapping(frame, mapping())) == [
        "2026-01-15T08:05:09+01:00",
        "2026-07-15T23:59:59+02:00",
    ]


def test_an_empty_time_falls_back_to_the_next_column() -> None:
    frame = text_frame(
        id=["q", "d"], day=["2026-03-02"] * 2, q=["9:00:10", "0:00:00"], menu=["9:00:00", "9:30:00"]
    )
    rule = {"time": "q", "fallback_time": "menu"}
    result = apply_mapping(frame, mapping(empty_times=["0:00:00"], timestamps={"arrived_at": rule}))
    assert arrived(result) == ["2026-03-02T09:00:10+01:00", "2026-03-02T09:30:00+01:00"]


def test_a_clock_time_earlier_than_its_reference_is_on_the_next_day_beyond_the_slack() -> None:
    frame = text_frame(
        id=["midnight", "glitch"],
        day=["2026-03-02"] * 2,
        entry=["23:59:50", "12:04:42"],
        start=["0:00:20", "12:03:15"],
    )
    rule = {"time": "start", "after": "entry", "rollover_slack_seconds": 3600}
    result = apply_mapping(frame, mapping(timestamps={"arrived_at": rule}))
    assert arrived(result) == ["2026-03-03T00:00:20+01:00", "2026-03-02T12:03:15+01:00"]


def test_without_slack_any_earlier_clock_time_is_the_next_day() -> None:
    frame = text_frame(id=["a"], day=["2026-03-02"], entry=["12:04:42"], start=["12:03:15"])
    rule = {"time": "start", "after": "entry"}
    result = apply_mapping(frame, mapping(timestamps={"arrived_at": rule}))
    assert arrived(result) == ["2026-03-03T12:03:15+01:00"]


def test_an_exit_clock_time_earlier_than_the_arrival_is_the_next_day() -> None:
    frame = text_frame(
        id=["late", "same"], day=["2026-03-02"] * 2, start=["23:58:00", "9:00:00"],
        left=["0:01:30", "9:02:00"], code=["OK", "OK"],
    )  # fmt: skip
    timestamps = {
        "arrived_at": {"time": "start"},
        "answered_at": {"time": "left", "after": "arrived_at"},
    }
    result = apply_mapping(
        frame, mapping(outcome={"column": "code", "answered": ["OK"]}, timestamps=timestamps)
    )
    assert result.frame["answered_at"].to_list() == [
        "2026-03-03T00:01:30+01:00",
        "2026-03-02T09:02:00+01:00",
    ]


def test_an_answer_time_from_seconds_crosses_midnight() -> None:
    frame = text_frame(id=["a"], day=["2026-03-02"], start=["23:59:29"], waited=["88"], code=["OK"])
    result = apply_mapping(frame, answered_mapping())
    assert result.frame["answered_at"].to_list() == ["2026-03-03T00:00:57+01:00"]


def test_a_wait_that_is_not_a_number_of_seconds_drops_the_row() -> None:
    frame = text_frame(
        id=["a", "b"], day=["2026-03-02"] * 2, start=["9:00:00"] * 2, waited=["soon", "-4"],
        code=["OK", "OK"],
    )  # fmt: skip
    result = apply_mapping(frame, answered_mapping())
    assert result.frame.height == 0
    assert [row.reasons for row in result.dropped] == [
        ["answered_at: column waited value 'soon' is not a number of seconds >= 0"],
        ["answered_at: column waited value '-4' is not a number of seconds >= 0"],
    ]


def test_outcome_codes_choose_answered_abandoned_or_dropped_with_a_reason() -> None:
    frame = text_frame(
        id=["1", "2", "3", "4"],
        day=["2026-03-02"] * 4,
        start=["9:00:00"] * 4,
        waited=["5", "30", "2", "1"],
        code=["AGENT", "HANG", "PHANTOM", "TRANSFER"],
        talk=["60", "12", "3", "0"],
    )
    outcome = {
        "column": "code",
        "answered": ["AGENT"],
        "abandoned": ["HANG"],
        "drop": {"PHANTOM": "phantom"},
    }
    timestamps = {
        "arrived_at": {"time": "start"},
        "answered_at": ANSWERED_AT,
        "abandoned_at": ANSWERED_AT,
    }
    result = apply_mapping(
        frame, mapping(columns={"handle_seconds": "talk"}, outcome=outcome, timestamps=timestamps)
    )
    kept = result.frame.select("contact_id", "answered_at", "abandoned_at", "handle_seconds").rows()
    assert kept == [
        ("1", "2026-03-02T09:00:05+01:00", None, "60"),
        ("2", None, "2026-03-02T09:00:30+01:00", None),
    ]
    assert [(row.line, row.reasons) for row in result.dropped] == [
        (4, ["phantom"]),
        (5, ["outcome code 'TRANSFER' is not in the mapping (outcome.column code)"]),
    ]
    assert result.dropped[0].raw == {
        "id": "3", "day": "2026-03-02", "start": "9:00:00", "waited": "2", "code": "PHANTOM",
        "talk": "3",
    }  # fmt: skip


def test_an_open_outcome_keeps_the_contact_with_neither_answer_nor_abandon() -> None:
    frame = text_frame(id=["m"], day=["2026-03-02"], start=["9:00:00"], waited=["60"], code=["NEW"])
    outcome = {"column": "code", "answered": ["OK"], "open": ["NEW"]}
    timestamps = {"arrived_at": {"time": "start"}, "answered_at": ANSWERED_AT}
    result = apply_mapping(
        frame,
        mapping(constants={"channel": "email"}, outcome=outcome, timestamps=timestamps),
    )
    row = result.frame.row(0, named=True)
    assert (row["channel"], row["answered_at"], row["abandoned_at"]) == ("email", None, None)


def test_without_a_date_column_the_time_column_holds_the_whole_local_datetime() -> None:
    frame = text_frame(id=["a"], stamp=["02/03/2026 09:15"])
    result = apply_mapping(
        frame,
        mapping(
            date_column=None,
            time_format="%d/%m/%Y %H:%M",
            timestamps={"arrived_at": {"time": "stamp"}},
        ),
    )
    assert arrived(result) == ["2026-03-02T09:15:00+01:00"]


def test_row_order_never_changes_what_is_kept_or_dropped() -> None:
    frame = text_frame(
        id=["1", "2", "3", "4", "5"], day=["2026-03-02"] * 5,
        start=["9:00:00", "x", "23:59:59", "0:00:01", "12:00:00"],
    )  # fmt: skip
    forward = apply_mapping(frame, mapping())
    backward = apply_mapping(frame.reverse(), mapping())
    assert backward.frame.sort("_line").equals(forward.frame)
    assert sorted(backward.dropped, key=lambda row: row.line) == forward.dropped


def test_drop_rules_need_every_column_to_match_one_of_its_values() -> None:
    frame = text_frame(
        id=["1", "2", "3", "4"], day=["2026-03-02"] * 4, start=["9:00:00"] * 4,
        q=["0", "0", "9", "0"], code=["HANG", "AGENT", "HANG", "BUSY"],
    )  # fmt: skip
    rule = {"where": {"q": "0", "code": ["HANG", "BUSY"]}, "reason": "not queued"}
    result = apply_mapping(frame, mapping(drop=[rule]))
    assert result.frame["contact_id"].to_list() == ["2", "3"]
    assert [(row.line, row.reasons) for row in result.dropped] == [
        (2, ["not queued"]),
        (5, ["not queued"]),
    ]


def test_every_reason_of_a_row_is_kept() -> None:
    frame = text_frame(id=[""], day=["2026-03-02"], start=["9:00:00"], code=["X"])
    rule = {"where": {"code": "X"}, "reason": "code X is a test call"}
    result = apply_mapping(
        frame, mapping(drop=[rule], outcome={"column": "code", "drop": {"X": "dropped code"}})
    )
    assert result.dropped[0].reasons == [
        "code X is a test call",
        "dropped code",
        "contact_id: column 'id' is empty",
    ]


def test_an_unreadable_time_drops_the_row_saying_what_was_read_and_how() -> None:
    frame = text_frame(id=["1", "2"], day=["2026-03-02"] * 2, start=["9:00:00", "25:00:00"])
    result = apply_mapping(frame, mapping())
    assert result.frame["contact_id"].to_list() == ["1"]
    assert result.dropped[0].reasons == [
        "arrived_at: cannot read date '2026-03-02' and time '25:00:00' as %Y-%m-%d %H:%M:%S"
    ]


def test_kept_and_dropped_rows_add_up_to_the_rows_read() -> None:
    frame = text_frame(
        id=[str(i) for i in range(6)], day=["2026-03-02"] * 6, start=["9:00:00", "x"] * 3
    )
    result = apply_mapping(frame, mapping())
    lines = [*result.frame["_line"].to_list(), *(row.line for row in result.dropped)]
    assert (result.frame.height, len(result.dropped), sorted(lines)) == (3, 3, list(range(2, 8)))


def test_a_missing_source_column_refuses_the_file_naming_it_and_its_key() -> None:
    frame = text_frame(id=["1"], day=["2026-03-02"])
    with pytest.raises(FeedRefused) as caught:
        apply_mapping(frame, mapping())
    assert str(caught.value) == (
        "the feed has no column 'start' (timestamps.arrived_at.time) that the mapping uses; "
        "columns found: id, day"
    )


def test_a_loaded_mapping_names_its_file_when_a_column_is_missing() -> None:
    frame = text_frame(date=["1999-08-01"], call_id=["1"])
    with pytest.raises(FeedRefused) as caught:
        apply_mapping(frame, load_mapping(BANK_MAPPING))
    assert str(caught.value) == (
        "the feed has no columns 'vru+line' (contact_id), 'type' (columns.queue), "
        "'ser_time' (columns.handle_seconds), 'outcome' (outcome.column), "
        "'q_start' (timestamps.arrived_at.time), 'vru_exit' (timestamps.arrived_at.fallback_time), "
        "'vru_entry' (timestamps.arrived_at.after), 'q_time' (timestamps.answered_at.plus_seconds) "
        "that mapping anonymous-bank.toml uses; columns found: date, call_id"
    )


# --- daylight saving time (Europe/Paris: 2026-03-29 02:00 -> 03:00, 2026-10-25 03:00 -> 02:00) --


def test_a_time_in_the_spring_gap_is_read_with_the_winter_offset_by_default() -> None:
    frame = text_frame(id=["gap", "after"], day=["2026-03-29"] * 2, start=["2:30:00", "3:30:00"])
    # 02:30 at +01:00 is 01:30 UTC, the same instant as 03:30 summer time (zoneinfo, fold=0).
    assert arrived(apply_mapping(frame, mapping())) == [
        "2026-03-29T03:30:00+02:00",
        "2026-03-29T03:30:00+02:00",
    ]


def test_a_time_in_the_spring_gap_can_drop_the_row_with_a_reason() -> None:
    frame = text_frame(id=["gap"], day=["2026-03-29"], start=["2:30:00"])
    result = apply_mapping(frame, mapping(nonexistent="drop"))
    assert result.frame.height == 0
    assert result.dropped[0].reasons == [
        "arrived_at: local time 2026-03-29 02:30:00 does not exist in Europe/Paris "
        "(daylight saving change)"
    ]


def test_a_time_in_the_autumn_fold_takes_the_earliest_by_default_or_the_latest() -> None:
    frame = text_frame(id=["fold"], day=["2026-10-25"], start=["2:30:00"])
    assert arrived(apply_mapping(frame, mapping())) == ["2026-10-25T02:30:00+02:00"]
    assert arrived(apply_mapping(frame, mapping(ambiguous="latest"))) == [
        "2026-10-25T02:30:00+01:00"
    ]


def test_a_wait_across_the_autumn_fold_counts_real_seconds() -> None:
    frame = text_frame(id=["a"], day=["2026-10-25"], start=["2:59:00"], waited=["120"], code=["OK"])
    row = apply_mapping(frame, answered_mapping()).frame.row(0, named=True)
    assert (row["arrived_at"], row["answered_at"]) == (
        "2026-10-25T02:59:00+02:00",
        "2026-10-25T02:01:00+01:00",
    )


# --- mapping files -----------------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "provider.toml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = (
    'zone = "UTC"\ncontact_id = "{id}"\n[constants]\nchannel = "phone"\n'
    '[timestamps.arrived_at]\ntime = "t"\n'
)


def refusal(path: Path) -> str:
    with pytest.raises(FeedMappingInvalid) as caught:
        load_mapping(path)
    return str(caught.value)


def test_the_shipped_bank_mapping_loads_and_names_its_file() -> None:
    loaded = load_mapping(BANK_MAPPING)
    assert (loaded.zone, loaded.contact_id, loaded.source) == (
        "Asia/Jerusalem", "{date}-{vru+line}-{call_id}", "anonymous-bank.toml",
    )  # fmt: skip


def test_a_mapping_is_frozen() -> None:
    with pytest.raises(ValueError, match="frozen"):
        mapping().zone = "UTC"  # type: ignore[misc]


def test_an_unknown_top_level_key_suggests_the_right_one(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + 'timezon = "UTC"\n')
    # TOML puts a key written after a table header into that table.
    assert refusal(path) == (
        f"{path}: timestamps.arrived_at.timezon: unknown key; did you mean 'time'?"
    )
    path = write(tmp_path, 'zones = "UTC"\n' + GOOD)
    assert refusal(path) == f"{path}: zones: unknown key; did you mean 'zone'?"


def test_an_unknown_nested_key_suggests_the_right_one(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + 'falback_time = "u"\n')
    assert refusal(path) == (
        f"{path}: timestamps.arrived_at.falback_time: unknown key; did you mean 'fallback_time'?"
    )


def test_an_unknown_zone_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('"UTC"', '"Asia/Jerusalam"'))
    assert refusal(path) == (
        f"{path}: zone: 'Asia/Jerusalam' is not an IANA time zone name (e.g. Asia/Jerusalem); "
        "did you mean 'Asia/Jerusalem'?"
    )


def test_a_column_that_is_not_in_the_annex_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("channel =", "chanel ="))
    assert refusal(path).splitlines()[0] == (
        f"{path}: constants.chanel: not a contacts annex column; did you mean 'channel'?"
    )


def test_a_timestamp_needs_exactly_one_way_to_be_built(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + 'start = "arrived_at"\nplus_seconds = "s"\n')
    assert refusal(path) == (
        f"{path}: timestamps.arrived_at: give either `time` (a clock-time column) "
        "or `start` + `plus_seconds`"
    )


def test_numbers_in_a_mapping_file_are_read_as_the_text_they_show(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + '[[drop]]\nwhere = {q = 0, code = [7, "X"]}\nreason = "r"\n')
    assert load_mapping(path).drop[0].where == {"q": "0", "code": ("7", "X")}


def test_a_required_key_is_named_when_missing(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('contact_id = "{id}"\n', ""))
    assert refusal(path) == f"{path}: contact_id: required key is missing"


def test_a_file_that_is_not_toml_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "zone = \n")
    assert refusal(path).startswith(f"{path}: not valid TOML: ")


def test_a_missing_mapping_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "absent.toml"
    assert refusal(path) == f"{path}: mapping file not found"


# --- the real Anonymous Bank export (counts worked out here with the csv module) ----------------

ISRAEL = ZoneInfo("Asia/Jerusalem")


def _clock(value: str) -> timedelta:
    hours, minutes, seconds = (int(part) for part in value.split(":"))
    return timedelta(hours=hours, minutes=minutes, seconds=seconds)


def _bank_rows(shared_data: Path) -> list[dict[str, str]]:
    with (shared_data / BANK_FILE).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _expected_arrival(row: dict[str, str]) -> datetime:
    """Queue entry, or leaving the VRU for calls answered without queueing, in Israeli time."""
    clock = row["q_start"] if row["q_start"] != "0:00:00" else row["vru_exit"]
    naive = datetime.combine(date.fromisoformat(row["date"]), datetime.min.time()) + _clock(clock)
    return naive.replace(tzinfo=ISRAEL)


@pytest.fixture(scope="module")
def bank(shared_data: Path) -> tuple[list[dict[str, str]], MappingResult]:
    """The bank's rows read with the csv module, and the mapping's result on the same file."""
    frame = read_feed_file(shared_data / BANK_FILE)
    return _bank_rows(shared_data), apply_mapping(frame, load_mapping(BANK_MAPPING))


Bank = tuple[list[dict[str, str]], MappingResult]


def test_every_bank_call_is_kept_or_dropped_with_its_reason(bank: Bank) -> None:
    rows, result = bank
    phantom = sum(1 for row in rows if row["outcome"] == "PHANTOM")
    hung_up_in_ivr = sum(
        1 for row in rows if row["outcome"] == "HANG" and row["q_start"] == "0:00:00"
    )
    assert (len(rows), phantom, hung_up_in_ivr) == (42078, 310, 3057)
    assert Counter(tuple(row.reasons) for row in result.dropped) == {
        (PHANTOM,): phantom,
        (NOT_QUEUED,): hung_up_in_ivr,
    }
    assert result.frame.height + len(result.dropped) == len(rows)
    assert result.frame.height == 38711


def test_bank_outcomes_become_answered_and_abandoned(bank: Bank) -> None:
    rows, result = bank
    answered = sum(1 for row in rows if row["outcome"] == "AGENT")
    abandoned = sum(1 for row in rows if row["outcome"] == "HANG" and row["q_start"] != "0:00:00")
    answered_at = result.frame["answered_at"].is_not_null()
    abandoned_at = result.frame["abandoned_at"].is_not_null()
    assert (
        (int(answered_at.sum()), int(abandoned_at.sum())) == (answered, abandoned) == (31402, 7309)
    )
    assert int((answered_at == abandoned_at).sum()) == 0
    assert set(result.frame["channel"].to_list()) == {"phone"}
    assert Counter(result.frame["queue"].to_list()) == Counter(
        row["type"]
        for row in rows
        if row["outcome"] == "AGENT" or row["q_start"] != "0:00:00"
        if row["outcome"] != "PHANTOM"
    )


def test_bank_contact_ids_are_unique_though_call_ids_repeat(bank: Bank) -> None:
    rows, result = bank
    repeats = sum(n - 1 for n in Counter((r["call_id"], r["date"]) for r in rows).values())
    assert repeats == 469
    assert max(Counter((r["date"], r["vru+line"], r["call_id"]) for r in rows).values()) == 1
    assert result.frame["contact_id"].n_unique() == result.frame.height


def test_bank_times_match_an_independent_reading_of_every_kept_call(bank: Bank) -> None:
    rows, result = bank
    expected = {}
    for row in rows:
        if row["outcome"] == "PHANTOM" or (
            row["outcome"] == "HANG" and row["q_start"] == "0:00:00"
        ):
            continue
        start = _expected_arrival(row)
        end = (start.astimezone(ISRAEL) + timedelta(seconds=int(row["q_time"]))).isoformat()
        agent = row["outcome"] == "AGENT"
        expected[f"{row['date']}-{row['vru+line']}-{row['call_id']}"] = (
            start.isoformat(), end if agent else None, None if agent else end,
            row["ser_time"] if agent else None,
        )  # fmt: skip
    columns = ["contact_id", "arrived_at", "answered_at", "abandoned_at", "handle_seconds"]
    mapped = {key: tuple(values) for key, *values in result.frame.select(columns).iter_rows()}
    assert mapped == expected


def test_bank_waits_that_cross_midnight_end_on_the_next_day(bank: Bank) -> None:
    rows, result = bank
    crossing = {
        f"{r['date']}-{r['vru+line']}-{r['call_id']}": int(r["q_time"])
        for r in rows
        if r["q_start"] != "0:00:00" and _clock(r["q_exit"]) < _clock(r["q_start"])
        and r["outcome"] != "PHANTOM"
    }  # fmt: skip
    assert len(crossing) == 13
    frame = result.frame.filter(pl.col("contact_id").is_in(list(crossing)))
    for contact_id, start, answer, abandon in frame.select(
        "contact_id", "arrived_at", "answered_at", "abandoned_at"
    ).iter_rows():
        arrival, end = datetime.fromisoformat(start), datetime.fromisoformat(answer or abandon)
        assert end.date() == arrival.date() + timedelta(days=1)
        assert (end - arrival).total_seconds() == crossing[contact_id]


def test_bank_waits_sum_to_the_queue_seconds_of_answered_calls(bank: Bank) -> None:
    rows, result = bank
    waits = result.frame.filter(pl.col("answered_at").is_not_null()).select(
        (
            pl.col("answered_at").str.to_datetime(time_zone="UTC")
            - pl.col("arrived_at").str.to_datetime(time_zone="UTC")
        ).dt.total_seconds()
    )
    expected = sum(int(row["q_time"]) for row in rows if row["outcome"] == "AGENT")
    assert int(waits.to_series().sum()) == expected
