"""The data annex as Pandera schemas: each row rule is a check named by its reason code.

Validation runs in three steps. The text columns are trimmed once and parsed with explicit
formats into typed columns (a value that does not parse becomes null and raises a flag column
instead of failing the file); the rules that look across rows (a key twice in the file, mixed
currencies) become flag columns too, so that every rule reads its own row only. A Pandera polars
schema then checks dtypes and every row rule, each rule a dataframe-level check named by its
stable reason code. The rules' expressions are evaluated together in one pass, which splits
the rows into valid (typed, ready to store) and quarantined (raw text and reason codes, from
the same expressions); Pandera validates the first failing rows of each lot (and the file's
first row, for the dtypes) and must name the same codes. A file of good rows thus costs one
pass of the rules, not one per rule, and a file of bad rows does not wait for Pandera to render
each failure case; we do not use `drop_invalid_rows`, which keeps rows failing multi-column
uniqueness.
"""

from __future__ import annotations

import difflib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from slaengine.adapters.feeds.readers import LINE
from slaengine.errors import FeedRefused

if TYPE_CHECKING:  # Pandera is imported by the ingest only (the read-only commands need the
    import pandera.polars as pandera  # kinds' columns, not their checks)

CHANNELS = ("phone", "chat", "email", "sms", "social", "mail")
REAL_TIME_CHANNELS = ("phone", "chat")
KINDS = ("contacts", "intervals", "costs", "forecasts")
INTERVAL_MINUTES = (15, 30, 60)
ROW = "_row"

REASONS: dict[str, str] = {
    "missing_contact_id": "contact_id is empty",
    "missing_channel": "channel is empty",
    "bad_channel": "channel is not one of the annex's channels",
    "missing_arrived_at": "arrived_at is empty",
    "bad_timestamp": "a timestamp is not ISO 8601 (expected e.g. 2026-10-01T08:00:00+02:00)",
    "timestamp_without_offset": "a timestamp has no UTC offset (add e.g. +02:00 or Z)",
    "answered_before_arrival": "answered_at is before arrived_at",
    "abandoned_before_arrival": "abandoned_at is before arrived_at",
    "answered_and_abandoned": "both answered_at and abandoned_at are given",
    "realtime_not_ended": "a phone or chat contact is neither answered nor abandoned",
    "handle_without_answer": "handle_seconds is given for a contact not answered",
    "negative_handle": "handle_seconds is negative",
    "bad_number": "a number does not parse (or is not a whole number where one is expected)",
    "bad_boolean": "resolved_first_contact is not true or false",
    "csat_out_of_range": "csat is not a whole number from 1 to 5",
    "nps_out_of_range": "nps is not a whole number from 0 to 10",
    "duplicate_contact_id_in_file": "the contact_id appears on several rows of the file",
    "missing_interval_start": "interval_start is empty",
    "bad_interval_minutes": "interval_minutes is not 15, 30 or 60",
    "interval_not_aligned": "interval_start is not aligned to its length",
    "missing_count": "offered, answered or abandoned is empty",
    "negative_count": "a count or sum is negative",
    "counts_inconsistent": (
        "counts disagree (answered + abandoned > offered, answered_within_threshold > answered"
        " or abandoned_short > abandoned)"
    ),
    "duplicate_interval_in_file": "the interval (channel, queue, interval_start) appears twice",
    "bad_month": "month is not YYYY-MM",
    "bad_amount": "amount is not a decimal number",
    "negative_amount": "amount is negative",
    "bad_currency": "currency is not a three-letter ISO 4217 code",
    "bad_kind": "kind is not fee or other",
    "cost_currencies_differ_in_file": (
        "rows of one (month, channel, kind) are in different currencies: they cannot add up"
    ),
    "bad_date": "date is not a valid YYYY-MM-DD date",
    "duplicate_forecast_in_file": "the forecast (date, channel) appears twice in the file",
    "control_character": (
        "a value holds a control character (NUL or another C0 character other than tab)"
    ),
    "contact_id_too_long": "contact_id is longer than 200 characters",
    "queue_too_long": "queue is longer than 200 characters",
    "amount_too_long": "amount is longer than 40 characters",
    "number_out_of_range": "a whole number is beyond 2,147,483,647 (what every backend stores)",
    "timestamp_out_of_range": (
        "a timestamp, date or month lies outside the years 0002 to 9998 (what can be stored"
        " and shown in any time zone)"
    ),
}

_TS_FORMATS = ("%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M%z")
_NO_OFFSET = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$"
_TRUE = ("true", "1", "yes", "t", "y")
_FALSE = ("false", "0", "no", "f", "n")


@dataclass(frozen=True)
class Rule:
    """One row rule: its reason code and an expression true for the rows that pass."""

    code: str
    ok: pl.Expr


@dataclass(frozen=True)
class KindSpec:
    """What one feed kind needs: columns, how text is typed, the rules, the stored columns."""

    kind: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    stored: dict[str, pl.DataType]

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


@dataclass(frozen=True)
class Validated:
    """Rows split: `valid` typed as `KindSpec.stored` plus `_line`; `invalid` raw with reasons."""

    valid: pl.DataFrame
    invalid: pl.DataFrame  # original text columns + `_line` + `_reasons` (list of codes)
    rows: int


