"""Use case: evaluate a contract over a month from stored feeds, store it, print it as SPEC JSON.

Lifecycle (SPEC section 5, docs/evaluation.md): at or after the month's settlement instant
(`slaengine.domain.evaluation.settlement`) the result is FINAL, computed as of that instant and
keyed by its inputs (contract file sha256, feed files in force, engine version, earlier months'
results); a final is computed only when none is stored or the key changed (a restatement).
Before, the result is PROVISIONAL as of `as_of`, stored apart. `final_evaluation` is the API
of the monthly close; `run_evaluation` says what was stored.

Wiring only: the contract version IN FORCE for the period (never the latest), the contacts
(or, failing those, the intervals) arriving in the month, forecasts for the volume band, the
costs of the month, and the stored evaluations of earlier months (earn-back, chronic
failure). Month to date, only contacts and intervals arriving before as_of count. Where
intervals exist beside contacts, they give the provider-reported figures.

JSON (`evaluation_to_json`): SPEC section 4's keys plus extra ones. Fractions 0..1 and nps
are rounded to 4 decimals, seconds to 2 decimals, money is a decimal string (cents);
numerators and denominators are exact (integer counts, seconds as numbers, money as strings).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from slaengine import __version__
from slaengine.domain.contract.periods import (
    FIRST_PERIOD,
    Period,
    instant_problem,
    period_problem,
    shift_period,
)
from slaengine.domain.contract.vocabulary import FRACTION_KPIS, REAL_TIME_CHANNELS
from slaengine.domain.evaluation.results import (
    Evaluation,
    ExcludedDay,
    ObjectiveResult,
    WindowResult,
)
from slaengine.errors import ContractNotFound, EvaluationError, MonthNotSettled

if TYPE_CHECKING:  # imported where a month is computed: a stored month is read without them
    import polars as pl

    from slaengine.adapters.compute.tally import ContactGroups
    from slaengine.adapters.storage.contract_repo import VersionRecord
    from slaengine.adapters.storage.evaluation_codec import StoredFinal
    from slaengine.domain.contract.model import Contract, Objective
    from slaengine.domain.evaluation.kpis import Counts


@dataclass
class _Inputs:
    """What the domain evaluation needs, gathered from storage."""

    daily: dict[str, dict[date, Counts]] = field(default_factory=dict)
    undetermined: dict[str, str] = field(default_factory=dict)
    provider_reported: dict[str, float | None] = field(default_factory=dict)
    costs: dict[str, Decimal] = field(default_factory=dict)
    excluded_days: tuple[ExcludedDay, ...] = ()
    hashes: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)


def contract_for_period(engine: Engine, contract_id: str, period: str) -> Any:
    """The StoredContract in force on the first day of the period (else its last day)."""
    from slaengine.services.contracts import contract_in_force

    first = _first_day(period)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    try:
        return contract_in_force(engine, contract_id, first)
    except ContractNotFound:
        return contract_in_force(engine, contract_id, last)


def _first_day(period: str) -> date:
    try:
        first = datetime.strptime(period, "%Y-%m").date()
    except ValueError:
        raise EvaluationError(
            f"expected a period as YYYY-MM, such as 2026-10, found {period!r}"
        ) from None
    if problem := period_problem(period):
        raise EvaluationError(problem)
    return first


@dataclass(frozen=True)
class EvaluationOutcome:
    """An evaluation and what storing it did.

    `stored` is False when nothing new was written (unchanged inputs of a final, the same
    provisional run already stored, or `store=False`); `replaced` is the earlier final
    result a restated one replaces.
    """

    evaluation: Evaluation
    stored: bool
    replaced: Evaluation | None = None


class _Run:
    """One top-level evaluation: the engine and the months already settled in this run."""

    def __init__(self, engine: Engine, now: datetime, *, store: bool = True) -> None:
        self.engine = engine
        self.now = now
        self.store = store  # False: nothing at all is written, earlier months' finals included
        self.finals: dict[tuple[str, str], EvaluationOutcome] = {}
        self._settles: dict[tuple[str, int, str], datetime] = {}
        self._digests: dict[tuple[str, str, str], str] = {}
        self._contracts: dict[tuple[str, str], Any] = {}

    def contract(self, contract_id: str, period: str) -> Any:
        """`contract_for_period`, once per month in this run (None: no version in force)."""
        key = (contract_id, period)
        if key not in self._contracts and period_problem(period):  # before the engine's range
            self._contracts[key] = None
        if key not in self._contracts:
            try:
                self._contracts[key] = contract_for_period(self.engine, contract_id, period)
            except ContractNotFound:
                self._contracts[key] = None
        return self._contracts[key]

    def digest(self, evaluation: Evaluation) -> str:
        """`result_digest`, once per final result in this run (it serialises the result)."""
        from slaengine.adapters.storage.evaluation_repo import result_digest

        if evaluation.lifecycle == "provisional":
            return result_digest(evaluation)
        key = (evaluation.contract_id, evaluation.period, evaluation.lifecycle)
        if key not in self._digests:
            self._digests[key] = result_digest(evaluation)
        return self._digests[key]

    def settles(self, contract: Contract, period: str) -> datetime:
        """`settlement_instant`, once per contract version and month in this run."""
        from slaengine.domain.evaluation.settlement import settlement_instant

        key = (contract.id, contract.version, period)
        if key not in self._settles:
            self._settles[key] = settlement_instant(contract, period)
        return self._settles[key]


def run_evaluation(
    engine: Engine, contract_id: str, period: str, *, as_of: datetime, store: bool = True
) -> EvaluationOutcome:
    """Evaluate the month as of `as_of` (SPEC section 5).

    At or after the month's settlement instant: its FINAL result, as of the settlement
    instant whatever `as_of` says, computed only when no final is stored or its inputs
    changed (then a restatement). Before: a PROVISIONAL result as of `as_of`, stored apart
    (unless `store` is False), never the month's result. Raises EvaluationError (bad
    period, naive as_of, as_of before the month) and ContractNotFound.
    """
    if as_of.tzinfo is None:
        raise EvaluationError(f"as_of {as_of.isoformat()} has no UTC offset")
    if problem := instant_problem(as_of):
        raise EvaluationError(problem)
    _first_day(period)
    known = current_final(engine, contract_id, period, as_of)
    if known is not None:  # the stored final result, its inputs unchanged: nothing to compute
        return EvaluationOutcome(known, stored=False)
    from slaengine.domain.evaluation.settlement import settlement_instant

    stored = contract_for_period(engine, contract_id, period)
    run = _Run(engine, datetime.now(UTC), store=store)
    settles = settlement_instant(stored.contract, period)
    if as_of >= settles:
        return _final(run, stored, period, settles, store=store)
    return _provisional(run, stored, period, as_of, settles, store=store)


def evaluate_period(
    engine: Engine, contract_id: str, period: str, *, as_of: datetime, store: bool = True
) -> Evaluation:
    """`run_evaluation(...).evaluation`: the final or provisional result of the month."""
    return run_evaluation(engine, contract_id, period, as_of=as_of, store=store).evaluation


def final_evaluation(engine: Engine, contract_id: str, period: str, *, now: datetime) -> Evaluation:
    """The month's final result: the stored one, or computed and stored when none is stored
    or its inputs changed since (a restatement).

    Raises MonthNotSettled when `now` is before the month's settlement instant, and
    EvaluationError / ContractNotFound as `run_evaluation`.
    """
    if now.tzinfo is None:
        raise EvaluationError(f"now {now.isoformat()} has no UTC offset")
    _first_day(period)
    known = current_final(engine, contract_id, period, now)
    if known is not None:
        return known
    from slaengine.domain.evaluation.settlement import settlement_instant

    stored = contract_for_period(engine, contract_id, period)
    settles = settlement_instant(stored.contract, period)
    if now < settles:
        zone = stored.contract.zone
        raise MonthNotSettled(
            f"{contract_id} {period} is not settled before"
            f" {settles.astimezone(zone):%Y-%m-%d %H:%M} ({zone.key}): some contacts of the"
            " month still have a deadline to run, so its final result cannot be computed yet"
            " (evaluate it without --as-of for a provisional view)",
            settles,
        )
    return _final(_Run(engine, now), stored, period, settles, store=True).evaluation


def settles_at(engine: Engine, contract_id: str, period: str) -> datetime:
    """The settlement instant of the month, for the contract version in force."""
    from slaengine.domain.evaluation.settlement import settlement_instant

    _first_day(period)
    return settlement_instant(contract_for_period(engine, contract_id, period).contract, period)


def current_final(
    engine: Engine, contract_id: str, period: str, as_of: datetime
) -> Evaluation | None:
    """The month's stored final result when `run_evaluation` would return it unchanged as of
    `as_of`, else None (then the month is evaluated as ever).

    Read from storage alone: no contract validated, no settlement instant computed, no feed
    file opened (a person asking for a settled month waits for none of it). The inputs key of
    the month, and of every earlier month its result depends on, is rebuilt from the stored
    versions, feed files, earlier results and the stored settlement instants, and must equal
    the stored fingerprint. Any doubt answers None: no final stored, a contract with relief
    requests, an earlier month that would be provisional in the history.

    Read through a `reading` engine: on SQLite it never waits for another process's write
    (an ingest) and sees what was last committed; a feed file committed meanwhile changes the
    key, and then the full evaluation (which waits for the write lock) decides.
    """
    from slaengine.adapters.storage.engine import reading

    standing = _Standing(reading(engine), contract_id)
    final = standing.final(period)
    if final is None or final.evaluation.settles_at is None:
        return None
    if as_of < final.evaluation.settles_at or not standing.current(period):
        return None
    return final.evaluation


class _Standing:
    """Whether stored finals of one contract are current (`current_final`), month by month."""

    def __init__(self, engine: Engine, contract_id: str) -> None:
        from slaengine.adapters.storage.contract_repo import version_records

        self.engine = engine
        self.contract_id = contract_id
        self._versions = version_records(engine, contract_id)
        self._finals: dict[str, StoredFinal | None] = {}
        self._current: dict[str, bool] = {}
        self._digests: dict[str, str] = {}
        self._relief: bool | None = None

    def version(self, period: str) -> VersionRecord | None:
        """`contract_for_period`'s choice (the version in force on the first day of the month,
        else on its last day), as `_Run.contract` makes it: None when there is none."""
        if period_problem(period):
            return None
        first = _first_day(period)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        for day in (first, last):
            for record in self._versions:
                if record.covers(day):
                    return record
        return None

    def final(self, period: str) -> StoredFinal | None:
        from slaengine.adapters.storage.evaluation_codec import standing_final

        if period not in self._finals:
            self._finals[period] = standing_final(self.engine, self.contract_id, period)
        return self._finals[period]

    def current(self, period: str) -> bool:
        """`_final` would find the month's inputs key unchanged (its stored result stands)."""
        if period not in self._current:
            self._current[period] = self._key_unchanged(period)
        return self._current[period]

    def _key_unchanged(self, period: str) -> bool:
        record, final = self.version(period), self.final(period)
        if record is None or final is None or final.evaluation.settles_at is None:
            return False
        history = self._history(period, record, final.evaluation.settles_at)
        if history is None or self._has_relief():
            return False
        month = Period.in_zone(period, ZoneInfo(record.timezone))
        key = {  # `_inputs_key`, built from what is stored
            "contract": {"id": record.contract_id, "version": record.version,
                         "sha256": record.file_hash},
            "period": period,
            "feeds": list(_feed_hashes(self.engine, self.contract_id, month)),
            "engine": __version__,
            "history": history,
        }  # fmt: skip
        return _digest(key) == final.fingerprint

    def _history(self, period: str, record: VersionRecord, at: datetime) -> dict[str, str] | None:
        """`_history`'s digests, every earlier month being final at `at` and current (None
        otherwise: a month provisional in the history is computed, never stored)."""
        found: dict[str, str] = {}
        for step in range(stored_history_months(record.document), 0, -1):
            earlier = shift_period(period, -step)
            if self.version(earlier) is None:
                continue
            final = self.final(earlier)
            settles = final.evaluation.settles_at if final is not None else None
            if final is None or settles is None or at < settles or not self.current(earlier):
                return None
            found[earlier] = self._digest(earlier, final)
        return found

    def _digest(self, period: str, final: StoredFinal) -> str:
        """`result_digest` of a month's stored result, once (`_Run.digest`)."""
        from slaengine.adapters.storage.evaluation_codec import result_digest

        if period not in self._digests:
            self._digests[period] = result_digest(final.evaluation)
        return self._digests[period]

    def _has_relief(self) -> bool:
        """Relief requested for the contract (any month, any status): left to `_final`."""
        if self._relief is None:
            from slaengine.adapters.storage.relief_repo import has_requests

            self._relief = has_requests(self.engine, self.contract_id)
        return self._relief


