"""Write reports: the month's result as it stands at `as_of`, built, rendered to reports/.

`as_of` (default now in the CLI) only decides which result a report shows (SPEC section 5): a
month settled by then is reported with its FINAL result (computed and stored first when none
is stored or its inputs changed since: a restatement); an unsettled month with a PROVISIONAL
result as of `as_of`. Every page says which (`lifecycle_line`); a restated month's reports
list what changed (`restatement_notes`).

File names: `scorecard-<contract>-<YYYY-MM>.pdf` (and `.csv`), `portfolio-<YYYY-MM>.pdf`,
`audit-<contract>-<YYYY-MM>.pdf`, `benchmark-<activity>-<YYYY-MM>.pdf`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from pathlib import Path

from sqlalchemy.engine import Engine

from slaengine import __version__
from slaengine.adapters.csv.report import write_objectives_csv
from slaengine.adapters.pdf import render_audit, render_benchmark, render_portfolio
from slaengine.adapters.pdf import render_scorecard as render_scorecard_pdf
from slaengine.adapters.storage.evaluation_repo import evaluation_history, final_runs
from slaengine.adapters.storage.feed_repo import (
    FeedFileRecord,
    feed_files,
    feed_files_for_period,
    restatements,
)
from slaengine.domain.contract.calendars import BusinessCalendar
from slaengine.domain.contract.model import Contract
from slaengine.domain.contract.periods import shift_period
from slaengine.domain.evaluation.benchmark import BenchmarkResult
from slaengine.domain.evaluation.results import Evaluation
from slaengine.domain.evaluation.settlement import settlement_instant
from slaengine.domain.reports import (
    FeedFileInfo,
    Portfolio,
    Scorecard,
    build_audit,
    build_portfolio,
    build_scorecard,
)
from slaengine.domain.reports.lifecycle import FeedFileSeen, describe_restatements, lifecycle_line
from slaengine.domain.reports.no_data import no_data_text
from slaengine.domain.reports.relief import ReliefLine, relief_lines
from slaengine.domain.reports.text import period_days
from slaengine.errors import ContractNotFound, EvaluationError, SlaEngineError
from slaengine.services.benchmark import load_benchmark_spec, run_benchmark
from slaengine.services.contracts import (
    StoredContract,
    contract_in_force,
    contracts_in_force,
)
from slaengine.services.evaluation import run_evaluation

HISTORY_MONTHS = 11
_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def check_period(period: str) -> str:
    """`YYYY-MM` or EvaluationError saying so."""
    if not _PERIOD.match(period):
        raise EvaluationError(f"period {period!r}: expected YYYY-MM, such as 2026-10")
    return period


def _stored_contract(engine: Engine, contract_id: str, period: str) -> StoredContract:
    first, last = period_days(period)
    try:
        return contract_in_force(engine, contract_id, first)
    except ContractNotFound:
        return contract_in_force(engine, contract_id, last)


def _evaluation(engine: Engine, contract_id: str, period: str, as_of: datetime) -> Evaluation:
    """The month's result at `as_of`: final when settled by then, else provisional."""
    return run_evaluation(engine, contract_id, period, as_of=as_of, store=True).evaluation


def _history(engine: Engine, contract_id: str, period: str) -> list[Evaluation]:
    return list(evaluation_history(engine, contract_id, shift_period(period, -1), HISTORY_MONTHS))


def _period_bounds(contract: Contract, period: str) -> tuple[datetime, datetime]:
    first, last = period_days(period)
    end_day = date.fromordinal(last.toordinal() + 1)
    zone = contract.zone
    return datetime.combine(first, time(), zone), datetime.combine(end_day, time(), zone)


def feed_infos(engine: Engine, contract: Contract, period: str) -> list[FeedFileInfo]:
    """The feed files stored for the period, as reports show them."""
    start, end = _period_bounds(contract, period)
    records = feed_files_for_period(engine, contract.id, start, end)
    return [_feed_info(record) for record in records]


def _feed_info(record: FeedFileRecord) -> FeedFileInfo:
    return FeedFileInfo(
        file_name=str(record.file_name),
        kind=str(record.kind),
        sha256=str(record.sha256),
        rows=int(record.rows),
        stored=int(record.stored),
        quarantined=int(record.quarantined),
        reasons=dict(record.reasons or {}),
        received_at=record.received_at,
        source=record.source,
        status=record.status,
    )


