"""What the service-level schedule says: the contract in sentences a provider's lawyer signs.

`build_annex(contract, sha256)` turns the very contract the engine evaluates into sections of
plain sentences in the active report language (SPEC section 6, `contract annex`): every
objective (what is measured, on which contacts, in which hours, threshold, denominator,
target, window and allowed misses, minimum volume, level), the money with a worked example
computed by the engine's own credit rules (`slaengine.domain.money.credits`), incentives,
exclusions and relief, chronic failure, continuous improvement, the client's obligations and
the data annex. An objective's id appears only as its reference, beside its meaning. How it
looks is adapters/pdf/annex.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from slaengine.domain.contract.model import (
    CHANNELS,
    Calendar,
    Contract,
    ExclusionEvent,
    Objective,
    ReliefRules,
)
from slaengine.domain.money.credits import allocate_credits, objective_credit
from slaengine.domain.reports.diff_words import (
    delay_words,
    hours_amount,
    hours_words,
    percent_words,
    target_words,
)
from slaengine.domain.reports.text import (
    channels_text,
    describe_objective,
    duration_words,
    format_day,
    format_money,
    kpi_name,
    level_label,
)
from slaengine.i18n import N_, _, current, ngettext

Rows = tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class AnnexSection:
    """A numbered section: sentences, headed items (one per objective), then tables, each a
    caption (may be empty) and rows whose first is the header."""

    title: str
    paragraphs: tuple[str, ...]
    tables: tuple[tuple[str, Rows], ...] = ()
    items: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class WorkedExample:
    """The credits of a month in which `breached` objectives are breached and no other."""

    breached: tuple[str, ...]
    per_objective: dict[str, Decimal]
    uncapped: Decimal
    total: Decimal
    capped: bool


@dataclass(frozen=True)
class Annex:
    contract_id: str
    version: int
    sha256: str
    title: str
    provider: str
    sections: tuple[AnnexSection, ...]
    examples: tuple[WorkedExample, ...]

    @property
    def fingerprint(self) -> str:
        """The line every page carries: version and the contract file's sha256."""
        return _("{id} version {version} · sha256 {sha256}").format(
            id=self.contract_id, version=self.version, sha256=self.sha256
        )


def worked_example(contract: Contract, breached: tuple[str, ...]) -> WorkedExample:
    """The engine's own credit rules applied to a month where `breached` are breached."""
    allocation = allocate_credits(contract, dict.fromkeys(breached, "breached"))
    return WorkedExample(
        breached,
        {key: allocation.per_objective[key] for key in breached},
        allocation.uncapped,
        allocation.total,
        allocation.capped,
    )


def example_months(contract: Contract) -> tuple[tuple[str, ...], ...]:
    """The objective with the largest allocation alone, then every allocated one at once."""
    credits = contract.credits
    if credits is None or not credits.allocation:
        return ()
    ordered = [o.id for o in contract.objectives if o.id in credits.allocation]
    largest = max(ordered, key=lambda key: credits.allocation[key].fraction)
    return ((largest,), tuple(ordered)) if len(ordered) > 1 else ((largest,),)


def build_annex(contract: Contract, sha256: str) -> Annex:
    """The schedule of `contract` (whose file has `sha256`) in the active report language."""
    examples = tuple(worked_example(contract, months) for months in example_months(contract))
    sections = [
        _parties(contract),
        _hours(contract),
        _objectives(contract),
        *_credits_sections(contract, examples),
        *_optional(contract),
        _client(contract),
        _data_annex(),
        _integrity(contract, sha256),
    ]
    return Annex(
        contract.id,
        contract.version,
        sha256,
        contract.title,
        contract.provider.name,
        tuple(section for section in sections if section is not None),
        examples,
    )


def reference(objective: Objective) -> str:
    """`service level, phone (reference phone-sl)`: an id never without its meaning."""
    return _("{name}, {channels} (reference “{id}”)").format(
        name=kpi_name(objective.kpi), channels=channels_text(objective.channels), id=objective.id
    )


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


# ------------------------------------------------------------------ the parties and hours