# --- parsing text into typed columns -------------------------------------------------------


def _text(name: str) -> pl.Expr:
    """A text column as the rules read it: `typed_frame` has trimmed it (empty is null)."""
    return pl.col(name)


def _normalised_ts(name: str) -> pl.Expr:
    return (
        _text(name).str.replace(r"^(\d{4}-\d{2}-\d{2}) ", "${1}T").str.replace(r"[zZ]$", "+00:00")
    )


def _timestamp(name: str) -> pl.Expr:
    text = _normalised_ts(name)
    parsed = [
        text.str.to_datetime(fmt, strict=False, time_unit="us", time_zone="UTC")
        for fmt in _TS_FORMATS
    ]
    return pl.coalesce(parsed).alias(name)


def _parse_timestamps(
    text: pl.DataFrame, names: Sequence[str], *, by_length: bool = True
) -> pl.DataFrame:
    """Typed timestamp columns plus `_bad_ts` and `_no_offset` flags.

    The usual shape parses in one vectorised pass; only the rows it leaves null although a
    value was given go through the slower, lenient path (space separator, Z, no seconds).
    """
    height = text.height
    bad = pl.repeat(False, height, dtype=pl.Boolean, eager=True).alias("_bad_ts")
    no_offset = pl.repeat(False, height, dtype=pl.Boolean, eager=True).alias("_no_offset")
    typed: list[pl.Series] = []
    for name in names:
        raw = text.get_column(name)
        fast = _canonical_timestamps(raw, by_length=by_length)
        need = (fast.is_null() & raw.is_not_null()).arg_true()
        if need.len():
            subset = raw.gather(need).to_frame()
            slow = subset.select(_timestamp(name)).to_series()
            missing_offset = subset.select(
                _normalised_ts(name).str.contains(_NO_OFFSET).fill_null(False)
            ).to_series()
            fast = fast.scatter(need, slow)
            no_offset = no_offset.scatter(need, missing_offset | no_offset.gather(need))
            failed = slow.is_null() & ~missing_offset
            bad = bad.scatter(need, failed | bad.gather(need))
        typed.append(fast.alias(f"_ts_{name}"))
    return pl.DataFrame([*typed, bad, no_offset])


# The usual shape, each field within its range: Arrow's ISO 8601 cast reads these exactly as
# the first of _TS_FORMATS does (compared on edge values in tests), and ten times faster.
_CANONICAL = (
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)


# Lengths that, among the texts Arrow's cast reads, only the usual shape has (or the same with
# a space for the T, which the lenient path reads to the same instant): 20 (`...:SSZ`), 23
# (`...:SS.ffZ`) and 32 (six decimals and an offset, as many systems write them). Found by
# trying every shape of date, separator, time, decimals and offset on Arrow; the test
# `test_a_length_only_the_usual_shape_has` keeps trying them.
_ONLY_USUAL_LENGTHS = (20, 23, 32)


def _shaped(raw: pl.Series, by_length: bool) -> pl.Series:
    """Which values to cast with Arrow: those of the usual shape (the regular expression) or,
    `by_length`, of a length only it has among what Arrow reads (a fifth of the regular
    expression's cost). A value of such a length that Arrow refuses (`2026-13-01T...Z`) makes
    the cast fail and the column take the strict format, as before; its answer is the same."""
    if not by_length:
        return raw.str.contains(_CANONICAL).fill_null(False)
    usual = raw.str.len_bytes().is_in(_ONLY_USUAL_LENGTHS).fill_null(False)
    rest = (~usual & raw.is_not_null()).arg_true()
    if rest.len():
        usual = usual.scatter(rest, raw.gather(rest).str.contains(_CANONICAL))
    return usual


def _canonical_timestamps(raw: pl.Series, *, by_length: bool = True) -> pl.Series:
    """The values of the usual shape parsed (Arrow's cast), null elsewhere (`by_length`: see
    `_shaped`)."""
    shaped = _shaped(raw, by_length)
    if not shaped.any():
        return pl.repeat(None, raw.len(), dtype=_UTC, eager=True).alias(raw.name)
    values = raw
    if shaped.sum() != raw.len() - raw.null_count():  # some values given have another shape:
        # masked as null (their validity only: no value copied, no result scattered back)
        values = raw.to_frame().select(pl.when(shaped).then(pl.col(raw.name))).to_series()
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        cast = pc.cast(values.to_arrow(), pa.timestamp("us", tz="UTC"))
        found = pl.Series(raw.name, cast).cast(_UTC)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # a day the month lacks, say
        found = values.str.replace("Z$", "+00:00").str.to_datetime(
            _TS_FORMATS[0], strict=False, time_unit="us", time_zone="UTC"
        )
    return found.alias(raw.name)


def _float(name: str) -> pl.Expr:
    value = _text(name).cast(pl.Float64, strict=False)
    return pl.when(value.is_finite()).then(value).otherwise(None)


def _integer(name: str) -> pl.Expr:
    value = _float(name)
    whole = value.is_not_null() & (value == value.round(0)) & (value.abs() < 2**53)
    return pl.when(whole).then(value).otherwise(None).cast(pl.Int64)


