"""What the reports say about incentives (the bonus beside the credits) and about targets moved
by continuous improvement. Pure: formatted from the contract and the evaluation only."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from slaengine.domain.contract.model import Contract, Objective
from slaengine.domain.contract.units import Target
from slaengine.domain.evaluation.results import Evaluation, ObjectiveResult
from slaengine.domain.money.incentives import earns, month_figure, net_position
from slaengine.domain.reports.text import format_money, format_value, kpi_unit
from slaengine.i18n import _, current


@dataclass(frozen=True)
class IncentiveLine:
    """One objective of the `earn` block: its rule, the amount it earned and why (not)."""

    objective_id: str
    when: str
    share: str
    figure: str
    amount: str
    amount_value: Decimal
    earned: bool
    why: str


@dataclass(frozen=True)
class IncentivesView:
    """The month's incentives and the provider's net position (incentives paid minus credits
    owed after earn-back and offset)."""

    cap: str
    lines: tuple[IncentiveLine, ...]
    total: str
    scaled: bool
    offset_credits: bool
    credits_offset: str
    credits_offset_value: Decimal
    payable: str
    net_position: str
    net_value: Decimal
    total_value: Decimal


SYMBOLS = {">=": "≥", "<=": "≤", ">": ">", "<": "<"}


def target_text(target: Target) -> str:
    """`≥ 88,7 %`, `≤ 29,5 s`, `≥ 32`: every decimal the target has (up to two), in the
    report locale (a moved target is not rounded to one decimal)."""
    here = current()
    shown = target.value * 100 if target.unit == "fraction" else target.value
    digits = min(2, max(0, -int(shown.normalize().as_tuple().exponent)))
    if target.unit == "fraction":
        number = here.percent(float(target.value), digits)
    else:
        number = here.decimal(shown, digits) + ("\u00a0s" if target.unit == "seconds" else "")
    return f"{SYMBOLS[target.operator]}\u00a0{number}"


def figure_text(result: ObjectiveResult) -> str:
    """The month figure as compared with `when`: two decimals for percentages (88,65 %)."""
    if result.value is not None and kpi_unit(result.kpi) == "fraction":
        return current().percent(result.value, 2)
    return format_value(result.value, result.kpi)


def _why(contract: Contract, result: ObjectiveResult | None, when: str) -> str:
    if result is None or month_figure(result) is None:
        return _("no month figure: nothing earned")
    actual = figure_text(result)
    if result.status == "breached":
        return _("objective breached: a breached objective never earns")
    if earns(contract, result):
        return _("{actual} meets {when}").format(actual=actual, when=when)
    return _("{actual} does not meet {when}").format(actual=actual, when=when)


def incentives_view(contract: Contract, evaluation: Evaluation) -> IncentivesView | None:
    """None when the contract has no incentives block."""
    summary = evaluation.incentives
    rules = contract.incentives
    if summary is None or rules is None:
        return None
    currency = summary.currency
    results = {r.objective_id: r for r in evaluation.objectives}
    lines = []
    for key, earn in rules.earn.items():
        result = results.get(key)
        when = target_text(earn.when)
        amount = summary.earned.get(key, Decimal("0.00"))
        lines.append(
            IncentiveLine(
                objective_id=key,
                when=when,
                share=current().percent(
                    float(earn.share.fraction), 0 if _whole(earn.share.fraction) else 1
                ),
                figure=figure_text(result) if result else "–",
                amount=format_money(amount, currency),
                amount_value=amount,
                earned=amount > 0,
                why=_why(contract, result, when),
            )
        )
    net = net_position(evaluation.credits, summary)
    return IncentivesView(
        cap=format_money(summary.cap, currency),
        lines=tuple(lines),
        total=format_money(summary.total, currency),
        scaled=summary.uncapped > summary.cap,
        offset_credits=summary.offset_credits,
        credits_offset=format_money(summary.credits_offset, currency),
        credits_offset_value=summary.credits_offset,
        payable=format_money(summary.payable, currency),
        net_position=format_money(net, currency),
        net_value=net,
        total_value=summary.total,
    )


def _whole(fraction: Decimal) -> bool:
    return (fraction * 100) % 1 == 0


def target_note(
    objective: Objective | None, result: ObjectiveResult, contract: Contract
) -> str | None:
    """`target in force ≥ 86,5 % (contract ≥ 85 %): raised by continuous improvement after 12
    months better than the target`, when the result's target is not the contract's own."""
    if objective is None or objective.target is None or result.target is None:
        return None
    try:
        in_force = Target.parse(result.target)
    except ValueError:
        return None
    own = objective.target
    if in_force == own:
        return None
    rule = contract.continuous_improvement
    shown = {"target": target_text(in_force), "own": target_text(own)}
    if rule is None:
        return _("target in force {target} (contract {own})").format(**shown)
    return _(
        "target in force {target} (contract {own}): raised by continuous improvement after"
        " {months} consecutive months better than the target"
    ).format(months=rule.after_months, **shown)
