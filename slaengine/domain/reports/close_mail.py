"""What the director's e-mail of a monthly close says: subject, headline, the portfolio's
first table (one line per provider), the contracts that received no data, the attachments.

Built from the month's `Portfolio` (the same figures as the attached PDF, in the report
language); how it looks (plain text, HTML) is the delivery adapter's business.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from slaengine.domain.reports.portfolio import Portfolio, PortfolioRow
from slaengine.domain.reports.scorecard import Scorecard
from slaengine.domain.reports.text import format_money, format_period, sourcing_label
from slaengine.i18n import _, current, ngettext


@dataclass(frozen=True)
class MailRow:
    """One provider line of the e-mail's table."""

    provider: str
    contract: str
    sourcing: str
    missed: str  # "2 (phone-sl, email-24h)", "0", or the no-data words
    net_credits: str
    cost_per_contact: str
    no_data: bool = False
    missed_count: int = 0


@dataclass(frozen=True)
class CloseMailText:
    subject: str
    title: str
    lifecycle: str
    headline: str
    headings: tuple[str, str, str, str, str]
    rows: tuple[MailRow, ...]
    no_data_title: str
    no_data: tuple[str, ...]  # "Provider (contract): no data received for … (expected: …)"
    attachments: str
    footer: str
    label_pattern: str = "{label}: {value}"  # French puts a space before the colon

    def labelled(self, label: str, value: str) -> str:
        return self.label_pattern.format(label=label, value=value)


def _sum_by_currency(pairs: Sequence[tuple[str, Decimal]]) -> list[str]:
    totals: dict[str, Decimal] = {}
    for currency, amount in pairs:
        totals[currency] = totals.get(currency, Decimal("0.00")) + amount
    return [format_money(amount, currency) for currency, amount in sorted(totals.items()) if amount]


def _missed_count(cards: Sequence[Scorecard]) -> int:
    return sum(card.counts.breached for card in cards if not card.no_data)


def headline(cards: Sequence[Scorecard]) -> str:
    """`2 objectives missed, €7,200.00 credits due, €300.00 incentives earned; no data for 1
    contract`: counted over the contracts that received data only."""
    missed = _missed_count(cards)
    parts = [
        ngettext("{count} objective missed", "{count} objectives missed", missed).format(
            count=current().count(missed)
        )
        if missed
        else _("no objective missed")
    ]
    credits = _sum_by_currency([(c.currency, c.net_credits) for c in cards if not c.no_data])
    parts.append(
        _("{amount} credits due").format(amount=" + ".join(credits))
        if credits
        else _("no credits due")
    )
    incentives = _sum_by_currency(
        [(c.currency, c.incentives.total_value) for c in cards if c.incentives and not c.no_data]
    )
    if incentives:
        parts.append(_("{amount} incentives earned").format(amount=" + ".join(incentives)))
    text = ", ".join(parts)
    silent = sum(1 for card in cards if card.no_data)
    if silent:
        text += _("; ") + ngettext(
            "no data received for {count} contract",
            "no data received for {count} contracts",
            silent,
        ).format(count=current().count(silent))
    return text


def _row(row: PortfolioRow) -> MailRow:
    if row.no_data:
        missed = _("no data received")
    elif row.breached_count:
        ids = ", ".join(item.objective_id for item in row.breached)
        missed = f"{current().count(row.breached_count)} ({ids})"
    else:
        missed = current().count(0)
    return MailRow(
        provider=row.provider_name,
        contract=f"{row.contract_id} v{row.contract_version}",
        sourcing=sourcing_label(row.sourcing),
        missed=missed,
        net_credits="–" if row.no_data or not row.has_credits else row.net_credits,
        cost_per_contact=row.cost_per_contact,
        no_data=bool(row.no_data),
        missed_count=0 if row.no_data else row.breached_count,
    )


def build_close_mail(portfolio: Portfolio, files: Sequence[str]) -> CloseMailText:
    """The e-mail of the month's close, in the active report language."""
    month = format_period(portfolio.period)
    cards = portfolio.sections
    line = headline(cards)
    return CloseMailText(
        subject=_("SLA close {of_month}: {headline}").format(
            of_month=current().of(month), headline=line
        ),
        title=_("SLA close {of_month}").format(of_month=current().of(month)),
        lifecycle=portfolio.lifecycle,
        headline=line[:1].upper() + line[1:],
        headings=(
            _("Provider"),
            _("Sourcing"),
            _("Objectives missed"),
            _("Net credits owed"),
            _("Cost per contact"),
        ),
        rows=tuple(_row(row) for row in portfolio.rows),
        no_data_title=_("Contracts in force with no data"),
        no_data=tuple(
            _("{provider} ({contract}): {words}").format(
                provider=row.provider_name, contract=row.contract_id, words=row.no_data
            )
            for row in portfolio.rows
            if row.no_data
        ),
        attachments=_("Attached: {files}.").format(files=", ".join(files)),
        footer=_(
            "Sent by slaengine after the monthly close; the audit reports are kept with the"
            " other reports."
        ),
        label_pattern=_("{label}: {value}"),
    )