_SAFE_WHOLE = 2**53 - 1  # beyond it a double (the lenient path) no longer holds every whole number


def _whole_numbers(text: pl.DataFrame, names: Sequence[str]) -> list[pl.Series]:
    """Whole-number columns typed as `_integer` types them, the usual values faster.

    Digits (with a sign) parse straight to Int64, a third of the cost of the double and the
    tests of `_integer`; what does not parse so (`4.0`, `1e3`, a word) or lies beyond
    `_SAFE_WHOLE` takes `_integer`'s path, which gives those values the same answer (an
    integer string is read by both casts to the same number within that range)."""
    typed = []
    for name in names:
        raw = text.get_column(name)
        fast = raw.cast(pl.Int64, strict=False)
        fast = (
            fast.to_frame()
            .select(pl.when(pl.col(name).is_between(-_SAFE_WHOLE, _SAFE_WHOLE)).then(pl.col(name)))
            .to_series()
        )
        need = (fast.is_null() & raw.is_not_null()).arg_true()
        if need.len():
            slow = raw.gather(need).to_frame().select(_integer(name)).to_series()
            fast = fast.scatter(need, slow)
        typed.append(fast.alias(name))
    return typed


def _given(names: Sequence[str]) -> list[pl.Expr]:
    return [pl.col(name).is_not_null().alias(f"_given_{name}") for name in names]


def _number_bad(names: Sequence[str]) -> pl.Expr:
    """After typing: a number was given but did not parse (or was not whole)."""
    bad = [pl.col(f"_given_{n}") & pl.col(n).is_null() for n in names]
    return pl.any_horizontal(bad).alias("_bad_number")


def _channel(name: str = "channel") -> pl.Expr:
    return _text(name).str.to_lowercase().alias(name)


def _queue() -> pl.Expr:
    return _text("queue").fill_null("default").alias("queue")


def _duplicated(*names: str) -> pl.Expr:
    present = pl.all_horizontal([pl.col(n).is_not_null() for n in names])
    key = pl.struct(list(names)) if len(names) > 1 else pl.col(names[0])
    return present & key.is_duplicated()


DUPLICATE = "_duplicate"  # the flag column of a key seen twice in the file


# --- the four kinds ------------------------------------------------------------------------

_UTC = pl.Datetime("us", "UTC")

CONTACTS = KindSpec(
    kind="contacts",
    required=("contact_id", "channel", "arrived_at"),
    optional=(
        "queue",
        "answered_at",
        "abandoned_at",
        "handle_seconds",
        "resolved_first_contact",
        "csat",
        "nps",
    ),
    stored={
        "contact_id": pl.String(),
        "channel": pl.String(),
        "queue": pl.String(),
        "arrived_at": _UTC,
        "answered_at": _UTC,
        "abandoned_at": _UTC,
        "handle_seconds": pl.Float64(),
        "resolved_first_contact": pl.Boolean(),
        "csat": pl.Int64(),
        "nps": pl.Int64(),
    },
)

_COUNTS = ("offered", "answered", "abandoned", "abandoned_short", "answered_within_threshold")
_SECONDS = ("threshold_seconds", "short_abandon_seconds")
_SUMS = ("wait_seconds_answered", "handle_seconds")

INTERVALS = KindSpec(
    kind="intervals",
    required=("interval_start", "interval_minutes", "channel", "offered", "answered", "abandoned"),
    optional=("queue", "abandoned_short", "answered_within_threshold", *_SECONDS, *_SUMS),
    stored={
        "interval_start": _UTC,
        "interval_minutes": pl.Int64(),
        "channel": pl.String(),
        "queue": pl.String(),
        **{name: pl.Int64() for name in (*_COUNTS, *_SECONDS)},
        **{name: pl.Float64() for name in _SUMS},
    },
)

COSTS = KindSpec(
    kind="costs",
    required=("month", "channel", "amount", "currency"),
    optional=("kind",),
    stored={
        "month": pl.String(),
        "channel": pl.String(),
        "amount": pl.String(),
        "currency": pl.String(),
        "kind": pl.String(),
    },
)

FORECASTS = KindSpec(
    kind="forecasts",
    required=("date", "channel", "contacts"),
    optional=(),
    stored={"date": pl.Date(), "channel": pl.String(), "contacts": pl.Int64()},
)

SPECS = {spec.kind: spec for spec in (CONTACTS, INTERVALS, COSTS, FORECASTS)}


def _contacts_typed() -> list[pl.Expr]:
    stamps = ("arrived_at", "answered_at", "abandoned_at")
    return [
        _text("contact_id").alias("contact_id"),
        _queue(),
        _float("handle_seconds").alias("handle_seconds"),
        *_given(stamps),
        *_given(_NUMBERS["contacts"]),
    ]  # channel, resolved_first_contact and _bad_boolean: `_contacts_series`


def _contacts_series(text: pl.DataFrame) -> list[pl.Series]:
    """The columns of a contacts batch typed by their shortcuts (each property-tested equal to
    its expression): the channel, the true/false answer and its flag."""
    return [_channels(text), *_boolean(text, "resolved_first_contact")]


