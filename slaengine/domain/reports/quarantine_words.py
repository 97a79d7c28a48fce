"""The quarantine reason codes of the data annex as a reader of a report says them: a short
label in the report language, the code beside it (the code is what `feed quarantine` and the
ingest JSON print, so a reader can look it up)."""

from __future__ import annotations

from collections.abc import Mapping

from slaengine.i18n import N_, _

REASON_LABELS: dict[str, str] = {
    "missing_contact_id": N_("contact id missing"),
    "missing_channel": N_("channel missing"),
    "bad_channel": N_("unknown channel"),
    "missing_arrived_at": N_("arrival time missing"),
    "bad_timestamp": N_("invalid timestamp"),
    "timestamp_without_offset": N_("timestamp without UTC offset"),
    "answered_before_arrival": N_("answered before arrival"),
    "abandoned_before_arrival": N_("abandoned before arrival"),
    "answered_and_abandoned": N_("both answered and abandoned"),
    "realtime_not_ended": N_("call or chat neither answered nor abandoned"),
    "handle_without_answer": N_("handle time without answer"),
    "negative_handle": N_("negative handle time"),
    "bad_number": N_("invalid number"),
    "bad_boolean": N_("invalid true/false"),
    "csat_out_of_range": N_("CSAT out of range"),
    "nps_out_of_range": N_("NPS out of range"),
    "duplicate_contact_id_in_file": N_("contact id repeated in the file"),
    "missing_interval_start": N_("interval start missing"),
    "bad_interval_minutes": N_("invalid interval length"),
    "interval_not_aligned": N_("interval not aligned"),
    "missing_count": N_("count missing"),
    "negative_count": N_("negative count"),
    "counts_inconsistent": N_("counts inconsistent"),
    "duplicate_interval_in_file": N_("interval repeated in the file"),
    "bad_month": N_("invalid month"),
    "bad_amount": N_("invalid amount"),
    "negative_amount": N_("negative amount"),
    "bad_currency": N_("invalid currency"),
    "bad_kind": N_("invalid cost kind"),
    "cost_currencies_differ_in_file": N_("currencies differ in the file"),
    "bad_date": N_("invalid date"),
    "duplicate_forecast_in_file": N_("forecast repeated in the file"),
    "control_character": N_("control character"),
    "contact_id_too_long": N_("contact id too long"),
    "queue_too_long": N_("queue too long"),
    "amount_too_long": N_("amount too long"),
    "number_out_of_range": N_("number out of range"),
    "timestamp_out_of_range": N_("date out of range"),
}


def reason_words(code: str) -> str:
    """`horodatage invalide (bad_timestamp)`; an unknown code as written."""
    label = REASON_LABELS.get(code)
    return f"{_(label)} ({code})" if label else code


def reasons_words(reasons: Mapping[str, int]) -> str:
    """`invalid timestamp (bad_timestamp): 3; …`, or `–` when nothing was quarantined."""
    if not reasons:
        return "–"
    return _("; ").join(
        _("{label}: {value}").format(label=reason_words(code), value=count)
        for code, count in sorted(reasons.items())
    )
