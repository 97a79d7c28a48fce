"""The polars expressions a mapping runs: outcome status, timestamps, reasons, annex columns.

All vectorised over the whole frame; helper columns are named `__...` and never leave
apply_mapping.
"""

from __future__ import annotations

import string

import polars as pl

from slaengine.adapters.feeds.mapping_model import (
    ANNEX_COLUMNS,
    ISO_FORMAT,
    LINE,
    NONEXISTENT_DROP,
    TIMESTAMP_ORDER,
    DroppedRow,
    DropRule,
    FeedMapping,
    TimestampRule,
    outcome_drop_code,
    template_fields,
)

_LOCAL = "%Y-%m-%d %H:%M:%S"


def status_expr(mapping: FeedMapping) -> pl.Expr:
    """'answered' | 'abandoned' | 'open' | 'drop' | 'unknown', or 'any' without outcome codes."""
    codes = mapping.outcome
    if codes is None:
        return pl.lit("any")
    value = pl.col(codes.column)
    return (
        pl.when(value.is_in(list(codes.answered))).then(pl.lit("answered"))
        .when(value.is_in(list(codes.abandoned))).then(pl.lit("abandoned"))
        .when(value.is_in(list(codes.open))).then(pl.lit("open"))
        .when(value.is_in(list(codes.drop))).then(pl.lit("drop"))
        .otherwise(pl.lit("unknown"))
    )  # fmt: skip


def _applies(name: str) -> pl.Expr:
    """Whether timestamp `name` should be present given the row's outcome status."""
    wanted = {"answered_at": "answered", "abandoned_at": "abandoned"}.get(name)
    status = pl.col("__status")
    if wanted is None:
        return status.is_in(["answered", "abandoned", "open", "any"])
    return status.is_in([wanted, "any"])


def build_timestamps(work: pl.LazyFrame, mapping: FeedMapping) -> pl.LazyFrame:
    for name in TIMESTAMP_ORDER:
        rule = mapping.timestamps.get(name)  # type: ignore[call-overload]
        if rule is None:
            continue
        if rule.time is not None:
            naive = _clock_expr(rule, mapping)
            work = work.with_columns(naive.alias(f"__naive_{name}"))
            work = work.with_columns(
                _localise(pl.col(f"__naive_{name}"), mapping).alias(f"__at_{name}")
            )
        else:
            work = work.with_columns(_derived_expr(rule).alias(f"__at_{name}"))
        work = work.with_columns(
            pl.when(_applies(name))
            .then(pl.col(f"__at_{name}"))
            .otherwise(None)
            .alias(f"__at_{name}")
        )
    return work


def _time_value(column: str, mapping: FeedMapping) -> pl.Expr:
    """A clock-time column as text, null when empty or one of `empty_times`."""
    value = pl.col(column).str.strip_chars()
    return (
        pl.when((value == "") | value.is_in(list(mapping.empty_times))).then(None).otherwise(value)
    )


def _clock_text(rule: TimestampRule, mapping: FeedMapping) -> pl.Expr:
    assert rule.time is not None
    value = _time_value(rule.time, mapping)
    if rule.fallback_time is not None:
        value = pl.coalesce(value, _time_value(rule.fallback_time, mapping))
    return value


def _clock_expr(rule: TimestampRule, mapping: FeedMapping) -> pl.Expr:
    """Naive local datetime of a clock-time rule, rolled to the next day past midnight."""
    text = _clock_text(rule, mapping)
    if mapping.date_column is None:
        return text.str.to_datetime(mapping.time_format, strict=False, time_unit="us")
    clock = text.str.to_time(mapping.time_format, strict=False)
    date = (
        pl.col(mapping.date_column).str.strip_chars().str.to_date(mapping.date_format, strict=False)
    )
    if rule.after is None:
        return date.dt.combine(clock)
    reference = _reference_naive(rule.after, mapping)
    candidate = reference.dt.date().dt.combine(clock)
    slack = pl.duration(seconds=rule.rollover_slack_seconds)
    return (
        pl.when(candidate < reference - slack)
        .then(candidate + pl.duration(days=1))
        .otherwise(candidate)
    )


