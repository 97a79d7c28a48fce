"""How a backtest looks: the draft beside the contract in force, month by month, for procurement
to put in front of the provider. What it says is the `Backtest` of services.backtest."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer, Table

from slaengine.adapters.pdf.document import PageFrame, build_pdf
from slaengine.adapters.pdf.money_chart import money_bars
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
from slaengine.domain.evaluation.results import Evaluation, ObjectiveResult
from slaengine.domain.reports.diff_words import change_words, month_range, months_words
from slaengine.domain.reports.text import (
    STATUS_SYMBOLS,
    format_money,
    format_period,
    format_value,
    status_label,
)
from slaengine.i18n import _, current

if TYPE_CHECKING:
    from slaengine.domain.procurement.backtest import Backtest, BacktestMonth, Totals

ZERO = Decimal("0.00")


def status_text(status: str) -> str:
    """`✔ met` / `✔ respecté`: the symbol and the status in the report language."""
    return f"{STATUS_SYMBOLS.get(status, '')} {status_label(status)}"


def figure(result: ObjectiveResult | None) -> str:
    """`88.2 %`, `12.3 s`, `48.0` in the report's locale, or `-` without a figure."""
    if result is None or result.value is None:
        return "-"
    return format_value(result.value, result.kpi)


def _amount(amount: Decimal, currency: str) -> str:
    return format_money(amount, currency)


def _incentives(evaluation: Evaluation | None) -> Decimal:
    if evaluation is None or evaluation.incentives is None:
        return ZERO
    return evaluation.incentives.total


def month_table(month: BacktestMonth) -> Table:
    """One month: each objective's status and figure under both, then the money."""
    in_force = {r.objective_id: r for r in month.in_force.objectives} if month.in_force else {}
    flipped = {flip.objective_id for flip in month.flips}
    heading = _("{month}: objective").format(month=format_period(month.period))
    if month.lifecycle == "provisional":
        heading = _("{month} (provisional): objective").format(month=format_period(month.period))
    rows: list[list[object]] = [
        header_cells(
            heading,
            _("in force"),
            "",
            _("draft"),
            "",
        )
    ]
    extra: list[tuple[object, ...]] = []
    for result in month.draft.objectives:
        old = in_force.get(result.objective_id)
        flips = "  ⇄ " + _("flips") if result.objective_id in flipped else ""
        label = result.objective_id + flips
        rows.append(
            [
                cell(label),
                status_cell(old.status, status_text(old.status)) if old else cell("-"),
                cell(figure(old), "cell_right"),
                status_cell(result.status, status_text(result.status)),
                cell(figure(result), "cell_right"),
            ]
        )
        if result.objective_id in flipped:
            extra.append(("BACKGROUND", (0, len(rows) - 1), (-1, len(rows) - 1),
                          STATUS_FILL["not_determined"]))  # fmt: skip
    currency = month.draft.credits.currency
    for name, old_amount, new_amount in (
        (_("credits"), month.in_force.credits.total if month.in_force else None,
         month.draft.credits.total),
        (_("incentives"), _incentives(month.in_force) if month.in_force else None,
         _incentives(month.draft)),
    ):  # fmt: skip
        old_text = "-" if old_amount is None else _amount(old_amount, currency)
        rows.append(
            [markup(f"<b>{safe(name)}</b>", "cell"), cell(""),
             cell(old_text, "cell_right"), cell(""),
             cell(_amount(new_amount, currency), "cell_right")]
        )  # fmt: skip
    widths = [CONTENT_WIDTH * share for share in (0.34, 0.17, 0.16, 0.17, 0.16)]
    return grid(rows, widths, extra=extra)


def totals_table(result: Backtest) -> Table:
    currency = result.draft.currency

    def line(name: str, totals: Totals) -> list[object]:
        return [
            cell(name),
            *[
                cell(_amount(amount, currency), "cell_right")
                for amount in (totals.credits, totals.earned_back, totals.incentives,
                               totals.net_position)
            ],
        ]  # fmt: skip

    rows: list[list[object]] = [
        header_cells(
            _("over the range"),
            _("credits"),
            _("earned back"),
            _("incentives"),
            _("net (provider)"),
        ),
        line(_("contract in force"), result.in_force_totals),
        line(
            _("draft version {version}").format(version=result.draft.version), result.draft_totals
        ),
    ]
    widths = [CONTENT_WIDTH * share for share in (0.32, 0.17, 0.17, 0.17, 0.17)]
    return grid(rows, widths)


