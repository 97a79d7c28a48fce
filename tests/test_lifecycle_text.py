"""What reports say of the lifecycle: the page line and what each restatement changed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from slaengine.domain.reports.lifecycle import (
    FeedFileSeen,
    describe_restatements,
    lifecycle_line,
)
from slaengine.i18n import using
from tests.reports_builders import october

PARIS = ZoneInfo("Europe/Paris")
SETTLES = datetime(2026, 11, 4, 14, tzinfo=UTC)
FILES = {
    "b" * 64: FeedFileSeen("b" * 64, "late.csv", "contacts", datetime(2026, 11, 9, 8, tzinfo=UTC)),
    "a" * 64: FeedFileSeen("a" * 64, "oct.csv", "contacts", datetime(2026, 11, 1, 6, tzinfo=UTC)),
}


def test_the_page_line_of_each_lifecycle() -> None:
    provisional = october(lifecycle="provisional", settles_at=SETTLES)
    assert lifecycle_line(provisional, PARIS) == (
        "provisional as of 2 Nov 2026, 08:00 (Europe/Paris) · the month settles"
        " 4 Nov 2026, 15:00 (Europe/Paris)"
    )
    final = october(lifecycle="final", settles_at=SETTLES, as_of=SETTLES)
    assert lifecycle_line(final, PARIS) == "final result · settled 4 Nov 2026, 15:00 (Europe/Paris)"
    with using("fr_FR"):
        assert lifecycle_line(final, PARIS) == (
            "résultat définitif · arrêté le 4 nov. 2026, 15:00 (Europe/Paris)"
        )
    assert lifecycle_line(replace(final, lifecycle="restated"), PARIS).startswith(
        "restated final result · settled 4 Nov 2026, 15:00 (Europe/Paris) · replaces"
    )


def test_each_restatement_says_its_inputs_and_moves_numbered_when_several() -> None:
    first = october(lifecycle="final", settles_at=SETTLES, as_of=SETTLES)
    phone = replace(first.objectives[0], value=0.79, status="breached", credit=Decimal("4800"))
    credits = replace(first.credits, total=Decimal("12000.00"))
    second = replace(first, objectives=(phone, *first.objectives[1:]), credits=credits)
    base = {
        "contract": {"id": "acme-l1", "version": 2, "sha256": "c" * 64},
        "feeds": ["a" * 64],
        "engine": "0.1.0",
        "history": {"2026-09": "1"},
    }
    later = base | {"feeds": ["a" * 64, "b" * 64], "history": {"2026-09": "2"}}
    contract = later | {"contract": {"id": "acme-l1", "version": 3, "sha256": "d" * 64}}
    lines = describe_restatements(
        [(first, base), (second, later), (second, contract)], FILES, PARIS
    )
    assert lines == [
        "restatement 1: changed input: contacts file late.csv (sha256 bbbbbbbbbbbb) ingested"
        " 2026-11-09 09:00 is new",
        "restatement 1: changed input: the results of 2026-09 (earn-back, chronic failure)",
        "restatement 1: moved: phone-sl 81.2% met, credit €0.00 → 79.0% breached, credit €4,800.00",
        "restatement 1: moved: credits owed €7,200.00 → €12,000.00",
        "restatement 2: changed input: contract version 2 (sha256 cccccccccccc) replaced by"
        " version 3 (sha256 dddddddddddd)",
        "restatement 2: moved: no figure",
    ]


def test_a_single_restatement_has_no_number_and_a_dropped_file_is_named() -> None:
    final = october(lifecycle="final", settles_at=SETTLES, as_of=SETTLES)
    old = {"feeds": ["a" * 64, "b" * 64], "engine": "0.1.0"}
    new = {"feeds": ["b" * 64], "engine": "0.2.0"}
    assert describe_restatements([(final, old), (final, new)], FILES, PARIS) == [
        "changed input: contacts file oct.csv (sha256 aaaaaaaaaaaa) ingested 2026-11-01 07:00"
        " no longer holds rows",
        "changed input: slaengine 0.1.0 replaced by 0.2.0",
        "moved: no figure",
    ]
