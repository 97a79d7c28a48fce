"""Schedules: crontab lines in the schedule's zone, DST nights, missed runs from the ledger."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine

from slaengine.adapters.scheduling.scheduler import (
    cron_trigger,
    fire_times,
    last_fire_at_or_before,
    next_fire_after,
)
from slaengine.adapters.storage import run_repo
from slaengine.config import Schedule, Settings
from slaengine.errors import ConfigError
from slaengine.services.schedule import JobSpec, job_specs, jobs_listing, missed_runs

PARIS = ZoneInfo("Europe/Paris")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_a_0230_job_runs_once_on_the_spring_forward_night() -> None:
    # 2026-03-29 02:00 CET becomes 03:00 CEST: 02:30 does not exist that night
    trigger = cron_trigger("30 2 * * *", PARIS, key="pull")
    fires = fire_times(trigger, utc(2026, 3, 27, 12), utc(2026, 3, 30, 12))
    assert [fire.astimezone(UTC) for fire in fires] == [
        utc(2026, 3, 28, 1, 30),  # 02:30 CET
        utc(2026, 3, 29, 1, 30),  # the missing 02:30 runs at 03:30 CEST, once
        utc(2026, 3, 30, 0, 30),  # 02:30 CEST
    ]


def test_a_0230_job_fires_twice_on_the_fall_back_night_but_is_one_ledger_period() -> None:
    trigger = cron_trigger("30 2 * * *", PARIS, key="pull")
    fires = fire_times(trigger, utc(2026, 10, 24, 12), utc(2026, 10, 26, 0))
    assert [fire.astimezone(UTC) for fire in fires] == [
        utc(2026, 10, 25, 0, 30),  # 02:30 CEST
        utc(2026, 10, 25, 1, 30),  # 02:30 CET, the hour repeated
    ]
    spec = JobSpec("pull", "30 2 * * *", trigger, PARIS)
    assert {spec.period_of(fire) for fire in fires} == {"2026-10-25"}
    # what APScheduler's loop asks just after the second fire: the next day, not 02:30 again
    following = trigger.get_next_fire_time(fires[1], utc(2026, 10, 25, 1, 30, 1))
    assert following.astimezone(UTC) == utc(2026, 10, 26, 1, 30)


def test_a_close_on_the_first_sunday_follows_the_clock_change() -> None:
    trigger = cron_trigger("0 8 1-7 * 0", PARIS, key="monthly_close")  # 0 = Sunday in crontab
    fires = fire_times(trigger, utc(2026, 2, 15), utc(2026, 5, 1))
    assert [fire.astimezone(UTC) for fire in fires] == [
        utc(2026, 3, 1, 7),  # Sunday 1 March, 08:00 CET
        utc(2026, 4, 5, 6),  # Sunday 5 April, 08:00 CEST (summer time since 29 March)
    ]
    spec = JobSpec("monthly_close", "0 8 1-7 * 0", trigger, PARIS)
    assert [spec.period_of(fire) for fire in fires] == ["2026-02", "2026-03"]


@pytest.mark.parametrize(
    ("weekdays", "first_fire"),
    [
        ("0", utc(2026, 11, 29, 7)),  # Sunday
        ("7", utc(2026, 11, 29, 7)),  # Sunday too
        ("1-5", utc(2026, 11, 30, 7)),  # Monday
        ("6", utc(2026, 12, 5, 7)),  # Saturday
        ("sat", utc(2026, 12, 5, 7)),
    ],
)
def test_weekday_numbers_are_read_as_crontab_does(weekdays: str, first_fire: datetime) -> None:
    trigger = cron_trigger(f"0 8 * * {weekdays}", PARIS, key="pull")
    assert next_fire_after(trigger, utc(2026, 11, 29, 6)) == first_fire


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("0 8 2 *", "expected five cron fields"),
        ("0 25 * * *", "\\[schedule\\] pull = '0 25 \\* \\* \\*'"),
        ("0 8 * * 9", "day of week '9' is not in 0-7"),
    ],
)
def test_a_bad_cron_line_names_its_key(line: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        cron_trigger(line, PARIS, key="pull")


def test_the_latest_fire_is_found_however_long_ago() -> None:
    monthly = cron_trigger("0 8 2 * *", PARIS, key="monthly_close")
    yearly = cron_trigger("0 8 2 1 *", PARIS, key="monthly_close")
    now = utc(2026, 11, 29, 12)
    assert last_fire_at_or_before(monthly, now) == datetime(2026, 11, 2, 8, tzinfo=PARIS)
    assert last_fire_at_or_before(yearly, now) == datetime(2026, 1, 2, 8, tzinfo=PARIS)
    assert last_fire_at_or_before(monthly, utc(2026, 11, 2, 7)) == datetime(
        2026, 11, 2, 8, tzinfo=PARIS
    )


def settings(tmp_path: Path) -> Settings:
    return Settings(
        contracts_dir=tmp_path,
        reports_dir=tmp_path,
        schedule=Schedule(
            timezone="Europe/Paris",
            pull="0 6 * * *",
            month_to_date="0 7 * * *",
            monthly_close="0 8 2 * *",
        ),
    )


def test_a_run_due_while_down_is_missed_once_until_the_ledger_has_it(
    engine: Engine, tmp_path: Path
) -> None:
    specs = job_specs(settings(tmp_path))
    # down from 1 November to 20 November, 09:00 Paris: each job's latest fire is missed once
    now = utc(2026, 11, 20, 8)
    missed = [(spec.name, spec.period_of(due)) for spec, due in missed_runs(engine, specs, now)]
    assert missed == [
        ("monthly_close", "2026-10"),
        ("pull", "2026-11-20"),
        ("month_to_date", "2026-11-20"),
    ]
    for job, period in missed:
        run_repo.start_run(engine, job, period, generation=0, forced=False, now=now)
    assert missed_runs(engine, specs, now) == []


def test_jobs_are_listed_with_their_next_run_in_the_schedule_zone(tmp_path: Path) -> None:
    listing = jobs_listing(None, job_specs(settings(tmp_path)), utc(2026, 11, 29, 12))
    assert [(e["job"], e["cron"], e["next_run"], e["next_period"]) for e in listing] == [
        ("pull", "0 6 * * *", "2026-11-30T06:00:00+01:00", "2026-11-30"),
        ("month_to_date", "0 7 * * *", "2026-11-30T07:00:00+01:00", "2026-11-30"),
        ("monthly_close", "0 8 2 * *", "2026-12-02T08:00:00+01:00", "2026-11"),
    ]
    assert {e["timezone"] for e in listing} == {"Europe/Paris"}


def test_an_unknown_time_zone_is_a_configuration_error(tmp_path: Path) -> None:
    bad = Settings(schedule=Schedule(timezone="Europe/Atlantis"))
    with pytest.raises(ConfigError, match="timezone 'Europe/Atlantis' is not an IANA zone"):
        job_specs(bad)


def test_a_job_writes_in_its_own_language_on_the_scheduler_worker_thread() -> None:
    import threading
    import time

    from slaengine.adapters.scheduling.scheduler import Job, run_schedule
    from slaengine.i18n import _, current, using

    seen: list[tuple[str, str, bool]] = []
    stop = threading.Event()

    def action() -> None:
        seen.append((current().code, _("breached"), threading.current_thread() is main))

    def stop_when_seen() -> None:
        while not seen:
            time.sleep(0.05)
        time.sleep(1.0)  # let APScheduler finish with the one-off job before shutting down
        stop.set()

    main = threading.current_thread()
    threading.Thread(target=stop_when_seen, daemon=True).start()
    with using("en_GB"):  # the main thread's language must not be what the job sees
        job = Job("monthly_close", "", None, action, locale="fr_FR")
        run_schedule([], ZoneInfo("Europe/Paris"), catch_up=[job], stop=stop)
    assert seen == [("fr_FR", "manqué", False)]