def _final(
    run: _Run, stored: Any, period: str, settles: datetime, *, store: bool
) -> EvaluationOutcome:
    contract: Contract = stored.contract
    key = (contract.id, period)
    known = run.finals.get(key)
    if known is not None:
        return known
    from slaengine.adapters.storage.evaluation_repo import standing_final, store_final
    from slaengine.domain.evaluation.settlement import due_cutoff

    history = _history(run, contract, period, settles)
    inputs = _inputs_key(run, stored, period, history)
    fingerprint = _digest(inputs)
    standing = standing_final(run.engine, contract.id, period)
    if standing is not None and standing.fingerprint == fingerprint:
        outcome = EvaluationOutcome(standing.evaluation, stored=False)
    else:
        evaluation = _compute(run.engine, stored, period, settles, due_cutoff(settles), history)
        evaluation = replace(evaluation, lifecycle="final", settles_at=settles)
        replaced = standing.evaluation if standing is not None else None
        if store:
            evaluation, written = store_final(
                run.engine, evaluation, fingerprint, inputs, now=run.now
            )
        else:
            written = False
            if replaced is not None:
                evaluation = replace(evaluation, lifecycle="restated", restated=True)
        outcome = EvaluationOutcome(evaluation, written, replaced)
    run.finals[key] = outcome
    return outcome