def restatement_notes(engine: Engine, contract: Contract, period: str) -> list[str]:
    """What each restatement of the month's final result changed, then corrected contacts."""
    return [
        *_final_restatements(engine, contract, period),
        *_feed_restatements(engine, contract, period),
    ]


def _final_restatements(engine: Engine, contract: Contract, period: str) -> list[str]:
    """For each final result that replaced another: the inputs that changed, what moved."""
    finals = final_runs(engine, contract.id, period)
    if len(finals) < 2:
        return []
    files = {
        record.sha256: FeedFileSeen(
            record.sha256, record.file_name, record.kind, record.received_at
        )
        for record in feed_files(engine, contract.id)
    }
    pairs = [(item.evaluation, item.inputs) for item in finals]
    return describe_restatements(pairs, files, contract.zone)


def lifecycle_of(contract: Contract, evaluation: Evaluation) -> str:
    """The provisional / final / restated line every page of the month's reports carries."""
    return lifecycle_line(evaluation, contract.zone)


def _feed_restatements(engine: Engine, contract: Contract, period: str) -> list[str]:
    """Restated contacts of the period, one line per (older file, newer file) pair."""
    start, end = _period_bounds(contract, period)
    pairs: dict[tuple[str, str], list[datetime]] = {}
    for item in restatements(engine, contract.id, start, end):
        pairs.setdefault((item.old_file_sha256, item.new_file_sha256), []).append(item.replaced_at)
    from slaengine.i18n import current, ngettext

    return [
        ngettext(
            "{count} contact of feed file {old} replaced by feed file {new} (ingested {instant})",
            "{count} contacts of feed file {old} replaced by feed file {new} (ingested {instant})",
            len(times),
        ).format(
            count=current().count(len(times)),
            old=old[:12],
            new=new[:12],
            instant=current().instant(max(times), contract.zone),
        )
        for (old, new), times in pairs.items()
    ]


def benchmark_of(
    engine: Engine, activity: str, period: str, as_of: datetime, contracts_dir: Path | None
) -> BenchmarkResult:
    """The activity's benchmark, on `contracts_dir/benchmark.yaml` when it has one."""
    spec = load_benchmark_spec(contracts_dir, activity) if contracts_dir else None
    return run_benchmark(engine, activity, period, as_of=as_of, benchmark_spec=spec)


def benchmark_or_none(
    engine: Engine,
    activity: str,
    period: str,
    as_of: datetime,
    contracts_dir: Path | None = None,
) -> BenchmarkResult | None:
    """The activity's benchmark; None (a scorecard without that section) when it cannot run."""
    try:
        return benchmark_of(engine, activity, period, as_of, contracts_dir)
    except SlaEngineError:
        return None


def closed_days_of(contract: Contract, period: str) -> dict[date, str]:
    """Closed days of the calendars that day-window objectives use (not missing data)."""
    first, last = period_days(period)
    found: dict[date, str] = {}
    for objective in contract.objectives:
        if objective.window == "day" and objective.calendar in contract.calendars:
            calendar = BusinessCalendar.from_contract(contract, objective.calendar)
            found.update(calendar.closed_days(first, last))
    return found


@dataclass(frozen=True)
class _ContractMonth:
    """What a contract's reports of the month show besides the benchmark."""

    stored: StoredContract
    evaluation: Evaluation
    history: list[Evaluation]
    feeds: list[FeedFileInfo]
    restatements: list[str]
    relief: tuple[ReliefLine, ...] = ()