def _parties(contract: Contract) -> AnnexSection:
    sourcing = (
        _("an outsourced provider")
        if contract.provider.sourcing == "outsourced"
        else _("the client's in-house team")
    )
    until = (
        _("until {day} included").format(day=format_day(contract.effective.end))
        if contract.effective.end
        else _("with no end date")
    )
    first = _(
        "This schedule sets the service levels of the contract “{title}” between the client and"
        " {provider}, {sourcing}. It is version {version} of the contract referenced “{id}”,"
        " in force from {start} {until}."
    ).format(
        title=contract.title,
        provider=contract.provider.name,
        sourcing=sourcing,
        version=contract.version,
        id=contract.id,
        start=format_day(contract.effective.start),
        until=until,
    )
    second = _(
        "Days, weeks, months and opening hours are those of the time zone {zone}; a month runs"
        " from its first day at 00:00 to its last day at 24:00 local time. Amounts are in"
        " {currency}, rounded half up to the cent. Every figure is computed from counts summed"
        " over the period, never by averaging percentages."
    ).format(zone=contract.timezone, currency=contract.currency)
    return AnnexSection(_("Parties, term and conventions"), (first, second))


def _calendar_words(name: str, calendar: Calendar) -> str:
    holidays = calendar.holidays
    closed: list[str] = []
    if holidays is not None and holidays.country:
        closed.append(
            _("the public holidays of {country}").format(country=_country(holidays.country))
        )
    if holidays is not None and holidays.closed:
        closed.append(", ".join(format_day(day) for day in holidays.closed))
    text = _("Calendar “{name}”: open {hours}.").format(name=name, hours=hours_words(calendar))
    if closed:
        text += " " + _("Closed on {days}.").format(days=_(" and ").join(closed))
    return text


def _country(code: str) -> str:
    name = current().babel.territories.get(code)
    return f"{name} ({code})" if name else code


def _hours(contract: Contract) -> AnnexSection | None:
    if not contract.calendars:
        return None
    lead = _(
        "Opening hours are local times; an interval such as 08:00–22:00 includes its start and"
        " excludes its end."
    )
    lines = [_calendar_words(name, cal) for name, cal in contract.calendars.items()]
    return AnnexSection(_("Opening hours and holidays"), (lead, *lines))


# ------------------------------------------------------------------ objectives


def _objectives(contract: Contract) -> AnnexSection:
    paragraphs = [
        _(
            "Each objective is measured over its window from the contacts of the data annex."
            " A window is met when its figure reaches the target, breached otherwise; it is not"
            " determined (neither met nor breached) when its volume is under the minimum or its"
            " data are missing, and excused when every contact in it is excluded."
        )
    ]
    items = tuple(
        (_capitalised(reference(objective)), _objective_words(objective, contract))
        for objective in contract.objectives
    )
    return AnnexSection(_("Service levels"), tuple(paragraphs), items=items)


def _objective_words(objective: Objective, contract: Contract) -> str:
    parts = [
        _("What is measured: {formula}.").format(formula=describe_objective(objective)),
        _scope(objective),
    ]
    if objective.threshold is not None:
        parts.append(_threshold(objective))
    if objective.target is not None:
        parts.append(_("Target: {target}.").format(target=target_words(objective.target)))
    parts.append(_window(objective))
    if objective.min_volume:
        parts.append(
            _(
                "Minimum volume: a window with fewer than {count} contacts in scope is not"
                " determined."
            ).format(count=current().count(objective.min_volume))
        )
    parts.append(
        _("Level: {level}.").format(level=level_label(objective.level))
        + " "
        + _(LEVEL_MEANING.get(objective.level, ""))
    )
    return " ".join(part.strip() for part in parts if part.strip())


LEVEL_MEANING = {
    "critical": N_("A critical objective counts towards chronic failure."),
    "key": N_("A key objective does not count towards chronic failure."),
}


def _scope(objective: Objective) -> str:
    channels = channels_text(objective.channels)
    if objective.calendar and objective.kpi != "response_within":
        return _(
            "Contacts in scope: {channels} contacts arriving while calendar “{calendar}” is open,"
            " outside excluded events and days."
        ).format(channels=channels, calendar=objective.calendar)
    if set(objective.channels) >= set(CHANNELS):
        return _(
            "Contacts in scope: every contact of every channel arriving in the window, outside"
            " excluded events and days."
        )
    return _(
        "Contacts in scope: every {channels} contact arriving in the window, outside excluded"
        " events and days."
    ).format(channels=channels)


