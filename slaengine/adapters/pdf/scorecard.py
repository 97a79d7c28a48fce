"""How the monthly provider scorecard looks. Page one: is this provider honouring its contract."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from slaengine.adapters.pdf.benchmark import benchmark_table
from slaengine.adapters.pdf.charts import daily_chart, trend_chart, volume_chart
from slaengine.adapters.pdf.document import PageFrame, build_pdf
from slaengine.adapters.pdf.relief import relief_section
from slaengine.adapters.pdf.style import (
    CONTENT_WIDTH,
    RULE,
    STATUS_FILL,
    STATUS_INK,
    cell,
    fonts,
    grid,
    header_cells,
    markup,
    printable,
    safe,
    text,
)
from slaengine.domain.reports import FeedFileInfo, ObjectiveRow, Scorecard
from slaengine.domain.reports.register import WindowLine
from slaengine.domain.reports.text import (
    STATUS_SYMBOLS,
    format_count,
    format_day,
    format_period,
    kpi_name,
    sourcing_label,
    status_label,
)
from slaengine.i18n import _, current

OBJECTIVE_WIDTHS = [29 * mm, 43 * mm, 14 * mm, 15 * mm, 21 * mm, 22 * mm, 18 * mm, 18 * mm]


def title_block(card: Scorecard) -> list[Flowable]:
    mtd = " " + _("(month to date)") if card.month_to_date else ""
    first = _("Contract {contract} version {version}").format(
        contract=f"<b>{safe(card.contract_id)}</b>", version=card.contract_version
    )
    second = _("{sourcing} · activity {activity} · period {period}{mtd} · as of {as_of}").format(
        sourcing=safe(sourcing_label(card.sourcing)),
        activity=safe(card.activity),
        period=f"<b>{safe(format_period(card.period))}</b>",
        mtd=safe(mtd),
        as_of=safe(current().instant(card.as_of, card.zone)),
    )
    sub = f"{first} · {safe(card.title)}<br/>{second}"
    return [text(card.provider_name, "title"), markup(sub, "subtitle")]


def status_summary(card: Scorecard) -> Table:
    """Four boxes: symbol, count and label per status, in the status colours."""
    counts = card.counts
    numbers = {
        "met": counts.met,
        "breached": counts.breached,
        "not_determined": counts.not_determined,
        "excused": counts.excused,
    }
    row = [
        markup(
            f'<font color="{_hex(status)}"><b>{safe(STATUS_SYMBOLS[status])} {number}</b>'
            f"</font><br/>{safe(status_label(status))}",
            "big",
        )
        for status, number in numbers.items()
    ]
    table = Table([row], colWidths=[CONTENT_WIDTH / 4] * 4, hAlign="LEFT")
    commands: list[tuple[object, ...]] = [("BOX", (i, 0), (i, 0), 0.6, RULE) for i in range(4)]
    commands += [("BACKGROUND", (i, 0), (i, 0), STATUS_FILL[s]) for i, s in enumerate(numbers)]
    table.setStyle(
        TableStyle(
            [*commands, ("TOPPADDING", (0, 0), (-1, -1), 5), ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]
        )
    )
    return table


def _hex(status: str) -> str:
    return str(STATUS_INK[status].hexval()).replace("0x", "#")


def credits_table(card: Scorecard) -> Table:
    if not card.has_credits:
        rows = [
            header_cells(_("Service credits")),
            [cell(_("no service credits in this contract"))],
        ]
        return grid(rows, [110 * mm], zebra=False)
    capped = " " + _("(capped at the at-risk amount)") if card.credits_capped else ""
    rows = [
        header_cells(_("Service credits"), _("Amount")),
        [cell(_("At risk this month")), cell(card.money(card.at_risk), "cell_right")],
        [cell(_("Owed this month") + capped), cell(card.money(card.credits_owed), "cell_right")],
        [
            cell(_("Earned back (earlier credits returned)")),
            cell(card.money(card.earned_back), "cell_right"),
        ],
        [
            markup(f"<b>{safe(_('Net owed'))}</b>", "cell"),
            markup(f"<b>{safe(card.money(card.net_credits))}</b>", "cell_right"),
        ],
    ]
    return grid(rows, [70 * mm, 40 * mm], zebra=False)


GREY_SMALL = '<br/><font size="6.5" color="#52606d">{}</font>'


def incentives_table(card: Scorecard) -> Table | None:
    """The month's bonus beside the credits, and the provider's net position (None: the
    contract has no incentives)."""
    view = card.incentives
    if view is None:
        return None
    rows: list[list[object]] = [header_cells(_("Incentives (bonus)"), _("Amount"))]
    for line in view.lines:
        rule = _("{objective}: {when} · {share} of the cap").format(
            objective=f"<b>{safe(line.objective_id)}</b>",
            when=safe(line.when),
            share=safe(line.share),
        )
        rows.append(
            [
                markup(rule + GREY_SMALL.format(safe(line.why)), "cell"),
                cell(line.amount, "cell_right"),
            ]
        )
    total = _("Total (cap {cap})").format(cap=view.cap)
    if view.scaled:
        total += " " + _("(scaled down to the cap)")
    rows.append([cell(total), cell(view.total, "cell_right")])
    if view.offset_credits:
        rows.append(
            [
                cell(_("Offset against the credits (not paid)")),
                cell(view.credits_offset, "cell_right"),
            ]
        )
    rows.append(
        [
            markup(
                f"<b>{safe(_('Net position for the provider'))}</b>"
                + GREY_SMALL.format(safe(_("incentives paid minus net credits owed"))),
                "cell",
            ),
            markup(f"<b>{safe(view.net_position)}</b>", "cell_right"),
        ]
    )
    return grid(rows, [70 * mm, 40 * mm], zebra=False)


def money_block(card: Scorecard) -> list[Flowable]:
    """The credits, with the incentives under them when the contract has some."""
    found: list[Flowable] = [credits_table(card)]
    bonus = incentives_table(card)
    if bonus is not None:
        found += [Spacer(1, 2 * mm), bonus]
    return found


def flags_block(card: Scorecard) -> list[Flowable]:
    found: list[Flowable] = [markup(safe(_("Chronic failure")), "h3")]
    if card.chronic_failures:
        found += [
            markup(
                f'<font color="{_hex("breached")}"><b>{safe("✖")} {safe(line)}</b></font>', "body"
            )
            for line in card.chronic_failures
        ]
    else:
        found.append(text(_("none: no critical objective has reached the contract's threshold")))
    found.append(markup(safe(_("Restatements")), "h3"))
    found += [text(line) for line in card.restatements] or [text(_("none"))]
    return found


def objectives_table(card: Scorecard) -> Table:
    versus = _("vs {month}").format(month=format_period(card.previous_period, short=True))
    heads = header_cells(
        _("Objective"), _("Definition"), _("Target"), _("Actual"), _("Counts"), _("Status")
    )
    trend_head = markup(f"{safe(_('Trend'))}<br/>{safe(versus)}", "head")
    rows: list[list[object]] = [[*heads, trend_head, *header_cells(_("Credit"))]]
    extra: list[tuple[object, ...]] = []
    for index, row in enumerate(card.rows, start=1):
        rows.append(
            [
                markup(
                    f"<b>{safe(row.objective_id)}</b><br/>"
                    f"{safe(row.level_text or row.level)} · {safe(row.channels)}",
                    "cell",
                ),
                markup(
                    safe(
                        _("{kpi}: {definition}").format(
                            kpi=kpi_name(row.kpi), definition=row.definition
                        )
                    )
                    + f'<br/><font color="#52606d">{safe(window_text(row.window))}</font>'
                    + (GREY_SMALL.format(safe(row.target_note)) if row.target_note else ""),
                    "cell",
                ),
                cell(row.target),
                actual_cell(row),
                cell(row.figures or f"{row.numerator} / {row.denominator}", "cell_right"),
                status_with_why(row),
                trend_cell(row),
                cell(row.credit if card.has_credits else "–", "cell_right"),
            ]
        )
        extra.append(("BACKGROUND", (5, index), (5, index), STATUS_FILL[row.status]))
    return grid(rows, objective_widths(card), extra=extra)


def objective_widths(card: Scorecard) -> list[float]:
    """The objective column as wide as the longest id (never cut), taken from the definition."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    longest = max(
        (stringWidth(printable(row.objective_id), fonts().bold, 7.5) for row in card.rows),
        default=0.0,
    )
    first = max(OBJECTIVE_WIDTHS[0], min(longest + 8, 48 * mm))
    grown = first - OBJECTIVE_WIDTHS[0]
    return [first, OBJECTIVE_WIDTHS[1] - grown, *OBJECTIVE_WIDTHS[2:]]