def _channels(text: pl.DataFrame) -> pl.Series:
    """`_channel()` at under a third of the cost: a value that is one of the annex's channels as
    written is lower case already; only the others are lower-cased."""
    raw = text.get_column("channel")
    need = (raw.is_not_null() & ~raw.is_in(CHANNELS)).arg_true()
    if need.len():
        raw = raw.scatter(need, raw.gather(need).str.to_lowercase())
    return raw.alias("channel")


def _boolean_expressions(name: str) -> list[pl.Expr]:
    """A true/false column typed (any case) and its `_bad_boolean` flag, as expressions: the
    definition `_boolean` gives faster (property-tested equal)."""
    flag = _text(name).str.to_lowercase()
    value = pl.when(flag.is_in(_TRUE)).then(True).when(flag.is_in(_FALSE)).then(False)
    bad = flag.is_not_null() & ~flag.is_in(_TRUE + _FALSE)
    return [value.otherwise(None).alias(name), bad.alias("_bad_boolean")]


_BOOLEAN = {word: True for word in _TRUE} | {word: False for word in _FALSE}


def _boolean(text: pl.DataFrame, name: str) -> list[pl.Series]:
    """`_boolean_expressions`, a third of the cost: the words written in lower case (and 1, 0)
    are looked up at once; only the others are lower-cased, then looked up."""
    raw = text.get_column(name)
    value = raw.replace_strict(_BOOLEAN, default=None, return_dtype=pl.Boolean)
    need = (value.is_null() & raw.is_not_null()).arg_true()
    if need.len():
        lowered = raw.gather(need).str.to_lowercase()
        value = value.scatter(
            need, lowered.replace_strict(_BOOLEAN, default=None, return_dtype=pl.Boolean)
        )
    bad = raw.is_not_null() & value.is_null()
    return [value.alias(name), bad.alias("_bad_boolean")]


def _contacts_rules() -> list[Rule]:
    c = pl.col
    real_time = c("channel").is_in(REAL_TIME_CHANNELS)
    answered = c("_given_answered_at")
    return [
        Rule("missing_contact_id", c("contact_id").is_not_null()),
        Rule("missing_channel", c("channel").is_not_null()),
        Rule("bad_channel", c("channel").is_null() | c("channel").is_in(CHANNELS)),
        Rule("missing_arrived_at", c("_given_arrived_at")),
        Rule("bad_timestamp", ~c("_bad_ts")),
        Rule("timestamp_without_offset", ~c("_no_offset")),
        Rule("answered_before_arrival", (c("answered_at") >= c("arrived_at")).fill_null(True)),
        Rule("abandoned_before_arrival", (c("abandoned_at") >= c("arrived_at")).fill_null(True)),
        Rule("answered_and_abandoned", ~(answered & c("_given_abandoned_at"))),
        Rule(
            "realtime_not_ended", ~real_time.fill_null(False) | answered | c("_given_abandoned_at")
        ),
        Rule("handle_without_answer", ~c("_given_handle_seconds") | answered),
        Rule("negative_handle", (c("handle_seconds") >= 0).fill_null(True)),
        Rule("bad_number", ~c("_bad_number")),
        Rule("bad_boolean", ~c("_bad_boolean")),
        Rule("csat_out_of_range", c("csat").is_between(1, 5).fill_null(True)),
        Rule("nps_out_of_range", c("nps").is_between(0, 10).fill_null(True)),
        Rule("duplicate_contact_id_in_file", ~c(DUPLICATE)),
    ]


def _intervals_typed() -> list[pl.Expr]:
    text = _normalised_ts("interval_start")
    minute_of_day = text.str.slice(11, 2).cast(pl.Int64, strict=False) * 60 + text.str.slice(
        14, 2
    ).cast(pl.Int64, strict=False)
    integers = (*_COUNTS, *_SECONDS, "interval_minutes")
    return [
        _channel(),
        _queue(),
        *[_integer(n).alias(n) for n in integers],
        *[_float(n).alias(n) for n in _SUMS],
        minute_of_day.alias("_minute_of_day"),
        *_given(("interval_start", *_NUMBERS["intervals"])),
    ]


def _intervals_rules() -> list[Rule]:
    c = pl.col
    start = c("interval_start")
    minutes = c("interval_minutes")
    on_boundary = (c("_minute_of_day") % minutes == 0) & (start.dt.second() == 0)
    non_negative = [(c(n) >= 0).fill_null(True) for n in (*_COUNTS, *_SECONDS, *_SUMS)]
    consistent = [
        c("answered") + c("abandoned") <= c("offered"),
        c("answered_within_threshold") <= c("answered"),
        c("abandoned_short") <= c("abandoned"),
    ]
    return [
        Rule("missing_interval_start", c("_given_interval_start")),
        Rule("bad_timestamp", ~c("_bad_ts")),
        Rule("timestamp_without_offset", ~c("_no_offset")),
        Rule("bad_interval_minutes", minutes.is_in(INTERVAL_MINUTES).fill_null(False)),
        Rule("interval_not_aligned", (on_boundary & (start.dt.microsecond() == 0)).fill_null(True)),
        Rule("missing_channel", c("channel").is_not_null()),
        Rule("bad_channel", c("channel").is_null() | c("channel").is_in(REAL_TIME_CHANNELS)),
        Rule(
            "missing_count",
            pl.all_horizontal([c(n).is_not_null() for n in ("offered", "answered", "abandoned")])
            | c("_bad_number"),
        ),
        Rule("bad_number", ~c("_bad_number")),
        Rule("negative_count", pl.all_horizontal(non_negative)),
        Rule("counts_inconsistent", pl.all_horizontal([e.fill_null(True) for e in consistent])),
        Rule("duplicate_interval_in_file", ~c(DUPLICATE)),
    ]


