"""Early warning on the current month, and the scheduled feed pull.

Month to date: a provisional evaluation of every contract in force (stored, never the month's
result), then one JSON POST to `[delivery] webhook_url` per objective at risk or breached,
once per objective and day: the delivery log keys each alert by contract, objective and local
day, so later runs of the same day send nothing new. Alerts that failed earlier are sent again
first. Every attempt of an alert carries that key as its `Idempotency-Key` header, so a
receiver that got an attempt this side gave up on can drop the copies. Periods and days are
those of `[schedule] timezone`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy.engine import Engine

from slaengine.adapters.delivery.webhook import post_json
from slaengine.adapters.storage import run_repo
from slaengine.config import Settings
from slaengine.domain.contract.model import Contract
from slaengine.domain.reports.no_data import KPI_FEEDS, has_kpi_data
from slaengine.errors import ConfigError, DeliveryError
from slaengine.services.contracts import contracts_in_force
from slaengine.services.received import received_kinds
from slaengine.services.runs import (
    JOB_MONTH_TO_DATE,
    JOB_PULL,
    ContractOutcome,
    Mode,
    NoProgress,
    Progress,
    RunInterrupted,
    RunReport,
    claim,
    describe,
    finish,
)


def schedule_zone(settings: Settings) -> ZoneInfo:
    """`[schedule] timezone` as a zone (ConfigError naming the key when it is not one)."""
    try:
        return ZoneInfo(settings.schedule.timezone)
    except (KeyError, ValueError):
        raise ConfigError(
            f"config: [schedule] timezone {settings.schedule.timezone!r} is not an IANA zone"
            " name (e.g. Europe/Paris)"
        ) from None


def month_to_date(
    engine: Engine,
    settings: Settings,
    *,
    as_of: datetime,
    key: str | None = None,
    mode: Mode = "again",
    progress: Progress | None = None,
    client: httpx.Client | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    webhook_options: dict[str, Any] | None = None,
) -> RunReport:
    """Evaluate the month of `as_of` so far and alert; the caller holds the run lock."""
    day = as_of.astimezone(schedule_zone(settings)).date()
    key = key or day.isoformat()
    attempt = claim(engine, JOB_MONTH_TO_DATE, key, mode=mode, now=as_of)
    if attempt is None:
        return RunReport(JOB_MONTH_TO_DATE, key, "skipped", note=f"already run for {key}")
    run = attempt.run
    report = RunReport(JOB_MONTH_TO_DATE, key, "running", run.generation, run.forced)
    send = _sender(engine, settings, as_of, client, webhook_options or {})
    try:
        report.error = _retry_failed(engine, send)
        contracts = contracts_in_force(engine, day.strftime("%Y-%m"))
        (progress or NoProgress()).phase("contracts", len(contracts))
        for contract in contracts:
            if should_stop():
                raise RunInterrupted("stopped between contracts")
            outcome = _warn(engine, contract.id, day, as_of, send)
            _relief_pending(engine, contract, as_of, send, outcome)
            report.contracts.append(outcome)
            (progress or NoProgress()).advance("contracts", contract.id)
        report.outcome = "failed" if report.failures else "done"
    except RunInterrupted:
        report.outcome = "interrupted"
    except Exception as error:  # the run ends failed with a message, never left running
        report.outcome, report.error = "failed", f"alerts: {describe(error)}"
    report.delivery = _delivery_line(settings, report)
    return finish(engine, attempt, report)


Sent = Literal["sent", "already", "off", "failed"]
Send = Callable[[str, dict[str, Any]], tuple[Sent, str | None]]
NO_DATA_AFTER_BUSINESS_DAYS = 3  # a month with nothing received by then raises `no_data`


def _sender(
    engine: Engine,
    settings: Settings,
    now: datetime,
    client: httpx.Client | None,
    options: dict[str, Any],
) -> Send:
    """A function that posts one alert once (by key) and records it; returns what happened
    (sent now, already sent earlier, not sent because no webhook is configured, failed) and
    the error. Only "sent" is counted as an alert sent."""
    url = settings.delivery.webhook_url

    def send(key: str, payload: dict[str, Any]) -> tuple[Sent, str | None]:
        if not url:
            return "off", None
        known = run_repo.delivery(engine, key)
        if known is not None and known.status == "sent":
            return "already", None
        try:
            attempts = post_json(url, payload, client=client, idempotency_key=key, **options)
        except DeliveryError as error:
            run_repo.record_delivery(
                engine,
                key,
                channel="webhook",
                payload=payload,
                error=str(error),
                attempts=error.attempts,
                now=now,
            )
            return "failed", str(error)
        run_repo.record_delivery(
            engine, key, channel="webhook", payload=payload, error=None, attempts=attempts, now=now
        )
        return "sent", None

    return send


def _retry_failed(engine: Engine, send: Send) -> str | None:
    results = [
        send(item.key, item.payload) for item in run_repo.failed_deliveries(engine, "webhook")
    ]
    found = [error for _status, error in results if error]
    return f"{len(found)} earlier alert(s) still undelivered: {found[-1]}" if found else None


def _warn(
    engine: Engine, contract_id: str, day: date, as_of: datetime, send: Send
) -> ContractOutcome:
    from slaengine.services.evaluation import evaluate_period, evaluation_to_json

    outcome = ContractOutcome(contract_id)
    try:
        evaluation = evaluate_period(engine, contract_id, day.strftime("%Y-%m"), as_of=as_of)
    except Exception as error:  # one contract never stops the others
        outcome.error = f"evaluated: {describe(error)}"
        return outcome
    outcome.steps.append("evaluated")
    document = evaluation_to_json(evaluation)
    outcome.credits, outcome.currency = str(evaluation.credits.total), evaluation.credits.currency
    failures: list[str] = []
    for item in document["objectives"]:
        if item["status"] != "breached" and not item["at_risk"]:
            continue
        outcome.breaches += item["status"] == "breached"
        outcome.at_risk += bool(item["at_risk"])
        key = f"webhook:{contract_id}:{item['id']}:{day.isoformat()}"
        status, problem = send(key, alert_payload(document, item, day))
        if problem:
            failures.append(problem)
        outcome.alerts += status == "sent"
    silent = _no_data_alert(engine, document, day, send)
    if silent is not None:
        status, problem = silent
        if problem:
            failures.append(problem)
        outcome.alerts += status == "sent"
    if failures:
        outcome.error = f"alerted: {failures[-1]}"
    return outcome


def _relief_pending(
    engine: Engine, contract: Any, as_of: datetime, send: Send, outcome: ContractOutcome
) -> None:
    """A `relief_pending` event, once per request, for requests awaiting a decision for
    more than two business days (SPEC section 7)."""
    from slaengine.services.relief import pending_alerts

    try:
        alerts = pending_alerts(engine, contract, as_of)
    except Exception as error:  # one contract never stops the others
        outcome.error = outcome.error or f"relief: {describe(error)}"
        return
    for key, payload in alerts:
        status, problem = send(key, payload)
        if problem:
            outcome.error = outcome.error or f"alerted: {problem}"
        outcome.alerts += status == "sent"


def _no_data_alert(
    engine: Engine, document: dict[str, Any], day: date, send: Send
) -> tuple[Sent, str | None] | None:
    """The `no_data` event: past the month's first business days, nothing received yet."""
    from slaengine.services.contracts import contract_in_force

    contract = contract_in_force(engine, document["contract"], day).contract
    if business_days_before(day) < NO_DATA_AFTER_BUSINESS_DAYS:
        return None
    if has_kpi_data(received_kinds(engine, contract, day.strftime("%Y-%m"))):
        return None
    key = f"webhook:{contract.id}:no_data:{day.isoformat()}"
    return send(key, no_data_payload(document, contract, day))