def _threshold(objective: Objective) -> str:
    within = duration_words(objective.threshold)
    if objective.kpi == "response_within":
        if objective.effective_clock == "business":
            return _(
                "Deadline: {duration} of open time of calendar “{calendar}” (a contact arriving"
                " while closed starts its clock at the next opening; closed days do not count);"
                " a contact still unanswered after its deadline counts as missed."
            ).format(duration=within, calendar=objective.calendar)
        return _(
            "Deadline: {duration} of calendar time from arrival; a contact still unanswered"
            " after its deadline counts as missed."
        ).format(duration=within)
    return _(
        "Threshold: a contact is answered in time when its wait is at most {duration} (wait:"
        " from arrival to answer)."
    ).format(duration=within)


def _window(objective: Objective) -> str:
    if objective.window == "month":
        return _("Window: the calendar month.")
    misses = objective.allowed_misses or 0
    unit = _("day") if objective.window == "day" else _("week")
    return ngettext(
        "Window: each {unit}; the month is breached when more than {count} {unit} misses"
        " the target.",
        "Window: each {unit}; the month is breached when more than {count} windows miss"
        " the target.",
        misses,
    ).format(unit=unit, count=misses)


# ------------------------------------------------------------------ money


def _credits_sections(
    contract: Contract, examples: tuple[WorkedExample, ...]
) -> list[AnnexSection]:
    credits = contract.credits
    if credits is None:
        return [AnnexSection(_("Service credits"), (_("The contract sets no service credits."),))]
    fee = format_money(credits.monthly_fee, contract.currency)
    at_risk = format_money(credits.at_risk_amount, contract.currency)
    lead = [
        _(
            "Monthly fee: {fee}. Amount at risk: {share} of the monthly fee, that is {amount}:"
            " the most that service credits can total in a month."
        ).format(fee=fee, share=percent_words(credits.at_risk.fraction), amount=at_risk),
        _(
            "When an objective is breached in a month, the provider owes the client its share"
            " of the amount at risk below. When the shares owed exceed the amount at risk, each"
            " is reduced in proportion so that the month's total equals it."
        ),
    ]
    if credits.pool is not None:
        lead.append(
            _("The shares may add up to {pool} at most.").format(
                pool=percent_words(credits.pool.fraction)
            )
        )
    if credits.earn_back is not None:
        lead.append(
            ngettext(
                "Earn-back: a credit is returned to the provider when the same objective is met"
                " in the next month.",
                "Earn-back: a credit is returned to the provider when the same objective is met"
                " in each of the next {count} months.",
                credits.earn_back.months,
            ).format(count=credits.earn_back.months)
        )
    header = (_("objective"), _("share of the amount at risk"), _("credit when breached"))
    objectives = {o.id: o for o in contract.objectives}
    rows = [
        (
            reference(objectives[key]) if key in objectives else key,
            percent_words(share.fraction),
            format_money(objective_credit(credits, key), contract.currency),
        )
        for key, share in credits.allocation.items()
    ]
    money = AnnexSection(_("Service credits"), tuple(lead), (("", (header, *rows)),))
    example = AnnexSection(
        _("Worked example"),
        tuple(_example_words(contract, example, objectives) for example in examples)
        or (_("No objective carries a credit."),),
    )
    return [money, example]


def _example_words(
    contract: Contract, example: WorkedExample, objectives: dict[str, Objective]
) -> str:
    def money(amount: Decimal) -> str:
        return format_money(amount, contract.currency)

    owed = "; ".join(
        _("{objective}: {amount}").format(
            objective=reference(objectives[key]), amount=money(amount)
        )
        for key, amount in example.per_objective.items()
    )
    text = ngettext(
        "In a month where one objective is breached and every other met, the provider owes:"
        " {owed}.",
        "In a month where these {count} objectives are breached and every other met, the"
        " shares owed are: {owed}.",
        len(example.breached),
    ).format(count=len(example.breached), owed=owed)
    if example.capped:
        text += " " + _(
            "Their sum, {uncapped}, exceeds the amount at risk, so the month's credits total"
            " {total}, each share reduced in proportion."
        ).format(uncapped=money(example.uncapped), total=money(example.total))
    else:
        text += " " + _("The month's credits total {total}.").format(total=money(example.total))
    return text


# ------------------------------------------------------------------ optional terms


def _optional(contract: Contract) -> list[AnnexSection]:
    found = [
        _incentives(contract),
        _exclusions(contract),
        _chronic(contract),
        _improvement(contract),
    ]
    return [section for section in found if section is not None]


