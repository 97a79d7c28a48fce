"""The mapping model: how a provider's export becomes the contacts annex (see mapping.py)."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

ANNEX_COLUMNS: tuple[str, ...] = (
    "contact_id",
    "channel",
    "queue",
    "arrived_at",
    "answered_at",
    "abandoned_at",
    "handle_seconds",
    "resolved_first_contact",
    "csat",
    "nps",
)
TIMESTAMP_ORDER: tuple[str, ...] = ("arrived_at", "answered_at", "abandoned_at")
ISO_FORMAT = "%Y-%m-%dT%H:%M:%S%.f%:z"
LINE = "_line"
DROP_PREFIX = "mapping_drop:"
NONEXISTENT_DROP = f"{DROP_PREFIX}nonexistent_local_time"

AnnexColumn = Literal[
    "contact_id", "channel", "queue", "arrived_at", "answered_at", "abandoned_at",
    "handle_seconds", "resolved_first_contact", "csat", "nps",
]  # fmt: skip
TimestampColumn = Literal["arrived_at", "answered_at", "abandoned_at"]


class _Strict(BaseModel):
    # TOML users write q_time = 0 as often as "0": numbers are read as the text they show.
    model_config = ConfigDict(frozen=True, extra="forbid", coerce_numbers_to_str=True)


class OutcomeCodes(_Strict):
    """Which values of `column` mean answered, abandoned, still open, or drop (code -> reason)."""

    column: str
    answered: tuple[str, ...] = ()
    abandoned: tuple[str, ...] = ()
    open: tuple[str, ...] = ()
    drop: dict[str, str] = Field(default_factory=dict)


class DropRule(_Strict):
    """Drop the rows where every column in `where` equals its value (or one of its values).

    `code` names the rule in reports (`mapping_drop:<code>`); by default the reason in
    lower case with every run of other characters as `_` ("not queued (left in the IVR)" ->
    `not_queued_left_in_the_ivr`).
    """

    where: dict[str, str | tuple[str, ...]]
    reason: str
    code: str | None = Field(default=None, pattern=r"^[a-z0-9_]+$", max_length=64)

    @property
    def drop_code(self) -> str:
        return f"{DROP_PREFIX}{self.code or slug(self.reason)}"


class TimestampRule(_Strict):
    """How one annex timestamp is built: a clock time on the date, or `start` + seconds."""

    time: str | None = None
    fallback_time: str | None = None
    after: str | None = None
    rollover_slack_seconds: int = Field(default=0, ge=0)
    start: TimestampColumn | None = None
    plus_seconds: str | None = None


class FeedMapping(_Strict):
    """A provider export -> contacts annex mapping (see contracts/mappings/*.toml)."""

    zone: str
    contact_id: str
    date_column: str | None = None
    date_format: str = "%Y-%m-%d"
    time_format: str = "%H:%M:%S"
    empty_times: tuple[str, ...] = ()
    ambiguous: Literal["earliest", "latest"] = "earliest"
    nonexistent: Literal["shift_forward", "drop"] = "shift_forward"
    columns: dict[AnnexColumn, str] = Field(default_factory=dict)
    constants: dict[AnnexColumn, str] = Field(default_factory=dict)
    outcome: OutcomeCodes | None = None
    timestamps: dict[TimestampColumn, TimestampRule] = Field(default_factory=dict)
    drop: tuple[DropRule, ...] = ()
    _source: str = PrivateAttr(default="")

    @property
    def source(self) -> str:
        """The mapping file's name as shown in messages ("" when built in code)."""
        return self._source


@dataclass(frozen=True)
class DroppedRow:
    """A source row the mapping left out: physical line, raw values and every reason.

    `drop_code` (`mapping_drop:<rule>`) when a drop rule of the mapping removed it on purpose
    (outcome.drop, [[drop]], nonexistent = "drop"): not a bad row, counted apart from the
    quarantine. None when the row could not be mapped (a bad row, quarantined).
    """

    line: int
    raw: dict[str, str]
    reasons: list[str]
    drop_code: str | None = None


@dataclass(frozen=True)
class MappingResult:
    """The annex frame (text columns + `_line`) and the rows the mapping dropped."""

    frame: pl.DataFrame
    dropped: list[DroppedRow]


def slug(text: str) -> str:
    """A stable code from a text: lower case, each run of other characters one `_`."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "unnamed"


def outcome_drop_code(code: str) -> str:
    """`mapping_drop:outcome_<code>` for a dropped outcome code (PHANTOM -> outcome_phantom)."""
    return f"{DROP_PREFIX}outcome_{slug(code)}"


def template_fields(template: str) -> list[str]:
    """Column names a contact_id template uses, in order: `{date}-{call_id}` -> date, call_id."""
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]
