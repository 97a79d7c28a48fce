"""Map a provider's own export onto the contacts annex (SPEC section 2), declared in TOML.

A mapping renames columns, builds contact_id from a template, builds timestamps from a date
column and clock-time columns (naive local times in an IANA zone, rolled to the next day when
they cross midnight, or derived as an earlier timestamp plus a seconds column), translates
outcome codes, sets constants and drops rows by rule. Everything runs as polars expressions
over the whole frame (no Python per row) and every dropped row keeps its line, its raw values
and all its reasons.

Local times and daylight saving: a clock time that happens twice (autumn fold) is read as the
`ambiguous` occurrence ("earliest" = still summer time, by default); a clock time that does not
exist (spring gap) is read with the offset in force before the change, as Python's zoneinfo
does with fold=0 (02:30 in a 02:00->03:00 gap becomes 03:30 summer time) with
`nonexistent = "shift_forward"` (default), or drops the row with a reason with "drop".
"""

from __future__ import annotations

import difflib
import string
import tomllib
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import polars as pl
from pydantic import BaseModel, ValidationError

from slaengine.adapters.feeds.mapping_exprs import (
    annex_frame,
    build_timestamps,
    drop_code,
    dropped_rows,
    reasons,
    status_expr,
)
from slaengine.adapters.feeds.mapping_model import (
    ANNEX_COLUMNS,
    LINE,
    TIMESTAMP_ORDER,
    DroppedRow,
    DropRule,
    FeedMapping,
    MappingResult,
    OutcomeCodes,
    TimestampRule,
    template_fields,
)
from slaengine.errors import FeedMappingInvalid, FeedRefused

__all__ = [
    "DropRule",
    "DroppedRow",
    "FeedMapping",
    "MappingResult",
    "OutcomeCodes",
    "TimestampRule",
    "apply_mapping",
    "load_mapping",
]


_NESTED: dict[str, type[BaseModel]] = {
    "outcome": OutcomeCodes,
    "timestamps": TimestampRule,
    "drop": DropRule,
}


def load_mapping(path: Path) -> FeedMapping:
    """Read and check a mapping TOML file.

    Raises FeedMappingInvalid naming the file and the key (with a did-you-mean for misspelt
    keys, zones and annex columns) for every problem found.
    """
    raw = _read_toml(path)
    try:
        mapping = FeedMapping.model_validate(raw)
    except ValidationError as error:
        problems = [_describe_error(item) for item in error.errors()]
        raise FeedMappingInvalid("\n".join(f"{path}: {problem}" for problem in problems)) from None
    problems = _check_semantics(mapping)
    if problems:
        raise FeedMappingInvalid("\n".join(f"{path}: {problem}" for problem in problems))
    mapping._source = path.name
    return mapping


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise FeedMappingInvalid(f"{path}: mapping file not found") from None
    except tomllib.TOMLDecodeError as error:
        raise FeedMappingInvalid(f"{path}: not valid TOML: {error}") from None
    except OSError as error:
        raise FeedMappingInvalid(f"{path}: cannot read: {error.strerror}") from None


