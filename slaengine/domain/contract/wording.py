"""Contract values in the words a procurement manager reads: ≥ 85 %, 20 s, 10 %, 1 200.00."""

from __future__ import annotations

from decimal import Decimal

from slaengine.domain.contract.units import Duration, Percent, Target

_SYMBOLS = {">=": "≥", "<=": "≤", ">": ">", "<": "<"}


def words(value: object) -> str:
    """A contract value as a procurement manager reads it: ≥ 85 %, 20 s, 10 %, 1 200.00."""
    if value is None:
        return "none"
    if isinstance(value, Target):
        number = _plain(value.value * 100 if value.unit == "fraction" else value.value)
        unit = {"fraction": " %", "seconds": " s", "number": ""}[value.unit]
        return f"{_SYMBOLS[value.operator]} {number}{unit}"
    if isinstance(value, Percent):
        return f"{_plain(value.fraction * 100)} %"
    if isinstance(value, Duration):
        return str(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return f"{value:,.2f}".replace(",", " ")
    if isinstance(value, tuple | list):
        return ", ".join(words(item) for item in value) or "none"
    return str(value)


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")