def _reference_naive(after: str, mapping: FeedMapping) -> pl.Expr:
    """The naive local datetime a clock time must follow: a built timestamp or a clock column."""
    if after in TIMESTAMP_ORDER:
        return pl.col(f"__at_{after}").dt.convert_time_zone(mapping.zone).dt.replace_time_zone(None)
    assert mapping.date_column is not None
    date = (
        pl.col(mapping.date_column).str.strip_chars().str.to_date(mapping.date_format, strict=False)
    )
    return date.dt.combine(
        _time_value(after, mapping).str.to_time(mapping.time_format, strict=False)
    )


def _localise(naive: pl.Expr, mapping: FeedMapping) -> pl.Expr:
    """Attach the zone: folds per `ambiguous`, gaps shifted forward (or null for 'drop')."""
    aware = naive.dt.replace_time_zone(
        mapping.zone, ambiguous=mapping.ambiguous, non_existent="null"
    )
    if mapping.nonexistent == "drop":
        return aware.dt.convert_time_zone("UTC")
    # A gap time read with the offset before the change is the instant an hour later read with
    # the offset after it (one-hour gaps: every zone but Lord Howe Island's 30 minutes).
    shifted = (naive + pl.duration(hours=1)).dt.replace_time_zone(
        mapping.zone, ambiguous=mapping.ambiguous, non_existent="null"
    )
    return pl.coalesce(aware, shifted).dt.convert_time_zone("UTC")


def _seconds(column: str) -> pl.Expr:
    return pl.col(column).str.strip_chars().cast(pl.Float64, strict=False)


def _derived_expr(rule: TimestampRule) -> pl.Expr:
    assert rule.start is not None and rule.plus_seconds is not None
    micros = (_seconds(rule.plus_seconds) * 1_000_000).round(0).cast(pl.Int64)
    return pl.col(f"__at_{rule.start}") + pl.duration(microseconds=micros)


def reasons(mapping: FeedMapping) -> list[pl.Expr]:
    """One text-or-null expression per possible reason, in the order they are reported."""
    reasons = [_drop_rule_reason(rule) for rule in mapping.drop]
    reasons += _outcome_reasons(mapping)
    reasons += _id_reasons(mapping)
    for name in TIMESTAMP_ORDER:
        rule = mapping.timestamps.get(name)  # type: ignore[call-overload]
        if rule is not None:
            reasons.append(_timestamp_reason(name, rule, mapping))
    return reasons


def _drop_rule_condition(rule: DropRule) -> pl.Expr:
    condition = pl.lit(True)
    for column, wanted in rule.where.items():
        values = [wanted] if isinstance(wanted, str) else list(wanted)
        condition = condition & pl.col(column).str.strip_chars().is_in(values).fill_null(False)
    return condition


def _drop_rule_reason(rule: DropRule) -> pl.Expr:
    return pl.when(_drop_rule_condition(rule)).then(pl.lit(rule.reason)).otherwise(None)


def drop_code(mapping: FeedMapping) -> pl.Expr:
    """`mapping_drop:<rule>` of the first drop rule removing the row on purpose, else null.

    In the order reasons are reported: [[drop]] rules, outcome.drop codes, then a local time
    that does not exist when `nonexistent = "drop"`.
    """
    code = pl.lit(None, dtype=pl.String)
    cases: list[tuple[pl.Expr, str]] = [
        (_drop_rule_condition(r), r.drop_code) for r in mapping.drop
    ]
    if mapping.outcome is not None:
        value = pl.col(mapping.outcome.column)
        cases += [(value == name, outcome_drop_code(name)) for name in mapping.outcome.drop]
    if mapping.nonexistent == "drop":
        cases += [(_in_gap(name), NONEXISTENT_DROP) for name in _clock_stamps(mapping)]
    for condition, name in reversed(cases):
        code = pl.when(condition.fill_null(False)).then(pl.lit(name)).otherwise(code)
    return code


def _clock_stamps(mapping: FeedMapping) -> list[str]:
    return [name for name, rule in mapping.timestamps.items() if rule.time is not None]


def _in_gap(name: str) -> pl.Expr:
    """A clock time read but missing as an instant: it falls in a daylight saving gap."""
    return (
        _applies(name) & pl.col(f"__at_{name}").is_null() & pl.col(f"__naive_{name}").is_not_null()
    )


