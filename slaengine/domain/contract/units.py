"""Durations (`20s`, `2min`, `4h`), percentages (`10%`) and targets (`>= 80%`, `<= 30s`, `>= 30`).

Each is a small immutable value with a canonical text form, so that a contract dumped to
YAML and loaded again is equal to the original.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, Literal

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

_DURATION = re.compile(r"^\s*(\d+)\s*(s|min|h)\s*$")
_UNIT_SECONDS = {"s": 1, "min": 60, "h": 3600}
DURATION_PATTERN = r"^\s*\d+\s*(s|min|h)\s*$"
PERCENT_PATTERN = r"^\s*\d+(\.\d+)?\s*%\s*$"
TARGET_PATTERN = r"^\s*(>=|<=|>|<)\s*-?\d+(\.\d+)?\s*(%|s)?\s*$"


def _plain_str_schema(
    cls: type[Any], parse: Any, pattern: str, description: str
) -> core_schema.CoreSchema:
    from_str = core_schema.no_info_plain_validator_function(parse)
    return core_schema.json_or_python_schema(
        json_schema=from_str,
        python_schema=from_str,  # parse() passes instances through
        serialization=core_schema.plain_serializer_function_ser_schema(str),
    )


@dataclass(frozen=True, order=True)
class Duration:
    """A length of time in whole seconds, written `20s`, `90s`, `2min`, `4h` or `24h`."""

    seconds: int

    @classmethod
    def parse(cls, value: object) -> Duration:
        """Parse a duration; raises ValueError saying what was expected."""
        if isinstance(value, Duration):
            return value
        if isinstance(value, bool) or not isinstance(value, str):
            raise ValueError(
                f"expected a duration such as 20s, 2min or 24h, found {value!r}"
                " (write the unit: s, min or h)"
            )
        match = _DURATION.match(value)
        if not match:
            raise ValueError(f"expected a duration such as 20s, 2min or 24h, found {value!r}")
        return cls(int(match.group(1)) * _UNIT_SECONDS[match.group(2)])

    def __str__(self) -> str:
        if self.seconds and self.seconds % 3600 == 0:
            return f"{self.seconds // 3600}h"
        if self.seconds and self.seconds % 60 == 0:
            return f"{self.seconds // 60}min"
        return f"{self.seconds}s"

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return _plain_str_schema(cls, cls.parse, DURATION_PATTERN, "duration")

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "pattern": DURATION_PATTERN, "examples": ["20s", "2min", "24h"]}


@dataclass(frozen=True, order=True)
class Percent:
    """A share written `10%`; `.fraction` is the exact Decimal between 0 and any upper bound."""

    fraction: Decimal

    @classmethod
    def parse(cls, value: object) -> Percent:
        """Parse `NN%` or `NN.N%`; raises ValueError otherwise."""
        if isinstance(value, Percent):
            return value
        if not isinstance(value, str) or not value.strip().endswith("%"):
            raise ValueError(f"expected a percentage such as 10% or 12.5%, found {value!r}")
        try:
            number = Decimal(value.strip()[:-1].strip())
        except InvalidOperation:
            raise ValueError(f"expected a percentage such as 10%, found {value!r}") from None
        if number < 0 or not number.is_finite():
            raise ValueError(f"expected a percentage of at least 0%, found {value!r}")
        return cls(number / 100)

    def __str__(self) -> str:
        return f"{_plain(self.fraction * 100)}%"

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return _plain_str_schema(cls, cls.parse, PERCENT_PATTERN, "percent")

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "pattern": PERCENT_PATTERN, "examples": ["10%", "150%"]}


Operator = Literal[">=", ">", "<=", "<"]
TargetUnit = Literal["fraction", "seconds", "number"]


@dataclass(frozen=True)
class Target:
    """`>= 80%` (unit fraction, value 0.8), `<= 30s` (seconds) or `>= 30` (plain number)."""

    operator: Operator
    value: Decimal
    unit: TargetUnit

    @classmethod
    def parse(cls, value: object) -> Target:
        """Parse a target; raises ValueError saying what was expected."""
        if isinstance(value, Target):
            return value
        text = (
            str(value)
            if isinstance(value, int | Decimal) and not isinstance(value, bool)
            else value
        )
        if not isinstance(text, str):
            raise ValueError(f"expected a target such as '>= 80%', found {value!r}")
        match = re.match(r"^\s*(>=|<=|>|<)\s*(-?\d+(?:\.\d+)?)\s*(%|s)?\s*$", text)
        if not match:
            raise ValueError(
                f"expected a target such as '>= 80%', '<= 30s' or '>= 30', found {value!r}"
                ' (quote it in YAML: target: ">= 80%")'
            )
        operator, number, suffix = match.group(1), Decimal(match.group(2)), match.group(3)
        if suffix == "%":
            return cls(operator, number / 100, "fraction")  # type: ignore[arg-type]
        if suffix == "s":
            return cls(operator, number, "seconds")  # type: ignore[arg-type]
        return cls(operator, number, "number")  # type: ignore[arg-type]

    def is_met_by(self, actual: Fraction | Decimal | int) -> bool:
        """Compare exactly (no float rounding): equality meets `>=` and `<=`."""
        left, right = Fraction(actual), Fraction(self.value)
        if self.operator == ">=":
            return left >= right
        if self.operator == ">":
            return left > right
        if self.operator == "<=":
            return left <= right
        return left < right

    @property
    def higher_is_better(self) -> bool:
        return self.operator in (">=", ">")

    def __str__(self) -> str:
        if self.unit == "fraction":
            return f"{self.operator} {_plain(self.value * 100)}%"
        if self.unit == "seconds":
            return f"{self.operator} {_plain(self.value)}s"
        return f"{self.operator} {_plain(self.value)}"

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return _plain_str_schema(cls, cls.parse, TARGET_PATTERN, "target")

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "pattern": TARGET_PATTERN, "examples": [">= 80%", "<= 30s"]}


def _plain(number: Decimal) -> str:
    """Decimal without exponent or trailing zeros: 80, 12.5."""
    text = format(number.normalize(), "f")
    return text
