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
from slaengine.adapters.pdf.style import (
    CONTENT_WIDTH,
    RULE,
    STATUS_FILL,
    STATUS_INK,
    cell,
    grid,
    header_cells,
    markup,
    safe,
    status_cell,
    text,
)
from slaengine.domain.report_text import STATUS_LABELS, STATUS_SYMBOLS
from slaengine.domain.reports import FeedFileInfo, ObjectiveRow, Scorecard

OBJECTIVE_WIDTHS = [32 * mm, 39 * mm, 14 * mm, 15 * mm, 22 * mm, 20 * mm, 16 * mm, 22 * mm]


def title_block(card: Scorecard) -> list[Flowable]:
    mtd = " (month to date)" if card.month_to_date else ""
    sub = (
        f"Contract <b>{safe(card.contract_id)}</b> version {card.contract_version} · "
        f"{safe(card.title)}<br/>{safe(card.sourcing)} · activity {safe(card.activity)} · "
        f"period <b>{safe(card.period)}</b>{mtd} · as of {safe(card.as_of.isoformat())}"
    )
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
            f"</font><br/>{safe(STATUS_LABELS[status])}",
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
    capped = " (capped at the at-risk amount)" if card.credits_capped else ""
    rows = [
        header_cells("Credits", "Amount"),
        [cell("At risk this month"), cell(card.money(card.at_risk), "cell_right")],
        [cell(f"Owed this month{capped}"), cell(card.money(card.credits_owed), "cell_right")],
        [
            cell("Earned back (earlier credits returned)"),
            cell(card.money(card.earned_back), "cell_right"),
        ],
        [
            markup("<b>Net owed</b>", "cell"),
            markup(f"<b>{safe(card.money(card.net_credits))}</b>", "cell_right"),
        ],
    ]
    return grid(rows, [70 * mm, 40 * mm], zebra=False)


def flags_block(card: Scorecard) -> list[Flowable]:
    found: list[Flowable] = [markup("Chronic failure", "h3")]
    if card.chronic_failures:
        found += [
            markup(
                f'<font color="{_hex("breached")}"><b>{safe("✖")} {safe(line)}</b></font>', "body"
            )
            for line in card.chronic_failures
        ]
    else:
        found.append(text("none: no critical objective has reached the contract's threshold"))
    found.append(markup("Restatements", "h3"))
    found += [text(line) for line in card.restatements] or [text("none")]
    return found


def objectives_table(card: Scorecard) -> Table:
    rows: list[list[object]] = [
        header_cells(
            "Objective", "Definition", "Target", "Actual", "Num / den", "Status", "Trend", "Credit"
        )
    ]
    extra: list[tuple[object, ...]] = []
    for index, row in enumerate(card.rows, start=1):
        rows.append(
            [
                markup(
                    f"<b>{safe(row.objective_id)}</b><br/>{safe(row.level)} · {safe(row.channels)}",
                    "cell",
                ),
                markup(
                    f"{safe(row.kpi.replace('_', ' '))}: {safe(row.definition)}<br/>"
                    f'<font color="#52606d">window {safe(row.window)}'
                    f"{_reason(row.reason)}</font>",
                    "cell",
                ),
                cell(row.target),
                actual_cell(row),
                cell(f"{row.numerator} / {row.denominator}", "cell_right"),
                status_cell(row.status, f"{row.symbol} {row.status_text}"),
                trend_cell(row),
                cell(row.credit, "cell_right"),
            ]
        )
        extra.append(("BACKGROUND", (5, index), (5, index), STATUS_FILL[row.status]))
    return grid(rows, OBJECTIVE_WIDTHS, extra=extra)


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
        found += f'<br/><font size="6.5" color="#52606d">{flag}provider {reported}</font>'
    return markup(found, "cell_right")


def _reason(reason: str | None) -> str:
    return f" · {safe(reason)}" if reason else ""


def page_one(card: Scorecard) -> list[Flowable]:
    """Identity, status summary, credits, flags, then the objectives table."""
    side_by_side = Table(
        [[credits_table(card), flags_block(card)]], colWidths=[115 * mm, CONTENT_WIDTH - 115 * mm]
    )
    side_by_side.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
    )
    return [
        *title_block(card),
        status_summary(card),
        Spacer(1, 4 * mm),
        side_by_side,
        markup("Objectives", "h2"),
        objectives_table(card),
    ]