def _did_you_mean(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _describe_error(item: Any) -> str:
    location = [str(part) for part in item["loc"]]
    kind = item["type"]
    if kind == "extra_forbidden":
        return _unknown_key(location)
    if location and location[-1] == "[key]":
        name = location[-2]
        where = ".".join(location[:-2])
        hint = _did_you_mean(
            name, ANNEX_COLUMNS if where in {"columns", "constants"} else TIMESTAMP_ORDER
        )
        return f"{where}.{name}: not a contacts annex column{hint}"
    dotted = ".".join(location) or "(file)"
    if kind == "missing":
        return f"{dotted}: required key is missing"
    return f"{dotted}: {item['msg']}"


def _unknown_key(location: list[str]) -> str:
    key = location[-1]
    model: type[BaseModel] = FeedMapping
    if len(location) > 1:
        model = _NESTED.get(location[0], FeedMapping)
    dotted = ".".join(location)
    return f"{dotted}: unknown key{_did_you_mean(key, model.model_fields)}"


def _check_semantics(mapping: FeedMapping) -> list[str]:
    problems = _check_zone(mapping.zone)
    problems += _check_template(mapping.contact_id)
    for index, name in enumerate(TIMESTAMP_ORDER):
        rule = mapping.timestamps.get(name)  # type: ignore[call-overload]
        if rule is not None:
            problems += _check_rule(name, rule, TIMESTAMP_ORDER[:index], mapping)
    if "arrived_at" not in mapping.timestamps and "arrived_at" not in mapping.columns:
        problems.append("timestamps.arrived_at: required (or columns.arrived_at for ISO text)")
    return problems


def _check_zone(zone: str) -> list[str]:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        hint = _did_you_mean(zone, available_timezones())
        return [f"zone: {zone!r} is not an IANA time zone name (e.g. Asia/Jerusalem){hint}"]
    return []


def _check_template(template: str) -> list[str]:
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as error:
        return [f"contact_id: template {template!r} is not valid: {error}"]
    if not fields or any(not name for name in fields):
        return [
            f"contact_id: template {template!r} must name columns in braces, e.g. '{{call_id}}'"
        ]
    return []


def _check_rule(
    name: str, rule: TimestampRule, earlier: tuple[str, ...], mapping: FeedMapping
) -> list[str]:
    key = f"timestamps.{name}"
    if (rule.time is None) == (rule.start is None):
        return [f"{key}: give either `time` (a clock-time column) or `start` + `plus_seconds`"]
    if rule.start is not None and rule.plus_seconds is None:
        return [f"{key}: `start` needs `plus_seconds` (the column of seconds to add)"]
    if rule.start is not None and rule.start not in earlier:
        return [
            f"{key}.start: must be a timestamp built before {name} ({', '.join(earlier) or 'none'})"
        ]
    if rule.after in TIMESTAMP_ORDER and rule.after not in earlier:
        return [f"{key}.after: {rule.after} is built after {name}; use an earlier one or a column"]
    if rule.time is not None and mapping.date_column is None and rule.after is not None:
        return [f"{key}.after: needs date_column (times without a date cannot cross midnight)"]
    return []


# ---------------------------------------------------------------------------- applying


def apply_mapping(frame: pl.DataFrame, mapping: FeedMapping) -> MappingResult:
    """Turn a provider frame (text columns + `_line`) into annex columns; drop rows by rule.

    Kept rows have every annex column as text (timestamps ISO 8601 with the zone's offset) plus
    `_line`; kept + dropped = rows in. Raises FeedRefused when the frame lacks a column the
    mapping uses (all missing columns named at once).
    """
    _require_columns(frame, mapping)
    lazy = frame.lazy().with_columns(status_expr(mapping).alias("__status"))
    lazy = build_timestamps(lazy, mapping)
    names = []
    for index, reason in enumerate(reasons(mapping)):
        names.append(f"__reason_{index}")
        lazy = lazy.with_columns(reason.alias(names[-1]))
    work = lazy.collect()
    # Lists only for the (few) dropped rows: building one per row costs more than the mapping.
    is_dropped = pl.any_horizontal([pl.col(name).is_not_null() for name in names])
    kept = work.filter(~is_dropped)
    dropped = work.filter(is_dropped).with_columns(
        pl.concat_list(names).list.drop_nulls().alias("__reasons"),
        drop_code(mapping).alias("__drop_code"),
    )
    return MappingResult(annex_frame(kept, mapping), dropped_rows(dropped, frame.columns))


def _require_columns(frame: pl.DataFrame, mapping: FeedMapping) -> None:
    missing = [
        (column, key) for column, key in _used_columns(mapping) if column not in frame.columns
    ]
    if not missing:
        return
    first_use: dict[str, str] = {}
    for column, key in missing:
        first_use.setdefault(column, key)
    named = ", ".join(f"{column!r} ({key})" for column, key in first_use.items())
    found = ", ".join(name for name in frame.columns if name != LINE)
    where = f"mapping {mapping.source}" if mapping.source else "the mapping"
    plural = "s" if len(first_use) > 1 else ""
    raise FeedRefused(
        f"the feed has no column{plural} {named} that {where} uses; columns found: {found}"
    )


def _used_columns(mapping: FeedMapping) -> list[tuple[str, str]]:
    used = [(name, "contact_id") for name in template_fields(mapping.contact_id)]
    if mapping.date_column is not None:
        used.append((mapping.date_column, "date_column"))
    used += [(source, f"columns.{target}") for target, source in mapping.columns.items()]
    if mapping.outcome is not None:
        used.append((mapping.outcome.column, "outcome.column"))
    for name, rule in mapping.timestamps.items():
        for field in ("time", "fallback_time", "after", "plus_seconds"):
            value = getattr(rule, field)
            if value is not None and value not in TIMESTAMP_ORDER:
                used.append((value, f"timestamps.{name}.{field}"))
    for index, drop_rule in enumerate(mapping.drop):
        used += [(column, f"drop[{index}].where") for column in drop_rule.where]
    return used