def business_days_before(day: date) -> int:
    """Monday-to-Friday days of `day`'s month before `day` (the days a feed could arrive)."""
    return sum(1 for n in range(1, day.day) if day.replace(day=n).weekday() < 5)


def no_data_payload(document: dict[str, Any], contract: Contract, day: date) -> dict[str, Any]:
    """The JSON of a `no_data` alert: which contract, which month, what was expected."""
    return {
        "event": "no_data",
        "contract": document["contract"],
        "contract_version": document["contract_version"],
        "provider": document["provider"],
        "period": document["period"],
        "as_of": document["as_of"],
        "day": day.isoformat(),
        "expected": sorted(KPI_FEEDS),
        "channels": sorted({c for o in contract.objectives for c in o.channels}),
        "business_days_elapsed": business_days_before(day),
    }


def alert_payload(document: dict[str, Any], objective: dict[str, Any], day: date) -> dict[str, Any]:
    """The JSON an alert carries: contract, objective, its figures, period, as_of."""
    return {
        "event": "breached" if objective["status"] == "breached" else "at_risk",
        "contract": document["contract"],
        "contract_version": document["contract_version"],
        "provider": document["provider"],
        "period": document["period"],
        "as_of": document["as_of"],
        "day": day.isoformat(),
        "objective": objective["id"],
        "kpi": objective["kpi"],
        "level": objective["level"],
        "status": objective["status"],
        "at_risk_reason": objective["at_risk_reason"],
        "value": objective["value"],
        "target": objective["target"],
        "target_text": objective["target_text"],
        "numerator": objective["numerator"],
        "denominator": objective["denominator"],
        "volume": objective["volume"],
        "credit": objective["credit"],
        "currency": document["credits"]["currency"],
    }


def _delivery_line(settings: Settings, report: RunReport) -> str:
    if not settings.delivery.webhook_url:
        return "no alerts sent: [delivery] webhook_url is empty"
    return f"{report.counts()['alerts']} alert(s) sent"


def pull_all(
    engine: Engine,
    settings: Settings,
    *,
    now: datetime,
    key: str | None = None,
    mode: Mode = "once",
    environ: Mapping[str, str] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> RunReport:
    """The scheduled pull: every configured feed for the current month, one contract at a time."""
    from slaengine.services.pull import pull_feeds

    local = now.astimezone(schedule_zone(settings))
    key = key or local.date().isoformat()
    attempt = claim(engine, JOB_PULL, key, mode=mode, now=now)
    if attempt is None:
        return RunReport(JOB_PULL, key, "skipped", note=f"already pulled for {key}")
    report = RunReport(JOB_PULL, key, "running", attempt.run.generation, attempt.run.forced)
    for contract_id in sorted({feed.contract for feed in settings.feeds}):
        if should_stop():
            break
        outcome = ContractOutcome(contract_id)
        try:
            pull_feeds(
                engine,
                settings,
                contract_id,
                local.strftime("%Y-%m"),
                environ=os.environ if environ is None else environ,
            )
            outcome.steps.append("pulled")
        except Exception as error:  # one contract never stops the others
            outcome.error = f"pulled: {describe(error)}"
        report.contracts.append(outcome)
    report.outcome = "failed" if report.failures else "done"
    if should_stop():
        report.outcome = "interrupted"
    return finish(engine, attempt, report)