class MonthReports:
    """The reports of one month, sharing what they read: each contract's result and feeds
    once, each activity's benchmark once per instant (51 benchmarks of 50 contracts each
    were most of a 50-contract close).

    For one batch of reports (a monthly close): feeds or results stored meanwhile are not
    seen. A settled month's result is the same at every `as_of` after its settlement, so it
    is read once; before, once per `as_of`.
    """

    def __init__(self, engine: Engine, period: str, *, contracts_dir: Path | None = None):
        self.engine = engine
        self.period = check_period(period)
        self.contracts_dir = contracts_dir
        self._contracts: dict[str, StoredContract] = {}
        self._months: dict[tuple[str, datetime | None], _ContractMonth] = {}
        self._benchmarks: dict[tuple[str, datetime, Path | None], BenchmarkResult | None] = {}

    def contract_month(self, contract_id: str, as_of: datetime) -> _ContractMonth:
        """The contract's result at `as_of` and the inputs of its reports."""
        if contract_id not in self._contracts:
            self._contracts[contract_id] = _stored_contract(self.engine, contract_id, self.period)
        stored = self._contracts[contract_id]
        settled = as_of >= settlement_instant(stored.contract, self.period)
        key = (contract_id, None if settled else as_of)
        if key not in self._months:
            self._months[key] = self._read_month(stored, as_of)
        return self._months[key]

    def _read_month(self, stored: StoredContract, as_of: datetime) -> _ContractMonth:
        contract: Contract = stored.contract
        return _ContractMonth(
            stored,
            _evaluation(self.engine, contract.id, self.period, as_of),
            _history(self.engine, contract.id, self.period),
            feed_infos(self.engine, contract, self.period),
            restatement_notes(self.engine, contract, self.period),
            month_relief_lines(self.engine, contract, self.period),
        )

    def benchmark(
        self, activity: str, as_of: datetime, contracts_dir: Path | None
    ) -> BenchmarkResult | None:
        """`benchmark_or_none`, once per activity, instant and benchmark folder."""
        key = (activity, as_of, contracts_dir)
        if key not in self._benchmarks:
            self._benchmarks[key] = benchmark_or_none(
                self.engine, activity, self.period, as_of, contracts_dir
            )
        return self._benchmarks[key]

    def scorecard(
        self,
        contract_id: str,
        *,
        as_of: datetime,
        benchmark: BenchmarkResult | None = None,
        contracts_dir: Path | None = None,
    ) -> Scorecard:
        """`scorecard_for`: `benchmark`, else the activity's (on `contracts_dir`'s spec)."""
        month = self.contract_month(contract_id, as_of)
        contract: Contract = month.stored.contract
        if benchmark is None:
            benchmark = self.benchmark(contract.activity, as_of, contracts_dir)
        card = build_scorecard(
            contract,
            month.evaluation,
            history=month.history,
            feeds=month.feeds,
            benchmark=benchmark,
            restatements=month.restatements,
            closed_days=closed_days_of(contract, self.period),
        )
        return replace(
            card,
            lifecycle=lifecycle_of(contract, month.evaluation),
            lifecycle_kind=month.evaluation.lifecycle,
            relief=month.relief,
            no_data=no_data_text(contract, self.period, (feed.kind for feed in month.feeds)),
        )

    def write_scorecard(
        self, contract_id: str, reports_dir: Path, *, as_of: datetime, csv: bool = False
    ) -> Path:
        """`write_scorecard`, with the benchmark of this object's `contracts_dir`."""
        card = self.scorecard(contract_id, as_of=as_of, contracts_dir=self.contracts_dir)
        path = render_scorecard_pdf(
            card, reports_dir / f"scorecard-{contract_id}-{self.period}.pdf"
        )
        if csv:
            write_objectives_csv(card, path.with_suffix(".csv"))
        return path

    def write_portfolio(self, reports_dir: Path, *, as_of: datetime) -> Path:
        """`write_portfolio`: every contract in force during the period."""
        portfolio = self.portfolio(as_of=as_of)
        return render_portfolio(portfolio, reports_dir / f"portfolio-{self.period}.pdf")

    def portfolio(self, *, as_of: datetime) -> Portfolio:
        """What the portfolio says: every contract in force during the period."""
        contracts = contracts_in_force(self.engine, self.period)
        if not contracts:
            raise ContractNotFound(
                f"no contract is in force in {self.period}: load contracts first"
            )
        benchmarks = {
            c.activity: self.benchmark(c.activity, as_of, self.contracts_dir) for c in contracts
        }
        # a card whose activity has no benchmark looks for the default one (no contracts_dir)
        cards = [
            self.scorecard(c.id, as_of=as_of, benchmark=benchmarks[c.activity]) for c in contracts
        ]
        results: Sequence[BenchmarkResult] = [b for b in benchmarks.values() if b is not None]
        return replace(
            build_portfolio(self.period, cards, results),
            lifecycle=_portfolio_line(cards, contracts),
            pending_relief=_pending_relief(self.engine, contracts),
        )

    def write_audit(self, contract_id: str, reports_dir: Path, *, as_of: datetime) -> Path:
        """`write_audit` (byte-identical for identical stored inputs)."""
        month = self.contract_month(contract_id, as_of)
        stored, contract = month.stored, month.stored.contract
        audit = build_audit(
            contract,
            month.evaluation,
            spec_text=str(stored.raw_text),
            contract_file_hash=str(stored.file_hash),
            engine_version=__version__,
            feeds=month.feeds,
            restatements=month.restatements,
            contract_source=str(stored.source_path) if stored.source_path else None,
        )
        audit = replace(
            audit, lifecycle=lifecycle_of(contract, month.evaluation), relief=month.relief
        )
        return render_audit(audit, reports_dir / f"audit-{contract_id}-{self.period}.pdf")