def _incentives(contract: Contract) -> AnnexSection | None:
    incentives = contract.incentives
    if incentives is None:
        return None
    fee_share = percent_words(incentives.cap.fraction)
    cap = contract.credits.monthly_fee * incentives.cap.fraction if contract.credits else None
    lead = _(
        "The provider earns an incentive when an objective is not breached and its month's"
        " figure reaches the level below. Incentives total at most {share} of the monthly fee"
        " in a month{amount}."
    ).format(
        share=fee_share,
        amount=""
        if cap is None
        else " " + _("(that is {cap})").format(cap=_money_amount(cap, contract)),
    )
    offset = (
        _("Incentives earned in a month reduce that month's credits, never below zero.")
        if incentives.offset_credits
        else _("Incentives are paid apart: they never reduce the credits owed.")
    )
    objectives = {o.id: o for o in contract.objectives}
    rows = [
        (
            reference(objectives[key]) if key in objectives else key,
            target_words(earn.when),
            percent_words(earn.share.fraction),
        )
        for key, earn in incentives.earn.items()
    ]
    header = (_("objective"), _("month's figure from"), _("share of the incentive cap"))
    tables = (("", (header, *rows)),) if rows else ()
    return AnnexSection(_("Incentives"), (lead, offset), tables)


def _money_amount(amount: Decimal, contract: Contract) -> str:
    from slaengine.domain.money.credits import to_cents

    return format_money(to_cents(amount), contract.currency)


def _exclusions(contract: Contract) -> AnnexSection | None:
    exclusions = contract.exclusions
    if exclusions is None:
        return None
    paragraphs: list[str] = []
    if exclusions.volume_band is not None:
        paragraphs.append(
            _(
                "Volume band: a day whose phone or chat contacts exceed the client's forecast for"
                " that day and channel by more than {share} is excluded from the phone and chat"
                " objectives."
            ).format(share=percent_words(exclusions.volume_band.over_forecast.fraction))
        )
    paragraphs += [_event_words(event, contract) for event in exclusions.events]
    if exclusions.relief is not None:
        paragraphs.append(_relief_words(exclusions.relief))
    if not paragraphs:
        return None
    return AnnexSection(_("Exclusions and relief"), tuple(paragraphs))


def _event_words(event: ExclusionEvent, contract: Contract) -> str:
    channels = channels_text(event.channels) if event.channels else _("all channels")
    zone = contract.zone
    when = current().interval(event.start.astimezone(zone), event.end.astimezone(zone))
    if event.queues:
        message = _(
            "Excluded event “{id}”: contacts on {channels} in queues {queues} arriving {when}"
            " are excluded ({reason}; approved by {approver})."
        )
    else:
        message = _(
            "Excluded event “{id}”: contacts on {channels} arriving {when} are excluded"
            " ({reason}; approved by {approver})."
        )
    return message.format(
        id=event.id,
        channels=channels,
        queues=", ".join(event.queues or ()),
        when=when,
        reason=event.reason,
        approver=event.approved_by,
    )


def _relief_words(relief: ReliefRules) -> str:
    """`exclusions.relief` (SPEC sections 1 and 7): deadline to request and monthly allowance."""
    parts = [
        _(
            "Relief: an incident that excuses the provider may be declared while the contract"
            " runs. Only relief approved by someone other than the requester excludes contacts,"
            " like an excluded event."
        )
    ]
    if relief.delay is not None:
        parts.append(
            _("It must be requested within {within} after the incident ends{calendar}.").format(
                within=delay_words(relief.delay),
                calendar=""
                if relief.calendar is None
                else " " + _("(counted on calendar “{name}”)").format(name=relief.calendar),
            )
        )
    else:
        parts.append(_("It may be requested at any time after the incident ends."))
    if relief.max_hours_per_month is not None:
        parts.append(
            _(
                "At most {hours} of approved relief per month, all channels together;"
                " relief beyond this is refused."
            ).format(hours=hours_amount(relief.max_hours_per_month))
        )
    return " ".join(parts)


def _chronic(contract: Contract) -> AnnexSection | None:
    rule = contract.chronic_failure
    if rule is None:
        return None
    text = _(
        "Chronic failure: when the same critical objective is breached {breaches} times within"
        " any {months} consecutive months, the client may terminate the contract."
    ).format(breaches=rule.breaches, months=rule.within_months)
    return AnnexSection(_("Chronic failure"), (text,))


