"""The monthly close: pull, evaluate every contract in force (final), write reports, deliver.

Steps are recorded in the run ledger per contract (pulled, evaluated, reported) and for the
month (reported portfolio, delivered director), so a close that was killed or failed is
completed by the next call without doing any step twice. One contract failing never stops the
others; the portfolio and the director's e-mail wait until every contract is closed, and a
delivery that fails leaves the reports in place and is retried by the next run.

The e-mail's intent (Message-ID, recipients, when) is committed to the delivery log before the
message is handed to the server. A close killed after that and before the outcome was recorded
cannot know whether the message left: the next run does not send it again but ends failed,
saying so in the ledger and the log, until `--force` or until `[delivery]
resend_unconfirmed_after_hours` have passed; the resend carries the same Message-ID, so mail
clients and servers that saw the first copy fold the second into it.

A month is closed only once it is settled for every contract in force (SPEC section 5: its
end plus the longest deadline of its objectives on their own clocks); each contract's result
is its FINAL evaluation (`evaluation.final_evaluation`), the same bytes whenever it runs.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine

from slaengine.adapters.delivery.smtp import Mail, check_delivery, send_mail
from slaengine.adapters.storage import run_repo
from slaengine.adapters.storage.run_repo import DeliveryRecord, RunRecord
from slaengine.config import Settings
from slaengine.domain.contract.model import Contract
from slaengine.domain.evaluation.results import Evaluation
from slaengine.errors import DeliveryError, EvaluationError, SlaEngineError
from slaengine.i18n import using
from slaengine.services.close_mail import close_mail
from slaengine.services.contracts import contracts_in_force
from slaengine.services.runs import (
    JOB_MONTHLY,
    Attempt,
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

if TYPE_CHECKING:
    from slaengine.services.reports import MonthReports

logger = logging.getLogger("slaengine.close")


def settles_at(contract: Contract, period: str) -> datetime:
    """The settlement instant of the contract's month (domain.settlement)."""
    from slaengine.domain.evaluation.settlement import settlement_instant

    return settlement_instant(contract, period)


def _evaluate_final(engine: Engine, contract_id: str, period: str, now: datetime) -> Evaluation:
    """The contract's FINAL evaluation of `period`: the stored one, or computed and stored."""
    from slaengine.services.evaluation import final_evaluation

    return final_evaluation(engine, contract_id, period, now=now)


