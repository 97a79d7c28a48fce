"""Use case: what a draft contract would have meant over past months (SPEC section 6).

`backtest` evaluates the draft, whatever its effective dates, month by month on the feeds
stored for the contract `against` (default the draft's id): contacts, intervals, forecasts and
costs, gathered exactly as `evaluate` gathers them, and the month's approved relief requests
(SPEC section 7: they belong to the month and the contract id, not to a version), so that a
draft identical to the contract in force gives identical figures. Beside it stands the
contract in force that month.

One rule for both sides (SPEC section 6), as of the one instant `as_of`: a side whose month is
settled by then is its FINAL result (as of the settlement instant), otherwise it is PROVISIONAL
as of `as_of`, and the month says so (`BacktestMonth.lifecycle`). The in-force side reuses a
stored final result only when its inputs key is the one the rule gives now (the very check of
`evaluate`); a stored final of an unsettled month (evaluated later than `as_of`), a stored
provisional or a final whose inputs changed are never read as they stand. So the same command
on the same stored data gives the same result whatever was evaluated before; a final computed
here and one read back are the same result (a restatement is the history of the month, not a
figure of the backtest: both read `final`).

NOTHING is written: no evaluation, no run, no cache (tests compare the row count of every table
before and after). The draft's earn-back, chronic failure and continuous improvement see only
the months of the range (its own months before the range were never evaluated).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from slaengine.domain.contract.model import Contract
from slaengine.domain.contract.periods import Period, parse_period, shift_period
from slaengine.domain.evaluation.results import Evaluation
from slaengine.domain.procurement.backtest import Backtest, BacktestMonth, Totals, flips
from slaengine.domain.procurement.diff import changes_json, diff_contracts
from slaengine.errors import ContractNotFound, EvaluationError


def contract_from_reference(reference: str, engine: Callable[[], Engine]) -> Contract:
    """A contract file, or `ID@VERSION` of a stored version (the engine opened only then).

    Raises ContractInvalid (file problems, FILE:LINE:COL) or ContractNotFound.
    """
    from slaengine.adapters.yaml.contract import load_contract_file
    from slaengine.services.contracts import contract_versions

    path = Path(reference)
    if "@" not in reference or path.exists():
        return load_contract_file(path)
    contract_id, _, version = reference.rpartition("@")
    if not version.isdigit() or not contract_id:
        raise ContractNotFound(
            f"expected a contract file or ID@VERSION such as acme-l1@2, found {reference!r}"
        )
    versions = contract_versions(engine(), contract_id)
    for stored in versions:
        if stored.contract.version == int(version):
            return stored.contract
    known = ", ".join(str(s.contract.version) for s in versions) or "none"
    raise ContractNotFound(
        f"no stored version {version} of contract {contract_id!r} (stored versions: {known});"
        " load it with `slaengine contract load` or give a file"
    )


def months_between(first: str, last: str) -> list[str]:
    """`first`..`last` inclusive; EvaluationError when reversed or longer than 10 years."""
    try:
        start, stop = parse_period(first), parse_period(last)
    except ValueError as error:
        raise EvaluationError(str(error)) from None
    count = (stop[0] - start[0]) * 12 + stop[1] - start[1] + 1
    if count < 1:
        raise EvaluationError(f"--from {first} is after --to {last}: give the earlier month first")
    if count > 120:
        raise EvaluationError(f"{first}..{last} is {count} months: backtest at most 120")
    return [shift_period(first, step) for step in range(count)]


def backtest(
    engine: Engine,
    draft: Contract,
    first: str,
    last: str,
    *,
    as_of: datetime,
    against: str | None = None,
    on_month: Callable[[str], None] | None = None,
) -> Backtest:
    """Evaluate `draft` for every month first..last beside the contract in force; stores nothing.

    Raises EvaluationError (bad range, a month not started at as_of) and ContractNotFound
    (no version of `against` is stored at all). `on_month` is told each month done.
    """
    feeds_of = against or draft.id
    periods = months_between(first, last)
    _check_started(draft, periods[-1], as_of)
    _check_stored(engine, feeds_of)
    months: list[BacktestMonth] = []
    history: list[Evaluation] = []
    for period in periods:
        evaluation = evaluate_draft(
            engine, draft, period, as_of=as_of, feeds_of=feeds_of, history=history
        )
        history.append(evaluation)
        in_force = in_force_as_of(engine, feeds_of, period, as_of)
        months.append(
            BacktestMonth(period, evaluation, in_force, tuple(flips(in_force, evaluation)))
        )
        if on_month is not None:
            on_month(period)
    compared = _compared_with(engine, feeds_of, periods)
    changes = diff_contracts(compared, draft) if compared else ()
    return Backtest(draft, feeds_of, as_of, tuple(months), compared, changes)


def _check_started(draft: Contract, period: str, as_of: datetime) -> None:
    if as_of.tzinfo is None:
        raise EvaluationError(f"as_of {as_of.isoformat()} has no UTC offset")
    if Period.of(period, draft).start > as_of:
        raise EvaluationError(
            f"month {period} has not started at {as_of.isoformat()}: backtest past months"
        )


def _check_stored(engine: Engine, contract_id: str) -> None:
    from slaengine.services.contracts import latest_contract

    try:
        latest_contract(engine, contract_id)
    except ContractNotFound as error:
        raise ContractNotFound(
            f"{error}; a backtest reads the feeds stored for a contract: name it with --against"
        ) from None


def evaluate_draft(
    engine: Engine,
    draft: Contract,
    period: str,
    *,
    as_of: datetime,
    feeds_of: str,
    history: list[Evaluation],
) -> Evaluation:
    """The draft over one month, on the feeds and approved relief stored for `feeds_of`;
    nothing stored."""
    # the very gathering `evaluate` uses (one code path: same inputs, same figures)
    from slaengine.domain.evaluation.settlement import due_cutoff, settlement_instant

    # uncached: a draft's inputs are its own (no cache entry would be reused), and a
    # backtest writes nothing at all, the evaluation input cache included
    from slaengine.services.evaluation import _gather_uncached as _gather
    from slaengine.services.evaluation import evaluate_inputs
    from slaengine.services.relief import month_relief, with_relief

    month = Period.of(period, draft)
    settles = settlement_instant(draft, period)
    final = as_of >= settles  # a settled month is judged as of its settlement, like `evaluate`
    at, tally_at = (settles, due_cutoff(settles)) if final else (as_of, as_of)
    # the month's approved relief belongs to the month and the contract id, not to a version:
    # the draft sees it exactly as the contract in force does (`evaluation._compute`)
    feeds = draft.model_copy(update={"id": feeds_of})
    draft = with_relief(draft, month_relief(engine, feeds, period), period)
    inputs = _gather(engine, draft.model_copy(update={"id": feeds_of}), month, at, tally_at)
    note = f"backtest of draft {draft.id} version {draft.version} on the feeds of {feeds_of}"
    evaluation = evaluate_inputs(draft, period, inputs, at, history, note)
    return replace(evaluation, lifecycle="final" if final else "provisional", settles_at=settles)


def in_force_as_of(
    engine: Engine, contract_id: str, period: str, as_of: datetime
) -> Evaluation | None:
    """The contract in force over the month under the backtest's rule; None without one.

    `run_evaluation` with nothing stored: final (the stored one only when its inputs key is
    unchanged) when the month is settled at `as_of`, else provisional as of `as_of`.
    """
    from slaengine.services.evaluation import run_evaluation

    try:
        outcome = run_evaluation(engine, contract_id, period, as_of=as_of, store=False)
    except ContractNotFound:
        return None
    evaluation = outcome.evaluation
    if evaluation.lifecycle == "provisional":  # the same instant, in UTC like the draft's
        return replace(evaluation, as_of=as_of.astimezone(UTC))
    return replace(evaluation, lifecycle="final", restated=False)


def _compared_with(engine: Engine, contract_id: str, periods: list[str]) -> Contract | None:
    """The version in force in the last month of the range that has one (for the diff)."""
    from slaengine.services.evaluation import contract_for_period

    for period in reversed(periods):
        try:
            stored = contract_for_period(engine, contract_id, period)
        except ContractNotFound:
            continue
        contract: Contract = stored.contract
        return contract
    return None


# ------------------------------------------------------------------ JSON


def _money(amount: Decimal) -> str:
    return str(amount.quantize(Decimal("0.01")))


def totals_json(totals: Totals) -> dict[str, str]:
    return {
        "credits": _money(totals.credits),
        "incentives": _money(totals.incentives),
        "earned_back": _money(totals.earned_back),
        "net_position": _money(totals.net_position),
    }


def backtest_to_json(result: Backtest, source: Path | None = None) -> dict[str, Any]:
    """SPEC section 6's `contract backtest --json` object, plus the instant, each month's
    lifecycle (`final` when both sides are settled at it), flips and the diff."""
    from slaengine.services.evaluation import evaluation_to_json

    draft = result.draft
    compared = result.compared_with
    return {
        "as_of": result.as_of.isoformat(),
        "draft": {
            "id": draft.id,
            "version": draft.version,
            "title": draft.title,
            "file": str(source) if source else None,
        },
        "against": result.against,
        "months": [
            {
                "period": month.period,
                "draft": evaluation_to_json(month.draft),
                "lifecycle": month.lifecycle,
                "in_force": evaluation_to_json(month.in_force) if month.in_force else None,
                "flips": [
                    {"objective": flip.objective_id, "in_force": flip.in_force, "draft": flip.draft}
                    for flip in month.flips
                ],
            }
            for month in result.months
        ],
        "totals": {
            "draft": totals_json(result.draft_totals),
            "in_force": totals_json(result.in_force_totals),
        },
        "changes": changes_json(compared, draft, result.changes)["changes"] if compared else [],
    }
