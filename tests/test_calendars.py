"""Business calendars and business time, worked by hand and against a brute-force reference."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from slaengine.domain.contract.calendars import BusinessCalendar, holidays_problem, wall_deadline
from slaengine.domain.contract.model import Calendar, Contract, Holidays
from slaengine.errors import EvaluationError
from tests.conftest import CONTRACTS

PARIS = ZoneInfo("Europe/Paris")


def business_calendar(
    weekly: dict[str, list[str]],
    *,
    country: str | None = None,
    closed: tuple[date, ...] = (),
    zone: ZoneInfo = PARIS,
) -> BusinessCalendar:
    spec: dict[str, Any] = {"weekly": weekly}
    if country or closed:
        spec["holidays"] = {"country": country, "closed": list(closed)}
    return BusinessCalendar(Calendar.model_validate(spec), zone)


def paris(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=PARIS)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


OFFICE_WEEKLY = {"mon-fri": ["09:00-18:00"]}
DAY = 86400
HOUR = 3600


@pytest.fixture(scope="module")
def acme() -> Contract:
    document = YAML(typ="safe").load((CONTRACTS / "acme-l1.yaml").read_text(encoding="utf-8"))
    return Contract.model_validate(document)


@pytest.fixture(scope="module")
def office(acme: Contract) -> BusinessCalendar:
    return BusinessCalendar.from_contract(acme, "office")


@pytest.fixture(scope="module")
def opening_hours(acme: Contract) -> BusinessCalendar:
    return BusinessCalendar.from_contract(acme, "opening-hours")


# opening and closing ------------------------------------------------------------------


def test_a_calendar_is_open_at_its_opening_and_closed_at_its_closing(
    office: BusinessCalendar,
) -> None:
    assert not office.is_open(paris(2026, 11, 16, 8, 59, 59))
    assert office.is_open(paris(2026, 11, 16, 9, 0))
    assert office.is_open(paris(2026, 11, 16, 17, 59, 59))
    assert not office.is_open(paris(2026, 11, 16, 18, 0))


def test_open_intervals_are_returned_in_utc_for_the_local_day(office: BusinessCalendar) -> None:
    assert office.open_intervals(date(2026, 11, 16)) == (
        (utc(2026, 11, 16, 8), utc(2026, 11, 16, 17)),
    )
    assert office.open_intervals(date(2026, 7, 6)) == ((utc(2026, 7, 6, 7), utc(2026, 7, 6, 16)),)
    assert office.open_intervals(date(2026, 11, 14)) == ()  # a Saturday


def test_is_open_accepts_instants_in_any_zone(office: BusinessCalendar) -> None:
    assert office.is_open(utc(2026, 11, 16, 8, 0))
    assert not office.is_open(datetime(2026, 11, 16, 2, 59, tzinfo=ZoneInfo("America/New_York")))


def test_sunday_opening_hours_are_split_by_a_lunch_break(opening_hours: BusinessCalendar) -> None:
    assert opening_hours.open_intervals(date(2026, 11, 15)) == (
        (utc(2026, 11, 15, 8), utc(2026, 11, 15, 12)),
        (utc(2026, 11, 15, 13), utc(2026, 11, 15, 17)),
    )
    assert not opening_hours.is_open(paris(2026, 11, 15, 13, 30))
    assert (
        opening_hours.business_seconds(paris(2026, 11, 15, 12), paris(2026, 11, 15, 15)) == 2 * HOUR
    )


def test_a_lunch_break_does_not_run_on_the_business_clock() -> None:
    calendar = business_calendar({"mon-fri": ["09:00-12:00", "13:00-18:00"]})
    assert calendar.business_seconds(paris(2026, 11, 16, 11), paris(2026, 11, 16, 14)) == 2 * HOUR
    assert calendar.deadline(paris(2026, 11, 16, 11), 2 * HOUR) == paris(2026, 11, 16, 14)


def test_adjacent_intervals_are_merged_into_one() -> None:
    calendar = business_calendar({"mon": ["09:00-12:00", "12:00-13:00"]})
    assert calendar.open_intervals(date(2026, 11, 16)) == (
        (utc(2026, 11, 16, 8), utc(2026, 11, 16, 12)),
    )


def test_days_open_until_midnight_join_the_next_day_on_the_clock() -> None:
    calendar = business_calendar({"mon": ["20:00-24:00"], "tue": ["00:00-02:00"]})
    assert calendar.is_open(paris(2026, 11, 16, 23, 59, 59))
    assert calendar.is_open(paris(2026, 11, 17, 0, 0))
    assert calendar.deadline(paris(2026, 11, 16, 23), 2 * HOUR) == paris(2026, 11, 17, 1)


# closed days --------------------------------------------------------------------------


def test_public_holidays_and_closed_dates_are_closed_days(opening_hours: BusinessCalendar) -> None:
    assert opening_hours.is_closed_day(date(2026, 11, 11))
    assert opening_hours.is_closed_day(date(2026, 12, 25))
    assert opening_hours.is_closed_day(date(2026, 12, 24))
    assert not opening_hours.is_closed_day(date(2026, 12, 23))
    assert opening_hours.open_intervals(date(2026, 11, 11)) == ()
    assert not opening_hours.is_open(paris(2026, 11, 11, 10))


def test_a_closed_date_of_one_calendar_does_not_close_another(office: BusinessCalendar) -> None:
    assert not office.is_closed_day(date(2026, 12, 24))
    assert office.is_open(paris(2026, 12, 24, 10))


def test_closed_days_name_each_holiday_for_the_audit(opening_hours: BusinessCalendar) -> None:
    assert opening_hours.closed_days(date(2026, 11, 1), date(2026, 12, 31)) == {
        date(2026, 11, 1): "All Saints' Day",
        date(2026, 11, 11): "Armistice Day",
        date(2026, 12, 24): "closed (contract)",
        date(2026, 12, 25): "Christmas Day",
    }


def test_closed_dates_work_without_a_country() -> None:
    calendar = business_calendar(OFFICE_WEEKLY, closed=(date(2026, 11, 16),))
    assert calendar.closed_days(date(2026, 11, 9), date(2026, 11, 22)) == {
        date(2026, 11, 16): "closed (contract)"
    }
    assert calendar.next_opening(paris(2026, 11, 16, 10)) == paris(2026, 11, 17, 9)


# business clock -----------------------------------------------------------------------


def test_an_email_on_friday_evening_runs_its_24_business_hours_after_the_weekend(
    office: BusinessCalendar,
) -> None:
    # Fri 13 Nov 17:00-18:00 = 1 h, Mon 16 = 9 h (10), Tue 17 = 9 h (19), Wed 18 09:00-14:00 = 5 h
    arrived = paris(2026, 11, 13, 17)
    assert office.deadline(arrived, 24 * HOUR) == paris(2026, 11, 18, 14)
    assert office.business_seconds(arrived, paris(2026, 11, 18, 14)) == 24 * HOUR


def test_a_public_holiday_in_the_middle_does_not_run(office: BusinessCalendar) -> None:
    # Fri 6 Nov 1 h, Mon 9 h, Tue 9 h (19), Wed 11 Nov Armistice closed, Thu 12 09:00-14:00
    arrived = paris(2026, 11, 6, 17)
    assert office.deadline(arrived, 24 * HOUR) == paris(2026, 11, 12, 14)
    assert office.business_seconds(arrived, paris(2026, 11, 12, 9)) == 19 * HOUR


def test_an_email_arriving_at_night_starts_its_clock_at_the_next_opening(
    office: BusinessCalendar,
) -> None:
    assert office.deadline(paris(2026, 11, 17, 3), HOUR) == paris(2026, 11, 17, 10)
    assert office.deadline(paris(2026, 11, 14, 11), HOUR) == paris(2026, 11, 16, 10)
    assert office.business_seconds(paris(2026, 11, 17, 3), paris(2026, 11, 17, 8, 59)) == 0


def test_time_running_out_at_closing_extends_the_deadline_to_the_next_opening(
    office: BusinessCalendar,
) -> None:
    # closed time does not run: an answer on Monday 08:30 has used exactly one business hour
    arrived = paris(2026, 11, 13, 17)
    assert office.business_seconds(arrived, paris(2026, 11, 16, 8, 30)) == HOUR
    assert office.deadline(arrived, HOUR) == paris(2026, 11, 16, 9)


def test_a_zero_second_deadline_is_the_next_opening(office: BusinessCalendar) -> None:
    assert office.deadline(paris(2026, 11, 16, 10), 0) == paris(2026, 11, 16, 10)
    assert office.deadline(paris(2026, 11, 14, 10), 0) == paris(2026, 11, 16, 9)


def test_business_seconds_are_zero_when_the_end_is_not_after_the_start(
    office: BusinessCalendar,
) -> None:
    assert office.business_seconds(paris(2026, 11, 16, 12), paris(2026, 11, 16, 10)) == 0
    assert office.business_seconds(paris(2026, 11, 16, 12), paris(2026, 11, 16, 12)) == 0


def test_next_opening_is_the_instant_itself_when_open(office: BusinessCalendar) -> None:
    assert office.next_opening(paris(2026, 11, 16, 10, 30)) == paris(2026, 11, 16, 10, 30)
    assert office.next_opening(paris(2026, 11, 16, 18)) == paris(2026, 11, 17, 9)
    assert office.next_opening(paris(2026, 12, 24, 18)) == paris(2026, 12, 28, 9)


def test_a_calendar_that_never_opens_has_no_opening_and_no_deadline() -> None:
    never = business_calendar({})
    assert never.next_opening(paris(2026, 11, 16, 10)) is None
    assert never.business_seconds(paris(2026, 11, 1), paris(2026, 12, 1)) == 0
    with pytest.raises(EvaluationError, match="no open time within 400 days"):
        never.deadline(paris(2026, 11, 16, 10), HOUR)


def test_results_are_aware_and_in_utc(office: BusinessCalendar) -> None:
    result = office.deadline(paris(2026, 11, 13, 17), 24 * HOUR)
    opening = office.next_opening(paris(2026, 11, 14, 9))
    assert result.tzinfo is UTC
    assert opening is not None and opening.tzinfo is UTC


# DST ----------------------------------------------------------------------------------

ALWAYS = {"mon-sun": ["00:00-24:00"]}


def test_a_24_7_calendar_has_a_23_hour_spring_day_and_a_25_hour_autumn_day() -> None:
    calendar = business_calendar(ALWAYS)
    assert calendar.open_intervals(date(2026, 3, 29)) == (
        (utc(2026, 3, 28, 23), utc(2026, 3, 29, 22)),
    )
    assert calendar.open_intervals(date(2026, 10, 25)) == (
        (utc(2026, 10, 24, 22), utc(2026, 10, 25, 23)),
    )
    assert calendar.business_seconds(paris(2026, 3, 28, 12), paris(2026, 3, 30, 12)) == 47 * HOUR
    assert calendar.business_seconds(paris(2026, 10, 24, 12), paris(2026, 10, 26, 12)) == 49 * HOUR


def test_a_24_7_business_clock_runs_real_hours_across_the_changes() -> None:
    calendar = business_calendar(ALWAYS)
    assert calendar.deadline(paris(2026, 3, 28, 12), 24 * HOUR) == paris(2026, 3, 29, 13)
    assert calendar.deadline(paris(2026, 10, 24, 12), 24 * HOUR) == paris(2026, 10, 25, 11)


def test_a_24_hour_calendar_clock_across_the_spring_change_is_24_real_hours() -> None:
    # Saturday 12:00 CET + 24 real hours = Sunday 13:00 CEST (wall clock shows 25 hours later)
    assert wall_deadline(paris(2026, 3, 28, 12), 24 * HOUR) == paris(2026, 3, 29, 13)
    assert wall_deadline(paris(2026, 10, 24, 12), 24 * HOUR) == paris(2026, 10, 25, 11)
    assert wall_deadline(paris(2026, 3, 28, 12), 24 * HOUR).tzinfo is UTC


def test_an_opening_across_the_spring_gap_lasts_its_real_duration() -> None:
    # 01:30-02:00 CET then 03:00-03:30 CEST: contiguous on the instant timeline, one real hour
    calendar = business_calendar({"sun": ["01:30-03:30"]})
    assert calendar.open_intervals(date(2026, 3, 29)) == (
        (utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1, 30)),
    )
    assert calendar.deadline(paris(2026, 3, 29, 1, 45), 15 * 60) == paris(2026, 3, 29, 3, 0)


def test_an_opening_inside_the_spring_gap_is_empty() -> None:
    calendar = business_calendar({"sun": ["02:00-03:00", "10:00-11:00"]})
    assert calendar.open_intervals(date(2026, 3, 29)) == (
        (utc(2026, 3, 29, 8), utc(2026, 3, 29, 9)),
    )


def test_a_start_in_the_spring_gap_moves_forward_to_the_first_existing_instant() -> None:
    calendar = business_calendar({"sun": ["02:30-04:00"]})
    assert calendar.open_intervals(date(2026, 3, 29)) == (
        (utc(2026, 3, 29, 1), utc(2026, 3, 29, 2)),
    )


def test_an_opening_across_the_autumn_fold_includes_the_repeated_hour() -> None:
    # 01:30 CEST (23:30 UTC) to 03:30 CET (02:30 UTC): three real hours
    calendar = business_calendar({"sun": ["01:30-03:30"]})
    assert calendar.open_intervals(date(2026, 10, 25)) == (
        (utc(2026, 10, 24, 23, 30), utc(2026, 10, 25, 2, 30)),
    )
    assert calendar.business_seconds(paris(2026, 10, 25, 0), paris(2026, 10, 25, 12)) == 3 * HOUR


def test_an_opening_of_the_repeated_hour_is_open_during_both_occurrences() -> None:
    calendar = business_calendar({"sun": ["02:00-03:00"]})
    assert calendar.open_intervals(date(2026, 10, 25)) == (
        (utc(2026, 10, 25, 0), utc(2026, 10, 25, 2)),
    )


def test_an_opening_ending_inside_the_fold_is_open_while_the_wall_clock_shows_open_time() -> None:
    # wall time 01:00-02:30 happens 01:00-02:30 CEST, then again 02:00-02:30 CET
    calendar = business_calendar({"sun": ["01:00-02:30"]})
    assert calendar.open_intervals(date(2026, 10, 25)) == (
        (utc(2026, 10, 24, 23), utc(2026, 10, 25, 0, 30)),
        (utc(2026, 10, 25, 1), utc(2026, 10, 25, 1, 30)),
    )


def test_office_hours_on_dst_weekdays_keep_their_wall_times() -> None:
    calendar = business_calendar(OFFICE_WEEKLY)
    # Fri 27 Mar 17:00 CET + 2 business hours = Mon 30 Mar 10:00 CEST
    assert calendar.deadline(paris(2026, 3, 27, 17), 2 * HOUR) == paris(2026, 3, 30, 10)
    assert calendar.deadline(paris(2026, 3, 27, 17), 2 * HOUR) == utc(2026, 3, 30, 8)


# mistakes -----------------------------------------------------------------------------


def test_naive_datetimes_are_refused(office: BusinessCalendar) -> None:
    with pytest.raises(ValueError, match="expected an aware datetime"):
        office.is_open(datetime(2026, 11, 16, 10))
    with pytest.raises(ValueError, match="aware datetime for start"):
        office.deadline(datetime(2026, 11, 16, 10), HOUR)
    with pytest.raises(ValueError, match="aware datetime for start"):
        wall_deadline(datetime(2026, 11, 16, 10), HOUR)


def test_a_negative_duration_is_refused(office: BusinessCalendar) -> None:
    with pytest.raises(ValueError, match="seconds >= 0"):
        office.deadline(paris(2026, 11, 16, 10), -1)


def test_an_unknown_calendar_name_says_which_exist(acme: Contract) -> None:
    with pytest.raises(
        ValueError, match=r"no calendar 'ofice' \(calendars: office, opening-hours\)"
    ):
        BusinessCalendar.from_contract(acme, "ofice")


def test_an_unknown_holiday_country_is_refused_with_its_code() -> None:
    with pytest.raises(ValueError, match="not known for country 'XX'"):
        business_calendar(OFFICE_WEEKLY, country="XX")


# properties against a brute-force reference -------------------------------------------

ZONES = ("Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC")
# days around 2026 transitions: Paris Mar 29 / Oct 25, New York Mar 8 / Nov 1,
# Lord Howe (30-minute shift) Apr 5 / Oct 4
DST_DAYS = (
    date(2026, 3, 29),
    date(2026, 10, 25),
    date(2026, 3, 8),
    date(2026, 11, 1),
    date(2026, 4, 5),
    date(2026, 10, 4),
    date(2026, 5, 1),  # a public holiday in FR
)
MINUTE = timedelta(minutes=1)


@st.composite
def day_intervals(draw: st.DrawFn) -> list[str]:
    cuts = sorted(draw(st.sets(st.integers(min_value=0, max_value=48), min_size=0, max_size=6)))
    # quarter-hour cuts only for half the days: exercises odd boundaries too
    scale = draw(st.sampled_from([30, 17]))
    points = sorted({min(cut * scale, 1440) for cut in cuts})
    pairs = list(zip(points[::2], points[1::2], strict=False))
    return [f"{a // 60:02d}:{a % 60:02d}-{b // 60:02d}:{b % 60:02d}" for a, b in pairs if a < b]


@st.composite
def random_calendars(draw: st.DrawFn) -> BusinessCalendar:
    names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    weekly = {name: draw(day_intervals()) for name in names}
    weekly = {name: intervals for name, intervals in weekly.items() if intervals}
    if not weekly:
        weekly = {"sun": ["01:00-03:30"]}
    country = draw(st.sampled_from([None, "FR"]))
    closed = tuple(draw(st.sets(st.sampled_from(DST_DAYS), max_size=2)))
    zone = ZoneInfo(draw(st.sampled_from(ZONES)))
    return business_calendar(weekly, country=country, closed=closed, zone=zone)


@st.composite
def minute_instants(draw: st.DrawFn) -> datetime:
    day = draw(st.sampled_from(DST_DAYS))
    shift = draw(st.integers(min_value=-2 * 1440, max_value=2 * 1440))
    return datetime.combine(day, datetime.min.time(), UTC) + shift * MINUTE


@cache
def public_holidays(country: str) -> holidays.HolidayBase:
    return holidays.country_holidays(country)


def naive_is_open(calendar: BusinessCalendar, instant: datetime) -> bool:
    """The reference: read the wall clock of the zone and look the minute up."""
    local = instant.astimezone(calendar.zone)
    spec = calendar.calendar
    if spec.holidays is not None:
        if local.date() in spec.holidays.closed:
            return False
        if spec.holidays.country and local.date() in public_holidays(spec.holidays.country):
            return False
    minute = local.hour * 60 + local.minute
    return any(a <= minute < b for a, b in spec.weekly_minutes()[local.weekday()])


def brute_business_seconds(calendar: BusinessCalendar, start: datetime, end: datetime) -> int:
    seconds, moment = 0, start
    while moment < end:
        seconds += 60 if naive_is_open(calendar, moment) else 0
        moment += MINUTE
    return seconds


def brute_deadline(
    calendar: BusinessCalendar, start: datetime, seconds: int, limit: timedelta
) -> datetime | None:
    """The first open minute at which `seconds` have run; None when beyond `limit`."""
    used, moment = 0, start
    while moment < start + limit:
        is_open = naive_is_open(calendar, moment)
        if used == seconds and is_open:
            return moment
        used += 60 if is_open else 0
        moment += MINUTE
    return None


PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(random_calendars(), minute_instants(), st.integers(min_value=0, max_value=3 * 1440))
def test_business_seconds_match_a_minute_by_minute_count(
    calendar: BusinessCalendar, start: datetime, minutes: int
) -> None:
    end = start + minutes * MINUTE
    assert calendar.business_seconds(start, end) == brute_business_seconds(calendar, start, end)


@PROPERTY_SETTINGS
@given(random_calendars(), minute_instants())
def test_is_open_matches_the_wall_clock(calendar: BusinessCalendar, instant: datetime) -> None:
    for step in range(0, 180, 7):
        moment = instant + step * MINUTE
        assert calendar.is_open(moment) == naive_is_open(calendar, moment)


@PROPERTY_SETTINGS
@given(random_calendars(), minute_instants(), st.integers(min_value=0, max_value=12 * 60))
def test_deadline_matches_a_minute_by_minute_walk(
    calendar: BusinessCalendar, start: datetime, minutes: int
) -> None:
    limit = timedelta(days=4)
    expected = brute_deadline(calendar, start, minutes * 60, limit)
    if expected is not None:
        assert calendar.deadline(start, minutes * 60) == expected
    else:
        assert calendar.business_seconds(start, start + limit) <= minutes * 60
        assert calendar.deadline(start, minutes * 60) >= start + limit


@PROPERTY_SETTINGS
@given(random_calendars(), minute_instants(), st.integers(min_value=0, max_value=3 * 1440))
def test_an_answer_is_on_time_exactly_when_it_comes_by_the_deadline(
    calendar: BusinessCalendar, start: datetime, minutes: int
) -> None:
    deadline = calendar.deadline(start, 4 * HOUR)
    answered = start + minutes * MINUTE
    on_time = calendar.business_seconds(start, answered) <= 4 * HOUR
    assert on_time == (answered <= deadline)


@PROPERTY_SETTINGS
@given(random_calendars(), minute_instants())
def test_next_opening_is_the_first_open_minute(
    calendar: BusinessCalendar, instant: datetime
) -> None:
    opening = calendar.next_opening(instant)
    assert opening is not None  # every random calendar opens at least weekly
    assert naive_is_open(calendar, opening)
    assert opening == instant or not naive_is_open(calendar, opening - MINUTE)
    assert calendar.business_seconds(instant, opening) == 0


@PROPERTY_SETTINGS
@given(random_calendars(), minute_instants(), st.integers(min_value=0, max_value=3))
def test_time_running_out_at_a_closing_gives_the_next_opening(
    calendar: BusinessCalendar, start: datetime, skip: int
) -> None:
    # Three weeks: a calendar open one weekday a week can lose two to holidays (1 and 8 May).
    days = (start.date() + timedelta(days=offset) for offset in range(-1, 22))
    closings = sorted(end for day in days for _, end in calendar.open_intervals(day) if end > start)
    closing = closings[min(skip, len(closings) - 1)]
    reopening = closing
    while not naive_is_open(calendar, reopening):
        reopening += MINUTE
    assert calendar.deadline(start, calendar.business_seconds(start, closing)) == reopening


def test_a_holidays_block_can_be_checked_before_use() -> None:
    assert holidays_problem(Holidays(country="FR")) is None
    assert holidays_problem(Holidays(country="FR", subdiv="ZZ")) == (
        "public holidays are not known for country 'FR' subdivision 'ZZ'"
        " (expected an ISO 3166 code supported by the holidays package, such as FR)"
    )
    assert holidays_problem(Holidays(closed=(date(2026, 12, 24),))) is None
