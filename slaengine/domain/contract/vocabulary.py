"""The contract language's fixed words (channels, KPIs and their units), apart from the models.

Plain constants, so that what only names a channel or formats a KPI's value (`evaluate
--json` of a stored month, `relief list`) need not build the pydantic models of
`slaengine.domain.contract.model` (about 0.2 s), which re-exports them.
"""

from __future__ import annotations

from typing import Literal

Channel = Literal["phone", "chat", "email", "sms", "social", "mail"]
CHANNELS: tuple[Channel, ...] = ("phone", "chat", "email", "sms", "social", "mail")
REAL_TIME_CHANNELS: frozenset[str] = frozenset({"phone", "chat"})
Sourcing = Literal["outsourced", "in-house"]
Kpi = Literal[
    "service_level",
    "answer_rate",
    "abandonment_rate",
    "average_speed_of_answer",
    "average_handle_time",
    "response_within",
    "first_contact_resolution",
    "csat",
    "nps",
    "cost_per_contact",
]
# Units of the KPI values: fractions 0..1 and seconds (nps is points, cost is money).
FRACTION_KPIS = frozenset(
    {
        "service_level",
        "answer_rate",
        "abandonment_rate",
        "response_within",
        "first_contact_resolution",
        "csat",
    }
)
SECONDS_KPIS = frozenset({"average_speed_of_answer", "average_handle_time"})