def window_text(window: str) -> str:
    """`window: day, 2 misses allowed` / `fenêtre : jour, …`."""
    return _("window: {window}").format(window=window)


def trend_cell(row: ObjectiveRow) -> Paragraph:
    """The trend, green when better, red when worse (the arrow and sign carry it in grey)."""
    if row.trend is None or row.trend.better is None:
        return cell(row.trend_text)
    ink = _hex("met") if row.trend.better else _hex("breached")
    return markup(f'<font color="{ink}">{safe(row.trend_text)}</font>', "cell")


def actual_cell(row: ObjectiveRow) -> Paragraph:
    """The recomputed value, and the provider's own figure under it when it sent one."""
    found = f"<b>{safe(row.actual)}</b>"
    if row.provider_reported is not None:
        flag = (
            f'<font color="{_hex("breached")}">{safe("≠")} </font>' if row.provider_differs else ""
        )
        reported = safe(row.provider_reported)
        found += (
            f'<br/><font size="6.5" color="#52606d">{flag}{safe(_("provider"))} {reported}</font>'
        )
    return markup(found, "cell_right")


def status_with_why(row: ObjectiveRow) -> Paragraph:
    """`✖ breached`, and why in small grey text when the value alone does not say it."""
    ink = _hex(row.status)
    found = f'<font color="{ink}"><b>{safe(row.symbol)} {safe(row.status_text)}</b></font>'
    if row.why:
        found += f'<br/><font size="6.5" color="#52606d">{safe(row.why)}</font>'
    return markup(found, "cell")