def month_relief_lines(engine: Engine, contract: Contract, period: str) -> tuple[ReliefLine, ...]:
    """The month's relief requests as reports show them, with the contacts inside each."""
    from slaengine.services.relief import month_relief, relief_contacts

    requests = month_relief(engine, contract, period)
    if not requests:
        return ()
    contacts = relief_contacts(engine, contract, period, requests)
    return relief_lines(requests, contract.zone, contacts)


def _pending_relief(
    engine: Engine, contracts: Sequence[Contract]
) -> tuple[tuple[str, str, int], ...]:
    from slaengine.services.relief import pending_by_contract

    counted = pending_by_contract(engine, [contract.id for contract in contracts])
    return tuple(
        (contract.provider.name, contract.id, counted[contract.id])
        for contract in contracts
        if counted.get(contract.id)
    )


def scorecard_for(
    engine: Engine,
    contract_id: str,
    period: str,
    *,
    as_of: datetime,
    benchmark: BenchmarkResult | None = None,
    contracts_dir: Path | None = None,
) -> Scorecard:
    """Build the scorecard of a stored contract and period (evaluating it if needed)."""
    return MonthReports(engine, period).scorecard(
        contract_id, as_of=as_of, benchmark=benchmark, contracts_dir=contracts_dir
    )


def write_scorecard(
    engine: Engine,
    contract_id: str,
    period: str,
    reports_dir: Path,
    *,
    as_of: datetime,
    csv: bool = False,
    contracts_dir: Path | None = None,
) -> Path:
    """Write `scorecard-<contract>-<period>.pdf` (and its `.csv` twin) and return the PDF path."""
    reports = MonthReports(engine, period, contracts_dir=contracts_dir)
    return reports.write_scorecard(contract_id, reports_dir, as_of=as_of, csv=csv)


def write_portfolio(
    engine: Engine,
    period: str,
    reports_dir: Path,
    *,
    as_of: datetime,
    contracts_dir: Path | None = None,
) -> Path:
    """Write `portfolio-<period>.pdf`: every contract in force during the period."""
    reports = MonthReports(engine, period, contracts_dir=contracts_dir)
    return reports.write_portfolio(reports_dir, as_of=as_of)


def _portfolio_line(cards: Sequence[Scorecard], contracts: Sequence[Contract]) -> str:
    """Which contracts are provisional (as of when), final, or restated; short enough for
    the page header."""
    from slaengine.i18n import _, current

    zones = {contract.id: contract.zone for contract in contracts}
    groups: dict[str, list[Scorecard]] = {}
    for card in cards:
        groups.setdefault(card.lifecycle_kind, []).append(card)
    everyone = len(groups) == 1
    parts = []
    labels = (("provisional", ""), ("final", _("final")), ("restated", _("restated final")))
    for kind, label in labels:
        members = groups.get(kind, [])
        if not members:
            continue
        ids = _("every contract") if everyone else ", ".join(c.contract_id for c in members)
        if kind == "provisional":
            zone = zones[members[0].contract_id]
            instant = current().instant(members[0].as_of, zone)
            label = _("provisional as of {instant}").format(instant=instant)
        parts.append(_("{label}: {value}").format(label=label, value=ids))
    return " · ".join(parts)


def write_audit(
    engine: Engine, contract_id: str, period: str, reports_dir: Path, *, as_of: datetime
) -> Path:
    """Write `audit-<contract>-<period>.pdf` (byte-identical for identical stored inputs)."""
    return MonthReports(engine, period).write_audit(contract_id, reports_dir, as_of=as_of)


def write_benchmark(
    engine: Engine,
    activity: str,
    period: str,
    reports_dir: Path,
    *,
    as_of: datetime,
    contracts_dir: Path | None = None,
) -> Path:
    """Write `benchmark-<activity>-<period>.pdf`."""
    check_period(period)
    result = benchmark_of(engine, activity, period, as_of, contracts_dir)
    return render_benchmark(result, reports_dir / f"benchmark-{activity}-{period}.pdf")
