"""Builders for report tests: the example contract and hand-made evaluations."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from slaengine.domain.contract.model import Contract
from slaengine.domain.evaluation.benchmark import BenchmarkResult, KpiFigure, SetupResult
from slaengine.domain.evaluation.results import (
    ChronicFailureFlag,
    CreditSummary,
    Evaluation,
    ExcludedDay,
    ObjectiveResult,
    WindowResult,
)
from slaengine.domain.reports import FeedFileInfo

ROOT = Path(__file__).resolve().parent.parent
AS_OF = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)


def acme_text() -> str:
    return (ROOT / "contracts" / "acme-l1.yaml").read_text(encoding="utf-8")


def acme(**provider: Any) -> Contract:
    """contracts/acme-l1.yaml, optionally with another provider name."""
    document = YAML(typ="safe").load(acme_text())
    document["provider"].update(provider)
    return Contract.model_validate(document)


def result(
    objective_id: str, kpi: str, status: str, value: float | None, **more: Any
) -> ObjectiveResult:
    defaults: dict[str, Any] = {
        "level": "key",
        "channels": ("phone",),
        "target": None,
        "target_value": None,
        "numerator": None,
        "denominator": None,
        "volume": 0,
    }
    defaults.update(more)
    return ObjectiveResult(
        objective_id=objective_id, kpi=kpi, status=status, value=value, **defaults
    )  # type: ignore[arg-type]


def daily_windows(values: list[tuple[int, int]], target: float) -> tuple[WindowResult, ...]:
    """October 2026 day windows from (numerator, denominator) pairs; breached above target."""
    windows = []
    for index, (numerator, denominator) in enumerate(values):
        day = date(2026, 10, 1) + timedelta(days=index)
        value = numerator / denominator if denominator else None
        status = "not_determined" if value is None else ("breached" if value > target else "met")
        windows.append(
            WindowResult(
                day,
                day + timedelta(days=1),
                status,
                value,
                numerator,  # type: ignore[arg-type]
                denominator,
                denominator,
            )
        )
    return tuple(windows)


def october_abandon_windows() -> tuple[WindowResult, ...]:
    """31 days of 1000 calls; days 3, 10, 17 miss the 5% target (60, 70, 80 abandons)."""
    pairs = [(40, 1000)] * 31
    pairs[2], pairs[9], pairs[16] = (60, 1000), (70, 1000), (80, 1000)
    return daily_windows(pairs, 0.05)


def october(**changes: Any) -> Evaluation:
    """acme-l1 October 2026: phone-sl met, email-24h breached (credit 4800), abandon breached."""
    abandon = october_abandon_windows()
    objectives = (
        result(
            "phone-sl",
            "service_level",
            "met",
            0.8123,
            level="critical",
            target=">= 80%",
            target_value=0.8,
            numerator=8123,
            denominator=10000,
            volume=10250,
        ),
        result(
            "phone-abandon",
            "abandonment_rate",
            "breached",
            1450 / 31000,
            target="<= 5%",
            target_value=0.05,
            numerator=1450,
            denominator=31000,
            volume=31000,
            windows=abandon,
            windows_breached=3,
            allowed_misses=2,
            credit=Decimal("2400.00"),
        ),
        result(
            "chat-sl",
            "service_level",
            "not_determined",
            None,
            channels=("chat",),
            target=">= 85%",
            target_value=0.85,
            volume=0,
            reason="no chat contacts",
        ),
        result(
            "email-24h",
            "response_within",
            "breached",
            0.9,
            level="critical",
            channels=("email",),
            target=">= 95%",
            target_value=0.95,
            numerator=1800,
            denominator=2000,
            volume=2100,
            credit=Decimal("4800.00"),
            pending_contacts=100,
            excluded_contacts=12,
        ),
        result(
            "phone-asa",
            "average_speed_of_answer",
            "met",
            28.44,
            target="<= 30s",
            target_value=30.0,
            numerator=Decimal("284400"),
            denominator=10000,
            volume=10000,
        ),
        result(
            "fcr",
            "first_contact_resolution",
            "excused",
            None,
            channels=("phone", "chat", "email"),
            target=">= 75%",
            target_value=0.75,
        ),
    )
    evaluation = Evaluation(
        contract_id="acme-l1",
        contract_version=2,
        provider_id="acme",
        period="2026-10",
        as_of=AS_OF,
        month_to_date=False,
        objectives=objectives,
        credits=CreditSummary(
            "EUR", Decimal("12000.00"), Decimal("7200.00"), Decimal("7200.00"), Decimal("1200.00")
        ),
        chronic_failures=(
            ChronicFailureFlag("email-24h", ("2026-06", "2026-08", "2026-10"), 3, 6),
        ),
        excluded_days=(
            ExcludedDay(date(2026, 10, 10), "phone", 1400, 1100, "over forecast by more than 10%"),
        ),
        input_hashes=("a" * 64, "b" * 64),
    )
    return replace(evaluation, **changes)


def month(period: str, values: dict[str, tuple[str, float | None]]) -> Evaluation:
    """A past evaluation with only (status, value) per objective."""
    base = october()
    objectives = tuple(
        replace(r, status=values[r.objective_id][0], value=values[r.objective_id][1], windows=())
        for r in base.objectives
        if r.objective_id in values
    )
    return replace(base, period=period, objectives=objectives)


def september() -> Evaluation:
    return month(
        "2026-09",
        {
            "phone-sl": ("met", 0.80),
            "phone-abandon": ("met", 0.05),
            "email-24h": ("met", 0.96),
            "phone-asa": ("met", 28.44),
        },
    )


def feed(name: str = "acme-contacts-2026-10.csv", **changes: Any) -> FeedFileInfo:
    info = FeedFileInfo(
        file_name=name,
        kind="contacts",
        sha256="c" * 64,
        rows=42010,
        stored=42000,
        quarantined=10,
        reasons={"timestamp without offset": 7, "duplicate contact_id": 3},
    )
    return replace(info, **changes)


def benchmark() -> BenchmarkResult:
    def setup(
        name: str, sourcing: str, sl: float, cost: str | None, mix: dict[str, int]
    ) -> SetupResult:
        return SetupResult(
            name=name,
            sourcing=sourcing,
            contracts=(name,) if sourcing != "mixed" else ("inhouse-l1", "acme-l1"),  # type: ignore[arg-type]
            contacts=sum(mix.values()),
            channel_mix=mix,
            kpis={
                "phone-sl": KpiFigure(sl, int(sl * 1000), 1000),
                "asa": KpiFigure(sl * 40, None, None),
            },
            cost_per_contact=Decimal(cost) if cost else None,
            currency="EUR",
        )

    return BenchmarkResult(
        "l1-support",
        "2026-10",
        (
            setup("inhouse-l1", "in-house", 0.86, "5.10", {"phone": 8000, "email": 2000}),
            setup(
                "acme-l1", "outsourced", 0.81, "3.95", {"phone": 31000, "chat": 4000, "email": 2100}
            ),
            setup("mixed", "mixed", 0.82, "4.20", {"phone": 39000, "chat": 4000, "email": 4100}),
        ),
    )