def _capital(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


def page_one(card: Scorecard) -> list[Flowable]:
    """Identity, status summary, credits, flags, then the objectives table."""
    side_by_side = Table(
        [[money_block(card), flags_block(card)]], colWidths=[115 * mm, CONTENT_WIDTH - 115 * mm]
    )
    side_by_side.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
    )
    no_data = (
        [Spacer(1, 2 * mm), markup(f"<b>? {safe(_capital(card.no_data))}</b>", "h3")]
        if card.no_data
        else []
    )
    return [
        *title_block(card),
        status_summary(card),
        *no_data,
        Spacer(1, 4 * mm),
        side_by_side,
        markup(safe(_("Objectives")), "h2"),
        objectives_table(card),
    ]


def weeks_table(objective_id: str, weeks: Sequence[WindowLine]) -> Flowable:
    """A week-window objective's weeks: what each week counted and whether it was met."""
    rows: list[list[object]] = [
        header_cells(_("Week"), _("Numerator"), _("Denominator"), _("Value"), _("Status"))
    ]
    rows += [
        [
            cell(w.window),
            cell(w.numerator, "cell_right"),
            cell(w.denominator, "cell_right"),
            cell(w.value, "cell_right"),
            cell(w.status),
        ]
        for w in weeks
    ]
    title = markup(safe(_("{objective}: each week").format(objective=objective_id)), "h3")
    return KeepTogether([title, grid(rows, [60 * mm, 28 * mm, 28 * mm, 28 * mm, 36 * mm])])


def charts_section(card: Scorecard) -> list[Flowable]:
    charts: list[Flowable] = [trend_chart(series, CONTENT_WIDTH) for series in card.trends]
    charts += [daily_chart(daily, CONTENT_WIDTH) for daily in card.daily]
    charts += [weeks_table(objective_id, weeks) for objective_id, weeks in card.weeks]
    if card.channel_volumes:
        charts.append(volume_chart(card.channel_volumes, CONTENT_WIDTH))
    if not charts:
        charts.append(text(_("No critical objective, day-window objective or channel volume.")))
    spaced = [item for chart in charts for item in (chart, Spacer(1, 3 * mm))]
    return [CondPageBreak(70 * mm), markup(safe(_("Charts")), "h2"), *spaced]