def credits_chart(result: Backtest) -> Flowable:
    """Monthly credits and incentives under both, grouped by month, labelled as money."""
    currency = result.draft.currency
    series = [
        _("credits in force"),
        _("credits draft"),
        _("incentives in force"),
        _("incentives draft"),
    ]
    groups = [
        (
            format_period(month.period, short=True),
            [
                float(month.in_force.credits.total) if month.in_force else None,
                float(month.draft.credits.total),
                float(_incentives(month.in_force)) if month.in_force else None,
                float(_incentives(month.draft)),
            ],
        )
        for month in result.months
    ]
    title = _("Monthly credits and incentives ({currency})").format(currency=currency)
    return money_bars(
        title, series, groups,
        label_of=lambda value: format_money(Decimal(repr(value)), currency),
        axis_of=lambda value: current().decimal(value, 0),
        width=CONTENT_WIDTH,
    )  # fmt: skip


def lifecycle_words(result: Backtest) -> str:
    """The one rule of both sides, and the months still provisional under it."""
    zone = result.draft.zone
    instant = current().instant(result.as_of, zone)
    provisional = result.provisional_months
    if not provisional:
        return _(
            "Both sides of every month as of {instant}: every month is settled by then, so"
            " each side is its final result."
        ).format(instant=instant)
    return _(
        "Both sides of every month as of {instant}: final where the month is settled by then,"
        " provisional as of then otherwise. Provisional on both sides: {months}."
    ).format(instant=instant, months=months_words(provisional))


def backtest_story(result: Backtest) -> list[Flowable]:
    draft = result.draft
    flips = [month.period for month in result.months if month.flips]
    compared = result.compared_with
    against = (
        _("{id} version {version}").format(id=safe(compared.id), version=compared.version)
        if compared
        else safe(result.against)
    )
    intro = _(
        "Draft <b>{draft} version {version}</b> ({title}) evaluated on the feeds stored for"
        " <b>{feeds}</b> {months}, beside the results of {against} in force."
        " Nothing was stored. Months where a status flips: <b>{flips}</b>."
    ).format(
        draft=safe(draft.id),
        version=draft.version,
        title=safe(draft.title),
        feeds=safe(result.against),
        months=safe(month_range(result.months[0].period, result.months[-1].period)),
        against=against,
        flips=safe(months_words(flips)),
    )
    story: list[Flowable] = [
        text(_("Backtest of a draft contract: {id}").format(id=draft.id), "title"),
        markup(intro, "subtitle"),
        text(lifecycle_words(result), "small"),
        Spacer(1, 2 * mm),
        totals_table(result),
        Spacer(1, 4 * mm),
        credits_chart(result),
        Spacer(1, 4 * mm),
    ]
    for month in result.months:
        story += [KeepTogether([month_table(month)]), Spacer(1, 3 * mm)]  # a month on one page
    story.append(markup(safe(_("What the draft changes")), "h3"))
    if not result.changes:
        story.append(text(_("no differences in the terms"), "small"))
    story += [text(change_words(change, draft), "small") for change in result.changes]
    return story


def write_backtest_pdf(result: Backtest, reports_dir: Path) -> Path:
    """Write `backtest-DRAFT-vVERSION-FROM-TO.pdf` under `reports_dir`; returns its path."""
    first, last = result.months[0].period, result.months[-1].period
    name = f"backtest-{result.draft.id}-v{result.draft.version}-{first}-{last}.pdf"
    provisional = result.provisional_months
    line = ""
    if provisional:
        line = _("provisional as of {instant}: {months}").format(
            instant=current().instant(result.as_of, result.draft.zone),
            months=months_words(provisional),
        )
    frame = PageFrame(
        _("Draft backtest"), result.draft.id, month_range(first, last), lifecycle=line
    )
    return build_pdf(reports_dir / name, backtest_story(result), frame)