def charts_section(card: Scorecard) -> list[Flowable]:
    charts: list[Flowable] = [trend_chart(series, CONTENT_WIDTH) for series in card.trends]
    charts += [daily_chart(daily, CONTENT_WIDTH) for daily in card.daily]
    if card.channel_volumes:
        charts.append(volume_chart(card.channel_volumes, CONTENT_WIDTH))
    if not charts:
        charts.append(text("No critical objective, day-window objective or channel volume."))
    spaced = [item for chart in charts for item in (chart, Spacer(1, 3 * mm))]
    return [CondPageBreak(70 * mm), markup("Charts", "h2"), *spaced]


def breach_section(card: Scorecard) -> list[Flowable]:
    found: list[Flowable] = [markup("Breach register", "h2")]
    if not card.breaches:
        return [*found, text("No breach this month.")]
    rows: list[list[object]] = [
        header_cells(
            "Objective",
            "Window",
            "Actual",
            "Target",
            "Num / den (volume)",
            "Exclusions applied",
            "Credit",
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
    found: list[Flowable] = [markup("Data quality", "h2"), markup("Feeds used", "h3")]
    found.append(feeds_table(q.feeds) if q.feeds else text("No feed file for this period."))
    found.append(Spacer(1, 2 * mm))
    if q.missing_days_checked:
        days = ", ".join(d.isoformat() for d in q.missing_days) or "none"
        found.append(text(f"Days without any contact (closed days aside): {days}"))
    else:
        found.append(text("Missing days: not checked (no day-window objective)."))
    pending = "; ".join(f"{oid}: {count:,}" for oid, count in q.pending_contacts) or "none"
    found.append(text(f"Pending contacts (deadline not yet passed): {pending}"))
    if q.excluded_days:
        found.append(text("Days excluded by the volume band: " + "; ".join(q.excluded_days)))
    if card.notes:
        found.append(markup("Evaluation notes", "h3"))
        found += [text(note, "small") for note in card.notes]
    return found


def feeds_table(feeds: Sequence[FeedFileInfo]) -> Table:
    rows: list[list[object]] = [
        header_cells("File", "Kind", "sha256", "Rows", "Stored", "Quarantined", "Reasons")
    ]
    for feed in feeds:
        rows.append(
            [
                cell(feed.file_name, "file"),
                cell(feed.kind),
                cell(feed.sha256, "hash"),
                cell(f"{feed.rows:,}", "cell_right"),
                cell(f"{feed.stored:,}", "cell_right"),
                cell(f"{feed.quarantined:,}", "cell_right"),
                cell(feed.reasons_text),
            ]
        )
    widths = [36 * mm, 17 * mm, 34 * mm, 14 * mm, 14 * mm, 22 * mm, 43 * mm]
    return grid(rows, widths)


def benchmark_section(card: Scorecard) -> list[Flowable]:
    found: list[Flowable] = [markup("Benchmark position", "h2")]
    if card.benchmark is None:
        return [*found, text("No benchmark for this activity and period.")]
    intro = (
        f"Where {card.contract_id} stands among the setups of activity {card.activity},"
        " all measured with the same definitions (rank 1 is best; mixed is not ranked)."
    )
    return [*found, text(intro, "small"), Spacer(1, 2 * mm), benchmark_table(card.benchmark)]


def scorecard_story(card: Scorecard) -> list[Flowable]:
    return [
        *page_one(card),
        *charts_section(card),
        *breach_section(card),
        *quality_section(card),
        KeepTogether(benchmark_section(card)),
    ]


def render_scorecard(card: Scorecard, path: Path) -> Path:
    """Write the scorecard PDF to `path` and return it."""
    frame = PageFrame(
        "Monthly provider scorecard",
        f"{card.provider_name} ({card.contract_id} v{card.contract_version})",
        card.period,
        lifecycle=card.lifecycle,
    )
    return build_pdf(path, scorecard_story(card), frame)