def breach_section(card: Scorecard) -> list[Flowable]:
    found: list[Flowable] = [CondPageBreak(60 * mm), markup(safe(_("Breach register")), "h2")]
    if not card.breaches:
        return [*found, text(_("No breach this month."))]
    rows: list[list[object]] = [
        header_cells(
            _("Objective"),
            _("Window"),
            _("Actual"),
            _("Target"),
            _("Num / den (volume)"),
            _("Exclusions applied"),
            _("Credit"),
        )
    ]
    for entry in card.breaches:
        rows.append(
            [
                cell(entry.objective_id),
                cell(entry.window),
                cell(entry.actual, "cell_right"),
                cell(entry.target),
                cell(entry.figures),
                cell(entry.exclusions),
                cell(entry.credit, "cell_right"),
            ]
        )
    widths = [24 * mm, 28 * mm, 15 * mm, 14 * mm, 32 * mm, 45 * mm, 22 * mm]
    return [*found, grid(rows, widths)]


def quality_section(card: Scorecard) -> list[Flowable]:
    q = card.quality
    found: list[Flowable] = [
        CondPageBreak(50 * mm),
        markup(safe(_("Data quality")), "h2"),
        markup(safe(_("Feeds used")), "h3"),
    ]
    found.append(feeds_table(q.feeds) if q.feeds else text(_("No feed file for this period.")))
    found.append(Spacer(1, 2 * mm))
    found.append(text(missing_days_text(card)))
    pending = "; ".join(f"{oid}: {format_count(count)}" for oid, count in q.pending_contacts) or _(
        "none"
    )
    found.append(text(_("Pending contacts (deadline not yet passed): {pending}").format(
        pending=pending)))  # fmt: skip
    if q.excluded_days:
        found.append(
            text(
                _("Days excluded by the volume band: {days}").format(
                    days="; ".join(q.excluded_days)
                )
            )
        )
    if card.notes:
        found.append(markup(safe(_("Evaluation notes")), "h3"))
        found += [text(note, "small") for note in card.notes]
    return found


def missing_days_text(card: Scorecard) -> str:
    """The same sentence on every scorecard, checked or not."""
    q = card.quality
    if not q.missing_days_checked:
        return _("Missing days (no contact at all, closed days aside): not checked, no day window.")
    days = ", ".join(format_day(d) for d in q.missing_days) or _("none")
    return _("Missing days (no contact at all, closed days aside): {days}").format(days=days)


def feeds_table(feeds: Sequence[FeedFileInfo]) -> Table:
    rows: list[list[object]] = [
        header_cells(
            _("File"), _("Kind"), "sha256", _("Rows"), _("Stored"), _("Quarantined"), _("Reasons")
        )
    ]
    for feed in feeds:
        rows.append(
            [
                cell(feed.file_name, "file"),
                cell(feed.kind),
                cell(feed.sha256, "hash"),
                cell(format_count(feed.rows), "cell_right"),
                cell(format_count(feed.stored), "cell_right"),
                cell(format_count(feed.quarantined), "cell_right"),
                cell(feed.reasons_text),
            ]
        )
    widths = [37 * mm, 16 * mm, 33 * mm, 13 * mm, 16 * mm, 21 * mm, 44 * mm]
    return grid(rows, widths)


def benchmark_section(card: Scorecard) -> list[Flowable]:
    found: list[Flowable] = [markup(safe(_("Benchmark position")), "h2")]
    if card.benchmark is None:
        return [*found, text(_("No benchmark for this activity and period."))]
    intro = _(
        "Where {contract} stands among the setups of activity {activity}, all measured with"
        " the same definitions, which may differ from this contract's own: email response is"
        " counted over 24 calendar hours here, on the contract's business clock above."
        " Rank 1 is best; all contacts (mixed) are not ranked."
    ).format(contract=card.contract_id, activity=card.activity)
    return [*found, text(intro, "small"), Spacer(1, 2 * mm), benchmark_table(card.benchmark)]


def scorecard_story(card: Scorecard) -> list[Flowable]:
    return [
        *page_one(card),
        *charts_section(card),
        *breach_section(card),
        *relief_section(card.relief),
        *quality_section(card),
        KeepTogether(benchmark_section(card)),
    ]


def render_scorecard(card: Scorecard, path: Path) -> Path:
    """Write the scorecard PDF to `path` and return it."""
    frame = PageFrame(
        _("Monthly provider scorecard"),
        f"{card.provider_name} ({card.contract_id} v{card.contract_version})",
        format_period(card.period),
        lifecycle=card.lifecycle,
    )
    return build_pdf(path, scorecard_story(card), frame)