def _costs_typed() -> list[pl.Expr]:
    amount = _text("amount")
    return [
        _text("month").alias("month"),
        _channel(),
        amount.alias("amount"),
        _text("currency").str.to_uppercase().alias("currency"),
        _text("kind").str.to_lowercase().fill_null("fee").alias("kind"),
    ]


def _costs_rules() -> list[Rule]:
    c = pl.col
    return [
        Rule("bad_month", c("month").str.contains(r"^\d{4}-(0[1-9]|1[0-2])$").fill_null(False)),
        Rule("missing_channel", c("channel").is_not_null()),
        Rule("bad_channel", c("channel").is_null() | c("channel").is_in((*CHANNELS, "all"))),
        Rule("bad_amount", c("amount").str.contains(r"^-?\d+(\.\d+)?$").fill_null(False)),
        Rule("negative_amount", ~c("amount").str.starts_with("-").fill_null(False)),
        Rule("bad_currency", c("currency").str.contains(r"^[A-Z]{3}$").fill_null(False)),
        Rule("bad_kind", c("kind").is_in(("fee", "other"))),
        # rows of one (month, channel, kind) add up (SPEC section 2): only mixed currencies fail
        Rule("cost_currencies_differ_in_file", ~c(DUPLICATE)),
    ]


def _mixed_currencies() -> pl.Expr:
    """Rows of a (month, channel, kind) whose valid currencies differ within the file."""
    c = pl.col
    currencies = pl.when(c("currency").str.contains(r"^[A-Z]{3}$")).then(c("currency")).drop_nulls()
    return (currencies.n_unique().over("month", "channel", "kind") > 1).fill_null(False)


# The flag of the rule that looks across the rows of a file, per kind (contacts: the key's
# copies may lie in other batches: `typed_frame` is then given the repeated ids).
_ACROSS_ROWS: dict[str, pl.Expr] = {
    "contacts": _duplicated("contact_id"),
    "intervals": _duplicated("channel", "queue", "interval_start"),
    "costs": _mixed_currencies(),
    "forecasts": _duplicated("date", "channel"),
}


def _forecasts_typed() -> list[pl.Expr]:
    text = _text("date")
    day = text.str.to_date("%Y-%m-%d", strict=False)
    return [
        pl.when(text.str.contains(r"^\d{4}-\d{2}-\d{2}$")).then(day).otherwise(None).alias("date"),
        pl.col("date").is_not_null().alias("_given_date"),
        _channel(),
        _integer("contacts").alias("contacts"),
        *_given(_NUMBERS["forecasts"]),
    ]


def _forecasts_rules() -> list[Rule]:
    c = pl.col
    return [
        Rule("bad_date", c("date").is_not_null() | c("_out_of_range")),
        Rule("missing_channel", c("channel").is_not_null()),
        Rule("bad_channel", c("channel").is_null() | c("channel").is_in(CHANNELS)),
        Rule("bad_number", c("contacts").is_not_null()),
        Rule("negative_count", (c("contacts") >= 0).fill_null(True)),
        Rule("duplicate_forecast_in_file", ~c(DUPLICATE)),
    ]


# --- what every backend can store (the same rows on SQLite and PostgreSQL) ---------------

CONTROL_CHARACTERS = r"[\x00-\x08\x0A-\x1F]"  # C0 except tab: PostgreSQL refuses NUL in text
MAX_CHARACTERS: dict[str, dict[str, int]] = {
    "contacts": {"contact_id": 200, "queue": 200},
    "intervals": {"queue": 200},
    "costs": {"amount": 40},
    "forecasts": {},
}
MAX_WHOLE = 2**31 - 1  # whole-number columns are 32-bit INTEGER on PostgreSQL
FIRST_YEAR, LAST_YEAR = 2, 9998  # a day's margin either side: shown in any zone, months closed


def _control(names: Sequence[str]) -> pl.Expr:
    """True when a text value (as written, before trimming) holds a C0 control character."""
    found = [pl.col(n).str.contains(CONTROL_CHARACTERS).fill_null(False) for n in names]
    return pl.any_horizontal(found).alias("_control")


def _inside_years(column: pl.Series) -> bool:
    """Whether the earliest and latest values of a date or instant column (nulls aside) lie
    in the years FIRST_YEAR to LAST_YEAR."""
    if column.null_count() == column.len():
        return True
    years = column.to_frame().select(pl.all().min().dt.year().alias("a"), pl.all().max().dt.year())
    first, last = years.row(0)
    return bool(first >= FIRST_YEAR and last <= LAST_YEAR)