def _provisional(
    run: _Run, stored: Any, period: str, as_of: datetime, settles: datetime, *, store: bool
) -> EvaluationOutcome:
    from slaengine.adapters.storage.evaluation_repo import store_provisional, stored_provisional
    from slaengine.domain.evaluation.evaluate import started_period

    contract: Contract = stored.contract
    started_period(contract, period, as_of)  # before the earlier months: name this one
    history = _history(run, contract, period, as_of)
    fingerprint = _digest(_inputs_key(run, stored, period, history))
    known = stored_provisional(run.engine, contract.id, period, as_of, fingerprint)
    if known is not None:  # the same instant with the same inputs: nothing to compute
        return EvaluationOutcome(known, stored=False)
    evaluation = _compute(run.engine, stored, period, as_of, as_of, history)
    evaluation = replace(evaluation, lifecycle="provisional", settles_at=settles)
    if not store:
        return EvaluationOutcome(evaluation, stored=False)
    evaluation, written = store_provisional(run.engine, evaluation, fingerprint, now=run.now)
    return EvaluationOutcome(evaluation, written)


def _compute(
    engine: Engine,
    stored: Any,
    period: str,
    as_of: datetime,
    tally_as_of: datetime,
    history: list[Evaluation],
) -> Evaluation:
    """The domain evaluation; `tally_as_of` decides which deadlines have passed."""
    contract: Contract = _relieved(engine, stored.contract, period)
    month = Period.of(period, contract)
    inputs = _gather(engine, contract, month, as_of, tally_as_of)
    version_note = (
        f"contract {contract.id} version {contract.version} (in force from"
        f" {contract.effective.start.isoformat()}, file sha256 {stored.file_hash[:12]})"
    )
    return evaluate_inputs(contract, period, inputs, as_of, history, version_note)


