"""What reports say: scorecard, portfolio, audit and benchmark data objects, by hand."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import date
from decimal import Decimal

from slaengine.domain.contract.model import Objective
from slaengine.domain.contract.periods import shift_period
from slaengine.domain.reports import (
    BreachEntry,
    StatusCounts,
    build_audit,
    build_benchmark_table,
    build_portfolio,
    build_scorecard,
    describe_objective,
    status_mark,
)
from slaengine.domain.reports.audit import audit_calendar
from slaengine.domain.reports.text import format_delta, format_value
from slaengine.i18n import using
from tests.reports_builders import (
    acme,
    acme_text,
    benchmark,
    feed,
    october,
    september,
)


def objective(**fields: object) -> Objective:
    return Objective.model_validate({"id": "x", **fields})


# describe_objective -----------------------------------------------------------------------


def test_service_level_names_threshold_denominator_and_opening_hours() -> None:
    phone_sl = acme().objective("phone-sl")
    assert describe_objective(phone_sl) == (
        "answered within 20\u00a0s ÷ offered minus abandons ≤ 5\u00a0s,"
        " opening hours 'opening-hours'"
    )


def test_service_level_over_offered_has_no_scope_without_calendar() -> None:
    assert describe_objective(acme().objective("chat-sl")) == "answered within 1\u00a0min ÷ offered"


def test_service_level_over_answered_and_late_abandons() -> None:
    found = objective(
        kpi="service_level", threshold="30s", denominator="answered_and_late_abandons"
    )
    assert describe_objective(found) == (
        "answered within 30\u00a0s ÷ answered plus abandons after 30\u00a0s"
    )


def test_answer_rate_over_answered() -> None:
    found = objective(kpi="answer_rate", denominator="answered")
    assert describe_objective(found) == "answered ÷ answered"


def test_abandonment_counts_only_late_abandons_when_short_abandon_is_set() -> None:
    assert describe_objective(acme().objective("phone-abandon")) == (
        "abandoned after 5\u00a0s ÷ offered minus abandons ≤ 5\u00a0s"
    )


def test_abandonment_without_short_abandon_counts_every_abandon() -> None:
    found = objective(kpi="abandonment_rate")
    assert describe_objective(found) == "all abandons ÷ offered"


def test_response_within_on_the_business_clock_names_its_calendar() -> None:
    assert describe_objective(acme().objective("email-24h")) == (
        "answered within 24\u00a0h on the business clock of 'office'"
    )


def test_response_within_on_the_calendar_clock_says_calendar_hours() -> None:
    found = objective(kpi="response_within", threshold="4h")
    assert describe_objective(found) == "answered within 4\u00a0h, calendar hours"


def test_csat_fcr_nps_asa_aht_read_as_their_formulas() -> None:
    contract = acme()
    assert describe_objective(contract.objective("csat")) == "scores 4–5 ÷ scores given"
    assert describe_objective(objective(kpi="csat", satisfied_from=5)) == "score 5 ÷ scores given"
    assert describe_objective(contract.objective("fcr")) == (
        "resolved at first contact ÷ contacts where known"
    )
    assert describe_objective(contract.objective("nps")) == (
        "100 × (promoters 9–10 − detractors 0–6) ÷ answers"
    )
    assert describe_objective(contract.objective("phone-asa")) == "mean wait of answered contacts"
    assert describe_objective(objective(kpi="average_handle_time")) == (
        "mean handle time of answered contacts"
    )


# formatting -------------------------------------------------------------------------------


def test_values_print_in_their_unit() -> None:
    assert format_value(0.8123, "service_level") == "81.2%"
    assert format_value(0.0005, "abandonment_rate") == "0.1%"
    assert format_value(28.44, "average_speed_of_answer") == "28.4\u00a0s"
    assert format_value(32.0, "nps") == "32.0"
    assert format_value(None, "csat") == "n/a"


def test_deltas_are_signed_and_fractions_move_in_points() -> None:
    assert format_delta(0.0123, "service_level") == "+1.2\u00a0pt"
    assert format_delta(-3.04, "average_speed_of_answer") == "-3.0\u00a0s"
    assert format_delta(0.0, "nps") == "+0.0\u00a0pts"


def test_status_marks_read_without_colour() -> None:
    assert [status_mark(s) for s in ("met", "breached", "not_determined", "excused")] == [
        "✔ met",
        "✖ breached",
        "? not determined",
        "– excused",
    ]


def test_periods_shift_across_years() -> None:
    assert shift_period("2026-01", -1) == "2025-12"
    assert shift_period("2025-11", 11) == "2026-10"


# scorecard --------------------------------------------------------------------------------


def test_scorecard_counts_each_status() -> None:
    card = build_scorecard(acme(), october())
    assert card.counts == StatusCounts(met=2, breached=2, not_determined=1, excused=1)


def test_scorecard_page_one_names_provider_contract_and_credits() -> None:
    card = build_scorecard(acme(), october())
    assert (card.provider_name, card.sourcing, card.contract_id, card.contract_version) == (
        "ACME Contact Services",
        "outsourced",
        "acme-l1",
        2,
    )
    assert card.money(card.credits_owed) == "€7,200.00"
    assert card.money(card.earned_back) == "€1,200.00"
    assert card.money(card.net_credits) == "€6,000.00"
    assert card.chronic_failures == (
        "email-24h: breached 3 times within 6 months (Jun 2026, Aug 2026, Oct 2026):"
        " termination right",
    )
    assert card.restatements == ()


def test_a_restated_evaluation_says_so_first() -> None:
    card = build_scorecard(
        acme(),
        october(restated=True, notes=("contract acme-l1 version 2",)),
        restatements=("feed x replaced feed y",),
    )
    assert card.restatements == (
        "this final result restates an earlier one: its inputs changed",
        "feed x replaced feed y",
    )
    assert card.notes == ("contract acme-l1 version 2",)


def test_the_provider_own_figure_is_shown_beside_the_recomputed_one() -> None:
    evaluation = october()
    sl = replace(evaluation.objectives[0], provider_reported_value=0.83, provider_differs=True)
    card = build_scorecard(acme(), replace(evaluation, objectives=(sl,)))
    assert (card.rows[0].actual, card.rows[0].provider_reported) == ("81.2%", "83.0%")
    assert card.rows[0].provider_differs is True


def test_objective_rows_format_figures_and_describe_the_formula() -> None:
    rows = {row.objective_id: row for row in build_scorecard(acme(), october()).rows}
    sl = rows["phone-sl"]
    assert (sl.channels, sl.target, sl.actual, sl.numerator, sl.denominator) == (
        "phone",
        "≥\u00a080%",
        "81.2%",
        "8,123",
        "10,000",
    )
    assert (sl.status_text, sl.symbol, sl.credit, sl.window) == ("met", "✔", "€0.00", "month")
    assert rows["phone-abandon"].window == "day, 2 misses allowed"
    assert rows["phone-asa"].numerator == "284,400"
    assert rows["fcr"].channels == "phone, chat, email"
    assert rows["chat-sl"].reason == "no chat contacts"
    assert rows["chat-sl"].actual == "n/a"


def test_trend_against_last_month_says_direction_delta_and_whether_it_is_better() -> None:
    rows = {
        r.objective_id: r for r in build_scorecard(acme(), october(), history=[september()]).rows
    }
    assert rows["phone-sl"].trend_text == "▲ +1.2\u00a0pt"
    assert rows["phone-sl"].trend is not None and rows["phone-sl"].trend.better is True
    # 1450/31000 = 4.68% against 5.00%: lower abandonment is better
    assert rows["phone-abandon"].trend_text == "▼ -0.3\u00a0pt"
    assert rows["phone-abandon"].trend is not None and rows["phone-abandon"].trend.better is True
    assert rows["email-24h"].trend_text == "▼ -6.0\u00a0pt"
    assert rows["email-24h"].trend is not None and rows["email-24h"].trend.better is False
    assert rows["phone-asa"].trend_text == "= same"
    assert rows["chat-sl"].trend is None


def test_without_last_month_there_is_no_trend() -> None:
    assert all(row.trend is None for row in build_scorecard(acme(), october()).rows)


def test_trend_series_start_at_the_first_month_with_data_and_end_at_the_period() -> None:
    card = build_scorecard(acme(), october(), history=[september()])
    assert [series.objective_id for series in card.trends] == ["phone-sl", "email-24h"]
    phone = card.trends[0]
    assert [p.period for p in phone.points] == ["2026-09", "2026-10"]
    assert [p.value for p in phone.points] == [0.80, 0.8123]
    assert (phone.target, phone.target_value) == ("≥\u00a080%", 0.8)


def test_trend_series_keep_the_gaps_after_the_first_month_with_data() -> None:
    august = replace(september(), period="2026-08")
    card = build_scorecard(acme(), october(), history=[august])
    assert [(p.period, p.value) for p in card.trends[0].points] == [
        ("2026-08", 0.80),
        ("2026-09", None),
        ("2026-10", 0.8123),
    ]


def test_without_history_the_series_is_the_month_alone() -> None:
    card = build_scorecard(acme(), october())
    assert [p.period for p in card.trends[0].points] == ["2026-10"]


def test_daily_series_marks_the_missed_days() -> None:
    (daily,) = build_scorecard(acme(), october()).daily
    assert daily.objective_id == "phone-abandon"
    assert len(daily.points) == 31
    assert (daily.missed, daily.allowed_misses) == (3, 2)
    missed = [p.day.day for p in daily.points if p.status == "breached"]
    assert missed == [3, 10, 17]


def test_breach_register_lists_windows_then_the_period_line_with_the_credit() -> None:
    register = build_scorecard(acme(), october()).breaches
    over_forecast = "10 Oct 2026 phone over forecast (1,400 vs 1,100)"
    assert register == (
        BreachEntry(
            "phone-abandon",
            "3 Oct 2026",
            "6.0%",
            "≤\u00a05%",
            "60 / 1,000 (1,000 contacts)",
            "none",
            "–",
        ),
        BreachEntry(
            "phone-abandon",
            "10 Oct 2026",
            "7.0%",
            "≤\u00a05%",
            "70 / 1,000 (1,000 contacts)",
            over_forecast,
            "–",
        ),
        BreachEntry(
            "phone-abandon",
            "17 Oct 2026",
            "8.0%",
            "≤\u00a05%",
            "80 / 1,000 (1,000 contacts)",
            "none",
            "–",
        ),
        BreachEntry(
            "phone-abandon",
            "October 2026: 3 windows missed, 2 allowed",
            "4.7%",
            "≤\u00a05%",
            "1,450 / 31,000 (31,000 contacts)",
            over_forecast,
            "€2,400.00",
        ),
        BreachEntry(
            "email-24h",
            "October 2026",
            "90.0%",
            "≥\u00a095%",
            "1,800 / 2,000 (2,100 contacts)",
            "12 contacts excluded",
            "€4,800.00",
        ),
    )


def test_data_quality_lists_feeds_pending_contacts_and_missing_days() -> None:
    evaluation = october()
    abandon = evaluation.objectives[1]
    empty_day = replace(abandon.windows[4], volume=0, numerator=0, denominator=0)
    windows = (*abandon.windows[:4], empty_day, *abandon.windows[5:])
    evaluation = replace(
        evaluation,
        objectives=(
            evaluation.objectives[0],
            replace(abandon, windows=windows),
            *evaluation.objectives[2:],
        ),
    )
    quality = build_scorecard(acme(), evaluation, feeds=[feed()]).quality
    assert quality.feeds[0].reasons_text == "duplicate contact_id: 3; timestamp without offset: 7"
    assert quality.pending_contacts == (("email-24h", 100),)
    assert (quality.missing_days, quality.missing_days_checked) == ((date(2026, 10, 5),), True)
    assert quality.excluded_days == (
        "10 Oct 2026 phone: 1,400 contacts against a forecast of 1,100 (over the volume band)",
    )


def test_a_closed_day_is_not_a_missing_day() -> None:
    evaluation = october()
    abandon = evaluation.objectives[1]
    windows = (replace(abandon.windows[0], volume=0), *abandon.windows[1:])
    evaluation = replace(evaluation, objectives=(replace(abandon, windows=windows),))
    quality = build_scorecard(acme(), evaluation, closed_days={date(2026, 10, 1): "x"}).quality
    assert quality.missing_days == ()


def test_benchmark_position_ranks_the_provider_and_gives_its_cost_and_volumes() -> None:
    card = build_scorecard(acme(), october(), benchmark=benchmark())
    assert card.benchmark is not None
    rows = {row.kpi_id: row for row in card.benchmark.rows}
    assert rows["phone-sl"].values == ("86.0%", "81.0%", "82.0%")
    assert rows["phone-sl"].rank == "2 of 2"
    assert rows["asa"].values == ("34.4\u00a0s", "32.4\u00a0s", "32.8\u00a0s")
    assert rows["asa"].rank == "1 of 2"  # lower waits are better
    assert rows["cost_per_contact"].rank == "1 of 2"
    assert card.cost_per_contact == "€3.95"
    assert card.channel_volumes == (("phone", 31000), ("chat", 4000), ("email", 2100))
    assert card.benchmark.channel_mix[1] == "phone 84%, chat 11%, email 6%"


def test_benchmark_table_alone_ranks_nobody() -> None:
    table = build_benchmark_table(benchmark())
    assert table.highlight is None
    assert {row.rank for row in table.rows} == {"–"}
    assert table.setups == ("inhouse-l1", "acme-l1", "mixed")


# portfolio --------------------------------------------------------------------------------


def test_portfolio_has_one_row_per_contract_in_house_first_and_sums_credits() -> None:
    acme_card = build_scorecard(acme(), october(), benchmark=benchmark())
    inhouse = replace(
        acme_card,
        contract_id="inhouse-l1",
        sourcing="in-house",
        provider_name="Support team",
        net_credits=Decimal("0.00"),
    )
    portfolio = build_portfolio("2026-10", [acme_card, inhouse], [benchmark()])
    assert [row.contract_id for row in portfolio.rows] == ["inhouse-l1", "acme-l1"]
    acme_row = portfolio.rows[1]
    assert [(c.objective_id, c.symbol, c.actual) for c in acme_row.critical] == [
        ("phone-sl", "✔", "81.2%"),
        ("email-24h", "✖", "90.0%"),
    ]
    assert (acme_row.net_credits, acme_row.cost_per_contact, acme_row.chronic_failure) == (
        "€6,000.00",
        "€3.95",
        True,
    )
    assert portfolio.credit_totals == ("€6,000.00",)
    assert len(portfolio.benchmarks) == 1


# audit ------------------------------------------------------------------------------------


def audit_of(**changes: object):  # type: ignore[no-untyped-def]
    arguments = {
        "spec_text": acme_text(),
        "contract_file_hash": "d" * 64,
        "engine_version": "0.1.0",
        "feeds": [feed()],
    }
    arguments.update(changes)
    return build_audit(acme(), october(), **arguments)  # type: ignore[arg-type]


def test_audit_hash_of_inputs_can_be_recomputed_from_its_documented_lines() -> None:
    lines = [
        "engine 0.1.0",
        f"contract acme-l1 v2 {'d' * 64}",
        f"spec {hashlib.sha256(acme_text().encode()).hexdigest()}",
        "period 2026-10",
        "as_of 2026-11-02T07:00:00+00:00",
        f"feed {'c' * 64} contacts",
        f"input {'a' * 64}",
        f"input {'b' * 64}",
    ]
    assert audit_of().inputs_sha256 == hashlib.sha256("\n".join(lines).encode()).hexdigest()


def test_audit_hash_changes_with_any_input() -> None:
    base = audit_of().inputs_sha256
    assert audit_of(spec_text=acme_text() + "\n").inputs_sha256 != base
    assert audit_of(feeds=[feed(sha256="e" * 64)]).inputs_sha256 != base
    assert audit_of(engine_version="0.2.0").inputs_sha256 != base


def test_audit_states_each_formula_with_its_counts() -> None:
    formulas = {f.objective_id: f for f in audit_of().formulas}
    assert formulas["phone-sl"].formula == "8,123 ÷ 10,000 → 81.2%"
    assert formulas["phone-abandon"].windows == "31 windows, 3 windows breached, 2 allowed"
    with using("fr_FR"):
        french = {f.objective_id: f for f in audit_of().formulas}
    assert french["phone-abandon"].windows == "31 fenêtres, 3 fenêtres manquées, tolérance : 2"
    assert (formulas["email-24h"].excluded_contacts, formulas["email-24h"].pending_contacts) == (
        "12",
        "100",
    )


def test_audit_lists_exclusions_and_what_they_removed() -> None:
    event, band = audit_of().exclusions
    assert (event.name, event.when) == (
        "carrier-outage-0304",
        "4 Mar 2026, 10:00 – 14:30 (Europe/Paris)",
    )
    assert event.removed == "nothing: outside the period"
    assert (band.kind, band.removed) == ("volume band", "1,400 contacts (forecast 1,100)")


def test_audit_calendars_show_the_closed_days_of_the_period() -> None:
    contract = acme()
    december = audit_calendar(
        "opening-hours", contract.calendars["opening-hours"], contract, "2026-12"
    )
    assert december.weekly == ("Mon–Sat: 08:00-22:00", "Sun: 09:00-13:00, 14:00-18:00")
    with using("fr_FR"):
        french = audit_calendar(
            "opening-hours", contract.calendars["opening-hours"], contract, "2026-12"
        )
    assert french.weekly == (
        "lun.–sam.\u00a0: 08:00-22:00",
        "dim.\u00a0: 09:00-13:00, 14:00-18:00",
    )
    assert december.holidays_rule == "public holidays of FR; closed 24 Dec 2026"
    assert [d for d, _ in december.closed_in_period] == [date(2026, 12, 24), date(2026, 12, 25)]
    assert december.closed_in_period[0][1] == "closed (contract)"
    assert [c.closed_in_period for c in audit_of().calendars] == [(), ()]


def test_audit_keeps_the_spec_text_and_credits_as_evaluated() -> None:
    audit = audit_of()
    assert audit.spec_text == acme_text()
    assert dict(audit.credits)["net"] == "€6,000.00"
    assert audit.input_hashes == ("a" * 64, "b" * 64)


def test_without_benchmark_channel_volumes_come_from_single_channel_objectives() -> None:
    # phone: max(10,250 phone-sl, 31,000 phone-abandon, 10,000 phone-asa); chat had none
    card = build_scorecard(acme(), october())
    assert card.channel_volumes == (("phone", 31000), ("email", 2100))


def test_given_channel_volumes_win() -> None:
    card = build_scorecard(acme(), october(), channel_volumes={"sms": 5, "mail": 0})
    assert card.channel_volumes == (("sms", 5),)


def test_days_excluded_by_the_volume_band_or_excused_are_not_missing() -> None:
    evaluation = october()
    abandon = evaluation.objectives[1]
    windows = list(abandon.windows)
    windows[9] = replace(windows[9], volume=0)  # 2026-10-10: excluded day of october()
    windows[20] = replace(windows[20], volume=0, status="excused")
    windows[21] = replace(windows[21], volume=0)
    evaluation = replace(evaluation, objectives=(replace(abandon, windows=tuple(windows)),))
    quality = build_scorecard(acme(), evaluation).quality
    assert quality.missing_days == (date(2026, 10, 22),)


def test_months_without_data_are_left_out_of_the_portfolio_history() -> None:
    from slaengine.domain.reports.scorecard import month_figures
    from tests.reports_builders import month, october, september

    empty = month(
        "2026-08", {"phone-sl": ("not_determined", None), "email-24h": ("not_determined", None)}
    )
    half = month("2026-07", {"phone-sl": ("not_determined", None), "email-24h": ("met", 0.97)})
    figures = month_figures(october(), [empty, half, september()])
    assert [(f.period, f.critical_met, f.critical_total) for f in figures] == [
        ("2026-07", 1, 1),  # phone-sl not determined: judged on email-24h alone, 100 %
        ("2026-09", 2, 2),
        ("2026-10", 1, 2),
    ]
