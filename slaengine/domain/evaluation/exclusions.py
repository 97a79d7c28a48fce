"""Exclusions decided from data: the volume band of the client's forecasts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from fractions import Fraction

from slaengine.domain.contract.model import REAL_TIME_CHANNELS, Contract
from slaengine.domain.evaluation.results import ExcludedDay


def volume_band_days(
    contract: Contract,
    contacts_per_day: Mapping[tuple[date, str], int],
    forecasts: Mapping[tuple[date, str], int],
) -> tuple[ExcludedDay, ...]:
    """Local days whose phone/chat contacts exceed forecast x (1 + over_forecast).

    `contacts_per_day` counts every contact of the channel arriving that local day; days
    without a forecast are never excluded (the band is the client's obligation).
    """
    band = contract.exclusions.volume_band if contract.exclusions else None
    if band is None:
        return ()
    ceiling = 1 + Fraction(band.over_forecast.fraction)
    found: list[ExcludedDay] = []
    for (day, channel), forecast in sorted(forecasts.items()):
        contacts = contacts_per_day.get((day, channel), 0)
        if channel in REAL_TIME_CHANNELS and contacts > forecast * ceiling:
            found.append(
                ExcludedDay(
                    day,
                    channel,
                    contacts,
                    forecast,
                    f"{contacts} {channel} contacts exceed the forecast {forecast}"
                    f" by more than {band.over_forecast} (volume band)",
                )
            )
    return tuple(found)
