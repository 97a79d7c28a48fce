"""How each example provider behaves: volumes, channel mix, quality, costs.

Known provider ids get a hand-tuned profile; any other contract gets one derived from the
channels its objectives name, so the generator works on whatever contracts/ holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from slaengine.domain.contract.model import REAL_TIME_CHANNELS, Contract

# Monday peak, quieter Friday, little on weekends (index 0 = Monday).
WEEKDAY_FACTORS: tuple[float, ...] = (1.3, 1.1, 1.0, 1.0, 0.95, 0.5, 0.25)
# Morning peak, lunchtime dip, afternoon peak, quiet evening (index = local hour).
HOUR_WEIGHTS: tuple[float, ...] = (
    0.05, 0.03, 0.02, 0.02, 0.03, 0.05, 0.15, 0.35,
    0.6, 1.0, 1.2, 1.15, 0.7, 0.75, 1.1, 1.05,
    0.95, 0.85, 0.7, 0.5, 0.35, 0.25, 0.15, 0.08,
)  # fmt: skip
# Season: summer holidays are quiet, the rentrée is busy (index = month - 1).
MONTH_FACTORS: tuple[float, ...] = (
    1.05, 1.0, 1.0, 0.95, 0.95, 1.0, 0.95, 0.8, 1.1, 1.0, 1.05, 1.1,
)  # fmt: skip


@dataclass(frozen=True)
class ChannelQuality:
    """How contacts of one channel are served (probabilities are per contact)."""

    on_time: float = 0.9  # answered within the fast band (real time: 20 s; deferred: on time)
    short_abandon: float = 0.03  # real time: hang up within 5 s
    late_abandon: float = 0.015  # real time: hang up after waiting
    unanswered: float = 0.003  # deferred: never answered
    handle_seconds: float = 240.0  # median handle time


@dataclass(frozen=True)
class ProviderProfile:
    """Monthly volumes per channel and the quality of service of one provider."""

    prefix: str
    monthly_volumes: dict[str, int]
    quality: dict[str, ChannelQuality] = field(default_factory=dict)
    costs: dict[str, Decimal] = field(default_factory=dict)  # in-house monthly costs by channel
    bad_week: bool = False  # phone collapses in the second week of the last month
    late_emails_first_month: float = 0.0  # share of late emails in the first month
    spike_days: tuple[int, ...] = ()  # days of the last month far above forecast

    def quality_of(self, channel: str) -> ChannelQuality:
        return self.quality.get(channel, ChannelQuality())


PROFILES: dict[str, ProviderProfile] = {
    "acme": ProviderProfile(
        prefix="ACM",
        monthly_volumes={"phone": 4200, "chat": 1500, "email": 1200, "sms": 250, "social": 250},
        quality={
            "phone": ChannelQuality(on_time=0.9, handle_seconds=260.0),
            "chat": ChannelQuality(on_time=0.93, short_abandon=0.02, handle_seconds=420.0),
            "email": ChannelQuality(on_time=0.98, handle_seconds=300.0),
        },
        bad_week=True,
        late_emails_first_month=0.09,
        spike_days=(20, 21),
    ),
    "nordline": ProviderProfile(
        prefix="NRD",
        monthly_volumes={"phone": 2000, "chat": 700},
        quality={
            "phone": ChannelQuality(on_time=0.88, handle_seconds=280.0),
            "chat": ChannelQuality(on_time=0.92, short_abandon=0.02, handle_seconds=400.0),
        },
        spike_days=(6,),
    ),
    "inhouse": ProviderProfile(
        prefix="INH",
        monthly_volumes={"phone": 2400, "email": 900, "social": 300},
        quality={
            "phone": ChannelQuality(on_time=0.91, short_abandon=0.03, late_abandon=0.02),
            "email": ChannelQuality(on_time=0.95, handle_seconds=360.0),
            "social": ChannelQuality(on_time=0.9, handle_seconds=180.0),
        },
        costs={
            "phone": Decimal("38500.00"),
            "email": Decimal("14200.00"),
            "social": Decimal("4600.00"),
            "all": Decimal("9300.00"),
        },
    ),
}


def profile_for(contract: Contract) -> ProviderProfile:
    """The provider's hand-tuned profile, or a plain one over the channels it is judged on."""
    known = PROFILES.get(contract.provider.id)
    if known is not None:
        return known
    channels: list[str] = sorted({c for o in contract.objectives if o.channel for c in o.channels})
    volumes = {c: (1500 if c in REAL_TIME_CHANNELS else 500) for c in channels or ["phone"]}
    prefix = contract.provider.id.upper().replace("-", "")[:6]
    costs = {} if contract.credits else {"all": Decimal(12 * sum(volumes.values()))}
    return ProviderProfile(prefix=prefix, monthly_volumes=volumes, costs=costs)
