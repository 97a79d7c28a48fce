"""What reports say of an evaluation's lifecycle: provisional, final, or what a restatement changed.

- `lifecycle_line(evaluation, zone)`: the line every page of a report carries, e.g.
  `provisional as of 2026-11-02 08:00 (Europe/Paris) · the month settles 2026-11-04 15:00`.
- `describe_restatement(old, new, ...)`: which inputs changed between two final results of a
  month (feed files with their ingestion time, contract version, engine, earlier months) and
  which objectives and credits moved, old figure then new.

Times are shown in the contract's zone; the line of a final result holds only its settlement
instant (never the time a report was made), so a final report is the same bytes every time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from slaengine.domain.evaluation.results import Evaluation, ObjectiveResult
from slaengine.domain.reports.relief import relief_input_changes
from slaengine.domain.reports.text import format_money, format_value, status_label
from slaengine.i18n import _, current


@dataclass(frozen=True)
class FeedFileSeen:
    """A stored feed file as a restatement names it."""

    sha256: str
    file_name: str
    kind: str
    received_at: datetime


def _local(instant: datetime, zone: ZoneInfo) -> str:
    return f"{instant.astimezone(zone):%Y-%m-%d %H:%M}"


def lifecycle_line(evaluation: Evaluation, zone: ZoneInfo) -> str:
    """The page line: provisional as of ..., final result ..., or restated final result ...

    Words and instants in the report language, as the body says them:
    `4 Nov 2026, 15:00 (Europe/Paris)` / `4 nov. 2026, 15:00 (Europe/Paris)`.
    """
    settles = evaluation.settles_at
    settles_text = "" if settles is None else current().instant(settles, zone)
    if evaluation.lifecycle == "provisional":
        instant = current().instant(evaluation.as_of, zone)
        line = _("provisional as of {instant}").format(instant=instant)
        if settles_text:
            line += " · " + _("the month settles {instant}").format(instant=settles_text)
        return line
    settled = settles_text
    if evaluation.lifecycle == "restated":
        return _(
            "restated final result · settled {instant} · replaces an earlier final result"
            " (see restatements)"
        ).format(instant=settled)
    return _("final result · settled {instant}").format(instant=settled)


def describe_restatement(
    old: Evaluation,
    new: Evaluation,
    old_inputs: Mapping[str, Any],
    new_inputs: Mapping[str, Any],
    files: Mapping[str, FeedFileSeen],
    zone: ZoneInfo,
) -> list[str]:
    """Lines saying why `new` restates `old` (inputs that changed) and what moved."""
    return [
        *_input_changes(old_inputs, new_inputs, files, zone),
        *_figure_changes(old, new),
    ]


def _input_changes(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    files: Mapping[str, FeedFileSeen],
    zone: ZoneInfo,
) -> list[str]:
    lines = []
    old_feeds, new_feeds = set(old.get("feeds", ())), set(new.get("feeds", ()))
    for sha in sorted(new_feeds - old_feeds, key=lambda sha: _order(sha, files)):
        lines.append(_("changed input: {file} is new").format(file=_file_text(sha, files, zone)))
    for sha in sorted(old_feeds - new_feeds, key=lambda sha: _order(sha, files)):
        lines.append(
            _("changed input: {file} no longer holds rows").format(
                file=_file_text(sha, files, zone)
            )
        )
    old_contract, new_contract = old.get("contract", {}), new.get("contract", {})
    if old_contract and old_contract != new_contract:
        lines.append(
            _(
                "changed input: contract version {old} (sha256 {old_sha}) replaced by version"
                " {new} (sha256 {new_sha})"
            ).format(
                old=old_contract.get("version"),
                old_sha=str(old_contract.get("sha256"))[:12],
                new=new_contract.get("version"),
                new_sha=str(new_contract.get("sha256"))[:12],
            )
        )
    if old.get("engine") and old.get("engine") != new.get("engine"):
        lines.append(
            _("changed input: slaengine {old} replaced by {new}").format(
                old=old.get("engine"), new=new.get("engine")
            )
        )
    old_history, new_history = old.get("history", {}), new.get("history", {})
    periods = {*old_history, *new_history}
    moved = sorted(p for p in periods if old_history.get(p) != new_history.get(p))
    if moved:
        lines.append(
            _("changed input: the results of {periods} (earn-back, chronic failure)").format(
                periods=", ".join(moved)
            )
        )
    lines += relief_input_changes(old, new, zone)
    return lines


def _order(sha: str, files: Mapping[str, FeedFileSeen]) -> tuple[str, str]:
    seen = files.get(sha)
    return ("" if seen is None else seen.received_at.isoformat(), sha)


def _file_text(sha: str, files: Mapping[str, FeedFileSeen], zone: ZoneInfo) -> str:
    seen = files.get(sha)
    if seen is None:
        return _("feed file sha256 {sha}").format(sha=sha[:12])
    return _("{kind} file {name} (sha256 {sha}) ingested {instant}").format(
        kind=seen.kind, name=seen.file_name, sha=sha[:12], instant=_local(seen.received_at, zone)
    )


def _figure_changes(old: Evaluation, new: Evaluation) -> list[str]:
    before = {result.objective_id: result for result in old.objectives}
    lines = []
    for result in new.objectives:
        earlier = before.get(result.objective_id)
        if earlier is None:
            lines.append(
                _("moved: {objective} is new, {figure}").format(
                    objective=result.objective_id, figure=_figure(result, new)
                )
            )
        elif _figure(earlier, old) != _figure(result, new):
            moved = f"{_figure(earlier, old)} → {_figure(result, new)}"
            lines.append(
                _("moved: {objective} {change}").format(objective=result.objective_id, change=moved)
            )
    old_total, new_total = old.credits.total, new.credits.total
    currency = new.credits.currency
    if old_total != new_total:
        lines.append(
            _("moved: credits owed {old} → {new}").format(
                old=format_money(old_total, old.credits.currency),
                new=format_money(new_total, currency),
            )
        )
    elif len(lines) == 0:
        lines.append(_("moved: no figure"))
    return lines


def _figure(result: ObjectiveResult, evaluation: Evaluation) -> str:
    value = format_value(result.value, result.kpi)
    credit = format_money(result.credit, evaluation.credits.currency)
    return _("{value} {status}, credit {credit}").format(
        value=value, status=status_label(result.status), credit=credit
    )


def describe_restatements(
    finals: Sequence[tuple[Evaluation, Mapping[str, Any]]],
    files: Mapping[str, FeedFileSeen],
    zone: ZoneInfo,
) -> list[str]:
    """`describe_restatement` for each consecutive pair of a month's finals, oldest first;
    each line starts `restatement N: ` when the month was restated more than once."""
    pairs = list(pairwise(finals))
    lines: list[str] = []
    for number, ((old, old_inputs), (new, new_inputs)) in enumerate(pairs, start=1):
        prefix = _("restatement {number}: ").format(number=number) if len(pairs) > 1 else ""
        found = describe_restatement(old, new, old_inputs, new_inputs, files, zone)
        lines += [prefix + line for line in found]
    return lines