def _in_years(year: pl.Expr) -> pl.Expr:
    return year.is_between(FIRST_YEAR, LAST_YEAR).fill_null(True)


def _storable_rules(kind: str) -> list[Rule]:
    """Control characters, over-long text, 32-bit whole numbers, instants in years 2..9998."""
    c = pl.col
    spec = SPECS[kind]
    rules = [Rule("control_character", ~c("_control"))]
    for name, limit in MAX_CHARACTERS[kind].items():
        rules.append(Rule(f"{name}_too_long", (c(name).str.len_chars() <= limit).fill_null(True)))
    whole = [n for n, dtype in spec.stored.items() if dtype == pl.Int64()]
    if whole:
        fits = [(c(n).abs() <= MAX_WHOLE).fill_null(True) for n in whole]
        rules.append(Rule("number_out_of_range", pl.all_horizontal(fits)))
    rules.append(Rule("timestamp_out_of_range", ~c("_out_of_range")))
    return rules


def _within_years(out: pl.DataFrame, kind: str) -> pl.DataFrame:
    """Flag `_out_of_range` and null the instants outside the years (never seen by Python).

    When every column's earliest and latest instants lie inside the years (the usual batch),
    the flag is false throughout and nothing is nulled: two reductions a column instead of a
    year taken of every value."""
    dated = [n for n, dtype in SPECS[kind].stored.items() if dtype in (_UTC, pl.Date())]
    if kind != "costs" and all(_inside_years(out.get_column(n)) for n in dated):
        return out.with_columns(
            pl.repeat(False, out.height, dtype=pl.Boolean).alias("_out_of_range")
        )
    inside = {n: _in_years(pl.col(n).dt.year()) for n in dated}
    if kind == "costs":
        inside["month"] = _in_years(pl.col("month").str.slice(0, 4).cast(pl.Int64, strict=False))
    flag = pl.any_horizontal([~ok for ok in inside.values()]) if inside else pl.lit(False)
    out = out.with_columns(flag.alias("_out_of_range"))
    nulled = [pl.when(inside[n]).then(pl.col(n)).otherwise(None).alias(n) for n in dated]
    return out.with_columns(nulled) if nulled else out


_NUMBERS: dict[str, tuple[str, ...]] = {
    "contacts": ("handle_seconds", "csat", "nps"),
    "intervals": ("interval_minutes", *_COUNTS, *_SECONDS, *_SUMS),
    "costs": (),
    "forecasts": ("contacts",),
}

# Whole-number columns typed by `_whole_numbers` rather than in the kind's typed expressions
# (the large kind only: the others are small files).
_WHOLE_FAST: dict[str, tuple[str, ...]] = {
    "contacts": ("csat", "nps"),
    "intervals": (),
    "costs": (),
    "forecasts": (),
}

_TYPED = {
    "contacts": (_contacts_typed, _contacts_rules, ("arrived_at", "answered_at", "abandoned_at")),
    "intervals": (_intervals_typed, _intervals_rules, ("interval_start",)),
    "costs": (_costs_typed, _costs_rules, ()),
    "forecasts": (_forecasts_typed, _forecasts_rules, ()),
}


# --- columns, schema, split ----------------------------------------------------------------


def check_columns(frame: pl.DataFrame, kind: str, path: Path | str) -> None:
    """Raise FeedRefused listing the missing required columns, the ones found, a did-you-mean."""
    spec = SPECS[kind]
    found = [name for name in frame.columns if name != LINE]
    missing = [name for name in spec.required if name not in found]
    if not missing:
        return
    hints = []
    for name in missing:
        close = difflib.get_close_matches(name, [f for f in found if f not in spec.columns], 1)
        if close:
            hints.append(f"{close[0]!r} -> did you mean {name!r}?")
    hint = f"; {'; '.join(hints)}" if hints else ""
    article = "an" if kind[0] in "aeiou" else "a"
    raise FeedRefused(
        f"{path}: {article} {kind} feed needs the column(s) {', '.join(missing)};"
        f" found {', '.join(found) or 'none'}{hint}"
    )


def feed_rules(kind: str) -> list[Rule]:
    """Every row rule of the kind, in the order its reason codes are listed."""
    _typed, rules, _stamps = _TYPED[kind]
    return [*rules(), *_storable_rules(kind)]


_warming: list[threading.Thread] = []  # the thread importing Pandera ahead, once a process


def warm_checks(kind: str) -> None:
    """Import pyarrow's compute functions and Pandera and check an empty frame of `kind` in a
    thread of its own (about 1 s the first time in a process), so that the ingest's first call
    to Pandera (`_failures`, which waits for this thread) does not wait for them after the
    file is read. Errors are left to that call to raise."""
    if _warming or kind not in SPECS:
        return

    def warm() -> None:
        try:
            import pyarrow.compute  # noqa: F401 (the timestamps' cast: 0.3 s to import)

            empty = pl.DataFrame(schema=dict(SPECS[kind].stored))
            feed_schema(kind).validate(empty, lazy=True)
        except Exception:  # the ingest's own call raises it, where it is handled
            return

    thread = threading.Thread(target=warm, name="pandera-import", daemon=True)
    _warming.append(thread)
    thread.start()