def evaluate_inputs(
    contract: Contract,
    period: str,
    inputs: _Inputs,
    as_of: datetime,
    history: list[Evaluation],
    note: str,
) -> Evaluation:
    """The domain evaluation of gathered inputs; `note` leads the evaluation's notes."""
    from slaengine.domain.evaluation.evaluate import evaluate

    return evaluate(
        contract,
        period,
        inputs.daily,
        as_of=as_of,
        excluded_days=inputs.excluded_days,
        undetermined=inputs.undetermined,
        costs=inputs.costs,
        history=history,
        provider_reported=inputs.provider_reported,
        input_hashes=inputs.hashes,
        notes=(note, *inputs.notes),
    )


def _inputs_key(run: _Run, stored: Any, period: str, history: list[Evaluation]) -> dict[str, Any]:
    """What a result depends on besides the code: contract file, feed files, earlier months,
    and the month's approved relief (only when there is some, so that the key of a month
    without relief is what it was before relief existed)."""
    contract: Contract = stored.contract
    key: dict[str, Any] = {
        "contract": {"id": contract.id, "version": contract.version, "sha256": stored.file_hash},
        "period": period,
        "feeds": list(_feed_hashes(run.engine, contract.id, Period.of(period, contract))),
        "engine": __version__,
        "history": {item.period: run.digest(item) for item in history},
    }
    relief = _relief_input(run.engine, contract, period)
    if relief:
        key["relief"] = relief
    return key