def _outcome_reasons(mapping: FeedMapping) -> list[pl.Expr]:
    codes = mapping.outcome
    if codes is None:
        return []
    value = pl.col(codes.column)
    dropped = pl.lit(None, dtype=pl.String)
    for code, reason in codes.drop.items():
        dropped = pl.when(value == code).then(pl.lit(reason)).otherwise(dropped)
    unknown = pl.when(pl.col("__status") == "unknown").then(
        pl.format(
            "outcome code '{}' is not in the mapping (outcome.column {})",
            value.fill_null(""),
            pl.lit(codes.column),
        )
    )
    return [dropped, unknown]


def _id_reasons(mapping: FeedMapping) -> list[pl.Expr]:
    return [
        pl.when(pl.col(name).is_null() | (pl.col(name).str.strip_chars() == ""))
        .then(pl.lit(f"contact_id: column '{name}' is empty"))
        .otherwise(None)
        for name in dict.fromkeys(template_fields(mapping.contact_id))
    ]


def _timestamp_reason(name: str, rule: TimestampRule, mapping: FeedMapping) -> pl.Expr:
    missing = _applies(name) & pl.col(f"__at_{name}").is_null()
    if rule.time is not None:
        shown = _clock_text(rule, mapping).fill_null("")
        date = pl.col(mapping.date_column).fill_null("") if mapping.date_column else pl.lit("")
        gap = pl.col(f"__naive_{name}").is_not_null()
        return (
            pl.when(missing & gap)
            .then(pl.format("{}: local time {} does not exist in {} (daylight saving change)",
                            pl.lit(name), pl.col(f"__naive_{name}").dt.to_string(_LOCAL),
                            pl.lit(mapping.zone)))
            .when(missing)
            .then(pl.format("{}: cannot read date '{}' and time '{}' as {} {}", pl.lit(name), date,
                            shown, pl.lit(mapping.date_format if mapping.date_column else ""),
                            pl.lit(mapping.time_format)))
            .otherwise(None)
        )  # fmt: skip
    assert rule.plus_seconds is not None
    seconds = _seconds(rule.plus_seconds)
    bad = (
        _applies(name)
        & pl.col(f"__at_{rule.start}").is_not_null()
        & (seconds.is_null() | (seconds < 0))
    )
    text = pl.format(
        "{}: column {} value '{}' is not a number of seconds >= 0",
        pl.lit(name),
        pl.lit(rule.plus_seconds),
        pl.col(rule.plus_seconds).fill_null(""),
    )
    return pl.when(bad.fill_null(True)).then(text).otherwise(None)


def annex_frame(kept: pl.DataFrame, mapping: FeedMapping) -> pl.DataFrame:
    columns = [_annex_column(name, mapping).alias(name) for name in ANNEX_COLUMNS]
    return kept.select([*columns, pl.col(LINE)])


def _annex_column(name: str, mapping: FeedMapping) -> pl.Expr:
    if name == "contact_id":
        return _template_expr(mapping.contact_id)
    if name in mapping.timestamps:
        return pl.col(f"__at_{name}").dt.convert_time_zone(mapping.zone).dt.to_string(ISO_FORMAT)
    if name in mapping.columns:
        value = pl.col(mapping.columns[name])
        if name == "handle_seconds" and mapping.outcome is not None:
            return pl.when(pl.col("__status") == "answered").then(value).otherwise(None)
        return value
    if name in mapping.constants:
        return pl.lit(mapping.constants[name])
    return pl.lit(None, dtype=pl.String)


def _template_expr(template: str) -> pl.Expr:
    parts: list[pl.Expr] = []
    for literal, name, _, _ in string.Formatter().parse(template):
        if literal:
            parts.append(pl.lit(literal))
        if name:
            parts.append(pl.col(name).str.strip_chars())
    return pl.concat_str(parts)


def dropped_rows(dropped: pl.DataFrame, source_columns: list[str]) -> list[DroppedRow]:
    raw_columns = [name for name in source_columns if name != LINE]
    raw = dropped.select([pl.col(name).cast(pl.String).fill_null("") for name in raw_columns])
    return [
        DroppedRow(line=line, raw=values, reasons=list(reasons), drop_code=code)
        for line, values, reasons, code in zip(
            dropped[LINE].to_list(),
            raw.to_dicts(),
            dropped["__reasons"].to_list(),
            dropped["__drop_code"].to_list(),
            strict=True,
        )
    ]