def feed_schema(kind: str) -> pandera.DataFrameSchema:
    """The Pandera schema of a typed `kind` frame: dtypes, then one check per reason code."""
    import pandera.polars as pandera

    spec = SPECS[kind]
    columns = {name: pandera.Column(dtype, nullable=True) for name, dtype in spec.stored.items()}
    checks = [_check(rule) for rule in feed_rules(kind)]
    return pandera.DataFrameSchema(columns, checks=checks, name=f"{kind} feed", strict=False)


def _check(rule: Rule) -> pandera.Check:
    import pandera.polars as pandera

    expression = _passes(rule)
    return pandera.Check(lambda data: data.lazyframe.select(expression), name=rule.code)


def _passes(rule: Rule) -> pl.Expr:
    return rule.ok.fill_null(False).alias(rule.code)


def typed_frame(
    frame: pl.DataFrame, kind: str, *, repeated: pl.Series | None = None, plain: bool = False
) -> pl.DataFrame:
    """The text frame parsed into the kind's typed columns plus the flag columns the rules read.

    `repeated` (contacts): the contact ids (trimmed) found on several rows of the whole file,
    when `frame` is one batch of it; by default the frame is the whole file. `plain`: the
    reader saw that no value holds a control character, white space at either end or an
    empty text (`readers.Batch.plain`), so the control test and the trimming are skipped.
    """
    spec = SPECS[kind]
    typed, _rules, stamps = _TYPED[kind]
    absent = [pl.lit(None, pl.String).alias(n) for n in spec.columns if n not in frame.columns]
    text = frame.select(*[n for n in spec.columns if n in frame.columns], LINE).with_columns(absent)
    if plain:
        control = pl.repeat(False, text.height, dtype=pl.Boolean, eager=True).alias("_control")
    else:
        control = text.select(_control(spec.columns)).to_series()  # as written, before trimming
        trimmed = {n: pl.col(n).str.strip_chars() for n in spec.columns}
        text = text.with_columns(t.replace("", None).alias(n) for n, t in trimmed.items())
    fast = _contacts_series(text) if kind == "contacts" else []
    out = text.with_columns(*typed(), control, *_whole_numbers(text, _WHOLE_FAST[kind]), *fast)
    if stamps:
        out = pl.concat([out, _parse_timestamps(text, stamps)], how="horizontal")
        out = out.with_columns([pl.col(f"_ts_{n}").alias(n) for n in stamps])
        out = out.drop([f"_ts_{n}" for n in stamps])
    if _NUMBERS[kind]:
        out = out.with_columns(_number_bad(_NUMBERS[kind]))
    out = _within_years(out, kind)
    if repeated is not None and kind == "contacts":
        across = pl.col("contact_id").is_in(repeated.implode()).fill_null(False)
    else:
        across = _ACROSS_ROWS[kind]
    return out.with_columns(across.alias(DUPLICATE)).with_row_index(ROW)


def validate_frame(
    frame: pl.DataFrame, kind: str, *, repeated: pl.Series | None = None
) -> Validated:
    """Split the rows of a text frame (with `_line`) into valid typed rows and quarantined ones.

    `repeated`: see `typed_frame` (a batch of a contacts file).
    """
    screened = screen_frame(frame, kind, repeated=repeated)
    invalid = name_reasons(screened.failing, screened.written, kind)
    return Validated(valid=screened.valid, invalid=invalid, rows=screened.rows)


@dataclass(frozen=True)
class Screened:
    """A batch's rows after one pass of every rule: the valid rows typed, and the failing rows
    (typed, and as written) whose reasons Pandera names in `name_reasons`, batch by batch or
    several batches at once (`_row` numbers the rows across them)."""

    valid: pl.DataFrame
    failing: pl.DataFrame  # typed rows failing some rule (and the first row: see screen_frame)
    written: pl.DataFrame  # the text columns, `_line` and `_row` of the rows failing some rule
    rows: int


def screen_frame(
    frame: pl.DataFrame, kind: str, *, repeated: pl.Series | None = None, first_row: int = 0,
    plain: bool = False,
) -> Screened:  # fmt: skip
    """Evaluate every rule of the kind over the frame in one pass (`_row` from `first_row`).

    The frame's first row goes to Pandera as well when `first_row` is 0 (the first batch of a
    file), so that the dtypes are checked even when every row passes. `plain`: see
    `typed_frame`.
    """
    if kind not in SPECS:
        raise FeedRefused(f"unknown feed kind {kind!r} (expected {', '.join(KINDS)})")
    typed = typed_frame(frame, kind, repeated=repeated, plain=plain)
    if first_row:
        typed = typed.with_columns(pl.col(ROW) + first_row)
    passes = typed.select(pl.all_horizontal([_passes(rule) for rule in feed_rules(kind)]))
    ok = passes.to_series()
    valid = typed.select(*SPECS[kind].stored, LINE).filter(ok)  # only the kept columns copied
    checked = ~ok | (pl.col(ROW) == 0) if first_row == 0 else ~ok
    written = frame.with_row_index(ROW, offset=first_row).filter(~ok)
    return Screened(valid, typed.filter(checked), written, frame.height)