def _improvement(contract: Contract) -> AnnexSection | None:
    rule = contract.continuous_improvement
    if rule is None:
        return None
    objectives = {o.id: o for o in contract.objectives}
    names = (
        ", ".join(
            reference(objectives[key]) if key in objectives else key for key in rule.objectives
        )
        if rule.objectives
        else _("every objective with a target")
    )
    text = _(
        "Continuous improvement: after {months} consecutive months better than its target, an"
        " objective's target moves halfway to the average achieved over those months. Applies"
        " to: {objectives}."
    ).format(months=rule.after_months, objectives=names)
    return AnnexSection(_("Continuous improvement"), (text,))


# ------------------------------------------------------------------ client and data


def _client(contract: Contract) -> AnnexSection:
    paragraphs = [
        _(
            "The client sends a forecast of contacts per day and channel before each month"
            " (the forecasts feed of the data annex)."
        )
    ]
    band = contract.exclusions.volume_band if contract.exclusions else None
    if band is not None:
        paragraphs.append(
            _(
                "The provider owes the phone and chat service levels only within {share} above"
                " the forecast; days beyond are excluded (see Exclusions)."
            ).format(share=percent_words(band.over_forecast.fraction))
        )
    return AnnexSection(_("The client's obligations"), tuple(paragraphs))


FEEDS: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        N_("contacts"),
        N_("one row per contact (the preferred feed)"),
        (
            ("contact_id", N_("the contact's identifier, unique within the provider")),
            ("channel", N_("phone, chat, email, sms, social or mail")),
            ("queue", N_("optional queue name")),
            ("arrived_at", N_("arrival instant, ISO 8601 with its UTC offset")),
            ("answered_at", N_("answer instant; empty when not answered")),
            ("abandoned_at", N_("abandon instant; empty unless abandoned")),
            ("handle_seconds", N_("handle time in seconds; empty when not answered")),
            ("resolved_first_contact", N_("true or false; optional")),
            ("csat", N_("satisfaction score 1 to 5; optional")),
            ("nps", N_("recommendation score 0 to 10; optional")),
        ),
    ),
    (
        N_("intervals"),
        N_("counts per queue and interval, for a provider that cannot send contacts"),
        (
            ("interval_start", N_("start of the interval (15, 30 or 60 minutes)")),
            ("offered, answered, abandoned, abandoned_short", N_("contacts counted")),
            (
                "answered_within_threshold, threshold_seconds",
                N_("answered in time, and the threshold used"),
            ),
            ("short_abandon_seconds", N_("the short abandon threshold used")),
            ("wait_seconds_answered, handle_seconds", N_("sums of seconds")),
        ),
    ),
    (
        N_("costs"),
        N_("the month's costs, for cost per contact"),
        (
            ("month", N_("the month, YYYY-MM")),
            ("channel", N_("a channel, or all")),
            ("amount, currency", N_("the amount and its currency")),
            ("kind", N_("fee or other")),
        ),
    ),
    (
        N_("forecasts"),
        N_("the client's forecast, for the volume band"),
        (
            ("date", N_("the day")),
            ("channel", N_("the channel")),
            ("contacts", N_("contacts forecast")),
        ),
    ),
)


def _data_annex() -> AnnexSection:
    lead = _(
        "The provider sends its data as files (CSV with a header row, JSON Lines or Parquet)"
        " with the columns below. A row that breaks a rule is set aside with its reasons, never"
        " silently dropped; a corrected file replaces the rows it repeats and restates the"
        " months it changes."
    )
    header = (_("column"), _("meaning"))
    tables = tuple(
        (
            _("Feed “{kind}”: {purpose}").format(kind=_(kind), purpose=_(purpose)),
            (header, *((name, _(meaning)) for name, meaning in columns)),
        )
        for kind, purpose, columns in FEEDS
    )
    return AnnexSection(_("Data annex"), (lead,), tables)


def _integrity(contract: Contract, sha256: str) -> AnnexSection:
    text = _(
        "This schedule is generated from the contract file the engine evaluates, whose SHA-256"
        " fingerprint is {sha256}. Anyone can check that a file is the one signed by computing"
        " its fingerprint (for example `sha256sum`): any change to the file changes it."
    ).format(sha256=sha256)
    return AnnexSection(_("Integrity"), (text,))