def _relief_requests(engine: Engine, contract: Contract, period: str) -> list[Any]:
    from slaengine.services.relief import month_relief

    return month_relief(engine, contract, period)


def _relief_input(engine: Engine, contract: Contract, period: str) -> list[dict[str, object]]:
    from slaengine.domain.evaluation.relief import relief_input

    return relief_input(_relief_requests(engine, contract, period), Period.of(period, contract))


def _relieved(engine: Engine, contract: Contract, period: str) -> Contract:
    """The contract with the month's approved relief among its exclusion events."""
    from slaengine.services.relief import with_relief

    return with_relief(contract, _relief_requests(engine, contract, period), period)


def _digest(inputs: dict[str, Any]) -> str:
    text = json.dumps(inputs, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _feed_hashes(engine: Engine, contract_id: str, month: Period) -> tuple[str, ...]:
    from slaengine.adapters.storage import feed_repo

    local_start, local_stop = month.start.astimezone(month.zone), month.stop.astimezone(month.zone)
    files = feed_repo.feed_files_for_period(engine, contract_id, local_start, local_stop)
    return tuple(sorted({record.sha256 for record in files}))


def _history(run: _Run, contract: Contract, period: str, at: datetime) -> list[Evaluation]:
    """Earlier months for earn-back and chronic failure, as they stand at `at`: the final
    result of each month settled by then, else its provisional result as of `at` (not stored).
    """
    months = history_months(contract)
    if months:
        _settle_oldest_first(run, contract.id, period, at)
    found: list[Evaluation] = []
    for step in range(months, 0, -1):
        earlier = shift_period(period, -step)
        stored = run.contract(contract.id, earlier)
        if stored is None:
            continue
        settles = run.settles(stored.contract, earlier)
        if at >= settles:
            found.append(_final(run, stored, earlier, settles, store=run.store).evaluation)
        else:
            outcome = _provisional(run, stored, earlier, at, settles, store=False)
            found.append(outcome.evaluation)
    return found


def history_months(contract: Contract) -> int:
    """How many earlier months a month's result depends on: earn-back, chronic failure and
    continuous improvement look back that far (0: none)."""
    return max(
        contract.credits.earn_back.months if contract.credits and contract.credits.earn_back else 0,
        contract.chronic_failure.within_months if contract.chronic_failure else 0,
        ci.after_months if (ci := contract.continuous_improvement) else 0,
    )


def stored_history_months(document: dict[str, Any]) -> int:
    """`history_months` read from a stored contract's document (`Contract.to_document()`),
    without validating it again."""
    credits = document.get("credits") or {}
    return max(
        int((credits.get("earn_back") or {}).get("months", 0)),
        int((document.get("chronic_failure") or {}).get("within_months", 0)),
        int((document.get("continuous_improvement") or {}).get("after_months", 0)),
    )


def _settle_oldest_first(run: _Run, contract_id: str, period: str, at: datetime) -> None:
    """The final results of the months before `period` settled at `at`, oldest first, back to
    the first month in force: each month's own history is then found in the run, so the
    months are computed one after the other, never by a recursion as deep as the contract is
    long (a month 200 years after the start exceeded Python's recursion limit)."""
    chain = []
    earlier = shift_period(period, -1)
    while (contract_id, earlier) not in run.finals and earlier >= FIRST_PERIOD:
        stored = run.contract(contract_id, earlier)
        if stored is None or at < run.settles(stored.contract, earlier):
            break
        chain.append((stored, earlier))
        earlier = shift_period(earlier, -1)
    for stored, month in reversed(chain):
        _final(run, stored, month, run.settles(stored.contract, month), store=run.store)


def _gather(
    engine: Engine, contract: Contract, month: Period, as_of: datetime, tally_as_of: datetime
) -> _Inputs:
    """The month's inputs, reused when nothing they depend on changed (columnar/cache.py)."""
    from slaengine.adapters.columnar.cache import cached, inputs_key

    key = inputs_key(
        engine, contract, month.name, month.start, month.stop, as_of, tally_as_of=tally_as_of
    )
    return cached(
        engine, key, contract.id, month.name, _Inputs,
        lambda: _gather_uncached(engine, contract, month, as_of, tally_as_of),
    )  # fmt: skip


def _gather_uncached(
    engine: Engine, contract: Contract, month: Period, as_of: datetime, tally_as_of: datetime
) -> _Inputs:
    from slaengine.adapters.columnar.read import fold_slices
    from slaengine.adapters.compute.tally import merge_groups, tallied_columns
    from slaengine.adapters.storage import feed_repo
    from slaengine.adapters.storage.feed_repo import us_of
    from slaengine.domain.evaluation.exclusions import volume_band_days

    # month to date: only what had arrived at as_of (stored data may run past it)
    until = min(month.stop, as_of.astimezone(UTC))
    intervals = feed_repo.intervals_frame(engine, contract.id, month.start, until)
    local_start, local_stop = month.start.astimezone(month.zone), month.stop.astimezone(month.zone)
    files = feed_repo.feed_files_for_period(engine, contract.id, local_start, local_stop)
    inputs = _Inputs(hashes=tuple(sorted({record.sha256 for record in files})))
    forecasts = feed_repo.forecasts(engine, contract.id, month.first, month.end - timedelta(days=1))
    calendars = _calendars(contract)
    # the contacts grouped in slices of stored rows (memory bounded by a slice), then added up
    slices = fold_slices(
        engine, "contacts", contract.id, us_of(month.start), us_of(until),
        tallied_columns(contract.exclusions.events if contract.exclusions else ()),
        lambda contacts: _grouped(contract, contacts, calendars, tally_as_of),
    )  # fmt: skip
    grouped: ContactGroups | None = merge_groups(slices)
    if grouped is not None and not grouped.groups.height and intervals.height:
        grouped = None  # intervals alone: their own tally
    inputs.excluded_days = volume_band_days(
        contract,
        _contacts_per_day(grouped, intervals, contract),
        {(item.day, item.channel): int(item.contacts) for item in forecasts},
    )
    _tally(contract, grouped, intervals, calendars, inputs)
    _costs(contract, feed_repo.costs(engine, contract.id, month.name), inputs)
    return inputs


def _calendars(contract: Contract) -> dict[str, Any]:
    from slaengine.adapters.compute.tally import benchmark_calendars

    try:
        return benchmark_calendars(contract.calendars, contract.zone)
    except ValueError as error:  # unknown holidays country: contract rules should have said
        raise EvaluationError(f"contract {contract.id}: {error}") from None


def _grouped(
    contract: Contract, contacts: pl.DataFrame, calendars: dict[str, Any], as_of: datetime
) -> ContactGroups:
    """The contacts summed once for every objective (adapters/tally.py)."""
    from slaengine.adapters.compute.tally import group_contacts

    events = contract.exclusions.events if contract.exclusions else ()
    return group_contacts(
        contacts, contract.objectives, contract.zone, calendars, as_of=as_of, events=events
    )


def _contacts_per_day(
    grouped: ContactGroups | None, intervals: pl.DataFrame, contract: Contract
) -> dict[tuple[date, str], int]:
    """Contacts per (local day, real-time channel), from contacts or else intervals."""
    from slaengine.adapters.compute.tally import contacts_per_day

    if grouped is not None and grouped.groups.height:
        found = contacts_per_day(grouped)
        return {key: n for key, n in found.items() if key[1] in REAL_TIME_CHANNELS}
    counted: Counter[tuple[date, str]] = Counter()
    for row in intervals.iter_rows(named=True):
        day = row["interval_start"].astimezone(contract.zone).date()
        counted[(day, row["channel"])] += int(row["offered"])
    return dict(counted)


def _tally(
    contract: Contract,
    grouped: ContactGroups | None,
    intervals: pl.DataFrame,
    calendars: dict[str, Any],
    inputs: _Inputs,
) -> None:
    """Daily counts per objective from the contacts (`grouped`, None when only intervals are
    stored), else from the intervals, which also give the provider-reported figures."""
    from slaengine.adapters.compute.interval_tally import tally_intervals
    from slaengine.adapters.compute.tally import daily_counts

    zone = contract.zone
    events = contract.exclusions.events if contract.exclusions else ()
    has_contacts = grouped is not None and grouped.groups.height > 0
    if not has_contacts and not intervals.height:
        inputs.notes.append("no contacts or intervals stored for the period")
    counted = daily_counts(grouped, inputs.excluded_days) if grouped is not None else {}
    for objective in contract.objectives:
        options: dict[str, Any] = {"events": events, "excluded_days": inputs.excluded_days}
        if grouped is not None:
            inputs.daily[objective.id] = counted[objective.id]
        if intervals.height:
            daily, problem = tally_intervals(intervals, objective, zone, calendars, **options)
            if not has_contacts:
                inputs.daily[objective.id] = daily
                if problem:
                    inputs.undetermined[objective.id] = problem
            elif problem is None and objective.kpi != "cost_per_contact":
                value = _month_value(objective, daily)
                inputs.provider_reported[objective.id] = value


def _month_value(objective: Objective, daily: dict[date, Counts]) -> float | None:
    from slaengine.domain.evaluation.kpis import kpi_figures, sum_counts

    value = kpi_figures(objective, sum_counts(daily.values()))[0]
    return None if value is None else float(value)


def _costs(contract: Contract, rows: list[Any], inputs: _Inputs) -> None:
    """Per cost_per_contact objective: costs of its channels (or `all`) in the contract currency."""
    for objective in contract.objectives:
        if objective.kpi != "cost_per_contact":
            continue
        mine = [row for row in rows if row.channel == "all" or row.channel in objective.channels]
        others = sorted({row.currency for row in mine if row.currency != contract.currency})
        if others:
            inputs.undetermined[objective.id] = (
                f"costs in {', '.join(others)}, the contract is paid in {contract.currency}"
            )
        elif mine:
            inputs.costs[objective.id] = sum((Decimal(row.amount) for row in mine), Decimal("0"))


# ------------------------------------------------------------------ JSON

CENT = Decimal("0.01")


def _money(amount: Decimal) -> str:
    return str(amount.quantize(CENT, rounding=ROUND_HALF_UP))


def _value(kpi: str, value: float | None) -> float | str | None:
    if value is None:
        return None
    if kpi == "cost_per_contact":
        return _money(Decimal(str(value)))
    if kpi in FRACTION_KPIS or kpi == "nps":
        return round(value, 4)
    return round(value, 2)


def _exact(kpi: str, number: int | Decimal | None) -> int | float | str | None:
    if isinstance(number, Decimal):
        if kpi == "cost_per_contact":
            return _money(number)
        return int(number) if number == number.to_integral_value() else float(number)
    return number


def _target(result: ObjectiveResult) -> int | float | str | None:
    if result.target_value is None:
        return None
    if result.kpi == "cost_per_contact":
        return _money(Decimal(str(result.target_value)))
    return int(result.target_value) if result.target_value.is_integer() else result.target_value


def _window_json(kpi: str, window: WindowResult) -> dict[str, Any]:
    return {
        "start": window.start.isoformat(),
        "end": window.end.isoformat(),
        "status": window.status,
        "value": _value(kpi, window.value),
        "numerator": _exact(kpi, window.numerator),
        "denominator": _exact(kpi, window.denominator),
        "volume": window.volume,
        "reason": window.reason,
    }


def _objective_json(result: ObjectiveResult) -> dict[str, Any]:
    kpi = result.kpi
    return {
        "id": result.objective_id,
        "kpi": kpi,
        "status": result.status,
        "value": _value(kpi, result.value),
        "target": _target(result),
        "numerator": _exact(kpi, result.numerator),
        "denominator": _exact(kpi, result.denominator),
        "windows": [_window_json(kpi, window) for window in result.windows],
        "credit": _money(result.credit),
        "level": result.level,
        "channels": list(result.channels),
        "target_text": result.target,
        "volume": result.volume,
        "reason": result.reason,
        "windows_breached": result.windows_breached,
        "allowed_misses": result.allowed_misses,
        "excluded_contacts": result.excluded_contacts,
        "pending_contacts": result.pending_contacts,
        "earned_back": _money(result.earned_back),
        "at_risk": result.at_risk,
        "at_risk_reason": result.at_risk_reason,
        "provider_reported_value": _value(kpi, result.provider_reported_value),
        "provider_differs": result.provider_differs,
    }


def _incentives_json(evaluation: Evaluation) -> dict[str, Any]:
    """SPEC section 6's incentives object; zeros when the contract has no incentives."""
    from slaengine.domain.evaluation.results import IncentiveSummary
    from slaengine.domain.money.incentives import net_position

    zero = Decimal("0.00")
    summary = evaluation.incentives or IncentiveSummary(
        evaluation.credits.currency, zero, zero, zero
    )
    return {
        "currency": summary.currency,
        "cap": _money(summary.cap),
        "total": _money(summary.total),
        "earned": {key: _money(amount) for key, amount in summary.earned.items()},
        "uncapped": _money(summary.uncapped),
        "offset_credits": summary.offset_credits,
        "credits_offset": _money(summary.credits_offset),
        "payable": _money(summary.payable),
        "net_position": _money(net_position(evaluation.credits, evaluation.incentives)),
    }


def evaluation_to_json(evaluation: Evaluation) -> dict[str, Any]:
    """SPEC section 4's `evaluate --json` object, plus extra keys (module docstring)."""
    credits = evaluation.credits
    return {
        "contract": evaluation.contract_id,
        "contract_version": evaluation.contract_version,
        "period": evaluation.period,
        "objectives": [_objective_json(result) for result in evaluation.objectives],
        "credits": {
            "currency": credits.currency,
            "at_risk": _money(credits.at_risk),
            "total": _money(credits.total),
            "uncapped": _money(credits.uncapped),
            "capped": credits.capped,
            "earned_back": _money(credits.earned_back),
            "net": _money(credits.net),
        },
        "incentives": _incentives_json(evaluation),
        "provider": evaluation.provider_id,
        "as_of": evaluation.as_of.isoformat(),
        "lifecycle": evaluation.lifecycle,
        "settles_at": None if evaluation.settles_at is None else evaluation.settles_at.isoformat(),
        "month_to_date": evaluation.month_to_date,
        "restated": evaluation.restated,
        "at_risk": [result.objective_id for result in evaluation.objectives if result.at_risk],
        "excluded_days": [
            {
                "day": day.day.isoformat(),
                "channel": day.channel,
                "contacts": day.contacts,
                "forecast": day.forecast,
                "reason": day.reason,
            }
            for day in evaluation.excluded_days
        ],
        "chronic_failures": [
            {
                "objective": flag.objective_id,
                "breached_periods": list(flag.breached_periods),
                "breaches": flag.breaches,
                "within_months": flag.within_months,
            }
            for flag in evaluation.chronic_failures
        ],
        "input_hashes": list(evaluation.input_hashes),
        "notes": list(evaluation.notes),
    }