PANDERA_SAMPLE = 1_000  # failing rows Pandera validates at once beside the rules' own pass


def name_reasons(
    failing: pl.DataFrame, written: pl.DataFrame, kind: str, *,
    sampled: tuple[pl.DataFrame, pl.DataFrame] | None = None,
) -> pl.DataFrame:  # fmt: skip
    """The written failing rows with `_reasons` (codes in the order REASONS lists them).

    Each row's codes come from the schema's rules evaluated over the failing rows in one pass;
    Pandera validates a sample of them, by default the first `PANDERA_SAMPLE` (the file's
    first row among them, so the dtypes are checked), and its failure cases must name the same
    codes. `sampled`: a sample of these failing rows and Pandera's reasons for it
    (`pandera_sample`), taken beforehand (the ingest has Pandera name the first failing rows
    it meets while it reads on). Pandera renders every failure case one Python value at a time
    (12 s for a file of 1M bad rows): letting it name them all would make a garbage file cost
    minutes and gigabytes.
    """
    reasons = _reasons(failing, kind)
    sample, named = sampled or pandera_sample(failing, kind)
    ours = reasons.filter(pl.col(ROW).is_in(sample.get_column(ROW).implode()))
    if not named.sort(ROW).equals(ours.sort(ROW)):  # the schema and the pass disagree: a bug
        raise RuntimeError(f"feed reasons differ from Pandera's: {named.head(3)} {ours.head(3)}")
    invalid = written.join(reasons, on=ROW, how="inner").sort(ROW).drop(ROW)
    if invalid.height != written.height:  # a row failed a rule but got no reason: a bug
        raise RuntimeError(f"feed rows without reasons: {written.height - invalid.height}")
    return invalid


def pandera_sample(failing: pl.DataFrame, kind: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The first `PANDERA_SAMPLE` failing rows and Pandera's reasons for them (`_failures`)."""
    sample = failing.head(PANDERA_SAMPLE)
    return sample, _failures(sample, kind)


def _reasons(failing: pl.DataFrame, kind: str) -> pl.DataFrame:
    """`_row` -> `_reasons` from the rules' own expressions, for the rows failing one.

    Each row's failed rules become the bits of one integer (a few integer operations a row);
    the lists of codes are made once per distinct integer (a handful in a file) and joined
    on. Building a list of 24 optional codes for every row cost 6 s for 1M bad rows."""
    by_code: dict[str, list[pl.Expr]] = {}
    for rule in feed_rules(kind):
        by_code.setdefault(rule.code, []).append(_passes(rule))
    codes = sorted(by_code, key=list(REASONS).index)
    bits = [
        pl.when(pl.all_horizontal(by_code[code])).then(0).otherwise(1 << bit).cast(pl.UInt64)
        for bit, code in enumerate(codes)
    ]
    found = failing.select(ROW, pl.sum_horizontal(bits).alias("_mask"))
    found = found.filter(pl.col("_mask") > 0)
    masks = found.get_column("_mask").unique().sort().to_list()
    lists = pl.DataFrame(
        {
            "_mask": masks,
            "_reasons": [[c for n, c in enumerate(codes) if m >> n & 1] for m in masks],
        },
        schema={"_mask": pl.UInt64, "_reasons": pl.List(pl.String)},
    )
    joined = found.join(lists, on="_mask", how="left", maintain_order="left")
    return joined.select(ROW, "_reasons")


def _failures(subset: pl.DataFrame, kind: str) -> pl.DataFrame:
    """`_row` -> `_reasons` (codes in rule order) for every row of `subset` failing a rule."""
    empty = pl.DataFrame(schema={ROW: pl.UInt32, "_reasons": pl.List(pl.String)})
    if subset.height == 0:
        return empty
    for thread in _warming:  # Pandera is imported once, by one thread at a time
        thread.join()
    from pandera.errors import SchemaErrors

    try:
        feed_schema(kind).validate(subset, lazy=True)
    except SchemaErrors as errors:
        cases: pl.DataFrame = errors.failure_cases
        unexpected = cases.filter(pl.col("schema_context") != "DataFrameSchema")
        if unexpected.height:  # a dtype problem is a bug in typed_frame, never the provider's
            raise RuntimeError(f"feed schema mismatch: {unexpected.head(5)}") from None
        if cases.get_column("index").null_count():  # a failing row Pandera could not name
            raise RuntimeError(f"feed check without a row: {cases.head(5)}") from None
        order = {code: n for n, code in enumerate(REASONS)}
        rows = subset.get_column(ROW).gather(cases.get_column("index").cast(pl.UInt32))
        failures: pl.DataFrame = (
            cases.select(
                rows.alias(ROW),
                pl.col("check").alias("_code"),
                pl.col("check").replace_strict(order, return_dtype=pl.Int64).alias("_order"),
            )
            .unique()
            .sort(ROW, "_order")
            .group_by(ROW, maintain_order=True)
            .agg(pl.col("_code").alias("_reasons"))
        )
        return failures
    return empty