@dataclass
class _Close:
    """One close in progress: where things go, what is done, how to stop."""

    engine: Engine
    settings: Settings
    period: str
    attempt: Attempt
    now: datetime
    progress: Progress
    environ: Mapping[str, str]
    should_stop: Callable[[], bool]
    mail_options: dict[str, Any]
    reports: MonthReports
    locale: str
    steps: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    resend_unconfirmed: bool = False  # --force on a close whose e-mail's fate is unknown

    @property
    def run(self) -> RunRecord:
        return self.attempt.run

    def step(self, name: str, subject: str, action: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """Do `action` unless the ledger says it is done; record it; return its detail."""
        if (name, subject) in self.steps:
            return self.steps[(name, subject)]
        if self.should_stop():
            raise RunInterrupted(f"stopped before {name} {subject}")
        detail = action()
        run_repo.record_step(
            self.engine, self.attempt.run.id, name, subject, detail, self.attempt.instant()
        )
        self.steps[(name, subject)] = detail
        return detail


def close_month(
    engine: Engine,
    settings: Settings,
    period: str,
    *,
    now: datetime,
    force: bool = False,
    progress: Progress | None = None,
    environ: Mapping[str, str] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    mail_options: dict[str, Any] | None = None,
    locale: str | None = None,
) -> RunReport:
    """Close `period` (YYYY-MM) once; see the module docstring. The caller holds the run lock.

    Every report and the e-mail are written in `locale` (default `settings.locale`, the
    `[reports] locale`), bound here for the whole run on the thread that runs it: a scheduler's
    worker thread writes the same language as the command line.
    Raises EvaluationError when the period is not settled yet or no contract is in force.
    """
    language = locale or settings.locale
    with using(language):
        return _close_month(
            engine,
            settings,
            period,
            language,
            now=now,
            force=force,
            progress=progress,
            environ=environ,
            should_stop=should_stop,
            mail_options=mail_options,
        )


def _close_month(
    engine: Engine,
    settings: Settings,
    period: str,
    locale: str,
    *,
    now: datetime,
    force: bool,
    progress: Progress | None,
    environ: Mapping[str, str] | None,
    should_stop: Callable[[], bool],
    mail_options: dict[str, Any] | None,
) -> RunReport:
    from slaengine.services.reports import MonthReports  # ReportLab: only when closing

    contracts = _settled_contracts(engine, period, now)
    # --force on a close stopped by an e-mail of unknown fate resends that e-mail (same run,
    # same Message-ID) rather than starting a new generation with a new message
    resend = force and _unconfirmed_mail(engine, period) is not None
    mode: Mode = "force" if force and not resend else "once"
    attempt = claim(engine, JOB_MONTHLY, period, mode=mode, now=now)
    if attempt is None:
        return _already_done(engine, period)
    run = attempt.run
    close = _Close(
        engine,
        settings,
        period,
        attempt,
        now,
        progress or NoProgress(),
        os.environ if environ is None else environ,
        should_stop,
        mail_options or {},
        MonthReports(engine, period, contracts_dir=settings.contracts_dir),
        locale,
        steps=run_repo.done_steps(engine, run.id),
        resend_unconfirmed=resend,
    )
    report = RunReport(
        JOB_MONTHLY,
        period,
        "running",
        run.generation,
        run.forced,
        resumed=attempt.kind == "resumed",
    )
    try:
        _close_all(close, contracts, report)
    except RunInterrupted as stop:
        report.outcome, report.error = "interrupted", f"interrupted ({stop}): the next run resumes"
    else:
        report.outcome = "done" if not report.failures else "failed"
    return finish(engine, attempt, report)


def _settled_contracts(engine: Engine, period: str, now: datetime) -> list[Contract]:
    contracts = contracts_in_force(engine, period)
    if not contracts:
        raise EvaluationError(f"no contract is in force in {period}: load contracts first")
    latest = max(settles_at(contract, period) for contract in contracts)
    if latest > now:
        raise EvaluationError(
            f"{period} is not settled before {latest.isoformat()} (month end plus the longest"
            " deadline of its objectives, on their own clocks): the monthly close runs after"
            " that; a scheduler runs it at its first job after that instant"
        )
    return contracts


def _already_done(engine: Engine, period: str) -> RunReport:
    last = run_repo.runs_of(engine, JOB_MONTHLY, period)[-1]
    finished = last.finished_at.isoformat(timespec="seconds") if last.finished_at else "?"
    return RunReport(
        JOB_MONTHLY,
        period,
        "skipped",
        last.generation,
        last.forced,
        note=f"{period} was closed at {finished}: nothing done (use --force to close it again)",
    )


_PHASES = (("pulled", "pull feeds"), ("evaluated", "evaluate"), ("reported", "write reports"))


def _close_all(close: _Close, contracts: list[Contract], report: RunReport) -> None:
    """Phase by phase (pull all, evaluate all, reports), then the portfolio and the e-mail."""
    report.contracts = [ContractOutcome(contract.id) for contract in contracts]
    for step, label in _PHASES:
        close.progress.phase(label, len(contracts))
        for outcome in report.contracts:
            if outcome.ok:
                _contract_step(close, outcome, step)
            close.progress.advance(label, outcome.contract_id)
    report.reports = [
        str(path)
        for item in report.contracts
        for path in close.steps.get(("reported", item.contract_id), {}).values()
    ]
    if any(not item.ok for item in report.contracts):
        report.delivery = "waiting: every contract must close before the portfolio and e-mail"
        return
    cards = [close.steps[("reported", item.contract_id)]["scorecard"] for item in report.contracts]
    portfolio = close.step("reported", "portfolio", lambda: _portfolio(close))["portfolio"]
    report.reports.append(portfolio)
    _deliver(close, report, [Path(portfolio), *(Path(str(card)) for card in cards)])


def _contract_step(close: _Close, outcome: ContractOutcome, step: str) -> None:
    """One step for one contract; a failure is the contract's, never the run's."""
    contract_id = outcome.contract_id
    actions: dict[str, Callable[[], dict[str, Any]]] = {
        "pulled": lambda: _pull(close, contract_id),
        "evaluated": lambda: _summary(
            _evaluate_final(close.engine, contract_id, close.period, close.now)
        ),
        "reported": lambda: _reports(close, contract_id),
    }
    try:
        detail = close.step(step, contract_id, actions[step])
    except RunInterrupted:
        raise
    except Exception as error:  # one contract never stops the others
        outcome.error = f"{step}: {describe(error)}"
        return
    outcome.steps.append(step)
    if step == "evaluated":
        _take_summary(outcome, detail)


def _pull(close: _Close, contract_id: str) -> dict[str, Any]:
    if not any(feed.contract == contract_id for feed in close.settings.feeds):
        return {"feeds": 0}
    from slaengine.services.pull import pull_feeds

    pulled = pull_feeds(
        close.engine, close.settings, contract_id, close.period, environ=close.environ
    )
    return {"feeds": len(pulled), "stored": sum(item.ingest.stored for item in pulled)}


def _summary(evaluation: Evaluation) -> dict[str, Any]:
    statuses = [result.status for result in evaluation.objectives]
    return {
        "as_of": evaluation.as_of.isoformat(),
        "breaches": statuses.count("breached"),
        "at_risk": sum(1 for result in evaluation.objectives if result.at_risk),
        "credits": str(evaluation.credits.total),
        "currency": evaluation.credits.currency,
    }


def _take_summary(outcome: ContractOutcome, detail: dict[str, Any]) -> None:
    outcome.breaches, outcome.at_risk = int(detail["breaches"]), int(detail["at_risk"])
    outcome.credits, outcome.currency = str(detail["credits"]), str(detail["currency"])


def _reports(close: _Close, contract_id: str) -> dict[str, Any]:
    as_of = datetime.fromisoformat(close.steps[("evaluated", contract_id)]["as_of"])
    folder = close.settings.reports_dir
    scorecard = close.reports.write_scorecard(contract_id, folder, as_of=as_of, csv=True)
    audit = close.reports.write_audit(contract_id, folder, as_of=as_of)
    return {"scorecard": str(scorecard), "audit": str(audit)}


def _portfolio_as_of(close: _Close) -> datetime:
    return max(
        datetime.fromisoformat(detail["as_of"])
        for (name, _), detail in close.steps.items()
        if name == "evaluated"
    )


def _portfolio(close: _Close) -> dict[str, Any]:
    path = close.reports.write_portfolio(close.settings.reports_dir, as_of=_portfolio_as_of(close))
    return {"portfolio": str(path)}


def mail_key(period: str, generation: int) -> str:
    """The delivery log's key of the close e-mail of `period`'s run `generation`."""
    return f"email:{JOB_MONTHLY}:{period}:g{generation}"


def _unconfirmed_mail(engine: Engine, period: str) -> DeliveryRecord | None:
    """The e-mail of `period`'s last run if that run is unfinished and the e-mail's fate unknown."""
    runs = run_repo.runs_of(engine, JOB_MONTHLY, period)
    if not runs or runs[-1].outcome == "done":
        return None
    known = run_repo.delivery(engine, mail_key(period, runs[-1].generation))
    return known if known is not None and known.status == "sending" else None


def _deliver(close: _Close, report: RunReport, attachments: list[Path]) -> None:
    """One e-mail to the director list; a failure is recorded, never raised."""
    if not close.settings.delivery.director:
        close.step("delivered", "director", lambda: {"skipped": "no [delivery] director"})
        report.delivery = "not sent: [delivery] director is empty"
        return
    key = mail_key(close.period, close.run.generation)
    portfolio = close.reports.portfolio(as_of=_portfolio_as_of(close))
    mail = close_mail(
        close.settings, portfolio, attachments, close.run.generation, locale=close.locale
    )
    known = run_repo.delivery(close.engine, key)
    try:
        check_delivery(close.settings.delivery)  # before a wait is worked out from it
        if ("delivered", "director") not in close.steps and known is not None:
            if known.status == "sent":  # sent; the process died before the step was recorded
                close.step("delivered", "director", lambda: _sent_detail(mail, known.attempts))
            elif known.status == "sending":
                if not _may_resend(close, known):
                    _hold_unconfirmed(close, report, known)
                    return
                mail = replace(mail, message_id=known.payload.get("message_id") or mail.message_id)
                _announce_resend(close, report, known)
        close.step("delivered", "director", lambda: _send(close, key, mail))
    except SlaEngineError as error:  # DeliveryError, or a [delivery] setting refused
        run_repo.record_delivery(
            close.engine,
            key,
            channel="email",
            payload=_mail_json(mail),
            error=str(error),
            attempts=error.attempts if isinstance(error, DeliveryError) else 0,
            now=close.now,
        )
        report.error = f"delivery: {describe(error)}"
        report.delivery = "failed (retried by the next run)"
        return
    report.delivery = f"{report.delivery or 'sent'} to {', '.join(mail.recipients)}"


def _may_resend(close: _Close, known: DeliveryRecord) -> bool:
    """An e-mail of unknown fate goes again only when forced or after the configured wait."""
    if close.resend_unconfirmed:
        return True
    wait = timedelta(hours=float(close.settings.delivery.resend_unconfirmed_after_hours))
    return close.now >= _intent_at(known) + wait


def _intent_at(known: DeliveryRecord) -> datetime:
    return datetime.fromisoformat(str(known.payload["intent_at"]))


def _hold_unconfirmed(close: _Close, report: RunReport, known: DeliveryRecord) -> None:
    """Say, in the run's error (the ledger) and the log, why the e-mail is not sent again."""
    hours = float(close.settings.delivery.resend_unconfirmed_after_hours)
    resend_at = _intent_at(known) + timedelta(hours=hours)
    message = (
        f"the e-mail {known.payload.get('message_id')} to {', '.join(known.payload['to'])} was"
        f" handed to the SMTP server at {_intent_at(known).isoformat(timespec='seconds')} and"
        " the close stopped before its outcome was recorded: it may have been delivered, so it"
        " is not sent again; check the director's mailbox or the server's log, then resend it"
        f" with `slaengine run monthly --period {close.period} --force` (same Message-ID), or"
        f" the close resends it from {resend_at.isoformat(timespec='seconds')}"
        " ([delivery] resend_unconfirmed_after_hours)"
    )
    logger.warning("monthly_close %s: %s", close.period, message)
    report.error = f"delivery unconfirmed: {message}"
    report.delivery = "unconfirmed: not sent again (see the error)"


def _announce_resend(close: _Close, report: RunReport, known: DeliveryRecord) -> None:
    """Say in the log that an e-mail whose fate was unknown goes again, and why."""
    why = (
        "--force"
        if close.resend_unconfirmed
        else "[delivery] resend_unconfirmed_after_hours have passed"
    )
    logger.warning(
        "monthly_close %s: sending again the e-mail %s, same Message-ID, whose sending at %s"
        " stopped before its outcome was recorded (%s)",
        close.period,
        known.payload.get("message_id"),
        _intent_at(known).isoformat(timespec="seconds"),
        why,
    )
    report.delivery = "sent again (same Message-ID, its first sending was unconfirmed)"


def _send(close: _Close, key: str, mail: Mail) -> dict[str, Any]:
    close.progress.phase("delivery", 1)
    intent = {**_mail_json(mail), "intent_at": close.now.isoformat()}
    run_repo.record_intent(close.engine, key, channel="email", payload=intent, now=close.now)
    attempts = send_mail(close.settings.delivery, mail, environ=close.environ, **close.mail_options)
    # the point of no return: a kill from here until the outcome is recorded leaves `sending`
    close.progress.advance("delivery", "director")
    run_repo.record_delivery(
        close.engine,
        key,
        channel="email",
        payload=_mail_json(mail),
        error=None,
        attempts=attempts,
        now=close.now,
    )
    return _sent_detail(mail, attempts)


def _sent_detail(mail: Mail, attempts: int) -> dict[str, Any]:
    return {"to": list(mail.recipients), "subject": mail.subject, "attempts": attempts}


def _mail_json(mail: Mail) -> dict[str, Any]:
    return {
        "message_id": mail.message_id,
        "to": list(mail.recipients),
        "subject": mail.subject,
        "attachments": [item.filename for item in mail.attachments],
    }


def complete_unfinished(
    engine: Engine,
    settings: Settings,
    *,
    now: datetime,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> list[RunReport]:
    """Resume every monthly close the ledger shows unfinished (interrupted or failed)."""
    done: list[RunReport] = []
    periods = sorted({run.period for run in run_repo.unfinished_runs(engine, JOB_MONTHLY)})
    for period in periods:
        if run_repo.runs_of(engine, JOB_MONTHLY, period)[-1].outcome == "done":
            continue  # an older generation failed, a later one closed the month
        try:
            done.append(
                close_month(
                    engine,
                    settings,
                    period,
                    now=now,
                    progress=progress,
                    should_stop=should_stop,
                )
            )
        except SlaEngineError as error:
            done.append(RunReport(JOB_MONTHLY, period, "failed", error=describe(error)))
    return done
