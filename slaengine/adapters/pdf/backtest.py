"""How a backtest looks: the draft beside the contract in force, month by month, for procurement
to put in front of the provider. What it says is the `Backtest` of services.backtest."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer, Table

from slaengine.adapters.pdf.charts import setups_chart
from slaengine.adapters.pdf.document import PageFrame, build_pdf
from slaengine.adapters.pdf.style import (
    CONTENT_WIDTH,
    STATUS_FILL,
    cell,
    grid,
    header_cells,
    markup,
    safe,
    status_cell,
    text,
)
from slaengine.domain.contract import FRACTION_KPIS
from slaengine.domain.results import Evaluation, ObjectiveResult

if TYPE_CHECKING:
    from slaengine.services.backtest import Backtest, BacktestMonth, Totals

ZERO = Decimal("0.00")
STATUS_LABEL = {"met": "✔ met", "breached": "✗ breached", "not_determined": "? n/d",
                "excused": "e excused"}  # fmt: skip


def figure(result: ObjectiveResult | None) -> str:
    """`88.22 %`, `12.3 s`, `48.0`, or `-` without a figure."""
    if result is None or result.value is None:
        return "-"
    if result.kpi in FRACTION_KPIS:
        return f"{result.value * 100:.2f} %"
    if result.kpi in ("average_speed_of_answer", "average_handle_time"):
        return f"{result.value:.1f} s"
    return f"{result.value:.2f}"


def _incentives(evaluation: Evaluation | None) -> Decimal:
    if evaluation is None or evaluation.incentives is None:
        return ZERO
    return evaluation.incentives.total


def month_table(month: BacktestMonth) -> Table:
    """One month: each objective's status and figure under both, then the money."""
    in_force = {r.objective_id: r for r in month.in_force.objectives} if month.in_force else {}
    flipped = {flip.objective_id for flip in month.flips}
    rows: list[list[object]] = [
        header_cells(f"{month.period}: objective", "in force", "", "draft", "")
    ]
    extra: list[tuple[object, ...]] = []
    for result in month.draft.objectives:
        old = in_force.get(result.objective_id)
        label = result.objective_id + ("  ⇄ flips" if result.objective_id in flipped else "")
        rows.append(
            [
                cell(label),
                status_cell(old.status, STATUS_LABEL[old.status]) if old else cell("-"),
                cell(figure(old), "cell_right"),
                status_cell(result.status, STATUS_LABEL[result.status]),
                cell(figure(result), "cell_right"),
            ]
        )
        if result.objective_id in flipped:
            extra.append(("BACKGROUND", (0, len(rows) - 1), (-1, len(rows) - 1),
                          STATUS_FILL["not_determined"]))  # fmt: skip
    for name, old_amount, new_amount in (
        ("credits", month.in_force.credits.total if month.in_force else None,
         month.draft.credits.total),
        ("incentives", _incentives(month.in_force) if month.in_force else None,
         _incentives(month.draft)),
    ):  # fmt: skip
        rows.append(
            [markup(f"<b>{name}</b>", "cell"), cell(""),
             cell("-" if old_amount is None else f"{old_amount:,.2f}", "cell_right"), cell(""),
             cell(f"{new_amount:,.2f}", "cell_right")]
        )  # fmt: skip
    widths = [CONTENT_WIDTH * share for share in (0.34, 0.17, 0.16, 0.17, 0.16)]
    return grid(rows, widths, extra=extra)


def totals_table(result: Backtest) -> Table:
    def line(name: str, totals: Totals) -> list[object]:
        return [
            cell(name),
            *[
                cell(f"{amount:,.2f}", "cell_right")
                for amount in (totals.credits, totals.earned_back, totals.incentives,
                               totals.net_position)
            ],
        ]  # fmt: skip

    rows: list[list[object]] = [
        header_cells("over the range", "credits", "earned back", "incentives", "net (provider)"),
        line("contract in force", result.in_force_totals),
        line(f"draft version {result.draft.version}", result.draft_totals),
    ]
    widths = [CONTENT_WIDTH * share for share in (0.32, 0.17, 0.17, 0.17, 0.17)]
    return grid(rows, widths)


def credits_chart(result: Backtest) -> Flowable:
    """Monthly credits and incentives under both, grouped by month."""
    series = ["credits in force", "credits draft", "incentives in force", "incentives draft"]
    groups = [
        (
            month.period,
            [
                float(month.in_force.credits.total) if month.in_force else None,
                float(month.draft.credits.total),
                float(_incentives(month.in_force)) if month.in_force else None,
                float(_incentives(month.draft)),
            ],
        )
        for month in result.months
    ]
    title = f"Monthly credits and incentives ({result.draft.currency})"
    return setups_chart(title, series, groups, CONTENT_WIDTH)


def backtest_story(result: Backtest) -> list[Flowable]:
    draft = result.draft
    flips = [month.period for month in result.months if month.flips]
    compared = result.compared_with
    against = (
        f"{safe(compared.id)} version {compared.version}" if compared else safe(result.against)
    )
    intro = (
        f"Draft <b>{safe(draft.id)} version {draft.version}</b> ({safe(draft.title)}) evaluated"
        f" on the feeds stored for <b>{safe(result.against)}</b> from {result.months[0].period}"
        f" to {result.months[-1].period}, beside the results of {against} in force. Nothing"
        " was stored. Months where a status flips: "
        f"<b>{safe(', '.join(flips) if flips else 'none')}</b>."
    )
    story: list[Flowable] = [
        text(f"Backtest of a draft contract: {draft.id}", "title"),
        markup(intro, "subtitle"),
        totals_table(result),
        Spacer(1, 4 * mm),
        credits_chart(result),
        Spacer(1, 4 * mm),
    ]
    for month in result.months:
        story += [KeepTogether([month_table(month)]), Spacer(1, 3 * mm)]  # a month on one page
    story.append(markup("What the draft changes", "h3"))
    if not result.changes:
        story.append(text("no differences in the terms", "small"))
    story += [text(change.text, "small") for change in result.changes]
    return story


def write_backtest_pdf(result: Backtest, reports_dir: Path) -> Path:
    """Write `backtest-DRAFT-vVERSION-FROM-TO.pdf` under `reports_dir`; returns its path."""
    first, last = result.months[0].period, result.months[-1].period
    name = f"backtest-{result.draft.id}-v{result.draft.version}-{first}-{last}.pdf"
    frame = PageFrame("Draft backtest", result.draft.id, f"{first} to {last}")
    return build_pdf(reports_dir / name, backtest_story(result), frame)
